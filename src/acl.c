/* acl.c: match addresses against sets of CIDR prefixes (sorted ranges). */

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"

/*
 * Each prefix is a range of 128-bit numbers; sorted and merged, the
 * ranges are disjoint, so the one that may hold an address is found by
 * binary search: 1,000 prefixes cost ten comparisons per datagram.
 */
struct range {
	struct addr_key		 lo, hi;
};

struct acl {
	struct range		*r;
	size_t			 n;
};

static int	 key_cmp(const struct addr_key *, const struct addr_key *);
static int	 range_cmp(const void *, const void *);
static void	 prefix_range(const struct acl_prefix *, struct range *);
static bool	 follows(const struct addr_key *, const struct addr_key *);

static int
key_cmp(const struct addr_key *a, const struct addr_key *b)
{
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return 0;
}

static int
range_cmp(const void *a, const void *b)
{
	return key_cmp(&((const struct range *)a)->lo,
	    &((const struct range *)b)->lo);
}

/* The mask of the top `len` bits of a 64-bit half holding `len` of them. */
static uint64_t
top_bits(int len)
{
	if (len <= 0)
		return 0;
	if (len >= 64)
		return UINT64_MAX;
	return ~(UINT64_MAX >> len);
}

static void
prefix_range(const struct acl_prefix *p, struct range *r)
{
	uint64_t mhi = top_bits(p->len), mlo = top_bits(p->len - 64);

	r->lo.hi = p->addr.hi & mhi;
	r->lo.lo = p->addr.lo & mlo;
	r->hi.hi = r->lo.hi | ~mhi;
	r->hi.lo = r->lo.lo | ~mlo;
}

/* b == a + 1: adjacent ranges merge as well as overlapping ones. */
static bool
follows(const struct addr_key *a, const struct addr_key *b)
{
	return a->lo == UINT64_MAX ? b->lo == 0 && b->hi == a->hi + 1 :
	    b->hi == a->hi && b->lo == a->lo + 1;
}

enum acl_parse_result
acl_parse(const char *text, struct acl_prefix *p)
{
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	const char *slash;
	char host[INET6_ADDRSTRLEN];
	struct range r;
	size_t n;
	int len = -1, max, i;

	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	slash = strchr(text, '/');
	n = slash != NULL ? (size_t)(slash - text) : strlen(text);
	if (n == 0 || n >= sizeof(host))
		return ACL_PARSE_SYNTAX;
	memcpy(host, text, n);
	host[n] = '\0';
	if (slash != NULL) {
		/* Digits only: strtol would take " 8", "+8" and "8x". */
		for (i = 1, len = 0; slash[i] != '\0'; i++) {
			if (!isdigit((unsigned char)slash[i]) || i > 3)
				return ACL_PARSE_SYNTAX;
			len = len * 10 + (slash[i] - '0');
		}
		if (i == 1)
			return ACL_PARSE_SYNTAX;
	}
	if (inet_pton(AF_INET, host, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		(void)addr_key((struct sockaddr *)&sin, &p->addr);
		max = 32;
	} else if (inet_pton(AF_INET6, host, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		(void)addr_key((struct sockaddr *)&sin6, &p->addr);
		max = 128;
	} else
		return ACL_PARSE_SYNTAX;
	if (len > max)
		return ACL_PARSE_LENGTH;
	p->len = (len == -1 ? max : len) + 128 - max;
	prefix_range(p, &r);
	if (key_cmp(&r.lo, &p->addr) != 0) {
		p->addr = r.lo;
		return ACL_PARSE_HOST_BITS;
	}
	return ACL_PARSE_OK;
}

struct acl *
acl_create(const struct acl_prefix *p, size_t n)
{
	struct acl *a;
	size_t i, k;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	if (n > 0 && (a->r = calloc(n, sizeof(*a->r))) == NULL) {
		free(a);
		return NULL;
	}
	for (i = 0; i < n; i++)
		prefix_range(&p[i], &a->r[i]);
	if (n > 1)
		qsort(a->r, n, sizeof(*a->r), range_cmp);
	for (i = k = 0; i < n; i++) {
		if (k > 0 && (key_cmp(&a->r[i].lo, &a->r[k - 1].hi) <= 0 ||
		    follows(&a->r[k - 1].hi, &a->r[i].lo))) {
			if (key_cmp(&a->r[i].hi, &a->r[k - 1].hi) > 0)
				a->r[k - 1].hi = a->r[i].hi;
			continue;
		}
		a->r[k++] = a->r[i];
	}
	a->n = k;
	return a;
}

bool
acl_match(const struct acl *a, const struct addr_key *k)
{
	size_t lo = 0, hi = a->n, mid;

	/* The last range starting at or below k is the only candidate. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (key_cmp(&a->r[mid].lo, k) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && key_cmp(k, &a->r[lo - 1].hi) <= 0;
}

bool
acl_match_sa(const struct acl *a, const struct sockaddr *sa)
{
	struct addr_key k;

	return addr_key(sa, &k) && acl_match(a, &k);
}

size_t
acl_ranges(const struct acl *a)
{
	return a->n;
}

void
acl_destroy(struct acl *a)
{
	if (a == NULL)
		return;
	free(a->r);
	free(a);
}
