"""Confirmatory factor analysis by maximum likelihood, matching lavaan 0.6-14.

The engine fits the LISREL all-y measurement model

    Σ_g = Λ_g Φ_g Λ_gᵀ + Θ_g,        μ_g = ν_g + Λ_g α_g

for one or several groups by minimising lavaan's ML discrepancy

    F_ML = Σ_g (n_g/N) [log|Σ_g| + tr(S_g Σ_g⁻¹) − log|S_g| − p + (ȳ_g − μ_g)ᵀ Σ_g⁻¹ (ȳ_g − μ_g)]

(S_g with divisor n_g): Fisher scoring (expected information) from per-factor
principal-component starting values, switching to Newton steps with the analytic
Hessian near the optimum, with step-halving; converged when max|∂F/∂θ| < 1e-10.
``chisq = N · F_ML`` as lavaan does for ``estimator="ML"``.  Standard errors are
``sqrt(diag((N · I_expected)⁻¹))`` (lavaan ``se="standard"``).  Every ∂Σ/∂θ_k is
written as u vᵀ + v uᵀ, so gradient, information and Hessian cost O(K²p).

Full-information ML (``missing="fiml"``, lavaan ``missing="ml"``) sums the same
discrepancy over missing-data patterns with a free intercept per item; the
unrestricted (h1) model is fitted by EM and the standard errors use the observed
information (analytic Hessian of the log-likelihood), as lavaan does by default for
``missing="ml"``.

Public API: :func:`fit_cfa`, :func:`modification_indices`, :class:`CFAResult`,
:class:`FitMeasures`.  Multi-group models are built by
:func:`wamkit.stats.invariance.fit_multigroup`, which uses the same engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import linalg as sla
from scipy import optimize, stats

from wamkit.errors import DataError, UsageError
from wamkit.results import to_jsonable
from wamkit.stats.model_syntax import MeasurementModel, as_model

__all__ = ["CFAResult", "FitMeasures", "fit_cfa", "modification_indices"]

_LOG2PI = math.log(2.0 * math.pi)
_GRAD_TOL = 1e-10
_MAX_ITER = 1000


_MM_LIMIT = 200_000  # OpenBLAS runs a product multi-threaded above m·n·k ≈ 262144


def _mm(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """A @ B in blocks small enough for single-threaded BLAS.

    Thread start-up dominates these small products, and on a busy machine a
    multi-threaded BLAS call can stall for milliseconds; blocking keeps every call
    below OpenBLAS's threading threshold.
    """
    m, k = A.shape
    n = B.shape[1]
    if m * k * n <= _MM_LIMIT:
        return A @ B
    if m * n <= _MM_LIMIT:
        kc = max(1, _MM_LIMIT // (m * n))
        out = A[:, :kc] @ B[:kc]
        for s in range(kc, k, kc):
            out += A[:, s:s + kc] @ B[s:s + kc]
        return out
    rb = max(1, _MM_LIMIT // (k * n))
    return np.vstack([_mm(A[s:s + rb], B) for s in range(0, m, rb)])


def _crossprod(X: np.ndarray) -> np.ndarray:
    """XᵀX (single-threaded blocks)."""
    return _mm(X.T, X)


_CHOL_BLOCK = 96


def _chol(A: np.ndarray):
    """Lower Cholesky factor, or None when A is not positive definite.

    LAPACK ``dpotrf`` on blocks of at most 96 rows (right-looking blocked algorithm with
    ``dtrtrs`` panels and :func:`_mm` trailing updates): OpenBLAS parallelises larger
    factorisations, which stalls on a busy machine.
    """
    n = A.shape[0]
    if n <= _CHOL_BLOCK:
        c, info = sla.lapack.dpotrf(A, lower=1, clean=1)
        return c if info == 0 else None
    W = np.array(A, dtype=float, copy=True)
    L = np.zeros_like(W)
    for k in range(0, n, _CHOL_BLOCK):
        e = min(k + _CHOL_BLOCK, n)
        c, info = sla.lapack.dpotrf(W[k:e, k:e], lower=1, clean=1)
        if info != 0:
            return None
        L[k:e, k:e] = c
        if e < n:
            rest = W[e:, k:e].T  # (nb, n - e)
            panel = np.empty_like(rest)
            for s in range(0, rest.shape[1], 16):
                panel[:, s:s + 16] = sla.lapack.dtrtrs(c, rest[:, s:s + 16], lower=1)[0]
            L21 = panel.T
            L[e:, k:e] = L21
            W[e:, e:] -= _mm(L21, panel)
    return L


def _chol_solve(c: np.ndarray, b: np.ndarray) -> np.ndarray:
    x, info = sla.lapack.dpotrs(c, b, lower=1)
    return x


def _spd_inv(A: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive-definite matrix (general inverse as a fallback)."""
    c = _chol(A)
    return _chol_inv(c) if c is not None else np.linalg.inv(A)


def _logdet(A: np.ndarray) -> float:
    c = _chol(A)
    if c is not None:
        return 2.0 * float(np.log(np.diag(c)).sum())
    return float(np.linalg.slogdet(A)[1])


def _chol_inv(c: np.ndarray) -> np.ndarray:
    # dpotrs on the identity, not dpotri: OpenBLAS runs dpotri multi-threaded even for tiny
    # matrices, which costs milliseconds per call on a busy machine
    n = c.shape[0]
    eye = np.eye(n)
    inv = np.empty((n, n))
    for s in range(0, n, 16):  # small right-hand-side blocks stay single-threaded
        inv[:, s:s + 16] = sla.lapack.dpotrs(c, eye[:, s:s + 16], lower=1)[0]
    return 0.5 * (inv + inv.T)


