/* check_operations.c: counters, `echod -s`, hung workers, the worker count at runtime. */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "clock.h"
#include "harness.h"
#include "loadgen.h"

#define OUT_MAX		65536

static char	 out[OUT_MAX];

static int	 ctl(struct harness *, const char *, const char *, const char *);
static long long counter(const char *, const char *);
static bool	 wait_counter(struct harness *, const char *, long long, int);
static int	 tcp_workers(struct harness *);

/* `echod -c CONF -s WHAT [ARG]`, its output in `out`; the exit code. */
static int
ctl(struct harness *h, const char *what, const char *arg, const char *arg2)
{
	const char *args[] = { "-c", h->conf, "-s", what, arg, arg2, NULL };

	return harness_run(args, out, sizeof(out), 60000);
}

/* "name":N in the last `-s status --json`; -1 if absent. */
static long long
counter(const char *json, const char *name)
{
	char key[64];
	const char *p;

	(void)snprintf(key, sizeof(key), "\"%s\":", name);
	if ((p = strstr(json, key)) == NULL)
		return -1;
	return atoll(p + strlen(key));
}

/* Counts reach their value as workers get to them: wait, bounded. */
static bool
wait_counter(struct harness *h, const char *name, long long want, int ms)
{
	uint64_t deadline = clock_now_ms() + ms;

	for (;;) {
		if (ctl(h, "status", "--json", NULL) == 0 &&
		    counter(out, name) >= want)
			return true;
		if (clock_now_ms() > deadline)
			return false;
		usleep(20000);
	}
}

static int
tcp_workers(struct harness *h)
{
	ck_assert_int_eq(ctl(h, "status", "--json", NULL), 0);
	return (int)counter(out, "tcp_workers");
}

/*
 * The counters add up what the test itself sent, and go on adding up
 * across a reload and a worker killed by SIGKILL.
 */
START_TEST(operations_counters_match_traffic)
{
	unsigned char got[64];
	long long acc0, bytes0, udp0, closed0;
	struct harness h;
	pid_t pids[4];
	int fd, i, u;

	harness_start(&h, H_TCP4 | H_UDP4, "workers = 2;");
	ck_assert_int_eq(ctl(&h, "status", "--json", NULL), 0);
	acc0 = counter(out, "tcp_accepted");
	bytes0 = counter(out, "tcp_bytes");
	udp0 = counter(out, "udp_echoed");
	closed0 = counter(out, "tcp_closed_client");
	ck_assert_int_ge(acc0, 1);	/* harness_wait_ready's */
	for (i = 0; i < 10; i++) {
		ck_assert_int_ge(fd = harness_connect(AF_INET, h.tcp4, 3000),
		    0);
		ck_assert_int_eq(harness_echo(fd, "0123456789", 10, true,
		    3000), 0);
		(void)close(fd);
	}
	ck_assert_int_ge(u = harness_udp_socket(AF_INET), 0);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(harness_udp_echo(u, AF_INET, h.udp4, "dgram",
		    5, got, 3000), 5);
	(void)close(u);
	ck_assert(wait_counter(&h, "tcp_closed_client", closed0 + 10, 5000));
	ck_assert_int_eq(counter(out, "tcp_accepted"), acc0 + 10);
	ck_assert_int_eq(counter(out, "tcp_bytes"), bytes0 + 100);
	ck_assert_int_eq(counter(out, "udp_echoed"), udp0 + 5);
	ck_assert_int_eq(counter(out, "udp_bytes"), counter(out,
	    "udp_echoed") * 5);
	/* A reload and a killed worker take nothing away. */
	harness_mark(&h);
	ck_assert_int_eq(ctl(&h, "reload", NULL, NULL), 0);
	ck_assert(harness_wait_log(&h, "generation 1 has exited", 10000));
	ck_assert_int_eq(harness_workers(&h, "tcp", pids, 4), 2);
	ck_assert_int_eq(kill(pids[0], SIGKILL), 0);
	ck_assert(harness_wait_log(&h, "respawned tcp worker", 10000));
	ck_assert_int_eq(ctl(&h, "status", "--json", NULL), 0);
	ck_assert_int_ge(counter(out, "tcp_accepted"), acc0 + 10);
	ck_assert_int_ge(counter(out, "tcp_bytes"), bytes0 + 100);
	ck_assert_int_ge(counter(out, "udp_echoed"), udp0 + 5);
	ck_assert_int_eq(counter(out, "reloads"), 1);
	ck_assert_int_eq(counter(out, "respawns"), 1);
	harness_stop(&h);
}
END_TEST

