/* ping.c: probe mode: one verified echo per interval, RTT lines, summary. */

#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "json.h"
#include "log.h"
#include "net.h"
#include "opts.h"
#include "ping.h"
#include "probe.h"
#include "progress.h"
#include "sig.h"
#include "stats.h"

/*
 * UDP probes in flight are remembered in a ring indexed by seq: enough to
 * tell a late reply (its probe timed out) and a duplicate (its probe was
 * answered) from a lost one.  Sending waits rather than overwrite a probe
 * still pending, so memory stays bounded whatever -i and -W say.
 */
#define PING_SLOTS	4096
#define UDP_RX_LEN	65536

enum slot_state { SLOT_PENDING, SLOT_DONE, SLOT_CORRUPT, SLOT_TIMEDOUT };

struct slot {
	uint64_t	 seq;
	uint64_t	 sent_ns;
	enum slot_state	 state;
};

struct ping {
	const struct opts	*o;
	const struct target	*t;
	struct progress		 pr;
	sigset_t		 waitmask;
	int			 fd;
	bool			 connecting;
	bool			 verbose;	/* a line per probe */
	uint32_t		 run_id;
	unsigned char		*tx;
	unsigned char		*rx;
	size_t			 tx_off;
	size_t			 rx_off;
	uint64_t		 start_ns;
	uint64_t		 next_send_ns;
	uint64_t		 seq;		/* last sequence number sent */
	uint64_t		 oldest;	/* UDP: lowest unresolved seq */
	uint64_t		 highest;	/* UDP: highest seq answered */
	struct slot		*slots;
	bool			 busy;		/* TCP: a probe is in flight */
	struct probe_hdr	 hdr;		/* TCP: that probe */
	uint64_t		 write_ns;
	uint64_t		 deadline_ns;
	long			 transmitted;
	long			 received;
	long			 duplicates;
	long			 late;
	long			 reordered;
	long			 corrupted;
	long			 errors;
	struct rtt_stats	 rtt;
};

static int	 ping_setup(struct ping *);
static void	 ping_loop(struct ping *);
static bool	 ping_done(const struct ping *);
static bool	 ping_may_send(const struct ping *, uint64_t);
static uint64_t	 ping_wake_ns(const struct ping *);
static void	 ping_wait(struct ping *, uint64_t);
static void	 ping_reply_line(struct ping *, uint64_t, uint64_t,
		    const char *);
static void	 ping_summary(const struct ping *, uint64_t);
static void	 ping_json(const struct ping *, uint64_t, int);
static int	 ping_exit_code(const struct ping *);
static void	 close_fd(struct ping *);
static void	 udp_send(struct ping *, uint64_t);
static void	 udp_recv(struct ping *);
static void	 udp_reply(struct ping *, size_t, uint64_t);
static void	 udp_expire(struct ping *, uint64_t);
static void	 tcp_start(struct ping *, uint64_t);
static void	 tcp_fail(struct ping *, const char *, int);
static void	 tcp_events(struct ping *, short, uint64_t);
static void	 tcp_connected(struct ping *, uint64_t);
static void	 tcp_write(struct ping *);
static void	 tcp_read(struct ping *, uint64_t);
static void	 tcp_idle_read(struct ping *);
static void	 tcp_expire(struct ping *, uint64_t);

int
ping_run(const struct opts *o, const struct target *t)
{
	static const int signals[] = { SIGINT, SIGTERM, 0 };
	struct ping p;
	uint64_t end_ns;
	int rc;

	memset(&p, 0, sizeof(p));
	p.o = o;
	p.t = t;
	p.fd = -1;
	sig_init(signals, &p.waitmask);
	if (ping_setup(&p) == -1)
		return EXIT_ERROR;
	ping_loop(&p);
	end_ns = clock_now_ns();
	progress_clear(&p.pr);
	close_fd(&p);
	rc = ping_exit_code(&p);
	if (o->json)
		ping_json(&p, end_ns, rc);
	else
		ping_summary(&p, end_ns);
	free(p.tx);
	free(p.rx);
	free(p.slots);
	return rc;
}

