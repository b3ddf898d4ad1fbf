/* proc.h: process plumbing: title, privilege drop, daemonize, parent death. */
#ifndef ECHOD_PROC_H
#define ECHOD_PROC_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A worker that cannot initialise exits with this, so the master backs off. */
#define PROC_EXIT_INIT	3

void		 proc_title_init(int, char **);
void		 proc_title_set(const char *);
int		 proc_drop_privileges(uid_t, gid_t, const char *);
int		 proc_drop_capabilities(void);
int		 proc_daemonize(int *);
void		 proc_daemon_ready(int *);
void		 proc_detach_stderr(void);
void		 proc_close_inherited(const int *, size_t);
void		 proc_describe_status(int, char *, size_t);
int		 proc_watch_parent(pid_t);

#endif
