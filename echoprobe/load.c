/* load.c: one load process: many nonblocking connections on one epoll. */

#include <sys/epoll.h>
#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "load.h"
#include "net.h"
#include "probe.h"
#include "sig.h"
#include "stats.h"

/*
 * A listener's backlog is finite (echod's default is 511): opening 50,000
 * connections at once overflows it and every dropped SYN costs a second.
 * Connects are started at most this many at a time per process.
 */
#define LOAD_CONNECTING_MAX	256
#define LOAD_EVENTS		1024
#define LOAD_RX_LEN		65536
#define LOAD_PATTERN_LEN	65536
#define LOAD_BACKOFF_MIN_MS	10
#define LOAD_BACKOFF_MAX_MS	1000
/* At most this many idle connections are looked at per loop turn. */
#define LOAD_OPEN_SCAN		4096
#define LOAD_UDP_ERRORS_MAX	16

enum lc_state { LC_IDLE, LC_CONNECTING, LC_ACTIVE, LC_HOLDING, LC_DONE };

/* Hold runs go through these phases; plain runs stay in HOLD_NONE. */
enum hold_phase { HOLD_NONE, HOLD_OPEN, HOLD_IDLE, HOLD_FINAL, HOLD_OVER };

struct lconn {
	int		 fd;
	uint32_t	 idx;
	uint8_t		 state;
	bool		 can_write;
	bool		 hold_pending;	/* owes an echo in this hold phase */
	uint8_t		 hold_ok;	/* hold echoes that succeeded */
	uint16_t	 backoff_ms;
	uint32_t	 inflight;
	uint64_t	 issued;	/* TCP: requests sent on this link */
	uint64_t	 tx_pending;	/* bytes queued, not yet written */
	uint64_t	 tx_pos;	/* bytes written on this link */
	uint64_t	 rx_pos;	/* bytes read back on this link */
	uint64_t	 attempt_ns;	/* connect started */
	uint64_t	 ready_ns;	/* IDLE: may reconnect from then on */
};

/* A UDP datagram in flight; seq 0 marks a free slot. */
struct uslot {
	uint64_t	 seq;
	uint64_t	 sent_ns;
};

struct load {
	const struct opts	*o;
	const struct target	*t;
	const struct load_job	*job;
	struct load_result	*r;
	sigset_t		 waitmask;
	int			 ep;
	struct lconn		*c;
	long			 n;
	uint32_t		 depth;		/* pipeline or window */
	uint32_t		 uslots;	/* UDP: 2 x window, see lu_reply */
	uint64_t		*ts;		/* TCP: n * depth send times */
	struct uslot		*us;		/* UDP: n * depth slots */
	unsigned char		*pat;		/* what every request carries */
	size_t			 pat_len;
	unsigned char		*rx;
	uint32_t		 run_id;
	uint64_t		 start_ns;
	uint64_t		 end_ns;	/* 0: no time limit */
	uint64_t		 scan_period_ns;
	uint64_t		 next_scan_ns;
	uint64_t		 progress_ns;	/* last echo, for stalls */
	uint64_t		 started;
	uint64_t		 inflight;
	long			 nconnecting;
	long			 cursor;
	bool			 stopping;
	enum hold_phase		 hold;
	uint64_t		 hold_until_ns;
	long			 hold_pending;
};

static int	 ld_setup(struct load *);
static void	 ld_loop(struct load *);
static bool	 ld_finished(struct load *, uint64_t);
static void	 ld_hold_step(struct load *, uint64_t);
static int	 ld_wait(struct load *, uint64_t);
static void	 ld_scan(struct load *, uint64_t);
static void	 ld_open_pending(struct load *, uint64_t);
static bool	 ld_want_link(const struct load *);
static void	 ld_teardown(struct load *, uint64_t);
static void	 lc_open(struct load *, struct lconn *, uint64_t);
static void	 lc_event(struct load *, struct lconn *, uint32_t, uint64_t);
static void	 lc_connected(struct load *, struct lconn *, uint64_t);
static void	 lc_fail(struct load *, struct lconn *, enum load_err,
		    uint64_t);
