"""Reading survey exports into a :class:`Table`, safely.

Formats: CSV/TSV (encoding, delimiter and decimal-comma sniffing), XLSX, SPSS ``.sav`` and
Parquet; ``-`` reads CSV from stdin. Non-item columns (ids, rater, wave, ...) of text files
are read as text and passed through unchanged, so ``007`` stays ``007``; XLSX and SPSS dates
come through as dates, text files keep their text.

Row numbers
-----------
``row N`` in every message is the *data row*: the first row after the column names (and after
an export's extra header rows) is row 1. When a file has rows above its column names
(``header_row`` > 1) or extra header rows below them (Qualtrics), messages also say where the
row is in the file, e.g. ``row 3 (line 6)`` for a text file or ``row 3 (sheet row 6)`` for a
workbook (:meth:`Table.locate`). ``Table.frame.index`` holds ``data row - 1``; it is a
``RangeIndex`` unless rows were left out (Qualtrics preview responses), so a row keeps its
number after rows above it were dropped.

Survey exports recognised automatically (``export="auto"``)
-----------------------------------------------------------
* **Qualtrics** (CSV/TSV and XLSX): the column names include ``ResponseId`` (or ``ResponseID``)
  and at least two of ``StartDate``, ``EndDate``, ``RecordedDate``, ``Status``, ``Progress``,
  ``Finished``, ``DistributionChannel``, ``IPAddress``, ``UserLanguage``, and the row below the
  names holds the question texts (``Start Date`` under ``StartDate`` or ``Response ID`` under
  ``ResponseId``). That row and a following ``{"ImportId": ...}`` row are header rows, not data:
  the question texts go to ``meta["question_text"]``, the import ids to ``meta["import_ids"]``.
  Preview responses (``Status`` ``Survey Preview`` or code ``1``, or ``DistributionChannel``
  ``preview``) are left out, counted in ``meta["previews_left_out"]`` and named in a note.
* **LimeSurvey** (any format): the column names include ``id`` and at least three of
  ``submitdate``, ``lastpage``, ``startlanguage``, ``seed``, ``startdate``, ``datestamp``,
  ``refurl``, ``token``, ``ipaddr``. When cells hold LimeSurvey answer codes (``A1``, ``A2``, ...),
  ``meta["answer_codes"]`` is ``True``: the scorer then reads ``A<k>`` as the k-th value of the
  item's scale (:func:`wamkit.scoring.score` with ``answer_codes=True``).

``Table.meta`` keys
-------------------
``header_row`` (always), ``export`` (``"qualtrics"``/``"limesurvey"``), ``question_text``,
``import_ids``, ``extra_header_rows``, ``previews_left_out``, ``preview_rows``,
``unfinished_responses``, ``answer_codes``, ``answer_code_columns``, ``incomplete_responses``,
``sheet`` (XLSX), ``value_labels`` (column -> code -> label), ``labelled_columns`` (the columns
that now hold labels), ``label_order`` (column -> its labels in code order, e.g. for waves),
``user_missing`` (column -> cells made missing) (SPSS), ``notes`` (one sentence per thing the
reader did besides reading, for people).
"""

from __future__ import annotations

import contextlib
import csv
import gc
import hashlib
import io
import json
import math
import os
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wamkit.errors import DataError, UsageError

#: cell texts read as missing in numeric (item) columns of text files
NULL_TOKENS = ["", "NA", "N/A", "NaN", "nan", "NULL", "null", "#N/A"]
SNIFF_BYTES = 1 << 16
BLOCK_SIZE = 1 << 24  # 16 MiB: the longest line pyarrow's reader accepts
_DECIMAL_COMMA = re.compile(r"^\s*-?\d+,\d+\s*$")
TEXT_FORMATS = {"csv", "tsv", "txt"}
FORMATS = {"csv", "tsv", "txt", "xlsx", "sav", "parquet"}
EXPORTS = ("auto", "qualtrics", "limesurvey", "plain")

QUALTRICS_ID_COLUMNS = ("ResponseId", "ResponseID")
QUALTRICS_META_COLUMNS = frozenset(
    {
        "StartDate",
        "EndDate",
        "RecordedDate",
        "Status",
        "Progress",
        "Finished",
        "DistributionChannel",
        "IPAddress",
        "UserLanguage",
    }
)
LIMESURVEY_META_COLUMNS = frozenset(
    {"submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp", "refurl", "token", "ipaddr"}
)
_ANSWER_CODE = r"^\s*[Aa][0-9]+\s*$"
#: how many rows above the column names the title-row check looks at
_TITLE_ROWS_CHECKED = 10


