/* check_launch.c: how echod starts: daemon readiness, the config path, inherited descriptors. */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "fault.h"
#include "harness.h"

static pid_t	 read_pidfile(const char *);
static int	 count_fds_to(pid_t, const char *);

static pid_t
read_pidfile(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return (pid_t)atol(buf);
}

/* How many of `pid`'s descriptors name the file `path`. */
static int
count_fds_to(pid_t pid, const char *path)
{
	char dir[64], link[320], target[256];
	struct dirent *de;
	ssize_t n;
	DIR *d;
	int k = 0;

	(void)snprintf(dir, sizeof(dir), "/proc/%ld/fd", (long)pid);
	ck_assert_ptr_nonnull(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		(void)snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		if ((n = readlink(link, target, sizeof(target) - 1)) <= 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, path) == 0)
			k++;
	}
	(void)closedir(d);
	return k;
}

/*
 * Without -f, `echod` returns only once the daemon serves: the pid file
 * already names the new master (not what an earlier run left there),
 * every worker runs, and the first connection is answered.
 */
START_TEST(launch_daemon_returns_when_serving)
{
	const char *argv[] = { ECHOD_BIN, "-c", NULL, NULL };
	struct sockaddr_in sin;
	char out[4096], *p;
	struct harness h;
	unsigned port;
	pid_t pid;
	int fd;

	harness_init(&h);
	harness_write_config(&h, H_TCP4 | H_UDP4, "workers = 4;");
	/* A stale pid file, as a crash leaves it. */
	ck_assert_int_ne(fd = open(h.pidfile, O_WRONLY | O_CREAT | O_TRUNC,
	    0644), -1);
	ck_assert_int_eq(write(fd, "999999\n", 7), 7);
	(void)close(fd);
	argv[2] = h.conf;
	ck_assert_int_eq(harness_run_cmd(argv, out, sizeof(out), 10000), 0);
	/* No waiting from here on: all of it must already be true. */
	ck_assert_int_gt(pid = read_pidfile(h.pidfile), 1);
	ck_assert_int_ne(pid, 999999);
	ck_assert(harness_proc_is(pid, "echod: master"));
	h.pid = pid;	/* for harness_workers; not our child */
	ck_assert_int_eq(harness_workers(&h, "tcp", NULL, 0), 4);
	ck_assert_int_eq(harness_workers(&h, "udp", NULL, 0), 1);
	h.pid = 0;
	ck_assert_ptr_nonnull(p = strstr(out, "listening on tcp 127.0.0.1:"));
	ck_assert_int_eq(sscanf(p, "listening on tcp 127.0.0.1:%u", &port),
	    1);
	ck_assert_ptr_nonnull(strstr(out, " started: 4 tcp workers"));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ne(fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0),
	    -1);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(harness_echo(fd, "first", 5, false, 3000), 0);
	(void)close(fd);
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert(harness_wait_gone(pid, 10000));
	harness_finish(&h);
}
END_TEST

/*
 * Workers that cannot start after the daemon detached: `echod` exits 1
 * and says why, instead of 0 and a daemon that gives up behind it.
 */
START_TEST(launch_daemon_reports_failed_start)
{
	const char *argv[] = { ECHOD_BIN, "-c", NULL, NULL };
	char out[8192];
	struct harness h;

	harness_init(&h);
	harness_fault_init(&h);
	harness_fault_arm(&h, FAULT_EPOLL_CREATE1, EMFILE, 0, -1);
	harness_write_config(&h, H_TCP4, "workers = 1;");
	argv[2] = h.conf;
	ck_assert_int_eq(setenv("LD_PRELOAD", FAULT_SHIM, 1), 0);
	ck_assert_int_eq(setenv("ECHOD_FAULT_FILE", h.fault_file, 1), 0);
	ck_assert_int_eq(setenv("ASAN_OPTIONS", "verify_asan_link_order=0",
	    1), 0);
	ck_assert_int_eq(harness_run_cmd(argv, out, sizeof(out), 15000), 1);
	ck_assert_msg(strstr(out, "failed to start 3 times in a row") != NULL,
	    "output: %s", out);
	ck_assert_msg(strstr(out, "echod: start-up failed") != NULL,
	    "output: %s", out);
	ck_assert_int_eq(access(h.pidfile, F_OK), -1);
	harness_finish(&h);
}
END_TEST

/*
 * The configuration path is kept as given, symbolic links unresolved: a
 * reload reads what the link names at that moment.
 */
