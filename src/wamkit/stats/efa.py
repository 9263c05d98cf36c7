"""Exploratory factor analysis that reproduces R ``psych`` 2.2.9 (``fa``, ``KMO``, ``cortest.bartlett``).

Everything works on a correlation matrix ``R`` (compute it with
:func:`wamkit.stats.correlation.pairwise_cor`). Extraction, sign/order conventions,
rotation (GPArotation's algorithms, :mod:`wamkit.stats.rotation`) and every fit
statistic follow psych's source line by line, so that numbers agree with
``psych::fa`` to optimiser precision.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import optimize, special, stats

from wamkit.errors import DataError, UsageError
from wamkit.results import StatResult, to_jsonable
from wamkit.stats.linalg import cor_smooth, psych_pinv
from wamkit.stats.rotation import ROTATIONS
from wamkit.stats.rotation import rotate as _rotate

__all__ = [
    "KMOResult",
    "BartlettResult",
    "FAResult",
    "kmo",
    "bartlett",
    "fa",
    "smc",
    "FM_METHODS",
]

EPS = np.finfo(float).eps
FM_METHODS = ("minres", "ml", "pa")
_PREFIX = {"minres": "MR", "ml": "ML", "pa": "PA"}


# --------------------------------------------------------------------------- helpers
def check_corr(R: Any, name: str = "R") -> np.ndarray:
    """Validate a correlation (or covariance) matrix and return it as a correlation matrix.

    Like psych (``cov2cor`` when ``covar=FALSE``) a covariance matrix is rescaled.
    """
    try:
        A = np.array(R, dtype=float)
    except (TypeError, ValueError):
        raise DataError(f"{name} must be a numeric square matrix") from None
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise DataError(f"{name} must be a square matrix, got shape {A.shape}")
    if A.shape[0] < 2:
        raise DataError(f"{name} must have at least 2 variables")
    if not np.all(np.isfinite(A)):
        raise DataError(f"{name} contains missing or infinite values; drop the variables concerned")
    if not np.allclose(A, A.T, rtol=0, atol=1e-10):
        raise DataError(f"{name} is not symmetric")
    d = np.diag(A)
    if np.any(d <= 0):
        raise DataError(f"{name} has a non-positive diagonal element (a variable without variance)")
    s = 1.0 / np.sqrt(d)
    A = A * s[:, None] * s[None, :]
    A = (A + A.T) / 2.0
    np.fill_diagonal(A, 1.0)
    return A


def eigh_desc(A: np.ndarray, vectors: bool = True):
    """Eigen decomposition with values in decreasing order (as R ``eigen``)."""
    if vectors:
        w, V = np.linalg.eigh(A)
        return w[::-1], V[:, ::-1]
    return np.linalg.eigvalsh(A)[..., ::-1]


def smc(R: np.ndarray) -> np.ndarray:
    """Squared multiple correlations ``1 - 1/diag(R^-1)`` (pseudo-inverse), clipped to [0, 1].

    Matches ``psych::smc(R)`` for a correlation (or covariance, first standardised) matrix
    without missing values.
    """
    R = np.asarray(R, dtype=float)
    d = np.sqrt(np.diag(R))
    with np.errstate(divide="ignore"):
        out = 1.0 - 1.0 / np.diag(psych_pinv(R / np.outer(d, d)))
    return np.clip(out, 0.0, 1.0)


def _names(items: Sequence[str] | None, p: int, R: Any = None) -> tuple[str, ...]:
    if items is None:
        cols = getattr(R, "columns", None)
        if cols is not None and len(cols) == p:
            return tuple(str(c) for c in cols)
        return tuple(f"V{j + 1}" for j in range(p))
    items = tuple(str(i) for i in items)
    if len(items) != p:
        raise UsageError(f"{len(items)} item names given for a {p} x {p} matrix")
    return items


# --------------------------------------------------------------------------- KMO / Bartlett
@dataclass(frozen=True)
class KMOResult(StatResult):
    """Kaiser-Meyer-Olkin measure of sampling adequacy.

    ``overall`` = ``psych::KMO(R)$MSA``, ``per_item`` = ``$MSAi`` (in the order of ``items``).
    """

    overall: float
    per_item: np.ndarray
    items: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(
            {"overall": self.overall, "per_item": dict(zip(self.items, self.per_item.tolist(), strict=False))}
        )


def kmo(R: Any, *, items: Sequence[str] | None = None) -> KMOResult:
    """Kaiser-Meyer-Olkin MSA, matching ``psych::KMO(R)``.

    With ``Q`` the anti-image correlations (``cov2cor(R^-1)``, off-diagonal):
    ``MSA = sum r_jk^2 / (sum r_jk^2 + sum q_jk^2)`` over ``j != k``; ``MSA_j`` the same
    with sums over column ``j`` only.

    Raises
    ------
    DataError
        If ``R`` is singular (psych then falls back to ``R`` itself; wamkit refuses).
    """
    A = check_corr(R)
    names = _names(items, A.shape[0], R)
    try:
        Q = np.linalg.inv(A)
        rcond = float(1.0 / (np.linalg.norm(A, 1) * np.linalg.norm(Q, 1)))
    except np.linalg.LinAlgError:
        rcond = 0.0
    if not rcond >= EPS:  # R solve(): "system is computationally singular"
        raise DataError("the correlation matrix is singular, KMO is undefined (collinear items?)")
    if not np.all(np.isfinite(Q)) or np.any(np.diag(Q) <= 0):
        raise DataError("the correlation matrix is singular or not positive definite, KMO is undefined")
    s = 1.0 / np.sqrt(np.diag(Q))
    Q = Q * s[:, None] * s[None, :]
    np.fill_diagonal(Q, 0.0)
    r = A.copy()
    np.fill_diagonal(r, 0.0)
    r2 = r * r
    q2 = Q * Q
    overall = float(r2.sum() / (r2.sum() + q2.sum()))
    per = r2.sum(axis=0) / (r2.sum(axis=0) + q2.sum(axis=0))
    return KMOResult(overall=overall, per_item=per, items=names)


@dataclass(frozen=True)
class BartlettResult(StatResult):
    """Bartlett's test of sphericity (unpacks as ``chisq, df, p_value``)."""

    chisq: float
    df: int
    p_value: float

    def __iter__(self) -> Iterator[float]:  # tuple-style unpacking, as before
        return iter((self.chisq, self.df, self.p_value))

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable({"chisq": self.chisq, "df": self.df, "p_value": self.p_value})


