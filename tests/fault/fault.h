/* fault.h: the control block shared by the fault shim and the tests. */
#ifndef ECHOD_FAULT_H
#define ECHOD_FAULT_H

#include <stdint.h>

/*
 * The shim (LD_PRELOAD) maps the file named by $ECHOD_FAULT_FILE; a test
 * maps the same file and arms a call while echod runs.  An armed call
 * lets `skip` calls through, then fails `count` times (-1: until
 * disarmed) with errno `err`.  Every process of echod sees the same
 * block, so "the next fork anywhere" is one setting.
 */
enum fault_call {
	FAULT_FORK,
	FAULT_EPOLL_CREATE1,
	FAULT_NCALLS
};

struct fault_rule {
	int32_t		 err;		/* 0: disarmed */
	int32_t		 skip;
	int32_t		 count;
	uint32_t	 hits;		/* failures injected so far */
};

struct fault_ctl {
	uint32_t		 magic;
	struct fault_rule	 rule[FAULT_NCALLS];
};

#define FAULT_MAGIC	0x65636864	/* "echd" */

#endif
