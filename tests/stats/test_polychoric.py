"""Polychoric correlations against R psych 2.2.9 and lavaan 0.6-14.

Reference values: tests/reference/polychoric.json, written by
tests/reference/polychoric.R (Rscript tests/reference/polychoric.R); R is not
needed at test time.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from wamkit.errors import DataError, UsageError
from wamkit.stats.polychoric import (
    R_OPTIMIZE_TOL,
    bvn_cdf,
    cor_smooth,
    polychoric,
    polychoric_lavaan,
)

HERE = Path(__file__).resolve().parents[1]
REF = json.loads((HERE / "reference" / "polychoric.json").read_text())
AGREE = ["A1", "A2", "A3", "A4", "A5"]
# psych's own optimiser stops at tol=eps^.25 (~2e-5 from the optimum); we replay its
# Brent iterations, so 1e-6 is tight while robust (we match to ~1e-11).
RHO_TOL = 1e-6
TAU_TOL = 1e-10


def arr(v) -> np.ndarray:
    return np.array([[float(x) for x in row] for row in v]) if isinstance(v[0], list) else np.array(v, float)


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return pd.read_csv(HERE / "data" / "bfi.csv")


# ------------------------------------------------------------------ bivariate normal
def _bvn_quad(h, k, r):
    def f(t):
        return np.exp(-(h * h - 2 * t * h * k + k * k) / (2 * (1 - t * t))) / (2 * np.pi * np.sqrt(1 - t * t))

    return stats.norm.cdf(h) * stats.norm.cdf(k) + integrate.quad(f, 0, r, epsabs=1e-15, epsrel=1e-13)[0]


@pytest.mark.parametrize("r", [-0.999, -0.95, -0.93, -0.9, -0.5, -0.1, 0.0, 0.2, 0.6, 0.8, 0.92, 0.93, 0.99, 0.9999])
def test_bvn_cdf_against_quadrature(r):
    for h, k in [(-2.1, 0.3), (0.5, 0.5), (1.2, -0.7), (-0.4, -1.9), (2.5, 2.0), (0.0, 0.0)]:
        assert bvn_cdf(h, k, r) == pytest.approx(_bvn_quad(h, k, r), abs=2e-15)


def test_bvn_cdf_limits():
    h = np.array([-np.inf, np.inf, 0.3, np.inf, 0.3, -np.inf])
    k = np.array([0.2, 0.2, np.inf, np.inf, -np.inf, np.inf])
    out = bvn_cdf(h, k, 0.4)
    np.testing.assert_allclose(out, [0, stats.norm.cdf(0.2), stats.norm.cdf(0.3), 1, 0, 0], atol=1e-16)
    # perfect correlation
    assert bvn_cdf(0.3, -0.2, 1.0) == pytest.approx(stats.norm.cdf(-0.2), abs=1e-15)
    assert bvn_cdf(0.3, -0.2, -1.0) == pytest.approx(max(0.0, stats.norm.cdf(0.3) - stats.norm.cdf(0.2)), abs=1e-15)
    # broadcasting
    assert bvn_cdf(np.zeros((2, 3)), 0.0, np.array([0.0, 0.5, -0.5])).shape == (2, 3)


# ------------------------------------------------------------------ psych
def test_agreeableness_matches_psych(bfi):
    res = polychoric(bfi[AGREE])
    np.testing.assert_allclose(res.rho, arr(REF["agree"]["rho"]), rtol=0, atol=RHO_TOL)
    np.testing.assert_allclose(res.tau, arr(REF["agree"]["tau"]), rtol=0, atol=TAU_TOL)
    assert res.n_obs == REF["agree"]["n_obs"]
    assert res.global_thresholds and not res.smoothed
    assert res.categories == (1.0, 2.0, 3.0, 4.0, 5.0, 6.0)
    # peers.md 9.2 published values
    assert res.rho[0, 1] == pytest.approx(-0.4085, abs=5e-5)
    assert res.rho[1, 2] == pytest.approx(0.5555, abs=5e-5)
    assert res.rho[2, 4] == pytest.approx(0.5729, abs=5e-5)
    assert res.rho[0, 3] == pytest.approx(-0.1754, abs=5e-5)


def test_all_25_items_match_psych(bfi):
    # speed is measured side by side with R in benchmarks/, not asserted here
    items = REF["items25"]
    res = polychoric(bfi[items])
    np.testing.assert_allclose(res.rho, arr(REF["all25"]["rho"]), rtol=0, atol=RHO_TOL)
    np.testing.assert_allclose(res.tau, arr(REF["all25"]["tau"]), rtol=0, atol=TAU_TOL)
    np.testing.assert_array_equal(res.rho, res.rho.T)


def test_exact_optimum(bfi):
    """tol -> 0 gives the maximum-likelihood rho (psych's likelihood, optimize(tol=1e-12) in R)."""
    res = polychoric(bfi[AGREE], tol=1e-10)
    np.testing.assert_allclose(res.rho, arr(REF["agree_exact"]), rtol=0, atol=1e-6)
    default = polychoric(bfi[AGREE])
    assert R_OPTIMIZE_TOL == pytest.approx(np.finfo(float).eps ** 0.25)
    assert np.all(res.neg_loglik <= default.neg_loglik + 1e-15)


def test_unequal_categories_switch_to_pairwise_thresholds(bfi):
    """psych sets global=FALSE (pair tables, zero cells corrected by .5) when the item ranges differ."""
    x = bfi[AGREE].iloc[:200].copy()
    x["A1"] = np.minimum(x["A1"], 5)
    res = polychoric(x)
    assert not res.global_thresholds
    assert res.fixed_cells > 0
    np.testing.assert_allclose(res.rho, arr(REF["nonglobal"]["rho"]), rtol=0, atol=RHO_TOL)
    tau_ref = arr(REF["nonglobal"]["tau"])
    assert np.array_equal(np.isinf(tau_ref), np.isinf(res.tau))
    fin = np.isfinite(tau_ref)
    np.testing.assert_allclose(res.tau[fin], tau_ref[fin], rtol=0, atol=TAU_TOL)
    assert any("global=FALSE" in w for w in res.warnings)


def test_cor_smooth_matches_psych():
    M = arr(REF["smooth"]["input"])
    before = M.copy()
    S, done = cor_smooth(M)
    assert done
    np.testing.assert_allclose(S, arr(REF["smooth"]["output"]), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(M, before)
    S2, done2 = cor_smooth(np.eye(3))
    assert not done2 and np.array_equal(S2, np.eye(3))


# ------------------------------------------------------------------ lavaan
@pytest.mark.parametrize("missing", ["listwise", "pairwise"])
def test_lavaan_lavcor(bfi, missing):
    ref = REF[f"agree_lavaan_{missing}"]
    res = polychoric_lavaan(bfi[AGREE], missing=missing)
    assert res.n_obs == ref["nobs"]
    np.testing.assert_allclose(res.rho, arr(ref["rho"]), rtol=0, atol=1e-6)
    np.testing.assert_allclose(res.tau.ravel(), ref["th"], rtol=0, atol=TAU_TOL)


def test_lavaan_pairwise_equals_psych_exact(bfi):
    a = polychoric_lavaan(bfi[AGREE], missing="pairwise")
    b = polychoric(bfi[AGREE], tol=1e-10, smooth=False)
    np.testing.assert_allclose(a.rho, b.rho, atol=1e-12)
    with pytest.raises(UsageError):
        polychoric_lavaan(bfi[AGREE], missing="fiml")


# ------------------------------------------------------------------ input handling
def test_input_not_modified_and_array_input(bfi):
    x = bfi[AGREE].copy()
    before = x.copy()
    r1 = polychoric(x)
    pd.testing.assert_frame_equal(x, before)
    r2 = polychoric(x.to_numpy(float), items=AGREE)
    np.testing.assert_array_equal(r1.rho, r2.rho)
    r3 = polychoric(bfi, items=AGREE)
    np.testing.assert_array_equal(r1.rho, r3.rho)
    assert r1.n_pairwise[0, 1] == int((x["A1"].notna() & x["A2"].notna()).sum())


def test_shifted_codes_give_same_result(bfi):
    x = bfi[AGREE]
    np.testing.assert_allclose(polychoric(x - 1).rho, polychoric(x).rho, atol=1e-14)


def test_errors(bfi):
    with pytest.raises(DataError):
        polychoric(bfi[AGREE] + 0.5 * (bfi[AGREE] == 2))
    with pytest.raises(UsageError):
        polychoric(bfi[["A1", "age"]])  # too many categories
    with pytest.raises(UsageError):
        polychoric(bfi, items=["A1", "zz"])
    with pytest.raises(UsageError):
        polychoric(bfi[["A1"]])
    x = bfi[["A1", "A2"]].copy()
    x["A3"] = 2
    with pytest.raises(DataError, match="A3"):
        polychoric(x)


def test_to_dict_is_json_safe(bfi):
    x = bfi[AGREE].iloc[:200].copy()
    x["A1"] = np.minimum(x["A1"], 5)  # an infinite threshold
    d = polychoric(x).to_dict()
    text = json.dumps(d, allow_nan=False)
    assert json.loads(text)["tau"][0][-1] == "inf"


def test_recovers_latent_correlation():
    """Simulated discretised bivariate normal data: the estimate is near the true rho."""
    rng = np.random.default_rng(5)
    z = rng.multivariate_normal([0, 0, 0], [[1, 0.6, -0.3], [0.6, 1, 0.2], [-0.3, 0.2, 1]], size=20000)
    cuts = np.array([-1.0, -0.2, 0.5, 1.3])
    x = np.stack([np.searchsorted(cuts, z[:, j]) + 1 for j in range(3)], axis=1).astype(float)
    res = polychoric(x)
    np.testing.assert_allclose(res.rho[np.triu_indices(3, 1)], [0.6, -0.3, 0.2], atol=0.03)
    np.testing.assert_allclose(res.tau, np.tile(cuts, (3, 1)), atol=0.05)


def test_unused_categories_and_pairs_never_observed_together():
    rng = np.random.default_rng(1)
    x = rng.integers(1, 6, size=(300, 3)).astype(float)
    x[x[:, 2] == 3, 2] = 4  # a middle category nobody used on item 3
    res = polychoric(x)
    assert np.isfinite(res.rho).all()
    assert np.isinf(res.tau).sum() == 0 and res.tau[2, 1] == res.tau[2, 2]
    y = x.copy()
    y[:150, 0] = np.nan
    y[150:, 1] = np.nan
    res = polychoric(y)
    assert np.isnan(res.rho[0, 1]) and np.isnan(res.rho[1, 0])
    assert np.isfinite(res.rho[0, 2]) and not res.smoothed
    assert any("no usable table" in w for w in res.warnings)
    assert any("smoothing turned off" in w for w in res.warnings)
