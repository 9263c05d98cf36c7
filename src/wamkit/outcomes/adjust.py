"""Step 7: adjusted p values (R ``p.adjust``) within declared families.

A family is the named outcomes x predictors (each predictor as rated by each rater at each wave)
of one kind of test: nothing else enters it, so naming an extra outcome is a decision the
settings show, not a side effect of the outcomes file's columns.
"""

from __future__ import annotations

import pandas as pd

from wamkit.stats.association import adjust_p

__all__ = ["KINDS", "adjust_families", "family_text"]

#: the kinds of test, each a family of its own
KINDS = (
    "Pearson correlations",
    "Spearman correlations",
    "partial correlations",
    "the predictor and interaction terms of each model type (covariate terms are not adjusted)",
    "wave comparisons",
)


def family_text(outcomes: list[str], predictors: list[str], method: str) -> str:
    """The declared families in words (``settings.adjust_family`` and the report)."""
    return (
        f"{method} within families of the {len(outcomes)} named outcome(s) ({', '.join(outcomes)}) × "
        f"{len(predictors)} predictor(s), each as rated by each rater at each wave; one family per kind of "
        f"test: {'; '.join(KINDS)}"
    )


def _adjust(frame: pd.DataFrame, mask: pd.Series | None, method: str) -> None:
    m = mask.to_numpy(dtype=bool) if mask is not None else None
    sel = frame.loc[m] if m is not None else frame
    if len(sel):
        frame.loc[sel.index, "p_adj"] = adjust_p(sel["p"].to_numpy(dtype=float), method=method)


def adjust_families(
    correlations: pd.DataFrame, partial: pd.DataFrame, models: pd.DataFrame, waves: pd.DataFrame, method: str
) -> None:
    """Fill ``p_adj`` of each frame in place, one family per kind of test (see :data:`KINDS`)."""
    for m in ("pearson", "spearman"):
        _adjust(correlations, correlations["method"] == m, method)
    _adjust(partial, None, method)
    for model in models["model"].unique() if len(models) else ():
        _adjust(models, (models["model"] == model) & (models["role"] != "covariate"), method)
    _adjust(waves, None, method)
