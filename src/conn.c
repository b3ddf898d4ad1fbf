/* conn.c: one TCP connection: echo with back-pressure, half-close, close with a reason. */

#include <sys/socket.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"

/* What a stalled connection's last call was: a byte, not a pointer. */
enum conn_call { CALL_NONE, CALL_MALLOC, CALL_RECV, CALL_SEND };

static const char *call_names[] = {
	[CALL_NONE] = NULL, [CALL_MALLOC] = "malloc", [CALL_RECV] = "recv",
	[CALL_SEND] = "send",
};

static struct buf *conn_borrow(struct conn *, struct buf_pool *);
static void	 conn_grow(struct conn *, struct buf_pool *);
static int	 conn_read(struct conn *, struct buf_pool *);
static int	 conn_write(struct conn *);
static int	 conn_retry(struct conn *, enum conn_call, int);

void
conn_init(struct conn *c, int fd)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	/*
	 * A fresh socket has room to write.  Whether it holds data, the
	 * first edge says: EPOLL_CTL_ADD reports input already queued, so
	 * no recv is spent to hear EAGAIN from a client yet to speak.
	 */
	c->can_read = false;
	c->can_write = true;
}

/*
 * A failure of this host, not of the connection: nothing is lost, the
 * bytes stay where they are (in the kernel, or in our buffer) and the
 * call is retried later.  Edge-triggered, no event would ever come back
 * for them, so conn_run reports CONN_STALLED and the worker retries on a
 * timer.  EINTR is retried at once, a few times: a call that keeps
 * failing must not spin in conn_run.
 */
static int
conn_retry(struct conn *c, enum conn_call call, int err)
{
	if (err == EINTR && ++c->intr < CONN_INTR_MAX)
		return 1;
	c->intr = 0;
	c->stall_call = call;
	c->stall_errno = (int16_t)err;	/* errno values are small */
	return 0;
}

/* A buffer for the next bytes; NULL when memory is exhausted. */
static struct buf *
conn_borrow(struct conn *c, struct buf_pool *pool)
{
	struct buf *b;

	if (c->streams && (b = buf_get_large(pool)) != NULL)
		return b;
	return buf_get(pool);
}

/*
 * A streaming connection trades its empty small buffer for a large one,
 * if the pool has one to lend; only an empty one, so no byte moves.  A
 * client that sends and never reads keeps its full small buffer.  Once
 * streaming, always: it takes a large one first whenever it borrows
 * (conn_read), and gives it back whenever drained, like any buffer.
 */
static void
conn_grow(struct conn *c, struct buf_pool *pool)
{
	struct buf *large;

	if (c->b->cap == BUF_LARGE || c->b->len != 0 ||
	    (large = buf_get_large(pool)) == NULL)
		return;
	buf_put(pool, c->b);
	c->b = large;
}

/* 1: moved bytes, 0: nothing to do now, -1: connection is finished. */
static int
conn_read(struct conn *c, struct buf_pool *pool)
{
	ssize_t n;

	if (c->read_eof || !c->can_read)
		return 0;
	/* Out of memory: leave the bytes in the kernel until a retry. */
	if (c->b == NULL) {
		if ((c->b = conn_borrow(c, pool)) == NULL)
			return conn_retry(c, CALL_MALLOC, ENOMEM);
	} else if (c->streams)
		conn_grow(c, pool);
	if (buf_space(c->b) == 0)
		return 0;	/* back-pressure: wait for the client to read */
	n = recv(c->fd, c->b->data + c->b->len, buf_space(c->b), 0);
	if (n >= 0)
		c->intr = 0;
	if (n > 0) {
		if ((size_t)n == BUF_SIZE && c->b->cap == BUF_SIZE)
			c->streams = true;
		/*
		 * A short read drained the socket: anything arriving later
		 * raises a new edge, so skip the recv that would only say
		 * EAGAIN (one syscall in three on the request/response path).
		 * Not once the peer has closed: that edge is already spent
		 * and only another recv can see the end of file.  Nor after
		 * urgent data, where recv stops short at the urgent mark
		 * with more bytes queued behind it.
		 */
		if ((size_t)n < buf_space(c->b) && !c->must_drain)
			c->can_read = false;
		c->b->len += n;
		return 1;
	}
	if (n == 0) {
		c->read_eof = true;
		return 1;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		c->can_read = false;
		return 0;
	}
	if (errno == EINTR || errno == ENOBUFS || errno == ENOMEM)
		return conn_retry(c, CALL_RECV, errno);
	log_debug("recv fd %d: %s", c->fd, strerror(errno));
	return -1;
}

static int
conn_write(struct conn *c)
{
	ssize_t n;

	if (c->b == NULL || buf_pending(c->b) == 0 || !c->can_write)
		return 0;
	n = send(c->fd, c->b->data + c->b->off, buf_pending(c->b),
	    MSG_NOSIGNAL);
	if (n >= 0)
		c->intr = 0;
	if (n > 0) {
		c->b->off += n;
		c->bytes += n;
		if (c->b->off == c->b->len)
			c->b->off = c->b->len = 0;
		return 1;
	}
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		c->can_write = false;
		return 0;
	}
	if (n == -1 && (errno == EINTR || errno == ENOBUFS || errno == ENOMEM))
		return conn_retry(c, CALL_SEND, errno);
	log_debug("send fd %d: %s", c->fd, strerror(errno));
	return -1;
}

/*
 * Move bytes until the kernel says wait, the budget is spent, or the
 * connection is finished.  *moved tells the caller whether to refresh the
 * idle timer.  The buffer goes back to the pool whenever it is empty.
 */
enum conn_status
conn_run(struct conn *c, struct buf_pool *pool, uint64_t budget, bool *moved)
{
	uint64_t start = c->bytes;
	int r, w;

	*moved = false;
	c->stall_call = CALL_NONE;
	for (;;) {
		if ((r = conn_read(c, pool)) == -1 ||
		    (w = conn_write(c)) == -1) {
			c->failed = true;
			return CONN_DONE;
		}
		if (r == 1 || w == 1)
			*moved = true;
		if (c->read_eof && (c->b == NULL || buf_pending(c->b) == 0))
			return CONN_DONE;	/* half-closed and flushed */
		if (r == 0 && w == 0)
			break;
		if (c->bytes - start >= budget)
			return CONN_MORE;
	}
	if (c->b != NULL && buf_pending(c->b) == 0) {
		buf_put(pool, c->b);
		c->b = NULL;
	}
	return c->stall_call != CALL_NONE ? CONN_STALLED : CONN_IDLE;
}

void
conn_close(struct conn *c, struct buf_pool *pool)
{
	if (c->b != NULL) {
		buf_put(pool, c->b);
		c->b = NULL;
	}
	if (c->fd != -1)
		(void)close(c->fd);
	c->fd = -1;
}

const char *
conn_end_name(enum conn_end why)
{
	switch (why) {
	case CONN_END_CLIENT:
		return "client closed";
	case CONN_END_ERROR:
		return "reset or error";
	case CONN_END_IDLE:
		return "idle timeout";
	case CONN_END_SHUTDOWN:
		return "shutdown";
	case CONN_END_PROXY:
		return "no valid PROXY header";
	case CONN_END_ACCESS:
		return "refused by the access lists";
	case CONN_END_LIMIT:
		return "over the per-source limit";
	case CONN_END_RATE:
		return "over the per-source rate";
	default:
		return "?";
	}
}

const char *
conn_stall_call(const struct conn *c)
{
	return c->stall_call < sizeof(call_names) / sizeof(call_names[0]) ?
	    call_names[c->stall_call] : NULL;
}
