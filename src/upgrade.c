/* upgrade.c: re-execute the master in place, keeping its sockets and workers. */

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "generation.h"
#include "handoff.h"
#include "listen.h"
#include "log.h"
#include "master_int.h"
#include "notify.h"
#include "persource.h"
#include "pidfile.h"
#include "scoreboard.h"
#include "upgrade.h"

#define UPGRADE_ENV		"ECHOD_UPGRADE"
#define UPGRADE_CHECK_MS	10000	/* echod -t of the new binary */
#define UPGRADE_ENV_MAX		(64 * 1024)

static int	 self_path(char *, size_t);
static int	 check_binary(const char *, const char *, char *, size_t);
static int	 encode(struct master *, char *, size_t);
static void	 set_cloexec_all(struct master *, bool);
static int	 set_cloexec(int, bool);
static int	 adopt_worker(struct master *, const char *);
static int	 adopt_persource(struct master *, int);
static struct generation *adopted_gen(struct master *, int);

/*
 * The binary at the path this one was started from: after a package
 * upgrade, /proc/self/exe reads "/usr/sbin/echod (deleted)", and the new
 * echod is what the path names now.
 */
static int
self_path(char *path, size_t len)
{
	const char *gone = " (deleted)";
	size_t glen = strlen(gone);
	ssize_t n;

	if ((n = readlink("/proc/self/exe", path, len - 1)) == -1)
		return -1;
	path[n] = '\0';
	if ((size_t)n > glen && strcmp(path + n - glen, gone) == 0)
		path[n - glen] = '\0';
	return 0;
}

/* The new binary must run and accept the configuration: echod -t. */
static int
check_binary(const char *exe, const char *conf, char *why, size_t why_len)
{
	uint64_t deadline = clock_now_ms() + UPGRADE_CHECK_MS;
	struct timespec ts = { 0, 10 * 1000000L };
	pid_t pid, got;
	int st, nul;

	if ((pid = fork()) == -1) {
		(void)snprintf(why, why_len, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		if ((nul = open("/dev/null", O_WRONLY)) != -1)
			(void)dup2(nul, STDOUT_FILENO);
		execl(exe, "echod", "-t", "-c", conf, (char *)NULL);
		_exit(127);
	}
	while ((got = waitpid(pid, &st, WNOHANG)) == 0 &&
	    clock_now_ms() < deadline)
		(void)nanosleep(&ts, NULL);
	if (got == 0) {
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, &st, 0);
		(void)snprintf(why, why_len, "%s -t did not finish within %d s",
		    exe, UPGRADE_CHECK_MS / 1000);
		return -1;
	}
	if (got == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		(void)snprintf(why, why_len, "%s -t -c %s failed (exit %d%s)",
		    exe, conf, got != -1 && WIFEXITED(st) ? WEXITSTATUS(st) :
		    -1, WIFEXITED(st) && WEXITSTATUS(st) == 127 ?
		    ": cannot run it" : "; see its errors above");
		return -1;
	}
	return 0;
}

static int
set_cloexec(int fd, bool on)
{
	if (fd == -1)
		return 0;
	return fcntl(fd, F_SETFD, on ? FD_CLOEXEC : 0);
}

/* What the new image keeps: listeners, the pid file and the table. */
static void
set_cloexec_all(struct master *m, bool on)
{
	size_t i;

	for (i = 0; i < m->cur->ls.n; i++)
		(void)set_cloexec(m->cur->ls.l[i].fd, on);
	(void)set_cloexec(m->pf.fd, on);
	(void)set_cloexec(scoreboard_fd(m->sb), on);
	(void)set_cloexec(persource_fd(m->ps), on);
}

/*
 * "1 pf=FD sb=FD ps=FD next=GEN L=PROTO,FD,LEN,HEX... W=PID,GEN,KIND,..."
 * sb: the status table; ps: the per-source table; L: a listener, with the
 * configured address as raw bytes, so that "port = 0" entries match
 * again; W: a worker (PID,GEN,KIND,SLOT,BOARD), of any generation.
 */