def bartlett(R: Any, n: int) -> BartlettResult:
    """Bartlett's test that ``R`` is an identity matrix, matching ``psych::cortest.bartlett(R, n)``.

    ``chisq = -log(det R) (n - 1 - (2p + 5)/6)``, ``df = p(p-1)/2``.
    """
    A = check_corr(R)
    if n is None or n <= 1:
        raise UsageError("bartlett needs the number of observations n > 1")
    p = A.shape[0]
    sign, logdet = np.linalg.slogdet(A)
    if sign <= 0:
        raise DataError("the correlation matrix is singular (determinant <= 0); Bartlett's test is undefined")
    chisq = float(-logdet * (n - 1 - (2 * p + 5) / 6))
    df = p * (p - 1) // 2
    return BartlettResult(chisq=chisq, df=df, p_value=float(stats.chi2.sf(chisq, df)))


# --------------------------------------------------------------------------- extraction
def _lbfgsb(
    fn,
    gr,
    start: np.ndarray,
    lower: float,
    upper: float,
    *,
    parscale: float = 0.01,
    maxit: int = 100,
    factr: float = 1e7,
    lmm: int = 5,
):
    """R ``optim(method="L-BFGS-B", control=list(parscale=rep(parscale, p)))`` via scipy.

    R optimises ``par/parscale`` with ``factr=1e7`` (relative function tolerance
    ``factr*eps``), ``pgtol=0``, ``lmm=5`` memory and ``maxit=100`` iterations.
    """
    ps = parscale

    def fun(x):
        par = x * ps
        return fn(par), gr(par) * ps

    x0 = np.clip(start, lower, upper) / ps
    res = optimize.minimize(
        fun,
        x0,
        jac=True,
        method="L-BFGS-B",
        bounds=optimize.Bounds(np.full_like(x0, lower / ps), np.full_like(x0, upper / ps)),
        options={"maxcor": lmm, "ftol": factr * EPS, "gtol": 0.0, "maxiter": maxit, "maxfun": 100000},
    )
    return res.x * ps, res


