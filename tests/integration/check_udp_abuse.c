/* check_udp_abuse.c: UDP under abuse: bursts, loops, floods, access lists. */

#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <netinet/udp.h>
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

#define BURST_N		3000	/* datagrams queued while the worker sleeps */
#define BURST_LEN	1024
#define QUIET_MS	500	/* an answer still coming is in by then */

/* How many datagrams come back to `fd` before it stays quiet. */
static int
count_answers(int fd, int want, int quiet_ms)
{
	char buf[BURST_LEN + 1];
	struct pollfd pfd;
	int n = 0;

	pfd.fd = fd;
	pfd.events = POLLIN;
	while (n < want && poll(&pfd, 1, quiet_ms) == 1)
		while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
			n++;
	return n;
}

/* A UDP socket on `ip` (127.0.0.0/8): another source, no spoofing. */
static int
udp_socket_on(const char *ip)
{
	struct sockaddr_in sin;
	int fd;

	ck_assert_int_ge(fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0), 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	ck_assert_int_eq(inet_pton(AF_INET, ip, &sin.sin_addr), 1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

static void
send_n(int fd, uint16_t port, int n, size_t len)
{
	struct sockaddr_in sin;
	char data[BURST_LEN];
	int i;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memset(data, 'f', sizeof(data));
	for (i = 0; i < n; i++)
		ck_assert_int_eq(sendto(fd, data, len, 0,
		    (struct sockaddr *)&sin, sizeof(sin)), (ssize_t)len);
}

static pid_t
udp_worker(struct harness *h)
{
	pid_t pid = 0;

	ck_assert(harness_wait_workers(h, "udp", 1, H_READY_MS));
	ck_assert_int_eq(harness_workers(h, "udp", &pid, 1), 1);
	return pid;
}

/*
 * A burst arriving while the worker is busy waits in the socket's buffer:
 * 3,000 datagrams of 1 KiB overflow the kernel's default 208 KiB (each
 * costs about twice its size there), and fit in 8 MiB.
 */
START_TEST(udp_receive_buffer_holds_a_burst)
{
	struct sockaddr_in sin;
	char data[BURST_LEN];
	int fd, i, big = 16 << 20;
	struct harness h;
	pid_t worker;

	ck_assert_int_ge(fd = harness_udp_socket(AF_INET), 0);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big,
	    sizeof(big)) == -1) {
		printf("udp_receive_buffer_holds_a_burst: skipped: "
		    "SO_RCVBUFFORCE: %s (needs root)\n", strerror(errno));
		(void)close(fd);
		return;
	}
	harness_start(&h, H_UDP4, "worker_timeout = 0;\n"
	    "udp = { receive_buffer = 8388608; };");
	worker = udp_worker(&h);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(h.udp4);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memset(data, 'b', sizeof(data));
	ck_assert_int_eq(kill(worker, SIGSTOP), 0);
	for (i = 0; i < BURST_N; i++)
		ck_assert_int_eq(sendto(fd, data, sizeof(data), 0,
		    (struct sockaddr *)&sin, sizeof(sin)), sizeof(data));
	ck_assert_int_eq(kill(worker, SIGCONT), 0);
	ck_assert_int_eq(count_answers(fd, BURST_N, QUIET_MS), BURST_N);
	(void)close(fd);
	harness_stop(&h);
}
END_TEST

/*
 * Two echo services bounce one forged datagram between them forever
 * (50,000 echoes a second each, observed): with the default rate limit,
 * the loop ends within a second.  A raw socket forges the datagram from
 * A's port to B's; it needs root.
 */