static void	 lc_close(struct load *, struct lconn *);
static bool	 lc_may_issue(const struct load *, const struct lconn *);
static void	 lc_issue(struct load *, struct lconn *, uint64_t);
static void	 lc_write(struct load *, struct lconn *, uint64_t);
static void	 lc_read(struct load *, struct lconn *, uint64_t);
static bool	 lc_verify(const struct load *, const struct lconn *,
		    const unsigned char *, size_t);
static void	 lc_complete(struct load *, struct lconn *, uint64_t,
		    uint64_t);
static void	 lc_done(struct load *, struct lconn *, uint64_t);
static void	 lu_issue(struct load *, struct lconn *, uint64_t);
static void	 lu_read(struct load *, struct lconn *, uint64_t);
static void	 lu_reply(struct load *, struct lconn *, size_t, uint64_t);
static void	 lu_expire(struct load *, struct lconn *, uint64_t);
static enum load_err err_kind(int);

static const char *const err_names[LOAD_ERR_KINDS] = {
	"refused", "reset", "timeout", "mismatch", "closed", "other"
};

const char *
load_err_name(enum load_err e)
{
	return err_names[e];
}

void
load_run(const struct opts *o, const struct target *t,
    const struct load_job *job, struct load_result *r)
{
	static const int signals[] = { SIGINT, SIGTERM, 0 };
	struct load ld;

	memset(&ld, 0, sizeof(ld));
	memset(r, 0, sizeof(*r));
	hist_init(&r->h);
	ld.o = o;
	ld.t = t;
	ld.job = job;
	ld.r = r;
	ld.ep = -1;
	sig_init(signals, &ld.waitmask);
	if (ld_setup(&ld) == 0)
		ld_loop(&ld);
	else
		r->failed = 1;
	ld_teardown(&ld, clock_now_ns());
}

