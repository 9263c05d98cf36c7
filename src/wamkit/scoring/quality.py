"""Data-quality report for item data, without scoring (``wamkit inspect``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from wamkit.errors import DataProblem, UsageError
from wamkit.instrument import Instrument
from wamkit.scoring.core import parse_items, resolve_columns, straightlined_rows


@dataclass(frozen=True)
class QualityReport:
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

    def to_dict(self) -> dict:
        from wamkit.results import to_jsonable

        return to_jsonable({
            "source": self.source, "instrument": self.instrument_id, "rows": self.rows,
            "items": self.items, "n_invalid": self.n_invalid,
            "invalid_cells": [{"row": p.row, "column": p.column, "value": p.value, "problem": p.problem}
                              for p in self.invalid_cells],
            "straightlined_rows": list(self.straightlined_rows),
            "missing_patterns": self.missing_patterns,
            "duplicates": self.duplicates, "id_columns": list(self.id_columns),
        })


def inspect_items(frame: pd.DataFrame, instrument: Instrument, *, source: str = "<data>",
                  id_columns: list[str] | None = None, column_map: dict | None = None,
                  column_template: str | None = None, decimal_comma: bool = False) -> QualityReport:
    """Invalid cells, missingness, floor/ceiling, straight-lining and duplicate keys."""
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
    with np.errstate(invalid="ignore", divide="ignore"):   # items nobody answered: NaN, no warning
        means = filled.sum(axis=0) / n_ans
        centred = np.where(answered, x - means, 0.0)
        sds = np.where(n_ans > 1, np.sqrt((centred ** 2).sum(axis=0) / (n_ans - 1)), np.nan)
    items = pd.DataFrame({
        "item": list(parsed.item_ids), "column": list(parsed.columns), "n": n_ans,
        "missing_share": 1 - n_ans / rows, "invalid": parsed.invalid_mask.sum(axis=0),
        "floor_share": floor, "ceiling_share": ceil, "mean": means, "sd": sds,
    })
    pattern_codes = np.where(answered, "x", ".")
    patterns = pd.Series(["".join(r) for r in pattern_codes]).value_counts()
    missing_patterns = pd.DataFrame({"pattern": patterns.index, "rows": patterns.to_numpy()})
    sl = np.flatnonzero(straightlined_rows(x)) + 1

    id_columns = list(id_columns or [])
    for c in id_columns:
        if c not in frame.columns:
            raise UsageError(f"--id {c}: {source} has no column '{c}'")
    if id_columns:
        keys = frame[id_columns].astype("string")
        dup = keys.duplicated(keep=False).to_numpy()
        d = keys[dup].copy()
        d["row"] = np.flatnonzero(dup) + 1
        duplicates = (d.groupby(id_columns, dropna=False, sort=False)["row"]
                      .apply(lambda r: ",".join(map(str, r))).reset_index().rename(columns={"row": "rows"}))
    else:
        duplicates = pd.DataFrame(columns=["rows"])
    return QualityReport(source=source, instrument_id=instrument.id, rows=rows, items=items,
                         invalid_cells=parsed.problems, n_invalid=parsed.n_invalid,
                         straightlined_rows=tuple(int(r) for r in sl), missing_patterns=missing_patterns,
                         duplicates=duplicates, id_columns=tuple(id_columns))
