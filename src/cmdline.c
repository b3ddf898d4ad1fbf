/* cmdline.c: parse echod's command line. */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "config.h"

static int	 parse_control(struct cmdline *, const char *);
static int	 parse_workers(struct cmdline *, int, char **, int);

#ifndef ECHOD_CONFIG_FILE
#define ECHOD_CONFIG_FILE	"/etc/echod/echod.conf"
#endif

static const struct option longopts[] = {
	{ "config",	required_argument,	NULL, 'c' },
	{ "foreground",	no_argument,		NULL, 'f' },
	{ "test",	no_argument,		NULL, 't' },
	{ "version",	no_argument,		NULL, 'V' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "signal",	required_argument,	NULL, 's' },
	{ "json",	no_argument,		NULL, 'j' },
	{ NULL,		0,			NULL, 0 }
};

const char *
cmdline_usage(void)
{
	return "usage: echod [-ftVh] [-c file]\n"
	    "       echod [-c file] -s status [--json] | metrics | reload | "
	    "stop | quit |\n"
	    "                        upgrade | workers N\n"
	    "  -c, --config FILE   configuration file (default "
	    ECHOD_CONFIG_FILE ")\n"
	    "  -f, --foreground    stay in the foreground, log to stderr too\n"
	    "  -t, --test          check the configuration and exit\n"
	    "  -s, --signal WHAT   ask the running echod: status, metrics\n"
	    "                      (Prometheus), reload, stop, quit, upgrade\n"
	    "                      (re-execute the binary in place), workers N\n"
	    "      --json          with -s status: one JSON object\n"
	    "  -V, --version       print the version and exit\n"
	    "  -h, --help          print this help and exit\n";
}

/* Reentrant across calls (tests parse many command lines in one process). */
void
cmdline_parse(int argc, char **argv, struct cmdline *cl)
{
	int ch;

	memset(cl, 0, sizeof(*cl));
	cl->action = CMDLINE_RUN;
	cl->config_path = ECHOD_CONFIG_FILE;
	optind = 0;	/* glibc: 0 also resets getopt's internal state */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+c:fts:Vh", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 's':
			if (parse_control(cl, optarg) == -1)
				return;
			break;
		case 'j':
			cl->json = true;
			break;
		case 'c':
			cl->config_path = optarg;
			break;
		case 'f':
			cl->foreground = true;
			break;
		case 't':
			if (cl->action == CMDLINE_RUN)
				cl->action = CMDLINE_TEST;
			break;
		case 'V':
			cl->action = CMDLINE_VERSION;
			break;
		case 'h':
			cl->action = CMDLINE_HELP;
			return;
		default:
			cl->action = CMDLINE_ERROR;
			if (optopt == 'c')
				(void)snprintf(cl->error, sizeof(cl->error),
				    "option -c needs a file name");
			else if (optopt == 's')
				(void)snprintf(cl->error, sizeof(cl->error),
				    "option -s needs status, metrics, reload, "
				    "stop, quit or workers");
			else if (optopt != 0)
				(void)snprintf(cl->error, sizeof(cl->error),
				    "unknown option -%c", optopt);
			else
				(void)snprintf(cl->error, sizeof(cl->error),
				    "unknown option %s", argv[optind - 1]);
			return;
		}
	}
	if (cl->action == CMDLINE_CONTROL && cl->control == CONTROL_WORKERS)
		optind = parse_workers(cl, argc, argv, optind);
	if (cl->action != CMDLINE_ERROR && optind < argc) {
		cl->action = CMDLINE_ERROR;
		(void)snprintf(cl->error, sizeof(cl->error),
		    "unexpected argument \"%s\"", argv[optind]);
	}
	if (cl->json && (cl->action != CMDLINE_CONTROL ||
	    cl->control != CONTROL_STATUS)) {
		cl->action = CMDLINE_ERROR;
		(void)snprintf(cl->error, sizeof(cl->error),
		    "--json goes with -s status");
	}
}

static int
parse_control(struct cmdline *cl, const char *what)
{
	static const struct {
		const char		*name;
		enum cmdline_control	 control;
	} controls[] = {
		{ "status", CONTROL_STATUS }, { "metrics", CONTROL_METRICS },
		{ "reload", CONTROL_RELOAD }, { "stop", CONTROL_STOP },
		{ "quit", CONTROL_QUIT }, { "workers", CONTROL_WORKERS },
		{ "upgrade", CONTROL_UPGRADE },
	};
	size_t i;

	for (i = 0; i < sizeof(controls) / sizeof(controls[0]); i++)
		if (strcmp(what, controls[i].name) == 0) {
			cl->action = CMDLINE_CONTROL;
			cl->control = controls[i].control;
			return 0;
		}
	cl->action = CMDLINE_ERROR;
	(void)snprintf(cl->error, sizeof(cl->error), "-s %s: not one of "
	    "status, metrics, reload, stop, quit, upgrade, workers", what);
	return -1;
}

/* "-s workers N": N from 1 to CONFIG_WORKERS_MAX, the next argument. */
static int
parse_workers(struct cmdline *cl, int argc, char **argv, int i)
{
	char *end;
	long n;

	if (i >= argc) {
		cl->action = CMDLINE_ERROR;
		(void)snprintf(cl->error, sizeof(cl->error),
		    "-s workers needs a count");
		return i;
	}
	n = strtol(argv[i], &end, 10);
	if (argv[i][0] == '\0' || *end != '\0' || n < 1 ||
	    n > CONFIG_WORKERS_MAX) {
		cl->action = CMDLINE_ERROR;
		(void)snprintf(cl->error, sizeof(cl->error), "-s workers "
		    "%s: not a count from 1 to %d", argv[i],
		    CONFIG_WORKERS_MAX);
		return i;
	}
	cl->workers = (int)n;
	return i + 1;
}
