/* monitor.h: what the master watches: hung workers, systemd's watchdog, the STATUS= line. */
#ifndef ECHOD_MONITOR_H
#define ECHOD_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include "generation.h"
#include "scoreboard.h"

struct monitor {
	uint64_t	 next_ms;	/* the next tick */
	uint64_t	 watchdog_ms;	/* 0: systemd set no watchdog */
	uint64_t	 pinged_ms;
	uint64_t	 status_ms;	/* last STATUS= line */
	uint64_t	 accepted;	/* at the last STATUS= line */
	uint64_t	 datagrams;
};

void	 monitor_init(struct monitor *, uint64_t);
/*
 * Look at every worker of `gens`: one that has stayed in one loop turn
 * longer than the serving configuration's worker_timeout is sent SIGABRT
 * (a core dump shows where it hung), then SIGKILL.  While every worker is
 * fresh, ping systemd's watchdog; every few seconds, tell systemd the
 * essentials.  `running`: the master is not stopping.
 */
void	 monitor_tick(struct monitor *, struct generation *,
	    const struct generation *, struct scoreboard *, bool, uint64_t);
/* A worker's epoll wait never outlasts this, so it beats while idle. */
int	 monitor_beat_ms(int);

#endif