static int
ping_setup(struct ping *p)
{
	const struct opts *o = p->o;
	bool in_progress;
	const char *what;

	p->verbose = !o->quiet && !o->json;
	p->run_id = (uint32_t)getpid() ^ (uint32_t)clock_now_ns();
	p->tx = malloc(o->size);
	p->rx = malloc(o->udp ? UDP_RX_LEN : o->size);
	p->slots = calloc(PING_SLOTS, sizeof(*p->slots));
	if (p->tx == NULL || p->rx == NULL || p->slots == NULL) {
		log_warn("malloc %zu bytes", o->size);
		return -1;
	}
	rtt_init(&p->rtt);
	p->oldest = 1;
	if (o->udp) {
		/* Connected: replies from anyone else are never read. */
		if ((p->fd = net_open(p->t, NULL, &in_progress, &what)) ==
		    -1) {
			log_warn("%s %s", what, p->t->name);
			return -1;
		}
	}
	p->start_ns = p->next_send_ns = clock_now_ns();
	progress_init(&p->pr, p->start_ns);
	/* A line per probe already shows progress. */
	if (p->verbose)
		p->pr.enabled = false;
	if (p->verbose)
		printf("ECHOPROBE %s (%s) %s: %zu bytes per probe\n",
		    o->host, p->t->name, p->t->proto, o->size);
	return 0;
}

/* A list of reactions, like echod's master loop; one wait at the end. */
static void
ping_loop(struct ping *p)
{
	uint64_t now;

	for (;;) {
		if (sig_take(SIGINT) || sig_take(SIGTERM))
			break;
		now = clock_now_ns();
		if (p->o->udp)
			udp_expire(p, now);
		else
			tcp_expire(p, now);
		if (ping_done(p))
			break;
		if (ping_may_send(p, now) && now >= p->next_send_ns) {
			/*
			 * UDP: take in what has come back before the next
			 * send, or with -i 0 a burst of probes overflows our
			 * own receive buffer and reports that as loss.
			 */
			if (p->o->udp) {
				udp_send(p, now);
				udp_recv(p);
			} else
				tcp_start(p, now);
			p->next_send_ns += p->o->interval_ns;
			/* Late probes are not sent in a burst to catch up. */
			if (p->next_send_ns < now)
				p->next_send_ns = now;
			continue;
		}
		if (progress_due(&p->pr, now))
			progress_show(&p->pr, "%ld sent, %ld received",
			    p->transmitted, p->received);
		ping_wait(p, now);
	}
}

static bool
ping_done(const struct ping *p)
{
	if (p->o->count == 0 || p->transmitted < p->o->count)
		return false;
	return p->o->udp ? p->oldest > p->seq : !p->busy;
}

static bool
ping_may_send(const struct ping *p, uint64_t now)
{
	(void)now;
	if (p->o->count != 0 && p->transmitted >= p->o->count)
		return false;
	if (p->o->udp)
		return p->seq + 1 - p->oldest < PING_SLOTS;
	return !p->busy;
}

/* The earliest moment something is due: a send, a timeout, progress. */
static uint64_t
ping_wake_ns(const struct ping *p)
{
	uint64_t wake = UINT64_MAX;
	const struct slot *s;

	if (ping_may_send(p, 0))
		wake = p->next_send_ns;
	if (!p->o->udp && p->busy && p->deadline_ns < wake)
		wake = p->deadline_ns;
	if (p->o->udp && p->oldest <= p->seq) {
		s = &p->slots[p->oldest % PING_SLOTS];
		if (s->sent_ns + p->o->timeout_ns < wake)
			wake = s->sent_ns + p->o->timeout_ns;
	}
	if (p->pr.enabled && p->pr.next_ns < wake)
		wake = p->pr.next_ns;
	return wake;
}

static void
ping_wait(struct ping *p, uint64_t now)
{
	struct pollfd pfd = { .fd = p->fd, .events = 0 };
	struct timespec ts, *tsp = NULL;
	uint64_t wake = ping_wake_ns(p), d;
	int n;

	if (wake != UINT64_MAX) {
		d = wake > now ? wake - now : 0;
		ts.tv_sec = (time_t)(d / 1000000000U);
		ts.tv_nsec = (long)(d % 1000000000U);
		tsp = &ts;
	}
	if (p->fd != -1) {
		if (p->o->udp || !p->connecting)
			pfd.events |= POLLIN;
		if (!p->o->udp && p->busy && (p->connecting ||
		    p->tx_off < p->o->size))
			pfd.events |= POLLOUT;
	}
	n = ppoll(&pfd, 1, tsp, &p->waitmask);
	if (n == -1) {
		if (errno != EINTR) {
			log_warn("ppoll");
			exit(EXIT_ERROR);
		}
		return;
	}
	if (n == 0 || pfd.revents == 0)
		return;
	now = clock_now_ns();
	if (p->o->udp)
		udp_recv(p);
	else
		tcp_events(p, pfd.revents, now);
}

static void
close_fd(struct ping *p)
{
	if (p->fd != -1)
		(void)close(p->fd);
	p->fd = -1;
	p->connecting = false;
}

