/* load_tcp.c: load over TCP: pipelined requests on each connection. */

#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "load_proto.h"

#define LOAD_PATTERN_LEN	65536

static int	 tcp_create(struct load *);
static void	 tcp_issue(struct load *, struct lconn *, uint64_t);
static void	 tcp_read(struct load *, struct lconn *, uint64_t);
static void	 tcp_expire(struct load *, struct lconn *, uint64_t);
static uint64_t	*tcp_sent(const struct load *, const struct lconn *);
static void	 tcp_write(struct load *, struct lconn *, uint64_t);
static bool	 tcp_verify(const struct load *, const struct lconn *,
		    const unsigned char *, size_t);
static void	 tcp_complete(struct load *, struct lconn *, uint64_t,
		    uint64_t);

/*
 * The send times of each link's requests in flight, depth of them, one
 * link after the other: the stream is ordered, so they come back in the
 * order they went.
 */
static int
tcp_create(struct load *ld)
{
	const struct opts *o = ld->o;

	ld->depth = (uint32_t)o->pipeline;
	/* Whole requests, repeated: one send() may carry several. */
	ld->pat_len = o->size;
	while (ld->pat_len + o->size <= LOAD_PATTERN_LEN)
		ld->pat_len += o->size;
	ld->proto = calloc((size_t)ld->n * ld->depth, sizeof(uint64_t));
	return ld->proto == NULL ? -1 : 0;
}

static uint64_t *
tcp_sent(const struct load *ld, const struct lconn *c)
{
	return (uint64_t *)ld->proto + (uint64_t)c->idx * ld->depth;
}

/* Queues what may be sent, then writes what the socket takes. */
static void
tcp_issue(struct load *ld, struct lconn *c, uint64_t now)
{
	while (load_link_may_issue(ld, c)) {
		/* --connect-each times the connect as well. */
		tcp_sent(ld, c)[c->issued % ld->depth] =
		    ld->o->connect_each ? c->attempt_ns : now;
		c->issued++;
		c->inflight++;
		c->tx_pending += ld->o->size;
		ld->inflight++;
		ld->started++;
	}
	if (c->can_write)
		tcp_write(ld, c, now);
}

static void
tcp_write(struct load *ld, struct lconn *c, uint64_t now)
{
	size_t off, len;
	ssize_t n;

	while (c->tx_pending > 0) {
		off = c->tx_pos % ld->o->size;
		len = ld->pat_len - off;
		if (len > c->tx_pending)
			len = c->tx_pending;
		n = send(c->fd, ld->pat + off, len, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				c->can_write = false;
				return;
			}
			if (errno == EINTR)
				continue;
			load_link_fail(ld, c, load_err_kind(errno), now);
			return;
		}
		c->tx_pos += (uint64_t)n;
		c->tx_pending -= (uint64_t)n;
		ld->r->bytes_sent += (uint64_t)n;
	}
}

/*
 * Edge-triggered, yet one short read is enough: bytes that arrive after
 * it raise a new edge.  That saves an EAGAIN recv() per message.
 */
static void
tcp_read(struct load *ld, struct lconn *c, uint64_t now)
{
	uint64_t before;
	ssize_t n;

	for (;;) {
		n = recv(c->fd, ld->rx, LOAD_RX_LEN, 0);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			load_link_fail(ld, c, load_err_kind(errno), now);
			return;
		}
		if (n == 0) {
			load_link_fail(ld, c, LOAD_ERR_CLOSED, now);
			return;
		}
		/* More than was sent is as wrong as different bytes. */
		if ((uint64_t)n > c->tx_pos - c->rx_pos ||
		    !tcp_verify(ld, c, ld->rx, (size_t)n)) {
			load_link_fail(ld, c, LOAD_ERR_MISMATCH, now);
			return;
		}
		before = c->rx_pos / ld->o->size;
		c->rx_pos += (uint64_t)n;
		ld->r->bytes_received += (uint64_t)n;
		tcp_complete(ld, c, c->rx_pos / ld->o->size - before, now);
		if (c->fd == -1 || n < LOAD_RX_LEN)
			return;
	}
}

/* Every request carries the same bytes: compare with the pattern in place. */
static bool
tcp_verify(const struct load *ld, const struct lconn *c,
    const unsigned char *p, size_t len)
{
	size_t off = c->rx_pos % ld->o->size, m;

	while (len > 0) {
		m = ld->pat_len - off;
		if (m > len)
			m = len;
		if (memcmp(p, ld->pat + off, m) != 0)
			return false;
		p += m;
		len -= m;
		off = (off + m) % ld->o->size;
	}
	return true;
}

static void
tcp_complete(struct load *ld, struct lconn *c, uint64_t k, uint64_t now)
{
	uint64_t *sent = tcp_sent(ld, c);
	uint64_t first = c->issued - c->inflight, i;

	if (k == 0)
		return;
	for (i = first; i < first + k; i++)
		hist_record(&ld->r->h, now - sent[i % ld->depth]);
	c->inflight -= (uint32_t)k;
	ld->inflight -= k;
	ld->r->requests += k;
	ld->progress_ns = now;
	if (c->inflight == 0)
		load_link_idle(ld, c, now);
	else
		tcp_issue(ld, c, now);
}

/* The oldest request is the first to come back, or to time out. */
static void
tcp_expire(struct load *ld, struct lconn *c, uint64_t now)
{
	uint64_t oldest;

	if (c->inflight == 0) {
		tcp_issue(ld, c, now);
		return;
	}
	oldest = tcp_sent(ld, c)[(c->issued - c->inflight) % ld->depth];
	if (now - oldest > ld->o->timeout_ns)
		load_link_fail(ld, c, LOAD_ERR_TIMEOUT, now);
}

const struct load_ops load_tcp_ops = {
	.create = tcp_create,
	.issue = tcp_issue,
	.read = tcp_read,
	.expire = tcp_expire,
};
