"""The one-page A4 reflection sheet (HTML with an inline SVG profile chart), in the clients' language.

A sheet is self-contained: inline CSS and SVG, no scripts, no network references; it prints
on one A4 page. Every text comes from the language catalogue (:mod:`wamkit.render.i18n`),
score names from the instrument files' translations, numbers from :mod:`wamkit.render.format`.

* :func:`reflection_sheet` -- the sheet of one dyad of a :class:`~wamkit.dyads.analysis.DyadAnalysis`;
* :func:`sheet_html` -- the page of one :class:`~wamkit.dyads.sheet.SheetData`;
* :func:`book_html` -- many sheets in one document, one page each (for one printable PDF);
* :func:`index_html` -- the index page of a folder of sheets.
"""

from __future__ import annotations

import html
import math
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

from wamkit.dyads.sheet import SheetData, SheetLine, sheet_data
from wamkit.render import format as nf
from wamkit.render.i18n import Catalogue, alert_text, catalogue
from wamkit.render.svg import SVG_NS

__all__ = ["book_html", "index_html", "line_name", "reflection_sheet", "score_name", "sheet_html", "wave_text"]

CLIENT_COLOR = "#1f5f8b"
PROF_COLOR = "#c8691c"
#: alerts listed on a sheet (latest first); more would not fit on one A4 page
MAX_ALERTS = 4
FLAG_CLIENT_HIGHER = "client_higher"
FLAG_PROFESSIONAL_HIGHER = "professional_higher"

CSS = """
@page { size: A4; margin: 9mm 11mm; }
* { box-sizing: border-box; }
html { font-family: "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif; font-size: 9.4pt;
       color: #1b1b1b; background: #fff; }
body { margin: 0 auto; padding: 8mm 9mm; max-width: 210mm; line-height: 1.32; }
h1 { font-size: 15pt; margin: 0 0 1mm; font-weight: 700; }
h2 { font-size: 10.5pt; margin: 3.2mm 0 1.2mm; padding-bottom: 0.6mm; border-bottom: 1px solid #bbb; }
p { margin: 0 0 1.5mm; }
.meta { color: #444; font-size: 8.6pt; margin-bottom: 1.5mm; }
.intro { font-size: 9pt; }
.cols { display: flex; gap: 6mm; align-items: flex-start; }
.cols > div { flex: 1 1 0; min-width: 0; }
table { border-collapse: collapse; width: 100%; font-size: 8.6pt; }
th, td { padding: 0.7mm 1.4mm; text-align: left; border-bottom: 1px solid #e2e2e2; vertical-align: top; }
th { font-weight: 600; border-bottom: 1px solid #999; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; width: 1%; }
.client { color: CLIENT; font-weight: 600; }
.professional { color: PROF; font-weight: 600; }
.mark { color: #6a3d9a; font-size: 8pt; margin-left: 1mm; }
ul.alerts { margin: 0; padding-left: 4.5mm; font-size: 8.6pt; }
ul.alerts li { margin-bottom: 0.6mm; }
dl.factors { margin: 0; display: grid; grid-template-columns: 34mm 1fr; column-gap: 3mm; row-gap: 0.6mm;
             font-size: 8.4pt; }
dl.factors dt { font-weight: 600; }
dl.factors dd { margin: 0; }
.note { font-size: 7.6pt; color: #555; margin-top: 2.5mm; border-top: 1px solid #ccc; padding-top: 1.2mm; }
svg { display: block; max-width: 100%; height: auto; }
.chart { margin: 1mm 0 0; }
.talk { font-size: 8.6pt; }
section.sheet + section.sheet { margin-top: 12mm; border-top: 2px dashed #bbb; padding-top: 6mm; }
@media print {
  html { font-size: 8pt; }
  .note { font-size: 7.2pt; }
  body { padding: 0; max-width: none; }
  h2 { font-size: 9.8pt; margin-top: 2.2mm; break-after: avoid; }
  th, td { padding: 0.45mm 1.2mm; }
  table, dl, svg, ul { break-inside: avoid; }
  section.sheet { break-after: page; }
  section.sheet:last-child { break-after: auto; }
  section.sheet + section.sheet { margin-top: 0; border-top: none; padding-top: 0; }
  .client, .professional, .mark { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
""".replace("CLIENT", CLIENT_COLOR).replace("PROF", PROF_COLOR)


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


# --------------------------------------------------------------------------- names


def score_name(info: Mapping[str, Any], lang: str) -> str:
    """A score's name in ``lang`` (the instrument's translation, else its own name)."""
    return info.get("names", {}).get(lang) or info["name"]


