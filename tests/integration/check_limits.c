/* check_limits.c: idle_timeout, max_connections and EMFILE, client side. */

#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "clock.h"
#include "harness.h"

/*
 * A silent connection is closed once it has been silent for 1 s, not
 * before; one that talks every 200 ms is not, even 1.5 s after that.  The
 * close is waited for, not expected by a fixed time: a busy machine is
 * late with it.
 */
START_TEST(limits_idle_timeout_closes_only_silent_connections)
{
	uint64_t t0, closed_ms = 0, until;
	struct harness h;
	int silent, active, n = 0;

	harness_start(&h, H_TCP4, "workers = 1;\ntcp = { idle_timeout = 1; };");
	ck_assert_int_ge(silent = harness_connect(AF_INET, h.tcp4, H_WAIT_MS),
	    0);
	ck_assert_int_ge(active = harness_connect(AF_INET, h.tcp4, H_WAIT_MS),
	    0);
	/* Before the send: the worker cannot see the byte any earlier. */
	t0 = clock_now_ms();
	ck_assert_int_eq(harness_echo(silent, "s", 1, false, H_WAIT_MS), 0);
	ck_assert_int_eq(harness_echo(active, "a", 1, false, H_WAIT_MS), 0);
	/* Talk every ~200 ms, watching the silent one for EOF. */
	until = t0 + H_WAIT_MS;
	while (closed_ms == 0 || clock_now_ms() < until) {
		if (closed_ms != 0)
			(void)usleep(200 * 1000);
		else if (harness_wait_eof(silent, 200)) {
			closed_ms = clock_now_ms() - t0;
			until = clock_now_ms() + 1500;
		} else
			ck_assert_msg(clock_now_ms() < until, "silent "
			    "connection still open after %d ms", H_WAIT_MS);
		ck_assert_msg(harness_echo(active, "a", 1, false,
		    H_WAIT_MS) == 0, "active connection lost after %llu ms",
		    (unsigned long long)(clock_now_ms() - t0));
		n++;
	}
	ck_assert_int_ge(n, 5);
	ck_assert_msg(closed_ms >= 900, "silent connection closed after %llu "
	    "ms, before its 1 s idle_timeout", (unsigned long long)closed_ms);
	(void)close(silent);
	(void)close(active);
	harness_stop(&h);
}
END_TEST

/*
 * A full worker leaves a third connection in the backlog instead of
 * accepting and dropping it; it is served as soon as a slot frees up.
 */
START_TEST(limits_max_connections_queues_the_next_client)
{
	struct pollfd pfd;
	struct harness h;
	int c1, c2, c3;
	char got[8];

	harness_start(&h, H_TCP4, "workers = 1;\n"
	    "tcp = { max_connections = 2; };");
	ck_assert_int_ge(c1 = harness_connect(AF_INET, h.tcp4, H_WAIT_MS), 0);
	ck_assert_int_ge(c2 = harness_connect(AF_INET, h.tcp4, H_WAIT_MS), 0);
	ck_assert_int_eq(harness_echo(c1, "one", 3, false, H_WAIT_MS), 0);
	ck_assert_int_eq(harness_echo(c2, "two", 3, false, H_WAIT_MS), 0);
	ck_assert_int_ge(c3 = harness_connect(AF_INET, h.tcp4, H_WAIT_MS), 0);
	ck_assert_int_eq(harness_send_all(c3, "three", 5, H_WAIT_MS), 5);
	/* Neither echoed nor closed while the worker is full. */
	pfd.fd = c3;
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 500), 0);
	ck_assert_int_eq(harness_echo(c2, "full", 4, false, H_WAIT_MS), 0);
	(void)close(c1);
	ck_assert_int_eq(harness_recv_all(c3, got, 5, H_WAIT_MS), 5);
	ck_assert_mem_eq(got, "three", 5);
	ck_assert_int_eq(harness_echo(c3, "more", 4, false, H_WAIT_MS), 0);
	ck_assert_int_eq(harness_echo(c2, "two", 3, false, H_WAIT_MS), 0);
	(void)close(c2);
	(void)close(c3);
	harness_stop(&h);
}
END_TEST

/*
 * Out of descriptors (EMFILE): the worker pauses accepting, says so once
 * (rate-limited), never spins, keeps serving what it has, and takes the
 * waiting clients once descriptors free up.
 */
START_TEST(limits_emfile_pauses_without_spinning)
{
	enum { NCLIENTS = 48 };
	int fds[NCLIENTS], i, nw;
	struct harness h;
	pid_t worker;
	long t0, t1;

	harness_init(&h);
	harness_write_config(&h, H_TCP4, "workers = 1;");
	h.nofile = 32;
	harness_launch(&h);
	harness_wait_ready(&h);
	ck_assert(harness_wait_log(&h, "RLIMIT_NOFILE is 32, below",
	    H_WAIT_MS));
	ck_assert(harness_wait_workers(&h, "tcp", 1, H_WAIT_MS));
	nw = harness_workers(&h, "tcp", &worker, 1);
	ck_assert_int_eq(nw, 1);
	for (i = 0; i < NCLIENTS; i++)
		ck_assert_int_ge(fds[i] = harness_connect(AF_INET, h.tcp4,
		    H_WAIT_MS), 0);
	ck_assert(harness_wait_log(&h, "accept4 (pausing accepts for 100 ms",
	    H_WAIT_MS));
	/* The first clients are served while the worker is out of fds. */
	ck_assert_int_eq(harness_echo(fds[0], "first", 5, false, H_WAIT_MS), 0);
	/* A paused worker sleeps: well under half a CPU over one second. */
	t0 = harness_cpu_ticks(worker);
	(void)usleep(1000 * 1000);
	t1 = harness_cpu_ticks(worker);
	ck_assert_int_ge(t0, 0);
	ck_assert_int_lt(t1 - t0, sysconf(_SC_CLK_TCK) / 2);
	ck_assert_int_eq(harness_log_count(&h, "accept4 (pausing"), 1);
	/* Freeing descriptors lets the last client in. */
	for (i = 0; i < NCLIENTS / 2; i++)
		(void)close(fds[i]);
	ck_assert_int_eq(harness_echo(fds[NCLIENTS - 1], "last", 4, false,
	    H_WAIT_MS), 0);
	for (i = NCLIENTS / 2; i < NCLIENTS; i++)
		(void)close(fds[i]);
	harness_stop(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("limits");
	TCase *tc = tcase_create("limits");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, limits_idle_timeout_closes_only_silent_connections);
	tcase_add_test(tc, limits_max_connections_queues_the_next_client);
	tcase_add_test(tc, limits_emfile_pauses_without_spinning);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