static int
ld_setup(struct load *ld)
{
	const struct opts *o = ld->o;
	size_t i;
	long k;

	ld->n = ld->job->connections;
	ld->depth = (uint32_t)(o->udp ? o->window : o->pipeline);
	ld->run_id = (uint32_t)getpid() * 2654435761U;
	ld->c = calloc((size_t)ld->n, sizeof(*ld->c));
	ld->uslots = 2 * ld->depth;
	if (o->udp)
		ld->us = calloc((size_t)ld->n * ld->uslots, sizeof(*ld->us));
	else
		ld->ts = calloc((size_t)ld->n * ld->depth, sizeof(*ld->ts));
	/* Whole requests, repeated: one send() may carry several. */
	ld->pat_len = o->size;
	while (!o->udp && ld->pat_len + o->size <= LOAD_PATTERN_LEN)
		ld->pat_len += o->size;
	ld->pat = malloc(ld->pat_len);
	ld->rx = malloc(LOAD_RX_LEN);
	if (ld->c == NULL || (ld->us == NULL && ld->ts == NULL) ||
	    ld->pat == NULL || ld->rx == NULL) {
		(void)snprintf(ld->r->error, sizeof(ld->r->error),
		    "out of memory for %ld connections", ld->n);
		return -1;
	}
	for (i = 0; i < ld->pat_len; i++)
		ld->pat[i] = (unsigned char)('a' + (i % o->size) % 26);
	if ((ld->ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		(void)snprintf(ld->r->error, sizeof(ld->r->error),
		    "epoll_create1: %s", strerror(errno));
		return -1;
	}
	ld->start_ns = ld->progress_ns = clock_now_ns();
	if (o->duration_ns != 0)
		ld->end_ns = ld->start_ns + o->duration_ns;
	ld->scan_period_ns = o->timeout_ns / 10;
	if (ld->scan_period_ns > 50000000U)
		ld->scan_period_ns = 50000000U;
	if (ld->scan_period_ns < 1000000U)
		ld->scan_period_ns = 1000000U;
	ld->next_scan_ns = ld->start_ns + ld->scan_period_ns;
	for (k = 0; k < ld->n; k++) {
		ld->c[k].fd = -1;
		ld->c[k].idx = (uint32_t)k;
		ld->c[k].state = LC_IDLE;
		ld->c[k].ready_ns = ld->start_ns;
		ld->c[k].backoff_ms = LOAD_BACKOFF_MIN_MS;
	}
	if (o->hold_ns != 0) {
		ld->hold = HOLD_OPEN;
		ld->hold_pending = ld->n;
		for (k = 0; k < ld->n; k++)
			ld->c[k].hold_pending = true;
	}
	return 0;
}

static void
ld_loop(struct load *ld)
{
	uint64_t now;

	for (;;) {
		if (sig_take(SIGINT) || sig_take(SIGTERM))
			break;
		now = clock_now_ns();
		if (ld_finished(ld, now))
			break;
		ld_hold_step(ld, now);
		if (now >= ld->next_scan_ns) {
			ld_scan(ld, now);
			ld->next_scan_ns = now + ld->scan_period_ns;
		}
		ld_open_pending(ld, now);
		if (ld_wait(ld, now) == -1)
			break;
		if (ld->job->live != NULL) {
			ld->job->live->requests = ld->r->requests;
			ld->job->live->errors = ld->r->errors[0] +
			    ld->r->errors[1] + ld->r->errors[2] +
			    ld->r->errors[3] + ld->r->errors[4] +
			    ld->r->errors[5];
		}
	}
}

/*
 * A run ends at its duration, when its requests are all answered or
 * failed, when a hold is over, or when the server stopped answering
 * altogether: a request-bounded run must not wait forever on a dead one.
 */
static bool
ld_finished(struct load *ld, uint64_t now)
{
	const struct opts *o = ld->o;

	if (ld->end_ns != 0 && now >= ld->end_ns)
		return true;
	if (ld->hold == HOLD_OVER)
		return true;
	if (ld->job->requests != 0 && ld->started >= ld->job->requests &&
	    ld->inflight == 0)
		return true;
	/*
	 * Only echoes count: a server that accepts and never answers would
	 * otherwise keep a long run alive one reconnect at a time.  Twice
	 * the timeout: a server that drops some datagrams answers the
	 * others at least once per timeout, and must not be given up.
	 */
	if (o->duration_ns == 0 && ld->hold == HOLD_NONE &&
	    now - ld->progress_ns > 2 * o->timeout_ns + ld->scan_period_ns) {
		(void)snprintf(ld->r->error, sizeof(ld->r->error),
		    "no echo for %llu ms: giving up",
		    (unsigned long long)(2 * o->timeout_ns / 1000000));
		return true;
	}
	return false;
}

static void
ld_hold_step(struct load *ld, uint64_t now)
{
	struct lconn *c;
	long k;

	if (ld->hold == HOLD_OPEN && ld->hold_pending == 0) {
		ld->hold = HOLD_IDLE;
		ld->hold_until_ns = now + ld->o->hold_ns;
	} else if (ld->hold == HOLD_IDLE && now >= ld->hold_until_ns) {
		ld->hold = HOLD_FINAL;
		for (k = 0; k < ld->n; k++) {
			c = &ld->c[k];
			if (c->state != LC_HOLDING)
				continue;
			c->state = LC_ACTIVE;
			c->hold_pending = true;
			ld->hold_pending++;
			lc_issue(ld, c, now);
		}
	} else if (ld->hold == HOLD_FINAL && ld->hold_pending == 0)
		ld->hold = HOLD_OVER;
}

static int
ld_wait(struct load *ld, uint64_t now)
{
	struct epoll_event ev[LOAD_EVENTS];
	uint64_t wake = ld->next_scan_ns;
	int i, n, timeout_ms;

	if (ld->end_ns != 0 && ld->end_ns < wake)
		wake = ld->end_ns;
	if (ld->hold == HOLD_IDLE && ld->hold_until_ns < wake)
		wake = ld->hold_until_ns;
	timeout_ms = wake > now ? (int)((wake - now + 999999) / 1000000) : 0;
	n = epoll_pwait(ld->ep, ev, LOAD_EVENTS, timeout_ms, &ld->waitmask);
	if (n == -1) {
		if (errno == EINTR)
			return 0;
		(void)snprintf(ld->r->error, sizeof(ld->r->error),
		    "epoll_pwait: %s", strerror(errno));
		return -1;
	}
	now = clock_now_ns();
	for (i = 0; i < n; i++)
		lc_event(ld, &ld->c[ev[i].data.u32], ev[i].events, now);
	return 0;
}

/* Timeouts and stalled links, checked every scan period, not per event. */
static void
ld_scan(struct load *ld, uint64_t now)
{
	uint64_t w = ld->o->timeout_ns, oldest;
	struct lconn *c;
	long k;

	for (k = 0; k < ld->n; k++) {
		c = &ld->c[k];
		if (c->state == LC_CONNECTING && now - c->attempt_ns > w) {
			lc_fail(ld, c, LOAD_ERR_TIMEOUT, now);
			continue;
		}
		if (c->state != LC_ACTIVE)
			continue;
		if (ld->o->udp) {
			lu_expire(ld, c, now);
			lu_issue(ld, c, now);
			continue;
		}
		if (c->inflight > 0) {
			oldest = ld->ts[(uint64_t)c->idx * ld->depth +
			    (c->issued - c->inflight) % ld->depth];
			if (now - oldest > w)
				lc_fail(ld, c, LOAD_ERR_TIMEOUT, now);
		} else
			lc_issue(ld, c, now);
	}
}

static void
ld_open_pending(struct load *ld, uint64_t now)
{
	struct lconn *c;
	long steps;

	if (ld->stopping)
		return;
	for (steps = 0; steps < LOAD_OPEN_SCAN && steps < ld->n &&
	    ld->nconnecting < LOAD_CONNECTING_MAX; steps++) {
		if (!ld_want_link(ld))
			return;
		c = &ld->c[ld->cursor];
		ld->cursor = (ld->cursor + 1) % ld->n;
		if (c->state == LC_IDLE && now >= c->ready_ns)
			lc_open(ld, c, now);
	}
}

/*
 * Once the last request is out, new links would carry nothing; with
 * --connect-each every link being opened will carry one, so it counts.
 */
static bool
ld_want_link(const struct load *ld)
{
	uint64_t owed = ld->started;

	if (ld->job->requests == 0)
		return true;
	if (ld->o->connect_each)
		owed += (uint64_t)ld->nconnecting;
	return owed < ld->job->requests;
}

static void
ld_teardown(struct load *ld, uint64_t now)
{
	long k;

	ld->r->cancelled = ld->inflight;
	ld->r->elapsed_ns = now - ld->start_ns;
	for (k = 0; ld->c != NULL && k < ld->n; k++) {
		if (ld->c[k].hold_ok >= 1)
			ld->r->hold_first++;
		if (ld->c[k].hold_ok >= 2)
			ld->r->hold_both++;
		if (ld->c[k].fd != -1)
			(void)close(ld->c[k].fd);
	}
	if (ld->ep != -1)
		(void)close(ld->ep);
	free(ld->c);
	free(ld->ts);
	free(ld->us);
	free(ld->pat);
	free(ld->rx);
}

static enum load_err
err_kind(int error)
{
	switch (error) {
	case ECONNREFUSED:
		return LOAD_ERR_REFUSED;
	case ECONNRESET:
	case EPIPE:
	case ECONNABORTED:
		return LOAD_ERR_RESET;
	case ETIMEDOUT:
		return LOAD_ERR_TIMEOUT;
	default:
		return LOAD_ERR_OTHER;
	}
}

static void
lc_open(struct load *ld, struct lconn *c, uint64_t now)
{
	const struct opts *o = ld->o;
	const struct addr *src = NULL;
	struct epoll_event ev;
	bool in_progress;
	const char *what;

	if (o->nsources > 0)
		src = &o->sources[(ld->job->first + c->idx) % o->nsources];
	c->attempt_ns = now;
	if ((c->fd = net_open(ld->t, src, &in_progress, &what)) == -1) {
		if (ld->r->error[0] == '\0')
			(void)snprintf(ld->r->error, sizeof(ld->r->error),
			    "%s %s: %s", what, ld->t->name, strerror(errno));
		lc_fail(ld, c, err_kind(errno), now);
		return;
	}
	memset(&ev, 0, sizeof(ev));
	/* Edge-triggered: one epoll_ctl per connection, none per message. */
	ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
	ev.data.u32 = c->idx;
	if (epoll_ctl(ld->ep, EPOLL_CTL_ADD, c->fd, &ev) == -1) {
		lc_fail(ld, c, LOAD_ERR_OTHER, now);
		return;
	}
	c->issued = c->tx_pending = c->tx_pos = c->rx_pos = 0;
	c->inflight = 0;
	c->can_write = false;
	if (in_progress) {
		c->state = LC_CONNECTING;
		ld->nconnecting++;
	} else
		lc_connected(ld, c, now);
}

static void
lc_connected(struct load *ld, struct lconn *c, uint64_t now)
{
	c->state = LC_ACTIVE;
	c->can_write = true;
	c->backoff_ms = LOAD_BACKOFF_MIN_MS;
	ld->r->connects++;
	ld->r->hold_connected += ld->hold == HOLD_OPEN;
	lc_issue(ld, c, now);
}

static void
lc_event(struct load *ld, struct lconn *c, uint32_t events, uint64_t now)
{
	if (c->state == LC_CONNECTING) {
		/* lc_close, through lc_fail, counts a failed connect off. */
		if (net_connect_result(c->fd) == -1) {
			lc_fail(ld, c, err_kind(errno), now);
			return;
		}
		ld->nconnecting--;
		lc_connected(ld, c, now);
	}
	if (c->fd == -1)
		return;
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
		if (ld->o->udp)
			lu_read(ld, c, now);
		else
			lc_read(ld, c, now);
	}
	if (c->fd != -1 && (events & EPOLLOUT) && !c->can_write) {
		c->can_write = true;
		if (ld->o->udp)
			lu_issue(ld, c, now);
		else
			lc_write(ld, c, now);
	}
}

