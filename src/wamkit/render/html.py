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

__all__ = ["CSS", "Report", "forest_svg", "markdown_table", "html_table", "format_cell", "render_html"]

from wamkit.render.document import Bullets, Document, Figure, Heading, Note, Paragraph, Table
from wamkit.render.svg import SVG_NS as _SVG_NS
from wamkit.render.svg import forest_svg

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;border-bottom:2px solid #ddd;padding-bottom:.2em}h2{font-size:1.3em;margin-top:1.6em}
h3{font-size:1.05em;margin-bottom:.3em}
table{border-collapse:collapse;font-size:.82em;margin:.5em 0 1.5em}
th,td{border:1px solid #ddd;padding:2px 6px;text-align:right}th{background:#f4f4f4}
td.t,th.t{text-align:left}ul{margin-top:.2em}li{margin:.1em 0}
.note{color:#666;font-size:.9em}svg{max-width:100%;height:auto}
.wk-wrap{overflow-x:auto;max-width:100%}caption{caption-side:top;text-align:left;font-weight:600;padding:.3em 0}
table.apa{border:none;border-top:2px solid #333;border-bottom:2px solid #333}
table.apa th{background:none;border:none;border-bottom:1px solid #333;font-weight:600;vertical-align:bottom}
table.apa td{border:none;white-space:nowrap}table.apa td.t{white-space:normal}
p.tnote{font-size:.82em;color:#444;margin-top:-1em}div.warning{border-left:4px solid #c0392b;padding:.2em .6em;
background:#fdf2f0;margin:.4em 0}div.note{border-left:4px solid #888;padding:.2em .6em;background:#f6f6f6;margin:.4em 0}
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
                f"<title>{esc(self.title)}</title><style>{CSS}</style></head><body>\n"
                + "\n".join(body) + "\n</body></html>\n")


# --------------------------------------------------------------------------- documents


def _html_table(block: Table) -> str:
    esc = html.escape
    cap = f"<caption>{esc(block.title)}</caption>" if block.title else ""
    head = "".join(f'<th class="t">{esc(c.header)}</th>' if c.is_text else f"<th>{esc(c.header)}</th>"
                   for c in block.columns)
    body = []
    for row in block.rows():
        cells = "".join(f'<td class="t">{esc(v)}</td>' if c.is_text else f"<td>{esc(v)}</td>"
                        for c, v in zip(block.columns, row))
        body.append(f"<tr>{cells}</tr>")
    note = f'<p class="tnote">{esc(block.note)}</p>' if block.note else ""
    return (f'<div class="wk-wrap"><table class="apa">{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>{note}")


def _block_html(b) -> str:
    esc = html.escape
    if isinstance(b, Heading):
        level = min(max(b.level, 1), 6)
        return f"<h{level}>{esc(b.text)}</h{level}>"
    if isinstance(b, Paragraph):
        return f"<p>{esc(b.text)}</p>"
    if isinstance(b, Bullets):
        return "<ul>" + "".join(f"<li>{esc(t)}</li>" for t in b.items) + "</ul>"
    if isinstance(b, Note):
        return f'<div class="{"warning" if b.kind == "warning" else "note"}"><b>{esc(b.kind)}:</b> {esc(b.text)}</div>'
    if isinstance(b, Figure):
        cap = f"<figcaption>{esc(b.caption)}</figcaption>" if b.caption else ""
        return f'<figure aria-label="{esc(b.caption or "figure")}">{b.svg}{cap}</figure>'
    if isinstance(b, Table):
        return _html_table(b)
    raise TypeError(f"unknown block {type(b).__name__}")  # pragma: no cover


def render_html(doc: Document, *, standalone: bool = True, lang: str = "en") -> str:
    """HTML of a document: a self-contained page (inline CSS and SVG, no scripts, no network
    references), or with ``standalone=False`` a fragment for a notebook cell."""
    esc = html.escape
    parts = [f"<h1>{esc(doc.title)}</h1>" if standalone else f"<h3>{esc(doc.title)}</h3>"]
    if doc.subtitle:
        parts.append(f'<p class="note">{esc(doc.subtitle)}</p>')
    parts += [_block_html(b) for b in doc.blocks]
    if not standalone:
        return '<div class="wamkit-result">' + "".join(parts) + "</div>"
    return (f'<!DOCTYPE html>\n<html lang="{esc(lang)}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(doc.title)}</title><style>{CSS}</style></head><body>\n"
            + "\n".join(parts) + "\n</body></html>\n")
