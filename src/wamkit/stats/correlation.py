"""Pearson correlation matrices with missing data (pairwise or listwise deletion).

The pairwise matrix is computed with masked matrix products (no loop over pairs), so
that it is as fast for 25 items as for 2 and can also be applied to a stack of data
sets at once (used by parallel analysis).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from wamkit.errors import DataError, UsageError

__all__ = ["pairwise_cor", "as_float_matrix"]

#: fewest complete pairs for which a correlation is accepted
MIN_PAIRS = 3


def as_float_matrix(X: Any, items: Sequence[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """``X`` (DataFrame or 2-D array, rows = respondents) as a float array (a copy) and item names.

    With a DataFrame, ``items`` selects and orders columns (default: all); with an array,
    ``items`` names its columns (default ``V1..Vp``). Missing values (``None``, ``pd.NA``,
    NaN) become NaN. Unknown or duplicate names are a :class:`UsageError`; non-numeric or
    infinite data a :class:`DataError`. The input is never modified.
    """
    if hasattr(X, "columns") and hasattr(X, "to_numpy"):
        cols = [str(c) for c in X.columns]
        names = cols if items is None else [str(i) for i in items]
        unknown = [i for i in names if i not in cols]
        if unknown:
            raise UsageError(f"unknown item(s): {', '.join(unknown)}")
        block = X if items is None else X.loc[:, list(items)]
        try:
            arr = np.array(block.to_numpy(dtype=float, na_value=np.nan), dtype=float)
        except (TypeError, ValueError) as exc:
            raise DataError(f"item data must be numeric: {exc}") from None
    else:
        try:
            arr = np.array(X, dtype=float)
        except (TypeError, ValueError) as exc:
            raise DataError(f"item data must be numeric: {exc}") from None
        if arr.ndim != 2:
            raise DataError(f"item data must be 2-D (respondents x items), got {arr.ndim} dimension(s)")
        names = [f"V{j + 1}" for j in range(arr.shape[1])] if items is None else [str(i) for i in items]
        if len(names) != arr.shape[1]:
            raise UsageError(f"{len(names)} item names given for {arr.shape[1]} columns")
    if arr.ndim != 2:
        raise DataError(f"item data must be 2-D (respondents x items), got {arr.ndim} dimension(s)")
    if len(set(names)) != len(names):
        raise UsageError("item names must be unique")
    if np.isinf(arr).any():
        raise DataError("item data contain infinite values")
    return arr, names


def pairwise_core(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairwise-complete correlations of ``X`` (..., n, p) with NaN as missing.

    Returns ``(R, n_pairwise, var_ok)``; works on stacks (leading batch axes).
    Columns are centred by their available-case means first (for numerical
    accuracy); the per-pair means are then re-estimated exactly, so the result is
    the textbook pairwise-complete Pearson correlation (R ``cor(use="pairwise")``).
    """
    M = ~np.isnan(X)
    Mf = M.astype(float)
    cnt = Mf.sum(axis=-2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        mu = np.where(M, X, 0.0).sum(axis=-2, keepdims=True) / np.maximum(cnt, 1.0)
    Z = np.where(M, X - mu, 0.0)

    def cross(U: np.ndarray, W: np.ndarray) -> np.ndarray:
        # U' W per data set; einsum(optimize=True) dispatches stacks to BLAS
        return np.einsum("...nj,...nk->...jk", U, W, optimize=True)

    n = cross(Mf, Mf)  # n[j,k] = # rows with both j and k present
    S = cross(Z, Mf)  # S[j,k] = sum of z_j over rows where both present
    Q = cross(Z * Z, Mf)  # Q[j,k] = sum of z_j^2 over the same rows
    P = cross(Z, Z)  # P[j,k] = sum z_j z_k over rows with both present
    with np.errstate(invalid="ignore", divide="ignore"):
        nn = np.where(n > 0, n, np.nan)
        cov = P - S * np.swapaxes(S, -1, -2) / nn
        vj = Q - S * S / nn
        vk = np.swapaxes(vj, -1, -2)
        R = cov / np.sqrt(vj * vk)
    var_ok = (vj > 0) & (vk > 0)
    R = np.clip(R, -1.0, 1.0)
    p = X.shape[-1]
    idx = np.arange(p)
    R[..., idx, idx] = 1.0
    return R, n, var_ok


def pairwise_cor(X: Any, *, listwise: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Pearson correlation matrix with pairwise (default) or listwise deletion.

    For every pair of items ``j, k`` the correlation is computed on the rows where
    both are observed, with means and standard deviations of those rows:
    ``r_jk = sum((x_j - m_j)(x_k - m_k)) / sqrt(sum((x_j - m_j)^2) sum((x_k - m_k)^2))``.

    Matches R ``cor(x, use="pairwise")`` (and ``psych::pairwiseCount(x)`` for the
    counts); with ``listwise=True`` it matches ``cor(x, use="complete.obs")``.

    Parameters
    ----------
    X : array-like or DataFrame, shape (n, p)
        Respondents in rows, items in columns; NaN (or pandas NA) marks missing.
    listwise : bool, default False
        Drop every row with a missing value first (complete cases).

    Returns
    -------
    R : ndarray (p, p)
        Correlation matrix (unit diagonal).
    n_pairwise : ndarray (p, p) of int
        Number of complete pairs behind each correlation (all equal to the number
        of complete cases when ``listwise``).

    Raises
    ------
    DataError
        Fewer than 2 items, an item without variance (on the rows used), or a pair
        of items with fewer than 3 complete observations.
    """
    arr, names = as_float_matrix(X)
    n_rows, p = arr.shape
    if p < 2:
        raise DataError(f"a correlation matrix needs at least 2 items, got {p}")
    if not names:
        names = [f"V{j + 1}" for j in range(p)]
    if listwise:
        keep = ~np.isnan(arr).any(axis=1)
        arr = arr[keep]
        if arr.shape[0] < MIN_PAIRS:
            raise DataError(
                f"only {arr.shape[0]} complete case(s) of {n_rows}; listwise correlations need at least {MIN_PAIRS}"
            )
    R, n, var_ok = pairwise_core(arr)
    n_int = np.rint(n).astype(np.int64)
    # constant items (over all their observed values) first: clearer message
    obs = ~np.isnan(arr)
    for j in range(p):
        col = arr[obs[:, j], j]
        if col.size == 0:
            raise DataError(f"item {names[j]} has no observed values; drop it")
        if col.size and np.ptp(col) == 0:
            raise DataError(f"item {names[j]} is constant (every observed value is {col[0]:g}); drop it")
    few = np.argwhere(np.triu(n_int < MIN_PAIRS, 1))
    if few.size:
        j, k = few[0]
        raise DataError(
            f"items {names[j]} and {names[k]} have only {n_int[j, k]} complete pair(s) "
            f"(at least {MIN_PAIRS} needed for a correlation)"
        )
    bad = np.argwhere(np.triu(~var_ok, 1))
    if bad.size:
        j, k = bad[0]
        raise DataError(f"items {names[j]} and {names[k]}: one of them is constant on the rows where both are observed")
    return R, n_int
