/* net.h: client sockets: nonblocking open, bind to a source, timed connect. */
#ifndef ECHOPROBE_NET_H
#define ECHOPROBE_NET_H

#include <stdbool.h>
#include <signal.h>
#include <stdint.h>

#include "addr.h"
#include "resolve.h"

/*
 * net_open() returns a nonblocking socket bound to src (may be NULL) with
 * connect() started: *in_progress says whether it still has to finish.
 * -1 with errno set on failure; *what names the call that failed.
 */
int	 net_open(const struct target *, const struct addr *, bool *,
	    const char **);
/* 0 once connected, -1 with errno (ETIMEDOUT at the deadline). */
int	 net_connect_wait(int, uint64_t, const sigset_t *);
/* The pending connect error of a socket poll reported writable. */
int	 net_connect_result(int);

#endif
