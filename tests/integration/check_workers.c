/* check_workers.c: process tree: counts, ids, respawn, master death. */

#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "clock.h"
#include "harness.h"

static pid_t	 respawned_pid(struct harness *, const char *);

/* The pid in "respawned <role> worker N as pid P", or -1. */
static pid_t
respawned_pid(struct harness *h, const char *role)
{
	char needle[64], line[256], *p;

	(void)snprintf(needle, sizeof(needle), "respawned %s worker ", role);
	if (!harness_wait_log(h, needle, H_WAIT_MS) ||
	    !harness_log_line(h, needle, line, sizeof(line)) ||
	    (p = strstr(line, " as pid ")) == NULL)
		return -1;
	return (pid_t)atol(p + strlen(" as pid "));
}

START_TEST(workers_match_configuration_and_drop_privileges)
{
	pid_t tcp[8], udp[2], all[8];
	struct passwd *pw;
	struct group *gr;
	struct harness h;
	uid_t uid;
	gid_t gid;
	int i;

	harness_start(&h, H_TCP4 | H_UDP4, "workers = 3;");
	ck_assert(harness_wait_log(&h, "started: 3 tcp workers, one udp "
	    "worker", 0));
	/*
	 * A worker takes its title before it drops its privileges: only its
	 * "started" line says it is done, and its ids are final.
	 */
	ck_assert(harness_wait_log_count(&h, "(generation 1): started", 4,
	    H_WAIT_MS));
	ck_assert(harness_wait_workers(&h, "tcp", 3, H_WAIT_MS));
	ck_assert(harness_wait_workers(&h, "udp", 1, H_WAIT_MS));
	ck_assert_int_eq(harness_workers(&h, "tcp", tcp, 8), 3);
	ck_assert_int_eq(harness_workers(&h, "udp", udp, 2), 1);
	ck_assert_int_eq(harness_workers(&h, NULL, all, 8), 4);
	ck_assert(harness_proc_is(h.pid, "echod: master"));
	if (geteuid() != 0) {
		/* Not root: echod ignores user and group. */
		harness_stop(&h);
		return;
	}
	ck_assert_ptr_nonnull(pw = getpwnam("nobody"));
	ck_assert_ptr_nonnull(gr = getgrnam("nogroup"));
	ck_assert(harness_proc_ids(h.pid, &uid, &gid));
	ck_assert_int_eq(uid, 0);
	for (i = 0; i < 4; i++) {
		ck_assert(harness_proc_ids(i < 3 ? tcp[i] : udp[0], &uid,
		    &gid));
		ck_assert_int_eq(uid, pw->pw_uid);
		ck_assert_int_eq(gid, gr->gr_gid);
	}
	harness_stop(&h);
}
END_TEST

START_TEST(workers_no_udp_worker_without_udp_listener)
{
	struct harness h;
	pid_t pids[8];

	harness_start(&h, H_TCP, "workers = 2;");
	ck_assert(harness_wait_log(&h, "started: 2 tcp workers, no udp "
	    "worker", 0));
	ck_assert(harness_wait_workers(&h, "tcp", 2, H_WAIT_MS));
	/* Every child, titled or not: a late UDP worker would show here. */
	ck_assert_int_eq(harness_workers(&h, NULL, pids, 8), 2);
	harness_stop(&h);
}
END_TEST

START_TEST(workers_killed_tcp_worker_is_respawned)
{
	pid_t before[2], after[2], fresh;
	struct harness h;

	harness_start(&h, H_TCP4, "workers = 2;");
	ck_assert(harness_wait_workers(&h, "tcp", 2, H_WAIT_MS));
	ck_assert_int_eq(harness_workers(&h, "tcp", before, 2), 2);
	harness_mark(&h);
	ck_assert_int_eq(kill(before[0], SIGKILL), 0);
	ck_assert(harness_wait_log(&h, "killed by signal 9 (Killed); "
	    "respawning in 100 ms", H_WAIT_MS));
	ck_assert_int_gt(fresh = respawned_pid(&h, "tcp"), 0);
	ck_assert_int_ne(fresh, before[0]);
	ck_assert(harness_wait_gone(before[0], H_WAIT_MS));
	ck_assert(harness_wait_workers(&h, "tcp", 2, H_WAIT_MS));
	ck_assert_int_eq(harness_workers(&h, "tcp", after, 2), 2);
	ck_assert(after[0] == fresh || after[1] == fresh);
	ck_assert(after[0] == before[1] || after[1] == before[1]);
	harness_assert_serves_tcp(&h, 20);
	harness_stop(&h);
}
END_TEST

