"""`wamkit dyads` and `wamkit report` from the command line: outputs, pseudonymisation, refusals."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pandas as pd
import pytest

from conftest import EXAMPLES, sha256
from wamkit.dyads.alerts import load_alert_rules
from wamkit.scoring.multi import ReadOptions, load_instrument_specs, read_multi_table
from wamkit.dyads.analysis import analyse_dyads, sheet_filename
from wamkit.pseudonym import ENV_KEY, pseudonym
from wamkit.results import to_jsonable

DEMO = EXAMPLES / "wam_demo.csv"
BOTH = ["-i", "client=wam-demo-client", "-i", "professional=wam-demo-professional", "--rater", "rater"]
DYADS = ["dyads", DEMO, *BOTH, "--dyad", "dyad", "--wave", "wave"]
REPORT = ["report", DEMO, *BOTH, "--dyad-column", "dyad", "--wave", "wave"]
KEY = "a-secret-key-for-the-tests-0123456789"
DYAD_ID = re.compile(r"D\d{4}")
OFFICER_ID = re.compile(r"PO\d{3}")


@pytest.fixture
def key_file(tmp_path):
    p = tmp_path / "key.txt"
    p.write_text(KEY + "\n")
    return p


def test_dyads_json_equals_library_result(cli):
    r = cli(*DYADS, "--caseload", "officer", "--format", "json", "-q")
    assert r.code == 0, r.stderr
    payload = json.loads(r.stdout)
    prov = payload.pop("provenance")
    ins = load_instrument_specs(BOTH[1:4:2], "rater")
    table = read_multi_table(str(DEMO), ins)
    lib = analyse_dyads(table.frame, instruments=ins, dyad="dyad", rater="rater", wave="wave",
                        caseload="officer", rules=load_alert_rules(), read_options=ReadOptions(),
                        source=table.source)
    assert payload == to_jsonable(lib.to_dict())
    assert prov["command"] == "dyads" and prov["inputs"][0]["sha256"] == sha256(DEMO)
    assert {i["id"] for i in prov["instruments"]} == {"wam-demo-client", "wam-demo-professional"}
    assert prov["settings"]["dyad"] == "dyad" and prov["settings"]["caseload"] == "officer"
    # stable keys of the issue
    assert {"pairs", "agreement", "unpaired", "change", "alerts"} <= set(payload)
    assert set(payload["agreement"]["trust"]) >= {"icc_a1", "icc_c1", "mean_difference", "loa_low", "loa_high",
                                                  "n_pairs"}
    assert r.stderr == ""


def test_dyads_table_output_goes_to_stderr(cli):
    r = cli(*DYADS)
    assert r.code == 0, r.stderr
    assert r.stdout == ""
    text = " ".join(r.stderr.split())  # rich wraps lines at the terminal width
    assert "Client vs professional agreement" in text and "Reliable change" in text
    assert "alerts: 1662" in text and "400 dyads, 701 paired dyad-waves, 9 unpaired rows" in text


@pytest.mark.parametrize("table,columns", [
    ("pairs", ["dyad", "wave", "subscale", "client", "professional", "difference", "abs_difference",
               "reliable_difference", "flag"]),
    ("alerts", ["dyad", "wave", "rule", "kind", "subscale", "rater", "value", "threshold", "message"]),
    ("unpaired", ["dyad", "wave", "rater", "row"]),
])
def test_dyads_csv_tables(cli, tmp_path, table, columns):
    out = tmp_path / f"{table}.csv"
    r = cli(*DYADS, "--format", "csv", "--table", table, "-o", out, "-q")
    assert r.code == 0, r.stderr
    df = pd.read_csv(out)
    assert list(df.columns) == columns
    assert len(df) > 0


def test_dyads_single_instrument_with_rater_values(cli, tmp_path):
    raw = pd.read_csv(DEMO, dtype=str, keep_default_na=False)
    raw["rater"] = raw["rater"].map({"client": "cl", "professional": "po"})
    p = tmp_path / "one.csv"
    raw.to_csv(p, index=False)
    r = cli("dyads", p, "-i", "wam-demo-client", "--rater", "rater", "--dyad", "dyad", "--wave", "wave",
            "--client-value", "cl", "--professional-value", "po", "--format", "json", "-q")
    assert r.code == 0, r.stderr
    payload = json.loads(r.stdout)
    assert payload["shared"] == ["trust", "goals", "bond", "reactance", "alliance"]


def test_dyads_duplicate_rows_clear_error_no_output(cli, tmp_path):
    raw = DEMO.read_text().splitlines()
    p = tmp_path / "dup.csv"
    p.write_text("\n".join(raw + [raw[1]]) + "\n")
    before = sha256(p)
    out = tmp_path / "out.json"
    r = cli("dyads", p, *BOTH, "--dyad", "dyad", "--wave", "wave", "-o", out)
    assert r.code == 2
    assert "duplicate rows for dyad D0001, wave T0, rater client: 2 rows (rows 1, 1412)" in r.stderr
    assert "Traceback" not in r.stderr and not out.exists() and sha256(p) == before


@pytest.mark.parametrize("args,fragment", [
    (["--rater", "rater"], "--dyad"),  # missing required option (click usage error)
    (["--rater", "rater", "--dyad", "client_id"], "has no column(s) 'client_id'"),
    (["--rater", "rater", "--dyad", "dyad", "--wave", "wave", "--wave-order", "T1,T2"], "not in --wave-order"),
    (["--rater", "rater", "--dyad", "dyad", "--format", "xml"], "--format must be one of table, json, csv"),
    (["--rater", "rater", "--dyad", "dyad", "--table", "caseload", "--format", "csv"], "needs --caseload"),
    (["--rater", "rater", "--dyad", "dyad", "--key-file", "k.txt"], "--key-file is only used with --pseudonymise"),
])
def test_dyads_usage_errors(cli, args, fragment):
    r = cli("dyads", DEMO, "-i", "client=wam-demo-client", "-i", "professional=wam-demo-professional", *args)
    assert r.code == 2, r.stderr
    assert fragment in r.stderr
    assert "Traceback" not in r.stderr


def test_dyads_needs_rater_column(cli):
    r = cli("dyads", DEMO, "-i", "wam-demo-client", "--dyad", "dyad")
    assert r.code == 2 and "--rater COLUMN" in r.stderr


def test_pseudonymise_refused_without_key(cli, monkeypatch, tmp_path):
    monkeypatch.delenv(ENV_KEY, raising=False)
    out = tmp_path / "o.json"
    r = cli(*DYADS, "--pseudonymise", "-o", out)
    assert r.code == 2 and "needs a secret key" in r.stderr and not out.exists()
    r = cli(*REPORT, "--pseudonymise", "--all", "-o", tmp_path / "sheets")
    assert r.code == 2 and "needs a secret key" in r.stderr and not (tmp_path / "sheets").exists()


def test_dyad_id_never_in_pseudonymised_outputs(cli, tmp_path, key_file, monkeypatch):
    """Sheets, json, csv and file names: no original dyad (or officer) id anywhere."""
    monkeypatch.delenv(ENV_KEY, raising=False)
    small = tmp_path / "small.csv"
    raw = pd.read_csv(DEMO, dtype=str, keep_default_na=False)
    raw[raw["officer"].isin(["PO035", "PO008"])].to_csv(small, index=False)
    # the file name must not carry ids either: 'small.csv'
    common = [*BOTH, "--pseudonymise", "--key-file", key_file]
    texts = []
    r = cli("dyads", small, *common, "--dyad", "dyad", "--wave", "wave", "--caseload", "officer",
            "--min-cell", "3", "--format", "json")
    assert r.code == 0, r.stderr
    texts += [r.stdout, r.stderr]
    r = cli("dyads", small, *common, "--dyad", "dyad", "--wave", "wave", "--caseload", "officer",
            "--where", "officer=PO035", "--format", "json")
    assert r.code == 0, r.stderr
    texts += [r.stdout, r.stderr]
    assert json.loads(r.stdout)["provenance"]["settings"]["where"] == {"officer": pseudonym("PO035", KEY.encode(),
                                                                                             prefix="G-")}
    payload = json.loads(r.stdout)
    assert payload["pairs"][0]["dyad"].startswith("P-")
    assert payload["caseload"]["scores"][0]["group"].startswith("G-")
    for table in ("pairs", "alerts", "unpaired", "change", "scores", "profiles", "caseload", "caseload-alerts"):
        out = tmp_path / f"{table}.csv"
        r = cli("dyads", small, *common, "--dyad", "dyad", "--wave", "wave", "--caseload", "officer",
                "--format", "csv", "--table", table, "-o", out)
        assert r.code == 0, r.stderr
        texts += [out.read_text(), r.stderr]
    folder = tmp_path / "sheets"
    r = cli("report", small, *common, "--dyad-column", "dyad", "--wave", "wave", "--all", "-o", folder)
    assert r.code == 0, r.stderr
    texts.append(r.stderr)
    files = sorted(folder.iterdir())
    assert len(files) == raw[raw["officer"].isin(["PO035", "PO008"])]["dyad"].nunique()
    for f in files:
        assert not DYAD_ID.search(f.name)
        texts.append(f.read_text())
    one = tmp_path / "one.html"
    r = cli("report", small, *common, "--dyad-column", "dyad", "--wave", "wave", "--dyad", "D0001", "-o", one)
    assert r.code == 0, r.stderr
    texts += [one.read_text(), r.stderr]
    assert pseudonym("D0001", KEY.encode()) in one.read_text()
    assert (folder / sheet_filename(pseudonym("D0001", KEY.encode()))).read_text() == one.read_text()
    for t in texts:
        assert not DYAD_ID.search(t), DYAD_ID.search(t)
        assert not OFFICER_ID.search(t), OFFICER_ID.search(t)


def test_same_key_same_pseudonyms_env_or_file(cli, key_file, monkeypatch):
    r1 = cli(*DYADS, "--pseudonymise", "--key-file", key_file, "--format", "csv", "-q")
    monkeypatch.setenv(ENV_KEY, KEY)
    r2 = cli(*DYADS, "--pseudonymise", "--format", "csv", "-q")
    assert r1.code == r2.code == 0
    assert r1.stdout == r2.stdout
    monkeypatch.setenv(ENV_KEY, KEY + "-other")
    r3 = cli(*DYADS, "--pseudonymise", "--format", "csv", "-q")
    assert r3.code == 0 and r3.stdout != r1.stdout


def test_report_one_dyad_to_file_and_stdout(cli, tmp_path):
    out = tmp_path / "sheet.html"
    r = cli(*REPORT, "--dyad", "D0006", "-o", out)
    assert r.code == 0, r.stderr
    h = out.read_text()
    assert "<svg" in h and "D0006" in h and "Trust" in h
    r = cli(*REPORT, "--dyad", "D0006", "-q")
    assert r.code == 0 and r.stdout == h


def test_report_all_writes_one_sheet_per_dyad(cli, tmp_path):
    small = tmp_path / "small.csv"
    raw = pd.read_csv(DEMO, dtype=str, keep_default_na=False)
    sub = raw[raw["officer"] == "PO035"]
    sub.to_csv(small, index=False)
    folder = tmp_path / "out"
    r = cli("report", small, *BOTH, "--dyad-column", "dyad", "--wave", "wave", "--all", "-o", folder)
    assert r.code == 0, r.stderr
    assert sorted(p.name for p in folder.iterdir()) == sorted(sheet_filename(d) for d in sub["dyad"].unique())


@pytest.mark.parametrize("args,fragment", [
    (["--dyad", "D9999"], "'D9999' is not in the data"),
    ([], "give --dyad ID"),
    (["--all"], "several sheets need a folder"),
    (["--all", "--dyad", "D0001"], "either --dyad ID or --all"),
])
def test_report_usage_errors(cli, args, fragment):
    r = cli(*REPORT, *args)
    assert r.code == 2, r.stderr
    assert fragment in r.stderr and "Traceback" not in r.stderr


def test_cli_module_imports_no_pandas():
    code = ("import sys, wamkit.cli.dyads; "
            "bad = [m for m in ('pandas', 'numpy', 'scipy') if m in sys.modules]; "
            "sys.exit(1 if bad else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
