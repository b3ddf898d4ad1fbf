/* check_scoreboard.c: who counts as an idle worker to leave a connection to. */

#include <sys/wait.h>

#include <stdlib.h>
#include <unistd.h>

#include <check.h>

#include "scoreboard.h"

START_TEST(scoreboard_idler_sleeps_armed_with_fewer_connections)
{
	struct scoreboard *sb = scoreboard_create(3);

	ck_assert_ptr_nonnull(sb);
	ck_assert(!scoreboard_has_idler(sb, 0, 5));	/* nobody waits */
	scoreboard_set_conns(sb, 1, 2);
	scoreboard_set_waiting(sb, 1, true);
	ck_assert(scoreboard_has_idler(sb, 0, 3));
	ck_assert(!scoreboard_has_idler(sb, 0, 2));	/* not fewer */
	ck_assert(!scoreboard_has_idler(sb, 1, 9));	/* not oneself */
	scoreboard_set_waiting(sb, 1, false);		/* busy, not idle */
	ck_assert(!scoreboard_has_idler(sb, 0, 3));
	scoreboard_set_waiting(sb, 2, true);
	ck_assert(scoreboard_has_idler(sb, 0, 1));	/* slot 2 has 0 */
	/* A dead worker's slot is cleared so it is never waited for. */
	scoreboard_clear(sb, 2);
	ck_assert(!scoreboard_has_idler(sb, 0, 1));
	scoreboard_destroy(sb);
}
END_TEST

/* The slots are shared: what a child publishes, the parent reads. */
START_TEST(scoreboard_is_shared_across_fork)
{
	struct scoreboard *sb = scoreboard_create(2);
	pid_t pid;
	int st;

	ck_assert_ptr_nonnull(sb);
	if ((pid = fork()) == 0) {
		scoreboard_set_conns(sb, 1, 0);
		scoreboard_set_waiting(sb, 1, true);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(scoreboard_has_idler(sb, 0, 1));
	scoreboard_destroy(sb);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("scoreboard");
	TCase *tc = tcase_create("scoreboard");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, scoreboard_idler_sleeps_armed_with_fewer_connections);
	tcase_add_test(tc, scoreboard_is_shared_across_fork);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
