"""`wamkit score`, `inspect`, `instruments`, `simulate` from the command line: exit codes, messages, files."""

from __future__ import annotations

import io
import json
import os
import shutil

import pandas as pd
import pytest

from conftest import DATA, EXAMPLES, sha256
from wamkit.design.read import read, score_data
from wamkit.results import to_jsonable
from wamkit.scoring.stream import StreamOptions

DEMO = EXAMPLES / "wam_demo.csv"
BOTH = ["-i", "client=wam-demo-client", "-i", "professional=wam-demo-professional", "--rater", "rater"]


def test_score_demo_to_csv_keeps_rows_and_order(cli, tmp_path):
    out = tmp_path / "scores.csv"
    r = cli("score", DEMO, *BOTH, "-o", out)
    assert r.code == 0, r.stderr
    scores = pd.read_csv(out, dtype={"dyad": str})
    raw = pd.read_csv(DEMO, dtype=str)
    assert len(scores) == len(raw)
    assert scores["dyad"].tolist() == raw["dyad"].tolist()
    assert list(scores.columns) == [
        "dyad",
        "officer",
        "rater",
        "wave",
        "trust",
        "goals",
        "bond",
        "reactance",
        "alliance",
        "loss_of_energy",
    ]
    assert scores.loc[scores.rater == "client", "loss_of_energy"].isna().all()
    assert scores.loc[scores.rater == "professional", "reactance"].isna().all()
    assert "rows read" in r.stderr


def test_score_json_equals_library_result(cli, tmp_path):
    r = cli("score", DEMO, *BOTH, "--format", "json", "-q")
    assert r.code == 0, r.stderr
    payload = json.loads(r.stdout)
    data = read(
        str(DEMO), instrument={"client": "wam-demo-client", "professional": "wam-demo-professional"}, rater="rater"
    )
    lib = score_data(data)
    assert payload["scores"] == to_jsonable(lib.scores)
    assert payload["summary"] == lib.summary_dict()
    prov = payload["provenance"]
    assert prov["inputs"][0]["sha256"] == sha256(DEMO)
    assert {i["id"] for i in prov["instruments"]} == {"wam-demo-client", "wam-demo-professional"}
    assert prov["wamkit_version"]


@pytest.mark.parametrize("fmt", ["parquet", "xlsx", "tsv"])
def test_score_output_formats(cli, tmp_path, fmt):
    out = tmp_path / f"s.{fmt}"
    r = cli("score", DEMO, "-i", "wam-demo-client", "--where", "rater=client", "-o", out, "-q")
    assert r.code == 0, r.stderr
    assert out.exists()


def test_score_stdin(cli):
    data = (DATA / "bfi.csv").read_bytes()
    r = cli("score", "-", "-i", DATA / "bfi.yaml", "-q", stdin=data)
    assert r.code == 0, r.stderr
    assert r.stdout.splitlines()[0].startswith('"id","gender","education","age","agree"')


