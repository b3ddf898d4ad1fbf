/* tcp_admit.c: TCP worker: access lists, per-source limits, PROXY headers. */

#include <sys/socket.h>

#include <errno.h>
#include <unistd.h>

#include "acl.h"
#include "addr.h"
#include "counters.h"
#include "log.h"
#include "persource.h"
#include "proxyproto.h"
#include "scoreboard.h"
#include "worker_tcp.h"

#define PROXY_TIMEOUT_MS	5000	/* for a PROXY header to arrive */

static enum stat_id check_source(struct worker_tcp *,
		    const struct sockaddr *, int *);
static void	 proxy_admit(struct worker_tcp *, struct conn_entry *,
		    struct sockaddr_storage *);
static void	 refuse(struct worker_tcp *, int, const struct sockaddr *,
		    enum stat_id);

/*
 * Who may connect (the access lists) and how much (the per-source limits,
 * counted across every worker): STAT_N if `sa` may, else the refusal's
 * counter.  *slot is the count to release at close.
 */
static enum stat_id
check_source(struct worker_tcp *wt, const struct sockaddr *sa, int *slot)
{
	struct addr_key k, lk;

	*slot = -1;
	if (!addr_key(sa, &k))
		return STAT_N;
	if (!config_permits(wt->cf, &k))
		return STAT_TCP_REFUSED_ACCESS;
	if (acl_match(wt->cf->exempt, &k))
		return STAT_N;
	lk = config_limit_key(wt->cf, &k);
	switch (persource_admit(wt->we->ps, &lk, wt->cf->tcp_ps_conns,
	    wt->cf->tcp_ps_rate, wt->now_ms, slot)) {
	case PERSOURCE_LIMIT:
		return STAT_TCP_REFUSED_LIMIT;
	case PERSOURCE_RATE:
		return STAT_TCP_REFUSED_RATE;
	default:
		return STAT_N;
	}
}

bool
tcp_admit(struct worker_tcp *wt, int fd, const struct sockaddr *sa, int *slot)
{
	enum stat_id why = check_source(wt, sa, slot);

	if (why == STAT_N)
		return true;
	refuse(wt, fd, sa, why);
	return false;
}

/*
 * Peek, so that nothing is consumed until the whole header is there; then
 * take exactly the header, so the client's first bytes stay to be echoed.
 * A header still incomplete is waited for until PROXY_TIMEOUT_MS.
 */
void
tcp_proxy_header(struct worker_tcp *wt, struct conn_entry *e)
{
	unsigned char buf[PROXYPROTO_MAX];
	struct sockaddr_storage ss;
	enum proxyproto_result r;
	size_t hlen = 0;
	ssize_t n;

	n = recv(e->c.fd, buf, sizeof(buf), MSG_PEEK);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return;
	r = n > 0 ? proxyproto_parse(buf, (size_t)n, &hlen, &ss) :
	    PROXYPROTO_BAD;
	if (r == PROXYPROTO_MORE)
		return;
	if (r == PROXYPROTO_BAD || recv(e->c.fd, buf, hlen, 0) !=
	    (ssize_t)hlen) {
		tcp_conn_drop(wt, e, CONN_END_PROXY);
		return;
	}
	e->proxy_wait = false;
	wt->nproxy_wait--;
	proxy_admit(wt, e, &ss);
}

/* The header's client, or the proxy itself for LOCAL and UNKNOWN. */
static void
proxy_admit(struct worker_tcp *wt, struct conn_entry *e,
    struct sockaddr_storage *ss)
{
	char name[ADDR_STRLEN];
	socklen_t len = sizeof(*ss);
	enum stat_id why;
	int slot;

	/* Never accepted: refused for its header, like one that fails it. */
	if (ss->ss_family == AF_UNSPEC &&
	    getpeername(e->c.fd, (struct sockaddr *)ss, &len) == -1) {
		tcp_conn_drop(wt, e, CONN_END_PROXY);
		return;
	}
	log_debug("fd %d is %s (PROXY header)", e->c.fd,
	    addr_format((struct sockaddr *)ss, name, sizeof(name)));
	why = check_source(wt, (struct sockaddr *)ss, &slot);
	if (why != STAT_N) {
		tcp_conn_drop(wt, e, why == STAT_TCP_REFUSED_ACCESS ?
		    CONN_END_ACCESS : why == STAT_TCP_REFUSED_LIMIT ?
		    CONN_END_LIMIT : CONN_END_RATE);
		return;
	}
	/* Counted only now, so a refused client is never "accepted". */
	scoreboard_count(wt->we->sb, wt->we->board, STAT_TCP_ACCEPTED, 1);
	e->ps_slot = slot;
	e->c.can_read = true;
	tcp_conn_service(wt, e);
}

/* The list is by last activity, and a waiting connection has had none. */
void
tcp_expire_proxy(struct worker_tcp *wt)
{
	struct conn_entry *e, *next;

	if (wt->nproxy_wait == 0 || wt->now_ms < wt->proxy_check_ms)
		return;
	wt->proxy_check_ms = wt->now_ms + PROXY_CHECK_MS;
	for (e = wt->tab.oldest; e != NULL &&
	    wt->now_ms - e->active_ms >= PROXY_TIMEOUT_MS; e = next) {
		next = e->next;
		if (e->proxy_wait)
			tcp_conn_drop(wt, e, CONN_END_PROXY);
	}
}

/*
 * A refusal at accept, before a connection entry exists.  A reset, not a
 * FIN: a flood of refused connections leaves no TIME_WAIT behind.
 */
static void
refuse(struct worker_tcp *wt, int fd, const struct sockaddr *sa,
    enum stat_id why)
{
	struct linger lg = { 1, 0 };
	char name[ADDR_STRLEN];

	log_debug("refused %s (%s)", addr_format(sa, name,
	    sizeof(name)), stat_info[why].name);
	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	(void)close(fd);
	scoreboard_count(wt->we->sb, wt->we->board, why, 1);
}
