"""`wamkit outcomes` from the command line: exit codes, messages, json == library, csv/md/html files."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from conftest import EXAMPLES, sha256
from wamkit.scoring.multi import load_instrument_specs
from wamkit.outcomes.analysis import TIDY_COLUMNS, outcomes_from_files
from wamkit.results import to_jsonable

DEMO = EXAMPLES / "wam_demo.csv"
DEMO_OUT = EXAMPLES / "wam_demo_outcomes.csv"
BOTH = ["-i", "client=wam-demo-client", "-i", "professional=wam-demo-professional", "--rater", "rater"]
BASE = [DEMO, "--outcomes", DEMO_OUT, "--on", "dyad", *BOTH, "--by", "rater", "--by", "wave",
        "--outcome", "stagnations:count", "--outcome", "dropout:binary", "--event", "rearrest:days_to_rearrest"]


def test_json_equals_library_to_dict(cli):
    r = cli("outcomes", *BASE, "--covariate", "risk_score", "--cluster", "officer", "--interaction",
            "goals:reactance", "--discrepancy", "--format", "json")
    assert r.code == 0, r.stderr
    payload = json.loads(r.stdout)
    prov = payload.pop("provenance")
    ins = load_instrument_specs(BOTH[1::2][:2], "rater")
    lib, _ = outcomes_from_files(str(DEMO), str(DEMO_OUT), on=["dyad"], instruments=ins, rater_column="rater",
                                 by=["rater", "wave"], outcome=["stagnations:count", "dropout:binary"],
                                 event=["rearrest:days_to_rearrest"], covariates=["risk_score"], cluster="officer",
                                 interaction="goals:reactance", discrepancy=True)
    assert payload == to_jsonable(lib.to_dict())
    assert prov["command"] == "outcomes"
    assert [i["sha256"] for i in prov["inputs"]] == [sha256(DEMO), sha256(DEMO_OUT)]
    assert {i["id"] for i in prov["instruments"]} == {"wam-demo-client", "wam-demo-professional"}
    for key in ("n", "settings", "correlations", "partial_correlations", "models", "wave_comparisons", "join",
                "warnings"):
        assert key in payload
    row = payload["models"][0]
    assert {"outcome", "model", "term", "estimate", "ci_low", "ci_high", "p", "n", "events", "rater",
            "wave"} <= set(row)


def test_scores_file_as_data_and_same_file_outcomes(cli, tmp_path):
    scores = tmp_path / "scores.csv"
    assert cli("score", DEMO, *BOTH, "-o", scores, "-q").code == 0
    s = pd.read_csv(scores, dtype={"dyad": str})
    o = pd.read_csv(DEMO_OUT, dtype={"dyad": str})
    client = s[(s.rater == "client") & (s.wave == "T0")].merge(o, on=["dyad", "officer"])
    both = tmp_path / "client_t0.csv"
    client.to_csv(both, index=False)
    r = cli("outcomes", both, "--outcomes", both, "--on", "dyad", "--outcome", "stagnations",
            "--predictor", "trust", "--predictor", "goals", "--format", "json")
    assert r.code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["join"]["data_rows_joined"] == len(client)
    assert d["settings"]["predictors"] == ["trust", "goals"]
    assert all(v.startswith("identical") for v in d["join"]["shared_columns"].values())
    assert {m["model"] for m in d["models"]} == {"poisson", "negative_binomial"}
    assert all(c["rater"] is None and c["wave"] is None for c in d["correlations"])
    # default predictors of a score file: its numeric score columns
    r = cli("outcomes", scores, "--outcomes", DEMO_OUT, "--on", "dyad", "--outcome", "dropout",
            "--by", "rater", "--by", "wave", "--format", "json")
    assert r.code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["settings"]["predictors"] == ["trust", "goals", "bond", "reactance", "alliance", "loss_of_energy"]


@pytest.mark.parametrize("fmt", ["csv", "md", "html"])
def test_report_files_written(cli, tmp_path, fmt):
    out = tmp_path / f"report.{fmt}"
    before = sha256(DEMO), sha256(DEMO_OUT)
    r = cli("outcomes", *BASE, "--cluster", "officer", "--discrepancy", "-o", out)
    assert r.code == 0, r.stderr
    assert (sha256(DEMO), sha256(DEMO_OUT)) == before
    text = out.read_text()
    if fmt == "csv":
        tidy = pd.read_csv(out)
        assert list(tidy.columns) == list(TIDY_COLUMNS)
        assert set(tidy.section) == {"correlation", "model", "wave_comparison"}
    else:
        assert "client-rated trust at T0: r = -." in text
        assert "95% CI [" in text and "n = " in text and "events = " in text
        assert "http" not in text.lower() if fmt == "html" else "](data:image/svg+xml;base64," in text
    if fmt == "html":
        assert text.count("<svg") >= 4 and "<script" not in text and "src=" not in text


def test_table_format_on_stderr(cli):
    r = cli("outcomes", *BASE[:15], "--outcome", "stagnations")
    assert r.code == 0, r.stderr
    assert r.stdout == ""
    assert "joined on dyad: 1411 of 1411 data rows" in r.stderr and "Pearson correlations" in r.stderr


def bad(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize("outcomes_text,args,fragment", [
    ("id,y\n9,0\n8,1\n", [], "no row of data.csv matches a key of out.csv on id"),
    ("id,y\n1,0\n1,1\n2,0\n", [], "out.csv: duplicate key(s) on id: '1' (rows 1, 2)"),
    ("id,y\n1,0\n2,2\n3,1\n", ["--outcome", "y:binary"], "out.csv, row 2, column y: value 2 is not 0 or 1 (declared binary)"),
    ("id,y,t\n1,0,4\n2,1,-3\n3,1,2\n", ["--event", "y:t"], "out.csv, row 2, column t: value -3 is negative"),
    ("id,y,t\n1,0,4\n2,1,3\n3,1,2\n", ["--event", "y"], "--event y has no time column"),
    ("id,y\n1,0\n2,1\n3,1\n", ["--by", "rater"], "--by rater: no column 'rater' in data.csv"),
    ("id,y\n1,0\n2,1\n3,1\n", ["--format", "pdf"], "--format must be one of"),
])
def test_bad_input_exit_2(cli, tmp_path, outcomes_text, args, fragment):
    data = bad(tmp_path, "data.csv", "id,score\n1,2.5\n2,3.5\n3,1.0\n4,2.0\n")
    outc = bad(tmp_path, "out.csv", outcomes_text)
    out = tmp_path / "res.json"
    fmt = [] if "--format" in args else ["--format", "json"]
    r = cli("outcomes", data, "--outcomes", outc, "--on", "id", *args, *fmt, "-o", out)
    assert r.code == 2, (r.stdout, r.stderr)
    assert fragment in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_warnings_reported_not_fatal(cli, tmp_path):
    data = bad(tmp_path, "data.csv", "id,score,flat\n" + "".join(f"{i},{i % 7},1\n" for i in range(1, 41)))
    outc = bad(tmp_path, "out.csv", "id,y\n" + "".join(f"{i},{i % 3}\n" for i in range(1, 36)))
    r = cli("outcomes", data, "--outcomes", outc, "--on", "id", "--format", "json")
    assert r.code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["join"]["data_rows_not_joined"] == 5
    assert any("flat" in w for w in d["warnings"])
    assert any("5 of 40 rows of data.csv have no match" in w for w in d["warnings"])


def test_output_refuses_to_overwrite_input(cli, tmp_path):
    data = bad(tmp_path, "data.csv", "id,score\n1,2.5\n2,3.5\n3,1.0\n4,2.0\n")
    outc = bad(tmp_path, "out.csv", "id,y\n1,0.5\n2,1.5\n3,1.1\n4,0.2\n")
    before = sha256(outc)
    r = cli("outcomes", data, "--outcomes", outc, "--on", "id", "--format", "csv", "-o", outc)
    assert r.code == 2 and sha256(outc) == before


def test_help_is_fast_and_lists_options(cli):
    r = cli("outcomes", "--help")
    assert r.code == 0
    for opt in ("--outcomes", "--on", "--event", "--by", "--covariate", "--cluster", "--adjust", "--interaction",
                "--discrepancy", "--per-sd", "--joint"):
        assert opt in r.stdout


def test_joint_where_and_per_sd(cli):
    r = cli("outcomes", DEMO, "--outcomes", DEMO_OUT, "--on", "dyad", *BOTH, "--where", "rater=client",
            "--where", "wave=T0", "--outcome", "stagnations", "--joint", "--per-sd", "--format", "json")
    assert r.code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["n"] == 400 and d["join"]["data_rows"] == 400
    assert d["settings"]["joint_predictors"] == ["trust", "goals", "bond", "reactance", "loss_of_energy"]
    terms = [m["term"] for m in d["models"] if m["model"] == "poisson"]
    assert terms == ["trust", "goals", "bond", "reactance"]     # no values for loss_of_energy on client rows
    assert all(m["per_sd"] and m["predictor"] == "joint" for m in d["models"])
    assert any(s["predictor"] == "loss_of_energy" for s in d["skipped"])
    r = cli("outcomes", DEMO, "--outcomes", DEMO_OUT, "--on", "dyad", *BOTH, "--where", "nope=1",
            "--outcome", "stagnations")
    assert r.code == 2 and "--where nope=1: neither wam_demo.csv nor wam_demo_outcomes.csv" in r.stderr
