/* listen.h: open, describe and match listening sockets across reloads. */
#ifndef ECHOD_LISTEN_H
#define ECHOD_LISTEN_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "config.h"

struct listener {
	enum config_proto	 proto;
	struct addr		 want;		/* as configured; port may be 0 */
	struct addr		 bound;		/* as bound (getsockname) */
	int			 fd;
	bool			 kept;		/* carried over from a reload */
	bool			 proxy;		/* expects a PROXY header */
	char			 name[ADDR_STRLEN + 8];	/* "tcp 1.2.3.4:7" */
};

struct listener_set {
	struct listener		*l;
	size_t			 n;
};

/*
 * Open the listeners `cf` asks for.  Those already in `old` (same protocol,
 * address and configured port) are carried over, descriptor and all, so a
 * reload never refuses a connection.  On failure nothing in `old` changes
 * and everything this call opened is closed again.
 */
int	 listen_open_all(const struct config *, const struct listener_set *,
	    struct listener_set *);
int	 listen_adopt(struct listener *, int, const struct addr *);
void	 listen_set_backlog(struct listener_set *, int);
void	 listen_abandon(struct listener_set *);
/*
 * Close the descriptors of `set` that `keep` does not share (all of them
 * if `keep` is NULL), logging each if `say`; `set` holds none after.
 */
void	 listen_close_except(struct listener_set *, const struct listener_set *,
	    bool);
void	 listen_close_all(struct listener_set *);
void	 listen_free(struct listener_set *);
/* After fork: keep the listeners of `proto`, close every other one. */
void	 listen_keep_only(struct listener_set *, enum config_proto);
size_t	 listen_count(const struct listener_set *, enum config_proto);

#endif
