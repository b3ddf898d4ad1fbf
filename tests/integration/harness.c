/* harness.c: run the real echod on loopback, talk to it, clean up. */

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>

#include <check.h>

#include "clock.h"
#include "fault.h"
#include "harness.h"

#ifndef ECHOD_BIN
#error "ECHOD_BIN must name the echod binary under test"
#endif

#define POLL_MS		5	/* the step of every bounded wait */
#define LOG_DUMP_MAX	6000	/* tail of the log shown for a failed test */
#define CHUNK		65536
#define PF_EXITING	0x00000004	/* <linux/sched.h>: in do_exit() */

static void	 guard_start(struct harness *);
static _Noreturn void guard_run(struct harness *, int);
static void	 guard_tell(struct harness *, const char *, long);
static void	 launch(struct harness *, const char *, const char *const *);
static void	 kill_all(struct harness *);
static void	 remove_files(struct harness *);
static void	 dump_log(struct harness *);
static int	 cap_nofile(long);
static int	 pass_sockets(struct harness *);
static int	 fault_env(struct harness *);
static char	*read_file(const char *, size_t *);
static void	 parse_ports(struct harness *, const char *);
static const char *stat_fields(pid_t, char *, size_t);
static bool	 proc_live(pid_t, pid_t *);
static bool	 proc_cmdline_starts(pid_t, const char *);
static int	 children(pid_t, pid_t *, int);
static int	 wait_fd(int, short, uint64_t);
static void	 nap(void);

static void
nap(void)
{
	struct timespec ts = { 0, POLL_MS * 1000000L };

	(void)nanosleep(&ts, NULL);
}

/*
 * A failed assertion ends the test's process with _exit (Check's fork
 * mode), a timeout with SIGKILL: no atexit handler or teardown runs.  So
 * each run has a guardian process that outlives the test and holds the
 * read end of a pipe.  When the pipe closes without a "done", it kills
 * what is left of echod, prints the end of its log (the why of the
 * failure) and removes the files.  echod itself also gets SIGKILL when
 * the test's process dies (PR_SET_PDEATHSIG, kept across exec).
 */
static void
guard_start(struct harness *h)
{
	int p[2];

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	ck_assert_int_ne(h->guard_pid = fork(), -1);
	if (h->guard_pid == 0) {
		(void)close(p[1]);
		guard_run(h, p[0]);
	}
	(void)close(p[0]);
	h->guard_fd = p[1];
}

