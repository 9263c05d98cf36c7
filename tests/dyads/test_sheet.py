"""Reflection sheets (data and HTML) and the language catalogues."""

from __future__ import annotations

import html
import re

import pytest

from conftest import EXAMPLES
from wamkit.design.read import read
from wamkit.dyads.analysis import dyads
from wamkit.dyads.sheet import MAX_ITEMS, sheet_data, sheet_filename, sheets_data
from wamkit.errors import UsageError
from wamkit.instrument import load_instrument
from wamkit.render.i18n import LANGS, catalogue, placeholders
from wamkit.render.sheet import MAX_ALERTS, book_html, index_html, reflection_sheet, sheet_html

DEMO = EXAMPLES / "wam_demo.csv"


@pytest.fixture(scope="module")
def analysis():
    """Two caseloads of the demo study (with its pair reactance / loss_of_energy)."""
    return dyads(read(study=str(EXAMPLES / "study.yaml"), where=["officer=PO035,PO008"]))


# ----------------------------------------------------------------------------- catalogues


def test_catalogues_have_the_same_keys_and_placeholders():
    en = catalogue("en").texts
    for lang in LANGS:
        texts = catalogue(lang).texts
        assert set(texts) == set(en), (lang, set(texts) ^ set(en))
        for key, text in texts.items():
            assert placeholders(text) == placeholders(en[key]), (lang, key)
            assert text.strip(), (lang, key)
    assert catalogue("nl").number("2.80") == "2,80" and catalogue("en").number("2.80") == "2.80"
    with pytest.raises(UsageError, match="lang must be one of en, nl, fr, not 'de'"):
        catalogue("de")


# ----------------------------------------------------------------------------- sheet data


def test_sheet_data_lines_latest_wave_change_items_alerts(analysis):
    d = sheet_data(analysis, "D0001")
    assert [(ln.id, ln.client, ln.professional) for ln in d.lines] == [
        ("trust", "trust", "trust"),
        ("goals", "goals", "goals"),
        ("bond", "bond", "bond"),
        ("reactance/loss_of_energy", "reactance", "loss_of_energy"),
        ("alliance", "alliance", "alliance"),
    ]
    assert d.waves == ("T0", "T1") and d.latest == "T1" and d.previous == "T0"
    p = analysis.pairs
    row = p[(p.dyad == "D0001") & (p.wave == "T1") & (p.subscale == "trust")].iloc[0]
    latest = {r["subscale"]: r for r in d.latest_rows}
    assert latest["trust"]["client"] == row.client and latest["trust"]["difference"] == row.difference
    assert (
        d.profile[("T0", "professional", "reactance/loss_of_energy")]
        == analysis.scores.query("dyad == 'D0001' and wave == 'T0' and rater == 'professional'")["loss_of_energy"].iloc[
            0
        ]
    )
    ch = {c["id"]: c for c in d.change}
    c = analysis.change.query("dyad == 'D0001' and rater == 'client' and subscale == 'trust'").iloc[0]
    assert ch["trust"]["client"] == c.change and ch["trust"]["client_reliable"] == (
        c.classification != "no reliable change"
    )
    assert len(d.items) <= MAX_ITEMS and all(i["abs_difference"] > 0 for i in d.items)
    assert [i["abs_difference"] for i in d.items] == sorted((i["abs_difference"] for i in d.items), reverse=True)
    al = analysis.alerts[analysis.alerts.dyad == "D0001"]
    assert [a["rule"] for a in d.alerts] == al["rule"].tolist()[::-1]  # latest first


def test_sheets_of_all_dyads_and_an_unknown_dyad(analysis):
    every = sheets_data(analysis)
    assert list(every) == analysis.dyads
    assert len({sheet_filename(x) for x in every}) == len(every)
    with pytest.raises(UsageError, match=r"dyad 'D9999' is not in the data \(dyads: D0001, "):
        sheet_data(analysis, "D9999")


def test_sheet_filename_is_safe():
    assert sheet_filename("../etc/passwd") == "reflection-sheet-_etc_passwd.html"
    assert sheet_filename("D 1/2") == "reflection-sheet-D_1_2.html"


