"""ICC forms and cluster ICCs against psych (tests/reference/icc.json from icc.R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wamkit.errors import DataError, UsageError
from wamkit.stats.icc import PSYCH_NAMES, cluster_icc, icc

HERE = Path(__file__).resolve().parents[1]
REF = json.loads((HERE / "reference" / "icc.json").read_text())
TOL = 1e-6
FIELDS = ("icc", "f", "df1", "df2", "p", "lower", "upper")


@pytest.mark.parametrize("case", ["shrout_fleiss", "shrout_fleiss_alpha10", "generated_60x5", "two_raters"])
def test_icc_all_forms_match_psych(case):
    ref = REF["cases"][case]
    res = icc(np.array(ref["data"], dtype=float), alpha=ref["alpha"])
    assert res.n_dropped == 0
    assert res.n_targets == len(ref["data"])
    for name, psych_name in PSYCH_NAMES.items():
        form = getattr(res, name)
        want = ref["forms"][psych_name]
        assert form.psych_name == psych_name
        for field in FIELDS:
            got = getattr(form, field)
            if field == "p":
                # p values can be tiny: compare relatively as well as absolutely
                assert got == pytest.approx(want[field], rel=1e-6, abs=1e-12), (name, field)
            else:
                assert got == pytest.approx(want[field], abs=TOL), (name, field)


def test_shrout_fleiss_matches_published_table():
    # peers.md 9.3 (rounded published values), a sanity check of the JSON itself
    ref = REF["cases"]["shrout_fleiss"]["forms"]
    assert ref["ICC1"]["icc"] == pytest.approx(0.1657, abs=1e-4)
    assert ref["ICC3k"]["icc"] == pytest.approx(0.9093, abs=1e-4)
    assert ref["ICC2"]["lower"] == pytest.approx(0.019, abs=1e-3)


def test_icc_drops_incomplete_rows_and_says_so():
    data = np.array(REF["cases"]["shrout_fleiss"]["data"], dtype=float)
    with_missing = np.vstack([data, [np.nan, 3, 4, 5], [1, 2, np.nan, np.nan]])
    res = icc(with_missing)
    assert res.n_dropped == 2 and res.n_targets == 6
    assert any("2 of 8 targets dropped" in w for w in res.warnings)
    assert res.icc_a1.icc == pytest.approx(REF["cases"]["shrout_fleiss"]["forms"]["ICC2"]["icc"], abs=TOL)


def test_icc_does_not_mutate_input_and_serialises():
    data = np.array(REF["cases"]["shrout_fleiss"]["data"], dtype=float)
    copy = data.copy()
    res = icc(data)
    np.testing.assert_array_equal(data, copy)
    d = res.to_dict()
    json.dumps(d)
    assert d["icc_c1"]["psych_name"] == "ICC3"
    table = res.table()
    assert list(table["psych_name"]) == ["ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"]
    assert table["icc"].dtype == float


def test_icc_unusable_input():
    with pytest.raises(DataError, match="at least 2 targets"):
        icc(np.array([[1.0, 2.0], [np.nan, 1.0]]))
    with pytest.raises(DataError, match="at least 2 raters"):
        icc(np.ones((5, 1)))
    with pytest.raises(DataError, match="same value"):
        icc(np.full((4, 3), 2.0))
    with pytest.raises(UsageError):
        icc(np.arange(5.0))


def test_icc_perfect_consistency_is_reported_not_raised():
    x = np.array([[1.0, 2.0], [2.0, 3.0], [4.0, 5.0]])
    res = icc(x)
    assert res.icc_c1.icc == pytest.approx(1.0)
    assert res.icc_a1.icc < 1.0
    assert any("residual variance is zero" in w for w in res.warnings)


@pytest.mark.parametrize("var", ["A2", "A3"])
def test_cluster_icc_matches_statsby(var):
    bfi = pd.read_csv(HERE / "data" / "bfi.csv")
    want = REF["statsby_bfi_education"][var]
    res = cluster_icc(bfi[var].to_numpy(dtype=float), bfi["education"])
    assert res.icc1 == pytest.approx(want["icc1"], abs=TOL)
    assert res.icc2 == pytest.approx(want["icc2"], abs=TOL)
    assert res.f == pytest.approx(want["f"], abs=TOL)
    assert res.n_groups == want["n_groups"]
    assert res.n_obs == want["n_obs"]
    assert res.mean_group_size == pytest.approx(want["mean_group_size"], abs=1e-12)
    assert res.design_effect == pytest.approx(want["design_effect"], abs=TOL)
    icc1, icc2, deff, n_groups, m_bar = res
    assert (icc1, n_groups) == (res.icc1, res.n_groups)
    json.dumps(res.to_dict())


def test_cluster_icc_hand_computed():
    # groups a: 1, 3 (mean 2), b: 5, 7 (mean 6); grand mean 4
    # MSB = (2*(2-4)^2 + 2*(6-4)^2) / 1 = 16; MSW = (2 + 2) / 2 = 2; m = 2
    # ICC1 = (16-2)/(16+2*1) = 14/18; ICC2 = 14/16; deff = 1 + 1*14/18
    res = cluster_icc([1, 3, 5, 7, np.nan, 9], ["a", "a", "b", "b", "b", None])
    assert res.icc1 == pytest.approx(14 / 18)
    assert res.icc2 == pytest.approx(14 / 16)
    assert res.design_effect == pytest.approx(1 + 14 / 18)
    assert res.n_obs == 4 and res.n_groups == 2 and res.mean_group_size == 2.0


def test_cluster_icc_unusable_input():
    with pytest.raises(DataError, match="at least 2 groups"):
        cluster_icc([1.0, 2.0, 3.0], ["a", "a", "a"])
    with pytest.raises(DataError, match="2 or more values"):
        cluster_icc([1.0, 2.0], ["a", "b"])
    with pytest.raises(UsageError, match="differ in length"):
        cluster_icc([1.0, 2.0], ["a"])
