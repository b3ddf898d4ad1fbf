/* persource.c: per-source connection counts and rates shared by all TCP workers. */

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "persource.h"
#include "ratelimit.h"

#define WAYS		8	/* entries per set, under one mutex */
#define PS_MAGIC	0x65636870u	/* "echp" */
#define PS_VERSION	1

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

/*
 * The table in shared memory, from a memfd so that an upgrade hands it to
 * the new image (upgrade.c), whose adopted workers go on counting and
 * releasing their connections in it.  The header says whether the new
 * image lays it out the same way.
 */
struct ps_table {
	uint32_t		 magic;
	uint32_t		 version;
	uint32_t		 set_size;	/* sizeof(struct ps_set) */
	uint32_t		 unused;
	uint64_t		 nsets;		/* a power of two */
	uint64_t		 seed;
	struct ps_set		 set[];
};

/* This process's handle on the table; a worker inherits the master's. */
struct persource {
	struct ps_table		*t;
	size_t			 nsets;
	size_t			 len;		/* of the mapping */
	int			 fd;		/* the master's, for an upgrade */
};

static size_t	 table_sets(size_t);
static size_t	 table_len(size_t);
static struct persource *table_map(int, size_t);
static struct ps_set	*set_lock(struct persource *, size_t);
static struct ps_entry	*find(struct ps_set *, const struct addr_key *,
			    int, uint64_t);

static size_t
table_sets(size_t entries)
{
	size_t nsets = 1;

	while (nsets * WAYS < entries)
		nsets <<= 1;
	return nsets;
}

static size_t
table_len(size_t nsets)
{
	return sizeof(struct ps_table) + nsets * sizeof(struct ps_set);
}

/* A handle on the table of `nsets` sets in fd, which holds that much. */
static struct persource *
table_map(int fd, size_t nsets)
{
	struct persource *ps;

	if ((ps = calloc(1, sizeof(*ps))) == NULL) {
		log_warn("per-source table: calloc");
		return NULL;
	}
	ps->nsets = nsets;
	ps->len = table_len(nsets);
	ps->fd = fd;
	ps->t = mmap(NULL, ps->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ps->t == MAP_FAILED) {
		log_warn("per-source table: mmap %zu bytes", ps->len);
		free(ps);
		return NULL;
	}
	return ps;
}

struct persource *
persource_create(size_t entries)
{
	size_t nsets = table_sets(entries), len = table_len(nsets), i;
	pthread_mutexattr_t attr;
	struct persource *ps;
	int error, fd;

	if ((fd = memfd_create("echod-persource", MFD_CLOEXEC)) == -1) {
		log_warn("per-source table: memfd_create");
		return NULL;
	}
	if (ftruncate(fd, (off_t)len) == -1) {
		log_warn("per-source table: ftruncate to %zu bytes", len);
		(void)close(fd);
		return NULL;
	}
	if ((ps = table_map(fd, nsets)) == NULL) {
		(void)close(fd);
		return NULL;
	}
	ps->t->version = PS_VERSION;
	ps->t->set_size = sizeof(struct ps_set);
	ps->t->nsets = nsets;
	ps->t->seed = ratelimit_seed();
	if ((error = pthread_mutexattr_init(&attr)) != 0 ||
	    (error = pthread_mutexattr_setpshared(&attr,
	    PTHREAD_PROCESS_SHARED)) != 0 ||
	    (error = pthread_mutexattr_setrobust(&attr,
	    PTHREAD_MUTEX_ROBUST)) != 0)
		goto fail;
	for (i = 0; i < nsets; i++)
		if ((error = pthread_mutex_init(&ps->t->set[i].mutex,
		    &attr)) != 0)
			goto fail;
	(void)pthread_mutexattr_destroy(&attr);
	ps->t->magic = PS_MAGIC;
	return ps;
fail:
	errno = error;
	log_warn("per-source table: mutex");
	persource_destroy(ps);
	return NULL;
}

/*
 * An upgrade: the table the old image handed over, as it is (counts,
 * buckets, mutexes), if this image lays it out the same way; else NULL
 * with errno EPROTO, and the caller makes a new one.
 */
struct persource *
persource_adopt(int fd, size_t entries)
{
	size_t nsets = table_sets(entries);
	struct persource *ps;
	struct stat st;

	if (fstat(fd, &st) == -1)
		return NULL;
	if ((size_t)st.st_size != table_len(nsets)) {
		errno = EPROTO;
		return NULL;
	}
	if ((ps = table_map(fd, nsets)) == NULL)
		return NULL;
	if (ps->t->magic != PS_MAGIC || ps->t->version != PS_VERSION ||
	    ps->t->set_size != sizeof(struct ps_set) ||
	    ps->t->nsets != nsets) {
		ps->fd = -1;	/* the caller's still */
		persource_destroy(ps);
		errno = EPROTO;
		return NULL;
	}
	return ps;
}

/* The master's descriptor of the table, handed over by an upgrade. */
int
persource_fd(const struct persource *ps)
{
	return ps != NULL ? ps->fd : -1;
}

/* A holder that died mid-update left at worst one count off. */
static struct ps_set *
set_lock(struct persource *ps, size_t i)
{
	struct ps_set *s = &ps->t->set[i];

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
	size_t i = ratelimit_hash(ps->t->seed, k) & (ps->nsets - 1);
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
	size_t i = ratelimit_hash(ps->t->seed, k) & (ps->nsets - 1);
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
	if (ps == NULL)
		return;
	(void)munmap(ps->t, ps->len);
	if (ps->fd != -1)
		(void)close(ps->fd);
	free(ps);
}
