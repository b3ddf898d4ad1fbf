/* check_pidfile.c: the pid file refuses what is not echod's own file. */

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "pidfile.h"

#define NOBODY_UID	65534
#define OTHER_UID	1	/* daemon: an account that is neither */
#define OLD_MTIME	978307200	/* 2001-01-01: any change shows */

/* One temporary directory for the whole run, removed by the parent. */
static char	 base[64];

/*
 * What the interposed flock(2) below does to the pid file's path just
 * before the lock is taken: the window between open and lock in which
 * another process can unlink or replace the file.
 */
enum race { RACE_NONE, RACE_REPLACE_ONCE, RACE_UNLINK_ONCE, RACE_ALWAYS };
static struct {
	enum race	 race;
	const char	*path;
	int		 calls;
} hook;

/* Stderr, where echod logs, redirected to a file for a while. */
struct capture {
	int		 saved;
	FILE		*f;
	char		 text[4096];
};

static int	 rm_entry(const char *, const struct stat *, int,
		    struct FTW *);
static void	 base_create(void);
static void	 base_destroy(void);
static void	 subdir(char *, size_t, const char *, mode_t);
static void	 put_file(const char *, const char *, mode_t);
static void	 get_file(const char *, char *, size_t);
static void	 capture_begin(struct capture *);
static void	 capture_end(struct capture *);
static void	 replace_file(const char *, const char *);

/*
 * Linked ahead of libc: pidfile.c's flock resolves to this one, which can
 * play the other process in the race pidfile_open must detect.
 */
int
flock(int fd, int op)
{
	if ((op & LOCK_EX) && hook.path != NULL && (hook.race == RACE_ALWAYS ||
	    (hook.race != RACE_NONE && hook.calls == 0))) {
		if (hook.race == RACE_UNLINK_ONCE)
			ck_assert_int_eq(unlink(hook.path), 0);
		else
			replace_file(hook.path, "intruder\n");
	}
	hook.calls++;
	return (int)syscall(SYS_flock, fd, op);
}

static int
rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	(void)remove(path);
	return 0;
}

