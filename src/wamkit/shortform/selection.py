"""Choosing items for a short subscale: the per-subscale model, the objective and the search.

For one subscale, :func:`fit_subscale` estimates on the rows it is given (a training fold, or all rows):

* the one-factor minres loadings ``lambda`` of the Pearson (pairwise) correlations ``R`` (``psych::fa``) and
  the covariances ``C`` (``R`` scaled by the item SDs);
* the graded-response (normal-ogive) item parameters of a polychoric one-factor model
  (:func:`wamkit.stats.irt.irt_fa`, ``psych::irt.fa``) and each item's information on a theta grid over the
  range that matters; items that are not ordinal (non-integer or more than 8 categories) fall back to the
  linear factor model, whose information ``lambda^2 / (1 - lambda^2)`` is flat in theta;
* optionally the covariances of the items with a criterion.

:func:`objective` scores many candidate item sets at once (a boolean mask per set, all terms vectorised):

``information``  mean over the theta grid of ``I_S / (I_S + 1)``, the reliability of a theta estimate from the
                 short form's test information ``I_S`` (unit trait variance): information where it matters.
``reliability``  model-based omega of the set, ``(sum lambda)^2 / ((sum lambda)^2 + sum (1 - lambda^2))``.
``coverage``     correlation of the short sum with the full subscale sum, ``1_S' C 1 / sqrt(1_S' C 1_S 1' C 1)``:
                 how much of the full score the short one carries (content and factor coverage).
``residual``     minus the root mean square of the one-factor residuals ``r_jk - lambda_j lambda_k`` among the
                 set's pairs: penalises locally dependent pairs (doublets), which spoil the short form's fit.
``validity``     ``|corr(short sum, criterion)|`` (only with a criterion).

The set's score is ``sum_t w_t term_t`` (weights :data:`DEFAULT_WEIGHTS`, all 1).  The search is exhaustive when
there are at most ``max_exhaustive`` candidate sets (ties go to the first set in lexicographic order), and
otherwise a seeded MAX-MIN ant system (Stützle & Hoos 2000; as R ``stuart::mmas``): ants draw sets with
probabilities proportional to ``pheromone * heuristic`` (the item's information term), the best set found so far
deposits pheromone after evaporation, pheromone stays within ``[tau_min, 1]``, and the search stops when the best
set has not improved for ``patience`` iterations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd

from wamkit.errors import DataError, UsageError
from wamkit.stats.correlation import pairwise_cor
from wamkit.stats.efa import fa
from wamkit.stats.irt import IRTResult, irt_fa

__all__ = [
    "DEFAULT_WEIGHTS",
    "TERMS",
    "SearchResult",
    "SubscaleModel",
    "fit_subscale",
    "objective",
    "search",
    "theta_for_score",
]

TERMS = ("information", "reliability", "coverage", "residual", "validity")
DEFAULT_WEIGHTS: dict[str, float] = {t: 1.0 for t in TERMS}
GRID_STEP = 0.05


@dataclass(frozen=True)
class SubscaleModel:
    """What the objective needs about one subscale, estimated on one set of rows.

    ``information_model`` is ``"graded"`` (polychoric, normal-ogive GRM) or ``"linear"`` (flat information).
    ``item_information`` is ``(len(theta), m)``; ``crit_cov``/``crit_var`` are None without a criterion.
    """

    subscale: str
    items: tuple[str, ...]
    n_obs: int
    loadings: np.ndarray
    cor: np.ndarray
    cov: np.ndarray
    theta: np.ndarray
    theta_range: tuple[float, float]
    item_information: np.ndarray
    information_model: str
    irt: IRTResult | None = field(default=None, repr=False)
    crit_cov: np.ndarray | None = None
    crit_var: float | None = None
    warnings: tuple[str, ...] = ()


def _pairwise_cov_with(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Covariances of every column of ``X`` with ``y`` over the rows where both are observed, and var(y)."""
    ok = ~np.isnan(X) & ~np.isnan(y)[:, None]
    n = ok.sum(axis=0).astype(float)
    xm = np.where(ok, X, 0.0).sum(axis=0) / np.maximum(n, 1.0)
    ym = np.where(ok, y[:, None], 0.0).sum(axis=0) / np.maximum(n, 1.0)
    cov = (np.where(ok, (X - xm) * (y[:, None] - ym), 0.0)).sum(axis=0) / np.maximum(n - 1.0, 1.0)
    yy = y[~np.isnan(y)]
    return cov, float(np.var(yy, ddof=1)) if yy.size > 1 else float("nan")


def theta_for_score(irt: IRTResult, score: float, *, lo: float = -4.0, hi: float = 4.0) -> float:
    """Theta at which the expected subscale mean score (mean of the items' expected answers) equals ``score``.

    Solved on a fine grid with linear interpolation (the expected score is increasing in theta for positive
    loadings); values outside the reachable range are clipped to ``[lo, hi]``.
    """
    t = np.linspace(lo, hi, 801)
    e = irt.expected_item_scores(t).mean(axis=1)
    if not np.all(np.diff(e) >= 0):
        raise DataError(
            f"the expected score of subscale items {', '.join(irt.items)} does not increase with the "
            "trait (negative loadings?); cannot place a cut-off on the trait scale"
        )
    return float(np.interp(score, e, t))