# ---------------------------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FitMeasures:
    """Global fit measures with lavaan ``fitMeasures()`` names (``.`` → ``_``).

    ``srmr`` is lavaan's default ``srmr`` for ``mimic="lavaan"``: Bentler's SRMR,
    including standardised mean residuals when the model has a mean structure
    (multi-group, FIML), averaged over groups with weights ``n_g/N``.
    ``rmsea`` uses N (not N−1) and is multiplied by √G for G groups, as lavaan.
    ``gfi`` is ``None`` under FIML; ``fmin`` (lavaan's
    F_ML/2 = chisq/(2N)) is ``None`` under FIML.
    """

    npar: int
    ntotal: int
    fmin: float | None
    chisq: float
    df: int
    pvalue: float
    baseline_chisq: float
    baseline_df: int
    baseline_pvalue: float
    cfi: float
    tli: float
    nfi: float
    rmsea: float
    rmsea_ci_lower: float
    rmsea_ci_upper: float
    rmsea_pvalue: float
    srmr: float
    logl: float
    unrestricted_logl: float
    aic: float
    bic: float
    bic2: float
    gfi: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: to_jsonable(getattr(self, k)) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class CFAResult:
    """A fitted CFA (single- or multi-group).

    Attributes
    ----------
    model : MeasurementModel
    groups : tuple of str
        Group labels (``("all",)`` for a single-group fit), in lavaan's order (first appearance).
    n_obs : tuple of int
        Cases used per group.
    missing : str
        ``"listwise"`` or ``"fiml"``.
    std_lv : bool
        Identification: ``False`` = first loading fixed to 1; ``True`` = factor variances 1.
    equal : tuple of str
        Cross-group equality constraints (``"loadings"``, ``"intercepts"``, ``"residuals"``).
    meanstructure : bool
    converged : bool
    iterations : int
    fit : FitMeasures
    params : pandas.DataFrame
        One row per model parameter, lavaan ``parameterEstimates()`` + ``standardizedSolution()``:
        ``lhs, op, rhs, group, free, est, se, z, pvalue, std_lv, std_all``.  ``op`` is
        ``=~`` (loading), ``~~`` (variance/covariance) or ``~1`` (intercept/mean); ``group``
        is the 1-based group number; fixed parameters have ``se = 0`` and ``z``/``pvalue`` NaN.
    omega : dict
        ``{factor: ω}`` = ``semTools::compRelSEM(fit)`` (obs.var=TRUE: denominator is the sum of
        the observed (h1) covariance block of the factor's items).  Single-group fits only.
    implied_cov, sample_cov : tuple of numpy.ndarray
        Model-implied Σ_g and sample S_g (divisor n_g; EM estimate under FIML), per group.
    warnings : tuple of str
        Non-convergence, Heywood cases, non-positive-definite latent covariance matrix.
    """

    model: MeasurementModel
    items: tuple[str, ...]
    groups: tuple[str, ...]
    n_obs: tuple[int, ...]
    missing: str
    std_lv: bool
    equal: tuple[str, ...]
    meanstructure: bool
    converged: bool
    iterations: int
    fit: FitMeasures
    params: pd.DataFrame
    omega: dict[str, float]
    implied_cov: tuple[np.ndarray, ...]
    sample_cov: tuple[np.ndarray, ...]
    warnings: tuple[str, ...] = ()
    _state: Any = field(default=None, repr=False, compare=False)

    @property
    def loadings(self) -> pd.DataFrame:
        """Unstandardised loadings of the first group (items × factors, 0 where not loaded)."""
        return self._loading_frame("est")

    @property
    def std_loadings(self) -> pd.DataFrame:
        """``std.all`` loadings of the first group (items × factors)."""
        return self._loading_frame("std_all")

    @property
    def factor_correlations(self) -> pd.DataFrame:
        """Factor correlation matrix of the first group (lavaan ``lavInspect(fit, "cor.lv")``)."""
        phi = self._state.mats[2][0]
        d = np.sqrt(np.diag(phi))
        names = list(self.model.factor_names)
        return pd.DataFrame(phi / np.outer(d, d), index=names, columns=names)

    def _loading_frame(self, col: str) -> pd.DataFrame:
        p = self.params
        rows = p[(p["op"] == "=~") & (p["group"] == 1)]
        out = pd.DataFrame(0.0, index=list(self.items), columns=list(self.model.factor_names))
        for lhs, rhs, v in zip(rows["lhs"], rows["rhs"], rows[col]):
            out.loc[rhs, lhs] = v
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model.to_dict(),
            "items": list(self.items),
            "groups": list(self.groups),
            "n_obs": list(self.n_obs),
            "missing": self.missing,
            "std_lv": self.std_lv,
            "equal": list(self.equal),
            "meanstructure": self.meanstructure,
            "converged": self.converged,
            "iterations": self.iterations,
            "fit": self.fit.to_dict(),
            "params": to_jsonable(self.params),
            "omega": to_jsonable(self.omega),
            "warnings": list(self.warnings),
        }


# ---------------------------------------------------------------------------------------------
# model specification
# ---------------------------------------------------------------------------------------------
@dataclass
class _Spec:
    """Index arrays: ``*_idx`` hold the free-parameter number or −1 (fixed at ``*_fix``)."""

    p: int
    m: int
    G: int
    meanstructure: bool
    lam_idx: np.ndarray  # (G, p, m)
    lam_fix: np.ndarray
    phi_idx: np.ndarray  # (G, m, m) symmetric
    phi_fix: np.ndarray
    th_idx: np.ndarray  # (G, p, p) symmetric
    th_fix: np.ndarray
    nu_idx: np.ndarray  # (G, p)
    nu_fix: np.ndarray
    al_idx: np.ndarray  # (G, m)
    al_fix: np.ndarray
    npar: int
    # per-group element lists: (kind, a, b, param)
    elems: list[dict[str, np.ndarray]] = field(default_factory=list)

    def matrices(self, theta: np.ndarray):
        def fill(idx, fix):
            out = fix.copy()
            mask = idx >= 0
            out[mask] = theta[idx[mask]]
            return out

        return (fill(self.lam_idx, self.lam_fix), None, fill(self.phi_idx, self.phi_fix),
                fill(self.th_idx, self.th_fix), fill(self.nu_idx, self.nu_fix),
                fill(self.al_idx, self.al_fix))


def _build_spec(model: MeasurementModel, items: Sequence[str], G: int, *, std_lv: bool,
                meanstructure: bool, equal: Sequence[str]) -> _Spec:
    p, m = len(items), len(model.factors)
    pos = {it: i for i, it in enumerate(items)}
    lam_idx = -np.ones((G, p, m), dtype=np.int64)
    lam_fix = np.zeros((G, p, m))
    phi_idx = -np.ones((G, m, m), dtype=np.int64)
    phi_fix = np.zeros((G, m, m))
    th_idx = -np.ones((G, p, p), dtype=np.int64)
    th_fix = np.zeros((G, p, p))
    nu_idx = -np.ones((G, p), dtype=np.int64)
    nu_fix = np.zeros((G, p))
    al_idx = -np.ones((G, m), dtype=np.int64)
    al_fix = np.zeros((G, m))
    eq_load = "loadings" in equal
    eq_int = "intercepts" in equal
    eq_res = "residuals" in equal
    k = 0
    for g in range(G):
        for j, (_, fitems) in enumerate(model.factors):
            for r, it in enumerate(fitems):
                i = pos[it]
                if r == 0 and not std_lv:
                    lam_fix[g, i, j] = 1.0
                elif eq_load and g > 0:
                    lam_idx[g, i, j] = lam_idx[0, i, j]
                else:
                    lam_idx[g, i, j] = k
                    k += 1
        for i in range(p):
            if eq_res and g > 0:
                th_idx[g, i, i] = th_idx[0, i, i]
            else:
                th_idx[g, i, i] = k
                k += 1
        for j in range(m):
            for l in range(j + 1):
                if j == l and std_lv and (g == 0 or not eq_load):
                    phi_fix[g, j, j] = 1.0
                    continue
                phi_idx[g, j, l] = phi_idx[g, l, j] = k
                k += 1
        if meanstructure:
            for i in range(p):
                if eq_int and g > 0:
                    nu_idx[g, i] = nu_idx[0, i]
                else:
                    nu_idx[g, i] = k
                    k += 1
            if eq_int and g > 0:
                for j in range(m):
                    al_idx[g, j] = k
                    k += 1
    spec = _Spec(p, m, G, meanstructure, lam_idx, lam_fix, phi_idx, phi_fix, th_idx, th_fix,
                 nu_idx, nu_fix, al_idx, al_fix, k)
    for g in range(G):
        li, lj = np.nonzero(lam_idx[g] >= 0)
        fj, fk = np.nonzero(np.tril(phi_idx[g] >= 0))
        ti, tl = np.nonzero(np.tril(th_idx[g] >= 0))
        ni = np.nonzero(nu_idx[g] >= 0)[0]
        aj = np.nonzero(al_idx[g] >= 0)[0]
        spec.elems.append({
            "li": li, "lj": lj, "lp": lam_idx[g][li, lj],
            "fj": fj, "fk": fk, "fp": phi_idx[g][fj, fk],
            "ti": ti, "tl": tl, "tp": th_idx[g][ti, tl],
            "ni": ni, "np": nu_idx[g][ni],
            "aj": aj, "ap": al_idx[g][aj],
        })
    return spec


