"""Alliance scores against outcomes: the steps in order, and the two public entry points.

* :func:`outcomes` -- a study's data in, a result out: reads the outcomes file
  (:func:`wamkit.design.read.read_outcomes`), scores (:func:`wamkit.design.read.score_data`) and
  analyses.
* :func:`analyse_outcomes` -- scores (a :class:`~wamkit.design.read.StudyData`, scored here, or a
  scores DataFrame) and an outcomes DataFrame in, :class:`~wamkit.outcomes.result.OutcomesResult` out.

The steps, one module each: :mod:`~wamkit.outcomes.spec` (what to model),
:mod:`~wamkit.outcomes.join`, :mod:`~wamkit.outcomes.design` (numbers per rater x wave, discrepancies),
:mod:`~wamkit.outcomes.correlations`, :mod:`~wamkit.outcomes.models`, :mod:`~wamkit.outcomes.waves`,
:mod:`~wamkit.outcomes.time_varying`, :mod:`~wamkit.outcomes.surfaces`, :mod:`~wamkit.outcomes.adjust`.
Nothing here computes a statistic: every number comes from :mod:`wamkit.stats` (pinned to R) and
nothing is rendered (:mod:`wamkit.render.reports.outcomes` does that).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from wamkit.design.read import StudyData, read_outcomes, row_numbers, score_data
from wamkit.design.study import Design
from wamkit.errors import UsageError
from wamkit.outcomes import adjust
from wamkit.outcomes.correlations import (
    CORRELATION_COLUMNS,
    PARTIAL_COLUMNS,
    inference_text,
    split_correlations,
)
from wamkit.outcomes.design import (
    AnalysisData,
    build_matrix,
    split_columns,
    split_outcomes,
    split_predictors,
    splits,
)
from wamkit.outcomes.join import join
from wamkit.outcomes.models import MODEL_COLUMNS, landmark_warnings, split_models
from wamkit.outcomes.result import OutcomesResult
from wamkit.outcomes.settings import OutcomeSettings
from wamkit.outcomes.spec import (
    AnalysisSpec,
    DataContext,
    build_spec,
    settings_dict,
    split_column_errors,
)
from wamkit.outcomes.surfaces import SurfaceEntry, response_surfaces
from wamkit.outcomes.time_varying import time_varying_models
from wamkit.outcomes.waves import WAVE_COLUMNS, wave_comparisons

__all__ = ["analyse_outcomes", "data_context", "outcomes"]


def _centers(instruments: Mapping[Any, Any]) -> dict[str, float]:
    """Scale midpoint of each mean-scored score id (one value across the instruments, else unknown)."""
    seen: dict[str, set[float]] = {}
    for ins in instruments.values():
        if ins.scale is None:
            continue
        mid = (ins.scale.min + ins.scale.max) / 2
        for s in (*ins.subscales, *ins.totals):
            if s.method == "mean":
                seen.setdefault(s.id, set()).add(mid)
    return {k: v.pop() for k, v in seen.items() if len(v) == 1}


def data_context(
    data: StudyData | pd.DataFrame,
    settings: OutcomeSettings,
    *,
    scores: Any = None,
    invalid: str | None = None,
    data_source: str = "data",
) -> DataContext:
    """The scores to analyse: a StudyData is scored with ``invalid`` (unless ``scores`` is given or it
    holds scores already, :func:`wamkit.design.read.read_scores`); a DataFrame is taken as scores."""
    if isinstance(data, pd.DataFrame):
        design = Design(role=settings.rater, wave=settings.wave, officer=settings.officer)
        return DataContext(frame=data, rows=row_numbers(data.index), source=data_source, design=design)
    if not isinstance(data, StudyData):
        raise UsageError(
            f"data must be StudyData (wamkit.design.read.read) or a DataFrame of scores, not {type(data).__name__}"
        )
    decimal_comma = bool(data.tables[0].decimal_comma) if data.tables else False
    common: dict[str, Any] = {
        "rows": data.rows,
        "source": data.source,
        "design": data.design,
        "study": data.study,
        "rater_order": tuple(r.value for r in data.design.roles),
        "decimal_comma": decimal_comma,
    }
    if not data.instruments:
        return DataContext(frame=data.frame, **common)
    scored = scores if scores is not None else score_data(data, invalid=invalid)
    totals = tuple(dict.fromkeys(t.id for ins in data.instruments.values() for t in ins.totals))
    return DataContext(
        frame=scored.scores,
        score_ids=tuple(scored.score_ids),
        totals=totals,
        centers=_centers(data.instruments),
        **common,
    )


def _filter(outcomes: pd.DataFrame, where: Sequence[str], source: str) -> pd.DataFrame:
    if not where:
        return outcomes
    from wamkit.io.filters import filter_mask, parse_filters

    mask, _ = filter_mask(outcomes, parse_filters(where), source)
    return outcomes.loc[mask]  # keep the index: messages name rows of the file


def _per_split(spec: AnalysisSpec, ad: AnalysisData) -> tuple[list[dict], list[dict], list[dict], list, list]:
    groups, warns = splits(spec, ad)
    warns += landmark_warnings(spec, ad)
    corr: list[dict] = []
    part: list[dict] = []
    models: list[dict] = []
    skipped: list[dict] = []
    inter_fitted = False
    for split in groups:
        cols = split_columns(ad, split)
        avail = split_predictors(ad, split, cols, skipped)
        if not avail:
            warns.append(f"{split.label}: no predictor has values; split skipped")
            continue
        live = split_outcomes(spec, ad, split, cols, avail, skipped, warns)
        c, p, w = split_correlations(spec, ad, split, cols, avail, live)
        m, w2, fitted = split_models(spec, ad, split, cols, avail, live)
        corr, part, models, warns = corr + c, part + p, models + m, warns + w + w2
        inter_fitted |= fitted
        inter = spec.settings.interaction_terms
        if inter is not None and not fitted:
            missing = [c for c in inter if c not in avail and not np.isfinite(cols[c]).any()]
            skipped.append(
                {
                    "predictor": ":".join(inter),
                    "rater": split.rater,
                    "wave": split.wave,
                    "reason": f"{', '.join(missing or inter)} has no values in this split",
                }
            )
    if spec.settings.interaction is not None and not inter_fitted:
        warns.append(f"interaction {spec.settings.interaction}: no split has values on both; no interaction model")
    return corr, part, models, skipped, warns


def _frame(rows: list[dict], columns: Sequence[str]) -> pd.DataFrame:
    f = pd.DataFrame(rows, columns=list(columns))
    for c in ("rater", "wave"):
        if c in f.columns:  # labels or None (not NaN) where a row has none
            f[c] = pd.Series([None if pd.isna(v) else v for v in f[c].tolist()], index=f.index, dtype=object)
    return f


def _settings(spec: AnalysisSpec, ad: AnalysisData) -> dict[str, Any]:
    s = spec.settings
    inter = s.interaction_terms
    joint = None
    if s.joint:
        joint = (
            list(spec.predictors) if spec.explicit_predictors else [p for p in ad.predictors if p not in spec.totals]
        )
    labels = list(ad.rater_order)
    return settings_dict(
        spec,
        {
            "joint_predictors": joint,
            "interaction_centering": "product of A and B centred on the split's rows with both observed"
            if inter
            else None,
            "discrepancy": f"{labels[0]} - {labels[1]}" if ad.discrepancy_label else None,
            "rater_values": labels if spec.split_rater or ad.discrepancy_label else None,
            "waves": list(ad.wave_order) if spec.split_wave else None,
            "adjust_family": adjust.family_text(list(spec.outcomes), list(ad.predictors), str(s.adjust).lower()),
            "correlation_inference": inference_text(spec),
            "estimates_per": "SD of the predictor" if s.per_sd else "scale point of the predictor",
        },
    )


def analyse_outcomes(
    data: StudyData | pd.DataFrame,
    outcomes: pd.DataFrame,
    settings: OutcomeSettings | None = None,
    *,
    scores: Any = None,
    invalid: str | None = None,
    outcomes_source: str = "outcomes",
    data_source: str = "data",
    decimal_comma: bool = False,
    **overrides: Any,
) -> OutcomesResult:
    """Relate alliance scores to named outcomes: correlations, partial correlations, models, wave
    comparisons (and, when asked, time-varying Cox models and response surfaces).

    Parameters
    ----------
    data : StudyData or pandas.DataFrame
        The study's data (from :func:`wamkit.design.read.read`, scored here with its instruments, or
        :func:`~wamkit.design.read.read_scores`), or a DataFrame of scores (one row per key, or per key x
        rater x wave; then give ``rater``/``wave``/``officer`` in the settings).
    outcomes : pandas.DataFrame
        One row per key (e.g. from :func:`wamkit.design.read.read_outcomes`); may be text.
    settings : OutcomeSettings, optional
        What to analyse; keyword ``overrides`` replace single settings (``outcome=("dropout",)``).
    scores : ScoreResult, optional
        Scores of ``data`` already computed by :func:`~wamkit.design.read.score_data`.
    invalid : {"error", "missing"}, optional
        How scoring treats invalid item values (default: the study's, else ``"error"``).
    outcomes_source, data_source : str
        Names for messages (``data_source`` only for a DataFrame).
    decimal_comma : bool
        The outcomes table writes decimals with a comma.

    Returns
    -------
    OutcomesResult
    """
    s = OutcomeSettings.from_kwargs(settings, **overrides)
    ctx = data_context(data, s, scores=scores, invalid=invalid, data_source=data_source)
    s = _study_analyses(s, ctx.study)
    outcomes = _filter(outcomes, s.outcomes_where, outcomes_source)
    spec, warns = build_spec(s, ctx, outcomes, source=outcomes_source, decimal_comma=decimal_comma)
    orows = row_numbers(outcomes.index)
    joined = join(
        ctx.frame,
        outcomes,
        spec.on,
        outcome_rows=orows,
        data_source=ctx.source,
        outcomes_source=outcomes_source,
        keep_outcome=spec.outcome_columns,
    )
    split_column_errors(spec, list(joined.frame.columns), ctx.source)
    ad = build_matrix(
        spec,
        joined,
        ctx.frame,
        outcomes,
        design=ctx.design,
        rater_order=ctx.rater_order,
        sources=(ctx.source, outcomes_source),
        rows=(ctx.rows, orows),
        decimal_comma=(ctx.decimal_comma, decimal_comma),
    )
    corr, part, models, skipped, w = _per_split(spec, ad)
    waves, w2 = wave_comparisons(spec, ad)
    tv, surfaces, w3 = _asked_for(spec, ad, ctx)
    frames = [
        _frame(corr, CORRELATION_COLUMNS),
        _frame(part, PARTIAL_COLUMNS),
        _frame(models + tv, MODEL_COLUMNS),
        _frame(waves, WAVE_COLUMNS),
    ]
    adjust.adjust_families(frames[0], frames[1], frames[2], frames[3], method=str(s.adjust).lower())
    return OutcomesResult(
        n=int(ad.n_rows),
        n_keys=int(pd.Series(ad.keys[: ad.n_rows]).nunique()),
        settings=_settings(spec, ad),
        join=joined.report,
        correlations=frames[0],
        partial_correlations=frames[1],
        models=frames[2],
        wave_comparisons=frames[3],
        skipped=tuple(skipped),
        warnings=(*warns, *joined.warnings, *w, *w2, *w3),
        response_surfaces=tuple(surfaces),
    )


def _asked_for(spec: AnalysisSpec, ad: AnalysisData, ctx: DataContext) -> tuple[list[dict], list[SurfaceEntry], list]:
    """The steps run only when asked for: time-varying Cox models and response surfaces."""
    tv: list[dict] = []
    surfaces: list[SurfaceEntry] = []
    warns: list[str] = []
    if spec.settings.time_varying:
        tv, w = time_varying_models(spec, ad)
        warns += w
    if spec.settings.surface:
        surfaces, w = response_surfaces(spec, ad, ctx.centers, ctx.rater_order)
        warns += w
    return tv, surfaces, warns


def _study_analyses(s: OutcomeSettings, study: Any) -> OutcomeSettings:
    """``surface`` / ``time_varying`` left open (None): as the study's ``analyses:`` asks (default off)."""
    import dataclasses

    asked = study.analyses if study is not None else frozenset()
    return dataclasses.replace(
        s,
        surface="surface" in asked if s.surface is None else s.surface,
        time_varying="time_varying" in asked if s.time_varying is None else s.time_varying,
    )


def outcomes(
    data: StudyData,
    *,
    outcomes_path: str | None = None,
    on: Mapping[str, str] | Sequence[str] | None = None,
    outcome: Sequence[str] = (),
    event: Sequence[str] = (),
    settings: OutcomeSettings | None = None,
    invalid: str | None = None,
    sheet: str | None = None,
    header_row: int | None = None,
    input_format: str | None = None,
    **overrides: Any,
) -> OutcomesResult:
    """A study's alliance scores against its outcomes, in one call (exported as ``wamkit.outcomes``).

    Reads the outcomes file (``outcomes_path``, default the study's ``outcomes:`` file) with
    :func:`~wamkit.design.read.read_outcomes` joined ``on`` data column -> outcomes column (default:
    the study's ``outcomes.on``, else the dyad column), scores ``data`` with its instruments
    (``invalid``: ``"error"`` or ``"missing"``) and runs :func:`analyse_outcomes`. ``outcome`` /
    ``event`` name the outcomes (default: the study's ``outcomes.variables`` / ``events``); other
    keywords are :class:`~wamkit.outcomes.settings.OutcomeSettings` fields.

    Example
    -------
    >>> from wamkit.design.read import read
    >>> res = outcomes(read(study="examples/study.yaml"))            # doctest: +SKIP
    >>> res.to_frame("correlations")                                 # doctest: +SKIP
    """
    keys: Mapping[str, str] | None
    if on is None or isinstance(on, Mapping):
        keys = on
    else:
        keys = {k: k for k in ([on] if isinstance(on, str) else on)}
    frame, table, used = read_outcomes(
        data, outcomes_path, on=keys, sheet=sheet, header_row=header_row, input_format=input_format
    )
    named: dict[str, Any] = {
        k: (v,) if isinstance(v, str) else tuple(v) for k, v in (("outcome", outcome), ("event", event)) if v
    }
    return analyse_outcomes(
        data,
        frame,
        settings,
        invalid=invalid,
        outcomes_source=table.source,
        decimal_comma=bool(table.decimal_comma),
        on=tuple(used),
        **named,
        **overrides,
    )
