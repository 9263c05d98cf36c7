"""wamkit.outcomes: the outcomes analysis.

Two kinds of checks:

* against R, end to end (tests/reference/outcomes_orchestration.R -> .json): the Rossi recidivism
  data with a key, a split, a covariate and an officer cluster, read on the shared read path
  (read_scores, read_outcomes); every correlation (cor.test, or the cluster-robust one with an
  officer: influence-function SE = lavaan MLR), adjusted p, partial r, model term (glm binomial /
  poisson, MASS::glm.nb, lm, coxph with cluster-robust SEs), the interaction model and the wave
  comparison agree with R;
* structure on the demo study: the analysis adds nothing numerically (the correlations equal
  stats.association on the joined frame), join counts, splits, the declared p-value families
  (named outcomes x predictors), and the signs of the simulated truths;
* the report of that one result (wamkit.render.reports.outcomes): compact APA-style tables, rendered
  in headless chromium (as tests/test_browser_render.py) at 1280 px: no sideways scroll, no table
  overflowing its box (skipped, with the reason shown, without chromium).
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from conftest import DATA, EXAMPLES, REFERENCE
from wamkit.design.read import read, read_scores
from wamkit.errors import DataError, UsageError
from wamkit.outcomes import OutcomeSettings, OutcomesResult, analyse_outcomes, outcomes
from wamkit.outcomes.correlations import CORRELATION_COLUMNS
from wamkit.outcomes.models import MODEL_COLUMNS
from wamkit.outcomes.result import TIDY_COLUMNS
from wamkit.outcomes.waves import WAVE_COLUMNS
from wamkit.render.document import Figure, Heading, Note, Paragraph, Table
from wamkit.render.html import render_html
from wamkit.render.markdown import render_markdown
from wamkit.stats.association import adjust_p, compare_correlations_with_outcome, correlate, correlate_clustered

REF = json.loads((REFERENCE / "outcomes_orchestration.json").read_text())
STUDY = EXAMPLES / "study.yaml"
DEMO_OUT = EXAMPLES / "wam_demo_outcomes.csv"
EST_TOL = 1e-6  # estimates, CIs, r (tighter than the 1e-4)
P_RTOL = 1e-5  # p values, relative (tighter than the 1e-3)


# --------------------------------------------------------------------------- R, end to end
@pytest.fixture(scope="module")
def rossi_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("rossi")
    rossi = pd.read_csv(DATA / "rossi.csv")
    n = len(rossi)
    ids = [f"R{i + 1:03d}" for i in range(n)]
    data = pd.DataFrame(
        {
            "id": ids,
            "officer": np.arange(n) % 37,
            "rater": np.where(rossi["paro"] == 1, "p1", "p0"),
            "wave": "T0",
            "age": rossi["age"],
            "wexp": rossi["wexp"],
            "mar": rossi["mar"],
        }
    )
    outc = pd.DataFrame(
        {"id": ids, "arrest": rossi["arrest"], "prio": rossi["prio"], "week": rossi["week"], "fin": rossi["fin"]}
    )
    waves = pd.concat(
        [
            pd.DataFrame({"id": ids, "wave": "T0", "score": rossi["age"]}),
            pd.DataFrame({"id": ids, "wave": "T1", "score": rossi["prio"]}),
        ],
        ignore_index=True,
    )
    data.to_csv(d / "data.csv", index=False)
    outc.to_csv(d / "outcomes.csv", index=False)
    waves.to_csv(d / "waves.csv", index=False)
    return d


def run(folder, data_file: str = "data.csv", *, design: dict | None = None, **settings) -> OutcomesResult:
    """The library path of `wamkit outcomes DATA --outcomes outcomes.csv --on id` for a scores file."""
    data = read_scores(str(folder / data_file), text_columns=["id"], **(design or {}))
    return outcomes(data, outcomes_path=str(folder / "outcomes.csv"), on=["id"], **settings)


ROSSI = {"predictors": ("age", "wexp", "mar"), "outcome": ("arrest", "prio", "week:continuous"), "covariates": ("fin",)}


@pytest.fixture(scope="module")
def rossi_result(rossi_files):
    return run(
        rossi_files,
        design={"rater": "rater", "officer": "officer"},
        **ROSSI,
        event=("arrest:week",),
        interaction="age:mar",
    )


@pytest.fixture(scope="module")
def rossi_plain(rossi_files):
    """No officer column: cor.test correlations."""
    return run(rossi_files, design={"rater": "rater"}, **ROSSI)


def close(a, b, tol=EST_TOL):
    return math.isclose(float(a), float(b), rel_tol=0, abs_tol=tol)


def p_close(a, b):
    return math.isclose(float(a), float(b), rel_tol=P_RTOL, abs_tol=1e-300)


def test_correlations_match_cor_test_and_p_adjust(rossi_plain):
    c = rossi_plain.correlations.set_index(["rater", "predictor", "outcome", "method"])
    assert len(c) == len(REF["correlations"]) == 36
    assert set(c["inference"]) == {"cor.test"}
    for ref in REF["correlations"]:
        row = c.loc[(ref["rater"], ref["predictor"], ref["outcome"], ref["method"])]
        assert close(row["r"], ref["r"]), ref
        assert p_close(row["p"], ref["p"]), ref
        assert p_close(row["p_adj"], ref["p_holm"]), ref
        assert row["n"] == ref["n"]
        if ref["method"] == "pearson":
            assert close(row["ci_low"], ref["ci_low"]) and close(row["ci_high"], ref["ci_high"])


def test_correlations_with_an_officer_are_cluster_robust(rossi_result):
    """Behaviour change (issue: dyadic and longitudinal outcome analysis): with an officer column the
    correlations' SE, CI and p respect the clustering (lavaan MLR), Holm within each method."""
    c = rossi_result.correlations.set_index(["rater", "predictor", "outcome", "method"])
    assert len(c) == len(REF["correlations_cluster"]) == 36
    assert set(c["inference"]) == {"cluster-robust (influence)"}
    for ref in REF["correlations_cluster"]:
        row = c.loc[(ref["rater"], ref["predictor"], ref["outcome"], ref["method"])]
        assert close(row["r"], ref["r"]) and close(row["se"], ref["se"]), ref
        assert close(row["ci_low"], ref["ci_low"]) and close(row["ci_high"], ref["ci_high"]), ref
        assert p_close(row["p"], ref["p"]) and p_close(row["p_adj"], ref["p_holm"]), ref
        assert row["n"] == ref["n"] and row["n_clusters"] == ref["n_clusters"]
        if "lavaan_se" in ref:
            assert close(row["se"], ref["lavaan_se"], 1e-7)
    assert "cluster-robust by officer" in rossi_result.settings["correlation_inference"]


