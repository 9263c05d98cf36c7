"""The bad-input corpus (issue 7): exit codes, one-line messages, no partial output, inputs untouched.

The cases live in ``tests/badinput/cases.py`` (corpus files in ``tests/badinput/files``); this file only
runs them. See the docstring there for what each case checks.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import sys
import warnings
from pathlib import Path

import pytest

BADINPUT = Path(__file__).resolve().parent / "badinput"
_spec = importlib.util.spec_from_file_location("badinput_cases", BADINPUT / "cases.py")
cases = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("badinput_cases", cases)
_spec.loader.exec_module(cases)

MAX_MESSAGE_CHARS = 20_000


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry under ``folder`` (recursively, symlinks not followed) -> content hash or kind."""
    out = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            p = Path(root) / name
            rel = str(p.relative_to(folder))
            if p.is_symlink():
                out[rel] = "symlink -> " + os.readlink(p)
            elif p.is_dir():
                out[rel] = "folder"
            else:
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def prepare(tmp_path: Path, argv, also=(), make=None) -> tuple[Path, list[str]]:
    w = tmp_path / "w"
    w.mkdir()
    names = set(also)
    for a in argv:
        if a.startswith("{w}/"):
            name = a[4:]
            if len(name) < 255 and (cases.FILES / name).is_file():
                names.add(name)
    for name in sorted(names):
        shutil.copyfile(cases.FILES / name, w / name)
    if make is not None:
        make(w)
    return w, [a.replace("{w}", str(w)) for a in argv]


def _param(c):
    marks = [pytest.mark.xfail(strict=True, reason=c.bug)] if c.bug else []
    return pytest.param(c, id=c.id, marks=marks)


def test_corpus_is_big_enough_and_ids_unique():
    ids = [c.id for c in cases.CASES] + [h.id for h in cases.HANDLED]
    assert len(set(ids)) == len(ids)
    assert len(cases.CASES) >= 40
    commands = {c.argv[0] for c in cases.CASES if not c.click}
    assert commands >= {"score", "inspect", "instruments", "simulate", "validate", "outcomes", "dyads", "report"}


def test_every_corpus_file_is_used():
    used = set()
    for c in [*cases.CASES, *cases.HANDLED]:
        used.update(c.also)
        used.update(a[4:] for a in c.argv if a.startswith("{w}/"))
    unused = {p.name for p in cases.FILES.iterdir()} - used
    assert not unused


@pytest.mark.parametrize("case", [_param(c) for c in cases.CASES])
def test_bad_input(cli, tmp_path, case):
    w, argv = prepare(tmp_path, case.argv, case.also, case.make)
    before = snapshot(w)
    r = cli(*argv, stdin=case.stdin)
    assert "Traceback" not in r.stderr, r.stderr
    assert "internal error" not in r.stderr, r.stderr
    assert r.code == case.code, r.stderr[:2000]
    assert len(r.stderr) < MAX_MESSAGE_CHARS, f"{len(r.stderr)} characters on stderr"
    if case.click:
        assert "Usage: " in r.stderr and f"Error: {case.fragment}" in r.stderr
        assert r.stdout == "" and snapshot(w) == before
        return
    lines = r.stderr.splitlines()
    heads = [i for i, line in enumerate(lines) if line.startswith("wamkit: error: ")]
    assert len(heads) == 1, r.stderr
    if not case.preamble:
        assert heads == [0], r.stderr
    assert all(line.startswith("  ") for line in lines[heads[0] + 1 :]), r.stderr
    message = "\n".join(lines[heads[0] :])
    assert case.fragment.replace("{w}", str(w)) in message
    assert r.stdout == ""
    assert snapshot(w) == before  # no output, no temp file, inputs byte for byte unchanged


@pytest.mark.parametrize("case", [_param(c) for c in cases.HANDLED])
def test_messy_but_valid_input_is_handled(cli, tmp_path, case):
    w, argv = prepare(tmp_path, case.argv, case.also, case.make)
    before = snapshot(w)
    with warnings.catch_warnings(record=True) as caught:  # in-process, Python warnings do not reach stderr
        warnings.simplefilter("always")
        r = cli(*argv)
    assert r.code == 0, r.stderr
    assert "Traceback" not in r.stderr and "Warning" not in r.stderr, r.stderr
    leaked = [f"{w.category.__name__}: {w.message}" for w in caught if issubclass(w.category, RuntimeWarning)]
    assert not leaked
    after = snapshot(w)
    new = set(after) - set(before)
    assert {k: v for k, v in after.items() if k in before} == before  # inputs unchanged
    assert new == ({case.output} if case.output else set())  # the output, and no temp file
    text = {
        "output": lambda: (w / case.output).read_text(encoding="utf-8"),
        "stdout": lambda: r.stdout,
        "stderr": lambda: r.stderr,
    }[case.where]()
    assert case.expect in text
    if case.output and case.output.endswith(".json"):  # strict JSON: no NaN/Infinity tokens
        json.loads((w / case.output).read_text(encoding="utf-8"), parse_constant=_refuse_constant)


def _refuse_constant(token: str):
    raise AssertionError(f"JSON output holds {token}, which strict JSON parsers reject")


def test_report_all_into_missing_folder_creates_only_that_folder(cli, tmp_path):
    """``report --all -o FOLDER`` may create FOLDER (documented); it writes nothing else (sheets, index, PDF)."""
    w, argv = prepare(
        tmp_path,
        ("report", "{w}/demo_small.csv", *cases.BOTH, "--dyad", "dyad", "--wave", "wave", "--all", "-o", "{w}/sheets"),
    )
    before = snapshot(w)
    r = cli(*argv)
    assert r.code == 0, r.stderr
    after = snapshot(w)
    assert {k for k in after if k not in before} == {"sheets", *(f"sheets/{n}" for n in os.listdir(w / "sheets"))}
    assert all(n.endswith(".html") or n == "reflection-sheets.pdf" for n in os.listdir(w / "sheets"))
    assert "index.html" in os.listdir(w / "sheets")
    assert {k: v for k, v in after.items() if k in before} == before


