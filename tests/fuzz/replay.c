/* replay.c: run a fuzz target over its seeds and regression inputs. */

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

/*
 * Linked in place of libFuzzer in every build, so the seeds and each
 * input that once crashed a target (tests/fuzz/regress/TARGET) run under
 * the plain and the sanitizer builds alike.  With no arguments it reads
 * FUZZ_DIR/corpus/FUZZ_TARGET and FUZZ_DIR/regress/FUZZ_TARGET; otherwise
 * the files and directories named.
 */
static int	 replay_path(const char *, int *);
static int	 replay_file(const char *);

static int
replay_file(const char *path)
{
	unsigned char *data = NULL;
	size_t len = 0, cap = 0;
	FILE *f;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL) {
		(void)fprintf(stderr, "replay: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			cap = cap == 0 ? 4096 : cap * 2;
			if ((data = realloc(data, cap)) == NULL) {
				(void)fprintf(stderr, "replay: %s: %s\n", path,
				    strerror(errno));
				(void)fclose(f);
				return -1;
			}
		}
		if ((n = fread(data + len, 1, cap - len, f)) == 0)
			break;
		len += n;
	}
	(void)fclose(f);
	(void)LLVMFuzzerTestOneInput(data, len);
	free(data);
	return 0;
}

/* A file, or every file in a directory (not recursing). */
static int
replay_path(const char *path, int *count)
{
	struct dirent *de;
	struct stat st;
	char file[4096];
	DIR *d;

	if (stat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;	/* no regression inputs yet */
		(void)fprintf(stderr, "replay: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return replay_file(path);
	}
	if ((d = opendir(path)) == NULL) {
		(void)fprintf(stderr, "replay: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (snprintf(file, sizeof(file), "%s/%s", path, de->d_name) >=
		    (int)sizeof(file) || replay_file(file) == -1) {
			(void)closedir(d);
			return -1;
		}
		(*count)++;
	}
	(void)closedir(d);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *dirs[] = { FUZZ_DIR "/corpus/" FUZZ_TARGET,
	    FUZZ_DIR "/regress/" FUZZ_TARGET };
	int count = 0, i;

	(void)LLVMFuzzerInitialize(&argc, &argv);
	if (argc > 1) {
		for (i = 1; i < argc; i++)
			if (replay_path(argv[i], &count) == -1)
				return 1;
	} else {
		for (i = 0; i < 2; i++)
			if (replay_path(dirs[i], &count) == -1)
				return 1;
	}
	if (count == 0) {
		(void)fprintf(stderr, "replay %s: no inputs found\n",
		    FUZZ_TARGET);
		return 1;
	}
	(void)printf("replay %s: %d inputs, no finding\n", FUZZ_TARGET, count);
	return 0;
}
