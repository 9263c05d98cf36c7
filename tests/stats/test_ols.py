"""wamkit.stats.models.ols / linear_combination against R lm + sandwich::vcovCL + lmtest.

Reference: tests/reference/ols_surface.json (made by tests/reference/ols_surface.R).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import DATA, REFERENCE
from wamkit.errors import DataError, UsageError
from wamkit.stats.models import TABLE_COLUMNS, linear_combination, ols

REF = json.loads((REFERENCE / "ols_surface.json").read_text())["ols"]
EST = 1e-9  # lm is closed form: agreement to rounding
P_REL = 1e-7


@pytest.fixture(scope="module")
def rossi() -> pd.DataFrame:
    d = pd.read_csv(DATA / "rossi.csv")
    d["cl"] = np.arange(len(d)) % 37
    return d


@pytest.fixture(scope="module")
def rsa() -> pd.DataFrame:
    return pd.read_csv(DATA / "rsa_sim.csv")


def _check(tab: pd.DataFrame, ref: dict) -> None:
    assert list(tab.columns) == list(TABLE_COLUMNS)
    assert list(tab["term"]) == ref["term"]
    for col, rcol in (("coef", "coef"), ("se", "se"), ("z", "t"), ("ci_low", "ci_low"), ("ci_high", "ci_high")):
        np.testing.assert_allclose(tab[col], ref[rcol], rtol=EST, atol=1e-12, err_msg=col)
    np.testing.assert_allclose(tab["estimate"], ref["coef"], rtol=EST)
    np.testing.assert_allclose(tab["p"], ref["p"], rtol=P_REL, atol=1e-300)


@pytest.mark.parametrize(
    "key,outcome,preds,cluster",
    [
        ("rossi", "prio", ["age", "fin", "race"], "cl"),
        ("rsa", "score6", ["client", "officer_rating", "age"], "officer"),
    ],
)
def test_ols_matches_lm_and_vcovCL(request, key, outcome, preds, cluster):
    data = request.getfixturevalue(key)
    ref = REF[key]
    res = ols(data, outcome, preds)
    _check(res.table, ref["table"])
    np.testing.assert_allclose(res.vcov, ref["table"]["vcov"], rtol=1e-9, atol=1e-15)
    assert res.model == "ols" and res.statistic == "t" and res.cov_type == "model"
    assert res.n == ref["n"] and res.df_resid == ref["df_resid"]
    assert res.loglik == pytest.approx(ref["loglik"], rel=1e-12)
    assert res.aic == pytest.approx(ref["aic"], rel=1e-12)
    assert res.sigma == pytest.approx(ref["sigma"], rel=1e-12)
    assert res.r_squared == pytest.approx(ref["r_squared"], rel=1e-10)
    assert res.adj_r_squared == pytest.approx(ref["adj_r_squared"], rel=1e-10)
    assert res.deviance == pytest.approx(ref["deviance"], rel=1e-12)
    assert np.isnan(res.events) and np.isnan(res.dispersion) and np.isnan(res.theta)
    cl = ols(data, outcome, preds, cluster=cluster)
    _check(cl.table, ref["cluster"])
    np.testing.assert_allclose(cl.vcov, ref["cluster"]["vcov"], rtol=1e-9, atol=1e-15)
    assert cl.cov_type == "cluster" and cl.n_clusters == data[cluster].nunique()


def test_ols_ci_level(rossi):
    res = ols(rossi, "prio", ["age", "fin", "race"], ci_level=0.90)
    np.testing.assert_allclose(res.table["ci_low"], REF["rossi"]["ci90"]["ci_low"], rtol=EST)
    np.testing.assert_allclose(res.table["ci_high"], REF["rossi"]["ci90"]["ci_high"], rtol=EST)


def test_linear_combination_uses_vcov_and_t(rossi):
    ref = REF["rossi"]["cluster"]
    res = ols(rossi, "prio", ["age", "fin", "race"], cluster="cl")
    V = np.array(ref["vcov"])
    c = np.array([0.0, 1.0, -2.0, 0.5])
    est = linear_combination(res, {"age": 1.0, "fin": -2.0, "race": 0.5})
    assert est.estimate == pytest.approx(float(c @ np.array(ref["coef"])), rel=1e-10)
    assert est.se == pytest.approx(float(np.sqrt(c @ V @ c)), rel=1e-9)
    assert est.df == REF["rossi"]["df_resid"]
    same = linear_combination(res, c)
    assert same.pvalue == pytest.approx(est.pvalue, rel=1e-12)
    with pytest.raises(UsageError, match="unknown term"):
        linear_combination(res, {"nope": 1.0})
    with pytest.raises(UsageError, match="entries"):
        linear_combination(res, [1.0, 2.0])


def test_ols_errors(rossi):
    with pytest.raises(UsageError, match="unknown column"):
        ols(rossi, "prio", ["nope"])
    with pytest.raises(DataError, match="constant"):
        ols(rossi.assign(y=1.0), "y", ["age"])
    with pytest.raises(DataError, match="collinear"):
        ols(rossi.assign(age2=rossi["age"] * 2), "prio", ["age", "age2"])
    with pytest.raises(DataError, match="too few"):
        ols(rossi.iloc[:4], "prio", ["age", "fin"])
    with pytest.raises(DataError, match="2 clusters"):
        ols(rossi.assign(cl=1), "prio", ["age"], cluster="cl")
    with pytest.raises(UsageError, match="ci_level"):
        ols(rossi, "prio", ["age"], ci_level=95)
    json.dumps(ols(rossi, "prio", ["age"]).to_dict())
