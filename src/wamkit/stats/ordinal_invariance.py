"""Ordinal measurement invariance by WLSMV: across groups, occasions (waves) and dyad roles.

Each model is the one ``semTools::measEq.syntax(configural.model, data, ordered = TRUE,
parameterization = "delta", ID.cat = "Wu.Estabrook.2016", ...)`` (semTools 0.5-6) writes and fits with
lavaan 0.6-14 (``return.fit = TRUE``), with measEq's default factor identification ``ID.fac = "std.lv"``.
The steps follow Wu & Estabrook (2016): configural -> thresholds -> loadings -> intercepts.

Identification (measEq's rules for ``ID.cat = "Wu.Estabrook.2016"``, delta parameterisation)
-----------------------------------------------------------------------------------------
* Reference group (first group / first occasion): intercepts 0, scaling factors (delta) 1, factor
  variances 1, latent means 0.  Thresholds free.
* Other groups (occasions): with ``k`` thresholds of an item constrained equal to the reference,
  its intercept is free when ``k >= 1`` and intercepts are not equal; its scaling factor is free when
  ``k >= 2``, or ``k >= 1`` with equal intercepts; otherwise they stay at 0 and 1.  A factor variance
  is free once one of its loadings is equal; a latent mean once one of its single-factor items has an
  equal intercept.
* ``"thresholds"`` equal thresholds; ``"loadings"`` adds equal loadings; ``"intercepts"`` adds equal
  intercepts (then fixed to 0 everywhere).  measEq refuses ``"residuals"`` in the delta
  parameterisation ("Residual variances cannot be tested for invariance ... when parameterization =
  delta"), so there is no strict step here; the theta parameterisation is not implemented.
* Longitudinal/dyadic (``longFacNames``, ``longIndNames``, ``auto = "all"``): one group, one factor per
  subscale per occasion, all factor covariances free, and the residuals of the same item correlated
  over every pair of occasions.

Comparisons of adjacent steps: ``lavTestLRT`` (Satorra 2000 scaled-shifted difference test, lavaan's
default for WLSMV), ΔCFI and ΔRMSEA of the *scaled* statistics and ΔSRMR, and a verdict by Chen's (2007)
cut-offs (:data:`wamkit.stats.invariance.CHEN_2007`: thresholds and intercepts use the "scalar" cut-offs,
loadings the "metric" ones) or by the difference test (``criterion="lrt"``).  Robust CFI/RMSEA are
reported, but lavaan 0.6-14 gives them only for models without threshold/intercept equality
constraints, so every step after the configural one has them as NaN (JSON ``null``).

Partial invariance (``partial=True``): at a step that is not supported, the restriction of that step
with the largest ``lavTestScore`` statistic (ties within 1e-6 relative: the first in the model's order)
is released (measEq ``group.partial``/``long.partial``),
the model refitted and compared again with the accepted previous model, until supported or nothing is
left to release; releases carry over to later steps.

Pinned by ``tests/stats/test_ordinal_invariance.py`` against ``tests/reference/ordinal_invariance.json``
(written by ``tests/reference/ordinal_invariance.R``).

Public API: :func:`ordinal_invariance`, :func:`longitudinal_ordinal_invariance`,
:func:`dyadic_ordinal_invariance`, :func:`wide_by_occasion`, :class:`OrdinalInvarianceResult`,
:data:`ORDINAL_LEVELS`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from wamkit.errors import DataError, UsageError
from wamkit.results import StatResult, to_jsonable
from wamkit.stats.invariance import CHEN_2007
from wamkit.stats.wlsmv import as_factor_items
from wamkit.stats.wlsmv_groups import (
    OrdinalData,
    OrdinalModel,
    OrdinalParam,
    Restriction,
    WLSMVModelFit,
    fit_wlsmv_model,
    prepare_ordinal_data,
    wlsmv_lrt,
    wlsmv_score_tests,
)

__all__ = [
    "ORDINAL_LEVELS",
    "OrdinalComparison",
    "OrdinalInvarianceModel",
    "OrdinalInvarianceResult",
    "OrdinalPartialLevel",
    "PartialRelease",
    "dyadic_ordinal_invariance",
    "longitudinal_ordinal_invariance",
    "ordinal_invariance",
    "wide_by_occasion",
]

#: level name -> measEq group.equal / long.equal
ORDINAL_LEVELS: dict[str, tuple[str, ...]] = {
    "configural": (),
    "thresholds": ("thresholds",),
    "loadings": ("thresholds", "loadings"),
    "intercepts": ("thresholds", "loadings", "intercepts"),
}
#: which Chen (2007) cut-offs apply to each ordinal step
_CHEN_KEY = {"thresholds": "scalar", "loadings": "metric", "intercepts": "scalar"}
_CRITERIA = ("chen", "lrt")


# ----------------------------------------------------------------------------- the measEq model
@dataclass(frozen=True)
class _Design:
    """Items, factors and (for repeated measures) the longitudinal keys of a model."""

    items: tuple[str, ...]
    factors: tuple[tuple[str, tuple[str, ...]], ...]
    n_groups: int
    long_items: tuple[tuple[str, tuple[str, ...]], ...] = ()  # key -> item per occasion
    long_factors: tuple[tuple[str, tuple[str, ...]], ...] = ()  # key -> factor per occasion
    residual_covariances: tuple[tuple[str, str], ...] = ()

    @property
    def longitudinal(self) -> bool:
        return bool(self.long_items)


@dataclass(frozen=True)
class _Built:
    model: OrdinalModel
    candidates: dict[str, list[Restriction]]  # release key -> restrictions (for the level's new restrictions)


def _measeq_model(design: _Design, equal: Sequence[str], nth: Sequence[int], partial: Sequence[str] = ()) -> _Built:
    """The parameter table ``measEq.syntax`` writes (ID.fac std.lv, ID.cat Wu.Estabrook.2016, delta).

    ``equal`` is measEq's ``group.equal`` (multi-group) or ``long.equal`` (repeated measures);
    ``partial`` its ``group.partial``/``long.partial`` entries as text (``"A1 | t2"``, ``"agree =~ A1"``,
    ``"A1 ~ 1"``; for repeated measures item and factor *keys*).  Returns the model and, for the last
    kind of restriction in ``equal``, the restrictions each partial key would release.
    """
    eq = set(equal)
    bad = eq - {"thresholds", "loadings", "intercepts"}
    if bad:
        raise UsageError(f"unknown equality constraint {min(bad)!r}; use thresholds, loadings, intercepts")
    part = {_parse_partial(s) for s in partial}
    items = design.items
    item_idx = {it: i for i, it in enumerate(items)}
    fac_of_item: dict[str, list[str]] = {it: [] for it in items}
    for f, its in design.factors:
        for it in its:
            fac_of_item[it].append(f)
    params: list[OrdinalParam] = []
    G = design.n_groups

    def add(group: int, op: str, lhs: str, rhs: str, free: bool, value: float = 0.0, label: str = "") -> None:
        params.append(OrdinalParam(group, op, lhs, rhs, free, value, label))

    if not design.longitudinal:
        for g in range(G):
            sfx = f".g{g + 1}"
            psi_free = set()
            for f, its in design.factors:
                for it in its:
                    same = "loadings" in eq and ("=~", f, it) not in part
                    add(g, "=~", f, it, True, label=f"lambda.{it}_{f}" + ("" if same else sfx))
                    if same and g > 0:
                        psi_free.add(f)
            for it in items:
                for k in range(1, nth[item_idx[it]] + 1):
                    same = "thresholds" in eq and ("|", it, f"t{k}") not in part
                    add(g, "|", it, f"t{k}", True, label=f"{it}.thr{k}" + ("" if same else sfx))
            alpha_free = set()
            for it in items:
                n_eq = sum(
                    "thresholds" in eq and ("|", it, f"t{k}") not in part for k in range(1, nth[item_idx[it]] + 1)
                )
                eq_int = "intercepts" in eq and ("~1", it, "") not in part
                if g == 0:
                    add(g, "~1", it, "", False, 0.0, label=f"nu.{it}" + ("" if eq_int else sfx))
                    add(g, "~*~", it, it, False, 1.0)
                    continue
                if n_eq >= 1 and not eq_int:
                    add(g, "~1", it, "", True, label=f"nu.{it}{sfx}")
                else:
                    add(g, "~1", it, "", False, 0.0, label=f"nu.{it}" + ("" if eq_int else sfx))
                if n_eq >= 2 or (n_eq >= 1 and eq_int):
                    add(g, "~*~", it, it, True, label=f"delta.{it}{sfx}")
                else:
                    add(g, "~*~", it, it, False, 1.0)
                if eq_int and len(fac_of_item[it]) == 1:
                    alpha_free.add(fac_of_item[it][0])
            _factor_moments(add, g, design, psi_free, alpha_free, sfx)
            for a, b in design.residual_covariances:
                add(g, "~~", a, b, True, label=f"theta.{a}_{b}{sfx}")
    else:
        key_of_item = {it: (k, t) for k, its in design.long_items for t, it in enumerate(its)}
        first_item = {k: its[0] for k, its in design.long_items}
        key_of_fac = {f: (k, t) for k, fs in design.long_factors for t, f in enumerate(fs)}
        first_fac = {k: fs[0] for k, fs in design.long_factors}
        psi_free, alpha_free = set(), set()
        for f, its in design.factors:
            for it in its:
                label = f"lambda.{it}_{f}"
                if f in key_of_fac and it in key_of_item:
                    fk, lk = key_of_fac[f][0], key_of_item[it][0]
                    if "loadings" in eq and ("=~", fk, lk) not in part:
                        label = f"lambda.{first_item[lk]}_{first_fac[fk]}"
                        if key_of_fac[f][1] > 0:
                            psi_free.add(f)
                add(0, "=~", f, it, True, label=label)
        for it in items:
            ik: str | None = key_of_item[it][0] if it in key_of_item else None
            n_eq = 0
            for k in range(1, nth[item_idx[it]] + 1):
                label = f"{it}.thr{k}"
                if ik is not None and "thresholds" in eq and ("|", ik, f"t{k}") not in part:
                    label = f"{first_item[ik]}.thr{k}"
                    n_eq += 1
                add(0, "|", it, f"t{k}", True, label=label)
            eq_int = ik is not None and "intercepts" in eq and ("~1", ik, "") not in part
            nu_label = f"nu.{first_item[ik]}" if eq_int and ik is not None else f"nu.{it}"
            if ik is None or key_of_item[it][1] == 0:
                add(0, "~1", it, "", False, 0.0, label=nu_label)
                add(0, "~*~", it, it, False, 1.0)
                continue
            if n_eq == 0 or eq_int:
                add(0, "~1", it, "", False, 0.0, label=nu_label)
            else:
                add(0, "~1", it, "", True, label=nu_label)
            if n_eq == 0 or (n_eq < 2 and not eq_int):
                add(0, "~*~", it, it, False, 1.0)
            else:
                add(0, "~*~", it, it, True, label=f"delta.{it}")
            if eq_int and len(fac_of_item[it]) == 1:
                f = fac_of_item[it][0]
                if f in key_of_fac and key_of_fac[f][1] > 0:
                    alpha_free.add(f)
        _factor_moments(add, 0, design, psi_free, alpha_free, "")
        pairs = []
        for _, its in design.long_items:
            for lag in range(1, len(its)):
                for t in range(len(its) - lag):
                    pairs.append((its[t], its[t + lag]))
        for a, b in list(pairs) + list(design.residual_covariances):
            add(0, "~~", a, b, True, label=f"theta.{a}_{b}")
    model = OrdinalModel(items=items, factors=design.factors, n_groups=G, params=tuple(params))
    return _Built(model=model, candidates=_candidates(design, model, eq, nth, part))


def _factor_moments(add: Any, g: int, design: _Design, psi_free: set[str], alpha_free: set[str], sfx: str) -> None:
    names = [f for f, _ in design.factors]
    for a, f in enumerate(names):
        if f in alpha_free:
            add(g, "~1", f, "", True, label=f"alpha.{f}{sfx}")
        else:
            add(g, "~1", f, "", False, 0.0)
        if f in psi_free:
            add(g, "~~", f, f, True, label=f"psi.{f}_{f}{sfx}")
        else:
            add(g, "~~", f, f, False, 1.0)
        for h in names[:a]:
            add(g, "~~", h, f, True, label=f"psi.{f}_{h}{sfx}")


def _parse_partial(text: str) -> tuple[str, str, str]:
    s = " ".join(str(text).split())
    if "=~" in s:
        lhs, rhs = (x.strip() for x in s.split("=~", 1))
        return ("=~", lhs, rhs)
    if "|" in s:
        lhs, rhs = (x.strip() for x in s.split("|", 1))
        return ("|", lhs, rhs)
    if s.endswith(("~ 1", "~1")):
        return ("~1", s.rsplit("~", 1)[0].strip(), "")
    raise UsageError(f"partial restriction {text!r}: use 'item | t2', 'factor =~ item' or 'item ~ 1'")


def _partial_text(key: tuple[str, str, str]) -> str:
    op, lhs, rhs = key
    return {"=~": f"{lhs} =~ {rhs}", "|": f"{lhs} | {rhs}", "~1": f"{lhs} ~ 1"}[op]


def _candidates(
    design: _Design, model: OrdinalModel, eq: set[str], nth: Sequence[int], part: set[tuple[str, str, str]]
) -> dict[str, list[Restriction]]:
    """Restrictions of the level's newest kind, grouped by the partial key that releases them."""
    newest = (
        "intercepts"
        if "intercepts" in eq
        else "loadings"
        if "loadings" in eq
        else "thresholds"
        if "thresholds" in eq
        else None
    )
    out: dict[str, list[Restriction]] = {}
    if newest is None:
        return out
    key_of_item = {it: k for k, its in design.long_items for it in its}
    key_of_fac = {f: k for k, fs in design.long_factors for f in fs}
    firsts = {its[0] for _, its in design.long_items}

    def ikey(it: str) -> str:
        return key_of_item.get(it, it) if design.longitudinal else it

    def fkey(f: str) -> str:
        return key_of_fac.get(f, f) if design.longitudinal else f

    if newest in ("thresholds", "loadings"):
        op = "|" if newest == "thresholds" else "=~"
        by_label: dict[str, list[int]] = {}
        for k, prm in enumerate(model.params):
            if prm.free and prm.label and prm.op == op:
                by_label.setdefault(prm.label, []).append(k)
        for ks in by_label.values():
            if len(ks) < 2:
                continue
            prm = model.params[ks[0]]
            key = _partial_text(("|", ikey(prm.lhs), prm.rhs) if op == "|" else ("=~", fkey(prm.lhs), ikey(prm.rhs)))
            out.setdefault(key, []).extend(Restriction("equal", (ks[0], k)) for k in ks[1:])
    else:
        item_idx = {it: i for i, it in enumerate(model.items)}
        for k, prm in enumerate(model.params):
            if prm.op != "~1" or prm.free or prm.lhs not in item_idx:
                continue
            if design.longitudinal:
                if prm.lhs not in key_of_item or prm.lhs in firsts:
                    continue
            elif prm.group == 0:
                continue
            key_ = ikey(prm.lhs)
            n_eq = sum(("|", key_, f"t{t}") not in part for t in range(1, nth[item_idx[prm.lhs]] + 1))
            if n_eq >= 1 and ("~1", key_, "") not in part:
                out.setdefault(_partial_text(("~1", key_, "")), []).append(Restriction("fixed", (k,)))
    return out


