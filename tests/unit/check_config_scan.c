/* check_config_scan.c: the config text scanner reads numbers as libconfig. */

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <libconfig.h>

#include "config.h"
#include "config_scan.h"

#define SYNTAX_ERROR	0	/* libconfig rejects the file: no scan */
#define RANGE32		"32-bit range (-2147483648..2147483647)"
#define RANGE64		"64-bit range " \
			"(-9223372036854775808..9223372036854775807)"

/*
 * Every literal form, what the installed libconfig makes of "v = lit;"
 * (checked first, so a libconfig that reads numbers differently fails
 * here rather than passing wrapped values) and whether the scan must
 * report it: exactly when the value stored is not the value written.
 */
static const struct {
	const char	*lit;
	int		 type;
	long long	 value;
	bool		 wraps;
} lits[] = {
	/* Decimal; a leading 0 is no octal. */
	{ "0", CONFIG_TYPE_INT, 0, false },
	{ "00", CONFIG_TYPE_INT, 0, false },
	{ "-0", CONFIG_TYPE_INT, 0, false },
	{ "010", CONFIG_TYPE_INT, 10, false },
	{ "-010", CONFIG_TYPE_INT, -10, false },
	{ "+5", CONFIG_TYPE_INT, 5, false },
	{ "2147483647", CONFIG_TYPE_INT, INT_MAX, false },
	{ "-2147483648", CONFIG_TYPE_INT, INT_MIN, false },
	{ "00000000000000000000000000001", CONFIG_TYPE_INT, 1, false },
	{ "2147483648", CONFIG_TYPE_INT, INT_MIN, true },
	{ "+2147483648", CONFIG_TYPE_INT, INT_MIN, true },
	{ "-2147483649", CONFIG_TYPE_INT, INT_MAX, true },
	{ "00000000002147483648", CONFIG_TYPE_INT, INT_MIN, true },
	{ "9999999999", CONFIG_TYPE_INT, 1410065407, true },
	{ "4294967303", CONFIG_TYPE_INT, 7, true },
	{ "04294967303", CONFIG_TYPE_INT, 7, true },
	{ "-4294967289", CONFIG_TYPE_INT, 7, true },
	{ "99999999999999999999", CONFIG_TYPE_INT, -1, true },
	{ "-99999999999999999999", CONFIG_TYPE_INT, 0, true },
	/* Hexadecimal, no sign; 0x80000000 and up turn negative. */
	{ "0x0", CONFIG_TYPE_INT, 0, false },
	{ "0x10", CONFIG_TYPE_INT, 16, false },
	{ "0X1f", CONFIG_TYPE_INT, 31, false },
	{ "0x7FFFFFFF", CONFIG_TYPE_INT, INT_MAX, false },
	{ "0x00000000000000000010", CONFIG_TYPE_INT, 16, false },
	{ "0x80000000", CONFIG_TYPE_INT, INT_MIN, true },
	{ "0xFFFFFFFF", CONFIG_TYPE_INT, -1, true },
	{ "0x100000000", CONFIG_TYPE_INT, 0, true },
	{ "0x100000007", CONFIG_TYPE_INT, 7, true },
	{ "0xFFFFFFFFFFFFFFFFF", CONFIG_TYPE_INT, -1, true },
	/* L or LL: 64 bits, clamped past them. */
	{ "1L", CONFIG_TYPE_INT64, 1, false },
	{ "1LL", CONFIG_TYPE_INT64, 1, false },
	{ "-1L", CONFIG_TYPE_INT64, -1, false },
	{ "4294967303L", CONFIG_TYPE_INT64, 4294967303LL, false },
	{ "04294967303L", CONFIG_TYPE_INT64, 4294967303LL, false },
	{ "9223372036854775807L", CONFIG_TYPE_INT64, LLONG_MAX, false },
	{ "-9223372036854775808LL", CONFIG_TYPE_INT64, LLONG_MIN, false },
	{ "9223372036854775808L", CONFIG_TYPE_INT64, LLONG_MAX, true },
	{ "-9223372036854775809L", CONFIG_TYPE_INT64, LLONG_MIN, true },
	{ "99999999999999999999L", CONFIG_TYPE_INT64, LLONG_MAX, true },
	{ "0x1L", CONFIG_TYPE_INT64, 1, false },
	{ "0x1LL", CONFIG_TYPE_INT64, 1, false },
	{ "0X1fL", CONFIG_TYPE_INT64, 31, false },
	{ "0x100000007L", CONFIG_TYPE_INT64, 4294967303LL, false },
	{ "0x7FFFFFFFFFFFFFFFL", CONFIG_TYPE_INT64, LLONG_MAX, false },
	{ "0x8000000000000000L", CONFIG_TYPE_INT64, LLONG_MIN, true },
	{ "0xFFFFFFFFFFFFFFFFL", CONFIG_TYPE_INT64, -1, true },
	{ "0x10000000000000000L", CONFIG_TYPE_INT64, -1, true },
	/* Floats, however big, are not integers. */
	{ "1e5", CONFIG_TYPE_FLOAT, 0, false },
	{ "1E5", CONFIG_TYPE_FLOAT, 0, false },
	{ "1e-3", CONFIG_TYPE_FLOAT, 0, false },
	{ "0e5", CONFIG_TYPE_FLOAT, 0, false },
	{ ".5", CONFIG_TYPE_FLOAT, 0, false },
	{ "5.", CONFIG_TYPE_FLOAT, 0, false },
	{ "-.5", CONFIG_TYPE_FLOAT, 0, false },
	{ "+.5", CONFIG_TYPE_FLOAT, 0, false },
	{ ".", CONFIG_TYPE_FLOAT, 0, false },
	{ ".e5", CONFIG_TYPE_FLOAT, 0, false },
	{ "1.5e3", CONFIG_TYPE_FLOAT, 0, false },
	{ "99999999999.0", CONFIG_TYPE_FLOAT, 0, false },
	{ "99999999999e0", CONFIG_TYPE_FLOAT, 0, false },
	{ "1.5e-4294967296", CONFIG_TYPE_FLOAT, 0, false },
	{ "1e+4294967296", CONFIG_TYPE_FLOAT, 0, false },
	{ "1.5e+4294967296", CONFIG_TYPE_FLOAT, 0, false },
	{ "-4294967296.e4294967296", CONFIG_TYPE_FLOAT, 0, false },
	/* Not numbers at all. */
	{ "0x", SYNTAX_ERROR, 0, false },
	{ "--5", SYNTAX_ERROR, 0, false },
	{ "- 5", SYNTAX_ERROR, 0, false },
	{ "-0x10", SYNTAX_ERROR, 0, false },
	{ "+0x10", SYNTAX_ERROR, 0, false },
	{ "1l", SYNTAX_ERROR, 0, false },
	{ "1LLL", SYNTAX_ERROR, 0, false },
	{ "1.5L", SYNTAX_ERROR, 0, false },
	{ "1e5L", SYNTAX_ERROR, 0, false },
	{ "1e", SYNTAX_ERROR, 0, false },
	{ "1e+", SYNTAX_ERROR, 0, false },
	{ "5x", SYNTAX_ERROR, 0, false },
	{ "0x1g", SYNTAX_ERROR, 0, false },
};

