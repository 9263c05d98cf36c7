"""The outcomes report (wamkit.render.reports.outcomes): compact APA-style tables that fit one screen.

The HTML is rendered in a real headless browser (Debian's chromium, as tests/test_browser_render.py)
at 1280 px: the page must not scroll sideways and no table may overflow its box. Skipped, with the
reason shown, when chromium is not installed.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess

import pytest

from conftest import EXAMPLES
from wamkit.design.read import read
from wamkit.outcomes import outcomes
from wamkit.render.document import Figure, Heading, Note, Paragraph, Table
from wamkit.render.html import render_html
from wamkit.render.markdown import render_markdown

CHROMIUM = next(
    (
        p
        for p in (
            os.environ.get("WAMKIT_CHROMIUM"),
            "/usr/bin/chromium",
            shutil.which("chromium"),
            shutil.which("chromium-browser"),
        )
        if p and os.path.exists(p)
    ),
    None,
)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (apt-get install -y chromium); the 1280-px rendering checks did not run",
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]
#: measures the rendered page: document width, the worst overflow of any table box, the right edge of
#: the widest table; written into the DOM so that --dump-dom shows it
MEASURE = """<script>window.addEventListener('load', () => {
  let worst = 0, right = 0;
  document.querySelectorAll('.wk-wrap, table, figure').forEach(e => {
    worst = Math.max(worst, e.scrollWidth - e.clientWidth);
    right = Math.max(right, e.getBoundingClientRect().right); });
  document.body.setAttribute('data-measure', [document.documentElement.scrollWidth, worst, right].join(','));
});</script>"""


@pytest.fixture(scope="module")
def result():
    return outcomes(
        read(study=str(EXAMPLES / "study.yaml")),
        discrepancy=True,
        interaction="goals:reactance",
        surface=True,
        time_varying=True,
    )


@pytest.fixture(scope="module")
def doc(result):
    return result.document()


def test_one_correlation_and_one_model_table_per_outcome(doc, result):
    tables = [b for b in doc.blocks if isinstance(b, Table)]
    titles = [t.title for t in tables]
    for o in ("stagnations", "dropout", "rearrest"):
        assert f"Alliance and {o}" in " ".join(titles)
        assert sum(t.endswith(f"Models of {o}") for t in titles) == 1
    corr = next(t for t in tables if t.title.endswith("Alliance and stagnations"))
    assert corr.headers == [
        "Predictor",
        "client T0",
        "p (adj.)",
        "client T1",
        "p (adj.)",
        "professional T0",
        "p (adj.)",
        "professional T1",
        "p (adj.)",
    ]
    rows = corr.rows()
    trust = rows[0]
    assert trust[0] == "trust" and re.fullmatch(r"-\.\d\d \[-\.\d\d, -\.\d\d\]", trust[1])
    assert rows[-1][0] == "n" and re.fullmatch(r"\d+(–\d+)?", rows[-1][1])
    models = next(t for t in tables if t.title.endswith("Models of rearrest"))
    assert models.headers[:2] == ["Model", "Predictor"]
    assert {r[0] for r in models.rows()} >= {"Cox\u00a0HR", "n", "events", "landmark (days)"}
    assert "HR = hazard ratio per scale point of the predictor" in models.note
    assert any("time-varying covariate" in t for t in titles)
    assert any("client - professional differences" in t for t in titles)


def test_settings_paragraph_warnings_as_notes_and_no_result_dump(doc, result):
    text = next(b.text for b in doc.blocks if isinstance(b, Paragraph))
    assert "p values adjusted (holm) within families of the 3 named outcomes × 6 predictors" in text
    assert "cluster-robust by officer (influence-function SE, as lavaan MLR)" in text and "landmark" in text
    notes = [b for b in doc.blocks if isinstance(b, Note)]
    assert len(notes) == len(result.warnings) and all(n.kind == "warning" for n in notes)
    assert not any(isinstance(b, Heading) and b.text == "All results" for b in doc.blocks)
    md = render_markdown(doc)
    assert md.count("\n- ") == 0  # no bullet list of results
    assert "| Predictor | client T0 | p (adj.) |" in md


def test_significant_surfaces_are_drawn(doc, result):
    figures = [b for b in doc.blocks if isinstance(b, Figure)]
    significant = {(s.outcome, s.result.model) for s in result.response_surfaces if s.significant}
    first_models = {(o, ms[0]) for o, ms in result.settings["models"].items()}
    assert len(figures) == len(significant & first_models) >= 1
    svg = figures[0].svg
    assert (
        svg.startswith("<svg")
        and 'stroke-dasharray="5 4"' in svg
        and "http" not in svg.replace("http://www.w3.org", "")
    )


def chromium(tmp_path, *args):
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *map(str, args)],
        capture_output=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
    )


@needs_chromium
def test_html_fits_1280_px_without_horizontal_overflow(tmp_path, doc):
    page = render_html(doc)
    assert "<script" not in page
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    r = chromium(tmp_path, "--window-size=1280,1000", "--dump-dom", probe.as_uri())
    found = re.search(r'data-measure="(\d+),(-?\d+(?:\.\d+)?),(\d+(?:\.\d+)?)"', r.stdout.decode("utf-8", "replace"))
    assert r.returncode == 0 and found, r.stderr.decode()[-2000:]
    width, worst, right = (float(x) for x in found.groups())
    assert width <= 1280, "the page scrolls sideways"
    assert worst <= 0, "a table overflows its box"
    assert right <= 1280
    report = tmp_path / "report.html"
    report.write_text(page, encoding="utf-8")
    shot = tmp_path / "report.png"
    chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2400", report.as_uri())
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == (1280, 2400)
    assert len(data) > 50_000  # a drawn page, not a blank one
