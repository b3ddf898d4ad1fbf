/* cmdline.h: parse echod's command line. */
#ifndef ECHOD_CMDLINE_H
#define ECHOD_CMDLINE_H

#include <stdbool.h>

enum cmdline_action { CMDLINE_RUN, CMDLINE_TEST, CMDLINE_VERSION,
	CMDLINE_HELP, CMDLINE_CONTROL, CMDLINE_ERROR };

/* What -s asks of the running echod. */
enum cmdline_control { CONTROL_STATUS, CONTROL_METRICS, CONTROL_RELOAD,
	CONTROL_STOP, CONTROL_QUIT, CONTROL_WORKERS, CONTROL_UPGRADE };

struct cmdline {
	enum cmdline_action	 action;
	const char		*config_path;
	bool			 foreground;
	enum cmdline_control	 control;	/* CMDLINE_CONTROL */
	bool			 json;		/* -s status --json */
	int			 workers;	/* -s workers N */
	char			 error[160];	/* CMDLINE_ERROR: why */
};

void		 cmdline_parse(int, char **, struct cmdline *);
const char	*cmdline_usage(void);

#endif