# ----------------------------------------------------------------------------- HTML


def test_sheet_is_self_contained_and_complete(analysis):
    h = reflection_sheet(analysis, "D0001")
    assert h.startswith("<!DOCTYPE html>") and "<svg" in h and "@media print" in h and "size: A4" in h
    for bad in ("<script", "<link", "<img", "<iframe", "url(", "@import", "src="):
        assert bad not in h.lower(), bad
    assert re.findall(r"https?://[^\s\"'<>]+", h) == ["http://www.w3.org/2000/svg"]  # SVG namespace only
    for form in ("wam-demo-client", "wam-demo-professional"):
        for sub in load_instrument(form).subscales:
            assert html.escape(sub.name) in h and html.escape(sub.description) in h
    assert "Reactance / Loss of energy" in h and "D0001" in h and "D0017" not in h
    assert "Points to talk about" in h and "Change since the last wave (T0 → T1)" in h and "differ most" in h
    row = analysis.pairs.query("dyad == 'D0001' and wave == 'T1' and subscale == 'trust'").iloc[0]
    assert f'<td class="num">{row.client:.2f}</td>' in h and f"{row.professional:.2f}" in h


@pytest.mark.parametrize(
    "lang, words, english",
    [
        (
            "nl",
            [
                "Onze werkalliantie: reflectieblad",
                "Vertrouwen",
                "Richting en kader",
                "Stroefheid / Energie- en regieverlies",
                "Punten om over te praten",
                "Wat de schalen betekenen",
                "meting T1",
                "cliënt",
            ],
            ["Points to talk about", "What the subscales mean", "Reactance", "Scores and differences"],
        ),
        (
            "fr",
            [
                "Notre alliance de travail : fiche de réflexion",
                "Confiance",
                "Objectifs et cadre",
                "Réactance / Perte d'énergie",
                "Points à discuter",
                "Ce que les échelles signifient",
                "temps T1",
            ],
            ["Points to talk about", "What the subscales mean", "Goals/restriction", "Scores and differences"],
        ),
    ],
)
def test_sheet_in_the_clients_language(analysis, lang, words, english):
    h = reflection_sheet(analysis, "D0001", lang)
    assert f'<html lang="{lang}">' in h
    for w in words:
        assert html.escape(w) in h, w
    for w in english:
        assert w not in h, w
    assert re.search(r'<td class="num">\d,\d\d</td>', h) and not re.search(r'<td class="num">\d\.\d\d</td>', h)
    d = sheet_data(analysis, "D0001")
    for a in d.alerts[:MAX_ALERTS]:  # alerts are sentences of the catalogue, not the English message
        assert html.escape(a["message"]) not in h


def test_sheet_without_waves_and_single_occasion(tmp_path):
    data = read(
        str(DEMO),
        instrument={"client": "wam-demo-client", "professional": "wam-demo-professional"},
        rater="rater",
        dyad="dyad",
        where=["wave=T1", "officer=PO035"],
    )
    res = dyads(data)
    assert res.wave_order == () and res.pairs["wave"].isna().all() and len(res.change) == 0
    h = reflection_sheet(res, res.dyads[0])
    assert "<svg" in h and "No earlier wave to compare with." in h and "wave T1" not in h and ">scores<" in h


def test_book_and_index(analysis):
    sheets = list(sheets_data(analysis, ["D0001", "D0017"]).values())
    book = book_html(sheets, "nl")
    assert book.count('<section class="sheet">') == 2 and "break-after: page" in book and '<html lang="nl">' in book
    files = {s.dyad: sheet_filename(s.dyad) for s in sheets}
    idx = index_html(sheets, files, pdf="reflection-sheets.pdf", note=None, lang="fr")
    assert 'href="reflection-sheet-D0001.html"' in idx and 'href="reflection-sheets.pdf"' in idx
    assert "Fiches de réflexion" in idx
    idx = index_html(sheets, files, pdf=None, note="no Chromium found", lang="en")
    assert "no Chromium found" in idx and ".pdf" not in idx
    assert sheet_html(sheets[0], "en") == reflection_sheet(analysis, "D0001", "en")
