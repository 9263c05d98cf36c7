"""Ordinal measurement invariance (WLSMV, Wu & Estabrook 2016) against semTools 0.5-6 / lavaan 0.6-14.

Reference values: tests/reference/ordinal_invariance.json, written by tests/reference/ordinal_invariance.R
(``Rscript tests/reference/ordinal_invariance.R`` from the repository root; it also writes
tests/data/datcat.csv and tests/data/ordinal_waves.csv).  Every model is
``measEq.syntax(..., ordered = TRUE, parameterization = "delta", ID.cat = "Wu.Estabrook.2016",
return.fit = TRUE)``; differences are ``lavTestLRT``; score statistics ``lavTestScore``.

Tolerances.  The issue asks for 1e-4 relative on fit measures, parameters and difference tests; the
observed agreement is far better and the tests pin it tighter: fit statistics and difference tests
1e-5 relative (observed <= 1.3e-6: lavaan stops its polychoric and DWLS optimisers early), estimates
and SEs 1e-4 relative with an absolute floor of 1e-5 for small values (observed <= 2e-5), score
statistics 1e-4 relative / 1e-5 absolute (observed <= 1.2e-5), p-values 1e-4 relative / 1e-10
absolute.  Degrees of freedom and numbers of free parameters are exact (the JASP #4310 trap: a
thresholds step that does not constrain thresholds would show up as a df mismatch).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wamkit.errors import DataError, UsageError
from wamkit.stats.ordinal_invariance import (
    ORDINAL_LEVELS,
    OrdinalInvarianceResult,
    dyadic_ordinal_invariance,
    longitudinal_ordinal_invariance,
    ordinal_invariance,
    wide_by_occasion,
)
from wamkit.stats.wlsmv_groups import (
    OrdinalModel,
    OrdinalParam,
    Restriction,
    fit_wlsmv_model,
    model_restrictions,
    prepare_ordinal_data,
    wlsmv_lrt,
    wlsmv_score_test,
)

ROOT = Path(__file__).resolve().parents[2]
REF = json.loads((ROOT / "tests" / "reference" / "ordinal_invariance.json").read_text())
FIT_REL = 1e-5
EST_REL, EST_ABS = 1e-4, 1e-5
LRT_REL = 1e-5
SCORE_REL, SCORE_ABS = 1e-4, 1e-5
P_REL, P_ABS = 1e-4, 1e-10
A = [f"A{i}" for i in range(1, 6)]
C = [f"C{i}" for i in range(1, 6)]
TRUST = ["wam01", "wam05", "wam09", "wam13", "wam17"]
GOALS = ["wam02", "wam06", "wam10", "wam14", "wam18"]
MULTI = ["bfi_gender", "bfi_gender_binary", "bfi_age3", "datcat"]
LONG = ["demo_long", "demo_dyad", "sim3"]

# lavaan fitMeasures() name -> WLSMVFit attribute
FIT_NAMES = {
    "npar": "npar",
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


def ref_case(case: str) -> dict:
    return REF["multigroup"][case] if case in REF["multigroup"] else REF["longitudinal"][case]


def num(v) -> float:
    """jsonlite writes NA as null or "NA"."""
    return float("nan") if v is None or v == "NA" else float(v)


def close(a: float, b, rel: float, abs_: float = 0.0) -> bool:
    b = num(b)
    if math.isnan(b):
        return math.isnan(a)
    return abs(a - b) <= max(rel * abs(b), abs_)


# ----------------------------------------------------------------------------- data, as the R script
@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    bfi = pd.read_csv(ROOT / "tests" / "data" / "bfi.csv")
    g = bfi.copy()
    g["A1"] = 7 - g["A1"]
    b = g.dropna(subset=[*A, "gender"]).copy()
    for v in A:
        b[v] = (b[v] >= 4).astype(int)
    a = bfi.copy()
    a["C4"] = 7 - a["C4"]
    a["C5"] = 7 - a["C5"]
    a["age3"] = pd.cut(a["age"], [0, 21, 30, 100], labels=["upto21", "22to30", "over30"]).astype(object)
    demo = pd.read_csv(ROOT / "examples" / "wam_demo.csv", dtype=str)
    for v in [f"wam{i:02d}" for i in range(1, 20)]:
        x = pd.to_numeric(demo[v], errors="coerce")
        demo[v] = x.where(x.isin([1, 2, 3, 4, 5]))
    return {
        "bfi_gender": g,
        "bfi_gender_binary": b,
        "bfi_age3": a,
        "datcat": pd.read_csv(ROOT / "tests" / "data" / "datcat.csv"),
        "demo": demo,
        "sim3": pd.read_csv(ROOT / "tests" / "data" / "ordinal_waves.csv"),
    }


def run(case: str, frames: dict[str, pd.DataFrame], **kw) -> OrdinalInvarianceResult:
    if case in ("bfi_gender", "bfi_gender_binary"):
        return ordinal_invariance(frames[case], {"agree": A}, "gender", **kw)
    if case == "bfi_age3":
        return ordinal_invariance(frames[case], "consc =~ C1 + C2 + C3 + C4 + C5", "age3", **kw)
    if case == "datcat":
        return ordinal_invariance(
            frames[case], {"FU1": ["u1", "u2", "u3", "u4"], "FU2": ["u5", "u6", "u7", "u8"]}, "g", **kw
        )
    demo = frames["demo"]
    if case == "demo_long":
        w = wide_by_occasion(
            demo[demo["rater"] == "client"], id="dyad", occasion="wave", items=TRUST + GOALS, occasions=["T0", "T1"]
        )
        return longitudinal_ordinal_invariance(w, {"trust": TRUST, "goals": GOALS}, ["T0", "T1"], **kw)
    if case == "demo_dyad":
        w = wide_by_occasion(
            demo[demo["wave"] == "T0"], id="dyad", occasion="rater", items=TRUST, occasions=["client", "professional"]
        )
        return longitudinal_ordinal_invariance(w, {"trust": TRUST}, ["client", "professional"], **kw)
    assert case == "sim3"
    return longitudinal_ordinal_invariance(
        frames["sim3"], {"f": ["y1", "y2", "y3", "y4"]}, ["w1", "w2", "w3"], columns="{item}_{occasion}", **kw
    )


@pytest.fixture(scope="module")
def results(frames) -> dict[str, OrdinalInvarianceResult]:
    return {case: run(case, frames) for case in MULTI + LONG}


@pytest.fixture(scope="module")
def partial_results(frames) -> dict[str, OrdinalInvarianceResult]:
    return {case: run(case, frames, criterion="lrt", partial=True) for case in ("bfi_gender", "sim3")}


# ----------------------------------------------------------------------------- stage 1 and model structure
@pytest.mark.parametrize("case", MULTI + LONG)
def test_sample_statistics_per_group(results, case):
    res, ref = results[case], ref_case(case)
    data = res.models[0].fit.data
    assert list(data.n_obs) == [int(v) for v in np.atleast_1d(ref["nobs"])]
    if case in MULTI:
        assert list(res.groups) == list(np.atleast_1d(ref["group_labels"]))
    samples = list(ref["sample"].values()) if isinstance(ref["sample"], dict) else ref["sample"]
    assert len(samples) == len(data.stage1)
    for st, rs in zip(data.stage1, samples, strict=True):
        np.testing.assert_allclose(np.concatenate(st.th_list), np.atleast_1d(rs["th"]), rtol=0, atol=1e-12)
        np.testing.assert_allclose(st.R, np.array(rs["cor"]), rtol=0, atol=1e-7)


@pytest.mark.parametrize("case", MULTI + LONG)
def test_free_parameters_and_df_per_step_equal_lavaan(results, case):
    """The JASP #4310 guard: each step has lavaan's number of free parameters, equality constraints and df."""
    res, ref = results[case], ref_case(case)
    assert [m.level for m in res.models] == list(ORDINAL_LEVELS)
    for m in res.models:
        r = ref["steps"][m.level]
        assert m.fit.npar == r["npar"], m.level
        assert m.fit.fit.df == r["df"], m.level
        assert len(model_restrictions(m.fit)) == r["n_eq"], m.level
        assert m.fit.converged


