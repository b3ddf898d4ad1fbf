/* opts.h: echoprobe's command line: modes, options, their limits. */
#ifndef ECHOPROBE_OPTS_H
#define ECHOPROBE_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define OPTS_DEFAULT_PORT	"7"
/*
 * Linux gives a socket bound without a port (IP_BIND_ADDRESS_NO_PORT)
 * about 14,000 fast ports per source with the default port range: a
 * million connections need 72 sources or more.
 */
#define OPTS_SOURCES_MAX	1024
#define OPTS_SIZE_MAX		(1024 * 1024)
/* UDP probes carry magic, run id, sequence number and send time. */
#define OPTS_UDP_SIZE_MIN	24
#define OPTS_UDP_SIZE_MAX	65507	/* IPv4's largest UDP payload */
#define OPTS_PIPELINE_MAX	1024
#define OPTS_JOBS_MAX		256
#define OPTS_CONNECTIONS_MAX	1000000

/* As ping(8): every reply came back, some did not, or the run failed. */
#define EXIT_ANSWERED	0
#define EXIT_LOSS	1
#define EXIT_ERROR	2

enum opts_action { OPTS_RUN, OPTS_HELP, OPTS_VERSION, OPTS_ERROR };
enum opts_mode { MODE_PROBE, MODE_INTERACTIVE, MODE_LOAD };

struct opts {
	enum opts_action action;
	enum opts_mode	 mode;
	const char	*host;
	const char	*port;
	int		 family;	/* AF_UNSPEC, AF_INET or AF_INET6 */
	bool		 udp;
	bool		 connect_each;
	bool		 json;
	bool		 quiet;
	long		 count;		/* probes; 0 runs until SIGINT */
	uint64_t	 interval_ns;
	uint64_t	 timeout_ns;
	size_t		 size;
	long		 connections;
	long		 pipeline;	/* TCP requests in flight per link */
	long		 window;	/* UDP datagrams in flight per socket */
	long		 jobs;
	uint64_t	 requests;	/* 0: no limit */
	uint64_t	 duration_ns;	/* 0: no limit */
	uint64_t	 hold_ns;	/* 0: not a hold run */
	struct addr	 sources[OPTS_SOURCES_MAX];
	int		 nsources;
	char		 error[256];	/* OPTS_ERROR: why */
};

void		 opts_parse(int, char **, struct opts *);
const char	*opts_usage(void);

#endif
