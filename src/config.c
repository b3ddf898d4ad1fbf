/* config.c: load the libconfig file, validate it, fill struct config. */

#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <libconfig.h>

#include "acl.h"
#include "config.h"
#include "config_get.h"
#include "config_scan.h"
#include "log.h"
#include "ratelimit.h"

#define DEFAULT_DENY_PORTS	"0-1023", "2049"
#define DEFAULT_UDP_RATE	100	/* per source, a second */
#define DEFAULT_UDP_BURST	200
#define DEFAULT_PS_V6_PREFIX	56	/* as BIND's and Knot's RRL */

static const char *root_keys[] = { "workers", "listen", "tcp", "udp",
	"shutdown_timeout", "worker_timeout", "user", "group", "pidfile",
	"status_file", "log", "access", "per_source_exempt",
	"per_source_ipv6_prefix", NULL };
static const char *tcp_keys[] = { "backlog", "accept_lock",
	"max_connections", "idle_timeout", "per_source_connections",
	"per_source_rate", NULL };
static const char *udp_keys[] = { "deny_source_ports", "receive_buffer",
	"per_source_rate", "per_source_burst", NULL };
static const char *log_keys[] = { "facility", "level", NULL };
static const char *listen_keys[] = { "protocol", "address", "port",
	"proxy_protocol", NULL };

static void	 load_workers(struct loader *, const config_setting_t *);
static void	 load_listen(struct loader *, const config_setting_t *);
static void	 load_listen_entry(struct loader *, const config_setting_t *,
		    size_t);
static void	 load_tcp(struct loader *, const config_setting_t *);
static void	 load_udp(struct loader *, const config_setting_t *);
static int	 deny_range(struct loader *, const config_setting_t *,
		    const char *);
static void	 load_log(struct loader *, const config_setting_t *);
static void	 check_absolute(struct loader *, const config_setting_t *,
		    const char *, const char *);
static void	 load_paths(struct loader *, const config_setting_t *);
static void	 resolve_ids(struct loader *, const config_setting_t *);
static void	 set_defaults(struct config *);
static bool	 dup_key(const config_t *, const char *, const char *, char *,
		    size_t);
static struct config *load(config_t *, int, const char *, const char *, int,
		    struct config_diag *);

static void
load_workers(struct loader *l, const config_setting_t *root)
{
	const config_setting_t *s;
	long n;

	if ((s = config_setting_get_member(root, "workers")) == NULL)
		return;
	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		if (strcmp(config_setting_get_string(s), "auto") != 0) {
			config_diag(l, s,
			    "workers: \"%s\" is not a number or \"auto\"",
			    config_setting_get_string(s));
			return;
		}
		n = sysconf(_SC_NPROCESSORS_ONLN);
		l->cf->workers = n < 1 ? 1 : n > CONFIG_WORKERS_MAX ?
		    CONFIG_WORKERS_MAX : (int)n;
		l->cf->workers_auto = true;
		return;
	}
	config_get_int(l, root, "", "workers", 1, CONFIG_WORKERS_MAX,
	    &l->cf->workers);
}

