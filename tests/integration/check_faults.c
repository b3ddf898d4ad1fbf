/* check_faults.c: failing system calls in the real echod: no crash, spin, loss. */

#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "fault.h"
#include "harness.h"

/*
 * Each test arms one call in tests/fault/shim.c (preloaded into echod),
 * then checks what issue 13 asks of every fault: echod neither crashes
 * nor spins while the fault lasts (its CPU time stays low), says once,
 * rate-limited, which call failed and why, loses and duplicates no byte
 * of a connection that survives, and serves fully once the fault stops.
 * The fork failure during a reload is check_generations' test.
 */
#define BULK_LEN	(64 * 1024)
#define CPU_WINDOW_MS	1000
#define CPU_MAX_PCT	30	/* a busy loop burns ~100 */
#define WAIT_MS		5000
#define RESPAWN_WAIT_MS	20000	/* a failed fork is retried after 10 s */

static const int accept_errs[] = { EMFILE, ENFILE, ENOBUFS, ECONNABORTED,
    EPERM };
static const int io_errs[] = { ECONNRESET, ENOBUFS, EINTR };

static void	 start_faulty(struct harness *, unsigned, const char *);
static void	 arm(struct harness *, enum fault_call, int, int, pid_t);
static pid_t	 worker_pid(struct harness *, const char *);
static void	 assert_cpu_low(pid_t);
static void	 assert_logged_once(struct harness *, const char *, int);
static void	 assert_bulk_echo(int);
static void	 assert_gets(int, const char *);
static void	 relaunch(struct harness *);
static void	 stream_fault(enum fault_call, int);

static void
start_faulty(struct harness *h, unsigned listeners, const char *conf)
{
	harness_init(h);
	harness_fault_init(h);
	harness_write_config(h, listeners, conf);
	harness_launch(h);
	harness_wait_ready(h);
}

/* Fail `call` with `err`, `count` times (-1: until disarmed), in `pid`. */
static void
arm(struct harness *h, enum fault_call call, int err, int count, pid_t pid)
{
	h->fault->rule[call].pid = pid;
	harness_fault_arm(h, call, err, 0, count);
}

static pid_t
worker_pid(struct harness *h, const char *role)
{
	pid_t pids[8];

	ck_assert_int_eq(harness_workers(h, role, pids, 8), 1);
	return pids[0];
}

/* Sampled over a fixed window: a measurement, not a wait for an event. */
static void
assert_cpu_low(pid_t pid)
{
	long before, after, hz = sysconf(_SC_CLK_TCK);

	ck_assert_int_ge(before = harness_cpu_ticks(pid), 0);
	(void)poll(NULL, 0, CPU_WINDOW_MS);
	ck_assert_int_ge(after = harness_cpu_ticks(pid), 0);
	ck_assert_msg((after - before) * 1000 * 100 / (hz * CPU_WINDOW_MS) <
	    CPU_MAX_PCT, "pid %ld used %ld ticks in %d ms while the fault "
	    "lasted", (long)pid, after - before, CPU_WINDOW_MS);
}

/* A line names the call and the error, and is not repeated. */
static void
assert_logged_once(struct harness *h, const char *call, int err)
{
	char line[512];

	ck_assert_msg(harness_wait_log(h, strerror(err), WAIT_MS),
	    "no log line says \"%s\"", strerror(err));
	ck_assert(harness_log_line(h, strerror(err), line, sizeof(line)));
	ck_assert_msg(strstr(line, call) != NULL, "\"%s\" does not name %s",
	    line, call);
	ck_assert_msg(harness_log_count(h, strerror(err)) <= 2,
	    "\"%s\" logged %d times", strerror(err),
	    harness_log_count(h, strerror(err)));
}

static void
assert_bulk_echo(int fd)
{
	unsigned char *buf;

	ck_assert_ptr_nonnull(buf = malloc(BULK_LEN));
	harness_fill(buf, BULK_LEN, (uint32_t)fd);
	ck_assert_int_eq(harness_echo(fd, buf, BULK_LEN, false, WAIT_MS), 0);
	free(buf);
}

