/* check_udp_spoof.c: UDP from forged sources: own, embedded, by prefix. */

/*
 * Each test runs in a network namespace of its own (Check forks every
 * test), with a TUN device the test writes raw packets into and reads the
 * echoes from: nothing leaves the namespace.  It needs root and
 * /dev/net/tun; without them it says so and passes.
 */

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/if_tun.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "clock.h"
#include "harness.h"

#define TUN_NAME	"echotun0"
#define TAP_NAME	"echotap0"
#define TUN6		"2001:db8:7::1"
#define TUN6_OTHER	"2001:db8:7::5"		/* added later */
#define PEER6		"2001:db8:7::2"
#define TUN4		"10.77.0.1"
#define PEER4		"10.77.0.2"
#define TAP4		"10.88.0.1"
#define TAP4_BCAST	"10.88.0.255"
#define PEER_PORT	40000
#define WAIT_MS		5000
#define QUIET_MS	300	/* a reply that was coming is in by then */

/* struct in6_ifreq is in <linux/ipv6.h>, which clashes with netinet/in.h. */
struct tun_in6_ifreq {
	struct in6_addr	 addr;
	uint32_t	 prefixlen;
	int		 ifindex;
};

/*
 * The namespace: the TUN device and its index, the TAP device (both live
 * as long as their descriptors), echod and the ports it bound.
 */
struct net {
	int		 tun;
	int		 tap;
	int		 ifindex;
	struct harness	 h;
	uint16_t	 port4, port6;
};

/* One UDP datagram read back from the TUN device. */
struct dgram {
	int		 family;
	unsigned char	 src[16], dst[16];
	uint16_t	 sport, dport;
	unsigned char	 data[256];
	size_t		 len;
};

static const int families[] = { AF_INET6, AF_INET };

static bool
usable(void)
{
	if (geteuid() != 0) {
		printf("check_udp_spoof: skipped: needs root for a network "
		    "namespace and a TUN device\n");
		return false;
	}
	if (access("/dev/net/tun", R_OK | W_OK) == -1) {
		printf("check_udp_spoof: skipped: /dev/net/tun: %s\n",
		    strerror(errno));
		return false;
	}
	return true;
}

static void
sysctl_set(const char *path, const char *value)
{
	int fd;

	ck_assert_msg((fd = open(path, O_WRONLY | O_CLOEXEC)) != -1,
	    "open %s: %s", path, strerror(errno));
	ck_assert_int_eq(write(fd, value, strlen(value)),
	    (ssize_t)strlen(value));
	(void)close(fd);
}

static void
link_up(int s, const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	(void)snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ck_assert_int_eq(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	ck_assert_msg(ioctl(s, SIOCSIFFLAGS, &ifr) == 0, "up %s: %s", name,
	    strerror(errno));
}

static int
tun_open(const char *name, short type)
{
	struct ifreq ifr;
	int fd;

	ck_assert_int_ge(fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK |
	    O_CLOEXEC), 0);
	memset(&ifr, 0, sizeof(ifr));
	(void)snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = type | IFF_NO_PI;
	ck_assert_msg(ioctl(fd, TUNSETIFF, &ifr) == 0, "TUNSETIFF %s: %s",
	    name, strerror(errno));
	return fd;
}

static void
addr4_set(int s, const char *name, const char *ip, const char *mask,
    const char *bcast)
{
	struct sockaddr_in *sin;
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	(void)snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	sin = (struct sockaddr_in *)&ifr.ifr_addr;
	sin->sin_family = AF_INET;
	ck_assert_int_eq(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
	ck_assert_int_eq(ioctl(s, SIOCSIFADDR, &ifr), 0);
	ck_assert_int_eq(inet_pton(AF_INET, mask, &sin->sin_addr), 1);
	ck_assert_int_eq(ioctl(s, SIOCSIFNETMASK, &ifr), 0);
	if (bcast == NULL)
		return;
	ck_assert_int_eq(inet_pton(AF_INET, bcast, &sin->sin_addr), 1);
	ck_assert_int_eq(ioctl(s, SIOCSIFBRDADDR, &ifr), 0);
}

static void
addr6_add(int ifindex, const char *ip)
{
	struct tun_in6_ifreq ifr6;
	int s;

	ck_assert_int_ge(s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0),
	    0);
	memset(&ifr6, 0, sizeof(ifr6));
	ck_assert_int_eq(inet_pton(AF_INET6, ip, &ifr6.addr), 1);
	ifr6.prefixlen = 64;
	ifr6.ifindex = ifindex;
	ck_assert_msg(ioctl(s, SIOCSIFADDR, &ifr6) == 0, "add %s: %s", ip,
	    strerror(errno));
	(void)close(s);
}

