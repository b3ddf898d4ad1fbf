/* master.c: master loop: signals, spawn/reap/respawn, reload generations, shutdown. */

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "acceptlock.h"
#include "config.h"
#include "listen.h"
#include "log.h"
#include "master.h"
#include "notify.h"
#include "pidfile.h"
#include "proc.h"
#include "scoreboard.h"
#include "sig.h"
#include "worker.h"

#define RESPAWN_BASE_MS		100	/* first delay after a crash */
#define RESPAWN_MAX_MS		10000	/* backoff cap per slot */
#define HEALTHY_MS		10000	/* uptime that forgives past crashes */
#define INIT_FAILURES_MAX	3	/* then the master gives up */
#define KILL_GRACE_MS		2000	/* past a deadline, before SIGKILL */
#define FDS_PER_WORKER		64	/* listeners, epoll, logging, slack */

enum worker_kind { WORKER_TCP, WORKER_UDP };

/* A slot: one worker process and its respawn history. */
struct worker {
	pid_t			 pid;		/* 0 while not running */
	enum worker_kind	 kind;
	int			 slot;
	uint64_t		 started_ms;
	uint64_t		 respawn_ms;	/* 0: no respawn pending */
	int			 crashes;
	int			 init_failures;
};

/* The workers started from one configuration. */
struct generation {
	int			 id;
	struct config		*cf;
	struct acceptlock	*lock;
	struct scoreboard	*sb;		/* NULL: one worker or no lock */
	struct worker		*w;
	int			 nw;
	uint64_t		 kill_ms;	/* retiring: SIGKILL after */
	struct generation	*next;		/* retiring list */
};

enum master_state { MASTER_RUNNING, MASTER_STOPPING, MASTER_DONE };
enum stop_how { STOP_GRACEFUL, STOP_FAST };

struct master {
	const struct master_opts *opts;
	bool			 is_root;
	pid_t			 pid;
	struct listener_set	 ls;
	struct generation	*cur;
	struct generation	*retiring;
	int			 next_gen;
	enum master_state	 state;
	uint64_t		 stop_kill_ms;
	struct pidfile		 pf;
	sigset_t		 waitmask;
	int			 exit_code;
};

static struct generation *gen_create(struct master *, struct config *,
		    const struct listener_set *);
static void	 gen_free(struct generation *);
static int	 gen_alive(const struct generation *);
static void	 gen_signal(struct generation *, int);
static void	 spawn(struct master *, struct generation *, struct worker *);
static _Noreturn void spawn_child(struct master *, struct generation *,
		    struct worker *);
static const char *kind_name(enum worker_kind);
static void	 describe_status(int, char *, size_t);
static struct worker *find_worker(struct master *, pid_t,
		    struct generation **);
static void	 master_reap(struct master *);
static void	 worker_died(struct master *, struct worker *, int);
static void	 master_respawn_due(struct master *);
static void	 master_reload(struct master *);
static void	 master_stop(struct master *, enum stop_how);
static void	 master_timers(struct master *);
static void	 gc_retiring(struct master *);
static struct timespec *master_deadline(struct master *, struct timespec *);
static void	 raise_nofile(const struct config *);
static int	 master_start(struct master *, struct config *);

static const char *
kind_name(enum worker_kind kind)
{
	return kind == WORKER_TCP ? "tcp" : "udp";
}

/* The workers `cf` needs over the listeners `ls`; nothing forked yet. */
static struct generation *
gen_create(struct master *m, struct config *cf, const struct listener_set *ls)
{
	struct generation *g;
	int i, ntcp;

	if ((g = calloc(1, sizeof(*g))) == NULL) {
		log_err("calloc generation");
		return NULL;
	}
	ntcp = listen_count(ls, PROTO_TCP) > 0 ? cf->workers : 0;
	g->nw = ntcp + (listen_count(ls, PROTO_UDP) > 0 ? 1 : 0);
	if ((g->w = calloc(g->nw > 0 ? g->nw : 1, sizeof(*g->w))) == NULL ||
	    (g->lock = acceptlock_create(cf->accept_lock)) == NULL) {
		log_errx("cannot set up generation %d", m->next_gen);
		free(g->w);
		free(g);
		return NULL;
	}
	/* Without a lock the kernel picks the worker; the scoreboard is moot. */
	if (ntcp > 1 && cf->accept_lock != ACCEPTLOCK_NONE &&
	    (g->sb = scoreboard_create(ntcp)) == NULL) {
		log_errx("cannot set up generation %d", m->next_gen);
		acceptlock_destroy(g->lock);
		free(g->w);
		free(g);
		return NULL;
	}
	for (i = 0; i < g->nw; i++) {
		g->w[i].kind = i < ntcp ? WORKER_TCP : WORKER_UDP;
		g->w[i].slot = i < ntcp ? i : 0;
	}
	g->id = m->next_gen++;
	g->cf = cf;
	return g;
}

