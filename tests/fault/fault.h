/* fault.h: the control block shared by the fault shim and the tests. */
#ifndef ECHOD_FAULT_H
#define ECHOD_FAULT_H

#include <stdint.h>

/*
 * The shim (LD_PRELOAD) maps the file named by $ECHOD_FAULT_FILE; a test
 * maps the same file and arms a call while echod runs.  An armed call
 * lets `skip` calls through, then fails `count` times (-1: until
 * disarmed) with errno `err`.  Every process of echod sees the same
 * block, so "the next fork anywhere" is one setting; `pid` narrows it
 * to one process (>0) or to all but one (<0: not in -pid, the master).
 * Set `pid` and `partial` before arming: arming publishes them.
 */
enum fault_call {
	FAULT_FORK,
	FAULT_EPOLL_CREATE1,
	FAULT_ACCEPT4,
	FAULT_MALLOC,		/* malloc, calloc and realloc */
	FAULT_EPOLL_CTL,	/* only ADD: DEL and MOD allocate nothing */
	FAULT_RECV,
	FAULT_SEND,
	FAULT_RECVMMSG,
	FAULT_SENDMMSG,		/* or partial sends, see `partial` */
	FAULT_PWRITE,		/* the pid file is written with pwrite */
	FAULT_MMAP,		/* MAP_SHARED: shared memory, not malloc's */
	FAULT_NCALLS
};

struct fault_rule {
	int32_t		 err;		/* 0: disarmed */
	int32_t		 skip;
	int32_t		 count;
	uint32_t	 hits;		/* failures injected so far */
	int32_t		 pid;		/* 0: every process */
	int32_t		 partial;	/* sendmmsg: >0: instead of failing,
					   send at most this many messages */
};

struct fault_ctl {
	uint32_t		 magic;
	struct fault_rule	 rule[FAULT_NCALLS];
};

#define FAULT_MAGIC	0x65636864	/* "echd" */

#endif
