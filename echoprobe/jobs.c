/* jobs.c: run the load in J forked processes and merge what they measured. */

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "barrier.h"
#include "clock.h"
#include "io.h"
#include "jobs.h"
#include "load.h"
#include "log.h"
#include "net.h"
#include "progress.h"
#include "report.h"
#include "sig.h"
#include "stats.h"

/* Descriptors a job needs besides its connections: epoll, pipe, stdio. */
#define JOBS_SPARE_FDS	32
/* Past its own end, how long a job may take to hand in its result. */
#define JOBS_GRACE_NS	UINT64_C(10000000000)

struct job {
	pid_t			 pid;
	int			 fd;		/* result pipe, read end */
	size_t			 got;		/* bytes of result read */
	struct load_job		 lj;
	struct load_result	*r;
};

struct jobs {
	const struct opts	*o;
	const struct target	*t;
	sigset_t		 waitmask;
	struct job		*j;
	int			 n;
	struct load_live	*live;		/* shared with the jobs */
	struct barrier		*barrier;	/* hold runs: shared too */
	struct progress		 pr;
	uint64_t		 start_ns;
	uint64_t		 deadline_ns;	/* 0: jobs bound themselves */
	uint64_t		 last_requests;	/* at the last progress line */
	uint64_t		 last_ns;
};

static int	 jobs_plan(struct jobs *);
static int	 jobs_start(struct jobs *);
static _Noreturn void job_main(struct jobs *, int, int);
static int	 jobs_collect(struct jobs *);
static bool	 jobs_read(struct jobs *, struct pollfd *);
static void	 jobs_progress(struct jobs *, uint64_t);
static void	 jobs_signal(struct jobs *, int);
static void	 jobs_reap(struct jobs *);

int
jobs_run(const struct opts *o, const struct target *t)
{
	static const int signals[] = { SIGINT, SIGTERM, 0 };
	struct load_result *sum;
	struct jobs js;
	int i, rc = EXIT_ERROR;

	memset(&js, 0, sizeof(js));
	js.o = o;
	js.t = t;
	sig_init(signals, &js.waitmask);
	if (jobs_plan(&js) == -1)
		goto done;
	if (jobs_start(&js) == -1) {
		jobs_signal(&js, SIGKILL);
		jobs_reap(&js);
		goto done;
	}
	if (jobs_collect(&js) == -1) {
		jobs_reap(&js);
		goto done;
	}
	jobs_reap(&js);
	if ((sum = malloc(sizeof(*sum))) == NULL) {
		log_warn("malloc");
		goto done;
	}
	report_merge_init(sum);
	for (i = 0; i < js.n; i++)
		report_merge(sum, js.j[i].r);
	if (js.barrier != NULL && barrier_open_ns(js.barrier) != 0)
		sum->hold_open_ns = barrier_open_ns(js.barrier) - js.start_ns;
	rc = report_load(o, t, js.n, sum);
	free(sum);
done:
	for (i = 0; js.j != NULL && i < js.n; i++)
		free(js.j[i].r);
	free(js.j);
	if (js.live != NULL)
		(void)munmap(js.live, (size_t)js.n * sizeof(*js.live));
	barrier_destroy(js.barrier);
	return rc;
}

