"""Intraclass correlations: Shrout–Fleiss forms and one-way cluster ICCs.

Two entry points:

* :func:`icc` — the six Shrout & Fleiss (1979) / McGraw & Wong (1996) forms from a
  complete targets × raters matrix, exactly as ``psych::ICC(x, lmer=FALSE)``.
* :func:`cluster_icc` — ICC(1), ICC(2) and the design effect of a variable measured
  on units nested in groups (clients within officers), exactly as
  ``psych::statsBy(data, group)$ICC1`` / ``$ICC2``.

Both are closed-form ANOVA computations on numpy arrays (no model fitting).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats as _sps

from wamkit.errors import DataError, UsageError
from wamkit.results import StatResult, to_jsonable

__all__ = ["ICCForm", "ICCResult", "ClusterICCResult", "icc", "cluster_icc"]

#: wamkit form name -> psych's label
PSYCH_NAMES = {
    "icc1": "ICC1",
    "icc_a1": "ICC2",
    "icc_c1": "ICC3",
    "icc1k": "ICC1k",
    "icc_ak": "ICC2k",
    "icc_ck": "ICC3k",
}


@dataclass(frozen=True)
class ICCForm:
    """One ICC form with its F test and confidence interval.

    Attributes
    ----------
    name : str
        wamkit name (``icc1``, ``icc_a1``, ``icc_c1``, ``icc1k``, ``icc_ak``, ``icc_ck``).
    psych_name : str
        The row label in ``psych::ICC()$results$type`` (``ICC1`` … ``ICC3k``).
    icc, f, df1, df2, p, lower, upper : float
        Coefficient, F statistic, its degrees of freedom, upper-tail p value and the
        ``1 - alpha`` confidence bounds.
    """

    name: str
    psych_name: str
    icc: float
    f: float
    df1: float
    df2: float
    p: float
    lower: float
    upper: float

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable({k: getattr(self, k) for k in self.__dataclass_fields__})


@dataclass(frozen=True)
class ICCResult(StatResult):
    """All six Shrout–Fleiss ICC forms for one targets × raters matrix.

    Attributes
    ----------
    icc1, icc_a1, icc_c1, icc1k, icc_ak, icc_ck : ICCForm
        Single-rater one-way (ICC1), two-way absolute agreement (ICC2 = ICC(A,1)),
        two-way consistency (ICC3 = ICC(C,1)) and their k-rater averages.
    n_targets, n_raters : int
        Size of the complete-case matrix analysed.
    n_dropped : int
        Rows (targets) dropped because they had a missing rating.
    alpha : float
        Two-sided error rate of the confidence bounds.
    ms_between, ms_within, ms_raters, ms_error : float
        ANOVA mean squares: targets, one-way within-target, raters, residual.
    warnings : tuple of str
        Human-readable notes (dropped rows, zero residual variance).
    """

    icc1: ICCForm
    icc_a1: ICCForm
    icc_c1: ICCForm
    icc1k: ICCForm
    icc_ak: ICCForm
    icc_ck: ICCForm
    n_targets: int
    n_raters: int
    n_dropped: int
    alpha: float
    ms_between: float
    ms_within: float
    ms_raters: float
    ms_error: float
    warnings: tuple[str, ...] = ()

    @property
    def forms(self) -> tuple[ICCForm, ...]:
        """The six forms in psych's row order."""
        return (self.icc1, self.icc_a1, self.icc_c1, self.icc1k, self.icc_ak, self.icc_ck)

    def table(self):
        """Tidy ``pandas.DataFrame``: one row per form, columns
        ``name, psych_name, icc, f, df1, df2, p, lower, upper``."""
        import pandas as pd

        cols = ("name", "psych_name", "icc", "f", "df1", "df2", "p", "lower", "upper")
        return pd.DataFrame([{c: getattr(f, c) for c in cols} for f in self.forms], columns=list(cols))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {f.name: f.to_dict() for f in self.forms}
        for key in (
            "n_targets",
            "n_raters",
            "n_dropped",
            "alpha",
            "ms_between",
            "ms_within",
            "ms_raters",
            "ms_error",
            "warnings",
        ):
            out[key] = getattr(self, key)
        return to_jsonable(out)


