/* cmdline.c: parse echod's command line. */

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmdline.h"

#ifndef ECHOD_CONFIG_FILE
#define ECHOD_CONFIG_FILE	"/etc/echod/echod.conf"
#endif

static const struct option longopts[] = {
	{ "config",	required_argument,	NULL, 'c' },
	{ "foreground",	no_argument,		NULL, 'f' },
	{ "test",	no_argument,		NULL, 't' },
	{ "version",	no_argument,		NULL, 'V' },
	{ "help",	no_argument,		NULL, 'h' },
	{ NULL,		0,			NULL, 0 }
};

const char *
cmdline_usage(void)
{
	return "usage: echod [-ftVh] [-c file]\n"
	    "  -c, --config FILE   configuration file (default "
	    ECHOD_CONFIG_FILE ")\n"
	    "  -f, --foreground    stay in the foreground, log to stderr too\n"
	    "  -t, --test          check the configuration and exit\n"
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
	while ((ch = getopt_long(argc, argv, "+c:ftVh", longopts, NULL)) !=
	    -1) {
		switch (ch) {
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
			else if (optopt != 0)
				(void)snprintf(cl->error, sizeof(cl->error),
				    "unknown option -%c", optopt);
			else
				(void)snprintf(cl->error, sizeof(cl->error),
				    "unknown option %s", argv[optind - 1]);
			return;
		}
	}
	if (optind < argc) {
		cl->action = CMDLINE_ERROR;
		(void)snprintf(cl->error, sizeof(cl->error),
		    "unexpected argument \"%s\"", argv[optind]);
	}
}
