/* check_upgrade.c: SIGUSR2 re-executes the master in place, losing nothing. */

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "clock.h"
#include "harness.h"
#include "loadgen.h"

#define WAIT_MS		10000

/* A socket standing in for systemd's NOTIFY_SOCKET, in h->dir. */
static int
notify_listen(struct harness *h)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	(void)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/notify",
	    h->dir);
	ck_assert_int_ne(fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0), -1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", sun.sun_path, 1), 0);
	return fd;
}

/* Every notification so far, one per line, appended to `out`. */
static void
notify_read(int fd, char *out, size_t len)
{
	char buf[512];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf) - 1, 0)) > 0) {
		buf[n] = '\0';
		(void)strncat(out, buf, len - strlen(out) - 2);
		(void)strcat(out, "\n");
	}
}

/*
 * Two upgrades under connect/echo/close churn and fifty connections that
 * keep exchanging data: none refused, reset or cut short; the master keeps
 * its pid; systemd hears RELOADING=1, then READY=1.
 */
START_TEST(upgrade_loses_no_connection)
{
	struct loadgen_spec spec = { 0, 0, 0, 0, false, 8, 50 };
	struct loadgen_stats st;
	static char notes[16384];
	struct loadgen lg;
	struct harness h;
	char *reloading;
	pid_t pid;
	int i, nfd;

	harness_init(&h);
	nfd = notify_listen(&h);
	harness_write_config(&h, H_TCP4, "workers = 2;\nshutdown_timeout = 30;");
	harness_launch(&h);
	(void)unsetenv("NOTIFY_SOCKET");
	harness_wait_ready(&h);
	pid = h.pid;
	spec.tcp_port = h.tcp4;
	loadgen_start(&lg, &spec);
	ck_assert(loadgen_wait_busy(&lg, 10000));
	notes[0] = '\0';
	for (i = 0; i < 2; i++) {
		harness_mark(&h);
		harness_signal(&h, SIGUSR2);
		ck_assert(harness_wait_log(&h, "upgrade complete", 15000));
		ck_assert(loadgen_wait_busy(&lg, 10000));
	}
	ck_assert(harness_pid_alive(pid));
	ck_assert_int_eq(h.pid, pid);
	loadgen_read(&lg, &st);
	loadgen_stop(&lg);
	ck_assert_msg(st.churn_failed == 0, "%llu of %llu churned "
	    "connections failed", (unsigned long long)st.churn_failed,
	    (unsigned long long)(st.churn_ok + st.churn_failed));
	ck_assert_uint_eq(st.persistent_broken, 0);
	ck_assert_uint_gt(st.churn_ok, 0);
	notify_read(nfd, notes, sizeof(notes));
	ck_assert_ptr_nonnull(reloading = strstr(notes, "RELOADING=1"));
	ck_assert_msg(strstr(reloading, "READY=1\nSTATUS=upgraded to") !=
	    NULL, "notifications: %s", notes);
	(void)close(nfd);
	harness_stop(&h);
}
END_TEST

/* A configuration `echod -t` rejects stops the upgrade; echod serves on. */
START_TEST(upgrade_refused_keeps_serving)
{
	struct harness h;
	pid_t pid;

	harness_start(&h, H_TCP4, "workers = 1;");
	pid = h.pid;
	harness_write_config(&h, H_TCP4, "workers = 1;\nbogus_key = 1;");
	harness_mark(&h);
	harness_signal(&h, SIGUSR2);
	ck_assert(harness_wait_log(&h, "upgrade failed: ", 15000));
	ck_assert(harness_wait_log(&h, "goes on serving generation 1",
	    1000));
	ck_assert_int_eq(h.pid, pid);
	harness_assert_serves_tcp(&h, 2);
	harness_write_config(&h, H_TCP4, "workers = 1;");
	harness_stop(&h);
}
END_TEST

/*
 * The per-source table goes over to the new image: two connections the
 * old image's worker holds still count, so a third from the same source
 * is refused after the upgrade; once one of the two closes (in the old
 * worker, draining), the source gets its place back.
 */
START_TEST(upgrade_keeps_per_source_counts)
{
	uint64_t deadline;
	struct harness h;
	int fd[3], i;

	harness_start(&h, H_TCP4, "workers = 1;\nshutdown_timeout = 60;\n"
	    "per_source_exempt = [];\n"
	    "tcp = { per_source_connections = 2; };");
	for (i = 0; i < 2; i++) {
		ck_assert_int_ge(fd[i] = harness_connect(AF_INET, h.tcp4,
		    WAIT_MS), 0);
		ck_assert_int_eq(harness_echo(fd[i], "held", 4, false,
		    WAIT_MS), 0);
	}
	harness_mark(&h);
	harness_signal(&h, SIGUSR2);
	ck_assert(harness_wait_log(&h, "upgrade complete", 15000));
	/* The old worker no longer accepts: the new image's decides. */
	ck_assert(harness_wait_log(&h, "draining 2 connections", WAIT_MS));
	/* Reset at accept: before the connect is seen through, or after. */
	if ((fd[2] = harness_connect(AF_INET, h.tcp4, WAIT_MS)) == -1)
		ck_assert_int_eq(errno, ECONNRESET);
	else {
		ck_assert_msg(harness_wait_eof(fd[2], WAIT_MS), "a third "
		    "connection was served: the old image's two were not "
		    "counted");
		(void)close(fd[2]);
	}
	ck_assert(harness_wait_counter(&h, "tcp_refused_limit", 1, WAIT_MS));
	ck_assert_int_eq(harness_echo(fd[0], "still", 5, false, WAIT_MS), 0);
	(void)close(fd[0]);
	/* Released by the old worker when it sees the close: retry till then. */
	deadline = clock_now_ms() + WAIT_MS;
	for (;;) {
		ck_assert_msg(clock_now_ms() < deadline, "the source's place "
		    "never came back");
		/* A refusal may come as the connect's ECONNRESET. */
		if ((fd[0] = harness_connect(AF_INET, h.tcp4, WAIT_MS)) == -1)
			continue;
		if (harness_echo(fd[0], "back", 4, false, 1000) == 0)
			break;
		(void)close(fd[0]);
	}
	(void)close(fd[0]);
	(void)close(fd[1]);
	harness_stop(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("upgrade");
	TCase *tc = tcase_create("upgrade");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, upgrade_loses_no_connection);
	tcase_add_test(tc, upgrade_refused_keeps_serving);
	tcase_add_test(tc, upgrade_keeps_per_source_counts);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
