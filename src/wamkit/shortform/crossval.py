"""Cross-validated short-form selection: :func:`shorten`.

Rows are split into ``folds`` parts by a seeded permutation.  For every fold the items are chosen on the other
folds (:mod:`wamkit.shortform.selection`) and judged on the held-out fold, next to the full form:

* reliability: psych's one-factor omega total (:func:`wamkit.stats.reliability.omega_total`) and standardised
  alpha (:func:`wamkit.stats.reliability.alpha_from_cor`), both of the pairwise Pearson correlations, of the full
  and of the short subscale;
* the correlation of the short with the full subscale score (means of the answered items; it contains the
  overlap of the shared items), pooled over all held-out rows, with a Fisher-z interval;
* the joint CFA of all subscales (lavaan ML, :func:`wamkit.stats.cfa.fit_cfa`, listwise), full and short;
* with a criterion: the correlation of the full, the short and the baseline short score with it.

The items reported as kept are chosen once more on all rows.  Everything random flows from ``seed``: the
folds from ``default_rng(seed)``, the stochastic search of fold ``f`` from ``default_rng([seed, f])`` (the final
selection uses ``f = folds``), so the same seed gives the same result.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import numpy as np
import pandas as pd

from wamkit.errors import DataError, UsageError, WamkitError
from wamkit.instrument import Instrument
from wamkit.scoring.core import required_answers
from wamkit.shortform.baseline import item_criterion_r
from wamkit.shortform.result import ShortFormResult
from wamkit.shortform.selection import DEFAULT_WEIGHTS, TERMS, SearchResult, SubscaleModel, fit_subscale, search

__all__ = ["DEFAULT_SEED", "data_sha256", "make_folds", "shorten", "shorten_data"]

#: fixed default seed (recorded in the output), the same as ``wamkit validate``'s
DEFAULT_SEED = 20261122
FIT_MEASURES = ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr")
CV_MEASURES = (*FIT_MEASURES, "heldout_srmr")
MIN_TEST_ROWS = 10


def data_sha256(items: pd.DataFrame) -> str:
    """SHA-256 of the analysed item matrix: column names, then the float64 values row by row (NaN canonical)."""
    h = hashlib.sha256()
    h.update("\x1f".join(map(str, items.columns)).encode("utf-8"))
    v = np.ascontiguousarray(items.to_numpy(dtype=float))
    v = np.where(np.isnan(v), np.nan, v)
    h.update(v.tobytes())
    return h.hexdigest()


def _row_means(arr: np.ndarray) -> np.ndarray:
    answered = (~np.isnan(arr)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(answered > 0, np.nansum(arr, axis=1) / answered, np.nan)


def _r_ci(x: np.ndarray, y: np.ndarray, level: float) -> dict[str, float | int | None]:
    """Pearson r over pairwise-complete rows with a Fisher-z interval ``tanh(atanh r +- z / sqrt(n - 3))``."""
    from scipy.stats import norm

    ok = ~np.isnan(x) & ~np.isnan(y)
    n = int(ok.sum())
    if n < 4 or np.std(x[ok]) == 0 or np.std(y[ok]) == 0:
        return {"estimate": None, "ci_low": None, "ci_high": None, "n": n}
    r = float(np.corrcoef(x[ok], y[ok])[0, 1])
    if abs(r) >= 1.0:
        return {"estimate": r, "ci_low": r, "ci_high": r, "n": n}
    z, half = math.atanh(r), float(norm.ppf(0.5 + level / 2.0)) / math.sqrt(n - 3)
    return {"estimate": r, "ci_low": math.tanh(z - half), "ci_high": math.tanh(z + half), "n": n}


def _omega_alpha(block: pd.DataFrame, warn: list[str], where: str) -> tuple[float, float]:
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


def _cfa(
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


def _mean_fit(fits: list[dict[str, Any] | None]) -> dict[str, Any] | None:
    got = [f for f in fits if f is not None]
    if not got:
        return None
    out: dict[str, Any] = {m: float(np.nanmean([f[m] for f in got])) for m in CV_MEASURES}
    out["folds"] = len(got)
    return out


def make_folds(n: int, folds: int, seed: int, groups: pd.Series | None = None) -> list[np.ndarray]:
    """Held-out row positions (sorted) of each fold: ``default_rng(seed)`` permutes the rows, or the distinct
    ``groups`` labels (then every row of a group lands in the same fold; groups are dealt in random order to the
    fold with the fewest rows so far), and the permutation is cut into ``folds`` nearly equal parts."""
    rng = np.random.default_rng(seed)
    if groups is None:
        return [np.sort(p) for p in np.array_split(rng.permutation(n), folds)]
    g = pd.Series(groups).reset_index(drop=True)
    if len(g) != n:
        raise DataError(f"groups has {len(g)} labels for {n} rows of items")
    labels = g.astype("string").to_numpy(dtype=object)
    missing = pd.isna(labels)
    labels[missing] = [f"\x00row{i}" for i in np.flatnonzero(missing)]
    uniq, inv = np.unique(labels.astype(str), return_inverse=True)
    if uniq.size < folds:
        raise DataError(f"groups: {uniq.size} persons are too few for {folds} folds")
    sizes = np.bincount(inv)
    load = np.zeros(folds)
    fold_of = np.empty(uniq.size, dtype=np.int64)
    for g in rng.permutation(uniq.size):  # each group, in random order, to the fold with the fewest rows so far
        f = int(np.argmin(load))
        fold_of[g] = f
        load[f] += sizes[g]
    parts = [np.flatnonzero(fold_of[inv] == f) for f in range(folds)]
    small = min(p.size for p in parts)
    if small < MIN_TEST_ROWS:
        raise DataError(f"a held-out fold has only {small} rows (persons kept together); use fewer folds")
    return parts


def _k_for(subscale: str, m: int, items_per_scale: int | dict[str, int] | None) -> int | None:
    if items_per_scale is None:
        return None
    if isinstance(items_per_scale, dict):
        return items_per_scale.get(subscale, m)
    return int(items_per_scale)


def _choose(
    model: SubscaleModel,
    k: int | None,
    *,
    target: float | None,
    min_items: int,
    weights: dict[str, float],
    rng: np.random.Generator,
    method: str,
    max_exhaustive: int,
) -> SearchResult | None:
    """The set for one subscale: ``k`` items, or the fewest items whose best set reaches ``target``.

    ``None`` means the subscale is kept whole.
    """
    m = len(model.items)
    if k is not None:
        if k >= m:
            return None
        return search(model, k, weights=weights, rng=rng, method=method, max_exhaustive=max_exhaustive)
    assert target is not None
    for kk in range(min_items, m):
        try:
            return search(
                model,
                kk,
                weights=weights,
                rng=rng,
                method=method,
                max_exhaustive=max_exhaustive,
                min_reliability=target,
            )
        except DataError:
            continue
    return None


def _check_args(
    items: pd.DataFrame,
    instrument: Instrument,
    subscales: list[str] | None,
    items_per_scale: Any,
    target_reliability: float | None,
    folds: int,
    min_items: int,
    weights: dict[str, float] | None,
    information_range: tuple[float, float],
    cutoffs: Any,
    ci_level: float,
) -> tuple[list[str], dict[str, float]]:
    if not isinstance(items, pd.DataFrame):
        raise UsageError("items must be a pandas DataFrame with one column per item id")
    known = [s.id for s in instrument.subscales]
    chosen = known if subscales is None else list(subscales)
    bad = [s for s in chosen if s not in known]
    if bad:
        raise UsageError(f"subscales: unknown subscale(s) {', '.join(bad)} (the instrument has {', '.join(known)})")
    need = [i for s in chosen for i in instrument.subscale(s).items]
    missing = [i for i in dict.fromkeys(need) if i not in items.columns]
    if missing:
        raise UsageError(f"items: missing item column(s) {', '.join(missing[:10])}")
    if (items_per_scale is None) == (target_reliability is None):
        raise UsageError("give items_per_scale or target_reliability (one of them)")
    if isinstance(min_items, bool) or int(min_items) != min_items or min_items < 3:
        raise UsageError(f"min_items must be an integer of at least 3, got {min_items}")
    if items_per_scale is not None:
        vals = list(items_per_scale.values()) if isinstance(items_per_scale, dict) else [items_per_scale]
        if isinstance(items_per_scale, dict):
            unknown = [s for s in items_per_scale if s not in chosen]
            if unknown:
                raise UsageError(f"items_per_scale: unknown subscale(s) {', '.join(unknown)}")
        for v in vals:
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < min_items:
                raise UsageError(
                    f"items_per_scale must be whole numbers of at least {min_items} "
                    f"(omega and a one-factor model need three items), got {v!r}"
                )
    if target_reliability is not None and not 0.0 < target_reliability < 1.0:
        raise UsageError(f"target_reliability must lie between 0 and 1, got {target_reliability}")
    if isinstance(folds, bool) or int(folds) != folds or folds < 2:
        raise UsageError(f"folds must be an integer of at least 2, got {folds}")
    if len(items) < folds * MIN_TEST_ROWS:
        raise DataError(
            f"{len(items)} rows are too few for {folds} folds (each held-out fold needs at least {MIN_TEST_ROWS} rows)"
        )
    lo, hi = information_range
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise UsageError(f"information_range must be (lower, upper) with lower < upper, got {information_range}")
    if not 0.0 < ci_level < 1.0:
        raise UsageError(f"ci_level must lie between 0 and 1, got {ci_level}")
    w = dict(DEFAULT_WEIGHTS)
    for t, v in (weights or {}).items():
        if t not in TERMS:
            raise UsageError(f"weights: unknown term {t!r}; terms are {', '.join(TERMS)}")
        if not np.isfinite(v) or v < 0:
            raise UsageError(f"weights: {t} must be a non-negative number, got {v}")
        w[t] = float(v)
    if isinstance(cutoffs, dict):
        unknown = [s for s in cutoffs if s not in chosen]
        if unknown:
            raise UsageError(f"cutoffs: unknown subscale(s) {', '.join(unknown)}")
    return chosen, w


def shorten(
    items: pd.DataFrame,
    instrument: Instrument,
    *,
    items_per_scale: int | dict[str, int] | None = None,
    target_reliability: float | None = None,
    folds: int = 5,
    seed: int = DEFAULT_SEED,
    information_range: tuple[float, float] = (-1.0, 1.0),
    cutoffs: float | dict[str, float] | None = None,
    cutoff_halfwidth: float = 0.5,
    criterion: pd.Series | None = None,
    weights: dict[str, float] | None = None,
    subscales: list[str] | None = None,
    min_items: int = 3,
    search_method: str = "auto",
    max_exhaustive: int = 20_000,
    ci_level: float = 0.95,
    cfa: bool = True,
    groups: pd.Series | None = None,
) -> ShortFormResult:
    """Choose a short form per subscale and cross-validate it against the full form.

    Parameters
    ----------
    items : DataFrame of *keyed* item responses (reverse-keyed items already reversed, e.g.
        ``wamkit.measurement.validate.load_validation_input(...).items``), one column per item id, NaN = missing.
    instrument : the full instrument (its subscales define the item groups).
    items_per_scale : items to keep per subscale (an int for all, or ``{subscale: k}``; subscales not in the
        dict, and subscales with at most ``k`` items, are kept whole).  At least ``min_items`` (3).
    target_reliability : instead of ``items_per_scale``: the fewest items (at least ``min_items``) whose best set
        reaches this model-based omega on the training rows; a subscale that cannot reach it is kept whole.
    folds : k of the k-fold cross-validation (>= 2).
    seed : seeds the folds and the stochastic search (default :data:`DEFAULT_SEED`, recorded in the output).
    information_range : the theta range (trait in SD units, 0 = average) over which information counts, used
        when no cut-off is given: by default the central range ``(-1, 1)``.
    cutoffs : alert cut-offs in score units (e.g. 2.5 on a 1-5 scale), one for all subscales or
        ``{subscale: score}``; information then counts over ``theta_c +- cutoff_halfwidth`` where ``theta_c`` is
        the trait value whose expected subscale score equals the cut-off (graded model).
    criterion : optional criterion (one value per row of ``items``, in order): adds the ``validity`` term and
        the baseline (items by item-criterion correlation, ``psych::bestScales`` style, same number of items).
    weights : weights of the objective terms (:data:`wamkit.shortform.selection.DEFAULT_WEIGHTS`).
    subscales : the subscales to shorten (default all); the others are kept whole.
    search_method, max_exhaustive : ``"auto"`` searches exhaustively up to ``max_exhaustive`` candidate sets per
        subscale, otherwise by the seeded ant-colony search (:func:`wamkit.shortform.selection.search`).
    ci_level : level of the intervals of the correlations.
    cfa : fit the joint CFA of the full and the short form (training rows of each fold, and all rows).
    groups : optional person labels, one per row (in order): rows of the same person are kept in the same fold,
        so that repeated waves of one client never sit on both sides of a split (missing labels: one group each).

    Returns
    -------
    ShortFormResult
        Per subscale (``subscales[id]``): ``kept``, ``dropped``, ``reliability_full`` / ``reliability_short``
        (omega total, mean over the held-out folds), ``alpha_full`` / ``alpha_short`` (standardised alpha), ``reliability_in_sample``,
        ``r_short_full`` (``estimate``, ``ci_low``, ``ci_high``, ``n``; pooled held-out rows),
        ``information`` (theta range, mean test information of the full and the short form there, where the
        short form informs least), ``search``, ``stability`` (share of folds that chose the final set), ``fit``
        (held-out CFA omega of the factor, full and short; standardised loadings of the short form), ``items``
        (per item: ``loading``, ``discrimination``, ``thresholds``, ``locations``, ``information``, ``kept``,
        ``selected_in_folds`` and with a criterion ``criterion_r``, ``baseline_kept``); with a criterion also
        ``validity`` (held-out r of the full, short and baseline scores with the criterion) and ``baseline``.

    Raises
    ------
    UsageError
        Contradictory or invalid settings, unknown subscales, missing item columns.
    DataError
        Too few rows for the folds, unusable items.
    """
    chosen, w = _check_args(
        items,
        instrument,
        subscales,
        items_per_scale,
        target_reliability,
        folds,
        min_items,
        weights,
        information_range,
        cutoffs,
        ci_level,
    )
    warn: list[str] = []
    all_items = [i for i in instrument.item_ids if i in items.columns]
    data = (
        items[all_items].apply(pd.to_numeric, errors="coerce")
        if not all(pd.api.types.is_numeric_dtype(items[c]) for c in all_items)
        else items[all_items]
    )
    data = data.astype(float)
    n = len(data)
    y: np.ndarray | None = None
    crit_name = None
    if criterion is not None:
        yy = pd.to_numeric(pd.Series(criterion), errors="coerce").to_numpy(dtype=float)
        if yy.size != n:
            raise DataError(f"criterion has {yy.size} values for {n} rows of items")
        if np.isnan(yy).all():
            raise DataError("criterion has no numeric values")
        y = yy
        crit_name = str(getattr(criterion, "name", None) or "criterion")
    sub_items = {s: list(instrument.subscale(s).items) for s in chosen}
    # the CFA holds every subscale whose items are all in the data (shortened or not)
    all_subs = {s.id: list(s.items) for s in instrument.subscales if all(i in data.columns for i in s.items)}

    def cut_of(s: str) -> float | None:
        return cutoffs.get(s) if isinstance(cutoffs, dict) else cutoffs

    def fit_models(rows: np.ndarray) -> dict[str, SubscaleModel]:
        out = {}
        for s in chosen:
            out[s] = fit_subscale(
                data.iloc[rows][sub_items[s]],
                s,
                theta_range=information_range,
                cutoff=cut_of(s),
                cutoff_halfwidth=cutoff_halfwidth,
                criterion=None if y is None else y[rows],
            )
        return out

    def select(models: dict[str, SubscaleModel], rng_key: int) -> dict[str, SearchResult | None]:
        out = {}
        for s in chosen:
            rng = np.random.default_rng([int(seed), rng_key, chosen.index(s)])
            out[s] = _choose(
                models[s],
                _k_for(s, len(sub_items[s]), items_per_scale),
                target=target_reliability,
                min_items=min_items,
                rng=rng,
                weights=w,
                method=search_method,
                max_exhaustive=max_exhaustive,
            )
        return out

    def kept_of(s: str, res: SearchResult | None) -> list[str]:
        return list(sub_items[s]) if res is None else [sub_items[s][j] for j in res.selected]

    def baseline_of(s: str, rows: np.ndarray, k: int) -> list[str]:
        assert y is not None
        r = item_criterion_r(data.iloc[rows][sub_items[s]].to_numpy(dtype=float), y[rows])
        order = np.argsort(-np.abs(np.nan_to_num(r, nan=0.0)), kind="stable")[:k]
        return [sub_items[s][j] for j in sorted(order)]

    parts = make_folds(n, int(folds), int(seed), groups)
    perm = np.concatenate(parts)
    pooled = {s: {"short": np.full(n, np.nan), "full": np.full(n, np.nan), "base": np.full(n, np.nan)} for s in chosen}
    fold_out: list[dict[str, Any]] = []
    fold_kept: list[dict[str, list[str]]] = []
    fold_base: list[dict[str, list[str]]] = []
    fits_full: list[dict[str, Any] | None] = []
    fits_short: list[dict[str, Any] | None] = []
    for f, test in enumerate(parts):
        train = np.setdiff1d(perm, test, assume_unique=True)
        train.sort()
        models = fit_models(train)
        sel = select(models, f)
        kept = {s: kept_of(s, sel[s]) for s in chosen}
        fold_kept.append(kept)
        tblock = data.iloc[test]
        rec: dict[str, Any] = {
            "fold": f + 1,
            "n_train": int(train.size),
            "n_test": int(test.size),
            "kept": kept,
            "reliability_full": {},
            "reliability_short": {},
            "alpha_full": {},
            "alpha_short": {},
        }
        where = f"fold {f + 1}"
        base: dict[str, list[str]] = {}
        for s in chosen:
            om_f, al_f = _omega_alpha(tblock[sub_items[s]], warn, f"{where}, {s} (full)")
            om_s, al_s = _omega_alpha(tblock[kept[s]], warn, f"{where}, {s} (short)")
            rec["reliability_full"][s], rec["reliability_short"][s] = om_f, om_s
            rec["alpha_full"][s], rec["alpha_short"][s] = al_f, al_s
            pooled[s]["full"][test] = _row_means(tblock[sub_items[s]].to_numpy(dtype=float))
            pooled[s]["short"][test] = _row_means(tblock[kept[s]].to_numpy(dtype=float))
            if y is not None:
                base[s] = baseline_of(s, train, len(kept[s]))
                pooled[s]["base"][test] = _row_means(tblock[base[s]].to_numpy(dtype=float))
        if y is not None:
            rec["baseline_kept"] = base
            fold_base.append(base)
        if cfa:
            trblock = data.iloc[train]
            for label, facs, store in (("full", {**all_subs}, fits_full), ("short", {**all_subs, **kept}, fits_short)):
                fd, fr = _cfa(trblock, facs, warn, f"{where} (training rows, {label} form)")
                if fd is not None:
                    fd["heldout_srmr"] = heldout_srmr(tblock, fr)
                store.append(fd)
                rec[f"fit_{label}"] = fd
        fold_out.append(rec)

    # final selection on all rows
    rows_all = np.arange(n)
    models_all = fit_models(rows_all)
    sel_all = select(models_all, int(folds))
    kept_all = {s: kept_of(s, sel_all[s]) for s in chosen}
    base_all = {s: baseline_of(s, rows_all, len(kept_all[s])) for s in chosen} if y is not None else {}
    fit_in: dict[str, Any] = {"full": None, "short": None}
    short_cfa = None
    if cfa:
        fit_in["full"], _ = _cfa(data, {**all_subs}, warn, "all rows (full form)")
        fit_in["short"], short_cfa = _cfa(data, {**all_subs, **kept_all}, warn, "all rows (short form)")
    for s in chosen:
        warn.extend(models_all[s].warnings)

    out_subs: dict[str, dict[str, Any]] = {}
    for s in chosen:
        mdl = models_all[s]
        its = sub_items[s]
        kept_s = kept_all[s]
        res = sel_all[s]
        if res is None:
            why = (
                f"target reliability {target_reliability} not reached with fewer items"
                if target_reliability is not None
                else f"it has no more than {len(its)} items"
            )
            warn.append(f"subscale {s} kept whole: {why}")
        om_full_all, _ = _omega_alpha(data[its], warn, f"all rows, {s} (full)")
        om_short_all, _ = _omega_alpha(data[kept_s], warn, f"all rows, {s} (short)")
        pos = {it: j for j, it in enumerate(its)}
        idx = [pos[i] for i in kept_s]
        info_full = mdl.item_information.sum(axis=1)
        info_short = mdl.item_information[:, idx].sum(axis=1)
        j_min = int(np.argmin(info_short))
        items_out: dict[str, Any] = {}
        r_crit = item_criterion_r(data[its].to_numpy(dtype=float), y) if y is not None else None
        for j, it in enumerate(its):
            v: dict[str, Any] = {
                "kept": it in kept_s,
                "selected_in_folds": int(sum(it in fk[s] for fk in fold_kept)),
                "loading": float(mdl.loadings[j]),
                "discrimination": float(mdl.irt.discrimination[j, 0]) if mdl.irt is not None else None,
                "thresholds": [float(t) for t in mdl.irt.thresholds[0, j]] if mdl.irt is not None else None,
                "locations": [float(t) for t in mdl.irt.locations[0, j]] if mdl.irt is not None else None,
                "information": float(mdl.item_information[:, j].mean()),
            }
            if r_crit is not None:
                v["criterion_r"] = float(r_crit[j])
                v["baseline_kept"] = it in base_all[s]
            items_out[it] = v
        d: dict[str, Any] = {
            "kept": kept_s,
            "dropped": [i for i in its if i not in kept_s],
            "n_items_full": len(its),
            "n_items_short": len(kept_s),
            "reliability_full": float(np.nanmean([r["reliability_full"][s] for r in fold_out])),
            "reliability_short": float(np.nanmean([r["reliability_short"][s] for r in fold_out])),
            "alpha_full": float(np.nanmean([r["alpha_full"][s] for r in fold_out])),
            "alpha_short": float(np.nanmean([r["alpha_short"][s] for r in fold_out])),
            "reliability_in_sample": {"full": om_full_all, "short": om_short_all},
            "r_short_full": _r_ci(pooled[s]["short"], pooled[s]["full"], ci_level),
            "information": {
                "model": mdl.information_model,
                "theta_range": list(mdl.theta_range),
                "cutoff": cut_of(s),
                "mean_full": float(info_full.mean()),
                "mean_short": float(info_short.mean()),
                "least_informative_theta": float(mdl.theta[j_min]),
                "least_information": float(info_short[j_min]),
            },
            "search": (
                {"method": "none"}
                if res is None
                else {
                    "method": res.method,
                    "candidate_sets": res.n_candidates,
                    "evaluated": res.evaluated,
                    "objective": res.score,
                    "terms": res.terms,
                }
            ),
            "stability": float(np.mean([fk[s] == kept_s for fk in fold_kept])),
            "fit": {
                "omega_full": _mean_omega(fits_full, s),
                "omega_short": _mean_omega(fits_short, s),
                "std_loadings_short": (
                    {it: float(short_cfa.std_loadings.loc[it, s]) for it in kept_s}
                    if short_cfa is not None and s in short_cfa.std_loadings.columns
                    else None
                ),
            },
            "items": items_out,
        }
        if y is not None:
            d["validity"] = {
                "full": _r_ci(pooled[s]["full"], y, ci_level),
                "short": _r_ci(pooled[s]["short"], y, ci_level),
                "baseline": _r_ci(pooled[s]["base"], y, ci_level),
            }
            d["baseline"] = {
                "kept": base_all[s],
                "selected_in_folds": {it: int(sum(it in fb[s] for fb in fold_base)) for it in its},
            }
        out_subs[s] = d
        need_full = required_answers(len(its), instrument.subscale_min_answered(instrument.subscale(s)))
        need_short = required_answers(len(kept_s), instrument.subscale_min_answered(instrument.subscale(s)))
        if len(kept_s) - need_short < len(its) - need_full:
            warn.append(
                f"subscale {s}: with min_answered {instrument.subscale_min_answered(instrument.subscale(s))}"
                f" the short form tolerates {len(kept_s) - need_short} missing answer(s) "
                f"(the full form {len(its) - need_full})"
            )

    settings = {
        "items_per_scale": items_per_scale,
        "target_reliability": target_reliability,
        "min_items": int(min_items),
        "folds": int(folds),
        "seed": int(seed),
        "information_range": list(information_range),
        "cutoffs": cutoffs,
        "cutoff_halfwidth": float(cutoff_halfwidth),
        "weights": w,
        "criterion": crit_name,
        "subscales": chosen,
        "search": {"method": search_method, "max_exhaustive": int(max_exhaustive)},
        "ci_level": float(ci_level),
        "cfa": bool(cfa),
        "n_rows": int(n),
        "data_sha256": data_sha256(data),
        "instrument_sha256": instrument.sha256,
        "grouped_folds": groups is not None,
    }
    fit = {"cross_validated": {"full": _mean_fit(fits_full), "short": _mean_fit(fits_short)}, "in_sample": fit_in}
    return ShortFormResult(
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        subscales=out_subs,
        settings=settings,
        folds=fold_out,
        fit=fit,
        warnings=tuple(dict.fromkeys(warn)),
        irt={s: models_all[s].irt for s in chosen},
    )


def _mean_omega(fits: list[dict[str, Any] | None], s: str) -> float | None:
    vals = [f["omega"].get(s) for f in fits if f is not None and f.get("omega")]
    vals = [v for v in vals if v is not None]
    return float(np.mean(vals)) if vals else None


def shorten_data(
    data: Any,
    *,
    role: str | None = None,
    criterion: str | None = None,
    invalid: str | None = None,
    min_answered: float | None = None,
    **kwargs: Any,
) -> ShortFormResult:
    """:func:`shorten` on data read with :func:`wamkit.read` (:class:`~wamkit.design.read.StudyData`).

    Takes one role's rows and instrument (``role`` ``"client"``/``"professional"``, needed when the data hold
    both), keys the items as the scorer does, reads ``criterion`` (a column name) as numbers, and, when the rows
    come from several waves, keeps each person's rows in one fold (the design's person or dyad column).  Other
    keyword arguments go to :func:`shorten`.  ``settings`` of the result record ``role`` and ``grouped_by``.
    """
    from dataclasses import replace

    from wamkit.design.read import score_data

    if None in data.instruments:
        value, rows = None, np.arange(len(data.frame))
    else:
        present = [v for v in data.instruments if data.role_rows(v).size]
        if role is None:
            if len(present) != 1:
                raise UsageError(
                    f"the data hold {len(present)} roles ({', '.join(map(str, present))}), each with its "
                    "own instrument: shorten one at a time with role='client' (or select rows with where)"
                )
            role = present[0]
        value = data.design.role_value(role) or role
        if value not in data.instruments:
            raise UsageError(f"role {role!r} is not in the data (roles: {', '.join(map(str, present))})")
        rows = data.role_rows(value)
    ins = data.instrument_for(value)
    scored = score_data(data, keep_items=True, invalid=invalid, min_answered=min_answered).scores
    items = scored.iloc[rows][[f"{i}_keyed" for i in ins.item_ids]].set_axis(ins.item_ids, axis=1)
    items = items.reset_index(drop=True)
    frame = data.frame.iloc[rows].reset_index(drop=True)
    groups = None
    grouped_by = None
    wave = data.design.wave
    if wave is not None and wave in frame.columns and frame[wave].dropna().nunique() > 1:
        grouped_by = data.design.person_column
        if grouped_by is None or grouped_by not in frame.columns:
            raise UsageError(
                f"the rows hold {frame[wave].dropna().nunique()} waves of the same clients but no "
                f"person or dyad column to keep them together: select one wave (where {wave}=...) "
                "or declare the dyad column"
            )
        groups = frame[grouped_by]
    crit = None
    if criterion is not None:
        if criterion not in frame.columns:
            raise UsageError(f"criterion: {data.source} has no column {criterion!r}")
        crit = pd.to_numeric(frame[criterion].astype("string").str.strip(), errors="coerce").rename(criterion)
    res = shorten(items, ins, criterion=crit, groups=groups, **kwargs)
    return replace(res, settings={**res.settings, "role": value, "grouped_by": grouped_by})