/* Exactly `want` comes back, and nothing more. */
static void
assert_gets(int fd, const char *want)
{
	size_t len = strlen(want);
	char buf[64];

	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(harness_recv_all(fd, buf, len, WAIT_MS), (ssize_t)len);
	ck_assert_str_eq(buf, want);
	ck_assert_int_eq(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EAGAIN);
}

/* Start again after a run that refused to start: a fresh log. */
static void
relaunch(struct harness *h)
{
	ck_assert_int_eq(truncate(h->log, 0), 0);
	harness_launch(h);
	harness_wait_ready(h);
	harness_assert_serves_tcp(h, 3);
}

/*
 * accept4 fails over and over: the worker pauses instead of spinning on
 * the readable listener, the waiting connection is served when the fault
 * stops, and connections already open do not notice.
 */
START_TEST(faults_accept4)
{
	int err = accept_errs[_i];
	struct harness h;
	int open_fd, waiting;

	start_faulty(&h, H_TCP4, "workers = 1;");
	ck_assert_int_ge(open_fd = harness_connect(AF_INET, h.tcp4, 3000), 0);
	assert_bulk_echo(open_fd);
	harness_mark(&h);
	arm(&h, FAULT_ACCEPT4, err, -1, 0);
	ck_assert_int_ge(waiting = harness_connect(AF_INET, h.tcp4, 3000), 0);
	ck_assert_int_eq(harness_send_all(waiting, "waiting", 7, 3000), 7);
	assert_logged_once(&h, "accept4", err);
	assert_cpu_low(worker_pid(&h, "tcp"));
	assert_bulk_echo(open_fd);
	harness_fault_disarm(&h, FAULT_ACCEPT4);
	assert_gets(waiting, "waiting");
	harness_assert_serves_tcp(&h, 5);
	(void)close(waiting);
	(void)close(open_fd);
	harness_stop(&h);
}
END_TEST

/* The first fork fails at start: the worker comes later, once. */
START_TEST(faults_fork_at_start)
{
	struct harness h;

	harness_init(&h);
	harness_fault_init(&h);
	harness_write_config(&h, H_TCP4, "workers = 1;");
	arm(&h, FAULT_FORK, EAGAIN, 1, 0);
	harness_launch(&h);
	assert_logged_once(&h, "fork tcp worker", EAGAIN);
	assert_cpu_low(h.pid);
	ck_assert(harness_wait_log(&h, " started: ", RESPAWN_WAIT_MS));
	harness_wait_ready(&h);
	harness_assert_serves_tcp(&h, 5);
	harness_stop(&h);
}
END_TEST

/* A worker dies and its respawn cannot fork: it is retried. */
START_TEST(faults_fork_at_respawn)
{
	struct harness h;

	start_faulty(&h, H_TCP4, "workers = 1;");
	harness_mark(&h);
	arm(&h, FAULT_FORK, EAGAIN, 1, 0);
	ck_assert_int_eq(kill(worker_pid(&h, "tcp"), SIGKILL), 0);
	assert_logged_once(&h, "fork tcp worker", EAGAIN);
	assert_cpu_low(h.pid);
	ck_assert(harness_wait_log(&h, "respawned tcp worker",
	    RESPAWN_WAIT_MS));
	harness_assert_serves_tcp(&h, 5);
	harness_stop(&h);
}
END_TEST

/*
 * Memory runs out in a TCP worker: the connection it cannot allocate a
 * buffer for waits (its bytes stay in the kernel) and is served when
 * memory comes back; a new connection it cannot allocate is closed.
 */
