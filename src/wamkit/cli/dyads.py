"""``wamkit dyads`` (client vs professional per dyad and wave) and ``wamkit report`` (reflection sheets)."""

from __future__ import annotations

from typing import Optional

import typer

from wamkit.cli.common import choose_format, console, emit, fmt_num, json_bytes
from wamkit.cli.dataprep import (
    ColumnsOpt,
    DataArg,
    InputFormatOpt,
    InstrumentsOpt,
    MapOpt,
    SheetOpt,
    WhereOpt,
    read_options,
)

DYAD_TABLES = ("pairs", "agreement", "profiles", "unpaired", "change", "alerts", "reliability", "scores",
               "caseload", "caseload-alerts")

RaterColOpt = typer.Option(None, "--rater", help="Column holding the rater role (client / professional); "
                                                 "with -i VALUE=INSTRUMENT it also picks the instrument.")
WaveOpt = typer.Option(None, "--wave", help="Wave column (e.g. T0/T1/T2). Without it: one occasion, no change.")
WaveOrderOpt = typer.Option(None, "--wave-order", help="Waves in time order, comma-separated, e.g. T0,T1,T2 "
                                                       "(default: the labels present, sorted).")
ClientValueOpt = typer.Option("client", "--client-value", help="Rater-column value of the client rows.")
ProfValueOpt = typer.Option("professional", "--professional-value",
                            help="Rater-column value of the professional rows.")
AlertsOpt = typer.Option(None, "--alerts", help="Alert rules YAML overriding/extending the shipped defaults.")
PseudoOpt = typer.Option(False, "--pseudonymise", "--pseudonymize",
                         help="Replace dyad and caseload ids by keyed-hash pseudonyms (HMAC-SHA256) everywhere.")
KeyFileOpt = typer.Option(None, "--key-file", help="File holding the pseudonymisation key "
                                                   "(default: environment variable WAMKIT_PSEUDONYM_KEY).")
MinAnsweredOpt = typer.Option(None, "--min-answered", help="Fraction of a subscale's items that must be answered.")
InvalidOpt = typer.Option("error", "--invalid", help="'error' (default) or 'missing' for invalid item cells.")


def _prepare(data, instrument, rater, where, sheet, map_, columns, input_format, invalid, min_answered,
             pseudonymise, key_file, alerts):
    """Shared parsing for both commands: instruments, table (filtered), options, key, rules."""
    from wamkit.dyads.alerts import load_alert_rules
    from wamkit.scoring.multi import load_instrument_specs, parse_where, read_multi_table, where_mask
    from wamkit.errors import UsageError

    if invalid not in ("error", "missing"):
        raise UsageError(f"--invalid must be 'error' or 'missing', not '{invalid}'")
    if rater is None:
        raise UsageError("give the rater column with --rater COLUMN (its values tell client from professional rows)")
    if key_file is not None and not pseudonymise:
        raise UsageError("--key-file is only used with --pseudonymise")
    key = None
    if pseudonymise:
        from wamkit.pseudonym import load_key

        key = load_key(key_file)
    rules = load_alert_rules(alerts)
    opts = read_options(sheet, map_, columns, input_format, invalid, min_answered)
    instruments = load_instrument_specs(instrument, rater)
    filters = parse_where(where)
    table = read_multi_table(data, instruments, opts)
    frame = table.frame
    if filters:
        frame = frame[where_mask(frame, filters, table.source)]
    return instruments, table, frame, opts, key, rules, filters


def _settings(rater, dyad, wave, wave_order, client_value, professional_value, alerts, caseload, min_cell,
              pseudonymise, filters, opts, key=None):
    where = dict(filters)
    if key is not None:  # a --where on an id column must not echo the id
        from wamkit.pseudonym import pseudonym

        prefix = {dyad: "P-", caseload: "G-"}
        where = {c: (pseudonym(v, key, prefix=prefix[c]) if c in prefix else v) for c, v in where.items()}
    return {"rater": rater, "dyad": dyad, "wave": wave, "wave_order": wave_order,
            "client_value": client_value, "professional_value": professional_value, "alerts": alerts,
            "caseload": caseload, "min_cell": min_cell, "pseudonymise": pseudonymise, "where": where,
            "invalid": opts.invalid, "min_answered": opts.min_answered, "column_map": opts.column_map,
            "columns": opts.column_template}


