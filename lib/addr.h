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

/*
 * An address as one 128-bit number, for tables and prefix matching: IPv6
 * as is, IPv4 as its IPv4-mapped form ::ffff:a.b.c.d, so both families
 * share one order and an IPv4 prefix also matches a mapped address.
 */
struct addr_key {
	uint64_t		 hi, lo;
};

int		 addr_parse(const char *, uint16_t, struct addr *);
/* Fills `k` and returns true for AF_INET and AF_INET6, else false. */
bool		 addr_key(const struct sockaddr *, struct addr_key *);
/* An IPv6 key cut to its first `bits` (0..128); IPv4 keys stay whole. */
void		 addr_key_prefix(struct addr_key *, int);
const char	*addr_format(const struct sockaddr *, char *, size_t);
uint16_t	 addr_port(const struct sockaddr *);
bool		 addr_equal(const struct addr *, const struct addr *);

/* Teredo embeds two IPv4 addresses: its server's and its client's. */
#define ADDR_EMBED_MAX	2

/*
 * The IPv4 addresses a reply to `sa` reaches, in network byte order, into
 * `ip`: an IPv4 address is its own; an IPv6 one may embed them: IPv4-mapped
 * and IPv4-compatible ::a.b.c.d, NAT64 64:ff9b::/96 (RFC 6052, the last 32
 * bits), 6to4 2002::/16 (RFC 3056, bits 16-47) and Teredo 2001::/32 (RFC
 * 4380: the server in bits 32-63, then the client, the last 32 bits
 * inverted).  Returns how many it stored: 0 for any other address.
 */
size_t		 addr_embedded_ipv4(const struct sockaddr *,
		    uint32_t [ADDR_EMBED_MAX]);

/*
 * Sources an echo reply must never go to: broadcast, multicast, 0.0.0.0/8,
 * 255.0.0.0/8, the unspecified IPv6 address, IPv4-compatible IPv6 ones;
 * an IPv6 source that embeds IPv4 addresses (addr_embedded_ipv4) is judged
 * by them.  A reply to them would reflect or amplify traffic.
 */
bool		 addr_is_reflector(const struct sockaddr *);

#endif
