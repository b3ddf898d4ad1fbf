/* worker_tcp.h: a TCP worker's state, for worker_tcp.c and tcp_*.c. */
#ifndef ECHOD_WORKER_TCP_H
#define ECHOD_WORKER_TCP_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "conn.h"
#include "conntab.h"
#include "log.h"
#include "worker.h"

#define ACCEPT_PAUSE_MS		100	/* after EMFILE, ENFILE, ENOBUFS */
#define STALL_RETRY_MS		100	/* stalled connections: conn.h */
#define PROXY_CHECK_MS		250	/* how often late ones are looked for */
#define LISTENER_TAG		(UINT64_C(1) << 63)
#define SIGNAL_TAG		(UINT64_C(1) << 62)	/* never a pointer */

struct worker_tcp {
	const struct worker_env	*we;
	const struct config	*cf;
	int			 epfd;
	int			 sigfd;		/* TERM, INT, QUIT */
	bool			 want_drain;	/* TERM or INT seen */
	bool			 want_quit;	/* QUIT seen */
	int			*lfds;		/* TCP listeners */
	bool			*lproxy;	/* each expects a PROXY header */
	size_t			 nlfds;
	int			 nproxy_wait;	/* connections without one yet */
	uint64_t		 proxy_check_ms;
	bool			 listening;	/* listeners in the epoll set */
	bool			 draining;
	int			 lock_busy;	/* lock races lost in a row */
	bool			 deferred;	/* left one to an idler */
	bool			 idle;		/* as published: tcp_set_idle */
	uint64_t		 now_ms;
	uint64_t		 accept_resume_ms;
	uint64_t		 stall_retry_ms;	/* 0: none stalled */
	uint64_t		 drain_deadline_ms;
	struct conntab		 tab;
	int			 beat_ms;	/* longest wait, see monitor.c */
	struct buf_pool		 pool;
	struct log_ratelimit	 accept_rl;	/* EMFILE and friends */
	struct log_ratelimit	 warn_rl;	/* lock and epoll failures */
	struct log_ratelimit	 stall_rl;	/* CONN_STALLED */
};

/* worker_tcp.c: the connection table. */
void	 tcp_conn_add(struct worker_tcp *, int, int, bool);
void	 tcp_conn_drop(struct worker_tcp *, struct conn_entry *,
	    enum conn_end);
void	 tcp_conn_service(struct worker_tcp *, struct conn_entry *);

/* tcp_accept.c: accepting under the lock. */
void	 tcp_update_accepting(struct worker_tcp *);
void	 tcp_accept_ready(struct worker_tcp *, size_t);
void	 tcp_set_idle(struct worker_tcp *, bool);

/* tcp_admit.c: access lists, per-source limits, PROXY headers. */
bool	 tcp_admit(struct worker_tcp *, int, const struct sockaddr *, int *);
void	 tcp_proxy_header(struct worker_tcp *, struct conn_entry *);
void	 tcp_expire_proxy(struct worker_tcp *);

#endif
