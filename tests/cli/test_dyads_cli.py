"""`wamkit dyads` and `wamkit report` from the command line: outputs, languages, pseudonymisation, refusals."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pandas as pd
import pytest

from conftest import EXAMPLES, sha256
from wamkit.design.read import read
from wamkit.dyads.analysis import dyads
from wamkit.dyads.sheet import sheet_filename
from wamkit.pseudonym import ENV_KEY, pseudonym
from wamkit.render.browser import find_chromium
from wamkit.results import to_jsonable

DEMO = EXAMPLES / "wam_demo.csv"
STUDY = EXAMPLES / "study.yaml"
BOTH = ["-i", "client=wam-demo-client", "-i", "professional=wam-demo-professional", "--rater", "rater"]
KEY = "a-secret-key-for-the-tests-0123456789"
DYAD_ID = re.compile(r"D\d{4}")
OFFICER_ID = re.compile(r"PO\d{3}")


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """Two caseloads of the demo as a data file and as a study file (the demo study's design)."""
    folder = tmp_path_factory.mktemp("small")
    raw = pd.read_csv(DEMO, dtype=str, keep_default_na=False)
    raw[raw["officer"].isin(["PO035", "PO008"])].to_csv(folder / "small.csv", index=False)
    study = STUDY.read_text().replace("path: wam_demo.csv", "path: small.csv")
    study = re.sub(r"outcomes:\n(  .*\n)+", "", study)
    (folder / "study.yaml").write_text(study)
    return folder


@pytest.fixture
def key_file(tmp_path):
    p = tmp_path / "key.txt"
    p.write_text(KEY + "\n")
    return p


def test_dyads_json_equals_library_result(cli, small):
    r = cli("dyads", "--study", small / "study.yaml", "--format", "json", "-q")
    assert r.code == 0, r.stderr
    assert r.stderr == ""
    payload = json.loads(r.stdout)
    prov = payload.pop("provenance")
    lib = dyads(read(study=str(small / "study.yaml")))
    assert payload == to_jsonable(lib.to_dict())
    assert prov["command"] == "dyads" and prov["inputs"][0]["sha256"] == sha256(small / "small.csv")
    assert prov["study"]["sha256"] == sha256(small / "study.yaml")
    assert {i["id"] for i in prov["instruments"]} == {"wam-demo-client", "wam-demo-professional"}
    s = prov["settings"]
    assert s["design"]["dyad"] == "dyad" and s["officer"] == "officer" and s["pairs"] == {"reactance": "loss_of_energy"}
    assert {"pairs", "agreement", "unpaired", "change", "alerts"} <= set(payload)
    assert [(a["subscale"], a["wave"]) for a in payload["agreement"]][:2] == [("trust", "T0"), ("trust", "T1")]


def test_dyads_demo_study_table_to_stdout_notes_to_stderr(cli):
    """``wamkit dyads --study examples/study.yaml`` with no other option."""
    r = cli("dyads", "--study", STUDY)
    assert r.code == 0, r.stderr
    assert r.stdout.startswith(
        "Client and professional: agreement, change and alerts — 400 dyads, 701 paired "
        "dyad-waves, 9 unpaired rows; waves T0, T1"
    )
    assert "Agreement per subscale and wave" in r.stdout and "Reliable change" in r.stdout
    assert "Reactance / Loss of energy" in r.stdout and "Caseloads per officer" in r.stdout
    assert "1826 alerts; 375 of 400 dyads have at least one." in r.stdout
    assert "note: 9 row(s) have no partner" in r.stderr and "Agreement" not in r.stderr


def test_old_option_spellings_still_work(cli, small):
    r = cli(
        "dyads",
        small / "small.csv",
        *BOTH,
        "--dyad",
        "dyad",
        "--wave",
        "wave",
        "--caseload",
        "officer",
        "--format",
        "json",
    )
    assert r.code == 0, r.stderr
    assert "--caseload is now --officer" in r.stderr
    payload = json.loads(r.stdout)
    assert payload["caseload"]["column"] == "officer"
    assert payload["shared"] == ["trust", "goals", "bond", "alliance"]  # no study: no declared pair


def test_dyads_csv_table(cli, tmp_path, small):
    out = tmp_path / "alerts.csv"
    r = cli("dyads", "--study", small / "study.yaml", "--format", "csv", "--table", "alerts", "-o", out, "-q")
    assert r.code == 0, r.stderr
    df = pd.read_csv(out)
    assert len(df) > 0
    assert list(df.columns) == [
        "dyad",
        "wave",
        "rule",
        "kind",
        "subscale",
        "rater",
        "value",
        "threshold",
        "wave_from",
        "message",
    ]


def test_dyads_html_md_and_languages(cli, tmp_path, small):
    html = tmp_path / "dyads.html"
    r = cli("dyads", "--study", small / "study.yaml", "-o", html, "--apim", "-q")
    assert r.code == 0, r.stderr
    h = html.read_text()
    assert h.startswith("<!DOCTYPE html>") and h.count("<svg") == 5 + 5  # Bland-Altman + APIM per pair
    assert "Bland–Altman plots" in h and "Actor–partner interdependence" in h and "<script" not in h
    md = tmp_path / "dyads.md"
    assert cli("dyads", "--study", small / "study.yaml", "-o", md, "--lang", "nl", "-q").code == 0
    text = md.read_text()
    assert "Overeenstemming per schaal en meting" in text and "Stroefheid / Energie- en regieverlies" in text
    assert "data:image/svg+xml;base64," in text
    rows = [ln for ln in text.splitlines() if ln.startswith("| Vertrouwen | T0 |")]
    # Dutch decimal commas in the tables, intervals as [a; b]; the English report keeps points
    assert rows and re.search(r"\| -?\d*,\d+ \|", rows[0]) and "; " in rows[0] and not re.search(r"\d\.\d", rows[0])
    r = cli("dyads", "--study", small / "study.yaml", "-o", md, "-q")
    assert r.code == 2 and "exists; add --force" in r.stderr


def test_dyads_single_instrument_with_rater_values(cli, tmp_path, small):
    raw = pd.read_csv(small / "small.csv", dtype=str, keep_default_na=False)
    raw["rater"] = raw["rater"].map({"client": "cl", "professional": "po"})
    p = tmp_path / "one.csv"
    raw.to_csv(p, index=False)
    r = cli(
        "dyads",
        p,
        "-i",
        "wam-demo-client",
        "--rater",
        "rater",
        "--dyad",
        "dyad",
        "--wave",
        "wave",
        "--client-value",
        "cl",
        "--professional-value",
        "po",
        "--format",
        "json",
        "-q",
    )
    assert r.code == 0, r.stderr
    assert json.loads(r.stdout)["shared"] == ["trust", "goals", "bond", "reactance", "alliance"]


def test_dyads_duplicate_rows_clear_error_no_output(cli, tmp_path, small):
    raw = (small / "small.csv").read_text().splitlines()
    p = tmp_path / "dup.csv"
    p.write_text("\n".join(raw + [raw[1]]) + "\n")
    before = sha256(p)
    out = tmp_path / "out.json"
    r = cli("dyads", p, *BOTH, "--dyad", "dyad", "--wave", "wave", "-o", out)
    assert r.code == 2
    assert f"duplicate rows for dyad D0001, wave T0, rater client: 2 rows (rows 1, {len(raw)})" in r.stderr
    assert "Traceback" not in r.stderr and not out.exists() and sha256(p) == before


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["--rater", "rater", "--dyad", "client_id"], "dyad: column 'client_id' is not in"),
        (["--rater", "rater", "--dyad", "dyad", "--wave", "wave", "--wave-order", "T1,T2"], "is not a declared wave"),
        (
            ["--rater", "rater", "--dyad", "dyad", "--format", "xml"],
            "--format must be one of table, json, csv, md, html",
        ),
        (
            ["--rater", "rater", "--dyad", "dyad", "--wave", "wave", "--table", "caseload", "--format", "csv"],
            "needs --officer",
        ),
        (["--rater", "rater", "--dyad", "dyad", "--table", "nope", "--format", "csv"], "--table must be one of"),
        (["--rater", "rater", "--dyad", "dyad", "--key-file", "k.txt"], "--key-file is only used with --pseudonymise"),
        (["--rater", "rater", "--dyad", "dyad", "--lang", "de"], "lang must be one of en, nl, fr"),
        (["--rater", "rater"], "dyads need the dyad column"),
    ],
)
def test_dyads_usage_errors(cli, small, args, fragment):
    r = cli(
        "dyads", small / "small.csv", "-i", "client=wam-demo-client", "-i", "professional=wam-demo-professional", *args
    )
    assert r.code == 2, r.stderr
    assert fragment in r.stderr
    assert "Traceback" not in r.stderr


