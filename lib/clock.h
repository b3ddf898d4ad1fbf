/* clock.h: the one monotonic clock of echod, echoprobe and the tests. */
#ifndef ECHOD_CLOCK_H
#define ECHOD_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC: durations and deadlines never jump with the date. */
uint64_t	 clock_now_ns(void);
uint64_t	 clock_now_ms(void);

#endif
