/* check_udp_echo.c: UDP echo: sizes, payload, denied source ports. */

#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <signal.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

#define UDP4_MAX	65507	/* 65535 - 20 (IPv4) - 8 (UDP) */
#define UDP6_MAX	65527	/* 65535 - 8: the IPv6 header is not counted */

static const int families[] = { AF_INET, AF_INET6 };

/* Every size from empty to the largest the family allows, byte for byte. */
START_TEST(udp_echoes_empty_to_largest_datagrams)
{
	static const size_t sizes[] = { 0, 1, 1472, UDP4_MAX, UDP6_MAX };
	unsigned char *data = malloc(UDP6_MAX), *got = malloc(UDP6_MAX + 1);
	int family = families[_i], fd;
	uint16_t port;
	struct harness h;
	size_t i;

	ck_assert_ptr_nonnull(data);
	ck_assert_ptr_nonnull(got);
	harness_fill(data, UDP6_MAX, 5);
	data[0] = data[100] = data[UDP4_MAX - 1] = '\0';
	harness_start(&h, H_UDP, "");
	port = family == AF_INET ? h.udp4 : h.udp6;
	ck_assert_int_ge(fd = harness_udp_socket(family), 0);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (family == AF_INET && sizes[i] > UDP4_MAX)
			continue;
		ck_assert_msg(harness_udp_echo(fd, family, port, data,
		    sizes[i], got, H_WAIT_MS) == (ssize_t)sizes[i],
		    "no or wrong-sized answer to a %zu-byte datagram",
		    sizes[i]);
		ck_assert_mem_eq(got, data, sizes[i]);
	}
	(void)close(fd);
	free(data);
	free(got);
	harness_stop(&h);
}
END_TEST

/*
 * The client's port is in the deny list: its datagrams get no answer, while
 * a datagram sent after them from another port is answered; the worker
 * counts the drops and reports them when it exits.
 */
START_TEST(udp_denied_source_port_is_dropped_and_counted)
{
	int family = families[_i], denied, allowed;
	char conf[128], got[16];
	struct pollfd pfd;
	struct harness h;
	uint16_t port;
	int i;

	ck_assert_int_ge(denied = harness_udp_socket(family), 0);
	(void)snprintf(conf, sizeof(conf),
	    "udp = { deny_source_ports = [ \"%u\" ]; };",
	    harness_local_port(denied));
	harness_start(&h, H_UDP, conf);
	port = family == AF_INET ? h.udp4 : h.udp6;
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(harness_udp_echo(denied, family, port,
		    "denied", 6, got, i == 0 ? 300 : 0), -1);
	/* Queued behind the denied ones: its answer means they were seen. */
	ck_assert_int_ge(allowed = harness_udp_socket(family), 0);
	ck_assert_int_eq(harness_udp_echo(allowed, family, port, "allowed", 7,
	    got, H_WAIT_MS), 7);
	pfd.fd = denied;
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 200), 0);
	harness_stop_keep(&h);
	ck_assert(harness_wait_log(&h, "udp worker (generation 1): dropped 3 datagrams from "
	    "denied source ports, 0 from broadcast, multicast or invalid "
	    "sources, 0 sent to broadcast or multicast addresses", 0));
	(void)close(denied);
	(void)close(allowed);
	harness_finish(&h);
}
END_TEST

/*
 * A datagram to a broadcast address gets no answer (one request would
 * draw one from every echo service in reach); unicast still does.  On
 * loopback, 127.255.255.255 is the broadcast address a wildcard socket
 * receives.
 */
START_TEST(udp_broadcast_destination_is_not_answered)
{
	const char *conf = "workers = 1;\nlisten = ( { protocol = \"udp\"; "
	    "address = \"0.0.0.0\"; port = 0; } );";
	struct sockaddr_in sin;
	struct pollfd pfd;
	struct harness h;
	char line[256], got[16];
	unsigned port;
	int fd, on = 1;

	harness_init(&h);
	harness_write_config(&h, 0, conf);
	harness_launch(&h);
	ck_assert(harness_wait_log(&h, "udp worker (generation 1): started", H_READY_MS));
	ck_assert(harness_log_line(&h, "listening on udp 0.0.0.0:", line,
	    sizeof(line)));
	ck_assert_int_eq(sscanf(strrchr(line, ':') + 1, "%u", &port), 1);
	ck_assert_int_ge(fd = harness_udp_socket(AF_INET), 0);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on,
	    sizeof(on)), 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(0x7fffffff);	/* 127.255.255.255 */
	ck_assert_int_eq(sendto(fd, "bcast", 5, 0, (struct sockaddr *)&sin,
	    sizeof(sin)), 5);
	pfd.fd = fd;
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 300), 0);
	ck_assert_int_eq(harness_udp_echo(fd, AF_INET, port, "unicast", 7,
	    got, H_WAIT_MS), 7);
	harness_stop_keep(&h);
	ck_assert(harness_wait_log(&h, "invalid sources, 1 sent to "
	    "broadcast or multicast addresses", 0));
	(void)close(fd);
	harness_finish(&h);
}
END_TEST

