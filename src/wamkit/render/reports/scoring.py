"""Documents for scoring (``wamkit score``) and data quality (``wamkit inspect``)."""

from __future__ import annotations

from typing import Any

from wamkit.render.document import Column, Document

SUMMARY_COLUMNS = (
    Column("id", "score", "text"),
    Column("n", kind="int"),
    Column("missing", kind="int"),
    Column("mean"),
    Column("sd"),
    Column("min"),
    Column("max"),
)


def score_document(result: Any) -> Document:
    s = result.summary_dict()
    doc = Document(
        title=f"scores: {s['instrument']}", subtitle=f"{s['rows_read']} rows read, {s['rows_scored']} scored"
    )
    doc.table(s["scales"], SUMMARY_COLUMNS)
    if s["invalid_cells"]:
        doc.note(f"{s['invalid_cells']} invalid cells treated as missing (invalid=missing)")
    if s["straightlined_rows"]:
        doc.note(f"{s['straightlined_rows']} straight-lined rows (every item the same answer)")
    return doc


ITEM_COLUMNS = (
    Column("item", kind="text"),
    Column("column", kind="text"),
    Column("n", "answered", "int"),
    Column("missing_share", "missing", "pct"),
    Column("invalid", kind="int"),
    Column("floor_share", "floor", "pct"),
    Column("ceiling_share", "ceiling", "pct"),
    Column("mean"),
    Column("sd"),
)


def _quality(doc: Document, report: Any, role: str | None) -> None:
    head = f"{report.instrument_id}" + (f" ({role} rows)" if role and role != "all" else "")
    doc.heading(f"{head}: {report.rows} rows")
    doc.table(report.items, ITEM_COLUMNS)
    doc.paragraph(f"invalid cells: {report.n_invalid}")
    doc.bullets(p.render() for p in report.invalid_cells[:20])
    sl = report.straightlined_rows
    doc.paragraph(
        f"straight-lined rows: {len(sl)}"
        + (f" (rows {', '.join(map(str, sl[:20]))}" + (" ..." if len(sl) > 20 else "") + ")" if sl else "")
    )
    if report.id_columns:
        doc.paragraph(f"duplicate keys on {', '.join(report.id_columns)}: {len(report.duplicates)}")
        doc.bullets(
            f"{' / '.join(map(str, r[:-1]))}: rows {r[-1]}" for r in report.duplicates.head(20).itertuples(index=False)
        )
    doc.paragraph(f"missing-data patterns: {len(report.missing_patterns)} (most common first)")
    doc.bullets(f"{r.pattern}  {r.rows} rows" for r in report.missing_patterns.head(5).itertuples(index=False))


def quality_document(report: Any) -> Document:
    doc = Document(title=f"inspect: {report.source}")
    _quality(doc, report, None)
    return doc


def inspect_document(result: Any) -> Document:
    doc = Document(title=f"inspect: {result.source}")
    for n in result.notes:
        doc.note(n)
    for role, rep in result.reports.items():
        _quality(doc, rep, role)
    return doc
