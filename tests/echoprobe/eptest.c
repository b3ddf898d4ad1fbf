/* eptest.c: echoprobe integration tests: servers by the harness, the client. */

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "clock.h"
#include "eptest.h"
#include "harness.h"

#ifndef ECHOPROBE_BUILDDIR
#error "ECHOPROBE_BUILDDIR must name the build tree"
#endif

#define EPTEST_ARGS	32

static void	 set_ports(struct eptest_server *, uint16_t, uint16_t);
static bool	 pump(struct eptest_proc *, int);
static bool	 reap(pid_t, uint64_t, int *);

const char *
eptest_path(const char *rel)
{
	static char buf[4][512];
	static int n;
	char *p = buf[n++ % 4];

	(void)snprintf(p, sizeof(buf[0]), "%s/%s", ECHOPROBE_BUILDDIR, rel);
	return p;
}

static void
set_ports(struct eptest_server *s, uint16_t tcp, uint16_t udp)
{
	(void)snprintf(s->tcp_port, sizeof(s->tcp_port), "%u", tcp);
	(void)snprintf(s->udp_port, sizeof(s->udp_port), "%u", udp);
}

void
eptest_echod_start(struct eptest_server *s)
{
	eptest_echod_start_on(s, AF_INET);
}

/*
 * Ready means answering on both protocols (harness_wait_ready), not just
 * bound: a client started before the workers would wait for them on its
 * own clock, -W and all, and on a busy machine that wait could be what
 * the test measures.
 */
void
eptest_echod_start_on(struct eptest_server *s, int family)
{
	memset(s, 0, sizeof(*s));
	harness_start(&s->h, family == AF_INET6 ? H_TCP6 | H_UDP6 :
	    H_TCP4 | H_UDP4, "workers = 2;\n"
	    "udp = { deny_source_ports = []; };\n"
	    "shutdown_timeout = 1;");
	if (family == AF_INET6)
		set_ports(s, s->h.tcp6, s->h.udp6);
	else
		set_ports(s, s->h.tcp4, s->h.udp4);
}

void
eptest_badserver_start(struct eptest_server *s, const char *mode,
    const char *arg)
{
	const char *argv[] = { eptest_path("tests/echoprobe/badserver"),
	    mode, arg, NULL };

	memset(s, 0, sizeof(*s));
	harness_init(&s->h);
	harness_launch_cmd(&s->h, argv);
	harness_wait_ready(&s->h);
	ck_assert(s->h.tcp4 != 0 && s->h.udp4 != 0);
	set_ports(s, s->h.tcp4, s->h.udp4);
}

void
eptest_server_stop(struct eptest_server *s)
{
	harness_stop(&s->h);
}

void
eptest_closed_port(int type, char *buf, size_t len)
{
	int fd;

	fd = type == SOCK_DGRAM ? harness_udp_socket(AF_INET) :
	    harness_tcp_listener(AF_INET);
	ck_assert_int_ne(fd, -1);
	(void)snprintf(buf, len, "%u", harness_local_port(fd));
	(void)close(fd);
}

void
eptest_spawn(struct eptest_proc *p, const char *const *argv)
{
	int in[2], out[2], err[2];

	memset(p, 0, sizeof(*p));
	p->status = -1;
	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1 ||
	    pipe2(err, O_CLOEXEC) == -1)
		ck_abort_msg("pipe2: %s", strerror(errno));
	p->elapsed_ms = (long)clock_now_ms();
	if ((p->pid = fork()) == -1)
		ck_abort_msg("fork: %s", strerror(errno));
	if (p->pid == 0) {
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (dup2(in[0], 0) == -1 || dup2(out[1], 1) == -1 ||
		    dup2(err[1], 2) == -1)
			_exit(126);
		(void)execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	(void)close(in[0]);
	(void)close(out[1]);
	(void)close(err[1]);
	p->in_fd = in[1];
	p->out_fd = out[0];
	p->err_fd = err[0];
}

/* One bounded poll over stdout and stderr; false at EOF on both. */
static bool
pump(struct eptest_proc *p, int timeout_ms)
{
	struct pollfd pfd[2] = { { p->out_fd, POLLIN, 0 },
	    { p->err_fd, POLLIN, 0 } };
	ssize_t n;

	if (p->out_fd == -1 && p->err_fd == -1)
		return false;
	if (poll(pfd, 2, timeout_ms) <= 0)
		return true;
	if (pfd[0].revents != 0) {
		n = read(p->out_fd, p->out + p->out_len,
		    sizeof(p->out) - 1 - p->out_len);
		if (n <= 0) {
			(void)close(p->out_fd);
			p->out_fd = -1;
		} else
			p->out_len += (size_t)n;
		p->out[p->out_len] = '\0';
	}
	if (pfd[1].revents != 0) {
		n = read(p->err_fd, p->err + p->err_len,
		    sizeof(p->err) - 1 - p->err_len);
		if (n <= 0) {
			(void)close(p->err_fd);
			p->err_fd = -1;
		} else
			p->err_len += (size_t)n;
		p->err[p->err_len] = '\0';
	}
	return true;
}

