/* persource.h: per-source connection counts and rates shared by all TCP workers. */
#ifndef ECHOD_PERSOURCE_H
#define ECHOD_PERSOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/*
 * One table in shared memory, created by the master before the first
 * fork and kept for its whole life: a source's connections spread over
 * every TCP worker, of every generation (a draining one's connections
 * still count), so the table outlives reloads; the limits that apply are
 * the serving configuration's; an upgrade in place hands it to the new
 * image, whose adopted workers count in it still.  Sets of entries, each
 * under a robust process-shared mutex: a worker that dies holding one
 * cannot wedge the others.
 */
struct persource;

enum persource_verdict {
	PERSOURCE_OK,
	PERSOURCE_LIMIT,	/* at the concurrent connection limit */
	PERSOURCE_RATE		/* over the new connection rate */
};

/*
 * The master.  An upgraded image adopts the table from the descriptor the
 * old one handed over (persource_fd); NULL, errno EPROTO, if this image
 * lays out a table of that many entries otherwise.
 */
struct persource	*persource_create(size_t);
struct persource	*persource_adopt(int, size_t);
int			 persource_fd(const struct persource *);
/*
 * A worker died without closing its connections: their counts are lost.
 * Forget every count (never below the truth for long: each close after
 * stops at zero) rather than keep a source refused forever.
 */
void			 persource_forget(struct persource *);
void			 persource_destroy(struct persource *);

/*
 * A TCP worker, for each connection: `max` concurrent ones (0: no limit),
 * `rate` new ones a second (0: no limit).  On PERSOURCE_OK, *slot is what
 * to release when the connection closes, or -1 if nothing was counted (no
 * limit set, or every entry of the source's set holds live connections).
 */
enum persource_verdict	 persource_admit(struct persource *,
			    const struct addr_key *, int, int, uint64_t,
			    int *);
void			 persource_release(struct persource *, int);
/* Connections counted for `k` (tests, status). */
int			 persource_conns(struct persource *,
			    const struct addr_key *);

#endif