START_TEST(faults_malloc_in_worker)
{
	struct harness h;
	int starved, refused;
	pid_t tcp;

	start_faulty(&h, H_TCP4, "workers = 1;");
	/*
	 * A worker keeps entries and buffers it freed for reuse: start
	 * from one that has served nobody, not even the harness's check.
	 */
	harness_mark(&h);
	ck_assert_int_eq(kill(worker_pid(&h, "tcp"), SIGKILL), 0);
	ck_assert(harness_wait_log(&h, "tcp worker 0 (generation 1): started", WAIT_MS));
	tcp = worker_pid(&h, "tcp");
	harness_mark(&h);
	/* The first allocation, the new connection's entry, succeeds. */
	h.fault->rule[FAULT_MALLOC].pid = tcp;
	harness_fault_arm(&h, FAULT_MALLOC, ENOMEM, 1, -1);
	ck_assert_int_ge(starved = harness_connect(AF_INET, h.tcp4, 3000), 0);
	ck_assert_int_eq(harness_send_all(starved, "starved", 7, 3000), 7);
	assert_logged_once(&h, "malloc", ENOMEM);
	ck_assert_int_ge(refused = harness_connect(AF_INET, h.tcp4, 3000), 0);
	ck_assert(harness_wait_eof(refused, WAIT_MS));
	ck_assert(harness_wait_log(&h, "malloc connection", WAIT_MS));
	assert_cpu_low(tcp);
	harness_fault_disarm(&h, FAULT_MALLOC);
	assert_gets(starved, "starved");
	assert_bulk_echo(starved);
	harness_assert_serves_tcp(&h, 5);
	(void)close(refused);
	(void)close(starved);
	harness_stop(&h);
}
END_TEST

/* Memory runs out in the master during a reload: it keeps serving. */
START_TEST(faults_malloc_in_master)
{
	struct harness h;
	int fd;

	start_faulty(&h, H_TCP4, "workers = 1;");
	ck_assert_int_ge(fd = harness_connect(AF_INET, h.tcp4, 3000), 0);
	harness_mark(&h);
	arm(&h, FAULT_MALLOC, ENOMEM, -1, h.pid);
	harness_signal(&h, SIGHUP);
	ck_assert(harness_wait_log(&h, "reload failed: keeping the "
	    "configuration of generation 1", 10000));
	assert_logged_once(&h, "", ENOMEM);
	assert_cpu_low(h.pid);
	assert_bulk_echo(fd);
	harness_fault_disarm(&h, FAULT_MALLOC);
	harness_mark(&h);
	harness_signal(&h, SIGHUP);
	ck_assert(harness_wait_log(&h, "reload complete: generation", 10000));
	assert_bulk_echo(fd);
	harness_assert_serves_tcp(&h, 5);
	(void)close(fd);
	harness_stop(&h);
}
END_TEST

/* epoll has no room for a new connection: that one is closed. */
START_TEST(faults_epoll_ctl)
{
	struct harness h;
	int open_fd, refused;
	pid_t tcp;

	start_faulty(&h, H_TCP4, "workers = 1;");
	tcp = worker_pid(&h, "tcp");
	ck_assert_int_ge(open_fd = harness_connect(AF_INET, h.tcp4, 3000), 0);
	assert_bulk_echo(open_fd);
	harness_mark(&h);
	arm(&h, FAULT_EPOLL_CTL, ENOMEM, -1, tcp);
	ck_assert_int_ge(refused = harness_connect(AF_INET, h.tcp4, 3000), 0);
	ck_assert(harness_wait_eof(refused, WAIT_MS));
	assert_logged_once(&h, "epoll_ctl", ENOMEM);
	assert_cpu_low(tcp);
	assert_bulk_echo(open_fd);
	harness_fault_disarm(&h, FAULT_EPOLL_CTL);
	harness_assert_serves_tcp(&h, 5);
	(void)close(refused);
	(void)close(open_fd);
	harness_stop(&h);
}
END_TEST

/*
 * recv or send fails on a live connection.  A reset ends that connection
 * alone; running out of buffers, or EINTR over and over, holds its bytes
 * until the call works again.  Debug logging shows the reset's line.
 */
