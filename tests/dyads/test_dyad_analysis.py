"""wamkit.dyads.analysis and wamkit.pseudonym: the dyad analysis against R, pairing of forms, edge cases.

Reference: tests/reference/dyad_report.json, written by tests/reference/dyad_report.R from the demo
study (examples/wam_demo.csv with examples/study.yaml's design) with base R, psych and nlme
(scoring, psych::alpha per wave, psych::ICC per wave, RCI, profiles, caseload, APIM).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import textwrap

import numpy as np
import pandas as pd
import pytest

from conftest import EXAMPLES, REFERENCE
from wamkit.design.read import read, score_data
from wamkit.design.study import StudyError
from wamkit.dyads.analysis import FLAG_CLIENT_HIGHER, FLAG_PROFESSIONAL_HIGHER, DyadAnalysis, dyads
from wamkit.dyads.pairing import resolve_pairs
from wamkit.errors import DataError, UsageError
from wamkit.instrument import load_instrument
from wamkit.pseudonym import ENV_KEY, load_key, pseudonym, pseudonym_map

REF = json.loads((REFERENCE / "dyad_report.json").read_text())
STUDY = EXAMPLES / "study.yaml"
DEMO = EXAMPLES / "wam_demo.csv"
FORMS = {"client": "wam-demo-client", "professional": "wam-demo-professional"}
KEY = b"0123456789abcdef-test-key"
TOL = 1e-9
EST = 1e-6  # APIM estimates (relative), as tests/stats/test_apim.py
SE = 1e-5


@pytest.fixture(scope="module")
def data():
    return read(study=str(STUDY))


@pytest.fixture(scope="module")
def result(data):
    before = data.frame.copy()
    res = dyads(data, apim=True)
    pd.testing.assert_frame_equal(data.frame, before)  # input not modified
    return res


def close(a, b, tol=TOL):
    a = np.asarray(a, dtype=float)
    b = np.asarray([np.nan if v is None else v for v in b], dtype=float)
    assert a.shape == b.shape
    assert np.array_equal(np.isnan(a), np.isnan(b))
    ok = ~np.isnan(a)
    np.testing.assert_allclose(a[ok], b[ok], rtol=0, atol=tol)


# ----------------------------------------------------------------------------- against R


def test_result_protocol(result):
    assert isinstance(result, DyadAnalysis)
    assert result.document_builder == "wamkit.render.reports.dyads:dyads_document"
    frames = result.to_frames()
    assert list(frames)[:3] == ["pairs", "agreement", "profiles"] and "apim" in frames and "caseload" in frames
    assert result.to_frame() is result.pairs
    assert list(result.pairs.columns) == [
        "dyad",
        "wave",
        "subscale",
        "client",
        "professional",
        "difference",
        "abs_difference",
        "reliable_difference",
        "flag",
    ]
    assert list(result.agreement.columns)[:3] == ["subscale", "wave", "n_pairs"]
    assert list(result.alerts.columns) == [
        "dyad",
        "wave",
        "rule",
        "kind",
        "subscale",
        "rater",
        "value",
        "threshold",
        "wave_from",
        "message",
    ]


def test_reliability_alpha_sd_sem_per_wave_match_psych(result):
    got = result.reliability.set_index(["rater", "subscale", "wave"])
    assert len(got) == len(REF["reliability"]) == 20
    for ref in REF["reliability"]:
        row = got.loc[(ref["rater"], ref["subscale"], ref["wave"])]
        for k in ("alpha", "sd", "sem"):
            assert row[k] == pytest.approx(ref[k], abs=TOL), k
        assert row["n_obs"] == ref["n_obs"]


def test_pairs_differences_and_flags_match_r(result):
    assert set(result.pairs["subscale"]) == set(REF["pairs"])
    for s, ref in REF["pairs"].items():
        want = pd.DataFrame(
            {k: ref[k] for k in ("dyad", "wave", "client", "professional", "difference", "reliable_difference", "flag")}
        )
        got = result.pairs[result.pairs["subscale"] == s].merge(
            want, on=["dyad", "wave"], suffixes=("", "_r"), how="outer", indicator=True
        )
        assert (got["_merge"] == "both").all(), s
        for k in ("client", "professional", "difference", "reliable_difference"):
            close(got[k], got[f"{k}_r"])
        f, fr = got["flag"].to_numpy(dtype=object), got["flag_r"].to_numpy(dtype=object)
        assert [None if pd.isna(x) else x for x in f] == [None if pd.isna(x) else x for x in fr], s


def test_agreement_per_wave_matches_psych_icc_and_bland_altman(result):
    got = result.agreement.set_index(["subscale", "wave"])
    assert list(got.index) == [(r["subscale"], r["wave"]) for r in REF["agreement"]]
    for ref in REF["agreement"]:
        row = got.loc[(ref["subscale"], ref["wave"])]
        assert row["n_pairs"] == ref["n_pairs"]
        for k in ("icc_a1", "icc_c1", "icc_a1_lower", "icc_a1_upper", "icc_c1_lower", "icc_c1_upper"):
            assert row[k] == pytest.approx(ref[k], abs=1e-6), (ref["subscale"], ref["wave"], k)
        for k in (
            "mean_client",
            "mean_professional",
            "mean_difference",
            "sd_difference",
            "loa_low",
            "loa_high",
            "r",
            "reliability_client",
            "reliability_professional",
            "difference_reliability",
            "reliable_difference",
        ):
            assert row[k] == pytest.approx(ref[k], abs=TOL), (ref["subscale"], ref["wave"], k)
        assert row["n_client_higher"] == ref["n_client_higher"]
        assert row["n_professional_higher"] == ref["n_professional_higher"]
    # 701 dyad-waves of 400 dyads: no statistic pools them any more
    assert got["n_pairs"].max() < len(result.dyads)


def test_profile_correlation_and_its_summary_match_r(result):
    want = pd.DataFrame(REF["profiles"])
    got = result.profiles.merge(want, on=["dyad", "wave"], suffixes=("", "_r"), how="outer", indicator=True)
    assert (got["_merge"] == "both").all()
    close(got["profile_correlation"], got["profile_correlation_r"])
    assert (result.profiles["n_subscales"] <= 4).all()  # the four subscale pairs, never the total
    summ = result.profile_summary.set_index("wave")
    for ref in REF["profile_summary"]:
        row = summ.loc[ref["wave"]]
        assert (row["n_dyads"], row["n"]) == (ref["n_dyads"], ref["n"])
        assert row["mean"] == pytest.approx(ref["mean"], abs=TOL)
        assert row["median"] == pytest.approx(ref["median"], abs=TOL)


def test_reliable_change_matches_r(result):
    ch = result.change
    assert set(ch["from"]) == {"T0"} and set(ch["to"]) == {"T1"}
    for ref in REF["change"]:
        sel = ch[(ch["rater"] == ref["rater"]) & (ch["subscale"] == ref["subscale"])]
        want = pd.DataFrame({"dyad": ref["dyad"], "rci_r": ref["rci"], "cls_r": ref["classification"]})
        got = sel.merge(want, on="dyad", how="outer", indicator=True)
        assert (got["_merge"] == "both").all(), (ref["rater"], ref["subscale"])
        close(got["rci"], got["rci_r"])
        assert got["s_diff"].to_numpy() == pytest.approx(ref["s_diff"], abs=TOL)
        assert got["classification"].tolist() == got["cls_r"].tolist()
    counts = result.change_counts().set_index(["subscale", "rater"])
    assert (
        counts.loc[("reactance", "client"), "deteriorated"]
        == (ch[(ch.subscale == "reactance") & (ch.rater == "client")].classification == "deteriorated").sum()
    )


def test_caseload_matches_r_with_small_cell_suppression(result):
    keys = ["group", "wave", "rater", "subscale"]
    want = pd.DataFrame(REF["caseload"])
    got = result.caseload_scores.merge(want, on=keys, suffixes=("", "_r"), how="outer", indicator=True)
    assert len(got) == len(want) and (got["_merge"] == "both").all()
    assert (got["suppressed"] == got["suppressed_r"]).all()
    sup = got["suppressed"].to_numpy(dtype=bool)
    assert sup.any()  # the demo data have small caseloads: suppression is exercised
    assert got.loc[sup, ["n_clients", "mean", "sd", "p25", "median", "p75"]].isna().all().all()
    shown = got[~sup]
    assert (shown["n_clients"].astype(int) == shown["n_clients_r"].astype(int)).all()
    for k in ("mean", "sd", "p25", "median", "p75"):
        close(shown[k], shown[f"{k}_r"])
    d = result.to_dict()["caseload"]
    assert d["min_cell"] == 5 and d["column"] == "officer"
    sup = [r for r in d["scores"] if r["suppressed"]]
    assert all(r["n_clients"] is None and r["mean"] is None for r in sup)
    al = [r for r in d["alerts"] if r["suppressed"]]
    assert al and all(r["n_clients"] is None and r["n_alerts"] is None for r in al)


def test_apim_per_pair_matches_nlme_gls(result):
    entries = {e.score: e for e in result.apim}
    assert list(entries) == [r["subscale"] for r in REF["apim"]]
    for ref in REF["apim"]:
        e = entries[ref["subscale"]]
        assert (e.wave_from, e.wave_to) == (ref["wave_from"], ref["wave_to"])
        d = e.to_dict()
        for key in (
            "actor_client",
            "actor_professional",
            "partner_professional_on_client",
            "partner_client_on_professional",
            "k_client",
            "k_professional",
        ):
            assert d[key]["estimate"] == pytest.approx(ref[key]["estimate"], rel=EST), key
            assert d[key]["se"] == pytest.approx(ref[key]["se"], rel=SE), key
        # rho is near 0 for some pairs: a relative tolerance would ask for more digits than the optimiser gives
        assert d["residual_correlation"] == pytest.approx(ref["residual_correlation"], rel=EST, abs=1e-6)
        t = d["distinguishability_test"]
        assert t["statistic"] == pytest.approx(ref["distinguishability_test"]["statistic"], rel=1e-6)
        assert t["df"] == ref["distinguishability_test"]["df"] == 4
        assert e.result.n_rows == ref["n_rows"]


def test_to_dict_stable_keys_and_json_safe(result):
    d = result.to_dict()
    json.dumps(d, allow_nan=False)
    assert {
        "pairs",
        "agreement",
        "unpaired",
        "change",
        "alerts",
        "profiles",
        "profile_summary",
        "reliability",
        "caseload",
        "apim",
        "score_pairs",
        "shared",
        "wave_order",
        "settings",
    } <= set(d)
    assert set(d["pairs"][0]) >= {"dyad", "wave", "subscale", "client", "professional", "difference", "flag"}
    assert [(a["subscale"], a["wave"]) for a in d["agreement"]][:2] == [("trust", "T0"), ("trust", "T1")]
    assert set(d["agreement"][0]) >= {"icc_a1", "icc_c1", "mean_difference", "loa_low", "loa_high", "n_pairs"}
    assert set(d["unpaired"][0]) >= {"dyad", "wave", "rater"} and d["unpaired"][0]["rater"] in (
        "client",
        "professional",
    )
    assert set(d["alerts"][0]) >= {"dyad", "wave", "rule", "kind", "subscale", "value", "threshold", "wave_from"}
    assert set(d["apim"][0]) >= {
        "actor_client",
        "actor_professional",
        "partner_client_on_professional",
        "partner_professional_on_client",
        "residual_correlation",
        "k_client",
        "k_professional",
        "distinguishability_test",
    }
    assert d["shared"] == ["trust", "goals", "bond", "reactance/loss_of_energy", "alliance"]
    assert d["settings"]["pairs"] == {"reactance": "loss_of_energy"} and d["settings"]["lang"] == "en"
    p = d["pairs"][0]
    assert p["difference"] == pytest.approx(p["client"] - p["professional"])  # client - professional


def test_alerts_of_the_demo_follow_direction(result):
    al = result.alerts
    neg = al["subscale"].isin(["reactance", "loss_of_energy"])
    assert not (neg & al["rule"].isin(["low_alliance", "marked_drop"])).any()
    assert set(al.loc[neg, "rule"]) == {"high_negative_factor", "marked_rise", "reliable_deterioration"}
    counts = result.alert_counts()
    assert counts["n_alerts"].sum() == len(al)


def test_items_compared_where_both_forms_pair_them(result):
    # with the study's pair reactance/loss_of_energy, the fourth factor's items are compared too
    assert set(result.items["item"]) == {f"wam{i:02d}" for i in range(1, 20)}
    assert set(result.items.loc[result.items["item"] == "wam04", "subscale"]) == {"reactance/loss_of_energy"}
    raw = pd.read_csv(DEMO, dtype=str, keep_default_na=False)
    row = raw[(raw.dyad == "D0001") & (raw.wave == "T0")].set_index("rater")
    it = result.items[(result.items.dyad == "D0001") & (result.items.wave == "T0") & (result.items.item == "wam13")]
    assert it["client"].iloc[0] == float(row.loc["client", "wam13"])  # answers as given (reverse key undone)
    assert it["professional"].iloc[0] == float(row.loc["professional", "wam13"])


# ----------------------------------------------------------------------------- pairing the two forms


@pytest.fixture(scope="module")
def small():
    """Two caseloads of the demo without the study's pairs (forms given per role)."""
    return read(str(DEMO), instrument=FORMS, rater="rater", dyad="dyad", wave="wave", where=["officer=PO035,PO008"])


