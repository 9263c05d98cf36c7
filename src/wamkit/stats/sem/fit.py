"""Global fit measures with lavaan's ``fitMeasures()`` definitions (lavaan 0.6-14, ``mimic = "lavaan"``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from scipy import optimize, stats

from wamkit.results import to_jsonable
from wamkit.stats.linalg import spd_inv
from wamkit.stats.sem.model import GroupMatrices
from wamkit.stats.sem.samplestats import LOG2PI, SampleStats, padded_inverse

__all__ = ["FitMeasures", "compute_fit_measures", "rmsea_ci"]


@dataclass(frozen=True)
class FitMeasures:
    """``lavaan::fitMeasures(fit)`` (standard ML test), lavaan names with ``.`` → ``_``.

    ``chisq = N·F_ML`` (or ``2(logl_h1 − logl)`` under FIML); ``baseline_*`` is the
    independence model (exogenous covariates' block kept, ``fixed.x``); ``tli`` = ``nnfi``;
    ``rmsea`` uses N and is multiplied by √G for G groups; ``rmsea_pvalue`` tests close fit
    (H0 RMSEA ≤ .05), ``rmsea_notclose_pvalue`` not-close fit (H0 RMSEA ≥ .08);
    ``srmr`` = ``srmr_bentler`` (standardised by the observed SDs, including mean residuals
    when the model has a mean structure), ``crmr`` Bollen's correlation residuals, ``rmr``
    raw residuals, each averaged over groups with weights n_g/N; ``gfi``/``agfi``/``pgfi``
    with the ML weight matrix at the implied moments; ``fmin`` = chisq/(2N);
    ``bic2`` = sample-size adjusted BIC.  FIML fits use the EM (h1) moments for the
    residual-based measures, as lavaan.
    """

    npar: int
    fmin: float
    chisq: float
    df: int
    pvalue: float
    baseline_chisq: float
    baseline_df: int
    baseline_pvalue: float
    cfi: float
    tli: float
    nnfi: float
    rfi: float
    nfi: float
    pnfi: float
    ifi: float
    rni: float
    logl: float
    unrestricted_logl: float
    aic: float
    bic: float
    ntotal: int
    bic2: float
    rmsea: float
    rmsea_ci_lower: float
    rmsea_ci_upper: float
    rmsea_pvalue: float
    rmsea_notclose_pvalue: float
    rmr: float
    rmr_nomean: float
    srmr: float
    srmr_bentler: float
    srmr_bentler_nomean: float
    crmr: float
    crmr_nomean: float
    cn_05: float
    cn_01: float
    gfi: float
    agfi: float
    pgfi: float
    mfi: float
    ecvi: float

    def to_dict(self) -> dict[str, Any]:
        return {f.name: to_jsonable(getattr(self, f.name)) for f in fields(self)}

    def lavaan_names(self) -> dict[str, Any]:
        """The measures keyed by lavaan's names (``rmsea.ci.lower``, ``srmr_bentler``, ...)."""
        out = {}
        for f in fields(self):
            key = f.name
            if not key.startswith(("srmr_", "rmr_", "crmr_", "cn_")):
                key = key.replace("_", ".")
            out[key] = getattr(self, f.name)
        return out


def rmsea_ci(X2: float, df: int, N: float, G: int, level: float = 0.90) -> tuple[float, float]:
    """lavaan ``lav_fit_rmsea_ci``: non-centrality bounds by root finding on pchisq(X2, df, λ)."""
    if not np.isfinite(X2):
        return float("nan"), float("nan")
    if df < 1:
        return 0.0, 0.0
    upper_p = 1 - (1 - level) / 2
    lower_p = (1 - level) / 2

    def cdf(lam: float) -> float:
        return float(stats.chi2.cdf(X2, df)) if lam <= 0 else float(stats.ncx2.cdf(X2, df, lam))

    if cdf(0.0) - upper_p < 0:
        lo = 0.0
    else:
        lam_l = optimize.brentq(lambda v: cdf(v) - upper_p, 0.0, X2, xtol=1e-12, rtol=1e-14)
        lo = math.sqrt(lam_l / (N * df)) * math.sqrt(G)
    n_rmsea = max(N, 4 * X2)
    if cdf(n_rmsea) - lower_p > 0 or cdf(0.0) - lower_p < 0:
        hi = 0.0
    else:
        lam_u = optimize.brentq(lambda v: cdf(v) - lower_p, 0.0, n_rmsea, xtol=1e-12, rtol=1e-14)
        hi = math.sqrt(lam_u / (N * df)) * math.sqrt(G)
    return lo, hi


def _rescale(C: np.ndarray, var: np.ndarray) -> np.ndarray:
    """lavaan ``lav_residuals_rescale`` for a covariance matrix (elements below 1e-5 in size are left unscaled)."""
    v = np.where(np.isfinite(var) & (var >= np.finfo(float).eps), var, np.nan)
    scale = 1.0 / np.sqrt(np.outer(v, v))
    scale = np.where(np.abs(C) < 1e-5, 1.0, scale)
    return C * scale


def _rescale_mean(m: np.ndarray, var: np.ndarray) -> np.ndarray:
    v = np.where(np.isfinite(var) & (var >= np.finfo(float).eps), var, np.nan)
    return m * np.where(np.abs(m) < 1e-5, 1.0, 1.0 / np.sqrt(v))


def _rms(stats_: np.ndarray, pstar: int) -> float:
    return math.sqrt(float(np.sum(stats_ * stats_)) / pstar) if stats_.size and pstar > 0 else 0.0


def compute_fit_measures(stats_: SampleStats, implied: list[GroupMatrices], F: float, npar: int, *,
                         meanstructure: bool, x_idx: np.ndarray) -> FitMeasures:  # fmt: skip
    """All fit measures from the sample statistics, the implied moments and the minimised F (see :class:`FitMeasures`)."""
    G = len(stats_.groups)
    N = float(stats_.ntotal)
    p = len(stats_.ov_names)
    px = len(x_idx)
    py = p - px
    ms = 1 if meanstructure else 0
    ndat = G * (p * (p + 1) // 2 + ms * p) - G * (px * (px + 1) // 2 + ms * px)
    df = int(ndat - npar)
    logl_h1 = float(sum(g.logl_h1 for g in stats_.groups))
    chisq = max(N * F, 0.0) if stats_.fiml else N * F
    logl = logl_h1 - 0.5 * N * F
    # with fixed.x lavaan reports log-likelihoods conditional on the covariates
    logl_x = 0.0
    if px:
        for g in stats_.groups:
            Sx = g.cov[np.ix_(x_idx, x_idx)]
            logl_x += float(-0.5 * g.n * (px * LOG2PI + np.linalg.slogdet(Sx)[1] + px))
    # baseline (independence) model; exogenous covariates keep their block
    y_idx = np.array([k for k in range(p) if k not in set(x_idx.tolist())], dtype=np.int64)
    base_logl = 0.0
    for g in stats_.groups:
        if stats_.fiml:
            vn, vv = g.var_n[y_idx], g.var_var[y_idx]
            base_logl += float(np.sum(-0.5 * vn * (LOG2PI + np.log(vv) + 1.0)))
        else:
            base_logl += float(-0.5 * g.n * (py * LOG2PI + np.log(np.diag(g.cov)[y_idx]).sum() + py))
        if px:
            if stats_.fiml:
                # covariates are complete (rows missing a covariate are dropped under fixed.x)
                Sx = _x_cov(g, x_idx)
            else:
                Sx = g.cov[np.ix_(x_idx, x_idx)]
            base_logl += float(-0.5 * g.n * (px * LOG2PI + np.linalg.slogdet(Sx)[1] + px))
    base_chisq = 2.0 * (logl_h1 - base_logl)
    base_df = int(G * (p * (p + 1) // 2 - px * (px + 1) // 2 - py))
    pvalue = float(stats.chi2.sf(chisq, df)) if df > 0 else float("nan")
    base_p = float(stats.chi2.sf(base_chisq, base_df)) if base_df > 0 else float("nan")
    # incremental indices (lav_fit_*)
    t1 = max(chisq - df, 0.0)
    t2 = max(chisq - df, base_chisq - base_df, 0.0)
    cfi = 1.0 if (math.isclose(t1, 0.0, abs_tol=1.5e-8) and math.isclose(t2, 0.0, abs_tol=1.5e-8)) else 1 - t1 / t2
    tt1 = (chisq - df) * base_df
    tt2 = (base_chisq - base_df) * df
    tli = 1 - tt1 / tt2 if (df > 0 and abs(tt2) > 0) else 1.0
    if df > base_df:
        rfi = float("nan")
    elif df > 0 and base_df > 0:
        a1 = base_chisq / base_df - chisq / df
        a2 = base_chisq / base_df
        rfi = 1.0 if (a1 < 0 or a2 < 0) else a1 / a2
    else:
        rfi = 1.0
    if df > base_df or math.isclose(base_chisq, 0.0, abs_tol=1.5e-8):
        nfi = float("nan")
    elif df > 0:
        nfi = (base_chisq - chisq) / base_chisq
    else:
        nfi = 1.0
    pnfi = (df / base_df) * ((base_chisq - chisq) / base_chisq) if (base_df > 0 and base_chisq > 0) else float("nan")
    i2 = base_chisq - df
    if i2 < 0:
        ifi = 1.0
    elif math.isclose(i2, 0.0, abs_tol=1.5e-8):
        ifi = float("nan")
    else:
        ifi = (base_chisq - chisq) / i2
    r2 = base_chisq - base_df
    rni = float("nan") if math.isclose(r2, 0.0, abs_tol=1.5e-8) else 1 - (chisq - df) / r2
    # information criteria
    logl -= logl_x
    logl_h1_rep = logl_h1 - logl_x
    aic = -2 * logl + 2 * npar
    bic = -2 * logl + npar * math.log(N)
    bic2 = -2 * logl + npar * math.log((N + 2) / 24)
    # RMSEA
    rmsea = math.sqrt(max((chisq / N) / df - 1.0 / N, 0.0)) * math.sqrt(G) if df > 0 else 0.0
    lo, hi = rmsea_ci(chisq, df, N, G)
    rmsea_p = float(stats.ncx2.sf(chisq, df, N * df * 0.05**2 / G)) if df > 0 else float("nan")
    rmsea_nc = float(stats.ncx2.cdf(chisq, df, N * df * 0.08**2 / G)) if df > 0 else float("nan")
    # residual-based measures (lav_residuals: observed SDs for Bentler's, own SDs for Bollen's)
    acc = {k: 0.0 for k in ("rmr", "rmr_nomean", "srmr", "srmr_nomean", "crmr", "crmr_nomean")}
    tri = np.tril_indices(p)
    gfi_g = []
    xset = np.zeros(p, dtype=bool)
    xset[x_idx] = True
    for g, im in zip(stats_.groups, implied, strict=True):
        S, ybar = g.cov, g.mean
        Sig, mu = im.sigma, im.mu
        wg = g.n / N
        var_o, var_i = np.diag(S), np.diag(Sig)
        raw_c = (S - Sig)[tri]
        ben_c = (_rescale(S, var_o) - _rescale(Sig, var_o))[tri]
        bol_c = (_rescale(S, var_o) - _rescale(Sig, var_i))[tri]
        pstar = len(raw_c)
        acc["rmr_nomean"] += wg * _rms(raw_c, pstar)
        acc["srmr_nomean"] += wg * _rms(ben_c, pstar)
        acc["crmr_nomean"] += wg * _rms(bol_c, pstar - p)
        if meanstructure:
            raw_m = ybar - mu
            ben_m = _rescale_mean(ybar, var_o) - _rescale_mean(mu, var_o)
            acc["rmr"] += wg * _rms(np.concatenate([raw_m, raw_c]), pstar + p)
            acc["srmr"] += wg * _rms(np.concatenate([ben_m, ben_c]), pstar + p)
            acc["crmr"] += wg * _rms(np.concatenate([ben_m, bol_c]), pstar)
        else:
            acc["rmr"] += wg * _rms(raw_c, pstar)
            acc["srmr"] += wg * _rms(ben_c, pstar)
            acc["crmr"] += wg * _rms(bol_c, pstar - p)
        # GFI: 1 - e'Ve / o'Vo, V = expected h1 information at the implied moments (per missing-data
        # pattern under FIML), rows and columns of the fixed covariate moments zeroed
        # (lavaan's WLS.obs under FIML: available-case means and pairwise covariances)
        So = g.pair_cov if (stats_.fiml and g.pair_cov is not None) else S
        yo = g.var_mean if stats_.fiml else ybar
        xx = np.outer(xset, xset)
        E = np.where(xx, 0.0, So - Sig)
        Ob = np.where(xx, 0.0, So)
        dm = np.where(xset, 0.0, yo - mu)
        om = np.where(xset, 0.0, yo)
        res = padded_inverse(Sig, g.obs) if stats_.fiml else None
        if res is None:
            Ps, wk = spd_inv(Sig)[None], np.ones(1)
        else:
            Ps, wk = res[0], g.nk / g.nk.sum()
        PE = Ps @ E
        PO = Ps @ Ob
        t1g = float(np.sum(wk * 0.5 * np.einsum("kij,kji->k", PE, PE)))
        t2g = float(np.sum(wk * 0.5 * np.einsum("kij,kji->k", PO, PO)))
        if meanstructure:
            t1g += float(np.sum(wk * np.einsum("i,kij,j->k", dm, Ps, dm)))
            t2g += float(np.sum(wk * np.einsum("i,kij,j->k", om, Ps, om)))
        gfi_g.append(1.0 - t1g / t2g)
    gfi = float(np.dot(stats_.n, gfi_g) / N)
    nel = G * (p * (p + 1) // 2 + ms * p)
    agfi = (1 - (nel / df) * (1 - gfi)) if df > 0 else 1.0
    pgfi = (df / nel) * gfi if nel else float("nan")
    if df == 0 and chisq < np.finfo(float).eps:
        cn05 = cn01 = float("nan")
    else:
        cn05 = float(stats.chi2.ppf(0.95, df) / (chisq / N) + 1) if chisq > 0 else float("inf")
        cn01 = float(stats.chi2.ppf(0.99, df) / (chisq / N) + 1) if chisq > 0 else float("inf")
    return FitMeasures(
        npar=int(npar), fmin=float(chisq / (2 * N)), chisq=float(chisq), df=df, pvalue=pvalue,
        baseline_chisq=float(base_chisq), baseline_df=base_df, baseline_pvalue=base_p, cfi=float(cfi),
        tli=float(tli), nnfi=float(tli), rfi=float(rfi), nfi=float(nfi), pnfi=float(pnfi), ifi=float(ifi),
        rni=float(rni), logl=float(logl), unrestricted_logl=logl_h1_rep, aic=float(aic), bic=float(bic),
        ntotal=int(N), bic2=float(bic2), rmsea=float(rmsea), rmsea_ci_lower=float(lo), rmsea_ci_upper=float(hi),
        rmsea_pvalue=rmsea_p, rmsea_notclose_pvalue=rmsea_nc, rmr=acc["rmr"], rmr_nomean=acc["rmr_nomean"],
        srmr=acc["srmr"], srmr_bentler=acc["srmr"], srmr_bentler_nomean=acc["srmr_nomean"], crmr=acc["crmr"],
        crmr_nomean=acc["crmr_nomean"], cn_05=cn05, cn_01=cn01, gfi=gfi, agfi=float(agfi), pgfi=float(pgfi),
        mfi=float(math.exp(-0.5 * (chisq - df) / N)), ecvi=float(chisq / N + 2 * npar / N),
    )  # fmt: skip


def _x_cov(g: Any, x_idx: np.ndarray) -> np.ndarray:
    """Complete-data covariance (divisor n) of the covariates of a FIML group (all patterns observe them)."""
    nk = g.nk
    n = nk.sum()
    ybar = g.ybar[:, x_idx]
    m = (nk[:, None] * ybar).sum(axis=0) / n
    S = np.einsum("k,kij->ij", nk, g.S[:, x_idx][:, :, x_idx]) + np.einsum("k,ki,kj->ij", nk, ybar - m, ybar - m)
    return S / n
