/* pidfile.h: open, lock, write and remove the master's pid file. */
#ifndef ECHOD_PIDFILE_H
#define ECHOD_PIDFILE_H

#include <sys/types.h>

struct pidfile {
	int		 fd;
	char		*path;
};

int		 pidfile_open(struct pidfile *, const char *);
int		 pidfile_write(struct pidfile *, pid_t);
void		 pidfile_remove(struct pidfile *);
void		 pidfile_close_child(struct pidfile *);

#endif
