/* check_busy.c: signals reach workers that always have work (issue: busy loops). */

#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "clock.h"
#include "harness.h"
#include "loadgen.h"

#define TRIES		20
#define LIMIT_MS	100	/* the promise: a signal acts within this */
#define ROUNDS		2	/* of TRIES each, see p99_ok */
#define BUSY_MS		10000

/*
 * A saturating mix: streams that always have bytes in flight, fifty
 * request/response connections and a UDP flood.  epoll always has events
 * ready for such a worker, so it never blocks: a signal it only sees when
 * it would block is never seen.
 */
static const struct loadgen_spec saturate = { 0, 0, 4, 50, true, 0, 0 };

static void	 start_busy(struct harness *, struct loadgen *, const char *);
static void	 stop_busy(struct harness *, struct loadgen *);
static void	 record(uint64_t *, int, uint64_t);
static void	 signal_busy_workers(int, uint64_t *);
static bool	 kill_busy_masters(void);
static int	 cmp_u64(const void *, const void *);
static bool	 p99_ok(uint64_t *, int, const char *);

static void
start_busy(struct harness *h, struct loadgen *lg, const char *conf)
{
	struct loadgen_spec spec = saturate;

	harness_start(h, H_TCP4 | H_UDP4, conf);
	spec.tcp_port = h->tcp4;
	spec.udp_port = h->udp4;
	loadgen_start(lg, &spec);
	ck_assert_msg(loadgen_wait_busy(lg, BUSY_MS),
	    "the load never got going");
}

static void
stop_busy(struct harness *h, struct loadgen *lg)
{
	loadgen_stop(lg);
	if (h->pid > 0)
		(void)kill(h->pid, SIGQUIT);
	(void)harness_wait_exit(h, 10000);
	harness_finish(h);
}

