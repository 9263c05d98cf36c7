"""Factor structure steps of ``validate``: sampling adequacy, number of factors, EFA, CFA."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from wamkit.errors import DataError, UsageError
from wamkit.measurement.settings import Structure, ValidateSettings

__all__ = ["fit_or_warn", "sampling", "number_of_factors", "exploratory", "confirmatory"]


def fit_or_warn(what: str, warnings: list[str], fit: Callable[[], Any]) -> Any:
    """Fit a model; a model the data cannot support (not identified, too few cases, singular) becomes a
    warning in the report instead of losing the rest of it."""
    try:
        res = fit()
    except DataError as e:
        warnings.append(f"{what} not estimated: {e.message}")
        return None
    warnings.extend(f"{what}: {w}" for w in getattr(res, "warnings", ()))
    return res


def sampling(R: np.ndarray, n: int, items: list[str]) -> dict[str, Any]:
    from wamkit.stats.efa import bartlett, kmo

    k = kmo(R, items=items)
    b = bartlett(R, n)
    return {
        "kmo": k.overall,
        "kmo_items": dict(zip(items, np.asarray(k.per_item).tolist(), strict=False)),
        "bartlett": {"chisq": b.chisq, "df": b.df, "p": b.p_value},
        "n": n,
    }


def number_of_factors(
    X: np.ndarray, R: np.ndarray, settings: ValidateSettings, rng: np.random.Generator, step: Callable[[str], None]
) -> dict[str, Any]:
    from wamkit.stats.nfactors import map_test, parallel_analysis

    out: dict[str, Any] = {}
    if "parallel" not in settings.skip:
        step(f"parallel analysis ({settings.parallel_iter} iterations)")
        pa = parallel_analysis(X, n_iter=settings.parallel_iter, rng=rng)
        out.update(
            {
                "parallel": pa.nfact,
                "parallel_components": pa.ncomp,
                "observed_fa": pa.fa_values,
                "simulated_fa": pa.fa_sim,
                "observed_pc": pa.pc_values,
                "simulated_pc": pa.pc_sim,
                "iterations": settings.parallel_iter,
            }
        )
    mp = map_test(R)
    out["map"] = mp.n_factors
    out["map_values"] = mp.values
    return out


def exploratory(
    R: np.ndarray,
    npair: np.ndarray,
    n: int,
    cols: list[str],
    structure: Structure,
    settings: ValidateSettings,
    n_factors: dict[str, Any],
    warnings: list[str],
    step: Callable[[str], None],
) -> Any:
    from wamkit.stats.efa import fa

    if "efa" in settings.skip:
        return None
    k_f = settings.n_factors
    if k_f is None:
        k_f = (
            len(structure.factors)
            if structure.source == "instrument"
            else (n_factors.get("parallel") or n_factors["map"])
        )
    k_f = max(1, int(k_f))
    if k_f >= len(cols):
        raise UsageError(f"n_factors {k_f} needs more than {k_f} items (have {len(cols)})")
    step(f"EFA ({k_f} factors)")
    return fit_or_warn(
        "EFA",
        warnings,
        lambda: fa(R, k_f, n_obs=n, fm=settings.extraction, rotate=settings.rotation, np_obs=npair, items=cols),
    )


def confirmatory(
    data: pd.DataFrame,
    structure: Structure,
    settings: ValidateSettings,
    warnings: list[str],
    step: Callable[[str], None],
    model_text: str,
) -> tuple[Any, Any, Any]:
    """(ML CFA, its largest modification indices, WLSMV CFA) — the ones not asked for are None."""
    if "cfa" in settings.skip or not model_text:
        return None, None, None
    if settings.ordinal:
        from wamkit.stats.wlsmv import fit_wlsmv

        step("CFA (WLSMV)")
        return None, None, fit_or_warn("ordinal CFA", warnings, lambda: fit_wlsmv(data, None, model_text))
    from wamkit.stats.cfa import cfa_result, modification_indices
    from wamkit.stats.model_syntax import MeasurementModel
    from wamkit.stats.sem import fit_sem

    step("CFA (ML)")
    complete = int(data.notna().all(axis=1).sum())
    if settings.missing == "listwise" and complete < 0.95 * len(data):
        warnings.append(
            f"CFA: listwise deletion keeps {complete} of {len(data)} rows "
            f"({len(data) - complete} dropped, {1 - complete / len(data):.0%}); "
            "full-information ML (missing='fiml') uses every row"
        )
    measurement = MeasurementModel(
        factors=tuple((f, tuple(its)) for f, its in structure.factors.items() if len(its) >= 2 or structure.cfa_syntax)
    )
    cfa = fit_or_warn(
        "CFA",
        warnings,
        lambda: cfa_result(fit_sem(data, model_text, missing=settings.missing, std_lv=settings.std_lv), measurement),
    )
    mods = None
    if cfa is not None and settings.missing == "listwise":
        mods = fit_or_warn("modification indices", warnings, lambda: modification_indices(cfa, top=settings.top_mi))
    return cfa, mods, None
