/* udp_send.c: UDP worker: send a batch's replies, a peer's run of them as one GSO send. */

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/udp.h>

#include <errno.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "scoreboard.h"
#include "worker_udp.h"

/*
 * Replies to one peer, one after the other, of one size, go out as one
 * sendmsg with UDP_SEGMENT (Linux 4.18): the kernel walks routing, the
 * IP output path and the device once for all of them and cuts the
 * datagrams apart at the end, each with its own headers, so the client
 * sees exactly the datagrams it would have seen.  A ping-like client
 * with 16 requests in flight cost echod 8 % less CPU per datagram.
 *
 * Only datagrams that fit an IPv6 minimum-MTU packet are joined: the
 * kernel refuses segments longer than the path MTU (EMSGSIZE), and one
 * datagram alone may be fragmented, as before.
 */
#define GSO_SEGMENT_MAX	1232
#define GSO_RUN_MAX	64	/* UDP_MAX_SEGMENTS of older kernels */
#define GSO_FAILS_MAX	8	/* refused in a row: segmentation is off */
#define GSO_PAUSE_MS	60000	/* then tried again after this long */

static int	 plan(struct worker_udp *, int);
static bool	 same_route(const struct msghdr *, const struct msghdr *);
static void	 add_segment_cmsg(struct worker_udp *, int, struct msghdr *,
		    size_t);
/* What one batch's sends echoed, counted once on the scoreboard. */
struct tally {
	uint64_t	 datagrams;
	uint64_t	 bytes;
};

static void	 send_alone(struct worker_udp *, int, const struct msghdr *,
		    struct tally *);
static bool	 gso_on(struct worker_udp *);
static void	 gso_failed(struct worker_udp *, int);
static void	 not_answered(struct worker_udp *, const char *, size_t);
static void	 count_sent(struct tally *, const struct msghdr *);

/*
 * Same peer, same length, same local address: the pktinfo, reply_pktinfo's
 * only control message, compared up to its length (not its padding).
 */
static bool
same_route(const struct msghdr *a, const struct msghdr *b)
{
	const struct cmsghdr *ca, *cb;

	if (a->msg_namelen != b->msg_namelen ||
	    memcmp(a->msg_name, b->msg_name, a->msg_namelen) != 0 ||
	    a->msg_iov[0].iov_len != b->msg_iov[0].iov_len ||
	    (a->msg_controllen == 0) != (b->msg_controllen == 0))
		return false;
	if (a->msg_controllen == 0)
		return true;
	ca = CMSG_FIRSTHDR(a);
	cb = CMSG_FIRSTHDR(b);
	return ca->cmsg_len == cb->cmsg_len &&
	    memcmp(ca, cb, ca->cmsg_len) == 0;
}

/*
 * The replies in wu->out become wu->send: runs joined, the rest as they
 * are, in their order.  A joined send has one iovec per datagram.
 */
static int
plan(struct worker_udp *wu, int nout)
{
	struct msghdr *h, *g;
	int i, j, k, m = 0, niov = 0;
	size_t len;

	for (i = 0; i < nout; i = j) {
		h = &wu->out[i].msg_hdr;
		len = h->msg_iov[0].iov_len;
		j = i + 1;
		if (len > 0 && len <= GSO_SEGMENT_MAX && gso_on(wu))
			while (j < nout && j - i < GSO_RUN_MAX &&
			    same_route(h, &wu->out[j].msg_hdr))
				j++;
		wu->send[m].msg_hdr = *h;
		if (j - i > 1) {
			g = &wu->send[m].msg_hdr;
			for (k = i; k < j; k++)
				wu->gso_iov[niov + k - i] =
				    wu->out[k].msg_hdr.msg_iov[0];
			g->msg_iov = &wu->gso_iov[niov];
			g->msg_iovlen = (size_t)(j - i);
			niov += j - i;
			add_segment_cmsg(wu, m, g, len);
		}
		m++;
	}
	return m;
}

/* The pktinfo, if any, then UDP_SEGMENT, in a buffer of the send's own. */
static void
add_segment_cmsg(struct worker_udp *wu, int m, struct msghdr *g, size_t len)
{
	unsigned char *buf = (unsigned char *)wu->gso_cmsg[m].buf;
	struct cmsghdr *c;
	size_t off = 0;
	uint16_t seg = (uint16_t)len;

	if (g->msg_controllen > 0) {
		c = CMSG_FIRSTHDR(g);
		memcpy(buf, c, c->cmsg_len);
		off = CMSG_SPACE(c->cmsg_len - CMSG_LEN(0));
	}
	c = (struct cmsghdr *)(buf + off);
	memset(c, 0, CMSG_SPACE(sizeof(seg)));
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(seg));
	memcpy(CMSG_DATA(c), &seg, sizeof(seg));
	g->msg_control = buf;
	g->msg_controllen = off + CMSG_SPACE(sizeof(seg));
}

