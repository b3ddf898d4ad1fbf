/* check_echoprobe.c: the real echoprobe against echod and against badserver. */

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <check.h>

#include "eptest.h"

#define LO	"127.0.0.1"
/* Generous for a loaded CI machine under ASan; every wait is bounded. */
#define RUN_MS	20000

static int	 count_lines(const char *, const char *);
static void	 tty_session(bool);

static int
count_lines(const char *text, const char *needle)
{
	int n = 0;

	while ((text = strstr(text, needle)) != NULL) {
		n++;
		text += strlen(needle);
	}
	return n;
}

/* Probe mode against echod. */

START_TEST(probe_tcp_all_answered)
{
	struct eptest_server s;
	struct eptest_proc p;

	eptest_echod_start(&s);
	eptest_run(&p, NULL, RUN_MS, "-c", "3", "-i", "0.1", LO, s.tcp_port,
	    NULL);
	eptest_server_stop(&s);
	ck_assert_msg(p.status == 0, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_int_eq(count_lines(p.out, "64 bytes from 127.0.0.1:"), 3);
	ck_assert_ptr_nonnull(strstr(p.out,
	    "3 probes transmitted, 3 received, 0% loss, time "));
	ck_assert_ptr_nonnull(strstr(p.out, "rtt min/avg/max/mdev = "));
}
END_TEST

START_TEST(probe_udp_all_answered)
{
	struct eptest_server s;
	struct eptest_proc p;

	eptest_echod_start(&s);
	eptest_run(&p, NULL, RUN_MS, "-u", "-c", "3", "-i", "0.1", "-s",
	    "1000", LO, s.udp_port, NULL);
	eptest_server_stop(&s);
	ck_assert_msg(p.status == 0, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_int_eq(count_lines(p.out, "1000 bytes from"), 3);
	ck_assert_ptr_nonnull(strstr(p.out, "3 probes transmitted, 3 "
	    "received, 0% loss"));
}
END_TEST

START_TEST(probe_connect_each_large)
{
	struct eptest_server s;
	struct eptest_proc p;

	eptest_echod_start(&s);
	eptest_run(&p, NULL, RUN_MS, "--connect-each", "-c", "3", "-i",
	    "0.05", "-s", "300000", LO, s.tcp_port, NULL);
	eptest_server_stop(&s);
	ck_assert_msg(p.status == 0, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_int_eq(count_lines(p.out, "300000 bytes from"), 3);
}
END_TEST

START_TEST(probe_json_is_one_object)
{
	struct eptest_server s;
	struct eptest_proc p;

	eptest_echod_start(&s);
	eptest_run(&p, NULL, RUN_MS, "--json", "-c", "2", "-i", "0.05", LO,
	    s.tcp_port, NULL);
	eptest_server_stop(&s);
	ck_assert_int_eq(p.status, 0);
	ck_assert_int_eq(p.out[0], '{');
	ck_assert_int_eq(count_lines(p.out, "\n"), 1);
	ck_assert_int_eq(eptest_json_int(p.out, "transmitted"), 2);
	ck_assert_int_eq(eptest_json_int(p.out, "received"), 2);
	ck_assert_int_eq(eptest_json_int(p.out, "exit"), 0);
	ck_assert_ptr_nonnull(strstr(p.out, "\"rtt_ms\":{\"min\":"));
}
END_TEST

START_TEST(probe_ipv6_tcp_and_udp)
{
	struct eptest_server s;
	struct eptest_proc p;

	if (!eptest_have_ipv6())
		return;
	eptest_echod_start_on(&s, AF_INET6);
	eptest_run(&p, NULL, RUN_MS, "-6", "-c", "2", "-i", "0.05", "::1",
	    s.tcp_port, NULL);
	ck_assert_msg(p.status == 0, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_int_eq(count_lines(p.out, "64 bytes from [::1]:"), 2);
	eptest_run(&p, NULL, RUN_MS, "-6", "-u", "-c", "2", "-i", "0.05",
	    "::1", s.udp_port, NULL);
	ck_assert_msg(p.status == 0, "status %d: %s%s", p.status, p.out,
	    p.err);
	eptest_run(&p, NULL, RUN_MS, "--load", "--requests", "100",
	    "--json", "::1", s.tcp_port, NULL);
	eptest_server_stop(&s);
	ck_assert_msg(p.status == 0, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_int_eq(eptest_json_int(p.out, "requests"), 100);
}
END_TEST

START_TEST(probe_sigint_prints_summary)
{
	const char *argv[] = { eptest_path("echoprobe/echoprobe"), "-i",
	    "0.5", LO, NULL, NULL };
	struct eptest_server s;
	struct eptest_proc p;

	/*
	 * A probe in flight when SIGINT comes counts as lost: the interval
	 * leaves the test 0.5 s to send it after a reply, however busy the
	 * machine, where 50 ms was not always enough.
	 */
	eptest_echod_start(&s);
	argv[4] = s.tcp_port;
	eptest_spawn(&p, argv);
	ck_assert(eptest_expect(&p, "seq=3 ", 10000));
	ck_assert_int_eq(kill(p.pid, SIGINT), 0);
	eptest_finish(&p, RUN_MS);
	eptest_server_stop(&s);
	ck_assert_msg(p.status == 0, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_ptr_nonnull(strstr(p.out, "--- 127.0.0.1 echoprobe "
	    "statistics ---"));
	ck_assert_ptr_nonnull(strstr(p.out, "0% loss"));
}
END_TEST

START_TEST(probe_refused_is_an_error)
{
	struct eptest_proc p;
	char port[8];

	eptest_closed_port(SOCK_STREAM, port, sizeof(port));
	eptest_run(&p, NULL, RUN_MS, "-c", "2", "-i", "0.05", LO, port, NULL);
	ck_assert_int_eq(p.status, 2);
	ck_assert_ptr_nonnull(strstr(p.out, "connect 127.0.0.1:"));
	ck_assert_ptr_nonnull(strstr(p.out, "Connection refused"));
	ck_assert_ptr_nonnull(strstr(p.out, "2 probes transmitted, 0 "
	    "received, +2 errors, 100% loss"));
}
END_TEST

/* Probe mode against a server that misbehaves. */

START_TEST(probe_udp_drop_is_loss)
{
	struct eptest_server s;
	struct eptest_proc p;

	/* -W long enough that no answered probe is late on a busy machine. */
	eptest_badserver_start(&s, "drop", NULL);
	eptest_run(&p, NULL, RUN_MS, "-u", "-c", "4", "-i", "0.05", "-W",
	    "1", LO, s.udp_port, NULL);
	eptest_server_stop(&s);
	ck_assert_msg(p.status == 1, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_int_eq(count_lines(p.out, "no reply within 1000 ms"), 2);
	ck_assert_ptr_nonnull(strstr(p.out, "4 probes transmitted, 2 "
	    "received, 50% loss"));
}
END_TEST

START_TEST(probe_tcp_stall_times_out)
{
	struct eptest_server s;
	struct eptest_proc p;

	eptest_badserver_start(&s, "drop", NULL);
	eptest_run(&p, NULL, RUN_MS, "-c", "2", "-i", "0.05", "-W", "0.2", LO,
	    s.tcp_port, NULL);
	eptest_server_stop(&s);
	ck_assert_msg(p.status == 1, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_int_eq(count_lines(p.out, "no reply within 200 ms"), 2);
	ck_assert_ptr_nonnull(strstr(p.out, "2 probes transmitted, 0 "
	    "received, 100% loss"));
	ck_assert_int_lt(p.elapsed_ms, 5000);
}
END_TEST

START_TEST(probe_tcp_corruption_is_found)
{
	struct eptest_server s;
	struct eptest_proc p;

	eptest_badserver_start(&s, "corrupt", NULL);
	eptest_run(&p, NULL, RUN_MS, "-c", "2", "-i", "0.05", LO, s.tcp_port,
	    NULL);
	eptest_server_stop(&s);
	ck_assert_msg(p.status == 1, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_int_eq(count_lines(p.out,
	    "reply differs from the probe at byte 40"), 2);
	ck_assert_ptr_nonnull(strstr(p.out, "0 received, +2 corrupted"));
}
END_TEST

START_TEST(probe_udp_corruption_is_found)
{
	struct eptest_server s;
	struct eptest_proc p;

	eptest_badserver_start(&s, "corrupt", NULL);
	eptest_run(&p, NULL, RUN_MS, "-u", "-c", "2", "-i", "0.05", LO,
	    s.udp_port, NULL);
	eptest_server_stop(&s);
	ck_assert_msg(p.status == 1, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_int_eq(count_lines(p.out, "differs from the probe at "
	    "byte 63"), 2);
}
END_TEST

START_TEST(probe_udp_late_is_not_received)
{
	struct eptest_server s;
	struct eptest_proc p;

	/* Replies 400 ms late, timeout 200 ms: probe 1's reply lands while
	 * the run goes on (800 ms more), and is told apart as late. */
	eptest_badserver_start(&s, "delay", "400");
	eptest_run(&p, NULL, RUN_MS, "-u", "-c", "3", "-i", "0.5", "-W",
	    "0.2", LO, s.udp_port, NULL);
	eptest_server_stop(&s);
	ck_assert_msg(p.status == 1, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_ptr_nonnull(strstr(p.out, "seq=1 time="));
	ck_assert_ptr_nonnull(strstr(p.out, "(late, counted lost)"));
	ck_assert_ptr_nonnull(strstr(p.out, "3 probes transmitted, 0 "
	    "received, +"));
	ck_assert_ptr_nonnull(strstr(p.out, " late, 100% loss"));
}
END_TEST

START_TEST(probe_udp_duplicates_are_counted)
{
	struct eptest_server s;
	struct eptest_proc p;

	eptest_badserver_start(&s, "dup", NULL);
	eptest_run(&p, NULL, RUN_MS, "-u", "-c", "3", "-i", "0.1", LO,
	    s.udp_port, NULL);
	eptest_server_stop(&s);
	ck_assert_msg(p.status == 0, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_int_ge(count_lines(p.out, "(DUP!)"), 2);
	ck_assert_ptr_nonnull(strstr(p.out, "3 received, +"));
	ck_assert_ptr_nonnull(strstr(p.out, " duplicates, 0% loss"));
}
END_TEST

/* Stray datagrams that are no reply to a probe fail the run (exit 1),
   even when every probe was also answered. */
START_TEST(probe_udp_junk_fails_the_run)
{
	struct eptest_server s;
	struct eptest_proc p;

	eptest_badserver_start(&s, "junk", NULL);
	eptest_run(&p, NULL, RUN_MS, "-u", "-c", "3", "-i", "0.1", LO,
	    s.udp_port, NULL);
	eptest_server_stop(&s);
	ck_assert_msg(p.status == 1, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_ptr_nonnull(strstr(p.out, "3 received, +"));
	ck_assert_ptr_nonnull(strstr(p.out, "corrupted"));
}
END_TEST

START_TEST(probe_udp_reordering_is_seen)
{
	struct eptest_server s;
	struct eptest_proc p;

	eptest_badserver_start(&s, "reorder", NULL);
	eptest_run(&p, NULL, RUN_MS, "-u", "-c", "4", "-i", "0.05", LO,
	    s.udp_port, NULL);
	eptest_server_stop(&s);
	ck_assert_msg(p.status == 0, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_int_eq(count_lines(p.out, "(reordered)"), 2);
	ck_assert_ptr_nonnull(strstr(p.out, "4 received, 2 reordered, 0% "
	    "loss"));
}
END_TEST

START_TEST(probe_tcp_reset_is_an_error)
{
	struct eptest_server s;
	struct eptest_proc p;

	eptest_badserver_start(&s, "reset", NULL);
	eptest_run(&p, NULL, RUN_MS, "-c", "2", "-i", "0.05", LO, s.tcp_port,
	    NULL);
	eptest_server_stop(&s);
	ck_assert_msg(p.status == 2, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_ptr_nonnull(strstr(p.out, "Connection reset by peer"));
	ck_assert_ptr_nonnull(strstr(p.out, "+2 errors"));
}
END_TEST

START_TEST(probe_tcp_early_close_is_an_error)
{
	struct eptest_server s;
	struct eptest_proc p;

	eptest_badserver_start(&s, "close", NULL);
	eptest_run(&p, NULL, RUN_MS, "-c", "1", LO, s.tcp_port, NULL);
	eptest_server_stop(&s);
	ck_assert_msg(p.status == 2, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_ptr_nonnull(strstr(p.out, "connection closed by "
	    "127.0.0.1:"));
}
END_TEST

/* Interactive mode. */

/* Types two lines on a terminal, reads each echo, ends with Ctrl-D. */
static void
tty_session(bool udp)
{
	const char *argv[] = { eptest_path("echoprobe/echoprobe"), "-I",
	    udp ? "-u" : "-4", LO, NULL, NULL };
	struct eptest_server s;
	struct termios tio;
	char buf[8192] = "";
	size_t len = 0;
	int fd, status;
	pid_t pid;

	eptest_echod_start(&s);
	argv[4] = udp ? s.udp_port : s.tcp_port;
	if ((pid = forkpty(&fd, NULL, NULL, NULL)) == -1)
		ck_abort_msg("forkpty: %s", strerror(errno));
	if (pid == 0) {
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* Without local echo, what comes back is the server's. */
		if (tcgetattr(0, &tio) == 0) {
			tio.c_lflag &= ~(tcflag_t)ECHO;
			(void)tcsetattr(0, TCSANOW, &tio);
		}
		(void)execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	ck_assert_msg(eptest_tty_expect(fd, buf, sizeof(buf), &len,
	    "Ctrl-D ends", 10000), "no banner: %s", buf);
	ck_assert_int_eq(write(fd, "hello, echo\n", 12), 12);
	ck_assert_msg(eptest_tty_expect(fd, buf, sizeof(buf), &len,
	    "hello, echo", 10000), "no echo: %s", buf);
	ck_assert_int_eq(write(fd, "second line\n", 12), 12);
	ck_assert_msg(eptest_tty_expect(fd, buf, sizeof(buf), &len,
	    "second line", 10000), "no echo: %s", buf);
	ck_assert_int_eq(write(fd, "\004", 1), 1);	/* Ctrl-D */
	(void)eptest_tty_expect(fd, buf, sizeof(buf), &len, "\001", 300);
	status = eptest_wait(pid, 10000);
	(void)close(fd);
	eptest_server_stop(&s);
	ck_assert_msg(status == 0, "status %d: %s", status, buf);
}

START_TEST(interactive_tty_tcp)
{
	tty_session(false);
}
END_TEST

START_TEST(interactive_tty_udp)
{
	tty_session(true);
}
END_TEST

START_TEST(interactive_pipe_echoes_everything)
{
	struct eptest_server s;
	struct eptest_proc p;

	eptest_echod_start(&s);
	eptest_run(&p, "one\ntwo\nthree without newline", RUN_MS, "-I", LO,
	    s.tcp_port, NULL);
	ck_assert_msg(p.status == 0, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_str_eq(p.out, "one\ntwo\nthree without newline");
	eptest_run(&p, "a\nbb\n", RUN_MS, "-I", "-u", LO, s.udp_port, NULL);
	ck_assert_msg(p.status == 0, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_str_eq(p.out, "a\nbb\n");
	/* With --json the echo is counted, not printed. */
	eptest_run(&p, "a\nbb\n", RUN_MS, "-I", "-u", "--json", LO,
	    s.udp_port, NULL);
	eptest_server_stop(&s);
	ck_assert_int_eq(p.status, 0);
	ck_assert_int_eq(p.out[0], '{');
	ck_assert_int_eq(eptest_json_int(p.out, "bytes_received"), 5);
	ck_assert_int_eq(eptest_json_int(p.out, "datagrams_received"), 2);
	ck_assert_ptr_nonnull(strstr(p.out, "\"complete\":true"));
}
END_TEST

/*
 * Piped input to a server that never reads: once the socket buffers are
 * full no send makes progress, and the session must end after -W, not
 * wait forever for an EOF on stdin it no longer reads.
 */
START_TEST(interactive_deaf_server_is_bounded)
{
	const char *argv[] = { NULL, "-I", "-W", "0.5", LO, NULL, NULL };
	static char chunk[65536];
	struct eptest_server s;
	struct eptest_proc p;
	size_t left;
	pid_t w;

	eptest_badserver_start(&s, "deaf", NULL);
	argv[0] = eptest_path("echoprobe/echoprobe");
	argv[5] = s.tcp_port;
	eptest_spawn(&p, argv);
	/* A writer streams 64 MiB, far more than socket buffers hold. */
	if ((w = fork()) == 0) {
		for (left = 64u << 20; left > 0; left -= sizeof(chunk))
			if (write(p.in_fd, chunk, sizeof(chunk)) <= 0)
				_exit(0);
		_exit(0);
	}
	ck_assert_int_gt(w, 0);
	eptest_finish(&p, 10000);
	(void)eptest_wait(w, 3000);
	eptest_server_stop(&s);
	ck_assert_msg(p.status == 1, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_ptr_nonnull(strstr(p.err, "no progress for 500 ms"));
	ck_assert_int_lt(p.elapsed_ms, 5000);
}
END_TEST

START_TEST(interactive_stalled_server_is_bounded)
{
	struct eptest_server s;
	struct eptest_proc p;

	eptest_badserver_start(&s, "drop", NULL);
	eptest_run(&p, "x\n", RUN_MS, "-I", "-W", "0.3", LO, s.tcp_port,
	    NULL);
	eptest_server_stop(&s);
	ck_assert_msg(p.status == 1, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_ptr_nonnull(strstr(p.err, "0 of 2 bytes came back"));
	ck_assert_int_lt(p.elapsed_ms, 5000);
}
END_TEST

/* The command line. */

START_TEST(cli_usage_version_and_errors)
{
	struct eptest_proc p;

	eptest_run(&p, NULL, RUN_MS, NULL);
	ck_assert_int_eq(p.status, 2);
	ck_assert_ptr_nonnull(strstr(p.err, "echoprobe: no host given\n"
	    "usage: echoprobe"));
	eptest_run(&p, NULL, RUN_MS, "-V", NULL);
	ck_assert_int_eq(p.status, 0);
	ck_assert_str_eq(p.out, "echoprobe " PACKAGE_VERSION "\n");
	eptest_run(&p, NULL, RUN_MS, "--help", NULL);
	ck_assert_int_eq(p.status, 0);
	ck_assert_ptr_nonnull(strstr(p.out, "--pipeline D"));
	eptest_run(&p, NULL, RUN_MS, "-c", "1", LO, "no-such-service", NULL);
	ck_assert_int_eq(p.status, 2);
	ck_assert_ptr_nonnull(strstr(p.err, "echoprobe: resolve 127.0.0.1 "
	    "port no-such-service: "));
}
END_TEST

static Suite *
echoprobe_suite(void)
{
	Suite *s = suite_create("echoprobe");
	TCase *probe = tcase_create("probe");
	TCase *bad = tcase_create("misbehaving_server");
	TCase *inter = tcase_create("interactive");
	TCase *cli = tcase_create("cli");

	tcase_set_timeout(probe, 60);
	tcase_add_test(probe, probe_tcp_all_answered);
	tcase_add_test(probe, probe_udp_all_answered);
	tcase_add_test(probe, probe_connect_each_large);
	tcase_add_test(probe, probe_json_is_one_object);
	tcase_add_test(probe, probe_ipv6_tcp_and_udp);
	tcase_add_test(probe, probe_sigint_prints_summary);
	tcase_add_test(probe, probe_refused_is_an_error);
	suite_add_tcase(s, probe);
	tcase_set_timeout(bad, 60);
	tcase_add_test(bad, probe_udp_drop_is_loss);
	tcase_add_test(bad, probe_tcp_stall_times_out);
	tcase_add_test(bad, probe_tcp_corruption_is_found);
	tcase_add_test(bad, probe_udp_corruption_is_found);
	tcase_add_test(bad, probe_udp_late_is_not_received);
	tcase_add_test(bad, probe_udp_duplicates_are_counted);
	tcase_add_test(bad, probe_udp_junk_fails_the_run);
	tcase_add_test(bad, probe_udp_reordering_is_seen);
	tcase_add_test(bad, probe_tcp_reset_is_an_error);
	tcase_add_test(bad, probe_tcp_early_close_is_an_error);
	suite_add_tcase(s, bad);
	tcase_set_timeout(inter, 60);
	tcase_add_test(inter, interactive_tty_tcp);
	tcase_add_test(inter, interactive_tty_udp);
	tcase_add_test(inter, interactive_pipe_echoes_everything);
	tcase_add_test(inter, interactive_stalled_server_is_bounded);
	tcase_add_test(inter, interactive_deaf_server_is_bounded);
	suite_add_tcase(s, inter);
	tcase_set_timeout(cli, 60);
	tcase_add_test(cli, cli_usage_version_and_errors);
	suite_add_tcase(s, cli);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(echoprobe_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