static _Noreturn void
guard_run(struct harness *h, int fd)
{
	char msg[64], *nl;
	size_t len = 0;
	ssize_t n;
	int i;

	/* Out of the test's process group, which Check kills on timeout. */
	(void)setpgid(0, 0);
	for (i = 3; i < 1024; i++)
		if (i != fd)
			(void)close(i);
	for (;;) {
		n = read(fd, msg + len, sizeof(msg) - 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
		msg[len] = '\0';
		while ((nl = strchr(msg, '\n')) != NULL) {
			if (msg[0] == 'D')
				_exit(0);
			if (msg[0] == 'P')
				h->pid = (pid_t)atol(msg + 1);
			len -= nl + 1 - msg;
			memmove(msg, nl + 1, len + 1);
		}
		if (len == sizeof(msg) - 1)
			len = 0;
	}
	(void)fprintf(stderr, "harness: the test ended before stopping "
	    "echod; killing it\n");
	kill_all(h);
	dump_log(h);
	remove_files(h);
	_exit(0);
}

static void
guard_tell(struct harness *h, const char *what, long arg)
{
	char msg[32];
	int n;

	n = snprintf(msg, sizeof(msg), "%s%ld\n", what, arg);
	ck_assert_int_eq(write(h->guard_fd, msg, n), n);
}

void
harness_init(struct harness *h)
{
	memset(h, 0, sizeof(*h));
	(void)snprintf(h->dir, sizeof(h->dir), "/tmp/echod-it.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(h->dir));
	(void)snprintf(h->conf, sizeof(h->conf), "%s/echod.conf", h->dir);
	(void)snprintf(h->log, sizeof(h->log), "%s/echod.log", h->dir);
	(void)snprintf(h->pidfile, sizeof(h->pidfile), "%s/echod.pid",
	    h->dir);
	(void)snprintf(h->title, sizeof(h->title), "echod");
	guard_start(h);
}

/*
 * `extra` comes first, so a test knows the line of each of its settings:
 * line 1 is the first line of `extra`.  With no `listeners`, `extra`
 * holds the listen list (a fixed port, say) and port discovery is moot.
 */
void
harness_write_config(struct harness *h, unsigned listeners,
    const char *extra)
{
	static const struct {
		unsigned	 flag;
		const char	*entry;
	} all[] = {
		{ H_TCP4, "{ protocol = \"tcp\"; address = \"127.0.0.1\"; "
		    "port = 0; }" },
		{ H_TCP6, "{ protocol = \"tcp\"; address = \"::1\"; "
		    "port = 0; }" },
		{ H_UDP4, "{ protocol = \"udp\"; address = \"127.0.0.1\"; "
		    "port = 0; }" },
		{ H_UDP6, "{ protocol = \"udp\"; address = \"::1\"; "
		    "port = 0; }" },
	};
	char tmp[128];
	const char *sep = "";
	FILE *f;
	size_t i;

	h->listeners = listeners;
	(void)snprintf(tmp, sizeof(tmp), "%s.new", h->conf);
	ck_assert_ptr_nonnull(f = fopen(tmp, "w"));
	(void)fprintf(f, "%s\n", extra != NULL ? extra : "");
	if (listeners != 0) {
		(void)fprintf(f, "listen = (\n");
		for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
			if (listeners & all[i].flag) {
				(void)fprintf(f, "%s  %s", sep, all[i].entry);
				sep = ",\n";
			}
		(void)fprintf(f, "\n);\n");
	}
	(void)fprintf(f, "pidfile = \"%s\";\n"
	    "user = \"nobody\";\ngroup = \"nogroup\";\n", h->pidfile);
	ck_assert_int_eq(fclose(f), 0);
	/* Atomic: a reload never reads half a file. */
	ck_assert_int_eq(rename(tmp, h->conf), 0);
}

/*
 * In the child: h->passed as sd_listen_fds(3) expects them, at 3 and up,
 * named by LISTEN_FDS and LISTEN_PID, as systemd's socket activation does.
 */
static int
pass_sockets(struct harness *h)
{
	char buf[32];
	int i, tmp[4];

	if (h->npassed == 0)
		return 0;
	for (i = 0; i < h->npassed; i++)
		if ((tmp[i] = fcntl(h->passed[i], F_DUPFD, 64)) == -1)
			return -1;
	for (i = 0; i < h->npassed; i++)
		if (dup2(tmp[i], 3 + i) == -1)
			return -1;
	(void)snprintf(buf, sizeof(buf), "%ld", (long)getpid());
	if (setenv("LISTEN_PID", buf, 1) == -1)
		return -1;
	(void)snprintf(buf, sizeof(buf), "%d", h->npassed);
	if (setenv("LISTEN_FDS", buf, 1) == -1 ||
	    setenv("LISTEN_FDNAMES", "echod.socket", 1) == -1)
		return -1;
	return 0;
}

void
harness_launch(struct harness *h)
{
	const char *const argv[] = { "echod", "-f", "-c", h->conf, NULL };

	launch(h, ECHOD_BIN, argv);
}

/*
 * The guardian keeps the title it was forked with, "echod": should the
 * test die, it leaves another server to PR_SET_PDEATHSIG.
 */
void
harness_launch_cmd(struct harness *h, const char *const *argv)
{
	(void)snprintf(h->title, sizeof(h->title), "%s", argv[0]);
	launch(h, argv[0], argv);
}

static void
launch(struct harness *h, const char *path, const char *const *argv)
{
	pid_t pid;
	int fd, nul;

	fd = open(h->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		/* O_APPEND: master and workers write whole lines, unmixed. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1 ||
		    (nul = open("/dev/null", O_RDONLY)) == -1 ||
		    dup2(nul, STDIN_FILENO) == -1 ||
		    dup2(fd, STDOUT_FILENO) == -1 ||
		    dup2(fd, STDERR_FILENO) == -1 ||
		    (h->nofile > 0 && cap_nofile(h->nofile) == -1) ||
		    (h->fault != NULL && fault_env(h) == -1) ||
		    pass_sockets(h) == -1)
			_exit(126);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	(void)close(fd);
	h->pid = pid;
	h->mark = 0;
	guard_tell(h, "P", (long)pid);
}

/*
 * The shim is not built with the sanitizers: under ASan, whose runtime
 * insists on coming first, tell it that a preloaded library is meant.
 */
static int
fault_env(struct harness *h)
{
	if (setenv("LD_PRELOAD", FAULT_SHIM, 1) == -1 ||
	    setenv("ECHOD_FAULT_FILE", h->fault_file, 1) == -1 ||
	    setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 1) == -1)
		return -1;
	return 0;
}

void
harness_fault_init(struct harness *h)
{
	struct fault_ctl ctl;
	void *p;
	int fd;

	(void)snprintf(h->fault_file, sizeof(h->fault_file), "%s/faults",
	    h->dir);
	memset(&ctl, 0, sizeof(ctl));
	ctl.magic = FAULT_MAGIC;
	ck_assert_int_ne(fd = open(h->fault_file, O_RDWR | O_CREAT |
	    O_CLOEXEC, 0600), -1);
	ck_assert_int_eq(write(fd, &ctl, sizeof(ctl)), sizeof(ctl));
	p = mmap(NULL, sizeof(ctl), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	(void)close(fd);
	ck_assert_ptr_ne(p, MAP_FAILED);
	h->fault = p;
}

/* Let `skip` calls through, then fail `count` (-1: all) with `err`. */
void
harness_fault_arm(struct harness *h, int call, int err, int skip, int count)
{
	struct fault_rule *r = &h->fault->rule[call];

	__atomic_store_n(&r->skip, skip, __ATOMIC_RELAXED);
	__atomic_store_n(&r->count, count, __ATOMIC_RELAXED);
	__atomic_store_n(&r->err, err, __ATOMIC_RELEASE);
}

void
harness_fault_disarm(struct harness *h, int call)
{
	__atomic_store_n(&h->fault->rule[call].err, 0, __ATOMIC_RELEASE);
}

int
harness_notify_open(struct harness *h)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_int_lt(snprintf(sun.sun_path, sizeof(sun.sun_path),
	    "%s/notify", h->dir), (int)sizeof(sun.sun_path));
	ck_assert_int_ne(fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0),
	    -1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	/* The test runs in a process of its own: no other test sees it. */
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", sun.sun_path, 1), 0);
	return fd;
}

bool
harness_notify_next(int fd, char *buf, size_t len, int ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	ssize_t n;

	if (poll(&pfd, 1, ms) != 1 || (n = recv(fd, buf, len - 1, 0)) <= 0)
		return false;
	buf[n] = '\0';
	return true;
}

long long
harness_counter(struct harness *h, const char *name)
{
	const char *args[] = { "-c", h->conf, "-s", "status", "--json",
	    NULL };
	static char out[65536];
	char key[64];
	const char *p;

	if (harness_run(args, out, sizeof(out), 30000) != 0)
		return -1;
	(void)snprintf(key, sizeof(key), "\"%s\":", name);
	if ((p = strstr(out, key)) == NULL)
		return -1;
	return atoll(p + strlen(key));
}

bool
harness_wait_counter(struct harness *h, const char *name, long long want,
    int ms)
{
	uint64_t deadline = clock_now_ms() + ms;

	while (harness_counter(h, name) < want)
		if (clock_now_ms() > deadline)
			return false;
	return true;
}

/*
 * Pin RLIMIT_NOFILE at `n` for the process about to exec echod: as root,
 * also give up CAP_SYS_RESOURCE, without which even root cannot raise a
 * hard limit; the other capabilities (binding, switching user) stay.
 */
static int
cap_nofile(long n)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	struct rlimit rl = { n, n };
	unsigned bit = 1U << (CAP_SYS_RESOURCE % 32);
	int i = CAP_SYS_RESOURCE / 32;

	if (geteuid() == 0) {
		if (prctl(PR_CAPBSET_DROP, CAP_SYS_RESOURCE, 0, 0, 0) == -1 ||
		    syscall(SYS_capget, &hdr, data) == -1)
			return -1;
		data[i].effective &= ~bit;
		data[i].permitted &= ~bit;
		data[i].inheritable &= ~bit;
		if (syscall(SYS_capset, &hdr, data) == -1)
			return -1;
	}
	return setrlimit(RLIMIT_NOFILE, &rl);
}

void
harness_wait_ready(struct harness *h)
{
	uint64_t deadline = clock_now_ms() + H_READY_MS;
	unsigned char got[8];
	char *log;
	int fd, st;

	for (;;) {
		log = read_file(h->log, NULL);
		if (log != NULL && strstr(log, " started: ") != NULL)
			break;
		free(log);
		if (waitpid(h->pid, &st, WNOHANG) == h->pid) {
			h->pid = 0;
			h->status = st;
			ck_abort_msg("echod exited during start-up "
			    "(wait status %#x)", st);
		}
		if (clock_now_ms() > deadline)
			ck_abort_msg("echod did not log \"started:\" within "
			    "%d ms", H_READY_MS);
		nap();
	}
	parse_ports(h, log);
	free(log);
	ck_assert(!(h->listeners & H_TCP4) || h->tcp4 != 0);
	ck_assert(!(h->listeners & H_TCP6) || h->tcp6 != 0);
	ck_assert(!(h->listeners & H_UDP4) || h->udp4 != 0);
	ck_assert(!(h->listeners & H_UDP6) || h->udp6 != 0);
	/* Ready means answering, not just bound. */
	if (h->listeners & H_TCP4) {
		ck_assert_int_ge(fd = harness_connect(AF_INET, h->tcp4,
		    H_READY_MS), 0);
		ck_assert_int_eq(harness_echo(fd, "ready", 5, false,
		    H_READY_MS), 0);
		(void)close(fd);
	}
	if (h->listeners & H_TCP6) {
		ck_assert_int_ge(fd = harness_connect(AF_INET6, h->tcp6,
		    H_READY_MS), 0);
		ck_assert_int_eq(harness_echo(fd, "ready", 5, false,
		    H_READY_MS), 0);
		(void)close(fd);
	}
	if (h->listeners & H_UDP4) {
		ck_assert_int_ge(fd = harness_udp_socket(AF_INET), 0);
		ck_assert_int_eq(harness_udp_echo(fd, AF_INET, h->udp4,
		    "ready", 5, got, H_READY_MS), 5);
		(void)close(fd);
	}
	if (h->listeners & H_UDP6) {
		ck_assert_int_ge(fd = harness_udp_socket(AF_INET6), 0);
		ck_assert_int_eq(harness_udp_echo(fd, AF_INET6, h->udp6,
		    "ready", 5, got, H_READY_MS), 5);
		(void)close(fd);
	}
}

void
harness_start(struct harness *h, unsigned listeners, const char *extra)
{
	harness_init(h);
	harness_write_config(h, listeners, extra);
	harness_launch(h);
	harness_wait_ready(h);
}

/* "listening on tcp 127.0.0.1:40312", "listening on udp [::1]:5353" */
static void
parse_ports(struct harness *h, const char *log)
{
	const char *p, *colon;
	uint16_t *slot;
	bool v6;

	for (p = log; (p = strstr(p, "listening on ")) != NULL; p++) {
		p += strlen("listening on ");
		v6 = p[4] == '[';
		colon = strchr(p, '\n');
		if (strncmp(p, "tcp ", 4) == 0)
			slot = v6 ? &h->tcp6 : &h->tcp4;
		else if (strncmp(p, "udp ", 4) == 0)
			slot = v6 ? &h->udp6 : &h->udp4;
		else
			continue;
		for (colon = p + 4; *colon != '\0' && *colon != '\n';
		    colon++)
			if (*colon == ':' && (!v6 || colon[-1] == ']'))
				break;
		if (*colon == ':' && *slot == 0)
			*slot = (uint16_t)atoi(colon + 1);
	}
}

void
harness_signal(struct harness *h, int signo)
{
	ck_assert_int_gt(h->pid, 0);
	ck_assert_int_eq(kill(h->pid, signo), 0);
}

/* The master's wait status, or -1 if it is still running after `ms`. */
int
harness_wait_exit(struct harness *h, int ms)
{
	uint64_t deadline = clock_now_ms() + ms;
	int st;

	while (h->pid > 0) {
		if (waitpid(h->pid, &st, WNOHANG) == h->pid) {
			h->pid = 0;
			h->status = st;
			break;
		}
		if (clock_now_ms() > deadline)
			return -1;
		nap();
	}
	return h->status;
}

void
harness_assert_clean_log(struct harness *h)
{
	static const char *bad[] = { "ERROR: AddressSanitizer",
	    "ERROR: LeakSanitizer", "runtime error:", "exited with status 1",
	    "exited with status 2", "exited with status 3",
	    "exited with status 4", "exited with status 5",
	    "exited with status 6", "exited with status 7",
	    "exited with status 8", "exited with status 9", NULL };
	size_t saved = h->mark;
	int i;

	h->mark = 0;
	for (i = 0; bad[i] != NULL; i++)
		ck_assert_msg(harness_log_count(h, bad[i]) == 0,
		    "echod log contains \"%s\"", bad[i]);
	h->mark = saved;
}

/* Graceful stop; the run must end cleanly with status 0. */
void
harness_stop(struct harness *h)
{
	harness_stop_keep(h);
	harness_finish(h);
}

/* The same, keeping the log for the test to read; harness_finish after. */
void
harness_stop_keep(struct harness *h)
{
	int st;

	if (h->pid > 0)
		harness_signal(h, SIGTERM);
	st = harness_wait_exit(h, 15000);
	ck_assert_msg(st != -1, "echod still running 15 s after SIGTERM");
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "echod ended with wait status %#x", st);
	harness_assert_clean_log(h);
}

/* Forget a run: kill what may be left of it, remove its files. */
void
harness_finish(struct harness *h)
{
	uint64_t deadline = clock_now_ms() + 5000;

	kill_all(h);
	remove_files(h);
	guard_tell(h, "D", 0);
	(void)close(h->guard_fd);
	while (waitpid(h->guard_pid, NULL, WNOHANG) == 0 &&
	    clock_now_ms() < deadline)
		nap();
}

static void
kill_all(struct harness *h)
{
	pid_t pids[64], pf;
	char *text;
	int i, n, st;

	/* Workers first: once the master is gone they are orphans. */
	if (h->pid > 0 && proc_cmdline_starts(h->pid, h->title)) {
		n = children(h->pid, pids, 64);
		(void)kill(h->pid, SIGKILL);
		for (i = 0; i < n; i++)
			(void)kill(pids[i], SIGKILL);
		(void)harness_wait_gone(h->pid, 5000);
	}
	/* Reaps it when called from the test, its parent. */
	if (h->pid > 0 && waitpid(h->pid, &st, WNOHANG) == h->pid) {
		h->pid = 0;
		h->status = st;
	}
	/* Whatever the pid file names, if it is still an echod. */
	if ((text = read_file(h->pidfile, NULL)) != NULL) {
		pf = (pid_t)atol(text);
		free(text);
		if (pf > 1 && proc_cmdline_starts(pf, "echod")) {
			n = children(pf, pids, 64);
			(void)kill(pf, SIGKILL);
			for (i = 0; i < n; i++)
				(void)kill(pids[i], SIGKILL);
		}
	}
}

static void
remove_files(struct harness *h)
{
	char tmp[128];

	if (h->dir[0] == '\0')
		return;
	(void)snprintf(tmp, sizeof(tmp), "%s.new", h->conf);
	(void)unlink(tmp);
	(void)unlink(h->conf);
	(void)unlink(h->log);
	(void)unlink(h->pidfile);
	(void)snprintf(tmp, sizeof(tmp), "%s/echod.status", h->dir);
	(void)unlink(tmp);
	(void)snprintf(tmp, sizeof(tmp), "%s/notify", h->dir);
	(void)unlink(tmp);
	if (h->fault_file[0] != '\0')
		(void)unlink(h->fault_file);
	(void)rmdir(h->dir);
}

static void
dump_log(struct harness *h)
{
	size_t len;
	char *log;

	if ((log = read_file(h->log, &len)) == NULL)
		return;
	(void)fprintf(stderr, "---- echod log (%s), last %d bytes ----\n%s"
	    "---- end of echod log ----\n", h->log, LOG_DUMP_MAX,
	    len > LOG_DUMP_MAX ? log + len - LOG_DUMP_MAX : log);
	free(log);
}

/* Run echod to completion with `args`; its exit code, or -1. */
int
harness_run(const char *const *args, char *out, size_t outlen, int ms)
{
	const char *argv[16];
	int i;

	argv[0] = ECHOD_BIN;
	for (i = 0; args[i] != NULL && i < 14; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	return harness_run_cmd(argv, out, outlen, ms);
}

/*
 * Run the command `argv` (argv[0] found on PATH) to completion, its
 * stdout and stderr into `out`; its exit code, or -1 if it was killed or
 * outlived `ms`.
 */
int
harness_run_cmd(const char *const *argv, char *out, size_t outlen, int ms)
{
	uint64_t deadline = clock_now_ms() + ms;
	FILE *tf;
	pid_t pid;
	size_t n;
	int st = -1;

	ck_assert_ptr_nonnull(tf = tmpfile());
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1 ||
		    dup2(fileno(tf), STDOUT_FILENO) == -1 ||
		    dup2(fileno(tf), STDERR_FILENO) == -1)
			_exit(126);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &st, WNOHANG) != pid) {
		if (clock_now_ms() > deadline) {
			(void)kill(pid, SIGKILL);
			(void)waitpid(pid, &st, 0);
			st = -1;
			break;
		}
		nap();
	}
	rewind(tf);
	n = fread(out, 1, outlen - 1, tf);
	out[n] = '\0';
	(void)fclose(tf);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static char *
