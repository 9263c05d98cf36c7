"""Sample statistics for the ML engine: complete-data moments or FIML missing-data patterns.

Every group is stored as a set of *patterns* (rows sharing the same observed variables),
each with its size ``n_k``, mean ``ȳ_k`` and covariance ``S_k`` (divisor ``n_k``),
zero-padded to all ``p`` variables.  Complete data is the special case of one pattern
with everything observed, so the likelihood code has one path.

Under FIML (lavaan ``missing = "ml"``) the unrestricted (h1) means and covariances are
the EM estimates under MAR (``lav_mvnorm_missing_h1_estimate_moments``); the EM step is
vectorised over patterns: with ``P_k`` the inverse of the observed block of ``S``
scattered into a p×p matrix, ``W_k = S P_k`` maps a pattern's centred observed values to
the conditional expectation of the full vector, so ``E[y] = μ + W_k (ȳ_k − μ)`` and the
conditional covariance is ``S − S P_k S``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wamkit.errors import DataError, UsageError
from wamkit.stats.linalg import mm

__all__ = ["GroupStats", "SampleStats", "complete_group", "fiml_group", "numeric_block", "padded_inverse"]

LOG2PI = math.log(2.0 * math.pi)


@dataclass
class GroupStats:
    """One group's data summary.

    ``obs`` (K, p) bool, ``nk`` (K,), ``ybar`` (K, p) and ``S`` (K, p, p) zero-padded per
    pattern; ``mean``/``cov`` the h1 estimates (sample moments, or EM under FIML);
    ``logl_h1`` the saturated log-likelihood; ``var_n``/``var_mean``/``var_var`` the
    available-case univariate ML moments (FIML baseline); ``x_cov``/``x_mean`` the
    moments of the exogenous covariates (fixed.x).
    """

    n: int
    obs: np.ndarray
    nk: np.ndarray
    ybar: np.ndarray
    S: np.ndarray
    mean: np.ndarray
    cov: np.ndarray
    logl_h1: float
    var_n: np.ndarray
    var_mean: np.ndarray
    var_var: np.ndarray
    complete: bool
    pair_cov: np.ndarray | None = None  # pairwise-complete covariances x (n-1)/n (lavaan's WLS.obs under FIML)


@dataclass
class SampleStats:
    groups: list[GroupStats]
    ov_names: tuple[str, ...]
    group_labels: tuple[str, ...]
    fiml: bool
    x_idx: np.ndarray  # positions of the fixed exogenous covariates among ov_names
    dropped: int = 0  # rows dropped (listwise, empty rows, missing covariates)

    @property
    def ntotal(self) -> int:
        return int(sum(g.n for g in self.groups))

    @property
    def n(self) -> np.ndarray:
        return np.array([g.n for g in self.groups], dtype=float)


def numeric_block(data: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """The named columns as a float matrix (NaN for missing); errors name the column."""
    if not isinstance(data, pd.DataFrame):
        raise UsageError("data must be a pandas DataFrame")
    missing_cols = [c for c in columns if c not in data.columns]
    if missing_cols:
        raise UsageError(
            f"model variable {missing_cols[0]!r} is not a column of the data "
            f"({len(missing_cols)} missing: {', '.join(map(str, missing_cols[:5]))})"
        )
    block = data.loc[:, list(columns)]
    try:
        X = block.apply(pd.to_numeric, errors="raise").to_numpy(dtype=float, na_value=np.nan)
    except (ValueError, TypeError) as exc:
        bad = next(c for c in columns if not pd.api.types.is_numeric_dtype(block[c]))
        raise DataError(f"column {bad!r} holds non-numeric values ({exc})") from None
    if not np.all(np.isfinite(X[~np.isnan(X)])):
        raise DataError("the model variables contain infinite values")
    return X


def check_cov(S: np.ndarray, names: Sequence[str], where: str) -> None:
    d = np.diag(S)
    scale = max(1.0, float(np.max(np.abs(d))))
    const = [v for v, s in zip(names, d, strict=True) if not s > 1e-12 * scale]
    if const:
        raise DataError(f"variable {const[0]!r} has zero variance{where}; drop it from the model")
    ev = np.linalg.eigvalsh(S / np.sqrt(np.outer(d, d)))
    if ev[0] <= 1e-10:
        raise DataError(
            f"the sample covariance matrix of the model variables is singular{where} "
            "(a variable is a linear combination of others)"
        )


def padded_inverse(Sig: np.ndarray, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Inverses of the observed blocks of ``Sig`` for every pattern, scattered into (K, p, p), and log-determinants.

    Missing rows/columns are replaced by the identity before a batched Cholesky, so the
    padded inverse has the block inverse where observed and zeros elsewhere.  ``None``
    when a block is not positive definite.
    """
    p = Sig.shape[0]
    oo = obs[:, :, None] & obs[:, None, :]
    eye = np.eye(p, dtype=bool)
    pad = np.where(oo, Sig[None], eye[None].astype(float))
    try:
        L = np.linalg.cholesky(pad)
    except np.linalg.LinAlgError:
        return None
    logdet = 2.0 * np.log(np.diagonal(L, axis1=1, axis2=2)).sum(axis=1)
    inv = np.linalg.inv(pad)
    inv = 0.5 * (inv + np.transpose(inv, (0, 2, 1)))
    inv *= oo
    return inv, logdet


