/* report.c: merge the jobs' load results, print them as text or JSON. */

#include <stdio.h>
#include <string.h>

#include "json.h"
#include "log.h"
#include "report.h"

static const double report_pcts[] = { 50, 90, 99, 99.9 };
static const char *const report_pct_names[] = { "p50", "p90", "p99",
	"p99.9" };
#define REPORT_NPCTS	(sizeof(report_pcts) / sizeof(report_pcts[0]))

static uint64_t	 total_errors(const struct load_result *);
static void	 report_text(const struct opts *, const struct target *, int,
		    const struct load_result *);
static void	 report_json(const struct opts *, const struct target *, int,
		    const struct load_result *, int);

void
report_merge_init(struct load_result *sum)
{
	memset(sum, 0, sizeof(*sum));
	hist_init(&sum->h);
}

/* Jobs run side by side: the run lasted as long as the longest job. */
void
report_merge(struct load_result *sum, const struct load_result *r)
{
	int k;

	sum->requests += r->requests;
	sum->bytes_sent += r->bytes_sent;
	sum->bytes_received += r->bytes_received;
	sum->connects += r->connects;
	sum->cancelled += r->cancelled;
	sum->late += r->late;
	sum->duplicates += r->duplicates;
	for (k = 0; k < LOAD_ERR_KINDS; k++)
		sum->errors[k] += r->errors[k];
	if (r->elapsed_ns > sum->elapsed_ns)
		sum->elapsed_ns = r->elapsed_ns;
	sum->hold_connected += r->hold_connected;
	sum->hold_first += r->hold_first;
	sum->hold_both += r->hold_both;
	if (r->failed)
		sum->failed = 1;
	if (sum->error[0] == '\0' && r->error[0] != '\0')
		(void)snprintf(sum->error, sizeof(sum->error), "%s", r->error);
	hist_merge(&sum->h, &r->h);
}

static uint64_t
total_errors(const struct load_result *r)
{
	uint64_t n = 0;
	int k;

	for (k = 0; k < LOAD_ERR_KINDS; k++)
		n += r->errors[k];
	return n;
}

/*
 * 2: nothing could be measured (a job failed to start, or no echo came
 * back at all); 1: errors, or a hold that lost connections; 0: clean.
 */
int
report_exit_code(const struct opts *o, const struct load_result *r)
{
	if (r->failed || r->requests == 0)
		return EXIT_ERROR;
	if (o->hold_ns != 0)
		return r->hold_both == (uint64_t)o->connections ?
		    EXIT_ANSWERED : EXIT_LOSS;
	return total_errors(r) > 0 ? EXIT_LOSS : EXIT_ANSWERED;
}

int
report_load(const struct opts *o, const struct target *t, int njobs,
    const struct load_result *r)
{
	int rc = report_exit_code(o, r);

	if (r->error[0] != '\0')
		log_warnx("%s", r->error);
	if (o->json)
		report_json(o, t, njobs, r, rc);
	else
		report_text(o, t, njobs, r);
	return rc;
}

