/* worker.c: what every worker is given and does at birth. */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proc.h"
#include "sig.h"
#include "worker.h"

void
worker_init(const struct worker_env *we, const char *role, sigset_t *waitmask)
{
	static const int signals[] = { SIGTERM, SIGINT, SIGQUIT, 0 };
	struct sigaction sa;
	char title[64];

	/* The master's handlers and flags mean nothing here. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	(void)sigaction(SIGCHLD, &sa, NULL);
	sig_init(signals, waitmask);
	(void)sigdelset(waitmask, SIGHUP);
	(void)sigdelset(waitmask, SIGCHLD);

	(void)snprintf(title, sizeof(title), "echod: %s", role);
	proc_title_set(title);
	if (we->drop_privileges &&
	    proc_drop_privileges(we->cf->uid, we->cf->gid, we->cf->user) == -1) {
		log_errx("%s: cannot switch to user %s and group %s; exiting",
		    role, we->cf->user, we->cf->group);
		exit(PROC_EXIT_INIT);
	}
	if (!we->drop_privileges && proc_drop_capabilities() == -1) {
		log_errx("%s: cannot drop capabilities; exiting", role);
		exit(PROC_EXIT_INIT);
	}
	/* After the drop: changing credentials clears the parent-death signal. */
	if (proc_watch_parent(we->master_pid) == -1)
		exit(PROC_EXIT_INIT);
}
