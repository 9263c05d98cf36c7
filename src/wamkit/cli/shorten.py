"""``wamkit shorten``: choose and cross-validate a short form, optionally write it as an instrument file."""

from __future__ import annotations

import typer

from wamkit.cli.common import choose_format, console, emit, fmt_num, json_bytes
from wamkit.cli.dataprep import ColumnsOpt, DataArg, InputFormatOpt, MapOpt, SheetOpt, WhereOpt, read_options


def shorten_command(
    data: str = DataArg,
    instrument: str = typer.Option(..., "-i", "--instrument", help="Instrument id or YAML path.", show_default=False),
    items_per_scale: int | None = typer.Option(None, "--items-per-scale", help="Items to keep per subscale (>= 3)."),
    target_reliability: float | None = typer.Option(
        None, "--target-reliability", help="Instead: the fewest items whose omega reaches this value."
    ),
    folds: int = typer.Option(5, "--folds", help="k of the k-fold cross-validation (>= 2)."),
    seed: int | None = typer.Option(
        None, "--seed", help="Seed of the folds and the search (default 20261122; recorded in the output)."
    ),
    where: list[str] | None = WhereOpt,
    criterion: str | None = typer.Option(
        None, "--criterion", help="Column of a criterion: adds validity and the bestScales-style baseline."
    ),
    cutoff: list[str] | None = typer.Option(  # noqa: B008 - typer's idiom
        None,
        "--cutoff",
        help="Alert cut-off in score units, SCORE or SUBSCALE=SCORE (repeatable): information counts around it.",
    ),
    theta_range: str = typer.Option(
        "-1,1", "--theta-range", help="Trait range LOW,HIGH (SD units) where information counts, without --cutoff."
    ),
    skip_cfa: bool = typer.Option(False, "--skip-cfa", help="Leave out the CFA of the full and short forms."),
    format: str | None = typer.Option(None, "--format", help="table (default) or json; default from the -o extension."),
    output: str | None = typer.Option(None, "-o", "--output", help="Write the JSON report to this file."),
    write_instrument: str | None = typer.Option(
        None, "--write-instrument", help="Write the short form as an instrument YAML (extends the full one)."
    ),
    short_id: str | None = typer.Option(None, "--id", help="Id of the short-form instrument (default: <id>-short)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing --write-instrument file."),
    sheet: str | None = SheetOpt,
    map_: list[str] | None = MapOpt,
    columns: str | None = ColumnsOpt,
    input_format: str | None = InputFormatOpt,
) -> None:
    """Choose items per subscale (reliability, information, coverage, fit) and cross-validate the short form.

    Example: wamkit shorten examples/wam_demo.csv -i wam-demo-client --where rater=client --where wave=T0
    --items-per-scale 3 --write-instrument wam-demo-client-short.yaml
    """
    from pathlib import Path

    from wamkit.errors import DataError, UsageError
    from wamkit.instrument import load_instrument
    from wamkit.measurement.validate import load_validation_input
    from wamkit.provenance import provenance
    from wamkit.scoring.multi import parse_where
    from wamkit.shortform import DEFAULT_SEED, shorten

    format = choose_format(format, output, ("table", "json"))
    if (items_per_scale is None) == (target_reliability is None):
        raise UsageError("give --items-per-scale K or --target-reliability R (one of them)")
    if seed is not None and seed < 0:
        raise UsageError(f"--seed must be a non-negative whole number, not {seed}")
    seed = DEFAULT_SEED if seed is None else seed
    try:
        lo, hi = (float(v) for v in theta_range.split(","))
    except ValueError:
        raise UsageError(f"--theta-range expects LOW,HIGH (e.g. -1,1), got '{theta_range}'") from None
    cutoffs: float | dict[str, float] | None = None
    for c in cutoff or []:
        key, sep, val = c.partition("=")
        try:
            if sep:
                cutoffs = {**(cutoffs if isinstance(cutoffs, dict) else {}), key.strip(): float(val)}
            elif cutoffs is None:
                cutoffs = float(c)
            else:
                raise ValueError
        except ValueError:
            raise UsageError(f"--cutoff expects SCORE once, or SUBSCALE=SCORE (repeatable), got '{c}'") from None
    if write_instrument and Path(write_instrument).exists() and not force:
        raise UsageError(f"--write-instrument {write_instrument}: file exists; add --force to overwrite it")
    ins = load_instrument(instrument)
    opts = read_options(sheet, map_, columns, input_format)
    with console().status("shorten: reading data"):
        vin = load_validation_input(data, instrument=ins, opts=opts, where=parse_where(where))
    crit = None
    if criterion is not None:
        frame = vin.table.frame
        if criterion not in frame.columns:
            raise UsageError(f"--criterion {criterion}: {vin.table.source} has no column '{criterion}'")
        crit = frame.loc[vin.items.index, criterion]
        if crit.dtype == object or str(crit.dtype).startswith("string"):
            import pandas as pd

            crit = pd.to_numeric(crit.astype("string").str.strip(), errors="coerce")
        if crit.isna().all():
            raise DataError(f"--criterion {criterion}: no numeric values")
    with console().status("shorten: selecting and cross-validating"):
        res = shorten(
            vin.items,
            ins,
            items_per_scale=items_per_scale,
            target_reliability=target_reliability,
            folds=folds,
            seed=seed,
            information_range=(lo, hi),
            cutoffs=cutoffs,
            criterion=crit,
            cfa=not skip_cfa,
        )
    written = None
    if write_instrument:
        written = res.write_instrument(write_instrument, ins, force=force, new_id=short_id)
    payload = res.to_dict()
    payload["provenance"] = provenance(
        command="shorten",
        instrument=ins,
        tables=[vin.table],
        seed=seed,
        settings={"where": where or [], "criterion": criterion, "write_instrument": write_instrument},
    )
    payload["rows"] = {"read": vin.rows_read, "used": vin.rows_used}
    if written is not None:
        payload["short_instrument"] = {
            "id": written.id,
            "version": written.version,
            "path": write_instrument,
            "sha256": written.sha256,
        }
    if format == "json":
        emit(json_bytes(payload), output, [data])
        return
    render_table(payload)


