/* ping_tcp.c: probe mode over TCP: one probe at a time on one connection. */

#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "net.h"
#include "ping_proto.h"

/*
 * TCP probes go one at a time: the stream is ordered, so a timed-out
 * probe's echo could arrive inside the next one's.  A timeout, error or
 * mismatch therefore closes the connection; the next probe opens another.
 */
struct ping_tcp {
	bool			 busy;		/* a probe is in flight */
	bool			 connecting;
	struct probe_hdr	 hdr;		/* that probe */
	uint64_t		 write_ns;
	uint64_t		 deadline_ns;
	size_t			 tx_off;
	size_t			 rx_off;
	unsigned char		 rx[];		/* o->size bytes */
};

static int	 tcp_open(struct ping *);
static void	 tcp_expire(struct ping *, uint64_t, struct ping_due *);
static void	 tcp_start(struct ping *, uint64_t);
static void	 tcp_ready(struct ping *, short, uint64_t);
static void	 tcp_timeout(struct ping *, uint64_t);
static void	 tcp_drop(struct ping *);
static void	 tcp_fail(struct ping *, const char *, int);
static void	 tcp_connected(struct ping *, uint64_t);
static void	 tcp_write(struct ping *);
static void	 tcp_read(struct ping *, uint64_t);
static void	 tcp_answer(struct ping *, uint64_t);
static void	 tcp_idle_read(struct ping *);

/* No socket yet: a probe opens one whenever there is none. */
static int
tcp_open(struct ping *p)
{
	size_t len = sizeof(struct ping_tcp) + p->o->size;

	if ((p->proto = calloc(1, len)) == NULL) {
		log_warn("malloc %zu bytes", len);
		return -1;
	}
	return 0;
}

static void
tcp_expire(struct ping *p, uint64_t now, struct ping_due *due)
{
	struct ping_tcp *tc = p->proto;

	tcp_timeout(p, now);
	due->in_flight = tc->busy ? 1 : 0;
	due->full = tc->busy;
	due->timeout_ns = tc->busy ? tc->deadline_ns : UINT64_MAX;
	due->events = 0;
	if (!tc->connecting)
		due->events |= POLLIN;
	if (tc->busy && (tc->connecting || tc->tx_off < p->o->size))
		due->events |= POLLOUT;
}

static void
tcp_timeout(struct ping *p, uint64_t now)
{
	struct ping_tcp *tc = p->proto;

	if (!tc->busy || now < tc->deadline_ns)
		return;
	tc->busy = false;
	if (p->verbose)
		printf("seq=%llu: no %s within %llu ms\n",
		    (unsigned long long)p->seq,
		    tc->connecting ? "connection" : "reply",
		    (unsigned long long)(p->o->timeout_ns / 1000000));
	tcp_drop(p);
}

/* Closes the connection; the next probe opens another. */
static void
tcp_drop(struct ping *p)
{
	struct ping_tcp *tc = p->proto;

	ping_close_fd(p);
	tc->connecting = false;
}

static void
tcp_start(struct ping *p, uint64_t now)
{
	struct ping_tcp *tc = p->proto;
	const char *what;
	bool in_progress;

	ping_next_probe(p, now, &tc->hdr);
	tc->busy = true;
	tc->deadline_ns = now + p->o->timeout_ns;
	tc->write_ns = now;
	tc->tx_off = tc->rx_off = 0;
	if (p->fd != -1)
		return;
	if ((p->fd = net_open(p->t, NULL, &in_progress, &what)) == -1) {
		tcp_fail(p, what, errno);
		return;
	}
	tc->connecting = in_progress;
	if (!in_progress)
		tcp_connected(p, now);
}

static void
tcp_fail(struct ping *p, const char *what, int error)
{
	struct ping_tcp *tc = p->proto;

	p->errors++;
	tc->busy = false;
	tcp_drop(p);
	if (p->verbose)
		printf("seq=%llu: %s %s: %s\n", (unsigned long long)p->seq,
		    what, p->t->name, strerror(error));
}

