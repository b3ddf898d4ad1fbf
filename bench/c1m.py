# bench/c1m.py: the c1m scenario: echod holds up to a million idle TCP
# connections from echoprobe on this machine, each echoing before and
# after an idle hold; what opening them takes, what they cost in memory
# and CPU, how evenly the workers share them, and what stops it short.

import json
import os
import signal
import statistics
import subprocess
import tempfile
import time

from log import log
from procfs import descendants, meminfo, netstat, rss_kib, run_ns

# Below this much MemAvailable the run is stopped and everything killed:
# the machine is shared, and a million sockets take gigabytes of kernel
# memory at both ends.
MEM_FLOOR_KIB = 3 * 1024 * 1024
SAMPLE_S = 0.5
# The shortest stretch of idle samples that gives an idle CPU figure.
IDLE_MIN_S = 5.0
# Raised for the run, restored after. One listen queue takes every
# connect of 64 jobs with 256 connects in progress each. The ephemeral
# port range stays as it is: Linux gives connect() the ports of one
# parity first (bind() the other), about 14,000 with the default range,
# and once a source has used most of them every connect() from it scans
# them all (with 60 sources, opening crawled past 680,000 at 100
# connections a second). bench/run's 128 sources need 7,813 each.
SYSCTLS = {"net/core/somaxconn": "65535",
           "net/ipv4/tcp_max_syn_backlog": "65535"}

class Sysctls:
    """Set kernel parameters for a run and restore them afterwards;
    what was changed, for the report. Only root may; others run with
    what the machine has."""

    def __init__(self, want):
        self.want = want if os.geteuid() == 0 else {}
        self.saved = {}

    def __enter__(self):
        for k, v in self.want.items():
            path = os.path.join("/proc/sys", k)
            with open(path) as f:
                old = " ".join(f.read().split())
            if old == v or (" " not in v and int(old) >= int(v)):
                continue
            with open(path, "w") as f:
                f.write(str(v))
            self.saved[k] = old
        return self

    def __exit__(self, *exc):
        for k, old in self.saved.items():
            try:
                with open(os.path.join("/proc/sys", k), "w") as f:
                    f.write(old)
            except OSError as e:
                log("cannot restore %s to %s: %s" % (k, old, e))

    def changes(self):
        return {k.replace("/", "."): {"was": old, "set": self.want[k]}
                for k, old in self.saved.items()}


def kill_tree(pid):
    """SIGKILL pid and everything below it, leaves first."""
    for p in reversed(descendants(pid)):
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass


class C1m:
    def __init__(self, opts, echod, probe):
        self.o = opts
        self.echod = echod
        self.probe = probe

    def status(self, conf):
        """echod -s status --json: per-worker connections and counters."""
        r = subprocess.run([self.echod.binary, "-c", conf, "-s", "status",
                            "--json"], capture_output=True, text=True,
                           timeout=10)
        return json.loads(r.stdout) if r.returncode == 0 else None

    def sample(self, t0, inst, probe_pid, conf):
        st = self.status(conf)
        tcp = [w for w in (st or {}).get("workers", [])
               if w["kind"] == "tcp"]
        mi = meminfo()
        pids = inst.pids()
        return {"t": time.monotonic() - t0,
                "conns": st["connections"] if st else None,
                "per_worker": [w["connections"] for w in tcp],
                "echoed_bytes": (st or {}).get("counters", {}).get(
                    "tcp_bytes"),
                "cpu_ns": run_ns(pids), "rss_kib": rss_kib(pids),
                "client_rss_kib": rss_kib(descendants(probe_pid)),
                "slab_kib": mi["Slab"], "avail_kib": mi["MemAvailable"]}

    def run(self):
        o = self.o
        n, workers = o.c1m_conns, o.c1m_workers
        cfg = {"workers": workers, "max_connections": o.c1m_maxconn,
               "backlog": 65535, "lock": o.c1m_lock,
               "status_file": os.path.join(self.echod.tmp, "c1m.status")}
        log("c1m: %s connections, %d workers x max %d, %d jobs from %d "
            "sources, hold %g s" % ("{:,}".format(n), workers,
                                    o.c1m_maxconn, o.c1m_jobs,
                                    o.c1m_nsources, o.c1m_hold))
        with Sysctls({} if o.quick else SYSCTLS) as sc:
            res = self.hold(n, cfg)
            res["sysctls"] = sc.changes()
        res.update({"connections": n, "workers": workers,
                    "max_connections": o.c1m_maxconn, "jobs": o.c1m_jobs,
                    "lock": o.c1m_lock,
                    "sources": o.c1m_nsources, "hold_s": o.c1m_hold})
        return res

    def hold(self, n, cfg):
        o = self.o
        samples, aborted = [], None
        inst = self.echod.start(cfg)
        conf = self.echod.conf_path()
        err = tempfile.TemporaryFile(mode="w+")
        probe = None
        try:
            self.probe.check(inst)
            time.sleep(0.2 if o.quick else 1.0)	# let the workers settle
            pids = inst.pids()
            mi = meminfo()
            base = {"rss_kib": rss_kib(pids), "slab_kib": mi["Slab"],
                    "avail_kib": mi["MemAvailable"]}
            lo0 = netstat()
            cmd = self.probe.load_cmd(inst, [
                # A connect can wait seconds in a full accept queue, and
                # the echoes after the hold wait behind 128 busy
                # processes on 2 cores: with -W 30, 73 % timed out.
                "-W", "120", "--connections", str(n), "--hold",
                "%g" % o.c1m_hold, "--jobs", str(o.c1m_jobs),
                "--source", o.c1m_sources])
            t0 = time.monotonic()
            # In our session, as every other workload's client: with
            # autogroup scheduling (kernel.sched_autogroup_enabled), a
            # session of its own is a CPU group of its own, and each of
            # echoprobe's wake-ups of a worker across the two groups
            # preempts: 3.4 times the context switches, and opening took
            # 113 s instead of 60 to 70. A run stopped early kills the
            # jobs by walking the tree (kill_tree), not by session.
            probe = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                     stderr=err, text=True)
            deadline = t0 + o.c1m_hold + 600
            while probe.poll() is None:
                s = self.sample(t0, inst, probe.pid, conf)
                samples.append(s)
                if s["avail_kib"] < MEM_FLOOR_KIB:
                    aborted = ("MemAvailable fell to %d MiB at %s "
                               "connections" % (s["avail_kib"] // 1024,
                                                s["conns"]))
                elif time.monotonic() > deadline:
                    aborted = "not done in %d s" % (deadline - t0)
                if aborted:
                    log("c1m: stopping: " + aborted)
                    kill_tree(probe.pid)
                    kill_tree(inst.proc.pid)
                    break
                time.sleep(SAMPLE_S)
            out, _ = probe.communicate()
            wall = time.monotonic() - t0
            lo1 = netstat()
        finally:
            if probe is not None and probe.poll() is None:
                kill_tree(probe.pid)
                probe.wait()
            inst.stop()
        err.seek(0)
        j = next((json.loads(x) for x in out.splitlines()
                  if x.startswith("{")), {})
        hold = j.get("hold") or {}
        res = summarize(n, base, samples)
        res.update({
            "aborted": aborted, "wall_s": wall, "cmd": " ".join(cmd),
            "exit": probe.returncode, "client_error": j.get("error") or
            err.read().strip()[-400:] or None,
            "client_errors": {k: v for k, v in
                              (j.get("errors") or {}).items() if v},
            "connected": hold.get("connected", 0),
            "echoed_first": hold.get("echoed_first", 0),
            "echoed_both": hold.get("echoed_both", 0),
            "listen_overflows": (lo1.get("ListenOverflows", 0) -
                                 lo0.get("ListenOverflows", 0)),
            "listen_drops": (lo1.get("ListenDrops", 0) -
                             lo0.get("ListenDrops", 0))})
        return res


