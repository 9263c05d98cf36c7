"""Property-based tests (hypothesis) of the scoring engine ``wamkit.scoring`` (issue 7).

Instruments are generated directly as :class:`wamkit.instrument.Instrument` values: 2-8 items on one
of a few declared ranges, random reverse keys, 1-3 subscales (mean or sum), a total over items and a
total over subscales, a random ``min_answered``. Responses are whole numbers in range or missing.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wamkit.instrument import Instrument, Item, Scale, Subscale, Total
from wamkit.scoring.core import compute_scores, key_items, required_answers, score

SETTINGS = settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
RANGES = [(1, 5), (0, 4), (1, 7), (0, 10), (1, 6)]


@st.composite
def instruments(draw, min_items: int = 2, max_items: int = 8):
    k = draw(st.integers(min_items, max_items))
    lo, hi = draw(st.sampled_from(RANGES))
    scale = Scale(min=float(lo), max=float(hi))
    reverse = draw(st.lists(st.booleans(), min_size=k, max_size=k))
    items = tuple(Item(id=f"it{j}", column=f"it{j}", reverse=r) for j, r in enumerate(reverse))
    n_sub = draw(st.integers(1, min(3, k)))
    # every subscale gets at least one item; the rest are assigned at random
    owner = list(range(n_sub)) + draw(st.lists(st.integers(0, n_sub - 1), min_size=k - n_sub, max_size=k - n_sub))
    owner = draw(st.permutations(owner))
    methods = draw(st.lists(st.sampled_from(["mean", "sum"]), min_size=n_sub, max_size=n_sub))
    subscales = tuple(
        Subscale(id=f"s{s}", items=tuple(f"it{j}" for j in range(k) if owner[j] == s), method=methods[s])
        for s in range(n_sub)
    )
    total_method = draw(st.sampled_from(["mean", "sum"]))
    totals = (
        Total(id="total_items", items=tuple(i.id for i in items), method=total_method),
        Total(id="total_subscales", subscales=tuple(s.id for s in subscales), method="mean"),
    )
    min_answered = draw(st.sampled_from([0.5, 0.6, 2 / 3, 0.75, 0.8, 1.0]) | st.floats(0.01, 1.0))
    return Instrument(
        id="prop",
        name="property test",
        version="1",
        items=items,
        subscales=subscales,
        totals=totals,
        scale=scale,
        min_answered=min_answered,
    )


@st.composite
def scored_data(draw, max_rows: int = 30):
    ins = draw(instruments())
    n = draw(st.integers(1, max_rows))
    k = len(ins.items)
    lo, hi = int(ins.scale.min), int(ins.scale.max)
    cells = draw(st.lists(st.one_of(st.integers(lo, hi), st.none()), min_size=n * k, max_size=n * k))
    x = np.array([np.nan if c is None else float(c) for c in cells]).reshape(n, k)
    frame = pd.DataFrame(x, columns=[i.column for i in ins.items])
    frame.insert(0, "id", pd.array([f"r{i:03d}" for i in range(n)], dtype="string"))
    return ins, frame


def _bounds(ins: Instrument) -> dict[str, tuple[float, float]]:
    lo, hi = ins.scale.min, ins.scale.max
    out = {}
    for s in ins.subscales:
        m = len(s.items) if s.method == "sum" else 1
        out[s.id] = (lo * m, hi * m)
    for t in ins.totals:
        if t.items is not None:
            m = len(t.items) if t.method == "sum" else 1
            out[t.id] = (lo * m, hi * m)
        else:
            parts = [out[s] for s in t.subscales]
            agg = np.mean if t.method == "mean" else np.sum
            out[t.id] = (agg([p[0] for p in parts]), agg([p[1] for p in parts]))
    return out


def _scores(ins, frame, **kw) -> np.ndarray:
    res = score(frame, ins, **kw)
    return res.scores[list(ins.score_ids)].to_numpy(dtype=float)


@SETTINGS
@given(scored_data())
def test_scores_lie_within_the_declared_range(data):
    ins, frame = data
    res = score(frame, ins)
    for sid, (lo, hi) in _bounds(ins).items():
        s = res.scores[sid].to_numpy(dtype=float)
        ok = s[~np.isnan(s)]
        assert np.all(ok >= lo - 1e-9) and np.all(ok <= hi + 1e-9), sid
    # the input is not mutated and passthrough columns are unchanged
    assert res.scores["id"].tolist() == frame["id"].tolist()


@SETTINGS
@given(scored_data())
def test_reverse_keying_twice_is_the_identity(data):
    ins, frame = data
    x = frame[[i.column for i in ins.items]].to_numpy(dtype=float)
    once = key_items(x, ins)
    twice = key_items(once, ins)
    np.testing.assert_array_equal(twice, x)
    rev = np.array([i.reverse for i in ins.items])
    np.testing.assert_array_equal(once[:, ~rev], x[:, ~rev])
    np.testing.assert_array_equal(once[:, rev], ins.scale.min + ins.scale.max - x[:, rev])


@SETTINGS
@given(scored_data(), st.randoms(use_true_random=False))
def test_permuting_rows_permutes_scores(data, rnd):
    ins, frame = data
    perm = list(range(len(frame)))
    rnd.shuffle(perm)
    base = _scores(ins, frame)
    shuffled = frame.iloc[perm].reset_index(drop=True)
    res = score(shuffled, ins)
    np.testing.assert_array_equal(res.scores[list(ins.score_ids)].to_numpy(dtype=float), base[perm])
    assert res.scores["id"].tolist() == frame["id"].iloc[perm].tolist()


@SETTINGS
@given(scored_data(), st.randoms(use_true_random=False))
def test_permuting_item_columns_changes_nothing(data, rnd):
    ins, frame = data
    cols = list(frame.columns)
    rnd.shuffle(cols)
    np.testing.assert_array_equal(_scores(ins, frame[cols]), _scores(ins, frame))


@SETTINGS
@given(scored_data(), st.integers(0, 30))
def test_an_all_missing_row_adds_a_missing_score(data, at):
    ins, frame = data
    at = min(at, len(frame))
    blank = pd.DataFrame({c: [np.nan] for c in frame.columns if c != "id"})
    blank.insert(0, "id", pd.array(["blank"], dtype="string"))
    grown = pd.concat([frame.iloc[:at], blank, frame.iloc[at:]], ignore_index=True)
    base = _scores(ins, frame)
    got = _scores(ins, grown)
    assert np.isnan(got[at]).all()
    np.testing.assert_array_equal(np.delete(got, at, axis=0), base)
    assert score(grown, ins).rows_scored == score(frame, ins).rows_scored


@SETTINGS
@given(scored_data())
def test_complete_subscale_equals_the_plain_mean(data):
    ins, frame = data
    x = frame[[i.column for i in ins.items]].to_numpy(dtype=float)
    keyed = key_items(x, ins)
    res = score(frame, ins)
    pos = {i.id: j for j, i in enumerate(ins.items)}
    for s in ins.subscales:
        block = keyed[:, [pos[i] for i in s.items]]
        full = ~np.isnan(block).any(axis=1)
        plain = block[full].mean(axis=1) * (len(s.items) if s.method == "sum" else 1)
        np.testing.assert_allclose(res.scores[s.id].to_numpy(dtype=float)[full], plain, rtol=1e-12, atol=1e-12)


@given(st.integers(1, 40), st.floats(0.001, 1.0))
@settings(max_examples=200, deadline=None, database=None)
def test_required_answers_is_the_smallest_count_meeting_the_fraction(k, frac):
    m = required_answers(k, frac)
    assert 1 <= m <= k
    assert m / k >= frac - 1e-9
    assert m == 1 or (m - 1) / k < frac - 1e-9


@pytest.mark.parametrize(
    "k,frac,need",
    [
        (4, 0.75, 3),
        (12, 0.75, 9),
        (5, 0.8, 4),
        (3, 2 / 3, 2),
        (6, 2 / 3, 4),
        (10, 0.7, 7),
        (4, 1.0, 4),
        (4, 0.01, 1),
        (7, 0.5, 4),
        (8, 0.5, 4),
    ],
)
def test_required_answers_at_exact_fractions(k, frac, need):
    assert required_answers(k, frac) == need


@SETTINGS
@given(instruments(min_items=2), st.data())
def test_proration_threshold_boundary(ins, data):
    """A subscale is scored with exactly ``required_answers`` items answered and missing with one fewer."""
    s = data.draw(st.sampled_from(ins.subscales))
    k = len(s.items)
    need = required_answers(k, ins.min_answered)
    pos = {i.id: j for j, i in enumerate(ins.items)}
    idx = [pos[i] for i in s.items]
    answered = data.draw(st.permutations(idx))[:need]
    value = data.draw(st.integers(int(ins.scale.min), int(ins.scale.max)))
    x = np.full((2, len(ins.items)), np.nan)
    x[0, answered] = value
    x[1, answered[:-1]] = value
    scores, counts, used = compute_scores(key_items(x, ins), ins)
    assert used[s.id] == ins.min_answered
    assert counts[s.id].tolist() == [need, need - 1]
    assert not math.isnan(scores[s.id][0])
    assert math.isnan(scores[s.id][1])
    # prorated: the mean of the answered (keyed) items, times k for sums
    keyed = key_items(x, ins)[0, answered]
    assert scores[s.id][0] == pytest.approx(keyed.mean() * (k if s.method == "sum" else 1), rel=1e-12)
    # the same boundary through the public function with --min-answered
    frame = pd.DataFrame(x, columns=[i.column for i in ins.items])
    res = score(frame, ins, min_answered=ins.min_answered)
    got = res.scores[s.id].to_numpy(dtype=float)
    assert not math.isnan(got[0]) and math.isnan(got[1])


@SETTINGS
@given(scored_data(max_rows=10))
def test_numbers_as_text_score_like_numbers(data):
    """Survey exports often hold items as text; '3' must score like 3."""
    ins, frame = data
    as_text = frame.copy()
    for i in ins.items:
        as_text[i.column] = pd.array([None if math.isnan(v) else str(int(v)) for v in frame[i.column]], dtype="string")
    np.testing.assert_array_equal(_scores(ins, as_text), _scores(ins, frame))
