"""The renderers' document model: decimal marks of table cells."""

from __future__ import annotations

from wamkit.render.document import Column, Document


def test_decimal_comma_applies_to_numbers_and_intervals_not_text():
    doc = Document("t", decimal=",")
    doc.table(
        [{"name": "a.b", "r": 0.812, "lo": 0.1234, "hi": 0.5, "p": 0.0123}],
        [Column("name", kind="text"), Column("r", kind="r"), Column(("lo", "hi")), Column("p", kind="p")],
    )
    (table,) = doc.blocks
    assert table.rows() == [["a.b", ",81", "[0,12; 0,50]", ",012"]]
    plain = Document("t")
    plain.table([{"r": 0.812}], [Column("r", kind="num")])
    assert plain.blocks[0].rows() == [["0.812"]]
