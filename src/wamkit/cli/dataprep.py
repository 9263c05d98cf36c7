"""``wamkit score`` and ``wamkit inspect``."""

from __future__ import annotations

from typing import Optional

import typer

from wamkit.cli.common import choose_format, console, emit, fmt_num, json_bytes, parse_pairs

DataArg = typer.Argument(..., help="Data file: CSV/TSV, XLSX, SPSS .sav or Parquet; '-' reads CSV from stdin.",
                         show_default=False)
InstrumentOpt = typer.Option(..., "-i", "--instrument", help="Bundled instrument id or path to a YAML file.",
                             show_default=False)  # single-instrument commands
SheetOpt = typer.Option(None, "--sheet", help="XLSX sheet name or 1-based number (default: the first).")
MapOpt = typer.Option(None, "--map", help="Item column override ITEM=COLUMN (repeatable), e.g. --map wai01=Q1_1.")
ColumnsOpt = typer.Option(None, "--columns", help="Column-name template for all items, e.g. 'Q1_{n}' or 'T0_{id}'.")
InputFormatOpt = typer.Option(None, "--input-format", help="Input format when the extension does not tell: csv, tsv, xlsx, sav, parquet.")


def read_options(sheet, map_, columns, input_format, invalid="error", min_answered=None):
    from wamkit.scoring.multi import ReadOptions

    return ReadOptions(sheet=sheet, input_format=input_format, column_map=parse_pairs(map_, "--map"),
                       column_template=columns, invalid=invalid, min_answered=min_answered)


InstrumentsOpt = typer.Option(..., "-i", "--instrument", show_default=False,
                              help="Instrument id or YAML path; or VALUE=INSTRUMENT per rater value (repeatable, with --rater).")
RaterOpt = typer.Option(None, "--rater", help="Column whose value picks the instrument when -i is given as VALUE=INSTRUMENT.")
WhereOpt = typer.Option(None, "--where", help="Keep only rows where COLUMN=VALUE (repeatable; all must match).")


