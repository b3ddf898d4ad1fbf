/* badserver.c: an echo server that misbehaves on purpose (echoprobe tests). */

/*
 * usage: badserver MODE [MS]
 *   echo      echo faithfully
 *   drop      TCP: read, never answer; UDP: drop every probe with an even
 *             sequence number (every second datagram otherwise)
 *   corrupt   flip one byte: byte 40 of every TCP connection, the last
 *             byte of every UDP datagram
 *   delay MS  answer MS milliseconds late
 *   dup       UDP: answer every datagram twice
 *   junk      UDP: answer every datagram, then send 7 bytes of junk
 *   deaf      TCP: accept, then never read (the client's sends stall)
 *   reorder   UDP: answer datagrams in swapped pairs
 *   reset     TCP: reset the connection at its first byte
 *   close     TCP: close the connection at its first byte
 * It listens on 127.0.0.1, TCP and UDP, on ports the kernel picks, and
 * prints "listening on tcp 127.0.0.1:N", the UDP line and then
 * "started: " on stderr, as echod does, so the integration harness runs
 * it in echod's place.  It exits with 0 at SIGTERM, and when its parent
 * does, or after five minutes.
 */

#include <sys/prctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "sig.h"

#define BAD_CONNS	640	/* a hold run of 600 links */
#define BAD_QUEUE	640
#define BAD_DGRAM	2048
#define BAD_LIFETIME_MS	300000

enum bad_mode { BAD_ECHO, BAD_DROP, BAD_CORRUPT, BAD_DELAY, BAD_DUP,
	BAD_REORDER, BAD_RESET, BAD_CLOSE, BAD_JUNK, BAD_DEAF };

/* A reply waiting for its time: a UDP datagram or TCP bytes. */
struct pending {
	bool			 used;
	int			 fd;		/* TCP connection, or -1: UDP */
	struct sockaddr_in	 to;
	uint64_t		 due_ms;
	size_t			 len;
	unsigned char		 data[BAD_DGRAM];
};

struct bad {
	enum bad_mode		 mode;
	uint64_t		 delay_ms;
	int			 tcp;
	int			 udp;
	int			 conn[BAD_CONNS];
	uint64_t		 conn_off[BAD_CONNS];
	uint64_t		 dgrams;
	bool			 held;		/* reorder: one datagram kept */
	struct pending		 q[BAD_QUEUE];
};

static int	 listen_on(int, const char *);
static void	 tcp_accept(struct bad *);
static void	 tcp_data(struct bad *, int);
static void	 udp_data(struct bad *);
static void	 queue(struct bad *, int, const struct sockaddr_in *,
		    const unsigned char *, size_t, uint64_t);
static void	 flush_due(struct bad *);
static void	 conn_close(struct bad *, int);
static void	 send_reply(struct bad *, int, const struct sockaddr_in *,
		    const unsigned char *, size_t);

static int
listen_on(int type, const char *name)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, type, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    (type == SOCK_STREAM && listen(fd, BAD_CONNS) == -1) ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		fprintf(stderr, "badserver: listen %s: %s\n", name,
		    strerror(errno));
		exit(1);
	}
	fprintf(stderr, "badserver: listening on %s 127.0.0.1:%u\n", name,
	    ntohs(sin.sin_port));
	return fd;
}

static void
tcp_accept(struct bad *b)
{
	int fd, i;

	if ((fd = accept(b->tcp, NULL, NULL)) == -1)
		return;
	for (i = 0; i < BAD_CONNS; i++)
		if (b->conn[i] == -1) {
			b->conn[i] = fd;
			b->conn_off[i] = 0;
			return;
		}
	(void)close(fd);
}

static void
tcp_data(struct bad *b, int i)
{
	unsigned char buf[BAD_DGRAM];
	struct linger lg = { 1, 0 };
	uint64_t off = b->conn_off[i];
	ssize_t n;

	n = recv(b->conn[i], buf, sizeof(buf), 0);
	if (n <= 0 || b->mode == BAD_RESET || b->mode == BAD_CLOSE) {
		/* Linger 0: close() sends RST instead of FIN. */
		if (n > 0 && b->mode == BAD_RESET)
			(void)setsockopt(b->conn[i], SOL_SOCKET, SO_LINGER,
			    &lg, sizeof(lg));
		conn_close(b, i);
		return;
	}
	b->conn_off[i] += (uint64_t)n;
	if (b->mode == BAD_DROP)
		return;
	if (b->mode == BAD_CORRUPT && off <= 40 && 40 < off + (uint64_t)n)
		buf[40 - off] ^= 0x55;
	queue(b, b->conn[i], NULL, buf, (size_t)n,
	    b->mode == BAD_DELAY ? b->delay_ms : 0);
	if (b->mode == BAD_DUP)
		queue(b, b->conn[i], NULL, buf, (size_t)n, 0);
}

/* Replies queued for a closed connection must not reach its fd's reuser. */
static void
conn_close(struct bad *b, int i)
{
	int k;

	for (k = 0; k < BAD_QUEUE; k++)
		if (b->q[k].used && b->q[k].fd == b->conn[i])
			b->q[k].used = false;
	(void)close(b->conn[i]);
	b->conn[i] = -1;
}

