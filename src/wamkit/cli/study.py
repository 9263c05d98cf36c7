"""``wamkit study new|check|schema`` and ``wamkit reshape``."""

from __future__ import annotations

import typer

from wamkit.cli.options import OutputArgs, ReadArgs, expand

app = typer.Typer(
    help="Study files: draft one from a data file, check one against its data.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


@app.command("new")
def new_command(
    data: str = typer.Argument(..., help="Data file to describe.", show_default=False),
    output: str | None = typer.Option(None, "-o", "--output", help="Write the draft here (default: stdout)."),
    sheet: str | None = typer.Option(None, "--sheet", help="XLSX sheet name or 1-based number."),
    header_row: int | None = typer.Option(None, "--header-row", help="1-based row holding the column names."),
    force: bool = typer.Option(False, "--force", help="Replace an existing output file."),
) -> None:
    """Draft a study file: guesses role, wave and id columns, a wide pattern and the instruments; unknowns are TODO.

    Example: wamkit study new examples/wam_demo.csv -o study.yaml
    """
    from wamkit.cli.common import check_output, emit
    from wamkit.design.draft import draft_study

    check_output(output, [data], force=force)
    emit(draft_study(data, sheet=sheet, header_row=header_row).encode("utf-8"), output, [data], force=force)


@app.command("check")
def check_command(
    study: str = typer.Argument(..., help="Study file (study.yaml).", show_default=False),
    format: str | None = typer.Option(None, "--format", help="table (default), json, md or html."),
    output: str | None = typer.Option(None, "-o", "--output", help="Write the report to this file."),
    force: bool = typer.Option(False, "--force", help="Replace an existing output file."),
) -> None:
    """Check a study file against its data and print the design (persons per wave and role, officers, joins).

    Example: wamkit study check examples/study.yaml
    """
    from wamkit.cli.common import check_output, choose_format, write_result
    from wamkit.design.check import check_study

    fmt = choose_format(format, output, ("table", "json", "md", "html"))
    check_output(output, [study], force=force)
    result = check_study(study)
    write_result(result, OutputArgs(format=fmt, output=output, force=force), fmt, [study])


@app.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of study files."""
    import json

    from wamkit.design.study import study_schema

    typer.echo(json.dumps(study_schema(), indent=2))


@expand
def reshape_command(
    read: ReadArgs,
    out: OutputArgs,
    to: str = typer.Option(..., "--to", help="Layout to write: long or wide.", show_default=False),
    pattern: str | None = typer.Option(
        None, "--pattern", help="Column-name pattern for --to wide (default: the study's, else '{role}_{wave}_{item}')."
    ),
    format: str | None = typer.Option(None, "--format", help="csv (default), tsv, json, parquet or xlsx."),
) -> None:
    """Write the data in the other layout: long (one row per person x role x wave) or wide (one row per dyad).

    Example: wamkit reshape --study examples/study.yaml --to wide -o wide.csv
    """
    from wamkit.cli.common import check_output, emit
    from wamkit.design.layout_io import reshape_data
    from wamkit.errors import UsageError
    from wamkit.io import frame_to_bytes, output_format, write_frame

    if to not in ("long", "wide"):
        raise UsageError(f"--to must be long or wide, not '{to}'")
    fmt = output_format(out.output, format)
    check_output(out.output, read.inputs(), force=out.force)
    data = read.read()
    frame = reshape_data(data, to=to, pattern=pattern)
    if out.to_file:
        write_frame(frame, str(out.output), fmt, overwrite=out.force, dialect=out.csv_dialect or "standard")
    else:
        emit(frame_to_bytes(frame, fmt, dialect=out.csv_dialect or "standard"), None)
    if not out.quiet:
        from wamkit.cli.common import note

        note(f"{len(data.frame)} long rows -> {len(frame)} {to} rows, {frame.shape[1]} columns")
