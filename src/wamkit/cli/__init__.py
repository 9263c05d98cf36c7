"""The ``wamkit`` command line.

This package only parses arguments, calls one library function, renders the
result and picks the exit code. It imports nothing heavy at module level, so
``wamkit --help`` stays fast; pandas/scipy are imported inside the commands.

Exit codes: 0 success; 1 the command ran but a check the user asked for failed
(e.g. ``instruments check``); 2 bad usage or bad input; 3 internal error (a bug).
"""

from __future__ import annotations

import sys

import typer

from wamkit.cli import common, dataprep, dyads, instruments, outcomes, shorten, simulate, study, validate

app = typer.Typer(
    name="wamkit",
    help="Psychometrics for working-alliance questionnaires: score, validate, relate to outcomes, pair dyads.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_help(ctx: typer.Context, value: bool) -> None:
    # The root's own --help (a plain bool flag): typer's generated one is coerced through pydantic even when
    # absent, which cost ~0.1 s on every `wamkit COMMAND --help`.
    if value:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show a traceback for errors (for bug reports)."),
    version: bool = typer.Option(
        False, "--version", help="Print the wamkit version and exit.", is_eager=True, callback=common.print_version
    ),
    help_: bool = typer.Option(
        False, "--help", "-h", help="Show this message and exit.", is_eager=True, callback=_show_help
    ),
) -> None:
    common.STATE["debug"] = debug


app.command("score")(dataprep.score_command)
app.command("inspect")(dataprep.inspect_command)
app.add_typer(instruments.app, name="instruments")
app.command("validate")(validate.validate_command)
app.command("outcomes")(outcomes.outcomes_command)
app.command("dyads")(dyads.dyads_command)
app.command("report")(dyads.report_command)
app.command("simulate")(simulate.simulate_command)
app.add_typer(study.app, name="study")
app.command("reshape")(study.reshape_command)
app.command("shorten")(shorten.shorten_command)


def main() -> None:
    """Console entry point: run the app, turning wamkit errors into messages and exit codes."""
    import os

    # wamkit's matrices are small (items x items); a BLAS thread per core only adds contention,
    # which made EFA and parallel analysis several times slower on a busy 2-core machine.
    # numpy is imported later (inside the commands), so this takes effect; a user's setting wins.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    try:
        common.run(app)
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    else:
        code = 0
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)  # a profiler or coverage tool writes its results at a normal exit
    # Every output file is written and closed by now (atomically, in the command); leave without
    # tearing down pyarrow, pandas and numpy module by module, which costs ~0.15 s on every call.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            pass
    os._exit(code)
