"""The result of :func:`wamkit.shortform.shorten`: per-subscale summaries of the two evaluations
(:mod:`wamkit.shortform.evaluate`), the settings record and the :class:`~wamkit.shortform.result.ShortFormResult`."""

from __future__ import annotations

from typing import Any

import numpy as np

from wamkit.instrument import Instrument
from wamkit.scoring.core import required_answers
from wamkit.shortform.baseline import item_criterion_r
from wamkit.shortform.evaluate import AllRowsFit, CrossValidation
from wamkit.shortform.measures import mean_fit, mean_omega, omega_alpha, r_ci
from wamkit.shortform.prepare import data_sha256
from wamkit.shortform.result import ShortFormResult
from wamkit.shortform.selection import SearchResult, SubscaleModel
from wamkit.shortform.selector import Selector

__all__ = [
    "assemble_result",
    "information_summary",
    "item_summaries",
    "search_summary",
    "settings_record",
    "subscale_summary",
    "tolerance_warning",
]


#: the held-out statistics averaged over the folds (the fold records' keys, in the result's order)
_HELDOUT_MEANS = ("reliability_full", "reliability_short", "alpha_full", "alpha_short")
#: the validity correlations: (result key, pooled score)
_VALIDITY_SCORES = (("full", "full"), ("short", "short"), ("baseline", "base"))


def assemble_result(
    instrument: Instrument,
    selector: Selector,
    cv: CrossValidation,
    final: AllRowsFit,
    warn: list[str],
    *,
    grouped: bool,
) -> ShortFormResult:
    """The :class:`ShortFormResult`: every subscale's summary (:func:`subscale_summary`, whose notes go to
    ``warn``), the settings, the folds, the CFA fit (mean over the held-out folds and on all rows) and the
    warnings (first occurrence of each, in order)."""
    subscales = {s: subscale_summary(s, instrument, selector, cv, final, warn) for s in selector.settings.subscales}
    fit = {
        "cross_validated": {"full": mean_fit(cv.fits("full")), "short": mean_fit(cv.fits("short"))},
        "in_sample": final.fit,
    }
    return ShortFormResult(
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        subscales=subscales,
        settings=settings_record(selector, instrument, grouped=grouped),
        folds=cv.records,
        fit=fit,
        warnings=tuple(dict.fromkeys(warn)),
        irt={s: final.models[s].irt for s in selector.settings.subscales},
    )


def subscale_summary(
    s: str, instrument: Instrument, selector: Selector, cv: CrossValidation, final: AllRowsFit, warn: list[str]
) -> dict[str, Any]:
    """The result's entry of subscale ``s`` (keys documented in :class:`ShortFormResult`); notes (kept
    whole, reliability not computed, changed missing-data tolerance) go to ``warn``."""
    st, data = selector.settings, selector.items.data
    its, kept, res = selector.items.sub_items[s], final.kept[s], final.selections[s]
    if res is None:
        why = (
            f"target reliability {st.target_reliability} not reached with fewer items"
            if st.target_reliability is not None
            else f"it has no more than {len(its)} items"
        )
        warn.append(f"subscale {s} kept whole: {why}")
    om_full_all, _ = omega_alpha(data[its], warn, f"all rows, {s} (full)")
    om_short_all, _ = omega_alpha(data[kept], warn, f"all rows, {s} (short)")
    pooled = cv.pooled[s]
    d: dict[str, Any] = {
        "kept": kept,
        "dropped": [i for i in its if i not in kept],
        "n_items_full": len(its),
        "n_items_short": len(kept),
        **{key: float(np.nanmean([r[key][s] for r in cv.records])) for key in _HELDOUT_MEANS},
        "reliability_in_sample": {"full": om_full_all, "short": om_short_all},
        "r_short_full": r_ci(pooled["short"], pooled["full"], st.ci_level),
        "information": information_summary(final.models[s], its, kept, st.cutoff(s)),
        "search": search_summary(res),
        "stability": float(np.mean([fk[s] == kept for fk in cv.kept])),
        "fit": {
            "omega_full": mean_omega(cv.fits("full"), s),
            "omega_short": mean_omega(cv.fits("short"), s),
            "std_loadings_short": _std_loadings(final.short_cfa, s, kept),
        },
        "items": item_summaries(s, selector, cv, final),
    }
    y = selector.items.criterion
    if y is not None:
        d["validity"] = {form: r_ci(pooled[key], y, st.ci_level) for form, key in _VALIDITY_SCORES}
        d["baseline"] = {
            "kept": final.baseline[s],
            "selected_in_folds": {it: int(sum(it in fb[s] for fb in cv.baseline)) for it in its},
        }
    note = tolerance_warning(instrument, s, len(its), len(kept))
    if note is not None:
        warn.append(note)
    return d


