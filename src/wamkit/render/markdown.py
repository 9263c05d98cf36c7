"""Documents as Markdown (GitHub-flavoured tables; figures as base64 SVG images)."""

from __future__ import annotations

import base64

from wamkit.render.document import Bullets, Document, Figure, Heading, Note, Paragraph, Table
from wamkit.render.svg import SVG_NS

__all__ = ["render_markdown", "markdown_table"]


def _esc(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def markdown_table(block: Table) -> str:
    lines = []
    if block.title:
        lines += [f"**{_esc(block.title)}**", ""]
    aligns = [":---" if c.is_text else "---:" for c in block.columns]
    lines.append("| " + " | ".join(_esc(h) for h in block.headers) + " |")
    lines.append("|" + "|".join(aligns) + "|")
    lines += ["| " + " | ".join(_esc(v) for v in row) + " |" for row in block.rows()]
    if block.note:
        lines += ["", f"*{_esc(block.note)}*"]
    return "\n".join(lines)


def _figure(block: Figure) -> str:
    svg = block.svg if "xmlns=" in block.svg[:200] else block.svg.replace("<svg ", f'<svg xmlns="{SVG_NS}" ', 1)
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f"![{block.caption or 'figure'}](data:image/svg+xml;base64,{data})"


def render_markdown(doc: Document) -> str:
    out = [f"# {doc.title}", ""]
    if doc.subtitle:
        out += [doc.subtitle, ""]
    for b in doc.blocks:
        if isinstance(b, Heading):
            out += ["#" * min(b.level, 6) + " " + b.text, ""]
        elif isinstance(b, Paragraph):
            out += [b.text, ""]
        elif isinstance(b, Bullets):
            out += [f"- {t}" for t in b.items] + [""]
        elif isinstance(b, Note):
            out += [f"> **{b.kind}:** {b.text}", ""]
        elif isinstance(b, Figure):
            out += [_figure(b), ""]
        elif isinstance(b, Table):
            out += [markdown_table(b), ""]
    return "\n".join(out)