def test_fdr_family_matches_p_adjust_bh(rossi_files):
    res = run(
        rossi_files,
        design={"rater": "rater"},
        predictors=ROSSI["predictors"],
        outcome=ROSSI["outcome"],
        adjust="fdr_bh",
    )
    c = res.correlations.set_index(["rater", "predictor", "outcome", "method"])
    for ref in REF["correlations"]:
        assert p_close(c.loc[(ref["rater"], ref["predictor"], ref["outcome"], ref["method"]), "p_adj"], ref["p_BH"])


def test_partial_correlations_match_psych(rossi_result):
    c = rossi_result.partial_correlations.set_index(["rater", "predictor", "outcome"])
    assert len(c) == len(REF["partial_correlations"]) == 18
    for ref in REF["partial_correlations"]:
        row = c.loc[(ref["rater"], ref["predictor"], ref["outcome"])]
        assert close(row["r"], ref["r"]) and p_close(row["p"], ref["p"]), ref
        assert close(row["ci_low"], ref["ci_low"]) and close(row["ci_high"], ref["ci_high"]), ref
        assert row["n"] == ref["n"] and row["covariates"] == ["fin"]


def test_models_match_r_with_covariate_cluster_and_interaction(rossi_result):
    m = rossi_result.models
    checked = 0
    for ref in REF["models"]:
        sub = m[
            (m.rater == ref["rater"])
            & (m.model == ref["model"])
            & (m.outcome == ref["outcome"])
            & (m.predictor == ref["predictor"])
        ].set_index("term")
        for k, term in enumerate(ref["term"]):
            if term == "(Intercept)":
                continue
            name = "age:mar" if term == "age_mar" else term
            row = sub.loc[name]
            tol = EST_TOL * max(1.0, abs(ref["estimate"][k]))
            assert close(row["estimate"], ref["estimate"][k], tol), (ref["model"], ref["predictor"], term)
            assert close(row["ci_low"], ref["ci_low"][k], tol), (ref["model"], term)
            assert close(row["ci_high"], ref["ci_high"][k], tol), (ref["model"], term)
            assert close(row["se"], ref["se"][k], EST_TOL * max(1.0, ref["se"][k])), (ref["model"], term)
            assert p_close(row["p"], ref["p"][k]), (ref["model"], ref["predictor"], term, row["p"], ref["p"][k])
            assert row["n"] == ref["n"]
            assert row["cov_type"] == "cluster" and row["n_clusters"] is not None
            assert row["role"] == (
                "interaction" if term == "age_mar" else "covariate" if term == "fin" else "predictor"
            )
            if ref["model"] == "cox":
                assert row["events"] == ref["events"]
            checked += 1
    assert checked == 2 * (3 * 5 * 2 + 2 * 4)  # raters x (preds x models x terms + interaction models)


