/* config_scan.c: scan config text as libconfig does, to see what it hides. */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_scan.h"

/*
 * libconfig parses the file, but its tree has lost what the text said:
 * an integer that did not fit is stored wrapped, with nothing to tell.
 * So the text is read a second time, token by token, by the rules of
 * the flex scanner in libconfig 1.5 as Debian 12 ships it (lib/scanner.l
 * before upstream commit add4314, which later read big decimals as
 * 64-bit; tests/unit/check_config_scan.c checks each rule below against
 * the installed library).  Longest match wins, then the earlier rule:
 *
 *   float     [-+]?[0-9]*\.[0-9]*([eE][-+]?[0-9]+)?  or
 *             [-+]?[0-9]+(\.[0-9]*)?[eE][-+]?[0-9]+
 *   integer   [-+]?[0-9]+             int = atoi(text)
 *   integer64 [-+]?[0-9]+L(L)?        long long = atoll(text)
 *   hex       0[Xx][0-9A-Fa-f]+       int = strtoul(text, NULL, 16)
 *   hex64     0[Xx][0-9A-Fa-f]+L(L)?  long long = strtoull(text, NULL, 16)
 *
 * So a leading 0 is decimal, never octal (010 is 10); a hex literal
 * takes no sign; "l" is no suffix.  atoi() keeps the low 32 bits of
 * strtol(), itself clamped to the range of long: 4294967303 and
 * 04294967303 are read as 7, 2147483648 as -2147483648 and
 * 99999999999999999999 as -1.  The hex rule keeps the low 32 bits of
 * strtoul(): 0x100000007 is 7 and 0x80000000..0xFFFFFFFF are negative.
 * libconfig means that last range as a negative int's two's complement
 * (its writer prints -1 as 0xFFFFFFFF), but the number written is not
 * the number used and no echod setting is negative, so it is rejected
 * too.  With L the clamp is at 64 bits: 99999999999999999999L is
 * 9223372036854775807 and 0x10000000000000000L is -1.
 *
 * The rule: a literal is wrong when the value libconfig stores differs
 * from the value written, that is when it lies outside the signed range
 * of its type.  The stored value comes from the libc call libconfig
 * makes, so it is the one libconfig gets.  An L suffix is no fix: the
 * value is then read whole and the setting's own range rejects it.
 */

#define SCAN_NEST_MAX		32	/* levels tracked to name the key */
#define SCAN_KEY_LEN		64
#define SCAN_PATH_LEN		192
#define SCAN_SHOWN_MAX		40	/* digits of a literal in a message */
#define DIGITS			"0123456789"
#define XDIGITS			"0123456789abcdefABCDEF"

enum lit { LIT_FLOAT, LIT_INT, LIT_INT64, LIT_HEX, LIT_HEX64 };

/* One level of nesting: '{' group, '(' list or '[' array. */
struct frame {
	char		 kind;
	int		 index;			/* list, array: element */
	char		 key[SCAN_KEY_LEN];	/* group: setting */
};

/* One scan, across the files it includes. */
struct scan {
	const char		*dir;		/* include dir, NULL: none */
	struct config_diag	*diag;
	struct frame		 frames[SCAN_NEST_MAX];
	int			 nframes;	/* past the array: untracked */
	int			 depth;		/* @include nesting */
	bool			 files_only;	/* no literal checks */
};

/* Where the scan is in one file. */
struct source {
	const char		*name;		/* as libconfig names it */
	const char		*text;
	const char		*p;
	unsigned		 line;
};

static void	 scan_diag(struct scan *, const struct source *, const char *,
		    ...) __attribute__((format(printf, 3, 4)));
static bool	 name_start(char);
static bool	 name_char(char);
static size_t	 exponent(const char *);
static size_t	 suffix(const char *);
static size_t	 number(const char *, enum lit *);
static void	 key_path(const struct scan *, char *, size_t);
static void	 check_int(struct scan *, const struct source *, size_t,
		    enum lit);
