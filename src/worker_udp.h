/* worker_udp.h: the UDP worker's state, for worker_udp.c and udp_guard.c. */
#ifndef ECHOD_WORKER_UDP_H
#define ECHOD_WORKER_UDP_H

#include <sys/socket.h>
#include <netinet/in.h>

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "counters.h"
#include "log.h"
#include "ratelimit.h"
#include "worker.h"

#define UDP_BATCH	16		/* datagrams per recvmmsg */
#define UDP_DGRAM_MAX	65536		/* one more than the largest payload */
#define BCAST_MAX	64

/* One datagram slot: payload, peer, control message (pktinfo). */
struct udp_slot {
	struct sockaddr_storage	 peer;
	struct iovec		 iov;
	union {
		char		 buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr	 align;
	}			 cmsg;
};

struct worker_udp {
	const struct worker_env	*we;
	const struct config	*cf;
	int			 epfd;
	int			 sigfd;		/* TERM, INT, QUIT */
	bool			 want_exit;
	bool			 want_quit;	/* and leave no atexit work */
	uint16_t		*own_ports;	/* ours: never answer */
	size_t			 nown;
	uint32_t		 bcast[BCAST_MAX];	/* interfaces' */
	size_t			 nbcast;
	uint32_t		*kernel_drops;	/* per listener, last seen */
	struct udp_slot		 slots[UDP_BATCH];
	struct mmsghdr		 in[UDP_BATCH];
	struct mmsghdr		 out[UDP_BATCH];	/* the replies */
	struct mmsghdr		 send[UDP_BATCH];	/* as sent: udp_send.c */
	struct iovec		 gso_iov[UDP_BATCH];
	union {
		char		 buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
				    CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr	 align;
	}			 gso_cmsg[UDP_BATCH];
	int			 gso_fails;	/* joined sends refused in a row */
	uint64_t		 gso_resume_ms;	/* 0: replies are joined */
	unsigned char		*payload;	/* UDP_BATCH * UDP_DGRAM_MAX */
	uint64_t		 logged[STAT_N];	/* counts at the last log */
	int			 beat_ms;	/* longest wait, see monitor.c */
	uint64_t		 drop_logged_ms;
	int			 recv_fails;	/* in a row, on a wake */
	uint64_t		 resume_ms;	/* 0: listeners watched */
	struct log_ratelimit	 recv_rl;
	struct log_ratelimit	 send_rl;
	struct ratelimit	*rl;		/* NULL: no per-source rate */
	struct log_ratelimit	 rl_log;
	uint64_t		 now_ms;
};

/* udp_send.c: the replies in out[0..n), sent and counted. */
void	 udp_send_replies(struct worker_udp *, int, int);

/* udp_guard.c: the source filter on the listeners. */
void	 udp_load_interfaces(struct worker_udp *);
uint32_t udp_socket_drops(int);

#endif
