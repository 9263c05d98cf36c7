"""The result of ``validate``: one object with stable JSON keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from wamkit.measurement.settings import CHEN_CUTOFFS, Structure, ValidateSettings
from wamkit.results import Result, to_jsonable

__all__ = ["FIT_KEYS", "ValidationReport", "cfa_dict", "fit_dict"]


@dataclass(frozen=True)
class ValidationReport(Result):
    """Everything ``wamkit validate`` reports; ``to_dict()`` has the stable JSON keys."""

    instrument: str | None
    n: int
    settings: ValidateSettings
    structure: Structure
    reliability: dict[str, Any]
    sampling: dict[str, Any]
    n_factors: dict[str, Any]
    efa: Any
    cfa: Any
    cfa_ordinal: Any
    invariance: Any
    nesting: dict[str, Any] | None
    mod_indices: Any
    warnings: tuple[str, ...] = field(default_factory=tuple)
    longitudinal_invariance: Any = None
    dyadic_invariance: Any = None
    document_builder = "wamkit.render.reports.validate:validation_document"

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """``reliability`` (one row per scale), ``items`` (scale x item analysis), ``loadings`` (CFA
        standardised loadings, else EFA), ``invariance`` (one row per level), ``nesting`` (wave x subscale)."""
        d = self.to_dict()
        rel = pd.DataFrame(
            [
                {"scale": k, **{x: v for x, v in r.items() if not isinstance(v, (dict, list))}}
                for k, r in d["reliability"].items()
            ]
        )
        items = pd.DataFrame(
            [{"scale": k, "item": i, **s} for k, r in d["reliability"].items() for i, s in r.get("items", {}).items()]
        )
        if d["cfa"]:
            loads = pd.DataFrame(
                [
                    {"factor": f, "item": i, "std_loading": v}
                    for f, ls in d["cfa"]["std_loadings"].items()
                    for i, v in ls.items()
                ]
            )
        elif d["efa"]:
            e = d["efa"]
            loads = pd.DataFrame(
                [{"item": i, **dict(zip(e["factor_names"], v, strict=False))} for i, v in e["loadings"].items()]
            )
        else:
            loads = pd.DataFrame()
        inv = d["invariance"]
        inv_frame = pd.DataFrame([{"level": lv, **f} for lv, f in inv["models"].items()]) if inv else pd.DataFrame()
        nest = d["nesting"]
        nest_frame = pd.DataFrame(
            [
                {"wave": w, "subscale": s, **v}
                for w, wd in (nest or {}).get("waves", {}).items()
                for s, v in wd["subscales"].items()
            ]
        )
        return {"reliability": rel, "items": items, "loadings": loads, "invariance": inv_frame, "nesting": nest_frame}

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "instrument": self.instrument,
            "n": self.n,
            "settings": self.settings.to_dict(),
            "structure": {
                "factors": {k: list(v) for k, v in self.structure.factors.items()},
                "totals": {k: list(v) for k, v in self.structure.totals.items()},
                "source": self.structure.source,
            },
            "reliability": self.reliability,
            "sampling": self.sampling,
            "n_factors": self.n_factors,
            "efa": efa_dict(self.efa, self.settings) if self.efa is not None else None,
            "cfa": (
                cfa_dict(self.cfa, self.mod_indices)
                if self.cfa is not None
                else ordinal_cfa_dict(self.cfa_ordinal)
                if self.cfa_ordinal is not None
                else None
            ),
            "invariance": (
                {**invariance_dict(self.invariance), "group": self.settings.group}
                if self.invariance is not None
                else None
            ),
            "longitudinal_invariance": (
                invariance_dict(self.longitudinal_invariance) if self.longitudinal_invariance is not None else None
            ),
            "dyadic_invariance": (
                invariance_dict(self.dyadic_invariance) if self.dyadic_invariance is not None else None
            ),
            "nesting": self.nesting,
            "warnings": list(self.warnings),
        }
        return to_jsonable(out)


def efa_dict(efa, settings: ValidateSettings) -> dict:
    return {
        "n_factors": efa.n_factors,
        "extraction": efa.fm,
        "rotation": efa.rotation,
        "factor_names": list(efa.factor_names),
        "loadings": {it: efa.loadings[i].tolist() for i, it in enumerate(efa.items)},
        "communalities": dict(zip(efa.items, efa.h2.tolist(), strict=False)),
        "phi": efa.phi.tolist(),
        "variance": {
            "ss_loadings": efa.ss_loadings,
            "proportion": efa.proportion_var,
            "cumulative": efa.cumulative_var,
        },
        "fit": {
            "chisq": efa.chisq,
            "df": efa.dof,
            "pvalue": efa.pvalue,
            "rmsea": efa.rmsea,
            "rmsea_ci_lower": efa.rmsea_lower,
            "rmsea_ci_upper": efa.rmsea_upper,
            "tli": efa.tli,
            "bic": efa.bic,
            "rms": efa.rms,
        },
        "eigenvalues": efa.e_values,
        "warnings": list(efa.warnings),
    }


FIT_KEYS = (
    "chisq",
    "df",
    "pvalue",
    "cfi",
    "tli",
    "rmsea",
    "rmsea_ci_lower",
    "rmsea_ci_upper",
    "srmr",
    "logl",
    "aic",
    "bic",
)


def fit_dict(fit) -> dict:
    d = {k: getattr(fit, k) for k in FIT_KEYS}
    d["loglik"] = d.pop("logl")
    d["npar"] = fit.npar
    d["ntotal"] = fit.ntotal
    return d


def cfa_dict(cfa, mods) -> dict:
    std = cfa.std_loadings
    out = {
        "estimator": "ML",
        "missing": cfa.missing,
        "n": sum(cfa.n_obs),
        "converged": cfa.converged,
        "iterations": getattr(cfa, "iterations", None),
        "fit": fit_dict(cfa.fit),
        "std_loadings": {f: {it: float(std.loc[it, f]) for it in its} for f, its in cfa.model.factors},
        "factor_correlations": cfa.factor_correlations,
        "omega": cfa.omega,
        "warnings": list(cfa.warnings),
    }
    params = cfa.params
    keep = [
        c
        for c in (
            "lhs",
            "op",
            "rhs",
            "group",
            "label",
            "est",
            "se",
            "z",
            "pvalue",
            "ci_low",
            "ci_high",
            "std_lv",
            "std_all",
        )
        if c in params.columns
    ]
    out["parameters"] = params[keep]
    if mods is not None:
        out["modification_indices"] = mods
    return out


def ordinal_cfa_dict(res) -> dict:
    """WLSMV fit in the same shape as the ML CFA: the headline indices are lavaan's scaled ones."""
    f = res.fit
    loadings = {
        fac: {it: float(res.std_loadings[res.items.index(it), j]) for it in its}
        for j, (fac, its) in enumerate(res.factors)
    }
    return {
        "estimator": "WLSMV",
        "missing": "listwise",
        "n": res.n_obs,
        "n_dropped": res.n_dropped,
        "converged": res.converged,
        "fit": {
            "chisq": f.chisq_scaled,
            "df": f.df,
            "pvalue": f.pvalue_scaled,
            "cfi": f.cfi_scaled,
            "tli": f.tli_scaled,
            "rmsea": f.rmsea_scaled,
            "rmsea_ci_lower": f.rmsea_ci_lower_scaled,
            "rmsea_ci_upper": f.rmsea_ci_upper_scaled,
            "srmr": f.srmr,
            "loglik": None,
            "aic": None,
            "bic": None,
            "npar": f.npar,
            "ntotal": f.ntotal,
            "scaling_factor": f.scaling_factor,
            "shift_parameter": f.shift,
            "robust": {
                "cfi": f.cfi_robust,
                "tli": f.tli_robust,
                "rmsea": f.rmsea_robust,
                "rmsea_ci_lower": f.rmsea_ci_lower_robust,
                "rmsea_ci_upper": f.rmsea_ci_upper_robust,
            },
            "unscaled": {"chisq": f.chisq, "pvalue": f.pvalue, "cfi": f.cfi, "tli": f.tli, "rmsea": f.rmsea},
        },
        "std_loadings": loadings,
        "factor_correlations": res.factor_cor,
        "omega": dict(res.omega),
        "omega_kind": "categorical (Green & Yang 2009), semTools::compRelSEM",
        "thresholds": {it: list(t) for it, t in zip(res.items, res.thresholds, strict=False)},
        "warnings": list(res.warnings),
    }


