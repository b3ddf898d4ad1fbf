/* handoff.c: descriptors handed to echod at start: systemd's sockets, an upgrading master's. */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handoff.h"
#include "log.h"
#include "upgrade.h"

static int	 systemd_fds(void);
static int	 cmp_int(const void *, const void *);

/* sd_listen_fds(3): how many sockets from fd 3 on are ours, or 0. */
static int
systemd_fds(void)
{
	const char *pid_s, *n_s;
	char *end;
	long pid, n;

	if ((pid_s = getenv("LISTEN_PID")) == NULL ||
	    (n_s = getenv("LISTEN_FDS")) == NULL)
		return 0;
	pid = strtol(pid_s, &end, 10);
	if (*end != '\0' || pid != (long)getpid())
		return 0;	/* meant for a process we descend from */
	n = strtol(n_s, &end, 10);
	if (*end != '\0' || n < 0 || n > HANDOFF_MAX_FDS)
		return 0;
	return (int)n;
}

static int
cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

size_t
handoff_keep(int *keep, size_t max)
{
	size_t n = 0;
	int i, nfds = systemd_fds();

	for (i = 0; i < nfds && n < max; i++)
		keep[n++] = STDERR_FILENO + 1 + i;
	n += upgrade_keep(keep + n, max - n);
	qsort(keep, n, sizeof(*keep), cmp_int);
	return n;
}

int
handoff_systemd(struct listener_set *set)
{
	char *names = NULL, *name, *save = NULL;
	int i, nfds = systemd_fds();
	const char *s;

	set->n = 0;
	set->l = NULL;
	if (nfds == 0)
		goto done;
	if ((set->l = calloc(nfds, sizeof(*set->l))) == NULL) {
		log_warn("calloc %d passed sockets", nfds);
		return -1;
	}
	if ((s = getenv("LISTEN_FDNAMES")) != NULL &&
	    (names = strdup(s)) == NULL)
		log_warn("strdup LISTEN_FDNAMES");
	name = names != NULL ? strtok_r(names, ":", &save) : NULL;
	for (i = 0; i < nfds; i++) {
		if (listen_adopt(&set->l[i], STDERR_FILENO + 1 + i,
		    NULL) == -1) {
			log_warnx("socket %d of the %d systemd passed "
			    "(LISTEN_FDS): unusable", i + 1, nfds);
			free(names);
			listen_free(set);
			return -1;
		}
		set->n++;
		log_info("passed by systemd: %s (%s)", set->l[i].name,
		    name != NULL ? name : "unnamed");
		if (name != NULL)
			name = strtok_r(NULL, ":", &save);
	}
	free(names);
done:
	handoff_env_blank("LISTEN_PID");
	handoff_env_blank("LISTEN_FDS");
	handoff_env_blank("LISTEN_FDNAMES");
	return 0;
}

/*
 * Empty a variable in place: proc_title_init() moved the environment to
 * strings of its own, and unsetenv(3) would drop the last pointer to one.
 */
void
handoff_env_blank(const char *name)
{
	char *v;

	if ((v = getenv(name)) != NULL)
		v[0] = '\0';
}

/*
 * The first generation's listeners: those handed over are matched to
 * `listen` entries by protocol, address and port; echod opens the rest.
 */
int
handoff_listen(const struct config *cf, const char *config_path,
    struct listener_set *ls)
{
	struct listener_set passed;
	size_t i;

	if (handoff_systemd(&passed) == -1)
		return -1;
	if (listen_open_all(cf, &passed, ls) == -1 ||
	    handoff_all_used(&passed, ls, config_path) == -1) {
		listen_close_all(&passed);
		listen_free(&passed);
		return -1;
	}
	listen_free(&passed);
	listen_set_backlog(ls, cf->backlog);	/* not systemd's Backlog= */
	for (i = 0; i < ls->n; i++)
		log_notice("listening on %s%s", ls->l[i].name,
		    ls->l[i].kept ? " (passed by systemd)" : "");
	return 0;
}

/*
 * A socket systemd listens on that no `listen` entry serves would queue
 * connections nobody accepts: refuse to start rather than hang clients.
 */
int
handoff_all_used(const struct listener_set *passed,
    const struct listener_set *ls, const char *config_path)
{
	size_t i, j;
	int bad = 0;

	for (i = 0; i < passed->n; i++) {
		for (j = 0; j < ls->n; j++)
			if (ls->l[j].fd == passed->l[i].fd)
				break;
		if (j < ls->n)
			continue;
		log_errx("%s, passed by systemd, matches no listen entry of "
		    "%s (same protocol, address and port): make the socket "
		    "unit and the file agree", passed->l[i].name, config_path);
		bad++;
	}
	return bad > 0 ? -1 : 0;
}