/* Everything off-link, 6to4 and NAT64 included, goes out the TUN. */
static void
route6_default(int ifindex)
{
	struct in6_rtmsg rt;
	int s;

	ck_assert_int_ge(s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0),
	    0);
	memset(&rt, 0, sizeof(rt));
	rt.rtmsg_dst_len = 0;
	rt.rtmsg_flags = RTF_UP;
	rt.rtmsg_metric = 1;
	rt.rtmsg_ifindex = ifindex;
	ck_assert_msg(ioctl(s, SIOCADDRT, &rt) == 0, "route ::/0: %s",
	    strerror(errno));
	(void)close(s);
}

/*
 * A namespace with lo and echotun0 (TUN6/64, TUN4/24, accept_local so that
 * IPv4 lets a forged own source through as IPv6 always does), plus
 * echotap0 whose only role is to give IPv4 a subnet broadcast address.
 */
static void
net_create(struct net *n)
{
	struct ifreq ifr;
	int s;

	memset(n, 0, sizeof(*n));
	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare: %s",
	    strerror(errno));
	ck_assert_int_ge(s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), 0);
	link_up(s, "lo");
	n->tun = tun_open(TUN_NAME, IFF_TUN);
	/* No duplicate address detection: the address is usable at once. */
	sysctl_set("/proc/sys/net/ipv6/conf/" TUN_NAME "/accept_dad", "0");
	sysctl_set("/proc/sys/net/ipv4/conf/" TUN_NAME "/accept_local", "1");
	sysctl_set("/proc/sys/net/ipv4/conf/" TUN_NAME "/rp_filter", "0");
	sysctl_set("/proc/sys/net/ipv4/conf/all/rp_filter", "0");
	link_up(s, TUN_NAME);
	memset(&ifr, 0, sizeof(ifr));
	(void)snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", TUN_NAME);
	ck_assert_int_eq(ioctl(s, SIOCGIFINDEX, &ifr), 0);
	n->ifindex = ifr.ifr_ifindex;
	addr6_add(n->ifindex, TUN6);
	addr4_set(s, TUN_NAME, TUN4, "255.255.255.0", NULL);
	route6_default(n->ifindex);
	n->tap = tun_open(TAP_NAME, IFF_TAP);
	addr4_set(s, TAP_NAME, TAP4, "255.255.255.0", TAP4_BCAST);
	(void)close(s);
}

/*
 * echod on the wildcard addresses of the namespace, both families, with
 * `extra` settings (or none) after the listeners.
 */
static void
net_start_echod(struct net *n, const char *extra)
{
	char conf[1024], line[256];
	unsigned port;

	(void)snprintf(conf, sizeof(conf), "workers = 1;\nlisten = (\n"
	    "  { protocol = \"udp\"; address = \"::\"; port = 0; },\n"
	    "  { protocol = \"udp\"; address = \"0.0.0.0\"; port = 0; }\n);\n"
	    "%s\n", extra != NULL ? extra : "");
	harness_init(&n->h);
	harness_write_config(&n->h, 0, conf);
	harness_launch(&n->h);
	ck_assert(harness_wait_log(&n->h, "udp worker (generation 1): started", H_READY_MS));
	ck_assert(harness_log_line(&n->h, "listening on udp [::]:", line,
	    sizeof(line)));
	ck_assert_int_eq(sscanf(strrchr(line, ':') + 1, "%u", &port), 1);
	n->port6 = (uint16_t)port;
	ck_assert(harness_log_line(&n->h, "listening on udp 0.0.0.0:", line,
	    sizeof(line)));
	ck_assert_int_eq(sscanf(strrchr(line, ':') + 1, "%u", &port), 1);
	n->port4 = (uint16_t)port;
}