def test_model_p_adj_family_is_predictor_terms_per_model(rossi_result):
    m = rossi_result.models
    for model in m["model"].unique():
        fam = m[(m.model == model) & (m.role != "covariate")]
        np.testing.assert_allclose(fam["p_adj"], adjust_p(fam["p"].to_numpy(), method="holm"), rtol=0, atol=0)
        assert m[(m.model == model) & (m.role == "covariate")]["p_adj"].isna().all()


def test_ols_without_cluster_matches_lm(rossi_files):
    res = run(rossi_files, predictors=("age",), outcome=("week:continuous",))
    row = res.models.set_index("term").loc["age"]
    ref = REF["ols_plain"]
    assert row["model"] == "ols" and row["cov_type"] == "model"
    assert close(row["estimate"], ref["estimate"][1]) and close(row["se"], ref["se"][1])
    assert close(row["ci_low"], ref["ci_low"][1]) and close(row["ci_high"], ref["ci_high"][1])
    assert p_close(row["p"], ref["p"][1])
    assert row["rater"] is None and row["wave"] is None


def test_wave_comparison_matches_r_test(rossi_files):
    res = run(rossi_files, "waves.csv", design={"wave": "wave"}, predictors=("score",), outcome=("arrest",))
    w = res.wave_comparisons
    assert list(w.columns) == list(WAVE_COLUMNS) and len(w) == 1
    ref = REF["wave_comparison"]
    row = w.iloc[0]
    assert (row["wave_a"], row["wave_b"], row["n"]) == ("T0", "T1", ref["n"])
    assert close(row["r_t0"], ref["r_t0"]) and close(row["r_t1"], ref["r_t1"]) and close(row["r_waves"], ref["r_waves"])
    assert close(row["statistic"], ref["t"]) and p_close(row["p"], ref["p"])
    assert row["rater"] is None


# --------------------------------------------------------------------------- demo study
@pytest.fixture(scope="module")
def demo_data():
    return read(study=str(STUDY))


@pytest.fixture(scope="module")
def demo_scores(demo_data):
    from wamkit.design.read import score_data

    return score_data(demo_data).scores


@pytest.fixture(scope="module")
def demo_result(demo_data):
    """The demo study with everything on (computed once; the report tests render it too)."""
    return outcomes(demo_data, discrepancy=True, interaction="goals:reactance", surface=True, time_varying=True)


def test_demo_result_structure(demo_result):
    r = demo_result
    assert isinstance(r, OutcomesResult)
    assert list(r.correlations.columns) == list(CORRELATION_COLUMNS)
    assert list(r.models.columns) == list(MODEL_COLUMNS)
    assert r.join["data_rows"] == r.join["data_rows_joined"] == r.n == 1411
    assert r.join["outcome_rows_joined"] == 400 and r.join["data_rows_not_joined"] == 0
    assert r.join["shared_columns"] == {"officer": "identical in both files: kept once"}
    assert r.settings["outcomes"] == {"stagnations": "count", "dropout": "binary", "rearrest": "binary"}
    assert r.settings["models"]["rearrest"] == ["cox"]
    assert r.settings["events"]["rearrest"] == {
        "event": "rearrest",
        "time": "days_to_rearrest",
        "origin_wave": "T0",
        "unit": "days",
    }
    assert r.settings["discrepancy"] == "client - professional"
    assert r.settings["covariates"] == ["risk_score"] and r.settings["officer"] == "officer"
    combos = set(zip(r.correlations.rater, r.correlations.wave, strict=True))
    assert combos == {(a, b) for a in ("client", "professional", "client-professional") for b in ("T0", "T1")}
    # professional rows have no reactance; listed, not silently dropped
    assert {
        "predictor": "reactance",
        "rater": "professional",
        "wave": "T0",
        "reason": "no values in this split",
    } in r.skipped
    # drop-outs have no T1 forms: dropout is constant at T1 -> a warning, no rows
    assert not ((r.correlations.outcome == "dropout") & (r.correlations.wave == "T1")).any()
    assert any("dropout is 0 for all" in w and "wave=T1" in w for w in r.warnings)
    d = r.to_dict()
    assert list(d) == [
        "n",
        "n_keys",
        "settings",
        "join",
        "correlations",
        "partial_correlations",
        "models",
        "wave_comparisons",
        "skipped",
        "warnings",
        "response_surfaces",
    ]
    assert set(d["correlations"][0]) >= {
        "predictor",
        "outcome",
        "rater",
        "wave",
        "method",
        "r",
        "ci_low",
        "ci_high",
        "p",
        "p_adj",
        "n",
    }
    assert set(d["models"][0]) >= {
        "outcome",
        "model",
        "term",
        "estimate",
        "ci_low",
        "ci_high",
        "p",
        "n",
        "events",
        "rater",
        "wave",
        "landmark_days",
        "n_excluded_before_landmark",
    }
    assert set(d["wave_comparisons"][0]) >= {"predictor", "outcome", "rater", "r_t0", "r_t1", "statistic", "p"}
    json.dumps(d, allow_nan=False)
    frames = r.to_frames()
    assert list(frames) == [
        "tidy",
        "correlations",
        "partial_correlations",
        "models",
        "wave_comparisons",
        "response_surfaces",
    ]
    tidy = r.to_frame()
    assert list(tidy.columns) == list(TIDY_COLUMNS)
    n_surface = 5 * len(r.response_surfaces)  # a1..a5 of each surface
    assert len(tidy) == (
        len(r.correlations) + len(r.partial_correlations) + len(r.models) + len(r.wave_comparisons) + n_surface
    )


