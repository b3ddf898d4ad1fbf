/* acceptlock.h: serialize accept() across TCP workers (mutex, fcntl or none). */
#ifndef ECHOD_ACCEPTLOCK_H
#define ECHOD_ACCEPTLOCK_H

#include <stdbool.h>

enum acceptlock_kind { ACCEPTLOCK_MUTEX, ACCEPTLOCK_FCNTL, ACCEPTLOCK_NONE };

struct acceptlock;

/*
 * Created by the master before the workers fork; every worker of one
 * generation shares it.  acceptlock_try never blocks: a worker waiting for
 * the lock keeps serving its connections.
 */
struct acceptlock	*acceptlock_create(enum acceptlock_kind);
int			 acceptlock_try(struct acceptlock *);	/* 1 held, 0 busy, -1 error */
void			 acceptlock_release(struct acceptlock *);
void			 acceptlock_destroy(struct acceptlock *);
enum acceptlock_kind	 acceptlock_kind(const struct acceptlock *);
bool			 acceptlock_recovered(struct acceptlock *);
const char		*acceptlock_name(enum acceptlock_kind);
int			 acceptlock_from_name(const char *);

#endif
