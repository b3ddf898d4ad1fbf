/* check_shutdown.c: graceful and fast stop, shutdown_timeout. */

#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "clock.h"
#include "harness.h"

static void	 assert_exited_zero(struct harness *, int);
static void	 assert_stopped_fast(struct harness *, int);

static void
assert_exited_zero(struct harness *h, int ms)
{
	int st;

	ck_assert_msg((st = harness_wait_exit(h, ms)) != -1,
	    "echod still running after %d ms", ms);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "echod ended with wait status %#x", st);
}

/*
 * After SIGQUIT, each of the `ntcp` TCP workers left on its own at once,
 * none waited for the master's SIGKILL.  A time bound would say the same
 * on an idle machine and fail on a busy one.
 */
static void
assert_stopped_fast(struct harness *h, int ntcp)
{
	ck_assert(harness_wait_log(h, "echod: fast shutdown\n", 0));
	ck_assert_int_eq(harness_log_count(h, "exiting (fast shutdown)"),
	    ntcp);
	ck_assert_int_eq(harness_log_count(h, "did not stop in time"), 0);
	ck_assert_int_eq(harness_log_count(h, "killed by signal"), 0);
	ck_assert(harness_wait_log(h, "echod stopped", 0));
}

/*
 * SIGTERM with a connection open: no new connection gets in, the open one
 * is served until the client closes it, then echod exits 0 and removes
 * its pid file.
 */
START_TEST(shutdown_graceful_drains_open_connection)
{
	unsigned char data[64 * 1024];
	struct harness h;
	int fd, fd2;

	harness_fill(data, sizeof(data), 9);
	harness_start(&h, H_TCP, "workers = 2;\nshutdown_timeout = 30;");
	ck_assert_int_eq(access(h.pidfile, F_OK), 0);
	ck_assert_int_ge(fd = harness_connect(AF_INET, h.tcp4, H_WAIT_MS), 0);
	ck_assert_int_eq(harness_echo(fd, "before", 6, false, H_WAIT_MS), 0);
	harness_mark(&h);
	harness_signal(&h, SIGTERM);
	ck_assert(harness_wait_log(&h, "graceful shutdown", H_WAIT_MS));
	ck_assert(harness_wait_log_count(&h, "): draining", 2,
	    H_WAIT_MS));
	fd2 = harness_connect(AF_INET, h.tcp4, 1000);
	ck_assert_msg(fd2 == -1 && errno == ECONNREFUSED,
	    "a connection after SIGTERM: fd %d, %s", fd2, strerror(errno));
	fd2 = harness_connect(AF_INET6, h.tcp6, 1000);
	ck_assert_msg(fd2 == -1 && errno == ECONNREFUSED,
	    "an IPv6 connection after SIGTERM: fd %d, %s", fd2,
	    strerror(errno));
	ck_assert_int_eq(harness_echo(fd, data, sizeof(data), false, H_WAIT_MS),
	    0);
	/* Still there while the connection is. */
	ck_assert_int_eq(harness_wait_exit(&h, 300), -1);
	ck_assert_int_eq(harness_echo(fd, "last", 4, true, H_WAIT_MS), 0);
	(void)close(fd);
	assert_exited_zero(&h, H_WAIT_MS);
	ck_assert(harness_wait_log(&h, "exiting (drained)", 0));
	ck_assert(harness_wait_log(&h, "echod stopped", 0));
	ck_assert_int_eq(access(h.pidfile, F_OK), -1);
	ck_assert_int_eq(errno, ENOENT);
	harness_assert_clean_log(&h);
	harness_finish(&h);
}
END_TEST

/* An idle client cannot hold a graceful stop past shutdown_timeout. */
START_TEST(shutdown_timeout_bounds_graceful_stop)
{
	struct harness h;
	uint64_t t0, took;
	int fd;

	harness_start(&h, H_TCP4, "workers = 1;\nshutdown_timeout = 1;");
	ck_assert_int_ge(fd = harness_connect(AF_INET, h.tcp4, H_WAIT_MS), 0);
	ck_assert_int_eq(harness_echo(fd, "idle", 4, false, H_WAIT_MS), 0);
	t0 = clock_now_ms();
	harness_signal(&h, SIGTERM);
	assert_exited_zero(&h, H_WAIT_MS);
	took = clock_now_ms() - t0;
	ck_assert_msg(took >= 900, "stopped after %llu ms, before the "
	    "shutdown_timeout", (unsigned long long)took);
	/*
	 * The worker's own deadline ended it, not the master's SIGKILL 2 s
	 * later: the log says which, however slow the machine.
	 */
	ck_assert(harness_wait_log(&h, "exiting (shutdown timeout)", 0));
	ck_assert(harness_wait_log(&h, " of generation 1 exited with status 0",
	    0));
	ck_assert_int_eq(harness_log_count(&h, "did not stop in time"), 0);
	ck_assert_int_eq(harness_log_count(&h, "killed by signal"), 0);
	ck_assert(harness_wait_eof(fd, H_WAIT_MS));
	(void)close(fd);
	harness_assert_clean_log(&h);
	harness_finish(&h);
}
END_TEST

