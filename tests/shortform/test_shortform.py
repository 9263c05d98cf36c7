"""The short-form builder: selection on simulated data with known loadings, cross-validation output, the
instrument writer, the psych::bestScales baseline (against R) and ``wamkit shorten``.

Simulated data: tests/data/shortform_sim.csv = wamkit.shortform.simulate.simulate_items(seed=1, n=400,
missing=0.02) (the generator is seeded and documented; the test below checks that it reproduces the file), with
its instrument tests/data/shortform_sim.yaml.  bestScales reference: tests/reference/irt.json
(tests/reference/irt.R).
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from conftest import DATA, REFERENCE
from wamkit.errors import DataError, UsageError
from wamkit.instrument import load_instrument
from wamkit.scoring import score
from wamkit.shortform import DEFAULT_SEED, best_scales, data_sha256, shorten
from wamkit.shortform.crossval import make_folds
from wamkit.shortform.selection import fit_subscale, objective, search, theta_for_score
from wamkit.shortform.simulate import simulate_items

BEST = json.loads((REFERENCE / "irt.json").read_text())["best_scales"]


@pytest.fixture(scope="module")
def sim():
    return simulate_items(seed=1, n=400, missing=0.02)


@pytest.fixture(scope="module")
def result(sim):
    """The full pipeline once: 400 rows x 19 items, 5 folds, CFA."""
    return shorten(sim.items, sim.instrument, items_per_scale=3)


# ----------------------------------------------------------------------------- simulation check
def test_generator_reproduces_committed_data(sim):
    committed = pd.read_csv(DATA / "shortform_sim.csv")
    pd.testing.assert_frame_equal(committed.astype(float), sim.items, check_dtype=False)


def test_keeps_items_with_highest_true_loadings(sim, result):
    """Over three seeds (12 subscales) the builder keeps exactly the 3 items with the largest true loadings in at
    least 80% of the subscales."""
    hits = [result.kept[s] == sim.best_items(3)[s] for s in result.kept]
    for seed in (2, 3):
        other = simulate_items(seed=seed, n=300, missing=0.02)
        res = shorten(other.items, other.instrument, items_per_scale=3, folds=2, cfa=False, seed=seed)
        hits += [res.kept[s] == other.best_items(3)[s] for s in res.kept]
    assert len(hits) == 12
    assert np.mean(hits) >= 0.8


def test_same_seed_same_result(sim):
    part = sim.items.iloc[:120]
    a = shorten(part, sim.instrument, items_per_scale=3, folds=2, cfa=False, seed=7)
    b = shorten(part, sim.instrument, items_per_scale=3, folds=2, cfa=False, seed=7)
    assert a.to_dict() == b.to_dict()


# ----------------------------------------------------------------------------- output
def test_json_shape(result):
    d = result.to_dict()
    json.dumps(d)
    sh = d["shorten"]
    assert set(sh) >= {"subscales", "settings", "folds", "fit", "warnings"}
    trust = sh["subscales"]["trust"]
    for key in ("kept", "dropped", "reliability_full", "reliability_short", "r_short_full", "fit", "items"):
        assert key in trust
    assert set(trust["r_short_full"]) >= {"estimate", "ci_low", "ci_high"}
    assert trust["r_short_full"]["ci_low"] < trust["r_short_full"]["estimate"] < trust["r_short_full"]["ci_high"]
    assert trust["r_short_full"]["n"] == 400  # every row was held out once
    item = trust["items"]["trust_1"]
    assert set(item) >= {"discrimination", "thresholds", "information"} and len(item["thresholds"]) == 4
    assert len(trust["kept"]) == 3 and len(trust["dropped"]) == 2
    assert len(sh["folds"]) == 5 and sum(f["n_test"] for f in sh["folds"]) == 400
    st = sh["settings"]
    assert st["seed"] == DEFAULT_SEED and st["folds"] == 5 and st["information_range"] == [-1.0, 1.0]
    assert len(st["data_sha256"]) == 64
    for form in ("full", "short"):
        assert sh["fit"]["cross_validated"][form]["folds"] == 5
        assert 0 < sh["fit"]["cross_validated"][form]["heldout_srmr"] < 0.2
        assert sh["fit"]["in_sample"][form]["df"] > 0
    assert trust["fit"]["omega_short"] is not None and set(trust["fit"]["std_loadings_short"]) == set(trust["kept"])
    assert not [w for w in result.warnings if "converge" in w]


def test_reliability_side_by_side(result):
    for s, d in result.subscales.items():
        assert 0.6 < d["reliability_short"] < 1 and 0.6 < d["reliability_full"] < 1, s
        assert d["information"]["mean_short"] < d["information"]["mean_full"]
        lo, hi = d["information"]["theta_range"]
        assert lo <= d["information"]["least_informative_theta"] <= hi
        assert 0 <= d["stability"] <= 1


def test_to_frame(result):
    fr = result.to_frame()
    assert len(fr) == 19
    assert {"subscale", "item", "kept", "selected_in_folds", "discrimination", "information", "threshold_1"} <= set(fr)
    assert fr.groupby("subscale")["kept"].sum().to_dict() == {"bond": 3, "goals": 3, "reactance": 3, "trust": 3}


def test_frames_and_document(result):
    frames = result.to_frames()
    assert list(frames) == ["items", "subscales", "folds"]
    assert len(frames["subscales"]) == 4 and len(frames["folds"]) == 5 * 4
    assert result.to_frame("subscales")["reliability_short"].between(0.5, 1).all()
    text = result.summary(width=200)
    assert "Short form (held-out folds)" in text and "trust" in text
    assert "<svg" in result._repr_html_()


def test_writer_with_shared_item():
    """An item in two subscales that one keeps and the other drops: not removed, that subscale listed instead."""
    from wamkit.instrument import Instrument, Item, Scale, Subscale
    from wamkit.shortform.writer import instrument_yaml

    ins = Instrument(
        id="two",
        name="two",
        version="1",
        items=tuple(Item(id=i, column=i) for i in "abcdef"),
        subscales=(Subscale(id="s1", items=("a", "b", "c", "d")), Subscale(id="s2", items=("d", "e", "f"))),
        scale=Scale(min=1, max=5),
    )
    text = instrument_yaml(ins, {"s1": ["a", "b", "c"], "s2": ["d", "e", "f"]}, new_id="two-short", version="1s")
    assert "remove_items: []" in text and "- id: s1" in text


def test_information_svg(result):
    svg = result.information_svg("trust")
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert len([e for e in root.iter() if e.tag.endswith("polyline")]) == 5 + 2
    with pytest.raises(UsageError, match="subscale"):
        result.information_svg("nope")


# ----------------------------------------------------------------------------- instrument file
def test_instrument_file_loads_checks_and_scores(tmp_path, sim, result, cli):
    shutil.copy(DATA / "shortform_sim.yaml", tmp_path / "shortform-sim.yaml")
    parent = load_instrument(str(tmp_path / "shortform-sim.yaml"))
    res = result  # selected with the in-memory twin of this instrument (same id and items)
    out = tmp_path / "short.yaml"
    ins = res.write_instrument(out, parent)
    assert ins.id == "shortform-sim-short" and ins.extends == "shortform-sim" and ins.version == "1-short"
    assert [list(s.items) for s in ins.subscales] == [res.kept[s.id] for s in ins.subscales]
    assert set(ins.item_ids) == {i for v in res.kept.values() for i in v}
    assert [t.subscales for t in ins.totals] == [("trust", "goals", "bond")]
    text = out.read_text()
    assert "remove_items" in text and "data_sha256: " + res.settings["data_sha256"] in text
    assert "&" not in text and "*id" not in text  # no YAML anchors/aliases
    r = cli("instruments", "check", str(out))
    assert r.code == 0, r.stderr
    # scoring with the short form = mean of the kept (answered) items, nothing imputed
    sc = score(sim.items, ins, min_answered=0.01).scores
    for s, kept in res.kept.items():
        expected = sim.items[kept].mean(axis=1, skipna=True)
        np.testing.assert_allclose(sc[s].to_numpy(), expected.to_numpy(), equal_nan=True)
    with pytest.raises(UsageError, match="exists"):
        res.write_instrument(out, parent)
    res.write_instrument(out, parent, force=True, new_id="sim-short-b", version="2")
    assert load_instrument(str(out)).id == "sim-short-b"
    with pytest.raises(UsageError, match="instrument"):
        res.to_instrument_yaml(load_instrument("wam-demo-client"))


def test_instrument_file_refused_when_parent_not_found(tmp_path, sim, result):
    elsewhere = tmp_path / "a"
    elsewhere.mkdir()
    with pytest.raises(UsageError, match="does not load"):
        result.write_instrument(elsewhere / "short.yaml", sim.instrument)
    assert list(elsewhere.iterdir()) == []  # nothing left behind


# ----------------------------------------------------------------------------- options
def test_criterion_validity_and_baseline(sim):
    part = sim.items.iloc[:200]
    rng = np.random.default_rng(3)
    y = pd.Series(part[["bond_2", "bond_4"]].sum(axis=1).to_numpy() + rng.normal(0, 1, len(part)), name="outcome")
    res = shorten(part, sim.instrument, items_per_scale=3, folds=2, cfa=False, criterion=y)
    bond = res.subscales["bond"]
    assert set(bond["validity"]) == {"full", "short", "baseline"}
    assert "bond_2" in bond["baseline"]["kept"] and "bond_4" in bond["baseline"]["kept"]
    assert bond["validity"]["baseline"]["estimate"] > 0.3
    assert res.settings["criterion"] == "outcome"
    fr = res.to_frame()
    assert {"criterion_r", "baseline_kept"} <= set(fr)


def test_target_reliability(sim):
    part = sim.items.iloc[:150]
    res = shorten(part, sim.instrument, target_reliability=0.70, folds=2, cfa=False)
    for d in res.subscales.values():
        assert d["n_items_short"] >= 3
        if d["search"]["method"] != "none":
            assert d["search"]["terms"]["reliability"] >= 0.70
    assert res.settings["target_reliability"] == 0.70


def test_cutoff_sets_theta_range(sim):
    m = fit_subscale(sim.items[list(sim.instrument.subscale("trust").items)], "trust", cutoff=2.5)
    tc = theta_for_score(m.irt, 2.5)
    assert m.theta_range == pytest.approx((tc - 0.5, tc + 0.5))
    assert m.irt.expected_item_scores([tc]).mean() == pytest.approx(2.5, abs=1e-3)
    assert tc < -1  # 2.5 on 1-5 lies well below the average answer


def test_ant_colony_finds_exhaustive_optimum():
    big = simulate_items({"long": (0.8, 0.75, 0.7, 0.7, 0.65, 0.6, 0.55, 0.5, 0.45, 0.4, 0.35, 0.3)}, n=300, seed=4)
    model = fit_subscale(big.items, "long")
    exact = search(model, 4, method="exhaustive")
    aco = search(model, 4, method="mmas", rng=np.random.default_rng(1))
    again = search(model, 4, method="mmas", rng=np.random.default_rng(1))
    assert exact.n_candidates == 495 and exact.evaluated == 495
    assert aco.selected == exact.selected and aco.score == pytest.approx(exact.score)
    assert again == aco
    tot, _terms = objective(model, np.eye(12)[list(exact.selected)].sum(axis=0, keepdims=True))
    assert tot[0] == pytest.approx(exact.score)


def test_errors(sim):
    x, ins = sim.items, sim.instrument
    with pytest.raises(UsageError, match="items_per_scale or target_reliability"):
        shorten(x, ins)
    with pytest.raises(UsageError, match="items_per_scale or target_reliability"):
        shorten(x, ins, items_per_scale=3, target_reliability=0.8)
    with pytest.raises(UsageError, match="items_per_scale"):
        shorten(x, ins, items_per_scale=2)
    with pytest.raises(UsageError, match="folds"):
        shorten(x, ins, items_per_scale=3, folds=1)
    with pytest.raises(UsageError, match="subscales"):
        shorten(x, ins, items_per_scale=3, subscales=["nope"])
    with pytest.raises(UsageError, match="items: missing"):
        shorten(x.drop(columns=["trust_1"]), ins, items_per_scale=3)
    with pytest.raises(UsageError, match="weights"):
        shorten(x, ins, items_per_scale=3, weights={"beauty": 1.0})
    with pytest.raises(UsageError, match="information_range"):
        shorten(x, ins, items_per_scale=3, information_range=(1.0, -1.0))
    with pytest.raises(DataError, match="too few"):
        shorten(x.iloc[:30], ins, items_per_scale=3)
    with pytest.raises(DataError, match="criterion"):
        shorten(x, ins, items_per_scale=3, criterion=pd.Series([1.0, 2.0]))


def test_data_hash_is_stable(sim):
    assert data_sha256(sim.items) == data_sha256(sim.items.copy())
    changed = sim.items.copy()
    changed.iloc[0, 0] = 5 if changed.iloc[0, 0] != 5 else 4
    assert data_sha256(changed) != data_sha256(sim.items)


# ----------------------------------------------------------------------------- bestScales baseline
@pytest.mark.parametrize("case", sorted(BEST))
def test_best_scales_matches_psych(case):
    ref = BEST[case]
    bfi = pd.read_csv(DATA / "bfi.csv")
    res = best_scales(bfi[ref["items"]], bfi[ref["criterion"]], n_items=ref["n_item"])
    np.testing.assert_allclose(res.item_r.to_numpy(), ref["item_r"], atol=1e-12)
    assert res.cut == pytest.approx(ref["cut"], abs=1e-12)
    assert list(res.selected) == ref["selected"]
    assert list(res.signs) == [int(s) for s in ref["signs"]]
    assert res.validity == pytest.approx(ref["validity"], abs=1e-12)
    assert res.criterion == ref["criterion"]
    json.dumps(res.to_dict())


# ----------------------------------------------------------------------------- CLI
def test_cli_shorten(tmp_path, sim, cli):
    """Two waves of the same 75 persons: the folds keep each person's rows together (grouped by the dyad)."""
    data = tmp_path / "sim.csv"
    frame = sim.items.iloc[:150].copy()
    frame.insert(0, "dyad", [f"d{i % 75}" for i in range(150)])
    frame.insert(1, "wave", ["T0"] * 75 + ["T1"] * 75)
    frame.insert(2, "site", "a")
    frame.to_csv(data, index=False)
    shutil.copy(DATA / "shortform_sim.yaml", tmp_path / "shortform-sim.yaml")
    yaml_in = str(tmp_path / "shortform-sim.yaml")
    out, short = tmp_path / "short.json", tmp_path / "short.yaml"
    args = [
        "shorten",
        str(data),
        "-i",
        yaml_in,
        "--items-per-scale",
        "3",
        "--folds",
        "2",
        "--skip-cfa",
        "--where",
        "site=a",
        "--dyad",
        "dyad",
        "--wave",
        "wave",
        "--seed",
        "5",
    ]
    r = cli(*args, "-o", str(out), "--write-instrument", str(short))
    assert r.code == 0, r.stderr
    d = json.loads(out.read_text())
    st = d["shorten"]["settings"]
    assert st["seed"] == 5 and st["n_rows"] == 150 and st["grouped_by"] == "dyad" and st["grouped_folds"]
    assert d["short_instrument"]["id"] == "shortform-sim-short"
    assert d["provenance"]["command"] == "shorten" and d["provenance"]["inputs"][0]["sha256"]
    assert load_instrument(str(short)).extends == "shortform-sim"
    r = cli(*args, "--format", "json", "--write-instrument", str(short))  # refused before any work
    assert r.code == 2 and "--force" in r.stderr
    r = cli("shorten", str(data), "-i", yaml_in, "--folds", "2")
    assert r.code == 2 and "--items-per-scale" in r.stderr
    r = cli(*args, "--cutoff", "x=1")
    assert r.code == 2 and "cutoffs" in r.stderr


def test_folds_keep_groups_together():
    groups = pd.Series([f"p{i // 3}" for i in range(90)] + [None] * 10)
    parts = make_folds(100, 4, 11, groups)
    assert sorted(np.concatenate(parts).tolist()) == list(range(100))
    label = np.empty(100, dtype=int)
    for f, p in enumerate(parts):
        label[p] = f
    for g, idx in groups.dropna().groupby(groups.dropna()).groups.items():
        assert len(set(label[list(idx)])) == 1, g
    assert all(np.array_equal(a, b) for a, b in zip(parts, make_folds(100, 4, 11, groups), strict=True))
    assert max(p.size for p in parts) - min(p.size for p in parts) <= 3
    with pytest.raises(DataError, match="too few"):
        make_folds(10, 4, 1, pd.Series(["a", "a", "b", "b", "b", "c", "c", "c", "c", "c"]))
