/* load_udp.c: load over UDP: a window of datagrams in flight per socket. */

#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "load_proto.h"
#include "probe.h"

/*
 * Datagrams per sendmmsg() and recvmmsg().  One call per datagram made
 * the client cost as much CPU as the server it measures; a batch of a
 * window's worth costs one call.
 */
#define UDP_BATCH_MAX		64
/* Receive buffers per process stay this small, whatever the size. */
#define UDP_RX_BYTES		(1024 * 1024)
#define LOAD_UDP_ERRORS_MAX	16

/* A UDP datagram in flight; seq 0 marks a free slot. */
struct uslot {
	uint64_t	 seq;
	uint64_t	 sent_ns;
};

/*
 * One block: the batches' headers and buffers, then each link's slots,
 * nslots of them, one link after the other.
 */
struct load_udp {
	uint32_t	 nslots;	/* 2 x window, see udp_reply */
	uint32_t	 tx_batch;
	uint32_t	 rx_batch;
	size_t		 rx_len;	/* size + 1: a longer reply shows */
	struct mmsghdr	*tx;
	struct iovec	*tx_iov;	/* two a datagram: header, the rest */
	unsigned char	*tx_hdr;
	struct mmsghdr	*rx;
	struct iovec	*rx_iov;
	unsigned char	*rx_buf;
	struct uslot	 slots[];
};

static int	 udp_create(struct load *);
static void	 udp_batches(struct load_udp *, size_t);
static void	 udp_issue(struct load *, struct lconn *, uint64_t);
static uint32_t	 udp_prepare(struct load *, struct lconn *, uint64_t);
static void	 udp_sent(struct load *, struct lconn *, uint32_t, uint64_t);
static void	 udp_send_error(struct load *, struct lconn *, int);
static void	 udp_read(struct load *, struct lconn *, uint64_t);
static void	 udp_expire(struct load *, struct lconn *, uint64_t);
static struct uslot *udp_slots(const struct load *, const struct lconn *);
static void	 udp_reply(struct load *, struct lconn *,
		    const unsigned char *, size_t, uint64_t);
static void	 udp_icmp_error(struct load *, struct lconn *, int);
static void	 udp_end(struct load *, struct lconn *, struct uslot *,
		    enum load_err);
static void	 udp_timeouts(struct load *, struct lconn *, uint64_t);

/*
 * One datagram is one request: the pattern is sent whole each time.  A
 * receive batch larger than a window ends short once the socket is
 * empty, which is what lets udp_read stop without an EAGAIN call.
 */
static int
udp_create(struct load *ld)
{
	struct load_udp *u;
	uint32_t nslots, tx, rx;
	size_t rx_len = ld->o->size + 1, len;

	ld->depth = (uint32_t)ld->o->window;
	ld->pat_len = ld->o->size;
	nslots = 2 * ld->depth;
	tx = ld->depth < UDP_BATCH_MAX ? ld->depth : UDP_BATCH_MAX;
	rx = nslots < UDP_BATCH_MAX ? nslots : UDP_BATCH_MAX;
	if (rx < 8)
		rx = 8;
	if (rx > UDP_RX_BYTES / rx_len)
		rx = UDP_RX_BYTES / rx_len > 2 ? UDP_RX_BYTES / rx_len : 2;
	len = sizeof(*u) + (size_t)ld->n * nslots * sizeof(u->slots[0]) +
	    tx * (sizeof(*u->tx) + 2 * sizeof(*u->tx_iov) + PROBE_HDR_LEN) +
	    rx * (sizeof(*u->rx) + sizeof(*u->rx_iov) + rx_len);
	if ((ld->proto = u = calloc(1, len)) == NULL)
		return -1;
	u->nslots = nslots;
	u->tx_batch = tx;
	u->rx_batch = rx;
	u->rx_len = rx_len;
	udp_batches(u, (size_t)ld->n * nslots);
	return 0;
}

/*
 * The batches live in the block after the slots, arrays of structs first
 * (their sizes keep the next one aligned), bytes last.  The pattern's
 * address is not known yet: udp_prepare sets it.
 */