class SuggestedSetting(DataError):
    """A file that would read correctly with another setting (e.g. ``header_row=2``).

    ``parameter`` and ``value`` name that setting, ``reason`` says what was found, so that a
    command-line layer can name its own option (``--header-row 2``) instead of the parameter.
    """

    def __init__(self, reason: str, *, parameter: str, value: Any):
        super().__init__(f"{reason}; give {parameter}={value!r}")
        self.reason = reason
        self.parameter = parameter
        self.value = value


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

    ``frame`` has one row per data row in file order; ``frame.index`` is ``data row - 1``
    (data row 1 is the first row after the column names and any extra export header rows).
    ``header_row`` is the 1-based row of the file holding the column names;
    ``extra_header_rows`` counts the header rows below it that are not data (Qualtrics).
    ``meta`` records what the reader did (see the module docstring).
    """

    frame: Any  # pandas.DataFrame
    source: str
    path: str | None
    format: str
    sha256: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    decimal_comma: bool = False
    meta: dict = field(default_factory=dict)
    header_row: int = 1
    extra_header_rows: int = 0
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def has_rows_above_data(self) -> bool:
        """True when row numbers alone would be ambiguous (rows above the names, extra header rows)."""
        return self.header_row > 1 or self.extra_header_rows > 0

    def line_of(self, row: int) -> int | None:
        """Where data row ``row`` starts in the file: the line (text files) or sheet row (XLSX); else None."""
        first = self.header_row + self.extra_header_rows
        if self.format == "xlsx":
            return first + row
        if self.format not in TEXT_FORMATS:
            return None
        starts = self._cache.get("record_lines")
        if starts is None:
            starts = _record_start_lines(self)
            self._cache["record_lines"] = starts
        i = first + row - 1  # 0-based record index (blank lines count as rows, as pyarrow counts them)
        return int(starts[i]) if 0 <= i < len(starts) else None

    def locate(self, row: int) -> str | None:
        """``"line 6"`` / ``"sheet row 6"`` for data row ``row`` when the file has rows above its data
        that row numbers do not count (``None`` otherwise: then ``row N`` is unambiguous)."""
        if not self.has_rows_above_data:
            return None
        line = self.line_of(row)
        if line is None:
            return None
        return f"sheet row {line}" if self.format == "xlsx" else f"line {line}"

    def where(self, row: int) -> str:
        """``"row 3"``, or ``"row 3 (line 6)"`` when the file has rows above its data."""
        loc = self.locate(row)
        return f"row {row}" + (f" ({loc})" if loc else "")


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a block of bulk work (restored afterwards).

    Reading, scoring and writing a large file allocate many short-lived objects from several
    threads; each collection then walks every object the imported libraries hold, which cost
    an eighth of the run time of ``wamkit score`` on 1M rows. Reference counting still frees
    everything that is not in a cycle.
    """
    was = gc.isenabled()
    gc.disable()
    gc.freeze()  # what exists now is not looked at again by the collections that follow
    try:
        yield
    finally:
        gc.unfreeze()
        if was:
            gc.enable()


def file_format(path: str, override: str | None = None) -> str:
    if override:
        fmt = override.lower()
        if fmt not in FORMATS:
            raise UsageError(f"unknown input format '{override}' (use one of: {', '.join(sorted(FORMATS))})")
        return fmt
    if path == "-":
        return "csv"
    suffix = Path(path).suffix.lower().lstrip(".")
    return {"xls": "xlsx", "xlsm": "xlsx", "tab": "tsv", "pq": "parquet"}.get(
        suffix, suffix if suffix in FORMATS else "csv"
    )


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_table(
    path: str,
    *,
    infer_columns: Iterable[str] | None = None,
    sheet: str | int | None = None,
    format: str | None = None,
    all_text: bool = False,
    header_row: int | None = None,
    export: str = "auto",
) -> Table:
    """Read a data file.

    Parameters
    ----------
    path
        File path, or ``-`` for CSV on stdin.
    infer_columns
        The item columns. In a text file their type is inferred (numeric when every cell is a
        number); every other column is kept as text verbatim, so identifiers such as ``007``
        are never converted. In an SPSS file they keep their numeric codes while every other
        labelled column gets its value labels. ``None``: every column of a text file is
        inferred, every labelled SPSS column gets its labels.
    sheet
        XLSX sheet: name or 1-based number (default: the first sheet).
    format
        Input format when the extension does not tell: csv, tsv, txt, xlsx, sav, parquet.
    all_text
        Read every column of a text file as text (used for key columns of outcome files); SPSS
        numbers become text too (whole numbers without ``.0``).
    header_row
        1-based row of the file (CSV/TSV: counting every line, blank ones too; XLSX: the sheet's
        row number) holding the column names; the rows above it are skipped. ``None``: row 1,
        and a title row above the names is refused with a :class:`SuggestedSetting` error.
    export
        ``"auto"`` recognises Qualtrics and LimeSurvey exports (see the module docstring);
        ``"qualtrics"``/``"limesurvey"`` insist on one; ``"plain"`` switches recognition off.

    Returns
    -------
    Table
    """
    fmt = file_format(path, format)
    source = "<stdin>" if path == "-" else os.path.basename(path)
    if export not in EXPORTS:
        raise UsageError(f"export must be one of {', '.join(EXPORTS)}, not {export!r}")
    if sheet is not None and fmt != "xlsx":
        raise UsageError(f"sheet '{sheet}': {source} is a {fmt} file, not a workbook")
    if header_row is not None:
        if isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 1:
            raise UsageError(f"header_row is a 1-based row number, not {header_row!r}")
        if fmt not in TEXT_FORMATS and fmt != "xlsx":
            raise UsageError(
                f"header_row '{header_row}': {source} is a {fmt} file; header_row applies to CSV/TSV and XLSX files"
            )
    if path != "-":
        p = Path(path)
        try:
            exists = p.exists()
        except OSError as e:  # e.g. a file name longer than the system allows
            raise DataError(f"{path[:80]}{'...' if len(path) > 80 else ''}: cannot open ({e.strerror})") from None
        if not exists:
            raise DataError(f"{path}: file not found")
        if p.is_dir():
            raise DataError(f"{path}: is a folder, not a data file")
        if not os.access(path, os.R_OK):
            raise DataError(f"{path}: file is not readable (permission denied)")
        note_input(path)
    if fmt in TEXT_FORMATS:
        table = _read_text(path, source, fmt, infer_columns, all_text, header_row, export)
    elif fmt == "xlsx":
        table = _read_xlsx(path, source, sheet, header_row, export, infer_columns)
    elif fmt == "sav":
        table = _read_sav(path, source, infer_columns, all_text)
    elif fmt == "parquet":
        table = _read_parquet(path, source)
    else:  # pragma: no cover
        raise UsageError(f"unknown input format '{fmt}'")
    if export in ("auto", "limesurvey"):
        _mark_limesurvey(table, export == "limesurvey")
    if export == "qualtrics" and table.meta.get("export") != "qualtrics":
        raise DataError(
            f"{source}: not a Qualtrics export (no ResponseId column with a question-text row below the column names)"
        )
    return table


# --------------------------------------------------------------------------- survey exports


@dataclass(frozen=True)
class _ExportHeader:
    """What the rows just below the column names say about the export."""

    kind: str | None = None
    extra_rows: int = 0
    question_text: dict = field(default_factory=dict)
    import_ids: dict = field(default_factory=dict)


