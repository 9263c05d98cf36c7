"""``wamkit validate``: reliability and factor structure in one report.

This module only orchestrates: every statistic comes from ``wamkit.stats`` and is
pinned there against R (psych, lavaan, semTools). What it adds is the choice of
data (the instrument's keyed items, or the items of a ``--model``), the structure
(subscales as factors), and one result object with stable JSON keys.

Choices (documented in README):

* Reliability uses pairwise-complete correlations, as ``psych::alpha`` does; the
  omega per subscale is psych's one-factor ``omega(x, nfactors = 1)`` omega total.
* KMO, Bartlett, parallel analysis, MAP and EFA use the pairwise correlation
  matrix of all items, as psych does on raw data; Bartlett uses n = rows used.
* The CFA is lavaan's default ML (N, not N - 1) on listwise-complete rows, or
  full-information ML (``missing="fiml"``); its omega per factor is
  ``semTools::compRelSEM``. With ``ordinal`` the CFA is lavaan's WLSMV on
  polychoric correlations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from wamkit.errors import DataError, UsageError
from wamkit.instrument import Instrument, Item, Subscale
from wamkit.results import to_jsonable

CHEN_CUTOFFS = "Chen (2007): metric dCFI >= -.010, dRMSEA <= .015, dSRMR <= .030; scalar/strict dSRMR <= .010"


@dataclass(frozen=True)
class ValidateSettings:
    """What to compute. ``skip`` may hold ``parallel``, ``efa``, ``cfa`` to leave a part out."""

    n_factors: int | None = None
    extraction: str = "minres"
    rotation: str = "oblimin"
    ordinal: bool = False
    bootstrap: int = 0
    seed: int | None = None
    parallel_iter: int = 20
    missing: str = "listwise"
    group: str | None = None
    cluster: str | None = None
    levels: tuple[str, ...] = ("configural", "metric", "scalar", "strict")
    top_mi: int = 5
    skip: frozenset = frozenset()

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["skip"] = sorted(self.skip)
        d["levels"] = list(self.levels)
        return d


@dataclass(frozen=True)
class Structure:
    """Factors (subscales) and extra reliability scales (totals) over item ids."""

    factors: dict[str, tuple[str, ...]]
    totals: dict[str, tuple[str, ...]]
    scales: dict[str, tuple[float | None, float | None]]
    source: str

    @property
    def items(self) -> list[str]:
        out: list[str] = []
        for its in self.factors.values():
            out += [i for i in its if i not in out]
        return out

    def model_syntax(self) -> str:
        return "; ".join(f"{f} =~ {' + '.join(its)}" for f, its in self.factors.items() if len(its) >= 2)


@dataclass(frozen=True)
class ValidationReport:
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

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "instrument": self.instrument, "n": self.n, "settings": self.settings.to_dict(),
            "structure": {"factors": {k: list(v) for k, v in self.structure.factors.items()},
                          "totals": {k: list(v) for k, v in self.structure.totals.items()},
                          "source": self.structure.source},
            "reliability": self.reliability, "sampling": self.sampling, "n_factors": self.n_factors,
            "efa": _efa_dict(self.efa, self.settings) if self.efa is not None else None,
            "cfa": (_cfa_dict(self.cfa, self.mod_indices) if self.cfa is not None
                    else _ordinal_cfa_dict(self.cfa_ordinal) if self.cfa_ordinal is not None else None),
            "invariance": _invariance_dict(self.invariance, self.settings) if self.invariance is not None else None,
            "nesting": self.nesting, "warnings": list(self.warnings),
        }
        return to_jsonable(out)


# --------------------------------------------------------------------------- structure


def structure_from_instrument(ins: Instrument) -> Structure:
    factors = {s.id: tuple(s.items) for s in ins.subscales}
    totals = {t.id: tuple(ins.total_items(t)) for t in ins.totals}
    scales = {}
    for it in ins.items:
        sc = ins.item_scale(it)
        scales[it.id] = (sc.min, sc.max) if sc is not None else (None, None)
    return Structure(factors=factors, totals=totals, scales=scales, source="instrument")


def instrument_from_model(model_text: str) -> Instrument:
    """A plain instrument for a ``--model``: items continuous, not reversed, no declared range."""
    from wamkit.stats.model_syntax import parse_model

    model = parse_model(model_text)
    items = tuple(Item(id=i, column=i) for i in model.items)
    subs = tuple(Subscale(id=f, items=tuple(its), name=f) for f, its in model.factors)
    return Instrument(id="model", name="--model", version="", items=items, subscales=subs,
                      min_answered=1e-9)


# --------------------------------------------------------------------------- main entry


def validate_items(items: pd.DataFrame, structure: Structure, *, settings: ValidateSettings = ValidateSettings(),
                   groups: pd.Series | None = None, clusters: pd.Series | None = None,
                   scores: pd.DataFrame | None = None, instrument_id: str | None = None,
                   progress: Callable[[str], None] | None = None) -> ValidationReport:
    """Reliability, sampling adequacy, number of factors, EFA, CFA, invariance and nesting.

    Parameters
    ----------
    items
        Keyed item values (reversed items already reversed), NaN for missing; one
        column per item id in ``structure``.
    groups, clusters
        Aligned with ``items`` (same index) when ``settings.group`` / ``settings.cluster`` are set.
    scores
        Subscale scores (by the instrument's scoring rule) for the nesting ICCs; by default
        the mean of the answered items.
    progress
        Called with the name of each step as it starts (for a progress display).
    """
    step = progress or (lambda name: None)
    from wamkit.stats.correlation import pairwise_cor
    from wamkit.stats.efa import bartlett, fa, kmo
    from wamkit.stats.nfactors import map_test, parallel_analysis

    cols = structure.items
    missing_cols = [c for c in cols if c not in items.columns]
    if missing_cols:
        raise UsageError(f"model items not in the data: {', '.join(missing_cols)}")
    X = items[cols].to_numpy(dtype=float)
    n = X.shape[0]
    p = X.shape[1]
    answered_rows = int((~np.isnan(X)).any(axis=1).sum())
    if answered_rows < max(10, p + 1):
        raise DataError(f"too few rows for a factor model: {answered_rows} rows with answers for {p} items "
                        f"(need at least {max(10, p + 1)})")
    warnings: list[str] = []
    rng = np.random.default_rng(settings.seed)

    step("reliability" + (f" ({settings.bootstrap} bootstrap resamples)" if settings.bootstrap else ""))
    reliability = {}
    for name, its in [*structure.factors.items(), *structure.totals.items()]:
        reliability[name] = _reliability(items[list(its)], structure, settings, rng)

    step("sampling adequacy")
    R, npair = pairwise_cor(X)
    k = kmo(R, items=cols)
    b = bartlett(R, n)
    sampling = {"kmo": k.overall, "kmo_items": dict(zip(cols, np.asarray(k.per_item).tolist())),
                "bartlett": {"chisq": b.chisq, "df": b.df, "p": b.p_value}}

    n_factors: dict[str, Any] = {}
    if "parallel" not in settings.skip:
        step(f"parallel analysis ({settings.parallel_iter} iterations)")
        pa = parallel_analysis(X, n_iter=settings.parallel_iter, rng=rng)
        n_factors.update({"parallel": pa.nfact, "parallel_components": pa.ncomp,
                          "observed_fa": pa.fa_values, "simulated_fa": pa.fa_sim,
                          "observed_pc": pa.pc_values, "simulated_pc": pa.pc_sim,
                          "iterations": settings.parallel_iter})
    mp = map_test(R)
    n_factors["map"] = mp.n_factors
    n_factors["map_values"] = mp.values

    efa = None
    if "efa" not in settings.skip:
        k_f = settings.n_factors
        if k_f is None:
            k_f = len(structure.factors) if structure.source == "instrument" else (n_factors.get("parallel") or mp.n_factors)
        k_f = max(1, int(k_f))
        if k_f >= p:
            raise UsageError(f"--n-factors {k_f} needs more than {k_f} items (have {p})")
        step(f"EFA ({k_f} factors)")
        efa = _model_or_warning("EFA", warnings, lambda: fa(R, k_f, n_obs=n, fm=settings.extraction,
                                                             rotate=settings.rotation, np_obs=npair, items=cols))

    cfa = mods = cfa_ord = None
    model_text = structure.model_syntax()
    if "cfa" not in settings.skip and model_text:
        from wamkit.stats.cfa import fit_cfa, modification_indices

        data = items[cols]
        step("CFA (WLSMV)" if settings.ordinal else "CFA (ML)")
        if settings.ordinal:
            from wamkit.stats.wlsmv import fit_wlsmv

            cfa_ord = _model_or_warning("ordinal CFA", warnings, lambda: fit_wlsmv(data, None, model_text))
        else:
            cfa = _model_or_warning("CFA", warnings, lambda: fit_cfa(data, model_text, missing=settings.missing))
            if cfa is not None and settings.missing == "listwise":
                mods = modification_indices(cfa, top=settings.top_mi)

    inv = None
    if settings.group and model_text:
        from wamkit.stats.invariance import invariance_sequence

        if groups is None:
            raise UsageError("--group needs the group column")
        gdata = items[cols].copy()
        gdata["__group__"] = groups.astype("string").to_numpy()
        if gdata["__group__"].isna().any():
            n_na = int(gdata["__group__"].isna().sum())
            raise DataError(f"--group {settings.group}: {n_na} rows have no group value")
        levels = gdata["__group__"].nunique()
        if levels < 2:
            raise DataError(f"--group {settings.group}: needs at least two groups, found {levels}")
        step(f"measurement invariance by {settings.group}")
        inv = _model_or_warning("invariance", warnings, lambda: invariance_sequence(
            gdata, model_text, "__group__", levels=settings.levels, missing=settings.missing))

    nesting = None
    if settings.cluster:
        if scores is None:
            scores = pd.DataFrame({f: items[list(its)].mean(axis=1, skipna=True)
                                   for f, its in structure.factors.items()})
        nesting = _nesting(scores, structure, clusters, settings)

    return ValidationReport(instrument=instrument_id, n=n, settings=settings, structure=structure,
                            reliability=reliability, sampling=sampling, n_factors=n_factors, efa=efa,
                            cfa=cfa, cfa_ordinal=cfa_ord, invariance=inv, nesting=nesting, mod_indices=mods,
                            warnings=tuple(warnings))


def _model_or_warning(what: str, warnings: list[str], fit: Callable[[], Any]) -> Any:
    """Fit a model; a model the data cannot support (not identified, too few cases per group,
    singular) becomes a warning in the report instead of losing the rest of it."""
    try:
        res = fit()
    except DataError as e:
        warnings.append(f"{what} not estimated: {e.message}")
        return None
    warnings.extend(f"{what}: {w}" for w in getattr(res, "warnings", ()))
    return res


def _reliability(block: pd.DataFrame, structure: Structure, settings: ValidateSettings, rng) -> dict[str, Any]:
    from wamkit.stats.correlation import pairwise_cor
    from wamkit.stats.reliability import alpha, alpha_from_cor, omega_total

    its = list(block.columns)
    if len(its) < 2:
        return {"n": int(block.notna().any(axis=1).sum()), "note": "a single item has no internal consistency"}
    lo = {structure.scales.get(i, (None, None))[0] for i in its}
    hi = {structure.scales.get(i, (None, None))[1] for i in its}
    smin = lo.pop() if len(lo) == 1 else None
    smax = hi.pop() if len(hi) == 1 else None
    a = alpha(block, scale_min=smin, scale_max=smax, n_boot=settings.bootstrap, rng=rng if settings.bootstrap else None)
    R, _ = pairwise_cor(block.to_numpy(dtype=float))
    om = omega_total(R, items=its)
    st = a.item_stats
    item_out = {}
    for it in its:
        row = st.loc[it]
        entry = {"r_drop": row["r_drop"], "alpha_if_dropped": row["alpha_if_dropped"], "mean": row["mean"],
                 "sd": row["sd"], "missing": row["missing_share"], "n": int(row["n"])}
        if "floor_share" in st.columns:
            entry["floor"] = row["floor_share"]
            entry["ceiling"] = row["ceiling_share"]
        item_out[it] = entry
    out = {"alpha": a.raw_alpha, "alpha_ci": [a.feldt_lower, a.feldt_upper], "alpha_ci_method": "Feldt",
           "std_alpha": a.std_alpha, "g6": a.g6, "average_r": a.average_r, "omega_total": om.omega_total,
           "n": a.n_obs, "mean": a.mean, "sd": a.sd, "items": item_out, "warnings": list(a.warnings)}
    if settings.bootstrap:
        out["alpha_boot_ci"] = [a.boot_lower, a.boot_upper]
        out["bootstrap"] = settings.bootstrap
    if settings.ordinal:
        from wamkit.stats.polychoric import polychoric

        pc = polychoric(block)
        out["ordinal_alpha"] = alpha_from_cor(pc.rho, items=its).alpha
        out["ordinal_omega_total"] = omega_total(pc.rho, items=its).omega_total
    return out


def _nesting(scores: pd.DataFrame, structure: Structure, clusters: pd.Series | None,
             settings: ValidateSettings) -> dict[str, Any]:
    from wamkit.stats.icc import cluster_icc

    if clusters is None:
        raise UsageError("--cluster needs the cluster column")
    out: dict[str, Any] = {"cluster": settings.cluster, "subscales": {}}
    g = clusters.astype("string").to_numpy()
    for name in structure.factors:
        d = cluster_icc(scores[name].to_numpy(dtype=float), g).to_dict()
        d["note"] = ("nesting matters: design effect above 2 (analyse with cluster-robust SEs or multilevel models)"
                     if d.get("design_effect", 0) > 2 else "design effect below 2")
        out["subscales"][name] = d
    return out


# --------------------------------------------------------------------------- JSON pieces


def _efa_dict(efa, settings: ValidateSettings) -> dict:
    return {
        "n_factors": efa.n_factors, "extraction": efa.fm, "rotation": efa.rotation,
        "factor_names": list(efa.factor_names),
        "loadings": {it: efa.loadings[i].tolist() for i, it in enumerate(efa.items)},
        "communalities": dict(zip(efa.items, efa.h2.tolist())),
        "phi": efa.phi.tolist(),
        "variance": {"ss_loadings": efa.ss_loadings, "proportion": efa.proportion_var,
                     "cumulative": efa.cumulative_var},
        "fit": {"chisq": efa.chisq, "df": efa.dof, "pvalue": efa.pvalue, "rmsea": efa.rmsea,
                "rmsea_ci_lower": efa.rmsea_lower, "rmsea_ci_upper": efa.rmsea_upper, "tli": efa.tli,
                "bic": efa.bic, "rms": efa.rms},
        "eigenvalues": efa.e_values,
        "warnings": list(efa.warnings),
    }


FIT_KEYS = ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "srmr",
            "logl", "aic", "bic")


def _fit_dict(fit) -> dict:
    d = {k: getattr(fit, k) for k in FIT_KEYS}
    d["loglik"] = d.pop("logl")
    d["npar"] = fit.npar
    d["ntotal"] = fit.ntotal
    return d


def _cfa_dict(cfa, mods) -> dict:
    std = cfa.std_loadings
    out = {"estimator": "ML", "missing": cfa.missing, "n": sum(cfa.n_obs), "converged": cfa.converged,
           "fit": _fit_dict(cfa.fit),
           "std_loadings": {f: {it: float(std.loc[it, f]) for it in its} for f, its in cfa.model.factors},
           "factor_correlations": cfa.factor_correlations, "omega": cfa.omega,
           "warnings": list(cfa.warnings)}
    if mods is not None:
        out["modification_indices"] = mods
    return out


def _ordinal_cfa_dict(res) -> dict:
    """WLSMV fit in the same shape as the ML CFA: the headline indices are lavaan's scaled ones."""
    f = res.fit
    loadings = {fac: {it: float(res.std_loadings[res.items.index(it), j]) for it in its}
                for j, (fac, its) in enumerate(res.factors)}
    return {"estimator": "WLSMV", "missing": "listwise", "n": res.n_obs, "n_dropped": res.n_dropped,
            "converged": res.converged,
            "fit": {"chisq": f.chisq_scaled, "df": f.df, "pvalue": f.pvalue_scaled, "cfi": f.cfi_scaled,
                    "tli": f.tli_scaled, "rmsea": f.rmsea_scaled, "rmsea_ci_lower": f.rmsea_ci_lower_scaled,
                    "rmsea_ci_upper": f.rmsea_ci_upper_scaled, "srmr": f.srmr, "loglik": None, "aic": None,
                    "bic": None, "npar": f.npar, "ntotal": f.ntotal, "scaling_factor": f.scaling_factor,
                    "shift_parameter": f.shift,
                    "robust": {"cfi": f.cfi_robust, "tli": f.tli_robust, "rmsea": f.rmsea_robust,
                               "rmsea_ci_lower": f.rmsea_ci_lower_robust, "rmsea_ci_upper": f.rmsea_ci_upper_robust},
                    "unscaled": {"chisq": f.chisq, "pvalue": f.pvalue, "cfi": f.cfi, "tli": f.tli, "rmsea": f.rmsea}},
            "std_loadings": loadings, "factor_correlations": res.factor_cor,
            "omega": dict(res.omega), "omega_kind": "categorical (Green & Yang 2009), semTools::compRelSEM",
            "thresholds": {it: list(t) for it, t in zip(res.items, res.thresholds)}, "warnings": list(res.warnings)}


def _invariance_dict(inv, settings: ValidateSettings) -> dict:
    models = {step.level: _fit_dict(step.fit.fit) for step in inv.steps}
    comparisons = [{"level": s.level, "chisq_diff": s.chisq_diff, "df_diff": s.df_diff, "pvalue_diff": s.pvalue_diff,
                    "delta_cfi": s.delta_cfi, "delta_rmsea": s.delta_rmsea, "delta_srmr": s.delta_srmr,
                    "verdict": s.verdict} for s in inv.steps[1:]]
    return {"group": settings.group, "groups": list(inv.groups), "models": models, "comparisons": comparisons,
            "highest_level": inv.highest_level, "verdict": inv.summary, "criteria": inv.criteria,
            "cutoffs": CHEN_CUTOFFS, "warnings": list(inv.warnings)}


# --------------------------------------------------------------------------- from a file


@dataclass(frozen=True)
class ValidationInput:
    """Keyed item data ready for :func:`validate_items`, with the rows it came from."""

    items: pd.DataFrame
    structure: Structure
    scores: pd.DataFrame
    groups: pd.Series | None
    clusters: pd.Series | None
    instrument: Instrument
    table: Any
    rows_used: int
    rows_read: int


def load_validation_input(path: str, *, instrument: Instrument | None = None, model: str | None = None,
                          opts=None, where: list[tuple[str, str]] | None = None, group: str | None = None,
                          cluster: str | None = None) -> ValidationInput:
    """Read ``path`` like ``wamkit score`` does and return keyed items for the analysis.

    With ``model`` the items named in the model are read as continuous and unreversed.
    """
    from wamkit.scoring.multi import ReadOptions, read_item_table, where_mask
    from wamkit.scoring.core import compute_scores, key_items, parse_items, resolve_columns

    opts = opts or ReadOptions()
    if (instrument is None) == (model is None):
        raise UsageError("give either -i INSTRUMENT or --model 'f1 =~ a + b + c'")
    ins = instrument if instrument is not None else instrument_from_model(model)
    table = read_item_table(path, ins, opts)
    frame = table.frame
    if where:
        frame = frame[where_mask(frame, where, table.source)]
    for col, what in ((group, "--group"), (cluster, "--cluster")):
        if col is not None and col not in frame.columns:
            raise UsageError(f"{what} {col}: {table.source} has no column '{col}'")
    columns = resolve_columns(ins, column_map=opts.column_map, column_template=opts.column_template)
    parsed = parse_items(frame, ins, source=table.source, columns=columns, decimal_comma=table.decimal_comma)
    if parsed.n_invalid and opts.invalid == "error":
        from wamkit.errors import raise_problems

        raise_problems(list(parsed.problems), f"{table.source}: invalid item values", total=parsed.n_invalid)
    keyed_values = key_items(parsed.values, ins)
    keyed = pd.DataFrame(keyed_values, columns=ins.item_ids, index=frame.index)
    scores = pd.DataFrame(compute_scores(keyed_values, ins, min_answered=opts.min_answered)[0], index=frame.index)
    structure = structure_from_instrument(ins)
    if model is not None:
        structure = Structure(factors=structure.factors, totals={}, scales=structure.scales, source="model")
    return ValidationInput(items=keyed, structure=structure, scores=scores,
                           groups=frame[group] if group else None, clusters=frame[cluster] if cluster else None,
                           instrument=ins, table=table, rows_used=len(frame), rows_read=len(table.frame))


def validate_file(path: str, *, instrument: Instrument | None = None, model: str | None = None, opts=None,
                  where=None, settings: ValidateSettings = ValidateSettings(),
                  progress: Callable[[str], None] | None = None) -> tuple[ValidationReport, ValidationInput]:
    """Read, key and validate: the one call behind ``wamkit validate``."""
    vin = load_validation_input(path, instrument=instrument, model=model, opts=opts, where=where,
                                group=settings.group, cluster=settings.cluster)
    report = validate_items(vin.items, vin.structure, settings=settings, groups=vin.groups, clusters=vin.clusters,
                            scores=vin.scores, instrument_id=None if model is not None else vin.instrument.id,
                            progress=progress)
    return report, vin
