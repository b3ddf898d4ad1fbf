# bench/probe.py: the client, echoprobe: readiness checks, one load run
# with the CPU it cost on each side, and the figures read from its JSON.

import json
import resource
import subprocess
import time

from procfs import busy_seconds, cpu_seconds


class Probe:
    """echoprobe: readiness checks and load."""

    def __init__(self, binary):
        self.binary = binary

    def prefix(self, inst):
        return ["ip", "netns", "exec", inst.netns] if inst.netns else []

    def check(self, inst, udp=False, deadline_s=5.0):
        """Three echoes answered: the server is up and really echoes."""
        port = inst.udp_port if udp else inst.tcp_port
        cmd = self.prefix(inst) + [self.binary, "-q", "-c", "3", "-i",
                                   "0.01", "-W", "1"] + \
            (["-u"] if udp else []) + ["127.0.0.1", str(port)]
        end = time.monotonic() + deadline_s
        while True:
            r = subprocess.run(cmd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
            if r.returncode == 0:
                return
            if time.monotonic() > end:
                raise RuntimeError("%s echo check failed: %s" % (
                    "udp" if udp else "tcp", r.stderr.strip()))
            time.sleep(0.05)

    def load_cmd(self, inst, args, udp=False):
        """The echoprobe --load --json command line for args."""
        port = inst.udp_port if udp else inst.tcp_port
        return self.prefix(inst) + [self.binary, "--load", "--json"] + \
            args + ["127.0.0.1", str(port)]

    def load(self, inst, args, udp=False, timeout=None):
        """Run echoprobe --load; its JSON, plus wall and CPU time."""
        cmd = self.load_cmd(inst, args, udp)
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        busy0 = busy_seconds()
        cpu0 = cpu_seconds(inst.pids())
        t0 = time.monotonic()
        r = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=timeout)
        wall = time.monotonic() - t0
        cpu1 = cpu_seconds(inst.pids())
        busy1 = busy_seconds()
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = None
        for line in r.stdout.splitlines():
            if line.startswith("{"):
                try:
                    out = json.loads(line)
                except ValueError:
                    pass
        if out is None:
            raise RuntimeError("echoprobe exit %d, no JSON: %s" % (
                r.returncode, (r.stderr or r.stdout).strip()[-400:]))
        out["_cmd"] = " ".join(cmd)
        out["_exit"] = r.returncode
        out["_wall_s"] = wall
        out["_client_cpu"] = (ru1.ru_utime + ru1.ru_stime - ru0.ru_utime -
                              ru0.ru_stime) / wall
        out["_server_cpu_s"] = cpu1 - cpu0
        out["_server_cpu"] = (cpu1 - cpu0) / wall
        # Whatever else ran meanwhile (other builds, tests): a measurement
        # taken on a busy machine says so in the table.
        out["_other_cpu"] = max(0.0, (busy1 - busy0) / wall -
                                out["_server_cpu"] - out["_client_cpu"])
        return out


def figures(j):
    """What the bench reads from one echoprobe --load --json object."""
    err = j.get("errors") or {}
    lat = j.get("latency_ms") or {}
    hold = j.get("hold") or {}

    def us(k):
        return lat[k] * 1000 if lat.get(k) is not None else None
    return {
        "rate": j.get("requests_per_s") or 0.0,
        "requests": j.get("requests") or 0,
        "bytes_received": j.get("bytes_received") or 0,
        "mb_per_s": j.get("mb_per_s_received") or 0.0,
        # UDP: a datagram unanswered within -W counts as a timeout.
        "lost": err.get("timeout", 0),
        "errors": sum(v for v in err.values() if isinstance(v, int)),
        "error_kinds": {k: v for k, v in err.items() if v},
        "p50_us": us("p50"),
        "p99_us": us("p99"),
        "held": hold.get("connected", 0),
        "echoed_both": hold.get("echoed_both", 0),
    }
