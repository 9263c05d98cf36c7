"""Reliability per subscale and total: alpha (with item analysis), omega, ordinal alpha/omega."""

from __future__ import annotations

from typing import Any

import pandas as pd

from wamkit.measurement.settings import Structure, ValidateSettings

__all__ = ["scale_reliability"]


def scale_reliability(
    block: pd.DataFrame, structure: Structure, settings: ValidateSettings, rng, n_group_factors: int = 1
) -> dict[str, Any]:
    """Alpha with item analysis (psych::alpha), omega, and with ``settings.ordinal`` ordinal alpha/omega.

    A subscale gets psych's one-factor omega total (``omega(x, nfactors = 1)``; needs 3 items). A total
    built from ``n_group_factors`` >= 2 subscales gets ``psych::omega(x, nfactors = k)``: omega hierarchical
    and omega total from the Schmid-Leiman solution, with ECV. With ``settings.bootstrap`` resamples, the
    alpha and omega intervals are seeded percentile bootstrap intervals.
    """
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
    notes: list[str] = []
    omega = _omega(R, its, n_group_factors, notes)
    st = a.item_stats
    n_used = {str(k): int(v) for k, v in st["n"].items()}
    item_out = {}
    for it in its:
        row = st.loc[it]
        entry = {
            "r_drop": row["r_drop"],
            "alpha_if_dropped": row["alpha_if_dropped"],
            "mean": row["mean"],
            "sd": row["sd"],
            "missing": row["missing_share"],
            "n": n_used[it],
        }
        if "floor_share" in st.columns:
            entry["floor"] = row["floor_share"]
            entry["ceiling"] = row["ceiling_share"]
        item_out[it] = entry
    out = {
        "alpha": a.raw_alpha,
        "alpha_ci": [a.feldt_lower, a.feldt_upper],
        "alpha_ci_method": "Feldt",
        "std_alpha": a.std_alpha,
        "g6": a.g6,
        "average_r": a.average_r,
        **omega,
        "n": a.n_obs,
        "mean": a.mean,
        "sd": a.sd,
        "items": item_out,
        "warnings": list(a.warnings) + notes,
    }
    if settings.bootstrap:
        out["alpha_boot_ci"] = [a.boot_lower, a.boot_upper]
        out["bootstrap"] = settings.bootstrap
        if out.get("omega_total") is not None:
            out.update(_omega_ci(block, its, n_group_factors, settings, rng))
    if settings.ordinal:
        from wamkit.stats.polychoric import polychoric

        pc = polychoric(block)
        out["ordinal_alpha"] = alpha_from_cor(pc.rho, items=its).alpha
        out["ordinal_omega_total"] = omega_total(pc.rho, items=its).omega_total if len(its) >= 3 else None
    return out


def _omega(R: Any, items: list[str], n_group_factors: int, notes: list[str]) -> dict[str, Any]:
    """omega_total (+ omega_hierarchical, ECV for a total over several subscales), with its kind."""
    from wamkit.stats.omega import omega_hierarchical
    from wamkit.stats.reliability import omega_total

    if len(items) < 3:
        notes.append(f"omega needs at least 3 items; {len(items)} items get alpha only")
        return {"omega_total": None}
    if n_group_factors < 2:
        return {
            "omega_total": omega_total(R, items=items).omega_total,
            "omega_kind": "psych::omega(nfactors = 1): one-factor omega total",
        }
    om = omega_hierarchical(R, n_group_factors, items=items)
    notes.extend(om.warnings)
    return {
        "omega_total": om.omega_total,
        "omega_hierarchical": om.omega_h,
        "omega_limit": om.omega_limit,
        "ecv": om.ecv,
        "omega_kind": f"psych::omega(nfactors = {n_group_factors}): Schmid-Leiman omega hierarchical and total",
    }


def _omega_ci(
    block: pd.DataFrame, items: list[str], n_group_factors: int, settings: ValidateSettings, rng: Any
) -> dict[str, Any]:
    from wamkit.stats.omega import omega_bootstrap

    boot = omega_bootstrap(
        block.to_numpy(dtype=float), n_factors=max(1, n_group_factors), items=items, n_boot=settings.bootstrap, rng=rng
    )
    out: dict[str, Any] = {"omega_boot_ci": list(boot.omega_total_ci), "omega_boot_failed": boot.n_failed}
    if n_group_factors >= 2:
        out["omega_hierarchical_boot_ci"] = list(boot.omega_h_ci)
    return out