@pytest.fixture(scope="module")
def small_result(small):
    return dyads(small)


def test_without_declared_pairs_only_same_scores_pair(small, small_result):
    res = small_result
    assert res.shared == ("trust", "goals", "bond", "alliance")
    assert set(res.items["item"]) == {f"wam{i:02d}" for i in range(1, 20)} - {"wam04", "wam08", "wam12", "wam16"}
    ids = [s["id"] for s in res.subscales]
    assert ids == ["trust", "goals", "bond", "reactance", "loss_of_energy", "alliance"]
    forms = {s["id"]: s["forms"] for s in res.subscales}
    assert forms["reactance"] == ["client"] and forms["loss_of_energy"] == ["professional"]
    assert res.caseload_scores is None  # no officer column declared


def renamed(tmp_path, name):
    """The professional demo form with loss_of_energy renamed to reactance (id) and ``name``."""
    text = (EXAMPLES.parent / "instruments" / "wam-demo-professional.yaml").read_text()
    text = text.replace("id: loss_of_energy", "id: reactance").replace("loss_of_energy:", "reactance:")
    text = text.replace("name: Loss of energy", f"name: {name}").replace(
        "id: wam-demo-professional", "id: wam-demo-renamed"
    )
    p = tmp_path / "renamed.yaml"
    p.write_text(text)
    return load_instrument(str(p))


