/* worker.h: what every worker is given and does at birth. */
#ifndef ECHOD_WORKER_H
#define ECHOD_WORKER_H

#include <sys/types.h>

#include <signal.h>
#include <stdbool.h>

#include "acceptlock.h"
#include "config.h"
#include "listen.h"
#include "scoreboard.h"

/* What the master hands a worker across fork; read-only in the worker. */
struct worker_env {
	const struct config	*cf;
	struct listener_set	*ls;
	struct acceptlock	*lock;		/* TCP workers only */
	struct scoreboard	*sb;		/* TCP, lock modes; may be NULL */
	pid_t			 master_pid;
	int			 slot;
	int			 generation;
	bool			 drop_privileges;	/* master runs as root */
};

/*
 * Title ("echod: <role>"), signals, privilege drop, parent watch.  Fills
 * the wait mask for the worker's one blocking call; exits PROC_EXIT_INIT
 * on failure.
 */
void		 worker_init(const struct worker_env *, const char *,
		    sigset_t *);
_Noreturn void	 worker_tcp_run(const struct worker_env *);
_Noreturn void	 worker_udp_run(const struct worker_env *);

#endif
