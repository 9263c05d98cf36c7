"""Row filters (``where``): ``COLUMN=VALUE``, ``!=``, lists and numeric comparisons.

=====================  ==================================================
filter                 keeps rows where
=====================  ==================================================
``wave=T0``            the wave is T0
``wave=T0,T6``         the wave is T0 or T6
``rater!=professional`` the rater is not professional
``Progress>=100``      Progress is a number >= 100 (also ``>``, ``<``, ``<=``)
=====================  ==================================================

Text is compared after trimming, case-insensitively; ``=``/``!=`` compare numbers as
numbers when both sides are numeric (``wave=6`` matches ``6.0``). A blank cell never
matches ``=`` or a comparison, and always matches ``!=``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wamkit.errors import DataError, UsageError

__all__ = ["Filter", "filter_mask", "parse_filters"]

_OPERATORS = ("!=", ">=", "<=", "=", ">", "<")
_SPLIT = re.compile(r"^\s*([^=!<>]+?)\s*(!=|>=|<=|=|>|<)\s*(.*?)\s*$")


@dataclass(frozen=True)
class Filter:
    """One row filter: ``column``, ``op`` (one of ``= != >= <= > <``) and the value(s)."""

    column: str
    op: str
    values: tuple[str, ...]

    @property
    def text(self) -> str:
        return f"{self.column}{self.op}{','.join(self.values)}"


def parse_filters(texts: Sequence[str]) -> list[Filter]:
    """Parse ``where`` texts such as ``wave=T0,T1``, ``rater!=professional``, ``Progress>=100``."""
    out = []
    for t in texts or ():
        m = _SPLIT.match(str(t))
        if m is None or not m.group(1).strip():
            raise UsageError(f"where expects COLUMN=VALUE (or !=, >=, <=, >, <), got {t!r}")
        column, op, value = m.group(1).strip(), m.group(2), m.group(3)
        if op in ("=", "!="):
            values = tuple(v.strip() for v in value.split(",")) if value else ("",)
        else:
            try:
                float(value.replace(",", "."))
            except ValueError:
                raise UsageError(f"where {t!r}: {op} compares numbers; {value!r} is not a number") from None
            values = (value.replace(",", "."),)
        out.append(Filter(column, op, values))
    return out


def _numbers(text: pd.Series) -> np.ndarray:
    return pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce").to_numpy(dtype=float)


def _match(col: pd.Series, f: Filter) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
        nums = col.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        text = col.astype("string")
    else:
        text = col.astype("string").str.strip()
        nums = _numbers(text)
    if f.op in ("=", "!="):
        lowered = text.str.strip().str.lower()
        hit = lowered.isin([v.lower() for v in f.values]).fillna(False).to_numpy(dtype=bool)
        targets = [float(v.replace(",", ".")) for v in f.values if _is_number(v)]
        if targets:
            hit |= np.isin(nums, targets)
        blank = col.isna().to_numpy() | (lowered == "").fillna(True).to_numpy(dtype=bool)
        if "" in f.values:
            hit |= blank
        return ~hit if f.op == "!=" else hit
    v = float(f.values[0])
    with np.errstate(invalid="ignore"):
        res = {">=": nums >= v, "<=": nums <= v, ">": nums > v, "<": nums < v}[f.op]
    return np.asarray(res, dtype=bool)


def _is_number(v: str) -> bool:
    try:
        float(v.replace(",", "."))
        return True
    except ValueError:
        return False


def filter_mask(frame: pd.DataFrame, filters: Sequence[Filter], source: str) -> tuple[np.ndarray, list[str]]:
    """Rows matching every filter, and one note per filter saying how many rows it removed.

    A filter on a column that does not exist, or one that matches no row, is an error
    naming the parameter ``where``, the column and the values seen.
    """
    mask = np.ones(len(frame), dtype=bool)
    notes = []
    for f in filters:
        if f.column not in frame.columns:
            cols = ", ".join(map(str, list(frame.columns)[:15]))
            raise UsageError(f"where {f.text}: {source} has no column '{f.column}' (columns: {cols})")
        hit = _match(frame[f.column], f)
        if not hit.any():
            seen = sorted(frame[f.column].dropna().astype("string").str.strip().unique().tolist())[:10]
            raise DataError(f"where {f.text} matches no row of {source} (values seen: {', '.join(map(str, seen))})")
        removed = int((mask & ~hit).sum())
        mask &= hit
        notes.append(f"where {f.text}: {removed} of {len(frame)} rows left out")
    if not mask.any():
        raise DataError(f"the where filters together match no row of {source}")
    return mask, notes
