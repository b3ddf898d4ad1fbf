/* spoofguard.h: refuse this host's own addresses as sources from outside. */
#ifndef ECHOD_SPOOFGUARD_H
#define ECHOD_SPOOFGUARD_H

#include <net/if.h>
#include <netinet/in.h>
#include <linux/filter.h>

#include <stdbool.h>

/*
 * A datagram that claims one of this host's addresses as its source but
 * came in on an interface other than loopback is forged: its echo would go
 * to a service on this very host.  IPv4 refuses most of these itself
 * (martian sources, unless accept_local is set); IPv6 does not.
 *
 * IP_PKTINFO and IPV6_PKTINFO cannot tell them apart: for a local client's
 * datagram to, say, eth0's address they report eth0, as for a forged one
 * that came in on eth0.  Only the device the packet came in on does, and a
 * classic socket filter can read it (SKF_AD_IFINDEX), so the guard is a
 * filter program built from the table; the kernel drops what it refuses.
 */
struct spoofguard;

struct spoofguard *spoofguard_create(void);
void		 spoofguard_destroy(struct spoofguard *);

/* -1 (ENOMEM) on failure; an address already held is not added twice. */
int		 spoofguard_add_loopback(struct spoofguard *, unsigned);
int		 spoofguard_add_inet(struct spoofguard *, struct in_addr);
int		 spoofguard_add_inet6(struct spoofguard *,
		    const struct in6_addr *, unsigned);

/*
 * The filter program into `fp` (the caller frees fp->filter).  Returns how
 * many addresses were left out to stay within BPF_MAXINSNS, or -1 if out
 * of memory.  With no loopback interface known it refuses nothing: it could
 * not tell local clients from forged ones.
 */
int		 spoofguard_program(const struct spoofguard *,
		    struct sock_fprog *);

/*
 * One line of /proc/self/net/if_inet6: address, interface index and name.
 * False if the line is malformed.
 */
bool		 spoofguard_parse_if_inet6(const char *, struct in6_addr *,
		    unsigned *, char [IFNAMSIZ]);

#endif
