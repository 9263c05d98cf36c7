"""``wamkit shorten``: choose and cross-validate a short form, optionally write it as an instrument file
(parsing and rendering only)."""

from __future__ import annotations

import typer

from wamkit.cli.options import OutputArgs, ReadArgs, expand

FORMATS = ("table", "json", "md", "html")


def _cutoffs(values: list[str] | None) -> float | dict[str, float] | None:
    from wamkit.errors import UsageError

    out: float | dict[str, float] | None = None
    for c in values or []:
        key, sep, val = c.partition("=")
        try:
            if sep:
                out = {**(out if isinstance(out, dict) else {}), key.strip(): float(val)}
            elif out is None:
                out = float(c)
            else:
                raise ValueError
        except ValueError:
            raise UsageError(f"--cutoff expects SCORE once, or SUBSCALE=SCORE (repeatable), got '{c}'") from None
    return out


@expand
def shorten_command(
    read: ReadArgs,
    out: OutputArgs,
    role: str | None = typer.Option(
        None, "--role", help="Which role's items to shorten (client or professional) when the data hold both."
    ),
    items_per_scale: int | None = typer.Option(None, "--items-per-scale", help="Items to keep per subscale (>= 3)."),
    target_reliability: float | None = typer.Option(
        None, "--target-reliability", help="Instead: the fewest items whose omega reaches this."
    ),
    folds: int = typer.Option(5, "--folds", help="k of the k-fold cross-validation (>= 2)."),
    seed: int | None = typer.Option(
        None, "--seed", help="Seed of the folds and the search (default 20261122; recorded in the output)."
    ),
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
    write_instrument: str | None = typer.Option(
        None,
        "--write-instrument",
        help="Write the short form as an instrument YAML that extends the full one (--force replaces).",
    ),
    short_id: str | None = typer.Option(None, "--id", help="Id of the short-form instrument (default <id>-short)."),
    format: str | None = typer.Option(
        None, "--format", help="table (default, on stdout), json, md or html; default from the -o extension."
    ),
) -> None:
    """Choose items per subscale (information, reliability, coverage, fit) and cross-validate the short form.

    Example: wamkit shorten --study examples/study.yaml --role client --where wave=T0 --items-per-scale 3
    --write-instrument wam-demo-client-short.yaml
    """
    from pathlib import Path

    from wamkit.cli.common import check_output, choose_format, console, write_result
    from wamkit.errors import UsageError
    from wamkit.shortform import DEFAULT_SEED, shorten_data

    fmt = choose_format(format, out.output, FORMATS)
    if (items_per_scale is None) == (target_reliability is None):
        raise UsageError("give --items-per-scale K or --target-reliability R (one of them)")
    if seed is not None and seed < 0:
        raise UsageError(f"--seed must be a non-negative whole number, not {seed}")
    try:
        lo, hi = (float(v) for v in theta_range.split(","))
    except ValueError:
        raise UsageError(f"--theta-range expects LOW,HIGH (e.g. -1,1), got '{theta_range}'") from None
    cutoffs = _cutoffs(cutoff)
    check_output(out.output, read.inputs(), force=out.force)
    if write_instrument and Path(write_instrument).exists() and not out.force:
        raise UsageError(f"--write-instrument {write_instrument}: file exists; add --force to replace it")
    data = read.read()
    with console().status("shorten: selecting and cross-validating"):
        res = shorten_data(
            data,
            role=role,
            criterion=criterion,
            items_per_scale=items_per_scale,
            target_reliability=target_reliability,
            folds=folds,
            seed=DEFAULT_SEED if seed is None else seed,
            information_range=(lo, hi),
            cutoffs=cutoffs,
            cfa=not skip_cfa,
            invalid=read.invalid,
            min_answered=read.min_answered,
        )
    payload = None
    written = None
    if write_instrument:
        written = res.write_instrument(
            write_instrument, data.instrument_for(res.settings["role"]), force=out.force, new_id=short_id
        )
    if fmt == "json":
        from wamkit.provenance import data_provenance

        payload = {
            **res.to_dict(),
            "provenance": data_provenance(
                "shorten",
                data,
                {"role": role, "criterion": criterion, "write_instrument": write_instrument},
                seed=res.settings["seed"],
            ),
        }
        if written is not None:
            payload["short_instrument"] = {
                "id": written.id,
                "version": written.version,
                "path": write_instrument,
                "sha256": written.sha256,
            }
    write_result(res, out, fmt, read.inputs(), payload=payload)
    if written is not None and not out.quiet:
        console().print(f"wrote short-form instrument {written.id} ({write_instrument})", highlight=False)
