"""The statistics :func:`wamkit.shortform.shorten` reports for a form: scores, correlations, reliability and CFA.

Failures of a fit are not fatal: they leave NaN/None and append a note to the ``warn`` list they are given.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from wamkit.errors import DataError, WamkitError

__all__ = [
    "CV_MEASURES",
    "FIT_MEASURES",
    "heldout_srmr",
    "joint_cfa",
    "mean_fit",
    "mean_omega",
    "omega_alpha",
    "r_ci",
    "row_means",
]

#: the CFA fit measures reported (lavaan's names)
FIT_MEASURES = ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr")
#: the fit measures averaged over the held-out folds
CV_MEASURES = (*FIT_MEASURES, "heldout_srmr")


def row_means(arr: np.ndarray) -> np.ndarray:
    """Each row's mean over its answered items (NaN when none is answered)."""
    answered = (~np.isnan(arr)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(answered > 0, np.nansum(arr, axis=1) / answered, np.nan)


def r_ci(x: np.ndarray, y: np.ndarray, level: float) -> dict[str, float | int | None]:
    """Pearson r over pairwise-complete rows with a Fisher-z interval ``tanh(atanh r +- z / sqrt(n - 3))``
    (:func:`wamkit.stats.association.fisher_ci`, as ``cor.test``): ``estimate``, ``ci_low``, ``ci_high``, ``n``.

    None when fewer than 4 rows or a constant variable; ``|r| = 1`` gives the degenerate interval ``[r, r]``.
    """
    from wamkit.stats.association import fisher_ci

    ok = ~np.isnan(x) & ~np.isnan(y)
    n = int(ok.sum())
    if n < 4 or np.std(x[ok]) == 0 or np.std(y[ok]) == 0:
        return {"estimate": None, "ci_low": None, "ci_high": None, "n": n}
    r = float(np.corrcoef(x[ok], y[ok])[0, 1])
    if abs(r) >= 1.0:
        return {"estimate": r, "ci_low": r, "ci_high": r, "n": n}
    lo, hi = fisher_ci(r, n, level)
    return {"estimate": r, "ci_low": lo, "ci_high": hi, "n": n}


def omega_alpha(block: pd.DataFrame, warn: list[str], where: str) -> tuple[float, float]:
    """Omega total (psych, one factor) and standardised alpha of a block of items; NaN with a warning on failure."""
    from wamkit.stats.correlation import pairwise_cor
    from wamkit.stats.reliability import alpha_from_cor, omega_total

    om = al = float("nan")
    try:
        R, _ = pairwise_cor(block.to_numpy(dtype=float))
        if not np.isfinite(R).all():
            raise DataError("some item pairs have no rows in common")
        om = omega_total(R, items=list(block.columns)).omega_total
        al = alpha_from_cor(R, items=list(block.columns)).alpha
    except (WamkitError, np.linalg.LinAlgError, ValueError) as e:
        warn.append(f"{where}: reliability not computed ({e})")
    return float(om), float(al)


def joint_cfa(
    block: pd.DataFrame, factors: dict[str, list[str]], warn: list[str], where: str
) -> tuple[dict[str, Any] | None, Any]:
    """Joint CFA (lavaan ML, listwise) of the factors with at least 2 items; fit measures and the result."""
    from wamkit.stats.cfa import fit_cfa

    usable = {f: its for f, its in factors.items() if len(its) >= 2}
    if not usable or sum(len(v) for v in usable.values()) < 3:
        return None, None
    syntax = "; ".join(f"{f} =~ {' + '.join(its)}" for f, its in usable.items())
    try:
        res = fit_cfa(block, syntax)
    except (WamkitError, np.linalg.LinAlgError, ValueError) as e:
        warn.append(f"{where}: CFA not fitted ({e})")
        return None, None
    warn.extend(f"{where}: CFA {w}" for w in res.warnings)
    out: dict[str, Any] = {m: getattr(res.fit, m) for m in FIT_MEASURES}
    out["n"] = int(res.n_obs[0])
    out["converged"] = bool(res.converged)
    out["omega"] = dict(res.omega)
    return out, res


def heldout_srmr(test: pd.DataFrame, fitted: Any) -> float:
    """SRMR of a fitted CFA's implied correlations against held-out data (Browne & Cudeck's cross-validation
    idea): ``sqrt(mean_{j <= k} (r_jk - rho_jk)^2)`` with ``r`` the held-out pairwise correlations and ``rho`` the
    correlations implied by the model fitted on the training rows (the diagonal contributes zeros, as in
    Bentler's SRMR)."""
    from wamkit.stats.correlation import pairwise_cor

    its = list(fitted.items)
    R, _ = pairwise_cor(test[its].to_numpy(dtype=float))
    S = fitted.implied_cov[0]
    d = np.sqrt(np.diag(S))
    res = R - S / np.outer(d, d)
    il = np.tril_indices(len(its))
    return float(np.sqrt(np.nanmean(res[il] ** 2)))


def mean_fit(fits: list[dict[str, Any] | None]) -> dict[str, Any] | None:
    """The mean of each of :data:`CV_MEASURES` over the folds whose CFA was fitted, and their number."""
    got = [f for f in fits if f is not None]
    if not got:
        return None
    out: dict[str, Any] = {m: float(np.nanmean([f[m] for f in got])) for m in CV_MEASURES}
    out["folds"] = len(got)
    return out


def mean_omega(fits: list[dict[str, Any] | None], s: str) -> float | None:
    """The mean CFA omega of factor ``s`` over the folds that have one."""
    vals = [f["omega"].get(s) for f in fits if f is not None and f.get("omega")]
    vals = [v for v in vals if v is not None]
    return float(np.mean(vals)) if vals else None
