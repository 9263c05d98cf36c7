"""Writing results safely: atomic files, no overwriting of inputs, formula neutralisation."""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from wamkit.errors import UsageError
from wamkit.io.readers import is_input_read

# --------------------------------------------------------------------------- writing

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")


def neutralise_formulas(frame):
    """Prefix text cells a spreadsheet would run as a formula with ``'`` (numbers are left alone)."""
    import pandas as pd

    out = frame
    copied = False
    for col in frame.columns:
        s = frame[col]
        if not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)):
            continue
        text = s.astype("string")
        risky = text.str.startswith(_FORMULA_START).fillna(False) & ~text.str.match(_NUMBER).fillna(False)
        if risky.any():
            if not copied:
                out = frame.copy()
                copied = True
            out[col] = s.where(~risky, "'" + text)
    return out


def check_output_path(out: str, inputs: Iterable[str | None]) -> Path:
    """Refuse an output path in a missing folder, on an input file, or unwritable."""
    if out.endswith(("/", os.sep)):
        raise UsageError(f"{out}: names a folder; give a file name")
    try:
        return _check_output_path(out, inputs)
    except OSError as e:   # e.g. a file name longer than the system allows
        raise UsageError(f"{out[:80]}{'...' if len(out) > 80 else ''}: cannot write here ({e.strerror})") from None


def _exists(path: str) -> bool:
    try:
        return Path(path).exists()
    except OSError:  # an input name the system refuses cannot be this output
        return False


def _check_output_path(out: str, inputs) -> Path:
    p = Path(out)
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.exists():
        raise UsageError(f"{out}: output folder '{folder}' does not exist")
    if not folder.is_dir():
        raise UsageError(f"{out}: '{folder}' is not a folder")
    if p.is_dir():
        raise UsageError(f"{out}: is a folder; give a file name")
    if p.exists():
        real = os.path.realpath(p)
        named = {os.path.realpath(i) for i in inputs if i and i != "-" and _exists(i)}
        if real in named or is_input_read(real):
            raise UsageError(f"{out}: output path is an input file; refusing to overwrite the input")
    if not os.access(folder, os.W_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise UsageError(f"{out}: cannot write here (permission denied)")
    return p


def atomic_write(out: str | Path, write) -> None:
    """Call ``write(tmp_path)`` then rename into place; on any failure nothing is left behind."""
    p = Path(out)
    if p.exists() and is_input_read(p):
        raise UsageError(f"{out}: output path is an input file; refusing to overwrite the input")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.stem[:100]}.", suffix=f".part{p.suffix[:20]}",
                                   dir=str(p.parent if str(p.parent) else "."))
    except OSError as e:
        raise UsageError(f"{str(out)[:80]}: cannot write here ({e.strerror})") from None
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; give the usual permissions
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def output_format(out: str | None, override: str | None) -> str:
    if override:
        fmt = override.lower()
    elif out is None:
        fmt = "csv"
    else:
        fmt = Path(out).suffix.lower().lstrip(".") or "csv"
        fmt = {"xls": "xlsx", "txt": "csv", "pq": "parquet"}.get(fmt, fmt)
    if fmt not in {"csv", "tsv", "json", "parquet", "xlsx"}:
        raise UsageError(f"unknown output format '{fmt}' (use csv, tsv, json, parquet or xlsx)")
    return fmt


def frame_to_bytes(frame, fmt: str) -> bytes:
    """Serialise a result frame as csv/tsv/json (text formats for stdout)."""
    if fmt in ("csv", "tsv"):
        buf = io.BytesIO()
        _write_csv(frame, buf, fmt)
        return buf.getvalue()
    if fmt == "json":
        import json

        from wamkit.results import to_jsonable

        return (json.dumps(to_jsonable(frame), ensure_ascii=False) + "\n").encode("utf-8")
    raise UsageError(f"format '{fmt}' cannot be written to stdout; give -o FILE")


def write_frame(frame, out: str, fmt: str) -> None:
    """Write a DataFrame atomically in ``fmt`` (csv, tsv, json, parquet, xlsx)."""

    def write(tmp: str) -> None:
        if fmt in ("csv", "tsv", "json"):
            _write_text_frame(frame, tmp, fmt)
        elif fmt == "parquet":
            frame.to_parquet(tmp, index=False)
        elif fmt == "xlsx":
            neutralise_formulas(frame).to_excel(tmp, index=False, engine="openpyxl")
        else:  # pragma: no cover
            raise UsageError(f"unknown output format '{fmt}'")

    atomic_write(out, write)


def _write_text_frame(frame, tmp: str, fmt: str) -> None:
    if fmt == "json":
        with open(tmp, "wb") as fh:
            fh.write(frame_to_bytes(frame, "json"))
        return
    with open(tmp, "wb") as fh:
        _write_csv(frame, fh, fmt)


def _write_csv(frame, sink, fmt: str) -> None:
    """CSV/TSV through pyarrow (fast; the same writer as the streaming path, so outputs are identical)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    safe = neutralise_formulas(frame)
    try:
        table = pa.Table.from_pandas(safe, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        # mixed Python objects (e.g. dates and text in one Excel column): write them as text
        safe = safe.astype({c: "string" for c in safe.columns if safe[c].dtype == object})
        table = pa.Table.from_pandas(safe, preserve_index=False)
    pcsv.write_csv(table, sink, write_options=pcsv.WriteOptions(
        delimiter="," if fmt == "csv" else "\t", quoting_style="needed"))
