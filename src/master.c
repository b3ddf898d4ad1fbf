/* master.c: master loop: signals, spawn/reap/respawn, reload generations, shutdown. */

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "acceptlock.h"
#include "clock.h"
#include "config.h"
#include "generation.h"
#include "handoff.h"
#include "io.h"
#include "listen.h"
#include "log.h"
#include "master.h"
#include "master_int.h"
#include "monitor.h"
#include "notify.h"
#include "pidfile.h"
#include "proc.h"
#include "scoreboard.h"
#include "sig.h"
#include "upgrade.h"
#include "worker.h"

static _Noreturn void spawn_child(struct master *, struct generation *,
		    struct worker *);
static void	 master_reap(struct master *);
static void	 worker_died(struct master *, struct worker *, int);
static void	 master_respawn_due(struct master *);
static void	 master_signals(struct master *);
static void	 master_resize(struct master *, int);
static void	 master_check_ready(struct master *);
static void	 master_announce(struct master *);
static void	 master_stop(struct master *, enum stop_how);
static void	 master_timers(struct master *);
static void	 gc_retiring(struct master *);
static struct timespec *master_deadline(struct master *, struct timespec *);
static int	 master_start(struct master *, struct config *);
static void	 master_free(struct master *);

static _Noreturn void
spawn_child(struct master *m, struct generation *g, struct worker *w)
{
	struct worker_env we;
	struct generation *o;

	pidfile_close_child(&m->pf);
	(void)close(m->wake[0]);
	if (m->ready_fd != -1)
		(void)close(m->ready_fd);
	/* Other generations' locks and listeners are not ours. */
	for (o = m->gens; o != NULL; o = o->next) {
		if (o == g)
			continue;
		acceptlock_destroy(o->lock);
		o->lock = NULL;
		listen_close_except(&o->ls, &g->ls, false);
	}
	if (w->kind == WORKER_UDP) {
		acceptlock_destroy(g->lock);
		g->lock = NULL;
	}
	we.cf = g->cf;
	we.ls = &g->ls;
	we.lock = g->lock;
	we.sb = m->sb;
	we.ps = m->ps;
	we.board = w->board;
	/* Without a lock the kernel picks the worker; sharing is moot. */
	we.share_bursts = g->cf->accept_lock != ACCEPTLOCK_NONE;
	we.master_pid = m->pid;
	we.wake_fd = m->wake[1];
	we.slot = w->slot;
	we.generation = g->id;
	we.drop_privileges = m->is_root;
	we.foreground = m->opts->foreground;
	if (w->kind == WORKER_TCP) {
		listen_keep_only(&g->ls, PROTO_TCP);
		worker_tcp_run(&we);
	}
	listen_keep_only(&g->ls, PROTO_UDP);
	worker_udp_run(&we);
}

void
master_spawn(struct master *m, struct generation *g, struct worker *w)
{
	pid_t pid;

	w->respawn_ms = 0;
	w->hung_ms = 0;
	if ((w->board = scoreboard_claim(m->sb, g->id, w->kind == WORKER_TCP ?
	    SB_TCP : SB_UDP, w->slot)) == -1) {
		log_errx("fork %s worker: no free scoreboard slot (too many "
		    "generations still draining)", gen_kind_name(w->kind));
		errno = ENOSPC;
		w->respawn_ms = clock_now_ms() + RESPAWN_MAX_MS;
		return;
	}
	if ((pid = fork()) == -1) {
		log_err("fork %s worker", gen_kind_name(w->kind));
		scoreboard_release(m->sb, w->board);
		w->board = -1;
		w->respawn_ms = clock_now_ms() + RESPAWN_MAX_MS;
		return;
	}
	if (pid == 0)
		spawn_child(m, g, w);
	w->pid = pid;
	scoreboard_set_pid(m->sb, w->board, pid);
	w->started_ms = clock_now_ms();
}

static void
master_reap(struct master *m)
{
	struct generation *g;
	struct worker *w;
	char why[96], what[160];
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((w = gen_find(m->gens, pid, &g)) == NULL)
			continue;
		w->pid = 0;
		scoreboard_release(m->sb, w->board);
		if (w->kind == WORKER_TCP && (!WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0))
			persource_forget(m->ps);
		w->board = -1;
		if (w->retiring) {
			proc_describe_status(status, why, sizeof(why));
			log_info("tcp worker %d retired (%s)", w->slot, why);
			gen_remove(g, w);
			continue;
		}
		if (g->state == GEN_SERVING && m->state == MASTER_RUNNING) {
			worker_died(m, w, status);
			continue;
		}
		proc_describe_status(status, why, sizeof(why));
		if (g->state == GEN_STARTING) {
			(void)snprintf(what, sizeof(what), "%s worker %d of "
			    "generation %d %s", gen_kind_name(w->kind), w->slot,
			    g->id, why);
			reload_abort(m, what);
		} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			log_info("%s worker %ld of generation %d %s",
			    gen_kind_name(w->kind), (long)pid, g->id, why);
		else
			log_errx("%s worker %ld of generation %d %s",
			    gen_kind_name(w->kind), (long)pid, g->id, why);
	}
	if (pid == -1 && errno != ECHILD)
		log_warn("waitpid");
	gc_retiring(m);
	for (g = m->gens; g != NULL; g = g->next)
		if (gen_alive(g) > 0)
			return;
	if (m->state == MASTER_STOPPING)
		m->state = MASTER_DONE;
}

