/* counters.c: the counters echod keeps, their names and their meaning. */

#include <stddef.h>

#include "counters.h"

/*
 * Counters that split one quantity by reason share a metric and differ
 * by label, as Prometheus wants: echod_tcp_closed_total{reason="idle"}.
 */
const struct stat_info stat_info[STAT_N] = {
	[STAT_TCP_ACCEPTED] = { "tcp_accepted", "tcp_connections_accepted_total",
	    NULL, "TCP connections accepted" },
	[STAT_TCP_CLOSED_CLIENT] = { "tcp_closed_client",
	    "tcp_connections_closed_total", "reason=\"client\"",
	    "TCP connections closed, by reason" },
	[STAT_TCP_CLOSED_ERROR] = { "tcp_closed_error",
	    "tcp_connections_closed_total", "reason=\"error\"",
	    "TCP connections closed, by reason" },
	[STAT_TCP_CLOSED_IDLE] = { "tcp_closed_idle",
	    "tcp_connections_closed_total", "reason=\"idle\"",
	    "TCP connections closed, by reason" },
	[STAT_TCP_CLOSED_SHUTDOWN] = { "tcp_closed_shutdown",
	    "tcp_connections_closed_total", "reason=\"shutdown\"",
	    "TCP connections closed, by reason" },
	[STAT_TCP_REFUSED_LIMIT] = { "tcp_refused_limit",
	    "tcp_connections_refused_total", "reason=\"limit\"",
	    "TCP connections closed at accept, by reason" },
	[STAT_TCP_REFUSED_RATE] = { "tcp_refused_rate",
	    "tcp_connections_refused_total", "reason=\"rate\"",
	    "TCP connections closed at accept, by reason" },
	[STAT_TCP_REFUSED_ACCESS] = { "tcp_refused_access",
	    "tcp_connections_refused_total", "reason=\"access\"",
	    "TCP connections closed at accept, by reason" },
	[STAT_TCP_REFUSED_PROXY] = { "tcp_refused_proxy",
	    "tcp_connections_refused_total", "reason=\"proxy\"",
	    "TCP connections closed at accept, by reason" },
	[STAT_TCP_BYTES] = { "tcp_bytes", "tcp_echoed_bytes_total", NULL,
	    "Bytes echoed on TCP connections" },
	[STAT_UDP_ECHOED] = { "udp_echoed", "udp_datagrams_echoed_total",
	    NULL, "UDP datagrams echoed" },
	[STAT_UDP_BYTES] = { "udp_bytes", "udp_echoed_bytes_total", NULL,
	    "Bytes echoed in UDP datagrams" },
	[STAT_UDP_DROPPED_PORT] = { "udp_dropped_port",
	    "udp_datagrams_dropped_total", "reason=\"source_port\"",
	    "UDP datagrams not answered, by reason" },
	[STAT_UDP_DROPPED_SOURCE] = { "udp_dropped_source",
	    "udp_datagrams_dropped_total", "reason=\"source_address\"",
	    "UDP datagrams not answered, by reason" },
	[STAT_UDP_DROPPED_DEST] = { "udp_dropped_destination",
	    "udp_datagrams_dropped_total", "reason=\"destination\"",
	    "UDP datagrams not answered, by reason" },
	[STAT_UDP_DROPPED_RATE] = { "udp_dropped_rate",
	    "udp_datagrams_dropped_total", "reason=\"rate\"",
	    "UDP datagrams not answered, by reason" },
	[STAT_UDP_DROPPED_ACCESS] = { "udp_dropped_access",
	    "udp_datagrams_dropped_total", "reason=\"access\"",
	    "UDP datagrams not answered, by reason" },
};

const struct stat_info mstat_info[MSTAT_N] = {
	[MSTAT_RELOADS] = { "reloads", "reloads_total", "result=\"ok\"",
	    "Reloads (SIGHUP), by result" },
	[MSTAT_RELOAD_FAILURES] = { "reload_failures", "reloads_total",
	    "result=\"failed\"", "Reloads (SIGHUP), by result" },
	[MSTAT_RESPAWNS] = { "respawns", "worker_respawns_total", NULL,
	    "Workers started again after an unexpected exit" },
	[MSTAT_HUNG] = { "hung_workers", "worker_hung_total", NULL,
	    "Workers killed for staying longer than worker_timeout in one "
	    "loop turn" },
};
