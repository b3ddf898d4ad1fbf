/* eptest.c: echoprobe integration tests: start servers, run the client. */

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "eptest.h"

#ifndef ECHOPROBE_BUILDDIR
#error "ECHOPROBE_BUILDDIR must name the build tree"
#endif

#define EPTEST_PIDS	16
#define EPTEST_ARGS	32

/* What this test process started, for the exit handler. */
static pid_t started[EPTEST_PIDS];

static long	 now_ms(void);
static void	 remember(pid_t);
static void	 forget(pid_t);
static void	 kill_started(void);
static pid_t	 start_logged(const char *const *, const char *);
static void	 wait_listening(struct eptest_server *, int);
static void	 wait_logged(struct eptest_server *, const char *, int);
static void	 port_of(const char *, const char *, char *, size_t);
static void	 reap(pid_t, int);
static bool	 pump(struct eptest_proc *, int);

static long
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
kill_started(void)
{
	int i;

	for (i = 0; i < EPTEST_PIDS; i++)
		if (started[i] > 0)
			(void)kill(started[i], SIGKILL);
}

static void
remember(pid_t pid)
{
	static bool registered;
	int i;

	if (!registered && atexit(kill_started) == 0)
		registered = true;
	for (i = 0; i < EPTEST_PIDS; i++)
		if (started[i] <= 0) {
			started[i] = pid;
			return;
		}
}

static void
forget(pid_t pid)
{
	int i;

	for (i = 0; i < EPTEST_PIDS; i++)
		if (started[i] == pid)
			started[i] = 0;
}

const char *
eptest_path(const char *rel)
{
	static char buf[4][512];
	static int n;
	char *p = buf[n++ % 4];

	(void)snprintf(p, sizeof(buf[0]), "%s/%s", ECHOPROBE_BUILDDIR, rel);
	return p;
}

/* stdout and stderr to a file: a server's log can never fill a pipe. */
static pid_t
start_logged(const char *const *argv, const char *log)
{
	pid_t pid;
	int fd;

	if ((pid = fork()) == -1)
		ck_abort_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd == -1 || dup2(fd, 1) == -1 || dup2(fd, 2) == -1)
			_exit(126);
		(void)execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	remember(pid);
	return pid;
}

/* "listening on tcp 127.0.0.1:N" or "... [::1]:N": N after the last colon. */
static void
port_of(const char *log, const char *what, char *port, size_t len)
{
	const char *p, *end, *colon = NULL;

	if ((p = strstr(log, what)) == NULL)
		return;
	end = p + strcspn(p, "\n");
	if (*end != '\n')
		return;		/* the line is not complete yet */
	for (; p < end; p++)
		if (*p == ':')
			colon = p;
	if (colon != NULL && (size_t)(end - colon) <= len)
		(void)snprintf(port, len, "%.*s", (int)(end - colon - 1),
		    colon + 1);
}

/* Polls the log (bounded) for both "listening on" lines. */
static void
wait_listening(struct eptest_server *s, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	char buf[8192];
	ssize_t n;
	int fd, st;

	for (;;) {
		n = -1;
		if ((fd = open(s->log, O_RDONLY)) != -1) {
			n = read(fd, buf, sizeof(buf) - 1);
			(void)close(fd);
		}
		if (n > 0) {
			buf[n] = '\0';
			port_of(buf, "listening on tcp ", s->tcp_port,
			    sizeof(s->tcp_port));
			port_of(buf, "listening on udp ", s->udp_port,
			    sizeof(s->udp_port));
			if (s->tcp_port[0] != '\0' && s->udp_port[0] != '\0')
				return;
		}
		if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
			forget(s->pid);
			ck_abort_msg("server exited before listening: %s",
			    n > 0 ? buf : "(no output)");
		}
		if (now_ms() > deadline)
			ck_abort_msg("server not listening after %d ms: %s",
			    timeout_ms, n > 0 ? buf : "(no output)");
		(void)poll(NULL, 0, 10);
	}
}

/*
 * Polls the log (bounded) for `want`.  echod binds its ports before it
 * forks its workers: a client that starts on "listening on" alone waits
 * for a worker on its own clock, -W and all, and on a busy machine that
 * wait can be what the test measures.
 */
static void
wait_logged(struct eptest_server *s, const char *want, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	char buf[8192];
	ssize_t n;
	int fd;

	for (;;) {
		n = -1;
		if ((fd = open(s->log, O_RDONLY)) != -1) {
			n = read(fd, buf, sizeof(buf) - 1);
			(void)close(fd);
		}
		if (n > 0) {
			buf[n] = '\0';
			if (strstr(buf, want) != NULL)
				return;
		}
		if (now_ms() > deadline)
			ck_abort_msg("no \"%s\" from the server after %d "
			    "ms: %s", want, timeout_ms,
			    n > 0 ? buf : "(no output)");
		(void)poll(NULL, 0, 10);
	}
}

void
eptest_echod_start(struct eptest_server *s)
{
	eptest_echod_start_on(s, "127.0.0.1");
}

