/* shim.c: make chosen libc calls fail on demand in the real echod (LD_PRELOAD). */

#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"

/*
 * The next definition of each call: libc's, or the sanitizer's wrapper of
 * it when echod is built with ASan (the shim comes first either way).
 */
static pid_t	 (*real_fork)(void);
static int	 (*real_epoll_create1)(int);
static int	 (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
static void	*(*real_malloc)(size_t);
static void	*(*real_calloc)(size_t, size_t);
static void	*(*real_realloc)(void *, size_t);
static void	 (*real_free)(void *);
static int	 (*real_epoll_ctl)(int, int, int, struct epoll_event *);
static ssize_t	 (*real_recv)(int, void *, size_t, int);
static ssize_t	 (*real_send)(int, const void *, size_t, int);
static int	 (*real_recvmmsg)(int, struct mmsghdr *, unsigned int, int,
		    struct timespec *);
static int	 (*real_sendmmsg)(int, struct mmsghdr *, unsigned int, int);
static ssize_t	 (*real_pwrite)(int, const void *, size_t, off_t);
static void	*(*real_mmap)(void *, size_t, int, int, int, off_t);

static struct fault_ctl *ctl;

/*
 * dlsym may allocate (its error buffer) while the allocator itself is
 * being looked up: such early requests come from this arena and are
 * never freed.
 */
static _Alignas(16) unsigned char early[4096];
static size_t early_used;
static bool resolving;

static void	 shim_init(void) __attribute__((constructor));
static void	 resolve(void);
static void	*early_alloc(size_t);
static bool	 is_early(const void *);
static int	 shim_fail(enum fault_call);

static void
resolve(void)
{
	resolving = true;
#define LOOKUP(name) do {						\
	void *sym;							\
									\
	if (real_##name == NULL && (sym = dlsym(RTLD_NEXT, #name)) != NULL) \
		memcpy(&real_##name, &sym, sizeof(sym));		\
} while (0)
	LOOKUP(malloc);
	LOOKUP(calloc);
	LOOKUP(realloc);
	LOOKUP(free);
	LOOKUP(fork);
	LOOKUP(epoll_create1);
	LOOKUP(accept4);
	LOOKUP(epoll_ctl);
	LOOKUP(recv);
	LOOKUP(send);
	LOOKUP(recvmmsg);
	LOOKUP(sendmmsg);
	LOOKUP(pwrite);
	LOOKUP(mmap);
#undef LOOKUP
	resolving = false;
}

static void *
early_alloc(size_t n)
{
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (n > sizeof(early) - early_used)
		return NULL;
	p = early + early_used;
	early_used += n;
	return p;
}

static bool
is_early(const void *p)
{
	return (const unsigned char *)p >= early &&
	    (const unsigned char *)p < early + sizeof(early);
}

static void
shim_init(void)
{
	const char *path;
	void *p;
	int fd;

	resolve();
	if ((path = getenv("ECHOD_FAULT_FILE")) == NULL ||
	    (fd = open(path, O_RDWR | O_CLOEXEC)) == -1)
		return;
	p = real_mmap(NULL, sizeof(*ctl), PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	(void)close(fd);
	if (p != MAP_FAILED && ((struct fault_ctl *)p)->magic == FAULT_MAGIC)
		ctl = p;
}

/* Whether this call fails; sets errno if so.  Atomic: workers race. */
static int
shim_fail(enum fault_call call)
{
	struct fault_rule *r;
	int32_t err, n, pid;

	if (ctl == NULL)
		return 0;
	r = &ctl->rule[call];
	if ((err = __atomic_load_n(&r->err, __ATOMIC_ACQUIRE)) == 0)
		return 0;
	if ((pid = __atomic_load_n(&r->pid, __ATOMIC_RELAXED)) != 0 &&
	    (pid > 0 ? getpid() != pid : getpid() == -pid))
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
	if (shim_fail(FAULT_FORK))
		return -1;
	resolve();
	return real_fork();
}

int
epoll_create1(int flags)
{
	if (shim_fail(FAULT_EPOLL_CREATE1))
		return -1;
	resolve();
	return real_epoll_create1(flags);
}

int
accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags)
{
	if (shim_fail(FAULT_ACCEPT4))
		return -1;
	resolve();
	return real_accept4(fd, sa, len, flags);
}

void *
malloc(size_t n)
{
	if (real_malloc == NULL && resolving)
		return early_alloc(n);
	if (shim_fail(FAULT_MALLOC))
		return NULL;
	if (real_malloc == NULL)
		resolve();
	return real_malloc(n);
}

void *
calloc(size_t n, size_t size)
{
	if (real_calloc == NULL && resolving)
		return n != 0 && size > SIZE_MAX / n ? NULL :
		    early_alloc(n * size);	/* static: already zero */
	if (shim_fail(FAULT_MALLOC))
		return NULL;
	if (real_calloc == NULL)
		resolve();
	return real_calloc(n, size);
}

void *
realloc(void *p, size_t n)
{
	void *q;

	size_t left;

	if (is_early(p)) {
		/* Rare: copy out of the arena, which keeps no sizes. */
		left = sizeof(early) - (size_t)((unsigned char *)p - early);
		if ((q = malloc(n)) != NULL)
			memcpy(q, p, n < left ? n : left);
		return q;
	}
	if (shim_fail(FAULT_MALLOC))
		return NULL;
	if (real_realloc == NULL)
		resolve();
	return real_realloc(p, n);
}

void
free(void *p)
{
	if (p == NULL || is_early(p))
		return;
	if (real_free == NULL)
		resolve();
	real_free(p);
}

int
epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	if (op == EPOLL_CTL_ADD && shim_fail(FAULT_EPOLL_CTL))
		return -1;
	resolve();
	return real_epoll_ctl(epfd, op, fd, ev);
}

ssize_t
recv(int fd, void *buf, size_t len, int flags)
{
	if (shim_fail(FAULT_RECV))
		return -1;
	resolve();
	return real_recv(fd, buf, len, flags);
}

ssize_t
send(int fd, const void *buf, size_t len, int flags)
{
	if (shim_fail(FAULT_SEND))
		return -1;
	resolve();
	return real_send(fd, buf, len, flags);
}

int
recvmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags,
    struct timespec *ts)
{
	if (shim_fail(FAULT_RECVMMSG))
		return -1;
	resolve();
	return real_recvmmsg(fd, v, n, flags, ts);
}

/* A partial send is no error: the call succeeds for fewer messages. */
int
sendmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags)
{
	int32_t partial = 0;
	int saved = errno;

	if (shim_fail(FAULT_SENDMMSG)) {
		if (ctl == NULL || (partial = __atomic_load_n(
		    &ctl->rule[FAULT_SENDMMSG].partial, __ATOMIC_RELAXED)) <= 0)
			return -1;
		errno = saved;
		if (n > (unsigned)partial)
			n = (unsigned)partial;
	}
	resolve();
	return real_sendmmsg(fd, v, n, flags);
}

ssize_t
pwrite(int fd, const void *buf, size_t len, off_t off)
{
	if (shim_fail(FAULT_PWRITE))
		return -1;
	resolve();
	return real_pwrite(fd, buf, len, off);
}

void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if ((flags & MAP_SHARED) && shim_fail(FAULT_MMAP))
		return MAP_FAILED;
	if (real_mmap == NULL)
		resolve();
	return real_mmap(addr, len, prot, flags, fd, off);
}