def score_description(info: Mapping[str, Any], lang: str) -> str:
    return info.get("descriptions", {}).get(lang) or info.get("description") or ""


def line_name(line: SheetLine, scores: Mapping[str, Mapping[str, Any]], lang: str) -> str:
    """A line's name: the score's, or ``client name / professional name`` when the two differ."""
    names = [score_name(scores[s], lang) for s in (line.client, line.professional) if s is not None]
    return " / ".join(dict.fromkeys(names))


def wave_text(wave: Any, labels: Mapping[str, str]) -> str:
    """A wave as shown to people: its label (SPSS value label) when the data have one."""
    return labels.get(str(wave), str(wave))


# --------------------------------------------------------------------------- profile chart


def _label_lines(name: str, higher_is_better: bool, t: Catalogue) -> list[str]:
    lines = textwrap.wrap(name, 24)[:2] or [""]
    if len(textwrap.wrap(name, 24)) > 2:
        lines[1] = lines[1][:22] + "…"
    return lines + ([] if higher_is_better else [t("sheet.lower_is_better")])


def _bars(x0: float, y: float, panel_w: float, line: SheetLine, wave: Any, d: SheetData, t: Catalogue) -> list[str]:
    lo, hi = d.scale or (0.0, 1.0)
    out = []
    for i, role in enumerate(("client", "professional")):
        yy = y + i * 11
        v = d.profile.get((wave, role, line.id))
        if v is None:
            if getattr(line, role) is not None:
                out.append(
                    f'<text x="{x0 + 3:.1f}" y="{yy + 8}" font-size="9" fill="#777">{_e(t("sheet.no_score"))}</text>'
                )
            continue
        frac = (v - lo) / (hi - lo) if hi > lo else 0.0
        bw = max(1.5, (panel_w - 30) * min(max(frac, 0.0), 1.0))
        color = CLIENT_COLOR if role == "client" else PROF_COLOR
        out.append(
            f'<rect x="{x0:.1f}" y="{yy}" width="{bw:.1f}" height="9" fill="{color}">'
            f"<title>{_e(t(f'role.{role}'))}: {t.number(nf.fixed(v, 2))}</title></rect>"
            f'<text x="{x0 + bw + 3:.1f}" y="{yy + 8}" font-size="9.5">{t.number(nf.fixed(v, 1))}</text>'
        )
    return out


def _axis(x0: float, y: float, panel_w: float, d: SheetData, t: Catalogue) -> list[str]:
    lo, hi = d.scale or (0.0, 1.0)
    out = [f'<line x1="{x0:.1f}" y1="{y}" x2="{x0 + panel_w - 30:.1f}" y2="{y}" stroke="#888"/>']
    ticks = range(math.ceil(lo), math.floor(hi) + 1) if hi - lo <= 10 else [lo + (hi - lo) * k / 4 for k in range(5)]
    for tk in ticks:
        xt = x0 + (panel_w - 30) * (tk - lo) / (hi - lo)
        out.append(
            f'<line x1="{xt:.1f}" y1="{y}" x2="{xt:.1f}" y2="{y + 4}" stroke="#888"/>'
            f'<text x="{xt:.1f}" y="{y + 15}" text-anchor="middle" font-size="9" fill="#444">'
            f"{t.number(nf.num(tk, 1))}</text>"
        )
    return out


