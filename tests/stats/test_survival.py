"""Landmark and counting-process Cox models against R survival (tests/reference/survival_tv.json,
made by tests/reference/survival_tv.R).

Data: tests/data/rossi.csv, tests/data/heart.csv (survival's Stanford heart transplant data in
(start, stop] form, exported by the R script), tests/data/tv_cox_sim.csv
(tests/data/make_dyadic_sim.py). The simulated (start, stop] rows are built by wamkit here and
by survival::tmerge in R.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import DATA, REFERENCE
from wamkit.errors import DataError, UsageError
from wamkit.stats.models import cox
from wamkit.stats.survival import DAYS_PER_MONTH, counting_process, landmark

REF = json.loads((REFERENCE / "survival_tv.json").read_text())
TOL = 1e-6  # coxph stops at its own tolerance
WAVES = {"alliance": ["alliance_T0", "alliance_T6", "alliance_T9"]}


def _check(res, ref):
    assert list(res.table["term"]) == [t.replace("transplant1", "transplant") for t in ref["term"]]
    for col in ("coef", "se", "z", "ci_low", "ci_high"):
        np.testing.assert_allclose(res.table[col], ref[col], rtol=TOL, atol=1e-10, err_msg=col)
    np.testing.assert_allclose(res.table["p"], ref["p"], rtol=TOL * 10, atol=1e-300)
    np.testing.assert_allclose(res.vcov, ref["vcov"], rtol=10 * TOL, atol=1e-14)
    assert res.loglik == pytest.approx(ref["loglik"], abs=1e-8)
    assert res.loglik_null == pytest.approx(ref["loglik_null"], abs=1e-8)
    assert res.concordance == pytest.approx(ref["concordance"], abs=1e-12)
    assert res.events == ref["events"]


@pytest.fixture(scope="module")
def rossi():
    d = pd.read_csv(DATA / "rossi.csv")
    d["cl"] = np.arange(len(d)) % 37
    return d


@pytest.fixture(scope="module")
def heart():
    return pd.read_csv(DATA / "heart.csv")


@pytest.fixture(scope="module")
def tv():
    return pd.read_csv(DATA / "tv_cox_sim.csv")


@pytest.fixture(scope="module")
def cp_locf(tv):
    return counting_process(
        tv, id="id", time="days", event="rearrest", predictors=WAVES, wave_months=(0, 6, 9), keep=["officer", "age"]
    )


@pytest.fixture(scope="module")
def cp_split(tv):
    return counting_process(
        tv,
        id="id",
        time="days",
        event="rearrest",
        predictors=WAVES,
        wave_months=(0, 6, 9),
        keep=["officer", "age"],
        carry_forward=False,
    )


# ------------------------------------------------------------------ counting process Cox
@pytest.mark.parametrize("key,kw", [("efron", {}), ("cluster", {"cluster": "id"}), ("breslow", {"ties": "breslow"})])
def test_heart_counting_process_matches_coxph(heart, key, kw):
    ref = REF["heart"][key]
    res = cox(heart, "stop", "event", ["age", "year", "surgery", "transplant"], start="start", **kw)
    _check(res, ref)
    assert res.n == ref["n"] and res.start == "start"
    if key == "cluster":
        assert res.cov_type == "cluster" and res.n_clusters == heart["id"].nunique()
        np.testing.assert_allclose(
            cox(heart, "stop", "event", ["age", "year", "surgery", "transplant"], start="start").table["se"],
            ref["naive_se"],
            rtol=TOL,
        )


def test_counting_process_frame(cp_locf, cp_split, tv):
    ref = REF["tv_sim"]
    for cp in (cp_locf, cp_split):
        assert cp.n_intervals == ref["n_intervals"] == len(cp.data)
        assert cp.n_subjects == ref["n_subjects"]
        assert cp.wave_times == pytest.approx((0.0, 6 * DAYS_PER_MONTH, 9 * DAYS_PER_MONTH))
    assert cp_split.n_missing_value == {"alliance": ref["n_missing_split"]}
    assert cp_locf.n_carried_forward == {"alliance": ref["n_missing_split"]}
    d = cp_locf.data
    assert list(d.columns) == ["id", "start", "stop", "rearrest", "wave", "alliance", "officer", "age"]
    assert (d["start"] < d["stop"]).all()
    # one event row per re-arrested subject, at its time; intervals tile (0, days]
    assert d.groupby("id")["rearrest"].sum().sum() == tv["rearrest"].sum()
    last = d.groupby("id").agg(stop=("stop", "max"), n=("stop", "size"))
    np.testing.assert_array_equal(last["stop"].to_numpy(), tv.set_index("id").loc[last.index, "days"].to_numpy())
    json.dumps(cp_locf.to_dict())


@pytest.mark.parametrize(
    "key,frame,kw",
    [
        ("locf", "cp_locf", {}),
        ("locf_cluster_id", "cp_locf", {"cluster": "id"}),
        ("locf_cluster_officer", "cp_locf", {"cluster": "officer"}),
        ("no_carry", "cp_split", {}),
        ("no_carry_cluster_id", "cp_split", {"cluster": "id"}),
    ],
)
def test_time_varying_cox_matches_tmerge_coxph(request, key, frame, kw):
    cp = request.getfixturevalue(frame)
    res = cox(cp.data, "stop", "rearrest", ["alliance", "age"], start="start", **kw)
    _check(res, REF["tv_sim"][key])
    if frame == "cp_split":
        assert res.n == REF["tv_sim"][key]["n"]  # same rows as tmerge(na.rm = FALSE), NA rows dropped


def test_time_varying_without_splits_equals_right_censored(tv):
    # with (start, stop] = (0, days] the counting-process fit is the ordinary Cox model
    d = tv.assign(start=0.0)
    a = cox(d, "days", "rearrest", ["alliance_T0", "age"], start="start")
    _check(a, REF["tv_sim"]["baseline_only"])


# ------------------------------------------------------------------ landmark
def test_landmark_rossi(rossi):
    ref = REF["landmark_rossi"]
    lm = landmark(rossi, "week", "arrest", 20)
    assert (lm.n_input, lm.n_kept, lm.n_event_before, lm.n_censored_before, lm.n_missing) == (
        ref["n_input"],
        ref["n_kept"],
        ref["n_event_before"],
        ref["n_censored_before"],
        0,
    )
    assert lm.data["week"].min() > 0 and len(lm.data) == lm.n_kept
    assert rossi["week"].max() == 52  # input untouched
    _check(cox(lm.data, "week", "arrest", ["fin", "age", "prio"]), ref["model"])
    _check(cox(lm.data, "week", "arrest", ["fin", "age", "prio"], cluster="cl"), ref["cluster"])
    end = landmark(rossi, "week", "arrest", 52)
    want = REF["landmark_rossi_end"]
    assert (end.n_kept, end.n_event_before, end.n_censored_before) == (
        want["n_kept"],
        want["n_event_before"],
        want["n_censored_before"],
    )
    json.dumps(lm.to_dict())


def test_landmark_time_varying_data(tv):
    ref = REF["landmark_tv"]
    lm = landmark(tv, "days", "rearrest", 6 * DAYS_PER_MONTH)
    assert (lm.n_kept, lm.n_event_before, lm.n_censored_before) == (
        ref["n_kept"],
        ref["n_event_before"],
        ref["n_censored_before"],
    )
    _check(cox(lm.data, "days", "rearrest", ["alliance_T6", "age"]), ref["model"])
    _check(cox(lm.data, "days", "rearrest", ["alliance_T6", "age"], cluster="officer"), ref["cluster"])


def test_landmark_counts_missing():
    d = pd.DataFrame({"t": [1.0, 5.0, np.nan, 8.0, 3.0], "e": [1, 0, 1, 1, np.nan]})
    lm = landmark(d, "t", "e", 4)
    assert lm.dropped == {
        "event_at_or_before_landmark": 1,
        "censored_at_or_before_landmark": 0,
        "missing_time_or_event": 2,
    }
    assert lm.data["t"].tolist() == [1.0, 4.0]


# ------------------------------------------------------------------ errors
def test_errors(heart, tv):
    with pytest.raises(DataError, match="start"):
        cox(heart.assign(start=heart["stop"]), "stop", "event", ["age"], start="start")
    with pytest.raises(UsageError, match="start"):
        cox(heart, "stop", "event", ["age"], start="stop")
    with pytest.raises(UsageError, match="landmark_time"):
        landmark(tv, "days", "rearrest", -1)
    with pytest.raises(UsageError, match="unknown column"):
        landmark(tv, "nope", "rearrest", 10)
    with pytest.raises(UsageError, match="wave_months"):
        counting_process(tv, id="id", time="days", event="rearrest", predictors=WAVES, wave_months=(0, 9, 6))
    with pytest.raises(UsageError, match="3 columns"):
        counting_process(
            tv, id="id", time="days", event="rearrest", predictors={"a": ["alliance_T0"]}, wave_months=(0, 6, 9)
        )
    with pytest.raises(UsageError, match="time_per_month"):
        counting_process(
            tv, id="id", time="days", event="rearrest", predictors=WAVES, wave_months=(0, 6, 9), time_per_month=0
        )
    with pytest.raises(DataError, match="one row per subject"):
        counting_process(
            pd.concat([tv, tv.iloc[:1]]),
            id="id",
            time="days",
            event="rearrest",
            predictors=WAVES,
            wave_months=(0, 6, 9),
        )