def test_demo_correlations_reproduce_association_on_joined_frame(demo_result, demo_scores):
    outc = pd.read_csv(DEMO_OUT, dtype={"dyad": str})
    joined = demo_scores.merge(outc.drop(columns=["officer"]), on="dyad", how="inner")
    c = demo_result.correlations
    for rater, wave, pred, out, method in [
        ("client", "T0", "trust", "stagnations", "pearson"),
        ("client", "T1", "goals", "rearrest", "spearman"),
        ("professional", "T1", "loss_of_energy", "rearrest", "pearson"),
        ("professional", "T0", "bond", "dropout", "spearman"),
    ]:
        sub = joined[(joined.rater == rater) & (joined.wave == wave)]
        x, y = sub[pred].to_numpy(float), sub[out].to_numpy(float)
        ref = correlate_clustered(x, y, sub["officer"], method=method)
        row = c[
            (c.rater == rater) & (c.wave == wave) & (c.predictor == pred) & (c.outcome == out) & (c.method == method)
        ].iloc[0]
        assert (row.r, row.ci_low, row.ci_high, row.p, row.n) == (ref.r, ref.ci_low, ref.ci_high, ref.p, ref.n)
        assert math.isclose(row.r, correlate(x, y, method=method).r, abs_tol=1e-12)


def test_demo_discrepancy_and_wave_comparison_reproduce_library(demo_result, demo_scores):
    s = demo_scores
    outc = pd.read_csv(DEMO_OUT, dtype={"dyad": str})
    wide = s.pivot_table(index=["dyad", "wave"], columns="rater", values="trust", dropna=False).reset_index()
    wide["trust_diff"] = wide["client"] - wide["professional"]
    wide = wide.merge(outc, on="dyad")
    sub = wide[wide.wave == "T0"]
    ref = correlate(sub["trust_diff"].to_numpy(float), sub["stagnations"].to_numpy(float))
    c = demo_result.correlations
    row = c[
        (c.rater == "client-professional")
        & (c.wave == "T0")
        & (c.predictor == "trust_diff")
        & (c.outcome == "stagnations")
        & (c.method == "pearson")
    ].iloc[0]
    assert math.isclose(row.r, ref.r, abs_tol=1e-12) and row.n == ref.n
    cl = s[s.rater == "client"].pivot(index="dyad", columns="wave", values="trust").reset_index()
    cl = cl.merge(outc, on="dyad")
    t = compare_correlations_with_outcome(cl, "stagnations", "T0", "T1")
    w = demo_result.wave_comparisons
    row = w[(w.rater == "client") & (w.predictor == "trust") & (w.outcome == "stagnations")].iloc[0]
    assert math.isclose(row.statistic, t.statistic, abs_tol=1e-12) and row.n == t.n


def test_demo_family_adjustment_equals_adjust_p(demo_result):
    c = demo_result.correlations
    for method in ("pearson", "spearman"):
        fam = c[c.method == method]
        assert np.array_equal(fam["p_adj"].to_numpy(), adjust_p(fam["p"].to_numpy(), method="holm"))
    w = demo_result.wave_comparisons
    assert np.array_equal(w["p_adj"].to_numpy(), adjust_p(w["p"].to_numpy(), method="holm"))


