"""Seeded ordinal item data with known loadings, to check that a short-form builder keeps the right items.

Model: ``F ~ N(0, Phi)`` with ``Phi`` equal correlations ``factor_cor`` between subscales; item ``j`` of subscale
``s`` is ``y* = lambda_j F_s + sqrt(1 - lambda_j^2) e`` with ``e ~ N(0, 1)``, cut at ``thresholds`` into the
categories ``1 .. len(thresholds) + 1``.  Each subscale's items are listed in a seeded random order so that the
position of an item says nothing about its loading.  ``missing`` sets that share of cells to NaN at random.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wamkit.errors import UsageError
from wamkit.instrument import Instrument, Item, Scale, Subscale

__all__ = ["SIM_LOADINGS", "SimulatedItems", "simulate_items"]

#: the loadings of the simulation check: four subscales like the WAM's (5, 5, 5 and 4 items)
SIM_LOADINGS: dict[str, tuple[float, ...]] = {
    "trust": (0.85, 0.78, 0.70, 0.50, 0.40),
    "goals": (0.80, 0.75, 0.72, 0.45, 0.35),
    "bond": (0.88, 0.80, 0.65, 0.55, 0.40),
    "reactance": (0.82, 0.76, 0.70, 0.45),
}


@dataclass(frozen=True)
class SimulatedItems:
    """Simulated answers and their truth.

    ``items``: one column per item (``<subscale>_<number>``), values 1..K or NaN; ``loadings``: the true loading
    of each item; ``instrument``: an in-memory instrument with those subscales (scale 1..K, nothing reversed).
    """

    items: pd.DataFrame
    loadings: dict[str, float]
    instrument: Instrument
    seed: int

    def best_items(self, k: int) -> dict[str, list[str]]:
        """The ``k`` items with the largest true loadings per subscale (in the instrument's order)."""
        out = {}
        for s in self.instrument.subscales:
            top = sorted(s.items, key=lambda i: -self.loadings[i])[:k]
            out[s.id] = [i for i in s.items if i in top]
        return out


def simulate_items(
    loadings: dict[str, Sequence[float]] | None = None,
    *,
    n: int = 400,
    seed: int = 1,
    thresholds: Sequence[float] = (-1.8, -0.9, 0.0, 0.9),
    factor_cor: float = 0.4,
    missing: float = 0.0,
) -> SimulatedItems:
    """Simulate ordinal answers with known loadings (module docstring); the same seed gives the same data."""
    lo = dict(SIM_LOADINGS if loadings is None else loadings)
    if not lo or any(len(v) < 2 for v in lo.values()):
        raise UsageError("loadings needs at least one subscale with two or more items")
    if any(not 0 < abs(x) < 1 for v in lo.values() for x in v):
        raise UsageError("loadings must lie strictly between -1 and 1 (and not be 0)")
    if not -1.0 / (len(lo) - 1 if len(lo) > 1 else 1) < factor_cor < 1.0:
        raise UsageError(f"factor_cor {factor_cor} does not give a positive definite factor correlation matrix")
    if not 0.0 <= missing < 1.0:
        raise UsageError(f"missing must be a share in [0, 1), got {missing}")
    tau = np.sort(np.asarray(thresholds, dtype=float))
    rng = np.random.default_rng(seed)
    subs = list(lo)
    phi = np.full((len(subs), len(subs)), factor_cor)
    np.fill_diagonal(phi, 1.0)
    F = rng.standard_normal((n, len(subs))) @ np.linalg.cholesky(phi).T
    cols: dict[str, np.ndarray] = {}
    true: dict[str, float] = {}
    members: dict[str, list[str]] = {}
    for si, s in enumerate(subs):
        lam = np.asarray(lo[s], dtype=float)
        order = rng.permutation(lam.size)
        names = [f"{s}_{j + 1}" for j in range(lam.size)]
        members[s] = names
        for j, name in enumerate(names):
            lj = lam[order[j]]
            ystar = lj * F[:, si] + np.sqrt(1.0 - lj * lj) * rng.standard_normal(n)
            cols[name] = (np.searchsorted(tau, ystar) + 1).astype(float)
            true[name] = float(lj)
    frame = pd.DataFrame(cols)
    if missing > 0:
        mask = rng.random(frame.shape) < missing
        frame = frame.mask(mask)
    K = tau.size + 1
    items = tuple(Item(id=c, column=c) for c in frame.columns)
    instrument = Instrument(
        id="shortform-sim",
        name="simulated short-form check",
        version="1",
        items=items,
        subscales=tuple(Subscale(id=s, items=tuple(members[s]), name=s) for s in subs),
        scale=Scale(min=1.0, max=float(K)),
        demonstration=True,
    )
    return SimulatedItems(items=frame, loadings=true, instrument=instrument, seed=int(seed))