static void
base_create(void)
{
	(void)snprintf(base, sizeof(base), "/tmp/check_pidfile.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));
	/* The service-account test runs as nobody in here. */
	ck_assert_int_eq(chmod(base, 0755), 0);
}

static void
base_destroy(void)
{
	(void)nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh directory under the base for one test, with `mode`. */
static void
subdir(char *dir, size_t len, const char *name, mode_t mode)
{
	/* Each test runs in a process of its own; a loop test, several. */
	(void)snprintf(dir, len, "%s/%s.%ld", base, name, (long)getpid());
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert_int_eq(chmod(dir, mode), 0);
}

static void
put_file(const char *path, const char *text, mode_t mode)
{
	struct timespec ts[2] = { { OLD_MTIME, 0 }, { OLD_MTIME, 0 } };
	int fd;

	ck_assert_int_ge(fd = open(path, O_WRONLY | O_CREAT | O_EXCL |
	    O_CLOEXEC, mode), 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	ck_assert_int_eq(futimens(fd, ts), 0);
	(void)close(fd);
}

static void
get_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	ck_assert_int_ge(fd = open(path, O_RDONLY | O_CLOEXEC), 0);
	ck_assert_int_ge(n = read(fd, buf, len - 1), 0);
	buf[n] = '\0';
	(void)close(fd);
}

/* Another process's file at `path`, put there atomically. */
static void
replace_file(const char *path, const char *text)
{
	char tmp[256];

	(void)snprintf(tmp, sizeof(tmp), "%s.new", path);
	(void)unlink(tmp);
	put_file(tmp, text, 0644);
	ck_assert_int_eq(rename(tmp, path), 0);
}

static void
capture_begin(struct capture *c)
{
	fflush(stderr);
	ck_assert_ptr_nonnull(c->f = tmpfile());
	ck_assert_int_ge(c->saved = dup(STDERR_FILENO), 0);
	ck_assert_int_eq(dup2(fileno(c->f), STDERR_FILENO), STDERR_FILENO);
}

/* Stderr back as it was; what was logged meanwhile is in c->text. */
static void
capture_end(struct capture *c)
{
	size_t n;

	fflush(stderr);
	ck_assert_int_eq(dup2(c->saved, STDERR_FILENO), STDERR_FILENO);
	(void)close(c->saved);
	rewind(c->f);
	n = fread(c->text, 1, sizeof(c->text) - 1, c->f);
	c->text[n] = '\0';
	(void)fclose(c->f);
}

/* pidfile_open, and pidfile_write as the master would on success. */
static int
open_and_write(struct pidfile *pf, const char *path, struct capture *c)
{
	int rc;

	capture_begin(c);
	if ((rc = pidfile_open(pf, path)) == 0)
		(void)pidfile_write(pf, getpid());
	capture_end(c);
	return rc;
}

static void
assert_untouched(const char *path, const char *text)
{
	struct stat sb;
	char got[256];

	get_file(path, got, sizeof(got));
	ck_assert_str_eq(got, text);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mtim.tv_sec, OLD_MTIME);
}

START_TEST(pidfile_creates_locks_writes_and_removes)
{
	char dir[128], path[192], want[32], got[32];
	struct pidfile pf, other;
	struct capture c;
	struct stat sb;

	subdir(dir, sizeof(dir), "plain", 0755);
	(void)snprintf(path, sizeof(path), "%s/echod.pid", dir);
	ck_assert_int_eq(open_and_write(&pf, path, &c), 0);
	ck_assert_str_eq(c.text, "");
	ck_assert_int_ge(pf.fd, 0);
	(void)snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	get_file(path, got, sizeof(got));
	ck_assert_str_eq(got, want);
	ck_assert_int_eq(lstat(path, &sb), 0);
	ck_assert(S_ISREG(sb.st_mode));
	ck_assert_uint_eq(sb.st_uid, geteuid());
	/* Written again (a new master pid after daemonizing): whole. */
	ck_assert_int_eq(pidfile_write(&pf, 1), 0);
	get_file(path, got, sizeof(got));
	ck_assert_str_eq(got, "1\n");
	pidfile_remove(&pf);
	ck_assert_int_eq(pf.fd, -1);
	ck_assert_int_eq(access(path, F_OK), -1);
	/* No path, no file. */
	ck_assert_int_eq(pidfile_open(&other, ""), 0);
	ck_assert_int_eq(other.fd, -1);
	pidfile_remove(&other);
}
END_TEST

/* echod makes the pid file's directory when it is missing. */
START_TEST(pidfile_creates_its_directory)
{
	char dir[128], path[192];
	struct pidfile pf;
	struct capture c;
	struct stat sb;

	(void)snprintf(dir, sizeof(dir), "%s/missing", base);
	(void)snprintf(path, sizeof(path), "%s/echod.pid", dir);
	ck_assert_int_eq(open_and_write(&pf, path, &c), 0);
	ck_assert_str_eq(c.text, "");
	ck_assert_int_eq(stat(dir, &sb), 0);
	ck_assert(S_ISDIR(sb.st_mode));
	pidfile_remove(&pf);
}
END_TEST

/*
 * The reported attack: the account that owns the directory points the
 * pid file at a file of root's, and the next start as root overwrote it.
 * Dangling, the link would have created its target.
 */
START_TEST(pidfile_refuses_symlink)
{
	char dir[128], path[192], target[192], want[640];
	struct pidfile pf;
	struct capture c;
	int rc;

	subdir(dir, sizeof(dir), "symlink", 0755);
	(void)snprintf(path, sizeof(path), "%s/echod.pid", dir);
	(void)snprintf(target, sizeof(target), "%s/secret", dir);
	put_file(target, "root:secret\n", 0600);
	ck_assert_int_eq(symlink(target, path), 0);
	rc = open_and_write(&pf, path, &c);
	assert_untouched(target, "root:secret\n");
	ck_assert_int_eq(rc, -1);
	(void)snprintf(want, sizeof(want), "echod: pid file %s is a symbolic "
	    "link: refusing to follow it (remove it)\n", path);
	ck_assert_str_eq(c.text, want);
	ck_assert_int_eq(pf.fd, -1);

	ck_assert_int_eq(unlink(target), 0);
	ck_assert_int_eq(open_and_write(&pf, path, &c), -1);
	ck_assert_str_eq(c.text, want);
	ck_assert_int_eq(access(target, F_OK), -1);
}
END_TEST

/* A second name for any file on the same file system is the same attack. */
START_TEST(pidfile_refuses_hard_link)
{
	char dir[128], path[192], target[192], want[640];
	struct pidfile pf;
	struct capture c;
	int rc;

	subdir(dir, sizeof(dir), "hardlink", 0755);
	(void)snprintf(path, sizeof(path), "%s/echod.pid", dir);
	(void)snprintf(target, sizeof(target), "%s/secret", dir);
	put_file(target, "root:secret\n", 0600);
	ck_assert_int_eq(link(target, path), 0);
	rc = open_and_write(&pf, path, &c);
	assert_untouched(target, "root:secret\n");
	ck_assert_int_eq(rc, -1);
	(void)snprintf(want, sizeof(want), "echod: pid file %s has 2 hard "
	    "links: it may be another file's second name, refusing it "
	    "(remove it)\n", path);
	ck_assert_str_eq(c.text, want);
}
END_TEST

/* Neither a FIFO (which must not block the start) nor a directory. */
START_TEST(pidfile_refuses_fifo_and_directory)
{
	char dir[128], path[192], want[640];
	struct pidfile pf;
	struct capture c;

	subdir(dir, sizeof(dir), "special", 0755);
	(void)snprintf(path, sizeof(path), "%s/echod.pid", dir);
	ck_assert_int_eq(mkfifo(path, 0644), 0);
	alarm(5);
	ck_assert_int_eq(open_and_write(&pf, path, &c), -1);
	alarm(0);
	(void)snprintf(want, sizeof(want), "echod: pid file %s is a FIFO, "
	    "not a regular file: refusing it (remove it)\n", path);
	ck_assert_str_eq(c.text, want);

	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	ck_assert_int_eq(open_and_write(&pf, path, &c), -1);
	(void)snprintf(want, sizeof(want), "echod: pid file %s is a "
	    "directory, not a regular file: refusing it (remove it)\n", path);
	ck_assert_str_eq(c.text, want);
}
END_TEST

/* Root writes no pid file another account could have planted. */
START_TEST(pidfile_root_refuses_other_owner)
{
	char dir[128], path[192], want[640];
	struct pidfile pf;
	struct capture c;
	int rc;

	if (geteuid() != 0) {
		(void)printf("pidfile_root_refuses_other_owner: skipped, "
		    "chown needs root\n");
		return;
	}
	subdir(dir, sizeof(dir), "owner", 0755);
	(void)snprintf(path, sizeof(path), "%s/echod.pid", dir);
	put_file(path, "12345\n", 0644);
	ck_assert_int_eq(chown(path, NOBODY_UID, (gid_t)-1), 0);
	rc = open_and_write(&pf, path, &c);
	assert_untouched(path, "12345\n");
	ck_assert_int_eq(rc, -1);
	(void)snprintf(want, sizeof(want), "echod: pid file %s is owned by "
	    "nobody (uid %d), not by root: another account could have "
	    "planted it, refusing it (remove it)\n", path, NOBODY_UID);
	ck_assert_str_eq(c.text, want);
}
END_TEST

/*
 * Run as a service account (nobody here), echod trusts its own files and
 * root's, and no one else's.  Exit code of the child: 0 as expected.
 */
START_TEST(pidfile_service_account_trusts_itself_and_root)
{
	char dir[128], path[192], want[640];
	struct pidfile pf;
	struct capture c;
	pid_t pid;
	int st;

	if (geteuid() != 0) {
		(void)printf("pidfile_service_account_trusts_itself_and_root: "
		    "skipped, switching user needs root\n");
		return;
	}
	/* Like /run/echod under the unit: the service account's own. */
	subdir(dir, sizeof(dir), "service", 0755);
	ck_assert_int_eq(chown(dir, NOBODY_UID, (gid_t)-1), 0);
	(void)snprintf(path, sizeof(path), "%s/echod.pid", dir);
	put_file(path, "12345\n", 0666);
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		if (setresuid(NOBODY_UID, NOBODY_UID, NOBODY_UID) == -1)
			_exit(10);
		/* Root's (left by a start by hand): trusted. */
		if (pidfile_open(&pf, path) == -1)
			_exit(11);
		pidfile_remove(&pf);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);

	put_file(path, "12345\n", 0666);
	ck_assert_int_eq(chown(path, OTHER_UID, (gid_t)-1), 0);
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		if (setresuid(NOBODY_UID, NOBODY_UID, NOBODY_UID) == -1)
			_exit(10);
		capture_begin(&c);
		if (pidfile_open(&pf, path) != -1)
			_exit(11);
		capture_end(&c);
		(void)snprintf(want, sizeof(want), "echod: pid file %s is "
		    "owned by daemon (uid %d), not by nobody (uid %d) or "
		    "root: another account could have planted it, refusing "
		    "it (remove it)\n", path, OTHER_UID, NOBODY_UID);
		if (strcmp(c.text, want) != 0) {
			(void)fprintf(stderr, "logged: %s", c.text);
			_exit(12);
		}
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	assert_untouched(path, "12345\n");
}
END_TEST

