"""Drafting an instrument from an export: labels, missing labels, item texts, TODO placeholders."""

from __future__ import annotations

import numpy as np
import pytest
from tests.conftest import ROOT

from wamkit.errors import InstrumentError, UsageError
from wamkit.instrument import load_instrument
from wamkit.instrument.draft import draft_instrument
from wamkit.io import read_table
from wamkit.scoring import score

EXPORTS = ROOT / "tests" / "data" / "exports"


def filled_in(text: str) -> str:
    text = text.replace("reverse: TODO", "reverse: false").replace("citation: TODO", "citation: own")
    return text.replace("license: TODO", "license: own").replace("name: TODO - split", "name: all, split")


def test_qualtrics_draft_has_labels_and_item_texts(tmp_path):
    text = draft_instrument(str(EXPORTS / "qualtrics.csv"), instrument_id="my-wam", pattern="WAM_*")
    assert '    1: ["Never"]' in text and '    5: ["Always"]' in text
    assert (
        '{id: "WAM_1", text: "How do you experience the working relationship?\\nRate each statement. - '
        'Statement 1", reverse: TODO}'
    ) in text
    path = tmp_path / "draft.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InstrumentError) as e:
        load_instrument(str(path))
    assert e.value.message.startswith("draft.yaml:")
    assert "citation still holds the draft placeholder 'TODO'; replace it (22 placeholders left" in e.value.message
    assert any("items[0].reverse still holds" in d for d in e.value.details)
    path.write_text(filled_in(text), encoding="utf-8")
    ins = load_instrument(str(path))
    assert ins.item("WAM_1").text.endswith("Statement 1") and ins.scale.labels[3.0] == ("Sometimes",)
    table = read_table(str(EXPORTS / "qualtrics.csv"), infer_columns=ins.item_ids)
    res = score(table.frame, ins, source=table.source)  # labels and n/a read with the draft
    assert res.n_invalid == 0 and res.rows_scored == len(table.frame) - 1  # the unfinished response


def test_dutch_labels_spss_codes_and_answer_codes():
    nl = draft_instrument(str(EXPORTS / "dutch_semicolon.csv"), instrument_id="nl", pattern="wam*")
    assert '    1: ["Nooit"]' in nl and 'missing_labels: ["n.v.t."]' in nl
    sav = draft_instrument(str(EXPORTS / "spss_labelled.sav"), instrument_id="sav", pattern="wam*")
    assert '    4: ["Often"]' in sav and "missing_codes: [-9, 9]" in sav and 'missing_labels: ["n/a"]' in sav
    lime = draft_instrument(str(EXPORTS / "limesurvey.csv"), instrument_id="lime", pattern="WAM*")
    assert "  max: 5" in lime and "answer codes A1..A5" in lime and 'column: "WAM[SQ001]"' in lime
    xl = draft_instrument(str(EXPORTS / "excel_title.xlsx"), instrument_id="xl", pattern="wam*", sheet=2, header_row=2)
    assert "  labels:" not in xl and 'missing_labels: ["n.v.t."]' in xl


def test_unknown_label_order_is_a_todo(tmp_path):
    data = tmp_path / "x.csv"
    data.write_text("id,q1,q2\n1,Bad,Good\n2,Fair,Good\n")
    text = draft_instrument(str(data), instrument_id="x", pattern="q*")
    assert '    1: ["Bad"]' in text and '    2: ["Fair"]' in text and "  max: 3" in text
    assert 'description: "TODO: put the labels under scale.labels in scale order' in text
    path = tmp_path / "x.yaml"
    path.write_text(filled_in(text), encoding="utf-8")
    with pytest.raises(InstrumentError, match=r"x.yaml:\d+: description still holds the draft placeholder"):
        load_instrument(str(path))


def test_draft_errors_name_parameters(tmp_path):
    data = tmp_path / "x.csv"
    data.write_text("id,q1\n1,3\n")
    with pytest.raises(UsageError, match="instrument_id 'Bad': must use lowercase"):
        draft_instrument(str(data), instrument_id="Bad")
    with pytest.raises(UsageError, match="pattern 'z\\*': no column of x.csv matches"):
        draft_instrument(str(data), instrument_id="x", pattern="z*")
    with pytest.raises(UsageError, match=r"scale_min '5': must be below scale_max \(1\)"):
        draft_instrument(str(data), instrument_id="x", scale_min=5, scale_max=1)


def test_bundled_instruments_hold_no_placeholders():
    from wamkit.instrument import list_instruments

    for entry in list_instruments():
        assert entry.get("error") is None, entry
        load_instrument(entry["path"])
    assert np.isfinite(1.0)
