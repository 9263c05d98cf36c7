"""Ordinal CFA by WLSMV, matching lavaan 0.6-14 ``cfa(model, data, ordered=TRUE)``.

lavaan's default for ordered indicators is the three-stage estimator of Muthén
(1984) with a diagonally weighted least-squares (DWLS) fit, robust ("sandwich")
standard errors and the mean-and-variance adjusted (``scaled.shifted``) test:

1. **Thresholds** ``tau_i = qnorm(cumulative proportions)`` of every item, and
   **polychoric correlations** ``rho_ij`` by pairwise ML with the thresholds held
   fixed (:func:`wamkit.stats.polychoric.polychoric_lavaan`).  Their asymptotic
   covariance matrix ``Gamma`` (lavaan's ``NACOV``, ``lavInspect(fit, "gamma")``) is
   built from the casewise scores of the univariate threshold likelihoods and the
   bivariate correlation likelihoods exactly as ``lavaan:::muthen1984``::

       SC = [SC_tau | SC_rho]                  (N x (T + P) casewise scores)
       A11 = blockdiag_i(SC_tau_i' SC_tau_i),  A22 = diag(colSums(SC_rho^2))
       A21[ij, tau_i] = sum_n SC_rho_ij * d log pi_ij / d tau_i
       B^-1 = [[A11^-1, 0], [-A22^-1 A21 A11^-1, A22^-1]]
       Gamma = N * B^-1 (SC'SC) B^-T

2. **DWLS** with ``W = diag(Gamma)^-1`` on ``s = (tau, rho)``; delta
   parameterisation ``Sigma* = Lambda Phi Lambda' + Theta`` with ``diag(Sigma*) = 1``
   (``Theta = I - diag(Lambda Phi Lambda')`` is not free), thresholds free (so they
   equal the sample thresholds).  ``chisq = (N - 1) * F_DWLS = (N - 1) * sum w (s - sigma)^2``
   (lavaan: ``fmin = (N - 1)/(2N) F`` for the WLS family and ``chisq = 2 N fmin``).

3. **Tests** (lavaan ``lav_test_satorra_bentler``): ``Delta = d sigma / d theta``,
   ``E = Delta' W Delta``, ``U = W - W Delta E^-1 Delta' W``; ``a = sqrt(df /
   tr((U Gamma)^2))``, ``shift = df - a tr(U Gamma)``, ``chisq.scaled = a chisq +
   shift``, ``scaling factor = 1/a``.  The baseline (independence) model has the
   thresholds free and all correlations 0.  Robust SEs:
   ``sqrt(diag(E^-1 Delta' W Gamma W Delta E^-1) / (N - 1))`` (``se="robust.sem"``).
   RMSEA uses ``N - 1`` as lavaan does for non-ML estimators (``lav_utils_get_ntotal``).
   ``cfi.robust``/``tli.robust``/``rmsea.robust`` follow ``lav_fit_catml_dwls``
   (Savalei 2021): the ML discrepancy of the polychoric matrix ``R`` at the DWLS
   estimates ``XX3 = N F_ML(R, Sigma*)``, ``c.hat3 = tr(M' V M Gamma_rho) / df`` with
   ``M = I - Delta_rho E^-1 Delta_rho' W_rho`` and ``V`` the normal-theory weight of the
   implied correlations (``V[ij,kl] = s^ik s^jl + s^il s^jk``, ``s`` = ``Sigma*^-1``);
   baseline ``XX3_0 = -N log|R|``, ``c.hat3_0 = tr(Gamma_rho) / P``;
   ``cfi.robust = 1 - max(XX3 - c df, 0) / max(XX3 - c df, XX3_0 - c_0 df_0, 0)``,
   ``rmsea.robust = sqrt(max(XX3/(N-1)/df - c/(N-1), 0))``.
4. **Categorical omega** per factor, ``semTools::compRelSEM(fit)`` with
   ``ord.scale=TRUE`` (Green & Yang 2009; semTools ``omegaCat``).

Stage 2 and the tests are the one-group case of the multi-group engine
:func:`wamkit.stats.wlsmv_groups.fit_wlsmv_model` (thresholds free, intercepts 0, scaling
factors 1); this module holds stage 1 and lavaan's fit-index formulas, which that engine reuses.

Pinned by ``tests/test_wlsmv.py`` against ``tests/reference/wlsmv.json`` (written by
``tests/reference/wlsmv.R``).

Public API: :func:`fit_wlsmv`, :class:`WLSMVResult`, :class:`WLSMVFit`, :func:`ordinal_stage1`,
:class:`OrdinalStage1`, :func:`as_factor_items`, :func:`lavaan_cfi`, :func:`lavaan_tli`,
:func:`lavaan_rmsea`, :func:`lavaan_rmsea_ci`, :func:`lavaan_rmsea_pvalue`, :func:`scaled_shifted_test`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats
from scipy.special import chdtr, chndtr, ndtr, ndtri

from wamkit.errors import DataError, UsageError
from wamkit.results import StatResult, to_jsonable
from wamkit.stats.polychoric import bvn_cdf, polychoric_lavaan

__all__ = [
    "OrdinalStage1",
    "WLSMVFit",
    "WLSMVResult",
    "as_factor_items",
    "fit_wlsmv",
    "lavaan_cfi",
    "lavaan_rmsea",
    "lavaan_rmsea_ci",
    "lavaan_rmsea_pvalue",
    "lavaan_tli",
    "ordinal_stage1",
    "scaled_shifted_test",
]

_BIG = 100.0  # lavaan's stand-in for +-infinite thresholds in the score functions (lav_uvord o1/o2)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


# ----------------------------------------------------------------------------- result types
@dataclass(frozen=True)
class WLSMVFit:
    """Fit measures of a WLSMV model, named as lavaan's ``fitMeasures()`` (``.`` -> ``_``).

    ``chisq`` is the DWLS statistic ``(N - 1) F_DWLS``; ``chisq_scaled`` the
    mean-and-variance adjusted (``scaled.shifted``) statistic with the same ``df``;
    ``scaling_factor`` is lavaan's ``chisq.scaling.factor`` (= 1/a) and ``shift`` its
    ``shift.parameter``.  ``*_scaled`` indices plug the scaled statistics into the
    usual formulas; ``*_robust`` are lavaan 0.6-14's categorical robust indices
    (``lav_fit_catml_dwls``).  ``srmr`` is lavaan's categorical SRMR
    (``srmr_bentler_nomean``: residual correlations, ``p(p+1)/2`` in the denominator).
    NaN when undefined (e.g. ``df == 0``).
    """

    npar: int
    fmin: float
    ntotal: int
    chisq: float
    df: int
    pvalue: float
    chisq_scaled: float
    pvalue_scaled: float
    scaling_factor: float
    shift: float
    trace_ugamma: float
    trace_ugamma2: float
    baseline_chisq: float
    baseline_df: int
    baseline_pvalue: float
    baseline_chisq_scaled: float
    baseline_pvalue_scaled: float
    baseline_scaling_factor: float
    baseline_shift: float
    cfi: float
    tli: float
    cfi_scaled: float
    tli_scaled: float
    cfi_robust: float
    tli_robust: float
    rmsea: float
    rmsea_ci_lower: float
    rmsea_ci_upper: float
    rmsea_pvalue: float
    rmsea_scaled: float
    rmsea_ci_lower_scaled: float
    rmsea_ci_upper_scaled: float
    rmsea_pvalue_scaled: float
    rmsea_robust: float
    rmsea_ci_lower_robust: float
    rmsea_ci_upper_robust: float
    rmsea_pvalue_robust: float
    srmr: float
    catml_chisq: float
    catml_scaling: float
    catml_baseline_chisq: float
    catml_baseline_scaling: float

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable({k: getattr(self, k) for k in self.__dataclass_fields__})


@dataclass(frozen=True)
class WLSMVResult(StatResult):
    """An ordinal CFA fitted by WLSMV (lavaan ``cfa(..., ordered=TRUE)``).

    Attributes
    ----------
    items : the model's items, in order of first appearance in the model.
    factors : ``(factor, items)`` pairs.
    std_lv : True: factor variances fixed to 1; False: first loading of each factor fixed to 1.
    n_obs : complete rows used (listwise deletion over the model's items).
    n_dropped : rows dropped because an item was missing.
    categories : per item, the observed category values (sorted).
    loadings : (p, q) ``Lambda`` (0 where an item does not load).
    loadings_se : (p, q) robust SEs (NaN for fixed or absent loadings).
    std_loadings : (p, q) ``std.all`` loadings, ``lambda * sqrt(phi_ff) / sqrt(Sigma*_ii)``.
    factor_cov : (q, q) ``Phi``; ``factor_cov_se`` its robust SEs (NaN where fixed).
    factor_cor : (q, q) factor correlations (``std.all`` of ``Phi``).
    residual_var : (p,) ``Theta`` = ``1 - diag(Lambda Phi Lambda')`` (delta parameterisation).
    thresholds : per item, the thresholds (= sample thresholds); ``threshold_se`` their robust SEs.
    sample_cor, implied_cor : (p, p) polychoric and model-implied correlations.
    gamma : (T+P, T+P) ``NACOV`` (lavaan ``lavInspect(fit, "gamma")``): thresholds item by
        item, then correlations in lavaan's order (lower triangle by column).
    fit : :class:`WLSMVFit`.
    omega : factor -> categorical omega (``semTools::compRelSEM``).
    converged, iterations : optimiser status.
    warnings : human-readable notes (non-convergence, Heywood cases, ...).
    """

    items: tuple[str, ...]
    factors: tuple[tuple[str, tuple[str, ...]], ...]
    std_lv: bool
    n_obs: int
    n_dropped: int
    categories: tuple[tuple[float, ...], ...]
    loadings: np.ndarray = field(repr=False)
    loadings_se: np.ndarray = field(repr=False)
    std_loadings: np.ndarray = field(repr=False)
    factor_cov: np.ndarray = field(repr=False)
    factor_cov_se: np.ndarray = field(repr=False)
    factor_cor: np.ndarray = field(repr=False)
    residual_var: np.ndarray = field(repr=False)
    thresholds: tuple[np.ndarray, ...] = field(repr=False)
    threshold_se: tuple[np.ndarray, ...] = field(repr=False)
    sample_cor: np.ndarray = field(repr=False)
    implied_cor: np.ndarray = field(repr=False)
    gamma: np.ndarray = field(repr=False)
    fit: WLSMVFit = field(repr=False)
    omega: Mapping[str, float] = field(default_factory=dict)
    converged: bool = True
    iterations: int = 0
    warnings: tuple[str, ...] = ()

    @property
    def factor_names(self) -> tuple[str, ...]:
        return tuple(f for f, _ in self.factors)

    def parameters(self) -> pd.DataFrame:
        """Tidy parameter table like ``lavaan::parameterEstimates(fit, standardized=TRUE)``.

        Columns ``lhs, op, rhs, est, se, z, pvalue, std_all``; rows: loadings
        (``=~``), factor (co)variances (``~~``), residual variances (``~~``, fixed in the
        delta parameterisation, ``se`` NaN) and thresholds (``|``, ``rhs`` = ``t1``, ``t2``...).
        """
        rows = []
        names = self.factor_names
        for f, (fac, its) in enumerate(self.factors):
            for it in its:
                i = self.items.index(it)
                rows.append((fac, "=~", it, self.loadings[i, f], self.loadings_se[i, f], self.std_loadings[i, f]))
        for it_i, it in enumerate(self.items):
            rows.append((it, "~~", it, self.residual_var[it_i], np.nan, self.residual_var[it_i]))
        q = len(names)
        for a in range(q):
            for b in range(a, q):
                rows.append(
                    (names[a], "~~", names[b], self.factor_cov[a, b], self.factor_cov_se[a, b], self.factor_cor[a, b])
                )
        for it_i, it in enumerate(self.items):
            for c, (t, s) in enumerate(zip(self.thresholds[it_i], self.threshold_se[it_i], strict=True)):
                rows.append((it, "|", f"t{c + 1}", t, s, t))
        df = pd.DataFrame(rows, columns=["lhs", "op", "rhs", "est", "se", "std_all"])
        with np.errstate(divide="ignore", invalid="ignore"):
            df["z"] = df["est"] / df["se"]
        df["pvalue"] = 2.0 * stats.norm.sf(np.abs(df["z"]))
        return df[["lhs", "op", "rhs", "est", "se", "z", "pvalue", "std_all"]]

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """``parameters`` (the main table, :meth:`parameters`), ``omega`` (``factor, omega``) and ``summary``
        (one row: ``n_obs``, ``n_dropped``, the fit measures, ``converged``, ``iterations``)."""
        summary = {
            "n_obs": self.n_obs,
            "n_dropped": self.n_dropped,
            **self.fit.to_dict(),
            "converged": self.converged,
            "iterations": self.iterations,
        }
        return {
            "parameters": self.parameters(),
            "omega": pd.DataFrame({"factor": list(self.omega), "omega": list(self.omega.values())}),
            "summary": pd.DataFrame([summary]),
        }

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(
            {
                "items": self.items,
                "factors": {f: list(its) for f, its in self.factors},
                "std_lv": self.std_lv,
                "n_obs": self.n_obs,
                "n_dropped": self.n_dropped,
                "categories": self.categories,
                "parameters": self.parameters(),
                "factor_cor": self.factor_cor,
                "sample_cor": self.sample_cor,
                "implied_cor": self.implied_cor,
                "fit": self.fit,
                "omega": dict(self.omega),
                "converged": self.converged,
                "iterations": self.iterations,
                "warnings": self.warnings,
            }
        )


# ----------------------------------------------------------------------------- input handling
def as_factor_items(factors: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Accept ``{factor: [items]}``, a :class:`MeasurementModel` or lavaan ``=~`` syntax."""
    if isinstance(factors, str):
        from wamkit.stats.model_syntax import parse_model

        factors = parse_model(factors)
    if hasattr(factors, "factors") and not isinstance(factors, Mapping):
        factors = dict(factors.factors)
    if not isinstance(factors, Mapping) or not factors:
        raise UsageError("factors must be a non-empty mapping factor -> items, a MeasurementModel or =~ syntax")
    out = []
    for fac, its in factors.items():
        its = tuple(str(i) for i in its)
        if not its:
            raise UsageError(f"factor {fac!r} has no items")
        if len(set(its)) != len(its):
            raise UsageError(f"factor {fac!r} lists an item twice")
        out.append((str(fac), its))
    both = {f for f, _ in out} & {i for _, its in out for i in its}
    if both:
        raise UsageError(f"{min(both)!r} is used both as a factor and as an item")
    return tuple(out)


def _data_block(X: Any, items: Sequence[str] | None, model_items: list[str]) -> np.ndarray:
    from wamkit.stats.correlation import as_float_matrix

    is_frame = hasattr(X, "columns") and hasattr(X, "to_numpy")
    if not is_frame and items is None:
        raise UsageError("item names are required with an array")
    names = [str(c) for c in X.columns] if items is None else [str(i) for i in items]
    cols = [str(c) for c in X.columns] if is_frame else names
    missing = [i for i in model_items if i not in names or i not in cols]
    if missing:
        raise UsageError(f"unknown item(s) in the model: {', '.join(missing)}")
    if is_frame:
        return as_float_matrix(X, model_items)[0]
    arr, names = as_float_matrix(X, names)
    return arr[:, [names.index(i) for i in model_items]]


# ----------------------------------------------------------------------------- stage 1
@dataclass
class OrdinalStage1:
    """Stage 1 of the WLSMV estimator for one group (lavaan's sample statistics of ordered data).

    ``codes`` are 0-based category codes, ``th_list``/``th_cols`` the thresholds per item and their
    positions in the statistics vector ``s = (thresholds, correlations)``, ``R`` the polychoric
    correlations (pairs ``iu < ju`` in lavaan's order), ``gamma`` lavaan's ``NACOV`` of ``s``.
    """

    n: int
    codes: np.ndarray  # (n, p) 0-based category codes per item
    ncat: np.ndarray  # (p,) categories per item
    th_ext: np.ndarray  # (p, K+1): [-BIG, tau_1..tau_{K_i-1}, BIG, BIG...]
    th_list: list[np.ndarray]  # per item thresholds
    th_cols: list[np.ndarray]  # per item: column indices of its thresholds in s
    R: np.ndarray  # (p, p) polychoric correlations
    iu: np.ndarray
    ju: np.ndarray
    gamma: np.ndarray  # (T+P, T+P) NACOV
    T: int
    P: int
    n_bad_cells: int = 0


def _crossprod(X: np.ndarray, chunk: int = 512) -> np.ndarray:
    """X'X accumulated over row blocks (one large BLAS call can stall on a busy machine)."""
    out = np.zeros((X.shape[1], X.shape[1]))
    for s in range(0, X.shape[0], chunk):
        B = X[s : s + chunk]
        out += B.T @ B
    return out


def _phi2(x: np.ndarray, y: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Standard bivariate normal density with correlation r (broadcast)."""
    om = 1.0 - r * r
    with np.errstate(over="ignore", under="ignore"):
        return np.exp(-(x * x - 2.0 * r * x * y + y * y) / (2.0 * om)) / (2.0 * math.pi * np.sqrt(om))


def ordinal_stage1(arr: np.ndarray, items: list[str]) -> tuple[OrdinalStage1, list[tuple[float, ...]]]:
    """Thresholds, polychoric correlations and their asymptotic covariance (``NACOV``) of one group.

    ``arr`` is an (n, p) block of complete integer-coded responses.  Matches lavaan's
    ``lavInspect(fit, "sampstat")`` and ``lavInspect(fit, "gamma")`` (see the module docstring).
    Returns the stage-1 statistics and, per item, its observed category values.
    """
    n, p = arr.shape
    cats: list[tuple[float, ...]] = []
    codes = np.zeros((n, p), dtype=np.int64)
    bad = []
    for j in range(p):
        lev, inv = np.unique(arr[:, j], return_inverse=True)
        if lev.size < 2:
            bad.append(items[j])
        cats.append(tuple(float(v) for v in lev))
        codes[:, j] = inv
    if bad:
        raise DataError(f"item(s) without variance in the complete cases: {', '.join(bad)}")
    ncat = np.array([len(c) for c in cats])
    K = int(ncat.max())
    freq = np.stack([np.bincount(codes[:, j], minlength=K) for j in range(p)]).astype(float)  # (p, K)
    cum = np.cumsum(freq, axis=1) / n
    th_ext = np.full((p, K + 1), _BIG)
    th_ext[:, 0] = -_BIG
    th_list, th_cols = [], []
    col = 0
    for j in range(p):
        t = ndtri(cum[j, : ncat[j] - 1])
        th_ext[j, 1 : ncat[j]] = t
        th_list.append(t)
        th_cols.append(np.arange(col, col + t.size))
        col += t.size
    T = col

    # polychoric correlations (lavaan two-step ML, thresholds fixed)
    pc = polychoric_lavaan(codes.astype(float), items=items, missing="listwise", max_cat=max(8, K))
    R = np.array(pc.rho, dtype=float)
    iu, ju = np.triu_indices(p, 1)
    m = iu.size
    rho = R[iu, ju]

    # ---- univariate threshold scores per (item, category): U[j, k, c]
    dn = np.exp(-0.5 * th_ext * th_ext) * _INV_SQRT_2PI  # phi(tau), 0 at +-BIG
    Pk = ndtr(th_ext[:, 1:]) - ndtr(th_ext[:, :-1])  # (p, K)
    kk = np.arange(K)[:, None]
    cc = np.arange(K - 1)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        U = ((kk == cc)[None] * dn[:, 1:, None] - (kk - 1 == cc)[None] * dn[:, :-1, None]) / Pk[:, :, None]
    U = np.where(np.isfinite(U), U, 0.0)  # (p, K, K-1)

    # ---- bivariate quantities per pair and cell
    t1 = th_ext[iu]  # (m, K+1), item iu
    t2 = th_ext[ju]
    r3 = rho[:, None, None]
    inf1 = np.where(t1 >= _BIG, np.inf, np.where(t1 <= -_BIG, -np.inf, t1))
    inf2 = np.where(t2 >= _BIG, np.inf, np.where(t2 <= -_BIG, -np.inf, t2))
    F = bvn_cdf(inf1[:, :, None], inf2[:, None, :], r3)  # (m, K+1, K+1)
    pi = F[:, 1:, 1:] - F[:, :-1, 1:] - F[:, 1:, :-1] + F[:, :-1, :-1]  # (m, K, K)
    D = _phi2(t1[:, :, None], t2[:, None, :], r3)
    dpi = D[:, 1:, 1:] - D[:, :-1, 1:] - D[:, 1:, :-1] + D[:, :-1, :-1]
    Rr = np.sqrt(1.0 - rho * rho)[:, None, None]
    # d pi_kl / d tau1 (upper, lower boundary of category k of item 1)
    up1, lo1 = t1[:, 1:, None], t1[:, :-1, None]  # (m, K, 1)
    up2, lo2 = t2[:, None, 1:], t2[:, None, :-1]  # (m, 1, K)
    d_up1, d_lo1 = dn[iu][:, 1:, None], dn[iu][:, :-1, None]
    d_up2, d_lo2 = dn[ju][:, None, 1:], dn[ju][:, None, :-1]
    Z1a = d_up1 * (ndtr((up2 - r3 * up1) / Rr) - ndtr((lo2 - r3 * up1) / Rr))  # (m, K, K)
    Z2a = d_lo1 * (ndtr((up2 - r3 * lo1) / Rr) - ndtr((lo2 - r3 * lo1) / Rr))
    Z1b = d_up2 * (ndtr((up1 - r3 * up2) / Rr) - ndtr((lo1 - r3 * up2) / Rr))
    Z2b = d_lo2 * (ndtr((up1 - r3 * lo2) / Rr) - ndtr((lo1 - r3 * lo2) / Rr))

    cell = (np.arange(m) * K * K)[None, :] + codes[:, iu] * K + codes[:, ju]  # (n, m)
    tabs = np.bincount(cell.ravel(), minlength=m * K * K).reshape(m, K, K).astype(float)
    # lavaan sets the scores of cells with pi <= sqrt(eps) to NA and its cross-products drop them
    usable = (tabs > 0) & (pi > math.sqrt(np.finfo(float).eps))
    n_bad = int(((tabs > 0) & ~usable).sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        s_rho = np.where(usable, dpi / pi, 0.0)  # (m, K, K)
        ipi = np.where(usable, 1.0 / pi, 0.0)
    # A21 blocks: sum_kl n_kl s_rho(k,l) dth(k,l,c)
    w = tabs * s_rho * ipi  # (m, K, K)
    # item 1 (iu): dth1[k,l,c] = (1{c=k} Z1a - 1{c=k-1} Z2a) / pi
    a1 = (w * Z1a).sum(axis=2)  # (m, K): coefficient for c = k
    b1 = (w * Z2a).sum(axis=2)  # for c = k-1
    A21_1 = a1[:, : K - 1] - b1[:, 1:]  # (m, K-1)
    a2 = (w * Z1b).sum(axis=1)
    b2 = (w * Z2b).sum(axis=1)
    A21_2 = a2[:, : K - 1] - b2[:, 1:]

    # casewise score matrix SC = [SC_tau | SC_rho]
    SC = np.empty((n, T + m))
    for j in range(p):
        SC[:, th_cols[j]] = U[j, codes[:, j], : ncat[j] - 1]
    if m:
        SC[:, T:] = s_rho[np.arange(m)[None, :], codes[:, iu], codes[:, ju]]
    INNER = _crossprod(SC)
    A11inv = np.zeros((T, T))
    for j in range(p):
        cj = th_cols[j]
        blk = INNER[np.ix_(cj, cj)]
        try:
            A11inv[np.ix_(cj, cj)] = np.linalg.inv(blk)
        except np.linalg.LinAlgError:
            raise DataError(f"item {items[j]}: threshold information is singular") from None
    A21 = np.zeros((m, T))
    for t in range(m):
        A21[t, th_cols[iu[t]]] = A21_1[t, : ncat[iu[t]] - 1]
        A21[t, th_cols[ju[t]]] = A21_2[t, : ncat[ju[t]] - 1]
    a22 = np.einsum("ij,ij->j", SC[:, T:], SC[:, T:])
    if np.any(a22 == 0):
        raise DataError("a polychoric correlation has zero information; the weight matrix cannot be built")
    Binv = np.zeros((T + m, T + m))
    Binv[:T, :T] = A11inv
    Binv[T:, :T] = -(A21 / a22[:, None]) @ A11inv
    Binv[T:, T:] = np.diag(1.0 / a22)
    gamma = n * (Binv @ INNER @ Binv.T)
    gamma = 0.5 * (gamma + gamma.T)
    st = OrdinalStage1(
        n=n,
        codes=codes,
        ncat=ncat,
        th_ext=th_ext,
        th_list=th_list,
        th_cols=th_cols,
        R=R,
        iu=iu,
        ju=ju,
        gamma=gamma,
        T=T,
        P=m,
        n_bad_cells=n_bad,
    )
    return st, cats


# ----------------------------------------------------------------------------- fit measures
def lavaan_cfi(X2: float, df: float, X2n: float, dfn: float, c: float | None = None, cn: float | None = None) -> float:
    """lavaan ``lav_fit_cfi`` (with ``c``/``cn``: the robust version of Savalei)."""
    if not all(np.isfinite(v) for v in (X2, df, X2n, dfn)) or (
        c is not None and cn is not None and (np.isnan(c) or np.isnan(cn))
    ):
        return float("nan")
    if c is not None and cn is not None and df > 0 and c != 1 and cn != 1:
        t1 = max(X2 - c * df, 0.0)
        t2 = max(X2 - c * df, X2n - cn * dfn, 0.0)
    else:
        t1 = max(X2 - df, 0.0)
        t2 = max(X2 - df, X2n - dfn, 0.0)
    if math.isclose(t1, 0.0, abs_tol=1.5e-8) and math.isclose(t2, 0.0, abs_tol=1.5e-8):
        return 1.0
    return 1.0 - t1 / t2


def lavaan_tli(X2: float, df: float, X2n: float, dfn: float, c: float | None = None, cn: float | None = None) -> float:
    """lavaan ``lav_fit_tli``."""
    if not all(np.isfinite(v) for v in (X2, df, X2n, dfn)) or (
        c is not None and cn is not None and (np.isnan(c) or np.isnan(cn))
    ):
        return float("nan")
    if c is not None and cn is not None and df > 0 and c != 1 and cn != 1:
        t1 = (X2 - c * df) * dfn
        t2 = (X2n - cn * dfn) * df
    else:
        t1 = (X2 - df) * dfn
        t2 = (X2n - dfn) * df
    if df > 0 and abs(t2) > 0:
        return 1.0 - t1 / t2
    return 1.0


def lavaan_rmsea(X2: float, df: float, N: float, c: float = 1.0, G: int = 1) -> float:
    """lavaan ``lav_fit_rmsea``: ``sqrt(max(X2/N/df - c/N, 0)) * sqrt(G)``, 0 when ``df == 0``."""
    if not np.isfinite(X2) or not np.isfinite(df):
        return float("nan")
    if df <= 0:
        return 0.0
    if np.isnan(c):
        return float("nan")
    return math.sqrt(max(X2 / N / df - c / N, 0.0)) * math.sqrt(G)


def lavaan_rmsea_ci(
    X2: float, df: float, N: float, c: float = 1.0, G: int = 1, level: float = 0.90
) -> tuple[float, float]:
    """lavaan ``lav_fit_rmsea_ci``: noncentrality bounds by root finding (exact roots; R uses uniroot)."""
    if not np.isfinite(X2) or not np.isfinite(df):
        return float("nan"), float("nan")
    if df < 1:
        return 0.0, 0.0
    if np.isnan(c):
        return float("nan"), float("nan")
    up, lo = 1 - (1 - level) / 2, (1 - level) / 2

    def cdf(lam: float) -> float:  # scipy.special's ufuncs: stats.ncx2.cdf's values, without its overhead
        return float(chndtr(X2, df, lam) if lam > 0 else chdtr(df, X2))

    if cdf(0.0) - up < 0:
        lower = 0.0
    else:
        lam_l = optimize.brentq(lambda L: cdf(L) - up, 0.0, X2, xtol=1e-12, rtol=1e-14)
        lower = math.sqrt(c * lam_l / (N * df)) * math.sqrt(G)
    NR = max(N, 4 * X2)
    if cdf(NR) - lo > 0 or cdf(0.0) - lo < 0:
        upper = 0.0
    else:
        lam_u = optimize.brentq(lambda L: cdf(L) - lo, 0.0, NR, xtol=1e-12, rtol=1e-14)
        upper = math.sqrt(c * lam_u / (N * df)) * math.sqrt(G)
    return lower, upper


def lavaan_rmsea_pvalue(X2: float, df: float, N: float, c: float = 1.0, G: int = 1, h0: float = 0.05) -> float:
    """lavaan ``lav_fit_rmsea_closefit``: ``P(chi2(df, ncp = N df h0^2 / (c G)) > X2)``."""
    if not (np.isfinite(X2) and np.isfinite(c) and np.isfinite(df)) or df <= 0:
        return float("nan")
    ncp = N * df / c * h0 * h0 / G
    return float(stats.ncx2.sf(X2, df, ncp))


def scaled_shifted_test(T: float, df: float, UG_trace: float, UG2_trace: float) -> tuple[float, float, float]:
    """lavaan's ``scaled.shifted`` test: ``(T a + shift, 1/a, shift)`` with ``a = sqrt(df / tr(UG^2))``,
    ``shift = df - a tr(UG)``; with ``df == 0`` lavaan reports the standard statistic."""
    if df <= 0:
        return T, float("nan"), float("nan")
    if not np.isfinite(UG2_trace) or UG2_trace <= 0:
        return float("nan"), float("nan"), float("nan")
    a = math.sqrt(df / UG2_trace)
    shift = df - a * UG_trace
    return T * a + shift, 1.0 / a, shift


def _omega_cat(common: np.ndarray, denom: np.ndarray, th: list[np.ndarray]) -> float:
    """semTools ``omegaCat`` (Green & Yang 2009) with scales 1 (delta parameterisation)."""
    k = len(th)
    C = max(t.size for t in th)
    T = np.full((k, C), np.inf)  # padded thresholds: Phi2(inf, t) - Phi(inf) Phi(t) = 0 contributes nothing
    for j, t in enumerate(th):
        T[j, : t.size] = t
    valid = np.isfinite(T)
    Tf = np.where(valid, T, 0.0)
    a = Tf[:, None, :, None]
    b = Tf[None, :, None, :]
    vm = valid[:, None, :, None] & valid[None, :, None, :]
    p1 = np.where(valid, ndtr(Tf), 0.0).sum(axis=1)  # sum_c Phi(t_jc)
    out = []
    for M in (common, denom):
        r = np.broadcast_to(M[:, :, None, None], vm.shape)
        P2 = np.where(vm, bvn_cdf(np.broadcast_to(a, vm.shape), np.broadcast_to(b, vm.shape), r), 0.0)
        out.append(float((P2.sum(axis=(2, 3)) - np.outer(p1, p1)).sum()))
    return out[0] / out[1]


# ----------------------------------------------------------------------------- main entry
def fit_wlsmv(
    X: Any,
    items: Sequence[str] | None,
    factors: Mapping[str, Sequence[str]] | Any,
    *,
    std_lv: bool = False,
) -> WLSMVResult:
    """Ordinal CFA by WLSMV; matches lavaan 0.6-14 ``cfa(model, data, ordered=TRUE)``.

    Delta parameterisation, ``estimator="WLSMV"`` (DWLS estimates, ``se="robust.sem"``,
    ``test="scaled.shifted"``), ``missing="listwise"`` over the model's items.
    See the module docstring for the formulas.

    Parameters
    ----------
    X : (n, k) array of integer category codes (NaN = missing), or a DataFrame.
    items : column names of ``X`` (required for an array; for a DataFrame, ``None`` means its columns).
    factors : ``{factor: [items]}``, a :class:`wamkit.stats.model_syntax.MeasurementModel`, or
        lavaan ``=~`` syntax text.  The first item of a factor is its marker.
    std_lv : fix factor variances to 1 and free all loadings (lavaan ``std.lv=TRUE``).

    Returns
    -------
    WLSMVResult
        Estimates, robust SEs, ``std.all`` loadings, fit measures (``fit``: chisq,
        chisq.scaled, cfi.scaled, tli.scaled, rmsea.scaled, cfi.robust, ..., srmr) and
        categorical omega per factor (``semTools::compRelSEM(fit)``).

    Raises
    ------
    UsageError
        Unknown items, an under-identified model (negative df).
    DataError
        Too few complete rows, an item without variance, a singular information matrix.

    Notes
    -----
    R equivalent: ``lavaan::cfa(model, data, ordered=TRUE, std.lv=std_lv)``,
    ``fitMeasures(fit)``, ``parameterEstimates(fit, standardized=TRUE)``,
    ``semTools::compRelSEM(fit)``.  Categories are each item's observed values in the
    complete cases (lavaan takes factor levels before deleting rows; the two agree
    unless a category occurs only in incomplete rows).
    """
    fac = as_factor_items(factors)
    model_items: list[str] = []
    for _, its in fac:
        for it in its:
            if it not in model_items:
                model_items.append(it)
    arr = _data_block(X, items, model_items)
    obs = arr[~np.isnan(arr)]
    if np.isinf(obs).any():
        raise DataError("item data contain infinite values")
    if obs.size and not np.all(obs == np.round(obs)):
        raise DataError("ordinal items need integer category codes")
    keep = ~np.isnan(arr).any(axis=1)
    n_all = arr.shape[0]
    arr = arr[keep]
    n, p = arr.shape
    if p < 2:
        raise UsageError("an ordinal CFA needs at least 2 items")
    if n < 10:
        raise DataError(f"too few complete rows for an ordinal CFA: {n}")
    warn: list[str] = []

    st, cats = ordinal_stage1(arr, model_items)
    if st.n_bad_cells:
        warn.append(
            f"{st.n_bad_cells} observed cell(s) of the bivariate tables have (near) zero model "
            "probability; their scores were dropped from the weight matrix (as lavaan does)"
        )
    from wamkit.stats.wlsmv_groups import OrdinalData, OrdinalModel, OrdinalParam, fit_wlsmv_model

    params: list[OrdinalParam] = []
    for name, its in fac:
        for k, it in enumerate(its):
            marker = k == 0 and not std_lv
            params.append(OrdinalParam(0, "=~", name, it, not marker, 1.0 if marker else 0.0))
    for b, (fb, _) in enumerate(fac):
        for a in range(b + 1):
            params.append(OrdinalParam(0, "~~", fac[a][0], fb, not (std_lv and a == b), 1.0))
    for i, it in enumerate(model_items):
        params.extend(OrdinalParam(0, "|", it, f"t{k + 1}", True) for k in range(st.th_list[i].size))
    P = st.P
    npar_struct = sum(prm.free for prm in params if prm.op != "|")
    if P - npar_struct < 0:
        raise UsageError(
            f"the model is not identified: {npar_struct} free structural parameters for "
            f"{P} polychoric correlations (df = {P - npar_struct})"
        )
    data = OrdinalData(
        items=tuple(model_items),
        group_labels=("1",),
        n_obs=(int(n),),
        n_dropped=int(n_all - n),
        categories=(tuple(cats),),
        stage1=(st,),
    )
    model = OrdinalModel(items=tuple(model_items), factors=fac, n_groups=1, params=tuple(params))
    res = fit_wlsmv_model(data, model)
    warn.extend(w.replace(" in group '1'", "") for w in res.warnings)
    fitm = res.fit
    pt = res.parameters()
    q = len(fac)
    fidx = {name: f for f, (name, _) in enumerate(fac)}
    iidx = {it: i for i, it in enumerate(model_items)}
    lam = np.zeros((p, q))
    lam_se = np.full((p, q), np.nan)
    phi = np.zeros((q, q))
    phi_se = np.full((q, q), np.nan)
    th_se_l = [np.zeros(t.size) for t in st.th_list]  # the threshold estimates are the sample thresholds
    cols = [pt[c].tolist() for c in ("op", "lhs", "rhs", "est", "se")]
    for op, lhs, rhs, est, se in zip(*cols, strict=True):
        if op == "=~":
            lam[iidx[rhs], fidx[lhs]] = est
            lam_se[iidx[rhs], fidx[lhs]] = se
        elif op == "~~" and lhs in fidx:
            a, b = fidx[lhs], fidx[rhs]
            phi[a, b] = phi[b, a] = est
            phi_se[a, b] = phi_se[b, a] = se
        elif op == "|":
            th_se_l[iidx[lhs]][int(rhs[1:]) - 1] = se
    th_se = tuple(th_se_l)
    G = st.gamma
    Sig = res.implied()[0][1]
    resvar = 1.0 - np.einsum("if,fh,ih->i", lam, phi, lam)
    sd_f = np.sqrt(np.clip(np.diag(phi), 0.0, None))
    std_lam = lam * sd_f[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        fcor = phi / np.outer(sd_f, sd_f)
    if q and np.linalg.eigvalsh(phi).min() < 0:
        warn.append("the factor covariance matrix is not positive definite")
    converged, iters = res.converged, res.iterations

    omega = {}
    for f, (name, its) in enumerate(fac):
        idx = [model_items.index(i) for i in its]
        if len(idx) < 2:
            continue
        Lf = lam[idx, f]
        common = np.outer(Lf, Lf) * phi[f, f]
        omega[name] = _omega_cat(common, st.R[np.ix_(idx, idx)], [st.th_list[i] for i in idx])

    return WLSMVResult(
        items=tuple(model_items),
        factors=fac,
        std_lv=bool(std_lv),
        n_obs=int(n),
        n_dropped=int(n_all - n),
        categories=tuple(cats),
        loadings=lam,
        loadings_se=lam_se,
        std_loadings=std_lam,
        factor_cov=phi,
        factor_cov_se=phi_se,
        factor_cor=fcor,
        residual_var=resvar,
        thresholds=tuple(st.th_list),
        threshold_se=th_se,
        sample_cor=st.R,
        implied_cor=Sig,
        gamma=G,
        fit=fitm,
        omega=omega,
        converged=bool(converged),
        iterations=int(iters),
        warnings=tuple(warn),
    )
