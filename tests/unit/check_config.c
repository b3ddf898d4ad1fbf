/* check_config.c: config loading: defaults, valid files, every error case. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <check.h>

#include "config.h"

static struct config *
parse(const char *text, struct config_diag *d)
{
	return config_parse_string(text, "t.conf", 0, d);
}

START_TEST(config_defaults_match_sample)
{
	struct config_diag d;
	struct config *cf;

	cf = parse("", &d);
	ck_assert_ptr_nonnull(cf);
	ck_assert_int_eq(cf->workers, 4);
	ck_assert_uint_eq(cf->nlistens, 4);
	ck_assert_int_eq(cf->listens[0].proto, PROTO_TCP);
	ck_assert_str_eq(cf->listens[1].address, "::");
	ck_assert_int_eq(cf->listens[2].proto, PROTO_UDP);
	ck_assert_int_eq(cf->listens[3].port, 7);
	ck_assert_int_eq(cf->backlog, 511);
	ck_assert_int_eq(cf->accept_lock, ACCEPTLOCK_MUTEX);
	ck_assert_int_eq(cf->max_connections, 1024);
	ck_assert_int_eq(cf->idle_timeout_s, 300);
	ck_assert(config_port_denied(cf, 0));
	ck_assert(config_port_denied(cf, 1023));
	ck_assert(!config_port_denied(cf, 1024));
	ck_assert(config_port_denied(cf, 2049));
	ck_assert_int_eq(cf->udp_rcvbuf, 0);
	ck_assert_int_eq(cf->udp_rate, 100);
	ck_assert_int_eq(cf->tcp_ps_conns, 0);
	ck_assert_int_eq(cf->tcp_ps_rate, 0);
	ck_assert_int_eq(cf->udp_burst, 200);
	ck_assert_uint_eq(acl_ranges(cf->allow), 0);
	ck_assert_uint_eq(acl_ranges(cf->deny), 0);
	ck_assert_uint_eq(acl_ranges(cf->exempt), 2);
	ck_assert_int_eq(cf->shutdown_timeout_s, 10);
	ck_assert_str_eq(cf->user, "echod");
	ck_assert_str_eq(cf->pidfile, "/run/echod/echod.pid");
	ck_assert_int_eq(cf->log_facility, LOG_DAEMON);
	ck_assert_int_eq(cf->log_level, LOG_INFO);
	config_free(cf);
}
END_TEST

START_TEST(config_loads_sample_file)
{
	struct config_diag d;
	struct config *cf;

	cf = config_load(SAMPLE_CONF, 0, &d);
	ck_assert_msg(cf != NULL, "%s", d.msg[0]);
	ck_assert_int_eq(cf->workers, 4);
	ck_assert_uint_eq(cf->nlistens, 4);
	config_free(cf);
}
END_TEST

START_TEST(config_reads_every_key)
{
	struct config_diag d;
	struct config *cf;

	cf = parse("workers = 7;\n"
	    "listen = ( { protocol = \"udp\"; address = \"::1\"; port = 0; } );\n"
	    "tcp = { backlog = 16; accept_lock = \"fcntl\"; "
	    "max_connections = 3; idle_timeout = 0; };\n"
	    "udp = { deny_source_ports = [ \"5-6\", \"9\" ]; "
	    "receive_buffer = 4194304; };\n"
	    "shutdown_timeout = 0; user = \"nobody\"; group = \"nogroup\";\n"
	    "pidfile = \"\"; log = { facility = \"local3\"; level = \"debug\"; };\n",
	    &d);
	ck_assert_msg(cf != NULL, "%s", d.msg[0]);
	ck_assert_int_eq(cf->workers, 7);
	ck_assert_int_eq(cf->listens[0].proto, PROTO_UDP);
	ck_assert_int_eq(cf->listens[0].port, 0);
	ck_assert_int_eq(cf->backlog, 16);
	ck_assert_int_eq(cf->accept_lock, ACCEPTLOCK_FCNTL);
	ck_assert_int_eq(cf->max_connections, 3);
	ck_assert_int_eq(cf->idle_timeout_s, 0);
	ck_assert(!config_port_denied(cf, 4));
	ck_assert(config_port_denied(cf, 5));
	ck_assert(config_port_denied(cf, 6));
	ck_assert(!config_port_denied(cf, 7));
	ck_assert(config_port_denied(cf, 9));
	ck_assert_int_eq(cf->udp_rcvbuf, 4194304);
	ck_assert(!config_port_denied(cf, 80));
	ck_assert_int_eq(cf->shutdown_timeout_s, 0);
	ck_assert_str_eq(cf->user, "nobody");
	ck_assert_str_eq(cf->pidfile, "");
	ck_assert_int_eq(cf->log_facility, LOG_LOCAL3);
	ck_assert_int_eq(cf->log_level, LOG_DEBUG);
	ck_assert(!config_has_proto(cf, PROTO_TCP));
	ck_assert(config_has_proto(cf, PROTO_UDP));
	config_free(cf);
}
END_TEST

START_TEST(config_workers_auto_is_cpu_count)
{
	struct config_diag d;
	struct config *cf;
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	cf = parse("workers = \"auto\";", &d);
	ck_assert_ptr_nonnull(cf);
	ck_assert(cf->workers_auto);
	ck_assert_int_eq(cf->workers, n);
	config_free(cf);
}
END_TEST

START_TEST(config_empty_deny_list_denies_nothing)
{
	struct config_diag d;
	struct config *cf;

	cf = parse("udp = { deny_source_ports = []; };", &d);
	ck_assert_ptr_nonnull(cf);
	ck_assert(!config_port_denied(cf, 0));
	ck_assert(!config_port_denied(cf, 2049));
	config_free(cf);
}
END_TEST

/* Each bad input and the exact first diagnostic it must produce. */
static const struct {
	const char	*text;
	const char	*msg;
} bad[] = {
	{ "workers = 2;\ntcp = { backlgo = 10; };\n",
	  "t.conf:2: tcp.backlgo: unknown key (did you mean backlog?)" },
	{ "wrokers = 2;\n",
	  "t.conf:1: wrokers: unknown key (did you mean workers?)" },
	{ "frobnicate = 1;\n", "t.conf:1: frobnicate: unknown key" },
	{ "\ntcp = { backlog = 70000; };\n",
	  "t.conf:2: tcp.backlog: 70000 is out of range (1..65535)" },
	{ "workers = 0;\n", "t.conf:1: workers: 0 is out of range (1..1024)" },
	{ "workers = 1025;\n",
	  "t.conf:1: workers: 1025 is out of range (1..1024)" },
	{ "workers = \"many\";\n",
	  "t.conf:1: workers: \"many\" is not a number or \"auto\"" },
	{ "workers = 2.5;\n",
	  "t.conf:1: workers: expected an integer, got a number with a fraction" },
	{ "tcp = 5;\n", "t.conf:1: tcp: expected a group { }, got an integer" },
	{ "tcp = { accept_lock = \"spin\"; };\n",
	  "t.conf:1: tcp.accept_lock: \"spin\" is not \"mutex\", \"fcntl\" or \"none\"" },
	{ "tcp = { idle_timeout = -1; };\n",
	  "t.conf:1: tcp.idle_timeout: -1 is out of range (0..31536000)" },
	{ "listen = ( { protocol = \"sctp\"; address = \"::\"; port = 7; } );\n",
	  "t.conf:1: listen.[0].protocol: \"sctp\" is not \"tcp\" or \"udp\"" },
	{ "listen = (\n { protocol = \"tcp\"; address = \"localhost\"; port = 7; }\n);\n",
	  "t.conf:2: listen.[0].address: \"localhost\" is not a numeric IPv4 or IPv6 address" },
	{ "listen = ( { protocol = \"tcp\"; address = \"::\"; port = 65536; } );\n",
	  "t.conf:1: listen.[0].port: 65536 is out of range (0..65535)" },
	{ "listen = ( { protocol = \"tcp\"; address = \"::\"; prot = 7; } );\n",
	  "t.conf:1: listen.[0].prot: unknown key (did you mean port?)" },
	{ "listen = ( { protocol = \"tcp\"; port = 7; } );\n",
	  "t.conf:1: listen.[0].address: missing (for example \"0.0.0.0\" or \"::\")" },
	{ "listen = ();\n", "t.conf:1: listen: empty (give at least one listener)" },
	{ "listen = { protocol = \"tcp\"; };\n",
	  "t.conf:1: listen: expected a list ( { ... }, ... ), got a group { }" },
	{ "listen = (\n{ protocol = \"tcp\"; address = \"::1\"; port = 7; },\n"
	  "{ protocol = \"tcp\"; address = \"::1\"; port = 7; } );\n",
	  "t.conf:3: listen.[1]: duplicates listen.[0]" },
	{ "udp = { deny_source_ports = [ \"10-5\" ]; };\n",
	  "t.conf:1: udp.deny_source_ports: \"10-5\" is not a port or a range like \"0-1023\" (0..65535)" },
	{ "udp = { deny_source_ports = [ \" 7\" ]; };\n",
	  "t.conf:1: udp.deny_source_ports: \" 7\" is not a port or a range like \"0-1023\" (0..65535)" },
	{ "udp = { deny_source_ports = [ \"0-\" ]; };\n",
	  "t.conf:1: udp.deny_source_ports: \"0-\" is not a port or a range like \"0-1023\" (0..65535)" },
	{ "udp = { deny_source_ports = [ \"1- 5\" ]; };\n",
	  "t.conf:1: udp.deny_source_ports: \"1- 5\" is not a port or a range like \"0-1023\" (0..65535)" },
	{ "udp = { deny_source_ports = \"53\"; };\n",
	  "t.conf:1: udp.deny_source_ports: expected an array like [ \"0-1023\", \"2049\" ], got a string" },
	{ "log = { level = \"loud\"; };\n",
	  "t.conf:1: log.level: \"loud\" is not one of emerg, alert, crit, err, warning, notice, info, debug" },
	{ "log = { facility = \"kern\"; };\n",
	  "t.conf:1: log.facility: \"kern\" is not one of daemon, user, local0..local7" },
	{ "pidfile = \"run/echod.pid\";\n",
	  "t.conf:1: pidfile: \"run/echod.pid\" is not an absolute path" },
	{ "udp = { receive_buffer = -1; };\n",
	  "t.conf:1: udp.receive_buffer: -1 is out of range (0..1073741824)" },
	{ "access = {\n allow = [ \"10.0.0.1/8\" ]; };\n",
	  "t.conf:2: access.allow: \"10.0.0.1/8\" has bits set past its prefix "
	  "length (give the network address)" },
	{ "access = { deny = [ \"::/129\" ]; };\n",
	  "t.conf:1: access.deny: \"::/129\": the prefix length is out of range "
	  "(0..32 for IPv4, 0..128 for IPv6)" },
	{ "per_source_ipv6_prefix = 16;\n",
	  "t.conf:1: per_source_ipv6_prefix: 16 is out of range (32..128)" },
	{ "per_source_exempt = [ \"localhost\" ];\n",
	  "t.conf:1: per_source_exempt: \"localhost\" is not an address or a "
	  "prefix like \"192.0.2.0/24\" or \"2001:db8::/32\"" },
	{ "access = { alow = [ ]; };\n",
	  "t.conf:1: access.alow: unknown key (did you mean allow?)" },
	{ "udp = { per_source_rate = 1000001; };\n",
	  "t.conf:1: udp.per_source_rate: 1000001 is out of range (0..1000000)" },
	{ "listen = ( { protocol = \"udp\"; address = \"::1\"; port = 7; "
	  "proxy_protocol = true; } );\n",
	  "t.conf:1: listen.[0].proxy_protocol: only for protocol \"tcp\"" },
	{ "tcp = { per_source_connections = -1; };\n",
	  "t.conf:1: tcp.per_source_connections: -1 is out of range (0..1000000)" },
	{ "tcp = { per_source_rate = 1000001; };\n",
	  "t.conf:1: tcp.per_source_rate: 1000001 is out of range (0..1000000)" },
	{ "udp = { per_source_burst = 0; };\n",
	  "t.conf:1: udp.per_source_burst: 0 is out of range (1..1000000)" },
	{ "shutdown_timeout = 3601;\n",
	  "t.conf:1: shutdown_timeout: 3601 is out of range (0..3600)" },
	{ "user = 5;\n", "t.conf:1: user: expected a string, got an integer" },
	{ "workers = 2;\ntcp = { backlog = ; };\n", "t.conf:2: syntax error" },
	{ "workers = 2;\nworkers = 3;\n",
	  "t.conf:2: workers: duplicate setting (each key may appear once per group)" },
	{ "user = \"x\";\nuser = \"a=b\";\n",
	  "t.conf:2: user: duplicate setting (each key may appear once per group)" },
	{ "tcp = {\n backlog = 2;\n  backlog = 3; };\n",
	  "t.conf:3: backlog: duplicate setting (each key may appear once per group)" },
	{ "workers = 4294967298;\n", "t.conf:1: workers: 4294967298 is out of "
	  "the 32-bit range (-2147483648..2147483647); libconfig would "
	  "silently read it as 2" },
	{ "listen = (\n { protocol = \"tcp\"; address = \"::1\"; "
	  "port = 4294967303; }\n);\n", "t.conf:2: listen.[0].port: "
	  "4294967303 is out of the 32-bit range (-2147483648..2147483647); "
	  "libconfig would silently read it as 7" },
	{ "listen = ( { protocol = \"tcp\"; address = \"::1\"; "
	  "port = 04294967303; } );\n", "t.conf:1: listen.[0].port: "
	  "04294967303 is out of the 32-bit range (-2147483648..2147483647); "
	  "libconfig would silently read it as 7" },
	{ "tcp = { backlog = 0x100000001; };\n", "t.conf:1: tcp.backlog: "
	  "0x100000001 is out of the 32-bit range (-2147483648..2147483647); "
	  "libconfig would silently read it as 1" },
};