START_TEST(scan_reports_exactly_what_libconfig_wraps)
{
	struct config_diag d = { 0 };
	char text[128], want[CONFIG_DIAG_LEN];
	const config_setting_t *s;
	config_t lc;
	bool wide = lits[_i].type == CONFIG_TYPE_INT64;
	int ok;

	(void)snprintf(text, sizeof(text), "v = %s;\n", lits[_i].lit);
	config_init(&lc);
	ok = config_read_string(&lc, text);
	if (lits[_i].type == SYNTAX_ERROR) {
		config_destroy(&lc);
		ck_assert_msg(ok == CONFIG_FALSE, "libconfig took %s", text);
		return;
	}
	ck_assert_msg(ok == CONFIG_TRUE, "%s: %s", text,
	    config_error_text(&lc));
	s = config_lookup(&lc, "v");
	ck_assert_int_eq(config_setting_type(s), lits[_i].type);
	if (lits[_i].type != CONFIG_TYPE_FLOAT)
		ck_assert_int_eq(config_setting_get_int64(s), lits[_i].value);
	config_destroy(&lc);

	config_scan_ints("t.conf", text, NULL, &d);
	if (!lits[_i].wraps) {
		ck_assert_msg(d.count == 0, "%s", d.msg[0]);
		return;
	}
	ck_assert_int_eq(d.count, 1);
	(void)snprintf(want, sizeof(want), "t.conf:1: v: %s is out of the %s; "
	    "libconfig would silently read it as %lld", lits[_i].lit,
	    wide ? RANGE64 : RANGE32, lits[_i].value);
	ck_assert_str_eq(d.msg[0], want);
}
END_TEST

