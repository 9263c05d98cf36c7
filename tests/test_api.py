"""The Python API: lazy exports, the result protocol, and results equal to the CLI's JSON."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import wamkit
from conftest import ROOT
from wamkit.results import to_jsonable

STUDY = str(ROOT / "examples" / "study.yaml")


def test_import_is_light_and_exports_are_listed():
    code = "import sys, wamkit; print(sorted(m for m in ('pandas', 'numpy', 'scipy', 'pyarrow') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    for name in (
        "load_instrument",
        "load_study",
        "read",
        "score",
        "inspect",
        "validate",
        "outcomes",
        "dyads",
        "reflection_sheet",
        "shorten",
        "alpha",
        "omega",
        "kmo",
        "bartlett",
        "parallel_analysis",
        "map_test",
        "fa",
        "polychoric",
        "cfa",
        "invariance",
        "icc",
        "correlations",
        "partial_correlation",
        "logistic",
        "poisson",
        "negative_binomial",
        "cox",
    ):
        assert name in dir(wamkit) and callable(getattr(wamkit, name)), name
    with pytest.raises(AttributeError):
        wamkit.no_such_thing  # noqa: B018
    from wamkit.shortform.crossval import shorten_data

    assert wamkit.shorten is shorten_data  # the function `wamkit shorten` calls on data from wamkit.read


def _cli_json(cli, *args):
    r = cli(*args, "--format", "json")
    assert r.code == 0, r.stderr
    payload = json.loads(r.stdout)
    payload.pop("provenance")
    return payload


@pytest.mark.parametrize("job", ["validate", "outcomes", "dyads"])
def test_library_result_equals_cli_json(cli, job):
    """to_dict() of a library call is exactly the command's JSON (without its provenance block)."""
    if job == "validate":
        data = wamkit.read(study=STUDY, where=["rater=client", "wave=T0"])
        lib = wamkit.validate(data, skip={"parallel", "efa"})
        cli_args = (
            "validate",
            "--study",
            STUDY,
            "--where",
            "rater=client",
            "--where",
            "wave=T0",
            "--skip",
            "parallel",
            "--skip",
            "efa",
        )
    elif job == "outcomes":
        lib = wamkit.outcomes(wamkit.read(study=STUDY))
        cli_args = ("outcomes", "--study", STUDY)
    else:
        lib = wamkit.dyads(wamkit.read(study=STUDY))
        cli_args = ("dyads", "--study", STUDY)
    assert _cli_json(cli, *cli_args) == to_jsonable(lib.to_dict())


def test_every_result_has_the_protocol():
    import pandas as pd

    bfi = pd.read_csv(ROOT / "tests" / "data" / "bfi.csv")
    results = [
        wamkit.alpha(bfi, items=["A2", "A3", "A4"]),
        wamkit.kmo(bfi, items=["A2", "A3", "A4"]),
        wamkit.bartlett(bfi, items=["A2", "A3", "A4"]),
        wamkit.correlations(bfi, "A2", "A3"),
        wamkit.fa(bfi, 1, items=["A2", "A3", "A4", "A5"]),
        wamkit.map_test(bfi, items=["A2", "A3", "A4"]),
        wamkit.icc(bfi[["A2", "A3"]].dropna().to_numpy()),
        wamkit.cfa(bfi, "a =~ A2 + A3 + A4 + A5"),
    ]
    for res in results:
        d = res.to_dict()
        assert json.loads(json.dumps(to_jsonable(d))) is not None
        frames = res.to_frames()
        assert frames and all(isinstance(f, pd.DataFrame) for f in frames.values())
        assert isinstance(res.to_frame(), pd.DataFrame)
        assert res.summary().strip() and "<table" in res._repr_html_(), type(res).__name__