/* Failed links come back after a growing pause; hold links do not. */
static void
lc_fail(struct load *ld, struct lconn *c, enum load_err kind, uint64_t now)
{
	ld->r->errors[kind]++;
	lc_close(ld, c);
	if (ld->hold != HOLD_NONE) {
		c->state = LC_DONE;
		if (c->hold_pending) {
			c->hold_pending = false;
			ld->hold_pending--;
		}
		return;
	}
	c->state = LC_IDLE;
	c->ready_ns = now + (uint64_t)c->backoff_ms * 1000000U;
	if (c->backoff_ms < LOAD_BACKOFF_MAX_MS)
		c->backoff_ms *= 2;
}

static void
lc_close(struct load *ld, struct lconn *c)
{
	if (c->state == LC_CONNECTING)
		ld->nconnecting--;
	ld->inflight -= c->inflight;
	c->inflight = 0;
	if (ld->o->udp)
		memset(&ld->us[(uint64_t)c->idx * ld->uslots], 0,
		    ld->uslots * sizeof(*ld->us));
	if (c->fd != -1)
		(void)close(c->fd);	/* also leaves the epoll set */
	c->fd = -1;
}

static bool
lc_may_issue(const struct load *ld, const struct lconn *c)
{
	if (ld->stopping || c->state != LC_ACTIVE || c->inflight >= ld->depth)
		return false;
	if (ld->job->requests != 0 && ld->started >= ld->job->requests)
		return false;
	switch (ld->hold) {
	case HOLD_NONE:
		break;
	case HOLD_OPEN:
		return c->issued < 1;
	case HOLD_FINAL:
		return c->issued < 2;
	default:
		return false;
	}
	return !ld->o->connect_each || c->issued < 1;
}

