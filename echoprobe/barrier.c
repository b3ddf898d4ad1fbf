/* barrier.c: the jobs of a hold run wait for each other to open, then hold. */

#include <sys/mman.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "barrier.h"

/*
 * The jobs are processes, so the barrier lives in a MAP_SHARED mapping,
 * and C11 atomics on it work across processes only when lock-free: a
 * lock would be private to each process.
 */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2 && ATOMIC_BOOL_LOCK_FREE == 2,
    "the barrier needs lock-free int and bool atomics");

/*
 * Memory ordering.  arrived[i] is exchanged, so a job and the parent
 * that arrive for it at once count it once.  The fetch_sub on waiting
 * picks exactly one caller as the last; it writes open_ns, a plain
 * 64-bit word (not atomic on every 32-bit target, and a lock-based
 * atomic would not be shared), and only then sets `open` with release.
 * A reader loads `open` with acquire before it reads open_ns, so it sees
 * the whole time or nothing.  Nothing else is published through the
 * barrier: the jobs share no other memory that needs ordering.
 */
struct barrier {
	atomic_int	 waiting;	/* jobs that have not arrived */
	atomic_bool	 open;		/* released once open_ns is written */
	uint64_t	 open_ns;
	int		 njobs;
	atomic_bool	 arrived[];
};

static size_t	 barrier_size(int);

static size_t
barrier_size(int njobs)
{
	return sizeof(struct barrier) + (size_t)njobs * sizeof(atomic_bool);
}

struct barrier *
barrier_create(int njobs)
{
	struct barrier *b;
	int i;

	b = mmap(NULL, barrier_size(njobs), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (b == MAP_FAILED)
		return NULL;
	/* Before any fork: the jobs inherit it as written here. */
	atomic_init(&b->waiting, njobs);
	atomic_init(&b->open, false);
	b->open_ns = 0;
	b->njobs = njobs;
	for (i = 0; i < njobs; i++)
		atomic_init(&b->arrived[i], false);
	return b;
}

void
barrier_destroy(struct barrier *b)
{
	if (b != NULL)
		(void)munmap(b, barrier_size(b->njobs));
}

void
barrier_arrive(struct barrier *b, int i, uint64_t now_ns)
{
	if (b == NULL || i < 0 || i >= b->njobs ||
	    atomic_exchange(&b->arrived[i], true))
		return;
	if (atomic_fetch_sub(&b->waiting, 1) != 1)
		return;
	b->open_ns = now_ns;
	atomic_store_explicit(&b->open, true, memory_order_release);
}

uint64_t
barrier_open_ns(const struct barrier *b)
{
	if (!atomic_load_explicit(&b->open, memory_order_acquire))
		return 0;
	return b->open_ns;
}
