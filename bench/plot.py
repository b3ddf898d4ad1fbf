# bench/plot.py: the PNG plots of a run, one per workload plus concurrency
# and accept-lock, drawn by gnuplot from data files in a scratch directory.

import os
import shutil
import subprocess
import tempfile

from log import log

HEAD = ('set terminal pngcairo size 800,450 font ",10" noenhanced\n'
        "set style fill solid 0.6 border -1\nset grid ytics\n"
        "set yrange [0:*]\nset xtics nomirror\n")


def gp_quote(s):
    return '"%s"' % s.replace('"', "'")


def write_bars(dat, results):
    """One line per server with a figure: name, median, min, max."""
    with open(dat, "w") as f:
        for n, x in results:
            if x and x["median"] is not None:
                f.write("%s %g %g %g\n" % (gp_quote(n), x["median"],
                                           x["min"], x["max"]))


def bars_script(png, title, settings, dat, colour, label, extra=""):
    """A bar per server at its median, min-max error bars, the median
    written above each bar with the printf format label."""
    return HEAD + (
        "set output %s\nset title %s\n%s"
        "plot %s using 0:2:xtic(1) with boxes lc rgb '%s', "
        "'' using 0:2:3:4 with yerrorbars lc rgb 'black' pt 0 lw 1.5,"
        " '' using 0:2:(sprintf('%s', $2)) with labels offset "
        "0,1.2%s\n" % (gp_quote(png), gp_quote(title), settings,
                       gp_quote(dat), colour, label, extra))


def workload_script(r, w, tmp, outdir):
    dat = os.path.join(tmp, w["name"] + ".dat")
    write_bars(dat, ((n, w["results"].get(n)) for n in r["server_order"]))
    return bars_script(
        os.path.join(outdir, w["name"] + ".png"),
        "%s: %s (median, min-max)" % (w["name"], w["title"]),
        "set ylabel %s\nunset key\nset boxwidth 0.6\n" % gp_quote(w["unit"]),
        dat, "#4477aa", "%.0f")


def concurrency_script(c, tmp, outdir):
    dat = os.path.join(tmp, "concurrency.dat")
    write_bars(dat, c["results"].items())
    return bars_script(
        os.path.join(outdir, "concurrency.png"),
        "%s connections held %g s (median, min-max)" % (
            "{:,}".format(c["connections"]), c["hold_s"]),
        "set ylabel 'bytes of user-space RSS per idle connection'\n"
        "unset key\nset boxwidth 0.5\nset logscale y\nset yrange [10:*]\n",
        dat, "#228833", "%.0f B",
        ", 1024 with lines dt 2 lc rgb 'red' title '1 KiB'")


def accept_lock_script(a, tmp, outdir):
    """Two panels by worker count, a bar per lock: connections/s, then
    the accept balance against its 1.5 target."""
    dat = os.path.join(tmp, "accept-lock.dat")
    with open(dat, "w") as f:
        for i, wk in enumerate(a["workers"]):
            row = [str(i), str(wk)]
            for lk in a["locks"]:
                x = a["results"]["%d/%s" % (wk, lk)]
                b = x["balance"]
                row += ["%g" % (x[k] if x[k] is not None else 0)
                        for k in ("median", "min", "max")]
                row += ["%g" % (b[k] if b[k] is not None else 0)
                        for k in ("median", "min", "max")]
            f.write(" ".join(row) + "\n")
    bars, bals = [], []
    for j, lk in enumerate(a["locks"]):
        off = (j - 1) * 0.27
        col = 3 + j * 6
        bars.append("%s using ($1+%g):%d:%d:%d:(0.25) with "
                    "boxerrorbars title '%s'" % (
                        gp_quote(dat), off, col, col + 1, col + 2, lk))
        bals.append("%s using ($1+%g):%d:%d:%d:(0.25) with "
                    "boxerrorbars title '%s'" % (
                        gp_quote(dat), off, col + 3, col + 4, col + 5, lk))
    return (
        'set terminal pngcairo size 900,700 font ",10" noenhanced\n'
        "set output %s\nset multiplot layout 2,1 title %s\n"
        "set style fill solid 0.6 border -1\nset grid ytics\n"
        "set boxwidth 0.25\nset xrange [-0.6:%g]\n"
        "set xtics (%s)\nset xlabel 'tcp workers'\n"
        "set key top left\nset yrange [0:*]\n"
        "set ylabel 'connections/s'\nplot %s\n"
        "set ylabel 'accepted max/min'\nset logscale y\n"
        "set yrange [0.9:*]\n"
        "plot %s, 1.5 with lines dt 2 lc rgb 'red' title 'target "
        "1.5'\nunset multiplot\n" % (
            gp_quote(os.path.join(outdir, "accept-lock.png")),
            gp_quote("echod tcp-crr by accept_lock (median, min-max)"),
            len(a["workers"]) - 0.4,
            ", ".join("'%d' %d" % (wk, i)
                      for i, wk in enumerate(a["workers"])),
            ", ".join(bars), ", ".join(bals)))


def plot_all(r, outdir):
    """One PNG per workload; gnuplot reads data files from a scratch dir."""
    gp = shutil.which("gnuplot")
    if gp is None:
        log("gnuplot not found: no plots (apt-get install gnuplot-nox)")
        return []
    tmp = tempfile.mkdtemp(prefix="echod-bench-plot.")
    try:
        scripts = [workload_script(r, w, tmp, outdir)
                   for w in r["workloads"]]
        if r.get("concurrency"):
            scripts.append(concurrency_script(r["concurrency"], tmp, outdir))
        if r.get("accept_lock"):
            scripts.append(accept_lock_script(r["accept_lock"], tmp, outdir))
        for s in scripts:
            p = subprocess.run([gp], input=s, text=True,
                               capture_output=True)
            if p.returncode != 0:
                log("gnuplot: %s" % p.stderr.strip())
        return [f for f in sorted(os.listdir(outdir)) if f.endswith(".png")]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