@pytest.mark.parametrize("case", ["bfi_gender", "bfi_age3", "demo_long"])
def test_thresholds_step_constrains_thresholds(results, case):
    res, ref = results[case], ref_case(case)
    for level in ("thresholds", "loadings", "intercepts"):
        pt = res.model(level).fit.parameters()
        th = pt[pt["op"] == "|"]
        rp = pd.DataFrame(ref["steps"][level]["params"])
        rth = rp[rp["op"] == "|"]
        if case in MULTI:
            ours = th.pivot(index=["lhs", "rhs"], columns="group", values="est").to_numpy()
            theirs = rth.pivot(index=["lhs", "rhs"], columns="group", values="est").to_numpy()
            assert np.ptp(ours, axis=1).max() == 0.0  # equal across groups, not merely close
            assert np.ptp(theirs, axis=1).max() < 1e-12
        else:  # the same item on both occasions: column wamXX_T0 / wamXX_T1
            spread = th.assign(item=th["lhs"].str[:5]).groupby(["item", "rhs"])["est"].agg(np.ptp)
            assert spread.max() == 0.0
            rspread = rth.assign(item=rth["lhs"].str[:5]).groupby(["item", "rhs"])["est"].agg(np.ptp)
            assert rspread.max() < 1e-12
    conf = res.model("configural").fit.parameters()
    assert conf.loc[conf["op"] == "|", "label"].nunique() == (conf["op"] == "|").sum()