static void
gen_free(struct generation *g)
{
	acceptlock_destroy(g->lock);
	scoreboard_destroy(g->sb);
	config_free(g->cf);
	free(g->w);
	free(g);
}

static int
gen_alive(const struct generation *g)
{
	int i, n = 0;

	for (i = 0; i < g->nw; i++)
		if (g->w[i].pid > 0)
			n++;
	return n;
}

static void
gen_signal(struct generation *g, int signo)
{
	int i;

	for (i = 0; i < g->nw; i++) {
		g->w[i].respawn_ms = 0;
		if (g->w[i].pid > 0 && kill(g->w[i].pid, signo) == -1 &&
		    errno != ESRCH)
			log_warn("kill %s worker %ld", kind_name(g->w[i].kind),
			    (long)g->w[i].pid);
	}
}

static _Noreturn void
spawn_child(struct master *m, struct generation *g, struct worker *w)
{
	struct worker_env we;
	struct generation *r;

	pidfile_close_child(&m->pf);
	/* Retiring generations' locks are theirs; the UDP worker needs none. */
	for (r = m->retiring; r != NULL; r = r->next) {
		acceptlock_destroy(r->lock);
		scoreboard_destroy(r->sb);
		r->lock = NULL;
		r->sb = NULL;
	}
	if (w->kind == WORKER_UDP) {
		acceptlock_destroy(g->lock);
		scoreboard_destroy(g->sb);
		g->lock = NULL;
		g->sb = NULL;
	}
	we.cf = g->cf;
	we.ls = &m->ls;
	we.lock = g->lock;
	we.sb = g->sb;
	we.master_pid = m->pid;
	we.slot = w->slot;
	we.generation = g->id;
	we.drop_privileges = m->is_root;
	if (w->kind == WORKER_TCP) {
		listen_close_proto(&m->ls, PROTO_TCP);
		worker_tcp_run(&we);
	}
	listen_close_proto(&m->ls, PROTO_UDP);
	worker_udp_run(&we);
}

static void
spawn(struct master *m, struct generation *g, struct worker *w)
{
	pid_t pid;

	w->respawn_ms = 0;
	if ((pid = fork()) == -1) {
		log_err("fork %s worker", kind_name(w->kind));
		w->respawn_ms = proc_now_ms() + RESPAWN_MAX_MS;
		return;
	}
	if (pid == 0)
		spawn_child(m, g, w);
	w->pid = pid;
	w->started_ms = proc_now_ms();
}

static void
describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		(void)snprintf(buf, len, "exited with status %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		(void)snprintf(buf, len, "killed by signal %d (%s)%s",
		    WTERMSIG(status), strsignal(WTERMSIG(status)),
		    WCOREDUMP(status) ? ", core dumped" : "");
	else
		(void)snprintf(buf, len, "ended with status %#x", status);
}

static struct worker *
find_worker(struct master *m, pid_t pid, struct generation **gp)
{
	struct generation *g;
	int i;

	for (g = m->cur; g != NULL; g = g == m->cur ? m->retiring : g->next)
		for (i = 0; i < g->nw; i++)
			if (g->w[i].pid == pid) {
				*gp = g;
				return &g->w[i];
			}
	return NULL;
}

