"""The result of an outcomes analysis: :class:`OutcomesResult` (tables, no rendering)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from wamkit.outcomes.models import REGISTRY
from wamkit.outcomes.surfaces import SurfaceEntry
from wamkit.results import Result, to_jsonable

__all__ = ["SURFACE_COLUMNS", "TIDY_COLUMNS", "OutcomesResult"]

TIDY_COLUMNS = (
    "section",
    "predictor",
    "outcome",
    "rater",
    "wave",
    "statistic",
    "model",
    "term",
    "estimate",
    "ci_low",
    "ci_high",
    "p",
    "p_adj",
    "n",
    "events",
)
SURFACE_COLUMNS = (
    "outcome",
    "subscale",
    "wave",
    "model",
    "group",
    "parameter",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "statistic",
    "pvalue",
    "df",
    "n",
    "events",
)


@dataclass(frozen=True)
class OutcomesResult(Result):
    """Everything ``wamkit outcomes`` reports.

    Attributes
    ----------
    n : int
        Joined data rows analysed (discrepancy rows not counted).
    n_keys : int
        Distinct keys among the joined rows.
    settings : dict
        What was analysed: outcomes with types and models, events, predictors, covariates, splits,
        ``adjust_family`` (the declared p-value families), ``correlation_inference``, ...
    join : dict
        Rows joined / not joined in both directions, example keys, how shared columns were handled.
    correlations : pandas.DataFrame
        :data:`~wamkit.outcomes.correlations.CORRELATION_COLUMNS`; one row per predictor x outcome x
        rater x wave x method (``pearson``, ``spearman``). ``r``, ``ci_low``, ``ci_high``, ``p``,
        ``n``: ``cor.test`` on the split's pairwise-complete rows, or with an officer column the
        cluster-robust CI and p (``inference`` says which; ``se``, ``n_clusters``); ``p_adj``: the
        family of the same method.
    partial_correlations : pandas.DataFrame
        :data:`~wamkit.outcomes.correlations.PARTIAL_COLUMNS` (empty without covariates):
        ``psych::partial.r`` with ``corr.p(r, n - k)``'s p and Fisher-z CI.
    models : pandas.DataFrame
        :data:`~wamkit.outcomes.models.MODEL_COLUMNS`, one row per non-intercept term.
        ``estimate`` = OR (logistic), RR (Poisson / negative binomial), HR (Cox) or b (OLS), per
        scale point of the predictor (per SD with ``per_sd``); ``predictor`` names the model's focal
        predictor (``"joint"``, ``"A:B"`` for the interaction model); ``role`` is ``predictor``,
        ``covariate`` or ``interaction``; Cox rows give ``landmark_days`` (0 at the origin wave) and
        ``n_excluded_before_landmark``; ``time_varying`` marks counting-process Cox models.
    wave_comparisons : pandas.DataFrame
        :data:`~wamkit.outcomes.waves.WAVE_COLUMNS`: Williams' t (``psych::r.test``) of
        r(outcome, x at wave_a) = r(outcome, x at wave_b) on the keys with both waves.
    skipped : tuple of dict
        Predictor or outcome x split combinations without values, listed rather than dropped silently.
    warnings : tuple of str
        Unjoined rows, constant outcomes, few events, separation, non-convergence, ...
    response_surfaces : tuple of SurfaceEntry
        With ``surface``: one per outcome x score x wave x model (see :mod:`wamkit.outcomes.surfaces`).
    """

    n: int
    n_keys: int
    settings: dict
    join: dict
    correlations: pd.DataFrame
    partial_correlations: pd.DataFrame
    models: pd.DataFrame
    wave_comparisons: pd.DataFrame
    skipped: tuple = ()
    warnings: tuple[str, ...] = ()
    response_surfaces: tuple[SurfaceEntry, ...] = ()
    document_builder = "wamkit.render.reports.outcomes:outcomes_document"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict with the stable keys ``n``, ``n_keys``, ``settings``, ``join``, ``correlations``,
        ``partial_correlations``, ``models``, ``wave_comparisons``, ``skipped``, ``warnings`` and
        ``response_surfaces`` (= the CLI's JSON without ``provenance``)."""
        return to_jsonable(
            {
                "n": self.n,
                "n_keys": self.n_keys,
                "settings": self.settings,
                "join": self.join,
                "correlations": self.correlations,
                "partial_correlations": self.partial_correlations,
                "models": self.models,
                "wave_comparisons": self.wave_comparisons,
                "skipped": list(self.skipped),
                "warnings": list(self.warnings),
                "response_surfaces": [s.to_dict() for s in self.response_surfaces],
            }
        )

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """``tidy`` (:meth:`tidy`, the main table), ``correlations``, ``partial_correlations``, ``models``,
        ``wave_comparisons`` (columns as the attributes) and ``response_surfaces``
        (:data:`SURFACE_COLUMNS`: one row per surface x parameter b0..b5, a1..a5, X0..p21)."""
        return {
            "tidy": self.tidy(),
            "correlations": self.correlations,
            "partial_correlations": self.partial_correlations,
            "models": self.models,
            "wave_comparisons": self.wave_comparisons,
            "response_surfaces": self.surface_frame(),
        }

    def surface_frame(self) -> pd.DataFrame:
        parts = []
        for s in self.response_surfaces:
            f = s.result.to_frame()
            parts.append(
                f.assign(
                    outcome=s.outcome,
                    subscale=s.subscale,
                    wave=s.wave,
                    model=s.result.model,
                    n=s.result.n,
                    events=s.result.events,
                )
            )
        if not parts:
            return pd.DataFrame({k: [] for k in SURFACE_COLUMNS})
        return pd.concat(parts, ignore_index=True).loc[:, list(SURFACE_COLUMNS)]

    def tidy(self) -> pd.DataFrame:
        """One long table (:data:`TIDY_COLUMNS`): one row per predictor x outcome x rater x wave x
        statistic. ``section`` is ``correlation``, ``partial_correlation``, ``model``,
        ``wave_comparison`` or ``response_surface``; ``statistic`` is the correlation method,
        ``partial_r``, the estimate's name (OR, RR, HR, b), ``williams_t`` (``estimate`` is t,
        ``wave`` reads ``T0-T1``) or the surface parameter (a1..a5)."""
        c, m, w = self.correlations, self.models, self.wave_comparisons
        f = self.surface_frame()
        f = f[f["group"] == "surface"]
        parts = [
            _part(c, "correlation", statistic=c["method"], estimate=c["r"]),
            _part(
                self.partial_correlations,
                "partial_correlation",
                statistic="partial_r",
                term=self.partial_correlations["covariates"].map("|".join),
                estimate="r",
            ),
            _part(
                m,
                "model",
                statistic=m["model"].map(lambda k: REGISTRY[k].estimate),
                model="model",
                term="term",
                estimate="estimate",
                events="events",
            ),
            _part(
                w,
                "wave_comparison",
                wave=w["wave_a"] + "-" + w["wave_b"],
                statistic=w["test"],
                estimate="statistic",
                ci_low=np.nan,
                ci_high=np.nan,
            ),
            _part(
                f,
                "response_surface",
                predictor=f["subscale"],
                rater=None,
                statistic=f["parameter"],
                model="model",
                term=f["parameter"],
                estimate="estimate",
                p=f["pvalue"],
                p_adj=np.nan,
                events="events",
            ),
        ]
        parts = [x for x in parts if x is not None]
        if not parts:
            return pd.DataFrame({k: [] for k in TIDY_COLUMNS})
        return pd.concat(parts, ignore_index=True).loc[:, list(TIDY_COLUMNS)]


def _part(frame: pd.DataFrame, section: str, **columns: Any) -> pd.DataFrame | None:
    """The rows of one section of :meth:`OutcomesResult.tidy`: each tidy column is the frame's column of
    that name, the column named by a string value, a given Series, or a constant (None, NaN, a label
    that is no column); columns not given are the frame's own, or missing."""
    if not len(frame):
        return None
    out: dict[str, Any] = {"section": section}
    for col in TIDY_COLUMNS[1:]:
        v = columns.get(col, col if col in frame.columns else None if col in ("model", "term") else np.nan)
        out[col] = frame[v] if isinstance(v, str) and v in frame.columns else v
    return pd.DataFrame(out, index=frame.index)