def test_same_id_with_another_name_is_refused(tmp_path):
    client = load_instrument("wam-demo-client")
    prof = renamed(tmp_path, "Loss of energy")
    with pytest.raises(UsageError) as exc:
        resolve_pairs(client, prof)
    msg = exc.value.message
    assert "\n" not in msg
    assert (
        "score 'reactance' is named 'Reactance' on the client form (wam-demo-client) but 'Loss of energy' on "
        "the professional form (wam-demo-renamed)"
    ) in msg
    assert "declare the pair (pairs: {reactance: reactance})" in msg
    assert [p.id for p in resolve_pairs(client, prof, {"reactance": "reactance"})][-2] == "reactance"
    assert resolve_pairs(client, renamed(tmp_path, "reactance"))[3].id == "reactance"  # same name: paired


@pytest.mark.parametrize(
    "pairs, fragment",
    [
        ({"nope": "loss_of_energy"}, "'nope' is not a score of the client form wam-demo-client"),
        ({"reactance": "nope"}, "'nope' is not a score of the professional form wam-demo-professional"),
        ({"reactance": "trust"}, "'reactance' (higher is worse) and 'trust' (higher is better) point in opposite"),
        ({"trust": "alliance"}, "'trust' is a subscale but 'alliance' is a total"),
        ({"trust": "bond", "goals": "bond"}, "professional score 'bond' is paired with both 'trust' and 'goals'"),
    ],
)
def test_declared_pairs_are_checked(pairs, fragment):
    with pytest.raises(UsageError, match=re.escape(fragment)):
        resolve_pairs(load_instrument("wam-demo-client"), load_instrument("wam-demo-professional"), pairs)


