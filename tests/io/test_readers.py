"""Reader behaviours beyond plain CSV: header_row, title rows, row locations, streaming of exports."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.conftest import ROOT

from wamkit.errors import DataError, UsageError
from wamkit.instrument import load_instrument
from wamkit.io import SuggestedSetting, iter_text_chunks, read_table
from wamkit.scoring import score

ITEMS = [f"wai{i:02d}" for i in range(1, 13)]
HEADER = "id," + ",".join(ITEMS)


def row(ident: str, last: str = "3") -> str:
    return f"{ident}," + ",".join(["3"] * 11) + f",{last}"


def test_title_row_above_the_header_is_refused_with_a_hint(tmp_path):
    p = tmp_path / "titled.csv"
    p.write_text(f"Survey export 2026-03\n{HEADER}\n{row('1')}\n")
    with pytest.raises(SuggestedSetting) as e:
        read_table(str(p))
    assert e.value.message == (
        "titled.csv: row 1 holds only 'Survey export 2026-03', which looks like a title, not "
        "column names; the column names seem to be in row 2; give header_row=2"
    )
    assert (e.value.parameter, e.value.value) == ("header_row", 2)
    assert e.value.reason.endswith("seem to be in row 2")
    t = read_table(str(p), header_row=2, infer_columns=ITEMS)
    assert list(t.frame.columns) == ["id", *ITEMS] and t.frame["id"].tolist() == ["1"]
    assert t.meta["header_row"] == 2 and "1 row(s) above them skipped" in t.meta["notes"][0]


def test_title_rows_with_a_blank_line_and_semicolons(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text(f"Export\n\n{HEADER.replace(',', ';')}\n{row('1').replace(',', ';')}\n")
    with pytest.raises(SuggestedSetting, match="give header_row=3"):
        read_table(str(p))
    t = read_table(str(p), header_row=3)
    assert t.delimiter == ";" and t.frame.shape == (1, 13)


def test_single_column_files_are_not_mistaken_for_titles(tmp_path):
    p = tmp_path / "one.csv"
    p.write_text("score\n3\n4\n")
    assert read_table(str(p)).frame["score"].tolist() == [3, 4]


def test_bad_cells_in_a_file_with_skipped_rows_name_the_line(tmp_path):
    p = tmp_path / "titled.csv"
    p.write_text(f"Title\n{HEADER}\n{row('1')}\n{row('2', '8')}\n")
    t = read_table(str(p), header_row=2, infer_columns=ITEMS)
    assert t.where(2) == "row 2 (line 4)"
    with pytest.raises(DataError) as e:
        score(t.frame, load_instrument("wai-sr-client"), source=t.source, locate=t.locate)
    assert e.value.message == "titled.csv, row 2 (line 4), column wai12: value 8 is outside the scale 1-5"


def test_plain_files_keep_plain_row_numbers(tmp_path):
    p = tmp_path / "plain.csv"
    p.write_text(f"{HEADER}\n{row('1')}\n")
    t = read_table(str(p))
    assert t.locate(1) is None and t.where(1) == "row 1"


def test_truncated_row_below_skipped_rows_counts_data_rows(tmp_path):
    p = tmp_path / "cut.csv"
    p.write_text(f"Title\n{HEADER}\n{row('1')}\n1,2,3\n")
    with pytest.raises(DataError, match=r"cut.csv: row 2 \(line 4\) is truncated: 3 fields where the header has 13"):
        read_table(str(p), header_row=2)


def test_header_row_errors(tmp_path):
    p = tmp_path / "short.csv"
    p.write_text(f"{HEADER}\n{row('1')}\n")
    with pytest.raises(DataError, match="header_row '9': short.csv has only 2 row"):
        read_table(str(p), header_row=9)
    with pytest.raises(UsageError, match="header_row is a 1-based row number, not 0"):
        read_table(str(p), header_row=0)
    sav = ROOT / "tests" / "data" / "exports" / "spss_labelled.sav"
    with pytest.raises(UsageError, match="header_row applies to CSV/TSV and XLSX files"):
        read_table(str(sav), header_row=2)
    with pytest.raises(UsageError, match="export must be one of"):
        read_table(str(p), export="surveymonkey")


def test_empty_first_sheet_points_to_the_data_sheet(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    ws = wb.create_sheet("Data")
    ws.append(["id", *ITEMS])
    ws.append([1, *[3] * 12])
    wb.save(tmp_path / "two.xlsx")
    with pytest.raises(SuggestedSetting) as e:
        read_table(str(tmp_path / "two.xlsx"))
    assert (e.value.parameter, e.value.value) == ("sheet", "Data")
    assert read_table(str(tmp_path / "two.xlsx"), sheet=2).frame.shape == (1, 13)


def test_xlsx_header_only_and_trailing_blank_columns(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "a", None, None])
    ws.append([1, 2, None, None])
    ws.append([None, None, None, None])  # trailing blank row
    wb.save(tmp_path / "x.xlsx")
    t = read_table(str(tmp_path / "x.xlsx"))
    assert list(t.frame.columns) == ["id", "a"] and len(t.frame) == 1


def test_streamed_chunks_of_a_qualtrics_export_equal_the_whole_read():
    path = str(ROOT / "tests" / "data" / "exports" / "qualtrics.csv")
    items = [f"WAM_{j}" for j in range(1, 20)]
    whole = read_table(path, infer_columns=items).frame
    chunks = list(iter_text_chunks(path, chunk_rows=40, item_columns=items))
    streamed = pd.concat(chunks)
    assert streamed.index.tolist() == whole.index.tolist()  # previews left out, row numbers kept
    assert isinstance(streamed["WAM_1"].dtype, pd.CategoricalDtype) or streamed["WAM_1"].dtype == float
    pd.testing.assert_frame_equal(streamed[["dyad", "rater", "wave"]], whole[["dyad", "rater", "wave"]])
    ins = load_instrument("wam-demo-client")
    a = score(whole, ins, source="q", column_template="WAM_{n}").scores
    b = pd.concat([score(c, ins, source="q", column_template="WAM_{n}").scores for c in chunks])
    pd.testing.assert_frame_equal(a[ins.score_ids], b[ins.score_ids])


def test_stream_score_of_a_titled_file_equals_the_in_memory_scores(tmp_path):
    from wamkit.io import write_frame
    from wamkit.scoring.stream import StreamOptions, stream_score

    rng = np.random.default_rng(5)
    lines = ["Title", HEADER] + [f"{i}," + ",".join(map(str, rng.integers(1, 6, 12))) for i in range(300)]
    src = tmp_path / "titled.csv"
    src.write_text("\n".join(lines) + "\n")
    ins = load_instrument("wai-sr-client")
    out = tmp_path / "s.csv"
    stream_score(
        str(src), ins, StreamOptions(), output=str(out), fmt="csv", chunk_rows=64, progress=False, header_row=2
    )
    t = read_table(str(src), header_row=2, infer_columns=ITEMS)
    write_frame(score(t.frame, ins, source=t.source).scores, str(tmp_path / "m.csv"), "csv")
    assert out.read_bytes() == (tmp_path / "m.csv").read_bytes()
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines[:200] + [row("x", "8")] + lines[200:]) + "\n")
    with pytest.raises(DataError, match=r"bad.csv, row 199 \(line 201\), column wai12: value 8"):
        stream_score(
            str(bad),
            ins,
            StreamOptions(),
            output=str(tmp_path / "b.csv"),
            fmt="csv",
            chunk_rows=64,
            progress=False,
            header_row=2,
        )
    assert not (tmp_path / "b.csv").exists()
