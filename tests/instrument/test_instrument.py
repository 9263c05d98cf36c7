"""Instrument loading: bundled files, the YAML contract, and every refusal with file:line."""

from __future__ import annotations

import textwrap

import pytest

from wamkit.errors import InstrumentError
from wamkit.instrument import list_instruments, load_instrument

BUNDLED = [
    "wai-sr-client",
    "wai-s-client",
    "wai-client",
    "wai-therapist",
    "wai-observer",
    "haq-ii-patient",
    "wam-demo-client",
    "wam-demo-professional",
]

MINIMAL = """\
id: mini
name: Mini
version: "1"
scale: {min: 1, max: 5}
items:
  - {id: a}
  - {id: b, reverse: true}
  - {id: c}
subscales:
  - {id: s1, items: [a, b]}
  - {id: s2, items: [c]}
"""


def write(tmp_path, text, name="inst.yaml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def error_of(path) -> str:
    with pytest.raises(InstrumentError) as e:
        load_instrument(str(path))
    return e.value.message


def test_every_bundled_instrument_loads_and_is_listed():
    listed = {e["id"] for e in list_instruments()}
    assert set(BUNDLED) <= listed
    for iid in BUNDLED:
        ins = load_instrument(iid)
        assert ins.id == iid
        assert ins.examples, f"{iid} has no worked examples"


def test_keys_match_the_published_sources():
    sr = load_instrument("wai-sr-client")
    assert [s.items for s in sr.subscales] == [
        ("wai01", "wai02", "wai10", "wai12"),
        ("wai04", "wai06", "wai08", "wai11"),
        ("wai03", "wai05", "wai07", "wai09"),
    ]
    assert not any(i.reverse for i in sr.items)
    ws = load_instrument("wai-s-client")
    assert {i.id for i in ws.items if i.reverse} == {"ws04", "ws10"}
    wai = load_instrument("wai-client")
    rev = {int(i.id[3:]) for i in wai.items if i.reverse}
    assert rev == {1, 3, 7, 9, 10, 11, 12, 15, 20, 27, 29, 31, 33, 34}
    haq = load_instrument("haq-ii-patient")
    assert {int(i.id[3:]) for i in haq.items if i.reverse} == {4, 8, 11, 16, 19}


def test_demo_instruments_are_marked_as_demonstration():
    for iid in ("wam-demo-client", "wam-demo-professional"):
        ins = load_instrument(iid)
        assert ins.demonstration
        assert "not the published" in ins.name.lower()
        assert len(ins.items) == 19
    assert "reactance" in load_instrument("wam-demo-client").score_ids
    assert "loss_of_energy" in load_instrument("wam-demo-professional").score_ids


def test_extends_inherits_key_and_overrides_fields():
    t = load_instrument("wai-therapist")
    c = load_instrument("wai-client")
    assert t.rater == "professional" and c.rater == "client"
    assert [(i.id, i.reverse) for i in t.items] == [(i.id, i.reverse) for i in c.items]
    assert t.sha256 != c.sha256


def test_extends_merges_items_by_id_and_removes(tmp_path):
    write(tmp_path, MINIMAL, "mini.yaml")
    p = write(
        tmp_path,
        """\
        id: mini-variant
        extends: mini
        name: Variant
        scale: {min: 0, max: 4}
        items:
          - {id: a, column: A_col}
        remove_items: [c]
        subscales:
          - {id: s2, items: [a]}
        """,
        "variant.yaml",
    )
    ins = load_instrument(str(p))
    assert ins.scale.min == 0 and ins.scale.max == 4
    assert ins.item("a").column == "A_col"
    assert ins.item_ids == ["a", "b"]
    assert ins.subscale("s2").items == ("a",)


def test_unknown_item_in_subscale_names_file_line_and_field(tmp_path):
    p = write(tmp_path, MINIMAL.replace("items: [c]", "items: [c, d]"), "wai.yaml")
    assert error_of(p) == "wai.yaml:11: subscale 's2' lists unknown item 'd'"


def test_item_in_no_subscale(tmp_path):
    p = write(tmp_path, MINIMAL.replace("  - {id: c}\n", "  - {id: c}\n  - {id: e}\n"))
    assert error_of(p) == "inst.yaml:9: item 'e' is in no subscale"


def test_duplicate_item_id(tmp_path):
    p = write(tmp_path, MINIMAL.replace("  - {id: c}\n", "  - {id: c}\n  - {id: a}\n"))
    assert error_of(p) == "inst.yaml:9: duplicate item id 'a'"


def test_min_not_below_max(tmp_path):
    p = write(tmp_path, MINIMAL.replace("{min: 1, max: 5}", "{min: 5, max: 5}"))
    assert error_of(p) == "inst.yaml:4: scale min (5) must be below max (5)"


def test_reversed_item_without_range(tmp_path):
    p = write(tmp_path, MINIMAL.replace("scale: {min: 1, max: 5}\n", ""))
    msg = error_of(p)
    assert msg.startswith("inst.yaml:6: item 'b' is reversed but no response range is declared")


def test_schema_errors_name_the_field(tmp_path):
    p = write(tmp_path, MINIMAL.replace("id: mini", "id: Mini Instrument"))
    assert error_of(p).startswith("inst.yaml:1: id: 'Mini Instrument' is not a valid identifier")
    p = write(tmp_path, MINIMAL + "colour: red\n")
    assert "unknown field(s) ('colour' was unexpected)" in error_of(p)
    p = write(tmp_path, MINIMAL.replace("{id: s1, items: [a, b]}", "{id: s1, items: [a, b], method: median}"))
    assert error_of(p).startswith("inst.yaml:10: subscales[0].method: 'median' is not one of")


def test_missing_code_inside_range_is_refused(tmp_path):
    p = write(tmp_path, MINIMAL + "missing_codes: [3]\n")
    assert "missing code 3 lies inside the response range 1-5" in error_of(p)


def test_yaml_with_tabs(tmp_path):
    p = write(tmp_path, MINIMAL.replace("  - {id: c}", "\t- {id: c}"))
    msg = error_of(p)
    assert msg.startswith("inst.yaml:") and "YAML syntax error" in msg


def test_yaml_alias_bomb_is_refused_before_expansion(tmp_path):
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for c, prev in zip("bcdefghi", "abcdefgh", strict=False):
        bomb += f"{c}: &{c} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
    p = write(tmp_path, bomb)
    assert error_of(p) == "inst.yaml:1: YAML anchors and aliases are not allowed"


def test_yaml_python_object_tag_is_refused(tmp_path):
    p = write(tmp_path, 'id: !!python/object/apply:os.system ["echo pwned"]\n')
    assert "YAML tag not allowed" in error_of(p)


def test_circular_extends(tmp_path):
    write(tmp_path, "id: one\nextends: two\n", "one.yaml")
    write(tmp_path, "id: two\nextends: one\n", "two.yaml")
    msg = error_of(tmp_path / "one.yaml")
    assert msg == "two.yaml:2: circular 'extends' (one -> two -> one)"


def test_unknown_extends(tmp_path):
    p = write(tmp_path, "id: one\nextends: nowhere\n", "one.yaml")
    assert error_of(p) == "one.yaml:2: extends unknown instrument 'nowhere'"


def test_unknown_instrument_id_lists_known_ids():
    with pytest.raises(InstrumentError) as e:
        load_instrument("no-such-instrument")
    assert "unknown instrument 'no-such-instrument'" in e.value.message
    assert "wai-sr-client" in e.value.message


def test_not_a_mapping_and_binary(tmp_path):
    p = write(tmp_path, "- just\n- a list\n")
    assert "must be a YAML mapping" in error_of(p)
    b = tmp_path / "bin.yaml"
    b.write_bytes(b"id: x\x00\x01")
    assert "not a text file" in error_of(b)


def test_environment_folder_adds_instruments(tmp_path, monkeypatch):
    write(tmp_path, MINIMAL, "mini.yaml")
    monkeypatch.setenv("WAMKIT_INSTRUMENTS", str(tmp_path))
    assert load_instrument("mini").id == "mini"
    assert "mini" in {e["id"] for e in list_instruments()}


def test_duplicate_yaml_key_is_refused(tmp_path):
    p = write(tmp_path, MINIMAL.replace('version: "1"\n', 'version: "1"\nid: other\n'))
    assert error_of(p) == "inst.yaml:4: key 'id' is given twice in this mapping (first on line 1)"


def test_tab_indentation_message(tmp_path):
    p = write(tmp_path, MINIMAL.replace("  - {id: c}", "\t- {id: c}"))
    assert "tab character used for indentation (use spaces)" in error_of(p)