def test_family_is_exactly_the_named_outcomes_times_predictors(demo_data):
    """Behaviour change (issue: dyadic and longitudinal outcome analysis): only named outcomes are
    modelled. Before, every numeric column of the outcomes file was (age, risk_score and
    days_to_rearrest became outcomes) and Holm over all of them moved client goals x stagnations at
    T0 from adjusted p = .011 to .071."""
    res = outcomes(demo_data, outcome=("stagnations",), cluster_robust=False)
    pear = res.correlations[res.correlations.method == "pearson"]
    assert set(pear.outcome) == {"stagnations"} and set(res.models.outcome) == {"stagnations"}
    members = set(zip(pear.rater, pear.wave, pear.predictor, strict=True))
    client = {"trust", "goals", "bond", "reactance", "alliance"}
    professional = {"trust", "goals", "bond", "loss_of_energy", "alliance"}
    assert members == {
        (r, w, p)
        for r, preds in (("client", client), ("professional", professional))
        for w in ("T0", "T1")
        for p in preds
    }
    assert np.array_equal(pear["p_adj"].to_numpy(), adjust_p(pear["p"].to_numpy(), method="holm"))
    row = pear[(pear.rater == "client") & (pear.wave == "T0") & (pear.predictor == "goals")].iloc[0]
    assert round(row.p_adj, 3) == 0.011 and len(pear) == 20
    assert "1 named outcome(s) (stagnations) × 6 predictor(s)" in res.settings["adjust_family"]
    assert any("treated as independent" in w for w in res.warnings)


def test_nothing_is_modelled_unless_named(rossi_files):
    data = read_scores(str(rossi_files / "data.csv"), text_columns=["id"])
    with pytest.raises(UsageError, match="no outcomes named: nothing is modelled by default"):
        outcomes(data, outcomes_path=str(rossi_files / "outcomes.csv"), on=["id"])


def test_demo_simulated_truths(demo_result):
    c = demo_result.correlations
    pear = c[c.method == "pearson"].set_index(["rater", "wave", "predictor", "outcome"])
    # client trust goes with fewer stagnations at both waves
    for wave in ("T0", "T1"):
        row = pear.loc[("client", wave, "trust", "stagnations")]
        assert row.r < 0 and row.ci_high < 0
    # the professional's loss of energy goes with re-arrest (Cox HR > 1)
    m = demo_result.models
    hr = m[(m.model == "cox") & (m.rater == "professional") & (m.term == "loss_of_energy") & ~m.time_varying]
    assert (hr.ci_low > 1).all() and len(hr) == 2
    # goals x reactance: more stagnations (Poisson interaction term at T0)
    it = m[(m.model == "poisson") & (m.term == "goals:reactance") & (m.wave == "T0")].iloc[0]
    assert it.estimate > 1 and it.ci_low > 1 and it.role == "interaction"
    # T1 predicts re-arrest more strongly than T0 (client trust; Williams' t on the paired dyads)
    w = demo_result.wave_comparisons
    row = w[(w.rater == "client") & (w.predictor == "trust") & (w.outcome == "rearrest")].iloc[0]
    assert row.r_t1 < row.r_t0 and row.p < 0.05
    # the T1 Cox models start at a landmark 6 months after T0
    cox = m[(m.model == "cox") & (m.role == "predictor") & ~m.time_varying]
    assert set(cox[cox.wave == "T0"]["landmark_days"]) == {0.0}
    assert np.allclose(cox[cox.wave == "T1"]["landmark_days"], 6 * 365.25 / 12)
    assert (cox[cox.wave == "T1"]["n_excluded_before_landmark"] > 0).all()


def test_joint_models_leave_out_totals_and_per_sd():
    data = read(study=str(STUDY), where=["rater=client", "wave=T0"])
    res = outcomes(data, outcome=("stagnations",), joint=True, per_sd=True, covariates=())
    m = res.models
    assert set(m.predictor) == {"joint"}
    assert set(m[m.model == "poisson"].term) == {"trust", "goals", "bond", "reactance"}
    assert m.per_sd.all()
    assert res.settings["joint_predictors"] == ["trust", "goals", "bond", "reactance", "loss_of_energy"]
    assert any(s["predictor"] == "loss_of_energy" for s in res.skipped)


# --------------------------------------------------------------------------- join and bad input
def small_frames():
    data = pd.DataFrame(
        {
            "id": ["1", "2", "3", "4", "5", "6", "7", "8", "x"],
            "score": [1.0, 2, 3, 4, 5, 6, 7, 8, 9],
            "officer": list("aabbccdde"),
        }
    )
    outc = pd.DataFrame(
        {
            "id": ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"],
            "y": ["0", "1", "0", "1", "1", "0", "1", "0", "1", "0"],
            "officer": list("aabbccddzz"),
        }
    )
    return data, outc


