/* check_echoprobe.c: the real echoprobe against echod and against badserver. */

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
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
static long	 strace_calls(const char *);
static bool	 tty_expect(int, char *, size_t, size_t *, const char *, int);
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

/*
 * The calls counted in the summary strace -c wrote to `path`: the fourth
 * column, whatever the syscall; strace was told which to trace.
 */
static long
strace_calls(const char *path)
{
	char line[256];
	long calls, total = 0;
	FILE *f;

	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, "total") == NULL &&
		    sscanf(line, "%*f %*f %*d %ld", &calls) == 1)
			total += calls;
	(void)fclose(f);
	return total;
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

/* Reads the pty (bounded) until the accumulated text contains want. */
static bool
tty_expect(int fd, char *buf, size_t size, size_t *len, const char *want,
    int timeout_ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	ssize_t n;
	int waited = 0;

	while (strstr(buf, want) == NULL) {
		if (waited >= timeout_ms)
			return false;
		if (poll(&pfd, 1, 20) == 1) {
			n = read(fd, buf + *len, size - 1 - *len);
			if (n <= 0)
				return strstr(buf, want) != NULL;
			*len += (size_t)n;
			buf[*len] = '\0';
		} else
			waited += 20;
	}
	return true;
}

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
	ck_assert_msg(tty_expect(fd, buf, sizeof(buf), &len, "Ctrl-D ends",
	    10000), "no banner: %s", buf);
	ck_assert_int_eq(write(fd, "hello, echo\n", 12), 12);
	ck_assert_msg(tty_expect(fd, buf, sizeof(buf), &len, "hello, echo",
	    10000), "no echo: %s", buf);
	ck_assert_int_eq(write(fd, "second line\n", 12), 12);
	ck_assert_msg(tty_expect(fd, buf, sizeof(buf), &len, "second line",
	    10000), "no echo: %s", buf);
	ck_assert_int_eq(write(fd, "\004", 1), 1);	/* Ctrl-D */
	(void)tty_expect(fd, buf, sizeof(buf), &len, "\001", 300);
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

/* Load mode. */

