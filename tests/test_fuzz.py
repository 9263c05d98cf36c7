"""Bounded fuzzing (hypothesis) of the CSV reader and the instrument YAML loader through the CLI (issue 7).

Random bytes, CSV-like text built from the things survey exports really contain (labels, Dutch
missing labels, decimal commas, quotes, stray delimiters, BOMs, odd line ends, cp1252 bytes) and
YAML-like text built by mutating a real instrument file are fed to ``wamkit score``, ``wamkit
inspect`` and ``wamkit instruments check``. Whatever the input: exit code 0, 1 or 2, never a
traceback or an internal error, an error is a ``wamkit: error:`` line, and a failed run leaves no
output file and no temporary file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT

#: examples per fuzz test. The normal suite is derandomised (the same 80 examples every run, so it is
#: not flaky); a campaign with fresh random examples: WAMKIT_FUZZ_EXAMPLES=5000 pytest tests/test_fuzz.py
CAMPAIGN = "WAMKIT_FUZZ_EXAMPLES" in os.environ
N_EXAMPLES = int(os.environ.get("WAMKIT_FUZZ_EXAMPLES", "80"))
FUZZ = settings(
    max_examples=N_EXAMPLES,
    deadline=None,
    database=None,
    derandomize=not CAMPAIGN,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ITEMS = [f"wai{i:02d}" for i in range(1, 13)]
WAI_SR = (ROOT / "instruments" / "wai-sr-client.yaml").read_text(encoding="utf-8")


def check_run(r, folder: Path, inputs: set[str], out: str | None) -> None:
    assert r.code in (0, 1, 2), r.stderr[-3000:]
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr[-3000:]
    left = set(os.listdir(folder))
    if r.code == 0:
        assert left <= inputs | ({out} if out else set())
    else:
        assert "wamkit: error: " in r.stderr, r.stderr[-3000:]
        assert left == inputs, left - inputs  # no output, no temp file


# --------------------------------------------------------------------------- CSV-ish text

CELLS = st.one_of(
    st.integers(-3, 12).map(str),
    st.sampled_from(
        [
            "",
            " ",
            "NA",
            "n/a",
            "N/A",
            "null",
            "#N/A",
            "n.v.t.",
            "weet niet",
            "Always",
            "always ",
            "Seldom",
            "Fairly often",
            "Altijd",
            "Nooit",
            "3,0",
            "2,5",
            "3.0",
            "4.",
            ".5",
            "1e0",
            "inf",
            "-inf",
            "nan",
            "NaN",
            "9",
            "99",
            "-9",
            "0x3",
            "3 ",
            " 3",
            "=1+2",
            "+3",
            "@SUM(A1)",
            "'3",
            '"3"',
            '"3,5"',
            '""',
            '"',
            "\u00e9",
            "\u2013",
            "\ufeff",
            "3;4",
            "3\t4",
            "\\N",
            "TRUE",
        ]
    ),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8),
)
HEADER_CELL = st.one_of(
    st.sampled_from(
        ["id", "dyad", "wave", "rater", "task", "", " wai01", "wai01 ", "WAI01", "\ufeffid", '"id"', "wai01", "wai12"]
    ),
    st.text(max_size=6),
)


@st.composite
def csvish(draw) -> bytes:
    delim = draw(st.sampled_from([",", ";", "\t", "|", ", "]))
    items = draw(st.permutations(ITEMS))
    keep = draw(st.integers(0, 12))
    header = ["id"] + list(items[:keep]) + draw(st.lists(HEADER_CELL, max_size=3))
    header = draw(st.permutations(header))
    n_rows = draw(st.integers(0, 6))
    rows = []
    for _ in range(n_rows):
        width = len(header) + draw(st.sampled_from([0, 0, 0, 0, -1, 1, -len(header)]))
        rows.append(draw(st.lists(CELLS, min_size=max(width, 0), max_size=max(width, 0))))
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = eol.join(delim.join(r) for r in [header, *rows])
    if draw(st.booleans()):
        text += eol
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "cp1252", "utf-16"]))
    data = text.encode(encoding, errors="replace")
    if draw(st.integers(0, 9)) == 0:  # corrupt a few bytes
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        data = data[:pos] + draw(st.binary(min_size=1, max_size=4)) + data[pos + 1 :]
    return data


def _score_bytes(cli, data: bytes, name: str = "in.csv", extra=()):
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        (folder / name).write_bytes(data)
        r = cli("score", folder / name, "-i", "wai-sr-client", "-o", folder / "out.csv", "-q", *extra)
        check_run(r, folder, {name}, "out.csv")
        assert (folder / name).read_bytes() == data
        return r


@FUZZ
@given(st.binary(max_size=600))
def test_fuzz_score_random_bytes(cli, data):
    _score_bytes(cli, data)


@FUZZ
@given(csvish(), st.sampled_from([(), ("--invalid", "missing"), ("--chunk-rows", "2")]))
def test_fuzz_score_csvish(cli, data, extra):
    _score_bytes(cli, data, extra=extra)


@settings(FUZZ, max_examples=max(N_EXAMPLES // 2, 1))
@given(csvish())
def test_fuzz_streaming_agrees_with_in_memory(cli, data):
    """README: inputs are streamed in chunks with bounded memory; the output is identical."""
    runs = []
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        (folder / "in.csv").write_bytes(data)
        for extra in ((), ("--chunk-rows", "2")):
            out = folder / "out.csv"
            if out.exists():
                out.unlink()
            r = cli("score", folder / "in.csv", "-i", "wai-sr-client", "-o", out, "-q", *extra)
            runs.append((r.code, out.read_bytes() if out.exists() else None, r.stderr))
    (mem_code, mem_out, mem_err), (str_code, str_out, str_err) = runs
    assert (str_code, str_out) == (mem_code, mem_out), (mem_err, str_err)


@FUZZ
@given(csvish())
def test_fuzz_inspect_csvish(cli, data):
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        (folder / "in.csv").write_bytes(data)
        r = cli(
            "inspect",
            folder / "in.csv",
            "-i",
            "wai-sr-client",
            "--id",
            "id",
            "--format",
            "json",
            "-o",
            folder / "rep.json",
        )
        check_run(r, folder, {"in.csv"}, "rep.json")


# --------------------------------------------------------------------------- YAML-ish text

YAML_SNIPPETS = st.sampled_from(
    [
        "\t",
        "  ",
        "- ",
        ": ",
        "{",
        "}",
        "[",
        "]",
        "&a ",
        "*a",
        "!!python/object/apply:os.system ['true']",
        "!!str ",
        "!!binary aGk=",
        "? ",
        "---\n",
        "...\n",
        "%YAML 1.1\n",
        "<<: *a\n",
        "~",
        "null",
        "1e400",
        ".nan",
        "-.inf",
        "'",
        '"',
        "#",
        "|\n",
        ">-\n",
        "extends: wai-sr-client\n",
        "extends: [x]\n",
        "reverse: yes\n",
        "min_answered: 0\n",
        "items: []\n",
        "subscales: {}\n",
        "scale: {min: 5, max: 1}\n",
        "id: \n",
        "\ufeff",
        "\u00e9",
        "\x85",
        "\u2028",
    ]
)


@st.composite
def yamlish(draw) -> bytes:
    lines = WAI_SR.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["delete", "duplicate", "insert", "splice", "swap"]))
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "insert":
            lines.insert(i, draw(YAML_SNIPPETS) + draw(st.sampled_from(["", "\n"])))
        elif op == "splice":
            line = lines[i]
            pos = draw(st.integers(0, len(line)))
            lines[i] = line[:pos] + draw(YAML_SNIPPETS | st.text(max_size=4)) + line[pos:]
        else:
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
    text = "".join(lines)
    return text.encode(draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "latin-1", "utf-16"])), errors="replace")


def _check_yaml(cli, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        (folder / "i.yaml").write_bytes(data)
        r = cli("instruments", "check", folder / "i.yaml")
        check_run(r, folder, {"i.yaml"}, None)
        if r.code == 0:
            (folder / "d.csv").write_text("id," + ",".join(ITEMS) + "\n1," + ",".join(["3"] * 12) + "\n")
            r = cli("score", folder / "d.csv", "-i", folder / "i.yaml", "-o", folder / "o.csv", "-q")
            check_run(r, folder, {"i.yaml", "d.csv"}, "o.csv")


@FUZZ
@given(yamlish())
def test_fuzz_instrument_yaml_mutations(cli, data):
    _check_yaml(cli, data)


@settings(FUZZ, max_examples=max(N_EXAMPLES // 2, 1))
@given(st.binary(max_size=300) | st.text(max_size=300).map(lambda t: t.encode("utf-8")))
def test_fuzz_instrument_random_bytes(cli, data):
    _check_yaml(cli, data)
