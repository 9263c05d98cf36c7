"""Reliability (alpha, ordinal alpha, omega) against R psych 2.2.9.

Reference values: tests/reference/reliability.json, written by
tests/reference/reliability.R (Rscript tests/reference/reliability.R); R is not
needed at test time.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wamkit.errors import DataError, UsageError
from wamkit.stats.correlation import pairwise_cor
from wamkit.stats.polychoric import polychoric
from wamkit.stats.reliability import alpha, alpha_from_cor, feldt_ci, omega_total

HERE = Path(__file__).resolve().parents[1]
REF = json.loads((HERE / "reference" / "reliability.json").read_text())
TOL = 1e-9  # psych-exact statistics (brief: 1e-6; we match to ~1e-14)


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return pd.read_csv(HERE / "data" / "bfi.csv")


def keyed(bfi: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    items = [k.lstrip("-") for k in keys]
    x = bfi[items].copy()
    for k in keys:
        if k.startswith("-"):
            x[k[1:]] = 7 - x[k[1:]]
    return x


SCALES = sorted(REF["scales"])


@pytest.mark.parametrize("scale", SCALES)
def test_alpha_total_matches_psych(bfi, scale):
    ref = REF["scales"][scale]
    res = alpha(keyed(bfi, ref["keys"]))
    t = ref["total"]
    assert res.n_obs == ref["n_obs"]
    for ours, theirs in [
        ("raw_alpha", "raw_alpha"),
        ("std_alpha", "std_alpha"),
        ("g6", "g6"),
        ("average_r", "average_r"),
        ("signal_noise", "signal_noise"),
        ("ase", "ase"),
        ("mean", "mean"),
        ("sd", "sd"),
        ("median_r", "median_r"),
        ("var_r", "var_r"),
        ("unidim", "unidim"),
        ("fit_off", "fit_off"),
    ]:
        assert getattr(res, ours) == pytest.approx(t[theirs], abs=TOL), ours
    assert res.feldt_lower == pytest.approx(ref["feldt"]["lower"], abs=TOL)
    assert res.feldt_upper == pytest.approx(ref["feldt"]["upper"], abs=TOL)
    assert res.boot_lower is None and res.n_boot == 0


@pytest.mark.parametrize("scale", SCALES)
def test_alpha_item_stats_match_psych(bfi, scale):
    ref = REF["scales"][scale]
    res = alpha(keyed(bfi, ref["keys"]), scale_min=1, scale_max=6)
    st = res.item_stats
    assert list(st.index) == ref["items"]
    for col in [
        "n",
        "raw_r",
        "std_r",
        "r_cor",
        "r_drop",
        "mean",
        "sd",
        "missing_share",
        "floor_share",
        "ceiling_share",
    ]:
        np.testing.assert_allclose(st[col].to_numpy(float), ref["item_stats"][col], rtol=0, atol=TOL, err_msg=col)
    drop = {
        "raw_alpha": "alpha_if_dropped",
        "std_alpha": "std_alpha_if_dropped",
        "g6": "g6_if_dropped",
        "average_r": "average_r_if_dropped",
        "signal_noise": "signal_noise_if_dropped",
        "alpha_se": "alpha_se_if_dropped",
        "var_r": "var_r_if_dropped",
        "median_r": "median_r_if_dropped",
    }
    for theirs, ours in drop.items():
        np.testing.assert_allclose(st[ours].to_numpy(), ref["alpha_drop"][theirs], rtol=0, atol=TOL, err_msg=ours)


def test_agreeableness_matches_published_oracle(bfi):
    # peers.md 9.2: alpha(bfi[1:5], check.keys=TRUE)
    res = alpha(keyed(bfi, ["-A1", "A2", "A3", "A4", "A5"]))
    assert res.raw_alpha == pytest.approx(0.703018, abs=1e-6)
    assert res.std_alpha == pytest.approx(0.713029, abs=1e-6)
    assert res.g6 == pytest.approx(0.682763, abs=1e-6)


def test_floor_ceiling_omitted_without_range(bfi):
    st = alpha(bfi[["N1", "N2", "N3"]]).item_stats
    assert "floor_share" not in st.columns and "ceiling_share" not in st.columns
    st = alpha(bfi[["N1", "N2", "N3"]], scale_min=1).item_stats
    assert "floor_share" in st.columns and "ceiling_share" not in st.columns


def test_two_items_special_case(bfi):
    ref = REF["two_items"]
    res = alpha(bfi, items=ref["items"])
    assert res.raw_alpha == pytest.approx(ref["raw_alpha"], abs=TOL)
    assert res.std_alpha == pytest.approx(ref["std_alpha"], abs=TOL)
    assert res.g6 == pytest.approx(ref["g6"], abs=TOL)
    assert res.ase == pytest.approx(ref["ase"], abs=TOL)
    st = res.item_stats
    np.testing.assert_allclose(st["alpha_if_dropped"], ref["drop_raw_alpha"], atol=TOL)
    np.testing.assert_allclose(st["g6_if_dropped"], ref["drop_g6"], atol=TOL)
    np.testing.assert_allclose(st["r_drop"], ref["r_drop"], atol=TOL)
    np.testing.assert_allclose(st["raw_r"], ref["raw_r"], atol=TOL)


def test_feldt_ci_level(bfi):
    lo95, hi95 = feldt_ci(0.8, n_obs=100, n_items=5)
    lo90, hi90 = feldt_ci(0.8, n_obs=100, n_items=5, ci_level=0.90)
    assert lo95 < lo90 < 0.8 < hi90 < hi95


def test_array_input_and_no_mutation(bfi):
    x = keyed(bfi, ["-A1", "A2", "A3", "A4", "A5"])
    before = x.copy()
    arr = x.to_numpy(float)
    arr_before = arr.copy()
    r1 = alpha(x)
    r2 = alpha(arr, items=list(x.columns))
    assert r1.raw_alpha == r2.raw_alpha
    pd.testing.assert_frame_equal(x, before)
    np.testing.assert_array_equal(arr, arr_before)
    r3 = alpha(arr)
    assert r3.items == ("V1", "V2", "V3", "V4", "V5")


# ------------------------------------------------------------------ bootstrap
@pytest.mark.parametrize("scale", ["agree", "neuroticism"])
def test_bootstrap_reproducible_and_near_psych(bfi, scale):
    ref = REF["scales"][scale]
    x = keyed(bfi, ref["keys"])
    a = alpha(x, n_boot=1000, seed=11)
    b = alpha(x, n_boot=1000, rng=np.random.default_rng(11))
    c = alpha(x, n_boot=1000, seed=12)
    assert (a.boot_lower, a.boot_median, a.boot_upper) == (b.boot_lower, b.boot_median, b.boot_upper)
    assert (a.boot_lower, a.boot_upper) != (c.boot_lower, c.boot_upper)
    assert a.boot_lower < a.raw_alpha < a.boot_upper
    lo, med, hi = ref["boot"]["ci"]  # psych alpha(n.iter=1000) with set.seed(1): other RNG
    assert a.boot_lower == pytest.approx(lo, abs=0.01)
    assert a.boot_median == pytest.approx(med, abs=0.01)
    assert a.boot_upper == pytest.approx(hi, abs=0.01)
    # the percentile interval is about as wide as the Feldt interval
    assert (a.boot_upper - a.boot_lower) == pytest.approx(a.feldt_upper - a.feldt_lower, rel=0.5)


def test_bootstrap_batched_equals_direct_resample(bfi):
    """The batched weights trick equals alpha recomputed on explicitly resampled rows."""
    x = keyed(bfi, ["-A1", "A2", "A3", "A4", "A5"]).iloc[:300]
    from wamkit.stats.reliability import _boot_alpha

    arr = x.to_numpy(float)
    boots = _boot_alpha(arr, 5, np.random.default_rng(3))
    idx = np.random.default_rng(3).integers(0, len(arr), size=(5, len(arr)))
    direct = [alpha(arr[i]).raw_alpha for i in idx]
    np.testing.assert_allclose(boots, direct, rtol=0, atol=1e-12)


def test_rng_and_seed_together_rejected(bfi):
    with pytest.raises(UsageError):
        alpha(bfi[["A2", "A3"]], n_boot=10, seed=1, rng=np.random.default_rng(1))


# ------------------------------------------------------------------ errors and output
def test_errors(bfi):
    with pytest.raises(UsageError):
        alpha(bfi, items=["A2", "nope"])
    with pytest.raises(UsageError):
        alpha(bfi, items=["A2"])
    with pytest.raises(UsageError):
        alpha(bfi, items=["A2", "A3"], n_boot=-1)
    x = bfi[["A2", "A3"]].copy()
    x["K"] = 3.0
    with pytest.raises(DataError, match="K"):
        alpha(x)
    with pytest.raises(DataError):
        alpha(bfi[["A2", "A3"]].iloc[:2])
    with pytest.raises(DataError):
        alpha(pd.DataFrame({"a": ["x", "y", "z"], "b": [1, 2, 3]}))


def test_negative_average_r_is_a_warning_not_an_error(bfi):
    res = alpha(bfi, items=["A1", "A2"])  # A1 not reversed
    assert res.raw_alpha < 0
    assert any("keying" in w for w in res.warnings)


def test_to_dict_is_json_safe(bfi):
    res = alpha(keyed(bfi, ["-A1", "A2", "A3", "A4", "A5"]), scale_min=1, scale_max=6, n_boot=20, seed=1)
    d = res.to_dict()
    text = json.dumps(d, allow_nan=False)
    assert json.loads(text)["item_stats"][0]["item"] == "A1"
    json.dumps(alpha_from_cor(np.eye(3) * 0.5 + 0.5).to_dict(), allow_nan=False)
    json.dumps(omega_total(np.eye(4) * 0.5 + 0.5).to_dict(), allow_nan=False)


# ------------------------------------------------------------------ omega, ordinal alpha
@pytest.mark.parametrize("scale", SCALES)
def test_omega_total_matches_psych(bfi, scale):
    """psych::omega(x, nfactors=1, fm='minres') on R = cor(x, use='pairwise')."""
    ref = REF["scales"][scale]
    R, _ = pairwise_cor(keyed(bfi, ref["keys"]))
    om = omega_total(R)
    # brief: 1e-3; wamkit.stats.efa.fa replays psych's optimiser, so we match to ~1e-14
    assert om.omega_total == pytest.approx(ref["omega"]["omega_tot"], abs=1e-8)
    assert om.omega_h == pytest.approx(ref["omega"]["omega_h"], abs=1e-8)
    assert om.alpha == pytest.approx(ref["omega"]["alpha"], abs=TOL)
    np.testing.assert_allclose(om.loadings, ref["omega"]["g_loadings"], atol=1e-8)
    np.testing.assert_allclose(om.uniquenesses, ref["omega"]["u2"], atol=1e-8)
    assert om.flipped == ()


def test_omega_flips_negative_items(bfi):
    R, _ = pairwise_cor(bfi[["A1", "A2", "A3", "A4", "A5"]])  # A1 not reversed
    ref = REF["scales"]["agree"]["omega"]
    om = omega_total(R, items=["A1", "A2", "A3", "A4", "A5"])
    assert om.flipped == ("A1",)
    assert om.omega_total == pytest.approx(ref["omega_tot"], abs=1e-5)


def test_ordinal_alpha_and_omega_match_psych(bfi):
    ref = REF["ordinal_agree"]
    x = keyed(bfi, ["-A1", "A2", "A3", "A4", "A5"])
    rho = polychoric(x).rho
    np.testing.assert_allclose(rho, ref["rho"], atol=1e-6)
    a = alpha_from_cor(rho, items=list(x.columns))
    assert a.alpha == pytest.approx(ref["raw_alpha"], abs=1e-6)
    assert a.alpha == pytest.approx(0.7590, abs=5e-5)  # peers.md 9.2
    assert a.g6 == pytest.approx(ref["g6"], abs=1e-6)
    assert a.average_r == pytest.approx(ref["average_r"], abs=1e-6)
    assert a.signal_noise == pytest.approx(ref["signal_noise"], abs=1e-6)
    assert a.median_r == pytest.approx(ref["median_r"], abs=1e-6)
    st = a.item_stats
    np.testing.assert_allclose(st["alpha_if_dropped"], ref["drop_raw_alpha"], atol=1e-6)
    np.testing.assert_allclose(st["g6_if_dropped"], ref["drop_g6"], atol=1e-6)
    np.testing.assert_allclose(st["std_r"], ref["std_r"], atol=1e-6)
    np.testing.assert_allclose(st["r_cor"], ref["r_cor"], atol=1e-6)
    np.testing.assert_allclose(st["r_drop"], ref["r_drop"], atol=1e-6)
    om = omega_total(rho)
    assert om.omega_total == pytest.approx(ref["omega_tot"], abs=1e-6)
    assert om.omega_h == pytest.approx(ref["omega_h"], abs=1e-6)


def test_alpha_from_cor_equals_std_alpha(bfi):
    x = keyed(bfi, ["-E1", "-E2", "E3", "E4", "E5"])
    res = alpha(x)
    R = res.covariance / np.sqrt(np.outer(np.diag(res.covariance), np.diag(res.covariance)))
    assert alpha_from_cor(R).alpha == pytest.approx(res.std_alpha, abs=1e-12)


def test_cor_input_errors():
    with pytest.raises(DataError):
        alpha_from_cor(np.ones((2, 3)))
    with pytest.raises(DataError):
        omega_total(np.array([[1.0, np.nan], [np.nan, 1.0]]))
    with pytest.raises(UsageError):
        alpha_from_cor(np.eye(1))
    with pytest.raises(UsageError):
        omega_total(np.eye(2))
