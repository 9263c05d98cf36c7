"""Reading survey exports and writing results, safely.

Readers: CSV/TSV (encoding, delimiter and decimal-comma sniffing), XLSX, SPSS
``.sav`` and Parquet; ``-`` reads CSV from stdin. Non-item columns (ids, rater,
wave, ...) are read as text and passed through unchanged, so ``007`` stays ``007``.

Writers are atomic (temporary file + rename in the target folder), refuse to
overwrite an input file, and neutralise spreadsheet formulas in text cells.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from wamkit.errors import DataError, UsageError

#: cell texts read as missing in numeric (item) columns of text files
NULL_TOKENS = ["", "NA", "N/A", "NaN", "nan", "NULL", "null", "#N/A"]
SNIFF_BYTES = 1 << 16
BLOCK_SIZE = 1 << 24  # 16 MiB: the longest line pyarrow's reader accepts
_DECIMAL_COMMA = re.compile(r"^\s*-?\d+,\d+\s*$")
TEXT_FORMATS = {"csv", "tsv", "txt"}
FORMATS = {"csv", "tsv", "txt", "xlsx", "sav", "parquet"}


#: real paths of every file this process has read (data, instruments, rules): never an output
_INPUTS_READ: set[str] = set()


def note_input(path: str | os.PathLike) -> None:
    """Remember that ``path`` was read, so that no output of this run can overwrite it."""
    if str(path) != "-":
        try:
            _INPUTS_READ.add(os.path.realpath(path))
        except OSError:  # pragma: no cover
            pass


def forget_inputs() -> None:
    """Start a new run: forget the inputs read so far (one CLI call is one run)."""
    _INPUTS_READ.clear()


def is_input_read(path: str | os.PathLike) -> bool:
    """True when this process has read ``path`` as an input (so no output may replace it)."""
    try:
        return os.path.realpath(path) in _INPUTS_READ
    except OSError:  # pragma: no cover
        return False


@dataclass(frozen=True)
class Table:
    """A data file read into memory.

    ``frame`` has one row per data row in file order (``RangeIndex``); data row
    ``i`` (1-based, header not counted) is ``frame.iloc[i - 1]``.
    """

    frame: object  # pandas.DataFrame
    source: str
    path: str | None
    format: str
    sha256: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    decimal_comma: bool = False
    meta: dict = field(default_factory=dict)


def file_format(path: str, override: str | None = None) -> str:
    if override:
        fmt = override.lower()
        if fmt not in FORMATS:
            raise UsageError(f"unknown input format '{override}' (use one of: {', '.join(sorted(FORMATS))})")
        return fmt
    if path == "-":
        return "csv"
    suffix = Path(path).suffix.lower().lstrip(".")
    return {"xls": "xlsx", "xlsm": "xlsx", "tab": "tsv", "pq": "parquet"}.get(suffix, suffix if suffix in FORMATS else "csv")


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_table(path: str, *, infer_columns: Iterable[str] | None = None, sheet: str | None = None,
               format: str | None = None, all_text: bool = False) -> Table:
    """Read a data file.

    Parameters
    ----------
    path
        File path, or ``-`` for CSV on stdin.
    infer_columns
        Columns of a text file whose type is inferred (numeric when every cell is a
        number); every other column is kept as text verbatim, so identifiers such as
        ``007`` are never converted. ``None`` infers every column.
    all_text
        Read every column of a text file as text (used for key columns of outcome files).
    """
    fmt = file_format(path, format)
    source = "<stdin>" if path == "-" else os.path.basename(path)
    if sheet is not None and fmt != "xlsx":
        raise UsageError(f"--sheet {sheet}: {source} is a {fmt} file, not a workbook")
    if path != "-":
        p = Path(path)
        try:
            exists = p.exists()
        except OSError as e:   # e.g. a file name longer than the system allows
            raise DataError(f"{path[:80]}{'...' if len(path) > 80 else ''}: cannot open ({e.strerror})") from None
        if not exists:
            raise DataError(f"{path}: file not found")
        if p.is_dir():
            raise DataError(f"{path}: is a folder, not a data file")
        if not os.access(path, os.R_OK):
            raise DataError(f"{path}: file is not readable (permission denied)")
        note_input(path)
    if fmt in TEXT_FORMATS:
        return _read_text(path, source, fmt, infer_columns, all_text)
    if fmt == "xlsx":
        return _read_xlsx(path, source, sheet)
    if fmt == "sav":
        return _read_sav(path, source)
    if fmt == "parquet":
        return _read_parquet(path, source)
    raise UsageError(f"unknown input format '{fmt}'")  # pragma: no cover


# --------------------------------------------------------------------------- text


@dataclass(frozen=True)
class TextDialect:
    encoding: str
    delimiter: str
    decimal_comma: bool
    header: list[str]


def _sniff(sample: bytes, source: str, fmt: str, at_eof: bool) -> TextDialect:
    if not sample.strip(b"\xef\xbb\xbf \t\r\n"):
        raise DataError(f"{source}: file is empty")
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        # UTF-16 with BOM (Excel's "Unicode text" export)
        text = sample.decode("utf-16", errors="ignore")
        if not at_eof:
            text = text.rsplit("\n", 1)[0]
        return _dialect_from_text(text, "utf-16", source, fmt)
    if b"\x00" in sample:
        raise DataError(f"{source}: not a text file (binary content: NUL byte at offset {sample.index(bytes(1))})")
    encoding = "utf-8"
    body = sample[3:] if sample.startswith(b"\xef\xbb\xbf") else sample
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        if not at_eof and e.start >= len(body) - 4:
            text = body[: e.start].decode("utf-8")
        else:
            try:
                text = body.decode("cp1252")
                encoding = "cp1252"
            except UnicodeDecodeError:
                text = body.decode("latin-1")
                encoding = "latin-1"
    return _dialect_from_text(text, encoding, source, fmt)


def _dialect_from_text(text: str, encoding: str, source: str, fmt: str) -> TextDialect:
    lines = text.splitlines()
    header_line = lines[0].lstrip("\ufeff") if lines else ""
    if fmt == "tsv":
        delimiter = "\t"
    else:
        counts = {d: _count_outside_quotes(header_line, d) for d in [",", ";", "\t", "|"]}
        delimiter = max(counts, key=lambda d: counts[d])
        if counts[delimiter] == 0:
            delimiter = ","
    header = next(csv.reader([header_line], delimiter=delimiter)) if header_line else []
    header = [h.strip() for h in header]
    if not any(header):
        raise DataError(f"{source}: the first line (header) is empty")
    decimal_comma = False
    if delimiter != ",":
        for line in lines[1:200]:
            if any(_DECIMAL_COMMA.match(c) for c in line.split(delimiter)):
                decimal_comma = True
                break
    return TextDialect(encoding=encoding, delimiter=delimiter, decimal_comma=decimal_comma, header=header)


def _count_outside_quotes(line: str, ch: str) -> int:
    n, quoted = 0, False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == ch and not quoted:
            n += 1
    return n


def check_header(header: list[str], source: str) -> None:
    problems = []
    seen: dict[str, int] = {}
    for i, name in enumerate(header, start=1):
        if name == "":
            problems.append(f"{source}: column {i} has an empty name in the header")
        elif name in seen:
            problems.append(f"{source}: duplicate column name '{name}' (columns {seen[name]} and {i})")
        seen.setdefault(name, i)
    if problems:
        raise DataError(problems[0], details=problems[1:])


def _read_source_bytes(path: str) -> tuple[bytes | None, bytes]:
    """(whole content for stdin or None, first SNIFF_BYTES)."""
    if path == "-":
        data = sys.stdin.buffer.read()
        return data, data[:SNIFF_BYTES]
    with open(path, "rb") as fh:
        return None, fh.read(SNIFF_BYTES)


def _read_text(path: str, source: str, fmt: str, infer_columns, all_text: bool) -> Table:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    content, sample = _read_source_bytes(path)
    at_eof = (content is not None) or (os.path.getsize(path) <= len(sample))
    dialect = _sniff(sample, source, fmt, at_eof)
    check_header(dialect.header, source)

    def attempt(encoding: str):
        types = _text_types(dialect.header, infer_columns, all_text)
        read_opts = pcsv.ReadOptions(encoding=encoding, block_size=BLOCK_SIZE, use_threads=True)
        parse_opts = pcsv.ParseOptions(delimiter=dialect.delimiter, newlines_in_values=True)
        conv_opts = pcsv.ConvertOptions(column_types=types, strings_can_be_null=False,
                                        null_values=NULL_TOKENS,
                                        decimal_point="," if dialect.decimal_comma else ".")
        src = pa.BufferReader(content) if content is not None else path
        return pcsv.read_csv(src, read_options=read_opts, parse_options=parse_opts, convert_options=conv_opts)

    encoding = dialect.encoding
    if encoding in ("cp1252", "latin-1"):
        _refuse_mixed_encoding(path, content, source)
    try:
        try:
            table = attempt(encoding)
        except pa.ArrowInvalid as e:
            if "UTF8" in str(e) or "utf8" in str(e).lower():
                _refuse_mixed_encoding(path, content, source)
                encoding = "cp1252"
                table = attempt(encoding)
            else:
                raise
    except pa.ArrowInvalid as e:
        raise _diagnose_csv(path, content, source, dialect, encoding, e) from None
    except (UnicodeDecodeError, LookupError) as e:  # transcoder errors (e.g. a lone UTF-16 surrogate)
        raise DataError(f"{source}: cannot decode the file as {encoding} ({type(e).__name__}: {getattr(e, 'reason', e)})") from None
    frame = table.to_pandas(types_mapper=_types_mapper)
    if len(frame) == 0:
        raise DataError(f"{source}: has a header but no data rows")
    frame.columns = [str(c).strip() for c in frame.columns]
    sha = hashlib.sha256(content).hexdigest() if content is not None else sha256_file(path)
    return Table(frame=frame, source=source, path=None if path == "-" else path, format=fmt, sha256=sha,
                 encoding=encoding, delimiter=dialect.delimiter, decimal_comma=dialect.decimal_comma)


def _text_types(header: list[str], infer_columns, all_text: bool) -> dict:
    import pyarrow as pa

    if all_text:
        return {c: pa.string() for c in header}
    if infer_columns is None:
        return {}
    infer = set(infer_columns)
    return {c: pa.string() for c in header if c not in infer}


def _types_mapper(arrow_type):
    import pandas as pd
    import pyarrow as pa

    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return pd.StringDtype(na_value=float("nan"))
    return None


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _refuse_mixed_encoding(path, content, source) -> None:
    """A file with valid UTF-8 text *and* bytes that are not UTF-8 mixes encodings.

    Reading it as cp1252 would silently garble the UTF-8 part (``José`` -> ``JosÃ©``),
    identifiers included, so it is refused with the line of the first bad byte.
    """
    raw = content if content is not None else open(path, "rb").read()
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    try:
        body.decode("utf-8")
        return
    except UnicodeDecodeError as e:
        bad = e.start
    if _UTF8_MULTIBYTE.search(body):
        line = body.count(b"\n", 0, bad) + 1
        raise DataError(f"{source}: line {line}: byte 0x{body[bad]:02x} is not UTF-8, but other lines are UTF-8 "
                        f"(mixed encodings); save the file as UTF-8")


def _diagnose_csv(path, content, source, dialect, encoding, err) -> DataError:
    """Turn a pyarrow parse error into a message naming the data row and line."""
    msg = str(err).splitlines()[0]
    if "straddling" in msg or "block" in msg:
        return DataError(f"{source}: a line is longer than {BLOCK_SIZE >> 20} MiB; not a plausible survey export")
    try:
        raw = content if content is not None else open(path, "rb").read()
    except OSError:  # pragma: no cover
        return DataError(f"{source}: cannot parse as delimited text ({msg.removeprefix('CSV parse error: ')})")
    text = raw.decode(encoding, errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=dialect.delimiter, strict=True)
    ncols = len(dialect.header)
    old_limit = csv.field_size_limit()
    csv.field_size_limit(BLOCK_SIZE)
    data_row, last_line = 0, 0
    try:
        for row in reader:
            start, last_line = last_line + 1, reader.line_num
            if start == 1:
                continue
            data_row += 1
            if row and len(row) != ncols:
                what = "is truncated" if len(row) < ncols else "has extra fields"
                return DataError(f"{source}: row {data_row} (line {start}) {what}: "
                                 f"{len(row)} fields where the header has {ncols}")
    except csv.Error as e:
        where = f"row {data_row + 1} (line {last_line + 1})"
        if "end of data" in str(e) or "EOF" in str(e):
            return DataError(f"{source}: {where}: a quoted field starts here and is never closed")
        if "field larger" in str(e):
            return DataError(f"{source}: {where}: a field is longer than {BLOCK_SIZE >> 20} MiB")
        return DataError(f"{source}: {where}: cannot parse as delimited text ({e})")
    finally:
        csv.field_size_limit(old_limit)
    return DataError(f"{source}: cannot parse as delimited text ({msg.removeprefix('CSV parse error: ')})")


def read_header(path: str, format: str | None = None) -> list[str]:
    """Column names of a CSV/TSV file (sniffed as :func:`read_table` does)."""
    fmt = file_format(path, format)
    _, sample = _read_source_bytes(path)
    return _sniff(sample, os.path.basename(path), fmt, os.path.getsize(path) <= len(sample)).header


def iter_text_chunks(path: str, *, chunk_rows: int = 200_000,
                     format: str | None = None) -> Iterator[object]:
    """Stream a CSV/TSV file as pandas DataFrames of about ``chunk_rows`` rows (bounded memory)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    fmt = file_format(path, format)
    source = os.path.basename(path)
    _, sample = _read_source_bytes(path)
    dialect = _sniff(sample, source, fmt, os.path.getsize(path) <= len(sample))
    check_header(dialect.header, source)
    # the sniffing sample may be all ASCII while a later line is cp1252: decide on the whole file
    # (a streamed pass over the bytes), so that streaming reads what the in-memory path reads
    encoding = dialect.encoding
    if encoding in ("utf-8", "cp1252", "latin-1"):
        whole = _whole_file_encoding(path, source)
        encoding = "latin-1" if whole == "cp1252" and encoding == "latin-1" else whole
    # every column as text, so that all chunks agree on types; items are parsed by the scorer
    read_opts = pcsv.ReadOptions(encoding=encoding, block_size=1 << 22)
    parse_opts = pcsv.ParseOptions(delimiter=dialect.delimiter, newlines_in_values=True)
    conv_opts = pcsv.ConvertOptions(column_types={c: pa.string() for c in dialect.header},
                                    strings_can_be_null=False, null_values=NULL_TOKENS,
                                    decimal_point="," if dialect.decimal_comma else ".")
    try:
        reader = pcsv.open_csv(path, read_options=read_opts, parse_options=parse_opts, convert_options=conv_opts)
        pending = None
        for batch in reader:
            pending = pa.Table.from_batches([batch]) if pending is None else pa.concat_tables(
                [pending, pa.Table.from_batches([batch])])
            while pending.num_rows >= chunk_rows:
                yield pending.slice(0, chunk_rows).to_pandas(types_mapper=_types_mapper)
                pending = pending.slice(chunk_rows)
        if pending is not None and pending.num_rows:
            yield pending.to_pandas(types_mapper=_types_mapper)
    except pa.ArrowInvalid as e:
        raise _diagnose_csv(path, None, source, dialect, encoding, e) from None
    except (UnicodeDecodeError, LookupError) as e:
        raise DataError(f"{source}: cannot decode the file as {encoding} ({type(e).__name__}: {e.reason if hasattr(e, 'reason') else e})") from None


