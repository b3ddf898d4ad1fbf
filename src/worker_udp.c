/* worker_udp.c: UDP worker: receive, filter, send back. */

#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "clock.h"
#include "log.h"
#include "monitor.h"
#include "scoreboard.h"
#include "proc.h"
#include "ratelimit.h"
#include "sig.h"
#include "worker.h"
#include "worker_udp.h"

#define UDP_BATCHES_PER_WAKE 8
#define DROP_LOG_MS	60000
#define RECV_PAUSE_MS	100	/* after recvmmsg fails on a readable socket */
#define RECV_FAILS_MAX	64	/* EAGAIN or EINTR in a row before that */
#define WARN_LOG_MS	10000
#define RL_ENTRIES	65536		/* sources tracked at once */
#define RL_LOG_MS	10000		/* one "over its rate" line per */

static void	 udp_setup(struct worker_udp *);
static void	 take_signals(struct worker_udp *);
static uint64_t	 take_kernel_drops(struct worker_udp *);
static bool	 is_denied(struct worker_udp *, const struct sockaddr *);
static bool	 is_refused(struct worker_udp *, const struct sockaddr *);
static int	 receive(struct worker_udp *, int);
static bool	 reply_pktinfo(struct worker_udp *, struct msghdr *,
		    struct msghdr *);
static void	 drop(struct worker_udp *, enum stat_id);
static uint64_t	 since_logged(struct worker_udp *, enum stat_id);
static void	 log_drops(struct worker_udp *, uint64_t);
static void	 recv_failed(struct worker_udp *, int);
static void	 watch_listeners(struct worker_udp *, bool);
static int	 next_timeout(struct worker_udp *);

