"""The document of a ``validate`` report (terminal, Markdown and HTML from one builder), with a scree plot
(parallel-analysis line) and a loading heat map as inline SVG."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

from wamkit.render import format as nf
from wamkit.render.document import Column, Document

__all__ = ["heatmap_svg", "scree_svg", "validation_document"]


def scree_svg(
    observed: Sequence[float],
    simulated: Sequence[float] | None,
    *,
    width: int = 560,
    height: int = 300,
    title: str = "eigenvalues of the reduced correlation matrix",
) -> str:
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

    out = [
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'font-family="sans-serif" font-size="11">',
        f'<text x="{left}" y="14">{html.escape(title)}</text>',
        f'<line x1="{left}" y1="{y(0):.1f}" x2="{left + pw}" y2="{y(0):.1f}" stroke="#bbb"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}" stroke="#333"/>',
    ]
    step = tick_step(span)
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
    out.append(
        f'<circle cx="{lx}" cy="{top + 6}" r="3" fill="#1f4e79"/><text x="{lx + 8}" y="{top + 10}">observed</text>'
    )
    if sim:
        out.append(
            f'<line x1="{lx - 6}" y1="{top + 22}" x2="{lx + 4}" y2="{top + 22}" stroke="#c0392b" '
            f'stroke-dasharray="5,4"/><text x="{lx + 8}" y="{top + 26}">parallel analysis (simulated)</text>'
        )
    out.append("</svg>")
    return "".join(out)


def tick_step(span: float) -> float:
    raw = span / 5
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for m in (1, 2, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def heatmap_svg(
    items: Sequence[str],
    factors: Sequence[str],
    loadings: Sequence[Sequence[float]],
    *,
    cell: int = 46,
    row_h: int = 18,
) -> str:
    """Loading heat map: blue for positive, red for negative, intensity = |loading|."""
    label_w = max(40, 7 * max((len(i) for i in items), default=4))
    width = label_w + cell * len(factors) + 10
    height = 24 + row_h * len(items) + 6
    out = [
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'font-family="sans-serif" font-size="11">'
    ]
    for j, f in enumerate(factors):
        out.append(f'<text x="{label_w + cell * j + cell / 2:.1f}" y="16" text-anchor="middle">{html.escape(f)}</text>')
    for i, (item, row) in enumerate(zip(items, loadings, strict=False)):
        yy = 24 + row_h * i
        out.append(f'<text x="{label_w - 6}" y="{yy + 13}" text-anchor="end">{html.escape(item)}</text>')
        for j, v in enumerate(row):
            a = min(1.0, abs(float(v)))
            colour = f"rgba(31,78,121,{a:.2f})" if v >= 0 else f"rgba(192,57,43,{a:.2f})"
            ink = "#fff" if a > 0.5 else "#222"
            out.append(
                f'<rect x="{label_w + cell * j}" y="{yy}" width="{cell - 2}" height="{row_h - 2}" fill="{colour}"/>'
            )
            out.append(
                f'<text x="{label_w + cell * j + cell / 2 - 1:.1f}" y="{yy + 12}" text-anchor="middle" '
                f'fill="{ink}">{nf.fixed(v, 2)}</text>'
            )
    out.append("</svg>")
    return "".join(out)


FIT_COLUMNS = (
    Column("model", kind="text"),
    Column("chisq", "chi2", digits=2),
    Column("df", kind="int"),
    Column("cfi", "CFI"),
    Column("rmsea", "RMSEA"),
    Column("srmr", "SRMR"),
    Column("chisq_diff", "d chi2", digits=2),
    Column("df_diff", "d df", "int"),
    Column("pvalue_diff", "p", "p"),
    Column("delta_cfi", "dCFI", "signed", digits=3),  # changes in fit: fixed decimals, never 4.46e-04
    Column("delta_rmsea", "dRMSEA", "signed", digits=3),
    Column("delta_srmr", "dSRMR", "signed", digits=3),
    Column("verdict", kind="text"),
)


def _reliability(doc: Document, d: dict[str, Any]) -> None:
    boot = bool(d["settings"]["bootstrap"])
    rows = []
    for scale, r in d["reliability"].items():
        ci = r.get("alpha_boot_ci") or r.get("alpha_ci") or [None, None]
        rows.append(
            {
                "scale": scale,
                "n": r.get("n"),
                "alpha": r.get("alpha"),
                "lo": ci[0],
                "hi": ci[1],
                "std_alpha": r.get("std_alpha"),
                "g6": r.get("g6"),
                "average_r": r.get("average_r"),
                "omega": r.get("omega_total"),
                "omega_h": r.get("omega_hierarchical"),
                "ordinal_alpha": r.get("ordinal_alpha"),
                "ordinal_omega": r.get("ordinal_omega_total"),
            }
        )
    cols = [
        Column("scale", kind="text"),
        Column("n", kind="int"),
        Column("alpha", digits=3),
        Column(("lo", "hi"), "95% CI (" + ("bootstrap" if boot else "Feldt") + ")", digits=3),
        Column("std_alpha", "std alpha"),
        Column("g6", "G6"),
        Column("average_r", "avg r"),
        Column("omega", "omega total"),
        Column("omega_h", "omega h"),
    ]
    if d["settings"]["ordinal"]:
        cols += [Column("ordinal_alpha", "ordinal alpha"), Column("ordinal_omega", "ordinal omega")]
    doc.heading("Reliability")
    doc.table(
        rows,
        cols,
        note="alpha and item statistics as psych::alpha (pairwise correlations); omega total "
        "from a one-factor model per subscale (psych::omega, nfactors = 1); for a total over "
        "several subscales omega hierarchical and total from the Schmid-Leiman solution "
        "(psych::omega, nfactors = number of subscales)",
    )
    items = [
        {"scale": scale, "item": item, **s}
        for scale, r in d["reliability"].items()
        if scale not in d["structure"]["totals"]
        for item, s in r.get("items", {}).items()
    ]
    doc.table(
        items,
        [
            Column("scale", kind="text"),
            Column("item", kind="text"),
            Column("n", kind="int"),
            Column("mean"),
            Column("sd"),
            Column("missing", kind="pct"),
            Column("r_drop", "r.drop"),
            Column("alpha_if_dropped", "alpha if dropped"),
        ],
        title="items",
    )


def _factors(doc: Document, d: dict[str, Any]) -> None:
    s, nf_ = d["sampling"], d["n_factors"]
    doc.heading("Sampling adequacy and number of factors")
    lines = [
        f"KMO = {nf.num(s['kmo'])}; Bartlett chi2 = {nf.num(s['bartlett']['chisq'], 2)}, "
        f"df = {nf.integer(s['bartlett']['df'])}, p = {nf.p_value(s['bartlett']['p'])}",
        f"MAP suggests {nf_['map']} factor(s)",
    ]
    if "parallel" in nf_:
        lines.append(
            f"parallel analysis ({nf_['iterations']} iterations, seed {d['settings']['seed']}) suggests "
            f"{nf_['parallel']} factor(s) and {nf_['parallel_components']} component(s)"
        )
    doc.bullets(lines)
    if "parallel" in nf_:
        doc.figure(scree_svg(nf_["observed_fa"], nf_["simulated_fa"]), "scree plot with parallel analysis")
    e = d.get("efa")
    if e:
        f = e["fit"]
        doc.heading(f"Exploratory factor analysis ({e['n_factors']} factors, {e['extraction']}, {e['rotation']})")
        doc.paragraph(
            f"chi2 = {nf.num(f['chisq'], 2)}, df = {nf.integer(f['df'])}, RMSEA = {nf.num(f['rmsea'])} "
            f"{nf.ci(f['rmsea_ci_lower'], f['rmsea_ci_upper'], 3)}, TLI = {nf.num(f['tli'])}, "
            f"BIC = {nf.num(f['bic'], 1)}"
        )
        items = list(e["loadings"])
        doc.table(
            [
                {
                    "item": it,
                    **{fac: v for fac, v in zip(e["factor_names"], e["loadings"][it], strict=False)},
                    "h2": e["communalities"][it],
                }
                for it in items
            ],
            [Column("item", kind="text"), *[Column(f, digits=2) for f in e["factor_names"]], Column("h2", digits=2)],
            title="loadings",
        )
        doc.figure(heatmap_svg(items, e["factor_names"], [e["loadings"][i] for i in items]), "loading heat map")


def _cfa(doc: Document, d: dict[str, Any]) -> None:
    c = d.get("cfa")
    if not c:
        return
    f = c["fit"]
    scaled = " (scaled)" if c["estimator"] == "WLSMV" else ""
    doc.heading(f"Confirmatory factor analysis ({c['estimator']}, {c['missing']}, n = {c['n']})")
    doc.paragraph(
        f"chi2{scaled} = {nf.num(f['chisq'], 2)}, df = {nf.integer(f['df'])}, p = {nf.p_value(f['pvalue'])}, "
        f"CFI = {nf.num(f['cfi'])}, TLI = {nf.num(f['tli'])}, RMSEA = {nf.num(f['rmsea'])} "
        f"{nf.ci(f['rmsea_ci_lower'], f['rmsea_ci_upper'], 3)}, SRMR = {nf.num(f['srmr'])}"
        + (f", AIC = {nf.num(f['aic'], 1)}, BIC = {nf.num(f['bic'], 1)}" if f.get("aic") is not None else "")
        + (f"; converged in {c['iterations']} iterations" if c.get("iterations") is not None else "")
    )
    doc.table(
        [
            {"factor": fac, "item": it, "loading": v, "omega": c["omega"].get(fac)}
            for fac, loads in c["std_loadings"].items()
            for it, v in loads.items()
        ],
        [
            Column("factor", kind="text"),
            Column("item", kind="text"),
            Column("loading", "std loading", "r"),
            Column("omega", "omega (factor)"),
        ],
        title="standardised loadings",
    )
    if c.get("modification_indices"):
        doc.table(
            c["modification_indices"],
            [
                Column("lhs", kind="text"),
                Column("op", kind="text"),
                Column("rhs", kind="text"),
                Column("mi", "MI", digits=2),
                Column("epc", "EPC"),
            ],
            title="largest modification indices",
        )


def _invariance(doc: Document, inv: dict[str, Any] | None, title: str) -> None:
    if not inv:
        return
    doc.heading(title)
    comps = {x["level"]: x for x in inv["comparisons"]}
    rows = [{"model": level, **f, **comps.get(level, {})} for level, f in inv["models"].items()]
    doc.table(rows, FIT_COLUMNS)
    doc.paragraph(
        f"verdict: {inv['verdict']} ({inv.get('cutoffs', '')})"
        + (f"; {inv['fit_note']}" if inv.get("fit_note") else "")
    )
    partial = inv.get("partial") or []
    if partial:
        doc.table(
            partial,
            [
                Column("level", kind="text"),
                Column("parameter", kind="text"),
                Column("chisq", "score chi2", digits=2),
                Column("df", kind="int"),
                Column("pvalue", "p", "p"),
            ],
            title="released constraints (partial invariance), in order",
        )
    for w in inv.get("warnings", []):
        doc.note(w, "warning")


def _nesting(doc: Document, n: dict[str, Any] | None) -> None:
    if not n:
        return
    doc.heading(f"Nesting in {n['cluster']} ({n.get('unit', '')})")
    rows = []
    for wave, w in n.get("waves", {}).items():
        cpo = w["clients_per_officer"]
        for sub, v in w["subscales"].items():
            rows.append(
                {
                    "wave": wave,
                    "subscale": sub,
                    **v,
                    "clients": w["clients"],
                    "officers": w["officers"],
                    "cpo": f"{nf.num(cpo['mean'], 1)} ({cpo['min']}-{cpo['max']})",
                }
            )
    doc.table(
        rows,
        [
            Column("wave", kind="text"),
            Column("subscale", kind="text"),
            Column("icc1", "ICC(1)"),
            Column("icc2", "ICC(2)"),
            Column("design_effect", "design effect", digits=2),
            Column("clients", kind="int"),
            Column("officers", kind="int"),
            Column("cpo", "clients per officer", "text"),
            Column("note", kind="text"),
        ],
    )
    for wave, w in n.get("waves", {}).items():
        if w.get("blank_officer"):
            doc.note(f"{wave}: {w['blank_officer']} clients with a blank {n['cluster']} left out of the ICCs")


def validation_document(report: Any) -> Document:
    d = report.to_dict()
    name = d.get("instrument") or "model"
    doc = Document(title=f"validate: {name}", subtitle=f"n = {d['n']} rows; seed {d['settings']['seed']}")
    _reliability(doc, d)
    _factors(doc, d)
    _cfa(doc, d)
    _invariance(doc, d.get("invariance"), f"Measurement invariance by {(d.get('invariance') or {}).get('group')}")
    li = d.get("longitudinal_invariance")
    _invariance(doc, li, f"Longitudinal invariance over {', '.join((li or {}).get('groups') or [])}")
    _invariance(doc, d.get("dyadic_invariance"), "Invariance across roles within dyads")
    _nesting(doc, d.get("nesting"))
    if d.get("warnings"):
        doc.heading("Warnings")
        doc.warnings(d["warnings"])
    return doc
