/* loadgen.c: a client process that keeps echod busy and counts what it got. */

#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "clock.h"
#include "harness.h"
#include "loadgen.h"

#define CHUNK		65536
#define BULK_INFLIGHT	(1 << 20)	/* bytes sent and not yet back */
#define MSG_LEN		64		/* rr, churn and persistent */
#define CHURN_LATE_MS	5000
#define UDP_BURST	32
#define CONNS_MAX	512

enum kind { K_BULK, K_RR, K_CHURN, K_PERSIST };

struct lconn {
	enum kind	 kind;
	int		 fd;
	bool		 connected;
	bool		 dead;		/* persistent and broken */
	uint32_t	 events;	/* registered interest */
	uint64_t	 sent;
	uint64_t	 recvd;
	uint64_t	 round;		/* rr, churn, persistent: message no. */
	uint64_t	 started_ms;
};

struct lg_run {
	const struct loadgen_spec *spec;
	struct loadgen_stats	*st;
	int			 epfd;
	int			 udp;
	struct lconn		 c[CONNS_MAX];
	int			 nc;
	unsigned char		 out[CHUNK];
	unsigned char		 in[CHUNK];
};

static _Noreturn void lg_main(const struct loadgen_spec *,
		    struct loadgen_stats *);
static void	 lg_open(struct lg_run *, struct lconn *);
static void	 lg_want(struct lg_run *, struct lconn *, uint32_t);
static void	 lg_event(struct lg_run *, struct lconn *, uint32_t);
static void	 lg_ended(struct lg_run *, struct lconn *, bool);
static void	 lg_message(const struct lconn *, unsigned char *);
static void	 lg_udp(struct lg_run *);
static void	 add(uint64_t *, uint64_t);

static void
add(uint64_t *counter, uint64_t n)
{
	(void)__atomic_add_fetch(counter, n, __ATOMIC_RELAXED);
}

/* A message names its connection and round, so a mix-up shows. */
static void
lg_message(const struct lconn *c, unsigned char *msg)
{
	size_t i;

	for (i = 0; i < MSG_LEN; i++)
		msg[i] = (unsigned char)((uintptr_t)c * 31 + c->round * 7 + i);
}

static void
lg_want(struct lg_run *r, struct lconn *c, uint32_t events)
{
	struct epoll_event ev;

	if (events == c->events)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = c;
	(void)epoll_ctl(r->epfd, EPOLL_CTL_MOD, c->fd, &ev);
	c->events = events;
}