/* A running echod's lock turns a second open into a refusal naming it. */
START_TEST(pidfile_refuses_locked_file_naming_holder)
{
	char dir[128], path[192], want[640], ch;
	struct pidfile pf;
	struct capture c;
	int p[2], st;
	pid_t pid;

	subdir(dir, sizeof(dir), "locked", 0755);
	(void)snprintf(path, sizeof(path), "%s/echod.pid", dir);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		if (pidfile_open(&pf, path) == -1 ||
		    pidfile_write(&pf, getpid()) == -1)
			_exit(1);
		(void)write(p[1], "x", 1);
		for (;;)
			pause();
	}
	ck_assert_int_eq(read(p[0], &ch, 1), 1);
	ck_assert_int_eq(open_and_write(&pf, path, &c), -1);
	(void)kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	(void)snprintf(want, sizeof(want), "echod: pid file %s is locked by "
	    "pid %ld: is echod already running? (stop it, or set another "
	    "pidfile)\n", path, (long)pid);
	ck_assert_str_eq(c.text, want);
	(void)close(p[0]);
	(void)close(p[1]);
}
END_TEST

/*
 * Between open and lock, a stopping echod may unlink the file and another
 * start create a new one: the lock would then be on a file no one finds.
 * pidfile_open must notice and lock the file the path names.
 */
