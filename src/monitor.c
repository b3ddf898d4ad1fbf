/* monitor.c: what the master watches: hung workers, systemd's watchdog, the STATUS= line. */

#include <sys/types.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "monitor.h"
#include "notify.h"

#define TICK_MS		250	/* a hang is seen within this of the limit */
#define ABORT_GRACE_MS	1000	/* for the core dump, before SIGKILL */
#define STATUS_MS	5000
#define BEAT_MIN_MS	50

static bool	 watch_worker(struct scoreboard *, struct worker *,
		    uint64_t, uint64_t);
static void	 status_line(struct monitor *, const struct generation *,
		    struct scoreboard *, uint64_t);

/*
 * Four beats per timeout, so that a wait is never a hang; none without
 * a timeout (-1), when nobody judges the beats.  No more than that: a
 * worker woken only to beat costs 50 us or more, and 64 of them beating
 * every second were most of what echod spent holding a million idle
 * connections.  Each generation is judged by its own worker_timeout
 * (monitor_tick), so a reload to a shorter one cannot find the old
 * workers' slower beats late.
 */
int
monitor_beat_ms(int worker_timeout_s)
{
	int ms = worker_timeout_s * 1000 / 4;

	return worker_timeout_s == 0 ? -1 : ms < BEAT_MIN_MS ? BEAT_MIN_MS :
	    ms;
}

void
monitor_init(struct monitor *mo, uint64_t now_ms)
{
	const char *usec;

	mo->next_ms = now_ms + TICK_MS;
	mo->status_ms = now_ms;
	mo->watchdog_ms = 0;
	/* systemd sets it to WatchdogSec=; ping at half, as it asks. */
	if ((usec = getenv("WATCHDOG_USEC")) != NULL)
		mo->watchdog_ms = strtoull(usec, NULL, 10) / 1000 / 2;
}

/* False when the worker is not fresh. */
static bool
watch_worker(struct scoreboard *sb, struct worker *w, uint64_t limit_ms,
    uint64_t now_ms)
{
	uint64_t beat;

	if (w->pid <= 0 || w->board == -1)
		return true;
	if (w->hung_ms != 0) {
		if (now_ms >= w->hung_ms + ABORT_GRACE_MS &&
		    w->hung_ms != UINT64_MAX) {
			log_errx("%s worker %d (pid %ld) did not end on SIGABRT; "
			    "killing it", gen_kind_name(w->kind), w->slot,
			    (long)w->pid);
			(void)kill(w->pid, SIGKILL);
			w->hung_ms = UINT64_MAX;
		}
		return false;
	}
	beat = scoreboard_heartbeat(sb, w->board);
	if (limit_ms == 0 || now_ms < beat || now_ms - beat <= limit_ms)
		return true;
	log_errx("%s worker %d (pid %ld) has been in one loop turn for %llu "
	    "ms, past worker_timeout: sending SIGABRT", gen_kind_name(w->kind),
	    w->slot, (long)w->pid, (unsigned long long)(now_ms - beat));
	/* A stopped worker would hold SIGABRT pending: let it run to die. */
	(void)kill(w->pid, SIGABRT);
	(void)kill(w->pid, SIGCONT);
	w->hung_ms = now_ms;
	scoreboard_count_master(sb, MSTAT_HUNG);
	return false;
}

static void
status_line(struct monitor *mo, const struct generation *cur,
    struct scoreboard *sb, uint64_t now_ms)
{
	struct sb_snapshot ss;
	uint64_t accepted, datagrams, secs;
	char line[256];
	int i, conns = 0;

	/* Without systemd nobody reads it: spare the snapshot. */
	if (getenv("NOTIFY_SOCKET") == NULL ||
	    scoreboard_snapshot(sb, &ss) == -1)
		return;
	for (i = 0; i < ss.nw; i++)
		conns += ss.w[i].conns;
	accepted = ss.total[STAT_TCP_ACCEPTED];
	datagrams = ss.total[STAT_UDP_ECHOED];
	secs = (now_ms - mo->status_ms) / 1000;
	if (secs == 0)
		secs = 1;
	(void)snprintf(line, sizeof(line), "STATUS=generation %d: %d tcp "
	    "workers, %d connections, %llu connections/s, %llu datagrams/s",
	    cur->id, cur->ntcp, conns,
	    (unsigned long long)((accepted - mo->accepted) / secs),
	    (unsigned long long)((datagrams - mo->datagrams) / secs));
	(void)notify_send(line);
	mo->accepted = accepted;
	mo->datagrams = datagrams;
	mo->status_ms = now_ms;
	scoreboard_snapshot_free(&ss);
}

void
monitor_tick(struct monitor *mo, struct generation *gens,
    const struct generation *cur, struct scoreboard *sb, bool running,
    uint64_t now_ms)
{
	struct generation *g;
	uint64_t limit_ms;
	bool fresh = true;
	int i;

	if (now_ms < mo->next_ms)
		return;
	mo->next_ms = now_ms + TICK_MS;
	for (g = gens; g != NULL; g = g->next) {
		/*
		 * Its workers beat at the pace of its own configuration.
		 * An old image's, adopted on upgrade, has none here (nor
		 * slots in our table: watch_worker passes them).
		 */
		limit_ms = (uint64_t)(g->cf != NULL ? g->cf :
		    cur->cf)->worker_timeout_s * 1000;
		for (i = 0; i < g->nw; i++)
			if (!watch_worker(sb, &g->w[i], limit_ms, now_ms))
				fresh = false;
	}
	if (!running)
		return;
	if (mo->watchdog_ms != 0 && fresh &&
	    now_ms - mo->pinged_ms >= mo->watchdog_ms) {
		(void)notify_send("WATCHDOG=1");
		mo->pinged_ms = now_ms;
	}
	if (now_ms - mo->status_ms >= STATUS_MS)
		status_line(mo, cur, sb, now_ms);
}