START_TEST(config_rejects_bad_input)
{
	struct config_diag d;

	ck_assert_ptr_null(parse(bad[_i].text, &d));
	ck_assert_int_ge(d.count, 1);
	ck_assert_str_eq(d.msg[0], bad[_i].msg);
}
END_TEST

/* Big numbers in strings, comments and floats, or with L, are no error. */
START_TEST(config_ignores_big_numbers_that_are_not_ints)
{
	struct config_diag d;
	struct config *cf;

	cf = parse("# workers = 99999999999;\n/* 99999999999 */\n"
	    "pidfile = \"/run/99999999999\"; // 99999999999\n"
	    "shutdown_timeout = 10L; workers = 0x10;\n", &d);
	ck_assert_msg(cf != NULL, "%s", d.msg[0]);
	ck_assert_int_eq(cf->shutdown_timeout_s, 10);
	ck_assert_int_eq(cf->workers, 16);
	ck_assert_str_eq(cf->pidfile, "/run/99999999999");
	config_free(cf);
}
END_TEST

/* A temporary directory holding name and text pairs, NULL-terminated. */
static void
write_files(char *dir, const char **files)
{
	char path[256];
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	for (; files[0] != NULL; files += 2) {
		(void)snprintf(path, sizeof(path), "%s/%s", dir, files[0]);
		ck_assert_ptr_nonnull(f = fopen(path, "w"));
		ck_assert_int_ge(fputs(files[1], f), 0);
		ck_assert_int_eq(fclose(f), 0);
	}
}