def profile_svg(d: SheetData, t: Catalogue) -> str:
    """Horizontal bars per line: client and professional, one panel per wave."""
    waves: list[Any] = list(d.waves) or [None]
    present = [w for w in waves if any(k[0] == w for k in d.profile)] or waves[:1]
    labels = [_label_lines(line_name(ln, d.scores, t.lang), ln.higher_is_better, t) for ln in d.lines]
    heights = [max(24, 11 * len(lab) + 3) for lab in labels]
    label_w, gap, top, width = 160, 18, 28, 720
    panel_w = (width - label_w - gap * (len(present) - 1)) / len(present)
    height = top + sum(heights) + 26
    out = [
        (
            f'<svg xmlns="{SVG_NS}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
            f'aria-label="{_e(t("sheet.chart_aria"))}" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif" '
            f'font-size="11"><title>{_e(t("sheet.chart_title"))}</title>'
        ),
        (
            f'<rect x="0" y="4" width="12" height="10" fill="{CLIENT_COLOR}"/><text x="17" y="13">{_e(t("role.client"))}'
            f'</text><rect x="110" y="4" width="12" height="10" fill="{PROF_COLOR}"/>'
            f'<text x="127" y="13">{_e(t("role.professional"))}</text>'
        ),
    ]
    ys = [top + sum(heights[:k]) for k in range(len(heights))]
    for ln, lab, y in zip(d.lines, labels, ys, strict=True):
        weight = ' font-weight="700"' if ln.kind == "total" else ""
        for j, text in enumerate(lab):
            small = ' font-size="9" fill="#555"' if j == len(lab) - 1 and not ln.higher_is_better else weight
            out.append(
                f'<text x="0" y="{y + 12 + 11 * j - (11 * (len(lab) - 2) / 2 if len(lab) > 2 else 0):.1f}"'
                f"{small}>{_e(text)}</text>"
            )
    for j, w in enumerate(present):
        x0 = label_w + j * (panel_w + gap)
        head = t("sheet.wave_panel", wave=wave_text(w, d.wave_labels)) if w is not None else t("sheet.scores_panel")
        out.append(
            f'<text x="{x0 + panel_w / 2:.1f}" y="{top - 8}" text-anchor="middle" font-weight="700">{_e(head)}</text>'
        )
        for k, (ln, y, h) in enumerate(zip(d.lines, ys, heights, strict=True)):
            if k % 2 == 0:
                out.append(f'<rect x="{x0:.1f}" y="{y}" width="{panel_w:.1f}" height="{h}" fill="#f4f4f4"/>')
            out += _bars(x0, y + (h - 20) / 2, panel_w, ln, w, d, t)
        out += _axis(x0, top + sum(heights), panel_w, d, t)
    out.append("</svg>")
    return "".join(out)


# --------------------------------------------------------------------------- sections


def _mark(title: str) -> str:
    return f'<span class="mark" title="{_e(title)}">◆</span>'


def _scores_table(d: SheetData, t: Catalogue, names: Mapping[str, str]) -> list[str]:
    head = f" {t('sheet.at_wave', wave=wave_text(d.latest, d.wave_labels))}" if d.latest is not None else ""
    h = [
        f"<h2>{_e(t('sheet.scores_heading') + head)}</h2>",
        (
            f'<table><thead><tr><th>{_e(t("sheet.col_subscale"))}</th><th class="num client">'
            f'{_e(t("sheet.col_client"))}</th><th class="num professional">{_e(t("sheet.col_professional"))}</th>'
            f'<th class="num">{_e(t("sheet.col_difference"))}</th></tr></thead><tbody>'
        ),
    ]
    marks = {
        FLAG_CLIENT_HIGHER: _mark(t("sheet.client_higher")),
        FLAG_PROFESSIONAL_HIGHER: _mark(t("sheet.professional_higher")),
    }
    for r in d.latest_rows:
        h.append(
            f'<tr><td>{_e(names[r["subscale"]])}</td><td class="num">{t.number(nf.fixed(r["client"]))}</td>'
            f'<td class="num">{t.number(nf.fixed(r["professional"]))}</td>'
            f'<td class="num">{t.number(nf.signed(r["difference"], 2))}{marks.get(r["flag"] or "", "")}'
            "</td></tr>"
        )
    for ln in d.lines:
        role = "client" if ln.professional is None else "professional" if ln.client is None else None
        v = d.profile.get((d.latest, role, ln.id)) if role and d.latest in d.waves + (None,) else None
        if role is None or v is None:
            continue
        cells = (t.number(nf.fixed(v)), "") if role == "client" else ("", t.number(nf.fixed(v)))
        h.append(
            f'<tr><td>{_e(names[ln.id])}</td><td class="num">{cells[0]}</td><td class="num">{cells[1]}</td>'
            f'<td class="num">{_e(t("sheet.one_form", role=t(f"role.{role}")))}</td></tr>'
        )
    h.append("</tbody></table>")
    h.append(f'<p class="talk">{t.html("sheet.difference_note", mark=_mark(""))}</p>')
    return h


def _change_table(d: SheetData, t: Catalogue, names: Mapping[str, str]) -> list[str]:
    span = (
        f" ({wave_text(d.previous, d.wave_labels)} → {wave_text(d.latest, d.wave_labels)})"
        if d.change and d.previous is not None
        else ""
    )
    h = [f"<h2>{_e(t('sheet.change_heading') + span)}</h2>"]
    if not d.change:
        return h + [f'<p class="talk">{_e(t("sheet.no_earlier"))}</p>']
    h.append(
        f'<table><thead><tr><th>{_e(t("sheet.col_subscale"))}</th><th class="num client">'
        f'{_e(t("sheet.col_client"))}</th><th class="num professional">{_e(t("sheet.col_professional"))}'
        "</th></tr></thead><tbody>"
    )
    for r in d.change:
        cells = "".join(
            f'<td class="num">{t.number(nf.signed(r[role], 2)) if r[role] is not None else ""}'
            f"{_mark(t('sheet.reliable_change')) if r[f'{role}_reliable'] else ''}</td>"
            for role in ("client", "professional")
        )
        h.append(f"<tr><td>{_e(names[r['id']])}</td>{cells}</tr>")
    h.append("</tbody></table>")
    h.append(f'<p class="talk">{t.html("sheet.change_note", mark=_mark(""))}</p>')
    return h