def saturated_logl(g: GroupStats, mean: np.ndarray, cov: np.ndarray) -> float:
    """log-likelihood of the group's data under N(mean, cov) (patterns, observed parts only)."""
    res = padded_inverse(cov, g.obs)
    if res is None:
        return -np.inf
    P, logdet = res
    d = (g.ybar - mean[None]) * g.obs
    quad = np.einsum("kij,kji->k", P, g.S) + np.einsum("ki,kij,kj->k", d, P, d)
    pk = g.obs.sum(axis=1)
    return float(-0.5 * np.sum(g.nk * (pk * LOG2PI + logdet + quad)))


def complete_group(X: np.ndarray, names: Sequence[str], where: str) -> GroupStats:
    """Listwise-complete statistics of one group (rows with a missing value already removed)."""
    n, p = X.shape
    if n < p + 1:
        raise DataError(f"only {n} complete cases{where} for {p} variables; need at least {p + 1}")
    m = X.mean(axis=0)
    Xc = X - m
    S = mm(Xc.T, Xc) / n
    check_cov(S, names, where)
    _sign, ld = np.linalg.slogdet(S)
    logl = float(-0.5 * n * (p * LOG2PI + ld + p))
    return GroupStats(
        n=n, obs=np.ones((1, p), dtype=bool), nk=np.array([float(n)]), ybar=m[None], S=S[None], mean=m, cov=S,
        logl_h1=logl, var_n=np.full(p, float(n)), var_mean=m, var_var=np.diag(S).copy(), complete=True,
    )  # fmt: skip


def fiml_group(X: np.ndarray, names: Sequence[str], where: str, *, tol: float = 1e-13,
               max_iter: int = 10_000) -> GroupStats:  # fmt: skip
    """Missing-data pattern statistics of one group and the EM (h1) estimates (rows missing on everything removed)."""
    n, p = X.shape
    if n < p + 1:
        raise DataError(f"only {n} cases with any observed value{where} for {p} variables")
    obs_mask = ~np.isnan(X)
    cnt = obs_mask.sum(axis=0)
    if np.any(cnt < 2):
        bad = names[int(np.argmin(cnt))]
        raise DataError(f"variable {bad!r} is observed in fewer than 2 cases{where}")
    keys, inv = np.unique(obs_mask, axis=0, return_inverse=True)
    inv = inv.ravel()
    K = len(keys)
    obs = keys.astype(bool)
    nk = np.bincount(inv, minlength=K).astype(float)
    Xz = np.where(obs_mask, X, 0.0)
    ybar = np.zeros((K, p))
    np.add.at(ybar, inv, Xz)
    ybar /= nk[:, None]
    Xc = Xz - ybar[inv]
    S = np.einsum("ni,nj->nij", Xc, Xc) if n * p * p <= 5_000_000 else None
    if S is not None:
        Sk = np.zeros((K, p, p))
        np.add.at(Sk, inv, S)
    else:
        Sk = np.stack([Xc[inv == k].T @ Xc[inv == k] for k in range(K)])
    Sk /= nk[:, None, None]
    var_mean = np.nanmean(X, axis=0)
    var_var = np.nanvar(X, axis=0)
    Ob = obs_mask.astype(float)
    npair = Ob.T @ Ob
    sx = Xz.T @ Ob  # sx[i, j] = sum of x_i over rows observing both i and j
    with np.errstate(invalid="ignore", divide="ignore"):
        pair = (Xz.T @ Xz - sx * sx.T / npair) / (npair - 1.0)
    pair_cov = pair * (n - 1) / n
    g = GroupStats(
        n=n, obs=obs, nk=nk, ybar=ybar, S=Sk, mean=var_mean, cov=np.diag(var_var), logl_h1=0.0,
        var_n=cnt.astype(float), var_mean=var_mean, var_var=var_var, complete=bool(K == 1 and obs.all()),
        pair_cov=pair_cov,
    )  # fmt: skip
    mu, cov = var_mean.copy(), np.diag(var_var)
    if g.complete:
        mu, cov = ybar[0].copy(), Sk[0].copy()
        prev = saturated_logl(g, mu, cov)
    else:
        prev = -np.inf
        pk = obs.sum(axis=1)
        for _ in range(max_iter):
            res = padded_inverse(cov, obs)
            if res is None:
                raise DataError(f"the EM estimate of the covariance matrix became singular{where}")
            P, logdet = res
            d = (ybar - mu[None]) * obs
            Pd = np.einsum("kij,kj->ki", P, d)
            # log-likelihood at the current estimates, from the inverse the E-step needs anyway
            quad = np.einsum("kij,kji->k", P, Sk) + np.einsum("ki,ki->k", d, Pd)
            ll = float(-0.5 * np.sum(nk * (pk * LOG2PI + logdet + quad)))
            if abs(ll - prev) < tol * max(1.0, abs(ll)):
                prev = ll
                break
            prev = ll
            W = cov[None] @ P  # (K, p, p)
            yhat = mu[None] + np.einsum("kij,kj->ki", W, d)
            C = cov[None] - W @ cov[None]
            WS = W @ Sk @ np.transpose(W, (0, 2, 1))
            T1 = (nk[:, None] * yhat).sum(axis=0)
            T2 = np.einsum("k,kij->ij", nk, WS + C) + np.einsum("k,ki,kj->ij", nk, yhat, yhat)
            mu = T1 / n
            cov = T2 / n - np.outer(mu, mu)
            cov = 0.5 * (cov + cov.T)
    check_cov(cov, names, where)
    g.mean, g.cov, g.logl_h1 = mu, cov, float(prev)
    return g