def _wave_order(text):
    if text is None:
        return None
    return [w.strip() for w in text.split(",") if w.strip()]


def dyads_command(
    data: str = DataArg,
    instrument: list[str] = InstrumentsOpt,
    rater: Optional[str] = RaterColOpt,
    dyad: str = typer.Option(..., "--dyad", help="Dyad identifier column.", show_default=False),
    wave: Optional[str] = WaveOpt,
    wave_order: Optional[str] = WaveOrderOpt,
    client_value: str = ClientValueOpt,
    professional_value: str = ProfValueOpt,
    alerts: Optional[str] = AlertsOpt,
    caseload: Optional[str] = typer.Option(None, "--caseload", help="Column grouping dyads into caseloads "
                                                                     "(officer, team): adds a caseload summary."),
    min_cell: int = typer.Option(5, "--min-cell", help="Caseload figures only for groups of at least this many clients."),
    pseudonymise: bool = PseudoOpt,
    key_file: Optional[str] = KeyFileOpt,
    format: Optional[str] = typer.Option(None, "--format", help="table (default on a terminal), json, or csv."),
    table_name: str = typer.Option("pairs", "--table", help="With --format csv: which table to write: "
                                                            + ", ".join(DYAD_TABLES) + "."),
    output: Optional[str] = typer.Option(None, "-o", "--output", help="Write json/csv to this file."),
    where: Optional[list[str]] = WhereOpt,
    sheet: Optional[str] = SheetOpt,
    map_: Optional[list[str]] = MapOpt,
    columns: Optional[str] = ColumnsOpt,
    input_format: Optional[str] = InputFormatOpt,
    min_answered: Optional[float] = MinAnsweredOpt,
    invalid: str = InvalidOpt,
    quiet: bool = typer.Option(False, "-q", "--quiet", help="No tables on stderr (with json/csv)."),
) -> None:
    """Client vs professional per dyad and wave: differences, agreement (ICC, Bland-Altman), reliable change, alerts.

    Example: wamkit dyads examples/wam_demo.csv -i client=wam-demo-client -i professional=wam-demo-professional --rater rater --dyad dyad --wave wave
    """
    from wamkit.dyads.analysis import analyse_dyads
    from wamkit.errors import UsageError
    from wamkit.io import check_output_path, frame_to_bytes

    fmt = choose_format(format, output, ("table", "json", "csv"))
    if table_name not in DYAD_TABLES:
        raise UsageError(f"--table must be one of {', '.join(DYAD_TABLES)}, not '{table_name}'")
    if table_name.startswith("caseload") and caseload is None:
        raise UsageError(f"--table {table_name} needs --caseload COLUMN")
    if output not in (None, "-"):
        check_output_path(output, [data])
    instruments, table, frame, opts, key, rules, filters = _prepare(
        data, instrument, rater, where, sheet, map_, columns, input_format, invalid, min_answered,
        pseudonymise, key_file, alerts)
    result = analyse_dyads(frame, instruments=instruments, dyad=dyad, rater=rater, wave=wave,
                           wave_order=_wave_order(wave_order), client_value=client_value,
                           professional_value=professional_value, rules=rules, caseload=caseload,
                           min_cell=min_cell, pseudonym_key=key, read_options=opts, source=table.source,
                           decimal_comma=table.decimal_comma)
    if fmt == "json":
        from wamkit.provenance import provenance

        ins = list({id(i): i for i in instruments.values()}.values())
        payload = {**result.to_dict(),
                   "provenance": provenance(command="dyads", instrument=ins[0] if len(ins) == 1 else None,
                                            extra_instruments=ins if len(ins) > 1 else (), tables=[table],
                                            settings=_settings(rater, dyad, wave, wave_order, client_value,
                                                               professional_value, alerts, caseload, min_cell,
                                                               pseudonymise, filters, opts, key))}
        emit(json_bytes(payload), output, [data])
    elif fmt == "csv":
        frames = {"pairs": result.pairs, "agreement": result.agreement, "profiles": result.profiles,
                  "unpaired": result.unpaired, "change": result.change, "alerts": result.alerts,
                  "reliability": result.reliability, "scores": result.scores,
                  "caseload": result.caseload_scores, "caseload-alerts": result.caseload_alerts}
        emit(frame_to_bytes(frames[table_name], "csv"), output, [data])
    if fmt == "table" or not quiet:
        _render_dyads(result, data)


