/* pidfile.c: open, lock, write and remove the master's pid file. */

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pidfile.h"

/*
 * Open and lock the pid file before binding anything, so a second instance
 * refuses to start with a clear reason instead of a bind error.  The lock
 * lives as long as the master holds the descriptor.
 */
int
pidfile_open(struct pidfile *pf, const char *path)
{
	char buf[32], *dir, *copy;
	ssize_t n;

	pf->fd = -1;
	pf->path = NULL;
	if (path == NULL || path[0] == '\0')
		return 0;
	if ((copy = strdup(path)) == NULL)
		return -1;
	dir = dirname(copy);
	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		log_warn("mkdir %s", dir);
	free(copy);
	if ((pf->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) == -1) {
		log_warn("open pid file %s", path);
		return -1;
	}
	if (flock(pf->fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK) {
			n = pread(pf->fd, buf, sizeof(buf) - 1, 0);
			buf[n > 0 ? n : 0] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			log_warnx("pid file %s is locked by pid %s: is echod "
			    "already running? (stop it, or set another "
			    "pidfile)", path, buf[0] != '\0' ? buf : "?");
		} else
			log_warn("flock %s", path);
		(void)close(pf->fd);
		pf->fd = -1;
		return -1;
	}
	if ((pf->path = strdup(path)) == NULL) {
		(void)close(pf->fd);
		pf->fd = -1;
		return -1;
	}
	return 0;
}

int
pidfile_write(struct pidfile *pf, pid_t pid)
{
	char buf[32];
	int n;

	if (pf->fd == -1)
		return 0;
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)pid);
	if (ftruncate(pf->fd, 0) == -1 || pwrite(pf->fd, buf, n, 0) != n) {
		log_warn("write pid file %s", pf->path);
		return -1;
	}
	return 0;
}

void
pidfile_remove(struct pidfile *pf)
{
	if (pf->fd == -1)
		return;
	if (unlink(pf->path) == -1)
		log_warn("unlink %s", pf->path);
	(void)close(pf->fd);
	pf->fd = -1;
	free(pf->path);
	pf->path = NULL;
}

/* A worker drops its copy; the master's descriptor keeps the lock. */
void
pidfile_close_child(struct pidfile *pf)
{
	if (pf->fd != -1)
		(void)close(pf->fd);
	pf->fd = -1;
}
