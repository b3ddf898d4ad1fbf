/* check_spoofguard.c: the own-address source filter and its inputs. */

#include <sys/socket.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "spoofguard.h"

#define LO	1
#define ETH0	2
#define ETH1	3

/* What the filter may read of a datagram: its device, protocol, header. */
struct pkt {
	unsigned	 ifindex;
	uint16_t	 proto;
	uint8_t		 net[40];
};

/*
 * Run the program as the kernel would, on the instructions the builder
 * uses; anything else fails the test.  True if it keeps the datagram.
 */
static bool
run(const struct sock_fprog *fp, const struct pkt *p)
{
	uint32_t a = 0, x = 0, m[BPF_MEMWORDS] = { 0 }, off;
	const struct sock_filter *f;
	size_t pc;

	for (pc = 0; pc < fp->len; pc++) {
		f = &fp->filter[pc];
		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (f->k == (uint32_t)(SKF_AD_OFF + SKF_AD_IFINDEX))
				a = p->ifindex;
			else if (f->k == (uint32_t)(SKF_AD_OFF +
			    SKF_AD_PROTOCOL))
				a = p->proto;
			else {
				off = f->k - (uint32_t)SKF_NET_OFF;
				ck_assert_uint_le(off + 4, sizeof(p->net));
				a = (uint32_t)p->net[off] << 24 |
				    (uint32_t)p->net[off + 1] << 16 |
				    (uint32_t)p->net[off + 2] << 8 |
				    p->net[off + 3];
			}
			break;
		case BPF_LD | BPF_MEM:
			ck_assert_uint_lt(f->k, BPF_MEMWORDS);
			a = m[f->k];
			break;
		case BPF_ST:
			ck_assert_uint_lt(f->k, BPF_MEMWORDS);
			m[f->k] = a;
			break;
		case BPF_MISC | BPF_TAX:
			x = a;
			break;
		case BPF_MISC | BPF_TXA:
			a = x;
			break;
		case BPF_JMP | BPF_JA:
			pc += f->k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == f->k ? f->jt : f->jf;
			break;
		case BPF_RET | BPF_K:
			return f->k != 0;
		default:
			ck_abort_msg("instruction %zu: code %#x", pc, f->code);
		}
	}
	ck_abort_msg("the program ran past its end");
	return false;
}

static struct pkt
packet(const char *src, unsigned ifindex)
{
	struct pkt p;

	memset(&p, 0, sizeof(p));
	p.ifindex = ifindex;
	if (strchr(src, ':') != NULL) {
		p.proto = ETH_P_IPV6;
		p.net[0] = 0x60;
		ck_assert_int_eq(inet_pton(AF_INET6, src, &p.net[8]), 1);
	} else {
		p.proto = ETH_P_IP;
		p.net[0] = 0x45;
		ck_assert_int_eq(inet_pton(AF_INET, src, &p.net[12]), 1);
	}
	return p;
}

/* The kernel's own checker must take the program too. */
static void
assert_kernel_takes(const struct sock_fprog *fp)
{
	int fd;

	ck_assert_int_ge(fd = socket(AF_INET6, SOCK_DGRAM, 0), 0);
	ck_assert_msg(setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, fp,
	    sizeof(*fp)) == 0, "the kernel refuses the %u-instruction "
	    "program", fp->len);
	(void)close(fd);
}

static void
add6(struct spoofguard *sg, const char *s, unsigned ifindex)
{
	struct in6_addr in6;

	ck_assert_int_eq(inet_pton(AF_INET6, s, &in6), 1);
	ck_assert_int_eq(spoofguard_add_inet6(sg, &in6, ifindex), 0);
}

static void
add4(struct spoofguard *sg, const char *s)
{
	struct in_addr in;

	ck_assert_int_eq(inet_pton(AF_INET, s, &in), 1);
	ck_assert_int_eq(spoofguard_add_inet(sg, in), 0);
}

