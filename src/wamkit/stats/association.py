"""Bivariate association statistics for ``wamkit outcomes`` (R-exact).

Every function here reproduces a named R function; the reference values live in
``tests/reference/outcomes.json`` (made by ``tests/reference/outcomes.R``).

* :func:`correlate` -- ``stats::cor.test`` (Pearson, Spearman; point-biserial is
  Pearson with a 0/1 variable).
* :func:`adjust_p` -- ``stats::p.adjust`` (holm, BH, bonferroni, none).
* :func:`partial_correlation` -- ``psych::partial.r`` with the p value of
  ``psych::corr.p(r, n = n - k)``.
* :func:`compare_dependent_correlations` -- ``psych::r.test(n, r12, r13, r23)``
  (Williams' t, Steiger 1980 eq. 7).
* :func:`compare_correlations_with_outcome` -- the same from data (listwise).
* :func:`compare_nonoverlapping_correlations` -- ``psych::r.test(n, r12, r34,
  r23, r13, r14, r24)`` (Steiger's 1980 z for two non-overlapping dependent
  correlations).
* :func:`correlate_clustered` -- a correlation whose SE, CI and p respect clustering
  (clients nested in officers): the cluster-robust SE of lavaan
  ``sem("x ~~ y", cluster = "g", estimator = "MLR")``'s standardised covariance
  (default), or of the slope of ``lm(scale(y) ~ scale(x))`` with ``sandwich::vcovCL``
  (reference values in ``tests/reference/cluster_correlation.json``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

# not scipy.stats: it costs ~0.6 s of import on every outcomes run
from scipy import special

from wamkit.errors import DataError, UsageError
from wamkit.results import StatResult, to_jsonable

__all__ = [
    "ClusteredCorrelationResult",
    "CorrelationResult",
    "DependentCorrelationTest",
    "PartialCorrelationResult",
    "adjust_p",
    "compare_correlations_with_outcome",
    "compare_dependent_correlations",
    "compare_nonoverlapping_correlations",
    "correlate",
    "correlate_clustered",
    "fisher_ci",
    "partial_correlation",
]


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class CorrelationResult(StatResult):
    """Result of :func:`correlate`.

    Attributes
    ----------
    r : float
        Pearson's r or Spearman's rho.
    ci_low, ci_high : float
        Fisher-z confidence interval (NaN when n <= 3).
    p : float
        Two-sided p value (as ``cor.test``).
    n : int
        Number of pairwise-complete observations.
    method : str
        ``"pearson"`` or ``"spearman"``.
    ci_level : float
        Confidence level of the interval.
    statistic : float
        t (Pearson, df = n - 2) or S = (n^3 - n)(1 - rho)/6 (Spearman), as ``cor.test``.
    p_method : str
        How p was obtained: ``"t"`` (Pearson), ``"exact"`` / ``"edgeworth"``
        (Spearman without ties, AS 89) or ``"t-approx"`` (Spearman with ties or n > 1290).
    """

    r: float
    ci_low: float
    ci_high: float
    p: float
    n: int
    method: str
    ci_level: float = 0.95
    statistic: float = math.nan
    p_method: str = "t"

    def to_dict(self) -> dict:
        return {
            "r": to_jsonable(self.r),
            "ci_low": to_jsonable(self.ci_low),
            "ci_high": to_jsonable(self.ci_high),
            "p": to_jsonable(self.p),
            "n": self.n,
            "method": self.method,
            "ci_level": self.ci_level,
            "statistic": to_jsonable(self.statistic),
            "p_method": self.p_method,
        }


@dataclass(frozen=True)
class PartialCorrelationResult(StatResult):
    """Result of :func:`partial_correlation`.

    Unpacks as ``r, p, n, df = partial_correlation(...)``.

    Attributes
    ----------
    r : float
        Partial correlation of x and y controlling for the covariates.
    p : float
        Two-sided p of ``t = r sqrt(df) / sqrt(1 - r^2)`` on ``df`` degrees of freedom.
    n : int
        Listwise-complete rows on x, y and the covariates.
    df : int
        ``n - 2 - k`` with k the number of covariates.
    t : float
        The t statistic.
    x, y : str
        Column names.
    covariates : tuple of str
        Partialled-out columns.
    """

    r: float
    p: float
    n: int
    df: int
    t: float
    x: str
    y: str
    covariates: tuple[str, ...]

    def __iter__(self):
        return iter((self.r, self.p, self.n, self.df))

    def to_dict(self) -> dict:
        return {
            "r": to_jsonable(self.r),
            "p": to_jsonable(self.p),
            "n": self.n,
            "df": self.df,
            "t": to_jsonable(self.t),
            "x": self.x,
            "y": self.y,
            "covariates": list(self.covariates),
        }


@dataclass(frozen=True)
class DependentCorrelationTest(StatResult):
    """Result of :func:`compare_dependent_correlations` /
    :func:`compare_nonoverlapping_correlations`.

    Attributes
    ----------
    statistic : float
        Williams' t (three-variable case, signed as ``r12 - r13``) or Steiger's z
        (four-variable case, signed as ``z(r12) - z(r34)``).
    df : float
        Degrees of freedom of t (n - 3); NaN for the z test.
    p : float
        Two-sided p value.
    n : int
        Sample size.
    test : str
        ``"williams_t"`` or ``"steiger_z"``.
    difference : float
        ``r12 - r13`` or ``r12 - r34``.
    """

    statistic: float
    df: float
    p: float
    n: int
    test: str
    difference: float

    def to_dict(self) -> dict:
        return {k: to_jsonable(getattr(self, k)) for k in ("statistic", "df", "p", "n", "test", "difference")}


# --------------------------------------------------------------------------- helpers
def _rank_average(a: np.ndarray) -> np.ndarray:
    """Ranks 1..n with ties given their average rank (R ``rank()``, scipy ``rankdata``)."""
    order = np.argsort(a, kind="mergesort")
    s = a[order]
    new = np.r_[True, s[1:] != s[:-1]]
    group = np.cumsum(new)  # 1-based tie group in sorted order
    starts = np.r_[np.flatnonzero(new), a.size]  # first position of each group (+ end)
    avg = 0.5 * (starts[group - 1] + starts[group] - 1) + 1  # mean of 1-based positions in the group
    ranks = np.empty(a.size)
    ranks[order] = avg
    return ranks


def _as_float_vector(v, name: str) -> np.ndarray:
    if isinstance(v, (pd.Series, pd.Index)):
        return _columns(pd.DataFrame({name: np.asarray(v) if isinstance(v, pd.Index) else v}), [name])[:, 0]
    try:
        a = np.asarray(v, dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be numeric ({exc})") from None
    if a.ndim != 1:
        raise DataError(f"{name} must be one-dimensional, got shape {a.shape}")
    return a


def _columns(df: pd.DataFrame, cols: Sequence[str]) -> np.ndarray:
    """Numeric columns as an n x k float array (NaN = missing); non-numeric -> DataError."""
    out = np.empty((len(df), len(cols)))
    for j, c in enumerate(cols):
        col = df[c]
        dt = col.dtype
        if isinstance(dt, np.dtype) and dt.kind in "fiub":
            out[:, j] = col.to_numpy(dtype=float)
        elif pd.api.types.is_numeric_dtype(dt) or str(dt) == "boolean":
            out[:, j] = col.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        else:
            raise DataError(f"column {c!r} must be numeric (got {dt})")
    return out


def fisher_ci(r: float, n: float, ci_level: float = 0.95) -> tuple[float, float]:
    """Fisher-z interval of a correlation, exactly as ``cor.test``: ``tanh(atanh(r) +- z_(1+level)/2 / sqrt(n - 3))``.

    For a partial correlation controlling for k variables pass ``n - k`` (``psych::corr.p(r, n - k)``'s
    interval). NaN limits when ``n <= 3`` or r is not finite.
    """
    if n <= 3 or not np.isfinite(r):
        return math.nan, math.nan
    z = math.atanh(r) if abs(r) < 1 else math.copysign(math.inf, r)
    half = special.ndtri((1 + ci_level) / 2) / math.sqrt(n - 3)
    return math.tanh(z - half), math.tanh(z + half)


def _rank(a: np.ndarray) -> tuple[np.ndarray, bool]:
    """Average ranks (R ``rank``) and whether there are ties."""
    r = _rank_average(a)
    return r, bool(np.unique(a).size < a.size)


@lru_cache(maxsize=16)
def _spearman_exact_counts(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Distribution of S = sum (i - p_i)^2 over all n! permutations (n <= 9)."""
    perms = np.zeros((1, 0), dtype=np.int8)
    for k in range(1, n + 1):  # insert value k at every position of the (k-1)-permutations
        perms = np.concatenate([np.insert(perms, j, k, axis=1) for j in range(k)], axis=0)
    idx = np.arange(1, n + 1, dtype=np.int64)
    s = ((perms.astype(np.int64) - idx) ** 2).sum(axis=1)
    values, counts = np.unique(s, return_counts=True)
    return values, counts


