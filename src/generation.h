/* generation.h: the workers started from one configuration, and their slots. */
#ifndef ECHOD_GENERATION_H
#define ECHOD_GENERATION_H

#include <sys/types.h>

#include <stdbool.h>
#include <stdint.h>

#include "acceptlock.h"
#include "config.h"
#include "listen.h"
#include "scoreboard.h"

/* Past a stop's deadline, before SIGKILL. */
#define GEN_KILL_GRACE_MS	2000

enum worker_kind { WORKER_TCP, WORKER_UDP };

/* A slot: one worker process and its respawn history. */
struct worker {
	pid_t			 pid;		/* 0 while not running */
	enum worker_kind	 kind;
	int			 slot;		/* number among its kind */
	int			 board;		/* its scoreboard slot; -1 */
	uint64_t		 started_ms;
	uint64_t		 respawn_ms;	/* 0: no respawn pending */
	uint64_t		 hung_ms;	/* SIGABRT sent; 0: not hung */
	bool			 retiring;	/* SIGTTOU: not to respawn */
	int			 crashes;
	int			 init_failures;
};

/*
 * STARTING: forked by a reload, not yet serving; the old generation goes
 * on until every new worker serves.  SERVING: the current one.
 * RETIRING: told to stop, reaped as its workers exit.
 */
enum gen_state { GEN_STARTING, GEN_SERVING, GEN_RETIRING };

/* The workers started from one configuration, and the listeners it serves. */
struct generation {
	int			 id;
	enum gen_state		 state;
	struct config		*cf;
	struct listener_set	 ls;		/* empty once retiring */
	struct acceptlock	*lock;
	struct worker		*w;
	int			 nw;
	int			 ntcp;
	bool			 adopted;	/* an old image's, on upgrade */
	uint64_t		 deadline_ms;	/* starting: give up; retiring:
						   SIGKILL; 0: none */
	struct generation	*next;
};

struct generation	*gen_create(int, struct config *,
			    struct listener_set *);
void			 gen_free(struct generation *);
int			 gen_alive(const struct generation *);
bool			 gen_serving(const struct generation *,
			    struct scoreboard *);
void			 gen_signal(struct generation *, int);
void			 gen_retire(struct generation *, int);
struct worker		*gen_find(struct generation *, pid_t,
			    struct generation **);
const char		*gen_kind_name(enum worker_kind);
/* The worker count at runtime: slots added, chosen to retire, removed. */
struct worker		*gen_add_tcp(struct generation *);
struct worker		*gen_pick_retiree(struct generation *);
void			 gen_remove(struct generation *, struct worker *);

#endif
