/* check_echoprobe_load.c: echoprobe --load against echod and badserver. */

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "eptest.h"

#define LO	"127.0.0.1"
/* Generous for a loaded CI machine under ASan; every wait is bounded. */
#define RUN_MS	20000

static long	 strace_calls(const char *);

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
	ck_assert_msg(eptest_tty_expect(fd, buf, sizeof(buf), &len,
	    "\r\033[Kload: 1 s, ", 10000), "no progress: %s", buf);
	ck_assert(eptest_tty_expect(fd, buf, sizeof(buf), &len, "requests ",
	    10000));
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

/*
 * Held idle, nothing is in progress: the jobs sleep to the end of the
 * hold.  They used to wake for their timeout scan 20 times a second (84
 * voluntary context switches for this 3 s hold with one job, against 23
 * now, counted over echoprobe and its job as they are reaped).
 */
START_TEST(load_hold_sleeps_while_idle)
{
	struct rusage before, after;
	struct eptest_server s;
	struct eptest_proc p;
	long woke;

	eptest_echod_start(&s);
	ck_assert_int_eq(getrusage(RUSAGE_CHILDREN, &before), 0);
	eptest_run(&p, NULL, RUN_MS, "--load", "--hold", "3",
	    "--connections", "10", "--jobs", "1", "--json", LO, s.tcp_port,
	    NULL);
	ck_assert_int_eq(getrusage(RUSAGE_CHILDREN, &after), 0);
	eptest_server_stop(&s);
	ck_assert_msg(p.status == 0, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_int_eq(eptest_json_int(p.out, "echoed_both"), 10);
	woke = after.ru_nvcsw - before.ru_nvcsw;
	ck_assert_msg(woke < 50, "echoprobe slept %ld times in a 3 s hold",
	    woke);
}
END_TEST

/*
 * A hold keeps every job's connections open at once.  Under strace each
 * connect() takes CONNECT_DELAY_S: the job with two of the five links
 * has them open that long after the three jobs with one each, longer
 * than the hold.  Each job used to start its idle time once its own
 * links were open, so the three echoed and closed before the fourth job
 * had opened its second link, and echod never held all five; now every
 * job waits for the last one, and they end the hold together.
 */
#define CONNECT_DELAY_S	3	/* delay_enter below, in microseconds */
START_TEST(load_hold_waits_for_every_job)
{
	const char *argv[] = { "strace", "-f", "-qq", "-o", "/dev/null",
	    "-e", "trace=connect", "-e", "inject=connect:delay_enter=3000000",
	    eptest_path("echoprobe/echoprobe"), "--load", "--hold", "1.5",
	    "--connections", "5", "--jobs", "4", "-W", "20", "--json", LO,
	    NULL, NULL };
	struct eptest_server s;
	struct eptest_proc p;
	const char *open_s;
	bool held;

	eptest_echod_start(&s);
	/* LeakSanitizer cannot stop the world under a tracer. */
	ck_assert_int_eq(setenv("ASAN_OPTIONS", "detect_leaks=0", 1), 0);
	argv[21] = s.tcp_port;
	eptest_spawn(&p, argv);
	held = harness_wait_counter(&s.h, "connections", 5, RUN_MS);
	eptest_finish(&p, RUN_MS);
	eptest_server_stop(&s);
	ck_assert_msg(p.status == 0, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_msg(held, "echod never held the 5 connections at once: %s",
	    p.out);
	ck_assert_int_eq(eptest_json_int(p.out, "connected"), 5);
	ck_assert_int_eq(eptest_json_int(p.out, "echoed_first"), 5);
	ck_assert_int_eq(eptest_json_int(p.out, "echoed_both"), 5);
	/* The busiest job made two delayed connects before all were open. */
	ck_assert_ptr_nonnull(open_s = strstr(p.out, "\"open_s\":"));
	ck_assert_double_ge(strtod(open_s + strlen("\"open_s\":"), NULL),
	    2 * CONNECT_DELAY_S - 0.1);
}
END_TEST

/*
 * The echoes after a hold go out as many at a time as connects (256 a
 * job), not all at once: a million sent together queued at the server
 * past their timeout.  Against a server that answers 300 ms late, 600
 * links take three rounds, where sent at once they would take one.
 */
#define FINAL_DELAY_MS	300
#define FINAL_LINKS	600

START_TEST(load_hold_final_echoes_are_paced)
{
	struct eptest_server s;
	struct eptest_proc p;
	double final_s;

	eptest_badserver_start(&s, "delay", "300");
	eptest_run(&p, NULL, RUN_MS, "--load", "--hold", "0.2",
	    "--connections", "600", "-W", "10", "--json", LO, s.tcp_port,
	    NULL);
	eptest_server_stop(&s);
	ck_assert_msg(p.status == 0, "status %d: %s%s", p.status, p.out,
	    p.err);
	ck_assert_int_eq(eptest_json_int(p.out, "echoed_both"), FINAL_LINKS);
	final_s = eptest_json_double(p.out, "elapsed_s") -
	    eptest_json_double(p.out, "open_s") - 0.2;
	ck_assert_msg(final_s >= 2.5 * FINAL_DELAY_MS / 1000.0,
	    "the last echoes took %.3f s: sent all at once?", final_s);
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

static Suite *
echoprobe_load_suite(void)
{
	Suite *s = suite_create("echoprobe_load");
	TCase *load = tcase_create("load");

	tcase_set_timeout(load, 60);
	tcase_add_test(load, load_tcp_pipelined);
	tcase_add_test(load, load_progress_on_a_terminal);
	tcase_add_test(load, load_udp_window);
	tcase_add_test(load, load_jobs_merge_exact_requests);
	tcase_add_test(load, load_connect_each);
	tcase_add_test(load, load_hold_over_sources);
	tcase_add_test(load, load_hold_sleeps_while_idle);
	tcase_add_test(load, load_hold_waits_for_every_job);
	tcase_add_test(load, load_hold_final_echoes_are_paced);
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
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(echoprobe_load_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