def bad_input(tmp_path, text: str, name="bad.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


ITEMS = ",".join(f"wai{i:02d}" for i in range(1, 13))


@pytest.mark.parametrize(
    "content,fragment",
    [
        (
            f"id,{ITEMS}\n1,{','.join(['3'] * 12)}\n2,{','.join(['3'] * 11)},7\n",
            "bad.csv, row 2, column wai12: value 7 is outside the scale 1-5",
        ),
        (
            f"id,{ITEMS}\n1,{','.join(['3'] * 11)},often\n",
            "bad.csv, row 1, column wai12: value 'often' is not a number or a label of the scale",
        ),
        (f"id,{ITEMS}\n", "bad.csv: has a header but no data rows"),
        ("", "bad.csv: file is empty"),
        (f"id,{ITEMS},wai01\n1,{','.join(['3'] * 13)}\n", "bad.csv: duplicate column name 'wai01'"),
        (f"id,{ITEMS[:-6]}\n1,{','.join(['3'] * 11)}\n", "bad.csv: missing item column(s): wai12"),
        (f"id,{ITEMS}\n1,{','.join(['3'] * 12)}\n2,3,3\n", "bad.csv: row 2 (line 3) is truncated"),
    ],
)
def test_score_bad_input_exit_2_one_message_no_output(cli, tmp_path, content, fragment):
    src = bad_input(tmp_path, content)
    before = sha256(src)
    out = tmp_path / "out.csv"
    r = cli("score", src, "-i", "wai-sr-client", "-o", out)
    assert r.code == 2
    assert fragment in r.stderr
    assert r.stderr.startswith("wamkit: error: ")
    assert "Traceback" not in r.stderr
    assert not out.exists()
    assert sorted(os.listdir(tmp_path)) == ["bad.csv"]  # no temp files left behind
    assert sha256(src) == before


def test_many_invalid_cells_are_listed_up_to_a_limit(cli, tmp_path):
    rows = "\n".join(f"{i},{','.join(['8'] * 12)}" for i in range(1, 6))
    src = bad_input(tmp_path, f"id,{ITEMS}\n{rows}\n")
    r = cli("score", src, "-i", "wai-sr-client")
    assert r.code == 2
    assert "60 problems" in r.stderr and "... and 40 more" in r.stderr


def test_invalid_missing_policy_reports_count(cli, tmp_path):
    src = bad_input(tmp_path, f"id,{ITEMS}\n1,{','.join(['3'] * 11)},7\n")
    r = cli("score", src, "-i", "wai-sr-client", "--invalid", "missing")
    assert r.code == 0
    assert "1 invalid cells treated as missing" in r.stderr


def test_output_refusals(cli, tmp_path):
    src = tmp_path / "in.csv"
    shutil.copy(DEMO, src)
    before = sha256(src)
    r = cli("score", src, "-i", "wam-demo-client", "--where", "rater=client", "-o", src)
    assert r.code == 2 and "refusing to overwrite the input" in r.stderr
    r = cli("score", src, "-i", "wam-demo-client", "--where", "rater=client", "-o", tmp_path / "no" / "o.csv")
    assert r.code == 2 and "does not exist" in r.stderr
    assert sha256(src) == before


def test_unknown_instrument_and_bad_options(cli):
    r = cli("score", DEMO, "-i", "nope")
    assert r.code == 2 and "unknown instrument 'nope'" in r.stderr
    r = cli("score", DEMO, "-i", "wam-demo-client")  # professional rows scored with the client key is fine
    assert r.code == 0
    r = cli("score", DEMO, "-i", "client=wam-demo-client", "--rater", "rater")
    assert r.code == 2 and "value 'professional' has no instrument" in r.stderr
    r = cli("score", DEMO, "-i", "wam-demo-client", "--where", "rater=nobody")
    assert r.code == 2 and "matches no row" in r.stderr
    r = cli("score", DEMO, "-i", "wam-demo-client", "--map", "oops")
    assert r.code == 2 and "--map expects KEY=VALUE" in r.stderr
    r = cli("score", DEMO)
    assert r.code == 2 and "give an instrument with -i ID" in r.stderr


def test_streaming_equals_in_memory(cli, tmp_path):
    mem, streamed = tmp_path / "mem.csv", tmp_path / "stream.csv"
    assert cli("score", DATA / "bfi.csv", "-i", DATA / "bfi.yaml", "-o", mem, "-q").code == 0
    r = cli("score", DATA / "bfi.csv", "-i", DATA / "bfi.yaml", "-o", streamed, "--chunk-rows", "97", "-q")
    assert r.code == 0, r.stderr
    assert mem.read_bytes() == streamed.read_bytes()
    pq_mem, pq_stream = tmp_path / "m.parquet", tmp_path / "s.parquet"
    assert cli("score", DATA / "bfi.csv", "-i", DATA / "bfi.yaml", "-o", pq_mem, "-q").code == 0
    assert (
        cli("score", DATA / "bfi.csv", "-i", DATA / "bfi.yaml", "-o", pq_stream, "--chunk-rows", "500", "-q").code == 0
    )
    a, b = pd.read_parquet(pq_mem), pd.read_parquet(pq_stream)
    pd.testing.assert_frame_equal(a[["agree", "openness"]], b[["agree", "openness"]])
    assert a["id"].astype(str).tolist() == b["id"].astype(str).tolist()


def test_streaming_error_in_a_late_chunk_leaves_no_file(cli, tmp_path):
    src = tmp_path / "big.csv"
    lines = [f"id,{ITEMS}"] + [f"{i},{','.join(['3'] * 12)}" for i in range(500)] + [f"x,{','.join(['9'] * 11)},0"]
    src.write_text("\n".join(lines) + "\n")
    out = tmp_path / "o.csv"
    r = cli("score", src, "-i", "wai-sr-client", "-o", out, "--chunk-rows", "50")
    assert r.code == 2 and "row 501, column wai12: value 0 is outside the scale 1-5" in r.stderr
    assert not out.exists()


def test_inspect_reports_quality(cli, tmp_path):
    src = tmp_path / "d.csv"
    body = [f"dyad,{ITEMS}", f"1,{','.join(['5'] * 12)}", f"1,{','.join(['3'] * 11)},x", f"2,{','.join([''] * 12)}"]
    src.write_text("\n".join(body) + "\n")
    r = cli("inspect", src, "-i", "wai-sr-client", "--id", "dyad", "--format", "json")
    assert r.code == 0, r.stderr
    rep = json.loads(r.stdout)["reports"]["all"]
    assert rep["n_invalid"] == 1 and rep["invalid_cells"][0]["row"] == 2
    assert rep["straightlined_rows"] == [1]
    assert rep["duplicates"][0]["rows"] == "1,2"
    item = {i["item"]: i for i in rep["items"]}
    assert item["wai01"]["ceiling_share"] == 0.5 and item["wai01"]["missing_share"] == pytest.approx(1 / 3)
    r = cli("inspect", src, "-i", "wai-sr-client", "--id", "dyad")
    assert r.code == 0 and "duplicate keys on dyad: 1" in r.stdout  # tables for people go to stdout


def test_instruments_list_show_check(cli, tmp_path):
    r = cli("instruments", "list", "--format", "json")
    assert r.code == 0 and "wam-demo-client" in r.stdout
    r = cli("instruments", "show", "wai-s-client")
    assert r.code == 0 and "ws04(R)" in r.stdout
    r = cli("instruments", "check", *[str(p) for p in sorted((EXAMPLES.parent / "instruments").glob("*.yaml"))])
    assert r.code == 0, r.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (EXAMPLES.parent / "instruments" / "wai-sr-client.yaml")
        .read_text()
        .replace("scores: {task: 2.5,", "scores: {task: 2.6,")
    )
    r = cli("instruments", "check", bad)
    assert r.code == 1 and "expected 2.6, got 2.5" in r.stderr
    bad.write_text("id: x\n")
    r = cli("instruments", "check", bad)
    assert r.code == 2 and "bad.yaml:1: 'name' is required" in r.stderr


