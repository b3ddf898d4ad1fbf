/* sig.c: the only code that runs in signal context. */

#include <sys/signalfd.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sig.h"

/* The only process-wide state besides the log destination: it must be. */
static volatile sig_atomic_t pending[NSIG];
static volatile sig_atomic_t value[NSIG];	/* sigqueue(3)'s, or 0 */

static void	 sig_catch(int, siginfo_t *, void *);

static void
sig_catch(int signo, siginfo_t *si, void *ctx)
{
	(void)ctx;
	value[signo] = si != NULL && si->si_code == SI_QUEUE ?
	    si->si_value.sival_int : 0;
	pending[signo] = 1;
}

/* The 0-terminated list `signals` as a set. */
static void
sig_set(const int *signals, sigset_t *set)
{
	int i;

	(void)sigemptyset(set);
	for (i = 0; signals[i] != 0; i++)
		(void)sigaddset(set, signals[i]);
}

void
sig_init(const int *signals, sigset_t *waitmask)
{
	struct sigaction sa;
	sigset_t block;
	int i;

	sig_set(signals, &block);
	/* Block first, so nothing arrives between installing and waiting. */
	if (sigprocmask(SIG_BLOCK, &block, waitmask) == -1)
		fatal("sigprocmask");
	for (i = 0; signals[i] != 0; i++)
		(void)sigdelset(waitmask, signals[i]);

	memset(&sa, 0, sizeof(sa));
	(void)sigemptyset(&sa.sa_mask);
	sa.sa_sigaction = sig_catch;
	sa.sa_flags = SA_SIGINFO;
	for (i = 0; signals[i] != 0; i++) {
		pending[signals[i]] = 0;
		if (sigaction(signals[i], &sa, NULL) == -1)
			fatal("sigaction %d", signals[i]);
	}
	/* A client that vanishes must cost an EPIPE, not the process. */
	sa.sa_flags = 0;
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1)
		fatal("sigaction SIGPIPE");
}

/*
 * Every handled signal is blocked outside the one wait call, so reading
 * and clearing the flag cannot race with the handler.
 */
bool
sig_take(int signo)
{
	if (pending[signo] == 0)
		return false;
	pending[signo] = 0;
	return true;
}

/* The value the last sigqueue(3) of `signo` carried; 0 for kill(2). */
int
sig_value(int signo)
{
	return value[signo];
}

bool
sig_peek(int signo)
{
	return pending[signo] != 0;
}

/*
 * epoll_pwait runs a pending handler only when the call would block: a
 * worker whose epoll always has events ready would never see TERM.  A
 * signalfd is an event like any other, reported on the next turn however
 * busy the loop is.
 */
int
sig_fd_open(const int *signals)
{
	sigset_t set;

	sig_set(signals, &set);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		return -1;
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int
sig_fd_read(int fd)
{
	struct signalfd_siginfo si;
	ssize_t n;

	do {
		n = read(fd, &si, sizeof(si));
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return errno == EAGAIN ? 0 : -1;
	if (n != sizeof(si)) {
		errno = EIO;
		return -1;
	}
	return (int)si.ssi_signo;
}
