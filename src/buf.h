/* buf.h: echo buffers, lent by a pool in two sizes. */
#ifndef ECHOD_BUF_H
#define ECHOD_BUF_H

#include <stddef.h>

/*
 * One buffer bounds what a connection holds between reading a byte and
 * writing it back: when it is full, the connection stops reading and TCP
 * flow control slows the client down.  A connection starts with a small
 * one; one that streams (reads a whole small buffer at once) moves to a
 * large one while the pool has one to lend.  On loopback, 64 KiB reads
 * and writes instead of 16 KiB halved echod's CPU per MB streamed: a
 * quarter of the system calls, and a quarter of the packets, each
 * acknowledged (README, "Buffers").
 */
#define BUF_SIZE	(16 * 1024)
#define BUF_LARGE	(64 * 1024)

struct buf {
	size_t		 off;		/* first byte not yet written back */
	size_t		 len;		/* bytes held */
	size_t		 cap;		/* BUF_SIZE or BUF_LARGE */
	struct buf	*next;		/* free list link */
	unsigned char	 data[];
};

/* The buffers of one size: what is lent, what is kept for reuse. */
struct buf_shelf {
	struct buf	*free;
	size_t		 nfree;
	size_t		 max_free;	/* kept beyond this go back to malloc */
	size_t		 nlent;
	size_t		 max_lent;
	size_t		 cap;
};

/*
 * Buffers are lent to a connection only while it has bytes in flight and
 * returned as soon as it is drained, so an idle connection holds none.
 * Returned buffers are kept for reuse, so the steady state allocates
 * nothing per message.  Large ones are capped: what a worker can hold in
 * them is max_large x 64 KiB, however many connections stream.
 */
struct buf_pool {
	struct buf_shelf small;
	struct buf_shelf large;
};

void		 buf_pool_init(struct buf_pool *, size_t, size_t);
void		 buf_pool_clear(struct buf_pool *);
struct buf	*buf_get(struct buf_pool *);
struct buf	*buf_get_large(struct buf_pool *);
void		 buf_put(struct buf_pool *, struct buf *);

static inline size_t
buf_pending(const struct buf *b)
{
	return b->len - b->off;
}

static inline size_t
buf_space(const struct buf *b)
{
	return b->cap - b->len;
}

#endif
