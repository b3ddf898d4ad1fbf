/* probe.h: the bytes of one probe: header (magic, run, seq, time), pattern. */
#ifndef ECHOPROBE_PROBE_H
#define ECHOPROBE_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROBE_HDR_LEN	24

struct probe_hdr {
	uint32_t	 run_id;
	uint64_t	 seq;
	uint64_t	 sent_ns;
};

/*
 * The payload after the header depends on seq and position, so a reply
 * carrying another probe's bytes, or shifted ones, never verifies.
 */
/* Writes only the PROBE_HDR_LEN header bytes. */
void	 probe_header(unsigned char *, const struct probe_hdr *);
void	 probe_fill(unsigned char *, size_t, const struct probe_hdr *);
/* Whether the first PROBE_HDR_LEN bytes are one of this run's headers. */
bool	 probe_parse(const unsigned char *, size_t, uint32_t,
	    struct probe_hdr *);
/* The offset of the first byte that differs from the probe, or -1. */
long	 probe_diff(const unsigned char *, size_t, const struct probe_hdr *);

#endif