def _as_matrix(ratings: Any) -> np.ndarray:
    x = np.asarray(ratings, dtype=float)
    if x.ndim != 2:
        raise UsageError(f"ICC needs a 2-D targets x raters matrix; got {x.ndim} dimension(s)")
    return x


def icc(ratings: Any, *, alpha: float = 0.05) -> ICCResult:
    r"""Six Shrout–Fleiss intraclass correlations of a targets × raters matrix.

    Matches ``psych::ICC(x, lmer=FALSE, alpha=alpha)$results`` (ICC, F, df1, df2, p,
    lower bound, upper bound for ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k).

    With :math:`n` targets, :math:`k` raters and the two-way ANOVA mean squares
    :math:`MS_B` (targets), :math:`MS_J` (raters), :math:`MS_E` (residual) and the
    one-way within-target :math:`MS_W = (SS_J + SS_E) / (n(k-1))`:

    .. math::

        ICC(1) &= \frac{MS_B - MS_W}{MS_B + (k-1) MS_W}, \qquad
        ICC(1,k) = \frac{MS_B - MS_W}{MS_B} \\
        ICC(A,1) &= \frac{MS_B - MS_E}{MS_B + (k-1) MS_E + k (MS_J - MS_E)/n}, \qquad
        ICC(A,k) = \frac{MS_B - MS_E}{MS_B + (MS_J - MS_E)/n} \\
        ICC(C,1) &= \frac{MS_B - MS_E}{MS_B + (k-1) MS_E}, \qquad
        ICC(C,k) = \frac{MS_B - MS_E}{MS_B}

    F tests: :math:`MS_B/MS_W` on :math:`(n-1, n(k-1))` df for the one-way forms,
    :math:`MS_B/MS_E` on :math:`(n-1, (n-1)(k-1))` df for the two-way forms.
    Confidence bounds follow Shrout & Fleiss (1979) / McGraw & Wong (1996) with the
    Satterthwaite df for ICC(A,1), exactly as psych computes them.

    Parameters
    ----------
    ratings : array_like, shape (n_targets, k_raters)
        Ratings; rows with any missing value (NaN) are dropped (``n_dropped``).
        psych's ``ICC(lmer=FALSE)`` stops on missing data instead.
    alpha : float, default 0.05
        Two-sided error rate of the confidence bounds.

    Returns
    -------
    ICCResult

    Raises
    ------
    DataError
        Fewer than 2 complete targets, fewer than 2 raters, or no variance at all.
    """
    if not 0.0 < alpha < 1.0:
        raise UsageError(f"alpha must be between 0 and 1; got {alpha!r}")
    x = _as_matrix(ratings)
    n_all, k = x.shape
    if k < 2:
        raise DataError(f"ICC needs at least 2 raters (columns); got {k}")
    complete = np.isfinite(x).all(axis=1)
    x = x[complete]
    n = x.shape[0]
    n_dropped = int(n_all - n)
    if n < 2:
        raise DataError(
            f"ICC needs at least 2 targets with complete ratings; got {n} "
            f"({n_dropped} of {n_all} rows dropped for missing values)"
        )
    notes: list[str] = []
    if n_dropped:
        notes.append(f"{n_dropped} of {n_all} targets dropped for missing ratings (complete rows only)")

    grand = x.mean()
    row_means = x.mean(axis=1)
    col_means = x.mean(axis=0)
    ss_b = k * np.sum((row_means - grand) ** 2)
    ss_j = n * np.sum((col_means - grand) ** 2)
    resid = x - row_means[:, None] - col_means[None, :] + grand
    ss_e = np.sum(resid**2)
    if ss_b + ss_j + ss_e == 0.0:
        raise DataError("ICC is undefined: every rating has the same value")

    df_b, df_j, df_e = n - 1, k - 1, (n - 1) * (k - 1)
    df_w = n * (k - 1)
    msb = ss_b / df_b
    msj = ss_j / df_j
    mse = ss_e / df_e
    msw = (ss_j + ss_e) / df_w
    if mse == 0.0:
        notes.append(
            "residual variance is zero (raters agree up to a constant shift); F is infinite and consistency ICCs are 1"
        )

    with np.errstate(divide="ignore", invalid="ignore"):
        icc1 = (msb - msw) / (msb + (k - 1) * msw)
        icc2 = (msb - mse) / (msb + (k - 1) * mse + k * (msj - mse) / n)
        icc3 = (msb - mse) / (msb + (k - 1) * mse)
        icc1k = (msb - msw) / msb
        icc2k = (msb - mse) / (msb + (msj - mse) / n)
        icc3k = (msb - mse) / msb

        f11 = msb / msw
        f21 = msb / mse
        p11 = float(_sps.f.sf(f11, df_b, df_w))
        p21 = float(_sps.f.sf(f21, df_b, df_e))
        q = 1.0 - alpha / 2.0

        f1l = f11 / _sps.f.ppf(q, df_b, df_w)
        f1u = f11 * _sps.f.ppf(q, df_w, df_b)
        f3l = f21 / _sps.f.ppf(q, df_b, df_e)
        f3u = f21 * _sps.f.ppf(q, df_e, df_b)

        # ICC(A,1): Satterthwaite df (McGraw & Wong 1996, as in psych::ICC)
        fj = msj / mse
        vn = (k - 1) * (n - 1) * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
        vd = (n - 1) * k**2 * icc2**2 * fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
        v = vn / vd
        fu = _sps.f.ppf(q, n - 1, v)
        fl = _sps.f.ppf(q, v, n - 1)
        den = k * msj + (k * n - k - n) * mse
        l2 = n * (msb - fu * mse) / (fu * den + n * msb)
        u2 = n * (fl * msb - mse) / (den + n * fl * msb)

        bounds = {
            "icc1": ((f1l - 1) / (f1l + k - 1), (f1u - 1) / (f1u + k - 1)),
            "icc_a1": (l2, u2),
            "icc_c1": ((f3l - 1) / (f3l + k - 1), (f3u - 1) / (f3u + k - 1)),
            "icc1k": (1 - 1 / f1l, 1 - 1 / f1u),
            "icc_ak": (l2 * k / (1 + l2 * (k - 1)), u2 * k / (1 + u2 * (k - 1))),
            "icc_ck": (1 - 1 / f3l, 1 - 1 / f3u),
        }
    one_way = (f11, df_b, df_w, p11)
    two_way = (f21, df_b, df_e, p21)
    spec = {
        "icc1": (icc1, one_way),
        "icc_a1": (icc2, two_way),
        "icc_c1": (icc3, two_way),
        "icc1k": (icc1k, one_way),
        "icc_ak": (icc2k, two_way),
        "icc_ck": (icc3k, two_way),
    }
    forms = {
        name: ICCForm(
            name=name,
            psych_name=PSYCH_NAMES[name],
            icc=float(value),
            f=float(ft[0]),
            df1=float(ft[1]),
            df2=float(ft[2]),
            p=float(ft[3]),
            lower=float(bounds[name][0]),
            upper=float(bounds[name][1]),
        )
        for name, (value, ft) in spec.items()
    }
    return ICCResult(
        **forms,
        n_targets=int(n),
        n_raters=int(k),
        n_dropped=n_dropped,
        alpha=float(alpha),
        ms_between=float(msb),
        ms_within=float(msw),
        ms_raters=float(msj),
        ms_error=float(mse),
        warnings=tuple(notes),
    )