def test_a_bad_pair_in_the_study_names_the_study_line(tmp_path):
    text = STUDY.read_text().replace("pairs: {reactance: loss_of_energy}", "pairs: {reactance: trust}")
    text = text.replace("path: wam_demo.csv", f"path: {DEMO}")
    p = tmp_path / "study.yaml"
    p.write_text(text)
    line = text.splitlines().index("pairs: {reactance: trust}") + 1
    with pytest.raises(StudyError, match=rf"study.yaml:{line}: pairs.reactance: 'reactance' \(higher is worse\)"):
        dyads(read(study=str(p), where=["officer=PO035"]))


# ----------------------------------------------------------------------------- small hand-made cases

INSTRUMENT = textwrap.dedent("""\
    id: tiny
    name: Tiny
    version: "1"
    scale: {min: 1, max: 5}
    items: [{id: a1}, {id: a2}, {id: b1}, {id: b2}, {id: c1}, {id: c2}]
    subscales:
      - {id: sa, name: A, items: [a1, a2], description: "about A"}
      - {id: sb, name: B, items: [b1, b2]}
      - {id: sc, name: C, items: [c1, c2]}
    """)


def tiny_frame():
    rng = np.random.default_rng(5)
    rows = []
    for d in range(1, 9):
        for w in ("T0", "T1"):
            base = rng.integers(2, 5)
            for r in ("client", "professional"):
                vals = np.clip(base + rng.integers(-1, 2, size=6), 1, 5)
                rows.append(
                    {
                        "dyad": f"X{d}",
                        "rater": r,
                        "wave": w,
                        "note": "free text about X1",
                        **{k: str(v) for k, v in zip(["a1", "a2", "b1", "b2", "c1", "c2"], vals, strict=True)},
                    }
                )
    return pd.DataFrame(rows)