_AS89 = (0.2274, 0.2531, 0.1745, 0.0758, 0.1033, 0.3932, 0.0879, 0.0151, 0.0072, 0.0831, 0.0131, 4.6e-4)


def _prho(n: int, s: float, lower_tail: bool) -> tuple[float, str]:
    """R's ``prho`` (stats/src/prho.c, AS 89): P[S >= s] (upper) or P[S < s] (lower).

    Exact enumeration for n <= 9, Edgeworth series otherwise.
    """
    if s <= 0:
        return (0.0 if lower_tail else 1.0), "exact"
    n3 = n * (n * n - 1) / 3.0  # maximal S
    if s > n3:
        return (1.0 if lower_tail else 0.0), "exact"
    if n <= 9:
        values, counts = _spearman_exact_counts(n)
        nfac = counts.sum()
        ifr = counts[values >= s].sum()
        return float((nfac - ifr) if lower_tail else ifr) / float(nfac), "exact"
    c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12 = _AS89
    b = 1.0 / n
    x = (6.0 * (s - 1) * b / (n * n - 1.0) - 1.0) * math.sqrt(1.0 / b - 1.0)
    y = x * x
    u = (
        x
        * b
        * (
            c1
            + b * (c2 + c3 * b)
            + y * (-c4 + b * (c5 + c6 * b) - y * b * (c7 + c8 * b - y * (c9 - c10 * b + y * b * (c11 - c12 * y))))
        )
    )
    upper = u / math.exp(y / 2) + special.ndtr(-x)
    p = (1.0 - upper) if lower_tail else upper
    return min(max(p, 0.0), 1.0), "edgeworth"