static void
udp_batches(struct load_udp *u, size_t nslots)
{
	unsigned char *p;
	uint32_t i;

	u->tx = (struct mmsghdr *)(void *)&u->slots[nslots];
	u->rx = u->tx + u->tx_batch;
	u->tx_iov = (struct iovec *)(void *)(u->rx + u->rx_batch);
	u->rx_iov = u->tx_iov + 2 * u->tx_batch;
	u->tx_hdr = (unsigned char *)(u->rx_iov + u->rx_batch);
	u->rx_buf = u->tx_hdr + (size_t)u->tx_batch * PROBE_HDR_LEN;
	for (i = 0; i < u->tx_batch; i++) {
		u->tx_iov[2 * i].iov_base = u->tx_hdr + i * PROBE_HDR_LEN;
		u->tx_iov[2 * i].iov_len = PROBE_HDR_LEN;
		u->tx[i].msg_hdr.msg_iov = &u->tx_iov[2 * i];
		u->tx[i].msg_hdr.msg_iovlen = 2;
	}
	for (i = 0, p = u->rx_buf; i < u->rx_batch; i++, p += u->rx_len) {
		u->rx_iov[i].iov_base = p;
		u->rx_iov[i].iov_len = u->rx_len;
		u->rx[i].msg_hdr.msg_iov = &u->rx_iov[i];
		u->rx[i].msg_hdr.msg_iovlen = 1;
	}
}

static struct uslot *
udp_slots(const struct load *ld, const struct lconn *c)
{
	struct load_udp *u = ld->proto;

	return &u->slots[(uint64_t)c->idx * u->nslots];
}

/* All the window allows goes out, a batch to each system call. */
static void
udp_issue(struct load *ld, struct lconn *c, uint64_t now)
{
	struct load_udp *u = ld->proto;
	uint32_t k;
	int n;

	/* A new connection starts with none of the last one's in flight. */
	if (c->issued == 0)
		memset(udp_slots(ld, c), 0, u->nslots * sizeof(u->slots[0]));
	while (c->can_write && (k = udp_prepare(ld, c, now)) > 0) {
		if ((n = sendmmsg(c->fd, u->tx, k, 0)) == -1) {
			if (errno == EINTR)
				continue;
			udp_send_error(ld, c, errno);
			return;
		}
		udp_sent(ld, c, (uint32_t)n, now);
	}
}

/* Headers for the next datagrams the window and the free slots allow. */
static uint32_t
udp_prepare(struct load *ld, struct lconn *c, uint64_t now)
{
	struct load_udp *u = ld->proto;
	struct uslot *slots = udp_slots(ld, c), *slot;
	uint64_t quota = load_link_quota(ld, c);
	struct probe_hdr h;
	uint32_t k;

	h.run_id = ld->run_id + c->idx;
	h.sent_ns = now;
	for (k = 0; k < quota && k < u->tx_batch; k++) {
		h.seq = c->issued + 1 + k;
		slot = &slots[h.seq % u->nslots];
		/* A slot still waiting for its reply (or its timeout). */
		if (slot->seq != 0 && slot->sent_ns != 0)
			break;
		probe_header(u->tx_hdr + k * PROBE_HDR_LEN, &h);
		u->tx_iov[2 * k + 1].iov_base = ld->pat + PROBE_HDR_LEN;
		u->tx_iov[2 * k + 1].iov_len = ld->o->size - PROBE_HDR_LEN;
	}
	return k;
}

/* The first n of the batch went out: they are in flight from now on. */
static void
udp_sent(struct load *ld, struct lconn *c, uint32_t n, uint64_t now)
{
	struct load_udp *u = ld->proto;
	struct uslot *slot;
	uint32_t i;

	for (i = 0; i < n; i++) {
		c->issued++;
		slot = &udp_slots(ld, c)[c->issued % u->nslots];
		slot->seq = c->issued;
		slot->sent_ns = now;
	}
	c->inflight += n;
	ld->inflight += n;
	ld->started += n;
	ld->r->bytes_sent += (uint64_t)n * ld->o->size;
}

/*
 * A connected socket reports an ICMP error at its next send as well as
 * at its next receive: then it is an earlier datagram's, not this one's,
 * which was not sent.
 */
static void
udp_send_error(struct load *ld, struct lconn *c, int error)
{
	if (error == EAGAIN || error == EWOULDBLOCK)
		c->can_write = false;
	else if (error == ECONNREFUSED)
		udp_icmp_error(ld, c, error);
	else
		ld->r->errors[load_err_kind(error)]++;
}