def _element_derivs(el: dict[str, np.ndarray], lam: np.ndarray, phi: np.ndarray, alpha: np.ndarray,
                    p: int, meanstructure: bool):
    """Rank-2 form of ∂Σ/∂(free element) = u vᵀ + v uᵀ, and ∂μ/∂(element), with the element's parameter.

    Loading λ_ij: u = e_i, v = (ΛΦ)_·j.  Φ_jk: u = Λ_·j, v = Λ_·k (v = ½Λ_·j when j = k).
    Θ_il: u = e_i, v = e_l (½e_i on the diagonal).  Intercepts and latent means: u = v = 0.
    Returns U, V (n_el, p), dmu (n_el, p), params (n_el,).
    """
    A = lam @ phi  # (p, m)
    li, lj = el["li"], el["lj"]
    fj, fk = el["fj"], el["fk"]
    ti, tl = el["ti"], el["tl"]
    nL, nF, nT = len(li), len(fj), len(ti)
    ni, aj = el["ni"], el["aj"]
    nN, nA = len(ni), len(aj)
    n_el = nL + nF + nT + nN + nA
    U = np.zeros((n_el, p))
    V = np.zeros((n_el, p))
    dmu = np.zeros((n_el, p))
    r = np.arange(nL)
    U[r, li] = 1.0
    V[:nL] = A[:, lj].T
    if meanstructure:
        dmu[r, li] = alpha[lj]
    if nF:
        U[nL:nL + nF] = lam[:, fj].T
        V[nL:nL + nF] = lam[:, fk].T * np.where(fj == fk, 0.5, 1.0)[:, None]
    if nT:
        rr = np.arange(nL + nF, nL + nF + nT)
        U[rr, ti] = 1.0
        V[rr, tl] = np.where(ti == tl, 0.5, 1.0)
    if nN:
        rr = np.arange(nL + nF + nT, nL + nF + nT + nN)
        dmu[rr, ni] = 1.0
    if nA:
        rr = np.arange(nL + nF + nT + nN, n_el)
        dmu[rr] = lam[:, aj].T
    P = np.concatenate([el["lp"], el["fp"], el["tp"], el["np"], el["ap"]])
    return U, V, dmu, P


def _implied(spec: _Spec, mats):
    lam, _, phi, th, nu, al = mats
    sig = lam @ phi @ np.transpose(lam, (0, 2, 1)) + th
    mu = nu + np.einsum("gpm,gm->gp", lam, al)
    return sig, mu


# ---------------------------------------------------------------------------------------------
# sample statistics
# ---------------------------------------------------------------------------------------------
@dataclass
class _Stats:
    """Complete-data sample statistics per group, or FIML pattern statistics."""

    n: np.ndarray  # (G,)
    S: np.ndarray  # (G, p, p) divisor n_g
    ybar: np.ndarray  # (G, p)
    fiml: bool = False
    patterns: list | None = None  # per group: list of (obs_idx, n_k, ybar_k, S_k)
    h1_S: np.ndarray | None = None  # EM estimates under FIML
    h1_mu: np.ndarray | None = None
    h1_logl: np.ndarray | None = None
    var_n: np.ndarray | None = None  # per group available-case n per item (FIML baseline)
    var_v: np.ndarray | None = None
    var_m: np.ndarray | None = None


def _check_matrix(S: np.ndarray, items: Sequence[str], where: str) -> None:
    d = np.diag(S)
    const = [it for it, v in zip(items, d) if not v > 1e-12 * max(1.0, float(np.max(np.abs(d))))]
    if const:
        raise DataError(f"item {const[0]!r} has zero variance{where}; drop it from the model")
    ev = np.linalg.eigvalsh(S / np.sqrt(np.outer(d, d)))
    if ev[0] <= 1e-10:
        raise DataError(f"the sample covariance matrix of the model items is singular{where} "
                        "(an item is a linear combination of others)")


def _numeric_block(data: pd.DataFrame, items: Sequence[str]) -> np.ndarray:
    if not isinstance(data, pd.DataFrame):
        raise UsageError("data must be a pandas DataFrame")
    missing_cols = [it for it in items if it not in data.columns]
    if missing_cols:
        raise UsageError(f"model item {missing_cols[0]!r} is not a column of the data "
                         f"({len(missing_cols)} missing: {', '.join(map(str, missing_cols[:5]))})")
    block = data.loc[:, list(items)]
    try:
        X = block.apply(pd.to_numeric, errors="raise").to_numpy(dtype=float, na_value=np.nan)
    except (ValueError, TypeError) as exc:
        bad = next(c for c in items if not pd.api.types.is_numeric_dtype(block[c]))
        raise DataError(f"column {bad!r} holds non-numeric values ({exc})") from None
    if not np.all(np.isfinite(X[~np.isnan(X)])):
        raise DataError("the model items contain infinite values")
    return X


def _complete_stats(blocks: list[np.ndarray], items: Sequence[str], labels: Sequence[str]) -> _Stats:
    p = len(items)
    ns, Ss, ms = [], [], []
    for X, lab in zip(blocks, labels):
        X = X[~np.isnan(X).any(axis=1)]
        n = X.shape[0]
        where = "" if len(blocks) == 1 else f" in group {lab!r}"
        if n < p + 1:
            raise DataError(f"only {n} complete cases{where} for {p} items; need at least {p + 1}")
        m = X.mean(axis=0)
        Xc = X - m
        S = _crossprod(Xc) / n
        _check_matrix(S, items, where)
        ns.append(n)
        Ss.append(S)
        ms.append(m)
    return _Stats(np.array(ns, dtype=float), np.array(Ss), np.array(ms))


def _em_h1(X: np.ndarray, patterns, tol: float = 1e-13, max_iter: int = 10000):
    """EM estimates of the saturated mean/covariance under MAR (lavaan's h1 for missing="ml")."""
    n, p = X.shape
    mu = np.nanmean(X, axis=0)
    S = np.diag(np.nanvar(X, axis=0))
    prev = -np.inf
    for _ in range(max_iter):
        T1 = np.zeros(p)
        T2 = np.zeros((p, p))
        for obs, rows in patterns:
            Y = X[np.ix_(rows, obs)]
            k = len(rows)
            if obs.all():
                T1 += Y.sum(axis=0)
                T2 += Y.T @ Y
                continue
            mis = ~obs
            Soo = S[np.ix_(obs, obs)]
            Smo = S[np.ix_(mis, obs)]
            B = Smo @ _spd_inv(Soo)  # (nm, no) regression of missing on observed
            Yhat = np.empty((k, p))
            Yhat[:, obs] = Y
            Yhat[:, mis] = mu[mis] + (Y - mu[obs]) @ B.T
            C = np.zeros((p, p))
            C[np.ix_(mis, mis)] = S[np.ix_(mis, mis)] - B @ Smo.T
            T1 += Yhat.sum(axis=0)
            T2 += Yhat.T @ Yhat + k * C
        mu = T1 / n
        S = T2 / n - np.outer(mu, mu)
        ll = _fiml_logl_sat(X, patterns, mu, S)
        if abs(ll - prev) < tol * max(1.0, abs(ll)):
            break
        prev = ll
    return mu, S, _fiml_logl_sat(X, patterns, mu, S)


