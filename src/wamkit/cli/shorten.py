"""``wamkit shorten``: choose and cross-validate a short form, optionally write it as an instrument file
(parsing and rendering only)."""

from __future__ import annotations

from typing import Any

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


def _theta_range(text: str) -> tuple[float, float]:
    from wamkit.errors import UsageError

    try:
        lo, hi = (float(v) for v in text.split(","))
    except ValueError:
        raise UsageError(f"--theta-range expects LOW,HIGH (e.g. -1,1), got '{text}'") from None
    return lo, hi


def _settings(
    items_per_scale: int | None,
    target_reliability: float | None,
    folds: int,
    seed: int | None,
    theta_range: str,
    cutoff: list[str] | None,
    skip_cfa: bool,
) -> dict[str, Any]:
    """The settings of :func:`wamkit.shortform.shorten_data` from the options (errors name the flags)."""
    from wamkit.errors import UsageError
    from wamkit.shortform import DEFAULT_SEED

    if (items_per_scale is None) == (target_reliability is None):
        raise UsageError("give --items-per-scale K or --target-reliability R (one of them)")
    if seed is not None and seed < 0:
        raise UsageError(f"--seed must be a non-negative whole number, not {seed}")
    return {
        "items_per_scale": items_per_scale,
        "target_reliability": target_reliability,
        "folds": folds,
        "seed": DEFAULT_SEED if seed is None else seed,
        "information_range": _theta_range(theta_range),
        "cutoffs": _cutoffs(cutoff),
        "cfa": not skip_cfa,
    }


def _check_instrument_path(path: str | None, force: bool) -> None:
    """Refuse (before any work) to replace an existing --write-instrument file without --force."""
    from pathlib import Path

    from wamkit.errors import UsageError

    if path and Path(path).exists() and not force:
        raise UsageError(f"--write-instrument {path}: file exists; add --force to replace it")


def _json_payload(res: Any, data: Any, options: dict[str, Any], written: Any) -> dict[str, Any]:
    """The JSON output: the result's ``to_dict()``, the provenance (with the command's own ``options``) and the
    short-form instrument file when one was ``written``."""
    from wamkit.provenance import data_provenance

    payload = {**res.to_dict(), "provenance": data_provenance("shorten", data, options, seed=res.settings["seed"])}
    if written is not None:
        payload["short_instrument"] = {
            "id": written.id,
            "version": written.version,
            "path": options["write_instrument"],
            "sha256": written.sha256,
        }
    return payload


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
    cutoff: list[str] | None = typer.Option(
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
    from wamkit.cli.common import check_output, choose_format, console, write_result
    from wamkit.shortform import shorten_data

    fmt = choose_format(format, out.output, FORMATS)
    settings = _settings(items_per_scale, target_reliability, folds, seed, theta_range, cutoff, skip_cfa)
    check_output(out.output, read.inputs(), force=out.force)
    _check_instrument_path(write_instrument, out.force)
    data = read.read()
    with console().status("shorten: selecting and cross-validating"):
        res = shorten_data(
            data, role=role, criterion=criterion, invalid=read.invalid, min_answered=read.min_answered, **settings
        )
    written = None
    if write_instrument:
        written = res.write_instrument(
            write_instrument, data.instrument_for(res.settings["role"]), force=out.force, new_id=short_id
        )
    options = {"role": role, "criterion": criterion, "write_instrument": write_instrument}
    payload = _json_payload(res, data, options, written) if fmt == "json" else None
    write_result(res, out, fmt, read.inputs(), payload=payload)
    if written is not None and not out.quiet:
        console().print(f"wrote short-form instrument {written.id} ({write_instrument})", highlight=False)
