/* report.h: merge the jobs' load results, print them as text or JSON. */
#ifndef ECHOPROBE_REPORT_H
#define ECHOPROBE_REPORT_H

#include "load.h"
#include "opts.h"
#include "resolve.h"

void	 report_merge_init(struct load_result *);
void	 report_merge(struct load_result *, const struct load_result *);
/* Prints the report; returns the exit code the run deserves. */
int	 report_load(const struct opts *, const struct target *, int,
	    const struct load_result *);
int	 report_exit_code(const struct opts *, const struct load_result *);

#endif
