/* persource.c: per-source connection counts and rates shared by all TCP workers. */

#include <sys/mman.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "persource.h"
#include "ratelimit.h"

#define WAYS		8	/* entries per set, under one mutex */

struct ps_entry {
	struct addr_key		 key;
	struct token_bucket	 tb;
	uint32_t		 conns;
	bool			 used;
};

struct ps_set {
	pthread_mutex_t		 mutex;
	struct ps_entry		 e[WAYS];
};

struct persource {
	size_t			 nsets;		/* a power of two */
	uint64_t		 seed;
	size_t			 len;		/* of the mapping */
	struct ps_set		 set[];
};

static struct ps_set	*set_lock(struct persource *, size_t);
static struct ps_entry	*find(struct ps_set *, const struct addr_key *,
			    int, uint64_t);

struct persource *
persource_create(size_t entries)
{
	pthread_mutexattr_t attr;
	struct persource *ps;
	size_t nsets = 1, len, i;
	int error;

	while (nsets * WAYS < entries)
		nsets <<= 1;
	len = sizeof(*ps) + nsets * sizeof(ps->set[0]);
	ps = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (ps == MAP_FAILED) {
		log_warn("per-source table: mmap %zu bytes", len);
		return NULL;
	}
	ps->nsets = nsets;
	ps->len = len;
	ps->seed = ratelimit_seed();
	if ((error = pthread_mutexattr_init(&attr)) != 0 ||
	    (error = pthread_mutexattr_setpshared(&attr,
	    PTHREAD_PROCESS_SHARED)) != 0 ||
	    (error = pthread_mutexattr_setrobust(&attr,
	    PTHREAD_MUTEX_ROBUST)) != 0)
		goto fail;
	for (i = 0; i < nsets; i++)
		if ((error = pthread_mutex_init(&ps->set[i].mutex,
		    &attr)) != 0)
			goto fail;
	(void)pthread_mutexattr_destroy(&attr);
	return ps;
fail:
	errno = error;
	log_warn("per-source table: mutex");
	(void)munmap(ps, len);
	return NULL;
}

/* A holder that died mid-update left at worst one count off. */
static struct ps_set *
set_lock(struct persource *ps, size_t i)
{
	struct ps_set *s = &ps->set[i];

	if (pthread_mutex_lock(&s->mutex) == EOWNERDEAD)
		(void)pthread_mutex_consistent(&s->mutex);
	return s;
}

/*
 * The source's entry, or a new one in place of the least recently used
 * entry with no live connection (whose count would be lost); NULL when
 * every entry of the set has some.  A new source starts with a second's
 * worth of connections.
 */
static struct ps_entry *
find(struct ps_set *s, const struct addr_key *k, int rate, uint64_t now_ms)
{
	struct ps_entry *victim = NULL;
	int i;

	for (i = 0; i < WAYS; i++) {
		if (s->e[i].used && s->e[i].key.hi == k->hi &&
		    s->e[i].key.lo == k->lo)
			return &s->e[i];
		if (s->e[i].used && s->e[i].conns > 0)
			continue;
		if (victim == NULL || !s->e[i].used || (victim->used &&
		    s->e[i].tb.last_ms < victim->tb.last_ms))
			victim = &s->e[i];
	}
	if (victim == NULL)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	victim->used = true;
	victim->key = *k;
	token_bucket_fill(&victim->tb, (uint32_t)rate, now_ms);
	return victim;
}

enum persource_verdict
persource_admit(struct persource *ps, const struct addr_key *k, int max,
    int rate, uint64_t now_ms, int *slot)
{
	enum persource_verdict v = PERSOURCE_OK;
	size_t i = ratelimit_hash(ps->seed, k) & (ps->nsets - 1);
	struct ps_entry *e;
	struct ps_set *s;

	*slot = -1;
	if (max == 0 && rate == 0)
		return PERSOURCE_OK;
	s = set_lock(ps, i);
	if ((e = find(s, k, rate, now_ms)) == NULL)
		goto out;
	if (max > 0 && e->conns >= (uint32_t)max)
		v = PERSOURCE_LIMIT;
	else if (rate > 0 && !token_bucket_take(&e->tb, rate, rate, now_ms))
		v = PERSOURCE_RATE;
	else {
		e->conns++;
		*slot = (int)(i * WAYS + (size_t)(e - s->e));
	}
out:
	(void)pthread_mutex_unlock(&s->mutex);
	return v;
}

void
persource_release(struct persource *ps, int slot)
{
	struct ps_set *s;
	struct ps_entry *e;

	if (slot < 0)
		return;
	s = set_lock(ps, (size_t)slot / WAYS);
	e = &s->e[slot % WAYS];
	if (e->conns > 0)
		e->conns--;
	(void)pthread_mutex_unlock(&s->mutex);
}

int
persource_conns(struct persource *ps, const struct addr_key *k)
{
	size_t i = ratelimit_hash(ps->seed, k) & (ps->nsets - 1);
	struct ps_set *s = set_lock(ps, i);
	int j, n = 0;

	for (j = 0; j < WAYS; j++)
		if (s->e[j].used && s->e[j].key.hi == k->hi &&
		    s->e[j].key.lo == k->lo)
			n = (int)s->e[j].conns;
	(void)pthread_mutex_unlock(&s->mutex);
	return n;
}

void
persource_forget(struct persource *ps)
{
	struct ps_set *s;
	size_t i;
	int j;

	for (i = 0; i < ps->nsets; i++) {
		s = set_lock(ps, i);
		for (j = 0; j < WAYS; j++)
			s->e[j].conns = 0;
		(void)pthread_mutex_unlock(&s->mutex);
	}
}

void
persource_destroy(struct persource *ps)
{
	if (ps != NULL)
		(void)munmap(ps, ps->len);
}
