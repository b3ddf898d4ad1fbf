/* check_cmdline.c: echod's option parsing. */

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "cmdline.h"

static void
parse(struct cmdline *cl, const char *a0, const char *a1, const char *a2,
    const char *a3)
{
	char *argv[] = { (char *)a0, (char *)a1, (char *)a2, (char *)a3, NULL };
	int argc = 0;

	while (argv[argc] != NULL)
		argc++;
	cmdline_parse(argc, argv, cl);
}

START_TEST(cmdline_defaults)
{
	struct cmdline cl;

	parse(&cl, "echod", NULL, NULL, NULL);
	ck_assert_int_eq(cl.action, CMDLINE_RUN);
	ck_assert(!cl.foreground);
	ck_assert_str_eq(cl.config_path, ECHOD_CONFIG_FILE);
}
END_TEST

START_TEST(cmdline_short_options)
{
	struct cmdline cl;

	parse(&cl, "echod", "-f", "-c", "/tmp/x.conf");
	ck_assert_int_eq(cl.action, CMDLINE_RUN);
	ck_assert(cl.foreground);
	ck_assert_str_eq(cl.config_path, "/tmp/x.conf");
	parse(&cl, "echod", "-tc", "/a", NULL);
	ck_assert_int_eq(cl.action, CMDLINE_TEST);
	ck_assert_str_eq(cl.config_path, "/a");
	parse(&cl, "echod", "-V", NULL, NULL);
	ck_assert_int_eq(cl.action, CMDLINE_VERSION);
	parse(&cl, "echod", "-h", NULL, NULL);
	ck_assert_int_eq(cl.action, CMDLINE_HELP);
}
END_TEST

START_TEST(cmdline_long_options)
{
	struct cmdline cl;

	parse(&cl, "echod", "--foreground", "--config=/b", "--test");
	ck_assert_int_eq(cl.action, CMDLINE_TEST);
	ck_assert(cl.foreground);
	ck_assert_str_eq(cl.config_path, "/b");
	parse(&cl, "echod", "--config", "/c", "--version");
	ck_assert_int_eq(cl.action, CMDLINE_VERSION);
	ck_assert_str_eq(cl.config_path, "/c");
	parse(&cl, "echod", "--help", NULL, NULL);
	ck_assert_int_eq(cl.action, CMDLINE_HELP);
}
END_TEST

START_TEST(cmdline_errors_say_why)
{
	struct cmdline cl;

	parse(&cl, "echod", "-x", NULL, NULL);
	ck_assert_int_eq(cl.action, CMDLINE_ERROR);
	ck_assert_str_eq(cl.error, "unknown option -x");
	parse(&cl, "echod", "-c", NULL, NULL);
	ck_assert_int_eq(cl.action, CMDLINE_ERROR);
	ck_assert_str_eq(cl.error, "option -c needs a file name");
	parse(&cl, "echod", "--bogus", NULL, NULL);
	ck_assert_int_eq(cl.action, CMDLINE_ERROR);
	ck_assert_str_eq(cl.error, "unknown option --bogus");
	parse(&cl, "echod", "-f", "extra", NULL);
	ck_assert_int_eq(cl.action, CMDLINE_ERROR);
	ck_assert_str_eq(cl.error, "unexpected argument \"extra\"");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("cmdline");
	TCase *tc = tcase_create("cmdline");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, cmdline_defaults);
	tcase_add_test(tc, cmdline_short_options);
	tcase_add_test(tc, cmdline_long_options);
	tcase_add_test(tc, cmdline_errors_say_why);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
