/* main.c: command line, -t, daemonize, then master_run(). */

#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "config.h"
#include "control.h"
#include "handoff.h"
#include "log.h"
#include "master.h"
#include "proc.h"

static int	 load_config(const struct cmdline *, struct config **);
static char	*absolute_path(const char *);
static void	 note_identity(const struct config *);

/* Print every diagnostic: a config is fixed in one pass, not one per run. */
static int
load_config(const struct cmdline *cl, struct config **cfp)
{
	struct config_diag d;
	int flags = 0, i;

	/* -t proves the accounts exist; a non-root daemon never uses them. */
	if (cl->action == CMDLINE_TEST || geteuid() == 0)
		flags |= CONFIG_RESOLVE_IDS;
	if ((*cfp = config_load(cl->config_path, flags, &d)) != NULL)
		return 0;
	for (i = 0; i < d.count; i++)
		log_errx("%s", d.msg[i]);
	if (d.count == CONFIG_DIAG_MAX)
		log_errx("%s: stopped after %d errors", cl->config_path,
		    d.count);
	return -1;
}

/*
 * The title overwrites argv, and a daemon runs in /: keep an absolute
 * path, or every reload would look for the file in /.  Symbolic links
 * stay unresolved, so a reload reads whatever the path names then: an
 * administrator who points /etc/echod/echod.conf at another file gets it.
 */
static char *
absolute_path(const char *path)
{
	char cwd[PATH_MAX], *abs;

	if (path[0] == '/')
		return strdup(path);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return NULL;
	if (asprintf(&abs, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd,
	    path) == -1)
		return NULL;
	return abs;
}

/*
 * Not root: workers run as whoever started echod (under systemd, User=echod
 * with CAP_NET_BIND_SERVICE), so user and group have nothing to do.  Say so
 * unless they already name the account echod runs as.
 */
static void
note_identity(const struct config *cf)
{
	struct passwd *pw;

	if (geteuid() == 0)
		return;
	if ((pw = getpwuid(geteuid())) != NULL &&
	    strcmp(pw->pw_name, cf->user) == 0)
		return;
	log_notice("running as uid %ld, not root: user \"%s\" and group "
	    "\"%s\" are ignored", (long)geteuid(), cf->user, cf->group);
}

int
main(int argc, char **argv)
{
	int keep[HANDOFF_MAX_FDS], status;
	struct master_opts opts;
	struct cmdline cl;
	struct config *cf;

	proc_close_inherited(keep, handoff_keep(keep, HANDOFF_MAX_FDS));
	cmdline_parse(argc, argv, &cl);
	switch (cl.action) {
	case CMDLINE_ERROR:
		(void)fprintf(stderr, "echod: %s\n%s", cl.error,
		    cmdline_usage());
		return 1;
	case CMDLINE_HELP:
		(void)fputs(cmdline_usage(), stdout);
		return 0;
	case CMDLINE_VERSION:
		(void)printf("echod %s\n", PACKAGE_VERSION);
		return 0;
	case CMDLINE_TEST:
	case CMDLINE_RUN:
	case CMDLINE_CONTROL:
		break;
	}
	/* -s talks to a terminal or a script: nothing of it for syslog. */
	log_init("echod", cl.action == CMDLINE_CONTROL ? LOG_TO_STDERR :
	    LOG_TO_STDERR | LOG_TO_SYSLOG);
	if (load_config(&cl, &cf) == -1) {
		if (cl.action == CMDLINE_TEST)
			(void)fprintf(stderr, "echod: configuration file %s "
			    "test failed\n", cl.config_path);
		return 1;
	}
	if (cl.action == CMDLINE_TEST) {
		(void)printf("echod: configuration file %s test is "
		    "successful\n", cl.config_path);
		config_free(cf);
		return 0;
	}
	if (cl.action == CMDLINE_CONTROL) {
		status = control_run(&cl, cf);
		config_free(cf);
		return status;
	}
	log_configure(cf->log_facility, cf->log_level);
	note_identity(cf);
	if ((opts.config_path = absolute_path(cl.config_path)) == NULL)
		fatal("config path %s", cl.config_path);
	proc_title_init(argc, argv);
	opts.foreground = cl.foreground;
	status = master_run(cf, &opts);
	free((char *)opts.config_path);
	return status;
}