def _minres_fn(Psi: np.ndarray, S: np.ndarray, nf: int) -> float:
    """psych ``fit.residuals`` (fm="minres"): sum of squared off-diagonal residuals."""
    Sd = S.copy()
    np.fill_diagonal(Sd, 1.0 - Psi)
    w, V = eigh_desc(Sd)
    w = np.where(w < EPS, 100 * EPS, w)
    L = V[:, :nf] * np.sqrt(w[:nf])
    res = Sd - L @ L.T
    il = np.tril_indices(S.shape[0], -1)
    return float(np.sum(res[il] ** 2))


def _minres_gr(Psi: np.ndarray, S: np.ndarray, nf: int) -> np.ndarray:
    """psych ``FAgr.minres``."""
    w, V = eigh_desc(S - np.diag(Psi))
    L = V[:, :nf] * np.sqrt(np.maximum(w[:nf], 0.0))
    return (L * L).sum(axis=1) + Psi - np.diag(S)


def _ml_fn(Psi: np.ndarray, S: np.ndarray, nf: int) -> float:
    """psych ``FAfn``: ML discrepancy as a function of the uniquenesses."""
    sc = 1.0 / np.sqrt(Psi)
    w = eigh_desc(S * sc[:, None] * sc[None, :], vectors=False)
    e = w[nf:]
    return float(-(np.sum(np.log(e) - e) - nf + S.shape[0]))


def _ml_gr(Psi: np.ndarray, S: np.ndarray, nf: int) -> np.ndarray:
    """psych ``FAgr``."""
    sc = 1.0 / np.sqrt(Psi)
    w, V = eigh_desc(S * sc[:, None] * sc[None, :])
    load = V[:, :nf] * np.sqrt(np.maximum(w[:nf] - 1.0, 0.0))
    load = np.sqrt(Psi)[:, None] * load
    g = (load * load).sum(axis=1) + Psi - np.diag(S)
    return g / Psi**2


def _ml_out(Psi: np.ndarray, S: np.ndarray, nf: int) -> np.ndarray:
    """psych ``FAout``."""
    sc = 1.0 / np.sqrt(Psi)
    w, V = eigh_desc(S * sc[:, None] * sc[None, :])
    load = V[:, :nf] * np.sqrt(np.maximum(w[:nf] - 1.0, 0.0))
    return np.sqrt(Psi)[:, None] * load


def _wls_out(Psi: np.ndarray, S: np.ndarray, nf: int) -> np.ndarray:
    """psych ``FAout.wls``."""
    w, V = eigh_desc(S - np.diag(Psi))
    return V[:, :nf] * np.sqrt(np.maximum(w[:nf], 0.0))


def extract_optim(R: np.ndarray, nf: int, fm: str, warnings: list[str]):
    """minres or ML extraction as psych ``fa`` (SMC start, L-BFGS-B on the uniquenesses); parallel analysis uses it too."""
    s = smc(R)
    upper = max(float(s.max()), 1.0)
    start = np.diag(R) - s
    if fm == "ml":
        psi, res = _lbfgsb(lambda P: _ml_fn(P, R, nf), lambda P: _ml_gr(P, R, nf), start, 0.005, upper)
        L = _ml_out(psi, R, nf)
    else:
        psi, res = _lbfgsb(lambda P: _minres_fn(P, R, nf), lambda P: _minres_gr(P, R, nf), start, 0.005, upper)
        L = _wls_out(psi, R, nf)
    if not res.success:
        warnings.append(f"{fm} extraction: the optimiser stopped before converging ({res.message.strip()})")
    info = {
        "iterations": int(res.nit),
        "converged": bool(res.success),
        "communalities": 1.0 - psi,
        "objective": float(res.fun),
    }
    return L, info