START_TEST(load_tcp_pipelined)
{
	struct eptest_server s;
	struct eptest_proc p;

	eptest_echod_start(&s);
	eptest_run(&p, NULL, RUN_MS, "--load", "--connections", "8",
	    "--pipeline", "4", "--duration", "1", "--json", LO, s.tcp_port,
	    NULL);
	eptest_server_stop(&s);
	ck_assert_msg(p.status == 0, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_int_gt(eptest_json_int(p.out, "requests"), 100);
	ck_assert_int_eq(eptest_json_int(p.out, "mismatch"), 0);
	ck_assert_int_eq(eptest_json_int(p.out, "timeout"), 0);
	ck_assert_int_eq(eptest_json_int(p.out, "connects"), 8);
	ck_assert_ptr_nonnull(strstr(p.out, "\"p99.9\":"));
	ck_assert_int_lt(p.elapsed_ms, 5000);
	/* stderr is a pipe here: no progress line. */
	ck_assert_ptr_null(strchr(p.err, '\r'));
}
END_TEST

/* On a terminal, a load run shows its progress once a second. */
START_TEST(load_progress_on_a_terminal)
{
	const char *argv[] = { eptest_path("echoprobe/echoprobe"), "--load",
	    "--connections", "2", "--duration", "1.5", LO, NULL, NULL };
	struct eptest_server s;
	char buf[8192] = "";
	size_t len = 0;
	int fd, status;
	pid_t pid;

	eptest_echod_start(&s);
	argv[7] = s.tcp_port;
	if ((pid = forkpty(&fd, NULL, NULL, NULL)) == -1)
		ck_abort_msg("forkpty: %s", strerror(errno));
	if (pid == 0) {
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		(void)execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	ck_assert_msg(tty_expect(fd, buf, sizeof(buf), &len,
	    "\r\033[Kload: 1 s, ", 10000), "no progress: %s", buf);
	ck_assert(tty_expect(fd, buf, sizeof(buf), &len, "requests ", 10000));
	status = eptest_wait(pid, 10000);
	(void)close(fd);
	eptest_server_stop(&s);
	ck_assert_msg(status == 0, "status %d: %s", status, buf);
}
END_TEST

START_TEST(load_udp_window)
{
	struct eptest_server s;
	struct eptest_proc p;

	eptest_echod_start(&s);
	eptest_run(&p, NULL, RUN_MS, "--load", "-u", "--connections", "4",
	    "--window", "4", "--duration", "1", LO, s.udp_port, NULL);
	eptest_server_stop(&s);
	ck_assert_msg(p.status == 0, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_ptr_nonnull(strstr(p.out, "requests     "));
	ck_assert_ptr_nonnull(strstr(p.out, "latency      p50 "));
	ck_assert_ptr_nonnull(strstr(p.out, "errors       refused 0, reset "
	    "0, timeout 0, mismatch 0"));
}
END_TEST

START_TEST(load_jobs_merge_exact_requests)
{
	struct eptest_server s;
	struct eptest_proc p;

	eptest_echod_start(&s);
	eptest_run(&p, NULL, RUN_MS, "--load", "--jobs", "3",
	    "--connections", "6", "--pipeline", "2", "--requests", "3001",
	    "--json", LO, s.tcp_port, NULL);
	eptest_server_stop(&s);
	ck_assert_msg(p.status == 0, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_int_eq(eptest_json_int(p.out, "requests"), 3001);
	ck_assert_int_eq(eptest_json_int(p.out, "jobs"), 3);
	ck_assert_int_eq(eptest_json_int(p.out, "bytes_received"),
	    3001 * 64);
}
END_TEST

START_TEST(load_connect_each)
{
	struct eptest_server s;
	struct eptest_proc p;

	eptest_echod_start(&s);
	eptest_run(&p, NULL, RUN_MS, "--load", "--connect-each",
	    "--connections", "2", "--requests", "200", "--json", LO,
	    s.tcp_port, NULL);
	eptest_server_stop(&s);
	ck_assert_msg(p.status == 0, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_int_eq(eptest_json_int(p.out, "requests"), 200);
	ck_assert_int_eq(eptest_json_int(p.out, "connects"), 200);
}
END_TEST

START_TEST(load_hold_over_sources)
{
	struct eptest_server s;
	struct eptest_proc p;

	eptest_echod_start(&s);
	eptest_run(&p, NULL, RUN_MS, "--load", "--hold", "0.5",
	    "--connections", "40", "--jobs", "2", "--source",
	    "127.0.0.1,127.0.0.2", "--json", LO, s.tcp_port, NULL);
	eptest_server_stop(&s);
	ck_assert_msg(p.status == 0, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_ptr_nonnull(strstr(p.out, "\"mode\":\"hold\""));
	ck_assert_int_eq(eptest_json_int(p.out, "connected"), 40);
	ck_assert_int_eq(eptest_json_int(p.out, "echoed_first"), 40);
	ck_assert_int_eq(eptest_json_int(p.out, "echoed_both"), 40);
	ck_assert_int_eq(eptest_json_int(p.out, "requests"), 80);
	ck_assert_int_ge(p.elapsed_ms, 500);	/* it did hold */
}
END_TEST

START_TEST(load_stalled_server_ends_on_time)
{
	struct eptest_server s;
	struct eptest_proc p;

	eptest_badserver_start(&s, "drop", NULL);
	eptest_run(&p, NULL, RUN_MS, "--load", "--connections", "4",
	    "--duration", "1", "-W", "0.3", "--json", LO, s.tcp_port, NULL);
	eptest_server_stop(&s);
	ck_assert_msg(p.status == 2, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_int_gt(eptest_json_int(p.out, "timeout"), 0);
	ck_assert_int_eq(eptest_json_int(p.out, "requests"), 0);
	ck_assert_int_lt(p.elapsed_ms, 4000);
}
END_TEST

START_TEST(load_silent_server_requests_give_up)
{
	struct eptest_server s;
	struct eptest_proc p;

	/* It accepts every connection and answers nothing: reconnecting
	 * is no progress, and a million requests must not take forever. */
	eptest_badserver_start(&s, "drop", NULL);
	eptest_run(&p, NULL, RUN_MS, "--load", "--connections", "2",
	    "--requests", "1000000", "-W", "0.2", "--json", LO, s.tcp_port,
	    NULL);
	eptest_server_stop(&s);
	ck_assert_msg(p.status == 2, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_ptr_nonnull(strstr(p.err, "no echo for 400 ms: giving up"));
	ck_assert_int_gt(eptest_json_int(p.out, "timeout"), 0);
	ck_assert_int_lt(p.elapsed_ms, 4000);
}
END_TEST

START_TEST(load_refused_requests_give_up)
{
	struct eptest_proc p;
	char port[8];

	eptest_closed_port(SOCK_STREAM, port, sizeof(port));
	eptest_run(&p, NULL, RUN_MS, "--load", "--connections", "2",
	    "--requests", "100", "-W", "0.3", "--json", LO, port, NULL);
	ck_assert_msg(p.status == 2, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_int_gt(eptest_json_int(p.out, "refused"), 0);
	ck_assert_ptr_nonnull(strstr(p.err, "giving up"));
	ck_assert_int_lt(p.elapsed_ms, 4000);
}
END_TEST

/* With --connect-each a refused connect is retried, with backoff. */
START_TEST(load_connect_each_retries_refused)
{
	struct eptest_proc p;
	char port[8];

	eptest_closed_port(SOCK_STREAM, port, sizeof(port));
	eptest_run(&p, NULL, RUN_MS, "--load", "--connect-each",
	    "--connections", "2", "--requests", "100", "-W", "0.3", "--json",
	    LO, port, NULL);
	ck_assert_msg(p.status == 2, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_int_gt(eptest_json_int(p.out, "refused"), 2);
}
END_TEST

/* A second copy of an answered datagram is a duplicate, not a late reply. */
START_TEST(load_udp_duplicates_are_counted)
{
	struct eptest_server s;
	struct eptest_proc p;

	eptest_badserver_start(&s, "dup", NULL);
	eptest_run(&p, NULL, RUN_MS, "--load", "-u", "--window", "4",
	    "--requests", "40", "-W", "2", "--json", LO, s.udp_port, NULL);
	eptest_server_stop(&s);
	ck_assert_msg(p.status == 0, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_int_eq(eptest_json_int(p.out, "requests"), 40);
	ck_assert_int_ge(eptest_json_int(p.out, "duplicates"), 36);
	ck_assert_int_le(eptest_json_int(p.out, "late"), 4);
}
END_TEST

START_TEST(load_corruption_is_a_mismatch)
{
	struct eptest_server s;
	struct eptest_proc p;

	/* 16-byte requests: the third one carries the corrupted byte 40. */
	eptest_badserver_start(&s, "corrupt", NULL);
	eptest_run(&p, NULL, RUN_MS, "--load", "--connections", "2",
	    "--size", "16", "--duration", "0.5", "--json", LO, s.tcp_port,
	    NULL);
	eptest_server_stop(&s);
	ck_assert_msg(p.status == 1, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_int_gt(eptest_json_int(p.out, "mismatch"), 0);
	ck_assert_int_gt(eptest_json_int(p.out, "requests"), 0);
}
END_TEST

/*
 * A window's datagrams go out in one sendmmsg and come back through few
 * recvmmsg calls: fewer calls than datagrams, where one send and one
 * receive each, and an EAGAIN per wake-up, made more than two per
 * datagram.  strace counts them; it slows the client, not the server, so
 * replies wait in batches as they would for a busier client.
 */
START_TEST(load_udp_batches_system_calls)
{
	const char *argv[] = { "strace", "-f", "-c", "-o", NULL, "-e",
	    "trace=sendto,sendmmsg,recvfrom,recvmmsg",
	    eptest_path("echoprobe/echoprobe"), "--load", "-u", "--window",
	    "16", "--requests", "2000", "--json", LO, NULL, NULL };
	char trace[] = "/tmp/eptest-strace.XXXXXX";
	struct eptest_server s;
	struct eptest_proc p;
	long calls;
	int fd;

	ck_assert_int_ne(fd = mkstemp(trace), -1);
	(void)close(fd);
	eptest_echod_start(&s);
	/* LeakSanitizer cannot stop the world under a tracer. */
	ck_assert_int_eq(setenv("ASAN_OPTIONS", "detect_leaks=0", 1), 0);
	argv[4] = trace;
	argv[16] = s.udp_port;
	eptest_spawn(&p, argv);
	eptest_finish(&p, RUN_MS);
	eptest_server_stop(&s);
	calls = strace_calls(trace);
	(void)unlink(trace);
	ck_assert_msg(p.status == 0, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_int_eq(eptest_json_int(p.out, "requests"), 2000);
	ck_assert_msg(calls > 0 && calls < 2000, "%ld send and receive "
	    "calls for 2000 datagrams", calls);
}
END_TEST

/*
 * Each datagram ends once: answered, refused or timed out.  An ICMP port
 * unreachable ends the datagram it answers; it used to be counted as
 * refused while that datagram went on to time out as well.
 */
START_TEST(load_udp_refused_counts_each_datagram_once)
{
	struct eptest_proc p;
	char port[8];
	long sent;

	eptest_closed_port(SOCK_DGRAM, port, sizeof(port));
	eptest_run(&p, NULL, RUN_MS, "--load", "-u", "--connections", "2",
	    "--window", "4", "--requests", "40", "-W", "1", "--json", LO,
	    port, NULL);
	ck_assert_msg(p.status == 2, "status %d: %s%s", p.status, p.out,
	    p.err);
	sent = eptest_json_int(p.out, "bytes_sent") / 64;
	ck_assert_int_gt(sent, 0);
	ck_assert_int_gt(eptest_json_int(p.out, "refused"), 0);
	ck_assert_int_eq(eptest_json_int(p.out, "requests"), 0);
	ck_assert_int_eq(eptest_json_int(p.out, "refused") +
	    eptest_json_int(p.out, "timeout") +
	    eptest_json_int(p.out, "cancelled"), sent);
}
END_TEST

/*
 * A reply that names its request but carries other bytes ends that
 * request as a mismatch; it used to time out as well.
 */
START_TEST(load_udp_corruption_is_one_mismatch)
{
	struct eptest_server s;
	struct eptest_proc p;

	eptest_badserver_start(&s, "corrupt", NULL);
	eptest_run(&p, NULL, RUN_MS, "--load", "-u", "--window", "4",
	    "--requests", "20", "-W", "0.5", "--json", LO, s.udp_port, NULL);
	eptest_server_stop(&s);
	/* 2: no request succeeded. */
	ck_assert_msg(p.status == 2, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_int_eq(eptest_json_int(p.out, "mismatch"), 20);
	ck_assert_int_eq(eptest_json_int(p.out, "timeout"), 0);
	ck_assert_int_eq(eptest_json_int(p.out, "requests"), 0);
}
END_TEST

START_TEST(load_udp_loss_is_timeouts)
{
	struct eptest_server s;
	struct eptest_proc p;

	/* Every second datagram dropped; -W long enough that no answered
	 * one is late on a busy machine. */
	eptest_badserver_start(&s, "drop", NULL);
	eptest_run(&p, NULL, RUN_MS, "--load", "-u", "--window", "4",
	    "--requests", "40", "-W", "1", "--json", LO, s.udp_port, NULL);
	eptest_server_stop(&s);
	ck_assert_msg(p.status == 1, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_int_eq(eptest_json_int(p.out, "requests") +
	    eptest_json_int(p.out, "timeout"), 40);
	ck_assert_int_eq(eptest_json_int(p.out, "timeout"), 20);
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
	TCase *load = tcase_create("load");
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
	tcase_set_timeout(load, 60);
	tcase_add_test(load, load_tcp_pipelined);
	tcase_add_test(load, load_progress_on_a_terminal);
	tcase_add_test(load, load_udp_window);
	tcase_add_test(load, load_jobs_merge_exact_requests);
	tcase_add_test(load, load_connect_each);
	tcase_add_test(load, load_hold_over_sources);
	tcase_add_test(load, load_stalled_server_ends_on_time);
	tcase_add_test(load, load_silent_server_requests_give_up);
	tcase_add_test(load, load_refused_requests_give_up);
	tcase_add_test(load, load_connect_each_retries_refused);
	tcase_add_test(load, load_udp_duplicates_are_counted);
	tcase_add_test(load, load_corruption_is_a_mismatch);
	tcase_add_test(load, load_udp_loss_is_timeouts);
	tcase_add_test(load, load_udp_batches_system_calls);
	tcase_add_test(load, load_udp_refused_counts_each_datagram_once);
	tcase_add_test(load, load_udp_corruption_is_one_mismatch);
	suite_add_tcase(s, load);
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
