/* ratelimit.h: token buckets, one per source address in a fixed table. */
#ifndef ECHOD_RATELIMIT_H
#define ECHOD_RATELIMIT_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define RATELIMIT_MAX		1000000	/* per second, and burst */

/*
 * One bucket: `rate` tokens a second up to `burst`, one taken per event.
 * Held in thousandths of a token so that rates below 1,000 per second
 * still refill between events a millisecond apart.
 */
struct token_bucket {
	uint64_t		 last_ms;
	uint32_t		 milli;
};

/* A bucket already full: `burst` events may pass at once. */
void		 token_bucket_fill(struct token_bucket *, uint32_t, uint64_t);
/* Refill for the time gone, then take one token if there is one. */
bool		 token_bucket_take(struct token_bucket *, uint32_t, uint32_t,
		    uint64_t);

/*
 * A table of buckets, one per source address, of fixed size, allocated
 * once: a lookup is O(1) and never allocates.  When a source is new and
 * its set is full, the bucket used least recently goes: it has had the
 * longest to refill, so forgetting it loses the least.  The hash is seeded
 * at random, so no one can aim many addresses at one set.
 */
struct ratelimit;

struct ratelimit *ratelimit_create(size_t, uint32_t, uint32_t);
bool		 ratelimit_allow(struct ratelimit *, const struct addr_key *,
		    uint64_t);
void		 ratelimit_destroy(struct ratelimit *);
/* The seeded hash, shared with persource.c. */
uint64_t	 ratelimit_hash(uint64_t, const struct addr_key *);
uint64_t	 ratelimit_seed(void);

#endif
