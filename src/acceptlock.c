/* acceptlock.c: serialize accept() across TCP workers (mutex, fcntl or none). */

#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acceptlock.h"
#include "log.h"

/* What lives in shared memory: only the mutex, as STYLE asks. */
struct acceptlock_shm {
	pthread_mutex_t		 mutex;
};

struct acceptlock {
	enum acceptlock_kind	 kind;
	struct acceptlock_shm	*shm;		/* ACCEPTLOCK_MUTEX */
	int			 fd;		/* ACCEPTLOCK_FCNTL */
	bool			 recovered;	/* took over a dead holder's */
};

static int	 mutex_create(struct acceptlock *);
static int	 fcntl_create(struct acceptlock *);
static int	 fcntl_lock(int, short, int);

static const char *names[] = { "mutex", "fcntl", "none" };

static int
mutex_create(struct acceptlock *al)
{
	pthread_mutexattr_t attr;
	int error;

	al->shm = mmap(NULL, sizeof(*al->shm), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (al->shm == MAP_FAILED) {
		log_warn("accept lock: mmap %zu bytes", sizeof(*al->shm));
		al->shm = NULL;
		return -1;
	}
	/*
	 * Robust: a worker SIGKILLed while holding the lock must not stop
	 * every other worker from accepting.  No priority inheritance: all
	 * workers run at one priority and PI only adds futex syscalls.
	 */
	if ((error = pthread_mutexattr_init(&attr)) != 0 ||
	    (error = pthread_mutexattr_setpshared(&attr,
	    PTHREAD_PROCESS_SHARED)) != 0 ||
	    (error = pthread_mutexattr_setrobust(&attr,
	    PTHREAD_MUTEX_ROBUST)) != 0 ||
	    (error = pthread_mutex_init(&al->shm->mutex, &attr)) != 0) {
		errno = error;
		log_warn("accept lock: pthread_mutex_init");
		(void)munmap(al->shm, sizeof(*al->shm));
		al->shm = NULL;
		return -1;
	}
	(void)pthread_mutexattr_destroy(&attr);
	return 0;
}

/*
 * An anonymous memfd: no lock file to place, clean up or have removed by
 * tmpreaper.  Record locks belong to the process, so every worker can lock
 * through the descriptor it inherits; the kernel drops a dead holder's
 * lock.  A worker must never close another descriptor of this file, which
 * would drop its lock: the memfd has no name to open a second one by.
 */
static int
fcntl_create(struct acceptlock *al)
{
	if ((al->fd = memfd_create("echod-acceptlock", MFD_CLOEXEC)) == -1) {
		log_warn("accept lock: memfd_create");
		return -1;
	}
	return 0;
}

static int
fcntl_lock(int fd, short type, int cmd)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	return fcntl(fd, cmd, &fl);
}

struct acceptlock *
acceptlock_create(enum acceptlock_kind kind)
{
	struct acceptlock *al;

	if ((al = calloc(1, sizeof(*al))) == NULL) {
		log_warn("accept lock: calloc");
		return NULL;
	}
	al->kind = kind;
	al->fd = -1;
	if ((kind == ACCEPTLOCK_MUTEX && mutex_create(al) == -1) ||
	    (kind == ACCEPTLOCK_FCNTL && fcntl_create(al) == -1)) {
		free(al);
		return NULL;
	}
	return al;
}

int
acceptlock_try(struct acceptlock *al)
{
	int error;

	switch (al->kind) {
	case ACCEPTLOCK_MUTEX:
		error = pthread_mutex_trylock(&al->shm->mutex);
		if (error == 0)
			return 1;
		if (error == EBUSY)
			return 0;
		if (error == EOWNERDEAD) {
			/* The holder died mid-accept; nothing to repair. */
			if ((error = pthread_mutex_consistent(
			    &al->shm->mutex)) != 0) {
				errno = error;
				return -1;
			}
			al->recovered = true;
			return 1;
		}
		errno = error;
		return -1;
	case ACCEPTLOCK_FCNTL:
		if (fcntl_lock(al->fd, F_WRLCK, F_SETLK) == 0)
			return 1;
		if (errno == EACCES || errno == EAGAIN)
			return 0;
		return -1;
	case ACCEPTLOCK_NONE:
		return 1;
	}
	return -1;
}

void
acceptlock_release(struct acceptlock *al)
{
	switch (al->kind) {
	case ACCEPTLOCK_MUTEX:
		(void)pthread_mutex_unlock(&al->shm->mutex);
		break;
	case ACCEPTLOCK_FCNTL:
		(void)fcntl_lock(al->fd, F_UNLCK, F_SETLK);
		break;
	case ACCEPTLOCK_NONE:
		break;
	}
}

/* Unmaps or closes this process's view; other processes keep theirs. */
void
acceptlock_destroy(struct acceptlock *al)
{
	if (al == NULL)
		return;
	if (al->shm != NULL)
		(void)munmap(al->shm, sizeof(*al->shm));
	if (al->fd != -1)
		(void)close(al->fd);
	free(al);
}

enum acceptlock_kind
acceptlock_kind(const struct acceptlock *al)
{
	return al->kind;
}

/* Whether the last acquisition took over from a dead holder; clears it. */
bool
acceptlock_recovered(struct acceptlock *al)
{
	bool r = al->recovered;

	al->recovered = false;
	return r;
}

const char *
acceptlock_name(enum acceptlock_kind kind)
{
	return names[kind];
}

int
acceptlock_from_name(const char *name)
{
	int i;

	for (i = 0; i < 3; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}
