/* fuzz_echoprobe_opts.c: fuzz target: echoprobe's command line. */

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "opts.h"

#define ARGS_MAX	64

/*
 * The input is the arguments after "echoprobe", separated by NUL bytes.
 * Whatever it holds, the parser either refuses with a message or hands
 * the modes values within the limits the manual states.
 */
static void	 check_run(const struct opts *);

static void
check_run(const struct opts *o)
{
	size_t max = o->udp ? OPTS_UDP_SIZE_MAX : OPTS_SIZE_MAX;

	FUZZ_CHECK(o->host != NULL && o->port != NULL, "no host or port");
	FUZZ_CHECK(o->size >= 1 && o->size <= max, "size %zu", o->size);
	FUZZ_CHECK(!o->udp || o->size >= OPTS_UDP_SIZE_MIN, "udp size %zu",
	    o->size);
	FUZZ_CHECK(o->count >= 0, "count %ld", o->count);
	FUZZ_CHECK(o->interval_ns <= UINT64_C(86400000000000),
	    "interval %llu ns", (unsigned long long)o->interval_ns);
	FUZZ_CHECK(o->timeout_ns >= UINT64_C(1000000) &&
	    o->timeout_ns <= UINT64_C(3600000000000), "timeout %llu ns",
	    (unsigned long long)o->timeout_ns);
	FUZZ_CHECK(o->connections >= 1 &&
	    o->connections <= OPTS_CONNECTIONS_MAX, "connections %ld",
	    o->connections);
	FUZZ_CHECK(o->jobs >= 1 && o->jobs <= OPTS_JOBS_MAX &&
	    o->jobs <= o->connections, "jobs %ld", o->jobs);
	FUZZ_CHECK(o->pipeline >= 1 && o->pipeline <= OPTS_PIPELINE_MAX,
	    "pipeline %ld", o->pipeline);
	FUZZ_CHECK(o->window >= 1 && o->window <= OPTS_PIPELINE_MAX,
	    "window %ld", o->window);
	FUZZ_CHECK(o->nsources >= 0 && o->nsources <= OPTS_SOURCES_MAX,
	    "%d sources", o->nsources);
	FUZZ_CHECK(!(o->udp && o->connect_each), "-u with --connect-each");
	FUZZ_CHECK(o->mode != MODE_LOAD || o->hold_ns != 0 ||
	    o->duration_ns != 0 || o->requests != 0, "a load without end");
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *argv[ARGS_MAX + 2], *copy, *p, *end;
	struct opts o;
	int argc = 0;

	if ((copy = malloc(len + 1)) == NULL)
		return 0;
	memcpy(copy, data, len);
	copy[len] = '\0';
	argv[argc++] = (char *)"echoprobe";
	for (p = copy, end = copy + len; p <= end && argc <= ARGS_MAX;
	    p += strlen(p) + 1)
		argv[argc++] = p;
	/* A trailing NUL ends the last argument; it starts no empty one. */
	if (len > 0 && data[len - 1] == '\0' && argc > 1)
		argc--;
	argv[argc] = NULL;
	opts_parse(argc, argv, &o);
	switch (o.action) {
	case OPTS_ERROR:
		FUZZ_CHECK(memchr(o.error, '\0', sizeof(o.error)) != NULL &&
		    o.error[0] != '\0', "a refusal without a message");
		break;
	case OPTS_RUN:
		check_run(&o);
		break;
	case OPTS_HELP:
	case OPTS_VERSION:
		break;
	default:
		FUZZ_CHECK(false, "action %d", o.action);
	}
	FUZZ_CHECK(strlen(opts_usage()) > 0, "no usage");
	free(copy);
	return 0;
}
