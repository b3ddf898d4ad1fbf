/* fuzz.h: what every fuzz target defines, and the check that stops a run. */
#ifndef ECHOD_FUZZ_H
#define ECHOD_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The fuzzer's input, read front to back by the targets that parse it. */
struct input {
	const uint8_t	*p;
	size_t		 left;
};

/* The next `n` bytes into `out`; false, taking nothing, if fewer are left. */
static inline bool
fuzz_take(struct input *in, void *out, size_t n)
{
	if (in->left < n)
		return false;
	memcpy(out, in->p, n);
	in->p += n;
	in->left -= n;
	return true;
}

#endif