static void	 skip_comment(struct source *);
static void	 skip_string(struct source *);
static void	 scan_name(struct scan *, struct source *);
static void	 scan_punct(struct scan *, char);
static void	 scan_token(struct scan *, struct source *);
static bool	 include_open(struct source *);
static void	 scan_include(struct scan *, struct source *);
static void	 scan_file(struct scan *, const struct source *,
		    const char *);
static void	 scan_text(struct scan *, const char *, const char *);

static void
scan_diag(struct scan *s, const struct source *src, const char *fmt, ...)
{
	struct config_diag *d = s->diag;
	char *p;
	int n;
	va_list ap;

	if (d->count >= CONFIG_DIAG_MAX)
		return;
	p = d->msg[d->count++];
	n = snprintf(p, CONFIG_DIAG_LEN, "%s:%u: ", src->name, src->line);
	if (n < 0 || n >= CONFIG_DIAG_LEN)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(p + n, CONFIG_DIAG_LEN - n, fmt, ap);
	va_end(ap);
}

/* [A-Za-z*][-A-Za-z0-9_*]*, in ASCII whatever the locale. */
static bool
name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '*';
}

static bool
name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9') || c == '-' ||
	    c == '_';
}

/* The length of [eE][-+]?[0-9]+ at p, or 0. */
static size_t
exponent(const char *p)
{
	size_t sign, n;

	if (*p != 'e' && *p != 'E')
		return 0;
	sign = p[1] == '-' || p[1] == '+';
	n = strspn(p + 1 + sign, DIGITS);
	return n > 0 ? 1 + sign + n : 0;
}

/* The length of L(L)? at p, or 0. */
static size_t
suffix(const char *p)
{
	if (p[0] != 'L')
		return 0;
	return p[1] == 'L' ? 2 : 1;
}

/* The length of the number token at p and its kind, or 0: no number. */
static size_t
number(const char *p, enum lit *kind)
{
	size_t sign, digits, n, f = 0, i = 0, h = 0, e;

	sign = *p == '-' || *p == '+';
	digits = strspn(p + sign, DIGITS);
	n = sign + digits;
	if (p[n] == '.') {
		n += 1 + strspn(p + n + 1, DIGITS);
		f = n + exponent(p + n);
	} else if (digits > 0 && (e = exponent(p + n)) > 0)
		f = n + e;
	if (digits > 0)
		i = sign + digits + suffix(p + sign + digits);
	if (sign == 0 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
	    p[2] != '\0' && strchr(XDIGITS, p[2]) != NULL) {
		h = 2 + strspn(p + 2, XDIGITS);
		h += suffix(p + h);
	}
	if (f > 0 && f >= i && f >= h) {
		*kind = LIT_FLOAT;
		return f;
	}
	if (i > 0 && i >= h) {
		*kind = p[i - 1] == 'L' ? LIT_INT64 : LIT_INT;
		return i;
	}
	if (h > 0)
		*kind = p[h - 1] == 'L' ? LIT_HEX64 : LIT_HEX;
	return h;
}

/*
 * The setting being read, as config.c names it: "listen.[0].port", or ""
 * if not known whole; a cut name or path would name another key.
 */
static void
key_path(const struct scan *s, char *buf, size_t len)
{
	const struct frame *f;
	size_t off = 0;
	int i, n;

	buf[0] = '\0';
	if (s->nframes > SCAN_NEST_MAX)
		return;
	for (i = 0; i < s->nframes; i++) {
		f = &s->frames[i];
		if (f->kind == '{' && f->key[0] == '\0') {
			buf[0] = '\0';
			return;
		}
		if (f->kind == '{')
			n = snprintf(buf + off, len - off, "%s%s",
			    off > 0 ? "." : "", f->key);
		else
			n = snprintf(buf + off, len - off, "%s[%d]",
			    off > 0 ? "." : "", f->index);
		if (n < 0 || (size_t)n >= len - off) {
			buf[0] = '\0';
			return;
		}
		off += n;
	}
}

