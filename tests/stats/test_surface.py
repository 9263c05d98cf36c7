"""wamkit.stats.surface (polynomial regression + response surface analysis) against R.

Reference: tests/reference/ols_surface.json (tests/reference/ols_surface.R): lm / glm /
MASS::glm.nb / survival::coxph on the centred polynomial, a1..a5 and their SEs from vcov
(sandwich::vcovCL / coxph cluster when clustered), the congruence test by anova /
car::linearHypothesis / the likelihood ratio, stationary point and principal axes by
deriv() + delta method. Data: tests/data/rsa_sim.csv (tests/data/make_dyadic_sim.py).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import DATA, REFERENCE
from wamkit.errors import DataError, UsageError
from wamkit.stats.surface import response_surface, surface_grid

REF = json.loads((REFERENCE / "ols_surface.json").read_text())["surface"]
CASES = sorted(REF)
FIELDS = ("estimate", "se", "ci_low", "ci_high", "statistic")


def _tol(model: str) -> float:
    # GLMs follow glm.fit step for step (~1e-12); coxph stops at its own tolerance
    return 1e-6 if model == "cox" else 1e-9


@pytest.fixture(scope="module")
def rsa() -> pd.DataFrame:
    return pd.read_csv(DATA / "rsa_sim.csv")


@pytest.fixture(scope="module")
def fits(rsa):
    out = {}
    for key, r in REF.items():
        covs = r["covariates"] if isinstance(r["covariates"], list) else [r["covariates"]]
        out[key] = response_surface(
            rsa,
            r["outcome"],
            "client",
            "officer_rating",
            model=r["model"],
            center=r["center"],
            time=r["time"] or None,
            covariates=covs,
            cluster=r["cluster"] or None,
        )
    return out


@pytest.mark.parametrize("key", CASES)
def test_surface_matches_r(fits, key):
    ref = REF[key]
    res = fits[key]
    tol = _tol(ref["model"])
    assert res.n == ref["n"]
    if ref["model"] == "cox":
        assert res.events == ref["events"]
    assert res.cov_type == ("cluster" if ref["cluster"] else "model")
    assert res.statistic == ("t" if ref["model"] == "ols" else "z")
    np.testing.assert_allclose(res.fit.coef, ref["coef"], rtol=tol, atol=1e-12)
    np.testing.assert_allclose(res.fit.vcov, ref["vcov"], rtol=10 * tol, atol=1e-14)
    for group in ("coefficients", "surface", "extras"):
        got = getattr(res, group)
        assert sorted(got) == sorted(ref[group]), group
        for name, want in ref[group].items():
            for f in FIELDS:
                assert getattr(got[name], f) == pytest.approx(want[f], rel=10 * tol, abs=1e-12), f"{group}.{name}.{f}"
            # p values: relative tolerance widened for tiny p (d log p ~ z dz)
            z = abs(want["statistic"])
            assert got[name].pvalue == pytest.approx(want["pvalue"], rel=10 * tol * max(1.0, z * z), abs=1e-300), (
                f"{group}.{name}.pvalue"
            )


@pytest.mark.parametrize("key", CASES)
def test_congruence_test_matches_r(fits, key):
    want = REF[key]["congruence_test"]
    got = fits[key].congruence_test
    tol = _tol(REF[key]["model"])
    assert got.method == want["method"]
    assert got.df == 4
    assert got.statistic == pytest.approx(want["statistic"], rel=10 * tol)
    assert got.pvalue == pytest.approx(want["pvalue"], rel=100 * tol)
    if want["method"] == "F":
        assert got.df_denominator == want["df_denominator"]
        if "anova_F" in want:  # Wald F with the model V == anova() F
            assert got.statistic == pytest.approx(want["anova_F"], rel=1e-9)
    if want["method"] == "LR chi2":
        assert got.statistic == pytest.approx(want["anova_stat"], rel=10 * tol)
        assert fits[key].restricted.loglik == pytest.approx(want["loglik_restricted"], rel=tol)


@pytest.mark.parametrize("key", [k for k in CASES if "grid" in REF[k]])
def test_grid_matches_predict(fits, key):
    want = REF[key]["grid"]
    res = fits[key]
    for scale in ("link", "response"):
        g = surface_grid(res, [1.5, 3, 4.5], [2, 3.5, 5], scale=scale)
        np.testing.assert_allclose(g["x"], want["x"])
        np.testing.assert_allclose(g["y"], want["y"])
        np.testing.assert_allclose(g["z"], want[scale], rtol=1e-9, atol=1e-12)


def test_congruence_effect_is_found(fits):
    # the simulated outcomes worsen with the client-officer discrepancy: curvature along
    # the line of incongruence (a4) is positive for the problems, negative for score6
    for key in ("logistic", "poisson", "negative_binomial", "cox"):
        a4 = fits[key].surface["a4"]
        assert a4.estimate > 0 and a4.pvalue < 1e-3
    assert fits["ols"].surface["a4"].estimate < 0


def test_result_shapes(fits):
    res = fits["logistic_cluster"]
    d = res.to_dict()
    json.dumps(d)
    assert set(d["coefficients"]) == {"b0", "b1", "b2", "b3", "b4", "b5"}
    assert set(d["surface"]) == {"a1", "a2", "a3", "a4", "a5"}
    assert set(d["surface"]["a1"]) >= {"estimate", "se", "ci_low", "ci_high", "pvalue"}
    assert set(d["congruence_test"]) >= {"statistic", "df", "pvalue", "method"}
    assert d["n"] == res.n and d["model"] == "logistic"
    assert "b0" not in fits["cox"].coefficients
    fr = res.to_frame()
    assert list(fr.columns) == [
        "group",
        "parameter",
        "term",
        "estimate",
        "se",
        "ci_low",
        "ci_high",
        "statistic",
        "pvalue",
        "df",
    ]
    assert len(fr) == 6 + 5 + 6
    assert fr.set_index("parameter").loc["b3", "term"] == "client^2"
    sx, _ = fits["ols"].stationary_point
    assert sx == pytest.approx(REF["ols"]["extras"]["X0"]["estimate"] + 3, rel=1e-9)
    g = surface_grid(fits["cox"], n=5)
    assert len(g) == 25 and g["x"].min() == 1 and g["x"].max() == 5
    assert (surface_grid(fits["cox"], [3], [3], scale="response")["z"] == 1).all()


def test_surface_errors(rsa):
    with pytest.raises(UsageError, match="unknown model"):
        response_surface(rsa, "dropout", "client", "officer_rating", model="probit", center=3)
    with pytest.raises(UsageError, match="time"):
        response_surface(rsa, "rearrest", "client", "officer_rating", model="cox", center=3)
    with pytest.raises(UsageError, match="time"):
        response_surface(rsa, "dropout", "client", "officer_rating", model="logistic", center=3, time="days")
    with pytest.raises(UsageError, match="unknown column"):
        response_surface(rsa, "dropout", "client", "nope", model="logistic", center=3)
    with pytest.raises(UsageError, match="center"):
        response_surface(rsa, "dropout", "client", "officer_rating", model="logistic", center="mid")
    with pytest.raises(UsageError, match="different"):
        response_surface(rsa, "dropout", "client", "client", model="logistic", center=3)
    with pytest.raises(TypeError):
        response_surface(rsa, "dropout", "client", "officer_rating", model="logistic")  # center is required
    with pytest.raises(DataError):
        response_surface(rsa.assign(officer_rating=3.0), "score6", "client", "officer_rating", center=3)
    with pytest.raises(UsageError, match="scale"):
        surface_grid(response_surface(rsa, "score6", "client", "officer_rating", center=3), scale="odds")
