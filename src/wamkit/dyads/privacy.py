"""Pseudonymise identifier columns of study data before any analysis.

The columns are replaced by keyed-hash pseudonyms (:mod:`wamkit.pseudonym`; ``G-`` for the
officer column, ``P-`` for the others) in the data *and* in what reading noted about it
(``where`` filters and their notes), so no result, message, sheet, file name or provenance
record can hold an original id.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from wamkit.errors import UsageError

__all__ = ["pseudonymise_data"]


def _prefix(column: str, design: Any) -> str:
    return "G-" if column == design.officer else "P-"


def pseudonymise_data(data: Any, columns: Sequence[str], key: bytes | None) -> Any:
    """A copy of ``data`` (:class:`~wamkit.design.read.StudyData`) with ``columns`` pseudonymised.

    Raises
    ------
    UsageError
        No key, a column that is not in the data, or the role or wave column (the
        analysis needs their values).
    """
    from wamkit.io.filters import parse_filters
    from wamkit.pseudonym import pseudonym, pseudonym_map

    columns = list(dict.fromkeys(columns))
    if not columns:
        return data
    if key is None:
        raise UsageError("pseudonymise needs key: a secret of at least 16 bytes (wamkit.pseudonym.load_key)")
    d = data.design
    for c in columns:
        if c not in data.frame.columns:
            raise UsageError(f"pseudonymise: {data.source} has no column '{c}'")
        if c in (d.role, d.wave):
            raise UsageError(
                f"pseudonymise: '{c}' is the {'role' if c == d.role else 'wave'} column; the analysis "
                "needs its values (pseudonymise identifier columns such as the dyad and officer)"
            )
    frame = data.frame.copy()
    for c in columns:
        mapping = pseudonym_map(frame[c], key, prefix=_prefix(c, d))
        frame[c] = frame[c].map(mapping).astype(object)
        frame[c] = frame[c].where(frame[c].notna(), None)
    filters, notes = list(data.filters), list(data.notes)
    for i, f in enumerate(parse_filters(filters)):
        if f.column not in columns or f.op not in ("=", "!="):
            continue
        new = dataclasses.replace(f, values=tuple(pseudonym(v, key, prefix=_prefix(f.column, d)) for v in f.values))
        filters[i] = new.text
        notes = [n.replace(f"where {f.text}:", f"where {new.text}:") for n in notes]
    return dataclasses.replace(data, frame=frame, filters=tuple(filters), notes=tuple(notes))