void
eptest_echod_start_on(struct eptest_server *s, const char *addr)
{
	const char *argv[] = { eptest_path("src/echod"), "-f", "-c", NULL,
	    NULL };
	FILE *f;
	int fd;

	memset(s, 0, sizeof(*s));
	(void)snprintf(s->conf, sizeof(s->conf), "/tmp/eptest-conf.XXXXXX");
	(void)snprintf(s->log, sizeof(s->log), "/tmp/eptest-log.XXXXXX");
	if ((fd = mkstemp(s->conf)) == -1 || (f = fdopen(fd, "w")) == NULL)
		ck_abort_msg("mkstemp: %s", strerror(errno));
	fprintf(f, "workers = 2;\n"
	    "listen = (\n"
	    "  { protocol = \"tcp\"; address = \"%s\"; port = 0; },\n"
	    "  { protocol = \"udp\"; address = \"%s\"; port = 0; }\n"
	    ");\n"
	    "udp = { deny_source_ports = []; };\n"
	    "shutdown_timeout = 1;\n"
	    "user = \"nobody\";\ngroup = \"nogroup\";\npidfile = \"\";\n",
	    addr, addr);
	(void)fclose(f);
	if ((fd = mkstemp(s->log)) == -1)
		ck_abort_msg("mkstemp: %s", strerror(errno));
	(void)close(fd);
	argv[3] = s->conf;
	s->pid = start_logged(argv, s->log);
	wait_listening(s, 10000);
	wait_logged(s, "tcp worker 0 started", 10000);
	wait_logged(s, "tcp worker 1 started", 10000);
	wait_logged(s, "udp worker started", 10000);
}

void
eptest_badserver_start(struct eptest_server *s, const char *mode,
    const char *arg)
{
	const char *argv[] = { eptest_path("tests/echoprobe/badserver"),
	    mode, arg, NULL };
	int fd;

	memset(s, 0, sizeof(*s));
	(void)snprintf(s->log, sizeof(s->log), "/tmp/eptest-log.XXXXXX");
	if ((fd = mkstemp(s->log)) == -1)
		ck_abort_msg("mkstemp: %s", strerror(errno));
	(void)close(fd);
	s->pid = start_logged(argv, s->log);
	wait_listening(s, 10000);
}

/* SIGTERM, a bounded wait for the exit, then SIGKILL. */
static void
reap(pid_t pid, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	int st;

	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (now_ms() > deadline) {
			(void)kill(pid, SIGKILL);
			(void)waitpid(pid, &st, 0);
			break;
		}
		(void)poll(NULL, 0, 10);
	}
	forget(pid);
}

void
eptest_server_stop(struct eptest_server *s)
{
	if (s->pid > 0) {
		(void)kill(s->pid, SIGTERM);
		reap(s->pid, 5000);
		s->pid = 0;
	}
	if (s->conf[0] != '\0')
		(void)unlink(s->conf);
	if (s->log[0] != '\0')
		(void)unlink(s->log);
}

void
eptest_closed_port(int type, char *buf, size_t len)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, type, 0);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	(void)close(fd);
	(void)snprintf(buf, len, "%u", ntohs(sin.sin_port));
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
	p->elapsed_ms = now_ms();
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
	remember(p->pid);
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
	long deadline = now_ms() + timeout_ms;

	while (strstr(p->out, want) == NULL && strstr(p->err, want) == NULL) {
		if (now_ms() > deadline || !pump(p, 20))
			return strstr(p->out, want) != NULL ||
			    strstr(p->err, want) != NULL;
	}
	return true;
}

void
eptest_finish(struct eptest_proc *p, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	int st;

	if (p->in_fd != -1)
		(void)close(p->in_fd);
	p->in_fd = -1;
	while (pump(p, 20))
		if (now_ms() > deadline)
			break;
	for (;;) {
		if (waitpid(p->pid, &st, WNOHANG) == p->pid)
			break;
		if (now_ms() > deadline) {
			p->timed_out = true;
			(void)kill(p->pid, SIGKILL);
			(void)waitpid(p->pid, &st, 0);
			break;
		}
		(void)poll(NULL, 0, 5);
	}
	forget(p->pid);
	p->elapsed_ms = now_ms() - p->elapsed_ms;
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

/* The integer after "key": in a JSON object; -1 when absent. */
long
eptest_json_int(const char *json, const char *key)
{
	char pat[128];
	const char *p;

	(void)snprintf(pat, sizeof(pat), "\"%s\":", key);
	if ((p = strstr(json, pat)) == NULL)
		return -1;
	return strtol(p + strlen(pat), NULL, 10);
}

void
eptest_track(pid_t pid)
{
	remember(pid);
}

/* The exit code (128+N when killed by N), or -1 when killed at the deadline. */
int
eptest_wait(pid_t pid, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	int st;

	for (;;) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		if (now_ms() > deadline) {
			(void)kill(pid, SIGKILL);
			(void)waitpid(pid, &st, 0);
			forget(pid);
			return -1;
		}
		(void)poll(NULL, 0, 5);
	}
	forget(pid);
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
