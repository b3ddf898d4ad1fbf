/* proc.c: process plumbing: title, privilege drop, daemonize, parent death. */

#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/capability.h>

#include "clock.h"
#include "io.h"
#include "log.h"
#include "proc.h"

extern char **environ;

/* The argv+environ area `ps` reads; overwritten to show the role. */
static struct {
	char		*start;
	size_t		 len;
} title_area;

/*
 * Linux has no setproctitle: `ps` shows the memory argv points to.  The
 * environment usually follows argv; move it to the heap so the whole
 * contiguous area can hold the title.
 */
void
proc_title_init(int argc, char **argv)
{
	char *end, *env_end, **env;
	int i, n;

	if (argc < 1 || argv[0] == NULL)
		return;
	end = argv[0] + strlen(argv[0]) + 1;
	for (i = 1; i < argc && argv[i] == end; i++)
		end = argv[i] + strlen(argv[i]) + 1;
	for (n = 0; environ[n] != NULL; n++)
		;
	if (n > 0 && environ[0] == end && (env = calloc(n + 1,
	    sizeof(*env))) != NULL) {
		env_end = end;
		for (i = 0; i < n; i++) {
			if (environ[i] == env_end)
				env_end = environ[i] + strlen(environ[i]) + 1;
			if ((env[i] = strdup(environ[i])) == NULL)
				break;
		}
		/* Only a complete copy frees the old strings for the title. */
		if (i == n) {
			environ = env;
			end = env_end;
		} else {
			while (i > 0)
				free(env[--i]);
			free(env);
		}
	}
	title_area.start = argv[0];
	title_area.len = end - argv[0];
	/* Arguments past argv[0] now belong to the title area. */
	for (i = 1; i < argc; i++)
		argv[i] = NULL;
}

void
proc_title_set(const char *title)
{
	if (title_area.start != NULL && title_area.len > 1) {
		memset(title_area.start, 0, title_area.len);
		(void)snprintf(title_area.start, title_area.len, "%s", title);
	}
	/* `ps -o comm` and top read the 15-byte kernel name instead. */
	(void)prctl(PR_SET_NAME, title, 0, 0, 0);
}

/*
 * setgroups before setgid before setuid: each needs the privilege the
 * next one drops.
 */
int
proc_drop_privileges(uid_t uid, gid_t gid, const char *user)
{
	gid_t groups[2];

	if (setgroups(1, &gid) == -1) {
		log_warn("setgroups %ld", (long)gid);
		return -1;
	}
	if (setresgid(gid, gid, gid) == -1) {
		log_warn("setresgid %ld", (long)gid);
		return -1;
	}
	if (setresuid(uid, uid, uid) == -1) {
		log_warn("setresuid %s (%ld)", user, (long)uid);
		return -1;
	}
	/*
	 * Verify: a way back to root, a leftover group or a capability kept
	 * through inherited securebits would make the drop worthless.
	 */
	if (setuid(0) != -1 || getuid() != uid || geteuid() != uid ||
	    getgid() != gid || getegid() != gid ||
	    getgroups(1, groups) != 1 || groups[0] != gid ||
	    proc_drop_capabilities() == -1) {
		log_warnx("privileges of %s were not fully dropped", user);
		return -1;
	}
	return 0;
}

/* Fork; the parent exits at once and the child goes on. */
static int
fork_away(void)
{
	switch (fork()) {
	case -1:
		log_warn("fork");
		return -1;
	case 0:
		return 0;
	default:
		_exit(0);
	}
}

/*
 * The launching process stays until the daemon says it serves, so a
 * script that reads the pid file or connects right after `echod` returns
 * finds the new daemon; it exits 1 if the daemon died first.
 */
static _Noreturn void
wait_ready(int fd)
{
	char c;
	ssize_t n;

	do {
		n = read(fd, &c, 1);
	} while (n == -1 && errno == EINTR);
	if (n == 1 && c == '1')
		_exit(0);
	(void)fprintf(stderr, "echod: start-up failed (see the messages "
	    "above, or syslog)\n");
	_exit(1);
}

