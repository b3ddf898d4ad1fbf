/* hist.h: log-bucket latency histogram (HdrHistogram layout). */
#ifndef ECHOPROBE_HIST_H
#define ECHOPROBE_HIST_H

#include <stdint.h>

/*
 * Values (nanoseconds) below HIST_SUB are counted exactly; above, every
 * power of two is split into HIST_HALF buckets, so a reported value is
 * within 1/HIST_HALF (0.2%) of the true one.  Values of 2^HIST_MAX_BITS ns
 * (18 minutes) and more are counted in the last bucket.  The struct has a
 * fixed size and no pointers, so processes merge histograms by sending
 * them through a pipe as they are.
 */
#define HIST_SUB_BITS	10
#define HIST_SUB	(1U << HIST_SUB_BITS)
#define HIST_HALF	(HIST_SUB / 2)
#define HIST_MAX_BITS	40
#define HIST_BUCKETS	((HIST_MAX_BITS - HIST_SUB_BITS + 2) * HIST_HALF)

struct hist {
	uint64_t	 total;
	uint64_t	 min;
	uint64_t	 max;
	uint64_t	 counts[HIST_BUCKETS];
};

void		 hist_init(struct hist *);
void		 hist_record(struct hist *, uint64_t);
void		 hist_merge(struct hist *, const struct hist *);
/* The value at percentile q (0..100]: the highest value its bucket holds. */
uint64_t	 hist_percentile(const struct hist *, double);
unsigned int	 hist_index(uint64_t);
uint64_t	 hist_bucket_high(unsigned int);

#endif
