"""``wamkit outcomes``: relate alliance scores to outcomes (parsing, calling and rendering only)."""

from __future__ import annotations

from typing import Any

import typer

from wamkit.cli.options import OutputArgs, ReadArgs, expand

FORMATS = ("table", "json", "csv", "md", "html")


def _opt(default: Any, *names: str, help: str) -> Any:
    return typer.Option(default, *names, help=help, show_default=default not in (None, False))


OUTCOMES = _opt(None, "--outcomes", help="Outcomes file, one row per key (may be DATA itself). Default: the study's.")
ON = _opt(
    None,
    "--on",
    help="Join key DATA_COLUMN[=OUTCOMES_COLUMN] (repeatable), compared as text. Default: the "
    "study's outcomes.on, else the dyad column.",
)
OUTCOME = _opt(
    None,
    "--outcome",
    help="Outcome NAME or NAME:binary|count|continuous (repeatable). Default: the "
    "study's outcomes.variables; nothing is modelled unless named.",
)
EVENT = _opt(
    None,
    "--event",
    help="Time to event NAME:TIME_COLUMN[:ORIGIN_WAVE] for Cox models, e.g. "
    "rearrest:days_to_rearrest:T0. Default: the study's outcomes.events.",
)
PREDICTOR = _opt(
    None,
    "--predictor",
    help="Predictor column (repeatable). Default: the instruments' subscales and "
    "totals, or every numeric score column of a scores file.",
)
COVARIATE = _opt(
    None,
    "--covariate",
    help="Covariate column (repeatable): partial correlations and adjusted models. Default: the study's covariates.",
)
BY = _opt(
    None,
    "--by",
    help="Split by 'rater' and/or 'wave' (repeatable; 'none' pools). Default: by the rater and wave columns.",
)
ADJUST = _opt(
    "holm",
    "--adjust",
    help="p-value adjustment within each family (named outcomes x predictors): holm, fdr_bh, bonferroni or none.",
)
JOINT = _opt(False, "--joint", help="All predictors in one model (default: one model per predictor).")
INTERACTION = _opt(None, "--interaction", help="A:B adds the mean-centred product term, e.g. goals:reactance.")
DISCREPANCY = _opt(
    False,
    "--discrepancy",
    help="Add the client - professional difference (signed and absolute) of each score both raters have.",
)
PER_SD = _opt(False, "--per-sd", help="Model coefficients per SD of the predictors.")
CI_LEVEL = _opt(0.95, "--ci-level", help="Confidence level of the intervals.")
SURFACE = _opt(
    None,
    "--surface/--no-surface",
    help="Response surface analysis of client vs professional ratings (a1-a5); default: the study's analyses.surface.",
)
SURFACE_CENTER = _opt(None, "--surface-center", help="Centre of the ratings for --surface (default: scale midpoint).")
TIME_VARYING = _opt(
    None,
    "--time-varying/--no-time-varying",
    help="Cox models with the rating as a time-varying covariate over the waves (needs waves.months); "
    "default: the study's analyses.time_varying.",
)
LANDMARK = _opt(
    True,
    "--landmark/--no-landmark",
    help="Cox models of ratings at a later wave start at that wave (needs waves.months).",
)
CLUSTER_ROBUST = _opt(
    True,
    "--cluster-robust/--no-cluster-robust",
    help="Standard errors cluster-robust by the --officer column (when there is one).",
)
CORRELATION_SE = _opt(
    "influence", "--correlation-se", help="Cluster-robust SE of r: influence (lavaan MLR) or regression."
)
OUTCOMES_WHERE = _opt(None, "--outcomes-where", help="Keep outcome rows where COLUMN=VALUE (repeatable).")
FORMAT = _opt(
    None,
    "--format",
    help="table (default, on stdout), json, csv (the tidy table), md or html; default from the -o extension.",
)
NO_OUTCOMES = (
    "no outcomes named: name them with --outcome NAME[:binary|count|continuous] and/or --event "
    "NAME:TIME_COLUMN[:ORIGIN_WAVE] (or in the study file's outcomes: block)"
)


def _on(values: list[str] | None) -> dict[str, str] | None:
    """``--on DATA_COL[=OUTCOMES_COL]`` -> {data column: outcomes column}."""
    from wamkit.errors import UsageError

    if not values:
        return None
    out: dict[str, str] = {}
    for v in values:
        data_col, sep, out_col = (p.strip() for p in v.partition("="))
        if not data_col or (sep and not out_col):
            raise UsageError(f"--on expects DATA_COLUMN or DATA_COLUMN=OUTCOMES_COLUMN, got '{v}'")
        out[data_col] = out_col or data_col
    return out


