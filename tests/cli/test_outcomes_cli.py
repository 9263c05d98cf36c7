"""`wamkit outcomes` from the command line: exit codes, messages, json == library, csv/md/html files."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from conftest import EXAMPLES, sha256
from wamkit.design.read import read
from wamkit.outcomes import outcomes
from wamkit.outcomes.result import TIDY_COLUMNS
from wamkit.results import to_jsonable

STUDY = EXAMPLES / "study.yaml"
DEMO = EXAMPLES / "wam_demo.csv"
DEMO_OUT = EXAMPLES / "wam_demo_outcomes.csv"
BOTH = ["-i", "client=wam-demo-client", "-i", "professional=wam-demo-professional", "--rater", "rater"]
BASE = [
    DEMO,
    "--outcomes",
    DEMO_OUT,
    "--on",
    "dyad",
    *BOTH,
    "--wave",
    "wave",
    "--outcome",
    "stagnations:count",
    "--outcome",
    "dropout:binary",
    "--event",
    "rearrest:days_to_rearrest",
]


def test_json_equals_library_to_dict(cli):
    extra = ("--interaction", "goals:reactance", "--discrepancy", "--surface", "--format", "json")
    r = cli("outcomes", "--study", STUDY, "--where", "wave=T0", *extra)
    assert r.code == 0, r.stderr
    payload = json.loads(r.stdout)
    prov = payload.pop("provenance")
    lib = outcomes(
        read(study=str(STUDY), where=["wave=T0"]), interaction="goals:reactance", discrepancy=True, surface=True
    )
    assert payload == to_jsonable(lib.to_dict())
    assert len(payload["response_surfaces"]) == len(lib.response_surfaces) > 0
    assert prov["command"] == "outcomes"
    assert [i["sha256"] for i in prov["inputs"]] == [sha256(DEMO), sha256(DEMO_OUT)]
    assert {i["id"] for i in prov["instruments"]} == {"wam-demo-client", "wam-demo-professional"}
    assert prov["study"]["file"] == "study.yaml" and prov["settings"]["on"] == {"dyad": "dyad"}
    for key in (
        "n",
        "settings",
        "correlations",
        "partial_correlations",
        "models",
        "wave_comparisons",
        "join",
        "warnings",
        "response_surfaces",
    ):
        assert key in payload
    row = payload["models"][0]
    assert {
        "outcome",
        "model",
        "term",
        "estimate",
        "ci_low",
        "ci_high",
        "p",
        "n",
        "events",
        "rater",
        "wave",
        "landmark_days",
        "n_excluded_before_landmark",
    } <= set(row)


def test_study_alone_is_enough_and_tables_go_to_stdout(cli):
    r = cli("outcomes", "--study", STUDY)
    assert r.code == 0, r.stderr
    assert r.stdout.startswith("Alliance and outcomes")
    for text in (
        "Table 1. Alliance and stagnations",
        "Models of rearrest",
        "landmark (days)",
        "p (adj.)",
        "Wave comparison",
    ):
        assert text in r.stdout
    assert "All results" not in r.stdout
    assert r.stderr == ""


def test_options_spelled_as_before_give_the_same_analysis(cli):
    """--cluster and --wave-column still work (rewritten to --officer and --wave, with a note)."""
    args = [
        *BASE[:13],
        "--outcome",
        "dropout:binary",
        "--where",
        "wave=T0",
        "--covariate",
        "risk_score",
        "--format",
        "json",
    ]
    new = cli("outcomes", *args, "--officer", "officer")
    old = cli("outcomes", *[a if a != "--wave" else "--wave-column" for a in args], "--cluster", "officer")
    assert new.code == old.code == 0, old.stderr
    assert "--cluster is now --officer" in old.stderr and "--wave-column is now --wave" in old.stderr
    a, b = json.loads(new.stdout), json.loads(old.stdout)
    a.pop("provenance"), b.pop("provenance")
    assert a == b
    assert a["settings"]["officer"] == "officer" and a["settings"]["by"] == ["rater", "wave"]


def test_scores_file_as_data_and_same_file_outcomes(cli, tmp_path):
    scores = tmp_path / "scores.csv"
    assert cli("score", "--study", STUDY, "-o", scores, "-q").code == 0
    s = pd.read_csv(scores, dtype={"dyad": str})
    o = pd.read_csv(DEMO_OUT, dtype={"dyad": str})
    client = s[(s.rater == "client") & (s.wave == "T0")].merge(o, on=["dyad", "officer"])
    both = tmp_path / "client_t0.csv"
    client.to_csv(both, index=False)
    r = cli(
        "outcomes",
        both,
        "--outcomes",
        both,
        "--on",
        "dyad",
        "--outcome",
        "stagnations",
        "--predictor",
        "trust",
        "--predictor",
        "goals",
        "--format",
        "json",
    )
    assert r.code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["join"]["data_rows_joined"] == len(client)
    assert d["settings"]["predictors"] == ["trust", "goals"]
    assert all(v.startswith("identical") for v in d["join"]["shared_columns"].values())
    assert {m["model"] for m in d["models"]} == {"poisson", "negative_binomial"}
    assert all(c["rater"] is None and c["wave"] is None for c in d["correlations"])
    # default predictors of a score file: its numeric score columns; splits from --rater / --wave
    r = cli(
        "outcomes",
        scores,
        "--outcomes",
        DEMO_OUT,
        "--on",
        "dyad",
        "--outcome",
        "dropout",
        "--rater",
        "rater",
        "--wave",
        "wave",
        "--format",
        "json",
    )
    assert r.code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["settings"]["predictors"] == ["trust", "goals", "bond", "reactance", "alliance", "loss_of_energy"]
    assert d["settings"]["by"] == ["rater", "wave"]


def test_join_keys_with_different_names(cli, tmp_path):
    o = pd.read_csv(DEMO_OUT, dtype=str).rename(columns={"dyad": "case_id"})
    renamed = tmp_path / "renamed.csv"
    o.to_csv(renamed, index=False)
    r = cli(
        "outcomes",
        "--study",
        STUDY,
        "--outcomes",
        renamed,
        "--on",
        "dyad=case_id",
        "--where",
        "wave=T0",
        "--outcome",
        "dropout",
        "--format",
        "json",
    )
    assert r.code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["join"]["on"] == ["dyad"] and d["join"]["outcome_rows_joined"] == 400
    assert d["provenance"]["settings"]["on"] == {"dyad": "case_id"}


@pytest.mark.parametrize("fmt", ["csv", "md", "html"])
def test_report_files_written(cli, tmp_path, fmt):
    out = tmp_path / f"report.{fmt}"
    before = sha256(DEMO), sha256(DEMO_OUT)
    r = cli(
        "outcomes",
        "--study",
        STUDY,
        "--where",
        "wave=T0",
        "--outcome",
        "dropout",
        "--event",
        "rearrest:days_to_rearrest",
        "--discrepancy",
        "-o",
        out,
    )
    assert r.code == 0, r.stderr
    assert (sha256(DEMO), sha256(DEMO_OUT)) == before
    assert "note: outcomes: 791 of 791 data rows joined" in r.stderr
    text = out.read_text()
    if fmt == "csv":
        tidy = pd.read_csv(out)
        assert list(tidy.columns) == list(TIDY_COLUMNS)
        assert set(tidy.section) == {"correlation", "partial_correlation", "model"}
    else:
        assert "Table 1. Alliance and dropout" in text and "Models of rearrest" in text
        assert "(client - professional differences)" in text and "adjusted (holm) within families" in text
        assert "All results" not in text
    if fmt == "html":
        assert 'class="apa"' in text and "<script" not in text and "src=" not in text and "http" not in text
        q = cli(
            "outcomes",
            "--study",
            STUDY,
            "--where",
            "wave=T0",
            "--outcome",
            "dropout",
            "-o",
            tmp_path / "quiet.html",
            "-q",
        )
        assert q.code == 0 and q.stderr == ""


@pytest.mark.parametrize(
    "outcomes_text,args,fragment",
    [
        ("id,y\n9,0\n8,1\n", [], "no row of data.csv matches a key of out.csv on id"),
        ("id,y\n1,0\n1,1\n2,0\n", [], "out.csv: duplicate key(s) on id: '1' (rows 1, 2)"),
        (
            "id,y\n1,0\n2,2\n3,1\n",
            ["--outcome", "y:binary"],
            "out.csv, row 2, column y: value 2 is not 0 or 1 (declared binary)",
        ),
        ("id,y,t\n1,0,4\n2,1,-3\n3,1,2\n", ["--event", "y:t"], "out.csv, row 2, column t: value -3 is negative"),
        ("id,y,t\n1,0,4\n2,1,3\n3,1,2\n", ["--event", "y"], "event y has no time column"),
        ("id,y\n1,0\n2,1\n3,1\n", ["--by", "rater"], "by rater: no column 'rater' in data.csv"),
        ("id,y\n1,0\n2,1\n3,1\n", ["--format", "pdf"], "--format must be one of"),
        ("id,y\n1,0\n2,1\n3,1\n", ["--on", "id=nope"], "column 'nope' is not in out.csv"),
    ],
)
def test_bad_input_exit_2(cli, tmp_path, outcomes_text, args, fragment):
    data = tmp_path / "data.csv"
    data.write_text("id,score\n1,2.5\n2,3.5\n3,1.0\n4,2.0\n")
    outc = tmp_path / "out.csv"
    outc.write_text(outcomes_text)
    out = tmp_path / "res.json"
    fmt = [] if "--format" in args else ["--format", "json"]
    on = [] if "--on" in args else ["--on", "id"]
    named = [] if {"--outcome", "--event"} & set(args) else ["--outcome", "y"]
    r = cli("outcomes", data, "--outcomes", outc, *on, *named, *args, *fmt, "-o", out)
    assert r.code == 2, (r.stdout, r.stderr)
    assert fragment in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_nothing_modelled_unless_named(cli, tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("id,score\n1,2.5\n2,3.5\n3,1.0\n4,2.0\n")
    outc = tmp_path / "out.csv"
    outc.write_text("id,age,y\n1,30,0\n2,40,1\n3,50,1\n4,20,0\n")
    r = cli("outcomes", data, "--outcomes", outc, "--on", "id")
    assert r.code == 2 and "no outcomes named" in r.stderr and "--outcome NAME" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_warnings_reported_not_fatal(cli, tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("id,score,flat\n" + "".join(f"{i},{i % 7},1\n" for i in range(1, 41)))
    outc = tmp_path / "out.csv"
    outc.write_text("id,y\n" + "".join(f"{i},{i % 3}\n" for i in range(1, 36)))
    r = cli("outcomes", data, "--outcomes", outc, "--on", "id", "--outcome", "y", "--format", "json")
    assert r.code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["join"]["data_rows_not_joined"] == 5
    assert any("flat" in w for w in d["warnings"])
    assert any("5 of 40 rows of data.csv have no match" in w for w in d["warnings"])
    assert "warning: 5 of 40 rows of data.csv have no match" in r.stderr


def test_output_refuses_to_overwrite_input(cli, tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("id,score\n1,2.5\n2,3.5\n3,1.0\n4,2.0\n")
    outc = tmp_path / "out.csv"
    outc.write_text("id,y\n1,0.5\n2,1.5\n3,1.1\n4,0.2\n")
    before = sha256(outc)
    r = cli("outcomes", data, "--outcomes", outc, "--on", "id", "--outcome", "y", "--format", "csv", "-o", outc)
    assert r.code == 2 and sha256(outc) == before


def test_help_is_fast_and_lists_options(cli):
    r = cli("outcomes", "--help")
    assert r.code == 0
    for opt in (
        "--study",
        "--outcomes",
        "--on",
        "--outcome",
        "--event",
        "--by",
        "--covariate",
        "--officer",
        "--wave",
        "--adjust",
        "--interaction",
        "--discrepancy",
        "--per-sd",
        "--joint",
        "--surface",
        "--time-varying",
        "--invalid",
        "-q",
    ):
        assert opt in r.stdout


def test_joint_where_and_per_sd(cli):
    r = cli(
        "outcomes",
        "--study",
        STUDY,
        "--where",
        "rater=client",
        "--where",
        "wave=T0",
        "--outcome",
        "stagnations",
        "--covariate",
        "risk_score",
        "--joint",
        "--per-sd",
        "--format",
        "json",
    )
    assert r.code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["n"] == 400 and d["join"]["data_rows"] == 400
    assert d["settings"]["joint_predictors"] == ["trust", "goals", "bond", "reactance", "loss_of_energy"]
    terms = [m["term"] for m in d["models"] if m["model"] == "poisson"]
    assert terms == ["trust", "goals", "bond", "reactance", "risk_score"]  # no loss_of_energy on client rows
    assert all(m["per_sd"] and m["predictor"] == "joint" for m in d["models"])
    assert any(s["predictor"] == "loss_of_energy" for s in d["skipped"])
    r = cli("outcomes", "--study", STUDY, "--where", "nope=1")
    assert r.code == 2 and "where nope=1: wam_demo.csv has no column 'nope'" in r.stderr


def test_study_analyses_turn_on_surfaces_and_the_flag_turns_them_off(cli, tmp_path):
    text = (EXAMPLES / "study.yaml").read_text()
    text = text.replace("path: wam_demo.csv", f"path: {EXAMPLES / 'wam_demo.csv'}")
    text = text.replace("path: wam_demo_outcomes.csv", f"path: {EXAMPLES / 'wam_demo_outcomes.csv'}")
    study = tmp_path / "study.yaml"
    study.write_text(text + "analyses: {surface: true}\n")
    args = ("outcomes", "--study", study, "--outcome", "stagnations:count", "--where", "wave=T0", "--format", "json")
    on = json.loads(cli(*args, "-q").stdout)
    assert on["settings"]["surface"] is True and on["settings"]["time_varying"] is False
    assert {s["subscale"] for s in on["response_surfaces"]} >= {"trust", "goals", "bond"}
    off = json.loads(cli(*args, "--no-surface", "-q").stdout)
    assert off["settings"]["surface"] is False and off["response_surfaces"] == []
