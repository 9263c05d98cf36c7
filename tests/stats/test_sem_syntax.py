"""lavaan model syntax parser and parameter tables vs lavaan 0.6-14 ``lavaanify`` (tests/reference/sem_partable.R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from wamkit.errors import UsageError
from wamkit.stats.sem import build_partable, parse_syntax

REF = json.loads((Path(__file__).parents[1] / "reference" / "sem_partable.json").read_text())


@pytest.mark.parametrize("name", sorted(REF["cases"]))
def test_partable_matches_lavaanify(name):
    case = REF["cases"][name]
    pt = build_partable(
        case["model"],
        ngroups=case["ngroups"],
        meanstructure=case["meanstructure"],
        std_lv=case["std_lv"],
        group_equal=case["group_equal"],
        group_partial=case["group_partial"],
    )
    rows = case["rows"]
    frame = pt.to_frame()
    assert len(frame) == len(rows)
    for k, ref in enumerate(rows):
        mine = frame.iloc[k]
        got = (
            mine.lhs,
            mine.op,
            mine.rhs,
            int(mine.user),
            int(mine.group),
            int(mine.free),
            int(mine.exo),
            mine.label,
            mine.plabel,
        )
        want = (
            ref["lhs"],
            ref["op"],
            ref["rhs"],
            ref["user"],
            ref["group"],
            ref["free"],
            ref["exo"],
            ref["label"],
            ref["plabel"],
        )
        assert got == want, (k, got, want)
        if ref["ustart"] is None:
            assert np.isnan(mine.ustart), k
        else:
            assert mine.ustart == pytest.approx(ref["ustart"]), k
    cons = pt.constraint_frame()
    assert [(c["lhs"], c["rhs"], c["user"]) for c in case["constraints"]] == list(
        zip(cons.lhs, cons.rhs, cons.user, strict=True)
    )


def test_reduced_parameters_follow_equalities():
    pt = build_partable(REF["cases"]["poldem_labels"]["model"])
    assert pt.nx == 28 and pt.npar == 25  # lavaan fitMeasures npar = 25
    f = pt.to_frame()
    a = f[f.label == "a"]
    assert a.par.nunique() == 1 and a.free.nunique() == 2


def test_parser_forms():
    pm = parse_syntax("""
        # comment ! also a comment
        y1 + y2 ~ c(a, b)*x1 + start(0.5)*x2   ; f =~ NA*x1 + 0.5*x2 +
             lab*x3
        f ~ 0*1
        x1 | t1 + t2
        a == b
    """)
    got = [(f.lhs, f.op, f.rhs) for f in pm.formulas]
    assert got == [
        ("y1", "~", "x1"),
        ("y1", "~", "x2"),
        ("y2", "~", "x1"),
        ("y2", "~", "x2"),
        ("f", "=~", "x1"),
        ("f", "=~", "x2"),
        ("f", "=~", "x3"),
        ("f", "~1", ""),
        ("x1", "|", "t1"),
        ("x1", "|", "t2"),
    ]
    mods = {(f.lhs, f.op, f.rhs): f.modifier for f in pm.formulas}
    assert mods[("y1", "~", "x1")].label == ("a", "b")
    assert mods[("y2", "~", "x2")].start == (0.5,)
    assert mods[("f", "=~", "x1")].fixed == (None,)
    assert mods[("f", "=~", "x3")].label == ("lab",)
    assert mods[("f", "~1", "")].fixed == (0.0,)
    assert pm.has_thresholds and pm.constraints[0].lhs == "a"
    merged = parse_syntax("f =~ NA*x1 + start(1)*x1 + x2 + x3").formulas[0].modifier
    assert merged.fixed == (None,) and merged.start == (1.0,)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "empty"),
        ("f =~ x1 + x2\nf =~ x1", "duplicate"),
        ("f <~ x1 + x2", "unsupported operator"),
        ("group: 1\nf =~ x1 + x2", "block labels"),
        ("f =~ x1 + + x2", "stray"),
        ("y ~ x1:x2", "interaction"),
        ("f =~ c(a, 1)*x1 + x2", "mixes numbers and labels"),
        ("x1 | q1", "thresholds are named"),
        ("f =~ x1 + x2; f | t1", "observed"),
        ("y1 + y2 =~ x", "single name"),
        ("f =~ 2*0.5", "needs a variable"),
        ("a b", "no operator"),
    ],
)
def test_parser_errors(text, fragment):
    with pytest.raises(UsageError, match=fragment):
        parse_syntax(text)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"ngroups": 2, "group_equal": ["slopes"]}, "unknown group_equal"),
        ({"ngroups": 2, "group_partial": ["f =~ zz"]}, "group_partial"),
        ({"ngroups": 3}, "3 group"),
    ],
)
def test_partable_errors(kwargs, fragment):
    with pytest.raises(UsageError, match=fragment):
        build_partable("f =~ x1 + c(a, b)*x2 + x3", **kwargs)


def test_constraint_errors():
    with pytest.raises(UsageError, match="not supported"):
        build_partable("f =~ x1 + a*x2 + x3\n a > 0")
    with pytest.raises(UsageError, match="not a parameter label"):
        build_partable("f =~ x1 + a*x2 + x3\n zz == a")
