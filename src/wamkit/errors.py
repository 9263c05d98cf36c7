"""One exception hierarchy for everything a user can get wrong.

The CLI catches :class:`WamkitError` once, prints its message (one headline line,
optionally followed by detail lines) and exits with :attr:`WamkitError.exit_code`.
Programmer mistakes raise ``ValueError``/``TypeError`` and are not caught.
Non-fatal statistical conditions (non-convergence, Heywood cases, a model the
data cannot support) are not exceptions: results carry them as ``warnings`` text.
"""

from __future__ import annotations

from dataclasses import dataclass

#: how many individual problems an error message lists before it summarises
MAX_LISTED_PROBLEMS = 20


class WamkitError(Exception):
    """Base class of every error wamkit reports to a user."""

    exit_code = 2

    def __init__(self, message: str, details: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.details = list(details or [])

    def render(self) -> str:
        return "\n".join([self.message, *("  " + d for d in self.details)])


class InstrumentError(WamkitError):
    """An instrument definition (YAML) is unreadable, invalid or unknown."""


class DataError(WamkitError):
    """An input data file is unreadable or holds values wamkit cannot use."""

    def __init__(self, message: str, details: list[str] | None = None, problems: list[DataProblem] | None = None):
        super().__init__(message, details)
        self.problems = list(problems or [])


class UsageError(WamkitError):
    """Options that contradict each other or name things that do not exist."""


class CheckFailed(WamkitError):
    """The command ran, but a check the user asked for failed (exit code 1)."""

    exit_code = 1


@dataclass(frozen=True)
class DataProblem:
    """One bad cell or row in an input file.

    ``row`` is the 1-based data row (the header is not counted), ``None`` for
    problems about the file or a whole column. ``line`` says where that row is in the
    file (``"line 6"``, ``"sheet row 6"``) when row numbers alone would be ambiguous
    (rows above the column names, export header rows); it is shown as ``row 3 (line 6)``.
    """

    file: str
    row: int | None
    column: str | None
    value: object
    problem: str
    code: str = "invalid"
    line: str | None = None

    def render(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}" + (f" ({self.line})" if self.line else ""))
        if self.column is not None:
            where.append(f"column {self.column!s}")
        text = ", ".join(where) + ": "
        if self.value is not None:
            text += f"value {self.value!r} "
        return text + self.problem


def raise_problems(problems: list[DataProblem], headline: str, total: int | None = None) -> None:
    """Raise one :class:`DataError` listing ``problems`` (up to a limit, then a count).

    ``total`` is the number of problems found when only the first ones were kept.
    """
    if not problems:
        return
    total = max(total or 0, len(problems))
    if total == 1:
        raise DataError(problems[0].render(), problems=problems)
    shown = [p.render() for p in problems[:MAX_LISTED_PROBLEMS]]
    rest = total - len(shown)
    if rest > 0:
        shown.append(f"... and {rest} more")
    raise DataError(f"{headline}: {total} problems; first: {problems[0].render()}", details=shown, problems=problems)
