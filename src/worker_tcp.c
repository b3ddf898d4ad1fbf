/* worker_tcp.c: TCP worker: epoll loop, accept under the lock, connection table, timers. */

#include <sys/epoll.h>
#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acceptlock.h"
#include "addr.h"
#include "buf.h"
#include "clock.h"
#include "conn.h"
#include "conntab.h"
#include "counters.h"
#include "log.h"
#include "monitor.h"
#include "persource.h"
#include "proc.h"
#include "proxyproto.h"
#include "scoreboard.h"
#include "sig.h"
#include "worker.h"

#define MAX_EVENTS		256
#define ACCEPT_BATCH		32	/* connections per lock hold */
#define LOCK_RETRY_MS		1	/* after losing the lock race */
#define LOCK_BUSY_MAX		8	/* races lost in a row before that */
#define ACCEPT_PAUSE_MS		100	/* after EMFILE, ENFILE, ENOBUFS */
#define STALL_RETRY_MS		100	/* stalled connections: conn.h */
#define SPARE_CONNS_MAX		256
#define SPARE_BUFS_MAX		64
#define PROXY_TIMEOUT_MS	5000	/* for a PROXY header to arrive */
#define PROXY_CHECK_MS		250	/* how often late ones are looked for */
#define LISTENER_TAG		(UINT64_C(1) << 63)
#define SIGNAL_TAG		(UINT64_C(1) << 62)	/* never a pointer */

struct worker_tcp {
	const struct worker_env	*we;
	const struct config	*cf;
	int			 epfd;
	int			 sigfd;		/* TERM, INT, QUIT */
	bool			 want_drain;	/* TERM or INT seen */
	bool			 want_quit;	/* QUIT seen */
	int			*lfds;		/* TCP listeners */
	bool			*lproxy;	/* each expects a PROXY header */
	size_t			 nlfds;
	int			 nproxy_wait;	/* connections without one yet */
	uint64_t		 proxy_check_ms;
	bool			 listening;	/* listeners in the epoll set */
	bool			 draining;
	int			 lock_busy;	/* lock races lost in a row */
	bool			 deferred;	/* left one to an idler */
	uint64_t		 now_ms;
	uint64_t		 accept_resume_ms;
	uint64_t		 stall_retry_ms;	/* 0: none stalled */
	uint64_t		 drain_deadline_ms;
	struct conntab		 tab;
	int			 beat_ms;	/* longest wait, see monitor.c */
	struct buf_pool		 pool;
	struct log_ratelimit	 accept_rl;	/* EMFILE and friends */
	struct log_ratelimit	 warn_rl;	/* lock and epoll failures */
	struct log_ratelimit	 stall_rl;	/* CONN_STALLED */
};

/* How each way a connection ends is counted. */
static const enum stat_id closed_stat[CONN_END_NREASONS] = {
	[CONN_END_CLIENT] = STAT_TCP_CLOSED_CLIENT,
	[CONN_END_ERROR] = STAT_TCP_CLOSED_ERROR,
	[CONN_END_IDLE] = STAT_TCP_CLOSED_IDLE,
	[CONN_END_SHUTDOWN] = STAT_TCP_CLOSED_SHUTDOWN,
	[CONN_END_PROXY] = STAT_TCP_REFUSED_PROXY,
	[CONN_END_ACCESS] = STAT_TCP_REFUSED_ACCESS,
	[CONN_END_LIMIT] = STAT_TCP_REFUSED_LIMIT,
	[CONN_END_RATE] = STAT_TCP_REFUSED_RATE,
};

static void	 tcp_setup(struct worker_tcp *);
static void	 take_signals(struct worker_tcp *);
static void	 arm_listeners(struct worker_tcp *, bool);
static void	 update_accepting(struct worker_tcp *);
static void	 pause_accepting(struct worker_tcp *, uint64_t);
static void	 accept_ready(struct worker_tcp *, int);
static void	 accept_batch(struct worker_tcp *, int);
static void	 accept_failed(struct worker_tcp *);
static enum stat_id check_source(struct worker_tcp *,
		    const struct sockaddr *, int *);
static bool	 admit(struct worker_tcp *, int, const struct sockaddr *,
		    int *);
