"""Step 4: correlations (Pearson, point-biserial for binary outcomes, Spearman) and partial
correlations of every predictor with every outcome, per rater x wave split.

Without an officer column: ``cor.test`` (:func:`wamkit.stats.association.correlate`). With one
(clients nested in officers): the same r with a cluster-robust SE, CI and p
(:func:`wamkit.stats.association.correlate_clustered`, influence-function SE summed within
officers = lavaan ``sem("x ~~ y", cluster=, estimator="MLR")``; Fisher-z CI; z test). Partial
correlations (``psych::partial.r``, p of ``corr.p(r, n - k)``, Fisher-z CI on ``n - k``) do not
account for clustering; the settings say so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from wamkit.errors import DataError
from wamkit.outcomes.design import CLUSTER, AnalysisData, Split
from wamkit.outcomes.spec import AnalysisSpec
from wamkit.stats import association as assoc

__all__ = ["CORRELATION_COLUMNS", "METHODS", "PARTIAL_COLUMNS", "inference_text", "split_correlations"]

METHODS = ("pearson", "spearman")
CORRELATION_COLUMNS = (
    "predictor",
    "outcome",
    "rater",
    "wave",
    "method",
    "r",
    "ci_low",
    "ci_high",
    "p",
    "p_adj",
    "n",
    "statistic",
    "p_method",
    "inference",
    "se",
    "n_clusters",
)
PARTIAL_COLUMNS = (
    "predictor",
    "outcome",
    "rater",
    "wave",
    "covariates",
    "r",
    "ci_low",
    "ci_high",
    "p",
    "p_adj",
    "n",
    "df",
    "t",
)


def inference_text(spec: AnalysisSpec) -> str:
    """How the correlations' CIs and p values were computed (for the settings and the report)."""
    if spec.officer is None:
        return "cor.test: t test (Pearson), exact or asymptotic t (Spearman); Fisher-z CI"
    method = spec.settings.correlation_se
    how = (
        "influence-function SE of r summed within officers (= lavaan MLR cluster-robust SE), z test"
        if method == "influence"
        else "SE of the standardised slope with sandwich::vcovCL by officer, t test on n - 2 df"
    )
    return (
        f"cluster-robust by {spec.officer}: {how}; Fisher-z CI. Partial correlations and wave comparisons "
        "do not account for the clustering"
    )


def _one(x: np.ndarray, y: np.ndarray, cl: np.ndarray | None, method: str, spec: AnalysisSpec) -> dict:
    level = spec.settings.ci_level
    if cl is None:
        res = assoc.correlate(x, y, method=method, ci_level=level)
        return {
            "r": res.r,
            "ci_low": res.ci_low,
            "ci_high": res.ci_high,
            "p": res.p,
            "n": res.n,
            "statistic": res.statistic,
            "p_method": res.p_method,
            "inference": "cor.test",
            "se": np.nan,
            "n_clusters": None,
        }
    c = assoc.correlate_clustered(x, y, cl, method=method, se_method=spec.settings.correlation_se, ci_level=level)
    return {
        "r": c.r,
        "ci_low": c.ci_low,
        "ci_high": c.ci_high,
        "p": c.p,
        "n": c.n,
        "statistic": c.statistic,
        "p_method": "z" if c.df is None else "t",
        "inference": f"cluster-robust ({c.se_method})",
        "se": c.se,
        "n_clusters": c.n_clusters,
    }


def _partial(x: np.ndarray, y: np.ndarray, cols: Mapping[str, np.ndarray], spec: AnalysisSpec) -> dict:
    covs = spec.covariates
    cf = pd.DataFrame({"x": x, "y": y, **{f"c{i}": cols[c] for i, c in enumerate(covs)}})
    pr = assoc.partial_correlation(cf, "x", "y", [f"c{i}" for i in range(len(covs))])
    lo, hi = assoc.fisher_ci(pr.r, pr.n - len(covs), spec.settings.ci_level)
    return {
        "covariates": list(covs),
        "r": pr.r,
        "ci_low": lo,
        "ci_high": hi,
        "p": pr.p,
        "p_adj": np.nan,
        "n": pr.n,
        "df": pr.df,
        "t": pr.t,
    }


def split_correlations(
    spec: AnalysisSpec,
    ad: AnalysisData,
    split: Split,
    cols: Mapping[str, np.ndarray],
    avail: Sequence[str],
    live: Sequence[str],
) -> tuple[list[dict], list[dict], list[str]]:
    """Correlation rows, partial-correlation rows and warnings of one split."""
    corr: list[dict] = []
    part: list[dict] = []
    warns: list[str] = []
    cl = cols.get(CLUSTER)
    for o in live:
        y = cols[ad.outcome[o]]
        for p in avail:
            base = {"predictor": p, "outcome": o, "rater": split.rater, "wave": split.wave}
            for method in METHODS:
                try:
                    corr.append({**base, "method": method, "p_adj": np.nan, **_one(cols[p], y, cl, method, spec)})
                except DataError as e:
                    if method == "pearson":
                        warns.append(f"correlation {p} with {o} [{split.label}] not computed: {e.message}")
            if spec.covariates:
                try:
                    part.append({**base, **_partial(cols[p], y, cols, spec)})
                except DataError as e:
                    warns.append(f"partial correlation {p} with {o} [{split.label}] not computed: {e.message}")
    return corr, part, warns