def test_join_counts_both_directions():
    data, outc = small_frames()
    res = analyse_outcomes(data, outc, on="id", predictors=["score"], outcome=["y"])
    j = res.join
    assert (j["data_rows"], j["data_rows_joined"], j["data_rows_not_joined"]) == (9, 8, 1)
    assert (j["outcome_rows"], j["outcome_rows_joined"], j["outcome_rows_not_joined"]) == (10, 8, 2)
    assert j["data_keys_not_joined"] == ["x"] and j["outcome_keys_not_joined"] == ["9", "10"]
    assert any("1 of 9 rows of data have no match" in w for w in res.warnings)
    assert any("2 of 10 rows of outcomes have no match" in w for w in res.warnings)
    assert res.settings["outcomes"] == {"y": "binary"}
    assert res.correlations.iloc[0]["n"] == 8


def test_shared_column_that_differs_is_suffixed():
    data, outc = small_frames()
    outc.loc[0, "officer"] = "q"
    res = analyse_outcomes(data, outc, on="id", predictors=["score"], outcome=["y"])
    assert "officer_outcomes" in res.join["shared_columns"]["officer"]


def test_keys_compared_as_text():
    data = pd.DataFrame({"id": [1, 2, 3, 4, 5], "score": [1.0, 2, 3, 5, 4]})
    outc = pd.DataFrame({"id": ["1", "2", "3", "4", "5"], "y": [0.5, 1.5, 2.5, 3.1, 4.2]})
    res = analyse_outcomes(data, outc, on=["id"], outcome=["y"])
    assert res.join["data_rows_joined"] == 5 and res.settings["outcomes"] == {"y": "continuous"}
    assert res.settings["predictors"] == ["score"]


def test_settings_object_and_overrides_agree():
    data, outc = small_frames()
    s = OutcomeSettings(on=("id",), predictors=("score",), outcome=("y",))
    a = analyse_outcomes(data, outc, s)
    b = analyse_outcomes(data, outc, on="id", predictors=["score"], outcome=["y"])
    assert a.to_dict() == b.to_dict()
    with pytest.raises(UsageError, match="unknown setting"):
        analyse_outcomes(data, outc, s, wave_column="wave")


@pytest.mark.parametrize(
    "change,exc,fragment",
    [
        (lambda d, o: o.assign(id=[str(i + 100) for i in range(10)]), DataError, "no row of data matches a key"),
        (
            lambda d, o: o.assign(id=["1", "1"] + [str(i) for i in range(3, 11)]),
            DataError,
            "outcomes: duplicate key(s) on id: '1' (rows 1, 2)",
        ),
        (
            lambda d, o: o.assign(y=["0", "1", "2"] + ["0"] * 7),
            DataError,
            "outcomes, row 3, column y: value 2 is not 0 or 1 (declared binary)",
        ),
        (
            lambda d, o: o.assign(y=["0", "1", "a"] + ["0"] * 7),
            DataError,
            "outcomes, row 3, column y: value 'a' is not a number",
        ),
        (lambda d, o: o, UsageError, "on nope: data has no column 'nope'"),
    ],
)
def test_bad_input_errors(change, exc, fragment):
    data, outc = small_frames()
    o = change(data, outc)
    on = "nope" if "nope" in fragment else "id"
    with pytest.raises(exc) as e:
        analyse_outcomes(data, o, on=on, predictors=["score"], outcome=["y:binary"])
    assert fragment in str(e.value)


def test_event_errors():
    data, outc = small_frames()
    outc["t"] = ["5", "3", "-1", "2", "4", "5", "6", "7", "8", "9"]
    with pytest.raises(UsageError, match="event y has no time column"):
        analyse_outcomes(data, outc, on="id", predictors=["score"], event=["y"])
    with pytest.raises(DataError, match="outcomes, row 3, column t: value -1 is negative"):
        analyse_outcomes(data, outc, on="id", predictors=["score"], event=["y:t"])
    with pytest.raises(UsageError, match="event time nope"):
        analyse_outcomes(data, outc, on="id", predictors=["score"], event=["y:nope"])


def test_constant_predictor_and_separation_are_warnings():
    rng = np.random.default_rng(1)
    n = 60
    x = rng.normal(size=n)
    data = pd.DataFrame({"id": [str(i) for i in range(n)], "x": x, "flat": np.ones(n)})
    outc = pd.DataFrame({"id": [str(i) for i in range(n)], "y": (x > 0).astype(int)})
    res = analyse_outcomes(data, outc, on="id", predictors=["x", "flat"], outcome=["y"])
    assert any("flat" in w and "constant" in w for w in res.warnings)
    assert any("separation" in w for w in res.warnings)
    assert not (res.correlations.predictor == "flat").any()
    row = res.models[res.models.term == "x"].iloc[0]
    assert math.isnan(row.estimate)