@dataclass(frozen=True)
class ClusterICCResult(StatResult):
    """One-way ICCs of a variable measured on units nested in groups.

    Attributes
    ----------
    icc1 : float
        Share of variance between groups, :math:`(MS_B - MS_W)/(MS_B + (\\bar m - 1) MS_W)`.
    icc2 : float
        Reliability of the group means, :math:`(MS_B - MS_W)/MS_B`.
    design_effect : float
        :math:`1 + (\\bar m - 1) \\cdot ICC1` (Kish).
    n_groups : int
        Groups with at least one non-missing value.
    mean_group_size : float
        psych's average group size :math:`\\bar m = N / G`.
    n_obs : int
        Non-missing values in groups with a known label.
    f, df1, df2, p : float
        One-way ANOVA F test of group differences (:math:`MS_B/MS_W` on
        :math:`G-1`, :math:`N-G` df).
    ms_between, ms_within : float
        ANOVA mean squares.
    warnings : tuple of str
    """

    icc1: float
    icc2: float
    design_effect: float
    n_groups: int
    mean_group_size: float
    n_obs: int
    f: float
    df1: float
    df2: float
    p: float
    ms_between: float
    ms_within: float
    warnings: tuple[str, ...] = ()

    def __iter__(self):
        """Unpack as ``(icc1, icc2, design_effect, n_groups, mean_group_size)``."""
        return iter((self.icc1, self.icc2, self.design_effect, self.n_groups, self.mean_group_size))

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable({k: getattr(self, k) for k in self.__dataclass_fields__})