bool
eptest_expect(struct eptest_proc *p, const char *want, int timeout_ms)
{
	uint64_t deadline = clock_now_ms() + timeout_ms;

	while (strstr(p->out, want) == NULL && strstr(p->err, want) == NULL) {
		if (clock_now_ms() > deadline || !pump(p, 20))
			return strstr(p->out, want) != NULL ||
			    strstr(p->err, want) != NULL;
	}
	return true;
}

void
eptest_finish(struct eptest_proc *p, int timeout_ms)
{
	uint64_t deadline = clock_now_ms() + timeout_ms;
	int st;

	if (p->in_fd != -1)
		(void)close(p->in_fd);
	p->in_fd = -1;
	while (pump(p, 20))
		if (clock_now_ms() > deadline)
			break;
	p->timed_out = !reap(p->pid, deadline, &st);
	p->elapsed_ms = (long)clock_now_ms() - p->elapsed_ms;
	if (WIFEXITED(st))
		p->status = WEXITSTATUS(st);
	else if (WIFSIGNALED(st))
		p->status = 128 + WTERMSIG(st);
	if (p->out_fd != -1)
		(void)close(p->out_fd);
	if (p->err_fd != -1)
		(void)close(p->err_fd);
	p->out_fd = p->err_fd = -1;
}

void
eptest_run(struct eptest_proc *p, const char *input, int timeout_ms, ...)
{
	const char *argv[EPTEST_ARGS];
	va_list ap;
	int argc = 0;

	argv[argc++] = eptest_path("echoprobe/echoprobe");
	va_start(ap, timeout_ms);
	while (argc < EPTEST_ARGS - 1 &&
	    (argv[argc] = va_arg(ap, const char *)) != NULL)
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	eptest_spawn(p, argv);
	if (input != NULL && write(p->in_fd, input, strlen(input)) == -1)
		ck_abort_msg("write stdin: %s", strerror(errno));
	eptest_finish(p, timeout_ms);
}

/* The number after "key": in a JSON object; -1 when absent. */
double
eptest_json_double(const char *json, const char *key)
{
	char pat[128];
	const char *p;

	(void)snprintf(pat, sizeof(pat), "\"%s\":", key);
	if ((p = strstr(json, pat)) == NULL)
		return -1;
	return strtod(p + strlen(pat), NULL);
}

/* Counts are far below 2^53: a double holds them exactly. */
long
eptest_json_int(const char *json, const char *key)
{
	return (long)eptest_json_double(json, key);
}

bool
eptest_tty_expect(int fd, char *buf, size_t size, size_t *len, const char *want,
    int timeout_ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	ssize_t n;
	int waited = 0;

	while (strstr(buf, want) == NULL) {
		if (waited >= timeout_ms)
			return false;
		if (poll(&pfd, 1, 20) == 1) {
			n = read(fd, buf + *len, size - 1 - *len);
			if (n <= 0)
				return strstr(buf, want) != NULL;
			*len += (size_t)n;
			buf[*len] = '\0';
		} else
			waited += 20;
	}
	return true;
}

/* Reaps `pid` into *st; false if it had to be killed at the deadline. */
static bool
reap(pid_t pid, uint64_t deadline, int *st)
{
	while (waitpid(pid, st, WNOHANG) != pid) {
		if (clock_now_ms() > deadline) {
			(void)kill(pid, SIGKILL);
			(void)waitpid(pid, st, 0);
			return false;
		}
		(void)poll(NULL, 0, 5);
	}
	return true;
}

/* The exit code (128+N when killed by N), or -1 when killed at the deadline. */
int
eptest_wait(pid_t pid, int timeout_ms)
{
	int st;

	if (!reap(pid, clock_now_ms() + timeout_ms, &st))
		return -1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
}

bool
eptest_have_ipv6(void)
{
	struct sockaddr_in6 sin6;
	int fd, rc;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	if ((fd = socket(AF_INET6, SOCK_STREAM, 0)) == -1)
		return false;
	rc = bind(fd, (struct sockaddr *)&sin6, sizeof(sin6));
	(void)close(fd);
	return rc == 0;
}