def test_dyads_needs_rater_column(cli, small):
    r = cli("dyads", small / "small.csv", "-i", "wam-demo-client", "--dyad", "dyad")
    assert r.code == 2 and "rater=COLUMN" in r.stderr


def test_pseudonymise_refused_without_key(cli, monkeypatch, tmp_path, small):
    monkeypatch.delenv(ENV_KEY, raising=False)
    out = tmp_path / "o.json"
    r = cli("dyads", "--study", small / "study.yaml", "--pseudonymise", "-o", out)
    assert r.code == 2 and "needs a secret key" in r.stderr and not out.exists()
    r = cli("report", "--study", small / "study.yaml", "--pseudonymise", "dyad", "--all", "-o", tmp_path / "sheets")
    assert r.code == 2 and "needs a secret key" in r.stderr and not (tmp_path / "sheets").exists()


def test_dyad_id_never_in_pseudonymised_outputs(cli, tmp_path, key_file, monkeypatch, small):
    """JSON, csv, reports, sheets, the index and file names: no original dyad (or officer) id anywhere."""
    monkeypatch.delenv(ENV_KEY, raising=False)
    monkeypatch.setenv("WAMKIT_CHROMIUM", str(tmp_path / "no-chromium"))  # the PDF holds the sheets' text
    data = small / "small.csv"  # the file name must not carry ids either
    common = [*BOTH, "--dyad", "dyad", "--wave", "wave", "--key-file", key_file]
    texts = []
    r = cli(
        "dyads",
        data,
        *common,
        "--pseudonymise",
        "--officer",
        "officer",
        "--min-cell",
        "3",
        "--where",
        "officer=PO035",
        "--format",
        "json",
    )
    assert r.code == 0, r.stderr
    texts += [r.stdout, r.stderr]
    payload = json.loads(r.stdout)
    assert payload["provenance"]["settings"]["where"] == [f"officer={pseudonym('PO035', KEY.encode(), prefix='G-')}"]
    assert payload["pairs"][0]["dyad"].startswith("P-") and payload["caseload"]["scores"][0]["group"].startswith("G-")
    for fmt, table in (("csv", "alerts"), ("csv", "caseload"), ("html", "pairs")):
        out = tmp_path / f"{table}.{fmt}"
        r = cli(
            "dyads",
            data,
            *common,
            "--pseudonymise",
            "dyad",
            "--pseudonymise",
            "officer",
            "--officer",
            "officer",
            "--format",
            fmt,
            "--table",
            table,
            "-o",
            out,
        )
        assert r.code == 0, r.stderr
        texts += [out.read_text(), r.stderr]
    folder = tmp_path / "sheets"
    r = cli("report", data, *common, "--pseudonymise", "--all", "-o", folder)
    assert r.code == 0, r.stderr
    texts.append(r.stderr)
    files = sorted(folder.iterdir())
    assert len(files) == pd.read_csv(data)["dyad"].nunique() + 1  # the sheets and index.html
    for f in files:
        assert not DYAD_ID.search(f.name)
        texts.append(f.read_text())
    one = tmp_path / "one.html"
    r = cli("report", data, *common, "--pseudonymise", "--dyad-id", "D0001", "-o", one)
    assert r.code == 0, r.stderr
    texts += [one.read_text(), r.stderr]
    assert pseudonym("D0001", KEY.encode()) in one.read_text()
    assert (folder / sheet_filename(pseudonym("D0001", KEY.encode()))).read_text() == one.read_text()
    for t in texts:
        assert not DYAD_ID.search(t), DYAD_ID.search(t)
        assert not OFFICER_ID.search(t), OFFICER_ID.search(t)


