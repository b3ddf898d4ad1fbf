/* listen.c: open, describe and match listening sockets across reloads. */

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "listen.h"
#include "log.h"

#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL	29	/* linux/in6.h; glibc 2.36 lacks it */
#endif

static int	 listen_open(struct listener *, int);
static void	 note_backlog(const struct listener *, int);
static int	 set_options(struct listener *, const char *);
static void	 set_rcvbuf(const struct listener *, int);
static int	 set_opt(int, int, int, const char *, const char *);
static int	 set_opt_val(int, int, int, int, const char *, const char *);
static const struct listener *find_kept(const struct listener_set *,
		    const struct config_listen *, const struct listener_set *);

static int
set_opt(int fd, int level, int opt, const char *opt_name, const char *where)
{
	return set_opt_val(fd, level, opt, 1, opt_name, where);
}

static int
set_opt_val(int fd, int level, int opt, int val, const char *opt_name,
    const char *where)
{
	if (setsockopt(fd, level, opt, &val, sizeof(val)) == -1) {
		log_warn("setsockopt %s on %s", opt_name, where);
		return -1;
	}
	return 0;
}

/* What every listener needs, whoever bound it. */
static int
set_options(struct listener *li, const char *want)
{
	int family = li->want.ss.ss_family;

	/*
	 * Accepted sockets inherit these: echoes are never held back by
	 * Nagle, and an urgent (MSG_OOB) byte stays in the stream, so it is
	 * echoed in place instead of silently dropped.
	 */
	if (li->proto == PROTO_TCP &&
	    (set_opt(li->fd, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY", want) ||
	    set_opt(li->fd, SOL_SOCKET, SO_OOBINLINE, "SO_OOBINLINE", want)))
		return -1;
	/* The UDP worker answers from the address the datagram was sent to. */
	if (li->proto == PROTO_UDP && family == AF_INET &&
	    set_opt(li->fd, IPPROTO_IP, IP_PKTINFO, "IP_PKTINFO", want))
		return -1;
	if (li->proto == PROTO_UDP && family == AF_INET6 &&
	    set_opt(li->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO,
	    "IPV6_RECVPKTINFO", want))
		return -1;
	/*
	 * A wildcard UDP socket would also get datagrams for multicast
	 * groups other programs joined; echod answers none, so take none
	 * (best effort: older kernels lack the IPv6 option).
	 */
	if (li->proto == PROTO_UDP && family == AF_INET)
		(void)set_opt_val(li->fd, IPPROTO_IP, IP_MULTICAST_ALL, 0,
		    "IP_MULTICAST_ALL", want);
	if (li->proto == PROTO_UDP && family == AF_INET6)
		(void)set_opt_val(li->fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0,
		    "IPV6_MULTICAST_ALL", want);
	return 0;
}

static int
listen_open(struct listener *li, int backlog)
{
	char want[ADDR_STRLEN], bound[ADDR_STRLEN];
	int family = li->want.ss.ss_family;
	int type = li->proto == PROTO_TCP ? SOCK_STREAM : SOCK_DGRAM;

	(void)addr_format((struct sockaddr *)&li->want.ss, want, sizeof(want));
	if ((li->fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		log_warn("socket for %s %s", config_proto_name(li->proto),
		    want);
		return -1;
	}
	/* Without V6ONLY, "::" would also take 0.0.0.0's port and clash. */
	if (family == AF_INET6 &&
	    set_opt(li->fd, IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY", want))
		goto fail;
	if (li->proto == PROTO_TCP &&
	    set_opt(li->fd, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR", want))
		goto fail;
	if (set_options(li, want) == -1)
		goto fail;
	if (bind(li->fd, (struct sockaddr *)&li->want.ss, li->want.len) ==
	    -1) {
		log_warn("bind %s %s", config_proto_name(li->proto), want);
		goto fail;
	}
	if (li->proto == PROTO_TCP && listen(li->fd, backlog) == -1) {
		log_warn("listen %s", want);
		goto fail;
	}
	li->bound.len = sizeof(li->bound.ss);
	if (getsockname(li->fd, (struct sockaddr *)&li->bound.ss,
	    &li->bound.len) == -1) {
		log_warn("getsockname %s", want);
		goto fail;
	}
	(void)snprintf(li->name, sizeof(li->name), "%s %s",
	    config_proto_name(li->proto), addr_format(
	    (struct sockaddr *)&li->bound.ss, bound, sizeof(bound)));
	if (li->proto == PROTO_TCP)
		note_backlog(li, backlog);
	return 0;
fail:
	(void)close(li->fd);
	li->fd = -1;
	return -1;
}

/*
 * A socket echod did not open: bound by systemd (socket activation) or
 * by the master before it re-executed.  `want` is the configured address
 * it was opened for, or NULL for the one it is bound to.
 */
int
listen_adopt(struct listener *li, int fd, const struct addr *want)
{
	char bound[ADDR_STRLEN];
	socklen_t len = sizeof(int);
	int type, listening = 0, fl;

	li->fd = fd;
	li->kept = false;
	li->bound.len = sizeof(li->bound.ss);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
	    getsockname(fd, (struct sockaddr *)&li->bound.ss,
	    &li->bound.len) == -1) {
		log_warn("inherited descriptor %d", fd);
		return -1;
	}
	if ((li->bound.ss.ss_family != AF_INET &&
	    li->bound.ss.ss_family != AF_INET6) ||
	    (type != SOCK_STREAM && type != SOCK_DGRAM)) {
		log_warnx("inherited descriptor %d: not an IPv4 or IPv6 "
		    "stream or datagram socket", fd);
		return -1;
	}
	li->proto = type == SOCK_STREAM ? PROTO_TCP : PROTO_UDP;
	li->want = want != NULL ? *want : li->bound;
	(void)snprintf(li->name, sizeof(li->name), "%s %s",
	    config_proto_name(li->proto), addr_format(
	    (struct sockaddr *)&li->bound.ss, bound, sizeof(bound)));
	len = sizeof(listening);
	if (li->proto == PROTO_TCP && (getsockopt(fd, SOL_SOCKET,
	    SO_ACCEPTCONN, &listening, &len) == -1 || !listening)) {
		log_warnx("inherited %s: not listening (systemd's "
		    "Accept=no is what echod needs)", li->name);
		return -1;
	}
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
		log_warn("fcntl %s", li->name);
		return -1;
	}
	return set_options(li, li->name);
}

/*
 * Bursts overflow the kernel's default receive buffer (208 KiB).  Past
 * net.core.rmem_max only CAP_NET_ADMIN may go (SO_RCVBUFFORCE); without
 * it the kernel caps the size, so say what it granted.  A socket kept
 * across a reload gets the new size too.
 */
static void
set_rcvbuf(const struct listener *li, int bytes)
{
	socklen_t len = sizeof(int);
	int got;

	if (setsockopt(li->fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes,
	    sizeof(bytes)) == 0)
		return;
	if (errno != EPERM) {
		log_warn("setsockopt SO_RCVBUFFORCE on %s", li->name);
		return;
	}
	if (setsockopt(li->fd, SOL_SOCKET, SO_RCVBUF, &bytes,
	    sizeof(bytes)) == -1) {
		log_warn("setsockopt SO_RCVBUF on %s", li->name);
		return;
	}
	/* The kernel doubles the size asked for its bookkeeping. */
	if (getsockopt(li->fd, SOL_SOCKET, SO_RCVBUF, &got, &len) == 0 &&
	    got / 2 < bytes)
		log_notice("udp.receive_buffer: %s has %d bytes of the %d "
		    "asked (no CAP_NET_ADMIN: raise net.core.rmem_max)",
		    li->name, got / 2, bytes);
}

/*
 * The old listener to carry over for `cl`, one not yet taken by an
 * earlier entry of `set`: two "port = 0" entries on one address match the
 * same configuration, and each must keep a socket of its own.
 */
static const struct listener *
find_kept(const struct listener_set *old, const struct config_listen *cl,
    const struct listener_set *set)
{
	size_t i, j;

	if (old == NULL)
		return NULL;
	for (i = 0; i < old->n; i++) {
		if (old->l[i].fd == -1 || old->l[i].proto != cl->proto ||
		    !addr_equal(&old->l[i].want, &cl->addr))
			continue;
		for (j = 0; j < set->n; j++)
			if (set->l[j].fd == old->l[i].fd)
				break;
		if (j == set->n)
			return &old->l[i];
	}
	return NULL;
}

int
listen_open_all(const struct config *cf, const struct listener_set *old,
    struct listener_set *set)
{
	const struct listener *prev;
	struct listener *li;
	size_t i;

	set->n = 0;
	if ((set->l = calloc(cf->nlistens, sizeof(*set->l))) == NULL) {
		log_warn("calloc %zu listeners", cf->nlistens);
		return -1;
	}
	for (i = 0; i < cf->nlistens; i++) {
		li = &set->l[i];
		if ((prev = find_kept(old, &cf->listens[i], set)) != NULL) {
			*li = *prev;
			li->kept = true;
		} else {
			li->proto = cf->listens[i].proto;
			li->want = cf->listens[i].addr;
			li->kept = false;
			if (listen_open(li, cf->backlog) == -1)
				goto fail;
		}
		set->n++;
		li->proxy = cf->listens[i].proxy_protocol;
		if (li->proto == PROTO_UDP && cf->udp_rcvbuf > 0)
			set_rcvbuf(li, cf->udp_rcvbuf);
	}
	return 0;
fail:
	for (i = 0; i < set->n; i++)
		if (!set->l[i].kept)
			(void)close(set->l[i].fd);
	free(set->l);
	set->l = NULL;
	set->n = 0;
	return -1;
}

/* A new backlog applies to a socket already listening, too. */
void
listen_set_backlog(struct listener_set *set, int backlog)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		if (!set->l[i].kept || set->l[i].proto != PROTO_TCP)
			continue;
		if (listen(set->l[i].fd, backlog) == -1)
			log_warn("listen %s (new backlog %d)", set->l[i].name,
			    backlog);
		else
			note_backlog(&set->l[i], backlog);
	}
}

/*
 * The kernel silently caps a backlog at net.core.somaxconn, and a burst
 * of connects then overflows the queue (the clients wait seconds in SYN
 * retransmission).  A listening socket's TCP_INFO reports the queue's
 * real size in tcpi_sacked, which needs no /proc/sys, hidden from the
 * service by ProcSubset=pid.
 */
static void
note_backlog(const struct listener *li, int backlog)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(li->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == -1 ||
	    ti.tcpi_sacked == 0 || ti.tcpi_sacked >= (unsigned)backlog)
		return;
	log_notice("listen %s: tcp.backlog %d is above what the kernel "
	    "grants, %u (raise net.core.somaxconn to get more)", li->name,
	    backlog, ti.tcpi_sacked);
}

/* Undo a listen_open_all whose result will not be used. */
void
listen_abandon(struct listener_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (!set->l[i].kept)
			(void)close(set->l[i].fd);
	listen_free(set);
}

void
listen_close_except(struct listener_set *set, const struct listener_set *keep,
    bool say)
{
	size_t i, j;
	bool kept;

	for (i = 0; i < set->n; i++) {
		kept = false;
		for (j = 0; keep != NULL && j < keep->n; j++)
			if (keep->l[j].fd == set->l[i].fd)
				kept = true;
		if (!kept && set->l[i].fd != -1) {
			if (say)
				log_notice("closed listener %s", set->l[i].name);
			(void)close(set->l[i].fd);
		}
		set->l[i].fd = -1;
	}
}

void
listen_close_all(struct listener_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		if (set->l[i].fd != -1)
			(void)close(set->l[i].fd);
		set->l[i].fd = -1;
	}
}

void
listen_free(struct listener_set *set)
{
	free(set->l);
	set->l = NULL;
	set->n = 0;
}

void
listen_keep_only(struct listener_set *set, enum config_proto keep)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (set->l[i].proto != keep && set->l[i].fd != -1) {
			(void)close(set->l[i].fd);
			set->l[i].fd = -1;
		}
}

size_t
listen_count(const struct listener_set *set, enum config_proto proto)
{
	size_t i, n = 0;

	for (i = 0; i < set->n; i++)
		if (set->l[i].proto == proto && set->l[i].fd != -1)
			n++;
	return n;
}
