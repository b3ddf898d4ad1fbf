/* interactive.c: send what is typed on stdin, print what comes back. */

#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "interactive.h"
#include "io.h"
#include "json.h"
#include "log.h"
#include "net.h"
#include "sig.h"
#include "stats.h"

#define INTER_BUF_LEN	65536

struct inter {
	const struct opts	*o;
	const struct target	*t;
	sigset_t		 waitmask;
	int			 fd;
	bool			 stdin_eof;
	bool			 shut;		/* our side is closed */
	bool			 peer_eof;
	bool			 interrupted;
	uint64_t		 drain_deadline_ns;
	uint64_t		 stall_deadline_ns;	/* TCP send, no progress */
	unsigned char		 out[INTER_BUF_LEN];	/* stdin -> socket */
	size_t			 out_off;
	size_t			 out_len;
	unsigned char		 line[OPTS_UDP_SIZE_MAX];	/* UDP */
	size_t			 line_len;
	unsigned char		 in[INTER_BUF_LEN];	/* socket -> stdout */
	uint64_t		 bytes_sent;
	uint64_t		 bytes_received;
	uint64_t		 dgrams_sent;
	uint64_t		 dgrams_received;
	uint64_t		 send_errors;
};

static int	 inter_loop(struct inter *);
static bool	 inter_finished(const struct inter *, uint64_t);
static int	 inter_wait(struct inter *, uint64_t);
static int	 read_stdin(struct inter *, uint64_t);
static void	 tcp_flush(struct inter *, uint64_t);
static void	 udp_lines(struct inter *, const unsigned char *, size_t,
		    bool);
static void	 udp_send_line(struct inter *);
static int	 read_socket(struct inter *);
static void	 half_close(struct inter *, uint64_t);
static int	 inter_report(const struct inter *);

int
interactive_run(const struct opts *o, const struct target *t)
{
	static const int signals[] = { SIGINT, SIGTERM, 0 };
	struct inter *it;
	bool in_progress;
	const char *what;
	int rc;

	if ((it = calloc(1, sizeof(*it))) == NULL) {
		log_warn("calloc");
		return EXIT_ERROR;
	}
	it->o = o;
	it->t = t;
	sig_init(signals, &it->waitmask);
	if ((it->fd = net_open(t, NULL, &in_progress, &what)) == -1 ||
	    (in_progress && net_connect_wait(it->fd, clock_now_ns() +
	    o->timeout_ns, &it->waitmask) == -1)) {
		log_warn("%s %s (%s)", what, t->name, t->proto);
		free(it);
		return EXIT_ERROR;
	}
	if (isatty(STDIN_FILENO) && !o->json)
		log_notice("connected to %s (%s); Ctrl-D ends", t->name,
		    t->proto);
	rc = inter_loop(it);
	if (rc != EXIT_ERROR)
		rc = inter_report(it);
	(void)close(it->fd);
	free(it);
	return rc;
}

static int
inter_loop(struct inter *it)
{
	uint64_t now;

	for (;;) {
		if (sig_take(SIGINT) || sig_take(SIGTERM)) {
			it->interrupted = true;
			return 0;
		}
		now = clock_now_ns();
		if (inter_finished(it, now))
			return 0;
		if (inter_wait(it, now) == -1)
			return EXIT_ERROR;
	}
}

static bool
inter_finished(const struct inter *it, uint64_t now)
{
	if (it->peer_eof)
		return true;
	/* A server that stops reading must not hold us forever. */
	if (!it->o->udp && it->out_len > 0 && now >= it->stall_deadline_ns) {
		log_warnx("send to %s: no progress for %llu ms", it->t->name,
		    (unsigned long long)(it->o->timeout_ns / 1000000));
		return true;
	}
	if (!it->shut)
		return false;
	/* UDP has no EOF: stop once every datagram came back. */
	if (it->o->udp && it->dgrams_received >= it->dgrams_sent)
		return true;
	return now >= it->drain_deadline_ns;
}

static int
inter_wait(struct inter *it, uint64_t now)
{
	struct pollfd pfd[2];
	struct timespec ts, *tsp = NULL;
	uint64_t d, wake;

	/* stdin is read only when its last chunk is sent: back-pressure. */
	pfd[0].fd = !it->stdin_eof && it->out_len == 0 ? STDIN_FILENO : -1;
	pfd[0].events = POLLIN;
	pfd[1].fd = it->fd;
	pfd[1].events = POLLIN;
	if (!it->o->udp && it->out_len > 0)
		pfd[1].events |= POLLOUT;
	pfd[0].revents = pfd[1].revents = 0;
	if (it->shut || (!it->o->udp && it->out_len > 0)) {
		wake = it->shut ? it->drain_deadline_ns : it->stall_deadline_ns;
		d = wake > now ? wake - now : 0;
		ts.tv_sec = (time_t)(d / 1000000000U);
		ts.tv_nsec = (long)(d % 1000000000U);
		tsp = &ts;
	}
	if (ppoll(pfd, 2, tsp, &it->waitmask) == -1) {
		if (errno == EINTR)
			return 0;
		log_warn("ppoll");
		return -1;
	}
	now = clock_now_ns();
	if (pfd[1].revents != 0 && read_socket(it) == -1)
		return -1;
	if (pfd[1].revents & (POLLOUT | POLLERR))
		tcp_flush(it, now);
	if (pfd[0].revents != 0)
		return read_stdin(it, now);
	return 0;
}

