"""The scoring engine: item responses -> subscale and total scores.

Rules (documented in docs/instruments.md):

* Item cells are read as numbers, or as label text of the instrument's scale
  (case-insensitive, e.g. ``"Always"``/``"Altijd"``). Blank cells, ``missing_codes``
  and ``missing_labels`` are missing.
* Any other value (non-numeric text, a number outside the declared range, a
  fraction on a discrete scale) is *invalid*: an error listing every bad cell with
  its row and column, unless the caller asks ``invalid="missing"``, in which case
  the cells become missing and are counted.
* Reverse-keyed items are ``min + max - x`` with the *declared* range.
* A subscale score is the mean of the answered items (``method: mean``) or that
  mean times the number of items (``method: sum``, i.e. prorated), and is missing
  when fewer than ``min_answered`` (a fraction) of its items are answered.
  No imputation happens anywhere else.
* A total over items follows the same rule; a total over subscales is their mean
  (or sum) and is missing when any of its subscales is missing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from wamkit.errors import DataError, DataProblem, UsageError, raise_problems
from wamkit.instrument import Instrument, Scale
from wamkit.io.arrow import numpy_floats, numpy_ints
from wamkit.results import Result

if TYPE_CHECKING:  # pragma: no cover - pandas is imported where it is used (streaming never needs it)
    import pandas as pd

MAX_PROBLEMS_KEPT = 1000
MISSING_TOKENS = {"", "na", "n/a", "nan", "null", "#n/a"}


@dataclass(frozen=True)
class ItemMatrix:
    """Item responses after parsing, before reverse keying.

    ``values`` is ``n x k`` float (NaN = missing), columns in ``item_ids`` order.
    ``invalid_mask`` marks cells that held an invalid value (now NaN).
    """

    values: np.ndarray
    item_ids: tuple[str, ...]
    columns: tuple[str, ...]
    invalid_mask: np.ndarray
    problems: tuple[DataProblem, ...]
    n_invalid: int


@dataclass(frozen=True)
class ScaleSummary:
    id: str
    kind: str
    n: int
    missing: int
    mean: float
    sd: float
    min: float
    max: float


@dataclass(frozen=True)
class ScoreResult(Result):
    """Scores for every input row, in input order.

    ``scores`` holds every non-item input column unchanged, then one float column
    per subscale and total (named by their ids); with ``keep_items`` the keyed item
    values (``<item>_keyed``) and with ``keep_counts`` the answered-item counts
    (``<score>_n``).
    """

    scores: pd.DataFrame
    instrument_id: str
    instrument_version: str
    score_ids: tuple[str, ...]
    rows_read: int
    rows_scored: int
    n_invalid: int
    invalid_policy: str
    straightlined: int
    scales: tuple[ScaleSummary, ...]
    problems: tuple[DataProblem, ...] = ()
    min_answered: dict[str, float] = field(default_factory=dict)
    document_builder = "wamkit.render.reports.scoring:score_document"

    def to_dict(self) -> dict[str, Any]:
        """``{"summary": ..., "scores": [one record per row]}`` (the CLI's JSON without provenance)."""
        from wamkit.results import to_jsonable

        return {"summary": self.summary_dict(), "scores": to_jsonable(self.scores)}

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """``scores``: every input row with its scores; ``summary``: one row per score (n, missing, mean, sd,
        min, max)."""
        import pandas as pd

        return {"scores": self.scores, "summary": pd.DataFrame([s.__dict__ for s in self.scales])}

    def summary_dict(self) -> dict[str, Any]:
        from wamkit.results import to_jsonable

        return to_jsonable(
            {
                "instrument": self.instrument_id,
                "instrument_version": self.instrument_version,
                "rows_read": self.rows_read,
                "rows_scored": self.rows_scored,
                "invalid_cells": self.n_invalid,
                "invalid_policy": self.invalid_policy,
                "straightlined_rows": self.straightlined,
                "min_answered": self.min_answered,
                "scales": [s.__dict__ for s in self.scales],
            }
        )


# --------------------------------------------------------------------------- column mapping


def resolve_columns(
    instrument: Instrument, *, column_map: dict[str, str] | None = None, column_template: str | None = None
) -> dict[str, str]:
    """Item id -> data column, from the YAML ``column``, a template and explicit overrides.

    ``column_template`` uses ``{id}`` (item id), ``{n}`` (1-based position) and
    ``{n:02d}``-style formats, e.g. ``"Q1_{n}"``.
    """
    out = {}
    for pos, item in enumerate(instrument.items, start=1):
        col = item.column
        if column_template:
            try:
                col = column_template.format(id=item.id, n=pos, column=item.column)
            except (KeyError, IndexError, ValueError) as e:
                raise UsageError(
                    f"--columns template '{column_template}' is invalid ({e}); use {{id}} and {{n}}"
                ) from None
        out[item.id] = col
    for k, v in (column_map or {}).items():
        if k not in out:
            raise UsageError(f"--map names unknown item '{k}' (items: {', '.join(instrument.item_ids)})")
        out[k] = v
    seen: dict[str, str] = {}
    for iid, col in out.items():
        if col in seen:
            raise UsageError(f"items '{seen[col]}' and '{iid}' both map to column '{col}'")
        seen[col] = iid
    return out


def column_names(frame: Any) -> list[str]:
    """Column names of a pandas DataFrame or a pyarrow Table (or a list of names)."""
    if isinstance(frame, (list, tuple)):
        return list(frame)
    names = getattr(frame, "column_names", None)
    return list(names) if names is not None else list(frame.columns)


def check_item_columns(frame: Any, columns: dict[str, str], source: str) -> None:
    """Refuse a frame (pandas DataFrame, pyarrow Table or list of column names) that lacks item columns."""
    present = set(column_names(frame))
    missing = [(i, c) for i, c in columns.items() if c not in present]
    if missing:
        listed = ", ".join(c if c == i else f"{c} (item {i})" for i, c in missing[:10])
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        hint = ""
        if len(missing) == len(columns):
            hint = "; none of the instrument's item columns are present (use --map ITEM=COLUMN or --columns TEMPLATE)"
        raise DataError(f"{source}: missing item column(s): {listed}{more}{hint}")


# --------------------------------------------------------------------------- parsing cells


def scale_values(scale: Scale | None) -> list[float]:
    """The values of a discrete scale in order (``min``, ``min + 1``, ..., ``max``); empty otherwise."""
    if scale is None or not scale.discrete or not (math.isfinite(scale.min) and math.isfinite(scale.max)):
        return []
    return [float(v) for v in np.arange(scale.min, scale.max + 0.5)]


def _label_lookup(instrument: Instrument, scale: Scale | None, answer_codes: bool = False) -> dict[str, float]:
    """Casefolded label text -> scale value; with ``answer_codes`` also ``a1`` -> 1st value, ``a2`` -> 2nd ..."""
    lut: dict[str, float] = {}
    if scale is not None:
        if answer_codes:
            for k, v in enumerate(scale_values(scale), start=1):
                lut[f"a{k}"] = v
        for code, texts in scale.labels.items():
            for t in texts:
                lut[t.strip().casefold()] = code
    return lut


def parse_items(
    frame: Any,
    instrument: Instrument,
    *,
    source: str = "<data>",
    columns: dict[str, str] | None = None,
    decimal_comma: bool = False,
    row_offset: int = 0,
    value_labels: dict | None = None,
    answer_codes: bool = False,
    locate: Callable[[int], str | None] | None = None,
    row_index: np.ndarray | None = None,
) -> ItemMatrix:
    """Parse the item columns of ``frame`` (a pandas DataFrame or a pyarrow Table) into numbers;
    collect every invalid cell.

    Row numbers in problems are ``index + 1 + row_offset``, the index being ``row_index`` or else
    ``frame.index`` (a Table's rows are numbered from 0): keep the reader's index (``data row - 1``,
    also on subsets) so they name data rows of the file.
    ``answer_codes`` reads LimeSurvey answer codes ``A<k>`` as the k-th value of the item's
    scale (``Table.meta["answer_codes"]``); ``locate`` (e.g. :meth:`wamkit.io.Table.locate`)
    gives a problem's place in the file when row numbers alone are ambiguous.
    """
    columns = columns or resolve_columns(instrument)
    check_item_columns(frame, columns, source)
    n = len(frame) if not hasattr(frame, "num_rows") else frame.num_rows
    k = len(instrument.items)
    # column-major: every step below works item by item on contiguous columns
    values = np.empty((n, k), dtype=float, order="F")
    invalid = np.zeros((n, k), dtype=bool, order="F")
    problems: list[DataProblem] = []
    n_invalid = 0
    missing_labels = {m.strip().casefold() for m in instrument.missing_labels}
    missing_codes = [float(c) for c in instrument.missing_codes]
    rownum = row_index
    for j, item in enumerate(instrument.items):
        col = columns[item.id]
        scale = instrument.item_scale(item)
        data = _ColumnData(frame, col)
        if data.numbers is not None:
            x, status = _check_values(data.numbers, scale, missing_codes)
            reasons = None
        else:
            # text: parse and check each distinct value once, then spread the results over the rows
            codes, uniques = data.codes, data.uniques
            u_val, u_reason = _parse_uniques(
                uniques,
                scale,
                missing_labels,
                decimal_comma,
                _label_lookup(instrument, scale, answer_codes),
                answer_codes,
            )
            u_x, u_status = _check_values(u_val, scale, missing_codes)
            u_status[(u_reason != "") & (u_status == _OK)] = _TEXT
            x, status = u_x.take(codes), u_status.take(codes)
            reasons = (u_reason, codes)
        bad = status != _OK
        if bad.any():
            idx = np.flatnonzero(bad)
            n_invalid += idx.size
            room = max(MAX_PROBLEMS_KEPT - len(problems), 0)
            if room:
                raw = data.raw(idx[:room])
                if rownum is None:
                    rownum = frame.index.to_numpy() if hasattr(frame, "index") else np.arange(n)
            for r, value in zip(idx[:room], raw if room else (), strict=True):
                st = status[r]
                if st == _OUT_OF_RANGE:
                    what = f"is outside the scale {_range_text(scale)}"
                elif st == _NOT_WHOLE:
                    what = f"is not a whole number on the scale {_range_text(scale)}"
                else:
                    what = reasons[0][reasons[1][r]] if reasons is not None else "is not a number"
                assert rownum is not None
                row = int(rownum[r]) + 1 + row_offset
                problems.append(
                    DataProblem(
                        file=source,
                        row=row,
                        column=col,
                        value=_display(value),
                        problem=what,
                        code="out-of-range" if st == _OUT_OF_RANGE else "invalid",
                        line=locate(row) if locate is not None else None,
                    )
                )
        values[:, j] = x
        invalid[:, j] = bad
    return ItemMatrix(
        values=values,
        item_ids=tuple(instrument.item_ids),
        columns=tuple(columns[i] for i in instrument.item_ids),
        invalid_mask=invalid,
        problems=tuple(problems),
        n_invalid=n_invalid,
    )


# status of a parsed cell
_OK, _TEXT, _OUT_OF_RANGE, _NOT_WHOLE = 0, 1, 2, 3


def _check_values(x: np.ndarray, scale: Scale | None, missing_codes: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Missing codes to NaN; cells outside the scale or not whole on a discrete scale marked and set to NaN.

    Returns the cleaned values and a status per cell (``_OK``, ``_OUT_OF_RANGE``, ``_NOT_WHOLE``).
    """
    x = np.array(x, dtype=float, copy=True)
    for c in missing_codes:
        x[x == c] = np.nan
    status = np.zeros(x.shape, dtype=np.int8)
    if scale is not None:
        with np.errstate(invalid="ignore"):
            outside = (x < scale.min) | (x > scale.max)  # False for NaN
            status[outside] = _OUT_OF_RANGE
            if scale.discrete:
                status[~outside & (np.floor(x) != x) & ~np.isnan(x)] = _NOT_WHOLE
        x[status != _OK] = np.nan
    return x, status


class _ColumnData:
    """One item column as numbers (numeric columns) or as codes into its distinct values (text),
    from a pandas DataFrame or a pyarrow Table (dictionary-encoded columns are already factorised)."""

    def __init__(self, frame: Any, col: str):
        self.numbers: np.ndarray | None = None
        self.codes: np.ndarray = np.zeros(0, dtype=np.int64)
        self.uniques: Any = ()
        if hasattr(frame, "num_rows"):
            self._arrow(frame.column(col))
        else:
            self._pandas(frame[col])

    def _pandas(self, series) -> None:
        import pandas as pd

        self._series = series
        if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
            self.numbers = series.to_numpy(dtype=float, na_value=np.nan)
        elif isinstance(series.dtype, pd.CategoricalDtype):
            self.codes, self.uniques = series.cat.codes.to_numpy(), series.cat.categories
        else:
            self.codes, self.uniques = pd.factorize(series, use_na_sentinel=True)

    def _arrow(self, col) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        self._arrow_col = col
        t = col.type
        if pa.types.is_floating(t) or pa.types.is_integer(t):
            self.numbers = numpy_floats(col)
            return
        if not pa.types.is_dictionary(t):
            col = pc.dictionary_encode(col)
        arr = col.unify_dictionaries().combine_chunks() if isinstance(col, pa.ChunkedArray) else col
        if isinstance(arr, pa.ChunkedArray):  # pragma: no cover - combine_chunks gives an array
            arr = arr.chunk(0)
        self.codes = numpy_ints(arr.indices)
        self.uniques = arr.dictionary.to_pylist()

    def raw(self, idx: np.ndarray) -> list:
        """The cells at positions ``idx`` as read (for messages)."""
        if hasattr(self, "_arrow_col"):
            col = self._arrow_col
            return [col[int(i)].as_py() for i in idx]
        return list(self._series.iloc[idx].to_numpy(dtype=object))


def _display(v):
    """Value as shown in messages: numbers (also numeric text) without quotes, other text as is."""
    if isinstance(v, str):
        try:
            f = float(v.strip().replace(",", "."))
        except ValueError:
            return v
        return _display(f) if math.isfinite(f) else v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, (np.floating, np.integer)):
        return _display(v.item())
    return v


def _range_text(scale: Scale | None) -> str:
    return f"{_fmt(scale.min)}-{_fmt(scale.max)}" if scale is not None else "(no scale)"


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _parse_uniques(
    uniques,
    scale: Scale | None,
    missing_labels: set[str],
    decimal_comma: bool,
    labels: dict[str, float],
    answer_codes: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Value and problem text ("" when fine) of each distinct cell, plus a last slot for missing (code -1)."""
    u_val = np.empty(len(uniques) + 1, dtype=float)
    u_reason = np.empty(len(uniques) + 1, dtype=object)
    u_val[-1] = np.nan  # sentinel -1 -> last slot: NA
    u_reason[-1] = ""
    label_hint = ""
    if labels:
        label_hint = " (labels: " + ", ".join(sorted({t for t in labels})[:8]) + ")"
    for i, u in enumerate(uniques):
        val, reason = _parse_cell(u, missing_labels, decimal_comma, labels)
        if reason and answer_codes and isinstance(u, str) and re.fullmatch(r"\s*[Aa]\d+\s*", u):
            n_values = len(scale_values(scale))
            reason = (
                f"is an answer code beyond the scale's {n_values} values"
                if n_values
                else "is an answer code, but the item's scale has no list of values (discrete min-max)"
            )
        u_val[i] = val
        u_reason[i] = reason + (label_hint if reason.startswith("is not a number") else "") if reason else ""
    return u_val, u_reason


def _parse_cell(u, missing_labels, decimal_comma, labels) -> tuple[float, str]:
    if u is None or (isinstance(u, float) and math.isnan(u)):
        return math.nan, ""
    if isinstance(u, bool):
        return math.nan, "is not a number"
    if isinstance(u, (int, float, np.integer, np.floating)):
        return float(u), ""
    text = str(u).strip()
    key = text.casefold()
    if key in MISSING_TOKENS or key in missing_labels:
        return math.nan, ""
    if key in labels:
        return labels[key], ""
    num = text.replace(",", ".") if (decimal_comma or _looks_decimal_comma(text)) else text
    try:
        v = float(num)
    except ValueError:
        return math.nan, "is not a number or a label of the scale"
    if not math.isfinite(v):
        return math.nan, "is not a finite number"
    return v, ""


def _looks_decimal_comma(text: str) -> bool:
    head, _, tail = text.partition(",")
    return bool(tail) and head.lstrip("-").isdigit() and tail.isdigit()


# --------------------------------------------------------------------------- scoring


def key_items(values: np.ndarray, instrument: Instrument, *, inplace: bool = False) -> np.ndarray:
    """Reverse-key the reversed items with the declared range (``min + max - x``)."""
    keyed = values if inplace else values.copy(order="K")
    for j, item in enumerate(instrument.items):
        if item.reverse:
            sc = instrument.item_scale(item)
            assert sc is not None  # the loader refuses reversed items without a declared range
            keyed[:, j] = sc.min + sc.max - keyed[:, j]
    return keyed


def required_answers(k: int, min_answered: float) -> int:
    """Smallest number of answered items out of ``k`` meeting the fraction ``min_answered``."""
    return max(1, math.ceil(min_answered * k - 1e-9))


def _item_score(keyed: np.ndarray, idx: list[int], method: str, min_answered: float):
    # accumulate column by column (no n x k temporaries: this is the hot path on big files)
    n = keyed.shape[0]
    answered = np.zeros(n, dtype=np.int64)
    total = np.zeros(n)
    for j in idx:
        col = keyed[:, j]
        ok = col == col  # not NaN
        answered += ok
        total += np.where(ok, col, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / answered
    ok = answered >= required_answers(len(idx), min_answered)
    score = np.where(ok, mean, np.nan)
    if method == "sum":
        score = score * len(idx)
    return score, answered


def compute_scores(
    keyed: np.ndarray, instrument: Instrument, *, min_answered: float | None = None
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, float]]:
    """Subscale and total scores from keyed item values.

    Returns (scores by id, answered counts by id, min_answered used by id).
    """
    pos = {iid: j for j, iid in enumerate(instrument.item_ids)}
    scores: dict[str, np.ndarray] = {}
    counts: dict[str, np.ndarray] = {}
    used: dict[str, float] = {}
    for s in instrument.subscales:
        frac = min_answered if min_answered is not None else instrument.subscale_min_answered(s)
        scores[s.id], counts[s.id] = _item_score(keyed, [pos[i] for i in s.items], s.method, frac)
        used[s.id] = frac
    for t in instrument.totals:
        if t.items is not None:
            frac = min_answered if min_answered is not None else instrument.subscale_min_answered(t)
            scores[t.id], counts[t.id] = _item_score(keyed, [pos[i] for i in t.items], t.method, frac)
            used[t.id] = frac
        else:
            parts = np.column_stack([scores[s] for s in t.subscales or ()])
            complete = ~np.isnan(parts).any(axis=1)
            agg = parts.mean(axis=1) if t.method == "mean" else parts.sum(axis=1)
            scores[t.id] = np.where(complete, agg, np.nan)
            counts[t.id] = np.count_nonzero(~np.isnan(parts), axis=1)
    return scores, counts, used


def straightlined_rows(values: np.ndarray, min_items: int = 3) -> np.ndarray:
    """Rows with every item answered (at least ``min_items`` items) and all raw responses equal."""
    n, k = values.shape
    if k < min_items:
        return np.zeros(n, dtype=bool)
    first = values[:, 0]
    same = first == first  # answered (NaN never equals itself)
    for j in range(1, k):
        same &= values[:, j] == first
    return same


@dataclass(frozen=True)
class ScoredColumns:
    """What scoring one frame produced, before it is put into a table: the pass-through column
    names (every non-item column, in order) and one array per output column (score ids, then
    ``<item>_keyed`` and ``<score>_n`` when asked), plus what the summary needs."""

    passthrough: tuple[str, ...]
    columns: dict[str, np.ndarray]
    scores: dict[str, np.ndarray]
    items: ItemMatrix
    straightlined: int
    rows_scored: int
    min_answered: dict[str, float]


def score_columns(
    frame: Any,
    instrument: Instrument,
    *,
    source: str = "<data>",
    column_map: dict[str, str] | None = None,
    column_template: str | None = None,
    min_answered: float | None = None,
    invalid: Literal["error", "missing"] = "error",
    keep_items: bool = False,
    keep_counts: bool = False,
    decimal_comma: bool = False,
    row_offset: int = 0,
    answer_codes: bool = False,
    locate: Callable[[int], str | None] | None = None,
    row_index: np.ndarray | None = None,
) -> ScoredColumns:
    """The arrays :func:`score` puts into its frame, for a pandas DataFrame or a pyarrow Table
    (the streaming scorer builds an Arrow table from them without pandas). Same checks, same errors."""
    if invalid not in ("error", "missing"):
        raise UsageError(f"invalid policy must be 'error' or 'missing', not '{invalid}'")
    if min_answered is not None and not (0 < min_answered <= 1):
        raise UsageError(f"min_answered must be a fraction in (0, 1], not {min_answered}")
    columns = resolve_columns(instrument, column_map=column_map, column_template=column_template)
    items = parse_items(
        frame,
        instrument,
        source=source,
        columns=columns,
        decimal_comma=decimal_comma,
        row_offset=row_offset,
        answer_codes=answer_codes,
        locate=locate,
        row_index=row_index,
    )
    if items.n_invalid and invalid == "error":
        raise_problems(list(items.problems), f"{source}: invalid item values", total=items.n_invalid)
    straight = int(straightlined_rows(items.values).sum())  # on the raw answers, before keying
    keyed = key_items(items.values, instrument, inplace=True)  # the parsed matrix is ours: no copy
    scores, counts, used = compute_scores(keyed, instrument, min_answered=min_answered)

    item_cols = set(columns.values())
    passthrough = tuple(c for c in column_names(frame) if c not in item_cols)
    clash = [sid for sid in instrument.score_ids if sid in passthrough]
    if clash:
        raise UsageError(
            f"{source}: the data already has a column named '{clash[0]}', which is also a score id "
            f"of {instrument.id}; rename that column"
        )
    out: dict[str, np.ndarray] = {sid: scores[sid] for sid in instrument.score_ids}
    if keep_items:
        for j, iid in enumerate(instrument.item_ids):
            out[f"{iid}_keyed"] = keyed[:, j]
    if keep_counts:
        for sid in instrument.score_ids:
            out[f"{sid}_n"] = counts[sid]
    n = keyed.shape[0]
    any_score = np.zeros(n, dtype=bool)
    for sid in instrument.score_ids:
        any_score |= ~np.isnan(scores[sid])
    return ScoredColumns(
        passthrough=passthrough,
        columns=out,
        scores=scores,
        items=items,
        straightlined=straight,
        rows_scored=int(any_score.sum()),
        min_answered=used,
    )


def score(
    frame: pd.DataFrame,
    instrument: Instrument,
    *,
    source: str = "<data>",
    column_map: dict[str, str] | None = None,
    column_template: str | None = None,
    min_answered: float | None = None,
    invalid: Literal["error", "missing"] = "error",
    keep_items: bool = False,
    keep_counts: bool = False,
    decimal_comma: bool = False,
    row_offset: int = 0,
    answer_codes: bool = False,
    locate: Callable[[int], str | None] | None = None,
) -> ScoreResult:
    """Score every row of ``frame`` with ``instrument``.

    Parameters
    ----------
    frame
        Item responses, one row per administration; other columns are passed through.
    min_answered
        Overrides the instrument's fraction of items that must be answered.
    invalid
        ``"error"`` (default): any invalid cell raises :class:`DataError` listing the cells.
        ``"missing"``: invalid cells become missing and are counted in the result.
    answer_codes
        Read answer codes ``A1``, ``A2``, ... (LimeSurvey) as the 1st, 2nd, ... value of each
        item's (discrete) scale; pass ``table.meta.get("answer_codes", False)``.
    locate
        Where a data row is in the file (:meth:`wamkit.io.Table.locate`), for messages such as
        ``row 3 (line 6)`` on files with rows above their data.

    Returns
    -------
    ScoreResult
    """
    import pandas as pd

    res = score_columns(
        frame,
        instrument,
        source=source,
        column_map=column_map,
        column_template=column_template,
        min_answered=min_answered,
        invalid=invalid,
        keep_items=keep_items,
        keep_counts=keep_counts,
        decimal_comma=decimal_comma,
        row_offset=row_offset,
        answer_codes=answer_codes,
        locate=locate,
    )
    out: dict[str, Any] = {c: frame[c] for c in res.passthrough}
    out.update(res.columns)
    result_frame = pd.DataFrame(out, index=frame.index)
    subscales = {s.id for s in instrument.subscales}
    summary = tuple(
        summarise_scale(sid, "subscale" if sid in subscales else "total", res.scores[sid])
        for sid in instrument.score_ids
    )
    return ScoreResult(
        scores=result_frame,
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        score_ids=tuple(instrument.score_ids),
        rows_read=len(frame),
        rows_scored=res.rows_scored,
        n_invalid=res.items.n_invalid,
        invalid_policy=invalid,
        straightlined=res.straightlined,
        scales=summary,
        problems=res.items.problems,
        min_answered=res.min_answered,
    )


class ScoreMoments:
    """Mergeable n/mean/M2/min/max of a score column (Chan et al. parallel update): one
    summary for the in-memory path (one batch) and the streaming path (one batch per chunk)."""

    def __init__(self) -> None:
        self.n, self.mean, self.m2, self.missing = 0, 0.0, 0.0, 0
        self.min, self.max = math.inf, -math.inf

    def add(self, x: np.ndarray) -> ScoreMoments:
        ok = x[~np.isnan(x)]
        self.missing += int(x.size - ok.size)
        if not ok.size:
            return self
        n_b, mean_b = ok.size, float(ok.mean())
        m2_b = float(((ok - mean_b) ** 2).sum())
        n = self.n + n_b
        delta = mean_b - self.mean
        self.mean += delta * n_b / n
        self.m2 += m2_b + delta * delta * self.n * n_b / n
        self.n = n
        self.min, self.max = min(self.min, float(ok.min())), max(self.max, float(ok.max()))
        return self

    def summary(self, sid: str, kind: str) -> ScaleSummary:
        n = self.n
        return ScaleSummary(
            id=sid,
            kind=kind,
            n=n,
            missing=self.missing,
            mean=self.mean if n else math.nan,
            sd=math.sqrt(self.m2 / (n - 1)) if n > 1 else math.nan,
            min=self.min if n else math.nan,
            max=self.max if n else math.nan,
        )


def summarise_scale(sid: str, kind: str, x: np.ndarray) -> ScaleSummary:
    return ScoreMoments().add(x).summary(sid, kind)


# --------------------------------------------------------------------------- worked examples


@dataclass(frozen=True)
class ExampleCheck:
    instrument_id: str
    example: int
    score_id: str
    expected: float | None
    got: float | None
    ok: bool


def check_examples(instrument: Instrument, *, tol: float = 1e-9) -> list[ExampleCheck]:
    """Score each worked example in the instrument file and compare with its expected scores."""
    out = []
    cols = resolve_columns(instrument)
    for n, ex in enumerate(instrument.examples, start=1):
        row = {cols[i]: ex.responses.get(i) for i in instrument.item_ids}
        import pandas as pd

        frame = pd.DataFrame([row], dtype=object)
        try:
            res = score(frame, instrument, source=f"{instrument.id} example {n}")
        except DataError as e:
            out.append(ExampleCheck(instrument.id, n, f"(error: {e.message})", None, None, False))
            continue
        for sid, expected in ex.scores.items():
            got = float(res.scores[sid].iloc[0])
            got_v = None if math.isnan(got) else got
            if expected is None:
                ok = got_v is None
            else:
                ok = got_v is not None and abs(got_v - float(expected)) <= tol * max(1.0, abs(float(expected)))
            out.append(ExampleCheck(instrument.id, n, sid, expected, got_v, ok))
    return out
