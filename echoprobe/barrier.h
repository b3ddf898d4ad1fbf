/* barrier.h: the jobs of a hold run wait for each other to open, then hold. */
#ifndef ECHOPROBE_BARRIER_H
#define ECHOPROBE_BARRIER_H

#include <stdint.h>

/*
 * Shared memory, created before the jobs are forked.  Each job arrives
 * once it has opened (and echoed once, or failed) every connection it
 * will; the parent arrives for a job that ends without doing so.  The
 * time the last one arrived is the moment every connection was open,
 * and every job's idle hold ends a fixed time after it.
 */
struct barrier;

/* NULL and errno on failure. */
struct barrier	*barrier_create(int);
void		 barrier_destroy(struct barrier *);
/* Job i has opened all it will; a second arrival of it does nothing. */
void		 barrier_arrive(struct barrier *, int, uint64_t);
/* When the last job arrived (CLOCK_MONOTONIC ns), or 0 until then. */
uint64_t	 barrier_open_ns(const struct barrier *);

#endif