def _spearman_p(r: float, n: int, ties: bool) -> tuple[float, float, str]:
    """Two-sided p of ``cor.test(method="spearman")`` (default ``exact=NULL``)."""
    q = (n**3 - n) * (1 - r) / 6.0
    den = n * (n * n - 1) / 6.0
    if ties or n > 1290:
        if abs(r) >= 1:
            return q, 0.0, "t-approx"
        t = r / math.sqrt((1 - r * r) / (n - 2))
        return q, float(min(2 * special.stdtr(n - 2, -abs(t)), 1.0)), "t-approx"
    if q > den:
        p, how = _prho(n, float(round(q)), lower_tail=False)
    else:
        p, how = _prho(n, float(round(q)) + 2, lower_tail=True)
    return q, min(2 * p, 1.0), how


# --------------------------------------------------------------------------- correlate
def correlate(x, y, *, method: str = "pearson", ci_level: float = 0.95) -> CorrelationResult:
    """Correlation with confidence interval and p value, as R ``cor.test``.

    Observations missing on x or y are dropped pairwise.

    Pearson: ``r``; ``t = r sqrt(n-2) / sqrt(1-r^2)``, p two-sided on n - 2 df;
    CI ``tanh(atanh(r) +- z_{(1+level)/2} / sqrt(n-3))``. Matches
    ``cor.test(x, y)$estimate, $p.value, $conf.int``. A point-biserial
    correlation is Pearson with a 0/1 variable.

    Spearman: ``rho = cor(rank(x), rank(y))`` with average ranks; the p value is
    that of ``cor.test(x, y, method="spearman")`` with its default
    ``exact=NULL``: with ties (any) or n > 1290 the asymptotic
    ``t = rho sqrt(n-2)/sqrt(1-rho^2)`` on n - 2 df; without ties R's AS 89
    algorithm on ``S = (n^3-n)(1-rho)/6`` (exact permutation distribution for
    n <= 9, Edgeworth series for 10 <= n <= 1290). R reports no CI for
    Spearman; wamkit gives the Fisher-z interval with the Pearson formula
    (``1/sqrt(n-3)``), an approximation.

    Parameters
    ----------
    x, y : array-like
        Numeric vectors of equal length (NaN = missing).
    method : {"pearson", "spearman"}
    ci_level : float
        Confidence level in (0, 1).

    Returns
    -------
    CorrelationResult

    Raises
    ------
    DataError
        Fewer than 3 complete pairs, or a constant variable.
    UsageError
        Unknown method or invalid ci_level.
    """
    if method not in ("pearson", "spearman"):
        raise UsageError(f"unknown correlation method {method!r}; use 'pearson' or 'spearman'")
    if not 0 < ci_level < 1:
        raise UsageError(f"ci_level must be between 0 and 1, got {ci_level!r}")
    xa = _as_float_vector(x, "x")
    ya = _as_float_vector(y, "y")
    if xa.shape != ya.shape:
        raise DataError(f"x and y differ in length ({xa.size} vs {ya.size})")
    ok = np.isfinite(xa) & np.isfinite(ya)
    xa, ya = xa[ok], ya[ok]
    n = int(xa.size)
    if n < 3:
        raise DataError(f"correlation needs at least 3 complete pairs, got {n}")
    ties = False
    if method == "spearman":
        xr, tx = _rank(xa)
        yr, ty = _rank(ya)
        ties = tx or ty
        xa, ya = xr, yr
    xc = xa - xa.mean()
    yc = ya - ya.mean()
    sxx, syy = float(xc @ xc), float(yc @ yc)
    if sxx == 0 or syy == 0:
        which = "x" if sxx == 0 else "y"
        raise DataError(f"correlation undefined: {which} is constant over the {n} complete pairs")
    r = float(xc @ yc) / math.sqrt(sxx * syy)
    r = min(max(r, -1.0), 1.0)
    if method == "pearson":
        df = n - 2
        if abs(r) < 1:
            t = r * math.sqrt(df) / math.sqrt(1 - r * r)
            p = float(2 * special.stdtr(df, -abs(t)))
        else:
            t, p = math.copysign(math.inf, r), 0.0
        statistic, how = t, "t"
    else:
        statistic, p, how = _spearman_p(r, n, ties)
    lo, hi = fisher_ci(r, n, ci_level)
    return CorrelationResult(
        r=r,
        ci_low=lo,
        ci_high=hi,
        p=p,
        n=n,
        method=method,
        ci_level=float(ci_level),
        statistic=float(statistic),
        p_method=how,
    )


