/* shim.c: make chosen libc calls fail on demand in the real echod (LD_PRELOAD). */

#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/types.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "fault.h"

static struct fault_ctl *ctl;

static void	 shim_init(void) __attribute__((constructor));
static int	 shim_fail(enum fault_call);

static void
shim_init(void)
{
	const char *path = getenv("ECHOD_FAULT_FILE");
	void *p;
	int fd;

	if (path == NULL || (fd = open(path, O_RDWR | O_CLOEXEC)) == -1)
		return;
	p = mmap(NULL, sizeof(*ctl), PROT_READ | PROT_WRITE, MAP_SHARED, fd,
	    0);
	(void)close(fd);
	if (p != MAP_FAILED && ((struct fault_ctl *)p)->magic == FAULT_MAGIC)
		ctl = p;
}

/* Whether this call fails; sets errno if so.  Atomic: workers race. */
static int
shim_fail(enum fault_call call)
{
	struct fault_rule *r;
	int32_t err, n;

	if (ctl == NULL)
		return 0;
	r = &ctl->rule[call];
	if ((err = __atomic_load_n(&r->err, __ATOMIC_ACQUIRE)) == 0)
		return 0;
	if (__atomic_load_n(&r->skip, __ATOMIC_RELAXED) > 0 &&
	    __atomic_sub_fetch(&r->skip, 1, __ATOMIC_RELAXED) >= 0)
		return 0;
	n = __atomic_load_n(&r->count, __ATOMIC_RELAXED);
	if (n == 0)
		return 0;
	if (n > 0 && __atomic_sub_fetch(&r->count, 1, __ATOMIC_RELAXED) < 0)
		return 0;
	__atomic_add_fetch(&r->hits, 1, __ATOMIC_RELAXED);
	errno = err;
	return 1;
}

pid_t
fork(void)
{
	static pid_t (*real)(void);

	if (shim_fail(FAULT_FORK))
		return -1;
	if (real == NULL)
		real = (pid_t (*)(void))dlsym(RTLD_NEXT, "fork");
	return real();
}

int
epoll_create1(int flags)
{
	static int (*real)(int);

	if (shim_fail(FAULT_EPOLL_CREATE1))
		return -1;
	if (real == NULL)
		real = (int (*)(int))dlsym(RTLD_NEXT, "epoll_create1");
	return real(flags);
}