read_file(const char *path, size_t *lenp)
{
	char *buf = NULL, *nbuf;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap == 0 ? 16384 : cap * 2;
			if ((nbuf = realloc(buf, cap + 1)) == NULL)
				break;
			buf = nbuf;
		}
		if ((n = read(fd, buf + len, cap - len)) <= 0)
			break;
		len += n;
	}
	(void)close(fd);
	if (buf == NULL)
		return NULL;
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return buf;
}

void
harness_mark(struct harness *h)
{
	struct stat sb;

	h->mark = stat(h->log, &sb) == 0 ? (size_t)sb.st_size : 0;
}

/* Does a line past the mark contain `needle` (now or within `ms`)? */
bool
harness_wait_log(struct harness *h, const char *needle, int ms)
{
	return harness_wait_log_count(h, needle, 1, ms);
}

/* At least `n` occurrences past the mark, now or within `ms`. */
bool
harness_wait_log_count(struct harness *h, const char *needle, int n, int ms)
{
	uint64_t deadline = clock_now_ms() + ms;

	for (;;) {
		if (harness_log_count(h, needle) >= n)
			return true;
		if (clock_now_ms() > deadline)
			return false;
		nap();
	}
}

int
harness_log_count(struct harness *h, const char *needle)
{
	const char *p;
	size_t len;
	char *log;
	int n = 0;

	if ((log = read_file(h->log, &len)) == NULL)
		return 0;
	for (p = log + (h->mark < len ? h->mark : len);
	    (p = strstr(p, needle)) != NULL; p++)
		n++;
	free(log);
	return n;
}