static void
lg_open(struct lg_run *r, struct lconn *c)
{
	struct sockaddr_in sin;
	struct epoll_event ev;
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	c->connected = false;
	c->sent = c->recvd = 0;
	c->started_ms = clock_now_ms();
	if (c->fd == -1) {
		c->dead = c->kind == K_PERSIST;
		return;
	}
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(r->spec->tcp_port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	(void)connect(c->fd, (struct sockaddr *)&sin, sizeof(sin));
	memset(&ev, 0, sizeof(ev));
	c->events = ev.events = EPOLLIN | EPOLLOUT;
	ev.data.ptr = c;
	(void)epoll_ctl(r->epfd, EPOLL_CTL_ADD, c->fd, &ev);
}

/* The connection is over: `ok` for a churn round that echoed. */
static void
lg_ended(struct lg_run *r, struct lconn *c, bool ok)
{
	(void)close(c->fd);
	c->fd = -1;
	switch (c->kind) {
	case K_PERSIST:
		add(&r->st->persistent_broken, 1);
		c->dead = true;
		return;
	case K_CHURN:
		add(ok ? &r->st->churn_ok : &r->st->churn_failed, 1);
		break;
	default:
		add(&r->st->reconnects, 1);
		break;
	}
	c->round++;
	lg_open(r, c);
}

static void
lg_event(struct lg_run *r, struct lconn *c, uint32_t events)
{
	unsigned char msg[MSG_LEN];
	ssize_t n;
	size_t want;

	if (events & (EPOLLERR | EPOLLHUP)) {
		lg_ended(r, c, false);
		return;
	}
	if ((events & EPOLLOUT) && !c->connected)
		c->connected = true;
	if (events & EPOLLIN) {
		/* Never past the message in flight: more would be a bug. */
		want = c->kind == K_BULK ? CHUNK : c->sent - c->recvd;
		n = recv(c->fd, r->in, want > 0 ? want : MSG_LEN, 0);
		if (n <= 0 || (c->kind != K_BULK && want == 0)) {
			if (n >= 0 || (errno != EAGAIN && errno != EINTR))
				lg_ended(r, c, false);
			return;
		}
		if (c->kind == K_BULK) {
			c->recvd += n;
			add(&r->st->bulk_bytes, n);
		} else {
			lg_message(c, msg);
			if (memcmp(r->in, msg + (c->recvd % MSG_LEN), n) != 0) {
				lg_ended(r, c, false);
				return;
			}
			c->recvd += n;
			if (c->recvd == c->sent) {
				if (c->kind == K_RR)
					add(&r->st->rr_echoes, 1);
				else if (c->kind == K_PERSIST)
					add(&r->st->persistent_echoes, 1);
				else {
					lg_ended(r, c, true);
					return;
				}
				c->round++;
			}
		}
	}
	if (!c->connected)
		return;
	if (c->kind == K_BULK) {
		want = c->sent - c->recvd < BULK_INFLIGHT ? CHUNK : 0;
		if (want > 0 && (events & EPOLLOUT)) {
			n = send(c->fd, r->out, want, MSG_NOSIGNAL);
			if (n > 0)
				c->sent += n;
			else if (n == -1 && errno != EAGAIN && errno != EINTR) {
				lg_ended(r, c, false);
				return;
			}
		}
		lg_want(r, c, EPOLLIN | (c->sent - c->recvd < BULK_INFLIGHT ?
		    EPOLLOUT : 0));
		return;
	}
	/* One message at a time: send the next once the last is back. */
	if (c->sent == c->recvd) {
		lg_message(c, msg);
		n = send(c->fd, msg, MSG_LEN, MSG_NOSIGNAL);
		if (n != MSG_LEN) {
			if (n == -1 && (errno == EAGAIN || errno == EINTR))
				return;
			lg_ended(r, c, false);
			return;
		}
		c->sent += MSG_LEN;
	}
	lg_want(r, c, EPOLLIN);
}

static void
lg_udp(struct lg_run *r)
{
	unsigned char msg[MSG_LEN];
	int i;

	memset(msg, 'u', sizeof(msg));
	for (i = 0; i < UDP_BURST; i++)
		if (send(r->udp, msg, sizeof(msg), MSG_DONTWAIT) == -1 &&
		    errno == EAGAIN)
			break;
	while (recv(r->udp, r->in, sizeof(r->in), MSG_DONTWAIT) > 0)
		add(&r->st->udp_replies, 1);
}

static _Noreturn void
lg_main(const struct loadgen_spec *spec, struct loadgen_stats *st)
{
	static struct lg_run r;
	struct epoll_event ev[64];
	struct sockaddr_in sin;
	uint64_t now;
	int i, n;

	r.spec = spec;
	r.st = st;
	memset(r.out, 'b', sizeof(r.out));
	if ((r.epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		_exit(1);
	for (i = 0; i < spec->bulk && r.nc < CONNS_MAX; i++)
		r.c[r.nc++].kind = K_BULK;
	for (i = 0; i < spec->rr && r.nc < CONNS_MAX; i++)
		r.c[r.nc++].kind = K_RR;
	for (i = 0; i < spec->churn && r.nc < CONNS_MAX; i++)
		r.c[r.nc++].kind = K_CHURN;
	for (i = 0; i < spec->persistent && r.nc < CONNS_MAX; i++)
		r.c[r.nc++].kind = K_PERSIST;
	for (i = 0; i < r.nc; i++)
		lg_open(&r, &r.c[i]);
	r.udp = -1;
	if (spec->udp_flood) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(spec->udp_port);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if ((r.udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC,
		    0)) == -1 || connect(r.udp, (struct sockaddr *)&sin,
		    sizeof(sin)) == -1)
			_exit(1);
	}
	for (;;) {
		n = epoll_wait(r.epfd, ev, 64, r.udp != -1 ? 0 : 10);
		for (i = 0; i < n; i++)
			lg_event(&r, ev[i].data.ptr, ev[i].events);
		if (r.udp != -1)
			lg_udp(&r);
		now = clock_now_ms();
		for (i = 0; i < r.nc; i++)
			if (r.c[i].kind == K_CHURN && r.c[i].fd != -1 &&
			    now - r.c[i].started_ms > CHURN_LATE_MS)
				lg_ended(&r, &r.c[i], false);
	}
}

void
loadgen_start(struct loadgen *lg, const struct loadgen_spec *spec)
{
	lg->spec = *spec;
	lg->st = mmap(NULL, sizeof(*lg->st), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(lg->st, MAP_FAILED);
	memset(lg->st, 0, sizeof(*lg->st));
	ck_assert_int_ne(lg->pid = fork(), -1);
	if (lg->pid == 0) {
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		lg_main(&lg->spec, lg->st);
	}
}

void
loadgen_read(struct loadgen *lg, struct loadgen_stats *out)
{
	uint64_t *dst = (uint64_t *)out, *src = (uint64_t *)lg->st;
	size_t i;

	for (i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

bool
loadgen_wait_busy(struct loadgen *lg, int ms)
{
	uint64_t deadline = clock_now_ms() + ms;
	struct loadgen_stats a, b;

	loadgen_read(lg, &a);
	for (;;) {
		loadgen_read(lg, &b);
		if ((lg->spec.bulk == 0 || b.bulk_bytes > a.bulk_bytes) &&
		    (lg->spec.rr == 0 || b.rr_echoes > a.rr_echoes) &&
		    (!lg->spec.udp_flood || b.udp_replies > a.udp_replies) &&
		    (lg->spec.churn == 0 || b.churn_ok > a.churn_ok) &&
		    (lg->spec.persistent == 0 ||
		    b.persistent_echoes > a.persistent_echoes))
			return true;
		if (clock_now_ms() > deadline)
			return false;
		usleep(2000);
	}
}

void
loadgen_stop(struct loadgen *lg)
{
	if (lg->pid > 0) {
		(void)kill(lg->pid, SIGKILL);
		(void)waitpid(lg->pid, NULL, 0);
		lg->pid = 0;
	}
	if (lg->st != NULL && lg->st != MAP_FAILED)
		(void)munmap(lg->st, sizeof(*lg->st));
	lg->st = NULL;
}
