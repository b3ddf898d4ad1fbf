/* worker.h: what every worker is given and does at birth. */
#ifndef ECHOD_WORKER_H
#define ECHOD_WORKER_H

#include <sys/types.h>

#include <stdbool.h>

#include "acceptlock.h"
#include "config.h"
#include "listen.h"
#include "persource.h"
#include "scoreboard.h"

/* What the master hands a worker across fork; read-only in the worker. */
struct worker_env {
	const struct config	*cf;
	struct listener_set	*ls;
	struct acceptlock	*lock;		/* TCP workers only */
	struct scoreboard	*sb;		/* the generation's */
	struct persource	*ps;		/* TCP workers: every one's */
	int			 board;		/* our slot in sb */
	bool			 share_bursts;	/* TCP workers > 1, a lock */
	pid_t			 master_pid;
	int			 wake_fd;	/* tells the master we serve */
	int			 slot;
	int			 generation;
	bool			 drop_privileges; /* master runs as root */
	bool			 foreground;	/* else stderr is not ours */
};

/*
 * Title ("echod: <role>"), signals, logging, privilege drop, parent
 * watch.  Returns the signalfd that reports TERM, INT and QUIT, for the
 * worker's epoll set; exits PROC_EXIT_INIT on failure.
 */
int		 worker_init(const struct worker_env *, const char *);
/* Once ready for clients: tell the master, which retires the old ones. */
void		 worker_serving(const struct worker_env *);
_Noreturn void	 worker_tcp_run(const struct worker_env *);
_Noreturn void	 worker_udp_run(const struct worker_env *);

#endif
