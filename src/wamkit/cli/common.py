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


def run(app) -> None:
    """Run the Typer app once, catching wamkit errors in one place."""
    from wamkit.errors import WamkitError

    try:
        rc = app(standalone_mode=False)
    except WamkitError as e:
        if STATE["debug"]:
            import traceback

            traceback.print_exc()
        err(f"wamkit: error: {e.render()}")
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


def _click_exception_types() -> tuple:
    """Click's usage-error class (typer >= 0.20 vendors click as ``typer._click``)."""
    types = []
    try:
        from typer._click.exceptions import ClickException as vendored

        types.append(vendored)
    except ImportError:  # pragma: no cover - older typer with click installed
        pass
    try:
        from click.exceptions import ClickException

        types.append(ClickException)
    except ImportError:
        pass
    return tuple(types)


def choose_format(format: str | None, output: str | None, allowed: tuple[str, ...]) -> str:
    """The report format: ``--format``, else the extension of ``-o``, else ``table``.

    ``table`` prints to the terminal, so it cannot go with ``-o FILE``.
    """
    from pathlib import Path

    from wamkit.errors import UsageError

    to_file = output not in (None, "-")
    fmt = (format or "").lower()
    if not fmt:
        if not to_file:
            return "table"
        ext = Path(output).suffix.lower().lstrip(".")
        fmt = {"htm": "html", "markdown": "md"}.get(ext, ext)
        if fmt not in allowed or fmt == "table":
            files = ", ".join(f for f in allowed if f != "table")
            raise UsageError(f"cannot tell the output format from '{output}'; give --format {files}")
    if fmt not in allowed:
        raise UsageError(f"--format must be one of {', '.join(allowed)}, not '{format}'")
    if fmt == "table" and to_file:
        files = ", ".join(f for f in allowed if f != "table")
        raise UsageError(f"--format table prints to the terminal; with -o give --format {files}")
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


def emit(data: bytes, out: str | None, inputs=()) -> None:
    """Write bytes to ``out`` atomically, or to stdout."""
    if out is None or out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    from wamkit.io import atomic_write, check_output_path

    path = check_output_path(out, inputs)

    def write(tmp: str) -> None:
        with open(tmp, "wb") as fh:
            fh.write(data)

    atomic_write(path, write)


def json_bytes(obj) -> bytes:
    import json

    from wamkit.results import to_jsonable

    return (json.dumps(to_jsonable(obj), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def console():
    """A rich console on stderr (people) — stdout is for data."""
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def fmt_num(x, digits: int = 3) -> str:
    import math

    if x is None:
        return "-"
    try:
        xf = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(xf):
        return "-"
    if xf.is_integer() and abs(xf) < 1e12:
        return str(int(xf))
    return f"{xf:.{digits}f}"