static uint16_t
echod_port(const struct net *n, int family)
{
	return family == AF_INET6 ? n->port6 : n->port4;
}

static uint32_t
sum16(uint32_t sum, const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t
fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * Write an IPv6 or IPv4 UDP datagram into the TUN device, as if it came
 * in from the link.  The UDP checksum covers the pseudo-header.
 */
static void
inject(struct net *n, const char *src, uint16_t sport, const char *dst,
    uint16_t dport, const char *data)
{
	unsigned char pkt[512], *udp, proto[2] = { 0, IPPROTO_UDP };
	bool v6 = strchr(src, ':') != NULL;
	size_t len = strlen(data), ulen = 8 + len, hlen = v6 ? 40 : 20;
	uint32_t sum;
	uint16_t csum;
	unsigned char ulen_be[2] = { (unsigned char)(ulen >> 8),
	    (unsigned char)ulen };

	memset(pkt, 0, hlen + ulen);
	if (v6) {
		pkt[0] = 0x60;
		pkt[4] = (unsigned char)(ulen >> 8);
		pkt[5] = (unsigned char)ulen;
		pkt[6] = IPPROTO_UDP;
		pkt[7] = 64;
		ck_assert_int_eq(inet_pton(AF_INET6, src, &pkt[8]), 1);
		ck_assert_int_eq(inet_pton(AF_INET6, dst, &pkt[24]), 1);
		sum = sum16(0, &pkt[8], 32);
	} else {
		pkt[0] = 0x45;
		pkt[2] = (unsigned char)((hlen + ulen) >> 8);
		pkt[3] = (unsigned char)(hlen + ulen);
		pkt[8] = 64;
		pkt[9] = IPPROTO_UDP;
		ck_assert_int_eq(inet_pton(AF_INET, src, &pkt[12]), 1);
		ck_assert_int_eq(inet_pton(AF_INET, dst, &pkt[16]), 1);
		csum = fold(sum16(0, pkt, hlen));
		pkt[10] = (unsigned char)(csum >> 8);
		pkt[11] = (unsigned char)csum;
		sum = sum16(0, &pkt[12], 8);
	}
	udp = pkt + hlen;
	udp[0] = (unsigned char)(sport >> 8);
	udp[1] = (unsigned char)sport;
	udp[2] = (unsigned char)(dport >> 8);
	udp[3] = (unsigned char)dport;
	udp[4] = ulen_be[0];
	udp[5] = ulen_be[1];
	memcpy(udp + 8, data, len);
	sum = sum16(sum, proto, 2);
	sum = sum16(sum, ulen_be, 2);
	csum = fold(sum16(sum, udp, ulen));
	if (csum == 0)
		csum = 0xffff;
	udp[6] = (unsigned char)(csum >> 8);
	udp[7] = (unsigned char)csum;
	ck_assert_int_eq(write(n->tun, pkt, hlen + ulen),
	    (ssize_t)(hlen + ulen));
}

/* The next UDP datagram the kernel sends out the TUN; false if none. */
static bool
next_dgram(struct net *n, struct dgram *d, uint64_t deadline)
{
	struct pollfd pfd = { n->tun, POLLIN, 0 };
	unsigned char pkt[2048], *udp;
	uint64_t now;
	size_t hlen;
	ssize_t r;

	for (;;) {
		now = clock_now_ms();
		if (now >= deadline)
			return false;
		if (poll(&pfd, 1, (int)(deadline - now)) <= 0)
			continue;
		if ((r = read(n->tun, pkt, sizeof(pkt))) <= 0)
			continue;
		memset(d, 0, sizeof(*d));
		/* Router solicitations and MLD reports are not ours. */
		if (pkt[0] >> 4 == 6 && r >= 48 && pkt[6] == IPPROTO_UDP) {
			d->family = AF_INET6;
			memcpy(d->src, &pkt[8], 16);
			memcpy(d->dst, &pkt[24], 16);
			hlen = 40;
		} else if (pkt[0] >> 4 == 4 && r >= 28 &&
		    pkt[9] == IPPROTO_UDP) {
			d->family = AF_INET;
			memcpy(d->src, &pkt[12], 4);
			memcpy(d->dst, &pkt[16], 4);
			hlen = (size_t)(pkt[0] & 0xf) * 4;
		} else
			continue;
		udp = pkt + hlen;
		d->sport = (uint16_t)(udp[0] << 8 | udp[1]);
		d->dport = (uint16_t)(udp[2] << 8 | udp[3]);
		d->len = (size_t)r - hlen - 8;
		if (d->len > sizeof(d->data))
			d->len = sizeof(d->data);
		memcpy(d->data, udp + 8, d->len);
		return true;
	}
}

static bool
dgram_to(const struct dgram *d, const char *ip, uint16_t port)
{
	unsigned char a[16];
	int family = strchr(ip, ':') != NULL ? AF_INET6 : AF_INET;

	ck_assert_int_eq(inet_pton(family, ip, a), 1);
	return d->family == family && d->dport == port &&
	    memcmp(d->dst, a, family == AF_INET6 ? 16 : 4) == 0;
}

/*
 * Read the TUN until the echo of `data` to `ip`:PEER_PORT comes; it must
 * come, and no echo may go to any of `denied` before it.  echod answers in
 * order, so an echo of a datagram injected earlier would come first.
 */
static void
expect_echo_only(struct net *n, const char *ip, const char *data,
    const char *const *denied)
{
	uint64_t deadline = clock_now_ms() + WAIT_MS;
	struct dgram d;
	int i;

	for (;;) {
		ck_assert_msg(next_dgram(n, &d, deadline),
		    "no echo to %s within %d ms", ip, WAIT_MS);
		for (i = 0; denied != NULL && denied[i] != NULL; i++)
			ck_assert_msg(!dgram_to(&d, denied[i], PEER_PORT),
			    "echod answered %s", denied[i]);
		if (dgram_to(&d, ip, PEER_PORT))
			break;
	}
	ck_assert_uint_eq(d.len, strlen(data));
	ck_assert_mem_eq(d.data, data, d.len);
}

/*
 * A UDP socket bound to `ip` on this host: a client, or a local service.
 * An IPv6 address just added stays tentative until the kernel's address
 * work runs, even without duplicate address detection: wait for it.
 */
static int
local_socket(const char *ip)
{
	uint64_t deadline = clock_now_ms() + WAIT_MS;
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, family = strchr(ip, ':') != NULL ? AF_INET6 : AF_INET;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		ck_assert_int_eq(inet_pton(AF_INET6, ip, &sin6->sin6_addr), 1);
		len = sizeof(*sin6);
	} else {
		sin->sin_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
		len = sizeof(*sin);
	}
	ck_assert_int_ge(fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0), 0);
	while (bind(fd, (struct sockaddr *)&ss, len) == -1) {
		ck_assert_msg(errno == EADDRNOTAVAIL &&
		    clock_now_ms() < deadline, "bind %s: %s", ip,
		    strerror(errno));
		(void)poll(NULL, 0, 10);
	}
	return fd;
}

