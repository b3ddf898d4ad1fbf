/* check_ratelimit.c: token buckets and the per-source table. */

#include <sys/socket.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdlib.h>

#include <check.h>

#include "ratelimit.h"

static struct addr_key
key(uint32_t ip)
{
	struct addr_key k = { 0, UINT64_C(0xffff) << 32 | ip };

	return k;
}

START_TEST(bucket_allows_burst_then_rate)
{
	struct token_bucket tb;
	int i;

	token_bucket_fill(&tb, 5, 1000);
	for (i = 0; i < 5; i++)
		ck_assert(token_bucket_take(&tb, 10, 5, 1000));
	ck_assert(!token_bucket_take(&tb, 10, 5, 1000));
	/* 10 a second: one more every 100 ms, none before. */
	ck_assert(!token_bucket_take(&tb, 10, 5, 1099));
	ck_assert(token_bucket_take(&tb, 10, 5, 1100));
	ck_assert(!token_bucket_take(&tb, 10, 5, 1100));
}
END_TEST

START_TEST(bucket_refills_no_more_than_burst)
{
	struct token_bucket tb;
	int i;

	token_bucket_fill(&tb, 3, 0);
	for (i = 0; i < 3; i++)
		ck_assert(token_bucket_take(&tb, 1000000, 3, 0));
	/* A day later, with the largest rate: still only the burst. */
	for (i = 0; i < 3; i++)
		ck_assert(token_bucket_take(&tb, 1000000, 3, 86400000));
	ck_assert(!token_bucket_take(&tb, 1000000, 3, 86400000));
}
END_TEST

START_TEST(bucket_time_going_backwards_adds_nothing)
{
	struct token_bucket tb;

	token_bucket_fill(&tb, 1, 5000);
	ck_assert(token_bucket_take(&tb, 1, 1, 5000));
	ck_assert(!token_bucket_take(&tb, 1, 1, 4000));
}
END_TEST

START_TEST(table_limits_each_source_apart)
{
	struct ratelimit *rl = ratelimit_create(1024, 1, 2);
	struct addr_key a = key(0x0a000001), b = key(0x0a000002);

	ck_assert_ptr_nonnull(rl);
	ck_assert(ratelimit_allow(rl, &a, 0));
	ck_assert(ratelimit_allow(rl, &a, 0));
	ck_assert(!ratelimit_allow(rl, &a, 0));
	ck_assert(ratelimit_allow(rl, &b, 0));
	ck_assert(ratelimit_allow(rl, &b, 0));
	ck_assert(!ratelimit_allow(rl, &b, 0));
	ck_assert(ratelimit_allow(rl, &a, 1000));
	ratelimit_destroy(rl);
}
END_TEST

/*
 * Many more sources than entries: the table keeps working, and a source
 * seen again at once is still remembered (the evicted are the oldest).
 */
START_TEST(table_evicts_the_least_recent)
{
	struct ratelimit *rl = ratelimit_create(64, 1, 1);
	struct addr_key hot = key(0x0a0000ff), k;
	uint32_t i;

	ck_assert_ptr_nonnull(rl);
	ck_assert(ratelimit_allow(rl, &hot, 0));
	for (i = 0; i < 100000; i++) {
		k = key(0x0b000000 + i);
		ck_assert(ratelimit_allow(rl, &k, 1 + i / 1000));
		/* hot is refused each time: over its rate, and remembered. */
		if (i % 8 == 0)
			ck_assert(!ratelimit_allow(rl, &hot, 1 + i / 1000));
	}
	ratelimit_destroy(rl);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("ratelimit");
	TCase *tc = tcase_create("ratelimit");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, bucket_allows_burst_then_rate);
	tcase_add_test(tc, bucket_refills_no_more_than_burst);
	tcase_add_test(tc, bucket_time_going_backwards_adds_nothing);
	tcase_add_test(tc, table_limits_each_source_apart);
	tcase_add_test(tc, table_evicts_the_least_recent);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
