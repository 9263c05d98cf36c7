"""Omega hierarchical (Schmid-Leiman) against R psych::omega, and the omega bootstrap.

Reference values: tests/reference/omega.json, written by tests/reference/omega.R
(Rscript tests/reference/omega.R); R is not needed at test time.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import DATA, REFERENCE
from wamkit.errors import UsageError
from wamkit.stats.correlation import pairwise_cor
from wamkit.stats.omega import omega_bootstrap, omega_hierarchical, schmid_leiman
from wamkit.stats.polychoric import polychoric
from wamkit.stats.reliability import alpha, omega_total

REF = json.loads((REFERENCE / "omega.json").read_text())
CASES = REF["cases"]
TOL = 1e-9  # psych replays its optimiser: agreement is ~1e-13
TOL_POLY = 1e-8  # through polychoric correlations (psych-exact to ~1e-12)
OPTIONS = {
    "bfi_acn_3_pa": {"fm": "pa"},
    "bfi_an_2_noflip": {"flip": False},
    "bfi_an_2_first": {"option": "first"},
    "bfi_an_2_second": {"option": "second"},
    "hs_3_promax": {"rotate": "promax"},
    "bfi_acn_3_geomin": {"rotate": "geominQ"},
}


def keyed(bfi: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    x = bfi[[k.lstrip("-") for k in keys]].copy()
    for k in keys:
        if k.startswith("-"):
            x[k[1:]] = 7 - x[k[1:]]
    return x


@pytest.fixture(scope="module")
def results() -> dict[str, tuple]:
    bfi = pd.read_csv(DATA / "bfi.csv")
    hs = pd.read_csv(DATA / "hs1939.csv")[[f"x{i}" for i in range(1, 10)]]
    th = pd.read_csv(DATA / "thurstone.csv", index_col=0)
    out = {}
    for name, case in CASES.items():
        ref = case["res"]
        if case["data"] == "bfi":
            x = keyed(bfi, case["keys"])
            R = polychoric(x).rho if name.endswith("_poly") else pairwise_cor(x.to_numpy(float))[0]
            names = list(x.columns)
        elif case["data"] == "hs1939":
            R, names = pairwise_cor(hs.to_numpy(float))[0], list(hs.columns)
        else:
            R, names = th.to_numpy(float), list(th.columns)
        out[name] = (omega_hierarchical(R, ref["nfactors"], items=names, **OPTIONS.get(name, {})), ref)
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_omega_matches_psych(results, name):
    res, ref = results[name]
    tol = TOL_POLY if name.endswith("_poly") else TOL
    for ours, theirs in [
        ("omega_h", "omega_h"),
        ("omega_total", "omega_tot"),
        ("omega_limit", "omega_lim"),
        ("alpha", "alpha"),
        ("g6", "G6"),
        ("ecv", "ECV"),
    ]:
        assert getattr(res, ours) == pytest.approx(ref[theirs], abs=tol), ours
    sl = res.schmid
    np.testing.assert_allclose(sl.g, ref["g"], atol=tol)
    # group loadings of exactly zero come out as sqrt(rounding noise) in both programs (~1e-8)
    np.testing.assert_allclose(sl.group, np.array(ref["group"]), atol=max(tol, 1e-7))
    np.testing.assert_allclose(sl.h2, ref["h2"], atol=tol)
    np.testing.assert_allclose(sl.u2, ref["u2"], atol=tol)
    np.testing.assert_allclose(sl.p2, ref["p2"], atol=tol)
    np.testing.assert_allclose(sl.oblique, np.array(ref["oblique"]), atol=tol)
    np.testing.assert_allclose(sl.g_factor_loadings, ref["gloading"], atol=tol)
    if ref["phi"] is not None:
        np.testing.assert_allclose(sl.phi, np.array(ref["phi"]), atol=tol)
    key = np.where([i in res.flipped for i in res.items], -1.0, 1.0)
    np.testing.assert_array_equal(key, ref["key"])
    og = res.omega_group
    for col in ("total", "general", "group"):
        np.testing.assert_allclose(
            og[col].to_numpy(), np.array(ref["omega_group"][col], dtype=float), atol=tol, equal_nan=True
        )


def test_flip_is_reported(results):
    res, _ = results["bfi25_5"]  # keyed bfi: the N items measure neuroticism and load negatively on g
    assert set(res.flipped) == {"N1", "N2", "N3", "N4", "N5", "O4"}
    assert any("reversed" in w for w in res.warnings)
    noflip, _ = results["bfi_an_2_noflip"]
    assert noflip.flipped == () and noflip.omega_h < 0.01


def test_two_factors_warn(results):
    res, _ = results["bfi_an_2_equal"]
    assert any("three factors are required" in w for w in res.warnings)
    np.testing.assert_allclose(abs(res.schmid.g_factor_loadings[0]), abs(res.schmid.g_factor_loadings[1]))


def test_one_factor_equals_omega_total():
    hs = pd.read_csv(DATA / "hs1939.csv")[["x1", "x2", "x3"]]
    R = pairwise_cor(hs.to_numpy(float))[0]
    a = omega_hierarchical(R, 1)
    b = omega_total(R)
    assert a.omega_total == pytest.approx(b.omega_total, abs=1e-14)
    assert a.omega_h == pytest.approx(b.omega_h, abs=1e-14)
    assert a.ecv == pytest.approx(1.0)


def test_to_frame_and_dict(results):
    res, _ = results["thurstone_3"]
    fr = res.to_frame()
    assert list(fr.columns) == ["item", "g", "F1*", "F2*", "F3*", "h2", "u2", "p2", "flipped"]
    assert len(fr) == 9
    d = res.to_dict()
    json.dumps(d)
    assert d["omega_group"][0]["factor"] == "g"


def test_errors():
    R = np.eye(4) * 0.5 + 0.5
    with pytest.raises(UsageError, match="n_factors"):
        omega_hierarchical(R, 4)
    with pytest.raises(UsageError, match="rotate"):
        omega_hierarchical(R, 2, rotate="varimax")
    with pytest.raises(UsageError, match="option"):
        schmid_leiman(R, 2, option="third")
    with pytest.raises(UsageError, match="fm"):
        omega_hierarchical(R, 2, fm="gls")
    with pytest.raises(UsageError, match="at least 3 items"):
        omega_hierarchical(np.eye(2), 1)


# ----------------------------------------------------------------------------- bootstrap
LOADINGS = np.array([0.8, 0.7, 0.6, 0.5])
POP_OMEGA = LOADINGS.sum() ** 2 / (LOADINGS.sum() ** 2 + (1 - LOADINGS**2).sum())


def simulate_one_factor(n: int, rng: np.random.Generator) -> np.ndarray:
    """Continuous one-factor data, x_j = lambda_j f + sqrt(1 - lambda_j^2) e_j."""
    f = rng.standard_normal((n, 1))
    return f * LOADINGS + rng.standard_normal((n, LOADINGS.size)) * np.sqrt(1 - LOADINGS**2)


@pytest.fixture(scope="module")
def boot():
    x = simulate_one_factor(300, np.random.default_rng(11))
    return x, omega_bootstrap(x, n_boot=50, seed=5)


def test_bootstrap_same_seed_same_interval(boot):
    x, _b = boot
    small = x[:120]
    one = omega_bootstrap(small, n_boot=10, seed=5)
    again = omega_bootstrap(small, n_boot=10, rng=np.random.default_rng(5))
    assert again.omega_total_ci == one.omega_total_ci
    pd.testing.assert_frame_equal(again.replicates, one.replicates)
    other = omega_bootstrap(small, n_boot=10, seed=6)
    assert other.omega_total_ci != one.omega_total_ci


def test_bootstrap_interval_is_calibrated(boot):
    """Sanity of the interval on simulated data with known omega: the bootstrap spread matches the spread of
    the estimate over independent samples of the same size, and the interval is centred near the truth."""
    _x, b = boot
    assert b.n_failed == 0 and len(b.replicates) == 50
    lo, hi = b.omega_total_ci
    assert lo < b.estimate.omega_total < hi
    rng = np.random.default_rng(2024)
    mc = np.array([omega_total(pairwise_cor(simulate_one_factor(300, rng))[0]).omega_total for _ in range(20)])
    mc_sd = mc.std(ddof=1)
    boot_sd = b.replicates["omega_total"].std(ddof=1)
    assert 0.6 < boot_sd / mc_sd < 1.6
    assert 0.5 < (hi - lo) / (2 * 1.96 * mc_sd) < 1.6  # a 95% interval spans about 2 x 1.96 SDs
    assert abs(b.estimate.omega_total - POP_OMEGA) < 3 * boot_sd
    assert abs(mc.mean() - POP_OMEGA) < 3 * mc_sd / np.sqrt(mc.size)


def test_bootstrap_hierarchical_and_missing():
    hs = pd.read_csv(DATA / "hs1939.csv")[[f"x{i}" for i in range(1, 10)]].copy()
    hs.iloc[::7, 2] = np.nan  # pairwise deletion, as psych's cor(use = "pairwise")
    b = omega_bootstrap(hs, n_factors=3, n_boot=12, seed=3)
    R = pairwise_cor(hs.to_numpy(float))[0]
    assert b.estimate.omega_h == pytest.approx(omega_hierarchical(R, 3).omega_h, abs=1e-14)
    assert b.omega_h_ci[0] <= b.omega_h_median <= b.omega_h_ci[1]
    assert list(b.to_frame().index) == ["omega_total", "omega_h"]
    json.dumps(b.to_dict())


def test_bootstrap_errors(boot):
    x, _ = boot
    with pytest.raises(UsageError, match="n_boot"):
        omega_bootstrap(x, n_boot=0)
    with pytest.raises(UsageError, match="ci_level"):
        omega_bootstrap(x, n_boot=5, ci_level=1.5)
    with pytest.raises(UsageError, match="rng or seed"):
        omega_bootstrap(x, n_boot=5, seed=1, rng=np.random.default_rng(1))


def test_alpha_bootstrap_uses_shared_resampler(boot):
    """alpha's bootstrap and omega's draw the same resamples from the same seed (one shared helper)."""
    x, _ = boot
    a = alpha(x, n_boot=50, seed=9)
    assert a.boot_lower is not None and a.boot_lower < a.raw_alpha < a.boot_upper
