"""``wamkit study check``: does the study file fit its data, and what is the design?

:func:`check_study` reads the data through the one read path (so every column the
study names must exist, every declared role and wave must occur, and every row must
belong to a role), scores every row (invalid cells are counted, not fatal), reads the
outcomes file and joins it, and describes the design: dyads, persons per wave and
role, officers and clients per officer, wave completeness, outcome join counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from wamkit.design.read import StudyData, join_check, read, read_outcomes, score_data
from wamkit.design.study import Study
from wamkit.results import Result, to_jsonable

__all__ = ["StudyCheck", "check_study", "describe_design"]


@dataclass(frozen=True)
class StudyCheck(Result):
    """The design of a study as found in its data (see :func:`check_study`).

    ``persons``: one row per wave × role with the number of persons (clients) and rows;
    ``completeness``: one row per role × wave pattern (e.g. ``T0+T1``) with the number of persons;
    ``officers``: number of officers and clients per officer (mean, min, max) per wave.
    """

    study: str
    source: str
    layout: str
    rows_read: int
    rows: int
    dyads: int | None
    persons: pd.DataFrame
    completeness: pd.DataFrame
    officers: pd.DataFrame
    outcomes: dict[str, Any] | None
    invalid_cells: int
    notes: tuple[str, ...] = ()
    document_builder = "wamkit.render.reports.design:study_check_document"

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(
            {
                "study": self.study,
                "source": self.source,
                "layout": self.layout,
                "rows_read": self.rows_read,
                "rows": self.rows,
                "dyads": self.dyads,
                "persons": self.persons,
                "completeness": self.completeness,
                "officers": self.officers,
                "outcomes": self.outcomes,
                "invalid_cells": self.invalid_cells,
                "notes": list(self.notes),
            }
        )

    def to_frames(self) -> dict[str, pd.DataFrame]:
        return {"persons": self.persons, "completeness": self.completeness, "officers": self.officers}


def _persons(data: StudyData) -> pd.DataFrame:
    d, f = data.design, data.frame
    person = d.person_column
    keys = [c for c in (d.wave, d.role) if c is not None]
    if not keys:
        return pd.DataFrame({"rows": [len(f)], "persons": [f[person].nunique() if person else np.nan]})
    g = f.groupby(keys, sort=False, dropna=False)
    out = g.size().rename("rows").to_frame()
    if person is not None:
        out["persons"] = g[person].nunique()
    out = out.reset_index()
    if d.wave is not None:
        rank = {w: i for i, w in enumerate(d.ordered_waves(f[d.wave].dropna()))}
        out = out.sort_values(by=d.wave, key=lambda s: s.map(rank), kind="stable")
    return out.rename(columns={d.wave or "": "wave", d.role or "": "role"}).reset_index(drop=True)


def _completeness(data: StudyData) -> pd.DataFrame:
    d, f = data.design, data.frame
    person = d.person_column
    if person is None or d.wave is None:
        return pd.DataFrame(columns=["role", "waves", "persons"])
    order = d.ordered_waves(f[d.wave].dropna())
    roles = f[d.role] if d.role is not None else pd.Series("all", index=f.index)
    rows = []
    for role, sub in f.groupby(roles, sort=False):
        pattern = sub.groupby(person)[d.wave].agg(lambda s: "+".join(w for w in order if w in set(s)))
        for waves, n in pattern.value_counts().items():
            rows.append({"role": role, "waves": waves, "persons": int(n)})
    return pd.DataFrame(rows, columns=["role", "waves", "persons"])


def _officers(data: StudyData) -> pd.DataFrame:
    d, f = data.design, data.frame
    person = d.person_column
    if d.officer is None or person is None:
        return pd.DataFrame(columns=["wave", "officers", "clients_mean", "clients_min", "clients_max"])
    by = [f[d.wave]] if d.wave is not None else [pd.Series("all", index=f.index)]
    rows = []
    for wave, sub in f.groupby(by, sort=False):
        sizes = sub.dropna(subset=[d.officer]).groupby(d.officer)[person].nunique()
        rows.append(
            {
                "wave": wave[0] if isinstance(wave, tuple) else wave,
                "officers": int(sizes.size),
                "clients_mean": float(sizes.mean()) if sizes.size else np.nan,
                "clients_min": int(sizes.min()) if sizes.size else 0,
                "clients_max": int(sizes.max()) if sizes.size else 0,
                "blank_officer_rows": int(sub[d.officer].isna().sum()),
            }
        )
    return pd.DataFrame(rows)


def _outcomes(data: StudyData) -> dict[str, Any] | None:
    study = data.study
    if study.outcomes is None:
        return None
    frame, table, keys = read_outcomes(data)
    spec = study.outcomes
    for name in spec.variables:
        if name not in frame.columns:
            raise study.error(f"column '{name}' is not in {table.source}", "outcomes", "variables", name)
    for name, ev in spec.events.items():
        for col, key in ((ev.event, "event"), (ev.time, "time")):
            if col not in frame.columns:
                raise study.error(f"column '{col}' is not in {table.source}", "outcomes", "events", name, key)
    for i, c in enumerate(study.design.covariates):
        if c not in frame.columns and c not in data.frame.columns:
            raise study.error(f"column '{c}' is in neither {data.source} nor {table.source}", "covariates", i)
    joined = join_check(data, frame, keys)
    if joined == 0:
        raise study.error(
            f"no row of {data.source} finds its key in {table.source} "
            f"(data keys e.g. {', '.join(map(str, data.frame[list(keys)[0]].dropna().unique()[:3]))}; "
            f"outcomes keys e.g. {', '.join(map(str, frame[list(keys)[0]].dropna().unique()[:3]))})",
            "outcomes",
            "on",
        )
    data_keys = data.frame[list(keys)].astype("string").drop_duplicates()
    out_keys = frame[list(keys)].astype("string")
    merged = data_keys.merge(out_keys.drop_duplicates(), how="outer", indicator=True)
    return {
        "file": table.source,
        "on": keys,
        "rows": len(frame),
        "data_rows_joined": joined,
        "data_rows": len(data.frame),
        "keys_joined": int((merged["_merge"] == "both").sum()),
        "data_keys_without_outcomes": int((merged["_merge"] == "left_only").sum()),
        "outcome_rows_without_data": int((merged["_merge"] == "right_only").sum()),
        "variables": dict(spec.variables),
        "events": {k: v.time for k, v in spec.events.items()},
    }


def describe_design(data: StudyData) -> dict[str, pd.DataFrame]:
    """Persons per wave × role, wave completeness and clients per officer of read data."""
    return {"persons": _persons(data), "completeness": _completeness(data), "officers": _officers(data)}


def check_study(study: Study | str, **settings: Any) -> StudyCheck:
    """Validate a study against its data and describe the design (raises a one-line error naming the
    study file's key on the first thing that does not fit)."""
    data = read(study=study, **settings)
    scored = score_data(data, invalid="missing")
    parts = describe_design(data)
    d = data.design
    return StudyCheck(
        study=data.study.id,
        source=data.source,
        layout=data.study.layout,
        rows_read=data.rows_read,
        rows=len(data.frame),
        dyads=int(data.frame[d.dyad].nunique()) if d.dyad else None,
        persons=parts["persons"],
        completeness=parts["completeness"],
        officers=parts["officers"],
        outcomes=_outcomes(data),
        invalid_cells=scored.n_invalid,
        notes=data.notes,
    )