def score_command(
    data: str = DataArg,
    instrument: list[str] = InstrumentsOpt,
    output: Optional[str] = typer.Option(None, "-o", "--output", help="Output file (format from its extension). Default: CSV on stdout."),
    format: Optional[str] = typer.Option(None, "--format", help="Output format: csv, tsv, json, parquet, xlsx."),
    rater: Optional[str] = RaterOpt,
    where: Optional[list[str]] = WhereOpt,
    sheet: Optional[str] = SheetOpt,
    map_: Optional[list[str]] = MapOpt,
    columns: Optional[str] = ColumnsOpt,
    input_format: Optional[str] = InputFormatOpt,
    min_answered: Optional[float] = typer.Option(None, "--min-answered", help="Fraction of a subscale's items that must be answered (overrides the instrument)."),
    invalid: str = typer.Option("error", "--invalid", help="'error' (default): stop on invalid cells; 'missing': treat them as missing and count them."),
    keep_items: bool = typer.Option(False, "--keep-items", help="Also output the keyed (reversed) item values as <item>_keyed."),
    keep_counts: bool = typer.Option(False, "--keep-counts", help="Also output the number of answered items per score as <score>_n."),
    pseudonymise: Optional[list[str]] = typer.Option(None, "--pseudonymise", "--pseudonymize", help="Replace this identifier column with keyed pseudonyms (repeatable); key from --key-file or $WAMKIT_PSEUDONYM_KEY."),
    key_file: Optional[str] = typer.Option(None, "--key-file", help="File holding the pseudonymisation key (at least 16 bytes)."),
    chunk_rows: Optional[int] = typer.Option(None, "--chunk-rows", help="Stream a CSV input in chunks of this many rows (bounded memory; automatic for inputs over 32 MiB when scoring one instrument into a file)."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="No summary on stderr."),
) -> None:
    """Score item responses: one score column per subscale and total, every input row kept in order.

    Example: wamkit score examples/wam_demo.csv -i client=wam-demo-client -i professional=wam-demo-professional --rater rater -o scores.csv
    """
    import sys

    from wamkit.scoring.multi import load_instrument_specs, parse_where, read_multi_table, score_multi, where_mask
    from wamkit.errors import UsageError
    from wamkit.io import check_output_path, frame_to_bytes, output_format, write_frame
    from wamkit.scoring.stream import should_stream, stream_score

    opts = read_options(sheet, map_, columns, input_format, invalid, min_answered)
    if invalid not in ("error", "missing"):
        raise UsageError(f"--invalid must be 'error' or 'missing', not '{invalid}'")
    instruments = load_instrument_specs(instrument, rater)
    if rater is not None and list(instruments) == [None]:
        raise UsageError("--rater picks an instrument per rater value; it needs -i VALUE=INSTRUMENT "
                         "(to keep one rater's rows, use --where rater=VALUE)")
    filters = parse_where(where)
    fmt = output_format(output, format)
    if output is not None and output != "-":
        check_output_path(output, [data])
    elif fmt in ("parquet", "xlsx"):
        raise UsageError(f"--format {fmt} needs an output file (-o FILE)")
    key = None
    if pseudonymise:
        from wamkit.pseudonym import load_key

        key = load_key(key_file)
    elif key_file is not None:
        raise UsageError("--key-file is only used with --pseudonymise COLUMN")
    eligible = (list(instruments) == [None] and not filters and not pseudonymise
                and output not in (None, "-") and fmt in ("csv", "tsv", "parquet"))
    if should_stream(data, opts, chunk_rows, eligible=eligible):
        if not eligible:
            raise UsageError("--chunk-rows streams one instrument, without --where or --pseudonymise, "
                             "into a csv, tsv or parquet file given with -o")
        summary = stream_score(data, instruments[None], opts, output=output, fmt=fmt, chunk_rows=chunk_rows,
                               keep_items=keep_items, keep_counts=keep_counts,
                               progress=not quiet and sys.stderr.isatty())
        if not quiet:
            render_score_summary(summary, data)
        return
    from wamkit.provenance import provenance

    table = read_multi_table(data, instruments, opts)
    frame = table.frame
    if filters:
        frame = frame[where_mask(frame, filters, table.source)]
    result = score_multi(table, instruments, rater, opts, keep_items=keep_items, keep_counts=keep_counts,
                         frame=frame)
    if pseudonymise:
        import dataclasses

        from wamkit.pseudonym import pseudonymise_columns

        result = dataclasses.replace(result, scores=pseudonymise_columns(result.scores, pseudonymise, key,
                                                                         source=table.source), problems=())
    if fmt == "json":
        ins = list(instruments.values())
        payload = {"provenance": provenance(command="score", instrument=ins[0] if len(ins) == 1 else None,
                                            extra_instruments=ins if len(ins) > 1 else (), tables=[table],
                                            settings={"invalid": invalid, "min_answered": result.min_answered,
                                                      "column_map": opts.column_map, "columns": columns,
                                                      "where": dict(filters), "rater": rater,
                                                      "pseudonymised": pseudonymise or []}),
                   "summary": result.summary_dict(), "scores": result.scores}
        emit(json_bytes(payload), output, [data])
    elif output is None or output == "-":
        emit(frame_to_bytes(result.scores, fmt), None)
    else:
        write_frame(result.scores, output, fmt)
    if not quiet:
        render_score_summary(result.summary_dict(), data)


def render_score_summary(summary: dict, data: str) -> None:
    from rich.table import Table

    con = console()
    t = Table(title=f"{summary['instrument']} on {data}: {summary['rows_read']} rows read, "
                    f"{summary['rows_scored']} scored", title_justify="left")
    for col in ("score", "n", "missing", "mean", "sd", "min", "max"):
        t.add_column(col, justify="left" if col == "score" else "right")
    for s in summary["scales"]:
        t.add_row(s["id"], str(s["n"]), str(s["missing"]), fmt_num(s["mean"]), fmt_num(s["sd"]),
                  fmt_num(s["min"]), fmt_num(s["max"]))
    con.print(t)
    notes = []
    if summary["invalid_cells"]:
        notes.append(f"{summary['invalid_cells']} invalid cells treated as missing (--invalid missing)")
    if summary["straightlined_rows"]:
        notes.append(f"{summary['straightlined_rows']} straight-lined rows (every item the same answer)")
    for n in notes:
        con.print(f"note: {n}")


