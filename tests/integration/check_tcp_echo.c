/* check_tcp_echo.c: TCP echo: bytes, order, half-close, back-pressure. */

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

#define MIB		(1024 * 1024)
#define PATTERN_CHUNK	65536

static const int families[] = { AF_INET, AF_INET6 };

static uint16_t
tcp_port(const struct harness *h, int family)
{
	return family == AF_INET ? h->tcp4 : h->tcp6;
}

START_TEST(tcp_echoes_binary_with_nuls)
{
	static const unsigned char head[] = { 0, 1, 2, 0, 'a', 0, 0xff, 0,
	    '\r', '\n', 0 };
	unsigned char data[4096 + sizeof(head)];
	struct harness h;
	int family = families[_i], fd;

	memcpy(data, head, sizeof(head));
	harness_fill(data + sizeof(head), 4096, 7);
	harness_start(&h, H_TCP, "workers = 2;");
	ck_assert_int_ge(fd = harness_connect(family, tcp_port(&h, family),
	    H_WAIT_MS), 0);
	ck_assert_int_eq(harness_echo(fd, head, sizeof(head), false, H_WAIT_MS),
	    0);
	ck_assert_int_eq(harness_echo(fd, data, sizeof(data), false, H_WAIT_MS),
	    0);
	(void)close(fd);
	harness_stop(&h);
}
END_TEST

/* Writing while reading: a client that wrote it all first would deadlock. */
START_TEST(tcp_echoes_one_mib_round_trip)
{
	unsigned char *data = malloc(MIB);
	struct harness h;
	int family = families[_i], fd;

	ck_assert_ptr_nonnull(data);
	harness_fill(data, MIB, 11);
	harness_start(&h, H_TCP, "workers = 2;");
	ck_assert_int_ge(fd = harness_connect(family, tcp_port(&h, family),
	    H_WAIT_MS), 0);
	ck_assert_int_eq(harness_echo(fd, data, MIB, false, 20000), 0);
	(void)close(fd);
	free(data);
	harness_stop(&h);
}
END_TEST

/* 20 bursts of 100 separately sent messages, each burst read back whole. */
START_TEST(tcp_echoes_many_small_messages_in_order)
{
	char sent[100 * 32], got[sizeof(sent)];
	struct harness h;
	size_t len;
	int burst, k, n, fd;

	harness_start(&h, H_TCP4, "workers = 2;");
	ck_assert_int_ge(fd = harness_connect(AF_INET, h.tcp4, H_WAIT_MS), 0);
	for (burst = 0; burst < 20; burst++) {
		for (k = 0, len = 0; k < 100; k++) {
			n = snprintf(sent + len, sizeof(sent) - len,
			    "msg %d.%d:%.*s;", burst, k, k % 11, "xxxxxxxxxx");
			ck_assert_int_eq(harness_send_all(fd, sent + len, n,
			    H_WAIT_MS), n);
			len += n;
		}
		ck_assert_int_eq(harness_recv_all(fd, got, len, H_WAIT_MS),
		    len);
		ck_assert_mem_eq(got, sent, len);
	}
	(void)close(fd);
	harness_stop(&h);
}
END_TEST

START_TEST(tcp_half_close_returns_everything_then_eof)
{
	unsigned char data[256 * 1024];
	struct harness h;
	int fd;

	harness_fill(data, sizeof(data), 3);
	harness_start(&h, H_TCP4, "workers = 1;");
	ck_assert_int_ge(fd = harness_connect(AF_INET, h.tcp4, H_WAIT_MS), 0);
	/* harness_echo half-closes after the last byte and wants EOF. */
	ck_assert_int_eq(harness_echo(fd, data, sizeof(data), true, 10000),
	    0);
	(void)close(fd);
	harness_stop(&h);
}
END_TEST

/*
 * A client that writes 64 MiB and reads nothing: the worker must stop
 * reading (so the client stalls long before 64 MiB), keep its memory
 * flat, go on serving others, and still give back every byte in order.
 */