static void
load_listen_entry(struct loader *l, const config_setting_t *e, size_t i)
{
	struct config_listen *li = &l->cf->listens[i];
	const config_setting_t *s;
	char prefix[32], *proto = NULL;
	int port = -1;

	(void)snprintf(prefix, sizeof(prefix), "listen.[%zu].", i);
	if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
		config_diag(l, e,
		    "listen.[%zu]: expected a group { protocol = ...; "
		    "address = ...; port = ...; }, got %s", i,
		    config_type_name(config_setting_type(e)));
		return;
	}
	config_check_keys(l, e, prefix, listen_keys);
	config_get_string(l, e, prefix, "protocol", &proto);
	config_get_string(l, e, prefix, "address", &li->address);
	config_get_int(l, e, prefix, "port", 0, 65535, &port);
	if (proto == NULL)
		config_diag(l, e,
		    "%sprotocol: missing (set \"tcp\" or \"udp\")",
		    prefix);
	else if (strcmp(proto, "tcp") == 0)
		li->proto = PROTO_TCP;
	else if (strcmp(proto, "udp") == 0)
		li->proto = PROTO_UDP;
	else
		config_diag(l, config_setting_get_member(e, "protocol"),
		    "%sprotocol: \"%s\" is not \"tcp\" or \"udp\"", prefix,
		    proto);
	free(proto);
	if ((s = config_member(l, e, prefix, "proxy_protocol",
	    CONFIG_TYPE_BOOL)) != NULL) {
		li->proxy_protocol = config_setting_get_bool(s);
		if (li->proxy_protocol && li->proto != PROTO_TCP)
			config_diag(l, s, "%sproxy_protocol: only for "
			    "protocol \"tcp\"", prefix);
	}
	if (li->address == NULL) {
		config_diag(l, e,
		    "%saddress: missing (for example \"0.0.0.0\" or "
		    "\"::\")", prefix);
		return;
	}
	if (port == -1 && config_setting_get_member(e, "port") == NULL)
		config_diag(l, e,
		    "%sport: missing (7 is the echo port; 0 picks "
		    "a free one)", prefix);
	li->port = port < 0 ? 0 : port;
	if (addr_parse(li->address, li->port, &li->addr) == -1)
		config_diag(l, config_setting_get_member(e, "address"),
		    "%saddress: \"%s\" is not a numeric IPv4 or IPv6 address",
		    prefix, li->address);
}

static void
load_listen(struct loader *l, const config_setting_t *root)
{
	const config_setting_t *s;
	size_t i, j, n;

	s = config_setting_get_member(root, "listen");
	if (s == NULL)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_LIST) {
		config_diag(l, s,
		    "listen: expected a list ( { ... }, ... ), got %s",
		    config_type_name(config_setting_type(s)));
		return;
	}
	n = config_setting_length(s);
	if (n == 0) {
		config_diag(l, s, "listen: empty (give at least one listener)");
		return;
	}
	for (i = 0; i < l->cf->nlistens; i++)
		free(l->cf->listens[i].address);
	free(l->cf->listens);
	l->cf->nlistens = 0;
	if ((l->cf->listens = calloc(n, sizeof(*l->cf->listens))) == NULL) {
		config_diag(l, s, "listen: %s", strerror(errno));
		return;
	}
	l->cf->nlistens = n;
	for (i = 0; i < n; i++)
		load_listen_entry(l, config_setting_get_elem(s, i), i);
	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			if (l->cf->listens[i].port != 0 &&
			    l->cf->listens[i].proto ==
			    l->cf->listens[j].proto &&
			    addr_equal(&l->cf->listens[i].addr,
			    &l->cf->listens[j].addr))
				config_diag(l, config_setting_get_elem(s, i),
				    "listen.[%zu]: duplicates listen.[%zu]",
				    i, j);
}

static void
load_tcp(struct loader *l, const config_setting_t *root)
{
	const config_setting_t *tcp;
	char *lock = NULL;
	int kind;

	if ((tcp = config_member(l, root, "", "tcp",
	    CONFIG_TYPE_GROUP)) == NULL)
		return;
	config_check_keys(l, tcp, "tcp.", tcp_keys);
	config_get_int(l, tcp, "tcp.", "backlog", 1, 65535, &l->cf->backlog);
	config_get_int(l, tcp, "tcp.", "max_connections", 1, 1000000,
	    &l->cf->max_connections);
	config_get_int(l, tcp, "tcp.", "idle_timeout", 0, 86400 * 365,
	    &l->cf->idle_timeout_s);
	config_get_int(l, tcp, "tcp.", "per_source_connections", 0, 1000000,
	    &l->cf->tcp_ps_conns);
	config_get_int(l, tcp, "tcp.", "per_source_rate", 0, RATELIMIT_MAX,
	    &l->cf->tcp_ps_rate);
	config_get_string(l, tcp, "tcp.", "accept_lock", &lock);
	if (lock == NULL)
		return;
	if ((kind = acceptlock_from_name(lock)) == -1)
		config_diag(l, config_setting_get_member(tcp, "accept_lock"),
		    "tcp.accept_lock: \"%s\" is not \"mutex\", \"fcntl\" or "
		    "\"none\"", lock);
	else
		l->cf->accept_lock = kind;
	free(lock);
}

