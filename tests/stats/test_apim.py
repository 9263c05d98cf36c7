"""wamkit.stats.apim against R nlme::gls (tests/reference/apim.json, made by apim.R).

Data: tests/data/acitelli_individual.csv (Acitelli couples, Kenny's teaching data; source
in apim.R) and tests/data/apim_sim_long.csv (tests/data/make_dyadic_sim.py).

Tolerances: R's gls optimiser locates the variance parameters only to ~1e-7 (the restricted
log-likelihood is flat to rounding there), so the residual correlation and everything
depending on it agree to ~1e-7 relative; fixed effects of complete data are exact.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import DATA, REFERENCE
from wamkit.errors import DataError, UsageError
from wamkit.stats.apim import apim, apim_cross_lagged, pairwise_lagged

REF = json.loads((REFERENCE / "apim.json").read_text())
EST = 1e-6  # estimates, relative (the brief: 1e-6)
SE = 1e-6  # SEs, relative (the brief: 1e-5)
FIELDS = ("estimate", "se", "ci_low", "ci_high", "statistic")


def _acitelli_pairwise() -> pd.DataFrame:
    d = pd.read_csv(DATA / "acitelli_individual.csv")
    d["role"] = np.where(d["gender"] == 1, "husband", "wife")
    p = d[["cuplid", "gender", "other_pos"]].rename(columns={"other_pos": "partner_pos"})
    p = p.assign(gender=-p["gender"])
    return d.merge(p, on=["cuplid", "gender"])


@pytest.fixture(scope="module")
def acitelli():
    return _acitelli_pairwise()


@pytest.fixture(scope="module")
def fit_acitelli(acitelli):
    return apim(acitelli, "satisfaction", "other_pos", "partner_pos", dyad="cuplid", role="role")


@pytest.fixture(scope="module")
def fit_incomplete(acitelli):
    ids = sorted(acitelli["cuplid"].unique())
    drop = (acitelli["cuplid"].isin(ids[:20]) & (acitelli["role"] == "wife")) | (
        acitelli["cuplid"].isin(ids[20:30]) & (acitelli["role"] == "husband")
    )
    return apim(
        acitelli[~drop],
        "satisfaction",
        "other_pos",
        "partner_pos",
        dyad="cuplid",
        role="role",
        roles=("husband", "wife"),
    )


@pytest.fixture(scope="module")
def long():
    return pd.read_csv(DATA / "apim_sim_long.csv")


@pytest.fixture(scope="module")
def lagged(long):
    return apim_cross_lagged(
        long,
        dyad="dyad",
        role="role",
        wave="wave",
        scores=["bond", "task"],
        waves=["T0", "T6", "T9"],
        roles=("client", "professional"),
    )


def _compare(res, ref):
    assert list(res.roles) == ref["roles"]
    assert res.n_rows == ref["n_rows"] and res.df == ref["df"]
    assert res.n_dyads == ref["n_dyads"] and res.n_complete_dyads == ref["n_complete_dyads"]
    assert list(res.fit.terms) == [t.replace("role", "", 1) for t in ref["terms"]]
    np.testing.assert_allclose(res.fit.beta, ref["coef"], rtol=EST)
    np.testing.assert_allclose(res.fit.vcov, ref["vcov"], rtol=3 * SE, atol=1e-14)
    for group in ("actor", "partner", "intercept", "k"):
        for role in res.roles:
            got, want = getattr(res, group)[role], ref[group][role]
            for f in FIELDS:
                tol = EST if f == "estimate" else SE
                assert getattr(got, f) == pytest.approx(want[f], rel=tol), f"{group}.{role}.{f}"
            z = abs(want["statistic"])
            assert got.pvalue == pytest.approx(want["pvalue"], rel=SE * max(1.0, z * z), abs=1e-300)
    assert res.residual_correlation == pytest.approx(ref["residual_correlation"], rel=EST)
    for role in res.roles:
        assert res.residual_sd[role] == pytest.approx(ref["residual_sd"][role], rel=EST)
    assert res.fit.loglik == pytest.approx(ref["loglik"], abs=1e-9)
    assert res.fit.aic == pytest.approx(ref["aic"], abs=1e-9)
    assert res.fit.bic == pytest.approx(ref["bic"], abs=1e-9)
    ind = ref["indistinguishable"]
    for name in ("intercept", "actor", "partner"):
        for f in FIELDS:
            assert getattr(res.indistinguishable[name], f) == pytest.approx(ind[name][f], rel=SE), f"{name}.{f}"
    assert res.indistinguishable["residual_correlation"] == pytest.approx(ind["residual_correlation"], rel=EST)
    assert res.indistinguishable["residual_sd"] == pytest.approx(ind["residual_sd"], rel=EST)
    assert res.indistinguishable["loglik"] == pytest.approx(ind["loglik"], abs=1e-9)
    for k in ("distinguishable", "indistinguishable"):
        assert res.ml_loglik[k] == pytest.approx(ref["ml_loglik"][k], abs=1e-9)
    t = res.distinguishability_test
    assert t.method == "LR chi2" and t.df == ref["distinguishability_test"]["df"] == 4
    assert t.statistic == pytest.approx(ref["distinguishability_test"]["statistic"], rel=1e-8)
    assert t.pvalue == pytest.approx(ref["distinguishability_test"]["pvalue"], rel=1e-7)


def test_acitelli_matches_gls(fit_acitelli):
    _compare(fit_acitelli, REF["acitelli"])


def test_acitelli_printed_oracle(fit_acitelli):
    # "Other Programs/R/APIM Output.txt" of RandiLGarcia/2day-dyad-workshop (7 digits printed)
    r = fit_acitelli
    assert r.actor["husband"].estimate == pytest.approx(0.4243866, abs=5e-8)
    assert r.actor["husband"].se == pytest.approx(0.0677157, abs=5e-8)
    assert r.actor["wife"].estimate == pytest.approx(0.3777000, abs=5e-8)
    assert r.actor["wife"].se == pytest.approx(0.0739222, abs=5e-8)
    assert r.partner["husband"].estimate == pytest.approx(0.2616498, abs=5e-8)  # wife -> husband
    assert r.partner["husband"].se == pytest.approx(0.0614025, abs=5e-8)
    assert r.partner["wife"].estimate == pytest.approx(0.3214782, abs=5e-8)  # husband -> wife
    assert r.partner["wife"].se == pytest.approx(0.0815225, abs=5e-8)
    assert r.residual_correlation == pytest.approx(0.4751092, abs=5e-7)
    assert r.fit.loglik == pytest.approx(-150.1108, abs=5e-5)
    assert r.residual_sd["wife"] == pytest.approx(0.455478, abs=5e-7)
    assert r.residual_sd["husband"] / r.residual_sd["wife"] == pytest.approx(0.8306377, abs=5e-7)
    ind = r.indistinguishable
    assert ind["actor"].estimate == pytest.approx(0.4004231, abs=5e-8)
    assert ind["partner"].estimate == pytest.approx(0.2879705, abs=5e-8)
    assert ind["actor"].se == pytest.approx(0.0473141, abs=5e-8)
    assert ind["residual_correlation"] == pytest.approx(0.4693414, abs=5e-7)


def test_incomplete_dyads_match_gls(fit_incomplete):
    assert fit_incomplete.n_rows == 266 and fit_incomplete.n_complete_dyads == 118
    assert fit_incomplete.n_by_role == {"husband": 138, "wife": 128}
    _compare(fit_incomplete, REF["acitelli_incomplete"])


def test_cross_lagged_match_gls(lagged, long):
    keys = [f"{e.score}_{e.wave_from}_{e.wave_to}" for e in lagged]
    assert keys == list(REF["lagged"])
    for e in lagged:
        ref = REF["lagged"][f"{e.score}_{e.wave_from}_{e.wave_to}"]
        assert e.problem is None
        _compare(e.result, ref)
        d = e.to_dict()
        for k in (
            "actor_client",
            "actor_professional",
            "partner_client_on_professional",
            "partner_professional_on_client",
            "residual_correlation",
            "k_client",
            "k_professional",
            "distinguishability_test",
            "n_dyads",
        ):
            assert k in d
        assert d["partner_client_on_professional"]["estimate"] == pytest.approx(
            e.result.partner["professional"].estimate, rel=1e-14
        )  # JSON: 15 digits
        json.dumps(d)
    pw = pairwise_lagged(long, dyad="dyad", role="role", wave="wave", score="bond", waves=["T0", "T6", "T9"])
    assert list(pw.columns) == ["dyad", "role", "wave_from", "wave_to", "outcome", "actor", "partner"]
    assert (pw["wave_from"] == "T0").sum() == REF["lagged"]["bond_T0_T6"]["pairwise_rows"]


def test_simulated_effects_are_recovered(lagged):
    # generator: client(t+1) = 0.55 client(t) + 0.25 professional(t); professional: 0.60 / 0.08
    res = lagged[0].result
    assert res.actor["client"].ci_low < 0.55 < res.actor["client"].ci_high
    assert res.partner["client"].ci_low < 0.25 < res.partner["client"].ci_high
    assert res.actor["professional"].ci_low < 0.60 < res.actor["professional"].ci_high
    assert res.distinguishability_test.pvalue < 1e-6


def test_apim_frames_and_errors(fit_acitelli, acitelli, long):
    fr = fit_acitelli.to_frame()
    assert list(fr.columns) == [
        "effect",
        "role",
        "from_role",
        "estimate",
        "se",
        "ci_low",
        "ci_high",
        "statistic",
        "pvalue",
        "df",
    ]
    assert len(fr) == 8
    row = fr[(fr.effect == "partner") & (fr.role == "wife")].iloc[0]
    assert row.from_role == "husband"
    with pytest.raises(UsageError, match="unknown column"):
        apim(acitelli, "satisfaction", "other_pos", "nope", dyad="cuplid", role="role")
    with pytest.raises(DataError, match="two roles"):
        apim(acitelli.assign(role="x"), "satisfaction", "other_pos", "partner_pos", dyad="cuplid", role="role")
    with pytest.raises(DataError, match="same role"):
        apim(
            acitelli.assign(role="husband").assign(role=lambda d: np.where(d.index % 3 == 0, "wife", "husband")),
            "satisfaction",
            "other_pos",
            "partner_pos",
            dyad="cuplid",
            role="role",
        )
    with pytest.raises(UsageError, match="roles"):
        apim(acitelli, "satisfaction", "other_pos", "partner_pos", dyad="cuplid", role="role", roles=("a", "a"))
    with pytest.raises(DataError, match="not in roles"):
        apim(
            acitelli,
            "satisfaction",
            "other_pos",
            "partner_pos",
            dyad="cuplid",
            role="role",
            roles=("husband", "spouse"),
        )
    with pytest.raises(DataError, match="more than one row"):
        pairwise_lagged(pd.concat([long, long.iloc[:1]]), dyad="dyad", role="role", wave="wave", score="bond")
    with pytest.raises(DataError, match="two waves"):
        pairwise_lagged(long[long.wave == "T0"], dyad="dyad", role="role", wave="wave", score="bond")
