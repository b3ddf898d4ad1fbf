/* upgrade.h: re-execute the master in place, keeping its sockets and workers. */
#ifndef ECHOD_UPGRADE_H
#define ECHOD_UPGRADE_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "listen.h"

struct master;

/* The old image: SIGUSR2 or `echod -s upgrade`; returns only on failure. */
void	 master_upgrade(struct master *);

/* The new image, started by master_upgrade. */
bool	 upgrade_resuming(void);
size_t	 upgrade_keep(int *, size_t);
int	 upgrade_resume(struct master *, const struct config *,
	    struct listener_set *);
int	 upgrade_adopt_workers(struct master *);
void	 upgrade_commit(struct master *);

#endif