def _render_dyads(result, data: str) -> None:
    from rich.table import Table

    con = console()
    n_pairs = result.pairs[["dyad", "wave"]].drop_duplicates().shape[0]
    con.print(f"{data}: {len(result.dyads)} dyads, {n_pairs} paired dyad-waves, "
              f"{len(result.unpaired)} unpaired rows" + (f"; waves {', '.join(map(str, result.wave_order))}"
                                                         if result.wave_order else ""), markup=False)
    t = Table(title="Client vs professional agreement (difference = client - professional)", title_justify="left")
    for col in ("score", "pairs", "ICC(A,1)", "ICC(C,1)", "mean diff", "LoA low", "LoA high",
                "rel. diff", "reliable diff", "flagged"):
        t.add_column(col, justify="left" if col == "score" else "right")
    for r in result.agreement.itertuples(index=False):
        p = result.pairs[result.pairs["subscale"] == r.subscale]
        flagged = int(p["flag"].isin(["client_higher", "professional_higher"]).sum())
        t.add_row(str(r.subscale), str(r.n_pairs), fmt_num(r.icc_a1), fmt_num(r.icc_c1),
                  fmt_num(r.mean_difference), fmt_num(r.loa_low), fmt_num(r.loa_high),
                  fmt_num(r.difference_reliability), fmt_num(r.reliable_difference), str(flagged))
    con.print(t)
    if len(result.change):
        t = Table(title="Reliable change between consecutive waves (Jacobson-Truax)", title_justify="left")
        for col in ("score", "rater", "improved", "no reliable change", "deteriorated", "not computable"):
            t.add_column(col, justify="left" if col in ("score", "rater") else "right")
        ch = result.change
        for (sid, rr) in ch[["subscale", "rater"]].drop_duplicates().itertuples(index=False):
            c = ch.loc[(ch["subscale"] == sid) & (ch["rater"] == rr), "classification"].value_counts()
            t.add_row(str(sid), str(rr),
                      *(str(int(c.get(k, 0))) for k in ("improved", "no reliable change", "deteriorated",
                                                        "not computable")))
        con.print(t)
    if result.caseload_alerts is not None:
        t = Table(title=f"Caseload by {result.settings['caseload']} (groups under {result.settings['min_cell']} "
                        "clients suppressed)", title_justify="left")
        for col in ("group", "wave", "clients", "with alerts", "alerts"):
            t.add_column(col, justify="left" if col in ("group", "wave") else "right")
        for r in result.caseload_alerts.itertuples(index=False):
            sup = "<" + str(result.settings["min_cell"])
            t.add_row(str(r.group), "" if r.wave is None else str(r.wave),
                      sup if r.suppressed else str(r.n_clients),
                      "-" if r.suppressed else str(r.n_clients_with_alerts),
                      "-" if r.suppressed else str(r.n_alerts))
        con.print(t)
    al = result.alerts
    con.print(f"alerts: {len(al)}" + (" (" + ", ".join(f"{k} {v}" for k, v in al["rule"].value_counts(sort=False).items())
                                      + ")" if len(al) else ""), markup=False)
    for r in al.head(15).itertuples(index=False):
        con.print(f"  {r.dyad} {'' if r.wave is None else r.wave} {r.rule}: {r.message}", markup=False)
    if len(al) > 15:
        con.print(f"  ... and {len(al) - 15} more (--format csv --table alerts lists them all)", markup=False)
    con.print(f"reliabilities: {result.settings['reliability']}", markup=False)
    for w in result.warnings:
        con.print(f"note: {w}", markup=False)


