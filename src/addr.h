/* addr.h: parse and format addresses; classify sources (reflection guard). */
#ifndef ECHOD_ADDR_H
#define ECHOD_ADDR_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stdint.h>

/* "[ffff:...]:65535" plus NUL fits. */
#define ADDR_STRLEN	64

struct addr {
	struct sockaddr_storage	 ss;
	socklen_t		 len;
};

int		 addr_parse(const char *, uint16_t, struct addr *);
const char	*addr_format(const struct sockaddr *, char *, size_t);
uint16_t	 addr_port(const struct sockaddr *);
bool		 addr_equal(const struct addr *, const struct addr *);

/*
 * Sources an echo reply must never go to: broadcast, multicast, 0.0.0.0/8,
 * 255.0.0.0/8, the unspecified IPv6 address; an IPv4-mapped IPv6 source is
 * judged as IPv4.  A reply to them would reflect or amplify traffic.
 */
bool		 addr_is_reflector(const struct sockaddr *);

#endif
