/* ref.c: the bench's reference: a minimal epoll echo server, no config, no lock. */

/*
 * The ceiling a preforking echo server can approach on this machine: N
 * processes, each with its own SO_REUSEPORT TCP and UDP socket (the kernel
 * spreads connections and datagrams, nobody contends), an edge-triggered
 * epoll loop, a buffer per connection, recvmmsg/sendmmsg for UDP.
 * With -1, UDP takes one datagram per recvfrom and sendto instead: a
 * server that does not batch, what echod's batching is measured against.
 * Usage: ref [-1] [-w WORKERS] [-a ADDRESS]; prints "tcp PORT" and
 * "udp PORT".
 */

#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUF	16384
#define BATCH	32

struct rconn {
	int		 fd;
	size_t		 off, len;
	unsigned char	 buf[BUF];
};

static int	 open_sock(const char *, int, int);
static _Noreturn void serve(int, int);
static void	 tcp_io(int, struct rconn *);
static void	 udp_io(int);
static void	 udp_io_one(int);

static int	 one_by_one;	/* -1 */

static int
open_sock(const char *addr, int type, int port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd, on = 1;

	if ((fd = socket(AF_INET, type | SOCK_NONBLOCK, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) == -1) {
		perror("ref: socket");
		exit(1);
	}
	if (type == SOCK_STREAM)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	(void)inet_pton(AF_INET, addr, &sin.sin_addr);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    (type == SOCK_STREAM && listen(fd, 4096) == -1) ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		perror("ref: bind");
		exit(1);
	}
	return ntohs(sin.sin_port) > 0 ? fd : -1;
}

static void
tcp_io(int ep, struct rconn *c)
{
	ssize_t n;

	for (;;) {
		if (c->off < c->len) {
			n = send(c->fd, c->buf + c->off, c->len - c->off,
			    MSG_NOSIGNAL);
			if (n < 0 && errno == EAGAIN)
				return;
			if (n < 0)
				goto done;
			c->off += n;
			continue;
		}
		c->off = c->len = 0;
		n = recv(c->fd, c->buf, BUF, 0);
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0)
			goto done;
		c->len = n;
	}
done:
	(void)epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	(void)close(c->fd);
	free(c);
}

static void
udp_io(int fd)
{
	static unsigned char bufs[BATCH][65536];
	struct sockaddr_storage peers[BATCH];
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	int i, n;

	for (;;) {
		for (i = 0; i < BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = sizeof(bufs[i]);
			memset(&m[i].msg_hdr, 0, sizeof(m[i].msg_hdr));
			m[i].msg_hdr.msg_name = &peers[i];
			m[i].msg_hdr.msg_namelen = sizeof(peers[i]);
			m[i].msg_hdr.msg_iov = &iov[i];
			m[i].msg_hdr.msg_iovlen = 1;
		}
		if ((n = recvmmsg(fd, m, BATCH, MSG_DONTWAIT, NULL)) <= 0)
			return;
		for (i = 0; i < n; i++)
			iov[i].iov_len = m[i].msg_len;
		(void)sendmmsg(fd, m, n, MSG_DONTWAIT);
	}
}

/* One datagram per system call each way, until the socket is empty. */
static void
udp_io_one(int fd)
{
	static unsigned char buf[65536];
	struct sockaddr_storage peer;
	socklen_t len;
	ssize_t n;

	for (;;) {
		len = sizeof(peer);
		if ((n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
		    (struct sockaddr *)&peer, &len)) < 0)
			return;
		(void)sendto(fd, buf, (size_t)n, MSG_DONTWAIT,
		    (struct sockaddr *)&peer, len);
	}
}

static _Noreturn void
serve(int lfd, int ufd)
{
	struct epoll_event ev, evs[256];
	struct rconn *c;
	int ep, i, n, fd;

	if ((ep = epoll_create1(0)) == -1)
		exit(1);
	ev.events = EPOLLIN;
	ev.data.ptr = &lfd;
	(void)epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	ev.data.ptr = &ufd;
	(void)epoll_ctl(ep, EPOLL_CTL_ADD, ufd, &ev);
	for (;;) {
		n = epoll_wait(ep, evs, 256, -1);
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == &ufd) {
				if (one_by_one)
					udp_io_one(ufd);
				else
					udp_io(ufd);
				continue;
			}
			if (evs[i].data.ptr != &lfd) {
				tcp_io(ep, evs[i].data.ptr);
				continue;
			}
			while ((fd = accept4(lfd, NULL, NULL,
			    SOCK_NONBLOCK)) != -1) {
				if ((c = malloc(sizeof(*c))) == NULL) {
					(void)close(fd);
					continue;
				}
				c->fd = fd;
				c->off = c->len = 0;
				ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
				ev.data.ptr = c;
				(void)epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
			}
		}
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct rlimit rl = { 65536, 65536 };
	const char *addr = "127.0.0.1";
	int ch, i, w = 2, tport, uport, *lfd, *ufd;

	while ((ch = getopt(argc, argv, "1w:a:")) != -1) {
		if (ch == '1')
			one_by_one = 1;
		else if (ch == 'w')
			w = atoi(optarg);
		else if (ch == 'a')
			addr = optarg;
		else {
			fprintf(stderr, "usage: ref [-1] [-w workers] "
			    "[-a addr]\n");
			return 1;
		}
	}
	(void)setrlimit(RLIMIT_NOFILE, &rl);
	lfd = calloc(w, sizeof(int));
	ufd = calloc(w, sizeof(int));
	lfd[0] = open_sock(addr, SOCK_STREAM, 0);
	ufd[0] = open_sock(addr, SOCK_DGRAM, 0);
	(void)getsockname(lfd[0], (struct sockaddr *)&sin, &len);
	tport = ntohs(sin.sin_port);
	len = sizeof(sin);
	(void)getsockname(ufd[0], (struct sockaddr *)&sin, &len);
	uport = ntohs(sin.sin_port);
	for (i = 1; i < w; i++) {
		lfd[i] = open_sock(addr, SOCK_STREAM, tport);
		ufd[i] = open_sock(addr, SOCK_DGRAM, uport);
	}
	printf("tcp %d\nudp %d\n", tport, uport);
	fflush(stdout);
	for (i = 0; i < w; i++)
		if (fork() == 0) {
			/* Die with the parent: the bench kills only the parent. */
			(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
			serve(lfd[i], ufd[i]);
		}
	for (;;)
		(void)wait(NULL);
}