def extract_pa(R: np.ndarray, nf: int, max_iter: int, min_err: float, warnings: list[str]):
    """Iterated principal axis as psych ``fa(fm="pa")`` (SMC start, stop when the
    change of the communality sum < min_err or after max_iter iterations)."""
    rmat = R.copy()
    np.fill_diagonal(rmat, smc(R))
    comm = float(np.trace(rmat))
    err = comm
    i = 1
    converged = True
    L = None
    w = None
    comm1 = comm
    while err > min_err:
        w, V = eigh_desc(rmat)
        with np.errstate(invalid="ignore"):
            L = V[:, :nf] * np.sqrt(w[:nf])
        new = (L * L).sum(axis=1)
        comm1 = float(new.sum())
        np.fill_diagonal(rmat, new)
        err = abs(comm - comm1)
        if np.isnan(err):
            warnings.append(
                "imaginary eigenvalue in principal axis iterations (negative eigenvalue); results are not usable"
            )
            converged = False
            break
        comm = comm1
        i += 1
        if i > max_iter:
            warnings.append(f"principal axis: maximum iteration ({max_iter}) exceeded")
            converged = False
            err = 0.0
    info = {"iterations": i - 1, "converged": converged, "communalities": comm1, "values": w, "objective": None}
    return L, info


# --------------------------------------------------------------------------- statistics
def _zeroin(f, ax: float, bx: float, tol: float = EPS**0.25, maxit: int = 1000) -> float:
    """Brent's root finder exactly as R's ``uniroot`` (``R_zeroin2``, same tolerance
    ``.Machine$double.eps^0.25``), so that psych's RMSEA bounds are reproduced to the bit.

    Raises ValueError when ``f`` has the same sign at both ends (R: an error).
    """
    a, b = ax, bx
    fa, fb = f(a), f(b)
    if fa * fb > 0:
        raise ValueError("f() values at end points not of opposite sign")
    c, fc = a, fa
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    for _ in range(maxit + 1):
        prev_step = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2 * EPS * abs(b) + tol / 2
        new_step = (c - b) / 2
        if abs(new_step) <= tol_act or fb == 0.0:
            return b
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:
                t1 = fb / fa
                p = cb * t1
                q = 1.0 - t1
            else:
                q = fa / fc
                t1 = fb / fc
                t2 = fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < (0.75 * cb * q - abs(tol_act * q) / 2) and p < abs(prev_step * q / 2):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    raise ValueError("uniroot did not converge")


def _rmsea_bound(stat: float, df: float, target: float, hi: float) -> float:
    """Root in ncp of ``pchisq(stat, df, ncp) = target`` on [0, hi] (R ``uniroot``)."""
    return _zeroin(lambda x: float(special.chndtr(stat, df, x)) - target, 0.0, hi)


