/* ping_udp.c: probe mode over UDP: datagrams in flight, told apart by seq. */

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
 * UDP probes in flight are remembered in a ring indexed by seq: enough to
 * tell a late reply (its probe timed out) and a duplicate (its probe was
 * answered) from a lost one.  Sending waits rather than overwrite a probe
 * still pending, so memory stays bounded whatever -i and -W say.
 */
#define PING_SLOTS	4096
#define UDP_RX_LEN	65536

enum slot_state { SLOT_PENDING, SLOT_DONE, SLOT_CORRUPT, SLOT_TIMEDOUT };

struct slot {
	uint64_t	 seq;
	uint64_t	 sent_ns;
	enum slot_state	 state;
};

struct ping_udp {
	uint64_t	 oldest;	/* lowest unresolved seq */
	uint64_t	 highest;	/* highest seq answered */
	struct slot	 slots[PING_SLOTS];
	unsigned char	 rx[UDP_RX_LEN];
};

static int	 udp_open(struct ping *);
static void	 udp_expire(struct ping *, uint64_t, struct ping_due *);
static void	 udp_send(struct ping *, uint64_t);
static void	 udp_ready(struct ping *, short, uint64_t);
static void	 udp_recv(struct ping *);
static void	 udp_reply(struct ping *, size_t, uint64_t);
static bool	 udp_late(struct ping *, struct slot *, uint64_t);
static void	 udp_answer(struct ping *, struct slot *, size_t, uint64_t);

static int
udp_open(struct ping *p)
{
	struct ping_udp *u;
	bool in_progress;
	const char *what;

	if ((p->proto = u = calloc(1, sizeof(*u))) == NULL) {
		log_warn("malloc %zu bytes", sizeof(*u));
		return -1;
	}
	u->oldest = 1;
	/* Connected: replies from anyone else are never read. */
	if ((p->fd = net_open(p->t, NULL, &in_progress, &what)) == -1) {
		log_warn("%s %s", what, p->t->name);
		return -1;
	}
	return 0;
}

static void
udp_ready(struct ping *p, short revents, uint64_t now)
{
	(void)revents;
	(void)now;
	udp_recv(p);
}

/*
 * Takes in what has come back before the next send, or with -i 0 a burst
 * of probes overflows our own receive buffer and reports that as loss.
 */
static void
udp_send(struct ping *p, uint64_t now)
{
	struct ping_udp *u = p->proto;
	struct probe_hdr h;
	struct slot *s;

	ping_next_probe(p, now, &h);
	s = &u->slots[p->seq % PING_SLOTS];
	s->seq = p->seq;
	s->sent_ns = now;
	s->state = SLOT_PENDING;
	if (send(p->fd, p->tx, p->o->size, 0) == -1) {
		p->errors++;
		s->state = SLOT_TIMEDOUT;
		if (p->verbose)
			printf("seq=%llu: send to %s: %s\n",
			    (unsigned long long)p->seq, p->t->name,
			    strerror(errno));
	}
	udp_recv(p);
}