# ----------------------------------------------------------------------------- fit measures
@pytest.mark.parametrize("case", MULTI + LONG)
def test_fit_measures(results, case):
    res, ref = results[case], ref_case(case)
    for m in res.models:
        r = ref["steps"][m.level]
        f = m.fit.fit
        for rname, attr in FIT_NAMES.items():
            assert close(float(getattr(f, attr)), r["fit"].get(rname), FIT_REL, 1e-10), (m.level, rname)
        for rname, attr in P_NAMES.items():
            assert close(float(getattr(f, attr)), r["fit"].get(rname), P_REL, P_ABS), (m.level, rname)
        t = r["test"]
        assert close(f.shift, t["shift"], FIT_REL, 1e-9)
        assert close(f.trace_ugamma, t["trace_UGamma"], FIT_REL)
        assert close(f.trace_ugamma2, t["trace_UGamma2"], FIT_REL)
        assert close(f.baseline_shift, r["baseline_test"]["shift"], FIT_REL, 1e-9)


@pytest.mark.parametrize("case", MULTI + LONG)
def test_robust_indices_only_where_lavaan_has_them(results, case):
    """lavaan 0.6-14 gives cfi.robust etc. for the configural model only (catML fails once thresholds are
    constrained equal); both sides NaN/null there, a note in the warnings."""
    res, ref = results[case], ref_case(case)
    assert ref["steps"]["configural"]["fit"]["cfi.robust"] is not None
    assert math.isfinite(res.model("configural").fit.fit.cfi_robust)
    for level in ("thresholds", "loadings", "intercepts"):
        assert ref["steps"][level]["fit"].get("cfi.robust") is None
        assert math.isnan(res.model(level).fit.fit.rmsea_robust)
        assert any("robust CFI" in w for w in res.model(level).fit.warnings)


# ----------------------------------------------------------------------------- parameters
def _param_key(group, lhs, op, rhs):
    return (int(group), lhs, op, rhs if op != "~1" else "")