/* "N" or "N-M" (or an integer element) into the deny bitmap. */
static int
deny_range(struct loader *l, const config_setting_t *e, const char *text)
{
	unsigned long lo, hi;
	char *end;
	unsigned long p;

	/* strtoul alone would take " 7", "+8" and "0-" (as 0-0). */
	errno = 0;
	lo = strtoul(text, &end, 10);
	hi = lo;
	if (isdigit((unsigned char)text[0]) && *end == '-') {
		if (!isdigit((unsigned char)end[1]))
			end = (char *)text;
		else
			hi = strtoul(end + 1, &end, 10);
	}
	if (errno != 0 || !isdigit((unsigned char)text[0]) || *end != '\0' ||
	    lo > 65535 || hi > 65535 || lo > hi) {
		config_diag(l, e,
		    "udp.deny_source_ports: \"%s\" is not a port or "
		    "a range like \"0-1023\" (0..65535)", text);
		return -1;
	}
	for (p = lo; p <= hi; p++)
		l->cf->deny_ports[p / 8] |= 1U << (p % 8);
	return 0;
}

static void
load_udp(struct loader *l, const config_setting_t *root)
{
	const config_setting_t *udp, *s, *e;
	char num[16];
	int i, t;

	if ((udp = config_member(l, root, "", "udp",
	    CONFIG_TYPE_GROUP)) == NULL)
		return;
	config_check_keys(l, udp, "udp.", udp_keys);
	config_get_int(l, udp, "udp.", "receive_buffer", 0,
	    CONFIG_RCVBUF_MAX, &l->cf->udp_rcvbuf);
	config_get_int(l, udp, "udp.", "per_source_rate", 0, RATELIMIT_MAX,
	    &l->cf->udp_rate);
	config_get_int(l, udp, "udp.", "per_source_burst", 1, RATELIMIT_MAX,
	    &l->cf->udp_burst);
	if ((s = config_setting_get_member(udp, "deny_source_ports")) == NULL)
		return;
	t = config_setting_type(s);
	if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
		config_diag(l, s,
		    "udp.deny_source_ports: expected an array like "
		    "[ \"0-1023\", \"2049\" ], got %s", config_type_name(t));
		return;
	}
	/* The list replaces the default; an empty list denies nothing. */
	memset(l->cf->deny_ports, 0, sizeof(l->cf->deny_ports));
	for (i = 0; (e = config_setting_get_elem(s, i)) != NULL; i++) {
		t = config_setting_type(e);
		if (t == CONFIG_TYPE_STRING)
			(void)deny_range(l, e, config_setting_get_string(e));
		else if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) {
			(void)snprintf(num, sizeof(num), "%lld",
			    config_setting_get_int64(e));
			(void)deny_range(l, e, num);
		} else
			config_diag(l, e,
			    "udp.deny_source_ports: expected a port "
			    "or a range string, got %s", config_type_name(t));
	}
}

static void
load_log(struct loader *l, const config_setting_t *root)
{
	const config_setting_t *lg;
	char *facility = NULL, *level = NULL;

	if ((lg = config_member(l, root, "", "log", CONFIG_TYPE_GROUP)) == NULL)
		return;
	config_check_keys(l, lg, "log.", log_keys);
	config_get_string(l, lg, "log.", "facility", &facility);
	config_get_string(l, lg, "log.", "level", &level);
	if (facility != NULL &&
	    (l->cf->log_facility = log_facility_from_name(facility)) == -1)
		config_diag(l, config_setting_get_member(lg, "facility"),
		    "log.facility: \"%s\" is not one of daemon, user, "
		    "local0..local7", facility);
	if (level != NULL &&
	    (l->cf->log_level = log_level_from_name(level)) == -1)
		config_diag(l, config_setting_get_member(lg, "level"),
		    "log.level: \"%s\" is not one of emerg, alert, crit, err, "
		    "warning, notice, info, debug", level);
	free(facility);
	free(level);
}