/* Diagnose the integer literal at src->p if libconfig would change it. */
static void
check_int(struct scan *s, const struct source *src, size_t len,
    enum lit kind)
{
	char key[SCAN_PATH_LEN];
	unsigned long long ull;
	long long v;
	bool bad, wide = kind == LIT_INT64 || kind == LIT_HEX64;
	int shown;

	if (s->files_only)
		return;

	/*
	 * The calls libconfig makes, converted as it converts; the token
	 * ends where they stop, at a non-digit or L.
	 */
	errno = 0;
	if (kind == LIT_INT) {
		v = strtol(src->p, NULL, 10);
		bad = errno == ERANGE || v < INT_MIN || v > INT_MAX;
		v = (int)v;		/* atoi(): (int)strtol() */
	} else if (kind == LIT_HEX) {
		ull = strtoul(src->p, NULL, 16);
		bad = errno == ERANGE || ull > INT_MAX;
		v = (int)ull;
	} else if (kind == LIT_INT64) {
		v = strtoll(src->p, NULL, 10);
		bad = errno == ERANGE;
	} else {
		ull = strtoull(src->p, NULL, 16);
		bad = errno == ERANGE || ull > LLONG_MAX;
		v = (long long)ull;
	}
	if (!bad)
		return;
	key_path(s, key, sizeof(key));
	shown = len > SCAN_SHOWN_MAX ? SCAN_SHOWN_MAX : (int)len;
	scan_diag(s, src, "%s%s%.*s%s is out of the %s range (%s); libconfig "
	    "would silently read it as %lld", key, key[0] != '\0' ? ": " : "",
	    shown, src->p, (size_t)shown < len ? "..." : "",
	    wide ? "64-bit" : "32-bit", wide ?
	    "-9223372036854775808..9223372036854775807" :
	    "-2147483648..2147483647", v);
}

/* Past the end of a comment opened at src->p by slash-star. */
static void
skip_comment(struct source *src)
{
	const char *p;

	for (p = src->p + 2; *p != '\0' && !(p[0] == '*' && p[1] == '/'); p++)
		src->line += *p == '\n';
	src->p = *p != '\0' ? p + 2 : p;
}

/* Past the end of a string opened at src->p; strings may span lines. */
static void
skip_string(struct source *src)
{
	const char *p;

	for (p = src->p + 1; *p != '\0' && *p != '"'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		src->line += *p == '\n';
	}
	src->p = *p != '\0' ? p + 1 : p;
}

/*
 * A name sets the key of the group it is in.  true and false are values,
 * not names, but no integer of the same setting can follow one, so
 * taking them for a key names nothing wrongly.
 */
static void
scan_name(struct scan *s, struct source *src)
{
	struct frame *f;
	const char *p = src->p;
	size_t n;

	for (n = 1; name_char(p[n]); n++)
		;
	src->p += n;
	if (s->nframes > SCAN_NEST_MAX)
		return;
	f = &s->frames[s->nframes - 1];
	if (f->kind != '{')
		return;
	if (n >= SCAN_KEY_LEN)
		n = 0;		/* a cut name would name another key */
	memcpy(f->key, p, n);
	f->key[n] = '\0';
}

static void
scan_punct(struct scan *s, char c)
{
	struct frame *f;

	if (c == '{' || c == '(' || c == '[') {
		if (s->nframes < SCAN_NEST_MAX) {
			f = &s->frames[s->nframes];
			f->kind = c;
			f->index = 0;
			f->key[0] = '\0';
		}
		s->nframes++;
	} else if ((c == '}' || c == ')' || c == ']') && s->nframes > 1)
		s->nframes--;
	else if (c == ',' && s->nframes <= SCAN_NEST_MAX &&
	    s->frames[s->nframes - 1].kind != '{')
		s->frames[s->nframes - 1].index++;
}

