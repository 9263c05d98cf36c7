"""Markdown / HTML report of ``wamkit validate``: tables, a scree plot with the
parallel-analysis line and a loading heat map, as inline SVG (no plotting library)."""

from __future__ import annotations

import html
import math
from typing import Any, Sequence

import pandas as pd

from wamkit.render.html import Report, format_cell


def scree_svg(observed: Sequence[float], simulated: Sequence[float] | None, *, width: int = 560,
              height: int = 300, title: str = "eigenvalues of the reduced correlation matrix") -> str:
    """Scree plot: observed eigenvalues (dots) and the parallel-analysis line (dashed)."""
    obs = [float(v) for v in observed]
    sim = [float(v) for v in simulated] if simulated is not None else []
    k = len(obs)
    left, right, top, bottom = 48, 16, 24, 40
    pw, ph = width - left - right, height - top - bottom
    hi = max([*obs, *sim, 1.0])
    lo = min([*obs, *sim, 0.0])
    span = (hi - lo) or 1.0

    def x(i: int) -> float:
        return left + (pw * i / max(k - 1, 1))

    def y(v: float) -> float:
        return top + ph * (1 - (v - lo) / span)

    out = [f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
           f'font-family="sans-serif" font-size="11">',
           f'<text x="{left}" y="14">{html.escape(title)}</text>',
           f'<line x1="{left}" y1="{y(0):.1f}" x2="{left + pw}" y2="{y(0):.1f}" stroke="#bbb"/>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}" stroke="#333"/>']
    step = _tick_step(span)
    t = math.ceil(lo / step) * step
    while t <= hi + 1e-9:
        out.append(f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end">{t:g}</text>')
        out.append(f'<line x1="{left - 3}" y1="{y(t):.1f}" x2="{left}" y2="{y(t):.1f}" stroke="#333"/>')
        t += step
    for i in range(k):
        if k <= 30 or i % 5 == 4:
            out.append(f'<text x="{x(i):.1f}" y="{top + ph + 16}" text-anchor="middle">{i + 1}</text>')
    out.append(f'<text x="{left + pw / 2:.1f}" y="{height - 6}" text-anchor="middle">factor number</text>')
    if sim:
        pts = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(sim))
        out.append(f'<polyline points="{pts}" fill="none" stroke="#c0392b" stroke-dasharray="5,4"/>')
    pts = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(obs))
    out.append(f'<polyline points="{pts}" fill="none" stroke="#1f4e79"/>')
    out += [f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="#1f4e79"/>' for i, v in enumerate(obs)]
    lx = left + pw - 170
    out.append(f'<circle cx="{lx}" cy="{top + 6}" r="3" fill="#1f4e79"/><text x="{lx + 8}" y="{top + 10}">observed</text>')
    if sim:
        out.append(f'<line x1="{lx - 6}" y1="{top + 22}" x2="{lx + 4}" y2="{top + 22}" stroke="#c0392b" '
                   f'stroke-dasharray="5,4"/><text x="{lx + 8}" y="{top + 26}">parallel analysis (simulated)</text>')
    out.append("</svg>")
    return "".join(out)


def _tick_step(span: float) -> float:
    raw = span / 5
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for m in (1, 2, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def heatmap_svg(items: Sequence[str], factors: Sequence[str], loadings: Sequence[Sequence[float]], *,
                cell: int = 46, row_h: int = 18) -> str:
    """Loading heat map: blue for positive, red for negative, intensity = |loading|."""
    label_w = max(40, 7 * max((len(i) for i in items), default=4))
    width = label_w + cell * len(factors) + 10
    height = 24 + row_h * len(items) + 6
    out = [f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
           f'font-family="sans-serif" font-size="11">']
    for j, f in enumerate(factors):
        out.append(f'<text x="{label_w + cell * j + cell / 2:.1f}" y="16" text-anchor="middle">{html.escape(f)}</text>')
    for i, (item, row) in enumerate(zip(items, loadings)):
        yy = 24 + row_h * i
        out.append(f'<text x="{label_w - 6}" y="{yy + 13}" text-anchor="end">{html.escape(item)}</text>')
        for j, v in enumerate(row):
            a = min(1.0, abs(float(v)))
            colour = f"rgba(31,78,121,{a:.2f})" if v >= 0 else f"rgba(192,57,43,{a:.2f})"
            ink = "#fff" if a > 0.5 else "#222"
            out.append(f'<rect x="{label_w + cell * j}" y="{yy}" width="{cell - 2}" height="{row_h - 2}" fill="{colour}"/>')
            out.append(f'<text x="{label_w + cell * j + cell / 2 - 1:.1f}" y="{yy + 12}" text-anchor="middle" '
                       f'fill="{ink}">{float(v):.2f}</text>')
    out.append("</svg>")
    return "".join(out)


def render_validation(d: dict[str, Any], *, fmt: str = "html") -> str:
    """Render the JSON payload of ``wamkit validate`` (``ValidationReport.to_dict()`` + provenance)."""
    prov = d.get("provenance", {})
    name = d.get("instrument") or "model"
    rep = Report(title=f"wamkit validate: {name}", fmt=fmt)
    inputs = ", ".join(f"{i['file']} (sha256 {i['sha256'][:12]}...)" for i in prov.get("inputs", []))
    rep.paragraph(f"n = {d['n']} rows used; input {inputs}; wamkit {prov.get('wamkit_version', '')}; "
                  f"seed {d['settings']['seed']}; created {prov.get('created', '')}.")

    rep.heading("Reliability")
    rows = []
    for scale, r in d["reliability"].items():
        if "alpha" not in r:
            continue
        ci = r.get("alpha_boot_ci") or r["alpha_ci"]
        row = {"scale": scale, "n": r["n"], "alpha": r["alpha"], "ci_low": ci[0], "ci_high": ci[1],
               "std_alpha": r["std_alpha"], "G6": r["g6"], "average_r": r["average_r"], "omega": r["omega_total"]}
        if "ordinal_alpha" in r:
            row["ordinal_alpha"] = r["ordinal_alpha"]
            row["ordinal_omega"] = r["ordinal_omega_total"]
        rows.append(row)
    rep.table(pd.DataFrame(rows))
    rep.paragraph("Alpha and item statistics as R psych::alpha (pairwise correlations); CI "
                  + ("percentile bootstrap" if d["settings"]["bootstrap"] else "Feldt")
                  + "; omega total from a one-factor model per scale (psych::omega, nfactors = 1).")
    item_rows = [{"scale": scale, "item": item, **{k: v for k, v in s.items()}}
                 for scale, r in d["reliability"].items() if scale not in d["structure"]["totals"]
                 for item, s in r.get("items", {}).items()]
    if item_rows:
        rep.heading("Items", 3)
        rep.table(pd.DataFrame(item_rows))

    rep.heading("Sampling adequacy and number of factors")
    s = d["sampling"]
    nf = d["n_factors"]
    lines = [f"KMO = {format_cell(s['kmo'])}; Bartlett chi2 = {format_cell(s['bartlett']['chisq'], 2)}, "
             f"df = {s['bartlett']['df']}, p = {format_cell(s['bartlett']['p'], 4)}",
             f"MAP suggests {nf['map']} factor(s)"]
    if "parallel" in nf:
        lines.append(f"parallel analysis ({nf['iterations']} iterations, seed {d['settings']['seed']}) suggests "
                     f"{nf['parallel']} factor(s) and {nf['parallel_components']} component(s)")
        rep.bullets(lines)
        rep.svg(scree_svg(nf["observed_fa"], nf["simulated_fa"]), alt="scree plot with parallel analysis")
    else:
        rep.bullets(lines)

    if d.get("efa"):
        e = d["efa"]
        rep.heading(f"Exploratory factor analysis ({e['n_factors']} factors, {e['extraction']}, {e['rotation']})")
        f = e["fit"]
        rep.paragraph(f"chi2 = {format_cell(f['chisq'], 2)}, df = {format_cell(int(f['df']))}, RMSEA = "
                      f"{format_cell(f['rmsea'])} [{format_cell(f['rmsea_ci_lower'])}, {format_cell(f['rmsea_ci_upper'])}], "
                      f"TLI = {format_cell(f['tli'])}, BIC = {format_cell(f['bic'], 1)}.")
        items = list(e["loadings"])
        rep.svg(heatmap_svg(items, e["factor_names"], [e["loadings"][i] for i in items]), alt="loading heat map")
        phi = pd.DataFrame(e["phi"], columns=e["factor_names"])
        phi.insert(0, "factor", e["factor_names"])
        rep.heading("Factor correlations", 3)
        rep.table(phi)

    if d.get("cfa"):
        c = d["cfa"]
        f = c["fit"]
        rep.heading(f"Confirmatory factor analysis ({c['estimator']}, {c['missing']}, n = {c['n']})")
        fit_rows = [{"measure": k, "value": v} for k, v in f.items() if not isinstance(v, dict)]
        rep.table(pd.DataFrame(fit_rows))
        load_rows = [{"factor": fac, "item": it, "std_loading": v, "omega": c["omega"].get(fac)}
                     for fac, loads in c["std_loadings"].items() for it, v in loads.items()]
        rep.table(pd.DataFrame(load_rows))
        if c.get("modification_indices"):
            rep.heading("Largest modification indices", 3)
            rep.table(pd.DataFrame(c["modification_indices"]))

    if d.get("invariance"):
        inv = d["invariance"]
        rep.heading(f"Measurement invariance by {inv['group']}")
        comps = {x["level"]: x for x in inv["comparisons"]}
        rows = []
        for level, f in inv["models"].items():
            row = {"model": level, "chisq": f["chisq"], "df": f["df"], "cfi": f["cfi"], "rmsea": f["rmsea"],
                   "srmr": f["srmr"]}
            row.update({k: comps.get(level, {}).get(k) for k in ("chisq_diff", "df_diff", "pvalue_diff",
                                                                 "delta_cfi", "delta_rmsea", "delta_srmr", "verdict")})
            rows.append(row)
        rep.table(pd.DataFrame(rows))
        rep.paragraph(f"Verdict: {inv['verdict']}. Cut-offs: {inv['cutoffs']}.")

    if d.get("nesting"):
        n = d["nesting"]
        rep.heading(f"Nesting in {n['cluster']}")
        rep.table(pd.DataFrame([{"subscale": k, "icc1": v["icc1"], "icc2": v["icc2"],
                                 "design_effect": v["design_effect"], "groups": v["n_groups"], "note": v["note"]}
                                for k, v in n["subscales"].items()]))
    if d.get("warnings"):
        rep.heading("Warnings")
        rep.bullets(d["warnings"])
    return rep.render()
