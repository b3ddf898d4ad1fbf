/* io.h: whole writes and the descriptor limit, for both programs. */
#ifndef ECHOD_IO_H
#define ECHOD_IO_H

#include <stddef.h>
#include <stdint.h>

/* Write all of `buf` (blocking descriptors), retrying on EINTR; 0 or -1. */
int	 io_write_all(int, const void *, size_t);

/*
 * Raise RLIMIT_NOFILE towards `want`: the soft limit up to the hard one,
 * and the hard one too where permitted (root).  *got is the soft limit
 * in force after; 0 if it reaches `want`, -1 (errno set if a call failed)
 * otherwise.
 */
int	 io_raise_nofile(uint64_t, uint64_t *);

#endif