/* Own: 2001:db8::1, fe80::1 on eth0, ::1, 10.9.0.1, 127.0.0.1. */
static const struct {
	const char	*src;
	unsigned	 ifindex;
	bool		 kept;
} sources[] = {
	{ "2001:db8::1", ETH0, false }, { "2001:db8::1", ETH1, false },
	{ "2001:db8::1", LO, true },
	/* One word differs: each of the four compares must hold. */
	{ "2001:db9::1", ETH0, true }, { "2001:db8:0:1::1", ETH0, true },
	{ "2001:db8::1:0:0:1", ETH0, true }, { "2001:db8::2", ETH0, true },
	{ "2001:db8::1:1", ETH0, true },
	/* Link-local: ours on eth0 only. */
	{ "fe80::1", ETH0, false }, { "fe80::1", ETH1, true },
	{ "fe80::1", LO, true }, { "fe80::2", ETH0, true },
	{ "::1", ETH0, false }, { "::1", LO, true },
	{ "10.9.0.1", ETH0, false }, { "10.9.0.1", LO, true },
	{ "10.9.0.2", ETH0, true }, { "127.0.0.1", ETH1, false },
	{ "11.9.0.1", ETH0, true },
	/* An IPv6 source whose bytes 4-7 are 10.9.0.1 is not 10.9.0.1. */
	{ "2001:db8:a09:1::", ETH0, true },
};

START_TEST(spoofguard_drops_own_sources_from_outside_only)
{
	struct spoofguard *sg = spoofguard_create();
	struct sock_fprog fp;
	struct pkt p;

	ck_assert_ptr_nonnull(sg);
	ck_assert_int_eq(spoofguard_add_loopback(sg, LO), 0);
	add6(sg, "2001:db8::1", ETH0);
	add6(sg, "fe80::1", ETH0);
	add6(sg, "::1", LO);
	add4(sg, "10.9.0.1");
	add4(sg, "127.0.0.1");
	ck_assert_int_eq(spoofguard_program(sg, &fp), 0);
	assert_kernel_takes(&fp);
	p = packet(sources[_i].src, sources[_i].ifindex);
	ck_assert_msg(run(&fp, &p) == sources[_i].kept, "%s on %u: %s",
	    sources[_i].src, sources[_i].ifindex,
	    sources[_i].kept ? "dropped" : "kept");
	free(fp.filter);
	spoofguard_destroy(sg);
}
END_TEST

START_TEST(spoofguard_keeps_other_protocols)
{
	struct spoofguard *sg = spoofguard_create();
	struct sock_fprog fp;
	struct pkt p = packet("10.9.0.1", ETH0);

	ck_assert_int_eq(spoofguard_add_loopback(sg, LO), 0);
	add4(sg, "10.9.0.1");
	ck_assert_int_eq(spoofguard_program(sg, &fp), 0);
	p.proto = ETH_P_ARP;
	ck_assert(run(&fp, &p));
	free(fp.filter);
	spoofguard_destroy(sg);
}
END_TEST

/* Without a loopback interface a local client would look forged. */
START_TEST(spoofguard_without_loopback_refuses_nothing)
{
	struct spoofguard *sg = spoofguard_create();
	struct sock_fprog fp;
	struct pkt p;

	add6(sg, "2001:db8::1", ETH0);
	add4(sg, "10.9.0.1");
	ck_assert_int_eq(spoofguard_program(sg, &fp), 2);
	assert_kernel_takes(&fp);
	p = packet("2001:db8::1", ETH0);
	ck_assert(run(&fp, &p));
	p = packet("10.9.0.1", ETH0);
	ck_assert(run(&fp, &p));
	free(fp.filter);
	spoofguard_destroy(sg);
}
END_TEST

START_TEST(spoofguard_holds_each_address_once)
{
	struct spoofguard *sg = spoofguard_create();
	struct sock_fprog once, twice;

	ck_assert_int_eq(spoofguard_add_loopback(sg, LO), 0);
	add6(sg, "2001:db8::1", ETH0);
	add6(sg, "fe80::1", ETH0);
	add4(sg, "10.9.0.1");
	ck_assert_int_eq(spoofguard_program(sg, &once), 0);
	ck_assert_int_eq(spoofguard_add_loopback(sg, LO), 0);
	add6(sg, "2001:db8::1", ETH1);	/* global: the interface is moot */
	add6(sg, "fe80::1", ETH0);
	add4(sg, "10.9.0.1");
	ck_assert_int_eq(spoofguard_program(sg, &twice), 0);
	ck_assert_uint_eq(once.len, twice.len);
	add6(sg, "fe80::1", ETH1);	/* link-local: another address */
	free(twice.filter);
	ck_assert_int_eq(spoofguard_program(sg, &twice), 0);
	ck_assert_uint_eq(twice.len, once.len + 11);
	free(once.filter);
	free(twice.filter);
	spoofguard_destroy(sg);
}
END_TEST

