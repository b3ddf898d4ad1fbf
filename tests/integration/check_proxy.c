/* check_proxy.c: TCP listeners behind a proxy: PROXY headers, HAProxy. */

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "clock.h"
#include "harness.h"

#define HAPROXY		"/usr/sbin/haproxy"
#define WAIT_MS		5000
#define SLOW_MS		9000	/* echod gives a header 5 s */

static const char v2_head[] = "\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c";

/* A connection from `src` (a 127/8 address) to 127.0.0.1:port. */
static int
connect_from(const char *src, uint16_t port)
{
	struct sockaddr_in s, d;
	int fd;

	memset(&s, 0, sizeof(s));
	memset(&d, 0, sizeof(d));
	s.sin_family = d.sin_family = AF_INET;
	ck_assert_int_eq(inet_pton(AF_INET, src, &s.sin_addr), 1);
	d.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d.sin_port = htons(port);
	ck_assert_int_ge(fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0),
	    0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&s, sizeof(s)), 0);
	if (connect(fd, (struct sockaddr *)&d, sizeof(d)) == -1) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

/* What comes back for `len` bytes sent; -1 when the server closed. */
static int
echo_back(int fd, const void *data, size_t len, const char *want,
    size_t wlen, int ms)
{
	char buf[256];

	if (len > 0 && send(fd, data, len, MSG_NOSIGNAL) != (ssize_t)len)
		return -1;
	if (harness_recv_all(fd, buf, wlen, ms) != (ssize_t)wlen)
		return -1;
	return memcmp(buf, want, wlen) == 0 ? 0 : -1;
}

static bool
closed_by_server(int fd, int ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	char c;

	if (poll(&pfd, 1, ms) != 1)
		return false;
	return recv(fd, &c, 1, MSG_DONTWAIT) <= 0 && errno != EAGAIN;
}

/* A v2 header naming 192.0.2.<last>:4660 as the client, then "hello". */
static size_t
v2_hello(unsigned char *buf, int last)
{
	unsigned char addrs[12] = { 192, 0, 2, 0, 127, 0, 0, 1, 0x12, 0x34,
	    0, 7 };

	addrs[3] = (unsigned char)last;
	memcpy(buf, v2_head, 16);
	memcpy(buf + 16, addrs, 12);
	memcpy(buf + 28, "hello", 5);
	return 33;
}

static void
start_proxied(struct harness *h, const char *extra)
{
	char conf[1024];

	(void)snprintf(conf, sizeof(conf), "%s\nlisten = ( { protocol = "
	    "\"tcp\"; address = \"127.0.0.1\"; port = 0; proxy_protocol = "
	    "true; } );\n", extra);
	harness_start(h, 0, conf);
	ck_assert_int_ne(h->tcp4, 0);
}

/*
 * The header is consumed, never echoed; the client's bytes after it are.
 * The access lists apply to the address in the header; a connection with
 * no header, a bad one or one too slow is closed and counted as refused,
 * not as accepted.
 */
