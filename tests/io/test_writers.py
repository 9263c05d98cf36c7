"""Writers: 15-significant-digit numbers, ISO dates, CSV dialects, no replacing of files, atomicity."""

from __future__ import annotations

import datetime as dt
import io
import json
import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wamkit.io import (
    FrameWriter,
    OutputExists,
    atomic_write,
    check_output_path,
    frame_to_bytes,
    note_input,
    read_table,
    round_significant,
    write_frame,
)
from wamkit.io.readers import forget_inputs


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=50),
    st.integers(min_value=1, max_value=15),
)
def test_round_significant_equals_correctly_rounded_formatting(xs, digits):
    got = round_significant(np.array(xs), digits)
    want = np.array([float(f"{x:.{digits}g}") for x in xs])
    assert np.array_equal(got, want, equal_nan=True)


def test_round_significant_on_ties_and_edges():
    xs = np.array(
        [
            3.8000000000000003,
            0.1 + 0.2,
            1 / 3,
            2.675,
            0.125,
            1e15 - 1,
            999999999999999.7,
            1e14 + 0.5,
            123456789012345.65,
            9.999999999999999e-9,
            5e-324,
            -0.0,
            1.7976931348623157e308,
        ]
    )
    rng = np.random.default_rng(3)
    ties = (rng.integers(0, 10**15, 20000) * 2 + 1) / 2.0 ** rng.integers(1, 45, 20000)  # exact binary halves
    for x in (xs, ties):
        assert np.array_equal(round_significant(x), np.array([float(f"{v:.15g}") for v in x]))
    assert repr(float(round_significant(3.8000000000000003))) == "3.8"
    assert round_significant(np.zeros((2, 3))).shape == (2, 3)


def test_csv_numbers_without_binary_noise_and_iso_dates():
    frame = pd.DataFrame(
        {
            "id": ["007", "=cmd"],
            "x": [3.8000000000000003, 1 / 3],
            "n": [3, 4],
            "miss": [np.nan, 1.0],
            "day": pd.to_datetime(["2024-03-01", "2024-03-02"]),
            "stamp": pd.to_datetime(["2024-03-01 10:22:13", "2024-03-02 00:00:00"]),
            "obj": [dt.date(2024, 3, 1), "text"],
        }
    )
    text = frame_to_bytes(frame, "csv").decode()
    assert text == (
        '"id","x","n","miss","day","stamp","obj"\n'
        '"007",3.8,3,,2024-03-01,"2024-03-01 10:22:13","2024-03-01"\n'
        '"\'=cmd",0.333333333333333,4,1,2024-03-02,"2024-03-02 00:00:00","text"\n'
    )


def test_json_numbers_and_dates():
    frame = pd.DataFrame(
        {
            "x": [3.8000000000000003, np.nan],
            "day": pd.to_datetime(["2024-03-01", "2024-03-02"]),
            "obj": [dt.datetime(2024, 3, 1, 9, 30), 7],
        }
    )
    assert json.loads(frame_to_bytes(frame, "json")) == [
        {"x": 3.8, "day": "2024-03-01", "obj": "2024-03-01 09:30:00"},
        {"x": None, "day": "2024-03-02", "obj": 7},
    ]


def test_excel_nl_dialect(tmp_path):
    frame = pd.DataFrame(
        {
            "dyad": ["D1", 'say "hi"; ok'],
            "score": [3.8000000000000003, -0.5],
            "n": [1, 2],
            "day": pd.to_datetime(["2024-03-01", "2024-03-02"]),
            "note": ["+31 6", None],
        }
    )
    data = frame_to_bytes(frame, "csv", dialect="excel-nl")
    assert data == (
        '\ufeff"dyad";"score";"n";"day";"note"\n"D1";3,8;1;2024-03-01;"\'+31 6"\n"say ""hi""; ok";-0,5;2;2024-03-02;\n'
    ).encode("utf-8")
    out = tmp_path / "nl.csv"
    write_frame(frame, str(out), "csv", dialect="excel-nl")
    back = read_table(str(out), infer_columns=["score", "n"])
    assert (back.delimiter, back.decimal_comma) == (";", True)
    assert back.frame["score"].tolist() == [3.8, -0.5] and back.frame["dyad"].tolist() == frame["dyad"].tolist()


def test_unknown_dialect_names_the_parameter():
    from wamkit.errors import UsageError

    with pytest.raises(UsageError, match="csv_dialect must be one of standard, excel-nl, not 'excel-de'"):
        frame_to_bytes(pd.DataFrame({"a": [1]}), "csv", dialect="excel-de")


@pytest.mark.parametrize("fmt,dialect", [("csv", "standard"), ("tsv", "standard"), ("csv", "excel-nl")])
def test_chunked_writing_gives_the_same_bytes(tmp_path, fmt, dialect):
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "id": [f"P{i:04d}" for i in range(1000)],
            "x": rng.random(1000) / 3,
            "y": np.where(rng.random(1000) < 0.1, np.nan, rng.integers(1, 6, 1000) / 7),
        }
    )
    whole, parts = tmp_path / f"whole.{fmt}", tmp_path / f"parts.{fmt}"
    with FrameWriter(str(whole), fmt, dialect) as w:
        w.write(frame)
    with FrameWriter(str(parts), fmt, dialect) as w:
        for start in range(0, 1000, 170):
            w.write(frame.iloc[start : start + 170])
    assert whole.read_bytes() == parts.read_bytes()


def test_writers_refuse_to_replace_a_file(tmp_path):
    out = tmp_path / "scores.csv"
    out.write_text("an earlier result\n")
    frame = pd.DataFrame({"a": [1.0]})
    with pytest.raises(OutputExists) as e:
        write_frame(frame, str(out), "csv")
    assert e.value.path == str(out) and e.value.message == f"{out} exists; add overwrite=True to replace it"
    with pytest.raises(OutputExists):
        check_output_path(str(out), [])
    assert out.read_text() == "an earlier result\n" and os.listdir(tmp_path) == ["scores.csv"]
    write_frame(frame, str(out), "csv", overwrite=True)
    assert out.read_text() == '"a"\n1\n'
    check_output_path(str(out), [], overwrite=True)


def test_never_over_an_input_even_with_overwrite(tmp_path):
    from wamkit.errors import UsageError

    inp = tmp_path / "in.csv"
    inp.write_text("a\n1\n")
    note_input(str(inp))
    try:
        with pytest.raises(UsageError, match="refusing to overwrite the input"):
            write_frame(pd.DataFrame({"a": [2]}), str(inp), "csv", overwrite=True)
    finally:
        forget_inputs()
    assert inp.read_text() == "a\n1\n"


def test_a_file_created_while_writing_is_not_replaced(tmp_path):
    out = tmp_path / "o.csv"

    def write(tmp):
        with open(tmp, "w") as fh:
            fh.write("new")
        out.write_text("someone else's")  # another process got there first

    with pytest.raises(OutputExists):
        atomic_write(out, write)
    assert out.read_text() == "someone else's" and os.listdir(tmp_path) == ["o.csv"]


def test_stdout_bytes_for_tsv():
    assert frame_to_bytes(pd.DataFrame({"a": ["x"], "b": [0.30000000000000004]}), "tsv") == b'"a"\t"b"\n"x"\t0.3\n'


def test_frame_writer_to_a_stream():
    buf = io.BytesIO()
    with FrameWriter(buf, "csv") as w:
        w.write(pd.DataFrame({"a": [1.5]}))
    assert buf.getvalue() == b'"a"\n1.5\n' and not buf.closed
