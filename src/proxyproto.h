/* proxyproto.h: parse a PROXY protocol header (v1 text, v2 binary). */
#ifndef ECHOD_PROXYPROTO_H
#define ECHOD_PROXYPROTO_H

#include <sys/socket.h>

#include <stddef.h>

/* v1 is at most 107 bytes; v2 is 16 plus what its length says (capped). */
#define PROXYPROTO_MAX		(16 + 1024)

enum proxyproto_result {
	PROXYPROTO_MORE,	/* a valid start; read more and call again */
	PROXYPROTO_OK,
	PROXYPROTO_BAD		/* not a PROXY header, or a malformed one */
};

/*
 * Pure: the header at the start of buf[0..len).  On PROXYPROTO_OK, *hlen
 * is its length (the bytes to consume) and *src the client's address and
 * port; src->ss_family is AF_UNSPEC for a LOCAL (v2) or UNKNOWN (v1)
 * header, whose connection is the proxy's own (a health check).
 */
enum proxyproto_result	 proxyproto_parse(const unsigned char *, size_t,
			    size_t *, struct sockaddr_storage *);

#endif
