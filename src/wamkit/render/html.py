"""Self-contained Markdown / HTML reports with inline-SVG forest plots.

Generic on purpose (``outcomes`` uses it; ``validate`` and ``dyads`` can too):
build a :class:`Report` block by block and :meth:`Report.render` it as one
string. HTML output is a single file: inline CSS, plots as inline SVG, no
scripts, fonts or network references. Markdown output embeds the same SVG
(as a base64 ``data:`` image) so it also renders without extra files.

No plotting library is needed: :func:`forest_svg` writes the SVG by hand.
"""

from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass, field
from typing import Sequence

__all__ = ["Report", "forest_svg", "markdown_table", "html_table", "format_cell"]

_SVG_NS = "http" + "://www.w3.org/2000/svg"
_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;border-bottom:2px solid #ddd;padding-bottom:.2em}h2{font-size:1.3em;margin-top:1.6em}
h3{font-size:1.05em;margin-bottom:.3em}
table{border-collapse:collapse;font-size:.82em;margin:.5em 0 1.5em}
th,td{border:1px solid #ddd;padding:2px 6px;text-align:right}th{background:#f4f4f4}
td.t,th.t{text-align:left}ul{margin-top:.2em}li{margin:.1em 0}
.note{color:#666;font-size:.9em}svg{max-width:100%;height:auto}
"""


def format_cell(v, digits: int = 3) -> str:
    """Text for a table cell: whole numbers as integers, other floats to ``digits``
    decimals (scientific below ``10**-digits``), NaN/None blank, lists joined."""
    if v is None:
        return ""
    if isinstance(v, (list, tuple)):
        return ", ".join(map(str, v))
    if isinstance(v, bool):
        return str(v).lower()
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    if isinstance(v, str):
        return v
    if math.isnan(f):
        return ""
    if math.isinf(f):
        return "inf" if f > 0 else "-inf"
    if f.is_integer() and abs(f) < 1e15:
        return str(int(f))
    if f != 0 and abs(f) < 10 ** -digits:
        return f"{f:.2e}"
    return f"{f:.{digits}f}"


def _rows(frame) -> tuple[list[str], list[list[str]]]:
    cols = [str(c) for c in frame.columns]
    rows = [[format_cell(v) for v in r] for r in frame.itertuples(index=False)]
    return cols, rows


def markdown_table(frame) -> str:
    """A GitHub-flavoured Markdown table of a DataFrame (``|`` escaped)."""
    cols, rows = _rows(frame)

    def esc(s: str) -> str:
        return s.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(map(esc, cols)) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(map(esc, r)) + " |" for r in rows]
    return "\n".join(lines)


def html_table(frame, text_columns: Sequence[str] | None = None) -> str:
    """An HTML table (escaped); text columns left-aligned."""
    import pandas as pd

    cols, rows = _rows(frame)
    if text_columns is None:
        text_columns = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c].dtype)]
    tset = {str(c) for c in text_columns}
    head = "".join(f'<th class="t">{html.escape(c)}</th>' if c in tset else f"<th>{html.escape(c)}</th>"
                   for c in cols)
    body = []
    for r in rows:
        body.append("<tr>" + "".join(f'<td class="t">{html.escape(v)}</td>' if c in tset else
                                     f"<td>{html.escape(v)}</td>" for c, v in zip(cols, r)) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _nice_ticks(lo: float, hi: float, log: bool) -> list[float]:
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
    for t in _nice_ticks(math.exp(a) if log else a, math.exp(b) if log else b, log):
        xt = x(t)
        if xt - last < 40:          # keep tick labels apart
            continue
        last = xt
        out.append(f'<line x1="{xt:.1f}" y1="{ya}" x2="{xt:.1f}" y2="{ya + 4}" stroke="#333"/>')
        out.append(f'<text x="{xt:.1f}" y="{ya + 16}" text-anchor="middle">{esc(format_cell(t, 2))}</text>')
    if xlabel:
        out.append(f'<text x="{label_w + plot_w / 2:.1f}" y="{ya + 34}" text-anchor="middle">'
                   f'{esc(xlabel)}{" (log scale)" if log else ""}</text>')
    out.append("</svg>")
    return "".join(out)


@dataclass
class Report:
    """A report assembled block by block, rendered as Markdown (``fmt="md"``) or HTML."""

    title: str
    fmt: str = "html"
    blocks: list = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.fmt not in ("md", "html"):
            raise ValueError(f"report format must be 'md' or 'html', not {self.fmt!r}")

    def heading(self, text: str, level: int = 2) -> None:
        self.blocks.append(("h", level, text))

    def paragraph(self, text: str) -> None:
        self.blocks.append(("p", text))

    def bullets(self, items: Sequence[str]) -> None:
        if items:
            self.blocks.append(("ul", list(items)))

    def table(self, frame) -> None:
        self.blocks.append(("table", frame))

    def svg(self, svg: str, alt: str = "figure") -> None:
        self.blocks.append(("svg", svg, alt))

    def forest(self, labels, estimates, ci_low, ci_high, **kw) -> None:
        if len(labels):
            self.svg(forest_svg(labels, estimates, ci_low, ci_high, **kw), alt=kw.get("xlabel", "forest plot"))

    def render(self) -> str:
        return self._html() if self.fmt == "html" else self._md()

    def _md(self) -> str:
        out = [f"# {self.title}", ""]
        for b in self.blocks:
            kind = b[0]
            if kind == "h":
                out += ["#" * b[1] + " " + b[2], ""]
            elif kind == "p":
                out += [b[1], ""]
            elif kind == "ul":
                out += [f"- {t}" for t in b[1]] + [""]
            elif kind == "table":
                out += [markdown_table(b[1]), ""]
            elif kind == "svg":
                # a standalone SVG image needs its namespace (inline SVG in HTML does not)
                svg = b[1].replace("<svg ", '<svg xmlns="' + _SVG_NS + '" ', 1)
                data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
                out += [f"![{b[2]}](data:image/svg+xml;base64,{data})", ""]
        return "\n".join(out)

    def _html(self) -> str:
        esc = html.escape
        body = [f"<h1>{esc(self.title)}</h1>"]
        for b in self.blocks:
            kind = b[0]
            if kind == "h":
                body.append(f"<h{b[1]}>{esc(b[2])}</h{b[1]}>")
            elif kind == "p":
                body.append(f"<p>{esc(b[1])}</p>")
            elif kind == "ul":
                body.append("<ul>" + "".join(f"<li>{esc(t)}</li>" for t in b[1]) + "</ul>")
            elif kind == "table":
                body.append(html_table(b[1]))
            elif kind == "svg":
                body.append(f'<figure aria-label="{esc(b[2])}">{b[1]}</figure>')
        return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                f"<title>{esc(self.title)}</title><style>{_CSS}</style></head><body>\n"
                + "\n".join(body) + "\n</body></html>\n")
