"""The generic document of a statistic's result: its scalar fields, then its tables."""

from __future__ import annotations

import re
from typing import Any

from wamkit.render.document import Column, Document

#: scalar fields shown as integers / p values / text when they appear
INT_FIELDS = {
    "n",
    "n_obs",
    "df",
    "dof",
    "n_targets",
    "n_raters",
    "n_dropped",
    "n_clusters",
    "iterations",
    "events",
    "n_groups",
    "n_factors",
    "ntotal",
    "npar",
}
P_FIELDS = {"p", "pvalue", "p_value", "p_adj"}


def _title(result: Any) -> str:
    name = type(result).__name__.removesuffix("Result")
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)
    doc = (type(result).__doc__ or "").strip().splitlines()
    return f"{words}: {doc[0].rstrip('.')}" if doc else words


def _kind(key: str, value: Any) -> str:
    if isinstance(value, (str, bool)):
        return "text"
    if key in P_FIELDS or key.startswith("p_") or key.endswith("_p"):
        return "p"
    if key in INT_FIELDS:
        return "int"
    return "num"


def stat_document(result: Any) -> Document:
    frames = result.to_frames()
    doc = Document(title=_title(result))
    summary = frames.pop("summary", None)
    if summary is not None and len(summary.columns):
        row = summary.iloc[0].to_dict()
        rows = [{"statistic": k, "value": v} for k, v in row.items() if k != "warnings"]
        formatted = [
            {"statistic": r["statistic"], "value": Column("value", kind=_kind(r["statistic"], r["value"])).cell(r)}
            for r in rows
        ]
        doc.table(formatted, [Column("statistic", kind="text"), Column("value", kind="text")])
    for name, frame in frames.items():
        if len(frame):
            doc.table(
                frame,
                [Column(str(c), kind=_kind(str(c), frame[c].iloc[0]) if len(frame) else "num") for c in frame.columns],
                title=name.replace("_", " "),
            )
    for w in result.to_dict().get("warnings", []) or []:
        doc.note(str(w), "warning")
    return doc