def test_usage_errors_name_parameters():
    data, outc = small_frames()
    base = {"on": "id", "predictors": ["score"], "outcome": ["y"]}
    for kw, msg in [
        ({"by": ["sex"]}, "by must be 'rater' or 'wave'"),
        ({"by": ["rater"]}, "by rater: no column 'rater' in data"),
        ({"outcome": ["y:ordinal"]}, "unknown type 'ordinal'"),
        ({"interaction": "score"}, "interaction expects A:B"),
        ({"adjust": "sidak"}, "adjust must be"),
        ({"discrepancy": True}, "discrepancy: no column 'rater'"),
        ({"officer": "nope"}, "officer nope: no such column"),
        ({"ci_level": 1.5}, "ci_level must be between 0 and 1"),
    ]:
        with pytest.raises(UsageError, match=msg) as e:
            analyse_outcomes(data, outc, **{**base, **kw})
        assert "--" not in str(e.value)


def test_inputs_not_mutated():
    data, outc = small_frames()
    d0, o0 = data.copy(), outc.copy()
    analyse_outcomes(data, outc, on="id", predictors=["score"], outcome=["y"], officer="officer")
    pd.testing.assert_frame_equal(data, d0)
    pd.testing.assert_frame_equal(outc, o0)


def test_interaction_with_a_covariate_and_joint_with_interaction(demo_scores):
    outc = pd.read_csv(DEMO_OUT, dtype=str)
    client = demo_scores[(demo_scores.rater == "client") & (demo_scores.wave == "T0")]
    res = analyse_outcomes(
        client,
        outc,
        on=["dyad"],
        predictors=["trust", "goals"],
        outcome=["dropout"],
        covariates=["risk_score"],
        interaction="goals:risk_score",
    )
    m = res.models
    inter = m[m.predictor == "goals:risk_score"]
    assert list(inter.term) == ["goals", "risk_score", "goals:risk_score"]
    assert list(inter.role) == ["predictor", "predictor", "interaction"]
    res = analyse_outcomes(
        client,
        outc,
        on=["dyad"],
        predictors=["trust", "goals", "reactance"],
        outcome=["stagnations"],
        joint=True,
        interaction="goals:reactance",
    )
    pois = res.models[res.models.model == "poisson"]
    assert list(pois.term) == ["trust", "goals", "reactance", "goals:reactance"]


def test_row_numbers_refer_to_the_file_after_outcome_filters(tmp_path):
    data = tmp_path / "d.csv"
    outc = tmp_path / "o.csv"
    data.write_text("id,score\n" + "".join(f"{i},{i % 5}\n" for i in range(1, 9)))
    outc.write_text(
        "id,grp,y\n" + "".join(f"{i},{'a' if i < 5 else 'b'},{'2' if i == 6 else i % 2}\n" for i in range(1, 9))
    )
    scores = read_scores(str(data), text_columns=["id"])
    with pytest.raises(DataError, match=r"o.csv, row 6, column y: value 2 is not 0 or 1"):
        outcomes(scores, outcomes_path=str(outc), on=["id"], outcome=["y:binary"], outcomes_where=["grp=b"])
    res = outcomes(scores, outcomes_path=str(outc), on=["id"], outcome=["y:binary"], outcomes_where=["grp=a"])
    assert res.join["outcome_rows"] == 4 and res.join["data_rows_not_joined"] == 4


# --------------------------------------------------------------------------- the report (render.reports.outcomes)
CHROMIUM = next(
    (
        p
        for p in (
            os.environ.get("WAMKIT_CHROMIUM"),
            "/usr/bin/chromium",
            shutil.which("chromium"),
            shutil.which("chromium-browser"),
        )
        if p and os.path.exists(p)
    ),
    None,
)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (apt-get install -y chromium); the 1280-px rendering checks did not run",
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]
#: measures the rendered page: document width, the worst overflow of any table box, the right edge of
#: the widest table; written into the DOM so that --dump-dom shows it
MEASURE = """<script>window.addEventListener('load', () => {
  let worst = 0, right = 0;
  document.querySelectorAll('.wk-wrap, table, figure').forEach(e => {
    worst = Math.max(worst, e.scrollWidth - e.clientWidth);
    right = Math.max(right, e.getBoundingClientRect().right); });
  document.body.setAttribute('data-measure', [document.documentElement.scrollWidth, worst, right].join(','));
});</script>"""


@pytest.fixture(scope="module")
def doc(demo_result):
    return demo_result.document()


