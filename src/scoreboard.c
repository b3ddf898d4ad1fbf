/* scoreboard.c: what workers and the master publish, to each other and to `echod -s`. */

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "scoreboard.h"

#define SB_MAGIC	0x65636873U	/* "echs" */
#define SB_VERSION	1
#define SNAPSHOT_TRIES	1000

/*
 * Relaxed atomics throughout: each field has a single writer, and a
 * reader that sees a value a moment old misjudges one hand-off or prints
 * a count a moment old, no more.  The slot's `serving` flag and the
 * header's `seq` order what must be ordered.
 */
struct sb_slot {
	atomic_int		 used;		/* the master's */
	atomic_int		 pid;
	atomic_int		 generation;
	atomic_int		 kind;
	atomic_int		 number;
	atomic_bool		 serving;	/* the worker's, from here */
	atomic_bool		 draining;
	atomic_bool		 waiting;	/* listeners armed, not busy */
	atomic_int		 conns;
	_Atomic uint64_t	 heartbeat_ms;
	_Atomic uint64_t	 stat[STAT_N];
} __attribute__((aligned(64)));

struct sb_header {
	uint32_t		 magic;
	uint32_t		 version;
	uint32_t		 slot_size;
	uint32_t		 nslots;
	atomic_uint		 seq;		/* odd: counts are moving */
	atomic_int		 high;		/* no slot in use at or past */
	atomic_int		 master_pid;
	_Atomic int64_t		 started;
	char			 version_str[32];
	atomic_int		 generation;
	atomic_int		 tcp_workers;
	_Atomic uint64_t	 retired[STAT_N];
	_Atomic uint64_t	 mstat[MSTAT_N];
} __attribute__((aligned(64)));

struct scoreboard {
	struct sb_header	*h;
	struct sb_slot		*slot;
	size_t			 len;
	char			*path;		/* the master's file, to unlink */
	int			 fd;		/* the master's, for an upgrade */
};

#define LOAD(p)		atomic_load_explicit((p), memory_order_relaxed)
#define STORE(p, v)	atomic_store_explicit((p), (v), memory_order_relaxed)

static int	 create_file(const char *, gid_t);
static struct scoreboard *map(int, size_t, int, const char *);

/*
 * A fresh file every start: whatever lies at the path (a symlink planted
 * by the account that owns the directory, a stale table) is unlinked, not
 * opened, so nothing is ever written through it.
 */
static int
create_file(const char *path, gid_t gid)
{
	int fd;

	if (unlink(path) == -1 && errno != ENOENT) {
		log_warn("unlink %s", path);
		return -1;
	}
	if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		log_warn("create status file %s", path);
		return -1;
	}
	/* Root, and the group the workers run as, may read it. */
	if (geteuid() == 0 && gid != (gid_t)-1 &&
	    (fchown(fd, 0, gid) == -1 || fchmod(fd, 0640) == -1))
		log_warn("give status file %s to group %ld", path, (long)gid);
	return fd;
}

static struct scoreboard *
map(int fd, size_t len, int prot, const char *what)
{
	struct scoreboard *sb;
	void *p;

	if ((sb = calloc(1, sizeof(*sb))) == NULL) {
		log_warn("scoreboard: calloc");
		return NULL;
	}
	if ((p = mmap(NULL, len, prot, MAP_SHARED, fd, 0)) == MAP_FAILED) {
		log_warn("mmap %s", what);
		free(sb);
		return NULL;
	}
	sb->h = p;
	sb->slot = (struct sb_slot *)(sb->h + 1);
	sb->len = len;
	sb->fd = -1;
	return sb;
}

/*
 * The master's table again, after it re-executed itself (an upgrade):
 * the workers it adopts go on writing to their slots.  NULL, with errno
 * EPROTO, if this binary lays the table out differently.
 */
