"""Internal-consistency reliability: Cronbach's alpha (psych-exact), ordinal alpha, omega.

All functions reproduce R ``psych`` 2.2.9 to floating-point accuracy (pinned by
``tests/test_reliability.py`` against ``tests/reference/reliability.json``, which
``tests/reference/reliability.R`` writes).

Items must be keyed by the caller (reverse-scored items already reversed, e.g.
``max + min - x``); nothing here reverses items silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _st

from wamkit.errors import DataError, UsageError
from wamkit.results import StatResult, to_jsonable
from wamkit.stats.efa import smc
from wamkit.stats.resample import bootstrap_pairwise_cov, resolve_rng

__all__ = [
    "AlphaResult",
    "CorAlphaResult",
    "OmegaResult",
    "alpha",
    "alpha_from_cor",
    "check_cor_matrix",
    "feldt_ci",
    "omega_total",
]


# ----------------------------------------------------------------------------- helpers
def _as_items(X: Any, items: list[str] | None) -> tuple[np.ndarray, list[str]]:
    """Select ``items`` from ``X`` and return them as a float array (copy) and names."""
    from wamkit.stats.correlation import as_float_matrix

    return as_float_matrix(X, items)


def _pairwise_cov(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R ``cov(x, use="pairwise")``: per pair, means over the rows where both are observed.

    Returns ``(C, n_pairs)``; entries with fewer than 2 complete pairs are NaN.
    """
    M = ~np.isnan(X)
    Mf = M.astype(float)
    cnt = Mf.sum(axis=0)
    mu = np.where(M, X, 0.0).sum(axis=0) / np.maximum(cnt, 1.0)
    Z = np.where(M, X - mu, 0.0)  # centring by item means only improves accuracy
    n = Mf.T @ Mf
    S = Z.T @ Mf  # S[j, k] = sum of z_j over rows where j and k observed
    P = Z.T @ Z
    with np.errstate(invalid="ignore", divide="ignore"):
        C = (P - S * S.T / n) / (n - 1.0)
    C[n < 2] = np.nan
    return C, n


def _cov2cor(C: np.ndarray) -> np.ndarray:
    d = np.sqrt(np.diag(C))
    R = C / np.outer(d, d)
    np.fill_diagonal(R, 1.0)
    return R


def _alpha1(C: np.ndarray, R: np.ndarray) -> dict[str, float]:
    """psych's internal ``alpha.1(C, R)``: every whole-scale statistic of one (sub)matrix."""
    n = C.shape[0]
    sumC = C.sum()
    trC = np.trace(C)
    raw = (1.0 - trC / sumC) * (n / (n - 1.0))
    sumR = R.sum()
    std = (1.0 - n / sumR) * (n / (n - 1.0))
    g6 = 1.0 - (n - smc(R).sum()) / sumR
    av_r = (sumR - n) / (n * (n - 1.0))
    low = R[np.tril_indices(n, -1)]
    var_r = float(np.var(low, ddof=1)) if low.size > 1 else float("nan")
    med_r = float(np.median(low))
    res1 = R - av_r
    gf1 = 1.0 - (res1**2).sum() / (R**2).sum()
    Rd = R - np.diag(R)[None, :]  # psych: R - diag(R) recycles the diagonal vector by column
    np.fill_diagonal(res1, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):  # perfectly correlated items: inf/NaN, no warning
        gf1_off = 1.0 - (res1**2).sum() / (Rd**2).sum()
        sn = n * av_r / (1.0 - av_r)
    CC = C @ C
    Q = (2.0 * n**2 / ((n - 1.0) ** 2 * sumC**3)) * (sumC * (np.trace(CC) + trC**2) - 2.0 * (trC * CC.sum()))
    return dict(raw=raw, std=std, g6=g6, av_r=av_r, sn=sn, Q=Q, gf1=gf1, gf1_off=gf1_off, var_r=var_r, med_r=med_r)


def feldt_ci(alpha_value: float, *, n_obs: int, n_items: int, ci_level: float = 0.95) -> tuple[float, float]:
    """Feldt (1965) F-based confidence interval of Cronbach's alpha.

    ``lower = 1 - (1 - alpha) F_{1-p/2}(n-1, (n-1)(k-1))``,
    ``upper = 1 - (1 - alpha) F_{p/2}(n-1, (n-1)(k-1))`` with ``p = 1 - ci_level``.
    Matches ``psych::alpha.ci(alpha, n.obs, n.var)`` (and ``psych::alpha(x)$feldt``).
    """
    p = 1.0 - ci_level
    df1 = n_obs - 1.0
    df2 = (n_obs - 1.0) * (n_items - 1.0)
    upper = 1.0 - (1.0 - alpha_value) * _st.f.ppf(p / 2.0, df1, df2)
    lower = 1.0 - (1.0 - alpha_value) * _st.f.ppf(1.0 - p / 2.0, df1, df2)
    return float(lower), float(upper)