# --------------------------------------------------------------------------- p.adjust
_P_METHODS = {"holm": "holm", "fdr_bh": "BH", "bh": "BH", "fdr": "BH", "bonferroni": "bonferroni", "none": "none"}


def adjust_p(p, *, method: str = "holm") -> np.ndarray:
    """Multiplicity-adjusted p values, as R ``p.adjust(p, method)``.

    NaN entries stay NaN and do not count in the family (R: ``n = sum(!is.na(p))``).
    With m non-missing p values sorted increasingly ``p_(1) <= ... <= p_(m)``:

    * ``bonferroni``: ``min(1, m p)``;
    * ``holm``: ``min(1, cummax_i((m - i + 1) p_(i)))``;
    * ``fdr_bh`` (R ``"BH"``, aliases ``"bh"``, ``"fdr"``):
      ``min(1, cummin from the top of (m / i) p_(i))``;
    * ``none``: unchanged.

    Parameters
    ----------
    p : array-like of float
        P values (any shape; NaN = missing).
    method : {"holm", "fdr_bh", "bonferroni", "none"}

    Returns
    -------
    numpy.ndarray
        Adjusted p values, same shape as ``p`` (a new array).
    """
    key = _P_METHODS.get(str(method).lower())
    if key is None:
        raise UsageError(f"unknown p-value adjustment {method!r}; use holm, fdr_bh, bonferroni or none")
    arr = np.array(p, dtype=float, copy=True)
    flat = arr.reshape(-1)
    if np.any((flat < 0) | (flat > 1)):
        raise DataError("p values must lie between 0 and 1")
    ok = ~np.isnan(flat)
    pv = flat[ok]
    m = pv.size
    if m == 0 or key == "none":
        return arr
    if key == "bonferroni":
        adj = np.minimum(1.0, m * pv)
    elif key == "holm":
        o = np.argsort(pv, kind="stable")
        i = np.arange(1, m + 1)
        adj_sorted = np.minimum(1.0, np.maximum.accumulate((m - i + 1) * pv[o]))
        adj = np.empty(m)
        adj[o] = adj_sorted
    else:  # BH
        o = np.argsort(pv, kind="stable")[::-1]
        i = np.arange(m, 0, -1)
        adj_sorted = np.minimum(1.0, np.minimum.accumulate(m / i * pv[o]))
        adj = np.empty(m)
        adj[o] = adj_sorted
    flat[ok] = adj
    return arr