def _is_qualtrics_header(header: Sequence[str]) -> bool:
    names = set(header)
    return any(c in names for c in QUALTRICS_ID_COLUMNS) and len(QUALTRICS_META_COLUMNS & names) >= 2


def _cell_text(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v).strip()


def _qualtrics_header(header: Sequence[str], following: Sequence[Sequence[Any]], export: str) -> _ExportHeader:
    """Question-text and ImportId rows below a Qualtrics header (``following`` = the next rows)."""
    if export not in ("auto", "qualtrics") or not _is_qualtrics_header(header):
        return _ExportHeader()
    if not following:
        return _ExportHeader()
    first = {h: _cell_text(v) for h, v in zip(header, following[0], strict=False)}
    marks = {
        "StartDate": "start date",
        "EndDate": "end date",
        "ResponseId": "response id",
        "ResponseID": "response id",
        "RecordedDate": "recorded date",
    }
    if not any(first.get(col, "").lower() == text for col, text in marks.items()):
        return _ExportHeader()
    out = _ExportHeader(kind="qualtrics", extra_rows=1, question_text={h: t for h, t in first.items() if t})
    if len(following) > 1:
        cells = [_cell_text(v) for v in following[1]]
        filled = [c for c in cells if c]
        if filled and sum(c.startswith('{"ImportId"') for c in filled) * 2 >= len(filled):
            ids = {}
            for h, c in zip(header, cells, strict=False):
                try:
                    ids[h] = json.loads(c)["ImportId"]
                except (ValueError, KeyError, TypeError):
                    continue
            out = _ExportHeader(kind="qualtrics", extra_rows=2, question_text=out.question_text, import_ids=ids)
    return out


def _export_meta(info: _ExportHeader, header_row: int) -> dict:
    meta: dict[str, Any] = {"header_row": header_row}
    if info.kind == "qualtrics":
        meta["export"] = "qualtrics"
        meta["extra_header_rows"] = info.extra_rows
        meta["question_text"] = dict(info.question_text)
        if info.import_ids:
            meta["import_ids"] = dict(info.import_ids)
    return meta


def _qualtrics_rows(table_frame, source: str, info: _ExportHeader, header_row: int, meta: dict, notes: list[str]):
    """Leave out preview responses (counted, named in a note); count unfinished ones."""
    import numpy as np

    first, last = header_row + 1, header_row + info.extra_rows
    rows_text = f"row {first}" if first == last else f"rows {first}-{last}"
    what = "question texts" + (", import ids" if info.extra_rows > 1 else "")
    notes.append(f"{source}: Qualtrics export; {rows_text} of the file ({what}) read as header rows, not data")
    frame = table_frame
    preview = np.zeros(len(frame), dtype=bool)
    if "Status" in frame.columns:
        status = frame["Status"].astype("string").str.strip().str.lower()
        preview |= status.isin(["survey preview", "1", "1.0"]).fillna(False).to_numpy(dtype=bool)
    if "DistributionChannel" in frame.columns:
        channel = frame["DistributionChannel"].astype("string").str.strip().str.lower()
        preview |= (channel == "preview").fillna(False).to_numpy(dtype=bool)
    n_preview = int(preview.sum())
    meta["previews_left_out"] = n_preview
    if n_preview:
        rows = (frame.index.to_numpy()[preview] + 1).tolist()
        meta["preview_rows"] = rows
        listed = ", ".join(map(str, rows[:10])) + (" ..." if len(rows) > 10 else "")
        notes.append(
            f"{source}: {n_preview} preview response(s) left out (Status 'Survey Preview' or "
            f"DistributionChannel 'preview'; data rows {listed})"
        )
        if n_preview == len(frame):
            raise DataError(f"{source}: every response is a preview ({n_preview} rows); there is nothing to read")
        frame = frame.loc[~preview]
    if "Finished" in frame.columns:
        fin = frame["Finished"].astype("string").str.strip().str.lower()
        unfinished = int(fin.isin(["0", "false", "0.0"]).fillna(False).sum())
        meta["unfinished_responses"] = unfinished
        if unfinished:
            notes.append(
                f"{source}: {unfinished} response(s) not finished (Finished = false) are kept; "
                "leave them out with where, e.g. Finished=1 or Progress>=100"
            )
    return frame


def is_limesurvey_header(header: Iterable[Any]) -> bool:
    """True for the column names of a LimeSurvey export (``id`` and three of its meta columns)."""
    lower = {str(c).lower() for c in header}
    return "id" in lower and len(LIMESURVEY_META_COLUMNS & lower) >= 3


def _mark_limesurvey(table: Table, insist: bool) -> None:
    """Recognise a LimeSurvey export by its column names; note whether cells hold answer codes ``A<k>``."""
    import pandas as pd

    frame = table.frame
    lower = {str(c).lower() for c in frame.columns}
    if not is_limesurvey_header(frame.columns):
        if insist:
            raise DataError(
                f"{table.source}: not a LimeSurvey export (expected columns id, submitdate, lastpage, "
                "startlanguage, seed)"
            )
        return
    table.meta["export"] = "limesurvey"
    coded = []
    for c in frame.columns:
        if str(c).lower() in LIMESURVEY_META_COLUMNS or str(c).lower() == "id":
            continue
        s = frame[c]
        if pd.api.types.is_numeric_dtype(s.dtype):
            continue
        text = s.dropna().astype("string")
        if len(text) and text.str.fullmatch(_ANSWER_CODE).fillna(False).any():
            coded.append(str(c))
    notes = table.meta.setdefault("notes", [])
    signature = ", ".join(sorted(c for c in lower if c in LIMESURVEY_META_COLUMNS or c == "id"))
    if coded:
        table.meta["answer_codes"] = True
        table.meta["answer_code_columns"] = coded
        notes.append(
            f"{table.source}: LimeSurvey export (columns {signature}); answer codes A1, A2, ... are read "
            "as the 1st, 2nd, ... value of each item's scale"
        )
    else:
        notes.append(f"{table.source}: LimeSurvey export (columns {signature})")
    if "submitdate" in lower:
        col = next(c for c in frame.columns if str(c).lower() == "submitdate")
        blank = int(frame[col].isna().sum() + (frame[col].astype("string").str.strip() == "").fillna(False).sum())
        table.meta["incomplete_responses"] = blank
        if blank:
            notes.append(
                f"{table.source}: {blank} response(s) without a submitdate (not completed) are kept; "
                f"leave them out with where {col}!="
            )