def _std_loadings(short_cfa: Any, s: str, kept: list[str]) -> dict[str, float] | None:
    """The standardised loadings of the kept items of ``s`` in the short form's all-rows CFA (None without it)."""
    if short_cfa is None or s not in short_cfa.std_loadings.columns:
        return None
    return {it: float(short_cfa.std_loadings.loc[it, s]) for it in kept}


def information_summary(
    model: SubscaleModel, items: list[str], kept: list[str], cutoff: float | None
) -> dict[str, Any]:
    """Test information of the full and the short form over the model's theta grid: its model and range, the
    cut-off it was centred on, the mean of each form, and where (and how little) the short form informs least."""
    pos = {it: j for j, it in enumerate(items)}
    idx = [pos[i] for i in kept]
    info_full = model.item_information.sum(axis=1)
    info_short = model.item_information[:, idx].sum(axis=1)
    j_min = int(np.argmin(info_short))
    return {
        "model": model.information_model,
        "theta_range": list(model.theta_range),
        "cutoff": cutoff,
        "mean_full": float(info_full.mean()),
        "mean_short": float(info_short.mean()),
        "least_informative_theta": float(model.theta[j_min]),
        "least_information": float(info_short[j_min]),
    }


def search_summary(res: SearchResult | None) -> dict[str, Any]:
    """How the final set was found (``{"method": "none"}`` when the subscale was kept whole)."""
    if res is None:
        return {"method": "none"}
    return {
        "method": res.method,
        "candidate_sets": res.n_candidates,
        "evaluated": res.evaluated,
        "objective": res.score,
        "terms": res.terms,
    }


def item_summaries(s: str, selector: Selector, cv: CrossValidation, final: AllRowsFit) -> dict[str, Any]:
    """Per item of subscale ``s``: kept, how many folds chose it, loading, graded-model parameters, mean
    information and, with a criterion, its all-rows criterion correlation and whether the baseline keeps it."""
    its, mdl, kept = selector.items.sub_items[s], final.models[s], final.kept[s]
    y = selector.items.criterion
    r_crit = item_criterion_r(selector.items.data[its].to_numpy(dtype=float), y) if y is not None else None
    out: dict[str, Any] = {}
    for j, it in enumerate(its):
        v: dict[str, Any] = {
            "kept": it in kept,
            "selected_in_folds": int(sum(it in fk[s] for fk in cv.kept)),
            "loading": float(mdl.loadings[j]),
            "discrimination": float(mdl.irt.discrimination[j, 0]) if mdl.irt is not None else None,
            "thresholds": [float(t) for t in mdl.irt.thresholds[0, j]] if mdl.irt is not None else None,
            "locations": [float(t) for t in mdl.irt.locations[0, j]] if mdl.irt is not None else None,
            "information": float(mdl.item_information[:, j].mean()),
        }
        if r_crit is not None:
            v["criterion_r"] = float(r_crit[j])
            v["baseline_kept"] = it in final.baseline[s]
        out[it] = v
    return out


def tolerance_warning(instrument: Instrument, s: str, n_full: int, n_short: int) -> str | None:
    """A note when the short form of ``s`` tolerates fewer missing answers than the full form under the
    instrument's ``min_answered`` (None when it tolerates as many)."""
    min_answered = instrument.subscale_min_answered(instrument.subscale(s))
    spare_full = n_full - required_answers(n_full, min_answered)
    spare_short = n_short - required_answers(n_short, min_answered)
    if spare_short >= spare_full:
        return None
    return (
        f"subscale {s}: with min_answered {min_answered}"
        f" the short form tolerates {spare_short} missing answer(s) "
        f"(the full form {spare_full})"
    )


def settings_record(selector: Selector, instrument: Instrument, *, grouped: bool) -> dict[str, Any]:
    """The result's ``settings``: what was asked, the data's size and hash, the instrument's hash."""
    st, items = selector.settings, selector.items
    return {
        "items_per_scale": st.items_per_scale,
        "target_reliability": st.target_reliability,
        "min_items": int(st.min_items),
        "folds": int(st.folds),
        "seed": int(st.seed),
        "information_range": list(st.information_range),
        "cutoffs": st.cutoffs,
        "cutoff_halfwidth": float(st.cutoff_halfwidth),
        "weights": st.weights,
        "criterion": items.criterion_name,
        "subscales": st.subscales,
        "search": {"method": st.search_method, "max_exhaustive": int(st.max_exhaustive)},
        "ci_level": float(st.ci_level),
        "cfa": bool(st.cfa),
        "n_rows": int(items.n),
        "data_sha256": data_sha256(items.data),
        "instrument_sha256": instrument.sha256,
        "grouped_folds": grouped,
    }