/* An unexpected death in the serving generation: respawn, with backoff. */
static void
worker_died(struct master *m, struct worker *w, int status)
{
	uint64_t now = clock_now_ms(), delay;
	char why[96];

	proc_describe_status(status, why, sizeof(why));
	if (WIFEXITED(status) && WEXITSTATUS(status) == PROC_EXIT_INIT) {
		if (++w->init_failures >= INIT_FAILURES_MAX) {
			log_errx("%s worker %d failed to start %d times in a "
			    "row (see the errors above); giving up",
			    gen_kind_name(w->kind), w->slot, w->init_failures);
			m->exit_code = 1;
			master_stop(m, STOP_FAST);
			return;
		}
	} else
		w->init_failures = 0;
	if (now - w->started_ms >= HEALTHY_MS)
		w->crashes = 0;
	delay = (uint64_t)RESPAWN_BASE_MS <<
	    (w->crashes < 10 ? w->crashes : 10);
	if (delay > RESPAWN_MAX_MS)
		delay = RESPAWN_MAX_MS;
	w->crashes++;
	w->respawn_ms = now + delay;
	log_errx("%s worker %d %s; respawning in %llu ms",
	    gen_kind_name(w->kind),
	    w->slot, why, (unsigned long long)delay);
}

static void
master_respawn_due(struct master *m)
{
	uint64_t now = clock_now_ms();
	struct worker *w;
	int i;

	if (m->state != MASTER_RUNNING || m->cur == NULL)
		return;
	for (i = 0; i < m->cur->nw; i++) {
		w = &m->cur->w[i];
		if (w->pid != 0 || w->respawn_ms == 0 || now < w->respawn_ms)
			continue;
		master_spawn(m, m->cur, w);
		if (w->pid <= 0)
			continue;
		scoreboard_count_master(m->sb, MSTAT_RESPAWNS);
		log_notice("respawned %s worker %d as pid %ld",
		    gen_kind_name(w->kind), w->slot, (long)w->pid);
	}
}

/* Workers write to the pipe once they serve; look at who does. */
static void
master_check_ready(struct master *m)
{
	char buf[64];

	while (read(m->wake[0], buf, sizeof(buf)) > 0)
		;
	if (m->state != MASTER_RUNNING)
		return;
	if (m->starting != NULL && gen_serving(m->starting, m->sb))
		reload_commit(m);
	if (!m->announced && gen_serving(m->cur, m->sb))
		master_announce(m);
}

/* The first generation serves: tell the log, systemd and the launcher. */
static void
master_announce(struct master *m)
{
	struct generation *g = m->cur;
	char status[128];

	m->announced = true;
	if (m->resumed) {
		m->resumed = false;
		upgrade_commit(m);
		return;
	}
	scoreboard_set_serving_gen(m->sb, g->id, g->ntcp);
	log_notice("echod %s started: %d tcp workers, %s udp worker, accept "
	    "lock %s, generation %d", PACKAGE_VERSION, g->ntcp,
	    g->nw > g->ntcp ? "one" : "no", acceptlock_name(g->cf->accept_lock),
	    g->id);
	(void)snprintf(status, sizeof(status), "READY=1\nSTATUS=serving "
	    "generation %d", g->id);
	(void)notify_send(status);
	proc_daemon_ready(&m->ready_fd);
}

/* The reactions, in order: reap, then what operators asked for. */
static void
master_signals(struct master *m)
{
	bool term;
	int base;

	if (sig_take(SIGCHLD))
		master_reap(m);
	if (sig_take(SIGHUP) && m->state == MASTER_RUNNING)
		m->want_reload = true;
	if (sig_take(SIGUSR2) && m->state == MASTER_RUNNING)
		m->want_upgrade = true;
	/* Both flags are taken: one stop for TERM and INT sent together. */
	term = sig_take(SIGTERM);
	if (sig_take(SIGINT) || term)
		master_stop(m, STOP_GRACEFUL);
	if (sig_take(SIGQUIT))
		master_stop(m, STOP_FAST);
	base = m->want_workers > 0 ? m->want_workers : m->cur->ntcp;
	if (sig_take(SIGTTIN))
		m->want_workers = base + 1;
	if (sig_take(SIGTTOU))
		m->want_workers = base > 1 ? base - 1 : 1;
	if (sig_take(SIG_WORKERS))
		m->want_workers = sig_value(SIG_WORKERS);
}