/*
 * 20 instructions of head, 9 per IPv6 and 2 per IPv4 address: 452 IPv6
 * and then 4 IPv4 addresses fit in 4096; the rest are left out, counted,
 * and the program still jumps right from its first entry to its last.
 */
START_TEST(spoofguard_caps_the_program_and_counts_the_rest)
{
	struct spoofguard *sg = spoofguard_create();
	struct sock_fprog fp;
	struct in6_addr in6;
	struct in_addr in;
	struct pkt p;
	int i;

	ck_assert_int_eq(spoofguard_add_loopback(sg, LO), 0);
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::", &in6), 1);
	for (i = 0; i < 1000; i++) {
		in6.s6_addr[14] = (uint8_t)(i >> 8);
		in6.s6_addr[15] = (uint8_t)i;
		ck_assert_int_eq(spoofguard_add_inet6(sg, &in6, ETH0), 0);
	}
	for (i = 0; i < 500; i++) {
		in.s_addr = htonl(0x0a000000U + (uint32_t)i);
		ck_assert_int_eq(spoofguard_add_inet(sg, in), 0);
	}
	ck_assert_int_eq(spoofguard_program(sg, &fp), 1000 - 452 + 500 - 4);
	ck_assert_uint_eq(fp.len, BPF_MAXINSNS);
	assert_kernel_takes(&fp);
	p = packet("2001:db8::", ETH0);
	ck_assert(!run(&fp, &p));
	p = packet("2001:db8::1c3", ETH0);		/* 451: the last in */
	ck_assert(!run(&fp, &p));
	p = packet("2001:db8::1c4", ETH0);		/* 452: left out */
	ck_assert(run(&fp, &p));
	p = packet("10.0.0.3", ETH0);
	ck_assert(!run(&fp, &p));
	p = packet("10.0.0.4", ETH0);
	ck_assert(run(&fp, &p));
	free(fp.filter);
	spoofguard_destroy(sg);
}
END_TEST

static const struct {
	const char	*line;
	const char	*addr;		/* NULL: malformed */
	unsigned	 ifindex;
	const char	*name;
} lines[] = {
	{ "00000000000000000000000000000001 01 80 10 80       lo\n",
	    "::1", 1, "lo" },
	{ "fe8000000000000000fc00fffe000001 0c 40 20 80     eth0\n",
	    "fe80::fc:ff:fe00:1", 12, "eth0" },
	{ "20010db8000000000000000000000001 02 40 00 80 echotun0",
	    "2001:db8::1", 2, "echotun0" },
	{ "20010db800000000000000000000001 02 40 00 80 eth0\n", NULL, 0,
	    NULL },
	{ "20010db80000000000000000000000x1 02 40 00 80 eth0\n", NULL, 0,
	    NULL },
	{ "20010db8000000000000000000000001 02 40 00 80\n", NULL, 0, NULL },
	{ "20010db8000000000000000000000001 00 40 00 80 eth0\n", NULL, 0,
	    NULL },
	{ "20010db8000000000000000000000001 02 40 00 80 eth0 x\n", NULL, 0,
	    NULL },
	{ "", NULL, 0, NULL },
};

START_TEST(spoofguard_parses_if_inet6_lines)
{
	struct in6_addr got, want;
	char name[IFNAMSIZ];
	unsigned ifindex;
	bool ok;

	ok = spoofguard_parse_if_inet6(lines[_i].line, &got, &ifindex, name);
	ck_assert_msg(ok == (lines[_i].addr != NULL), "%s", lines[_i].line);
	if (!ok)
		return;
	ck_assert_int_eq(inet_pton(AF_INET6, lines[_i].addr, &want), 1);
	ck_assert_mem_eq(&got, &want, sizeof(got));
	ck_assert_uint_eq(ifindex, lines[_i].ifindex);
	ck_assert_str_eq(name, lines[_i].name);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("spoofguard");
	TCase *tc = tcase_create("spoofguard");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, spoofguard_drops_own_sources_from_outside_only,
	    0, sizeof(sources) / sizeof(sources[0]));
	tcase_add_test(tc, spoofguard_keeps_other_protocols);
	tcase_add_test(tc, spoofguard_without_loopback_refuses_nothing);
	tcase_add_test(tc, spoofguard_holds_each_address_once);
	tcase_add_test(tc, spoofguard_caps_the_program_and_counts_the_rest);
	tcase_add_loop_test(tc, spoofguard_parses_if_inet6_lines, 0,
	    sizeof(lines) / sizeof(lines[0]));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
