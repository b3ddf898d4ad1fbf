/* scoreboard.c: what workers publish to the master and to each other. */

#include <sys/mman.h>

#include <stdatomic.h>
#include <stdlib.h>

#include "log.h"
#include "scoreboard.h"

/* Relaxed atomics: a stale reading costs one misjudged hand-off, no more. */
struct scoreboard_slot {
	atomic_int		 nconns;
	atomic_bool		 waiting;	/* in epoll_wait, listeners armed */
	atomic_bool		 serving;	/* set up, taking clients */
};

struct scoreboard {
	struct scoreboard_slot	*slot;
	int			 nslots;
};

struct scoreboard *
scoreboard_create(int nslots)
{
	struct scoreboard *sb;
	int i;

	if ((sb = calloc(1, sizeof(*sb))) == NULL) {
		log_warn("scoreboard: calloc");
		return NULL;
	}
	sb->nslots = nslots;
	sb->slot = mmap(NULL, nslots * sizeof(*sb->slot),
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sb->slot == MAP_FAILED) {
		log_warn("scoreboard: mmap %d slots", nslots);
		free(sb);
		return NULL;
	}
	for (i = 0; i < nslots; i++)
		scoreboard_clear(sb, i);
	return sb;
}

/* Unmaps this process's view; other processes keep theirs. */
void
scoreboard_destroy(struct scoreboard *sb)
{
	if (sb == NULL)
		return;
	(void)munmap(sb->slot, sb->nslots * sizeof(*sb->slot));
	free(sb);
}

/* Release: whoever sees the flag also sees what the worker did before. */
void
scoreboard_set_serving(struct scoreboard *sb, int slot)
{
	atomic_store_explicit(&sb->slot[slot].serving, true,
	    memory_order_release);
}

bool
scoreboard_serving(struct scoreboard *sb, int slot)
{
	return atomic_load_explicit(&sb->slot[slot].serving,
	    memory_order_acquire);
}

void
scoreboard_set_conns(struct scoreboard *sb, int slot, int nconns)
{
	atomic_store_explicit(&sb->slot[slot].nconns, nconns,
	    memory_order_relaxed);
}

void
scoreboard_set_waiting(struct scoreboard *sb, int slot, bool waiting)
{
	atomic_store_explicit(&sb->slot[slot].waiting, waiting,
	    memory_order_relaxed);
}

/* A dead worker must not look idle: it would be left connections. */
void
scoreboard_clear(struct scoreboard *sb, int slot)
{
	scoreboard_set_conns(sb, slot, 0);
	scoreboard_set_waiting(sb, slot, false);
	atomic_store_explicit(&sb->slot[slot].serving, false,
	    memory_order_relaxed);
}

/*
 * Whether another worker sleeps with its listeners armed and serves fewer
 * connections than `nconns`: it was woken by the same connection and will
 * take it once it runs.
 */
bool
scoreboard_has_idler(struct scoreboard *sb, int self, int nconns)
{
	int i;

	for (i = 0; i < sb->nslots; i++)
		if (i != self && atomic_load_explicit(&sb->slot[i].waiting,
		    memory_order_relaxed) && atomic_load_explicit(
		    &sb->slot[i].nconns, memory_order_relaxed) < nconns)
			return true;
	return false;
}