START_TEST(proxy_header_names_the_client)
{
	const char *v1 = "PROXY TCP4 192.0.2.1 127.0.0.1 5555 7\r\nhello";
	const char *denied = "PROXY TCP4 192.0.2.66 127.0.0.1 5555 7\r\nhi";
	unsigned char v2[64];
	struct harness h;
	int fd;

	start_proxied(&h, "access = { deny = [ \"192.0.2.66\" ]; };");
	ck_assert_int_ge(fd = connect_from("127.0.0.1", h.tcp4), 0);
	ck_assert_int_eq(echo_back(fd, v1, strlen(v1), "hello", 5, WAIT_MS),
	    0);
	ck_assert_int_eq(echo_back(fd, "more", 4, "more", 4, WAIT_MS), 0);
	(void)close(fd);
	ck_assert_int_ge(fd = connect_from("127.0.0.1", h.tcp4), 0);
	ck_assert_int_eq(echo_back(fd, v2, v2_hello(v2, 1), "hello", 5,
	    WAIT_MS), 0);
	(void)close(fd);
	ck_assert_int_ge(fd = connect_from("127.0.0.1", h.tcp4), 0);
	ck_assert_int_eq(send(fd, denied, strlen(denied), 0),
	    (ssize_t)strlen(denied));
	ck_assert(closed_by_server(fd, WAIT_MS));
	(void)close(fd);
	ck_assert(harness_wait_counter(&h, "tcp_refused_access", 1, WAIT_MS));
	ck_assert_int_ge(fd = connect_from("127.0.0.1", h.tcp4), 0);
	ck_assert_int_eq(send(fd, "hello\r\n", 7, 0), 7);
	ck_assert(closed_by_server(fd, WAIT_MS));
	(void)close(fd);
	ck_assert_int_ge(fd = connect_from("127.0.0.1", h.tcp4), 0);
	ck_assert_int_eq(send(fd, "PROXY TCP4 ", 11, 0), 11);
	ck_assert(closed_by_server(fd, SLOW_MS));
	(void)close(fd);
	ck_assert(harness_wait_counter(&h, "tcp_refused_proxy", 2, WAIT_MS));
	/* Accepted means admitted: the refused ones count only as refused. */
	ck_assert_int_eq(harness_counter(&h, "tcp_accepted"), 2);
	harness_stop(&h);
}
END_TEST

/* Per-source limits count the header's client, not the proxy. */
START_TEST(proxy_limits_apply_to_the_header_client)
{
	const char *a = "PROXY TCP4 192.0.2.7 127.0.0.1 1 7\r\nab";
	const char *b = "PROXY TCP4 192.0.2.8 127.0.0.1 1 7\r\nab";
	struct harness h;
	int fd[3];

	start_proxied(&h, "per_source_exempt = [];\n"
	    "tcp = { per_source_connections = 1; };");
	ck_assert_int_ge(fd[0] = connect_from("127.0.0.1", h.tcp4), 0);
	ck_assert_int_eq(echo_back(fd[0], a, strlen(a), "ab", 2, WAIT_MS), 0);
	ck_assert_int_ge(fd[1] = connect_from("127.0.0.1", h.tcp4), 0);
	ck_assert_int_eq(send(fd[1], a, strlen(a), 0), (ssize_t)strlen(a));
	ck_assert(closed_by_server(fd[1], WAIT_MS));
	ck_assert_int_ge(fd[2] = connect_from("127.0.0.1", h.tcp4), 0);
	ck_assert_int_eq(echo_back(fd[2], b, strlen(b), "ab", 2, WAIT_MS), 0);
	ck_assert(harness_wait_counter(&h, "tcp_refused_limit", 1, WAIT_MS));
	(void)close(fd[0]);
	(void)close(fd[1]);
	(void)close(fd[2]);
	harness_stop(&h);
}
END_TEST

/*
 * An IPv6 source is counted by its prefix (per_source_ipv6_prefix, /56 by
 * default): two addresses of one /56 share its allowance, a neighbouring
 * /56 has its own; with /128 every address has its own.
 */
static void
ipv6_sources_share(const char *conf, bool shared)
{
	const char *a = "PROXY TCP6 2001:db8:0:1::1 ::1 1 7\r\nab";
	const char *same = "PROXY TCP6 2001:db8:0:2::9 ::1 1 7\r\nab";
	const char *other = "PROXY TCP6 2001:db8:0:100::1 ::1 1 7\r\nab";
	struct harness h;
	int fd[3];

	start_proxied(&h, conf);
	ck_assert_int_ge(fd[0] = connect_from("127.0.0.1", h.tcp4), 0);
	ck_assert_int_eq(echo_back(fd[0], a, strlen(a), "ab", 2, WAIT_MS), 0);
	ck_assert_int_ge(fd[1] = connect_from("127.0.0.1", h.tcp4), 0);
	if (shared) {
		ck_assert_int_eq(send(fd[1], same, strlen(same), 0),
		    (ssize_t)strlen(same));
		ck_assert(closed_by_server(fd[1], WAIT_MS));
		ck_assert(harness_wait_counter(&h, "tcp_refused_limit", 1,
		    WAIT_MS));
	} else
		ck_assert_int_eq(echo_back(fd[1], same, strlen(same), "ab", 2,
		    WAIT_MS), 0);
	ck_assert_int_ge(fd[2] = connect_from("127.0.0.1", h.tcp4), 0);
	ck_assert_int_eq(echo_back(fd[2], other, strlen(other), "ab", 2,
	    WAIT_MS), 0);
	ck_assert_int_eq(harness_counter(&h, "tcp_refused_limit"),
	    shared ? 1 : 0);
	(void)close(fd[0]);
	(void)close(fd[1]);
	(void)close(fd[2]);
	harness_stop(&h);
}

