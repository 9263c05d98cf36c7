"""Selection of :func:`wamkit.shortform.shorten` on a set of rows (the training rows of a fold, or all rows).

:class:`Selector` fits every subscale's model on the rows (:func:`~wamkit.shortform.selection.fit_subscale`),
searches its set (:func:`~wamkit.shortform.selection.search`, seeded by ``[seed, rng_key, subscale position]``)
and names the kept items and the criterion baseline.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wamkit.errors import DataError
from wamkit.shortform.baseline import item_criterion_r
from wamkit.shortform.prepare import ItemData
from wamkit.shortform.selection import SearchResult, SubscaleModel, fit_subscale, search
from wamkit.shortform.settings import ShortenSettings

__all__ = ["Selector", "choose_set", "items_to_keep"]


def items_to_keep(subscale: str, m: int, items_per_scale: int | dict[str, int] | None) -> int | None:
    """The number of items to keep of a subscale with ``m`` items (None: chosen by the target reliability)."""
    if items_per_scale is None:
        return None
    if isinstance(items_per_scale, dict):
        return items_per_scale.get(subscale, m)
    return int(items_per_scale)


def choose_set(
    model: SubscaleModel,
    k: int | None,
    *,
    target: float | None,
    min_items: int,
    weights: dict[str, float],
    rng: np.random.Generator,
    method: str,
    max_exhaustive: int,
) -> SearchResult | None:
    """The set for one subscale: ``k`` items, or the fewest items whose best set reaches ``target``.

    ``None`` means the subscale is kept whole.
    """
    m = len(model.items)
    if k is not None:
        if k >= m:
            return None
        return search(model, k, weights=weights, rng=rng, method=method, max_exhaustive=max_exhaustive)
    assert target is not None
    for kk in range(min_items, m):
        try:
            return search(
                model,
                kk,
                weights=weights,
                rng=rng,
                method=method,
                max_exhaustive=max_exhaustive,
                min_reliability=target,
            )
        except DataError:
            continue
    return None


@dataclass(frozen=True)
class Selector:
    """Chooses the short form of every subscale in ``settings.subscales`` on given rows of ``items``."""

    items: ItemData
    settings: ShortenSettings

    def fit_models(self, rows: np.ndarray) -> dict[str, SubscaleModel]:
        """Each subscale's model (loadings, graded model, information, criterion covariances) on ``rows``."""
        st, y = self.settings, self.items.criterion
        out = {}
        for s in st.subscales:
            out[s] = fit_subscale(
                self.items.data.iloc[rows][self.items.sub_items[s]],
                s,
                theta_range=st.information_range,
                cutoff=st.cutoff(s),
                cutoff_halfwidth=st.cutoff_halfwidth,
                criterion=None if y is None else y[rows],
            )
        return out

    def select(self, models: dict[str, SubscaleModel], rng_key: int) -> dict[str, SearchResult | None]:
        """Each subscale's chosen set (None: kept whole); the search of subscale ``j`` is seeded with
        ``default_rng([seed, rng_key, j])``."""
        st = self.settings
        out = {}
        for s in st.subscales:
            rng = np.random.default_rng([int(st.seed), rng_key, st.subscales.index(s)])
            out[s] = choose_set(
                models[s],
                items_to_keep(s, len(self.items.sub_items[s]), st.items_per_scale),
                target=st.target_reliability,
                min_items=st.min_items,
                rng=rng,
                weights=st.weights,
                method=st.search_method,
                max_exhaustive=st.max_exhaustive,
            )
        return out

    def kept(self, subscale: str, res: SearchResult | None) -> list[str]:
        """The items of ``subscale`` that ``res`` keeps (all of them when it is None), in subscale order."""
        its = self.items.sub_items[subscale]
        return list(its) if res is None else [its[j] for j in res.selected]

    def baseline(self, subscale: str, rows: np.ndarray, k: int) -> list[str]:
        """The ``k`` items of ``subscale`` with the largest absolute item-criterion correlation on ``rows``
        (``psych::bestScales`` style; ties in item order), in subscale order."""
        y = self.items.criterion
        assert y is not None
        its = self.items.sub_items[subscale]
        r = item_criterion_r(self.items.data.iloc[rows][its].to_numpy(dtype=float), y[rows])
        order = np.argsort(-np.abs(np.nan_to_num(r, nan=0.0)), kind="stable")[:k]
        return [its[j] for j in sorted(order)]
