/* opts.c: echoprobe's command line: modes, options, their limits. */

#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"

/* Long options without a short form: values above any character. */
enum {
	OPT_LOAD = 256, OPT_CONNECT_EACH, OPT_JSON, OPT_CONNECTIONS,
	OPT_DURATION, OPT_REQUESTS, OPT_PIPELINE, OPT_WINDOW, OPT_JOBS,
	OPT_SOURCE, OPT_HOLD
};

static const struct option longopts[] = {
	{ "interactive",	no_argument,		NULL, 'I' },
	{ "udp",		no_argument,		NULL, 'u' },
	{ "count",		required_argument,	NULL, 'c' },
	{ "interval",		required_argument,	NULL, 'i' },
	{ "size",		required_argument,	NULL, 's' },
	{ "timeout",		required_argument,	NULL, 'W' },
	{ "quiet",		no_argument,		NULL, 'q' },
	{ "connect-each",	no_argument,	NULL, OPT_CONNECT_EACH },
	{ "json",		no_argument,		NULL, OPT_JSON },
	{ "load",		no_argument,		NULL, OPT_LOAD },
	{ "connections",	required_argument,	NULL, OPT_CONNECTIONS },
	{ "duration",		required_argument,	NULL, OPT_DURATION },
	{ "requests",		required_argument,	NULL, OPT_REQUESTS },
	{ "pipeline",		required_argument,	NULL, OPT_PIPELINE },
	{ "window",		required_argument,	NULL, OPT_WINDOW },
	{ "jobs",		required_argument,	NULL, OPT_JOBS },
	{ "source",		required_argument,	NULL, OPT_SOURCE },
	{ "hold",		required_argument,	NULL, OPT_HOLD },
	{ "version",		no_argument,		NULL, 'V' },
	{ "help",		no_argument,		NULL, 'h' },
	{ NULL,			0,			NULL, 0 }
};

/* Which load-only options were given, to reject them outside --load. */
struct seen {
	const char	*load_only;
	const char	*probe_only;	/* -i or -q: probes alone use them */
	bool		 count;
	bool		 size;
	bool		 duration;
	bool		 requests;
	bool		 pipeline;
	bool		 window;
};

