"""Nesting of clients in officers: ICC(1), ICC(2) and design effect on the right unit.

The unit is one row per person (client) per wave: a client rated at two waves counts
once per wave, never twice in one ICC, and ICCs are reported per wave with the number of
clients per officer (mean and range). Blank officer cells are missing (counted), never a
group of their own. Each ICC is ``psych::statsBy(data, group)$ICC1``/``$ICC2`` on those rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from wamkit.errors import DataError
from wamkit.io.cells import text_values

__all__ = ["nesting"]

DEFF_NOTE = {
    True: "nesting matters: design effect above 2 (analyse with cluster-robust SEs or multilevel models)",
    False: "design effect below 2",
}


def _person_rows(scores: pd.DataFrame, officer: pd.Series, person: pd.Series | None) -> tuple[pd.DataFrame, int]:
    """One row per person (scores averaged over a person's rows; their officer must be one)."""
    frame = scores.assign(_officer=officer.to_numpy())
    if person is None:
        return frame, 0
    frame["_person"] = person.to_numpy()
    repeated = int(frame["_person"].duplicated().sum())
    if not repeated:
        return frame.drop(columns="_person"), 0
    officers = frame.groupby("_person")["_officer"].nunique(dropna=True)
    if (officers > 1).any():
        p = officers.index[officers > 1][0]
        raise DataError(
            f"person {p!r} has rows with different officers in one wave; nesting needs one officer per client and wave"
        )
    agg = frame.groupby("_person", sort=False).agg({**{c: "mean" for c in scores.columns}, "_officer": "first"})
    return agg.reset_index(drop=True), repeated


def _one_wave(scores: pd.DataFrame, officer: pd.Series, person: pd.Series | None, factors: list[str]) -> dict[str, Any]:
    from wamkit.stats.icc import cluster_icc

    rows, repeated = _person_rows(scores, officer, person)
    blank = int(rows["_officer"].isna().sum())
    rows = rows[rows["_officer"].notna()]
    sizes = rows.groupby("_officer").size()
    out: dict[str, Any] = {
        "clients": int(len(rows)),
        "officers": int(sizes.size),
        "blank_officer": blank,
        "rows_merged": repeated,
        "clients_per_officer": {
            "mean": float(sizes.mean()) if sizes.size else None,
            "min": int(sizes.min()) if sizes.size else None,
            "max": int(sizes.max()) if sizes.size else None,
        },
        "subscales": {},
    }
    g = rows["_officer"].astype("string").to_numpy()
    for name in factors:
        try:
            d = cluster_icc(rows[name].to_numpy(dtype=float), g).to_dict()
        except DataError as e:
            out["subscales"][name] = {"note": f"not computed: {e.message}"}
            continue
        d["note"] = DEFF_NOTE[bool(d.get("design_effect", 0) > 2)]
        out["subscales"][name] = d
    return out


def nesting(
    scores: pd.DataFrame,
    factors: list[str],
    *,
    officer: pd.Series,
    officer_name: str,
    person: pd.Series | None = None,
    wave: pd.Series | None = None,
) -> dict[str, Any]:
    """ICCs of the subscale ``scores`` of clients nested in officers, per wave, one row per client.

    ``officer``, ``person`` and ``wave`` are aligned with ``scores``; blank officers are left out
    and counted; a client with several rows in one wave (several dyads) is averaged and counted.
    """
    officer = text_values(officer)  # blank values are missing, never a group
    waves = ["all"] if wave is None else [w for w in dict.fromkeys(wave.tolist()) if w is not None and w == w]
    out: dict[str, Any] = {"cluster": officer_name, "unit": "one row per client per wave", "waves": {}}
    for w in waves:
        sel = np.ones(len(scores), dtype=bool) if wave is None else (wave == w).to_numpy(dtype=bool)
        out["waves"][str(w)] = _one_wave(
            scores.loc[sel].reset_index(drop=True),
            officer[sel].reset_index(drop=True),
            None if person is None else person[sel].reset_index(drop=True),
            factors,
        )
    return out
