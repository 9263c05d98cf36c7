"""Documents as HTML: a self-contained page (inline CSS and SVG, no scripts, fonts or network
references) or a fragment for a notebook cell (``_repr_html_``)."""

from __future__ import annotations

import html

from wamkit.render.document import Bullets, Document, Figure, Heading, Note, Paragraph, Table

__all__ = ["CSS", "render_html"]

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


# --------------------------------------------------------------------------- documents


def _html_table(block: Table) -> str:
    esc = html.escape
    cap = f"<caption>{esc(block.title)}</caption>" if block.title else ""
    head = "".join(
        f'<th class="t">{esc(c.header)}</th>' if c.is_text else f"<th>{esc(c.header)}</th>" for c in block.columns
    )
    body = []
    for row in block.rows():
        cells = "".join(
            f'<td class="t">{esc(v)}</td>' if c.is_text else f"<td>{esc(v)}</td>"
            for c, v in zip(block.columns, row, strict=False)
        )
        body.append(f"<tr>{cells}</tr>")
    note = f'<p class="tnote">{esc(block.note)}</p>' if block.note else ""
    return (
        f'<div class="wk-wrap"><table class="apa">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>{note}"
    )


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
    return (
        f'<!DOCTYPE html>\n<html lang="{esc(lang)}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(doc.title)}</title><style>{CSS}</style></head><body>\n" + "\n".join(parts) + "\n</body></html>\n"
    )
