"""Render a reflection sheet in a real headless browser (Debian's chromium) and check the rendered page.

Skipped, with the reason shown, when chromium is not installed (`apt-get install -y chromium`;
`.ci/run` installs it).
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
from wamkit.dyads.analysis import dyads
from wamkit.dyads.sheet import sheet_filename, sheets_data
from wamkit.instrument import load_instrument
from wamkit.render.sheet import sheet_html

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
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (apt-get install -y chromium); the rendered-page checks did not run",
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # any network request would fail: the page must not need one
    "--host-resolver-rules=MAP * ~NOTFOUND",
]


def chromium(tmp_path, *args, timeout=90):
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *map(str, args)],
        capture_output=True,
        timeout=timeout,
        cwd=tmp_path,
    )


@pytest.fixture(scope="module")
def analysis():
    return dyads(read(study=str(EXAMPLES / "study.yaml")))


@pytest.fixture(scope="module")
def sheet(analysis):
    # D0354 has many alerts and the longest texts in French: the longest sheet
    data = sheets_data(analysis, ["D0006", "D0354"])
    ins = {r: load_instrument(i["id"]) for r, i in analysis.instruments.items()}
    longest = data["D0354"]
    return [(sheet_filename(d), sheet_html(s, "en")) for d, s in data.items()] + [
        (f"sheet-{lang}.html", sheet_html(longest, lang)) for lang in ("nl", "fr")
    ], ins


def write(tmp_path, sheet):
    p = tmp_path / sheet[0]
    p.write_text(sheet[1], encoding="utf-8")
    return p


def test_rendered_dom_has_subscales_svg_and_sections(tmp_path, sheet):
    s, ins = sheet[0][0], sheet[1]
    r = chromium(tmp_path, "--dump-dom", write(tmp_path, s).as_uri())
    dom = r.stdout.decode("utf-8", "replace")
    assert r.returncode == 0 and "<body" in dom, r.stderr.decode()[-2000:]
    assert "<svg" in dom and "<rect" in dom
    for name in {sub.name for form in ins.values() for sub in form.subscales}:
        assert name in dom, name
    assert "D0006" in dom and "Points to talk about" in dom and "What the subscales mean" in dom


def test_screenshot_is_an_a4_sized_png(tmp_path, sheet):
    s = sheet[0][0]
    png = tmp_path / "sheet.png"
    r = chromium(
        tmp_path, f"--screenshot={png}", "--window-size=794,1123", "--hide-scrollbars", write(tmp_path, s).as_uri()
    )
    assert r.returncode == 0 and png.exists(), r.stderr.decode()[-2000:]
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (794, 1123)
    assert len(data) > 30_000  # a drawn page, not a blank one


@pytest.mark.parametrize("which", range(4))  # D0006, D0354 in en; D0354 in nl and fr (the longest texts)
def test_prints_on_one_a4_page(tmp_path, sheet, which):
    s = sheet[0][which]
    pdf = tmp_path / "sheet.pdf"
    r = chromium(tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", write(tmp_path, s).as_uri())
    assert r.returncode == 0 and pdf.exists(), r.stderr.decode()[-2000:]
    data = pdf.read_bytes()
    counts = [int(c) for c in re.findall(rb"/Count (\d+)", data)]
    assert counts and max(counts) == 1, counts
    # A4 MediaBox: 595.x by 841.x points
    box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    assert box and abs(float(box.group(1)) - 595.3) < 1.5 and abs(float(box.group(2)) - 841.9) < 1.5


def test_dyads_report_fits_1280px_without_horizontal_overflow(tmp_path, cli):
    out = tmp_path / "dyads.html"
    r = cli(
        "dyads", "--study", EXAMPLES / "study.yaml", "--where", "officer=PO035,PO008,PO002", "--apim", "-o", out, "-q"
    )
    assert r.code == 0, r.stderr
    # a copy with a probe writing the page's scroll width into the DOM (the report itself has no script)
    probe = tmp_path / "probe.html"
    probe.write_text(
        out.read_text().replace(
            "</body>",
            "<script>document.body.setAttribute('data-width', "
            "document.documentElement.scrollWidth + 'x' + "
            "document.documentElement.clientWidth)</script></body>",
        )
    )
    shot = tmp_path / "dyads.png"  # one browser run: the DOM with the probe's width and a screenshot
    rendered = chromium(
        tmp_path, "--window-size=1280,2400", "--dump-dom", f"--screenshot={shot}", "--hide-scrollbars", probe.as_uri()
    )
    dom = rendered.stdout.decode("utf-8", "replace")
    width = re.search(r'data-width="(\d+)x(\d+)"', dom)
    assert rendered.returncode == 0 and width, rendered.stderr.decode()[-2000:]
    assert int(width.group(1)) <= int(width.group(2)) <= 1280  # nothing wider than the window
    assert dom.count("<svg") == 10 and "Bland–Altman plots" in dom
    assert shot.exists() and shot.stat().st_size > 30_000


@pytest.mark.parametrize(
    "command,needle",
    [
        (
            [
                "validate",
                str(EXAMPLES / "wam_demo.csv"),
                "-i",
                "wam-demo-client",
                "--where",
                "rater=client",
                "--group",
                "wave",
                "--skip",
                "parallel",
            ],
            ["Reliability", "Measurement invariance by wave", "<svg"],
        ),
        (
            [
                "outcomes",
                str(EXAMPLES / "wam_demo.csv"),
                "--outcomes",
                str(EXAMPLES / "wam_demo_outcomes.csv"),
                "--on",
                "dyad",
                "-i",
                "client=wam-demo-client",
                "-i",
                "professional=wam-demo-professional",
                "--rater",
                "rater",
                "--wave",
                "wave",
                "--outcome",
                "stagnations:count",
                "--event",
                "rearrest:days_to_rearrest",
                "--surface",
            ],
            ["Alliance and stagnations", "Models of rearrest", "<svg"],
        ),
    ],
)
def test_validate_and_outcomes_reports_render_offline(tmp_path, cli, command, needle):
    out = tmp_path / "report.html"
    r = cli(*command, "--format", "html", "-o", out)
    assert r.code == 0, r.stderr
    shot = tmp_path / "shot.png"
    rendered = chromium(tmp_path, "--dump-dom", f"--screenshot={shot}", "--window-size=1000,1400", out.as_uri())
    dom = rendered.stdout.decode("utf-8", "replace")
    assert rendered.returncode == 0 and "<body" in dom, rendered.stderr.decode()[-2000:]
    for n in needle:
        assert n in dom
    assert shot.exists() and shot.stat().st_size > 10_000  # something was drawn
