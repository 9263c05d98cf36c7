"""How many factors? Horn's parallel analysis and Velicer's MAP, as R ``psych``.

* :func:`parallel_analysis` = ``psych::fa.parallel(x, fa="both")`` on raw data:
  observed eigenvalues of the pairwise correlation matrix (components) and of the
  reduced matrix of a one-factor minres solution (factors), compared with the same
  eigenvalues of (a) normal random data of the same size and (b) data resampled
  column-wise with replacement. All random data sets are generated and
  factored in batches (stacked matrices), not one by one.
* :func:`map_test` = ``psych::VSS(R)$map`` (Velicer's minimum average partial).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from wamkit.errors import DataError, UsageError
from wamkit.results import StatResult, to_jsonable
from wamkit.stats.correlation import as_float_matrix, pairwise_cor, pairwise_core
from wamkit.stats.efa import check_corr, eigh_desc, extract_optim, extract_pa

__all__ = ["ParallelResult", "MAPResult", "parallel_analysis", "map_test"]


# --------------------------------------------------------------------------- MAP
@dataclass(frozen=True)
class MAPResult(StatResult):
    """Velicer's MAP: ``values[i-1]`` is the average squared partial correlation after
    removing ``i`` principal components (``psych::VSS(R)$map``); ``n_factors`` its argmin."""

    values: np.ndarray
    n_factors: int

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable({"values": self.values, "n_factors": self.n_factors})


def map_test(R: Any, *, n_max: int = 8) -> MAPResult:
    """Velicer's minimum average partial test, matching ``psych::VSS(R, n=n_max)$map``.

    With ``C = V diag(sqrt(e))`` the principal component loadings of ``R``, for
    ``i = 1..min(n_max, p-1)``: ``R* = R - C_i C_i'`` rescaled to unit diagonal,
    ``MAP_i = sum_{j != k} r*_jk^2 / (p(p-1))``. The suggested number of factors is
    ``argmin_i MAP_i``.

    Returns
    -------
    MAPResult
        ``values`` has length ``min(n_max, p)``; entries psych leaves ``NA`` are NaN.
    """
    A = check_corr(R)
    p = A.shape[0]
    if n_max < 1:
        raise UsageError("n_max must be at least 1")
    n = min(n_max, p)
    n1 = p - 1 if n >= p else n
    w, V = eigh_desc(A)
    with np.errstate(invalid="ignore"):
        comp = V * np.sqrt(w)
    # all partial matrices at once: (n1, p, p)
    cum = np.cumsum(comp[:, None, :n1] * comp[None, :, :n1], axis=2)  # (p, p, n1)
    cstar = A[None, :, :] - np.moveaxis(cum, 2, 0)
    d = np.sqrt(np.diagonal(cstar, axis1=1, axis2=2))  # (n1, p)
    with np.errstate(invalid="ignore", divide="ignore"):
        rstar = cstar / d[:, :, None] / d[:, None, :]
    idx = np.arange(p)
    rstar[:, idx, idx] = 0.0
    vals = np.full(n, np.nan)
    vals[:n1] = np.sum(rstar * rstar, axis=(1, 2)) / (p * (p - 1))
    if np.all(np.isnan(vals)):
        raise DataError("MAP is undefined for this correlation matrix")
    return MAPResult(values=vals, n_factors=int(np.nanargmin(vals)) + 1)


# --------------------------------------------------------------------------- parallel analysis
@dataclass(frozen=True)
class ParallelResult(StatResult):
    """Result of :func:`parallel_analysis` (names as ``psych::fa.parallel``).

    ``pc_values``/``fa_values``: observed eigenvalues (components / one-factor reduced
    matrix). ``pc_sim``/``fa_sim``: means over the normal simulated data sets;
    ``pc_simr``/``fa_simr``: means over the resampled data sets; ``*_ci``: the
    ``quant`` quantiles (R type 7) used for the decision. ``ncomp``/``nfact``: number
    of leading observed eigenvalues larger than the simulated criterion (``None``
    when all are, psych's ``NA``). ``values``: all (n_iter, 4p) simulated eigenvalues
    in psych's column order (C, F, CSim, Fsim).
    """

    nfact: int | None
    ncomp: int | None
    pc_values: np.ndarray
    fa_values: np.ndarray
    pc_sim: np.ndarray
    fa_sim: np.ndarray
    pc_simr: np.ndarray
    fa_simr: np.ndarray
    pc_sim_ci: np.ndarray
    fa_sim_ci: np.ndarray
    pc_simr_ci: np.ndarray
    fa_simr_ci: np.ndarray
    values: np.ndarray
    n_iter: int
    quant: float | None
    fm: str
    n_obs: int
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        d = {f: getattr(self, f) for f in self.__dataclass_fields__ if f != "values"}
        return to_jsonable(d)


def _batched_reduced_values(
    S: np.ndarray, nf: int, fm: str, smc_start: bool, tol: float = 1e-8, max_iter: int = 60
) -> np.ndarray:
    """Eigenvalues of the reduced matrices of ``nf``-factor solutions of a stack ``S`` (B, p, p).

    ``minres``: the uniquenesses minimise psych's minres criterion (stationary point of
    psych's gradient ``h2 + psi - 1``), found for all matrices at once by
    :func:`batched_minres` from psych's start ``psi = 1 - SMC`` within [0.005, 1].
    ``pa``: psych's principal axis iterations (start SMC or 1 as psych's ``SMC``
    argument, stop when the communality sum changes by < 0.001, at most 50).
    Returns ``eigen(S with diag(L L'))`` values in decreasing order, shape (B, p).
    """
    B, p, _ = S.shape
    idx = np.arange(p)
    if fm == "pa":
        if smc_start:
            Sinv = np.linalg.inv(S)
            h2 = np.clip(1.0 - 1.0 / np.diagonal(Sinv, axis1=1, axis2=2), 0.0, 1.0)
        else:
            h2 = np.ones((B, p))
        comm = h2.sum(axis=1)
        active = np.ones(B, dtype=bool)
        vals_out = np.empty((B, p))
        Sd = S.copy()
        Sd[:, idx, idx] = h2
        for it in range(1, 51):
            a = np.flatnonzero(active)
            if a.size == 0:
                break
            w, V = np.linalg.eigh(Sd[a])
            w = w[:, ::-1]
            V = V[:, :, ::-1]
            vals_out[a] = w
            with np.errstate(invalid="ignore"):
                L = V[:, :, :nf] * np.sqrt(w[:, None, :nf])
            new = (L * L).sum(axis=2)
            c1 = new.sum(axis=1)
            Sd[a[:, None], idx[None, :], idx[None, :]] = new
            err = np.abs(comm[a] - c1)
            comm[a] = c1
            done = ~(err > 0.001) | (it + 1 > 50)
            active[a[done]] = False
        return vals_out
    Sinv = np.linalg.inv(S)
    smc = np.clip(1.0 - 1.0 / np.diagonal(Sinv, axis1=1, axis2=2), 0.0, 1.0)
    _psi, h2 = batched_minres(S, nf, 1.0 - smc, tol=tol, max_iter=max_iter)
    Sd = S.copy()
    Sd[:, idx, idx] = h2
    return np.linalg.eigvalsh(Sd)[:, ::-1]


def uls_state(S: np.ndarray, psi: np.ndarray, nf: int):
    """Eigen decomposition of ``S - diag(psi)`` (decreasing), communalities and the
    ULS discrepancy ``F = 1/2 sum_{m > nf} e_m^2`` (whose gradient is psych's minres
    gradient ``h2 + psi - 1``)."""
    p = S.shape[-1]
    idx = np.arange(p)
    A = S.copy()
    A[:, idx, idx] -= psi
    w, V = np.linalg.eigh(A)
    w = w[:, ::-1]
    V = V[:, :, ::-1]
    lt = np.maximum(w[:, :nf], 0.0)
    h2 = (V[:, :, :nf] ** 2 * lt[:, None, :]).sum(axis=2)
    F = 0.5 * ((w[:, nf:] ** 2).sum(axis=1) + (np.minimum(w[:, :nf], 0.0) ** 2).sum(axis=1))
    return w, V, lt, h2, F


def batched_minres(
    S: np.ndarray,
    nf: int,
    psi0: np.ndarray,
    *,
    lo: float = 0.005,
    hi: float = 1.0,
    tol: float = 1e-8,
    max_iter: int = 60,
) -> tuple[np.ndarray, np.ndarray]:
    """Minres uniquenesses for a stack of correlation matrices at once.

    Minimises ``F(psi) = 1/2 sum_{m>nf} e_m(S - diag psi)^2`` (gradient ``g = h2 + psi - 1``,
    psych's ``FAgr.minres``) within psych's bounds by a projected, modified Newton
    method (analytic Hessian ``I + dh2/dpsi`` from eigenvector perturbation theory,
    eigenvalues made positive, step capped at 0.25, Armijo backtracking), started like
    psych at ``psi = 1 - SMC``. Converges to the local minimum psych's L-BFGS-B reaches
    in almost all cases; stops when ``max |g| < tol`` on the free coordinates.
    Returns ``(psi, h2)``.
    """
    B, p, _ = S.shape
    idx = np.arange(p)
    psi = np.clip(np.array(psi0, dtype=float), lo, hi)
    live = np.ones(B, dtype=bool)
    eye = np.eye(p)[None]
    for _ in range(max_iter):
        a = np.flatnonzero(live)
        if a.size == 0:
            break
        Sa = S[a]
        pa = psi[a]
        w, V, lt, h2, F = uls_state(Sa, pa, nf)
        g = h2 + pa - 1.0
        act = ((pa <= lo) & (g > 0)) | ((pa >= hi) & (g < 0))
        gf = np.where(act, 0.0, g)
        conv = np.abs(gf).max(axis=1) < tol
        Vt = V[:, :, :nf]
        Um = V[:, :, nf:]
        J = np.zeros((a.size, p, p))
        for f in range(nf):
            vf = Vt[:, :, f]
            lf = lt[:, f]
            J -= (vf**2)[:, :, None] * (vf**2)[:, None, :]
            gap = w[:, f : f + 1] - w[:, nf:]
            with np.errstate(divide="ignore", invalid="ignore"):
                coef = np.where((lf[:, None] > 0) & (gap > 0), lf[:, None] / gap, 0.0)
            K = np.einsum("bjm,bkm,bm->bjk", Um, Um, coef)
            J -= 2.0 * vf[:, :, None] * vf[:, None, :] * K
            for m in range(f + 1, nf):
                vfm = Vt[:, :, f] * Vt[:, :, m]
                J -= 2.0 * vfm[:, :, None] * vfm[:, None, :]
        H = eye + J
        H = 0.5 * (H + np.swapaxes(H, 1, 2))
        fixed = act[:, :, None] | act[:, None, :]
        H = np.where(fixed, 0.0, H)
        H[:, idx, idx] = np.where(act, 1.0, H[:, idx, idx])
        ev, EV = np.linalg.eigh(H)
        ev = np.maximum(np.abs(ev), 1e-3)
        step = -np.einsum("bij,bj,bkj,bk->bi", EV, 1.0 / ev, EV, gf)
        mx = np.abs(step).max(axis=1, keepdims=True)
        step = step * np.minimum(1.0, 0.25 / np.maximum(mx, 1e-300))
        t = np.ones(a.size)
        newpsi = pa.copy()
        pending = ~conv
        for _ls in range(30):
            if not pending.any():
                break
            k = np.flatnonzero(pending)
            cand = np.clip(pa[k] + t[k, None] * step[k], lo, hi)
            Fc = uls_state(Sa[k], cand, nf)[4]
            ok = Fc <= F[k] + 1e-4 * (gf[k] * (cand - pa[k])).sum(axis=1)
            newpsi[k[ok]] = cand[ok]
            pending[k[ok]] = False
            t[k[~ok]] *= 0.5
        psi[a] = newpsi
        live[a[conv]] = False
    h2 = uls_state(S, psi, nf)[3]
    return psi, h2


def _stack_cor_complete(Z: np.ndarray) -> np.ndarray:
    """Correlation matrices of a stack of complete data sets (B, n, p)."""
    Zc = Z - Z.mean(axis=1, keepdims=True)
    C = np.einsum("bnj,bnk->bjk", Zc, Zc, optimize=True)
    d = 1.0 / np.sqrt(np.diagonal(C, axis1=1, axis2=2))
    return C * d[:, :, None] * d[:, None, :]


def _first_not_greater(obs: np.ndarray, crit: np.ndarray) -> int | None:
    bad = np.flatnonzero(~(obs > crit))
    return int(bad[0]) if bad.size else None


def parallel_analysis(
    X: Any,
    *,
    n_iter: int = 20,
    fm: str = "minres",
    quant: float | None = 0.95,
    n_factors: int = 1,
    rng: np.random.Generator | None = None,
    seed: int | None = None,
    chunk_size: int = 10,
) -> ParallelResult:
    """Horn's parallel analysis as ``psych::fa.parallel(x, fa="both", n.iter=n_iter)``.

    Observed: eigenvalues of the pairwise correlation matrix ``R`` (``pc_values``) and
    of ``R`` with the communalities of an ``n_factors``-factor ``fm`` solution on the
    diagonal (``fa_values``, psych's ``fa(R, 1, rotate="none")$values``).
    Each of ``n_iter`` iterations draws (a) an ``n x p`` standard normal matrix and
    (b) a data set whose columns are resampled independently with replacement
    (missing values travel with the draws, correlations pairwise), and computes the
    same two sets of eigenvalues (psych factors these with ``SMC=FALSE``, which only
    matters for ``fm="pa"``).

    Decision (psych): ``ncomp`` = number of leading ``pc_values`` above the ``quant``
    quantile of the simulated component eigenvalues (``pc_sim_ci``), ``nfact`` the
    same for factors (``fa_sim_ci``). ``quant=None`` compares with the means instead.

    Parameters
    ----------
    X : (n, p) data (array or DataFrame), NaN for missing.
    n_iter : number of simulated and of resampled data sets (psych default 20).
    fm : ``"minres"`` (default, batched), ``"pa"`` (batched) or ``"ml"`` (one by one).
    quant : quantile for the decision (psych default 0.95) or ``None`` (means).
    n_factors : factors of the solution whose reduced eigenvalues are used (psych ``nfactors=1``).
    rng, seed : randomness (a ``numpy.random.Generator`` or an int seed). R's random
        numbers cannot be reproduced, so simulated values agree with R only in
        distribution; observed values agree exactly.
    chunk_size : data sets generated per batch (memory ~ chunk_size * n * p * 8 bytes * 3).

    Returns
    -------
    ParallelResult
    """
    arr, _names = as_float_matrix(X)
    n, p = arr.shape
    if fm not in ("minres", "pa", "ml"):
        raise UsageError(f"unknown factoring method {fm!r} for parallel analysis; choose minres, pa or ml")
    if n_iter < 1:
        raise UsageError("n_iter must be at least 1")
    if chunk_size < 1:
        raise UsageError("chunk_size must be at least 1")
    if quant is not None and not 0 < quant < 1:
        raise UsageError(f"quant must be in (0, 1) or None, got {quant!r}")
    if not 1 <= n_factors < p:
        raise UsageError(f"n_factors must be between 1 and {p - 1}")
    if rng is None:
        rng = np.random.default_rng(seed)
    if n < 3:
        raise DataError(f"parallel analysis needs at least 3 rows, got {n}")
    warnings: list[str] = []
    Rx, _ = pairwise_cor(X)  # (X itself: error messages name the items)
    pc_values = eigh_desc(Rx, vectors=False).copy()
    w_obs: list[str] = []
    if fm == "pa":
        _L, info = extract_pa(Rx, n_factors, 50, 0.001, w_obs)
        fa_values = np.asarray(info["values"]).copy()
    else:
        L, _info = extract_optim(Rx, n_factors, fm, w_obs)
        S = Rx.copy()
        np.fill_diagonal(S, (L * L).sum(axis=1))
        fa_values = eigh_desc(S, vectors=False).copy()
    warnings.extend(f"observed data: {w}" for w in w_obs)

    samp = np.empty((n_iter, p))
    samp_fa = np.empty((n_iter, p))
    sim = np.empty((n_iter, p))
    sim_fa = np.empty((n_iter, p))
    cols = np.arange(p)
    has_missing = bool(np.isnan(arr).any())
    # independent streams for resampling and simulation: results do not depend on chunk_size
    rng_res, rng_sim = rng.spawn(2)

    def _resample_cor(count: int) -> tuple[np.ndarray, np.ndarray]:
        ridx = rng_res.integers(0, n, size=(count, n, p), dtype=np.int32)
        Xb = arr[ridx, cols[None, None, :]]
        if has_missing:
            C, nb, ok = pairwise_core(Xb)
            bad = (nb < 3).any(axis=(1, 2)) | ~ok.all(axis=(1, 2))
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                C = _stack_cor_complete(Xb)
            bad = np.zeros(count, dtype=bool)
        bad |= ~np.isfinite(C).all(axis=(1, 2))
        return C, bad

    done = 0
    while done < n_iter:
        B = min(chunk_size, n_iter - done)
        # (b) column-wise resampling with replacement; psych redraws a resample whose
        # correlation matrix contains NA (e.g. a column that came out constant)
        Cb, bad = _resample_cor(B)
        tries = 0
        while bad.any():
            tries += 1
            if tries > 100:
                raise DataError(
                    "could not draw a resample with a complete correlation matrix (items with almost no variance?)"
                )
            k = np.flatnonzero(bad)
            Cb2, bad2 = _resample_cor(k.size)
            Cb[k] = Cb2
            bad[k] = bad2
        # (a) normal data
        Z = rng_sim.standard_normal((B, n, p))
        Cs = _stack_cor_complete(Z)
        sl = slice(done, done + B)
        samp[sl] = np.linalg.eigvalsh(Cb)[:, ::-1]
        sim[sl] = np.linalg.eigvalsh(Cs)[:, ::-1]
        if fm == "ml":
            for j in range(B):
                for Cj, target in ((Cb[j], samp_fa), (Cs[j], sim_fa)):
                    Lj, _ = extract_optim(Cj, n_factors, "ml", [])
                    Sj = Cj.copy()
                    np.fill_diagonal(Sj, (Lj * Lj).sum(axis=1))
                    target[done + j] = eigh_desc(Sj, vectors=False)
        else:
            both = _batched_reduced_values(np.concatenate([Cb, Cs]), n_factors, fm, smc_start=False)
            samp_fa[sl] = both[:B]
            sim_fa[sl] = both[B:]
        done += B

    values = np.concatenate([samp, samp_fa, sim, sim_fa], axis=1)
    means = values.mean(axis=0)
    ci = np.quantile(values, quant, axis=0) if quant is not None else means
    pc_simr, fa_simr, pc_sim, fa_sim = (means[i * p : (i + 1) * p] for i in range(4))
    pc_simr_ci, fa_simr_ci, pc_sim_ci, fa_sim_ci = (ci[i * p : (i + 1) * p] for i in range(4))
    ncomp = _first_not_greater(pc_values, pc_sim_ci)
    nfact = _first_not_greater(fa_values, fa_sim_ci)
    return ParallelResult(
        nfact=nfact,
        ncomp=ncomp,
        pc_values=pc_values,
        fa_values=fa_values,
        pc_sim=pc_sim,
        fa_sim=fa_sim,
        pc_simr=pc_simr,
        fa_simr=fa_simr,
        pc_sim_ci=pc_sim_ci,
        fa_sim_ci=fa_sim_ci,
        pc_simr_ci=pc_simr_ci,
        fa_simr_ci=fa_simr_ci,
        values=values,
        n_iter=n_iter,
        quant=quant,
        fm=fm,
        n_obs=n,
        warnings=tuple(warnings),
    )
