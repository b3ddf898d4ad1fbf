/* fuzz_udpguard.c: fuzz target: the UDP guard's sources and its filter. */

#include <sys/socket.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "fuzz.h"
#include "spoofguard.h"

/*
 * The input is a list of records, each an opcode byte and its operands:
 * add a loopback interface, an IPv4 or an IPv6 address of this host (or
 * a line of /proc/self/net/if_inet6), or judge a datagram: its source
 * address, port and arrival interface.  A judgement checks the address
 * functions against one another and runs the compiled socket filter in
 * a classic BPF interpreter against a model of what it must refuse.
 */
enum op { OP_LOOPBACK, OP_INET, OP_INET6, OP_IF_INET6, OP_JUDGE, OP_N };

#define TABLE_MAX	4096
#define LINE_MAX_LEN	128

struct model {
	unsigned	 loop[TABLE_MAX];
	size_t		 nloop;
	uint32_t	 v4[TABLE_MAX];		/* network byte order */
	size_t		 nv4;
	struct in6_addr	 v6[TABLE_MAX];
	unsigned	 v6_ifindex[TABLE_MAX];	/* 0: any interface */
	size_t		 nv6;
};

static void	 add_inet6(struct spoofguard *, struct model *,
		    const struct in6_addr *, unsigned);
static void	 judge(const struct spoofguard *, const struct model *,
		    struct input *);
static void	 check_address(const struct sockaddr *);
static bool	 model_drops(const struct model *, const struct sockaddr *,
		    unsigned);
static uint32_t	 bpf_run(const struct sock_fprog *, unsigned, uint16_t,
		    const uint8_t *, size_t);
static uint32_t	 load_word(const uint8_t *, size_t, uint32_t);

static void
add_inet6(struct spoofguard *sg, struct model *m, const struct in6_addr *a,
    unsigned ifindex)
{
	unsigned scope = IN6_IS_ADDR_LINKLOCAL(a) ? ifindex : 0;
	size_t i;

	FUZZ_CHECK(spoofguard_add_inet6(sg, a, ifindex) == 0, "add_inet6");
	for (i = 0; i < m->nv6; i++)
		if (memcmp(&m->v6[i], a, sizeof(*a)) == 0 &&
		    m->v6_ifindex[i] == scope)
			return;
	m->v6[m->nv6] = *a;
	m->v6_ifindex[m->nv6++] = scope;
}

/* Each function agrees with the others on one address. */
static void
check_address(const struct sockaddr *sa)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
	struct sockaddr_in sin;
	char buf[ADDR_STRLEN], host[ADDR_STRLEN], *colon;
	uint32_t ip[ADDR_EMBED_MAX];
	struct addr a, back;
	bool want;
	size_t i, n;

	n = addr_embedded_ipv4(sa, ip);
	FUZZ_CHECK(n <= ADDR_EMBED_MAX, "%zu embedded addresses", n);
	(void)addr_format(sa, buf, sizeof(buf));
	FUZZ_CHECK(memchr(buf, '\0', sizeof(buf)) != NULL, "unterminated");
	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6) {
		FUZZ_CHECK(addr_is_reflector(sa), "family %d answered",
		    sa->sa_family);
		FUZZ_CHECK(n == 0 && addr_port(sa) == 0, "family %d",
		    sa->sa_family);
		return;
	}
	/* A reflector source is one whose reply reaches a reflector. */
	want = sa->sa_family == AF_INET6 &&
	    (IN6_IS_ADDR_MULTICAST(&sin6->sin6_addr) ||
	    IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr) ||
	    IN6_IS_ADDR_V4COMPAT(&sin6->sin6_addr));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	for (i = 0; i < n; i++) {
		sin.sin_addr.s_addr = ip[i];
		want |= addr_is_reflector((struct sockaddr *)&sin);
	}
	FUZZ_CHECK(addr_is_reflector(sa) == want, "%s: reflector %d", buf,
	    !want);
	/* What addr_format writes, addr_parse reads back. */
	(void)snprintf(host, sizeof(host), "%s",
	    buf + (sa->sa_family == AF_INET6));
	FUZZ_CHECK((colon = strrchr(host, ':')) != NULL, "%s", buf);
	*colon = '\0';
	if (sa->sa_family == AF_INET6)
		colon[-1] = '\0';
	FUZZ_CHECK(addr_parse(host, addr_port(sa), &back) == 0, "%s", buf);
	memset(&a, 0, sizeof(a));
	memcpy(&a.ss, sa, sa->sa_family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
	FUZZ_CHECK(addr_equal(&a, &back), "%s does not read back", buf);
}

