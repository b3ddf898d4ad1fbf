/* check_persource.c: per-source counts shared across processes. */

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <check.h>

#include "persource.h"

static struct addr_key
key(uint32_t ip)
{
	struct addr_key k = { 0, UINT64_C(0xffff) << 32 | ip };

	return k;
}

START_TEST(persource_limits_concurrent_connections)
{
	struct persource *ps = persource_create(1024);
	struct addr_key a = key(0x0a000001), b = key(0x0a000002);
	int slot[3], other;

	ck_assert_ptr_nonnull(ps);
	ck_assert_int_eq(persource_admit(ps, &a, 2, 0, 0, &slot[0]),
	    PERSOURCE_OK);
	ck_assert_int_eq(persource_admit(ps, &a, 2, 0, 0, &slot[1]),
	    PERSOURCE_OK);
	ck_assert_int_eq(persource_admit(ps, &a, 2, 0, 0, &slot[2]),
	    PERSOURCE_LIMIT);
	ck_assert_int_eq(slot[2], -1);
	ck_assert_int_eq(persource_admit(ps, &b, 2, 0, 0, &other),
	    PERSOURCE_OK);
	ck_assert_int_eq(persource_conns(ps, &a), 2);
	persource_release(ps, slot[0]);
	ck_assert_int_eq(persource_admit(ps, &a, 2, 0, 0, &slot[0]),
	    PERSOURCE_OK);
	persource_destroy(ps);
}
END_TEST

START_TEST(persource_limits_new_connections_a_second)
{
	struct persource *ps = persource_create(1024);
	struct addr_key a = key(0x0a000001);
	int i, slot;

	ck_assert_ptr_nonnull(ps);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(persource_admit(ps, &a, 0, 3, 1000, &slot),
		    PERSOURCE_OK);
		persource_release(ps, slot);
	}
	ck_assert_int_eq(persource_admit(ps, &a, 0, 3, 1000, &slot),
	    PERSOURCE_RATE);
	ck_assert_int_eq(persource_admit(ps, &a, 0, 3, 1334, &slot),
	    PERSOURCE_OK);
	persource_destroy(ps);
}
END_TEST

START_TEST(persource_no_limit_counts_nothing)
{
	struct persource *ps = persource_create(1024);
	struct addr_key a = key(0x0a000001);
	int slot;

	ck_assert_ptr_nonnull(ps);
	ck_assert_int_eq(persource_admit(ps, &a, 0, 0, 0, &slot),
	    PERSOURCE_OK);
	ck_assert_int_eq(slot, -1);
	persource_destroy(ps);
}
END_TEST

/* A child's connections count for the parent: the table is shared. */
START_TEST(persource_is_shared_across_fork)
{
	struct persource *ps = persource_create(1024);
	struct addr_key a = key(0x0a000001);
	int slot, st;
	pid_t pid;

	ck_assert_ptr_nonnull(ps);
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0)
		_exit(persource_admit(ps, &a, 1, 0, 0, &slot) ==
		    PERSOURCE_OK ? 0 : 1);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_int_eq(persource_admit(ps, &a, 1, 0, 0, &slot),
	    PERSOURCE_LIMIT);
	/* The child died without releasing: forgetting frees the source. */
	persource_forget(ps);
	ck_assert_int_eq(persource_admit(ps, &a, 1, 0, 0, &slot),
	    PERSOURCE_OK);
	persource_destroy(ps);
}
END_TEST

/* A set full of live sources: a new one is served, uncounted. */
START_TEST(persource_full_set_fails_open)
{
	struct persource *ps = persource_create(8);	/* one set */
	struct addr_key k;
	uint32_t i;
	int slot;

	ck_assert_ptr_nonnull(ps);
	for (i = 0; i < 8; i++) {
		k = key(0x0a000000 + i);
		ck_assert_int_eq(persource_admit(ps, &k, 1, 0, 0, &slot),
		    PERSOURCE_OK);
		ck_assert_int_ge(slot, 0);
	}
	k = key(0x0b000000);
	ck_assert_int_eq(persource_admit(ps, &k, 1, 0, 0, &slot),
	    PERSOURCE_OK);
	ck_assert_int_eq(slot, -1);
	persource_destroy(ps);
}
END_TEST

/*
 * An upgrade maps the old image's table from its descriptor: the counts
 * and the seed that places them are there, a release in either mapping
 * shows in the other, and a table of another size is refused.
 */
START_TEST(persource_adopted_by_descriptor)
{
	struct persource *ps = persource_create(1024), *again;
	struct addr_key a = key(0x0a000001);
	int slot[2], fd;

	ck_assert_ptr_nonnull(ps);
	ck_assert_int_eq(persource_admit(ps, &a, 2, 0, 0, &slot[0]),
	    PERSOURCE_OK);
	ck_assert_int_eq(persource_admit(ps, &a, 2, 0, 0, &slot[1]),
	    PERSOURCE_OK);
	ck_assert_int_ge(fd = dup(persource_fd(ps)), 0);
	errno = 0;
	ck_assert_ptr_null(persource_adopt(fd, 4096));
	ck_assert_int_eq(errno, EPROTO);
	ck_assert_ptr_nonnull(again = persource_adopt(fd, 1024));
	ck_assert_int_eq(persource_fd(again), fd);
	ck_assert_int_eq(persource_conns(again, &a), 2);
	ck_assert_int_eq(persource_admit(again, &a, 2, 0, 0, &slot[1]),
	    PERSOURCE_LIMIT);
	persource_release(ps, slot[0]);
	ck_assert_int_eq(persource_conns(again, &a), 1);
	ck_assert_int_eq(persource_admit(again, &a, 2, 0, 0, &slot[0]),
	    PERSOURCE_OK);
	ck_assert_int_eq(persource_conns(ps, &a), 2);
	persource_destroy(again);
	persource_destroy(ps);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("persource");
	TCase *tc = tcase_create("persource");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, persource_limits_concurrent_connections);
	tcase_add_test(tc, persource_limits_new_connections_a_second);
	tcase_add_test(tc, persource_no_limit_counts_nothing);
	tcase_add_test(tc, persource_is_shared_across_fork);
	tcase_add_test(tc, persource_full_set_fails_open);
	tcase_add_test(tc, persource_adopted_by_descriptor);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