def _fiml_logl_sat(X, patterns, mu, S):
    ll = 0.0
    for obs, rows in patterns:
        Y = X[np.ix_(rows, obs)] - mu[obs]
        Soo = S[np.ix_(obs, obs)]
        logdet = _logdet(Soo)
        q = np.einsum("ij,ij->", Y @ _spd_inv(Soo), Y)
        ll += -0.5 * (len(rows) * (obs.sum() * _LOG2PI + logdet) + q)
    return ll


def _fiml_stats(blocks: list[np.ndarray], items: Sequence[str], labels: Sequence[str]) -> _Stats:
    p = len(items)
    ns, pats, h1S, h1m, h1l, vn, vv, vm = [], [], [], [], [], [], [], []
    for X, lab in zip(blocks, labels):
        where = "" if len(blocks) == 1 else f" in group {lab!r}"
        X = X[~np.isnan(X).all(axis=1)]
        n = X.shape[0]
        if n < p + 1:
            raise DataError(f"only {n} cases with any observed item{where} for {p} items")
        obs_mask = ~np.isnan(X)
        cnt = obs_mask.sum(axis=0)
        if np.any(cnt < 2):
            bad = items[int(np.argmin(cnt))]
            raise DataError(f"item {bad!r} is observed in fewer than 2 cases{where}")
        keys, inv = np.unique(obs_mask, axis=0, return_inverse=True)
        inv = inv.ravel()
        raw = [(keys[k].astype(bool), np.nonzero(inv == k)[0]) for k in range(len(keys))]
        mu, S, ll = _em_h1(X, raw)
        _check_matrix(S, items, where)
        plist = []
        for obs, rows in raw:
            Y = X[np.ix_(rows, obs)]
            yb = Y.mean(axis=0)
            Yc = Y - yb
            plist.append((obs, len(rows), yb, _crossprod(Yc) / len(rows)))
        ns.append(n)
        pats.append(plist)
        h1S.append(S)
        h1m.append(mu)
        h1l.append(ll)
        vn.append(cnt.astype(float))
        vm.append(np.nanmean(X, axis=0))
        vv.append(np.nanvar(X, axis=0))
    return _Stats(np.array(ns, dtype=float), np.array(h1S), np.array(h1m), fiml=True, patterns=pats,
                  h1_S=np.array(h1S), h1_mu=np.array(h1m), h1_logl=np.array(h1l),
                  var_n=np.array(vn), var_v=np.array(vv), var_m=np.array(vm))


# ---------------------------------------------------------------------------------------------
# objective, gradient, information
# ---------------------------------------------------------------------------------------------
def _objective(spec: _Spec, st: _Stats, theta: np.ndarray) -> float:
    """F = Σ_g w_g [log|Σ| + tr(SΣ⁻¹) + dᵀΣ⁻¹d] (without the constant −log|S| − p); inf if not PD."""
    mats = spec.matrices(theta)
    sig, mu = _implied(spec, mats)
    N = st.n.sum()
    F = 0.0
    for g in range(spec.G):
        units = _units(spec, st, g, sig[g], mu[g])
        for w, Sg, Ssub, d, _ in units:
            c = _chol(Sg)
            if c is None:
                return np.inf
            logdet = 2.0 * np.log(np.diag(c)).sum()
            inv = _chol_inv(c)
            F += w / N * (logdet + np.einsum("ij,ji->", Ssub, inv) + (d @ inv @ d if d is not None else 0.0))
    return F


def _units(spec: _Spec, st: _Stats, g: int, sig: np.ndarray, mu: np.ndarray):
    """(weight n, Σ_sub, S_sub, d_sub or None, obs-mask or None) for each likelihood unit of group g."""
    if not st.fiml:
        d = st.ybar[g] - mu if spec.meanstructure else None
        return [(st.n[g], sig, st.S[g], d, None)]
    out = []
    for obs, n_k, yb, Sk in st.patterns[g]:
        out.append((n_k, sig[np.ix_(obs, obs)], Sk, yb - mu[obs], obs))
    return out


def _second_terms(el: dict[str, np.ndarray], lam: np.ndarray, phi: np.ndarray, Gm: np.ndarray,
                  u: np.ndarray | None) -> np.ndarray:
    """Element-level tr(G ∂²Σ) − 2 (∂²μ)ᵀ u (non-zero only for loading pairs, loading×Φ, loading×α)."""
    li, lj = el["li"], el["lj"]
    fj, fk = el["fj"], el["fk"]
    aj = el["aj"]
    nL, nF, nT, nN, nA = len(li), len(fj), len(el["ti"]), len(el["ni"]), len(aj)
    n_el = nL + nF + nT + nN + nA
    E = np.zeros((n_el, n_el))
    E[:nL, :nL] = 2.0 * phi[np.ix_(lj, lj)] * Gm[np.ix_(li, li)]
    if nF:
        GL = Gm @ lam  # (p, m)
        ja = (lj[:, None] == fj[None, :])
        jb = (lj[:, None] == fk[None, :])
        diag = (fj == fk)[None, :]
        val = 2.0 * (ja * GL[li][:, fk] + jb * GL[li][:, fj])
        val = np.where(diag, 2.0 * ja * GL[li][:, fj], val)
        E[:nL, nL:nL + nF] = val
        E[nL:nL + nF, :nL] = val.T
    if nA and u is not None:
        val = -2.0 * (lj[:, None] == aj[None, :]) * u[li][:, None]
        E[:nL, n_el - nA:] = val
        E[n_el - nA:, :nL] = val.T
    return E


