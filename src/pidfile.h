/* pidfile.h: open, lock, write and remove the master's pid file. */
#ifndef ECHOD_PIDFILE_H
#define ECHOD_PIDFILE_H

#include <sys/types.h>

/*
 * The locked pid file.  dev and ino name the file that was locked, so
 * that a file put at `path` since is told apart and left alone.
 */
struct pidfile {
	int		 fd;		/* -1: none */
	char		*path;
	dev_t		 dev;
	ino_t		 ino;
};

/*
 * pidfile_open refuses (-1, reason logged) anything at `path` but a
 * regular file with one link, owned by root or the effective user, that
 * no other echod has locked; "" or NULL means no pid file (0, fd -1).
 */
int		 pidfile_open(struct pidfile *, const char *);
int		 pidfile_write(struct pidfile *, pid_t);
void		 pidfile_remove(struct pidfile *);
void		 pidfile_close_child(struct pidfile *);

#endif
