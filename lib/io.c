/* io.c: whole writes and the descriptor limit, for both programs. */

#include <sys/resource.h>

#include <errno.h>
#include <unistd.h>

#include "io.h"

int
io_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
io_raise_nofile(uint64_t want, uint64_t *got)
{
	struct rlimit rl, up;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return -1;
	*got = rl.rlim_cur;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
		return 0;
	/* Only root may raise the hard limit; try, then settle for it. */
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
		up.rlim_cur = up.rlim_max = want;
		if (setrlimit(RLIMIT_NOFILE, &up) == 0) {
			*got = want;
			return 0;
		}
	}
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ?
	    want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		return -1;
	*got = rl.rlim_cur;
	return *got >= want ? 0 : -1;
}
