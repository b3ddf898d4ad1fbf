/* fuzz_config.c: fuzz target: the configuration loader, text to diagnostics. */

#include <sys/stat.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"

#define CONF_LEN_MAX	(64 * 1024)
#define MAIN_CONF	"main.conf"

/*
 * Files an @include may name, in the directory the target runs in: a
 * plain one, one with errors, one that includes itself (the depth
 * limit), one that is empty.
 */
static const struct {
	const char	*name;
	const char	*text;
} includes[] = {
	{ "inc.conf", "workers = 2;\ntcp = { backlog = 128; };\n" },
	{ "bad.conf", "tcp = { backlog = 99999999999; accept_lok = 1; };\n"
	    "workers = 1; workers = 2;\n" },
	{ "self.conf", "@include \"self.conf\"\n" },
	{ "empty.conf", "" },
};

static char	 work_dir[] = "/tmp/echod-fuzz-config.XXXXXX";

const char	*__lsan_default_suppressions(void);

static void	 remove_work_dir(void);
static bool	 include_escapes(const uint8_t *, size_t);
static void	 check_diag(const struct config *, const struct config_diag *);
static void	 check_config(const struct config *);
static bool	 same_result(const struct config *, const struct config_diag *,
		    const struct config *, const struct config_diag *);

/*
 * libconfig 1.5 (Debian 12) leaks the string it was scanning when a
 * syntax error stops it (strbuf_append's buffer, or a string token from
 * libconfig_yylex; libconfig 1.7 frees them):
 * not echod's to fix, and nothing else is suppressed.  Read by LeakSanitizer
 * in the libFuzzer and the ASan builds alike.
 */
const char *
__lsan_default_suppressions(void)
{
	return "leak:strbuf_append\nleak:libconfig_yylex\n";
}

static void
remove_work_dir(void)
{
	size_t i;

	(void)unlink(MAIN_CONF);
	for (i = 0; i < sizeof(includes) / sizeof(includes[0]); i++)
		(void)unlink(includes[i].name);
	if (chdir("/") == 0)
		(void)rmdir(work_dir);
}

/* Run in a directory of our own: @include opens names relative to it. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	FILE *f;
	size_t i;

	(void)argc;
	(void)argv;
	if (mkdtemp(work_dir) == NULL || chdir(work_dir) == -1) {
		perror("fuzz_config: work directory");
		exit(1);
	}
	(void)atexit(remove_work_dir);
	for (i = 0; i < sizeof(includes) / sizeof(includes[0]); i++) {
		if ((f = fopen(includes[i].name, "w")) == NULL ||
		    fputs(includes[i].text, f) == EOF || fclose(f) == EOF) {
			perror("fuzz_config: include file");
			exit(1);
		}
	}
	return 0;
}

/*
 * An @include that could leave the work directory: an absolute name or
 * "..".  libconfig would read whatever it names (/dev/zero never ends);
 * such inputs are skipped.  Backslashes are dropped first, as both
 * libconfig's scanner and config_scan.c drop them from a file name.
 */
static bool
include_escapes(const uint8_t *data, size_t len)
{
	bool escapes = false;
	char *plain;
	size_t i, n = 0;

	if (memmem(data, len, "@include", 8) == NULL)
		return false;
	if ((plain = malloc(len + 1)) == NULL)
		return true;
	for (i = 0; i < len; i++)
		if (data[i] != '\\')
			plain[n++] = (char)data[i];
	plain[n] = '\0';
	escapes = memchr(plain, '/', n) != NULL ||
	    memmem(plain, n, "..", 2) != NULL;
	free(plain);
	return escapes;
}

