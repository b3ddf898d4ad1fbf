/* config.h: load the libconfig file, validate it, fill struct config. */
#ifndef ECHOD_CONFIG_H
#define ECHOD_CONFIG_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acceptlock.h"
#include "acl.h"
#include "addr.h"

#define CONFIG_WORKERS_MAX	1024
#define CONFIG_DIAG_MAX		32
#define CONFIG_DIAG_LEN		320
#define CONFIG_RCVBUF_MAX	(1 << 30)	/* udp.receive_buffer, bytes */

enum config_proto { PROTO_TCP, PROTO_UDP };

struct config_listen {
	enum config_proto	 proto;
	char			*address;
	uint16_t		 port;
	struct addr		 addr;		/* address and port, parsed */
	bool			 proxy_protocol;	/* TCP: a PROXY header first */
};

/* A loaded configuration is immutable; a reload builds a new one. */
struct config {
	char			*path;
	int			 workers;	/* resolved: "auto" is a number */
	bool			 workers_auto;
	struct config_listen	*listens;
	size_t			 nlistens;
	int			 backlog;
	enum acceptlock_kind	 accept_lock;
	int			 max_connections;
	int			 idle_timeout_s;	/* 0: never */
	int			 tcp_ps_conns;	/* per source at once; 0: any */
	int			 tcp_ps_rate;	/* new per source a second */
	uint8_t			 deny_ports[65536 / 8];	/* bitmap */
	int			 udp_rcvbuf;	/* bytes; 0: the kernel's */
	int			 udp_rate;	/* per source a second; 0: off */
	int			 udp_burst;
	struct acl		*allow;		/* empty: everyone */
	struct acl		*deny;
	struct acl		*exempt;	/* from per-source limits */
	int			 ps_v6_prefix;	/* IPv6 sources counted per */
	int			 shutdown_timeout_s;
	int			 worker_timeout_s;	/* 0: never */
	char			*user;
	char			*group;
	uid_t			 uid;		/* valid if ids_resolved */
	gid_t			 gid;
	bool			 ids_resolved;
	char			*pidfile;	/* "" for none */
	char			*status_file;	/* "" for none */
	int			 log_facility;
	int			 log_level;
};

/* Every problem found in one pass, each "file:line: key: what (fix)". */
struct config_diag {
	int			 count;
	char			 msg[CONFIG_DIAG_MAX][CONFIG_DIAG_LEN];
};

/* Resolve user and group with getpwnam/getgrnam; fail if they are absent. */
#define CONFIG_RESOLVE_IDS	0x01

struct config	*config_load(const char *, int, struct config_diag *);
struct config	*config_parse_string(const char *, const char *, int,
		    struct config_diag *);
void		 config_free(struct config *);
bool		 config_port_denied(const struct config *, uint16_t);
bool		 config_permits(const struct config *, const struct addr_key *);
struct addr_key	 config_limit_key(const struct config *,
		    const struct addr_key *);
bool		 config_has_proto(const struct config *, enum config_proto);
const char	*config_proto_name(enum config_proto);

#endif
