"""Wald inference on linear combinations of estimated coefficients.

Shared by :mod:`wamkit.stats.models`, :mod:`wamkit.stats.surface` and
:mod:`wamkit.stats.apim`. For an estimate ``b`` with covariance ``V`` and a
weight vector ``c``, the combination ``c'b`` has standard error
``sqrt(c' V c)`` (exact for linear combinations; the delta method for smooth
functions, where ``c`` is the gradient). A joint hypothesis ``L b = r`` with q
rows is tested by ``W = (L b - r)' (L V L')^-1 (L b - r)``, referred to
chi^2(q) or, as ``F = W / q``, to F(q, df).

R equivalents: ``sqrt(t(c) %*% vcov(fit) %*% c)``; ``car::linearHypothesis(fit, L, rhs,
vcov. = V, test = "Chisq")`` for the chi^2 form; ``lmtest::waldtest(fit_restricted, fit,
vcov = V, test = "F")`` / ``anova(fit_restricted, fit)`` for the F form of a linear model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from wamkit.errors import DataError, UsageError
from wamkit.results import to_jsonable

__all__ = ["Estimate", "WaldTest", "combination", "normal_p", "t_p", "wald_test"]


@dataclass(frozen=True)
class Estimate:
    """A scalar estimate with its Wald inference.

    Attributes
    ----------
    estimate : float
        Point estimate.
    se : float
        Standard error.
    ci_low, ci_high : float
        ``estimate -+ q se`` with q the ``(1 + ci_level)/2`` quantile of the normal
        (``df`` is None) or of t on ``df`` degrees of freedom.
    statistic : float
        ``estimate / se`` (z or t).
    pvalue : float
        Two-sided p value of ``statistic`` (normal, or t on ``df``).
    df : float or None
        Degrees of freedom of the t reference distribution; None for a z test.
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    statistic: float
    pvalue: float
    df: float | None = None

    def to_dict(self) -> dict:
        """``{estimate, se, ci_low, ci_high, pvalue, statistic, df}`` (NaN -> None)."""
        return {
            k: to_jsonable(getattr(self, k))
            for k in ("estimate", "se", "ci_low", "ci_high", "pvalue", "statistic", "df")
        }

    def row(self) -> dict[str, float]:
        """The columns of a tidy frame: ``estimate, se, ci_low, ci_high, statistic, pvalue, df`` (df NaN for z)."""
        return {
            "estimate": self.estimate,
            "se": self.se,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "statistic": self.statistic,
            "pvalue": self.pvalue,
            "df": np.nan if self.df is None else self.df,
        }


@dataclass(frozen=True)
class WaldTest:
    """A test statistic with its reference distribution.

    Attributes
    ----------
    statistic : float
        chi^2, F or likelihood-ratio statistic.
    df : float
        Numerator degrees of freedom (number of constraints).
    df_denominator : float or None
        Denominator df of an F test, else None.
    pvalue : float
        Upper-tail p value.
    method : str
        ``"F"``, ``"Wald chi2"`` or ``"LR chi2"``.
    """

    statistic: float
    df: float
    pvalue: float
    method: str
    df_denominator: float | None = None

    def to_dict(self) -> dict:
        return {k: to_jsonable(getattr(self, k)) for k in ("statistic", "df", "df_denominator", "pvalue", "method")}


def normal_p(z: np.ndarray | float) -> np.ndarray | float:
    """Two-sided normal p value of z (R ``2 * pnorm(-abs(z))``)."""
    return 2 * special.ndtr(-np.abs(z))


def t_p(t: np.ndarray | float, df: float) -> np.ndarray | float:
    """Two-sided t p value on ``df`` degrees of freedom (R ``2 * pt(-abs(t), df)``)."""
    return 2 * special.stdtr(df, -np.abs(t))


def _check_level(ci_level: float) -> None:
    if not 0 < ci_level < 1:
        raise UsageError(f"ci_level must be between 0 and 1, got {ci_level!r}")


def combination(
    coef: np.ndarray,
    vcov: np.ndarray,
    weights: np.ndarray,
    *,
    df: float | None = None,
    ci_level: float = 0.95,
    value: float | None = None,
) -> Estimate:
    """Wald inference for ``c'b`` (or for ``value`` with gradient ``weights``, the delta method).

    Parameters
    ----------
    coef : array (k,)
        Coefficient estimates.
    vcov : array (k, k)
        Their covariance matrix.
    weights : array (k,)
        ``c``; the estimate is ``c'b`` unless ``value`` is given.
    df : float, optional
        Use t on ``df`` degrees of freedom (e.g. ``lm``'s residual df); default normal.
    ci_level : float
    value : float, optional
        Point estimate of a non-linear function whose gradient is ``weights`` (delta method).
    """
    _check_level(ci_level)
    c = np.asarray(weights, dtype=float)
    b = np.asarray(coef, dtype=float)
    V = np.asarray(vcov, dtype=float)
    if c.shape != b.shape or V.shape != (b.size, b.size):
        raise UsageError(f"weights must have {b.size} entries (one per coefficient), got {c.size}")
    est = float(c @ b) if value is None else float(value)
    var = float(c @ V @ c)
    se = math.sqrt(var) if var >= 0 else math.nan
    q = float(special.ndtri((1 + ci_level) / 2) if df is None else special.stdtrit(df, (1 + ci_level) / 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = est / se if se > 0 else math.nan
    p = float(normal_p(stat)) if df is None else float(t_p(stat, df))
    return Estimate(
        estimate=est,
        se=se,
        ci_low=est - q * se,
        ci_high=est + q * se,
        statistic=float(stat),
        pvalue=p,
        df=None if df is None else float(df),
    )


def wald_test(
    coef: np.ndarray, vcov: np.ndarray, L: np.ndarray, rhs: np.ndarray | None = None, *, df: float | None = None
) -> WaldTest:
    """Joint Wald test of ``L b = rhs``.

    ``W = (L b - rhs)' (L V L')^-1 (L b - rhs)``. Without ``df``: chi^2 on q = rows of L
    (``car::linearHypothesis(..., test = "Chisq")``); with ``df``: ``F = W / q`` on
    (q, df) (``test = "F"``; with the model-based ``vcov`` of an ``lm`` fit this is
    ``anova(restricted, full)``'s F).
    """
    b = np.asarray(coef, dtype=float)
    Lm = np.atleast_2d(np.asarray(L, dtype=float))
    if Lm.shape[1] != b.size:
        raise UsageError(f"L must have {b.size} columns (one per coefficient), got {Lm.shape[1]}")
    r = np.zeros(Lm.shape[0]) if rhs is None else np.asarray(rhs, dtype=float)
    d = Lm @ b - r
    M = Lm @ np.asarray(vcov, dtype=float) @ Lm.T
    try:
        W = float(d @ np.linalg.solve(M, d))
    except np.linalg.LinAlgError:
        raise DataError("the constraints' covariance matrix is singular; the Wald test is undefined") from None
    q = Lm.shape[0]
    if df is None:
        return WaldTest(statistic=W, df=float(q), pvalue=float(special.chdtrc(q, W)), method="Wald chi2")
    F = W / q
    return WaldTest(
        statistic=F, df=float(q), pvalue=float(special.fdtrc(q, df, F)), method="F", df_denominator=float(df)
    )