struct scoreboard *
scoreboard_adopt(int fd, const char *path, int nslots)
{
	size_t len = sizeof(struct sb_header) +
	    (size_t)nslots * sizeof(struct sb_slot);
	struct scoreboard *sb;
	struct stat st;

	if (fstat(fd, &st) == -1)
		return NULL;
	if ((size_t)st.st_size != len) {
		errno = EPROTO;
		return NULL;
	}
	if ((sb = map(fd, len, PROT_READ | PROT_WRITE, "scoreboard")) == NULL)
		return NULL;
	if (sb->h->magic != SB_MAGIC || sb->h->version != SB_VERSION ||
	    sb->h->slot_size != sizeof(struct sb_slot) ||
	    (int)sb->h->nslots != nslots) {
		scoreboard_destroy(sb);
		errno = EPROTO;
		return NULL;
	}
	sb->fd = fd;
	if (path != NULL && path[0] != '\0' &&
	    (sb->path = strdup(path)) == NULL)
		log_warn("strdup");
	return sb;
}

/* The master's descriptor of the table, kept for an upgrade; -1 if none. */
int
scoreboard_fd(const struct scoreboard *sb)
{
	return sb != NULL ? sb->fd : -1;
}

/*
 * `path` NULL or "": an anonymous table, for the workers only.  `gid`:
 * the group that may read the file when the master runs as root.
 */
struct scoreboard *
scoreboard_create(const char *path, int nslots, gid_t gid)
{
	size_t len = sizeof(struct sb_header) +
	    (size_t)nslots * sizeof(struct sb_slot);
	struct scoreboard *sb;
	int fd;

	if (path != NULL && path[0] != '\0')
		fd = create_file(path, gid);
	else if ((fd = memfd_create("echod-scoreboard", MFD_CLOEXEC)) == -1)
		log_warn("memfd_create scoreboard");
	if (fd == -1)
		return NULL;
	if (ftruncate(fd, (off_t)len) == -1) {
		log_warn("ftruncate scoreboard to %zu bytes", len);
		(void)close(fd);
		return NULL;
	}
	if ((sb = map(fd, len, PROT_READ | PROT_WRITE, "scoreboard")) ==
	    NULL) {
		(void)close(fd);
		return NULL;
	}
	sb->fd = fd;
	if (path != NULL && path[0] != '\0' &&
	    (sb->path = strdup(path)) == NULL)
		log_warn("strdup");
	sb->h->version = SB_VERSION;
	sb->h->slot_size = sizeof(struct sb_slot);
	sb->h->nslots = nslots;
	STORE(&sb->h->started, (int64_t)time(NULL));
	/* Last: a reader that sees the magic sees a whole header. */
	atomic_thread_fence(memory_order_release);
	sb->h->magic = SB_MAGIC;
	return sb;
}

void
scoreboard_unlink(struct scoreboard *sb)
{
	if (sb != NULL && sb->path != NULL && unlink(sb->path) == -1 &&
	    errno != ENOENT)
		log_warn("unlink %s", sb->path);
}

/* Unmaps this process's view; other processes keep theirs. */
void
scoreboard_destroy(struct scoreboard *sb)
{
	if (sb == NULL)
		return;
	(void)munmap(sb->h, sb->len);
	if (sb->fd != -1)
		(void)close(sb->fd);
	free(sb->path);
	free(sb);
}

/* A free slot for a worker about to be forked; -1 if the table is full. */
int
scoreboard_claim(struct scoreboard *sb, int generation, enum sb_kind kind,
    int number)
{
	struct sb_slot *s;
	int i;

	for (i = 0; i < (int)sb->h->nslots; i++)
		if (LOAD(&sb->slot[i].used) == 0)
			break;
	if (i == (int)sb->h->nslots)
		return -1;
	s = &sb->slot[i];
	STORE(&s->pid, 0);
	STORE(&s->generation, generation);
	STORE(&s->kind, kind);
	STORE(&s->number, number);
	STORE(&s->serving, false);
	STORE(&s->draining, false);
	STORE(&s->waiting, false);
	STORE(&s->conns, 0);
	STORE(&s->heartbeat_ms, clock_now_ms());
	STORE(&s->used, 1);
	if (i >= LOAD(&sb->h->high))
		STORE(&sb->h->high, i + 1);
	return i;
}