/* One token of libconfig's INITIAL state, other than @include. */
static void
scan_token(struct scan *s, struct source *src)
{
	const char *p = src->p;
	enum lit kind;
	size_t n;

	if (p[0] == '/' && p[1] == '*')
		skip_comment(src);
	else if (*p == '"')
		skip_string(src);
	else if (*p == '#' || (p[0] == '/' && p[1] == '/'))
		src->p += strcspn(p, "\n");
	else if (name_start(*p))
		scan_name(s, src);
	else if ((n = number(p, &kind)) > 0) {
		if (kind != LIT_FLOAT)
			check_int(s, src, n, kind);
		src->p += n;
	} else {
		scan_punct(s, *p);
		src->line += *p == '\n';
		src->p++;
	}
}

/*
 * At the start of a line, ^[ \t]*@include[ \t]+\" opens an include; step
 * past it.  Anywhere else, libconfig takes @ for garbage.
 */
static bool
include_open(struct source *src)
{
	const char *p = src->p;
	size_t n;

	if (p != src->text && p[-1] != '\n')
		return false;
	p += strspn(p, " \t");
	if (strncmp(p, "@include", 8) != 0)
		return false;
	p += 8;
	n = strspn(p, " \t");
	if (n == 0 || p[n] != '"')
		return false;
	src->p = p + n + 1;
	return true;
}

/*
 * The name up to the closing quote, then that file's text.  Only \\ and
 * \" are escapes; flex's default rule drops any other backslash.
 */
static void
scan_include(struct scan *s, struct source *src)
{
	const char *p;
	char *file;
	size_t n = 0;

	if ((file = malloc(strlen(src->p) + 1)) == NULL) {
		scan_diag(s, src, "@include: %s", strerror(errno));
		src->p += strlen(src->p);
		return;
	}
	for (p = src->p; *p != '\0' && *p != '"'; p++) {
		if (*p == '\\' && (p[1] == '\\' || p[1] == '"'))
			p++;
		else if (*p == '\\')
			continue;
		src->line += *p == '\n';
		file[n++] = *p;
	}
	file[n] = '\0';
	src->p = p;
	if (*p == '"') {
		src->p++;
		scan_file(s, src, file);
	}
	free(file);
}

/*
 * An included file, opened as libconfig opens it.  libconfig has read
 * it already; failing now means it changed or vanished since, and a
 * file not scanned is a file not checked.
 */
static void
scan_file(struct scan *s, const struct source *src, const char *file)
{
	char *text;

	/*
	 * An empty name is the include directory itself, or, from a string,
	 * nothing at all: say so the same way whichever it is.
	 */
	if (file[0] == '\0') {
		scan_diag(s, src, "@include \"\": an empty file name (name "
		    "the file to include)");
		return;
	}
	if (s->depth >= CONFIG_SCAN_INCLUDE_MAX) {
		scan_diag(s, src, "@include \"%s\": nested more than %d deep "
		    "(does a file include itself?)", file,
		    CONFIG_SCAN_INCLUDE_MAX);
		return;
	}
	if ((text = config_scan_read(s->dir, file)) == NULL) {
		/* Before libconfig: what it fails to open, it reports. */
		if (s->files_only && errno != EISDIR && errno != EINVAL)
			return;
		scan_diag(s, src, "@include \"%s\": cannot read %s%s%s: %s",
		    file, s->dir != NULL ? s->dir : "",
		    s->dir != NULL ? "/" : "", file, strerror(errno));
		return;
	}
	s->depth++;
	scan_text(s, file, text);
	s->depth--;
	free(text);
}

static void
scan_text(struct scan *s, const char *name, const char *text)
{
	struct source src = { name, text, text, 1 };

	while (*src.p != '\0') {
		if (include_open(&src))
			scan_include(s, &src);
		else
			scan_token(s, &src);
	}
}

/*
 * libconfig 1.5 opens "dir/file" whenever an include dir is set, even
 * for an absolute file (which then fails), and "file" otherwise.
 * Returns the text, to be freed, or NULL with errno set.
 */