static int	 fail(struct opts *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	 parse_long(struct opts *, const char *, const char *, long,
		    long, long *);
static int	 parse_seconds(struct opts *, const char *, const char *,
		    double, double, uint64_t *);
static int	 parse_sources(struct opts *, const char *);
static int	 parse_source_range(struct opts *, char *);
static unsigned char *addr_bytes(struct addr *, size_t *);
static void	 bytes_next(unsigned char *, size_t);
static int	 parse_option(struct opts *, struct seen *, int, const char *);
static void	 check_combination(struct opts *, const struct seen *);

const char *
opts_usage(void)
{
	return "usage: echoprobe [-46quV] [-c count] [-i interval] [-s size] "
	    "[-W timeout]\n"
	    "                 [--connect-each] [--json] host [port]\n"
	    "       echoprobe -I [-46u] [-W timeout] host [port]\n"
	    "       echoprobe --load [-46u] [--connections C] [--duration T]"
	    " [--requests N]\n"
	    "                 [--size S] [--pipeline D] [--window W] "
	    "[--jobs J]\n"
	    "                 [--connect-each] [--source ADDR[-ADDR][,...]] "
	    "[--hold T]\n"
	    "                 [--json] host [port]\n"
	    "modes:\n"
	    "  (default)            probe like ping: one echo per interval, "
	    "RTT per reply\n"
	    "  -I, --interactive    send lines from stdin, print what comes "
	    "back\n"
	    "      --load           generate load, report rate and latency "
	    "percentiles\n"
	    "options:\n"
	    "  -4, -6               use IPv4 or IPv6 only\n"
	    "  -u, --udp            use UDP instead of TCP\n"
	    "  -c, --count N        stop after N probes (default: until "
	    "SIGINT)\n"
	    "  -i, --interval SEC   seconds between probes (default 1)\n"
	    "  -s, --size BYTES     bytes per probe or request (default 64)\n"
	    "  -W, --timeout SEC    longest wait for a connect, a reply, "
	    "a drain (default 2)\n"
	    "  -q, --quiet          print only the summary\n"
	    "      --connect-each   a new TCP connection for every probe or "
	    "request\n"
	    "      --json           print the result as one JSON object\n"
	    "      --connections C  load: connections or UDP sockets "
	    "(default 1)\n"
	    "      --duration SEC   load: run this long (default 10 without "
	    "--requests)\n"
	    "      --requests N     load: stop after N requests\n"
	    "      --pipeline D     load: TCP requests in flight per "
	    "connection (default 1)\n"
	    "      --window W       load: UDP datagrams in flight per socket "
	    "(default 1)\n"
	    "      --jobs J         load: spread connections over J "
	    "processes (default 1)\n"
	    "      --source LIST    load: bind to these addresses, round-"
	    "robin; LIST is\n"
	    "                       comma-separated addresses or ranges "
	    "FIRST-LAST\n"
	    "      --hold SEC       load: open C connections, echo, idle SEC,"
	    " echo again\n"
	    "  -V, --version        print the version and exit\n"
	    "  -h, --help           print this help and exit\n"
	    "port: number or service name (default 7)\n"
	    "exit: 0 all answered, 1 some lost or corrupted, 2 error\n";
}

static int
fail(struct opts *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(o->error, sizeof(o->error), fmt, ap);
	va_end(ap);
	o->action = OPTS_ERROR;
	return -1;
}

static int
parse_long(struct opts *o, const char *name, const char *s, long min,
    long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0')
		return fail(o, "option %s: \"%s\" is not a number", name, s);
	if (errno == ERANGE || v < min || v > max)
		return fail(o, "option %s: %s is out of range (%ld..%ld)", name,
		    s, min, max);
	*out = v;
	return 0;
}

/* Seconds, fractional: "0.2", "1.5", "10". */
static int
parse_seconds(struct opts *o, const char *name, const char *s, double min,
    double max, uint64_t *out_ns)
{
	char *end;
	double v = strtod(s, &end);

	/* strtod() takes "inf" and "nan" too; an overflow is inf. */
	if (*s == '\0' || *end != '\0' || !isfinite(v))
		return fail(o, "option %s: \"%s\" is not a number of seconds",
		    name, s);
	if (v < min || v > max)
		return fail(o, "option %s: %s is out of range (%g..%g "
		    "seconds)", name, s, min, max);
	*out_ns = (uint64_t)llround(v * 1e9);
	return 0;
}

/* Numeric addresses only: a source is a local address, never a name. */
static int
parse_sources(struct opts *o, const char *list)
{
	char tok[2 * ADDR_STRLEN];
	const char *p, *end;
	size_t len;

	o->nsources = 0;
	for (p = list; p != NULL; p = end != NULL ? end + 1 : NULL) {
		end = strchr(p, ',');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len >= sizeof(tok))
			return fail(o, "option --source: \"%.*s\" is too long "
			    "for an address or a range", (int)len, p);
		if (len == 0)
			continue;
		memcpy(tok, p, len);
		tok[len] = '\0';
		if (parse_source_range(o, tok) == -1)
			return -1;
	}
	if (o->nsources == 0)
		return fail(o, "option --source: no address given");
	return 0;
}

/*
 * One address, or FIRST-LAST: every address from FIRST to LAST, both
 * included, of one family.  Neither family's numeric form has a '-'.
 */
static int
parse_source_range(struct opts *o, char *tok)
{
	unsigned char *lo_b, *hi_b;
	struct addr lo, hi;
	char *last;
	size_t len;

	if ((last = strchr(tok, '-')) != NULL)
		*last++ = '\0';
	if (addr_parse(tok, 0, &lo) == -1)
		return fail(o, "option --source: \"%s\" is not a numeric "
		    "IPv4 or IPv6 address", tok);
	if (last == NULL)
		last = tok;
	if (addr_parse(last, 0, &hi) == -1)
		return fail(o, "option --source: \"%s\" is not a numeric "
		    "IPv4 or IPv6 address", last);
	if (lo.ss.ss_family != hi.ss.ss_family)
		return fail(o, "option --source: range %s-%s mixes IPv4 and "
		    "IPv6", tok, last);
	lo_b = addr_bytes(&lo, &len);
	hi_b = addr_bytes(&hi, &len);
	if (memcmp(lo_b, hi_b, len) > 0)
		return fail(o, "option --source: range %s-%s is reversed: "
		    "its first address is above its last", tok, last);
	/* Bounded by the table: a too long range stops at its end. */
	for (;;) {
		if (o->nsources == OPTS_SOURCES_MAX)
			return fail(o, "option --source: more than %d "
			    "addresses", OPTS_SOURCES_MAX);
		o->sources[o->nsources++] = lo;
		if (memcmp(lo_b, hi_b, len) == 0)
			return 0;
		bytes_next(lo_b, len);
	}
}