# --------------------------------------------------------------------------- partial r
def partial_correlation(df: pd.DataFrame, x: str, y: str, covariates: Sequence[str]) -> PartialCorrelationResult:
    """Partial correlation of ``x`` and ``y`` controlling for ``covariates``.

    Rows with a missing value on any used column are dropped (listwise). With
    the correlation matrix R of the complete rows partitioned into the pair
    (x, y) and the k covariates Z, the residual matrix
    ``R_xx - R_xz R_zz^{-1} R_zx`` is scaled to a correlation: this equals
    ``psych::partial.r(d, c(x, y), covariates)[1, 2]`` on the listwise data ``d``.

    The p value is that of ``psych::corr.p(r, n = n - k)`` (equivalently
    ``ppcor::pcor.test``): ``t = r sqrt(n - 2 - k) / sqrt(1 - r^2)``, two-sided,
    on ``n - 2 - k`` df.

    Parameters
    ----------
    df : pandas.DataFrame
    x, y : str
        Column names of the two variables.
    covariates : sequence of str
        Columns partialled out (may be empty: then this is Pearson's r).

    Returns
    -------
    PartialCorrelationResult
        Unpacks as ``(r, p, n, df)``.
    """
    covs = [covariates] if isinstance(covariates, str) else list(covariates)
    cols = [x, y, *covs]
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise UsageError(f"unknown column(s): {', '.join(map(str, missing))}")
    if len(set(cols)) != len(cols):
        raise UsageError("x, y and the covariates must be distinct columns")
    data = _columns(df, cols)
    data = data[np.isfinite(data).all(axis=1)]
    n, k = data.shape[0], len(covs)
    dof = n - 2 - k
    if dof < 1:
        raise DataError(f"partial correlation needs more than {k + 2} complete rows, got {n}")
    sd = data.std(axis=0, ddof=1)
    if np.any(sd == 0):
        bad = [c for c, s in zip(cols, sd, strict=False) if s == 0]
        raise DataError(f"partial correlation undefined: constant column(s) {', '.join(bad)}")
    corr = np.corrcoef(data, rowvar=False)
    res = corr[:2, :2]
    if k:
        try:
            res = res - corr[:2, 2:] @ np.linalg.solve(corr[2:, 2:], corr[2:, :2])
        except np.linalg.LinAlgError:
            raise DataError("partial correlation undefined: the covariates are collinear") from None
    r = float(res[0, 1] / math.sqrt(res[0, 0] * res[1, 1]))
    if abs(r) < 1:
        t = r * math.sqrt(dof) / math.sqrt(1 - r * r)
        p = float(2 * special.stdtr(dof, -abs(t)))
    else:
        t, p = math.copysign(math.inf, r), 0.0
    return PartialCorrelationResult(
        r=r, p=p, n=int(n), df=int(dof), t=float(t), x=str(x), y=str(y), covariates=tuple(map(str, covs))
    )


# --------------------------------------------------------------------------- r.test
def _check_r(**rs: float) -> None:
    for name, v in rs.items():
        if not (isinstance(v, (int, float, np.floating, np.integer)) and -1 < float(v) < 1):
            raise DataError(f"{name} must be a correlation strictly between -1 and 1, got {v!r}")