/* The next datagram on fd into buf (max bytes), or -1 after `ms`. */
static ssize_t
next_datagram(int fd, void *buf, size_t max, int ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };

	if (poll(&pfd, 1, ms) != 1)
		return -1;
	return recv(fd, buf, max, MSG_DONTWAIT);
}

/*
 * Replies to one peer, one after another and of one size, leave as one
 * segmented send (udp_send.c); the client must still get each datagram
 * on its own, whole and in order.  The worker is stopped while two
 * clients send, so that one receive takes them all: runs of equal sizes
 * from one client, broken by the other client, by another size, by an
 * empty datagram and by datagrams too long to be joined.
 */
START_TEST(udp_burst_is_answered_datagram_by_datagram)
{
	static const struct { int who; size_t len; int count; } plan[] = {
		{ 0, 100, 5 }, { 1, 100, 3 }, { 0, 40, 2 }, { 0, 1400, 3 },
		{ 1, 0, 1 }, { 0, 100, 4 }, { 1, 1232, 3 }, { 1, 1233, 2 },
	};
	unsigned char want[32][1400], got[1500];
	size_t wantlen[32];
	int family = families[_i], fd[2], order[32], n = 0, i, k, w;
	struct sockaddr_storage ss;
	struct harness h;
	socklen_t sslen;
	pid_t worker;
	ssize_t r;

	harness_start(&h, H_UDP, "worker_timeout = 0;");
	ck_assert(harness_wait_workers(&h, "udp", 1, H_READY_MS));
	ck_assert_int_eq(harness_workers(&h, "udp", &worker, 1), 1);
	(void)harness_loopback(family, family == AF_INET ? h.udp4 : h.udp6,
	    &ss, &sslen);
	for (w = 0; w < 2; w++)
		ck_assert_int_ge(fd[w] = harness_udp_socket(family), 0);
	ck_assert_int_eq(kill(worker, SIGSTOP), 0);
	for (i = 0; i < (int)(sizeof(plan) / sizeof(plan[0])); i++)
		for (k = 0; k < plan[i].count; k++, n++) {
			harness_fill(want[n], plan[i].len, (uint32_t)n + 1);
			wantlen[n] = plan[i].len;
			order[n] = plan[i].who;
			ck_assert_int_eq(sendto(fd[order[n]], want[n],
			    wantlen[n], 0, (struct sockaddr *)&ss, sslen),
			    (ssize_t)wantlen[n]);
		}
	ck_assert_int_eq(kill(worker, SIGCONT), 0);
	for (i = 0; i < n; i++) {
		r = next_datagram(fd[order[i]], got, sizeof(got), H_WAIT_MS);
		ck_assert_msg(r == (ssize_t)wantlen[i], "datagram %d of "
		    "client %d: %zd bytes back, %zu sent", i, order[i], r,
		    wantlen[i]);
		ck_assert_mem_eq(got, want[i], wantlen[i]);
	}
	for (w = 0; w < 2; w++) {
		ck_assert_int_eq(next_datagram(fd[w], got, sizeof(got), 200),
		    -1);
		(void)close(fd[w]);
	}
	harness_stop(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("udp_echo");
	TCase *tc = tcase_create("udp_echo");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 20);
	tcase_add_loop_test(tc, udp_echoes_empty_to_largest_datagrams, 0, 2);
	tcase_add_loop_test(tc, udp_denied_source_port_is_dropped_and_counted,
	    0, 2);
	tcase_add_test(tc, udp_broadcast_destination_is_not_answered);
	tcase_add_loop_test(tc, udp_burst_is_answered_datagram_by_datagram, 0,
	    2);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
