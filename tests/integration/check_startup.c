/* check_startup.c: start-up refusals; workers that cannot start. */

#include <sys/prctl.h>
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

#include "harness.h"

/* The pid file lock turns a second start into a clear refusal. */
START_TEST(startup_second_instance_is_refused)
{
	const char *args[] = { "-f", "-c", NULL, NULL };
	char out[4096], want[256];
	struct harness h;
	int fd;

	harness_start(&h, H_TCP4, "workers = 1;");
	args[2] = h.conf;
	ck_assert_int_eq(harness_run(args, out, sizeof(out), 5000), 1);
	(void)snprintf(want, sizeof(want), "echod: pid file %s is locked by "
	    "pid %ld: is echod already running?", h.pidfile, (long)h.pid);
	ck_assert_msg(strstr(out, want) != NULL, "output: %s", out);
	ck_assert_ptr_null(strstr(out, "listening on"));
	/* The first instance is untouched, pid file included. */
	ck_assert_int_ge(fd = harness_connect(AF_INET, h.tcp4, 3000), 0);
	ck_assert_int_eq(harness_echo(fd, "first", 5, false, 3000), 0);
	(void)close(fd);
	ck_assert_int_eq(access(h.pidfile, F_OK), 0);
	harness_stop(&h);
}
END_TEST

/* A port in use stops the start with the bind error; nothing is left. */
START_TEST(startup_fails_cleanly_on_port_in_use)
{
	const char *args[] = { "-f", "-c", NULL, NULL };
	char conf[512], out[4096], want[128];
	struct harness h;
	uint16_t port;
	int lfd;

	ck_assert_int_ge(lfd = harness_tcp_listener(AF_INET), 0);
	port = harness_local_port(lfd);
	(void)snprintf(conf, sizeof(conf), "workers = 1;\nlisten = (\n"
	    "  { protocol = \"tcp\"; address = \"127.0.0.1\"; port = 0; },\n"
	    "  { protocol = \"tcp\"; address = \"127.0.0.1\"; port = %u; }\n"
	    ");", port);
	harness_init(&h);
	harness_write_config(&h, 0, conf);
	args[2] = h.conf;
	ck_assert_int_eq(harness_run(args, out, sizeof(out), 5000), 1);
	(void)snprintf(want, sizeof(want), "echod: bind tcp 127.0.0.1:%u: "
	    "Address already in use\n", port);
	ck_assert_msg(strstr(out, want) != NULL, "output: %s", out);
	ck_assert_ptr_null(strstr(out, "started"));
	ck_assert_int_eq(access(h.pidfile, F_OK), -1);
	(void)close(lfd);
	harness_finish(&h);
}
END_TEST

/*
 * Workers that cannot even start make the master give up, not respawn
 * forever.  In a user namespace (unshare -r) echod is root but setgroups
 * is denied, so every worker fails its privilege drop; after three tries
 * with backoff the master must exit 1 and say why.
 */
START_TEST(startup_gives_up_when_workers_cannot_start)
{
	char out[16384];
	struct harness h;
	uint64_t start, deadline;
	FILE *tf;
	pid_t pid;
	size_t n;
	int st = -1;

	harness_init(&h);
	harness_write_config(&h, H_TCP4 | H_UDP4, "workers = 2;");
	ck_assert_ptr_nonnull(tf = tmpfile());
	start = harness_now_ms();
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1 ||
		    dup2(fileno(tf), STDOUT_FILENO) == -1 ||
		    dup2(fileno(tf), STDERR_FILENO) == -1)
			_exit(126);
		execlp("unshare", "unshare", "-r", ECHOD_BIN, "-f", "-c",
		    h.conf, (char *)NULL);
		_exit(127);
	}
	deadline = start + 10000;
	while (waitpid(pid, &st, WNOHANG) != pid &&
	    harness_now_ms() < deadline)
		(void)usleep(5000);
	if (harness_now_ms() >= deadline) {
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, &st, 0);
	}
	rewind(tf);
	n = fread(out, 1, sizeof(out) - 1, tf);
	out[n] = '\0';
	(void)fclose(tf);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1,
	    "status %#x, output: %s", st, out);
	ck_assert_msg(strstr(out, "echod: tcp worker: cannot switch to user "
	    "nobody and group nogroup; exiting") != NULL, "output: %s", out);
	ck_assert_msg(strstr(out, "failed to start (exit status 3); "
	    "respawning in 100 ms") != NULL, "output: %s", out);
	ck_assert_msg(strstr(out, "failed to start (exit status 3); "
	    "respawning in 200 ms") != NULL, "output: %s", out);
	ck_assert_msg(strstr(out, "failed to start 3 times in a row") != NULL,
	    "output: %s", out);
	/* Backoff, not a hot loop: at least 100 + 200 ms passed. */
	ck_assert_uint_ge(harness_now_ms() - start, 300);
	ck_assert_int_eq(access(h.pidfile, F_OK), -1);
	harness_finish(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("startup");
	TCase *tc = tcase_create("startup");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, startup_second_instance_is_refused);
	tcase_add_test(tc, startup_fails_cleanly_on_port_in_use);
	tcase_add_test(tc, startup_gives_up_when_workers_cannot_start);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
