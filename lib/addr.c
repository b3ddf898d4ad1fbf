/* addr.c: parse and format addresses; classify sources (reflection guard). */

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "addr.h"

/* Numeric addresses only: a listener never depends on DNS at start-up. */
int
addr_parse(const char *host, uint16_t port, struct addr *a)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss;

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		a->len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		a->len = sizeof(*sin6);
		return 0;
	}
	return -1;
}

const char *
addr_format(const struct sockaddr *sa, char *buf, size_t buf_len)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
	char host[INET6_ADDRSTRLEN];

	switch (sa->sa_family) {
	case AF_INET:
		(void)inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		(void)snprintf(buf, buf_len, "%s:%u", host,
		    ntohs(sin->sin_port));
		break;
	case AF_INET6:
		(void)inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		(void)snprintf(buf, buf_len, "[%s]:%u", host,
		    ntohs(sin6->sin6_port));
		break;
	default:
		(void)snprintf(buf, buf_len, "(family %d)", sa->sa_family);
		break;
	}
	return buf;
}

bool
addr_key(const struct sockaddr *sa, struct addr_key *k)
{
	const uint8_t *b;
	int i;

	if (sa->sa_family == AF_INET) {
		b = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
		k->hi = 0;
		k->lo = UINT64_C(0xffff) << 32 | (uint64_t)b[0] << 24 |
		    (uint64_t)b[1] << 16 | (uint64_t)b[2] << 8 | b[3];
		return true;
	}
	if (sa->sa_family != AF_INET6)
		return false;
	b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
	k->hi = k->lo = 0;
	for (i = 0; i < 8; i++) {
		k->hi = k->hi << 8 | b[i];
		k->lo = k->lo << 8 | b[i + 8];
	}
	return true;
}

/*
 * One IPv6 host owns a whole /64 at least, often a /56: limited per
 * address, it would get 2^64 allowances.  IPv4 (mapped) keys stay whole.
 */
void
addr_key_prefix(struct addr_key *k, int bits)
{
	if (k->hi == 0 && k->lo >> 32 == 0xffff)
		return;
	/* A shift by 64 is undefined: /0 and /64 are whole halves. */
	if (bits <= 0)
		k->hi = 0;
	else if (bits < 64)
		k->hi &= ~UINT64_C(0) << (64 - bits);
	if (bits <= 64)
		k->lo = 0;
	else if (bits < 128)
		k->lo &= ~UINT64_C(0) << (128 - bits);
}

uint16_t
addr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

bool
addr_equal(const struct addr *a, const struct addr *b)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)&a->ss;
	const struct sockaddr_in *b4 = (const struct sockaddr_in *)&b->ss;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&a->ss;
	const struct sockaddr_in6 *b6 = (const struct sockaddr_in6 *)&b->ss;

	if (a->ss.ss_family != b->ss.ss_family)
		return false;
	if (a->ss.ss_family == AF_INET)
		return a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	if (a->ss.ss_family == AF_INET6)
		return a6->sin6_port == b6->sin6_port &&
		    memcmp(&a6->sin6_addr, &b6->sin6_addr,
		    sizeof(a6->sin6_addr)) == 0;
	return false;
}

static bool
ipv4_is_reflector(uint32_t ip)
{
	uint8_t first = ip >> 24;

	if (first == 0 || first == 255)		/* 0.0.0.0/8, 255.0.0.0/8 */
		return true;
	if ((ip & 0xf0000000U) == 0xe0000000U)	/* 224.0.0.0/4 multicast */
		return true;
	return false;
}

size_t
addr_embedded_ipv4(const struct sockaddr *sa, uint32_t ip[ADDR_EMBED_MAX])
{
	static const uint8_t nat64[12] = { 0x00, 0x64, 0xff, 0x9b };
	const struct in6_addr *a6;
	const uint8_t *b;

	if (sa->sa_family == AF_INET) {
		ip[0] = ((const struct sockaddr_in *)sa)->sin_addr.s_addr;
		return 1;
	}
	if (sa->sa_family != AF_INET6)
		return 0;
	a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	b = a6->s6_addr;
	if (IN6_IS_ADDR_V4MAPPED(a6) || IN6_IS_ADDR_V4COMPAT(a6) ||
	    memcmp(b, nat64, sizeof(nat64)) == 0) {
		memcpy(&ip[0], &b[12], sizeof(ip[0]));
		return 1;
	}
	if (b[0] == 0x20 && b[1] == 0x02) {		/* 6to4 */
		memcpy(&ip[0], &b[2], sizeof(ip[0]));
		return 1;
	}
	/*
	 * Teredo: a relay sends the reply to the client's NAT mapping, the
	 * inverted last 32 bits, and may first send a bubble through the
	 * server; no working client has either at a reflector address.
	 */
	if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0) {
		memcpy(&ip[0], &b[4], sizeof(ip[0]));
		memcpy(&ip[1], &b[12], sizeof(ip[1]));
		ip[1] = ~ip[1];
		return 2;
	}
	return 0;
}

bool
addr_is_reflector(const struct sockaddr *sa)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
	const struct in6_addr *a6 = &sin6->sin6_addr;
	uint32_t ip[ADDR_EMBED_MAX];
	size_t i, n;

	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
		return true;
	/*
	 * Deprecated IPv4-compatible ::a.b.c.d: a sit tunnel would carry the
	 * reply to the embedded IPv4 address, whatever it is.
	 */
	if (sa->sa_family == AF_INET6 && (IN6_IS_ADDR_MULTICAST(a6) ||
	    IN6_IS_ADDR_UNSPECIFIED(a6) || IN6_IS_ADDR_V4COMPAT(a6)))
		return true;
	n = addr_embedded_ipv4(sa, ip);
	for (i = 0; i < n; i++)
		if (ipv4_is_reflector(ntohl(ip[i])))
			return true;
	return false;
}