/* The three views: a human summary, JSON, Prometheus text. */
START_TEST(operations_status_formats)
{
	struct harness h;
	char *line, *save;
	int rows = 0;

	harness_start(&h, H_TCP4 | H_UDP4, "workers = 2;");
	ck_assert_int_eq(ctl(&h, "status", NULL, NULL), 0);
	ck_assert_msg(strstr(out, "generation 1 serving with 2 tcp workers") !=
	    NULL, "status: %s", out);
	ck_assert_ptr_nonnull(strstr(out, " tcp    0    1 serving"));
	ck_assert_ptr_nonnull(strstr(out, " udp    0    1 serving"));
	ck_assert_int_eq(ctl(&h, "status", "--json", NULL), 0);
	ck_assert_msg(out[0] == '{' && strstr(out, "\"workers\":[{") != NULL,
	    "json: %s", out);
	ck_assert_int_eq(counter(out, "master_pid"), h.pid);
	ck_assert_int_eq(ctl(&h, "metrics", NULL, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "# TYPE "
	    "echod_tcp_connections_accepted_total counter\n"));
	ck_assert_ptr_nonnull(strstr(out, "echod_tcp_connections_closed_total"
	    "{reason=\"idle\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(out, "echod_tcp_workers 2\n"));
	/* Every sample line: a name, maybe labels, a number. */
	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		rows++;
		ck_assert_msg(strncmp(line, "echod_", 6) == 0 &&
		    strchr(line, ' ') != NULL && strspn(strrchr(line, ' ') + 1,
		    "0123456789.") == strlen(strrchr(line, ' ') + 1),
		    "bad metrics line: %s", line);
	}
	ck_assert_int_gt(rows, 15);
	harness_stop(&h);
}
END_TEST

/* Only root and the workers' group read the status file. */
START_TEST(operations_status_file_is_private)
{
	struct harness h;
	struct stat st;
	char path[128];
	pid_t pid;
	int status;

	if (geteuid() != 0) {
		(void)printf("skipped: needs root to switch to another user\n");
		return;
	}
	harness_start(&h, H_TCP4, "workers = 1;");
	(void)snprintf(path, sizeof(path), "%s/echod.status", h.dir);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0640);
	ck_assert_int_eq(st.st_uid, 0);
	ck_assert_ptr_nonnull(getgrnam("nogroup"));
	ck_assert_int_eq(st.st_gid, getgrnam("nogroup")->gr_gid);
	ck_assert_int_eq(chmod(h.dir, 0755), 0);
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		if (setgroups(0, NULL) == -1 || setgid(54321) == -1 ||
		    setuid(54321) == -1)
			_exit(99);
		execl(ECHOD_BIN, "echod", "-c", h.conf, "-s", "status",
		    (char *)NULL);
		_exit(98);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 1);
	harness_stop(&h);
}
END_TEST

/* -s reload waits for the outcome and reports it; -s stop waits too. */
START_TEST(operations_signals_by_name)
{
	struct harness h;
	char conf[256];
	int lfd;

	harness_start(&h, H_TCP4, "workers = 1;");
	harness_write_config(&h, H_TCP4, "workers = 2;");
	ck_assert_int_eq(ctl(&h, "reload", NULL, NULL), 0);
	ck_assert_int_eq(tcp_workers(&h), 2);
	/* A file -s cannot read: it says so and sends nothing. */
	harness_write_config(&h, H_TCP4, "workers = zwei;");
	ck_assert_int_eq(ctl(&h, "reload", NULL, NULL), 1);
	ck_assert_msg(strstr(out, "echod.conf:1: syntax error") != NULL, "out: %s",
	    out);
	/* A reload the daemon refuses (the new port is taken): exit 1. */
	ck_assert_int_ge(lfd = harness_tcp_listener(AF_INET), 0);
	(void)snprintf(conf, sizeof(conf), "workers = 3;\nlisten = ( { "
	    "protocol = \"tcp\"; address = \"127.0.0.1\"; port = %u; } );",
	    harness_local_port(lfd));
	harness_write_config(&h, 0, conf);
	ck_assert_int_eq(ctl(&h, "reload", NULL, NULL), 1);
	ck_assert_msg(strstr(out, "reload failed") != NULL, "out: %s", out);
	ck_assert_int_eq(tcp_workers(&h), 2);
	(void)close(lfd);
	ck_assert_int_eq(ctl(&h, "bogus", NULL, NULL), 1);
	ck_assert_int_eq(ctl(&h, "stop", NULL, NULL), 0);
	ck_assert_int_ne(harness_wait_exit(&h, 5000), -1);
	ck_assert_int_eq(ctl(&h, "status", NULL, NULL), 1);
	ck_assert_int_eq(ctl(&h, "reload", NULL, NULL), 1);
	ck_assert_ptr_nonnull(strstr(out, "not running"));
	harness_finish(&h);
}
END_TEST

