"""wamkit.outcomes wired to the dyadic / longitudinal statistics, end to end against R.

The data go through the same path as ``wamkit outcomes`` (long scores file -> read_scores,
outcomes file -> read_outcomes -> analyse), and the results must equal R's:

* landmark Cox models for ratings at a later wave (tests/reference/survival_tv.json,
  ``landmark_tv``: coxph(Surv(days - 6 months, rearrest) ~ alliance_T6 + age, subset(days > s))),
  with the landmark and the rows it excluded reported per row;
* Cox models with the rating as a time-varying covariate (``tv_sim``: survival::tmerge +
  coxph(Surv(tstart, tstop, rearrest) ~ alliance + age, cluster = officer / id));
* response surfaces of client vs professional ratings (tests/reference/ols_surface.json: lm / glm /
  glm.nb / coxph on the centred polynomial, a1..a5, congruence test), in the JSON shape
  ``response_surfaces``.

Data: tests/data/tv_cox_sim.csv and tests/data/rsa_sim.csv (tests/data/make_dyadic_sim.py, seeded).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import DATA, REFERENCE
from wamkit.design.read import read_scores
from wamkit.errors import UsageError
from wamkit.outcomes import outcomes

TV = json.loads((REFERENCE / "survival_tv.json").read_text())
SURF = json.loads((REFERENCE / "ols_surface.json").read_text())["surface"]
MONTHS = (("T0", 0.0), ("T6", 6.0), ("T9", 9.0))
COX_TOL = 1e-6  # coxph stops at its own tolerance (as tests/stats/test_survival.py)
SURF_TOL = {"cox": 1e-6}


def write_tv(folder) -> None:
    tv = pd.read_csv(DATA / "tv_cox_sim.csv")
    long = pd.concat(
        [
            pd.DataFrame({"id": tv["id"], "officer": tv["officer"], "wave": w, "alliance": tv[f"alliance_{w}"]})
            for w, _ in MONTHS
        ],
        ignore_index=True,
    )
    long.to_csv(folder / "scores.csv", index=False)
    tv[["id", "age", "days", "rearrest"]].to_csv(folder / "outcomes.csv", index=False)


@pytest.fixture(scope="module")
def tv_runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tv")
    write_tv(folder)
    out = {}
    for officer in (True, False):
        data = read_scores(
            str(folder / "scores.csv"), wave="wave", officer="officer" if officer else None, text_columns=["id"]
        )
        out[officer] = outcomes(
            data,
            outcomes_path=str(folder / "outcomes.csv"),
            on=["id"],
            event=("rearrest:days:T0",),
            covariates=("age",),
            wave_months=MONTHS,
            time_varying=True,
        )
    return out


def cox_row(res, term, **where):
    m = res.models
    sel = (m.model == "cox") & (m.term == term)
    for k, v in where.items():
        sel &= m[k] == v
    rows = m[sel]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def check_cox(row, ref, k, n=None):
    assert row["coef"] == pytest.approx(ref["coef"][k], abs=COX_TOL)
    assert row["se"] == pytest.approx(ref["se"][k], abs=COX_TOL)
    assert row["ci_low"] == pytest.approx(ref["ci_low"][k], abs=COX_TOL)
    assert row["ci_high"] == pytest.approx(ref["ci_high"][k], abs=COX_TOL)
    assert row["p"] == pytest.approx(ref["p"][k], rel=1e-4, abs=1e-12)
    assert row["n"] == (ref["n"] if n is None else n) and row["events"] == ref["events"]


@pytest.mark.parametrize("officer,key", [(True, "cluster"), (False, "model")])
def test_landmark_cox_at_a_later_wave_matches_coxph(tv_runs, officer, key):
    ref = TV["landmark_tv"]
    res = tv_runs[officer]
    row = cox_row(res, "alliance", wave="T6", time_varying=False)
    check_cox(row, ref[key], 0)
    assert row["landmark_days"] == pytest.approx(ref["landmark_time"])
    assert row["n_excluded_before_landmark"] == ref["n_event_before"] + ref["n_censored_before"]
    assert cox_row(res, "age", wave="T6", time_varying=False)["role"] == "covariate"
    t0 = cox_row(res, "alliance", wave="T0", time_varying=False)
    assert t0["landmark_days"] == 0 and t0["n_excluded_before_landmark"] == 0
    t9 = cox_row(res, "alliance", wave="T9", time_varying=False)
    assert t9["landmark_days"] == pytest.approx(9 * 365.25 / 12)


def test_baseline_cox_at_the_origin_wave_matches_coxph(tv_runs):
    check_cox(cox_row(tv_runs[False], "alliance", wave="T0", time_varying=False), TV["tv_sim"]["baseline_only"], 0)


@pytest.mark.parametrize("officer,key", [(True, "locf_cluster_officer"), (False, "locf_cluster_id")])
def test_time_varying_cox_matches_tmerge_coxph(tv_runs, officer, key):
    ref = TV["tv_sim"][key]
    row = cox_row(tv_runs[officer], "alliance", time_varying=True)
    # one interval per wave (a missing rating carried forward); tmerge merges such intervals, which
    # leaves the fit unchanged but gives fewer rows
    check_cox(row, ref, 0, n=TV["tv_sim"]["n_intervals"])
    assert row["wave"] is None and row["cov_type"] == "cluster"
    n_officers = pd.read_csv(DATA / "tv_cox_sim.csv")["officer"].nunique()
    assert row["n_clusters"] == (n_officers if officer else TV["tv_sim"]["n_subjects"])


def test_time_varying_needs_months(tmp_path):
    write_tv(tmp_path)
    data = read_scores(str(tmp_path / "scores.csv"), wave="wave", text_columns=["id"])
    with pytest.raises(UsageError, match="time_varying needs the months of the waves"):
        outcomes(
            data, outcomes_path=str(tmp_path / "outcomes.csv"), on=["id"], event=("rearrest:days",), time_varying=True
        )


# --------------------------------------------------------------------------- response surfaces
def write_rsa(folder) -> None:
    rsa = pd.read_csv(DATA / "rsa_sim.csv")
    long = pd.concat(
        [
            pd.DataFrame({"dyad": rsa["dyad"], "officer": rsa["officer"], "rater": r, "score": rsa[c]})
            for r, c in (("client", "client"), ("professional", "officer_rating"))
        ],
        ignore_index=True,
    )
    long.to_csv(folder / "scores.csv", index=False)
    rsa[["dyad", "age", "stagnations", "dropout", "score6", "days", "rearrest"]].to_csv(
        folder / "outcomes.csv", index=False
    )


#: (officer, covariates) -> the R cases its surfaces reproduce (model -> ols_surface.json key)
RUNS = {
    (True, ()): {
        "logistic": "logistic_cluster",
        "negative_binomial": "negative_binomial_cluster",
        "cox": "cox_cluster",
    },
    (True, ("age",)): {"ols": "ols_cluster", "poisson": "poisson_cluster"},
    (False, ("age",)): {"logistic": "logistic", "negative_binomial": "negative_binomial", "cox": "cox"},
    (False, ()): {"ols": "ols", "poisson": "poisson"},
}


@pytest.fixture(scope="module")
def surface_runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rsa")
    write_rsa(folder)
    out = {}
    for (officer, covs), cases in RUNS.items():
        data = read_scores(str(folder / "scores.csv"), rater="rater", officer="officer" if officer else None)
        wanted = {SURF[k]["outcome"] for k in cases.values()}
        named = [o for o in ("score6:continuous", "stagnations:count", "dropout:binary") if o.split(":")[0] in wanted]
        events = ("rearrest:days",) if "rearrest" in wanted else ()
        out[(officer, covs)] = outcomes(
            data,
            outcomes_path=str(folder / "outcomes.csv"),
            on=["dyad"],
            outcome=tuple(named),
            event=events,
            covariates=covs,
            surface=True,
            surface_center=3,
        )
    return out


CASES = [(run, model, key) for run, cases in RUNS.items() for model, key in cases.items()]


@pytest.mark.parametrize("run,model,key", CASES, ids=[k for _, _, k in CASES])
def test_response_surface_entries_match_r(surface_runs, run, model, key):
    ref = SURF[key]
    entries = [
        s
        for s in surface_runs[run].to_dict()["response_surfaces"]
        if s["model"] == model and s["outcome"] == ref["outcome"]
    ]
    assert len(entries) == 1
    e = entries[0]
    tol = SURF_TOL.get(model, 1e-8)
    assert (e["subscale"], e["x"], e["y"], e["wave"], e["n"], e["center"]) == (
        "score",
        "client",
        "professional",
        None,
        ref["n"],
        3.0,
    )
    for group in ("coefficients", "surface"):
        for name, want in ref[group].items():
            got = e[group][name]
            for field in ("estimate", "se", "ci_low", "ci_high"):
                assert got[field] == pytest.approx(want[field], abs=tol * max(1, abs(want[field]))), (name, field)
            assert got["pvalue"] == pytest.approx(want["pvalue"], rel=1e-5, abs=1e-300), name
    t = e["congruence_test"]
    assert t["statistic"] == pytest.approx(ref["congruence_test"]["statistic"], rel=1e-6)
    assert t["pvalue"] == pytest.approx(ref["congruence_test"]["pvalue"], rel=1e-5, abs=1e-300)
    assert t["method"] == ref["congruence_test"]["method"]
    assert e["significant"] == any(v["pvalue"] < 0.05 for v in ref["surface"].values())


def test_surface_tidy_frame_and_grid(surface_runs):
    res = surface_runs[(True, ())]
    f = res.to_frame("response_surfaces")
    assert set(f["parameter"]) >= {"b1", "b5", "a1", "a5", "X0", "p11"}
    assert len(f) == 17 * len(res.response_surfaces) - sum(1 for s in res.response_surfaces if s.result.model == "cox")
    g = res.response_surfaces[0].grid
    assert len(g) == 21 * 21 and np.isfinite(g["z"]).all()


def test_surface_needs_two_raters(tmp_path):
    write_rsa(tmp_path)
    data = read_scores(str(tmp_path / "scores.csv"), where=["rater=client"], rater="rater")
    with pytest.raises(UsageError, match="surface needs two raters"):
        outcomes(
            data,
            outcomes_path=str(tmp_path / "outcomes.csv"),
            on=["dyad"],
            outcome=("dropout",),
            surface=True,
            surface_center=3,
        )
    data = read_scores(str(tmp_path / "scores.csv"), rater="rater")
    with pytest.raises(UsageError, match="surface_center"):
        outcomes(data, outcomes_path=str(tmp_path / "outcomes.csv"), on=["dyad"], outcome=("dropout",), surface=True)