static void
remove_files(const char *dir, const char **files)
{
	char path[256];

	for (; files[0] != NULL; files += 2) {
		(void)snprintf(path, sizeof(path), "%s/%s", dir, files[0]);
		(void)unlink(path);
	}
	(void)rmdir(dir);
}

/* libconfig reads inc.conf's port as 7; the scan must follow @include. */
START_TEST(config_rejects_wrapped_integer_in_included_file)
{
	const char *files[] = {
		"echod.conf", "workers = 2;\n@include \"inc.conf\"\n",
		"inc.conf", "\n\nlisten = ( { protocol = \"tcp\"; "
		    "address = \"::1\"; port = 4294967303; } );\n",
		NULL };
	char dir[] = "/tmp/check_config.XXXXXX", path[256];
	struct config_diag d;
	struct config *cf;

	write_files(dir, files);
	(void)snprintf(path, sizeof(path), "%s/echod.conf", dir);
	cf = config_load(path, 0, &d);
	remove_files(dir, files);
	ck_assert_ptr_null(cf);
	ck_assert_int_eq(d.count, 1);
	ck_assert_str_eq(d.msg[0], "inc.conf:3: listen.[0].port: 4294967303 "
	    "is out of the 32-bit range (-2147483648..2147483647); libconfig "
	    "would silently read it as 7");
}
END_TEST

