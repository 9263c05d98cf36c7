"""The console entry point: exit codes through os._exit, and a normal exit under a profiler."""

from __future__ import annotations

import subprocess
import sys


def _wamkit(*args):
    code = "import sys; from wamkit.cli import main; sys.argv = ['wamkit', *sys.argv[1:]]; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60)


def test_exit_codes_and_flushed_output():
    ok = _wamkit("--version")
    assert ok.returncode == 0 and ok.stdout.startswith("wamkit ")
    bad = _wamkit("score", "no-such-file.csv", "-i", "wam-demo-client")
    assert bad.returncode == 2 and bad.stderr.startswith("wamkit: error:")
    usage = _wamkit("score", "--seed")
    assert usage.returncode == 2


def test_a_profiler_still_gets_its_results(tmp_path):
    out = tmp_path / "wamkit.prof"
    r = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(out), "-m", "wamkit", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0 and out.exists() and out.stat().st_size > 0
