"""``wamkit instruments list|show|check|new|schema``."""

from __future__ import annotations

from typing import Optional

import typer

from wamkit.cli.common import console, emit, json_bytes

app = typer.Typer(help="List, show, check and draft instrument definitions (YAML).", no_args_is_help=True,
                  rich_markup_mode=None)


@app.command("list")
def list_command(format: str = typer.Option("table", "--format", help="table or json.")) -> None:
    """List bundled instruments and those in $WAMKIT_INSTRUMENTS folders."""
    from wamkit.instrument import list_instruments

    entries = list_instruments()
    if format == "json":
        emit(json_bytes(entries), None)
        return
    from rich.table import Table

    t = Table(title="instruments", title_justify="left")
    for c in ("id", "version", "rater", "name", "where"):
        t.add_column(c)
    for e in entries:
        if e.get("error"):
            t.add_row("(invalid)", "", "", e["error"], e["path"])
            continue
        name = e["name"] + (" [DEMONSTRATION]" if e["demonstration"] else "")
        t.add_row(e["id"], e["version"], e.get("rater") or "", name, "bundled" if e["bundled"] else e["path"])
    console().print(t)


@app.command("show")
def show_command(instrument: str = typer.Argument(..., help="Instrument id or YAML path."),
                 format: str = typer.Option("table", "--format", help="table or json.")) -> None:
    """Show an instrument's items, reverse keys, subscales and scoring rules."""
    from wamkit.instrument import load_instrument

    ins = load_instrument(instrument)
    if format == "json":
        emit(json_bytes(ins.to_dict()), None)
        return
    from rich.table import Table

    con = console()
    con.print(f"[bold]{ins.name}[/bold]  (id {ins.id}, version {ins.version}{', rater ' + ins.rater if ins.rater else ''})")
    if ins.demonstration:
        con.print("[bold red]DEMONSTRATION instrument - not a published key[/bold red]")
    if ins.description:
        con.print(ins.description)
    if ins.citation:
        con.print(f"citation: {ins.citation}")
    if ins.license:
        con.print(f"license: {ins.license}")
    if ins.scale:
        labels = ", ".join(f"{int(k) if k.is_integer() else k}={'/'.join(v)}" for k, v in sorted(ins.scale.labels.items()))
        con.print(f"scale: {ins.scale.min:g}-{ins.scale.max:g}" + (f" ({labels})" if labels else ""))
    con.print(f"missing codes: {', '.join(f'{c:g}' for c in ins.missing_codes) or '-'}; "
              f"missing labels: {', '.join(ins.missing_labels) or '-'}; min_answered: {ins.min_answered:g}")
    t = Table(title="scores", title_justify="left")
    for c in ("id", "name", "method", "items", "min answered"):
        t.add_column(c)
    for s in ins.subscales:
        items = ", ".join(i + ("(R)" if ins.item(i).reverse else "") for i in s.items)
        t.add_row(s.id, s.name, s.method, items, f"{ins.subscale_min_answered(s):g}")
    for tot in ins.totals:
        what = ", ".join(tot.items) if tot.items is not None else "subscales: " + ", ".join(tot.subscales)
        t.add_row(tot.id, tot.name, tot.method, what, f"{ins.subscale_min_answered(tot):g}" if tot.items else "all")
    con.print(t)


@app.command("check")
def check_command(paths: list[str] = typer.Argument(..., help="Instrument YAML files or ids.")) -> None:
    """Validate instrument files against the schema and score their worked examples (exit 1 if an example fails)."""
    from wamkit.errors import CheckFailed, WamkitError
    from wamkit.instrument import load_instrument
    from wamkit.scoring.core import check_examples

    con = console()
    failed = 0
    broken = []
    for p in paths:
        try:
            ins = load_instrument(p)
        except WamkitError as e:
            broken.append(e)
            con.print(f"[red]INVALID[/red] {p}: {e.render()}", markup=True, highlight=False)
            continue
        checks = check_examples(ins)
        bad = [c for c in checks if not c.ok]
        failed += len(bad)
        n_ex = len(ins.examples)
        status = "[green]ok[/green]" if not bad else "[red]FAIL[/red]"
        con.print(f"{status} {ins.id} ({p}): schema valid, {n_ex} worked example(s), {len(checks)} score(s) checked")
        for c in bad:
            con.print(f"   example {c.example}, {c.score_id}: expected {c.expected}, got {c.got}", markup=False)
    if broken:
        first = broken[0]
        raise type(first)(f"{len(broken)} instrument file(s) invalid; first: {first.message}")
    if failed:
        raise CheckFailed(f"{failed} worked-example score(s) differ from the expected values")


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
    output: Optional[str] = typer.Option(None, "-o", "--output", help="Write the draft here (default: stdout)."),
) -> None:
    """Draft an instrument YAML from a data file's header (edit subscales and reverse keys afterwards)."""
    from wamkit.instrument.draft import draft_instrument

    text = draft_instrument(data, instrument_id=id_, pattern=items, scale_min=scale_min, scale_max=scale_max)
    emit(text.encode("utf-8"), output, [data])