def _read(read: ReadArgs, keys: dict[str, str] | None) -> Any:
    """Item data (scored with -i / the study's instruments) or, without either, a file of scores."""
    if read.study is not None or read.instrument:
        return read.read()
    from wamkit.design.read import read_scores

    read.check()
    return read_scores(read.data, where=read.where or (), text_columns=list(keys or ()), **read.settings())


def _summary(result: Any, quiet: bool) -> None:
    from wamkit.cli.common import note

    j = result.join
    note(
        f"outcomes: {j['data_rows_joined']} of {j['data_rows']} data rows joined ({j['outcome_rows_joined']} of "
        f"{j['outcome_rows']} outcome rows); {len(result.correlations)} correlations, {len(result.models)} model "
        f"terms, {len(result.wave_comparisons)} wave comparisons, {len(result.response_surfaces)} surfaces",
        quiet,
    )
    for w in result.warnings:
        note(w, quiet, "warning")


@expand
def outcomes_command(
    read: ReadArgs,
    out: OutputArgs,
    outcomes_file: str | None = OUTCOMES,
    on: list[str] | None = ON,
    outcome: list[str] | None = OUTCOME,
    event: list[str] | None = EVENT,
    predictor: list[str] | None = PREDICTOR,
    covariate: list[str] | None = COVARIATE,
    by: list[str] | None = BY,
    adjust: str = ADJUST,
    joint: bool = JOINT,
    interaction: str | None = INTERACTION,
    discrepancy: bool = DISCREPANCY,
    per_sd: bool = PER_SD,
    ci_level: float = CI_LEVEL,
    surface: bool | None = SURFACE,
    surface_center: float | None = SURFACE_CENTER,
    time_varying: bool | None = TIME_VARYING,
    landmark: bool = LANDMARK,
    cluster_robust: bool = CLUSTER_ROBUST,
    correlation_se: str = CORRELATION_SE,
    outcomes_where: list[str] | None = OUTCOMES_WHERE,
    format: str | None = FORMAT,
) -> None:
    """Relate alliance scores to named outcomes: correlations, models, wave comparison, surfaces.

    Example: wamkit outcomes --study examples/study.yaml --format html -o outcomes.html
    """
    from wamkit.cli.common import check_output, choose_format, note, write_result
    from wamkit.errors import UsageError

    fmt = choose_format(format, out.output, FORMATS)
    if read.data == "-" and outcomes_file == "-":
        raise UsageError("DATA and --outcomes cannot both be '-': standard input can be read only once")
    inputs = [*read.inputs(), *([outcomes_file] if outcomes_file else [])]
    check_output(out.output, inputs, force=out.force)
    if not outcome and not event and read.study is None:
        raise UsageError(NO_OUTCOMES)
    keys = _on(on)
    from wamkit.design.read import read_outcomes
    from wamkit.outcomes import OutcomeSettings, analyse_outcomes

    settings = OutcomeSettings(
        outcome=tuple(outcome or ()),
        event=tuple(event or ()),
        predictors=tuple(predictor or ()),
        covariates=tuple(covariate) if covariate else None,
        by=tuple(by) if by else None,
        adjust=adjust,
        joint=joint,
        interaction=interaction,
        discrepancy=discrepancy,
        per_sd=per_sd,
        ci_level=ci_level,
        surface=surface,
        surface_center=surface_center,
        time_varying=time_varying,
        landmark=landmark,
        cluster_robust=cluster_robust,
        correlation_se=correlation_se,
        outcomes_where=tuple(outcomes_where or ()),
    )
    data = _read(read, keys)
    frame, table, used = read_outcomes(data, outcomes_file, on=keys)
    result = analyse_outcomes(
        data,
        frame,
        settings,
        invalid=read.invalid,
        on=tuple(used),
        outcomes_source=table.source,
        decimal_comma=bool(table.decimal_comma),
    )
    payload = None
    if fmt == "json":
        from wamkit.provenance import data_provenance

        prov = {**result.settings, "outcomes_file": table.source, "on": dict(used)}
        payload = {**result.to_dict(), "provenance": data_provenance("outcomes", data, prov, extra_tables=[table])}
    write_result(result, out, fmt, inputs, payload=payload)
    for n in data.notes:
        note(n, out.quiet)
    if out.to_file or fmt != "table":
        _summary(result, out.quiet)
