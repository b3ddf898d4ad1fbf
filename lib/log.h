/* log.h: syslog and stderr output, levels, rate limiting. */
#ifndef ECHOD_LOG_H
#define ECHOD_LOG_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Where messages go.  Set once at start-up (log_init) and again when the
 * configuration gives the facility and level (log_configure); workers
 * inherit it across fork.
 */
#define LOG_TO_STDERR	0x1
#define LOG_TO_SYSLOG	0x2

void		 log_init(const char *, int);
void		 log_procinit(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
void		 log_configure(int, int);
void		 log_set_stderr(bool);
int		 log_level_from_name(const char *);
int		 log_facility_from_name(const char *);

void		 log_warn(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
void		 log_warnx(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
void		 log_err(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
void		 log_errx(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
void		 log_notice(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
void		 log_info(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
void		 log_debug(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
_Noreturn void	 fatal(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
_Noreturn void	 fatalx(const char *, ...)
		    __attribute__((format(printf, 1, 2)));

/*
 * A message a remote peer can trigger is logged at most once per interval;
 * log_ratelimit_allow() says whether to log now and how many were
 * suppressed since the last one.
 */
struct log_ratelimit {
	uint64_t	 interval_ms;
	uint64_t	 last_ms;
	uint64_t	 suppressed;
	bool		 started;
};

bool		 log_ratelimit_allow(struct log_ratelimit *, uint64_t,
		    uint64_t *);

#endif