void
udp_send_replies(struct worker_udp *wu, int fd, int nout)
{
	struct tally t = { 0, 0 };
	struct msghdr *g;
	int i, k, m, sent;

	m = plan(wu, nout);
	for (i = 0; i < m; i++) {
		sent = sendmmsg(fd, wu->send + i, (unsigned)(m - i),
		    MSG_DONTWAIT);
		for (k = 0; k < sent; k++) {
			g = &wu->send[i + k].msg_hdr;
			count_sent(&t, g);
			if (g->msg_iovlen > 1)
				wu->gso_fails = 0;
		}
		if (sent > 0) {
			i += sent - 1;
			continue;
		}
		/*
		 * The first of what is left failed.  A full socket buffer
		 * or an unreachable peer loses it, as UDP may; skip it,
		 * keep the rest.  A joined send the kernel would not take
		 * as such goes again one datagram at a time.
		 */
		g = &wu->send[i].msg_hdr;
		if (g->msg_iovlen == 1 || errno == EAGAIN ||
		    errno == EWOULDBLOCK || errno == ENOBUFS ||
		    errno == ENOMEM) {
			not_answered(wu, "sendmmsg", g->msg_iovlen);
			continue;
		}
		gso_failed(wu, errno);
		send_alone(wu, fd, g, &t);
	}
	scoreboard_count(wu->we->sb, wu->we->board, STAT_UDP_ECHOED,
	    t.datagrams);
	scoreboard_count(wu->we->sb, wu->we->board, STAT_UDP_BYTES, t.bytes);
}

/* Each datagram of a joined send, with the pktinfo and no UDP_SEGMENT. */
static void
send_alone(struct worker_udp *wu, int fd, const struct msghdr *g,
    struct tally *t)
{
	struct msghdr one = *g;
	struct cmsghdr *c;
	size_t k;

	one.msg_iovlen = 1;
	one.msg_controllen = 0;
	c = CMSG_FIRSTHDR(g);
	if (c != NULL && c->cmsg_level != SOL_UDP)
		one.msg_controllen = CMSG_SPACE(c->cmsg_len - CMSG_LEN(0));
	if (one.msg_controllen == 0)
		one.msg_control = NULL;
	for (k = 0; k < g->msg_iovlen; k++) {
		one.msg_iov = &g->msg_iov[k];
		if (sendmsg(fd, &one, MSG_DONTWAIT) == -1)
			not_answered(wu, "sendmsg", 1);
		else
			count_sent(t, &one);
	}
}

/* Replies are joined unless segmentation was refused lately. */
static bool
gso_on(struct worker_udp *wu)
{
	if (wu->gso_resume_ms == 0)
		return true;
	if (wu->now_ms < wu->gso_resume_ms)
		return false;
	wu->gso_resume_ms = 0;
	wu->gso_fails = 0;
	return true;
}

/*
 * A joined send refused goes again one datagram at a time, and most
 * refusals belong to one peer's path, not to the kernel: EMSGSIZE (EINVAL
 * before Linux 6.5) for the path's MTU, EIO through IPsec or out of a
 * device that cannot checksum, EPERM or EACCES from a firewall, an
 * unreachable route.  Turning segmentation off for one of them would cost
 * every other peer.  GSO_FAILS_MAX in a row, with no joined send going
 * through between them, say it fails for this host's traffic: join no
 * replies for GSO_PAUSE_MS, then try again, so that a while with only a
 * refused peer talking does not end it for good.
 */
static void
gso_failed(struct worker_udp *wu, int err)
{
	if (++wu->gso_fails < GSO_FAILS_MAX)
		return;
	wu->gso_resume_ms = wu->now_ms + GSO_PAUSE_MS;
	log_notice("UDP segmentation offload refused %d times in a row (%s): "
	    "sending each reply on its own for %d s", GSO_FAILS_MAX,
	    strerror(err), GSO_PAUSE_MS / 1000);
}

static void
not_answered(struct worker_udp *wu, const char *call, size_t n)
{
	uint64_t suppressed;

	if (log_ratelimit_allow(&wu->send_rl, clock_now_ms(), &suppressed))
		log_warn("%s, %zu datagram%s not answered (%llu more since "
		    "last logged)", call, n, n == 1 ? "" : "s",
		    (unsigned long long)suppressed);
}

static void
count_sent(struct tally *t, const struct msghdr *g)
{
	size_t k;

	for (k = 0; k < g->msg_iovlen; k++)
		t->bytes += g->msg_iov[k].iov_len;
	t->datagrams += g->msg_iovlen;
}
