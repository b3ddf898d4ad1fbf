/* check_options.c: the real command line: -t, -V, -h, usage errors. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "harness.h"

#define USAGE_LINE	"usage: echod [-ftVh] [-c file]\n"

/* -t on a good file: one line on stdout, status 0, nothing started. */
START_TEST(options_test_accepts_good_file)
{
	const char *args[] = { "-t", "-c", NULL, NULL };
	char out[2048], want[256];
	struct harness h;

	harness_init(&h);
	harness_write_config(&h, H_ALL, "workers = 2;\n"
	    "tcp = { idle_timeout = 5; accept_lock = \"fcntl\"; };\n"
	    "udp = { deny_source_ports = ( \"0-1023\", 2049 ); };");
	args[2] = h.conf;
	ck_assert_int_eq(harness_run(args, out, sizeof(out), H_WAIT_MS), 0);
	(void)snprintf(want, sizeof(want), "echod: configuration file %s "
	    "test is successful\n", h.conf);
	ck_assert_str_eq(out, want);
	harness_finish(&h);
}
END_TEST

/* -t on a bad file: every error with file and line, then status 1. */
START_TEST(options_test_rejects_bad_file)
{
	static const struct {
		const char	*text;
		const char	*errors;	/* %1$s is the file */
	} bad[] = {
		{ "workers = 2;\ntcp = { backlog = 70000; };",
		    "echod: %1$s:2: tcp.backlog: 70000 is out of range "
		    "(1..65535)\n" },
		{ "workers = 0;\ntcp = { accept_lok = \"mutex\"; };",
		    "echod: %1$s:1: workers: 0 is out of range (1..1024)\n"
		    "echod: %1$s:2: tcp.accept_lok: unknown key (did you mean "
		    "accept_lock?)\n" },
		{ "workers = ;", "echod: %1$s:1: syntax error\n" },
	};
	const char *args[] = { "-t", "-c", NULL, NULL };
	char out[2048], want[1024];
	struct harness h;
	int n;

	harness_init(&h);
	harness_write_config(&h, H_ALL, bad[_i].text);
	args[2] = h.conf;
	ck_assert_int_eq(harness_run(args, out, sizeof(out), H_WAIT_MS), 1);
	n = snprintf(want, sizeof(want), bad[_i].errors, h.conf);
	(void)snprintf(want + n, sizeof(want) - n, "echod: configuration "
	    "file %s test failed\n", h.conf);
	ck_assert_str_eq(out, want);
	harness_finish(&h);
}
END_TEST

START_TEST(options_test_names_unreadable_file)
{
	const char *args[] = { "-t", "-c", "/nonexistent/echod.conf", NULL };
	char out[1024];

	ck_assert_int_eq(harness_run(args, out, sizeof(out), H_WAIT_MS), 1);
	ck_assert_str_eq(out, "echod: /nonexistent/echod.conf: cannot read: "
	    "No such file or directory\nechod: configuration file "
	    "/nonexistent/echod.conf test failed\n");
}
END_TEST

/* Everything that exits before reading a configuration. */
START_TEST(options_version_help_and_usage_errors)
{
	static const struct {
		const char	*args[4];
		int		 status;
		const char	*out;		/* then usage, if asked */
		bool		 usage;
	} cases[] = {
		{ { "-V" }, 0, "echod " PACKAGE_VERSION "\n", false },
		{ { "--version" }, 0, "echod " PACKAGE_VERSION "\n", false },
		{ { "-h" }, 0, "", true },
		{ { "--help" }, 0, "", true },
		{ { "-x" }, 1, "echod: unknown option -x\n", true },
		{ { "--bogus" }, 1, "echod: unknown option --bogus\n", true },
		{ { "-c" }, 1, "echod: option -c needs a file name\n", true },
		{ { "-f", "extra" }, 1,
		    "echod: unexpected argument \"extra\"\n", true },
	};
	char out[4096];
	size_t i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(harness_run(cases[i].args, out, sizeof(out),
		    H_WAIT_MS), cases[i].status);
		n = strlen(cases[i].out);
		ck_assert_msg(strncmp(out, cases[i].out, n) == 0,
		    "%s: output %s", cases[i].args[0], out);
		if (cases[i].usage) {
			ck_assert_msg(strncmp(out + n, USAGE_LINE,
			    strlen(USAGE_LINE)) == 0, "%s: no usage after "
			    "the message: %s", cases[i].args[0], out);
			ck_assert_ptr_nonnull(strstr(out, "-t, --test"));
		} else
			ck_assert_str_eq(out + n, "");
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("options");
	TCase *tc = tcase_create("options");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, options_test_accepts_good_file);
	tcase_add_loop_test(tc, options_test_rejects_bad_file, 0, 3);
	tcase_add_test(tc, options_test_names_unreadable_file);
	tcase_add_test(tc, options_version_help_and_usage_errors);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
