"""The scoring engine against psych::scoreItems (bfi) and against its documented rules."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from conftest import DATA, REFERENCE
from wamkit.errors import DataError, UsageError
from wamkit.instrument import load_instrument
from wamkit.io import read_table
from wamkit.scoring.core import check_examples, required_answers, score

SCALES = ["agree", "conscientious", "extraversion", "neuroticism", "openness"]


@pytest.fixture(scope="module")
def bfi():
    return read_table(str(DATA / "bfi.csv"))


@pytest.fixture(scope="module")
def psych_scores():
    # produced by tests/reference/scoring.R: psych::scoreItems(keys, impute="none", min=1, max=6)
    return pd.read_csv(REFERENCE / "scoring_bfi.csv")


@pytest.fixture(scope="module")
def bfi_instrument():
    return load_instrument(str(DATA / "bfi.yaml"))


def test_bfi_scores_equal_psych_scoreitems_for_every_row(bfi, psych_scores, bfi_instrument):
    # min_answered 0.2 = one answered item of five, which is psych's impute="none" (mean of what is answered)
    res = score(bfi.frame, bfi_instrument, source="bfi.csv")
    assert res.rows_read == 2800
    for s in SCALES:
        ours = res.scores[s].to_numpy(dtype=float)
        ref = psych_scores[s].to_numpy(dtype=float)
        np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12, equal_nan=True)
    # the passthrough columns are unchanged and in order
    assert list(res.scores.columns[:4]) == ["id", "gender", "education", "age"]
    assert (res.scores["id"].astype(int).to_numpy() == psych_scores["id"].to_numpy()).all()


@pytest.mark.parametrize("fraction", [0.75, 0.8, 1.0])
def test_bfi_min_answered_rule(bfi, psych_scores, bfi_instrument, fraction):
    res = score(bfi.frame, bfi_instrument, min_answered=fraction)
    need = required_answers(5, fraction)
    for s in SCALES:
        answered = psych_scores[f"{s}_n"].to_numpy()
        expected = np.where(answered >= need, psych_scores[s].to_numpy(dtype=float), np.nan)
        np.testing.assert_allclose(res.scores[s].to_numpy(dtype=float), expected, atol=1e-12, equal_nan=True)
        # rows complete on the scale: equal to psych's plain mean
        full = answered == 5
        np.testing.assert_allclose(
            res.scores[s].to_numpy(dtype=float)[full], psych_scores[s].to_numpy()[full], atol=1e-12
        )


def test_required_answers_boundaries():
    assert required_answers(4, 0.75) == 3
    assert required_answers(5, 0.75) == 4
    assert required_answers(12, 0.75) == 9
    assert required_answers(3, 2 / 3) == 2  # no float fuzz: 2/3 * 3 is exactly 2 answers
    assert required_answers(5, 1.0) == 5
    assert required_answers(5, 0.01) == 1


@pytest.mark.parametrize(
    "iid",
    [
        "wai-sr-client",
        "wai-s-client",
        "wai-client",
        "wai-therapist",
        "wai-observer",
        "haq-ii-patient",
        "wam-demo-client",
        "wam-demo-professional",
    ],
)
def test_worked_examples_of_every_bundled_instrument(iid):
    checks = check_examples(load_instrument(iid))
    assert checks
    bad = [c for c in checks if not c.ok]
    assert not bad, bad


def frame(rows, cols):
    return pd.DataFrame(rows, columns=cols, dtype=object)


def test_reverse_uses_declared_range_not_observed():
    ins = load_instrument("wai-s-client")
    # nobody used 1 or 7: psych without min/max would reverse with the observed range 2-6
    cols = [f"ws{i:02d}" for i in range(1, 13)]
    df = frame([[4, 4, 4, 2, 4, 4, 4, 4, 4, 6, 4, 4]], cols)
    res = score(df, ins)
    # goal = ws04 (8-2=6) + ws06 4 + ws10 (8-6=2) + ws11 4
    assert res.scores["goal"].iloc[0] == 16


def test_invalid_cells_are_all_reported_with_row_column_value():
    ins = load_instrument("wai-sr-client")
    cols = [f"wai{i:02d}" for i in range(1, 13)]
    df = frame([[1] * 12, [1] * 12, [1] * 12], cols)
    df.loc[1, "wai03"] = 8
    df.loc[2, "wai07"] = "often-ish"
    df.loc[2, "wai08"] = 2.5
    with pytest.raises(DataError) as e:
        score(df, ins, source="export.csv")
    msg = e.value.render()
    assert "export.csv: invalid item values: 3 problems" in msg
    assert "export.csv, row 2, column wai03: value 8 is outside the scale 1-5" in msg
    assert "export.csv, row 3, column wai07: value 'often-ish' is not a number or a label of the scale" in msg
    assert "export.csv, row 3, column wai08: value 2.5 is not a whole number on the scale 1-5" in msg


def test_invalid_missing_policy_counts_cells():
    ins = load_instrument("wai-sr-client")
    cols = [f"wai{i:02d}" for i in range(1, 13)]
    df = frame([[2] * 12, [2] * 12], cols)
    df.loc[0, "wai01"] = 0
    res = score(df, ins, invalid="missing")
    assert res.n_invalid == 1
    assert res.scores["task"].iloc[0] == 2.0  # 3 of 4 answered
    assert res.invalid_policy == "missing"


def test_labels_missing_labels_and_codes():
    ins = load_instrument("wam-demo-client")
    cols = [f"wam{i:02d}" for i in range(1, 20)]
    row = ["  ALTIJD "] + ["Vaak"] * 18
    row[3] = "weet niet"  # wam04 -> missing (missing label)
    row[7] = -9  # wam08 -> missing code
    res = score(frame([row], cols), ins)
    assert res.scores["trust"].iloc[0] == pytest.approx((5 + 4 + 4 + 2 + 4) / 5)
    assert math.isnan(res.scores["reactance"].iloc[0])  # 2 of 4 answered < 0.75


def test_decimal_comma_text_and_whitespace():
    ins = load_instrument("wai-sr-client")
    cols = [f"wai{i:02d}" for i in range(1, 13)]
    res = score(frame([["3,0", " 4 ", "5.0"] + ["1"] * 9], cols), ins)
    assert res.scores["task"].iloc[0] == (3 + 4 + 1 + 1) / 4


def test_all_missing_row_gives_missing_scores_and_is_kept():
    ins = load_instrument("wai-sr-client")
    cols = [f"wai{i:02d}" for i in range(1, 13)]
    df = frame([[None] * 12, [3] * 12], cols)
    res = score(df, ins)
    assert len(res.scores) == 2
    assert res.scores.iloc[0][["task", "goal", "bond", "total"]].isna().all()
    assert res.rows_scored == 1


def test_sum_method_prorates_and_subscale_total_needs_all_parts():
    ins = load_instrument("wai-s-client")
    cols = [f"ws{i:02d}" for i in range(1, 13)]
    df = frame([[7, 6, 5, 2, 7, 5, 6, None, 7, 1, 6, 5], [7, None, 5, 2, 7, 5, 6, None, 7, 1, 6, 5]], cols)
    res = score(df, ins)
    assert res.scores["task"].tolist()[0] == 24
    assert math.isnan(res.scores["task"].iloc[1])  # 2 of 4 answered
    assert math.isnan(res.scores["total"].iloc[1])  # a subscale is missing


def test_keep_items_and_counts():
    ins = load_instrument("wai-s-client")
    cols = [f"ws{i:02d}" for i in range(1, 13)]
    df = frame([[7, 6, 5, 2, 7, 5, 6, None, 7, 1, 6, 5]], cols)
    res = score(df, ins, keep_items=True, keep_counts=True)
    assert res.scores["ws04_keyed"].iloc[0] == 6
    assert math.isnan(res.scores["ws08_keyed"].iloc[0])
    assert res.scores["task_n"].iloc[0] == 3
    assert "ws01" not in res.scores.columns


def test_column_map_and_template():
    ins = load_instrument("wai-sr-client")
    df = frame([[1] * 12], [f"Q1_{i}" for i in range(1, 13)])
    res = score(df, ins, column_template="Q1_{n}")
    assert res.scores["total"].iloc[0] == 1
    df2 = frame([[1] * 12], ["X"] + [f"wai{i:02d}" for i in range(2, 13)])
    assert score(df2, ins, column_map={"wai01": "X"}).scores["task"].iloc[0] == 1
    with pytest.raises(UsageError, match="unknown item 'wai99'"):
        score(df2, ins, column_map={"wai99": "X"})


def test_missing_item_columns_are_named():
    ins = load_instrument("wai-sr-client")
    df = frame([[1] * 11], [f"wai{i:02d}" for i in range(1, 12)])
    with pytest.raises(DataError, match=r"missing item column\(s\): wai12"):
        score(df, ins, source="x.csv")


def test_score_column_clash_is_an_error():
    ins = load_instrument("wai-sr-client")
    df = frame([[1] * 12 + ["x"]], [f"wai{i:02d}" for i in range(1, 13)] + ["task"])
    with pytest.raises(UsageError, match="already has a column named 'task'"):
        score(df, ins)


def test_straightlining_is_counted():
    ins = load_instrument("wai-sr-client")
    cols = [f"wai{i:02d}" for i in range(1, 13)]
    df = frame([[5] * 12, [5] * 11 + [4], [5] * 11 + [None]], cols)
    assert score(df, ins).straightlined == 1


def test_more_invalid_cells_than_kept_are_counted_in_full():
    # only the first MAX_PROBLEMS_KEPT cells are kept as objects; the message counts them all
    ins = load_instrument("wai-sr-client")
    cols = [f"wai{i:02d}" for i in range(1, 13)]
    df = frame([[8] * 12] * 100, cols)
    with pytest.raises(DataError) as e:
        score(df, ins, source="x.csv")
    assert "x.csv: invalid item values: 1200 problems" in e.value.message
    assert e.value.details[-1] == "... and 1180 more"
