/* check_scoreboard.c: slots, idlers, and counts that never go backwards. */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "scoreboard.h"

/* Only a sleeping TCP worker of the same generation, with fewer, counts. */
START_TEST(scoreboard_idler_sleeps_armed_with_fewer_connections)
{
	struct scoreboard *sb = scoreboard_create(NULL, 8, (gid_t)-1);
	int a, b, c, u;

	ck_assert_ptr_nonnull(sb);
	a = scoreboard_claim(sb, 1, SB_TCP, 0);
	b = scoreboard_claim(sb, 1, SB_TCP, 1);
	c = scoreboard_claim(sb, 2, SB_TCP, 0);
	u = scoreboard_claim(sb, 1, SB_UDP, 0);
	ck_assert(a >= 0 && b >= 0 && c >= 0 && u >= 0);
	ck_assert(!scoreboard_has_idler(sb, a, 5));	/* nobody waits */
	scoreboard_set_conns(sb, b, 2);
	scoreboard_set_waiting(sb, b, true);
	ck_assert(scoreboard_has_idler(sb, a, 3));
	ck_assert(!scoreboard_has_idler(sb, a, 2));	/* not fewer */
	ck_assert(!scoreboard_has_idler(sb, b, 9));	/* not oneself */
	scoreboard_set_waiting(sb, c, true);
	scoreboard_set_waiting(sb, u, true);
	scoreboard_set_waiting(sb, b, false);
	/* Another generation's worker and the UDP worker are not idlers. */
	ck_assert(!scoreboard_has_idler(sb, a, 9));
	scoreboard_destroy(sb);
}
END_TEST

/* A worker's counts join the retired totals when its slot is released. */
START_TEST(scoreboard_totals_survive_release)
{
	struct scoreboard *sb = scoreboard_create(NULL, 4, (gid_t)-1);
	struct sb_snapshot ss;
	int a, b;

	a = scoreboard_claim(sb, 1, SB_TCP, 0);
	b = scoreboard_claim(sb, 1, SB_TCP, 1);
	scoreboard_set_pid(sb, a, 100);
	scoreboard_count(sb, a, STAT_TCP_ACCEPTED, 3);
	scoreboard_count(sb, b, STAT_TCP_ACCEPTED, 4);
	scoreboard_count(sb, a, STAT_TCP_BYTES, 1000);
	ck_assert_uint_eq(scoreboard_counted(sb, a, STAT_TCP_ACCEPTED), 3);
	ck_assert_int_eq(scoreboard_snapshot(sb, &ss), 0);
	ck_assert_int_eq(ss.nw, 2);
	ck_assert_uint_eq(ss.total[STAT_TCP_ACCEPTED], 7);
	ck_assert_int_eq(ss.w[0].pid, 100);
	scoreboard_snapshot_free(&ss);
	scoreboard_release(sb, a);
	ck_assert_int_eq(scoreboard_snapshot(sb, &ss), 0);
	ck_assert_int_eq(ss.nw, 1);
	ck_assert_uint_eq(ss.total[STAT_TCP_ACCEPTED], 7);
	ck_assert_uint_eq(ss.total[STAT_TCP_BYTES], 1000);
	scoreboard_snapshot_free(&ss);
	/* A reused slot starts from zero. */
	ck_assert_int_eq(scoreboard_claim(sb, 2, SB_TCP, 0), a);
	ck_assert_uint_eq(scoreboard_counted(sb, a, STAT_TCP_ACCEPTED), 0);
	scoreboard_destroy(sb);
}
END_TEST

/* A full table says so instead of sharing a slot. */
START_TEST(scoreboard_claim_fails_when_full)
{
	struct scoreboard *sb = scoreboard_create(NULL, 2, (gid_t)-1);

	ck_assert_int_eq(scoreboard_claim(sb, 1, SB_TCP, 0), 0);
	ck_assert_int_eq(scoreboard_claim(sb, 1, SB_TCP, 1), 1);
	ck_assert_int_eq(scoreboard_claim(sb, 1, SB_TCP, 2), -1);
	scoreboard_release(sb, 0);
	ck_assert_int_eq(scoreboard_claim(sb, 1, SB_TCP, 2), 0);
	scoreboard_destroy(sb);
}
END_TEST

/*
 * The file is what `echod -s` reads: opened read-only, it shows what the
 * master wrote; a symlink at the path is replaced, never followed.
 */
START_TEST(scoreboard_file_is_read_by_others)
{
	char dir[] = "/tmp/check_sb.XXXXXX", path[64], victim[64];
	struct scoreboard *sb, *ro;
	struct sb_snapshot ss;
	FILE *f;
	int a;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	(void)snprintf(path, sizeof(path), "%s/echod.status", dir);
	(void)snprintf(victim, sizeof(victim), "%s/victim", dir);
	ck_assert_ptr_nonnull(f = fopen(victim, "w"));
	(void)fputs("keep", f);
	(void)fclose(f);
	ck_assert_int_eq(symlink(victim, path), 0);
	ck_assert_ptr_nonnull(sb = scoreboard_create(path, 4, (gid_t)-1));
	scoreboard_set_master(sb, 42, "9.9");
	scoreboard_set_serving_gen(sb, 3, 2);
	scoreboard_count_master(sb, MSTAT_RELOADS);
	a = scoreboard_claim(sb, 3, SB_UDP, 0);
	scoreboard_count(sb, a, STAT_UDP_ECHOED, 5);
	ck_assert_ptr_nonnull(ro = scoreboard_open(path));
	ck_assert_int_eq(scoreboard_snapshot(ro, &ss), 0);
	ck_assert_int_eq(ss.master_pid, 42);
	ck_assert_str_eq(ss.version, "9.9");
	ck_assert_int_eq(ss.generation, 3);
	ck_assert_int_eq(ss.tcp_workers, 2);
	ck_assert_uint_eq(ss.mstat[MSTAT_RELOADS], 1);
	ck_assert_uint_eq(ss.total[STAT_UDP_ECHOED], 5);
	ck_assert_int_eq(ss.w[0].kind, SB_UDP);
	scoreboard_snapshot_free(&ss);
	scoreboard_destroy(ro);
	ck_assert_ptr_nonnull(f = fopen(victim, "r"));
	ck_assert_int_eq(fgetc(f), 'k');
	(void)fclose(f);
	scoreboard_unlink(sb);
	ck_assert_int_eq(access(path, F_OK), -1);
	scoreboard_destroy(sb);
	ck_assert_ptr_null(scoreboard_open(path));
	(void)unlink(victim);
	(void)rmdir(dir);
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
	tcase_add_test(tc, scoreboard_totals_survive_release);
	tcase_add_test(tc, scoreboard_claim_fails_when_full);
	tcase_add_test(tc, scoreboard_file_is_read_by_others);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
