/* config_scan.h: scan config text as libconfig does, to see what it hides. */
#ifndef ECHOD_CONFIG_SCAN_H
#define ECHOD_CONFIG_SCAN_H

#include <stdbool.h>
#include <stddef.h>

/* libconfig 1.5's MAX_INCLUDE_DEPTH: how deep @include may nest. */
#define CONFIG_SCAN_INCLUDE_MAX	10

struct config_diag;

/* The whole text of file, opened as libconfig opens an @include in dir. */
char	*config_scan_read(const char *, const char *);
/* Diagnose each integer literal libconfig would wrap, following @include. */
void	 config_scan_ints(const char *, const char *, const char *,
	    struct config_diag *);
/* Every file text includes can be read; diagnoses those that cannot. */
bool	 config_scan_files(const char *, const char *, const char *,
	    struct config_diag *);
/* The key set last on a line: libconfig names a duplicate by line only. */
bool	 config_scan_line_key(const char *, int, char *, size_t);

#endif