@pytest.fixture
def tiny(tmp_path):
    p = tmp_path / "tiny.yaml"
    p.write_text(INSTRUMENT)

    def make(frame, **settings):
        f = tmp_path / "tiny.csv"
        frame.to_csv(f, index=False)
        return read(str(f), instrument=str(p), **{"rater": "rater", "dyad": "dyad", **settings})

    return make


def test_reliable_difference_per_wave_by_hand(tiny):
    frame = tiny_frame()
    res = dyads(tiny(frame, wave="wave"))
    rel = res.reliability.set_index(["rater", "subscale", "wave"])
    for w in ("T0", "T1"):
        for s in ("sa", "sb", "sc"):
            sems = []
            for r in ("client", "professional"):
                rows = frame[(frame.rater == r) & (frame.wave == w)]
                X = rows[[f"{s[1]}1", f"{s[1]}2"]].astype(float).to_numpy()
                C = np.cov(X, rowvar=False)
                a = 2 * (1 - np.trace(C) / C.sum())  # Cronbach's alpha by hand (k = 2)
                sd = X.mean(axis=1).std(ddof=1)
                assert rel.loc[(r, s, w), "alpha"] == pytest.approx(a, abs=1e-12)
                sems.append(sd * np.sqrt(1 - a) if 0 <= a < 1 else np.nan)
            p = res.pairs[(res.pairs.subscale == s) & (res.pairs.wave == w)]
            if any(np.isnan(sems)):  # a negative alpha (client sc at T1 here) is no reliability: no RD, no flag
                assert p["reliable_difference"].isna().all() and p["flag"].isna().all()
                assert any(
                    f"{s} (client, wave {w}): alpha" in x or f"{s} (professional, wave {w}): alpha" in x
                    for x in res.warnings
                )
                continue
            rd = 1.96 * np.hypot(*sems)
            assert p["reliable_difference"].to_numpy() == pytest.approx(rd, abs=1e-12)
            d = p["difference"].to_numpy()
            want = np.where(d > rd, FLAG_CLIENT_HIGHER, np.where(-d > rd, FLAG_PROFESSIONAL_HIGHER, ""))
            assert p["flag"].tolist() == want.tolist()
    assert "free text" not in json.dumps(res.to_dict())  # free text never reaches a result


