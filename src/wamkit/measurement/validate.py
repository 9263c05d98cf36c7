"""``validate``: reliability, factor structure, invariance and nesting in one report.

This module orchestrates; every statistic comes from ``wamkit.stats`` and is pinned there
against R (psych, lavaan, semTools). What it adds is the choice of data (one role's keyed
items, or the items of a ``model``), the structure (subscales as factors), the design
checks that keep the unit of analysis right, and one result with stable JSON keys.

Choices (documented in README):

* Reliability uses pairwise-complete correlations, as ``psych::alpha`` does; the omega per
  subscale is psych's one-factor ``omega(x, nfactors = 1)`` omega total.
* KMO, Bartlett, parallel analysis, MAP and EFA use the pairwise correlation matrix of all
  items, as psych does on raw data; Bartlett uses n = rows used.
* The CFA is lavaan's default ML (N, not N - 1) on listwise-complete rows, or full-information
  ML (``missing="fiml"``); its omega per factor is ``semTools::compRelSEM``. With ``ordinal``
  the CFA is lavaan's WLSMV on polychoric correlations.
* One wave at a time: the same clients at two waves are not independent rows, so data holding
  several waves of the same persons are refused (select a wave with ``where``; compare waves
  with longitudinal invariance).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from wamkit.errors import DataError, UsageError, raise_problems
from wamkit.instrument import Instrument
from wamkit.measurement.factors import confirmatory, exploratory, number_of_factors, sampling
from wamkit.measurement.groups import check_group_column, group_invariance
from wamkit.measurement.nesting import nesting
from wamkit.measurement.reliability import scale_reliability
from wamkit.measurement.report import ValidationReport
from wamkit.measurement.settings import (
    DEFAULT_SEED,
    Structure,
    ValidateSettings,
    instrument_from_model,
    structure_from_instrument,
    structure_with_model,
)

__all__ = [
    "ValidateSettings",
    "Structure",
    "ValidationReport",
    "validate",
    "validate_items",
    "structure_from_instrument",
    "instrument_from_model",
]


def _reliability(
    items: pd.DataFrame,
    structure: Structure,
    settings: ValidateSettings,
    rng: np.random.Generator,
    step: Callable[[str], None],
) -> dict[str, Any]:
    step("reliability" + (f" ({settings.bootstrap} bootstrap resamples)" if settings.bootstrap else ""))
    out = {
        name: scale_reliability(items[list(its)], structure, settings, rng) for name, its in structure.factors.items()
    }
    for name, its in structure.totals.items():
        groups = sum(1 for f_items in structure.factors.values() if set(f_items) <= set(its))
        out[name] = scale_reliability(items[list(its)], structure, settings, rng, n_group_factors=groups)
    return out


def _check_items(items: pd.DataFrame, cols: list[str]) -> np.ndarray:
    missing_cols = [c for c in cols if c not in items.columns]
    if missing_cols:
        raise UsageError(f"model items not in the data: {', '.join(missing_cols)}")
    X = items[cols].to_numpy(dtype=float)
    answered_rows = int((~np.isnan(X)).any(axis=1).sum())
    if answered_rows < max(10, X.shape[1] + 1):
        raise DataError(
            f"too few rows for a factor model: {answered_rows} rows with answers for {X.shape[1]} "
            f"items (need at least {max(10, X.shape[1] + 1)})"
        )
    return X


def validate_items(
    items: pd.DataFrame,
    structure: Structure,
    *,
    settings: ValidateSettings | None = None,
    groups: pd.Series | None = None,
    clusters: pd.Series | None = None,
    scores: pd.DataFrame | None = None,
    instrument_id: str | None = None,
    persons: pd.Series | None = None,
    waves: pd.Series | None = None,
    progress: Callable[[str], None] | None = None,
    notes: tuple[str, ...] = (),
) -> ValidationReport:
    """Reliability, sampling adequacy, number of factors, EFA, CFA, invariance and nesting.

    Parameters
    ----------
    items
        Keyed item values (reversed items already reversed), NaN for missing; one column per item id.
    groups, clusters, persons, waves
        Aligned with ``items``: the invariance groups, the nesting unit (officer), the client and
        the wave of each row (for ICCs on one row per client per wave).
    scores
        Subscale scores for the nesting ICCs; by default the mean of the answered items.
    progress
        Called with the name of each step as it starts.
    """
    from wamkit.stats.correlation import pairwise_cor

    step = progress or (lambda name: None)
    settings = settings or ValidateSettings()
    cols = structure.items
    X = _check_items(items, cols)
    if settings.group and groups is not None:
        from wamkit.measurement.groups import require_two_groups

        require_two_groups(groups, settings)  # before any model is fitted
    settings = settings if settings.seed is not None else _with_seed(settings)
    warnings: list[str] = list(notes)
    rng = np.random.default_rng(settings.seed)
    reliability = _reliability(items, structure, settings, rng, step)
    step("sampling adequacy")
    R, npair = pairwise_cor(X)
    samp = sampling(R, X.shape[0], cols)
    n_factors = number_of_factors(X, R, settings, rng, step)
    efa = exploratory(R, npair, X.shape[0], cols, structure, settings, n_factors, warnings, step)
    model_text = structure.model_syntax()
    cfa, mods, cfa_ord = confirmatory(items[cols], structure, settings, warnings, step, model_text)
    inv = None
    if settings.group and model_text:
        if groups is None:
            raise UsageError("group needs the group column")
        if settings.ordinal:
            from wamkit.measurement.designs import ordinal_groups

            inv = ordinal_groups(items, groups, structure.factors, settings, warnings, step)
        else:
            inv = group_invariance(items[cols], groups, model_text, settings, warnings, step)
    nest = None
    if settings.cluster:
        if clusters is None:
            raise UsageError("cluster needs the officer column")
        if scores is None:
            scores = pd.DataFrame(
                {f: items[list(its)].mean(axis=1, skipna=True) for f, its in structure.factors.items()}
            )
        step(f"nesting in {settings.cluster}")
        nest = nesting(
            scores.reset_index(drop=True),
            list(structure.factors),
            officer=clusters.reset_index(drop=True),
            officer_name=settings.cluster,
            person=None if persons is None else persons.reset_index(drop=True),
            wave=None if waves is None else waves.reset_index(drop=True),
        )
    return ValidationReport(
        instrument=instrument_id,
        n=X.shape[0],
        settings=settings,
        structure=structure,
        reliability=reliability,
        sampling=samp,
        n_factors=n_factors,
        efa=efa,
        cfa=cfa,
        cfa_ordinal=cfa_ord,
        invariance=inv,
        nesting=nest,
        mod_indices=mods,
        warnings=tuple(warnings),
    )


def _with_seed(settings: ValidateSettings) -> ValidateSettings:
    import dataclasses

    return dataclasses.replace(settings, seed=DEFAULT_SEED)


# --------------------------------------------------------------------------- from read data


def _role_of(data: Any, role: str | None, model: str | None) -> tuple[str | None, np.ndarray]:
    """The role whose rows are validated (one instrument at a time)."""
    if None in data.instruments:
        return None, np.arange(len(data.frame))
    present = [v for v in data.instruments if data.role_rows(v).size]
    if role is None:
        if len(present) != 1:
            raise UsageError(
                f"the data hold {len(present)} roles ({', '.join(map(str, present))}), each with its own "
                "instrument: validate one at a time with role='client' (or select rows with where)"
            )
        role = present[0]
    value = data.design.role_value(role) or role
    if value not in data.instruments:
        raise UsageError(f"role {role!r} is not in the data (roles: {', '.join(map(str, present))})")
    return value, data.role_rows(value)


def _one_wave(data: Any, rows: np.ndarray) -> None:
    d = data.design
    if d.wave is None or d.wave not in data.frame.columns:
        return
    waves = data.frame[d.wave].iloc[rows].dropna().unique()
    if len(waves) > 1:
        raise UsageError(
            f"the rows hold {len(waves)} waves ({', '.join(map(str, waves))}) of the same clients, which "
            f"are not independent observations: validate one wave (e.g. where {d.wave}={waves[0]}); "
            "compare waves with longitudinal invariance (longitudinal=True)"
        )


def _keyed_items(
    data: Any, value: str | None, rows: np.ndarray, ins: Instrument, invalid: str, min_answered: float | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    from wamkit.design.read import role_columns
    from wamkit.scoring import compute_scores, key_items, parse_items, resolve_columns

    cmap, template = role_columns(data.study, value)
    frame = data.frame.iloc[rows].set_axis(data.rows[rows] - 1)
    columns = resolve_columns(ins, column_map=cmap, column_template=template)
    parsed = parse_items(frame, ins, source=data.source, columns=columns, decimal_comma=data.tables[0].decimal_comma)
    if parsed.n_invalid and invalid == "error":
        raise_problems(list(parsed.problems), f"{data.source}: invalid item values", total=parsed.n_invalid)
    keyed_values = key_items(parsed.values, ins)
    keyed = pd.DataFrame(keyed_values, columns=ins.item_ids)
    scores = pd.DataFrame(compute_scores(keyed_values, ins, min_answered=min_answered)[0])
    return keyed, scores


def validate(
    data: Any,
    *,
    role: str | None = None,
    model: str | None = None,
    settings: ValidateSettings | None = None,
    invalid: str | None = None,
    min_answered: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> ValidationReport:
    """Validate one role's instrument on read data (:class:`~wamkit.design.read.StudyData`).

    Parameters
    ----------
    data
        From :func:`wamkit.read`.
    role
        Which role's rows and instrument (``"client"``/``"professional"``); needed when the data hold
        both (with ``across="roles"`` the client's by default). With ``model`` (lavaan ``=~`` syntax) the
        model's items are read as continuous, unreversed.
    settings
        What to compute (defaults as the CLI's; the seed defaults to the recorded :data:`DEFAULT_SEED`).
        With ``longitudinal`` the cross-sectional parts use the first wave and the invariance uses all;
        with ``across="roles"`` the data must hold one wave.
    """
    settings = settings or ValidateSettings()
    if settings.across not in (None, "roles"):
        raise UsageError(f"across must be 'roles', not {settings.across!r}")
    if settings.across and role is None and model is None and None not in data.instruments:
        role = "client"
    value, rows = _role_of(data, role, model)
    d = data.design
    if not settings.longitudinal:
        _one_wave(data, rows)
    notes = _design_notes(data, settings)
    settings = _with_officer(data, settings)
    from_model = None in data.instruments and data.instruments[None].id == "model"
    ins = instrument_from_model(model) if model is not None and from_model else data.instrument_for(value)
    policy = invalid or data.study.invalid or "error"
    keyed, scores = _keyed_items(data, value, rows, ins, policy, min_answered)
    structure = structure_with_model(
        structure_from_instrument(ins), model, source="model" if from_model else "instrument"
    )
    sub = data.frame.iloc[rows].reset_index(drop=True)
    first = _first_wave_rows(sub, d, settings, notes)

    def col(name: str | None) -> pd.Series | None:
        return sub[name][first].reset_index(drop=True) if name is not None and name in sub.columns else None

    report = validate_items(
        keyed[first].reset_index(drop=True),
        structure,
        settings=settings,
        groups=col(settings.group),
        clusters=col(settings.cluster),
        scores=scores[first].reset_index(drop=True),
        instrument_id=None if from_model else ins.id,
        persons=col(d.person_column),
        waves=col(d.wave),
        progress=progress,
        notes=tuple(notes),
    )
    return _with_designs(report, data, sub, keyed, structure, settings, policy, min_answered, progress)


def _design_notes(data: Any, settings: ValidateSettings) -> list[str]:
    notes: list[str] = []
    if settings.group:
        if settings.group not in data.frame.columns:
            raise UsageError(f"group: {data.source} has no column {settings.group!r}")
        note = check_group_column(settings.group, data.design, data.frame)
        if note:
            notes.append(note)
    return notes


def _with_officer(data: Any, settings: ValidateSettings) -> ValidateSettings:
    """The nesting unit: the one asked for, else the design's officer column (unless skipped)."""
    import dataclasses

    officer = settings.cluster or (data.design.officer if "nesting" not in settings.skip else None)
    if officer is not None and officer not in data.frame.columns:
        raise UsageError(f"cluster: {data.source} has no column {officer!r}")
    return dataclasses.replace(settings, cluster=officer) if officer != settings.cluster else settings


def _first_wave_rows(sub: pd.DataFrame, d: Any, settings: ValidateSettings, notes: list[str]) -> np.ndarray:
    """Rows of the cross-sectional analyses: all, or the first wave when the invariance is longitudinal."""
    if not settings.longitudinal or d.wave is None or d.wave not in sub.columns:
        return np.ones(len(sub), dtype=bool)
    order = d.ordered_waves(sub[d.wave].dropna())
    notes.append(
        f"reliability, factor analyses and nesting use the first wave ({order[0]}); the longitudinal "
        f"invariance uses every wave ({', '.join(order)})"
    )
    return (sub[d.wave] == order[0]).to_numpy(dtype=bool)


def _with_designs(
    report: ValidationReport,
    data: Any,
    sub: pd.DataFrame,
    keyed: pd.DataFrame,
    structure: Structure,
    settings: ValidateSettings,
    policy: str,
    min_answered: float | None,
    progress: Callable[[str], None] | None,
) -> ValidationReport:
    """Add longitudinal / across-roles invariance to a report."""
    import dataclasses

    from wamkit.measurement import designs

    step = progress or (lambda name: None)
    warnings = list(report.warnings)
    d = data.design
    changes: dict[str, Any] = {}
    if settings.longitudinal:
        if d.wave is None or d.person_column is None:
            raise UsageError(
                "longitudinal invariance needs the wave and person (or dyad) columns "
                "(wave=..., dyad=... or person=..., or a study file)"
            )
        order = d.ordered_waves(sub[d.wave].dropna())
        changes["longitudinal_invariance"] = designs.longitudinal(
            keyed, sub[d.person_column], sub[d.wave], structure.factors, order, settings, warnings, step
        )
    if settings.across == "roles":
        keyed_by_role = {}
        for v, ins in data.instruments.items():
            rows = data.role_rows(v)
            keyed_by_role[v] = _keyed_items(data, v, rows, ins, policy, min_answered)[0]
        changes["dyadic_invariance"] = designs.across_roles(data, keyed_by_role, settings, warnings, step)
    if not changes:
        return report
    return dataclasses.replace(report, warnings=tuple(warnings), **changes)
