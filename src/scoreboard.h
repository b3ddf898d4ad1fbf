/* scoreboard.h: what workers and the master publish, to each other and to `echod -s`. */
#ifndef ECHOD_SCOREBOARD_H
#define ECHOD_SCOREBOARD_H

#include <sys/types.h>

#include <stdbool.h>
#include <stdint.h>

#include "counters.h"

/*
 * One table in shared memory, created by the master before the first
 * fork, with one slot per worker process alive (of any generation).  It
 * lives in a file (status_file) that `echod -s status` maps read-only, so
 * reading it needs neither the master nor a worker: a wedged process
 * cannot block the answer.  Every field has one writer: the master (who
 * holds the slot, the retired totals) or the slot's worker (its state,
 * connections, heartbeat and counters), so nothing on the hot path is a
 * contended atomic.
 */
struct scoreboard;

enum sb_kind { SB_TCP, SB_UDP };

/* One worker as a reader sees it. */
struct sb_worker {
	pid_t		 pid;
	int		 generation;
	enum sb_kind	 kind;
	int		 number;	/* tcp worker N */
	bool		 serving;
	bool		 draining;
	int		 conns;
	uint64_t	 heartbeat_ms;	/* CLOCK_MONOTONIC */
	uint64_t	 stat[STAT_N];
};

/* The whole table as a reader sees it: counts never go backwards. */
struct sb_snapshot {
	pid_t		 master_pid;
	int64_t		 started;	/* the master's start, time(2) */
	char		 version[32];
	int		 generation;	/* the serving one */
	int		 tcp_workers;	/* it asks for */
	uint64_t	 now_ms;	/* CLOCK_MONOTONIC when read */
	uint64_t	 total[STAT_N];	/* retired plus alive */
	uint64_t	 mstat[MSTAT_N];
	struct sb_worker *w;		/* nw of them, heap */
	int		 nw;
};

/* The master. */
struct scoreboard	*scoreboard_create(const char *, int, gid_t);
struct scoreboard	*scoreboard_adopt(int, const char *, int);
int			 scoreboard_fd(const struct scoreboard *);
void			 scoreboard_unlink(struct scoreboard *);
int			 scoreboard_claim(struct scoreboard *, int, enum sb_kind,
			    int);
void			 scoreboard_set_pid(struct scoreboard *, int, pid_t);
void			 scoreboard_release(struct scoreboard *, int);
void			 scoreboard_set_master(struct scoreboard *, pid_t,
			    const char *);
void			 scoreboard_set_serving_gen(struct scoreboard *, int,
			    int);
void			 scoreboard_count_master(struct scoreboard *,
			    enum mstat_id);
uint64_t		 scoreboard_heartbeat(struct scoreboard *, int);

/* A worker, in its own slot. */
void			 scoreboard_set_serving(struct scoreboard *, int);
bool			 scoreboard_serving(struct scoreboard *, int);
void			 scoreboard_set_draining(struct scoreboard *, int);
void			 scoreboard_set_conns(struct scoreboard *, int, int);
void			 scoreboard_set_waiting(struct scoreboard *, int, bool);
void			 scoreboard_beat(struct scoreboard *, int, uint64_t);
void			 scoreboard_count(struct scoreboard *, int, enum stat_id,
			    uint64_t);
uint64_t		 scoreboard_counted(struct scoreboard *, int,
			    enum stat_id);
bool			 scoreboard_has_idler(struct scoreboard *, int, int);

/* Anyone: `echod -s`, the master's STATUS= line. */
struct scoreboard	*scoreboard_open(const char *);
int			 scoreboard_snapshot(struct scoreboard *,
			    struct sb_snapshot *);
void			 scoreboard_snapshot_free(struct sb_snapshot *);
void			 scoreboard_destroy(struct scoreboard *);

#endif
