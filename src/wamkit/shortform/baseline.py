"""The empirical baseline: unit-weighted item selection by item-criterion correlations (``psych::bestScales``).

:func:`best_scales` reproduces ``psych::bestScales(x, criteria, n.item, cut)`` without resampling
(``n.iter = 1``, psych's internal ``bScales``): the Pearson correlation of every item with the criterion
(``cor(x, y, use = "pairwise")``), the cut ``max(cut, |r|_(n.item + 1))`` where ``|r|_(j)`` is the j-th largest
absolute correlation among the items *and the criterion itself* (whose correlation psych sets to 0), the items
with ``|r| >= cut`` keyed by the sign of ``r``, and the validity of their unit-weighted mean
(``psych::scoreFast``: reversed items ``max + min - x``, row means of the answered items).  Because the cut is the
(n.item + 1)-th correlation and the comparison is ``>=``, psych keeps ``n.item + 1`` items whenever that
correlation exceeds ``cut``; wamkit reproduces this.  psych's cross-validated versions (``folds``, ``n.iter``)
draw R random numbers (``set.seed(NULL)``) and are not reproduced: :func:`wamkit.shortform.shorten` does its own
seeded k-fold cross-validation of the same rule, restricted to the items of each subscale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from wamkit.errors import DataError, UsageError
from wamkit.results import to_jsonable
from wamkit.stats.correlation import as_float_matrix, pairwise_cor

__all__ = ["BestScalesResult", "best_scales", "item_criterion_r", "unit_weighted_score"]


def item_criterion_r(X: Any, y: Any) -> np.ndarray:
    """Pearson correlation of every column of ``X`` with ``y`` over pairwise-complete rows (R ``cor(x, y,
    use = "pairwise")``)."""
    arr = np.asarray(X, dtype=float)
    yy = np.asarray(y, dtype=float).reshape(-1)
    if arr.shape[0] != yy.size:
        raise DataError(f"criterion has {yy.size} values for {arr.shape[0]} rows")
    R, _ = pairwise_cor(np.column_stack([arr, yy]))
    return R[:-1, -1].copy()


def unit_weighted_score(X: np.ndarray, signs: np.ndarray, scale_min: float, scale_max: float) -> np.ndarray:
    """Row means of the answered items, items with sign -1 reversed as ``max + min - x`` (``psych::scoreFast``)."""
    keyed = np.where(np.asarray(signs)[None, :] < 0, scale_min + scale_max - X, X)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nansum(keyed, axis=1) / (~np.isnan(keyed)).sum(axis=1)


@dataclass(frozen=True)
class BestScalesResult:
    """Result of :func:`best_scales`.

    Attributes
    ----------
    criterion : criterion name; n_items : psych ``n.item`` (after ``min(n.item, p)``); cut : the cut used.
    item_r : Series of item-criterion correlations (index = item).
    selected, signs : the kept items (in the items' order) and their keys (+1/-1).
    validity : correlation of the unit-weighted score with the criterion (psych ``$r``).
    scores : the unit-weighted scores (one per row).
    """

    criterion: str
    n_items: int
    cut: float
    item_r: pd.Series = field(repr=False)
    selected: tuple[str, ...]
    signs: tuple[int, ...]
    validity: float
    scores: np.ndarray = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per item: ``item``, ``r`` (with the criterion), ``selected``, ``sign`` (0 if not selected)."""
        sign = dict(zip(self.selected, self.signs, strict=True))
        return pd.DataFrame(
            {
                "item": self.item_r.index,
                "r": self.item_r.to_numpy(),
                "selected": [i in sign for i in self.item_r.index],
                "sign": [sign.get(i, 0) for i in self.item_r.index],
            }
        )

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(
            {
                "criterion": self.criterion,
                "n_items": self.n_items,
                "cut": self.cut,
                "selected": self.selected,
                "signs": self.signs,
                "validity": self.validity,
                "items": self.to_frame(),
            }
        )


def best_scales(
    items: Any,
    criterion: Any,
    *,
    n_items: int = 10,
    cut: float = 0.1,
    name: str | None = None,
    scale_min: float | None = None,
    scale_max: float | None = None,
) -> BestScalesResult:
    """psych ``bestScales`` without resampling: items by item-criterion correlation, unit-weighted.

    Parameters
    ----------
    items : DataFrame (or array) of item responses; NaN = missing.
    criterion : the criterion, one value per row (Series, array).
    n_items : psych ``n.item`` (10).  cut : psych ``cut`` (0.1).
    name : criterion name (default: the Series name, else ``"criterion"``).
    scale_min, scale_max : the range used to reverse negatively keyed items (default: the smallest and largest
        answer among the items, psych ``scoreFast``'s default; ``bestScales`` itself passes 1 and 6).

    Raises
    ------
    UsageError
        ``n_items < 1``; DataError: no item reaches the cut, or the lengths differ.
    """
    arr, names = as_float_matrix(items, None)
    if isinstance(n_items, bool) or int(n_items) != n_items or n_items < 1:
        raise UsageError(f"n_items must be a positive integer, got {n_items}")
    if name is None:
        name = str(getattr(criterion, "name", None) or "criterion")
    y = np.asarray(criterion, dtype=float).reshape(-1)
    r = item_criterion_r(arr, y)
    p = arr.shape[1]
    n_use = min(int(n_items), p)
    absr = np.sort(np.abs(np.append(np.nan_to_num(r, nan=0.0), 0.0)))[::-1]  # the criterion's own r is 0
    cut_used = max(float(cut), float(absr[n_use]))
    key = np.where(r >= cut_used, 1, np.where(r <= -cut_used, -1, 0))
    sel = np.flatnonzero(key)
    if sel.size == 0:
        raise DataError(f"no item correlates at least {cut_used:.3g} with {name}; lower cut")
    lo = float(np.nanmin(arr)) if scale_min is None else float(scale_min)
    hi = float(np.nanmax(arr)) if scale_max is None else float(scale_max)
    score = unit_weighted_score(arr[:, sel], key[sel], lo, hi)
    validity = float(item_criterion_r(score[:, None], y)[0])
    return BestScalesResult(
        criterion=name,
        n_items=n_use,
        cut=cut_used,
        item_r=pd.Series(r, index=pd.Index(names, name="item")),
        selected=tuple(names[j] for j in sel),
        signs=tuple(int(key[j]) for j in sel),
        validity=validity,
        scores=score,
    )