/* libconfig stops in inc.conf: the key is on that file's line. */
START_TEST(config_names_duplicate_key_in_included_file)
{
	const char *files[] = {
		"echod.conf", "workers = 2;\n@include \"inc.conf\"\n",
		"inc.conf", "# more\nworkers = 3;\n",
		NULL };
	char dir[] = "/tmp/check_config.XXXXXX", path[256];
	struct config_diag d;
	struct config *cf;

	write_files(dir, files);
	(void)snprintf(path, sizeof(path), "%s/echod.conf", dir);
	cf = config_load(path, 0, &d);
	remove_files(dir, files);
	ck_assert_ptr_null(cf);
	ck_assert_int_eq(d.count, 1);
	ck_assert_str_eq(d.msg[0], "inc.conf:2: workers: duplicate setting "
	    "(each key may appear once per group)");
}
END_TEST

START_TEST(config_reports_every_error_in_one_pass)
{
	struct config_diag d;

	ck_assert_ptr_null(parse("workers = 0;\nbogus = 1;\n"
	    "tcp = { backlog = 0; idle = 1; };\n", &d));
	ck_assert_int_eq(d.count, 4);
	ck_assert_str_eq(d.msg[0], "t.conf:2: bogus: unknown key");
	ck_assert_str_eq(d.msg[1],
	    "t.conf:1: workers: 0 is out of range (1..1024)");
	ck_assert_str_eq(d.msg[2], "t.conf:3: tcp.idle: unknown key");
	ck_assert_str_eq(d.msg[3],
	    "t.conf:3: tcp.backlog: 0 is out of range (1..65535)");
}
END_TEST

