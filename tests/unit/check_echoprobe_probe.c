/* check_echoprobe_probe.c: probe bytes: header round trip and verification. */

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "probe.h"

START_TEST(probe_header_round_trips)
{
	struct probe_hdr h = { 0xdeadbeef, 123456789012345ULL, 42 }, got;
	unsigned char buf[100];

	probe_fill(buf, sizeof(buf), &h);
	ck_assert(probe_parse(buf, sizeof(buf), 0xdeadbeef, &got));
	ck_assert_uint_eq(got.seq, h.seq);
	ck_assert_uint_eq(got.sent_ns, h.sent_ns);
	ck_assert_int_eq(probe_diff(buf, sizeof(buf), &h), -1);
	/* Another run's probes, or a short one, are not ours. */
	ck_assert(!probe_parse(buf, sizeof(buf), 0xdeadbeee, &got));
	ck_assert(!probe_parse(buf, PROBE_HDR_LEN - 1, 0xdeadbeef, &got));
}
END_TEST

START_TEST(probe_diff_finds_the_first_wrong_byte)
{
	struct probe_hdr h = { 1, 7, 99 }, other = { 1, 8, 99 };
	unsigned char buf[300];

	probe_fill(buf, sizeof(buf), &h);
	buf[250] ^= 1;
	buf[260] ^= 1;
	ck_assert_int_eq(probe_diff(buf, sizeof(buf), &h), 250);
	/* Another probe's bytes differ already in the header's seq. */
	probe_fill(buf, sizeof(buf), &other);
	ck_assert_int_eq(probe_diff(buf, sizeof(buf), &h), 15);
}
END_TEST

START_TEST(probe_shorter_than_header_still_verifies)
{
	struct probe_hdr h = { 9, 3, 5 };
	unsigned char buf[10];

	probe_fill(buf, sizeof(buf), &h);
	ck_assert_int_eq(probe_diff(buf, sizeof(buf), &h), -1);
	ck_assert(memcmp(buf, "EPRB", 4) == 0);
}
END_TEST

static Suite *
probe_suite(void)
{
	Suite *s = suite_create("echoprobe_probe");
	TCase *tc = tcase_create("probe");

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, probe_header_round_trips);
	tcase_add_test(tc, probe_diff_finds_the_first_wrong_byte);
	tcase_add_test(tc, probe_shorter_than_header_still_verifies);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(probe_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
