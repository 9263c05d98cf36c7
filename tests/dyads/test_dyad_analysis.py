"""wamkit.dyads.analysis and wamkit.pseudonym: the dyad analysis against R, pairing edge cases, sheets.

Reference: tests/reference/dyad_report.json, written by tests/reference/dyad_report.R from
examples/wam_demo.csv with base R and psych (scoring, psych::alpha, psych::ICC, RCI, caseload).
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
from wamkit.scoring.multi import load_instrument_specs, read_multi_table
from wamkit.dyads.analysis import (
    FLAG_CLIENT_HIGHER,
    FLAG_PROFESSIONAL_HIGHER,
    analyse_dyads,
    build_reflection_sheets,
    render_sheet,
    sheet_filename,
)
from wamkit.errors import DataError, UsageError
from wamkit.instrument import load_instrument
from wamkit.pseudonym import ENV_KEY, load_key, pseudonym, pseudonym_map

REF = json.loads((REFERENCE / "dyad_report.json").read_text())
DEMO = EXAMPLES / "wam_demo.csv"
SPECS = ["client=wam-demo-client", "professional=wam-demo-professional"]
KEY = b"0123456789abcdef-test-key"
TOL = 1e-9


@pytest.fixture(scope="module")
def demo():
    ins = load_instrument_specs(SPECS, "rater")
    table = read_multi_table(str(DEMO), ins)
    return ins, table.frame


@pytest.fixture(scope="module")
def result(demo):
    ins, frame = demo
    before = frame.copy()
    res = analyse_dyads(frame, instruments=ins, dyad="dyad", rater="rater", wave="wave", caseload="officer")
    pd.testing.assert_frame_equal(frame, before)  # input not modified
    return res


def close(a, b, tol=TOL):
    a = np.asarray(a, dtype=float)
    b = np.asarray([np.nan if v is None else v for v in b], dtype=float)
    assert a.shape == b.shape
    assert np.array_equal(np.isnan(a), np.isnan(b))
    ok = ~np.isnan(a)
    np.testing.assert_allclose(a[ok], b[ok], rtol=0, atol=tol)


# ----------------------------------------------------------------------------- against R


def test_reliability_alpha_sd_sem_match_psych(result):
    got = result.reliability.set_index(["rater", "subscale"])
    assert len(got) == len(REF["reliability"]) == 10
    for ref in REF["reliability"]:
        row = got.loc[(ref["rater"], ref["subscale"])]
        assert row["alpha"] == pytest.approx(ref["alpha"], abs=TOL)
        assert row["sd_baseline"] == pytest.approx(ref["sd_baseline"], abs=TOL)
        assert row["sem"] == pytest.approx(ref["sem"], abs=TOL)
        assert row["n_obs"] == ref["n_obs"]


def test_pairs_differences_and_flags_match_r(result):
    for s, ref in REF["pairs"].items():
        want = pd.DataFrame({k: ref[k] for k in ("dyad", "wave", "client", "professional", "difference", "flag")})
        got = result.pairs[result.pairs["subscale"] == s].merge(want, on=["dyad", "wave"], suffixes=("", "_r"),
                                                                 how="outer", indicator=True)
        assert (got["_merge"] == "both").all(), s
        close(got["client"], got["client_r"])
        close(got["professional"], got["professional_r"])
        close(got["difference"], got["difference_r"])
        assert got["reliable_difference"].to_numpy() == pytest.approx(ref["reliable_difference"], abs=TOL)
        f, fr = got["flag"].to_numpy(dtype=object), got["flag_r"].to_numpy(dtype=object)
        assert [None if pd.isna(x) else x for x in f] == [None if pd.isna(x) else x for x in fr], s


def test_agreement_matches_psych_icc_and_bland_altman(result):
    got = result.agreement.set_index("subscale")
    assert list(got.index) == ["trust", "goals", "bond", "alliance"]
    for s, ref in REF["agreement"].items():
        row = got.loc[s]
        assert row["n_pairs"] == ref["n_pairs"]
        for k in ("icc_a1", "icc_c1", "icc_a1_lower", "icc_a1_upper", "icc_c1_lower", "icc_c1_upper"):
            assert row[k] == pytest.approx(ref[k], abs=1e-6), (s, k)
        for k in ("mean_difference", "sd_difference", "loa_low", "loa_high", "r", "reliability_client",
                  "reliability_professional", "difference_reliability", "reliable_difference"):
            assert row[k] == pytest.approx(ref[k], abs=TOL), (s, k)
        flags = result.pairs.loc[result.pairs["subscale"] == s, "flag"]
        assert (flags == FLAG_CLIENT_HIGHER).sum() == ref["n_client_higher"]
        assert (flags == FLAG_PROFESSIONAL_HIGHER).sum() == ref["n_professional_higher"]


def test_profile_correlation_matches_r(result):
    want = pd.DataFrame(REF["profiles"])
    got = result.profiles.merge(want, on=["dyad", "wave"], suffixes=("", "_r"), how="outer", indicator=True)
    assert (got["_merge"] == "both").all()
    close(got["profile_correlation"], got["profile_correlation_r"])


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


def test_caseload_matches_r_with_small_cell_suppression(result):
    got = result.caseload_scores.set_index(["group", "wave", "rater", "subscale"])
    assert len(got) == len(REF["caseload"])
    n_sup = 0
    for ref in REF["caseload"]:
        row = got.loc[(ref["group"], ref["wave"], ref["rater"], ref["subscale"])]
        assert bool(row["suppressed"]) == ref["suppressed"]
        if ref["suppressed"]:
            n_sup += 1
            assert pd.isna(row["n_clients"]) and all(pd.isna(row[k]) for k in ("mean", "sd", "p25", "median", "p75"))
            continue
        assert row["n_clients"] == ref["n_clients"]
        for k in ("mean", "sd", "p25", "median", "p75"):
            assert row[k] == pytest.approx(ref[k], abs=TOL), k
    assert n_sup > 0  # the demo data have small caseloads: suppression is exercised
    d = result.to_dict()["caseload"]
    assert d["min_cell"] == 5
    sup = [r for r in d["scores"] if r["suppressed"]]
    assert all(r["n_clients"] is None and r["mean"] is None for r in sup)
    al = [r for r in d["alerts"] if r["suppressed"]]
    assert al and all(r["n_clients"] is None and r["n_alerts"] is None for r in al)


def test_to_dict_stable_keys_and_json_safe(result):
    d = result.to_dict()
    json.dumps(d, allow_nan=False)
    assert {"pairs", "agreement", "unpaired", "change", "alerts"} <= set(d)
    assert set(d["pairs"][0]) >= {"dyad", "wave", "subscale", "client", "professional", "difference"}
    assert set(d["agreement"]["trust"]) >= {"icc_a1", "icc_c1", "mean_difference", "loa_low", "loa_high", "n_pairs"}
    assert set(d["unpaired"][0]) >= {"dyad", "wave", "rater"}
    assert set(d["alerts"][0]) >= {"dyad", "wave", "rule"}
    assert d["unpaired"][0]["rater"] in ("client", "professional")
    # difference = client - professional
    p = d["pairs"][0]
    assert p["difference"] == pytest.approx(p["client"] - p["professional"])


def test_items_compared_only_where_both_forms_agree(result):
    # wam04/08/12/16 are reactance (client) but loss of energy (professional): not compared
    assert set(result.items["item"]) == {f"wam{i:02d}" for i in range(1, 20)} - {"wam04", "wam08", "wam12", "wam16"}
    # answers as given: reverse keys undone (wam13 raw in the file)
    raw = pd.read_csv(DEMO, dtype=str, keep_default_na=False)
    row = raw[(raw.dyad == "D0001") & (raw.wave == "T0")].set_index("rater")
    it = result.items[(result.items.dyad == "D0001") & (result.items.wave == "T0") & (result.items.item == "wam13")]
    assert it["client"].iloc[0] == float(row.loc["client", "wam13"])
    assert it["professional"].iloc[0] == float(row.loc["professional", "wam13"])


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
                rows.append({"dyad": f"X{d}", "rater": r, "wave": w, "note": "free text about X1",
                             **{k: str(v) for k, v in zip(["a1", "a2", "b1", "b2", "c1", "c2"], vals)}})
    return pd.DataFrame(rows)


@pytest.fixture
def tiny(tmp_path):
    p = tmp_path / "tiny.yaml"
    p.write_text(INSTRUMENT)
    return {None: load_instrument(str(p))}


def test_reliable_difference_by_hand(tiny):
    frame = tiny_frame()
    res = analyse_dyads(frame, instruments=tiny, dyad="dyad", rater="rater", wave="wave")
    rel = res.reliability.set_index(["rater", "subscale"])
    for s in ("sa", "sb", "sc"):
        sems = []
        for r in ("client", "professional"):
            rows = frame[(frame.rater == r) & (frame.wave == "T0")]
            X = rows[[f"{s[1]}1", f"{s[1]}2"]].astype(float).to_numpy()
            k = 2
            C = np.cov(X, rowvar=False)
            a = k / (k - 1) * (1 - np.trace(C) / C.sum())  # Cronbach's alpha by hand
            sd0 = X.mean(axis=1).std(ddof=1)
            assert rel.loc[(r, s), "alpha"] == pytest.approx(a, abs=1e-12)
            sems.append(sd0 * np.sqrt(1 - a))
        rd = 1.96 * np.hypot(*sems)
        p = res.pairs[res.pairs.subscale == s]
        assert p["reliable_difference"].to_numpy() == pytest.approx(rd, abs=1e-12)
        d = p["difference"].to_numpy()
        want = np.where(d > rd, FLAG_CLIENT_HIGHER, np.where(-d > rd, FLAG_PROFESSIONAL_HIGHER, ""))
        assert p["flag"].tolist() == want.tolist()
    # free text never reaches a result
    assert "free text" not in json.dumps(res.to_dict())


def test_unpaired_rows_listed_not_dropped(tiny):
    frame = tiny_frame()
    frame = frame.drop(index=[3]).reset_index(drop=True)  # X1 T1 professional missing
    res = analyse_dyads(frame, instruments=tiny, dyad="dyad", rater="rater", wave="wave")
    assert res.unpaired[["dyad", "wave", "rater"]].values.tolist() == [["X1", "T1", "client"]]
    assert res.unpaired["row"].tolist() == [3]
    assert not ((res.pairs.dyad == "X1") & (res.pairs.wave == "T1")).any()
    assert any("no partner" in w for w in res.warnings)


def test_duplicate_rows_are_a_clear_error(tiny):
    frame = tiny_frame()
    frame = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
    with pytest.raises(DataError, match=r"duplicate rows for dyad X1, wave T0, rater client: 2 rows \(rows 1, 33\)"):
        analyse_dyads(frame, instruments=tiny, dyad="dyad", rater="rater", wave="wave")


def test_without_wave_repeated_rows_are_duplicates(tiny):
    with pytest.raises(DataError, match=r"first: dyad X1, rater client: 2 rows \(rows 1, 3\)"):
        analyse_dyads(tiny_frame(), instruments=tiny, dyad="dyad", rater="rater")


def test_single_instrument_with_custom_rater_values_and_no_wave(tiny):
    frame = tiny_frame()
    frame = frame[frame.wave == "T0"].drop(columns="wave")
    frame["rater"] = frame["rater"].map({"client": "cl", "professional": "po"})
    res = analyse_dyads(frame, instruments=tiny, dyad="dyad", rater="rater", client_value="cl",
                        professional_value="po")
    assert res.pairs["wave"].isna().all() and len(res.change) == 0
    assert res.pairs.groupby("dyad").size().tolist() == [3] * 8
    assert set(res.alerts["rule"]) <= {"low_alliance", "rater_divergence"}
    with pytest.raises(DataError, match="neither 'client' nor 'professional'"):
        analyse_dyads(frame, instruments=tiny, dyad="dyad", rater="rater")


def test_forms_with_different_subscales_pair_what_both_have(demo, result):
    assert result.shared == ("trust", "goals", "bond", "alliance")
    assert set(result.pairs["subscale"]) == set(result.shared)
    ids = [s["id"] for s in result.subscales]
    assert ids == ["trust", "goals", "bond", "reactance", "loss_of_energy", "alliance"]
    forms = {s["id"]: s["forms"] for s in result.subscales}
    assert forms["reactance"] == ["client"] and forms["loss_of_energy"] == ["professional"]


def test_missing_instrument_for_a_role_and_missing_columns(demo):
    ins, frame = demo
    with pytest.raises(UsageError, match="none for 'prof'"):
        analyse_dyads(frame, instruments=ins, dyad="dyad", rater="rater", professional_value="prof")
    with pytest.raises(UsageError, match="no column"):
        analyse_dyads(frame, instruments=ins, dyad="client_id", rater="rater")
    with pytest.raises(DataError, match="not in --wave-order"):
        analyse_dyads(frame, instruments=ins, dyad="dyad", rater="rater", wave="wave", wave_order=["T0", "T2"])


def test_min_cell_controls_suppression(demo):
    ins, frame = demo
    res = analyse_dyads(frame, instruments=ins, dyad="dyad", rater="rater", wave="wave", caseload="officer",
                        min_cell=1000)
    assert res.caseload_scores["suppressed"].all() and res.caseload_scores["mean"].isna().all()
    with pytest.raises(UsageError, match="min-cell"):
        analyse_dyads(frame, instruments=ins, dyad="dyad", rater="rater", caseload="officer", min_cell=0)


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


def test_pseudonymised_analysis_holds_no_original_id(demo):
    ins, frame = demo
    res = analyse_dyads(frame, instruments=ins, dyad="dyad", rater="rater", wave="wave", caseload="officer",
                        pseudonym_key=KEY)
    text = json.dumps(res.to_dict())
    assert not re.search(r"D\d{4}", text) and not re.search(r"PO\d{3}", text)
    assert pseudonym("D0001", KEY) in text
    assert res.alerts["message"].str.contains("P-").any()  # missing follow-up messages name the pseudonym
    sheets = build_reflection_sheets(frame.iloc[:40], dyad_ids=["D0001"], instruments=ins, dyad="dyad",
                                     rater="rater", wave="wave", pseudonym_key=KEY)
    s = sheets.sheets[0]
    assert s.dyad == pseudonym("D0001", KEY) and "D0001" not in s.filename and "D0001" not in s.html


# ----------------------------------------------------------------------------- sheets


def test_sheet_is_self_contained_and_complete(demo):
    ins, frame = demo
    sheets = build_reflection_sheets(frame, dyad_ids=["D0006"], instruments=ins, dyad="dyad", rater="rater",
                                     wave="wave")
    (s,) = sheets.sheets
    h = s.html
    assert s.filename == "reflection-sheet-D0006.html"
    assert h.startswith("<!DOCTYPE html>") and "<svg" in h and "@media print" in h and "size: A4" in h
    for bad in ("<script", "<link", "<img", "<iframe", "url(", "@import", "src="):
        assert bad not in h.lower(), bad
    assert re.findall(r"https?://[^\s\"'<>]+", h) == ["http://www.w3.org/2000/svg"]  # SVG namespace only
    ins_c = ins["client"]
    for sub in ins_c.subscales:
        assert sub.name in h or html_escape(sub.name) in h
        assert html_escape(sub.description) in h
    assert "Loss of energy" in h
    assert "D0006" in h and "D0001" not in h
    assert "Points to talk about" in h and "Change since the last wave" in h and "differ most" in h
    # the sheet's numbers are those of the analysis
    p = sheets.analysis.pairs
    trust = p[(p.dyad == "D0006") & (p.wave == "T1") & (p.subscale == "trust")].iloc[0]
    assert f"{trust.client:.2f}" in h and f"{trust.professional:.2f}" in h


def html_escape(s):
    import html

    return html.escape(s, quote=True)


def test_sheet_without_waves(demo):
    ins, frame = demo
    t1 = frame[frame.wave == "T1"]
    sheets = build_reflection_sheets(t1, dyad_ids=["D0006"], instruments=ins, dyad="dyad", rater="rater")
    res = sheets.analysis
    assert res.wave_order == () and res.pairs["wave"].isna().all() and len(res.change) == 0
    assert res.profiles["profile_correlation"].notna().any()
    h = sheets.sheets[0].html
    assert "<svg" in h and "No earlier wave to compare with." in h and "wave T1" not in h


def test_sheet_all_dyads_and_unknown_dyad(demo):
    ins, frame = demo
    small = frame[frame.officer == "PO035"]
    sheets = build_reflection_sheets(small, instruments=ins, dyad="dyad", rater="rater", wave="wave")
    assert [s.dyad for s in sheets.sheets] == list(dict.fromkeys(small["dyad"]))
    assert len({s.filename for s in sheets.sheets}) == len(sheets.sheets)
    with pytest.raises(UsageError, match="'D9999' is not in the data"):
        build_reflection_sheets(small, dyad_ids=["D9999"], instruments=ins, dyad="dyad", rater="rater", wave="wave")
    assert render_sheet(sheets.analysis, sheets.sheets[0].dyad) == sheets.sheets[0].html


def test_sheet_filename_is_safe():
    assert sheet_filename("../etc/passwd") == "reflection-sheet-_etc_passwd.html"
    assert sheet_filename("D 1/2") == "reflection-sheet-D_1_2.html"
