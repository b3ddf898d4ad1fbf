# bench/plot.py: the plots of a run, as SVG files beside results.md: one
# per workload (throughput and server CPU per echo), concurrency,
# accept-lock, and for c1m the connections per worker and the memory per
# connection against connections held. svg.py draws them.

import os

from svg import COLOURS, Figure


def bars(p, results, key="median", fmt="%.0f"):
    """A bar per (name, result) at result[key], whiskers min-max when the
    result has them."""
    for i, (n, x) in enumerate(results):
        v = x.get(key)
        if v is None:
            continue
        lo, hi = (x.get("min"), x.get("max")) if key == "median" else \
            (None, None)
        p.bar(i, v, lo, hi, COLOURS[i % len(COLOURS)], text=fmt % v)


def workload_plot(r, w, outdir):
    """Throughput (median, min-max) and server CPU per echo, by server."""
    res = [(n, w["results"][n]) for n in r["server_order"]
           if n in w["results"] and w["results"][n].get("median")]
    if not res:
        return None
    f = Figure(900, 420, "%s: %s" % (w["name"], w["title"]))
    top = max(x["max"] or x["median"] for _, x in res)
    p = f.panel(90, 50, 340, 320, "%s (median, min-max)" % w["unit"], top)
    p.categories([n for n, _ in res])
    bars(p, res)
    cpu = max((x.get("cpu_us") or 0) for _, x in res)
    q = f.panel(540, 50, 340, 320, "server CPU us per %s (median)" %
                w["cpu_unit"], cpu or 1)
    q.categories([n for n, _ in res])
    bars(q, res, "cpu_us", "%.3g")
    path = os.path.join(outdir, w["name"] + ".svg")
    f.write(path)
    return path


def concurrency_plot(c, outdir):
    res = [(n, x) for n, x in c["results"].items()
           if x.get("median") is not None]
    if not res:
        return None
    f = Figure(600, 420, "%s connections held %g s (median, min-max)" % (
        "{:,}".format(c["connections"]), c["hold_s"]))
    top = max(x["max"] for _, x in res)
    p = f.panel(100, 50, 460, 320, "bytes of user-space RSS per idle "
                "connection", max(top, 2048), logy=True, ymin=10)
    p.categories([n for n, _ in res])
    bars(p, res, fmt="%.0f B")
    p.hline(1024, "red", "1 KiB")
    path = os.path.join(outdir, "concurrency.svg")
    f.write(path)
    return path


def accept_lock_plot(a, outdir):
    """Two panels by worker count, a bar per lock: connections/s, then
    the accept balance against its 1.5 target."""
    f = Figure(900, 700, "echod tcp-crr by accept_lock (median, min-max)")
    names = ["%d workers" % wk for wk in a["workers"]]
    res = a["results"]
    top = max((x["max"] or 0) for x in res.values()) or 1
    p = f.panel(90, 50, 780, 270, "connections/s", top)
    p.categories(names)
    btop = max((x["balance"]["max"] or 0) for x in res.values()) or 2
    q = f.panel(90, 380, 780, 270, "accepted max/min", max(btop, 2),
                logy=True, ymin=1)
    q.categories(names)
    for j, lk in enumerate(a["locks"]):
        off = (j - 1) * 0.27
        for i, wk in enumerate(a["workers"]):
            x = res["%d/%s" % (wk, lk)]
            if x["median"] is not None:
                p.bar(i, x["median"], x["min"], x["max"], COLOURS[j],
                      0.25, off)
            b = x["balance"]
            if b["median"] is not None:
                q.bar(i, b["median"], b["min"], b["max"], COLOURS[j], 0.25,
                      off)
        f.legend(lk, COLOURS[j])
    q.hline(1.5, "red", "target 1.5")
    path = os.path.join(outdir, "accept-lock.svg")
    f.write(path)
    return path


def c1m_workers_plot(c, outdir):
    pw = c.get("per_worker")
    if not pw:
        return None
    f = Figure(900, 420, "c1m: connections per tcp worker, %s held" %
               "{:,}".format(c["held_max"]))
    p = f.panel(90, 50, 780, 320, "connections", max(pw))
    p.categories([str(i + 1) for i in range(len(pw))],
                 max(1, len(pw) // 16))
    for i, v in enumerate(pw):
        p.bar(i, v, width=0.8)
    p.hline(min(pw), "black", "min %s" % "{:,}".format(min(pw)))
    p.hline(c["max_connections"], "red", "tcp.max_connections %s" %
            "{:,}".format(c["max_connections"]))
    path = os.path.join(outdir, "c1m-workers.svg")
    f.write(path)
    return path


def c1m_memory_plot(c, outdir):
    """Memory per connection as connections were opened: echod's user
    space, and the kernel's Slab (both ends)."""
    tl = c.get("timeline")
    if not tl:
        return None
    f = Figure(900, 700, "c1m: memory per connection against connections "
               "held")
    xhi = max(s["conns"] for s in tl)
    p = f.panel(90, 50, 780, 250, "echod user-space bytes per connection",
                max(max(s["user_b"] for s in tl), 100))
    p.xaxis(0, xhi, "")
    p.line([(s["conns"], s["user_b"]) for s in tl], COLOURS[0],
           "echod RSS (master + workers) - idle, per connection")
    p.hline(100, "red", "target 100 B")
    q = f.panel(90, 380, 780, 250, "kernel bytes per connection (Slab)",
                max(s["kernel_b"] for s in tl))
    q.xaxis(0, xhi, "connections held")
    q.line([(s["conns"], s["kernel_b"]) for s in tl], COLOURS[1],
           "Slab - idle, per connection (echod's and echoprobe's sockets)")
    path = os.path.join(outdir, "c1m-memory.svg")
    f.write(path)
    return path


def plot_all(r, outdir):
    """Every plot of run r into outdir; the files written."""
    out = [workload_plot(r, w, outdir) for w in r["workloads"]]
    if r.get("concurrency"):
        out.append(concurrency_plot(r["concurrency"], outdir))
    if r.get("accept_lock"):
        out.append(accept_lock_plot(r["accept_lock"], outdir))
    if r.get("c1m") and not r["c1m"].get("error"):
        out.append(c1m_workers_plot(r["c1m"], outdir))
        out.append(c1m_memory_plot(r["c1m"], outdir))
    return [os.path.basename(p) for p in out if p]
