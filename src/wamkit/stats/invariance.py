"""Multi-group CFA and measurement-invariance sequences (lavaan ``group=`` / ``group.equal=``).

Models, as lavaan 0.6-14 builds them for ``cfa(model, data, group=..., group.equal=...)``
with ML and marker identification:

* every group has free intercepts ν_g (mean structure) and latent means fixed to 0;
* ``"loadings"``: Λ equal across groups (metric);
* ``"intercepts"``: ν equal across groups, latent means fixed to 0 in the first group
  and free in the others (scalar);
* ``"residuals"``: residual variances Θ equal across groups (strict).

Group order is the order of first appearance in the data (lavaan ``group.label``).
Partial invariance (``partial=True``) releases the equality constraints of a failed level
one at a time by their ``lavTestScore`` statistics; longitudinal and dyad-role
invariance (:func:`longitudinal_invariance`, :func:`role_invariance`) share the sequence
machinery in :mod:`wamkit.stats.sem.invariance`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from wamkit.errors import UsageError
from wamkit.stats.cfa import CFAResult, cfa_result
from wamkit.stats.model_syntax import MeasurementModel, as_model
from wamkit.stats.sem.estimate import SEMResult, fit_partable, fit_sem
from wamkit.stats.sem.invariance import (
    CHEN_2007,
    CRITERIA,
    LEVELS,
    Design,
    InvarianceResult,
    InvarianceStep,
    ReleasedConstraint,
    longitudinal_invariance,
    lrt,
    role_invariance,
    run_sequence,
    widen,
)
from wamkit.stats.sem.partable import ParTable, build_partable
from wamkit.stats.sem.samplestats import SampleStats

__all__ = [
    "CHEN_2007",
    "CRITERIA",
    "LEVELS",
    "InvarianceResult",
    "InvarianceStep",
    "ReleasedConstraint",
    "fit_multigroup",
    "invariance_sequence",
    "longitudinal_invariance",
    "lrt",
    "role_invariance",
    "widen",
]

_VALID_EQUAL = ("loadings", "intercepts", "residuals")


def _check(data: pd.DataFrame, m: MeasurementModel, group: str, equal: Sequence[str], missing: str) -> tuple[str, ...]:
    items = list(m.items)
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
    return tuple(e for e in _VALID_EQUAL if e in equal)


def fit_multigroup(data: pd.DataFrame, model: MeasurementModel | str, group: str, *,
                   equal: Sequence[str] = (), missing: str = "listwise", std_lv: bool = False,
                   release: Sequence[tuple[str, str, str, int]] = ()) -> CFAResult:  # fmt: skip
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
    release : sequence of (lhs, op, rhs, group)
        Parameters of groups 2..G freed from their ``equal`` constraint (partial invariance).

    Returns
    -------
    CFAResult
        ``params`` has one block per group (``group`` = 1..G); fit measures are lavaan's
        multi-group ones: ``chisq = Σ_g n_g F_g``, ``rmsea`` multiplied by √G, ``srmr`` the
        ``n_g/N``-weighted average of the per-group SRMR including mean residuals.
        Matches ``lavaan::cfa(model, data, group=group, group.equal=equal)``.
    """
    m = as_model(model)
    order = _check(data, m, group, tuple(equal), missing)
    res = fit_sem(data, m.to_syntax(), group=group, group_equal=order, missing=missing, std_lv=std_lv,
                  meanstructure=True, release=release)  # fmt: skip
    return cfa_result(res, m, equal=order)


def invariance_sequence(data: pd.DataFrame, model: MeasurementModel | str, group: str, *,
                        levels: Sequence[str] = ("configural", "metric", "scalar", "strict"),
                        missing: str = "listwise", std_lv: bool = False, partial: bool = False,
                        criterion: str | None = None, alpha: float = 0.05) -> InvarianceResult:  # fmt: skip
    """Fit a measurement-invariance sequence across groups and compare the models.

    Each level is :func:`fit_multigroup` with lavaan's ``group.equal`` for that level
    (:data:`LEVELS`).  Models are compared with the χ² difference test (``lavTestLRT``)
    and ΔCFI/ΔRMSEA/ΔSRMR; with the default ``criterion`` (``"chen"``) a step is
    ``"supported"`` when ΔCFI ≥ −.010, ΔRMSEA ≤ .015 and ΔSRMR ≤ .030 (metric) or ≤ .010
    (scalar, strict) (Chen, 2007; :data:`CHEN_2007`), each model compared with its
    predecessor.

    With ``partial=True`` each level is compared with the last accepted one, the default
    criterion becomes ``"lrt+chen"`` (LRT p ≥ ``alpha`` and the Chen cut-offs), and a failed
    level is followed by a partial step that frees, one at a time, the equality constraint
    with the largest ``lavTestScore`` statistic among the level's new constraints until the
    level holds (see :mod:`wamkit.stats.sem.invariance`).
    """
    m = as_model(model)
    _check(data, m, group, (), missing)
    ngroups = int(data[group].dropna().nunique())
    cache: dict[tuple[str, ...], SampleStats] = {}

    def fit(level: str, released: tuple[tuple[str, str, str, int], ...]) -> SEMResult:
        # the sample statistics (and the FIML EM estimates) are computed once for the sequence
        pt = build_partable(m.to_syntax(), ngroups=ngroups, meanstructure=True, std_lv=std_lv,
                            group_equal=LEVELS[level], release=released)  # fmt: skip
        res = fit_partable(pt, data, group=group, missing=missing, stats_=cache.get(pt.ov_names))
        if res.problem is not None:
            cache.setdefault(pt.ov_names, res.problem.stats)
        return res

    labels: list[str] = []

    def describe(pt: ParTable, row: int) -> tuple[str, str]:
        param = f"{pt.lhs[row]} ~1" if pt.op[row] == "~1" else f"{pt.lhs[row]} {pt.op[row]} {pt.rhs[row]}"
        return param, labels[int(pt.group[row]) - 1] if labels else str(pt.group[row])

    def wrap(res: SEMResult, level: str) -> CFAResult:
        if not labels:
            labels.extend(res.groups)
        return cfa_result(res, m, equal=LEVELS[level])

    design = Design(fit=fit, describe=describe, wrap=wrap, kind="groups", group=group)
    out = run_sequence(design, levels, partial=partial, criterion=criterion, alpha=alpha)
    return InvarianceResult(group=out.group, groups=out.steps[0].fit.groups, steps=out.steps,
                            highest_level=out.highest_level, verdict=out.verdict, criteria=out.criteria,
                            warnings=out.warnings, criterion=out.criterion, design=out.design, partial=out.partial,
                            alpha=out.alpha)  # fmt: skip
