# bench/measure.py: what the bench measures and how: the workloads, the
# concurrency hold, the accept-lock sweep; servers interleaved over
# repetitions, each figure summarized as median, min and max.

import contextlib
import re
import statistics
import threading
import time

from log import log
from probe import figures
from procfs import NCPU, nfds, rss_kib, wait_quiet

# name, what it measures, echoprobe options, unit, and the unit of the
# server's CPU time per echo (a message, a connection, a datagram; for
# bulk streams a megabyte echoed). "guard": echod-guarded runs it too, as
# it exercises the abuse guards (they act per connection and per
# datagram). Payloads are 64 bytes unless said otherwise; every
# connection is persistent unless --connect-each.
WORKLOADS = [
    {"name": "tcp-rr-1", "title": "TCP request/response, 64 B, "
     "1 connection", "unit": "messages/s", "cpu_unit": "message",
     "args": ["--connections", "1", "--size", "64"]},
    {"name": "tcp-rr-50", "title": "TCP request/response, 64 B, "
     "50 connections", "unit": "messages/s", "cpu_unit": "message",
     "args": ["--connections", "50", "--size", "64"]},
    {"name": "tcp-crr", "title": "TCP connect, echo 64 B, close; "
     "16 in parallel", "unit": "connections/s", "cpu_unit": "connection",
     "guard": True, "args": None},
    {"name": "tcp-stream", "title": "TCP bulk both ways, 4 connections, "
     "64 KiB x 4 in flight each", "unit": "MB/s", "cpu_unit": "MB",
     "args": ["--connections", "4", "--size", "65536", "--pipeline", "4"]},
    {"name": "udp-rr", "title": "UDP 64 B datagrams, 16 in flight",
     "unit": "datagrams/s", "cpu_unit": "datagram", "udp": True,
     "guard": True,
     "args": ["-u", "--connections", "1", "--window", "16", "--size",
              "64"]},
]
LOCKS = ["mutex", "fcntl", "none"]
LOCK_WORKERS = [1, 2, 4, 8]
# From one source address, connect-each load stalls at the ephemeral port
# range (28,232 ports) over the time a port waits before reuse: 14,200
# connections/s here, for every server alike. Four sources lift that cap;
# two jobs, because one echoprobe process saturates a core before any
# server does.
CRR_ARGS = ["--connections", "16", "--connect-each", "--size", "64",
            "--jobs", "2", "--source",
            "127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4"]
WORKLOADS[2]["args"] = CRR_ARGS


def summarize(values):
    if not values:
        return {"median": None, "min": None, "max": None, "n": 0}
    return {"median": statistics.median(values), "min": min(values),
            "max": max(values), "n": len(values)}


def median_of(samples, key):
    v = [s[key] for s in samples if s.get(key) is not None]
    return statistics.median(v) if v else None


def ratio(a, b):
    return a / b if a and b else None


def summarize_values(r):
    """r's samples that have a figure, summarized into r; those samples."""
    ok = [x for x in r["samples"] if x.get("value")]
    r.update(summarize([x["value"] for x in ok]))
    return ok


def attempt(samples, what, rep, measure):
    """One repetition: measure()'s sample, or the error that stopped it
    (logged), so that one failed run does not end the bench."""
    try:
        samples.append(measure())
    except Exception as e:
        log("%s rep %d: %s" % (what, rep, e))
        samples.append({"error": str(e)})


