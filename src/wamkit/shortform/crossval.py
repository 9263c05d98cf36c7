"""Cross-validated short-form selection: :func:`shorten`.

Rows are split into ``folds`` parts by a seeded permutation.  For every fold the items are chosen on the other
folds (:mod:`wamkit.shortform.selection`) and judged on the held-out fold, next to the full form:

* reliability: psych's one-factor omega total (:func:`wamkit.stats.reliability.omega_total`) and standardised
  alpha (:func:`wamkit.stats.reliability.alpha_from_cor`), both of the pairwise Pearson correlations, of the full
  and of the short subscale;
* the correlation of the short with the full subscale score (means of the answered items; it contains the
  overlap of the shared items), pooled over all held-out rows, with a Fisher-z interval;
* the joint CFA of all subscales (lavaan ML, :func:`wamkit.stats.cfa.fit_cfa`, listwise), full and short;
* with a criterion: the correlation of the full, the short and the baseline short score with it.

The items reported as kept are chosen once more on all rows.  Everything random flows from ``seed``: the
folds from ``default_rng(seed)``, the stochastic search of fold ``f`` for the ``j``-th subscale from
``default_rng([seed, f, j])`` (the final selection uses ``f = folds``), so the same seed gives the same result.

The steps, in order: :func:`~wamkit.shortform.settings.check_settings`,
:func:`~wamkit.shortform.prepare.prepare_items`, :func:`~wamkit.shortform.folds.make_folds`,
:func:`~wamkit.shortform.evaluate.cross_validate` (selection by :class:`~wamkit.shortform.selector.Selector` on
the training rows, statistics of :mod:`wamkit.shortform.measures` on the held-out rows),
:func:`~wamkit.shortform.evaluate.fit_all_rows` and :func:`~wamkit.shortform.summary.assemble_result`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from wamkit.errors import UsageError
from wamkit.instrument import Instrument
from wamkit.shortform.evaluate import cross_validate, fit_all_rows
from wamkit.shortform.folds import make_folds
from wamkit.shortform.prepare import data_sha256, prepare_items
from wamkit.shortform.result import ShortFormResult
from wamkit.shortform.selector import Selector
from wamkit.shortform.settings import check_settings
from wamkit.shortform.summary import assemble_result

__all__ = ["DEFAULT_SEED", "data_sha256", "make_folds", "shorten", "shorten_data"]

#: fixed default seed (recorded in the output), the same as ``wamkit validate``'s
DEFAULT_SEED = 20261122


def shorten(
    items: pd.DataFrame,
    instrument: Instrument,
    *,
    items_per_scale: int | dict[str, int] | None = None,
    target_reliability: float | None = None,
    folds: int = 5,
    seed: int = DEFAULT_SEED,
    information_range: tuple[float, float] = (-1.0, 1.0),
    cutoffs: float | dict[str, float] | None = None,
    cutoff_halfwidth: float = 0.5,
    criterion: pd.Series | None = None,
    weights: dict[str, float] | None = None,
    subscales: list[str] | None = None,
    min_items: int = 3,
    search_method: str = "auto",
    max_exhaustive: int = 20_000,
    ci_level: float = 0.95,
    cfa: bool = True,
    groups: pd.Series | None = None,
) -> ShortFormResult:
    """Choose a short form per subscale and cross-validate it against the full form.

    Parameters
    ----------
    items : DataFrame of *keyed* item responses (reverse-keyed items already reversed, e.g.
        ``wamkit.measurement.validate.load_validation_input(...).items``), one column per item id, NaN = missing.
    instrument : the full instrument (its subscales define the item groups).
    items_per_scale : items to keep per subscale (an int for all, or ``{subscale: k}``; subscales not in the
        dict, and subscales with at most ``k`` items, are kept whole).  At least ``min_items`` (3).
    target_reliability : instead of ``items_per_scale``: the fewest items (at least ``min_items``) whose best set
        reaches this model-based omega on the training rows; a subscale that cannot reach it is kept whole.
    folds : k of the k-fold cross-validation (>= 2).
    seed : seeds the folds and the stochastic search (default :data:`DEFAULT_SEED`, recorded in the output).
    information_range : the theta range (trait in SD units, 0 = average) over which information counts, used
        when no cut-off is given: by default the central range ``(-1, 1)``.
    cutoffs : alert cut-offs in score units (e.g. 2.5 on a 1-5 scale), one for all subscales or
        ``{subscale: score}``; information then counts over ``theta_c +- cutoff_halfwidth`` where ``theta_c`` is
        the trait value whose expected subscale score equals the cut-off (graded model).
    criterion : optional criterion (one value per row of ``items``, in order): adds the ``validity`` term and
        the baseline (items by item-criterion correlation, ``psych::bestScales`` style, same number of items).
    weights : weights of the objective terms (:data:`wamkit.shortform.selection.DEFAULT_WEIGHTS`).
    subscales : the subscales to shorten (default all); the others are kept whole.
    search_method, max_exhaustive : ``"auto"`` searches exhaustively up to ``max_exhaustive`` candidate sets per
        subscale, otherwise by the seeded ant-colony search (:func:`wamkit.shortform.selection.search`).
    ci_level : level of the intervals of the correlations.
    cfa : fit the joint CFA of the full and the short form (training rows of each fold, and all rows).
    groups : optional person labels, one per row (in order): rows of the same person are kept in the same fold,
        so that repeated waves of one client never sit on both sides of a split (missing labels: one group each).

    Returns
    -------
    ShortFormResult
        Per subscale the items kept and dropped, held-out reliability, correlation with the full score,
        information, search, stability, CFA fit and item statistics (the keys of ``subscales[id]`` are listed
        under :class:`~wamkit.shortform.result.ShortFormResult`), the folds, the fit and the settings.

    Raises
    ------
    UsageError
        Contradictory or invalid settings, unknown subscales, missing item columns.
    DataError
        Too few rows for the folds, unusable items.
    """
    settings = check_settings(
        items,
        instrument,
        subscales=subscales,
        items_per_scale=items_per_scale,
        target_reliability=target_reliability,
        folds=folds,
        seed=seed,
        information_range=information_range,
        cutoffs=cutoffs,
        cutoff_halfwidth=cutoff_halfwidth,
        weights=weights,
        min_items=min_items,
        search_method=search_method,
        max_exhaustive=max_exhaustive,
        ci_level=ci_level,
        cfa=cfa,
    )
    selector = Selector(prepare_items(items, instrument, settings.subscales, criterion), settings)
    warn: list[str] = []
    parts = make_folds(selector.items.n, int(folds), int(seed), groups)
    cv = cross_validate(selector, parts, warn)
    final = fit_all_rows(selector, warn)
    return assemble_result(instrument, selector, cv, final, warn, grouped=groups is not None)


def shorten_data(
    data: Any,
    *,
    role: str | None = None,
    criterion: str | None = None,
    invalid: str | None = None,
    min_answered: float | None = None,
    **kwargs: Any,
) -> ShortFormResult:
    """:func:`shorten` on data read with :func:`wamkit.read` (:class:`~wamkit.design.read.StudyData`).

    Takes one role's rows and instrument (``role`` ``"client"``/``"professional"``, needed when the data hold
    both), keys the items as the scorer does, reads ``criterion`` (a column name) as numbers, and, when the rows
    come from several waves, keeps each person's rows in one fold (the design's person or dyad column).  Other
    keyword arguments go to :func:`shorten`.  ``settings`` of the result record ``role`` and ``grouped_by``;
    ``invariance`` compares the full and the short form over the waves and across the roles the data hold
    (:func:`wamkit.shortform.invariance.form_invariance`).
    """
    from dataclasses import replace

    from wamkit.design.read import score_data
    from wamkit.shortform.invariance import form_invariance

    if None in data.instruments:
        value, rows = None, np.arange(len(data.frame))
    else:
        present = [v for v in data.instruments if data.role_rows(v).size]
        if role is None:
            if len(present) != 1:
                raise UsageError(
                    f"the data hold {len(present)} roles ({', '.join(map(str, present))}), each with its "
                    "own instrument: shorten one at a time with role='client' (or select rows with where)"
                )
            role = present[0]
        value = data.design.role_value(role) or role
        if value not in data.instruments:
            raise UsageError(f"role {role!r} is not in the data (roles: {', '.join(map(str, present))})")
        rows = data.role_rows(value)
    ins = data.instrument_for(value)
    scored = score_data(data, keep_items=True, invalid=invalid, min_answered=min_answered).scores
    items = scored.iloc[rows][[f"{i}_keyed" for i in ins.item_ids]].set_axis(ins.item_ids, axis=1)
    items = items.reset_index(drop=True)
    frame = data.frame.iloc[rows].reset_index(drop=True)
    groups = None
    grouped_by = None
    pooled = ""
    wave = data.design.wave
    if wave is not None and wave in frame.columns and frame[wave].dropna().nunique() > 1:
        grouped_by = data.design.person_column
        if grouped_by is None or grouped_by not in frame.columns:
            raise UsageError(
                f"the rows hold {frame[wave].dropna().nunique()} waves of the same clients but no "
                f"person or dyad column to keep them together: select one wave (where {wave}=...) "
                "or declare the dyad column"
            )
        groups = frame[grouped_by]
        waves = ", ".join(map(str, data.design.ordered_waves(frame[wave].dropna())))
        pooled = (
            f"the rows hold waves {waves} of the same clients ({len(frame)} rows of "
            f"{groups.dropna().nunique()} persons): the folds keep each person together, but reliability, "
            "r(short, full) with its CI and the CFA pool the waves as if the rows were independent (the CIs are "
            f"too narrow); for per-wave estimates select one wave (where {wave}=...)"
        )
    crit = None
    if criterion is not None:
        if criterion not in frame.columns:
            raise UsageError(f"criterion: {data.source} has no column {criterion!r}")
        crit = pd.to_numeric(frame[criterion].astype("string").str.strip(), errors="coerce").rename(criterion)
    res = shorten(items, ins, criterion=crit, groups=groups, **kwargs)
    invariance, notes = form_invariance(data, value, ins, res.kept, scored)
    return replace(
        res,
        settings={**res.settings, "role": value, "grouped_by": grouped_by},
        invariance=invariance,
        warnings=(*([pooled] if groups is not None else []), *res.warnings, *notes),
    )