START_TEST(proxy_ipv6_sources_count_by_prefix)
{
	ipv6_sources_share("per_source_exempt = [];\n"
	    "tcp = { per_source_connections = 1; };", true);
	ipv6_sources_share("per_source_exempt = [];\n"
	    "per_source_ipv6_prefix = 128;\n"
	    "tcp = { per_source_connections = 1; };", false);
}
END_TEST

static uint16_t
free_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	uint16_t port;
	int fd;

	ck_assert_int_ge(fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0),
	    0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	(void)close(fd);
	return port;
}

/* The configuration README.md shows, on test ports. */
static void
write_haproxy(const char *path, uint16_t front, uint16_t pa, uint16_t pb)
{
	FILE *f;

	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	(void)fprintf(f,
	    "defaults\n"
	    "  mode tcp\n"
	    "  timeout connect 2s\n"
	    "  timeout client 60s\n"
	    "  timeout server 60s\n"
	    "  retries 3\n"
	    "  option redispatch\n"
	    "frontend echo\n"
	    "  bind 127.0.0.1:%u\n"
	    "  default_backend echod\n"
	    "backend echod\n"
	    "  balance roundrobin\n"
	    "  server a 127.0.0.1:%u send-proxy-v2 check check-send-proxy "
	    "inter 500ms\n"
	    "  server b 127.0.0.1:%u send-proxy-v2 check check-send-proxy "
	    "inter 500ms\n", front, pa, pb);
	ck_assert_int_eq(fclose(f), 0);
}

static pid_t
haproxy_start(const char *conf, uint16_t front)
{
	uint64_t deadline = clock_now_ms() + 10000;
	pid_t pid;
	int fd;

	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		execl(HAPROXY, "haproxy", "-db", "-q", "-f", conf,
		    (char *)NULL);
		_exit(127);
	}
	for (;;) {
		if ((fd = connect_from("127.0.0.1", front)) >= 0) {
			(void)close(fd);
			return pid;
		}
		ck_assert_msg(clock_now_ms() < deadline, "haproxy did not "
		    "listen on 127.0.0.1:%u", front);
		(void)poll(NULL, 0, 50);
	}
}

/*
 * A real HAProxy in front of two echod instances with send-proxy-v2:
 * echo works through it; the access lists and per-source limits see the
 * real client; with one instance stopped, new connections go to the other
 * and none fails.
 */
