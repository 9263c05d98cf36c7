"""Item and test information curves of a graded model (short forms, ``wamkit shorten``) as a standalone SVG."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

from wamkit.errors import UsageError
from wamkit.render import format as nf
from wamkit.render.svg import SVG_NS

if TYPE_CHECKING:
    from wamkit.stats.irt import IRTResult

__all__ = ["information_svg"]


def information_svg(
    irt: IRTResult,
    *,
    kept: list[str] | None = None,
    theta_range: tuple[float, float] | None = None,
    lower: float = -3.0,
    upper: float = 3.0,
    width: int = 640,
    height: int = 360,
    title: str | None = None,
) -> str:
    """SVG of the items' normal-ogive information curves and the test information of the full and short form.

    Kept items are drawn solid, dropped items dashed; the full form's test information is grey, the short
    form's black; ``theta_range`` (the range the selection counted) is shaded.  Plain SVG 1.1, no scripts.
    """
    if not lower < upper or width < 200 or height < 150:
        raise UsageError("information_svg needs lower < upper, width >= 200 and height >= 150")
    keep = list(irt.items) if kept is None else list(kept)
    unknown = [k for k in keep if k not in irt.items]
    if unknown:
        raise UsageError(f"kept: unknown item(s) {', '.join(unknown)}")
    t = np.linspace(lower, upper, 121)
    info = irt.item_information(t)
    full = info.sum(axis=1)
    short = info[:, [irt.items.index(k) for k in keep]].sum(axis=1)
    ymax = float(max(full.max(), 1e-9)) * 1.08
    ml, mr, mt, mb = 52, 110, 34 if title else 14, 40
    pw, ph = width - ml - mr, height - mt - mb

    def x(v: Any) -> Any:
        return ml + (np.asarray(v) - lower) / (upper - lower) * pw

    def y(v: Any) -> Any:
        return mt + ph - np.asarray(v) / ymax * ph

    def path(vals: np.ndarray) -> str:
        return " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x(t), y(vals), strict=True))

    out = [
        (
            f'<svg xmlns="{SVG_NS}" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">'
        )
    ]
    if title:
        out.append(f'<text x="{ml}" y="20" font-size="13" font-weight="bold">{escape(title)}</text>')
    if theta_range is not None:
        a, b = max(theta_range[0], lower), min(theta_range[1], upper)
        if a < b:
            out.append(f'<rect x="{x(a):.1f}" y="{mt}" width="{x(b) - x(a):.1f}" height="{ph}" fill="#eef3fb"/>')
    out.append(f'<rect x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="none" stroke="#888"/>')
    for tick in range(int(np.ceil(lower)), int(np.floor(upper)) + 1):
        out.append(f'<text x="{x(tick):.1f}" y="{mt + ph + 14}" text-anchor="middle">{nf.integer(tick)}</text>')
    for frac in (0.0, 0.5, 1.0):
        v = ymax / 1.08 * frac
        out.append(f'<text x="{ml - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{nf.num(v, 2)}</text>')
    out.append(f'<text x="{ml + pw / 2:.1f}" y="{height - 8}" text-anchor="middle">trait (theta, SD units)</text>')
    out.append(
        f'<text x="14" y="{mt + ph / 2:.1f}" transform="rotate(-90 14 {mt + ph / 2:.1f})" '
        f'text-anchor="middle">information</text>'
    )
    palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
    for j, it in enumerate(irt.items):
        dash = "" if it in keep else ' stroke-dasharray="4 3"'
        col = palette[j % len(palette)]
        out.append(f'<polyline fill="none" stroke="{col}" stroke-width="1.2"{dash} points="{path(info[:, j])}"/>')
        out.append(
            f'<text x="{ml + pw + 8}" y="{mt + 12 + 14 * j}" fill="{col}">{escape(it)}'
            f"{'' if it in keep else ' (dropped)'}</text>"
        )
    out.append(f'<polyline fill="none" stroke="#999" stroke-width="2.2" points="{path(full)}"/>')
    out.append(f'<polyline fill="none" stroke="#000" stroke-width="2.2" points="{path(short)}"/>')
    n = len(irt.items)
    out.append(f'<text x="{ml + pw + 8}" y="{mt + 16 + 14 * n}" fill="#999">full test</text>')
    out.append(f'<text x="{ml + pw + 8}" y="{mt + 30 + 14 * n}">short test</text>')
    out.append("</svg>")
    return "\n".join(out)
