/* ratelimit.c: token buckets, one per source address in a fixed table. */

#include <sys/random.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ratelimit.h"

#define WAYS		4	/* entries per set */

struct rl_entry {
	struct addr_key		 key;
	struct token_bucket	 tb;
	bool			 used;
};

struct ratelimit {
	struct rl_entry		*e;
	size_t			 nsets;		/* a power of two */
	uint64_t		 seed;
	uint32_t		 rate;
	uint32_t		 burst;
};

void
token_bucket_fill(struct token_bucket *tb, uint32_t burst, uint64_t now_ms)
{
	tb->milli = burst * 1000;
	tb->last_ms = now_ms;
}

bool
token_bucket_take(struct token_bucket *tb, uint32_t rate, uint32_t burst,
    uint64_t now_ms)
{
	uint64_t cap = (uint64_t)burst * 1000, add, have;

	if (now_ms > tb->last_ms) {
		/* rate tokens a second are rate thousandths a millisecond. */
		add = now_ms - tb->last_ms;
		add = add >= cap ? cap : add * rate;
		have = tb->milli + add;
		tb->milli = have > cap ? cap : have;
		tb->last_ms = now_ms;
	}
	if (tb->milli < 1000)
		return false;
	tb->milli -= 1000;
	return true;
}

uint64_t
ratelimit_seed(void)
{
	uint64_t seed;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
	return seed;
}

/* Multiply and fold (a 64-bit mixer); the seed hides which keys collide. */
uint64_t
ratelimit_hash(uint64_t seed, const struct addr_key *k)
{
	uint64_t h = seed;

	h ^= k->hi;
	h *= UINT64_C(0x9e3779b97f4a7c15);
	h ^= h >> 29;
	h ^= k->lo;
	h *= UINT64_C(0xbf58476d1ce4e5b9);
	h ^= h >> 32;
	return h;
}

struct ratelimit *
ratelimit_create(size_t entries, uint32_t rate, uint32_t burst)
{
	struct ratelimit *rl;
	size_t nsets = 1;

	while (nsets * WAYS < entries)
		nsets <<= 1;
	if ((rl = calloc(1, sizeof(*rl))) == NULL)
		return NULL;
	if ((rl->e = calloc(nsets * WAYS, sizeof(*rl->e))) == NULL) {
		free(rl);
		return NULL;
	}
	rl->nsets = nsets;
	rl->seed = ratelimit_seed();
	rl->rate = rate;
	rl->burst = burst;
	return rl;
}

bool
ratelimit_allow(struct ratelimit *rl, const struct addr_key *k,
    uint64_t now_ms)
{
	struct rl_entry *set, *victim;
	int i;

	set = &rl->e[(ratelimit_hash(rl->seed, k) & (rl->nsets - 1)) * WAYS];
	victim = &set[0];
	for (i = 0; i < WAYS; i++) {
		if (set[i].used && set[i].key.hi == k->hi &&
		    set[i].key.lo == k->lo)
			return token_bucket_take(&set[i].tb, rl->rate,
			    rl->burst, now_ms);
		if (!set[i].used)
			victim = &set[i];
		else if (victim->used && set[i].tb.last_ms <
		    victim->tb.last_ms)
			victim = &set[i];
	}
	victim->used = true;
	victim->key = *k;
	token_bucket_fill(&victim->tb, rl->burst, now_ms);
	return token_bucket_take(&victim->tb, rl->rate, rl->burst, now_ms);
}

void
ratelimit_destroy(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	free(rl->e);
	free(rl);
}
