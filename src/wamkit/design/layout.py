"""Long and wide layouts of alliance data.

*Long*: one row per person × role × wave (``dyad, rater, wave, item columns ...``).
*Wide*: one row per dyad, one column per role × wave × item, named by a pattern such as
``{role}_{wave}_{item}`` (``client_T0_wam01 … prof_T1_wam19``), the most common export.

:func:`wide_to_long` turns a wide frame into the long frame every analysis reads (so a
wide file works with every command unchanged); :func:`long_to_wide` is its inverse, for
``wamkit reshape --to wide``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wamkit.errors import DataError, UsageError

__all__ = ["WideBlock", "WideLayout", "long_to_wide", "pattern_regex", "wide_to_long"]


def pattern_regex(pattern: str, roles: Sequence[str], waves: Sequence[str]) -> re.Pattern[str]:
    """Regex of a wide pattern: ``{role}`` and ``{wave}`` match the declared labels, ``{item}`` the rest.

    Role and wave labels are matched case-insensitively, longest first (``T10`` before ``T1``).
    """

    def alternatives(labels: Sequence[str]) -> str:
        return "|".join(re.escape(x) for x in sorted(labels, key=len, reverse=True)) or r".+?"

    out, pos = [], 0
    for m in re.finditer(r"\{(role|wave|item)\}", pattern):
        out.append(re.escape(pattern[pos : m.start()]))
        field = m.group(1)
        if field == "role":
            out.append(f"(?P<role>{alternatives(roles)})")
        elif field == "wave":
            out.append(f"(?P<wave>{alternatives(waves)})")
        else:
            out.append(r"(?P<item>.+?)")
        pos = m.end()
    out.append(re.escape(pattern[pos:]))
    return re.compile("^" + "".join(out) + "$", re.IGNORECASE)


@dataclass(frozen=True)
class WideBlock:
    """The columns of one role × wave in a wide file: long item column -> wide column."""

    role: str | None
    wave: str | None
    columns: Mapping[str, str]


@dataclass(frozen=True)
class WideLayout:
    """How a wide file's columns map onto the long layout."""

    blocks: tuple[WideBlock, ...]
    person_columns: tuple[str, ...]

    def source_column(self, role: str | None, wave: str | None, column: str) -> str:
        """The wide column holding ``column`` of ``role`` at ``wave`` (for messages)."""
        for b in self.blocks:
            if b.role == role and b.wave == wave and column in b.columns:
                return b.columns[column]
        return column


def _layout(
    columns: Sequence[str],
    pattern: str,
    role_labels: Mapping[str, str],
    waves: Sequence[str],
    item_columns: Mapping[str, set[str]],
) -> WideLayout:
    """Match column names to (role, wave, item); role_labels maps label -> role value."""
    rx = pattern_regex(pattern, list(role_labels), waves)
    by_label = {k.lower(): v for k, v in role_labels.items()}
    by_wave = {w.lower(): w for w in waves}
    blocks: dict[tuple[str | None, str | None], dict[str, str]] = {}
    person = []
    for col in columns:
        m = rx.match(str(col))
        if m is None:
            person.append(col)
            continue
        groups = m.groupdict()
        role = by_label.get(groups["role"].lower(), groups["role"]) if groups.get("role") else None
        if role is None and len(role_labels) == 1:
            role = next(iter(role_labels.values()))
        wave = by_wave.get(groups["wave"].lower(), groups["wave"]) if groups.get("wave") else None
        item = groups["item"]
        if item not in item_columns.get(role or "", set()) and item not in item_columns.get("", set()):
            person.append(col)  # matches the pattern but is no item (e.g. client_T0_comment)
            continue
        blocks.setdefault((role, wave), {})[item] = col
    if not blocks:
        raise DataError(
            f"no column matches the wide pattern '{pattern}' (with role labels "
            f"{', '.join(role_labels) or '-'} and waves {', '.join(waves) or '-'}); "
            f"columns are e.g. {', '.join(map(str, list(columns)[:6]))}"
        )
    return WideLayout(blocks=tuple(WideBlock(r, w, c) for (r, w), c in blocks.items()), person_columns=tuple(person))


