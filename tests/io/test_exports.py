"""Realistic survey exports (tests/data/exports, made by make_exports.py) read like the long demo CSV.

Every export holds the answers of the first 50 dyads of examples/wam_demo.csv; read with the
readers (and, where the export needs it, a where filter, a column template or answer codes),
its design columns and parsed item values equal those of the long CSV.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest
from tests.conftest import EXAMPLES, ROOT

from wamkit.errors import DataError
from wamkit.instrument import load_instrument
from wamkit.io import SuggestedSetting, filter_mask, parse_filters, read_table
from wamkit.scoring import parse_items, score

EXPORTS = ROOT / "tests" / "data" / "exports"
ITEMS = [f"wam{j:02d}" for j in range(1, 20)]
DESIGN = ["dyad", "officer", "rater", "wave"]


@pytest.fixture(scope="module")
def instrument():
    return load_instrument("wam-demo-client")


@pytest.fixture(scope="module")
def long():
    d = pd.read_csv(EXAMPLES / "wam_demo.csv", dtype=str, keep_default_na=False)
    keep = sorted(d["dyad"].unique())[:50]
    return d[d["dyad"].isin(keep)].reset_index(drop=True)


@pytest.fixture(scope="module")
def expected(long, instrument):
    return parse_items(long, instrument, source="long").values


def items_of(frame, instrument, template=None, **kw) -> np.ndarray:
    columns = {iid: (template.format(n=n) if template else iid) for n, iid in enumerate(instrument.item_ids, 1)}
    parsed = parse_items(frame.reset_index(drop=True), instrument, source="export", columns=columns, **kw)
    assert parsed.n_invalid == 0, parsed.problems[:3]
    return parsed.values


def design_of(frame) -> pd.DataFrame:
    return pd.DataFrame({c: frame[c].astype("string").fillna("").to_numpy() for c in DESIGN})


def same_values(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


def test_qualtrics_csv(instrument, long, expected):
    items = [f"WAM_{j}" for j in range(1, 20)]
    t = read_table(str(EXPORTS / "qualtrics.csv"), infer_columns=items)
    meta = t.meta
    assert meta["export"] == "qualtrics" and meta["extra_header_rows"] == 2 and t.extra_header_rows == 2
    assert meta["question_text"]["WAM_1"].startswith("How do you experience the working relationship?\n")
    assert meta["question_text"]["StartDate"] == "Start Date"
    assert meta["import_ids"]["WAM_3"] == "QID5_3" and meta["import_ids"]["StartDate"] == "startDate"
    assert meta["previews_left_out"] == 2 and meta["preview_rows"] == [4, 183]
    assert meta["unfinished_responses"] == 1
    assert any("2 preview response(s) left out" in n for n in meta["notes"])
    assert 3 not in t.frame.index  # data row 4 (a preview) is gone; row numbers stay
    assert t.where(1) == "row 1 (line 5)"  # the question text spans lines 2-3, import ids line 4
    assert t.frame["StartDate"].iloc[0] == "2026-03-02 10:41:00"  # text stays text
    mask, notes = filter_mask(t.frame, parse_filters(["Progress>=100"]), t.source)
    assert notes == ["where Progress>=100: 1 of 181 rows left out"]
    kept = t.frame[mask]
    pd.testing.assert_frame_equal(design_of(kept), design_of(long))
    assert same_values(items_of(kept, instrument, "WAM_{n}"), expected)


def test_qualtrics_xlsx_with_numeric_values(instrument, long, expected):
    t = read_table(str(EXPORTS / "qualtrics.xlsx"), infer_columns=[f"WAM_{j}" for j in range(1, 20)])
    assert t.meta["export"] == "qualtrics" and t.meta["previews_left_out"] == 2  # Status code 1
    assert t.meta["question_text"]["WAM_19"].endswith("Statement 19")
    assert t.where(1) == "row 1 (sheet row 4)"
    kept = t.frame[filter_mask(t.frame, parse_filters(["Finished=1"]), t.source)[0]]
    pd.testing.assert_frame_equal(design_of(kept), design_of(long))
    assert same_values(items_of(kept, instrument, "WAM_{n}"), expected)  # 9 (n/a) is a missing code


def test_limesurvey_answer_codes(instrument, long, expected):
    t = read_table(str(EXPORTS / "limesurvey.csv"))
    assert t.meta["export"] == "limesurvey" and t.meta["answer_codes"] is True
    assert t.meta["incomplete_responses"] == 1
    assert t.frame["submitdate"].iloc[0] == "2026-03-02 11:27:49"  # dates stay text
    kept = t.frame[filter_mask(t.frame, parse_filters(["submitdate!="]), t.source)[0]]
    pd.testing.assert_frame_equal(design_of(kept), design_of(long))
    template = "WAM[SQ{n:03d}]"
    assert same_values(items_of(kept, instrument, template, answer_codes=True), expected)
    # without answer codes the cells are invalid, with a message naming the label problem
    columns = {iid: template.format(n=n) for n, iid in enumerate(instrument.item_ids, 1)}
    parsed = parse_items(kept, instrument, source=t.source, columns=columns)
    assert parsed.n_invalid > 0 and "is not a number or a label of the scale" in parsed.problems[0].problem


def test_limesurvey_scores_equal_the_long_scores(instrument, long):
    t = read_table(str(EXPORTS / "limesurvey.csv"))
    kept = t.frame[filter_mask(t.frame, parse_filters(["submitdate!="]), t.source)[0]].reset_index(drop=True)
    got = score(
        kept, instrument, source=t.source, column_template="WAM[SQ{n:03d}]", answer_codes=t.meta["answer_codes"]
    )
    want = score(long, instrument, source="long")
    pd.testing.assert_frame_equal(got.scores[instrument.score_ids], want.scores[instrument.score_ids])


def test_answer_code_beyond_the_scale(instrument):
    frame = pd.DataFrame({iid: ["A3"] for iid in instrument.item_ids}).assign(wam05=["A7"])
    res = score(frame, instrument, answer_codes=True, invalid="missing")
    assert res.n_invalid == 1
    assert (
        res.problems[0].render() == "<data>, row 1, column wam05: value 'A7' is an answer code beyond the "
        "scale's 5 values"
    )


def test_dutch_semicolon_bom_decimal_comma(instrument, long, expected):
    t = read_table(str(EXPORTS / "dutch_semicolon.csv"), infer_columns=ITEMS)
    assert (t.delimiter, t.encoding, t.decimal_comma) == (";", "utf-8", True)
    assert list(t.frame.columns[:5]) == ["dyad", "officer", "rater", "wave", "risk_score"]
    assert t.frame["risk_score"].iloc[0] == "-0,59"  # a non-item column stays text
    pd.testing.assert_frame_equal(design_of(t.frame), design_of(long))
    assert same_values(items_of(t.frame, instrument, decimal_comma=True), expected)


def test_spss_value_labels_and_user_missing(instrument, long, expected):
    t = read_table(str(EXPORTS / "spss_labelled.sav"), infer_columns=ITEMS)
    assert t.meta["labelled_columns"] == ["rater", "wave"]
    assert t.meta["label_order"] == {"rater": ["client", "professional"], "wave": ["T0", "T1"]}
    assert set(t.frame["rater"]) == {"client", "professional"} and set(t.frame["wave"]) == {"T0", "T1"}
    n_na = int((long[ITEMS] == "n.v.t.").to_numpy().sum())
    assert sum(t.meta["user_missing"].values()) == n_na > 0
    assert t.frame["wam01"].dtype == float  # items keep their codes
    assert isinstance(t.frame["visit_date"].iloc[0], dt.date)  # dates stay dates
    pd.testing.assert_frame_equal(design_of(t.frame), design_of(long))
    assert same_values(items_of(t.frame, instrument), expected)


def test_excel_title_row_and_second_sheet(instrument, long, expected):
    path = str(EXPORTS / "excel_title.xlsx")
    with pytest.raises(SuggestedSetting) as e:
        read_table(path, sheet="2")
    assert (e.value.parameter, e.value.value) == ("header_row", 2)
    assert e.value.message == (
        "excel_title.xlsx: sheet 'Export' row 1 holds only 'Working Alliance Monitor - "
        "export of 2026-08-01', which looks like a title, not column names; the column "
        "names seem to be in row 2; give header_row=2"
    )
    assert "\n" not in e.value.render()
    t = read_table(path, sheet="Export", header_row=2, infer_columns=ITEMS)
    assert t.meta["sheet"] == "Export" and t.meta["header_row"] == 2
    assert t.where(3) == "row 3 (sheet row 5)"
    assert pd.Timestamp(t.frame["visit_date"].iloc[0]) == pd.Timestamp("2026-01-05")
    pd.testing.assert_frame_equal(design_of(t.frame), design_of(long))
    assert same_values(items_of(t.frame, instrument), expected)


def test_wide_file_holds_the_long_rows(instrument, long, expected):
    t = read_table(str(EXPORTS / "wide.csv"), all_text=True)
    assert t.frame.shape == (50, 2 + 2 * 2 * 19)
    rx = re.compile(r"^(client|prof)_(T0|T1)_(wam\d\d)$")
    parts = []
    for role, label in (("client", "client"), ("professional", "prof")):
        for wave in ("T0", "T1"):
            cols = {
                c: rx.match(c).group(3)
                for c in t.frame.columns
                if rx.match(c) and rx.match(c).group(1) == label and rx.match(c).group(2) == wave
            }
            block = t.frame[["dyad", "officer", *cols]].rename(columns=cols).assign(rater=role, wave=wave)
            parts.append(block[(block[ITEMS] != "").any(axis=1)])  # a block without answers is no row
    rebuilt = pd.concat(parts)
    long = long[(long[ITEMS] != "").any(axis=1)].reset_index(drop=True)
    expected = parse_items(long, instrument, source="long").values
    key = {(r.dyad, r.rater, r.wave): i for i, r in enumerate(long.itertuples())}
    rebuilt = rebuilt.assign(_k=[key[(r.dyad, r.rater, r.wave)] for r in rebuilt.itertuples()]).sort_values("_k")
    pd.testing.assert_frame_equal(design_of(rebuilt), design_of(long))
    assert same_values(items_of(rebuilt, instrument), expected)


def test_outcomes_with_another_key_name(long):
    t = read_table(str(EXPORTS / "outcomes_key.csv"), all_text=True)
    assert t.frame.columns[0] == "Participant Id"
    o = pd.read_csv(EXAMPLES / "wam_demo_outcomes.csv", dtype=str, keep_default_na=False)
    o = o[o["dyad"].isin(set(long["dyad"]))].reset_index(drop=True)
    got = t.frame.rename(columns={"Participant Id": "dyad"}).astype(object)
    pd.testing.assert_frame_equal(got, o.astype(object))


def test_generator_reproduces_the_committed_files(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_exports", EXPORTS / "make_exports.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    monkeypatch.setattr(mod, "HERE", tmp_path)
    mod.main()
    for p in sorted(tmp_path.iterdir()):
        assert p.read_bytes() == (EXPORTS / p.name).read_bytes(), p.name


def test_qualtrics_recognition_can_be_switched_off():
    t = read_table(str(EXPORTS / "qualtrics.csv"), export="plain")
    assert "export" not in t.meta and t.frame["StartDate"].iloc[0] == "Start Date"
    with pytest.raises(DataError, match="not a Qualtrics export"):
        read_table(str(EXPORTS / "dutch_semicolon.csv"), export="qualtrics")
