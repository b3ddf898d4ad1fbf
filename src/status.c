/* status.c: what `echod -s status` and `-s metrics` print, from a scoreboard snapshot. */

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "status.h"

/* One line of counters, each "<before><count> <what>". */
struct count_text {
	const char	*before;
	enum stat_id	 id;
	const char	*what;
};

static int	 open_conns(const struct sb_snapshot *);
static const char *worker_state(const struct sb_worker *);
static double	 beat_age_s(const struct sb_snapshot *, const struct sb_worker *);
static void	 print_counts(FILE *, const uint64_t *,
		    const struct count_text *, size_t);
static void	 json_counters(FILE *, const uint64_t *);
static void	 metric_rows(FILE *, const struct stat_info *,
		    const uint64_t *, int);

static int
open_conns(const struct sb_snapshot *ss)
{
	int i, n = 0;

	for (i = 0; i < ss->nw; i++)
		n += ss->w[i].conns;
	return n;
}

static const char *
worker_state(const struct sb_worker *sw)
{
	if (sw->draining)
		return "draining";
	return sw->serving ? "serving" : "starting";
}

static double
beat_age_s(const struct sb_snapshot *ss, const struct sb_worker *sw)
{
	return ss->now_ms > sw->heartbeat_ms ?
	    (ss->now_ms - sw->heartbeat_ms) / 1000.0 : 0.0;
}

static const struct count_text tcp_line[] = {
	{ ", ", STAT_TCP_ACCEPTED, "accepted" },
	{ ", ", STAT_TCP_BYTES, "bytes echoed" },
	{ "; closed ", STAT_TCP_CLOSED_CLIENT, "by the client" },
	{ ", ", STAT_TCP_CLOSED_ERROR, "on an error" },
	{ ", ", STAT_TCP_CLOSED_IDLE, "idle" },
	{ ", ", STAT_TCP_CLOSED_SHUTDOWN, "at shutdown" },
	{ "; refused ", STAT_TCP_REFUSED_LIMIT, "over the per-source limit" },
	{ ", ", STAT_TCP_REFUSED_RATE, "over the per-source rate" },
	{ ", ", STAT_TCP_REFUSED_ACCESS, "by the access lists" },
	{ ", ", STAT_TCP_REFUSED_PROXY, "for the PROXY header" },
}, udp_line[] = {
	{ " ", STAT_UDP_ECHOED, "datagrams echoed" },
	{ ", ", STAT_UDP_BYTES, "bytes" },
	{ "; dropped ", STAT_UDP_DROPPED_PORT, "for the source port" },
	{ ", ", STAT_UDP_DROPPED_SOURCE, "for the source address" },
	{ ", ", STAT_UDP_DROPPED_DEST, "for the destination" },
	{ ", ", STAT_UDP_DROPPED_RATE, "over the per-source rate" },
	{ ", ", STAT_UDP_DROPPED_ACCESS, "by the access lists" },
};

static void
print_counts(FILE *f, const uint64_t *t, const struct count_text *c,
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		(void)fprintf(f, "%s%llu %s", c[i].before,
		    (unsigned long long)t[c[i].id], c[i].what);
	(void)fputc('\n', f);
}

void
status_print_text(FILE *f, const struct sb_snapshot *ss)
{
	const uint64_t *t = ss->total;
	const struct sb_worker *sw;
	long up = (long)(time(NULL) - ss->started);
	int i;

	(void)fprintf(f, "echod %s, master pid %ld, up %ldd %02ld:%02ld:%02ld\n",
	    ss->version, (long)ss->master_pid, up / 86400, up / 3600 % 24,
	    up / 60 % 60, up % 60);
	(void)fprintf(f, "generation %d serving with %d tcp workers; %llu "
	    "reloads, %llu failed; %llu respawns; %llu hung workers killed\n",
	    ss->generation, ss->tcp_workers,
	    (unsigned long long)ss->mstat[MSTAT_RELOADS],
	    (unsigned long long)ss->mstat[MSTAT_RELOAD_FAILURES],
	    (unsigned long long)ss->mstat[MSTAT_RESPAWNS],
	    (unsigned long long)ss->mstat[MSTAT_HUNG]);
	(void)fprintf(f, "tcp: %d open", open_conns(ss));
	print_counts(f, t, tcp_line, sizeof(tcp_line) / sizeof(tcp_line[0]));
	(void)fprintf(f, "udp:");
	print_counts(f, t, udp_line, sizeof(udp_line) / sizeof(udp_line[0]));
	(void)fprintf(f, "\n%8s %-4s %3s %4s %-9s %7s %10s %6s\n", "PID",
	    "KIND", "#", "GEN", "STATE", "CONNS", "ACCEPTED", "BEAT");
	for (i = 0; i < ss->nw; i++) {
		sw = &ss->w[i];
		(void)fprintf(f, "%8ld %-4s %3d %4d %-9s %7d %10llu %5.1fs\n",
		    (long)sw->pid, sw->kind == SB_TCP ? "tcp" : "udp",
		    sw->number, sw->generation, worker_state(sw), sw->conns,
		    (unsigned long long)sw->stat[STAT_TCP_ACCEPTED],
		    beat_age_s(ss, sw));
	}
}