@pytest.mark.parametrize("case", MULTI + LONG)
def test_parameters(results, case):
    res, ref = results[case], ref_case(case)
    for m in res.models:
        rp = pd.DataFrame(ref["steps"][m.level]["params"])
        theirs = {}
        for row in rp.itertuples():
            theirs[_param_key(row.group - 1, row.lhs, row.op, row.rhs)] = (row.free, row.est, row.se)
        pt = m.fit.parameters()
        n_free = 0
        for row in pt.itertuples():
            key = _param_key(row.group, row.lhs, row.op, row.rhs)
            if key not in theirs and row.op == "~~":
                key = _param_key(row.group, row.rhs, row.op, row.lhs)
            free, est, se = theirs[key]
            assert bool(row.free) == bool(free), (m.level, key)
            assert close(row.est, est, EST_REL, EST_ABS), (m.level, key, row.est, est)
            if row.free:
                n_free += 1
                assert close(row.se, se, EST_REL, EST_ABS), (m.level, key, row.se, se)
        assert n_free == int(rp["free"].sum())


# ----------------------------------------------------------------------------- comparisons
@pytest.mark.parametrize("case", MULTI + LONG)
def test_difference_tests(results, case):
    res, ref = results[case], ref_case(case)
    assert [c.level for c in res.comparisons] == ["thresholds", "loadings", "intercepts"]
    for c in res.comparisons:
        r = ref["lrt"][c.level]
        assert c.df_diff == int(r["df_diff"])
        assert close(c.chisq_diff, r["chisq_diff"], LRT_REL, 1e-8), c.level
        assert close(c.pvalue_diff, r["pvalue"], P_REL, P_ABS), c.level
        if c.df_diff > 0:
            assert close(c.scale_a, r["scale_a"], LRT_REL)
            assert close(c.shift_b, r["shift_b"], LRT_REL, 1e-8)
        prev = res.model(c.against).fit.fit
        cur = res.model(c.level).fit.fit
        assert c.delta_cfi == pytest.approx(cur.cfi_scaled - prev.cfi_scaled)
        assert c.delta_rmsea == pytest.approx(cur.rmsea_scaled - prev.rmsea_scaled)
        assert c.delta_srmr == pytest.approx(cur.srmr - prev.srmr)


def test_binary_items_steps_ordered_by_df(results):
    """Binary items: the thresholds step is equivalent to the configural one (df 0, no p-value) and the
    intercepts step has fewer df than the loadings step (scaling factors freed); lavTestLRT orders by df."""
    res = results["bfi_gender_binary"]
    th, ic = res.comparisons[0], res.comparisons[2]
    assert th.df_diff == 0 and math.isnan(th.pvalue_diff)
    assert res.model("intercepts").fit.fit.df < res.model("loadings").fit.fit.df
    assert ic.df_diff == 1
    assert sum("degrees of freedom" in w for w in res.warnings) == 2


def test_chen_verdicts(results):
    res = results["bfi_gender"]
    assert res.criterion == "chen"
    for c in res.comparisons:
        cut = c.cutoffs
        ok = (
            c.delta_cfi >= cut["delta_cfi_min"]
            and c.delta_rmsea <= cut["delta_rmsea_max"]
            and c.delta_srmr <= cut["delta_srmr_max"]
        )
        assert c.verdict == ("supported" if ok else "not supported")
    assert res.comparisons[1].cutoffs["delta_srmr_max"] == 0.030  # loadings: metric cut-offs
    assert res.comparisons[2].cutoffs["delta_srmr_max"] == 0.010  # intercepts: scalar cut-offs
    assert res.highest_level == "intercepts"
    assert res.partial is None


def test_lrt_verdicts(partial_results):
    res = partial_results["bfi_gender"]
    full = {p.level: p.full for p in res.partial}
    ref = REF["multigroup"]["bfi_gender"]["partial"]["levels"]
    assert full["loadings"].verdict == "not supported"
    assert full["loadings"].chisq_diff == pytest.approx(ref["loadings"]["first"]["chisq_diff"], rel=LRT_REL)
    assert "p = " in full["loadings"].reasons[0]


