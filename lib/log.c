/* log.c: syslog and stderr output, levels, rate limiting. */

#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

/* The one piece of logging state: set at start-up, inherited by workers. */
static struct {
	const char	*ident;
	bool		 to_stderr;
	bool		 to_syslog;
	bool		 journal;	/* stderr is the journal's stream */
	int		 facility;
	int		 level;
	char		 prefix[64];	/* the process's role; "" in the master */
} log_dest = { "echod", true, false, false, LOG_DAEMON, LOG_INFO, "" };

static bool	 stderr_is_journal(void);
static void	 vlog(int, const char *, va_list);
static void	 vlog_errno(int, int, const char *, va_list);

static const struct name_value {
	const char	*name;
	int		 value;
} levels[] = {
	{ "emerg", LOG_EMERG }, { "alert", LOG_ALERT }, { "crit", LOG_CRIT },
	{ "err", LOG_ERR }, { "error", LOG_ERR }, { "warning", LOG_WARNING },
	{ "warn", LOG_WARNING }, { "notice", LOG_NOTICE }, { "info", LOG_INFO },
	{ "debug", LOG_DEBUG },
}, facilities[] = {
	{ "daemon", LOG_DAEMON }, { "user", LOG_USER }, { "local0", LOG_LOCAL0 },
	{ "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },
	{ "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 },
	{ "local7", LOG_LOCAL7 },
};

/*
 * systemd names the stream it connected to stderr in JOURNAL_STREAM
 * ("dev:ino").  Only if stderr is still that very file do we write to the
 * journal: a program that redirected stderr keeps the variable too.
 */
static bool
stderr_is_journal(void)
{
	struct stat st;
	uintmax_t dev, ino;
	const char *s;
	char end;

	if ((s = getenv("JOURNAL_STREAM")) == NULL ||
	    sscanf(s, "%ju:%ju%c", &dev, &ino, &end) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) == -1)
		return false;
	return (uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino;
}

/*
 * Under systemd, journald collects both stderr and syslog: each message
 * written to both would appear twice.  There, stderr alone carries them,
 * with the <N> prefix of sd-daemon(3) so that journald keeps their level.
 */
void
log_init(const char *ident, int to)
{
	log_dest.ident = ident;
	log_dest.to_stderr = (to & LOG_TO_STDERR) != 0;
	log_dest.journal = log_dest.to_stderr && stderr_is_journal();
	log_dest.to_syslog = (to & LOG_TO_SYSLOG) != 0 && !log_dest.journal;
	if (log_dest.to_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/*
 * A process names its role once, at birth ("tcp worker 3 (generation 2)"),
 * and every message it logs after carries it: no message spells it.
 */
void
log_procinit(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(log_dest.prefix, sizeof(log_dest.prefix), fmt, ap);
	va_end(ap);
}

/* Called again on every successful reload with the new facility and level. */
void
log_configure(int facility, int level)
{
	if (log_dest.to_syslog) {
		closelog();
		openlog(log_dest.ident, LOG_PID | LOG_NDELAY, facility);
		(void)setlogmask(LOG_UPTO(level));
	}
	log_dest.facility = facility;
	log_dest.level = level;
}

/* A daemon detaching from the journal's stream goes back to syslog. */
void
log_set_stderr(bool to_stderr)
{
	log_dest.to_stderr = to_stderr;
	if (!to_stderr && log_dest.journal) {
		log_dest.journal = false;
		log_dest.to_syslog = true;
		openlog(log_dest.ident, LOG_PID | LOG_NDELAY,
		    log_dest.facility);
		(void)setlogmask(LOG_UPTO(log_dest.level));
	}
}

static int
lookup(const struct name_value *t, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(name, t[i].name) == 0)
			return t[i].value;
	return -1;
}

int
log_level_from_name(const char *name)
{
	return lookup(levels, sizeof(levels) / sizeof(levels[0]), name);
}

int
log_facility_from_name(const char *name)
{
	return lookup(facilities, sizeof(facilities) / sizeof(facilities[0]),
	    name);
}

static void
vlog(int pri, const char *fmt, va_list ap)
{
	char msg[1024];
	int saved_errno = errno, n = 0;

	if (pri > log_dest.level) {
		errno = saved_errno;
		return;
	}
	if (log_dest.prefix[0] != '\0')
		n = snprintf(msg, sizeof(msg), "%s: ", log_dest.prefix);
	(void)vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	/*
	 * One write per line so lines from workers do not interleave. The
	 * level alone, as sd-daemon(3) has it: journald takes "<5>" off a
	 * stream's line, but keeps "<29>" (daemon.notice) in the message and
	 * logs it at the default level; the unit's SyslogFacility= names the
	 * facility.
	 */
	if (log_dest.to_stderr && log_dest.journal) {
		(void)fprintf(stderr, "<%d>%s\n", LOG_PRI(pri), msg);
		(void)fflush(stderr);
	} else if (log_dest.to_stderr) {
		(void)fprintf(stderr, "%s: %s\n", log_dest.ident, msg);
		(void)fflush(stderr);
	}
	if (log_dest.to_syslog)
		syslog(pri, "%s", msg);
	errno = saved_errno;
}

static void
vlog_errno(int pri, int saved_errno, const char *fmt, va_list ap)
{
	char f[512];

	if (snprintf(f, sizeof(f), "%s: %s", fmt, strerror(saved_errno)) >=
	    (int)sizeof(f))
		vlog(pri, fmt, ap);
	else
		vlog(pri, f, ap);
	errno = saved_errno;
}

#define LOG_VARIANT(name, pri)					\
void								\
name(const char *fmt, ...)					\
{								\
	va_list ap;						\
								\
	va_start(ap, fmt);					\
	vlog(pri, fmt, ap);					\
	va_end(ap);						\
}

#define LOG_VARIANT_ERRNO(name, pri)				\
void								\
name(const char *fmt, ...)					\
{								\
	va_list ap;						\
	int saved_errno = errno;				\
								\
	va_start(ap, fmt);					\
	vlog_errno(pri, saved_errno, fmt, ap);			\
	va_end(ap);						\
}

LOG_VARIANT_ERRNO(log_warn, LOG_WARNING)
LOG_VARIANT(log_warnx, LOG_WARNING)
LOG_VARIANT_ERRNO(log_err, LOG_ERR)
LOG_VARIANT(log_errx, LOG_ERR)
LOG_VARIANT(log_notice, LOG_NOTICE)
LOG_VARIANT(log_info, LOG_INFO)
LOG_VARIANT(log_debug, LOG_DEBUG)

void
fatal(const char *fmt, ...)
{
	va_list ap;
	int saved_errno = errno;

	va_start(ap, fmt);
	vlog_errno(LOG_CRIT, saved_errno, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}

bool
log_ratelimit_allow(struct log_ratelimit *rl, uint64_t now_ms,
    uint64_t *suppressed)
{
	if (rl->started && now_ms - rl->last_ms < rl->interval_ms) {
		rl->suppressed++;
		return false;
	}
	rl->started = true;
	rl->last_ms = now_ms;
	*suppressed = rl->suppressed;
	rl->suppressed = 0;
	return true;
}
