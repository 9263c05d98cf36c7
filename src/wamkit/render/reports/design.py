"""Documents for the study design: what was read, and ``wamkit study check``."""

from __future__ import annotations

from typing import Any

from wamkit.render.document import Column, Document


def study_data_document(data: Any) -> Document:
    d = data.design
    doc = Document(
        title=f"study {data.study.id}: {data.source}",
        subtitle=f"{len(data.frame)} rows ({data.rows_read} read), {data.study.layout} layout",
    )
    rows = [
        {"key": k, "value": v}
        for k, v in (
            ("dyad", d.dyad),
            ("officer", d.officer),
            ("person", d.person),
            ("role column", d.role),
            ("roles", ", ".join(f"{r.key}={r.value}" for r in d.roles)),
            ("wave column", d.wave),
            ("waves", ", ".join(d.waves)),
            ("instruments", ", ".join(f"{k or 'all'}: {v.id}" for k, v in data.instruments.items())),
        )
        if v
    ]
    doc.table(rows, [Column("key", "", "text"), Column("value", "", "text")])
    for n in data.notes:
        doc.note(n)
    return doc


def study_check_document(check: Any) -> Document:
    doc = Document(
        title=f"study {check.study}: {check.source} ({check.layout} layout)",
        subtitle=f"{check.rows} rows ({check.rows_read} read)"
        + (f", {check.dyads} dyads" if check.dyads is not None else ""),
    )
    doc.table(
        check.persons,
        [
            Column("wave", kind="text"),
            Column("role", kind="text"),
            Column("persons", kind="int"),
            Column("rows", kind="int"),
        ],
        title="persons per wave and role",
    )
    doc.table(
        check.completeness,
        [Column("role", kind="text"), Column("waves", "waves answered", "text"), Column("persons", kind="int")],
        title="wave completeness",
    )
    doc.table(
        check.officers,
        [
            Column("wave", kind="text"),
            Column("officers", kind="int"),
            Column("clients_mean", "clients per officer (mean)", digits=1),
            Column("clients_min", "min", "int"),
            Column("clients_max", "max", "int"),
        ],
        title="clients per officer",
    )
    o = check.outcomes
    if o:
        on = ", ".join(f"{k} = {v}" if k != v else k for k, v in o["on"].items())
        doc.paragraph(
            f"outcomes {o['file']} joined on {on}: {o['keys_joined']} keys joined; "
            f"{o['data_keys_without_outcomes']} data keys without outcomes, "
            f"{o['outcome_rows_without_data']} outcome rows without data; "
            f"variables {', '.join(f'{k} ({v})' for k, v in o['variables'].items()) or '-'}; "
            f"events {', '.join(o['events']) or '-'}"
        )
    doc.paragraph(f"invalid item cells: {check.invalid_cells}")
    for n in check.notes:
        doc.note(n)
    return doc