# ----------------------------------------------------------------------------- score tests and partial invariance
@pytest.mark.parametrize("case", ["bfi_gender", "bfi_age3", "datcat", "demo_long", "sim3", "bfi_gender_binary"])
@pytest.mark.parametrize("level", ["thresholds", "loadings", "intercepts"])
def test_score_tests(results, case, level):
    res, ref = results[case], ref_case(case)
    rs = ref["scores"][level]
    theirs = {
        k: (x, d)
        for k, x, d in zip(np.atleast_1d(rs["key"]), np.atleast_1d(rs["X2"]), np.atleast_1d(rs["df"]), strict=True)
    }
    ours = res.model(level).score_tests()
    assert sorted(ours["restriction"]) == sorted(theirs)
    assert list(ours["X2"]) == sorted(ours["X2"], reverse=True)
    for row in ours.itertuples():
        x2, df = theirs[row.restriction]
        assert row.df == int(df)
        assert close(row.X2, x2, SCORE_REL, SCORE_ABS), (case, level, row.restriction, row.X2, x2)
    assert res.model("configural").score_tests().empty


@pytest.mark.parametrize("case", ["bfi_gender", "sim3"])
def test_partial_invariance_search(partial_results, case):
    res, ref = partial_results[case], ref_case(case)["partial"]
    assert ref["criterion"] == "lrt" and res.criterion == "lrt"
    by_level = {p.level: p for p in res.partial}
    for m, c in zip(res.models[1:], res.comparisons, strict=True):
        r = ref["levels"][m.level]
        assert list(m.released) == list(np.atleast_1d(r["released"])) if r["released"] else not m.released
        assert c.supported == bool(r["final"]["supported"])
        assert close(c.chisq_diff, r["final"]["chisq_diff"], LRT_REL, 1e-8)
        assert close(c.pvalue_diff, r["final"]["pvalue"], P_REL, P_ABS)
        assert m.fit.fit.df == r["final_fit"]["df"]
        assert close(m.fit.fit.chisq, r["final_fit"]["fit"]["chisq"], FIT_REL)
        assert close(m.fit.fit.cfi_scaled, r["final_fit"]["fit"]["cfi.scaled"], FIT_REL)
        iters = r["iterations"]
        p = by_level.get(m.level)
        if not iters:
            assert p is None
            continue
        assert p is not None and [x.restriction for x in p.releases] == [it["released"] for it in iters]
        for rel, it in zip(p.releases, iters, strict=True):
            theirs = dict(zip(np.atleast_1d(it["key"]), np.atleast_1d(it["X2"]), strict=True))
            assert sorted(k for k, *_ in rel.candidates) == sorted(theirs)
            for key, x2, _, _ in rel.candidates:
                assert close(x2, theirs[key], SCORE_REL, SCORE_ABS), (m.level, key)
    assert res.highest_level == "intercepts"
    assert res.verdict.startswith("partial intercepts invariance supported (released: ")


# ----------------------------------------------------------------------------- result shape
def test_result_json_frames_and_text(results, partial_results):
    res = partial_results["bfi_gender"]
    d = res.to_dict()
    text = json.dumps(d, allow_nan=False)
    assert json.loads(text)["identification"] == "Wu.Estabrook.2016"
    for key in (
        "models",
        "comparisons",
        "highest_level",
        "verdict",
        "criteria",
        "estimator",
        "parameterization",
        "identification",
        "partial",
        "criterion",
        "groups",
    ):
        assert key in d
    assert d["estimator"] == "WLSMV" and d["parameterization"] == "delta"
    assert list(d["models"]) == list(ORDINAL_LEVELS)  # keyed by level, as the continuous report
    assert d["models"]["thresholds"]["cfi_robust"] is None
    assert d["models"]["configural"]["cfi_robust"] is not None
    assert d["models"]["loadings"]["released"] == ["agree =~ A5"]
    assert set(d["comparisons"][0]) >= {
        "level",
        "chisq_diff",
        "df_diff",
        "pvalue_diff",
        "delta_cfi",
        "delta_rmsea",
        "delta_srmr",
        "verdict",
    }
    assert d["partial"][0]["released"] == ["agree =~ A5"]
    frames = res.to_frames()
    assert list(frames) == ["steps", "releases", "summary"]
    assert list(frames["releases"]["restriction"]) == ["agree =~ A5", "A1 ~ 1", "A4 ~ 1", "A2 ~ 1"]
    frame = results["demo_long"].to_frame()  # the main table: steps
    assert list(frame["level"]) == list(ORDINAL_LEVELS)
    assert frame["chisq_diff"].isna().tolist() == [True, False, False, False]
    assert results["demo_long"].to_dict()["occasions"] == ["T0", "T1"]
    assert results["demo_long"].to_dict()["partial"] is None
    assert "releases" not in results["demo_long"].to_frames()
    assert "intercepts" in res.summary() and "Wu.Estabrook.2016" in res.summary()
    fit = res.model("loadings").fit
    assert list(fit.to_frames()) == ["parameters", "summary"]
    assert fit.to_frame().equals(fit.parameters())
    assert "chisq_scaled" in fit.summary()


