/* master_int.h: the master's state, shared by master.c and reload.c only. */
#ifndef ECHOD_MASTER_INT_H
#define ECHOD_MASTER_INT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "generation.h"
#include "master.h"
#include "monitor.h"
#include "persource.h"
#include "pidfile.h"
#include "scoreboard.h"

#define RESPAWN_BASE_MS		100	/* first delay after a crash */
#define RESPAWN_MAX_MS		10000	/* backoff cap per slot */
#define HEALTHY_MS		10000	/* uptime that forgives past crashes */
#define INIT_FAILURES_MAX	3	/* then the master gives up */
#define START_TIMEOUT_MS	10000	/* a reload's workers must serve by */
#define FDS_PER_WORKER		64	/* listeners, epoll, logging, slack */
#define PERSOURCE_ENTRIES	65536	/* TCP sources tracked at once */
/* Room for a full generation serving, one starting and two draining. */
#define SB_SLOTS		(4 * (CONFIG_WORKERS_MAX + 1))

enum master_state { MASTER_RUNNING, MASTER_STOPPING, MASTER_DONE };
enum stop_how { STOP_GRACEFUL, STOP_FAST };

struct master {
	const struct master_opts *opts;
	bool			 is_root;
	pid_t			 pid;
	struct generation	*gens;		/* every generation alive */
	struct generation	*cur;		/* the serving one */
	struct generation	*starting;	/* a reload's, not yet serving */
	int			 next_gen;
	enum master_state	 state;
	bool			 announced;	/* first generation served */
	bool			 want_reload;	/* HUP during a reload */
	bool			 want_upgrade;	/* USR2, -s upgrade */
	bool			 resumed;	/* re-executed: adopting */
	bool			 sb_adopted;	/* the old image's table */
	int			 want_workers;	/* TTIN, TTOU, -s workers */
	uint64_t		 stop_kill_ms;
	struct pidfile		 pf;
	struct scoreboard	*sb;		/* every worker's slot */
	struct persource	*ps;		/* per-source TCP counts */
	struct monitor		 mon;
	int			 wake[2];	/* workers: "I serve" */
	int			 ready_fd;	/* daemon: the launcher waits */
	sigset_t		 waitmask;
	int			 exit_code;
};

void	 master_spawn(struct master *, struct generation *, struct worker *);
void	 master_raise_nofile(const struct config *);
void	 master_reload(struct master *);
void	 reload_abort(struct master *, const char *);
void	 reload_commit(struct master *);

#endif
