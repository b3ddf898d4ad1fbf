/* check_generations.c: a reload starts the new generation before it retires the old. */

#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "fault.h"
#include "harness.h"
#include "loadgen.h"

static void	 start_faulty(struct harness *, const char *);
static long	 log_offset(struct harness *, const char *);
static void	 assert_same_workers(struct harness *, const pid_t *, int);
static void	 reload_fails_keeping_old(int, int, int, int, const char *,
		    const char *);
static bool	 notify_expect(int, const char *, int);

static void
start_faulty(struct harness *h, const char *conf)
{
	harness_init(h);
	harness_fault_init(h);
	harness_write_config(h, H_TCP4 | H_UDP4, conf);
	harness_launch(h);
	harness_wait_ready(h);
}

/* Where `needle` first stands in the whole log; -1 if nowhere. */
static long
log_offset(struct harness *h, const char *needle)
{
	char line[512];
	size_t saved = h->mark;
	long off = -1;
	FILE *f;

	h->mark = 0;
	ck_assert_ptr_nonnull(f = fopen(h->log, "r"));
	while (off == -1 && fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, needle) != NULL)
			off = ftell(f);
	(void)fclose(f);
	h->mark = saved;
	return off;
}

static void
assert_same_workers(struct harness *h, const pid_t *before, int n)
{
	pid_t after[8];
	int i;

	ck_assert_int_eq(harness_workers(h, NULL, after, 8), n);
	for (i = 0; i < n; i++)
		ck_assert_msg(after[i] == before[i], "worker %ld was replaced "
		    "by %ld", (long)before[i], (long)after[i]);
}

/*
 * Every worker of generation 2 has started before any worker of
 * generation 1 is told to stop: no moment without a worker that accepts.
 */
START_TEST(generations_new_serves_before_old_retires)
{
	static const char *started[] = { "tcp worker 0 (generation 2): started",
	    "tcp worker 1 (generation 2): started",
	    "udp worker (generation 2): started", NULL };
	static const char *stopped[] = { "tcp worker 0 (generation 1): draining",
	    "tcp worker 1 (generation 1): draining", "udp worker (generation 1): exiting", NULL };
	struct harness h;
	long last_start = 0, off;
	int i;

	harness_start(&h, H_TCP4 | H_UDP4, "workers = 2;");
	harness_mark(&h);
	harness_signal(&h, SIGHUP);
	ck_assert(harness_wait_log(&h, "generation 1 has exited", 10000));
	for (i = 0; started[i] != NULL; i++) {
		ck_assert_int_gt(off = log_offset(&h, started[i]), 0);
		if (off > last_start)
			last_start = off;
	}
	ck_assert_int_lt(last_start, log_offset(&h, "reload complete"));
	for (i = 0; stopped[i] != NULL; i++) {
		ck_assert_int_gt(off = log_offset(&h, stopped[i]), 0);
		ck_assert_msg(off > last_start, "\"%s\" came before every new "
		    "worker had started", stopped[i]);
	}
	harness_stop(&h);
}
END_TEST

/*
 * Arm the fault, HUP: the reload fails saying `why`, generation 2 goes
 * away, generation 1 goes on untouched (same workers, the open
 * connection still echoes, new ones are served), nothing turns into a
 * stop, and once the fault is gone the next HUP succeeds.
 */
static void
reload_fails_keeping_old(int call, int err, int skip, int count,
    const char *why, const char *also)
{
	char want[256];
	struct harness h;
	pid_t before[8];
	int fd, n;

	start_faulty(&h, "workers = 2;");
	ck_assert_int_eq(n = harness_workers(&h, NULL, before, 8), 3);
	ck_assert_int_ge(fd = harness_connect(AF_INET, h.tcp4, 3000), 0);
	ck_assert_int_eq(harness_echo(fd, "before", 6, false, 3000), 0);
	harness_fault_arm(&h, call, err, skip, count);
	harness_mark(&h);
	harness_signal(&h, SIGHUP);
	(void)snprintf(want, sizeof(want), "reload failed: keeping the "
	    "configuration of generation 1 (%s", why);
	ck_assert(harness_wait_log(&h, want, 10000));
	ck_assert(also == NULL || harness_wait_log(&h, also, 0));
	ck_assert(harness_wait_log(&h, "generation 2 has exited", 10000));
	assert_same_workers(&h, before, n);
	ck_assert_int_eq(harness_echo(fd, "during", 6, false, 3000), 0);
	harness_assert_serves_tcp(&h, 5);
	harness_fault_disarm(&h, call);
	harness_mark(&h);
	harness_signal(&h, SIGHUP);
	ck_assert(harness_wait_log(&h, "reload complete: generation 3", 10000));
	ck_assert_int_eq(harness_echo(fd, "after", 5, false, 3000), 0);
	(void)close(fd);
	ck_assert_int_eq(harness_log_count(&h, "fast shutdown"), 0);
	ck_assert_int_eq(harness_log_count(&h, "giving up"), 0);
	harness_stop(&h);
}