static int
encode(struct master *m, char *buf, size_t len)
{
	const struct listener *li;
	const struct generation *g;
	const struct worker *w;
	const unsigned char *b;
	size_t off = 0, i, k;
	int n;

#define PUT(...) do {							\
	n = snprintf(buf + off, len - off, __VA_ARGS__);		\
	if (n < 0 || (size_t)n >= len - off)				\
		return -1;						\
	off += n;							\
} while (0)
	PUT("1 pf=%d sb=%d ps=%d next=%d", m->pf.fd, scoreboard_fd(m->sb),
	    persource_fd(m->ps), m->next_gen);
	for (i = 0; i < m->cur->ls.n; i++) {
		li = &m->cur->ls.l[i];
		if (li->fd == -1)
			continue;
		PUT(" L=%c,%d,%u,", li->proto == PROTO_TCP ? 't' : 'u', li->fd,
		    (unsigned)li->want.len);
		b = (const unsigned char *)&li->want.ss;
		for (k = 0; k < li->want.len; k++)
			PUT("%02x", b[k]);
	}
	for (g = m->gens; g != NULL; g = g->next)
		for (i = 0; i < (size_t)g->nw; i++) {
			w = &g->w[i];
			if (w->pid > 0)
				PUT(" W=%ld,%d,%c,%d,%d", (long)w->pid, g->id,
				    w->kind == WORKER_TCP ? 't' : 'u', w->slot,
				    w->board);
		}
#undef PUT
	return 0;
}

/*
 * SIGUSR2 or `echod -s upgrade`: execute the binary at our path anew,
 * under this pid, so systemd keeps tracking it.  Listeners, the locked
 * pid file, the status table and the per-source table stay open across
 * exec; the workers, our children still, are adopted by the new image as
 * a generation that drains once its own first generation serves.  If the new binary or the
 * configuration fails its check, or exec fails, nothing changes.
 */
void
master_upgrade(struct master *m)
{
	char exe[PATH_MAX], why[PATH_MAX + 128], status[PATH_MAX + 256];
	char *env, *argv[6];
	int argc = 0;

	log_notice("upgrade: re-executing echod (now %s) in place",
	    PACKAGE_VERSION);
	(void)notify_send("RELOADING=1");
	if (self_path(exe, sizeof(exe)) == -1) {
		(void)snprintf(why, sizeof(why), "readlink /proc/self/exe: %s",
		    strerror(errno));
		goto fail;
	}
	if (check_binary(exe, m->opts->config_path, why, sizeof(why)) == -1)
		goto fail;
	if ((env = malloc(UPGRADE_ENV_MAX)) == NULL ||
	    encode(m, env, UPGRADE_ENV_MAX) == -1 ||
	    setenv(UPGRADE_ENV, env, 1) == -1) {
		free(env);
		(void)snprintf(why, sizeof(why), "cannot describe the state "
		    "to hand over");
		goto fail;
	}
	free(env);
	argv[argc++] = exe;
	if (m->opts->foreground)
		argv[argc++] = "-f";
	argv[argc++] = "-c";
	argv[argc++] = (char *)m->opts->config_path;
	argv[argc] = NULL;
	set_cloexec_all(m, false);
	(void)execv(exe, argv);
	(void)snprintf(why, sizeof(why), "execv %s: %s", exe, strerror(errno));
	set_cloexec_all(m, true);
	(void)unsetenv(UPGRADE_ENV);
fail:
	log_errx("upgrade failed: %s; echod %s goes on serving generation %d",
	    why, PACKAGE_VERSION, m->cur->id);
	scoreboard_count_master(m->sb, MSTAT_RELOAD_FAILURES);
	(void)snprintf(status, sizeof(status), "READY=1\nSTATUS=upgrade "
	    "failed: %s; serving generation %d", why, m->cur->id);
	(void)notify_send(status);
}

bool
upgrade_resuming(void)
{
	const char *s = getenv(UPGRADE_ENV);

	return s != NULL && s[0] != '\0';
}

