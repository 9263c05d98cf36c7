"""Invariance that follows the study design: over waves of the same clients, across the roles of a dyad.

*Longitudinal*: one model over the waves with a factor per subscale per wave and the same
item's residuals correlated across waves (``semTools::measEq.syntax(longFacNames = ...)``),
on one row per client (waves a client missed are missing under FIML).

*Across roles*: the client's and the professional's factors in one model over dyads, the
same item's residuals correlated across partners (the client and professional rows of one
dyad are paired, not independent groups).

Continuous items use ML (listwise or FIML, :mod:`wamkit.stats.sem.invariance`); with
``ordinal`` WLSMV with thresholds and Wu & Estabrook (2016) identification
(:mod:`wamkit.stats.ordinal_invariance`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from wamkit.errors import DataError, UsageError
from wamkit.io.cells import text_values
from wamkit.measurement.factors import fit_or_warn
from wamkit.measurement.settings import ValidateSettings

__all__ = ["across_roles", "group_structure", "longitudinal", "ordinal_groups"]


def group_structure(factors: dict[str, tuple[str, ...]]) -> dict[str, list[str]]:
    """The factors an invariance model can hold (at least two indicators each)."""
    return {f: list(its) for f, its in factors.items() if len(its) >= 2}


def _sequence(
    wide: pd.DataFrame,
    structure: dict[str, list[str]],
    occasions: list[str],
    columns: dict[tuple[str, str], str],
    settings: ValidateSettings,
    design: str,
) -> Any:
    kw: dict[str, Any] = {"partial": settings.partial}
    if settings.ordinal:
        from wamkit.stats.ordinal_invariance import longitudinal_ordinal_invariance

        data = wide.dropna(subset=list(columns.values()))
        return longitudinal_ordinal_invariance(data, structure, occasions, columns=columns, **kw)
    from wamkit.stats.sem.invariance import longitudinal_invariance

    return longitudinal_invariance(
        wide,
        structure,
        occasions,
        columns=columns,
        missing=settings.missing,
        levels=settings.levels,
        design=design,
        **kw,
    )


def _widen(frame: pd.DataFrame, ids: list[str], by: str, items: list[str]) -> tuple[pd.DataFrame, dict]:
    from wamkit.stats.sem.invariance import widen

    dup = frame.duplicated(subset=[*ids, by], keep=False)
    if dup.any():
        first = frame.loc[dup, [*ids, by]].iloc[0].tolist()
        raise DataError(
            f"{int(dup.sum())} rows share {' / '.join([*ids, by])} (e.g. {' / '.join(map(str, first))}); "
            "invariance over waves or roles needs one row per person and wave"
        )
    return widen(frame, id=ids, by=by, items=items)


def longitudinal(
    keyed: pd.DataFrame,
    person: pd.Series,
    wave: pd.Series,
    factors: dict[str, tuple[str, ...]],
    order: list[str],
    settings: ValidateSettings,
    warnings: list[str],
    step: Callable[[str], None],
) -> Any:
    """Configural -> metric -> scalar -> strict over ``order`` (waves), one row per person."""
    structure = group_structure(factors)
    items = [i for its in structure.values() for i in its]
    frame = keyed[items].assign(_person=person.to_numpy(), _wave=wave.to_numpy())
    frame = frame[frame["_person"].notna() & frame["_wave"].isin(order)]
    waves = [w for w in order if (frame["_wave"] == w).any()]
    if len(waves) < 2:
        raise UsageError(
            f"longitudinal invariance needs at least two waves; the rows hold {', '.join(waves) or 'none'}"
        )
    wide, cols = _widen(frame, ["_person"], "_wave", items)
    step(f"longitudinal invariance over {', '.join(waves)} ({len(wide)} persons)")
    return fit_or_warn(
        "longitudinal invariance", warnings, lambda: _sequence(wide, structure, waves, cols, settings, "occasions")
    )


def _paired_structure(client: Any, professional: Any, pairs: dict[str, str]) -> dict[str, list[str]]:
    """Subscales both forms measure with the same items (client id -> professional id by ``pairs``)."""
    prof = {s.id: tuple(s.items) for s in professional.subscales}
    out = {}
    for s in client.subscales:
        other = pairs.get(s.id, s.id)
        if other in prof and tuple(s.items) == prof[other] and len(s.items) >= 2:
            out[s.id] = list(s.items)
    if not out:
        raise UsageError(
            "the client and professional forms share no subscale with the same items; invariance "
            "across roles needs the same items on both forms (declare pairs in the study)"
        )
    return out


def across_roles(
    data: Any,
    keyed_by_role: dict[str, pd.DataFrame],
    settings: ValidateSettings,
    warnings: list[str],
    step: Callable[[str], None],
) -> Any:
    """Configural -> ... across the client and professional roles, one row per dyad (one wave)."""
    d = data.design
    if d.dyad is None or d.role is None:
        raise UsageError("invariance across roles needs the dyad and role columns (dyad=..., rater=...)")
    client, prof = d.role_value("client"), d.role_value("professional")
    if client not in keyed_by_role or prof not in keyed_by_role:
        raise UsageError("invariance across roles needs client and professional rows with their instruments")
    structure = _paired_structure(data.instruments[client], data.instruments[prof], dict(d.pairs))
    dyads = {role: data.frame[d.dyad].iloc[data.role_rows(role)] for role in keyed_by_role}
    return paired_roles(keyed_by_role, dyads, structure, [client, prof], settings, warnings, step)


def paired_roles(
    keyed_by_role: dict[str, pd.DataFrame],
    dyad_by_role: dict[str, pd.Series],
    structure: dict[str, list[str]],
    roles: list[str],
    settings: ValidateSettings,
    warnings: list[str],
    step: Callable[[str], None],
) -> Any:
    """Configural -> ... across ``roles`` with the partners of a dyad paired: each role's keyed items and
    the dyad id of each of its rows (aligned), one row per dyad and role."""
    items = [i for its in structure.values() for i in its]
    parts = [keyed_by_role[role][items].assign(_dyad=dyad_by_role[role].to_numpy(), _role=role) for role in roles]
    frame = pd.concat(parts, ignore_index=True)
    frame = frame[frame["_dyad"].notna()]
    wide, cols = _widen(frame, ["_dyad"], "_role", items)
    step(f"invariance across roles ({len(wide)} dyads)")
    return fit_or_warn(
        "invariance across roles", warnings, lambda: _sequence(wide, structure, roles, cols, settings, "roles")
    )


def ordinal_groups(
    items: pd.DataFrame,
    groups: pd.Series,
    factors: dict[str, tuple[str, ...]],
    settings: ValidateSettings,
    warnings: list[str],
    step: Callable[[str], None],
) -> Any:
    """Multi-group ordinal invariance (WLSMV, thresholds; Wu & Estabrook 2016); blank groups left out."""
    from wamkit.stats.ordinal_invariance import ordinal_invariance

    g = text_values(groups)  # blank values are missing, never a group
    keep = g.notna().to_numpy()
    if (~keep).any():
        warnings.append(f"ordinal invariance: {int((~keep).sum())} rows with a blank {settings.group!r} are left out")
    structure = group_structure(factors)
    cols = [i for its in structure.values() for i in its]
    data = items.loc[keep, cols].assign(__group__=g[keep].to_numpy())
    complete = data.dropna()
    if len(complete) < len(data):
        warnings.append(
            f"ordinal invariance: {len(data) - len(complete)} rows with a missing item are left out "
            "(listwise, lavaan's WLSMV default)"
        )
    if complete["__group__"].nunique() < 2:
        raise DataError(f"group {settings.group!r}: needs at least two groups with complete rows")
    step(f"ordinal measurement invariance by {settings.group}")
    return fit_or_warn(
        "ordinal invariance",
        warnings,
        lambda: ordinal_invariance(complete.reset_index(drop=True), structure, "__group__", partial=settings.partial),
    )
