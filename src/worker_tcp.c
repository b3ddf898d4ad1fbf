/* worker_tcp.c: TCP worker: epoll loop, connection table, timers, drain. */

#include <sys/epoll.h>
#include <sys/socket.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "conn.h"
#include "conntab.h"
#include "counters.h"
#include "log.h"
#include "monitor.h"
#include "persource.h"
#include "proc.h"
#include "scoreboard.h"
#include "sig.h"
#include "worker.h"
#include "worker_tcp.h"

#define MAX_EVENTS		256
#define SPARE_CONNS_MAX		256
#define SPARE_BUFS_MAX		64
#define LARGE_BUFS_MAX		64	/* 4 MiB of streaming buffers */

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
		log_err("epoll_create1");
		exit(PROC_EXIT_INIT);
	}
	if ((wt->lfds = calloc(ls->n, sizeof(*wt->lfds))) == NULL ||
	    (wt->lproxy = calloc(ls->n, sizeof(*wt->lproxy))) == NULL) {
		log_err("calloc");
		exit(PROC_EXIT_INIT);
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = SIGNAL_TAG;
	if (epoll_ctl(wt->epfd, EPOLL_CTL_ADD, wt->sigfd, &ev) == -1) {
		log_err("epoll_ctl add signalfd");
		exit(PROC_EXIT_INIT);
	}
	for (i = 0; i < ls->n; i++)
		if (ls->l[i].proto == PROTO_TCP && ls->l[i].fd != -1) {
			wt->lproxy[wt->nlfds] = ls->l[i].proxy;
			wt->lfds[wt->nlfds++] = ls->l[i].fd;
		}
	buf_pool_init(&wt->pool, SPARE_BUFS_MAX, LARGE_BUFS_MAX);
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
		log_warn("read signalfd (%llu more suppressed)",
		    (unsigned long long)suppressed);
}

