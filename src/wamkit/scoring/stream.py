"""Scoring inputs larger than memory: chunked CSV in, CSV/TSV/Parquet out, bounded memory.

Row order is kept; every chunk is scored by the same :func:`wamkit.scoring.score`
as the in-memory path and written by the same :class:`wamkit.io.FrameWriter`, so the
output is byte for byte the same. The output is written to a temporary file and renamed
at the end: an invalid cell in the last chunk leaves no partial output behind.

Item columns are read as dictionary-encoded text and handed to the scorer as categoricals:
each distinct cell text is parsed once per chunk, not once per cell.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any, NoReturn

from wamkit.errors import DataError, UsageError
from wamkit.io import TEXT_FORMATS, FrameWriter, Table, atomic_write, file_format, iter_text_tables, text_dialect
from wamkit.io.arrow import arrow_array
from wamkit.io.readers import ItemsNotNumeric, NotUtf8, gc_paused, is_limesurvey_header
from wamkit.scoring.core import ScoreMoments, resolve_columns, score_columns

#: inputs larger than this are streamed when the output allows it (same output, a third of the memory)
AUTO_STREAM_BYTES = 32 << 20


@dataclass(frozen=True)
class StreamOptions:
    """How :func:`stream_score` reads the file (the reading settings of :func:`wamkit.read` that
    streaming uses; importing this module loads no pandas)."""

    input_format: str | None = None
    column_map: dict | None = None
    column_template: str | None = None
    invalid: str = "error"
    min_answered: float | None = None
    sheet: str | None = None


def should_stream(path: str, opts, chunk_rows: int | None, *, eligible: bool = True) -> bool:
    """Stream when asked (``chunk_rows``), or automatically for a large CSV/TSV input when
    ``eligible`` (one instrument, no row filter, a csv/tsv/parquet output file)."""
    if path == "-":
        if chunk_rows:
            raise UsageError("chunk_rows needs a file, not stdin")
        return False
    fmt = file_format(path, opts.input_format)
    if chunk_rows is not None:
        if fmt not in TEXT_FORMATS:
            raise UsageError(f"chunk_rows streams CSV/TSV inputs only, not {fmt}")
        if chunk_rows < 1:
            raise UsageError("chunk_rows must be a positive number")
        return True
    return eligible and fmt in TEXT_FORMATS and os.path.exists(path) and os.path.getsize(path) > AUTO_STREAM_BYTES


def stream_score(
    path: str,
    instrument,
    opts,
    *,
    output: str | None,
    fmt: str,
    chunk_rows: int | None,
    keep_items: bool = False,
    keep_counts: bool = False,
    progress: bool = True,
    overwrite: bool = False,
    dialect: str = "standard",
    header_row: int | None = None,
) -> dict:
    """Score ``path`` chunk by chunk into ``output``; returns the summary dict (as ScoreResult.summary_dict).

    ``overwrite`` allows replacing an existing ``output``; ``dialect`` is the CSV flavour
    (:data:`wamkit.io.CSV_DIALECTS`); ``header_row`` as in :func:`wamkit.io.read_table`.
    """
    output = _checked_output(output, fmt)
    chunk_rows = chunk_rows or 200_000
    source = os.path.basename(path)
    moments: dict[str, ScoreMoments] = {}
    totals: dict[str, int] = {}
    used: dict = {}
    columns = resolve_columns(instrument, column_map=opts.column_map, column_template=opts.column_template)
    dialect_info = text_dialect(path, opts.input_format, header_row=header_row)
    answer_codes = is_limesurvey_header(dialect_info.header)
    locator = _chunk_locator(path, source, opts.input_format, dialect_info)
    bar, task = _start_progress() if progress else (None, None)

    def score_chunk(chunk, writer: FrameWriter):
        table, index = chunk
        res = score_columns(
            table,
            instrument,
            source=source,
            column_map=opts.column_map,
            column_template=opts.column_template,
            min_answered=opts.min_answered,
            invalid=opts.invalid,
            keep_items=keep_items,
            keep_counts=keep_counts,
            decimal_comma=dialect_info.decimal_comma,
            answer_codes=answer_codes,
            locate=locator.locate if locator.has_rows_above_data else None,
            row_index=index,
        )
        _tally_chunk(res, table.num_rows, instrument.score_ids, totals, moments, used)
        if bar is not None:
            bar.update(task, rows=totals["rows_read"])
        return _scored_table(table, res, writer)

    def run(tmp: str, numeric: bool, encoding: str | None) -> None:
        totals.update(rows_read=0, rows_scored=0, invalid=0, straight=0)
        moments.update({sid: ScoreMoments() for sid in instrument.score_ids})
        used.clear()
        with FrameWriter(tmp, fmt, dialect) as writer:
            chunks = iter_text_tables(
                path,
                chunk_rows=chunk_rows,
                format=opts.input_format,
                header_row=header_row,
                item_columns=list(columns.values()),
                numeric_items=numeric,
                encoding=encoding,
            )
            # read the next chunk and write the last one while this one is scored
            pipeline(chunks, partial(score_chunk, writer=writer), writer.write_table)

    def write(tmp: str) -> None:
        _run_with_fallbacks(run, tmp)
        if totals["rows_read"] == 0:  # header only: the checks that run per chunk never ran
            _refuse_header_only(dialect_info.header, columns, source)

    try:
        with gc_paused():
            atomic_write(output, write, overwrite=overwrite)
    finally:
        if bar is not None:
            bar.stop()
    return _stream_summary(instrument, opts.invalid, totals, moments, used)


def _checked_output(output: str | None, fmt: str) -> str:
    """The output file of a stream, refusing stdout or a format other than csv, tsv or parquet."""
    if output is None or output == "-":
        raise UsageError("streaming (chunk_rows) needs an output file")
    if fmt not in ("csv", "tsv", "parquet"):
        raise UsageError(f"streaming writes csv, tsv or parquet, not {fmt}")
    return output


def _chunk_locator(path: str, source: str, input_format: str | None, dialect_info) -> Table:
    """A frameless :class:`Table` of ``path`` that locates a row of a chunk in the file (``file:line``)."""
    return Table(
        frame=None,
        source=source,
        path=path,
        format=file_format(path, input_format),
        encoding=dialect_info.encoding,
        delimiter=dialect_info.delimiter,
        header_row=dialect_info.header_row,
        extra_header_rows=dialect_info.export.extra_rows,
    )


def _start_progress() -> tuple[Any, Any]:
    """A started rich progress display on stderr counting the rows done, and its task."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    bar = Progress(
        SpinnerColumn(),
        TextColumn("scoring: {task.fields[rows]:,} rows done"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task("score", total=None, rows=0)
    bar.start()
    return bar, task


def _tally_chunk(
    res, rows: int, score_ids, totals: dict[str, int], moments: dict[str, ScoreMoments], used: dict
) -> None:
    """Add the counts, scores and ``min_answered`` used of one scored chunk to the running totals."""
    totals["rows_read"] += rows
    totals["rows_scored"] += res.rows_scored
    totals["invalid"] += res.items.n_invalid
    totals["straight"] += res.straightlined
    used.update(res.min_answered)
    for sid in score_ids:
        moments[sid].add(res.scores[sid])


def _scored_table(table, res, writer: FrameWriter):
    """The passthrough columns of ``table`` and the scores of ``res`` as one table, prepared for ``writer``."""
    import pyarrow as pa

    names = [*res.passthrough, *res.columns]
    arrays = [table.column(c) for c in res.passthrough] + [arrow_array(x) for x in res.columns.values()]
    return writer.prepare_table(pa.Table.from_arrays(arrays, names=names))


def _run_with_fallbacks(run: Callable[[str, bool, str | None], None], tmp: str) -> None:
    """``run`` with numeric items and UTF-8, again with text items or the whole-file encoding when those fail."""
    # first as if the items were numbers and the whole file UTF-8 (the common case, and the
    # fastest); again with text items, or with the encoding decided on the whole file, when not
    numeric, encoding = True, "utf-8"  # type: bool, str | None
    while True:
        try:
            run(tmp, numeric, encoding)
            break
        except ItemsNotNumeric:
            numeric = False
        except NotUtf8:
            encoding = None


def _refuse_header_only(header, columns: dict, source: str) -> NoReturn:
    """Refuse a file with a header and no data rows (after the column checks that run per chunk)."""
    from wamkit.scoring.core import check_item_columns

    check_item_columns(header, columns, source)
    raise DataError(f"{source}: has a header but no data rows")


def _stream_summary(
    instrument, invalid: str, totals: dict[str, int], moments: dict[str, ScoreMoments], used: dict
) -> dict:
    """The summary dict of a stream (as ScoreResult.summary_dict)."""
    subscale_ids = {s.id for s in instrument.subscales}
    return {
        "instrument": instrument.id,
        "instrument_version": instrument.version,
        "rows_read": totals["rows_read"],
        "rows_scored": totals["rows_scored"],
        "invalid_cells": totals["invalid"],
        "invalid_policy": invalid,
        "straightlined_rows": totals["straight"],
        "min_answered": used,
        "scales": [
            moments[sid].summary(sid, "subscale" if sid in subscale_ids else "total").__dict__
            for sid in instrument.score_ids
        ],
    }


class _Failure:
    def __init__(self, error: BaseException):
        self.error = error


def pipeline(source: Iterator[Any], work: Callable[[Any], Any], sink: Callable[[Any], None], *, depth: int = 2) -> None:
    """``sink(work(item))`` for every item of ``source``, in order, with ``source`` read in one thread
    and ``sink`` run in another while ``work`` runs in this one (each stage at most ``depth`` items ahead).

    pyarrow releases the GIL while it parses and encodes CSV, so reading, scoring and writing
    overlap. An error in any stage stops the others and is raised here.
    """
    import queue
    import threading

    done = object()
    stop = threading.Event()
    inbox: queue.Queue = queue.Queue(depth)
    outbox: queue.Queue = queue.Queue(depth)
    sink_errors: list[BaseException] = []

    def put(q: queue.Queue, item: Any) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def get(q: queue.Queue) -> Any:
        while True:
            try:
                return q.get(timeout=0.05)
            except queue.Empty:
                if stop.is_set():
                    return done

    def read() -> None:
        try:
            for item in source:
                if not put(inbox, item):
                    return
        except BaseException as e:
            put(inbox, _Failure(e))
            return
        put(inbox, done)

    def write() -> None:
        try:
            while True:
                item = get(outbox)
                if item is done:
                    return
                sink(item)
        except BaseException as e:
            sink_errors.append(e)
            stop.set()

    reader = threading.Thread(target=read, name="wamkit-read", daemon=True)
    writer = threading.Thread(target=write, name="wamkit-write", daemon=True)
    reader.start()
    writer.start()
    try:
        while True:
            item = get(inbox)
            if item is done:
                break
            if isinstance(item, _Failure):
                raise item.error
            if not put(outbox, work(item)):
                break
        put(outbox, done)
        writer.join()
        if sink_errors:
            raise sink_errors[0]
    finally:
        stop.set()
        writer.join()
        reader.join()
        close = getattr(source, "close", None)
        if close is not None:
            close()
