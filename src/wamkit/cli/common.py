"""Shared CLI plumbing: error handling, output writing, option parsing helpers."""

from __future__ import annotations

import os
import sys
from typing import Any

import typer

STATE: dict[str, Any] = {"debug": bool(os.environ.get("WAMKIT_DEBUG"))}
INTERNAL_ERROR = 3


def print_version(value: bool) -> None:
    if value:
        from wamkit import __version__

        typer.echo(f"wamkit {__version__}")
        raise typer.Exit(0)


def err(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


#: library parameter -> CLI flag, for messages (the library names parameters, the CLI speaks in flags)
PARAM_FLAGS = {
    "longitudinal": "--longitudinal",
    "across": "--across",
    "role": "--role",
    "missing": "--missing",
    "group": "--group",
    "cluster": "--officer",
    "officer": "--officer",
    "invalid": "--invalid",
    "header_row": "--header-row",
    "sheet": "--sheet",
    "instrument": "-i",
    "study": "--study",
    "dyad": "--dyad",
    "wave": "--wave",
    "rater": "--rater",
    "person": "--person",
    "on": "--on",
    "outcome": "--outcome",
    "event": "--event",
    "n_factors": "--n-factors",
    "min_answered": "--min-answered",
    "overwrite": "--force",
    "column_map": "--map",
    "columns": "--columns",
    "wave_order": "--wave-order",
    "seed": "--seed",
    "id_columns": "--id",
    "chunk_rows": "--chunk-rows",
    "instrument_id": "--id",
    "pattern": "--items",
    "scale_min": "--min",
    "scale_max": "--max",
    "dialect": "--csv-dialect",
    "csv_dialect": "--csv-dialect",
    "lang": "--lang",
}


def cli_message(text: str) -> str:
    """A library message in the CLI's words: ``longitudinal=True`` -> ``--longitudinal``,
    ``role='client'`` -> ``--role client``, ``where wave=T0`` -> ``--where wave=T0``."""
    import re

    def flag(m: re.Match) -> str:
        name, value = m.group(1), m.group(2)
        opt = PARAM_FLAGS[name]
        if value in ("True", "true"):
            return opt
        return f"{opt} {value.strip(chr(39))}"

    names = "|".join(sorted(PARAM_FLAGS, key=len, reverse=True))
    # a message that starts with the parameter it is about: "group 'g': ..." -> "--group g: ..."
    text = re.sub(
        rf"^({names})(?: '([^']*)')?: ",
        lambda m: f"{PARAM_FLAGS[m.group(1)]}{' ' + m.group(2) if m.group(2) else ''}: ",
        text,
    )
    text = re.sub(rf"^({names})(?= must )", lambda m: PARAM_FLAGS[m.group(1)], text)  # "lang must be one of"
    text = re.sub(rf"(?<![\w-])({names})=('[^']*'|True\b|true\b|-?\d+(?:\.\d+)?\b)", flag, text)
    return re.sub(r"(?<![\w-])where (?=[^\s=]+(?:=|!=|>=|<=|>|<))", "--where ", text)


def run(app) -> None:
    """Run the Typer app once, catching wamkit errors in one place."""
    from wamkit.cli.deprecations import rewrite
    from wamkit.errors import WamkitError

    args = rewrite(sys.argv[1:])
    try:
        rc = _command(app).main(args=args, prog_name="wamkit", standalone_mode=False)
    except WamkitError as e:
        if STATE["debug"]:
            import traceback

            traceback.print_exc()
        err(f"wamkit: error: {cli_message(e.render())}")
        sys.exit(e.exit_code)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.Abort:
        err("wamkit: aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        err("wamkit: interrupted")
        sys.exit(130)
    except Exception as e:  # click usage errors and genuine bugs
        if isinstance(e, _click_exception_types()):
            e.show()
            sys.exit(e.exit_code)
        if isinstance(e, (BrokenPipeError,)):
            sys.exit(0)
        if STATE["debug"]:
            raise
        err(f"wamkit: internal error: {type(e).__name__}: {e}  (this is a bug; rerun with --debug and report it)")
        sys.exit(INTERNAL_ERROR)
    sys.exit(rc if isinstance(rc, int) else 0)


_COMMANDS: dict[int, Any] = {}


def _command(app) -> Any:
    """The click command of the Typer app, built once per process (building it costs ~0.07 s)."""
    key = id(app)
    if key not in _COMMANDS:
        import typer.main

        from wamkit.cli.coercion import install

        install()  # plain option conversion, without typer's per-option pydantic models
        _COMMANDS[key] = typer.main.get_command(app)
    return _COMMANDS[key]


def _click_exception_types() -> tuple:
    """Click's usage-error class (typer >= 0.20 vendors click as ``typer._click``)."""
    types = []
    try:
        from typer._click.exceptions import ClickException as vendored

        types.append(vendored)
    except ImportError:  # pragma: no cover - older typer with click installed
        pass
    try:  # typer before it vendored click raises click's own exception
        import importlib

        types.append(importlib.import_module("click.exceptions").ClickException)
    except ImportError:
        pass
    return tuple(types)


def choose_format(format: str | None, output: str | None, allowed: tuple[str, ...]) -> str:
    """The output format: ``--format``, else the extension of ``-o``, else ``table`` (text on stdout).

    ``table`` written to a file (``-o report.txt``) is the same text as on the terminal.
    """
    from pathlib import Path

    from wamkit.errors import UsageError

    to_file = output not in (None, "-")
    fmt = (format or "").lower()
    if not fmt:
        if not to_file:
            return "table"
        ext = Path(str(output)).suffix.lower().lstrip(".")
        fmt = {"htm": "html", "markdown": "md", "txt": "table", "text": "table"}.get(ext, ext)
        if fmt not in allowed:
            files = ", ".join(f for f in allowed if f != "table")
            raise UsageError(f"cannot tell the output format from '{output}'; give --format {files}")
    fmt = {"text": "table", "txt": "table"}.get(fmt, fmt)
    if fmt not in allowed:
        raise UsageError(f"--format must be one of {', '.join(allowed)}, not '{format}'")
    return fmt


def parse_pairs(values: list[str] | None, option: str) -> dict[str, str]:
    """Parse repeated ``KEY=VALUE`` options."""
    from wamkit.errors import UsageError

    out: dict[str, str] = {}
    for v in values or []:
        key, sep, val = v.partition("=")
        if not sep or not key.strip() or not val.strip():
            raise UsageError(f"{option} expects KEY=VALUE, got '{v}'")
        out[key.strip()] = val.strip()
    return out


def parse_instruments(specs: list[str], rater: str | None, *, study: bool = False) -> dict[str | None, str] | None:
    """``-i ID`` (one instrument) or ``-i VALUE=ID ...`` (one per rater value); None when not given."""
    from wamkit.errors import UsageError

    if not specs:
        if study:
            return None
        raise UsageError(
            "give an instrument with -i ID (or -i VALUE=ID per rater with --rater COLUMN), or a study file with --study"
        )
    if len(specs) == 1 and "=" not in specs[0]:
        return {None: specs[0]}
    out: dict[str | None, str] = {}
    for spec in specs:
        value, sep, ref = spec.partition("=")
        if not sep or not value.strip() or not ref.strip():
            raise UsageError(f"with several instruments each -i must be VALUE=INSTRUMENT, got '{spec}'")
        if value.strip() in out:
            raise UsageError(f"-i names rater value '{value.strip()}' twice")
        out[value.strip()] = ref.strip()
    if rater is None and not study:
        raise UsageError("-i VALUE=INSTRUMENT needs --rater COLUMN to tell which rows use which instrument")
    return out


def check_output(out: str | None, inputs=(), *, force: bool = False) -> None:
    """Refuse before any work: an output file that exists (unless ``force``), is an input, or cannot be written."""
    if out is None or out == "-":
        return
    from wamkit.io import check_output_path

    check_output_path(out, inputs, overwrite=force)


def emit(data: bytes, out: str | None, inputs=(), *, force: bool = False) -> None:
    """Write bytes to ``out`` atomically (refusing to replace a file unless ``force``), or to stdout."""
    if out is None or out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    from wamkit.io import atomic_write

    check_output(out, inputs, force=force)

    def write(tmp: str) -> None:
        with open(tmp, "wb") as fh:
            fh.write(data)

    atomic_write(out, write, overwrite=force)


def json_bytes(obj) -> bytes:
    import json

    from wamkit.results import to_jsonable

    return (json.dumps(to_jsonable(obj), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def console():
    """A rich console on stderr (progress, notes, warnings) -- stdout is for results."""
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def note(text: str, quiet: bool = False, kind: str = "note") -> None:
    """One line on stderr (``note:``/``warning:``) unless quiet."""
    if not quiet:
        err(f"{kind}: {text}")


def render_document(doc, fmt: str) -> bytes:
    """A document as table text (terminal width on a terminal, unlimited in a pipe or file), md or html."""
    if fmt == "md":
        from wamkit.render.markdown import render_markdown

        return render_markdown(doc).encode("utf-8")
    if fmt == "html":
        from wamkit.render.html import render_html

        return render_html(doc).encode("utf-8")
    from wamkit.render.text import output_width, render_text

    return render_text(doc, width=output_width()).encode("utf-8")


def write_result(result, out, fmt: str, inputs=(), *, payload: dict | None = None, frame=None) -> None:
    """Write a result in ``fmt``: ``table``/``md``/``html`` from its document, ``json`` (``payload`` or
    ``to_dict()``), ``csv``/``tsv`` from ``frame`` (default ``to_frame()``)."""
    if fmt == "json":
        data = json_bytes(payload if payload is not None else result.to_dict())
    elif fmt in ("csv", "tsv"):
        from wamkit.io import frame_to_bytes

        data = frame_to_bytes(
            result.to_frame() if frame is None else frame, fmt, dialect=getattr(out, "csv_dialect", None) or "standard"
        )
    else:
        data = render_document(result.document(), fmt)
    emit(data, out.output, inputs, force=out.force)
