"""The dyads report (``wamkit dyads``): agreement per wave with Bland–Altman plots, change, alerts,
caseloads, reliabilities and the APIM, in the language of the catalogue (:mod:`wamkit.render.i18n`)."""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from wamkit.dyads.sheet import SheetLine
from wamkit.render import format as nf
from wamkit.render.document import Column, Document
from wamkit.render.i18n import Catalogue, catalogue
from wamkit.render.sheet import CLIENT_COLOR, PROF_COLOR, line_name, score_name, wave_text
from wamkit.render.svg import nice_ticks

__all__ = ["apim_svg", "bland_altman_svg", "dyads_document"]

_esc = html.escape


def _names(result: Any, lang: str) -> dict[str, str]:
    """Display names of scores and score pairs."""
    scores = {s["id"]: s for s in result.subscales}
    names = {sid: score_name(s, lang) for sid, s in scores.items()}
    for p in result.score_pairs:
        names[p.id] = line_name(SheetLine(p.id, p.client, p.professional, p.kind, p.higher_is_better), scores, lang)
    return names


# --------------------------------------------------------------------------- figures


def bland_altman_svg(
    panels: Sequence[tuple[str, np.ndarray, np.ndarray, float, float, float]],
    *,
    xlabel: str,
    ylabel: str,
    width: int = 900,
    number: Callable[[str], str] = str,
) -> str:
    """Bland–Altman plot, one panel per wave: difference against mean, lines at the mean difference and the limits.

    ``panels``: (title, means, differences, mean difference, lower limit, upper limit);
    panels share their axes so waves can be compared. ``number`` puts a formatted number into the report's
    language (the decimal comma of a Dutch or French report).
    """
    ok = [(m[np.isfinite(m) & np.isfinite(d)], d[np.isfinite(m) & np.isfinite(d)]) for _, m, d, *_ in panels]
    xs = np.concatenate([m for m, _ in ok] + [np.zeros(0)])
    ys = np.concatenate([d for _, d in ok] + [np.array([v for p in panels for v in p[3:] if math.isfinite(v)])])
    x_lo, x_hi = (float(xs.min()), float(xs.max())) if xs.size else (0.0, 1.0)
    y_lim = float(np.abs(ys).max()) * 1.08 if ys.size else 1.0
    x_lo, x_hi = (x_lo - 0.25, x_hi + 0.25) if x_hi - x_lo < 0.5 else (x_lo, x_hi)
    n = max(len(panels), 1)
    gap, left, top, bottom = 24, 52, 26, 40
    pw = (width - left - gap * (n - 1) - 10) / n
    ph = 230
    height = top + ph + bottom

    def sx(v: float, j: int) -> float:
        return left + j * (pw + gap) + (v - x_lo) / (x_hi - x_lo) * pw

    def sy(v: float) -> float:
        return top + (y_lim - v) / (2 * y_lim) * ph

    out = [
        (
            f'<svg role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'font-family="sans-serif" font-size="11"><rect width="{width}" height="{height}" fill="#fff"/>'
        )
    ]
    for t in nice_ticks(-y_lim, y_lim, False):
        out.append(
            f'<text x="{left - 6}" y="{sy(t) + 4:.1f}" text-anchor="end" fill="#444">{number(nf.num(t, 1))}</text>'
        )
    for j, ((title, _, _, mean, lo, hi), (m, d)) in enumerate(zip(panels, ok, strict=True)):
        x0 = left + j * (pw + gap)
        out.append(f'<rect x="{x0:.1f}" y="{top}" width="{pw:.1f}" height="{ph}" fill="#fafafa" stroke="#bbb"/>')
        out.append(
            f'<text x="{x0 + pw / 2:.1f}" y="{top - 9}" text-anchor="middle" font-weight="700">{_esc(title)}</text>'
        )
        out.append(f'<line x1="{x0:.1f}" y1="{sy(0):.1f}" x2="{x0 + pw:.1f}" y2="{sy(0):.1f}" stroke="#999"/>')
        out += [
            f'<circle cx="{sx(a, j):.1f}" cy="{sy(b):.1f}" r="2.3" fill="{CLIENT_COLOR}" fill-opacity="0.35"/>'
            for a, b in zip(m, d, strict=True)
        ]
        for v, dash, color in (
            (mean, "", PROF_COLOR),
            (lo, ' stroke-dasharray="5 3"', "#555"),
            (hi, ' stroke-dasharray="5 3"', "#555"),
        ):
            if math.isfinite(v):
                out.append(
                    f'<line x1="{x0:.1f}" y1="{sy(v):.1f}" x2="{x0 + pw:.1f}" y2="{sy(v):.1f}" '
                    f'stroke="{color}" stroke-width="1.5"{dash}/><text x="{x0 + pw - 3:.1f}" '
                    f'y="{sy(v) - 3:.1f}" text-anchor="end" font-size="10" fill="{color}">{number(nf.fixed(v, 2))}</text>'
                )
        for t in nice_ticks(x_lo, x_hi, False):
            out.append(
                f'<text x="{sx(t, j):.1f}" y="{top + ph + 14}" text-anchor="middle" fill="#444">{number(nf.num(t, 1))}</text>'
            )
    out.append(f'<text x="{left + (width - left) / 2:.1f}" y="{height - 6}" text-anchor="middle">{_esc(xlabel)}</text>')
    out.append(
        f'<text transform="translate(13 {top + ph / 2:.1f}) rotate(-90)" text-anchor="middle">'
        f"{_esc(ylabel)}</text></svg>"
    )
    return "".join(out)


