"""Readers and writers: sniffing, refusals with clear messages, atomic and safe output."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from wamkit.errors import DataError, UsageError
from wamkit.io import atomic_write, check_output_path, iter_text_chunks, neutralise_formulas, read_table, write_frame


def test_semicolon_decimal_comma_cp1252_and_bom(tmp_path):
    p = tmp_path / "eu.csv"
    p.write_bytes(
        "\ufeffid;naam;wai01\n007;Jos\u00e9;3,0\n008;Ren\u00e9e;4\n".encode("cp1252", errors="ignore").replace(
            b"?", b""
        )
    )
    t = read_table(str(p), infer_columns={"wai01"})
    assert t.delimiter == ";" and t.decimal_comma
    assert t.frame["id"].tolist() == ["007", "008"]  # identifiers kept verbatim
    assert t.frame["wai01"].tolist() == [3.0, 4.0]
    assert t.encoding == "cp1252"
    assert t.frame["naam"].tolist() == ["Jos\u00e9", "Ren\u00e9e"]


def test_utf8_bom_header(tmp_path):
    p = tmp_path / "bom.csv"
    p.write_bytes(b"\xef\xbb\xbfid,a\n1,2\n")
    assert list(read_table(str(p)).frame.columns) == ["id", "a"]


def test_tab_separated(tmp_path):
    p = tmp_path / "x.tsv"
    p.write_text("id\ta\n1\t2\n")
    t = read_table(str(p))
    assert t.delimiter == "\t" and t.frame["a"].tolist() == [2]


@pytest.mark.parametrize(
    "content,message",
    [
        (b"", "file is empty"),
        (b"\n\n", "file is empty"),
        (b"id,a,b\n", "has a header but no data rows"),
        (b"id,a,a\n1,2,3\n", "duplicate column name 'a' (columns 2 and 3)"),
        (b"id,,b\n1,2,3\n", "column 2 has an empty name"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file"),
        (b"id,a,b\n1,2,3\n4,5\n", "row 2 (line 3) is truncated: 2 fields where the header has 3"),
        (b"id,a,b\n1,2,3,4\n", "row 1 (line 2) has extra fields"),
    ],
)
def test_refusals(tmp_path, content, message):
    p = tmp_path / "bad.csv"
    p.write_bytes(content)
    with pytest.raises(DataError) as e:
        read_table(str(p))
    assert message in e.value.message
    assert e.value.message.startswith("bad.csv")


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read_table(str(tmp_path / "nope.csv"))
    with pytest.raises(DataError, match="is a folder"):
        read_table(str(tmp_path))


def test_binary_formats_round_trip(tmp_path):
    df = pd.DataFrame({"id": ["a", "b"], "x": [1.0, 2.0]})
    write_frame(df, str(tmp_path / "o.parquet"), "parquet")
    assert read_table(str(tmp_path / "o.parquet")).frame["x"].tolist() == [1.0, 2.0]
    write_frame(df, str(tmp_path / "o.xlsx"), "xlsx")
    t = read_table(str(tmp_path / "o.xlsx"))
    assert t.frame["id"].tolist() == ["a", "b"] and t.meta["sheet"] == "Sheet1"
    with pytest.raises(DataError, match="no sheet 'zz'"):
        read_table(str(tmp_path / "o.xlsx"), sheet="zz")


def test_spss_sav(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    df = pd.DataFrame({"id": ["a", "b"], "wai01": [1.0, 5.0]})
    path = tmp_path / "x.sav"
    pyreadstat.write_sav(df, str(path), variable_value_labels={"wai01": {1.0: "Seldom", 5.0: "Always"}})
    t = read_table(str(path), infer_columns={"wai01"})  # item columns keep their codes
    assert t.frame["wai01"].tolist() == [1.0, 5.0]
    assert t.meta["value_labels"]["wai01"][5.0] == "Always"
    assert read_table(str(path)).frame["wai01"].tolist() == ["Seldom", "Always"]  # no items named: labels


def test_corrupt_binary_inputs(tmp_path):
    for name in ("x.xlsx", "x.sav", "x.parquet"):
        p = tmp_path / name
        p.write_bytes(b"this is not that format")
        with pytest.raises(DataError, match="not a readable"):
            read_table(str(p))


def test_formula_neutralisation_keeps_numbers():
    df = pd.DataFrame({"note": ["=HYPERLINK(1)", "+1+2", "-9", "@cmd", "plain", "-3.5"], "x": [1, 2, 3, 4, 5, 6]})
    out = neutralise_formulas(df)
    assert out["note"].tolist() == ["'=HYPERLINK(1)", "'+1+2", "-9", "'@cmd", "plain", "-3.5"]
    assert df["note"].iloc[0] == "=HYPERLINK(1)"  # input not mutated


def test_output_path_checks(tmp_path):
    inp = tmp_path / "in.csv"
    inp.write_text("a\n1\n")
    with pytest.raises(UsageError, match="output folder .* does not exist"):
        check_output_path(str(tmp_path / "nope" / "o.csv"), [str(inp)])
    with pytest.raises(UsageError, match="output path is an input file"):
        check_output_path(str(inp), [str(inp)])
    with pytest.raises(UsageError, match="is a folder"):
        check_output_path(str(tmp_path), [])


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "o.csv"

    def boom(tmp):
        with open(tmp, "w") as fh:
            fh.write("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, boom)
    assert os.listdir(tmp_path) == []


def test_chunked_reading_matches_whole_file(tmp_path):
    p = tmp_path / "big.csv"
    rng = np.random.default_rng(1)
    df = pd.DataFrame(rng.integers(1, 6, size=(1234, 3)), columns=["a", "b", "c"])
    df.insert(0, "id", [f"{i:05d}" for i in range(1234)])
    df.to_csv(p, index=False)
    chunks = list(iter_text_chunks(str(p), chunk_rows=100))
    assert len(chunks) > 5
    whole = pd.concat(chunks, ignore_index=True)
    assert whole["id"].tolist() == df["id"].tolist()
    assert whole["a"].astype(int).tolist() == df["a"].tolist()


def test_utf16_unicode_text_export(tmp_path):
    p = tmp_path / "unicode.txt"
    p.write_bytes("id\twai01\n007\t3\n".encode("utf-16"))
    t = read_table(str(p), infer_columns={"wai01"})
    assert t.encoding == "utf-16" and t.delimiter == "\t"
    assert t.frame["id"].tolist() == ["007"] and t.frame["wai01"].tolist() == [3]
