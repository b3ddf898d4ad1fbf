/* worker.c: what every worker does at birth: mask, title, privileges, parent death. */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "master.h"
#include "proc.h"
#include "scoreboard.h"
#include "sig.h"
#include "worker.h"

int
worker_init(const struct worker_env *we, const char *role)
{
	static const int signals[] = { SIGTERM, SIGINT, SIGQUIT, 0 };
	struct sigaction sa;
	char title[64];
	int sigfd;

	/* The master's handlers and flags mean nothing here. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGHUP, &sa, NULL);
	(void)sigaction(SIGPIPE, &sa, NULL);
	(void)sigaction(SIGTTIN, &sa, NULL);
	(void)sigaction(SIGTTOU, &sa, NULL);
	(void)sigaction(SIG_WORKERS, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	(void)sigaction(SIGCHLD, &sa, NULL);
	/* Blocked since the master's fork, so nothing sent since is lost. */
	if ((sigfd = sig_fd_open(signals)) == -1) {
		log_err("signalfd");
		exit(PROC_EXIT_INIT);
	}
	/*
	 * A daemon's master keeps the terminal's stderr until the first
	 * generation serves, so start-up errors reach whoever started it; a
	 * worker would hold that terminal (or a script's pipe) open for its
	 * whole life.
	 */
	if (!we->foreground)
		proc_detach_stderr();
	log_configure(we->cf->log_facility, we->cf->log_level);

	(void)snprintf(title, sizeof(title), "echod: %s", role);
	proc_title_set(title);
	if (we->drop_privileges &&
	    proc_drop_privileges(we->cf->uid, we->cf->gid, we->cf->user) ==
	    -1) {
		log_errx("cannot switch to user %s and group %s; exiting",
		    we->cf->user, we->cf->group);
		exit(PROC_EXIT_INIT);
	}
	if (!we->drop_privileges && proc_drop_capabilities() == -1) {
		log_errx("cannot drop capabilities; exiting");
		exit(PROC_EXIT_INIT);
	}
	/* After the drop: changing credentials clears the death signal. */
	if (proc_watch_parent(we->master_pid) == -1)
		exit(PROC_EXIT_INIT);
	return sigfd;
}

void
worker_serving(const struct worker_env *we)
{
	char c = 'r';

	scoreboard_set_serving(we->sb, we->board);
	/*
	 * The master sleeps in ppoll: a byte on its pipe wakes it to look at
	 * the scoreboard.  A full pipe already holds a wake-up, so EAGAIN
	 * loses nothing.
	 */
	while (write(we->wake_fd, &c, 1) == -1 && errno == EINTR)
		;
	(void)close(we->wake_fd);
}