def _estimate(e: Any, t: Catalogue) -> str:
    star = "*" if e.pvalue is not None and math.isfinite(e.pvalue) and e.pvalue < 0.05 else ""
    return f"{t.number(nf.fixed(e.estimate, 2))}{star}"


def apim_svg(entry: Any, t: Catalogue, labels: dict[str, str]) -> str:
    """APIM path diagram: earlier scores (left) -> later scores (right); actor arrows across, partner arrows
    diagonal; the residual correlation of the later scores on the right. * p < .05."""
    import re

    res = entry.result
    uid = "apim-" + re.sub(r"[^A-Za-z0-9_-]", "_", f"{entry.score}-{entry.wave_from}-{entry.wave_to}")
    w, h = 680, 230
    box = {
        ("client", 0): (20, 30),
        ("professional", 0): (20, 160),
        ("client", 1): (420, 30),
        ("professional", 1): (420, 160),
    }
    bw, bh = 170, 42
    out = [
        (
            f'<svg role="img" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" '
            f'font-size="12"><defs><marker id="{uid}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
            'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>'
            f'<rect width="{w}" height="{h}" fill="#fff"/>'
        )
    ]
    for (role, k), (x, y) in box.items():
        color = CLIENT_COLOR if role == "client" else PROF_COLOR
        wave = entry.wave_from if k == 0 else entry.wave_to
        out.append(
            f'<rect x="{x}" y="{y}" width="{bw}" height="{bh}" rx="6" fill="#fff" stroke="{color}" '
            f'stroke-width="2"/><text x="{x + bw / 2}" y="{y + 26}" text-anchor="middle" fill="{color}" '
            f'font-weight="700">{_esc(t(f"role.{role}"))} {_esc(labels.get(wave, wave))}</text>'
        )
    arrows = [
        (("client", 0), ("client", 1), res.actor["client"], -8),
        (("professional", 0), ("professional", 1), res.actor["professional"], 16),
        (("client", 0), ("professional", 1), res.partner["professional"], -6),
        (("professional", 0), ("client", 1), res.partner["client"], 14),
    ]
    for a, b, est, dy in arrows:
        x1, y1 = box[a][0] + bw, box[a][1] + bh / 2
        x2, y2 = box[b][0], box[b][1] + bh / 2
        out.append(
            f'<line x1="{x1}" y1="{y1}" x2="{x2 - 2}" y2="{y2}" stroke="#333" stroke-width="1.4" '
            f'marker-end="url(#{uid})"/>'
        )
        mx, my = x1 + (x2 - x1) * (0.32 if a[0] != b[0] else 0.5), y1 + (y2 - y1) * (0.32 if a[0] != b[0] else 0.5)
        out.append(
            f'<text x="{mx:.1f}" y="{my + dy:.1f}" text-anchor="middle" font-size="12">{_esc(_estimate(est, t))}</text>'
        )
    x = box[("client", 1)][0] + bw + 14
    out.append(
        f'<path d="M{x - 12},{box[("client", 1)][1] + bh / 2} C{x + 22},{70} {x + 22},{160} {x - 12},'
        f'{box[("professional", 1)][1] + bh / 2}" fill="none" stroke="#777" marker-start="url(#{uid})" '
        f'marker-end="url(#{uid})"/><text x="{x + 14}" y="{h / 2 + 4}" font-size="11" fill="#555">'
        f"{_esc(t.number(nf.r_apa(res.residual_correlation)))}</text></svg>"
    )
    return "".join(out)


# --------------------------------------------------------------------------- sections