static void
stream_fault(enum fault_call call, int err)
{
	const char *name = call == FAULT_RECV ? "recv" : "send";
	struct harness h;
	int a, b;
	pid_t tcp;

	start_faulty(&h, H_TCP4, "workers = 1;\nlog = { level = \"debug\"; };");
	tcp = worker_pid(&h, "tcp");
	ck_assert_int_ge(a = harness_connect(AF_INET, h.tcp4, 3000), 0);
	ck_assert_int_ge(b = harness_connect(AF_INET, h.tcp4, 3000), 0);
	assert_bulk_echo(a);
	assert_bulk_echo(b);
	/*
	 * A short echo last, so the worker's last recv on each drained its
	 * socket: after a full 64 KiB read it would recv once more on the
	 * next edge, and the fault armed below could hit b instead of a.
	 */
	ck_assert_int_eq(harness_echo(a, "x", 1, false, 3000), 0);
	ck_assert_int_eq(harness_echo(b, "x", 1, false, 3000), 0);
	harness_mark(&h);
	arm(&h, call, err, err == ECONNRESET ? 1 : -1, tcp);
	ck_assert_int_eq(harness_send_all(a, "held", 4, 3000), 4);
	assert_logged_once(&h, name, err);
	if (err == ECONNRESET) {
		ck_assert(harness_wait_eof(a, WAIT_MS));
		assert_bulk_echo(b);
	} else {
		assert_cpu_low(tcp);
		harness_fault_disarm(&h, call);
		assert_gets(a, "held");
		assert_bulk_echo(a);
		assert_bulk_echo(b);
	}
	harness_fault_disarm(&h, call);
	harness_assert_serves_tcp(&h, 5);
	(void)close(a);
	(void)close(b);
	harness_stop(&h);
}

START_TEST(faults_recv)
{
	stream_fault(FAULT_RECV, io_errs[_i]);
}
END_TEST

START_TEST(faults_send)
{
	stream_fault(FAULT_SEND, io_errs[_i]);
}
END_TEST

/*
 * recvmmsg keeps failing on a readable socket: the UDP worker pauses
 * instead of spinning, and the datagram waiting in the kernel is
 * answered once the fault stops.
 */
START_TEST(faults_recvmmsg)
{
	char out[64];
	struct harness h;
	pid_t udp;
	int fd;

	start_faulty(&h, H_UDP4, "workers = 1;");
	udp = worker_pid(&h, "udp");
	ck_assert_int_ge(fd = harness_udp_socket(AF_INET), 0);
	ck_assert_int_eq(harness_udp_echo(fd, AF_INET, h.udp4, "before", 6,
	    out, 3000), 6);
	harness_mark(&h);
	arm(&h, FAULT_RECVMMSG, EAGAIN, -1, udp);
	ck_assert_int_eq(harness_udp_echo(fd, AF_INET, h.udp4, "waiting", 7,
	    out, 300), -1);
	assert_logged_once(&h, "recvmmsg", EAGAIN);
	assert_cpu_low(udp);
	harness_fault_disarm(&h, FAULT_RECVMMSG);
	memset(out, 0, sizeof(out));
	ck_assert_int_eq(harness_recv_all(fd, out, 7, WAIT_MS), 7);
	ck_assert_str_eq(out, "waiting");
	ck_assert_int_eq(harness_udp_echo(fd, AF_INET, h.udp4, "after", 5,
	    out, 3000), 5);
	(void)close(fd);
	harness_stop(&h);
}
END_TEST

/*
 * sendmmsg: a full socket buffer loses the answer, as UDP may, and says
 * so; a partial send answers every datagram once, none twice.
 */
START_TEST(faults_sendmmsg)
{
	char out[64], msg[24];
	bool seen[16];
	struct harness h;
	int fd, i, got = 0;
	ssize_t n;
	pid_t udp;

	start_faulty(&h, H_UDP4, "workers = 1;");
	udp = worker_pid(&h, "udp");
	ck_assert_int_ge(fd = harness_udp_socket(AF_INET), 0);
	harness_mark(&h);
	arm(&h, FAULT_SENDMMSG, EAGAIN, -1, udp);
	ck_assert_int_eq(harness_udp_echo(fd, AF_INET, h.udp4, "lost", 4,
	    out, 300), -1);
	assert_logged_once(&h, "sendmmsg", EAGAIN);
	harness_fault_disarm(&h, FAULT_SENDMMSG);
	ck_assert_int_eq(harness_udp_echo(fd, AF_INET, h.udp4, "after", 5,
	    out, 3000), 5);
	/* One datagram per sendmmsg, whatever the batch. */
	h.fault->rule[FAULT_SENDMMSG].partial = 1;
	arm(&h, FAULT_SENDMMSG, EAGAIN, -1, udp);
	for (i = 0; i < 16; i++) {
		(void)snprintf(msg, sizeof(msg), "dgram %02d", i);
		ck_assert_int_eq(harness_udp_echo(fd, AF_INET, h.udp4, msg, 8,
		    out, i == 0 ? 3000 : 0), i == 0 ? 8 : -1);
		if (i == 0)
			got++;
	}
	memset(seen, 0, sizeof(seen));
	seen[0] = true;
	while (got < 16 && (n = harness_recv_all(fd, out, 8, 3000)) == 8) {
		out[8] = '\0';
		ck_assert_int_eq(sscanf(out, "dgram %d", &i), 1);
		ck_assert_msg(i >= 0 && i < 16 && !seen[i], "%s twice", out);
		seen[i] = true;
		got++;
	}
	ck_assert_int_eq(got, 16);
	ck_assert_int_eq(recv(fd, out, sizeof(out), MSG_DONTWAIT), -1);
	ck_assert_uint_gt(h.fault->rule[FAULT_SENDMMSG].hits, 0);
	harness_fault_disarm(&h, FAULT_SENDMMSG);
	(void)close(fd);
	harness_stop(&h);
}
END_TEST