class Bench:
    def __init__(self, opts, echod, ref, probe, servers):
        self.o = opts
        self.echod = echod
        self.ref = ref
        self.probe = probe
        self.servers = servers
        self.running = []
        self.idle_before = []

    def settle(self):
        """Full runs wait (up to 20 s) for the machine to be idle before
        each measurement; quick runs share it with the test suite."""
        if not self.o.quick:
            self.idle_before.append(wait_quiet(0.15, 20))

    @contextlib.contextmanager
    def started(self, server, cfg):
        """server, started once the machine settled; stopped on leaving,
        whatever happened, and listed in self.running meanwhile."""
        self.settle()
        inst = server.start(cfg)
        self.running.append(inst)
        try:
            yield inst
        finally:
            inst.stop()
            self.running.remove(inst)

    def measure(self, server, cfg, args, udp=False):
        """Start server, check it echoes, run one load, stop it."""
        with self.started(server, cfg) as inst:
            self.probe.check(inst, udp)
            j = self.probe.load(inst, args, udp,
                                timeout=self.o.duration * 4 + 60)
        return j, inst.log

    def sample(self, j, w):
        f = figures(j)
        s = {"value": f["rate"], "p50_us": f["p50_us"],
             "p99_us": f["p99_us"], "exit": j["_exit"],
             "errors": f["errors"], "error_kinds": f["error_kinds"],
             "server_cpu": j["_server_cpu"], "client_cpu": j["_client_cpu"],
             "other_cpu": j["_other_cpu"]}
        # Server CPU per echo: its processes' CPU time over the whole
        # echoprobe run (connects included) by what was echoed in it.
        echoed = f["requests"]
        if w["unit"] == "MB/s":
            s["value"] = f["mb_per_s"]	# echoed back; as much was sent
            echoed = f["bytes_received"] / 1e6
        s["cpu_us"] = (j["_server_cpu_s"] * 1e6 / echoed if echoed
                       else None)
        if w.get("udp"):
            sent = (f["requests"] or 0) + (f["lost"] or 0)
            s["loss_pct"] = 100.0 * (f["lost"] or 0) / sent if sent else None
        return s

    def run_workload_one(self, w, s, r, args):
        """One measurement of workload w on server s: its sample; r, the
        server's results, keeps the load command."""
        j, _ = self.measure(s, {}, args, w.get("udp", False))
        sample = self.sample(j, w)
        r["cmd"] = j["_cmd"]
        return sample

    def run_workloads(self):
        out = []
        dur = ["--duration", "%g" % self.o.duration]
        for w in WORKLOADS:
            if self.o.only and w["name"] not in self.o.only:
                continue
            srv = [s for s in self.servers if (s.udp or not w.get("udp"))
                   and (s.tcp or w.get("udp"))
                   and (w.get("guard") or not s.guarded)]
            res = {s.name: {"samples": []} for s in srv}
            log("%s: %d reps x %s" % (w["name"], self.o.reps,
                                      " ".join(s.name for s in srv)))
            for rep in range(self.o.reps):
                for s in srv:	# interleaved: A B C A B C ...
                    r = res[s.name]
                    attempt(r["samples"], "%s %s" % (w["name"], s.name), rep,
                            lambda: self.run_workload_one(
                                w, s, r, w["args"] + dur))
            for name, r in res.items():
                ok = summarize_values(r)
                for k in ("p50_us", "p99_us", "loss_pct", "server_cpu",
                          "client_cpu", "other_cpu", "cpu_us"):
                    r[k] = median_of(ok, k)
            for r in res.values():
                for base in ("ref", "echod"):
                    b = res.get(base, {})
                    r["ratio_" + base] = ratio(r.get("median"),
                                               b.get("median"))
                    r["cpu_ratio_" + base] = ratio(r.get("cpu_us"),
                                                   b.get("cpu_us"))
            out.append(dict(w, results=res))
        return out

    def run_hold_one(self, server, cfg):
        o = self.o
        samples, stop = [], threading.Event()
        with self.started(server, cfg) as inst:
            try:
                self.probe.check(inst)
                time.sleep(0.3)
                pids = inst.pids()
                rss0, fd0 = rss_kib(pids), nfds(pids)

                def sampler():
                    while not stop.wait(0.5):
                        p = inst.pids()
                        samples.append((nfds(p) - fd0, rss_kib(p)))
                t = threading.Thread(target=sampler, daemon=True)
                t.start()
                # -W 10: the closing echo of 12,500 connections per job at
                # once can outlast echoprobe's default 2 s on a shared
                # machine.
                j = self.probe.load(inst, [
                    "-W", "10", "--connections", str(o.hold_conns),
                    "--hold", "%g" % o.hold, "--jobs", str(o.hold_jobs),
                    "--source", ",".join(o.hold_sources)],
                    timeout=o.hold * 3 + 120)
                stop.set()
                t.join()
            finally:
                stop.set()
        f = figures(j)
        held_max = max((s[0] for s in samples), default=0)
        # RSS "while holding": samples taken while (nearly) every connection
        # was open on the server, not during set-up or tear-down.
        held = [s[1] for s in samples if s[0] >= 0.99 * o.hold_conns]
        rss_held = statistics.median(held) if held else None
        per_conn = ((rss_held - rss0) * 1024 / o.hold_conns
                    if rss_held is not None else None)
        return {"rss_before_kib": rss0, "rss_held_kib": rss_held,
                "bytes_per_conn": per_conn, "held_max": held_max,
                "exit": j["_exit"], "errors": f["errors"],
                "error_kinds": f["error_kinds"], "client_held": f["held"],
                "echoed_both": f["echoed_both"],
                "server_cpu": j["_server_cpu"],
                "client_cpu": j["_client_cpu"], "cmd": j["_cmd"]}

    def run_hold(self):
        o = self.o
        # The inetds and socat fork a process per connection: 50,000 of them
        # measure the process table, not the server. echod and ref only.
        cfgs = {"echod": {"workers": max(4, NCPU),
                          "max_connections": o.hold_maxconn},
                "ref": {"workers": max(4, NCPU)}}
        srv = [s for s in (self.echod, self.ref) if s is not None]
        res = {s.name: {"samples": []} for s in srv}
        log("concurrency: %d connections held %gs, %d reps" % (
            o.hold_conns, o.hold, o.sweep_reps))
        for rep in range(o.sweep_reps):
            for s in srv:
                attempt(res[s.name]["samples"], "concurrency %s" % s.name,
                        rep, lambda: self.run_hold_one(s, cfgs[s.name]))
        for r in res.values():
            # A sample counts only if every connection echoed at both ends.
            ok = [x for x in r["samples"] if x.get("bytes_per_conn")
                  is not None and x["held_max"] >= 0.99 * o.hold_conns and
                  x["echoed_both"] == o.hold_conns]
            r.update(summarize([x["bytes_per_conn"] for x in ok]))
            r["rss_held_kib"] = median_of(ok, "rss_held_kib")
            r["rss_before_kib"] = median_of(ok, "rss_before_kib")
            r["held_max"] = max((x.get("held_max", 0) for x in r["samples"]),
                                default=0)
            r["echoed_both"] = min((x.get("echoed_both", 0)
                                    for x in r["samples"]), default=0)
            r["complete_runs"] = len(ok)
            r["cmd"] = next((x["cmd"] for x in r["samples"] if "cmd" in x),
                            None)
        return {"connections": o.hold_conns, "hold_s": o.hold,
                "config": cfgs, "results": res}

    def run_lock_one(self, workers, lock, args):
        """One tcp-crr run of echod with workers and lock: its rate and how
        evenly the workers accepted, from their exit lines."""
        pat = re.compile(r"tcp worker (\d+)\b.*?: exiting "
                         r".*accepted (\d+) conn")
        j, logs = self.measure(self.echod, {
            "workers": workers, "lock": lock, "level": "info"}, args)
        counts = [int(m.group(2)) for m in map(pat.search, logs) if m]
        bal = (max(counts) / min(counts) if len(counts) == workers and
               min(counts) > 0 else None)
        return {"value": figures(j)["rate"], "accepted": counts,
                "balance": bal, "server_cpu": j["_server_cpu"],
                "client_cpu": j["_client_cpu"], "exit": j["_exit"]}

    def run_locks(self):
        o = self.o
        dur = ["--duration", "%g" % o.duration]
        combos = [(w, lk) for w in LOCK_WORKERS for lk in LOCKS]
        res = {"%d/%s" % c: {"workers": c[0], "lock": c[1], "samples": []}
               for c in combos}
        log("accept-lock: %d configurations x %d reps" % (len(combos),
                                                          o.sweep_reps))
        for rep in range(o.sweep_reps):
            for w, lk in combos:
                attempt(res["%d/%s" % (w, lk)]["samples"],
                        "accept-lock %d/%s" % (w, lk), rep,
                        lambda: self.run_lock_one(w, lk, CRR_ARGS + dur))
        for r in res.values():
            ok = summarize_values(r)
            bal = [x["balance"] for x in ok if x.get("balance") is not None]
            r["balance"] = summarize(bal)
        return {"workers": LOCK_WORKERS, "locks": LOCKS, "results": res}
