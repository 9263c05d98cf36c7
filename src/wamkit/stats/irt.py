"""Item response theory from the ordinal factor model (``psych::irt.fa``) and item/test information.

The ordinal factor model ``y* = lambda theta + e`` (``theta ~ N(0, 1)``, ``Var(e) = 1 - lambda^2``, answer
``>= c_{k+1}`` when ``y* > tau_k``) is a normal-ogive graded response model (Takane & de Leeuw 1987):

    P(y >= c_{k+1} | theta) = Phi(a theta - d_k),   a = lambda / sqrt(1 - lambda^2),   d_k = tau_k / sqrt(1 - lambda^2)

psych calls ``a`` the *discrimination* and ``d_k`` the *difficulty*; wamkit calls ``d_k`` the item's
*thresholds* (psych's numbers) and also reports the *locations* ``b_k = d_k / a = tau_k / lambda``, the theta at
which ``P(y >= c_{k+1}) = 1/2``.

:func:`irt_fa` reproduces ``psych::irt.fa(x, nfactors = 1)``: psych's polychoric correlations and thresholds
(:func:`wamkit.stats.polychoric.polychoric`), ``fa(rho, nfactors, fm = "minres", rotate = "oblimin")``
(:func:`wamkit.stats.efa.fa`), then ``a`` and ``d`` per factor.  Pinned by ``tests/stats/test_irt.py`` against
``tests/reference/irt.json`` (``tests/reference/irt.R``).

Information
    :func:`grm_information` is the Fisher information of the normal-ogive graded response model,
    ``I(theta) = sum_c (dP_c/dtheta)^2 / P_c`` over the categories ``c`` (Samejima 1969); the test information is
    the sum over items and ``1/sqrt(I)`` the standard error of a theta estimate.  wamkit uses it everywhere.
    :func:`psych_information` reproduces what ``plot(irt.fa(x))`` reports (``$sumInfo``, ``$AUC``,
    ``$max.info``): psych treats each boundary as a *logistic* curve in ``a (theta - d_k)`` without the 1.702
    scaling and sums ``a^2 P_k (1 - P_k)``; that places the information at ``theta = d_k`` rather than at the
    normal-ogive location ``b_k = d_k / a`` and is kept only to compare with psych.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr

from wamkit.errors import DataError, UsageError
from wamkit.results import StatResult, to_jsonable
from wamkit.stats.efa import FAResult, fa
from wamkit.stats.polychoric import PolychoricResult, polychoric

__all__ = [
    "PSYCH_THETA",
    "IRTResult",
    "expected_scores",
    "grm_category_probabilities",
    "grm_information",
    "irt_fa",
    "irt_from_loadings",
    "psych_information",
    "psych_information_summary",
]

#: the theta grid of psych's information plot (``seq(-3, 3, 0.1)``) and of its ``$sumInfo`` (``-3:3``)
PSYCH_THETA = np.round(np.arange(-30, 31) / 10.0, 10)
_SQRT2PI = np.sqrt(2.0 * np.pi)


# ----------------------------------------------------------------------------- model functions
def _as_params(discrimination: Any, thresholds: Any) -> tuple[np.ndarray, np.ndarray]:
    a = np.atleast_1d(np.asarray(discrimination, dtype=float))
    d = np.asarray(thresholds, dtype=float)
    if d.ndim == 1:
        d = d[:, None] if a.size == d.size and a.size > 1 else d[None, :]
    if a.ndim != 1 or d.ndim != 2 or d.shape[0] != a.size:
        raise UsageError(f"thresholds must be (items, categories - 1) for {a.size} discriminations, got {d.shape}")
    return a, d


def grm_category_probabilities(theta: Any, discrimination: Any, thresholds: Any) -> np.ndarray:
    """Category probabilities of the normal-ogive graded response model.

    Returns ``(len(theta), items, categories)``: ``P(y = c_k | theta) = P*_k - P*_{k+1}`` with
    ``P*_k = Phi(a theta - d_k)``, ``P*_0 = 1``, ``P*_K = 0``.  Infinite thresholds (unused categories) give 0.
    """
    a, d = _as_params(discrimination, thresholds)
    t = np.atleast_1d(np.asarray(theta, dtype=float))
    z = a[None, :, None] * t[:, None, None] - d[None, :, :]
    ps = ndtr(z)
    n, p, _ = ps.shape
    star = np.concatenate([np.ones((n, p, 1)), ps, np.zeros((n, p, 1))], axis=2)
    return star[:, :, :-1] - star[:, :, 1:]


def grm_information(theta: Any, discrimination: Any, thresholds: Any) -> np.ndarray:
    """Fisher information of each item under the normal-ogive graded response model.

    ``I_j(theta) = sum_c (P*'_c - P*'_{c+1})^2 / (P*_c - P*_{c+1})`` with ``P*_k = Phi(a theta - d_k)`` and
    ``P*'_k = a phi(a theta - d_k)`` (Samejima 1969).  For two categories this is the normal-ogive 2PL
    information ``a^2 phi^2 / (P (1 - P))``.

    Parameters
    ----------
    theta : scalar or (m,) trait values.
    discrimination : (p,) ``a`` per item.
    thresholds : (p, K - 1) ``d_k`` per item (psych's difficulties); ``+-inf`` for unused categories.

    Returns
    -------
    numpy.ndarray (m, p)
    """
    a, d = _as_params(discrimination, thresholds)
    t = np.atleast_1d(np.asarray(theta, dtype=float))
    z = a[None, :, None] * t[:, None, None] - d[None, :, :]
    ps = ndtr(z)
    with np.errstate(invalid="ignore", over="ignore"):
        dens = np.where(np.isfinite(z), np.exp(-0.5 * z * z) / _SQRT2PI, 0.0) * a[None, :, None]
    n, p, _ = ps.shape
    one, zero = np.ones((n, p, 1)), np.zeros((n, p, 1))
    star = np.concatenate([one, ps, zero], axis=2)
    dstar = np.concatenate([zero, dens, zero], axis=2)
    pc = star[:, :, :-1] - star[:, :, 1:]
    dpc = dstar[:, :, :-1] - dstar[:, :, 1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = np.where(pc > 0, dpc * dpc / pc, 0.0)
    return terms.sum(axis=2)


def expected_scores(theta: Any, discrimination: Any, thresholds: Any, categories: Any) -> np.ndarray:
    """Expected answer of each item given theta: ``sum_k c_k P(y = c_k | theta)``, shape ``(len(theta), p)``."""
    pr = grm_category_probabilities(theta, discrimination, thresholds)
    c = np.asarray(categories, dtype=float)
    if c.size != pr.shape[2]:
        raise UsageError(f"{c.size} categories given for {pr.shape[2] - 1} thresholds")
    return pr @ c


def psych_information(theta: Any, discrimination: Any, thresholds: Any, *, cut: float = 0.3) -> np.ndarray:
    """Item information as ``psych``'s ``plot.irt``/``plot.poly`` computes it (``$sumInfo``).

    ``I_j(theta) = sum_k a^2 e^{a (s d_k - theta)} / (1 + e^{a (s d_k - theta)})^2`` with ``s = sign(a)``
    (psych ``logisticInfo``, no 1.702 scaling); NaN terms (infinite thresholds) count 0; items with
    ``|a| <= cut`` get 0 (psych's ``cut = 0.3``).  Returns ``(len(theta), p)``.
    """
    a, d = _as_params(discrimination, thresholds)
    t = np.atleast_1d(np.asarray(theta, dtype=float))
    loc = np.sign(a)[:, None] * d
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(a[None, :, None] * (loc[None, :, :] - t[:, None, None]))
        terms = e * (a * a)[None, :, None] / (1.0 + e) ** 2
    terms = np.where(np.isnan(terms), 0.0, terms)
    info = terms.sum(axis=2)
    return np.where(np.abs(a)[None, :] > cut, info, 0.0)


def psych_information_summary(discrimination: Any, thresholds: Any, *, cut: float = 0.3) -> pd.DataFrame:
    """psych's ``plot(irt.fa(x))$AUC`` and ``$max.info`` for one factor.

    On the grid ``theta = seq(-3, 3, 0.1)`` (61 points): ``auc`` = the mean item information over the grid
    (psych divides the column sums by 61), ``max_info`` = the theta of the largest information as psych
    computes it, ``(which.max - 30.5) * 6 / 60`` (0.05 to the right of the grid point), NaN below -2.9.
    Returns a DataFrame with one row per item.
    """
    info = psych_information(PSYCH_THETA, discrimination, thresholds, cut=cut)
    n = PSYCH_THETA.size
    auc = info.sum(axis=0) / n
    mx = (np.argmax(info, axis=0) + 1 - n / 2.0) * 6.0 / (n - 1)
    mx = np.where(mx < -2.9, np.nan, mx)
    return pd.DataFrame({"auc": auc, "max_info": mx})


# ----------------------------------------------------------------------------- result
@dataclass(frozen=True)
class IRTResult(StatResult):
    """Factor-analytic IRT parameters of ordinal items (``psych::irt.fa``).

    Attributes
    ----------
    items : item names.
    n_obs : rows of data (psych ``n.obs``).
    n_factors : factors.
    categories : the response categories ``c_0 < ... < c_{K-1}`` (all items share them, psych's global
        categories).
    tau : (p, K - 1) polychoric thresholds (``$tau``).
    loadings : (p, n_factors) minres loadings of the polychoric correlations (``$fa$loadings``).
    discrimination : (p, n_factors) ``lambda / sqrt(1 - lambda^2)`` (``$irt$discrimination``).
    thresholds : (n_factors, p, K - 1) ``tau / sqrt(1 - lambda^2)`` (``$irt$difficulty``).
    locations : (n_factors, p, K - 1) ``tau / lambda``: theta where ``P(y >= c_{k+1}) = 1/2``.
    fa : the :class:`~wamkit.stats.efa.FAResult`; polychoric : the
        :class:`~wamkit.stats.polychoric.PolychoricResult` (None when built from given loadings).
    warnings : notes (Heywood cases replaced as psych does, dichotomous data, polychoric notes).
    """

    items: tuple[str, ...]
    n_obs: int | None
    n_factors: int
    categories: tuple[float, ...]
    tau: np.ndarray = field(repr=False)
    loadings: np.ndarray = field(repr=False)
    discrimination: np.ndarray = field(repr=False)
    thresholds: np.ndarray = field(repr=False)
    locations: np.ndarray = field(repr=False)
    fa: FAResult | None = field(default=None, repr=False)
    polychoric: PolychoricResult | None = field(default=None, repr=False)
    warnings: tuple[str, ...] = ()

    def _factor(self, factor: int) -> int:
        if not 0 <= factor < self.n_factors:
            raise UsageError(f"factor must be between 0 and {self.n_factors - 1}, got {factor}")
        return factor

    def item_information(self, theta: Any, *, factor: int = 0) -> np.ndarray:
        """Normal-ogive GRM information of every item at ``theta``: ``(len(theta), p)``."""
        f = self._factor(factor)
        return grm_information(theta, self.discrimination[:, f], self.thresholds[f])

    def test_information(self, theta: Any, *, factor: int = 0, items: Any = None) -> np.ndarray:
        """Test information (sum over ``items``, default all) at ``theta``: ``(len(theta),)``."""
        info = self.item_information(theta, factor=factor)
        if items is not None:
            info = info[:, self._positions(items)]
        return info.sum(axis=1)

    def _positions(self, items: Any) -> list[int]:
        pos = {n: j for j, n in enumerate(self.items)}
        unknown = [i for i in items if i not in pos]
        if unknown:
            raise UsageError(f"items: unknown item(s) {', '.join(map(str, unknown))}")
        return [pos[i] for i in items]

    def information_profile(self, theta: Any = None, *, factor: int = 0, items: Any = None) -> pd.DataFrame:
        """Test information over ``theta`` (default ``-3..3`` by 0.1).

        Columns: ``theta``, ``information``, ``se`` (``1/sqrt(I)``), ``reliability`` (``I / (I + 1)``, the
        reliability of a theta estimate when theta has unit variance).
        """
        t = PSYCH_THETA if theta is None else np.atleast_1d(np.asarray(theta, dtype=float))
        info = self.test_information(t, factor=factor, items=items)
        with np.errstate(divide="ignore"):
            se = 1.0 / np.sqrt(info)
        return pd.DataFrame({"theta": t, "information": info, "se": se, "reliability": info / (info + 1.0)})

    def least_informative(
        self, lower: float = -2.0, upper: float = 2.0, *, factor: int = 0, items: Any = None, step: float = 0.01
    ) -> tuple[float, float]:
        """``(theta, information)`` where the test informs least within ``[lower, upper]`` (grid of ``step``)."""
        if not lower < upper or step <= 0:
            raise UsageError("least_informative needs lower < upper and step > 0")
        t = np.linspace(lower, upper, round((upper - lower) / step) + 1)
        info = self.test_information(t, factor=factor, items=items)
        j = int(np.argmin(info))
        return float(t[j]), float(info[j])

    def psych_item_information(self, theta: Any = None, *, factor: int = 0, cut: float = 0.3) -> np.ndarray:
        """psych's item information (:func:`psych_information`), default at ``theta = -3..3`` (``$sumInfo``)."""
        f = self._factor(factor)
        t = np.arange(-3.0, 4.0) if theta is None else theta
        return psych_information(t, self.discrimination[:, f], self.thresholds[f], cut=cut)

    def psych_summary(self, *, factor: int = 0, cut: float = 0.3) -> pd.DataFrame:
        """psych's ``$AUC`` and ``$max.info`` (:func:`psych_information_summary`), indexed by item."""
        f = self._factor(factor)
        out = psych_information_summary(self.discrimination[:, f], self.thresholds[f], cut=cut)
        out.index = pd.Index(self.items, name="item")
        return out

    def expected_item_scores(self, theta: Any, *, factor: int = 0) -> np.ndarray:
        """Expected answer per item at ``theta`` (:func:`expected_scores`): ``(len(theta), p)``."""
        f = self._factor(factor)
        return expected_scores(theta, self.discrimination[:, f], self.thresholds[f], self.categories)

    def to_frame(self, name: str | None = None) -> pd.DataFrame:
        """One row per item and factor: ``item``, ``factor`` (0-based), ``loading``, ``discrimination``,
        ``threshold_1`` ... (psych difficulties) and ``location_1`` ... (``tau / lambda``)."""
        if name is not None and name != "parameters":
            return super().to_frame(name)
        rows = []
        for f in range(self.n_factors):
            for j, it in enumerate(self.items):
                row: dict[str, Any] = {
                    "item": it,
                    "factor": f,
                    "loading": self.loadings[j, f],
                    "discrimination": self.discrimination[j, f],
                }
                for k, v in enumerate(self.thresholds[f, j]):
                    row[f"threshold_{k + 1}"] = v
                for k, v in enumerate(self.locations[f, j]):
                    row[f"location_{k + 1}"] = v
                rows.append(row)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(
            {
                "items": self.items,
                "n_obs": self.n_obs,
                "n_factors": self.n_factors,
                "categories": self.categories,
                "parameters": self.to_frame(),
                "warnings": self.warnings,
            }
        )


# ----------------------------------------------------------------------------- fitting
def irt_from_loadings(
    loadings: Any,
    tau: Any,
    *,
    items: list[str] | None = None,
    categories: Any = None,
    n_obs: int | None = None,
    fa_result: FAResult | None = None,
    polychoric_result: PolychoricResult | None = None,
    warnings: tuple[str, ...] = (),
) -> IRTResult:
    """IRT parameters from factor loadings and polychoric thresholds (the second half of ``psych::irt.fa``).

    ``a = lambda / sqrt(1 - lambda^2)``, ``d = tau / sqrt(1 - lambda^2)`` per factor.  As psych, a
    discrimination that is NaN (``|lambda| >= 1``, a Heywood case) is replaced by the largest discrimination of
    its factor and that item's thresholds by ``tau``, with a warning.
    """
    L = np.asarray(loadings, dtype=float)
    if L.ndim == 1:
        L = L[:, None]
    T = np.asarray(tau, dtype=float)
    if T.ndim == 1:
        T = T[:, None]
    p, nf = L.shape
    if T.shape[0] != p:
        raise UsageError(f"tau must have one row per item ({p}), got {T.shape[0]}")
    names = tuple(items) if items is not None else tuple(f"V{j + 1}" for j in range(p))
    if len(names) != p:
        raise UsageError(f"{len(names)} item names for {p} items")
    cats = tuple(float(c) for c in (categories if categories is not None else range(T.shape[1] + 1)))
    if len(cats) != T.shape[1] + 1:
        raise UsageError(f"{len(cats)} categories for {T.shape[1]} thresholds")
    warn = list(warnings)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.sqrt(1.0 - L * L)
        disc = L / s
        thr = T[None, :, :] / s.T[:, :, None]
        loc = T[None, :, :] / L.T[:, :, None]
    for f in range(nf):
        bad = np.flatnonzero(~np.isfinite(disc[:, f]))
        if bad.size:
            good = disc[np.isfinite(disc[:, f]), f]
            disc[bad, f] = good.max() if good.size else np.nan
            thr[f, bad] = T[bad]
            warn.append(
                f"factor {f + 1}: loading(s) of {', '.join(names[b] for b in bad)} at or above 1 (Heywood "
                f"case); discrimination set to the factor's largest and thresholds to tau (as psych); "
                f"their information is not trustworthy"
            )
    return IRTResult(
        items=names,
        n_obs=n_obs,
        n_factors=nf,
        categories=cats,
        tau=T,
        loadings=L,
        discrimination=disc,
        thresholds=thr,
        locations=loc,
        fa=fa_result,
        polychoric=polychoric_result,
        warnings=tuple(warn),
    )


def irt_fa(
    X: Any, *, items: list[str] | None = None, n_factors: int = 1, fm: str = "minres", rotate: str = "oblimin"
) -> IRTResult:
    """Item parameters from a polychoric factor analysis; matches ``psych::irt.fa(x, nfactors = n_factors)``.

    Steps as psych 2.2.9: polychoric correlations and thresholds with psych's defaults
    (:func:`wamkit.stats.polychoric.polychoric`: global thresholds, smoothing), ``fa(rho, nfactors, n.obs,
    fm = "minres", rotate = "oblimin")`` (:func:`wamkit.stats.efa.fa`), then :func:`irt_from_loadings`.
    With several factors psych computes ``a`` and ``d`` from each factor's (rotated pattern) loadings as if
    that factor were alone, ignoring cross-loadings and factor correlations; wamkit's short-form builder
    therefore fits one factor per subscale.

    Parameters
    ----------
    X : DataFrame or array of integer category codes (keyed: reversed items already reversed); NaN = missing.
    items : columns to use.
    n_factors, fm, rotate : passed to :func:`wamkit.stats.efa.fa`.

    Notes
    -----
    For dichotomous items psych uses ``tetrachoric(x, correct = TRUE)``; wamkit uses the polychoric estimate,
    which can differ slightly (a warning says so).  ``sort = TRUE`` (psych ``fa.sort``) is not offered.

    Raises
    ------
    UsageError, DataError
        From :func:`polychoric` and :func:`fa` (too few items, non-integer codes, no variance, ...).
    """
    pc = polychoric(X, items=items)
    names = list(pc.items)
    if len(names) < 3 and n_factors == 1:
        raise UsageError(f"irt_fa needs at least 3 items for one factor, got {len(names)}")
    warn = [f"polychoric: {w}" for w in pc.warnings]
    if len(pc.categories) == 2:
        warn.append(
            "dichotomous items: psych::irt.fa would use tetrachoric(correct = TRUE); wamkit uses the "
            "polychoric estimate, which can differ slightly"
        )
    if not np.isfinite(pc.rho).all():
        raise DataError("some polychoric correlations are missing (pairs never answered together)")
    f = fa(pc.rho, n_factors, n_obs=pc.n_obs, fm=fm, rotate=rotate, items=names)
    warn += [f"factor analysis: {w}" for w in f.warnings]
    return irt_from_loadings(
        f.loadings,
        pc.tau,
        items=names,
        categories=pc.categories,
        n_obs=pc.n_obs,
        fa_result=f,
        polychoric_result=pc,
        warnings=tuple(warn),
    )
