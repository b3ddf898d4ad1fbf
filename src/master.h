/* master.h: master loop: signals, spawn/reap/respawn, reload generations, shutdown. */
#ifndef ECHOD_MASTER_H
#define ECHOD_MASTER_H

#include <signal.h>
#include <stdbool.h>

#include "config.h"

/* `echod -s workers N`: sigqueue(3)s this with N to the master. */
#define SIG_WORKERS	SIGRTMIN

struct master_opts {
	const char	*config_path;
	bool		 foreground;
};

/* Takes ownership of `cf`; returns the process exit code. */
int	 master_run(struct config *, const struct master_opts *);

#endif
