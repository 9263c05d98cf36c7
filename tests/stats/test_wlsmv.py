"""Ordinal CFA by WLSMV against R lavaan 0.6-14 ``cfa(..., ordered=TRUE)`` and semTools 0.5-6.

Reference values: tests/reference/wlsmv.json, written by tests/reference/wlsmv.R
(``Rscript tests/reference/wlsmv.R`` from the repository root); R is not needed at
test time.

Tolerances.  wamkit solves every stage to (near) machine precision; lavaan stops its
polychoric optimiser (~2e-8 on rho) and its DWLS optimiser early (lavaan's own std.lv
and marker fits of the same model differ by ~1e-7 relative).  Fit statistics are
therefore pinned at 1e-6 relative (observed <= 3e-7), estimates and SEs at 2e-6
relative (observed <= 1e-6), thresholds at 1e-12.  For the 25-item five-factor model
lavaan's optimiser stops further from the optimum (its F_DWLS is 1e-10 above ours, its
estimates differ by up to 2e-6): estimate-based values there are pinned at 1e-5
(``LOOSE``).  R computes p-values as ``1 - pchisq()`` (absolute error ~1e-16, so tiny
ones are 0): p-values are compared with ``rel=1e-4, abs=1e-12``.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wamkit.errors import DataError, UsageError
from wamkit.stats.wlsmv import WLSMVResult, fit_wlsmv

HERE = Path(__file__).resolve().parents[1]
REF = json.loads((HERE / "reference" / "wlsmv.json").read_text())
A = ["A1", "A2", "A3", "A4", "A5"]
C = ["C1", "C2", "C3", "C4", "C5"]
FIT_REL = 1e-6
EST_REL = 2e-6
EST_ABS = 1e-6  # small estimates (a cross-loading of -0.17): lavaan optimiser noise ~5e-7
P_REL, P_ABS = 1e-4, 1e-12
LOOSE = {"big_five"}  # cases where lavaan's own convergence limits the agreement of estimates


def est_tol(case: str) -> tuple[float, float]:
    return (1e-5, 5e-6) if case in LOOSE else (EST_REL, EST_ABS)


CASES = {
    "agree": ({"agree": A}, True, "bfi"),
    "agree_marker": ({"agree": A}, False, "bfi"),
    "two_factor": ({"agree": A, "consc": C}, True, "bfi"),
    "two_factor_marker": ({"agree": A, "consc": C}, False, "bfi"),
    "collapsed": ({"agree": A}, True, "collapsed"),
    "binary": ({"agree": A}, True, "binary"),
    "cross_loading": ({"agree": A + ["C1"], "consc": C}, False, "bfi"),
    "big_five": (
        {
            "agree": A,
            "consc": C,
            "extra": [f"E{i}" for i in range(1, 6)],
            "neuro": [f"N{i}" for i in range(1, 6)],
            "open": [f"O{i}" for i in range(1, 6)],
        },
        True,
        "big5",
    ),
}

# lavaan fitMeasures() name -> WLSMVFit attribute
FIT_NAMES = {
    "npar": "npar",
    "fmin": "fmin",
    "chisq": "chisq",
    "df": "df",
    "chisq.scaled": "chisq_scaled",
    "chisq.scaling.factor": "scaling_factor",
    "baseline.chisq": "baseline_chisq",
    "baseline.df": "baseline_df",
    "baseline.chisq.scaled": "baseline_chisq_scaled",
    "baseline.chisq.scaling.factor": "baseline_scaling_factor",
    "cfi": "cfi",
    "tli": "tli",
    "cfi.scaled": "cfi_scaled",
    "tli.scaled": "tli_scaled",
    "cfi.robust": "cfi_robust",
    "tli.robust": "tli_robust",
    "rmsea": "rmsea",
    "rmsea.ci.lower": "rmsea_ci_lower",
    "rmsea.ci.upper": "rmsea_ci_upper",
    "rmsea.scaled": "rmsea_scaled",
    "rmsea.ci.lower.scaled": "rmsea_ci_lower_scaled",
    "rmsea.ci.upper.scaled": "rmsea_ci_upper_scaled",
    "rmsea.robust": "rmsea_robust",
    "rmsea.ci.lower.robust": "rmsea_ci_lower_robust",
    "rmsea.ci.upper.robust": "rmsea_ci_upper_robust",
    "srmr": "srmr",
    "ntotal": "ntotal",
}
P_NAMES = {
    "pvalue": "pvalue",
    "pvalue.scaled": "pvalue_scaled",
    "baseline.pvalue": "baseline_pvalue",
    "baseline.pvalue.scaled": "baseline_pvalue_scaled",
    "rmsea.pvalue": "rmsea_pvalue",
    "rmsea.pvalue.scaled": "rmsea_pvalue_scaled",
    "rmsea.pvalue.robust": "rmsea_pvalue_robust",
}


def vec(v) -> np.ndarray:
    """jsonlite unboxes length-1 vectors; turn anything back into a 1-d float array."""
    return np.atleast_1d(np.array(v, dtype=float))


@pytest.fixture(scope="module")
def data() -> dict[str, pd.DataFrame]:
    d = pd.read_csv(HERE / "data" / "bfi.csv")
    for c in ("A1", "C4", "C5"):
        d[c] = 7 - d[c]
    dc = d.copy()
    dc["A1"] = dc["A1"].clip(upper=4)
    dc["A2"] = dc["A2"].clip(lower=3)
    db = d.copy()
    db[A] = (db[A] >= 4).astype(float).where(db[A].notna())
    d5 = d.copy()
    for c in ("E1", "E2", "O2", "O5"):
        d5[c] = 7 - d5[c]
    return {"bfi": d, "collapsed": dc, "binary": db, "big5": d5}


@pytest.fixture(scope="module")
def fits(data) -> dict[str, WLSMVResult]:
    return {k: fit_wlsmv(data[src], None, fac, std_lv=slv) for k, (fac, slv, src) in CASES.items()}


@pytest.mark.parametrize("case", list(CASES))
def test_stage1_thresholds_correlations_gamma(fits, case):
    res, ref = fits[case], REF[case]
    assert res.n_obs == ref["nobs"]
    np.testing.assert_allclose(np.concatenate(res.thresholds), vec(ref["sample_th"]), rtol=0, atol=1e-12)
    np.testing.assert_allclose(res.sample_cor, np.array(ref["sample_cor"]), rtol=0, atol=1e-7)
    if ref["gamma"] is None:  # same data as another case (agree, two_factor) or too large (big_five)
        return
    G = np.array(ref["gamma"])
    assert res.gamma.shape == G.shape
    np.testing.assert_allclose(res.gamma, G, rtol=0, atol=1e-7 * np.abs(G).max())


@pytest.mark.parametrize("case", list(CASES))
def test_fit_measures(fits, case):
    res, ref = fits[case], REF[case]
    fm = res.fit
    for rname, attr in FIT_NAMES.items():
        assert getattr(fm, attr) == pytest.approx(ref["fit"][rname], rel=FIT_REL), rname
    for rname, attr in P_NAMES.items():
        assert getattr(fm, attr) == pytest.approx(ref["fit"][rname], rel=P_REL, abs=P_ABS), rname
    ss, bss = ref["scaled_shifted"], ref["baseline_scaled_shifted"]
    assert fm.shift == pytest.approx(ss["shift"], rel=FIT_REL)
    assert fm.trace_ugamma == pytest.approx(ss["trace_UGamma"], rel=FIT_REL)
    assert fm.trace_ugamma2 == pytest.approx(ss["trace_UGamma2"], rel=FIT_REL)
    assert fm.baseline_shift == pytest.approx(bss["shift"], rel=FIT_REL)
    cm = ref["catml"]
    assert fm.catml_chisq == pytest.approx(cm["XX3"], rel=FIT_REL)
    # c.hat3 is a trace at the estimates: lavaan's early stop shows up at ~1e-6 in big_five
    assert fm.catml_scaling == pytest.approx(cm["c_hat3"], rel=est_tol(case)[0])
    assert fm.catml_baseline_chisq == pytest.approx(cm["XX3_null"], rel=FIT_REL)
    assert fm.catml_baseline_scaling == pytest.approx(cm["c_hat3_null"], rel=FIT_REL)


@pytest.mark.parametrize("case", list(CASES))
def test_estimates_and_robust_se(fits, case):
    res, ref = fits[case], REF[case]
    EST_REL, EST_ABS = est_tol(case)
    pe = res.parameters()
    lo = pe[pe.op == "=~"]
    assert list(lo.lhs) == list(np.atleast_1d(ref["loadings"]["lhs"]))
    assert list(lo.rhs) == list(np.atleast_1d(ref["loadings"]["rhs"]))
    np.testing.assert_allclose(lo.est, vec(ref["loadings"]["est"]), rtol=EST_REL, atol=EST_ABS)
    free = ~np.isnan(lo.se.to_numpy())
    se_ref = vec(ref["loadings"]["se"])
    assert np.all(se_ref[~free] == 0)  # lavaan reports fixed markers with se 0
    np.testing.assert_allclose(lo.se[free], se_ref[free], rtol=EST_REL)
    np.testing.assert_allclose(lo.std_all, vec(ref["loadings"]["std_all"]), rtol=EST_REL, atol=EST_ABS)
    th = pe[pe.op == "|"]
    np.testing.assert_allclose(th.est, vec(ref["thresholds"]["est"]), rtol=0, atol=1e-12)
    np.testing.assert_allclose(th.se, vec(ref["thresholds"]["se"]), rtol=EST_REL)
    rv = pe[(pe.op == "~~") & pe.lhs.isin(res.items)]
    np.testing.assert_allclose(rv.est, vec(ref["residual_var"]["est"]), rtol=EST_REL)
    names = res.factor_names
    fc = ref["factor_cov"]
    for lhs, rhs, est, se, std in zip(
        np.atleast_1d(fc["lhs"]),
        np.atleast_1d(fc["rhs"]),
        vec(fc["est"]),
        vec(fc["se"]),
        vec(fc["std_all"]),
        strict=False,
    ):
        a, b = names.index(lhs), names.index(rhs)
        assert res.factor_cov[a, b] == pytest.approx(est, rel=EST_REL)
        assert res.factor_cov_se[a, b] == pytest.approx(se, rel=EST_REL)
        assert res.factor_cor[a, b] == pytest.approx(std, rel=EST_REL)
    fv = ref["factor_var"]
    for lhs, est, se in zip(np.atleast_1d(fv["lhs"]), vec(fv["est"]), vec(fv["se"]), strict=False):
        a = names.index(lhs)
        assert res.factor_cov[a, a] == pytest.approx(est, rel=EST_REL)
        if se == 0:
            assert np.isnan(res.factor_cov_se[a, a])  # fixed (std.lv)
        else:
            assert res.factor_cov_se[a, a] == pytest.approx(se, rel=EST_REL)
    np.testing.assert_allclose(res.implied_cor, np.array(ref["implied_cor"]), rtol=0, atol=2 * EST_ABS)


@pytest.mark.parametrize("case", list(CASES))
def test_categorical_omega(fits, case):
    res, ref = fits[case], REF[case]
    EST_REL, _ = est_tol(case)
    assert set(res.omega) == set(ref["omega"])
    for f, v in ref["omega"].items():
        assert res.omega[f] == pytest.approx(v, rel=EST_REL)


def test_peers_printed_values(fits):
    """The numbers quoted in peers.md section 9.2 (printed to 3-4 decimals)."""
    fm = fits["agree"].fit
    # lavaan 0.6-14 gives 143.53648 (wlsmv.json); peers.md prints it as 143.537
    assert fm.chisq_scaled == pytest.approx(143.537, abs=1e-3)
    assert fm.df == 5
    assert fm.cfi_scaled == pytest.approx(0.9750, abs=5e-5)
    assert fm.tli_scaled == pytest.approx(0.9501, abs=5e-5)
    assert fm.rmsea_scaled == pytest.approx(0.1012, abs=5e-5)
    assert fm.srmr == pytest.approx(0.0361, abs=5e-5)
    assert fits["agree"].omega["agree"] == pytest.approx(0.7290, abs=5e-5)
    np.testing.assert_allclose(fits["agree"].std_loadings[:, 0], [0.436, 0.718, 0.810, 0.515, 0.668], atol=5e-4)


def test_std_lv_and_marker_are_the_same_model(fits):
    for a, b in (("agree", "agree_marker"), ("two_factor", "two_factor_marker")):
        fa, fb = fits[a], fits[b]
        assert fa.fit.chisq == pytest.approx(fb.fit.chisq, rel=1e-10)
        assert fa.fit.chisq_scaled == pytest.approx(fb.fit.chisq_scaled, rel=1e-9)
        np.testing.assert_allclose(fa.std_loadings, fb.std_loadings, atol=1e-9)
        np.testing.assert_allclose(fa.factor_cor, fb.factor_cor, atol=1e-9)
        for f in fa.omega:
            assert fa.omega[f] == pytest.approx(fb.omega[f], rel=1e-9)
        assert fa.converged and fb.converged


def test_input_forms_agree_and_inputs_untouched(data, fits):
    d = data["bfi"]
    before = d.copy()
    syntax = "agree =~ A1 + A2 + A3 + A4 + A5\nconsc =~ C1 + C2 + C3 + C4 + C5"
    r1 = fit_wlsmv(d, None, syntax, std_lv=True)
    from wamkit.stats.model_syntax import parse_model

    r2 = fit_wlsmv(d[A + C].to_numpy(dtype=float), A + C, parse_model(syntax), std_lv=True)
    # extra, unused columns and a different column order do not matter
    cols = ["age"] + C[::-1] + A
    r3 = fit_wlsmv(d[cols].to_numpy(dtype=float), cols, {"agree": A, "consc": C}, std_lv=True)
    ref = fits["two_factor"]
    for r in (r1, r2, r3):
        assert r.fit.chisq_scaled == pytest.approx(ref.fit.chisq_scaled, rel=1e-12)
        np.testing.assert_allclose(r.loadings, ref.loadings, rtol=1e-12)
    pd.testing.assert_frame_equal(d, before)


def test_row_order_does_not_matter(data, fits):
    d = data["bfi"]
    perm = np.random.default_rng(7).permutation(len(d))
    r = fit_wlsmv(d.iloc[perm], None, {"agree": A}, std_lv=True)
    assert r.fit.chisq_scaled == pytest.approx(fits["agree"].fit.chisq_scaled, rel=1e-10)
    np.testing.assert_allclose(r.gamma, fits["agree"].gamma, rtol=1e-9, atol=1e-12)


def test_result_is_frozen_and_json_safe(fits):
    res = fits["two_factor"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.std_lv = False  # type: ignore[misc]
    d = res.to_dict()
    text = json.dumps(d, allow_nan=False)
    assert '"chisq_scaled"' in text
    assert d["n_dropped"] == 2800 - 2632
    assert d["categories"][0] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    pe = res.parameters()
    assert list(pe.columns) == ["lhs", "op", "rhs", "est", "se", "z", "pvalue", "std_all"]
    assert res.warnings == ()


def test_errors(data):
    d = data["bfi"]
    with pytest.raises(UsageError, match="unknown item"):
        fit_wlsmv(d, None, {"agree": A + ["Z9"]})
    with pytest.raises(UsageError, match="not identified"):
        fit_wlsmv(d, None, {"f": ["A1", "A2"]})
    bad = d[A].astype(float).copy()
    bad.loc[0, "A1"] = 2.5
    with pytest.raises(DataError, match="integer"):
        fit_wlsmv(bad, None, {"agree": A})
    const = d[A].copy()
    const["A3"] = 4
    with pytest.raises(DataError, match="without variance"):
        fit_wlsmv(const, None, {"agree": A})
    with pytest.raises(DataError, match="too few"):
        fit_wlsmv(d[A].head(5), None, {"agree": A})
    with pytest.raises(UsageError):
        fit_wlsmv(d[A].to_numpy(dtype=float), None, {"agree": A})
    with pytest.raises(UsageError):
        fit_wlsmv(d, None, {})


def test_just_identified_model(data):
    """df = 0: lavaan reports the standard statistic as 'scaled', NA scaling, zero RMSEA and CIs."""
    ref = REF["just_identified"]
    res = fit_wlsmv(data["bfi"], None, {"agree": ["A2", "A3", "A4"]}, std_lv=True)
    fm = res.fit
    assert fm.df == ref["fit"]["df"] == 0
    assert fm.npar == ref["fit"]["npar"]
    assert fm.chisq < 1e-12 and fm.chisq_scaled == fm.chisq
    assert np.isnan(fm.pvalue) and np.isnan(fm.pvalue_scaled) and np.isnan(fm.scaling_factor)
    assert ref["fit"]["pvalue"] is None and ref["fit"]["chisq.scaling.factor"] is None
    for rname in (
        "cfi",
        "tli",
        "cfi.scaled",
        "tli.scaled",
        "cfi.robust",
        "tli.robust",
        "rmsea",
        "rmsea.ci.lower",
        "rmsea.ci.upper",
        "rmsea.scaled",
        "rmsea.ci.lower.scaled",
        "rmsea.ci.upper.scaled",
        "rmsea.robust",
        "rmsea.ci.lower.robust",
        "rmsea.ci.upper.robust",
    ):
        assert getattr(fm, FIT_NAMES[rname]) == pytest.approx(ref["fit"][rname], abs=1e-12), rname
    for rname in ("baseline.chisq", "baseline.chisq.scaled", "baseline.chisq.scaling.factor"):
        assert getattr(fm, FIT_NAMES[rname]) == pytest.approx(ref["fit"][rname], rel=FIT_REL), rname
    assert fm.catml_baseline_scaling == pytest.approx(ref["catml"]["c_hat3_null"], rel=FIT_REL)
    np.testing.assert_allclose(res.loadings[:, 0], vec(ref["loadings"]["est"]), rtol=EST_REL)
    np.testing.assert_allclose(res.loadings_se[:, 0], vec(ref["loadings"]["se"]), rtol=EST_REL)
    assert res.omega["agree"] == pytest.approx(ref["omega"]["agree"], rel=EST_REL)