/*
 * A worker stopped with SIGSTOP stays in one loop turn: it is detected,
 * killed and replaced within worker_timeout + 2 s, and service goes on.
 */
START_TEST(operations_hung_worker_is_replaced)
{
	struct harness h;
	uint64_t t0;
	pid_t pid, after;

	harness_start(&h, H_TCP4, "workers = 1;\nworker_timeout = 1;");
	ck_assert_int_eq(harness_workers(&h, "tcp", &pid, 1), 1);
	/* Idle is not hung: a quiet worker outlives its timeout. */
	usleep(2500000);
	ck_assert(harness_pid_alive(pid));
	ck_assert_int_eq(harness_log_count(&h, "past worker_timeout"), 0);
	harness_mark(&h);
	t0 = clock_now_ms();
	ck_assert_int_eq(kill(pid, SIGSTOP), 0);
	ck_assert(harness_wait_gone(pid, 3000));
	ck_assert(harness_wait_log(&h, "respawned tcp worker 0", 3000));
	ck_assert_uint_le(clock_now_ms() - t0, 3000);
	ck_assert(harness_wait_log(&h, "past worker_timeout: sending SIGABRT",
	    0));
	ck_assert(harness_wait_workers(&h, "tcp", 1, 3000));
	ck_assert_int_eq(harness_workers(&h, "tcp", &after, 1), 1);
	ck_assert_int_ne(after, pid);
	harness_assert_serves_tcp(&h, 3);
	ck_assert_int_eq(ctl(&h, "status", "--json", NULL), 0);
	ck_assert_int_eq(counter(out, "hung_workers"), 1);
	harness_signal(&h, SIGQUIT);
	ck_assert_int_ne(harness_wait_exit(&h, 10000), -1);
	harness_finish(&h);
}
END_TEST

/*
 * An idle worker wakes only to beat, four times per worker_timeout: with
 * 40 s, once in 10 s.  A 3 s window then holds at most one wake-up per
 * worker; waking every second, as workers once did, makes three.  The
 * window is tried up to three times, in case one caught the workers
 * still settling after the harness's own connections.
 */
START_TEST(operations_idle_workers_sleep)
{
	long before[2], after;
	struct harness h;
	pid_t pid[2];
	int i, try, most = 0;

	harness_start(&h, H_TCP4, "workers = 2;\nworker_timeout = 40;");
	ck_assert(harness_wait_workers(&h, "tcp", 2, H_WAIT_MS));
	ck_assert_int_eq(harness_workers(&h, "tcp", pid, 2), 2);
	for (try = 0; try < 3; try++) {
		for (i = 0; i < 2; i++)
			ck_assert_int_ge(before[i] =
			    harness_sleeps(pid[i]), 0);
		usleep(3000000);
		most = 0;
		for (i = 0; i < 2; i++) {
			ck_assert_int_ge(after = harness_sleeps(pid[i]),
			    0);
			if (after - before[i] > most)
				most = (int)(after - before[i]);
		}
		if (most <= 1)
			break;
	}
	ck_assert_msg(most <= 1, "an idle worker woke %d times in 3 s", most);
	harness_assert_serves_tcp(&h, 2);
	harness_stop(&h);
}
END_TEST

/*
 * Each generation is judged by its own worker_timeout: after a reload
 * from 3600 s (a beat every 15 minutes) to 1 s, the old worker draining
 * a connection is not taken for hung, and the connection still echoes.
 */
START_TEST(operations_reload_keeps_old_workers_timeout)
{
	struct harness h;
	int fd;

	harness_start(&h, H_TCP4, "workers = 1;\nworker_timeout = 3600;\n"
	    "shutdown_timeout = 60;");
	ck_assert_int_ge(fd = harness_connect(AF_INET, h.tcp4, H_WAIT_MS), 0);
	ck_assert_int_eq(harness_echo(fd, "before", 6, false, H_WAIT_MS), 0);
	harness_write_config(&h, H_TCP4, "workers = 1;\nworker_timeout = 1;\n"
	    "shutdown_timeout = 60;");
	harness_mark(&h);
	harness_signal(&h, SIGHUP);
	ck_assert(harness_wait_log(&h, "reload complete: generation 2",
	    H_WAIT_MS));
	/* Three times the new limit: the old rule killed it within one. */
	usleep(3000000);
	ck_assert_int_eq(harness_log_count(&h, "past worker_timeout"), 0);
	ck_assert_int_eq(harness_echo(fd, "after", 5, false, H_WAIT_MS), 0);
	(void)close(fd);
	ck_assert(harness_wait_log(&h, "generation 1 has exited", H_WAIT_MS));
	harness_stop(&h);
}
END_TEST