def _fa_stats(
    r: np.ndarray,
    f: np.ndarray,
    phi: np.ndarray | None,
    n_obs: float | None,
    np_obs: np.ndarray | None,
    alpha: float,
    warnings: list[str],
) -> dict[str, Any]:
    """psych ``fa.stats`` (the parts that do not need raw data)."""
    n = r.shape[0]
    nf = f.shape[1]
    model = f @ f.T if phi is None else f @ phi @ f.T
    residual = r - model
    r2 = float(np.sum(r * r))
    rstar2 = float(np.sum(residual * residual))
    dof = n * (n - 1) / 2 - n * nf + nf * (nf - 1) / 2
    out: dict[str, Any] = {"residual": residual.copy(), "dof": dof}
    r2_off = r2 - float(np.trace(r))
    res_off = residual.copy()
    np.fill_diagonal(res_off, 0.0)
    nan = float("nan")
    if np_obs is None:
        nobs = nan if n_obs is None else float(n_obs)
        rstar_off = float(np.sum(res_off**2))
        chi = rstar_off * nobs
        rms = np.sqrt(rstar_off / (n * (n - 1)))
        nh = nobs
    else:
        rstar_off = float(np.sum(res_off**2 * np_obs))
        rr = r * r * np_obs
        r2_off = float(rr.sum() - np.trace(rr))
        chi = rstar_off
        nh = float(1.0 / np.mean(1.0 / np_obs))
        rms = np.sqrt(rstar_off / (nh * n * (n - 1)))
    if dof > 0:
        crms = np.sqrt(rstar_off / (2 * nh * dof)) if np_obs is not None else np.sqrt(rstar_off / (2 * dof))
        epval = float(stats.chi2.sf(chi, dof)) if np.isfinite(chi) else nan
        ebic = chi - dof * np.log(nh)
    else:
        crms = epval = ebic = nan
    out.update(
        chi=chi,
        rms=float(rms),
        crms=float(crms),
        EPVAL=epval,
        EBIC=float(ebic),
        nh=nh,
        fit=1 - rstar2 / r2,
        fit_off=1 - rstar_off / r2_off,
    )
    f2 = f * f
    out["complexity"] = f2.sum(axis=1) ** 2 / (f2 * f2).sum(axis=1)

    mod = model.copy()
    np.fill_diagonal(mod, np.diag(r))
    mod, sm1 = cor_smooth(mod)
    rs, sm2 = cor_smooth(r)
    if sm1 or sm2:
        warnings.append("matrix was not positive definite, smoothing was done (psych cor.smooth)")
    try:
        m_inv_r = np.linalg.solve(mod, rs)
    except np.linalg.LinAlgError:
        warnings.append("the model inverse times the r matrix is singular; fit statistics are wrong")
        m_inv_r = np.eye(n)
    sign, logdet = np.linalg.slogdet(m_inv_r)
    objective = float(np.trace(m_inv_r) - logdet - n) if sign > 0 else float("inf")
    if not np.isfinite(objective):
        objective = rstar2
        warnings.append("the determinant of the smoothed correlation was zero; chi square is based on residuals")
    out["objective"] = objective
    sign0, logdet0 = np.linalg.slogdet(rs)
    F0 = float(np.trace(rs) - logdet0 - n) if sign0 > 0 else r2
    out["null_model"] = F0
    out["null_dof"] = n * (n - 1) / 2
    stat = pval = tli = null_chisq = rmsea = lo = hi = bic = sabic = nan
    if n_obs is not None:
        N = float(n_obs)
        nm = (N - 1) - (2 * n + 5) / 6 - (2 * nf) / 3
        stat = objective * nm
        if stat < 0:
            stat = 0.0
        pval = float(stats.chi2.sf(stat, dof)) if dof > 0 else nan
        Mm = objective / dof if dof != 0 else nan
        M0 = F0 * 2 / (n * (n - 1))
        null_chisq = F0 * ((N - 1) - (2 * n + 5) / 6)
        tli = (M0 - Mm) / (M0 - 1 / nm)
        if dof > 0:
            rmsea = np.sqrt(max(stat / (dof * N) - 1 / (N - 1), 0.0))
            tail = alpha / 2
            mx = max(N, stat) + 2 * N
            hi = 0.0
            if stats.chi2.cdf(stat, dof) > tail:
                try:
                    hi = np.sqrt(_rmsea_bound(stat, dof, tail, mx) / (N - 1) / dof)
                except ValueError:
                    hi = 0.0 if rmsea <= 0 else nan
            lo = 0.0
            if stats.chi2.cdf(stat, dof) > 1 - tail:
                try:
                    lo = np.sqrt(_rmsea_bound(stat, dof, 1 - tail, mx) / (N - 1) / dof)
                except ValueError:
                    lo = nan
            if np.isfinite(hi) and hi < rmsea:
                hi = nan
            if np.isfinite(lo) and lo > rmsea:
                lo = nan
            bic = stat - dof * np.log(N)
            sabic = stat - dof * np.log((N + 2) / 24)
    out.update(STATISTIC=stat, PVAL=pval, TLI=tli, null_chisq=null_chisq, RMSEA=(rmsea, lo, hi), BIC=bic, SABIC=sabic)
    # factor score determinacy (regression weights), psych R2
    S = f if phi is None else f @ phi
    try:
        w = np.linalg.solve(rs, S)
        out["R2"] = np.einsum("ij,ij->j", w, S)
    except np.linalg.LinAlgError:
        out["R2"] = np.full(nf, nan)
    return out