static bool
readable(int fd, int ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };

	return poll(&pfd, 1, ms) == 1;
}

static const char *
own_addr(int family)
{
	return family == AF_INET6 ? TUN6 : TUN4;
}

static const char *
peer_addr(int family)
{
	return family == AF_INET6 ? PEER6 : PEER4;
}

/*
 * A datagram from the wire claiming this host's own address, aimed from a
 * local service's port: its echo would hit that service.  It gets none,
 * a peer's datagram right after it is answered, and the kernel's drop is
 * reported when echod stops.
 */
START_TEST(udp_forged_own_source_is_dropped)
{
	int family = families[_i], service;
	uint16_t service_port;
	struct net n;

	if (!usable())
		return;
	net_create(&n);
	net_start_echod(&n, NULL);
	service = local_socket(own_addr(family));
	service_port = harness_local_port(service);
	inject(&n, own_addr(family), service_port, own_addr(family),
	    echod_port(&n, family), "forged");
	inject(&n, peer_addr(family), PEER_PORT, own_addr(family),
	    echod_port(&n, family), "control");
	expect_echo_only(&n, peer_addr(family), "control", NULL);
	ck_assert_msg(!readable(service, QUIET_MS),
	    "the forged datagram's echo reached the local service");
	harness_stop_keep(&n.h);
	ck_assert(harness_wait_log(&n.h, "): the kernel dropped 1 "
	    "datagrams from forged sources", 0));
	(void)close(service);
	harness_finish(&n.h);
}
END_TEST