void
tcp_conn_add(struct worker_tcp *wt, int fd, int slot, bool proxy_wait)
{
	struct epoll_event ev;
	struct conn_entry *e;
	uint64_t suppressed;
	const char *failed;

	/* Out of memory or epoll space: this one is closed, rate-limited. */
	if ((e = conntab_add(&wt->tab, wt->now_ms)) == NULL) {
		failed = "malloc connection";
		goto fail;
	}
	conn_init(&e->c, fd);
	e->ps_slot = slot;
	e->proxy_wait = proxy_wait;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI | EPOLLET;
	ev.data.ptr = e;
	if (epoll_ctl(wt->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		failed = "epoll_ctl add connection";
		goto fail;
	}
	/* Behind a proxy, accepted means admitted: see tcp_admit.c. */
	if (proxy_wait)
		wt->nproxy_wait++;
	else
		scoreboard_count(wt->we->sb, wt->we->board, STAT_TCP_ACCEPTED,
		    1);
	scoreboard_set_conns(wt->we->sb, wt->we->board, wt->tab.n);
	return;
fail:
	if (log_ratelimit_allow(&wt->warn_rl, wt->now_ms, &suppressed))
		log_warn("%s, closing it (%llu more suppressed)", failed,
		    (unsigned long long)suppressed);
	(void)close(fd);
	persource_release(wt->we->ps, slot);
	if (e != NULL)
		conntab_remove(&wt->tab, e);
}

/*
 * The one way a connection ends: the reason is logged and counted here.
 * Closing the descriptor also removes it from the epoll set.  One still
 * waiting for its PROXY header was never accepted (tcp_admit.c), so
 * however it ends it counts as refused for its header: accepted stays
 * the sum of the closed counts and the open connections.
 */
void
tcp_conn_drop(struct worker_tcp *wt, struct conn_entry *e, enum conn_end why)
{
	if (e->proxy_wait)
		why = CONN_END_PROXY;
	log_debug("fd %d closed (%s) after %llu bytes", e->c.fd,
	    conn_end_name(why), (unsigned long long)e->c.bytes);
	scoreboard_count(wt->we->sb, wt->we->board, closed_stat[why], 1);
	persource_release(wt->we->ps, e->ps_slot);
	if (e->proxy_wait)
		wt->nproxy_wait--;
	conn_close(&e->c, &wt->pool);
	conntab_remove(&wt->tab, e);
	scoreboard_set_conns(wt->we->sb, wt->we->board, wt->tab.n);
}

void
tcp_conn_service(struct worker_tcp *wt, struct conn_entry *e)
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
		tcp_conn_drop(wt, e, e->c.failed ? CONN_END_ERROR :
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
		log_warnx("%s on fd %d: %s; retrying every %d ms "
		    "(%llu more since last logged)", conn_stall_call(&e->c), e->c.fd,
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
		if (conn_stall_call(&e->c) != NULL && !e->queued)
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
	tcp_set_idle(wt, false);
	if (e->proxy_wait) {
		tcp_proxy_header(wt, e);
		return;
	}
	/* A queued connection runs from the queue, where it can be freed. */
	if (!e->queued)
		tcp_conn_service(wt, e);
}

static void
run_queue(struct worker_tcp *wt)
{
	struct conn_entry *e, *q = conntab_take_queue(&wt->tab);

	if (q != NULL)
		tcp_set_idle(wt, false);
	while ((e = q) != NULL) {
		q = e->run_next;
		e->queued = false;
		tcp_conn_service(wt, e);
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
		tcp_conn_drop(wt, e, CONN_END_IDLE);
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
	tcp_update_accepting(wt);
	/* The master keeps its copies; ours must go so ports can close. */
	for (i = 0; i < wt->nlfds; i++)
		(void)close(wt->lfds[i]);
	wt->nlfds = 0;
	log_info("draining %d connections", wt->tab.n);
}

static void
close_all(struct worker_tcp *wt)
{
	(void)conntab_take_queue(&wt->tab);
	while (wt->tab.oldest != NULL)
		tcp_conn_drop(wt, wt->tab.oldest, CONN_END_SHUTDOWN);
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
	if (wt->beat_ms >= 0 && t > (uint64_t)wt->beat_ms)
		t = (uint64_t)wt->beat_ms;
	return t == UINT64_MAX ? -1 : t > INT_MAX ? INT_MAX : (int)t;
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
	if (wt->want_quit) {
		scoreboard_count(sb, b, STAT_TCP_CLOSED_SHUTDOWN,
		    (uint64_t)(wt->tab.n - wt->nproxy_wait));
		scoreboard_count(sb, b, STAT_TCP_REFUSED_PROXY,
		    (uint64_t)wt->nproxy_wait);
	} else
		close_all(wt);
	log_info("exiting (%s): accepted %llu connections; closed %llu by "
	    "the client, %llu on an error, %llu idle, %llu at shutdown", why,
	    (unsigned long long)scoreboard_counted(sb, b, STAT_TCP_ACCEPTED),
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
	log_procinit("tcp worker %d (generation %d)", we->slot,
	    we->generation);
	wt.sigfd = worker_init(we, "tcp worker");
	tcp_setup(&wt);
	wt.now_ms = clock_now_ms();
	wt.beat_ms = monitor_beat_ms(wt.cf->worker_timeout_s);
	tcp_update_accepting(&wt);
	log_info("started");
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
		tcp_update_accepting(&wt);
		/* With connections queued, the next wait returns at once. */
		tcp_set_idle(&wt, wt.listening && wt.tab.runq == NULL);
		n = epoll_wait(wt.epfd, events, MAX_EVENTS, next_timeout(&wt));
		if (n == -1 && errno != EINTR)
			fatal("epoll_wait");
		wt.now_ms = clock_now_ms();
		scoreboard_beat(we->sb, we->board, wt.now_ms);
		/* A QUIT seen in this batch ends it: nothing left is owed. */
		for (i = 0; i < n && !wt.want_quit; i++) {
			tag = events[i].data.u64;
			if (tag == SIGNAL_TAG)
				take_signals(&wt);
			else if (tag & LISTENER_TAG)
				tcp_accept_ready(&wt, tag & ~LISTENER_TAG);
			else
				conn_event(&wt, events[i].data.ptr,
				    events[i].events);
		}
		retry_stalled(&wt);
		run_queue(&wt);
		expire_idle(&wt);
		tcp_expire_proxy(&wt);
	}
}
