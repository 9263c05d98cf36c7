"""The one number formatter and the renderers built on it."""

from __future__ import annotations

import math
import re

import pytest

from wamkit.render import format as nf
from wamkit.render.document import Column, Document
from wamkit.render.html import render_html
from wamkit.render.markdown import render_markdown
from wamkit.render.text import render_text


@pytest.mark.parametrize(
    "kind,value,text",
    [
        ("num", 0.81234, "0.812"),
        ("num", 12.0, "12"),
        ("num", -0.0001, "-1.00e-04"),
        ("num", -0.0004, "-4.00e-04"),
        ("num", float("nan"), nf.MISSING),
        ("num", None, nf.MISSING),
        ("int", 399.6, "400"),
        ("r", -0.1449, "-.14"),
        ("r", 0.004, ".00"),
        ("r", -0.004, ".00"),
        ("r", 1.0, "1.00"),
        ("p", 0.0123, ".012"),
        ("p", 0.0004, "< .001"),
        ("p", 1.0, "1.000"),
        ("pct", 0.125, "12.5%"),
        ("signed", 0.4, "+0.40"),
        ("signed", -1.25, "-1.25"),
        ("signed", 0.0, "0.00"),
        ("text", ["a", "b"], "a, b"),
    ],
)
def test_kinds(kind, value, text):
    assert nf.fmt(value, kind) == text


def test_ci_and_no_negative_zero():
    assert nf.ci(-0.2213, 0.0499, 2, "r") == "[-.22, .05]"
    assert nf.num(-1e-9, 3) == "-1.00e-09" and nf.num(-0.0000001, 2) == "-1.00e-07"
    assert nf.num(-0.0, 3) == "0" and not nf.num(-0.0004, 2).startswith("-0.00")


def test_one_document_three_renderers():
    doc = Document("t", subtitle="sub")
    doc.heading("Section").paragraph("text").bullets(["one"]).note("careful", "warning")
    doc.table(
        [{"name": "x|y", "r": -0.25, "lo": -0.3, "hi": -0.2, "p": 0.0004}],
        [Column("name", kind="text"), Column("r", kind="r"), Column(("lo", "hi"), "CI", "r"), Column("p", kind="p")],
    )
    text, md, html = render_text(doc), render_markdown(doc), render_html(doc)
    for out in (text, md, html):
        assert "-.25" in out and "[-.30, -.20]" in out and "&lt; .001" in out or "< .001" in out
    assert "x\\|y" in md and "| :--- |" not in md and "|:---|" in md
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html and "x|y" in html
    assert "warning: careful" in text and "<b>warning:</b> careful" in html


def test_csv_and_json_numbers_have_no_binary_noise(cli, tmp_path):
    import json

    r = cli("score", "--study", "examples/study.yaml", "-q")
    assert r.code == 0, r.stderr
    assert "3.8000000000000003" not in r.stdout and not re.search(r"\d\.\d{16,}", r.stdout)
    r = cli("score", "--study", "examples/study.yaml", "-q", "--format", "json")
    payload = json.loads(r.stdout)
    values = [v for row in payload["scores"] for v in row.values() if isinstance(v, float)]
    assert values and all(v == float(f"{v:.15g}") for v in values if math.isfinite(v))


def test_dutch_excel_dialect(cli):
    r = cli("score", "--study", "examples/study.yaml", "-q", "--csv-dialect", "excel-nl")
    assert r.code == 0, r.stderr
    first, second = r.stdout_bytes.splitlines()[:2]
    assert first.startswith(b"\xef\xbb\xbf") and b";" in first and b"4,4" in second


def test_tables_go_to_stdout_and_notes_to_stderr(cli, tmp_path):
    r = cli(
        "validate",
        "--study",
        "examples/study.yaml",
        "--role",
        "client",
        "--where",
        "wave=T0",
        "--skip",
        "parallel",
        "--skip",
        "efa",
        "--skip",
        "cfa",
    )
    assert r.code == 0 and "Reliability" in r.stdout and "Reliability" not in r.stderr
    out = tmp_path / "report.txt"
    r = cli(
        "validate",
        "--study",
        "examples/study.yaml",
        "--role",
        "client",
        "--where",
        "wave=T0",
        "--skip",
        "parallel",
        "--skip",
        "efa",
        "--skip",
        "cfa",
        "-o",
        out,
    )
    assert r.code == 0 and "Reliability" in out.read_text() and r.stdout == ""
