/* load.h: one load process: many nonblocking connections on one epoll. */
#ifndef ECHOPROBE_LOAD_H
#define ECHOPROBE_LOAD_H

#include <stdint.h>

#include "barrier.h"
#include "hist.h"
#include "opts.h"
#include "resolve.h"

enum load_err {
	LOAD_ERR_REFUSED,	/* connect refused, or ICMP port unreachable */
	LOAD_ERR_RESET,		/* connection reset or broken pipe */
	LOAD_ERR_TIMEOUT,	/* connect or echo took longer than -W */
	LOAD_ERR_MISMATCH,	/* the echo differs from what was sent */
	LOAD_ERR_CLOSED,	/* the server closed with echoes owed */
	LOAD_ERR_OTHER,
	LOAD_ERR_KINDS
};

/*
 * What one process measured.  Fixed size and no pointers: a job sends it
 * to the parent through a pipe as it is, and the parent merges them.
 */
struct load_result {
	uint64_t	 requests;	/* echoed and verified */
	uint64_t	 bytes_sent;
	uint64_t	 bytes_received;
	uint64_t	 connects;
	uint64_t	 cancelled;	/* in flight when the run ended */
	uint64_t	 late;		/* UDP replies after their timeout */
	uint64_t	 duplicates;	/* UDP replies answered already */
	uint64_t	 errors[LOAD_ERR_KINDS];
	uint64_t	 elapsed_ns;
	uint64_t	 hold_connected;
	uint64_t	 hold_first;	/* echoed once, at the start */
	uint64_t	 hold_both;	/* and again after holding */
	uint64_t	 hold_open_ns;	/* the parent's: from the start until
					   every job's were open; 0: never */
	int		 failed;	/* the job could not run at all */
	char		 error[256];
	struct hist	 h;
};

/* Counters a job updates as it runs, read by the parent for progress. */
struct load_live {
	volatile uint64_t	 requests;
	volatile uint64_t	 errors;
};

struct load_job {
	long		 connections;
	long		 first;		/* global index of the first one */
	uint64_t	 requests;	/* this job's share; 0: no limit */
	struct load_live *live;
	struct barrier	*barrier;	/* hold runs; NULL: hold alone */
	int		 id;		/* this job's place in the barrier */
};

void		 load_run(const struct opts *, const struct target *,
		    const struct load_job *, struct load_result *);
const char	*load_err_name(enum load_err);

#endif
