/* acl.h: match addresses against sets of CIDR prefixes (sorted ranges). */
#ifndef ECHOD_ACL_H
#define ECHOD_ACL_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

/* An IPv4 prefix is held as its IPv4-mapped IPv6 form, 96 bits longer. */
struct acl_prefix {
	struct addr_key		 addr;
	int			 len;		/* 0..128 */
};

enum acl_parse_result {
	ACL_PARSE_OK,
	ACL_PARSE_SYNTAX,	/* not "address" or "address/length" */
	ACL_PARSE_LENGTH,	/* length past 32 (IPv4) or 128 (IPv6) */
	ACL_PARSE_HOST_BITS	/* bits set past the length; *p is masked */
};

/* An immutable set; matching costs a binary search, whatever its size. */
struct acl;

/* Pure: "10.0.0.0/8", "2001:db8::/32", "192.0.2.1" (a /32) into `p`. */
enum acl_parse_result	 acl_parse(const char *, struct acl_prefix *);
/* NULL with errno set if out of memory; `n` may be 0 (matches nothing). */
struct acl		*acl_create(const struct acl_prefix *, size_t);
bool			 acl_match(const struct acl *, const struct addr_key *);
bool			 acl_match_sa(const struct acl *,
			    const struct sockaddr *);
/* Disjoint ranges after merging overlapping and adjacent prefixes. */
size_t			 acl_ranges(const struct acl *);
void			 acl_destroy(struct acl *);

#endif
