"""wamkit.stats.association against R (tests/reference/outcomes.json, made by outcomes.R)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wamkit.errors import DataError, UsageError
from wamkit.stats.association import (
    adjust_p,
    compare_correlations_with_outcome,
    compare_dependent_correlations,
    compare_nonoverlapping_correlations,
    correlate,
    partial_correlation,
)

HERE = Path(__file__).resolve().parents[1]
REF = json.loads((HERE / "reference" / "outcomes.json").read_text())
EST = 1e-10  # estimates: absolute
PREL = 1e-6  # p values: relative (the brief allows 1e-3)


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return pd.read_csv(HERE / "data" / "bfi.csv")


@pytest.fixture(scope="module")
def rossi() -> pd.DataFrame:
    return pd.read_csv(HERE / "data" / "rossi.csv")


@pytest.mark.parametrize("key", sorted(REF["cor_test"]))
def test_correlate_matches_cor_test(bfi, key):
    ref = REF["cor_test"][key]
    d = bfi
    if ref.get("rows") == "first40":
        d = bfi.dropna(subset=[ref["x"], ref["y"]]).iloc[:40]
    res = correlate(d[ref["x"]], d[ref["y"]], method=ref["method"], ci_level=ref.get("ci_level", 0.95))
    assert res.n == ref["n"]
    assert res.r == pytest.approx(ref["r"], abs=EST)
    assert res.p == pytest.approx(ref["p"], rel=PREL, abs=1e-300)
    assert res.statistic == pytest.approx(ref["statistic"], rel=1e-9)
    if "ci_low" in ref:
        assert res.ci_low == pytest.approx(ref["ci_low"], abs=EST)
        assert res.ci_high == pytest.approx(ref["ci_high"], abs=EST)
    else:  # Spearman: R gives no CI; ours is Fisher z around rho
        lo, hi = (
            math.tanh(math.atanh(res.r) - 1.959963984540054 / math.sqrt(res.n - 3)),
            math.tanh(math.atanh(res.r) + 1.959963984540054 / math.sqrt(res.n - 3)),
        )
        assert (res.ci_low, res.ci_high) == pytest.approx((lo, hi), abs=1e-12)
    if ref["method"] == "spearman":
        assert res.p_method == "t-approx"  # bfi items are all tied


@pytest.mark.parametrize("key", sorted(REF["spearman_exact"]))
def test_spearman_without_ties_as89(key):
    ref = REF["spearman_exact"][key]
    res = correlate(ref["x"], ref["y"], method="spearman")
    assert res.r == pytest.approx(ref["r"], abs=1e-12)
    assert res.statistic == pytest.approx(ref["S"], abs=1e-8)
    assert res.p == pytest.approx(ref["p"], rel=1e-9)
    n = len(ref["x"])
    assert res.p_method == ("exact" if n <= 9 else "edgeworth" if n <= 1290 else "t-approx")


def test_point_biserial(rossi):
    ref = REF["point_biserial"]
    res = correlate(rossi["prio"], rossi["arrest"])
    assert res.r == pytest.approx(ref["r"], abs=EST)
    assert res.p == pytest.approx(ref["p"], rel=PREL)
    assert (res.ci_low, res.ci_high) == pytest.approx((ref["ci_low"], ref["ci_high"]), abs=EST)


def test_correlate_does_not_mutate_and_is_jsonable(bfi):
    x = bfi["A1"].copy()
    res = correlate(x, bfi["A2"])
    pd.testing.assert_series_equal(x, bfi["A1"])
    d = res.to_dict()
    json.dumps(d)
    assert d["n"] == res.n


def test_correlate_errors():
    with pytest.raises(DataError):
        correlate([1, 2], [3, 4])
    with pytest.raises(DataError):
        correlate([1, 1, 1, 1], [1, 2, 3, 4])
    with pytest.raises(DataError):
        correlate([1, 2, 3], [1, 2])
    with pytest.raises(UsageError):
        correlate([1, 2, 3], [1, 2, 4], method="kendall")
    with pytest.raises(DataError):
        correlate(pd.Series(["a", "b", "c"]), pd.Series([1.0, 2.0, 3.0]))
    with pytest.raises(DataError):
        correlate(["a", "b", "c"], [1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    "method,rname", [("holm", "holm"), ("fdr_bh", "BH"), ("bonferroni", "bonferroni"), ("none", "none")]
)
def test_adjust_p_matches_p_adjust(method, rname):
    ref = REF["p_adjust"]
    p = np.array([np.nan if v is None else v for v in ref["p"]])
    want = np.array([np.nan if v is None else v for v in ref[rname]])
    got = adjust_p(p, method=method)
    np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)
    assert np.isnan(p[5])  # input untouched
    assert got is not p


def test_adjust_p_errors_and_shape():
    with pytest.raises(UsageError):
        adjust_p([0.1], method="hommel")
    with pytest.raises(DataError):
        adjust_p([1.5])
    got = adjust_p(np.array([[0.01, 0.02], [0.03, np.nan]]), method="bonferroni")
    np.testing.assert_allclose(got, [[0.03, 0.06], [0.09, np.nan]], equal_nan=True)


@pytest.mark.parametrize("key", sorted(REF["partial_r"]))
def test_partial_correlation_matches_psych(bfi, key):
    ref = REF["partial_r"][key]
    covs = ref["covariates"] if isinstance(ref["covariates"], list) else [ref["covariates"]]
    res = partial_correlation(bfi, ref["x"], ref["y"], covs)
    r, p, n, dof = res
    assert n == ref["n"] and dof == ref["df"]
    assert r == pytest.approx(ref["r"], abs=EST)
    assert p == pytest.approx(ref["p"], rel=PREL)
    assert res.t == pytest.approx(ref["t"], rel=1e-9)
    json.dumps(res.to_dict())


def test_partial_correlation_errors(bfi):
    with pytest.raises(UsageError):
        partial_correlation(bfi, "A1", "A2", ["nope"])
    d = bfi[["A1", "A2", "age"]].copy()
    d["const"] = 1.0
    with pytest.raises(DataError):
        partial_correlation(d, "A1", "A2", ["const"])
    d["word"] = "x"
    with pytest.raises(DataError):
        partial_correlation(d, "A1", "word", ["age"])


@pytest.mark.parametrize("i", range(len(REF["r_test3"])))
def test_williams_t_matches_r_test(i):
    ref = REF["r_test3"][i]
    res = compare_dependent_correlations(r12=ref["r12"], r13=ref["r13"], r23=ref["r23"], n=ref["n"])
    assert res.statistic == pytest.approx(ref["t"], rel=1e-12)
    assert res.p == pytest.approx(ref["p"], rel=1e-9)
    assert res.df == ref["n"] - 3


@pytest.mark.parametrize("i", range(len(REF["r_test4"])))
def test_steiger_z_matches_r_test(i):
    ref = REF["r_test4"][i]
    res = compare_nonoverlapping_correlations(
        r12=ref["r12"],
        r34=ref["r34"],
        r13=ref["r13"],
        r14=ref["r14"],
        r23=ref["r23"],
        r24=ref["r24"],
        n=ref["n"],
        pooled=ref["pooled"],
    )
    assert res.statistic == pytest.approx(ref["z"], rel=1e-12)
    assert res.p == pytest.approx(ref["p"], rel=1e-9)


def test_r_test_errors():
    with pytest.raises(DataError):
        compare_dependent_correlations(r12=1.0, r13=0.2, r23=0.1, n=50)
    with pytest.raises(DataError):
        compare_dependent_correlations(r12=0.1, r13=0.2, r23=0.1, n=3)


def test_williams_t_from_data(bfi):
    ref = REF["r_test3_data"]
    res = compare_correlations_with_outcome(bfi, ref["outcome"], ref["x_a"], ref["x_b"])
    assert res.n == ref["n"]
    assert res.difference == pytest.approx(ref["r12"] - ref["r13"], abs=1e-12)
    assert res.statistic == pytest.approx(ref["t"], rel=1e-9)
    assert res.p == pytest.approx(ref["p"], rel=1e-6)
    # positional order of the brief: (r12, r13, r23, n)
    again = compare_dependent_correlations(ref["r12"], ref["r13"], ref["r23"], ref["n"])
    assert again.statistic == pytest.approx(ref["t"], rel=1e-12)
    with pytest.raises(DataError):  # psych's order (n first) is caught
        compare_dependent_correlations(ref["n"], ref["r12"], ref["r13"], ref["r23"])


def test_spearman_perfect_rank_correlation_exact():
    # n = 7 without ties: only 1 of 7! permutations reaches |rho| = 1 in each direction
    x = np.arange(1, 8)
    res_pos = correlate(x, x**2, method="spearman")
    res_neg = correlate(x, x[::-1], method="spearman")
    assert res_pos.r == 1 and res_neg.r == -1
    assert res_pos.p == pytest.approx(res_neg.p) == pytest.approx(2 / 5040)
