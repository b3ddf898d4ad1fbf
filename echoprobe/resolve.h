/* resolve.h: turn host and port (name or number) into the address to probe. */
#ifndef ECHOPROBE_RESOLVE_H
#define ECHOPROBE_RESOLVE_H

#include <stddef.h>

#include "addr.h"
#include "opts.h"

struct target {
	struct addr	 a;
	int		 socktype;	/* SOCK_STREAM or SOCK_DGRAM */
	const char	*proto;		/* "tcp" or "udp" */
	char		 name[ADDR_STRLEN];
};

/*
 * 0 on success; -1 with a message in err ("resolve example.invalid port
 * 7: Name or service not known").  With --source, the first address of
 * the sources' family is taken, so -4/-6 need not be repeated.
 */
int	 resolve_target(const struct opts *, struct target *, char *, size_t);

#endif
