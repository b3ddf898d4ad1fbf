/* probe.c: the bytes of one probe: header (magic, run, seq, time), pattern. */

#include <string.h>

#include "probe.h"

static const unsigned char probe_magic[4] = { 'E', 'P', 'R', 'B' };

static void	 put_be(unsigned char *, uint64_t, int);
static uint64_t	 get_be(const unsigned char *, int);
static unsigned char probe_byte(const unsigned char *,
		    const struct probe_hdr *, size_t);

static void
put_be(unsigned char *p, uint64_t v, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

static uint64_t
get_be(const unsigned char *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

static unsigned char
probe_byte(const unsigned char *hdr, const struct probe_hdr *h, size_t i)
{
	if (i < PROBE_HDR_LEN)
		return hdr[i];
	return (unsigned char)(h->seq * 131 + i * 7 + (i >> 8));
}

void
probe_header(unsigned char *hdr, const struct probe_hdr *h)
{
	memcpy(hdr, probe_magic, sizeof(probe_magic));
	put_be(hdr + 4, h->run_id, 4);
	put_be(hdr + 8, h->seq, 8);
	put_be(hdr + 16, h->sent_ns, 8);
}

void
probe_fill(unsigned char *buf, size_t len, const struct probe_hdr *h)
{
	unsigned char hdr[PROBE_HDR_LEN];
	size_t i;

	probe_header(hdr, h);
	for (i = 0; i < len; i++)
		buf[i] = probe_byte(hdr, h, i);
}

bool
probe_parse(const unsigned char *buf, size_t len, uint32_t run_id,
    struct probe_hdr *h)
{
	if (len < PROBE_HDR_LEN ||
	    memcmp(buf, probe_magic, sizeof(probe_magic)) != 0 ||
	    get_be(buf + 4, 4) != run_id)
		return false;
	h->run_id = run_id;
	h->seq = get_be(buf + 8, 8);
	h->sent_ns = get_be(buf + 16, 8);
	return true;
}

long
probe_diff(const unsigned char *buf, size_t len, const struct probe_hdr *h)
{
	unsigned char hdr[PROBE_HDR_LEN];
	size_t i;

	probe_header(hdr, h);
	for (i = 0; i < len; i++)
		if (buf[i] != probe_byte(hdr, h, i))
			return (long)i;
	return -1;
}
