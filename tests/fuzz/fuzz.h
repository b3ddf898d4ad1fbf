/* fuzz.h: what every fuzz target defines, and the check that stops a run. */
#ifndef ECHOD_FUZZ_H
#define ECHOD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/*
 * The libFuzzer interface.  The same targets link with replay.c instead
 * of libFuzzer in ordinary builds, which runs them once over their
 * committed corpus and regression inputs (make check).
 */
int	 LLVMFuzzerInitialize(int *, char ***);
int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * A property the code under test broke: abort, so libFuzzer saves the
 * input as a crash and replay.c fails.  Not assert(): NDEBUG must not
 * turn the oracles off.
 */
#define FUZZ_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		(void)fprintf(stderr, "%s:%d: %s: ", __FILE__,		\
		    __LINE__, #cond);					\
		(void)fprintf(stderr, __VA_ARGS__);			\
		(void)fputc('\n', stderr);				\
		abort();						\
	}								\
} while (0)

#endif