def _grad_info(spec: _Spec, st: _Stats, theta: np.ndarray, want_info: bool = True,
               extra=None, want_hess: bool = False):
    """Gradient of F, per-observation expected information and (optionally) the Hessian of F.

    Every likelihood unit (a group, or a missing-data pattern under FIML) is handled in
    full p-dimensional coordinates with P = Σ_oo⁻¹ scattered into a p×p matrix (zeros for
    unobserved items), T = S + ddᵀ, u = P d, G = P − P T P:

    * ∂F/∂θ_k = tr(G Σ_k) − 2 μ_kᵀ u
    * I_kl = ½ tr(P Σ_k P Σ_l) + μ_kᵀ P μ_l
    * ∂²F/∂θ_k∂θ_l = tr(G Σ_kl) − 2 μ_klᵀ u − tr(P Σ_l P Σ_k) + tr(P Σ_k P Σ_l P T)
      + tr(P Σ_l P Σ_k P T) + 2 (μ_kᵀ P Σ_l u + μ_lᵀ P Σ_k u) + 2 μ_kᵀ P μ_l

    Because every Σ_k = u_k v_kᵀ + v_k u_kᵀ, all traces reduce to products of the
    bilinear forms u_kᵀ M u_l, u_kᵀ M v_l, v_kᵀ M v_l (M = P or P T P): O(K²p) work,
    small matrix products only.

    ``extra`` = per-group (U, V, dmu) stacks for additional (fixed) parameters, appended
    after the free ones (modification indices).
    """
    mats = spec.matrices(theta)
    lam, _, phi, th, nu, al = mats
    sig, mu = _implied(spec, mats)
    N = st.n.sum()
    K = spec.npar
    p = spec.p
    nx = 0 if extra is None else extra[0][0].shape[0]
    KT = K + nx
    grad = np.zeros(KT)
    info = np.zeros((KT, KT)) if want_info else None
    hess = np.zeros((K, K)) if want_hess else None
    for g in range(spec.G):
        el = spec.elems[g]
        U, V, Mt, Pe = _element_derivs(el, lam[g], phi[g], al[g], p, spec.meanstructure)
        n_el = len(Pe)
        if extra is not None:
            U = np.concatenate([U, extra[g][0]])
            V = np.concatenate([V, extra[g][1]])
            Mt = np.concatenate([Mt, extra[g][2]])
            Pall = np.concatenate([Pe, K + np.arange(nx)])
        else:
            Pall = Pe
        ne = len(Pall)
        g_el = np.zeros(ne)
        i_el = np.zeros((ne, ne)) if want_info else None
        h_el = np.zeros((n_el, n_el)) if want_hess else None
        means = spec.meanstructure
        for w, Sg, Ssub, d, obs in _units(spec, st, g, sig[g], mu[g]):
            inv = _spd_inv(Sg)
            T = Ssub if d is None else Ssub + np.outer(d, d)
            if obs is None:
                P, Tf = inv, T
                uf = None if d is None else inv @ d
            else:
                ix = np.ix_(obs, obs)
                P = np.zeros((p, p))
                P[ix] = inv
                Tf = np.zeros((p, p))
                Tf[ix] = T
                uf = np.zeros(p)
                uf[obs] = inv @ d
            M2 = P @ Tf @ P
            Gm = P - M2
            wg = w / N
            g_el += wg * 2.0 * np.einsum("kp,kp->k", U @ Gm, V)
            if means:
                g_el -= wg * 2.0 * (Mt @ uf)
            if not (want_info or want_hess):
                continue
            UP, VP = U @ P, V @ P
            UU1, VV1, UV1 = _mm(UP, U.T), _mm(VP, V.T), _mm(UP, V.T)
            trPP = 2.0 * (UU1 * VV1 + UV1 * UV1.T)
            MP = Mt @ P if means else None
            if want_info:
                i_el += wg * 0.5 * trPP
                if means:
                    i_el += wg * _mm(MP, Mt.T)
            if want_hess:
                s = slice(0, n_el)
                Uh, Vh = U[s], V[s]
                UM2, VM2 = Uh @ M2, Vh @ M2
                UU2, VV2, UV2 = _mm(UM2, Uh.T), _mm(VM2, Vh.T), _mm(UM2, Vh.T)
                uu1, vv1, uv1 = UU1[s, s], VV1[s, s], UV1[s, s]
                M3 = uv1.T * UV2 + vv1 * UU2 + uu1 * VV2 + uv1 * UV2.T
                Hg = -trPP[s, s] + M3 + M3.T
                if means:
                    MPh = MP[s]
                    su, sv = Uh @ uf, Vh @ uf
                    Q = _mm(MPh, Uh.T) * sv[None, :] + _mm(MPh, Vh.T) * su[None, :]
                    Hg += 2.0 * (Q + Q.T) + 2.0 * _mm(MPh, Mt[s].T)
                Hg += _second_terms(el, lam[g], phi[g], Gm, uf)
                h_el += wg * Hg
        np.add.at(grad, Pall, g_el)
        if want_info:
            np.add.at(info, (Pall[:, None], Pall[None, :]), i_el)
        if want_hess:
            np.add.at(hess, (Pe[:, None], Pe[None, :]), h_el)
    if want_hess:
        return grad, info, hess
    return grad, info


# ---------------------------------------------------------------------------------------------
# starting values and optimisation
# ---------------------------------------------------------------------------------------------
def _start(spec: _Spec, st: _Stats, model: MeasurementModel, items: Sequence[str], std_lv: bool) -> np.ndarray:
    theta = np.zeros(spec.npar)
    count = np.zeros(spec.npar)
    pos = {it: i for i, it in enumerate(items)}
    for g in range(spec.G):
        S = st.S[g]
        lam = np.zeros((spec.p, spec.m))
        phi = np.eye(spec.m)
        nload = np.zeros(spec.p)
        for j, (_, fitems) in enumerate(model.factors):
            idx = [pos[it] for it in fitems]
            sd = np.sqrt(np.diag(S)[idx])
            R = S[np.ix_(idx, idx)] / np.outer(sd, sd)
            if len(idx) == 1:
                l = np.array([0.7])
            else:
                ev, V = np.linalg.eigh(R)
                v = V[:, -1] * (1.0 if V[0, -1] >= 0 else -1.0)
                l = np.clip(v * np.sqrt(max(ev[-1] - 0.0, 1e-3)) * 0.9, -0.95, 0.95)
                if abs(l[0]) < 0.05:
                    l[0] = 0.05
            lr = l * sd
            if std_lv:
                lam[idx, j] = lr
                phi[j, j] = 1.0
            else:
                lam[idx, j] = lr / lr[0]
                phi[j, j] = lr[0] ** 2
            nload[idx] += 1
        common = np.einsum("pm,m,pm->p", lam, np.diag(phi), lam)
        th = np.diag(S) - common
        th = np.where(nload > 1, 0.5 * np.diag(S), np.maximum(th, 0.1 * np.diag(S)))
        vals = {
            "lam": lam, "phi": phi, "th": np.diag(th), "nu": st.ybar[g], "al": np.zeros(spec.m),
        }
        for name, idx_arr in (("lam", spec.lam_idx[g]), ("phi", spec.phi_idx[g]), ("th", spec.th_idx[g]),
                              ("nu", spec.nu_idx[g]), ("al", spec.al_idx[g])):
            mask = idx_arr >= 0
            np.add.at(theta, idx_arr[mask], vals[name][mask])
            np.add.at(count, idx_arr[mask], 1.0)
    return theta / np.maximum(count, 1.0)


def _optimise(spec: _Spec, st: _Stats, theta0: np.ndarray):
    theta = theta0.copy()
    F = _objective(spec, st, theta)
    if not np.isfinite(F):
        # fall back to a safer start: inflate residual variances
        th_params = np.unique(spec.th_idx[spec.th_idx >= 0])
        theta[th_params] = np.abs(theta[th_params]) + 1.0
        F = _objective(spec, st, theta)
    converged = False
    it = 0
    stalled = 0  # consecutive accepted steps that lowered F by no more than rounding
    for it in range(1, _MAX_ITER + 1):
        grad, info, hess = _grad_info(spec, st, theta, want_hess=True)
        if np.max(np.abs(grad)) < _GRAD_TOL:
            converged = True
            break
        step = None
        if np.max(np.abs(grad)) < 1e-2:  # Newton near the optimum (quadratic convergence)
            c = _chol(hess)
            if c is not None:
                step = -_chol_solve(c, grad)
        if step is None:  # Fisher scoring
            c = _chol(info)
            if c is not None:
                step = -0.5 * _chol_solve(c, grad)
            else:
                step = -0.5 * np.linalg.lstsq(info, grad, rcond=None)[0]
        slope = grad @ step
        if slope >= 0:  # not a descent direction (should not happen with PD information)
            step = -grad
            slope = grad @ step
        t = 1.0
        while True:
            cand = theta + t * step
            Fc = _objective(spec, st, cand)
            if np.isfinite(Fc) and Fc <= F + 1e-4 * t * slope:
                break
            t *= 0.5
            if t < 1e-12:
                break
        if t < 1e-12:
            # cannot improve further: accept if gradient is already tiny in relative terms
            converged = np.max(np.abs(grad)) < 1e-6
            break
        stalled = stalled + 1 if F - Fc <= 8.0 * np.finfo(float).eps * abs(F) else 0
        theta, F = cand, Fc
        if stalled >= 5 and np.max(np.abs(grad)) < 1e-6:
            # at the optimum within machine precision: the gradient's rounding floor lies above _GRAD_TOL
            converged = True
            break
    return theta, converged, it