def test_user_release_equals_partial_search(frames):
    """release= gives the same models as the search's releases (measEq group.partial / long.partial)."""
    res = run("sim3", frames, levels=("configural", "thresholds"), release=["y4 | t1"])
    ref = REF["longitudinal"]["sim3"]["partial"]["levels"]["thresholds"]
    assert res.models[1].released == ("y4 | t1",)
    assert res.models[1].fit.fit.df == ref["final_fit"]["df"]
    assert res.models[1].fit.fit.chisq == pytest.approx(ref["final_fit"]["fit"]["chisq"], rel=FIT_REL)
    assert res.comparisons[0].chisq_diff == pytest.approx(ref["final"]["chisq_diff"], rel=LRT_REL)
    with pytest.raises(UsageError, match="release 'y9 ~ 1': unknown item 'y9'"):
        run("sim3", frames, release=["y9 ~ 1"])
    with pytest.raises(UsageError, match="thresholds t1..t3"):
        run("sim3", frames, release=["y1 | t4"])
    with pytest.raises(UsageError, match="unknown factor"):
        run("bfi_gender", frames, release=["consc =~ A1"])
    with pytest.raises(UsageError, match="partial restriction"):
        run("bfi_gender", frames, release=["A1 ~~ A2"])


def test_dyadic_wrapper_matches_wide(frames):
    demo = frames["demo"]
    res = dyadic_ordinal_invariance(
        demo[demo["wave"] == "T0"], {"trust": TRUST}, dyad="dyad", role="rater", levels=("configural", "thresholds")
    )
    ref = REF["longitudinal"]["demo_dyad"]
    assert res.occasions == ("client", "professional")
    assert res.models[1].fit.fit.chisq == pytest.approx(ref["steps"]["thresholds"]["fit"]["chisq"], rel=FIT_REL)
    assert res.comparisons[0].chisq_diff == pytest.approx(ref["lrt"]["thresholds"]["chisq_diff"], rel=LRT_REL)


def test_engine_direct_use(results):
    """The engine on its own: a hand-written parameter table, the LRT in either order, score tests."""
    res = results["bfi_gender"]
    m1, m0 = res.model("thresholds").fit, res.model("loadings").fit
    a, b = wlsmv_lrt(m1, m0), wlsmv_lrt(m0, m1)
    assert a.chisq_diff == b.chisq_diff and a.df_diff == 4
    r = model_restrictions(m0)
    assert all(x.kind == "equal" for x in r)
    with pytest.raises(UsageError, match="release is empty"):
        wlsmv_score_test(m0, [])
    with pytest.raises(UsageError, match="not an equality restriction"):
        wlsmv_score_test(m0, [Restriction("equal", (0, 1))])
    data = m0.data
    params = [p for p in res.model("configural").fit.model.params]
    refit = fit_wlsmv_model(data, OrdinalModel(data.items, m0.model.factors, 2, tuple(params)))
    assert refit.fit.chisq == pytest.approx(res.model("configural").fit.fit.chisq, rel=1e-10)


