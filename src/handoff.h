/* handoff.h: descriptors handed to echod at start: systemd's sockets, an upgrading master's. */
#ifndef ECHOD_HANDOFF_H
#define ECHOD_HANDOFF_H

#include <stddef.h>

#include "listen.h"

/* Listeners, the pid file and the status file handed over, at most. */
#define HANDOFF_MAX_FDS		256

/*
 * The descriptors to keep open at start-up, sorted: those of
 * $LISTEN_FDS when $LISTEN_PID is this process, and those an upgrading
 * master names in $ECHOD_UPGRADE.  Everything else above stderr is a leak.
 */
size_t	 handoff_keep(int *, size_t);
/*
 * systemd's sockets (sd_listen_fds(3)) as listeners; the variables are
 * then unset, so workers and a re-executed master do not take them again.
 * 0 with an empty set when there are none; -1 (logged) on a bad one.
 */
int	 handoff_systemd(struct listener_set *);
void	 handoff_env_blank(const char *);
int	 handoff_listen(const struct config *, const char *,
	    struct listener_set *);
/* Every passed socket must serve a `listen` entry; -1 (logged) if not. */
int	 handoff_all_used(const struct listener_set *,
	    const struct listener_set *, const char *);

#endif