static void
udp_recv(struct ping *p)
{
	struct ping_udp *u = p->proto;
	ssize_t n;

	for (;;) {
		n = recv(p->fd, u->rx, UDP_RX_LEN, MSG_DONTWAIT);
		if (n >= 0) {
			udp_reply(p, (size_t)n, clock_now_ns());
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		/* An ICMP error for an earlier datagram, e.g. port closed. */
		p->errors++;
		if (p->verbose)
			printf("recv from %s: %s\n", p->t->name,
			    strerror(errno));
		return;
	}
}

/* Tell a reply apart: answer, reordered, duplicate, late, or corrupted. */
static void
udp_reply(struct ping *p, size_t len, uint64_t now)
{
	struct ping_udp *u = p->proto;
	struct probe_hdr h;
	struct slot *s;

	if (!probe_parse(u->rx, len, p->run_id, &h) || h.seq == 0 ||
	    h.seq > p->seq) {
		p->corrupted++;
		if (p->verbose)
			printf("reply of %zu bytes from %s is not one of our "
			    "probes\n", len, p->t->name);
		return;
	}
	s = &u->slots[h.seq % PING_SLOTS];
	if (s->seq != h.seq) {
		p->late++;
		if (p->verbose)
			printf("seq=%llu: late reply, its probe is long "
			    "forgotten\n", (unsigned long long)h.seq);
		return;
	}
	if (!udp_late(p, s, now))
		udp_answer(p, s, len, now);
}

/*
 * A reply to a probe answered already (a duplicate) or past -W (late) is
 * counted and shown here; false: it may still be the answer.
 */
static bool
udp_late(struct ping *p, struct slot *s, uint64_t now)
{
	switch (s->state) {
	case SLOT_DONE:
	case SLOT_CORRUPT:
		/* ping times duplicates too; so do we, for the same mdev. */
		p->duplicates++;
		rtt_add(&p->rtt, now - s->sent_ns);
		ping_reply_line(p, s->seq, now - s->sent_ns, " (DUP!)");
		return true;
	case SLOT_PENDING:
		/*
		 * Past -W it is lost, as udp_expire would have said had it
		 * run first: the order of two checks must not decide.
		 */
		if (now - s->sent_ns < p->o->timeout_ns)
			return false;
		/* FALLTHROUGH */
	case SLOT_TIMEDOUT:
		break;
	}
	s->state = SLOT_TIMEDOUT;
	p->late++;
	ping_reply_line(p, s->seq, now - s->sent_ns, " (late, counted lost)");
	return true;
}

static void
udp_answer(struct ping *p, struct slot *s, size_t len, uint64_t now)
{
	struct ping_udp *u = p->proto;
	struct probe_hdr h;
	long at;

	/* The probe as we sent it, not as the header that came back says. */
	h.run_id = p->run_id;
	h.seq = s->seq;
	h.sent_ns = s->sent_ns;
	at = len != p->o->size ? (long)(len < p->o->size ? len : p->o->size) :
	    probe_diff(u->rx, len, &h);
	if (at >= 0) {
		p->corrupted++;
		s->state = SLOT_CORRUPT;
		if (p->verbose)
			printf("seq=%llu: reply of %zu bytes differs from the "
			    "probe at byte %ld\n", (unsigned long long)h.seq,
			    len, at);
		return;
	}
	s->state = SLOT_DONE;
	p->received++;
	rtt_add(&p->rtt, now - s->sent_ns);
	if (h.seq < u->highest)
		p->reordered++;
	ping_reply_line(p, h.seq, now - s->sent_ns,
	    h.seq < u->highest ? " (reordered)" : "");
	if (h.seq > u->highest)
		u->highest = h.seq;
}

/* Probes resolve in any order; the oldest unresolved one times out first. */
static void
udp_expire(struct ping *p, uint64_t now, struct ping_due *due)
{
	struct ping_udp *u = p->proto;
	struct slot *s;

	for (; u->oldest <= p->seq; u->oldest++) {
		s = &u->slots[u->oldest % PING_SLOTS];
		if (s->state != SLOT_PENDING)
			continue;
		if (now < s->sent_ns + p->o->timeout_ns)
			break;
		s->state = SLOT_TIMEDOUT;
		if (p->verbose)
			printf("seq=%llu: no reply within %llu ms\n",
			    (unsigned long long)s->seq,
			    (unsigned long long)(p->o->timeout_ns / 1000000));
	}
	due->in_flight = p->seq + 1 - u->oldest;
	due->full = due->in_flight >= PING_SLOTS;
	due->timeout_ns = due->in_flight == 0 ? UINT64_MAX :
	    u->slots[u->oldest % PING_SLOTS].sent_ns + p->o->timeout_ns;
	due->events = POLLIN;
}

const struct ping_ops ping_udp_ops = {
	.open = udp_open,
	.expire = udp_expire,
	.send = udp_send,
	.ready = udp_ready,
};
