/* check_conn.c: the echo state machine: order, back-pressure, half-close. */

#include <sys/epoll.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "buf.h"
#include "conn.h"

struct pair {
	struct conn	 c;
	struct buf_pool	 pool;
	int		 peer;
};

static void
pair_open(struct pair *p)
{
	int sv[2], small = 4096;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
	    sv), 0);
	/* Small kernel buffers make back-pressure reachable quickly. */
	(void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	(void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	buf_pool_init(&p->pool, 4, 1);
	conn_init(&p->c, sv[0]);
	ck_assert(!p->c.can_read);	/* the first epoll edge will say */
	p->c.can_read = true;		/* as that edge would */
	p->peer = sv[1];
}

static void
pair_close(struct pair *p)
{
	conn_close(&p->c, &p->pool);
	buf_pool_clear(&p->pool);
	(void)close(p->peer);
}

static size_t
peer_read(struct pair *p, unsigned char *dst, size_t len)
{
	ssize_t n;
	size_t got = 0;

	while (got < len &&
	    (n = recv(p->peer, dst + got, len - got, 0)) > 0)
		got += n;
	return got;
}

START_TEST(conn_echoes_in_order_and_returns_buffer)
{
	struct pair p;
	unsigned char out[64];
	bool moved;

	pair_open(&p);
	ck_assert_int_eq(send(p.peer, "hello\0world", 11, 0), 11);
	ck_assert_int_eq(conn_run(&p.c, &p.pool, CONN_BUDGET, &moved),
	    CONN_IDLE);
	ck_assert(moved);
	ck_assert_uint_eq(peer_read(&p, out, sizeof(out)), 11);
	ck_assert_mem_eq(out, "hello\0world", 11);
	/* Idle connections hold no buffer. */
	ck_assert_ptr_null(p.c.b);
	ck_assert_uint_eq(p.pool.small.nlent, 0);
	ck_assert_uint_eq(p.c.bytes, 11);
	/* A small message does not make a connection streaming. */
	ck_assert(!p.c.streams);
	ck_assert_uint_eq(p.pool.large.nfree, 0);
	pair_close(&p);
}
END_TEST

/*
 * A client that sends and never reads: the connection must stop reading
 * once its one buffer is full, and give back every byte in order later.
 */
START_TEST(conn_stops_reading_when_client_does_not_read)
{
	struct pair p;
	static unsigned char in[1 << 20], out[1 << 20];
	size_t sent = 0, got = 0, i;
	ssize_t n;
	bool moved;
	int round;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 7 + i / 251);
	pair_open(&p);
	for (round = 0; round < 50; round++) {
		while ((n = send(p.peer, in + sent, sizeof(in) - sent,
		    0)) > 0)
			sent += n;
		/* As epoll would report: both directions may have changed. */
		p.c.can_read = p.c.can_write = true;
		(void)conn_run(&p.c, &p.pool, CONN_BUDGET, &moved);
	}
	ck_assert_uint_lt(sent, sizeof(in));	/* the client was held back */
	ck_assert_ptr_nonnull(p.c.b);
	ck_assert_uint_eq(buf_pending(p.c.b), BUF_SIZE);
	ck_assert_uint_eq(p.pool.small.nlent, 1);
	/* Now the client reads: everything comes back, in order. */
	for (round = 0; round < 100000 && got < sizeof(in); round++) {
		while ((n = recv(p.peer, out + got, sizeof(out) - got, 0)) > 0)
			got += n;
		while (sent < sizeof(in) && (n = send(p.peer, in + sent,
		    sizeof(in) - sent, 0)) > 0)
			sent += n;
		p.c.can_read = p.c.can_write = true;
		(void)conn_run(&p.c, &p.pool, CONN_BUDGET, &moved);
	}
	ck_assert_uint_eq(got, sizeof(in));
	ck_assert_mem_eq(out, in, sizeof(in));
	pair_close(&p);
}
END_TEST

