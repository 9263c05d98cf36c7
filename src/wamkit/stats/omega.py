"""Omega with group factors (Schmid-Leiman, ``psych::omega``) and bootstrap intervals of omega.

For a total built from several subscales, :func:`omega_hierarchical` reproduces ``psych::omega(x, nfactors = k)``
(psych 2.2.9, GPArotation 2022.10): omega hierarchical, omega total, omega limit, ECV, alpha, G6 and the
Schmid-Leiman loadings (pinned by ``tests/stats/test_omega.py`` against ``tests/reference/omega.json``, written by
``tests/reference/omega.R``).  Omega of one subscale is :func:`wamkit.stats.reliability.omega_total`
(``psych::omega(x, nfactors = 1)``).  :func:`omega_bootstrap` gives seeded percentile intervals of either.

Items must be keyed by the caller; see :func:`omega_hierarchical` for what happens to items that load negatively
on the general factor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from wamkit.errors import DataError, UsageError
from wamkit.results import StatResult, to_jsonable
from wamkit.stats.correlation import as_float_matrix
from wamkit.stats.efa import FM_METHODS, fa, smc
from wamkit.stats.reliability import OmegaResult, check_cor_matrix, omega_total
from wamkit.stats.resample import bootstrap_pairwise_cov, resolve_rng
from wamkit.stats.rotation import rotate as rotate_loadings

__all__ = [
    "OMEGA_OPTIONS",
    "SCHMID_ROTATIONS",
    "OmegaBootstrapResult",
    "OmegaHierarchicalResult",
    "SchmidLeiman",
    "omega_bootstrap",
    "omega_hierarchical",
    "schmid_leiman",
]

#: oblique rotations psych::schmid accepts that wamkit implements (psych name -> wamkit.stats.rotation name)
SCHMID_ROTATIONS = {
    "oblimin": "oblimin",
    "promax": "promax",
    "Promax": "Promax",
    "geominQ": "geomin",
    "geomin": "geomin",
}
OMEGA_OPTIONS = ("equal", "first", "second")


@dataclass(frozen=True)
class SchmidLeiman:
    """A Schmid-Leiman solution, as ``psych::schmid(R, k)`` (the ``$schmid`` element of ``psych::omega``).

    Attributes
    ----------
    g : (p,) general-factor loadings ``oblique @ g_factor_loadings`` (``$sl[, "g"]``).
    group : (p, k) residualised group-factor loadings ``sign(oblique) sqrt(oblique^2 (1 - gload^2))``
        (``$sl[, "F1*", ...]``).
    h2, u2 : communalities of the orthogonal (varimax) solution and ``1 - h2`` (``$sl[, c("h2", "u2")]``).
    p2 : ``g^2 / h2``, the share of common variance due to g (``$sl[, "p2"]``).
    orthogonal : (p, k) varimax loadings of ``fa(R, k, rotate = "varimax")`` (``$orthog``).
    oblique : (p, k) pattern loadings after the oblique rotation of ``orthogonal`` (``$oblique``).
    phi : (k, k) factor correlations of the oblique solution (``$phi``).
    g_factor_loadings : (k,) loadings of the group factors on g (``$gloading``).
    """

    g: np.ndarray
    group: np.ndarray
    h2: np.ndarray
    u2: np.ndarray
    p2: np.ndarray
    orthogonal: np.ndarray
    oblique: np.ndarray
    phi: np.ndarray
    g_factor_loadings: np.ndarray
    warnings: tuple[str, ...] = ()


def schmid_leiman(
    R: Any, n_factors: int = 3, *, fm: str = "minres", rotate: str = "oblimin", option: str = "equal"
) -> SchmidLeiman:
    """Schmid-Leiman transformation of an oblique factor solution; matches ``psych::schmid(R, n_factors)``.

    Steps (psych 2.2.9): ``fa(R, k, fm = fm, rotate = "varimax")`` (:func:`wamkit.stats.efa.fa`); the varimax
    loadings rotated obliquely as they are (``GPArotation::oblimin`` from the identity, no reflection or
    reordering; ``promax`` = ``psych::kaiser(L, "Promax")``, ``geominQ``); the loadings of the factors on g from
    ``fa(Phi, 1, fm = fm)`` when ``k > 2``; with ``k = 2`` the model is not identified and psych sets them by
    ``option``: ``"equal"`` both ``sqrt(|phi_12|)`` (the second with the sign of ``phi_12``), ``"first"``
    ``(1, phi_12)``, ``"second"`` ``(phi_12, 1)``.  Then ``g = oblique @ gload``, group loadings
    ``sign(oblique) sqrt(max(oblique^2 (1 - gload^2), 0))``, ``h2`` from the varimax loadings.
    With ``k = 1`` g is the one-factor solution and there are no group factors.
    """
    Rm, _names = check_cor_matrix(R, None)
    p = Rm.shape[0]
    if fm not in FM_METHODS:
        raise UsageError(f"fm must be one of {', '.join(FM_METHODS)}, got {fm!r}")
    if rotate not in SCHMID_ROTATIONS:
        raise UsageError(f"rotate must be one of {', '.join(SCHMID_ROTATIONS)}, got {rotate!r}")
    if option not in OMEGA_OPTIONS:
        raise UsageError(f"option must be one of {', '.join(OMEGA_OPTIONS)}, got {option!r}")
    if isinstance(n_factors, bool) or not isinstance(n_factors, (int, np.integer)) or not 1 <= n_factors < p:
        raise UsageError(f"n_factors must be an integer between 1 and {p - 1}, got {n_factors!r}")
    k = int(n_factors)
    warn: list[str] = []
    fo = fa(Rm, k, fm=fm, rotate="varimax" if k > 1 else "none")
    warn += [f"factor extraction: {w}" for w in fo.warnings]
    orth = np.asarray(fo.loadings, dtype=float)
    if k == 1:
        obl = orth.copy()
        phi = np.eye(1)
        gload = np.ones(1)
    else:
        try:
            rr = rotate_loadings(orth, SCHMID_ROTATIONS[rotate])
        except np.linalg.LinAlgError:
            warn.append(f"the {rotate} rotation failed; Promax used instead (as psych)")
            rr = rotate_loadings(orth, "Promax")
        if not rr.converged:
            warn.append(f"{rotate} rotation did not converge in {rr.iterations} iterations")
        obl = rr.loadings
        phi = rr.phi
        if k > 2:
            gf = fa(phi, 1, fm=fm, rotate="none")
            warn += [f"higher-order factor: {w}" for w in gf.warnings]
            gload = np.asarray(gf.loadings, dtype=float)[:, 0]
        else:
            r12 = float(phi[0, 1])
            if option == "equal":
                gload = np.array([np.sqrt(abs(r12)), np.sign(r12) * np.sqrt(abs(r12))])
            elif option == "first":
                gload = np.array([1.0, r12])
            else:
                gload = np.array([r12, 1.0])
            warn.append(
                f"three factors are required for identification: with 2 factors the general factor "
                f"loadings were set by option={option!r} (psych); interpret omega_h with caution"
            )
    g = obl @ gload
    h2 = (orth * orth).sum(axis=1)
    u2 = np.diag(Rm) - h2
    d = np.diag(Rm)[:, None]
    uniq2 = d - (d - obl**2) - (obl * gload[None, :]) ** 2  # psych's order of operations (exact zeros stay 0)
    uniq2 = np.maximum(uniq2, 0.0)
    group = np.sign(obl) * np.sqrt(uniq2)
    if k == 1:
        group = np.zeros((p, 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        p2 = g**2 / h2
    return SchmidLeiman(
        g=g,
        group=group,
        h2=h2,
        u2=u2,
        p2=p2,
        orthogonal=orth,
        oblique=obl,
        phi=phi,
        g_factor_loadings=gload,
        warnings=tuple(warn),
    )


@dataclass(frozen=True)
class OmegaHierarchicalResult(StatResult):
    """Omega hierarchical and total from a Schmid-Leiman solution, as ``psych::omega(R, nfactors)``.

    Attributes
    ----------
    items : item names (psych adds ``-`` to flipped items; wamkit lists them in ``flipped``).
    n_factors, fm, rotate, option : the settings.
    omega_h : ``(sum g)^2 / V_t`` with ``V_t`` the sum of the (flipped) correlation matrix (psych ``omega_h``).
    omega_total : ``(V_t - sum u2) / V_t`` (psych ``omega.tot``).
    omega_limit : ``(sum g)^2 / (V_t - sum u2)``, omega_h of a test of infinitely many such items
        (psych ``omega.lim``).
    alpha : standardised alpha of ``R`` (psych ``alpha``); g6 : Guttman's lambda 6 (psych ``G6``).
    ecv : explained common variance of g, ``sum g^2 / (sum g^2 + sum group^2)`` (psych ``ECV``).
    schmid : :class:`SchmidLeiman` (loadings after the flip).
    omega_group : DataFrame with index ``g, F1*, ..., Fk*`` and columns ``total``, ``general``, ``group``
        (psych ``omega.group``): for a group factor, the items whose largest group loading is on it.
    flipped : items reversed because their g loading was negative (psych ``flip = TRUE``).
    warnings : notes (2-factor identification, Heywood cases, flipped items).
    """

    items: tuple[str, ...]
    n_factors: int
    fm: str
    rotate: str
    option: str
    omega_h: float
    omega_total: float
    omega_limit: float
    alpha: float
    g6: float
    ecv: float
    schmid: SchmidLeiman = field(repr=False)
    omega_group: pd.DataFrame = field(repr=False)
    flipped: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def to_frame(self, name: str | None = None) -> pd.DataFrame:
        """One row per item: ``item``, ``g``, ``F1*`` ... ``Fk*``, ``h2``, ``u2``, ``p2``, ``flipped``."""
        if name is not None:
            return super().to_frame(name)
        sl = self.schmid
        d: dict[str, Any] = {"item": list(self.items), "g": sl.g}
        for j in range(sl.group.shape[1] if self.n_factors > 1 else 0):
            d[f"F{j + 1}*"] = sl.group[:, j]
        d.update(h2=sl.h2, u2=sl.u2, p2=sl.p2, flipped=[i in self.flipped for i in self.items])
        return pd.DataFrame(d)

    def to_dict(self) -> dict[str, Any]:
        d = {
            f: getattr(self, f)
            for f in (
                "items",
                "n_factors",
                "fm",
                "rotate",
                "option",
                "omega_h",
                "omega_total",
                "omega_limit",
                "alpha",
                "g6",
                "ecv",
                "flipped",
                "warnings",
            )
        }
        d["loadings"] = self.to_frame()
        d["g_factor_loadings"] = self.schmid.g_factor_loadings
        d["phi"] = self.schmid.phi
        d["omega_group"] = self.omega_group.reset_index(names="factor")
        return to_jsonable(d)


def omega_hierarchical(
    R: Any,
    n_factors: int = 3,
    *,
    items: list[str] | None = None,
    fm: str = "minres",
    rotate: str = "oblimin",
    option: str = "equal",
    flip: bool = True,
) -> OmegaHierarchicalResult:
    """Omega hierarchical, omega total, omega limit and ECV; matches ``psych::omega(R, nfactors = n_factors)``.

    For totals built from several subscales: ``n_factors`` group factors plus a general factor from
    :func:`schmid_leiman`.  With ``V_t = sum(R)`` (after flipping), ``omega_h = (sum g)^2 / V_t``,
    ``omega_total = (V_t - sum u2) / V_t``, ``omega_limit = (sum g)^2 / (V_t - sum u2)``,
    ``ECV = sum g^2 / (sum g^2 + sum group^2)``, ``alpha = (V_t - p)/V_t * p/(p-1)``,
    ``G6 = (V_t + sum smc - p) / V_t``.  For one subscale use :func:`omega_total` (``nfactors = 1``).

    ``R`` is a correlation matrix: ``pairwise_cor(x)`` for psych's ``omega(x)`` on raw data
    (``cor(x, use = "pairwise")``), ``polychoric(x).rho`` for ``omega(x, poly = TRUE)``.

    Item keying
        wamkit keys reversed items itself before reliability, so all items of a well-keyed instrument
        load positively on g.  Like psych (``flip = TRUE``, the default), items with a negative g loading are
        reversed before omega is computed and listed in ``flipped`` with a warning: the values then describe
        a composite in which those items are reversed, which is *not* the score wamkit computes (e.g. a total
        that mixes a higher-is-worse subscale such as reactance with the alliance subscales).  ``flip=False``
        (psych ``flip = FALSE``) keeps the items as given, so omega describes the score as keyed.  psych's
        ``key`` argument is not offered: key the data instead.

    Two factors
        With ``n_factors = 2`` the general factor is not identified; psych sets the loadings of the two
        factors on g by ``option`` (``"equal"``, ``"first"``, ``"second"``) and prints a caution, which
        wamkit returns as a warning.

    Raises
    ------
    UsageError
        Bad ``n_factors``, ``fm``, ``rotate`` or ``option``; fewer than 3 items.
    DataError
        ``R`` not a valid correlation matrix.
    """
    Rm, names = check_cor_matrix(R, items)
    p = Rm.shape[0]
    if p < 3:
        raise UsageError(f"omega needs at least 3 items, got {p}")
    sl = schmid_leiman(Rm, n_factors, fm=fm, rotate=rotate, option=option)
    k = int(n_factors)
    warn = list(sl.warnings)
    g = sl.g.copy()
    group = sl.group.copy()
    key = np.ones(p)
    if flip:
        key = np.where(np.sign(g) < 0, -1.0, 1.0)
    Rk = Rm * np.outer(key, key)
    g = g * key
    group = group * key[:, None]
    flipped = tuple(n for n, s in zip(names, key, strict=True) if s < 0)
    if flipped:
        warn.append(
            f"item(s) with negative general-factor loadings were reversed (psych flip=TRUE): "
            f"{', '.join(flipped)}; omega describes that composite, not the score as keyed"
        )
    Vt = Rk.sum()
    uniq = sl.u2.sum()
    gsq = g.sum() ** 2
    om_tot = (Vt - uniq) / Vt
    a = ((Vt - np.trace(Rk)) / Vt) * (p / (p - 1.0))
    g6 = (Vt + smc(Rk).sum() - np.trace(Rk)) / Vt
    ev_g = (g**2).sum()
    ecv = ev_g / (ev_g + (group**2).sum())
    # psych omega.group: items belong to the group factor with their largest |group loading|
    rows = ["g"] + [f"F{j + 1}*" for j in range(k)]
    total = np.full(k + 1, np.nan)
    general = np.full(k + 1, np.nan)
    grp = np.full(k + 1, np.nan)
    grs = 0.0
    if k > 1:
        sub = np.argmax(np.abs(group), axis=1)
        for j in range(k):
            gi = np.flatnonzero(sub == j)
            if gi.size:
                Vgr = Rk[np.ix_(gi, gi)].sum()
                gr = group[gi, j].sum()
                grs += gr**2
                grp[j + 1] = gr**2 / Vgr
                general[j + 1] = g[gi].sum() ** 2 / Vgr
                total[j + 1] = (gr**2 + g[gi].sum() ** 2) / Vgr
    general[0] = gsq / Vt
    grp[0] = grs / Vt
    total[0] = om_tot
    om_group = pd.DataFrame({"total": total, "general": general, "group": grp}, index=pd.Index(rows, name="factor"))
    sl_out = SchmidLeiman(
        g=g,
        group=group,
        h2=sl.h2,
        u2=sl.u2,
        p2=sl.p2,
        orthogonal=sl.orthogonal,
        oblique=sl.oblique,
        phi=sl.phi,
        g_factor_loadings=sl.g_factor_loadings,
        warnings=sl.warnings,
    )
    return OmegaHierarchicalResult(
        items=tuple(names),
        n_factors=k,
        fm=fm,
        rotate=rotate,
        option=option,
        omega_h=float(gsq / Vt),
        omega_total=float(om_tot),
        omega_limit=float(gsq / (Vt - uniq)),
        alpha=float(a),
        g6=float(g6),
        ecv=float(ecv),
        schmid=sl_out,
        omega_group=om_group,
        flipped=flipped,
        warnings=tuple(warn),
    )


# ----------------------------------------------------------------------------- omega bootstrap
@dataclass(frozen=True)
class OmegaBootstrapResult(StatResult):
    """Percentile bootstrap intervals of omega total and omega hierarchical.

    Attributes
    ----------
    estimate : the point estimate on all rows (:class:`OmegaResult` for ``n_factors = 1``,
        else :class:`OmegaHierarchicalResult`).
    n_boot : resamples drawn; n_failed : resamples that gave no estimate (a pair of items never observed
        together, a failed factor analysis) and were left out.
    ci_level : level of the intervals.
    omega_total_ci, omega_h_ci : ``(lower, upper)`` percentiles ``(1 - ci_level)/2`` and ``(1 + ci_level)/2``
        of the replicates (R ``quantile(type = 7)``).
    omega_total_median, omega_h_median : medians of the replicates.
    replicates : DataFrame with columns ``omega_total``, ``omega_h`` (one row per successful resample).
    warnings : notes (failed resamples; resamples in which items were flipped).
    """

    estimate: OmegaResult | OmegaHierarchicalResult
    n_boot: int
    n_failed: int
    ci_level: float
    omega_total_ci: tuple[float, float]
    omega_h_ci: tuple[float, float]
    omega_total_median: float
    omega_h_median: float
    replicates: pd.DataFrame = field(repr=False)
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = {
            f: getattr(self, f)
            for f in (
                "n_boot",
                "n_failed",
                "ci_level",
                "omega_total_ci",
                "omega_h_ci",
                "omega_total_median",
                "omega_h_median",
                "warnings",
            )
        }
        d["estimate"] = self.estimate.to_dict()
        return to_jsonable(d)

    def to_frame(self, name: str | None = None) -> pd.DataFrame:
        """Rows ``omega_total`` and ``omega_h``; columns ``estimate``, ``ci_lower``, ``median``, ``ci_upper``."""
        if name is not None:
            return super().to_frame(name)
        est = self.estimate
        return pd.DataFrame(
            {
                "estimate": [est.omega_total, est.omega_h],
                "ci_lower": [self.omega_total_ci[0], self.omega_h_ci[0]],
                "median": [self.omega_total_median, self.omega_h_median],
                "ci_upper": [self.omega_total_ci[1], self.omega_h_ci[1]],
            },
            index=pd.Index(["omega_total", "omega_h"], name="statistic"),
        )


def omega_bootstrap(
    X: Any,
    *,
    n_factors: int = 1,
    items: list[str] | None = None,
    n_boot: int = 1000,
    rng: np.random.Generator | None = None,
    seed: int | None = None,
    ci_level: float = 0.95,
    fm: str = "minres",
    rotate: str = "oblimin",
    option: str = "equal",
    flip: bool = True,
) -> OmegaBootstrapResult:
    """Seeded percentile bootstrap of omega total / omega hierarchical on raw item data.

    The point estimate is psych's on ``R = cor(x, use = "pairwise")``: :func:`omega_total`
    (``psych::omega(x, nfactors = 1)``) for one subscale, :func:`omega_hierarchical`
    (``psych::omega(x, nfactors = n_factors)``) for a total over several.  Rows are resampled with
    replacement; the pairwise covariance matrices of all resamples come from one batched product
    (:func:`wamkit.stats.resample.bootstrap_pairwise_cov`, shared with :func:`alpha`) and each is refitted.
    The same ``seed`` (or generator state) gives the same interval.  psych's own ``omega(n.iter = )`` reports
    a normal interval on Fisher-z transformed replicates from R's random numbers; the two are not
    comparable draw by draw.

    Parameters
    ----------
    X : DataFrame or array (n, p) of keyed item responses, NaN = missing.
    n_factors : 1 for omega total of one subscale; the number of group factors otherwise.
    items : columns of ``X`` to use.
    n_boot : resamples (>= 1).
    rng, seed : random source (a ``numpy.random.Generator`` or an int seed).
    ci_level : level of the percentile intervals.
    fm, rotate, option, flip : as :func:`omega_hierarchical`.

    Raises
    ------
    UsageError
        Bad ``n_boot``/``ci_level`` or factor settings.
    DataError
        Non-numeric data or too few rows.
    """
    from wamkit.stats.correlation import pairwise_cor

    arr, names = as_float_matrix(X, items)
    n, _p = arr.shape
    if isinstance(n_boot, bool) or int(n_boot) != n_boot or n_boot < 1:
        raise UsageError(f"n_boot must be a positive integer, got {n_boot}")
    if not 0.0 < ci_level < 1.0:
        raise UsageError(f"ci_level must be between 0 and 1, got {ci_level}")
    if n < 3:
        raise DataError(f"omega needs at least 3 respondents, got {n}")
    g = resolve_rng(rng, seed)
    R, _ = pairwise_cor(arr)

    def fit(Rb: np.ndarray) -> OmegaResult | OmegaHierarchicalResult:
        if n_factors == 1:
            return omega_total(Rb, items=names)
        return omega_hierarchical(Rb, n_factors, items=names, fm=fm, rotate=rotate, option=option, flip=flip)

    est = fit(R)
    if n_factors == 1:
        return _one_factor_bootstrap(arr, names, est, int(n_boot), g, float(ci_level))
    reps = np.full((int(n_boot), 2), np.nan)
    n_flip_changed = 0
    i = 0
    for C in bootstrap_pairwise_cov(arr, int(n_boot), g):
        for Cb in C:
            d = np.sqrt(np.diag(Cb))
            ok = np.isfinite(Cb).all() and bool(np.all(d > 0))
            if ok:
                Rb = Cb / np.outer(d, d)
                np.fill_diagonal(Rb, 1.0)
                try:
                    o = fit((Rb + Rb.T) / 2.0)
                except (DataError, UsageError, np.linalg.LinAlgError, ValueError):
                    o = None
                if o is not None:
                    reps[i] = (o.omega_total, o.omega_h)
                    n_flip_changed += o.flipped != est.flipped
            i += 1
    good = np.isfinite(reps).all(axis=1)
    reps = reps[good]
    n_failed = int(n_boot) - int(good.sum())
    warn: list[str] = []
    if n_failed:
        warn.append(f"{n_failed} of {n_boot} bootstrap resamples gave no omega and were left out")
    if n_flip_changed:
        warn.append(
            f"in {n_flip_changed} resamples other items than in the full sample had negative loadings and were flipped"
        )
    q = (1.0 - ci_level) / 2.0
    if reps.shape[0]:
        lo_t, med_t, hi_t = (float(v) for v in np.quantile(reps[:, 0], [q, 0.5, 1.0 - q]))
        lo_h, med_h, hi_h = (float(v) for v in np.quantile(reps[:, 1], [q, 0.5, 1.0 - q]))
    else:
        lo_t = med_t = hi_t = lo_h = med_h = hi_h = float("nan")
    return OmegaBootstrapResult(
        estimate=est,
        n_boot=int(n_boot),
        n_failed=n_failed,
        ci_level=float(ci_level),
        omega_total_ci=(lo_t, hi_t),
        omega_h_ci=(lo_h, hi_h),
        omega_total_median=med_t,
        omega_h_median=med_h,
        replicates=pd.DataFrame(reps, columns=["omega_total", "omega_h"]),
        warnings=tuple(warn),
    )


def one_factor_omega_batch(R: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One-factor omega total and omega_h of a stack of correlation matrices ``R`` (B, k, k) at once.

    The same model as :func:`omega_total` (minres loadings, items with negative loadings flipped,
    ``omega.tot = (V_t - sum u2) / V_t``), with the uniquenesses of every matrix found together by
    :func:`wamkit.stats.nfactors.batched_minres` (psych's minres criterion, psych's SMC start). Used
    for bootstrap replicates; point estimates come from :func:`omega_total` (psych's exact path).
    Returns ``(omega_total, omega_h, flipped)`` with ``flipped`` a (B, k) boolean array.
    """
    from wamkit.stats.nfactors import batched_minres, uls_state

    psi0 = 1.0 / np.diagonal(np.linalg.inv(R), axis1=1, axis2=2)
    psi, _ = batched_minres(R, 1, psi0)
    _, V, lt, _, _ = uls_state(R, psi, 1)
    lam = V[:, :, 0] * np.sqrt(lt[:, :1])
    lam *= np.where(lam.sum(axis=1, keepdims=True) < 0, -1.0, 1.0)
    key = np.where(lam < 0, -1.0, 1.0)
    g = np.abs(lam)
    Vt = (R * key[:, :, None] * key[:, None, :]).sum(axis=(1, 2))
    om_t = (Vt - (1.0 - g**2).sum(axis=1)) / Vt
    om_h = g.sum(axis=1) ** 2 / Vt
    return om_t, om_h, key < 0