/*
 * The worker count at runtime, under connect/echo/close churn and
 * connections that stay: 2 -> 8 -> 2 and TTIN/TTOU, nothing fails.
 */
START_TEST(operations_worker_count_under_churn)
{
	struct loadgen_spec spec = { 0, 0, 0, 0, false, 8, 20 };
	struct loadgen_stats st;
	struct loadgen lg;
	struct harness h;

	harness_start(&h, H_TCP4, "workers = 2;\nshutdown_timeout = 30;");
	spec.tcp_port = h.tcp4;
	loadgen_start(&lg, &spec);
	ck_assert(loadgen_wait_busy(&lg, 10000));
	ck_assert_int_eq(ctl(&h, "workers", "8", NULL), 0);
	ck_assert(harness_wait_workers(&h, "tcp", 8, 10000));
	ck_assert(loadgen_wait_busy(&lg, 10000));
	ck_assert_int_eq(ctl(&h, "workers", "2", NULL), 0);
	ck_assert(harness_wait_log_count(&h, "retired", 6, 40000));
	ck_assert(loadgen_wait_busy(&lg, 10000));
	harness_signal(&h, SIGTTIN);
	ck_assert(harness_wait_workers(&h, "tcp", 3, 10000));
	harness_signal(&h, SIGTTOU);
	ck_assert(harness_wait_log_count(&h, "retired", 7, 40000));
	ck_assert(loadgen_wait_busy(&lg, 10000));
	ck_assert_int_eq(tcp_workers(&h), 2);
	loadgen_read(&lg, &st);
	loadgen_stop(&lg);
	ck_assert_msg(st.churn_failed == 0, "%llu of %llu churned "
	    "connections failed", (unsigned long long)st.churn_failed,
	    (unsigned long long)(st.churn_ok + st.churn_failed));
	ck_assert_uint_eq(st.persistent_broken, 0);
	ck_assert(harness_wait_log(&h, "tcp workers: 2 -> 8", 0));
	ck_assert(harness_wait_log(&h, "tcp workers: 8 -> 2", 0));
	harness_stop(&h);
}
END_TEST

/* systemd: WATCHDOG=1 while every worker is fresh, and a STATUS= line. */
START_TEST(operations_systemd_watchdog_and_status)
{
	char buf[512];
	struct harness h;
	uint64_t deadline;
	int fd, pings = 0, status = 0;

	harness_init(&h);
	fd = harness_notify_open(&h);
	ck_assert_int_eq(setenv("WATCHDOG_USEC", "600000", 1), 0);
	harness_write_config(&h, H_TCP4, "workers = 2;");
	harness_launch(&h);
	harness_wait_ready(&h);
	deadline = clock_now_ms() + 15000;
	while ((pings < 3 || status == 0) && clock_now_ms() < deadline) {
		if (!harness_notify_next(fd, buf, sizeof(buf), 200))
			continue;
		if (strcmp(buf, "WATCHDOG=1") == 0)
			pings++;
		else if (strstr(buf, "STATUS=generation 1: 2 tcp workers, ") ==
		    buf && strstr(buf, " connections/s, ") != NULL)
			status++;
	}
	ck_assert_int_ge(pings, 3);
	ck_assert_int_ge(status, 1);
	harness_stop(&h);
	(void)close(fd);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("operations");
	TCase *tc = tcase_create("operations");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, operations_counters_match_traffic);
	tcase_add_test(tc, operations_status_formats);
	tcase_add_test(tc, operations_status_file_is_private);
	tcase_add_test(tc, operations_signals_by_name);
	tcase_add_test(tc, operations_hung_worker_is_replaced);
	tcase_add_test(tc, operations_idle_workers_sleep);
	tcase_add_test(tc, operations_reload_keeps_old_workers_timeout);
	tcase_add_test(tc, operations_worker_count_under_churn);
	tcase_add_test(tc, operations_systemd_watchdog_and_status);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
