/* check_echoprobe_opts.c: echoprobe's command line: modes, limits, errors. */

#include <sys/socket.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "opts.h"

#define ARGS_MAX	16

/* parse(&o, "-c", "3", "host", NULL): argv[0] is supplied. */
static void
parse(struct opts *o, ...)
{
	char *argv[ARGS_MAX + 2];
	const char *a;
	va_list ap;
	int argc = 0;

	argv[argc++] = (char *)"echoprobe";
	va_start(ap, o);
	while ((a = va_arg(ap, const char *)) != NULL && argc <= ARGS_MAX)
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	opts_parse(argc, argv, o);
}

START_TEST(opts_defaults_probe_like_ping)
{
	struct opts o;

	parse(&o, "localhost", NULL);
	ck_assert_int_eq(o.action, OPTS_RUN);
	ck_assert_int_eq(o.mode, MODE_PROBE);
	ck_assert_str_eq(o.host, "localhost");
	ck_assert_str_eq(o.port, "7");
	ck_assert_int_eq(o.family, AF_UNSPEC);
	ck_assert(!o.udp);
	ck_assert_int_eq(o.count, 0);
	ck_assert_uint_eq(o.interval_ns, 1000000000U);
	ck_assert_uint_eq(o.timeout_ns, 2000000000U);
	ck_assert_uint_eq(o.size, 64);
}
END_TEST

START_TEST(opts_probe_options)
{
	struct opts o;

	parse(&o, "-6u", "-c", "5", "-i", "0.25", "-s", "100", "-W", "1.5",
	    "-q", "--json", "h", "echo", NULL);
	ck_assert_int_eq(o.action, OPTS_RUN);
	ck_assert_int_eq(o.family, AF_INET6);
	ck_assert(o.udp);
	ck_assert(o.quiet);
	ck_assert(o.json);
	ck_assert_int_eq(o.count, 5);
	ck_assert_uint_eq(o.interval_ns, 250000000U);
	ck_assert_uint_eq(o.size, 100);
	ck_assert_uint_eq(o.timeout_ns, 1500000000U);
	ck_assert_str_eq(o.port, "echo");
	/* Options after the operands are accepted too, as ping does. */
	parse(&o, "h", "7007", "-c", "2", "--connect-each", NULL);
	ck_assert_int_eq(o.action, OPTS_RUN);
	ck_assert_int_eq(o.count, 2);
	ck_assert(o.connect_each);
	ck_assert_str_eq(o.port, "7007");
	parse(&o, "-I", "-4", "h", NULL);
	ck_assert_int_eq(o.mode, MODE_INTERACTIVE);
	ck_assert_int_eq(o.family, AF_INET);
}
END_TEST

START_TEST(opts_load_options)
{
	struct opts o;

	parse(&o, "--load", "--connections", "1000", "--pipeline", "8",
	    "--jobs", "4", "--duration", "2.5", "--size", "512",
	    "--source", "127.0.0.1,127.0.0.2,::1", "h", NULL);
	ck_assert_int_eq(o.action, OPTS_RUN);
	ck_assert_int_eq(o.mode, MODE_LOAD);
	ck_assert_int_eq(o.connections, 1000);
	ck_assert_int_eq(o.pipeline, 8);
	ck_assert_int_eq(o.jobs, 4);
	ck_assert_uint_eq(o.duration_ns, 2500000000U);
	ck_assert_uint_eq(o.size, 512);
	ck_assert_int_eq(o.nsources, 3);
	ck_assert_int_eq(o.sources[2].ss.ss_family, AF_INET6);
	/* Without --duration or --requests a load runs 10 seconds. */
	parse(&o, "--load", "h", NULL);
	ck_assert_uint_eq(o.duration_ns, 10000000000U);
	parse(&o, "--load", "--requests", "100", "-u", "--window", "16", "h",
	    NULL);
	ck_assert_int_eq(o.action, OPTS_RUN);
	ck_assert_uint_eq(o.duration_ns, 0);
	ck_assert_uint_eq(o.requests, 100);
	ck_assert_int_eq(o.window, 16);
	parse(&o, "--load", "--hold", "30", "--connections", "50000",
	    "--jobs", "8", "h", NULL);
	ck_assert_int_eq(o.action, OPTS_RUN);
	ck_assert_uint_eq(o.hold_ns, 30000000000U);
	ck_assert_uint_eq(o.duration_ns, 0);
}
END_TEST

