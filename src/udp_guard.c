/* udp_guard.c: UDP worker: the source filter, from this host's addresses. */

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/filter.h>
#include <linux/sock_diag.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"
#include "spoofguard.h"
#include "worker_udp.h"

/* /proc/net is hidden by the unit's ProcSubset=pid; /proc/self/net is not. */
#define IF_INET6_PATH	"/proc/self/net/if_inet6"

static void	 load_inet(struct worker_udp *, struct spoofguard *, int);
static void	 load_inet6(struct spoofguard *, int);
static void	 note_loopback(struct spoofguard *, int, const char *);
static void	 guard_listeners(struct worker_udp *,
		    const struct spoofguard *);

/*
 * Subnet broadcast addresses look unicast; only the interfaces tell.  So
 * does which addresses are this host's own.  The SIOCGIFCONF ioctl and
 * if_inet6 need no netlink socket (getifaddrs would), so the service can
 * forbid AF_NETLINK.  Read at start-up: a reload starts a new UDP worker,
 * which reads them again.
 */
void
udp_load_interfaces(struct worker_udp *wu)
{
	struct spoofguard *sg;
	int fd;

	wu->bcast[wu->nbcast++] = htonl(INADDR_BROADCAST);
	if ((sg = spoofguard_create()) == NULL) {
		log_err("setup");
		exit(PROC_EXIT_INIT);
	}
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		log_warn("socket for SIOCGIFCONF");
	else {
		load_inet(wu, sg, fd);
		load_inet6(sg, fd);
		(void)close(fd);
	}
	guard_listeners(wu, sg);
	spoofguard_destroy(sg);
}

/* IPv4: every address, the broadcast ones, the loopback interfaces. */
static void
load_inet(struct worker_udp *wu, struct spoofguard *sg, int fd)
{
	struct ifreq *ifr = NULL, req;
	struct ifconf ifc;
	size_t i, n;

	/* Ask for the size, with room for interfaces that appear meanwhile. */
	memset(&ifc, 0, sizeof(ifc));
	if (ioctl(fd, SIOCGIFCONF, &ifc) == -1)
		goto fail;
	ifc.ifc_len += 8 * sizeof(*ifr);
	if ((ifr = malloc(ifc.ifc_len)) == NULL) {
		log_err("setup");
		exit(PROC_EXIT_INIT);
	}
	ifc.ifc_req = ifr;
	if (ioctl(fd, SIOCGIFCONF, &ifc) == -1)
		goto fail;
	n = ifc.ifc_len / sizeof(ifr[0]);
	for (i = 0; i < n; i++) {
		if (ifr[i].ifr_addr.sa_family == AF_INET &&
		    spoofguard_add_inet(sg, ((struct sockaddr_in *)
		    &ifr[i].ifr_addr)->sin_addr) == -1) {
			log_err("setup");
			exit(PROC_EXIT_INIT);
		}
		note_loopback(sg, fd, ifr[i].ifr_name);
		req = ifr[i];
		if (wu->nbcast == BCAST_MAX ||
		    ioctl(fd, SIOCGIFFLAGS, &req) == -1 ||
		    !(req.ifr_flags & IFF_BROADCAST))
			continue;
		req = ifr[i];
		if (ioctl(fd, SIOCGIFBRDADDR, &req) == 0 &&
		    req.ifr_broadaddr.sa_family == AF_INET)
			wu->bcast[wu->nbcast++] = ((struct sockaddr_in *)
			    &req.ifr_broadaddr)->sin_addr.s_addr;
	}
	free(ifr);
	return;
fail:
	log_warn("ioctl SIOCGIFCONF");
	free(ifr);
}

/* IPv6: every address with its interface (link-local ones need it). */
static void
load_inet6(struct spoofguard *sg, int fd)
{
	char line[256], name[IFNAMSIZ];
	struct in6_addr in6;
	unsigned ifindex;
	FILE *f;

	if ((f = fopen(IF_INET6_PATH, "re")) == NULL) {
		if (errno != ENOENT)	/* absent: IPv6 is disabled */
			log_warn("%s", IF_INET6_PATH);
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (!spoofguard_parse_if_inet6(line, &in6, &ifindex, name))
			continue;
		if (spoofguard_add_inet6(sg, &in6, ifindex) == -1) {
			log_err("setup");
			exit(PROC_EXIT_INIT);
		}
		note_loopback(sg, fd, name);
	}
	(void)fclose(f);
}

static void
note_loopback(struct spoofguard *sg, int fd, const char *name)
{
	struct ifreq req;

	memset(&req, 0, sizeof(req));
	(void)snprintf(req.ifr_name, sizeof(req.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFFLAGS, &req) == -1 ||
	    !(req.ifr_flags & IFF_LOOPBACK) ||
	    ioctl(fd, SIOCGIFINDEX, &req) == -1)
		return;
	if (spoofguard_add_loopback(sg, (unsigned)req.ifr_ifindex) == -1) {
		log_err("setup");
		exit(PROC_EXIT_INIT);
	}
}

/*
 * The filter goes on the listeners the worker shares with the master, so
 * each generation's worker replaces the one before's; the kernel applies
 * it as datagrams are queued.  Its drops are counted in the sockets' drop
 * counters, with overflows, so start from what they hold now.
 */
static void
guard_listeners(struct worker_udp *wu, const struct spoofguard *sg)
{
	struct listener_set *ls = wu->we->ls;
	struct sock_fprog fp;
	size_t i;
	int left;

	if ((left = spoofguard_program(sg, &fp)) == -1) {
		log_err("setup");
		exit(PROC_EXIT_INIT);
	}
	if (left > 0)
		log_warnx("%d of this host's addresses are not in "
		    "the source filter (too many, or no loopback interface "
		    "found): forged sources using them are answered", left);
	for (i = 0; i < ls->n; i++) {
		if (ls->l[i].proto != PROTO_UDP || ls->l[i].fd == -1)
			continue;
		if (setsockopt(ls->l[i].fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp,
		    sizeof(fp)) == -1)
			log_warn("setsockopt SO_ATTACH_FILTER "
			    "on %s", ls->l[i].name);
		wu->kernel_drops[i] = udp_socket_drops(ls->l[i].fd);
	}
	free(fp.filter);
}

uint32_t
udp_socket_drops(int fd)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) == -1 ||
	    len <= SK_MEMINFO_DROPS * sizeof(mem[0]))
		return 0;
	return mem[SK_MEMINFO_DROPS];
}