def test_unpaired_rows_listed_not_dropped(tiny):
    frame = tiny_frame().drop(index=[3]).reset_index(drop=True)  # X1 T1 professional missing
    res = dyads(tiny(frame, wave="wave"))
    assert res.unpaired[["dyad", "wave", "rater"]].values.tolist() == [["X1", "T1", "client"]]
    assert res.unpaired["row"].tolist() == [3]
    assert not ((res.pairs.dyad == "X1") & (res.pairs.wave == "T1")).any()
    assert any("no partner" in w for w in res.warnings)


def test_duplicate_rows_are_a_clear_error(tiny):
    frame = pd.concat([tiny_frame(), tiny_frame().iloc[[0]]], ignore_index=True)
    with pytest.raises(DataError, match=r"duplicate rows for dyad X1, wave T0, rater client: 2 rows \(rows 1, 33\)"):
        dyads(tiny(frame, wave="wave"))


def test_without_wave_repeated_rows_are_duplicates(tiny):
    with pytest.raises(DataError, match=r"first: dyad X1, rater client: 2 rows \(rows 1, 3\)"):
        dyads(tiny(tiny_frame()))


def test_single_instrument_with_custom_rater_values_and_no_wave(tiny):
    frame = tiny_frame()
    frame = frame[frame.wave == "T0"].drop(columns="wave")
    frame["rater"] = frame["rater"].map({"client": "cl", "professional": "po"})
    res = dyads(tiny(frame, client_value="cl", professional_value="po"))
    assert res.pairs["wave"].isna().all() and len(res.change) == 0 and res.wave_order == ()
    assert res.pairs.groupby("dyad").size().tolist() == [3] * 8
    assert res.agreement["wave"].isna().all() and len(res.agreement) == 3
    assert set(res.alerts["rule"]) <= {"low_alliance", "rater_divergence"}
    assert any("fewer than two waves" in w for w in res.warnings)
    with pytest.raises(DataError, match="rater"):
        dyads(tiny(frame))


def test_missing_design_columns_are_named(small):
    with pytest.raises(UsageError, match="dyads need the dyad column: dyad=COLUMN"):
        dyads(read(str(DEMO), instrument=FORMS, rater="rater", wave="wave", where=["officer=PO035"]))
    with pytest.raises(UsageError, match="officer: .* has no column 'team'"):
        dyads(small, officer="team")
    with pytest.raises(UsageError, match="min_cell must be at least 1"):
        dyads(small, min_cell=0)
    with pytest.raises(UsageError, match="lang must be one of en, nl, fr"):
        dyads(small, lang="de")


def test_pairs_and_officer_as_parameters_and_min_cell(small):
    res = dyads(small, pairs={"reactance": "loss_of_energy"}, officer="officer", min_cell=1000)
    assert res.shared[-2] == "reactance/loss_of_energy" and res.settings["pairs"] == {"reactance": "loss_of_energy"}
    assert res.caseload_scores["suppressed"].all() and res.caseload_scores["mean"].isna().all()


def test_scores_given_must_keep_items(small, small_result):
    with pytest.raises(UsageError, match="scores: score the data with keep_items=True"):
        dyads(small, scores=score_data(small))
    given = dyads(small, scores=score_data(small, keep_items=True))
    assert given.to_dict()["agreement"] == small_result.to_dict()["agreement"]