/* FIRST-LAST ranges, both ends included, beside single addresses. */
START_TEST(opts_source_ranges)
{
	char got[ADDR_STRLEN];
	struct opts o;

	parse(&o, "--load", "--source", "127.0.0.2-127.0.0.129", "h", NULL);
	ck_assert_int_eq(o.action, OPTS_RUN);
	ck_assert_int_eq(o.nsources, 128);
	ck_assert_str_eq(addr_format((struct sockaddr *)&o.sources[0].ss,
	    got, sizeof(got)), "127.0.0.2:0");
	ck_assert_str_eq(addr_format((struct sockaddr *)&o.sources[127].ss,
	    got, sizeof(got)), "127.0.0.129:0");
	/* Across an octet, mixed with single addresses and IPv6. */
	parse(&o, "--load", "--source", "10.0.0.254-10.0.1.1,::1,"
	    "fd00::fffe-fd00::1:1,10.9.9.9-10.9.9.9", "h", NULL);
	ck_assert_int_eq(o.action, OPTS_RUN);
	ck_assert_int_eq(o.nsources, 4 + 1 + 4 + 1);
	ck_assert_str_eq(addr_format((struct sockaddr *)&o.sources[2].ss,
	    got, sizeof(got)), "10.0.1.0:0");
	ck_assert_str_eq(addr_format((struct sockaddr *)&o.sources[7].ss,
	    got, sizeof(got)), "[fd00::1:0]:0");
	ck_assert_str_eq(addr_format((struct sockaddr *)&o.sources[9].ss,
	    got, sizeof(got)), "10.9.9.9:0");
	/* The most the table holds, exactly. */
	parse(&o, "--load", "--source", "127.0.0.1-127.0.4.0", "h", NULL);
	ck_assert_int_eq(o.action, OPTS_RUN);
	ck_assert_int_eq(o.nsources, OPTS_SOURCES_MAX);
}
END_TEST

START_TEST(opts_source_range_errors)
{
	static const struct {
		const char	*list;
		const char	*error;
	} cases[] = {
		{ "127.0.0.9-127.0.0.2", "option --source: range "
		    "127.0.0.9-127.0.0.2 is reversed: its first address is "
		    "above its last" },
		{ "::2-::1", "option --source: range ::2-::1 is reversed: its "
		    "first address is above its last" },
		{ "127.0.0.1-::1", "option --source: range 127.0.0.1-::1 "
		    "mixes IPv4 and IPv6" },
		{ "127.0.0.1-127.0.4.1", "option --source: more than 1024 "
		    "addresses" },
		{ "::-ffff::", "option --source: more than 1024 addresses" },
		{ "127.0.0.1-127.0.4.0,::1", "option --source: more than "
		    "1024 addresses" },
		{ "127.0.0.1-", "option --source: \"\" is not a numeric IPv4 "
		    "or IPv6 address" },
		{ "127.0.0.1-x", "option --source: \"x\" is not a numeric "
		    "IPv4 or IPv6 address" },
		{ "-127.0.0.1", "option --source: \"\" is not a numeric IPv4 "
		    "or IPv6 address" },
		{ "1-2-3", "option --source: \"1\" is not a numeric IPv4 or "
		    "IPv6 address" },
		{ ",,", "option --source: no address given" },
	};
	struct opts o;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		parse(&o, "--load", "--source", cases[i].list, "h", NULL);
		ck_assert_msg(o.action == OPTS_ERROR, "%s accepted",
		    cases[i].list);
		ck_assert_str_eq(o.error, cases[i].error);
	}
}
END_TEST