/*
 * SIGTTIN, SIGTTOU or `echod -s workers N`, as gunicorn and unicorn do:
 * new TCP workers join the serving generation; retired ones finish their
 * connections first.  A reload applies `workers` from the file again.
 */
static void
master_resize(struct master *m, int want)
{
	struct generation *g = m->cur;
	struct worker *w;
	int before = g->ntcp;

	if (want < 1 || want > CONFIG_WORKERS_MAX || g->ntcp == 0) {
		log_warnx("worker count %d: not from 1 to %d, or no tcp "
		    "listener; keeping %d", want, CONFIG_WORKERS_MAX, before);
		return;
	}
	while (g->ntcp < want && (w = gen_add_tcp(g)) != NULL)
		master_spawn(m, g, w);		/* a failed fork retries later */
	while (g->ntcp > want && (w = gen_pick_retiree(g)) != NULL) {
		if (w->pid > 0)
			(void)kill(w->pid, SIGTERM);
		else
			gen_remove(g, w);
	}
	if (g->ntcp != before)
		log_notice("tcp workers: %d -> %d (generation %d)", before,
		    g->ntcp, g->id);
	scoreboard_set_serving_gen(m->sb, g->id, g->ntcp);
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
	m->want_reload = false;
	/* Stop accepting at once; the workers close their copies too. */
	if ((g = m->starting) != NULL) {
		m->starting = NULL;
		listen_close_except(&g->ls, &m->cur->ls, false);
		gen_retire(g, signo);
	}
	listen_close_except(&m->cur->ls, NULL, false);
	grace = how == STOP_GRACEFUL ?
	    (uint64_t)m->cur->cf->shutdown_timeout_s * 1000 : 0;
	if (m->stop_kill_ms == 0 ||
	    clock_now_ms() + grace + GEN_KILL_GRACE_MS < m->stop_kill_ms)
		m->stop_kill_ms = clock_now_ms() + grace + GEN_KILL_GRACE_MS;
	for (g = m->gens; g != NULL; g = g->next)
		gen_signal(g, signo);
	master_reap(m);
}

/* Deadlines: workers that outstay a drain are killed. */
static void
master_timers(struct master *m)
{
	uint64_t now = clock_now_ms();
	struct generation *g;
	char why[96];

	for (g = m->gens; g != NULL; g = g->next)
		if (g->state == GEN_RETIRING && now >= g->deadline_ms &&
		    gen_alive(g) > 0) {
			log_warnx("generation %d did not drain in time; "
			    "killing %d workers", g->id, gen_alive(g));
			gen_signal(g, SIGKILL);
			g->deadline_ms = UINT64_MAX;
		}
	if (m->starting != NULL && now >= m->starting->deadline_ms) {
		(void)snprintf(why, sizeof(why), "generation %d did not "
		    "serve within %d s", m->starting->id,
		    START_TIMEOUT_MS / 1000);
		reload_abort(m, why);
	}
	if (m->state == MASTER_STOPPING && now >= m->stop_kill_ms) {
		log_warnx("workers did not stop in time; killing them");
		for (g = m->gens; g != NULL; g = g->next)
			gen_signal(g, SIGKILL);
		m->stop_kill_ms = UINT64_MAX;
	}
}