def render_table(d: dict) -> None:
    from rich.table import Table

    con = console()
    s = d["shorten"]
    st = s["settings"]
    what = (
        f"{st['items_per_scale']} items per subscale"
        if st["items_per_scale"] is not None
        else f"target omega {st['target_reliability']}"
    )
    con.print(
        f"[bold]shorten[/bold] {s['instrument']['id']}: {what}, n = {st['n_rows']} rows, "
        f"{st['folds']}-fold cross-validation, seed {st['seed']}"
    )
    t = Table(title="subscales (held-out folds)", title_justify="left")
    for c in (
        "subscale",
        "kept",
        "dropped",
        "omega full",
        "omega short",
        "r(short, full) [CI]",
        "info full",
        "info short",
        "stable",
    ):
        t.add_column(c, justify="left" if c in ("subscale", "kept", "dropped") else "right")
    for sid, v in s["subscales"].items():
        r = v["r_short_full"]
        t.add_row(
            sid,
            ", ".join(v["kept"]),
            ", ".join(v["dropped"]) or "-",
            fmt_num(v["reliability_full"]),
            fmt_num(v["reliability_short"]),
            f"{fmt_num(r['estimate'])} [{fmt_num(r['ci_low'])}, {fmt_num(r['ci_high'])}]",
            fmt_num(v["information"]["mean_full"], 2),
            fmt_num(v["information"]["mean_short"], 2),
            f"{v['stability']:.0%}",
        )
    con.print(t)
    if st["criterion"]:
        vt = Table(title=f"validity against {st['criterion']} (held-out rows)", title_justify="left")
        for c in ("subscale", "full", "short", "baseline", "baseline kept"):
            vt.add_column(c, justify="left" if c in ("subscale", "baseline kept") else "right")
        for sid, v in s["subscales"].items():
            val = v["validity"]
            vt.add_row(
                sid,
                fmt_num(val["full"]["estimate"]),
                fmt_num(val["short"]["estimate"]),
                fmt_num(val["baseline"]["estimate"]),
                ", ".join(v["baseline"]["kept"]),
            )
        con.print(vt)
    fit = s["fit"]["in_sample"]
    for label in ("full", "short"):
        f = fit.get(label)
        if f:
            con.print(
                f"CFA {label} form (all rows, n = {f['n']}): chi2 = {fmt_num(f['chisq'], 2)}, df = {f['df']}, "
                f"CFI = {fmt_num(f['cfi'])}, TLI = {fmt_num(f['tli'])}, RMSEA = {fmt_num(f['rmsea'])}, "
                f"SRMR = {fmt_num(f['srmr'])}"
            )
    if d.get("short_instrument"):
        si = d["short_instrument"]
        con.print(f"wrote short-form instrument {si['id']} ({si['path']})")
    for w in s["warnings"]:
        con.print(f"[yellow]warning:[/yellow] {w}", markup=True, highlight=False)