#define WRAP(where, lit, as) \
	where ": " lit " is out of the " RANGE32 "; libconfig would " \
	"silently read it as " as

/* Texts libconfig accepts and what the scan must say of them, in order. */
static const struct {
	const char	*text;
	const char	*msg[2];
} texts[] = {
	{ "s = \"4294967296\";\n", { NULL } },
	{ "s = \"a\\\"4294967296\";\n", { NULL } },
	{ "s = \"a\\\\\"; v = 4294967296;\n",
	  { WRAP("t.conf:1: v", "4294967296", "0") } },
	{ "# 4294967296\n// 4294967296\n/* 4294967296\n4294967296 */ v = 1;\n",
	  { NULL } },
	{ "s = \"a\nb\";\n/* c\n */\nv = 4294967296;\n",
	  { WRAP("t.conf:5: v", "4294967296", "0") } },
	{ "a = 1;\r\nv =\r\n 4294967296;\r\n",
	  { WRAP("t.conf:3: v", "4294967296", "0") } },
	{ "port7 = 1; a-4294967296 = 2; b_4294967296 = 3; *x4294967296 = 4;\n",
	  { NULL } },
	{ "v=-4294967296;\n", { WRAP("t.conf:1: v", "-4294967296", "0") } },
	{ "v = 4294967296L; w = 0x100000000L; f = 4294967296.0;\n", { NULL } },
	{ "a = 4294967296; b = 4294967297;\n",
	  { WRAP("t.conf:1: a", "4294967296", "0"),
	    WRAP("t.conf:1: b", "4294967297", "1") } },
	{ "listen = ( { protocol = \"tcp\"; port = 4294967303; } );\n",
	  { WRAP("t.conf:1: listen.[0].port", "4294967303", "7") } },
	{ "udp = { deny_source_ports = [ 1, 4294967303 ]; };\n",
	  { WRAP("t.conf:1: udp.deny_source_ports.[1]", "4294967303", "7") } },
	{ "a = ( 1, ( 2, 4294967296 ),\n { b = [ 4294967297 ]; } );\n",
	  { WRAP("t.conf:1: a.[1].[1]", "4294967296", "0"),
	    WRAP("t.conf:2: a.[2].b.[0]", "4294967297", "1") } },
	{ "a = { b = 1; }; c = 4294967296;\n",
	  { WRAP("t.conf:1: c", "4294967296", "0") } },
	{ "a = 1, b = 4294967296\n",
	  { WRAP("t.conf:1: b", "4294967296", "0") } },
	{ "g = { t = true; f = FALSE; v = 4294967296; };\n",
	  { WRAP("t.conf:1: g.v", "4294967296", "0") } },
	/* A literal too long to show whole. */
	{ "v = 00000000000000000000000000000000000000004294967296;\n",
	  { WRAP("t.conf:1: v", "0000000000000000000000000000000000000000...",
	    "0") } },
	/* In a string or a comment, @include is no include. */
	{ "s = \"\n@include \\\"none.conf\\\"\";\n# @include \"none.conf\"\n"
	  "/*\n@include \"none.conf\"\n*/\n", { NULL } },
};

