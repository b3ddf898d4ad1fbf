/* check_reload.c: SIGHUP: generations, kept ports, draining, bad files. */

#include <sys/socket.h>
#include <netinet/in.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

/*
 * The pid in the master's "tcp worker PID of generation GEN exited" line
 * past the mark, waiting for it; -1 if none came.
 */
static pid_t
reaped_pid(struct harness *h, int gen)
{
	char needle[64], line[256], *p;

	(void)snprintf(needle, sizeof(needle), " of generation %d exited ",
	    gen);
	if (!harness_wait_log(h, needle, H_WAIT_MS) ||
	    !harness_log_line(h, needle, line, sizeof(line)) ||
	    (p = strstr(line, "tcp worker ")) == NULL)
		return -1;
	return (pid_t)atol(p + strlen("tcp worker "));
}

/*
 * 2 -> 4 workers while a connection stays open: it keeps echoing through
 * the reload, the port is the same, and its old worker lives exactly as
 * long as the connection does.
 */
START_TEST(reload_changes_workers_and_drains_old_generation)
{
	pid_t old[2], now[8], gone, holder;
	struct harness h;
	uint16_t port;
	int fd, i, n;

	harness_start(&h, H_TCP4, "workers = 2;");
	port = h.tcp4;
	ck_assert(harness_wait_workers(&h, "tcp", 2, H_WAIT_MS));
	ck_assert_int_eq(harness_workers(&h, "tcp", old, 2), 2);
	ck_assert_int_ge(fd = harness_connect(AF_INET, port, H_WAIT_MS), 0);
	ck_assert_int_eq(harness_echo(fd, "before", 6, false, H_WAIT_MS), 0);

	harness_write_config(&h, H_TCP4, "workers = 4;");
	harness_mark(&h);
	harness_signal(&h, SIGHUP);
	ck_assert(harness_wait_log(&h, "reload complete: generation 2, 4 tcp "
	    "workers", H_WAIT_MS));
	/* The port-0 listener was kept, not bound again. */
	ck_assert_int_eq(harness_log_count(&h, "listening on"), 0);
	ck_assert_int_eq(harness_echo(fd, "during", 6, false, H_WAIT_MS), 0);

	/*
	 * The idle old worker exits and is reaped: that line, not a look at
	 * /proc while it may still be on its way out, says which one it was.
	 * Then four new workers, plus the old one that holds the connection.
	 */
	ck_assert_int_gt(gone = reaped_pid(&h, 1), 0);
	ck_assert_msg(gone == old[0] || gone == old[1], "reaped %ld, not an "
	    "old worker (%ld, %ld)", (long)gone, (long)old[0], (long)old[1]);
	holder = gone == old[0] ? old[1] : old[0];
	ck_assert(harness_wait_log_count(&h, "(generation 2): started", 4,
	    H_WAIT_MS));
	ck_assert(harness_wait_workers(&h, "tcp", 5, H_WAIT_MS));
	ck_assert_int_eq(n = harness_workers(&h, "tcp", now, 8), 5);
	for (i = 0; i < n && now[i] != holder; i++)
		;
	ck_assert_msg(i < n, "the worker holding the connection is gone");
	ck_assert(!harness_pid_alive(gone));
	harness_assert_serves_tcp(&h, 8);
	ck_assert_int_eq(harness_echo(fd, "after", 5, false, H_WAIT_MS), 0);
	ck_assert_int_eq(harness_log_count(&h, "generation 1 has exited"), 0);
	ck_assert(harness_pid_alive(holder));

	/* The connection closes: the old generation is done. */
	(void)close(fd);
	ck_assert(harness_wait_log(&h, "generation 1 has exited", H_WAIT_MS));
	ck_assert(harness_wait_gone(holder, H_WAIT_MS));
	ck_assert(harness_wait_workers(&h, "tcp", 4, H_WAIT_MS));
	ck_assert_uint_eq(h.tcp4, port);
	harness_assert_serves_tcp(&h, 4);
	harness_stop(&h);
}
END_TEST

/*
 * A file that fails to load changes nothing: same workers, same service,
 * and the log names file, line and key.  A later good reload still works.
 */