void
scoreboard_set_pid(struct scoreboard *sb, int i, pid_t pid)
{
	STORE(&sb->slot[i].pid, pid);
}

/*
 * The worker is gone: its counts join the retired totals and the slot is
 * free.  seq is odd meanwhile, so a reader never counts them twice.
 */
void
scoreboard_release(struct scoreboard *sb, int i)
{
	struct sb_slot *s;
	int k, high;

	if (i < 0)
		return;		/* an adopted worker not in this table */
	s = &sb->slot[i];
	atomic_fetch_add_explicit(&sb->h->seq, 1, memory_order_acq_rel);
	for (k = 0; k < STAT_N; k++) {
		STORE(&sb->h->retired[k], LOAD(&sb->h->retired[k]) +
		    LOAD(&s->stat[k]));
		STORE(&s->stat[k], 0);
	}
	STORE(&s->used, 0);
	STORE(&s->pid, 0);
	STORE(&s->serving, false);
	STORE(&s->waiting, false);
	STORE(&s->conns, 0);
	atomic_fetch_add_explicit(&sb->h->seq, 1, memory_order_acq_rel);
	high = LOAD(&sb->h->high);
	while (high > 0 && LOAD(&sb->slot[high - 1].used) == 0)
		high--;
	STORE(&sb->h->high, high);
}

void
scoreboard_set_master(struct scoreboard *sb, pid_t pid, const char *version)
{
	STORE(&sb->h->master_pid, pid);
	(void)snprintf(sb->h->version_str, sizeof(sb->h->version_str), "%s",
	    version);
}

void
scoreboard_set_serving_gen(struct scoreboard *sb, int generation,
    int tcp_workers)
{
	STORE(&sb->h->generation, generation);
	STORE(&sb->h->tcp_workers, tcp_workers);
}

void
scoreboard_count_master(struct scoreboard *sb, enum mstat_id m)
{
	STORE(&sb->h->mstat[m], LOAD(&sb->h->mstat[m]) + 1);
}

uint64_t
scoreboard_heartbeat(struct scoreboard *sb, int i)
{
	return LOAD(&sb->slot[i].heartbeat_ms);
}

/* Release: whoever sees the flag also sees what the worker did before. */
void
scoreboard_set_serving(struct scoreboard *sb, int i)
{
	atomic_store_explicit(&sb->slot[i].serving, true,
	    memory_order_release);
}

bool
scoreboard_serving(struct scoreboard *sb, int i)
{
	return atomic_load_explicit(&sb->slot[i].serving,
	    memory_order_acquire);
}

void
scoreboard_set_draining(struct scoreboard *sb, int i)
{
	STORE(&sb->slot[i].draining, true);
}

void
scoreboard_set_conns(struct scoreboard *sb, int i, int conns)
{
	STORE(&sb->slot[i].conns, conns);
}

void
scoreboard_set_waiting(struct scoreboard *sb, int i, bool waiting)
{
	STORE(&sb->slot[i].waiting, waiting);
}

void
scoreboard_beat(struct scoreboard *sb, int i, uint64_t now_ms)
{
	STORE(&sb->slot[i].heartbeat_ms, now_ms);
}

/* The slot's only writer adds: a load and a store, never a locked op. */
void
scoreboard_count(struct scoreboard *sb, int i, enum stat_id k, uint64_t n)
{
	STORE(&sb->slot[i].stat[k], LOAD(&sb->slot[i].stat[k]) + n);
}

uint64_t
scoreboard_counted(struct scoreboard *sb, int i, enum stat_id k)
{
	return LOAD(&sb->slot[i].stat[k]);
}

/*
 * Whether another TCP worker of our generation is idle with its
 * listeners armed (asleep, or awake having only lost the lock race) and
 * serves fewer connections than `conns`: it will take the connection
 * once it runs.
 */