def fit_subscale(
    X: pd.DataFrame,
    subscale: str,
    *,
    theta_range: tuple[float, float] | None = None,
    cutoff: float | None = None,
    cutoff_halfwidth: float = 0.5,
    criterion: np.ndarray | None = None,
) -> SubscaleModel:
    """Estimate a :class:`SubscaleModel` from keyed item responses ``X`` (columns = the subscale's items).

    The theta range is ``theta_range``, or with a ``cutoff`` (in score units) ``theta_c +- cutoff_halfwidth``
    where ``theta_c`` is :func:`theta_for_score` of the cut-off under the graded model.
    """
    items = tuple(str(c) for c in X.columns)
    arr = X.to_numpy(dtype=float)
    R, _ = pairwise_cor(arr)
    if not np.isfinite(R).all():
        raise DataError(f"subscale {subscale}: some item pairs have no rows in common")
    warn: list[str] = []
    f1 = fa(R, 1, fm="minres", rotate="none", items=list(items))
    lam = np.asarray(f1.loadings, dtype=float)[:, 0]
    warn += [f"{subscale}: {w}" for w in f1.warnings]
    sd = np.sqrt(np.nanvar(arr, axis=0, ddof=1))
    C = R * np.outer(sd, sd)  # pairwise correlations scaled by the item SDs
    irt: IRTResult | None = None
    model = "graded"
    obs = arr[~np.isnan(arr)]
    if obs.size and np.all(obs == np.round(obs)) and np.ptp(obs) < 8:
        try:
            irt = irt_fa(X)
        except (DataError, UsageError) as e:
            warn.append(f"{subscale}: graded model failed ({e}); linear factor model used for information")
            irt = None
    if irt is None:
        model = "linear"
    else:
        warn += [f"{subscale}: {w}" for w in irt.warnings]
    if cutoff is not None:
        if irt is None:
            raise UsageError(
                f"cutoffs: subscale {subscale} is not ordinal, a score cut-off cannot be placed on the "
                "trait scale; give information_range instead"
            )
        tc = theta_for_score(irt, cutoff)
        lo, hi = tc - cutoff_halfwidth, tc + cutoff_halfwidth
    else:
        lo, hi = theta_range if theta_range is not None else (-1.0, 1.0)
    theta = np.linspace(lo, hi, max(2, round((hi - lo) / GRID_STEP) + 1))
    if irt is not None:
        info = irt.item_information(theta)
    else:
        with np.errstate(divide="ignore"):
            flat = np.clip(lam, -0.999, 0.999) ** 2 / (1.0 - np.clip(lam, -0.999, 0.999) ** 2)
        info = np.repeat(flat[None, :], theta.size, axis=0)
    crit_cov = crit_var = None
    if criterion is not None:
        crit_cov, crit_var = _pairwise_cov_with(arr, np.asarray(criterion, dtype=float))
    return SubscaleModel(
        subscale=subscale,
        items=items,
        n_obs=int(arr.shape[0]),
        loadings=lam,
        cor=R,
        cov=C,
        theta=theta,
        theta_range=(float(lo), float(hi)),
        item_information=info,
        information_model=model,
        irt=irt,
        crit_cov=crit_cov,
        crit_var=crit_var,
        warnings=tuple(warn),
    )