/* A refusal always says why, in messages that fit. */
static void
check_diag(const struct config *cf, const struct config_diag *d)
{
	int i;

	FUZZ_CHECK(d->count >= 0 && d->count <= CONFIG_DIAG_MAX,
	    "%d diagnostics", d->count);
	FUZZ_CHECK((cf == NULL) == (d->count > 0),
	    "config %p with %d diagnostics", (const void *)cf, d->count);
	for (i = 0; i < d->count; i++) {
		FUZZ_CHECK(memchr(d->msg[i], '\0', CONFIG_DIAG_LEN) != NULL,
		    "diagnostic %d is not terminated", i);
		FUZZ_CHECK(d->msg[i][0] != '\0', "diagnostic %d is empty", i);
	}
}

/* What the loader accepted is within the limits it promises. */
static void
check_config(const struct config *cf)
{
	size_t i;

	FUZZ_CHECK(cf->workers >= 1 && cf->workers <= CONFIG_WORKERS_MAX,
	    "workers %d", cf->workers);
	FUZZ_CHECK(cf->listens != NULL && cf->nlistens > 0,
	    "%zu listeners", cf->nlistens);
	for (i = 0; i < cf->nlistens; i++) {
		FUZZ_CHECK(cf->listens[i].address != NULL, "listener %zu", i);
		FUZZ_CHECK(cf->listens[i].addr.ss.ss_family == AF_INET ||
		    cf->listens[i].addr.ss.ss_family == AF_INET6,
		    "listener %zu: family %d", i,
		    cf->listens[i].addr.ss.ss_family);
	}
	FUZZ_CHECK(cf->backlog >= 1 && cf->max_connections >= 1,
	    "backlog %d, max_connections %d", cf->backlog,
	    cf->max_connections);
	FUZZ_CHECK(cf->idle_timeout_s >= 0 && cf->shutdown_timeout_s >= 0,
	    "idle %d, shutdown %d", cf->idle_timeout_s,
	    cf->shutdown_timeout_s);
	FUZZ_CHECK(cf->user != NULL && cf->group != NULL &&
	    cf->pidfile != NULL, "user, group or pidfile missing");
	FUZZ_CHECK(cf->pidfile[0] == '\0' || cf->pidfile[0] == '/',
	    "pidfile \"%s\"", cf->pidfile);
}

/*
 * `echod -t` and a reload (config_load) judge a file as the string: the
 * same verdict, as many messages.  Their text may differ where a message
 * names an included file, opened from "." only by config_load.
 */
static bool
same_result(const struct config *a, const struct config_diag *da,
    const struct config *b, const struct config_diag *db)
{
	return (a == NULL) == (b == NULL) && da->count == db->count;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct config_diag d, fd;
	struct config *cf, *fcf;
	char *text;
	FILE *f;
	int i;

	if (len > CONF_LEN_MAX || include_escapes(data, len))
		return 0;
	if ((text = malloc(len + 1)) == NULL)
		return 0;
	memcpy(text, data, len);
	text[len] = '\0';
	cf = config_parse_string(text, MAIN_CONF, 0, &d);
	check_diag(cf, &d);
	if (cf != NULL)
		check_config(cf);
	/*
	 * The file path: what -t and a reload read.  A NUL ends the string
	 * but not the file, so only texts without one must agree.
	 */
	if (memchr(data, '\0', len) == NULL) {
		if ((f = fopen(MAIN_CONF, "w")) == NULL ||
		    fwrite(data, 1, len, f) != len || fclose(f) == EOF) {
			perror("fuzz_config: " MAIN_CONF);
			abort();
		}
		fcf = config_load(MAIN_CONF, 0, &fd);
		check_diag(fcf, &fd);
		if (!same_result(cf, &d, fcf, &fd)) {
			for (i = 0; i < d.count; i++)
				(void)fprintf(stderr, "string: %s\n",
				    d.msg[i]);
			for (i = 0; i < fd.count; i++)
				(void)fprintf(stderr, "file:   %s\n",
				    fd.msg[i]);
			FUZZ_CHECK(false, "the file and the string differ");
		}
		config_free(fcf);
	}
	config_free(cf);
	free(text);
	return 0;
}