def invariance_dict(inv: Any, settings: ValidateSettings | None = None) -> dict:
    """One JSON shape for every invariance sequence (groups, occasions, roles; ML or WLSMV):
    ``models`` (level -> headline fit: scaled for WLSMV), ``comparisons``, ``highest_level``, ``verdict``,
    ``partial`` (released constraints, in order)."""
    if hasattr(inv, "steps"):
        return _ml_invariance(inv)
    return _ordinal_invariance(inv)


def _ml_invariance(inv: Any) -> dict:
    models = {step.name: {**fit_dict(step.fit.fit), "iterations": step.fit.iterations} for step in inv.steps}
    comparisons = [
        {
            "level": s.name,
            "against": s.compared_with,
            "chisq_diff": s.chisq_diff,
            "df_diff": s.df_diff,
            "pvalue_diff": s.pvalue_diff,
            "delta_cfi": s.delta_cfi,
            "delta_rmsea": s.delta_rmsea,
            "delta_srmr": s.delta_srmr,
            "verdict": s.verdict,
            "reasons": list(s.reasons),
        }
        for s in inv.steps[1:]
    ]
    return {
        "design": inv.design,
        "group": inv.group,
        "groups": list(inv.groups),
        "estimator": "ML",
        "models": models,
        "comparisons": comparisons,
        "highest_level": inv.highest_level,
        "verdict": inv.verdict,
        "criterion": inv.criterion,
        "criteria": inv.criteria,
        "cutoffs": CHEN_CUTOFFS,
        "partial": [r.to_dict() for r in inv.partial],
        "warnings": list(inv.warnings),
    }


#: WLSMV headline fit: lavaan's scaled statistics (as the WLSMV CFA reports them)
_SCALED = {
    "chisq": "chisq_scaled",
    "pvalue": "pvalue_scaled",
    "cfi": "cfi_scaled",
    "tli": "tli_scaled",
    "rmsea": "rmsea_scaled",
    "rmsea_ci_lower": "rmsea_ci_lower_scaled",
    "rmsea_ci_upper": "rmsea_ci_upper_scaled",
}


def _ordinal_invariance(inv: Any) -> dict:
    d = inv.to_dict()
    models = {}
    for level, f in d["models"].items():
        head = {k: f.get(v) for k, v in _SCALED.items()}
        head.update({"df": f.get("df"), "srmr": f.get("srmr"), "npar": f.get("npar"), "ntotal": f.get("ntotal")})
        models[level] = {
            **head,
            "unscaled": {k: f.get(k) for k in _SCALED},
            "robust": {k: f.get(f"{k}_robust") for k in ("cfi", "tli", "rmsea")},
        }
    return {
        **d,
        "models": models,
        "cutoffs": CHEN_CUTOFFS,
        "fit_note": "WLSMV: scaled chi-square (satorra.2000 difference tests), scaled CFI/TLI/RMSEA",
    }
