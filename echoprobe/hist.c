/* hist.c: log-bucket latency histogram (HdrHistogram layout). */

#include <math.h>
#include <string.h>

#include "hist.h"

void
hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

/*
 * Above HIST_SUB, a value whose highest set bit is msb lands in group
 * e = msb - HIST_SUB_BITS + 1, where v >> e keeps HIST_SUB_BITS significant
 * bits and always lies in [HIST_HALF, HIST_SUB): e * HIST_HALF + (v >> e)
 * continues the exact range with no gap and no overlap.
 */
unsigned int
hist_index(uint64_t v)
{
	unsigned int e;

	if (v >= (UINT64_C(1) << HIST_MAX_BITS))
		v = (UINT64_C(1) << HIST_MAX_BITS) - 1;
	if (v < HIST_SUB)
		return (unsigned int)v;
	e = (unsigned int)(63 - __builtin_clzll(v)) - HIST_SUB_BITS + 1;
	return e * HIST_HALF + (unsigned int)(v >> e);
}

uint64_t
hist_bucket_high(unsigned int idx)
{
	unsigned int e;

	if (idx < HIST_SUB)
		return idx;
	e = idx / HIST_HALF - 1;
	return ((uint64_t)(idx - e * HIST_HALF) << e) + (UINT64_C(1) << e) - 1;
}

void
hist_record(struct hist *h, uint64_t v)
{
	h->counts[hist_index(v)]++;
	h->total++;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void
hist_merge(struct hist *dst, const struct hist *src)
{
	unsigned int i;

	if (src->total == 0)
		return;
	for (i = 0; i < HIST_BUCKETS; i++)
		dst->counts[i] += src->counts[i];
	dst->total += src->total;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t
hist_percentile(const struct hist *h, double q)
{
	uint64_t target, seen = 0, v;
	unsigned int i;

	if (h->total == 0)
		return 0;
	target = (uint64_t)ceil(q / 100.0 * (double)h->total);
	if (target < 1)
		target = 1;
	if (target > h->total)
		target = h->total;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->counts[i];
		if (seen >= target)
			break;
	}
	/* The exact extremes are known: never report beyond them. */
	v = hist_bucket_high(i);
	if (v > h->max)
		v = h->max;
	if (v < h->min)
		v = h->min;
	return v;
}
