/* ping_proto.h: what probe mode's loop and its TCP and UDP halves share. */
#ifndef ECHOPROBE_PING_PROTO_H
#define ECHOPROBE_PING_PROTO_H

/*
 * One header for three files, not one each: ping.c (the loop, the timing,
 * the statistics), ping_tcp.c and ping_udp.c all act on the same struct
 * ping, and the two protocols fill in the same struct ping_ops that the
 * loop calls.  ping.h stays the mode's public contract: ping_run() alone.
 */

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "opts.h"
#include "probe.h"
#include "progress.h"
#include "resolve.h"
#include "stats.h"

struct ping;

/* What a protocol has in flight, and what the loop is to wait for. */
struct ping_due {
	uint64_t	 in_flight;	/* neither answered, failed nor lost */
	bool		 full;		/* no room for another probe yet */
	uint64_t	 timeout_ns;	/* the oldest's; UINT64_MAX: none */
	short		 events;	/* poll events wanted on p->fd */
};

/*
 * How a protocol sends probes and takes replies.  The loop paces the
 * sends and decides when the run is over; a protocol keeps its probes in
 * flight, times them out and counts what came back in struct ping.
 */
struct ping_ops {
	/*
	 * Sets p->proto (freed by the loop, also after a failure) and opens
	 * a socket if one lasts the whole run; says what failed.
	 */
	int	 (*open)(struct ping *);
	/* Times out what is due at now, then says what is left. */
	void	 (*expire)(struct ping *, uint64_t, struct ping_due *);
	/* Sends the next probe: ping_next_probe() numbers and fills it. */
	void	 (*send)(struct ping *, uint64_t);
	/* p->fd polled ready with these revents. */
	void	 (*ready)(struct ping *, short, uint64_t);
};

struct ping {
	const struct opts	*o;
	const struct target	*t;
	const struct ping_ops	*ops;
	void			*proto;		/* protocol state, one block */
	struct ping_due		 due;
	struct progress		 pr;
	sigset_t		 waitmask;
	int			 fd;
	bool			 verbose;	/* a line per probe */
	uint32_t		 run_id;
	unsigned char		*tx;		/* the probe being sent */
	uint64_t		 start_ns;
	uint64_t		 next_send_ns;
	uint64_t		 seq;		/* last sequence number sent */
	long			 transmitted;
	long			 received;
	long			 duplicates;
	long			 late;
	long			 reordered;
	long			 corrupted;
	long			 errors;
	struct rtt_stats	 rtt;
};

extern const struct ping_ops ping_tcp_ops;
extern const struct ping_ops ping_udp_ops;

/* Counts the next probe as sent, fills *hdr and p->tx with it. */
void	 ping_next_probe(struct ping *, uint64_t, struct probe_hdr *);
/* ping's "64 bytes from ...: seq=1 time=0.052 ms" line, with a note. */
void	 ping_reply_line(struct ping *, uint64_t, uint64_t, const char *);
void	 ping_close_fd(struct ping *);

#endif
