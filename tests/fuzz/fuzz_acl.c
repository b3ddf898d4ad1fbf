/* fuzz_acl.c: fuzz target: CIDR parsing and access-list matching. */

#include <sys/socket.h>
#include <netinet/in.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "addr.h"
#include "fuzz.h"

#define PREFIX_MAX	64
#define TEXT_MAX	64

/*
 * The input is lines: each a CIDR as a configuration would hold it, the
 * last 16 bytes of the input an address to look up.  Whatever the text,
 * acl_parse says why it refuses or gives a prefix of a length in range
 * with no bits past it; and the sorted-range matcher agrees with a plain
 * scan of the prefixes, the model.
 */
static void	 masks(int, uint64_t *, uint64_t *);
static bool	 in_prefix(const struct acl_prefix *, const struct addr_key *);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* The network part of a /len, as masks over the two halves. */
static void
masks(int len, uint64_t *mhi, uint64_t *mlo)
{
	*mhi = len >= 64 ? UINT64_MAX : len == 0 ? 0 :
	    UINT64_MAX << (64 - len);
	*mlo = len <= 64 ? 0 : len >= 128 ? UINT64_MAX :
	    UINT64_MAX << (128 - len);
}

/* The model: the first `len` bits of `k` are the prefix's. */
static bool
in_prefix(const struct acl_prefix *p, const struct addr_key *k)
{
	uint64_t mhi, mlo;

	masks(p->len, &mhi, &mlo);
	return (k->hi & mhi) == (p->addr.hi & mhi) &&
	    (k->lo & mlo) == (p->addr.lo & mlo);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct acl_prefix p[PREFIX_MAX];
	struct addr_key key;
	char text[TEXT_MAX];
	enum acl_parse_result r;
	const uint8_t *end, *nl;
	struct acl *acl;
	uint64_t mhi, mlo;
	size_t n = 0, i, tl;
	bool model = false;

	if (len < sizeof(key))
		return 0;
	memset(p, 0, sizeof(p));	/* gcc cannot see n guards them */
	memcpy(&key, data + len - sizeof(key), sizeof(key));
	end = data + len - sizeof(key);
	while (data < end && n < PREFIX_MAX) {
		nl = memchr(data, '\n', end - data);
		tl = (nl != NULL ? nl : end) - data;
		if (tl < TEXT_MAX) {
			memcpy(text, data, tl);
			text[tl] = '\0';
			r = acl_parse(text, &p[n]);
			FUZZ_CHECK(r == ACL_PARSE_OK || r == ACL_PARSE_SYNTAX ||
			    r == ACL_PARSE_LENGTH || r == ACL_PARSE_HOST_BITS,
			    "result %d", (int)r);
			if (r == ACL_PARSE_OK) {
				FUZZ_CHECK(p[n].len >= 0 && p[n].len <= 128,
				    "length %d for \"%s\"", p[n].len, text);
				masks(p[n].len, &mhi, &mlo);
				FUZZ_CHECK((p[n].addr.hi & ~mhi) == 0 &&
				    (p[n].addr.lo & ~mlo) == 0,
				    "\"%s\" has bits past its length", text);
				n++;
			}
		}
		data += tl + (nl != NULL);
	}
	if ((acl = acl_create(p, n)) == NULL)
		return 0;
	for (i = 0; i < n; i++)
		model |= in_prefix(&p[i], &key);
	FUZZ_CHECK(acl_match(acl, &key) == model, "match %d, model %d of %zu "
	    "prefixes", acl_match(acl, &key), model, n);
	FUZZ_CHECK(acl_ranges(acl) <= n, "%zu ranges of %zu prefixes",
	    acl_ranges(acl), n);
	acl_destroy(acl);
	return 0;
}