static bool	 is_proxy(struct worker_tcp *, int);
static void	 proxy_header(struct worker_tcp *, struct conn_entry *);
static void	 proxy_admit(struct worker_tcp *, struct conn_entry *,
		    struct sockaddr_storage *);
static void	 expire_proxy(struct worker_tcp *);
static void	 refuse(struct worker_tcp *, int, const struct sockaddr *,
		    enum stat_id);
static void	 conn_add(struct worker_tcp *, int, int, bool);
static void	 conn_drop(struct worker_tcp *, struct conn_entry *,
		    enum conn_end);
static void	 conn_service(struct worker_tcp *, struct conn_entry *);
static void	 conn_stalled(struct worker_tcp *, struct conn_entry *);
static void	 retry_stalled(struct worker_tcp *);
static void	 conn_event(struct worker_tcp *, struct conn_entry *,
		    uint32_t);
static void	 run_queue(struct worker_tcp *);
static void	 expire_idle(struct worker_tcp *);
static void	 drain_start(struct worker_tcp *);
static void	 close_all(struct worker_tcp *);
static int	 next_timeout(struct worker_tcp *);
static _Noreturn void tcp_exit(struct worker_tcp *, const char *);

static void
tcp_setup(struct worker_tcp *wt)
{
	struct listener_set *ls = wt->we->ls;
	struct epoll_event ev;
	size_t i;

	if ((wt->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		log_err("tcp worker: epoll_create1");
		exit(PROC_EXIT_INIT);
	}
	if ((wt->lfds = calloc(ls->n, sizeof(*wt->lfds))) == NULL ||
	    (wt->lproxy = calloc(ls->n, sizeof(*wt->lproxy))) == NULL) {
		log_err("tcp worker: calloc");
		exit(PROC_EXIT_INIT);
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = SIGNAL_TAG;
	if (epoll_ctl(wt->epfd, EPOLL_CTL_ADD, wt->sigfd, &ev) == -1) {
		log_err("tcp worker: epoll_ctl add signalfd");
		exit(PROC_EXIT_INIT);
	}
	for (i = 0; i < ls->n; i++)
		if (ls->l[i].proto == PROTO_TCP && ls->l[i].fd != -1) {
			wt->lproxy[wt->nlfds] = ls->l[i].proxy;
			wt->lfds[wt->nlfds++] = ls->l[i].fd;
		}
	buf_pool_init(&wt->pool, SPARE_BUFS_MAX);
	conntab_init(&wt->tab, SPARE_CONNS_MAX);
	wt->accept_rl.interval_ms = 10000;
	wt->warn_rl.interval_ms = 10000;
	wt->stall_rl.interval_ms = 10000;
}

static void
take_signals(struct worker_tcp *wt)
{
	uint64_t suppressed;
	int signo;

	while ((signo = sig_fd_read(wt->sigfd)) > 0) {
		if (signo == SIGQUIT)
			wt->want_quit = true;
		else
			wt->want_drain = true;
	}
	if (signo == -1 && log_ratelimit_allow(&wt->warn_rl, wt->now_ms,
	    &suppressed))
		log_warn("tcp worker: read signalfd (%llu more suppressed)",
		    (unsigned long long)suppressed);
}

/*
 * With a lock, every idle worker watches the listeners and the lock picks
 * who accepts; the losers stand down for LOCK_RETRY_MS.  With no lock,
 * EPOLLEXCLUSIVE lets the kernel wake a single worker per connection.
 */
static void
arm_listeners(struct worker_tcp *wt, bool on)
{
	struct epoll_event ev;
	uint64_t suppressed;
	size_t i;
	bool failed = false;

	for (i = 0; i < wt->nlfds; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		if (acceptlock_kind(wt->we->lock) == ACCEPTLOCK_NONE)
			ev.events |= EPOLLEXCLUSIVE;
		ev.data.u64 = LISTENER_TAG | i;
		/* Already there, or already gone: a retry after a failure. */
		if (epoll_ctl(wt->epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL,
		    wt->lfds[i], &ev) == 0 || errno == (on ? EEXIST : ENOENT))
			continue;
		failed = true;
		if (log_ratelimit_allow(&wt->warn_rl, wt->now_ms, &suppressed))
			log_warn("tcp worker: epoll_ctl %s listener fd %d "
			    "(%llu more suppressed)", on ? "add" : "del",
			    wt->lfds[i], (unsigned long long)suppressed);
	}
	/*
	 * A listener that could not be added (ENOMEM) would never be
	 * watched again: not listening, and the pause brings a retry.
	 */
	wt->listening = on && !failed;
	if (on && failed)
		wt->accept_resume_ms = wt->now_ms + ACCEPT_PAUSE_MS;
}

static void
update_accepting(struct worker_tcp *wt)
{
	/* A full worker that won the lock would accept what it cannot serve. */
	bool want = !wt->draining && wt->tab.n < wt->cf->max_connections &&
	    wt->now_ms >= wt->accept_resume_ms;

	if (want != wt->listening)
		arm_listeners(wt, want);
}

static void
pause_accepting(struct worker_tcp *wt, uint64_t ms)
{
	wt->accept_resume_ms = wt->now_ms + ms;
	update_accepting(wt);
}

static void
accept_ready(struct worker_tcp *wt, int lfd)
{
	uint64_t suppressed;
	int r;

	if (!wt->listening)
		return;		/* stood down earlier in this batch of events */
	if ((r = acceptlock_try(wt->we->lock)) == 0) {
		if (++wt->lock_busy >= LOCK_BUSY_MAX) {
			wt->lock_busy = 0;
			pause_accepting(wt, LOCK_RETRY_MS);
		}
		return;
	}
	wt->lock_busy = 0;
	if (r == -1) {
		if (log_ratelimit_allow(&wt->warn_rl, wt->now_ms, &suppressed))
			log_warn("tcp worker: accept lock (%llu more "
			    "suppressed)", (unsigned long long)suppressed);
		pause_accepting(wt, ACCEPT_PAUSE_MS);
		return;
	}
	if (acceptlock_recovered(wt->we->lock))
		log_warnx("tcp worker: took over the accept lock from a "
		    "worker that died holding it");
	accept_batch(wt, lfd);
	acceptlock_release(wt->we->lock);
	update_accepting(wt);
}

static void
accept_batch(struct worker_tcp *wt, int lfd)
{
	struct sockaddr_storage ss;
	uint64_t suppressed;
	socklen_t len;
	int fd, i, slot, lost = 0;

	for (i = 0; i < ACCEPT_BATCH &&
	    wt->tab.n < wt->cf->max_connections; i++) {
		/*
		 * The first awake worker would take a whole burst (four
		 * bulk streams on one core while another idles): leave a
		 * connection to a sleeping worker with fewer, once; if it
		 * has not taken it when we are back, we do.
		 */
		if (wt->we->share_bursts && !wt->deferred && wt->tab.n > 1 &&
		    scoreboard_has_idler(wt->we->sb, wt->we->board,
		    wt->tab.n)) {
			wt->deferred = true;
			pause_accepting(wt, LOCK_RETRY_MS);
			return;
		}
		len = sizeof(ss);
		fd = accept4(lfd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd != -1) {
			wt->deferred = false;
			/* Behind a proxy, the client is known from its header. */
			if (is_proxy(wt, lfd))
				conn_add(wt, fd, -1, true);
			else if (admit(wt, fd, (struct sockaddr *)&ss, &slot))
				conn_add(wt, fd, slot, false);
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		/*
		 * One connection lost (aborted by its client, refused by a
		 * firewall rule): the next may be fine.  A whole batch of
		 * them is a fault that persists, and the listener stays
		 * readable: pause as for EMFILE rather than spin.
		 */
		if (errno == EINTR || errno == ECONNABORTED ||
		    errno == EPROTO || errno == EPERM) {
			if (errno == EPERM && log_ratelimit_allow(
			    &wt->warn_rl, wt->now_ms, &suppressed))
				log_warn("tcp worker: accept4 (%llu more "
				    "suppressed)", (unsigned long long)
				    suppressed);
			if (++lost < ACCEPT_BATCH)
				continue;
		}
		accept_failed(wt);
		return;
	}
}

/* EMFILE and friends: a busy loop would not free a descriptor; pause. */
static void
accept_failed(struct worker_tcp *wt)
{
	uint64_t suppressed;
	int saved_errno = errno;

	if (log_ratelimit_allow(&wt->accept_rl, wt->now_ms, &suppressed)) {
		errno = saved_errno;
		log_warn("tcp worker: accept4 (pausing accepts for %d ms; "
		    "%llu more since last logged)", ACCEPT_PAUSE_MS,
		    (unsigned long long)suppressed);
	}
	wt->accept_resume_ms = wt->now_ms + ACCEPT_PAUSE_MS;
}

/*
 * Who may connect (the access lists) and how much (the per-source limits,
 * counted across every worker): STAT_N if `sa` may, else the refusal's
 * counter.  *slot is the count to release at close.
 */
static enum stat_id
check_source(struct worker_tcp *wt, const struct sockaddr *sa, int *slot)
{
	struct addr_key k;

	*slot = -1;
	if (!addr_key(sa, &k))
		return STAT_N;
	if (!config_permits(wt->cf, &k))
		return STAT_TCP_REFUSED_ACCESS;
	if (acl_match(wt->cf->exempt, &k))
		return STAT_N;
	switch (persource_admit(wt->we->ps, &k, wt->cf->tcp_ps_conns,
	    wt->cf->tcp_ps_rate, wt->now_ms, slot)) {
	case PERSOURCE_LIMIT:
		return STAT_TCP_REFUSED_LIMIT;
	case PERSOURCE_RATE:
		return STAT_TCP_REFUSED_RATE;
	default:
		return STAT_N;
	}
}

static bool
admit(struct worker_tcp *wt, int fd, const struct sockaddr *sa, int *slot)
{
	enum stat_id why = check_source(wt, sa, slot);

	if (why == STAT_N)
		return true;
	refuse(wt, fd, sa, why);
	return false;
}

static bool
is_proxy(struct worker_tcp *wt, int lfd)
{
	size_t i;

	for (i = 0; i < wt->nlfds; i++)
		if (wt->lfds[i] == lfd)
			return wt->lproxy[i];
	return false;
}

/*
 * Peek, so that nothing is consumed until the whole header is there; then
 * take exactly the header, so the client's first bytes stay to be echoed.
 * A header still incomplete is waited for until PROXY_TIMEOUT_MS.
 */
static void
proxy_header(struct worker_tcp *wt, struct conn_entry *e)
{
	unsigned char buf[PROXYPROTO_MAX];
	struct sockaddr_storage ss;
	enum proxyproto_result r;
	size_t hlen = 0;
	ssize_t n;

	n = recv(e->c.fd, buf, sizeof(buf), MSG_PEEK);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return;
	r = n > 0 ? proxyproto_parse(buf, (size_t)n, &hlen, &ss) :
	    PROXYPROTO_BAD;
	if (r == PROXYPROTO_MORE)
		return;
	if (r == PROXYPROTO_BAD || recv(e->c.fd, buf, hlen, 0) !=
	    (ssize_t)hlen) {
		conn_drop(wt, e, CONN_END_PROXY);
		return;
	}
	e->proxy_wait = false;
	wt->nproxy_wait--;
	proxy_admit(wt, e, &ss);
}

/* The header's client, or the proxy itself for LOCAL and UNKNOWN. */
static void
proxy_admit(struct worker_tcp *wt, struct conn_entry *e,
    struct sockaddr_storage *ss)
{
	char name[ADDR_STRLEN];
	socklen_t len = sizeof(*ss);
	enum stat_id why;
	int slot;

	if (ss->ss_family == AF_UNSPEC &&
	    getpeername(e->c.fd, (struct sockaddr *)ss, &len) == -1) {
		conn_drop(wt, e, CONN_END_ERROR);
		return;
	}
	log_debug("tcp worker: fd %d is %s (PROXY header)", e->c.fd,
	    addr_format((struct sockaddr *)ss, name, sizeof(name)));
	why = check_source(wt, (struct sockaddr *)ss, &slot);
	if (why != STAT_N) {
		conn_drop(wt, e, why == STAT_TCP_REFUSED_ACCESS ?
		    CONN_END_ACCESS : why == STAT_TCP_REFUSED_LIMIT ?
		    CONN_END_LIMIT : CONN_END_RATE);
		return;
	}
	e->ps_slot = slot;
	e->c.can_read = true;
	conn_service(wt, e);
}

/* The list is by last activity, and a waiting connection has had none. */
static void
expire_proxy(struct worker_tcp *wt)
{
	struct conn_entry *e, *next;

	if (wt->nproxy_wait == 0 || wt->now_ms < wt->proxy_check_ms)
		return;
	wt->proxy_check_ms = wt->now_ms + PROXY_CHECK_MS;
	for (e = wt->tab.oldest; e != NULL &&
	    wt->now_ms - e->active_ms >= PROXY_TIMEOUT_MS; e = next) {
		next = e->next;
		if (e->proxy_wait)
			conn_drop(wt, e, CONN_END_PROXY);
	}
}

/*
 * A refusal at accept, before a connection entry exists.  A reset, not a
 * FIN: a flood of refused connections leaves no TIME_WAIT behind.
 */
static void
refuse(struct worker_tcp *wt, int fd, const struct sockaddr *sa,
    enum stat_id why)
{
	struct linger lg = { 1, 0 };
	char name[ADDR_STRLEN];

	log_debug("tcp worker: refused %s (%s)", addr_format(sa, name,
	    sizeof(name)), stat_info[why].name);
	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	(void)close(fd);
	scoreboard_count(wt->we->sb, wt->we->board, why, 1);
}

static void
conn_add(struct worker_tcp *wt, int fd, int slot, bool proxy_wait)
{
	struct epoll_event ev;
	struct conn_entry *e;
	uint64_t suppressed;

	/* Out of memory or epoll space: this one is closed, rate-limited. */
	if ((e = conntab_add(&wt->tab, wt->now_ms)) == NULL) {
		if (log_ratelimit_allow(&wt->warn_rl, wt->now_ms, &suppressed))
			log_warn("tcp worker: malloc connection, closing it "
			    "(%llu more suppressed)",
			    (unsigned long long)suppressed);
		(void)close(fd);
		persource_release(wt->we->ps, slot);
		return;
	}
	conn_init(&e->c, fd);
	e->ps_slot = slot;
	e->proxy_wait = proxy_wait;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI | EPOLLET;
	ev.data.ptr = e;
	if (epoll_ctl(wt->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		if (log_ratelimit_allow(&wt->warn_rl, wt->now_ms, &suppressed))
			log_warn("tcp worker: epoll_ctl add connection, "
			    "closing it (%llu more suppressed)",
			    (unsigned long long)suppressed);
		(void)close(fd);
		persource_release(wt->we->ps, slot);
		conntab_remove(&wt->tab, e);
		return;
	}
	if (proxy_wait)
		wt->nproxy_wait++;
	scoreboard_count(wt->we->sb, wt->we->board, STAT_TCP_ACCEPTED, 1);
	scoreboard_set_conns(wt->we->sb, wt->we->board, wt->tab.n);
}

/*
 * The one way a connection ends: the reason is logged and counted here.
 * Closing the descriptor also removes it from the epoll set.
 */
static void
conn_drop(struct worker_tcp *wt, struct conn_entry *e, enum conn_end why)
{
	log_debug("tcp worker: fd %d closed (%s) after %llu bytes", e->c.fd,
	    conn_end_name(why), (unsigned long long)e->c.bytes);
	scoreboard_count(wt->we->sb, wt->we->board, closed_stat[why], 1);
	persource_release(wt->we->ps, e->ps_slot);
	if (e->proxy_wait)
		wt->nproxy_wait--;
	conn_close(&e->c, &wt->pool);
	conntab_remove(&wt->tab, e);
	scoreboard_set_conns(wt->we->sb, wt->we->board, wt->tab.n);
}

static void
conn_service(struct worker_tcp *wt, struct conn_entry *e)
{
	uint64_t before = e->c.bytes;
	enum conn_status st;
	bool moved;

	st = conn_run(&e->c, &wt->pool, CONN_BUDGET, &moved);
	if (e->c.bytes != before)
		scoreboard_count(wt->we->sb, wt->we->board, STAT_TCP_BYTES,
		    e->c.bytes - before);
	switch (st) {
	case CONN_DONE:
		conn_drop(wt, e, e->c.failed ? CONN_END_ERROR :
		    CONN_END_CLIENT);
		return;
	case CONN_MORE:
		/* The others have their turn before this one's next. */
		conntab_queue(&wt->tab, e);
		break;
	case CONN_IDLE:
		break;
	case CONN_STALLED:
		conn_stalled(wt, e);
		break;
	}
	if (moved)
		conntab_touch(&wt->tab, e, wt->now_ms);
}

/* Nothing lost, nothing will wake it: run it again after a pause. */
static void
conn_stalled(struct worker_tcp *wt, struct conn_entry *e)
{
	uint64_t suppressed;

	if (wt->stall_retry_ms == 0)
		wt->stall_retry_ms = wt->now_ms + STALL_RETRY_MS;
	if (log_ratelimit_allow(&wt->stall_rl, wt->now_ms, &suppressed))
		log_warnx("tcp worker: %s on fd %d: %s; retrying every %d ms "
		    "(%llu more since last logged)", e->c.stall_call, e->c.fd,
		    strerror(e->c.stall_errno), STALL_RETRY_MS,
		    (unsigned long long)suppressed);
}

/* Queue every stalled connection: run_queue may free them safely. */
static void
retry_stalled(struct worker_tcp *wt)
{
	struct conn_entry *e;

	if (wt->stall_retry_ms == 0 || wt->now_ms < wt->stall_retry_ms)
		return;
	wt->stall_retry_ms = 0;
	for (e = wt->tab.oldest; e != NULL; e = e->next)
		if (e->c.stall_call != NULL && !e->queued)
			conntab_queue(&wt->tab, e);
}

static void
conn_event(struct worker_tcp *wt, struct conn_entry *e, uint32_t events)
{
	struct conn *c = &e->c;

	if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR | EPOLLPRI))
		c->must_drain = true;
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR | EPOLLPRI))
		c->can_read = true;
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		c->can_write = true;
	if (e->proxy_wait) {
		proxy_header(wt, e);
		return;
	}
	/* A queued connection runs from the queue, where it can be freed. */
	if (!e->queued)
		conn_service(wt, e);
}

