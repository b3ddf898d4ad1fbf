/* load_udp.c: load over UDP: a window of datagrams in flight per socket. */

#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "load_proto.h"
#include "probe.h"

#define LOAD_UDP_ERRORS_MAX	16

/* A UDP datagram in flight; seq 0 marks a free slot. */
struct uslot {
	uint64_t	 seq;
	uint64_t	 sent_ns;
};

/* Each link's slots, nslots of them, one link after the other. */
struct load_udp {
	uint32_t	 nslots;	/* 2 x window, see udp_reply */
	struct uslot	 slots[];
};

static int	 udp_create(struct load *);
static void	 udp_issue(struct load *, struct lconn *, uint64_t);
static void	 udp_read(struct load *, struct lconn *, uint64_t);
static void	 udp_expire(struct load *, struct lconn *, uint64_t);
static struct uslot *udp_slots(const struct load *, const struct lconn *);
static void	 udp_reply(struct load *, struct lconn *, size_t, uint64_t);
static void	 udp_timeouts(struct load *, struct lconn *, uint64_t);

/* One datagram is one request: the pattern is sent whole each time. */
static int
udp_create(struct load *ld)
{
	struct load_udp *u;
	uint32_t nslots;

	ld->depth = (uint32_t)ld->o->window;
	ld->pat_len = ld->o->size;
	nslots = 2 * ld->depth;
	u = calloc(1, sizeof(*u) + (size_t)ld->n * nslots *
	    sizeof(u->slots[0]));
	if ((ld->proto = u) == NULL)
		return -1;
	u->nslots = nslots;
	return 0;
}

static struct uslot *
udp_slots(const struct load *ld, const struct lconn *c)
{
	struct load_udp *u = ld->proto;

	return &u->slots[(uint64_t)c->idx * u->nslots];
}

static void
udp_issue(struct load *ld, struct lconn *c, uint64_t now)
{
	struct load_udp *u = ld->proto;
	struct uslot *slot;
	struct probe_hdr h;

	/* A new connection starts with none of the last one's in flight. */
	if (c->issued == 0)
		memset(udp_slots(ld, c), 0, u->nslots * sizeof(*slot));
	while (c->can_write && load_link_may_issue(ld, c)) {
		slot = &udp_slots(ld, c)[(c->issued + 1) % u->nslots];
		/* A slot still waiting for its reply (or its timeout). */
		if (slot->seq != 0 && slot->sent_ns != 0)
			return;
		h.run_id = ld->run_id + c->idx;
		h.seq = c->issued + 1;
		h.sent_ns = now;
		probe_header(ld->pat, &h);
		if (send(c->fd, ld->pat, ld->o->size, 0) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				c->can_write = false;
			else if (errno != EINTR)
				ld->r->errors[load_err_kind(errno)]++;
			return;
		}
		c->issued++;
		slot->seq = c->issued;
		slot->sent_ns = now;
		c->inflight++;
		ld->inflight++;
		ld->started++;
		ld->r->bytes_sent += ld->o->size;
	}
}

static void
udp_read(struct load *ld, struct lconn *c, uint64_t now)
{
	ssize_t n;
	int errs = 0;

	for (;;) {
		n = recv(c->fd, ld->rx, LOAD_RX_LEN, 0);
		if (n >= 0) {
			udp_reply(ld, c, (size_t)n, now);
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		if (errno == EINTR)
			continue;
		/*
		 * An ICMP error queued on the socket: count it and read on,
		 * since edge-triggered epoll will not report the datagrams
		 * behind it again; a bound keeps an odd errno from spinning.
		 */
		ld->r->errors[load_err_kind(errno)]++;
		if (++errs >= LOAD_UDP_ERRORS_MAX)
			break;
	}
	udp_issue(ld, c, now);
}

static void
udp_reply(struct load *ld, struct lconn *c, size_t len, uint64_t now)
{
	struct load_udp *u = ld->proto;
	size_t hl = PROBE_HDR_LEN;
	struct uslot *slot;
	struct probe_hdr h;

	ld->r->bytes_received += len;
	if (len != ld->o->size || !probe_parse(ld->rx, len,
	    ld->run_id + c->idx, &h) || memcmp(ld->rx + hl, ld->pat + hl,
	    len - hl) != 0) {
		ld->r->errors[LOAD_ERR_MISMATCH]++;
		return;
	}
	slot = &udp_slots(ld, c)[h.seq % u->nslots];
	/*
	 * An answered slot keeps its seq with sent_ns 0 until reused, so a
	 * second copy of the same reply is told apart from a late one; with
	 * twice as many slots as datagrams in flight, a slot is reused only
	 * a window's worth of requests after its answer.
	 */
	if (slot->seq == h.seq && h.seq != 0 && slot->sent_ns == 0) {
		ld->r->duplicates++;
		return;
	}
	if (slot->seq != h.seq || h.seq == 0) {
		ld->r->late++;
		return;
	}
	hist_record(&ld->r->h, now - slot->sent_ns);
	slot->sent_ns = 0;
	c->inflight--;
	ld->inflight--;
	ld->r->requests++;
	ld->progress_ns = now;
}

/* Lost datagrams free their slots, and the window sends more. */
static void
udp_expire(struct load *ld, struct lconn *c, uint64_t now)
{
	udp_timeouts(ld, c, now);
	udp_issue(ld, c, now);
}

static void
udp_timeouts(struct load *ld, struct lconn *c, uint64_t now)
{
	struct load_udp *u = ld->proto;
	struct uslot *slot = udp_slots(ld, c);
	uint32_t i;

	for (i = 0; c->inflight > 0 && i < u->nslots; i++) {
		if (slot[i].seq == 0 || slot[i].sent_ns == 0 ||
		    now - slot[i].sent_ns <= ld->o->timeout_ns)
			continue;
		slot[i].seq = 0;
		c->inflight--;
		ld->inflight--;
		ld->r->errors[LOAD_ERR_TIMEOUT]++;
	}
}

const struct load_ops load_udp_ops = {
	.create = udp_create,
	.issue = udp_issue,
	.read = udp_read,
	.expire = udp_expire,
};
