"""Writing results safely: atomic files, no replacing of existing files or inputs, clean numbers.

* **Atomic**: every file is written to a temporary file in the target folder and renamed into
  place at the end, so an error never leaves half a file.
* **No overwriting**: a writer refuses to replace an existing file unless ``overwrite=True``
  (:class:`OutputExists`), and never replaces a file the run has read, ``overwrite`` or not.
* **Numbers** in CSV/TSV/JSON are written in the shortest form that reads back as the value
  rounded to 15 significant digits (the precision a double guarantees), so binary noise such
  as ``3.8000000000000003`` is written ``3.8`` (:func:`round_significant`).
* **Dates** are written as ISO dates (``2024-03-01``); date-times as ``2024-03-01 10:22:13``.
* **Formulas**: text cells a spreadsheet would run as a formula get a leading ``'`` in CSV/TSV
  and XLSX output (:func:`neutralise_formulas`).
* **CSV dialects** (:data:`CSV_DIALECTS`): ``"standard"`` (comma, decimal point, UTF-8) and
  ``"excel-nl"`` (semicolon, decimal comma, UTF-8 with BOM, for Excel with Dutch settings).
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, BinaryIO, Self

import numpy as np

from wamkit.errors import UsageError
from wamkit.io.arrow import arrow_array, numpy_bools, numpy_floats
from wamkit.io.readers import is_input_read

__all__ = [
    "CSV_DIALECTS",
    "FrameWriter",
    "OutputExists",
    "atomic_write",
    "check_output_path",
    "frame_to_arrow",
    "frame_to_bytes",
    "neutralise_formulas",
    "output_format",
    "prepare_table",
    "round_frame",
    "round_significant",
    "write_frame",
]

#: CSV flavours: ``standard`` (comma, decimal point) and ``excel-nl`` (semicolon, decimal comma, BOM)
CSV_DIALECTS = ("standard", "excel-nl")
#: significant digits of numbers in text outputs (a double guarantees 15)
SIGNIFICANT_DIGITS = 15

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_START_RE = r"^[=+\-@\t\r]"
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
_NUMBER_RE = r"^[+-]?([0-9]+([.,][0-9]*)?|[.,][0-9]+)([eE][+-]?[0-9]+)?$"


class OutputExists(UsageError):
    """The output file exists and the writer was not allowed to replace it (``overwrite=False``).

    ``path`` is the output path, so that a command-line layer can name its own option (``--force``).
    """

    def __init__(self, path: str | os.PathLike):
        self.path = str(path)
        super().__init__(f"{self.path} exists; add overwrite=True to replace it")


# --------------------------------------------------------------------------- numbers


def round_significant(x: Any, digits: int = SIGNIFICANT_DIGITS) -> np.ndarray:
    """``x`` rounded to ``digits`` significant digits: the double nearest to the decimal that
    ``f"{v:.{digits}g}"`` prints (vectorised; NaN, infinities and zeros are kept).

    Written in the shortest round-trip form (as pyarrow and ``repr`` write doubles), the result
    prints ``3.8`` for ``3.8000000000000003`` and ``0.333333333333333`` for ``1/3``.

    The digits come from ``x * 10**k`` (an exact power of ten) rounded to an integer; the
    rounding error of that product is recovered exactly (Dekker's two-product), so ties are
    decided as correctly rounded formatting decides them. Values outside ``1e-8 <= |x| < 1e15``
    (rare in data) are rounded one by one by Python's formatting. The result is exact for
    every value.
    """
    v = np.array(x, dtype=float, copy=True)
    if not 1 <= digits <= 15:
        raise ValueError(f"digits must be 1-15, not {digits}")
    if v.ndim == 0:
        return np.array(round_significant(v.reshape(1), digits)[0])
    flat = v.reshape(-1)
    out = np.empty_like(flat)
    for start in range(0, flat.size, _BLOCK):  # blocks that stay in cache: no big temporaries
        out[start : start + _BLOCK] = _round_block(flat[start : start + _BLOCK], digits)
    return out.reshape(v.shape)


_BLOCK = 1 << 15


def _round_block(flat: np.ndarray, digits: int) -> np.ndarray:
    ax = np.abs(flat)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ok = (ax >= 1e-8) & (ax < 10.0**digits)  # False for NaN and infinities
        e = np.floor(np.log10(np.where(ok, ax, 1.0)))
        k = np.where(ok, (digits - 1) - e, 0).astype(np.int64)  # x * 10**k has `digits` integer digits
        lo, hi = 10.0 ** (digits - 1), 10.0**digits
        pk = _POW10[np.clip(k, 0, 22)]
        scaled = flat * pk
        sa = np.abs(scaled)
        off = ok & ((sa >= hi) | (sa < lo))  # log10 one off near a power of ten
        if off.any():
            k[off] += np.where(sa[off] < lo, 1, -1)
            ok &= (k >= 0) & (k <= 22)
            pk = _POW10[np.clip(k, 0, 22)]
            scaled = flat * pk
        n = np.rint(scaled)
        half = ok & (np.abs(scaled - n) == 0.5)  # the product sits on a tie: look closer
    if half.any():
        err = _product_error(flat[half], pk[half], scaled[half])
        nh = n[half]
        d = scaled[half] - nh  # exactly +-0.5
        # exact value = scaled + err: above the tie -> round away from n, below -> towards n, 0 -> rint's even
        n[half] = np.where(err == 0, nh, np.where((err > 0) == (d > 0), nh + 2 * d, nh))
    out = np.where(ok, n / pk, flat)
    for i in np.flatnonzero(~ok & (ax > 0) & (ax < np.inf)):
        out[i] = float(f"{flat[i]:.{digits}g}")
    return out


_POW10 = 10.0 ** np.arange(0, 23)  # exact doubles
_SPLIT = 134217729.0  # 2**27 + 1 (Veltkamp)


def _product_error(a: np.ndarray, b: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``a * b - p`` exactly, where ``p`` is the rounded product (Dekker's two-product)."""

    def split(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        c = _SPLIT * x
        hi = c - (c - x)
        return hi, x - hi

    ah, al = split(a)
    bh, bl = split(b)
    return ((ah * bh - p) + ah * bl + al * bh) + al * bl


def round_frame(frame, digits: int = SIGNIFICANT_DIGITS):
    """A copy of ``frame`` with every float column rounded to ``digits`` significant digits."""
    import pandas as pd

    out = {}
    changed = False
    for c in frame.columns:
        s = frame[c]
        if pd.api.types.is_float_dtype(s.dtype) and not isinstance(s.dtype, pd.ArrowDtype):
            out[c] = pd.Series(
                round_significant(s.to_numpy(dtype=float, na_value=np.nan), digits), index=s.index, name=s.name
            )
            changed = True
        else:
            out[c] = s
    if not changed:
        return frame
    res = pd.DataFrame(out, index=frame.index, copy=False)
    res.columns = frame.columns
    return res


# --------------------------------------------------------------------------- formulas


_RISKY_FIRST_BYTE = np.zeros(256, dtype=bool)
_RISKY_FIRST_BYTE[np.frombuffer(b"=+-@\t\r", dtype=np.uint8)] = True


def _first_bytes(arr) -> np.ndarray | None:
    """First byte of every cell of an Arrow (large) string array (0 for empty or missing cells)."""
    import pyarrow as pa

    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return None
    width = 8 if pa.types.is_large_string(arr.type) else 4
    offsets = np.frombuffer(
        arr.buffers()[1], dtype=np.int64 if width == 8 else np.int32, count=len(arr) + 1, offset=arr.offset * width
    )
    data = arr.buffers()[2]
    if data is None or data.size == 0:
        return np.zeros(len(arr), dtype=np.uint8)
    raw = np.frombuffer(data, dtype=np.uint8)
    starts = np.asarray(offsets[:-1], dtype=np.int64)
    ends = np.asarray(offsets[1:], dtype=np.int64)
    first = raw[np.minimum(starts, raw.size - 1)]
    return np.where(ends > starts, first, 0).astype(np.uint8)


def _risky_text(arr) -> np.ndarray:
    """Cells of an arrow text array that a spreadsheet would run as a formula (numbers are not).

    Only cells whose first byte is ``= + - @ TAB CR`` (found from the offsets, without touching
    the text) are matched against the number pattern.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(arr)
    out = np.zeros(n, dtype=bool)
    if n == 0:
        return out
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    pos = 0
    for chunk in chunks:
        first = _first_bytes(chunk)
        if first is None:
            cand = numpy_bools(pc.match_substring_regex(chunk, _FORMULA_START_RE))
        else:
            cand = _RISKY_FIRST_BYTE[first]
            if chunk.null_count:
                cand &= numpy_bools(chunk.is_valid())
        idx = np.flatnonzero(cand)
        if idx.size:
            number = pc.match_substring_regex(chunk.take(pa.array(idx)), _NUMBER_RE)
            out[pos + idx] = ~numpy_bools(number)
        pos += len(chunk)
    return out


def neutralise_formulas(frame):
    """Prefix text cells a spreadsheet would run as a formula with ``'`` (numbers are left alone)."""
    import pandas as pd
    import pyarrow as pa

    out = frame
    copied = False
    for col in frame.columns:
        s = frame[col]
        if not (
            pd.api.types.is_object_dtype(s.dtype)
            or pd.api.types.is_string_dtype(s.dtype)
            or isinstance(s.dtype, pd.CategoricalDtype)
        ):
            continue
        text = s.astype("string")
        try:
            risky = _risky_text(pa.array(text, from_pandas=True))
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # pragma: no cover - defensive
            risky = (
                text.str.startswith(_FORMULA_START).fillna(False) & ~text.str.match(_NUMBER).fillna(False)
            ).to_numpy(dtype=bool)
        if risky.any():
            if not copied:
                out = frame.copy()
                copied = True
            out[col] = s.astype(object).where(~risky, ("'" + text).astype(object))
    return out


# --------------------------------------------------------------------------- frames to arrow


def _is_midnight(ts) -> bool:
    import pyarrow.compute as pc

    if ts.null_count == len(ts):
        return False
    t = pc.cast(ts, "int64")
    unit = {"s": 1, "ms": 1000, "us": 1_000_000, "ns": 1_000_000_000}[ts.type.unit]
    day = 86_400 * unit
    return bool(
        pc.all(
            pc.equal(
                pc.subtract(t, pc.multiply(pc.floor(pc.divide(pc.cast(t, "float64"), float(day))), float(day))), 0.0
            )
        ).as_py()
        or False
    )


def _date_column(arr):
    """Timestamps as date32 when every value is at midnight, else ISO text ``YYYY-MM-DD HH:MM:SS``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type.tz is not None:
        arr = pc.local_timestamp(arr)
    if _is_midnight(arr):
        return pc.cast(arr, pa.date32())
    if arr.type.unit != "s":
        try:  # whole seconds are written without a fraction
            arr = pc.cast(arr, pa.timestamp("s", tz=arr.type.tz), safe=True)
        except pa.ArrowInvalid:
            pass
    return pc.strftime(arr, format="%Y-%m-%d %H:%M:%S")


def frame_to_arrow(frame, *, text: bool = True):
    """A pyarrow table of ``frame`` as wamkit writes it (:func:`prepare_table`).

    Mixed Python objects in one column (dates and text in one Excel column) are written as text.
    """
    import pyarrow as pa

    arrays = []
    names = []
    for c in frame.columns:
        s = frame[c]
        try:
            arr = pa.array(s, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            arr = pa.array(_as_text(s), type=pa.string(), from_pandas=True)
        arrays.append(arr)
        names.append(str(c))
    if not arrays:
        return pa.table({})
    return prepare_table(pa.Table.from_arrays(arrays, names=names), text=text)


def prepare_table(table, *, text: bool = True):
    """A pyarrow table as wamkit writes it.

    With ``text`` (CSV/TSV output): float columns rounded to 15 significant digits (NaN written
    as an empty cell), text a spreadsheet would run as a formula prefixed with ``'``, date-times
    as ISO dates (or ``YYYY-MM-DD HH:MM:SS``), dictionary columns as their text. Without ``text``
    (Parquet): float NaN becomes null, nothing else changes.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    cols = []
    for col in table.columns:
        t = col.type
        if pa.types.is_floating(t):
            x = numpy_floats(col) if pa.types.is_float64(t) else col.to_numpy()
            if text and pa.types.is_float64(t):
                x = round_significant(x)
            cols.append(arrow_array(x, type=t))
            continue
        if not text:
            cols.append(col)
            continue
        if pa.types.is_dictionary(t):
            col = col.cast(t.value_type)
            t = col.type
        if pa.types.is_timestamp(t):
            col = _date_column(col)
        elif pa.types.is_string(t) or pa.types.is_large_string(t):
            risky = _risky_text(col)
            if risky.any():
                whole = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
                quoted = pc.binary_join_element_wise(pa.scalar("'", whole.type), whole, pa.scalar("", whole.type))
                col = pc.if_else(pa.array(risky), quoted, whole)
        cols.append(col)
    return pa.Table.from_arrays(cols, names=table.column_names)


def _as_text(s) -> list:
    """Python values as text: ISO dates, numbers rounded to 15 significant digits, None for missing."""
    dt = _dt
    out: list[str | None] = []
    for v in s.tolist() if hasattr(s, "tolist") else s:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            out.append(None)
        elif isinstance(v, dt.datetime):
            out.append(
                v.strftime("%Y-%m-%d")
                if (v.hour, v.minute, v.second, v.microsecond) == (0, 0, 0, 0)
                else v.strftime("%Y-%m-%d %H:%M:%S")
            )
        elif isinstance(v, dt.date):
            out.append(v.isoformat())
        elif isinstance(v, float):
            out.append(repr(float(round_significant(np.array([v]))[0])))
        else:
            out.append(str(v))
    return out


# --------------------------------------------------------------------------- CSV encoding


class FrameWriter:
    """Write a frame to a CSV/TSV (any :data:`CSV_DIALECTS`) or Parquet file, in one piece or in chunks.

    The bytes are the same whether a frame is written whole or chunk by chunk (the streaming
    scorer relies on this). :meth:`write` = :meth:`prepare` (the conversion to Arrow: rounding,
    formulas, dates) then :meth:`write_table` (encoding and writing, with the GIL released), so
    that a pipeline can prepare the next chunk while this one is written. Use as a context
    manager, or call :meth:`close`.
    """

    #: rows per part when a large table is encoded by several threads at once
    PART_ROWS = 1 << 17

    def __init__(self, sink: str | os.PathLike | BinaryIO, fmt: str, dialect: str = "standard"):
        if dialect not in CSV_DIALECTS:
            raise UsageError(f"csv_dialect must be one of {', '.join(CSV_DIALECTS)}, not {dialect!r}")
        if fmt not in ("csv", "tsv", "parquet"):
            raise UsageError(f"FrameWriter writes csv, tsv or parquet, not {fmt}")
        self.fmt = fmt
        self.dialect = "standard" if fmt != "csv" else dialect
        self._own = not hasattr(sink, "write")
        self._fh: Any = sink if not self._own else open(sink, "wb")  # type: ignore[arg-type]  # a path here
        self._parquet: Any = None
        self._schema: Any = None
        self._started = False

    def prepare(self, frame):
        """The Arrow table of a pandas ``frame`` as it will be written (same schema as the first chunk)."""
        return self._conformed(frame_to_arrow(frame, text=self.fmt != "parquet"))

    def prepare_table(self, table):
        """The same for a pyarrow ``table`` (the streaming scorer's chunks: no pandas involved)."""
        return self._conformed(prepare_table(table, text=self.fmt != "parquet"))

    def _conformed(self, table):
        if self._schema is None:
            self._schema = table.schema
            return table
        return _conform(table, self._schema)

    def write_table(self, table, *, threads: int = 1) -> None:
        """Encode and write a table from :meth:`prepare` (``threads`` > 1 encodes large CSV tables in parts)."""
        if self.fmt == "parquet":
            import pyarrow.parquet as pq

            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self._fh, table.schema)
            self._parquet.write_table(table)
            return
        if not self._started:
            self._fh.write(self._header(table))
            self._started = True
        n = table.num_rows
        if threads > 1 and n > self.PART_ROWS:
            from concurrent.futures import ThreadPoolExecutor

            step = max(self.PART_ROWS, -(-n // threads))
            parts = [table.slice(i, step) for i in range(0, n, step)]
            with ThreadPoolExecutor(min(threads, len(parts))) as pool:
                for data in pool.map(self._rows, parts):
                    self._fh.write(data)
        else:
            self._fh.write(self._rows(table))

    def write(self, frame, *, threads: int = 1) -> None:
        self.write_table(self.prepare(frame), threads=threads)

    def _header(self, table) -> bytes | memoryview:
        if self.dialect == "excel-nl":
            return b"\xef\xbb\xbf" + _encode_header(table.column_names, ";")
        return _pyarrow_csv(table.slice(0, 0), "," if self.fmt == "csv" else "\t", header=True)

    def _rows(self, table) -> bytes | memoryview:
        if self.dialect == "excel-nl":
            return _encode_rows(table, ";", ",")
        return _pyarrow_csv(table, "," if self.fmt == "csv" else "\t", header=False)

    def close(self) -> None:
        try:
            if self._parquet is not None:
                self._parquet.close()
        finally:
            if self._own:
                self._fh.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _pyarrow_csv(table, delimiter: str, *, header: bool) -> memoryview:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    buf = pa.BufferOutputStream()
    pcsv.write_csv(
        table, buf, write_options=pcsv.WriteOptions(delimiter=delimiter, quoting_style="needed", include_header=header)
    )
    return memoryview(buf.getvalue())


def _conform(table, schema):
    """Cast a chunk to the schema of the first chunk (an all-missing column may have come as null type)."""
    import pyarrow as pa

    if table.schema.equals(schema):
        return table
    cols = []
    for field, col in zip(schema, table.columns, strict=True):
        if col.type.equals(field.type):
            cols.append(col)
        else:
            try:
                cols.append(col.cast(field.type))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise UsageError(
                    f"column '{field.name}' changes type between chunks ({field.type} then "
                    f"{col.type}); cannot stream it"
                ) from None
    return pa.Table.from_arrays(cols, schema=schema)


def _text(arr):
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.cast(arr, pa.large_string())


def _quote(arr):
    import pyarrow as pa
    import pyarrow.compute as pc

    q, empty = pa.scalar('"', pa.large_string()), pa.scalar("", pa.large_string())
    quoted = pc.binary_join_element_wise(q, pc.replace_substring(_text(arr), '"', '""'), q, empty)
    return pc.fill_null(quoted, empty)


def _encode_header(names: list[str], delimiter: str) -> bytes:
    return (delimiter.join('"' + n.replace('"', '""') + '"' for n in names) + "\n").encode("utf-8")


def _encode_rows(table, delimiter: str, decimal: str) -> bytes:
    """CSV rows of ``table`` (vectorised): text quoted, numbers bare with ``decimal`` as decimal mark."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if table.num_rows == 0:
        return b""
    empty = pa.scalar("", pa.large_string())
    cols = []
    for col in table.columns:
        arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
        t = arr.type
        if pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_decimal(t):
            s = _text(arr)
            if decimal != "." and not pa.types.is_integer(t):
                s = pc.replace_substring(s, ".", decimal)
            cols.append(pc.fill_null(s, empty))
        elif pa.types.is_boolean(t) or pa.types.is_date(t):
            cols.append(pc.fill_null(_text(arr), empty))
        elif pa.types.is_null(t):
            cols.append(pa.array([""] * len(arr), type=pa.large_string()))
        else:
            cols.append(_quote(arr))
    sep = pa.scalar(delimiter, pa.large_string())
    rows = pc.binary_join_element_wise(*cols, sep) if len(cols) > 1 else cols[0]
    lines = pc.binary_join_element_wise(rows, pa.scalar("\n", pa.large_string()), empty)
    offsets = lines.buffers()[1]
    data = lines.buffers()[2]
    start = np.frombuffer(offsets, dtype=np.int64, count=len(lines) + 1, offset=lines.offset * 8)
    return data.to_pybytes()[int(start[0]) : int(start[-1])]


# --------------------------------------------------------------------------- output paths


def check_output_path(out: str, inputs: Iterable[str | None], *, overwrite: bool = False) -> Path:
    """Refuse an output path in a missing folder, on an input file, unwritable, or existing
    (unless ``overwrite``: :class:`OutputExists`)."""
    if out.endswith(("/", os.sep)):
        raise UsageError(f"{out}: names a folder; give a file name")
    try:
        p = _check_output_path(out, inputs)
    except OSError as e:  # e.g. a file name longer than the system allows
        raise UsageError(f"{out[:80]}{'...' if len(out) > 80 else ''}: cannot write here ({e.strerror})") from None
    if not overwrite and _exists(out):
        raise OutputExists(out)
    return p


def _exists(path: str | os.PathLike) -> bool:
    try:
        return os.path.lexists(path)
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


def atomic_write(out: str | Path, write: Callable[[str], Any], *, overwrite: bool = False) -> None:
    """Call ``write(tmp_path)`` then move the file into place; on any failure nothing is left behind.

    An existing ``out`` is replaced only with ``overwrite=True`` (else :class:`OutputExists`, also
    when another process created ``out`` meanwhile); an input of this run never.
    """
    p = Path(out)
    if _exists(p) and is_input_read(p):
        raise UsageError(f"{out}: output path is an input file; refusing to overwrite the input")
    if not overwrite and _exists(p):
        raise OutputExists(out)
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{p.stem[:100]}.", suffix=f".part{p.suffix[:20]}", dir=str(p.parent if str(p.parent) else ".")
        )
    except OSError as e:
        raise UsageError(f"{str(out)[:80]}: cannot write here ({e.strerror})") from None
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; give the usual permissions
        if overwrite:
            os.replace(tmp, p)
        else:
            _move_no_clobber(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _move_no_clobber(tmp: str, p: Path) -> None:
    """Rename ``tmp`` to ``p`` unless ``p`` exists (a hard link fails atomically when it does)."""
    try:
        os.link(tmp, p)
    except FileExistsError:
        raise OutputExists(p) from None
    except OSError:  # no hard links here (some network or FAT file systems): check, then rename
        if _exists(p):
            raise OutputExists(p) from None
        os.replace(tmp, p)
        return
    os.unlink(tmp)


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


def _check_dialect(dialect: str) -> None:
    if dialect not in CSV_DIALECTS:
        raise UsageError(f"csv_dialect must be one of {', '.join(CSV_DIALECTS)}, not {dialect!r}")


def frame_to_bytes(frame, fmt: str, *, dialect: str = "standard") -> bytes:
    """Serialise a result frame as csv/tsv/json (text formats for stdout)."""
    _check_dialect(dialect)
    if fmt in ("csv", "tsv"):
        buf = io.BytesIO()
        with FrameWriter(buf, fmt, dialect) as w:
            w.write(frame)
        return buf.getvalue()
    if fmt == "json":
        return _json_bytes(frame)
    raise UsageError(f"format '{fmt}' cannot be written to stdout; give an output file")


def _json_bytes(frame) -> bytes:
    import json

    import pandas as pd

    from wamkit.results import to_jsonable

    out = round_frame(frame)
    dates = {}
    for c in out.columns:
        s = out[c]
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            dates[c] = pd.Series(
                frame_to_arrow(out[[c]]).column(0).cast("string").to_pylist(), index=s.index, dtype=object
            )
        elif s.dtype == object:
            values = s.tolist()
            if any(isinstance(v, _dt.date) for v in values):
                dates[c] = pd.Series(
                    [_as_text([v])[0] if isinstance(v, _dt.date) else v for v in values], index=s.index, dtype=object
                )
    if dates:
        out = out.copy()
        for c, v in dates.items():
            out[c] = v
    return (json.dumps(to_jsonable(out), ensure_ascii=False) + "\n").encode("utf-8")


def write_frame(frame, out: str, fmt: str, *, overwrite: bool = False, dialect: str = "standard") -> None:
    """Write a DataFrame atomically in ``fmt`` (csv, tsv, json, parquet, xlsx).

    ``dialect`` (csv only): ``"standard"`` or ``"excel-nl"``. An existing ``out`` is replaced only
    with ``overwrite=True``.
    """
    _check_dialect(dialect)

    def write(tmp: str) -> None:
        if fmt in ("csv", "tsv", "parquet"):
            with FrameWriter(tmp, fmt, dialect) as w:
                w.write(frame, threads=os.cpu_count() or 1)
        elif fmt == "json":
            with open(tmp, "wb") as fh:
                fh.write(_json_bytes(frame))
        elif fmt == "xlsx":
            neutralise_formulas(frame).to_excel(tmp, index=False, engine="openpyxl")
        else:  # pragma: no cover
            raise UsageError(f"unknown output format '{fmt}'")

    atomic_write(out, write, overwrite=overwrite)