def _items_table(d: SheetData, t: Catalogue, names: Mapping[str, str]) -> list[str]:
    head = f" {t('sheet.at_wave', wave=wave_text(d.latest, d.wave_labels))}" if d.latest is not None else ""
    h = [f"<h2>{_e(t('sheet.items_heading') + head)}</h2>"]
    if not d.items:
        return h + [f'<p class="talk">{_e(t("sheet.no_items"))}</p>']
    h.append(
        f"<table><thead><tr><th>{_e(t('sheet.col_item'))}</th><th>{_e(t('sheet.col_part_of'))}</th>"
        f'<th class="num client">{_e(t("sheet.col_client"))}</th><th class="num professional">'
        f"{_e(t('sheet.col_professional'))}</th></tr></thead><tbody>"
    )
    for r in d.items:
        inf = d.item_info.get(r["item"], {})
        label = (
            inf.get("texts", {}).get(t.lang)
            or inf.get("labels", {}).get(t.lang)
            or inf.get("text")
            or inf.get("label")
            or ""
        )
        name = f"{r['item']}" + (f": {label}" if label else "")
        h.append(
            f"<tr><td>{_e(name)}</td><td>{_e(names.get(r['subscale'], ''))}</td>"
            f'<td class="num">{nf.num(r["client"], 0)}</td><td class="num">{nf.num(r["professional"], 0)}'
            "</td></tr>"
        )
    h.append("</tbody></table>")
    h.append(f'<p class="talk">{_e(t("sheet.items_note"))}</p>')
    return h


def _alerts_list(d: SheetData, t: Catalogue) -> list[str]:
    h = [f"<h2>{_e(t('sheet.talk_heading'))}</h2>"]
    if not d.alerts:
        return h + [f'<p class="talk">{_e(t("sheet.no_alerts"))}</p>']
    names = {s: score_name(info, t.lang) for s, info in d.scores.items()}
    names.update({ln.id: line_name(ln, d.scores, t.lang) for ln in d.lines})
    h.append('<ul class="alerts">')
    for r in d.alerts[:MAX_ALERTS]:
        value = nf.as_float(r["value"])
        text = alert_text(
            t,
            r["kind"],
            score=names.get(r["subscale"], r["subscale"] or ""),
            role=t(f"role.{r['rater']}") if r["rater"] else None,
            value=t.number(nf.num(value, 2)),
            threshold=t.number(nf.num(r["threshold"], 2)),
            amount=t.number(nf.num(abs(value) if value is not None else None, 2)),
            wave=wave_text(r["wave"], d.wave_labels),
            wave_from=wave_text(r["wave_from"], d.wave_labels),
            client_higher=bool(value is not None and value > 0),
        )
        prefix = f"{wave_text(r['wave'], d.wave_labels)}: " if r["wave"] is not None and d.waves else ""
        h.append(f"<li>{_e(prefix + text)}</li>")
    if len(d.alerts) > MAX_ALERTS:
        h.append(f"<li>{_e(t('sheet.more_alerts', n=len(d.alerts) - MAX_ALERTS))}</li>")
    h.append("</ul>")
    return h


def _meanings(d: SheetData, t: Catalogue) -> list[str]:
    h = [f'<h2>{_e(t("sheet.meaning_heading"))}</h2><dl class="factors">']
    for s in d.scores.values():
        desc = score_description(s, t.lang) or (t("sheet.total_description") if s["kind"] == "total" else "")
        h.append(f"<dt>{_e(score_name(s, t.lang))}</dt><dd>{_e(desc)}</dd>")
    h.append("</dl>")
    return h


def _footnote(d: SheetData, t: Catalogue) -> str:
    from wamkit import __version__

    scale = d.scale
    text = (
        t("sheet.note_scores")
        if scale is None
        else t("sheet.note_scores_range", min=nf.num(scale[0], 0), max=nf.num(scale[1], 0))
    )
    parts = [text, t("sheet.note_marks"), t("sheet.note_reliability")]
    if d.demonstration:
        parts.append(t("sheet.demo"))
    parts.append(t("sheet.made_with", version=__version__))
    return f'<p class="note">{_e(" ".join(parts))}</p>'


