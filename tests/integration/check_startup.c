/* check_startup.c: start-up refusals; workers that cannot start. */

#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "clock.h"
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
	ck_assert_int_eq(harness_run(args, out, sizeof(out), H_WAIT_MS), 1);
	(void)snprintf(want, sizeof(want), "echod: pid file %s is locked by "
	    "pid %ld: is echod already running?", h.pidfile, (long)h.pid);
	ck_assert_msg(strstr(out, want) != NULL, "output: %s", out);
	ck_assert_ptr_null(strstr(out, "listening on"));
	/* The first instance is untouched, pid file included. */
	ck_assert_int_ge(fd = harness_connect(AF_INET, h.tcp4, H_WAIT_MS), 0);
	ck_assert_int_eq(harness_echo(fd, "first", 5, false, H_WAIT_MS), 0);
	(void)close(fd);
	ck_assert_int_eq(access(h.pidfile, F_OK), 0);
	harness_stop(&h);
}
END_TEST

/*
 * Issue 9: the account that owns the pid file's directory (echod, under
 * the unit) links the pid file to a file of root's; the next start as
 * root overwrote it with a pid.  echod must refuse to start and leave the
 * file as it was, contents and modification time.
 */
START_TEST(startup_refuses_symlinked_pidfile)
{
	const char *args[] = { "-f", "-c", NULL, NULL };
	struct timespec old[2] = { { 978307200, 0 }, { 978307200, 0 } };
	char target[128], out[4096], want[256], got[64];
	struct harness h;
	struct stat sb;
	ssize_t n;
	int fd, rc;

	harness_init(&h);
	harness_write_config(&h, H_TCP4, "workers = 1;");
	(void)snprintf(target, sizeof(target), "%s/secret", h.dir);
	ck_assert_int_ge(fd = open(target, O_WRONLY | O_CREAT | O_EXCL |
	    O_CLOEXEC, 0600), 0);
	ck_assert_int_eq(write(fd, "root:secret\n", 12), 12);
	ck_assert_int_eq(futimens(fd, old), 0);
	(void)close(fd);
	ck_assert_int_eq(symlink(target, h.pidfile), 0);
	args[2] = h.conf;
	rc = harness_run(args, out, sizeof(out), 5000);
	ck_assert_int_ge(fd = open(target, O_RDONLY | O_CLOEXEC), 0);
	ck_assert_int_eq(n = read(fd, got, sizeof(got) - 1), 12);
	got[n] = '\0';
	ck_assert_int_eq(fstat(fd, &sb), 0);
	(void)close(fd);
	ck_assert_str_eq(got, "root:secret\n");
	ck_assert_int_eq(sb.st_mtim.tv_sec, old[1].tv_sec);
	ck_assert_int_eq(sb.st_mode & 07777, 0600);
	ck_assert_int_eq(rc, 1);
	(void)snprintf(want, sizeof(want), "echod: pid file %s is a symbolic "
	    "link: refusing to follow it (remove it)\n", h.pidfile);
	ck_assert_msg(strstr(out, want) != NULL, "output: %s", out);
	ck_assert_ptr_null(strstr(out, "listening on"));
	ck_assert_int_eq(unlink(target), 0);
	harness_finish(&h);
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
	ck_assert_int_eq(harness_run(args, out, sizeof(out), H_WAIT_MS), 1);
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
	const char *argv[] = { "unshare", "-r", ECHOD_BIN, "-f", "-c", NULL,
	    NULL };
	char out[16384];
	struct harness h;
	uint64_t start;

	harness_init(&h);
	harness_write_config(&h, H_TCP4 | H_UDP4, "workers = 2;");
	argv[5] = h.conf;
	start = clock_now_ms();
	ck_assert_int_eq(harness_run_cmd(argv, out, sizeof(out), 10000), 1);
	ck_assert_msg(strstr(out, "echod: tcp worker 0 (generation 1): "
	    "cannot switch to user nobody and group nogroup; exiting") !=
	    NULL, "output: %s", out);
	ck_assert_msg(strstr(out, "failed to start (exit status 3); "
	    "respawning in 100 ms") != NULL, "output: %s", out);
	ck_assert_msg(strstr(out, "failed to start (exit status 3); "
	    "respawning in 200 ms") != NULL, "output: %s", out);
	ck_assert_msg(strstr(out, "failed to start 3 times in a row") != NULL,
	    "output: %s", out);
	/* Backoff, not a hot loop: at least 100 + 200 ms passed. */
	ck_assert_uint_ge(clock_now_ms() - start, 300);
	ck_assert_int_eq(access(h.pidfile, F_OK), -1);
	harness_finish(&h);
}
END_TEST

