/* counters.h: the counters echod keeps, their names and their meaning. */
#ifndef ECHOD_COUNTERS_H
#define ECHOD_COUNTERS_H

/*
 * What a worker counts, in its own scoreboard slot.  The master adds a
 * slot's counts to the retired totals when its worker is gone, so a sum
 * never goes backwards across a respawn or a reload.
 */
enum stat_id {
	STAT_TCP_ACCEPTED,
	STAT_TCP_CLOSED_CLIENT,		/* the client closed */
	STAT_TCP_CLOSED_ERROR,		/* reset or another socket error */
	STAT_TCP_CLOSED_IDLE,		/* tcp.idle_timeout */
	STAT_TCP_CLOSED_SHUTDOWN,	/* the worker stopped first */
	STAT_TCP_REFUSED_LIMIT,		/* tcp.per_source_connections */
	STAT_TCP_REFUSED_RATE,		/* tcp.per_source_rate */
	STAT_TCP_REFUSED_ACCESS,	/* access lists */
	STAT_TCP_REFUSED_PROXY,		/* bad, missing or slow PROXY header */
	STAT_TCP_BYTES,			/* echoed on TCP */
	STAT_UDP_ECHOED,
	STAT_UDP_BYTES,
	STAT_UDP_DROPPED_PORT,		/* udp.deny_source_ports, ours */
	STAT_UDP_DROPPED_SOURCE,	/* reflector or forged source */
	STAT_UDP_DROPPED_DEST,		/* sent to broadcast or multicast */
	STAT_UDP_DROPPED_RATE,		/* udp.per_source_rate */
	STAT_UDP_DROPPED_ACCESS,	/* access lists */
	STAT_N
};

/* What the master counts. */
enum mstat_id {
	MSTAT_RELOADS,			/* completed */
	MSTAT_RELOAD_FAILURES,
	MSTAT_RESPAWNS,
	MSTAT_HUNG,			/* workers killed by worker_timeout */
	MSTAT_N
};

struct stat_info {
	const char	*name;		/* status and JSON key */
	const char	*metric;	/* Prometheus name, echod_ prefix */
	const char	*label;		/* the metric's label, or NULL */
	const char	*help;
};

extern const struct stat_info stat_info[STAT_N];
extern const struct stat_info mstat_info[MSTAT_N];

#endif