char *
config_scan_read(const char *dir, const char *file)
{
	char *path = NULL, *text = NULL;
	struct stat st;
	size_t len = 0;
	FILE *f = NULL;
	int fd, saved;

	if (dir != NULL && asprintf(&path, "%s/%s", dir, file) == -1)
		return NULL;
	/*
	 * Only a regular file: a directory opens but fails to read, which
	 * libconfig's scanner answers with exit(), and a FIFO would block
	 * the master's reload (config_scan_files checks before libconfig).
	 */
	fd = open(path != NULL ? path : file, O_RDONLY | O_CLOEXEC |
	    O_NONBLOCK);
	saved = errno;
	if (fd != -1 && fstat(fd, &st) == 0 && !S_ISREG(st.st_mode))
		saved = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
	else if (fd != -1 && (f = fdopen(fd, "r")) == NULL)
		saved = errno;
	free(path);
	if (f == NULL) {
		if (fd != -1)
			(void)close(fd);
		errno = saved;
		return NULL;
	}
	if (getdelim(&text, &len, '\0', f) == -1) {
		saved = errno;
		free(text);
		/* At once at the end: the file is empty, which is no error. */
		text = ferror(f) ? NULL : strdup("");
		if (text == NULL && ferror(f))
			errno = saved;
	}
	(void)fclose(f);
	return text;
}

/*
 * Diagnose, into d, every integer literal in text (the file name names
 * in messages) and in the files it includes from dir (NULL: opened as
 * named) whose value libconfig would wrap or clamp.
 */
void
config_scan_ints(const char *name, const char *text, const char *dir,
    struct config_diag *d)
{
	struct scan s;

	memset(&s, 0, sizeof(s));
	s.dir = dir;
	s.diag = d;
	s.frames[0].kind = '{';
	s.nframes = 1;
	scan_text(&s, name, text);
}

/*
 * Whether text and every file it includes, from dir, can be read whole
 * (config_scan_read); what cannot is diagnosed into d.  libconfig must
 * not be given a file it would fail to read.
 */
bool
config_scan_files(const char *name, const char *text, const char *dir,
    struct config_diag *d)
{
	struct scan s;
	int before = d->count;

	memset(&s, 0, sizeof(s));
	s.dir = dir;
	s.diag = d;
	s.files_only = true;
	s.frames[0].kind = '{';
	s.nframes = 1;
	scan_text(&s, name, text);
	return d->count == before;
}

/*
 * The last name set on line `line` of `text`: libconfig reports a
 * duplicate key by line only, and "duplicate setting name" alone does
 * not say which key to remove.
 */
bool
config_scan_line_key(const char *text, int line, char *key, size_t len)
{
	const char *p = text, *name = NULL, *q;
	size_t n = 0, k;

	for (; line > 1 && *p != '\0'; p++)
		if (*p == '\n')
			line--;
	for (; *p != '\0' && *p != '\n'; p++) {
		if (*p == '#' || (p[0] == '/' && p[1] == '/'))
			break;		/* "# a = 1" sets nothing */
		if (p[0] == '/' && p[1] == '*') {
			for (q = p + 2; *q != '\0' && *q != '\n' &&
			    !(q[0] == '*' && q[1] == '/'); q++)
				;
			if (*q != '*')
				break;
			p = q + 1;
			continue;
		}
		if (*p == '"') {	/* "a=b" in a value names no key */
			for (p++; *p != '\0' && *p != '"' && *p != '\n'; p++)
				if (*p == '\\' && p[1] != '\0')
					p++;
			if (*p != '"')
				break;
			continue;
		}
		if (!name_start(*p))
			continue;
		for (q = p; name_char(*q); q++)
			;
		k = q - p;
		q += strspn(q, " \t");
		if (*q == '=' || *q == ':') {
			name = p;
			n = k;
		}
		p = q - 1;
	}
	if (name == NULL || n >= len)
		return false;
	memcpy(key, name, n);
	key[n] = '\0';
	return true;
}
