"""Shared helpers of the hand-written inline SVG figures (no plotting library)."""

from __future__ import annotations

import math

__all__ = ["SVG_NS", "nice_ticks"]

SVG_NS = "http" + "://www.w3.org/2000/svg"


def nice_ticks(lo: float, hi: float, log: bool) -> list[float]:
    if log:
        cands = [0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 0.67, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 10, 20, 50, 100]
        ticks = [t for t in cands if lo <= t <= hi]
        if len(ticks) > 7:
            ticks = ticks[:: math.ceil(len(ticks) / 7)]
        return ticks or [lo, hi]
    span = hi - lo
    step = 10 ** math.floor(math.log10(span / 5)) if span > 0 else 1
    for m in (1, 2, 2.5, 5, 10):
        if span / (step * m) <= 6:
            step *= m
            break
    start = math.ceil(lo / step) * step
    out: list[float] = []
    t = start
    while t <= hi + 1e-12:
        out.append(round(t, 10))
        t += step
    return out
