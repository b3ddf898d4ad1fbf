/* tcp_accept.c: TCP worker: accepting under the lock, and standing down. */

#include <sys/epoll.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <string.h>

#include "acceptlock.h"
#include "log.h"
#include "scoreboard.h"
#include "worker_tcp.h"

#define ACCEPT_BATCH		32	/* connections per lock hold */
#define LOCK_RETRY_MS		1	/* after losing the lock race */
#define LOCK_BUSY_MAX		8	/* races lost in a row before that */
/* Idlers are left connections only when 1/IDLER_SLACK behind us. */
#define IDLER_SLACK		32
/* A listen queue this long is a flood: a lock loser accepts too. */
#define QUEUE_FLOOD		ACCEPT_BATCH

static void	 arm_listeners(struct worker_tcp *, bool);
static void	 pause_accepting(struct worker_tcp *, uint64_t);
static bool	 accept_batch(struct worker_tcp *, size_t, bool);
static bool	 queue_flooded(int);
static bool	 ahead_of_idlers(const struct worker_tcp *);
static void	 step_behind(struct worker_tcp *);
static void	 accept_failed(struct worker_tcp *);

/*
 * Every worker with room watches the listeners, and EPOLLEXCLUSIVE has
 * the kernel wake one sleeping worker per connection, the first in the
 * order the listeners were added; a busy one finds it on its next turn.
 * Waking every idle worker instead cost 0.7 context switches per
 * connection at 4 workers and 1.85 at 8, against 0.65 and 1.4.  With a
 * lock, the lock picks who accepts, a loser stands down for
 * LOCK_RETRY_MS, and a holder defers to idlers (accept_batch); each
 * re-adds the listeners behind the other workers', which keeps them
 * taking turns, for an epoll_ctl pair: 0.25 calls per connection at 4
 * workers.  Listeners kept armed instead (edge-triggered, so a loser does
 * not spin) saved those calls and cost 35 to 40 % more CPU per connection
 * in wake-ups: README, "Accept lock".
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
		ev.events = EPOLLIN | EPOLLEXCLUSIVE;
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
	if (!wt->listening)
		tcp_set_idle(wt, false);
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

/*
 * Idle, for a lock holder deciding whether to leave a connection to
 * another worker (ahead_of_idlers): listeners armed, and nothing done
 * since the worker last went to sleep but lose the lock race.  A loser
 * counts: it is awake, its listener (level-triggered) reports the queue
 * again on its next turn, and it wins the lock once the holder lets go.
 * When only a worker inside epoll_wait counted, a loser was between its
 * lost race and its next epoll_wait whenever the holder looked: four
 * connections arriving together all went to one of two workers one time
 * in four (README, "Accept lock").  Stored only when it changes: other
 * workers read that cache line.
 */
void
tcp_set_idle(struct worker_tcp *wt, bool idle)
{
	if (wt->idle == idle)
		return;
	wt->idle = idle;
	scoreboard_set_waiting(wt->we->sb, wt->we->board, idle);
}

/* Re-added, our listeners come last: the next connection wakes another. */
static void
step_behind(struct worker_tcp *wt)
{
	if (!wt->listening)
		return;		/* stood down: re-added behind when back */
	arm_listeners(wt, false);
	arm_listeners(wt, true);
}

/* Listener li is readable. */
void
tcp_accept_ready(struct worker_tcp *wt, size_t li)
{
	uint64_t suppressed;
	bool behind;
	int r, lfd;

	if (!wt->listening || li >= wt->nlfds)
		return;		/* stood down earlier in this batch of events */
	lfd = wt->lfds[li];
	if ((r = acceptlock_try(wt->we->lock)) == 0) {
		/*
		 * A flood outruns one holder at a time: with 64 workers,
		 * the losers polled the listener again 9 to 45 times for
		 * each connection accepted.  A loser not ahead of the
		 * others takes a batch without the lock, and steps behind
		 * so that the kernel wakes another for the next.
		 */
		if (queue_flooded(lfd) && !ahead_of_idlers(wt)) {
			tcp_set_idle(wt, false);
			(void)accept_batch(wt, li, true);
			tcp_update_accepting(wt);
			step_behind(wt);
			return;
		}
		if (++wt->lock_busy >= LOCK_BUSY_MAX) {
			wt->lock_busy = 0;
			pause_accepting(wt, LOCK_RETRY_MS);
		}
		return;
	}
	wt->lock_busy = 0;
	tcp_set_idle(wt, false);
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
	behind = accept_batch(wt, li, false);
	acceptlock_release(wt->we->lock);
	tcp_update_accepting(wt);
	if (behind)
		step_behind(wt);
}

/*
 * Whether we should step behind the other workers afterwards.  In a
 * flood, nothing is left to idlers: the kernel wakes them for the
 * connections still arriving.
 */
static bool
accept_batch(struct worker_tcp *wt, size_t li, bool flood)
{
	struct sockaddr_storage ss;
	uint64_t suppressed;
	socklen_t len;
	int fd, i, slot, lost = 0, lfd = wt->lfds[li];
	bool behind = false;

	for (i = 0; i < ACCEPT_BATCH &&
	    wt->tab.n < wt->cf->max_connections; i++) {
		/*
		 * The first awake worker would take a whole burst (four
		 * bulk streams on one core while another idles): leave a
		 * connection to a sleeping worker with fewer, once; if it
		 * has not taken it when we are back, we do.  The kernel
		 * wakes one worker per connection: in a burst the others
		 * are awake for the rest, but the first of this batch may
		 * have woken only us and would wait out our pause.  Take
		 * that one, and step behind so the next wakes another.
		 */
		if (!wt->deferred && !flood && ahead_of_idlers(wt)) {
			if (i > 0) {
				wt->deferred = true;
				pause_accepting(wt, LOCK_RETRY_MS);
				return behind;
			}
			behind = true;
		}
		len = sizeof(ss);
		fd = accept4(lfd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd != -1) {
			wt->deferred = false;
			/* Behind a proxy, the client is known from its header. */
			if (wt->lproxy[li])
				tcp_conn_add(wt, fd, -1, true);
			else if (tcp_admit(wt, fd, (struct sockaddr *)&ss, &slot))
				tcp_conn_add(wt, fd, slot, false);
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return behind;
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
		return behind;
	}
	return behind;
}

/*
 * Whether a sleeping worker serves fewer connections than we do, by more
 * than 1/IDLER_SLACK of ours.  Without the slack, with 64 workers nearly
 * every connection found one a few behind and was left to it, for a
 * stand-down, a wake-up and two epoll_ctl each: 64 workers opening
 * 100,000 connections spent 300 us of CPU on each (accept, echo, close)
 * against 110 with no lock at all.  With it (and lock losers accepting
 * in a flood), 110 us, and 1.05 max/min connections per worker.
 */
static bool
ahead_of_idlers(const struct worker_tcp *wt)
{
	return wt->we->share_bursts && wt->tab.n > 1 &&
	    scoreboard_has_idler(wt->we->sb, wt->we->board,
	    wt->tab.n - wt->tab.n / IDLER_SLACK);
}

/*
 * A listening socket's TCP_INFO gives the connections waiting in its
 * queue (tcpi_unacked); asked only by a worker that lost the lock.
 */
static bool
queue_flooded(int lfd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (getsockopt(lfd, IPPROTO_TCP, TCP_INFO, &ti, &len) == -1)
		return false;	/* not TCP, say: share as usual */
	return ti.tcpi_unacked >= QUEUE_FLOOD;
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