static void
check_absolute(struct loader *l, const config_setting_t *root,
    const char *key, const char *path)
{
	if (path != NULL && path[0] != '\0' && path[0] != '/')
		config_diag(l, config_setting_get_member(root, key),
		    "%s: \"%s\" is not an absolute path", key, path);
}

/*
 * The status file lies beside the pid file unless set: foo.pid gives
 * foo.status, so two instances with their own pid files never share it.
 */
static void
load_paths(struct loader *l, const config_setting_t *root)
{
	struct config *cf = l->cf;
	size_t n;

	config_get_string(l, root, "", "pidfile", &cf->pidfile);
	config_get_string(l, root, "", "status_file", &cf->status_file);
	check_absolute(l, root, "pidfile", cf->pidfile);
	check_absolute(l, root, "status_file", cf->status_file);
	if (cf->status_file != NULL || cf->pidfile == NULL)
		return;
	n = strlen(cf->pidfile);
	if (n == 0)
		cf->status_file = strdup("");
	else if (asprintf(&cf->status_file, "%.*s.status", n > 4 &&
	    strcmp(cf->pidfile + n - 4, ".pid") == 0 ? (int)n - 4 : (int)n,
	    cf->pidfile) == -1)
		cf->status_file = NULL;		/* reported as ENOMEM */
}

static void
resolve_ids(struct loader *l, const config_setting_t *root)
{
	struct passwd *pw;
	struct group *gr;

	errno = 0;
	if ((pw = getpwnam(l->cf->user)) == NULL)
		config_diag(l, config_setting_get_member(root, "user"),
		    "user: no such user \"%s\" (create it, e.g. adduser "
		    "--system %s, or name an existing one)", l->cf->user,
		    l->cf->user);
	errno = 0;
	if ((gr = getgrnam(l->cf->group)) == NULL)
		config_diag(l, config_setting_get_member(root, "group"),
		    "group: no such group \"%s\" (create it, or name an "
		    "existing one)", l->cf->group);
	if (pw == NULL || gr == NULL)
		return;
	if (pw->pw_uid == 0)
		config_diag(l, config_setting_get_member(root, "user"),
		    "user: \"%s\" is root; workers must run unprivileged",
		    l->cf->user);
	if (gr->gr_gid == 0)
		config_diag(l, config_setting_get_member(root, "group"),
		    "group: \"%s\" is root's group; workers must run "
		    "unprivileged", l->cf->group);
	l->cf->uid = pw->pw_uid;
	l->cf->gid = gr->gr_gid;
	l->cf->ids_resolved = true;
}

