/* scoreboard.h: what TCP workers publish so the lock can share connections fairly. */
#ifndef ECHOD_SCOREBOARD_H
#define ECHOD_SCOREBOARD_H

#include <stdbool.h>

struct scoreboard;

/*
 * One slot per TCP worker of a generation, in shared memory the master
 * creates before the first fork.  A worker publishes how many connections
 * it serves and whether it sleeps with the listeners armed; a lock holder
 * uses that to leave a connection to an idle worker instead of taking
 * every connection of a burst itself.
 */
struct scoreboard	*scoreboard_create(int);
void			 scoreboard_destroy(struct scoreboard *);
void			 scoreboard_set_conns(struct scoreboard *, int, int);
void			 scoreboard_set_waiting(struct scoreboard *, int, bool);
void			 scoreboard_clear(struct scoreboard *, int);
bool			 scoreboard_has_idler(struct scoreboard *, int, int);

#endif
