"""The benchmark script (benchmarks/run.py) runs every workload at a tiny size, without R.

No timing assertions: this only keeps the benchmark code from rotting.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN_PY = ROOT / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("wamkit_benchmarks_run", RUN_PY)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses need the module registered
    spec.loader.exec_module(mod)
    yield mod
    sys.modules.pop(spec.name, None)


@pytest.fixture(scope="module")
def quick_run(bench, tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "BENCHMARKS.md"
    out.write_text("# my hand-written header\n\nkeep me\n\n" + bench.BEGIN_MARK + "\nold generated text\n")
    rows = bench.main(["--quick", "--no-r", "--output", str(out)], log=lambda m: None)
    return rows, out.read_text()


EXPECTED = [
    "startup",
    "startup-score",
    "score-parquet",
    "score-csv",
    "alpha",
    "parallel",
    "polychoric",
    "efa",
    "cfa",
    "invariance",
    "outcomes",
    "validate",
]


def test_every_issue_workload_is_defined(bench):
    assert bench.WORKLOAD_NAMES == EXPECTED


def test_quick_run_has_a_row_per_workload(quick_run):
    rows, text = quick_run
    assert [r.name for r in rows] == EXPECTED
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("| workload |"))
    table = []
    for ln in lines[start:]:
        if not ln.startswith("|"):
            break
        table.append(ln)
    assert table[0].startswith("| workload | wamkit median (s) | R median (s) | ratio wamkit/R")
    assert [ln.split("|")[1].strip() for ln in table[2:]] == EXPECTED


def test_quick_run_compares_score_with_minimal_pipelines(quick_run):
    rows, text = quick_run
    row = next(r for r in rows if r.name == "score-csv")
    assert row.baselines["pyarrow"].status == "ok" and len(row.baselines["pyarrow"].wall) == 1
    assert "polars" in row.baselines
    assert "**score-csv against minimal hand-written pipelines**" in text
    assert "| minimal pyarrow |" in text and "| minimal polars |" in text


def test_quick_run_workloads_ran(quick_run):
    rows, _ = quick_run
    for r in rows:
        if r.name == "outcomes" and r.wamkit.status.startswith("not available yet"):
            continue
        assert r.wamkit.status == "ok", (r.name, r.wamkit.status)
        assert len(r.wamkit.wall) == 1 and r.wamkit.wall[0] > 0
        assert r.wamkit.peak_kib is None or r.wamkit.peak_kib > 0
        assert r.r.status == "not run"


def test_report_keeps_header_and_records_environment(quick_run):
    _, text = quick_run
    assert text.startswith("# my hand-written header\n\nkeep me\n")
    assert "old generated text" not in text
    assert text.count("BEGIN GENERATED") == 1
    assert "python benchmarks/run.py --quick --no-r --output" in text
    assert "cores" in text and "numpy" in text and "pandas" in text and "scipy" in text


def test_select_and_r_scripts(bench):
    assert [w.name for w in bench.select(["score"])] == ["score-parquet", "score-csv"]
    assert [w.name for w in bench.select(["startup"])] == ["startup", "startup-score"]
    with pytest.raises(SystemExit):
        bench.select(["nope"])
    for name in ("alpha", "parallel", "polychoric", "efa", "cfa", "invariance"):
        script = bench.r_inproc_script(name, True)
        assert "work <- function()" in script and "warm <- function()" in script


def test_gnu_time_parser(bench):
    text = "\tUser time (seconds): 1.25\n\tSystem time (seconds): 0.25\n\tMaximum resident set size (kbytes): 123456\n"
    assert bench._parse_gnu_time(text) == (1.5, 123456)
