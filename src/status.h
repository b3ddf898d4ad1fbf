/* status.h: what `echod -s status` and `-s metrics` print, from a scoreboard snapshot. */
#ifndef ECHOD_STATUS_H
#define ECHOD_STATUS_H

#include <stdio.h>

#include "scoreboard.h"

void	 status_print_text(FILE *, const struct sb_snapshot *);
void	 status_print_json(FILE *, const struct sb_snapshot *);
/* The Prometheus text exposition format, for node_exporter's textfiles. */
void	 status_print_metrics(FILE *, const struct sb_snapshot *);

#endif
