"""Longitudinal, dyadic and partial measurement invariance vs lavaan 0.6-14 / semTools 0.5-6
(tests/reference/invariance_long.json, made by tests/reference/invariance_long.R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wamkit.errors import UsageError
from wamkit.stats.invariance import invariance_sequence
from wamkit.stats.sem import longitudinal_invariance, role_invariance, score_tests, widen

ROOT = Path(__file__).parents[2]
REF = json.loads((ROOT / "tests" / "reference" / "invariance_long.json").read_text())
REL = 1e-4
FIT_KEYS = [
    "npar",
    "chisq",
    "df",
    "pvalue",
    "baseline.chisq",
    "baseline.df",
    "cfi",
    "tli",
    "logl",
    "unrestricted.logl",
    "aic",
    "bic",
    "bic2",
    "rmsea",
    "rmsea.ci.lower",
    "rmsea.ci.upper",
    "rmsea.pvalue",
    "srmr",
    "srmr_bentler_nomean",
    "crmr",
    "rmr",
    "gfi",
    "ntotal",
]


def check_fit(fit, ref: dict) -> None:
    for key in FIT_KEYS:
        assert getattr(fit, key.replace(".", "_")) == pytest.approx(ref[key], rel=REL, abs=1e-10), key


def check_lrt(step, ref: dict) -> None:
    assert step.chisq_diff == pytest.approx(ref["chisq_diff"], rel=REL)
    assert step.df_diff == ref["df_diff"]
    assert step.pvalue_diff == pytest.approx(ref["pvalue"], rel=1e-3, abs=1e-12)


def wam_items() -> pd.DataFrame:
    wam = pd.read_csv(ROOT / "examples" / "wam_demo.csv", dtype=str)
    items = [f"wam{i:02d}" for i in range(1, 20)]
    for c in items:
        wam[c] = pd.to_numeric(wam[c], errors="coerce")  # 'n.v.t.' -> missing
    for c in ("wam13", "wam18"):
        wam[c] = 6 - wam[c]
    return wam


ITEMS = [f"wam{i:02d}" for i in range(1, 20)]


@pytest.fixture(scope="module")
def sim_partial():
    sim = pd.read_csv(ROOT / "tests" / "data" / "sim_longitudinal.csv")
    return longitudinal_invariance(sim, REF["sim"]["structure"], REF["sim"]["occasions"], partial=True)


@pytest.fixture(scope="module")
def wam_waves():
    wam = wam_items()
    wide, cols = widen(wam[wam.rater == "client"], id="dyad", by="wave", items=ITEMS)
    assert len(wide) == REF["wam_waves"]["n_rows"]
    st = REF["wam_waves"]["structure"]
    return {
        "listwise": longitudinal_invariance(wide, st, ["T0", "T1"], columns=cols),
        "fiml": longitudinal_invariance(
            wide, st, ["T0", "T1"], columns=cols, missing="fiml", levels=("configural", "metric")
        ),
    }


@pytest.fixture(scope="module")
def wam_roles():
    wam = wam_items()
    wide, cols = widen(wam[wam.wave == "T0"], id="dyad", by="rater", items=ITEMS)
    assert len(wide) == REF["wam_roles"]["n_rows"]
    return role_invariance(wide, REF["wam_roles"]["structure"], ("client", "professional"), columns=cols)


@pytest.fixture(scope="module")
def hs_partial():
    hs = pd.read_csv(ROOT / "tests" / "data" / "hs1939.csv")
    return invariance_sequence(hs, REF["hs_partial"]["model"], "school", partial=True)


# ----------------------------------------------------------------------------- longitudinal, three waves
def test_three_waves_partial_sequence(sim_partial):
    ref = REF["sim"]["partial"]
    names = [s.name for s in sim_partial.steps]
    assert names == ["configural", "metric", "partial metric", "scalar", "partial scalar", "strict"]
    by = {s.name: s for s in sim_partial.steps}
    check_fit(by["configural"].fit.fit, REF["sim"]["fits"]["configural"]["fit"])
    check_fit(by["metric"].fit.fit, ref["metric"]["full"])
    check_fit(by["partial metric"].fit.fit, ref["metric"]["final"])
    check_fit(by["scalar"].fit.fit, ref["scalar"]["full"])
    check_fit(by["partial scalar"].fit.fit, ref["scalar"]["final"])
    check_fit(by["strict"].fit.fit, ref["strict"]["final"])
    check_lrt(by["metric"], REF["sim"]["lrt"]["metric"])
    check_lrt(by["partial metric"], ref["metric"]["lrt_vs_accepted"])
    check_lrt(by["partial scalar"], ref["scalar"]["lrt_vs_accepted"])
    check_lrt(by["strict"], ref["strict"]["lrt_vs_accepted"])
    assert by["metric"].verdict == by["scalar"].verdict == "not supported"
    assert sim_partial.highest_level == "strict"
    for s in sim_partial.steps:
        assert s.fit.converged
        if not s.partial:
            r = REF["sim"]["fits"].get(s.level)
            assert s.fit.iterations <= 2 * r["iterations"]


def test_three_waves_released_parameters(sim_partial):
    got = [(r.level, r.lhs, r.op, r.rhs, r.parameter, r.units) for r in sim_partial.partial]
    assert got == [
        ("metric", "B.t2", "=~", "y07_t2", "B =~ y07", ("t1", "t2")),
        ("scalar", "y03_t3", "~1", "", "y03 ~1", ("t1", "t3")),
    ]
    want = [r for lv in ("metric", "scalar") for r in REF["sim"]["partial"][lv]["released"]]
    for mine, ref in zip(sim_partial.partial, want, strict=True):
        assert (mine.lhs, mine.op, mine.rhs or "") == (ref["lhs"], ref["op"], ref["rhs"])
        assert mine.chisq == pytest.approx(ref["X2"], rel=REL)
    assert "B =~ y07 (t2)" in sim_partial.verdict and "y03 ~1 (t3)" in sim_partial.verdict


@pytest.mark.parametrize("level", ["metric", "scalar"])
def test_three_waves_score_tests_match_lavtestscore(sim_partial, level):
    """lavTestScore on the failing (full) model of the level, with earlier releases in place."""
    step = next(s for s in sim_partial.steps if s.name == level)
    st = score_tests(step.fit)
    ref = REF["sim"]["partial"][level]["scores"]
    pt = step.fit.partable
    mine = pd.DataFrame(
        {
            "lhs": [pt.lhs[r] for r in st.uni.row_rhs],
            "op": [pt.op[r] for r in st.uni.row_rhs],
            "rhs": [pt.rhs[r] for r in st.uni.row_rhs],
            "X2": st.uni.X2,
        }
    )
    r = pd.DataFrame(ref["uni"])
    r["rhs"] = r["rhs"].fillna("")
    m = r.merge(mine, on=["lhs", "op", "rhs"], suffixes=("_ref", ""), validate="one_to_one")
    assert len(m) == len(r) == len(mine)
    np.testing.assert_allclose(m.X2, m.X2_ref, rtol=1e-3, atol=1e-4)
    assert st.total["X2"] == pytest.approx(ref["total"]["X2"], rel=1e-3)
    assert st.total["df"] == ref["total"]["df"]


# ----------------------------------------------------------------------------- longitudinal, two waves (wam_demo)
@pytest.mark.parametrize("missing", ["listwise", "fiml"])
def test_two_waves_against_measeq(wam_waves, missing):
    seq = wam_waves[missing]
    ref = REF["wam_waves"][missing]
    for s in seq.steps:
        check_fit(s.fit.fit, ref["fits"][s.level]["fit"])
        assert s.fit.iterations <= 2 * ref["fits"][s.level]["iterations"]
        if s.chisq_diff is not None:
            check_lrt(s, ref["lrt"][s.level])
    assert seq.design == "occasions" and seq.groups == ("T0", "T1")


def test_two_waves_parameters_use_columns_and_std_lv_identification(wam_waves):
    seq = wam_waves["listwise"]
    conf = seq.steps[0].fit.parameters
    var = conf[(conf.op == "~~") & (conf.lhs == conf.rhs) & conf.lhs.str.startswith("trust.")]
    assert (var.est == 1.0).all() and not var.free.any()  # configural: all latent variances fixed
    metric = seq.steps[1].fit.parameters
    v1 = metric.query("lhs == 'trust.T1' and op == '~~' and rhs == 'trust.T1'")
    assert v1.free.iloc[0]  # freed once loadings are equal (measEq ID.fac = "std.lv")
    lag = metric.query("lhs == 'wam05_T0' and op == '~~' and rhs == 'wam05_T1'")
    assert len(lag) == 1 and lag.free.iloc[0]
    d = json.loads(json.dumps(seq.to_dict()))
    assert d["design"] == "occasions" and len(d["steps"]) == 4


# ----------------------------------------------------------------------------- dyadic roles
def test_roles_against_measeq(wam_roles):
    ref = REF["wam_roles"]
    assert [s.level for s in wam_roles.steps] == ["configural", "metric", "scalar", "strict"]
    for s in wam_roles.steps:
        check_fit(s.fit.fit, ref["fits"][s.level]["fit"])
        if s.chisq_diff is not None:
            check_lrt(s, ref["lrt"][s.level])
    assert wam_roles.design == "roles" and wam_roles.group == "role"


def test_roles_scalar_score_tests(wam_roles):
    step = next(s for s in wam_roles.steps if s.level == "scalar")
    st = score_tests(step.fit)
    pt = step.fit.partable
    mine = pd.DataFrame(
        {
            "lhs": [pt.lhs[r] for r in st.uni.row_rhs],
            "op": [pt.op[r] for r in st.uni.row_rhs],
            "rhs": [pt.rhs[r] for r in st.uni.row_rhs],
            "X2": st.uni.X2,
        }
    )
    r = pd.DataFrame(REF["wam_roles"]["scalar_scores"]["uni"])
    r["rhs"] = r["rhs"].fillna("")
    m = r.merge(mine, on=["lhs", "op", "rhs"], suffixes=("_ref", ""), validate="one_to_one")
    assert len(m) == len(r) == len(mine) == 38
    np.testing.assert_allclose(m.X2, m.X2_ref, rtol=1e-3, atol=1e-4)
    assert st.total["X2"] == pytest.approx(REF["wam_roles"]["scalar_scores"]["total"]["X2"], rel=1e-3)


# ----------------------------------------------------------------------------- multi-group partial (HS by school)
def test_multigroup_partial_release_order_and_fits(hs_partial):
    ref = REF["hs_partial"]["steps"]
    names = [s.name for s in hs_partial.steps]
    assert names == ["configural", "metric", "scalar", "partial scalar", "strict", "partial strict"]
    want = [
        (r["lhs"], r["op"], r["rhs"] or "", r["group"])
        for lv in ("metric", "scalar", "strict")
        for r in ref[lv]["released"]
    ]
    got = [(r.lhs, r.op, r.rhs, r.group) for r in hs_partial.partial]
    assert got == want == [("x3", "~1", "", 2), ("x7", "~1", "", 2), ("x6", "~~", "x6", 2)]
    chis = [r["X2"] for lv in ("metric", "scalar", "strict") for r in ref[lv]["released"]]
    np.testing.assert_allclose([r.chisq for r in hs_partial.partial], chis, rtol=REL)
    by = {s.name: s for s in hs_partial.steps}
    check_fit(by["scalar"].fit.fit, ref["scalar"]["full"])
    check_fit(by["partial scalar"].fit.fit, ref["scalar"]["final"])
    check_fit(by["strict"].fit.fit, ref["strict"]["full"])
    check_fit(by["partial strict"].fit.fit, ref["strict"]["final"])
    check_lrt(by["partial scalar"], ref["scalar"]["lrt_vs_accepted"])
    check_lrt(by["partial strict"], ref["strict"]["lrt_vs_accepted"])
    assert hs_partial.highest_level == "partial strict"
    assert hs_partial.partial[0].units == ("Pasteur", "Grant-White")
    assert hs_partial.partial[0].parameter == "x3 ~1"
    assert hs_partial.final.name == "partial strict"
    assert hs_partial.criterion == "lrt+chen"


def test_multigroup_score_tests_on_scalar_model(hs_partial):
    step = next(s for s in hs_partial.steps if s.name == "scalar")
    st = score_tests(step.fit.sem)
    ref = REF["hs_partial"]["steps"]["scalar"]["scores"]
    np.testing.assert_allclose(st.uni.X2, [u["X2"] for u in ref["uni"]], rtol=REL, atol=1e-6)
    assert list(st.uni.lhs) == [f".p{k}." for k in (2, 3, 5, 6, 8, 9, 25, 26, 27, 28, 29, 30, 31, 32, 33)]
    assert st.total["X2"] == pytest.approx(ref["total"]["X2"], rel=REL)
    assert st.total["df"] == ref["total"]["df"] == 15
    d = json.loads(json.dumps(hs_partial.to_dict()))
    assert d["partial"][0]["parameter"] == "x3 ~1" and d["partial"][0]["groups"] == ["Pasteur", "Grant-White"]
    tab = hs_partial.table()
    assert list(tab.n_released) == [0, 0, 0, 2, 0, 1]


# ----------------------------------------------------------------------------- errors and helpers
def test_widen_and_errors():
    long = pd.DataFrame({"id": [1, 1, 2, 2], "t": ["a", "b", "a", "b"], "x": [1.0, 2.0, 3.0, 4.0]})
    wide, cols = widen(long, id="id", by="t", items=["x"])
    assert list(wide.columns) == ["id", "x_a", "x_b"] and cols == {("x", "a"): "x_a", ("x", "b"): "x_b"}
    with pytest.raises(Exception, match="several rows"):
        widen(pd.concat([long, long]), id="id", by="t", items=["x"])
    d = pd.DataFrame(np.random.default_rng(1).normal(size=(50, 4)), columns=["a_1", "b_1", "a_2", "b_2"])
    with pytest.raises(UsageError, match="at least two items"):
        longitudinal_invariance(d, {"f": ["a"]}, ["1", "2"])
    with pytest.raises(UsageError, match="not in the data"):
        longitudinal_invariance(d, {"f": ["a", "b"]}, ["1", "3"])
    with pytest.raises(UsageError, match="two distinct"):
        longitudinal_invariance(d, {"f": ["a", "b"]}, ["1"])
    with pytest.raises(UsageError, match="criterion"):
        longitudinal_invariance(d, {"f": ["a", "b"]}, ["1", "2"], criterion="aic")
