/* check_conn.c: the echo state machine: order, back-pressure, half-close. */

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
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
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
