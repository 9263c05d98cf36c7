"""``wamkit outcomes``: relate alliance scores to outcomes (parsing and rendering only)."""

from __future__ import annotations

from typing import Optional

import typer

from wamkit.cli.dataprep import (ColumnsOpt, DataArg, InputFormatOpt, MapOpt, RaterOpt, SheetOpt, WhereOpt,
                                 read_options)

_FORMATS = ("table", "json", "csv", "md", "html")


def outcomes_command(
    data: str = DataArg,
    outcomes: str = typer.Option(..., "--outcomes", show_default=False,
                                 help="Outcomes file, one row per key (may be DATA itself)."),
    on: list[str] = typer.Option(..., "--on", show_default=False,
                                 help="Key column(s) joining DATA and OUTCOMES (repeatable), compared as text."),
    instrument: Optional[list[str]] = typer.Option(
        None, "-i", "--instrument",
        help="Score raw items on the fly: instrument id, or VALUE=INSTRUMENT per rater value (with --rater). "
             "Omit when DATA holds scores."),
    rater: Optional[str] = RaterOpt,
    wave_column: str = typer.Option("wave", "--wave-column", help="Column holding the wave (for --by wave)."),
    predictor: Optional[list[str]] = typer.Option(
        None, "--predictor", help="Predictor column (repeatable). Default: the instruments' subscales and totals "
                                  "(with -i) or every numeric score column."),
    joint: bool = typer.Option(False, "--joint", help="All predictors in one model (default: one model per predictor)."),
    outcome: Optional[list[str]] = typer.Option(
        None, "--outcome", help="Outcome NAME or NAME:binary|count|continuous (repeatable). Default: every numeric "
                                "column of OUTCOMES, type inferred."),
    event: Optional[list[str]] = typer.Option(
        None, "--event", help="Time to event NAME:TIME_COLUMN for a Cox model, e.g. rearrest:days_to_rearrest."),
    by: Optional[list[str]] = typer.Option(None, "--by", help="Split by 'rater' and/or 'wave' (repeatable)."),
    where: Optional[list[str]] = WhereOpt,
    covariate: Optional[list[str]] = typer.Option(
        None, "--covariate", help="Covariate column (repeatable): partial correlations and adjusted models."),
    cluster: Optional[str] = typer.Option(None, "--cluster",
                                          help="Cluster column (e.g. officer) for cluster-robust model SEs."),
    adjust: str = typer.Option("holm", "--adjust", help="p-value adjustment: holm, fdr_bh, bonferroni or none."),
    interaction: Optional[str] = typer.Option(
        None, "--interaction", help="A:B adds the mean-centred product term to the models, e.g. goals:reactance."),
    discrepancy: bool = typer.Option(
        False, "--discrepancy", help="Add the client - professional difference (signed and absolute) of each shared "
                                     "subscale per key and wave as predictors (needs --rater)."),
    per_sd: bool = typer.Option(False, "--per-sd", help="Model coefficients per standard deviation of the predictors."),
    ci_level: float = typer.Option(0.95, "--ci-level", help="Confidence level of the intervals."),
    format: Optional[str] = typer.Option(
        None, "--format", help="table (default; rich tables on stderr), json, csv, md or html. With -o the "
                               "extension decides unless --format is given."),
    output: Optional[str] = typer.Option(None, "-o", "--output", help="Write the result to this file."),
    sheet: Optional[str] = SheetOpt,
    map_: Optional[list[str]] = MapOpt,
    columns: Optional[str] = ColumnsOpt,
    input_format: Optional[str] = InputFormatOpt,
) -> None:
    """Relate alliance scores to outcomes: correlations, partial correlations, models, wave comparison.

    Example: wamkit outcomes examples/wam_demo.csv --outcomes examples/wam_demo_outcomes.csv --on dyad
    -i client=wam-demo-client -i professional=wam-demo-professional --rater rater --by rater --by wave
    --outcome stagnations:count --outcome dropout:binary --event rearrest:days_to_rearrest
    --covariate risk_score --cluster officer --interaction goals:reactance --discrepancy --format html -o report.html
    """
    from wamkit.cli.common import choose_format, emit, json_bytes
    from wamkit.scoring.multi import load_instrument_specs, parse_where
    from wamkit.io import check_output_path
    from wamkit.outcomes.analysis import outcomes_from_files, render_report
    from wamkit.provenance import provenance

    fmt = choose_format(format, output, _FORMATS)
    if data == "-" and outcomes == "-":
        from wamkit.errors import UsageError

        raise UsageError("DATA and --outcomes cannot both be '-': standard input can be read only once")
    if output is not None and output != "-":
        check_output_path(output, [data, outcomes])
    opts = read_options(sheet, map_, columns, input_format)
    instruments = load_instrument_specs(instrument, rater) if instrument else None
    filters = parse_where(where)
    result, tables = outcomes_from_files(
        data, outcomes, on=on, instruments=instruments, rater_column=rater, read_options=opts, where=filters,
        predictors=predictor or None, outcome=outcome or (), event=event or (), by=by or (),
        wave_column=wave_column, covariates=covariate or (), cluster=cluster, adjust=adjust, joint=joint,
        interaction=interaction, discrepancy=discrepancy, per_sd=per_sd, ci_level=ci_level)
    if fmt == "json":
        ins = list(instruments.values()) if instruments else []
        payload = result.to_dict()
        payload["provenance"] = provenance(
            command="outcomes", instrument=ins[0] if len(ins) == 1 else None,
            extra_instruments=ins if len(ins) > 1 else (), tables=tables,
            settings={**result.settings, "where": dict(filters)})
        emit(json_bytes(payload), output, [data, outcomes])
    elif fmt == "csv":
        from wamkit.io import frame_to_bytes

        emit(frame_to_bytes(result.tidy(), "csv"), output, [data, outcomes])
    elif fmt in ("md", "html"):
        emit(render_report(result, fmt).encode("utf-8"), output, [data, outcomes])
    else:
        _render_table(result)
        return
    if fmt != "table" and output and output != "-":
        _render_summary(result)


