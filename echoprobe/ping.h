/* ping.h: probe mode: one verified echo per interval, RTT lines, summary. */
#ifndef ECHOPROBE_PING_H
#define ECHOPROBE_PING_H

#include "opts.h"
#include "resolve.h"

/* Runs until -c probes are answered or timed out, or SIGINT; exit code. */
int	 ping_run(const struct opts *, const struct target *);

#endif