# ----------------------------------------------------------------------------- results
@dataclass(frozen=True)
class OrdinalInvarianceModel:
    """One fitted step: ``level``, measEq's ``equal`` list, the ``released`` partial restrictions and the fit.

    ``candidates`` maps each restriction this step adds (in measEq partial syntax: ``"A1 | t2"``,
    ``"agree =~ A1"``, ``"A1 ~ 1"``) to the model restrictions that releasing it removes.
    """

    level: str
    equal: tuple[str, ...]
    released: tuple[str, ...]
    fit: WLSMVModelFit = field(repr=False)
    candidates: Mapping[str, tuple[Restriction, ...]] = field(default_factory=dict, repr=False)

    def score_tests(self) -> pd.DataFrame:
        """Score test of releasing each restriction this step adds (largest first).

        Columns ``restriction, X2, df, pvalue``: ``lavTestScore(fit, release = <its constraint rows>)$test``
        (lavaan 0.6-14's ordinary score test for WLSMV fits).  Intercepts, which measEq fixes at 0 rather
        than constrains, are tested as free intercepts with ``== 0`` constraints (the same model).  Empty
        for the configural step.
        """
        keys = list(self.candidates)
        stats_ = wlsmv_score_tests(self.fit, [list(self.candidates[k]) for k in keys]) if keys else []
        rows = [(k, *st) for k, st in zip(keys, stats_, strict=True)]
        out = pd.DataFrame(rows, columns=["restriction", "X2", "df", "pvalue"])
        return out.sort_values("X2", ascending=False, kind="stable").reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        """The fit measures (``WLSMVFit`` fields: ``npar, df, chisq, chisq_scaled, cfi_scaled, ...``) with
        ``equal``, ``released``, ``converged``, ``iterations`` and ``warnings``."""
        return to_jsonable(
            {
                **self.fit.fit.to_dict(),
                "equal": list(self.equal),
                "released": list(self.released),
                "converged": self.fit.converged,
                "iterations": self.fit.iterations,
                "warnings": list(self.fit.warnings),
            }
        )


