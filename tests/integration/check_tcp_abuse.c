/* check_tcp_abuse.c: TCP under abuse: access lists, per-source limits. */

#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

#define CLOSE_MS	3000

/* A blocking connect from `src` (another 127/8 address: another source). */
static int
connect_from(const char *src, const char *dst, uint16_t port)
{
	struct sockaddr_storage ss, ds;
	socklen_t len;
	int family = strchr(dst, ':') != NULL ? AF_INET6 : AF_INET, fd;

	memset(&ss, 0, sizeof(ss));
	memset(&ds, 0, sizeof(ds));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		struct sockaddr_in *d4 = (struct sockaddr_in *)&ds;

		s4->sin_family = d4->sin_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, src, &s4->sin_addr), 1);
		ck_assert_int_eq(inet_pton(AF_INET, dst, &d4->sin_addr), 1);
		d4->sin_port = htons(port);
		len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		struct sockaddr_in6 *d6 = (struct sockaddr_in6 *)&ds;

		s6->sin6_family = d6->sin6_family = AF_INET6;
		ck_assert_int_eq(inet_pton(AF_INET6, src, &s6->sin6_addr), 1);
		ck_assert_int_eq(inet_pton(AF_INET6, dst, &d6->sin6_addr), 1);
		d6->sin6_port = htons(port);
		len = sizeof(*s6);
	}
	ck_assert_int_ge(fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0),
	    0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&ss, len), 0);
	if (connect(fd, (struct sockaddr *)&ds, len) == -1) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

/* The server closed `fd` (EOF or reset) within `ms`. */
static bool
closed_by_server(int fd, int ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	char c;

	if (poll(&pfd, 1, ms) != 1)
		return false;
	return recv(fd, &c, 1, MSG_DONTWAIT) <= 0 && errno != EAGAIN;
}

static bool
echoes(int fd)
{
	char buf[5];

	return send(fd, "hello", 5, MSG_NOSIGNAL) == 5 &&
	    harness_recv_all(fd, buf, 5, CLOSE_MS) == 5 &&
	    memcmp(buf, "hello", 5) == 0;
}

/*
 * An allow list of 1,000 prefixes, 127.0.0.0/30 one of them (the harness
 * probes from 127.0.0.1), and a deny list.
 */
static char *
access_config(const char *extra)
{
	size_t cap = 64 * 1024, n;
	char *conf = malloc(cap);
	int i;

	ck_assert_ptr_nonnull(conf);
	n = (size_t)snprintf(conf, cap, "%s\naccess = {\n  allow = [ "
	    "\"127.0.0.0/30\"", extra);
	for (i = 0; i < 999; i++)
		n += (size_t)snprintf(conf + n, cap - n, ", \"10.%d.%d.0/24\"",
		    i / 250, i % 250);
	(void)snprintf(conf + n, cap - n, " ];\n  deny = [ \"127.0.0.2\" ];\n"
	    "};\n");
	return conf;
}

/*
 * An address the allow list holds is served; a denied address inside an
 * allowed prefix, and one outside every allowed prefix, are closed at once
 * and counted.
 */
START_TEST(tcp_access_lists_apply_at_accept)
{
	char *conf = access_config("");
	struct harness h;
	int fd;

	harness_start(&h, H_TCP4, conf);
	fd = connect_from("127.0.0.1", "127.0.0.1", h.tcp4);
	ck_assert_int_ge(fd, 0);
	ck_assert(echoes(fd));
	(void)close(fd);
	fd = connect_from("127.0.0.2", "127.0.0.1", h.tcp4);
	ck_assert_msg(fd == -1 || closed_by_server(fd, CLOSE_MS),
	    "127.0.0.2 is denied, yet served");
	if (fd != -1)
		(void)close(fd);
	fd = connect_from("127.0.0.9", "127.0.0.1", h.tcp4);
	ck_assert_msg(fd == -1 || closed_by_server(fd, CLOSE_MS),
	    "127.0.0.9 is in no allowed prefix, yet served");
	if (fd != -1)
		(void)close(fd);
	ck_assert(harness_wait_counter(&h, "tcp_refused_access", 2, 5000));
	free(conf);
	harness_stop(&h);
}
END_TEST

