/* ping.c: probe mode: one verified echo per interval, RTT lines, summary. */

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
#include "ping.h"
#include "ping_proto.h"
#include "sig.h"

static int	 ping_setup(struct ping *);
static void	 ping_loop(struct ping *);
static bool	 ping_done(const struct ping *);
static bool	 ping_may_send(const struct ping *);
static uint64_t	 ping_wake_ns(const struct ping *);
static void	 ping_wait(struct ping *, uint64_t);
static void	 ping_summary(const struct ping *, uint64_t);
static void	 ping_json(const struct ping *, uint64_t, int);
static int	 ping_exit_code(const struct ping *);

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
	p.ops = o->udp ? &ping_udp_ops : &ping_tcp_ops;
	p.fd = -1;
	sig_init(signals, &p.waitmask);
	rc = ping_setup(&p);
	if (rc == 0)
		ping_loop(&p);
	end_ns = clock_now_ns();
	progress_clear(&p.pr);
	ping_close_fd(&p);
	free(p.proto);
	free(p.tx);
	if (rc == -1)
		return EXIT_ERROR;
	rc = ping_exit_code(&p);
	if (o->json)
		ping_json(&p, end_ns, rc);
	else
		ping_summary(&p, end_ns);
	return rc;
}

static int
ping_setup(struct ping *p)
{
	const struct opts *o = p->o;

	p->verbose = !o->quiet && !o->json;
	p->run_id = (uint32_t)getpid() ^ (uint32_t)clock_now_ns();
	if ((p->tx = malloc(o->size)) == NULL) {
		log_warn("malloc %zu bytes", o->size);
		return -1;
	}
	rtt_init(&p->rtt);
	if (p->ops->open(p) == -1)
		return -1;
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
		p->ops->expire(p, now, &p->due);
		if (ping_done(p))
			break;
		if (ping_may_send(p) && now >= p->next_send_ns) {
			p->ops->send(p, now);
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
	return p->due.in_flight == 0;
}

static bool
ping_may_send(const struct ping *p)
{
	if (p->o->count != 0 && p->transmitted >= p->o->count)
		return false;
	return !p->due.full;
}

/* The earliest moment something is due: a send, a timeout, progress. */
static uint64_t
ping_wake_ns(const struct ping *p)
{
	uint64_t wake = UINT64_MAX;

	if (ping_may_send(p))
		wake = p->next_send_ns;
	if (p->due.timeout_ns < wake)
		wake = p->due.timeout_ns;
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
	if (p->fd != -1)
		pfd.events = p->due.events;
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
	p->ops->ready(p, pfd.revents, clock_now_ns());
}

void
ping_next_probe(struct ping *p, uint64_t now, struct probe_hdr *h)
{
	p->seq++;
	p->transmitted++;
	h->run_id = p->run_id;
	h->seq = p->seq;
	h->sent_ns = now;
	probe_fill(p->tx, p->o->size, h);
}

void
ping_close_fd(struct ping *p)
{
	if (p->fd != -1)
		(void)close(p->fd);
	p->fd = -1;
}

void
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