def idle_stretch(held):
    """The longest run of consecutive samples, all connections open,
    over which echod echoed nothing: (first, last) or None."""
    best, start = None, 0
    for i in range(1, len(held) + 1):
        if i == len(held) or held[i]["echoed_bytes"] != \
                held[start]["echoed_bytes"] or \
                held[i]["i"] != held[i - 1]["i"] + 1:
            if i - 1 > start and (best is None or held[i - 1]["t"] -
                                  held[start]["t"] > best[1]["t"] -
                                  best[0]["t"]):
                best = (held[start], held[i - 1])
            start = i
    return best


def summarize(n, base, samples):
    """The figures of one c1m run from its samples."""
    for i, s in enumerate(samples):
        s["i"] = i
    ok = [s for s in samples if s["conns"] is not None]
    peak = max((s["conns"] for s in ok), default=0)
    full = next((s for s in ok if s["conns"] >= n), None)
    # "All open": within 0.1 % of the most ever open, so that a few
    # connections retried after a timeout do not hide the plateau.
    held = [s for s in ok if s["conns"] >= peak * 0.999 and peak > 0]
    res = {"held_max": peak, "open_s": full["t"] if full else None,
           "base": base, "avail_min_kib": min(
               (s["avail_kib"] for s in samples), default=None)}
    if held:
        rss = statistics.median(s["rss_kib"] for s in held)
        slab = statistics.median(s["slab_kib"] for s in held)
        crss = statistics.median(s["client_rss_kib"] for s in held)
        pw = held[len(held) // 2]["per_worker"]
        res.update({
            "user_b_per_conn": (rss - base["rss_kib"]) * 1024 / peak,
            "kernel_b_per_conn": (slab - base["slab_kib"]) * 1024 / peak,
            "client_b_per_conn": crss * 1024 / peak,
            "rss_held_kib": rss, "slab_held_kib": slab,
            "per_worker": pw,
            "worker_max": max(pw, default=0),
            "worker_min": min(pw, default=0),
            "worker_balance": (max(pw) / min(pw) if pw and min(pw) > 0
                               else None)})
    idle = idle_stretch(held)
    if idle and idle[1]["t"] - idle[0]["t"] >= IDLE_MIN_S:
        dt = idle[1]["t"] - idle[0]["t"]
        res["idle_s"] = dt
        res["idle_cpu_pct"] = ((idle[1]["cpu_ns"] - idle[0]["cpu_ns"]) /
                               1e9 / dt * 100)
    # Memory against connections held, while they were being opened.
    res["timeline"] = [
        {"t": round(s["t"], 2), "conns": s["conns"],
         "user_b": round((s["rss_kib"] - base["rss_kib"]) * 1024 /
                         s["conns"], 1),
         "kernel_b": round((s["slab_kib"] - base["slab_kib"]) * 1024 /
                           s["conns"], 1),
         "cpu_s": round(s["cpu_ns"] / 1e9, 3),
         "avail_mib": s["avail_kib"] // 1024}
        for s in ok if s["conns"] >= max(100, n // 100)]
    return res
