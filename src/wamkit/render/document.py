"""A report as data: headings, paragraphs, tables, figures and notes.

Every result is turned into a :class:`Document` by one builder (see
:mod:`wamkit.render.reports`); the same document is then rendered as terminal text
(:mod:`wamkit.render.text`), Markdown (:mod:`wamkit.render.markdown`) or HTML
(:mod:`wamkit.render.html`). Tables carry their column kinds, so every number is
formatted once, by :mod:`wamkit.render.format`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from wamkit.render import format as nf

__all__ = ["Bullets", "Column", "Document", "Figure", "Heading", "Note", "Paragraph", "Table"]


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Note:
    """A warning or remark shown apart from the text (``kind``: ``warning`` or ``note``)."""

    text: str
    kind: str = "note"


@dataclass(frozen=True)
class Figure:
    """An inline SVG figure (no namespace needed; renderers add it where required)."""

    svg: str
    caption: str = ""


@dataclass(frozen=True)
class Column:
    """One table column: the record key(s) it shows, its header and how numbers are formatted.

    ``key`` may be a pair ``(low, high)`` for a confidence-interval column.
    ``kind`` is a :mod:`wamkit.render.format` kind; ``"auto"`` picks ``text`` for
    strings, ``int`` for whole numbers and ``num`` otherwise.
    """

    key: str | tuple[str, str]
    label: str | None = None
    kind: str = "auto"
    digits: int | None = None

    @property
    def header(self) -> str:
        if self.label is not None:
            return self.label
        return self.key if isinstance(self.key, str) else "CI"

    @property
    def is_text(self) -> bool:
        return self.kind == "text"

    def cell(self, record: dict[str, Any]) -> str:
        if isinstance(self.key, tuple):
            lo, hi = (record.get(k) for k in self.key)
            kind = "num" if self.kind in ("auto", "ci") else self.kind
            return nf.ci(lo, hi, 2 if self.digits is None else self.digits, kind)
        v = record.get(self.key)
        kind = self.kind
        if kind == "auto":
            f = nf.as_float(v)
            kind = "text" if f is None and v is not None and not _is_nan(v) else "num"
        return nf.fmt(v, kind, self.digits)


def _is_nan(v: Any) -> bool:
    try:
        return bool(v != v)
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class Table:
    """A table of records (dicts); ``columns`` say what to show and how."""

    records: tuple[dict[str, Any], ...]
    columns: tuple[Column, ...]
    title: str | None = None
    note: str | None = None

    @classmethod
    def from_frame(
        cls,
        frame: Any,
        columns: Sequence[Column | str] | None = None,
        *,
        title: str | None = None,
        note: str | None = None,
    ) -> Table:
        """A table from a DataFrame (or a list of dicts); plain strings in ``columns`` are keys."""
        records = tuple(frame.to_dict(orient="records") if hasattr(frame, "to_dict") else frame)
        if columns is None:
            keys = list(frame.columns) if hasattr(frame, "columns") else list(records[0]) if records else []
            columns = [Column(str(k)) for k in keys]
        cols = tuple(c if isinstance(c, Column) else Column(c) for c in columns)
        return cls(records=records, columns=cols, title=title, note=note)

    decimal: str = "."

    def rows(self) -> list[list[str]]:
        """Formatted cells, row by row (numbers with :attr:`decimal` as the decimal mark)."""
        return [[self._mark(c, c.cell(r)) for c in self.columns] for r in self.records]

    def _mark(self, column: Column, text: str) -> str:
        """``text`` with this table's decimal mark: ``0,81`` and CIs as ``[0,12; 0,45]`` for a comma."""
        if self.decimal == "." or column.is_text:
            return text
        return text.replace(", ", "; ").replace(".", self.decimal)

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


Block = Heading | Paragraph | Bullets | Note | Figure | Table


@dataclass
class Document:
    """A titled sequence of blocks, built with the small helper methods below."""

    title: str
    blocks: list[Block] = field(default_factory=list)
    subtitle: str | None = None
    #: decimal mark of the numbers in its tables ("," for a Dutch or French report)
    decimal: str = "."

    def heading(self, text: str, level: int = 2) -> Document:
        self.blocks.append(Heading(text, level))
        return self

    def paragraph(self, text: str) -> Document:
        if text:
            self.blocks.append(Paragraph(text))
        return self

    def bullets(self, items: Iterable[str]) -> Document:
        items = tuple(items)
        if items:
            self.blocks.append(Bullets(items))
        return self

    def note(self, text: str, kind: str = "note") -> Document:
        self.blocks.append(Note(text, kind))
        return self

    def warnings(self, texts: Iterable[str]) -> Document:
        for t in texts:
            self.blocks.append(Note(t, "warning"))
        return self

    def figure(self, svg: str, caption: str = "") -> Document:
        if svg:
            self.blocks.append(Figure(svg, caption))
        return self

    def table(
        self,
        frame: Any,
        columns: Sequence[Column | str] | None = None,
        *,
        title: str | None = None,
        note: str | None = None,
    ) -> Document:
        t = frame if isinstance(frame, Table) else Table.from_frame(frame, columns, title=title, note=note)
        if self.decimal != t.decimal:
            t = dataclasses.replace(t, decimal=self.decimal)
        if t.records:
            self.blocks.append(t)
        return self

    def extend(self, other: Document) -> Document:
        self.blocks.extend(other.blocks)
        return self
