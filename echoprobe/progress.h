/* progress.h: the live one-line progress report on a terminal's stderr. */
#ifndef ECHOPROBE_PROGRESS_H
#define ECHOPROBE_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct progress {
	bool		 enabled;
	bool		 shown;
	uint64_t	 next_ns;
};

/* Enabled only when stderr is a terminal: logs get no carriage returns. */
void	 progress_init(struct progress *, uint64_t);
bool	 progress_due(struct progress *, uint64_t);
void	 progress_show(struct progress *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 progress_clear(struct progress *);

#endif
