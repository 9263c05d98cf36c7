"""Confirmatory factor analysis by maximum likelihood, matching lavaan 0.6-14 ``cfa()``.

A thin layer over the general SEM engine (:mod:`wamkit.stats.sem`): :func:`fit_cfa`
fits a measurement model (``=~`` syntax or a :class:`MeasurementModel`) with
:func:`wamkit.stats.sem.fit_sem` and returns a :class:`CFAResult` with the CFA views
(loadings, factor correlations, ω).  Estimation (ML discrepancy, Fisher scoring then
Newton, lavaan/nlminb convergence criteria), standard errors (expected information;
observed information under FIML), fit measures and modification indices are those of
the SEM engine.

Public API: :func:`fit_cfa`, :func:`modification_indices`, :class:`CFAResult`,
:class:`FitMeasures`.  Multi-group models are built by
:func:`wamkit.stats.invariance.fit_multigroup`, which uses the same engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from wamkit.errors import UsageError
from wamkit.results import StatResult, to_jsonable
from wamkit.stats.model_syntax import MeasurementModel, as_model
from wamkit.stats.sem.estimate import SEMResult, fit_sem
from wamkit.stats.sem.fit import FitMeasures
from wamkit.stats.sem.modindices import modification_indices as _sem_modindices

__all__ = ["CFAResult", "FitMeasures", "cfa_result", "fit_cfa", "modification_indices"]

_PARAM_COLS = ["lhs", "op", "rhs", "group", "label", "free", "est", "se", "z", "pvalue", "ci_low", "ci_high",
               "std_lv", "std_all"]  # fmt: skip


@dataclass(frozen=True)
class CFAResult(StatResult):
    """A fitted CFA (single- or multi-group).

    Attributes
    ----------
    model : MeasurementModel
    items : tuple of str
    groups : tuple of str
        Group labels (``("all",)`` for a single-group fit), in lavaan's order (first appearance).
    n_obs : tuple of int
        Cases used per group.
    missing : str
        ``"listwise"`` or ``"fiml"``.
    std_lv : bool
        Identification: ``False`` = first loading fixed to 1; ``True`` = factor variances 1.
    equal : tuple of str
        Cross-group equality constraints (lavaan ``group.equal``).
    meanstructure : bool
    converged : bool
    iterations : int
    fit : FitMeasures
    params : pandas.DataFrame
        One row per model parameter, lavaan ``parameterEstimates(fit, standardized = TRUE)``:
        ``lhs, op, rhs, group, label, free, est, se, z, pvalue, ci_low, ci_high, std_lv, std_all``.
        ``group`` is 1-based; fixed parameters have ``se = 0`` and ``z``/``pvalue`` NaN.
    omega : dict
        ``{factor: ω}`` = ``semTools::compRelSEM(fit)`` (obs.var=TRUE: denominator is the sum of
        the observed (h1) covariance block of the factor's items).  Single-group fits only.
    implied_cov, sample_cov : tuple of numpy.ndarray
        Model-implied Σ_g and sample S_g (divisor n_g; EM estimate under FIML), per group.
    warnings : tuple of str
    sem : SEMResult
        The underlying SEM fit (partable, vcov, all fit measures).
    """

    model: MeasurementModel
    items: tuple[str, ...]
    groups: tuple[str, ...]
    n_obs: tuple[int, ...]
    missing: str
    std_lv: bool
    equal: tuple[str, ...]
    meanstructure: bool
    converged: bool
    iterations: int
    fit: FitMeasures
    params: pd.DataFrame
    omega: dict[str, float]
    implied_cov: tuple[np.ndarray, ...]
    sample_cov: tuple[np.ndarray, ...]
    warnings: tuple[str, ...] = ()
    sem: SEMResult | None = None

    @property
    def loadings(self) -> pd.DataFrame:
        """Unstandardised loadings of the first group (items × factors, 0 where not loaded)."""
        return self._loading_frame("est")

    @property
    def std_loadings(self) -> pd.DataFrame:
        """``std.all`` loadings of the first group (items × factors)."""
        return self._loading_frame("std_all")

    @property
    def factor_correlations(self) -> pd.DataFrame:
        """Factor correlation matrix of the first group (lavaan ``lavInspect(fit, "cor.lv")``)."""
        assert self.sem is not None
        phi = self.sem.latent_cov(1)
        d = np.sqrt(np.diag(phi.to_numpy()))
        return pd.DataFrame(phi.to_numpy() / np.outer(d, d), index=phi.index, columns=phi.columns)

    def _loading_frame(self, col: str) -> pd.DataFrame:
        p = self.params
        rows = p[(p["op"] == "=~") & (p["group"] == 1)]
        out = pd.DataFrame(0.0, index=list(self.items), columns=list(self.model.factor_names))
        for lhs, rhs, v in zip(rows["lhs"], rows["rhs"], rows[col], strict=True):
            out.loc[rhs, lhs] = v
        return out

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """``parameters`` (:attr:`params`, the main table), ``summary`` (one row: n, convergence, headline fit),
        ``fit`` (every fit measure, one row), ``std_loadings`` (items × factors, first group) and ``omega``."""
        f = self.fit
        head = {"n": sum(self.n_obs), "groups": len(self.groups), "missing": self.missing,
                "converged": self.converged, "iterations": self.iterations, "chisq": f.chisq, "df": f.df,
                "pvalue": f.pvalue, "cfi": f.cfi, "tli": f.tli, "rmsea": f.rmsea, "srmr": f.srmr}  # fmt: skip
        std = self.std_loadings.rename_axis("item").reset_index()
        om = pd.DataFrame({"factor": list(self.omega), "omega": list(self.omega.values())})
        return {"parameters": self.params.copy(), "summary": pd.DataFrame([head]),
                "fit": pd.DataFrame([f.to_dict()]), "std_loadings": std, "omega": om}  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model.to_dict(),
            "items": list(self.items),
            "groups": list(self.groups),
            "n_obs": list(self.n_obs),
            "missing": self.missing,
            "std_lv": self.std_lv,
            "equal": list(self.equal),
            "meanstructure": self.meanstructure,
            "converged": self.converged,
            "iterations": self.iterations,
            "fit": self.fit.to_dict(),
            "params": to_jsonable(self.params),
            "omega": to_jsonable(self.omega),
            "warnings": list(self.warnings),
        }


def _omega(res: SEMResult, model: MeasurementModel) -> dict[str, float]:
    """``semTools::compRelSEM(fit)``: (Σλ)² ψ / Σ S_block, S the h1 covariance matrix; single-indicator factors dropped."""
    p = res.parameters
    load = p[(p.op == "=~") & (p.group == 1)]
    phi = res.latent_cov(1)
    S = res.sample_cov[0]
    ov = list(res.ov_names)
    out = {}
    for f, _ in model.factors:
        rows = load[(load.lhs == f) & (load.est != 0)]
        if len(rows) < 2:
            continue
        idx = [ov.index(v) for v in rows.rhs]
        common = float(rows.est.sum()) ** 2 * float(phi.to_numpy()[phi.index.get_loc(f), phi.columns.get_loc(f)])
        out[f] = common / float(S[np.ix_(idx, idx)].sum())
    return out


def cfa_result(res: SEMResult, model: MeasurementModel, *, equal: tuple[str, ...] = ()) -> CFAResult:
    """Wrap a measurement-model :class:`SEMResult` as a :class:`CFAResult`."""
    return CFAResult(
        model=model, items=tuple(model.items), groups=res.groups, n_obs=res.n_obs, missing=res.missing,
        std_lv=res.std_lv, equal=equal, meanstructure=res.meanstructure, converged=res.converged,
        iterations=res.iterations, fit=res.fit, params=res.parameters[_PARAM_COLS].copy(),
        omega=_omega(res, model) if len(res.groups) == 1 else {}, implied_cov=res.implied_cov,
        sample_cov=res.sample_cov, warnings=res.warnings, sem=res,
    )  # fmt: skip


def fit_cfa(data: pd.DataFrame | None, model: MeasurementModel | str, *, cov: np.ndarray | pd.DataFrame | None = None,
            n_obs: int | None = None, missing: str = "listwise", std_lv: bool = False) -> CFAResult:  # fmt: skip
    """Fit a single-group CFA by maximum likelihood (lavaan ``cfa()`` defaults).

    Parameters
    ----------
    data : pandas.DataFrame or None
        Raw data holding (at least) the model items.  ``None`` when ``cov`` is given.
    model : MeasurementModel or str
        Model, or lavaan ``=~`` syntax (see :func:`wamkit.stats.model_syntax.parse_model`;
        for general syntax use :func:`wamkit.stats.sem.fit_sem`).
    cov : array or DataFrame, optional
        Sample covariance matrix (divisor N−1, rows/columns in model-item order, or a
        DataFrame labelled by item) instead of raw data; rescaled by (N−1)/N as lavaan's
        ``sample.cov.rescale=TRUE``.  Requires ``n_obs``.
    n_obs : int, optional
        Sample size for ``cov``.
    missing : {"listwise", "fiml"}
        ``"listwise"`` drops incomplete rows (lavaan default); ``"fiml"`` = lavaan
        ``missing="ml"`` (adds a mean structure; SEs from the observed information).
    std_lv : bool
        ``False``: first loading of each factor fixed to 1 (marker); ``True``: factor
        variances fixed to 1 and all loadings free (lavaan ``std.lv=TRUE``).

    Returns
    -------
    CFAResult
        Fit measures as ``lavaan::fitMeasures(fit)``, estimates and SEs as
        ``parameterEstimates(fit)``, ``std_all``/``std_lv`` as ``standardizedSolution(fit)``,
        ``omega`` as ``semTools::compRelSEM(fit)``.
    """
    m = as_model(model)
    if missing not in ("listwise", "fiml"):
        raise UsageError(f"missing must be 'listwise' or 'fiml', not {missing!r}")
    res = fit_sem(data, m.to_syntax(), missing=missing, std_lv=std_lv, cov=cov, n_obs=n_obs)
    return cfa_result(res, m)


def modification_indices(result: CFAResult, *, top: int | None = None, min_mi: float = 0.0) -> pd.DataFrame:
    """Modification indices for fixed-to-zero loadings and residual covariances (lavaan ``modindices``).

    See :func:`wamkit.stats.sem.modindices.modification_indices`.  Returns ``lhs, op, rhs, mi,
    epc, sepc_all`` sorted by decreasing ``mi``; single-group complete-data fits only.
    """
    if result.sem is None:
        raise UsageError("this result carries no model state")
    return _sem_modindices(result.sem, top=top, min_mi=min_mi)