def test_same_key_same_pseudonyms_env_or_file(cli, key_file, monkeypatch, small):
    args = ["dyads", "--study", small / "study.yaml", "--pseudonymise", "dyad", "--format", "csv", "-q"]
    r1 = cli(*args, "--key-file", key_file)
    monkeypatch.setenv(ENV_KEY, KEY)
    r2 = cli(*args)
    assert r1.code == r2.code == 0
    assert r1.stdout == r2.stdout and pseudonym("D0001", KEY.encode()) in r1.stdout  # another key: another name


def test_report_one_dyad_to_file_and_stdout(cli, tmp_path, small):
    out = tmp_path / "sheet.html"
    r = cli("report", "--study", small / "study.yaml", "--dyad-id", "D0001", "-o", out)
    assert r.code == 0, r.stderr
    h = out.read_text()
    assert "<svg" in h and "D0001" in h and "Trust" in h and "Reactance / Loss of energy" in h
    r = cli("report", "--study", small / "study.yaml", "--dyad-id", "D0001", "-q")
    assert r.code == 0 and r.stdout == h


def test_report_old_spelling_and_dutch(cli, tmp_path, small):
    out = tmp_path / "blad.html"
    r = cli(
        "report",
        small / "small.csv",
        *BOTH,
        "--dyad-column",
        "dyad",
        "--wave",
        "wave",
        "--dyad",
        "D0001",
        "--lang",
        "nl",
        "-o",
        out,
    )
    assert r.code == 0, r.stderr
    assert "--dyad-column is now --dyad" in r.stderr and "report --dyad ID is now --dyad-id ID" in r.stderr
    h = out.read_text()
    assert '<html lang="nl">' in h and "Onze werkalliantie: reflectieblad" in h and "Vertrouwen" in h
    assert "Stroefheid" in h and "Energie- en regieverlies" in h and "Punten om over te praten" in h
    assert re.search(r"<td class=\"num\">\d,\d\d</td>", h)  # decimal comma