/*
 * A local client may use the host's own non-loopback address: its
 * datagram comes in on lo (though IP_PKTINFO names the TUN) and is
 * answered.
 */
START_TEST(udp_local_client_using_own_address_is_answered)
{
	int family = families[_i], fd;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char got[16];
	struct net n;

	if (!usable())
		return;
	net_create(&n);
	net_start_echod(&n, NULL);
	fd = local_socket(own_addr(family));
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	if (family == AF_INET6)
		((struct sockaddr_in6 *)&ss)->sin6_port =
		    htons(echod_port(&n, family));
	else
		((struct sockaddr_in *)&ss)->sin_port =
		    htons(echod_port(&n, family));
	ck_assert_int_eq(sendto(fd, "local", 5, 0, (struct sockaddr *)&ss,
	    len), 5);
	ck_assert_msg(readable(fd, WAIT_MS), "no echo to the local client");
	ck_assert_int_eq(recv(fd, got, sizeof(got), 0), 5);
	ck_assert_mem_eq(got, "local", 5);
	(void)close(fd);
	harness_stop(&n.h);
}
END_TEST

/*
 * IPv6 sources that embed a reflector IPv4 address (6to4, NAT64, Teredo
 * server or client) or a subnet broadcast (10.88.0.255 on echotap0): a
 * gateway would carry the echo to it.  None is answered; 6to4 embedding
 * 1.2.3.4, sent last, is.
 */
START_TEST(udp_source_embedding_reflector_ipv4_is_dropped)
{
	static const char *const denied[] = {
		"2002:ff00:1::1",			/* 255.0.0.1 */
		"2002:e000:1::1",			/* 224.0.0.1 */
		"64:ff9b::e000:1",			/* 224.0.0.1 */
		"64:ff9b::ffff:ffff",			/* 255.255.255.255 */
		"2001:0:ff00:1:8000:f227:fefd:fcfb",	/* server 255.0.0.1 */
		"2001:0:102:304:8000:f227:1fff:fffe",	/* client 224.0.0.1 */
		"2002:a58:ff::1",			/* 10.88.0.255 */
		"64:ff9b::a58:ff",			/* 10.88.0.255 */
		NULL,
	};
	char want[128];
	struct net n;
	int i;

	if (!usable())
		return;
	net_create(&n);
	net_start_echod(&n, NULL);
	for (i = 0; denied[i] != NULL; i++)
		inject(&n, denied[i], PEER_PORT, TUN6, n.port6, "reflect");
	inject(&n, "2002:102:304::1", PEER_PORT, TUN6, n.port6, "6to4");
	expect_echo_only(&n, "2002:102:304::1", "6to4", denied);
	harness_stop_keep(&n.h);
	(void)snprintf(want, sizeof(want), "dropped 0 datagrams from denied "
	    "source ports, %d from broadcast, multicast or invalid sources",
	    i);
	ck_assert_msg(harness_wait_log(&n.h, want, 0), "no \"%s\"", want);
	harness_finish(&n.h);
}
END_TEST

/*
 * The own addresses are read when the UDP worker starts: one added later
 * is guarded after a reload, which starts a new worker.
 */
