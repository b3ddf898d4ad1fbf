/* load.c: one load process: many nonblocking connections on one epoll. */

#include <sys/epoll.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "load.h"
#include "load_proto.h"
#include "net.h"
#include "sig.h"

/*
 * A listener's backlog is finite (echod's default is 511): opening 50,000
 * connections at once overflows it and every dropped SYN costs a second.
 * Connects are started at most this many at a time per process.
 */
#define LOAD_CONNECTING_MAX	256
#define LOAD_EVENTS		1024
#define LOAD_BACKOFF_MIN_MS	10
#define LOAD_BACKOFF_MAX_MS	1000
/* At most this many idle connections are looked at per loop turn. */
#define LOAD_OPEN_SCAN		4096

static int	 ld_alloc(struct load *);
static int	 ld_setup(struct load *);
static void	 ld_loop(struct load *);
static bool	 ld_finished(struct load *, uint64_t);
static void	 ld_hold_step(struct load *, uint64_t);
static void	 ld_hold_final(struct load *, uint64_t);
static int	 ld_wait(struct load *, uint64_t);
static void	 ld_scan(struct load *, uint64_t);
static void	 ld_open_pending(struct load *, uint64_t);
static bool	 ld_want_link(const struct load *);
static void	 ld_teardown(struct load *, uint64_t);
static void	 lc_open(struct load *, struct lconn *, uint64_t);
static void	 lc_event(struct load *, struct lconn *, uint32_t, uint64_t);
static void	 lc_connected(struct load *, struct lconn *, uint64_t);
static void	 lc_close(struct load *, struct lconn *);
static void	 lc_set_state(struct load *, struct lconn *, enum lc_state);
static bool	 lc_watched(enum lc_state);

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
	ld.ops = o->udp ? &load_udp_ops : &load_tcp_ops;
	ld.r = r;
	ld.ep = -1;
	sig_init(signals, &ld.waitmask);
	if (ld_setup(&ld) == 0)
		ld_loop(&ld);
	else
		r->failed = 1;
	/* Ended early, by a signal or an error: keep no other job waiting. */
	barrier_arrive(job->barrier, job->id, clock_now_ns());
	ld_teardown(&ld, clock_now_ns());
}

/* The links, the protocol's state, the pattern every request carries. */
static int
ld_alloc(struct load *ld)
{
	size_t i;

	ld->n = ld->job->connections;
	if ((ld->c = calloc((size_t)ld->n, sizeof(*ld->c))) == NULL ||
	    ld->ops->create(ld) == -1 ||
	    (ld->pat = malloc(ld->pat_len)) == NULL ||
	    (ld->rx = malloc(LOAD_RX_LEN)) == NULL) {
		(void)snprintf(ld->r->error, sizeof(ld->r->error),
		    "out of memory for %ld connections", ld->n);
		return -1;
	}
	for (i = 0; i < ld->pat_len; i++)
		ld->pat[i] = (unsigned char)('a' + (i % ld->o->size) % 26);
	return 0;
}

