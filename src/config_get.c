/* config_get.c: typed settings out of libconfig, with file:line diagnostics and key suggestions. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "config_get.h"

static int	 edit_distance(const char *, const char *);

void
config_diag(struct loader *l, const config_setting_t *s, const char *fmt, ...)
{
	struct config_diag *d = l->diag;
	const char *file = l->name;
	char *p;
	size_t left;
	int n;
	va_list ap;

	if (d->count >= CONFIG_DIAG_MAX)
		return;
	p = d->msg[d->count++];
	left = CONFIG_DIAG_LEN;
	if (s != NULL && config_setting_source_file(s) != NULL)
		file = config_setting_source_file(s);
	if (s != NULL && config_setting_source_line(s) > 0)
		n = snprintf(p, left, "%s:%u: ", file,
		    config_setting_source_line(s));
	else
		n = snprintf(p, left, "%s: ", file);
	if (n < 0 || (size_t)n >= left)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(p + n, left - n, fmt, ap);
	va_end(ap);
}

/* Levenshtein distance, to suggest the key a typo meant. */
static int
edit_distance(const char *a, const char *b)
{
	int prev[64], cur[64];
	size_t i, j, la = strlen(a), lb = strlen(b);

	if (la >= 63 || lb >= 63)
		return 99;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			int sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			int del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) :
			    (del < ins ? del : ins);
		}
		memcpy(prev, cur, sizeof(prev));
	}
	return prev[lb];
}

/* libconfig ignores unknown keys; we reject them so a typo never passes. */
void
config_check_keys(struct loader *l, const config_setting_t *group,
    const char *prefix, const char **known)
{
	const config_setting_t *s;
	const char *name, *best;
	int i, k, d, best_d;

	for (i = 0; (s = config_setting_get_elem(group, i)) != NULL; i++) {
		name = config_setting_name(s);
		if (name == NULL)
			continue;
		best = NULL;
		best_d = 3;
		for (k = 0; known[k] != NULL; k++) {
			if (strcmp(name, known[k]) == 0)
				break;
			d = edit_distance(name, known[k]);
			if (d < best_d) {
				best_d = d;
				best = known[k];
			}
		}
		if (known[k] != NULL)
			continue;
		if (best != NULL)
			config_diag(l, s,
			    "%s%s: unknown key (did you mean %s?)",
			    prefix, name, best);
		else
			config_diag(l, s, "%s%s: unknown key", prefix, name);
	}
}

const char *
config_type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return "a group { }";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a number with a fraction";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array [ ]";
	case CONFIG_TYPE_LIST:
		return "a list ( )";
	default:
		return "something else";
	}
}

/*
 * The member `name` of `group`, or NULL if absent or of the wrong type
 * (which is diagnosed).  `type` 0 accepts any type.
 */
const config_setting_t *
config_member(struct loader *l, const config_setting_t *group,
    const char *prefix,
    const char *name, int type)
{
	const config_setting_t *s;
	int t;

	if (group == NULL ||
	    (s = config_setting_get_member(group, name)) == NULL)
		return NULL;
	t = config_setting_type(s);
	if (type == 0 || t == type ||
	    (type == CONFIG_TYPE_INT && t == CONFIG_TYPE_INT64))
		return s;
	config_diag(l, s, "%s%s: expected %s, got %s", prefix, name,
	    config_type_name(type),
	    config_type_name(t));
	return NULL;
}

void
config_get_int(struct loader *l, const config_setting_t *group,
    const char *prefix,
    const char *name, long long min, long long max, int *out)
{
	const config_setting_t *s;
	long long v;

	if ((s = config_member(l, group, prefix, name,
	    CONFIG_TYPE_INT)) == NULL)
		return;
	v = config_setting_get_int64(s);
	if (v < min || v > max) {
		config_diag(l, s, "%s%s: %lld is out of range (%lld..%lld)",
		    prefix,
		    name, v, min, max);
		return;
	}
	*out = (int)v;
}

void
config_get_string(struct loader *l, const config_setting_t *group,
    const char *prefix, const char *name, char **out)
{
	const config_setting_t *s;
	char *v;

	if ((s = config_member(l, group, prefix, name,
	    CONFIG_TYPE_STRING)) == NULL)
		return;
	if ((v = strdup(config_setting_get_string(s))) == NULL) {
		config_diag(l, s, "%s%s: %s", prefix, name, strerror(errno));
		return;
	}
	free(*out);
	*out = v;
}