def compare_dependent_correlations(r12: float, r13: float, r23: float, n: int) -> DependentCorrelationTest:
    """Test r12 = r13 for two correlations sharing variable 1 (Williams' t).

    Use for "outcome y with predictor at T0 vs the same outcome with the
    predictor at T1": variable 1 = y, 2 = x(T0), 3 = x(T1), so r12 = r(y, x0),
    r13 = r(y, x1), r23 = r(x0, x1).

    Formula (Williams 1959, Steiger 1980 eq. 7) as ``psych::r.test(n, r12, r13, r23)``::

        |R| = 1 - r12^2 - r13^2 - r23^2 + 2 r12 r13 r23
        rbar = (r12 + r13) / 2
        t = (r12 - r13) sqrt((n - 1)(1 + r23) /
                             (2 (n - 1)/(n - 3) |R| + rbar^2 (1 - r23)^3))

    on n - 3 df, two-sided. Matches ``r.test(...)$t`` and ``$p``. Note the
    argument order differs from ``r.test`` (n comes last here); a count passed
    as a correlation is rejected with a DataError.
    """
    _check_r(r12=r12, r13=r13, r23=r23)
    if n <= 3:
        raise DataError(f"comparing dependent correlations needs n > 3, got {n}")
    r12, r13, r23 = float(r12), float(r13), float(r23)
    det = 1 - r12 * r12 - r23 * r23 - r13 * r13 + 2 * r12 * r23 * r13
    av = (r12 + r13) / 2
    cube = (1 - r23) ** 3
    denom = (2 * (n - 1) / (n - 3)) * det + av * av * cube
    if denom <= 0:
        raise DataError("the three correlations are inconsistent (not a valid correlation matrix)")
    t = (r12 - r13) * math.sqrt((n - 1) * (1 + r23) / denom)
    p = float(2 * special.stdtr(n - 3, -abs(t)))
    return DependentCorrelationTest(
        statistic=t, df=float(n - 3), p=p, n=int(n), test="williams_t", difference=r12 - r13
    )


def compare_correlations_with_outcome(df: pd.DataFrame, outcome: str, x_a: str, x_b: str) -> DependentCorrelationTest:
    """Williams' t for r(outcome, x_a) = r(outcome, x_b), computed from data.

    The typical use is one outcome and the same predictor at two waves
    (x_a = trust at T0, x_b = trust at T1). Rows missing on any of the three
    columns are dropped (listwise, so that all three Pearson correlations share
    one n), then :func:`compare_dependent_correlations` is applied with
    ``r12 = r(outcome, x_a)``, ``r13 = r(outcome, x_b)``, ``r23 = r(x_a, x_b)``.
    Equals ``psych::r.test(n, r12, r13, r23)`` on ``cor(d)`` of the complete rows.
    """
    cols = [outcome, x_a, x_b]
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise UsageError(f"unknown column(s): {', '.join(map(str, missing))}")
    if len(set(cols)) != 3:
        raise UsageError("outcome, x_a and x_b must be three distinct columns")
    data = _columns(df, cols)
    data = data[np.isfinite(data).all(axis=1)]
    n = data.shape[0]
    if n < 5:
        raise DataError(f"comparing correlations needs at least 5 complete rows, got {n}")
    sd = data.std(axis=0, ddof=1)
    if np.any(sd == 0):
        bad = [c for c, s in zip(cols, sd, strict=False) if s == 0]
        raise DataError(f"correlation undefined: constant column(s) {', '.join(bad)}")
    r = np.corrcoef(data, rowvar=False)
    return compare_dependent_correlations(r[0, 1], r[0, 2], r[1, 2], n)


def compare_nonoverlapping_correlations(
    *, r12: float, r34: float, r13: float, r14: float, r23: float, r24: float, n: int, pooled: bool = True
) -> DependentCorrelationTest:
    """Test r12 = r34 for two dependent correlations without a shared variable.

    Steiger (1980) z as ``psych::r.test(n, r12, r34, r23, r13, r14, r24, pooled=pooled)``::

        rbar = (r12 + r34) / 2                       (pooled=True; else r12, r34)
        psi = 1/2 [(r13 - rbar r23)(r24 - r23 rbar) + (r14 - r13 rbar)(r23 - rbar r13)
                 + (r13 - r14 rbar)(r24 - rbar r14) + (r14 - rbar r24)(r23 - r24 rbar)]
        c = psi / (1 - rbar^2)^2
        z = (atanh r12 - atanh r34) sqrt(n - 3) / sqrt(2 (1 - c))

    p two-sided normal. Matches ``r.test(...)$z`` (signed) and ``$p``.
    """
    _check_r(r12=r12, r34=r34, r13=r13, r14=r14, r23=r23, r24=r24)
    if n <= 3:
        raise DataError(f"comparing dependent correlations needs n > 3, got {n}")
    r12, r34, r13, r14, r23, r24 = map(float, (r12, r34, r13, r14, r23, r24))
    if pooled:
        pr = (r12 + r34) / 2
        psi = 0.5 * (
            (r13 - pr * r23) * (r24 - r23 * pr)
            + (r14 - r13 * pr) * (r23 - pr * r13)
            + (r13 - r14 * pr) * (r24 - pr * r14)
            + (r14 - pr * r24) * (r23 - r24 * pr)
        )
        c = psi / ((1 - pr * pr) * (1 - pr * pr))
    else:
        psi = 0.5 * (
            (r13 - r12 * r23) * (r24 - r23 * r34)
            + (r14 - r13 * r34) * (r23 - r12 * r13)
            + (r13 - r14 * r34) * (r24 - r12 * r14)
            + (r14 - r12 * r24) * (r23 - r24 * r34)
        )
        c = psi / ((1 - r12 * r12) * (1 - r34 * r34))
    if c >= 1:
        raise DataError("the six correlations are inconsistent (covariance term >= 1)")
    z = (math.atanh(r12) - math.atanh(r34)) * math.sqrt(n - 3) / math.sqrt(2 * (1 - c))
    p = float(2 * special.ndtr(-abs(z)))
    return DependentCorrelationTest(statistic=z, df=math.nan, p=p, n=int(n), test="steiger_z", difference=r12 - r34)