static void
run_queue(struct worker_tcp *wt)
{
	struct conn_entry *e, *q = conntab_take_queue(&wt->tab);

	while ((e = q) != NULL) {
		q = e->run_next;
		e->queued = false;
		conn_service(wt, e);
	}
}

static void
expire_idle(struct worker_tcp *wt)
{
	uint64_t limit = (uint64_t)wt->cf->idle_timeout_s * 1000;
	struct conn_entry *e;

	if (limit == 0)
		return;
	while ((e = wt->tab.oldest) != NULL && !e->queued &&
	    wt->now_ms - e->active_ms >= limit)
		conn_drop(wt, e, CONN_END_IDLE);
}

/* Stop accepting at once; serve what is open until it closes or time is up. */
static void
drain_start(struct worker_tcp *wt)
{
	size_t i;

	if (wt->draining)
		return;
	wt->draining = true;
	scoreboard_set_draining(wt->we->sb, wt->we->board);
	wt->drain_deadline_ms = wt->now_ms +
	    (uint64_t)wt->cf->shutdown_timeout_s * 1000;
	update_accepting(wt);
	/* The master keeps its copies; ours must go so ports can close. */
	for (i = 0; i < wt->nlfds; i++)
		(void)close(wt->lfds[i]);
	wt->nlfds = 0;
	log_info("tcp worker: draining %d connections (worker %d of "
	    "generation %d)", wt->tab.n, wt->we->slot, wt->we->generation);
}