START_TEST(udp_reload_guards_addresses_added_since)
{
	int service;
	struct net n;

	if (!usable())
		return;
	net_create(&n);
	net_start_echod(&n, NULL);
	addr6_add(n.ifindex, TUN6_OTHER);
	service = local_socket(TUN6_OTHER);
	harness_mark(&n.h);
	harness_signal(&n.h, SIGHUP);
	ck_assert(harness_wait_log(&n.h, "udp worker (generation 2): started",
	    H_READY_MS));
	inject(&n, TUN6_OTHER, harness_local_port(service), TUN6, n.port6,
	    "forged");
	inject(&n, PEER6, PEER_PORT, TUN6, n.port6, "control");
	expect_echo_only(&n, PEER6, "control", NULL);
	ck_assert_msg(!readable(service, QUIET_MS),
	    "the forged datagram's echo reached the local service");
	(void)close(service);
	harness_stop(&n.h);
}
END_TEST

/*
 * The UDP response rate counts an IPv6 source by its /56 (by default):
 * six addresses of one /56, from the wire, share one bucket of one
 * answer, and a seventh from the next /56 has its own.  Counted by
 * address (/128), each of the six is answered.  Loopback offers only
 * ::1, hence forged sources.
 */
static const int ipv6_prefixes[] = { 56, 128 };

START_TEST(udp_rate_counts_ipv6_sources_by_prefix)
{
	static const char *const one56[] = {
		"2001:db8:56::1", "2001:db8:56:1::1", "2001:db8:56:ff::1",
		"2001:db8:56:ab::cd", "2001:db8:56:12:3456::1",
		"2001:db8:56:80::2",
	};
	const char *next56 = "2001:db8:56:100::1";
	int prefix = ipv6_prefixes[_i], answered = 0, allowed;
	uint64_t start, deadline;
	char extra[256], want[256];
	struct dgram d;
	struct net n;
	size_t i;

	if (!usable())
		return;
	net_create(&n);
	(void)snprintf(extra, sizeof(extra), "udp = { per_source_rate = 1; "
	    "per_source_burst = 1; };\nper_source_exempt = [];\n"
	    "per_source_ipv6_prefix = %d;", prefix);
	net_start_echod(&n, extra);
	start = clock_now_ms();
	for (i = 0; i < sizeof(one56) / sizeof(one56[0]); i++)
		inject(&n, one56[i], PEER_PORT, TUN6, n.port6, "prefix");
	inject(&n, next56, PEER_PORT, TUN6, n.port6, "next");
	/* Answered in order: the next /56's echo comes after the others'. */
	deadline = clock_now_ms() + WAIT_MS;
	for (;;) {
		ck_assert_msg(next_dgram(&n, &d, deadline),
		    "no echo to %s within %d ms", next56, WAIT_MS);
		if (dgram_to(&d, next56, PEER_PORT))
			break;
		for (i = 0; i < sizeof(one56) / sizeof(one56[0]); i++)
			answered += dgram_to(&d, one56[i], PEER_PORT);
	}
	if (prefix == 128)
		ck_assert_int_eq(answered, 6);
	else {
		/* One a second refills: a stalled worker may owe more. */
		allowed = 1 + (int)((clock_now_ms() - start) / 1000);
		ck_assert_msg(answered >= 1 && answered <= allowed,
		    "%d of 6 answered from one /56, %d allowed", answered,
		    allowed);
	}
	harness_stop_keep(&n.h);
	/* Drops are logged when there are some: at /56, the ones not answered. */
	if (answered < 6) {
		(void)snprintf(want, sizeof(want), "%d over the per-source "
		    "rate", 6 - answered);
		ck_assert_msg(harness_wait_log(&n.h, want, 0), "no \"%s\"",
		    want);
	}
	harness_finish(&n.h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("udp_spoof");
	TCase *tc = tcase_create("udp_spoof");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, udp_forged_own_source_is_dropped, 0, 2);
	tcase_add_loop_test(tc, udp_local_client_using_own_address_is_answered,
	    0, 2);
	tcase_add_test(tc, udp_source_embedding_reflector_ipv4_is_dropped);
	tcase_add_test(tc, udp_reload_guards_addresses_added_since);
	tcase_add_loop_test(tc, udp_rate_counts_ipv6_sources_by_prefix, 0, 2);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
