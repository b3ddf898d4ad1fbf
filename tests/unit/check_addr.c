/* check_addr.c: address parsing, formatting and the reflection guard. */

#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "addr.h"

START_TEST(addr_parses_and_formats_both_families)
{
	struct addr a;
	char buf[ADDR_STRLEN];

	ck_assert_int_eq(addr_parse("127.0.0.1", 7, &a), 0);
	ck_assert_str_eq(addr_format((struct sockaddr *)&a.ss, buf,
	    sizeof(buf)), "127.0.0.1:7");
	ck_assert_int_eq(addr_port((struct sockaddr *)&a.ss), 7);
	ck_assert_int_eq(addr_parse("::1", 65535, &a), 0);
	ck_assert_str_eq(addr_format((struct sockaddr *)&a.ss, buf,
	    sizeof(buf)), "[::1]:65535");
	ck_assert_int_eq(addr_parse("localhost", 7, &a), -1);
	ck_assert_int_eq(addr_parse("1.2.3.256", 7, &a), -1);
}
END_TEST

START_TEST(addr_equal_compares_family_address_port)
{
	struct addr a, b;

	(void)addr_parse("::", 7, &a);
	(void)addr_parse("::", 7, &b);
	ck_assert(addr_equal(&a, &b));
	(void)addr_parse("::", 8, &b);
	ck_assert(!addr_equal(&a, &b));
	(void)addr_parse("0.0.0.0", 7, &b);
	ck_assert(!addr_equal(&a, &b));
}
END_TEST

static const struct {
	const char	*ip;
	int		 reflector;
} sources[] = {
	{ "127.0.0.1", 0 }, { "10.1.2.3", 0 }, { "::1", 0 },
	{ "2001:db8::1", 0 }, { "::ffff:192.0.2.1", 0 },
	{ "0.0.0.0", 1 }, { "0.1.2.3", 1 }, { "255.255.255.255", 1 },
	{ "255.1.2.3", 1 }, { "224.0.0.1", 1 }, { "239.255.255.250", 1 },
	{ "ff02::1", 1 }, { "::", 1 }, { "::ffff:224.0.0.1", 1 },
	{ "::ffff:255.255.255.255", 1 }, { "::ffff:0.0.0.0", 1 },
	{ "::192.0.2.1", 1 }, { "::1.2.3.4", 1 },
};

START_TEST(addr_classifies_reflector_sources)
{
	struct addr a;

	ck_assert_int_eq(addr_parse(sources[_i].ip, 40000, &a), 0);
	ck_assert_msg(addr_is_reflector((struct sockaddr *)&a.ss) ==
	    (sources[_i].reflector != 0), "%s", sources[_i].ip);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("addr");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, addr_parses_and_formats_both_families);
	tcase_add_test(tc, addr_equal_compares_family_address_port);
	tcase_add_loop_test(tc, addr_classifies_reflector_sources, 0,
	    sizeof(sources) / sizeof(sources[0]));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
