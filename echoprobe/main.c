/* main.c: echoprobe's command line, name resolution, then the chosen mode. */

#include <stdio.h>

#include "interactive.h"
#include "jobs.h"
#include "log.h"
#include "opts.h"
#include "ping.h"
#include "resolve.h"

int
main(int argc, char **argv)
{
	struct target t;
	struct opts o;
	char err[512];

	/* Every message on stderr, ours and the base's, says who we are. */
	log_init("echoprobe", LOG_TO_STDERR);
	opts_parse(argc, argv, &o);
	switch (o.action) {
	case OPTS_ERROR:
		log_warnx("%s", o.error);
		(void)fputs(opts_usage(), stderr);
		return EXIT_ERROR;
	case OPTS_HELP:
		(void)fputs(opts_usage(), stdout);
		return 0;
	case OPTS_VERSION:
		(void)printf("echoprobe %s\n", PACKAGE_VERSION);
		return 0;
	case OPTS_RUN:
		break;
	}
	if (resolve_target(&o, &t, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return EXIT_ERROR;
	}
	switch (o.mode) {
	case MODE_INTERACTIVE:
		return interactive_run(&o, &t);
	case MODE_LOAD:
		return jobs_run(&o, &t);
	case MODE_PROBE:
		break;
	}
	return ping_run(&o, &t);
}