def _looks_like_header(cells: Sequence[Any]) -> bool:
    filled = [c for c in cells if _cell_text(c)]
    if len(filled) < 2 or not all(isinstance(c, str) for c in filled):
        return False
    texts = [c.strip() for c in filled]
    if len(set(texts)) != len(texts):
        return False
    return not all(_is_number_text(t) for t in texts)


def _is_number_text(t: str) -> bool:
    try:
        float(t.replace(",", "."))
        return True
    except ValueError:
        return False


def _title_rows(rows: Sequence[Sequence[Any]]) -> int:
    """How many title/blank rows stand above a plausible header row (0 when row 1 is not a title)."""
    first = [c for c in rows[0] if _cell_text(c)] if rows else []
    if len(first) > 1:
        return 0
    for i, r in enumerate(rows[:_TITLE_ROWS_CHECKED]):
        filled = [c for c in r if _cell_text(c)]
        if len(filled) > 1:
            return i if i > 0 and _looks_like_header(r) else 0
    return 0


def _title_error(source: str, where: str, rows: Sequence[Sequence[Any]], skip: int) -> SuggestedSetting:
    title = next((_cell_text(c) for c in rows[0] if _cell_text(c)), "")
    shown = (title[:60] + "...") if len(title) > 60 else title
    what = f"holds only {shown!r}, which looks like a title" if title else "is blank"
    return SuggestedSetting(
        f"{source}: {where}row 1 {what}, not column names; the column names seem to be in row {skip + 1}",
        parameter="header_row",
        value=skip + 1,
    )


# --------------------------------------------------------------------------- text


@dataclass(frozen=True)
class TextDialect:
    encoding: str
    delimiter: str
    decimal_comma: bool
    header: list[str]
    header_row: int = 1
    export: _ExportHeader = field(default_factory=_ExportHeader)
    #: physical lines taken by the rows above the column names (a quoted cell may span lines)
    lines_above_header: int = 0

    @property
    def rows_before_data(self) -> int:
        """Records (lines, blank ones included) before data row 1."""
        return self.header_row + self.export.extra_rows


def _decode_sample(sample: bytes, source: str, at_eof: bool) -> tuple[str, str]:
    if not sample.strip(b"\xef\xbb\xbf \t\r\n"):
        raise DataError(f"{source}: file is empty")
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        # UTF-16 with BOM (Excel's "Unicode text" export)
        text = sample.decode("utf-16", errors="ignore")
        if not at_eof:
            text = text.rsplit("\n", 1)[0]
        return text, "utf-16"
    if b"\x00" in sample:
        raise DataError(f"{source}: not a text file (binary content: NUL byte at offset {sample.index(bytes(1))})")
    body = sample[3:] if sample.startswith(b"\xef\xbb\xbf") else sample
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        if not at_eof and e.start >= len(body) - 4:
            return body[: e.start].decode("utf-8"), "utf-8"
        try:
            return body.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            return body.decode("latin-1"), "latin-1"


def _sniff(
    sample: bytes, source: str, fmt: str, at_eof: bool, header_row: int | None = None, export: str = "auto"
) -> TextDialect:
    text, encoding = _decode_sample(sample, source, at_eof)
    return _dialect_from_text(text, encoding, source, fmt, header_row, export, at_eof)


def _guess_delimiter(lines: Sequence[str], fmt: str) -> str:
    if fmt == "tsv":
        return "\t"
    best, best_count = ",", 0
    for line in lines:
        counts = {d: _count_outside_quotes(line, d) for d in [",", ";", "\t", "|"]}
        d = max(counts, key=lambda k: counts[k])
        if counts[d] > best_count:
            best, best_count = d, counts[d]
    return best


def _dialect_from_text(
    text: str,
    encoding: str,
    source: str,
    fmt: str,
    header_row: int | None = None,
    export: str = "auto",
    at_eof: bool = True,
) -> TextDialect:
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    h = (header_row or 1) - 1
    if header_row is None:
        delimiter = _guess_delimiter(lines[:1], fmt)
        if _count_outside_quotes(lines[0] if lines else "", delimiter) == 0 and len(lines) > 1:
            delimiter = _guess_delimiter(lines[:_TITLE_ROWS_CHECKED], fmt)
    else:
        delimiter = _guess_delimiter(lines[h : h + 1], fmt)
    records, ends = _records(
        text, delimiter, limit=h + 3 + (_TITLE_ROWS_CHECKED if header_row is None else 0), complete=at_eof
    )
    if header_row is None:
        skip = _title_rows(records)
        if skip:
            raise _title_error(source, "", records, skip)
    if h >= len(records):
        raise DataError(f"header_row '{header_row}': {source} has only {len(records)} row(s)")
    header = [c.strip() for c in records[h]]
    if not any(header):
        if header_row is None:
            raise DataError(f"{source}: the first line (header) is empty")
        raise DataError(f"{source}: row {header_row} (header_row) is empty")
    info = _qualtrics_header(header, records[h + 1 : h + 3], export)
    decimal_comma = False
    if delimiter != ",":
        start = h + 1 + info.extra_rows
        for line in lines[start : start + 200]:
            if any(_DECIMAL_COMMA.match(c) for c in line.split(delimiter)):
                decimal_comma = True
                break
    return TextDialect(
        encoding=encoding,
        delimiter=delimiter,
        decimal_comma=decimal_comma,
        header=header,
        header_row=h + 1,
        export=info,
        lines_above_header=ends[h - 1] if h > 0 else 0,
    )