static void
ping_reply_line(struct ping *p, uint64_t seq, uint64_t rtt_ns,
    const char *note)
{
	char ms[32];

	if (!p->verbose)
		return;
	printf("%zu bytes from %s: seq=%llu time=%s ms%s\n", p->o->size,
	    p->t->name, (unsigned long long)seq,
	    rtt_format_us((long)(rtt_ns / 1000), ms, sizeof(ms)), note);
	(void)fflush(stdout);
}

static void
udp_send(struct ping *p, uint64_t now)
{
	struct slot *s;

	p->seq++;
	p->transmitted++;
	s = &p->slots[p->seq % PING_SLOTS];
	s->seq = p->seq;
	s->sent_ns = now;
	s->state = SLOT_PENDING;
	p->hdr.run_id = p->run_id;
	p->hdr.seq = p->seq;
	p->hdr.sent_ns = now;
	probe_fill(p->tx, p->o->size, &p->hdr);
	if (send(p->fd, p->tx, p->o->size, 0) == -1) {
		p->errors++;
		s->state = SLOT_TIMEDOUT;
		if (p->verbose)
			printf("seq=%llu: send to %s: %s\n",
			    (unsigned long long)p->seq, p->t->name,
			    strerror(errno));
	}
}

static void
udp_recv(struct ping *p)
{
	ssize_t n;

	for (;;) {
		n = recv(p->fd, p->rx, UDP_RX_LEN, MSG_DONTWAIT);
		if (n >= 0) {
			udp_reply(p, (size_t)n, clock_now_ns());
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		/* An ICMP error for an earlier datagram, e.g. port closed. */
		p->errors++;
		if (p->verbose)
			printf("recv from %s: %s\n", p->t->name,
			    strerror(errno));
		return;
	}
}

/* Tell a reply apart: answer, reordered, duplicate, late, or corrupted. */
static void
udp_reply(struct ping *p, size_t len, uint64_t now)
{
	struct probe_hdr h;
	struct slot *s;
	long at;

	if (!probe_parse(p->rx, len, p->run_id, &h) || h.seq == 0 ||
	    h.seq > p->seq) {
		p->corrupted++;
		if (p->verbose)
			printf("reply of %zu bytes from %s is not one of our "
			    "probes\n", len, p->t->name);
		return;
	}
	s = &p->slots[h.seq % PING_SLOTS];
	if (s->seq != h.seq) {
		p->late++;
		if (p->verbose)
			printf("seq=%llu: late reply, its probe is long "
			    "forgotten\n", (unsigned long long)h.seq);
		return;
	}
	switch (s->state) {
	case SLOT_DONE:
	case SLOT_CORRUPT:
		/* ping times duplicates too; so do we, for the same mdev. */
		p->duplicates++;
		rtt_add(&p->rtt, now - s->sent_ns);
		ping_reply_line(p, h.seq, now - s->sent_ns, " (DUP!)");
		return;
	case SLOT_TIMEDOUT:
		p->late++;
		ping_reply_line(p, h.seq, now - s->sent_ns,
		    " (late, counted lost)");
		return;
	case SLOT_PENDING:
		/*
		 * Past -W it is lost, as udp_expire would have said had it
		 * run first: the order of two checks must not decide.
		 */
		if (now - s->sent_ns >= p->o->timeout_ns) {
			s->state = SLOT_TIMEDOUT;
			p->late++;
			ping_reply_line(p, h.seq, now - s->sent_ns,
			    " (late, counted lost)");
			return;
		}
		break;
	}
	/* The header carried our send time; compare with ours, not it. */
	h.sent_ns = s->sent_ns;
	at = len != p->o->size ? (long)(len < p->o->size ? len : p->o->size) :
	    probe_diff(p->rx, len, &h);
	if (at >= 0) {
		p->corrupted++;
		s->state = SLOT_CORRUPT;
		if (p->verbose)
			printf("seq=%llu: reply of %zu bytes differs from the "
			    "probe at byte %ld\n", (unsigned long long)h.seq,
			    len, at);
		return;
	}
	s->state = SLOT_DONE;
	p->received++;
	rtt_add(&p->rtt, now - s->sent_ns);
	if (h.seq < p->highest)
		p->reordered++;
	ping_reply_line(p, h.seq, now - s->sent_ns,
	    h.seq < p->highest ? " (reordered)" : "");
	if (h.seq > p->highest)
		p->highest = h.seq;
}

static void
udp_expire(struct ping *p, uint64_t now)
{
	struct slot *s;

	while (p->oldest <= p->seq) {
		s = &p->slots[p->oldest % PING_SLOTS];
		if (s->state == SLOT_PENDING) {
			if (now < s->sent_ns + p->o->timeout_ns)
				return;
			s->state = SLOT_TIMEDOUT;
			if (p->verbose)
				printf("seq=%llu: no reply within %llu ms\n",
				    (unsigned long long)s->seq,
				    (unsigned long long)(p->o->timeout_ns /
				    1000000));
		}
		p->oldest++;
	}
}

/*
 * TCP probes go one at a time: the stream is ordered, so a timed-out
 * probe's echo could arrive inside the next one's.  A timeout, error or
 * mismatch therefore closes the connection; the next probe opens another.
 */
static void
tcp_start(struct ping *p, uint64_t now)
{
	const char *what;
	bool in_progress;

	p->seq++;
	p->transmitted++;
	p->busy = true;
	p->hdr.run_id = p->run_id;
	p->hdr.seq = p->seq;
	p->hdr.sent_ns = now;
	p->deadline_ns = now + p->o->timeout_ns;
	p->write_ns = now;
	p->tx_off = p->rx_off = 0;
	probe_fill(p->tx, p->o->size, &p->hdr);
	if (p->fd != -1)
		return;
	if ((p->fd = net_open(p->t, NULL, &in_progress, &what)) == -1) {
		tcp_fail(p, what, errno);
		return;
	}
	p->connecting = in_progress;
	if (!in_progress)
		tcp_connected(p, now);
}

static void
tcp_fail(struct ping *p, const char *what, int error)
{
	p->errors++;
	p->busy = false;
	close_fd(p);
	if (p->verbose)
		printf("seq=%llu: %s %s: %s\n", (unsigned long long)p->seq,
		    what, p->t->name, strerror(error));
}

static void
tcp_connected(struct ping *p, uint64_t now)
{
	char ms[32];

	p->connecting = false;
	p->write_ns = now;
	if (p->verbose && !p->o->connect_each)
		printf("connected to %s in %s ms\n", p->t->name,
		    rtt_format_us((long)((now - p->hdr.sent_ns) / 1000), ms,
		    sizeof(ms)));
}

static void
tcp_events(struct ping *p, short revents, uint64_t now)
{
	/* An answer past -W is a timeout, whichever check runs first. */
	tcp_expire(p, now);
	if (!p->busy) {
		if (p->fd != -1)
			tcp_idle_read(p);
		return;
	}
	if (p->connecting) {
		if (net_connect_result(p->fd) == -1) {
			tcp_fail(p, "connect", errno);
			return;
		}
		tcp_connected(p, now);
	}
	if (revents & (POLLOUT | POLLERR | POLLHUP))
		tcp_write(p);
	if (p->busy && (revents & (POLLIN | POLLERR | POLLHUP)))
		tcp_read(p, clock_now_ns());
}

static void
tcp_write(struct ping *p)
{
	ssize_t n;

	while (p->busy && p->tx_off < p->o->size) {
		n = send(p->fd, p->tx + p->tx_off, p->o->size - p->tx_off,
		    MSG_NOSIGNAL);
		if (n > 0) {
			p->tx_off += (size_t)n;
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		if (errno != EINTR)
			tcp_fail(p, "send to", errno);
	}
}

static void
tcp_read(struct ping *p, uint64_t now)
{
	uint64_t rtt;
	ssize_t n;
	long at;

	while (p->rx_off < p->o->size) {
		n = recv(p->fd, p->rx + p->rx_off, p->o->size - p->rx_off,
		    MSG_DONTWAIT);
		if (n > 0) {
			p->rx_off += (size_t)n;
			continue;
		}
		if (n == 0) {
			p->errors++;
			p->busy = false;
			close_fd(p);
			if (p->verbose)
				printf("seq=%llu: connection closed by %s "
				    "after %zu of %zu bytes\n",
				    (unsigned long long)p->seq, p->t->name,
				    p->rx_off, p->o->size);
			return;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		if (errno != EINTR) {
			tcp_fail(p, "recv from", errno);
			return;
		}
	}
	p->busy = false;
	if ((at = probe_diff(p->rx, p->o->size, &p->hdr)) >= 0) {
		p->corrupted++;
		close_fd(p);
		if (p->verbose)
			printf("seq=%llu: reply differs from the probe at "
			    "byte %ld\n", (unsigned long long)p->seq, at);
		return;
	}
	rtt = now - (p->o->connect_each ? p->hdr.sent_ns : p->write_ns);
	p->received++;
	rtt_add(&p->rtt, rtt);
	ping_reply_line(p, p->seq, rtt, "");
	if (p->o->connect_each)
		close_fd(p);
}

/* Between probes the server owes nothing: EOF or stray bytes end the link. */
static void
tcp_idle_read(struct ping *p)
{
	ssize_t n;

	n = recv(p->fd, p->rx, p->o->size, MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return;
	if (p->verbose) {
		if (n == 0)
			printf("connection closed by %s; the next probe "
			    "reconnects\n", p->t->name);
		else if (n > 0)
			printf("%zd unexpected bytes from %s between probes; "
			    "reconnecting\n", n, p->t->name);
		else
			printf("recv from %s: %s\n", p->t->name,
			    strerror(errno));
	}
	if (n > 0)
		p->corrupted++;
	close_fd(p);
}

static void
tcp_expire(struct ping *p, uint64_t now)
{
	if (!p->busy || now < p->deadline_ns)
		return;
	p->busy = false;
	if (p->verbose)
		printf("seq=%llu: no %s within %llu ms\n",
		    (unsigned long long)p->seq,
		    p->connecting ? "connection" : "reply",
		    (unsigned long long)(p->o->timeout_ns / 1000000));
	close_fd(p);
}

static double
loss_percent(const struct ping *p)
{
	if (p->transmitted == 0)
		return 0;
	return (double)(p->transmitted - p->received) * 100.0 /
	    (double)p->transmitted;
}

/* ping's two lines, with its "+N duplicates" style for the extras. */
static void
ping_summary(const struct ping *p, uint64_t end_ns)
{
	struct rtt_summary r;

	printf("\n--- %s echoprobe statistics ---\n", p->o->host);
	printf("%ld probes transmitted, %ld received", p->transmitted,
	    p->received);
	if (p->duplicates > 0)
		printf(", +%ld duplicates", p->duplicates);
	if (p->late > 0)
		printf(", +%ld late", p->late);
	if (p->reordered > 0)
		printf(", %ld reordered", p->reordered);
	if (p->corrupted > 0)
		printf(", +%ld corrupted", p->corrupted);
	if (p->errors > 0)
		printf(", +%ld errors", p->errors);
	printf(", %g%% loss, time %llums\n", (float)loss_percent(p),
	    (unsigned long long)((end_ns - p->start_ns + 500000) / 1000000));
	if (p->received > 0) {
		rtt_summarize(&p->rtt, &r);
		printf("rtt min/avg/max/mdev = %ld.%03ld/%ld.%03ld/%ld.%03ld/"
		    "%ld.%03ld ms\n", r.min_us / 1000, r.min_us % 1000,
		    r.avg_us / 1000, r.avg_us % 1000, r.max_us / 1000,
		    r.max_us % 1000, r.mdev_us / 1000, r.mdev_us % 1000);
	}
	(void)fflush(stdout);
}

static void
ping_json(const struct ping *p, uint64_t end_ns, int rc)
{
	struct rtt_summary r;
	struct json j;

	json_begin(&j, stdout);
	json_str(&j, "mode", "probe");
	json_str(&j, "host", p->o->host);
	json_str(&j, "address", p->t->name);
	json_str(&j, "protocol", p->t->proto);
	json_bool(&j, "connect_each", p->o->connect_each);
	json_uint(&j, "size", p->o->size);
	json_int(&j, "transmitted", p->transmitted);
	json_int(&j, "received", p->received);
	json_int(&j, "duplicates", p->duplicates);
	json_int(&j, "late", p->late);
	json_int(&j, "reordered", p->reordered);
	json_int(&j, "corrupted", p->corrupted);
	json_int(&j, "errors", p->errors);
	json_double(&j, "loss_percent", loss_percent(p));
	json_uint(&j, "time_ms", (end_ns - p->start_ns) / 1000000);
	if (p->received > 0) {
		rtt_summarize(&p->rtt, &r);
		json_object(&j, "rtt_ms");
		json_double(&j, "min", r.min_us / 1000.0);
		json_double(&j, "avg", r.avg_us / 1000.0);
		json_double(&j, "max", r.max_us / 1000.0);
		json_double(&j, "mdev", r.mdev_us / 1000.0);
		json_close(&j);
	}
	json_int(&j, "exit", rc);
	json_end(&j);
}

/* Nothing got through because of errors is a failure, not a loss. */
static int
ping_exit_code(const struct ping *p)
{
	if (p->errors > 0 && p->received == 0)
		return EXIT_ERROR;
	/* Corrupted replies fail the run, as the manual says, even if
	   every probe also got a good answer. */
	if (p->transmitted == 0 || p->received < p->transmitted ||
	    p->corrupted > 0)
		return EXIT_LOSS;
	return EXIT_ANSWERED;
}
