"""The Python API: one function per job and per statistic, on DataFrames, with the CLI's defaults.

Everything here is exported lazily from :mod:`wamkit` (``import wamkit; wamkit.alpha(df)``), so
``import wamkit`` stays light. Every function returns a result with ``to_dict()``, ``to_frame()``,
``summary()`` and a notebook display. Stochastic parts (bootstrap, parallel analysis) are seeded
with the same recorded default seed as the CLI, so a library call is just as reproducible.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from wamkit.design.check import check_study
from wamkit.design.read import StudyData, read, score_data
from wamkit.design.study import load_study
from wamkit.instrument import load_instrument
from wamkit.measurement.settings import DEFAULT_SEED, ValidateSettings

__all__ = [
    "DEFAULT_SEED",
    "alpha",
    "bartlett",
    "cfa",
    "check_study",
    "correlations",
    "cox",
    "fa",
    "icc",
    "inspect",
    "invariance",
    "kmo",
    "load_instrument",
    "load_study",
    "logistic",
    "map_test",
    "negative_binomial",
    "omega",
    "parallel_analysis",
    "partial_correlation",
    "poisson",
    "polychoric",
    "read",
    "score",
    "validate",
]


def _frame(data: Any, items: Sequence[str] | None = None) -> pd.DataFrame:
    """Items as a float DataFrame (a StudyData's frame, a DataFrame or a 2-d array)."""
    if isinstance(data, StudyData):
        data = data.frame
    if isinstance(data, pd.DataFrame):
        frame = data if items is None else data.loc[:, list(items)]
        return frame.apply(pd.to_numeric, errors="coerce").astype(float)
    arr = np.asarray(data, dtype=float)
    return pd.DataFrame(arr, columns=list(items) if items is not None else [f"x{i + 1}" for i in range(arr.shape[1])])


def _cor(data: Any, items: Sequence[str] | None) -> tuple[np.ndarray, np.ndarray, list[str], int]:
    from wamkit.stats.correlation import pairwise_cor

    frame = _frame(data, items)
    R, npair = pairwise_cor(frame.to_numpy())
    return R, npair, [str(c) for c in frame.columns], len(frame)


# --------------------------------------------------------------------------- whole jobs


def score(
    data: StudyData | str,
    *,
    keep_items: bool = False,
    keep_counts: bool = False,
    invalid: str | None = None,
    min_answered: float | None = None,
    **read_settings: Any,
) -> Any:
    """Scores of every row (``wamkit score``): ``data`` is read data, or a file/study read with ``read_settings``."""
    if not isinstance(data, StudyData):
        data = read(data, **read_settings)
    return score_data(data, keep_items=keep_items, keep_counts=keep_counts, invalid=invalid, min_answered=min_answered)


def inspect(data: StudyData | str, *, id_columns: Sequence[str] | None = None, **read_settings: Any) -> Any:
    """Data quality per role (``wamkit inspect``)."""
    from wamkit.scoring.quality import inspect_data

    if not isinstance(data, StudyData):
        data = read(data, **read_settings)
    return inspect_data(data, id_columns=list(id_columns) if id_columns else None)


def validate(
    data: StudyData | str,
    *,
    role: str | None = None,
    model: str | None = None,
    settings: ValidateSettings | None = None,
    **options: Any,
) -> Any:
    """Reliability, factor structure, invariance and nesting (``wamkit validate``).

    ``options`` are :class:`~wamkit.measurement.settings.ValidateSettings` fields (``ordinal=True``,
    ``group="school"``, ``skip={"parallel"}``, ...) or read settings when ``data`` is a path.
    """
    from wamkit.measurement.validate import validate as run

    fields = set(ValidateSettings.__dataclass_fields__)
    vs = {k: options.pop(k) for k in list(options) if k in fields}
    if "skip" in vs:
        vs["skip"] = frozenset(vs["skip"])
    settings = settings or ValidateSettings(**vs)
    if not isinstance(data, StudyData):
        if model is not None:
            from wamkit.measurement.settings import instrument_from_model

            options.setdefault("instrument", instrument_from_model(model))
        data = read(data, **options)
    return run(data, role=role, model=model, settings=settings)


# --------------------------------------------------------------------------- statistics


def alpha(
    data: Any,
    *,
    items: Sequence[str] | None = None,
    scale_min: float | None = None,
    scale_max: float | None = None,
    n_boot: int = 0,
    seed: int = DEFAULT_SEED,
    ci_level: float = 0.95,
) -> Any:
    """Cronbach's alpha with item analysis, as ``psych::alpha`` (pairwise); Feldt CI, bootstrap CI with ``n_boot``."""
    from wamkit.stats.reliability import alpha as run

    frame = _frame(data, items)
    return run(
        frame,
        scale_min=scale_min,
        scale_max=scale_max,
        n_boot=n_boot,
        rng=np.random.default_rng(seed) if n_boot else None,
        ci_level=ci_level,
    )


def omega(data: Any, *, items: Sequence[str] | None = None) -> Any:
    """Omega total of a one-factor model, as ``psych::omega(x, nfactors = 1)`` (pairwise correlations)."""
    from wamkit.stats.reliability import omega_total

    R, _, cols, _ = _cor(data, items)
    return omega_total(R, items=cols)


def kmo(data: Any, *, items: Sequence[str] | None = None) -> Any:
    """Kaiser-Meyer-Olkin sampling adequacy, as ``psych::KMO`` (pairwise correlations)."""
    from wamkit.stats.efa import kmo as run

    R, _, cols, _ = _cor(data, items)
    return run(R, items=cols)


def bartlett(data: Any, *, items: Sequence[str] | None = None) -> Any:
    """Bartlett's test of sphericity, as ``psych::cortest.bartlett(R, n)`` with n = rows."""
    from wamkit.stats.efa import bartlett as run

    R, _, _, n = _cor(data, items)
    return run(R, n)


def parallel_analysis(
    data: Any, *, items: Sequence[str] | None = None, n_iter: int = 20, fm: str = "minres", seed: int = DEFAULT_SEED
) -> Any:
    """Parallel analysis (factors and components), as ``psych::fa.parallel``; seeded like the CLI."""
    from wamkit.stats.nfactors import parallel_analysis as run

    return run(_frame(data, items).to_numpy(), n_iter=n_iter, fm=fm, rng=np.random.default_rng(seed))


def map_test(data: Any, *, items: Sequence[str] | None = None, n_max: int = 8) -> Any:
    """Velicer's MAP, as ``psych::VSS``'s map."""
    from wamkit.stats.nfactors import map_test as run

    R, _, _, _ = _cor(data, items)
    return run(R, n_max=n_max)


def fa(
    data: Any, n_factors: int, *, items: Sequence[str] | None = None, fm: str = "minres", rotate: str = "oblimin"
) -> Any:
    """Exploratory factor analysis, as ``psych::fa`` on the pairwise correlations of raw data."""
    from wamkit.stats.efa import fa as run

    R, npair, cols, n = _cor(data, items)
    return run(R, n_factors, n_obs=n, fm=fm, rotate=rotate, np_obs=npair, items=cols)


def polychoric(data: Any, *, items: Sequence[str] | None = None) -> Any:
    """Polychoric correlations and thresholds, as ``psych::polychoric``."""
    from wamkit.stats.polychoric import polychoric as run

    return run(_frame(data, items))


def cfa(data: pd.DataFrame, model: str, *, missing: str = "listwise", std_lv: bool = False) -> Any:
    """Confirmatory factor analysis by ML (lavaan ``cfa()`` defaults; ``missing="fiml"`` for FIML)."""
    from wamkit.stats.cfa import fit_cfa

    return fit_cfa(_frame(data), model, missing=missing, std_lv=std_lv)


def invariance(
    data: pd.DataFrame,
    model: str,
    group: str,
    *,
    levels: Sequence[str] = ("configural", "metric", "scalar", "strict"),
    missing: str = "listwise",
) -> Any:
    """Multi-group measurement invariance (independent groups), as lavaan ``group.equal`` + ``lavTestLRT``."""
    from wamkit.stats.invariance import invariance_sequence

    frame = data.copy()
    return invariance_sequence(frame, model, group, levels=tuple(levels), missing=missing)


def icc(ratings: Any) -> Any:
    """The six Shrout-Fleiss ICCs of a targets x raters matrix, as ``psych::ICC(x, lmer = FALSE)``."""
    from wamkit.stats.icc import icc as run

    return run(ratings)


def correlations(
    data: pd.DataFrame, x: str, y: str, *, method: str = "pearson", cluster: str | None = None, ci_level: float = 0.95
) -> Any:
    """Correlation with CI and p, as ``cor.test``; with ``cluster`` cluster-robust (influence-function SE)."""
    from wamkit.stats.association import correlate, correlate_clustered

    if cluster is not None:
        return correlate_clustered(data[x], data[y], data[cluster], method=method, ci_level=ci_level)
    return correlate(data[x], data[y], method=method, ci_level=ci_level)


def partial_correlation(data: pd.DataFrame, x: str, y: str, covariates: Sequence[str]) -> Any:
    """Partial correlation, as ``psych::partial.r`` with ``corr.p`` p value."""
    from wamkit.stats.association import partial_correlation as run

    return run(data, x, y, list(covariates))


def logistic(
    data: pd.DataFrame,
    outcome: str,
    predictors: Sequence[str],
    *,
    cluster: str | None = None,
    per_sd: bool = False,
    ci_level: float = 0.95,
) -> Any:
    """Logistic regression, as ``glm(family = binomial)``; cluster-robust as ``sandwich::vcovCL``."""
    from wamkit.stats.models import logistic as run

    return run(data, outcome, list(predictors), cluster=cluster, per_sd=per_sd, ci_level=ci_level)


def poisson(
    data: pd.DataFrame,
    outcome: str,
    predictors: Sequence[str],
    *,
    cluster: str | None = None,
    per_sd: bool = False,
    ci_level: float = 0.95,
) -> Any:
    """Poisson regression, as ``glm(family = poisson)``; cluster-robust as ``sandwich::vcovCL``."""
    from wamkit.stats.models import poisson as run

    return run(data, outcome, list(predictors), cluster=cluster, per_sd=per_sd, ci_level=ci_level)


def negative_binomial(
    data: pd.DataFrame,
    outcome: str,
    predictors: Sequence[str],
    *,
    cluster: str | None = None,
    per_sd: bool = False,
    ci_level: float = 0.95,
) -> Any:
    """Negative binomial regression, as ``MASS::glm.nb``."""
    from wamkit.stats.models import negative_binomial as run

    return run(data, outcome, list(predictors), cluster=cluster, per_sd=per_sd, ci_level=ci_level)


def cox(
    data: pd.DataFrame,
    time: str,
    event: str,
    predictors: Sequence[str],
    *,
    start: str | None = None,
    cluster: str | None = None,
    per_sd: bool = False,
    ci_level: float = 0.95,
) -> Any:
    """Cox model with Efron ties, as ``survival::coxph``; (start, stop] data with ``start``."""
    from wamkit.stats.models import cox as run

    return run(data, time, event, list(predictors), start=start, cluster=cluster, per_sd=per_sd, ci_level=ci_level)