/* A datagram from `sa` that came in on `ifindex` is forged. */
static bool
model_drops(const struct model *m, const struct sockaddr *sa,
    unsigned ifindex)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	size_t i;

	if (m->nloop == 0)
		return false;	/* it cannot tell local clients apart */
	for (i = 0; i < m->nloop; i++)
		if (m->loop[i] == ifindex)
			return false;
	if (sa->sa_family == AF_INET) {
		for (i = 0; i < m->nv4; i++)
			if (m->v4[i] == sin->sin_addr.s_addr)
				return true;
		return false;
	}
	for (i = 0; i < m->nv6; i++)
		if (memcmp(&m->v6[i], &sin6->sin6_addr, 16) == 0 &&
		    (m->v6_ifindex[i] == 0 || m->v6_ifindex[i] == ifindex))
			return true;
	return false;
}

static void
judge(const struct spoofguard *sg, const struct model *m, struct input *in)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	uint8_t family, addr[16], port[2], ifindex, pkt[40];
	struct sock_fprog fp;
	uint32_t verdict;
	bool drop;
	int left;

	if (!fuzz_take(in, &family, 1) || !fuzz_take(in, addr, 16) ||
	    !fuzz_take(in, port, 2) || !fuzz_take(in, &ifindex, 1))
		return;
	memset(&ss, 0, sizeof(ss));
	memset(pkt, 0, sizeof(pkt));
	switch (family % 3) {
	case 0:
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_port, port, 2);
		memcpy(&sin->sin_addr, addr, 4);
		pkt[0] = 0x45;
		memcpy(pkt + 12, addr, 4);
		break;
	case 1:
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_port, port, 2);
		memcpy(&sin6->sin6_addr, addr, 16);
		pkt[0] = 0x60;
		memcpy(pkt + 8, addr, 16);
		break;
	default:
		/* Neither: the socket would never report one; judge anyway. */
		ss.ss_family = (sa_family_t)(family | addr[0] << 8);
		break;
	}
	check_address((struct sockaddr *)&ss);
	if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
		return;
	FUZZ_CHECK((left = spoofguard_program(sg, &fp)) >= 0, "program");
	verdict = bpf_run(&fp, ifindex, ss.ss_family == AF_INET ? ETH_P_IP :
	    ETH_P_IPV6, pkt, ss.ss_family == AF_INET ? 20 : 40);
	free(fp.filter);
	drop = model_drops(m, (struct sockaddr *)&ss, ifindex);
	FUZZ_CHECK(verdict == 0 || verdict == 0xffffffffU, "verdict %#x",
	    verdict);
	/* Never a false drop; every forgery dropped when none is left out. */
	if (verdict == 0)
		FUZZ_CHECK(drop, "a datagram not forged is dropped");
	else if (left == 0)
		FUZZ_CHECK(!drop, "a forged datagram passes");
}

/* A word of the network header, as the kernel loads it (big-endian). */
static uint32_t
load_word(const uint8_t *pkt, size_t len, uint32_t off)
{
	FUZZ_CHECK(off <= len && len - off >= 4, "load past the header at %u",
	    off);
	return (uint32_t)pkt[off] << 24 | (uint32_t)pkt[off + 1] << 16 |
	    (uint32_t)pkt[off + 2] << 8 | pkt[off + 3];
}

/*
 * Classic BPF as the kernel runs a socket filter, for the instructions
 * spoofguard emits; anything else is a finding.  Jumps only go forward,
 * so the run ends; each must land inside the program.
 */
