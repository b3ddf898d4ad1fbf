/* generation.c: the workers started from one configuration, and their slots. */

#include <sys/types.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "generation.h"
#include "log.h"

const char *
gen_kind_name(enum worker_kind kind)
{
	return kind == WORKER_TCP ? "tcp" : "udp";
}

/*
 * The workers `cf` needs over the listeners `ls`, which the generation
 * takes over; nothing forked yet.
 */
struct generation *
gen_create(int id, struct config *cf, struct listener_set *ls)
{
	struct generation *g;
	int i;

	if ((g = calloc(1, sizeof(*g))) == NULL) {
		log_err("calloc generation");
		return NULL;
	}
	g->ntcp = listen_count(ls, PROTO_TCP) > 0 ? cf->workers : 0;
	g->nw = g->ntcp + (listen_count(ls, PROTO_UDP) > 0 ? 1 : 0);
	if ((g->w = calloc(g->nw > 0 ? g->nw : 1, sizeof(*g->w))) == NULL ||
	    (g->lock = acceptlock_create(cf->accept_lock)) == NULL) {
		log_errx("cannot set up generation %d", id);
		acceptlock_destroy(g->lock);
		free(g->w);
		free(g);
		return NULL;
	}
	for (i = 0; i < g->nw; i++) {
		g->w[i].kind = i < g->ntcp ? WORKER_TCP : WORKER_UDP;
		g->w[i].slot = i < g->ntcp ? i : 0;
		g->w[i].board = -1;
	}
	g->id = id;
	g->cf = cf;
	g->ls = *ls;
	memset(ls, 0, sizeof(*ls));
	return g;
}

void
gen_free(struct generation *g)
{
	acceptlock_destroy(g->lock);
	config_free(g->cf);
	listen_free(&g->ls);
	free(g->w);
	free(g);
}

int
gen_alive(const struct generation *g)
{
	int i, n = 0;

	for (i = 0; i < g->nw; i++)
		if (g->w[i].pid > 0)
			n++;
	return n;
}

/* Every worker runs and has said it serves. */
bool
gen_serving(const struct generation *g, struct scoreboard *sb)
{
	int i;

	for (i = 0; i < g->nw; i++)
		if (g->w[i].pid <= 0 || g->w[i].board == -1 ||
		    !scoreboard_serving(sb, g->w[i].board))
			return false;
	return true;
}

void
gen_signal(struct generation *g, int signo)
{
	int i;

	for (i = 0; i < g->nw; i++) {
		g->w[i].respawn_ms = 0;
		if (g->w[i].pid > 0 && kill(g->w[i].pid, signo) == -1 &&
		    errno != ESRCH)
			log_warn("kill %s worker %ld",
			    gen_kind_name(g->w[i].kind),
			    (long)g->w[i].pid);
	}
}

/* Its listeners are already closed or handed on; its workers drain. */
void
gen_retire(struct generation *g, int signo)
{
	uint64_t grace = signo == SIGTERM ?
	    (uint64_t)g->cf->shutdown_timeout_s * 1000 : 0;

	g->state = GEN_RETIRING;
	g->deadline_ms = clock_now_ms() + grace + GEN_KILL_GRACE_MS;
	listen_free(&g->ls);
	gen_signal(g, signo);
}

/* The slot of `pid` in the list starting at `g`, and its generation. */
struct worker *
gen_find(struct generation *g, pid_t pid, struct generation **gp)
{
	int i;

	for (; g != NULL; g = g->next)
		for (i = 0; i < g->nw; i++)
			if (g->w[i].pid == pid) {
				*gp = g;
				return &g->w[i];
			}
	return NULL;
}

/*
 * A new TCP slot, numbered with the lowest number free, before the UDP
 * worker's; not yet forked.  NULL when out of memory.
 */
struct worker *
gen_add_tcp(struct generation *g)
{
	struct worker *w;
	int i, number, pos;
	bool taken;

	if ((w = realloc(g->w, (g->nw + 1) * sizeof(*g->w))) == NULL) {
		log_err("realloc workers of generation %d", g->id);
		return NULL;
	}
	g->w = w;
	for (number = 0;; number++) {
		taken = false;
		for (i = 0; i < g->nw; i++)
			if (g->w[i].kind == WORKER_TCP &&
			    g->w[i].slot == number)
				taken = true;
		if (!taken)
			break;
	}
	for (pos = 0; pos < g->nw && g->w[pos].kind == WORKER_TCP; pos++)
		;
	memmove(&g->w[pos + 1], &g->w[pos], (g->nw - pos) * sizeof(*g->w));
	g->nw++;
	g->ntcp++;
	w = &g->w[pos];
	memset(w, 0, sizeof(*w));
	w->kind = WORKER_TCP;
	w->slot = number;
	w->board = -1;
	return w;
}

/* The highest-numbered TCP worker not yet retiring; never the last. */
struct worker *
gen_pick_retiree(struct generation *g)
{
	struct worker *best = NULL;
	int i;

	if (g->ntcp <= 1)
		return NULL;
	for (i = 0; i < g->nw; i++)
		if (g->w[i].kind == WORKER_TCP && !g->w[i].retiring &&
		    (best == NULL || g->w[i].slot > best->slot))
			best = &g->w[i];
	if (best != NULL) {
		best->retiring = true;
		best->respawn_ms = 0;
		g->ntcp--;
	}
	return best;
}

void
gen_remove(struct generation *g, struct worker *w)
{
	size_t pos = w - g->w;

	memmove(w, w + 1, (g->nw - pos - 1) * sizeof(*g->w));
	g->nw--;
}
