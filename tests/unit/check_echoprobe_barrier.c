/* check_echoprobe_barrier.c: hold runs' jobs wait for each other to open. */

#include <sys/wait.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "barrier.h"
#include "clock.h"

START_TEST(barrier_opens_when_the_last_job_arrives)
{
	struct barrier *b;

	ck_assert_ptr_nonnull(b = barrier_create(3));
	ck_assert_uint_eq(barrier_open_ns(b), 0);
	barrier_arrive(b, 0, 100);
	/* A job and the parent may both arrive for it: it counts once. */
	barrier_arrive(b, 0, 150);
	barrier_arrive(b, 2, 200);
	ck_assert_uint_eq(barrier_open_ns(b), 0);
	/* Jobs that do not exist count for nothing. */
	barrier_arrive(b, -1, 250);
	barrier_arrive(b, 3, 250);
	ck_assert_uint_eq(barrier_open_ns(b), 0);
	barrier_arrive(b, 1, 300);
	ck_assert_uint_eq(barrier_open_ns(b), 300);
	/* The time is the last arrival's, whatever comes after. */
	barrier_arrive(b, 1, 400);
	ck_assert_uint_eq(barrier_open_ns(b), 300);
	barrier_destroy(b);
	barrier_arrive(NULL, 0, 1);	/* a run without a hold has none */
}
END_TEST

/* Returns the child's exit code, or -1. */
static int
child_status(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * Across processes: a waiting job sees the barrier open once one job
 * has arrived itself and the parent has arrived for another that died.
 */
START_TEST(barrier_is_shared_with_forked_jobs)
{
	struct barrier *b;
	uint64_t deadline;
	pid_t waiter, done;

	ck_assert_ptr_nonnull(b = barrier_create(3));
	if ((waiter = fork()) == 0) {
		barrier_arrive(b, 2, 10);
		deadline = clock_now_ns() + UINT64_C(10000000000);
		while (barrier_open_ns(b) == 0 && clock_now_ns() < deadline)
			(void)usleep(1000);
		_exit(barrier_open_ns(b) == 30 ? 0 : 1);
	}
	ck_assert_int_ne(waiter, -1);
	if ((done = fork()) == 0) {
		barrier_arrive(b, 0, 20);
		_exit(0);
	}
	ck_assert_int_ne(done, -1);
	ck_assert_int_eq(child_status(done), 0);
	/* As jobs_read does when a job's pipe closes, result or not. */
	barrier_arrive(b, 0, 25);
	ck_assert_uint_eq(barrier_open_ns(b), 0);
	barrier_arrive(b, 1, 30);
	ck_assert_int_eq(child_status(waiter), 0);
	ck_assert_uint_eq(barrier_open_ns(b), 30);
	barrier_destroy(b);
}
END_TEST

static Suite *
barrier_suite(void)
{
	Suite *s = suite_create("echoprobe_barrier");
	TCase *tc = tcase_create("barrier");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, barrier_opens_when_the_last_job_arrives);
	tcase_add_test(tc, barrier_is_shared_with_forked_jobs);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(barrier_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