static void
lc_issue(struct load *ld, struct lconn *c, uint64_t now)
{
	if (ld->o->udp) {
		lu_issue(ld, c, now);
		return;
	}
	if (!lc_may_issue(ld, c))
		return;
	while (lc_may_issue(ld, c)) {
		/* --connect-each times the connect as well. */
		ld->ts[(uint64_t)c->idx * ld->depth + c->issued % ld->depth] =
		    ld->o->connect_each ? c->attempt_ns : now;
		c->issued++;
		c->inflight++;
		c->tx_pending += ld->o->size;
		ld->inflight++;
		ld->started++;
	}
	if (c->can_write)
		lc_write(ld, c, now);
}

static void
lc_write(struct load *ld, struct lconn *c, uint64_t now)
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
			lc_fail(ld, c, err_kind(errno), now);
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
lc_read(struct load *ld, struct lconn *c, uint64_t now)
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
			lc_fail(ld, c, err_kind(errno), now);
			return;
		}
		if (n == 0) {
			lc_fail(ld, c, LOAD_ERR_CLOSED, now);
			return;
		}
		/* More than was sent is as wrong as different bytes. */
		if ((uint64_t)n > c->tx_pos - c->rx_pos ||
		    !lc_verify(ld, c, ld->rx, (size_t)n)) {
			lc_fail(ld, c, LOAD_ERR_MISMATCH, now);
			return;
		}
		before = c->rx_pos / ld->o->size;
		c->rx_pos += (uint64_t)n;
		ld->r->bytes_received += (uint64_t)n;
		lc_complete(ld, c, c->rx_pos / ld->o->size - before, now);
		if (c->fd == -1 || n < LOAD_RX_LEN)
			return;
	}
}

