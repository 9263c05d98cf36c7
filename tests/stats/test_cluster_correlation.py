"""wamkit.stats.association.correlate_clustered against R (tests/reference/cluster_correlation.json,
made by tests/reference/cluster_correlation.R): lavaan MLR with cluster (standardised covariance
SE) and the influence-function formula by hand; lm(scale(y) ~ scale(x)) + sandwich::vcovCL +
lmtest::coeftest for the regression variant.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import DATA, REFERENCE
from wamkit.errors import DataError, UsageError
from wamkit.stats.association import correlate, correlate_clustered

REF = json.loads((REFERENCE / "cluster_correlation.json").read_text())
TOL = 1e-10


@pytest.fixture(scope="module")
def cases():
    rsa = pd.read_csv(DATA / "rsa_sim.csv")
    rossi = pd.read_csv(DATA / "rossi.csv")
    cl = np.arange(len(rossi)) % 37
    return {
        "rsa_pearson": (rsa["client"], rsa["officer_rating"], rsa["officer"], "pearson"),
        "rsa_spearman": (rsa["client"], rsa["officer_rating"], rsa["officer"], "spearman"),
        "rossi_pearson": (rossi["age"], rossi["prio"], cl, "pearson"),
        "rsa_score6": (rsa["client"], rsa["score6"], rsa["officer"], "pearson"),
    }


@pytest.mark.parametrize("key", sorted(REF.keys() - {"meta"}))
@pytest.mark.parametrize("se_method", ["influence", "regression"])
def test_matches_r(cases, key, se_method):
    x, y, g, method = cases[key]
    ref = REF[key]
    want = ref[se_method]
    res = correlate_clustered(x, y, g, method=method, se_method=se_method)
    assert res.n == ref["n"] and res.n_clusters == ref["n_clusters"]
    assert res.r == pytest.approx(ref["r"], rel=TOL)
    for f in ("se", "se_z", "ci_low", "ci_high", "statistic", "p"):
        assert getattr(res, f) == pytest.approx(want[f], rel=1e-9, abs=1e-300), f
    if se_method == "regression":
        assert res.df == want["df"] and want["slope"] == pytest.approx(ref["r"], rel=1e-12)
    else:
        assert res.df is None
        # lavaan's iterative ML fit agrees to its convergence tolerance
        assert res.se == pytest.approx(want["lavaan_se"], rel=2e-6)
        assert res.r == pytest.approx(want["lavaan_est"], rel=2e-6)


def test_one_row_per_cluster_is_close_to_fisher(cases):
    # without clustering (every row its own cluster) the influence SE in z units is ~1/sqrt(n)
    x, y, _, _ = cases["rsa_score6"]
    res = correlate_clustered(x, y, np.arange(len(x)))
    plain = correlate(x, y)
    assert res.r == pytest.approx(plain.r, rel=1e-12)
    assert res.se_z * np.sqrt(res.n - 3) == pytest.approx(1.0, abs=0.15)


def test_errors(cases):
    x, y, g, _ = cases["rsa_pearson"]
    with pytest.raises(UsageError, match="se_method"):
        correlate_clustered(x, y, g, se_method="hc3")
    with pytest.raises(UsageError, match="method"):
        correlate_clustered(x, y, g, method="kendall")
    with pytest.raises(DataError, match="2 clusters"):
        correlate_clustered(x, y, np.zeros(len(x)))
    with pytest.raises(DataError, match="length"):
        correlate_clustered(x, y, g[:10])
    with pytest.raises(DataError, match="constant"):
        correlate_clustered(np.ones(len(x)), y, g)
    json.dumps(correlate_clustered(x, y, g).to_dict())