def objective(
    model: SubscaleModel, masks: np.ndarray, weights: dict[str, float] | None = None
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Score candidate sets: ``masks`` is ``(n_sets, m)`` (0/1); returns the total and each term per set."""
    w = dict(DEFAULT_WEIGHTS if weights is None else weights)
    M = np.asarray(masks, dtype=float)
    k = M.sum(axis=1)
    lam = model.loadings
    info = M @ model.item_information.T  # (n_sets, G)
    terms: dict[str, np.ndarray] = {"information": (info / (info + 1.0)).mean(axis=1)}
    sl = M @ lam
    terms["reliability"] = sl**2 / (sl**2 + M @ (1.0 - lam**2))
    MC = M @ model.cov
    var_s = (MC * M).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        terms["coverage"] = MC.sum(axis=1) / np.sqrt(var_s * model.cov.sum())
    E = (model.cor - np.outer(lam, lam)) ** 2
    np.fill_diagonal(E, 0.0)
    pairs = k * (k - 1) / 2.0
    with np.errstate(invalid="ignore", divide="ignore"):
        terms["residual"] = -np.sqrt(np.where(pairs > 0, ((M @ E) * M).sum(axis=1) / 2.0 / pairs, 0.0))
    total = np.zeros(M.shape[0])
    if model.crit_cov is not None and model.crit_var is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            terms["validity"] = np.abs(M @ model.crit_cov) / np.sqrt(var_s * model.crit_var)
    for t, v in terms.items():
        total += w.get(t, 0.0) * np.nan_to_num(v, nan=0.0)
    return total, terms


@dataclass(frozen=True)
class SearchResult:
    """The chosen set (positions into the subscale's items) and how it was found."""

    selected: tuple[int, ...]
    score: float
    terms: dict[str, float]
    method: str
    n_candidates: int
    evaluated: int
    iterations: int = 0


def _exhaustive(
    model: SubscaleModel, k: int, weights: dict[str, float] | None, feasible_min_reliability: float | None
) -> SearchResult:
    m = len(model.items)
    combos = np.array(list(combinations(range(m), k)), dtype=np.int64)
    masks = np.zeros((combos.shape[0], m))
    np.put_along_axis(masks, combos, 1.0, axis=1)
    total, terms = objective(model, masks, weights)
    if feasible_min_reliability is not None:
        total = np.where(terms["reliability"] >= feasible_min_reliability, total, -np.inf)
    j = int(np.argmax(total))
    return SearchResult(
        selected=tuple(int(i) for i in combos[j]),
        score=float(total[j]),
        terms={t: float(v[j]) for t, v in terms.items()},
        method="exhaustive",
        n_candidates=int(combos.shape[0]),
        evaluated=int(combos.shape[0]),
    )


def _mmas(
    model: SubscaleModel,
    k: int,
    weights: dict[str, float] | None,
    rng: np.random.Generator,
    *,
    n_ants: int,
    max_iter: int,
    patience: int,
    evaporation: float,
    feasible_min_reliability: float | None,
) -> SearchResult:
    m = len(model.items)
    single = np.eye(m)
    _, sterms = objective(model, single, weights)
    heur = np.clip(sterms["information"], 1e-6, None)
    tau = np.ones(m)
    tau_min = 1.0 / (2.0 * m)
    best_mask: np.ndarray | None = None
    best = -np.inf
    stale = 0
    evaluated = 0
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        keys = np.log(tau * heur)[None, :] + rng.gumbel(size=(n_ants, m))  # Gumbel top-k = sampling w/o replacement
        pick = np.argpartition(-keys, k - 1, axis=1)[:, :k]
        masks = np.zeros((n_ants, m))
        np.put_along_axis(masks, pick, 1.0, axis=1)
        total, terms = objective(model, masks, weights)
        if feasible_min_reliability is not None:
            total = np.where(terms["reliability"] >= feasible_min_reliability, total, -np.inf)
        evaluated += n_ants
        j = int(np.argmax(total))
        if total[j] > best + 1e-12:
            best, best_mask, stale = float(total[j]), masks[j].copy(), 0
        else:
            stale += 1
        tau = (1.0 - evaporation) * tau
        if best_mask is not None:
            tau = tau + evaporation * best_mask
        tau = np.clip(tau, tau_min, 1.0)
        if stale >= patience:
            break
    if best_mask is None or not np.isfinite(best):
        raise DataError(f"subscale {model.subscale}: the search found no admissible set of {k} items")
    total, terms = objective(model, best_mask[None, :], weights)
    sel = tuple(int(i) for i in np.flatnonzero(best_mask))
    return SearchResult(
        selected=sel,
        score=float(total[0]),
        terms={t: float(v[0]) for t, v in terms.items()},
        method="mmas",
        n_candidates=math.comb(m, k),
        evaluated=evaluated,
        iterations=it,
    )


def search(
    model: SubscaleModel,
    k: int,
    *,
    weights: dict[str, float] | None = None,
    rng: np.random.Generator | None = None,
    method: str = "auto",
    max_exhaustive: int = 20_000,
    n_ants: int = 40,
    max_iter: int = 200,
    patience: int = 25,
    evaporation: float = 0.1,
    min_reliability: float | None = None,
) -> SearchResult:
    """Best set of ``k`` items of a subscale by :func:`objective`.

    ``method``: ``"auto"`` (exhaustive up to ``max_exhaustive`` candidate sets, else ``"mmas"``),
    ``"exhaustive"`` or ``"mmas"`` (seeded by ``rng``).  With ``min_reliability`` only sets whose
    ``reliability`` term reaches it are admissible.
    """
    m = len(model.items)
    if not 1 <= k <= m:
        raise UsageError(f"cannot choose {k} of {m} items")
    if method not in ("auto", "exhaustive", "mmas"):
        raise UsageError(f"search method must be auto, exhaustive or mmas, not {method!r}")
    n_sets = math.comb(m, k)
    if method == "exhaustive" or (method == "auto" and n_sets <= max_exhaustive):
        return _exhaustive(model, k, weights, min_reliability)
    if rng is None:
        raise UsageError("the stochastic search needs rng (a numpy.random.Generator)")
    return _mmas(
        model,
        k,
        weights,
        rng,
        n_ants=n_ants,
        max_iter=max_iter,
        patience=patience,
        evaporation=evaporation,
        feasible_min_reliability=min_reliability,
    )