def _render_summary(result) -> None:
    from wamkit.cli.common import console

    con = console()
    j = result.join
    con.print(f"outcomes: {j['data_rows_joined']} of {j['data_rows']} data rows joined "
              f"({j['outcome_rows_joined']} of {j['outcome_rows']} outcome rows); "
              f"{len(result.correlations)} correlations, {len(result.models)} model terms, "
              f"{len(result.wave_comparisons)} wave comparisons", markup=False)
    for w in result.warnings:
        con.print(f"warning: {w}", markup=False)


def _render_table(result) -> None:
    from rich.table import Table

    from wamkit.cli.common import console, fmt_num

    con = console()
    j = result.join
    con.print(f"joined on {', '.join(j['on'])}: {j['data_rows_joined']} of {j['data_rows']} data rows, "
              f"{j['outcome_rows_joined']} of {j['outcome_rows']} outcome rows ({result.n_keys} keys)", markup=False)
    c = result.correlations
    c = c[c["method"] == "pearson"]
    if len(c):
        t = Table(title="Pearson correlations (point-biserial for binary outcomes)", title_justify="left")
        for col in ("predictor", "outcome", "rater", "wave", "r", "95% CI", "p", "p adj", "n"):
            t.add_column(col, justify="left" if col in ("predictor", "outcome", "rater", "wave") else "right")
        for r in c.itertuples(index=False):
            t.add_row(str(r.predictor), str(r.outcome), r.rater or "-", r.wave or "-", fmt_num(r.r),
                      f"[{fmt_num(r.ci_low)}, {fmt_num(r.ci_high)}]", fmt_num(r.p), fmt_num(r.p_adj), str(r.n))
        con.print(t)
    m = result.models
    m = m[m["role"] != "covariate"]
    if len(m):
        t = Table(title="Models (estimate = OR / RR / HR; b for OLS)", title_justify="left")
        for col in ("outcome", "model", "term", "rater", "wave", "estimate", "95% CI", "p", "n", "events"):
            t.add_column(col, justify="left" if col in ("outcome", "model", "term", "rater", "wave") else "right")
        for r in m.itertuples(index=False):
            t.add_row(str(r.outcome), str(r.model), str(r.term), r.rater or "-", r.wave or "-", fmt_num(r.estimate),
                      f"[{fmt_num(r.ci_low)}, {fmt_num(r.ci_high)}]", fmt_num(r.p), str(r.n), fmt_num(r.events))
        con.print(t)
    w = result.wave_comparisons
    if len(w):
        t = Table(title="Wave comparison (Williams' t)", title_justify="left")
        for col in ("predictor", "outcome", "rater", "waves", "r first", "r second", "t", "p", "n"):
            t.add_column(col, justify="left" if col in ("predictor", "outcome", "rater", "waves") else "right")
        for r in w.itertuples(index=False):
            t.add_row(str(r.predictor), str(r.outcome), r.rater or "-", f"{r.wave_a} vs {r.wave_b}",
                      fmt_num(r.r_t0), fmt_num(r.r_t1), fmt_num(r.statistic), fmt_num(r.p), str(r.n))
        con.print(t)
    for msg in result.warnings:
        con.print(f"warning: {msg}", markup=False)