START_TEST(reload_rejects_broken_config_and_keeps_serving)
{
	static const struct {
		const char	*text;
		const char	*msg;
	} broken[] = {
		{ "workers = 2;\ntcp = { max_conections = 5; };",
		    ":2: tcp.max_conections: unknown key (did you mean "
		    "max_connections?)" },
		{ "workers = ;", ":1: syntax error" },
		{ "workers = 2;\nshutdown_timeout = 7200;",
		    ":2: shutdown_timeout: 7200 is out of range (0..3600)" },
	};
	pid_t before[8], after[8];
	char want[256], got[8];
	struct harness h;
	int fd, ufd, n, i, k;

	harness_start(&h, H_TCP4 | H_UDP4, "workers = 2;");
	ck_assert(harness_wait_workers(&h, "tcp", 2, H_WAIT_MS));
	ck_assert(harness_wait_workers(&h, "udp", 1, H_WAIT_MS));
	ck_assert_int_eq(n = harness_workers(&h, NULL, before, 8), 3);
	ck_assert_int_ge(fd = harness_connect(AF_INET, h.tcp4, H_WAIT_MS), 0);
	ck_assert_int_eq(harness_echo(fd, "before", 6, false, H_WAIT_MS), 0);

	harness_write_config(&h, H_TCP4 | H_UDP4, broken[_i].text);
	harness_mark(&h);
	harness_signal(&h, SIGHUP);
	ck_assert(harness_wait_log(&h, "reload failed: keeping the "
	    "configuration of generation 1", H_WAIT_MS));
	(void)snprintf(want, sizeof(want), "echod: %s%s\n", h.conf,
	    broken[_i].msg);
	ck_assert_msg(harness_log_count(&h, want) == 1, "no \"%s\" in the log",
	    want);

	ck_assert_int_eq(harness_workers(&h, NULL, after, 8), n);
	for (i = 0; i < n; i++) {
		for (k = 0; k < n && after[k] != before[i]; k++)
			;
		ck_assert_msg(k < n, "worker %ld was replaced",
		    (long)before[i]);
	}
	ck_assert_int_eq(harness_echo(fd, "after", 5, false, H_WAIT_MS), 0);
	harness_assert_serves_tcp(&h, 4);
	ck_assert_int_ge(ufd = harness_udp_socket(AF_INET), 0);
	ck_assert_int_eq(harness_udp_echo(ufd, AF_INET, h.udp4, "udp", 3, got,
	    H_WAIT_MS), 3);
	(void)close(ufd);

	harness_write_config(&h, H_TCP4 | H_UDP4, "workers = 1;");
	harness_mark(&h);
	harness_signal(&h, SIGHUP);
	ck_assert(harness_wait_log(&h, "reload complete: generation 2, 1 tcp "
	    "workers", H_WAIT_MS));
	ck_assert_int_eq(harness_echo(fd, "still", 5, false, H_WAIT_MS), 0);
	(void)close(fd);
	ck_assert(harness_wait_log(&h, "generation 1 has exited", H_WAIT_MS));
	ck_assert(harness_wait_workers(&h, "tcp", 1, H_WAIT_MS));
	harness_assert_serves_tcp(&h, 2);
	harness_stop(&h);
}
END_TEST

/*
 * A reload that cannot bind its new listener changes nothing; once the
 * port is free, the same reload succeeds and serves both ports.
 */
START_TEST(reload_bind_failure_keeps_old_listeners)
{
	char conf[512], want[128];
	pid_t before, after;
	struct harness h;
	uint16_t port;
	int lfd, fd;

	harness_start(&h, H_TCP4, "workers = 1;");
	ck_assert(harness_wait_workers(&h, "tcp", 1, H_WAIT_MS));
	ck_assert_int_eq(harness_workers(&h, "tcp", &before, 1), 1);
	ck_assert_int_ge(fd = harness_connect(AF_INET, h.tcp4, H_WAIT_MS), 0);
	ck_assert_int_eq(harness_echo(fd, "before", 6, false, H_WAIT_MS), 0);
	ck_assert_int_ge(lfd = harness_tcp_listener(AF_INET), 0);
	port = harness_local_port(lfd);
	(void)snprintf(conf, sizeof(conf), "workers = 1;\nlisten = (\n"
	    "  { protocol = \"tcp\"; address = \"127.0.0.1\"; port = 0; },\n"
	    "  { protocol = \"tcp\"; address = \"127.0.0.1\"; port = %u; }\n"
	    ");", port);
	harness_write_config(&h, 0, conf);
	harness_mark(&h);
	harness_signal(&h, SIGHUP);
	ck_assert(harness_wait_log(&h, "reload failed: keeping the "
	    "configuration of generation 1 (cannot open the new listeners)",
	    H_WAIT_MS));
	(void)snprintf(want, sizeof(want), "echod: bind tcp 127.0.0.1:%u: "
	    "Address already in use\n", port);
	ck_assert(harness_wait_log(&h, want, 0));
	ck_assert_int_eq(harness_workers(&h, "tcp", &after, 1), 1);
	ck_assert_int_eq(after, before);
	ck_assert_int_eq(harness_echo(fd, "after", 5, false, H_WAIT_MS), 0);
	harness_assert_serves_tcp(&h, 3);

	(void)close(lfd);
	harness_mark(&h);
	harness_signal(&h, SIGHUP);
	ck_assert(harness_wait_log(&h, "reload complete: generation 2",
	    H_WAIT_MS));
	(void)snprintf(want, sizeof(want), "listening on tcp 127.0.0.1:%u\n",
	    port);
	ck_assert(harness_wait_log(&h, want, 0));
	ck_assert_int_eq(harness_log_count(&h, "listening on"), 1);
	harness_assert_serves_tcp(&h, 3);
	(void)close(fd);
	ck_assert_int_ge(fd = harness_connect(AF_INET, port, H_WAIT_MS), 0);
	ck_assert_int_eq(harness_echo(fd, "new port", 8, false, H_WAIT_MS), 0);
	(void)close(fd);
	harness_stop(&h);
}
END_TEST

