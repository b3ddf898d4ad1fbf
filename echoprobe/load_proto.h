/* load_proto.h: what a load process's loop and its TCP and UDP halves share. */
#ifndef ECHOPROBE_LOAD_PROTO_H
#define ECHOPROBE_LOAD_PROTO_H

/*
 * One header for three files, not one each: load.c (the loop, the links'
 * life, holds and timeouts), load_tcp.c and load_udp.c all act on the
 * same struct load and struct lconn, and the two protocols fill in the
 * same struct load_ops that the loop calls.  load.h stays the public
 * contract: load_run() and what it measures.
 */

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "load.h"

#define LOAD_RX_LEN		65536

enum lc_state {
	LC_IDLE, LC_CONNECTING, LC_ACTIVE, LC_HOLDING, LC_DONE, LC_NSTATES
};

/* No link: the end of the watch list. */
#define LC_NONE			UINT32_MAX

/*
 * Hold runs go through these phases; plain runs stay in HOLD_NONE.
 * HOLD_WAIT: this job's links are open, other jobs' may not be yet.
 */
enum hold_phase {
	HOLD_NONE, HOLD_OPEN, HOLD_WAIT, HOLD_IDLE, HOLD_FINAL, HOLD_OVER
};

struct lconn {
	int		 fd;
	uint32_t	 idx;
	uint8_t		 state;
	bool		 can_write;
	bool		 hold_pending;	/* owes an echo in this hold phase */
	uint8_t		 hold_ok;	/* hold echoes that succeeded */
	uint16_t	 backoff_ms;
	uint32_t	 inflight;
	/* The watch list: links connecting or active, see lc_set_state. */
	uint32_t	 wprev, wnext;
	uint64_t	 issued;	/* requests sent on this link */
	uint64_t	 tx_pending;	/* TCP: bytes queued, not yet written */
	uint64_t	 tx_pos;	/* TCP: bytes written on this link */
	uint64_t	 rx_pos;	/* TCP: bytes read back on this link */
	uint64_t	 attempt_ns;	/* connect started */
	uint64_t	 ready_ns;	/* IDLE: may reconnect from then on */
};

struct load;

/*
 * How a protocol sends requests and takes echoes on a link.  The loop
 * opens, closes and paces the links; a protocol keeps their requests in
 * flight, times them out and counts what came back in ld->r.
 */
struct load_ops {
	/*
	 * Sets ld->depth and ld->pat_len, and allocates ld->proto, which
	 * the loop frees; -1: out of memory.
	 */
	int	 (*create)(struct load *);
	/* Sends what the link may send now; also once it turns writable. */
	void	 (*issue)(struct load *, struct lconn *, uint64_t);
	/* Takes in what the socket has, on EPOLLIN. */
	void	 (*read)(struct load *, struct lconn *, uint64_t);
	/* Every scan period on an active link: time out, send what is due. */
	void	 (*expire)(struct load *, struct lconn *, uint64_t);
};

struct load {
	const struct opts	*o;
	const struct target	*t;
	const struct load_job	*job;
	const struct load_ops	*ops;
	void			*proto;		/* protocol state, one block */
	struct load_result	*r;
	sigset_t		 waitmask;
	int			 ep;
	struct lconn		*c;
	long			 n;
	uint32_t		 depth;		/* pipeline or window */
	unsigned char		*pat;		/* what every request carries */
	size_t			 pat_len;
	unsigned char		*rx;
	uint32_t		 run_id;
	uint64_t		 start_ns;
	uint64_t		 end_ns;	/* 0: no time limit */
	uint64_t		 scan_period_ns;
	uint64_t		 next_scan_ns;
	uint64_t		 progress_ns;	/* last echo, for stalls */
	uint64_t		 started;
	uint64_t		 inflight;
	long			 nstate[LC_NSTATES];	/* links in each state */
	uint32_t		 watch;		/* first watched link */
	long			 cursor;
	enum hold_phase		 hold;
	uint64_t		 hold_until_ns;
	long			 hold_pending;
	long			 final_next;	/* next link to echo again */
};

extern const struct load_ops load_tcp_ops;
extern const struct load_ops load_udp_ops;

bool		 load_link_may_issue(const struct load *, const struct lconn *);
/* How many requests the link may send now, window and limits allowing. */
uint64_t	 load_link_quota(const struct load *, const struct lconn *);
/* A link with nothing in flight: next request, next connection, or hold. */
void		 load_link_idle(struct load *, struct lconn *, uint64_t);
/* Counts the error, closes the link; it comes back after a pause. */
void		 load_link_fail(struct load *, struct lconn *, enum load_err,
		    uint64_t);
enum load_err	 load_err_kind(int);

#endif
