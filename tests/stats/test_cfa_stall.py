"""Regression: fit_cfa converges where its gradient's rounding floor lies above the 1e-10 tolerance.

Reference: tests/reference/cfa_stall.json (tests/reference/cfa_stall.R, lavaan 0.6-14).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import DATA, REFERENCE
from wamkit.stats.cfa import fit_cfa

REF = json.loads((REFERENCE / "cfa_stall.json").read_text())


def test_converges_and_matches_lavaan():
    res = fit_cfa(pd.read_csv(DATA / "cfa_stall.csv"), REF["model"])
    assert res.converged and res.iterations < 50
    assert not res.warnings
    for m in ("chisq", "cfi", "tli", "rmsea", "srmr"):
        assert getattr(res.fit, m) == pytest.approx(REF["fit"][m], abs=1e-6), m
    p = res.params
    load = p[(p["op"] == "=~") & p["free"].astype(bool)]
    ref = {
        (lhs, rhs): est
        for lhs, op, rhs, est in zip(REF["lhs"], REF["op"], REF["rhs"], REF["est"], strict=True)
        if op == "=~"
    }
    np.testing.assert_allclose(
        load["est"].to_numpy(), [ref[(a, b)] for a, b in zip(load["lhs"], load["rhs"], strict=True)], atol=1e-4
    )
