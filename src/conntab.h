/* conntab.h: a TCP worker's connections: by last activity, the run queue, spares. */
#ifndef ECHOD_CONNTAB_H
#define ECHOD_CONNTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"

/*
 * One connection and where the worker keeps it.  The echo state (struct
 * conn) knows nothing of lists: conn.c is tested with a socketpair alone.
 */
/* 72 bytes, one 80-byte malloc chunk: see struct conn. */
struct conn_entry {
	struct conn		 c;
	uint64_t		 active_ms;	/* last byte moved */
	struct conn_entry	*prev;		/* oldest activity first */
	struct conn_entry	*next;
	struct conn_entry	*run_next;
	int			 ps_slot;	/* persource.c's; -1: none */
	bool			 queued;	/* on the run queue */
	bool			 proxy_wait;	/* its PROXY header not yet read */
};

/*
 * The list by last activity makes idle expiry O(1) per connection
 * expired: the oldest is always first.  The run queue holds connections
 * that spent their budget with work left, so each gets its turn.  Spare
 * entries spare malloc on the accept path.
 */
struct conntab {
	struct conn_entry	*oldest;
	struct conn_entry	*newest;
	struct conn_entry	*runq;
	struct conn_entry	*runq_tail;
	struct conn_entry	*spare;
	size_t			 nspare;
	size_t			 spare_max;
	int			 n;
};

void			 conntab_init(struct conntab *, size_t);
/* A new entry, newest in the list; NULL when out of memory. */
struct conn_entry	*conntab_add(struct conntab *, uint64_t);
/* Out of the list and the queue; kept as a spare or freed. */
void			 conntab_remove(struct conntab *, struct conn_entry *);
void			 conntab_touch(struct conntab *, struct conn_entry *,
			    uint64_t);
void			 conntab_queue(struct conntab *, struct conn_entry *);
/* Empty the run queue and return what it held, in order. */
struct conn_entry	*conntab_take_queue(struct conntab *);
void			 conntab_free_spares(struct conntab *);

#endif