static void
udp_setup(struct worker_udp *wu)
{
	struct listener_set *ls = wu->we->ls;
	struct epoll_event ev;
	size_t i;

	if ((wu->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (wu->payload = malloc((size_t)UDP_BATCH * UDP_DGRAM_MAX)) == NULL ||
	    (wu->own_ports = calloc(ls->n, sizeof(*wu->own_ports))) == NULL ||
	    (wu->kernel_drops = calloc(ls->n, sizeof(*wu->kernel_drops))) ==
	    NULL) {
		log_err("setup");
		exit(PROC_EXIT_INIT);
	}
	for (i = 0; i < ls->n; i++) {
		if (ls->l[i].proto != PROTO_UDP || ls->l[i].fd == -1)
			continue;
		wu->own_ports[wu->nown++] =
		    addr_port((struct sockaddr *)&ls->l[i].bound.ss);
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.fd = ls->l[i].fd;
		if (epoll_ctl(wu->epfd, EPOLL_CTL_ADD, ls->l[i].fd,
		    &ev) == -1) {
			log_err("epoll_ctl %s", ls->l[i].name);
			exit(PROC_EXIT_INIT);
		}
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = wu->sigfd;
	if (epoll_ctl(wu->epfd, EPOLL_CTL_ADD, wu->sigfd, &ev) == -1) {
		log_err("epoll_ctl add signalfd");
		exit(PROC_EXIT_INIT);
	}
	if (wu->cf->udp_rate > 0 && (wu->rl = ratelimit_create(RL_ENTRIES,
	    wu->cf->udp_rate, wu->cf->udp_burst)) == NULL) {
		log_err("setup");
		exit(PROC_EXIT_INIT);
	}
	wu->rl_log.interval_ms = RL_LOG_MS;
	for (i = 0; i < UDP_BATCH; i++) {
		wu->slots[i].iov.iov_base = wu->payload + i * UDP_DGRAM_MAX;
		wu->slots[i].iov.iov_len = UDP_DGRAM_MAX;
	}
	udp_load_interfaces(wu);
}

/* Nothing to drain: a datagram in flight is answered or not. */
static void
take_signals(struct worker_udp *wu)
{
	int signo;

	while ((signo = sig_fd_read(wu->sigfd)) > 0) {
		wu->want_exit = true;
		wu->want_quit |= signo == SIGQUIT;
	}
	if (signo == -1) {
		log_warn("read signalfd");
		wu->want_exit = true;
	}
}

/* Datagrams the kernel dropped on the listeners since the last call. */
static uint64_t
take_kernel_drops(struct worker_udp *wu)
{
	struct listener_set *ls = wu->we->ls;
	uint64_t sum = 0;
	uint32_t now;
	size_t i;

	for (i = 0; i < ls->n; i++) {
		if (ls->l[i].proto != PROTO_UDP || ls->l[i].fd == -1)
			continue;
		now = udp_socket_drops(ls->l[i].fd);
		sum += (uint32_t)(now - wu->kernel_drops[i]);
		wu->kernel_drops[i] = now;
	}
	return sum;
}

static bool
is_denied(struct worker_udp *wu, const struct sockaddr *sa)
{
	uint32_t ip[ADDR_EMBED_MAX];
	uint16_t port = addr_port(sa);
	size_t i, k, n;

	/* Two echo services answering each other would loop forever. */
	if (config_port_denied(wu->cf, port)) {
		drop(wu, STAT_UDP_DROPPED_PORT);
		return true;
	}
	for (i = 0; i < wu->nown; i++)
		if (wu->own_ports[i] == port) {
			drop(wu, STAT_UDP_DROPPED_PORT);
			return true;
		}
	if (addr_is_reflector(sa)) {
		drop(wu, STAT_UDP_DROPPED_SOURCE);
		return true;
	}
	/* A 6to4 or NAT64 gateway would carry the reply to the broadcast. */
	n = addr_embedded_ipv4(sa, ip);
	for (k = 0; k < n; k++)
		for (i = 0; i < wu->nbcast; i++)
			if (wu->bcast[i] == ip[k]) {
				drop(wu, STAT_UDP_DROPPED_SOURCE);
				return true;
			}
	return is_refused(wu, sa);
}

/*
 * Who may use the service, and how much.  A datagram refused costs no
 * token.  Two echo services answering each other on ports outside
 * udp.deny_source_ports would loop forever: the rate limit ends it, as
 * the first echo over the rate is the one that is not sent.
 */
static bool
is_refused(struct worker_udp *wu, const struct sockaddr *sa)
{
	char name[ADDR_STRLEN], scope[32] = "";
	struct addr_key k, lk;
	uint64_t suppressed;

	if (!addr_key(sa, &k))
		return false;
	if (!config_permits(wu->cf, &k)) {
		drop(wu, STAT_UDP_DROPPED_ACCESS);
		return true;
	}
	if (wu->rl == NULL || acl_match(wu->cf->exempt, &k))
		return false;
	lk = config_limit_key(wu->cf, &k);
	if (ratelimit_allow(wu->rl, &lk, wu->now_ms))
		return false;
	drop(wu, STAT_UDP_DROPPED_RATE);
	if (lk.hi != k.hi || lk.lo != k.lo)
		(void)snprintf(scope, sizeof(scope), " (with its /%d)",
		    wu->cf->ps_v6_prefix);
	if (log_ratelimit_allow(&wu->rl_log, wu->now_ms, &suppressed))
		log_notice("%s%s is over udp.per_source_rate (%d a "
		    "second, bursts of %d): dropping its datagrams until it "
		    "slows down (%llu more drops not logged)",
		    addr_format(sa, name, sizeof(name)), scope,
		    wu->cf->udp_rate,
		    wu->cf->udp_burst, (unsigned long long)suppressed);
	return true;
}

/*
 * Answer from the address the datagram was sent to: on a host with several
 * addresses, a reply from another one would be dropped by the client.  A
 * datagram sent to a broadcast or multicast address gets no answer at
 * all: one such request would draw replies from every echo service in
 * reach.  False when the datagram is to be dropped for that.
 */
static bool
reply_pktinfo(struct worker_udp *wu, struct msghdr *in, struct msghdr *out)
{
	struct cmsghdr *c, *oc;
	struct in_pktinfo *pi;
	struct in6_pktinfo *pi6;

	out->msg_control = NULL;
	out->msg_controllen = 0;
	for (c = CMSG_FIRSTHDR(in); c != NULL; c = CMSG_NXTHDR(in, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			pi = (struct in_pktinfo *)CMSG_DATA(c);
			/*
			 * The kernel sets ipi_spec_dst to the header's
			 * destination only for unicast to a local address;
			 * for a broadcast (127.255.255.255 on lo included)
			 * or multicast one it names the interface instead.
			 */
			if (pi->ipi_spec_dst.s_addr != pi->ipi_addr.s_addr ||
			    IN_MULTICAST(ntohl(pi->ipi_addr.s_addr)))
				goto group;
			pi->ipi_ifindex = 0;
		} else if (c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_PKTINFO) {
			pi6 = (struct in6_pktinfo *)CMSG_DATA(c);
			if (IN6_IS_ADDR_MULTICAST(&pi6->ipi6_addr))
				goto group;
		} else
			continue;
		out->msg_control = in->msg_control;
		out->msg_controllen = CMSG_SPACE(c->cmsg_len - CMSG_LEN(0));
		oc = CMSG_FIRSTHDR(out);
		if (oc != c)
			memmove(oc, c, c->cmsg_len);
		return true;
	}
	return true;
group:
	drop(wu, STAT_UDP_DROPPED_DEST);
	return false;
}

/*
 * One batch: 1 if the socket may hold more, 0 if drained, -1 if
 * recvmmsg failed (errno).
 */
static int
receive(struct worker_udp *wu, int fd)
{
	struct msghdr *h;
	int i, n, nout;

	for (i = 0; i < UDP_BATCH; i++) {
		h = &wu->in[i].msg_hdr;
		memset(h, 0, sizeof(*h));
		h->msg_name = &wu->slots[i].peer;
		h->msg_namelen = sizeof(wu->slots[i].peer);
		h->msg_iov = &wu->slots[i].iov;
		h->msg_iovlen = 1;
		h->msg_control = wu->slots[i].cmsg.buf;
		h->msg_controllen = sizeof(wu->slots[i].cmsg.buf);
		wu->slots[i].iov.iov_len = UDP_DGRAM_MAX;
	}
	if ((n = recvmmsg(fd, wu->in, UDP_BATCH, MSG_DONTWAIT, NULL)) == -1)
		return -1;
	for (i = nout = 0; i < n; i++) {
		h = &wu->in[i].msg_hdr;
		if (is_denied(wu, h->msg_name))
			continue;
		wu->out[nout].msg_hdr = *h;
		wu->slots[i].iov.iov_len = wu->in[i].msg_len;
		if (reply_pktinfo(wu, h, &wu->out[nout].msg_hdr))
			nout++;
	}
	udp_send_replies(wu, fd, nout);
	return n == UDP_BATCH;
}

/*
 * The socket was readable yet recvmmsg failed.  Now and then that is a
 * race (during a reload two generations' workers read one socket: the
 * loser gets EAGAIN) or a signal (EINTR); RECV_FAILS_MAX times in a row
 * without a datagram, which a spin reaches within a millisecond, or any
 * other error, is a fault that level-triggered epoll would turn into a
 * busy loop: stop watching the listeners for RECV_PAUSE_MS.  Datagrams
 * wait in the kernel.
 */
static void
recv_failed(struct worker_udp *wu, int err)
{
	uint64_t suppressed, now = clock_now_ms();

	if ((err == EAGAIN || err == EWOULDBLOCK || err == EINTR) &&
	    ++wu->recv_fails < RECV_FAILS_MAX)
		return;
	wu->recv_fails = 0;
	if (log_ratelimit_allow(&wu->recv_rl, now, &suppressed))
		log_warnx("recvmmsg: %s; pausing receives for %d "
		    "ms (%llu more since last logged)", strerror(err),
		    RECV_PAUSE_MS, (unsigned long long)suppressed);
	wu->resume_ms = now + RECV_PAUSE_MS;
	watch_listeners(wu, false);
}

static void
watch_listeners(struct worker_udp *wu, bool on)
{
	struct listener_set *ls = wu->we->ls;
	struct epoll_event ev;
	size_t i;

	for (i = 0; i < ls->n; i++) {
		if (ls->l[i].proto != PROTO_UDP || ls->l[i].fd == -1)
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.events = on ? EPOLLIN : 0;
		ev.data.fd = ls->l[i].fd;
		if (epoll_ctl(wu->epfd, EPOLL_CTL_MOD, ls->l[i].fd, &ev) == -1)
			log_warn("epoll_ctl %s", ls->l[i].name);
	}
}

/* The beat (-1: none) or the end of a pause in receiving, if sooner. */
static int
next_timeout(struct worker_udp *wu)
{
	uint64_t now, d;

	if (wu->resume_ms == 0)
		return wu->beat_ms;
	now = clock_now_ms();
	d = wu->resume_ms > now ? wu->resume_ms - now : 0;
	return wu->beat_ms >= 0 && d > (uint64_t)wu->beat_ms ? wu->beat_ms :
	    (int)d;
}

static void
drop(struct worker_udp *wu, enum stat_id why)
{
	scoreboard_count(wu->we->sb, wu->we->board, why, 1);
}

/* What was counted of `k` since the last log line. */
static uint64_t
since_logged(struct worker_udp *wu, enum stat_id k)
{
	uint64_t now = scoreboard_counted(wu->we->sb, wu->we->board, k);
	uint64_t d = now - wu->logged[k];

	wu->logged[k] = now;
	return d;
}

static void
log_drops(struct worker_udp *wu, uint64_t now_ms)
{
	uint64_t kernel, port, source, dest, rate, access;

	if (now_ms - wu->drop_logged_ms < DROP_LOG_MS)
		return;
	/* The filter's drops never reach us: only the sockets count them. */
	if ((kernel = take_kernel_drops(wu)) > 0)
		log_notice("the kernel dropped %llu datagrams "
		    "from forged sources (this host's own addresses, from "
		    "outside), with bad checksums or for a full receive "
		    "buffer in the last %d s", (unsigned long long)kernel,
		    DROP_LOG_MS / 1000);
	port = since_logged(wu, STAT_UDP_DROPPED_PORT);
	source = since_logged(wu, STAT_UDP_DROPPED_SOURCE);
	dest = since_logged(wu, STAT_UDP_DROPPED_DEST);
	rate = since_logged(wu, STAT_UDP_DROPPED_RATE);
	access = since_logged(wu, STAT_UDP_DROPPED_ACCESS);
	if (port + source + dest + rate + access > 0)
		log_notice("dropped %llu datagrams from denied "
		    "source ports, %llu from broadcast, multicast or invalid "
		    "sources, %llu sent to broadcast or multicast "
		    "addresses, %llu over the per-source rate and %llu by the "
		    "access lists in the last %d s", (unsigned long long)port,
		    (unsigned long long)source, (unsigned long long)dest,
		    (unsigned long long)rate, (unsigned long long)access,
		    DROP_LOG_MS / 1000);
	wu->drop_logged_ms = now_ms;
}

void
worker_udp_run(const struct worker_env *we)
{
	struct epoll_event events[16];
	struct worker_udp *wu;
	int i, k, n, r = 0;

	log_procinit("udp worker (generation %d)", we->generation);
	if ((wu = calloc(1, sizeof(*wu))) == NULL) {
		log_err("calloc");
		exit(PROC_EXIT_INIT);
	}
	wu->we = we;
	wu->cf = we->cf;
	wu->sigfd = worker_init(we, "udp worker");
	wu->recv_rl.interval_ms = WARN_LOG_MS;
	wu->send_rl.interval_ms = WARN_LOG_MS;
	udp_setup(wu);
	wu->drop_logged_ms = clock_now_ms();
	wu->beat_ms = monitor_beat_ms(wu->cf->worker_timeout_s);
	log_info("started");
	worker_serving(we);
	while (!wu->want_exit) {
		/* Wake to beat even when idle: a wait is not a hang. */
		n = epoll_wait(wu->epfd, events, 16, next_timeout(wu));
		if (n == -1 && errno != EINTR)
			fatal("epoll_wait");
		wu->now_ms = clock_now_ms();
		scoreboard_beat(we->sb, we->board, wu->now_ms);
		if (wu->resume_ms != 0 && wu->now_ms >= wu->resume_ms) {
			wu->resume_ms = 0;
			watch_listeners(wu, true);
		}
		/*
		 * Drain a busy socket in several batches per wake-up, but
		 * bounded, so one flooded listener cannot starve the others
		 * nor keep a signal waiting.
		 */
		for (i = 0; i < n && !wu->want_exit; i++) {
			if (events[i].data.fd == wu->sigfd) {
				take_signals(wu);
				continue;
			}
			for (k = 0; k < UDP_BATCHES_PER_WAKE &&
			    (r = receive(wu, events[i].data.fd)) == 1; k++)
				wu->recv_fails = 0;
			/* Drained after a batch: no race, nothing wrong. */
			if (r == -1 && k == 0)
				recv_failed(wu, errno);
			else if (r == -1 && errno != EAGAIN &&
			    errno != EWOULDBLOCK && errno != EINTR)
				recv_failed(wu, errno);
			else if (r == 0)
				wu->recv_fails = 0;
		}
		log_drops(wu, clock_now_ms());
	}
	log_drops(wu, clock_now_ms() + DROP_LOG_MS);
	log_info("exiting: echoed %llu datagrams",
	    (unsigned long long)scoreboard_counted(we->sb, we->board,
	    STAT_UDP_ECHOED));
	if (wu->want_quit)
		_exit(0);	/* as the TCP worker's fast stop */
	exit(0);
}
