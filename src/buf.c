/* buf.c: fixed-size echo buffer. */

#include <stdlib.h>

#include "buf.h"

void
buf_pool_init(struct buf_pool *p, size_t max_free)
{
	p->free = NULL;
	p->nfree = 0;
	p->max_free = max_free;
	p->nlent = 0;
}

void
buf_pool_clear(struct buf_pool *p)
{
	struct buf *b;

	while ((b = p->free) != NULL) {
		p->free = b->next;
		free(b);
	}
	p->nfree = 0;
}

/* NULL when memory is exhausted; the caller then leaves the data unread. */
struct buf *
buf_get(struct buf_pool *p)
{
	struct buf *b;

	if ((b = p->free) != NULL) {
		p->free = b->next;
		p->nfree--;
	} else if ((b = malloc(sizeof(*b))) == NULL)
		return NULL;
	b->off = 0;
	b->len = 0;
	b->next = NULL;
	p->nlent++;
	return b;
}

void
buf_put(struct buf_pool *p, struct buf *b)
{
	p->nlent--;
	if (p->nfree >= p->max_free) {
		free(b);
		return;
	}
	b->next = p->free;
	p->free = b;
	p->nfree++;
}
