"""Row resampling shared by the bootstrap intervals (alpha, omega).

A bootstrap resample of ``n`` rows is a vector of row counts ``w`` (multinomial, from ``n`` draws with
replacement).  Every statistic wamkit bootstraps is a function of the pairwise-complete covariance matrix
(R ``cov(x, use = "pairwise")``), and the pairwise covariances of *all* resamples follow from three weighted
cross-product stacks, computed as one matrix product ``W @ F`` per batch of resamples: no loop over resamples
or rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from wamkit.errors import UsageError

__all__ = ["BOOT_CELLS", "bootstrap_pairwise_cov", "resolve_rng"]

#: rows of bootstrap resamples handled in one batched product (memory bound ~ BOOT_CELLS * 3 p^2 floats)
BOOT_CELLS = 4_000_000


def resolve_rng(rng: Any, seed: int | None) -> np.random.Generator:
    """The random source of a bootstrap: a ``numpy.random.Generator`` or a seed (not both)."""
    if rng is not None and seed is not None:
        raise UsageError("give either rng or seed, not both")
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is not None:
        raise UsageError("rng must be a numpy.random.Generator")
    return np.random.default_rng(seed)


def bootstrap_pairwise_cov(
    X: np.ndarray, n_boot: int, rng: np.random.Generator, *, max_cells: int = BOOT_CELLS
) -> Iterator[np.ndarray]:
    """Pairwise-complete covariance matrices of ``n_boot`` row resamples of ``X``, batch by batch.

    Parameters
    ----------
    X : (n, p) float array, NaN = missing.
    n_boot : number of resamples.
    rng : random source; resample ``b`` draws ``rng.integers(0, n, size=(batch, n))`` (batches in order),
        so a given generator state always gives the same resamples.
    max_cells : resamples per batch are ``max(1, max_cells // n)``.

    Yields
    ------
    numpy.ndarray (b, p, p)
        For each resample of the batch, ``cov(x*, use = "pairwise")`` (divisor ``n_jk - 1`` over the rows
        where both items are observed); entries with fewer than 2 common rows are NaN or infinite.
    """
    n, p = X.shape
    M = ~np.isnan(X)
    Mf = M.astype(float)
    mu = np.where(M, X, 0.0).sum(axis=0) / np.maximum(Mf.sum(axis=0), 1.0)
    Z = np.where(M, X - mu, 0.0)  # centring by the full-sample means only improves accuracy
    # features per row: m_j m_k, z_j m_k, z_j z_k  -> (n, 3 p^2)
    F = np.concatenate(
        [
            (Mf[:, :, None] * Mf[:, None, :]).reshape(n, p * p),
            (Z[:, :, None] * Mf[:, None, :]).reshape(n, p * p),
            (Z[:, :, None] * Z[:, None, :]).reshape(n, p * p),
        ],
        axis=1,
    )
    chunk = max(1, min(n_boot, max_cells // max(n, 1)))
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        idx = rng.integers(0, n, size=(b, n))
        W = np.bincount((idx + (np.arange(b) * n)[:, None]).ravel(), minlength=b * n)
        W = W.reshape(b, n).astype(float)
        G = (W @ F).reshape(b, 3, p, p)
        N, S, P = G[:, 0], G[:, 1], G[:, 2]
        with np.errstate(invalid="ignore", divide="ignore"):
            yield (P - S * np.swapaxes(S, 1, 2) / N) / (N - 1.0)