def test_labelled_spss_wave_shows_labels_and_numeric_wave_no_decimals(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    raw = pd.read_csv(DEMO, dtype=str, keep_default_na=False)
    raw = raw[raw.officer.isin(["PO035", "PO008"])].copy()
    raw["wave"] = raw["wave"].map({"T0": 0.0, "T1": 6.0})
    for c in [c for c in raw.columns if c.startswith("wam")]:
        raw[c] = pd.to_numeric(raw[c], errors="coerce")
    sav = tmp_path / "demo.sav"
    pyreadstat.write_sav(raw, str(sav), variable_value_labels={"wave": {0.0: "baseline", 6.0: "6 months"}})
    res = dyads(read(str(sav), instrument=FORMS, rater="rater", dyad="dyad", wave="wave"))
    # labelled codes arrive as their labels, in code order (not alphabetically)
    assert res.wave_order == ("baseline", "6 months")
    from wamkit.render.sheet import reflection_sheet

    h = reflection_sheet(res, res.dyads[0])
    assert "waves baseline, 6 months" in h and "wave 6 months" in h and "(wave 6 months)" in h
    assert not re.search(r"(wave|waves) [06]\.0", h) and "6.0 →" not in h
    pq = tmp_path / "demo.parquet"
    raw.to_parquet(pq)
    res = dyads(read(str(pq), instrument=FORMS, rater="rater", dyad="dyad", wave="wave"))
    assert res.wave_order == ("0", "6") and res.wave_labels == {}
    h = reflection_sheet(res, res.dyads[0])
    assert "waves 0, 6" in h and "(wave 6)" in h and "(0 → 6)" in h
    assert not re.search(r"(wave|waves) [06]\.0", h)


# ----------------------------------------------------------------------------- pseudonyms


def test_pseudonym_is_hmac_sha256_rfc4231():
    # RFC 4231 test case 1: key 0x0b * 20, data "Hi There"
    assert pseudonym("Hi There", b"\x0b" * 20) == "P-b0344c61d8db"
    assert pseudonym("D0001", KEY) == "P-" + hmac.new(KEY, b"D0001", hashlib.sha256).hexdigest()[:12]
    assert pseudonym(" D0001 ", KEY) == pseudonym("D0001", KEY)
    assert pseudonym("D0001", KEY) != pseudonym("D0001", KEY + b"x")
    m = pseudonym_map(["a", "b", "a", None, np.nan], KEY)
    assert set(m) == {"a", "b"} and len(set(m.values())) == 2


def test_load_key_refuses_without_key(tmp_path):
    with pytest.raises(UsageError, match="needs a secret key"):
        load_key(None, environ={})
    short = tmp_path / "k"
    short.write_text("short\n")
    with pytest.raises(UsageError, match="too short"):
        load_key(short)
    with pytest.raises(UsageError, match="cannot read key file"):
        load_key(tmp_path / "absent")
    good = tmp_path / "good"
    good.write_bytes(KEY + b"\n")
    assert load_key(good) == KEY
    assert load_key(None, environ={ENV_KEY: KEY.decode() + "\n"}) == KEY


def test_pseudonymised_analysis_holds_no_original_id():
    data = read(
        str(DEMO),
        instrument=FORMS,
        rater="rater",
        dyad="dyad",
        wave="wave",
        officer="officer",
        where=["officer=PO035,PO008"],
    )
    res = dyads(data, pseudonymise=["dyad", "officer"], key=KEY, min_cell=3)
    text = json.dumps(res.to_dict())
    assert not re.search(r"D\d{4}", text) and not re.search(r"PO\d{3}", text)
    assert pseudonym("D0001", KEY) in text and pseudonym("PO035", KEY, prefix="G-") in text
    assert res.settings["where"] == [
        f"officer={pseudonym('PO035', KEY, prefix='G-')},{pseudonym('PO008', KEY, prefix='G-')}"
    ]
    assert all("PO0" not in n for n in res.notes) and any("G-" in n for n in res.notes)
    from wamkit.dyads.sheet import sheet_data
    from wamkit.render.sheet import reflection_sheet

    h = reflection_sheet(res, "D0001", key=KEY)
    assert pseudonym("D0001", KEY) in h and "D0001" not in h
    assert sheet_data(res, pseudonym("D0001", KEY)).dyad == pseudonym("D0001", KEY)
    with pytest.raises(UsageError, match=r"dyad \(given\) is not in the data$"):
        sheet_data(res, "D9999", key=KEY)
    with pytest.raises(UsageError, match="pseudonymise needs key"):
        dyads(data, pseudonymise=["dyad"])
    with pytest.raises(UsageError, match="'wave' is the wave column"):
        dyads(data, pseudonymise=["wave"], key=KEY)
