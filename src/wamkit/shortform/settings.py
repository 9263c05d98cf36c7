"""Settings of :func:`wamkit.shortform.shorten`: checked once, then carried through the steps as one object."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from wamkit.errors import DataError, UsageError
from wamkit.instrument import Instrument
from wamkit.shortform.folds import MIN_TEST_ROWS
from wamkit.shortform.selection import DEFAULT_WEIGHTS, TERMS

__all__ = ["ShortenSettings", "check_settings"]


@dataclass(frozen=True)
class ShortenSettings:
    """The checked settings of one :func:`wamkit.shortform.shorten` run.

    The values are kept as they were given (the steps convert them where they use them, and
    :func:`wamkit.shortform.summary.settings_record` records them), except ``subscales``: the subscales to
    shorten (all of the instrument's when none were named), and ``weights``: the complete objective weights
    (:data:`~wamkit.shortform.selection.DEFAULT_WEIGHTS` overridden by the given ones).
    """

    subscales: list[str]
    items_per_scale: int | dict[str, int] | None
    target_reliability: float | None
    folds: int
    seed: int
    information_range: tuple[float, float]
    cutoffs: float | dict[str, float] | None
    cutoff_halfwidth: float
    weights: dict[str, float]
    min_items: int
    search_method: str
    max_exhaustive: int
    ci_level: float
    cfa: bool

    def cutoff(self, subscale: str) -> float | None:
        """The alert cut-off of ``subscale`` (None: information counts over ``information_range``)."""
        return self.cutoffs.get(subscale) if isinstance(self.cutoffs, dict) else self.cutoffs


def check_settings(
    items: pd.DataFrame,
    instrument: Instrument,
    *,
    subscales: list[str] | None,
    items_per_scale: int | dict[str, int] | None,
    target_reliability: float | None,
    folds: int,
    seed: int,
    information_range: tuple[float, float],
    cutoffs: float | dict[str, float] | None,
    cutoff_halfwidth: float,
    weights: dict[str, float] | None,
    min_items: int,
    search_method: str,
    max_exhaustive: int,
    ci_level: float,
    cfa: bool,
) -> ShortenSettings:
    """Check ``items`` and the settings of :func:`wamkit.shortform.shorten` (same names) and return them as
    :class:`ShortenSettings`.

    Raises :class:`~wamkit.errors.UsageError` naming the parameter, or :class:`~wamkit.errors.DataError` when
    there are too few rows for the folds.
    """
    if not isinstance(items, pd.DataFrame):
        raise UsageError("items must be a pandas DataFrame with one column per item id")
    chosen = _chosen_subscales(items, instrument, subscales)
    _check_sizes(len(items), chosen, items_per_scale, target_reliability, min_items, folds)
    lo, hi = information_range
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise UsageError(f"information_range must be (lower, upper) with lower < upper, got {information_range}")
    if not 0.0 < ci_level < 1.0:
        raise UsageError(f"ci_level must lie between 0 and 1, got {ci_level}")
    w = _merged_weights(weights)
    if isinstance(cutoffs, dict):
        unknown = [s for s in cutoffs if s not in chosen]
        if unknown:
            raise UsageError(f"cutoffs: unknown subscale(s) {', '.join(unknown)}")
    return ShortenSettings(
        subscales=chosen,
        items_per_scale=items_per_scale,
        target_reliability=target_reliability,
        folds=folds,
        seed=seed,
        information_range=information_range,
        cutoffs=cutoffs,
        cutoff_halfwidth=cutoff_halfwidth,
        weights=w,
        min_items=min_items,
        search_method=search_method,
        max_exhaustive=max_exhaustive,
        ci_level=ci_level,
        cfa=cfa,
    )


def _chosen_subscales(items: pd.DataFrame, instrument: Instrument, subscales: list[str] | None) -> list[str]:
    """The subscales to shorten (all by default); every one known and with all its item columns present."""
    known = [s.id for s in instrument.subscales]
    chosen = known if subscales is None else list(subscales)
    bad = [s for s in chosen if s not in known]
    if bad:
        raise UsageError(f"subscales: unknown subscale(s) {', '.join(bad)} (the instrument has {', '.join(known)})")
    need = [i for s in chosen for i in instrument.subscale(s).items]
    missing = [i for i in dict.fromkeys(need) if i not in items.columns]
    if missing:
        raise UsageError(f"items: missing item column(s) {', '.join(missing[:10])}")
    return chosen


def _check_sizes(
    n_rows: int,
    chosen: list[str],
    items_per_scale: int | dict[str, int] | None,
    target: float | None,
    min_items: int,
    folds: int,
) -> None:
    """``items_per_scale`` or ``target_reliability`` (one of them), ``min_items``, ``folds`` and enough rows."""
    if (items_per_scale is None) == (target is None):
        raise UsageError("give items_per_scale or target_reliability (one of them)")
    if isinstance(min_items, bool) or int(min_items) != min_items or min_items < 3:
        raise UsageError(f"min_items must be an integer of at least 3, got {min_items}")
    if items_per_scale is not None:
        vals = list(items_per_scale.values()) if isinstance(items_per_scale, dict) else [items_per_scale]
        if isinstance(items_per_scale, dict):
            unknown = [s for s in items_per_scale if s not in chosen]
            if unknown:
                raise UsageError(f"items_per_scale: unknown subscale(s) {', '.join(unknown)}")
        for v in vals:
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < min_items:
                raise UsageError(
                    f"items_per_scale must be whole numbers of at least {min_items} "
                    f"(omega and a one-factor model need three items), got {v!r}"
                )
    if target is not None and not 0.0 < target < 1.0:
        raise UsageError(f"target_reliability must lie between 0 and 1, got {target}")
    if isinstance(folds, bool) or int(folds) != folds or folds < 2:
        raise UsageError(f"folds must be an integer of at least 2, got {folds}")
    if n_rows < folds * MIN_TEST_ROWS:
        raise DataError(
            f"{n_rows} rows are too few for {folds} folds (each held-out fold needs at least {MIN_TEST_ROWS} rows)"
        )


def _merged_weights(weights: dict[str, float] | None) -> dict[str, float]:
    """:data:`~wamkit.shortform.selection.DEFAULT_WEIGHTS` overridden by ``weights`` (known terms, >= 0)."""
    w = dict(DEFAULT_WEIGHTS)
    for t, v in (weights or {}).items():
        if t not in TERMS:
            raise UsageError(f"weights: unknown term {t!r}; terms are {', '.join(TERMS)}")
        if not np.isfinite(v) or v < 0:
            raise UsageError(f"weights: {t} must be a non-negative number, got {v}")
        w[t] = float(v)
    return w