def inspect_command(
    data: str = DataArg,
    instrument: str = InstrumentOpt,
    id_: Optional[list[str]] = typer.Option(None, "--id", help="Key column(s) that should identify a row (repeatable), e.g. --id dyad --id rater --id wave."),
    format: Optional[str] = typer.Option(None, "--format", help="table (default) or json; default from the -o extension."),
    output: Optional[str] = typer.Option(None, "-o", "--output", help="Write the report to this file (json)."),
    sheet: Optional[str] = SheetOpt,
    map_: Optional[list[str]] = MapOpt,
    columns: Optional[str] = ColumnsOpt,
    input_format: Optional[str] = InputFormatOpt,
) -> None:
    """Data-quality report without scoring: invalid cells, missingness, floor/ceiling, straight-lining, duplicate keys.

    Example: wamkit inspect examples/wam_demo_client.csv -i wam-demo-client --id dyad --id wave
    """
    from wamkit.scoring.multi import read_item_table
    from wamkit.instrument import load_instrument
    from wamkit.scoring.quality import inspect_items

    format = choose_format(format, output, ("table", "json"))
    opts = read_options(sheet, map_, columns, input_format)
    ins = load_instrument(instrument)
    table = read_item_table(data, ins, opts)
    report = inspect_items(table.frame, ins, source=table.source, id_columns=id_, column_map=opts.column_map,
                           column_template=columns, decimal_comma=table.decimal_comma)
    if format == "json":
        from wamkit.provenance import provenance

        payload = report.to_dict()
        payload["provenance"] = provenance(command="inspect", instrument=ins, tables=[table],
                                           settings={"id": id_ or [], "column_map": opts.column_map, "columns": columns})
        emit(json_bytes(payload), output, [data])
        return
    _render_quality(report)


def _render_quality(report) -> None:
    from rich.table import Table

    con = console()
    t = Table(title=f"{report.source}: {report.rows} rows, instrument {report.instrument_id}", title_justify="left")
    for col in ("item", "column", "answered", "missing", "invalid", "floor", "ceiling", "mean", "sd"):
        t.add_column(col, justify="left" if col in ("item", "column") else "right")
    for r in report.items.itertuples(index=False):
        t.add_row(r.item, r.column, str(r.n), f"{r.missing_share:.1%}", str(r.invalid),
                  "-" if r.floor_share != r.floor_share else f"{r.floor_share:.1%}",
                  "-" if r.ceiling_share != r.ceiling_share else f"{r.ceiling_share:.1%}",
                  fmt_num(r.mean), fmt_num(r.sd))
    con.print(t)
    con.print(f"invalid cells: {report.n_invalid}")
    for p in report.invalid_cells[:20]:
        con.print(f"  {p.render()}", markup=False)
    con.print(f"straight-lined rows: {len(report.straightlined_rows)}"
              + (f" (rows {', '.join(map(str, report.straightlined_rows[:20]))}"
                 + (" ..." if len(report.straightlined_rows) > 20 else "") + ")" if report.straightlined_rows else ""))
    if report.id_columns:
        con.print(f"duplicate keys on {', '.join(report.id_columns)}: {len(report.duplicates)}")
        for r in report.duplicates.head(20).itertuples(index=False):
            con.print(f"  {' / '.join(map(str, r[:-1]))}: rows {r[-1]}", markup=False)
    con.print(f"missing-data patterns: {len(report.missing_patterns)} (most common first)")
    for r in report.missing_patterns.head(5).itertuples(index=False):
        con.print(f"  {r.pattern}  {r.rows} rows", markup=False)
