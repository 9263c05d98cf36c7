"""The document of a ``shorten`` result: the chosen items, held-out reliability and correlations next to the
full form, validity and baseline, CFA fit, and the item/test information curves (SVG)."""

from __future__ import annotations

from typing import Any

from wamkit.render import format as nf
from wamkit.render.document import Column, Document

__all__ = ["shortform_document"]


def shortform_document(result: Any) -> Document:
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
    rows = []
    for s, v in d["subscales"].items():
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
        [
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
        ],
        note="omega total (psych one-factor) on held-out rows, mean over folds; information = mean test "
        "information over the theta range that counted; r pooled over all held-out rows",
    )
    if st["criterion"]:
        vrows = [
            {
                "subscale": s,
                "full": v["validity"]["full"]["estimate"],
                "short": v["validity"]["short"]["estimate"],
                "baseline": v["validity"]["baseline"]["estimate"],
                "baseline_kept": ", ".join(v["baseline"]["kept"]),
            }
            for s, v in d["subscales"].items()
        ]
        doc.heading(f"Validity against {st['criterion']} (held-out rows)")
        doc.table(
            vrows,
            [
                Column("subscale", kind="text"),
                Column("full", kind="r"),
                Column("short", kind="r"),
                Column("baseline", "baseline (bestScales-style)", kind="r"),
                Column("baseline_kept", "baseline kept", kind="text"),
            ],
        )
    fit = d["fit"]
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
    from wamkit.render.svg_information import information_svg

    for s in d["subscales"]:
        irt = result.irt.get(s)
        if irt is not None:
            v = d["subscales"][s]
            doc.figure(
                information_svg(
                    irt,
                    kept=v["kept"],
                    theta_range=tuple(v["information"]["theta_range"]),
                    title=f"{s}: item and test information",
                ),
                f"{s}: kept items solid, dropped dashed; the shaded range counted in the selection",
            )
    if d.get("warnings"):
        doc.heading("Warnings")
        doc.warnings(d["warnings"])
    return doc