static void
close_all(struct worker_tcp *wt)
{
	(void)conntab_take_queue(&wt->tab);
	while (wt->tab.oldest != NULL)
		conn_drop(wt, wt->tab.oldest, CONN_END_SHUTDOWN);
	conntab_free_spares(&wt->tab);
}

static int
next_timeout(struct worker_tcp *wt)
{
	uint64_t t = UINT64_MAX, d;

	if (wt->tab.runq != NULL)
		return 0;
	if (wt->stall_retry_ms != 0)
		t = wt->stall_retry_ms > wt->now_ms ?
		    wt->stall_retry_ms - wt->now_ms : 0;
	if (!wt->listening && !wt->draining &&
	    wt->tab.n < wt->cf->max_connections) {
		d = wt->accept_resume_ms > wt->now_ms ?
		    wt->accept_resume_ms - wt->now_ms : 0;
		if (d < t)
			t = d;
	}
	if (wt->cf->idle_timeout_s > 0 && wt->tab.oldest != NULL) {
		d = wt->tab.oldest->active_ms +
		    (uint64_t)wt->cf->idle_timeout_s * 1000;
		d = d > wt->now_ms ? d - wt->now_ms : 0;
		if (d < t)
			t = d;
	}
	if (wt->nproxy_wait > 0 && PROXY_CHECK_MS < t)
		t = PROXY_CHECK_MS;
	if (wt->draining) {
		d = wt->drain_deadline_ms > wt->now_ms ?
		    wt->drain_deadline_ms - wt->now_ms : 0;
		if (d < t)
			t = d;
	}
	/* Wake to beat even when idle: a wait must not look like a hang. */
	return t > (uint64_t)wt->beat_ms ? wt->beat_ms : (int)t;
}