START_TEST(opts_help_and_version)
{
	struct opts o;

	parse(&o, "-h", NULL);
	ck_assert_int_eq(o.action, OPTS_HELP);
	parse(&o, "--version", NULL);
	ck_assert_int_eq(o.action, OPTS_VERSION);
	ck_assert_ptr_nonnull(strstr(opts_usage(), "--connect-each"));
}
END_TEST

/* Every refusal names the option, the value and the rule. */
START_TEST(opts_errors_say_why)
{
	static const struct {
		const char	*a[6];
		const char	*error;
	} cases[] = {
		{ { NULL }, "no host given" },
		{ { "-x", "h" }, "unknown option -x" },
		{ { "--bogus", "h" },
		    "unknown option or missing value: --bogus" },
		{ { "h", "-c" }, "option -c needs a value" },
		{ { "-c", "abc", "h" }, "option -c: \"abc\" is not a number" },
		{ { "-c", "0", "h" },
		    "option -c: 0 is out of range (1..9223372036854775807)" },
		{ { "-s", "2000000", "h" },
		    "option -s: 2000000 is out of range (1..1048576)" },
		{ { "-u", "-s", "70000", "h" },
		    "option -s: 70000 is out of range for UDP (1..65507)" },
		{ { "-u", "-s", "8", "h" }, "option -s: 8 is too small for "
		    "UDP, whose header needs 24 bytes" },
		{ { "-i", "fast", "h" },
		    "option -i: \"fast\" is not a number of seconds" },
		{ { "-W", "0", "h" },
		    "option -W: 0 is out of range (0.001..3600 seconds)" },
		{ { "--connections", "5", "h" },
		    "option --connections needs --load" },
		{ { "--load", "-c", "5", "h" },
		    "option -c is for probes; use --requests with --load" },
		{ { "--load", "-i", "0.5", "h" }, "option -i is for probes; "
		    "--load sends as fast as the server answers" },
		{ { "--load", "-q", "h" }, "option -q is for probes; --load "
		    "sends as fast as the server answers" },
		{ { "-I", "-c", "3", "h" }, "option -c cannot be used with "
		    "-I, which sends what you type" },
		{ { "-I", "-s", "100", "h" }, "option -s cannot be used with "
		    "-I, which sends what you type" },
		{ { "-I", "-q", "h" }, "option -q cannot be used with -I, "
		    "which sends what you type" },
		{ { "--load", "-u", "--pipeline", "2", "h" },
		    "option --pipeline is for TCP; use --window with -u" },
		{ { "--load", "--window", "2", "h" },
		    "option --window is for UDP; use --pipeline with TCP" },
		{ { "-u", "--connect-each", "h" }, "option --connect-each is "
		    "for TCP; it cannot be used with -u" },
		{ { "--load", "--jobs", "4", "h" }, "option --jobs: 4 jobs for "
		    "1 connections; every job needs one" },
		{ { "--load", "--source", "example.com", "h" },
		    "option --source: \"example.com\" is not a numeric IPv4 "
		    "or IPv6 address" },
		{ { "--load", "--hold", "5", "--duration", "1", "h" },
		    "option --hold cannot be used with -u, --connect-each, "
		    "--duration or --requests" },
		{ { "h", "7", "extra" }, "unexpected argument \"extra\"" },
	};
	struct opts o;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		parse(&o, cases[i].a[0], cases[i].a[1], cases[i].a[2],
		    cases[i].a[3], cases[i].a[4], cases[i].a[5], NULL);
		ck_assert_int_eq(o.action, OPTS_ERROR);
		ck_assert_str_eq(o.error, cases[i].error);
	}
}
END_TEST

static Suite *
opts_suite(void)
{
	Suite *s = suite_create("echoprobe_opts");
	TCase *tc = tcase_create("opts");

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, opts_defaults_probe_like_ping);
	tcase_add_test(tc, opts_probe_options);
	tcase_add_test(tc, opts_load_options);
	tcase_add_test(tc, opts_source_ranges);
	tcase_add_test(tc, opts_source_range_errors);
	tcase_add_test(tc, opts_help_and_version);
	tcase_add_test(tc, opts_errors_say_why);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(opts_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