/* fork fails half-way: the one new worker that started is retired too. */
START_TEST(generations_fork_failure_keeps_old_generation)
{
	reload_fails_keeping_old(FAULT_FORK, EAGAIN, 1, 1, "cannot fork tcp "
	    "worker 1: Resource temporarily unavailable)", NULL);
}
END_TEST

/* The new workers start but cannot initialise. */
START_TEST(generations_failed_workers_keep_old_generation)
{
	reload_fails_keeping_old(FAULT_EPOLL_CREATE1, EMFILE, 0, -1, "",
	    "of generation 2 failed to start (exit status 3))");
}
END_TEST

/* The next notification is exactly `want`. */
static bool
notify_expect(int fd, const char *want, int ms)
{
	char buf[512];

	if (!harness_notify_next(fd, buf, sizeof(buf), ms))
		return false;
	if (strcmp(buf, want) != 0)
		(void)fprintf(stderr, "notify: got \"%s\", want \"%s\"\n", buf,
		    want);
	return strcmp(buf, want) == 0;
}

/*
 * systemd hears READY=1 only once the workers serve, and after a reload
 * that failed, READY=1 with a STATUS= that says so.
 */
START_TEST(generations_tell_systemd_what_serves)
{
	struct harness h;
	int fd;

	harness_init(&h);
	fd = harness_notify_open(&h);
	harness_write_config(&h, H_TCP4, "workers = 2;");
	harness_launch(&h);
	harness_wait_ready(&h);
	ck_assert(notify_expect(fd, "READY=1\nSTATUS=serving generation 1",
	    5000));
	harness_write_config(&h, H_TCP4, "workers = ;");
	harness_signal(&h, SIGHUP);
	ck_assert(notify_expect(fd, "RELOADING=1", 5000));
	ck_assert(notify_expect(fd, "READY=1\nSTATUS=reload failed: the "
	    "configuration has errors; serving generation 1", 5000));
	harness_write_config(&h, H_TCP4, "workers = 3;");
	harness_signal(&h, SIGHUP);
	ck_assert(notify_expect(fd, "RELOADING=1", 5000));
	ck_assert(notify_expect(fd, "READY=1\nSTATUS=serving generation 2",
	    10000));
	harness_signal(&h, SIGTERM);
	ck_assert(notify_expect(fd, "STOPPING=1", 5000));
	harness_stop(&h);
	(void)close(fd);
}
END_TEST

/*
 * Reloads under connect/echo/close churn and fifty connections that keep
 * exchanging data: no connection is refused, reset or cut short.
 */
START_TEST(generations_reload_loses_no_connection)
{
	struct loadgen_spec spec = { 0, 0, 0, 0, false, 8, 50 };
	struct loadgen_stats st;
	struct loadgen lg;
	struct harness h;
	char want[64];
	int i;

	harness_start(&h, H_TCP4, "workers = 2;\nshutdown_timeout = 30;");
	spec.tcp_port = h.tcp4;
	loadgen_start(&lg, &spec);
	ck_assert(loadgen_wait_busy(&lg, 10000));
	for (i = 0; i < 5; i++) {
		harness_mark(&h);
		harness_signal(&h, SIGHUP);
		(void)snprintf(want, sizeof(want), "reload complete: "
		    "generation %d", i + 2);
		ck_assert(harness_wait_log(&h, want, 10000));
		ck_assert(loadgen_wait_busy(&lg, 10000));
	}
	loadgen_read(&lg, &st);
	loadgen_stop(&lg);
	ck_assert_msg(st.churn_failed == 0, "%llu of %llu churned "
	    "connections failed", (unsigned long long)st.churn_failed,
	    (unsigned long long)(st.churn_ok + st.churn_failed));
	ck_assert_uint_eq(st.persistent_broken, 0);
	ck_assert_uint_gt(st.churn_ok, 0);
	harness_stop(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("generations");
	TCase *tc = tcase_create("generations");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, generations_new_serves_before_old_retires);
	tcase_add_test(tc, generations_fork_failure_keeps_old_generation);
	tcase_add_test(tc, generations_failed_workers_keep_old_generation);
	tcase_add_test(tc, generations_tell_systemd_what_serves);
	tcase_add_test(tc, generations_reload_loses_no_connection);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
