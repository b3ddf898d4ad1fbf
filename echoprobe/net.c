/* net.c: client sockets: nonblocking open, bind to a source, timed connect. */

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "net.h"
#include "sig.h"
#include "stats.h"

int
net_open(const struct target *t, const struct addr *src, bool *in_progress,
    const char **what)
{
	int fd, one = 1, saved;

	*in_progress = false;
	*what = "socket";
	fd = socket(t->a.ss.ss_family, t->socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	/* Small echoes must not wait for Nagle's delayed ACK dance. */
	if (t->socktype == SOCK_STREAM)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	if (src != NULL) {
		/*
		 * Without this, bind() picks the port alone and one source
		 * address runs out after ~28,000 connections; with it the
		 * port is chosen at connect() per destination.
		 */
		if (t->socktype == SOCK_STREAM)
			(void)setsockopt(fd, IPPROTO_IP,
			    IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		*what = "bind";
		if (bind(fd, (const struct sockaddr *)&src->ss, src->len) ==
		    -1)
			goto fail;
	}
	*what = "connect";
	if (connect(fd, (const struct sockaddr *)&t->a.ss, t->a.len) == -1) {
		if (errno != EINPROGRESS)
			goto fail;
		*in_progress = true;
	}
	return fd;
fail:
	saved = errno;
	(void)close(fd);
	errno = saved;
	return -1;
}

int
net_connect_result(int fd)
{
	socklen_t len = sizeof(int);
	int soerr = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
		return -1;
	if (soerr != 0) {
		errno = soerr;
		return -1;
	}
	return 0;
}

int
net_connect_wait(int fd, uint64_t deadline_ns, const sigset_t *waitmask)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	struct timespec ts;
	uint64_t now, d;
	int rc;

	for (;;) {
		now = clock_now_ns();
		if (now >= deadline_ns) {
			errno = ETIMEDOUT;
			return -1;
		}
		d = deadline_ns - now;
		ts.tv_sec = (time_t)(d / 1000000000U);
		ts.tv_nsec = (long)(d % 1000000000U);
		/* Signals land here, so Ctrl-C ends a slow connect at once. */
		rc = ppoll(&pfd, 1, &ts, waitmask);
		if (rc == -1 && errno == EINTR &&
		    (sig_peek(SIGINT) || sig_peek(SIGTERM)))
			return -1;
		if (rc == -1 && errno != EINTR)
			return -1;
		if (rc > 0)
			return net_connect_result(fd);
	}
}
