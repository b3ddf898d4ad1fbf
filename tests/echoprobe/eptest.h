/* eptest.h: echoprobe integration tests: servers by the harness, the client. */
#ifndef ECHOPROBE_EPTEST_H
#define ECHOPROBE_EPTEST_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include "harness.h"

#define EPTEST_OUT_MAX	65536

/* echod, or badserver in its place, run by the integration harness. */
struct eptest_server {
	struct harness	 h;
	char		 tcp_port[8];
	char		 udp_port[8];
};

/* A child with stdin, stdout and stderr on pipes. */
struct eptest_proc {
	pid_t		 pid;
	int		 in_fd;
	int		 out_fd;
	int		 err_fd;
	int		 status;	/* exit code; 128+N killed by N; -1 */
	bool		 timed_out;
	long		 elapsed_ms;
	size_t		 out_len;
	size_t		 err_len;
	char		 out[EPTEST_OUT_MAX];
	char		 err[EPTEST_OUT_MAX];
};

/*
 * Servers and clients die with the test process (PR_SET_PDEATHSIG); the
 * harness's guardian removes what a failed test leaves of a server.
 */
void	 eptest_echod_start(struct eptest_server *);	/* 127.0.0.1 */
void	 eptest_echod_start_on(struct eptest_server *, int);	/* family */
/* Whether ::1 can be bound here: IPv6 tests pass vacuously without it. */
bool	 eptest_have_ipv6(void);
void	 eptest_badserver_start(struct eptest_server *, const char *,
	    const char *);
/* SIGTERM; the server must end with 0 and a log free of sanitizer errors. */
void	 eptest_server_stop(struct eptest_server *);
/*
 * A loopback port of that type (SOCK_STREAM, SOCK_DGRAM) nothing listens
 * on: connects there are refused, datagrams answered by port unreachable.
 */
void	 eptest_closed_port(int, char *, size_t);

/* argv[0] is a path, or a command found on PATH. */
void	 eptest_spawn(struct eptest_proc *, const char *const *);
/* Reads output until it contains want (or EOF, or the deadline). */
bool	 eptest_expect(struct eptest_proc *, const char *, int);
/* Closes stdin, reads everything, reaps; kills at the deadline. */
void	 eptest_finish(struct eptest_proc *, int);
/* echoprobe ARGS... (NULL-terminated), stdin from data, bounded. */
void	 eptest_run(struct eptest_proc *, const char *, int, ...);
const char *eptest_path(const char *);
/*
 * Reads a pty (bounded) into buf, which holds *len bytes and size in all,
 * until the text contains want.
 */
bool	 eptest_tty_expect(int, char *, size_t, size_t *, const char *, int);
/* Reaps a child started elsewhere (forkpty), bounded. */
int	 eptest_wait(pid_t, int);
long	 eptest_json_int(const char *, const char *);
double	 eptest_json_double(const char *, const char *);

#endif
