"""``wamkit dyads`` (client vs professional per dyad and wave) and ``wamkit report`` (reflection sheets)."""

from __future__ import annotations

from typing import Any

import typer

from wamkit.cli.options import OutputArgs, ReadArgs, expand

#: tables ``--format csv --table NAME`` writes (names of ``DyadAnalysis.to_frames()``, with '-')
DYAD_TABLES = (
    "pairs",
    "agreement",
    "profiles",
    "profile-summary",
    "unpaired",
    "change",
    "change-thresholds",
    "alerts",
    "reliability",
    "scores",
    "items",
    "caseload",
    "caseload-alerts",
    "apim",
)
DYAD_FORMATS = ("table", "json", "csv", "md", "html")
SHEETS_PDF = "reflection-sheets.pdf"
INDEX = "index.html"

AlertsOpt = typer.Option(None, "--alerts", help="Alert rules YAML overriding/extending the shipped defaults.")
PseudoOpt = typer.Option(
    None,
    "--pseudonymise",
    "--pseudonymize",
    help="Replace this identifier column with keyed pseudonyms (HMAC-SHA256) everywhere "
    "(repeatable); key from --key-file or $WAMKIT_PSEUDONYM_KEY.",
)
PseudoIdsOpt = typer.Option(
    False,
    "--pseudonymise-ids",
    hidden=True,
    help="Pseudonymise the dyad and officer columns (what bare --pseudonymise did).",
)
KeyFileOpt = typer.Option(
    None,
    "--key-file",
    help="File holding the pseudonymisation key (default: environment variable WAMKIT_PSEUDONYM_KEY).",
)
LangOpt = typer.Option(
    None, "--lang", help="Language of sheets and reports: en, nl or fr (default: the study's lang, else en)."
)
ClientValueOpt = typer.Option(None, "--client-value", help="Rater-column value of the client rows (default client).")
ProfValueOpt = typer.Option(
    None, "--professional-value", help="Rater-column value of the professional rows (default professional)."
)


def _key(pseudonymise: list[str] | None, ids: bool, key_file: str | None) -> bytes | None:
    """The pseudonymisation key (read before any work), or None without pseudonymisation."""
    from wamkit.errors import UsageError

    if pseudonymise or ids:
        from wamkit.pseudonym import load_key

        return load_key(key_file)
    if key_file is not None:
        raise UsageError("--key-file is only used with --pseudonymise COLUMN")
    return None


def _private_columns(data: Any, pseudonymise: list[str] | None, ids: bool) -> list[str]:
    cols = list(pseudonymise or [])
    if ids:
        cols += [c for c in (data.design.dyad, data.design.officer) if c]
    return list(dict.fromkeys(cols))


def _read(read: ReadArgs, client_value: str | None, professional_value: str | None) -> Any:
    extra = {k: v for k, v in (("client_value", client_value), ("professional_value", professional_value)) if v}
    return read.read(**extra)


def _analyse(
    read: ReadArgs,
    data: Any,
    *,
    alerts: str | None,
    min_cell: int,
    pseudonymise: list[str] | None,
    ids: bool,
    key: bytes | None,
    lang: str | None,
    apim: bool | None,
) -> Any:
    from wamkit.dyads.analysis import dyads

    return dyads(
        data,
        alerts=alerts,
        min_cell=min_cell,
        pseudonymise=_private_columns(data, pseudonymise, ids),
        key=key,
        apim=apim,
        lang=lang,
        invalid=read.invalid,
        min_answered=read.min_answered,
    )


def _notes(result: Any, quiet: bool) -> None:
    from wamkit.cli.common import note

    for n in result.notes:
        note(n, quiet)
    for w in result.warnings:
        note(w, quiet)


def _provenance(command: str, data: Any, result: Any, alerts: str | None) -> dict[str, Any]:
    from wamkit.provenance import data_provenance

    s = result.settings
    return data_provenance(
        command,
        data,
        {
            "where": s["where"],
            "alerts": alerts,
            "officer": s["officer"],
            "min_cell": s["min_cell"],
            "pseudonymised": s["pseudonymised"],
            "pairs": s["pairs"],
            "lang": s["lang"],
            "apim": s["apim"],
        },
        private=bool(s["pseudonymised"]),
    )