START_TEST(scan_reads_text_as_libconfig_does)
{
	struct config_diag d = { 0 };
	config_t lc;
	int i, n;

	config_init(&lc);
	ck_assert_msg(config_read_string(&lc, texts[_i].text) == CONFIG_TRUE,
	    "line %d: %s", config_error_line(&lc), config_error_text(&lc));
	config_destroy(&lc);
	config_scan_ints("t.conf", texts[_i].text, NULL, &d);
	for (n = 0; n < 2 && texts[_i].msg[n] != NULL; n++)
		;
	for (i = 0; i < d.count && i < n; i++)
		ck_assert_str_eq(d.msg[i], texts[_i].msg[i]);
	ck_assert_msg(d.count == n, "%d messages, first: %s", d.count,
	    d.msg[0]);
}
END_TEST

#define K60	"k123456789k123456789k123456789k123456789k123456789k123456789"

/*
 * Past what the scan tracks (nesting, name or path length) the literal
 * is still found, and named by file and line alone.
 */
START_TEST(scan_reports_literal_without_key_it_cannot_name)
{
	struct config_diag d = { 0 };
	char text[256];
	int n = 0, i;

	config_scan_ints("t.conf", K60 "xxxx = 4294967296;\n"
	    K60 "1 = { " K60 "2 = { " K60 "3 = { " K60 "4 = 4294967297;"
	    " }; }; };\n", NULL, &d);
	ck_assert_int_eq(d.count, 2);
	ck_assert_str_eq(d.msg[0], "t.conf:1: 4294967296 is out of the "
	    RANGE32 "; libconfig would silently read it as 0");
	ck_assert_str_eq(d.msg[1], "t.conf:2: 4294967297 is out of the "
	    RANGE32 "; libconfig would silently read it as 1");
	memset(&d, 0, sizeof(d));

	n += snprintf(text + n, sizeof(text) - n, "v = ");
	for (i = 0; i < 40; i++)
		text[n++] = '(';
	n += snprintf(text + n, sizeof(text) - n, "4294967296");
	for (i = 0; i < 40; i++)
		text[n++] = ')';
	(void)snprintf(text + n, sizeof(text) - n, ";\nw = 4294967297;\n");
	config_scan_ints("t.conf", text, NULL, &d);
	ck_assert_int_eq(d.count, 2);
	ck_assert_str_eq(d.msg[0], "t.conf:1: 4294967296 is out of the "
	    RANGE32 "; libconfig would silently read it as 0");
	ck_assert_str_eq(d.msg[1], WRAP("t.conf:2: w", "4294967297", "1"));
}
END_TEST

/* Files in a fresh directory: name and text pairs, NULL-terminated. */
struct tree {
	char		 dir[32];
	const char	**files;
};

