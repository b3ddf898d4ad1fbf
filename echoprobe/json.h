/* json.h: write one JSON object, member by member, to a stream. */
#ifndef ECHOPROBE_JSON_H
#define ECHOPROBE_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_DEPTH_MAX	8

struct json {
	FILE		*f;
	int		 depth;
	bool		 has_member[JSON_DEPTH_MAX];
};

void	 json_begin(struct json *, FILE *);
void	 json_end(struct json *);		/* closes the object, adds \n */
void	 json_object(struct json *, const char *);	/* "key": { */
void	 json_close(struct json *);		/* } */
void	 json_str(struct json *, const char *, const char *);
void	 json_int(struct json *, const char *, int64_t);
void	 json_uint(struct json *, const char *, uint64_t);
void	 json_double(struct json *, const char *, double);
void	 json_bool(struct json *, const char *, bool);

#endif