@expand
def dyads_command(
    read: ReadArgs,
    out: OutputArgs,
    format: str | None = typer.Option(
        None, "--format", help="table (default), json, csv, md or html; default from the -o extension."
    ),
    table: str = typer.Option(
        "pairs", "--table", help="With --format csv: the table to write: " + ", ".join(DYAD_TABLES) + "."
    ),
    alerts: str | None = AlertsOpt,
    min_cell: int = typer.Option(
        5, "--min-cell", help="Caseload figures only for groups of at least this many clients (with --officer)."
    ),
    apim: bool | None = typer.Option(
        None,
        "--apim/--no-apim",
        help="Also fit the cross-lagged actor-partner model per subscale and consecutive wave pair "
        "(default: the study's analyses.apim).",
    ),
    pseudonymise: list[str] | None = PseudoOpt,
    pseudonymise_ids: bool = PseudoIdsOpt,
    key_file: str | None = KeyFileOpt,
    lang: str | None = LangOpt,
    client_value: str | None = ClientValueOpt,
    professional_value: str | None = ProfValueOpt,
) -> None:
    """Client vs professional per dyad and wave: agreement per wave (ICC, Bland-Altman), reliable change, alerts.

    Example: wamkit dyads --study examples/study.yaml
    """
    from wamkit.cli.common import check_output, choose_format, emit, json_bytes, write_result
    from wamkit.errors import UsageError

    fmt = choose_format(format, out.output, DYAD_FORMATS)
    if table not in DYAD_TABLES:
        raise UsageError(f"--table must be one of {', '.join(DYAD_TABLES)}, not '{table}'")
    if out.csv_dialect not in (None, "standard"):
        raise UsageError(f"--csv-dialect {out.csv_dialect} is not supported by dyads yet (use standard)")
    check_output(out.output, read.inputs(), force=out.force)
    key = _key(pseudonymise, pseudonymise_ids, key_file)
    data = _read(read, client_value, professional_value)
    if fmt == "csv" and table.startswith("caseload") and not data.design.officer:
        raise UsageError(f"--table {table} needs --officer COLUMN (a caseload)")
    result = _analyse(
        read,
        data,
        alerts=alerts,
        min_cell=min_cell,
        pseudonymise=pseudonymise,
        ids=pseudonymise_ids,
        key=key,
        lang=lang,
        apim=True if table == "apim" else apim,
    )
    frames = {k.replace("_", "-"): v for k, v in result.to_frames().items()}
    if fmt == "json":
        emit(
            json_bytes({**result.to_dict(), "provenance": _provenance("dyads", data, result, alerts)}),
            out.output,
            read.inputs(),
            force=out.force,
        )
    else:
        write_result(result, out, fmt, read.inputs(), frame=frames.get(table))
    if out.to_file and not out.quiet:
        from wamkit.cli.common import note

        note(f"{len(result.dyads)} dyads, {len(result.alerts)} alerts; wrote {out.output}")
    _notes(result, out.quiet)


def _sheet_targets(dyad_id: list[str] | None, all_: bool, out: OutputArgs, read: ReadArgs) -> bool:
    """Check the choice of dyads and the output before any work; True when the sheets go into a folder."""
    from pathlib import Path

    from wamkit.cli.common import check_output
    from wamkit.errors import UsageError

    if all_ and dyad_id:
        raise UsageError("give either --dyad-id ID or --all, not both")
    if not all_ and not dyad_id:
        raise UsageError("give --dyad-id ID (one sheet) or --all -o FOLDER (one sheet per dyad)")
    if out.format not in (None, "html"):
        raise UsageError(f"reflection sheets are html; --format {out.format} is not available")
    to_folder = all_ or len(dyad_id or []) > 1
    if to_folder and not out.to_file:
        raise UsageError("several sheets need a folder: -o FOLDER")
    if to_folder and Path(str(out.output)).exists() and not Path(str(out.output)).is_dir():
        raise UsageError(f"-o {out.output}: exists and is not a folder")
    if not to_folder:
        check_output(out.output, read.inputs(), force=out.force)
    return to_folder