def test_instruments_new_drafts_a_loadable_yaml(cli, tmp_path):
    out = tmp_path / "draft.yaml"
    r = cli("instruments", "new", DEMO, "--id", "my-wam", "--items", "wam*", "-o", out)
    assert r.code == 0, r.stderr
    r = cli("instruments", "check", out)  # refused while TODO placeholders are left
    assert r.code == 2 and "draft.yaml:" in r.stderr and "still holds the draft placeholder" in r.stderr
    text = out.read_text().replace("reverse: TODO", "reverse: false").replace("citation: TODO", "citation: x")
    out.write_text(text.replace("license: TODO", "license: x").replace("name: TODO - split", "name: split"))
    r = cli("instruments", "check", out)
    assert r.code == 0, r.stderr


def test_simulate_is_deterministic_and_matches_shipped_example(cli, tmp_path):
    r = cli("simulate", "-o", tmp_path, "--seed", "2026")
    assert r.code == 0, r.stderr
    assert (tmp_path / "wam_demo.csv").read_bytes() == DEMO.read_bytes()
    assert (tmp_path / "wam_demo_outcomes.csv").read_bytes() == (EXAMPLES / "wam_demo_outcomes.csv").read_bytes()


def test_score_pseudonymises_identifier_columns(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("WAMKIT_PSEUDONYM_KEY", "a-secret-key-of-enough-length")
    out = tmp_path / "s.csv"
    r = cli("score", DEMO, *BOTH, "--pseudonymise", "dyad", "--pseudonymise", "officer", "-o", out, "-q")
    assert r.code == 0, r.stderr
    text = out.read_text()
    assert "D0001" not in text and "PO0" not in text
    scores = pd.read_csv(out)
    assert scores["dyad"].str.startswith("P-").all()
    assert scores["dyad"].nunique() == pd.read_csv(DEMO)["dyad"].nunique()  # one pseudonym per id
    r2 = cli("score", DEMO, *BOTH, "--pseudonymise", "dyad", "-q")
    assert pd.read_csv(io.StringIO(r2.stdout))["dyad"].tolist() == scores["dyad"].tolist()  # same key, same ids
    monkeypatch.delenv("WAMKIT_PSEUDONYM_KEY")
    r = cli("score", DEMO, *BOTH, "--pseudonymise", "dyad", "-o", tmp_path / "x.csv")
    assert r.code == 2 and "key" in r.stderr and not (tmp_path / "x.csv").exists()


def test_options_that_would_be_ignored_are_refused(cli):
    # one instrument for every row: --rater only records which column holds the role
    r = cli("score", DEMO, "-i", "wam-demo-client", "--rater", "rater", "-q")
    assert r.code == 0 and r.stdout.splitlines()[0].startswith('"dyad","officer","rater","wave","trust"')
    r = cli("score", DEMO, "-i", "wam-demo-client", "--sheet", "T0")
    assert r.code == 2 and "--sheet T0: wam_demo.csv is a csv file, not a workbook" in r.stderr


def test_streamed_summary_equals_in_memory_summary():
    # the summary on stderr comes from the same mergeable moments in both paths
    from wamkit.instrument import load_instrument
    from wamkit.scoring.stream import stream_score

    ins = load_instrument(str(DATA / "bfi.yaml"))
    mem = score_data(read(str(DATA / "bfi.csv"), instrument=ins)).summary_dict()
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        streamed = stream_score(
            str(DATA / "bfi.csv"), ins, StreamOptions(), output=f"{d}/s.csv", fmt="csv", chunk_rows=333, progress=False
        )
    for a, b in zip(mem["scales"], streamed["scales"], strict=False):
        assert (a["n"], a["missing"]) == (b["n"], b["missing"])
        assert a["mean"] == pytest.approx(b["mean"], rel=1e-12) and a["sd"] == pytest.approx(b["sd"], rel=1e-10)


def test_simulate_refuses_to_overwrite_without_force(cli, tmp_path):
    first = cli("simulate", "-o", tmp_path, "--seed", "1", "--dyads", "20", "--officers", "4")
    assert first.code == 0, first.stderr
    before = (tmp_path / "wam_demo.csv").read_bytes()
    again = cli("simulate", "-o", tmp_path, "--seed", "2", "--dyads", "20", "--officers", "4")
    assert again.code == 2 and "add --force to replace" in again.stderr
    assert (tmp_path / "wam_demo.csv").read_bytes() == before  # nothing lost
    forced = cli("simulate", "-o", tmp_path, "--seed", "2", "--dyads", "20", "--officers", "4", "--force")
    assert forced.code == 0 and (tmp_path / "wam_demo.csv").read_bytes() != before


def test_every_writing_command_refuses_an_existing_output(cli, tmp_path):
    out = tmp_path / "exists.csv"
    out.write_text("keep me\n")
    for argv in (
        ("score", "--study", "examples/study.yaml", "-o", out),
        ("inspect", "--study", "examples/study.yaml", "--format", "json", "-o", out),
        ("reshape", "--study", "examples/study.yaml", "--to", "wide", "-o", out),
        ("study", "new", "examples/wam_demo.csv", "-o", out),
    ):
        r = cli(*argv)
        assert r.code == 2 and "exists; add --force" in r.stderr, argv
        assert out.read_text() == "keep me\n"


def test_piped_tables_are_not_cut(cli):
    r = cli("instruments", "list")
    assert r.code == 0 and "wam-demo-professional " in r.stdout  # whole ids, on stdout, greppable


def test_bad_csv_dialect_and_lang_are_named_as_flags(cli, tmp_path):
    out = tmp_path / "s.csv"
    r = cli("score", "--study", EXAMPLES / "study.yaml", "--csv-dialect", "nl", "-o", out)
    assert r.code == 2 and "wamkit: error: --csv-dialect must be one of standard, excel-nl, not 'nl'" in r.stderr
    assert not out.exists()
    r = cli(
        "report", "--study", EXAMPLES / "study.yaml", "--dyad-id", "D0006", "--lang", "de", "-o", tmp_path / "s.html"
    )
    assert r.code == 2 and "wamkit: error: --lang must be one of en, nl, fr, not 'de'" in r.stderr


def test_pseudonymised_outputs_do_not_name_the_input_file(cli, tmp_path, monkeypatch):
    """A file named after a person must not carry the name into a pseudonymised output's provenance."""
    monkeypatch.setenv("WAMKIT_PSEUDONYM_KEY", "a key that is long enough for the test")
    named = tmp_path / "jansen_pieter.csv"
    shutil.copy(DEMO, named)
    r = cli("score", named, *BOTH, "--pseudonymise", "dyad", "--format", "json", "-q")
    assert r.code == 0, r.stderr
    payload = json.loads(r.stdout)
    assert payload["provenance"]["inputs"][0]["file"] == "input 1"
    assert payload["provenance"]["inputs"][0]["sha256"] == sha256(named)
    assert "jansen" not in r.stdout
    plain = json.loads(cli("score", named, *BOTH, "--format", "json", "-q").stdout)
    assert plain["provenance"]["inputs"][0]["file"] == "jansen_pieter.csv"
