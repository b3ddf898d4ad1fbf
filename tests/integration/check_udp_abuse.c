/* check_udp_abuse.c: UDP under abuse: bursts, loops, floods, access lists. */

#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

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

int
main(void)
{
	Suite *s = suite_create("udp_abuse");
	TCase *tc = tcase_create("udp_abuse");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, udp_receive_buffer_holds_a_burst);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