int
proc_daemonize(int *ready_fd)
{
	int fd, p[2];

	if (pipe2(p, O_CLOEXEC) == -1) {
		log_warn("pipe");
		return -1;
	}
	switch (fork()) {
	case -1:
		log_warn("fork");
		(void)close(p[0]);
		(void)close(p[1]);
		return -1;
	case 0:
		(void)close(p[0]);
		break;
	default:
		(void)close(p[1]);
		wait_ready(p[0]);
	}
	if (setsid() == -1) {
		log_warn("setsid");
		return -1;
	}
	/* Not a session leader: the daemon can never regain a terminal. */
	if (fork_away() == -1)
		return -1;
	if (chdir("/") == -1) {
		log_warn("chdir /");
		return -1;
	}
	(void)umask(022);
	if ((fd = open("/dev/null", O_RDWR)) == -1) {
		log_warn("open /dev/null");
		return -1;
	}
	(void)dup2(fd, STDIN_FILENO);
	(void)dup2(fd, STDOUT_FILENO);
	if (fd > STDERR_FILENO)
		(void)close(fd);
	/* stderr stays until proc_daemon_ready: start-up errors reach it. */
	*ready_fd = p[1];
	return 0;
}

/* Release the launching process; from now on, syslog only. */
void
proc_daemon_ready(int *ready_fd)
{
	char c = '1';

	if (*ready_fd == -1)
		return;
	if (write(*ready_fd, &c, 1) == -1)
		log_warn("tell the launching process we serve");
	(void)close(*ready_fd);
	*ready_fd = -1;
	proc_detach_stderr();
}

void
proc_detach_stderr(void)
{
	int fd;

	log_set_stderr(false);
	if ((fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) == -1)
		return;
	(void)dup2(fd, STDERR_FILENO);
	(void)close(fd);
}

/*
 * Descriptors the launching shell left open (a redirection, a leaked
 * socket) would live in the master and in every worker.  Nothing above
 * stderr is ours at start-up but the `nkeep` in `keep`, sorted: sockets
 * systemd passed, or what an upgrading master handed over.
 */
void
proc_close_inherited(const int *keep, size_t nkeep)
{
	struct dirent *de;
	unsigned int from = STDERR_FILENO + 1;
	size_t i, j;
	DIR *d;
	int fd;

	for (i = 0; i < nkeep; i++) {
		if ((unsigned int)keep[i] < from)
			continue;
		if ((unsigned int)keep[i] > from &&
		    close_range(from, (unsigned int)keep[i] - 1, 0) == -1)
			goto slow;
		from = (unsigned int)keep[i] + 1;
	}
	if (close_range(from, ~0U, 0) == -1)
		goto slow;
	return;
slow:
	/* Kernels before 5.9 lack close_range: list what is open instead. */
	if ((d = opendir("/proc/self/fd")) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		fd = atoi(de->d_name);
		for (j = 0; j < nkeep && keep[j] != fd; j++)
			;
		if (fd > STDERR_FILENO && fd != dirfd(d) && j == nkeep)
			(void)close(fd);
	}
	(void)closedir(d);
}

/*
 * A worker started without root (systemd's User=echod with an ambient
 * CAP_NET_BIND_SERVICE) would keep the master's capabilities across fork;
 * it needs none to echo, so it drops them all and verifies.  Raw capget/
 * capset: a dependency on libcap for two calls would not earn its place.
 */
int
proc_drop_capabilities(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) == -1) {
		log_warn("capget");
		return -1;
	}
	if ((data[0].permitted | data[1].permitted | data[0].inheritable |
	    data[1].inheritable) == 0)
		return 0;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1)
		log_warn("prctl PR_CAP_AMBIENT_CLEAR_ALL");
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) == -1) {
		log_warn("capset (drop all capabilities)");
		return -1;
	}
	if (syscall(SYS_capget, &hdr, data) == -1 ||
	    (data[0].permitted | data[1].permitted | data[0].effective |
	    data[1].effective) != 0) {
		log_warnx("capabilities were not fully dropped");
		return -1;
	}
	return 0;
}

/*
 * A worker must not outlive the master and keep a port: the kernel sends
 * SIGQUIT when the master dies.  The getppid check closes the window where
 * the master died before prctl.
 */
int
proc_watch_parent(pid_t master)
{
	if (prctl(PR_SET_PDEATHSIG, SIGQUIT, 0, 0, 0) == -1) {
		log_warn("prctl PR_SET_PDEATHSIG");
		return -1;
	}
	if (getppid() != master) {
		log_warnx("master %ld is gone", (long)master);
		return -1;
	}
	return 0;
}

/* A wait(2) status in words, for the log. */
void
proc_describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == PROC_EXIT_INIT)
		(void)snprintf(buf, len, "failed to start (exit status %d)",
		    PROC_EXIT_INIT);
	else if (WIFEXITED(status))
		(void)snprintf(buf, len, "exited with status %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		(void)snprintf(buf, len, "killed by signal %d (%s)%s",
		    WTERMSIG(status), strsignal(WTERMSIG(status)),
		    WCOREDUMP(status) ? ", core dumped" : "");
	else
		(void)snprintf(buf, len, "ended with status %#x", status);
}
