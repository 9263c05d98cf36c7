"""Dyad pairing, agreement per wave (vs psych via tests/reference/icc.json) and reliable change."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wamkit.dyads.agreement import agreement, difference_reliability
from wamkit.dyads.change import (
    CLASS_DETERIORATED,
    CLASS_IMPROVED,
    CLASS_NO_CHANGE,
    CLASS_NOT_COMPUTABLE,
    reliable_change,
)
from wamkit.dyads.pairing import DyadPairing, pair_dyads
from wamkit.errors import DataError, UsageError

HERE = Path(__file__).resolve().parents[1]
REF = json.loads((HERE / "reference" / "icc.json").read_text())

CLIENT = ["trust", "goals", "bond", "reactance"]
PROFESSIONAL = ["trust", "goals", "bond", "loss_of_energy"]
NAN = np.nan


def monitor_frame() -> pd.DataFrame:
    """Two complete dyads at T0, one dyad with the client only; d1 also at T1."""
    return pd.DataFrame(
        {
            "dyad": ["d1", "d1", "d2", "d2", "d3", "d1", "d1"],
            "rater": ["client", "professional", "client", "professional", "client", "client", "professional"],
            "wave": ["T0", "T0", "T0", "T0", "T0", "T1", "T1"],
            "trust": [4.0, 3.5, 2.0, 3.0, 5.0, 3.0, NAN],
            "goals": [3.0, 3.0, 4.0, 2.0, 4.0, 2.0, 3.0],
            "bond": [5.0, 4.0, 3.0, 3.5, 4.5, 4.0, 4.5],
            "reactance": [2.0, NAN, 3.0, NAN, 1.0, 4.0, NAN],
            "loss_of_energy": [NAN, 2.0, NAN, 1.0, NAN, NAN, 3.0],
        }
    )


def pair(df, **kw):
    args = {
        "dyad": "dyad",
        "rater": "rater",
        "wave": "wave",
        "subscales_client": CLIENT,
        "subscales_professional": PROFESSIONAL,
    }
    args.update(kw)
    return pair_dyads(df, **args)


# ----------------------------------------------------------------------------- pairing


def test_pairing_shared_subscales_and_unpaired_rows():
    df = monitor_frame()
    before = df.copy()
    res = pair(df)
    pd.testing.assert_frame_equal(df, before)  # input untouched
    assert isinstance(res, DyadPairing)
    assert res.subscales == ("trust", "goals", "bond")
    assert res.client_only == ("reactance",) and res.professional_only == ("loss_of_energy",)
    assert res.score_pairs == (("trust", "trust"), ("goals", "goals"), ("bond", "bond"))
    assert res.n_pairs == 3
    assert list(res.pairs.columns) == [
        "dyad",
        "wave",
        "subscale",
        "client",
        "professional",
        "difference",
        "abs_difference",
    ]
    assert len(res.pairs) == 9 and set(res.pairs["subscale"]) == {"trust", "goals", "bond"}
    row = res.pairs.query("dyad == 'd2' and wave == 'T0' and subscale == 'goals'").iloc[0]
    # client 4, professional 2 -> difference = client - professional = 2
    assert (row.client, row.professional, row.difference, row.abs_difference) == (4.0, 2.0, 2.0, 2.0)
    row = res.pairs.query("dyad == 'd1' and wave == 'T1' and subscale == 'goals'").iloc[0]
    assert (row.difference, row.abs_difference) == (-1.0, 1.0)
    # a missing score pairs to a missing difference
    row = res.pairs.query("dyad == 'd1' and wave == 'T1' and subscale == 'trust'").iloc[0]
    assert np.isnan(row.difference)
    # d3 has only a client row at T0: data row 5 (1-based)
    assert res.unpaired.to_dict(orient="records") == [{"dyad": "d3", "wave": "T0", "rater": "client", "row": 5}]
    assert any("no partner" in w for w in res.warnings)
    json.dumps(res.to_dict())


def test_pairing_without_waves():
    df = monitor_frame().iloc[:5]
    res = pair(df.drop(columns="wave"), wave=None)
    assert res.n_pairs == 2
    assert res.pairs["wave"].isna().all()
    assert list(res.unpaired["dyad"]) == ["d3"]


def test_pairing_custom_rater_values():
    df = monitor_frame()
    df["rater"] = df["rater"].map({"client": "C", "professional": "P"})
    res = pair(df, client_value="C", professional_value="P")
    assert res.n_pairs == 3
    assert list(res.unpaired["rater"]) == ["client"]


def test_pairing_duplicate_rows_are_named():
    df = monitor_frame()
    df = pd.concat([df, df.iloc[[1]]], ignore_index=True)  # second professional row for d1 T0 -> data row 8
    with pytest.raises(DataError) as exc:
        pair(df)
    msg = exc.value.message
    assert "duplicate" in msg and "dyad d1" in msg and "wave T0" in msg and "professional" in msg
    assert "rows 2, 8" in msg


def test_pairing_several_duplicates_listed_in_details():
    df = monitor_frame()
    df = pd.concat([df, df.iloc[[1, 4]]], ignore_index=True)  # rows 8 (d1) and 9 (d3)
    with pytest.raises(DataError) as exc:
        pair(df)
    text = exc.value.render()
    assert "2 duplicated dyad keys" in text
    assert "dyad d1, wave T0, rater professional: 2 rows (rows 2, 8)" in text
    assert "dyad d3, wave T0, rater client: 2 rows (rows 5, 9)" in text


def test_pairing_bad_input():
    df = monitor_frame()
    bad = df.assign(rater=df["rater"].replace({"client": "cliënt"}))
    with pytest.raises(DataError, match="neither 'client' nor 'professional'"):
        pair(bad)
    with pytest.raises(UsageError, match="share no subscale"):
        pair(df, subscales_client=["reactance"], subscales_professional=["loss_of_energy"])
    with pytest.raises(UsageError, match="not in the scores: nope"):
        pair(df, subscales_client=["trust", "nope"])
    empty_id = df.copy()
    empty_id.loc[2, "dyad"] = None
    with pytest.raises(DataError, match="dyad column 'dyad' is empty in row 3"):
        pair(empty_id)


# ----------------------------------------------------------------------------- agreement


def test_agreement_matches_r_two_rater_case():
    ref = REF["cases"]["two_raters"]
    data = np.array(ref["data"], dtype=float)
    n = len(data)
    pairs = pd.DataFrame(
        {
            "dyad": [f"d{i}" for i in range(n)],
            "wave": "T0",
            "subscale": "trust",
            "client": data[:, 0],
            "professional": data[:, 1],
        }
    )
    res = agreement(pairs, reliability={"trust": (ref["rel_client"], ref["rel_professional"])})
    row = res.by_subscale.iloc[0]
    assert row["n_pairs"] == n
    for ours, theirs in [
        ("mean_difference", "mean_difference"),
        ("sd_difference", "sd_difference"),
        ("loa_low", "loa_low"),
        ("loa_high", "loa_high"),
        ("r", "r"),
        ("difference_reliability", "difference_reliability"),
    ]:
        assert row[ours] == pytest.approx(ref[theirs], abs=1e-9), ours
    forms = ref["forms"]
    for ours, psych_name in [("icc_a1", "ICC2"), ("icc_c1", "ICC3")]:
        assert row[ours] == pytest.approx(forms[psych_name]["icc"], abs=1e-6)
        assert row[f"{ours}_lower"] == pytest.approx(forms[psych_name]["lower"], abs=1e-6)
        assert row[f"{ours}_upper"] == pytest.approx(forms[psych_name]["upper"], abs=1e-6)
    json.dumps(res.to_dict())


def test_agreement_per_wave_hand_computed_and_profiles():
    res = agreement(pair(monitor_frame()), wave_order=["T0", "T1"])
    by = res.by_subscale.set_index(["subscale", "wave"])
    # one row per subscale and wave, never pooled over dyad-waves
    assert list(res.by_subscale[["subscale", "wave"]].itertuples(index=False, name=None)) == [
        ("trust", "T0"),
        ("trust", "T1"),
        ("goals", "T0"),
        ("goals", "T1"),
        ("bond", "T0"),
        ("bond", "T1"),
    ]
    goals = by.loc[("goals", "T0")]
    # goals at T0 (client, professional): d1 (3, 3), d2 (4, 2): differences 0, 2: mean 1, SD sqrt(2)
    assert goals["n_pairs"] == 2
    assert goals["mean_difference"] == pytest.approx(1.0)
    assert goals["sd_difference"] == pytest.approx(np.sqrt(2))
    assert goals["loa_low"] == pytest.approx(1 - 1.96 * np.sqrt(2))
    assert goals["loa_high"] == pytest.approx(1 + 1.96 * np.sqrt(2))
    # T1 has one pair only: means, but no SD, limits, r or ICC
    t1 = by.loc[("goals", "T1")]
    assert t1["n_pairs"] == 1 and t1["mean_difference"] == pytest.approx(-1.0)
    assert np.isnan(t1["sd_difference"]) and np.isnan(t1["icc_a1"])
    assert any("goals (wave T1): fewer than 2 complete" in w for w in res.warnings)
    # trust at d1 T1 lacks the professional score: no pair at T1
    assert by.loc[("trust", "T1"), "n_pairs"] == 0
    assert np.isnan(goals["difference_reliability"])

    prof = res.profiles.set_index(["dyad", "wave"])
    # d1 T0: client (4, 3, 5), professional (3.5, 3, 4): deviations (0, -1, 1) and (0, -1/2, 1/2),
    # proportional -> r = 1
    assert prof.loc[("d1", "T0"), "profile_correlation"] == pytest.approx(1.0)
    # d2 T0: client (2, 4, 3), professional (3, 2, 3.5): deviations (-1, 1, 0) and (1/6, -5/6, 2/3)
    # r = (-1/6 - 5/6 + 0) / sqrt(2 * (1 + 25 + 16) / 36) = -1 / sqrt(7/3)
    assert prof.loc[("d2", "T0"), "profile_correlation"] == pytest.approx(-1 / np.sqrt(7 / 3))
    assert prof.loc[("d1", "T0"), "n_subscales"] == 3
    # d1 T1: trust missing for the professional -> 2 subscales -> NaN, with a note
    assert prof.loc[("d1", "T1"), "n_subscales"] == 2
    assert np.isnan(prof.loc[("d1", "T1"), "profile_correlation"])
    assert any("at least 3 shared subscales" in w for w in res.warnings)
    summ = res.profile_summary.set_index("wave")
    assert summ.loc["T0", "n_dyads"] == 2 and summ.loc["T0", "n"] == 2
    assert summ.loc["T0", "mean"] == pytest.approx((1 - 1 / np.sqrt(7 / 3)) / 2)
    assert summ.loc["T1", "n"] == 0 and np.isnan(summ.loc["T1", "median"])


def test_agreement_reliability_per_wave_wins_over_per_subscale():
    res = agreement(pair(monitor_frame()), reliability={"goals": (0.8, 0.9), ("goals", "T1"): (0.5, 0.5)})
    by = res.by_subscale.set_index(["subscale", "wave"])
    assert by.loc[("goals", "T0"), "reliability_client"] == 0.8
    assert by.loc[("goals", "T1"), "reliability_client"] == 0.5
    with pytest.raises(UsageError, match=r"reliability\['goals'\] must be a pair"):
        agreement(pair(monitor_frame()), reliability={"goals": 0.8})


def test_declared_pairs_compare_two_different_scores():
    df = monitor_frame()
    res = pair(df, pairs={"trust": "trust", "reactance": "loss_of_energy"})
    assert res.subscales == ("trust", "reactance/loss_of_energy")
    assert res.score_pairs == (("trust", "trust"), ("reactance", "loss_of_energy"))
    row = res.pairs.query("dyad == 'd2' and wave == 'T0' and subscale == 'reactance/loss_of_energy'").iloc[0]
    assert (row.client, row.professional, row.difference) == (3.0, 1.0, 2.0)
    assert res.client_only == ("goals", "bond") and res.professional_only == ("goals", "bond")
    with pytest.raises(UsageError, match="pairs name score"):
        pair(df, pairs={"trust": "nope"})


def test_agreement_flat_profile_and_too_few_pairs():
    pairs = pd.DataFrame(
        {
            "dyad": ["a"] * 3,
            "wave": ["T0"] * 3,
            "subscale": ["x", "y", "z"],
            "client": [3.0, 3.0, 3.0],
            "professional": [2.0, 4.0, 5.0],
        }
    )
    res = agreement(pairs)
    assert np.isnan(res.profiles["profile_correlation"].iloc[0])
    assert any("flat" in w for w in res.warnings)
    assert res.by_subscale["n_pairs"].tolist() == [1, 1, 1]
    assert res.by_subscale["wave"].tolist() == ["T0"] * 3
    assert res.by_subscale["icc_a1"].isna().all()
    assert any("fewer than 2 complete" in w for w in res.warnings)


def test_difference_reliability_formula():
    # (0.5 * (0.8 + 0.9) - 0.5) / (1 - 0.5) = (0.85 - 0.5) / 0.5 = 0.7
    assert difference_reliability(0.8, 0.9, 0.5) == pytest.approx(0.7)
    assert np.isnan(difference_reliability(0.8, 0.9, 1.0))
    np.testing.assert_allclose(difference_reliability([0.8, 0.9], [0.9, 0.9], [0.5, 0.0]), [0.7, 0.9])


# ----------------------------------------------------------------------------- reliable change


def change_frame() -> pd.DataFrame:
    """Client trust/reactance and professional trust at T0, T1, T2.

    Client baseline (T0) trust 2, 3, 4 -> SD0 = 1; reactance 1, 2, 3 -> SD0 = 1.
    Professional baseline trust 3, 3, 5 -> SD0 = sqrt(4/3).
    """
    rows = [
        # dyad, rater, wave, trust, reactance
        ("d1", "client", "T0", 2.0, 1.0),
        ("d2", "client", "T0", 3.0, 2.0),
        ("d3", "client", "T0", 4.0, 3.0),
        ("d1", "professional", "T0", 3.0, NAN),
        ("d2", "professional", "T0", 3.0, NAN),
        ("d3", "professional", "T0", 5.0, NAN),
        ("d1", "client", "T1", 4.5, 3.5),
        ("d3", "client", "T1", 5.0, 1.0),
        ("d1", "professional", "T1", 4.0, NAN),
        ("d2", "professional", "T1", 1.5, NAN),
        ("d1", "client", "T2", 2.0, NAN),
        ("d2", "client", "T2", 1.0, 2.5),
    ]
    df = pd.DataFrame(rows, columns=["dyad", "rater", "wave", "trust", "reactance"])
    return df.iloc[::-1].reset_index(drop=True)  # order of rows must not matter


def run_rc(df, **kw):
    args = {
        "dyad": "dyad",
        "rater": "rater",
        "wave": "wave",
        "wave_order": ["T0", "T1", "T2"],
        "subscales": ["trust", "reactance"],
        "reliability": {"trust": {"client": 0.5, "professional": 0.8}, "reactance": 0.5},
        "higher_is_better": {"reactance": False},
    }
    args.update(kw)
    return reliable_change(df, **args)


def test_reliable_change_hand_computed():
    df = change_frame()
    before = df.copy()
    res = run_rc(df)
    pd.testing.assert_frame_equal(df, before)
    ch = res.changes.set_index(["dyad", "rater", "subscale", "from", "to"])

    # client trust: S_diff = sqrt(2) * 1 * sqrt(1 - 0.5) = 1, so RCI = change
    r = ch.loc[("d1", "client", "trust", "T0", "T1")]  # 2 -> 4.5: +2.5 > 1.96, higher is better
    assert r.change == pytest.approx(2.5) and r.s_diff == pytest.approx(1.0) and r.rci == pytest.approx(2.5)
    assert r.classification == CLASS_IMPROVED
    r = ch.loc[("d1", "client", "trust", "T1", "T2")]  # 4.5 -> 2: RCI -2.5
    assert r.rci == pytest.approx(-2.5) and r.classification == CLASS_DETERIORATED
    r = ch.loc[("d3", "client", "trust", "T0", "T1")]  # 4 -> 5: RCI 1.0
    assert r.rci == pytest.approx(1.0) and r.classification == CLASS_NO_CHANGE
    # d2's client skipped T1: compared T0 -> T2, 3 -> 1: RCI -2
    r = ch.loc[("d2", "client", "trust", "T0", "T2")]
    assert r.rci == pytest.approx(-2.0) and r.classification == CLASS_DETERIORATED

    # client reactance (higher = worse): S_diff = 1
    r = ch.loc[("d1", "client", "reactance", "T0", "T1")]  # 1 -> 3.5: +2.5, a reliable worsening
    assert r.rci == pytest.approx(2.5) and r.classification == CLASS_DETERIORATED
    assert not r.higher_is_better
    r = ch.loc[("d3", "client", "reactance", "T0", "T1")]  # 3 -> 1: -2, a reliable improvement
    assert r.rci == pytest.approx(-2.0) and r.classification == CLASS_IMPROVED
    r = ch.loc[("d2", "client", "reactance", "T0", "T2")]  # 2 -> 2.5: 0.5
    assert r.classification == CLASS_NO_CHANGE
    r = ch.loc[("d1", "client", "reactance", "T1", "T2")]  # T2 reactance missing
    assert np.isnan(r.rci) and r.classification == CLASS_NOT_COMPUTABLE

    # professional trust: SD0 of (3, 3, 5) = sqrt(((2/3)^2 * 2 + (4/3)^2) / 2) = sqrt(4/3)
    # S_diff = sqrt(2) * sqrt(4/3) * sqrt(1 - 0.8) = sqrt(8/15) = 0.730297
    s_diff = np.sqrt(8 / 15)
    r = ch.loc[("d1", "professional", "trust", "T0", "T1")]  # 3 -> 4: 1 / 0.7303 = 1.369
    assert r.s_diff == pytest.approx(s_diff) and r.rci == pytest.approx(1 / s_diff)
    assert r.classification == CLASS_NO_CHANGE
    r = ch.loc[("d2", "professional", "trust", "T0", "T1")]  # 3 -> 1.5: -1.5 / 0.7303 = -2.054
    assert r.rci == pytest.approx(-1.5 / s_diff) and r.classification == CLASS_DETERIORATED

    # the professional has no reactance scores at all: not on that form, no rows
    assert not ((res.changes["rater"] == "professional") & (res.changes["subscale"] == "reactance")).any()
    assert len(res.changes) == 4 * 2 + 2  # client: 4 wave pairs x 2 subscales; professional: 2 x trust

    sd = res.s_diff.set_index(["rater", "subscale"])
    assert sd.loc[("professional", "trust"), "sd_baseline"] == pytest.approx(np.sqrt(4 / 3))
    assert sd.loc[("client", "trust"), "reliable_change_raw"] == pytest.approx(1.96)
    assert sd.loc[("client", "trust"), "n_baseline"] == 3
    assert (sd["sd_source"] == "sample").all()
    json.dumps(res.to_dict())


def test_reliable_change_given_baseline_sd_and_criterion():
    # baseline SD 2 for trust: S_diff (client) = sqrt(2) * 2 * sqrt(0.5) = 2; change +2.5 -> RCI 1.25
    res = run_rc(change_frame(), baseline_sd={"trust": 2.0}, criterion=1.0)
    ch = res.changes.set_index(["dyad", "rater", "subscale", "from", "to"])
    r = ch.loc[("d1", "client", "trust", "T0", "T1")]
    assert r.s_diff == pytest.approx(2.0) and r.rci == pytest.approx(1.25)
    assert r.classification == CLASS_IMPROVED  # 1.25 > criterion 1.0
    sd = res.s_diff.set_index(["rater", "subscale"])
    assert sd.loc[("client", "trust"), "sd_source"] == "given"
    assert sd.loc[("client", "reactance"), "sd_source"] == "sample"


def test_reliable_change_errors():
    df = change_frame()
    with pytest.raises(UsageError, match="no reliability given for reactance"):
        run_rc(df, reliability={"trust": 0.5})
    with pytest.raises(UsageError, match=r"must be in \[0, 1\)"):
        run_rc(df, reliability={"trust": 1.0, "reactance": 0.5})
    with pytest.raises(DataError, match="not in wave_order"):
        run_rc(df, wave_order=["T0", "T1"])
    dup = pd.concat([df, df.iloc[[0]]], ignore_index=True)  # row 1 (1-based) duplicated as row 13
    with pytest.raises(DataError, match=r"dyad d2, rater client, wave T2: 2 rows \(rows 1, 13\)"):
        run_rc(dup)


def test_reliable_change_baseline_without_variation_is_reported():
    df = change_frame()
    df.loc[df["wave"] == "T0", "reactance"] = 2.0
    res = run_rc(df)
    assert any("no variation at baseline" in w for w in res.warnings)
    sub = res.changes[res.changes["subscale"] == "reactance"]
    assert (sub["classification"] == CLASS_NOT_COMPUTABLE).all()


def test_agreement_on_pairs_without_waves():
    df = monitor_frame().iloc[:5].drop(columns="wave")
    res = agreement(pair(df, wave=None))
    assert len(res.profiles) == 2 and res.profiles["wave"].isna().all()
    assert res.by_subscale["n_pairs"].tolist() == [2, 2, 2]


def test_row_numbers_follow_an_integer_index_and_fall_back_to_positions():
    df = monitor_frame()
    dup = pd.concat([df, df.iloc[[4]]], ignore_index=True)  # d3 client twice: rows 5 and 8
    shifted = dup.set_axis(dup.index + 100)  # integer index: rows are index + 1
    with pytest.raises(DataError, match=r"rows 105, 108"):
        pair(shifted)
    labelled = dup.set_axis([f"r{i}" for i in range(len(dup))])  # not integer: positions
    with pytest.raises(DataError, match=r"rows 5, 8"):
        pair(labelled)
