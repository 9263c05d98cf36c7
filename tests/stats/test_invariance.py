"""Multi-group CFA / measurement invariance vs lavaan 0.6-14 (tests/reference/cfa.json, made by cfa.R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wamkit.errors import UsageError
from wamkit.stats.invariance import CHEN_2007, LEVELS, fit_multigroup, invariance_sequence, lrt

HERE = Path(__file__).resolve().parents[1]
REF = json.loads((HERE / "reference" / "cfa.json").read_text())
INV = REF["invariance"]
REL = 1e-4
EST_ATOL = 1e-4  # lavaan stops its configural fit ~1e-5 short of the optimum in absolute terms

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
    "nfi",
    "gfi",
    "fmin",
]


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return pd.read_csv(HERE / "data" / "hs1939.csv")


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return pd.read_csv(HERE / "data" / "bfi.csv")


@pytest.fixture(scope="module")
def hs_sequence(hs):
    return invariance_sequence(hs, INV["model"], "school")


def check_fit(fit, ref_fit: dict) -> None:
    for key in FIT_KEYS:
        assert getattr(fit, key.replace(".", "_")) == pytest.approx(ref_fit[key], rel=REL), key


@pytest.mark.parametrize("level", ["configural", "metric", "scalar", "strict"])
def test_hs_levels_fit_and_parameters(hs, level):
    res = fit_multigroup(hs, INV["model"], "school", equal=LEVELS[level])
    assert res.groups == tuple(INV["group_labels"])
    assert res.converged and res.warnings == ()
    check_fit(res.fit, INV["fits"][level]["fit"])
    ref = pd.DataFrame(INV["fits"][level]["params"])
    ref["rhs"] = ref["rhs"].fillna("")
    merged = ref.merge(
        res.params, on=["lhs", "op", "rhs", "group"], suffixes=("_ref", ""), how="left", validate="one_to_one"
    )
    assert len(merged) == len(ref) == len(res.params)
    np.testing.assert_allclose(merged.est, merged.est_ref, rtol=REL, atol=EST_ATOL)
    np.testing.assert_allclose(merged.se, merged.se_ref, rtol=REL, atol=EST_ATOL)
    np.testing.assert_allclose(merged.std_all, merged.std_all_ref, rtol=REL, atol=EST_ATOL)
    # free/fixed pattern as lavaan: fixed parameters have se 0
    np.testing.assert_array_equal(~merged.free.to_numpy(), merged.se_ref.to_numpy() == 0)


def test_scalar_frees_latent_means_in_second_group(hs):
    res = fit_multigroup(hs, INV["model"], "school", equal=LEVELS["scalar"])
    means = res.params[(res.params.op == "~1") & res.params.lhs.isin(["visual", "textual", "speed"])]
    assert not means[means.group == 1].free.any()
    assert means[means.group == 2].free.all()
    assert (means[means.group == 1].est == 0).all()


def test_hs_sequence_lrt_and_deltas(hs_sequence):
    steps = hs_sequence.steps
    assert [s.level for s in steps] == ["configural", "metric", "scalar", "strict"]
    assert steps[0].chisq_diff is None and steps[0].verdict is None
    for step, ref in zip(steps[1:], INV["lrt"], strict=False):
        assert ref["model"] == step.level
        assert step.chisq_diff == pytest.approx(ref["chisq_diff"], rel=REL)
        assert step.df_diff == ref["df_diff"]
        assert step.pvalue_diff == pytest.approx(ref["pvalue"], rel=REL)
    for prev, cur in zip(steps, steps[1:], strict=False):
        for key in ("cfi", "rmsea", "srmr"):
            ref_delta = INV["fits"][cur.level]["fit"][key] - INV["fits"][prev.level]["fit"][key]
            assert getattr(cur, f"delta_{key}") == pytest.approx(ref_delta, rel=1e-3, abs=1e-6)


def test_hs_sequence_verdicts(hs_sequence):
    v = {s.level: s.verdict for s in hs_sequence.steps}
    # metric: dCFI -.0025, dRMSEA -.0041, dSRMR +.0038 -> supported;
    # scalar: dCFI -.0385 < -.010 -> not supported
    assert v == {"configural": None, "metric": "supported", "scalar": "not supported", "strict": "supported"}
    assert hs_sequence.highest_level == "metric"
    assert hs_sequence.criteria == "Chen (2007)"
    assert "scalar not supported" in hs_sequence.verdict and "ΔCFI" in hs_sequence.verdict
    assert hs_sequence.steps[1].cutoffs == CHEN_2007["metric"]
    assert hs_sequence.steps[2].cutoffs["delta_srmr_max"] == 0.010
    assert hs_sequence.steps[1].cutoffs["delta_srmr_max"] == 0.030
    tab = hs_sequence.table()
    assert list(tab.level) == ["configural", "metric", "scalar", "strict"]
    assert tab.loc[2, "chisq"] == pytest.approx(INV["fits"]["scalar"]["fit"]["chisq"], rel=REL)
    d = json.loads(json.dumps(hs_sequence.to_dict()))
    assert d["steps"][1]["df_diff"] == 6
    assert d["steps"][0]["chisq_diff"] is None


def test_lrt_function(hs_sequence):
    a, b = hs_sequence.steps[0].fit, hs_sequence.steps[1].fit
    chi, df, p = lrt(a, b)
    assert (chi, df) == (pytest.approx(INV["lrt"][0]["chisq_diff"], rel=REL), 6)
    with pytest.raises(UsageError, match="nested"):
        lrt(b, a)


def test_bfi_three_factor_by_gender(bfi):
    ref = REF["bfi_inv"]
    seq = invariance_sequence(bfi, ref["model"], "gender", levels=("configural", "metric", "scalar"))
    assert seq.groups == tuple(ref["group_labels"])
    for step in seq.steps:
        check_fit(step.fit.fit, ref["fits"][step.level]["fit"])
    for step, r in zip(seq.steps[1:], ref["lrt"], strict=False):
        assert step.chisq_diff == pytest.approx(r["chisq_diff"], rel=REL)
        assert step.df_diff == r["df_diff"]
        assert step.pvalue_diff == pytest.approx(r["pvalue"], rel=1e-3)
    # verdicts follow from lavaan's fit measures and the Chen (2007) cut-offs
    for prev, cur in zip(seq.steps, seq.steps[1:], strict=False):
        f0, f1 = ref["fits"][prev.level]["fit"], ref["fits"][cur.level]["fit"]
        cut = CHEN_2007[cur.level]
        ok = (
            f1["cfi"] - f0["cfi"] >= cut["delta_cfi_min"]
            and f1["rmsea"] - f0["rmsea"] <= cut["delta_rmsea_max"]
            and f1["srmr"] - f0["srmr"] <= cut["delta_srmr_max"]
        )
        assert cur.verdict == ("supported" if ok else "not supported")


def test_19_items_converge(bfi):
    # speed of this workload is measured against lavaan in benchmarks/, not asserted here
    model = (
        "agree =~ A2 + A1 + A3 + A4 + A5\nconsc =~ C1 + C2 + C3 + C4 + C5\n"
        "extra =~ E1 + E2 + E3 + E4 + E5\nneuro =~ N1 + N2 + N3 + N4"
    )
    seq = invariance_sequence(bfi, model, "gender", levels=("configural", "metric", "scalar"))
    assert all(s.fit.converged for s in seq.steps)


def test_does_not_mutate(hs):
    before = hs.copy()
    fit_multigroup(hs, INV["model"], "school", equal=("loadings",))
    pd.testing.assert_frame_equal(hs, before)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"group": "nope"}, "not in the data"),
        ({"group": "x1"}, "also a model item"),
        ({"group": "school", "equal": ("slopes",)}, "unknown equality"),
        ({"group": "school", "equal": ("intercepts",)}, "need equal loadings"),
    ],
)
def test_multigroup_errors(hs, kwargs, fragment):
    with pytest.raises(UsageError, match=fragment):
        fit_multigroup(hs, INV["model"], **kwargs)


def test_single_group_refused(hs):
    with pytest.raises(UsageError, match="at least 2"):
        fit_multigroup(hs[hs.school == "Pasteur"], INV["model"], "school")


@pytest.mark.parametrize(
    "levels, fragment",
    [
        (("configural", "weak"), "unknown invariance level"),
        (("metric", "configural"), "ordered"),
        ((), "empty"),
    ],
)
def test_sequence_errors(hs, levels, fragment):
    with pytest.raises(UsageError, match=fragment):
        invariance_sequence(hs, INV["model"], "school", levels=levels)


def _check_against(res, ref):
    checked = 0
    for key, v in ref["fit"].items():
        if key in ("srmr_bentler", "srmr_bentler_nomean", "ntotal", "baseline.pvalue"):
            continue
        assert getattr(res.fit, key.replace(".", "_")) == pytest.approx(v, rel=REL), key
        checked += 1
    assert checked >= 18
    tab = pd.DataFrame(ref["params"])
    tab["rhs"] = tab["rhs"].fillna("")
    merged = tab.merge(
        res.params, on=["lhs", "op", "rhs", "group"], suffixes=("_ref", ""), how="left", validate="one_to_one"
    )
    assert len(merged) == len(tab) == len(res.params)
    np.testing.assert_allclose(merged.est, merged.est_ref, rtol=REL, atol=EST_ATOL)
    np.testing.assert_allclose(merged.se, merged.se_ref, rtol=REL, atol=EST_ATOL)
    np.testing.assert_allclose(merged.std_all, merged.std_all_ref, rtol=REL, atol=EST_ATOL)


def test_metric_std_lv_frees_variances_in_later_groups(hs):
    res = fit_multigroup(hs, INV["model"], "school", equal=("loadings",), std_lv=True)
    _check_against(res, REF["invariance_extra"]["metric_stdlv"])
    var = res.params[(res.params.op == "~~") & (res.params.lhs == "visual") & (res.params.rhs == "visual")]
    assert list(var.free) == [False, True]


def test_metric_fiml(hs):
    h = hs.copy()
    n = len(h)
    for col, k in REF["hs_fiml"]["holes"].items():
        h.loc[np.arange(k - 1, n, k), col] = np.nan
    res = fit_multigroup(h, INV["model"], "school", equal=("loadings",), missing="fiml")
    _check_against(res, REF["invariance_extra"]["metric_fiml"])