def _records(text: str, delimiter: str, *, limit: int, complete: bool) -> tuple[list[list[str]], list[int]]:
    """The first ``limit`` records of ``text`` (quoted line breaks respected; blank lines are empty
    records) and the line each ends on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    out: list[list[str]] = []
    ends: list[int] = []
    try:
        for rec in reader:
            out.append(rec)
            ends.append(reader.line_num)
            if len(out) >= limit:
                break
    except csv.Error:
        pass  # a malformed record: the full parse reports it with its row and line
    if not complete and len(out) > 1 and len(out) < limit:
        out, ends = out[:-1], ends[:-1]  # the last record of a sample may be cut off
    return out, ends


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


def _csv_options(
    dialect: TextDialect, encoding: str, types: dict, *, block_size: int = BLOCK_SIZE, use_threads: bool = True
):
    import pyarrow.csv as pcsv

    # skip_rows counts physical lines, skip_rows_after_names parsed rows (a quoted cell may hold line breaks)
    read_opts = pcsv.ReadOptions(
        encoding=encoding,
        block_size=block_size,
        use_threads=use_threads,
        skip_rows=dialect.lines_above_header,
        column_names=dialect.header,
        skip_rows_after_names=1 + dialect.export.extra_rows,
    )
    parse_opts = pcsv.ParseOptions(delimiter=dialect.delimiter, newlines_in_values=True)
    # only numbers are inferred (no booleans, dates or times: text files keep their text)
    conv_opts = pcsv.ConvertOptions(
        column_types=types,
        strings_can_be_null=False,
        null_values=NULL_TOKENS,
        decimal_point="," if dialect.decimal_comma else ".",
        true_values=[],
        false_values=[],
    )
    return read_opts, parse_opts, conv_opts


def _read_text(
    path: str, source: str, fmt: str, infer_columns, all_text: bool, header_row: int | None, export: str
) -> Table:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    content, sample = _read_source_bytes(path)
    at_eof = (content is not None) or (os.path.getsize(path) <= len(sample))
    dialect = _sniff(sample, source, fmt, at_eof, header_row, export)
    check_header(dialect.header, source)
    types = _text_types(dialect.header, infer_columns, all_text)

    def attempt(encoding: str):
        opts = _csv_options(dialect, encoding, types)
        src = pa.BufferReader(content) if content is not None else path
        return pcsv.read_csv(src, read_options=opts[0], parse_options=opts[1], convert_options=opts[2])

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
        inferred_text = [f.name for f in table.schema if f.name not in types and _not_a_number_type(f.type)]
        if inferred_text:  # a column inferred as dates or times: read it again as text
            types = {**types, **{c: pa.string() for c in inferred_text}}
            table = attempt(encoding)
    except pa.ArrowInvalid as e:
        raise _diagnose_csv(path, content, source, dialect, encoding, e) from None
    except (UnicodeDecodeError, LookupError) as e:  # transcoder errors (e.g. a lone UTF-16 surrogate)
        raise DataError(
            f"{source}: cannot decode the file as {encoding} ({type(e).__name__}: {getattr(e, 'reason', e)})"
        ) from None
    frame = table.to_pandas(types_mapper=_types_mapper)
    if len(frame) == 0:
        raise DataError(f"{source}: has a header but no data rows")
    frame.columns = list(dialect.header)
    meta = _export_meta(dialect.export, dialect.header_row)
    notes: list[str] = []
    if dialect.header_row > 1:
        notes.append(
            f"{source}: the column names are in row {dialect.header_row} (header_row); "
            f"{dialect.header_row - 1} row(s) above them skipped"
        )
    if dialect.export.kind == "qualtrics":
        frame = _qualtrics_rows(frame, source, dialect.export, dialect.header_row, meta, notes)
    if notes:
        meta["notes"] = notes
    sha = hashlib.sha256(content).hexdigest() if content is not None else sha256_file(path)
    out = Table(
        frame=frame,
        source=source,
        path=None if path == "-" else path,
        format=fmt,
        sha256=sha,
        encoding=encoding,
        delimiter=dialect.delimiter,
        decimal_comma=dialect.decimal_comma,
        meta=meta,
        header_row=dialect.header_row,
        extra_header_rows=dialect.export.extra_rows,
    )
    if content is not None:
        out._cache["content"] = content
    return out


def _record_start_lines(table: Table):
    """1-based line on which each record of a text table's file starts (one pass over the file)."""
    import numpy as np

    raw = table._cache.get("content")
    if raw is None:
        if table.path is None:  # pragma: no cover
            return np.zeros(0, dtype=np.int64)
        with open(table.path, "rb") as fh:
            raw = fh.read()
    enc = table.encoding or "utf-8"
    if enc == "utf-8" and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    text = raw.decode(enc, errors="replace").lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=table.delimiter or ",")
    starts: list[int] = []
    last = 0
    old_limit = csv.field_size_limit()
    csv.field_size_limit(BLOCK_SIZE)
    try:
        for _ in reader:
            starts.append(last + 1)
            last = reader.line_num
    except csv.Error:
        pass
    finally:
        csv.field_size_limit(old_limit)
    return np.asarray(starts, dtype=np.int64)


def _not_a_number_type(t) -> bool:
    import pyarrow as pa

    return not (
        pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_null(t)
    )


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
    if content is not None:
        raw = content
    else:
        with open(path, "rb") as fh:
            raw = fh.read()
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    try:
        body.decode("utf-8")
        return
    except UnicodeDecodeError as e:
        bad = e.start
    if _UTF8_MULTIBYTE.search(body):
        line = body.count(b"\n", 0, bad) + 1
        raise DataError(
            f"{source}: line {line}: byte 0x{body[bad]:02x} is not UTF-8, but other lines are UTF-8 "
            f"(mixed encodings); save the file as UTF-8"
        )


