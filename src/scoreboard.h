/* scoreboard.h: what workers publish to the master and to each other. */
#ifndef ECHOD_SCOREBOARD_H
#define ECHOD_SCOREBOARD_H

#include <stdbool.h>

struct scoreboard;

/*
 * One slot per worker of a generation, in shared memory the master
 * creates before the first fork.  A worker says when it serves, so the
 * master retires the old generation only once the new one is there.  A
 * TCP worker publishes how many connections it serves and whether it
 * sleeps with the listeners armed; a lock holder uses that to leave a
 * connection to an idle worker instead of taking every connection of a
 * burst itself.
 */
struct scoreboard	*scoreboard_create(int);
void			 scoreboard_destroy(struct scoreboard *);
void			 scoreboard_set_serving(struct scoreboard *, int);
bool			 scoreboard_serving(struct scoreboard *, int);
void			 scoreboard_set_conns(struct scoreboard *, int, int);
void			 scoreboard_set_waiting(struct scoreboard *, int, bool);
void			 scoreboard_clear(struct scoreboard *, int);
bool			 scoreboard_has_idler(struct scoreboard *, int, int);

#endif