/* The first whole line past the mark that contains `needle`. */
bool
harness_log_line(struct harness *h, const char *needle, char *out,
    size_t outlen)
{
	const char *p, *start, *end;
	size_t len;
	char *log;

	if ((log = read_file(h->log, &len)) == NULL)
		return false;
	if ((p = strstr(log + (h->mark < len ? h->mark : len), needle)) ==
	    NULL) {
		free(log);
		return false;
	}
	for (start = p; start > log && start[-1] != '\n'; start--)
		;
	if ((end = strchr(p, '\n')) == NULL)
		end = log + len;
	(void)snprintf(out, outlen, "%.*s", (int)(end - start), start);
	free(log);
	return true;
}

/*
 * The fields of /proc/PID/stat after the name (from the state on), read
 * into `buf`; NULL if the process is gone.  The name may hold spaces and
 * parentheses, so the fields start after its last ')'.
 */
static const char *
stat_fields(pid_t pid, char *buf, size_t len)
{
	char path[64], *p;
	ssize_t n;
	int fd;

	(void)snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	n = read(fd, buf, len - 1);
	(void)close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL)
		return NULL;
	return p + 1;
}

/*
 * Is `pid` alive, and who is its parent?  A process that has begun to exit
 * (PF_EXITING) counts as gone, as a zombie does: under load, and under ASan
 * whose address space takes long to tear down, it can linger for a while
 * with its memory, and so its title, already gone.  It will never run
 * again, and every helper must agree on that: a worker that no longer shows
 * up in harness_workers must not be alive to harness_pid_alive either.
 */
