"""``wamkit score`` and ``wamkit inspect``."""

from __future__ import annotations

import typer

from wamkit.cli.options import OutputArgs, ReadArgs, expand

SCORE_FORMATS = ("csv", "tsv", "json", "parquet", "xlsx")


@expand
def score_command(
    read: ReadArgs,
    out: OutputArgs,
    format: str | None = typer.Option(
        None, "--format", help="Output format: csv (default), tsv, json, parquet, xlsx; default from the -o extension."
    ),
    keep_items: bool = typer.Option(
        False, "--keep-items", help="Also output the keyed (reversed) item values as <item>_keyed."
    ),
    keep_counts: bool = typer.Option(
        False, "--keep-counts", help="Also output the number of answered items per score as <score>_n."
    ),
    pseudonymise: list[str] | None = typer.Option(
        None,
        "--pseudonymise",
        "--pseudonymize",
        help="Replace this identifier column with keyed pseudonyms "
        "(repeatable); key from --key-file or $WAMKIT_PSEUDONYM_KEY.",
    ),
    key_file: str | None = typer.Option(
        None, "--key-file", help="File holding the pseudonymisation key (at least 16 bytes)."
    ),
    chunk_rows: int | None = typer.Option(
        None,
        "--chunk-rows",
        help="Stream a CSV input in chunks of this "
        "many rows (bounded memory; automatic for "
        "inputs over 32 MiB scored into a file).",
    ),
) -> None:
    """Score item responses: one column per subscale and total, every input row kept in order.

    Example: wamkit score --study examples/study.yaml -o scores.csv
    """
    import dataclasses
    import sys

    from wamkit.cli.common import check_output, emit, json_bytes, render_document
    from wamkit.errors import UsageError
    from wamkit.io import frame_to_bytes, output_format, write_frame

    fmt = output_format(out.output, format)
    check_output(out.output, read.inputs(), force=out.force)
    if not out.to_file and fmt in ("parquet", "xlsx"):
        raise UsageError(f"--format {fmt} needs an output file (-o FILE)")
    key = _pseudonym_key(pseudonymise, key_file)
    if _stream(read, out, fmt, chunk_rows, pseudonymise):
        return
    data = read.read()
    from wamkit.design.read import score_data

    result = score_data(
        data, keep_items=keep_items, keep_counts=keep_counts, invalid=read.invalid, min_answered=read.min_answered
    )
    if pseudonymise:
        from wamkit.pseudonym import pseudonymise_columns

        result = dataclasses.replace(
            result, scores=pseudonymise_columns(result.scores, pseudonymise, key, source=data.source), problems=()
        )
    dialect = out.csv_dialect or "standard"
    if fmt == "json":
        from wamkit.provenance import data_provenance

        payload = {
            "provenance": data_provenance(
                "score",
                data,
                {
                    "invalid": result.invalid_policy,
                    "min_answered": result.min_answered,
                    "pseudonymised": pseudonymise or [],
                },
                private=bool(pseudonymise),
            ),
            **result.to_dict(),
        }
        emit(json_bytes(payload), out.output, read.inputs(), force=out.force)
    elif not out.to_file:
        emit(frame_to_bytes(result.scores, fmt, dialect=dialect), None)
    else:
        write_frame(result.scores, str(out.output), fmt, overwrite=out.force, dialect=dialect)
    if not out.quiet:
        for n in data.notes:
            sys.stderr.write(f"note: {n}\n")
        sys.stderr.write(render_document(result.document(), "table").decode("utf-8"))


def _pseudonym_key(pseudonymise, key_file):
    from wamkit.errors import UsageError

    if pseudonymise:
        from wamkit.pseudonym import load_key

        return load_key(key_file)
    if key_file is not None:
        raise UsageError("--key-file is only used with --pseudonymise COLUMN")
    return None


def _stream(read: ReadArgs, out: OutputArgs, fmt: str, chunk_rows: int | None, pseudonymise) -> bool:
    """Score a large CSV chunk by chunk when the run allows it (one instrument, plain long file)."""
    import sys

    from wamkit.errors import UsageError
    from wamkit.scoring.stream import StreamOptions, should_stream, stream_score

    if read.data is None or read.data == "-" and not chunk_rows:
        return False
    instruments = read.instruments() if read.study is None else None
    eligible = (
        read.study is None
        and instruments is not None
        and list(instruments) == [None]
        and not read.where
        and not pseudonymise
        and out.to_file
        and fmt in ("csv", "tsv", "parquet")
        and read.rater is None
    )
    opts = StreamOptions(
        sheet=read.sheet,
        input_format=read.input_format,
        column_map=read.settings()["column_map"] or {},
        column_template=read.columns,
        invalid=read.invalid or "error",
        min_answered=read.min_answered,
    )
    if not should_stream(read.data, opts, chunk_rows, eligible=eligible):
        return False
    if not eligible or instruments is None:
        raise UsageError(
            "--chunk-rows streams one instrument, without --study, --where, --rater or "
            "--pseudonymise, into a csv, tsv or parquet file given with -o"
        )
    from wamkit.cli.common import render_document
    from wamkit.instrument import load_instrument

    summary = stream_score(
        read.data,
        load_instrument(instruments[None]),
        opts,
        output=out.output,
        fmt=fmt,
        chunk_rows=chunk_rows,
        keep_items=False,
        keep_counts=False,
        progress=not out.quiet and sys.stderr.isatty(),
        overwrite=out.force,
        dialect=out.csv_dialect or "standard",
        header_row=read.header_row,
    )
    if not out.quiet:
        from wamkit.render.document import Document
        from wamkit.render.reports.scoring import SUMMARY_COLUMNS

        doc = Document(
            title=f"scores: {summary['instrument']}",
            subtitle=f"{summary['rows_read']} rows read, {summary['rows_scored']} scored",
        )
        doc.table(summary["scales"], SUMMARY_COLUMNS)
        sys.stderr.write(render_document(doc, "table").decode("utf-8"))
    return True


@expand
def inspect_command(
    read: ReadArgs,
    out: OutputArgs,
    id_: list[str] | None = typer.Option(
        None, "--id", help="Key column(s) that should identify a row (repeatable); default: dyad, rater, wave."
    ),
    format: str | None = typer.Option(
        None, "--format", help="table (default), json, md or html; default from the -o extension."
    ),
) -> None:
    """Data-quality report without scoring: invalid cells, missingness, floor/ceiling, straight-lining, duplicate keys.

    Example: wamkit inspect --study examples/study.yaml
    """
    from wamkit.cli.common import check_output, choose_format, write_result
    from wamkit.scoring.quality import inspect_data

    fmt = choose_format(format, out.output, ("table", "json", "md", "html"))
    check_output(out.output, read.inputs(), force=out.force)
    data = read.read()
    result = inspect_data(data, id_columns=id_)
    payload = None
    if fmt == "json":
        from wamkit.provenance import data_provenance

        payload = {**result.to_dict(), "provenance": data_provenance("inspect", data, {"id": id_ or []})}
    write_result(result, out, fmt, read.inputs(), payload=payload)