START_TEST(haproxy_in_front_of_two_instances)
{
	const char *conf = "per_source_exempt = [];\n"
	    "tcp = { per_source_connections = 1; };\n"
	    "access = { deny = [ \"127.0.0.10\" ]; };";
	char path[160], src[32];
	struct harness a, b;
	int fd[3], i, served;
	uint16_t front;
	pid_t hp;

	if (access(HAPROXY, X_OK) == -1) {
		printf("haproxy_in_front_of_two_instances: skipped: %s: %s "
		    "(apt-get install haproxy)\n", HAPROXY, strerror(errno));
		return;
	}
	start_proxied(&a, conf);
	start_proxied(&b, conf);
	front = free_port();
	(void)snprintf(path, sizeof(path), "%s/haproxy.cfg", a.dir);
	write_haproxy(path, front, a.tcp4, b.tcp4);
	hp = haproxy_start(path, front);

	ck_assert_int_ge(fd[0] = connect_from("127.0.0.9", front), 0);
	ck_assert_int_eq(echo_back(fd[0], "through", 7, "through", 7,
	    WAIT_MS), 0);
	(void)close(fd[0]);

	ck_assert_int_ge(fd[0] = connect_from("127.0.0.10", front), 0);
	(void)send(fd[0], "denied", 6, MSG_NOSIGNAL);
	ck_assert(closed_by_server(fd[0], WAIT_MS));
	(void)close(fd[0]);
	ck_assert_int_ge(harness_counter(&a, "tcp_refused_access") +
	    harness_counter(&b, "tcp_refused_access"), 1);

	/* Three from one client, at most one on each instance. */
	for (i = served = 0; i < 3; i++) {
		ck_assert_int_ge(fd[i] = connect_from("127.0.0.11", front), 0);
		if (echo_back(fd[i], "x", 1, "x", 1, WAIT_MS) == 0)
			served++;
	}
	ck_assert_int_le(served, 2);
	ck_assert_int_ge(harness_counter(&a, "tcp_refused_limit") +
	    harness_counter(&b, "tcp_refused_limit"), 1);
	for (i = 0; i < 3; i++)
		(void)close(fd[i]);

	harness_stop(&a);
	for (i = 0; i < 20; i++) {
		(void)snprintf(src, sizeof(src), "127.0.1.%d", i + 1);
		ck_assert_int_ge(fd[0] = connect_from(src, front), 0);
		ck_assert_msg(echo_back(fd[0], "failover", 8, "failover", 8,
		    WAIT_MS) == 0, "connection %d failed with one instance "
		    "stopped", i);
		(void)close(fd[0]);
	}
	(void)kill(hp, SIGTERM);
	(void)waitpid(hp, NULL, 0);
	harness_stop(&b);
}
END_TEST

/*
 * A connection that never sends its header was never accepted: ended by
 * the idle timeout (1 s, before the header's 5 s), it counts as refused
 * for its header, not as an accepted connection closed idle, so accepted
 * stays the closed counts plus those open.
 */
START_TEST(proxy_headerless_idle_counts_as_refused)
{
	struct harness h;
	int fd;

	start_proxied(&h, "tcp = { idle_timeout = 1; };");
	ck_assert_int_ge(fd = connect_from("127.0.0.1", h.tcp4), 0);
	ck_assert(closed_by_server(fd, 3 * WAIT_MS));
	(void)close(fd);
	ck_assert(harness_wait_counter(&h, "tcp_refused_proxy", 1, WAIT_MS));
	ck_assert_int_eq(harness_counter(&h, "tcp_closed_idle"), 0);
	ck_assert_int_eq(harness_counter(&h, "tcp_accepted"), 0);
	harness_stop(&h);
}
END_TEST

/*
 * A fast stop counts what is open in one sum, without closing each: a
 * connection still waiting for its header is counted there as refused
 * for it, not as an accepted one closed at shutdown.
 */
START_TEST(proxy_headerless_at_fast_stop_counts_as_refused)
{
	struct harness h;
	int fd;

	start_proxied(&h, "workers = 1;");
	ck_assert_int_ge(fd = connect_from("127.0.0.1", h.tcp4), 0);
	ck_assert(harness_wait_counter(&h, "connections", 1, WAIT_MS));
	harness_mark(&h);
	harness_signal(&h, SIGQUIT);
	ck_assert_int_ne(harness_wait_exit(&h, 3 * WAIT_MS), -1);
	ck_assert(harness_wait_log(&h, "exiting (fast shutdown): accepted 0 "
	    "connections; closed 0 by the client, 0 on an error, 0 idle, 0 at "
	    "shutdown", 0));
	(void)close(fd);
	harness_finish(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("proxy");
	TCase *tc = tcase_create("proxy");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, proxy_header_names_the_client);
	tcase_add_test(tc, proxy_limits_apply_to_the_header_client);
	tcase_add_test(tc, proxy_headerless_idle_counts_as_refused);
	tcase_add_test(tc, proxy_headerless_at_fast_stop_counts_as_refused);
	tcase_add_test(tc, proxy_ipv6_sources_count_by_prefix);
	tcase_add_test(tc, haproxy_in_front_of_two_instances);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