static void
tcp_connected(struct ping *p, uint64_t now)
{
	struct ping_tcp *tc = p->proto;
	char ms[32];

	tc->connecting = false;
	tc->write_ns = now;
	if (p->verbose && !p->o->connect_each)
		printf("connected to %s in %s ms\n", p->t->name,
		    rtt_format_us((long)((now - tc->hdr.sent_ns) / 1000),
		    ms, sizeof(ms)));
}

static void
tcp_ready(struct ping *p, short revents, uint64_t now)
{
	struct ping_tcp *tc = p->proto;

	/* An answer past -W is a timeout, whichever check runs first. */
	tcp_timeout(p, now);
	if (!tc->busy) {
		if (p->fd != -1)
			tcp_idle_read(p);
		return;
	}
	if (tc->connecting) {
		if (net_connect_result(p->fd) == -1) {
			tcp_fail(p, "connect", errno);
			return;
		}
		tcp_connected(p, now);
	}
	if (revents & (POLLOUT | POLLERR | POLLHUP))
		tcp_write(p);
	if (tc->busy && (revents & (POLLIN | POLLERR | POLLHUP)))
		tcp_read(p, clock_now_ns());
}

static void
tcp_write(struct ping *p)
{
	struct ping_tcp *tc = p->proto;
	ssize_t n;

	while (tc->busy && tc->tx_off < p->o->size) {
		n = send(p->fd, p->tx + tc->tx_off, p->o->size - tc->tx_off,
		    MSG_NOSIGNAL);
		if (n > 0) {
			tc->tx_off += (size_t)n;
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		if (errno != EINTR)
			tcp_fail(p, "send to", errno);
	}
}

static void
tcp_read(struct ping *p, uint64_t now)
{
	struct ping_tcp *tc = p->proto;
	ssize_t n;

	while (tc->rx_off < p->o->size) {
		n = recv(p->fd, tc->rx + tc->rx_off, p->o->size - tc->rx_off,
		    MSG_DONTWAIT);
		if (n > 0) {
			tc->rx_off += (size_t)n;
			continue;
		}
		if (n == 0) {
			p->errors++;
			tc->busy = false;
			tcp_drop(p);
			if (p->verbose)
				printf("seq=%llu: connection closed by %s "
				    "after %zu of %zu bytes\n",
				    (unsigned long long)p->seq, p->t->name,
				    tc->rx_off, p->o->size);
			return;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		if (errno != EINTR) {
			tcp_fail(p, "recv from", errno);
			return;
		}
	}
	tcp_answer(p, now);
}

/* The whole echo is in: it matches the probe, or the link is suspect. */
static void
tcp_answer(struct ping *p, uint64_t now)
{
	struct ping_tcp *tc = p->proto;
	uint64_t rtt;
	long at;

	tc->busy = false;
	if ((at = probe_diff(tc->rx, p->o->size, &tc->hdr)) >= 0) {
		p->corrupted++;
		tcp_drop(p);
		if (p->verbose)
			printf("seq=%llu: reply differs from the probe at "
			    "byte %ld\n", (unsigned long long)p->seq, at);
		return;
	}
	rtt = now - (p->o->connect_each ? tc->hdr.sent_ns : tc->write_ns);
	p->received++;
	rtt_add(&p->rtt, rtt);
	ping_reply_line(p, p->seq, rtt, "");
	if (p->o->connect_each)
		tcp_drop(p);
}

/* Between probes the server owes nothing: EOF or stray bytes end the link. */
static void
tcp_idle_read(struct ping *p)
{
	struct ping_tcp *tc = p->proto;
	ssize_t n;

	n = recv(p->fd, tc->rx, p->o->size, MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return;
	if (p->verbose) {
		if (n == 0)
			printf("connection closed by %s; the next probe "
			    "reconnects\n", p->t->name);
		else if (n > 0)
			printf("%zd unexpected bytes from %s between probes; "
			    "reconnecting\n", n, p->t->name);
		else
			printf("recv from %s: %s\n", p->t->name,
			    strerror(errno));
	}
	if (n > 0)
		p->corrupted++;
	tcp_drop(p);
}

const struct ping_ops ping_tcp_ops = {
	.open = tcp_open,
	.expire = tcp_expire,
	.send = tcp_start,
	.ready = tcp_ready,
};
