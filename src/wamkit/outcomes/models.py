"""Step 5: regression models of every outcome on the predictors, per rater x wave split.

Which models an outcome gets follows its type (:data:`wamkit.outcomes.spec.MODELS_FOR`); each
model is a :class:`Fitter` in :data:`REGISTRY` (no model-specific branches elsewhere), every one
pinned to R in :mod:`wamkit.stats.models`: ``glm`` binomial / poisson, ``MASS::glm.nb``, ``lm``
and ``survival::coxph`` (Efron ties), cluster-robust (``sandwich::vcovCL``, ``coxph(cluster=)``)
by officer.

One model per predictor (default), or one joint model; an interaction ``A:B`` adds a model (or,
joint, a term) with the product of A and B centred on the split's rows with both observed.

Cox models of a predictor measured at a wave after the event's origin start the clock at that
wave (a landmark analysis, :func:`wamkit.stats.survival.landmark`): keys with the event or
censoring before it are left out (counted in ``n_excluded_before_landmark``), so that later
ratings are not credited with the time before they were made (immortal-time bias).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wamkit.design.study import DAYS_PER_MONTH, TIME_UNITS_PER_DAY
from wamkit.errors import DataError
from wamkit.outcomes.design import CLUSTER, AnalysisData, Split
from wamkit.outcomes.spec import AnalysisSpec
from wamkit.stats import models as mdl
from wamkit.stats.models import ModelResult
from wamkit.stats.survival import landmark

__all__ = [
    "MODEL_COLUMNS",
    "REGISTRY",
    "Fitter",
    "landmark_frame",
    "landmark_months",
    "model_rows",
    "model_sets",
    "split_models",
]

MODEL_COLUMNS = (
    "outcome",
    "model",
    "term",
    "estimate",
    "ci_low",
    "ci_high",
    "p",
    "p_adj",
    "n",
    "events",
    "rater",
    "wave",
    "predictor",
    "role",
    "coef",
    "se",
    "statistic",
    "covariates",
    "cov_type",
    "n_clusters",
    "per_sd",
    "dispersion",
    "theta",
    "converged",
    "landmark_days",
    "n_excluded_before_landmark",
    "time_varying",
)


@dataclass(frozen=True)
class Fitter:
    """One outcome model: how to fit it and what its estimate is called."""

    name: str
    estimate: str
    fit: Callable[..., ModelResult]
    needs_time: bool = False
    events: str = "events"


def _glm(fn: Callable[..., ModelResult]) -> Callable[..., ModelResult]:
    def fit(frame: pd.DataFrame, y: str, terms: list[str], time: str | None, **kw: object) -> ModelResult:
        return fn(frame, y, terms, **kw)

    return fit


def _cox(frame: pd.DataFrame, y: str, terms: list[str], time: str | None, **kw: object) -> ModelResult:
    assert time is not None
    return mdl.cox(frame, time, y, terms, **kw)  # type: ignore[arg-type]  # **kw: the registry's shared keywords


#: model name -> fitter (R: glm binomial, glm poisson, MASS::glm.nb, lm, coxph)
REGISTRY: dict[str, Fitter] = {
    "logistic": Fitter("logistic", "OR", _glm(mdl.logistic)),
    "poisson": Fitter("poisson", "RR", _glm(mdl.poisson), events="total count"),
    "negative_binomial": Fitter("negative_binomial", "RR", _glm(mdl.negative_binomial), events="total count"),
    "ols": Fitter("ols", "b", _glm(mdl.ols), events=""),
    "cox": Fitter("cox", "HR", _cox, needs_time=True),
}


def model_sets(
    spec: AnalysisSpec, ad: AnalysisData, avail: Sequence[str], cols: Mapping[str, np.ndarray]
) -> tuple[list[tuple[str, list[str], list[str]]], bool]:
    """(focal label, terms, roles) of the models of one split, and whether the interaction fits here."""
    s = spec.settings
    inter = s.interaction_terms
    inter_ok = inter is not None and all(
        c in avail or (c not in ad.predictors and np.isfinite(cols[c]).any()) for c in inter
    )
    sets: list[tuple[str, list[str], list[str]]] = []
    if s.joint:
        pool = spec.predictors if spec.explicit_predictors else [p for p in ad.predictors if p not in spec.totals]
        jp = [p for p in pool if p in avail] + [p for p in ad.discrepancy if p in avail and p not in pool]
        if inter is not None and inter_ok:
            jp += [c for c in inter if c not in jp]
            sets.append(("joint", jp + [":".join(inter)], ["predictor"] * len(jp) + ["interaction"]))
        elif jp:
            sets.append(("joint", jp, ["predictor"] * len(jp)))
    else:
        sets += [(p, [p], ["predictor"]) for p in avail]
        if inter is not None and inter_ok:
            sets.append((":".join(inter), [*inter, ":".join(inter)], ["predictor", "predictor", "interaction"]))
    return sets, inter_ok


def landmark_months(spec: AnalysisSpec, ad: AnalysisData, event: str, wave: str | None) -> float | None:
    """Months from the event's origin wave to ``wave`` (None: no wave split, or months unknown)."""
    if wave is None or spec.months is None:
        return None
    origin = spec.events[event].origin_wave or (ad.wave_order[0] if ad.wave_order else None)
    if origin is None or origin not in spec.months or wave not in spec.months:
        return None
    return spec.months[wave] - spec.months[origin]


