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

void
rtt_add(struct rtt_stats *s, uint64_t rtt_ns)
{
	long us = (long)(rtt_ns / 1000);

	s->n++;
	s->sum_us += us;
	s->sum2_us += (long long)us * us;
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
	out->mdev_us = rtt_isqrt(var);
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
