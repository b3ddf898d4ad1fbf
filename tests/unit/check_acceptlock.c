/* check_acceptlock.c: the accept lock excludes, and survives a dead holder. */

#include <sys/types.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <check.h>

#include "acceptlock.h"

static const enum acceptlock_kind kinds[] = { ACCEPTLOCK_MUTEX,
	ACCEPTLOCK_FCNTL };

/* Run acceptlock_try in a child process and return its result. */
static int
try_in_child(struct acceptlock *al)
{
	pid_t pid;
	int st;

	if ((pid = fork()) == 0)
		_exit(acceptlock_try(al) + 1);
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st) - 1;
}

START_TEST(acceptlock_excludes_other_processes)
{
	struct acceptlock *al = acceptlock_create(kinds[_i]);

	ck_assert_ptr_nonnull(al);
	ck_assert_int_eq(acceptlock_try(al), 1);
	ck_assert_int_eq(try_in_child(al), 0);
	acceptlock_release(al);
	ck_assert_int_eq(try_in_child(al), 1);
	acceptlock_destroy(al);
}
END_TEST

/*
 * A holder SIGKILLed mid-accept: the next worker must get the lock at once
 * (EOWNERDEAD for the mutex, the kernel's cleanup for fcntl).
 */
START_TEST(acceptlock_recovers_from_killed_holder)
{
	struct acceptlock *al = acceptlock_create(kinds[_i]);
	int p[2], st, got = 0, i;
	char c;
	pid_t pid;

	ck_assert_ptr_nonnull(al);
	ck_assert_int_eq(pipe(p), 0);
	if ((pid = fork()) == 0) {
		if (acceptlock_try(al) != 1)
			_exit(1);
		(void)write(p[1], "x", 1);
		for (;;)
			pause();
	}
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	ck_assert_int_eq(acceptlock_try(al), 0);	/* really held */
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	/* Bounded: 100 tries, 1 ms apart; recovery must be immediate. */
	for (i = 0; i < 100 && got != 1; i++) {
		got = acceptlock_try(al);
		if (got != 1)
			(void)usleep(1000);
	}
	ck_assert_int_eq(got, 1);
	ck_assert_int_eq(i, 1);
	if (kinds[_i] == ACCEPTLOCK_MUTEX)
		ck_assert(acceptlock_recovered(al));
	acceptlock_release(al);
	/* Consistent again: an ordinary lock and unlock work. */
	ck_assert_int_eq(try_in_child(al), 1);
	acceptlock_destroy(al);
	(void)close(p[0]);
	(void)close(p[1]);
}
END_TEST

START_TEST(acceptlock_none_always_grants)
{
	struct acceptlock *al = acceptlock_create(ACCEPTLOCK_NONE);

	ck_assert_ptr_nonnull(al);
	ck_assert_int_eq(acceptlock_try(al), 1);
	ck_assert_int_eq(try_in_child(al), 1);
	acceptlock_release(al);
	acceptlock_destroy(al);
}
END_TEST

START_TEST(acceptlock_names_round_trip)
{
	ck_assert_int_eq(acceptlock_from_name("mutex"), ACCEPTLOCK_MUTEX);
	ck_assert_int_eq(acceptlock_from_name("fcntl"), ACCEPTLOCK_FCNTL);
	ck_assert_int_eq(acceptlock_from_name("none"), ACCEPTLOCK_NONE);
	ck_assert_int_eq(acceptlock_from_name("sysv"), -1);
	ck_assert_str_eq(acceptlock_name(ACCEPTLOCK_FCNTL), "fcntl");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("acceptlock");
	TCase *tc = tcase_create("acceptlock");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, acceptlock_excludes_other_processes, 0, 2);
	tcase_add_loop_test(tc, acceptlock_recovers_from_killed_holder, 0, 2);
	tcase_add_test(tc, acceptlock_none_always_grants);
	tcase_add_test(tc, acceptlock_names_round_trip);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