def landmark_warnings(spec: AnalysisSpec, ad: AnalysisData) -> list[str]:
    """Cox models at a wave after the origin without a landmark (months unknown, or landmark off)."""
    out = []
    for o, ev in spec.events.items():
        origin = ev.origin_wave or (ad.wave_order[0] if ad.wave_order else None)
        later = [w for w in ad.wave_order if w != origin] if spec.split_wave else []
        if later and (not spec.settings.landmark or any(landmark_months(spec, ad, o, w) is None for w in later)):
            why = "landmark is off" if not spec.settings.landmark else "the waves' months are unknown"
            out.append(
                f"Cox models of {o} at {', '.join(later)} count time from {origin} ({why}): ratings made "
                "later are credited with the time before them; declare waves.months (wave_months) for a "
                "landmark at each wave"
            )
    return out


def landmark_frame(
    spec: AnalysisSpec, ad: AnalysisData, o: str, wave: str | None, frame: pd.DataFrame, time: str, y: str
) -> tuple[pd.DataFrame, dict]:
    """The rows of a Cox model of event ``o`` with predictors measured at ``wave``: from a landmark at
    that wave when it lies after the event's origin (see the module docstring), and the landmark in
    days with the number of rows it excluded."""
    months = landmark_months(spec, ad, o, wave) if spec.settings.landmark else None
    if months is None or months <= 0:
        return frame, {
            "landmark_days": 0.0 if months is not None else np.nan,
            "n_excluded_before_landmark": 0 if months is not None else None,
        }
    unit = TIME_UNITS_PER_DAY[spec.events[o].unit]
    lm = landmark(frame, time, y, months * DAYS_PER_MONTH * unit)
    return lm.data, {
        "landmark_days": months * DAYS_PER_MONTH,
        "n_excluded_before_landmark": lm.n_event_before + lm.n_censored_before,
    }


def model_rows(
    fit: ModelResult, base: dict, terms: Sequence[str], roles: Sequence[str], spec: AnalysisSpec
) -> list[dict]:
    """The non-intercept terms of a fit as rows of :data:`MODEL_COLUMNS` (``base`` gives the rest)."""
    role_of = dict(zip(terms, roles, strict=True))
    out = []
    records = [{str(k): v for k, v in r.items()} for r in fit.table.to_dict("records")]
    for row in records:
        if row["term"] == "(Intercept)":
            continue
        out.append(
            {
                **base,
                "term": row["term"],
                "estimate": row["estimate"],
                "ci_low": row["ci_low"],
                "ci_high": row["ci_high"],
                "p": row["p"],
                "p_adj": np.nan,
                "n": int(row["n"]),
                "events": row["events"],
                "role": role_of.get(row["term"], "covariate"),
                "coef": row["coef"],
                "se": row["se"],
                "statistic": row["z"],
                "covariates": list(spec.covariates),
                "cov_type": fit.cov_type,
                "n_clusters": fit.n_clusters,
                "per_sd": bool(spec.settings.per_sd),
                "dispersion": fit.dispersion,
                "theta": fit.theta,
                "converged": bool(fit.converged),
            }
        )
    return out


def _fit_one(
    spec: AnalysisSpec,
    fitter: Fitter,
    frame: pd.DataFrame,
    y: str,
    terms: list[str],
    time: str | None,
    cluster: str | None,
) -> ModelResult:
    return fitter.fit(
        frame, y, terms, time, cluster=cluster, per_sd=spec.settings.per_sd, ci_level=spec.settings.ci_level
    )


def _small_group(fit: ModelResult, k: int) -> str | None:
    minority = min(fit.events, fit.n - fit.events)
    if minority < 10 * k:
        return f"only {int(minority)} cases in the smaller outcome group for {k} term(s) (fewer than 10 per term)"
    return None


def split_models(
    spec: AnalysisSpec,
    ad: AnalysisData,
    split: Split,
    cols: dict[str, np.ndarray],
    avail: Sequence[str],
    live: Sequence[str],
) -> tuple[list[dict], list[str], bool]:
    """Model rows (columns :data:`MODEL_COLUMNS`), warnings, and whether the interaction was fitted."""
    sets, inter_ok = model_sets(spec, ad, avail, cols)
    inter = spec.settings.interaction_terms
    if inter is not None and inter_ok:
        a, b = cols[inter[0]], cols[inter[1]]
        both = np.isfinite(a) & np.isfinite(b)
        cols[":".join(inter)] = (a - a[both].mean()) * (b - b[both].mean())
    rows: list[dict] = []
    warns: list[str] = []
    cl_name = CLUSTER if CLUSTER in cols else None
    for o in live:
        y = ad.outcome[o]
        time = ad.time.get(o)
        for model in spec.models[o]:
            fitter = REGISTRY[model]
            for focal, terms, roles in sets:
                allterms = terms + [c for c in spec.covariates if c not in terms]
                used = [y, *allterms] + ([time] if fitter.needs_time and time else []) + ([cl_name] if cl_name else [])
                frame = pd.DataFrame({c: cols[c] for c in dict.fromkeys(used)})
                label = f"{model} {o} ~ {' + '.join(allterms)} [{split.label}]"
                extra: dict = {"landmark_days": np.nan, "n_excluded_before_landmark": None, "time_varying": False}
                if fitter.needs_time:
                    assert time is not None
                    frame, lm = landmark_frame(spec, ad, o, split.wave, frame, time, y)
                    extra.update(lm)
                try:
                    fit = _fit_one(spec, fitter, frame, y, allterms, time if fitter.needs_time else None, cl_name)
                except DataError as e:
                    warns.append(f"{label}: not fitted: {e.message}")
                    continue
                warns += [f"{label}: {w}" for w in fit.warnings]
                small = _small_group(fit, len(allterms)) if model == "logistic" else None
                if small:
                    warns.append(f"{label}: {small}")
                base = {
                    "outcome": o,
                    "model": model,
                    "rater": split.rater,
                    "wave": split.wave,
                    "predictor": focal,
                    **extra,
                }
                rows += model_rows(fit, base, terms, roles, spec)
    return rows, warns, inter is not None and inter_ok
