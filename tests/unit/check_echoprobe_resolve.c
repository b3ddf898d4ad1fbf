/* check_echoprobe_resolve.c: host and port (name or number) to an address. */

#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "addr.h"
#include "opts.h"
#include "resolve.h"

static int
resolve(const char *host, const char *port, int family, bool udp,
    struct target *t, char *err, size_t err_len)
{
	struct opts o;
	char *argv[] = { (char *)"echoprobe", (char *)host, (char *)port,
	    NULL };

	opts_parse(port != NULL ? 3 : 2, argv, &o);
	ck_assert_int_eq(o.action, OPTS_RUN);
	o.family = family;
	o.udp = udp;
	return resolve_target(&o, t, err, err_len);
}

START_TEST(resolve_numeric_and_default_port)
{
	struct target t;
	char err[256];

	ck_assert_int_eq(resolve("127.0.0.1", NULL, AF_UNSPEC, false, &t,
	    err, sizeof(err)), 0);
	ck_assert_str_eq(t.name, "127.0.0.1:7");
	ck_assert_str_eq(t.proto, "tcp");
	ck_assert_int_eq(t.socktype, SOCK_STREAM);
	ck_assert_int_eq(resolve("::1", "7007", AF_UNSPEC, true, &t, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(t.name, "[::1]:7007");
	ck_assert_int_eq(t.socktype, SOCK_DGRAM);
}
END_TEST

START_TEST(resolve_service_name)
{
	struct target t;
	char err[256];

	/* /etc/services may be missing in a minimal chroot: then skip. */
	if (resolve("127.0.0.1", "echo", AF_UNSPEC, false, &t, err,
	    sizeof(err)) != 0)
		return;
	ck_assert_uint_eq(addr_port((struct sockaddr *)&t.a.ss), 7);
}
END_TEST

START_TEST(resolve_errors_say_what)
{
	struct target t;
	char err[256];

	ck_assert_int_eq(resolve("127.0.0.1", "no-such-service", AF_UNSPEC,
	    false, &t, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err,
	    "resolve 127.0.0.1 port no-such-service: "));
	/* -6 with an IPv4 literal has no address to offer. */
	ck_assert_int_eq(resolve("127.0.0.1", "7", AF_INET6, false, &t, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "resolve 127.0.0.1 port 7: "));
}
END_TEST

static Suite *
resolve_suite(void)
{
	Suite *s = suite_create("echoprobe_resolve");
	TCase *tc = tcase_create("resolve");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, resolve_numeric_and_default_port);
	tcase_add_test(tc, resolve_service_name);
	tcase_add_test(tc, resolve_errors_say_what);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(resolve_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
