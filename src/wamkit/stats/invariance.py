"""Multi-group CFA and measurement-invariance sequences (lavaan ``group=`` / ``group.equal=``).

Models, as lavaan 0.6-14 builds them for ``cfa(model, data, group=..., group.equal=...)``
with ML and marker identification:

* every group has free intercepts ν_g (mean structure) and latent means fixed to 0;
* ``"loadings"``: Λ equal across groups (metric);
* ``"intercepts"``: ν equal across groups, latent means fixed to 0 in the first group
  and free in the others (scalar);
* ``"residuals"``: residual variances Θ equal across groups (strict).

Group order is the order of first appearance in the data (lavaan ``group.label``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import pandas as pd
from scipy import stats

from wamkit.errors import UsageError
from wamkit.results import to_jsonable
from wamkit.stats.cfa import CFAResult, cfa_result
from wamkit.stats.model_syntax import MeasurementModel, as_model
from wamkit.stats.sem.estimate import fit_sem

__all__ = ["CHEN_2007", "InvarianceResult", "InvarianceStep", "fit_multigroup", "invariance_sequence",
           "LEVELS"]

#: level name -> lavaan group.equal
LEVELS: dict[str, tuple[str, ...]] = {
    "configural": (),
    "metric": ("loadings",),
    "scalar": ("loadings", "intercepts"),
    "strict": ("loadings", "intercepts", "residuals"),
}

#: Chen (2007) cut-offs: (min ΔCFI, max ΔRMSEA, max ΔSRMR) for moving to the level
CHEN_2007: dict[str, dict[str, float]] = {
    "metric": {"delta_cfi_min": -0.010, "delta_rmsea_max": 0.015, "delta_srmr_max": 0.030},
    "scalar": {"delta_cfi_min": -0.010, "delta_rmsea_max": 0.015, "delta_srmr_max": 0.010},
    "strict": {"delta_cfi_min": -0.010, "delta_rmsea_max": 0.015, "delta_srmr_max": 0.010},
}

_VALID_EQUAL = ("loadings", "intercepts", "residuals")


def fit_multigroup(data: pd.DataFrame, model: MeasurementModel | str, group: str, *,
                   equal: Sequence[str] = (), missing: str = "listwise", std_lv: bool = False) -> CFAResult:
    """Fit a multi-group CFA by ML with cross-group equality constraints.

    Parameters
    ----------
    data : pandas.DataFrame
        Items and the grouping column.
    model : MeasurementModel or str
        lavaan ``=~`` syntax.
    group : str
        Column defining the groups (at least two).  Rows with a missing group are dropped.
    equal : sequence of {"loadings", "intercepts", "residuals"}
        lavaan ``group.equal``.  ``"intercepts"`` frees the latent means of groups 2..G.
    missing : {"listwise", "fiml"}
    std_lv : bool
        Factor variances fixed to 1 (in the first group only when loadings are equal, as lavaan).

    Returns
    -------
    CFAResult
        ``params`` has one block per group (``group`` = 1..G); fit measures are lavaan's
        multi-group ones: ``chisq = Σ_g n_g F_g``, ``rmsea`` multiplied by √G, ``srmr`` the
        ``n_g/N``-weighted average of the per-group SRMR including mean residuals.
        Matches ``lavaan::cfa(model, data, group=group, group.equal=equal)``.
    """
    m = as_model(model)
    items = list(m.items)
    equal = tuple(equal)
    bad = [e for e in equal if e not in _VALID_EQUAL]
    if bad:
        raise UsageError(f"unknown equality constraint {bad[0]!r}; use any of {', '.join(_VALID_EQUAL)}")
    if "intercepts" in equal and "loadings" not in equal:
        raise UsageError("equal intercepts need equal loadings ('loadings', 'intercepts')")
    if missing not in ("listwise", "fiml"):
        raise UsageError(f"missing must be 'listwise' or 'fiml', not {missing!r}")
    if not isinstance(data, pd.DataFrame):
        raise UsageError("data must be a pandas DataFrame")
    if group not in data.columns:
        raise UsageError(f"group column {group!r} is not in the data")
    if group in items:
        raise UsageError(f"group column {group!r} is also a model item")
    n_groups = int(data[group].dropna().nunique())
    if n_groups < 2:
        raise UsageError(f"group column {group!r} has {n_groups} group(s); need at least 2")
    order = tuple(e for e in _VALID_EQUAL if e in equal)
    res = fit_sem(data, m.to_syntax(), group=group, group_equal=order, missing=missing, std_lv=std_lv,
                  meanstructure=True)
    return cfa_result(res, m, equal=order)


@dataclass(frozen=True)
class InvarianceStep:
    """One model of the sequence and its comparison with the previous one.

    ``chisq_diff``, ``df_diff``, ``pvalue_diff`` = ``lavaan::lavTestLRT(previous, this)``
    (standard ML χ² difference); ``delta_*`` = this − previous.  All comparison fields are
    ``None`` for the first model.  ``verdict`` is ``"supported"``/``"not supported"`` by the
    Chen (2007) cut-offs in ``cutoffs`` (all three must hold), ``None`` for the first model.
    """

    level: str
    equal: tuple[str, ...]
    fit: CFAResult
    chisq_diff: float | None
    df_diff: int | None
    pvalue_diff: float | None
    delta_cfi: float | None
    delta_rmsea: float | None
    delta_srmr: float | None
    cutoffs: dict[str, float] | None
    verdict: str | None

    def to_dict(self) -> dict[str, Any]:
        f = self.fit.fit
        return {
            "level": self.level,
            "equal": list(self.equal),
            "fit": f.to_dict(),
            "converged": self.fit.converged,
            "warnings": list(self.fit.warnings),
            "chisq_diff": to_jsonable(self.chisq_diff),
            "df_diff": self.df_diff,
            "pvalue_diff": to_jsonable(self.pvalue_diff),
            "delta_cfi": to_jsonable(self.delta_cfi),
            "delta_rmsea": to_jsonable(self.delta_rmsea),
            "delta_srmr": to_jsonable(self.delta_srmr),
            "cutoffs": to_jsonable(self.cutoffs),
            "verdict": self.verdict,
        }


@dataclass(frozen=True)
class InvarianceResult:
    """A configural → metric → scalar → strict sequence.

    Attributes
    ----------
    group : str
    groups : tuple of str
    steps : tuple of InvarianceStep
    highest_level : str
        The last level such that it and every comparison before it is supported; the
        first level (normally ``"configural"``) when the first comparison already fails.
        Later levels are still fitted and compared with their predecessor, so a later
        step can read "supported" although an earlier one was not.
    summary : str
        One line, e.g. ``"metric invariance supported; scalar not supported (ΔCFI -0.039 < -0.010)"``.
    criteria : str
        Name of the cut-off rule (``"Chen (2007)"``).
    """

    group: str
    groups: tuple[str, ...]
    steps: tuple[InvarianceStep, ...]
    highest_level: str
    summary: str
    criteria: str = "Chen (2007)"
    warnings: tuple[str, ...] = ()

    def table(self) -> pd.DataFrame:
        """Tidy table: one row per level with the fit measures and the comparison columns
        ``level, npar, chisq, df, pvalue, cfi, tli, rmsea, rmsea_ci_lower, rmsea_ci_upper, srmr,
        aic, bic, chisq_diff, df_diff, pvalue_diff, delta_cfi, delta_rmsea, delta_srmr, verdict``."""
        rows = []
        for s in self.steps:
            f = s.fit.fit
            rows.append({
                "level": s.level, "npar": f.npar, "chisq": f.chisq, "df": f.df, "pvalue": f.pvalue,
                "cfi": f.cfi, "tli": f.tli, "rmsea": f.rmsea, "rmsea_ci_lower": f.rmsea_ci_lower,
                "rmsea_ci_upper": f.rmsea_ci_upper, "srmr": f.srmr, "aic": f.aic, "bic": f.bic,
                "chisq_diff": s.chisq_diff, "df_diff": s.df_diff, "pvalue_diff": s.pvalue_diff,
                "delta_cfi": s.delta_cfi, "delta_rmsea": s.delta_rmsea, "delta_srmr": s.delta_srmr,
                "verdict": s.verdict,
            })
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "groups": list(self.groups),
            "criteria": self.criteria,
            "steps": [s.to_dict() for s in self.steps],
            "highest_level": self.highest_level,
            "summary": self.summary,
            "warnings": list(self.warnings),
        }


def lrt(base: CFAResult, restricted: CFAResult) -> tuple[float, int, float]:
    """Standard ML χ² difference test (``lavaan::lavTestLRT(base, restricted)``): Δχ², Δdf, p."""
    d_chisq = restricted.fit.chisq - base.fit.chisq
    d_df = restricted.fit.df - base.fit.df
    if d_df <= 0:
        raise UsageError("the second model must be nested in the first with more degrees of freedom")
    p = float(stats.chi2.sf(max(d_chisq, 0.0), d_df))
    return float(d_chisq), int(d_df), p


def invariance_sequence(data: pd.DataFrame, model: MeasurementModel | str, group: str, *,
                        levels: Sequence[str] = ("configural", "metric", "scalar", "strict"),
                        missing: str = "listwise", std_lv: bool = False) -> InvarianceResult:
    """Fit a measurement-invariance sequence and compare adjacent models.

    Each level is :func:`fit_multigroup` with lavaan's ``group.equal`` for that level
    (:data:`LEVELS`).  Adjacent models are compared with the χ² difference test
    (``lavTestLRT``) and ΔCFI/ΔRMSEA/ΔSRMR; a step is ``"supported"`` when
    ΔCFI ≥ −.010, ΔRMSEA ≤ .015 and ΔSRMR ≤ .030 (metric) or ≤ .010 (scalar, strict)
    (Chen, 2007; :data:`CHEN_2007`).
    """
    levels = tuple(levels)
    if not levels:
        raise UsageError("levels is empty")
    unknown = [lv for lv in levels if lv not in LEVELS]
    if unknown:
        raise UsageError(f"unknown invariance level {unknown[0]!r}; use {', '.join(LEVELS)}")
    rank = [list(LEVELS).index(lv) for lv in levels]
    if rank != sorted(rank) or len(set(rank)) != len(rank):
        raise UsageError("levels must be distinct and ordered configural, metric, scalar, strict")
    m = as_model(model)
    steps: list[InvarianceStep] = []
    prev: CFAResult | None = None
    highest: str | None = None
    failed: str | None = None
    notes: list[str] = []
    for lv in levels:
        res = fit_multigroup(data, m, group, equal=LEVELS[lv], missing=missing, std_lv=std_lv)
        if prev is None:
            steps.append(InvarianceStep(lv, LEVELS[lv], res, None, None, None, None, None, None, None, None))
            highest = lv
        else:
            dchi, ddf, p = lrt(prev, res)
            dcfi = res.fit.cfi - prev.fit.cfi
            drmsea = res.fit.rmsea - prev.fit.rmsea
            dsrmr = res.fit.srmr - prev.fit.srmr
            cut = CHEN_2007[lv]
            reasons = []
            if not dcfi >= cut["delta_cfi_min"]:
                reasons.append(f"ΔCFI {dcfi:.3f} < {cut['delta_cfi_min']:.3f}")
            if not drmsea <= cut["delta_rmsea_max"]:
                reasons.append(f"ΔRMSEA {drmsea:.3f} > {cut['delta_rmsea_max']:.3f}")
            if not dsrmr <= cut["delta_srmr_max"]:
                reasons.append(f"ΔSRMR {dsrmr:.3f} > {cut['delta_srmr_max']:.3f}")
            verdict = "supported" if not reasons else "not supported"
            steps.append(InvarianceStep(lv, LEVELS[lv], res, dchi, ddf, p, dcfi, drmsea, dsrmr, dict(cut), verdict))
            if reasons and failed is None:
                failed = lv
                notes.append(f"{lv} not supported ({'; '.join(reasons)})")
            elif not reasons and failed is None:
                highest = lv
        prev = res
    if len(steps) == 1:
        summary = f"only {levels[0]} fitted; no comparison"
    elif failed is None:
        summary = f"{highest} invariance supported by Chen (2007) cut-offs"
    else:
        summary = (f"{highest} invariance supported; " if highest != levels[0] else "") + notes[0]
    warns = tuple(f"{s.level}: {w}" for s in steps for w in s.fit.warnings)
    assert highest is not None
    return InvarianceResult(group=group, groups=steps[0].fit.groups, steps=tuple(steps),
                            highest_level=highest, summary=summary, warnings=warns)
