/* json.c: write one JSON object, member by member, to a stream. */

#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "json.h"

static void	 json_key(struct json *, const char *);
static void	 json_quote(FILE *, const char *);

void
json_begin(struct json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->has_member[0] = false;
	(void)fputc('{', f);
}

void
json_end(struct json *j)
{
	while (j->depth > 0)
		json_close(j);
	(void)fputs("}\n", j->f);
	(void)fflush(j->f);
}

/* Control characters and quotes are escaped: host names come from users. */
static void
json_quote(FILE *f, const char *s)
{
	const unsigned char *p;

	(void)fputc('"', f);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			(void)fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			(void)fprintf(f, "\\u%04x", *p);
		else
			(void)fputc(*p, f);
	}
	(void)fputc('"', f);
}

static void
json_key(struct json *j, const char *key)
{
	if (j->has_member[j->depth])
		(void)fputc(',', j->f);
	j->has_member[j->depth] = true;
	json_quote(j->f, key);
	(void)fputc(':', j->f);
}

void
json_object(struct json *j, const char *key)
{
	json_key(j, key);
	(void)fputc('{', j->f);
	if (j->depth < JSON_DEPTH_MAX - 1)
		j->depth++;
	j->has_member[j->depth] = false;
}

void
json_close(struct json *j)
{
	(void)fputc('}', j->f);
	if (j->depth > 0)
		j->depth--;
}

void
json_str(struct json *j, const char *key, const char *v)
{
	json_key(j, key);
	json_quote(j->f, v);
}

void
json_int(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	(void)fprintf(j->f, "%" PRId64, v);
}

void
json_uint(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	(void)fprintf(j->f, "%" PRIu64, v);
}

/* JSON has no NaN or infinity: they become null. */
void
json_double(struct json *j, const char *key, double v)
{
	json_key(j, key);
	if (isfinite(v))
		(void)fprintf(j->f, "%.9g", v);
	else
		(void)fputs("null", j->f);
}

void
json_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	(void)fputs(v ? "true" : "false", j->f);
}
