"""Does the short form measure the same thing at every wave and for both raters? Invariance of the full
and the short form, side by side, with the measurement machinery of ``wamkit validate``.

* over the waves: one model per form over the waves the role's rows hold, one row per person
  (:func:`wamkit.measurement.designs.longitudinal`, as ``validate --longitudinal``);
* across the roles: the client's and the professional's forms in one model over dyads at the first
  wave (:func:`wamkit.measurement.designs.paired_roles`, as ``validate --across roles``), for the
  subscales both forms measure with the same items (the short form keeps the same items on both).

Each part needs what the data hold (two waves with a person column; both roles with a dyad column);
otherwise it is left out with a note. ML with listwise deletion, as ``validate``'s default.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from wamkit.instrument import Instrument

__all__ = ["form_invariance"]

STEP_KEYS: tuple[str, ...] = ("level", "chisq", "df", "cfi", "rmsea", "srmr", "chisq_diff", "df_diff")
STEP_KEYS += ("pvalue_diff", "delta_cfi", "delta_rmsea", "delta_srmr", "verdict")


def _summary(result: Any) -> dict[str, Any] | None:
    """The highest level, the verdict and one row per fitted step of an invariance result (None: not fitted)."""
    if result is None:
        return None
    steps = result.table()
    return {
        "highest_level": result.highest_level,
        "verdict": result.verdict,
        "steps": steps[[k for k in STEP_KEYS if k in steps.columns]].to_dict("records"),
    }


def _keyed(scored: pd.DataFrame, rows: np.ndarray, items: list[str]) -> pd.DataFrame:
    return scored.iloc[rows][[f"{i}_keyed" for i in items]].set_axis(items, axis=1).reset_index(drop=True)


def _factors(instrument: Instrument, kept: dict[str, list[str]]) -> tuple[dict[str, tuple], dict[str, tuple]]:
    full = {s.id: tuple(s.items) for s in instrument.subscales if s.id in kept and len(s.items) >= 2}
    short = {s: tuple(kept[s]) for s in full}
    return full, short


def _over_waves(data: Any, value: Any, instrument: Instrument, kept: dict, scored: pd.DataFrame, notes: list) -> Any:
    from wamkit.measurement.designs import longitudinal
    from wamkit.measurement.settings import ValidateSettings

    d = data.design
    rows = np.arange(len(data.frame)) if value is None else data.role_rows(value)
    frame = data.frame.iloc[rows].reset_index(drop=True)
    if d.wave is None or d.wave not in frame.columns or frame[d.wave].dropna().nunique() < 2:
        notes.append("invariance over waves: left out (the rows hold one wave; leave out where wave=... for it)")
        return None
    person = d.person_column
    if person is None or person not in frame.columns:
        notes.append("invariance over waves: left out (no person or dyad column pairs the waves)")
        return None
    order = d.ordered_waves(frame[d.wave].dropna())
    full, short = _factors(instrument, kept)
    keyed = _keyed(scored, rows, [i for its in full.values() for i in its])
    out: dict[str, Any] = {"occasions": order}
    for label, factors in (("full", full), ("short", short)):
        res = longitudinal(
            keyed, frame[person], frame[d.wave], factors, order, ValidateSettings(), notes, lambda s: None
        )
        out[label] = _summary(res)
    return out


def _role_structure(data: Any, value: Any, other: Any, kept: dict) -> dict[str, tuple[list, list]]:
    """Subscale id -> (full items, kept items) for the subscales both forms measure with the same items."""
    pairs = dict(data.design.pairs)
    if value != data.design.role_value("client"):
        pairs = {v: k for k, v in pairs.items()}
    theirs = {s.id: tuple(s.items) for s in data.instruments[other].subscales}
    out = {}
    for s in data.instruments[value].subscales:
        if s.id in kept and theirs.get(pairs.get(s.id, s.id)) == tuple(s.items) and len(s.items) >= 2:
            out[s.id] = (list(s.items), list(kept[s.id]))
    return out


def _across_roles(data: Any, value: Any, kept: dict, scored: pd.DataFrame, notes: list) -> Any:
    from wamkit.measurement.designs import paired_roles
    from wamkit.measurement.settings import ValidateSettings

    d = data.design
    roles = [d.role_value("client"), d.role_value("professional")]
    if value is None or d.dyad is None or any(r not in data.instruments or not data.role_rows(r).size for r in roles):
        notes.append("invariance across roles: left out (it needs both roles' rows and a dyad column)")
        return None
    other = roles[1] if value == roles[0] else roles[0]
    structure = _role_structure(data, value, other, kept)
    if not structure:
        notes.append("invariance across roles: left out (the two forms share no subscale with the same items)")
        return None
    first = None
    if d.wave is not None and d.wave in data.frame.columns:
        first = d.ordered_waves(data.frame[d.wave].dropna())[0]
    rows = {}
    for r in roles:
        rr = data.role_rows(r)
        if first is not None:
            rr = rr[(data.frame[d.wave].iloc[rr] == first).to_numpy(dtype=bool, na_value=False)]
        rows[r] = rr
    items = [i for full, _ in structure.values() for i in full]
    keyed = {r: _keyed(scored, rows[r], items) for r in roles}
    dyads = {r: data.frame[d.dyad].iloc[rows[r]].reset_index(drop=True) for r in roles}
    out: dict[str, Any] = {"roles": roles, "wave": first}
    for label, pick in (("full", 0), ("short", 1)):
        factors = {s: v[pick] for s, v in structure.items()}
        res = paired_roles(keyed, dyads, factors, roles, ValidateSettings(), notes, lambda s: None)
        out[label] = _summary(res)
    return out


def form_invariance(
    data: Any, value: Any, instrument: Instrument, kept: dict[str, list[str]], scored: pd.DataFrame
) -> tuple[dict[str, Any], list[str]]:
    """``({"waves": ..., "roles": ...}, notes)``: the full and the short form's invariance over the waves
    and across the roles (each None when the data cannot show it; the notes say why)."""
    notes: list[str] = []
    return {
        "waves": _over_waves(data, value, instrument, kept, scored, notes),
        "roles": _across_roles(data, value, kept, scored, notes),
    }, notes