def _diagnose_csv(path, content, source, dialect: TextDialect, encoding, err) -> DataError:
    """Turn a pyarrow parse error into a message naming the data row and line."""
    msg = str(err).splitlines()[0]
    if "straddling" in msg or "block" in msg:
        return DataError(f"{source}: a line is longer than {BLOCK_SIZE >> 20} MiB; not a plausible survey export")
    try:
        if content is not None:
            raw = content
        else:
            with open(path, "rb") as fh:
                raw = fh.read()
    except OSError:  # pragma: no cover
        return DataError(f"{source}: cannot parse as delimited text ({msg.removeprefix('CSV parse error: ')})")
    text = raw.decode(encoding, errors="replace").lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=dialect.delimiter, strict=True)
    ncols = len(dialect.header)
    before = dialect.rows_before_data
    old_limit = csv.field_size_limit()
    csv.field_size_limit(BLOCK_SIZE)
    record, data_row, last_line = 0, 0, 0
    try:
        for row in reader:
            start, last_line = last_line + 1, reader.line_num
            record += 1
            if record <= before:
                continue
            data_row += 1
            if row and len(row) != ncols:
                what = "is truncated" if len(row) < ncols else "has extra fields"
                return DataError(
                    f"{source}: row {data_row} (line {start}) {what}: {len(row)} fields where the header has {ncols}"
                )
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


def read_header(path: str, format: str | None = None, *, header_row: int | None = None) -> list[str]:
    """Column names of a CSV/TSV file (sniffed as :func:`read_table` does)."""
    fmt = file_format(path, format)
    _, sample = _read_source_bytes(path)
    return _sniff(sample, os.path.basename(path), fmt, os.path.getsize(path) <= len(sample), header_row).header


def text_dialect(
    path: str, format: str | None = None, *, header_row: int | None = None, export: str = "auto"
) -> TextDialect:
    """How :func:`read_table` would read a CSV/TSV file: encoding, delimiter, decimal comma, header, export."""
    fmt = file_format(path, format)
    _, sample = _read_source_bytes(path)
    return _sniff(sample, os.path.basename(path), fmt, os.path.getsize(path) <= len(sample), header_row, export)


class ItemsNotNumeric(Exception):
    """Raised by :func:`iter_text_chunks` with ``numeric_items=True`` when an item cell is not a number:
    read the file again with ``numeric_items=False``."""


class NotUtf8(Exception):
    """Raised by :func:`iter_text_chunks` with ``encoding="utf-8"`` when a later line is not UTF-8:
    read the file again with ``encoding=None`` (decided on the whole file, mixed encodings refused)."""


def iter_text_chunks(
    path: str,
    *,
    chunk_rows: int = 200_000,
    format: str | None = None,
    header_row: int | None = None,
    item_columns: Iterable[str] | None = None,
    export: str = "auto",
    numeric_items: bool = False,
    encoding: str | None = None,
) -> Iterator[Any]:
    """Stream a CSV/TSV file as pandas DataFrames of about ``chunk_rows`` rows (bounded memory).

    The frames of :func:`iter_text_tables` (see there): text columns as pandas strings, item
    columns as numbers or categoricals; each frame's index is ``data row - 1`` of the whole file
    (as :attr:`Table.frame` has it).
    """
    for table, index in iter_text_tables(
        path,
        chunk_rows=chunk_rows,
        format=format,
        header_row=header_row,
        item_columns=item_columns,
        export=export,
        numeric_items=numeric_items,
        encoding=encoding,
    ):
        frame = arrow_to_frame(table)
        frame.index = index
        yield frame


