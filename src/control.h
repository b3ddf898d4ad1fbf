/* control.h: `echod -s`: ask the running echod for its status, or to act. */
#ifndef ECHOD_CONTROL_H
#define ECHOD_CONTROL_H

#include "cmdline.h"
#include "config.h"

/* The exit code: 0 done, 1 not running, refused or failed. */
int	 control_run(const struct cmdline *, const struct config *);

#endif