/*
 * Edge-triggered, yet a short batch is enough: the socket was empty then,
 * and a datagram that arrives after it raises a new edge.  That saves an
 * EAGAIN call per wake-up.  An ICMP error left pending behind a short
 * batch shows at the send that follows.
 */
static void
udp_read(struct load *ld, struct lconn *c, uint64_t now)
{
	struct load_udp *u = ld->proto;
	int errs = 0, i, n;

	for (;;) {
		n = recvmmsg(c->fd, u->rx, u->rx_batch, MSG_DONTWAIT, NULL);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			/*
			 * Read on: edge-triggered epoll will not report the
			 * datagrams behind the error again.  A bound keeps
			 * an odd errno from spinning.
			 */
			udp_icmp_error(ld, c, errno);
			if (++errs >= LOAD_UDP_ERRORS_MAX)
				break;
			continue;
		}
		for (i = 0; i < n; i++)
			udp_reply(ld, c, u->rx_buf + (size_t)i * u->rx_len,
			    u->rx[i].msg_len, now);
		if ((uint32_t)n < u->rx_batch)
			break;
	}
	udp_issue(ld, c, now);
}

/*
 * A reply is known by its header (run, seq and send time); a known reply
 * with other bytes or another length ends its request as a mismatch, at
 * once, so that it does not also time out.  One whose header is damaged
 * names no request: it counts as a mismatch alone.
 */
static void
udp_reply(struct load *ld, struct lconn *c, const unsigned char *p,
    size_t len, uint64_t now)
{
	struct load_udp *u = ld->proto;
	size_t hl = PROBE_HDR_LEN;
	struct uslot *slot;
	struct probe_hdr h;
	bool intact;

	ld->r->bytes_received += len;
	if (!probe_parse(p, len, ld->run_id + c->idx, &h) || h.seq == 0) {
		ld->r->errors[LOAD_ERR_MISMATCH]++;
		return;
	}
	slot = &udp_slots(ld, c)[h.seq % u->nslots];
	intact = len == ld->o->size &&
	    memcmp(p + hl, ld->pat + hl, len - hl) == 0;
	if (slot->seq == h.seq && slot->sent_ns == h.sent_ns) {
		if (!intact) {
			udp_end(ld, c, slot, LOAD_ERR_MISMATCH);
			return;
		}
		hist_record(&ld->r->h, now - slot->sent_ns);
		slot->sent_ns = 0;
		c->inflight--;
		ld->inflight--;
		ld->r->requests++;
		ld->progress_ns = now;
		return;
	}
	/*
	 * An answered slot keeps its seq with sent_ns 0 until reused, so a
	 * second copy of the same reply is told apart from a late one; with
	 * twice as many slots as datagrams in flight, a slot is reused only
	 * a window's worth of requests after its answer.
	 */
	if (!intact)
		ld->r->errors[LOAD_ERR_MISMATCH]++;
	else if (slot->seq == h.seq && slot->sent_ns == 0)
		ld->r->duplicates++;
	else
		ld->r->late++;
}

/*
 * An ICMP error (port unreachable: ECONNREFUSED) answers a datagram in
 * flight without saying which: the oldest is the likeliest.  Ending it
 * here counts it once, not again at its timeout; with none in flight,
 * the error is about one that timed out already and is counted as such.
 * Errors that arrive together are reported once, so some datagrams to a
 * closed port still end as timeouts.
 */
static void
udp_icmp_error(struct load *ld, struct lconn *c, int error)
{
	struct load_udp *u = ld->proto;
	struct uslot *slot = udp_slots(ld, c), *oldest = NULL;
	uint32_t i;

	for (i = 0; i < u->nslots; i++)
		if (slot[i].seq != 0 && slot[i].sent_ns != 0 &&
		    (oldest == NULL || slot[i].seq < oldest->seq))
			oldest = &slot[i];
	if (oldest != NULL)
		udp_end(ld, c, oldest, load_err_kind(error));
}

/* A request in flight ends unanswered; a reply to it after is late. */
static void
udp_end(struct load *ld, struct lconn *c, struct uslot *slot,
    enum load_err kind)
{
	slot->seq = 0;
	c->inflight--;
	ld->inflight--;
	ld->r->errors[kind]++;
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
		udp_end(ld, c, &slot[i], LOAD_ERR_TIMEOUT);
	}
}

const struct load_ops load_udp_ops = {
	.create = udp_create,
	.issue = udp_issue,
	.read = udp_read,
	.expire = udp_expire,
};
