"""Data-quality report for item data, without scoring (``wamkit inspect``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from wamkit.errors import DataProblem, UsageError
from wamkit.instrument import Instrument
from wamkit.results import Result, to_jsonable
from wamkit.scoring.core import parse_items, resolve_columns, straightlined_rows


@dataclass(frozen=True)
class QualityReport(Result):
    """What is wrong or suspicious in an item export.

    ``items`` columns: item, column, n (answered), missing_share, invalid (cells),
    floor_share, ceiling_share (of answered cells at the declared min/max), mean, sd.
    ``missing_patterns`` columns: pattern (one character per item: ``x`` answered,
    ``.`` missing), rows. ``duplicates`` columns: the id columns, rows (1-based data rows).
    """

    source: str
    instrument_id: str
    rows: int
    items: pd.DataFrame
    invalid_cells: tuple[DataProblem, ...]
    n_invalid: int
    straightlined_rows: tuple[int, ...]
    missing_patterns: pd.DataFrame
    duplicates: pd.DataFrame
    id_columns: tuple[str, ...]
    document_builder = "wamkit.render.reports.scoring:quality_document"

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """``items`` (per item), ``missing_patterns``, ``duplicates``, ``invalid_cells`` (row, column, value,
        problem)."""
        cells = pd.DataFrame(
            [{"row": p.row, "column": p.column, "value": p.value, "problem": p.problem} for p in self.invalid_cells],
            columns=["row", "column", "value", "problem"],
        )
        return {
            "items": self.items,
            "missing_patterns": self.missing_patterns,
            "duplicates": self.duplicates,
            "invalid_cells": cells,
        }

    def to_dict(self) -> dict:

        return to_jsonable(
            {
                "source": self.source,
                "instrument": self.instrument_id,
                "rows": self.rows,
                "items": self.items,
                "n_invalid": self.n_invalid,
                "invalid_cells": [
                    {"row": p.row, "column": p.column, "value": p.value, "problem": p.problem}
                    for p in self.invalid_cells
                ],
                "straightlined_rows": list(self.straightlined_rows),
                "missing_patterns": self.missing_patterns,
                "duplicates": self.duplicates,
                "id_columns": list(self.id_columns),
            }
        )


def inspect_items(
    frame: pd.DataFrame,
    instrument: Instrument,
    *,
    source: str = "<data>",
    id_columns: list[str] | None = None,
    column_map: dict | None = None,
    column_template: str | None = None,
    decimal_comma: bool = False,
    row_numbers: np.ndarray | None = None,
) -> QualityReport:
    """Invalid cells, missingness, floor/ceiling, straight-lining and duplicate keys.

    ``row_numbers`` are the 1-based data rows of ``frame`` in its file (default: position + 1).
    """
    rownum = np.arange(1, len(frame) + 1) if row_numbers is None else np.asarray(row_numbers)
    if row_numbers is not None:
        frame = frame.set_axis(rownum - 1)
    columns = resolve_columns(instrument, column_map=column_map, column_template=column_template)
    parsed = parse_items(frame, instrument, source=source, columns=columns, decimal_comma=decimal_comma)
    x = parsed.values
    answered = ~np.isnan(x)
    n_ans = answered.sum(axis=0)
    rows = len(frame)
    floor = np.full(x.shape[1], np.nan)
    ceil = np.full(x.shape[1], np.nan)
    for j, item in enumerate(instrument.items):
        sc = instrument.item_scale(item)
        if sc is not None and n_ans[j]:
            floor[j] = np.sum(x[:, j] == sc.min) / n_ans[j]
            ceil[j] = np.sum(x[:, j] == sc.max) / n_ans[j]
    filled = np.where(answered, x, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):  # items nobody answered: NaN, no warning
        means = filled.sum(axis=0) / n_ans
        centred = np.where(answered, x - means, 0.0)
        sds = np.where(n_ans > 1, np.sqrt((centred**2).sum(axis=0) / (n_ans - 1)), np.nan)
    items = pd.DataFrame(
        {
            "item": list(parsed.item_ids),
            "column": list(parsed.columns),
            "n": n_ans,
            "missing_share": 1 - n_ans / rows,
            "invalid": parsed.invalid_mask.sum(axis=0),
            "floor_share": floor,
            "ceiling_share": ceil,
            "mean": means,
            "sd": sds,
        }
    )
    pattern_codes = np.where(answered, "x", ".")
    patterns = pd.Series(["".join(r) for r in pattern_codes]).value_counts()
    missing_patterns = pd.DataFrame({"pattern": patterns.index, "rows": patterns.to_numpy()})
    sl = rownum[np.flatnonzero(straightlined_rows(x))]

    id_columns = list(id_columns or [])
    for c in id_columns:
        if c not in frame.columns:
            raise UsageError(f"id_columns '{c}': {source} has no column '{c}'")
    if id_columns:
        keys = frame[id_columns].astype("string")
        dup = keys.duplicated(keep=False).to_numpy()
        d = keys[dup].copy()
        d["row"] = rownum[np.flatnonzero(dup)]
        duplicates = (
            d.groupby(id_columns, dropna=False, sort=False)["row"]
            .apply(lambda r: ",".join(map(str, r)))
            .reset_index()
            .rename(columns={"row": "rows"})
        )
    else:
        duplicates = pd.DataFrame(columns=["rows"])
    return QualityReport(
        source=source,
        instrument_id=instrument.id,
        rows=rows,
        items=items,
        invalid_cells=parsed.problems,
        n_invalid=parsed.n_invalid,
        straightlined_rows=tuple(int(r) for r in sl),
        missing_patterns=missing_patterns,
        duplicates=duplicates,
        id_columns=tuple(id_columns),
    )


@dataclass(frozen=True)
class InspectResult(Result):
    """Data quality per role (``reports``: role value, or ``all`` for one instrument, -> :class:`QualityReport`)."""

    source: str
    reports: dict[str, QualityReport]
    notes: tuple[str, ...] = ()
    document_builder = "wamkit.render.reports.scoring:inspect_document"

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "reports": {k: r.to_dict() for k, r in self.reports.items()},
            "notes": list(self.notes),
        }

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """``items``, ``missing_patterns``, ``duplicates``, ``invalid_cells`` over roles, with a ``role`` column."""
        out: dict[str, list[pd.DataFrame]] = {}
        for role, rep in self.reports.items():
            for name, frame in rep.to_frames().items():
                out.setdefault(name, []).append(frame.assign(role=role))
        return {k: pd.concat(v, ignore_index=True) for k, v in out.items()}


def inspect_data(data, id_columns: list[str] | None = None) -> InspectResult:
    """Inspect every role's rows of a :class:`~wamkit.design.read.StudyData` with its instrument.

    ``id_columns`` default to the design's keys (dyad or person, role, wave) that exist.
    """
    d = data.design
    ids = (
        list(id_columns)
        if id_columns
        else [c for c in (d.person_column, d.role, d.wave) if c is not None and c in data.frame.columns]
    )
    reports = {}
    for value, ins in data.instruments.items():
        rows = data.role_rows(value)
        if rows.size == 0:
            continue
        cmap = dict(data.study.column_map)
        spec = d.role_spec(d.role_key(value)) if value is not None else None
        if spec is not None:
            cmap.update(spec.column_map)
        template = (spec.columns if spec and spec.columns else None) or data.study.columns
        reports["all" if value is None else value] = inspect_items(
            data.frame.iloc[rows],
            ins,
            source=data.source,
            id_columns=ids,
            column_map=cmap,
            column_template=template,
            decimal_comma=data.tables[0].decimal_comma,
            row_numbers=data.rows[rows],
        )
    return InspectResult(source=data.source, reports=reports, notes=data.notes)