START_TEST(launch_reload_follows_config_symlink)
{
	char a[128], b[128], tmp[128];
	struct harness h;

	harness_init(&h);
	(void)snprintf(a, sizeof(a), "%s/a.conf", h.dir);
	(void)snprintf(b, sizeof(b), "%s/b.conf", h.dir);
	(void)snprintf(tmp, sizeof(tmp), "%s/link.new", h.dir);
	harness_write_config(&h, H_TCP4, "workers = 1;");
	ck_assert_int_eq(rename(h.conf, a), 0);
	harness_write_config(&h, H_TCP4, "workers = 3;");
	ck_assert_int_eq(rename(h.conf, b), 0);
	ck_assert_int_eq(symlink("a.conf", h.conf), 0);
	harness_launch(&h);
	harness_wait_ready(&h);
	ck_assert(harness_wait_workers(&h, "tcp", 1, 5000));
	ck_assert_int_eq(symlink("b.conf", tmp), 0);
	ck_assert_int_eq(rename(tmp, h.conf), 0);
	harness_mark(&h);
	harness_signal(&h, SIGHUP);
	ck_assert(harness_wait_log(&h, "reload complete: generation 2, 3 tcp "
	    "workers", 10000));
	ck_assert(harness_wait_log(&h, "reloading configuration from ", 0));
	ck_assert_int_eq(harness_log_count(&h, "a.conf"), 0);
	ck_assert(harness_wait_workers(&h, "tcp", 3, 10000));
	harness_stop(&h);
	(void)unlink(a);
	(void)unlink(b);
}
END_TEST

/*
 * Descriptors the launching process left open never reach the master or
 * a worker: the shell's redirections are not echod's to keep.
 */
START_TEST(launch_closes_inherited_descriptors)
{
	char marker[128];
	struct harness h;
	pid_t pids[8];
	int fd, i, n;

	harness_init(&h);
	(void)snprintf(marker, sizeof(marker), "%s/marker", h.dir);
	ck_assert_int_ne(fd = open(marker, O_RDWR | O_CREAT, 0600), -1);
	ck_assert_int_eq(dup2(fd, 10), 10);
	ck_assert_int_eq(dup2(fd, 251), 251);
	(void)close(fd);
	harness_write_config(&h, H_TCP4 | H_UDP4, "workers = 2;");
	harness_launch(&h);
	harness_wait_ready(&h);
	(void)close(10);
	(void)close(251);
	ck_assert_int_eq(count_fds_to(h.pid, marker), 0);
	ck_assert_int_eq(n = harness_workers(&h, NULL, pids, 8), 3);
	for (i = 0; i < n; i++)
		ck_assert_msg(count_fds_to(pids[i], marker) == 0,
		    "worker %ld holds an inherited descriptor", (long)pids[i]);
	harness_stop(&h);
	(void)unlink(marker);
}
END_TEST

/*
 * A backlog the kernel caps at net.core.somaxconn is said at start-up,
 * not discovered as SYN retransmissions under a burst of connects.
 */
START_TEST(launch_notes_backlog_above_somaxconn)
{
	char conf[128], want[160];
	struct harness h;
	long somaxconn;
	FILE *f;

	ck_assert_ptr_nonnull(f = fopen("/proc/sys/net/core/somaxconn", "r"));
	ck_assert_int_eq(fscanf(f, "%ld", &somaxconn), 1);
	(void)fclose(f);
	if (somaxconn >= 65535) {
		(void)printf("skipped: somaxconn %ld leaves no backlog above "
		    "it\n", somaxconn);
		return;
	}
	(void)snprintf(conf, sizeof(conf), "workers = 1;\ntcp = { backlog = "
	    "%ld; };", somaxconn + 1);
	harness_start(&h, H_TCP4, conf);
	(void)snprintf(want, sizeof(want), "tcp.backlog %ld is above what the "
	    "kernel grants, %ld (raise net.core.somaxconn", somaxconn + 1,
	    somaxconn);
	ck_assert(harness_wait_log(&h, want, 0));
	harness_stop(&h);
	harness_start(&h, H_TCP4, "workers = 1;\ntcp = { backlog = 16; };");
	ck_assert_int_eq(harness_log_count(&h, "above what the kernel grants"),
	    0);
	harness_stop(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("launch");
	TCase *tc = tcase_create("launch");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, launch_daemon_returns_when_serving);
	tcase_add_test(tc, launch_daemon_reports_failed_start);
	tcase_add_test(tc, launch_reload_follows_config_symlink);
	tcase_add_test(tc, launch_closes_inherited_descriptors);
	tcase_add_test(tc, launch_notes_backlog_above_somaxconn);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
