"""Row filters (``where``): ``COLUMN=VALUE``, ``!=``, lists and numeric comparisons.

=========================  ==========================================================
filter                     keeps rows where
=========================  ==========================================================
``wave=T0``                the wave is T0
``wave=T0,T6``             the wave is T0 or T6 (a list; quote a value holding a comma:
                           ``site="Utrecht, Oost"``)
``rater!=professional``    the rater is not professional
``wave!=T0,T6``            the wave is neither T0 nor T6
``Progress>=100``          Progress is a number >= 100 (also ``>``, ``<``, ``<=``)
``submitdate!=``           submitdate is not blank (``col=`` keeps the blank ones)
=========================  ==========================================================

Text is compared after trimming, case-insensitively. ``=``/``!=`` compare numbers as numbers
when both the cell and the value are numeric (``wave=6`` matches ``6.0`` and ``6``); a decimal
comma counts as a decimal point. A blank cell never matches ``=`` (unless the value is blank) or
a comparison, and always matches ``!=`` (unless the value is blank).

A filter on a column the data do not have, or one that matches no row, is an error naming the
parameter ``where``, the column and the values seen: rows are never dropped silently, and
:func:`filter_mask` says how many rows each filter left out.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from wamkit.errors import DataError, UsageError
from wamkit.io.cells import text_values

if TYPE_CHECKING:  # pragma: no cover - imported where used: `import wamkit.io` must not load pandas
    import numpy as np
    import pandas as pd

__all__ = ["OPERATORS", "Filter", "filter_mask", "parse_filters"]

#: operators in the order they are looked for at a position (two-character ones first)
OPERATORS = ("!=", ">=", "<=", "=", ">", "<")
_OPERATOR = re.compile(r"!=|>=|<=|=|>|<")
_SHOWN_VALUES = 10


@dataclass(frozen=True)
class Filter:
    """One row filter: ``column``, ``op`` (one of ``= != >= <= > <``) and the value(s).

    ``values`` holds the trimmed texts of a ``=``/``!=`` list, or the one number of a comparison.
    """

    column: str
    op: str
    values: tuple[str, ...]

    @property
    def text(self) -> str:
        shown = ",".join(f'"{v}"' if "," in v else v for v in self.values)
        return f"{self.column}{self.op}{shown}"


def _number(text: str) -> float | None:
    import math

    try:
        v = float(text.strip().replace(",", "."))
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def parse_filters(texts: Sequence[str] | None) -> list[Filter]:
    """Parse ``where`` texts such as ``wave=T0,T1``, ``rater!=professional``, ``Progress>=100``.

    Raises :class:`UsageError` (naming ``where``) for a text without an operator or column, and
    for a comparison whose value is not a number.
    """
    out = []
    for t in texts or ():
        raw = str(t)
        m = _OPERATOR.search(raw)
        column = raw[: m.start()].strip() if m else ""
        if m is None or not column:
            raise UsageError(f"where expects COLUMN=VALUE (or !=, >=, <=, >, <), got {raw!r}")
        op, value = m.group(0), raw[m.end() :].strip()
        if op in ("=", "!="):
            try:
                values = tuple(v.strip() for v in next(csv.reader([value], skipinitialspace=True))) if value else ("",)
            except (csv.Error, StopIteration):
                raise UsageError(f"where {raw!r}: cannot read the value list {value!r}") from None
        else:
            if _number(value) is None:
                raise UsageError(f"where {raw!r}: {op} compares numbers; {value!r} is not a number")
            values = (value.replace(",", "."),)
        out.append(Filter(column, op, values))
    return out


def _cell_numbers(col: pd.Series, text: pd.Series) -> np.ndarray:
    import numpy as np
    import pandas as pd

    if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
        return col.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    return pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce").to_numpy(
        dtype=float, na_value=np.nan
    )


def _texts(col: pd.Series) -> pd.Series:
    """Cells as trimmed, casefolded text; whole numbers without ``.0`` (SPSS/Excel codes); blank = NA."""
    return text_values(col).str.casefold()


def _match(col: pd.Series, f: Filter) -> np.ndarray:
    import numpy as np

    text = _texts(col)
    blank = text.isna().to_numpy(dtype=bool)
    nums = _cell_numbers(col, text)
    if f.op in ("=", "!="):
        wanted = [v.casefold() for v in f.values if v != ""]
        hit = text.isin(wanted).to_numpy(dtype=bool, na_value=False)
        targets = [x for x in (_number(v) for v in f.values if v != "") if x is not None]
        if targets:
            hit = hit | np.isin(nums, targets)
        if "" in f.values:
            hit = hit | blank
        return ~hit if f.op == "!=" else hit
    v = float(f.values[0])
    with np.errstate(invalid="ignore"):
        res = {">=": nums >= v, "<=": nums <= v, ">": nums > v, "<": nums < v}[f.op]
    return np.asarray(res, dtype=bool)


def _values_seen(col: pd.Series, numeric: bool) -> str:
    import pandas as pd

    text = col.astype("string").str.strip()
    text = text[text.notna() & (text != "")]
    if text.empty:
        return "every cell is blank"
    if numeric:
        nums = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce").dropna()
        if not nums.empty:
            lo, hi = nums.min(), nums.max()
            extra = f"; {len(text) - len(nums)} cells are not numbers" if len(nums) < len(text) else ""
            return f"numbers from {lo:g} to {hi:g}{extra}"
    uniq = sorted(text.unique().tolist(), key=str)
    shown = ", ".join(map(str, uniq[:_SHOWN_VALUES]))
    return f"values seen: {shown}" + (f" ... ({len(uniq)} distinct)" if len(uniq) > _SHOWN_VALUES else "")


def filter_mask(frame: pd.DataFrame, filters: Sequence[Filter], source: str) -> tuple[np.ndarray, list[str]]:
    """Rows matching every filter, and one note per filter saying how many rows it left out.

    A filter on a column that does not exist (:class:`UsageError`) or one that matches no row
    (:class:`DataError`) is an error naming the parameter ``where``, the column and the values seen;
    so is a set of filters that together keep no row.
    """
    import numpy as np

    mask = np.ones(len(frame), dtype=bool)
    notes = []
    for f in filters:
        if f.column not in frame.columns:
            near = [str(c) for c in frame.columns if str(c).strip().casefold() == f.column.casefold()]
            hint = f"; did you mean '{near[0]}'?" if near else ""
            cols = ", ".join(map(str, list(frame.columns)[:15])) + (" ..." if frame.shape[1] > 15 else "")
            raise UsageError(f"where {f.text}: {source} has no column '{f.column}'{hint} (columns: {cols})")
        hit = _match(frame[f.column], f)
        if not hit.any():
            seen = _values_seen(frame[f.column], numeric=f.op not in ("=", "!="))
            raise DataError(f"where {f.text} matches no row of {source} (column {f.column}: {seen})")
        removed = int((mask & ~hit).sum())
        mask &= hit
        notes.append(f"where {f.text}: {removed} of {len(frame)} rows left out")
    if not mask.any():
        listed = " and ".join(f.text for f in filters)
        raise DataError(f"the where filters {listed} together match no row of {source}")
    return mask, notes