/* A UDP listener added by a reload gets a worker; removed, it goes away. */
START_TEST(reload_adds_and_removes_udp_listener)
{
	char line[256], want[128], got[8];
	struct harness h;
	uint16_t port;
	pid_t pids[4];
	int fd;

	harness_start(&h, H_TCP4, "workers = 1;");
	ck_assert_int_eq(harness_workers(&h, "udp", pids, 4), 0);

	harness_write_config(&h, H_TCP4 | H_UDP4, "workers = 1;");
	harness_mark(&h);
	harness_signal(&h, SIGHUP);
	ck_assert(harness_wait_log(&h, "reload complete: generation 2",
	    H_WAIT_MS));
	ck_assert(harness_log_line(&h, "listening on udp 127.0.0.1:", line,
	    sizeof(line)));
	ck_assert_int_gt(port = (uint16_t)atoi(strrchr(line, ':') + 1), 0);
	ck_assert(harness_wait_workers(&h, "udp", 1, H_WAIT_MS));
	ck_assert_int_ge(fd = harness_udp_socket(AF_INET), 0);
	ck_assert_int_eq(harness_udp_echo(fd, AF_INET, port, "added", 5, got,
	    H_WAIT_MS), 5);
	harness_assert_serves_tcp(&h, 2);

	harness_write_config(&h, H_TCP4, "workers = 1;");
	harness_mark(&h);
	harness_signal(&h, SIGHUP);
	ck_assert(harness_wait_log(&h, "reload complete: generation 3",
	    H_WAIT_MS));
	(void)snprintf(want, sizeof(want), "closed listener udp "
	    "127.0.0.1:%u\n", port);
	ck_assert(harness_wait_log(&h, want, 0));
	ck_assert(harness_wait_workers(&h, "udp", 0, H_WAIT_MS));
	ck_assert(harness_wait_bindable(AF_INET, SOCK_DGRAM, port, H_WAIT_MS));
	ck_assert_int_eq(harness_udp_echo(fd, AF_INET, port, "gone", 4, got,
	    300), -1);
	(void)close(fd);
	harness_assert_serves_tcp(&h, 2);
	harness_stop(&h);
}
END_TEST

/*
 * Two "port = 0" listeners per protocol on one address: a reload with the
 * file unchanged must keep all four sockets, each its own, and serve them.
 */