bool
scoreboard_has_idler(struct scoreboard *sb, int self, int conns)
{
	const struct sb_slot *s;
	int i, gen = LOAD(&sb->slot[self].generation);
	int high = LOAD(&sb->h->high);

	for (i = 0; i < high; i++) {
		s = &sb->slot[i];
		if (i != self && LOAD(&s->used) && LOAD(&s->waiting) &&
		    LOAD(&s->generation) == gen && LOAD(&s->kind) == SB_TCP &&
		    LOAD(&s->conns) < conns)
			return true;
	}
	return false;
}

/* A running echod's table, read-only. */
struct scoreboard *
scoreboard_open(const char *path)
{
	struct sb_header h;
	struct scoreboard *sb;
	struct stat st;
	size_t len;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size < sizeof(h) ||
	    pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		(void)close(fd);
		errno = EINVAL;
		return NULL;
	}
	len = sizeof(h) + (size_t)h.nslots * sizeof(struct sb_slot);
	if (h.magic != SB_MAGIC || h.version != SB_VERSION ||
	    h.slot_size != sizeof(struct sb_slot) ||
	    (size_t)st.st_size < len) {
		(void)close(fd);
		errno = EPROTO;
		return NULL;
	}
	sb = map(fd, len, PROT_READ, path);
	(void)close(fd);
	return sb;
}

static int
take_snapshot(struct scoreboard *sb, struct sb_snapshot *ss)
{
	const struct sb_slot *s;
	struct sb_worker *sw;
	int i, k, high = LOAD(&sb->h->high);

	ss->nw = 0;
	for (k = 0; k < STAT_N; k++)
		ss->total[k] = LOAD(&sb->h->retired[k]);
	for (i = 0; i < high && i < (int)sb->h->nslots; i++) {
		s = &sb->slot[i];
		if (!LOAD(&s->used))
			continue;
		sw = &ss->w[ss->nw++];
		sw->pid = LOAD(&s->pid);
		sw->generation = LOAD(&s->generation);
		sw->kind = LOAD(&s->kind);
		sw->number = LOAD(&s->number);
		sw->serving = LOAD(&s->serving);
		sw->draining = LOAD(&s->draining);
		sw->conns = LOAD(&s->conns);
		sw->heartbeat_ms = LOAD(&s->heartbeat_ms);
		for (k = 0; k < STAT_N; k++) {
			sw->stat[k] = LOAD(&s->stat[k]);
			ss->total[k] += sw->stat[k];
		}
	}
	return 0;
}

/*
 * A consistent reading: taken again while the master moves a dead
 * worker's counts to the retired totals (seq odd or changed).
 */
int
scoreboard_snapshot(struct scoreboard *sb, struct sb_snapshot *ss)
{
	struct timespec pause = { 0, 100000 };
	unsigned seq;
	int k, tries;

	memset(ss, 0, sizeof(*ss));
	if ((ss->w = calloc(sb->h->nslots > 0 ? sb->h->nslots : 1,
	    sizeof(*ss->w))) == NULL)
		return -1;
	ss->master_pid = LOAD(&sb->h->master_pid);
	ss->started = LOAD(&sb->h->started);
	(void)snprintf(ss->version, sizeof(ss->version), "%.*s",
	    (int)sizeof(sb->h->version_str) - 1, sb->h->version_str);
	for (tries = 0; tries < SNAPSHOT_TRIES; tries++) {
		seq = atomic_load_explicit(&sb->h->seq, memory_order_acquire);
		if ((seq & 1) == 0) {
			(void)take_snapshot(sb, ss);
			if (atomic_load_explicit(&sb->h->seq,
			    memory_order_acquire) == seq)
				break;
		}
		(void)nanosleep(&pause, NULL);
	}
	ss->generation = LOAD(&sb->h->generation);
	ss->tcp_workers = LOAD(&sb->h->tcp_workers);
	for (k = 0; k < MSTAT_N; k++)
		ss->mstat[k] = LOAD(&sb->h->mstat[k]);
	ss->now_ms = clock_now_ms();
	return 0;
}

void
scoreboard_snapshot_free(struct sb_snapshot *ss)
{
	free(ss->w);
	ss->w = NULL;
}
