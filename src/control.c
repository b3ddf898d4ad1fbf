/* control.c: `echod -s`: ask the running echod for its status, or to act. */

#include <sys/file.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "control.h"
#include "log.h"
#include "master.h"
#include "scoreboard.h"
#include "status.h"

#define WAIT_STEP_MS	20
#define RELOAD_WAIT_MS	60000	/* a generation serves within 10 s */
#define WORKERS_WAIT_MS	30000

static pid_t	 running_pid(const char *);
static struct scoreboard *open_status(const struct config *);
static int	 show(const struct cmdline *, const struct config *);
static int	 wait_reload(const struct config *, const struct sb_snapshot *);
static int	 wait_workers(const struct config *, int);
static bool	 alive(pid_t);
static int	 wait_gone(pid_t, int);
static void	 nap(void);

static void
nap(void)
{
	struct timespec ts = { 0, WAIT_STEP_MS * 1000000L };

	(void)nanosleep(&ts, NULL);
}

/*
 * The master's pid, from the pid file it holds locked: a file nobody
 * locks is left over from a crash, and its pid may be anyone's now.
 */
static pid_t
running_pid(const char *path)
{
	char buf[32];
	ssize_t n;
	pid_t pid;
	int fd;

	if (path[0] == '\0') {
		log_warnx("pidfile is \"\" in the configuration: no way to "
		    "find the running echod");
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		log_warn("echod is not running? pid file %s", path);
		return -1;
	}
	if (flock(fd, LOCK_SH | LOCK_NB) == 0 || errno != EWOULDBLOCK) {
		log_warnx("echod is not running (pid file %s is not locked)",
		    path);
		(void)close(fd);
		return -1;
	}
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	(void)close(fd);
	buf[n > 0 ? n : 0] = '\0';
	if ((pid = (pid_t)atol(buf)) <= 1) {
		log_warnx("pid file %s: no pid in it yet", path);
		return -1;
	}
	return pid;
}

static struct scoreboard *
open_status(const struct config *cf)
{
	struct scoreboard *sb;

	if (cf->status_file[0] == '\0') {
		log_warnx("status_file is \"\" in the configuration: echod "
		    "publishes no status");
		return NULL;
	}
	if ((sb = scoreboard_open(cf->status_file)) != NULL)
		return sb;
	if (errno == ENOENT)
		log_warnx("status file %s: not there (is echod running with "
		    "this configuration?)", cf->status_file);
	else if (errno == EACCES)
		log_warn("status file %s (only root and echod's group may "
		    "read it)", cf->status_file);
	else if (errno == EPROTO || errno == EINVAL)
		log_warnx("status file %s: not written by this version of "
		    "echod", cf->status_file);
	else
		log_warn("status file %s", cf->status_file);
	return NULL;
}

static int
show(const struct cmdline *cl, const struct config *cf)
{
	struct sb_snapshot ss;
	struct scoreboard *sb;

	if ((sb = open_status(cf)) == NULL)
		return 1;
	if (scoreboard_snapshot(sb, &ss) == -1) {
		log_warn("read status file %s", cf->status_file);
		scoreboard_destroy(sb);
		return 1;
	}
	if (kill(ss.master_pid, 0) == -1 && errno == ESRCH) {
		log_warnx("echod is not running: status file %s is left from "
		    "pid %ld", cf->status_file, (long)ss.master_pid);
		scoreboard_snapshot_free(&ss);
		scoreboard_destroy(sb);
		return 1;
	}
	if (cl->control == CONTROL_METRICS)
		status_print_metrics(stdout, &ss);
	else if (cl->json)
		status_print_json(stdout, &ss);
	else
		status_print_text(stdout, &ss);
	scoreboard_snapshot_free(&ss);
	scoreboard_destroy(sb);
	return fflush(stdout) == 0 ? 0 : 1;
}

/*
 * The reload is over when the master counts it, done or failed; so
 * `systemctl reload` (which runs this) returns once it is, and fails
 * with it.
 */
