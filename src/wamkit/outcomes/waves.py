"""Step 6: does a predictor relate to an outcome more strongly at one wave than at the first?

Williams' t (``psych::r.test(n, r12, r13, r23)``, :func:`wamkit.stats.association.
compare_correlations_with_outcome`) of r(outcome, x at the first wave) = r(outcome, x at a later
wave) on the keys with both waves (listwise), per rater.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wamkit.errors import DataError
from wamkit.outcomes.design import AnalysisData
from wamkit.outcomes.spec import AnalysisSpec
from wamkit.stats import association as assoc

__all__ = ["WAVE_COLUMNS", "wave_comparisons"]

WAVE_COLUMNS = (
    "predictor",
    "outcome",
    "rater",
    "wave_a",
    "wave_b",
    "r_t0",
    "r_t1",
    "r_waves",
    "statistic",
    "df",
    "p",
    "p_adj",
    "n",
    "test",
)


def _positions(ad: AnalysisData, base: np.ndarray, label: str) -> tuple[dict[str, pd.Series] | None, str | None]:
    """Row position per key at each wave (None and a warning when a key has several rows at a wave)."""
    kw = pd.Series(ad.keys, dtype=object)
    pos = {}
    assert ad.wave is not None
    for w in ad.wave_order:
        sel = np.flatnonzero(base & (ad.wave == w))
        ks = kw.iloc[sel]
        if ks.duplicated().any():
            return None, (
                f"wave comparison [{label}]: several rows per key at wave {w} "
                f"(e.g. {ks[ks.duplicated()].iloc[0]!r}); split by rater to compare waves"
            )
        pos[w] = pd.Series(sel, index=ks.to_numpy())
    return pos, None


def _compare(ad: AnalysisData, o: str, p: str, i0: np.ndarray, i1: np.ndarray) -> dict | None:
    y = ad.num[ad.outcome[o]][i0]
    x0, x1 = ad.num[p][i0], ad.num[p][i1]
    if not (np.isfinite(x0).any() and np.isfinite(x1).any()):
        return None
    cf = pd.DataFrame({"y": y, "x0": x0, "x1": x1})
    t = assoc.compare_correlations_with_outcome(cf, "y", "x0", "x1")
    rm = np.corrcoef(cf.dropna().to_numpy(dtype=float), rowvar=False)
    return {
        "r_t0": rm[0, 1],
        "r_t1": rm[0, 2],
        "r_waves": rm[1, 2],
        "statistic": t.statistic,
        "df": t.df,
        "p": t.p,
        "p_adj": np.nan,
        "n": t.n,
        "test": t.test,
    }


def wave_comparisons(spec: AnalysisSpec, ad: AnalysisData) -> tuple[list[dict], list[str]]:
    """Rows (columns :data:`WAVE_COLUMNS`) and warnings; nothing without a wave split."""
    rows: list[dict] = []
    warns: list[str] = []
    if not spec.split_wave:
        return rows, warns
    if len(ad.wave_order) < 2:
        if spec.settings.by is not None:  # asked for, not just the default split
            warns.append(f"by wave: only {len(ad.wave_order)} wave value(s) in '{spec.wave}'; no wave comparison")
        return rows, warns
    w0 = ad.wave_order[0]
    for r in ad.rater_order if spec.split_rater else (None,):
        base = np.ones(ad.total_rows, dtype=bool) if r is None or ad.rater is None else (ad.rater == r)
        label = "all rows" if r is None else f"rater={r}"
        pos, problem = _positions(ad, base, label)
        if pos is None:
            warns.append(str(problem))
            continue
        for w1 in ad.wave_order[1:]:
            common = pos[w0].index.intersection(pos[w1].index)
            if len(common) == 0:
                warns.append(f"wave comparison {w0} vs {w1} [{label}]: no key has rows at both waves")
                continue
            i0, i1 = pos[w0].loc[common].to_numpy(), pos[w1].loc[common].to_numpy()
            for o in spec.outcomes:
                yf = ad.num[ad.outcome[o]][i0]
                yf = yf[np.isfinite(yf)]
                if yf.size and yf.min() == yf.max():
                    warns.append(
                        f"wave comparison {w0} vs {w1} [{label}]: {o} is {yf[0]:g} for all keys with "
                        "both waves; not compared"
                    )
                    continue
                for p in ad.predictors:
                    try:
                        res = _compare(ad, o, p, i0, i1)
                    except DataError as e:
                        warns.append(f"wave comparison {p} with {o}, {w0} vs {w1} [{label}] not computed: {e.message}")
                        continue
                    if res is not None:
                        rows.append({"predictor": p, "outcome": o, "rater": r, "wave_a": w0, "wave_b": w1, **res})
    return rows, warns