# --------------------------------------------------------------------------- clustered r
@dataclass(frozen=True)
class ClusteredCorrelationResult(StatResult):
    """Result of :func:`correlate_clustered`.

    Attributes
    ----------
    r : float
        Pearson's r (or Spearman's rho: Pearson on average ranks).
    se : float
        Cluster-robust standard error of r.
    se_z : float
        Its Fisher-z counterpart ``se / (1 - r^2)`` (delta method).
    ci_low, ci_high : float
        ``tanh(atanh(r) -+ q se_z)``, q the normal ``(1 + ci_level)/2`` quantile.
    statistic : float
        ``influence``: z = ``atanh(r) / se_z``; ``regression``: t = ``r / se``.
    df : float or None
        ``regression``: ``n - 2`` (t reference, as ``lmtest::coeftest``); else None.
    p : float
        Two-sided p value of ``statistic``.
    n : int
        Complete (x, y, cluster) rows.
    n_clusters : int
    method : str
        ``"pearson"`` or ``"spearman"``.
    se_method : str
        ``"influence"`` or ``"regression"``.
    ci_level : float
    """

    r: float
    se: float
    se_z: float
    ci_low: float
    ci_high: float
    statistic: float
    df: float | None
    p: float
    n: int
    n_clusters: int
    method: str
    se_method: str
    ci_level: float

    def to_dict(self) -> dict:
        return {
            k: to_jsonable(getattr(self, k))
            for k in (
                "r",
                "se",
                "se_z",
                "ci_low",
                "ci_high",
                "statistic",
                "df",
                "p",
                "n",
                "n_clusters",
                "method",
                "se_method",
                "ci_level",
            )
        }


