/* cmdline.h: parse echod's command line. */
#ifndef ECHOD_CMDLINE_H
#define ECHOD_CMDLINE_H

#include <stdbool.h>

enum cmdline_action { CMDLINE_RUN, CMDLINE_TEST, CMDLINE_VERSION,
	CMDLINE_HELP, CMDLINE_ERROR };

struct cmdline {
	enum cmdline_action	 action;
	const char		*config_path;
	bool			 foreground;
	char			 error[160];	/* CMDLINE_ERROR: why */
};

void		 cmdline_parse(int, char **, struct cmdline *);
const char	*cmdline_usage(void);

#endif