static void
master_reap(struct master *m)
{
	struct generation *g;
	struct worker *w;
	char why[96];
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((w = find_worker(m, pid, &g)) == NULL)
			continue;
		w->pid = 0;
		if (w->kind == WORKER_TCP && g->sb != NULL)
			scoreboard_clear(g->sb, w->slot);
		if (g == m->cur && m->state == MASTER_RUNNING) {
			worker_died(m, w, status);
			continue;
		}
		describe_status(status, why, sizeof(why));
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			log_info("%s worker %ld of generation %d %s",
			    kind_name(w->kind), (long)pid, g->id, why);
		else
			log_errx("%s worker %ld of generation %d %s",
			    kind_name(w->kind), (long)pid, g->id, why);
	}
	if (pid == -1 && errno != ECHILD)
		log_warn("waitpid");
	gc_retiring(m);
	if (m->state == MASTER_STOPPING && m->retiring == NULL &&
	    (m->cur == NULL || gen_alive(m->cur) == 0))
		m->state = MASTER_DONE;
}

/* An unexpected death in the current generation: respawn, with backoff. */
static void
worker_died(struct master *m, struct worker *w, int status)
{
	uint64_t now = proc_now_ms(), delay;
	char why[96];

	describe_status(status, why, sizeof(why));
	if (WIFEXITED(status) && WEXITSTATUS(status) == PROC_EXIT_INIT) {
		(void)snprintf(why, sizeof(why), "failed to start (exit "
		    "status %d)", PROC_EXIT_INIT);
		if (++w->init_failures >= INIT_FAILURES_MAX) {
			log_errx("%s worker %d failed to start %d times in a "
			    "row (see the errors above); giving up",
			    kind_name(w->kind), w->slot, w->init_failures);
			m->exit_code = 1;
			master_stop(m, STOP_FAST);
			return;
		}
	} else
		w->init_failures = 0;
	if (now - w->started_ms >= HEALTHY_MS)
		w->crashes = 0;
	delay = (uint64_t)RESPAWN_BASE_MS << (w->crashes < 10 ? w->crashes : 10);
	if (delay > RESPAWN_MAX_MS)
		delay = RESPAWN_MAX_MS;
	w->crashes++;
	w->respawn_ms = now + delay;
	log_errx("%s worker %d %s; respawning in %llu ms", kind_name(w->kind),
	    w->slot, why, (unsigned long long)delay);
}

static void
master_respawn_due(struct master *m)
{
	uint64_t now = proc_now_ms();
	struct worker *w;
	int i;

	if (m->state != MASTER_RUNNING || m->cur == NULL)
		return;
	for (i = 0; i < m->cur->nw; i++) {
		w = &m->cur->w[i];
		if (w->pid != 0 || w->respawn_ms == 0 || now < w->respawn_ms)
			continue;
		spawn(m, m->cur, w);
		if (w->pid > 0)
			log_notice("respawned %s worker %d as pid %ld",
			    kind_name(w->kind), w->slot, (long)w->pid);
	}
}

static void
raise_nofile(const struct config *cf)
{
	uint64_t want, got;

	want = (uint64_t)cf->max_connections + cf->nlistens + FDS_PER_WORKER;
	if (proc_raise_nofile(want, &got) == -1)
		log_warnx("RLIMIT_NOFILE is %llu, below the %llu that "
		    "tcp.max_connections = %d needs: workers will pause "
		    "accepting when they run out (raise LimitNOFILE or "
		    "ulimit -n)", (unsigned long long)got,
		    (unsigned long long)want, cf->max_connections);
}

