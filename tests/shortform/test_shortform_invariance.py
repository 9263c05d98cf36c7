"""Invariance of the full and the short form (wamkit.shortform.invariance) against lavaan + semTools.

Short form: tests/reference/shortform_invariance.R; full form: tests/reference/invariance_long.R
(``wam_waves`` listwise and ``wam_roles``), both measEq.syntax(longFacNames, long.equal) fitted by lavaan.
"""

from __future__ import annotations

import json

import pytest

import wamkit
from conftest import EXAMPLES, REFERENCE

SHORT = json.loads((REFERENCE / "shortform_invariance.json").read_text())
FULL = json.loads((REFERENCE / "invariance_long.json").read_text())
LEVELS = ("configural", "metric", "scalar", "strict")


@pytest.fixture(scope="module")
def result():
    data = wamkit.read(study=str(EXAMPLES / "study.yaml"))
    return wamkit.shorten(data, role="client", items_per_scale=3, folds=2, cfa=False)


def _check(summary, fits, lrts):
    steps = {s["level"]: s for s in summary["steps"]}
    assert list(steps) == list(LEVELS)
    for level in LEVELS:
        ref = fits[level].get("fit", fits[level])
        got = steps[level]
        assert got["df"] == ref["df"]
        assert got["chisq"] == pytest.approx(ref["chisq"], rel=1e-6), level
        for k in ("cfi", "rmsea", "srmr"):  # the issue asks 1e-4 relative for fit measures
            assert got[k] == pytest.approx(ref[k], rel=1e-5, abs=1e-9), (level, k)
        if level != "configural":
            lrt = lrts[level]
            assert got["chisq_diff"] == pytest.approx(lrt["chisq_diff"], rel=1e-6, abs=1e-8)
            assert got["df_diff"] == lrt["df_diff"]
            assert got["pvalue_diff"] == pytest.approx(lrt["pvalue"], rel=1e-5, abs=1e-10)


def test_keeps_the_items_the_reference_fitted(result):
    assert result.kept == SHORT["kept"]
    # two waves of the same clients: the output says that the pooled statistics treat them as independent
    assert result.warnings[0].startswith("the rows hold waves T0, T1 of the same clients (710 rows of 400 persons)")


def test_short_form_over_waves_and_across_roles_equal_lavaan(result):
    inv = result.invariance
    assert inv["waves"]["occasions"] == ["T0", "T1"]
    _check(inv["waves"]["short"], SHORT["waves"]["fits"], SHORT["waves"]["lrt"])
    assert inv["roles"]["roles"] == ["client", "professional"] and inv["roles"]["wave"] == "T0"
    _check(inv["roles"]["short"], SHORT["roles"]["fits"], SHORT["roles"]["lrt"])


def test_full_form_side_by_side_equals_lavaan(result):
    inv = result.invariance
    _check(inv["waves"]["full"], FULL["wam_waves"]["listwise"]["fits"], FULL["wam_waves"]["listwise"]["lrt"])
    _check(inv["roles"]["full"], FULL["wam_roles"]["fits"], FULL["wam_roles"]["lrt"])
    d = result.to_dict()["shorten"]["invariance"]
    assert d["waves"]["short"]["verdict"] == "strict invariance supported"
    assert "Measurement invariance, full and short form" in result.summary()


def test_one_wave_one_role_leaves_invariance_out_with_a_note():
    t0 = wamkit.read(study=str(EXAMPLES / "study.yaml"), where=["wave=T0", "rater=client"])
    res = wamkit.shorten(t0, role="client", items_per_scale=3, folds=2, cfa=False, subscales=["trust"])
    assert res.invariance == {"waves": None, "roles": None}
    assert any("invariance over waves: left out" in w for w in res.warnings)
    assert any("invariance across roles: left out" in w for w in res.warnings)