static int
read_stdin(struct inter *it, uint64_t now)
{
	ssize_t n;

	n = read(STDIN_FILENO, it->out, sizeof(it->out));
	if (n == -1) {
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		log_warn("read stdin");
		return -1;
	}
	if (n == 0) {
		it->stdin_eof = true;
		if (it->o->udp)
			udp_lines(it, it->out, 0, true);
		half_close(it, now);
		return 0;
	}
	if (it->o->udp) {
		udp_lines(it, it->out, (size_t)n, false);
		return 0;
	}
	it->out_off = 0;
	it->out_len = (size_t)n;
	it->stall_deadline_ns = now + it->o->timeout_ns;
	tcp_flush(it, now);
	return 0;
}

/* Ctrl-D: the server sees EOF once it has everything we sent. */
static void
half_close(struct inter *it, uint64_t now)
{
	if (it->shut || !it->stdin_eof || it->out_len > 0)
		return;
	if (!it->o->udp && shutdown(it->fd, SHUT_WR) == -1)
		log_warn("shutdown %s", it->t->name);
	it->shut = true;
	it->drain_deadline_ns = now + it->o->timeout_ns;
}

static void
tcp_flush(struct inter *it, uint64_t now)
{
	ssize_t n;

	while (it->out_len > 0) {
		n = send(it->fd, it->out + it->out_off, it->out_len,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			log_warn("send to %s", it->t->name);
			it->peer_eof = true;
			return;
		}
		it->bytes_sent += (uint64_t)n;
		it->out_off += (size_t)n;
		it->out_len -= (size_t)n;
		it->stall_deadline_ns = now + it->o->timeout_ns;
	}
	half_close(it, now);
}

/*
 * One datagram per line, so the echo shows line by line; a partial last
 * line waits for its newline, or for EOF.
 */
static void
udp_lines(struct inter *it, const unsigned char *p, size_t len, bool at_eof)
{
	size_t i;

	for (i = 0; i < len; i++) {
		it->line[it->line_len++] = p[i];
		if (p[i] == '\n' || it->line_len == sizeof(it->line))
			udp_send_line(it);
	}
	if (at_eof && it->line_len > 0)
		udp_send_line(it);
}

static void
udp_send_line(struct inter *it)
{
	if (send(it->fd, it->line, it->line_len, MSG_DONTWAIT) == -1) {
		it->send_errors++;
		log_warn("send to %s", it->t->name);
	} else {
		it->dgrams_sent++;
		it->bytes_sent += it->line_len;
	}
	it->line_len = 0;
}

static int
read_socket(struct inter *it)
{
	ssize_t n;

	n = recv(it->fd, it->in, sizeof(it->in), MSG_DONTWAIT);
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		log_warn("recv from %s", it->t->name);
		/* UDP: an ICMP error for one datagram; the next may pass. */
		if (!it->o->udp)
			it->peer_eof = true;
		return 0;
	}
	if (n == 0 && !it->o->udp) {
		it->peer_eof = true;
		if (!it->stdin_eof)
			log_warnx("connection closed by %s", it->t->name);
		return 0;
	}
	it->bytes_received += (uint64_t)n;
	it->dgrams_received++;
	if (it->o->json)
		return 0;
	if (io_write_all(STDOUT_FILENO, it->in, (size_t)n) == -1) {
		log_warn("write stdout");
		return -1;
	}
	return 0;
}

static int
inter_report(const struct inter *it)
{
	bool complete = it->bytes_received == it->bytes_sent &&
	    it->stdin_eof && it->send_errors == 0;
	int rc = complete ? EXIT_ANSWERED : EXIT_LOSS;
	struct json j;

	if (it->o->json) {
		json_begin(&j, stdout);
		json_str(&j, "mode", "interactive");
		json_str(&j, "host", it->o->host);
		json_str(&j, "address", it->t->name);
		json_str(&j, "protocol", it->t->proto);
		json_uint(&j, "bytes_sent", it->bytes_sent);
		json_uint(&j, "bytes_received", it->bytes_received);
		if (it->o->udp) {
			json_uint(&j, "datagrams_sent", it->dgrams_sent);
			json_uint(&j, "datagrams_received",
			    it->dgrams_received);
		}
		json_bool(&j, "complete", complete);
		json_int(&j, "exit", rc);
		json_end(&j);
	} else if (!complete && it->stdin_eof)
		log_warnx("%llu of %llu bytes came back from %s",
		    (unsigned long long)it->bytes_received,
		    (unsigned long long)it->bytes_sent, it->t->name);
	return rc;
}
