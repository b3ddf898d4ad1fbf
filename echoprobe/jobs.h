/* jobs.h: run the load in J forked processes and merge what they measured. */
#ifndef ECHOPROBE_JOBS_H
#define ECHOPROBE_JOBS_H

#include "opts.h"
#include "resolve.h"

/* Forks every job, even one, so the parent is free to show progress. */
int	 jobs_run(const struct opts *, const struct target *);

#endif
