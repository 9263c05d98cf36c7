"""Measurement invariance across groups, occasions (longitudinal) and dyad roles, with partial invariance.

One sequence driver serves three designs:

* **groups** — multi-group models with lavaan ``group.equal`` (:func:`wamkit.stats.invariance.invariance_sequence`);
* **occasions** — one single-group model over waves (:func:`longitudinal_invariance`): a factor
  per subscale per wave, each item's unique factors correlated across every pair of waves,
  equalities across waves through shared labels — the model ``semTools::measEq.syntax(
  configural.model, longFacNames = ..., long.equal = ..., auto = "all")`` builds;
* **roles** — the same over the two partners of a dyad on one row (:func:`role_invariance`).

Levels: configural → metric (loadings) → scalar (+ intercepts) → strict (+ residual
variances).  Each model is compared with the χ² difference test (``lavTestLRT``) and
ΔCFI/ΔRMSEA/ΔSRMR (Chen, 2007).

Partial invariance (``partial=True``): when a level fails, the univariate score tests of
that level's new equality constraints (``lavaan::lavTestScore``) are computed, the
constraint with the largest statistic is released and the model refitted, until the
level holds against the last accepted level by ``criterion`` (default with ``partial``:
LRT p ≥ ``alpha`` AND the Chen cut-offs) or no constraint can be released.  Later levels
keep the released parameters free.  A release that would leave a latent variable
without an identifying equality (its last constrained loading under ``std.lv``, its last
constrained intercept when its mean is free) is never proposed.

Identification of the occasion/role models is ``measEq.syntax``'s default
``ID.fac = "std.lv"``: latent variances 1 and means 0 at the first occasion; at later
occasions the variances are freed once loadings are equal and the means once intercepts
are equal.  Fit measures, LRTs and score tests do not depend on this choice; the
reported parameters (loadings, latent means/variances) do.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from wamkit.errors import DataError, UsageError
from wamkit.results import StatResult, to_jsonable
from wamkit.stats.sem.estimate import SEMResult, fit_partable
from wamkit.stats.sem.partable import ParTable, build_partable
from wamkit.stats.sem.samplestats import SampleStats
from wamkit.stats.sem.score_test import score_tests
from wamkit.stats.sem.syntax import NAME_RE

__all__ = [
    "CHEN_2007",
    "CRITERIA",
    "LEVELS",
    "InvarianceResult",
    "InvarianceStep",
    "ReleasedConstraint",
    "longitudinal_invariance",
    "longitudinal_syntax",
    "lrt",
    "role_invariance",
    "run_sequence",
    "widen",
]

#: level name -> lavaan group.equal / long.equal
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

#: decision rules for "the level holds"
CRITERIA = ("chen", "lrt", "lrt+chen")

_NEW_CLASS = {"metric": "=~", "scalar": "~1", "strict": "~~"}
_CLASS_NAME = {"=~": "loading", "~1": "intercept", "~~": "residual variance"}


# ---------------------------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReleasedConstraint:
    """One equality constraint freed for partial invariance.

    ``parameter`` is the item-level parameter in lavaan notation (``"trust =~ wam05"``,
    ``"wam05 ~1"``, ``"wam05 ~~ wam05"``); ``units`` the reference group/occasion and the one
    whose parameter was freed; ``chisq``/``df``/``pvalue`` the univariate score test
    (``lavTestScore``) when it was released; ``lhs``/``op``/``rhs`` the freed row of the fitted
    model (column names for occasion/role designs).
    """

    level: str
    parameter: str
    units: tuple[str, str]
    chisq: float
    df: int
    pvalue: float
    lhs: str
    op: str
    rhs: str
    group: int

    def to_dict(self) -> dict[str, Any]:
        return {"level": self.level, "parameter": self.parameter, "groups": list(self.units),
                "chisq": to_jsonable(self.chisq), "df": self.df, "pvalue": to_jsonable(self.pvalue),
                "row": {"lhs": self.lhs, "op": self.op, "rhs": self.rhs, "group": self.group}}  # fmt: skip


@dataclass(frozen=True)
class InvarianceStep:
    """One model of the sequence and its comparison with the model it is tested against.

    ``chisq_diff``, ``df_diff``, ``pvalue_diff`` = ``lavaan::lavTestLRT(base, this)``
    (standard ML χ² difference); ``delta_*`` = this − base.  All comparison fields are
    ``None`` for the first model.  ``verdict`` is ``"supported"``/``"not supported"`` by the
    sequence's criterion (``cutoffs`` holds the Chen (2007) cut-offs used); ``None`` for the
    first model.  ``partial`` steps carry the constraints released to reach them
    (``released``); ``compared_with`` names the base model (``"metric"``, ``"partial scalar"``).
    """

    level: str
    equal: tuple[str, ...]
    fit: Any
    chisq_diff: float | None
    df_diff: int | None
    pvalue_diff: float | None
    delta_cfi: float | None
    delta_rmsea: float | None
    delta_srmr: float | None
    cutoffs: dict[str, float] | None
    verdict: str | None
    partial: bool = False
    released: tuple[ReleasedConstraint, ...] = ()
    compared_with: str | None = None
    reasons: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """``"scalar"`` or ``"partial scalar"``."""
        return f"partial {self.level}" if self.partial else self.level

    def to_dict(self) -> dict[str, Any]:
        f = self.fit.fit
        return {
            "level": self.level,
            "name": self.name,
            "partial": self.partial,
            "equal": list(self.equal),
            "fit": f.to_dict(),
            "converged": self.fit.converged,
            "iterations": self.fit.iterations,
            "warnings": list(self.fit.warnings),
            "compared_with": self.compared_with,
            "chisq_diff": to_jsonable(self.chisq_diff),
            "df_diff": self.df_diff,
            "pvalue_diff": to_jsonable(self.pvalue_diff),
            "delta_cfi": to_jsonable(self.delta_cfi),
            "delta_rmsea": to_jsonable(self.delta_rmsea),
            "delta_srmr": to_jsonable(self.delta_srmr),
            "cutoffs": to_jsonable(self.cutoffs),
            "verdict": self.verdict,
            "reasons": list(self.reasons),
            "released": [r.to_dict() for r in self.released],
        }


@dataclass(frozen=True)
class InvarianceResult(StatResult):
    """A configural → metric → scalar → strict sequence.

    Attributes
    ----------
    group : str
        The grouping column (groups design), ``"occasion"`` or ``"role"``.
    groups : tuple of str
        Group labels, occasions or roles, in model order (the first is the reference).
    steps : tuple of InvarianceStep
        Every model fitted, in order; a failed level followed by its ``partial`` step when
        partial invariance was requested.
    highest_level : str
        The last level that holds with every level before it (``"partial scalar"`` when it
        holds only after releases); the first level when the first comparison already fails.
        Without ``partial``, later levels are still fitted and compared with their
        predecessor, so a later step can read "supported" although an earlier one was not.
    verdict : str
        One line, e.g. ``"metric invariance supported; scalar not supported (ΔCFI -0.039 < -0.010)"``.
    criteria : str
        Name of the cut-off rule (``"Chen (2007)"``).
    criterion : str
        Decision rule: ``"chen"``, ``"lrt"`` or ``"lrt+chen"`` (:data:`CRITERIA`).
    design : str
        ``"groups"``, ``"occasions"`` or ``"roles"``.
    partial : tuple of ReleasedConstraint
        The released constraints, in release order (empty without partial invariance).
    alpha : float
        Level of the LRT in the criterion.
    """

    group: str
    groups: tuple[str, ...]
    steps: tuple[InvarianceStep, ...]
    highest_level: str
    verdict: str
    criteria: str = "Chen (2007)"
    warnings: tuple[str, ...] = ()
    criterion: str = "chen"
    design: str = "groups"
    partial: tuple[ReleasedConstraint, ...] = ()
    alpha: float = 0.05

    @property
    def final(self) -> InvarianceStep:
        """The step of :attr:`highest_level` (the final accepted model)."""
        for s in reversed(self.steps):
            if s.name == self.highest_level:
                return s
        return self.steps[0]

    def table(self) -> pd.DataFrame:
        """Tidy table: one row per fitted model with the fit measures and the comparison columns
        ``level, npar, chisq, df, pvalue, cfi, tli, rmsea, rmsea_ci_lower, rmsea_ci_upper, srmr,
        aic, bic, chisq_diff, df_diff, pvalue_diff, delta_cfi, delta_rmsea, delta_srmr, verdict``
        (``level`` is e.g. ``"partial scalar"`` for a partial step; ``compared_with`` and
        ``n_released`` follow)."""
        rows = []
        for s in self.steps:
            f = s.fit.fit
            rows.append({
                "level": s.name, "npar": f.npar, "chisq": f.chisq, "df": f.df, "pvalue": f.pvalue,
                "cfi": f.cfi, "tli": f.tli, "rmsea": f.rmsea, "rmsea_ci_lower": f.rmsea_ci_lower,
                "rmsea_ci_upper": f.rmsea_ci_upper, "srmr": f.srmr, "aic": f.aic, "bic": f.bic,
                "chisq_diff": s.chisq_diff, "df_diff": s.df_diff, "pvalue_diff": s.pvalue_diff,
                "delta_cfi": s.delta_cfi, "delta_rmsea": s.delta_rmsea, "delta_srmr": s.delta_srmr,
                "verdict": s.verdict, "compared_with": s.compared_with, "n_released": len(s.released),
            })  # fmt: skip
        return pd.DataFrame(rows)

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """``models`` (:meth:`table`, the main table), ``summary`` (one row: design, highest level, verdict)
        and ``partial`` (the released constraints: ``level, parameter, reference, released, chisq, df, pvalue``)."""
        head = {"design": self.design, "group": self.group, "highest_level": self.highest_level,
                "verdict": self.verdict, "criterion": self.criterion, "alpha": self.alpha}  # fmt: skip
        rel = pd.DataFrame([{"level": r.level, "parameter": r.parameter, "reference": r.units[0],
                             "released": r.units[1], "chisq": r.chisq, "df": r.df, "pvalue": r.pvalue}
                            for r in self.partial],
                           columns=["level", "parameter", "reference", "released", "chisq", "df", "pvalue"])  # fmt: skip
        return {"models": self.table(), "summary": pd.DataFrame([head]), "partial": rel}

    def to_dict(self) -> dict[str, Any]:
        return {
            "design": self.design,
            "group": self.group,
            "groups": list(self.groups),
            "criteria": self.criteria,
            "criterion": self.criterion,
            "alpha": self.alpha,
            "steps": [s.to_dict() for s in self.steps],
            "highest_level": self.highest_level,
            "verdict": self.verdict,
            "partial": [r.to_dict() for r in self.partial],
            "final_fit": self.final.fit.fit.to_dict(),
            "warnings": list(self.warnings),
        }


def lrt(base: Any, restricted: Any) -> tuple[float, int, float]:
    """Standard ML χ² difference test (``lavaan::lavTestLRT(base, restricted)``): Δχ², Δdf, p."""
    d_chisq = restricted.fit.chisq - base.fit.chisq
    d_df = restricted.fit.df - base.fit.df
    if d_df <= 0:
        raise UsageError("the second model must be nested in the first with more degrees of freedom")
    p = float(stats.chi2.sf(max(d_chisq, 0.0), d_df))
    return float(d_chisq), int(d_df), p


# ---------------------------------------------------------------------------------------------
# the sequence driver
# ---------------------------------------------------------------------------------------------
@dataclass
class Design:
    """How to fit one level of a design, and how to describe its constraints.

    ``fit(level, released)`` returns a :class:`SEMResult`; ``wrap`` turns it into the object
    stored in the step (``CFAResult`` for the groups design); ``describe(pt, row)`` gives the
    item-level parameter and the unit (group/occasion) label of a parameter-table row.
    """

    fit: Callable[[str, tuple[tuple[str, str, str, int], ...]], SEMResult]
    describe: Callable[[ParTable, int], tuple[str, str]]
    wrap: Callable[[SEMResult, str], Any] = field(default=lambda res, level: res)
    kind: str = "groups"
    group: str = ""
    units: tuple[str, ...] = ()


def _judge(base: Any, res: Any, level: str, criterion: str, alpha: float) -> tuple[tuple, bool, list[str]]:
    dchi, ddf, p = lrt(base, res)
    dcfi = res.fit.cfi - base.fit.cfi
    drmsea = res.fit.rmsea - base.fit.rmsea
    dsrmr = res.fit.srmr - base.fit.srmr
    cut = CHEN_2007[level]
    chen: list[str] = []
    if not dcfi >= cut["delta_cfi_min"]:
        chen.append(f"ΔCFI {dcfi:.3f} < {cut['delta_cfi_min']:.3f}")
    if not drmsea <= cut["delta_rmsea_max"]:
        chen.append(f"ΔRMSEA {drmsea:.3f} > {cut['delta_rmsea_max']:.3f}")
    if not dsrmr <= cut["delta_srmr_max"]:
        chen.append(f"ΔSRMR {dsrmr:.3f} > {cut['delta_srmr_max']:.3f}")
    lrt_fail = [f"LRT p = {p:.3g} < {alpha:g}"] if not p >= alpha else []
    reasons = {"chen": chen, "lrt": lrt_fail, "lrt+chen": lrt_fail + chen}[criterion]
    return (dchi, ddf, p, dcfi, drmsea, dsrmr, dict(cut)), not reasons, reasons


def _constrained_rows(pt: ParTable) -> set[int]:
    out: set[int] = set()
    for c in pt.constraints:
        out.add(c.lhs_row)
        if c.rhs_row >= 0:
            out.add(c.rhs_row)
    return out


def _guarded(pt: ParTable, row: int) -> bool:
    """True when releasing ``row`` would leave a latent variable without an identifying equality."""
    g = int(pt.group[row])
    op = pt.op[row]
    lv = set(pt.lv_names)
    constrained = _constrained_rows(pt)
    rows_g = [r for r in range(len(pt)) if pt.group[r] == g]
    if op == "=~":
        f = pt.lhs[row]
        loads = [r for r in rows_g if pt.op[r] == "=~" and pt.lhs[r] == f]
        if any(pt.free[r] == 0 and pt.ustart[r] != 0 for r in loads):
            return False  # a fixed marker identifies the scale
        var_free = any(pt.op[r] == "~~" and pt.lhs[r] == f and pt.rhs[r] == f and pt.free[r] > 0 for r in rows_g)
        remaining = [r for r in loads if r != row and r in constrained]
        return var_free and not remaining
    if op == "~1" and pt.lhs[row] not in lv:
        item = pt.lhs[row]
        for f in {pt.lhs[r] for r in rows_g if pt.op[r] == "=~" and pt.rhs[r] == item}:
            mean_free = any(pt.op[r] == "~1" and pt.lhs[r] == f and pt.free[r] > 0 for r in rows_g)
            if not mean_free:
                continue
            inds = {pt.rhs[r] for r in rows_g if pt.op[r] == "=~" and pt.lhs[r] == f}
            remaining = [r for r in rows_g if pt.op[r] == "~1" and pt.lhs[r] in inds and r != row and r in constrained]
            if not remaining:
                return True
    return False


def run_sequence(design: Design, levels: Sequence[str], *, partial: bool = False, criterion: str | None = None,
                 alpha: float = 0.05) -> InvarianceResult:  # fmt: skip
    """Fit the levels of a design in order (see the module docstring)."""
    levels = tuple(levels)
    if not levels:
        raise UsageError("levels is empty")
    unknown = [lv for lv in levels if lv not in LEVELS]
    if unknown:
        raise UsageError(f"unknown invariance level {unknown[0]!r}; use {', '.join(LEVELS)}")
    rank = [list(LEVELS).index(lv) for lv in levels]
    if rank != sorted(rank) or len(set(rank)) != len(rank):
        raise UsageError("levels must be distinct and ordered configural, metric, scalar, strict")
    if criterion is None:
        criterion = "lrt+chen" if partial else "chen"
    if criterion not in CRITERIA:
        raise UsageError(f"criterion must be one of {', '.join(CRITERIA)}, not {criterion!r}")
    if not 0 < alpha < 1:
        raise UsageError("alpha must be between 0 and 1")
    released: list[tuple[str, str, str, int]] = []
    all_released: list[ReleasedConstraint] = []
    steps: list[InvarianceStep] = []
    first = design.fit(levels[0], ())
    steps.append(InvarianceStep(levels[0], LEVELS[levels[0]], design.wrap(first, levels[0]), None, None, None, None,
                                None, None, None, None))  # fmt: skip
    accepted_sem, accepted_name = first, levels[0]
    prev_sem, prev_name = first, levels[0]
    highest = levels[0]
    failed_note: str | None = None
    stopped = False
    for lv in levels[1:]:
        if stopped:
            break
        res = design.fit(lv, tuple(released))
        base, base_name = (accepted_sem, accepted_name) if partial else (prev_sem, prev_name)
        cmp, ok, reasons = _judge(base, res, lv, criterion, alpha)
        steps.append(InvarianceStep(lv, LEVELS[lv], design.wrap(res, lv), cmp[0], cmp[1], cmp[2], cmp[3], cmp[4],
                                    cmp[5], cmp[6], "supported" if ok else "not supported",
                                    compared_with=base_name, reasons=tuple(reasons)))  # fmt: skip
        prev_sem, prev_name = res, lv
        if ok:
            if failed_note is None:
                highest = lv
                accepted_sem, accepted_name = res, lv
            continue
        if not partial:
            if failed_note is None:
                failed_note = f"{lv} not supported ({'; '.join(reasons)})"
            continue
        # ---- partial invariance: release the largest score test in turn
        cur = res
        step_rel: list[ReleasedConstraint] = []
        cls = _NEW_CLASS[lv]
        while not ok:
            if not cur.converged:
                break
            pt = cur.partable
            cand = []
            for k, c in enumerate(pt.constraints):
                if c.rhs_row < 0 or c.user != 2:
                    continue
                r = c.rhs_row
                if pt.op[r] != cls or (cls == "~~" and pt.lhs[r] != pt.rhs[r]):
                    continue
                if cls == "~1" and pt.lhs[r] in set(pt.lv_names):
                    continue
                if _guarded(pt, r):
                    continue
                cand.append(k)
            if not cand:
                break
            st = score_tests(cur, constraints=cand)
            best = st.uni.sort_values("X2", ascending=False, kind="stable").iloc[0]
            r = int(best["row_rhs"])
            ref = int(best["row_lhs"])
            param, unit = design.describe(pt, r)
            _, ref_unit = design.describe(pt, ref)
            key = (pt.lhs[r], pt.op[r], pt.rhs[r], int(pt.group[r]))
            rc = ReleasedConstraint(lv, param, (ref_unit, unit), float(best["X2"]), 1, float(best["pvalue"]),
                                    key[0], key[1], key[2], key[3])  # fmt: skip
            step_rel.append(rc)
            released.append(key)
            cur = design.fit(lv, tuple(released))
            cmp, ok, reasons = _judge(accepted_sem, cur, lv, criterion, alpha)
        all_released.extend(step_rel)
        if step_rel:
            steps.append(InvarianceStep(lv, LEVELS[lv], design.wrap(cur, lv), cmp[0], cmp[1], cmp[2], cmp[3],
                                        cmp[4], cmp[5], cmp[6], "supported" if ok else "not supported", partial=True,
                                        released=tuple(step_rel), compared_with=accepted_name,
                                        reasons=tuple(reasons)))  # fmt: skip
        if ok:
            highest = f"partial {lv}"
            accepted_sem, accepted_name = cur, highest
            prev_sem, prev_name = cur, highest
        else:
            failed_note = f"{lv} not supported even with {len(step_rel)} parameter(s) freed ({'; '.join(reasons)})"
            stopped = True
    summary = _summary(steps, levels, highest, failed_note, all_released)
    warns = tuple(f"{s.name}: {w}" for s in steps for w in s.fit.warnings)
    return InvarianceResult(group=design.group, groups=design.units, steps=tuple(steps), highest_level=highest,
                            verdict=summary, warnings=warns, criterion=criterion, design=design.kind,
                            partial=tuple(all_released), alpha=alpha)  # fmt: skip


def _summary(steps: list[InvarianceStep], levels: tuple[str, ...], highest: str, failed: str | None,
             released: list[ReleasedConstraint]) -> str:  # fmt: skip
    if len(steps) == 1:
        return f"only {levels[0]} fitted; no comparison"
    rel = ""
    if released:
        items = ", ".join(f"{r.parameter} ({r.units[1]})" for r in released)
        rel = f" after freeing {len(released)} parameter(s): {items}"
    if failed is None:
        return f"{highest} invariance supported{rel}"
    head = f"{highest} invariance supported{rel}; " if highest != levels[0] else ""
    return head + failed


# ---------------------------------------------------------------------------------------------
# occasions and roles
# ---------------------------------------------------------------------------------------------
def _safe(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_.]", "_", str(name))
    if not s or not re.match(r"[A-Za-z_.]", s[0]):
        s = "v" + s
    return s


def _long_syntax(structure: Mapping[str, Sequence[str]], occasions: Sequence[str], cols: Mapping[tuple[str, str], str],
                 lvname: Mapping[tuple[str, str], str], level: str) -> str:  # fmt: skip
    """measEq.syntax-style model for one level (ID.fac = "std.lv", auto = "all")."""
    eq = set(LEVELS[level])
    first = occasions[0]
    lines = []
    for f, items in structure.items():
        for t in occasions:
            terms = []
            for k, it in enumerate(items):
                lab = f"lambda.{_safe(f)}.{k + 1}*" if "loadings" in eq else ""
                terms.append(f"NA*{lab}{cols[(it, t)]}")
            lines.append(f"{lvname[(f, t)]} =~ " + " + ".join(terms))
    for f in structure:
        for t in occasions:
            v = "1" if (t == first or "loadings" not in eq) else "NA"
            m = "0" if (t == first or "intercepts" not in eq) else "NA"
            lines.append(f"{lvname[(f, t)]} ~~ {v}*{lvname[(f, t)]}")
            lines.append(f"{lvname[(f, t)]} ~ {m}*1")
    items_all = list(dict.fromkeys(it for its in structure.values() for it in its))
    for k, it in enumerate(items_all):
        for t in occasions:
            c = cols[(it, t)]
            lines.append(f"{c} ~ nu.{k + 1}*1" if "intercepts" in eq else f"{c} ~ 1")
            if "residuals" in eq:
                lines.append(f"{c} ~~ theta.{k + 1}*{c}")
        for a in range(len(occasions)):
            for b in range(a + 1, len(occasions)):
                lines.append(f"{cols[(it, occasions[a])]} ~~ {cols[(it, occasions[b])]}")
    return "\n".join(lines)


def longitudinal_syntax(structure: Mapping[str, Sequence[str]], occasions: Sequence[str], level: str = "configural",
                        *, columns: Mapping[tuple[str, str], str] | str | None = None) -> str:  # fmt: skip
    """The lavaan syntax :func:`longitudinal_invariance` fits for one level (like ``measEq.syntax``).

    Latent variables are ``<factor>.<occasion>``; ``columns`` maps ``(item, occasion)`` to a
    column name or is a format string (default ``"{item}_{occasion}"``).  Labels:
    ``lambda.<factor>.<k>`` (loadings), ``nu.<k>`` (intercepts), ``theta.<k>`` (residual
    variances), shared across occasions once the level imposes them.
    """
    if level not in LEVELS:
        raise UsageError(f"unknown invariance level {level!r}; use {', '.join(LEVELS)}")
    occ = [str(t) for t in occasions]
    fmt = "{item}_{occasion}" if columns is None else columns
    cols = {}
    for its in structure.values():
        for it in its:
            for t in occ:
                cols[(str(it), t)] = fmt.format(item=it, occasion=t) if isinstance(fmt, str) else str(fmt[(it, t)])
    lvname = {(str(f), t): _safe(f"{f}.{t}") for f in structure for t in occ}
    st = {str(f): [str(i) for i in its] for f, its in structure.items()}
    return _long_syntax(st, occ, cols, lvname, level)


def longitudinal_invariance(data: pd.DataFrame, structure: Mapping[str, Sequence[str]], occasions: Sequence[str], *,
                            columns: Mapping[tuple[str, str], str] | str | None = None,
                            levels: Sequence[str] = ("configural", "metric", "scalar", "strict"),
                            missing: str = "listwise", partial: bool = False, criterion: str | None = None,
                            alpha: float = 0.05, design: str = "occasions") -> InvarianceResult:  # fmt: skip
    """Longitudinal measurement invariance: one model over occasions (``semTools::measEq.syntax`` with ``longFacNames``).

    Parameters
    ----------
    data : pandas.DataFrame
        Wide data, one row per person (or dyad, or dyad × wave), a column per item and occasion.
    structure : mapping factor -> items
        e.g. ``{"trust": ["wam01", "wam05", ...], "goals": [...]}`` (item names, not columns).
    occasions : sequence of str
        Occasion labels in order, e.g. ``["T0", "T1", "T2"]``; the first is the reference.
    columns : mapping (item, occasion) -> column, or format string, optional
        Where each item is measured at each occasion; a string is formatted with
        ``item`` and ``occasion`` (default ``"{item}_{occasion}"``).
    levels : sequence of str
        Subset of ``configural, metric, scalar, strict``, in order.
    missing : {"listwise", "fiml"}
        ``"fiml"`` keeps people measured at some occasions only (lavaan ``missing = "ml"``).
    partial : bool
        Release equality constraints of a failed level by score tests (module docstring).
    criterion : {"chen", "lrt", "lrt+chen"}, optional
        When a level holds; default ``"chen"`` (Chen 2007 cut-offs, as the groups design),
        ``"lrt+chen"`` when ``partial``.
    alpha : float
        Level of the likelihood-ratio test in the criterion.

    Returns
    -------
    InvarianceResult
        ``design = "occasions"``; ``steps[k].fit`` are :class:`SEMResult` objects whose
        parameters use the data's column names and latent variables ``<factor>.<occasion>``.
        Fit measures and LRTs agree with ``measEq.syntax(..., long.equal = ..., return.fit = TRUE)``
        fitted by lavaan (ID.fac = "std.lv", auto = "all").
    """
    if not isinstance(data, pd.DataFrame):
        raise UsageError("data must be a pandas DataFrame")
    if not isinstance(structure, Mapping) or not structure:
        raise UsageError("structure must be a non-empty mapping factor -> items")
    occasions = [str(t) for t in occasions]
    if len(occasions) < 2 or len(set(occasions)) != len(occasions):
        raise UsageError("occasions needs at least two distinct labels")
    structure = {str(f): [str(i) for i in its] for f, its in structure.items()}
    for f, its in structure.items():
        if len(its) < 2:
            raise UsageError(f"factor {f!r} needs at least two items")
        if len(set(its)) != len(its):
            raise UsageError(f"factor {f!r} lists an item twice")
    items_all = list(dict.fromkeys(it for its in structure.values() for it in its))
    fmt = "{item}_{occasion}" if columns is None else columns
    cols: dict[tuple[str, str], str] = {}
    for it in items_all:
        for t in occasions:
            if isinstance(fmt, str):
                c = fmt.format(item=it, occasion=t)
            else:
                if (it, t) not in fmt:
                    raise UsageError(f"columns has no entry for item {it!r} at occasion {t!r}")
                c = str(fmt[(it, t)])
            if c not in data.columns:
                raise UsageError(f"column {c!r} (item {it!r}, occasion {t!r}) is not in the data")
            cols[(it, t)] = c
    if len(set(cols.values())) != len(cols):
        raise UsageError("columns maps two item/occasion pairs to the same column")
    # model names: the column names when they are valid lavaan names, else safe substitutes
    used = set(cols.values())
    rename = {}
    for c in used:
        if NAME_RE.match(c):
            rename[c] = c
        else:
            base = _safe(c)
            while base in rename.values() or (base in data.columns and base not in used):
                base += "_"
            rename[c] = base
    mcols = {k: rename[v] for k, v in cols.items()}
    lvname = {(f, t): _safe(f"{f}.{t}") for f in structure for t in occasions}
    if len(set(lvname.values())) != len(lvname) or set(lvname.values()) & set(mcols.values()):
        raise UsageError("factor and occasion labels give clashing latent variable names")
    frame = data.loc[:, list(rename)].rename(columns=rename)
    where_col = {mcols[(it, t)]: (it, t) for it in items_all for t in occasions}
    where_lv = {lvname[(f, t)]: (f, t) for f in structure for t in occasions}

    cache: dict[tuple[str, ...], SampleStats] = {}

    def fit(level: str, released: tuple[tuple[str, str, str, int], ...]) -> SEMResult:
        syntax = _long_syntax(structure, occasions, mcols, lvname, level)
        pt = build_partable(syntax, meanstructure=True, release=released)
        res = fit_partable(pt, frame, missing=missing, stats_=cache.get(pt.ov_names))
        if res.problem is not None:
            cache.setdefault(pt.ov_names, res.problem.stats)
        return res

    def describe(pt: ParTable, row: int) -> tuple[str, str]:
        lhs, op, rhs = pt.lhs[row], pt.op[row], pt.rhs[row]
        if op == "=~":
            f, t = where_lv[lhs]
            it, _ = where_col[rhs]
            return f"{f} =~ {it}", t
        it, t = where_col[lhs]
        if op == "~1":
            return f"{it} ~1", t
        return f"{it} ~~ {where_col[rhs][0]}", t

    des = Design(fit=fit, describe=describe, kind=design, group="occasion" if design == "occasions" else "role",
                 units=tuple(occasions))  # fmt: skip
    if missing not in ("listwise", "fiml"):
        raise UsageError(f"missing must be 'listwise' or 'fiml', not {missing!r}")
    return run_sequence(des, levels, partial=partial, criterion=criterion, alpha=alpha)


def role_invariance(data: pd.DataFrame, structure: Mapping[str, Sequence[str]],
                    roles: Sequence[str] = ("client", "professional"), *,
                    columns: Mapping[tuple[str, str], str] | str | None = None,
                    levels: Sequence[str] = ("configural", "metric", "scalar", "strict"), missing: str = "listwise",
                    partial: bool = False, criterion: str | None = None, alpha: float = 0.05) -> InvarianceResult:  # fmt: skip
    """Dyadic measurement invariance across roles: both partners' items on one row per dyad.

    The occasion machinery of :func:`longitudinal_invariance` with the roles as occasions:
    a factor per subscale per role, each item's unique factors correlated across partners,
    equal loadings/intercepts/residual variances across roles.  ``columns`` maps
    ``(item, role)`` to a column (default ``"{item}_{occasion}"`` with the role as occasion).
    Returns an :class:`InvarianceResult` with ``design = "roles"``.
    """
    return longitudinal_invariance(data, structure, roles, columns=columns, levels=levels, missing=missing,
                                   partial=partial, criterion=criterion, alpha=alpha, design="roles")  # fmt: skip


def widen(data: pd.DataFrame, *, id: str | Sequence[str], by: str, items: Sequence[str],
          sep: str = "_") -> tuple[pd.DataFrame, dict[tuple[str, str], str]]:  # fmt: skip
    """Long → wide: one row per ``id`` (e.g. dyad, or dyad and wave), item columns per value of ``by``.

    Returns the wide frame (``id`` columns first, then ``<item><sep><value>``) and the
    ``columns`` mapping ``(item, value) -> column`` for :func:`longitudinal_invariance` /
    :func:`role_invariance`.  Duplicate ``id`` × ``by`` rows are an error.
    """
    ids = [id] if isinstance(id, str) else list(id)
    for c in [*ids, by, *items]:
        if c not in data.columns:
            raise UsageError(f"column {c!r} is not in the data")
    key = data[ids + [by]]
    if key.isna().any().any():
        raise DataError(f"{', '.join(ids + [by])} must not be missing")
    dup = key.duplicated()
    if dup.any():
        first = key[dup].iloc[0]
        what = ", ".join(f"{c} {v!r}" for c, v in first.items())
        raise DataError(f"several rows for the same {', '.join(ids)} and {by} ({what}): one row each is needed")
    values = [str(v) for v in pd.unique(data[by])]
    d = data.assign(**{by: data[by].astype(str)})
    wide = d.pivot(index=ids, columns=by, values=list(items))
    cols = {}
    out = pd.DataFrame(index=wide.index)
    for it in items:
        for v in values:
            name = f"{it}{sep}{v}"
            out[name] = wide[(it, v)] if (it, v) in wide.columns else np.nan
            cols[(it, v)] = name
    return out.reset_index(), cols