/* Read a pid from `path`, waiting up to `ms` for it to appear. */
static pid_t
wait_pidfile(const char *path, int ms)
{
	uint64_t deadline = clock_now_ms() + ms;
	long pid = 0;
	FILE *f;

	while (clock_now_ms() < deadline) {
		if ((f = fopen(path, "r")) != NULL) {
			if (fscanf(f, "%ld", &pid) != 1)
				pid = 0;
			(void)fclose(f);
			if (pid > 0)
				break;
		}
		(void)usleep(5000);
	}
	return pid;
}

/*
 * Without -f echod detaches: the command returns 0 at once, the master
 * lives on in its own session (not as its leader) with / as its working
 * directory and /dev/null as stdin, serves, and stops on SIGTERM.  Given
 * a relative -c path, it still finds its file on reload from /.
 */
START_TEST(startup_daemonizes_without_foreground)
{
	const char *argv[] = { ECHOD_BIN, "-c", NULL, NULL };
	char out[4096], link[64], *p;
	struct harness h;
	unsigned port;
	ssize_t n;
	pid_t pid;
	int fd;

	harness_init(&h);
	harness_write_config(&h, H_TCP4, "workers = 1;");
	/* This test runs in a process of its own: chdir touches no other. */
	ck_assert_int_eq(chdir("/tmp"), 0);
	argv[2] = h.conf + strlen("/tmp/");
	ck_assert_int_eq(harness_run_cmd(argv, out, sizeof(out), H_WAIT_MS), 0);
	ck_assert_ptr_nonnull(p = strstr(out, "listening on tcp 127.0.0.1:"));
	ck_assert_int_eq(sscanf(p, "listening on tcp 127.0.0.1:%u", &port),
	    1);
	ck_assert_int_gt(pid = wait_pidfile(h.pidfile, H_WAIT_MS), 0);
	/*
	 * The master writes its pid file before it takes its title, and
	 * forks its workers after: a worker says the title is there.
	 */
	h.pid = pid;	/* for harness_wait_workers; not our child */
	ck_assert(harness_wait_workers(&h, "tcp", 1, H_WAIT_MS));
	ck_assert(harness_proc_is(pid, "echod: master"));
	ck_assert_int_ne(getsid(pid), pid);
	ck_assert_int_ne(getsid(pid), getsid(0));
	(void)snprintf(link, sizeof(link), "/proc/%ld/cwd", (long)pid);
	ck_assert_int_gt(n = readlink(link, out, sizeof(out) - 1), 0);
	out[n] = '\0';
	ck_assert_str_eq(out, "/");
	(void)snprintf(link, sizeof(link), "/proc/%ld/fd/0", (long)pid);
	ck_assert_int_gt(n = readlink(link, out, sizeof(out) - 1), 0);
	out[n] = '\0';
	ck_assert_str_eq(out, "/dev/null");
	ck_assert_int_ge(fd = harness_connect(AF_INET, port, H_WAIT_MS), 0);
	ck_assert_int_eq(harness_echo(fd, "detached", 8, false, H_WAIT_MS), 0);
	(void)close(fd);
	harness_write_config(&h, H_TCP4, "workers = 2;");
	ck_assert_int_eq(kill(pid, SIGHUP), 0);
	ck_assert(harness_wait_workers(&h, "tcp", 2, H_WAIT_MS));
	h.pid = 0;
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert(harness_wait_gone(pid, H_WAIT_MS));
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
	tcase_add_test(tc, startup_refuses_symlinked_pidfile);
	tcase_add_test(tc, startup_fails_cleanly_on_port_in_use);
	tcase_add_test(tc, startup_gives_up_when_workers_cannot_start);
	tcase_add_test(tc, startup_daemonizes_without_foreground);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