/* The descriptors an upgrading master handed over, for handoff_keep(). */
size_t
upgrade_keep(int *keep, size_t max)
{
	const char *s = getenv(UPGRADE_ENV), *p;
	size_t n = 0;
	char c;
	int fd;

	if (s == NULL || s[0] == '\0')
		return 0;
	for (p = s; (p = strchr(p, ' ')) != NULL && n < max; p++) {
		if (sscanf(p, " pf=%d", &fd) == 1 ||
		    sscanf(p, " sb=%d", &fd) == 1 ||
		    sscanf(p, " ps=%d", &fd) == 1 ||
		    sscanf(p, " L=%c,%d", &c, &fd) == 2)
			if (fd > STDERR_FILENO)
				keep[n++] = fd;
	}
	return n;
}

static struct generation *
adopted_gen(struct master *m, int id)
{
	struct generation *g;

	for (g = m->gens; g != NULL; g = g->next)
		if (g->adopted && g->id == id)
			return g;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	g->id = id;
	g->adopted = true;
	g->state = GEN_RETIRING;
	/* Retired, with a deadline, once the new generation serves. */
	g->deadline_ms = UINT64_MAX;
	g->next = m->gens;
	m->gens = g;
	return g;
}

/* " W=PID,GEN,KIND,SLOT,BOARD": a worker of the old image, ours now. */
static int
adopt_worker(struct master *m, const char *s)
{
	struct generation *g;
	struct worker *w;
	long pid;
	int gen, slot, board;
	char kind;

	if (sscanf(s, " W=%ld,%d,%c,%d,%d", &pid, &gen, &kind, &slot,
	    &board) != 5)
		return -1;
	if ((g = adopted_gen(m, gen)) == NULL ||
	    (w = realloc(g->w, (g->nw + 1) * sizeof(*g->w))) == NULL)
		return -1;
	g->w = w;
	w = &g->w[g->nw++];
	memset(w, 0, sizeof(*w));
	w->pid = (pid_t)pid;
	w->kind = kind == 't' ? WORKER_TCP : WORKER_UDP;
	w->slot = slot;
	w->board = m->sb_adopted ? board : -1;
	w->started_ms = clock_now_ms();
	return 0;
}

/*
 * The old image's per-source table, so that the connections its workers
 * still hold count against their sources' limits; a table laid out
 * otherwise (or none: an image from before it was handed over) is
 * replaced, and those connections go uncounted until they close.
 */
static int
adopt_persource(struct master *m, int fd)
{
	if (fd != -1 && (m->ps = persource_adopt(fd, PERSOURCE_ENTRIES)) !=
	    NULL)
		return 0;
	log_notice("upgrade: a new per-source table; the old workers' "
	    "connections count against no source's limit");
	if (fd != -1)
		(void)close(fd);
	return (m->ps = persource_create(PERSOURCE_ENTRIES)) != NULL ? 0 : -1;
}

/*
 * In the new image, before the first generation starts: take over the
 * pid file, the status table, the per-source table and the listeners the
 * old image handed over.
 */
int
upgrade_resume(struct master *m, const struct config *cf,
    struct listener_set *ls)
{
	const char *s = getenv(UPGRADE_ENV), *p;
	struct listener_set kept, *old = &kept;
	struct listener *li;
	struct stat st;
	size_t i;
	unsigned int len, k, byte;
	char c;
	int fd, sb_fd = -1, ps_fd = -1, n;

