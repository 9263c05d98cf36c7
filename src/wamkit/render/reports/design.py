"""Documents for the study design: what was read, and ``wamkit study check``."""

from __future__ import annotations

from typing import Any

from wamkit.render.document import Column, Document


def study_data_document(data: Any) -> Document:
    d = data.design
    doc = Document(title=f"study {data.study.id}: {data.source}",
                   subtitle=f"{len(data.frame)} rows ({data.rows_read} read), {data.study.layout} layout")
    rows = [{"key": k, "value": v} for k, v in (
        ("dyad", d.dyad), ("officer", d.officer), ("person", d.person), ("role column", d.role),
        ("roles", ", ".join(f"{r.key}={r.value}" for r in d.roles)), ("wave column", d.wave),
        ("waves", ", ".join(d.waves)),
        ("instruments", ", ".join(f"{k or 'all'}: {v.id}" for k, v in data.instruments.items()))) if v]
    doc.table(rows, [Column("key", "", "text"), Column("value", "", "text")])
    for n in data.notes:
        doc.note(n)
    return doc
