"""Caseload summaries per officer (or team) with small-cell suppression.

A group's figures are shown only when at least ``min_cell`` clients are behind them; below
that the counts and statistics are missing (``suppressed`` true), so no summary can single
out a client of a small caseload. A dyad has one row per rater and wave (duplicates are
refused earlier), so the number of scores in a cell is its number of clients. Quantiles
as R's ``quantile(type = 7)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["CASELOAD_ALERT_COLUMNS", "CASELOAD_SCORE_COLUMNS", "caseload_alerts", "caseload_scores"]

CASELOAD_SCORE_COLUMNS = [
    "group",
    "wave",
    "rater",
    "subscale",
    "n_clients",
    "suppressed",
    "mean",
    "sd",
    "p25",
    "median",
    "p75",
]
CASELOAD_ALERT_COLUMNS = ["group", "wave", "n_clients", "suppressed", "n_clients_with_alerts", "n_alerts"]


def _order(values: pd.Series, order: Sequence[Any]) -> pd.Series:
    pos = {v: i for i, v in enumerate(order)}
    return values.map(pos).fillna(len(pos))


def caseload_scores(
    long: pd.DataFrame, scores: Sequence[str], min_cell: int, wave_order: Sequence[Any]
) -> pd.DataFrame:
    """Score distribution per group × wave × rater × score (:data:`CASELOAD_SCORE_COLUMNS`).

    ``long`` has ``group, wave, rater, dyad`` and the ``scores`` columns; rows without a
    group are left out. Groups appear in order of appearance, waves in ``wave_order``.
    """
    keep = long[long["group"].notna()]
    melted = keep.melt(id_vars=["group", "wave", "rater"], value_vars=list(scores), var_name="subscale", value_name="x")
    melted = melted[np.isfinite(melted["x"].to_numpy(dtype=float))]
    grp = melted.groupby(["group", "wave", "rater", "subscale"], sort=False, dropna=False)["x"]
    stats = grp.agg(["count", "mean", "std"])
    # one aggregation per quantile: with no score at all, quantile([...]).unstack() has no columns
    q = pd.DataFrame({qq: grp.quantile(qq) for qq in (0.25, 0.5, 0.75)}, index=stats.index)
    stats = stats.join(q).reset_index()
    stats = stats.assign(
        _g=_order(stats["group"], list(pd.unique(keep["group"]))),
        _w=_order(stats["wave"], wave_order),
        _r=(stats["rater"] != "client").astype(int),
        _s=_order(stats["subscale"], scores),
    ).sort_values(["_g", "_w", "_r", "_s"], kind="stable")
    n = stats["count"].to_numpy(dtype=np.int64)
    sup = n < min_cell
    out = pd.DataFrame(
        {
            "group": stats["group"].to_numpy(),
            "wave": stats["wave"].to_numpy(),
            "rater": stats["rater"].to_numpy(),
            "subscale": stats["subscale"].to_numpy(),
            "n_clients": pd.array(n, dtype="Int64"),
            "suppressed": sup,
            "mean": stats["mean"].to_numpy(dtype=float),
            "sd": stats["std"].to_numpy(dtype=float),
            "p25": stats[0.25].to_numpy(dtype=float),
            "median": stats[0.5].to_numpy(dtype=float),
            "p75": stats[0.75].to_numpy(dtype=float),
        },
        columns=CASELOAD_SCORE_COLUMNS,
    )
    out.loc[sup, "n_clients"] = pd.NA
    out.loc[sup, ["mean", "sd", "p25", "median", "p75"]] = np.nan
    return out.reset_index(drop=True)


def caseload_alerts(long: pd.DataFrame, alerts: pd.DataFrame, min_cell: int, wave_order: Sequence[Any]) -> pd.DataFrame:
    """Clients, clients with alerts and alerts per group × wave (:data:`CASELOAD_ALERT_COLUMNS`).

    An alert counts in the group the dyad was last seen in (a missing follow-up has no row
    of its own).
    """
    rated = long.loc[long["group"].notna(), ["group", "wave", "dyad"]]
    if len(alerts):
        a = alerts[["dyad", "wave"]].merge(
            rated[["dyad", "group"]].drop_duplicates("dyad", keep="last"), on="dyad", how="inner"
        )
        cnt = a.groupby(["group", "wave"], sort=False, dropna=False).agg(
            n_alerts=("dyad", "size"), n_with=("dyad", "nunique")
        )
        members = pd.concat([rated, a[["group", "wave", "dyad"]]], ignore_index=True)
        per = members.groupby(["group", "wave"], sort=False, dropna=False)["dyad"].nunique().rename("n").reset_index()
        per = per.merge(cnt.reset_index(), on=["group", "wave"], how="left")
    else:
        per = rated.groupby(["group", "wave"], sort=False, dropna=False)["dyad"].nunique().rename("n").reset_index()
        per = per.assign(n_alerts=0, n_with=0)
    per = per.assign(
        _g=_order(per["group"], list(pd.unique(rated["group"]))), _w=_order(per["wave"], wave_order)
    ).sort_values(["_g", "_w"], kind="stable")
    n = per["n"].to_numpy(dtype=np.int64)
    sup = n < min_cell

    def counts(x: Any) -> Any:
        arr = pd.array(np.nan_to_num(np.asarray(x, dtype=float)).astype(np.int64), dtype="Int64")
        arr[sup] = pd.NA
        return arr

    return pd.DataFrame(
        {
            "group": per["group"].to_numpy(),
            "wave": per["wave"].to_numpy(),
            "n_clients": counts(n),
            "suppressed": sup,
            "n_clients_with_alerts": counts(per["n_with"]),
            "n_alerts": counts(per["n_alerts"]),
        },
        columns=CASELOAD_ALERT_COLUMNS,
    ).reset_index(drop=True)
