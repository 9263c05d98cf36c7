"""Reliability per subscale and total: alpha (with item analysis), omega, ordinal alpha/omega."""

from __future__ import annotations

from typing import Any

import pandas as pd

from wamkit.measurement.settings import Structure, ValidateSettings

__all__ = ["scale_reliability"]


def scale_reliability(block: pd.DataFrame, structure: Structure, settings: ValidateSettings, rng) -> dict[str, Any]:
    """Alpha with item analysis (psych::alpha), omega total (psych::omega, nfactors = 1; needs 3 items) and,
    with ``settings.ordinal``, ordinal alpha/omega from polychoric correlations."""
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
    notes = []
    omega = None
    if len(its) >= 3:
        omega = omega_total(R, items=its).omega_total
    else:
        notes.append(f"omega needs at least 3 items; {len(its)} items get alpha only")
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
           "std_alpha": a.std_alpha, "g6": a.g6, "average_r": a.average_r, "omega_total": omega,
           "n": a.n_obs, "mean": a.mean, "sd": a.sd, "items": item_out, "warnings": list(a.warnings) + notes}
    if settings.bootstrap:
        out["alpha_boot_ci"] = [a.boot_lower, a.boot_upper]
        out["bootstrap"] = settings.bootstrap
    if settings.ordinal:
        from wamkit.stats.polychoric import polychoric

        pc = polychoric(block)
        out["ordinal_alpha"] = alpha_from_cor(pc.rho, items=its).alpha
        out["ordinal_omega_total"] = omega_total(pc.rho, items=its).omega_total if len(its) >= 3 else None
    return out
