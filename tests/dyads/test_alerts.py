"""Alert rules: loading/validation of YAML rules and each rule kind on hand-made frames."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pandas as pd
import pytest

from wamkit.dyads.alerts import ALERT_COLUMNS, AlertRule, default_rules_text, evaluate_alerts, load_alert_rules
from wamkit.errors import UsageError

NAN = np.nan
WAVES = ["T0", "T1", "T2"]


def write(tmp_path, text, name="rules.yaml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


def only(tmp_path, text):
    """Rules from a user file alone (no defaults)."""
    return load_alert_rules(write(tmp_path, text), include_defaults=False)


def run(df, rules, **kw):
    args = {
        "dyad": "dyad",
        "rater": "rater",
        "wave": "wave",
        "wave_order": WAVES,
        "subscales": ["trust", "reactance"],
        "higher_is_better": {"reactance": False},
    }
    args.update(kw)
    return evaluate_alerts(df, rules=rules, **args)


def frame(rows):
    return pd.DataFrame(rows, columns=["dyad", "rater", "wave", "trust", "reactance"])


# ----------------------------------------------------------------------------- loading


def test_default_rules_load_and_are_generic():
    rules = load_alert_rules()
    by_name = {r.name: r for r in rules}
    assert set(by_name) == {
        "low_alliance",
        "high_negative_factor",
        "reliable_deterioration",
        "marked_drop",
        "marked_rise",
        "rater_divergence",
        "missing_followup",
    }
    assert {r.kind for r in rules} == {
        "below_cutoff",
        "above_cutoff",
        "reliable_drop",
        "drop",
        "rise",
        "divergence",
        "missing_followup",
    }
    # thresholds are fractions of the scale range: 2.5 on 1-5, 1 point drop / divergence on 1-5
    assert by_name["low_alliance"].relative and by_name["low_alliance"].threshold == 0.375
    assert by_name["marked_drop"].relative and by_name["marked_drop"].threshold == 0.25
    assert by_name["high_negative_factor"].relative and by_name["high_negative_factor"].threshold == 0.375
    assert by_name["marked_rise"].relative and by_name["marked_rise"].threshold == 0.25
    assert by_name["rater_divergence"].relative and by_name["rater_divergence"].threshold == 0.25
    assert all(r.enabled for r in rules)
    assert "cutoff_fraction" in default_rules_text()
    json.dumps([r.to_dict() for r in rules])


def test_user_file_overrides_disables_and_extends(tmp_path):
    p = write(
        tmp_path,
        """
        rules:
          - name: low_alliance
            cutoff: 2.0
          - name: rater_divergence
            enabled: false
          - name: trust_drop
            kind: drop
            subscale: trust
            rater: client
            min_drop: 0.75
    """,
    )
    rules = {r.name: r for r in load_alert_rules(p)}
    low = rules["low_alliance"]
    assert (low.threshold, low.relative, low.kind, low.subscales) == (2.0, False, "below_cutoff", ("*",))
    assert low.source == str(p)
    assert rules["rater_divergence"].enabled is False
    td = rules["trust_drop"]
    assert (td.kind, td.subscales, td.rater, td.threshold, td.relative) == ("drop", ("trust",), "client", 0.75, False)
    assert list(rules)[-1] == "trust_drop"  # defaults first, new rules after


def test_replace_defaults(tmp_path):
    p = write(
        tmp_path,
        """
        replace_defaults: true
        rules:
          - name: only_this
            kind: missing_followup
    """,
    )
    rules = load_alert_rules(p)
    assert [r.name for r in rules] == ["only_this"]


@pytest.mark.parametrize(
    "body, pattern",
    [
        ("rules:\n  - name: r1\n    kind: nonsense\n", r"rule 'r1': kind must be one of"),
        (
            "rules:\n  - name: r1\n    kind: drop\n    subscale: trust\n    min_drop: 1\n    cutof: 2\n",
            r"rule 'r1': unknown field\(s\) cutof",
        ),
        (
            "rules:\n  - name: r1\n    kind: below_cutoff\n    subscale: trust\n    cutoff: 2\n    cutoff_fraction: 0.3\n",
            r"rule 'r1': give exactly one of cutoff .* got both",
        ),
        (
            "rules:\n  - name: r1\n    kind: divergence\n    subscale: trust\n",
            r"rule 'r1': give exactly one of threshold",
        ),
        (
            "rules:\n  - name: r1\n    kind: below_cutoff\n    cutoff: 2\n",
            r"rule 'r1': kind below_cutoff needs 'subscale'",
        ),
        (
            "rules:\n  - name: r1\n    kind: below_cutoff\n    subscale: trust\n    cutoff: 2\n    rater: officer\n",
            r"rule 'r1': rater must be one of client, professional, any",
        ),
        (
            "rules:\n  - name: r1\n    kind: drop\n    subscale: trust\n    min_drop_fraction: 1.5\n",
            r"rule 'r1': min_drop_fraction must be between 0 and 1",
        ),
        (
            "rules:\n  - name: r1\n    kind: drop\n    subscale: trust\n    min_drop: high\n",
            r"rule 'r1': min_drop must be a number",
        ),
        (
            "rules:\n  - name: r1\n    kind: drop\n    subscale: trust\n    min_drop: -1\n",
            r"rule 'r1': min_drop must be positive",
        ),
        (
            "rules:\n  - name: r1\n    kind: missing_followup\n  - name: r1\n    kind: missing_followup\n",
            r"rule 'r1' is defined twice",
        ),
        ("rules:\n  - kind: missing_followup\n", r"rule #1 needs a 'name'"),
        (
            "rules:\n  - name: r1\n    kind: missing_followup\n    enabled: maybe\n",
            r"rule 'r1': enabled must be true or false",
        ),
        ("rules: [\n", r"YAML syntax error"),
        ("- a\n- b\n", r"must be a mapping with a 'rules' list"),
        ("rulez: []\n", r"unknown top-level field\(s\) rulez"),
    ],
)
def test_invalid_rules_name_file_and_rule(tmp_path, body, pattern):
    p = write(tmp_path, body, name="bad.yaml")
    with pytest.raises(UsageError, match=pattern) as exc:
        load_alert_rules(p)
    assert str(p) in exc.value.message


def test_missing_rules_file(tmp_path):
    with pytest.raises(UsageError, match="cannot read alert rules file"):
        load_alert_rules(tmp_path / "nope.yaml")


# ----------------------------------------------------------------------------- below_cutoff


def test_cutoffs_absolute_fraction_direction_and_rater(tmp_path):
    rules = only(
        tmp_path,
        """
        rules:
          - name: low_trust_client
            kind: below_cutoff
            subscale: trust
            rater: client
            cutoff: 2.5
          - name: any_low
            kind: below_cutoff
            subscale: "*"
            cutoff_fraction: 0.375
          - name: any_high
            kind: above_cutoff
            subscale: "*"
            cutoff_fraction: 0.375
    """,
    )
    df = frame(
        [
            ("a", "client", "T0", 2.4, 1.0),  # trust 2.4 < 2.5: both trust rules; reactance 1 is low = good
            ("a", "professional", "T0", 2.0, NAN),  # professional: only any_low
            ("b", "client", "T0", 2.5, 3.6),  # 2.5 is not below 2.5; reactance 3.6 > 5 - 0.375*4 = 3.5
            ("b", "professional", "T0", NAN, NAN),  # not scorable: no alert
        ]
    )
    out = run(df, rules, scale_range=(1, 5))
    assert list(out.columns) == ALERT_COLUMNS
    got = [(r.dyad, r.rule, r.kind, r.subscale, r.rater, r.value, r.threshold) for r in out.itertuples()]
    assert got == [
        ("a", "low_trust_client", "below_cutoff", "trust", "client", 2.4, 2.5),
        ("a", "any_low", "below_cutoff", "trust", "client", 2.4, 2.5),  # 1 + 0.375 * (5 - 1) = 2.5
        ("a", "any_low", "below_cutoff", "trust", "professional", 2.0, 2.5),
        ("b", "any_high", "above_cutoff", "reactance", "client", 3.6, 3.5),  # higher is worse: the top of the range
    ]
    assert out["message"].iloc[0] == "trust (client) 2.40 is below the cut-off 2.50"
    assert out["message"].iloc[3] == "reactance (client) 3.60 is above the cut-off 3.50 (higher is worse)"
    assert out["wave_from"].isna().all()
    # the same fraction on a 1-7 scale: 1 + 0.375 * 6 = 3.25
    out7 = run(
        frame([("c", "client", "T0", 3.2, NAN), ("d", "client", "T0", 3.3, NAN)]),
        [r for r in rules if r.name == "any_low"],
        scale_range={"trust": (1, 7), "reactance": (1, 7)},
    )
    assert list(out7["dyad"]) == ["c"] and out7["threshold"].iloc[0] == 3.25


@pytest.mark.parametrize(
    "kind, subscale, field, fix",
    [
        ("below_cutoff", "reactance", "cutoff: 2", "use kind above_cutoff"),
        ("above_cutoff", "trust", "cutoff: 2", "use kind below_cutoff"),
        ("drop", "reactance", "min_drop: 1", "use kind rise"),
        ("rise", "trust", "min_rise: 1", "use kind drop"),
    ],
)
def test_a_kind_refuses_a_score_of_the_other_direction(tmp_path, kind, subscale, field, fix):
    rules = only(tmp_path, f"rules:\n  - name: r\n    kind: {kind}\n    subscale: {subscale}\n    {field}\n")
    with pytest.raises(UsageError, match=f"rule 'r': {subscale}: higher is .*so kind {kind} does not fit; {fix}"):
        run(frame([("a", "client", "T0", 1.0, 1.0)]), rules)


def test_default_rules_follow_the_declared_direction():
    """Reactance (higher is worse): a high value or a rise alerts as such, never as 'low' or 'drop'."""
    df = frame(
        [
            ("a", "client", "T0", 4.0, 2.0),
            ("a", "client", "T1", 4.0, 3.25),  # reactance rose by 1.25: marked_rise (not marked_drop)
            ("b", "client", "T0", 4.0, 4.75),  # reactance 4.75: high_negative_factor (not low_alliance)
            ("b", "client", "T1", 2.75, 4.75),  # trust fell by 1.25: marked_drop
            ("c", "client", "T0", 4.0, 1.0),
            ("c", "client", "T1", 4.0, 1.0),  # reactance 1.0 is low = good: nothing
        ]
    )
    out = evaluate_alerts(
        df,
        dyad="dyad",
        rater="rater",
        wave="wave",
        wave_order=["T0", "T1"],
        subscales=["trust", "reactance"],
        higher_is_better={"reactance": False},
        scale_range=(1, 5),
        reliability={"trust": 0.8, "reactance": 0.8},
    )
    got = {(r.dyad, r.wave, r.rule, r.subscale) for r in out.itertuples() if r.kind != "reliable_drop"}
    assert got == {
        ("a", "T1", "marked_rise", "reactance"),
        ("b", "T0", "high_negative_factor", "reactance"),
        ("b", "T1", "high_negative_factor", "reactance"),
        ("b", "T1", "marked_drop", "trust"),
    }
    assert not ((out["subscale"] == "reactance") & out["rule"].isin(["low_alliance", "marked_drop"])).any()
    assert not ((out["subscale"] == "trust") & out["rule"].isin(["high_negative_factor", "marked_rise"])).any()
    rise = out[out["rule"] == "marked_rise"].iloc[0]
    assert (rise["value"], rise["threshold"], rise["wave_from"]) == (1.25, 1.0, "T0")
    assert rise["message"] == "reactance (client) rose by 1.25 from T0 to T1 (higher is worse; alert at 1)"
    high = out[out["rule"] == "high_negative_factor"].iloc[0]
    assert high["message"] == "reactance (client) 4.75 is above the cut-off 3.50 (higher is worse)"


def test_fraction_without_scale_range_is_a_usage_error(tmp_path):
    rules = only(
        tmp_path, "rules:\n  - name: lo\n    kind: below_cutoff\n    subscale: trust\n    cutoff_fraction: 0.3\n"
    )
    with pytest.raises(UsageError, match=r"rules.yaml, rule 'lo': .*needs the scale range \(min, max\) of trust"):
        run(frame([("a", "client", "T0", 1.0, 1.0)]), rules)


def test_rule_naming_unknown_subscale(tmp_path):
    rules = only(tmp_path, "rules:\n  - name: lo\n    kind: below_cutoff\n    subscale: bond\n    cutoff: 2\n")
    with pytest.raises(UsageError, match=r"rule 'lo': subscale\(s\) bond not among the subscales analysed"):
        run(frame([("a", "client", "T0", 1.0, 1.0)]), rules)


# ----------------------------------------------------------------------------- drop


def test_drop_named_subscale(tmp_path):
    rules = only(
        tmp_path,
        """
        rules:
          - name: trust_drop
            kind: drop
            subscale: trust
            min_drop: 1.0
          - name: reactance_rise
            kind: rise
            subscale: reactance
            rater: client
            min_rise: 1.0
    """,
    )
    df = frame(
        [
            ("a", "client", "T0", 4.0, 1.0),
            ("a", "client", "T1", 3.0, 2.5),  # trust fell by exactly 1.0 (>= 1: alert); reactance rose 1.5
            ("a", "client", "T2", 2.1, 2.0),  # trust fell by 0.9: no alert; reactance fell: better
            ("b", "professional", "T0", 4.5, NAN),
            ("b", "professional", "T2", 3.0, NAN),  # no T1 row: compared with T0, fell by 1.5
            ("b", "client", "T1", 5.0, NAN),  # a single wave: nothing to compare
        ]
    )
    out = run(df, rules)
    got = [(r.dyad, r.wave, r.rule, r.subscale, r.rater, r.value, r.threshold) for r in out.itertuples()]
    assert got == [
        ("a", "T1", "trust_drop", "trust", "client", 1.0, 1.0),
        ("a", "T1", "reactance_rise", "reactance", "client", 1.5, 1.0),
        ("b", "T2", "trust_drop", "trust", "professional", 1.5, 1.0),
    ]
    assert out["message"].iloc[2] == "trust (professional) fell by 1.50 from T0 to T2 (alert at 1)"
    assert "rose by 1.50" in out["message"].iloc[1]
    assert out["wave_from"].tolist() == ["T0", "T0", "T0"]


# ----------------------------------------------------------------------------- divergence


def test_divergence(tmp_path):
    rules = only(tmp_path, "rules:\n  - name: div\n    kind: divergence\n    subscale: trust\n    threshold: 1.0\n")
    df = frame(
        [
            ("a", "client", "T0", 4.5, NAN),
            ("a", "professional", "T0", 3.0, NAN),  # 1.5 > 1: alert
            ("b", "client", "T0", 3.0, NAN),
            ("b", "professional", "T0", 4.0, NAN),  # exactly 1: not above
            ("c", "client", "T0", 1.5, NAN),
            ("c", "professional", "T0", 4.0, NAN),  # -2.5: alert
            ("d", "client", "T0", 1.0, NAN),  # no partner
        ]
    )
    out = run(df, rules)
    got = [(r.dyad, r.wave, r.subscale, r.rater, r.value, r.threshold) for r in out.itertuples()]
    assert got == [("a", "T0", "trust", None, 1.5, 1.0), ("c", "T0", "trust", None, -2.5, 1.0)]
    assert out["message"].iloc[1] == "trust: the professional scores 2.50 higher than the client (alert above 1)"
    assert out["message"].iloc[0] == "trust: the client scores 1.50 higher than the professional (alert above 1)"


# ----------------------------------------------------------------------------- reliable_drop


def test_reliable_drop_uses_rci_and_direction(tmp_path):
    rules = only(tmp_path, 'rules:\n  - name: rd\n    kind: reliable_drop\n    subscale: "*"\n    rater: client\n')
    # client baseline (T0) trust 2, 3, 4 -> SD0 = 1; reactance 1, 2, 3 -> SD0 = 1.
    # With reliability 0.5: S_diff = sqrt(2) * 1 * sqrt(0.5) = 1, so RCI = change.
    df = frame(
        [
            ("a", "client", "T0", 2.0, 1.0),
            ("b", "client", "T0", 3.0, 2.0),
            ("c", "client", "T0", 4.0, 3.0),
            ("a", "client", "T1", 1.5, 3.5),  # trust -0.5 (no); reactance +2.5 (worse: alert, RCI 2.5)
            ("b", "client", "T1", 1.0, 1.0),  # trust 3 -> 1: RCI -2 (alert); reactance -1 (better)
            ("c", "client", "T1", 5.0, 1.0),  # improvements only
            ("a", "professional", "T0", 5.0, NAN),
            ("b", "professional", "T0", 4.0, NAN),
            ("a", "professional", "T1", 1.0, NAN),  # a professional drop, but the rule is client-only
        ]
    )
    out = run(df, rules, reliability={"trust": 0.5, "reactance": 0.5})
    got = [(r.dyad, r.wave, r.subscale, r.rater) for r in out.itertuples()]
    assert got == [("a", "T1", "reactance", "client"), ("b", "T1", "trust", "client")]
    assert out["value"].tolist() == pytest.approx([2.5, -2.0])
    assert out["threshold"].tolist() == [1.96, -1.96]
    assert "RCI 2.50" in out["message"].iloc[0]
    assert out["wave_from"].tolist() == ["T0", "T0"]


def test_reliable_drop_needs_reliabilities(tmp_path):
    rules = only(tmp_path, "rules:\n  - name: rd\n    kind: reliable_drop\n    subscale: trust\n")
    with pytest.raises(UsageError, match=r"rule 'rd': reliable_drop needs subscale reliabilities"):
        run(frame([("a", "client", "T0", 1.0, 1.0)]), rules)


# ----------------------------------------------------------------------------- missing_followup


def test_missing_followup(tmp_path):
    rules = only(
        tmp_path,
        """
        rules:
          - name: gone
            kind: missing_followup
          - name: client_gone
            kind: missing_followup
            rater: client
    """,
    )
    df = frame(
        [
            ("a", "client", "T0", 3.0, NAN),
            ("a", "professional", "T0", 3.0, NAN),
            ("a", "professional", "T1", 3.0, NAN),  # client missing at T1: only client_gone
            ("b", "client", "T0", 3.0, NAN),  # no row at T1 at all: both rules
            ("c", "client", "T1", 3.0, NAN),  # first seen at T1: nothing missing
        ]
    )  # T2 is in wave_order but not in the data: never alerted
    out = run(df, rules)
    got = [(r.dyad, r.wave, r.rule, r.rater) for r in out.itertuples()]
    assert got == [
        ("a", "T1", "client_gone", "client"),
        ("b", "T1", "gone", None),
        ("b", "T1", "client_gone", "client"),
    ]
    assert out["value"].isna().all() and out["threshold"].isna().all()
    assert out["message"].iloc[1] == "no form at wave T1 (last seen at T0)"
    assert out["message"].iloc[0] == "no client form at wave T1 (last seen at T0)"
    assert out["wave_from"].tolist() == ["T0", "T0", "T0"]


# ----------------------------------------------------------------------------- defaults end to end


def test_default_rules_end_to_end_on_1_to_7_scale():
    df = frame(
        [
            ("a", "client", "T0", 6.0, 2.0),
            ("a", "professional", "T0", 5.5, NAN),
            ("b", "client", "T0", 5.0, 3.0),
            ("b", "professional", "T0", 2.5, NAN),  # divergence 2.5 > 1.5
            ("c", "client", "T0", 4.0, 4.0),
            ("a", "client", "T1", 4.0, 2.0),
            ("a", "professional", "T1", 5.5, NAN),  # a's trust drops 2 >= 1.5
        ]
    )
    out = evaluate_alerts(
        df,
        dyad="dyad",
        rater="rater",
        wave="wave",
        wave_order=WAVES,
        subscales=["trust", "reactance"],
        higher_is_better={"reactance": False},
        scale_range=(1, 7),
        reliability={"trust": 0.8, "reactance": 0.7},
    )
    kinds = set(zip(out["dyad"], out["kind"], strict=True))
    assert ("a", "drop") in kinds
    assert ("b", "divergence") in kinds
    assert ("b", "below_cutoff") in kinds  # professional trust 2.5 < 1 + 0.375 * 6 = 3.25
    assert ("b", "missing_followup") in kinds and ("c", "missing_followup") in kinds
    assert not ((out["dyad"] == "a") & (out["kind"] == "missing_followup")).any()
    json.dumps(out.to_dict(orient="records"), default=str)


def test_no_alerts_gives_empty_frame_with_columns(tmp_path):
    rules = only(tmp_path, "rules:\n  - name: lo\n    kind: below_cutoff\n    subscale: trust\n    cutoff: 1\n")
    out = run(frame([("a", "client", "T0", 3.0, 1.0)]), rules)
    assert out.empty and list(out.columns) == ALERT_COLUMNS


def test_disabled_rules_are_skipped(tmp_path):
    rules = only(
        tmp_path,
        "rules:\n  - name: lo\n    kind: below_cutoff\n    subscale: trust\n    cutoff: 5\n    enabled: false\n",
    )
    assert isinstance(rules[0], AlertRule) and not rules[0].enabled
    assert run(frame([("a", "client", "T0", 3.0, 1.0)]), rules).empty