static void
master_reload(struct master *m)
{
	struct config_diag d;
	struct listener_set ls;
	struct generation *g, *old = m->cur;
	struct config *cf;
	size_t i;
	int k;

	log_notice("reloading configuration from %s", m->opts->config_path);
	(void)notify_send("RELOADING=1");
	cf = config_load(m->opts->config_path,
	    m->is_root ? CONFIG_RESOLVE_IDS : 0, &d);
	if (cf == NULL) {
		for (k = 0; k < d.count; k++)
			log_errx("%s", d.msg[k]);
		log_errx("reload failed: keeping the configuration of "
		    "generation %d", old->id);
		(void)notify_send("READY=1");
		return;
	}
	if (strcmp(cf->pidfile, old->cf->pidfile) != 0)
		log_warnx("pidfile: the change to %s takes effect at the "
		    "next restart", cf->pidfile);
	if (listen_open_all(cf, &m->ls, &ls) == -1) {
		log_errx("reload failed: cannot open the new listeners; "
		    "keeping generation %d", old->id);
		config_free(cf);
		(void)notify_send("READY=1");
		return;
	}
	if ((g = gen_create(m, cf, &ls)) == NULL) {
		log_errx("reload failed: keeping generation %d", old->id);
		listen_abandon(&ls);
		config_free(cf);
		(void)notify_send("READY=1");
		return;
	}
	/* Nothing can fail past this point: the new configuration is in. */
	for (i = 0; i < ls.n; i++)
		if (!ls.l[i].kept)
			log_notice("listening on %s", ls.l[i].name);
	listen_set_backlog(&ls, cf->backlog);
	/* Removed listeners close before the fork: no worker inherits them. */
	listen_close_unkept(&m->ls, &ls);
	listen_free(&m->ls);
	m->ls = ls;
	raise_nofile(cf);
	log_configure(cf->log_facility, cf->log_level);
	/* Retire first: the new workers then know which locks are not theirs. */
	m->cur = g;
	old->next = m->retiring;
	m->retiring = old;
	for (k = 0; k < g->nw; k++)
		spawn(m, g, &g->w[k]);
	/* Old workers stop accepting only once new ones are there to. */
	old->kill_ms = proc_now_ms() + (uint64_t)old->cf->shutdown_timeout_s *
	    1000 + KILL_GRACE_MS;
	gen_signal(old, SIGTERM);
	log_notice("reload complete: generation %d, %d tcp workers, accept "
	    "lock %s; generation %d draining", g->id,
	    listen_count(&m->ls, PROTO_TCP) > 0 ? cf->workers : 0,
	    acceptlock_name(cf->accept_lock), old->id);
	(void)notify_send("READY=1");
	gc_retiring(m);
}

static void
master_stop(struct master *m, enum stop_how how)
{
	struct generation *g;
	uint64_t grace;
	int signo = how == STOP_GRACEFUL ? SIGTERM : SIGQUIT;

	if (m->state == MASTER_STOPPING && how == STOP_GRACEFUL)
		return;
	log_notice("%s shutdown", how == STOP_GRACEFUL ? "graceful" : "fast");
	if (m->state == MASTER_RUNNING)
		(void)notify_send("STOPPING=1");
	m->state = MASTER_STOPPING;
	/* Stop accepting at once; the workers close their copies too. */
	listen_close_all(&m->ls);
	grace = how == STOP_GRACEFUL ?
	    (uint64_t)m->cur->cf->shutdown_timeout_s * 1000 : 0;
	if (m->stop_kill_ms == 0 ||
	    proc_now_ms() + grace + KILL_GRACE_MS < m->stop_kill_ms)
		m->stop_kill_ms = proc_now_ms() + grace + KILL_GRACE_MS;
	gen_signal(m->cur, signo);
	for (g = m->retiring; g != NULL; g = g->next)
		gen_signal(g, signo);
	master_reap(m);
}

/* Deadlines: workers that outstay a drain are killed. */
static void
master_timers(struct master *m)
{
	uint64_t now = proc_now_ms();
	struct generation *g;

	for (g = m->retiring; g != NULL; g = g->next)
		if (now >= g->kill_ms && gen_alive(g) > 0) {
			log_warnx("generation %d did not drain in time; "
			    "killing %d workers", g->id, gen_alive(g));
			gen_signal(g, SIGKILL);
			g->kill_ms = UINT64_MAX;
		}
	if (m->state == MASTER_STOPPING && now >= m->stop_kill_ms) {
		log_warnx("workers did not stop in time; killing them");
		gen_signal(m->cur, SIGKILL);
		for (g = m->retiring; g != NULL; g = g->next)
			gen_signal(g, SIGKILL);
		m->stop_kill_ms = UINT64_MAX;
	}
}