START_TEST(pidfile_relocks_a_file_replaced_before_the_lock)
{
	static const enum race races[] = { RACE_REPLACE_ONCE,
	    RACE_UNLINK_ONCE };
	char dir[128], path[192], want[32], got[32];
	struct pidfile pf;
	struct capture c;
	struct stat fsb, psb;

	subdir(dir, sizeof(dir), "race", 0755);
	(void)snprintf(path, sizeof(path), "%s/echod.pid", dir);
	hook.path = path;
	hook.race = races[_i];
	ck_assert_int_eq(open_and_write(&pf, path, &c), 0);
	hook.race = RACE_NONE;
	ck_assert_int_eq(hook.calls, 2);
	ck_assert_str_eq(c.text, "");
	ck_assert_int_eq(fstat(pf.fd, &fsb), 0);
	ck_assert_int_eq(lstat(path, &psb), 0);
	ck_assert(fsb.st_dev == psb.st_dev && fsb.st_ino == psb.st_ino);
	(void)snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	get_file(path, got, sizeof(got));
	ck_assert_str_eq(got, want);
	pidfile_remove(&pf);
	ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

/* A file that is replaced on every try is given up on, not looped on. */
START_TEST(pidfile_gives_up_on_a_file_always_replaced)
{
	char dir[128], path[192], want[640];
	struct pidfile pf;
	struct capture c;

	subdir(dir, sizeof(dir), "racing", 0755);
	(void)snprintf(path, sizeof(path), "%s/echod.pid", dir);
	hook.path = path;
	hook.race = RACE_ALWAYS;
	ck_assert_int_eq(open_and_write(&pf, path, &c), -1);
	hook.race = RACE_NONE;
	ck_assert_int_ge(hook.calls, 2);
	ck_assert_int_le(hook.calls, 10);
	(void)snprintf(want, sizeof(want), "echod: pid file %s was replaced "
	    "while echod locked it, %d times: another process keeps "
	    "recreating it (stop that process)\n", path, hook.calls);
	ck_assert_str_eq(c.text, want);
	ck_assert_int_eq(pf.fd, -1);
}
END_TEST

/* At exit, echod removes its own file, never one that took its place. */
START_TEST(pidfile_remove_leaves_a_replaced_file)
{
	char dir[128], path[192], want[640], got[32];
	struct pidfile pf;
	struct capture c;

	subdir(dir, sizeof(dir), "remove", 0755);
	(void)snprintf(path, sizeof(path), "%s/echod.pid", dir);
	ck_assert_int_eq(open_and_write(&pf, path, &c), 0);
	replace_file(path, "4242\n");
	capture_begin(&c);
	pidfile_remove(&pf);
	capture_end(&c);
	get_file(path, got, sizeof(got));
	ck_assert_str_eq(got, "4242\n");
	(void)snprintf(want, sizeof(want), "echod: pid file %s is no longer "
	    "the file echod locked: leaving it in place (another process "
	    "replaced it)\n", path);
	ck_assert_str_eq(c.text, want);
	ck_assert_int_eq(pf.fd, -1);
}
END_TEST

/*
 * A directory others may write to without the sticky bit lets them swap
 * the pid file under a running echod: served, but said.
 */
START_TEST(pidfile_warns_of_a_directory_others_can_write)
{
	char dir[128], path[192], want[640];
	struct pidfile pf;
	struct capture c;

	subdir(dir, sizeof(dir), "open", 0777);
	(void)snprintf(path, sizeof(path), "%s/echod.pid", dir);
	ck_assert_int_eq(open_and_write(&pf, path, &c), 0);
	(void)snprintf(want, sizeof(want), "echod: pid file directory %s is "
	    "writable by others and not sticky: they could replace the pid "
	    "file (chmod go-w %s)\n", dir, dir);
	ck_assert_str_eq(c.text, want);
	pidfile_remove(&pf);

	/* Sticky, like /tmp: others cannot remove or rename echod's file. */
	ck_assert_int_eq(chmod(dir, 01777), 0);
	ck_assert_int_eq(open_and_write(&pf, path, &c), 0);
	ck_assert_str_eq(c.text, "");
	pidfile_remove(&pf);
}
END_TEST

/* Root trusts no other account's directory either. */
START_TEST(pidfile_warns_of_a_directory_another_account_owns)
{
	char dir[128], path[192], want[640];
	struct pidfile pf;
	struct capture c;

	if (geteuid() != 0) {
		(void)printf("pidfile_warns_of_a_directory_another_account_"
		    "owns: skipped, chown needs root\n");
		return;
	}
	subdir(dir, sizeof(dir), "theirs", 0755);
	ck_assert_int_eq(chown(dir, NOBODY_UID, (gid_t)-1), 0);
	(void)snprintf(path, sizeof(path), "%s/echod.pid", dir);
	ck_assert_int_eq(open_and_write(&pf, path, &c), 0);
	(void)snprintf(want, sizeof(want), "echod: pid file directory %s is "
	    "owned by nobody (uid %d), not by root: that account could "
	    "replace the pid file (chown root %s)\n", dir, NOBODY_UID, dir);
	ck_assert_str_eq(c.text, want);
	pidfile_remove(&pf);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pidfile");
	TCase *tc = tcase_create("pidfile");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 10);
	tcase_add_unchecked_fixture(tc, base_create, base_destroy);
	tcase_add_test(tc, pidfile_creates_locks_writes_and_removes);
	tcase_add_test(tc, pidfile_creates_its_directory);
	tcase_add_test(tc, pidfile_refuses_symlink);
	tcase_add_test(tc, pidfile_refuses_hard_link);
	tcase_add_test(tc, pidfile_refuses_fifo_and_directory);
	tcase_add_test(tc, pidfile_root_refuses_other_owner);
	tcase_add_test(tc, pidfile_service_account_trusts_itself_and_root);
	tcase_add_test(tc, pidfile_refuses_locked_file_naming_holder);
	tcase_add_loop_test(tc, pidfile_relocks_a_file_replaced_before_the_lock,
	    0, 2);
	tcase_add_test(tc, pidfile_gives_up_on_a_file_always_replaced);
	tcase_add_test(tc, pidfile_remove_leaves_a_replaced_file);
	tcase_add_test(tc, pidfile_warns_of_a_directory_others_can_write);
	tcase_add_test(tc, pidfile_warns_of_a_directory_another_account_owns);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