START_TEST(config_names_missing_file)
{
	struct config_diag d;

	ck_assert_ptr_null(config_load("/nonexistent/echod.conf", 0, &d));
	ck_assert_int_eq(d.count, 1);
	ck_assert_str_eq(d.msg[0],
	    "/nonexistent/echod.conf: cannot read: No such file or directory");
}
END_TEST

START_TEST(config_resolves_existing_accounts)
{
	struct config_diag d;
	struct config *cf;

	cf = config_parse_string("user = \"nobody\"; group = \"nogroup\";",
	    "t.conf", CONFIG_RESOLVE_IDS, &d);
	ck_assert_msg(cf != NULL, "%s", d.msg[0]);
	ck_assert(cf->ids_resolved);
	ck_assert_int_ne(cf->uid, 0);
	config_free(cf);
}
END_TEST

START_TEST(config_rejects_missing_user)
{
	struct config_diag d;

	ck_assert_ptr_null(config_parse_string(
	    "user = \"no-such-user-echod\";\ngroup = \"nogroup\";",
	    "t.conf", CONFIG_RESOLVE_IDS, &d));
	ck_assert_int_eq(d.count, 1);
	ck_assert_str_eq(d.msg[0], "t.conf:1: user: no such user "
	    "\"no-such-user-echod\" (create it, e.g. adduser --system "
	    "no-such-user-echod, or name an existing one)");
}
END_TEST

START_TEST(config_rejects_root_as_worker_user)
{
	struct config_diag d;

	ck_assert_ptr_null(config_parse_string(
	    "user = \"root\";\ngroup = \"nogroup\";", "t.conf",
	    CONFIG_RESOLVE_IDS, &d));
	ck_assert_str_eq(d.msg[0], "t.conf:1: user: \"root\" is root; "
	    "workers must run unprivileged");
}
END_TEST

START_TEST(config_reports_accounts_with_other_errors)
{
	struct config_diag d;

	ck_assert_ptr_null(config_parse_string(
	    "workers = 0;\nuser = \"no-such-user-echod\";\ngroup = \"nogroup\";",
	    "t.conf", CONFIG_RESOLVE_IDS, &d));
	ck_assert_int_eq(d.count, 2);
	ck_assert_str_eq(d.msg[0],
	    "t.conf:1: workers: 0 is out of range (1..1024)");
	ck_assert_str_eq(d.msg[1], "t.conf:2: user: no such user "
	    "\"no-such-user-echod\" (create it, e.g. adduser --system "
	    "no-such-user-echod, or name an existing one)");
}
END_TEST

START_TEST(config_rejects_root_group)
{
	struct config_diag d;

	ck_assert_ptr_null(config_parse_string(
	    "user = \"nobody\";\ngroup = \"root\";", "t.conf",
	    CONFIG_RESOLVE_IDS, &d));
	ck_assert_int_eq(d.count, 1);
	ck_assert_str_eq(d.msg[0], "t.conf:2: group: \"root\" is root's "
	    "group; workers must run unprivileged");
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, config_defaults_match_sample);
	tcase_add_test(tc, config_loads_sample_file);
	tcase_add_test(tc, config_reads_every_key);
	tcase_add_test(tc, config_workers_auto_is_cpu_count);
	tcase_add_test(tc, config_empty_deny_list_denies_nothing);
	tcase_add_loop_test(tc, config_rejects_bad_input, 0,
	    sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, config_ignores_big_numbers_that_are_not_ints);
	tcase_add_test(tc, config_rejects_wrapped_integer_in_included_file);
	tcase_add_test(tc, config_names_duplicate_key_in_included_file);
	tcase_add_test(tc, config_reports_every_error_in_one_pass);
	tcase_add_test(tc, config_names_missing_file);
	tcase_add_test(tc, config_resolves_existing_accounts);
	tcase_add_test(tc, config_rejects_missing_user);
	tcase_add_test(tc, config_rejects_root_as_worker_user);
	tcase_add_test(tc, config_rejects_root_group);
	tcase_add_test(tc, config_reports_accounts_with_other_errors);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
