"""wamkit.stats.models against R (tests/reference/outcomes.json, made by outcomes.R).

Cluster variable (R and here): cluster = row_index %% 37 on tests/data/rossi.csv.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wamkit.errors import DataError, UsageError
from wamkit.stats.models import TABLE_COLUMNS, cox, logistic, negative_binomial, poisson

HERE = Path(__file__).resolve().parents[1]
REF = json.loads((HERE / "reference" / "outcomes.json").read_text())
COX_PREDS = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
GLM_TOL = 1e-9  # GLMs follow glm.fit / glm.nb step for step: agree to ~1e-13
COX_TOL = 1e-6  # coxph stops at its own eps = 1e-9 on the log-likelihood
P_REL = 1e-6  # p values, relative (the brief allows 1e-3)


@pytest.fixture(scope="module")
def rossi() -> pd.DataFrame:
    d = pd.read_csv(HERE / "data" / "rossi.csv")
    d["cl"] = np.arange(len(d)) % 37
    return d


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    d = pd.read_csv(HERE / "data" / "bfi.csv")
    d["female"] = (d["gender"] == 2).astype(float)
    return d


def _check_table(tab: pd.DataFrame, ref: dict, tol: float, *, intercept: bool):
    assert list(tab.columns) == list(TABLE_COLUMNS)
    terms = list(tab["term"])
    want_terms = ["(Intercept)" if t == "(Intercept)" else t for t in ref["term"]]
    assert terms == want_terms
    assert (terms[0] == "(Intercept)") == intercept
    for col in ("coef", "se", "z"):
        np.testing.assert_allclose(tab[col], ref[col], rtol=tol, atol=tol, err_msg=col)
    np.testing.assert_allclose(tab["estimate"], np.exp(ref["coef"]), rtol=tol)
    np.testing.assert_allclose(tab["ci_low"], ref["ci_low"], rtol=tol, atol=tol)
    np.testing.assert_allclose(tab["ci_high"], ref["ci_high"], rtol=tol, atol=tol)
    np.testing.assert_allclose(tab["p"], ref["p"], rtol=P_REL, atol=1e-300)


# ------------------------------------------------------------------- logistic
def test_logistic_matches_glm(rossi):
    ref = REF["logistic"]
    res = logistic(rossi, "arrest", ["fin", "age", "prio"])
    _check_table(res.table, ref["table"], GLM_TOL, intercept=True)
    assert res.n == ref["n"] and res.events == ref["events"]
    assert (res.table["n"] == ref["n"]).all() and (res.table["events"] == ref["events"]).all()
    assert res.loglik == pytest.approx(ref["loglik"], abs=1e-9)
    assert res.aic == pytest.approx(ref["aic"], abs=1e-9)
    assert res.deviance == pytest.approx(ref["deviance"], abs=1e-9)
    assert res.iterations == ref["iter"]
    assert res.converged and not res.separation and res.warnings == ()
    assert res.cov_type == "model" and res.n_clusters is None


def test_logistic_cluster_matches_vcovCL(rossi):
    ref = REF["logistic"]
    assert ref["cluster_by_hand_maxabsdiff"] < 1e-12  # R: vcovCL = G/(G-1) * HC0 by hand
    res = logistic(rossi, "arrest", ["fin", "age", "prio"], cluster="cl")
    _check_table(res.table, ref["cluster"], GLM_TOL, intercept=True)
    np.testing.assert_allclose(res.vcov, ref["cluster_vcov"], rtol=1e-9, atol=1e-14)
    assert res.cov_type == "cluster" and res.n_clusters == 37


def test_logistic_per_sd(rossi):
    res = logistic(rossi, "arrest", ["fin", "age", "prio"], per_sd=True)
    _check_table(res.table, REF["logistic"]["per_sd"], GLM_TOL, intercept=True)
    assert res.per_sd
    # same fit: the log-likelihood does not change with scaling
    assert res.loglik == pytest.approx(REF["logistic"]["loglik"], abs=1e-9)


def test_logistic_listwise_missing(bfi):
    ref = REF["logistic_bfi"]
    before = bfi.copy()
    res = logistic(bfi, "female", ["A1", "A2", "age"])
    pd.testing.assert_frame_equal(bfi, before)  # input not mutated
    assert res.n == ref["n"] and res.events == ref["events"]
    _check_table(res.table, ref["table"], GLM_TOL, intercept=True)
    assert res.loglik == pytest.approx(ref["loglik"], abs=1e-8)


def test_logistic_separation_is_reported():
    rng = np.random.default_rng(1)
    n = 60
    x = rng.normal(size=n)
    g = (np.arange(n) % 3 == 0).astype(float)
    y = (rng.random(n) < 0.4).astype(float)
    y[g == 1] = 1.0  # quasi-complete separation on g
    d = pd.DataFrame({"y": y, "x": x, "g": g})
    res = logistic(d, "y", ["x", "g"])
    assert res.separation
    assert any("separation" in w for w in res.warnings)
    row = res.table.set_index("term").loc["g"]
    assert np.isnan(row["coef"]) and np.isnan(row["p"])
    # complete separation
    d2 = pd.DataFrame({"y": (x > 0).astype(float), "x": x, "z": rng.normal(size=n)})
    res2 = logistic(d2, "y", ["x", "z"])
    assert res2.separation
    # a clean model is not flagged
    d3 = pd.DataFrame({"y": (rng.random(n) < 0.5).astype(float), "x": x})
    assert not logistic(d3, "y", ["x"]).separation


def test_logistic_errors(rossi):
    with pytest.raises(UsageError):
        logistic(rossi, "arrest", ["nope"])
    with pytest.raises(DataError):
        logistic(rossi, "prio", ["age"])  # not 0/1
    d = rossi.assign(const=1.0)
    with pytest.raises(DataError):
        logistic(d, "arrest", ["age", "const"])
    d = rossi.assign(age2=rossi["age"] * 2)
    with pytest.raises(DataError):
        logistic(d, "arrest", ["age", "age2"])
    d = rossi.assign(word="a")
    with pytest.raises(DataError):
        logistic(d, "arrest", ["word"])
    with pytest.raises(DataError):
        logistic(rossi.iloc[:3], "arrest", ["age", "prio"])
    with pytest.raises(DataError):
        logistic(rossi.assign(cl=1), "arrest", ["age"], cluster="cl")


# ------------------------------------------------------------------- count models
def test_poisson_matches_glm(rossi):
    ref = REF["poisson"]
    res = poisson(rossi, "prio", ["age", "fin", "race"])
    _check_table(res.table, ref["table"], GLM_TOL, intercept=True)
    assert res.loglik == pytest.approx(ref["loglik"], abs=1e-9)
    assert res.aic == pytest.approx(ref["aic"], abs=1e-9)
    assert res.deviance == pytest.approx(ref["deviance"], abs=1e-9)
    assert res.df_resid == ref["df_resid"]
    assert res.dispersion == pytest.approx(ref["dispersion"], rel=1e-10)
    assert any("overdispersion" in w for w in res.warnings)


def test_poisson_cluster(rossi):
    res = poisson(rossi, "prio", ["age", "fin", "race"], cluster="cl")
    _check_table(res.table, REF["poisson"]["cluster"], GLM_TOL, intercept=True)


def test_negative_binomial_matches_glm_nb(rossi):
    ref = REF["negbin"]
    res = negative_binomial(rossi, "prio", ["age", "fin", "race"])
    _check_table(res.table, ref["table"], GLM_TOL, intercept=True)
    assert res.theta == pytest.approx(ref["theta"], rel=1e-9)
    assert res.theta_se == pytest.approx(ref["theta_se"], rel=1e-9)
    assert res.loglik == pytest.approx(ref["loglik"], abs=1e-9)
    assert res.aic == pytest.approx(ref["aic"], abs=1e-9)
    assert res.converged and res.warnings == ()


def test_negative_binomial_cluster(rossi):
    res = negative_binomial(rossi, "prio", ["age", "fin", "race"], cluster="cl")
    _check_table(res.table, REF["negbin"]["cluster"], GLM_TOL, intercept=True)


def test_count_errors(rossi):
    with pytest.raises(DataError):
        poisson(rossi.assign(y=rossi["age"] - 30), "y", ["fin"])
    with pytest.raises(DataError):
        poisson(rossi.assign(y=0.5), "y", ["fin"])


# ------------------------------------------------------------------- Cox
@pytest.mark.parametrize(
    "key,preds,kw",
    [
        ("efron", COX_PREDS, {}),
        ("efron_cluster", COX_PREDS, {"cluster": "cl"}),
        ("efron_small", ["fin", "age", "prio"], {}),
        ("efron_small_per_sd", ["fin", "age", "prio"], {"per_sd": True}),
        ("breslow", COX_PREDS, {"ties": "breslow"}),
    ],
)
def test_cox_matches_coxph(rossi, key, preds, kw):
    ref = REF["cox"][key]
    res = cox(rossi, "week", "arrest", preds, **kw)
    _check_table(res.table, ref, COX_TOL, intercept=False)
    assert res.n == ref["n"] and res.events == ref["events"]
    assert res.loglik == pytest.approx(ref["loglik"], abs=1e-8)
    assert res.loglik_null == pytest.approx(ref["loglik_null"], abs=1e-8)
    assert res.concordance == pytest.approx(ref["concordance"], abs=1e-12)
    assert res.aic == pytest.approx(-2 * ref["loglik"] + 2 * len(preds), abs=1e-8)
    assert res.converged
    if "cluster" in kw:
        assert res.cov_type == "cluster" and res.n_clusters == 37
        # the model-based SEs are R's se(coef)
        naive = cox(rossi, "week", "arrest", preds)
        np.testing.assert_allclose(naive.table["se"], ref["naive_se"], rtol=COX_TOL)


def test_cox_oracle_from_peers(rossi):
    # research notes §9.6 (rounded values printed there)
    res = cox(rossi, "week", "arrest", COX_PREDS)
    np.testing.assert_allclose(
        res.table["coef"], [-0.37942, -0.05744, 0.31390, -0.14980, -0.43370, -0.08487, 0.09150], atol=6e-6
    )
    assert res.loglik == pytest.approx(-658.7477, abs=1e-4)


def test_cox_is_order_invariant_and_jsonable(rossi):
    shuffled = rossi.sample(frac=1.0, random_state=3)
    a = cox(rossi, "week", "arrest", ["fin", "age", "prio"], cluster="cl")
    b = cox(shuffled, "week", "arrest", ["fin", "age", "prio"], cluster="cl")
    np.testing.assert_allclose(a.table[["coef", "se"]], b.table[["coef", "se"]], rtol=1e-9)
    d = a.to_dict()
    json.dumps(d)
    assert d["table"][0]["term"] == "fin"


def test_cox_errors(rossi):
    with pytest.raises(DataError):
        cox(rossi.assign(arrest=0), "week", "arrest", ["age"])
    with pytest.raises(DataError):
        cox(rossi.assign(arrest=2), "week", "arrest", ["age"])
    with pytest.raises(UsageError):
        cox(rossi, "week", "arrest", ["age"], ties="exact")


def test_cox_monotone_likelihood_is_reported():
    rng = np.random.default_rng(0)
    n = 80
    g = (np.arange(n) % 2).astype(float)
    t = rng.exponential(10, n).round() + 1
    e = ((rng.random(n) < 0.5) & (g == 1)).astype(float)  # events only when g == 1
    d = pd.DataFrame({"t": t, "e": e, "g": g, "x": rng.normal(size=n)})
    res = cox(d, "t", "e", ["g", "x"])
    assert res.separation
    tab = res.table.set_index("term")
    assert np.isnan(tab.loc["g", "coef"]) and np.isfinite(tab.loc["x", "coef"])
    assert any("monotone likelihood" in w for w in res.warnings)


def test_negative_binomial_without_overdispersion_warns():
    rng = np.random.default_rng(5)
    d = pd.DataFrame({"y": rng.poisson(3, 300), "x": rng.normal(size=300)})
    res = negative_binomial(d, "y", ["x"])
    assert res.theta > 1e3
    assert res.warnings  # theta iteration limit / very large theta
