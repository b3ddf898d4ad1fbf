/* check_log.c: log rate limiting, level and facility names, errno kept. */

#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <check.h>

#include "log.h"

/*
 * The test program's syslog() comes before libc's, so the tests see what
 * log.c would send to syslog; with _FORTIFY_SOURCE it calls __syslog_chk.
 */
void	 __syslog_chk(int, int, const char *, ...);
static int syslog_calls;

void
syslog(int pri, const char *fmt, ...)
{
	(void)pri;
	(void)fmt;
	syslog_calls++;
}

void
__syslog_chk(int pri, int flag, const char *fmt, ...)
{
	(void)pri;
	(void)flag;
	(void)fmt;
	syslog_calls++;
}

/*
 * Point stderr at a fresh file; name it (or another file) in
 * JOURNAL_STREAM as systemd does, log one warning, return what stderr got.
 */
static void
log_one_under_journal(bool stderr_is_journal, char *out, size_t out_len)
{
	char path[] = "/tmp/check_log.XXXXXX";
	struct stat st;
	char js[64];
	ssize_t n;
	int fd;

	ck_assert_int_ne(fd = mkstemp(path), -1);
	(void)unlink(path);
	ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	ck_assert_int_eq(fstat(fd, &st), 0);
	(void)snprintf(js, sizeof(js), "%ju:%ju", (uintmax_t)st.st_dev,
	    (uintmax_t)st.st_ino + (stderr_is_journal ? 0 : 1));
	ck_assert_int_eq(setenv("JOURNAL_STREAM", js, 1), 0);
	syslog_calls = 0;
	log_init("check_log", LOG_TO_STDERR | LOG_TO_SYSLOG);
	log_configure(LOG_DAEMON, LOG_INFO);
	log_warnx("disk %s", "full");
	log_debug("not at this level");
	ck_assert_int_ne(n = pread(fd, out, out_len - 1, 0), -1);
	out[n] = '\0';
	(void)close(fd);
}

/* journald collects stderr and syslog both: under it, one copy only. */
START_TEST(log_under_journal_writes_once_with_priority)
{
	char out[256];

	log_one_under_journal(true, out, sizeof(out));
	/* LOG_WARNING; journald refuses a facility in a stream's prefix. */
	ck_assert_str_eq(out, "<4>disk full\n");
	ck_assert_int_eq(syslog_calls, 0);
}
END_TEST

/* A stderr redirected elsewhere is not the journal's stream any more. */
START_TEST(log_with_stale_journal_stream_uses_both)
{
	char out[256];

	log_one_under_journal(false, out, sizeof(out));
	ck_assert_str_eq(out, "check_log: disk full\n");
	ck_assert_int_eq(syslog_calls, 1);
}
END_TEST

/* A daemon that detaches from the journal's stream goes back to syslog. */
START_TEST(log_detached_from_journal_uses_syslog)
{
	char out[256];

	log_one_under_journal(true, out, sizeof(out));
	log_set_stderr(false);
	log_warnx("after detaching");
	ck_assert_int_eq(syslog_calls, 1);
}
END_TEST

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
	tcase_add_test(tc, log_under_journal_writes_once_with_priority);
	tcase_add_test(tc, log_with_stale_journal_stream_uses_both);
	tcase_add_test(tc, log_detached_from_journal_uses_syslog);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