static _Noreturn void
tcp_exit(struct worker_tcp *wt, const char *why)
{
	struct scoreboard *sb = wt->we->sb;
	int b = wt->we->board;

	/*
	 * A fast stop owes nothing more: the kernel closes every socket as
	 * close_all would, and atexit work (a sanitizer's leak scan) must
	 * not delay the port's release.
	 */
	if (wt->want_quit)
		scoreboard_count(sb, b, STAT_TCP_CLOSED_SHUTDOWN, wt->tab.n);
	else
		close_all(wt);
	log_info("tcp worker %d exiting (%s): accepted %llu connections "
	    "(generation %d); closed %llu by the client, %llu on an error, "
	    "%llu idle, %llu at shutdown", wt->we->slot, why,
	    (unsigned long long)scoreboard_counted(sb, b, STAT_TCP_ACCEPTED),
	    wt->we->generation,
	    (unsigned long long)scoreboard_counted(sb, b,
	    STAT_TCP_CLOSED_CLIENT),
	    (unsigned long long)scoreboard_counted(sb, b,
	    STAT_TCP_CLOSED_ERROR),
	    (unsigned long long)scoreboard_counted(sb, b, STAT_TCP_CLOSED_IDLE),
	    (unsigned long long)scoreboard_counted(sb, b,
	    STAT_TCP_CLOSED_SHUTDOWN));
	if (wt->want_quit)
		_exit(0);
	exit(0);
}

