"""``wamkit instruments list|show|check|new|schema``."""

from __future__ import annotations

import typer

from wamkit.cli.common import emit, json_bytes, render_document

app = typer.Typer(
    help="List, show, check and draft instrument definitions (YAML).", no_args_is_help=True, rich_markup_mode=None
)


@app.command("list")
def list_command(format: str = typer.Option("table", "--format", help="table or json.")) -> None:
    """List bundled instruments and those in $WAMKIT_INSTRUMENTS folders (a table on stdout)."""
    from wamkit.instrument import list_instruments

    entries = list_instruments()
    if format == "json":
        emit(json_bytes(entries), None)
        return
    from wamkit.render.reports.instruments import list_document

    emit(render_document(list_document(entries), "table"), None)


@app.command("show")
def show_command(
    instrument: str = typer.Argument(..., help="Instrument id or YAML path."),
    format: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Show an instrument's items, reverse keys, subscales and scoring rules."""
    from wamkit.instrument import load_instrument

    ins = load_instrument(instrument)
    if format == "json":
        emit(json_bytes(ins.to_dict()), None)
        return
    from wamkit.render.reports.instruments import show_document

    emit(render_document(show_document(ins), "table"), None)


@app.command("check")
def check_command(paths: list[str] = typer.Argument(..., help="Instrument YAML files or ids.")) -> None:
    """Validate instrument files against the schema and score their worked examples (exit 1 if an example fails)."""
    from wamkit.errors import CheckFailed, WamkitError
    from wamkit.instrument import load_instrument
    from wamkit.scoring.core import check_examples

    failed = 0
    broken = []
    lines: list[str] = []
    for p in paths:
        try:
            ins = load_instrument(p)
        except WamkitError as e:
            broken.append(e)
            lines.append(f"INVALID {p}: {e.render()}")
            continue
        checks = check_examples(ins)
        bad = [c for c in checks if not c.ok]
        failed += len(bad)
        n_ex = len(ins.examples)
        status = "ok" if not bad else "FAIL"
        lines.append(f"{status} {ins.id} ({p}): schema valid, {n_ex} worked example(s), {len(checks)} score(s) checked")
        lines += [f"   example {c.example}, {c.score_id}: expected {c.expected}, got {c.got}" for c in bad]
    if broken:  # an error: the report goes to stderr as the error's detail lines, stdout stays empty
        first = broken[0]
        raise type(first)(f"{len(broken)} instrument file(s) invalid; first: {first.message}", details=lines)
    if failed:
        raise CheckFailed(f"{failed} worked-example score(s) differ from the expected values", details=lines)
    emit(("\n".join(lines) + "\n").encode("utf-8"), None)


@app.command("schema")
def schema_command() -> None:
    """Print the JSON Schema that instrument files are validated against."""
    from wamkit.instrument import instrument_schema

    emit(json_bytes(instrument_schema()), None)


@app.command("new")
def new_command(
    data: str = typer.Argument(..., help="A data file whose header lists the item columns."),
    id_: str = typer.Option(..., "--id", help="Id of the new instrument ([a-z0-9-])."),
    items: str = typer.Option("*", "--items", help="Glob pattern for item columns, e.g. 'wam*' or 'Q1_*'."),
    scale_min: float = typer.Option(1, "--min", help="Lowest response code."),
    scale_max: float = typer.Option(5, "--max", help="Highest response code."),
    output: str | None = typer.Option(None, "-o", "--output", help="Write the draft here (default: stdout)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing output file."),
) -> None:
    """Draft an instrument YAML from a data file's header (edit subscales and reverse keys afterwards)."""
    from wamkit.cli.common import check_output
    from wamkit.instrument.draft import draft_instrument

    check_output(output, [data], force=force)
    text = draft_instrument(data, instrument_id=id_, pattern=items, scale_min=scale_min, scale_max=scale_max)
    emit(text.encode("utf-8"), output, [data], force=force)