static void
set_defaults(struct config *cf)
{
	static const struct {
		enum config_proto	 proto;
		const char		*address;
	} listens[] = {
		{ PROTO_TCP, "0.0.0.0" }, { PROTO_TCP, "::" },
		{ PROTO_UDP, "0.0.0.0" }, { PROTO_UDP, "::" },
	};
	struct acl_prefix loopback[2];
	size_t i;
	unsigned p;

	(void)acl_parse("127.0.0.0/8", &loopback[0]);
	(void)acl_parse("::1/128", &loopback[1]);
	cf->workers = 4;
	cf->backlog = 511;
	cf->accept_lock = ACCEPTLOCK_MUTEX;
	cf->max_connections = 1024;
	cf->idle_timeout_s = 300;
	for (p = 0; p <= 1023; p++)
		cf->deny_ports[p / 8] |= 1U << (p % 8);
	cf->deny_ports[2049 / 8] |= 1U << (2049 % 8);
	cf->udp_rate = DEFAULT_UDP_RATE;
	cf->udp_burst = DEFAULT_UDP_BURST;
	cf->ps_v6_prefix = DEFAULT_PS_V6_PREFIX;
	cf->allow = acl_create(NULL, 0);
	cf->deny = acl_create(NULL, 0);
	cf->exempt = acl_create(loopback, 2);
	cf->shutdown_timeout_s = 10;
	cf->user = strdup("echod");
	cf->group = strdup("echod");
	cf->pidfile = strdup("/run/echod/echod.pid");
	cf->worker_timeout_s = 10;
	cf->log_facility = LOG_DAEMON;
	cf->log_level = LOG_INFO;
	cf->listens = calloc(4, sizeof(*cf->listens));
	if (cf->listens == NULL)
		return;
	cf->nlistens = 4;
	for (i = 0; i < 4; i++) {
		cf->listens[i].proto = listens[i].proto;
		cf->listens[i].address = strdup(listens[i].address);
		cf->listens[i].port = 7;
		(void)addr_parse(listens[i].address, 7, &cf->listens[i].addr);
	}
}

/*
 * The key set twice, read from the file libconfig stopped in: the text
 * itself, or an included file, named as written and opened the same way.
 */
static bool
dup_key(const config_t *lc, const char *name, const char *text, char *key,
    size_t len)
{
	const char *file = config_error_file(lc);
	char *inc;
	bool found;

	if (file == NULL || strcmp(file, name) == 0)
		return text != NULL && config_scan_line_key(text,
		    config_error_line(lc), key, len);
	if ((inc = config_scan_read(config_get_include_dir(lc), file)) == NULL)
		return false;
	found = config_scan_line_key(inc, config_error_line(lc), key, len);
	free(inc);
	return found;
}

/* text is what libconfig parsed, if ok; config_scan.c reads it again. */
static struct config *
load(config_t *lc, int ok, const char *name, const char *text, int flags,
    struct config_diag *d)
{
	struct loader l = { name, d, NULL, flags };
	const config_setting_t *root;
	char key[64];

	memset(d, 0, sizeof(*d));
	if (!ok) {
		l.name = config_error_file(lc) != NULL ?
		    config_error_file(lc) : name;
		if (config_error_type(lc) == CONFIG_ERR_FILE_IO)
			(void)snprintf(d->msg[d->count++], CONFIG_DIAG_LEN,
			    "%s: cannot read: %s", l.name, strerror(errno));
		else if (strcmp(config_error_text(lc),
		    "duplicate setting name") == 0 &&
		    dup_key(lc, name, text, key, sizeof(key)))
			(void)snprintf(d->msg[d->count++], CONFIG_DIAG_LEN,
			    "%s:%d: %s: duplicate setting (each key may appear "
			    "once per group)", l.name, config_error_line(lc),
			    key);
		else
			(void)snprintf(d->msg[d->count++], CONFIG_DIAG_LEN,
			    "%s:%d: %s", l.name, config_error_line(lc),
			    config_error_text(lc));
		return NULL;
	}
	if ((l.cf = calloc(1, sizeof(*l.cf))) == NULL ||
	    (l.cf->path = strdup(name)) == NULL) {
		free(l.cf);
		(void)snprintf(d->msg[d->count++], CONFIG_DIAG_LEN, "%s: %s",
		    name, strerror(errno));
		return NULL;
	}
	set_defaults(l.cf);
	config_scan_ints(name, text, config_get_include_dir(lc), d);
	root = config_root_setting(lc);
	config_check_keys(&l, root, "", root_keys);
	load_workers(&l, root);
	load_listen(&l, root);
	load_tcp(&l, root);
	load_udp(&l, root);
	config_load_access(&l, root);
	config_get_int(&l, root, "", "shutdown_timeout", 0, 3600,
	    &l.cf->shutdown_timeout_s);
	config_get_string(&l, root, "", "user", &l.cf->user);
	config_get_string(&l, root, "", "group", &l.cf->group);
	config_get_int(&l, root, "", "worker_timeout", 0, 3600,
	    &l.cf->worker_timeout_s);
	load_paths(&l, root);
	load_log(&l, root);
	/* Accounts too are checked with everything else, in the same run. */
	if ((flags & CONFIG_RESOLVE_IDS) && l.cf->user != NULL &&
	    l.cf->group != NULL)
		resolve_ids(&l, root);
	if (d->count == 0 && (l.cf->user == NULL || l.cf->group == NULL ||
	    l.cf->pidfile == NULL || l.cf->status_file == NULL ||
	    l.cf->listens == NULL || l.cf->allow == NULL ||
	    l.cf->deny == NULL || l.cf->exempt == NULL))
		(void)snprintf(d->msg[d->count++], CONFIG_DIAG_LEN, "%s: %s",
		    name, strerror(ENOMEM));
	if (d->count > 0) {
		config_free(l.cf);
		return NULL;
	}
	return l.cf;
}

