/* resolve.c: turn host and port (name or number) into the address to probe. */

#include <sys/socket.h>
#include <netdb.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "resolve.h"

int
resolve_target(const struct opts *o, struct target *t, char *err,
    size_t err_len)
{
	struct addrinfo hints, *res, *ai;
	int family = o->family, rc;

	memset(t, 0, sizeof(*t));
	t->socktype = o->udp ? SOCK_DGRAM : SOCK_STREAM;
	t->proto = o->udp ? "udp" : "tcp";
	if (family == AF_UNSPEC && o->nsources > 0)
		family = o->sources[0].ss.ss_family;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = t->socktype;
	if ((rc = getaddrinfo(o->host, o->port, &hints, &res)) != 0) {
		(void)snprintf(err, err_len, "resolve %s port %s: %s", o->host,
		    o->port, rc == EAI_SYSTEM ? strerror(errno) :
		    gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next)
		if (ai->ai_addrlen <= sizeof(t->a.ss))
			break;
	if (ai == NULL) {
		freeaddrinfo(res);
		(void)snprintf(err, err_len, "resolve %s port %s: no usable "
		    "address", o->host, o->port);
		return -1;
	}
	memcpy(&t->a.ss, ai->ai_addr, ai->ai_addrlen);
	t->a.len = ai->ai_addrlen;
	freeaddrinfo(res);
	(void)addr_format((struct sockaddr *)&t->a.ss, t->name,
	    sizeof(t->name));
	return 0;
}
