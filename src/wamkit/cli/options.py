"""The options every command shares, declared once.

A command takes option *groups* as parameters annotated with a group class
(:class:`ReadArgs`, :class:`OutputArgs`); :func:`expand` turns each group into its
Typer options (same names, same help everywhere) and hands the command one filled-in
group object. So ``--study``, ``--dyad``, ``--wave``, ``--rater``, ``--officer``,
``--where``, ``--invalid``, ``--format``, ``-o``, ``-q``, ``--force`` and
``--pseudonymise`` mean the same in every command.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import typer

__all__ = ["OutputArgs", "ReadArgs", "expand", "opt"]


def opt(default: Any, *names: str, help: str, **kw: Any) -> Any:
    """A dataclass field carrying its Typer option."""
    return field(
        default=None if default is ... else default, metadata={"typer": typer.Option(default, *names, help=help, **kw)}
    )


def arg(default: Any, help: str, **kw: Any) -> Any:
    return field(default=default, metadata={"typer": typer.Argument(default, help=help, **kw)})


@dataclass
class ReadArgs:
    """Where the data are and what their design is (every command that reads item data)."""

    data: str | None = arg(
        None,
        "Data file: CSV/TSV, XLSX, SPSS .sav or Parquet ('-' reads CSV from stdin). Optional with --study.",
        show_default=False,
    )
    study: str | None = opt(
        None,
        "--study",
        help="Study file (study.yaml) declaring data, roles, instruments, "
        "ids, waves and outcomes; options given here override it.",
    )
    instrument: list[str] | None = opt(
        None,
        "-i",
        "--instrument",
        help="Instrument id or YAML path; or VALUE=INSTRUMENT per rater value "
        "(repeatable, with --rater). Default: from --study.",
    )
    rater: str | None = opt(None, "--rater", help="Column holding the rater role (client / professional).")
    dyad: str | None = opt(None, "--dyad", help="Column identifying the client-professional dyad.")
    wave: str | None = opt(None, "--wave", help="Column holding the wave (T0, T1, ...).")
    wave_order: str | None = opt(
        None,
        "--wave-order",
        help="Waves in time order, comma-separated, e.g. T0,T1,T2 (default: from --study, else natural order).",
    )
    officer: str | None = opt(
        None, "--officer", help="Column of the nesting unit (officer, team). Old names --cluster/--caseload still work."
    )
    person: str | None = opt(
        None, "--person", help="Column identifying the client when a client can have several dyads (default: the dyad)."
    )
    where: list[str] | None = opt(
        None,
        "--where",
        help="Keep rows where COLUMN=VALUE (also !=, lists wave=T0,T1, and >=, <=, >, < for numbers); repeatable.",
    )
    invalid: str | None = opt(
        None,
        "--invalid",
        help="'error' (default): stop on invalid item cells; 'missing': treat them as missing and count them.",
    )
    min_answered: float | None = opt(
        None, "--min-answered", help="Fraction of a subscale's items that must be answered (overrides the instrument)."
    )
    sheet: str | None = opt(None, "--sheet", help="XLSX sheet name or 1-based number (default: the first).")
    header_row: int | None = opt(
        None, "--header-row", help="1-based row holding the column names (for exports with title rows)."
    )
    map_: list[str] | None = opt(None, "--map", help="Item column override ITEM=COLUMN (repeatable).")
    columns: str | None = opt(None, "--columns", help="Column-name template for all items, e.g. 'Q1_{n}'.")
    input_format: str | None = opt(
        None, "--input-format", help="Input format when the extension does not tell: csv, tsv, xlsx, sav, parquet."
    )

    def settings(self) -> dict[str, Any]:
        """Keyword settings for :func:`wamkit.design.read.read`."""
        from wamkit.cli.common import parse_pairs

        out: dict[str, Any] = {
            "rater": self.rater,
            "dyad": self.dyad,
            "wave": self.wave,
            "officer": self.officer,
            "person": self.person,
            "sheet": self.sheet,
            "header_row": self.header_row,
            "input_format": self.input_format,
            "column_map": parse_pairs(self.map_, "--map") or None,
            "columns": self.columns,
        }
        if self.wave_order is not None:
            order = [w.strip() for w in self.wave_order.split(",") if w.strip()]
            if not order:
                from wamkit.errors import UsageError

                raise UsageError(f"--wave-order needs wave labels, e.g. T0,T1 (got {self.wave_order!r})")
            out["wave_order"] = order
        return out

    def instruments(self) -> Any:
        """``-i`` values as :func:`read` takes them (one id, or value -> id)."""
        from wamkit.cli.common import parse_instruments

        return parse_instruments(self.instrument or [], self.rater, study=self.study is not None)

    def check(self) -> None:
        from wamkit.errors import UsageError

        if self.data is None and self.study is None:
            raise UsageError("give a data file, or a study file with --study")
        if self.invalid not in (None, "error", "missing"):
            raise UsageError(f"--invalid must be 'error' or 'missing', not '{self.invalid}'")
        if self.min_answered is not None and not 0 < self.min_answered <= 1:
            raise UsageError(f"--min-answered must be a fraction in (0, 1], not {self.min_answered}")
        if self.header_row is not None and self.header_row < 1:
            raise UsageError(f"--header-row is 1-based, not {self.header_row}")

    def read(self, **extra: Any) -> Any:
        """Read the data (the shared read path)."""
        from wamkit.design.read import read

        self.check()
        return read(
            self.data,
            study=self.study,
            instrument=self.instruments(),
            where=self.where or (),
            **self.settings(),
            **extra,
        )

    def inputs(self) -> list[str]:
        """Files this run reads (data, study, instrument files): never an output."""
        refs = [spec.partition("=")[2] or spec for spec in (self.instrument or [])]
        return [p for p in (self.data, self.study, *refs) if p]


@dataclass
class OutputArgs:
    """Where results go and in which form."""

    format: str | None = opt(
        None,
        "--format",
        help="Output format (see the command's help); default from the -o extension, else a table on stdout.",
    )
    output: str | None = opt(None, "-o", "--output", help="Write the result to this file (default: stdout).")
    force: bool = opt(False, "--force", help="Replace an existing output file.")
    quiet: bool = opt(False, "-q", "--quiet", help="No summary or notes on stderr.")
    csv_dialect: str | None = opt(
        None,
        "--csv-dialect",
        help="CSV flavour: 'standard' (comma, point; default) or 'excel-nl' (semicolon, decimal comma, BOM).",
    )

    @property
    def to_file(self) -> bool:
        return self.output not in (None, "-")


GROUPS: tuple[type, ...] = (ReadArgs, OutputArgs)


def _group_params(cls: type) -> list[inspect.Parameter]:
    hints = dict(inspect.get_annotations(cls, eval_str=True))
    params = []
    for f in dataclasses.fields(cls):
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        params.append(inspect.Parameter(f.name, kind, default=f.metadata["typer"], annotation=hints[f.name]))
    return params


def expand(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Replace parameters annotated with an option group by the group's options (see module doc)."""
    sig = inspect.signature(fn, eval_str=True)
    groups: dict[str, type] = {}
    params: list[inspect.Parameter] = []
    for p in sig.parameters.values():
        if p.annotation in GROUPS:
            groups[p.name] = p.annotation
        else:
            params.append(p)
    taken = {p.name for p in params}
    expanded: list[inspect.Parameter] = []
    for cls in groups.values():
        for gp in _group_params(cls):
            if gp.name in taken:  # a command may declare its own version of a shared option
                continue
            expanded.append(gp)
            taken.add(gp.name)
    first = [p for p in expanded if p.name == "data"]
    rest = [p for p in expanded if p.name != "data"]
    names = {cls: {f.name for f in dataclasses.fields(cls)} for cls in groups.values()}

    own = {p.name for p in params}

    @functools.wraps(fn)
    def wrapper(**kwargs: Any) -> Any:
        for pname, cls in groups.items():
            values = {n: kwargs[n] if n in own else kwargs.pop(n) for n in names[cls] if n in kwargs}
            kwargs[pname] = cls(**values)
        return fn(**kwargs)

    new_params = first + params + rest
    wrapper.__signature__ = sig.replace(parameters=new_params)  # type: ignore[attr-defined]  # typer reads it
    wrapper.__annotations__ = {p.name: p.annotation for p in new_params}
    del wrapper.__wrapped__  # typer must see the new signature, not the original
    return wrapper