def wide_to_long(
    frame: pd.DataFrame,
    *,
    pattern: str,
    role_labels: Mapping[str, str],
    role_column: str,
    waves: Sequence[str],
    wave_column: str | None,
    item_columns: Mapping[str, set[str]],
    role_order: Sequence[str] = (),
) -> tuple[pd.DataFrame, np.ndarray, WideLayout, int]:
    """Reshape a wide frame into long rows.

    Parameters
    ----------
    frame
        One row per dyad (index: the reader's data-row positions).
    pattern
        Column-name pattern with ``{role}``, ``{wave}`` and ``{item}``.
    role_labels
        Role label in column names -> role value written to ``role_column``.
    waves
        Wave labels in time order (written to ``wave_column``).
    item_columns
        Role value -> the item column names of its instrument (``""`` for every role).

    Returns
    -------
    (long frame, source row positions per long row, the layout, number of role × wave blocks without any
    answer that give no row). Long rows are ordered by source row, then wave, then role.
    """
    layout = _layout(list(frame.columns), pattern, role_labels, waves, item_columns)
    for c in (role_column, wave_column):
        if c is not None and c in layout.person_columns:
            raise UsageError(
                f"the wide file already has a column '{c}'; name the role/wave column differently "
                "in the study (roles.column / waves.column)"
            )
    wave_rank = {w: i for i, w in enumerate(waves)}
    role_rank = {r: i for i, r in enumerate(role_order)}
    person = frame.loc[:, list(layout.person_columns)]
    parts, rows, keys = [], [], []
    empty = 0
    for b in layout.blocks:
        cols = list(b.columns.values())
        block = frame.loc[:, cols]
        answered = block.notna().to_numpy() & (
            block.astype("string").apply(lambda s: s.str.strip() != "").fillna(False).to_numpy(dtype=bool)
        )
        keep = answered.any(axis=1)
        empty += int((~keep).sum())
        if not keep.any():
            continue
        part = person.loc[keep].copy()
        part[role_column] = b.role
        if wave_column is not None:
            part[wave_column] = b.wave
        items = block.loc[keep]
        items.columns = list(b.columns.keys())
        part = pd.concat([part, items], axis=1)
        pos = np.flatnonzero(keep)
        parts.append(part)
        rows.append(pos)
        keys.append(
            np.column_stack(
                [
                    pos,
                    np.full(pos.size, wave_rank.get(b.wave or "", 0)),
                    np.full(pos.size, role_rank.get(b.role or "", 0)),
                ]
            )
        )
    if not parts:
        raise DataError("the wide file has no answered item in any role × wave block")
    long = pd.concat(parts, axis=0, ignore_index=True, sort=False)
    src = np.concatenate(rows)
    order = np.lexsort(np.concatenate(keys).T[::-1])
    long = long.iloc[order].reset_index(drop=True)
    return long, src[order], layout, empty


def long_to_wide(
    frame: pd.DataFrame,
    *,
    pattern: str,
    id_column: str,
    role_column: str | None,
    role_labels: Mapping[str, str],
    wave_column: str | None,
    waves: Sequence[str],
    columns: Sequence[str],
) -> pd.DataFrame:
    """One row per ``id_column`` value; ``columns`` spread as ``pattern`` names them.

    ``role_labels`` maps role value -> label in column names. Columns not spread and
    constant within an id are kept once; a column that varies within an id must be in
    ``columns``. Duplicate id × role × wave rows are an error.
    """
    keys = [id_column] + [c for c in (role_column, wave_column) if c is not None]
    dup = frame.duplicated(subset=keys, keep=False)
    if dup.any():
        first = frame.loc[dup, keys].iloc[0].tolist()
        raise DataError(
            f"{int(dup.sum())} rows share {' / '.join(keys)} (e.g. {' / '.join(map(str, first))}); "
            "the wide layout needs one row per id × role × wave"
        )
    spread = [c for c in columns if c in frame.columns]
    rest = [c for c in frame.columns if c not in spread and c not in keys]
    const = frame.groupby(id_column, sort=False)[rest].nunique(dropna=False) <= 1 if rest else pd.DataFrame()
    varying = [c for c in rest if not bool(const[c].all())]
    spread += varying
    person = [c for c in rest if c not in varying]
    base = frame.drop_duplicates(subset=[id_column]).loc[:, [id_column, *person]].set_index(id_column)
    out = [base]
    role_values = list(role_labels) if role_column is not None else [None]
    wave_values = list(waves) if wave_column is not None else [None]
    for w in wave_values:
        for r in role_values:
            mask = np.ones(len(frame), dtype=bool)
            if r is not None:
                mask &= (frame[role_column] == r).to_numpy()
            if w is not None:
                mask &= (frame[wave_column] == w).to_numpy()
            if not mask.any():
                continue
            sub = frame.loc[mask, [id_column, *spread]].set_index(id_column)
            sub.columns = [
                pattern.format(role=role_labels.get(r, r) if r is not None else "", wave=w or "", item=c)
                for c in spread
            ]
            out.append(sub)
    wide = pd.concat(out, axis=1, sort=False)
    return wide.reset_index()