def _write_folder(folder: str, sheets: dict[str, Any], lang: str, out: OutputArgs, inputs: list[str]) -> None:
    """Per-dyad sheets, the index page and one PDF of all sheets (one A4 page each) into ``folder``."""
    import tempfile
    from pathlib import Path

    from wamkit.cli.common import emit, note
    from wamkit.dyads.sheet import sheet_filename
    from wamkit.errors import UsageError
    from wamkit.render.browser import print_pdf
    from wamkit.render.sheet import book_html, index_html, sheet_html

    target = Path(folder)
    files: dict[str, str] = {}
    for d in sheets:
        name = sheet_filename(d)
        n = sum(1 for f in files.values() if f.startswith(name[:-5]))
        files[d] = name if n == 0 else f"{name[:-5]}-{n + 1}.html"
    existing = [f for f in [*files.values(), INDEX, SHEETS_PDF] if (target / f).exists()]
    if existing and not out.force:
        raise UsageError(f"{target / existing[0]} exists; add --force to replace the sheets in {folder}")
    target.mkdir(parents=True, exist_ok=True)
    for d, data in sheets.items():
        emit(sheet_html(data, lang).encode("utf-8"), str(target / files[d]), inputs, force=out.force)
    with tempfile.TemporaryDirectory(prefix="wamkit-sheets-") as tmp:
        book = Path(tmp) / "sheets.html"
        book.write_text(book_html(list(sheets.values()), lang), encoding="utf-8")
        note(f"printing {len(sheets)} sheet(s) to {target / SHEETS_PDF} with Chromium", out.quiet)
        problem = print_pdf(book, target / SHEETS_PDF)
    if problem:
        note(
            f"no {SHEETS_PDF} written: {problem}; the HTML sheets print one page each from a browser",
            out.quiet,
            kind="warning",
        )
    emit(
        index_html(list(sheets.values()), files, pdf=None if problem else SHEETS_PDF, note=problem, lang=lang).encode(
            "utf-8"
        ),
        str(target / INDEX),
        inputs,
        force=out.force,
    )
    note(
        f"wrote {len(sheets)} reflection sheet(s), {INDEX}"
        + ("" if problem else f" and {SHEETS_PDF}")
        + f" to {folder}",
        out.quiet,
    )


@expand
def report_command(
    read: ReadArgs,
    out: OutputArgs,
    dyad_id: list[str] | None = typer.Option(None, "--dyad-id", help="Dyad to make a sheet for (repeatable)."),
    all_: bool = typer.Option(
        False,
        "--all",
        help="One sheet per dyad into the folder given with -o, with an index "
        "page and one printable PDF of all sheets.",
    ),
    alerts: str | None = AlertsOpt,
    pseudonymise: list[str] | None = PseudoOpt,
    pseudonymise_ids: bool = PseudoIdsOpt,
    key_file: str | None = KeyFileOpt,
    lang: str | None = LangOpt,
    client_value: str | None = ClientValueOpt,
    professional_value: str | None = ProfValueOpt,
) -> None:
    """One-page reflection sheet (HTML, printable A4) for a dyad's client and professional, in the clients' language.

    Example: wamkit report --study examples/study.yaml --dyad-id D0001 -o sheet.html
    """
    from wamkit.cli.common import emit, note
    from wamkit.dyads.sheet import sheets_data
    from wamkit.render.sheet import sheet_html

    to_folder = _sheet_targets(dyad_id, all_, out, read)
    key = _key(pseudonymise, pseudonymise_ids, key_file)
    data = _read(read, client_value, professional_value)
    result = _analyse(
        read,
        data,
        alerts=alerts,
        min_cell=5,
        pseudonymise=pseudonymise,
        ids=pseudonymise_ids,
        key=key,
        lang=lang,
        apim=False,
    )
    sheets = sheets_data(result, None if all_ else dyad_id, key=key)
    lang = result.settings["lang"]
    if to_folder:
        _write_folder(str(out.output), sheets, lang, out, read.inputs())
        return
    (one,) = sheets.values()
    emit(sheet_html(one, lang).encode("utf-8"), out.output, read.inputs(), force=out.force)
    if out.to_file:
        note(f"wrote the reflection sheet of dyad {one.dyad} to {out.output}", out.quiet)