def iter_text_tables(
    path: str,
    *,
    chunk_rows: int = 200_000,
    format: str | None = None,
    header_row: int | None = None,
    item_columns: Iterable[str] | None = None,
    export: str = "auto",
    numeric_items: bool = False,
    encoding: str | None = None,
) -> Iterator[tuple[Any, Any]]:
    """Stream a CSV/TSV file as ``(pyarrow Table, index)`` pairs of about ``chunk_rows`` rows.

    Every column is read as text, so that all chunks agree on types, except ``item_columns``:
    read as dictionary-encoded text (the scorer parses each distinct text once), or with
    ``numeric_items`` as numbers (blank and ``NA`` cells missing); then a cell that is not a
    number raises :class:`ItemsNotNumeric`. ``index`` (a numpy array) holds ``data row - 1`` of
    each row in the whole file; Qualtrics header rows and preview responses are handled as
    :func:`read_table` handles them. No pandas is involved.

    ``encoding=None`` decides UTF-8 or cp1252 on the whole file first (one pass over the bytes),
    as the in-memory reader does; ``encoding="utf-8"`` skips that pass when the sample is UTF-8
    and raises :class:`NotUtf8` if a later line is not.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pcsv

    optimistic = encoding == "utf-8"
    fmt = file_format(path, format)
    source = os.path.basename(path)
    _, sample = _read_source_bytes(path)
    dialect = _sniff(sample, source, fmt, os.path.getsize(path) <= len(sample), header_row, export)
    check_header(dialect.header, source)
    # the sniffing sample may be all ASCII while a later line is cp1252: decide on the whole file
    # (a streamed pass over the bytes), so that streaming reads what the in-memory path reads
    sniffed = dialect.encoding
    optimistic = optimistic and sniffed == "utf-8"
    encoding = sniffed
    if sniffed in ("utf-8", "cp1252", "latin-1") and not optimistic:
        whole = _whole_file_encoding(path, source)
        encoding = "latin-1" if whole == "cp1252" and sniffed == "latin-1" else whole
    items = [c for c in (item_columns or ()) if c in set(dialect.header)]
    item_type = pa.float64() if numeric_items else pa.dictionary(pa.int32(), pa.string())
    types = {c: item_type if c in items else pa.string() for c in dialect.header}
    opts = _csv_options(dialect, encoding, types, block_size=1 << 22)
    position = 0

    def emit(batches: list, n: int) -> tuple[Any, Any]:
        nonlocal position
        table = pa.Table.from_batches(batches)
        index = np.arange(position, position + n, dtype=np.int64)
        position += n
        if dialect.export.kind == "qualtrics":
            keep = ~_preview_mask(table)
            if not keep.all():
                table, index = table.filter(pa.array(keep)), index[keep]
        return table, index

    try:
        reader = pcsv.open_csv(path, read_options=opts[0], parse_options=opts[1], convert_options=opts[2])
        pending: list = []
        n_pending = 0
        for batch in reader:
            while batch.num_rows:
                take = min(batch.num_rows, chunk_rows - n_pending)
                pending.append(batch.slice(0, take))
                n_pending += take
                batch = batch.slice(take)
                if n_pending >= chunk_rows:
                    yield emit(pending, n_pending)
                    pending, n_pending = [], 0
        if n_pending:
            yield emit(pending, n_pending)
    except pa.ArrowInvalid as e:
        if optimistic and "utf8" in str(e).lower():
            raise NotUtf8(str(e)) from None
        if numeric_items and "conversion error" in str(e).lower():
            raise ItemsNotNumeric(str(e)) from None
        raise _diagnose_csv(path, None, source, dialect, encoding, e) from None
    except (UnicodeDecodeError, LookupError) as e:
        raise DataError(
            f"{source}: cannot decode the file as {encoding} ({type(e).__name__}: {e.reason if hasattr(e, 'reason') else e})"
        ) from None


def _preview_mask(table) -> Any:
    """Rows of a Qualtrics chunk that are preview responses (as :func:`_qualtrics_rows` finds them)."""
    import numpy as np
    import pyarrow.compute as pc

    from wamkit.io.arrow import numpy_bools

    mask = np.zeros(table.num_rows, dtype=bool)
    for col, values in (("Status", ["survey preview", "1", "1.0"]), ("DistributionChannel", ["preview"])):
        if col in table.column_names:
            text = pc.utf8_lower(pc.utf8_trim_whitespace(table.column(col).cast("string")))
            mask |= numpy_bools(pc.is_in(text, value_set=pc.cast(values, "string")))
    return mask


def arrow_to_frame(table):
    """A pyarrow table as a pandas DataFrame: text as pandas strings, dictionary columns as categoricals.

    A categorical item column lets the scorer parse each distinct text once.
    """
    import pandas as pd
    import pyarrow as pa

    if any(pa.types.is_dictionary(t) for t in table.schema.types):
        table = table.unify_dictionaries()
    data = {}
    for name, col in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_dictionary(col.type):
            arr = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
            indices = arr.indices.fill_null(-1) if arr.null_count else arr.indices
            codes = indices.to_numpy(zero_copy_only=False)
            data[name] = pd.Categorical.from_codes(
                codes, categories=pd.Index(arr.dictionary.to_pylist(), dtype=object), validate=False
            )
        elif pa.types.is_floating(col.type):
            data[name] = col.to_numpy() if col.num_chunks != 1 else col.chunk(0).to_numpy(zero_copy_only=False)
        else:
            data[name] = col.to_pandas(types_mapper=_types_mapper)
    return pd.DataFrame(data, copy=False)


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
    bad_at = 0
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
                raise DataError(
                    f"{source}: line {_line_at(path, bad_at)}: a byte is not UTF-8, but other "
                    f"lines are UTF-8 (mixed encodings); save the file as UTF-8"
                )
            tail = block[-3:]
    return "cp1252"


# --------------------------------------------------------------------------- workbooks


def _sheet_name(source: str, sheets: list[str], sheet: str | int | None) -> str:
    if sheet is None:
        return sheets[0]
    text = str(sheet).strip()
    if text in sheets:
        return text
    if text.isdigit() and 1 <= int(text) <= len(sheets):
        return sheets[int(text) - 1]
    raise DataError(f"{source}: no sheet '{sheet}' (sheets: {', '.join(sheets)})")


def _sheet_rows(ws) -> list[tuple]:
    rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
    while rows and not any(_cell_text(c) for c in rows[-1]):
        rows.pop()
    return rows


def _read_xlsx(
    path: str, source: str, sheet: str | int | None, header_row: int | None, export: str, infer_columns
) -> Table:
    import numpy as np
    import pandas as pd

    try:
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:
        raise DataError(f"{source}: not a readable .xlsx workbook ({type(e).__name__}: {e})") from None
    try:
        sheets = list(wb.sheetnames)
        name = _sheet_name(source, sheets, sheet)
        ws = wb[name]
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()  # exporters often write a wrong dimension record
        try:
            rows = _sheet_rows(ws)
        except Exception as e:
            raise DataError(f"{source}: sheet '{name}' cannot be read ({type(e).__name__}: {e})") from None
        if not rows:
            others = []
            if sheet is None:
                for other in sheets[1:]:
                    if _sheet_rows(wb[other]):
                        others.append(other)
            if len(others) == 1:
                raise SuggestedSetting(
                    f"{source}: sheet '{name}' is empty; the data seem to be on sheet '{others[0]}'",
                    parameter="sheet",
                    value=others[0],
                )
            raise DataError(f"{source}: sheet '{name}' is empty (sheets: {', '.join(sheets)})")
    finally:
        wb.close()
    h = (header_row or 1) - 1
    if header_row is None:
        skip = _title_rows(rows)
        if skip:
            raise _title_error(source, f"sheet '{name}' ", rows, skip)
    if h >= len(rows):
        raise DataError(f"header_row '{header_row}': sheet '{name}' of {source} has only {len(rows)} row(s)")
    width = max(len(r) for r in rows)
    padded = [tuple(r) + (None,) * (width - len(r)) for r in rows]
    raw_header = list(padded[h])
    # columns without a name and without any value (trailing formatting) are not columns
    used = [j for j in range(width) if _cell_text(raw_header[j]) or any(_cell_text(r[j]) for r in padded[h + 1 :])]
    keep = list(range(max(used) + 1)) if used else []
    header = [_cell_text(raw_header[j]) for j in keep]
    for j, hname in enumerate(header, start=1):
        if hname == "":
            raise DataError(f"{source}: sheet '{name}' column {j} has an empty name in the header")
    seen: dict[str, int] = {}
    for j, hname in enumerate(header, start=1):
        if hname in seen:
            raise DataError(
                f"{source}: duplicate column name '{hname}' in sheet '{name}' (columns {seen[hname]} and {j})"
            )
        seen[hname] = j
    info = _qualtrics_header(header, [[r[j] for j in keep] for r in padded[h + 1 : h + 3]], export)
    body = [[r[j] for j in keep] for r in padded[h + 1 + info.extra_rows :]]
    if not body:
        raise DataError(f"{source}: sheet '{name}' has a header but no data rows")
    frame = pd.DataFrame(body, columns=header, dtype=object)
    frame = frame.map(lambda v: None if isinstance(v, str) and v == "" else v)
    infer = set(infer_columns) if infer_columns is not None else set()
    for c in header:
        if c not in infer:
            continue
        values = frame[c].to_numpy(dtype=object)
        if all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in values):
            frame[c] = np.array([np.nan if v is None else float(v) for v in values], dtype=float)
    meta = _export_meta(info, h + 1)
    meta["sheet"] = name
    notes: list[str] = []
    if h > 0:
        notes.append(
            f"{source}: sheet '{name}': the column names are in row {h + 1} (header_row); {h} row(s) above them skipped"
        )
    if info.kind == "qualtrics":
        frame = _qualtrics_rows(frame, source, info, h + 1, meta, notes)
    if notes:
        meta["notes"] = notes
    return Table(
        frame=frame,
        source=source,
        path=path,
        format="xlsx",
        sha256=sha256_file(path),
        meta=meta,
        header_row=h + 1,
        extra_header_rows=info.extra_rows,
    )


# --------------------------------------------------------------------------- SPSS, Parquet


def _number_text(values) -> list[str | None]:
    """Numbers as text: whole numbers without ``.0``; None for missing."""
    out: list[str | None] = []
    for v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            out.append(None)
        elif isinstance(v, float) and v.is_integer():
            out.append(str(int(v)))
        else:
            out.append(str(v))
    return out


def _read_sav(path: str, source: str, infer_columns, all_text: bool) -> Table:
    import numpy as np
    import pandas as pd

    try:
        import pyreadstat
    except ImportError:  # pragma: no cover
        raise DataError("reading SPSS files needs the 'pyreadstat' package") from None
    try:
        frame, meta = pyreadstat.read_sav(path, apply_value_formats=False, user_missing=True)
    except Exception as e:
        raise DataError(f"{source}: not a readable SPSS .sav file ({type(e).__name__}: {e})") from None
    if len(frame) == 0:
        raise DataError(f"{source}: has variables but no cases")
    notes: list[str] = []
    # user-missing values (SPSS "missing values" of a variable) become missing, counted per column
    user_missing: dict[str, int] = {}
    for col, ranges in (meta.missing_ranges or {}).items():
        if col not in frame.columns:
            continue
        s = frame[col]
        mask = np.zeros(len(frame), dtype=bool)
        if pd.api.types.is_numeric_dtype(s.dtype):
            x = s.to_numpy(dtype=float, na_value=np.nan)
            for r in ranges:
                if not isinstance(r, dict):  # pyreadstat gives {'lo': .., 'hi': ..} per range
                    continue
                with np.errstate(invalid="ignore"):
                    mask |= (x >= float(r["lo"])) & (x <= float(r["hi"]))
        else:
            vals = {str(r[k]) for r in ranges if isinstance(r, dict) for k in ("lo", "hi")}
            mask = s.astype("string").isin(vals).fillna(False).to_numpy(dtype=bool)
        n = int(mask.sum())
        if n:
            frame[col] = s.mask(mask)
            user_missing[col] = n
    if user_missing:
        listed = ", ".join(f"{c} {n}" for c, n in list(user_missing.items())[:8])
        notes.append(
            f"{source}: {sum(user_missing.values())} user-missing value(s) (SPSS missing values) read as "
            f"missing ({listed}{' ...' if len(user_missing) > 8 else ''})"
        )
    labels = {k: {float(c): str(t) for c, t in v.items()} for k, v in (meta.variable_value_labels or {}).items()}
    items = set(infer_columns) if infer_columns is not None else set()
    labelled = []
    for col, lab in labels.items():
        if col in items or col not in frame.columns:
            continue
        s = frame[col]
        if not pd.api.types.is_numeric_dtype(s.dtype):
            texts = [lab.get(v, v) if v is not None else None for v in s.tolist()]
        else:
            raw = s.to_numpy(dtype=float, na_value=np.nan)
            number_text = _number_text(raw.tolist())
            texts = [lab.get(v, t) if t is not None else None for v, t in zip(raw.tolist(), number_text, strict=True)]
        frame[col] = pd.array(texts, dtype="string")
        labelled.append(col)
    if labelled:
        notes.append(
            f"{source}: value labels applied to {', '.join(labelled[:8])}"
            f"{' ...' if len(labelled) > 8 else ''} (item columns keep their codes)"
        )
    if all_text:
        for col in frame.columns:
            s = frame[col]
            if pd.api.types.is_numeric_dtype(s.dtype):
                frame[col] = pd.array(_number_text(s.to_numpy(dtype=float, na_value=np.nan).tolist()), dtype="string")
    # the labels of each labelled column in the order of their codes (a wave 0/6 labelled baseline/6 months
    # sorts by its codes, not alphabetically)
    label_order = {c: [labels[c][code] for code in sorted(labels[c])] for c in labelled}
    out_meta: dict[str, Any] = {
        "value_labels": labels,
        "labelled_columns": labelled,
        "label_order": label_order,
        "user_missing": user_missing,
    }
    if notes:
        out_meta["notes"] = notes
    return Table(frame=frame, source=source, path=path, format="sav", sha256=sha256_file(path), meta=out_meta)


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
    return Table(
        frame=frame.reset_index(drop=True), source=source, path=path, format="parquet", sha256=sha256_file(path)
    )