/* The address's bytes in network order, 4 or 16 of them, in place. */
static unsigned char *
addr_bytes(struct addr *a, size_t *len)
{
	if (a->ss.ss_family == AF_INET) {
		*len = 4;
		return (unsigned char *)
		    &((struct sockaddr_in *)&a->ss)->sin_addr;
	}
	*len = 16;
	return ((struct sockaddr_in6 *)&a->ss)->sin6_addr.s6_addr;
}

/* The next address: a big-endian increment with carry. */
static void
bytes_next(unsigned char *b, size_t len)
{
	while (len > 0 && ++b[--len] == 0)
		;
}

static int
parse_option(struct opts *o, struct seen *sn, int ch, const char *arg)
{
	long v;

	switch (ch) {
	case '4':
	case '6':
		o->family = ch == '4' ? AF_INET : AF_INET6;
		return 0;
	case 'I':
		o->mode = MODE_INTERACTIVE;
		return 0;
	case 'u':
		o->udp = true;
		return 0;
	case 'q':
		o->quiet = true;
		sn->probe_only = "-q";
		return 0;
	case 'c':
		sn->count = true;
		return parse_long(o, "-c", arg, 1, LONG_MAX, &o->count);
	case 'i':
		sn->probe_only = "-i";
		return parse_seconds(o, "-i", arg, 0, 86400, &o->interval_ns);
	case 's':
		sn->size = true;
		if (parse_long(o, "-s", arg, 1, OPTS_SIZE_MAX, &v) == -1)
			return -1;
		o->size = (size_t)v;
		return 0;
	case 'W':
		return parse_seconds(o, "-W", arg, 0.001, 3600, &o->timeout_ns);
	case OPT_CONNECT_EACH:
		o->connect_each = true;
		return 0;
	case OPT_JSON:
		o->json = true;
		return 0;
	case OPT_LOAD:
		o->mode = MODE_LOAD;
		return 0;
	case OPT_CONNECTIONS:
		sn->load_only = "--connections";
		return parse_long(o, "--connections", arg, 1,
		    OPTS_CONNECTIONS_MAX, &o->connections);
	case OPT_DURATION:
		sn->load_only = "--duration";
		sn->duration = true;
		return parse_seconds(o, "--duration", arg, 0.001, 31536000,
		    &o->duration_ns);
	case OPT_REQUESTS:
		sn->load_only = "--requests";
		sn->requests = true;
		if (parse_long(o, "--requests", arg, 1, LONG_MAX, &v) == -1)
			return -1;
		o->requests = (uint64_t)v;
		return 0;
	case OPT_PIPELINE:
		sn->load_only = "--pipeline";
		sn->pipeline = true;
		return parse_long(o, "--pipeline", arg, 1, OPTS_PIPELINE_MAX,
		    &o->pipeline);
	case OPT_WINDOW:
		sn->load_only = "--window";
		sn->window = true;
		return parse_long(o, "--window", arg, 1, OPTS_PIPELINE_MAX,
		    &o->window);
	case OPT_JOBS:
		sn->load_only = "--jobs";
		return parse_long(o, "--jobs", arg, 1, OPTS_JOBS_MAX, &o->jobs);
	case OPT_SOURCE:
		sn->load_only = "--source";
		return parse_sources(o, arg);
	case OPT_HOLD:
		sn->load_only = "--hold";
		return parse_seconds(o, "--hold", arg, 0.001, 31536000,
		    &o->hold_ns);
	default:
		return fail(o, "unexpected option");
	}
}

