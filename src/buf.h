/* buf.h: fixed-size echo buffer. */
#ifndef ECHOD_BUF_H
#define ECHOD_BUF_H

#include <stddef.h>

/*
 * One buffer bounds what a connection holds between reading a byte and
 * writing it back: when it is full, the connection stops reading and TCP
 * flow control slows the client down.
 */
#define BUF_SIZE	(16 * 1024)

struct buf {
	size_t		 off;		/* first byte not yet written back */
	size_t		 len;		/* bytes held */
	struct buf	*next;		/* free list link */
	unsigned char	 data[BUF_SIZE];
};

/*
 * Buffers are lent to a connection only while it has bytes in flight and
 * returned as soon as it is drained, so an idle connection holds none.
 * Returned buffers are kept for reuse (up to max_free), so the steady state
 * allocates nothing per message.
 */
struct buf_pool {
	struct buf	*free;
	size_t		 nfree;
	size_t		 max_free;
	size_t		 nlent;
};

void		 buf_pool_init(struct buf_pool *, size_t);
void		 buf_pool_clear(struct buf_pool *);
struct buf	*buf_get(struct buf_pool *);
void		 buf_put(struct buf_pool *, struct buf *);

static inline size_t
buf_pending(const struct buf *b)
{
	return b->len - b->off;
}

static inline size_t
buf_space(const struct buf *b)
{
	return BUF_SIZE - b->len;
}

#endif
