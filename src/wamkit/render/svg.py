"""Hand-written inline SVG figures (no plotting library): forest plots and shared axis helpers."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from wamkit.render import format as nf

__all__ = ["SVG_NS", "forest_svg", "nice_ticks"]

SVG_NS = "http" + "://www.w3.org/2000/svg"


def nice_ticks(lo: float, hi: float, log: bool) -> list[float]:
    if log:
        cands = [0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 0.67, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 10, 20, 50, 100]
        ticks = [t for t in cands if lo <= t <= hi]
        if len(ticks) > 7:
            ticks = ticks[:: math.ceil(len(ticks) / 7)]
        return ticks or [lo, hi]
    span = hi - lo
    step = 10 ** math.floor(math.log10(span / 5)) if span > 0 else 1
    for m in (1, 2, 2.5, 5, 10):
        if span / (step * m) <= 6:
            step *= m
            break
    start = math.ceil(lo / step) * step
    out = []
    t = start
    while t <= hi + 1e-12:
        out.append(round(t, 10))
        t += step
    return out


def forest_svg(labels: Sequence[str], estimates: Sequence[float], ci_low: Sequence[float],
               ci_high: Sequence[float], *, notes: Sequence[str] | None = None, log: bool = True,
               null: float = 1.0, xlabel: str = "", width: int = 760) -> str:
    """Forest plot as an inline SVG string.

    One row per estimate: label at the left, a square at the estimate with a line
    for the CI, a dashed vertical line at ``null`` (1 for ratios, 0 for
    differences), an optional note at the right (e.g. ``n = 557, events = 80``).
    ``log`` puts the x axis on a log scale (ratios). Non-finite estimates are
    shown as "not estimable". All text is XML-escaped. The ``<svg>`` element
    carries no namespace (inline SVG in HTML needs none); :class:`Report` adds it
    when it embeds the figure as an image in Markdown.
    """
    n = len(labels)
    notes = list(notes) if notes is not None else [""] * n
    row_h, top, bottom = 22, 12, 46
    label_w, note_w = 300, 170
    plot_w = max(width - label_w - note_w, 120)
    height = top + bottom + row_h * max(n, 1)
    vals = [v for trio in zip(estimates, ci_low, ci_high) for v in trio
            if v is not None and math.isfinite(v) and (not log or v > 0)]
    vals.append(null)
    lo, hi = min(vals), max(vals)
    tf = (lambda v: math.log(v)) if log else (lambda v: v)
    a, b = tf(lo), tf(hi)
    if b - a < 1e-9:
        a, b = a - 0.5, b + 0.5
    pad = (b - a) * 0.05
    a, b = a - pad, b + pad

    def x(v: float) -> float:
        t = min(max(tf(v), a), b) if (not log or v > 0) else a
        return label_w + (t - a) / (b - a) * plot_w

    esc = html.escape
    out = [f'<svg role="img" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">']
    out.append(f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>')
    for i in range(0, n, 2):      # zebra rows first, so the null line stays visible
        out.append(f'<rect x="0" y="{top + row_h * i}" width="{width}" height="{row_h}" fill="#f7f7f7"/>')
    xn = x(null)
    out.append(f'<line x1="{xn:.1f}" y1="{top}" x2="{xn:.1f}" y2="{height - bottom + 4}" stroke="#888" '
               'stroke-dasharray="4 3"/>')
    for i, (lab, est, l, h, note) in enumerate(zip(labels, estimates, ci_low, ci_high, notes)):
        cy = top + row_h * i + row_h / 2
        out.append(f'<text x="6" y="{cy + 4:.1f}">{esc(str(lab))}</text>')
        ok = est is not None and math.isfinite(est) and (not log or est > 0)
        if ok:
            if l is not None and h is not None and math.isfinite(l) and math.isfinite(h):
                out.append(f'<line x1="{x(l):.1f}" y1="{cy:.1f}" x2="{x(h):.1f}" y2="{cy:.1f}" stroke="#1f4e79" '
                           'stroke-width="1.6"/>')
            out.append(f'<rect x="{x(est) - 4:.1f}" y="{cy - 4:.1f}" width="8" height="8" fill="#1f4e79"/>')
        else:
            out.append(f'<text x="{label_w + 4}" y="{cy + 4:.1f}" fill="#a00">not estimable</text>')
        out.append(f'<text x="{label_w + plot_w + 8}" y="{cy + 4:.1f}" fill="#555">{esc(str(note))}</text>')
    ya = height - bottom + 4
    out.append(f'<line x1="{label_w}" y1="{ya}" x2="{label_w + plot_w}" y2="{ya}" stroke="#333"/>')
    last = -1e9
    for t in nice_ticks(math.exp(a) if log else a, math.exp(b) if log else b, log):
        xt = x(t)
        if xt - last < 40:          # keep tick labels apart
            continue
        last = xt
        out.append(f'<line x1="{xt:.1f}" y1="{ya}" x2="{xt:.1f}" y2="{ya + 4}" stroke="#333"/>')
        out.append(f'<text x="{xt:.1f}" y="{ya + 16}" text-anchor="middle">{esc(nf.num(t, 2))}</text>')
    if xlabel:
        out.append(f'<text x="{label_w + plot_w / 2:.1f}" y="{ya + 34}" text-anchor="middle">'
                   f'{esc(xlabel)}{" (log scale)" if log else ""}</text>')
    out.append("</svg>")
    return "".join(out)
