/* progress.c: the live one-line progress report on a terminal's stderr. */

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "progress.h"

#define PROGRESS_PERIOD_NS	UINT64_C(1000000000)

void
progress_init(struct progress *p, uint64_t now_ns)
{
	p->enabled = isatty(STDERR_FILENO) == 1;
	p->shown = false;
	p->next_ns = now_ns + PROGRESS_PERIOD_NS;
}

bool
progress_due(struct progress *p, uint64_t now_ns)
{
	if (!p->enabled || now_ns < p->next_ns)
		return false;
	p->next_ns += PROGRESS_PERIOD_NS;
	if (p->next_ns <= now_ns)
		p->next_ns = now_ns + PROGRESS_PERIOD_NS;
	return true;
}

void
progress_show(struct progress *p, const char *fmt, ...)
{
	va_list ap;

	if (!p->enabled)
		return;
	(void)fputs("\r\033[K", stderr);
	va_start(ap, fmt);
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
	(void)fflush(stderr);
	p->shown = true;
}

void
progress_clear(struct progress *p)
{
	if (!p->shown)
		return;
	(void)fputs("\r\033[K", stderr);
	(void)fflush(stderr);
	p->shown = false;
}