static void
udp_data(struct bad *b)
{
	static unsigned char held[BAD_DGRAM];
	static struct sockaddr_in held_to;
	static size_t held_len;
	unsigned char buf[BAD_DGRAM];
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	uint64_t seq = 0;
	ssize_t n;
	int k;

	n = recvfrom(b->udp, buf, sizeof(buf), 0, (struct sockaddr *)&from,
	    &flen);
	if (n <= 0)
		return;
	b->dgrams++;
	switch (b->mode) {
	case BAD_DROP:
		if (n >= 16) {
			for (k = 8; k < 16; k++)
				seq = seq << 8 | buf[k];
		} else
			seq = b->dgrams;
		if (seq % 2 == 0)
			return;
		break;
	case BAD_CORRUPT:
		buf[n - 1] ^= 0x55;
		break;
	case BAD_REORDER:
		if (!b->held) {
			memcpy(held, buf, (size_t)n);
			held_len = (size_t)n;
			held_to = from;
			b->held = true;
			return;
		}
		queue(b, -1, &from, buf, (size_t)n, 0);
		queue(b, -1, &held_to, held, held_len, 0);
		b->held = false;
		return;
	case BAD_RESET:
	case BAD_CLOSE:
		return;
	default:
		break;
	}
	queue(b, -1, &from, buf, (size_t)n,
	    b->mode == BAD_DELAY ? b->delay_ms : 0);
	if (b->mode == BAD_DUP)
		queue(b, -1, &from, buf, (size_t)n, 0);
	if (b->mode == BAD_JUNK)
		queue(b, -1, &from, (const unsigned char *)"garbage", 7, 0);
}

static void
queue(struct bad *b, int fd, const struct sockaddr_in *to,
    const unsigned char *data, size_t len, uint64_t delay_ms)
{
	int i;

	if (delay_ms == 0) {
		send_reply(b, fd, to, data, len);
		return;
	}
	for (i = 0; i < BAD_QUEUE; i++)
		if (!b->q[i].used)
			break;
	if (i == BAD_QUEUE)
		return;
	b->q[i].used = true;
	b->q[i].fd = fd;
	if (to != NULL)
		b->q[i].to = *to;
	b->q[i].due_ms = clock_now_ms() + delay_ms;
	b->q[i].len = len;
	memcpy(b->q[i].data, data, len);
}

static void
send_reply(struct bad *b, int fd, const struct sockaddr_in *to,
    const unsigned char *data, size_t len)
{
	if (fd == -1)
		(void)sendto(b->udp, data, len, 0, (const struct sockaddr *)to,
		    sizeof(*to));
	else
		(void)send(fd, data, len, MSG_NOSIGNAL);
}

/* Queued replies go out in order of arrival once due. */
static void
flush_due(struct bad *b)
{
	uint64_t now = clock_now_ms();
	int i, k;

	for (i = 0; i < BAD_QUEUE; i++) {
		if (!b->q[i].used || b->q[i].due_ms > now)
			continue;
		b->q[i].used = false;
		if (b->q[i].fd != -1) {
			for (k = 0; k < BAD_CONNS; k++)
				if (b->conn[k] == b->q[i].fd)
					break;
			if (k == BAD_CONNS)
				continue;	/* connection gone */
		}
		send_reply(b, b->q[i].fd, &b->q[i].to, b->q[i].data,
		    b->q[i].len);
	}
}

int
main(int argc, char **argv)
{
	static const char *const names[] = { "echo", "drop", "corrupt",
	    "delay", "dup", "reorder", "reset", "close", "junk", "deaf" };
	static const int signals[] = { SIGTERM, 0 };
	const struct timespec step = { 0, 5000000 };
	struct pollfd pfd[2 + BAD_CONNS];
	sigset_t waitmask;
	struct bad b;
	uint64_t end;
	int i, m;

	memset(&b, 0, sizeof(b));
	for (m = 0; argc > 1 && m < (int)(sizeof(names) / sizeof(names[0]));
	    m++)
		if (strcmp(argv[1], names[m]) == 0)
			break;
	if (argc < 2 || m == (int)(sizeof(names) / sizeof(names[0]))) {
		fprintf(stderr, "usage: badserver echo|drop|corrupt|delay MS|"
		    "dup|reorder|reset|close\n");
		return 1;
	}
	b.mode = (enum bad_mode)m;
	b.delay_ms = argc > 2 ? strtoull(argv[2], NULL, 10) : 500;
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	sig_init(signals, &waitmask);
	for (i = 0; i < BAD_CONNS; i++)
		b.conn[i] = -1;
	b.tcp = listen_on(SOCK_STREAM, "tcp");
	b.udp = listen_on(SOCK_DGRAM, "udp");
	fprintf(stderr, "badserver: started: %s\n", names[m]);
	end = clock_now_ms() + BAD_LIFETIME_MS;
	while (!sig_take(SIGTERM) && clock_now_ms() < end) {
		pfd[0].fd = b.tcp;
		pfd[1].fd = b.udp;
		for (i = 0; i < BAD_CONNS; i++)
			pfd[2 + i].fd = b.mode == BAD_DEAF ? -1 : b.conn[i];
		for (i = 0; i < 2 + BAD_CONNS; i++)
			pfd[i].events = POLLIN;
		/* SIGTERM is delivered here only, and ends the loop. */
		if (ppoll(pfd, 2 + BAD_CONNS, &step, &waitmask) == -1 &&
		    errno != EINTR)
			return 1;
		if (pfd[0].revents & POLLIN)
			tcp_accept(&b);
		if (pfd[1].revents & POLLIN)
			udp_data(&b);
		for (i = 0; i < BAD_CONNS; i++)
			if (b.conn[i] != -1 && pfd[2 + i].revents != 0)
				tcp_data(&b, i);
		flush_due(&b);
	}
	return 0;
}