START_TEST(workers_killed_udp_worker_is_respawned)
{
	pid_t before, after, fresh;
	struct harness h;
	char got[8];
	int fd;

	harness_start(&h, H_TCP4 | H_UDP4, "workers = 1;");
	ck_assert(harness_wait_workers(&h, "udp", 1, H_WAIT_MS));
	ck_assert_int_eq(harness_workers(&h, "udp", &before, 1), 1);
	harness_mark(&h);
	ck_assert_int_eq(kill(before, SIGKILL), 0);
	ck_assert(harness_wait_log(&h, "udp worker 0 killed by signal 9 "
	    "(Killed); respawning in 100 ms", H_WAIT_MS));
	ck_assert_int_gt(fresh = respawned_pid(&h, "udp"), 0);
	ck_assert(harness_wait_workers(&h, "udp", 1, H_WAIT_MS));
	ck_assert_int_eq(harness_workers(&h, "udp", &after, 1), 1);
	ck_assert_int_eq(after, fresh);
	ck_assert_int_ne(after, before);
	ck_assert_int_ge(fd = harness_udp_socket(AF_INET), 0);
	ck_assert_int_eq(harness_udp_echo(fd, AF_INET, h.udp4, "again", 5,
	    got, H_WAIT_MS), 5);
	ck_assert_mem_eq(got, "again", 5);
	(void)close(fd);
	harness_assert_serves_tcp(&h, 3);
	harness_stop(&h);
}
END_TEST

/* Each crash of the same slot doubles its respawn delay: no hot loop. */
START_TEST(workers_respawn_backs_off_per_slot)
{
	char needle[64];
	struct harness h;
	uint64_t t0, took;
	pid_t pid, fresh;
	int k, delay_ms;

	harness_start(&h, H_TCP4, "workers = 1;");
	for (k = 0; k < 3; k++) {
		delay_ms = 100 << k;
		ck_assert(harness_wait_workers(&h, "tcp", 1, H_WAIT_MS));
		ck_assert_int_eq(harness_workers(&h, "tcp", &pid, 1), 1);
		harness_mark(&h);
		t0 = clock_now_ms();
		ck_assert_int_eq(kill(pid, SIGKILL), 0);
		(void)snprintf(needle, sizeof(needle), "tcp worker 0 killed "
		    "by signal 9 (Killed); respawning in %d ms", delay_ms);
		ck_assert_msg(harness_wait_log(&h, needle, H_WAIT_MS),
		    "no \"%s\"", needle);
		ck_assert_int_gt(fresh = respawned_pid(&h, "tcp"), 0);
		took = clock_now_ms() - t0;
		ck_assert_msg(took >= (uint64_t)delay_ms, "respawned after "
		    "%llu ms, before the %d ms backoff",
		    (unsigned long long)took, delay_ms);
		ck_assert_int_ne(fresh, pid);
	}
	harness_assert_serves_tcp(&h, 3);
	harness_stop(&h);
}
END_TEST

/* Workers must not outlive the master and keep its ports. */
START_TEST(workers_exit_when_master_is_killed)
{
	struct harness h;
	pid_t pids[8];
	int i, n, st, fd;

	harness_start(&h, H_ALL, "workers = 2;");
	ck_assert(harness_wait_workers(&h, "tcp", 2, H_WAIT_MS));
	ck_assert(harness_wait_workers(&h, "udp", 1, H_WAIT_MS));
	ck_assert_int_eq(n = harness_workers(&h, NULL, pids, 8), 3);
	/* An open connection must not keep its worker alive either. */
	ck_assert_int_ge(fd = harness_connect(AF_INET, h.tcp4, H_WAIT_MS), 0);
	ck_assert_int_eq(harness_echo(fd, "hold", 4, false, H_WAIT_MS), 0);
	harness_signal(&h, SIGKILL);
	ck_assert_int_ne(st = harness_wait_exit(&h, H_WAIT_MS), -1);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	for (i = 0; i < n; i++)
		ck_assert_msg(harness_wait_gone(pids[i], H_WAIT_MS),
		    "worker %ld outlived the master", (long)pids[i]);
	ck_assert(harness_wait_eof(fd, H_WAIT_MS));
	(void)close(fd);
	ck_assert(harness_wait_bindable(AF_INET, SOCK_STREAM, h.tcp4,
	    H_WAIT_MS));
	ck_assert(harness_wait_bindable(AF_INET6, SOCK_STREAM, h.tcp6,
	    H_WAIT_MS));
	ck_assert(harness_wait_bindable(AF_INET, SOCK_DGRAM, h.udp4,
	    H_WAIT_MS));
	ck_assert(harness_wait_bindable(AF_INET6, SOCK_DGRAM, h.udp6,
	    H_WAIT_MS));
	harness_finish(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("workers");
	TCase *tc = tcase_create("workers");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, workers_match_configuration_and_drop_privileges);
	tcase_add_test(tc, workers_no_udp_worker_without_udp_listener);
	tcase_add_test(tc, workers_killed_tcp_worker_is_respawned);
	tcase_add_test(tc, workers_killed_udp_worker_is_respawned);
	tcase_add_test(tc, workers_respawn_backs_off_per_slot);
	tcase_add_test(tc, workers_exit_when_master_is_killed);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
