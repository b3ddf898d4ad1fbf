# bench/svg.py: the charts of bench/plot.py drawn as SVG text: panels
# with axes, bars with min-max whiskers, lines and reference lines. The
# standard library suffices, so every run (make check's too) draws its
# plots on any machine, with no plotting program installed.

import math
from xml.sax.saxutils import escape

FONT = 'font-family="sans-serif" font-size="12"'
COLOURS = ["#4477aa", "#ee6677", "#228833", "#ccbb44", "#66ccee",
           "#aa3377", "#bbbbbb"]


def nice_ticks(top, n=5):
    """About n round ticks from 0 to at least top: the ticks, the top."""
    if top <= 0:
        top = 1.0
    raw = top / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    k = math.ceil(top / step - 1e-9)
    return [i * step for i in range(k + 1)], k * step


def log_ticks(lo, hi):
    """Powers of ten around [lo, hi]: the ticks, bottom and top."""
    a = math.floor(math.log10(max(lo, 1e-9)))
    b = math.ceil(math.log10(max(hi, lo * 10)))
    return [10.0 ** e for e in range(a, b + 1)], 10.0 ** a, 10.0 ** b


def label(v):
    """A tick or bar label: 12,345, 1.5, 0.25."""
    if v >= 1000:
        return "{:,}".format(int(round(v)))
    if v == int(v):
        return "%d" % v
    return "%.3g" % v


class Panel:
    """A plotting area of the figure with a y axis (linear from 0, or
    logarithmic) and n categories or a numeric x axis."""

    def __init__(self, fig, x, y, w, h, ylabel, ymax, logy=False,
                 ymin=None):
        self.fig, self.x, self.y, self.w, self.h = fig, x, y, w, h
        self.logy = logy
        if logy:
            self.ticks, self.lo, self.hi = log_ticks(ymin or 1, ymax)
        else:
            self.ticks, self.hi = nice_ticks(ymax * 1.1)
            self.lo = 0.0
        self.xlo, self.xhi = 0.0, 1.0
        fig.add('<rect x="%g" y="%g" width="%g" height="%g" fill="none" '
                'stroke="#888"/>' % (x, y, w, h))
        for t in self.ticks:
            py = self.py(t)
            fig.add('<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#ddd"/>'
                    % (x, py, x + w, py))
            fig.text(x - 6, py + 4, label(t), "end")
        fig.add('<text x="%g" y="%g" %s text-anchor="middle" transform='
                '"rotate(-90 %g %g)">%s</text>' % (
                    x - 62, y + h / 2, FONT, x - 62, y + h / 2,
                    escape(ylabel)))

    def py(self, v):
        if self.logy:
            v = max(v, self.lo)
            f = ((math.log10(v) - math.log10(self.lo)) /
                 (math.log10(self.hi) - math.log10(self.lo)))
        else:
            f = (v - self.lo) / (self.hi - self.lo)
        return self.y + self.h - f * self.h

    def px(self, v):
        return self.x + (v - self.xlo) / (self.xhi - self.xlo) * self.w

    def categories(self, names, every=1):
        """n categories along x, labelled (every k-th when crowded)."""
        self.n = len(names)
        for i, nm in enumerate(names):
            if i % every == 0:
                self.fig.text(self.cx(i), self.y + self.h + 16, nm,
                              "middle")

    def cx(self, i):
        return self.x + (i + 0.5) * self.w / self.n

    def bar(self, i, v, lo=None, hi=None, colour=COLOURS[0], width=0.6,
            offset=0.0, text=None):
        """A bar at category i (shifted by offset, in categories), with
        a whisker from lo to hi and text above it."""
        slot = self.w / self.n
        cx = self.cx(i) + offset * slot
        bw = width * slot
        top, base = self.py(v), self.py(self.lo)
        self.fig.add('<rect x="%g" y="%g" width="%g" height="%g" fill="%s" '
                     'fill-opacity="0.75" stroke="#333"/>' % (
                         cx - bw / 2, top, bw, max(base - top, 0), colour))
        if lo is not None and hi is not None:
            self.fig.add('<path d="M%g %gV%gM%g %gH%gM%g %gH%g" stroke='
                         '"black" stroke-width="1.5"/>' % (
                             cx, self.py(lo), self.py(hi),
                             cx - bw / 6, self.py(lo), cx + bw / 6,
                             cx - bw / 6, self.py(hi), cx + bw / 6))
        if text:
            ty = min(top, self.py(hi) if hi is not None else top) - 5
            self.fig.text(cx, ty, text, "middle")

    def xaxis(self, xlo, xhi, xlabel):
        """A numeric x axis from xlo to xhi."""
        self.xlo, self.xhi = xlo, xhi
        ticks, _ = nice_ticks(xhi, 5)
        for t in ticks:
            if xlo <= t <= xhi:
                self.fig.text(self.px(t), self.y + self.h + 16, label(t),
                              "middle")
        self.fig.text(self.x + self.w / 2, self.y + self.h + 34, xlabel,
                      "middle")

    def line(self, pts, colour, name=None, dashed=False):
        """A polyline through (x, y) points, named in the legend."""
        if not pts:
            return
        d = " ".join("%s%g %g" % ("M" if k == 0 else "L", self.px(x),
                                  self.py(y)) for k, (x, y) in
                     enumerate(pts))
        self.fig.add('<path d="%s" fill="none" stroke="%s" stroke-width='
                     '"2"%s/>' % (d, colour, ' stroke-dasharray="6 4"'
                                  if dashed else ""))
        if name:
            self.fig.legend(name, colour)

    def hline(self, v, colour, name):
        """A dashed reference line across the panel at v."""
        py = self.py(v)
        self.fig.add('<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="%s" '
                     'stroke-dasharray="6 4" stroke-width="1.5"/>' % (
                         self.x, py, self.x + self.w, py, colour))
        self.fig.text(self.x + self.w - 4, py - 4, name, "end", colour)


class Figure:
    """An SVG document: panels, texts and a legend, written at once."""

    def __init__(self, w, h, title):
        self.w, self.h = w, h
        self.parts = []
        self.legends = []
        self.text(w / 2, 20, title, "middle", size=14)

    def add(self, s):
        self.parts.append(s)

    def text(self, x, y, s, anchor="start", colour="black", size=12):
        self.add('<text x="%g" y="%g" font-family="sans-serif" '
                 'font-size="%d" text-anchor="%s" fill="%s">%s</text>' % (
                     x, y, size, anchor, colour, escape(str(s))))

    def legend(self, name, colour):
        if name not in (n for n, _ in self.legends):
            self.legends.append((name, colour))

    def panel(self, *a, **k):
        return Panel(self, *a, **k)

    def write(self, path):
        x = 90
        for name, colour in self.legends:
            self.add('<rect x="%g" y="30" width="12" height="12" '
                     'fill="%s"/>' % (x, colour))
            self.text(x + 16, 41, name)
            x += 30 + 7 * len(name)
        with open(path, "w") as f:
            f.write('<svg xmlns="http://www.w3.org/2000/svg" width="%d" '
                    'height="%d" viewBox="0 0 %d %d">\n<rect width="100%%" '
                    'height="100%%" fill="white"/>\n' % (
                        self.w, self.h, self.w, self.h))
            f.write("\n".join(self.parts))
            f.write("\n</svg>\n")
