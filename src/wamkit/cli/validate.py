"""``wamkit validate``: reliability, factor structure, invariance and nesting (parsing and rendering only)."""

from __future__ import annotations

import typer

from wamkit.cli.options import OutputArgs, ReadArgs, expand

FORMATS = ("table", "json", "md", "html")
EXTRACTIONS = ("minres", "ml", "pa")
ROTATIONS = ("oblimin", "geomin", "quartimin", "promax", "varimax", "none")
SKIPPABLE = ("parallel", "efa", "cfa", "nesting")


def _settings(**kw):
    from wamkit.errors import UsageError
    from wamkit.measurement.settings import DEFAULT_SEED, ValidateSettings

    checks = [
        (kw["extraction"] in EXTRACTIONS, f"--extraction must be {', '.join(EXTRACTIONS)}"),
        (kw["rotation"] in ROTATIONS, f"--rotation must be {', '.join(ROTATIONS)}"),
        (kw["missing"] in ("listwise", "fiml"), "--missing must be listwise or fiml"),
        (not set(kw["skip"]) - set(SKIPPABLE), f"--skip takes {', '.join(SKIPPABLE)}"),
        (kw["bootstrap"] >= 0 and kw["parallel_iter"] >= 1, "--bootstrap must be >= 0 and --parallel-iter >= 1"),
        (kw["seed"] is None or kw["seed"] >= 0, f"--seed must be a non-negative whole number, not {kw['seed']}"),
        (kw["n_factors"] is None or kw["n_factors"] >= 1, f"--n-factors must be at least 1, not {kw['n_factors']}"),
    ]
    for ok, msg in checks:
        if not ok:
            raise UsageError(msg)
    seed = kw["seed"]
    if seed is None and (kw["bootstrap"] or "parallel" not in kw["skip"]):
        seed = DEFAULT_SEED  # recorded in the output, so every run is reproducible
    if kw["across"] not in (None, "roles"):
        raise UsageError(f"--across takes roles, not '{kw['across']}'")
    return ValidateSettings(
        n_factors=kw["n_factors"],
        extraction=kw["extraction"],
        rotation=kw["rotation"],
        ordinal=kw["ordinal"],
        bootstrap=kw["bootstrap"],
        seed=seed,
        parallel_iter=kw["parallel_iter"],
        missing=kw["missing"],
        group=kw["group"],
        cluster=kw["officer"],
        skip=frozenset(kw["skip"]),
        longitudinal=kw["longitudinal"],
        across=kw["across"],
        partial=kw["partial"],
        std_lv=kw["std_lv"],
    )


@expand
def validate_command(
    read: ReadArgs,
    out: OutputArgs,
    role: str | None = typer.Option(
        None, "--role", help="Which role's items to validate (client or professional) when the data hold both."
    ),
    model: str | None = typer.Option(
        None,
        "--model",
        help="lavaan model syntax (=~, ~~, ~, ~1, fixed values, "
        "labels): instead of an instrument, or with -i to add "
        "or replace statements, e.g. 'wam02 ~~ wam16'.",
    ),
    group: str | None = typer.Option(
        None,
        "--group",
        help="Column of independent groups for measurement invariance (configural, metric, scalar, strict).",
    ),
    longitudinal: bool = typer.Option(
        False,
        "--longitudinal",
        help="Invariance over the waves of the same clients (one model, residuals of an item correlated across waves).",
    ),
    across: str | None = typer.Option(
        None, "--across", help="'roles': invariance across client and professional within dyads (one model over dyads)."
    ),
    partial: bool = typer.Option(
        False,
        "--partial",
        help="When a level fails, free the constraints with the largest "
        "score tests until it holds (partial invariance).",
    ),
    std_lv: bool = typer.Option(
        False, "--std-lv", help="Identify factors by unit variance (lavaan std.lv) instead of marker items."
    ),
    ordinal: bool = typer.Option(False, "--ordinal", help="Also polychoric (ordinal) alpha/omega and a WLSMV CFA."),
    bootstrap: int = typer.Option(0, "--bootstrap", help="Bootstrap resamples for the alpha CI (0 = Feldt CI only)."),
    seed: int | None = typer.Option(
        None, "--seed", help="Seed for the bootstrap and parallel analysis (default 20261122; recorded in the output)."
    ),
    n_factors: int | None = typer.Option(
        None, "--n-factors", help="EFA factors (default: number of subscales, or the parallel-analysis suggestion)."
    ),
    extraction: str = typer.Option("minres", "--extraction", help="EFA extraction: minres, ml or pa."),
    rotation: str = typer.Option(
        "oblimin", "--rotation", help="EFA rotation: oblimin, geomin, quartimin, promax, varimax or none."
    ),
    parallel_iter: int = typer.Option(20, "--parallel-iter", help="Parallel-analysis iterations (psych: 20)."),
    missing: str = typer.Option("listwise", "--missing", help="CFA missing data: listwise (lavaan default) or fiml."),
    skip: list[str] | None = typer.Option(
        None, "--skip", help="Leave out a part: parallel, efa, cfa, nesting (repeatable)."
    ),
    format: str | None = typer.Option(
        None, "--format", help="table (default, on stdout), json, md or html; default from the -o extension."
    ),
) -> None:
    """Reliability (alpha, omega, item analysis), KMO/Bartlett, parallel analysis/MAP, EFA, CFA, invariance, nesting.

    Example: wamkit validate --study examples/study.yaml --role client --where wave=T0
    """
    from wamkit.cli.common import check_output, choose_format, write_result

    fmt = choose_format(format, out.output, FORMATS)
    settings = _settings(
        n_factors=n_factors,
        extraction=extraction,
        rotation=rotation,
        ordinal=ordinal,
        bootstrap=bootstrap,
        seed=seed,
        parallel_iter=parallel_iter,
        missing=missing,
        group=group,
        officer=read.officer,
        skip=skip or [],
        longitudinal=longitudinal,
        across=across,
        partial=partial,
        std_lv=std_lv,
    )
    check_output(out.output, read.inputs(), force=out.force)
    data = _read(read, model)
    report = _validate(data, read, out, role=role, model=model, settings=settings)
    payload = _json_payload(report, data, role=role, model=model) if fmt == "json" else None
    write_result(report, out, fmt, read.inputs(), payload=payload)


def _validate(data, read: ReadArgs, out: OutputArgs, *, role: str | None, model: str | None, settings):
    """Run the validation of ``data``, with a status line on stderr unless --quiet."""
    from wamkit.cli.common import console
    from wamkit.measurement.validate import validate

    with console().status("validate: reading data") as status:
        return validate(
            data,
            role=role,
            model=model,
            settings=settings,
            invalid=read.invalid,
            min_answered=read.min_answered,
            progress=None if out.quiet else (lambda s: status.update(f"validate: {s}")),
        )


def _json_payload(report, data, *, role: str | None, model: str | None) -> dict:
    """The JSON output: the report with the provenance of the data and settings."""
    from wamkit.provenance import data_provenance

    return {
        **report.to_dict(),
        "provenance": data_provenance(
            "validate", data, {**report.settings.to_dict(), "model": model, "role": role}, seed=report.settings.seed
        ),
    }


def _read(read: ReadArgs, model: str | None):
    """Read the data; with --model and no instrument the items are the model's, read as they are."""
    if model is None or read.instrument or read.study:
        return read.read()
    from wamkit.design.read import read as read_data
    from wamkit.measurement.settings import instrument_from_model

    read.check()
    settings = read.settings()
    return read_data(
        read.data, study=read.study, instrument=instrument_from_model(model), where=read.where or (), **settings
    )
