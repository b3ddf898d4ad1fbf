/* reload.c: a new generation beside the serving one, retired only when the new one serves. */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "acceptlock.h"
#include "clock.h"
#include "config.h"
#include "io.h"
#include "listen.h"
#include "log.h"
#include "master_int.h"
#include "notify.h"

static void	 reload_failed(struct master *, const char *);

void
master_raise_nofile(const struct config *cf)
{
	uint64_t want, got;

	want = (uint64_t)cf->max_connections + cf->nlistens + FDS_PER_WORKER;
	if (io_raise_nofile(want, &got) == -1)
		log_warnx("RLIMIT_NOFILE is %llu, below the %llu that "
		    "tcp.max_connections = %d needs: workers will pause "
		    "accepting when they run out (raise LimitNOFILE or "
		    "ulimit -n)", (unsigned long long)got,
		    (unsigned long long)want, cf->max_connections);
}

/*
 * Start a generation from the file beside the serving one.  The serving
 * generation is retired only once every new worker serves
 * (reload_commit); until then both accept, so no connection is refused,
 * and if the new one cannot start the old one simply goes on.
 */
void
master_reload(struct master *m)
{
	struct config_diag d;
	struct listener_set ls;
	struct generation *g;
	struct config *cf;
	char why[96];
	size_t i;
	int k;

	log_notice("reloading configuration from %s", m->opts->config_path);
	(void)notify_send("RELOADING=1");
	cf = config_load(m->opts->config_path,
	    m->is_root ? CONFIG_RESOLVE_IDS : 0, &d);
	if (cf == NULL) {
		for (k = 0; k < d.count; k++)
			log_errx("%s", d.msg[k]);
		reload_failed(m, "the configuration has errors");
		return;
	}
	if (strcmp(cf->pidfile, m->cur->cf->pidfile) != 0)
		log_warnx("pidfile: the change to %s takes effect at the "
		    "next restart", cf->pidfile);
	if (listen_open_all(cf, &m->cur->ls, &ls) == -1) {
		config_free(cf);
		reload_failed(m, "cannot open the new listeners");
		return;
	}
	if ((g = gen_create(m->next_gen, cf, &ls)) == NULL) {
		listen_abandon(&ls);
		config_free(cf);
		reload_failed(m, "cannot set up a new generation");
		return;
	}
	m->next_gen++;
	for (i = 0; i < g->ls.n; i++)
		if (!g->ls.l[i].kept)
			log_notice("listening on %s", g->ls.l[i].name);
	master_raise_nofile(cf);
	g->state = GEN_STARTING;
	g->deadline_ms = clock_now_ms() + START_TIMEOUT_MS;
	g->next = m->gens;
	m->gens = g;
	m->starting = g;
	for (k = 0; k < g->nw; k++) {
		master_spawn(m, g, &g->w[k]);
		if (g->w[k].pid == 0) {
			(void)snprintf(why, sizeof(why), "cannot fork %s "
			    "worker %d: %s", gen_kind_name(g->w[k].kind),
			    g->w[k].slot, strerror(errno));
			reload_abort(m, why);
			return;
		}
	}
	log_info("generation %d starting: %d tcp workers, %s udp worker",
	    g->id, g->ntcp, g->nw > g->ntcp ? "one" : "no");
}

static void
reload_failed(struct master *m, const char *why)
{
	char status[256];

	log_errx("reload failed: keeping the configuration of generation %d "
	    "(%s)", m->cur->id, why);
	scoreboard_count_master(m->sb, MSTAT_RELOAD_FAILURES);
	(void)snprintf(status, sizeof(status), "READY=1\nSTATUS=reload "
	    "failed: %s; serving generation %d", why, m->cur->id);
	(void)notify_send(status);
}

/*
 * The starting generation will not serve: its own listeners close, and
 * any worker that already accepted drains like a retiring one.
 */
void
reload_abort(struct master *m, const char *why)
{
	struct generation *g = m->starting;

	m->starting = NULL;
	listen_close_except(&g->ls, &m->cur->ls, true);
	gen_retire(g, SIGTERM);
	reload_failed(m, why);
}

void
reload_commit(struct master *m)
{
	struct generation *old = m->cur, *g = m->starting;
	char status[128];

	m->starting = NULL;
	m->cur = g;
	g->state = GEN_SERVING;
	g->deadline_ms = 0;
	listen_set_backlog(&g->ls, g->cf->backlog);
	/* Removed listeners close now: the new workers never had them. */
	listen_close_except(&old->ls, &g->ls, true);
	log_configure(g->cf->log_facility, g->cf->log_level);
	gen_retire(old, SIGTERM);
	log_notice("reload complete: generation %d, %d tcp workers, accept "
	    "lock %s; generation %d draining", g->id, g->ntcp,
	    acceptlock_name(g->cf->accept_lock), old->id);
	scoreboard_count_master(m->sb, MSTAT_RELOADS);
	scoreboard_set_serving_gen(m->sb, g->id, g->ntcp);
	(void)snprintf(status, sizeof(status), "READY=1\nSTATUS=serving "
	    "generation %d", g->id);
	(void)notify_send(status);
}
