"""Cox models with the alliance as a time-varying covariate.

Each key's ratings at the waves (from the event's origin wave on, at the waves' months) become
counting-process ``(start, stop]`` rows (:func:`wamkit.stats.survival.counting_process`: a rating
holds from its wave until the next; a missing rating carries the last one forward), and
``cox(start=...)`` fits ``coxph(Surv(start, stop, event) ~ x + covariates, cluster = officer)``
(cluster = the key when there is no officer column, so a key's intervals are not independent).
One model per event x rater x predictor; rows have ``time_varying`` true and no wave.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from wamkit.design.study import DAYS_PER_MONTH, TIME_UNITS_PER_DAY
from wamkit.errors import DataError, UsageError
from wamkit.outcomes.design import CLUSTER, AnalysisData
from wamkit.outcomes.models import model_rows
from wamkit.outcomes.spec import AnalysisSpec
from wamkit.stats import models as mdl
from wamkit.stats.survival import counting_process

__all__ = ["time_varying_models"]

ID = "\x00id"


def _waves(spec: AnalysisSpec, ad: AnalysisData, event: str) -> list[str]:
    if spec.months is None:
        raise UsageError(
            "time_varying needs the months of the waves (waves.months in the study file, or wave_months=...)"
        )
    origin = spec.events[event].origin_wave or (ad.wave_order[0] if ad.wave_order else None)
    if origin is None or origin not in spec.months:
        raise UsageError(f"time_varying: the months of the origin wave '{origin}' of {event} are unknown")
    return [w for w in ad.wave_order if w in spec.months and spec.months[w] >= spec.months[origin]]


def _wide(ad: AnalysisData, spec: AnalysisSpec, rater: str | None, p: str, waves: Sequence[str]) -> pd.DataFrame:
    """One row per key: its ratings of ``p`` per wave (``p@wave``) and the key's outcome, covariates, officer."""
    n = ad.n_rows
    base = np.ones(n, dtype=bool) if rater is None or ad.rater is None else ad.rater[:n] == rater
    assert ad.wave is not None
    long = pd.DataFrame({"key": ad.keys[:n][base], "wave": ad.wave[:n][base], "x": ad.num[p][:n][base]})
    if long.duplicated(["key", "wave"]).any():
        raise DataError("several rows per key and wave")
    wide = long.pivot(index="key", columns="wave", values="x").reindex(columns=list(waves))
    first = pd.Series(np.flatnonzero(base)).groupby(ad.keys[:n][base]).first()
    out = pd.DataFrame({ID: wide.index.to_numpy()})
    for w in waves:
        out[f"{p}@{w}"] = wide[w].to_numpy(dtype=float)
    idx = first.reindex(wide.index).to_numpy()
    for c, v in ad.num.items():
        if c not in ad.predictors:
            out[c] = v[idx]
    if ad.cluster is not None:
        out[CLUSTER] = ad.cluster[idx]
    return out


def _one(
    spec: AnalysisSpec,
    ad: AnalysisData,
    o: str,
    rater: str | None,
    p: str,
    waves: Sequence[str],
    carried: dict[str, int],
) -> tuple[list[dict], list[str]]:
    assert spec.months is not None
    ev = spec.events[o]
    y, time = ad.outcome[o], ad.time[o]
    wide = _wide(ad, spec, rater, p, waves)
    origin = spec.months[waves[0]]
    keep = [c for c in spec.covariates] + ([CLUSTER] if CLUSTER in wide else [])
    cp = counting_process(
        wide,
        id=ID,
        time=time,
        event=y,
        predictors={p: [f"{p}@{w}" for w in waves]},
        wave_months=[spec.months[w] - origin for w in waves],
        time_per_month=DAYS_PER_MONTH * TIME_UNITS_PER_DAY[ev.unit],
        keep=keep,
        start_name="\x00start",
        stop_name="\x00stop",
        wave_name="\x00wave",
    )
    fit = mdl.cox(
        cp.data,
        "\x00stop",
        y,
        [p, *spec.covariates],
        start="\x00start",
        cluster=CLUSTER if CLUSTER in wide else ID,
        per_sd=spec.settings.per_sd,
        ci_level=spec.settings.ci_level,
    )
    label = f"time-varying cox {o} ~ {p}" + (f" [rater={rater}]" if rater else "")
    warns = [f"{label}: {w}" for w in fit.warnings]
    dropped = cp.n_dropped_missing + cp.n_dropped_before_first_wave
    if dropped:
        warns.append(f"{label}: {dropped} keys without follow-up after {waves[0]} left out")
    carried[p] = cp.n_carried_forward[p]
    base = {
        "outcome": o,
        "model": "cox",
        "rater": rater,
        "wave": None,
        "predictor": p,
        "landmark_days": np.nan,
        "n_excluded_before_landmark": None,
        "time_varying": True,
    }
    return model_rows(fit, base, [p], ["predictor"], spec), warns


def time_varying_models(spec: AnalysisSpec, ad: AnalysisData) -> tuple[list[dict], list[str]]:
    """Model rows (``time_varying`` true) and warnings for every event x rater x predictor."""
    if not spec.events:
        raise UsageError("time_varying needs an event (event=NAME:TIME_COLUMN or outcomes.events)")
    if ad.wave is None:
        raise UsageError(f"time_varying needs the wave column ('{spec.wave or 'wave'}')")
    rows: list[dict] = []
    warns: list[str] = []
    raters = [r for r in ad.rater_order if r != ad.discrepancy_label] if spec.split_rater else [None]
    for o in spec.events:
        waves = _waves(spec, ad, o)
        if len(waves) < 2:
            warns.append(f"time-varying cox {o}: fewer than two waves from the origin on; not fitted")
            continue
        carried: dict[str, int] = {}
        for r in raters:
            n = ad.n_rows
            rows_r = np.ones(n, dtype=bool) if r is None or ad.rater is None else ad.rater[:n] == r
            for p in (p for p in spec.predictors if np.isfinite(ad.num[p][:n][rows_r]).any()):
                try:
                    r_rows, r_warns = _one(spec, ad, o, r, p, waves, carried)
                except DataError as e:
                    who = f" [rater={r}]" if r else ""
                    warns.append(f"time-varying cox {o} ~ {p}{who}: not fitted: {e.message}")
                    continue
                rows += r_rows
                warns += r_warns
        if any(carried.values()):
            warns.append(
                f"time-varying cox {o}: a missing rating carries the last one forward "
                f"({min(carried.values())}-{max(carried.values())} intervals per predictor)"
            )
    return rows, warns