def report_command(
    data: str = DataArg,
    instrument: list[str] = InstrumentsOpt,
    rater: Optional[str] = RaterColOpt,
    dyad_column: str = typer.Option(..., "--dyad-column", help="Dyad identifier column.", show_default=False),
    dyad: Optional[list[str]] = typer.Option(None, "--dyad", help="Dyad id to make a sheet for (repeatable)."),
    all_: bool = typer.Option(False, "--all", help="One sheet per dyad, written into the folder given with -o."),
    output: Optional[str] = typer.Option(None, "-o", "--output", help="Sheet file (one dyad; default: stdout) "
                                                                      "or folder (--all or several --dyad)."),
    wave: Optional[str] = WaveOpt,
    wave_order: Optional[str] = WaveOrderOpt,
    client_value: str = ClientValueOpt,
    professional_value: str = ProfValueOpt,
    alerts: Optional[str] = AlertsOpt,
    pseudonymise: bool = PseudoOpt,
    key_file: Optional[str] = KeyFileOpt,
    where: Optional[list[str]] = WhereOpt,
    sheet: Optional[str] = SheetOpt,
    map_: Optional[list[str]] = MapOpt,
    columns: Optional[str] = ColumnsOpt,
    input_format: Optional[str] = InputFormatOpt,
    min_answered: Optional[float] = MinAnsweredOpt,
    invalid: str = InvalidOpt,
    quiet: bool = typer.Option(False, "-q", "--quiet", help="No summary on stderr."),
) -> None:
    """One-page reflection sheet (HTML, printable A4) for a dyad's client and professional to discuss together.

    Example: wamkit report examples/wam_demo.csv -i client=wam-demo-client -i professional=wam-demo-professional --rater rater --dyad-column dyad --wave wave --dyad D0001 -o sheet.html
    """
    from pathlib import Path

    from wamkit.dyads.analysis import build_reflection_sheets
    from wamkit.errors import UsageError
    from wamkit.io import check_output_path

    if all_ and dyad:
        raise UsageError("give either --dyad ID or --all, not both")
    if not all_ and not dyad:
        raise UsageError("give --dyad ID (one sheet) or --all -o FOLDER (one sheet per dyad)")
    to_folder = all_ or len(dyad) > 1
    if to_folder and output in (None, "-"):
        raise UsageError("several sheets need a folder: -o FOLDER")
    if to_folder and Path(output).exists() and not Path(output).is_dir():
        raise UsageError(f"-o {output}: exists and is not a folder")
    if not to_folder and output not in (None, "-"):
        check_output_path(output, [data])
    instruments, table, frame, opts, key, rules, _ = _prepare(
        data, instrument, rater, where, sheet, map_, columns, input_format, invalid, min_answered,
        pseudonymise, key_file, alerts)
    result = build_reflection_sheets(frame, dyad_ids=None if all_ else dyad, instruments=instruments,
                                     dyad=dyad_column, rater=rater, wave=wave, wave_order=_wave_order(wave_order),
                                     client_value=client_value, professional_value=professional_value,
                                     rules=rules, pseudonym_key=key, read_options=opts, source=table.source,
                                     decimal_comma=table.decimal_comma)
    if not to_folder:
        emit(result.sheets[0].html.encode("utf-8"), output, [data])
        if not quiet and output not in (None, "-"):
            console().print(f"wrote the reflection sheet of dyad {result.sheets[0].dyad} to {output}", markup=False)
        return
    folder = Path(output)
    folder.mkdir(parents=True, exist_ok=True)
    for s in result.sheets:
        emit(s.html.encode("utf-8"), str(folder / s.filename), [data])
    if not quiet:
        console().print(f"wrote {len(result.sheets)} reflection sheet(s) to {folder}", markup=False)
