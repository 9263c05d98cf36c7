"""Shared fixtures: paths to data, an in-process CLI runner."""

from __future__ import annotations

import os

# As the `wamkit` command does: one BLAS thread (the matrices are small; the suite runs one worker per core).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
REFERENCE = ROOT / "tests" / "reference"
EXAMPLES = ROOT / "examples"


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str
    stdout_bytes: bytes


@pytest.fixture
def cli(capfdbinary, monkeypatch):
    """Run ``wamkit ARGS`` in-process; returns exit code, stdout and stderr."""
    from wamkit.cli import app
    from wamkit.cli.common import STATE, run

    def invoke(*args: str, stdin: bytes | None = None) -> CliResult:
        monkeypatch.setattr(sys, "argv", ["wamkit", *map(str, args)])
        if stdin is not None:
            import io

            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        STATE["debug"] = False
        from wamkit import io as wamkit_io

        wamkit_io.forget_inputs()  # one CLI call = one process
        code = 0
        capfdbinary.readouterr()
        try:
            run(app)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        out, err = capfdbinary.readouterr()
        return CliResult(
            code=code, stdout=out.decode("utf-8", "replace"), stderr=err.decode("utf-8", "replace"), stdout_bytes=out
        )

    return invoke


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


#: modules whose tests run longest (a benchmark smoke run, real browsers, many CLI runs): started
#: first, so that the two test workers finish together instead of one waiting on a long test
SLOW_FIRST = (
    "test_benchmarks.py",
    "test_browser_render.py",
    "test_exports_end_to_end.py",
    "test_dyads_cli.py",
    "test_fuzz.py",
    "test_no_network.py",
)


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(SLOW_FIRST)))  # stable: the rest keep their order
