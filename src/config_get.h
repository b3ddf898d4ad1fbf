/* config_get.h: typed settings out of libconfig, with file:line diagnostics and key suggestions. */
#ifndef ECHOD_CONFIG_GET_H
#define ECHOD_CONFIG_GET_H

#include <libconfig.h>

#include "config.h"

/* The state of one load: where diagnostics go and what is being filled. */
struct loader {
	const char		*name;		/* file name for messages */
	struct config_diag	*diag;
	struct config		*cf;
	int			 flags;
};

/* "file:line: " (the setting's own file, for @include) then the text. */
void			 config_diag(struct loader *, const config_setting_t *,
			    const char *, ...)
			    __attribute__((format(printf, 3, 4)));
/* Diagnose members of `group` not in `known`, naming the nearest one. */
void			 config_check_keys(struct loader *,
			    const config_setting_t *, const char *,
			    const char **);
const char		*config_type_name(int);
/*
 * The member `name` of `group`, or NULL if absent or of the wrong type
 * (which is diagnosed).  `type` 0 accepts any type.
 */
const config_setting_t	*config_member(struct loader *,
			    const config_setting_t *, const char *,
			    const char *, int);
/* Set *out only when the member is there, of its type and in range. */
void			 config_get_int(struct loader *,
			    const config_setting_t *, const char *,
			    const char *, long long, long long, int *);
void			 config_get_string(struct loader *,
			    const config_setting_t *, const char *,
			    const char *, char **);

/* config_access.c: access.allow, access.deny, per_source_exempt. */
void			 config_load_access(struct loader *,
			    const config_setting_t *);

#endif
