/* fuzz_echoprobe_reply.c: fuzz target: echoprobe reading a server's replies. */

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "hist.h"
#include "probe.h"
#include "stats.h"

#define PROBE_LEN_MAX	512
#define REPLY_LEN_MAX	1024

/*
 * A server may send anything, at any time.  The input is a probe (run
 * id, length) and a list of replies, each a delay and the bytes that
 * came back.  echoprobe tells its probes apart with probe_parse and
 * probe_diff and times them into its statistics and histogram; ping.c and
 * load.c call them from inside their event loops, so the target drives
 * these functions as the loops do, reply by reply.
 */
static uint64_t	 be(const uint8_t *, size_t);
static void	 check_reply(const struct probe_hdr *, const uint8_t *,
		    size_t, const uint8_t *, size_t);
static void	 check_times(const struct rtt_stats *, const struct hist *);

static uint64_t
be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* The checks agree with a plain comparison with the probe sent. */
static void
check_reply(const struct probe_hdr *h, const uint8_t *sent, size_t sent_len,
    const uint8_t *reply, size_t len)
{
	struct probe_hdr got;
	size_t n = len < sent_len ? len : sent_len, i;
	long at;

	at = probe_diff(reply, n, h);
	for (i = 0; i < n && reply[i] == sent[i]; i++)
		;
	FUZZ_CHECK(at == (i == n ? -1 : (long)i), "probe_diff %ld, byte %zu",
	    at, i);
	if (probe_parse(reply, len, h->run_id, &got)) {
		FUZZ_CHECK(len >= PROBE_HDR_LEN, "parsed %zu bytes", len);
		FUZZ_CHECK(memcmp(reply, "EPRB", 4) == 0, "magic");
		FUZZ_CHECK(got.run_id == h->run_id, "run id");
		FUZZ_CHECK(got.seq == be(reply + 8, 8) &&
		    got.sent_ns == be(reply + 16, 8), "header fields");
	} else if (len >= PROBE_HDR_LEN && sent_len >= PROBE_HDR_LEN)
		FUZZ_CHECK(memcmp(reply, sent, PROBE_HDR_LEN) != 0,
		    "our own header refused");
}

/* What the summary prints stays within what was recorded. */
static void
check_times(const struct rtt_stats *s, const struct hist *hg)
{
	struct rtt_summary r;
	char buf[32];
	uint64_t p, p100;

	rtt_summarize(s, &r);
	FUZZ_CHECK(r.min_us <= r.avg_us && r.avg_us <= r.max_us,
	    "min %ld avg %ld max %ld", r.min_us, r.avg_us, r.max_us);
	FUZZ_CHECK(r.mdev_us >= 0, "mdev %ld", r.mdev_us);
	(void)rtt_format_us(r.min_us, buf, sizeof(buf));
	(void)rtt_format_us(r.avg_us, buf, sizeof(buf));
	(void)rtt_format_us(r.max_us, buf, sizeof(buf));
	(void)rtt_format_us(r.mdev_us, buf, sizeof(buf));
	if (hg->total == 0)
		return;
	/* Each call walks every bucket: two, to keep the target fast. */
	p = hist_percentile(hg, 99.9);
	p100 = hist_percentile(hg, 100);
	FUZZ_CHECK(hg->min <= p && p <= p100 && p100 <= hg->max,
	    "percentiles %llu %llu of %llu..%llu", (unsigned long long)p,
	    (unsigned long long)p100, (unsigned long long)hg->min,
	    (unsigned long long)hg->max);
}

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
	static uint8_t sent[PROBE_LEN_MAX], reply[REPLY_LEN_MAX];
	static struct hist hist;	/* 128 KiB: not on the heap each run */
	struct input in = { data, len };
	struct hist *hg = &hist;
	struct probe_hdr h;
	struct rtt_stats s;
	uint8_t head[6], rec[6];
	size_t sent_len, n;
	uint64_t rtt_ns;

	if (!fuzz_take(&in, head, sizeof(head)))
		return 0;
	h.run_id = (uint32_t)be(head, 4);
	sent_len = 1 + be(head + 4, 2) % PROBE_LEN_MAX;
	rtt_init(&s);
	hist_init(hg);
	/* Each reply: 4 bytes of delay in microseconds, 2 of length, bytes. */
	for (h.seq = 1; fuzz_take(&in, rec, sizeof(rec)); h.seq++) {
		n = be(rec + 4, 2) % (REPLY_LEN_MAX + 1);
		if (n > in.left)
			n = in.left;
		(void)fuzz_take(&in, reply, n);
		h.sent_ns = h.seq * UINT64_C(1000000000);
		probe_fill(sent, sent_len, &h);
		check_reply(&h, sent, sent_len, reply, n);
		/*
		 * ping.c times a duplicate against the slot's send time for
		 * as long as the slot lives: a server that holds a reply
		 * back, or repeats it, chooses the round trip.
		 */
		rtt_ns = be(rec, 4) * UINT64_C(1000);
		rtt_add(&s, rtt_ns);
		hist_record(hg, rtt_ns);
	}
	check_times(&s, hg);
	return 0;
}