@dataclass(frozen=True)
class OrdinalComparison:
    """A step compared with the previous accepted model.

    ``chisq_diff``/``df_diff``/``pvalue_diff``: ``lavTestLRT(previous, this)`` (Satorra 2000 scaled-shifted;
    ``scale_a``, ``shift_b`` its a and b).  ``delta_cfi``/``delta_rmsea``: change in the scaled CFI and
    RMSEA; ``delta_srmr``: change in SRMR; ``delta_cfi_robust``/``delta_rmsea_robust``: change in the robust
    indices (None when lavaan has none).  ``verdict``: ``"supported"``/``"not supported"`` by
    ``criterion`` (``cutoffs``: the Chen (2007) cut-offs, or ``{"alpha": ...}`` for ``"lrt"``);
    ``reasons``: the failed conditions.
    """

    level: str
    against: str
    chisq_diff: float
    df_diff: int
    pvalue_diff: float
    scale_a: float
    shift_b: float
    delta_cfi: float
    delta_rmsea: float
    delta_srmr: float
    delta_cfi_robust: float | None
    delta_rmsea_robust: float | None
    cutoffs: dict[str, float]
    verdict: str
    reasons: tuple[str, ...] = ()

    @property
    def supported(self) -> bool:
        return self.verdict == "supported"

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable({k: getattr(self, k) for k in self.__dataclass_fields__})


