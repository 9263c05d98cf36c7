"""Reshaping read data for ``wamkit reshape`` (long <-> wide)."""

from __future__ import annotations

import pandas as pd

from wamkit.design.layout import long_to_wide
from wamkit.design.read import StudyData
from wamkit.errors import UsageError

__all__ = ["reshape_data"]

DEFAULT_PATTERN = "{role}_{wave}_{item}"


def reshape_data(data: StudyData, *, to: str, pattern: str | None = None) -> pd.DataFrame:
    """``data`` in the long layout (as read) or the wide one (one row per dyad, items spread by ``pattern``)."""
    if to == "long":
        return data.frame
    d = data.design
    if d.dyad is None:
        raise UsageError("a wide layout needs the dyad column (dyad=..., or ids.dyad in the study)")
    pattern = pattern or data.study.wide_pattern or DEFAULT_PATTERN
    items: list[str] = []
    from wamkit.scoring import resolve_columns

    for ins in data.instruments.values():
        items += [c for c in resolve_columns(ins).values() if c not in items]
    labels = {r.value: r.label for r in d.roles}
    return long_to_wide(
        data.frame,
        pattern=pattern,
        id_column=d.dyad,
        role_column=d.role,
        role_labels=labels,
        wave_column=d.wave,
        waves=d.ordered_waves(data.frame[d.wave].dropna()) if d.wave else [],
        columns=items,
    )
