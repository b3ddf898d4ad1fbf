/* master.h: master loop: signals, spawn/reap/respawn, reload generations, shutdown. */
#ifndef ECHOD_MASTER_H
#define ECHOD_MASTER_H

#include <stdbool.h>

#include "config.h"

struct master_opts {
	const char	*config_path;
	bool		 foreground;
};

/* Takes ownership of `cf`; returns the process exit code. */
int	 master_run(struct config *, const struct master_opts *);

#endif