/* Options that cannot work together are refused, never silently ignored. */
static void
check_combination(struct opts *o, const struct seen *sn)
{
	size_t max = o->udp ? OPTS_UDP_SIZE_MAX : OPTS_SIZE_MAX;

	if (o->mode != MODE_LOAD && sn->load_only != NULL) {
		(void)fail(o, "option %s needs --load", sn->load_only);
		return;
	}
	if (o->mode == MODE_LOAD && sn->count) {
		(void)fail(o, "option -c is for probes; use --requests with "
		    "--load");
		return;
	}
	/* Refused, never silently ignored: an option must do something. */
	if (o->mode == MODE_INTERACTIVE && (sn->probe_only != NULL ||
	    sn->count || sn->size)) {
		(void)fail(o, "option %s cannot be used with -I, which sends "
		    "what you type", sn->probe_only != NULL ? sn->probe_only :
		    sn->count ? "-c" : "-s");
		return;
	}
	if (o->mode == MODE_LOAD && sn->probe_only != NULL) {
		(void)fail(o, "option %s is for probes; --load sends as fast "
		    "as the server answers", sn->probe_only);
		return;
	}
	if (o->mode == MODE_INTERACTIVE && o->connect_each) {
		(void)fail(o, "option --connect-each cannot be used with -I");
		return;
	}
	if (o->size > max) {
		(void)fail(o, "option -s: %zu is out of range for UDP "
		    "(1..%zu)", o->size, max);
		return;
	}
	if (o->udp && o->size < OPTS_UDP_SIZE_MIN) {
		(void)fail(o, "option -s: %zu is too small for UDP, whose "
		    "header needs %d bytes", o->size, OPTS_UDP_SIZE_MIN);
		return;
	}
	if (o->udp && o->connect_each) {
		(void)fail(o, "option --connect-each is for TCP; it cannot be "
		    "used with -u");
		return;
	}
	if (o->udp && sn->pipeline) {
		(void)fail(o, "option --pipeline is for TCP; use --window "
		    "with -u");
		return;
	}
	if (!o->udp && sn->window) {
		(void)fail(o, "option --window is for UDP; use --pipeline "
		    "with TCP");
		return;
	}
	if (o->connect_each && o->pipeline > 1) {
		(void)fail(o, "option --pipeline cannot exceed 1 with "
		    "--connect-each");
		return;
	}
	if (o->hold_ns != 0 && (o->udp || o->connect_each || sn->duration ||
	    sn->requests)) {
		(void)fail(o, "option --hold cannot be used with -u, "
		    "--connect-each, --duration or --requests");
		return;
	}
	if (o->jobs > o->connections) {
		(void)fail(o, "option --jobs: %ld jobs for %ld connections; "
		    "every job needs one", o->jobs, o->connections);
		return;
	}
	if (o->mode == MODE_LOAD && o->hold_ns == 0 && o->duration_ns == 0 &&
	    o->requests == 0)
		o->duration_ns = UINT64_C(10000000000);
}

/* Reentrant across calls (tests parse many command lines in one process). */
void
opts_parse(int argc, char **argv, struct opts *o)
{
	struct seen sn;
	int ch;

	memset(o, 0, sizeof(*o));
	memset(&sn, 0, sizeof(sn));
	o->action = OPTS_RUN;
	o->mode = MODE_PROBE;
	o->family = AF_UNSPEC;
	o->port = OPTS_DEFAULT_PORT;
	o->interval_ns = UINT64_C(1000000000);
	o->timeout_ns = UINT64_C(2000000000);
	o->size = 64;
	o->connections = 1;
	o->pipeline = 1;
	o->window = 1;
	o->jobs = 1;
	optind = 0;	/* glibc: 0 also resets getopt's internal state */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "46Iuqc:i:s:W:Vh", longopts,
	    NULL)) != -1) {
		if (ch == 'h' || ch == 'V') {
			o->action = ch == 'h' ? OPTS_HELP : OPTS_VERSION;
			return;
		}
		if (ch == '?' || ch == ':') {
			if (optopt != 0 && strchr("cisW", optopt) != NULL)
				(void)fail(o, "option -%c needs a value",
				    optopt);
			else if (optopt != 0 && optopt < 256)
				(void)fail(o, "unknown option -%c", optopt);
			else
				(void)fail(o, "unknown option or missing "
				    "value: %s", argv[optind - 1]);
			return;
		}
		if (parse_option(o, &sn, ch, optarg) == -1)
			return;
	}
	if (optind >= argc) {
		(void)fail(o, "no host given");
		return;
	}
	o->host = argv[optind++];
	if (optind < argc)
		o->port = argv[optind++];
	if (optind < argc) {
		(void)fail(o, "unexpected argument \"%s\"", argv[optind]);
		return;
	}
	check_combination(o, &sn);
}