static bool
proc_live(pid_t pid, pid_t *ppid)
{
	const char *f;
	unsigned flags;
	char buf[512], state;
	int pp;

	if ((f = stat_fields(pid, buf, sizeof(buf))) == NULL ||
	    sscanf(f, " %c %d %*d %*d %*d %*d %u", &state, &pp, &flags) != 3)
		return false;
	*ppid = pp;
	return state != 'Z' && state != 'X' && (flags & PF_EXITING) == 0;
}

static bool
proc_cmdline_starts(pid_t pid, const char *prefix)
{
	char path[64], buf[256];
	ssize_t n;
	int fd;

	(void)snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strncmp(buf, prefix, strlen(prefix)) == 0;
}

/* Live children of `parent` (see proc_live). */
static int
children(pid_t parent, pid_t *pids, int max)
{
	struct dirent *de;
	DIR *d;
	pid_t pid, ppid;
	int n = 0;

	if ((d = opendir("/proc")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < max) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = (pid_t)atol(de->d_name);
		if (proc_live(pid, &ppid) && ppid == parent)
			pids[n++] = pid;
	}
	(void)closedir(d);
	return n;
}

bool
harness_proc_is(pid_t pid, const char *title)
{
	return proc_cmdline_starts(pid, title);
}

/*
 * Live children of the master whose title is "echod: <role> worker"; with
 * a NULL role, all of them.  A worker just forked still shows the master's
 * title: it counts for its role once it has taken its own, which is before
 * it drops its privileges and logs "started".  A test that looks at more
 * than the count waits for that line first.
 */