/* Every request carries the same bytes: compare with the pattern in place. */
static bool
lc_verify(const struct load *ld, const struct lconn *c,
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
lc_complete(struct load *ld, struct lconn *c, uint64_t k, uint64_t now)
{
	uint64_t *ts = &ld->ts[(uint64_t)c->idx * ld->depth];
	uint64_t first = c->issued - c->inflight, i;

	if (k == 0)
		return;
	for (i = first; i < first + k; i++)
		hist_record(&ld->r->h, now - ts[i % ld->depth]);
	c->inflight -= (uint32_t)k;
	ld->inflight -= k;
	ld->r->requests += k;
	ld->progress_ns = now;
	if (c->inflight == 0)
		lc_done(ld, c, now);
	else
		lc_issue(ld, c, now);
}

/* A link with nothing in flight: next request, next connection, or hold. */
static void
lc_done(struct load *ld, struct lconn *c, uint64_t now)
{
	if (ld->hold != HOLD_NONE) {
		if (c->hold_pending) {
			c->hold_pending = false;
			c->hold_ok++;
			ld->hold_pending--;
		}
		if (ld->hold == HOLD_FINAL) {
			lc_close(ld, c);
			c->state = LC_DONE;
		} else
			c->state = LC_HOLDING;
		return;
	}
	if (ld->o->connect_each) {
		lc_close(ld, c);
		c->state = LC_IDLE;
		c->ready_ns = now;
		return;
	}
	lc_issue(ld, c, now);
}

static void
lu_issue(struct load *ld, struct lconn *c, uint64_t now)
{
	struct uslot *slot;
	struct probe_hdr h;

	while (c->can_write && lc_may_issue(ld, c)) {
		slot = &ld->us[(uint64_t)c->idx * ld->uslots +
		    (c->issued + 1) % ld->uslots];
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
				ld->r->errors[err_kind(errno)]++;
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
lu_read(struct load *ld, struct lconn *c, uint64_t now)
{
	ssize_t n;
	int errs = 0;

	for (;;) {
		n = recv(c->fd, ld->rx, LOAD_RX_LEN, 0);
		if (n >= 0) {
			lu_reply(ld, c, (size_t)n, now);
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
		ld->r->errors[err_kind(errno)]++;
		if (++errs >= LOAD_UDP_ERRORS_MAX)
			break;
	}
	lu_issue(ld, c, now);
}

static void
lu_reply(struct load *ld, struct lconn *c, size_t len, uint64_t now)
{
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
	slot = &ld->us[(uint64_t)c->idx * ld->uslots + h.seq % ld->uslots];
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

static void
lu_expire(struct load *ld, struct lconn *c, uint64_t now)
{
	struct uslot *slot = &ld->us[(uint64_t)c->idx * ld->uslots];
	uint32_t i;

	for (i = 0; c->inflight > 0 && i < ld->uslots; i++) {
		if (slot[i].seq == 0 || slot[i].sent_ns == 0 ||
		    now - slot[i].sent_ns <= ld->o->timeout_ns)
			continue;
		slot[i].seq = 0;
		c->inflight--;
		ld->inflight--;
		ld->r->errors[LOAD_ERR_TIMEOUT]++;
	}
}
