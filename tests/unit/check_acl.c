/* check_acl.c: CIDR parsing and prefix matching. */

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "acl.h"

static struct addr_key
key(const char *ip)
{
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	struct addr_key k;

	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, ip, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		ck_assert(addr_key((struct sockaddr *)&sin, &k));
	} else {
		ck_assert_int_eq(inet_pton(AF_INET6, ip, &sin6.sin6_addr), 1);
		sin6.sin6_family = AF_INET6;
		ck_assert(addr_key((struct sockaddr *)&sin6, &k));
	}
	return k;
}

static struct acl *
make(const char *const *texts)
{
	struct acl_prefix p[16];
	size_t n;

	for (n = 0; texts[n] != NULL; n++)
		ck_assert_int_eq(acl_parse(texts[n], &p[n]), ACL_PARSE_OK);
	return acl_create(p, n);
}

static const struct {
	const char		*text;
	enum acl_parse_result	 want;
} parse_cases[] = {
	{ "10.0.0.0/8", ACL_PARSE_OK },
	{ "192.0.2.1", ACL_PARSE_OK },
	{ "0.0.0.0/0", ACL_PARSE_OK },
	{ "2001:db8::/32", ACL_PARSE_OK },
	{ "::/0", ACL_PARSE_OK },
	{ "::1", ACL_PARSE_OK },
	{ "10.0.0.1/8", ACL_PARSE_HOST_BITS },
	{ "2001:db8::1/64", ACL_PARSE_HOST_BITS },
	{ "10.0.0.0/33", ACL_PARSE_LENGTH },
	{ "::/129", ACL_PARSE_LENGTH },
	{ "10.0.0.0/", ACL_PARSE_SYNTAX },
	{ "10.0.0.0/+8", ACL_PARSE_SYNTAX },
	{ "10.0.0.0/ 8", ACL_PARSE_SYNTAX },
	{ "10.0.0.0/0008", ACL_PARSE_SYNTAX },
	{ "/8", ACL_PARSE_SYNTAX },
	{ "", ACL_PARSE_SYNTAX },
	{ "10.0.0", ACL_PARSE_SYNTAX },
	{ "example.org", ACL_PARSE_SYNTAX },
	{ "10.0.0.0/8/8", ACL_PARSE_SYNTAX },
};

START_TEST(acl_parse_accepts_and_rejects)
{
	struct acl_prefix p;

	ck_assert_msg(acl_parse(parse_cases[_i].text, &p) ==
	    parse_cases[_i].want, "\"%s\"", parse_cases[_i].text);
}
END_TEST

START_TEST(acl_matches_inside_not_outside)
{
	const char *const list[] = { "10.0.0.0/8", "192.0.2.128/25",
	    "2001:db8::/32", "198.51.100.7", NULL };
	struct acl *a = make(list);
	struct addr_key k;

	ck_assert_ptr_nonnull(a);
	k = key("10.255.255.255");
	ck_assert(acl_match(a, &k));
	k = key("11.0.0.0");
	ck_assert(!acl_match(a, &k));
	k = key("9.255.255.255");
	ck_assert(!acl_match(a, &k));
	k = key("192.0.2.127");
	ck_assert(!acl_match(a, &k));
	k = key("192.0.2.128");
	ck_assert(acl_match(a, &k));
	k = key("198.51.100.7");
	ck_assert(acl_match(a, &k));
	k = key("198.51.100.8");
	ck_assert(!acl_match(a, &k));
	k = key("2001:db8:ffff::1");
	ck_assert(acl_match(a, &k));
	k = key("2001:db9::");
	ck_assert(!acl_match(a, &k));
	/* An IPv4-mapped address is matched as the IPv4 one. */
	k = key("::ffff:10.1.2.3");
	ck_assert(acl_match(a, &k));
	acl_destroy(a);
}
END_TEST

START_TEST(acl_merges_overlapping_and_adjacent)
{
	const char *const list[] = { "10.0.0.0/9", "10.128.0.0/9",
	    "10.1.0.0/16", "0.0.0.0/0", "::/0", NULL };
	const char *const two[] = { "10.0.0.0/9", "10.128.0.0/9", NULL };
	struct acl *a = make(list), *b = make(two);

	ck_assert_uint_eq(acl_ranges(a), 1);
	ck_assert_uint_eq(acl_ranges(b), 1);
	acl_destroy(a);
	acl_destroy(b);
}
END_TEST

START_TEST(acl_empty_matches_nothing)
{
	struct acl *a = acl_create(NULL, 0);
	struct addr_key k = key("127.0.0.1");

	ck_assert_ptr_nonnull(a);
	ck_assert(!acl_match(a, &k));
	acl_destroy(a);
}
END_TEST

/* A thousand scattered /32s: every one found, every neighbour not. */
START_TEST(acl_large_list_matches_exactly)
{
	struct acl_prefix p[1000];
	char text[32];
	struct addr_key k;
	struct acl *a;
	int i;

	for (i = 0; i < 1000; i++) {
		(void)snprintf(text, sizeof(text), "10.%d.%d.1", i / 250,
		    i % 250);
		ck_assert_int_eq(acl_parse(text, &p[i]), ACL_PARSE_OK);
	}
	ck_assert_ptr_nonnull(a = acl_create(p, 1000));
	for (i = 0; i < 1000; i++) {
		(void)snprintf(text, sizeof(text), "10.%d.%d.1", i / 250,
		    i % 250);
		k = key(text);
		ck_assert(acl_match(a, &k));
		(void)snprintf(text, sizeof(text), "10.%d.%d.2", i / 250,
		    i % 250);
		k = key(text);
		ck_assert(!acl_match(a, &k));
	}
	acl_destroy(a);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("acl");
	TCase *tc = tcase_create("acl");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, acl_parse_accepts_and_rejects, 0,
	    sizeof(parse_cases) / sizeof(parse_cases[0]));
	tcase_add_test(tc, acl_matches_inside_not_outside);
	tcase_add_test(tc, acl_merges_overlapping_and_adjacent);
	tcase_add_test(tc, acl_empty_matches_nothing);
	tcase_add_test(tc, acl_large_list_matches_exactly);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
