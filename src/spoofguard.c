/* spoofguard.c: refuse this host's own addresses as sources from outside. */

#include <sys/types.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spoofguard.h"

#define SG_ACCEPT	0xffffffffU	/* return: keep the whole datagram */
#define SG_DROP		0U
#define SG_HEAD_LEN	18		/* instructions besides the tables */
#define SG_ENTRY6_LEN	9
#define SG_ENTRY6_SCOPED_LEN 11
#define SG_ENTRY4_LEN	2

struct sg_addr6 {
	struct in6_addr	 addr;
	unsigned	 ifindex;	/* link-local: ours on this one only */
};

struct spoofguard {
	uint32_t	*loop;		/* interface indexes */
	size_t		 nloop, maxloop;
	uint32_t	*v4;		/* host byte order */
	size_t		 nv4, maxv4;
	struct sg_addr6	*v6;
	size_t		 nv6, maxv6;
};

struct sg_prog {
	struct sock_filter	*f;
	size_t			 len;
};

static int	 grow(void *, size_t *, size_t, size_t);
static int	 add_once(uint32_t **, size_t *, size_t *, uint32_t);
static size_t	 entry6_len(const struct sg_addr6 *);
static void	 emit(struct sg_prog *, uint16_t, uint8_t, uint8_t, uint32_t);
static void	 emit_head(struct sg_prog *, const struct spoofguard *,
		    size_t);
static void	 emit_entry6(struct sg_prog *, const struct sg_addr6 *);

struct spoofguard *
spoofguard_create(void)
{
	return calloc(1, sizeof(struct spoofguard));
}

void
spoofguard_destroy(struct spoofguard *sg)
{
	if (sg == NULL)
		return;
	free(sg->loop);
	free(sg->v4);
	free(sg->v6);
	free(sg);
}

/* Room for one more element in the array at `pp`. */
static int
grow(void *pp, size_t *max, size_t n, size_t size)
{
	void **p = pp, *np;
	size_t nmax;

	if (n < *max)
		return 0;
	nmax = *max == 0 ? 8 : *max * 2;
	if ((np = reallocarray(*p, nmax, size)) == NULL)
		return -1;
	*p = np;
	*max = nmax;
	return 0;
}

/* Append `v` to the set (*set, *n, *max) unless it is there already. */
static int
add_once(uint32_t **set, size_t *n, size_t *max, uint32_t v)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if ((*set)[i] == v)
			return 0;
	if (grow(set, max, *n, sizeof(**set)))
		return -1;
	(*set)[(*n)++] = v;
	return 0;
}

int
spoofguard_add_loopback(struct spoofguard *sg, unsigned ifindex)
{
	return add_once(&sg->loop, &sg->nloop, &sg->maxloop, ifindex);
}

int
spoofguard_add_inet(struct spoofguard *sg, struct in_addr in)
{
	return add_once(&sg->v4, &sg->nv4, &sg->maxv4, ntohl(in.s_addr));
}

/*
 * A link-local address is ours on its own interface only: fe80::1 coming
 * in on another link is a neighbour's, and its echo goes out to that link.
 */
int
spoofguard_add_inet6(struct spoofguard *sg, const struct in6_addr *in6,
    unsigned ifindex)
{
	struct sg_addr6 a;
	size_t i;

	memset(&a, 0, sizeof(a));
	a.addr = *in6;
	a.ifindex = IN6_IS_ADDR_LINKLOCAL(in6) ? ifindex : 0;
	for (i = 0; i < sg->nv6; i++)
		if (memcmp(&sg->v6[i], &a, sizeof(a)) == 0)
			return 0;
	if (grow(&sg->v6, &sg->maxv6, sg->nv6, sizeof(*sg->v6)))
		return -1;
	sg->v6[sg->nv6++] = a;
	return 0;
}

static size_t
entry6_len(const struct sg_addr6 *a)
{
	return a->ifindex != 0 ? SG_ENTRY6_SCOPED_LEN : SG_ENTRY6_LEN;
}

static void
emit(struct sg_prog *p, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	struct sock_filter *f = &p->f[p->len++];

	f->code = code;
	f->jt = jt;
	f->jf = jf;
	f->k = k;
}

/*
 * Loopback arrivals pass at once, so local traffic pays a few instructions;
 * then IPv4 jumps to its table (`len6` instructions of IPv6 entries lie
 * between) and IPv6 stores its source's four words in M[0..3].
 */