START_TEST(reload_keeps_each_ephemeral_listener)
{
	const char *conf = "workers = 1;\nlisten = (\n"
	    "  { protocol = \"tcp\"; address = \"127.0.0.1\"; port = 0; },\n"
	    "  { protocol = \"tcp\"; address = \"127.0.0.1\"; port = 0; },\n"
	    "  { protocol = \"udp\"; address = \"127.0.0.1\"; port = 0; },\n"
	    "  { protocol = \"udp\"; address = \"127.0.0.1\"; port = 0; }\n"
	    ");";
	unsigned tcp[2], udp[2];
	char got[8], *log, *p;
	struct harness h;
	int i, nt = 0, nu = 0, fd;
	FILE *f;
	long len;

	harness_init(&h);
	harness_write_config(&h, 0, conf);
	harness_launch(&h);
	ck_assert(harness_wait_log(&h, " started: ", H_READY_MS));
	ck_assert_ptr_nonnull(f = fopen(h.log, "r"));
	(void)fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	ck_assert_ptr_nonnull(log = calloc(1, len + 1));
	ck_assert_int_eq(fread(log, 1, len, f), len);
	(void)fclose(f);
	for (p = log; (p = strstr(p, "listening on ")) != NULL; p++) {
		if (sscanf(p, "listening on tcp 127.0.0.1:%u", &tcp[nt]) == 1)
			nt++;
		else if (sscanf(p, "listening on udp 127.0.0.1:%u",
		    &udp[nu]) == 1)
			nu++;
		ck_assert(nt <= 2 && nu <= 2);
	}
	free(log);
	ck_assert(nt == 2 && nu == 2);
	harness_mark(&h);
	harness_signal(&h, SIGHUP);
	ck_assert(harness_wait_log(&h, "reload complete: generation 2",
	    H_WAIT_MS));
	ck_assert(harness_wait_log(&h, "udp worker (generation 2): started",
	    H_WAIT_MS));
	ck_assert_int_eq(harness_log_count(&h, "listening on"), 0);
	ck_assert_int_eq(harness_log_count(&h, "closed listener"), 0);
	for (i = 0; i < 2; i++) {
		ck_assert_int_ge(fd = harness_connect(AF_INET, tcp[i],
		    H_WAIT_MS), 0);
		ck_assert_int_eq(harness_echo(fd, "kept", 4, false, H_WAIT_MS),
		    0);
		(void)close(fd);
		ck_assert_int_ge(fd = harness_udp_socket(AF_INET), 0);
		ck_assert_int_eq(harness_udp_echo(fd, AF_INET, udp[i], "kept",
		    4, got, H_WAIT_MS), 4);
		(void)close(fd);
	}
	ck_assert(harness_pid_alive(h.pid));
	harness_stop(&h);
}
END_TEST

/* Descriptors in `pid` whose link names a memfd (the fcntl accept lock). */
static int
count_memfds(pid_t pid)
{
	char dir[64], path[400], link[256];
	struct dirent *de;
	ssize_t n;
	DIR *d;
	int count = 0;

	(void)snprintf(dir, sizeof(dir), "/proc/%ld/fd", (long)pid);
	ck_assert_ptr_nonnull(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		(void)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((n = readlink(path, link, sizeof(link) - 1)) > 0) {
			link[n] = '\0';
			if (strstr(link, "memfd:echod-acceptlock") != NULL)
				count++;
		}
	}
	(void)closedir(d);
	return count;
}

/*
 * Reloads must not pile up old generations' accept locks in new workers:
 * a TCP worker holds its own generation's lock only, the UDP worker none.
 */
START_TEST(reload_workers_hold_only_their_own_lock)
{
	struct harness h;
	pid_t pids[8];
	char want[64];
	int i, n;

	harness_start(&h, H_TCP4 | H_UDP4,
	    "workers = 2;\ntcp = { accept_lock = \"fcntl\"; };");
	harness_mark(&h);
	for (i = 2; i <= 4; i++) {
		harness_signal(&h, SIGHUP);
		(void)snprintf(want, sizeof(want), "reload complete: "
		    "generation %d", i);
		ck_assert(harness_wait_log(&h, want, H_WAIT_MS));
	}
	/*
	 * Only generation 4 is left, all of it started: a worker of an older
	 * one could vanish between the listing and the look at its fds.
	 */
	for (i = 1; i <= 3; i++) {
		(void)snprintf(want, sizeof(want), "generation %d has exited",
		    i);
		ck_assert(harness_wait_log(&h, want, H_WAIT_MS));
	}
	ck_assert(harness_wait_log_count(&h, "(generation 4): started", 3,
	    H_WAIT_MS));
	ck_assert(harness_wait_workers(&h, "tcp", 2, H_WAIT_MS));
	ck_assert(harness_wait_workers(&h, "udp", 1, H_WAIT_MS));
	n = harness_workers(&h, "tcp", pids, 8);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(count_memfds(pids[i]), 1);
	ck_assert_int_eq(harness_workers(&h, "udp", pids, 8), 1);
	ck_assert_int_eq(count_memfds(pids[0]), 0);
	harness_stop(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("reload");
	TCase *tc = tcase_create("reload");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, reload_changes_workers_and_drains_old_generation);
	tcase_add_loop_test(tc, reload_rejects_broken_config_and_keeps_serving,
	    0, 3);
	tcase_add_test(tc, reload_bind_failure_keeps_old_listeners);
	tcase_add_test(tc, reload_adds_and_removes_udp_listener);
	tcase_add_test(tc, reload_keeps_each_ephemeral_listener);
	tcase_add_test(tc, reload_workers_hold_only_their_own_lock);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