# ---------------------------------------------------------------------------------------------
# post-estimation
# ---------------------------------------------------------------------------------------------
def _rmsea_ci(X2: float, df: int, N: float, G: int, level: float = 0.90) -> tuple[float, float]:
    """lavaan ``lav_fit_rmsea_ci``: non-centrality bounds by root finding on pchisq(X2, df, λ)."""
    if df < 1 or not np.isfinite(X2):
        return (float("nan"), float("nan")) if not np.isfinite(X2) else (0.0, 0.0)
    upper_p = 1 - (1 - level) / 2
    lower_p = (1 - level) / 2

    def cdf(lam: float) -> float:
        return float(stats.chi2.cdf(X2, df)) if lam <= 0 else float(stats.ncx2.cdf(X2, df, lam))

    if cdf(0.0) - upper_p < 0:
        lo = 0.0
    else:
        lam_l = optimize.brentq(lambda l: cdf(l) - upper_p, 0.0, X2, xtol=1e-12, rtol=1e-14)
        lo = math.sqrt(lam_l / (N * df)) * math.sqrt(G)
    n_rmsea = max(N, 4 * X2)
    if cdf(n_rmsea) - lower_p > 0 or cdf(0.0) - lower_p < 0:
        hi = 0.0
    else:
        lam_u = optimize.brentq(lambda l: cdf(l) - lower_p, 0.0, n_rmsea, xtol=1e-12, rtol=1e-14)
        hi = math.sqrt(lam_u / (N * df)) * math.sqrt(G)
    return lo, hi


def _srmr(spec: _Spec, S: np.ndarray, ybar: np.ndarray, sig: np.ndarray, mu: np.ndarray, n: np.ndarray) -> float:
    """lavaan ``srmr`` (= srmr_bentler; with means when the model has a mean structure)."""
    out = 0.0
    tri = np.tril_indices(spec.p)
    for g in range(spec.G):
        sd = np.sqrt(np.diag(S[g]))
        r = ((S[g] - sig[g]) / np.outer(sd, sd))[tri]
        if spec.meanstructure:
            r = np.concatenate([r, (ybar[g] - mu[g]) / sd])
        out += n[g] / n.sum() * math.sqrt(float(np.mean(r ** 2)))
    return out


def _logl_complete(spec: _Spec, st: _Stats, sig: np.ndarray, mu: np.ndarray) -> float:
    ll = 0.0
    p = spec.p
    for g in range(spec.G):
        inv = _spd_inv(sig[g])
        logdet = _logdet(sig[g])
        q = np.trace(st.S[g] @ inv)
        if spec.meanstructure:
            d = st.ybar[g] - mu[g]
            q += d @ inv @ d
        ll += -0.5 * st.n[g] * (p * _LOG2PI + logdet + q)
    return ll


def _logl_fiml(spec: _Spec, st: _Stats, sig: np.ndarray, mu: np.ndarray) -> float:
    ll = 0.0
    for g in range(spec.G):
        for obs, n_k, yb, Sk in st.patterns[g]:
            Sg = sig[g][np.ix_(obs, obs)]
            inv = _spd_inv(Sg)
            d = yb - mu[g][obs]
            ll += -0.5 * n_k * (obs.sum() * _LOG2PI + _logdet(Sg) + np.trace(Sk @ inv) + d @ inv @ d)
    return ll


def _fit_measures(spec: _Spec, st: _Stats, sig: np.ndarray, mu: np.ndarray) -> FitMeasures:
    p, G = spec.p, spec.G
    N = float(st.n.sum())
    pstar = p * (p + 1) // 2 + (p if spec.meanstructure else 0)
    df = G * pstar - spec.npar
    if st.fiml:
        logl = _logl_fiml(spec, st, sig, mu)
        logl_h1 = float(st.h1_logl.sum())
        base_logl = float(np.sum(-0.5 * st.var_n * (_LOG2PI + np.log(st.var_v) + 1.0)))
        S_used, y_used = st.h1_S, st.h1_mu
    else:
        logl = _logl_complete(spec, st, sig, mu)
        logl_h1 = 0.0
        base_logl = 0.0
        for g in range(G):
            logdet_s = _logdet(st.S[g])
            logl_h1 += -0.5 * st.n[g] * (p * _LOG2PI + logdet_s + p)
            base_logl += -0.5 * st.n[g] * (p * _LOG2PI + np.log(np.diag(st.S[g])).sum() + p)
        S_used, y_used = st.S, st.ybar
    chisq = max(2.0 * (logl_h1 - logl), 0.0) if st.fiml else 2.0 * (logl_h1 - logl)
    base_chisq = 2.0 * (logl_h1 - base_logl)
    base_df = G * p * (p - 1) // 2
    pvalue = float(stats.chi2.sf(chisq, df)) if df > 0 else float("nan")
    base_p = float(stats.chi2.sf(base_chisq, base_df)) if base_df > 0 else float("nan")
    t1 = max(chisq - df, 0.0)
    t2 = max(chisq - df, base_chisq - base_df, 0.0)
    cfi = 1.0 if (t1 == 0 and t2 == 0) else 1.0 - t1 / t2
    if df > 0 and base_df > 0:
        tli = (base_chisq / base_df - chisq / df) / (base_chisq / base_df - 1.0)
    else:
        tli = 1.0
    nfi = (base_chisq - chisq) / base_chisq
    rmsea = math.sqrt(max((chisq / N) / df - 1.0 / N, 0.0)) * math.sqrt(G) if df > 0 else 0.0
    lo, hi = _rmsea_ci(chisq, df, N, G)
    rmsea_p = float(stats.ncx2.sf(chisq, df, N * df * 0.05 ** 2 / G)) if df > 0 else float("nan")
    srmr = _srmr(spec, S_used, y_used, sig, mu, st.n)
    k = spec.npar
    aic = -2 * logl + 2 * k
    bic = -2 * logl + k * math.log(N)
    bic2 = -2 * logl + k * math.log((N + 2) / 24)
    gfi = None
    if not st.fiml:
        # lavaan lav_fit_gfi: 1 − eᵀVe / oᵀVo per group with o = (ȳ, vech S), e = o − (μ̂, vech Σ̂)
        # and the ML weight V = diag(Σ̂⁻¹, ½ Dᵀ(Σ̂⁻¹⊗Σ̂⁻¹)D); weighted by n_g/N
        vals = []
        for g in range(G):
            W = _spd_inv(sig[g])
            A = W @ (S_used[g] - sig[g])
            B = W @ S_used[g]
            t1 = 0.5 * np.trace(A @ A)
            t2 = 0.5 * np.trace(B @ B)
            if spec.meanstructure:
                d = y_used[g] - mu[g]
                t1 += d @ W @ d
                t2 += y_used[g] @ W @ y_used[g]
            vals.append(1.0 - t1 / t2)
        gfi = float(np.dot(st.n, vals) / N)
    fmin = None if st.fiml else float(chisq / (2.0 * N))  # lavaan fmin = F_ML / 2
    return FitMeasures(npar=int(k), ntotal=int(N), fmin=fmin, chisq=float(chisq), df=int(df), pvalue=pvalue,
                       baseline_chisq=float(base_chisq), baseline_df=int(base_df), baseline_pvalue=base_p,
                       cfi=float(cfi), tli=float(tli), nfi=float(nfi), rmsea=float(rmsea),
                       rmsea_ci_lower=float(lo), rmsea_ci_upper=float(hi), rmsea_pvalue=rmsea_p,
                       srmr=float(srmr), logl=float(logl), unrestricted_logl=float(logl_h1),
                       aic=float(aic), bic=float(bic), bic2=float(bic2), gfi=gfi)


