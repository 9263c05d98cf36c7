"""Frame checks shared by the dyad modules: row numbers, required columns, empty and duplicated keys.

Long frames here have one row per dyad × rater (× wave). Messages name 1-based data rows:
the ``rows`` a caller passes (e.g. :attr:`wamkit.design.read.StudyData.rows`), else the
frame's integer index + 1 (as after ``read_csv``), else positions + 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from wamkit.errors import MAX_LISTED_PROBLEMS, DataError, UsageError
from wamkit.io.cells import row_numbers as index_rows
from wamkit.results import to_jsonable

__all__ = [
    "check_keys_present",
    "duplicate_error",
    "empty_frame",
    "float_block",
    "records",
    "require_columns",
    "row_numbers",
    "rows_text",
    "wave_positions",
]


def row_numbers(frame: pd.DataFrame, rows: Sequence[int] | np.ndarray | None = None) -> np.ndarray:
    """1-based data row numbers: ``rows`` when given, else index + 1 (integer index), else position + 1."""
    if rows is not None:
        out = np.asarray(rows, dtype=np.int64)
        if out.shape != (len(frame),):
            raise UsageError(f"rows must hold one row number per row of the frame ({len(frame)}); got {out.shape}")
        return out
    return index_rows(frame.index)


def rows_text(rows: Sequence[int] | np.ndarray) -> str:
    """``row 3`` or ``rows 1, 5`` (as many as given)."""
    listed = [int(r) for r in rows]
    return ("row " if len(listed) == 1 else "rows ") + ", ".join(map(str, listed))


def require_columns(frame: Any, columns: Sequence[str], what: str) -> None:
    """``frame`` is a DataFrame with every one of ``columns`` (``what`` names the caller in the message)."""
    if not isinstance(frame, pd.DataFrame):
        raise UsageError(f"{what} needs a pandas DataFrame of scores; got {type(frame).__name__}")
    missing = [c for c in dict.fromkeys(columns) if c not in frame.columns]
    if missing:
        raise UsageError(f"{what}: column(s) not in the scores: {', '.join(map(str, missing))}")


def float_block(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """The score columns as one float matrix (rows × columns); NaN for missing values."""
    out = np.empty((len(frame), len(columns)))
    for j, c in enumerate(columns):
        try:
            out[:, j] = pd.to_numeric(frame[c], errors="raise").to_numpy(dtype=float, na_value=np.nan)
        except (ValueError, TypeError) as exc:
            raise DataError(f"subscale column {c!r} is not numeric: {exc}") from None
    return out


def check_keys_present(frame: pd.DataFrame, rows: np.ndarray, columns: Mapping[str, str]) -> None:
    """Identifier columns (label -> column) must not be empty; the error names the rows."""
    problems = []
    for label, col in columns.items():
        bad = frame[col].isna().to_numpy()
        if bad.any():
            more = " ..." if bad.sum() > MAX_LISTED_PROBLEMS else ""
            problems.append(f"{label} column {col!r} is empty in {rows_text(rows[bad][:MAX_LISTED_PROBLEMS])}{more}")
    if problems:
        raise DataError(problems[0], details=problems[1:])


def duplicate_error(keys: pd.DataFrame, by: list[str], names: Mapping[str, str]) -> None:
    """Raise a DataError naming every duplicated key of ``keys[by]`` and its rows (column ``row``).

    ``names`` gives each key column's word in the message (an empty word leaves the column out).
    """
    dup = keys.duplicated(by, keep=False)
    if not dup.any():
        return
    lines = []
    for key, grp in keys[dup].groupby(by, sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        where = ", ".join(f"{names[c]} {v}" for c, v in zip(by, key, strict=True) if names.get(c))
        lines.append(f"{where}: {len(grp)} rows ({rows_text(grp['row'].to_numpy())})")
    head = f"duplicate rows for {lines[0]}"
    if len(lines) > 1:
        head = f"{len(lines)} duplicated dyad keys; first: {lines[0]}"
    shown = lines[:MAX_LISTED_PROBLEMS]
    if len(lines) > len(shown):
        shown.append(f"... and {len(lines) - len(shown)} more")
    raise DataError(head, details=shown if len(lines) > 1 else [])


def wave_positions(frame: pd.DataFrame, wave: str, wave_order: Sequence[Any], rows: np.ndarray) -> np.ndarray:
    """Each row's position in ``wave_order``; refuses waves not in it (naming values and rows)."""
    wpos = frame[wave].map({w: i for i, w in enumerate(wave_order)})
    unknown = wpos.isna().to_numpy()
    if unknown.any():
        vals = pd.unique(frame[wave][unknown])[:5]
        raise DataError(
            f"wave column {wave!r} holds value(s) not in wave_order {list(wave_order)!r} "
            f"(e.g. {', '.join(repr(v) for v in vals)}) in "
            f"{rows_text(rows[unknown][:MAX_LISTED_PROBLEMS])}"
        )
    return wpos.to_numpy(dtype=np.int64)


def records(frame: pd.DataFrame | None) -> list[dict[str, Any]] | None:
    """A frame as JSON-safe records (None stays None)."""
    if frame is None:
        return None
    return to_jsonable(frame.to_dict(orient="records"))


def empty_frame(columns: Sequence[str], floats: Sequence[str] = ()) -> pd.DataFrame:
    """An empty frame with ``columns`` (float dtype for ``floats``, object otherwise)."""
    return pd.DataFrame({c: pd.Series(dtype=float if c in floats else object) for c in columns})