static int
wait_reload(const struct config *cf, const struct sb_snapshot *before)
{
	uint64_t deadline = clock_now_ms() + RELOAD_WAIT_MS;
	struct sb_snapshot ss;
	struct scoreboard *sb;
	int rc = -1;

	if ((sb = scoreboard_open(cf->status_file)) == NULL)
		return 0;	/* nothing to watch: the signal went */
	while (rc == -1 && clock_now_ms() < deadline) {
		nap();
		if (scoreboard_snapshot(sb, &ss) == -1)
			break;
		if (ss.mstat[MSTAT_RELOAD_FAILURES] >
		    before->mstat[MSTAT_RELOAD_FAILURES])
			rc = 1;
		else if (ss.mstat[MSTAT_RELOADS] >
		    before->mstat[MSTAT_RELOADS])
			rc = 0;
		scoreboard_snapshot_free(&ss);
	}
	scoreboard_destroy(sb);
	if (rc == 1)
		log_warnx("reload failed: the old configuration goes on "
		    "serving (the log says why)");
	else if (rc == -1)
		log_warnx("reload: no outcome within %d s", RELOAD_WAIT_MS /
		    1000);
	return rc == 0 ? 0 : 1;
}

static int
wait_workers(const struct config *cf, int want)
{
	uint64_t deadline = clock_now_ms() + WORKERS_WAIT_MS;
	struct sb_snapshot ss;
	struct scoreboard *sb;
	int got = -1;

	if ((sb = scoreboard_open(cf->status_file)) == NULL)
		return 0;
	while (got != want && clock_now_ms() < deadline) {
		if (scoreboard_snapshot(sb, &ss) == -1)
			break;
		got = ss.tcp_workers;
		scoreboard_snapshot_free(&ss);
		if (got != want)
			nap();
	}
	scoreboard_destroy(sb);
	if (got == want)
		return 0;
	log_warnx("workers: echod runs %d tcp workers, not %d (the log says "
	    "why)", got, want);
	return 1;
}

/* A zombie has stopped: only its parent has yet to look. */
static bool
alive(pid_t pid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	if (kill(pid, 0) == -1 && errno != EPERM)
		return false;
	(void)snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return true;
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return (p = strrchr(buf, ')')) == NULL || p[1] == '\0' || p[2] != 'Z';
}

static int
wait_gone(pid_t pid, int ms)
{
	uint64_t deadline = clock_now_ms() + ms;

	while (alive(pid)) {
		if (clock_now_ms() > deadline) {
			log_warnx("echod (pid %ld) still runs after %d s",
			    (long)pid, ms / 1000);
			return 1;
		}
		nap();
	}
	return 0;
}

int
control_run(const struct cmdline *cl, const struct config *cf)
{
	struct sb_snapshot before;
	struct scoreboard *sb;
	union sigval v;
	pid_t pid;
	int rc;

	if (cl->control == CONTROL_STATUS || cl->control == CONTROL_METRICS)
		return show(cl, cf);
	if ((pid = running_pid(cf->pidfile)) == -1)
		return 1;
	switch (cl->control) {
	case CONTROL_RELOAD:
	case CONTROL_UPGRADE:
		/* An upgrade counts as a reload, done or failed. */
		memset(&before, 0, sizeof(before));
		if ((sb = scoreboard_open(cf->status_file)) != NULL &&
		    scoreboard_snapshot(sb, &before) == -1)
			memset(&before, 0, sizeof(before));
		scoreboard_destroy(sb);
		if (kill(pid, cl->control == CONTROL_RELOAD ? SIGHUP :
		    SIGUSR2) == -1) {
			log_warn("kill %ld", (long)pid);
			return 1;
		}
		rc = wait_reload(cf, &before);
		scoreboard_snapshot_free(&before);
		return rc;
	case CONTROL_STOP:
	case CONTROL_QUIT:
		if (kill(pid, cl->control == CONTROL_STOP ? SIGTERM :
		    SIGQUIT) == -1) {
			log_warn("kill %ld", (long)pid);
			return 1;
		}
		return wait_gone(pid, (cf->shutdown_timeout_s + 5) * 1000);
	case CONTROL_WORKERS:
		v.sival_int = cl->workers;
		if (sigqueue(pid, SIG_WORKERS, v) == -1) {
			log_warn("sigqueue %ld", (long)pid);
			return 1;
		}
		return wait_workers(cf, cl->workers);
	default:
		return 1;
	}
}
