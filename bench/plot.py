# bench/plot.py: the PNG plots of a run, one per workload plus concurrency
# and accept-lock, drawn by gnuplot from data files in a scratch directory.

import os
import shutil
import subprocess
import tempfile

from log import log


def gp_quote(s):
    return '"%s"' % s.replace('"', "'")


def plot_all(r, outdir):
    """One PNG per workload; gnuplot reads data files from a scratch dir."""
    gp = shutil.which("gnuplot")
    if gp is None:
        log("gnuplot not found: no plots (apt-get install gnuplot-nox)")
        return []
    tmp = tempfile.mkdtemp(prefix="echod-bench-plot.")
    scripts = []
    head = ('set terminal pngcairo size 800,450 font ",10" noenhanced\n'
            "set style fill solid 0.6 border -1\nset grid ytics\n"
            "set yrange [0:*]\nset xtics nomirror\n")
    try:
        for w in r["workloads"]:
            dat = os.path.join(tmp, w["name"] + ".dat")
            with open(dat, "w") as f:
                for n in r["server_order"]:
                    x = w["results"].get(n)
                    if x and x["median"] is not None:
                        f.write("%s %g %g %g\n" % (gp_quote(n), x["median"],
                                                   x["min"], x["max"]))
            scripts.append(head + (
                "set output %s\nset title %s\nset ylabel %s\nunset key\n"
                "set boxwidth 0.6\n"
                "plot %s using 0:2:xtic(1) with boxes lc rgb '#4477aa', "
                "'' using 0:2:3:4 with yerrorbars lc rgb 'black' pt 0 lw 1.5,"
                " '' using 0:2:(sprintf('%%.0f', $2)) with labels offset "
                "0,1.2\n" % (
                    gp_quote(os.path.join(outdir, w["name"] + ".png")),
                    gp_quote("%s: %s (median, min-max)" % (w["name"],
                                                           w["title"])),
                    gp_quote(w["unit"]), gp_quote(dat))))
        c = r.get("concurrency")
        if c:
            dat = os.path.join(tmp, "concurrency.dat")
            with open(dat, "w") as f:
                for n, x in c["results"].items():
                    if x["median"] is not None:
                        f.write("%s %g %g %g\n" % (gp_quote(n), x["median"],
                                                   x["min"], x["max"]))
            scripts.append(head + (
                "set output %s\nset title %s\n"
                "set ylabel 'bytes of user-space RSS per idle connection'\n"
                "unset key\nset boxwidth 0.5\nset logscale y\n"
                "set yrange [10:*]\n"
                "plot %s using 0:2:xtic(1) with boxes lc rgb '#228833', "
                "'' using 0:2:3:4 with yerrorbars lc rgb 'black' pt 0 lw 1.5,"
                " '' using 0:2:(sprintf('%%.0f B', $2)) with labels offset "
                "0,1.2, 1024 with lines dt 2 lc rgb 'red' title '1 KiB'\n" % (
                    gp_quote(os.path.join(outdir, "concurrency.png")),
                    gp_quote("%s connections held %g s (median, min-max)" % (
                        "{:,}".format(c["connections"]), c["hold_s"])),
                    gp_quote(dat))))
        a = r.get("accept_lock")
        if a:
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
                                gp_quote(dat), off, col, col + 1, col + 2,
                                lk))
                bals.append("%s using ($1+%g):%d:%d:%d:(0.25) with "
                            "boxerrorbars title '%s'" % (
                                gp_quote(dat), off, col + 3, col + 4,
                                col + 5, lk))
            scripts.append(
                'set terminal pngcairo size 900,700 font ",10" noenhanced\n'
                "set output %s\nset multiplot layout 2,1 title %s\n"
                "set style fill solid 0.6 border -1\nset grid ytics\n"
                "set boxwidth 0.25\nset xrange [-0.6:%g]\n"
                "set xtics (%s)\nset xlabel 'tcp workers'\n"
                "set key top left\nset yrange [0:*]\n"
                "set ylabel 'connections/s'\nplot %s\n"
                "set ylabel 'accepted max/min'\nset logscale y\nset yrange [0.9:*]\n"
                "plot %s, 1.5 with lines dt 2 lc rgb 'red' title 'target "
                "1.5'\nunset multiplot\n" % (
                    gp_quote(os.path.join(outdir, "accept-lock.png")),
                    gp_quote("echod tcp-crr by accept_lock (median, "
                             "min-max)"),
                    len(a["workers"]) - 0.4,
                    ", ".join("'%d' %d" % (wk, i)
                              for i, wk in enumerate(a["workers"])),
                    ", ".join(bars), ", ".join(bals)))
        made = []
        for s in scripts:
            p = subprocess.run([gp], input=s, text=True,
                               capture_output=True)
            if p.returncode != 0:
                log("gnuplot: %s" % p.stderr.strip())
        for f in sorted(os.listdir(outdir)):
            if f.endswith(".png"):
                made.append(f)
        return made
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
