"""Fold assignment of :func:`wamkit.shortform.shorten`: seeded k-fold splits, optionally keeping persons together."""

from __future__ import annotations

import numpy as np
import pandas as pd

from wamkit.errors import DataError

__all__ = ["MIN_TEST_ROWS", "make_folds", "training_rows"]

#: the fewest rows a held-out fold may have
MIN_TEST_ROWS = 10


def make_folds(n: int, folds: int, seed: int, groups: pd.Series | None = None) -> list[np.ndarray]:
    """Held-out row positions (sorted) of each fold: ``default_rng(seed)`` permutes the rows, or the distinct
    ``groups`` labels (then every row of a group lands in the same fold; groups are dealt in random order to the
    fold with the fewest rows so far), and the permutation is cut into ``folds`` nearly equal parts."""
    rng = np.random.default_rng(seed)
    if groups is None:
        return [np.sort(p) for p in np.array_split(rng.permutation(n), folds)]
    g = pd.Series(groups).reset_index(drop=True)
    if len(g) != n:
        raise DataError(f"groups has {len(g)} labels for {n} rows of items")
    labels = g.astype("string").to_numpy(dtype=object)
    missing = pd.isna(labels)
    labels[missing] = [f"\x00row{i}" for i in np.flatnonzero(missing)]
    uniq, inv = np.unique(labels.astype(str), return_inverse=True)
    if uniq.size < folds:
        raise DataError(f"groups: {uniq.size} persons are too few for {folds} folds")
    sizes = np.bincount(inv)
    load = np.zeros(folds)
    fold_of = np.empty(uniq.size, dtype=np.int64)
    for g in rng.permutation(uniq.size):  # each group, in random order, to the fold with the fewest rows so far
        f = int(np.argmin(load))
        fold_of[g] = f
        load[f] += sizes[g]
    parts = [np.flatnonzero(fold_of[inv] == f) for f in range(folds)]
    small = min(p.size for p in parts)
    if small < MIN_TEST_ROWS:
        raise DataError(f"a held-out fold has only {small} rows (persons kept together); use fewer folds")
    return parts


def training_rows(parts: list[np.ndarray], test: np.ndarray) -> np.ndarray:
    """The sorted row positions outside the held-out fold ``test`` (all other parts of :func:`make_folds`)."""
    train = np.setdiff1d(np.concatenate(parts), test, assume_unique=True)
    train.sort()
    return train
