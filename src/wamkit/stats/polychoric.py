"""Polychoric correlations, vectorised across all item pairs (psych- and lavaan-exact).

The bivariate normal CDF is Genz's (2004) ``BVNU`` algorithm (Drezner & Wesolowsky
with 20-point Gauss-Legendre), written for numpy arrays, so the cell
probabilities of every pair's contingency table come from one array expression.
The likelihood of each pair is maximised over ``rho`` with a vectorised copy of R's
``optimize()`` (Brent's ``fmin``, the C routine ``Brent_fmin``): every pair runs its
own Brent iteration, but all pairs are stepped together. With R's default tolerance
the iterates are psych's, so ``rho`` matches ``psych::polychoric`` to ~1e-12
rather than to the 1e-4 of psych's optimiser. ``tol`` (or :func:`polychoric_lavaan`)
gives the exact maximum-likelihood value, which is what lavaan reports.

Pinned by ``tests/test_polychoric.py`` against ``tests/reference/polychoric.json``
(written by ``tests/reference/polychoric.R``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import ndtr

from wamkit.errors import DataError, UsageError
from wamkit.results import StatResult, to_jsonable
from wamkit.stats.linalg import cor_smooth as smooth_matrix

__all__ = ["PolychoricResult", "polychoric", "polychoric_lavaan", "bvn_cdf", "cor_smooth", "R_OPTIMIZE_TOL"]

#: R's default ``optimize(tol=)``: ``.Machine$double.eps^0.25``
R_OPTIMIZE_TOL = float(np.finfo(float).eps ** 0.25)

_TWOPI = 2.0 * np.pi
# 20-point Gauss-Legendre on [-1, 1]: the 10 abscissas of one half and their weights (Genz)
_GL_X = np.array(
    [
        -0.9931285991850949,
        -0.9639719272779138,
        -0.9122344282513259,
        -0.8391169718222188,
        -0.7463319064601508,
        -0.6360536807265150,
        -0.5108670019508271,
        -0.3737060887154196,
        -0.2277858511416451,
        -0.07652652113349733,
    ]
)
_GL_W = np.array(
    [
        0.01761400713915212,
        0.04060142980038694,
        0.06267204833410906,
        0.08327674157670475,
        0.1019301198172404,
        0.1181945319615184,
        0.1316886384491766,
        0.1420961093183821,
        0.1491729864726037,
        0.1527533871307259,
    ]
)


# ----------------------------------------------------------------------------- bivariate normal
def _bvnu(h: np.ndarray, k: np.ndarray, r: np.ndarray) -> np.ndarray:
    """``P(X > h, Y > k)`` for a standard bivariate normal with correlation ``r``.

    Genz's BVNU (tvpack.f), finite ``h, k`` only; arrays of one shape.
    """
    out = np.empty(h.shape)
    ar = np.abs(r)
    A = ar < 0.925
    if A.any():
        hA, kA, rA = h[A], k[A], r[A]
        hk = hA * kA
        hs = (hA * hA + kA * kA) / 2.0
        asr = np.arcsin(rA)
        x = np.concatenate([_GL_X + 1.0, -_GL_X + 1.0]) / 2.0
        w = np.concatenate([_GL_W, _GL_W])
        sn = np.sin(asr[:, None] * x[None, :])
        bvn = (w * np.exp((sn * hk[:, None] - hs[:, None]) / (1.0 - sn * sn))).sum(axis=1)
        out[A] = bvn * asr / (2.0 * _TWOPI) + ndtr(-hA) * ndtr(-kA)
    B = ~A
    if B.any():
        hB, kB, rB = h[B], k[B].copy(), r[B]
        neg = rB < 0
        kB[neg] = -kB[neg]
        hk = hB * kB
        bvn = np.zeros(hB.shape)
        inner = np.abs(rB) < 1.0
        if inner.any():
            hi, ki, ri, hki = hB[inner], kB[inner], rB[inner], hk[inner]
            as_ = (1.0 - ri) * (1.0 + ri)
            a = np.sqrt(as_)
            bs = (hi - ki) ** 2
            c = (4.0 - hki) / 8.0
            d = (12.0 - hki) / 16.0
            v = (
                a
                * np.exp(-(bs / as_ + hki) / 2.0)
                * (1.0 - c * (bs - as_) * (1.0 - d * bs / 5.0) / 3.0 + c * d * as_ * as_ / 5.0)
            )
            b = np.sqrt(bs)
            corr = np.exp(-hki / 2.0) * np.sqrt(_TWOPI) * ndtr(-b / a) * b * (1.0 - c * bs * (1.0 - d * bs / 5.0) / 3.0)
            v = v - np.where(hki > -160.0, corr, 0.0)
            a = a / 2.0
            xs = (a[:, None] * (_GL_X[None, :] + 1.0)) ** 2
            rs = np.sqrt(1.0 - xs)
            bs_, hk_, c_, d_ = bs[:, None], hki[:, None], c[:, None], d[:, None]
            t1 = np.exp(-bs_ / (2.0 * xs) - hk_ / (1.0 + rs)) / rs - np.exp(-(bs_ / xs + hk_) / 2.0) * (
                1.0 + c_ * xs * (1.0 + d_ * xs)
            )
            xs2 = as_[:, None] * (-_GL_X[None, :] + 1.0) ** 2 / 4.0
            rs2 = np.sqrt(1.0 - xs2)
            t2 = np.exp(-(bs_ / xs2 + hk_) / 2.0) * (
                np.exp(-hk_ * (1.0 - rs2) / (2.0 * (1.0 + rs2))) / rs2 - (1.0 + c_ * xs2 * (1.0 + d_ * xs2))
            )
            v = v + a * ((t1 + t2) * _GL_W[None, :]).sum(axis=1)
            bvn[inner] = -v / _TWOPI
        pos = ~neg
        res = np.empty(hB.shape)
        res[pos] = bvn[pos] + ndtr(-np.maximum(hB[pos], kB[pos]))
        hn, kn, bn = hB[neg], kB[neg], bvn[neg]
        add = np.where(kn > hn, np.where(hn < 0, ndtr(kn) - ndtr(hn), ndtr(-hn) - ndtr(-kn)), 0.0)
        res[neg] = -bn + add
        out[B] = res
    return np.clip(out, 0.0, 1.0)


def bvn_cdf(h: Any, k: Any, r: Any) -> np.ndarray:
    """Standard bivariate normal CDF ``P(X <= h, Y <= k)`` with correlation ``r`` (broadcast).

    Genz's BVNU algorithm (absolute accuracy ~1e-15), as used by R ``mnormt::sadmvn``
    / ``mvtnorm::pmvnorm`` for two dimensions. Infinite limits are allowed.
    """
    h, k, r = np.broadcast_arrays(np.asarray(h, float), np.asarray(k, float), np.asarray(r, float))
    out = np.zeros(h.shape)
    hinf_lo = h == -np.inf
    kinf_lo = k == -np.inf
    hinf_hi = h == np.inf
    kinf_hi = k == np.inf
    zero = hinf_lo | kinf_lo
    only_k = hinf_hi & ~zero
    only_h = kinf_hi & ~zero & ~hinf_hi
    fin = ~(zero | hinf_hi | kinf_hi)
    out[only_k] = ndtr(k[only_k])
    out[only_h] = ndtr(h[only_h])
    if fin.any():
        with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
            out[fin] = _bvnu(-h[fin], -k[fin], r[fin])
    return out


# ----------------------------------------------------------------------------- likelihood
def _neg_loglik(rho: np.ndarray, rc: np.ndarray, cc: np.ndarray, tab: np.ndarray) -> np.ndarray:
    """psych ``polyF`` for many pairs: ``-sum(tab * log P)`` over cells with ``P > 0``.

    ``rho`` (m,), ``rc`` / ``cc`` (m, K-1) thresholds, ``tab`` (m, K, K) proportions.
    """
    m, K1 = rc.shape
    inner = bvn_cdf(rc[:, :, None], cc[:, None, :], rho[:, None, None])  # (m, K-1, K-1)
    F = np.zeros((m, K1 + 2, K1 + 2))
    F[:, 1:-1, 1:-1] = inner
    F[:, 1:-1, -1] = ndtr(rc)
    F[:, -1, 1:-1] = ndtr(cc)
    F[:, -1, -1] = 1.0
    P = F[:, 1:, 1:] - F[:, :-1, 1:] - F[:, 1:, :-1] + F[:, :-1, :-1]
    ok = P > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        lp = np.where(ok, np.log(np.where(ok, P, 1.0)), 0.0)
    val = -(tab * lp).sum(axis=(1, 2))
    return np.where(np.isfinite(val), val, np.finfo(float).max)  # R do_fmin: NA/Inf -> DBL_MAX


def _brent_fmin(f, lo: float, hi: float, m: int, tol: float, max_iter: int = 500) -> tuple[np.ndarray, int]:
    """R's ``Brent_fmin`` (stats/src/optimize.c) run on ``m`` problems at once.

    ``f(x, idx)`` evaluates the objectives of problems ``idx`` at points ``x``.
    Returns the minimisers and the number of problems that hit ``max_iter``.
    """
    c = (3.0 - np.sqrt(5.0)) * 0.5
    eps = np.sqrt(np.finfo(float).eps)
    a = np.full(m, float(lo))
    b = np.full(m, float(hi))
    v = a + c * (b - a)
    w = v.copy()
    x = v.copy()
    d = np.zeros(m)
    e = np.zeros(m)
    fx = f(x, np.arange(m))
    fv = fx.copy()
    fw = fx.copy()
    tol3 = tol / 3.0
    active = np.ones(m, dtype=bool)
    for _ in range(max_iter):
        xm = (a + b) * 0.5
        tol1 = eps * np.abs(x) + tol3
        t2 = tol1 * 2.0
        active &= ~(np.abs(x - xm) <= t2 - (b - a) * 0.5)
        idx = np.flatnonzero(active)
        if idx.size == 0:
            return x, 0
        A_, B_, X, W, V = a[idx], b[idx], x[idx], w[idx], v[idx]
        FX, FW, FV, D, E = fx[idx], fw[idx], fv[idx], d[idx], e[idx]
        XM, T1, T2 = xm[idx], tol1[idx], t2[idx]
        p = np.zeros(idx.size)
        q = np.zeros(idx.size)
        r = np.zeros(idx.size)
        fit = np.abs(E) > T1
        # parabola through x, w, v
        r_f = (X - W) * (FX - FV)
        q_f = (X - V) * (FX - FW)
        p_f = (X - V) * q_f - (X - W) * r_f
        q_f = (q_f - r_f) * 2.0
        p_f = np.where(q_f > 0.0, -p_f, p_f)
        q_f = np.abs(q_f)
        p = np.where(fit, p_f, p)
        q = np.where(fit, q_f, q)
        r = np.where(fit, E, r)
        E = np.where(fit, D, E)
        golden = (np.abs(p) >= np.abs(q * 0.5 * r)) | (p <= q * (A_ - X)) | (p >= q * (B_ - X))
        e_g = np.where(X < XM, B_ - X, A_ - X)
        d_g = c * e_g
        with np.errstate(divide="ignore", invalid="ignore"):
            d_p = p / q
        u_p = X + d_p
        near = (u_p - A_ < T2) | (B_ - u_p < T2)
        d_p = np.where(near, np.where(X >= XM, -T1, T1), d_p)
        E = np.where(golden, e_g, E)
        D = np.where(golden, d_g, d_p)
        U = np.where(np.abs(D) >= T1, X + D, np.where(D > 0.0, X + T1, X - T1))
        FU = f(U, idx)
        better = FU <= FX
        # fu <= fx
        nb = np.where(better, np.where(U < X, A_, X), np.where(U < X, U, A_))
        nB = np.where(better, np.where(U < X, X, B_), np.where(U < X, B_, U))
        c1 = ~better & ((FU <= FW) | (W == X))
        c2 = ~better & ~c1 & ((FU <= FV) | (V == X) | (V == W))
        nV = np.where(better, W, np.where(c1, W, np.where(c2, U, V)))
        nFV = np.where(better, FW, np.where(c1, FW, np.where(c2, FU, FV)))
        nW = np.where(better, X, np.where(c1, U, W))
        nFW = np.where(better, FX, np.where(c1, FU, FW))
        nX = np.where(better, U, X)
        nFX = np.where(better, FU, FX)
        a[idx], b[idx], v[idx], fv[idx], w[idx], fw[idx], x[idx], fx[idx] = nb, nB, nV, nFV, nW, nFW, nX, nFX
        d[idx], e[idx] = D, E
    return x, int(active.sum())


# ----------------------------------------------------------------------------- data handling
def _as_int_items(X: Any, items: list[str] | None) -> tuple[np.ndarray, list[str]]:
    from wamkit.stats.correlation import as_float_matrix

    arr, names = as_float_matrix(X, items)
    obs = arr[~np.isnan(arr)]
    if obs.size and not np.all(obs == np.round(obs)):
        raise DataError("polychoric correlations need integer category codes")
    return arr, names


def cor_smooth(R: Any, *, eig_tol: float = 1e-12) -> tuple[np.ndarray, bool]:
    """Smooth a non-positive-definite correlation matrix; matches ``psych::cor.smooth(R)``.

    If the smallest eigenvalue is below machine epsilon, eigenvalues below ``eig_tol``
    become ``100 * eig_tol``, all are rescaled to sum to ``p``, the matrix is rebuilt
    ``V diag(values) V'`` and rescaled to unit diagonal (``cov2cor``). Returns the
    (possibly unchanged) matrix and whether smoothing was done. The input is not modified.
    """
    R = np.array(R, dtype=float)
    if R.ndim != 2 or R.shape[0] != R.shape[1] or not np.isfinite(R).all():
        raise DataError("cor_smooth needs a finite square matrix")
    return smooth_matrix(R, eig_tol)


@dataclass(frozen=True)
class PolychoricResult(StatResult):
    """Polychoric correlation matrix and thresholds.

    Attributes
    ----------
    items : item names.
    rho : (p, p) polychoric correlations (smoothed if ``smoothed``).
    tau : (p, K-1) thresholds ``qnorm(cumulative proportions)`` of each item over its
        own non-missing answers (psych ``$tau`` with global categories; lavaan's
        univariate thresholds). ``+-inf`` where a category is unused.
    n_obs : rows used (all rows; listwise: complete rows).
    n_pairwise : (p, p) number of respondents behind each correlation.
    categories : the category values (global ``min..max``).
    global_thresholds : True when every pair used ``tau`` (psych ``global=TRUE``);
        False when items differ in their number of categories and per-pair
        thresholds from the corrected table margins were used (psych ``global=FALSE``).
    smoothed : True when the matrix was not positive definite and was smoothed.
    fixed_cells : number of pairs whose zero cells got the continuity correction.
    neg_loglik : (p, p) minimised ``-sum(p_ij log pi_ij)`` per pair (0 on the diagonal).
    warnings : human-readable notes.
    """

    items: tuple[str, ...]
    rho: np.ndarray = field(repr=False)
    tau: np.ndarray = field(repr=False)
    n_obs: int = 0
    n_pairwise: np.ndarray | None = field(default=None, repr=False)
    categories: tuple[float, ...] = ()
    global_thresholds: bool = True
    smoothed: bool = False
    fixed_cells: int = 0
    neg_loglik: np.ndarray | None = field(default=None, repr=False)
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = {
            f: getattr(self, f)
            for f in (
                "items",
                "rho",
                "n_obs",
                "n_pairwise",
                "categories",
                "global_thresholds",
                "smoothed",
                "fixed_cells",
                "neg_loglik",
                "warnings",
            )
        }
        d["tau"] = [
            [float(t) if np.isfinite(t) else ("inf" if t > 0 else "-inf") for t in row] for row in np.asarray(self.tau)
        ]
        return to_jsonable(d)


def polychoric(
    X: Any,
    *,
    items: list[str] | None = None,
    correct: float = 0.5,
    smooth: bool = True,
    global_thresholds: bool = True,
    max_cat: int = 8,
    tol: float = R_OPTIMIZE_TOL,
    listwise: bool = False,
) -> PolychoricResult:
    """Polychoric correlations of ordinal items; matches ``psych::polychoric(x)``.

    Model: each item is a discretised standard normal with thresholds ``tau``; for a
    pair, ``pi_ij(rho) = Phi2(tau_i, tau_j; rho)`` rectangle probabilities, and ``rho``
    minimises ``-sum_ij p_ij log pi_ij`` (``p`` = the pair's table of proportions over
    the respondents who answered both) on ``[-1, 1]``.

    psych's rules are followed exactly:

    * categories are ``min..max`` over all items (at most ``max_cat``);
    * ``global=TRUE`` (default): ``tau`` from each item's own answers, **no** continuity
      correction (psych ignores ``correct`` here);
    * if items differ in their highest category (or ``global_thresholds=False``), every
      pair uses its own table: empty rows/columns dropped, zero cells set to
      ``correct / n_pair``, thresholds from that table's margins (psych ``global=FALSE``);
    * optimisation: R ``optimize(interval=c(-1, 1), tol=tol)``; the default is R's
      ``.Machine$double.eps^0.25`` (use e.g. ``tol=1e-10`` for the exact ML estimate,
      which lavaan reports);
    * ``smooth``: ``psych::cor.smooth`` if the matrix is not positive definite.

    Parameters
    ----------
    X : DataFrame or array (n, p) of integer category codes; NaN = missing.
    items : columns to use (names for an array). Default: all.
    correct : continuity correction for zero cells (only used with per-pair thresholds).
    smooth : smooth a non-positive-definite result.
    global_thresholds : use the items' own thresholds (psych ``global``).
    max_cat : most categories accepted (psych ``max.cat``).
    tol : Brent tolerance (R ``optimize(tol=)``).
    listwise : drop incomplete rows first (lavaan's default ``missing="listwise"``).

    Returns
    -------
    PolychoricResult

    Raises
    ------
    UsageError
        Fewer than 2 items, unknown names, more than ``max_cat`` categories.
    DataError
        Non-integer codes, an item without variance, too few respondents.
    """
    return _polychoric(
        X,
        items=items,
        correct=correct,
        smooth=smooth,
        global_thresholds=global_thresholds,
        max_cat=max_cat,
        tol=tol,
        listwise=listwise,
        psych_switch=True,
    )


def _polychoric(
    X: Any,
    *,
    items: list[str] | None,
    correct: float,
    smooth: bool,
    global_thresholds: bool,
    max_cat: int,
    tol: float,
    listwise: bool,
    psych_switch: bool,
) -> PolychoricResult:
    arr, names = _as_int_items(X, items)
    if listwise:
        arr = arr[~np.isnan(arr).any(axis=1)]
    n, p = arr.shape
    if p < 2:
        raise UsageError(f"polychoric correlations need at least 2 items, got {p}")
    if n < 2:
        raise DataError(f"polychoric correlations need at least 2 respondents, got {n}")
    if not tol > 0:
        raise UsageError(f"tol must be positive, got {tol}")
    M = ~np.isnan(arr)
    cnt = M.sum(axis=0)
    bad = []
    for j in range(p):
        col = arr[M[:, j], j]
        if col.size < 2 or col.min() == col.max():
            bad.append(names[j])
    if bad:
        raise DataError(f"item(s) without variance: {', '.join(bad)}")
    gmin = np.nanmin(arr)
    gmax = np.nanmax(arr)
    K = int(gmax - gmin + 1)
    if K > max_cat:
        raise UsageError(f"{K} response categories ({gmin:g}..{gmax:g}); polychoric accepts at most {max_cat}")
    warn: list[str] = []
    item_max = np.array([np.nanmax(arr[:, j]) for j in range(p)])
    use_global = bool(global_thresholds)
    if use_global and psych_switch and item_max.min() != item_max.max():
        use_global = False
        warn.append(
            "the items do not have an equal number of response alternatives: "
            "per-pair thresholds were used (psych global=FALSE)"
        )

    codes = np.where(M, arr - gmin, 0).astype(np.int64)  # 0..K-1
    freq = np.stack([np.bincount(codes[M[:, j], j], minlength=K) for j in range(p)]).astype(float)  # (p, K)
    with np.errstate(divide="ignore"):
        tau = _qnorm(np.cumsum(freq / cnt[:, None], axis=1)[:, :-1])

    iu, ju = np.triu_indices(p, 1)
    m = iu.size
    tabs = _pair_tables(codes, M, iu, ju, K)  # (m, K, K): rows = item iu, columns = item ju
    npair = tabs.sum(axis=(1, 2))
    rho_pairs = np.full(m, np.nan)
    nll_pairs = np.full(m, np.nan)
    fixed = 0
    valid = npair > 0
    if use_global:
        props = tabs / np.where(npair > 0, npair, 1.0)[:, None, None]
        rc = tau[iu]
        cc = tau[ju]
    else:
        props = np.zeros_like(tabs)
        rc = np.full((m, K - 1), np.inf)
        cc = np.full((m, K - 1), np.inf)
        for t in range(m):
            if npair[t] == 0:
                continue
            tab = tabs[t] / npair[t]
            tab = tab[tab.sum(axis=1) > 0][:, tab.sum(axis=0) > 0]
            if min(tab.shape) < 2:
                valid[t] = False
                continue
            if correct > 0 and np.any(tab == 0):
                fixed += 1
                tab = np.where(tab == 0, correct / npair[t], tab)
            r_, c_ = tab.shape
            props[t, :r_, :c_] = tab
            with np.errstate(divide="ignore", invalid="ignore"):
                rc[t, : r_ - 1] = _qnorm(np.cumsum(tab.sum(axis=1))[:-1])
                cc[t, : c_ - 1] = _qnorm(np.cumsum(tab.sum(axis=0))[:-1])
        if fixed and correct > 0:
            warn.append(f"{fixed} pair table(s) had zero cells adjusted by the continuity correction {correct:g}")

    vidx = np.flatnonzero(valid)
    if vidx.size:
        rcv, ccv, pv = rc[vidx], cc[vidx], props[vidx]

        def f(x: np.ndarray, idx: np.ndarray) -> np.ndarray:
            return _neg_loglik(x, rcv[idx], ccv[idx], pv[idx])

        est, n_left = _brent_fmin(f, -1.0, 1.0, vidx.size, tol)
        if n_left:
            warn.append(f"the optimiser stopped before convergence for {n_left} pair(s)")
        rho_pairs[vidx] = est
        nll_pairs[vidx] = f(est, np.arange(vidx.size))
    if (~valid).any():
        warn.append(f"{int((~valid).sum())} pair(s) have no usable table; their correlation is missing")

    R = np.eye(p)
    R[iu, ju] = rho_pairs
    R[ju, iu] = rho_pairs
    NLL = np.zeros((p, p))
    NLL[iu, ju] = nll_pairs
    NLL[ju, iu] = nll_pairs
    smoothed = False
    if smooth:
        if np.isnan(R).any():
            warn.append("some correlations are missing, smoothing turned off")
        else:
            R, smoothed = smooth_matrix(R)
            if smoothed:
                warn.append("the matrix was not positive definite and was smoothed (psych::cor.smooth)")
    npw = (M.astype(float).T @ M.astype(float)).astype(int)
    return PolychoricResult(
        items=tuple(names),
        rho=R,
        tau=tau,
        n_obs=int(n),
        n_pairwise=npw,
        categories=tuple(float(gmin + i) for i in range(K)),
        global_thresholds=use_global,
        smoothed=smoothed,
        fixed_cells=int(fixed),
        neg_loglik=NLL,
        warnings=tuple(warn),
    )


def _pair_tables(codes: np.ndarray, M: np.ndarray, iu: np.ndarray, ju: np.ndarray, K: int) -> np.ndarray:
    """K x K contingency tables of all item pairs at once (one ``bincount`` per row chunk)."""
    n = codes.shape[0]
    m = iu.size
    out = np.zeros(m * K * K, dtype=np.int64)
    offset = (np.arange(m) * K * K)[None, :]
    step = max(1, 5_000_000 // max(m, 1))
    for s in range(0, n, step):
        c = codes[s : s + step]
        ok = M[s : s + step, iu] & M[s : s + step, ju]
        cell = offset + c[:, iu] * K + c[:, ju]
        out += np.bincount(cell[ok], minlength=m * K * K)
    return out.reshape(m, K, K).astype(float)


def _qnorm(pr: np.ndarray) -> np.ndarray:
    from scipy.special import ndtri

    pr = np.asarray(pr, float)
    out = ndtri(np.clip(pr, 0.0, 1.0))
    out[pr > 1.0] = np.nan  # R qnorm(p > 1) is NaN
    return out


def polychoric_lavaan(
    X: Any,
    *,
    items: list[str] | None = None,
    missing: str = "listwise",
    tol: float = 1e-10,
    max_cat: int = 8,
) -> PolychoricResult:
    """Polychoric correlations as ``lavaan::lavCor(x, ordered=names(x), missing=missing)``.

    lavaan's two-step estimator: univariate thresholds ``qnorm(cumulative
    proportions)`` per item, then per pair the ML ``rho`` with those thresholds held
    fixed; no continuity correction for tables larger than 2 x 2 (``zero.add``
    ``c(0.5, 0)``), no smoothing.

    Differences from :func:`polychoric` (psych): lavaan's default deletes incomplete
    rows (``missing="listwise"``; bfi A1-A5: 2709 of 2800 rows), so thresholds and
    tables come from complete cases; and it reports the exact optimum where psych
    stops R's ``optimize`` at ``tol = eps^0.25`` (differences up to ~2e-5). With
    ``missing="pairwise"`` lavaan equals psych's likelihood at its exact optimum.
    """
    if missing not in ("listwise", "pairwise"):
        raise UsageError(f"missing must be 'listwise' or 'pairwise', got {missing!r}")
    return _polychoric(
        X,
        items=items,
        correct=0.0,
        smooth=False,
        global_thresholds=True,
        max_cat=max_cat,
        tol=tol,
        listwise=(missing == "listwise"),
        psych_switch=False,
    )