void
worker_tcp_run(const struct worker_env *we)
{
	struct epoll_event events[MAX_EVENTS];
	struct worker_tcp wt;
	uint64_t tag;
	int i, n;

	memset(&wt, 0, sizeof(wt));
	wt.we = we;
	wt.cf = we->cf;
	wt.sigfd = worker_init(we, "tcp worker");
	tcp_setup(&wt);
	wt.now_ms = clock_now_ms();
	wt.beat_ms = monitor_beat_ms(wt.cf->worker_timeout_s);
	update_accepting(&wt);
	log_info("tcp worker %d started (generation %d)", we->slot,
	    we->generation);
	worker_serving(we);
	for (;;) {
		if (wt.want_quit)
			tcp_exit(&wt, "fast shutdown");
		if (wt.want_drain)
			drain_start(&wt);
		if (wt.draining && wt.tab.n == 0)
			tcp_exit(&wt, "drained");
		if (wt.draining && wt.now_ms >= wt.drain_deadline_ms)
			tcp_exit(&wt, "shutdown timeout");
		update_accepting(&wt);
		scoreboard_set_waiting(we->sb, we->board, wt.listening);
		n = epoll_wait(wt.epfd, events, MAX_EVENTS, next_timeout(&wt));
		scoreboard_set_waiting(we->sb, we->board, false);
		if (n == -1 && errno != EINTR)
			fatal("tcp worker: epoll_wait");
		wt.now_ms = clock_now_ms();
		scoreboard_beat(we->sb, we->board, wt.now_ms);
		/* A QUIT seen in this batch ends it: nothing left is owed. */
		for (i = 0; i < n && !wt.want_quit; i++) {
			tag = events[i].data.u64;
			if (tag == SIGNAL_TAG)
				take_signals(&wt);
			else if (tag & LISTENER_TAG)
				accept_ready(&wt, wt.lfds[tag & ~LISTENER_TAG]);
			else
				conn_event(&wt, events[i].data.ptr,
				    events[i].events);
		}
		retry_stalled(&wt);
		run_queue(&wt);
		expire_idle(&wt);
		expire_proxy(&wt);
	}
}