static uint32_t
bpf_run(const struct sock_fprog *fp, unsigned ifindex, uint16_t proto,
    const uint8_t *pkt, size_t len)
{
	const struct sock_filter *f;
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
	size_t pc, n = fp->len;

	FUZZ_CHECK(n >= 1 && n <= BPF_MAXINSNS, "%zu instructions", n);
	FUZZ_CHECK(BPF_CLASS(fp->filter[n - 1].code) == BPF_RET,
	    "the last instruction is no return");
	for (pc = 0; pc < n; pc++) {
		f = &fp->filter[pc];
		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (f->k == (uint32_t)(SKF_AD_OFF + SKF_AD_IFINDEX))
				a = ifindex;
			else if (f->k == (uint32_t)(SKF_AD_OFF +
			    SKF_AD_PROTOCOL))
				a = proto;
			else {
				FUZZ_CHECK(f->k >= (uint32_t)SKF_NET_OFF &&
				    f->k < (uint32_t)SKF_AD_OFF, "load %#x",
				    f->k);
				a = load_word(pkt, len, f->k -
				    (uint32_t)SKF_NET_OFF);
			}
			break;
		case BPF_LD | BPF_MEM:
			FUZZ_CHECK(f->k < BPF_MEMWORDS, "M[%u]", f->k);
			a = mem[f->k];
			break;
		case BPF_ST:
			FUZZ_CHECK(f->k < BPF_MEMWORDS, "M[%u]", f->k);
			mem[f->k] = a;
			break;
		case BPF_MISC | BPF_TAX:
			x = a;
			break;
		case BPF_MISC | BPF_TXA:
			a = x;
			break;
		case BPF_JMP | BPF_JA:
			FUZZ_CHECK(f->k < n - pc - 1, "ja %u at %zu", f->k, pc);
			pc += f->k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			FUZZ_CHECK(f->jt < n - pc - 1 && f->jf < n - pc - 1,
			    "jeq %u/%u at %zu of %zu", f->jt, f->jf, pc, n);
			pc += a == f->k ? f->jt : f->jf;
			break;
		case BPF_RET | BPF_K:
			return f->k;
		default:
			FUZZ_CHECK(false, "opcode %#x at %zu", f->code, pc);
		}
	}
	FUZZ_CHECK(false, "ran past the end");
	return 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct input in = { data, len };
	struct spoofguard *sg;
	struct model *m;
	struct in6_addr a6;
	uint8_t op, b, n;
	char line[LINE_MAX_LEN + 1], name[IFNAMSIZ];
	uint32_t a4;
	unsigned ifindex;
	size_t i;

	if ((sg = spoofguard_create()) == NULL ||
	    (m = calloc(1, sizeof(*m))) == NULL)
		abort();
	while (fuzz_take(&in, &op, 1)) {
		switch (op % OP_N) {
		case OP_LOOPBACK:
			if (!fuzz_take(&in, &b, 1) || m->nloop == TABLE_MAX)
				break;
			FUZZ_CHECK(spoofguard_add_loopback(sg, b) == 0, "lo");
			for (i = 0; i < m->nloop && m->loop[i] != b; i++)
				;
			if (i == m->nloop)
				m->loop[m->nloop++] = b;
			break;
		case OP_INET:
			if (!fuzz_take(&in, &a4, 4) || m->nv4 == TABLE_MAX)
				break;
			FUZZ_CHECK(spoofguard_add_inet(sg,
			    (struct in_addr){ a4 }) == 0, "add_inet");
			for (i = 0; i < m->nv4 && m->v4[i] != a4; i++)
				;
			if (i == m->nv4)
				m->v4[m->nv4++] = a4;
			break;
		case OP_INET6:
			if (!fuzz_take(&in, &a6, 16) || !fuzz_take(&in, &b, 1) ||
			    m->nv6 == TABLE_MAX)
				break;
			add_inet6(sg, m, &a6, b);
			break;
		case OP_IF_INET6:
			if (!fuzz_take(&in, &n, 1) || n > LINE_MAX_LEN ||
			    !fuzz_take(&in, line, n))
				break;
			line[n] = '\0';
			if (spoofguard_parse_if_inet6(line, &a6, &ifindex,
			    name) && m->nv6 < TABLE_MAX) {
				FUZZ_CHECK(ifindex != 0, "ifindex 0 parsed");
				FUZZ_CHECK(memchr(name, '\0', IFNAMSIZ) != NULL,
				    "interface name unterminated");
				add_inet6(sg, m, &a6, ifindex);
			}
			break;
		case OP_JUDGE:
			judge(sg, m, &in);
			break;
		}
	}
	spoofguard_destroy(sg);
	free(m);
	return 0;
}