static int
ld_setup(struct load *ld)
{
	const struct opts *o = ld->o;
	long k;

	ld->run_id = (uint32_t)getpid() * 2654435761U;
	if (ld_alloc(ld) == -1)
		return -1;
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
	ld->watch = LC_NONE;
	ld->nstate[LC_IDLE] = ld->n;
	for (k = 0; k < ld->n; k++) {
		ld->c[k].fd = -1;
		ld->c[k].idx = (uint32_t)k;
		ld->c[k].state = LC_IDLE;
		ld->c[k].wprev = ld->c[k].wnext = LC_NONE;
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
 * A run ends at SIGINT or SIGTERM, at its duration, when its requests
 * are all answered or failed, when a hold is over, or when the server
 * stopped answering altogether: a request-bounded run must not wait
 * forever on a dead one.
 */
static bool
ld_finished(struct load *ld, uint64_t now)
{
	const struct opts *o = ld->o;

	if (sig_take(SIGINT) || sig_take(SIGTERM))
		return true;
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

/*
 * The idle phase starts when every job's links are open, not this job's
 * alone, and ends at the same moment in every job: otherwise the first
 * jobs echo and close before the last have opened, and the server never
 * holds all the connections at once.
 */
static void
ld_hold_step(struct load *ld, uint64_t now)
{
	uint64_t open_ns;

	if (ld->hold == HOLD_OPEN && ld->hold_pending == 0) {
		ld->hold = HOLD_WAIT;
		barrier_arrive(ld->job->barrier, ld->job->id, now);
	}
	if (ld->hold == HOLD_WAIT) {
		open_ns = ld->job->barrier != NULL ?
		    barrier_open_ns(ld->job->barrier) : now;
		if (open_ns == 0)
			return;
		ld->hold = HOLD_IDLE;
		ld->hold_until_ns = open_ns + ld->o->hold_ns;
	}
	if ((ld->hold == HOLD_IDLE && now >= ld->hold_until_ns) ||
	    (ld->hold == HOLD_FINAL && ld->final_next < ld->n))
		ld_hold_final(ld, now);
	else if (ld->hold == HOLD_FINAL && ld->hold_pending == 0)
		ld->hold = HOLD_OVER;
}

/* Every link still held echoes once more, then closes. */
static void
ld_hold_final(struct load *ld, uint64_t now)
{
	struct lconn *c;

	ld->hold = HOLD_FINAL;
	/*
	 * As many in flight as connects: a million echoes sent at once
	 * by 64 jobs queued at the server longer than -W 30, and 70 %
	 * timed out.  The rest go out as these are answered.
	 */
	for (; ld->final_next < ld->n &&
	    ld->hold_pending < LOAD_CONNECTING_MAX; ld->final_next++) {
		c = &ld->c[ld->final_next];
		if (c->state != LC_HOLDING)
			continue;
		lc_set_state(ld, c, LC_ACTIVE);
		c->hold_pending = true;
		ld->hold_pending++;
		ld->ops->issue(ld, c, now);
	}
}

static int
ld_wait(struct load *ld, uint64_t now)
{
	struct epoll_event ev[LOAD_EVENTS];
	uint64_t wake = ld->next_scan_ns;
	int i, n, timeout_ms;

	/*
	 * Idle in a hold, wake for its end; with nothing in progress there
	 * is nothing to scan either: sleep until then, not 20 times a
	 * second.
	 */
	if (ld->hold == HOLD_IDLE &&
	    (ld->watch == LC_NONE || ld->hold_until_ns < wake))
		wake = ld->hold_until_ns;
	if (ld->end_ns != 0 && ld->end_ns < wake)
		wake = ld->end_ns;
	/*
	 * HOLD_WAIT has no deadline of its own: the scan period, 50 ms at
	 * most, is how soon the barrier's opening is seen, and the idle
	 * phase ends at the same time in every job however late it was.
	 */
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

/*
 * Timeouts and stalled links, checked every scan period, not per event,
 * and only on the watch list: a million links held idle over 64 jobs
 * would otherwise be read through 20 times a second for nothing.
 */
static void
ld_scan(struct load *ld, uint64_t now)
{
	uint64_t w = ld->o->timeout_ns;
	struct lconn *c;
	uint32_t k, next;

	for (k = ld->watch; k != LC_NONE; k = next) {
		c = &ld->c[k];
		/* Taken first: a failed link leaves the list. */
		next = c->wnext;
		if (c->state == LC_CONNECTING && now - c->attempt_ns > w)
			load_link_fail(ld, c, LOAD_ERR_TIMEOUT, now);
		else if (c->state == LC_ACTIVE)
			ld->ops->expire(ld, c, now);
	}
}

static void
ld_open_pending(struct load *ld, uint64_t now)
{
	struct lconn *c;
	long steps;

	for (steps = 0; steps < LOAD_OPEN_SCAN && steps < ld->n &&
	    ld->nstate[LC_IDLE] > 0 &&
	    ld->nstate[LC_CONNECTING] < LOAD_CONNECTING_MAX; steps++) {
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
		owed += (uint64_t)ld->nstate[LC_CONNECTING];
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
	free(ld->proto);
	free(ld->pat);
	free(ld->rx);
}

enum load_err
load_err_kind(int error)
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
		load_link_fail(ld, c, load_err_kind(errno), now);
		return;
	}
	memset(&ev, 0, sizeof(ev));
	/* Edge-triggered: one epoll_ctl per connection, none per message. */
	ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
	ev.data.u32 = c->idx;
	if (epoll_ctl(ld->ep, EPOLL_CTL_ADD, c->fd, &ev) == -1) {
		load_link_fail(ld, c, LOAD_ERR_OTHER, now);
		return;
	}
	c->issued = c->tx_pending = c->tx_pos = c->rx_pos = 0;
	c->inflight = 0;
	c->can_write = false;
	if (in_progress)
		lc_set_state(ld, c, LC_CONNECTING);
	else
		lc_connected(ld, c, now);
}

static void
lc_connected(struct load *ld, struct lconn *c, uint64_t now)
{
	lc_set_state(ld, c, LC_ACTIVE);
	c->can_write = true;
	c->backoff_ms = LOAD_BACKOFF_MIN_MS;
	ld->r->connects++;
	ld->r->hold_connected += ld->hold == HOLD_OPEN;
	ld->ops->issue(ld, c, now);
}

static void
lc_event(struct load *ld, struct lconn *c, uint32_t events, uint64_t now)
{
	if (c->state == LC_CONNECTING) {
		/* lc_close, through load_link_fail, counts it off. */
		if (net_connect_result(c->fd) == -1) {
			load_link_fail(ld, c, load_err_kind(errno), now);
			return;
		}
		lc_connected(ld, c, now);
	}
	if (c->fd == -1)
		return;
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		ld->ops->read(ld, c, now);
	if (c->fd != -1 && (events & EPOLLOUT) && !c->can_write) {
		c->can_write = true;
		ld->ops->issue(ld, c, now);
	}
}

/* Failed links come back after a growing pause; hold links do not. */
void
load_link_fail(struct load *ld, struct lconn *c, enum load_err kind,
    uint64_t now)
{
	ld->r->errors[kind]++;
	lc_close(ld, c);
	if (ld->hold != HOLD_NONE) {
		lc_set_state(ld, c, LC_DONE);
		if (c->hold_pending) {
			c->hold_pending = false;
			ld->hold_pending--;
		}
		return;
	}
	lc_set_state(ld, c, LC_IDLE);
	c->ready_ns = now + (uint64_t)c->backoff_ms * 1000000U;
	if (c->backoff_ms < LOAD_BACKOFF_MAX_MS)
		c->backoff_ms *= 2;
}

static void
lc_close(struct load *ld, struct lconn *c)
{
	ld->inflight -= c->inflight;
	c->inflight = 0;
	if (c->fd != -1)
		(void)close(c->fd);	/* also leaves the epoll set */
	c->fd = -1;
}

/* What a scan period must look at: a connect or requests in progress. */
static bool
lc_watched(enum lc_state st)
{
	return st == LC_CONNECTING || st == LC_ACTIVE;
}

/*
 * Every change of a link's state goes through here, so the counts and
 * the watch list stay true.  The list is doubly linked through the
 * links themselves: joining and leaving cost O(1), nothing allocated.
 */
static void
lc_set_state(struct load *ld, struct lconn *c, enum lc_state st)
{
	bool was = lc_watched(c->state), will = lc_watched(st);

	ld->nstate[c->state]--;
	ld->nstate[st]++;
	c->state = st;
	if (was == will)
		return;
	if (will) {
		c->wprev = LC_NONE;
		c->wnext = ld->watch;
		if (ld->watch != LC_NONE)
			ld->c[ld->watch].wprev = c->idx;
		ld->watch = c->idx;
		return;
	}
	if (c->wprev != LC_NONE)
		ld->c[c->wprev].wnext = c->wnext;
	else
		ld->watch = c->wnext;
	if (c->wnext != LC_NONE)
		ld->c[c->wnext].wprev = c->wprev;
	c->wprev = c->wnext = LC_NONE;
}

bool
load_link_may_issue(const struct load *ld, const struct lconn *c)
{
	return load_link_quota(ld, c) > 0;
}

uint64_t
load_link_quota(const struct load *ld, const struct lconn *c)
{
	uint64_t q, cap = UINT64_MAX;

	if (c->state != LC_ACTIVE || c->inflight >= ld->depth)
		return 0;
	q = ld->depth - c->inflight;
	if (ld->job->requests != 0) {
		if (ld->started >= ld->job->requests)
			return 0;
		if (ld->job->requests - ld->started < q)
			q = ld->job->requests - ld->started;
	}
	switch (ld->hold) {
	case HOLD_NONE:
		if (ld->o->connect_each)
			cap = 1;
		break;
	case HOLD_OPEN:
		cap = 1;
		break;
	case HOLD_FINAL:
		cap = 2;
		break;
	default:
		return 0;
	}
	if (c->issued >= cap)
		return 0;
	return cap - c->issued < q ? cap - c->issued : q;
}

void
load_link_idle(struct load *ld, struct lconn *c, uint64_t now)
{
	if (ld->hold != HOLD_NONE) {
		if (c->hold_pending) {
			c->hold_pending = false;
			c->hold_ok++;
			ld->hold_pending--;
		}
		if (ld->hold == HOLD_FINAL) {
			lc_close(ld, c);
			lc_set_state(ld, c, LC_DONE);
		} else
			lc_set_state(ld, c, LC_HOLDING);
		return;
	}
	if (ld->o->connect_each) {
		lc_close(ld, c);
		lc_set_state(ld, c, LC_IDLE);
		c->ready_ns = now;
		return;
	}
	ld->ops->issue(ld, c, now);
}