/* Connections and requests split as evenly as they go; fds raised. */
static int
jobs_plan(struct jobs *js)
{
	const struct opts *o = js->o;
	uint64_t got;
	long per, first = 0;
	int i;

	js->n = (int)o->jobs;
	if (o->requests != 0 && (uint64_t)js->n > o->requests)
		js->n = (int)o->requests;
	per = (o->connections + js->n - 1) / js->n;
	if (io_raise_nofile(per + JOBS_SPARE_FDS, &got) == -1) {
		log_warnx("RLIMIT_NOFILE: %llu descriptors allowed, %ld "
		    "needed per job; raise the hard limit or use more --jobs",
		    (unsigned long long)got, per + JOBS_SPARE_FDS);
		return -1;
	}
	js->j = calloc((size_t)js->n, sizeof(*js->j));
	js->live = mmap(NULL, (size_t)js->n * sizeof(*js->live),
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (js->live == MAP_FAILED)
		js->live = NULL;
	if (o->hold_ns != 0)
		js->barrier = barrier_create(js->n);
	if (js->j == NULL || js->live == NULL ||
	    (o->hold_ns != 0 && js->barrier == NULL)) {
		log_warn("allocate %d jobs", js->n);
		return -1;
	}
	for (i = 0; i < js->n; i++) {
		got = o->connections / js->n + (i < o->connections % js->n);
		js->j[i].pid = -1;
		js->j[i].fd = -1;
		js->j[i].lj.connections = got;
		js->j[i].lj.first = first;
		js->j[i].lj.live = &js->live[i];
		js->j[i].lj.barrier = js->barrier;
		js->j[i].lj.id = i;
		if (o->requests != 0)
			js->j[i].lj.requests = o->requests / js->n +
			    ((uint64_t)i < o->requests % js->n);
		first += got;
	}
	return 0;
}

static int
jobs_start(struct jobs *js)
{
	int i, p[2];

	js->start_ns = clock_now_ns();
	if (js->o->duration_ns != 0)
		js->deadline_ns = js->start_ns + js->o->duration_ns +
		    js->o->timeout_ns + JOBS_GRACE_NS;
	(void)fflush(NULL);	/* children must not repeat buffered output */
	for (i = 0; i < js->n; i++) {
		if (pipe2(p, O_CLOEXEC) == -1) {
			log_warn("pipe2");
			return -1;
		}
		if ((js->j[i].r = malloc(sizeof(*js->j[i].r))) == NULL ||
		    (js->j[i].pid = fork()) == -1) {
			log_warn("start job %d", i);
			(void)close(p[0]);
			(void)close(p[1]);
			return -1;
		}
		if (js->j[i].pid == 0)
			job_main(js, i, p[1]);
		(void)close(p[1]);
		js->j[i].fd = p[0];
		/* The parent polls; only the child's end may block. */
		if (fcntl(p[0], F_SETFL, O_NONBLOCK) == -1) {
			log_warn("fcntl O_NONBLOCK");
			return -1;
		}
	}
	progress_init(&js->pr, js->start_ns);
	return 0;
}

static _Noreturn void
job_main(struct jobs *js, int i, int fd)
{
	int k;

	/* A job outliving its parent would load the server for nobody. */
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		_exit(EXIT_ERROR);
	for (k = 0; k < i; k++)
		(void)close(js->j[k].fd);
	load_run(js->o, js->t, &js->j[i].lj, js->j[i].r);
	if (io_write_all(fd, js->j[i].r, sizeof(*js->j[i].r)) == -1)
		_exit(EXIT_ERROR);
	_exit(0);
}

static int
jobs_collect(struct jobs *js)
{
	struct pollfd *pfd;
	uint64_t now;
	int rc = 0;

	if ((pfd = calloc((size_t)js->n, sizeof(*pfd))) == NULL) {
		log_warn("calloc");
		jobs_signal(js, SIGKILL);
		return -1;
	}
	for (;;) {
		if (sig_take(SIGINT))
			jobs_signal(js, SIGINT);
		if (sig_take(SIGTERM))
			jobs_signal(js, SIGTERM);
		if (!jobs_read(js, pfd))
			break;
		now = clock_now_ns();
		if (js->deadline_ns != 0 && now >= js->deadline_ns) {
			log_warnx("jobs did not finish in time; killing them");
			jobs_signal(js, SIGKILL);
			rc = -1;
			break;
		}
		jobs_progress(js, now);
		if (ppoll(pfd, (nfds_t)js->n, &(struct timespec){ 0,
		    250000000 }, &js->waitmask) == -1 && errno != EINTR) {
			log_warn("ppoll");
			jobs_signal(js, SIGKILL);
			rc = -1;
			break;
		}
	}
	progress_clear(&js->pr);
	free(pfd);
	return rc;
}

/* Reads what is ready; false once every job has handed in its result. */
static bool
jobs_read(struct jobs *js, struct pollfd *pfd)
{
	struct job *j;
	bool pending = false;
	ssize_t n;
	int i;

	for (i = 0; i < js->n; i++) {
		j = &js->j[i];
		pfd[i].fd = j->fd;
		pfd[i].events = POLLIN;
		pfd[i].revents = 0;
		if (j->fd == -1)
			continue;
		n = read(j->fd, (char *)j->r + j->got, sizeof(*j->r) - j->got);
		if (n > 0)
			j->got += (size_t)n;
		if (n == -1 && errno == EAGAIN) {
			pending = true;
			continue;
		}
		if (n == 0 || (n == -1 && errno != EINTR) ||
		    j->got == sizeof(*j->r)) {
			(void)close(j->fd);
			j->fd = pfd[i].fd = -1;
			/* A job that died opening must not hold up the rest. */
			barrier_arrive(js->barrier, i, clock_now_ns());
			if (j->got != sizeof(*j->r)) {
				memset(j->r, 0, sizeof(*j->r));
				hist_init(&j->r->h);
				j->r->failed = 1;
				(void)snprintf(j->r->error,
				    sizeof(j->r->error), "job %d died "
				    "without a result", i);
			}
			continue;
		}
		pending = true;
	}
	return pending;
}

static void
jobs_progress(struct jobs *js, uint64_t now)
{
	uint64_t req = 0, err = 0, since;
	double rate;
	int i;

	if (!progress_due(&js->pr, now))
		return;
	for (i = 0; i < js->n; i++) {
		req += js->live[i].requests;
		err += js->live[i].errors;
	}
	/* The rate of the last second: an average hides a stall. */
	if (js->last_ns == 0)
		js->last_ns = js->start_ns;
	since = now - js->last_ns;
	rate = since > 0 ? (double)(req - js->last_requests) * 1e9 /
	    (double)since : 0;
	js->last_requests = req;
	js->last_ns = now;
	progress_show(&js->pr, "load: %llu s, %llu echoes, %.0f/s now, %llu "
	    "errors", (unsigned long long)((now - js->start_ns) / 1000000000U),
	    (unsigned long long)req, rate, (unsigned long long)err);
}

static void
jobs_signal(struct jobs *js, int signo)
{
	int i;

	for (i = 0; js->j != NULL && i < js->n; i++)
		if (js->j[i].pid > 0)
			(void)kill(js->j[i].pid, signo);
}

static void
jobs_reap(struct jobs *js)
{
	int i, st;

	for (i = 0; js->j != NULL && i < js->n; i++) {
		if (js->j[i].fd != -1)
			(void)close(js->j[i].fd);
		js->j[i].fd = -1;
		if (js->j[i].pid <= 0)
			continue;
		while (waitpid(js->j[i].pid, &st, 0) == -1 && errno == EINTR)
			;
		js->j[i].pid = -1;
	}
}