def _vcov(spec: _Spec, st: _Stats, theta: np.ndarray) -> tuple[np.ndarray, str | None]:
    N = st.n.sum()
    if st.fiml:
        # observed information = Hessian of the log-likelihood (lavaan default for missing="ml")
        _, _, hess = _grad_info(spec, st, theta, want_info=False, want_hess=True)
        info = 0.25 * (hess + hess.T)  # per observation: ½ ∂²F/∂θ∂θᵀ
    else:
        _, info = _grad_info(spec, st, theta)
    c = _chol(N * info)
    if c is not None:
        return _chol_inv(c), None
    try:
        V = np.linalg.inv(N * info)
    except np.linalg.LinAlgError:
        return np.full((spec.npar, spec.npar), np.nan), "information matrix is singular: standard errors unavailable"
    if np.any(np.diag(V) < 0):
        return V, "information matrix is not positive definite: some standard errors are unavailable"
    return V, None


def _param_table(spec: _Spec, model: MeasurementModel, items: Sequence[str], theta: np.ndarray,
                 V: np.ndarray, sig: np.ndarray) -> pd.DataFrame:
    lam, _, phi, th, nu, al = spec.matrices(theta)
    se_all = np.sqrt(np.where(np.diag(V) >= 0, np.diag(V), np.nan))
    fnames = model.factor_names
    rows: list[tuple] = []

    def add(lhs, op, rhs, g, idx, est, std_lv, std_all):
        free = idx >= 0
        se = float(se_all[idx]) if free else 0.0
        z = est / se if free and se > 0 else float("nan")
        rows.append((lhs, op, rhs, g + 1, bool(free), float(est), se, z, float(std_lv), float(std_all)))

    for g in range(spec.G):
        sd_f = np.sqrt(np.diag(phi[g]))
        sd_y = np.sqrt(np.diag(sig[g]))
        for j, (f, fitems) in enumerate(model.factors):
            for it in fitems:
                i = items.index(it)
                est = lam[g, i, j]
                add(f, "=~", it, g, spec.lam_idx[g, i, j], est, est * sd_f[j], est * sd_f[j] / sd_y[i])
        for i in range(spec.p):
            for l in range(i + 1):
                if spec.th_idx[g, i, l] >= 0 or (i == l):
                    est = th[g, i, l]
                    add(items[l], "~~", items[i], g, spec.th_idx[g, i, l], est, est, est / (sd_y[i] * sd_y[l]))
        for j in range(spec.m):
            for k in range(j, spec.m):
                est = phi[g, j, k]
                add(fnames[j], "~~", fnames[k], g, spec.phi_idx[g, j, k], est, est / (sd_f[j] * sd_f[k]),
                    est / (sd_f[j] * sd_f[k]))
        if spec.meanstructure:
            for i in range(spec.p):
                add(items[i], "~1", "", g, spec.nu_idx[g, i], nu[g, i], nu[g, i], nu[g, i] / sd_y[i])
            for j in range(spec.m):
                add(fnames[j], "~1", "", g, spec.al_idx[g, j], al[g, j], al[g, j] / sd_f[j], al[g, j] / sd_f[j])
    out = pd.DataFrame(rows, columns=["lhs", "op", "rhs", "group", "free", "est", "se", "z", "std_lv", "std_all"])
    out.insert(8, "pvalue", 2.0 * stats.norm.sf(np.abs(out["z"].to_numpy())))
    return out


def _omega(spec: _Spec, model: MeasurementModel, items: Sequence[str], theta: np.ndarray, S: np.ndarray) -> dict:
    lam, _, phi, *_ = spec.matrices(theta)
    out = {}
    for j, (f, _) in enumerate(model.factors):
        idx = np.nonzero(lam[0][:, j] != 0)[0]
        if len(idx) < 2:  # semTools dropSingle
            continue
        common = lam[0][idx, j].sum() ** 2 * phi[0, j, j]
        out[f] = float(common / S[0][np.ix_(idx, idx)].sum())
    return out


def _warnings(spec: _Spec, theta: np.ndarray, items: Sequence[str], model: MeasurementModel,
              groups: Sequence[str], converged: bool, iterations: int) -> list[str]:
    out = []
    if not converged:
        out.append(f"the optimiser did not converge in {iterations} iterations; estimates are unreliable")
    lam, _, phi, th, *_ = spec.matrices(theta)
    for g in range(spec.G):
        tag = "" if spec.G == 1 else f" in group {groups[g]!r}"
        neg = [items[i] for i in range(spec.p) if th[g, i, i] < 0]
        if neg:
            out.append(f"Heywood case{tag}: negative residual variance for {', '.join(neg)}")
        ev = np.linalg.eigvalsh(phi[g])
        if ev[0] <= 0:
            out.append(f"the latent covariance matrix{tag} is not positive definite")
    return out


@dataclass
class _State:
    spec: _Spec
    st: _Stats
    theta: np.ndarray
    mats: tuple
    sig: np.ndarray
    mu: np.ndarray


