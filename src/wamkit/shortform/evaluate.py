"""The two evaluations of :func:`wamkit.shortform.shorten`: selection on the training rows of every fold judged on
its held-out rows (:func:`cross_validate`), and the final selection and fits on all rows (:func:`fit_all_rows`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from wamkit.shortform.folds import training_rows
from wamkit.shortform.measures import heldout_srmr, joint_cfa, omega_alpha, row_means
from wamkit.shortform.selection import SearchResult, SubscaleModel
from wamkit.shortform.selector import Selector

__all__ = ["AllRowsFit", "CrossValidation", "cross_validate", "evaluate_fold", "fit_all_rows"]


@dataclass(frozen=True)
class CrossValidation:
    """The held-out evaluation.

    ``records``: one dict per fold (``fold``, ``n_train``, ``n_test``, ``kept``, ``reliability_full``,
    ``reliability_short``, ``alpha_full``, ``alpha_short``, with a criterion ``baseline_kept``, with the CFA
    ``fit_full``/``fit_short``): the result's ``folds``.  ``pooled``: ``{subscale: {"full", "short", "base":
    score per row}}``, each row's score from the fold that held it out (``base`` stays NaN without a criterion).
    """

    records: list[dict[str, Any]]
    pooled: dict[str, dict[str, np.ndarray]]

    @property
    def kept(self) -> list[dict[str, list[str]]]:
        """The items each fold kept, per subscale."""
        return [r["kept"] for r in self.records]

    @property
    def baseline(self) -> list[dict[str, list[str]]]:
        """The baseline items of each fold, per subscale (empty without a criterion)."""
        return [r["baseline_kept"] for r in self.records if "baseline_kept" in r]

    def fits(self, form: str) -> list[dict[str, Any] | None]:
        """The CFA fit of ``form`` (``"full"``/``"short"``) on each fold (empty without the CFA)."""
        return [r[f"fit_{form}"] for r in self.records if f"fit_{form}" in r]


def cross_validate(selector: Selector, parts: list[np.ndarray], warn: list[str]) -> CrossValidation:
    """Choose on the training rows of every fold of ``parts`` (:func:`~wamkit.shortform.folds.make_folds`) and
    judge on its held-out rows (:func:`evaluate_fold`)."""
    n = selector.items.n
    pooled = {s: {form: np.full(n, np.nan) for form in ("short", "full", "base")} for s in selector.settings.subscales}
    records = [
        evaluate_fold(selector, f, training_rows(parts, test), test, pooled, warn) for f, test in enumerate(parts)
    ]
    return CrossValidation(records=records, pooled=pooled)


def evaluate_fold(
    selector: Selector,
    fold: int,
    train: np.ndarray,
    test: np.ndarray,
    pooled: dict[str, dict[str, np.ndarray]],
    warn: list[str],
) -> dict[str, Any]:
    """Fold ``fold`` (0-based; its search seeded with ``rng_key = fold``): the sets chosen on ``train``, judged on
    ``test`` (omega and alpha of the full and the short subscale; with a criterion the baseline set; with the CFA
    the training-row fits and their held-out SRMR).  Writes the held-out rows' scores into ``pooled``."""
    sel = selector.select(selector.fit_models(train), fold)
    kept = {s: selector.kept(s, sel[s]) for s in selector.settings.subscales}
    rec: dict[str, Any] = {
        "fold": fold + 1,
        "n_train": int(train.size),
        "n_test": int(test.size),
        "kept": kept,
        "reliability_full": {},
        "reliability_short": {},
        "alpha_full": {},
        "alpha_short": {},
    }
    where = f"fold {fold + 1}"
    base = _heldout_subscales(selector, train, test, kept, rec, pooled, warn, where)
    if selector.items.criterion is not None:
        rec["baseline_kept"] = base
    if selector.settings.cfa:
        rec["fit_full"], rec["fit_short"] = _fold_cfa(selector, train, test, kept, warn, where)
    return rec


