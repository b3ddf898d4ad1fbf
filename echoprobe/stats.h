/* stats.h: round-trip statistics as ping(8) prints them. */
#ifndef ECHOPROBE_STATS_H
#define ECHOPROBE_STATS_H

#include <stdint.h>

/*
 * Sums are kept in whole microseconds, as iputils ping keeps them, so
 * min/avg/max/mdev come out digit for digit as ping would print them.
 */
struct rtt_stats {
	long		 n;
	long		 min_us;
	long		 max_us;
	long long	 sum_us;
	long long	 sum2_us;
};

struct rtt_summary {
	long		 min_us;
	long		 avg_us;
	long		 max_us;
	long		 mdev_us;
};

void		 rtt_init(struct rtt_stats *);
void		 rtt_add(struct rtt_stats *, uint64_t);
void		 rtt_summarize(const struct rtt_stats *, struct rtt_summary *);
long		 rtt_isqrt(long long);
/* "0.052", "12.35", "123.5", "1234": ping's per-reply precision. */
const char	*rtt_format_us(long, char *, size_t);

#endif
