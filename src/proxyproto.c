/* proxyproto.c: parse a PROXY protocol header (v1 text, v2 binary). */

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "proxyproto.h"

#define V1_MAX		107	/* "PROXY UNKNOWN" + longest TCP6 + CRLF */
#define V2_HEAD		16
#define V2_CMD_LOCAL	0x0
#define V2_CMD_PROXY	0x1
#define V2_AF_INET	0x1
#define V2_AF_INET6	0x2
#define V2_STREAM	0x1

static const unsigned char v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

static enum proxyproto_result parse_v1(const unsigned char *, size_t,
		    size_t *, struct sockaddr_storage *);
static enum proxyproto_result parse_v2(const unsigned char *, size_t,
		    size_t *, struct sockaddr_storage *);
static bool	 v1_port(const char *, uint16_t *);
static bool	 prefix_of(const unsigned char *, size_t, const void *,
		    size_t);

/* The first `len` bytes of buf agree with `want` (of `wlen`). */
static bool
prefix_of(const unsigned char *buf, size_t len, const void *want,
    size_t wlen)
{
	return memcmp(buf, want, len < wlen ? len : wlen) == 0;
}

/* 0..65535, decimal, no sign, no leading zero (the spec forbids them). */
static bool
v1_port(const char *s, uint16_t *port)
{
	unsigned long v = 0;
	size_t i;

	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		if (!isdigit((unsigned char)s[i]) || i >= 5)
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

/* "PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\n" */
static enum proxyproto_result
parse_v1(const unsigned char *buf, size_t len, size_t *hlen,
    struct sockaddr_storage *src)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)src;
	struct sockaddr_in *sin = (struct sockaddr_in *)src;
	char line[V1_MAX + 1], *f[6], *save = NULL;
	struct in6_addr dst6;
	uint16_t sport, dport;
	size_t i, n;
	int af;

	for (i = 0; i < len && i < V1_MAX; i++)
		if (buf[i] == '\r' || buf[i] == '\n')
			break;
	if (i == len)
		return len < V1_MAX ? PROXYPROTO_MORE : PROXYPROTO_BAD;
	if (i == V1_MAX || buf[i] != '\r')
		return PROXYPROTO_BAD;
	if (i + 1 == len)
		return PROXYPROTO_MORE;
	if (buf[i + 1] != '\n')
		return PROXYPROTO_BAD;
	memcpy(line, buf, i);
	line[i] = '\0';
	if (strlen(line) != i)		/* a NUL inside */
		return PROXYPROTO_BAD;
	*hlen = i + 2;
	memset(src, 0, sizeof(*src));
	for (n = 0; n < 6; n++) {
		f[n] = strtok_r(n == 0 ? line : NULL, " ", &save);
		if (f[n] == NULL)
			break;
	}
	if (n >= 2 && strcmp(f[1], "UNKNOWN") == 0) {
		src->ss_family = AF_UNSPEC;
		return PROXYPROTO_OK;
	}
	/* Exactly one space between fields: strtok_r would merge runs. */
	if (n != 6 || strtok_r(NULL, " ", &save) != NULL ||
	    i != strlen(f[0]) + strlen(f[1]) + strlen(f[2]) + strlen(f[3]) +
	    strlen(f[4]) + strlen(f[5]) + 5)
		return PROXYPROTO_BAD;
	if (strcmp(f[1], "TCP4") == 0)
		af = AF_INET;
	else if (strcmp(f[1], "TCP6") == 0)
		af = AF_INET6;
	else
		return PROXYPROTO_BAD;
	if (!v1_port(f[4], &sport) || !v1_port(f[5], &dport))
		return PROXYPROTO_BAD;
	if (af == AF_INET) {
		if (inet_pton(AF_INET, f[2], &sin->sin_addr) != 1 ||
		    inet_pton(AF_INET, f[3], &dst6) != 1)
			return PROXYPROTO_BAD;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(sport);
	} else {
		if (inet_pton(AF_INET6, f[2], &sin6->sin6_addr) != 1 ||
		    inet_pton(AF_INET6, f[3], &dst6) != 1)
			return PROXYPROTO_BAD;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(sport);
	}
	return PROXYPROTO_OK;
}

static enum proxyproto_result
parse_v2(const unsigned char *buf, size_t len, size_t *hlen,
    struct sockaddr_storage *src)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)src;
	struct sockaddr_in *sin = (struct sockaddr_in *)src;
	size_t body;

	if (len < V2_HEAD)
		return PROXYPROTO_MORE;
	if (buf[12] >> 4 != 2 || (buf[12] & 0xf) > V2_CMD_PROXY)
		return PROXYPROTO_BAD;
	body = (size_t)buf[14] << 8 | buf[15];
	if (V2_HEAD + body > PROXYPROTO_MAX)
		return PROXYPROTO_BAD;
	if (len < V2_HEAD + body)
		return PROXYPROTO_MORE;
	*hlen = V2_HEAD + body;
	memset(src, 0, sizeof(*src));
	/* LOCAL: the proxy speaks for itself; the address block is ignored. */
	if ((buf[12] & 0xf) == V2_CMD_LOCAL) {
		src->ss_family = AF_UNSPEC;
		return PROXYPROTO_OK;
	}
	switch (buf[13]) {
	case V2_AF_INET << 4 | V2_STREAM:
		if (body < 12)
			return PROXYPROTO_BAD;
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, buf + 16, 4);
		memcpy(&sin->sin_port, buf + 24, 2);
		return PROXYPROTO_OK;
	case V2_AF_INET6 << 4 | V2_STREAM:
		if (body < 36)
			return PROXYPROTO_BAD;
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, buf + 16, 16);
		memcpy(&sin6->sin6_port, buf + 48, 2);
		return PROXYPROTO_OK;
	case 0x00:		/* UNSPEC: unknown origin, as v1's UNKNOWN */
		src->ss_family = AF_UNSPEC;
		return PROXYPROTO_OK;
	default:		/* UDP or unix sockets: not for a TCP echo */
		return PROXYPROTO_BAD;
	}
}

enum proxyproto_result
proxyproto_parse(const unsigned char *buf, size_t len, size_t *hlen,
    struct sockaddr_storage *src)
{
	if (len == 0)
		return PROXYPROTO_MORE;
	if (buf[0] == v2_sig[0]) {
		if (!prefix_of(buf, len, v2_sig, sizeof(v2_sig)))
			return PROXYPROTO_BAD;
		return len < sizeof(v2_sig) ? PROXYPROTO_MORE :
		    parse_v2(buf, len, hlen, src);
	}
	if (!prefix_of(buf, len, "PROXY ", 6))
		return PROXYPROTO_BAD;
	return len < 6 ? PROXYPROTO_MORE : parse_v1(buf, len, hlen, src);
}