START_TEST(tcp_non_reading_client_is_held_back)
{
	unsigned char *chunk = malloc(PATTERN_CHUNK), *got =
	    malloc(PATTERN_CHUNK);
	size_t sent = 0, off, n;
	struct harness h;
	long rss0, rss1;
	pid_t worker;
	ssize_t r;
	int fd, other;

	ck_assert_ptr_nonnull(chunk);
	ck_assert_ptr_nonnull(got);
	harness_start(&h, H_TCP4, "workers = 1;");
	ck_assert(harness_wait_workers(&h, "tcp", 1, H_WAIT_MS));
	ck_assert_int_eq(harness_workers(&h, "tcp", &worker, 1), 1);
	ck_assert_int_gt(rss0 = harness_rss_kb(worker), 0);
	ck_assert_int_ge(fd = harness_connect(AF_INET, h.tcp4, H_WAIT_MS), 0);
	/* Send until no byte moves for 500 ms, or 64 MiB went out. */
	while (sent < 64 * MIB) {
		harness_fill(chunk, PATTERN_CHUNK, sent / PATTERN_CHUNK + 1);
		off = sent % PATTERN_CHUNK;
		r = harness_send_all(fd, chunk + off, PATTERN_CHUNK - off,
		    500);
		ck_assert_int_ge(r, 0);
		sent += r;
		if ((size_t)r < PATTERN_CHUNK - off)
			break;
	}
	ck_assert_msg(sent < 64 * MIB, "sent all 64 MiB to a client that "
	    "reads nothing: no back-pressure");
	ck_assert_int_gt(rss1 = harness_rss_kb(worker), 0);
	ck_assert_msg(rss1 - rss0 < 8 * 1024, "worker RSS grew by %ld kB "
	    "after %zu bytes from a non-reading client", rss1 - rss0, sent);
	/* The same (only) worker serves a newcomer at once. */
	ck_assert_int_ge(other = harness_connect(AF_INET, h.tcp4, H_WAIT_MS),
	    0);
	ck_assert_int_eq(harness_echo(other, "ping", 4, false, H_WAIT_MS), 0);
	(void)close(other);
	/* Nothing was lost: every byte comes back in order. */
	for (off = 0; off < sent; off += n) {
		n = sent - off < PATTERN_CHUNK ? sent - off : PATTERN_CHUNK;
		harness_fill(chunk, PATTERN_CHUNK, off / PATTERN_CHUNK + 1);
		ck_assert_int_eq(harness_recv_all(fd, got, n, 10000), n);
		ck_assert_mem_eq(got, chunk, n);
	}
	(void)close(fd);
	free(chunk);
	free(got);
	harness_stop(&h);
}
END_TEST

/* Every lock kind lets 200 simultaneous clients in and serves them all. */
START_TEST(tcp_accept_lock_serves_200_concurrent_clients)
{
	static const char *locks[] = { "mutex", "fcntl", "none" };
	char conf[128], msg[32], got[32], started[64];
	struct harness h;
	int fds[200], i, n;

	(void)snprintf(conf, sizeof(conf),
	    "workers = 4;\ntcp = { accept_lock = \"%s\"; };", locks[_i]);
	harness_start(&h, H_TCP4, conf);
	(void)snprintf(started, sizeof(started), "accept lock %s,",
	    locks[_i]);
	ck_assert(harness_wait_log(&h, started, 0));
	for (i = 0; i < 200; i++)
		ck_assert_msg((fds[i] = harness_connect(AF_INET, h.tcp4,
		    H_WAIT_MS)) >= 0, "connection %d: %s", i, strerror(errno));
	for (i = 0; i < 200; i++) {
		n = snprintf(msg, sizeof(msg), "client %03d", i);
		ck_assert_int_eq(harness_send_all(fds[i], msg, n, H_WAIT_MS),
		    n);
	}
	for (i = 0; i < 200; i++) {
		n = snprintf(msg, sizeof(msg), "client %03d", i);
		ck_assert_int_eq(harness_recv_all(fds[i], got, n, H_WAIT_MS),
		    n);
		ck_assert_mem_eq(got, msg, n);
		(void)close(fds[i]);
	}
	harness_stop(&h);
}
END_TEST

/*
 * Urgent data: recv stops at the urgent mark with bytes queued behind it,
 * and no new edge comes for them.  Each byte, the urgent one included,
 * must come back, in order, promptly.  Corked, so all of it arrives in one
 * segment (the case that stalled); repeated, since timing varies.
 */
START_TEST(tcp_echoes_urgent_data_in_place)
{
	struct harness h;
	char got[8];
	int fd, on = 1, off = 0, round;

	harness_start(&h, H_TCP4, "workers = 1;");
	for (round = 0; round < 5; round++) {
		ck_assert_int_ge(fd = harness_connect(AF_INET, h.tcp4,
		    H_WAIT_MS), 0);
		ck_assert_int_eq(setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on,
		    sizeof(on)), 0);
		ck_assert_int_eq(send(fd, "abc", 3, 0), 3);
		ck_assert_int_eq(send(fd, "X", 1, MSG_OOB), 1);
		ck_assert_int_eq(send(fd, "def", 3, 0), 3);
		ck_assert_int_eq(setsockopt(fd, IPPROTO_TCP, TCP_CORK, &off,
		    sizeof(off)), 0);
		ck_assert_int_eq(harness_recv_all(fd, got, 7, H_WAIT_MS), 7);
		ck_assert_mem_eq(got, "abcXdef", 7);
		(void)close(fd);
	}
	harness_stop(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tcp_echo");
	TCase *tc = tcase_create("tcp_echo");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, tcp_echoes_binary_with_nuls, 0, 2);
	tcase_add_loop_test(tc, tcp_echoes_one_mib_round_trip, 0, 2);
	tcase_add_test(tc, tcp_echoes_many_small_messages_in_order);
	tcase_add_test(tc, tcp_half_close_returns_everything_then_eof);
	tcase_add_test(tc, tcp_echoes_urgent_data_in_place);
	tcase_add_test(tc, tcp_non_reading_client_is_held_back);
	tcase_add_loop_test(tc, tcp_accept_lock_serves_200_concurrent_clients,
	    0, 3);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