static void
json_counters(FILE *f, const uint64_t *stat)
{
	int k;

	(void)fputc('{', f);
	for (k = 0; k < STAT_N; k++)
		(void)fprintf(f, "%s\"%s\":%llu", k > 0 ? "," : "",
		    stat_info[k].name, (unsigned long long)stat[k]);
	(void)fputc('}', f);
}

void
status_print_json(FILE *f, const struct sb_snapshot *ss)
{
	const struct sb_worker *sw;
	int i, k;

	/* The version is ours (PACKAGE_VERSION): no escaping is needed. */
	(void)fprintf(f, "{\"version\":\"%s\",\"master_pid\":%ld,"
	    "\"started\":%lld,\"generation\":%d,\"tcp_workers\":%d,"
	    "\"connections\":%d,\"counters\":", ss->version,
	    (long)ss->master_pid, (long long)ss->started, ss->generation,
	    ss->tcp_workers, open_conns(ss));
	json_counters(f, ss->total);
	(void)fputs(",\"master\":{", f);
	for (k = 0; k < MSTAT_N; k++)
		(void)fprintf(f, "%s\"%s\":%llu", k > 0 ? "," : "",
		    mstat_info[k].name, (unsigned long long)ss->mstat[k]);
	(void)fputs("},\"workers\":[", f);
	for (i = 0; i < ss->nw; i++) {
		sw = &ss->w[i];
		(void)fprintf(f, "%s{\"pid\":%ld,\"kind\":\"%s\",\"number\":%d,"
		    "\"generation\":%d,\"state\":\"%s\",\"connections\":%d,"
		    "\"heartbeat_age_ms\":%llu,\"counters\":", i > 0 ? "," : "",
		    (long)sw->pid, sw->kind == SB_TCP ? "tcp" : "udp", sw->number,
		    sw->generation, worker_state(sw), sw->conns,
		    (unsigned long long)(ss->now_ms > sw->heartbeat_ms ?
		    ss->now_ms - sw->heartbeat_ms : 0));
		json_counters(f, sw->stat);
		(void)fputc('}', f);
	}
	(void)fputs("]}\n", f);
}

/* HELP and TYPE once per metric; rows that share one differ by label. */
static void
metric_rows(FILE *f, const struct stat_info *info, const uint64_t *v, int n)
{
	const char *last = "";
	int k;

	for (k = 0; k < n; k++) {
		if (strcmp(info[k].metric, last) != 0)
			(void)fprintf(f, "# HELP echod_%s %s.\n# TYPE echod_%s "
			    "counter\n", info[k].metric, info[k].help,
			    info[k].metric);
		last = info[k].metric;
		(void)fprintf(f, "echod_%s%s%s%s %llu\n", info[k].metric,
		    info[k].label != NULL ? "{" : "",
		    info[k].label != NULL ? info[k].label : "",
		    info[k].label != NULL ? "}" : "", (unsigned long long)v[k]);
	}
}

void
status_print_metrics(FILE *f, const struct sb_snapshot *ss)
{
	const struct sb_worker *sw;
	int i;

	metric_rows(f, stat_info, ss->total, STAT_N);
	metric_rows(f, mstat_info, ss->mstat, MSTAT_N);
	(void)fprintf(f, "# HELP echod_tcp_connections_open TCP connections "
	    "open now.\n# TYPE echod_tcp_connections_open gauge\n"
	    "echod_tcp_connections_open %d\n", open_conns(ss));
	(void)fprintf(f, "# HELP echod_tcp_workers TCP workers the serving "
	    "generation runs.\n# TYPE echod_tcp_workers gauge\n"
	    "echod_tcp_workers %d\n", ss->tcp_workers);
	(void)fprintf(f, "# HELP echod_generation The serving generation.\n"
	    "# TYPE echod_generation gauge\nechod_generation %d\n",
	    ss->generation);
	(void)fprintf(f, "# HELP echod_start_time_seconds When the master "
	    "started, in seconds since the epoch.\n# TYPE "
	    "echod_start_time_seconds gauge\nechod_start_time_seconds %lld\n",
	    (long long)ss->started);
	(void)fprintf(f, "# HELP echod_info The running version.\n# TYPE "
	    "echod_info gauge\nechod_info{version=\"%s\"} 1\n", ss->version);
	(void)fprintf(f, "# HELP echod_worker_connections Connections each "
	    "worker serves.\n# TYPE echod_worker_connections gauge\n");
	for (i = 0; i < ss->nw; i++) {
		sw = &ss->w[i];
		(void)fprintf(f, "echod_worker_connections{pid=\"%ld\",kind="
		    "\"%s\",worker=\"%d\",generation=\"%d\"} %d\n",
		    (long)sw->pid, sw->kind == SB_TCP ? "tcp" : "udp",
		    sw->number, sw->generation, sw->conns);
	}
	(void)fprintf(f, "# HELP echod_worker_heartbeat_age_seconds Time "
	    "since each worker's last loop turn.\n# TYPE "
	    "echod_worker_heartbeat_age_seconds gauge\n");
	for (i = 0; i < ss->nw; i++) {
		sw = &ss->w[i];
		(void)fprintf(f, "echod_worker_heartbeat_age_seconds{pid="
		    "\"%ld\",kind=\"%s\",worker=\"%d\",generation=\"%d\"} "
		    "%.3f\n", (long)sw->pid, sw->kind == SB_TCP ? "tcp" : "udp",
		    sw->number, sw->generation, beat_age_s(ss, sw));
	}
}
