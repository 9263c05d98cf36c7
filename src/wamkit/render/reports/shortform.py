"""The document of a ``shorten`` result: the chosen items, held-out reliability and correlations next to the
full form, validity and baseline, CFA fit, and the item/test information curves (SVG)."""

from __future__ import annotations

from typing import Any

from wamkit.render import format as nf
from wamkit.render.document import Column, Document
from wamkit.render.svg_information import information_svg

__all__ = ["shortform_document"]

SUMMARY_COLUMNS = (
    Column("subscale", kind="text"),
    Column("kept", kind="text"),
    Column("dropped", kind="text"),
    Column("rel_full", "omega full"),
    Column("rel_short", "omega short"),
    Column("r", "r(short, full)", digits=3),
    Column(("lo", "hi"), "95% CI", digits=3),
    Column("info_full", "info full", digits=2),
    Column("info_short", "info short", digits=2),
    Column("stability", "same set in folds", kind="pct"),
)
VALIDITY_COLUMNS = (
    Column("subscale", kind="text"),
    Column("full", kind="r"),
    Column("short", kind="r"),
    Column("baseline", "baseline (bestScales-style)", kind="r"),
    Column("baseline_kept", "baseline kept", kind="text"),
)


def shortform_document(result: Any) -> Document:
    """Title and settings, then the sections: short form, validity (with a criterion), CFA fit, information
    curves (with graded models) and warnings."""
    d = result.to_dict()["shorten"]
    st = d["settings"]
    what = (
        f"{st['items_per_scale']} items per subscale"
        if st["items_per_scale"] is not None
        else f"target omega {st['target_reliability']}"
    )
    doc = Document(
        title=f"shorten: {d['instrument']['id']}",
        subtitle=f"{what}; n = {st['n_rows']} rows; {st['folds']}-fold cross-validation"
        f"{' (persons kept together)' if st.get('grouped_folds') else ''}; seed {st['seed']}",
    )
    _short_form_section(doc, d["subscales"])
    if st["criterion"]:
        _validity_section(doc, d["subscales"], st["criterion"])
    _fit_section(doc, d["fit"])
    _invariance_section(doc, d.get("invariance") or {})
    _information_section(doc, d["subscales"], result.irt)
    if d.get("warnings"):
        doc.heading("Warnings")
        doc.warnings(d["warnings"])
    return doc


def _short_form_section(doc: Document, subscales: dict[str, Any]) -> None:
    """Per subscale: kept and dropped items, held-out omega, r(short, full), information, stability."""
    rows = []
    for s, v in subscales.items():
        r = v["r_short_full"]
        rows.append(
            {
                "subscale": s,
                "kept": ", ".join(v["kept"]),
                "dropped": ", ".join(v["dropped"]) or "-",
                "rel_full": v["reliability_full"],
                "rel_short": v["reliability_short"],
                "r": r["estimate"],
                "lo": r["ci_low"],
                "hi": r["ci_high"],
                "info_full": v["information"]["mean_full"],
                "info_short": v["information"]["mean_short"],
                "stability": v["stability"],
            }
        )
    doc.heading("Short form (held-out folds)")
    doc.table(
        rows,
        SUMMARY_COLUMNS,
        note="omega total (psych one-factor) on held-out rows, mean over folds; information = mean test "
        "information over the theta range that counted; r pooled over all held-out rows",
    )


def _validity_section(doc: Document, subscales: dict[str, Any], criterion: str) -> None:
    """Held-out correlations of the full, short and baseline scores with the criterion."""
    rows = [
        {
            "subscale": s,
            "full": v["validity"]["full"]["estimate"],
            "short": v["validity"]["short"]["estimate"],
            "baseline": v["validity"]["baseline"]["estimate"],
            "baseline_kept": ", ".join(v["baseline"]["kept"]),
        }
        for s, v in subscales.items()
    ]
    doc.heading(f"Validity against {criterion} (held-out rows)")
    doc.table(rows, VALIDITY_COLUMNS)


def _fit_section(doc: Document, fit: dict[str, Any]) -> None:
    """The all-rows CFA fit of the full and the short form, with the mean held-out SRMR (when fitted)."""
    lines = []
    for label in ("full", "short"):
        f = fit["in_sample"].get(label)
        cv = fit["cross_validated"].get(label)
        if f:
            lines.append(
                f"{label} form, all rows (n = {f['n']}): chi2 = {nf.num(f['chisq'], 2)}, "
                f"df = {nf.integer(f['df'])}, CFI = {nf.num(f['cfi'])}, TLI = {nf.num(f['tli'])}, "
                f"RMSEA = {nf.num(f['rmsea'])}, SRMR = {nf.num(f['srmr'])}"
                + (f"; held-out SRMR {nf.num(cv['heldout_srmr'])}" if cv else "")
            )
    if lines:
        doc.heading("CFA fit (lavaan ML, listwise)")
        doc.bullets(lines)


INVARIANCE_COLUMNS = (
    Column("design", kind="text"),
    Column("form", kind="text"),
    Column("cfi", "configural CFI"),
    Column("rmsea", "configural RMSEA"),
    Column("highest_level", "highest level", kind="text"),
    Column("verdict", kind="text"),
)


def _invariance_section(doc: Document, invariance: dict[str, Any]) -> None:
    """Full and short form side by side: invariance over the waves and across the roles (as validate)."""
    rows = []
    for key, part in invariance.items():
        if not part:
            continue
        design = (
            f"over waves {', '.join(map(str, part['occasions']))}"
            if key == "waves"
            else f"across roles at {part['wave']}"
            if part.get("wave") is not None
            else "across roles"
        )
        for form in ("full", "short"):
            s = part.get(form)
            if s:
                first = s["steps"][0] if s["steps"] else {}
                rows.append({"design": design, "form": form, **first, **s})
    if rows:
        doc.heading("Measurement invariance, full and short form (ML, listwise)")
        doc.table(rows, INVARIANCE_COLUMNS)


def _information_section(doc: Document, subscales: dict[str, Any], irt: dict[str, Any]) -> None:
    """One information-curve figure per subscale with a graded model."""
    for s, v in subscales.items():
        model = irt.get(s)
        if model is not None:
            doc.figure(
                information_svg(
                    model,
                    kept=v["kept"],
                    theta_range=tuple(v["information"]["theta_range"]),
                    title=f"{s}: item and test information",
                ),
                f"{s}: kept items solid, dropped dashed; the shaded range counted in the selection",
            )