int
harness_workers(struct harness *h, const char *role, pid_t *pids, int max)
{
	pid_t all[256];
	char title[64];
	int i, n, k = 0;

	if (h->pid <= 0)
		return 0;
	(void)snprintf(title, sizeof(title), "echod: %s worker",
	    role != NULL ? role : "");
	n = children(h->pid, all, 256);
	for (i = 0; i < n; i++)
		if (role == NULL || proc_cmdline_starts(all[i], title)) {
			if (k < max)
				pids[k] = all[i];
			k++;
		}
	return k;
}

bool
harness_wait_workers(struct harness *h, const char *role, int want, int ms)
{
	uint64_t deadline = clock_now_ms() + ms;
	pid_t pids[256];

	for (;;) {
		if (harness_workers(h, role, pids, 256) == want)
			return true;
		if (clock_now_ms() > deadline)
			return false;
		nap();
	}
}

bool
harness_pid_alive(pid_t pid)
{
	pid_t ppid;

	return proc_live(pid, &ppid);
}

/* `nconns` new connections to the TCP/IPv4 listener, each echoed. */
void
harness_assert_serves_tcp(struct harness *h, int nconns)
{
	char msg[32];
	int fd, i, n;

	for (i = 0; i < nconns; i++) {
		n = snprintf(msg, sizeof(msg), "connection %d", i);
		ck_assert_int_ge(fd = harness_connect(AF_INET, h->tcp4,
		    H_WAIT_MS), 0);
		ck_assert_int_eq(harness_echo(fd, msg, n, false, H_WAIT_MS),
		    0);
		(void)close(fd);
	}
}

/* utime + stime of `pid` in clock ticks, from /proc/PID/stat; -1 if gone. */
long
harness_cpu_ticks(pid_t pid)
{
	unsigned long ut, st;
	const char *f;
	char buf[1024];

	if ((f = stat_fields(pid, buf, sizeof(buf))) == NULL ||
	    sscanf(f, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &ut, &st) != 2)
		return -1;
	return (long)(ut + st);
}