def test_group_labels_and_listwise_deletion(frames):
    """Groups in order of first appearance (lavaan group.label); a float group column (it has a missing
    value) still gives "1", "2"; rows with a missing group or item are dropped within groups."""
    g = frames["bfi_gender"][[*A, "gender"]].copy()
    g["gender"] = g["gender"].astype(float)
    g.loc[g.index[0], "gender"] = np.nan
    data = prepare_ordinal_data(g, A, "gender")
    assert data.group_labels == (str(int(g["gender"].dropna().iloc[0])), str(3 - int(g["gender"].dropna().iloc[0])))
    complete = g.dropna()
    assert data.n_total == len(complete)
    assert data.n_dropped == len(g) - len(complete)


# ----------------------------------------------------------------------------- errors
def test_errors(frames):
    g = frames["bfi_gender"]
    with pytest.raises(UsageError, match="levels"):
        ordinal_invariance(g, {"agree": A}, "gender", levels=("loadings", "thresholds"))
    with pytest.raises(UsageError, match="unknown invariance level 'strict'"):
        ordinal_invariance(g, {"agree": A}, "gender", levels=("configural", "strict"))
    with pytest.raises(UsageError, match="criterion"):
        ordinal_invariance(g, {"agree": A}, "gender", criterion="aic")
    with pytest.raises(UsageError, match="alpha"):
        ordinal_invariance(g, {"agree": A}, "gender", criterion="lrt", alpha=1.5)
    with pytest.raises(UsageError, match="group column 'sex'"):
        ordinal_invariance(g, {"agree": A}, "sex")
    with pytest.raises(UsageError, match="has 1 group"):
        ordinal_invariance(g.assign(one=1), {"agree": A}, "one")
    with pytest.raises(UsageError, match="residual covariance"):
        ordinal_invariance(g, {"agree": A}, "gender", residual_covariances=[("A1", "X9")])
    sparse = g.copy()
    sparse.loc[(sparse["gender"] == 2) & (sparse["A3"] == 1), "A3"] = 2
    with pytest.raises(DataError, match="item 'A3' has categories .* in group '2'"):
        ordinal_invariance(sparse, {"agree": A}, "gender")
    sim = frames["sim3"].copy()
    sim.loc[sim["y1_w2"] == 4, "y1_w2"] = 3
    with pytest.raises(DataError, match="item 'y1' has a different number of observed categories"):
        longitudinal_ordinal_invariance(sim, {"f": ["y1", "y2", "y3", "y4"]}, ["w1", "w2", "w3"])
    with pytest.raises(UsageError, match="occasions"):
        longitudinal_ordinal_invariance(sim, {"f": ["y1", "y2"]}, ["w1"])
    with pytest.raises(UsageError, match="columns has no entry"):
        longitudinal_ordinal_invariance(sim, {"f": ["y1", "y2"]}, ["w1", "w2"], columns={("y1", "w1"): "y1_w1"})
    demo = frames["demo"]
    with pytest.raises(DataError, match="several rows for the same dyad and wave \\(dyad 'D0001', wave 'T0'\\)"):
        wide_by_occasion(demo, id="dyad", occasion="wave", items=TRUST)
    with pytest.raises(UsageError, match="occasion 'T9'"):
        wide_by_occasion(demo, id="dyad", occasion="wave", items=TRUST, occasions=["T0", "T9"])
    data = prepare_ordinal_data(g, A, "gender")
    with pytest.raises(UsageError, match="threshold A1 \\| t1 missing"):
        fit_wlsmv_model(data, OrdinalModel(tuple(A), (("agree", tuple(A)),), 2, ()))
    with pytest.raises(UsageError, match="residual variances are not parameters"):
        fit_wlsmv_model(
            data, OrdinalModel(tuple(A), (("agree", tuple(A)),), 2, (OrdinalParam(0, "~~", "A1", "A1", True),))
        )