static void
emit_head(struct sg_prog *p, const struct spoofguard *sg, size_t len6)
{
	size_t i;

	emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, SKF_AD_OFF + SKF_AD_IFINDEX);
	emit(p, BPF_MISC | BPF_TAX, 0, 0, 0);
	for (i = 0; i < sg->nloop; i++) {
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, sg->loop[i]);
		emit(p, BPF_RET | BPF_K, 0, 0, SG_ACCEPT);
	}
	emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, SKF_AD_OFF + SKF_AD_PROTOCOL);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, ETH_P_IP);
	/* Past the IPv6 words, entries and final accept. */
	emit(p, BPF_JMP | BPF_JA, 0, 0, 2 + 8 + len6 + 1);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, ETH_P_IPV6);
	emit(p, BPF_RET | BPF_K, 0, 0, SG_ACCEPT);
	for (i = 0; i < 4; i++) {
		/* The source address: bytes 8-23 of the IPv6 header. */
		emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0,
		    (uint32_t)(SKF_NET_OFF + 8 + 4 * (int)i));
		emit(p, BPF_ST, 0, 0, i);
	}
}

/* Each mismatch jumps to the next entry; a full match drops. */
static void
emit_entry6(struct sg_prog *p, const struct sg_addr6 *a)
{
	uint8_t skip = (uint8_t)(entry6_len(a) - 2);
	const uint8_t *b = a->addr.s6_addr;
	uint32_t word;
	int i;

	for (i = 0; i < 4; i++, skip -= 2) {
		word = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 |
		    (uint32_t)b[4 * i + 2] << 8 | b[4 * i + 3];
		emit(p, BPF_LD | BPF_MEM, 0, 0, (uint32_t)i);
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, skip, word);
	}
	if (a->ifindex != 0) {
		emit(p, BPF_MISC | BPF_TXA, 0, 0, 0);
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, a->ifindex);
	}
	emit(p, BPF_RET | BPF_K, 0, 0, SG_DROP);
}

/*
 * IPv6 fills the program first: IPv4 refuses its own addresses from
 * outside already, unless accept_local is set.
 */
int
spoofguard_program(const struct spoofguard *sg, struct sock_fprog *fp)
{
	size_t head = SG_HEAD_LEN + 2 * sg->nloop, len6 = 0, n6, n4, i;
	struct sg_prog p = { NULL, 0 };

	if (sg->nloop == 0 || head > BPF_MAXINSNS) {
		if ((p.f = calloc(1, sizeof(*p.f))) == NULL)
			return -1;
		emit(&p, BPF_RET | BPF_K, 0, 0, SG_ACCEPT);
		fp->filter = p.f;
		fp->len = (unsigned short)p.len;
		return (int)(sg->nv4 + sg->nv6);
	}
	for (n6 = 0; n6 < sg->nv6 &&
	    head + len6 + entry6_len(&sg->v6[n6]) <= BPF_MAXINSNS; n6++)
		len6 += entry6_len(&sg->v6[n6]);
	n4 = (BPF_MAXINSNS - head - len6) / SG_ENTRY4_LEN;
	if (n4 > sg->nv4)
		n4 = sg->nv4;
	if ((p.f = calloc(head + len6 + SG_ENTRY4_LEN * n4,
	    sizeof(*p.f))) == NULL)
		return -1;
	emit_head(&p, sg, len6);
	for (i = 0; i < n6; i++)
		emit_entry6(&p, &sg->v6[i]);
	emit(&p, BPF_RET | BPF_K, 0, 0, SG_ACCEPT);
	/* The source address: bytes 12-15 of the IPv4 header. */
	emit(&p, BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)(SKF_NET_OFF + 12));
	for (i = 0; i < n4; i++) {
		emit(&p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, sg->v4[i]);
		emit(&p, BPF_RET | BPF_K, 0, 0, SG_DROP);
	}
	emit(&p, BPF_RET | BPF_K, 0, 0, SG_ACCEPT);
	fp->filter = p.f;
	fp->len = (unsigned short)p.len;
	return (int)(sg->nv6 - n6 + sg->nv4 - n4);
}

/* "fe800000000000000000000000000001 02 40 20 80     eth0" */
bool
spoofguard_parse_if_inet6(const char *line, struct in6_addr *in6,
    unsigned *ifindex, char name[IFNAMSIZ])
{
	unsigned plen, scope, flags, byte;
	char hex[33];
	int i, end = 0;

	if (sscanf(line, "%32s %x %x %x %x %15s %n", hex, ifindex, &plen,
	    &scope, &flags, name, &end) != 6 || line[end] != '\0' ||
	    strlen(hex) != 32 || strspn(hex, "0123456789abcdef") != 32)
		return false;
	for (i = 0; i < 16; i++) {
		if (sscanf(hex + 2 * i, "%2x", &byte) != 1)
			return false;
		in6->s6_addr[i] = (uint8_t)byte;
	}
	return *ifindex != 0;
}