START_TEST(conn_flushes_then_finishes_on_half_close)
{
	struct pair p;
	unsigned char out[16];
	bool moved;

	pair_open(&p);
	ck_assert_int_eq(send(p.peer, "abc", 3, 0), 3);
	ck_assert_int_eq(shutdown(p.peer, SHUT_WR), 0);
	p.c.must_drain = true;	/* as epoll reports EPOLLRDHUP */
	ck_assert_int_eq(conn_run(&p.c, &p.pool, CONN_BUDGET, &moved),
	    CONN_DONE);
	ck_assert(p.c.read_eof);
	ck_assert_uint_eq(peer_read(&p, out, sizeof(out)), 3);
	ck_assert_mem_eq(out, "abc", 3);
	pair_close(&p);
}
END_TEST

/* A short read means drained: no recv just to hear EAGAIN. */
START_TEST(conn_short_read_waits_for_next_edge)
{
	struct pair p;
	unsigned char out[16];
	bool moved;

	pair_open(&p);
	ck_assert_int_eq(send(p.peer, "ping", 4, 0), 4);
	ck_assert_int_eq(conn_run(&p.c, &p.pool, CONN_BUDGET, &moved),
	    CONN_IDLE);
	ck_assert(!p.c.can_read);
	ck_assert_uint_eq(peer_read(&p, out, sizeof(out)), 4);
	/* Once the peer's FIN is known, the read goes on to see EOF. */
	ck_assert_int_eq(send(p.peer, "pong", 4, 0), 4);
	ck_assert_int_eq(shutdown(p.peer, SHUT_WR), 0);
	p.c.can_read = p.c.must_drain = true;
	ck_assert_int_eq(conn_run(&p.c, &p.pool, CONN_BUDGET, &moved),
	    CONN_DONE);
	ck_assert_uint_eq(peer_read(&p, out, sizeof(out)), 4);
	pair_close(&p);
}
END_TEST

START_TEST(conn_yields_when_budget_is_spent)
{
	struct pair p;
	unsigned char out[64];
	bool moved;

	pair_open(&p);
	ck_assert_int_eq(send(p.peer, "0123456789", 10, 0), 10);
	ck_assert_int_eq(conn_run(&p.c, &p.pool, 1, &moved), CONN_MORE);
	ck_assert_uint_eq(peer_read(&p, out, sizeof(out)), 10);
	pair_close(&p);
}
END_TEST

START_TEST(conn_waits_for_the_kernel_when_nothing_to_do)
{
	struct pair p;
	bool moved;

	pair_open(&p);
	ck_assert_int_eq(conn_run(&p.c, &p.pool, CONN_BUDGET, &moved),
	    CONN_IDLE);
	ck_assert(!moved);
	ck_assert(!p.c.can_read);	/* EAGAIN was seen */
	ck_assert_ptr_null(p.c.b);
	pair_close(&p);
}
END_TEST

START_TEST(conn_finishes_when_peer_vanishes)
{
	struct pair p;
	bool moved;

	pair_open(&p);
	ck_assert_int_eq(send(p.peer, "lost", 4, 0), 4);
	(void)close(p.peer);
	p.peer = -1;
	ck_assert_int_eq(conn_run(&p.c, &p.pool, CONN_BUDGET, &moved),
	    CONN_DONE);
	conn_close(&p.c, &p.pool);
	ck_assert_uint_eq(p.pool.small.nlent, 0);
	buf_pool_clear(&p.pool);
}
END_TEST

/*
 * Streams `len` patterned bytes through the connection with a pool of
 * `large` streaming buffers, as epoll would drive it: every byte must
 * come back in order, and nothing stay lent once drained.
 */