@dataclass(frozen=True)
class PartialRelease:
    """One release of the partial-invariance search: the restriction with the largest score statistic.

    ``candidates`` holds every candidate's ``(restriction, X2, df, pvalue)`` (``lavTestScore(fit, release =
    its rows)$test``) at that point, largest first.
    """

    restriction: str
    X2: float
    df: int
    pvalue: float
    candidates: tuple[tuple[str, float, int, float], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(
            {
                "restriction": self.restriction,
                "X2": self.X2,
                "df": self.df,
                "pvalue": self.pvalue,
                "candidates": [{"restriction": r, "X2": x, "df": d, "pvalue": p} for r, x, d, p in self.candidates],
            }
        )


@dataclass(frozen=True)
class OrdinalPartialLevel:
    """The partial-invariance search at one level: the comparison before any release, the releases in
    order, and whether the level ends up supported."""

    level: str
    full: OrdinalComparison
    releases: tuple[PartialRelease, ...]
    supported: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "full_comparison": self.full.to_dict(),
            "releases": [r.to_dict() for r in self.releases],
            "released": [r.restriction for r in self.releases],
            "supported": self.supported,
        }


@dataclass(frozen=True)
class OrdinalInvarianceResult(StatResult):
    """An ordinal invariance sequence (configural -> thresholds -> loadings -> intercepts).

    Attributes
    ----------
    design : ``"groups"`` (multi-group) or ``"occasions"`` (longitudinal or dyadic).
    group, groups : grouping column and group labels (multi-group; lavaan's order).
    occasions : occasion (wave or role) labels (repeated measures).
    n_obs : complete rows per group (one entry for repeated measures).
    models : one :class:`OrdinalInvarianceModel` per level; with ``partial`` the accepted (partially
        released) model of each level.
    comparisons : :class:`OrdinalComparison` of each model with the previous one.
    highest_level : the last level such that it and every comparison before it is supported (possibly
        partially, see ``partial``).
    verdict : one sentence, e.g. ``"loadings invariance supported; intercepts not supported (...)"``.
    criterion : ``"chen"`` or ``"lrt"``.
    partial : one :class:`OrdinalPartialLevel` per level that needed releases (None without ``partial``).
    estimator, parameterization, identification : ``"WLSMV"``, ``"delta"``, ``"Wu.Estabrook.2016"``.
    warnings : notes from the fits (prefixed by level).
    """

    design: str
    group: str | None
    groups: tuple[str, ...]
    occasions: tuple[str, ...] | None
    n_obs: tuple[int, ...]
    models: tuple[OrdinalInvarianceModel, ...]
    comparisons: tuple[OrdinalComparison, ...]
    highest_level: str
    verdict: str
    criterion: str
    partial: tuple[OrdinalPartialLevel, ...] | None
    estimator: str = "WLSMV"
    parameterization: str = "delta"
    identification: str = "Wu.Estabrook.2016"
    warnings: tuple[str, ...] = ()

    def model(self, level: str) -> OrdinalInvarianceModel:
        for m in self.models:
            if m.level == level:
                return m
        raise UsageError(f"no model for level {level!r}")

    @property
    def criteria(self) -> str:
        """The verdict rule in words (as the continuous :class:`~wamkit.stats.invariance.InvarianceResult`)."""
        if self.criterion == "chen":
            return "Chen (2007) on scaled CFI/RMSEA and SRMR"
        alpha = self.comparisons[0].cutoffs["alpha"] if self.comparisons else 0.05
        return f"scaled-shifted difference test at alpha = {alpha:g}"

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """Tidy tables.

        ``steps`` (the main table; one row per level): ``level, released, npar, df, chisq, chisq_scaled,
        pvalue_scaled, cfi_scaled, tli_scaled, rmsea_scaled, cfi_robust, tli_robust, rmsea_robust, srmr,
        chisq_diff, df_diff, pvalue_diff, delta_cfi, delta_rmsea, delta_srmr, verdict`` (comparison columns
        empty for the first level; ``delta_cfi``/``delta_rmsea`` of the scaled indices).
        ``releases`` (with ``partial``): ``level, order, restriction, X2, df, pvalue`` of each release.
        ``summary``: one row with ``design, group, highest_level, verdict, criterion, estimator,
        parameterization, identification``.
        """
        cmp = {c.level: c for c in self.comparisons}
        rows = []
        for m in self.models:
            f = m.fit.fit
            c = cmp.get(m.level)
            rows.append(
                {
                    "level": m.level,
                    "released": "; ".join(m.released),
                    "npar": m.fit.npar,
                    "df": f.df,
                    "chisq": f.chisq,
                    "chisq_scaled": f.chisq_scaled,
                    "pvalue_scaled": f.pvalue_scaled,
                    "cfi_scaled": f.cfi_scaled,
                    "tli_scaled": f.tli_scaled,
                    "rmsea_scaled": f.rmsea_scaled,
                    "cfi_robust": f.cfi_robust,
                    "tli_robust": f.tli_robust,
                    "rmsea_robust": f.rmsea_robust,
                    "srmr": f.srmr,
                    "chisq_diff": c.chisq_diff if c else np.nan,
                    "df_diff": c.df_diff if c else np.nan,
                    "pvalue_diff": c.pvalue_diff if c else np.nan,
                    "delta_cfi": c.delta_cfi if c else np.nan,
                    "delta_rmsea": c.delta_rmsea if c else np.nan,
                    "delta_srmr": c.delta_srmr if c else np.nan,
                    "verdict": c.verdict if c else None,
                }
            )
        frames = {"steps": pd.DataFrame(rows)}
        if self.partial is not None:
            rel = [
                {
                    "level": p.level,
                    "order": k + 1,
                    "restriction": r.restriction,
                    "X2": r.X2,
                    "df": r.df,
                    "pvalue": r.pvalue,
                }
                for p in self.partial
                for k, r in enumerate(p.releases)
            ]
            frames["releases"] = pd.DataFrame(rel, columns=["level", "order", "restriction", "X2", "df", "pvalue"])
        frames["summary"] = pd.DataFrame(
            [
                {
                    "design": self.design,
                    "group": self.group,
                    "highest_level": self.highest_level,
                    "verdict": self.verdict,
                    "criterion": self.criterion,
                    "estimator": self.estimator,
                    "parameterization": self.parameterization,
                    "identification": self.identification,
                }
            ]
        )
        return frames

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe data in the shape of the continuous invariance report (``models`` keyed by level,
        ``comparisons`` in order, ``highest_level``, ``verdict``, ``criteria``) plus the ordinal fields
        (``estimator``, ``parameterization``, ``identification``, ``criterion``, ``partial``, ...)."""
        return to_jsonable(
            {
                "design": self.design,
                "group": self.group,
                "groups": list(self.groups),
                "occasions": list(self.occasions) if self.occasions is not None else None,
                "n_obs": list(self.n_obs),
                "estimator": self.estimator,
                "parameterization": self.parameterization,
                "identification": self.identification,
                "criterion": self.criterion,
                "criteria": self.criteria,
                "models": {m.level: m.to_dict() for m in self.models},
                "comparisons": [c.to_dict() for c in self.comparisons],
                "highest_level": self.highest_level,
                "verdict": self.verdict,
                "partial": [p.to_dict() for p in self.partial] if self.partial is not None else None,
                "warnings": list(self.warnings),
            }
        )


# ----------------------------------------------------------------------------- the sequence
def _none_if_nan(v: float) -> float | None:
    return None if not np.isfinite(v) else float(v)


def _compare(
    prev: OrdinalInvarianceModel, cur: OrdinalInvarianceModel, criterion: str, alpha: float
) -> OrdinalComparison:
    d = wlsmv_lrt(prev.fit, cur.fit)
    fp, fc = prev.fit.fit, cur.fit.fit
    dcfi = fc.cfi_scaled - fp.cfi_scaled
    drmsea = fc.rmsea_scaled - fp.rmsea_scaled
    dsrmr = fc.srmr - fp.srmr
    reasons: list[str] = []
    if criterion == "chen":
        cut = dict(CHEN_2007[_CHEN_KEY[cur.level]])
        if not dcfi >= cut["delta_cfi_min"]:
            reasons.append(f"ΔCFI {dcfi:.3f} < {cut['delta_cfi_min']:.3f}")
        if not drmsea <= cut["delta_rmsea_max"]:
            reasons.append(f"ΔRMSEA {drmsea:.3f} > {cut['delta_rmsea_max']:.3f}")
        if not dsrmr <= cut["delta_srmr_max"]:
            reasons.append(f"ΔSRMR {dsrmr:.3f} > {cut['delta_srmr_max']:.3f}")
    else:
        cut = {"alpha": alpha}
        if d.df_diff > 0 and not d.pvalue >= alpha:
            reasons.append(f"scaled Δχ²({d.df_diff}) = {d.chisq_diff:.2f}, p = {d.pvalue:.3g} < {alpha:g}")
    return OrdinalComparison(
        level=cur.level,
        against=prev.level,
        chisq_diff=d.chisq_diff,
        df_diff=d.df_diff,
        pvalue_diff=d.pvalue,
        scale_a=d.scale_a,
        shift_b=d.shift_b,
        delta_cfi=float(dcfi),
        delta_rmsea=float(drmsea),
        delta_srmr=float(dsrmr),
        delta_cfi_robust=_none_if_nan(fc.cfi_robust - fp.cfi_robust),
        delta_rmsea_robust=_none_if_nan(fc.rmsea_robust - fp.rmsea_robust),
        cutoffs=cut,
        verdict="supported" if not reasons else "not supported",
        reasons=tuple(reasons),
    )


def _check_release(design: _Design, nth: Sequence[int], release: Sequence[str]) -> list[str]:
    """Validate user restrictions to release (measEq partial syntax) and normalise their text."""
    if isinstance(release, str):
        release = [release]
    if design.longitudinal:
        item_keys = {k: its[0] for k, its in design.long_items}
        fac_keys = {k for k, _ in design.long_factors}
    else:
        item_keys = {it: it for it in design.items}
        fac_keys = {f for f, _ in design.factors}
    item_idx = {it: i for i, it in enumerate(design.items)}
    out: list[str] = []
    for text in release:
        op, lhs, rhs = _parse_partial(text)
        item = rhs if op == "=~" else lhs
        if item not in item_keys:
            raise UsageError(f"release {text!r}: unknown item {item!r}")
        if op == "=~" and lhs not in fac_keys:
            raise UsageError(f"release {text!r}: unknown factor {lhs!r}")
        if op == "|":
            k = rhs[1:] if rhs.startswith("t") else ""
            if not k.isdigit() or not 1 <= int(k) <= nth[item_idx[item_keys[item]]]:
                raise UsageError(
                    f"release {text!r}: item {item!r} has thresholds t1..t{nth[item_idx[item_keys[item]]]}"
                )
        key = _partial_text((op, lhs, rhs))
        if key not in out:
            out.append(key)
    return out


def _run(
    data: OrdinalData,
    design: _Design,
    levels: Sequence[str],
    criterion: str,
    alpha: float,
    partial: bool,
    max_release: int | None,
    release: Sequence[str] = (),
) -> tuple[list[OrdinalInvarianceModel], list[OrdinalComparison], list[OrdinalPartialLevel]]:
    levels = tuple(levels)
    if not levels:
        raise UsageError("levels is empty")
    unknown = [lv for lv in levels if lv not in ORDINAL_LEVELS]
    if unknown:
        raise UsageError(f"unknown invariance level {unknown[0]!r}; use {', '.join(ORDINAL_LEVELS)}")
    rank = [list(ORDINAL_LEVELS).index(lv) for lv in levels]
    if rank != sorted(rank) or len(set(rank)) != len(rank):
        raise UsageError("levels must be distinct and ordered configural, thresholds, loadings, intercepts")
    if criterion not in _CRITERIA:
        raise UsageError(f"criterion must be 'chen' or 'lrt', not {criterion!r}")
    if not 0.0 < alpha < 1.0:
        raise UsageError(f"alpha must be between 0 and 1, not {alpha!r}")
    if max_release is not None and max_release < 0:
        raise UsageError("max_release must be >= 0")
    nth = data.n_thresholds
    released: list[str] = _check_release(design, nth, release)
    models: list[OrdinalInvarianceModel] = []
    comparisons: list[OrdinalComparison] = []
    partials: list[OrdinalPartialLevel] = []

    def fit_level(lv: str) -> OrdinalInvarianceModel:
        built = _measeq_model(design, ORDINAL_LEVELS[lv], nth, released)
        cands = {k: tuple(v) for k, v in built.candidates.items()}
        return OrdinalInvarianceModel(
            lv, ORDINAL_LEVELS[lv], tuple(released), fit_wlsmv_model(data, built.model), cands
        )

    prev: OrdinalInvarianceModel | None = None
    for lv in levels:
        cur = fit_level(lv)
        if prev is None:
            models.append(cur)
            prev = cur
            continue
        cmp = _compare(prev, cur, criterion, alpha)
        if partial and not cmp.supported:
            first = cmp
            releases: list[PartialRelease] = []
            while not cmp.supported and (max_release is None or len(releases) < max_release):
                sc = cur.score_tests()
                sc = sc[~sc["restriction"].isin(released)]
                if sc.empty:
                    break
                scored = tuple((str(r), float(x), int(d), float(p)) for r, x, d, p in sc.itertuples(index=False))
                # ties (releases that give equivalent models, e.g. any one of an item's thresholds once its
                # intercept and scaling factor are free) go to the first in the model's order, as R's which.max
                order = list(cur.candidates)
                top = scored[0][1]
                best = min(
                    (t for t in scored if t[1] >= top - 1e-6 * max(abs(top), 1.0)), key=lambda t: order.index(t[0])
                )
                releases.append(PartialRelease(best[0], best[1], best[2], best[3], scored))
                released.append(best[0])
                cur = fit_level(lv)
                cmp = _compare(prev, cur, criterion, alpha)
            partials.append(OrdinalPartialLevel(lv, first, tuple(releases), cmp.supported))
        models.append(cur)
        comparisons.append(cmp)
        prev = cur
    return models, comparisons, partials


def _summarise(
    levels: Sequence[str], comparisons: Sequence[OrdinalComparison], partials: Sequence[OrdinalPartialLevel]
) -> tuple[str, str]:
    highest = levels[0]
    failed: OrdinalComparison | None = None
    released = {p.level: [r.restriction for r in p.releases] for p in partials if p.releases}
    for c in comparisons:
        if c.supported and failed is None:
            highest = c.level
        elif not c.supported and failed is None:
            failed = c
    if not comparisons:
        return highest, f"only {levels[0]} fitted; no comparison"
    parts = []
    if highest != levels[0] or failed is None:
        rel = [r for lv in levels[: list(levels).index(highest) + 1] for r in released.get(lv, [])]
        kind = "partial " if rel else ""
        parts.append(f"{kind}{highest} invariance supported" + (f" (released: {', '.join(rel)})" if rel else ""))
    if failed is not None:
        parts.append(f"{failed.level} not supported ({'; '.join(failed.reasons)})")
    return highest, "; ".join(parts)


def _finish(
    data: OrdinalData,
    design_kind: str,
    group: str | None,
    occasions: tuple[str, ...] | None,
    levels: Sequence[str],
    criterion: str,
    partial: bool,
    out: tuple[list[OrdinalInvarianceModel], list[OrdinalComparison], list[OrdinalPartialLevel]],
) -> OrdinalInvarianceResult:
    models, comparisons, partials = out
    highest, verdict = _summarise(levels, comparisons, partials)
    warns = [f"{m.level}: {w}" for m in models for w in m.fit.warnings]
    for prev, cur in pairwise(models):
        if cur.fit.fit.df <= prev.fit.fit.df:
            warns.append(
                f"{cur.level}: {cur.fit.fit.df} degrees of freedom, not more than {prev.level} "
                f"({prev.fit.fit.df}): with binary items Wu & Estabrook's identification makes this step "
                "equivalent to (same df) or less restrictive than (fewer df) the previous one; the "
                "difference test orders the two models by their degrees of freedom and has no p-value "
                "for equal df, as lavTestLRT"
            )
    return OrdinalInvarianceResult(
        design=design_kind,
        group=group,
        groups=data.group_labels if group is not None else (),
        occasions=occasions,
        n_obs=data.n_obs,
        models=tuple(models),
        comparisons=tuple(comparisons),
        highest_level=highest,
        verdict=verdict,
        criterion=criterion,
        partial=tuple(partials) if partial else None,
        warnings=tuple(warns),
    )


def ordinal_invariance(
    data: pd.DataFrame,
    model: Mapping[str, Sequence[str]] | Any,
    group: str,
    *,
    levels: Sequence[str] = tuple(ORDINAL_LEVELS),
    criterion: str = "chen",
    alpha: float = 0.05,
    partial: bool = False,
    max_release: int | None = None,
    release: Sequence[str] = (),
    residual_covariances: Sequence[tuple[str, str]] = (),
) -> OrdinalInvarianceResult:
    """Multi-group ordinal measurement invariance by WLSMV (Wu & Estabrook 2016 steps).

    Each level is ``semTools::measEq.syntax(model, data, ordered = TRUE, parameterization = "delta",
    ID.cat = "Wu.Estabrook.2016", group = group, group.equal = ORDINAL_LEVELS[level], return.fit = TRUE)``
    (lavaan 0.6-14, WLSMV); adjacent levels are compared by ``lavTestLRT`` and Δ fit indices.

    Parameters
    ----------
    data : DataFrame with the items (integer category codes) and the grouping column.
    model : ``{factor: [items]}``, a :class:`wamkit.stats.model_syntax.MeasurementModel` or ``=~`` syntax.
    group : grouping column; groups in order of first appearance.  Every item needs the same observed
        categories in every group.
    levels : subsequence of ``configural, thresholds, loadings, intercepts``.
    criterion : ``"chen"`` (Chen 2007 cut-offs on scaled ΔCFI/ΔRMSEA and ΔSRMR) or ``"lrt"`` (the
        scaled-shifted difference test at ``alpha``).
    partial : search partial invariance where a level is not supported (release the restriction with the
        largest ``lavTestScore`` statistic, refit, repeat); at most ``max_release`` releases per level.
    release : restrictions released from the start in every model, in measEq ``group.partial`` syntax
        (``"A1 | t2"``, ``"agree =~ A1"``, ``"A1 ~ 1"``); the partial search adds to them.
    residual_covariances : extra free residual covariances (item pairs) in every group.

    Returns
    -------
    OrdinalInvarianceResult
    """
    fac = as_factor_items(model)
    items = _model_items(fac, residual_covariances)
    data_ = prepare_ordinal_data(data, items, group)
    design = _Design(
        items=tuple(items),
        factors=fac,
        n_groups=len(data_.group_labels),
        residual_covariances=tuple((str(a), str(b)) for a, b in residual_covariances),
    )
    out = _run(data_, design, levels, criterion, alpha, partial, max_release, release)
    return _finish(data_, "groups", group, None, tuple(levels), criterion, partial, out)


def _model_items(fac: tuple[tuple[str, tuple[str, ...]], ...], rescov: Sequence[tuple[str, str]]) -> list[str]:
    items: list[str] = []
    for _, its in fac:
        for it in its:
            if it not in items:
                items.append(it)
    for a, b in rescov:
        if a not in items or b not in items or a == b:
            raise UsageError(f"residual covariance {a} ~~ {b}: both must be distinct model items")
    return items


def longitudinal_ordinal_invariance(
    data: pd.DataFrame,
    factors: Mapping[str, Sequence[str]],
    occasions: Sequence[str],
    *,
    columns: Mapping[tuple[str, str], str] | str = "{item}_{occasion}",
    levels: Sequence[str] = tuple(ORDINAL_LEVELS),
    criterion: str = "chen",
    alpha: float = 0.05,
    partial: bool = False,
    max_release: int | None = None,
    release: Sequence[str] = (),
    factor_names: str = "{factor}_{occasion}",
    residual_covariances: Sequence[tuple[str, str]] = (),
) -> OrdinalInvarianceResult:
    """Longitudinal (or dyadic) ordinal measurement invariance by WLSMV in one wide data frame.

    One factor per subscale per occasion, every factor covariance free, the residuals of the same item
    correlated over all pairs of occasions; each level as ``semTools::measEq.syntax(model, data,
    ordered = TRUE, parameterization = "delta", ID.cat = "Wu.Estabrook.2016", longFacNames = ...,
    longIndNames = ..., long.equal = ORDINAL_LEVELS[level], return.fit = TRUE)`` (``auto = "all"``).

    Parameters
    ----------
    data : wide DataFrame, one row per person (or dyad).
    factors : ``{factor: [items]}`` with the *item* names shared by all occasions.
    occasions : the occasion labels, first = reference (waves ``["T0", "T1"]``, or roles
        ``["client", "professional"]`` for dyads).
    columns : the data column of ``(item, occasion)``: a mapping, or a template with ``{item}`` and
        ``{occasion}`` (default ``"{item}_{occasion}"``).
    factor_names : template for the per-occasion factor names (``{factor}``, ``{occasion}``).
    partial, criterion, alpha, max_release, release, levels : as :func:`ordinal_invariance`; restrictions
        are named by item and factor, not by column (``"wam01 | t2"``, ``"trust =~ wam01"``, ``"wam01 ~ 1"``,
        measEq ``long.partial`` with ``longIndNames`` named by item).
    residual_covariances : extra free residual covariances between data columns.

    Raises
    ------
    DataError
        An item with a different number of categories on different occasions (measEq requires the same
        number of thresholds), too few complete rows.
    """
    fac = as_factor_items(factors)
    occ = tuple(str(o) for o in occasions)
    if len(occ) < 2 or len(set(occ)) != len(occ):
        raise UsageError("occasions must list at least two distinct occasions")
    base_items: list[str] = []
    for _, its in fac:
        for it in its:
            if it not in base_items:
                base_items.append(it)

    def col(item: str, o: str) -> str:
        if isinstance(columns, str):
            return columns.format(item=item, occasion=o)
        try:
            return str(columns[(item, o)])
        except KeyError:
            raise UsageError(f"columns has no entry for item {item!r} at occasion {o!r}") from None

    long_items = tuple((it, tuple(col(it, o) for o in occ)) for it in base_items)
    long_factors = tuple((f, tuple(factor_names.format(factor=f, occasion=o) for o in occ)) for f, _ in fac)
    occ_factors = tuple(
        (factor_names.format(factor=f, occasion=o), tuple(col(it, o) for it in its)) for o in occ for f, its in fac
    )
    items = [c for o in occ for it in base_items for c in [col(it, o)]]
    if len(set(items)) != len(items):
        raise UsageError("columns maps two (item, occasion) pairs to the same column")
    clash = {f for f, _ in occ_factors} & set(items)
    if clash:
        raise UsageError(f"factor name {min(clash)!r} is also a column; change factor_names")
    for a, b in residual_covariances:
        if a not in items or b not in items or a == b:
            raise UsageError(f"residual covariance {a} ~~ {b}: both must be distinct model columns")
    data_ = prepare_ordinal_data(data, items, None, same_categories="none")
    nth = dict(zip(items, data_.n_thresholds, strict=True))
    for it, cols in long_items:
        counts = {nth[c] for c in cols}
        if len(counts) > 1:
            raise DataError(
                f"item {it!r} has a different number of observed categories on different occasions "
                f"({', '.join(f'{c}: {nth[c] + 1}' for c in cols)}); collapse sparse categories"
            )
    design = _Design(
        items=tuple(items),
        factors=occ_factors,
        n_groups=1,
        long_items=long_items,
        long_factors=long_factors,
        residual_covariances=tuple((str(a), str(b)) for a, b in residual_covariances),
    )
    out = _run(data_, design, levels, criterion, alpha, partial, max_release, release)
    return _finish(data_, "occasions", None, occ, tuple(levels), criterion, partial, out)


def wide_by_occasion(
    data: pd.DataFrame,
    *,
    id: str,
    occasion: str,
    items: Sequence[str],
    occasions: Sequence[str] | None = None,
    template: str = "{item}_{occasion}",
) -> pd.DataFrame:
    """Reshape long data (one row per person and occasion/role) to one row per ``id``.

    Columns ``template.format(item=..., occasion=...)`` for every item and occasion (default
    ``"wam01_T0"``); ``occasions`` selects and orders the occasions (default: order of first
    appearance).  Rows are the ids present on every selected occasion, in order of first appearance.

    Raises
    ------
    UsageError
        A missing column, an unknown occasion.
    DataError
        An id with two rows on the same occasion.
    """
    from wamkit.stats.sem.invariance import widen

    for c in [id, occasion, *items]:
        if c not in data.columns:
            raise UsageError(f"column {c!r} is not in the data")
    present = data[occasion].dropna()
    lookup = {str(o): o for o in pd.unique(present)}
    occ = [str(o) for o in occasions] if occasions is not None else list(lookup)
    unknown = [o for o in occ if o not in lookup]
    if unknown:
        raise UsageError(f"occasion {unknown[0]!r} does not occur in column {occasion!r}")
    sub = data.loc[data[occasion].astype(str).isin(occ) & data[occasion].notna()]
    wide, cols = widen(sub, id=id, by=occasion, items=items)
    on_all = sub.groupby(id, sort=False)[occasion].nunique() == len(occ)  # ids seen on every occasion
    order = pd.Index(on_all.index[on_all.to_numpy()])
    wide = wide.set_index(id).loc[order]
    out = pd.DataFrame(
        {template.format(item=it, occasion=o): wide[cols[(it, o)]].to_numpy() for o in occ for it in items},
        index=order,
    )
    out.index.name = id
    return out.reset_index()


def dyadic_ordinal_invariance(
    data: pd.DataFrame,
    factors: Mapping[str, Sequence[str]],
    *,
    dyad: str,
    role: str,
    roles: Sequence[str] = ("client", "professional"),
    **kwargs: Any,
) -> OrdinalInvarianceResult:
    """Ordinal invariance across the two raters of a dyad (client vs professional) from long data.

    ``data`` has one row per dyad and role; :func:`wide_by_occasion` makes one row per dyad with columns
    ``{item}_{role}``; then :func:`longitudinal_ordinal_invariance` with ``occasions = roles``.  Other
    keyword arguments go to :func:`longitudinal_ordinal_invariance`.
    """
    fac = as_factor_items(factors)
    items = list(dict.fromkeys(it for _, its in fac for it in its))
    wide = wide_by_occasion(data, id=dyad, occasion=role, items=items, occasions=roles)
    return longitudinal_ordinal_invariance(wide, {f: list(its) for f, its in fac}, [str(r) for r in roles], **kwargs)