static void
record(uint64_t *ms, int i, uint64_t t0)
{
	ms[i] = clock_now_ms() - t0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The 99th percentile by nearest rank (of 20 samples, the largest) within
 * LIMIT_MS.  A loaded machine can stall any process for that long now
 * and then, so a round that misses is run once more; a worker that does
 * not see its signals under load (the bug this guards against) misses
 * every round, by hundreds of ms.
 */
static bool
p99_ok(uint64_t *ms, int n, const char *what)
{
	char all[256];
	size_t len = 0;
	int i, rank = (99 * n + 99) / 100 - 1;

	qsort(ms, n, sizeof(*ms), cmp_u64);
	for (i = 0; i < n && len < sizeof(all) - 8; i++)
		len += snprintf(all + len, sizeof(all) - len, " %llu",
		    (unsigned long long)ms[i]);
	(void)printf("%s: p50 %llu ms, p99 %llu ms; all:%s\n", what,
	    (unsigned long long)ms[n / 2], (unsigned long long)ms[rank], all);
	return ms[rank] <= LIMIT_MS;
}

/*
 * `signo` straight to a saturated TCP and UDP worker, TRIES times, each
 * on a fresh echod: the time until both acted on it.  TERM: the TCP
 * worker stops accepting (its "draining" line) and the UDP worker exits;
 * QUIT: both say they exit, right before _exit.  The kernel's teardown of
 * the process is not timed: under ASan alone it takes tens of ms.
 */
static void
signal_busy_workers(int signo, uint64_t *ms)
{
	struct harness h;
	struct loadgen lg;
	pid_t tcp, udp;
	uint64_t t0;
	int i;

	for (i = 0; i < TRIES; i++) {
		start_busy(&h, &lg, "workers = 1;");
		ck_assert_int_eq(harness_workers(&h, "tcp", &tcp, 1), 1);
		ck_assert_int_eq(harness_workers(&h, "udp", &udp, 1), 1);
		harness_mark(&h);
		t0 = clock_now_ms();
		ck_assert_int_eq(kill(tcp, signo), 0);
		ck_assert_int_eq(kill(udp, signo), 0);
		if (signo == SIGTERM) {
			ck_assert(harness_wait_log(&h, "): draining",
			    5000));
			ck_assert(harness_wait_log(&h, "): exiting: echoed",
			    5000));
		} else {
			ck_assert(harness_wait_log(&h, "exiting (fast shutdown)",
			    5000));
			ck_assert(harness_wait_log(&h, "): exiting: echoed",
			    5000));
		}
		record(ms, i, t0);
		/* QUIT leaves nothing behind; TERM's worker drains on. */
		ck_assert(signo == SIGTERM || (harness_wait_gone(tcp, 5000) &&
		    harness_wait_gone(udp, 5000)));
		stop_busy(&h, &lg);
	}
}

START_TEST(busy_workers_act_on_term)
{
	uint64_t ms[TRIES];
	int round;

	for (round = 0; round < ROUNDS; round++) {
		signal_busy_workers(SIGTERM, ms);
		if (p99_ok(ms, TRIES, "TERM to busy workers"))
			return;
	}
	ck_abort_msg("TERM to busy workers: p99 over %d ms in %d rounds",
	    LIMIT_MS, ROUNDS);
}
END_TEST

START_TEST(busy_workers_act_on_quit)
{
	uint64_t ms[TRIES];
	int round;

	for (round = 0; round < ROUNDS; round++) {
		signal_busy_workers(SIGQUIT, ms);
		if (p99_ok(ms, TRIES, "QUIT to busy workers"))
			return;
	}
	ck_abort_msg("QUIT to busy workers: p99 over %d ms in %d rounds",
	    LIMIT_MS, ROUNDS);
}
END_TEST

/*
 * HUP to the master while its workers are saturated: the new generation
 * starts, and once it serves the old one's workers stop accepting (TCP)
 * or exit (UDP).  The promise is timed from the master's "reload
 * complete", when it signals them; from the HUP, the new generation's
 * start is included too, and bounded more loosely (forking and setting up
 * workers on a loaded machine is the scheduler's business).
 */
START_TEST(busy_generation_retires_on_hup)
{
	uint64_t ms[TRIES], total[TRIES], t0, t1;
	struct harness h;
	struct loadgen lg;
	char tcp[64], udp[64], gone[64];
	int i, gen = 0, round;
	bool ok = false;

	start_busy(&h, &lg, "workers = 1;\nshutdown_timeout = 0;");
	for (round = 0; round < ROUNDS && !ok; round++) {
		for (i = 0; i < TRIES; i++) {
			gen++;
			(void)snprintf(tcp, sizeof(tcp), "tcp worker 0 "
			    "(generation %d): draining", gen);
			(void)snprintf(udp, sizeof(udp), "udp worker "
			    "(generation %d): exiting", gen);
			(void)snprintf(gone, sizeof(gone), "generation %d has "
			    "exited", gen);
			harness_mark(&h);
			t0 = clock_now_ms();
			harness_signal(&h, SIGHUP);
			ck_assert(harness_wait_log(&h, "reload complete", 5000));
			t1 = clock_now_ms();
			ck_assert(harness_wait_log(&h, tcp, 5000));
			ck_assert(harness_wait_log(&h, udp, 5000));
			record(ms, i, t1);
			record(total, i, t0);
			ck_assert(harness_wait_log(&h, gone, 5000));
			/* The clients reconnect to the new generation. */
			ck_assert(loadgen_wait_busy(&lg, BUSY_MS));
		}
		ok = p99_ok(ms, TRIES, "HUP with busy workers, from reload "
		    "complete");
		qsort(total, TRIES, sizeof(*total), cmp_u64);
		(void)printf("HUP with busy workers, from the HUP: p50 %llu "
		    "ms, max %llu ms\n", (unsigned long long)total[TRIES / 2],
		    (unsigned long long)total[TRIES - 1]);
		ck_assert_uint_le(total[TRIES - 1], 2000);
	}
	stop_busy(&h, &lg);
	ck_assert_msg(ok, "HUP with busy workers: p99 over %d ms in %d "
	    "rounds", LIMIT_MS, ROUNDS);
}
END_TEST

/*
 * The master dies by SIGKILL: no busy worker outlives it and keeps a
 * port.  The kernel sends the workers their death signal (QUIT, by
 * PR_SET_PDEATHSIG) once it has torn the master down, which under ASan
 * alone can take 200 ms on a loaded machine; the promise is timed from
 * there, when the master is dead, to the workers' lines before _exit.
 */
/* One round: five times, start, saturate, SIGKILL the master. */
static bool
kill_busy_masters(void)
{
	uint64_t ms[5], t0, dead, total = 0;
	struct harness h;
	struct loadgen lg;
	pid_t pids[8];
	int i, k, n;

	for (i = 0; i < 5; i++) {
		start_busy(&h, &lg, "workers = 2;");
		n = harness_workers(&h, NULL, pids, 8);
		ck_assert_int_eq(n, 3);
		harness_mark(&h);
		t0 = clock_now_ms();
		ck_assert_int_eq(kill(h.pid, SIGKILL), 0);
		ck_assert_int_ne(harness_wait_exit(&h, 10000), -1);
		dead = clock_now_ms();
		ck_assert(harness_wait_log_count(&h, "exiting (fast shutdown)",
		    2, 5000));
		ck_assert(harness_wait_log(&h, "): exiting: echoed", 5000));
		record(ms, i, dead);
		if (clock_now_ms() - t0 > total)
			total = clock_now_ms() - t0;
		for (k = 0; k < n; k++)
			ck_assert_msg(harness_wait_gone(pids[k], 5000),
			    "worker %ld outlived its master", (long)pids[k]);
		stop_busy(&h, &lg);
	}
	(void)printf("workers after the master's SIGKILL, from the kill: "
	    "max %llu ms\n", (unsigned long long)total);
	return p99_ok(ms, 5, "workers after the master's death");
}

START_TEST(busy_workers_exit_when_master_is_killed)
{
	int round;

	for (round = 0; round < ROUNDS; round++)
		if (kill_busy_masters())
			return;
	ck_abort_msg("workers after the master's death: p99 over %d ms in %d "
	    "rounds", LIMIT_MS, ROUNDS);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("busy");
	TCase *tc = tcase_create("busy");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, busy_workers_act_on_term);
	tcase_add_test(tc, busy_workers_act_on_quit);
	tcase_add_test(tc, busy_generation_retires_on_hup);
	tcase_add_test(tc, busy_workers_exit_when_master_is_killed);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
