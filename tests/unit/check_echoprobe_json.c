/* check_echoprobe_json.c: the JSON writer: nesting, escaping, numbers. */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <check.h>

#include "json.h"

START_TEST(json_nests_and_separates_members)
{
	struct json j;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	json_begin(&j, f);
	json_str(&j, "mode", "probe");
	json_int(&j, "n", -3);
	json_object(&j, "rtt_ms");
	json_double(&j, "min", 0.052);
	json_uint(&j, "count", 18446744073709551615ULL);
	json_close(&j);
	json_bool(&j, "ok", true);
	json_end(&j);
	(void)fclose(f);
	ck_assert_str_eq(buf, "{\"mode\":\"probe\",\"n\":-3,\"rtt_ms\":"
	    "{\"min\":0.052,\"count\":18446744073709551615},\"ok\":true}\n");
	free(buf);
}
END_TEST

START_TEST(json_escapes_what_users_type)
{
	struct json j;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	json_begin(&j, f);
	json_str(&j, "host", "a\"b\\c\n\x01");
	json_double(&j, "nan", NAN);
	json_end(&j);
	(void)fclose(f);
	ck_assert_str_eq(buf,
	    "{\"host\":\"a\\\"b\\\\c\\u000a\\u0001\",\"nan\":null}\n");
	free(buf);
}
END_TEST

static Suite *
json_suite(void)
{
	Suite *s = suite_create("echoprobe_json");
	TCase *tc = tcase_create("json");

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, json_nests_and_separates_members);
	tcase_add_test(tc, json_escapes_what_users_type);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(json_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