def _line_at(path: str, offset: int) -> int:
    """1-based line number of byte ``offset`` (reads in blocks)."""
    line, remaining = 1, offset
    with open(path, "rb") as fh:
        while remaining > 0:
            block = fh.read(min(1 << 22, remaining))
            if not block:
                break
            line += block.count(b"\n")
            remaining -= len(block)
    return line


def _whole_file_encoding(path: str, source: str) -> str:
    """``utf-8`` if the whole file is UTF-8, else ``cp1252``; mixed files are refused (bounded memory)."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    bad_at = None
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as e:
                bad_at = offset + e.start
                break
            offset += len(block)
        else:
            return "utf-8"
        # not UTF-8 throughout: is any of it UTF-8 (then the encodings are mixed)?
        fh.seek(0)
        tail = b""
        for block in iter(lambda: fh.read(1 << 22), b""):
            if _UTF8_MULTIBYTE.search(tail + block):
                raise DataError(f"{source}: line {_line_at(path, bad_at)}: a byte is not UTF-8, but other "
                                f"lines are UTF-8 (mixed encodings); save the file as UTF-8")
            tail = block[-3:]
    return "cp1252"


# --------------------------------------------------------------------------- binary formats


def _read_xlsx(path: str, source: str, sheet: str | None) -> Table:
    import pandas as pd

    try:
        import openpyxl  # noqa: F401
        xl = pd.ExcelFile(path, engine="openpyxl")
    except Exception as e:  # zipfile.BadZipFile, InvalidFileException, KeyError ...
        raise DataError(f"{source}: not a readable .xlsx workbook ({type(e).__name__}: {e})") from None
    sheets = xl.sheet_names
    if sheet is None:
        name = sheets[0]
    elif sheet in sheets:
        name = sheet
    elif sheet.isdigit() and int(sheet) - 1 < len(sheets):
        name = sheets[int(sheet) - 1]
    else:
        raise DataError(f"{source}: no sheet '{sheet}' (sheets: {', '.join(sheets)})")
    frame = pd.read_excel(xl, sheet_name=name, dtype=object, header=0)
    header = [str(c) for c in frame.columns]
    if any(h.startswith("Unnamed:") for h in header):
        bad = [i + 1 for i, h in enumerate(header) if h.startswith("Unnamed:")]
        raise DataError(f"{source}: sheet '{name}' column {bad[0]} has an empty name in the header")
    dup = [h for h in header if re.search(r"\.\d+$", h) and h.rsplit(".", 1)[0] in header]
    if dup:
        raise DataError(f"{source}: duplicate column name '{dup[0].rsplit('.', 1)[0]}' in sheet '{name}'")
    if len(frame) == 0:
        raise DataError(f"{source}: sheet '{name}' has a header but no data rows")
    frame.columns = [h.strip() for h in header]
    return Table(frame=frame.reset_index(drop=True), source=source, path=path, format="xlsx",
                 sha256=sha256_file(path), meta={"sheet": name})


def _read_sav(path: str, source: str) -> Table:
    try:
        import pyreadstat
    except ImportError:  # pragma: no cover
        raise DataError("reading SPSS files needs the 'pyreadstat' package") from None
    try:
        frame, meta = pyreadstat.read_sav(path, apply_value_formats=False, user_missing=False)
    except Exception as e:
        raise DataError(f"{source}: not a readable SPSS .sav file ({type(e).__name__}: {e})") from None
    if len(frame) == 0:
        raise DataError(f"{source}: has variables but no cases")
    labels = {k: {float(c): str(t) for c, t in v.items()} for k, v in (meta.variable_value_labels or {}).items()}
    return Table(frame=frame, source=source, path=path, format="sav", sha256=sha256_file(path),
                 meta={"value_labels": labels})


def _read_parquet(path: str, source: str) -> Table:
    import pandas as pd
    import pyarrow.parquet as pq

    try:
        check_header([str(n) for n in pq.read_schema(path).names], source)
        frame = pd.read_parquet(path)
    except DataError:
        raise
    except Exception as e:
        raise DataError(f"{source}: not a readable Parquet file ({type(e).__name__}: {e})") from None
    if len(frame) == 0:
        raise DataError(f"{source}: has columns but no rows")
    return Table(frame=frame.reset_index(drop=True), source=source, path=path, format="parquet",
                 sha256=sha256_file(path))