/* The same lists on UDP: the denied get no answer, and it is counted. */
START_TEST(udp_access_lists_apply_before_echoing)
{
	char *conf = access_config("");
	struct sockaddr_in sin;
	struct harness h;
	char got[16];
	int fd;

	harness_start(&h, H_UDP4, conf);
	ck_assert_int_ge(fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0), 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	ck_assert_int_eq(inet_pton(AF_INET, "127.0.0.2", &sin.sin_addr), 1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(harness_udp_echo(fd, AF_INET, h.udp4, "no", 2, got,
	    500), -1);
	ck_assert(harness_wait_counter(&h, "udp_dropped_access", 1, 5000));
	(void)close(fd);
	ck_assert_int_ge(fd = harness_udp_socket(AF_INET), 0);
	ck_assert_int_eq(harness_udp_echo(fd, AF_INET, h.udp4, "yes", 3, got,
	    3000), 3);
	(void)close(fd);
	free(conf);
	harness_stop(&h);
}
END_TEST

#define FLOOD_N		5000
#define FLOOD_LIMIT	100

/*
 * 5,000 connections from one source with the limit at 100, spread over
 * two workers: at most 100 stay open, the rest are closed at once and
 * counted, and another source is served meanwhile.
 */
START_TEST(tcp_per_source_limit_holds_a_flood)
{
	struct rlimit rl = { FLOOD_N + 256, FLOOD_N + 256 };
	struct pollfd *pfd;
	struct harness h;
	int i, fd, open_n = 0;

	if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
		printf("tcp_per_source_limit_holds_a_flood: skipped: "
		    "RLIMIT_NOFILE %d: %s\n", FLOOD_N + 256, strerror(errno));
		return;
	}
	ck_assert_ptr_nonnull(pfd = calloc(FLOOD_N, sizeof(*pfd)));
	harness_start(&h, H_TCP4, "workers = 2;\nper_source_exempt = [];\n"
	    "tcp = { per_source_connections = 100; };");
	for (i = 0; i < FLOOD_N; i++) {
		pfd[i].fd = connect_from("127.0.0.3", "127.0.0.1", h.tcp4);
		pfd[i].events = POLLIN;
		if (i == FLOOD_N / 2) {
			fd = connect_from("127.0.0.4", "127.0.0.1", h.tcp4);
			ck_assert_msg(fd >= 0 && echoes(fd), "a second source "
			    "is not served during the flood");
			(void)close(fd);
		}
	}
	ck_assert(harness_wait_counter(&h, "tcp_refused_limit",
	    FLOOD_N - FLOOD_LIMIT, 20000));
	ck_assert_int_ge(poll(pfd, FLOOD_N, 0), 0);
	for (i = 0; i < FLOOD_N; i++)
		if (pfd[i].fd >= 0 && pfd[i].revents == 0)
			open_n++;
	ck_assert_msg(open_n <= FLOOD_LIMIT, "%d connections open", open_n);
	ck_assert_int_eq(open_n, FLOOD_LIMIT);
	/* They are served; once closed, the source may connect again. */
	for (i = 0; i < FLOOD_N; i++)
		if (pfd[i].fd >= 0 && pfd[i].revents == 0) {
			ck_assert(echoes(pfd[i].fd));
			break;
		}
	for (i = 0; i < FLOOD_N; i++)
		if (pfd[i].fd >= 0)
			(void)close(pfd[i].fd);
	free(pfd);
	harness_assert_serves_tcp(&h, 2);
	fd = -1;
	for (i = 0; i < 50 && fd == -1; i++) {
		fd = connect_from("127.0.0.3", "127.0.0.1", h.tcp4);
		if (fd >= 0 && !echoes(fd)) {
			(void)close(fd);
			fd = -1;
			(void)poll(NULL, 0, 100);
		}
	}
	ck_assert_msg(fd >= 0, "the source stays refused after closing all");
	(void)close(fd);
	harness_stop(&h);
}
END_TEST

/* New connections a second: the excess is closed at once and counted. */
START_TEST(tcp_per_source_rate_refuses_the_excess)
{
	struct harness h;
	long long refused;
	int i, fd;

	harness_start(&h, H_TCP4, "per_source_exempt = [];\n"
	    "tcp = { per_source_rate = 5; };");
	for (i = 0; i < 40; i++)
		if ((fd = connect_from("127.0.0.5", "127.0.0.1", h.tcp4)) >= 0)
			(void)close(fd);
	ck_assert(harness_wait_counter(&h, "tcp_refused_rate", 20, 5000));
	refused = harness_counter(&h, "tcp_refused_rate");
	ck_assert_msg(refused <= 35, "%lld of 40 refused", refused);
	harness_stop(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tcp_abuse");
	TCase *tc = tcase_create("tcp_abuse");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, tcp_access_lists_apply_at_accept);
	tcase_add_test(tc, udp_access_lists_apply_before_echoing);
	tcase_add_test(tc, tcp_per_source_limit_holds_a_flood);
	tcase_add_test(tc, tcp_per_source_rate_refuses_the_excess);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