def test_report_all_writes_sheets_index_and_one_pdf(cli, tmp_path, small):
    folder = tmp_path / "out"
    dyad_ids = ["D0001", "D0017", "D0041"]
    r = cli(
        "report",
        "--study",
        small / "study.yaml",
        "--where",
        "dyad=" + ",".join(dyad_ids),
        "--all",
        "--lang",
        "fr",
        "-o",
        folder,
    )
    assert r.code == 0, r.stderr
    names = {p.name for p in folder.iterdir()}
    sheets = {sheet_filename(d) for d in dyad_ids}
    index = (folder / "index.html").read_text()
    assert "Fiches de réflexion" in index and all(s in index for s in sheets)
    if find_chromium() is None:
        assert names == sheets | {"index.html"} and "no reflection-sheets.pdf written" in r.stderr
        pytest.skip("chromium is not installed: the combined PDF was skipped with a note (checked)")
    assert names == sheets | {"index.html", "reflection-sheets.pdf"}
    pdf = (folder / "reflection-sheets.pdf").read_bytes()
    assert max(int(c) for c in re.findall(rb"/Count (\d+)", pdf)) == len(dyad_ids)  # one A4 page per dyad
    assert 'href="reflection-sheets.pdf"' in index
    r = cli("report", "--study", small / "study.yaml", "--where", "dyad=D0001", "--all", "-o", folder)
    assert r.code == 2 and "exists; add --force" in r.stderr


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["--dyad-id", "D9999"], "dyad 'D9999' is not in the data"),
        ([], "give --dyad-id ID"),
        (["--all"], "several sheets need a folder"),
        (["--all", "--dyad-id", "D0001"], "either --dyad-id ID or --all"),
        (["--dyad-id", "D0001", "--format", "md"], "reflection sheets are html"),
    ],
)
def test_report_usage_errors(cli, small, args, fragment):
    r = cli("report", "--study", small / "study.yaml", *args)
    assert r.code == 2, r.stderr
    assert fragment in r.stderr and "Traceback" not in r.stderr


def test_cli_module_imports_no_pandas():
    code = (
        "import sys, wamkit.cli.dyads; "
        "bad = [m for m in ('pandas', 'numpy', 'scipy') if m in sys.modules]; "
        "sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_study_analyses_turn_on_apim_and_the_flag_turns_it_off(cli, small, tmp_path):
    study = tmp_path / "study.yaml"
    text = (small / "study.yaml").read_text().replace("path: small.csv", f"path: {small / 'small.csv'}")
    study.write_text(text + "analyses: {apim: true}\n")
    args = ("dyads", "--study", study, "--where", "officer=PO035", "--format", "json", "-q")
    on = json.loads(cli(*args).stdout)
    assert on["settings"]["apim"] is True and len(on["apim"]) == 5  # four subscale pairs and the total, T0 -> T1
    off = json.loads(cli(*args, "--no-apim").stdout)
    assert off["settings"]["apim"] is False and off["apim"] is None
    bad = tmp_path / "bad.yaml"
    bad.write_text(text + "analyses: {apm: true}\n")
    r = cli("dyads", "--study", bad, "-q")
    assert r.code == 2 and "analyses" in r.stderr and "apm" in r.stderr and len(r.stderr.strip().splitlines()) == 1
