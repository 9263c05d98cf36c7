"""fit_sem vs lavaan 0.6-14 sem()/cfa() (tests/reference/sem.json, made by tests/reference/sem.R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wamkit.errors import DataError, UsageError
from wamkit.stats.sem import fit_sem, modification_indices
from wamkit.stats.sem.engine import Problem

ROOT = Path(__file__).parents[2]
REF = json.loads((ROOT / "tests" / "reference" / "sem.json").read_text())
REL = 1e-4  # the tolerance for SEM parameters and fit measures
EST_ATOL = 1e-5  # absolute floor for estimates near zero (lavaan's nlminb stops ~1e-7 short of the optimum)
SKIP_FIT = {"ntotal"}


def _holes(d: pd.DataFrame, spec: dict) -> pd.DataFrame:
    d = d.copy()
    n = len(d)
    for col, v in spec.items():
        start, step = (v, v) if isinstance(v, int) else v
        d.loc[np.arange(start - 1, n, step), col] = np.nan
    return d


def _wam_t0() -> pd.DataFrame:
    wam = pd.read_csv(ROOT / "examples" / "wam_demo.csv", dtype=str)
    items = [f"wam{i:02d}" for i in range(1, 20)]
    w = wam[(wam.rater == "client") & (wam.wave == "T0")][items].apply(pd.to_numeric, errors="coerce")
    for it in ("wam13", "wam18"):
        w[it] = 6 - w[it]
    return w


@pytest.fixture(scope="module")
def fits() -> dict:
    pdem = pd.read_csv(ROOT / "tests" / "data" / "political_democracy.csv")
    hs = pd.read_csv(ROOT / "tests" / "data" / "hs1939.csv")
    bfi = pd.read_csv(ROOT / "tests" / "data" / "bfi.csv")
    r = REF
    mg = r["hs_multigroup"]
    return {
        "poldem": fit_sem(pdem, r["poldem"]["model"]),
        "poldem_labels": fit_sem(pdem, r["poldem_labels"]["model"]),
        "poldem_na": fit_sem(pdem, r["poldem_na"]["model"]),
        "poldem_stdlv": fit_sem(pdem, r["poldem_stdlv"]["model"], std_lv=True),
        "hs_fixedx": fit_sem(hs, r["hs_fixedx"]["model"]),
        "hs_fixedx_fiml": fit_sem(
            _holes(hs, r["hs_fixedx_fiml"]["holes"]), r["hs_fixedx_fiml"]["model"], missing="fiml"
        ),
        "poldem_fiml": fit_sem(_holes(pdem, r["poldem_fiml"]["holes"]), r["poldem_fiml"]["model"], missing="fiml"),
        "hs_multigroup": fit_sem(
            hs, mg["model"], group=mg["group"], group_equal=mg["group_equal"], group_partial=mg["group_partial"]
        ),
        "bfi10_fiml": fit_sem(bfi, r["bfi10_fiml"]["model"], missing="fiml"),
        "wam_demo_t0": fit_sem(_wam_t0(), r["wam_demo_t0"]["model"]),
    }


CASES = [
    "poldem",
    "poldem_labels",
    "poldem_na",
    "poldem_stdlv",
    "hs_fixedx",
    "hs_fixedx_fiml",
    "poldem_fiml",
    "hs_multigroup",
    "bfi10_fiml",
    "wam_demo_t0",
]


@pytest.mark.parametrize("case", CASES)
def test_fit_measures(fits, case):
    res = fits[case]
    assert res.converged, res.optimizer_message
    checked = 0
    for key, want in REF[case]["fit"].items():
        if key in SKIP_FIT or want is None:
            continue
        got = getattr(res.fit, key.replace(".", "_"))
        assert got == pytest.approx(want, rel=REL, abs=1e-10), key
        checked += 1
    assert checked >= 38
    assert res.fit.ntotal == REF[case]["fit"]["ntotal"]


@pytest.mark.parametrize("case", CASES)
def test_parameters(fits, case):
    res = fits[case]
    ref = pd.DataFrame(REF[case]["params"])
    ref["rhs"] = ref["rhs"].fillna("")
    m = ref.merge(
        res.parameters,
        on=["lhs", "op", "rhs", "group"],
        suffixes=("_ref", ""),
        how="outer",
        validate="one_to_one",
        indicator=True,
    )
    assert (m["_merge"] == "both").all(), m[m["_merge"] != "both"][["lhs", "op", "rhs", "group"]]
    np.testing.assert_allclose(m["est"], m["est_ref"], rtol=REL, atol=EST_ATOL)
    np.testing.assert_allclose(m["se"], m["se_ref"], rtol=REL, atol=EST_ATOL)
    # a bound inherits the tolerances of est and se: |Δ| <= REL (|est| + 1.96 se)
    bound_tol = REL * (np.abs(m["est_ref"]) + 1.96 * m["se_ref"]) + EST_ATOL
    assert np.all(np.abs(m["ci_low"] - m["ci.lower"]) <= bound_tol)
    assert np.all(np.abs(m["ci_high"] - m["ci.upper"]) <= bound_tol)
    np.testing.assert_allclose(m["std_lv"], m["std.lv"], rtol=REL, atol=EST_ATOL)
    np.testing.assert_allclose(m["std_all"], m["std.all"], rtol=REL, atol=EST_ATOL)
    free = m["free"].to_numpy()
    np.testing.assert_allclose(m.loc[free, "z"], m.loc[free, "z_ref"], rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(m.loc[free, "pvalue"], m.loc[free, "pvalue_ref"], rtol=1e-3, atol=1e-6)
    labels = m["label_ref"].fillna("")
    assert list(labels) == list(m["label"])


@pytest.mark.parametrize("case", CASES)
def test_iterations_at_most_twice_lavaan(fits, case):
    res = fits[case]
    assert 0 < res.iterations <= 2 * REF[case]["iterations"], (res.iterations, REF[case]["iterations"])


def test_equality_labels_and_constraints(fits):
    res = fits["poldem_labels"]
    p = res.parameters
    a = p[p.label == "a"]
    assert len(a) == 2 and a.est.nunique() == 1 and a.se.nunique() == 1
    assert res.fit.npar == REF["poldem_labels"]["fit"]["npar"] == 28
    na = fits["poldem_na"].parameters
    assert na.query("lhs == 'ind60' and rhs == 'x1'").free.iloc[0]  # NA* freed the marker
    assert not na.query("lhs == 'dem65' and rhs == 'y8'").free.iloc[0]  # 0.5* fixed
    assert na.query("lhs == 'dem65' and rhs == 'y8'").est.iloc[0] == 0.5
    l3, l7 = (na.query(f"label == '{x}'").est.iloc[0] for x in ("l3", "l7"))
    assert l3 == pytest.approx(l7, rel=1e-12)  # l3 == l7


def test_fixed_x_covariates(fits):
    p = fits["hs_fixedx"].parameters
    exo = p[p.exo]
    assert set(exo.lhs) == {"ageyr", "sex"} and not exo.free.any()
    hs = pd.read_csv(ROOT / "tests" / "data" / "hs1939.csv")
    v = exo.query("lhs == 'ageyr' and rhs == 'ageyr'").est.iloc[0]
    assert v == pytest.approx(hs.ageyr.var(ddof=0), rel=1e-12)  # fixed at the sample value
    assert any("exogenous" in w for w in fits["hs_fixedx_fiml"].warnings)


def test_modification_indices_structural_model(fits):
    ref = pd.DataFrame(REF["poldem"]["modindices"])
    mine = modification_indices(fits["poldem"])
    m = mine.merge(ref, on=["lhs", "op", "rhs"], suffixes=("", "_ref"))
    assert len(m) >= 40  # every loading / covariance candidate computed here is one lavaan lists
    np.testing.assert_allclose(m.mi, m.mi_ref, rtol=1e-3, atol=1e-5)
    np.testing.assert_allclose(m.epc, m.epc_ref, rtol=1e-3, atol=1e-5)
    np.testing.assert_allclose(m.sepc_all, m.sepc_all_ref, rtol=1e-3, atol=1e-5)
    with pytest.raises(UsageError, match="single-group"):
        modification_indices(fits["hs_multigroup"])


def test_analytic_derivatives_match_finite_differences(fits):
    """Gradient and Hessian of the engine's objective against central differences (FIML, regressions, means)."""
    res = fits["poldem_fiml"]
    prob: Problem = res.problem
    th = res.theta.copy() + 0.01
    ev = prob.evaluate(th, grad=True, info=True, hess=True)
    g = prob.reduce_vec(ev.grad)
    H = prob.reduce_mat(ev.hess)
    h = 1e-5
    for k in (0, 5, 11, 20, len(th) - 1):
        e = np.zeros_like(th)
        e[k] = h
        num_g = (prob.objective(th + e) - prob.objective(th - e)) / (2 * h)
        assert g[k] == pytest.approx(num_g, rel=1e-5, abs=1e-8)
        num_h = (prob.gradient(th + e) - prob.gradient(th - e)) / (2 * h)
        np.testing.assert_allclose(H[:, k], num_h, rtol=1e-4, atol=1e-6)