START_TEST(shutdown_fast_does_not_wait_for_connections)
{
	struct harness h;
	int fds[3], i;

	harness_start(&h, H_TCP4 | H_UDP4, "workers = 2;\n"
	    "shutdown_timeout = 30;");
	for (i = 0; i < 3; i++) {
		ck_assert_int_ge(fds[i] = harness_connect(AF_INET, h.tcp4,
		    H_WAIT_MS), 0);
		ck_assert_int_eq(harness_echo(fds[i], "open", 4, false,
		    H_WAIT_MS), 0);
	}
	harness_signal(&h, SIGQUIT);
	/* Well within the 30 s a graceful stop would give the connections. */
	assert_exited_zero(&h, H_WAIT_MS);
	assert_stopped_fast(&h, 2);
	for (i = 0; i < 3; i++) {
		ck_assert(harness_wait_eof(fds[i], H_WAIT_MS));
		(void)close(fds[i]);
	}
	ck_assert_int_eq(access(h.pidfile, F_OK), -1);
	harness_assert_clean_log(&h);
	harness_finish(&h);
}
END_TEST

/* SIGQUIT ends a graceful drain that an open connection holds up. */
START_TEST(shutdown_fast_overrides_graceful_drain)
{
	struct harness h;
	int fd;

	harness_start(&h, H_TCP4, "workers = 1;\nshutdown_timeout = 30;");
	ck_assert_int_ge(fd = harness_connect(AF_INET, h.tcp4, H_WAIT_MS), 0);
	ck_assert_int_eq(harness_echo(fd, "hold", 4, false, H_WAIT_MS), 0);
	harness_mark(&h);
	harness_signal(&h, SIGTERM);
	ck_assert(harness_wait_log(&h, "): draining 1 connections",
	    H_WAIT_MS));
	ck_assert_int_eq(harness_wait_exit(&h, 300), -1);
	ck_assert_int_eq(harness_echo(fd, "still", 5, false, H_WAIT_MS), 0);
	harness_signal(&h, SIGQUIT);
	assert_exited_zero(&h, H_WAIT_MS);
	assert_stopped_fast(&h, 1);
	ck_assert(harness_wait_eof(fd, H_WAIT_MS));
	(void)close(fd);
	harness_assert_clean_log(&h);
	harness_finish(&h);
}
END_TEST

/*
 * A stop during a reload's drain waits for both generations' connections
 * and then exits 0.
 */
START_TEST(shutdown_graceful_waits_for_every_generation)
{
	struct harness h;
	int old, cur;

	harness_start(&h, H_TCP4, "workers = 1;\nshutdown_timeout = 30;");
	ck_assert_int_ge(old = harness_connect(AF_INET, h.tcp4, H_WAIT_MS), 0);
	ck_assert_int_eq(harness_echo(old, "gen 1", 5, false, H_WAIT_MS), 0);
	harness_write_config(&h, H_TCP4, "workers = 2;\n"
	    "shutdown_timeout = 30;");
	harness_mark(&h);
	harness_signal(&h, SIGHUP);
	ck_assert(harness_wait_log(&h, "reload complete: generation 2",
	    H_WAIT_MS));
	/* Until the old worker has its SIGTERM it may still accept. */
	ck_assert(harness_wait_log(&h, "): draining 1 connections",
	    H_WAIT_MS));
	ck_assert_int_ge(cur = harness_connect(AF_INET, h.tcp4, H_WAIT_MS), 0);
	ck_assert_int_eq(harness_echo(cur, "gen 2", 5, false, H_WAIT_MS), 0);
	harness_signal(&h, SIGTERM);
	ck_assert(harness_wait_log(&h, "graceful shutdown", H_WAIT_MS));
	ck_assert_int_eq(harness_echo(old, "old", 3, false, H_WAIT_MS), 0);
	ck_assert_int_eq(harness_echo(cur, "new", 3, false, H_WAIT_MS), 0);
	(void)close(old);
	ck_assert(harness_wait_log(&h, "generation 1 has exited", H_WAIT_MS));
	ck_assert_int_eq(harness_wait_exit(&h, 300), -1);
	ck_assert_int_eq(harness_echo(cur, "last", 4, false, H_WAIT_MS), 0);
	(void)close(cur);
	assert_exited_zero(&h, H_WAIT_MS);
	ck_assert(harness_wait_log(&h, "echod stopped", 0));
	harness_assert_clean_log(&h);
	harness_finish(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("shutdown");
	TCase *tc = tcase_create("shutdown");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, shutdown_graceful_drains_open_connection);
	tcase_add_test(tc, shutdown_timeout_bounds_graceful_stop);
	tcase_add_test(tc, shutdown_fast_does_not_wait_for_connections);
	tcase_add_test(tc, shutdown_fast_overrides_graceful_drain);
	tcase_add_test(tc, shutdown_graceful_waits_for_every_generation);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
