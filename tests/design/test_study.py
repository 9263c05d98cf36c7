"""Study files: loading, design checks against the data (one-line errors naming file, line and key),
study new/check, wide <-> long, reshape."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

import wamkit
from conftest import EXAMPLES, sha256
from wamkit.design.study import StudyError, load_study, wave_sort_key

STUDY = EXAMPLES / "study.yaml"


def _study(tmp_path, text: str, *, name: str = "study.yaml"):
    for f in ("wam_demo.csv", "wam_demo_outcomes.csv"):
        shutil.copy(EXAMPLES / f, tmp_path / f)
    p = tmp_path / name
    p.write_text(text)
    return p


def _variant(tmp_path, old: str, new: str):
    return _study(tmp_path, STUDY.read_text().replace(old, new))


def test_demo_study_loads_with_its_design():
    s = load_study(STUDY)
    d = s.design
    assert (d.dyad, d.officer, d.role, d.wave) == ("dyad", "officer", "rater", "wave")
    assert d.waves == ("T0", "T1") and d.months == (0.0, 6.0)
    assert [r.key for r in d.roles] == ["client", "professional"] and d.role_spec("professional").label == "prof"
    assert s.outcomes.on == {"dyad": "dyad"} and s.outcomes.events["rearrest"].origin_wave == "T0"
    assert dict(d.pairs) == {"reactance": "loss_of_energy"}


def test_natural_wave_order():
    assert sorted(["T10", "T2", "T1", "T0"], key=wave_sort_key) == ["T0", "T1", "T2", "T10"]


@pytest.mark.parametrize(
    "old,new,message",
    [
        (
            "ids: {dyad: dyad, officer: officer}",
            "ids: {dyad: dyad_id, officer: officer}",
            "study.yaml:12: ids.dyad: column 'dyad_id' is not in wam_demo.csv",
        ),
        (
            "professional: {value: professional,",
            "professional: {value: officer,",
            "study.yaml:8: roles: wam_demo.csv, row 2, column rater: value 'professional' is not a declared role",
        ),
        (
            "order: [T0, T1], months: [0, 6]",
            "order: [T0, T6], months: [0, 6]",
            "study.yaml:13: waves.order: wam_demo.csv, row 3, column wave: value 'T1' is not a declared wave (T0, T6)",
        ),
        (
            "on: {dyad: dyad}",
            "on: {dyad: officer}",
            "study.yaml:16: outcomes.on: wam_demo_outcomes.csv has a column 'dyad'",
        ),
        ("layout: long", "layout: sideways", "study.yaml:7: layout: 'sideways' is not one of ['long', 'wide']"),
        (
            "waves: {column: wave, order: [T0, T1], months: [0, 6]}",
            "waves: {column: wave, order: [T0, T1], months: [0]}",
            "study.yaml:13: waves.months: has 1 values for 2 waves",
        ),
        ("study: wam-demo", "study: wam-demo\nstudy_id: x", "unknown key ('study_id' was unexpected)"),
    ],
)
def test_bad_study_files_name_file_line_and_key(cli, tmp_path, old, new, message):
    p = _variant(tmp_path, old, new)
    before = sha256(p)
    r = cli("study", "check", p)
    assert r.code == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert lines[0].startswith("wamkit: error: ") and message in lines[0], r.stderr
    assert "Traceback" not in r.stderr and r.stdout == "" and sha256(p) == before


def test_outcome_keys_that_join_nothing(cli, tmp_path):
    p = _study(tmp_path, STUDY.read_text())
    out = pd.read_csv(EXAMPLES / "wam_demo_outcomes.csv", dtype=str)
    out["dyad"] = "X" + out["dyad"]
    out.to_csv(tmp_path / "wam_demo_outcomes.csv", index=False)
    r = cli("study", "check", p)
    assert (
        r.code == 2
        and "study.yaml:16: outcomes.on: no row of wam_demo.csv finds its key in wam_demo_outcomes.csv"
        in r.stderr.splitlines()[0]
    )


def test_a_declared_value_that_never_occurs_is_an_error(tmp_path):
    p = _study(
        tmp_path,
        STUDY.read_text()
        .replace("order: [T0, T1]", "order: [T0, T1, T2]")
        .replace("months: [0, 6]", "months: [0, 6, 9]"),
    )
    with pytest.raises(StudyError, match=r"study.yaml:\d+: waves.order.2: wave 'T2' does not occur in wam_demo.csv"):
        wamkit.read(study=str(p))


def test_check_describes_the_design(cli):
    r = cli("study", "check", STUDY, "--format", "json")
    assert r.code == 0, r.stderr
    import json

    d = json.loads(r.stdout)
    persons = {(p["wave"], p["role"]): p["persons"] for p in d["persons"]}
    assert persons[("T0", "client")] == 400 and persons[("T1", "professional")] == 310
    assert d["dyads"] == 400 and d["outcomes"]["keys_joined"] == 400
    t0 = next(o for o in d["officers"] if o["wave"] == "T0")
    assert t0["officers"] == 40 and t0["clients_mean"] == 10
    table = cli("study", "check", STUDY)
    assert "persons per wave and role" in table.stdout and table.stderr == ""


def test_study_new_drafts_a_checkable_study(cli, tmp_path):
    for f in ("wam_demo.csv", "wam_demo_outcomes.csv"):
        shutil.copy(EXAMPLES / f, tmp_path / f)
    out = tmp_path / "drafted.yaml"
    r = cli("study", "new", tmp_path / "wam_demo.csv", "-o", out)
    assert r.code == 0, r.stderr
    text = out.read_text()
    assert (
        "column: rater" in text
        and "instrument: wam-demo-client" in text
        and "instrument: wam-demo-professional" in text
    )
    assert "ids: {dyad: dyad, officer: officer}" in text and "months: [TODO]" in text
    r = cli("study", "check", out)
    assert r.code == 2 and "waves.months" in r.stderr  # the TODO must be filled in first
    out.write_text(text.replace("months: [TODO]", "months: [0, 6]"))
    assert cli("study", "check", out).code == 0


def test_wide_and_long_give_the_same_scores(cli, tmp_path):
    wide = tmp_path / "wide.csv"
    r = cli("reshape", "--study", STUDY, "--to", "wide", "-o", wide)
    assert r.code == 0, r.stderr
    frame = pd.read_csv(wide, dtype=str)
    assert len(frame) == 400 and "prof_T1_wam19" in frame.columns
    p = tmp_path / "wide.yaml"
    p.write_text(
        STUDY.read_text()
        .replace("data: {path: wam_demo.csv}", "data: {path: wide.csv}")
        .replace("layout: long", 'layout: wide\nwide_pattern: "{role}_{wave}_{item}"')
        .replace("  column: rater\n", "")
        .replace("{column: wave, ", "{")
    )
    shutil.copy(EXAMPLES / "wam_demo_outcomes.csv", tmp_path / "wam_demo_outcomes.csv")
    keys = ["dyad", "rater", "wave"]
    a = wamkit.score(wamkit.read(study=str(p))).to_frame().sort_values(keys).reset_index(drop=True)
    b = wamkit.score(wamkit.read(study=str(STUDY))).to_frame().sort_values(keys).reset_index(drop=True)
    cols = keys + ["trust", "goals", "bond", "reactance", "loss_of_energy", "alliance"]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    # a bad cell is reported with the wide file's row and column
    bad = frame.copy()
    bad.loc[4, "prof_T0_wam07"] = "7"
    bad.to_csv(wide, index=False)
    with pytest.raises(wamkit.DataError, match=r"wide.csv, row 5, column prof_T0_wam07: value 7"):
        wamkit.score(wamkit.read(study=str(p)))


def test_options_override_the_study_and_old_spellings_still_work(cli):
    r = cli("outcomes", "--study", STUDY, "--cluster", "officer", "--outcome", "dropout:binary", "--format", "json")
    assert r.code == 0, r.stderr
    assert "--cluster is now --officer" in r.stderr


def test_where_filters_say_what_they_removed(cli):
    r = cli("score", "--study", STUDY, "--where", "wave=T1", "--where", "rater!=professional")
    assert r.code == 0, r.stderr
    assert "where wave=T1: 791 of 1411 rows left out" in r.stderr
    assert r.stdout.count("\n") == 311  # header + 310 client rows at T1