def _heldout_subscales(
    selector: Selector,
    train: np.ndarray,
    test: np.ndarray,
    kept: dict[str, list[str]],
    rec: dict[str, Any],
    pooled: dict[str, dict[str, np.ndarray]],
    warn: list[str],
    where: str,
) -> dict[str, list[str]]:
    """Held-out omega and alpha of each subscale's full and short form into ``rec``, the held-out rows' full,
    short and (with a criterion) baseline scores into ``pooled``; returns the baseline sets (chosen on ``train``)."""
    tblock = selector.items.data.iloc[test]
    base: dict[str, list[str]] = {}
    for s in selector.settings.subscales:
        its = selector.items.sub_items[s]
        om_f, al_f = omega_alpha(tblock[its], warn, f"{where}, {s} (full)")
        om_s, al_s = omega_alpha(tblock[kept[s]], warn, f"{where}, {s} (short)")
        rec["reliability_full"][s], rec["reliability_short"][s] = om_f, om_s
        rec["alpha_full"][s], rec["alpha_short"][s] = al_f, al_s
        pooled[s]["full"][test] = row_means(tblock[its].to_numpy(dtype=float))
        pooled[s]["short"][test] = row_means(tblock[kept[s]].to_numpy(dtype=float))
        if selector.items.criterion is not None:
            base[s] = selector.baseline(s, train, len(kept[s]))
            pooled[s]["base"][test] = row_means(tblock[base[s]].to_numpy(dtype=float))
    return base


def _fold_cfa(
    selector: Selector,
    train: np.ndarray,
    test: np.ndarray,
    kept: dict[str, list[str]],
    warn: list[str],
    where: str,
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The joint CFA of the full and of the short form on the training rows, each with its held-out SRMR."""
    data, factors = selector.items.data, selector.items.cfa_factors
    out = []
    for label, facs in (("full", {**factors}), ("short", {**factors, **kept})):
        fd, fr = joint_cfa(data.iloc[train], facs, warn, f"{where} (training rows, {label} form)")
        if fd is not None:
            fd["heldout_srmr"] = heldout_srmr(data.iloc[test], fr)
        out.append(fd)
    return out[0], out[1]


@dataclass(frozen=True)
class AllRowsFit:
    """The final selection on all rows.

    ``models``/``selections``: each subscale's model and chosen set (None: kept whole); ``kept``/``baseline``:
    the items kept and the baseline items (empty without a criterion); ``fit``: in-sample CFA fit measures of
    the ``"full"`` and ``"short"`` form (None without the CFA); ``short_cfa``: the short form's CFA result.
    """

    models: dict[str, SubscaleModel]
    selections: dict[str, SearchResult | None]
    kept: dict[str, list[str]]
    baseline: dict[str, list[str]]
    fit: dict[str, Any]
    short_cfa: Any = None


def fit_all_rows(selector: Selector, warn: list[str]) -> AllRowsFit:
    """Choose once more on all rows (search seeded with ``rng_key = folds``), the baseline sets and the joint CFA
    of the full and the short form; the models' warnings go to ``warn``."""
    st, items = selector.settings, selector.items
    rows = np.arange(items.n)
    models = selector.fit_models(rows)
    selections = selector.select(models, int(st.folds))
    kept = {s: selector.kept(s, selections[s]) for s in st.subscales}
    base = {s: selector.baseline(s, rows, len(kept[s])) for s in st.subscales} if items.criterion is not None else {}
    fit: dict[str, Any] = {"full": None, "short": None}
    short_cfa = None
    if st.cfa:
        fit["full"], _ = joint_cfa(items.data, {**items.cfa_factors}, warn, "all rows (full form)")
        fit["short"], short_cfa = joint_cfa(items.data, {**items.cfa_factors, **kept}, warn, "all rows (short form)")
    for s in st.subscales:
        warn.extend(models[s].warnings)
    return AllRowsFit(models=models, selections=selections, kept=kept, baseline=base, fit=fit, short_cfa=short_cfa)
