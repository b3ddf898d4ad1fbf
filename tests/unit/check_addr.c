/* check_addr.c: address parsing, formatting and the reflection guard. */

#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdint.h>
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

static struct addr_key
key_of(const char *text)
{
	struct addr a;
	struct addr_key k;

	ck_assert_int_eq(addr_parse(text, 0, &a), 0);
	ck_assert(addr_key((const struct sockaddr *)&a.ss, &k));
	return k;
}

START_TEST(addr_key_prefix_cuts_ipv6_only)
{
	struct addr_key k, want;

	k = key_of("2001:db8:1:2:3:4:5:6");
	addr_key_prefix(&k, 56);
	want = key_of("2001:db8:1::");
	ck_assert(k.hi == want.hi && k.lo == want.lo);
	k = key_of("2001:db8:1:2:3:4:5:6");
	addr_key_prefix(&k, 64);
	want = key_of("2001:db8:1:2::");
	ck_assert(k.hi == want.hi && k.lo == want.lo);
	k = key_of("2001:db8:1:2:304:5:6:7");
	addr_key_prefix(&k, 72);
	want = key_of("2001:db8:1:2:300::");
	ck_assert(k.hi == want.hi && k.lo == want.lo);
	k = key_of("2001:db8:1:2:3:4:5:6");
	want = k;
	addr_key_prefix(&k, 128);
	ck_assert(k.hi == want.hi && k.lo == want.lo);
	/* IPv4, plain or mapped, is one host: never cut. */
	k = key_of("192.0.2.77");
	want = k;
	addr_key_prefix(&k, 56);
	ck_assert(k.hi == want.hi && k.lo == want.lo);
	ck_assert(key_of("::ffff:192.0.2.77").lo == want.lo);
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
	/* NAT64 64:ff9b::/96: only that /96 embeds the last 32 bits. */
	{ "64:ff9b::1.2.3.4", 0 }, { "64:ff9b::224.0.0.1", 1 },
	{ "64:ff9b::255.255.255.255", 1 }, { "64:ff9b::0.1.2.3", 1 },
	{ "64:ff9b:1::224.0.0.1", 0 }, { "64:ff9b::1:224.0.0.1", 0 },
	{ "64:ff9a::224.0.0.1", 0 },
	/* 6to4 2002::/16: bits 16-47; 2003:: and 2001:: are not 6to4. */
	{ "2002:102:304::1", 0 }, { "2002:ff00:1::1", 1 },
	{ "2002:e000:1::1", 1 }, { "2002::1", 1 }, { "2002:ffff:ffff::", 1 },
	{ "2003:ff00:1::1", 0 }, { "2001:ff00:1::1", 0 },
	/* Teredo 2001:0::/32: server bits 32-63, client ~(last 32 bits). */
	{ "2001:0:102:304:8000:f227:fefd:fcfb", 0 },
	{ "2001:0:ff00:1:8000:f227:fefd:fcfb", 1 },
	{ "2001:0:e000:1:8000:f227:fefd:fcfb", 1 },
	{ "2001:0:102:304:8000:f227:1fff:fffe", 1 },	/* client 224.0.0.1 */
	{ "2001:0:102:304:8000:f227::", 1 },	/* client 255.255.255.255 */
	{ "2001:0:102:304:8000:f227:ffff:ffff", 1 },	/* client 0.0.0.0 */
	{ "2001:db8:ff00:1::", 0 }, { "2001:1:ff00:1::", 0 },
	{ "2001:100:ff00:1::", 0 },
};

START_TEST(addr_classifies_reflector_sources)
{
	struct addr a;

	ck_assert_int_eq(addr_parse(sources[_i].ip, 40000, &a), 0);
	ck_assert_msg(addr_is_reflector((struct sockaddr *)&a.ss) ==
	    (sources[_i].reflector != 0), "%s", sources[_i].ip);
}
END_TEST

static const struct {
	const char	*ip;
	size_t		 n;
	const char	*v4[ADDR_EMBED_MAX];
} embeds[] = {
	{ "192.0.2.1", 1, { "192.0.2.1" } },
	{ "::ffff:192.0.2.1", 1, { "192.0.2.1" } },
	{ "::192.0.2.1", 1, { "192.0.2.1" } },
	{ "::1", 0, { NULL } }, { "::", 0, { NULL } },
	{ "64:ff9b::c000:201", 1, { "192.0.2.1" } },
	{ "64:ff9b::", 1, { "0.0.0.0" } },
	{ "64:ff9b:0:0:1::c000:201", 0, { NULL } },
	{ "64:ff9b:1::c000:201", 0, { NULL } },
	{ "2002:c000:201::", 1, { "192.0.2.1" } },
	{ "2002:c000:201:ffff:ffff:ffff:ffff:ffff", 1, { "192.0.2.1" } },
	{ "2003:c000:201::", 0, { NULL } },
	{ "2001:0:c000:201:8000:f227:3fff:fdfe", 2,
	    { "192.0.2.1", "192.0.2.1" } },
	{ "2001:0:4136:e378:8000:63bf:3fff:fdd2", 2,
	    { "65.54.227.120", "192.0.2.45" } },	/* RFC 4380 example */
	{ "2001:0:ffff:ffff::", 2, { "255.255.255.255", "255.255.255.255" } },
	{ "2001:db8:c000:201::", 0, { NULL } },
	{ "2001:1::", 0, { NULL } },
	{ "fe80::1", 0, { NULL } }, { "2001:db8::1", 0, { NULL } },
};

START_TEST(addr_extracts_embedded_ipv4)
{
	uint32_t ip[ADDR_EMBED_MAX];
	char got[INET_ADDRSTRLEN];
	struct addr a;
	size_t i, n;

	ck_assert_int_eq(addr_parse(embeds[_i].ip, 7, &a), 0);
	n = addr_embedded_ipv4((struct sockaddr *)&a.ss, ip);
	ck_assert_msg(n == embeds[_i].n, "%s: %zu embedded, want %zu",
	    embeds[_i].ip, n, embeds[_i].n);
	for (i = 0; i < n; i++) {
		ck_assert_ptr_nonnull(inet_ntop(AF_INET, &ip[i], got,
		    sizeof(got)));
		ck_assert_msg(strcmp(got, embeds[_i].v4[i]) == 0,
		    "%s: embedded %zu is %s, want %s", embeds[_i].ip, i, got,
		    embeds[_i].v4[i]);
	}
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
	tcase_add_test(tc, addr_key_prefix_cuts_ipv6_only);
	tcase_add_test(tc, addr_equal_compares_family_address_port);
	tcase_add_loop_test(tc, addr_classifies_reflector_sources, 0,
	    sizeof(sources) / sizeof(sources[0]));
	tcase_add_loop_test(tc, addr_extracts_embedded_ipv4, 0,
	    sizeof(embeds) / sizeof(embeds[0]));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
