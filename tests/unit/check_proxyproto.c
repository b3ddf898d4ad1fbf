/* check_proxyproto.c: PROXY protocol v1 and v2 headers. */

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "proxyproto.h"

#define SIG	"\r\n\r\n\0\r\nQUIT\n"

static const struct {
	const char		*text;
	size_t			 len;	/* 0: strlen */
	enum proxyproto_result	 want;
	size_t			 hlen;
	int			 family;
	const char		*addr;
	uint16_t		 port;
} cases[] = {
	{ "PROXY TCP4 192.0.2.1 198.51.100.1 56324 7\r\nhello", 0,
	  PROXYPROTO_OK, 43, AF_INET, "192.0.2.1", 56324 },
	{ "PROXY TCP6 2001:db8::1 2001:db8::2 1 7\r\n", 0,
	  PROXYPROTO_OK, 40, AF_INET6, "2001:db8::1", 1 },
	{ "PROXY UNKNOWN\r\n", 0, PROXYPROTO_OK, 15, AF_UNSPEC, NULL, 0 },
	{ "PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n", 0, PROXYPROTO_OK, 35,
	  AF_UNSPEC, NULL, 0 },
	{ "PROXY TCP4 192.0.2.1 198.51.100.1 56324 7", 0, PROXYPROTO_MORE, 0, 0, NULL, 0 },
	{ "PROXY TCP4 192.0.2.1 198.51.100.1 56324 7\r", 0, PROXYPROTO_MORE, 0, 0, NULL, 0 },
	{ "PRO", 0, PROXYPROTO_MORE, 0, 0, NULL, 0 },
	{ "", 0, PROXYPROTO_MORE, 0, 0, NULL, 0 },
	{ "hello\r\n", 0, PROXYPROTO_BAD, 0, 0, NULL, 0 },
	{ "PROXY TCP4 192.0.2.1 198.51.100.1 56324 7\n", 0, PROXYPROTO_BAD, 0, 0, NULL, 0 },
	{ "PROXY TCP4 192.0.2.1  198.51.100.1 56324 7\r\n", 0,
	  PROXYPROTO_BAD, 0, 0, NULL, 0 },
	{ "PROXY TCP4 192.0.2.1 198.51.100.1 65536 7\r\n", 0, PROXYPROTO_BAD, 0, 0, NULL, 0 },
	{ "PROXY TCP4 192.0.2.1 198.51.100.1 056 7\r\n", 0, PROXYPROTO_BAD, 0, 0, NULL, 0 },
	{ "PROXY TCP4 2001:db8::1 198.51.100.1 5 7\r\n", 0, PROXYPROTO_BAD, 0, 0, NULL, 0 },
	{ "PROXY TCP5 192.0.2.1 198.51.100.1 5 7\r\n", 0, PROXYPROTO_BAD, 0, 0, NULL, 0 },
	{ "PROXY TCP4 192.0.2.1 198.51.100.1 5 7 8\r\n", 0, PROXYPROTO_BAD, 0, 0, NULL, 0 },
	{ "PROXY TCP4 192.0.2.1 198.51.100.1 5\r\n", 0, PROXYPROTO_BAD, 0, 0, NULL, 0 },
	{ "PROXY TCP4 " "1111111111111111111111111111111111111111111111111"
	  "11111111111111111111111111111111111111111111111111111111", 0,
	  PROXYPROTO_BAD, 0, 0, NULL, 0 },
	/* v2: PROXY, TCP over IPv4, 12 bytes, 192.0.2.9:4660 -> ... */
	{ SIG "\x21\x11\x00\x0c" "\xc0\x00\x02\x09" "\x0a\x00\x00\x01"
	  "\x12\x34" "\x00\x07" "data", 32, PROXYPROTO_OK, 28, AF_INET,
	  "192.0.2.9", 0x1234 },
	/* v2 with a TLV after the addresses: skipped whole. */
	{ SIG "\x21\x11\x00\x10" "\xc0\x00\x02\x09" "\x0a\x00\x00\x01"
	  "\x12\x34" "\x00\x07" "\x04\x00\x01\x00", 32, PROXYPROTO_OK, 32,
	  AF_INET, "192.0.2.9", 0x1234 },
	{ SIG "\x21\x21\x00\x24" "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x05"
	  "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x06" "\x00\x50" "\x00\x07",
	  52, PROXYPROTO_OK, 52, AF_INET6, "2001:db8::5", 80 },
	{ SIG "\x20\x00\x00\x00", 16, PROXYPROTO_OK, 16, AF_UNSPEC, NULL, 0 },
	{ SIG "\x21\x11\x00\x0c" "\xc0\x00", 18, PROXYPROTO_MORE, 0, 0, NULL, 0 },
	{ SIG "\x21", 13, PROXYPROTO_MORE, 0, 0, NULL, 0 },
	{ "\r\n\r\n\0\r\nQUIX\n", 12, PROXYPROTO_BAD, 0, 0, NULL, 0 },
	{ SIG "\x31\x11\x00\x0c", 16, PROXYPROTO_BAD, 0, 0, NULL, 0 },	/* version 3 */
	{ SIG "\x22\x11\x00\x0c", 16, PROXYPROTO_BAD, 0, 0, NULL, 0 },	/* command 2 */
	{ SIG "\x21\x11\x00\x04" "\xc0\x00\x02\x09", 20, PROXYPROTO_BAD, 0, 0, NULL, 0 },
	{ SIG "\x21\x12\x00\x0c" "\xc0\x00\x02\x09" "\x0a\x00\x00\x01"
	  "\x12\x34" "\x00\x07", 28, PROXYPROTO_BAD, 0, 0, NULL, 0 },		/* UDP */
	{ SIG "\x21\x11\xff\xff", 16, PROXYPROTO_BAD, 0, 0, NULL, 0 },	/* too long */
};