bool
harness_wait_gone(pid_t pid, int ms)
{
	uint64_t deadline = clock_now_ms() + ms;

	while (harness_pid_alive(pid)) {
		if (clock_now_ms() > deadline)
			return false;
		nap();
	}
	return true;
}

/* The number on the line of /proc/PID/status that `fmt` scans; -1 if none. */
static long
proc_status(pid_t pid, const char *fmt)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	(void)snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, fmt, &v) == 1)
			break;
	(void)fclose(f);
	return v;
}

/* Times `pid` went to sleep (each a wake-up to come); -1: it is gone. */
long
harness_sleeps(pid_t pid)
{
	return proc_status(pid, "voluntary_ctxt_switches: %ld");
}

long
harness_rss_kb(pid_t pid)
{
	return proc_status(pid, "VmRSS: %ld kB");
}

/* Real, effective, saved and filesystem ids must agree; else -1. */
bool
harness_proc_ids(pid_t pid, uid_t *uid, gid_t *gid)
{
	char path[64], line[256];
	unsigned long a, b, c, d;
	int found = 0;
	FILE *f;

	(void)snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "Uid: %lu %lu %lu %lu", &a, &b, &c, &d) ==
		    4) {
			*uid = a == b && b == c && c == d ? (uid_t)a :
			    (uid_t)-1;
			found++;
		} else if (sscanf(line, "Gid: %lu %lu %lu %lu", &a, &b, &c,
		    &d) == 4) {
			*gid = a == b && b == c && c == d ? (gid_t)a :
			    (gid_t)-1;
			found++;
		}
	}
	(void)fclose(f);
	return found == 2;
}

/* The loopback address of `family` (127.0.0.1 or ::1) at `port`. */
int
harness_loopback(int family, uint16_t port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(*sin);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sin6->sin6_addr = in6addr_loopback;
		*len = sizeof(*sin6);
	}
	return 0;
}

/* A TCP socket listening on a free loopback port, to occupy it. */
int
harness_tcp_listener(int family)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	(void)harness_loopback(family, 0, &ss, &len);
	if ((fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&ss, len) == -1 ||
	    listen(fd, 1) == -1) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

/* Can a new socket take the loopback `port` (TCP: bind and listen)? */
bool
harness_wait_bindable(int family, int type, uint16_t port, int ms)
{
	uint64_t deadline = clock_now_ms() + ms;
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, ok, on = 1;

	(void)harness_loopback(family, port, &ss, &len);
	for (;;) {
		ck_assert_int_ge(fd = socket(family, type | SOCK_CLOEXEC, 0),
		    0);
		/* TIME_WAIT left by our own connections must not count. */
		if (type == SOCK_STREAM)
			(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
			    sizeof(on));
		ok = bind(fd, (struct sockaddr *)&ss, len) == 0 &&
		    (type != SOCK_STREAM || listen(fd, 1) == 0);
		(void)close(fd);
		if (ok)
			return true;
		if (clock_now_ms() > deadline)
			return false;
		nap();
	}
}

/* 1 ready, 0 timed out, -1 error. */
static int
wait_fd(int fd, short events, uint64_t deadline)
{
	struct pollfd pfd = { fd, events, 0 };
	uint64_t now = clock_now_ms();
	int r;

	if (now >= deadline)
		return 0;
	r = poll(&pfd, 1, (int)(deadline - now));
	if (r == -1 && errno == EINTR)
		return 0;
	return r;
}

/* A connected TCP socket, or -1 with errno (ECONNREFUSED, ETIMEDOUT). */
int
harness_connect(int family, uint16_t port, int ms)
{
	uint64_t deadline = clock_now_ms() + ms;
	struct sockaddr_storage ss;
	socklen_t len, elen;
	int fd, err;

	(void)harness_loopback(family, port, &ss, &len);
	if ((fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, len) == 0)
		return fd;
	if (errno != EINPROGRESS)
		goto fail;
	if (wait_fd(fd, POLLOUT, deadline) <= 0) {
		errno = ETIMEDOUT;
		goto fail;
	}
	elen = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == -1)
		goto fail;
	if (err == 0)
		return fd;
	errno = err;
fail:
	err = errno;
	(void)close(fd);
	errno = err;
	return -1;
}

int
harness_udp_socket(int family)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	(void)harness_loopback(family, 0, &ss, &len);
	if ((fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&ss, len) == -1) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

uint16_t
harness_local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* Bytes sent before the deadline or an error. */
ssize_t
harness_send_all(int fd, const void *data, size_t len, int ms)
{
	uint64_t deadline = clock_now_ms() + ms;
	const unsigned char *p = data;
	size_t off = 0;
	ssize_t n;

	while (off < len) {
		n = send(fd, p + off, len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += n;
			continue;
		}
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			break;
		if (wait_fd(fd, POLLOUT, deadline) <= 0)
			break;
	}
	return off;
}