static void
stream_through(size_t large, size_t len)
{
	static unsigned char in[1 << 20], out[1 << 20];
	size_t sent = 0, got = 0, i;
	int sz = 1 << 20, round;
	struct pair p;
	ssize_t n;
	bool moved;

	ck_assert_uint_le(len, sizeof(in));
	for (i = 0; i < len; i++)
		in[i] = (unsigned char)(i * 13 + i / 509);
	pair_open(&p);
	buf_pool_clear(&p.pool);
	buf_pool_init(&p.pool, 4, large);
	/* Room in the kernel for whole buffers each way. */
	(void)setsockopt(p.peer, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	(void)setsockopt(p.c.fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	for (round = 0; round < 100000 && got < len; round++) {
		while (sent < len && (n = send(p.peer, in + sent,
		    len - sent, 0)) > 0)
			sent += n;
		p.c.can_read = p.c.can_write = true;
		(void)conn_run(&p.c, &p.pool, CONN_BUDGET, &moved);
		ck_assert_uint_le(p.pool.large.nlent, large);
		while ((n = recv(p.peer, out + got, len - got, 0)) > 0)
			got += n;
	}
	ck_assert_uint_eq(got, len);
	ck_assert_mem_eq(out, in, len);
	ck_assert(p.c.streams);
	/* Drained: nothing lent, of either size. */
	ck_assert_ptr_null(p.c.b);
	ck_assert_uint_eq(p.pool.small.nlent, 0);
	ck_assert_uint_eq(p.pool.large.nlent, 0);
	/* The large one was lent, and came back to be kept. */
	ck_assert_uint_eq(p.pool.large.nfree, large > 0 ? 1 : 0);
	pair_close(&p);
}

/*
 * A connection that reads a whole small buffer at once is streaming and
 * moves to a large buffer; with none to lend it streams on in its small
 * one.
 */
START_TEST(conn_streaming_moves_to_a_large_buffer)
{
	stream_through(1, 600000);
	stream_through(0, 600000);
}
END_TEST

/* Makes the connection a streaming one, drained: it borrows large next. */
static void
pair_stream(struct pair *p)
{
	static unsigned char in[BUF_SIZE], out[BUF_SIZE];
	int sz = 1 << 20;
	bool moved;

	memset(in, 's', sizeof(in));
	(void)setsockopt(p->peer, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	(void)setsockopt(p->c.fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	ck_assert_int_eq(send(p->peer, in, sizeof(in), 0), sizeof(in));
	ck_assert_int_eq(conn_run(&p->c, &p->pool, CONN_BUDGET, &moved),
	    CONN_IDLE);
	ck_assert(p->c.streams);
	ck_assert_uint_eq(peer_read(p, out, sizeof(out)), sizeof(out));
	ck_assert_ptr_null(p->c.b);
	ck_assert_uint_eq(p->pool.large.nlent, 0);
}

/*
 * A worker lends at most max_large large buffers, so one that closing a
 * connection failed to give back would be gone for good: here the only
 * one.  It must go back to the large shelf whether the connection held
 * bytes in it (a client gone while its echo was blocked) or not (dropped
 * while queued after CONN_MORE).
 */
START_TEST(conn_close_returns_a_large_buffer)
{
	struct pair p;
	static unsigned char in[BUF_LARGE];
	int small = 4096;
	bool moved;

	memset(in, 'L', sizeof(in));
	/* Bytes pending: echo blocked by a client that does not read. */
	pair_open(&p);
	pair_stream(&p);
	(void)setsockopt(p.c.fd, SOL_SOCKET, SO_SNDBUF, &small,
	    sizeof(small));
	ck_assert_int_eq(send(p.peer, in, sizeof(in), 0), sizeof(in));
	p.c.can_read = true;	/* as the edge would */
	ck_assert_int_eq(conn_run(&p.c, &p.pool, CONN_BUDGET, &moved),
	    CONN_IDLE);
	ck_assert_ptr_nonnull(p.c.b);
	ck_assert_uint_eq(p.c.b->cap, BUF_LARGE);
	ck_assert_uint_gt(buf_pending(p.c.b), 0);
	ck_assert_uint_eq(p.pool.large.nlent, 1);
	conn_close(&p.c, &p.pool);
	ck_assert_ptr_null(p.c.b);
	ck_assert_uint_eq(p.pool.large.nlent, 0);
	ck_assert_uint_eq(p.pool.large.nfree, 1);
	ck_assert_uint_eq(p.pool.small.nlent, 0);
	pair_close(&p);

	/* Empty: budget spent, closed before its next turn. */
	pair_open(&p);
	pair_stream(&p);
	ck_assert_int_eq(send(p.peer, in, sizeof(in), 0), sizeof(in));
	p.c.can_read = true;
	ck_assert_int_eq(conn_run(&p.c, &p.pool, 1, &moved), CONN_MORE);
	ck_assert_ptr_nonnull(p.c.b);
	ck_assert_uint_eq(p.c.b->cap, BUF_LARGE);
	ck_assert_uint_eq(p.pool.large.nlent, 1);
	conn_close(&p.c, &p.pool);
	ck_assert_uint_eq(p.pool.large.nlent, 0);
	ck_assert_uint_eq(p.pool.large.nfree, 1);
	pair_close(&p);
}
END_TEST

/*
 * A read that fills the rest of a partly used buffer is no short read:
 * the socket may hold more, and no new edge will say so.  The buffer
 * holds 10,000 bytes it cannot write yet (the last send said EAGAIN);
 * 10,000 more arrive and 6,384 fit.  can_read stays set, and once
 * writing resumes the other 3,616 come back too, with no new edge.
 */
START_TEST(conn_read_filling_the_rest_keeps_reading)
{
	static unsigned char in[20000], out[20000];
	int big = 1 << 18;
	struct pair p;
	size_t i, got = 0;
	bool moved;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 13 + i / 239);
	pair_open(&p);
	(void)setsockopt(p.peer, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	p.c.can_write = false;	/* as after a send that said EAGAIN */
	ck_assert_int_eq(send(p.peer, in, 10000, 0), 10000);
	ck_assert_int_eq(conn_run(&p.c, &p.pool, CONN_BUDGET, &moved),
	    CONN_IDLE);
	ck_assert_ptr_nonnull(p.c.b);
	ck_assert_uint_eq(buf_pending(p.c.b), 10000);
	ck_assert(!p.c.can_read);	/* short: the socket was drained */
	ck_assert_int_eq(send(p.peer, in + 10000, 10000, 0), 10000);
	p.c.can_read = true;		/* the edge those bytes raise */
	ck_assert_int_eq(conn_run(&p.c, &p.pool, CONN_BUDGET, &moved),
	    CONN_IDLE);
	ck_assert_uint_eq(buf_pending(p.c.b), BUF_SIZE);
	ck_assert_msg(p.c.can_read, "can_read cleared with %d bytes still "
	    "in the socket", 20000 - BUF_SIZE);
	/* The peer reads: each time, room for echod's send (EPOLLOUT). */
	for (i = 0; i < 1000 && got < sizeof(out); i++) {
		p.c.can_write = true;
		(void)conn_run(&p.c, &p.pool, CONN_BUDGET, &moved);
		got += peer_read(&p, out + got, sizeof(out) - got);
	}
	ck_assert_uint_eq(got, sizeof(out));
	ck_assert_mem_eq(out, in, sizeof(in));
	pair_close(&p);
}
END_TEST

/*
 * As pair_open, over loopback TCP (port 0), whose edges differ from a
 * socketpair's; both ends non-blocking, the kernel's buffers as they are.
 */
static void
pair_open_tcp(struct pair *p)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int l, sv[2];

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = 0;	/* ephemeral */
	ck_assert_int_ge(l = socket(AF_INET, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(l, 1), 0);
	ck_assert_int_eq(getsockname(l, (struct sockaddr *)&sin, &len), 0);
	ck_assert_int_ge(sv[1] = socket(AF_INET, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(connect(sv[1], (struct sockaddr *)&sin,
	    sizeof(sin)), 0);
	ck_assert_int_ge(sv[0] = accept4(l, NULL, NULL, SOCK_NONBLOCK), 0);
	(void)close(l);
	ck_assert_int_eq(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	buf_pool_init(&p->pool, 4, 1);
	conn_init(&p->c, sv[0]);
	p->c.can_read = true;		/* as the first edge would */
	p->peer = sv[1];
}

/*
 * Takes what epoll has for the connection as the worker's conn_event
 * does: a flag is set only when an edge says so, never because a test
 * hopes the kernel is ready.  Returns the events, 0 if none came.
 */
static uint32_t
edge_take(int ep, struct conn *c, int timeout)
{
	struct epoll_event ev;
	int n;

	ck_assert_int_ge(n = epoll_wait(ep, &ev, 1, timeout), 0);
	if (n == 0)
		return 0;
	if (ev.events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR | EPOLLPRI))
		c->must_drain = true;
	if (ev.events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR | EPOLLPRI))
		c->can_read = true;
	if (ev.events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		c->can_write = true;
	return ev.events;
}

/* Waits up to a second for an edge with any of `want`: those that came. */
static uint32_t
edge_wait(int ep, struct conn *c, uint32_t want)
{
	uint32_t ev = 0;
	int i;

	for (i = 0; i < 10 && (ev & want) == 0; i++)
		ev |= edge_take(ep, c, 100);
	return ev & want;
}

/* Registered once, edge-triggered, as worker_tcp.c registers it. */
static int
edge_open(const struct conn *c)
{
	struct epoll_event ev;
	int ep;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI | EPOLLET;
	ck_assert_int_ge(ep = epoll_create1(EPOLL_CLOEXEC), 0);
	ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev), 0);
	return ep;
}

/*
 * A peer sending `len` bytes of `in` through a connection driven only
 * by its edges, and reading what comes back into `out` while `reading`.
 * Nothing sets a flag but an edge: a flag conn.c clears while the
 * kernel still has bytes for it loses them, and the flow stops.
 */
struct flow {
	struct pair	 p;
	int		 ep;
	const unsigned char *in;
	unsigned char	*out;
	size_t		 len;
	size_t		 sent;
	size_t		 got;
	bool		 shut;		/* FIN after the last byte, */
	bool		 fin;		/* and it was sent */
	bool		 reading;
	bool		 more;		/* CONN_MORE: runs again, edge or not */
	bool		 done;		/* CONN_DONE came: closed */
	bool		 peer_eof;	/* the end came before every byte */
	uint64_t	 done_bytes;	/* echoed when CONN_DONE came */
	size_t		 runs;
	size_t		 eof_pending;	/* runs ended at EOF, bytes held */
};

static void
flow_open(struct flow *f, const unsigned char *in, unsigned char *out,
    size_t len, bool shut, bool tcp)
{
	int sz = 1 << 20;

	memset(f, 0, sizeof(*f));
	if (tcp)
		pair_open_tcp(&f->p);
	else
		pair_open(&f->p);
	/* The peer can queue a lot before anybody reads; echod cannot. */
	(void)setsockopt(f->p.peer, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	f->ep = edge_open(&f->p.c);
	f->in = in;
	f->out = out;
	f->len = len;
	f->shut = shut;
}

static void
flow_close(struct flow *f)
{
	pair_close(&f->p);
	(void)close(f->ep);
}

/*
 * One turn: wait up to `timeout` ms for the peer or an edge, then let
 * each do what it can.  False if nothing was ready.
 */
static bool
flow_step(struct flow *f, int timeout)
{
	struct pollfd pfd[2];
	enum conn_status st;
	ssize_t n;
	bool moved;
	int ready;

	pfd[0].fd = f->p.peer;
	pfd[0].events = (f->reading ? POLLIN : 0) |
	    (f->sent < f->len ? POLLOUT : 0);
	pfd[1].fd = f->ep;
	pfd[1].events = POLLIN;
	pfd[0].revents = pfd[1].revents = 0;
	ck_assert_int_ge(ready = poll(pfd, 2, f->more ? 0 : timeout), 0);
	if (pfd[0].revents & POLLOUT)
		while (f->sent < f->len && (n = send(f->p.peer,
		    f->in + f->sent, f->len - f->sent, MSG_NOSIGNAL)) > 0)
			f->sent += n;
	if (f->shut && !f->fin && f->sent == f->len) {
		ck_assert_int_eq(shutdown(f->p.peer, SHUT_WR), 0);
		f->fin = true;
	}
	if (pfd[0].revents & POLLIN) {
		n = -1;
		while (f->got < f->len && (n = recv(f->p.peer,
		    f->out + f->got, f->len - f->got, 0)) > 0)
			f->got += n;
		if (f->got < f->len && n == 0)
			f->peer_eof = true;
	}
	if (f->done || (!f->more && !(pfd[1].revents & POLLIN)))
		return ready > 0;
	(void)edge_take(f->ep, &f->p.c, 0);
	st = conn_run(&f->p.c, &f->p.pool, CONN_BUDGET, &moved);
	f->runs++;
	ck_assert_int_ne(st, CONN_STALLED);
	f->more = st == CONN_MORE;
	if (st == CONN_DONE) {
		f->done = true;
		f->done_bytes = f->p.c.bytes;
		conn_close(&f->p.c, &f->p.pool);
	} else if (f->p.c.read_eof && f->p.c.b != NULL &&
	    buf_pending(f->p.c.b) > 0)
		f->eof_pending++;
	return true;
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec t;

	ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &t), 0);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	    (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * Runs the flow until every byte is back (and, with a FIN, the
 * connection done), in at most `steps` turns and 10 seconds (it takes
 * milliseconds; the rest is for a loaded machine): an edge lost stops
 * the flow, and the bound turns that hang into a failure.
 */
static void
flow_finish(struct flow *f, size_t steps)
{
	struct timespec t0;
	size_t i;

	ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &t0), 0);
	f->reading = true;
	for (i = 0; !f->peer_eof &&
	    (f->got < f->len || f->more || (f->shut && !f->done)); i++) {
		ck_assert_msg(i < steps && ms_since(&t0) < 10000,
		    "stuck after %zu turns: %zu of %zu bytes back, "
		    "can_read %d can_write %d", i, f->got, f->len,
		    f->p.c.can_read, f->p.c.can_write);
		(void)flow_step(f, 100);
	}
}

static void
fill(unsigned char *in, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		in[i] = (unsigned char)(i * 11 + i / 241);
}

/*
 * A client that sends a lot, half-closes and only then reads: echod reads
 * the end of file while its writes still say EAGAIN, with bytes held.  It
 * must not take that EOF for the end: CONN_DONE comes only once every
 * byte went back, in order.
 */
START_TEST(conn_half_close_waits_for_blocked_writes)
{
	static unsigned char in[300000], out[300000];
	struct flow f;
	size_t i;

	fill(in, sizeof(in));
	flow_open(&f, in, out, sizeof(in), true, false);
	/* The peer sends it all and its FIN, reading nothing. */
	for (i = 0; i < 10000 && flow_step(&f, 0); i++)
		;
	ck_assert_uint_lt(i, 10000);
	ck_assert(f.fin);
	ck_assert(!f.done);
	ck_assert(!f.p.c.can_write);	/* echod's writes hit EAGAIN */
	ck_assert_ptr_nonnull(f.p.c.b);
	ck_assert_uint_gt(buf_pending(f.p.c.b), 0);
	ck_assert_uint_lt(f.p.c.bytes, sizeof(in));
	/* Now it reads. */
	flow_finish(&f, 5000);
	ck_assert(f.done);
	ck_assert(!f.p.c.failed);
	ck_assert(f.p.c.read_eof);
	ck_assert_uint_eq(f.done_bytes, sizeof(in));
	ck_assert_uint_gt(f.eof_pending, 0);	/* EOF came with bytes held */
	ck_assert_uint_eq(f.got, sizeof(in));
	ck_assert_mem_eq(out, in, sizeof(in));
	/* Then the end of file, and not a byte more. */
	ck_assert_int_eq(recv(f.p.peer, out, 1, 0), 0);
	ck_assert_uint_eq(f.p.pool.large.nlent, 0);
	ck_assert_uint_eq(f.p.pool.small.nlent, 0);
	flow_close(&f);
}
END_TEST

/*
 * Streams a megabyte through a connection told only what epoll says,
 * over a socketpair or loopback TCP, whose edges differ: a flag cleared
 * while the kernel still had bytes (or room) for it would leave the flow
 * waiting for an edge that never comes.  Turns and time are bounded, so
 * that fails instead of hanging.
 */
static void
stream_on_edges(bool tcp)
{
	static unsigned char in[1 << 20], out[1 << 20];
	struct flow f;

	fill(in, sizeof(in));
	flow_open(&f, in, out, sizeof(in), false, tcp);
	flow_finish(&f, 5000);
	ck_assert_uint_eq(f.got, sizeof(in));
	ck_assert_mem_eq(out, in, sizeof(in));
	ck_assert_uint_eq(f.p.c.bytes, sizeof(in));
	ck_assert(!f.done);
	ck_assert(f.p.c.streams);
	/* Drained: nothing lent. */
	ck_assert_ptr_null(f.p.c.b);
	ck_assert_uint_eq(f.p.pool.large.nlent, 0);
	ck_assert_uint_eq(f.p.pool.small.nlent, 0);
	flow_close(&f);
}

/* The edge-triggered flags, honestly: nothing sets them but an edge. */
START_TEST(conn_streams_on_edges_alone)
{
	stream_on_edges(false);
	stream_on_edges(true);
}
END_TEST

/*
 * A client that resets an idle connection (SO_LINGER 0, then close):
 * recv says ECONNRESET, which is no EOF and no retry.  conn_run finishes
 * it as failed, so the worker counts a reset, not a client that closed,
 * and closing it leaves nothing lent.
 */
START_TEST(conn_fails_when_peer_resets)
{
	struct linger lg = { 1, 0 };
	struct pollfd pfd;
	struct pair p;
	unsigned char out[8];
	bool moved;
	int ep;

	pair_open_tcp(&p);
	ep = edge_open(&p.c);
	/* One echo first: a connection in use, then idle. */
	ck_assert_int_eq(send(p.peer, "ping", 4, 0), 4);
	ck_assert_uint_ne(edge_wait(ep, &p.c, EPOLLIN), 0);
	ck_assert_int_eq(conn_run(&p.c, &p.pool, CONN_BUDGET, &moved),
	    CONN_IDLE);
	pfd.fd = p.peer;
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 1000), 1);
	ck_assert_int_eq(recv(p.peer, out, sizeof(out), MSG_DONTWAIT), 4);
	ck_assert_mem_eq(out, "ping", 4);
	ck_assert_ptr_null(p.c.b);
	/* Nothing pending on echod's side: the reset. */
	ck_assert_int_eq(setsockopt(p.peer, SOL_SOCKET, SO_LINGER, &lg,
	    sizeof(lg)), 0);
	ck_assert_int_eq(close(p.peer), 0);
	p.peer = -1;
	ck_assert_uint_ne(edge_wait(ep, &p.c, EPOLLERR | EPOLLHUP), 0);
	ck_assert(p.c.must_drain && p.c.can_read);
	ck_assert_int_eq(conn_run(&p.c, &p.pool, CONN_BUDGET, &moved),
	    CONN_DONE);
	ck_assert(p.c.failed);
	ck_assert(!p.c.read_eof);
	ck_assert_ptr_null(conn_stall_call(&p.c));
	ck_assert_uint_eq(p.c.bytes, 4);
	conn_close(&p.c, &p.pool);
	ck_assert_uint_eq(p.pool.small.nlent, 0);
	ck_assert_uint_eq(p.pool.large.nlent, 0);
	pair_close(&p);
	(void)close(ep);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("conn");
	TCase *tc = tcase_create("conn");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, conn_echoes_in_order_and_returns_buffer);
	tcase_add_test(tc, conn_stops_reading_when_client_does_not_read);
	tcase_add_test(tc, conn_flushes_then_finishes_on_half_close);
	tcase_add_test(tc, conn_short_read_waits_for_next_edge);
	tcase_add_test(tc, conn_yields_when_budget_is_spent);
	tcase_add_test(tc, conn_waits_for_the_kernel_when_nothing_to_do);
	tcase_add_test(tc, conn_finishes_when_peer_vanishes);
	tcase_add_test(tc, conn_streaming_moves_to_a_large_buffer);
	tcase_add_test(tc, conn_close_returns_a_large_buffer);
	tcase_add_test(tc, conn_half_close_waits_for_blocked_writes);
	tcase_add_test(tc, conn_streams_on_edges_alone);
	tcase_add_test(tc, conn_fails_when_peer_resets);
	tcase_add_test(tc, conn_read_filling_the_rest_keeps_reading);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
