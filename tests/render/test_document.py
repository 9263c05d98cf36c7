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


def test_bland_altman_axis_labels_in_the_report_language():
    import numpy as np

    from wamkit.render.i18n import catalogue
    from wamkit.render.reports.dyads import bland_altman_svg

    m, d = np.array([2.5, 3.0, 3.5, 4.0]), np.array([-0.5, 0.25, 0.0, 0.75])
    panels = [("T0", m, d, 0.2, -0.9, 1.15)]
    nl = bland_altman_svg(panels, xlabel="x", ylabel="y", number=catalogue("nl").number)
    en = bland_altman_svg(panels, xlabel="x", ylabel="y", number=catalogue("en").number)
    assert ">0,20<" in nl and ">-0,90<" in nl and ">2,5<" in nl and ">0.20<" in en and ">0,20<" not in en
