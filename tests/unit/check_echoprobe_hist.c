/* check_echoprobe_hist.c: echoprobe's log-bucket histogram and percentiles. */

#include <stdint.h>
#include <stdlib.h>

#include <check.h>

#include "hist.h"

START_TEST(hist_counts_small_values_exactly)
{
	struct hist *h = malloc(sizeof(*h));
	uint64_t v;

	hist_init(h);
	for (v = 0; v < HIST_SUB; v++)
		hist_record(h, v);
	ck_assert_uint_eq(h->total, HIST_SUB);
	/* The 512th of 1024 values, counting from 0, is 511. */
	ck_assert_uint_eq(hist_percentile(h, 50), 511);
	ck_assert_uint_eq(hist_percentile(h, 100), HIST_SUB - 1);
	ck_assert_uint_eq(hist_percentile(h, 0.0001), 0);
	free(h);
}
END_TEST

START_TEST(hist_buckets_are_contiguous_and_precise)
{
	unsigned int idx, prev = 0;
	uint64_t v, high;

	for (v = 1; v < (UINT64_C(1) << HIST_MAX_BITS); v += v / 97 + 1) {
		idx = hist_index(v);
		ck_assert_uint_lt(idx, HIST_BUCKETS);
		ck_assert_uint_ge(idx, prev);
		high = hist_bucket_high(idx);
		ck_assert_uint_ge(high, v);
		/* Within 1/HIST_HALF of the value: three significant digits. */
		ck_assert_uint_le(high - v, v / HIST_HALF);
		prev = idx;
	}
	ck_assert_uint_eq(hist_index((UINT64_C(1) << HIST_MAX_BITS) - 1),
	    HIST_BUCKETS - 1);
	ck_assert_uint_eq(hist_index(UINT64_MAX), HIST_BUCKETS - 1);
}
END_TEST

START_TEST(hist_percentiles_of_a_uniform_run)
{
	struct hist *h = malloc(sizeof(*h));
	static const struct {
		double		 q;
		uint64_t	 want;
	} cases[] = {
		{ 50, 500000 }, { 90, 900000 }, { 99, 990000 },
		{ 99.9, 999000 }, { 100, 1000000 },
	};
	uint64_t v, got;
	size_t i;

	hist_init(h);
	for (v = 1; v <= 1000000; v++)
		hist_record(h, v * 1000);	/* 1 us .. 1 s */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = hist_percentile(h, cases[i].q) / 1000;
		ck_assert_uint_ge(got, cases[i].want);
		ck_assert_uint_le(got, cases[i].want + cases[i].want / 256);
	}
	ck_assert_uint_eq(h->min, 1000);
	ck_assert_uint_eq(h->max, UINT64_C(1000000000));
	free(h);
}
END_TEST

START_TEST(hist_merge_equals_one_histogram)
{
	struct hist *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct hist *all = malloc(sizeof(*all));
	static const double qs[] = { 1, 50, 90, 99, 99.9, 100 };
	uint64_t v;
	size_t i;

	hist_init(a);
	hist_init(b);
	hist_init(all);
	for (v = 1; v < 200000; v += 7) {
		hist_record(v % 2 ? a : b, v * 313);
		hist_record(all, v * 313);
	}
	hist_merge(a, b);
	ck_assert_uint_eq(a->total, all->total);
	ck_assert_uint_eq(a->min, all->min);
	ck_assert_uint_eq(a->max, all->max);
	for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		ck_assert_uint_eq(hist_percentile(a, qs[i]),
		    hist_percentile(all, qs[i]));
	free(a);
	free(b);
	free(all);
}
END_TEST

START_TEST(hist_empty_and_bounded)
{
	struct hist *h = malloc(sizeof(*h));

	hist_init(h);
	ck_assert_uint_eq(hist_percentile(h, 99), 0);
	/* Memory does not grow with samples: a fixed array, under 256 KiB. */
	ck_assert_uint_lt(sizeof(struct hist), 256 * 1024);
	hist_record(h, 5);
	ck_assert_uint_eq(hist_percentile(h, 99.9), 5);
	free(h);
}
END_TEST

static Suite *
hist_suite(void)
{
	Suite *s = suite_create("echoprobe_hist");
	TCase *tc = tcase_create("hist");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, hist_counts_small_values_exactly);
	tcase_add_test(tc, hist_buckets_are_contiguous_and_precise);
	tcase_add_test(tc, hist_percentiles_of_a_uniform_run);
	tcase_add_test(tc, hist_merge_equals_one_histogram);
	tcase_add_test(tc, hist_empty_and_bounded);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(hist_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