def _drop_stats(C: np.ndarray, R: np.ndarray, n_sub: int) -> dict[str, np.ndarray]:
    """psych ``alpha.drop``: the scale statistics with each item left out."""
    p = C.shape[0]
    keys = ["raw", "std", "g6", "av_r", "sn", "alpha_se", "var_r", "med_r"]
    out = {k: np.empty(p) for k in keys}
    if p > 2:
        for i in range(p):
            keep = np.arange(p) != i
            a = _alpha1(C[np.ix_(keep, keep)], R[np.ix_(keep, keep)])
            for k in keys:
                if k == "alpha_se":
                    out[k][i] = np.sqrt(a["Q"] / n_sub) if n_sub > p else np.nan
                else:
                    out[k][i] = a[k]
    else:  # psych's special case for two items
        r12 = R[0, 1]
        s = smc(R)[0]
        out["raw"][:] = [C[0, 1] / C[1, 1], C[0, 1] / C[0, 0]]
        out["std"][:] = r12
        out["g6"][:] = s
        out["av_r"][:] = r12
        out["sn"][:] = r12 / (1.0 - r12)
        out["alpha_se"][:] = np.nan
        out["var_r"][:] = 0.0
        out["med_r"][:] = r12
    return out


def _boot_alpha(X: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Raw alpha of ``n_boot`` row resamples (batched, :func:`wamkit.stats.resample.bootstrap_pairwise_cov`)."""
    p = X.shape[1]
    out = []
    for C in bootstrap_pairwise_cov(X, n_boot, rng):
        with np.errstate(invalid="ignore", divide="ignore"):
            tr = np.trace(C, axis1=1, axis2=2)
            tot = C.sum(axis=(1, 2))
            out.append((1.0 - tr / tot) * (p / (p - 1.0)))
    return np.concatenate(out) if out else np.empty(0)


# ----------------------------------------------------------------------------- alpha
@dataclass(frozen=True)
class AlphaResult(StatResult):
    """Cronbach's alpha and item analysis, as ``psych::alpha(x)``.

    Attributes
    ----------
    items : item names (keyed by the caller).
    n_obs : number of rows (respondents), missing values included (psych ``nsub``).
    raw_alpha : covariance alpha, ``k/(k-1) (1 - tr(C)/sum(C))`` ($total$raw_alpha).
    std_alpha : correlation alpha, ``k/(k-1) (1 - k/sum(R))`` ($total$std.alpha).
    g6 : Guttman's lambda 6, ``1 - (k - sum(smc))/sum(R)`` ($total$`G6(smc)`).
    average_r, median_r, var_r : mean / median / variance of the inter-item correlations.
    signal_noise : ``k r/(1 - r)`` ($total$`S/N`).
    ase : asymptotic standard error of raw alpha, ``sqrt(Q/n)`` ($total$ase).
    mean, sd : mean and SD of the item-mean scale score (row means of available items).
    unidim, fit_off : psych's ``$Unidim`` and ``$Fit`` (fit of the equal-correlation model).
    ci_level, feldt_lower, feldt_upper : Feldt CI (``psych::alpha.ci``, ``$feldt``).
    n_boot, boot_lower, boot_median, boot_upper : percentile bootstrap of raw alpha
        (None when ``n_boot == 0``).
    item_stats : DataFrame, one row per item (index = item names), columns
        ``n`` (non-missing), ``missing_share``, ``mean``, ``sd``,
        ``raw_r`` (item vs scale score), ``std_r``, ``r_cor`` (corrected for overlap),
        ``r_drop`` (item vs rest), ``alpha_if_dropped`` (raw), ``std_alpha_if_dropped``,
        ``g6_if_dropped``, ``average_r_if_dropped``, ``signal_noise_if_dropped``,
        ``alpha_se_if_dropped``, ``var_r_if_dropped``, ``median_r_if_dropped`` and, when
        the scale range is declared, ``floor_share`` / ``ceiling_share`` (share of the
        non-missing answers at ``scale_min`` / ``scale_max``).
    covariance : pairwise covariance matrix (psych ``cov(x, use="pairwise")``).
    warnings : human-readable notes (e.g. negative average correlation).
    """

    items: tuple[str, ...]
    n_obs: int
    raw_alpha: float
    std_alpha: float
    g6: float
    average_r: float
    median_r: float
    var_r: float
    signal_noise: float
    ase: float
    mean: float
    sd: float
    unidim: float
    fit_off: float
    ci_level: float
    feldt_lower: float
    feldt_upper: float
    n_boot: int
    boot_lower: float | None
    boot_median: float | None
    boot_upper: float | None
    item_stats: pd.DataFrame = field(repr=False)
    covariance: np.ndarray = field(repr=False)
    warnings: tuple[str, ...] = ()

    @property
    def alpha(self) -> float:
        """Cronbach's alpha (psych's ``raw_alpha``, from the covariances)."""
        return self.raw_alpha

    def extra_frames(self) -> dict[str, pd.DataFrame]:
        """``item_stats``: one row per item (r.drop, alpha if dropped, mean, sd, missing ...)."""
        return {"item_stats": self.item_stats.reset_index(names="item")}

    def to_dict(self) -> dict[str, Any]:
        d = {
            k: getattr(self, k)
            for k in (
                "items",
                "n_obs",
                "raw_alpha",
                "alpha",
                "std_alpha",
                "g6",
                "average_r",
                "median_r",
                "var_r",
                "signal_noise",
                "ase",
                "mean",
                "sd",
                "unidim",
                "fit_off",
                "ci_level",
                "feldt_lower",
                "feldt_upper",
                "n_boot",
                "boot_lower",
                "boot_median",
                "boot_upper",
                "warnings",
            )
        }
        d["item_stats"] = self.item_stats.reset_index(names="item")
        return to_jsonable(d)


def alpha(
    X: Any,
    *,
    items: list[str] | None = None,
    scale_min: float | None = None,
    scale_max: float | None = None,
    n_boot: int = 0,
    rng: np.random.Generator | None = None,
    seed: int | None = None,
    ci_level: float = 0.95,
) -> AlphaResult:
    """Cronbach's alpha with item analysis; matches ``psych::alpha(x)`` (``use="pairwise"``).

    Formulas (``C`` = pairwise covariance matrix, ``R = cov2cor(C)``, ``k`` items):
    ``raw_alpha = k/(k-1) (1 - tr C / sum C)``; ``std_alpha = k/(k-1) (1 - k / sum R)``;
    ``G6 = 1 - (k - sum smc(R)) / sum R``; ``average_r = (sum R - k)/(k(k-1))``;
    ``S/N = k r/(1-r)``; ``ase = sqrt(Q/n)`` with Duhachek & Iacobucci's ``Q``;
    ``std.r_i = colsum(R)_i / sqrt(sum R)``; ``r.cor`` the same with ``smc`` on the
    diagonal; ``r.drop_i = (sum C_i. - C_ii)/sqrt(C_ii sum C_[-i,-i])``;
    ``raw.r_i = cor(scale score, x_i)`` (pairwise) where the scale score is the
    row mean of the available items (psych ``cumulative=FALSE``).

    Parameters
    ----------
    X : DataFrame or array (n, k)
        Item responses, already reverse-keyed; NaN = missing. Not modified.
    items : list of str, optional
        Columns of ``X`` to use (names for the columns of an array). Default: all.
    scale_min, scale_max : float, optional
        Declared response range; adds ``floor_share`` / ``ceiling_share`` per item.
    n_boot : int, default 0
        Percentile bootstrap resamples of raw alpha (rows resampled with replacement);
        compare ``psych::alpha(x, n.iter=n_boot)$boot.ci`` (RNG streams differ).
    rng, seed : random source for the bootstrap (a ``numpy.random.Generator`` or an int).
    ci_level : float, default 0.95
        Level of the Feldt and bootstrap intervals.

    Returns
    -------
    AlphaResult

    Raises
    ------
    UsageError
        Unknown item names, fewer than 2 items, bad ``n_boot``/``ci_level``.
    DataError
        Non-numeric data, fewer than 3 rows, an item without variance, or a pair of
        items never observed together.
    """
    arr, names = _as_items(X, items)
    n_sub, k = arr.shape
    if k < 2:
        raise UsageError(f"alpha needs at least 2 items, got {k}")
    if n_sub < 3:
        raise DataError(f"alpha needs at least 3 respondents, got {n_sub}")
    if not 0.0 < ci_level < 1.0:
        raise UsageError(f"ci_level must be between 0 and 1, got {ci_level}")
    if n_boot < 0 or int(n_boot) != n_boot:
        raise UsageError(f"n_boot must be a non-negative integer, got {n_boot}")
    n_boot = int(n_boot)

    M = ~np.isnan(arr)
    n_item = M.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        item_mean = np.where(M, arr, 0.0).sum(axis=0) / n_item
        item_sd = np.sqrt(np.where(M, (arr - item_mean) ** 2, 0.0).sum(axis=0) / (n_item - 1.0))
    bad = [names[j] for j in range(k) if not (n_item[j] >= 2 and item_sd[j] > 0)]
    if bad:
        raise DataError(f"item(s) without variance (or fewer than 2 answers): {', '.join(bad)}")

    C, npair = _pairwise_cov(arr)
    if np.isnan(C).any():
        raise DataError("some pairs of items have fewer than 2 respondents in common")
    R = _cov2cor(C)
    tot = _alpha1(C, R)
    warn: list[str] = []
    if tot["av_r"] < 0:
        warn.append("the average inter-item correlation is negative: check the item keying")

    # scale score = mean of available items (psych cumulative=FALSE)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(M, arr, 0.0).sum(axis=1) / M.sum(axis=1)
    ok = ~np.isnan(score)
    mean_t = float(score[ok].mean())
    sd_t = float(score[ok].std(ddof=1))
    # raw.r: pairwise Pearson correlation of the score with each item
    raw_r = np.empty(k)
    for j in range(k):
        both = ok & M[:, j]
        raw_r[j] = np.corrcoef(score[both], arr[both, j])[0, 1]

    sumR = R.sum()
    RC = R.copy()
    np.fill_diagonal(RC, smc(R))
    colC = C.sum(axis=0)
    sumC = C.sum()
    diagC = np.diag(C)
    v_drop = sumC - 2.0 * colC + diagC
    with np.errstate(invalid="ignore", divide="ignore"):  # NaN (as in psych) for badly keyed scales
        std_r = R.sum(axis=0) / np.sqrt(sumR)
        r_cor = RC.sum(axis=0) / np.sqrt(RC.sum())
        r_drop = (colC - diagC) / np.sqrt(diagC * v_drop)

    drop = _drop_stats(C, R, n_sub)
    table = {
        "n": n_item.astype(int),
        "missing_share": 1.0 - n_item / n_sub,
        "mean": item_mean,
        "sd": item_sd,
        "raw_r": raw_r,
        "std_r": std_r,
        "r_cor": r_cor,
        "r_drop": r_drop,
        "alpha_if_dropped": drop["raw"],
        "std_alpha_if_dropped": drop["std"],
        "g6_if_dropped": drop["g6"],
        "average_r_if_dropped": drop["av_r"],
        "signal_noise_if_dropped": drop["sn"],
        "alpha_se_if_dropped": drop["alpha_se"],
        "var_r_if_dropped": drop["var_r"],
        "median_r_if_dropped": drop["med_r"],
    }
    if scale_min is not None:
        table["floor_share"] = np.where(M, arr == scale_min, False).sum(axis=0) / n_item
    if scale_max is not None:
        table["ceiling_share"] = np.where(M, arr == scale_max, False).sum(axis=0) / n_item
    if scale_min is not None and scale_max is not None:
        outside = np.where(M, (arr < scale_min) | (arr > scale_max), False).sum()
        if outside:
            warn.append(f"{int(outside)} answers lie outside the declared range {scale_min}..{scale_max}")
    item_stats = pd.DataFrame(table, index=pd.Index(names, name="item"))

    lo, hi = feldt_ci(tot["raw"], n_obs=n_sub, n_items=k, ci_level=ci_level)
    b_lo = b_med = b_hi = None
    if n_boot > 0:
        g = resolve_rng(rng, seed)
        boots = _boot_alpha(arr, n_boot, g)
        n_bad = int(np.isnan(boots).sum())
        if n_bad:
            warn.append(f"{n_bad} of {n_boot} bootstrap resamples gave no alpha and were ignored")
        q = (1.0 - ci_level) / 2.0
        b_lo, b_med, b_hi = (float(v) for v in np.nanquantile(boots, [q, 0.5, 1.0 - q]))
    elif rng is not None or seed is not None:
        resolve_rng(rng, seed)  # validate only

    return AlphaResult(
        items=tuple(names),
        n_obs=int(n_sub),
        raw_alpha=float(tot["raw"]),
        std_alpha=float(tot["std"]),
        g6=float(tot["g6"]),
        average_r=float(tot["av_r"]),
        median_r=float(tot["med_r"]),
        var_r=float(tot["var_r"]),
        signal_noise=float(tot["sn"]),
        ase=float(np.sqrt(tot["Q"] / n_sub)),
        mean=mean_t,
        sd=sd_t,
        unidim=float(tot["gf1"]),
        fit_off=float(tot["gf1_off"]),
        ci_level=float(ci_level),
        feldt_lower=lo,
        feldt_upper=hi,
        n_boot=n_boot,
        boot_lower=b_lo,
        boot_median=b_med,
        boot_upper=b_hi,
        item_stats=item_stats,
        covariance=C,
        warnings=tuple(warn),
    )


# ----------------------------------------------------------------------------- alpha on R
def check_cor_matrix(R: Any, names: list[str] | None) -> tuple[np.ndarray, list[str]]:
    """Validate a correlation matrix (array or labelled DataFrame); return it with unit diagonal and its names."""
    if hasattr(R, "columns") and hasattr(R, "to_numpy"):
        if names is None:
            names = [str(c) for c in R.columns]
        R = R.to_numpy(dtype=float)
    R = np.array(R, dtype=float)
    if R.ndim != 2 or R.shape[0] != R.shape[1]:
        raise DataError("a correlation matrix must be square")
    p = R.shape[0]
    if p < 2:
        raise UsageError(f"need at least 2 items, got {p}")
    if not np.isfinite(R).all():
        raise DataError("the correlation matrix contains missing or infinite values")
    if not np.allclose(R, R.T, atol=1e-10):
        raise DataError("the correlation matrix is not symmetric")
    if np.any(np.diag(R) <= 0):
        raise DataError("the correlation matrix has a non-positive diagonal")
    if names is None:
        names = [f"V{j + 1}" for j in range(p)]
    if len(names) != p:
        raise UsageError(f"{len(names)} item names given for a {p} x {p} matrix")
    return _cov2cor(R), [str(n) for n in names]


@dataclass(frozen=True)
class CorAlphaResult(StatResult):
    """Alpha computed from a correlation matrix (e.g. polychoric: "ordinal alpha").

    Same meaning as in :class:`AlphaResult`; ``alpha`` equals ``std_alpha`` here.
    ``item_stats`` columns: ``std_r``, ``r_cor``, ``r_drop``, ``alpha_if_dropped``,
    ``g6_if_dropped``, ``average_r_if_dropped``, ``signal_noise_if_dropped``,
    ``var_r_if_dropped``, ``median_r_if_dropped``.
    """

    items: tuple[str, ...]
    alpha: float
    g6: float
    average_r: float
    median_r: float
    var_r: float
    signal_noise: float
    item_stats: pd.DataFrame = field(repr=False)
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = {
            k: getattr(self, k)
            for k in ("items", "alpha", "g6", "average_r", "median_r", "var_r", "signal_noise", "warnings")
        }
        d["item_stats"] = self.item_stats.reset_index(names="item")
        return to_jsonable(d)


def alpha_from_cor(R: Any, *, items: list[str] | None = None) -> CorAlphaResult:
    """Standardised alpha of a correlation matrix; ordinal alpha when ``R`` is polychoric.

    ``alpha = k/(k-1) (1 - k / sum R)``, G6, average/median r, S/N and the item
    statistics as ``psych::alpha(R)`` on a correlation matrix (``$total$raw_alpha``,
    which equals ``std.alpha`` there; ``$item.stats$r``, ``r.cor``, ``r.drop``).
    Ordinal alpha (Zumbo, Gadermann & Zeisser 2007) = ``alpha_from_cor(polychoric(x).rho)``.
    """
    Rm, names = check_cor_matrix(R, items)
    tot = _alpha1(Rm, Rm)
    drop = _drop_stats(Rm, Rm, n_sub=0)
    sumR = Rm.sum()
    RC = Rm.copy()
    np.fill_diagonal(RC, smc(Rm))
    col = Rm.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r_drop = (col - 1.0) / np.sqrt(sumR - 2.0 * col + 1.0)
        std_r = col / np.sqrt(sumR)
        r_cor = RC.sum(axis=0) / np.sqrt(RC.sum())
    table = pd.DataFrame(
        {
            "std_r": std_r,
            "r_cor": r_cor,
            "r_drop": r_drop,
            "alpha_if_dropped": drop["raw"],
            "g6_if_dropped": drop["g6"],
            "average_r_if_dropped": drop["av_r"],
            "signal_noise_if_dropped": drop["sn"],
            "var_r_if_dropped": drop["var_r"],
            "median_r_if_dropped": drop["med_r"],
        },
        index=pd.Index(names, name="item"),
    )
    warn = ("the average inter-item correlation is negative: check the item keying",) if tot["av_r"] < 0 else ()
    return CorAlphaResult(
        items=tuple(names),
        alpha=float(tot["raw"]),
        g6=float(tot["g6"]),
        average_r=float(tot["av_r"]),
        median_r=float(tot["med_r"]),
        var_r=float(tot["var_r"]),
        signal_noise=float(tot["sn"]),
        item_stats=table,
        warnings=warn,
    )


# ----------------------------------------------------------------------------- omega
@dataclass(frozen=True)
class OmegaResult(StatResult):
    """McDonald's omega from a one-factor minres model (``psych::omega(x, nfactors=1)``).

    Attributes
    ----------
    omega_total : ``(sum R - sum u2) / sum R`` with ``u2 = 1 - g^2`` (psych ``omega.tot``).
    omega_h : ``(sum g)^2 / sum R`` (psych ``omega_h``; with one factor this is the
        "(sum of loadings)^2 / total variance" form, which differs from omega_total
        by the sum of the off-diagonal residuals).
    alpha : standardised alpha of ``R`` (psych ``$alpha``).
    loadings : one-factor minres loadings ``g`` (after psych's flip to positive).
    uniquenesses : ``1 - g^2``.
    flipped : items whose sign was reversed because their loading was negative
        (psych ``flip=TRUE``); empty when the keying is consistent.
    """

    items: tuple[str, ...]
    omega_total: float
    omega_h: float
    alpha: float
    loadings: np.ndarray = field(repr=False)
    uniquenesses: np.ndarray = field(repr=False)
    flipped: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(
            {
                f: getattr(self, f)
                for f in ("items", "omega_total", "omega_h", "alpha", "loadings", "uniquenesses", "flipped", "warnings")
            }
        )


def omega_total(R: Any, *, items: list[str] | None = None) -> OmegaResult:
    """Omega total from a one-factor minres solution; matches ``psych::omega(x, nfactors=1)``.

    ``g`` = loadings of ``fa(R, 1, fm="minres")`` (:func:`wamkit.stats.efa.fa`); items with ``g < 0`` are flipped
    (psych ``flip=TRUE``); ``omega.tot = (V_t - sum(1 - g^2)) / V_t`` and
    ``omega_h = (sum g)^2 / V_t`` with ``V_t`` the sum of the (flipped) ``R``.
    For raw data psych uses ``R = cor(x, use="pairwise")``
    (:func:`wamkit.stats.correlation.pairwise_cor`); with a polychoric ``R`` this is
    ordinal omega (``psych::omega(x, nfactors=1, poly=TRUE)``).
    """
    from wamkit.stats.efa import fa  # psych-exact minres (replays psych's optimiser)

    Rm, names = check_cor_matrix(R, items)
    k = Rm.shape[0]
    if k < 3:
        raise UsageError(f"omega needs at least 3 items, got {k}")
    f1 = fa(Rm, 1, fm="minres", rotate="none", items=names)
    lam = np.asarray(f1.loadings, dtype=float)[:, 0]
    warn = list(f1.warnings)
    key = np.where(lam < 0, -1.0, 1.0)
    Rk = Rm * np.outer(key, key)
    g = lam * key
    Vt = Rk.sum()
    u2 = 1.0 - g**2
    om_t = (Vt - u2.sum()) / Vt
    om_h = g.sum() ** 2 / Vt
    a = ((Vt - np.trace(Rk)) / Vt) * (k / (k - 1.0))
    flipped = tuple(n for n, s in zip(names, key, strict=False) if s < 0)
    if flipped:
        warn.append(f"item(s) with negative loadings were reversed: {', '.join(flipped)}")
    return OmegaResult(
        items=tuple(names),
        omega_total=float(om_t),
        omega_h=float(om_h),
        alpha=float(a),
        loadings=g,
        uniquenesses=u2,
        flipped=flipped,
        warnings=tuple(warn),
    )