def correlate_clustered(
    x, y, cluster, *, method: str = "pearson", se_method: str = "influence", ci_level: float = 0.95
) -> ClusteredCorrelationResult:
    """Correlation with a cluster-robust SE, CI and p (e.g. clients nested in officers).

    With ``zx``, ``zy`` the variables standardised by their ML SDs (divisor n) and
    r Pearson's r of the complete rows:

    * ``se_method="influence"`` (default): the influence function of r,
      ``IF_i = zx_i zy_i - r (zx_i^2 + zy_i^2) / 2``, summed within clusters,
      ``U_g = sum_{i in g} IF_i``, gives ``se = sqrt(G/(G-1) sum_g U_g^2) / n``. This is
      the delta-method SE of the standardised covariance from the cluster-robust
      covariance of (var x, var y, cov xy), i.e. lavaan
      ``standardizedSolution(sem("x ~~ y", data, cluster = "g", estimator = "MLR"))``'s
      ``se``; without clustering (one row per cluster) it reduces to the asymptotically
      distribution-free SE of r, ``~ (1 - r^2) / sqrt(n)`` for normal data, matching
      Fisher's z.
    * ``se_method="regression"``: the slope of ``lm(scale(y) ~ scale(x))`` (= r) with
      ``sandwich::vcovCL(fit, cluster = ~g)`` (HC1: ``G/(G-1) (n-1)/(n-2)``); t on n - 2 df
      as ``lmtest::coeftest``. It treats the SDs as known, so its SE exceeds the
      influence-function SE by about ``1/sqrt(1 - r^2)`` when |r| is not small
      (conservative); offered because it is what ``vcovCL`` gives directly.

    Both report the CI on the Fisher-z scale, ``tanh(atanh(r) -+ q se/(1 - r^2))`` (normal
    q). ``influence``: p from ``z = atanh(r) (1 - r^2) / se`` (so p < alpha exactly when the CI
    excludes 0; lavaan's ``r / se`` is asymptotically the same); ``regression``: p from
    ``t = r / se`` on n - 2 df.

    ``method="spearman"`` applies the same to average ranks (the ranks are treated as data;
    an approximation).

    Parameters
    ----------
    x, y : array-like
        Numeric vectors (NaN = missing).
    cluster : array-like
        Cluster labels (missing = row dropped).
    method : {"pearson", "spearman"}
    se_method : {"influence", "regression"}
    ci_level : float

    Raises
    ------
    DataError
        Fewer than 3 complete rows or 2 clusters, a constant variable, |r| = 1.
    """
    if method not in ("pearson", "spearman"):
        raise UsageError(f"unknown correlation method {method!r}; use 'pearson' or 'spearman'")
    if se_method not in ("influence", "regression"):
        raise UsageError(f"unknown se_method {se_method!r}; use 'influence' or 'regression'")
    if not 0 < ci_level < 1:
        raise UsageError(f"ci_level must be between 0 and 1, got {ci_level!r}")
    xa = _as_float_vector(x, "x")
    ya = _as_float_vector(y, "y")
    cl = pd.Series(
        np.asarray(cluster, dtype=object) if not isinstance(cluster, pd.Series) else cluster.to_numpy(dtype=object)
    )
    if not (xa.shape == ya.shape and cl.size == xa.size):
        raise DataError(f"x, y and cluster differ in length ({xa.size}, {ya.size}, {cl.size})")
    ok = np.isfinite(xa) & np.isfinite(ya) & cl.notna().to_numpy()
    xa, ya = xa[ok], ya[ok]
    codes, uniq = pd.factorize(cl[ok])
    n, G = int(xa.size), len(uniq)
    if n < 3:
        raise DataError(f"correlation needs at least 3 complete rows, got {n}")
    if G < 2:
        raise DataError(f"cluster-robust standard errors need at least 2 clusters, got {G}")
    if method == "spearman":
        xa, ya = _rank_average(xa), _rank_average(ya)
    xc, yc = xa - xa.mean(), ya - ya.mean()
    sxx, syy = float(xc @ xc), float(yc @ yc)
    if sxx == 0 or syy == 0:
        which = "x" if sxx == 0 else "y"
        raise DataError(f"correlation undefined: {which} is constant over the {n} complete rows")
    r = float(xc @ yc) / math.sqrt(sxx * syy)
    if abs(r) >= 1:
        raise DataError("the correlation is +-1: no standard error")
    if se_method == "influence":
        zx, zy = xc / math.sqrt(sxx / n), yc / math.sqrt(syy / n)
        inf = zx * zy - r * (zx * zx + zy * zy) / 2
        U = np.bincount(codes, weights=inf, minlength=G)
        se = math.sqrt(G / (G - 1) * float(U @ U)) / n
        df = None
    else:
        zx, zy = xc / math.sqrt(sxx / (n - 1)), yc / math.sqrt(syy / (n - 1))
        e = zy - r * zx  # residuals of the standardised regression (intercept 0)
        S = np.column_stack(
            [np.bincount(codes, weights=e, minlength=G), np.bincount(codes, weights=zx * e, minlength=G)]
        )
        B = np.diag([1 / n, 1 / float(zx @ zx)])  # (X'X)^-1: the standardised columns are orthogonal
        V = G / (G - 1) * (n - 1) / (n - 2) * B @ (S.T @ S) @ B
        se = math.sqrt(V[1, 1])
        df = float(n - 2)
    se_z = se / (1 - r * r)
    q = float(special.ndtri((1 + ci_level) / 2))
    z = math.atanh(r)
    if se_method == "influence":
        stat = z / se_z
        p = float(2 * special.ndtr(-abs(stat)))
    else:
        stat = r / se
        p = float(2 * special.stdtr(n - 2, -abs(stat)))
    return ClusteredCorrelationResult(
        r=r,
        se=se,
        se_z=se_z,
        ci_low=math.tanh(z - q * se_z),
        ci_high=math.tanh(z + q * se_z),
        statistic=float(stat),
        df=df,
        p=p,
        n=n,
        n_clusters=G,
        method=method,
        se_method=se_method,
        ci_level=float(ci_level),
    )
