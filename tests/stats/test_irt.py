"""Factor-analytic IRT (psych::irt.fa) and item information against R.

Reference values: tests/reference/irt.json, written by tests/reference/irt.R (Rscript tests/reference/irt.R):
psych::irt.fa on bfi A (keyed), N, O (keyed), A+N with two factors, and the SPI-135 Trust and Anxiety items
(psychTools::spi, tests/data/spi_trust_anxiety.csv); psych's information plot ($sumInfo, $AUC, $max.info); and
the normal-ogive graded-response information written out with pnorm/dnorm in R.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from conftest import DATA, REFERENCE
from wamkit.errors import UsageError
from wamkit.stats.irt import (
    expected_scores,
    grm_category_probabilities,
    grm_information,
    irt_fa,
    irt_from_loadings,
    psych_information,
)

REF = json.loads((REFERENCE / "irt.json").read_text())
CASES = REF["irt"]
TOL = 1e-8  # psych's polychoric + minres are replayed: agreement ~1e-11


def keyed(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    x = frame[[k.lstrip("-") for k in keys]].copy()
    for k in keys:
        if k.startswith("-"):
            x[k[1:]] = 7 - x[k[1:]]
    return x


def arr(v, *shape) -> np.ndarray:
    """jsonlite writes a one-column matrix as a plain vector: reshape explicitly."""
    return np.array(v, dtype=float).reshape(shape)


@pytest.fixture(scope="module")
def fits():
    data = {"bfi": pd.read_csv(DATA / "bfi.csv"), "spi": pd.read_csv(DATA / "spi_trust_anxiety.csv")}
    return {
        name: irt_fa(keyed(data[c["data"]], c["keys"]), n_factors=c["res"]["nfactors"]) for name, c in CASES.items()
    }


@pytest.mark.parametrize("name", sorted(CASES))
def test_parameters_match_psych(fits, name):
    res, ref = fits[name], CASES[name]["res"]
    p, nf = res.loadings.shape
    K = res.tau.shape[1]
    assert res.n_obs == ref["n_obs"]
    np.testing.assert_allclose(res.tau, arr(ref["tau"], p, K), atol=1e-12)
    np.testing.assert_allclose(res.loadings, arr(ref["loadings"], p, nf), atol=TOL)
    np.testing.assert_allclose(res.discrimination, arr(ref["discrimination"], p, nf), atol=TOL)
    for f in range(nf):
        np.testing.assert_allclose(res.thresholds[f], arr(ref["difficulty"][f], p, K), atol=TOL)
        np.testing.assert_allclose(res.locations[f], res.tau / res.loadings[:, [f]], atol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_information_matches_psych_plot(fits, name):
    res, ref = fits[name], CASES[name]["res"]
    p, nf = res.loadings.shape
    for f in range(nf):
        np.testing.assert_allclose(res.psych_item_information(factor=f).T, arr(ref["sum_info"][f], p, 7), atol=TOL)
        summ = res.psych_summary(factor=f)
        np.testing.assert_allclose(summ["auc"].to_numpy(), arr(ref["auc"], p, nf)[:, f], atol=TOL)
        np.testing.assert_allclose(
            summ["max_info"].to_numpy(), arr(ref["max_info"], p, nf)[:, f], atol=1e-12, equal_nan=True
        )


@pytest.mark.parametrize("name", sorted(CASES))
def test_graded_information_matches_r_formula(fits, name):
    res, ref = fits[name], CASES[name]["res"]
    p, nf = res.loadings.shape
    theta = ref["grm_theta"]
    for f in range(nf):
        np.testing.assert_allclose(
            res.item_information(theta, factor=f).T, arr(ref["grm_info"][f], p, len(theta)), atol=TOL
        )


def test_graded_information_is_fisher_information():
    """Independent check: sum_c (dP_c/dtheta)^2 / P_c with central differences of the category probabilities."""
    a = np.array([0.6, 1.4, 2.5])
    d = np.array([[-1.5, -0.2, 0.9], [-2.0, 0.0, np.inf], [-0.5, 0.4, 1.8]])  # one unused top category
    theta = np.linspace(-2.5, 2.5, 11)
    h = 1e-5
    dp = (grm_category_probabilities(theta + h, a, d) - grm_category_probabilities(theta - h, a, d)) / (2 * h)
    pr = grm_category_probabilities(theta, a, d)
    fisher = np.where(pr > 0, dp**2 / np.where(pr > 0, pr, 1.0), 0.0).sum(axis=2)
    np.testing.assert_allclose(grm_information(theta, a, d), fisher, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(pr.sum(axis=2), 1.0, atol=1e-14)
    # two categories: the normal-ogive 2PL information a^2 phi^2 / (P (1 - P))
    z = 1.3 * theta - 0.4
    two = 1.3**2 * norm.pdf(z) ** 2 / (norm.cdf(z) * norm.sf(z))
    np.testing.assert_allclose(grm_information(theta, [1.3], [[0.4]])[:, 0], two, rtol=1e-10)


def test_profile_and_least_informative(fits):
    res = fits["bfi_A"]
    prof = res.information_profile()
    assert list(prof.columns) == ["theta", "information", "se", "reliability"]
    np.testing.assert_allclose(prof["se"], 1 / np.sqrt(prof["information"]))
    theta, info = res.least_informative(-2.0, 2.0)
    grid = np.linspace(-2, 2, 401)
    assert info == pytest.approx(res.test_information(grid).min())
    assert res.test_information([theta])[0] == pytest.approx(info)
    sub = res.test_information([0.0], items=["A2", "A3"])[0]
    assert sub == pytest.approx(res.item_information([0.0])[0, [1, 2]].sum())


def test_expected_scores_increase(fits):
    res = fits["spi_trust"]
    e = res.expected_item_scores(np.linspace(-4, 4, 50))
    assert np.all(np.diff(e, axis=0) > 0)
    assert np.all((e > 1) & (e < 6))
    np.testing.assert_allclose(expected_scores([0.0], [1.0], [[0.0]], [0, 1]), [[0.5]])


def test_heywood_replaced_as_psych():
    res = irt_from_loadings([0.5, 1.0, 0.7], [[-1.0, 1.0], [-0.5, 0.5], [0.0, 1.5]], items=["a", "b", "c"])
    assert res.discrimination[1, 0] == pytest.approx(0.7 / np.sqrt(1 - 0.49))
    np.testing.assert_allclose(res.thresholds[0, 1], [-0.5, 0.5])
    assert any("Heywood" in w for w in res.warnings)


def test_psych_cut_zeroes_weak_items():
    info = psych_information([0.0], [0.2, 1.0], [[0.0], [0.0]])
    assert info[0, 0] == 0.0 and info[0, 1] == pytest.approx(0.25)


def test_frames_and_dict(fits):
    res = fits["bfi_AN_2"]
    fr = res.to_frame()
    assert len(fr) == 20 and {"item", "factor", "loading", "discrimination", "threshold_5", "location_1"} <= set(fr)
    json.dumps(res.to_dict())


def test_errors(fits):
    res = fits["bfi_A"]
    with pytest.raises(UsageError, match="factor"):
        res.item_information([0.0], factor=1)
    with pytest.raises(UsageError, match="items"):
        res.test_information([0.0], items=["nope"])
    with pytest.raises(UsageError, match="thresholds"):
        grm_information([0.0], [1.0, 2.0], [[0.0, 1.0, 2.0]])
    with pytest.raises(UsageError, match="at least 3 items"):
        irt_fa(pd.DataFrame({"a": [1, 2, 3, 1], "b": [2, 3, 1, 1]}))