# --------------------------------------------------------------------------- result
@dataclass(frozen=True)
class FAResult(StatResult):
    """Result of :func:`fa` (names follow ``psych::fa`` output).

    Attributes
    ----------
    loadings : (p, k) pattern loadings (``$loadings``), columns sorted by variance explained.
    factor_names : psych's column names (e.g. ``MR2, MR1, ...``: numbers are the order
        before sorting, as psych prints them).
    h2, u2 : communalities ``diag(L0 L0')`` of the unrotated solution and uniquenesses
        ``1 - h2`` (``$communality``, ``$uniquenesses``).
    phi : factor correlations (``$Phi``; identity for orthogonal/no rotation).
    structure : ``loadings @ phi`` (``$Structure``).
    ss_loadings, proportion_var, cumulative_var, proportion_explained, cumulative_proportion :
        the rows of ``$Vaccounted``.
    e_values : eigenvalues of R (``$e.values``); values : eigenvalues of the reduced
        matrix with communalities on the diagonal (``$values``).
    chisq, dof, pvalue : ``$STATISTIC`` (ML objective times ``n - 1 - (2p+5)/6 - 2k/3``),
        ``$dof``, ``$PVAL``. rmsea, rmsea_lower, rmsea_upper : ``$RMSEA`` with its
        ``1 - alpha`` (90%) interval; tli, bic, sabic, rms, crms, fit, fit_off, objective,
        null_chisq, null_dof, emp_chisq (``$chi``), emp_pvalue (``$EPVAL``),
        emp_bic (``$EBIC``) as psych.
    warnings : human-readable notes (non-convergence, Heywood cases, ...).
    """

    fm: str
    rotation: str
    n_factors: int
    n_obs: float | None
    items: tuple[str, ...]
    factor_names: tuple[str, ...]
    loadings: np.ndarray
    h2: np.ndarray
    u2: np.ndarray
    phi: np.ndarray
    structure: np.ndarray
    ss_loadings: np.ndarray
    proportion_var: np.ndarray
    cumulative_var: np.ndarray
    proportion_explained: np.ndarray
    cumulative_proportion: np.ndarray
    e_values: np.ndarray
    values: np.ndarray
    complexity: np.ndarray
    r2_scores: np.ndarray
    residual: np.ndarray
    chisq: float
    dof: float
    pvalue: float
    rmsea: float
    rmsea_lower: float
    rmsea_upper: float
    rmsea_ci_level: float
    tli: float
    bic: float
    sabic: float
    rms: float
    crms: float
    fit: float
    fit_off: float
    objective: float
    null_objective: float
    null_chisq: float
    null_dof: float
    emp_chisq: float
    emp_pvalue: float
    emp_bic: float
    harmonic_n: float
    extraction_iterations: int
    extraction_converged: bool
    rotation_converged: bool
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def communalities(self) -> np.ndarray:
        """Alias of :attr:`h2`."""
        return self.h2

    @property
    def uniquenesses(self) -> np.ndarray:
        """Alias of :attr:`u2`."""
        return self.u2

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary (matrices as nested lists, rows = items)."""
        d = {f: getattr(self, f) for f in self.__dataclass_fields__}
        return to_jsonable(d)


# --------------------------------------------------------------------------- fa
def fa(
    R: Any,
    n_factors: int,
    *,
    n_obs: float | None = None,
    fm: str = "minres",
    rotate: str = "oblimin",
    max_iter: int = 50,
    min_err: float = 0.001,
    np_obs: np.ndarray | None = None,
    items: Sequence[str] | None = None,
    alpha: float = 0.1,
) -> FAResult:
    """Exploratory factor analysis of a correlation matrix, as ``psych::fa``.

    Matches ``psych::fa(R, nfactors=n_factors, n.obs=n_obs, fm=fm, rotate=rotate)``
    (psych 2.2.9 / GPArotation 2022.10). With ``np_obs`` (pairwise counts) it matches
    ``psych::fa(data, ...)`` on raw data, where psych uses the pairwise counts for the
    empirical statistics (``chi``, ``rms``, ``crms``, ``EBIC``).

    Steps (psych's, in order):

    1. Extraction. ``minres``: minimise the sum of squared off-diagonal residuals
       ``sum_{j<k} (r_jk - (LL')_jk)^2`` over the uniquenesses ``psi`` by L-BFGS-B
       (bounds [0.005, 1], start ``1 - SMC``, psych's gradient), ``L`` = top ``k``
       eigenvectors of ``R - diag(psi)`` scaled by ``sqrt(eigenvalue)``. ``ml``: the
       same optimiser on psych's ``FAfn`` (``-sum_{i>k}(log e_i - e_i) - k + p`` with
       ``e`` the eigenvalues of ``Psi^-1/2 R Psi^-1/2``). ``pa``: iterated principal
       axis from SMCs until the communality sum changes by < ``min_err`` (0.001) or
       ``max_iter`` (50) iterations.
    2. Columns reflected so that their sums are positive; rotation
       (:func:`wamkit.stats.rotation.rotate`); columns reflected again; sorted by
       variance explained (``diag(Phi L'L)``).
    3. Statistics as ``psych::fa.stats``: ``objective = tr(M^-1 R) - log|M^-1 R| - p``
       with ``M = LΦL'`` (unit diagonal); ``chisq = objective (n - 1 - (2p+5)/6 - 2k/3)``;
       ``RMSEA = sqrt(max(chisq/(df n) - 1/(n-1), 0))`` with a noncentral chi-square
       interval; ``TLI = (M0 - Mm)/(M0 - 1/nm)``; ``BIC = chisq - df log n``.

    Parameters
    ----------
    R : (p, p) correlation matrix (a covariance matrix is rescaled to correlations).
    n_factors : number of factors, ``1 <= k < p``.
    n_obs : sample size (needed for chisq, p, RMSEA, TLI, BIC; NaN otherwise).
    fm : ``"minres"`` (default), ``"ml"`` or ``"pa"``.
    rotate : ``"oblimin"`` (default), ``"quartimin"``, ``"geomin"`` (psych ``geominQ``),
        ``"promax"``, ``"Promax"``, ``"varimax"``, ``"quartimax"``, ``"geominT"`` or ``"none"``.
        psych spellings ``"geominQ"`` is accepted too.
    max_iter, min_err : principal-axis iteration limits (psych ``max.iter``, ``min.err``).
        The minres/ml optimiser uses R ``optim``'s defaults (100 iterations).
    np_obs : (p, p) pairwise counts (from :func:`wamkit.stats.correlation.pairwise_cor`).
    items : item names (default: the columns of a DataFrame ``R``, else ``V1..Vp``).
    alpha : 1 - confidence level of the RMSEA interval (psych fa: 0.1, i.e. 90%).

    Returns
    -------
    FAResult
    """
    A = check_corr(R)
    p = A.shape[0]
    names = _names(items, p, R)
    if fm not in FM_METHODS:
        raise UsageError(f"unknown factoring method {fm!r}; choose one of {', '.join(FM_METHODS)}")
    if rotate not in ROTATIONS:
        raise UsageError(f"unknown rotation {rotate!r}; choose one of {', '.join(ROTATIONS)}")
    if isinstance(n_factors, bool) or not isinstance(n_factors, (int, np.integer)) or not 1 <= n_factors < p:
        raise UsageError(f"n_factors must be an integer between 1 and {p - 1}, got {n_factors!r}")
    nf = int(n_factors)
    if n_obs is not None:
        if not np.isfinite(n_obs) or n_obs <= 1:
            raise UsageError(f"n_obs must be > 1, got {n_obs!r}")
    if np_obs is not None:
        np_obs = np.asarray(np_obs, dtype=float)
        if np_obs.shape != (p, p):
            raise UsageError(f"np_obs must be {p} x {p}")
        if np.any(np_obs <= 0):
            raise DataError("np_obs contains pairs without observations")
        if n_obs is None:
            n_obs = float(np_obs.max())
    warnings: list[str] = []

    e_values = eigh_desc(A, vectors=False).copy()
    if fm == "pa":
        L, info = extract_pa(A, nf, max_iter, min_err, warnings)
        values = info["values"]
    else:
        L, info = extract_optim(A, nf, fm, warnings)
        values = None
    if not np.all(np.isfinite(L)):
        raise DataError(
            f"factor extraction ({fm}) failed: the loadings are not finite; "
            "the correlation matrix may be badly conditioned"
        )
    sgn = np.sign(L.sum(axis=0))
    sgn[sgn == 0] = 1.0
    L = L * sgn
    L = np.where(L == 0, 1e-15, L)
    model0 = L @ L.T
    if values is None:
        S = A.copy()
        np.fill_diagonal(S, np.diag(model0))
        values = eigh_desc(S, vectors=False).copy()

    rot_conv = True
    phi = None
    method = rotate
    if nf > 1 and rotate != "none":
        try:
            rr = _rotate(L, method)
        except np.linalg.LinAlgError:
            # psych: "The requested transformaton failed, Promax was used instead"
            warnings.append(f"the {rotate} rotation failed (singular transformation); Promax used instead")
            rr = _rotate(L, "Promax")
        Lr = rr.loadings
        if not rr.orthogonal:
            phi = rr.phi
        rot_conv = rr.converged
        if not rr.converged:
            warnings.append(f"{rotate} rotation did not converge in {rr.iterations} iterations")
    else:
        Lr = L
    signed = np.sign(Lr.sum(axis=0))
    signed[signed == 0] = 1.0
    Lr = Lr * signed
    if phi is not None:
        phi = phi * signed[:, None] * signed[None, :]
    fnames = [f"{_PREFIX[fm]}{j + 1}" for j in range(nf)]
    if nf > 1:
        ev = np.diag(Lr.T @ Lr) if phi is None else np.diag(phi @ Lr.T @ Lr)
        order = np.argsort(-ev, kind="stable")
        Lr = Lr[:, order]
        fnames = [fnames[j] for j in order]
        if phi is not None:
            phi = phi[np.ix_(order, order)]

    st = _fa_stats(A, Lr, phi, n_obs, np_obs, alpha, warnings)

    h2 = np.diag(model0).copy()
    u2 = np.diag(A - model0).copy()
    if h2.max() > 1:
        warnings.append("an ultra-Heywood case was detected (communality > 1); examine the results carefully")
    elif fm != "pa" and np.any(u2 < 0.005 + 1e-6):
        warnings.append("a Heywood case was detected (uniqueness at its lower bound 0.005)")
    if st["dof"] < 0:
        warnings.append(f"negative degrees of freedom ({st['dof']:g}): too many factors for {p} items")
    phi_out = np.eye(nf) if phi is None else phi
    structure = Lr @ phi_out
    vx = np.diag(phi_out @ Lr.T @ Lr)
    vtotal = float(np.sum(h2 + u2))
    rm = st["RMSEA"]
    return FAResult(
        fm=fm,
        rotation=rotate,
        n_factors=nf,
        n_obs=None if n_obs is None else float(n_obs),
        items=names,
        factor_names=tuple(fnames),
        loadings=Lr,
        h2=h2,
        u2=u2,
        phi=phi_out,
        structure=structure,
        ss_loadings=vx,
        proportion_var=vx / vtotal,
        cumulative_var=np.cumsum(vx / vtotal),
        proportion_explained=vx / vx.sum(),
        cumulative_proportion=np.cumsum(vx / vx.sum()),
        e_values=e_values,
        values=values,
        complexity=st["complexity"],
        r2_scores=st["R2"],
        residual=st["residual"],
        chisq=float(st["STATISTIC"]),
        dof=float(st["dof"]),
        pvalue=float(st["PVAL"]),
        rmsea=float(rm[0]),
        rmsea_lower=float(rm[1]),
        rmsea_upper=float(rm[2]),
        rmsea_ci_level=1 - alpha,
        tli=float(st["TLI"]),
        bic=float(st["BIC"]),
        sabic=float(st["SABIC"]),
        rms=st["rms"],
        crms=st["crms"],
        fit=float(st["fit"]),
        fit_off=float(st["fit_off"]),
        objective=st["objective"],
        null_objective=st["null_model"],
        null_chisq=float(st["null_chisq"]),
        null_dof=float(st["null_dof"]),
        emp_chisq=float(st["chi"]),
        emp_pvalue=float(st["EPVAL"]),
        emp_bic=float(st["EBIC"]),
        harmonic_n=float(st["nh"]),
        extraction_iterations=int(info["iterations"]),
        extraction_converged=bool(info["converged"]),
        rotation_converged=bool(rot_conv),
        warnings=tuple(warnings),
    )