def sheet_body(d: SheetData, t: Catalogue) -> str:
    """The sheet's content (no ``<html>`` around it)."""
    names = {ln.id: line_name(ln, d.scores, t.lang) for ln in d.lines}
    inst = d.instruments
    ids = (
        t("sheet.instrument_one", id=inst["client"]["id"])
        if inst["client"]["id"] == inst["professional"]["id"]
        else t("sheet.instruments_two", client=inst["client"]["id"], professional=inst["professional"]["id"])
    )
    waves = [wave_text(w, d.wave_labels) for w in d.waves]
    meta = [t("sheet.dyad", dyad="\x00")] + ([t("sheet.waves", waves=", ".join(waves))] if waves else []) + [ids]
    meta_html = " · ".join(_e(m) for m in meta).replace("\x00", f'<b id="dyad-id">{_e(d.dyad)}</b>')
    client = f'<span class="client">{_e(t("sheet.intro_client"))}</span>'
    prof = f'<span class="professional">{_e(t("sheet.intro_professional"))}</span>'
    h = [
        f"<h1>{_e(t('sheet.title'))}</h1>",
        f'<p class="meta">{meta_html}</p>',
        f'<p class="intro">{t.html("sheet.intro", client=client, professional=prof)}</p>',
        f"<h2>{_e(t('sheet.both_views'))}</h2>",
        f'<div class="chart">{profile_svg(d, t)}</div>',
        '<div class="cols"><div>',
        *_scores_table(d, t, names),
        "</div><div>",
        *_change_table(d, t, names),
        "</div></div>",
        '<div class="cols"><div>',
        *_items_table(d, t, names),
        "</div><div>",
        *_alerts_list(d, t),
        "</div></div>",
        *_meanings(d, t),
        _footnote(d, t),
    ]
    return "".join(h)


def _page(title: str, body: str, lang: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{_e(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>{body}</body></html>\n"
    )


def sheet_html(d: SheetData, lang: str | None = None) -> str:
    """The sheet of one dyad as a self-contained HTML page (``@page`` A4)."""
    t = catalogue(lang)
    return _page(t("sheet.doc_title", dyad=d.dyad), sheet_body(d, t), t.lang)


def book_html(sheets: Sequence[SheetData], lang: str | None = None) -> str:
    """Several sheets in one page, each in a ``<section>`` that prints on a page of its own."""
    t = catalogue(lang)
    body = "".join(f'<section class="sheet">{sheet_body(d, t)}</section>' for d in sheets)
    return _page(t("index.title"), body, t.lang)


def index_html(
    sheets: Sequence[SheetData], files: Mapping[str, str], *, pdf: str | None, note: str | None, lang: str | None = None
) -> str:
    """The index of a folder of sheets: one row per dyad (waves, alerts, link), and the PDF of all sheets."""
    t = catalogue(lang)
    rows = "".join(
        f"<tr><td>{_e(d.dyad)}</td><td>{_e(', '.join(wave_text(w, d.wave_labels) for w in d.waves))}</td>"
        f'<td class="num">{len(d.alerts)}</td><td><a href="{_e(files[d.dyad])}">{_e(files[d.dyad])}</a></td></tr>'
        for d in sheets
    )
    pdf_line = (
        f'<p><a href="{_e(pdf)}">{_e(pdf)}</a>: {_e(t("index.pdf"))}</p>'
        if pdf
        else f'<p class="meta">{_e(note or "")}</p>'
    )
    body = (
        f"<h1>{_e(t('index.title'))}</h1><p>{_e(t('index.intro', n=len(sheets)))}</p>{pdf_line}"
        f"<table><thead><tr><th>{_e(t('index.col_dyad'))}</th><th>{_e(t('index.col_waves'))}</th>"
        f'<th class="num">{_e(t("index.col_alerts"))}</th><th>{_e(t("index.col_sheet"))}</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )
    return _page(t("index.title"), body, t.lang)


def reflection_sheet(analysis: Any, dyad: Any, lang: str | None = None, *, key: bytes | None = None) -> str:
    """The reflection sheet (HTML) of ``dyad`` in ``lang`` (default: the analysis' language).

    ``dyad`` is an id as in the data (with ``key``, an original id of a pseudonymised
    analysis is turned into its pseudonym).
    """
    return sheet_html(sheet_data(analysis, dyad, key=key), lang or analysis.settings.get("lang"))