def cluster_icc(values: Any, groups: Any) -> ClusterICCResult:
    r"""ICC(1), ICC(2) and design effect of ``values`` nested in ``groups``.

    Matches ``psych::statsBy(data, group)$ICC1`` and ``$ICC2`` (psych 2.2.9): a
    one-way ANOVA on the non-missing values with

    .. math::

        MS_B = \frac{\sum_g n_g (\bar x_g - \bar x)^2}{G - 1}, \quad
        MS_W = \frac{\sum_g (n_g - 1) s_g^2}{\sum_g (n_g - 1)}, \quad
        \bar m = \frac{N}{G}

        ICC1 = \frac{MS_B - MS_W}{MS_B + (\bar m - 1) MS_W}, \quad
        ICC2 = \frac{MS_B - MS_W}{MS_B}, \quad
        deff = 1 + (\bar m - 1)\, ICC1

    where :math:`G` counts groups with at least one value and :math:`N` the values.
    psych uses the arithmetic mean group size :math:`\bar m`, not the
    :math:`n_0` of unbalanced one-way ANOVA.

    Parameters
    ----------
    values : array_like, shape (n,)
        Numeric values; NaN entries are ignored.
    groups : array_like, shape (n,)
        Group labels (any hashable); rows with a missing label are ignored (as
        ``by()`` does in R).

    Returns
    -------
    ClusterICCResult
        Iterable as ``(icc1, icc2, design_effect, n_groups, mean_group_size)``.

    Raises
    ------
    DataError
        Fewer than 2 groups, no within-group replication, or no variance.
    """
    import pandas as pd

    v = np.asarray(values, dtype=float)
    if v.ndim != 1:
        raise UsageError(f"cluster_icc needs a 1-D array of values; got {v.ndim} dimensions")
    g = pd.Series(np.asarray(groups, dtype=object) if not isinstance(groups, pd.Series) else groups.to_numpy())
    if len(g) != len(v):
        raise UsageError(f"values ({len(v)}) and groups ({len(g)}) differ in length")
    keep = np.isfinite(v) & g.notna().to_numpy()
    v = v[keep]
    codes, _ = pd.factorize(g[keep], sort=False)
    n_groups = int(codes.max() + 1) if codes.size else 0
    if n_groups < 2:
        raise DataError(f"cluster ICC needs values in at least 2 groups; got {n_groups}")
    n_g = np.bincount(codes, minlength=n_groups).astype(float)
    sums = np.bincount(codes, weights=v, minlength=n_groups)
    means = sums / n_g
    n_obs = int(n_g.sum())
    grand = sums.sum() / n_obs
    ss_w = float(np.sum((v - means[codes]) ** 2))
    df_w = n_obs - n_groups
    if df_w < 1:
        raise DataError("cluster ICC needs at least one group with 2 or more values")
    msb = float(np.sum(n_g * (means - grand) ** 2) / (n_groups - 1))
    msw = ss_w / df_w
    if msb == 0.0 and msw == 0.0:
        raise DataError("cluster ICC is undefined: every value is the same")
    m_bar = n_obs / n_groups
    notes: list[str] = []
    with np.errstate(divide="ignore", invalid="ignore"):
        icc1 = (msb - msw) / (msb + msw * (m_bar - 1))
        icc2 = (msb - msw) / msb
        f = msb / msw
    if msw == 0.0:
        notes.append("within-group variance is zero; ICC1 and ICC2 are 1")
    if n_groups < 10:
        notes.append(f"only {n_groups} groups: the ICC is imprecise")
    return ClusterICCResult(
        icc1=float(icc1),
        icc2=float(icc2),
        design_effect=float(1.0 + (m_bar - 1.0) * icc1),
        n_groups=n_groups,
        mean_group_size=float(m_bar),
        n_obs=n_obs,
        f=float(f),
        df1=float(n_groups - 1),
        df2=float(df_w),
        p=float(_sps.f.sf(f, n_groups - 1, df_w)),
        ms_between=msb,
        ms_within=msw,
        warnings=tuple(notes),
    )
