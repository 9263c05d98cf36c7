"""Response surface analysis of client and professional ratings against each outcome.

For every outcome (and each of its models), every score both raters have, and every wave: the
full second-order polynomial of the client's rating X and the professional's rating Y, both
centred on the scale midpoint, with the surface parameters a1..a5 and the test against the
squared-difference model (:func:`wamkit.stats.surface.response_surface`, pinned to R ``lm`` /
``glm`` / ``MASS::glm.nb`` / ``coxph`` with ``sandwich::vcovCL``). Cox surfaces at a later wave
use the same landmark as the Cox models. A surface counts as significant (and is drawn in the
HTML report) when one of a1..a5 has p < 1 - ci_level; the parameters are not adjusted for
multiplicity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from wamkit.errors import DataError, UsageError
from wamkit.outcomes.design import CLUSTER, AnalysisData
from wamkit.outcomes.models import landmark_frame
from wamkit.outcomes.spec import AnalysisSpec
from wamkit.results import to_jsonable
from wamkit.stats.surface import SurfaceResult, response_surface, surface_grid

__all__ = ["SurfaceEntry", "response_surfaces"]


@dataclass(frozen=True)
class SurfaceEntry:
    """One fitted surface: outcome x score x wave x model, the two raters, the fit and a 21 x 21 grid of
    the fitted surface on the response scale over the observed ratings (``x``, ``y`` on the rating scale,
    ``z``) for plotting."""

    outcome: str
    subscale: str
    wave: str | None
    x_rater: str
    y_rater: str
    result: SurfaceResult
    grid: pd.DataFrame = field(repr=False)
    landmark_days: float | None = None
    n_excluded_before_landmark: int | None = None
    alpha: float = 0.05

    @property
    def significant(self) -> bool:
        return any(e.pvalue < self.alpha for e in self.result.surface.values() if np.isfinite(e.pvalue))

    def to_dict(self) -> dict[str, Any]:
        r = self.result
        return to_jsonable(
            {
                "outcome": self.outcome,
                "subscale": self.subscale,
                "wave": self.wave,
                "x": self.x_rater,
                "y": self.y_rater,
                "model": r.model,
                "n": r.n,
                "events": r.events,
                "center": r.center,
                "covariates": list(r.covariates),
                "cov_type": r.cov_type,
                "n_clusters": r.n_clusters,
                "statistic": r.statistic,
                "df": r.df,
                "coefficients": {k: v.to_dict() for k, v in r.coefficients.items()},
                "surface": {k: v.to_dict() for k, v in r.surface.items()},
                "congruence_test": r.congruence_test.to_dict(),
                "stationary_point": list(r.stationary_point),
                "significant": self.significant,
                "landmark_days": self.landmark_days,
                "n_excluded_before_landmark": self.n_excluded_before_landmark,
                "warnings": list(r.warnings),
            }
        )


def _pairs(spec: AnalysisSpec, ad: AnalysisData, roles: Sequence[str]) -> tuple[str, str]:
    raters = [r for r in (roles or ad.rater_order) if r in ad.rater_order and r != ad.discrepancy_label]
    if ad.rater is None or len(raters) < 2:
        raise UsageError(
            f"surface needs two raters (client and professional) in column '{spec.rater or 'rater'}'; "
            f"found {', '.join(raters) or 'none'}"
        )
    return raters[0], raters[1]


def _wide(ad: AnalysisData, spec: AnalysisSpec, a: str, b: str, wave: str | None, p: str) -> pd.DataFrame:
    """One row per key (rater ``a``'s rows at ``wave``) with both ratings of ``p`` as ``p.a``/``p.b``."""
    assert ad.rater is not None
    n = ad.n_rows
    sel = (ad.rater[:n] == a) & ((ad.wave[:n] == wave) if wave is not None and ad.wave is not None else True)
    other = (ad.rater[:n] == b) & ((ad.wave[:n] == wave) if wave is not None and ad.wave is not None else True)
    ia, ib = np.flatnonzero(sel), np.flatnonzero(other)
    if pd.Series(ad.keys[ia]).duplicated().any() or pd.Series(ad.keys[ib]).duplicated().any():
        raise DataError(
            "several rows per key and rater"
            + (" at this wave" if wave is not None else " (is there a wave column? name it with wave=COLUMN)")
        )
    pos = pd.Index(ad.keys[ib]).get_indexer(ad.keys[ia])
    cols = {c: v[:n][ia] for c, v in ad.num.items() if c not in ad.predictors or c == p}
    cols[f"{p}.{a}"] = ad.num[p][ia]
    cols[f"{p}.{b}"] = np.where(pos >= 0, ad.num[p][ib[np.maximum(pos, 0)]], np.nan)
    if ad.cluster is not None:
        cols[CLUSTER] = ad.cluster[:n][ia]
    return pd.DataFrame(cols)


def _center(spec: AnalysisSpec, centers: Mapping[str, float], p: str) -> float:
    if spec.settings.surface_center is not None:
        return float(spec.settings.surface_center)
    if p not in centers:
        raise UsageError(f"surface: the scale midpoint of '{p}' is unknown; give surface_center=NUMBER")
    return float(centers[p])


def _fit(
    spec: AnalysisSpec,
    ad: AnalysisData,
    frame: pd.DataFrame,
    o: str,
    model: str,
    x: str,
    y: str,
    center: float,
    wave: str | None,
) -> tuple[SurfaceResult, dict]:
    ycol, time = ad.outcome[o], (ad.time.get(o) if model == "cox" else None)
    lm: dict = {"landmark_days": None, "n_excluded_before_landmark": None}
    if time is not None:
        frame, lm = landmark_frame(spec, ad, o, wave, frame, time, ycol)
    res = response_surface(
        frame,
        ycol,
        x,
        y,
        model=model,
        center=center,
        time=time,
        covariates=spec.covariates,
        cluster=CLUSTER if CLUSTER in frame else None,
        ci_level=spec.settings.ci_level,
    )
    return res, lm


def response_surfaces(
    spec: AnalysisSpec, ad: AnalysisData, centers: Mapping[str, float], roles: Sequence[str] = ()
) -> tuple[list[SurfaceEntry], list[str]]:
    """Surfaces of every outcome x shared score x wave x model (see the module docstring)."""
    a, b = _pairs(spec, ad, roles)
    waves: Sequence[str | None] = ad.wave_order if ad.wave is not None else (None,)  # never pooled over waves
    out: list[SurfaceEntry] = []
    warns: list[str] = []
    alpha = 1 - spec.settings.ci_level
    assert ad.rater is not None
    raters = ad.rater[: ad.n_rows]
    shared = [p for p in spec.predictors if all(np.isfinite(ad.num[p][: ad.n_rows][raters == r]).any() for r in (a, b))]
    for wave in waves:
        for p in shared:
            try:
                frame = _wide(ad, spec, a, b, wave, p)
            except DataError as e:
                warns.append(f"surface {p}" + (f" [wave={wave}]" if wave else "") + f": not fitted: {e.message}")
                continue
            center = _center(spec, centers, p)
            both = frame[[f"{p}.{a}", f"{p}.{b}"]].to_numpy(dtype=float)
            limits = (float(np.nanmin(both)), float(np.nanmax(both)))  # no extrapolation beyond the ratings
            for o in spec.outcomes:
                y = frame[ad.outcome[o]].to_numpy(dtype=float)
                y = y[np.isfinite(y)]
                if y.size < 3 or y.min() == y.max():  # said already for the split
                    continue
                for model in spec.models[o]:
                    label = f"surface {model} {o} ~ {p} ({a}, {b})" + (f" [wave={wave}]" if wave else "")
                    try:
                        res, lm = _fit(spec, ad, frame, o, model, f"{p}.{a}", f"{p}.{b}", center, wave)
                    except DataError as e:
                        warns.append(f"{label}: not fitted: {e.message}")
                        continue
                    warns += [f"{label}: {w}" for w in res.warnings]
                    grid = surface_grid(res, scale="response", n=21, limits=limits)
                    out.append(SurfaceEntry(o, p, wave, a, b, res, grid, alpha=alpha, **lm))
    return out, warns