def test_read_only_output_folder(cli, tmp_path):
    w, argv = prepare(tmp_path, cases.score("good.csv", out="{w}/ro/scores.csv"))
    ro = w / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        if os.access(ro, os.W_OK):
            pytest.skip("running as root: permission bits do not stop writes (the parent-is-a-file case covers this)")
        before = snapshot(w)
        r = cli(*argv)
        assert r.code == 2 and r.stderr.startswith("wamkit: error: ") and "permission denied" in r.stderr
        assert snapshot(w) == before
    finally:
        ro.chmod(0o755)


def test_python_object_yaml_runs_nothing(cli, tmp_path, monkeypatch):
    """The ``!!python/object`` payloads would create PWNED in the working folder if they were constructed."""
    w, _ = prepare(
        tmp_path,
        ("{w}/python_object.yaml", "{w}/python_object_new.yaml", "{w}/alerts_python_object.yaml", "{w}/demo_small.csv"),
    )
    monkeypatch.chdir(w)
    for name in ("python_object.yaml", "python_object_new.yaml"):
        assert cli("instruments", "check", name).code == 2
    r = cli(
        "dyads",
        "demo_small.csv",
        *cases.BOTH,
        "--dyad",
        "dyad",
        "--alerts",
        "alerts_python_object.yaml",
        "--format",
        "json",
        "-o",
        "d.json",
    )
    assert r.code == 2
    assert not (w / "PWNED").exists() and not (w / "d.json").exists()


def test_many_bad_cells_message_has_bounded_detail_lines(cli, tmp_path):
    case = next(c for c in cases.CASES if c.id == "many-bad-cells-listed-to-a-limit")
    w, argv = prepare(tmp_path, case.argv, make=case.make)
    r = cli(*argv)
    lines = r.stderr.splitlines()
    assert len(lines) == 1 + 20 + 1 and lines[-1] == "  ... and 40 more"


def test_data_error_json_is_not_written_half(cli, tmp_path):
    """A data error after the output path was accepted leaves neither the file nor a ``.part`` file."""
    w, argv = prepare(
        tmp_path,
        ("validate", "{w}/non_numeric_cell.csv", "-i", "wai-sr-client", "--format", "json", "-o", "{w}/v.json"),
    )
    r = cli(*argv)
    assert r.code == 2
    assert sorted(os.listdir(w)) == ["non_numeric_cell.csv"]
    assert not any(n.startswith(".") for n in os.listdir(w))
    json.dumps(r.stderr)  # plain text


def test_formulas_neutralised_in_xlsx_output(cli, tmp_path):
    import pandas as pd

    w, argv = prepare(tmp_path, cases.score("formula_ids.csv", out="{w}/scores.xlsx"))
    r = cli(*argv, "-q")
    assert r.code == 0, r.stderr
    ids = pd.read_excel(w / "scores.xlsx", dtype=str)["id"].tolist()
    assert ids == ['\'=HYPERLINK("http://example.org")', "-5", "'@SUM(A1)"]


@pytest.mark.parametrize(
    "name",
    [
        "a: b",
        "- x",
        "#c",
        "&anc",
        "*al",
        "!!python/object/apply:os.system",
        'q"uote',
        "tab\there",
        "\u00fc",
        "{x}",
        "[y]",
        "1.5",
        "~",
        "0x1F",
        "wai 01",
        "%x",
        "@x",
        "? x",
        "a,b",
        "it's",
        "yes",
        "null",
        "true",
        "on",
        "esc\x1b",
    ],
)
def test_instruments_new_drafts_loadable_yaml_for_awkward_headers(cli, tmp_path, name):
    """Whatever a survey tool puts in the header, the drafted YAML loads and scores that file."""
    import csv

    data = tmp_path / "export.csv"
    with open(data, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["id", name, "q2"], ["1", "3", "4"]])
    draft = tmp_path / "draft.yaml"
    r = cli("instruments", "new", data, "--id", "awkward", "--items", "*", "-o", draft)
    assert r.code == 0, r.stderr
    r = cli("instruments", "check", draft)  # a draft is refused while it holds TODO placeholders
    assert r.code == 2 and "draft.yaml:" in r.stderr and "still holds the draft placeholder 'TODO'" in r.stderr
    fill_in_draft(draft)
    r = cli("instruments", "check", draft)
    assert r.code == 0, r.stderr
    r = cli("score", data, "-i", draft, "-q")
    assert r.code == 0, r.stderr


def fill_in_draft(path) -> None:
    """What a person does with a draft: replace every TODO placeholder."""
    text = path.read_text(encoding="utf-8").replace("reverse: TODO", "reverse: false")
    text = text.replace("citation: TODO", "citation: own").replace("license: TODO", "license: own")
    path.write_text(text.replace("name: TODO - split the items into the real subscales", "name: all"), encoding="utf-8")


def test_instruments_new_keeps_item_ids_unique(cli, tmp_path):
    data = tmp_path / "export.csv"
    data.write_text("id,Q1 a,Q1_a,Q2\n1,3,3,3\n")
    draft = tmp_path / "draft.yaml"
    assert cli("instruments", "new", data, "--id", "coll", "--items", "Q*", "-o", draft).code == 0
    fill_in_draft(draft)
    r = cli("instruments", "check", draft)
    assert r.code == 0, r.stderr
