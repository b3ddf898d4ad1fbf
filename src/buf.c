/* buf.c: echo buffers, lent by a pool in two sizes. */

#include <stdint.h>
#include <stdlib.h>

#include "buf.h"

static void	 shelf_init(struct buf_shelf *, size_t, size_t, size_t);
static void	 shelf_clear(struct buf_shelf *);
static struct buf *shelf_get(struct buf_shelf *);
static void	 shelf_put(struct buf_shelf *, struct buf *);

/* max_free small buffers kept for reuse; at most max_large large lent. */
void
buf_pool_init(struct buf_pool *p, size_t max_free, size_t max_large)
{
	shelf_init(&p->small, BUF_SIZE, max_free, SIZE_MAX);
	shelf_init(&p->large, BUF_LARGE, max_large, max_large);
}

void
buf_pool_clear(struct buf_pool *p)
{
	shelf_clear(&p->small);
	shelf_clear(&p->large);
}

/* NULL when memory is exhausted; the caller then leaves the data unread. */
struct buf *
buf_get(struct buf_pool *p)
{
	return shelf_get(&p->small);
}

/* NULL when all the large ones are lent, or memory is exhausted. */
struct buf *
buf_get_large(struct buf_pool *p)
{
	return shelf_get(&p->large);
}

/*
 * Each size back to its own shelf.  A buffer of another size is none of
 * the pool's: shelved, the next buf_get would lend it as 16 KiB.
 */
void
buf_put(struct buf_pool *p, struct buf *b)
{
	if (b->cap == BUF_LARGE)
		shelf_put(&p->large, b);
	else if (b->cap == BUF_SIZE)
		shelf_put(&p->small, b);
	else
		free(b);
}

static void
shelf_init(struct buf_shelf *s, size_t cap, size_t max_free, size_t max_lent)
{
	s->free = NULL;
	s->nfree = 0;
	s->max_free = max_free;
	s->nlent = 0;
	s->max_lent = max_lent;
	s->cap = cap;
}

static void
shelf_clear(struct buf_shelf *s)
{
	struct buf *b;

	while ((b = s->free) != NULL) {
		s->free = b->next;
		free(b);
	}
	s->nfree = 0;
}

static struct buf *
shelf_get(struct buf_shelf *s)
{
	struct buf *b;

	if (s->nlent >= s->max_lent)
		return NULL;
	if ((b = s->free) != NULL) {
		s->free = b->next;
		s->nfree--;
	} else if ((b = malloc(sizeof(*b) + s->cap)) == NULL)
		return NULL;
	b->off = 0;
	b->len = 0;
	b->cap = s->cap;
	b->next = NULL;
	s->nlent++;
	return b;
}

static void
shelf_put(struct buf_shelf *s, struct buf *b)
{
	/* Never below zero: that would refuse every buf_get from then on. */
	if (s->nlent > 0)
		s->nlent--;
	if (s->nfree >= s->max_free) {
		free(b);
		return;
	}
	b->next = s->free;
	s->free = b;
	s->nfree++;
}