/* Five equal datagrams from fd, sent while the UDP worker is stopped. */
static void
send_burst(int fd, uint16_t port, pid_t udp, const char *tag)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	char msg[24];
	int i;

	(void)harness_loopback(AF_INET, port, &ss, &sslen);
	ck_assert_int_eq(kill(udp, SIGSTOP), 0);
	for (i = 0; i < 5; i++) {
		(void)snprintf(msg, sizeof(msg), "%s %d", tag, i);
		ck_assert_int_eq(sendto(fd, msg, strlen(msg), 0,
		    (struct sockaddr *)&ss, sslen), (ssize_t)strlen(msg));
	}
	ck_assert_int_eq(kill(udp, SIGCONT), 0);
}

/* The five answers to send_burst, in order. */
static void
assert_burst_answered(int fd, const char *tag)
{
	char out[64], msg[24];
	int i;

	for (i = 0; i < 5; i++) {
		(void)snprintf(msg, sizeof(msg), "%s %d", tag, i);
		memset(out, 0, sizeof(out));
		ck_assert_int_eq(harness_recv_all(fd, out, strlen(msg),
		    WAIT_MS), (ssize_t)strlen(msg));
		ck_assert_str_eq(out, msg);
	}
	ck_assert_int_eq(recv(fd, out, sizeof(out), MSG_DONTWAIT), -1);
}

/*
 * A segmented send refused (EIO: out of a device that cannot checksum,
 * or through IPsec) goes again one datagram at a time, none lost.  Now
 * and then it is one peer's path: replies are still joined, and nothing
 * is said.  Eight in a row, none going through between them, are the
 * host's: no joined sends for a while, said once.
 */
START_TEST(faults_sendmmsg_segmentation_refused)
{
	struct harness h;
	char tag[16];
	pid_t udp;
	int fd, i;

	start_faulty(&h, H_UDP4, "workers = 1;\nworker_timeout = 0;");
	udp = worker_pid(&h, "udp");
	ck_assert_int_ge(fd = harness_udp_socket(AF_INET), 0);
	harness_mark(&h);
	arm(&h, FAULT_SENDMMSG, EIO, 1, udp);
	send_burst(fd, h.udp4, udp, "once");
	assert_burst_answered(fd, "once");
	/* Joined, and through: the count of refusals in a row starts again. */
	send_burst(fd, h.udp4, udp, "then");
	assert_burst_answered(fd, "then");
	arm(&h, FAULT_SENDMMSG, EIO, 7, udp);
	for (i = 0; i < 7; i++) {
		(void)snprintf(tag, sizeof(tag), "row%d", i);
		send_burst(fd, h.udp4, udp, tag);
		assert_burst_answered(fd, tag);
	}
	ck_assert_uint_eq(h.fault->rule[FAULT_SENDMMSG].hits, 8);
	ck_assert_int_eq(harness_log_count(&h, "segmentation offload"), 0);
	arm(&h, FAULT_SENDMMSG, EIO, 1, udp);
	send_burst(fd, h.udp4, udp, "eighth");
	assert_burst_answered(fd, "eighth");
	ck_assert(harness_wait_log(&h, "UDP segmentation offload refused 8 "
	    "times in a row (Input/output error)", WAIT_MS));
	send_burst(fd, h.udp4, udp, "after");
	assert_burst_answered(fd, "after");
	ck_assert_uint_eq(h.fault->rule[FAULT_SENDMMSG].hits, 9);
	ck_assert_int_eq(harness_log_count(&h, "segmentation offload"), 1);
	ck_assert_int_eq(harness_log_count(&h, "not answered"), 0);
	(void)close(fd);
	harness_stop(&h);
}
END_TEST