def _records(frame: Any, result: Any, t: Catalogue, names: dict[str, str]) -> list[dict[str, Any]]:
    """Table records with display columns: ``name`` (score), ``role``, ``wave`` and ``waves`` (from → to) as shown."""
    labels = result.wave_labels
    out = []
    for r in frame.to_dict(orient="records"):
        rec = dict(r)
        if "subscale" in r:
            rec["name"] = names.get(r["subscale"], r["subscale"])
        if "rater" in r:
            rec["role"] = t(f"role.{r['rater']}")
        if "wave" in r:
            rec["wave"] = wave_text(r["wave"], labels) if r["wave"] is not None else ""
        if "from" in r:
            rec["waves"] = f"{wave_text(r['from'], labels)} → {wave_text(r['to'], labels)}"
        out.append(rec)
    return out


def _section(
    doc: Document, heading: str, text: str | None, records: list[dict[str, Any]], columns: list[Column]
) -> None:
    doc.heading(heading)
    if text:
        doc.paragraph(text)
    doc.table(records, columns)


def _agreement(doc: Document, result: Any, t: Catalogue, names: dict[str, str]) -> None:
    _section(
        doc,
        t("report.agreement_heading"),
        t("report.agreement_text"),
        _records(result.agreement, result, t, names),
        [
            Column("name", t("report.col_subscale"), "text"),
            Column("wave", t("report.col_wave"), "text"),
            Column("n_pairs", t("report.col_n"), "int"),
            Column("icc_a1", "ICC(A,1)", "r"),
            Column(("icc_a1_lower", "icc_a1_upper"), t("report.col_ci"), "r"),
            Column("icc_c1", "ICC(C,1)", "r"),
            Column("mean_difference", t("report.col_mean_diff"), "signed"),
            Column(("loa_low", "loa_high"), t("report.col_loa")),
            Column("r", "r", "r"),
            Column("difference_reliability", t("report.col_rel_diff"), "r"),
            Column("reliable_difference", t("report.col_rd"), "fixed"),
            Column("n_client_higher", t("report.col_client_higher"), "int"),
            Column("n_professional_higher", t("report.col_prof_higher"), "int"),
        ],
    )


def _bland_altman(doc: Document, result: Any, t: Catalogue, names: dict[str, str]) -> None:
    pairs = result.pairs
    doc.heading(t("report.ba_heading"))
    for p in result.score_pairs:
        panels = []
        for r in result.agreement[result.agreement["subscale"] == p.id].to_dict(orient="records"):
            w = r["wave"]
            sel = (pairs["subscale"] == p.id).to_numpy() & ((pairs["wave"] == w).to_numpy() if w is not None else True)
            c, q = pairs.loc[sel, "client"].to_numpy(dtype=float), pairs.loc[sel, "professional"].to_numpy(dtype=float)
            title = t("sheet.wave_panel", wave=wave_text(w, result.wave_labels)) if w is not None else ""
            panels.append(
                (title, (c + q) / 2, c - q, float(r["mean_difference"]), float(r["loa_low"]), float(r["loa_high"]))
            )
        if panels:
            doc.figure(
                bland_altman_svg(panels, xlabel=t("report.ba_x"), ylabel=t("report.ba_y"), number=t.number),
                t("report.ba_caption", score=names.get(p.id, p.id)),
            )