	if (s == NULL || strncmp(s, "1 ", 2) != 0) {
		log_warnx("%s: not from this version of echod", UPGRADE_ENV);
		return -1;
	}
	memset(old, 0, sizeof(*old));
	if ((old->l = calloc(cf->nlistens + 64, sizeof(*old->l))) == NULL)
		return -1;
	for (p = s; (p = strchr(p, ' ')) != NULL; p++) {
		if (sscanf(p, " pf=%d", &fd) == 1) {
			m->pf.fd = fd;
			if ((m->pf.path = strdup(cf->pidfile)) == NULL ||
			    fstat(fd, &st) == -1)
				return -1;
			m->pf.dev = st.st_dev;
			m->pf.ino = st.st_ino;
		} else if (sscanf(p, " sb=%d", &fd) == 1)
			sb_fd = fd;
		else if (sscanf(p, " ps=%d", &fd) == 1)
			ps_fd = fd;
		else if (sscanf(p, " next=%d", &n) == 1)
			m->next_gen = n;
		else if (sscanf(p, " L=%c,%d,%u,%n", &c, &fd, &len, &n) == 3 &&
		    old->n < cf->nlistens + 64 && len <= sizeof(li->want.ss)) {
			li = &old->l[old->n];
			li->want.len = len;
			for (k = 0; k < len; k++) {
				if (sscanf(p + n + 2 * k, "%2x", &byte) != 1)
					return -1;
				((unsigned char *)&li->want.ss)[k] = byte;
			}
			if (listen_adopt(li, fd, &li->want) == -1)
				return -1;
			old->n++;
		}
	}
	if (sb_fd != -1 &&
	    (m->sb = scoreboard_adopt(sb_fd, cf->status_file, SB_SLOTS)) !=
	    NULL)
		m->sb_adopted = true;
	else {
		/* A new layout: the old workers write to the old table. */
		log_notice("upgrade: a new status table; the old workers' "
		    "slots are not carried over");
		if (sb_fd != -1)
			(void)close(sb_fd);
		if (cf->status_file[0] != '\0')
			(void)unlink(cf->status_file);
		m->sb = scoreboard_create(cf->status_file, SB_SLOTS,
		    (gid_t)-1);
	}
	if (m->sb == NULL || adopt_persource(m, ps_fd) == -1 ||
	    listen_open_all(cf, old, ls) == -1)
		return -1;
	/* A listener the file no longer asks for closes, as on a reload. */
	listen_close_except(old, ls, true);
	listen_free(old);
	for (i = 0; i < ls->n; i++)
		if (!ls->l[i].kept)
			log_notice("listening on %s", ls->l[i].name);
	return 0;
}

/* After the first generation exists: the old image's workers, adopted. */
int
upgrade_adopt_workers(struct master *m)
{
	const char *s = getenv(UPGRADE_ENV), *p;
	int n = 0;

	for (p = s; p != NULL && (p = strstr(p, " W=")) != NULL; p++) {
		if (adopt_worker(m, p) == -1) {
			log_warnx("upgrade: cannot adopt worker %.32s", p + 3);
			continue;
		}
		n++;
	}
	handoff_env_blank(UPGRADE_ENV);
	log_info("upgrade: adopted %d workers of the old image", n);
	return 0;
}

/*
 * The new image's first generation serves: the old workers drain, as a
 * reload's would, and systemd hears READY=1 after its RELOADING=1.
 */
void
upgrade_commit(struct master *m)
{
	struct generation *g;
	char status[128];

	for (g = m->gens; g != NULL; g = g->next)
		if (g->adopted && g->deadline_ms == UINT64_MAX) {
			g->cf = NULL;
			g->deadline_ms = clock_now_ms() +
			    (uint64_t)m->cur->cf->shutdown_timeout_s * 1000 +
			    GEN_KILL_GRACE_MS;
			gen_signal(g, SIGTERM);
		}
	log_notice("upgrade complete: echod %s serving generation %d, %d tcp "
	    "workers; the old image's workers draining", PACKAGE_VERSION,
	    m->cur->id, m->cur->ntcp);
	scoreboard_count_master(m->sb, MSTAT_RELOADS);
	scoreboard_set_serving_gen(m->sb, m->cur->id, m->cur->ntcp);
	(void)snprintf(status, sizeof(status), "READY=1\nSTATUS=upgraded to "
	    "echod %s, serving generation %d", PACKAGE_VERSION, m->cur->id);
	(void)notify_send(status);
}
