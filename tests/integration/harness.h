/* harness.h: run the real echod on loopback, talk to it, clean up. */
#ifndef ECHOD_HARNESS_H
#define ECHOD_HARNESS_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Listeners the generated configuration holds, all on port 0. */
#define H_TCP4		0x1
#define H_TCP6		0x2
#define H_UDP4		0x4
#define H_UDP6		0x8
#define H_TCP		(H_TCP4 | H_TCP6)
#define H_UDP		(H_UDP4 | H_UDP6)
#define H_ALL		(H_TCP | H_UDP)

#define H_READY_MS	10000	/* start-up, under ASan on a loaded CI box */
/*
 * How long to wait for something that must happen (a log line, an echo, an
 * exit): generous, since a deadline met costs nothing and one missed on a
 * machine whose cores are busy elsewhere is a false failure.  Only a
 * wait for something that must not happen is short.
 */
#define H_WAIT_MS	10000

/*
 * One echod run: its temporary directory (config, log, pid file), its
 * master, the ports it bound and its guardian.  Searches of the log
 * start at `mark`.
 */
struct harness {
	char		 dir[64];
	char		 conf[96];
	char		 log[96];
	char		 pidfile[96];
	unsigned	 listeners;
	pid_t		 pid;		/* master; 0 once reaped */
	char		 title[128];	/* how its command line starts */
	int		 status;	/* its wait status once reaped */
	uint16_t	 tcp4, tcp6, udp4, udp6;
	size_t		 mark;
	long		 nofile;	/* >0: echod's RLIMIT_NOFILE, unraisable */
	pid_t		 guard_pid;	/* cleans up if the test dies */
	int		 guard_fd;
	struct fault_ctl *fault;	/* non-NULL: echod runs with the shim */
	int		 passed[4];	/* sockets passed as systemd does */
	int		 npassed;
	char		 fault_file[96];
};

struct fault_ctl;

/* Set-up and teardown.  Failures are Check assertions. */
void		 harness_init(struct harness *);
void		 harness_write_config(struct harness *, unsigned, const char *);
void		 harness_launch(struct harness *);
/*
 * Another server in echod's place, argv[0] its path, launched and
 * cleaned up as echod is.  It says "listening on tcp|udp ADDR:PORT" and
 * then " started: " in its output, as echod does, for harness_wait_ready.
 */
void		 harness_launch_cmd(struct harness *, const char *const *);
/* Before harness_launch: run echod with the fault shim (tests/fault). */
void		 harness_fault_init(struct harness *);
void		 harness_fault_arm(struct harness *, int, int, int, int);
void		 harness_fault_disarm(struct harness *, int);
/*
 * Before harness_launch: a datagram socket standing in for systemd's,
 * named to echod by NOTIFY_SOCKET.  harness_notify_next reads the next
 * notification into `buf`; false if none came within `ms`.
 */
int		 harness_notify_open(struct harness *);
bool		 harness_notify_next(int, char *, size_t, int);
/* A counter of `echod -s status --json`; -1 if it cannot be read. */
long long	 harness_counter(struct harness *, const char *);
/* Until the counter reaches `want`, or `ms` pass. */
bool		 harness_wait_counter(struct harness *, const char *, long long,
		    int);
void		 harness_wait_ready(struct harness *);
void		 harness_start(struct harness *, unsigned, const char *);
void		 harness_signal(struct harness *, int);
int		 harness_wait_exit(struct harness *, int);
void		 harness_stop(struct harness *);
void		 harness_stop_keep(struct harness *);
void		 harness_finish(struct harness *);
void		 harness_assert_clean_log(struct harness *);
int		 harness_run(const char *const *, char *, size_t, int);
int		 harness_run_cmd(const char *const *, char *, size_t, int);

/* The log (echod's stderr). */
void		 harness_mark(struct harness *);
bool		 harness_wait_log(struct harness *, const char *, int);
bool		 harness_wait_log_count(struct harness *, const char *, int,
		    int);
int		 harness_log_count(struct harness *, const char *);
bool		 harness_log_line(struct harness *, const char *, char *,
		    size_t);

/* Processes, read from /proc. */
int		 harness_workers(struct harness *, const char *, pid_t *, int);
bool		 harness_wait_workers(struct harness *, const char *, int,
		    int);
bool		 harness_proc_is(pid_t, const char *);
bool		 harness_pid_alive(pid_t);
bool		 harness_wait_gone(pid_t, int);
long		 harness_rss_kb(pid_t);
long		 harness_sleeps(pid_t);
long		 harness_cpu_ticks(pid_t);
bool		 harness_proc_ids(pid_t, uid_t *, gid_t *);

/* Sockets: every call has a deadline; descriptors are non-blocking. */
int		 harness_loopback(int, uint16_t, struct sockaddr_storage *,
		    socklen_t *);
int		 harness_connect(int, uint16_t, int);
int		 harness_udp_socket(int);
int		 harness_tcp_listener(int);
uint16_t	 harness_local_port(int);
bool		 harness_wait_bindable(int, int, uint16_t, int);
ssize_t		 harness_send_all(int, const void *, size_t, int);
ssize_t		 harness_recv_all(int, void *, size_t, int);
int		 harness_echo(int, const void *, size_t, bool, int);
void		 harness_assert_serves_tcp(struct harness *, int);
bool		 harness_wait_eof(int, int);
ssize_t		 harness_udp_echo(int, int, uint16_t, const void *, size_t,
		    void *, int);
void		 harness_fill(unsigned char *, size_t, uint32_t);

#endif
