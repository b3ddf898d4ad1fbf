/* conn.h: one TCP connection: echo with back-pressure, half-close, close with a reason. */
#ifndef ECHOD_CONN_H
#define ECHOD_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"

/*
 * The connection is registered edge-triggered for input and output once;
 * can_read and can_write remember what the kernel last said, so a
 * connection that stopped reading because its buffer was full resumes
 * when output drains, without another epoll_ctl.
 */
/*
 * A million idle connections are a million of these (in conntab.h's
 * entry): widest members first and small types, so the entry fits a
 * 72-byte allocation.
 */
struct conn {
	struct buf	*b;		/* NULL while nothing is in flight */
	uint64_t	 bytes;		/* echoed so far */
	int		 fd;
	int16_t		 stall_errno;	/* CONN_STALLED: why, */
	uint8_t		 stall_call;	/* and what failed (conn_stall_call) */
	uint8_t		 intr;		/* EINTR in a row */
	bool		 can_read;
	bool		 can_write;
	bool		 must_drain;	/* FIN, error or urgent data seen: read
					   to EAGAIN, that edge is spent */
	bool		 read_eof;	/* client half-closed, recv said so */
	bool		 failed;	/* a socket error ended it */
	bool		 streams;	/* read a whole small buffer at once */
};

/*
 * Why a connection ended.  Every connection ends in the worker's one
 * close path, which logs the reason at debug and counts it.
 */
enum conn_end {
	CONN_END_CLIENT,	/* the client closed; everything echoed */
	CONN_END_ERROR,		/* reset, or another socket error */
	CONN_END_IDLE,		/* silent for tcp.idle_timeout */
	CONN_END_SHUTDOWN,	/* the worker stopped before the client */
	CONN_END_PROXY,		/* no valid PROXY header in time */
	CONN_END_ACCESS,	/* the PROXY header's client: access lists */
	CONN_END_LIMIT,		/* ... over tcp.per_source_connections */
	CONN_END_RATE,		/* ... over tcp.per_source_rate */
	CONN_END_NREASONS
};

enum conn_status {
	CONN_IDLE,		/* waiting for the kernel */
	CONN_MORE,		/* budget spent with work left: run again */
	CONN_DONE,		/* finished or failed (c->failed): close it */
	CONN_STALLED,		/* out of memory or buffers, or EINTR over
				   and over: no edge will come, retry later */
};

/* Bytes one conn_run may move before yielding to other connections. */
#define CONN_BUDGET	(256 * 1024)
/* EINTR retried at once this many times in a row, then CONN_STALLED. */
#define CONN_INTR_MAX	4

void		 conn_init(struct conn *, int);
enum conn_status conn_run(struct conn *, struct buf_pool *, uint64_t,
		    bool *);
void		 conn_close(struct conn *, struct buf_pool *);
const char	*conn_end_name(enum conn_end);
/* CONN_STALLED: the call that failed ("recv"), or NULL if none did. */
const char	*conn_stall_call(const struct conn *);

#endif
