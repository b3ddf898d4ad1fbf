/* stats.c: round-trip statistics as ping(8) prints them. */

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "stats.h"

void
rtt_init(struct rtt_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->min_us = LONG_MAX;
}

/*
 * The server picks the round trip of a duplicate (ping.c times it against
 * the slot, for as long as the slot lives) and how many it sends: an hour
 * squared, or millions of seconds, overflowed the sums (found by
 * fuzz_echoprobe_reply).  Each sample is capped where its square still
 * fits and the sums stop at LLONG_MAX; ordinary runs are untouched.
 */
#define RTT_US_CAP	3037000499LL	/* floor(sqrt(LLONG_MAX)) */

static long long
add_capped(long long sum, long long v)
{
	return sum > LLONG_MAX - v ? LLONG_MAX : sum + v;
}

void
rtt_add(struct rtt_stats *s, uint64_t rtt_ns)
{
	long us = (long)(rtt_ns / 1000 > RTT_US_CAP ? RTT_US_CAP :
	    rtt_ns / 1000);

	s->n++;
	s->sum_us = add_capped(s->sum_us, us);
	s->sum2_us = add_capped(s->sum2_us, (long long)us * us);
	if (us < s->min_us)
		s->min_us = us;
	if (us > s->max_us)
		s->max_us = us;
}

/*
 * Newton's method on integers, as iputils' llsqrt(): it returns the root
 * of a + 1 when that is a perfect square.  Kept so mdev prints as ping's.
 */
long
rtt_isqrt(long long a)
{
	long long prev = LLONG_MAX, x = a;

	if (x > 0) {
		while (x < prev) {
			prev = x;
			x = (x + (a / x)) / 2;
		}
	}
	return (long)x;
}

/*
 * iputils ping_common.c finish(): the variance is computed in integer
 * microseconds, in this order, "to avoid integer rounding errors for
 * small ping times"; a different order gives a different mdev.
 */
void
rtt_summarize(const struct rtt_stats *s, struct rtt_summary *out)
{
	long long var;

	memset(out, 0, sizeof(*out));
	if (s->n == 0)
		return;
	out->min_us = s->min_us;
	out->max_us = s->max_us;
	out->avg_us = (long)(s->sum_us / s->n);
	if (s->sum_us < INT_MAX)
		var = (s->sum2_us - ((s->sum_us * s->sum_us) / s->n)) / s->n;
	else
		var = (s->sum2_us / s->n) -
		    (long long)out->avg_us * out->avg_us;
	/* Capped sums can leave it below zero; a spread is never negative. */
	out->mdev_us = var > 0 ? rtt_isqrt(var) : 0;
}

const char *
rtt_format_us(long us, char *buf, size_t buf_len)
{
	if (us >= 100000)
		(void)snprintf(buf, buf_len, "%ld", us / 1000);
	else if (us >= 10000)
		(void)snprintf(buf, buf_len, "%ld.%01ld", us / 1000,
		    (us % 1000) / 100);
	else if (us >= 1000)
		(void)snprintf(buf, buf_len, "%ld.%02ld", us / 1000,
		    (us % 1000) / 10);
	else
		(void)snprintf(buf, buf_len, "%ld.%03ld", us / 1000, us % 1000);
	return buf;
}
