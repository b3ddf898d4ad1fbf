/* sig.h: the only code that runs in signal context. */
#ifndef ECHOD_SIG_H
#define ECHOD_SIG_H

#include <signal.h>
#include <stdbool.h>

/*
 * sig_init() catches the given signals (a 0-terminated list), blocks them,
 * ignores SIGPIPE and fills *waitmask with the mask to install during the
 * process's one blocking call (ppoll or epoll_pwait), so a signal is only
 * ever delivered there.
 */
void	 sig_init(const int *, sigset_t *);
bool	 sig_take(int);
bool	 sig_peek(int);
int	 sig_value(int);

/*
 * For a worker, whose loop may never block under load: block the given
 * signals (a 0-terminated list) and return a non-blocking signalfd that
 * reports them, to watch in the worker's epoll set, or -1 with errno.
 * sig_fd_read() returns the next pending signal, 0 when none is left, or
 * -1 on error.
 */
int	 sig_fd_open(const int *);
int	 sig_fd_read(int);

#endif