START_TEST(udp_rate_limit_ends_a_loop_between_two_services)
{
	struct {
		struct udphdr	 uh;
		char		 data[8];
	} pkt;
	struct sockaddr_in sin;
	struct harness a, b;
	long long a1, b1, a2, b2;
	uint64_t start;
	int raw;

	if ((raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC,
	    IPPROTO_UDP)) == -1) {
		printf("udp_rate_limit_ends_a_loop_between_two_services: "
		    "skipped: raw socket: %s (needs root)\n", strerror(errno));
		return;
	}
	harness_start(&a, H_UDP4, "per_source_exempt = [];");
	harness_start(&b, H_UDP4, "per_source_exempt = [];");
	memset(&pkt, 0, sizeof(pkt));
	pkt.uh.source = htons(a.udp4);
	pkt.uh.dest = htons(b.udp4);
	pkt.uh.len = htons(sizeof(pkt));
	memcpy(pkt.data, "loop!!!!", 8);	/* checksum 0: none (IPv4) */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	start = clock_now_ms();
	ck_assert_int_eq(sendto(raw, &pkt, sizeof(pkt), 0,
	    (struct sockaddr *)&sin, sizeof(sin)), sizeof(pkt));
	ck_assert(harness_wait_counter(&b, "udp_echoed", 1, 5000));
	ck_assert(harness_wait_counter(&a, "udp_echoed", 1, 5000));
	/* The loop ran at most 1 s; it is over if nothing moves after. */
	while (clock_now_ms() < start + 1000)
		(void)poll(NULL, 0, 50);
	a1 = harness_counter(&a, "udp_echoed");
	b1 = harness_counter(&b, "udp_echoed");
	(void)poll(NULL, 0, QUIET_MS);
	a2 = harness_counter(&a, "udp_echoed");
	b2 = harness_counter(&b, "udp_echoed");
	ck_assert_msg(a1 == a2 && b1 == b2, "the loop goes on: %lld -> %lld "
	    "and %lld -> %lld echoes", a1, a2, b1, b2);
	ck_assert_int_ge(harness_counter(&a, "udp_dropped_rate") +
	    harness_counter(&b, "udp_dropped_rate"), 1);
	(void)close(raw);
	harness_stop(&a);
	harness_stop(&b);
}
END_TEST

/*
 * A flood from one source gets its burst answered and little more, while
 * another source, meanwhile, is answered as usual.
 */
START_TEST(udp_flood_from_one_source_is_limited_others_served)
{
	struct harness h;
	char got[16];
	int flood, other, n;

	harness_start(&h, H_UDP4, "per_source_exempt = [];\n"
	    "udp = { per_source_rate = 10; per_source_burst = 20; };");
	flood = udp_socket_on("127.0.0.1");
	other = udp_socket_on("127.0.0.2");
	send_n(flood, h.udp4, 200, 16);
	ck_assert_int_eq(harness_udp_echo(other, AF_INET, h.udp4, "other", 5,
	    got, 3000), 5);
	n = count_answers(flood, 200, QUIET_MS);
	/* The harness's readiness probes came from 127.0.0.1 too. */
	ck_assert_msg(n >= 10 && n <= 40, "%d of 200 answered", n);
	ck_assert(harness_wait_counter(&h, "udp_dropped_rate", 200 - n, 5000));
	ck_assert(harness_wait_log(&h, "): 127.0.0.1:", 0));
	ck_assert(harness_wait_log(&h, "is over udp.per_source_rate (10 a "
	    "second, bursts of 20)", 0));
	(void)close(flood);
	(void)close(other);
	harness_stop(&h);
}
END_TEST

/* Loopback is exempt by default: a local load test is never limited. */
START_TEST(udp_loopback_is_exempt_by_default)
{
	struct harness h;
	char got[16];
	int fd, i;

	harness_start(&h, H_UDP4, "");
	fd = udp_socket_on("127.0.0.1");
	for (i = 0; i < 500; i++)
		ck_assert_msg(harness_udp_echo(fd, AF_INET, h.udp4, "ping", 4,
		    got, 3000) == 4, "echo %d of 500 not answered", i);
	(void)close(fd);
	harness_stop(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("udp_abuse");
	TCase *tc = tcase_create("udp_abuse");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, udp_receive_buffer_holds_a_burst);
	tcase_add_test(tc, udp_rate_limit_ends_a_loop_between_two_services);
	tcase_add_test(tc, udp_flood_from_one_source_is_limited_others_served);
	tcase_add_test(tc, udp_loopback_is_exempt_by_default);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
