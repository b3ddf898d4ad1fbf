/* conntab.c: a TCP worker's connections: by last activity, the run queue, spares. */

#include <stdlib.h>
#include <string.h>

#include "conntab.h"

/*
 * An idle connection's whole user-space cost is its entry (and malloc's
 * 8-byte header): 72 bytes keep a million of them within the 100 bytes
 * each of issue 14.  Grow it only knowing that.
 */
_Static_assert(sizeof(struct conn_entry) <= 72,
    "struct conn_entry outgrew its 72 bytes");

static void	 unlink_entry(struct conntab *, struct conn_entry *);
static void	 append(struct conntab *, struct conn_entry *);

void
conntab_init(struct conntab *t, size_t spare_max)
{
	memset(t, 0, sizeof(*t));
	t->spare_max = spare_max;
}

static void
append(struct conntab *t, struct conn_entry *e)
{
	e->next = NULL;
	e->prev = t->newest;
	if (t->newest != NULL)
		t->newest->next = e;
	else
		t->oldest = e;
	t->newest = e;
}

static void
unlink_entry(struct conntab *t, struct conn_entry *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		t->oldest = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		t->newest = e->prev;
	e->prev = e->next = NULL;
}

struct conn_entry *
conntab_add(struct conntab *t, uint64_t now_ms)
{
	struct conn_entry *e;

	if ((e = t->spare) != NULL) {
		t->spare = e->next;
		t->nspare--;
	} else if ((e = malloc(sizeof(*e))) == NULL)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->active_ms = now_ms;
	append(t, e);
	t->n++;
	return e;
}

/*
 * Never called for an entry still on the run queue: the worker takes the
 * queue before it runs what it held, and empties it before closing all.
 */
void
conntab_remove(struct conntab *t, struct conn_entry *e)
{
	unlink_entry(t, e);
	e->queued = false;
	t->n--;
	if (t->nspare < t->spare_max) {
		e->next = t->spare;
		t->spare = e;
		t->nspare++;
	} else
		free(e);
}

void
conntab_touch(struct conntab *t, struct conn_entry *e, uint64_t now_ms)
{
	e->active_ms = now_ms;
	if (e == t->newest)
		return;
	unlink_entry(t, e);
	append(t, e);
}

void
conntab_queue(struct conntab *t, struct conn_entry *e)
{
	e->queued = true;
	e->run_next = NULL;
	if (t->runq_tail != NULL)
		t->runq_tail->run_next = e;
	else
		t->runq = e;
	t->runq_tail = e;
}

struct conn_entry *
conntab_take_queue(struct conntab *t)
{
	struct conn_entry *q = t->runq;

	t->runq = t->runq_tail = NULL;
	return q;
}

void
conntab_free_spares(struct conntab *t)
{
	struct conn_entry *e;

	while ((e = t->spare) != NULL) {
		t->spare = e->next;
		free(e);
	}
	t->nspare = 0;
}
