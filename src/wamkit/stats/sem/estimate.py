"""``fit_sem``: structural equation models for continuous data by maximum likelihood (lavaan ``sem()``/``cfa()``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from wamkit.errors import DataError, UsageError
from wamkit.results import StatResult, to_jsonable
from wamkit.stats.linalg import single_threaded_blas
from wamkit.stats.sem.engine import OptimResult, Problem, inverse_information, optimise, start_values
from wamkit.stats.sem.fit import FitMeasures, compute_fit_measures
from wamkit.stats.sem.model import GroupMatrices, RamModel
from wamkit.stats.sem.partable import ParTable, build_partable
from wamkit.stats.sem.samplestats import (
    GroupStats,
    SampleStats,
    check_cov,
    complete_group,
    fiml_group,
    numeric_block,
)
from wamkit.stats.sem.syntax import ParsedModel, parse_syntax

__all__ = ["PARAMETER_COLUMNS", "SEMResult", "fit_sem"]

#: columns of :attr:`SEMResult.parameters`
PARAMETER_COLUMNS = ("lhs", "op", "rhs", "group", "label", "free", "exo", "est", "se", "z", "pvalue", "ci_low",
                     "ci_high", "std_lv", "std_all")  # fmt: skip
_Z975 = float(stats.norm.ppf(0.975))


@dataclass(frozen=True)
class SEMResult(StatResult):
    """A model fitted by :func:`fit_sem`.

    Attributes
    ----------
    syntax : str
        The model syntax.
    partable : ParTable
        lavaan's parameter table for the model (free/fixed pattern, labels, constraints).
    groups : tuple of str
        Group labels in lavaan's order (first appearance); ``("all",)`` for one group.
    n_obs : tuple of int
        Cases used per group.
    missing : str
        ``"listwise"`` or ``"fiml"``.
    std_lv : bool
    group_equal, group_partial : tuple of str
    meanstructure : bool
    converged : bool
        True when the optimiser met its convergence criterion and the gradient check.
    iterations : int
        Optimiser iterations (lavaan ``lavInspect(fit, "iterations")`` counts nlminb's).
    optimizer_message : str
    fit : FitMeasures
        ``lavaan::fitMeasures(fit)``.
    parameters : pandas.DataFrame
        ``lavaan::parameterEstimates(fit, standardized = TRUE)`` without the ``==`` rows:
        columns :data:`PARAMETER_COLUMNS`; ``group`` is 1-based, ``free`` is False for fixed
        parameters (``se = 0``, ``z``/``pvalue`` NaN, ``ci_low = ci_high = est``), ``exo``
        marks the fixed moments of exogenous covariates, ``ci_*`` is the 95% Wald interval,
        ``std_lv``/``std_all`` as lavaan (``cov.std = TRUE``).
    implied_cov, implied_mean, sample_cov, sample_mean : tuple of numpy.ndarray
        Model-implied and h1 (sample, or EM under FIML) moments per group, variables in
        ``partable.ov_names`` order (covariances with divisor n).
    vcov : numpy.ndarray
        Covariance matrix of the distinct free parameters (``partable.par`` order).
    warnings : tuple of str
    """

    syntax: str
    partable: ParTable
    groups: tuple[str, ...]
    n_obs: tuple[int, ...]
    missing: str
    std_lv: bool
    group_equal: tuple[str, ...]
    group_partial: tuple[str, ...]
    meanstructure: bool
    converged: bool
    iterations: int
    optimizer_message: str
    fit: FitMeasures
    parameters: pd.DataFrame
    implied_cov: tuple[np.ndarray, ...]
    implied_mean: tuple[np.ndarray, ...]
    sample_cov: tuple[np.ndarray, ...]
    sample_mean: tuple[np.ndarray, ...]
    vcov: np.ndarray
    warnings: tuple[str, ...] = ()
    theta: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    problem: Problem | None = field(default=None, repr=False, compare=False)

    @property
    def n(self) -> int:
        """Total number of cases used."""
        return int(sum(self.n_obs))

    @property
    def ov_names(self) -> tuple[str, ...]:
        return self.partable.ov_names

    @property
    def lv_names(self) -> tuple[str, ...]:
        return self.partable.lv_names

    def latent_cov(self, group: int = 1) -> pd.DataFrame:
        """Model-implied covariance matrix of the latent variables (lavaan ``lavInspect(fit, "cov.lv")``)."""
        assert self.problem is not None
        gm = self.problem.model.implied(self.theta, group - 1)
        assert gm is not None
        p = self.problem.model.p
        names = list(self.lv_names)
        return pd.DataFrame(gm.C[p:, p:], index=names, columns=names)

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """``parameters`` (the main table, :attr:`parameters`), ``summary`` (one row: n, convergence and the
        headline fit measures), ``fit`` (one row, every :class:`FitMeasures` field) and ``constraints``
        (the equality constraints as lavaan lists them)."""
        f = self.fit
        head = {"n": self.n, "groups": len(self.groups), "missing": self.missing, "converged": self.converged,
                "iterations": self.iterations, "chisq": f.chisq, "df": f.df, "pvalue": f.pvalue, "cfi": f.cfi,
                "tli": f.tli, "rmsea": f.rmsea, "srmr": f.srmr, "aic": f.aic, "bic": f.bic}  # fmt: skip
        return {"parameters": self.parameters.copy(), "summary": pd.DataFrame([head]),
                "fit": pd.DataFrame([f.to_dict()]), "constraints": self.partable.constraint_frame()}  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return {
            "syntax": self.syntax,
            "estimator": "ML",
            "groups": list(self.groups),
            "n_obs": list(self.n_obs),
            "n": self.n,
            "missing": self.missing,
            "std_lv": self.std_lv,
            "group_equal": list(self.group_equal),
            "group_partial": list(self.group_partial),
            "meanstructure": self.meanstructure,
            "converged": self.converged,
            "iterations": self.iterations,
            "fit": self.fit.to_dict(),
            "parameters": to_jsonable(self.parameters),
            "constraints": to_jsonable(self.partable.constraint_frame()),
            "warnings": list(self.warnings),
        }


# ---------------------------------------------------------------------------------------------
# data preparation
# ---------------------------------------------------------------------------------------------
def _prepare(data: pd.DataFrame | None, pt: ParTable, *, group: str | None, missing: str,
             cov: Any, mean: Any, n_obs: int | None) -> tuple[SampleStats, list[str]]:  # fmt: skip
    ov = list(pt.ov_names)
    x_idx = np.array([ov.index(v) for v in pt.ov_x], dtype=np.int64)
    notes: list[str] = []
    if cov is not None:
        if data is not None:
            raise UsageError("give either data or cov, not both")
        if group is not None:
            raise UsageError("group needs raw data, not a covariance matrix")
        if missing != "listwise":
            raise UsageError("missing='fiml' needs raw data, not a covariance matrix")
        if n_obs is None or int(n_obs) != n_obs or n_obs < 2:
            raise UsageError("cov needs n_obs, the sample size (an integer >= 2)")
        if isinstance(cov, pd.DataFrame):
            miss = [v for v in ov if v not in cov.columns or v not in cov.index]
            if miss:
                raise UsageError(f"model variable {miss[0]!r} is not in the covariance matrix")
            C = cov.loc[ov, ov].to_numpy(dtype=float)
        else:
            C = np.asarray(cov, dtype=float)
            if C.shape != (len(ov), len(ov)):
                raise UsageError(f"cov must be {len(ov)}x{len(ov)} (model variables in order), got {C.shape}")
        if not np.all(np.isfinite(C)) or not np.allclose(C, C.T, rtol=1e-10, atol=1e-12):
            raise DataError("cov must be a finite symmetric matrix")
        n = int(n_obs)
        if n < len(ov) + 1:
            raise DataError(f"n_obs = {n} is too small for {len(ov)} variables")
        S = C * (n - 1) / n
        check_cov(S, ov, "")
        if mean is None:
            if pt.meanstructure:
                raise UsageError("a model with a mean structure needs mean (the sample means) with cov")
            m = np.zeros(len(ov))
        else:
            given = mean.loc[ov] if isinstance(mean, pd.Series) else pd.Series(np.asarray(mean, float), index=ov)
            m = np.asarray(given, dtype=float)
        p = len(ov)
        ld = float(np.linalg.slogdet(S)[1])
        gs = GroupStats(n=n, obs=np.ones((1, p), dtype=bool), nk=np.array([float(n)]), ybar=m[None], S=S[None],
                        mean=m, cov=S, logl_h1=float(-0.5 * n * (p * math.log(2 * math.pi) + ld + p)),
                        var_n=np.full(p, float(n)), var_mean=m, var_var=np.diag(S).copy(), complete=True)  # fmt: skip
        return SampleStats([gs], tuple(ov), ("all",), False, x_idx), notes
    if data is None:
        raise UsageError("give data or cov")
    if n_obs is not None:
        raise UsageError("n_obs is only used with cov; with raw data the sample size is the number of rows")
    if mean is not None:
        raise UsageError("mean is only used with cov")
    if not isinstance(data, pd.DataFrame):
        raise UsageError("data must be a pandas DataFrame")
    X = numeric_block(data, ov)
    if group is not None:
        if group not in data.columns:
            raise UsageError(f"group column {group!r} is not in the data")
        if group in ov:
            raise UsageError(f"group column {group!r} is also a model variable")
        gcol = data[group]
        keep = gcol.notna().to_numpy()
        labels = list(pd.unique(gcol[keep]))
        if len(labels) < 2:
            raise UsageError(f"group column {group!r} has {len(labels)} group(s); need at least 2")
        gv = gcol[keep].to_numpy()
        blocks = [X[keep][gv == lab] for lab in labels]
        str_labels = [str(lab) for lab in labels]
        if (~keep).any():
            notes.append(f"{int((~keep).sum())} row(s) with a missing {group!r} were dropped")
    else:
        blocks = [X]
        str_labels = ["all"]
    groups: list[GroupStats] = []
    dropped = 0
    for Xg, lab in zip(blocks, str_labels, strict=True):
        where = "" if len(blocks) == 1 else f" in group {lab!r}"
        if missing == "fiml":
            empty = np.isnan(Xg).all(axis=1)
            if len(x_idx):
                miss_x = np.isnan(Xg[:, x_idx]).any(axis=1) & ~empty
                if miss_x.any():
                    notes.append(f"{int(miss_x.sum())} case(s){where} with missing exogenous covariate(s) were "
                                 "dropped (fixed.x = TRUE, as lavaan)")  # fmt: skip
                empty |= miss_x
            dropped += int(empty.sum())
            groups.append(fiml_group(Xg[~empty], ov, where))
        else:
            ok = ~np.isnan(Xg).any(axis=1)
            dropped += int((~ok).sum())
            groups.append(complete_group(Xg[ok], ov, where))
    return SampleStats(groups, tuple(ov), tuple(str_labels), missing == "fiml", x_idx, dropped), notes


# ---------------------------------------------------------------------------------------------
# parameter table with estimates
# ---------------------------------------------------------------------------------------------
def parameter_frame(pt: ParTable, model: RamModel, implied: list[GroupMatrices], theta: np.ndarray,
                    vcov: np.ndarray) -> pd.DataFrame:  # fmt: skip
    """Estimates, SEs, Wald tests and standardised values for every parameter-table row."""
    n = len(pt)
    est = np.empty(n)
    for r in range(n):
        gm = implied[int(pt.group[r]) - 1]
        k, i, j = int(model.row_kind[r]), int(model.row_i[r]), int(model.row_j[r])
        est[r] = gm.A[i, j] if k == 0 else (gm.S[i, j] if k == 1 else gm.M[i])
    free = pt.free > 0
    se = np.zeros(n)
    if vcov.size:
        dv = np.diag(vcov)
        se_par = np.sqrt(np.where(dv >= 0, dv, np.nan))
        se[free] = se_par[pt.par[free] - 1]
    z = np.full(n, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        z[free] = est[free] / se[free]
    pval = 2.0 * stats.norm.sf(np.abs(z))
    ci_lo = est - _Z975 * se
    ci_hi = est + _Z975 * se
    std_lv, std_all = _standardise(pt, model, implied, est)
    return pd.DataFrame({
        "lhs": list(pt.lhs), "op": list(pt.op), "rhs": list(pt.rhs), "group": pt.group.astype(int),
        "label": list(pt.label), "free": free,
        "exo": pt.exo.astype(bool), "est": est, "se": se, "z": z, "pvalue": pval, "ci_low": ci_lo, "ci_high": ci_hi,
        "std_lv": std_lv, "std_all": std_all,
    })  # fmt: skip


def _standardise(pt: ParTable, model: RamModel, implied: list[GroupMatrices],
                 est: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """lavaan ``lav_standardize_lv`` / ``lav_standardize_all`` with ``cov.std = TRUE``."""
    n = len(pt)
    lv = set(pt.lv_names)
    pos = model.pos
    out_lv = est.copy()
    out_all = est.copy()
    for g in range(pt.ngroups):
        gm = implied[g]
        var = np.diag(gm.C).copy()
        with np.errstate(invalid="ignore"):
            sd = np.sqrt(np.where(var >= 0, var, np.nan))
        rows = [r for r in range(n) if pt.group[r] == g + 1]
        # residual variances (for cov.std): the '~~' rows with lhs == rhs
        rv = {pt.lhs[r]: math.sqrt(abs(est[r])) for r in rows if pt.op[r] == "~~" and pt.lhs[r] == pt.rhs[r]}
        for r in rows:
            lhs, op, rhs = pt.lhs[r], pt.op[r], pt.rhs[r]
            x = est[r]
            if op == "=~":
                x = x * sd[pos[lhs]]
                if rhs in lv:
                    x = x / sd[pos[rhs]]
            elif op == "~":
                if lhs in lv:
                    x = x / sd[pos[lhs]]
                if rhs in lv:
                    x = x * sd[pos[rhs]]
            elif op == "~~":
                if lhs == rhs and lhs in lv:
                    x = x / var[pos[lhs]]
                elif lhs != rhs:
                    if lhs in lv:
                        x = x / rv[lhs] if rv.get(lhs) else np.nan
                    if rhs in lv:
                        x = x / rv[rhs] if rv.get(rhs) else np.nan
            elif op == "~1" and lhs in lv:
                x = x / sd[pos[lhs]]
            out_lv[r] = x
            y = x
            if op == "=~" and rhs not in lv:
                y = y / sd[pos[rhs]]
            elif op == "~":
                if lhs not in lv:
                    y = y / sd[pos[lhs]]
                if rhs not in lv:
                    y = y * sd[pos[rhs]]
            elif op == "~~" and lhs not in lv and lhs == rhs:
                y = y / var[pos[lhs]]
            elif op == "~~" and lhs != rhs:
                if lhs not in lv:
                    y = y / rv[lhs] if rv.get(lhs) else np.nan
                if rhs not in lv:
                    y = y / rv[rhs] if rv.get(rhs) else np.nan
            elif op == "~1" and lhs not in lv:
                y = y / sd[pos[lhs]]
            out_all[r] = y
    return out_lv, out_all


def _post_warnings(pt: ParTable, model: RamModel, implied: list[GroupMatrices], groups: Sequence[str],
                   opt: OptimResult) -> list[str]:  # fmt: skip
    out = []
    if not opt.converged:
        out.append(f"the optimiser did not converge ({opt.message}, {opt.iterations} iterations); "
                   "estimates are unreliable")  # fmt: skip
    p = model.p
    for g, gm in enumerate(implied):
        tag = "" if len(implied) == 1 else f" in group {groups[g]!r}"
        neg = [v for k, v in enumerate(model.ov_names) if gm.S[k, k] < 0]
        if neg:
            out.append(f"Heywood case{tag}: negative residual variance for {', '.join(neg)}")
        negl = [v for k, v in enumerate(model.lv_names) if gm.S[p + k, p + k] < 0]
        if negl:
            out.append(f"negative latent (residual) variance{tag} for {', '.join(negl)}")
        if model.m:
            ev = np.linalg.eigvalsh(gm.C[p:, p:])
            if ev[0] <= 0:
                out.append(f"the latent covariance matrix{tag} is not positive definite")
    return out


# ---------------------------------------------------------------------------------------------
# public entry
# ---------------------------------------------------------------------------------------------
def fit_sem(data: pd.DataFrame | None, model: str | ParsedModel, *, group: str | None = None,
            group_equal: Sequence[str] = (), group_partial: Sequence[str] = (), missing: str = "listwise",
            std_lv: bool = False, meanstructure: bool | None = None, fixed_x: bool = True, orthogonal: bool = False,
            cov: np.ndarray | pd.DataFrame | None = None, mean: np.ndarray | pd.Series | None = None,
            n_obs: int | None = None, release: Sequence[tuple[str, str, str, int]] = ()) -> SEMResult:  # fmt: skip
    """Fit a structural equation model by maximum likelihood (lavaan ``sem()``; ``cfa()`` is the same).

    Parameters
    ----------
    data : pandas.DataFrame or None
        Raw data with a column per observed model variable (and ``group``).  ``None`` with ``cov``.
    model : str or ParsedModel
        lavaan model syntax (:func:`wamkit.stats.sem.syntax.parse_syntax`).
    group : str, optional
        Column defining groups (lavaan ``group=``); order of first appearance.  Rows with a
        missing group are dropped.
    group_equal : sequence of str
        lavaan ``group.equal``: any of ``loadings, intercepts, means, regressions, residuals,
        residual.covariances, lv.variances, lv.covariances``.
    group_partial : sequence of str
        lavaan ``group.partial``: parameters exempt from ``group_equal`` (``"f =~ x2"``, ``"x3 ~ 1"``).
    missing : {"listwise", "fiml"}
        ``"listwise"`` drops incomplete rows (lavaan's default); ``"fiml"`` is lavaan
        ``missing = "ml"`` (case-wise likelihood, a mean structure, standard errors from the
        observed information; rows missing on every variable, and rows missing an exogenous
        covariate under ``fixed_x``, are dropped as lavaan).
    std_lv : bool
        Identify latent variables by fixing their (residual) variances to 1 instead of their
        first loadings (lavaan ``std.lv``).
    meanstructure : bool, optional
        Default: True with FIML, several groups, or ``~ 1`` in the syntax (lavaan ``"default"``).
    fixed_x : bool
        Exogenous observed covariates' moments fixed at their sample values (lavaan ``fixed.x``).
    orthogonal : bool
        Automatically added latent covariances fixed to zero.
    cov, mean, n_obs :
        A sample covariance matrix (divisor N−1, rescaled by (N−1)/N as lavaan's
        ``sample.cov.rescale``), optional means, and the sample size, instead of ``data``.
    release : sequence of (lhs, op, rhs, group)
        Parameter-table rows freed from the equality they share through a label or
        ``group_equal`` (see :func:`wamkit.stats.sem.partable.build_partable`).

    Returns
    -------
    SEMResult
        Parameters as ``lavaan::parameterEstimates(fit, standardized = TRUE)``, fit measures
        as ``lavaan::fitMeasures(fit)``.

    Notes
    -----
    ML discrepancy, optimiser and convergence criteria: :mod:`wamkit.stats.sem.engine`.
    Standard errors ``se = "standard"``: expected information for complete data, observed
    information (Hessian) under FIML, as lavaan 0.6-14.
    """
    if missing not in ("listwise", "fiml"):
        raise UsageError(f"missing must be 'listwise' or 'fiml', not {missing!r}")
    pm = model if isinstance(model, ParsedModel) else parse_syntax(model)
    ngroups = 1
    if group is not None and data is not None and isinstance(data, pd.DataFrame) and group in data.columns:
        ngroups = max(int(data[group].dropna().nunique()), 1)
    if meanstructure is None:
        meanstructure = missing == "fiml" or ngroups > 1 or any(f.op == "~1" for f in pm.formulas)
    if group_equal and ngroups < 2:
        raise UsageError("group_equal needs several groups (group=...)")
    pt = build_partable(pm, ngroups=ngroups, meanstructure=meanstructure, std_lv=std_lv, fixed_x=fixed_x,
                        orthogonal=orthogonal, group_equal=group_equal, group_partial=group_partial,
                        release=release)  # fmt: skip
    return fit_partable(pt, data, group=group, missing=missing, cov=cov, mean=mean, n_obs=n_obs)


def fit_partable(pt: ParTable, data: pd.DataFrame | None, *, group: str | None = None, missing: str = "listwise",
                 cov: Any = None, mean: Any = None, n_obs: int | None = None, stats_: SampleStats | None = None,
                 start: np.ndarray | None = None) -> SEMResult:  # fmt: skip
    """Fit a prepared parameter table (``stats_`` reuses sample statistics already computed for the same data).

    ``start``: starting values for the distinct free parameters (e.g. a neighbouring model's estimates).
    """
    with single_threaded_blas():
        return _fit_partable(pt, data, group=group, missing=missing, cov=cov, mean=mean, n_obs=n_obs,
                             stats_=stats_, start=start)  # fmt: skip


def _fit_partable(pt: ParTable, data: pd.DataFrame | None, *, group: str | None, missing: str, cov: Any,
                  mean: Any, n_obs: int | None, stats_: SampleStats | None, start: np.ndarray | None) -> SEMResult:  # fmt: skip
    model = RamModel(pt)
    notes: list[str] = []
    if stats_ is None:
        stats_, notes = _prepare(data, pt, group=group, missing=missing, cov=cov, mean=mean, n_obs=n_obs)
    if len(stats_.groups) != pt.ngroups:
        raise UsageError(f"the parameter table has {pt.ngroups} group(s), the data {len(stats_.groups)}")
    model.set_exogenous([g.mean for g in stats_.groups], [g.cov for g in stats_.groups])
    G = pt.ngroups
    p = len(pt.ov_names)
    px = len(pt.ov_x)
    ms = 1 if pt.meanstructure else 0
    ndat = G * (p * (p + 1) // 2 + ms * p - px * (px + 1) // 2 - ms * px)
    if ndat - pt.npar < 0:
        raise UsageError(f"the model is not identified: {pt.npar} free parameters for {ndat} sample moments "
                         f"(df = {ndat - pt.npar})")  # fmt: skip
    prob = Problem(model, stats_)
    theta0 = start if start is not None and len(start) == pt.npar else start_values(prob)
    opt = optimise(prob, theta0)
    theta = opt.theta
    ev = prob.evaluate(theta)
    implied = ev.implied
    if implied is None:
        raise DataError("the model-implied covariance matrix is not positive definite at the solution")
    vcov, vmsg = inverse_information(prob, theta, observed=stats_.fiml)
    params = parameter_frame(pt, model, implied, theta, vcov)
    fit = compute_fit_measures(stats_, implied, ev.F, pt.npar, meanstructure=pt.meanstructure, x_idx=stats_.x_idx)
    warns = _post_warnings(pt, model, implied, stats_.group_labels, opt)
    if vmsg:
        warns.append(vmsg)
    warns += notes
    return SEMResult(
        syntax=pt.model.text if pt.model is not None else "", partable=pt, groups=stats_.group_labels,
        n_obs=tuple(int(g.n) for g in stats_.groups), missing="fiml" if stats_.fiml else "listwise",
        std_lv=pt.std_lv, group_equal=pt.group_equal, group_partial=pt.group_partial,
        meanstructure=pt.meanstructure, converged=opt.converged, iterations=opt.iterations,
        optimizer_message=opt.message, fit=fit, parameters=params,
        implied_cov=tuple(gm.sigma for gm in implied), implied_mean=tuple(gm.mu for gm in implied),
        sample_cov=tuple(g.cov for g in stats_.groups), sample_mean=tuple(g.mean for g in stats_.groups),
        vcov=vcov, warnings=tuple(warns), theta=theta, problem=prob,
    )  # fmt: skip
