/* interactive.h: send what is typed on stdin, print what comes back. */
#ifndef ECHOPROBE_INTERACTIVE_H
#define ECHOPROBE_INTERACTIVE_H

#include "opts.h"
#include "resolve.h"

/*
 * One poll() loop over stdin and the socket.  At EOF on stdin (Ctrl-D)
 * TCP half-closes and both wait, at most -W, for the rest of the echo.
 * Returns 0 when every byte came back, 1 when some did not, 2 on error.
 */
int	 interactive_run(const struct opts *, const struct target *);

#endif