def test_one_correlation_and_one_model_table_per_outcome(doc, demo_result):
    tables = [b for b in doc.blocks if isinstance(b, Table)]
    titles = [t.title for t in tables]
    for o in ("stagnations", "dropout", "rearrest"):
        assert f"Alliance and {o}" in " ".join(titles)
        assert sum(t.endswith(f"Models of {o}") for t in titles) == 1
    corr = next(t for t in tables if t.title.endswith("Alliance and stagnations"))
    assert corr.headers == [
        "Predictor",
        "client T0",
        "p (adj.)",
        "client T1",
        "p (adj.)",
        "professional T0",
        "p (adj.)",
        "professional T1",
        "p (adj.)",
    ]
    rows = corr.rows()
    trust = rows[0]
    assert trust[0] == "trust" and re.fullmatch(r"-\.\d\d \[-\.\d\d, -\.\d\d\]", trust[1])
    assert rows[-1][0] == "n" and re.fullmatch(r"\d+(–\d+)?", rows[-1][1])
    models = next(t for t in tables if t.title.endswith("Models of rearrest"))
    assert models.headers[:2] == ["Model", "Predictor"]
    assert {r[0] for r in models.rows()} >= {"Cox\u00a0HR", "n", "events", "landmark (days)"}
    assert "HR = hazard ratio per scale point of the predictor" in models.note
    assert any("time-varying covariate" in t for t in titles)
    assert any("client - professional differences" in t for t in titles)


def test_settings_paragraph_warnings_as_notes_and_no_result_dump(doc, demo_result):
    text = next(b.text for b in doc.blocks if isinstance(b, Paragraph))
    assert "p values adjusted (holm) within families of the 3 named outcomes × 6 predictors" in text
    assert "cluster-robust by officer (influence-function SE, as lavaan MLR)" in text and "landmark" in text
    notes = [b for b in doc.blocks if isinstance(b, Note)]
    assert len(notes) == len(demo_result.warnings) and all(n.kind == "warning" for n in notes)
    assert not any(isinstance(b, Heading) and b.text == "All results" for b in doc.blocks)
    md = render_markdown(doc)
    assert md.count("\n- ") == 0  # no bullet list of results
    assert "| Predictor | client T0 | p (adj.) |" in md


def test_significant_surfaces_are_drawn(doc, demo_result):
    figures = [b for b in doc.blocks if isinstance(b, Figure)]
    significant = {(s.outcome, s.result.model) for s in demo_result.response_surfaces if s.significant}
    first_models = {(o, ms[0]) for o, ms in demo_result.settings["models"].items()}
    assert len(figures) == len(significant & first_models) >= 1
    svg = figures[0].svg
    assert (
        svg.startswith("<svg")
        and 'stroke-dasharray="5 4"' in svg
        and "http" not in svg.replace("http://www.w3.org", "")
    )


def chromium(tmp_path, *args):
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *map(str, args)],
        capture_output=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
    )


@needs_chromium
def test_html_fits_1280_px_without_horizontal_overflow(tmp_path, doc):
    page = render_html(doc)
    assert "<script" not in page
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    r = chromium(tmp_path, "--window-size=1280,1000", "--dump-dom", probe.as_uri())
    found = re.search(r'data-measure="(\d+),(-?\d+(?:\.\d+)?),(\d+(?:\.\d+)?)"', r.stdout.decode("utf-8", "replace"))
    assert r.returncode == 0 and found, r.stderr.decode()[-2000:]
    width, worst, right = (float(x) for x in found.groups())
    assert width <= 1280, "the page scrolls sideways"
    assert worst <= 0, "a table overflows its box"
    assert right <= 1280


# --------------------------------------------------------------------------- shared report helper (render.html)
def test_report_html_and_md_are_self_contained_and_escaped():
    """The renderers behind the outcomes report (the forest plot of 0.1 became APA tables and surface plots)."""
    from wamkit.render.document import Document
    from wamkit.render.html import render_html
    from wamkit.render.markdown import render_markdown

    doc = Document(title="t <1>")
    doc.paragraph("p & q")
    doc.figure('<svg width="10" height="10"><text>a &lt;b&gt;</text></svg>', "a <b> & c")
    doc.table(pd.DataFrame({"a": ["x|y"], "b": [0.123456]}))
    html_text = render_html(doc)
    assert "<title>t &lt;1&gt;</title>" in html_text and "p &amp; q" in html_text and "<svg" in html_text
    assert "http" not in html_text.replace("http://www.w3.org/2000/svg", "") and "<script" not in html_text
    md = render_markdown(doc)
    assert md.startswith("# t <1>") and "x\\|y" in md and "](data:image/svg+xml;base64," in md
