/* loadgen.h: a client process that keeps echod busy and counts what it got. */
#ifndef ECHOD_LOADGEN_H
#define ECHOD_LOADGEN_H

#include <sys/types.h>

#include <stdbool.h>
#include <stdint.h>

/* What to run against 127.0.0.1: any mix, each part optional. */
struct loadgen_spec {
	uint16_t	 tcp_port;
	uint16_t	 udp_port;
	int		 bulk;		/* streams, each writing all it can */
	int		 rr;		/* request/response connections */
	bool		 udp_flood;	/* datagrams as fast as they go */
	int		 churn;		/* connect, echo, close, again */
	int		 persistent;	/* connections that must never break */
};

/*
 * Shared with the load process, which only adds.  A persistent connection
 * that breaks or returns a wrong byte counts in persistent_broken and is
 * not reopened; bulk and rr connections are reopened when they end.
 */
struct loadgen_stats {
	uint64_t	 bulk_bytes;
	uint64_t	 rr_echoes;
	uint64_t	 udp_replies;
	uint64_t	 churn_ok;
	uint64_t	 churn_failed;	/* refused, reset, short or late */
	uint64_t	 persistent_echoes;
	uint64_t	 persistent_broken;
	uint64_t	 reconnects;
};

struct loadgen {
	pid_t			 pid;
	struct loadgen_stats	*st;
	struct loadgen_spec	 spec;
};

void	 loadgen_start(struct loadgen *, const struct loadgen_spec *);
/* Every part of the spec has made progress since the call; bounded. */
bool	 loadgen_wait_busy(struct loadgen *, int);
void	 loadgen_read(struct loadgen *, struct loadgen_stats *);
void	 loadgen_stop(struct loadgen *);

#endif