static void
tree_create(struct tree *t, const char **files)
{
	char path[256], *slash;
	FILE *f;

	(void)snprintf(t->dir, sizeof(t->dir), "/tmp/check_scan.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(t->dir));
	t->files = files;
	for (; files[0] != NULL; files += 2) {
		(void)snprintf(path, sizeof(path), "%s/%s", t->dir, files[0]);
		if ((slash = strrchr(path, '/')) > path + strlen(t->dir)) {
			*slash = '\0';
			(void)mkdir(path, 0700);
			*slash = '/';
		}
		ck_assert_ptr_nonnull(f = fopen(path, "w"));
		ck_assert_int_ge(fputs(files[1], f), 0);
		ck_assert_int_eq(fclose(f), 0);
	}
}

static void
tree_destroy(struct tree *t)
{
	const char **files;
	char path[256], *slash;

	for (files = t->files; files[0] != NULL; files += 2) {
		(void)snprintf(path, sizeof(path), "%s/%s", t->dir, files[0]);
		(void)unlink(path);
		if ((slash = strrchr(path, '/')) > path + strlen(t->dir)) {
			*slash = '\0';
			(void)rmdir(path);
		}
	}
	(void)rmdir(t->dir);
}

/* Scan the tree's first file with includes from its directory. */
static void
tree_scan(struct tree *t, struct config_diag *d)
{
	char *text;

	memset(d, 0, sizeof(*d));
	ck_assert_ptr_nonnull(text = config_scan_read(t->dir, t->files[0]));
	config_scan_ints(t->files[0], text, t->dir, d);
	free(text);
}

/*
 * What libconfig itself says of the tree: its error, or where it read
 * the setting at path key ("file:line", the first file without its
 * directory, as the scan names it).
 */
static void
tree_where(struct tree *t, const char *key, char *out, size_t len)
{
	const config_setting_t *s;
	const char *file;
	char path[256];
	config_t lc;

	(void)snprintf(path, sizeof(path), "%s/%s", t->dir, t->files[0]);
	config_init(&lc);
	config_set_include_dir(&lc, t->dir);
	(void)snprintf(out, len, "%s: not found", key);
	if (config_read_file(&lc, path) != CONFIG_TRUE)
		(void)snprintf(out, len, "%s:%d: %s", config_error_file(&lc),
		    config_error_line(&lc), config_error_text(&lc));
	else if ((s = config_lookup(&lc, key)) != NULL) {
		file = config_setting_source_file(s);
		if (strcmp(file, path) == 0)
			file = t->files[0];
		(void)snprintf(out, len, "%s:%u", file,
		    config_setting_source_line(s));
	}
	config_destroy(&lc);
}

/*
 * Includes resolve against the include dir, not the including file's
 * own, are named as written, and lines resume after them; an include
 * spliced into a group carries its key.
 */
START_TEST(scan_follows_includes_as_libconfig_does)
{
	const char *files[] = {
		"main.conf", "a = 1;\n@include \"sub/b.conf\"\n"
		    "c = 4294967296;\n  @include \"e.conf\" f = 4294967299;\n"
		    "g = {\n@include \"g.inc\"\n};\n",
		"sub/b.conf", "@include \"d.conf\"\nb = 4294967297;\n",
		"d.conf", "\nd = 4294967298;\n",
		"e.conf", "e = 1;",
		"g.inc", "h = 4294967300;\n",
		NULL };
	struct config_diag d;
	struct tree t;
	char where[5][256];

	tree_create(&t, files);
	tree_scan(&t, &d);
	tree_where(&t, "d", where[0], sizeof(where[0]));
	tree_where(&t, "b", where[1], sizeof(where[1]));
	tree_where(&t, "c", where[2], sizeof(where[2]));
	tree_where(&t, "f", where[3], sizeof(where[3]));
	tree_where(&t, "g.h", where[4], sizeof(where[4]));
	tree_destroy(&t);
	ck_assert_str_eq(where[0], "d.conf:2");
	ck_assert_str_eq(where[1], "sub/b.conf:2");
	ck_assert_str_eq(where[2], "main.conf:3");
	ck_assert_str_eq(where[3], "main.conf:4");
	ck_assert_str_eq(where[4], "g.inc:1");
	ck_assert_int_eq(d.count, 5);
	ck_assert_str_eq(d.msg[0], WRAP("d.conf:2: d", "4294967298", "2"));
	ck_assert_str_eq(d.msg[1], WRAP("sub/b.conf:2: b", "4294967297", "1"));
	ck_assert_str_eq(d.msg[2], WRAP("main.conf:3: c", "4294967296", "0"));
	ck_assert_str_eq(d.msg[3], WRAP("main.conf:4: f", "4294967299", "3"));
	ck_assert_str_eq(d.msg[4], WRAP("g.inc:1: g.h", "4294967300", "4"));
}
END_TEST

/*
 * In an include name only \\ and \" escape, another backslash is lost,
 * and a newline counts as a line.
 */
START_TEST(scan_decodes_include_names_as_libconfig_does)
{
	const char *files[] = {
		"main.conf", "@include \"we\\\"ird.conf\"\n"
		    "@include \"back\\\\slash.conf\"\n@include \"a\\qb.conf\"\n"
		    "@include \"new\nline.conf\"\nw = 4294967299;\n",
		"we\"ird.conf", "x = 4294967296;\n",
		"back\\slash.conf", "y = 4294967297;\n",
		"aqb.conf", "z = 4294967298;\n",
		"new\nline.conf", "",
		NULL };
	struct config_diag d;
	struct tree t;
	char where[2][256];

	tree_create(&t, files);
	tree_scan(&t, &d);
	tree_where(&t, "x", where[0], sizeof(where[0]));
	tree_where(&t, "w", where[1], sizeof(where[1]));
	tree_destroy(&t);
	ck_assert_str_eq(where[0], "we\"ird.conf:1");
	ck_assert_str_eq(where[1], "main.conf:6");
	ck_assert_int_eq(d.count, 4);
	ck_assert_str_eq(d.msg[0],
	    WRAP("we\"ird.conf:1: x", "4294967296", "0"));
	ck_assert_str_eq(d.msg[1],
	    WRAP("back\\slash.conf:1: y", "4294967297", "1"));
	ck_assert_str_eq(d.msg[2], WRAP("aqb.conf:1: z", "4294967298", "2"));
	ck_assert_str_eq(d.msg[3], WRAP("main.conf:6: w", "4294967299", "3"));
}
END_TEST

/* f0.conf includes f1.conf ... up to f<n>.conf, which has a wrap. */
static const char **
chain(int n)
{
	static char names[16][16], bodies[16][64];
	static const char *files[34];
	int i;

	ck_assert_int_lt(n, 16);
	for (i = 0; i <= n; i++) {
		(void)snprintf(names[i], sizeof(names[i]), "f%d.conf", i);
		if (i < n)
			(void)snprintf(bodies[i], sizeof(bodies[i]),
			    "@include \"f%d.conf\"\n", i + 1);
		else
			(void)snprintf(bodies[i], sizeof(bodies[i]),
			    "k = 4294967296;\n");
		files[2 * i] = names[i];
		files[2 * i + 1] = bodies[i];
	}
	files[2 * i] = NULL;
	return files;
}

START_TEST(scan_follows_includes_as_deep_as_libconfig)
{
	struct config_diag d;
	struct tree t;
	char err[256];

	tree_create(&t, chain(CONFIG_SCAN_INCLUDE_MAX));
	tree_where(&t, "k", err, sizeof(err));
	tree_scan(&t, &d);
	tree_destroy(&t);
	ck_assert_str_eq(err, "f10.conf:1");
	ck_assert_int_eq(d.count, 1);
	ck_assert_str_eq(d.msg[0], WRAP("f10.conf:1: k", "4294967296", "0"));
}
END_TEST

START_TEST(scan_stops_where_libconfig_stops_nesting)
{
	struct config_diag d;
	struct tree t;
	char err[256];

	tree_create(&t, chain(CONFIG_SCAN_INCLUDE_MAX + 1));
	tree_where(&t, "k", err, sizeof(err));
	tree_scan(&t, &d);
	tree_destroy(&t);
	ck_assert_str_eq(err, "f10.conf:1: include file nesting too deep");
	ck_assert_int_eq(d.count, 1);
	ck_assert_str_eq(d.msg[0], "f10.conf:1: @include \"f11.conf\": nested "
	    "more than 10 deep (does a file include itself?)");
}
END_TEST

START_TEST(scan_ends_an_include_loop)
{
	const char *files[] = {
		"loop.conf", "v = 1;\n@include \"loop.conf\"\n", NULL };
	struct config_diag d;
	struct tree t;

	tree_create(&t, files);
	tree_scan(&t, &d);
	tree_destroy(&t);
	ck_assert_int_eq(d.count, 1);
	ck_assert_str_eq(d.msg[0], "loop.conf:2: @include \"loop.conf\": "
	    "nested more than 10 deep (does a file include itself?)");
}
END_TEST

/* An include gone since libconfig read it is an error, not a skip. */
START_TEST(scan_reports_unreadable_include)
{
	const char *files[] = { "main.conf", "@include \"gone.conf\"\n", NULL };
	struct config_diag d;
	struct tree t;
	char want[CONFIG_DIAG_LEN];

	tree_create(&t, files);
	tree_scan(&t, &d);
	(void)snprintf(want, sizeof(want), "main.conf:1: @include "
	    "\"gone.conf\": cannot read %s/gone.conf: No such file or "
	    "directory", t.dir);
	tree_destroy(&t);
	ck_assert_int_eq(d.count, 1);
	ck_assert_str_eq(d.msg[0], want);
}
END_TEST

/* Without an include dir (config_parse_string) names are used as is. */
START_TEST(scan_opens_includes_from_cwd_without_dir)
{
	const char *files[] = { "inc.conf", "v = 4294967296;\n", NULL };
	struct config_diag d = { 0 };
	struct tree t;
	char cwd[PATH_MAX];

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	tree_create(&t, files);
	ck_assert_int_eq(chdir(t.dir), 0);
	config_scan_ints("t.conf", "@include \"inc.conf\"\n", NULL, &d);
	ck_assert_int_eq(chdir(cwd), 0);
	tree_destroy(&t);
	ck_assert_int_eq(d.count, 1);
	ck_assert_str_eq(d.msg[0], WRAP("inc.conf:1: v", "4294967296", "0"));
}
END_TEST

/* libconfig 1.5 puts the include dir even before an absolute name. */
START_TEST(read_prefixes_dir_even_to_absolute_name)
{
	const char *files[] = { "a.conf", "", NULL };
	struct tree t;
	char path[256], *text;

	tree_create(&t, files);
	(void)snprintf(path, sizeof(path), "%s/a.conf", t.dir);
	errno = 0;
	ck_assert_ptr_null(config_scan_read(t.dir, path));
	ck_assert_int_eq(errno, ENOENT);
	text = config_scan_read(NULL, path);
	tree_destroy(&t);
	ck_assert_ptr_nonnull(text);
	ck_assert_str_eq(text, "");	/* empty, not unreadable */
	free(text);
}
END_TEST

/* Text, line libconfig reported, the key config.c must name (or NULL). */
static const struct {
	const char	*text;
	int		 line;
	const char	*key;
} keys[] = {
	{ "workers = 2;\n", 1, "workers" },
	{ "a = 1;\nb = 2;\n", 2, "b" },
	{ "a = 1; b = 2;\n", 1, "b" },
	{ "a:1;\n", 1, "a" },
	{ "  backlog = 3; };\n", 1, "backlog" },
	{ "tcp = {\n", 1, "tcp" },
	{ "user = \"a=b\";\n", 1, "user" },
	{ "user = \"a\\\"b=c\";\n", 1, "user" },
	{ "x = 1; # y = 2\n", 1, "x" },
	{ "x = 1; // y = 2\n", 1, "x" },
	{ "x = /* y = */ 2;\n", 1, "x" },
	{ "x = 1; /* y = 2\n z = 3 */\n", 1, "x" },
	{ "a-b_c* = 1;\n", 1, "a-b_c*" },
	{ "};\n", 1, NULL },
	{ "a = 1;\n", 2, NULL },
	{ "a123456789a123456789a123456789a123456789a123456789a123456789abc"
	  "d = 1;\n", 1, NULL },
};

START_TEST(line_key_names_the_key_set_on_a_line)
{
	char key[64];
	bool found;

	found = config_scan_line_key(keys[_i].text, keys[_i].line, key,
	    sizeof(key));
	if (keys[_i].key == NULL) {
		ck_assert_msg(!found, "found %s", key);
		return;
	}
	ck_assert(found);
	ck_assert_str_eq(key, keys[_i].key);
}
END_TEST

static Suite *
config_scan_suite(void)
{
	Suite *s = suite_create("config_scan");
	TCase *tc = tcase_create("config_scan");

	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, scan_reports_exactly_what_libconfig_wraps, 0,
	    sizeof(lits) / sizeof(lits[0]));
	tcase_add_loop_test(tc, scan_reads_text_as_libconfig_does, 0,
	    sizeof(texts) / sizeof(texts[0]));
	tcase_add_test(tc, scan_reports_literal_without_key_it_cannot_name);
	tcase_add_test(tc, scan_follows_includes_as_libconfig_does);
	tcase_add_test(tc, scan_decodes_include_names_as_libconfig_does);
	tcase_add_test(tc, scan_follows_includes_as_deep_as_libconfig);
	tcase_add_test(tc, scan_stops_where_libconfig_stops_nesting);
	tcase_add_test(tc, scan_ends_an_include_loop);
	tcase_add_test(tc, scan_reports_unreadable_include);
	tcase_add_test(tc, scan_opens_includes_from_cwd_without_dir);
	tcase_add_test(tc, read_prefixes_dir_even_to_absolute_name);
	tcase_add_loop_test(tc, line_key_names_the_key_set_on_a_line, 0,
	    sizeof(keys) / sizeof(keys[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(config_scan_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
