"""Documents as terminal text (rich tables), for ``summary()`` and the CLI's ``table`` format.

On a terminal the text fits its width; piped or redirected, nothing is cut (tables take
the width their content needs), so identifiers stay copyable.
"""

from __future__ import annotations

import io
import shutil
import sys

from wamkit.render.document import Bullets, Document, Figure, Heading, Note, Paragraph, Table

__all__ = ["render_text", "output_width"]

#: width used when the output is not a terminal: wide enough never to cut a table
UNLIMITED_WIDTH = 10_000


def output_width(stream=None) -> int:
    """The terminal's width when ``stream`` (default stdout) is a terminal, else unlimited."""
    stream = sys.stdout if stream is None else stream
    try:
        if stream.isatty():
            return shutil.get_terminal_size((100, 24)).columns
    except (AttributeError, ValueError):
        pass
    return UNLIMITED_WIDTH


def _table(block: Table):
    from rich import box
    from rich.table import Table as RichTable

    t = RichTable(
        title=block.title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        caption=block.note,
        caption_justify="left",
        pad_edge=False,
    )
    for col in block.columns:
        t.add_column(col.header, justify="left" if col.is_text else "right", overflow="fold")
    for row in block.rows():
        t.add_row(*row)
    return t


def render_text(doc: Document, width: int | None = None) -> str:
    """Plain text of a document (no colour codes), ``width`` columns wide (default: unlimited)."""
    from rich.console import Console

    buf = io.StringIO()
    width = UNLIMITED_WIDTH if width is None else width
    con = Console(
        file=buf,
        width=width,
        force_terminal=False,
        color_system=None,
        highlight=False,
        emoji=False,
        markup=False,
        soft_wrap=width >= UNLIMITED_WIDTH,
    )
    con.print(doc.title + (f" — {doc.subtitle}" if doc.subtitle else ""))
    for b in doc.blocks:
        if isinstance(b, Heading):
            con.print()
            con.print(b.text if b.level > 2 else b.text.upper() if b.level == 1 else b.text)
        elif isinstance(b, Paragraph):
            con.print(b.text)
        elif isinstance(b, Bullets):
            for item in b.items:
                con.print(f"  - {item}")
        elif isinstance(b, Note):
            con.print(f"{b.kind}: {b.text}")
        elif isinstance(b, Figure):
            if b.caption:
                con.print(f"[figure: {b.caption}; see the html or md report]")
        elif isinstance(b, Table):
            con.print(_table(b))
    return buf.getvalue()
