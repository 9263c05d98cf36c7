"""The streaming scorer: same bytes as the in-memory path, no pandas, fallbacks for text items and encodings."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest

from wamkit.instrument import load_instrument
from wamkit.io import read_table, write_frame
from wamkit.io.arrow import arrow_array, numpy_bools, numpy_floats, numpy_ints
from wamkit.scoring import score
from wamkit.scoring.stream import StreamOptions, pipeline, stream_score

ITEMS = [f"wai{i:02d}" for i in range(1, 13)]


def test_streaming_loads_no_pandas(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("id," + ",".join(ITEMS) + "\n" + "".join(f"{i}," + ",".join(["3"] * 12) + "\n" for i in range(50)))
    code = (
        "import sys\n"
        "from wamkit.instrument import load_instrument\n"
        "from wamkit.scoring.stream import StreamOptions, stream_score\n"
        f"stream_score({str(src)!r}, load_instrument('wai-sr-client'), StreamOptions(), "
        f"output={str(tmp_path / 'o.csv')!r}, fmt='csv', chunk_rows=7, progress=False)\n"
        "assert 'pandas' not in sys.modules, 'streaming imported pandas'\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "o.csv").read_text().startswith('"id","task","goal","bond","total"\n"0",3,3,3,3\n')


@pytest.mark.parametrize("cells", [["3", "4"], ["3", " 4 "], ["3", "é"]])
def test_streamed_bytes_equal_in_memory_bytes(tmp_path, cells):
    """Numeric items, a padded number late in the file (text fallback) and a late non-UTF-8 byte
    (encoding fallback)."""
    rng = np.random.default_rng(2)
    rows = [f"P{i:03d}," + ",".join(str(v) for v in rng.integers(1, 6, 12)) for i in range(400)]
    rows[350] = "P350," + ",".join([cells[0]] * 11) + "," + cells[1].replace("é", "3")
    text = "id," + ",".join(ITEMS) + "\n" + "\n".join(rows) + "\n"
    if cells[1] == "é":
        text = text.replace("P350", "Ren\u00e9")
    src = tmp_path / "in.csv"
    src.write_bytes(text.encode("cp1252" if cells[1] == "é" else "utf-8"))
    ins = load_instrument("wai-sr-client")
    streamed = tmp_path / "s.csv"
    stream_score(str(src), ins, StreamOptions(), output=str(streamed), fmt="csv", chunk_rows=64, progress=False)
    t = read_table(str(src), infer_columns=ITEMS)
    write_frame(score(t.frame, ins, source=t.source).scores, str(tmp_path / "m.csv"), "csv")
    assert streamed.read_bytes() == (tmp_path / "m.csv").read_bytes()


def test_streamed_labels_equal_in_memory(tmp_path):
    ins = load_instrument("wam-demo-client")
    items = ins.item_ids
    labels = ["Never", "Rarely", "Sometimes", "Often", "Always", "n.v.t.", ""]
    rng = np.random.default_rng(4)
    rows = [f"D{i}," + ",".join(labels[k] for k in rng.integers(0, 7, len(items))) for i in range(300)]
    src = tmp_path / "labels.csv"
    src.write_text("dyad," + ",".join(items) + "\n" + "\n".join(rows) + "\n")
    stream_score(
        str(src), ins, StreamOptions(), output=str(tmp_path / "s.csv"), fmt="csv", chunk_rows=50, progress=False
    )
    t = read_table(str(src), infer_columns=items)
    write_frame(score(t.frame, ins, source=t.source).scores, str(tmp_path / "m.csv"), "csv")
    assert (tmp_path / "s.csv").read_bytes() == (tmp_path / "m.csv").read_bytes()


def test_arrow_views_without_pandas():
    a = pa.chunked_array([pa.array([1.5, None]), pa.array([3.0])])
    assert np.array_equal(numpy_floats(a), [1.5, np.nan, 3.0], equal_nan=True)
    assert numpy_floats(pa.array([1, None, 3]).slice(1)).tolist()[1] == 3.0
    assert numpy_ints(pa.array([4, None, 6], pa.int32()).slice(1)).tolist() == [-1, 6]
    assert numpy_bools(pa.array([True, None, False, True]).slice(1)).tolist() == [False, False, True]
    arr = arrow_array(np.array([1.0, np.nan]))
    assert arr.null_count == 1 and arr.to_pylist() == [1.0, None]
    assert arrow_array(np.arange(3)).to_pylist() == [0, 1, 2]


def test_pipeline_keeps_order_and_raises_the_first_error():
    out: list[int] = []
    pipeline(iter(range(20)), lambda x: x * 2, out.append)
    assert out == [x * 2 for x in range(20)]

    def bad_source():
        yield 1
        raise ValueError("reader failed")

    with pytest.raises(ValueError, match="reader failed"):
        pipeline(bad_source(), lambda x: x, lambda x: None)

    def bad_sink(x):
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        pipeline(iter(range(100)), lambda x: x, bad_sink)
    with pytest.raises(KeyError):
        pipeline(iter(range(5)), lambda x: {}[x], lambda x: None)
