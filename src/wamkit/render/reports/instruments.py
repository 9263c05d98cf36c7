"""Documents for ``wamkit instruments list|show|check``."""

from __future__ import annotations

from typing import Any

from wamkit.render import format as nf
from wamkit.render.document import Column, Document


def list_document(entries: list[dict[str, Any]]) -> Document:
    rows = []
    for e in entries:
        if e.get("error"):
            rows.append({"id": "(invalid)", "name": e["error"], "where": e["path"]})
            continue
        rows.append(
            {
                "id": e["id"],
                "version": e["version"],
                "rater": e.get("rater") or "",
                "name": e["name"] + (" [DEMONSTRATION]" if e["demonstration"] else ""),
                "where": "bundled" if e["bundled"] else e["path"],
            }
        )
    doc = Document(title="instruments")
    doc.table(rows, [Column(k, kind="text") for k in ("id", "version", "rater", "name", "where")])
    return doc


def show_document(ins: Any) -> Document:
    doc = Document(
        title=ins.name, subtitle=f"id {ins.id}, version {ins.version}" + (f", rater {ins.rater}" if ins.rater else "")
    )
    if ins.demonstration:
        doc.note("DEMONSTRATION instrument - not a published key", "warning")
    for label, text in (("", ins.description), ("citation: ", ins.citation), ("license: ", ins.license)):
        if text:
            doc.paragraph(label + text)
    if ins.scale:
        labels = ", ".join(f"{nf.num(k)}={'/'.join(v)}" for k, v in sorted(ins.scale.labels.items()))
        doc.paragraph(f"scale: {nf.num(ins.scale.min)}-{nf.num(ins.scale.max)}" + (f" ({labels})" if labels else ""))
    doc.paragraph(
        f"missing codes: {', '.join(nf.num(c) for c in ins.missing_codes) or '-'}; "
        f"missing labels: {', '.join(ins.missing_labels) or '-'}; min_answered: {nf.num(ins.min_answered)}"
    )
    rows = []
    for s in ins.subscales:
        items = ", ".join(i + ("(R)" if ins.item(i).reverse else "") for i in s.items)
        rows.append(
            {
                "id": s.id,
                "name": s.name,
                "method": s.method,
                "items": items,
                "min": nf.num(ins.subscale_min_answered(s)),
            }
        )
    for tot in ins.totals:
        what = ", ".join(tot.items) if tot.items is not None else "subscales: " + ", ".join(tot.subscales)
        rows.append(
            {
                "id": tot.id,
                "name": tot.name,
                "method": tot.method,
                "items": what,
                "min": nf.num(ins.subscale_min_answered(tot)) if tot.items else "all",
            }
        )
    doc.table(
        rows,
        [
            Column("id", kind="text"),
            Column("name", kind="text"),
            Column("method", kind="text"),
            Column("items", kind="text"),
            Column("min", "min answered", "text"),
        ],
        title="scores",
    )
    return doc