def test_result_serialises(fits):
    res = fits["poldem"]
    d = json.loads(json.dumps(res.to_dict()))
    assert d["converged"] and d["iterations"] == res.iterations
    assert len(d["parameters"]) == len(res.parameters)
    assert {
        "lhs",
        "op",
        "rhs",
        "group",
        "label",
        "est",
        "se",
        "z",
        "pvalue",
        "ci_low",
        "ci_high",
        "std_lv",
        "std_all",
    } <= set(res.to_frame().columns)
    assert d["fit"]["rmsea_ci_upper"] == pytest.approx(REF["poldem"]["fit"]["rmsea.ci.upper"], rel=REL)
    frames = res.to_frames()
    assert list(frames) == ["parameters", "summary", "fit", "constraints"]
    assert frames["summary"].iloc[0]["iterations"] == res.iterations
    assert "chisq" in res.summary(width=120)


def test_covariance_input(fits):
    pdem = pd.read_csv(ROOT / "tests" / "data" / "political_democracy.csv")
    res = fit_sem(None, REF["poldem"]["model"], cov=pdem.cov(), n_obs=len(pdem))
    assert res.fit.chisq == pytest.approx(REF["poldem"]["fit"]["chisq"], rel=REL)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"missing": "pairwise"}, "missing must be"),
        ({"group": "nope"}, "group column 'nope'"),
        ({"group_equal": ["loadings"]}, "several groups"),
        ({"cov": np.eye(3), "n_obs": 50}, "cov must be"),
    ],
)
def test_usage_errors(kwargs, fragment):
    pdem = pd.read_csv(ROOT / "tests" / "data" / "political_democracy.csv")
    data = None if "cov" in kwargs else pdem
    with pytest.raises(UsageError, match=fragment):
        fit_sem(data, REF["poldem"]["model"], **kwargs)


def test_model_errors():
    pdem = pd.read_csv(ROOT / "tests" / "data" / "political_democracy.csv")
    with pytest.raises(UsageError, match="not identified"):
        fit_sem(pdem, "f =~ y1 + y2")
    with pytest.raises(UsageError, match="ordinal"):
        fit_sem(pdem, "f =~ y1 + y2 + y3\n y1 | t1")
    with pytest.raises(UsageError, match="not a column"):
        fit_sem(pdem, "f =~ y1 + y2 + zz")
    d = pdem.copy()
    d["y3"] = 1.0
    with pytest.raises(DataError, match="zero variance"):
        fit_sem(d, "f =~ y1 + y2 + y3")


def test_unidentified_model_has_no_standard_errors():
    hs = pd.read_csv(ROOT / "tests" / "data" / "hs1939.csv")
    res = fit_sem(hs, "f =~ x1 + x2\n g =~ x4 + x5 + x6\n f ~~ 0*g")  # two indicators, nothing else: free scale
    assert any("not be identified" in w for w in res.warnings)
    assert res.parameters.query("lhs == 'f' and rhs == 'x2'").se.isna().all()