static void
report_text(const struct opts *o, const struct target *t, int njobs,
    const struct load_result *r)
{
	double secs = (double)r->elapsed_ns / 1e9;
	size_t i;
	int k;

	if (secs <= 0)
		secs = 1e-9;
	printf("--- %s (%s %s) echoprobe load: %ld %s, %ld in flight each, "
	    "%zu bytes, %d job%s%s ---\n", o->host, t->name, t->proto,
	    o->connections, o->udp ? "sockets" : "connections",
	    o->udp ? o->window : o->pipeline, o->size, njobs,
	    njobs == 1 ? "" : "s", o->connect_each ? ", connect each" : "");
	printf("requests     %llu in %.3f s: %.1f/s\n",
	    (unsigned long long)r->requests, secs,
	    (double)r->requests / secs);
	printf("throughput   %.3f MB/s sent, %.3f MB/s received\n",
	    (double)r->bytes_sent / secs / 1e6,
	    (double)r->bytes_received / secs / 1e6);
	printf("latency      ");
	for (i = 0; i < REPORT_NPCTS; i++)
		printf("%s %.3f  ", report_pct_names[i],
		    (double)hist_percentile(&r->h, report_pcts[i]) / 1e6);
	printf("max %.3f ms\n", (double)r->h.max / 1e6 *
	    (r->h.total > 0));
	printf("errors       ");
	for (k = 0; k < LOAD_ERR_KINDS; k++)
		printf("%s%s %llu", k == 0 ? "" : ", ", load_err_name(k),
		    (unsigned long long)r->errors[k]);
	printf("\n");
	printf("connections  %llu opened; %llu requests cut off at the end",
	    (unsigned long long)r->connects, (unsigned long long)r->cancelled);
	if (o->udp)
		printf("; %llu late replies, %llu duplicates",
		    (unsigned long long)r->late,
		    (unsigned long long)r->duplicates);
	printf("\n");
	if (o->hold_ns != 0)
		printf("hold         %ld connections: %llu connected, %llu "
		    "echoed at the start, %llu echoed again after %.3f s "
		    "idle\n", o->connections,
		    (unsigned long long)r->hold_connected,
		    (unsigned long long)r->hold_first,
		    (unsigned long long)r->hold_both,
		    (double)o->hold_ns / 1e9);
	if (o->hold_ns != 0 && r->hold_open_ns != 0)
		printf("opened       %llu of %ld connections in %.3f s, then "
		    "held them together\n", (unsigned long long)r->hold_first,
		    o->connections, (double)r->hold_open_ns / 1e9);
	(void)fflush(stdout);
}

static void
report_json(const struct opts *o, const struct target *t, int njobs,
    const struct load_result *r, int rc)
{
	double secs = r->elapsed_ns > 0 ? (double)r->elapsed_ns / 1e9 : 1e-9;
	struct json j;
	size_t i;
	int k;

	json_begin(&j, stdout);
	json_str(&j, "mode", o->hold_ns != 0 ? "hold" : "load");
	json_str(&j, "host", o->host);
	json_str(&j, "address", t->name);
	json_str(&j, "protocol", t->proto);
	json_int(&j, "connections", o->connections);
	json_int(&j, "in_flight", o->udp ? o->window : o->pipeline);
	json_uint(&j, "size", o->size);
	json_int(&j, "jobs", njobs);
	json_bool(&j, "connect_each", o->connect_each);
	json_double(&j, "elapsed_s", secs);
	json_uint(&j, "requests", r->requests);
	json_double(&j, "requests_per_s", (double)r->requests / secs);
	json_uint(&j, "bytes_sent", r->bytes_sent);
	json_uint(&j, "bytes_received", r->bytes_received);
	json_double(&j, "mb_per_s_sent", (double)r->bytes_sent / secs / 1e6);
	json_double(&j, "mb_per_s_received",
	    (double)r->bytes_received / secs / 1e6);
	json_object(&j, "latency_ms");
	for (i = 0; i < REPORT_NPCTS; i++)
		json_double(&j, report_pct_names[i],
		    (double)hist_percentile(&r->h, report_pcts[i]) / 1e6);
	json_double(&j, "max", r->h.total > 0 ? (double)r->h.max / 1e6 : 0);
	json_close(&j);
	json_object(&j, "errors");
	for (k = 0; k < LOAD_ERR_KINDS; k++)
		json_uint(&j, load_err_name(k), r->errors[k]);
	json_close(&j);
	json_uint(&j, "connects", r->connects);
	json_uint(&j, "cancelled", r->cancelled);
	json_uint(&j, "late", r->late);
	json_uint(&j, "duplicates", r->duplicates);
	if (o->hold_ns != 0) {
		json_object(&j, "hold");
		json_double(&j, "idle_s", (double)o->hold_ns / 1e9);
		json_uint(&j, "connected", r->hold_connected);
		json_uint(&j, "echoed_first", r->hold_first);
		json_uint(&j, "echoed_both", r->hold_both);
		/* From the start until every job's links were open. */
		if (r->hold_open_ns != 0)
			json_double(&j, "open_s",
			    (double)r->hold_open_ns / 1e9);
		json_close(&j);
	}
	if (r->error[0] != '\0')
		json_str(&j, "error", r->error);
	json_int(&j, "exit", rc);
	json_end(&j);
}
