"""Step 1: what to model -- outcomes with their types and models, events with their time columns
and origin wave, predictors, covariates and the rater/wave splits.

Built from :class:`~wamkit.outcomes.settings.OutcomeSettings`, the study's ``outcomes:`` block
and the data (:class:`DataContext`), and checked against the outcomes table: a declared type must
fit the values (first bad row named), an undeclared one is inferred (only 0/1 -> binary,
non-negative whole numbers -> count, else continuous).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from wamkit.design.read import number_values
from wamkit.design.study import Design, Study
from wamkit.errors import DataError, UsageError
from wamkit.io.cells import row_numbers
from wamkit.outcomes.settings import EventVar, OutcomeSettings, OutcomeVar, month_map

__all__ = ["MODELS_FOR", "AnalysisSpec", "DataContext", "bad_value", "build_spec"]

#: models fitted per outcome type (keys of :data:`wamkit.outcomes.models.REGISTRY`)
MODELS_FOR = {
    "binary": ("logistic",),
    "count": ("poisson", "negative_binomial"),
    "continuous": ("ols",),
    "event": ("cox",),
}

NO_OUTCOMES = (
    "no outcomes named: nothing is modelled by default. Name them with outcome=NAME[:binary|count|"
    "continuous] and/or event=NAME:TIME_COLUMN[:ORIGIN_WAVE], or declare outcomes.variables / "
    "outcomes.events in the study file"
)


@dataclass(frozen=True)
class DataContext:
    """The scores to analyse and what is known about them.

    ``frame`` holds one row per data row (score columns numeric, design columns text); ``rows``
    the 1-based rows of the source file (for messages); ``score_ids``/``totals`` the instruments'
    scores (empty for a scores table); ``centers`` the scale midpoint of each score id.
    """

    frame: pd.DataFrame
    rows: np.ndarray
    source: str
    design: Design
    study: Study | None = None
    score_ids: tuple[str, ...] = ()
    totals: tuple[str, ...] = ()
    rater_order: tuple[str, ...] = ()
    centers: Mapping[str, float] = field(default_factory=dict)
    decimal_comma: bool = False


@dataclass(frozen=True)
class AnalysisSpec:
    """What the analysis models (see the module docstring); built by :func:`build_spec`."""

    on: tuple[str, ...]
    outcomes: tuple[str, ...]
    columns: Mapping[str, str]
    types: Mapping[str, str]
    models: Mapping[str, tuple[str, ...]]
    events: Mapping[str, EventVar]
    predictors: tuple[str, ...]
    totals: tuple[str, ...]
    covariates: tuple[str, ...]
    rater: str | None
    wave: str | None
    officer: str | None
    split_rater: bool
    split_wave: bool
    months: Mapping[str, float] | None
    settings: OutcomeSettings
    explicit_predictors: bool = False

    @property
    def outcome_columns(self) -> set[str]:
        """Columns taken from the outcomes table: outcomes, event indicators and times."""
        return set(self.columns.values()) | {e.time for e in self.events.values()}


def bad_value(
    col: pd.Series, rows: np.ndarray, source: str, name: str, what: str, ok: np.ndarray | None = None
) -> DataError:
    """DataError naming the first row whose value is not a number (or fails ``ok``)."""
    s = col.astype("string").str.strip()
    s = s.mask(s == "")
    if ok is None:
        num = pd.to_numeric(s.str.replace(",", ".", regex=False), errors="coerce")
        bad = np.flatnonzero((num.isna() & s.notna()).to_numpy(dtype=bool, na_value=False))
    else:
        bad = np.flatnonzero(~np.asarray(ok, dtype=bool))
    i = int(bad[0]) if bad.size else 0
    raw = col.iloc[i]
    raw = raw.item() if hasattr(raw, "item") else raw
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    shown = repr(raw)
    if isinstance(raw, str):
        try:
            float(raw.strip().replace(",", "."))
            shown = raw.strip()  # a number written as text: show it as a number
        except ValueError:
            pass
    return DataError(
        f"{source}, row {rows[i]}, column {name}: value {shown} {what}"
        + (f" ({bad.size} rows)" if bad.size > 1 else "")
    )


def _named(settings: OutcomeSettings, study: Study | None) -> tuple[list[OutcomeVar], list[EventVar]]:
    """Outcomes and events: the settings' when any is given, else the study's, else an error."""
    outs, events = list(settings.outcome_vars), list(settings.event_vars)
    if not outs and not events and study is not None and study.outcomes is not None:
        spec = study.outcomes
        outs = [OutcomeVar(n, t) for n, t in spec.variables.items()]
        events = [
            EventVar(name=e.name, time=e.time, event=e.event, origin_wave=e.origin_wave, unit=e.unit)
            for e in spec.events.values()
        ]
    if not outs and not events:
        raise UsageError(NO_OUTCOMES)
    return outs, events


def _column(frame: pd.DataFrame, name: str, source: str, role: str) -> None:
    if name not in frame.columns:
        raise UsageError(
            f"{role} {name}: {source} has no column '{name}' (columns: {', '.join(map(str, frame.columns[:15]))})"
        )


def _outcome_type(
    col: pd.Series, rows: np.ndarray, source: str, name: str, declared: str | None, decimal_comma: bool
) -> str:
    v = number_values(col, decimal_comma)
    if v is None:
        raise bad_value(col, rows, source, name, "is not a number (outcomes must be numeric)")
    a = v.to_numpy(dtype=float)
    fin = np.isfinite(a)
    if not fin.any():
        raise DataError(f"{source}, column {name}: the outcome has no values")
    is01 = np.isin(a, (0.0, 1.0)) | ~fin
    iscount = ((a >= 0) & (a == np.round(a))) | ~fin
    if declared == "binary" and not is01.all():
        raise bad_value(col, rows, source, name, "is not 0 or 1 (declared binary)", ok=is01)
    if declared == "count" and not iscount.all():
        raise bad_value(col, rows, source, name, "is not a non-negative whole number (declared count)", ok=iscount)
    return declared or ("binary" if is01.all() else "count" if iscount.all() else "continuous")


def _check_event(outcomes: pd.DataFrame, rows: np.ndarray, source: str, ev: EventVar, decimal_comma: bool) -> list[str]:
    for c, role in ((ev.column, "event"), (ev.time, "event time")):
        _column(outcomes, c, source, role)
    e = number_values(outcomes[ev.column], decimal_comma)
    if e is None:
        raise bad_value(outcomes[ev.column], rows, source, ev.column, "is not a number (events must be 0/1)")
    ea = e.to_numpy(dtype=float)
    ok01 = np.isin(ea, (0.0, 1.0)) | np.isnan(ea)
    if not ok01.all():
        raise bad_value(outcomes[ev.column], rows, source, ev.column, "is not 0 or 1 (event indicator)", ok=ok01)
    t = number_values(outcomes[ev.time], decimal_comma)
    if t is None:
        raise bad_value(outcomes[ev.time], rows, source, ev.time, "is not a number (event times must be numeric)")
    ta = t.to_numpy(dtype=float)
    okt = ~(ta < 0)
    if not okt.all():
        raise bad_value(outcomes[ev.time], rows, source, ev.time, "is negative (event times must be >= 0)", ok=okt)
    no_time = np.isnan(ta) & (ea == 1)
    if no_time.any():
        return [
            (f"{source}, column {ev.time}: {int(no_time.sum())} events without a time are left out of the Cox models")
        ]
    return []


def _predictors(
    settings: OutcomeSettings, ctx: DataContext, outcomes: pd.DataFrame, excluded: set[str], source: str
) -> tuple[str, ...]:
    frame = ctx.frame
    if settings.predictors:
        preds = tuple(dict.fromkeys(settings.predictors))
        for p in preds:
            if p not in frame.columns:
                raise UsageError(
                    f"predictors {p}: {ctx.source} has no column '{p}' "
                    f"(columns: {', '.join(map(str, frame.columns[:15]))})"
                )
            if p in excluded:
                raise UsageError(f"{p} is both a predictor and an outcome, key or covariate")
        return preds
    if ctx.score_ids:
        return tuple(ctx.score_ids)
    preds = tuple(
        c
        for c in frame.columns
        if c not in excluded
        and c not in outcomes.columns
        and frame[c].notna().any()
        and number_values(frame[c], ctx.decimal_comma) is not None
    )
    if not preds:
        raise UsageError(f"no numeric predictor columns found in {ctx.source}; name them with predictors")
    return preds


def _months(settings: OutcomeSettings, design: Design) -> dict[str, float] | None:
    given = month_map(settings.wave_months)
    if given is not None:
        return given
    if design.months is None:
        return None
    return dict(zip(design.waves, map(float, design.months), strict=True))


def build_spec(
    settings: OutcomeSettings,
    ctx: DataContext,
    outcomes: pd.DataFrame,
    *,
    source: str,
    outcome_rows: np.ndarray | None = None,
    decimal_comma: bool = False,
) -> tuple[AnalysisSpec, list[str]]:
    """The analysis spec and the warnings found while building it (see the module docstring);
    ``decimal_comma`` says how the outcomes table writes decimals."""
    design = ctx.design
    rows = row_numbers(outcomes.index) if outcome_rows is None else outcome_rows
    on = tuple(settings.on) or tuple(k for k in (design.dyad,) if k)
    if not on:
        raise UsageError("give the key column(s) to join on: on=COLUMN (or the study's dyad / outcomes.on)")
    outs, events = _named(settings, ctx.study)
    warns: list[str] = []
    types: dict[str, str] = {}
    columns: dict[str, str] = {}
    models: dict[str, list[str]] = {}
    for o in outs:
        _column(outcomes, o.name, source, "outcome")
        types[o.name] = _outcome_type(outcomes[o.name], rows, source, o.name, o.type, decimal_comma)
        columns[o.name] = o.name
        models[o.name] = list(MODELS_FOR[types[o.name]])
    for ev in events:
        warns += _check_event(outcomes, rows, source, ev, decimal_comma)
        types.setdefault(ev.name, "binary")
        columns.setdefault(ev.name, ev.column)
        models.setdefault(ev.name, []).append("cox")
    labels = tuple(dict.fromkeys([o.name for o in outs] + [e.name for e in events]))
    covariates = tuple(settings.covariates if settings.covariates is not None else design.covariates)
    for c in covariates:
        if c in labels or c in columns.values():
            raise UsageError(f"{c} is both an outcome and a covariate")
    by = settings.by or ()
    # an explicit split without a named column uses the column of that name (as wamkit 0.1 did)
    rater = settings.rater or design.role or ("rater" if "rater" in by and "rater" in ctx.frame.columns else None)
    wave = settings.wave or design.wave or ("wave" if "wave" in by and "wave" in ctx.frame.columns else None)
    officer = (settings.officer or design.officer) if settings.cluster_robust else None
    if not settings.cluster_robust and (settings.officer or design.officer):
        warns.append(
            f"cluster_robust is off: the clients of one {settings.officer or design.officer} are treated "
            "as independent observations"
        )
    excluded = (
        set(on)
        | set(covariates)
        | set(columns.values())
        | {e.time for e in events}
        | {c for c in (rater, wave, officer, design.dyad, design.person) if c}
    )
    predictors = _predictors(settings, ctx, outcomes, excluded, source)
    split_rater = rater is not None and rater in ctx.frame.columns if settings.by is None else "rater" in by
    split_wave = wave is not None and wave in ctx.frame.columns if settings.by is None else "wave" in by
    spec = AnalysisSpec(
        on=on,
        outcomes=labels,
        columns=columns,
        types=types,
        models={k: tuple(v) for k, v in models.items()},
        events={e.name: e for e in events},
        predictors=predictors,
        totals=tuple(ctx.totals),
        covariates=covariates,
        rater=rater,
        wave=wave,
        officer=officer,
        split_rater=split_rater,
        split_wave=split_wave,
        months=_months(settings, design),
        settings=settings,
        explicit_predictors=bool(settings.predictors),
    )
    return spec, warns


def split_column_errors(spec: AnalysisSpec, columns: Sequence[str], source: str) -> None:
    """UsageError when a split, discrepancy or officer column is not in the data."""
    checks: list[tuple[str | None, str, str]] = [(spec.rater, "by rater", "rater"), (spec.wave, "by wave", "wave")]
    needs: dict[str, bool] = {"by rater": spec.split_rater, "by wave": spec.split_wave}
    for col, what, param in checks:
        if needs[what] and (col is None or col not in columns):
            raise UsageError(f"{what}: no column '{col or param}' in {source} (name it with {param}=COLUMN)")
    if spec.settings.discrepancy and (spec.rater is None or spec.rater not in columns):
        raise UsageError(f"discrepancy: no column '{spec.rater or 'rater'}' in {source} (name it with rater=COLUMN)")
    if spec.officer is not None and spec.officer not in columns:
        raise UsageError(f"officer {spec.officer}: no such column in {source} or the outcomes")


def settings_dict(spec: AnalysisSpec, extra: Mapping[str, Any]) -> dict[str, Any]:
    """The ``settings`` block of the result (JSON-safe)."""
    s = spec.settings
    return {
        "on": list(spec.on),
        "predictors": list(spec.predictors),
        "outcomes": {o: spec.types[o] for o in spec.outcomes},
        "events": {
            e.name: {"event": e.column, "time": e.time, "origin_wave": e.origin_wave, "unit": e.unit}
            for e in spec.events.values()
        },
        "models": {o: list(spec.models[o]) for o in spec.outcomes},
        "by": [b for b, on in (("rater", spec.split_rater), ("wave", spec.split_wave)) if on],
        "rater_column": spec.rater,
        "wave_column": spec.wave,
        "officer": spec.officer,
        "cluster_robust": spec.officer is not None,
        "covariates": list(spec.covariates),
        "adjust": str(s.adjust).lower(),
        "joint": bool(s.joint),
        "interaction": s.interaction,
        "discrepancy": bool(s.discrepancy),
        "per_sd": bool(s.per_sd),
        "ci_level": float(s.ci_level),
        "surface": bool(s.surface),
        "time_varying": bool(s.time_varying),
        "landmark": bool(s.landmark),
        "wave_months": dict(spec.months) if spec.months is not None else None,
        **extra,
    }
