/* check_log.c: log rate limiting, level and facility names, errno kept. */

#include <errno.h>
#include <stdlib.h>
#include <syslog.h>

#include <check.h>

#include "log.h"

START_TEST(log_ratelimit_allows_once_per_interval)
{
	struct log_ratelimit rl = { .interval_ms = 1000 };
	uint64_t suppressed = 99;

	ck_assert(log_ratelimit_allow(&rl, 5000, &suppressed));
	ck_assert_uint_eq(suppressed, 0);
	ck_assert(!log_ratelimit_allow(&rl, 5001, &suppressed));
	ck_assert(!log_ratelimit_allow(&rl, 5999, &suppressed));
	ck_assert(log_ratelimit_allow(&rl, 6000, &suppressed));
	ck_assert_uint_eq(suppressed, 2);	/* the two held back */
	ck_assert(!log_ratelimit_allow(&rl, 6500, &suppressed));
}
END_TEST

START_TEST(log_names_map_to_syslog_values)
{
	ck_assert_int_eq(log_level_from_name("debug"), LOG_DEBUG);
	ck_assert_int_eq(log_level_from_name("warning"), LOG_WARNING);
	ck_assert_int_eq(log_level_from_name("err"), LOG_ERR);
	ck_assert_int_eq(log_level_from_name("loud"), -1);
	ck_assert_int_eq(log_facility_from_name("daemon"), LOG_DAEMON);
	ck_assert_int_eq(log_facility_from_name("local7"), LOG_LOCAL7);
	ck_assert_int_eq(log_facility_from_name("kern"), -1);
}
END_TEST

/* Logging between a failed call and its caller's check must not lose errno. */
START_TEST(log_keeps_errno)
{
	log_init("check_log", LOG_TO_SYSLOG);
	log_configure(LOG_USER, LOG_DEBUG);
	errno = ECONNRESET;
	log_warn("test %d", 1);
	ck_assert_int_eq(errno, ECONNRESET);
	log_info("test %d", 2);
	ck_assert_int_eq(errno, ECONNRESET);
	log_debug("test %d", 3);
	ck_assert_int_eq(errno, ECONNRESET);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, log_ratelimit_allows_once_per_interval);
	tcase_add_test(tc, log_names_map_to_syslog_values);
	tcase_add_test(tc, log_keeps_errno);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