START_TEST(proxyproto_parses_table)
{
	size_t len = cases[_i].len != 0 ? cases[_i].len :
	    strlen(cases[_i].text), hlen = 0;
	struct sockaddr_storage ss;
	char got[64];
	enum proxyproto_result r;

	r = proxyproto_parse((const unsigned char *)cases[_i].text, len,
	    &hlen, &ss);
	ck_assert_msg(r == cases[_i].want, "case %d: %d, want %d", _i, r,
	    cases[_i].want);
	if (r != PROXYPROTO_OK)
		return;
	ck_assert_uint_eq(hlen, cases[_i].hlen);
	ck_assert_int_eq(ss.ss_family, cases[_i].family);
	if (cases[_i].family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		ck_assert_ptr_nonnull(inet_ntop(AF_INET, &sin->sin_addr, got,
		    sizeof(got)));
		ck_assert_str_eq(got, cases[_i].addr);
		ck_assert_uint_eq(ntohs(sin->sin_port), cases[_i].port);
	} else if (cases[_i].family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		ck_assert_ptr_nonnull(inet_ntop(AF_INET6, &sin6->sin6_addr,
		    got, sizeof(got)));
		ck_assert_str_eq(got, cases[_i].addr);
		ck_assert_uint_eq(ntohs(sin6->sin6_port), cases[_i].port);
	}
}
END_TEST

/* Every prefix of a good header asks for more; never reads past len. */
START_TEST(proxyproto_prefixes_ask_for_more)
{
	const char *v1 = "PROXY TCP4 192.0.2.1 198.51.100.1 56324 7\r\n";
	struct sockaddr_storage ss;
	unsigned char *copy;
	size_t n, hlen;

	for (n = 0; n < strlen(v1); n++) {
		ck_assert_ptr_nonnull(copy = malloc(n + 1));
		memcpy(copy, v1, n);
		ck_assert_int_eq(proxyproto_parse(copy, n, &hlen, &ss),
		    PROXYPROTO_MORE);
		free(copy);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("proxyproto");
	TCase *tc = tcase_create("proxyproto");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, proxyproto_parses_table, 0,
	    sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, proxyproto_prefixes_ask_for_more);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
