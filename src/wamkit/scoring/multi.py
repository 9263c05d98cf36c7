"""From a data file to item and score matrices: the read path every command shares.

``score``, ``inspect``, ``validate``, ``outcomes`` and ``dyads`` read data the same
way: the same readers, the same column mapping, the same missing codes, labels and
reverse keys, the same ``--where`` filters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from wamkit.errors import DataError, UsageError
from wamkit.instrument import Instrument
from wamkit.io import Table, read_table
from wamkit.scoring.core import ScoreResult, resolve_columns, score


@dataclass(frozen=True)
class ReadOptions:
    """How to read item data (shared by all commands)."""

    sheet: str | None = None
    input_format: str | None = None
    column_map: dict | None = None
    column_template: str | None = None
    invalid: str = "error"
    min_answered: float | None = None


def read_item_table(path: str, instrument: Instrument, opts: ReadOptions = ReadOptions()) -> Table:
    """Read a data file; item columns are parsed as numbers where possible, the rest kept as text."""
    cols = resolve_columns(instrument, column_map=opts.column_map, column_template=opts.column_template)
    return read_table(path, infer_columns=set(cols.values()), sheet=opts.sheet, format=opts.input_format)


def parse_where(values: list[str] | None) -> list[tuple[str, str]]:
    out = []
    for v in values or []:
        col, sep, val = v.partition("=")
        if not sep or not col.strip():
            raise UsageError(f"--where expects COLUMN=VALUE, got '{v}'")
        out.append((col.strip(), val.strip()))
    return out


def where_mask(frame: pd.DataFrame, where: list[tuple[str, str]], source: str) -> np.ndarray:
    """Rows matching every ``COLUMN=VALUE`` filter (text comparison, values trimmed)."""
    mask = np.ones(len(frame), dtype=bool)
    for col, val in where:
        if col not in frame.columns:
            raise UsageError(
                f"--where {col}={val}: {source} has no column '{col}' "
                f"(columns: {', '.join(map(str, frame.columns[:15]))})"
            )
        text = frame[col].astype("string").str.strip()
        hit = (text == val).fillna(False).to_numpy(dtype=bool)
        if not hit.any():
            seen = sorted(text.dropna().unique().tolist())[:10]
            raise DataError(
                f"--where {col}={val} matches no row of {source} (values seen: {', '.join(map(str, seen))})"
            )
        mask &= hit
    if not mask.any():
        raise DataError(f"the --where filters together match no row of {source}")
    return mask


# --------------------------------------------------------------------------- several forms in one file


def load_instrument_specs(specs: list[str], rater_column: str | None) -> dict[str | None, Instrument]:
    """``-i ID`` (one instrument) or ``-i VALUE=ID ...`` (one per value of the rater column)."""
    from wamkit.instrument import load_instrument

    if not specs:
        raise UsageError("give an instrument with -i ID (or -i VALUE=ID per rater with --rater COLUMN)")
    if len(specs) == 1 and "=" not in specs[0]:
        return {None: load_instrument(specs[0])}
    out: dict[str | None, Instrument] = {}
    for spec in specs:
        value, sep, ref = spec.partition("=")
        if not sep or not value.strip() or not ref.strip():
            raise UsageError(f"with several instruments each -i must be VALUE=INSTRUMENT, got '{spec}'")
        if value.strip() in out:
            raise UsageError(f"-i names rater value '{value.strip()}' twice")
        out[value.strip()] = load_instrument(ref.strip())
    if rater_column is None:
        raise UsageError("-i VALUE=INSTRUMENT needs --rater COLUMN to tell which rows use which instrument")
    return out


def read_multi_table(path: str, instruments: dict[str | None, Instrument], opts: ReadOptions = ReadOptions()) -> Table:
    """Read a file holding item columns of one or more instruments."""
    infer: set[str] = set()
    for ins in instruments.values():
        infer |= set(resolve_columns(ins, column_map=opts.column_map, column_template=opts.column_template).values())
    return read_table(path, infer_columns=infer, sheet=opts.sheet, format=opts.input_format)


def rater_groups(
    frame: pd.DataFrame, instruments: dict[str | None, Instrument], rater_column: str | None, source: str
) -> dict[str | None, np.ndarray]:
    """Row positions per instrument; every row must belong to one (no silently dropped rows)."""
    if list(instruments) == [None]:
        return {None: np.arange(len(frame))}
    if rater_column not in frame.columns:
        raise UsageError(f"--rater {rater_column}: {source} has no column '{rater_column}'")
    text = frame[rater_column].astype("string").str.strip()
    groups = {}
    covered = np.zeros(len(frame), dtype=bool)
    for value in instruments:
        hit = (text == value).fillna(False).to_numpy(dtype=bool)
        groups[value] = np.flatnonzero(hit)
        covered |= hit
    if not covered.all():
        first = int(np.flatnonzero(~covered)[0])
        others = sorted(set(text[~covered].fillna("(blank)").tolist()))
        raise DataError(
            f"{source}: row {first + 1}, column {rater_column}: value {text.iloc[first]!r} has no "
            f"instrument ({(~covered).sum()} rows; values without an instrument: {', '.join(others[:10])}); "
            f"add -i VALUE=INSTRUMENT or filter with --where"
        )
    return groups


def score_multi(
    table: Table,
    instruments: dict[str | None, Instrument],
    rater_column: str | None,
    opts: ReadOptions = ReadOptions(),
    *,
    keep_items: bool = False,
    keep_counts: bool = False,
    frame: pd.DataFrame | None = None,
) -> ScoreResult:
    """Score each rater's rows with its own instrument; scores side by side, rows in file order.

    Score columns are the union of the instruments' score ids; a row has NaN in
    the columns its instrument does not define (e.g. ``reactance`` on professional rows).
    """
    frame = table.frame if frame is None else frame
    if list(instruments) == [None]:
        return score(
            frame,
            instruments[None],
            source=table.source,
            column_map=opts.column_map,
            column_template=opts.column_template,
            min_answered=opts.min_answered,
            invalid=opts.invalid,
            keep_items=keep_items,
            keep_counts=keep_counts,
            decimal_comma=table.decimal_comma,
        )
    groups = rater_groups(frame, instruments, rater_column, table.source)
    item_cols: set[str] = set()
    score_ids: list[str] = []
    for ins in instruments.values():
        item_cols |= set(
            resolve_columns(ins, column_map=opts.column_map, column_template=opts.column_template).values()
        )
        score_ids += [s for s in ins.score_ids if s not in score_ids]
    parts = []
    results = {}
    problems = []
    for value, rows in groups.items():
        if rows.size == 0:
            continue
        res = score(
            frame.iloc[rows],
            instruments[value],
            source=table.source,
            column_map=opts.column_map,
            column_template=opts.column_template,
            min_answered=opts.min_answered,
            invalid="missing",
            keep_items=keep_items,
            keep_counts=keep_counts,
            decimal_comma=table.decimal_comma,
        )
        results[value] = res
        problems += list(res.problems)
        parts.append(res.scores)
    n_invalid = sum(r.n_invalid for r in results.values())
    if n_invalid and opts.invalid == "error":
        from wamkit.errors import raise_problems

        problems.sort(key=lambda p: (p.row or 0, str(p.column)))
        raise_problems(problems, f"{table.source}: invalid item values", total=n_invalid)
    combined = pd.concat(parts).sort_index()
    passthrough = [c for c in frame.columns if c not in item_cols]
    extra = [c for c in combined.columns if c not in passthrough and c not in score_ids]
    combined = combined.reindex(columns=passthrough + score_ids + extra)
    from wamkit.scoring.core import summarise_scale

    subscale_ids = {s.id for ins in instruments.values() for s in ins.subscales}
    summary = tuple(
        summarise_scale(sid, "subscale" if sid in subscale_ids else "total", combined[sid].to_numpy(dtype=float))
        for sid in score_ids
    )
    mat = combined[score_ids].to_numpy(dtype=float)
    first = next(iter(results.values()))
    return ScoreResult(
        scores=combined,
        instrument_id=",".join(f"{k}={v.id}" for k, v in instruments.items()),
        instrument_version=",".join(v.version for v in instruments.values()),
        score_ids=tuple(score_ids),
        rows_read=len(frame),
        rows_scored=int((~np.isnan(mat)).any(axis=1).sum()),
        n_invalid=n_invalid,
        invalid_policy=opts.invalid,
        straightlined=sum(r.straightlined for r in results.values()),
        scales=summary,
        problems=tuple(problems),
        min_answered={k: v for r in results.values() for k, v in r.min_answered.items()} or first.min_answered,
    )