static void
gc_retiring(struct master *m)
{
	struct generation **gp = &m->retiring, *g;

	while ((g = *gp) != NULL) {
		if (gen_alive(g) > 0) {
			gp = &g->next;
			continue;
		}
		log_info("generation %d has exited", g->id);
		*gp = g->next;
		gen_free(g);
	}
}

static struct timespec *
master_deadline(struct master *m, struct timespec *ts)
{
	uint64_t next = UINT64_MAX, now = proc_now_ms(), d;
	struct generation *g;
	int i;

	for (i = 0; m->cur != NULL && i < m->cur->nw; i++)
		if (m->cur->w[i].respawn_ms != 0 &&
		    m->cur->w[i].respawn_ms < next)
			next = m->cur->w[i].respawn_ms;
	for (g = m->retiring; g != NULL; g = g->next)
		if (g->kill_ms < next)
			next = g->kill_ms;
	if (m->state == MASTER_STOPPING && m->stop_kill_ms < next)
		next = m->stop_kill_ms;
	if (next == UINT64_MAX)
		return NULL;
	d = next > now ? next - now : 0;
	ts->tv_sec = d / 1000;
	ts->tv_nsec = (d % 1000) * 1000000;
	return ts;
}

static int
master_start(struct master *m, struct config *cf)
{
	static const int signals[] = { SIGHUP, SIGTERM, SIGINT, SIGQUIT,
	    SIGCHLD, 0 };
	size_t i;
	int k;

	if (pidfile_open(&m->pf, cf->pidfile) == -1)
		return -1;
	if (listen_open_all(cf, NULL, &m->ls) == -1)
		return -1;
	for (i = 0; i < m->ls.n; i++)
		log_notice("listening on %s", m->ls.l[i].name);
	raise_nofile(cf);
	if (!m->opts->foreground) {
		if (proc_daemonize() == -1)
			return -1;
		log_set_stderr(false);
	}
	m->pid = getpid();
	if (pidfile_write(&m->pf, m->pid) == -1)
		return -1;
	proc_title_set("echod: master");
	/* Handlers before the first fork: no signal is lost in between. */
	sig_init(signals, &m->waitmask);
	if ((m->cur = gen_create(m, cf, &m->ls)) == NULL)
		return -1;
	for (k = 0; k < m->cur->nw; k++)
		spawn(m, m->cur, &m->cur->w[k]);
	log_notice("echod %s started: %d tcp workers, %s udp worker, accept "
	    "lock %s, generation %d", PACKAGE_VERSION,
	    listen_count(&m->ls, PROTO_TCP) > 0 ? cf->workers : 0,
	    listen_count(&m->ls, PROTO_UDP) > 0 ? "one" : "no",
	    acceptlock_name(cf->accept_lock), m->cur->id);
	(void)notify_send("READY=1");
	return 0;
}

int
master_run(struct config *cf, const struct master_opts *opts)
{
	struct master m;
	struct timespec ts;

	memset(&m, 0, sizeof(m));
	m.opts = opts;
	m.is_root = geteuid() == 0;
	m.pf.fd = -1;
	m.next_gen = 1;
	if (master_start(&m, cf) == -1) {
		if (m.cur == NULL)
			config_free(cf);
		listen_close_all(&m.ls);
		pidfile_remove(&m.pf);
		return 1;
	}
	for (;;) {
		if (sig_take(SIGCHLD))
			master_reap(&m);
		if (sig_take(SIGHUP) && m.state == MASTER_RUNNING)
			master_reload(&m);
		if (sig_take(SIGTERM) | sig_take(SIGINT))
			master_stop(&m, STOP_GRACEFUL);
		if (sig_take(SIGQUIT))
			master_stop(&m, STOP_FAST);
		if (m.state == MASTER_DONE)
			break;
		master_timers(&m);
		master_respawn_due(&m);
		if (ppoll(NULL, 0, master_deadline(&m, &ts), &m.waitmask) == -1 &&
		    errno != EINTR)
			fatal("ppoll");
	}
	log_notice("echod stopped");
	pidfile_remove(&m.pf);
	listen_free(&m.ls);
	gen_free(m.cur);
	return m.exit_code;
}
