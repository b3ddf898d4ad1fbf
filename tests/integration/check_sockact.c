/* check_sockact.c: socket activation: listeners systemd passes (LISTEN_FDS). */

#include <sys/socket.h>
#include <netinet/in.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

/*
 * Bind a TCP and a UDP socket on 127.0.0.1 as systemd would for
 * echod.socket, and write a configuration whose listen entries name them
 * (or, with `stray`, a TCP port nobody passed instead of the UDP one).
 */
static void
passed_setup(struct harness *h, uint16_t *tcp, uint16_t *udp, bool stray)
{
	char extra[512];
	int other;

	harness_init(h);
	ck_assert_int_ge(h->passed[0] = harness_tcp_listener(AF_INET), 0);
	ck_assert_int_ge(h->passed[1] = harness_udp_socket(AF_INET), 0);
	h->npassed = 2;
	*tcp = harness_local_port(h->passed[0]);
	*udp = harness_local_port(h->passed[1]);
	ck_assert_int_ge(other = harness_tcp_listener(AF_INET), 0);
	(void)snprintf(extra, sizeof(extra), "workers = 2;\nlisten = (\n"
	    "  { protocol = \"tcp\"; address = \"127.0.0.1\"; port = %u; },\n"
	    "  { protocol = \"%s\"; address = \"127.0.0.1\"; port = %u; }\n"
	    ");", *tcp, stray ? "tcp" : "udp",
	    stray ? harness_local_port(other) : *udp);
	(void)close(other);
	harness_write_config(h, 0, extra);
}

/* Passed sockets serve, are not opened again, and survive a reload. */
START_TEST(sockact_serves_passed_sockets)
{
	struct harness h;
	uint16_t tcp, udp;
	char got[16];
	int fd, u;

	passed_setup(&h, &tcp, &udp, false);
	harness_launch(&h);
	harness_wait_ready(&h);
	ck_assert_int_eq(harness_log_count(&h, "(passed by systemd)"), 2);
	ck_assert_int_ge(fd = harness_connect(AF_INET, tcp, 3000), 0);
	ck_assert_int_eq(harness_echo(fd, "passed", 6, false, 3000), 0);
	ck_assert_int_ge(u = harness_udp_socket(AF_INET), 0);
	ck_assert_int_eq(harness_udp_echo(u, AF_INET, udp, "dgram", 5, got,
	    3000), 5);
	/* The test still holds its copies: a bind by echod would fail. */
	harness_signal(&h, SIGHUP);
	ck_assert(harness_wait_log(&h, "reload complete", 10000));
	ck_assert_int_eq(harness_log_count(&h, "listening on"), 2);
	ck_assert_int_eq(harness_echo(fd, "kept", 4, false, 3000), 0);
	(void)close(fd);
	ck_assert_int_ge(fd = harness_connect(AF_INET, tcp, 3000), 0);
	ck_assert_int_eq(harness_echo(fd, "after", 5, false, 3000), 0);
	(void)close(fd);
	ck_assert_int_eq(harness_udp_echo(u, AF_INET, udp, "again", 5, got,
	    3000), 5);
	(void)close(u);
	harness_stop(&h);
}
END_TEST

/* A passed socket no listen entry serves is a clear refusal to start. */
START_TEST(sockact_refuses_unmatched_socket)
{
	struct harness h;
	uint16_t tcp, udp;
	char want[256];
	int st;

	passed_setup(&h, &tcp, &udp, true);
	harness_launch(&h);
	ck_assert_int_ne(st = harness_wait_exit(&h, 10000), -1);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	(void)snprintf(want, sizeof(want), "udp 127.0.0.1:%u, passed by "
	    "systemd, matches no listen entry of %s", udp, h.conf);
	ck_assert_int_eq(harness_log_count(&h, want), 1);
	harness_finish(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sockact");
	TCase *tc = tcase_create("sockact");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, sockact_serves_passed_sockets);
	tcase_add_test(tc, sockact_refuses_unmatched_socket);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
