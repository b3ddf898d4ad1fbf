/* fuzz_proxyproto.c: fuzz target: the PROXY protocol header parser. */

#include <sys/socket.h>
#include <netinet/in.h>

#include <string.h>

#include "fuzz.h"
#include "proxyproto.h"

/*
 * The input is what a client sent first.  Whatever it is, the parser
 * says MORE, OK or BAD; an OK header lies within the input and names an
 * IPv4, IPv6 or no address; MORE never comes for a buffer the full size;
 * and feeding the same bytes in two pieces gives the same verdict, as a
 * worker that reads the header in several recv calls would see.
 */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct sockaddr_storage src, again;
	enum proxyproto_result r, r2;
	size_t hlen = 0, hlen2 = 0, cut;

	memset(&src, 0xa5, sizeof(src));
	r = proxyproto_parse(data, len, &hlen, &src);
	FUZZ_CHECK(r == PROXYPROTO_MORE || r == PROXYPROTO_OK ||
	    r == PROXYPROTO_BAD, "result %d", (int)r);
	if (r == PROXYPROTO_OK) {
		FUZZ_CHECK(hlen > 0 && hlen <= len && hlen <= PROXYPROTO_MAX,
		    "header length %zu of %zu", hlen, len);
		FUZZ_CHECK(src.ss_family == AF_INET ||
		    src.ss_family == AF_INET6 || src.ss_family == AF_UNSPEC,
		    "family %d", src.ss_family);
		/* The header alone parses the same: nothing past it counts. */
		memset(&again, 0, sizeof(again));
		r2 = proxyproto_parse(data, hlen, &hlen2, &again);
		FUZZ_CHECK(r2 == PROXYPROTO_OK && hlen2 == hlen,
		    "header alone: %d, %zu", (int)r2, hlen2);
	}
	if (r == PROXYPROTO_MORE)
		FUZZ_CHECK(len < PROXYPROTO_MAX, "more after %zu bytes", len);
	/* A prefix is never judged worse than MORE if the whole is fine. */
	if (r == PROXYPROTO_OK && len > 0) {
		cut = hlen > 1 ? hlen - 1 : 0;
		r2 = proxyproto_parse(data, cut, &hlen2, &again);
		FUZZ_CHECK(r2 == PROXYPROTO_MORE || (r2 == PROXYPROTO_OK &&
		    hlen2 <= cut), "prefix of %zu: %d", cut, (int)r2);
	}
	return 0;
}