/* Bytes received before the deadline, EOF or an error. */
ssize_t
harness_recv_all(int fd, void *buf, size_t len, int ms)
{
	uint64_t deadline = clock_now_ms() + ms;
	unsigned char *p = buf;
	size_t off = 0;
	ssize_t n;

	while (off < len) {
		n = recv(fd, p + off, len - off, 0);
		if (n > 0) {
			off += n;
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			break;
		if (wait_fd(fd, POLLIN, deadline) <= 0)
			break;
	}
	return off;
}

/*
 * Send `len` bytes and read them back at the same time, so neither side
 * stalls on a full buffer.  With `shut`, half-close after the last byte
 * and require EOF after the last echoed byte.  0: every byte came back
 * in order (and EOF if asked); -1 otherwise.
 */
int
harness_echo(int fd, const void *data, size_t len, bool shut, int ms)
{
	uint64_t deadline = clock_now_ms() + ms, now;
	const unsigned char *p = data;
	unsigned char *in, extra[64];
	size_t out_off = 0, in_off = 0;
	struct pollfd pfd;
	bool shut_done = false, eof = false;
	ssize_t n;
	int r = -1;

	if ((in = malloc(len > 0 ? len : 1)) == NULL)
		return -1;
	while (in_off < len || (shut && !eof)) {
		if (shut && out_off == len && !shut_done) {
			if (shutdown(fd, SHUT_WR) == -1)
				goto done;
			shut_done = true;
		}
		pfd.fd = fd;
		pfd.events = POLLIN | (out_off < len ? POLLOUT : 0);
		if ((now = clock_now_ms()) >= deadline)
			goto done;
		if (poll(&pfd, 1, (int)(deadline - now)) == -1 &&
		    errno != EINTR)
			goto done;
		if (out_off < len && (pfd.revents & (POLLOUT | POLLERR))) {
			n = send(fd, p + out_off, len - out_off > CHUNK ?
			    CHUNK : len - out_off, MSG_NOSIGNAL);
			if (n > 0)
				out_off += n;
			else if (n == -1 && errno != EAGAIN && errno != EINTR)
				goto done;
		}
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (in_off < len)
			n = recv(fd, in + in_off, len - in_off, 0);
		else
			n = recv(fd, extra, sizeof(extra), 0);
		if (n > 0 && in_off == len)
			goto done;		/* more than was sent */
		if (n > 0)
			in_off += n;
		else if (n == 0 && in_off == len)
			eof = true;
		else if (n == 0 || (errno != EAGAIN && errno != EINTR))
			goto done;
	}
	r = memcmp(in, data, len) == 0 ? 0 : -1;
done:
	free(in);
	return r;
}

/* The peer closed (EOF or reset) within `ms`; data read is dropped. */
bool
harness_wait_eof(int fd, int ms)
{
	uint64_t deadline = clock_now_ms() + ms;
	unsigned char buf[4096];
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == 0 || (n == -1 && errno == ECONNRESET))
			return true;
		if (n > 0)
			continue;
		if (errno != EAGAIN && errno != EINTR)
			return false;
		if (wait_fd(fd, POLLIN, deadline) <= 0)
			return false;
	}
}

/*
 * One datagram to the loopback `port` and the answer from that port into
 * `out`, which holds at least len + 1 bytes so a longer answer shows.
 * The answer's length, or -1 if none came within `ms`.
 */
ssize_t
harness_udp_echo(int fd, int family, uint16_t port, const void *data,
    size_t len, void *out, int ms)
{
	uint64_t deadline = clock_now_ms() + ms;
	struct sockaddr_storage ss, from;
	socklen_t sslen, fromlen;
	ssize_t n;

	(void)harness_loopback(family, port, &ss, &sslen);
	if (sendto(fd, data, len, 0, (struct sockaddr *)&ss, sslen) !=
	    (ssize_t)len)
		return -1;
	for (;;) {
		if (wait_fd(fd, POLLIN, deadline) <= 0)
			return -1;
		fromlen = sizeof(from);
		n = recvfrom(fd, out, len + 1, 0, (struct sockaddr *)&from,
		    &fromlen);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n == -1)
			return -1;
		if (from.ss_family == family &&
		    (family == AF_INET ?
		    ((struct sockaddr_in *)&from)->sin_port :
		    ((struct sockaddr_in6 *)&from)->sin6_port) == htons(port))
			return n;
	}
}

/* Reproducible bytes, NULs and all: xorshift32 from `seed`. */
void
harness_fill(unsigned char *buf, size_t len, uint32_t seed)
{
	uint32_t x = seed != 0 ? seed : 0x9e3779b9;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (unsigned char)(x >> 24);
	}
}
