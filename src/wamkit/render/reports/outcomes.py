"""Document for ``wamkit outcomes``: compact APA-style tables, one screen wide.

Per outcome one correlation table (predictors x rater-and-wave columns: r with its CI, adjusted p;
n in the column header) and one model table (estimate with CI and adjusted p, the estimate named
-- OR, RR, HR or b -- and its unit stated); a wave-comparison table; a response-surface table
with a heat map per significant surface; the settings in a short paragraph and the warnings as
notes. Everything else (Spearman correlations, covariate terms, unadjusted p) is in the CSV/JSON.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from wamkit.render import format as nf
from wamkit.render.document import Column, Document, Table
from wamkit.render.svg import nice_ticks

__all__ = ["correlation_table", "model_table", "outcomes_document", "surface_panels", "surface_table", "wave_table"]

MODEL_NAMES = {
    "logistic": "Logistic",
    "poisson": "Poisson",
    "negative_binomial": "Neg. binomial",
    "ols": "Linear",
    "cox": "Cox",
}
NBSP = "\u00a0"
ESTIMATES = {"logistic": "OR", "poisson": "RR", "negative_binomial": "RR", "ols": "b", "cox": "HR"}


def _who(rater: Any, wave: Any) -> str:
    parts = [str(v) for v in (rater, wave) if v is not None and not pd.isna(v)]
    return " ".join(parts) if parts else "all rows"


def _range(values: Sequence[Any], digits: int = 0) -> str:
    """``400`` or ``394–400`` (missing values ignored; empty when none)."""
    vals = [f for f in (nf.as_float(v) for v in values) if f is not None]
    if not vals:
        return ""
    lo, hi = nf.num(min(vals), digits), nf.num(max(vals), digits)
    return lo if lo == hi else f"{lo}–{hi}"


def _estimate(est: Any, lo: Any, hi: Any, kind: str = "num") -> str:
    if nf.as_float(est) is None:
        return nf.MISSING
    digits = 2
    return f"{nf.fmt(est, kind, digits)} {nf.ci(lo, hi, digits, kind)}"


def _splits(frame: pd.DataFrame, result: Any) -> list[tuple[Any, Any]]:
    raters = list(result.settings.get("rater_values") or []) or [None]
    waves = list(result.settings.get("waves") or []) or [None]
    seen = set(zip(frame["rater"], frame["wave"], strict=True))
    order = [(r, w) for r in raters for w in waves if (r, w) in seen]
    return order + [k for k in dict.fromkeys(zip(frame["rater"], frame["wave"], strict=True)) if k not in order]


def _same(a: Any, b: Any) -> bool:
    return a == b or (a is None and b is None)


def _grid(
    frame: pd.DataFrame,
    result: Any,
    rows: Sequence[tuple[str, ...]],
    key: Any,
    cell: Any,
    first: Sequence[Column],
    title: str,
    note: str,
    footer: Sequence[tuple[str, str]] = (("n", "n"),),
) -> Table:
    """One row per ``rows`` entry and two columns (estimate, adjusted p) per rater x wave split; ``footer``
    rows (label, column) give the range of a column per split (n, events, landmark)."""
    splits = _splits(frame, result)
    records: list[dict[str, Any]] = [{f"c{i}": v for i, v in enumerate(r)} for r in rows]
    feet: list[dict[str, Any]] = [{**{str(c.key): "" for c in first}, "c0": label} for label, _ in footer]
    cols = list(first)
    index = {r: i for i, r in enumerate(rows)}
    for j, (rater, wave) in enumerate(splits):
        sub = frame[
            frame["rater"].map(lambda v, r=rater: _same(v, r)) & frame["wave"].map(lambda v, w=wave: _same(v, w))
        ]
        for rec in sub.to_dict(orient="records"):
            i = index.get(key(rec))
            if i is not None:
                est, p = cell(rec)
                records[i][f"e{j}"], records[i][f"p{j}"] = est, nf.p_value(p)
        for f, (_, column) in zip(feet, footer, strict=True):
            f[f"e{j}"], f[f"p{j}"] = _range(sub[column].tolist()) or nf.MISSING, ""
        cols += [Column(f"e{j}", _who(rater, wave)), Column(f"p{j}", "p (adj.)")]
    feet = [f for f in feet if any(v not in (nf.MISSING, "", "0") for k, v in f.items() if k.startswith("e"))]
    return Table(records=tuple(records + feet), columns=tuple(cols), title=title, note=note)


def correlation_table(result: Any, outcome: str, frame: pd.DataFrame, title: str, note: str) -> Table:
    """Predictors x (rater, wave): r [CI] and adjusted p (Pearson; point-biserial for a binary outcome); n."""
    sub = frame[frame["outcome"] == outcome]
    preds = list(dict.fromkeys(sub["predictor"]))
    return _grid(
        sub,
        result,
        [(p,) for p in preds],
        lambda r: (r["predictor"],),
        lambda r: (_estimate(r["r"], r["ci_low"], r["ci_high"], "r"), r["p_adj"]),
        [Column("c0", "Predictor", "text")],
        title,
        note,
    )


def _model_label(rec: dict) -> tuple[str, str]:
    name = f"{MODEL_NAMES[rec['model']]} {ESTIMATES[rec['model']]}".replace(" ", NBSP)
    term = rec["term"]
    if rec["role"] == "interaction":
        term = term.replace(":", " × ") + " (interaction)"
    return name, term


def model_table(result: Any, outcome: str, frame: pd.DataFrame, title: str, note: str) -> Table:
    """(model, term) x (rater, wave): estimate [CI] and adjusted p of the rows of ``frame`` for ``outcome``
    (covariate terms and the main effects of the interaction model left out); n, events, landmark."""
    sub = frame[(frame["outcome"] == outcome) & (frame["role"] != "covariate")]
    sub = sub[~((sub["role"] == "predictor") & sub["predictor"].str.contains(":", regex=False))]
    sub = sub.assign(wave=[("all waves" if tv else w) for tv, w in zip(sub["time_varying"], sub["wave"], strict=True)])
    models = list(result.settings["models"].get(outcome, []))
    terms = list(result.settings["predictors"])
    labels = {
        _model_label(r): (
            models.index(r["model"]) if r["model"] in models else 99,
            terms.index(r["term"]) if r["term"] in terms else 99,
        )
        for r in sub.to_dict(orient="records")
    }
    rows = sorted(labels, key=lambda k: labels[k])
    n_label = "n (intervals)" if sub["time_varying"].astype(bool).any() else "n"
    footer = (
        [(n_label, "n")]
        + ([("events", "events")] if set(sub["model"]) & {"logistic", "cox"} else [])
        + ([("landmark (days)", "landmark_days")] if "cox" in set(sub["model"]) else [])
    )
    return _grid(
        sub,
        result,
        rows,
        _model_label,
        lambda r: (_estimate(r["estimate"], r["ci_low"], r["ci_high"]), r["p_adj"]),
        [Column("c0", "Model", "text"), Column("c1", "Predictor", "text")],
        title,
        note,
        footer,
    )


def wave_table(result: Any) -> Table:
    w = result.wave_comparisons
    return Table.from_frame(
        w,
        [
            Column("outcome", "Outcome", "text"),
            Column("predictor", "Predictor", "text"),
            Column("rater", "Rater", "text"),
            Column("wave_a", "Wave", "text"),
            Column("r_t0", "r", "r"),
            Column("wave_b", "vs", "text"),
            Column("r_t1", "r", "r"),
            Column("statistic", "t", "num", 2),
            Column("df", "df", "int"),
            Column("p_adj", "p (adj.)", "p"),
            Column("n", "n", "int"),
        ],
        title="Wave comparison: Williams' t (psych::r.test) on the keys rated at both waves",
        note="t > 0: the correlation at the first wave is larger (more positive) than at the later wave.",
    )


def _surface_cell(e: dict) -> str:
    if nf.as_float(e.get("estimate")) is None:
        return nf.MISSING
    return f"{nf.num(e['estimate'], 2)} ({nf.p_value(e['pvalue'])})"


def surface_table(result: Any) -> Table:
    recs = []
    for s in result.response_surfaces:
        d = s.to_dict()
        t = d["congruence_test"]
        rec = {
            "outcome": s.outcome,
            "model": MODEL_NAMES[d["model"]],
            "subscale": s.subscale,
            "wave": s.wave,
            "n": d["n"],
            **{k: _surface_cell(v) for k, v in d["surface"].items()},
            "test": f"{t['method']} = {nf.num(t['statistic'], 2)} ({nf.p_value(t['pvalue'])})",
        }
        recs.append(rec)
    cols = [
        Column("outcome", "Outcome", "text"),
        Column("model", "Model", "text"),
        Column("subscale", "Score", "text"),
        Column("wave", "Wave", "text"),
        Column("n", "n", "int"),
    ] + [Column(a) for a in ("a1", "a2", "a3", "a4", "a5")]
    cols.append(Column("test", "Congruence test"))
    return Table(
        records=tuple(recs),
        columns=tuple(cols),
        title="Response surfaces: estimate (p) on the link scale",
        note="a1, a2: slope and curvature along the line of congruence (client = professional); a3, a4: "
        "along the line of incongruence; a5: asymmetry. Congruence test: the full polynomial against "
        "the squared-difference model (4 df). Not adjusted for multiplicity.",
    )


def _colour(t: float) -> str:
    """Light yellow (low) to dark blue (high)."""
    lo, hi = np.array([255, 247, 188]), np.array([8, 64, 129])
    c = (lo + (hi - lo) * min(max(t, 0.0), 1.0)).round().astype(int)
    return f"rgb({c[0]},{c[1]},{c[2]})"


def _panel(entry: Any, size: int) -> tuple[list[str], int, int]:
    """SVG elements of one surface panel (heat map, congruence lines, axes, colour key) and its size."""
    g = entry.grid
    xs, ys = np.unique(g["x"].to_numpy()), np.unique(g["y"].to_numpy())
    z = g["z"].to_numpy(dtype=float).reshape(len(xs), len(ys))
    left, top, legend = 44, 22, 64
    w = h = size
    zmin, zmax = float(np.nanmin(z)), float(np.nanmax(z))
    span = zmax - zmin or 1.0
    cw, ch = w / len(xs), h / len(ys)
    esc = html.escape
    title = entry.subscale + (f" at {entry.wave}" if entry.wave else "")
    out = [f'<text x="{left + w / 2:.1f}" y="14" text-anchor="middle" font-weight="bold">{esc(title)}</text>']
    for i in range(len(xs)):
        for j in range(len(ys)):
            out.append(
                f'<rect x="{left + i * cw:.1f}" y="{top + h - (j + 1) * ch:.1f}" width="{cw + 0.3:.1f}" '
                f'height="{ch + 0.3:.1f}" fill="{_colour((z[i, j] - zmin) / span)}"/>'
            )
    lo, hi = float(xs[0]), float(xs[-1])

    def px(v: float) -> float:
        return left + (v - lo) / (hi - lo) * w

    def py(v: float) -> float:
        return top + h - (v - lo) / (hi - lo) * h

    c = entry.result.center
    a, b = max(lo, 2 * c - hi), min(hi, 2 * c - lo)
    out.append(
        f'<line x1="{px(lo):.1f}" y1="{py(lo):.1f}" x2="{px(hi):.1f}" y2="{py(hi):.1f}" stroke="#000" '
        'stroke-width="1.5"/>'
    )
    out.append(
        f'<line x1="{px(a):.1f}" y1="{py(2 * c - a):.1f}" x2="{px(b):.1f}" y2="{py(2 * c - b):.1f}" '
        'stroke="#000" stroke-width="1.5" stroke-dasharray="5 4"/>'
    )
    for t in nice_ticks(lo, hi, False):
        out.append(f'<text x="{px(t):.1f}" y="{top + h + 14}" text-anchor="middle">{esc(nf.num(t, 1))}</text>')
        out.append(f'<text x="{left - 5}" y="{py(t) + 4:.1f}" text-anchor="end">{esc(nf.num(t, 1))}</text>')
    out.append(f'<text x="{left + w / 2:.1f}" y="{top + h + 30}" text-anchor="middle">{esc(entry.x_rater)}</text>')
    out.append(
        f'<text x="10" y="{top + h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 10 {top + h / 2:.1f})">{esc(entry.y_rater)}</text>'
    )
    for k in range(11):
        out.append(
            f'<rect x="{left + w + 10}" y="{top + h - (k + 1) * h / 11:.1f}" width="12" '
            f'height="{h / 11 + 0.3:.1f}" fill="{_colour(k / 10)}"/>'
        )
    out.append(f'<text x="{left + w + 26}" y="{top + h}">{esc(nf.num(zmin, 2))}</text>')
    out.append(f'<text x="{left + w + 26}" y="{top + 10}">{esc(nf.num(zmax, 2))}</text>')
    return out, left + w + legend, top + h + 40


def surface_panels(entries: Sequence[Any], per_row: int = 3, size: int = 220) -> str:
    """One SVG with a heat-map panel per fitted surface (response scale; x: the first rater, y: the
    second), the line of congruence solid and the line of incongruence dashed."""
    parts: list[str] = []
    width = height = 0
    for k, e in enumerate(entries):
        elems, w, h = _panel(e, size)
        x, y = (k % per_row) * w, (k // per_row) * h
        parts.append(f'<g transform="translate({x},{y})">{"".join(elems)}</g>')
        width, height = max(width, x + w), max(height, y + h)
    return (
        f'<svg role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="sans-serif" font-size="11">{"".join(parts)}</svg>'
    )


RESPONSE = {
    "logistic": "probability",
    "poisson": "expected count",
    "negative_binomial": "expected count",
    "ols": "predicted value",
    "cox": "hazard ratio",
}


def _outcome_text(name: str, kind: str, settings: dict) -> str:
    ev = settings["events"].get(name)
    models = settings["models"].get(name, [])
    if ev is not None and models == ["cox"]:
        origin = f" from {ev['origin_wave']}" if ev.get("origin_wave") else ""
        return f"{name} (time to event in {ev['time']}, {ev['unit']}{origin})"
    return f"{name} ({kind})"


def settings_paragraph(result: Any) -> str:
    """The analysis in a few sentences: data, outcomes, predictors, adjustment, inference."""
    s, j = result.settings, result.join
    level = nf.percent(s["ci_level"], 0)
    parts = [
        (
            f"{j['data_rows_joined']} of {j['data_rows']} data rows joined to {j['outcome_rows_joined']} of "
            f"{j['outcome_rows']} outcome rows on {', '.join(j['on'])} ({result.n_keys} keys)."
        ),
        "Outcomes: " + ", ".join(_outcome_text(k, v, s) for k, v in s["outcomes"].items()) + ".",
        f"Predictors: {', '.join(s['predictors'])}"
        + (f", by rater ({', '.join(s['rater_values'])})" if s.get("rater_values") else "")
        + (f" and wave ({', '.join(s['waves'])})" if s.get("waves") else "")
        + ".",
    ]
    if s["covariates"]:
        parts.append(f"Covariates (partial correlations, every model): {', '.join(s['covariates'])}.")
    if s["officer"]:
        how = "influence-function SE, as lavaan MLR" if "influence" in s["correlation_inference"] else "vcovCL"
        parts.append(
            f"Clients are nested in {s['officer']}s: model SEs and correlation CIs are cluster-robust by "
            f"{s['officer']} ({how}); partial correlations and wave comparisons are not."
        )
    n_out, n_pred = len(s["outcomes"]), len(s["predictors"])
    parts.append(
        f"Estimates per {s['estimates_per']}, with {level} CIs. p values adjusted ({s['adjust']}) within "
        f"families of the {n_out} named outcome{'s' if n_out > 1 else ''} × {n_pred} predictors at each "
        "rater and wave, one family per kind of test."
    )
    if s.get("wave_months") and any(s["events"]):
        parts.append(
            "Cox models of ratings at a later wave start at that wave (landmark), leaving out keys with "
            "the event or censoring before it."
        )
    return " ".join(parts)


def _correlation_section(doc: Document, result: Any, number: int) -> int:
    c = result.correlations
    c = c[c["method"] == "pearson"]
    inference = "cluster-robust" if result.settings["officer"] else "cor.test"
    note = (
        f"r with {nf.percent(result.settings['ci_level'], 0)} CI ({inference}); p adjusted within the family "
        "(settings); Spearman correlations and unadjusted p in the CSV/JSON."
    )
    if not len(c):
        return number
    doc.heading("Correlations (Pearson; point-biserial for a binary outcome)")
    for o in result.settings["outcomes"]:
        for frame, what in _parts(result, c):
            if len(frame[frame["outcome"] == o]):
                number += 1
                doc.table(correlation_table(result, o, frame, f"Table {number}. Alliance and {o}{what}", note))
    p = result.partial_correlations
    covs = ", ".join(result.settings["covariates"])
    for o in result.settings["outcomes"] if len(p) else ():
        for frame, what in _parts(result, p):
            if len(frame[frame["outcome"] == o]):
                number += 1
                doc.table(
                    correlation_table(
                        result,
                        o,
                        frame,
                        f"Table {number}. Partial correlations with {o}{what}, controlling for {covs}",
                        "Partial r (psych::partial.r) with Fisher-z CI; p adjusted within the family.",
                    )
                )
    return number


RATIOS = {"OR": "odds ratio", "RR": "rate ratio", "HR": "hazard ratio", "b": "unstandardised coefficient"}


def _model_note(result: Any, outcome: str) -> str:
    s = result.settings
    names = dict.fromkeys(ESTIMATES[m] for m in s["models"][outcome])
    ratios = ", ".join(f"{k} = {RATIOS[k]}" for k in names)
    level = nf.percent(s["ci_level"], 0)
    parts = [
        f"{ratios} per {s['estimates_per']}, with {level} CI; p adjusted within the family.",
        "All predictors in one model." if s["joint"] else "One model per predictor.",
    ]
    if s["covariates"]:
        parts.append(f"Adjusted for {', '.join(s['covariates'])}.")
    if s["officer"]:
        parts.append(f"Cluster-robust SEs by {s['officer']}.")
    if s["interaction"]:
        parts.append(f"Interaction: {s['interaction_centering']}.")
    return " ".join(parts)


def _parts(result: Any, frame: pd.DataFrame) -> list[tuple[pd.DataFrame, str]]:
    """Rows for separate tables: the raters' ratings, the client - professional differences and the
    time-varying models."""
    disc = result.settings.get("discrepancy")
    label = disc.replace(" ", "") if disc else None
    tv = frame["time_varying"].astype(bool) if "time_varying" in frame else pd.Series(False, index=frame.index)
    is_disc = frame["rater"] == label if label else pd.Series(False, index=frame.index)
    return [
        (frame[~tv & ~is_disc], ""),
        (frame[~tv & is_disc], f" ({disc} differences)"),
        (frame[tv], " (ratings as a time-varying covariate)"),
    ]


def _model_section(doc: Document, result: Any, number: int) -> int:
    m = result.models
    if not len(m):
        return number
    doc.heading("Models")
    for o in result.settings["outcomes"]:
        for frame, what in _parts(result, m):
            if len(frame[(frame["outcome"] == o) & (frame["role"] != "covariate")]):
                number += 1
                doc.table(model_table(result, o, frame, f"Table {number}. Models of {o}{what}", _model_note(result, o)))
    return number


def _surface_figures(doc: Document, result: Any) -> None:
    """One figure per outcome (its first model): a panel per significant surface."""
    first = {o: ms[0] for o, ms in result.settings["models"].items() if ms}
    for o, model in first.items():
        panels = [s for s in result.response_surfaces if s.outcome == o and s.result.model == model and s.significant]
        if panels:
            doc.figure(
                surface_panels(panels),
                f"{o} ({RESPONSE[model]}, {MODEL_NAMES[model].lower()} model) by the client's (x) and the "
                f"professional's (y) rating: surfaces with a1-a5 p < {nf.num(1 - result.settings['ci_level'], 2)}; "
                "solid line: congruence, dashed: incongruence",
            )


def outcomes_document(result: Any) -> Document:
    """The outcomes report (see the module docstring)."""
    doc = Document(
        title="Alliance and outcomes",
        subtitle=f"{result.n} rows, {result.n_keys} keys; outcomes: {', '.join(result.settings['outcomes'])}",
    )
    doc.paragraph(settings_paragraph(result))
    number = _correlation_section(doc, result, 0)
    number = _model_section(doc, result, number)
    if len(result.wave_comparisons):
        doc.heading("Wave comparison")
        doc.table(wave_table(result))
    if result.response_surfaces:
        doc.heading("Response surfaces (client and professional ratings)")
        doc.table(surface_table(result))
        _surface_figures(doc, result)
    if result.warnings:
        doc.heading("Notes")
        doc.warnings(result.warnings)
    return doc