struct config *
config_load(const char *path, int flags, struct config_diag *d)
{
	struct config *cf = NULL;
	config_t lc;
	char *copy, *text;
	int ok, read_errno;

	/*
	 * libconfig's flex scanner calls exit() when a read fails (the file
	 * or an @include is a directory): a reload would kill the master.
	 * So every file it will read is read first (found by fuzz_config).
	 */
	memset(d, 0, sizeof(*d));
	if ((text = config_scan_read(NULL, path)) == NULL) {
		(void)snprintf(d->msg[d->count++], CONFIG_DIAG_LEN,
		    "%s: cannot read: %s", path, strerror(errno));
		return NULL;
	}
	if ((copy = strdup(path)) == NULL ||
	    !config_scan_files(path, text, dirname(copy), d)) {
		if (copy == NULL)
			(void)snprintf(d->msg[d->count++], CONFIG_DIAG_LEN,
			    "%s: %s", path, strerror(errno));
		free(copy);
		free(text);
		return NULL;
	}
	free(copy);
	config_init(&lc);
	/* @include names files beside this one, not in the working directory. */
	if ((copy = strdup(path)) != NULL)
		config_set_include_dir(&lc, dirname(copy));
	errno = 0;
	ok = config_read_file(&lc, path) == CONFIG_TRUE;
	read_errno = errno;
	free(copy);
	errno = read_errno;	/* for a libconfig I/O error */
	cf = load(&lc, ok, path, text, flags, d);
	free(text);
	config_destroy(&lc);
	return cf;
}

struct config *
config_parse_string(const char *text, const char *name, int flags,
    struct config_diag *d)
{
	struct config *cf;
	config_t lc;
	int ok;

	memset(d, 0, sizeof(*d));
	if (!config_scan_files(name, text, NULL, d))
		return NULL;
	config_init(&lc);
	ok = config_read_string(&lc, text) == CONFIG_TRUE;
	cf = load(&lc, ok, name, text, flags, d);
	config_destroy(&lc);
	return cf;
}

void
config_free(struct config *cf)
{
	size_t i;

	if (cf == NULL)
		return;
	for (i = 0; i < cf->nlistens; i++)
		free(cf->listens[i].address);
	free(cf->listens);
	free(cf->path);
	free(cf->user);
	free(cf->group);
	free(cf->pidfile);
	free(cf->status_file);
	acl_destroy(cf->allow);
	acl_destroy(cf->deny);
	acl_destroy(cf->exempt);
	free(cf);
}

bool
config_port_denied(const struct config *cf, uint16_t port)
{
	return (cf->deny_ports[port / 8] & (1U << (port % 8))) != 0;
}

bool
config_has_proto(const struct config *cf, enum config_proto proto)
{
	size_t i;

	for (i = 0; i < cf->nlistens; i++)
		if (cf->listens[i].proto == proto)
			return true;
	return false;
}

const char *
config_proto_name(enum config_proto proto)
{
	return proto == PROTO_TCP ? "tcp" : "udp";
}