def _tables(doc: Document, result: Any, t: Catalogue, names: dict[str, str]) -> None:
    """Profile correlations, reliable change, alerts, caseloads and reliabilities."""
    wave, name, role = (
        Column("wave", t("report.col_wave"), "text"),
        Column("name", t("report.col_subscale"), "text"),
        Column("role", t("report.col_rater"), "text"),
    )
    if len(result.profile_summary):
        _section(
            doc,
            t("report.profile_heading"),
            t("report.profile_text"),
            _records(result.profile_summary, result, t, names),
            [
                wave,
                Column("n_dyads", t("report.col_dyads"), "int"),
                Column("n", t("report.col_computed"), "int"),
                Column("mean", t("report.col_mean"), "r"),
                Column("median", t("report.col_median"), "r"),
            ],
        )
    counts = result.change_counts()
    if len(counts):
        _section(
            doc,
            t("report.change_heading"),
            t("report.change_text"),
            _records(counts, result, t, names),
            [
                name,
                role,
                Column("waves", t("report.col_waves"), "text"),
                *(
                    Column(k, t(f"report.col_{c}"), "int")
                    for k, c in (
                        ("improved", "improved"),
                        ("no reliable change", "no_change"),
                        ("deteriorated", "deteriorated"),
                        ("not computable", "not_computable"),
                    )
                ),
            ],
        )
    al = result.alerts
    _section(
        doc,
        t("report.alerts_heading"),
        t("report.alerts_text", n=len(al), dyads=al["dyad"].nunique() if len(al) else 0, total=len(result.dyads)),
        _records(result.alert_counts(), result, t, names),
        [
            Column("rule", t("report.col_rule"), "text"),
            Column("kind", t("report.col_kind"), "text"),
            wave,
            Column("n_alerts", t("report.col_alerts"), "int"),
            Column("n_dyads", t("report.col_dyads_alerted"), "int"),
        ],
    )
    if result.caseload_alerts is not None:
        _section(
            doc,
            t("report.caseload_heading", officer=result.settings.get("officer")),
            t("report.caseload_text", min_cell=result.settings.get("min_cell")),
            _records(result.caseload_alerts, result, t, names),
            [
                Column("group", t("report.col_group"), "text"),
                wave,
                Column("n_clients", t("report.col_clients"), "int"),
                Column("n_clients_with_alerts", t("report.col_with_alerts"), "int"),
                Column("n_alerts", t("report.col_alerts"), "int"),
            ],
        )
    _section(
        doc,
        t("report.reliability_heading"),
        None,
        _records(result.reliability, result, t, names),
        [
            role,
            name,
            wave,
            Column("n_items", t("report.col_items"), "int"),
            Column("n_obs", t("report.col_obs"), "int"),
            Column("alpha", "alpha", "r"),
            Column("sd", "SD", "fixed"),
            Column("sem", "SEM", "fixed"),
        ],
    )


def _apim(doc: Document, result: Any, t: Catalogue, names: dict[str, str]) -> None:
    if result.apim is None:
        return
    doc.heading(t("report.apim_heading"))
    doc.paragraph(t("report.apim_text"))
    recs = []
    for e in result.apim:
        if e.result is None:
            doc.note(f"{names.get(e.score, e.score)} {e.wave_from} → {e.wave_to}: {e.problem}", "warning")
            continue
        r = e.result
        recs.append(
            {
                "name": names.get(e.score, e.score),
                "waves": f"{wave_text(e.wave_from, result.wave_labels)} → {wave_text(e.wave_to, result.wave_labels)}",
                "ac": r.actor["client"].estimate,
                "ap": r.actor["professional"].estimate,
                "pc": r.partner["client"].estimate,
                "pp": r.partner["professional"].estimate,
                "kc": r.k["client"].estimate,
                "kp": r.k["professional"].estimate,
                "rho": r.residual_correlation,
                "chi2": r.distinguishability_test.statistic,
                "p": r.distinguishability_test.pvalue,
            }
        )
    doc.table(
        recs,
        [
            Column("name", t("report.col_subscale"), "text"),
            Column("waves", t("report.col_waves"), "text"),
            Column("ac", t("report.col_actor_client"), "fixed"),
            Column("ap", t("report.col_actor_prof"), "fixed"),
            Column("pp", t("report.col_partner_cp"), "fixed"),
            Column("pc", t("report.col_partner_pc"), "fixed"),
            Column("kc", "k " + t("role.client"), "fixed"),
            Column("kp", "k " + t("role.professional"), "fixed"),
            Column("rho", t("report.col_rho"), "r"),
            Column("chi2", "χ²(4)", "fixed"),
            Column("p", "p", "p"),
        ],
    )
    for e in result.apim:
        if e.result is not None:
            doc.figure(
                apim_svg(e, t, result.wave_labels),
                t("report.apim_caption", score=names.get(e.score, e.score), wave_from=e.wave_from, wave_to=e.wave_to),
            )


def dyads_document(result: Any, lang: str | None = None) -> Document:
    """The report of a :class:`~wamkit.dyads.analysis.DyadAnalysis` in ``lang`` (default: the analysis' language)."""
    t = catalogue(lang or result.settings.get("lang"))
    names = _names(result, t.lang)
    n_pairs = result.pairs[["dyad", "wave"]].drop_duplicates().shape[0]
    waves = ", ".join(wave_text(w, result.wave_labels) for w in result.wave_order)
    doc = Document(
        title=t("report.title"),
        subtitle=t("report.subtitle", dyads=len(result.dyads), paired=n_pairs, unpaired=len(result.unpaired))
        + (t("report.subtitle_waves", waves=waves) if waves else ""),
        decimal=t.decimal,
    )
    _agreement(doc, result, t, names)
    _bland_altman(doc, result, t, names)
    _tables(doc, result, t, names)
    _apim(doc, result, t, names)
    for n in result.notes:
        doc.note(n)
    doc.warnings(result.warnings)
    return doc
