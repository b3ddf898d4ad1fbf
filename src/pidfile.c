/* pidfile.c: open, lock, write and remove the master's pid file. */

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pidfile.h"

/*
 * Tries of open, lock and check before giving up on a pid file that keeps
 * being replaced.  One retry covers the honest race (an echod stopping as
 * another starts); more mean a process is recreating the file on purpose.
 */
#define PIDFILE_TRIES	5

/* An account's name in a message: "echod (uid 998)", or "uid 998". */
#define NAME_LEN	80

static bool	 trusted_uid(uid_t);
static const char *owner_name(uid_t, char *, size_t);
static const char *trusted_names(char *, size_t);
static const char *type_name(mode_t);
static int	 open_dir(const char *, const char *);
static void	 check_dir(int, const char *);
static int	 refuse_file(const char *, const struct stat *);
static int	 refuse_open(int, const char *, const char *);
static void	 report_locked(int, const char *);
static int	 open_once(struct pidfile *, int, const char *);

/*
 * Root writes a file other processes read as root (kill $(cat ...)), so
 * only root's own files and those of the account echod runs as qualify;
 * anyone else's was planted.
 */
static bool
trusted_uid(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

static const char *
owner_name(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw;

	if ((pw = getpwuid(uid)) != NULL)
		(void)snprintf(buf, len, "%s (uid %lu)", pw->pw_name,
		    (unsigned long)uid);
	else
		(void)snprintf(buf, len, "uid %lu", (unsigned long)uid);
	return buf;
}

/* "root", or "echod (uid 998) or root"; `len` is NAME_LEN + 16. */
static const char *
trusted_names(char *buf, size_t len)
{
	char self[NAME_LEN];

	if (geteuid() == 0)
		return "root";
	(void)snprintf(buf, len, "%s or root",
	    owner_name(geteuid(), self, sizeof(self)));
	return buf;
}

static const char *
type_name(mode_t mode)
{
	if (S_ISDIR(mode))
		return "directory";
	if (S_ISFIFO(mode))
		return "FIFO";
	if (S_ISSOCK(mode))
		return "socket";
	if (S_ISCHR(mode))
		return "character device";
	if (S_ISBLK(mode))
		return "block device";
	if (S_ISLNK(mode))
		return "symbolic link";
	return "special file";
}

/*
 * The pid file's directory, made if missing, as an O_PATH descriptor: the
 * file is then opened, checked and found again in this very directory,
 * whatever happens to the names above it meanwhile.
 */
static int
open_dir(const char *dir, const char *path)
{
	int dfd;

	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		log_warn("mkdir %s", dir);
	if ((dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		log_warn("open pid file %s: directory %s", path, dir);
	return dfd;
}

/*
 * Whoever may write to the directory may unlink or rename the pid file
 * under a running echod and put another pid there.  echod still starts
 * (the file itself passes its checks), but says so.
 */
static void
check_dir(int dfd, const char *dir)
{
	char on[NAME_LEN], tn[NAME_LEN + 16];
	struct stat sb;

	if (fstat(dfd, &sb) == -1) {
		log_warn("fstat pid file directory %s", dir);
		return;
	}
	if (!trusted_uid(sb.st_uid))
		log_warnx("pid file directory %s is owned by %s, not by %s: "
		    "that account could replace the pid file (chown root %s)",
		    dir, owner_name(sb.st_uid, on, sizeof(on)),
		    trusted_names(tn, sizeof(tn)), dir);
	if ((sb.st_mode & S_IWOTH) && !(sb.st_mode & S_ISVTX))
		log_warnx("pid file directory %s is writable by others and "
		    "not sticky: they could replace the pid file (chmod go-w "
		    "%s)", dir, dir);
}

/* -1 with the reason logged if `sb`, the opened file, is not echod's. */
static int
refuse_file(const char *path, const struct stat *sb)
{
	char on[NAME_LEN], tn[NAME_LEN + 16];

	if (!S_ISREG(sb->st_mode)) {
		log_warnx("pid file %s is a %s, not a regular file: refusing "
		    "it (remove it)", path, type_name(sb->st_mode));
		return -1;
	}
	/* /etc/shadow linked into the directory: a symlink by another name. */
	if (sb->st_nlink > 1) {
		log_warnx("pid file %s has %lu hard links: it may be another "
		    "file's second name, refusing it (remove it)", path,
		    (unsigned long)sb->st_nlink);
		return -1;
	}
	if (!trusted_uid(sb->st_uid)) {
		log_warnx("pid file %s is owned by %s, not by %s: another "
		    "account could have planted it, refusing it (remove it)",
		    path, owner_name(sb->st_uid, on, sizeof(on)),
		    trusted_names(tn, sizeof(tn)));
		return -1;
	}
	return 0;
}

/* Why openat failed, in the words of refuse_file where it applies. */
static int
refuse_open(int dfd, const char *base, const char *path)
{
	int saved_errno = errno;
	struct stat sb;

	if ((saved_errno == ELOOP || saved_errno == EISDIR ||
	    saved_errno == ENXIO) &&
	    fstatat(dfd, base, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK(sb.st_mode)) {
			log_warnx("pid file %s is a symbolic link: refusing to "
			    "follow it (remove it)", path);
			return -1;
		}
		if (!S_ISREG(sb.st_mode))
			return refuse_file(path, &sb);
	}
	errno = saved_errno;
	log_warn("open pid file %s", path);
	return -1;
}

/* The pid the holder wrote, shown only if it is one: the file is not ours. */
static void
report_locked(int fd, const char *path)
{
	char buf[32];
	ssize_t n;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (buf[0] == '\0' || buf[strspn(buf, "0123456789")] != '\0')
		(void)snprintf(buf, sizeof(buf), "?");
	log_warnx("pid file %s is locked by pid %s: is echod already running? "
	    "(stop it, or set another pidfile)", path, buf);
}

/*
 * One try: 0 locked (pf->fd, dev, ino set), -1 refused (logged), 1 the
 * file was replaced or removed before the lock was taken.  O_NOFOLLOW
 * refuses a symlink as the last component; O_NONBLOCK keeps a FIFO from
 * stalling the start; nothing is truncated here, only in pidfile_write
 * once the file has passed every check.
 */
static int
open_once(struct pidfile *pf, int dfd, const char *base)
{
	struct stat fsb, psb;
	bool gone = false;
	int fd;

	if ((fd = openat(dfd, base, O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0644)) == -1)
		return refuse_open(dfd, base, pf->path);
	if (fstat(fd, &fsb) == -1) {
		log_warn("fstat pid file %s", pf->path);
		goto fail;
	}
	if (refuse_file(pf->path, &fsb) == -1)
		goto fail;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			report_locked(fd, pf->path);
		else
			log_warn("flock %s", pf->path);
		goto fail;
	}
	/*
	 * A stopping echod unlinks its file before it lets go of the lock:
	 * locked now, the file may no longer be the one the path names.
	 */
	if (fstatat(dfd, base, &psb, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno != ENOENT) {
			log_warn("stat pid file %s", pf->path);
			goto fail;
		}
		gone = true;
	}
	if (gone || psb.st_dev != fsb.st_dev || psb.st_ino != fsb.st_ino) {
		(void)close(fd);
		return 1;
	}
	pf->fd = fd;
	pf->dev = fsb.st_dev;
	pf->ino = fsb.st_ino;
	return 0;
fail:
	(void)close(fd);
	return -1;
}

/*
 * Open and lock the pid file before binding anything, so a second instance
 * refuses to start with a clear reason instead of a bind error.  The lock
 * lives as long as the master holds the descriptor.
 */
int
pidfile_open(struct pidfile *pf, const char *path)
{
	char *dcopy = NULL, *bcopy = NULL, *dir, *base;
	int dfd = -1, i, r = -1;

	pf->fd = -1;
	pf->path = NULL;
	if (path == NULL || path[0] == '\0')
		return 0;
	if ((pf->path = strdup(path)) == NULL ||
	    (dcopy = strdup(path)) == NULL || (bcopy = strdup(path)) == NULL) {
		log_warn("open pid file %s", path);
		goto done;
	}
	dir = dirname(dcopy);
	base = basename(bcopy);
	if ((dfd = open_dir(dir, path)) == -1)
		goto done;
	check_dir(dfd, dir);
	for (i = 0; i < PIDFILE_TRIES; i++)
		if ((r = open_once(pf, dfd, base)) != 1)
			break;
	if (r == 1) {
		log_warnx("pid file %s was replaced while echod locked it, %d "
		    "times: another process keeps recreating it (stop that "
		    "process)", path, PIDFILE_TRIES);
		r = -1;
	}
done:
	if (dfd != -1)
		(void)close(dfd);
	free(dcopy);
	free(bcopy);
	if (r == -1) {
		free(pf->path);
		pf->path = NULL;
	}
	return r;
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

/*
 * Unlink while still holding the lock, so a starting echod that opened
 * this file sees it replaced; and unlink only the file that was locked:
 * a file put at the path since is someone else's.
 */
void
pidfile_remove(struct pidfile *pf)
{
	struct stat sb;

	if (pf->fd == -1) {
		free(pf->path);
		pf->path = NULL;
		return;
	}
	if (lstat(pf->path, &sb) == -1) {
		if (errno == ENOENT)
			log_warnx("pid file %s was already removed by another "
			    "process", pf->path);
		else
			log_warn("stat pid file %s", pf->path);
	} else if (sb.st_dev != pf->dev || sb.st_ino != pf->ino)
		log_warnx("pid file %s is no longer the file echod locked: "
		    "leaving it in place (another process replaced it)",
		    pf->path);
	else if (unlink(pf->path) == -1)
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