/* The disk is full: echod says so and refuses to start, leaving nothing. */
START_TEST(faults_pidfile_enospc)
{
	struct harness h;
	int st;

	harness_init(&h);
	harness_fault_init(&h);
	harness_write_config(&h, H_TCP4, "workers = 1;");
	arm(&h, FAULT_PWRITE, ENOSPC, -1, 0);
	harness_launch(&h);
	ck_assert_int_ne(st = harness_wait_exit(&h, 10000), -1);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	assert_logged_once(&h, "write pid file", ENOSPC);
	ck_assert_int_eq(access(h.pidfile, F_OK), -1);
	harness_fault_disarm(&h, FAULT_PWRITE);
	relaunch(&h);
	harness_stop(&h);
}
END_TEST

/* No shared memory at start: a clear refusal, then a clean start. */
START_TEST(faults_mmap_at_start)
{
	struct harness h;
	int st;

	harness_init(&h);
	harness_fault_init(&h);
	harness_write_config(&h, H_TCP4, "workers = 1;");
	arm(&h, FAULT_MMAP, ENOMEM, -1, 0);
	harness_launch(&h);
	ck_assert_int_ne(st = harness_wait_exit(&h, 10000), -1);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	assert_logged_once(&h, "mmap", ENOMEM);
	harness_fault_disarm(&h, FAULT_MMAP);
	relaunch(&h);
	harness_stop(&h);
}
END_TEST

/* No shared memory for a reload's generation: the old one serves on. */
START_TEST(faults_mmap_at_reload)
{
	struct harness h;
	int fd;

	start_faulty(&h, H_TCP4, "workers = 1;");
	ck_assert_int_ge(fd = harness_connect(AF_INET, h.tcp4, 3000), 0);
	harness_mark(&h);
	arm(&h, FAULT_MMAP, ENOMEM, -1, h.pid);
	harness_signal(&h, SIGHUP);
	ck_assert(harness_wait_log(&h, "reload failed: keeping the "
	    "configuration of generation 1 (cannot set up a new generation)",
	    10000));
	assert_logged_once(&h, "mmap", ENOMEM);
	assert_bulk_echo(fd);
	harness_fault_disarm(&h, FAULT_MMAP);
	harness_mark(&h);
	harness_signal(&h, SIGHUP);
	ck_assert(harness_wait_log(&h, "reload complete: generation", 10000));
	assert_bulk_echo(fd);
	(void)close(fd);
	harness_stop(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("faults");
	TCase *tc = tcase_create("faults");
	SRunner *sr;
	int failed, n_accept, n_io;

	n_accept = sizeof(accept_errs) / sizeof(accept_errs[0]);
	n_io = sizeof(io_errs) / sizeof(io_errs[0]);
	tcase_set_timeout(tc, 90);
	tcase_add_loop_test(tc, faults_accept4, 0, n_accept);
	tcase_add_test(tc, faults_fork_at_start);
	tcase_add_test(tc, faults_fork_at_respawn);
	tcase_add_test(tc, faults_malloc_in_worker);
	tcase_add_test(tc, faults_malloc_in_master);
	tcase_add_test(tc, faults_epoll_ctl);
	tcase_add_loop_test(tc, faults_recv, 0, n_io);
	tcase_add_loop_test(tc, faults_send, 0, n_io);
	tcase_add_test(tc, faults_recvmmsg);
	tcase_add_test(tc, faults_sendmmsg);
	tcase_add_test(tc, faults_sendmmsg_segmentation_refused);
	tcase_add_test(tc, faults_pidfile_enospc);
	tcase_add_test(tc, faults_mmap_at_start);
	tcase_add_test(tc, faults_mmap_at_reload);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