def _one_factor_bootstrap(
    arr: np.ndarray, names: list[str], est: Any, n_boot: int, rng: np.random.Generator, ci_level: float
) -> OmegaBootstrapResult:
    """Percentile bootstrap of one-factor omega: every resample's correlation matrix refitted in one batch."""
    covs = np.concatenate(list(bootstrap_pairwise_cov(arr, n_boot, rng)), axis=0)
    d = np.sqrt(np.diagonal(covs, axis1=1, axis2=2))
    ok = np.isfinite(covs).all(axis=(1, 2)) & (d > 0).all(axis=1)
    reps = np.full((n_boot, 2), np.nan)
    if ok.any():
        Rb = covs[ok] / (d[ok][:, :, None] * d[ok][:, None, :])
        k = Rb.shape[1]
        Rb[:, np.arange(k), np.arange(k)] = 1.0
        Rb = (Rb + np.transpose(Rb, (0, 2, 1))) / 2.0
        with np.errstate(invalid="ignore", divide="ignore"):
            om_t, om_h, flipped = one_factor_omega_batch(Rb)
        reps[ok] = np.column_stack([om_t, om_h])
        n_flip_changed = int((flipped != np.isin(names, est.flipped)[None, :]).any(axis=1).sum())
    else:
        n_flip_changed = 0
    good = np.isfinite(reps).all(axis=1)
    n_failed = n_boot - int(good.sum())
    warn: list[str] = []
    if n_failed:
        warn.append(f"{n_failed} of {n_boot} bootstrap resamples gave no omega and were left out")
    if n_flip_changed:
        warn.append(
            f"in {n_flip_changed} resamples other items than in the full sample had negative loadings and were flipped"
        )
    reps = reps[good]
    q = (1.0 - ci_level) / 2.0
    nan = float("nan")
    lo_t, med_t, hi_t = (float(v) for v in np.quantile(reps[:, 0], [q, 0.5, 1.0 - q])) if len(reps) else (nan,) * 3
    lo_h, med_h, hi_h = (float(v) for v in np.quantile(reps[:, 1], [q, 0.5, 1.0 - q])) if len(reps) else (nan,) * 3
    return OmegaBootstrapResult(
        estimate=est,
        n_boot=n_boot,
        n_failed=n_failed,
        ci_level=ci_level,
        omega_total_ci=(lo_t, hi_t),
        omega_h_ci=(lo_h, hi_h),
        omega_total_median=med_t,
        omega_h_median=med_h,
        replicates=pd.DataFrame(reps, columns=["omega_total", "omega_h"]),
        warnings=tuple(warn),
    )