static void
gc_retiring(struct master *m)
{
	struct generation **gp = &m->gens, *g;

	while ((g = *gp) != NULL) {
		if (g->state != GEN_RETIRING || gen_alive(g) > 0) {
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
	uint64_t next = UINT64_MAX, now = clock_now_ms(), d;
	struct generation *g;
	int i;

	for (i = 0; m->cur != NULL && i < m->cur->nw; i++)
		if (m->cur->w[i].respawn_ms != 0 &&
		    m->cur->w[i].respawn_ms < next)
			next = m->cur->w[i].respawn_ms;
	for (g = m->gens; g != NULL; g = g->next)
		if (g->deadline_ms != 0 && g->deadline_ms < next)
			next = g->deadline_ms;
	if (m->state == MASTER_STOPPING && m->stop_kill_ms < next)
		next = m->stop_kill_ms;
	if (m->mon.next_ms < next)
		next = m->mon.next_ms;
	d = next > now ? next - now : 0;
	ts->tv_sec = d / 1000;
	ts->tv_nsec = (d % 1000) * 1000000;
	return ts;
}

static int
master_start(struct master *m, struct config *cf)
{
	/* SIGRTMIN is no constant: glibc keeps the first few for itself. */
	const int signals[] = { SIGHUP, SIGTERM, SIGINT, SIGQUIT, SIGCHLD,
	    SIGTTIN, SIGTTOU, SIGUSR2, SIG_WORKERS, 0 };
	struct listener_set ls;
	int k;

	if ((m->resumed = upgrade_resuming())) {
		if (upgrade_resume(m, cf, &ls) == -1)
			return -1;
	} else {
		if (pidfile_open(&m->pf, cf->pidfile) == -1)
			return -1;
		if ((m->sb = scoreboard_create(cf->status_file, SB_SLOTS,
		    m->is_root && cf->ids_resolved ? cf->gid : (gid_t)-1)) ==
		    NULL)
			return -1;
		if (handoff_listen(cf, m->opts->config_path, &ls) == -1)
			return -1;
	}
	/*
	 * Always: a reload may set a limit, and the counts must be there.
	 * An upgrade took over the old image's (upgrade_resume).
	 */
	if (m->ps == NULL &&
	    (m->ps = persource_create(PERSOURCE_ENTRIES)) == NULL)
		return -1;
	master_raise_nofile(cf);
	if (pipe2(m->wake, O_NONBLOCK | O_CLOEXEC) == -1) {
		log_warn("pipe");
		listen_abandon(&ls);
		return -1;
	}
	if ((m->cur = gen_create(m->next_gen, cf, &ls)) == NULL) {
		listen_abandon(&ls);
		return -1;
	}
	m->next_gen++;
	m->cur->state = GEN_SERVING;
	m->gens = m->cur;
	/* Re-executed, it is the daemon already, under the same pid. */
	if (!m->opts->foreground && !m->resumed &&
	    proc_daemonize(&m->ready_fd) == -1)
		return -1;
	m->pid = getpid();
	if (pidfile_write(&m->pf, m->pid) == -1)
		return -1;
	scoreboard_set_master(m->sb, m->pid, PACKAGE_VERSION);
	monitor_init(&m->mon, clock_now_ms());
	proc_title_set("echod: master");
	/* Handlers before the first fork: no signal is lost in between. */
	sig_init(signals, &m->waitmask);
	if (m->resumed)
		(void)upgrade_adopt_workers(m);
	for (k = 0; k < m->cur->nw; k++)
		master_spawn(m, m->cur, &m->cur->w[k]);
	return 0;
}

static void
master_free(struct master *m)
{
	struct generation *g;

	if (m->cur != NULL)
		listen_close_except(&m->cur->ls, NULL, false);
	while ((g = m->gens) != NULL) {
		m->gens = g->next;
		gen_free(g);
	}
	m->cur = NULL;
	if (m->wake[0] != -1) {
		(void)close(m->wake[0]);
		(void)close(m->wake[1]);
	}
	if (m->ready_fd != -1)
		(void)close(m->ready_fd);
	scoreboard_unlink(m->sb);
	scoreboard_destroy(m->sb);
	persource_destroy(m->ps);
	pidfile_remove(&m->pf);
}

int
master_run(struct config *cf, const struct master_opts *opts)
{
	struct master m;
	struct timespec ts;
	struct pollfd pfd;

	memset(&m, 0, sizeof(m));
	m.opts = opts;
	m.is_root = geteuid() == 0;
	m.pf.fd = -1;
	m.wake[0] = m.wake[1] = -1;
	m.ready_fd = -1;
	m.next_gen = 1;
	if (master_start(&m, cf) == -1) {
		if (m.cur == NULL)
			config_free(cf);
		master_free(&m);
		return 1;
	}
	for (;;) {
		master_signals(&m);
		if (m.state == MASTER_DONE)
			break;
		master_check_ready(&m);
		/* One change at a time: a HUP meanwhile runs after it. */
		if (m.want_reload && m.starting == NULL) {
			m.want_reload = false;
			master_reload(&m);
		}
		/* After a reload, and once the first generation serves. */
		if (m.want_upgrade && m.starting == NULL && m.announced) {
			m.want_upgrade = false;
			master_upgrade(&m);
		}
		if (m.want_workers > 0 && m.starting == NULL &&
		    m.state == MASTER_RUNNING) {
			master_resize(&m, m.want_workers);
			m.want_workers = 0;
		}
		master_timers(&m);
		master_respawn_due(&m);
		monitor_tick(&m.mon, m.gens, m.cur, m.sb,
		    m.state == MASTER_RUNNING, clock_now_ms());
		pfd.fd = m.wake[0];
		pfd.events = POLLIN;
		if (ppoll(&pfd, 1, master_deadline(&m, &ts), &m.waitmask) ==
		    -1 && errno != EINTR)
			fatal("ppoll");
	}
	log_notice("echod stopped");
	master_free(&m);
	return m.exit_code;
}
