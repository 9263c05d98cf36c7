"""Measurement invariance across groups (``validate`` with ``group``), and the checks that keep it honest.

Multi-group invariance assumes the groups are independent samples. A column the design
says is a repeated measure (the wave: the same clients at each wave) or a paired role (the
client and the professional of one dyad) is refused with a message naming the right
analysis: longitudinal invariance, or invariance across roles within dyads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from wamkit.errors import DataError, UsageError
from wamkit.io.cells import text_values
from wamkit.measurement.factors import fit_or_warn
from wamkit.measurement.settings import ValidateSettings

__all__ = ["check_group_column", "group_invariance"]


def check_group_column(group: str, design: Any, frame: pd.DataFrame) -> str | None:
    """Refuse a group column that holds repeated or paired measurements; return a note when pairing is unknown."""
    if design is None:
        return None
    if design.wave is not None and group == design.wave:
        raise UsageError(
            f"group={group!r} is the wave column: the same clients are measured at each wave, so the "
            "waves are not independent groups; use longitudinal invariance (longitudinal=True) instead"
        )
    if design.role is not None and group == design.role:
        if design.dyad is not None:
            raise UsageError(
                f"group={group!r} is the role column: the client and the professional of a dyad rate "
                "the same relationship, so the roles are not independent groups; use invariance across "
                "roles within dyads (across='roles') instead"
            )
        return (
            f"group={group!r} treats the roles as independent groups (no dyad column is known, so the pairing "
            "of client and professional rows cannot be used)"
        )
    return None


def require_two_groups(groups: pd.Series, settings: ValidateSettings) -> None:
    """Raise unless ``groups`` holds at least two non-blank values (checked before any model is fitted)."""
    levels = text_values(groups).nunique()
    if levels < 2:
        raise DataError(f"group {settings.group!r}: needs at least two groups, found {levels}")


def group_invariance(
    items: pd.DataFrame,
    groups: pd.Series,
    model_text: str,
    settings: ValidateSettings,
    warnings: list[str],
    step: Callable[[str], None],
) -> Any:
    """Configural -> metric -> scalar -> strict across ``groups`` (blank group values left out and counted)."""
    from wamkit.stats.invariance import invariance_sequence

    g = text_values(groups)  # blank values are missing, never a group
    blank = int(g.isna().sum())
    if blank:
        warnings.append(f"invariance: {blank} rows with a blank {settings.group!r} are left out")
    keep = g.notna().to_numpy()
    gdata = items.loc[keep].copy()
    gdata["__group__"] = g[keep].to_numpy()
    require_two_groups(g, settings)
    step(f"measurement invariance by {settings.group}")
    return fit_or_warn(
        "invariance",
        warnings,
        lambda: invariance_sequence(gdata, model_text, "__group__", levels=settings.levels, missing=settings.missing),
    )
