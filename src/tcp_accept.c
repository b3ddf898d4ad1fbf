/* tcp_accept.c: TCP worker: accepting under the lock, and standing down. */

#include <sys/epoll.h>
#include <sys/socket.h>

#include <errno.h>
#include <string.h>

#include "acceptlock.h"
#include "log.h"
#include "scoreboard.h"
#include "worker_tcp.h"

#define ACCEPT_BATCH		32	/* connections per lock hold */
#define LOCK_RETRY_MS		1	/* after losing the lock race */
#define LOCK_BUSY_MAX		8	/* races lost in a row before that */

static void	 arm_listeners(struct worker_tcp *, bool);
static void	 pause_accepting(struct worker_tcp *, uint64_t);
static void	 accept_batch(struct worker_tcp *, int);
static void	 accept_failed(struct worker_tcp *);

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
			log_warn("epoll_ctl %s listener fd %d "
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

void
tcp_update_accepting(struct worker_tcp *wt)
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
	tcp_update_accepting(wt);
}

void
tcp_accept_ready(struct worker_tcp *wt, int lfd)
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
			log_warn("accept lock (%llu more "
			    "suppressed)", (unsigned long long)suppressed);
		pause_accepting(wt, ACCEPT_PAUSE_MS);
		return;
	}
	if (acceptlock_recovered(wt->we->lock))
		log_warnx("took over the accept lock from a "
		    "worker that died holding it");
	accept_batch(wt, lfd);
	acceptlock_release(wt->we->lock);
	tcp_update_accepting(wt);
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
			if (tcp_is_proxy(wt, lfd))
				tcp_conn_add(wt, fd, -1, true);
			else if (tcp_admit(wt, fd, (struct sockaddr *)&ss, &slot))
				tcp_conn_add(wt, fd, slot, false);
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
				log_warn("accept4 (%llu more "
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
		log_warn("accept4 (pausing accepts for %d ms; "
		    "%llu more since last logged)", ACCEPT_PAUSE_MS,
		    (unsigned long long)suppressed);
	}
	wt->accept_resume_ms = wt->now_ms + ACCEPT_PAUSE_MS;
}