def _fit_engine(model: MeasurementModel, items: Sequence[str], st: _Stats, groups: Sequence[str], *,
                std_lv: bool, meanstructure: bool, equal: Sequence[str], missing: str) -> CFAResult:
    spec = _build_spec(model, items, len(groups), std_lv=std_lv, meanstructure=meanstructure, equal=equal)
    df = len(groups) * (spec.p * (spec.p + 1) // 2 + (spec.p if meanstructure else 0)) - spec.npar
    if df < 0:
        raise UsageError(f"the model is not identified: {spec.npar} free parameters for "
                         f"{spec.npar + df} sample moments (df = {df})")
    theta0 = _start(spec, st, model, items, std_lv)
    theta, converged, iters = _optimise(spec, st, theta0)
    mats = spec.matrices(theta)
    sig, mu = _implied(spec, mats)
    fit = _fit_measures(spec, st, sig, mu)
    V, vmsg = _vcov(spec, st, theta)
    params = _param_table(spec, model, list(items), theta, V, sig)
    warns = _warnings(spec, theta, items, model, groups, converged, iters)
    if vmsg:
        warns.append(vmsg)
    S_used = st.h1_S if st.fiml else st.S
    omega = _omega(spec, model, items, theta, S_used) if spec.G == 1 else {}
    return CFAResult(model=model, items=tuple(items), groups=tuple(groups), n_obs=tuple(int(n) for n in st.n),
                     missing=missing, std_lv=std_lv, equal=tuple(equal), meanstructure=meanstructure,
                     converged=converged, iterations=iters, fit=fit, params=params, omega=omega,
                     implied_cov=tuple(sig), sample_cov=tuple(S_used), warnings=tuple(warns),
                     _state=_State(spec, st, theta, mats, sig, mu))


# ---------------------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------------------
def fit_cfa(data: pd.DataFrame | None, model: MeasurementModel | str, *, cov: np.ndarray | pd.DataFrame | None = None,
            n_obs: int | None = None, missing: str = "listwise", std_lv: bool = False) -> CFAResult:
    """Fit a single-group CFA by maximum likelihood (lavaan ``cfa()`` defaults).

    Parameters
    ----------
    data : pandas.DataFrame or None
        Raw data holding (at least) the model items.  ``None`` when ``cov`` is given.
    model : MeasurementModel or str
        Model, or lavaan ``=~`` syntax (see :func:`wamkit.stats.model_syntax.parse_model`).
    cov : array or DataFrame, optional
        Sample covariance matrix (divisor N−1, rows/columns in model-item order, or a
        DataFrame labelled by item) instead of raw data; rescaled by (N−1)/N as lavaan's
        ``sample.cov.rescale=TRUE``.  Requires ``n_obs``.
    n_obs : int, optional
        Sample size for ``cov``.
    missing : {"listwise", "fiml"}
        ``"listwise"`` drops incomplete rows (lavaan default); ``"fiml"`` = lavaan
        ``missing="ml"`` (adds a mean structure; SEs from the observed information).
    std_lv : bool
        ``False``: first loading of each factor fixed to 1 (marker); ``True``: factor
        variances fixed to 1 and all loadings free (lavaan ``std.lv=TRUE``).

    Returns
    -------
    CFAResult

    Notes
    -----
    ML discrepancy ``F = log|Σ| + tr(SΣ⁻¹) − log|S| − p`` with S of divisor N, ``chisq = N·F``;
    all fit measures as ``lavaan::fitMeasures(fit)``; estimates and SEs as
    ``parameterEstimates(fit)``; ``std_all``/``std_lv`` as ``standardizedSolution(fit)``;
    ``omega`` as ``semTools::compRelSEM(fit)``.
    """
    m = as_model(model)
    items = list(m.items)
    if missing not in ("listwise", "fiml"):
        raise UsageError(f"missing must be 'listwise' or 'fiml', not {missing!r}")
    if cov is not None:
        if data is not None:
            raise UsageError("give either data or cov, not both")
        if missing != "listwise":
            raise UsageError("missing='fiml' needs raw data, not a covariance matrix")
        if n_obs is None or int(n_obs) != n_obs or n_obs < 2:
            raise UsageError("cov needs n_obs, the sample size (an integer >= 2)")
        if isinstance(cov, pd.DataFrame):
            miss = [it for it in items if it not in cov.columns or it not in cov.index]
            if miss:
                raise UsageError(f"model item {miss[0]!r} is not in the covariance matrix")
            C = cov.loc[items, items].to_numpy(dtype=float)
        else:
            C = np.asarray(cov, dtype=float)
            if C.shape != (len(items), len(items)):
                raise UsageError(f"cov must be {len(items)}x{len(items)} (model items in order), got {C.shape}")
        if not np.allclose(C, C.T, rtol=1e-10, atol=1e-12) or not np.all(np.isfinite(C)):
            raise DataError("cov must be a finite symmetric matrix")
        n = int(n_obs)
        if n < len(items) + 1:
            raise DataError(f"n_obs = {n} is too small for {len(items)} items")
        S = C * (n - 1) / n
        _check_matrix(S, items, "")
        st = _Stats(np.array([float(n)]), S[None].copy(), np.zeros((1, len(items))))
    else:
        if data is None:
            raise UsageError("give data or cov")
        if n_obs is not None:
            raise UsageError("n_obs is only used with cov; with raw data the sample size is the number of rows")
        X = _numeric_block(data, items)
        st = _fiml_stats([X], items, ["all"]) if missing == "fiml" else _complete_stats([X], items, ["all"])
    return _fit_engine(m, items, st, ["all"], std_lv=std_lv, meanstructure=(missing == "fiml"), equal=(),
                       missing=missing)


def modification_indices(result: CFAResult, *, top: int | None = None, min_mi: float = 0.0) -> pd.DataFrame:
    """Modification indices for fixed-to-zero loadings and residual covariances (lavaan ``modindices``).

    Score test of each parameter of the extended model (all item–factor loadings,
    all residual covariances, fixed latent covariances) that is not in the model,
    with the expected information:

    ``V = I₁₁ − I₁₂ I₂₂⁻¹ I₂₁``, ``mi = N·s²/V``, ``epc = s/V``, where ``s`` is the
    per-observation score ``−½ ∂F/∂θ`` and I the per-observation expected information.
    ``sepc_all`` standardises the EPC like the parameter (loadings by factor SD / item SD;
    residual covariances by the residual SDs, lavaan ``cov.std=TRUE``).

    Returns
    -------
    pandas.DataFrame
        ``lhs, op, rhs, mi, epc, sepc_all`` sorted by decreasing ``mi`` (lavaan
        ``modindices(fit, sort.=TRUE)``), limited to ``top`` rows and ``mi >= min_mi``.
        Matches ``lavaan::modindices(fit)`` for single-group complete-data fits.
    """
    state: _State = result._state
    if state is None:
        raise UsageError("this result carries no model state")
    spec, st = state.spec, state.st
    if spec.G != 1 or st.fiml:
        raise UsageError("modification indices are available for single-group complete-data fits only")
    lam, _, phi, th, nu, al = state.mats
    p, m = spec.p, spec.m
    items = list(result.items)
    fnames = list(result.model.factor_names)
    labels = []
    Us, Vs = [], []
    A = lam[0] @ phi[0]
    eye = np.eye(p)
    for j in range(m):
        for i in range(p):
            if spec.lam_idx[0, i, j] < 0 and spec.lam_fix[0, i, j] == 0:
                Us.append(eye[i])
                Vs.append(A[:, j])
                labels.append((fnames[j], "=~", items[i], "lam", i, j))
    for i in range(p):
        for l in range(i + 1, p):
            if spec.th_idx[0, i, l] < 0:
                Us.append(eye[i])
                Vs.append(eye[l])
                labels.append((items[i], "~~", items[l], "th", i, l))
    for j in range(m):
        for k in range(j + 1, m):
            if spec.phi_idx[0, j, k] < 0:
                Us.append(lam[0][:, j])
                Vs.append(lam[0][:, k])
                labels.append((fnames[j], "~~", fnames[k], "phi", j, k))
    cols = ["lhs", "op", "rhs", "mi", "epc", "sepc_all"]
    if not Us:
        return pd.DataFrame(columns=cols)
    Ux, Vx = np.array(Us), np.array(Vs)
    Mx = np.zeros((len(Us), p))
    grad, info = _grad_info(spec, st, state.theta, extra=[(Ux, Vx, Mx)])
    K = spec.npar
    I22 = info[:K, :K]
    I12 = info[K:, :K]
    I11 = info[K:, K:]
    c = _chol(I22)
    if c is None:
        raise DataError("could not compute modification indices: the information matrix is singular")
    V = np.diag(I11) - np.einsum("ak,ka->a", I12, _chol_solve(c, I12.T))
    s = -0.5 * grad[K:]
    N = st.n.sum()
    V = np.where(V < np.finfo(float).eps ** (1 / 3), np.nan, V)
    mi = N * s * s / V
    epc = s / V
    sd_y = np.sqrt(np.diag(state.sig[0]))
    sd_f = np.sqrt(np.diag(phi[0]))
    sepc = np.empty(len(labels))
    for r, (_, _, _, kind, a, b) in enumerate(labels):
        if kind == "lam":
            sepc[r] = epc[r] * sd_f[b] / sd_y[a]
        elif kind == "th":
            sepc[r] = epc[r] / math.sqrt(abs(th[0, a, a]) * abs(th[0, b, b]))
        else:
            sepc[r] = epc[r] / (sd_f[a] * sd_f[b])
    out = pd.DataFrame({"lhs": [x[0] for x in labels], "op": [x[1] for x in labels],
                        "rhs": [x[2] for x in labels], "mi": mi, "epc": epc, "sepc_all": sepc})
    out = out[out["mi"].fillna(-np.inf) >= min_mi] if min_mi > 0 else out
    out = out.sort_values("mi", ascending=False, kind="stable", na_position="last").reset_index(drop=True)
    return out.head(top) if top is not None else out
