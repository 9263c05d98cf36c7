"""The one read path: study (or settings) -> long data -> filtered rows -> scores.

Every command (``score``, ``inspect``, ``validate``, ``outcomes``, ``dyads``, ``report``,
``shorten``) and the Python API read data here:

1. :func:`read` reads the data file of a :class:`~wamkit.design.study.Study` (any
   export format, any header row), turns a wide file into long rows, checks the design
   columns against the data (naming the study file's line when they do not fit),
   normalises role and wave values (``Client`` -> ``client``; labelled SPSS codes arrive
   as text), applies the ``where`` filters and says how many rows each removed;
2. :func:`score_data` scores every row with its role's instrument.

The result, :class:`StudyData`, carries the long frame, the resolved design, the
instruments and the tables read (for provenance).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from wamkit.design.study import Design, Study, load_study, study_from_options
from wamkit.errors import DataError, DataProblem, UsageError, raise_problems
from wamkit.instrument import Instrument, load_instrument
from wamkit.io import Table, read_table
from wamkit.io.cells import row_numbers, text_values
from wamkit.results import Result, to_jsonable

__all__ = [
    "StudyData",
    "join_check",
    "number_values",
    "read",
    "read_outcomes",
    "read_scores",
    "role_columns",
    "row_numbers",
    "score_data",
    "text_values",
]


@dataclass(frozen=True)
class StudyData(Result):
    """Long data of a study, ready for analysis.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per person × role × wave (after ``where``), ``RangeIndex``; item columns
        as read, design columns as text.
    design : Design
        The resolved design (column names, role values, wave order).
    instruments : dict
        Role value -> instrument (key ``None``: one instrument for every row).
    study : Study
    rows : numpy.ndarray
        1-based data row of the source file for each row of ``frame`` (for messages).
    tables : tuple of Table
        The files read, for provenance.
    notes : tuple of str
        What reading did besides reading: rows removed by each filter, wide blocks
        without answers, export rows dropped (Qualtrics question texts, previews).
    """

    frame: pd.DataFrame
    design: Design
    instruments: Mapping[str | None, Instrument]
    study: Study
    rows: np.ndarray
    tables: tuple[Table, ...]
    notes: tuple[str, ...] = ()
    filters: tuple[str, ...] = ()
    rows_read: int = 0
    wide: Any = None
    document_builder = "wamkit.render.reports.design:study_data_document"

    @property
    def source(self) -> str:
        return self.tables[0].source if self.tables else self.study.data.path

    def instrument_for(self, role_value: str | None) -> Instrument:
        if None in self.instruments:
            return self.instruments[None]
        if role_value not in self.instruments:
            raise UsageError(f"no instrument for role '{role_value}'")
        return self.instruments[role_value]

    def role_rows(self, role_value: str | None) -> np.ndarray:
        """Positions of the rows of one role (every row for ``None``)."""
        col = self.design.role
        if role_value is None or col is None:
            return np.arange(len(self.frame))
        return np.flatnonzero((self.frame[col] == role_value).to_numpy(dtype=bool, na_value=False))

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(
            {
                "study": self.study.id,
                "source": self.source,
                "layout": self.study.layout,
                "rows_read": self.rows_read,
                "rows": len(self.frame),
                "filters": list(self.filters),
                "design": self.design.to_dict(),
                "instruments": {str(k): v.id for k, v in self.instruments.items()},
                "notes": list(self.notes),
            }
        )

    def to_frames(self) -> dict[str, pd.DataFrame]:
        return {"data": self.frame}


# --------------------------------------------------------------------------- reading


def _resolve_study(source: Any, study: Study | str | None, settings: Mapping[str, Any]) -> Study:
    if isinstance(study, str) or (study is not None and not isinstance(study, Study)):
        study = load_study(study)
    if isinstance(source, Study):
        study, source = source, None
    if study is None:
        return study_from_options(None if source is None else str(source), **settings)
    overrides = {k: v for k, v in settings.items() if v is not None and k not in ("instruments",)}
    data = study.data
    file_changes: dict[str, Any] = {k: overrides.pop(k) for k in ("sheet", "header_row") if k in overrides}
    if "input_format" in overrides:
        file_changes["format"] = overrides.pop("input_format")
    if source is not None:
        file_changes["path"] = str(source)
    elif data.path:
        file_changes["path"] = study.resolve(data.path)
    study = study.replace(data=dataclasses.replace(data, **file_changes))
    design_keys = {"dyad", "officer", "person", "wave"}
    design_changes = {k: overrides.pop(k) for k in list(overrides) if k in design_keys}
    if "rater" in overrides:
        design_changes["role"] = overrides.pop("rater")
    if "wave_order" in overrides:
        design_changes["waves"] = tuple(overrides.pop("wave_order"))
    if "covariates" in overrides and overrides["covariates"]:
        design_changes["covariates"] = tuple(overrides.pop("covariates"))
    study = study.with_design(**design_changes)
    instruments = settings.get("instruments")
    if instruments:
        study = _override_instruments(study, instruments)
    extra = {k: v for k, v in overrides.items() if k in ("column_map", "columns") and v}
    return study.replace(**extra) if extra else study


def _override_instruments(study: Study, instruments: Mapping[str | None, str]) -> Study:
    if None in instruments and len(instruments) == 1:
        return study.replace(
            instrument=instruments[None],
            design=dataclasses.replace(
                study.design, roles=tuple(dataclasses.replace(r, instrument=None) for r in study.design.roles)
            ),
        )
    roles = list(study.design.roles)
    for value, ref in instruments.items():
        for i, r in enumerate(roles):
            if value in (r.value, r.key, r.label):
                roles[i] = dataclasses.replace(r, instrument=ref)
                break
        else:
            raise UsageError(
                f"instrument for '{value}': the study has no role with that value "
                f"(roles: {', '.join(r.value for r in roles)})"
            )
    return study.replace(design=dataclasses.replace(study.design, roles=tuple(roles)))


def _instruments(study: Study) -> dict[str | None, Instrument]:
    roles = study.design.roles
    out: dict[str | None, Instrument] = {}
    if roles and any(r.instrument for r in roles):
        for r in roles:
            ref = study.instrument_ref(r)
            if ref is None:
                raise study.error("no instrument: give one for every role (or one for the study)", "roles", r.key)
            out[r.value] = load_instrument(ref)
        return out
    ref = study.instrument_ref()
    if ref is None:
        raise UsageError("give an instrument (instrument=ID, or per role in the study file)")
    return {None: load_instrument(ref)}


def _item_columns(study: Study, instruments: Mapping[str | None, Instrument]) -> dict[str, set[str]]:
    from wamkit.scoring import resolve_columns

    out: dict[str, set[str]] = {}
    for value, ins in instruments.items():
        spec = next((r for r in study.design.roles if r.value == value), None)
        cmap = dict(study.column_map)
        cmap.update(spec.column_map if spec else {})
        template = (spec.columns if spec and spec.columns else None) or study.columns
        out["" if value is None else value] = set(
            resolve_columns(ins, column_map=cmap, column_template=template).values()
        )
    return out


def number_values(col: pd.Series, decimal_comma: bool = False) -> pd.Series | None:
    """A column as floats (NaN for blanks) when every non-blank cell is a number, else None.

    Text cells are trimmed; with ``decimal_comma`` a comma is the decimal mark (``2,5``).
    """
    if pd.api.types.is_bool_dtype(col.dtype):
        return col.astype("Float64").astype(float)
    if pd.api.types.is_numeric_dtype(col.dtype):
        return pd.Series(col.astype("Float64").to_numpy(dtype=float, na_value=np.nan), index=col.index)
    s = col.astype("string").str.strip()
    s = s.mask(s == "")
    if s.isna().all():
        return pd.Series(np.full(len(col), np.nan), index=col.index)
    if decimal_comma:
        s = s.str.replace(",", ".", regex=False)
    num = pd.to_numeric(s, errors="coerce")
    if bool((num.isna() & s.notna()).any()):
        return None
    return pd.Series(np.asarray(num, dtype=float), index=col.index)


def _missing_column(study: Study, column: str, key: tuple[str, ...], table: Table, frame: pd.DataFrame) -> Exception:
    cols = ", ".join(map(str, list(frame.columns)[:12])) + (" ..." if frame.shape[1] > 12 else "")
    msg = f"column '{column}' is not in {table.source} (columns: {cols})"
    if study.path is None:
        return UsageError(f"{key[-1]}: {msg}")
    return study.error(msg, *key)


def _check_columns(study: Study, frame: pd.DataFrame, table: Table) -> None:
    d = study.design
    checks: list[tuple[str | None, tuple[str, ...]]] = [
        (d.dyad, ("ids", "dyad") if study.path else ("dyad",)),
        (d.officer, ("ids", "officer") if study.path else ("officer",)),
        (d.person, ("ids", "person") if study.path else ("person",)),
    ]
    if study.layout == "long":
        checks += [
            (d.role, ("roles", "column") if study.path else ("rater",)),
            (d.wave, ("waves", "column") if study.path else ("wave",)),
        ]
    for column, key in checks:
        if column is not None and column not in frame.columns:
            raise _missing_column(study, column, key, table, frame)


def _normalise(
    frame: pd.DataFrame,
    column: str,
    allowed: Sequence[str],
    study: Study,
    key: tuple[str, ...],
    what: str,
    table: Table,
    rows: np.ndarray,
) -> pd.Series:
    """Values of a design column matched (trimmed, case-insensitively) to the declared values."""
    text = text_values(frame[column])
    if not allowed:
        return text
    lower = {a.lower(): a for a in allowed}
    mapped = text.str.lower().map(lower).astype("string")
    bad = text.notna() & mapped.isna()
    if bad.any():
        values = sorted(set(text[bad].tolist()))
        first = int(np.flatnonzero(bad.to_numpy())[0])
        where = f"{table.source}, row {rows[first]}, column {column}: value {text.iloc[first]!r}"
        if what == "role" and study.path is None:
            msg = (
                f"{where} has no instrument ({int(bad.sum())} rows; values without an instrument: "
                f"{', '.join(values[:8])}); give an instrument for it or filter with where"
            )
        else:
            msg = (
                f"{where} is not a declared {what} ({', '.join(allowed)}); values not declared: "
                f"{', '.join(values[:8])} ({int(bad.sum())} rows); declare them or filter with where"
            )
        if study.path is not None:
            raise study.error(msg, *key)
        raise DataError(msg)
    return mapped.where(mapped.notna(), text)


def _source_rows(table: Table, positions: np.ndarray | None = None) -> np.ndarray:
    idx = row_numbers(table.frame.index)
    return idx if positions is None else idx[positions]


def read(
    source: Any = None,
    *,
    study: Study | str | None = None,
    instrument: str | Instrument | Mapping[str | None, str] | None = None,
    where: Sequence[str] = (),
    **settings: Any,
) -> StudyData:
    """Read a study's data: the shared read path of every command and of the Python API.

    Parameters
    ----------
    source : str, Study or None
        The data file; or a :class:`Study`; ``None`` with ``study`` reads the study's data file.
    study : Study or str, optional
        A study (or the path of a study file) declaring the design.
    instrument : str, Instrument or mapping, optional
        One instrument for every row, or role value -> instrument (overrides the study's).
    where : sequence of str
        Row filters (``wave=T0``, ``rater!=professional``, ``wave=T0,T1``, ``Progress>=100``),
        applied after the study's own ``where``.
    **settings
        Design and reading overrides: ``rater``, ``dyad``, ``officer``, ``person``, ``wave``,
        ``wave_order``, ``client_value``, ``professional_value``, ``sheet``, ``header_row``,
        ``input_format``, ``column_map``, ``columns``, ``covariates``.

    Returns
    -------
    StudyData
    """
    from wamkit.io.filters import filter_mask, parse_filters

    if isinstance(instrument, Instrument):
        instruments_arg: Mapping[str | None, Any] | None = {None: instrument}
    elif isinstance(instrument, str):
        instruments_arg = {None: instrument}
    else:
        instruments_arg = instrument
    loaded = {k: v for k, v in (instruments_arg or {}).items() if isinstance(v, Instrument)}
    refs = {k: v for k, v in (instruments_arg or {}).items() if not isinstance(v, Instrument)}
    if loaded and not refs:
        refs = {k: v.id for k, v in loaded.items()}
    study_obj = _resolve_study(source, study, {**settings, "instruments": refs or None})
    instruments = _instruments(study_obj) if not loaded else dict(loaded)
    item_cols = _item_columns(study_obj, instruments)
    infer = set().union(*item_cols.values()) if item_cols else set()
    table = _read_table(study_obj, infer)
    frame, rows, wide, notes = _to_long(study_obj, table, instruments, item_cols)
    design = study_obj.design
    if design.role is not None and design.role in frame.columns and design.roles:
        frame[design.role] = _normalise(
            frame, design.role, [r.value for r in design.roles], study_obj, ("roles",), "role", table, rows
        )
    if design.wave is not None and design.wave in frame.columns:
        frame[design.wave] = _normalise(
            frame, design.wave, list(design.waves), study_obj, ("waves", "order"), "wave", table, rows
        )
        if not design.waves:
            present = frame[design.wave].dropna()
            labelled = [str(v) for v in table.meta.get("label_order", {}).get(design.wave, ())]
            order = [w for w in labelled if (present == w).any()] or design.ordered_waves(present)
            design = dataclasses.replace(design, waves=tuple(order))
    _check_roles(study_obj, frame, design, instruments, table, rows)
    filters = [*study_obj.where, *where]
    if filters:
        parsed = parse_filters(filters)
        mask, removed = filter_mask(frame, parsed, table.source)
        notes += tuple(removed)
        frame, rows = frame.loc[mask].reset_index(drop=True), rows[mask]
    return StudyData(
        frame=frame,
        design=design,
        instruments=instruments,
        study=study_obj.replace(design=design),
        rows=rows,
        tables=(table,),
        notes=tuple(notes),
        filters=tuple(filters),
        rows_read=len(table.frame),
        wide=wide,
    )


def read_scores(
    source: Any = None, *, where: Sequence[str] = (), text_columns: Sequence[str] = (), **settings: Any
) -> StudyData:
    """Read a file that already holds scores (``wamkit score`` output) on the shared read path.

    Like :func:`read` without an instrument: the design columns (``rater``, ``wave``, ``dyad``,
    ``officer``, ``person``) are checked and kept as text (waves matched to ``wave_order``),
    ``where`` filters apply, and every other column whose cells are all numbers becomes float
    (``text_columns``, e.g. join keys, stay text so that ``007`` keeps its zeros).
    ``instruments`` of the result is empty.
    """
    from wamkit.io.filters import filter_mask, parse_filters

    study = _resolve_study(source, None, settings)
    spec = study.data
    kwargs: dict[str, Any] = {"all_text": True, "sheet": spec.sheet, "format": spec.format}
    if spec.header_row is not None:
        kwargs["header_row"] = spec.header_row
    table = read_table(spec.path, **kwargs)
    raw: pd.DataFrame = table.frame
    frame, rows = raw.reset_index(drop=True), _source_rows(table)
    _check_columns(study, frame, table)
    design = dataclasses.replace(study.design, roles=())
    keep = {c for c in (design.dyad, design.officer, design.person, design.role, design.wave) if c} | set(text_columns)
    for c in keep & set(frame.columns):
        frame[c] = text_values(frame[c])
    if design.wave is not None:
        frame[design.wave] = _normalise(
            frame, design.wave, list(design.waves), study, ("waves", "order"), "wave", table, rows
        )
        design = dataclasses.replace(design, waves=tuple(design.ordered_waves(frame[design.wave].dropna())))
    notes: list[str] = list(table.meta.get("notes", ()))
    if where:
        mask, removed = filter_mask(frame, parse_filters(where), table.source)
        notes += removed
        frame, rows = frame.loc[mask].reset_index(drop=True), rows[mask]
    for c in frame.columns:
        if c not in keep:
            v = number_values(frame[c], table.decimal_comma)
            if v is not None and v.notna().any():
                frame[c] = v.to_numpy(dtype=float)
    return StudyData(
        frame=frame,
        design=design,
        instruments={},
        study=study.replace(design=design),
        rows=rows,
        tables=(table,),
        notes=tuple(notes),
        filters=tuple(where),
        rows_read=len(raw),
    )


def _read_table(study: Study, infer: set[str]) -> Table:
    spec = study.data
    kwargs: dict[str, Any] = {"infer_columns": infer, "sheet": spec.sheet, "format": spec.format}
    if spec.header_row is not None:
        kwargs["header_row"] = spec.header_row
    return read_table(spec.path, **kwargs)


def _to_long(
    study: Study, table: Table, instruments: Mapping[str | None, Instrument], item_cols: Mapping[str, set[str]]
) -> tuple[pd.DataFrame, np.ndarray, Any, list[str]]:
    from wamkit.design.layout import wide_to_long

    frame = table.frame
    notes: list[str] = list(table.meta.get("notes", ()))
    if study.layout != "wide":
        _check_columns(study, frame, table)
        return frame.reset_index(drop=True), _source_rows(table), None, notes
    d = study.design
    assert study.wide_pattern is not None and d.role is not None
    labels = {r.label: r.value for r in d.roles}
    long, pos, layout, empty = wide_to_long(
        frame,
        pattern=study.wide_pattern,
        role_labels=labels,
        role_column=d.role,
        waves=d.waves,
        wave_column=d.wave,
        item_columns=item_cols,
        role_order=[r.value for r in d.roles],
    )
    if empty:
        notes.append(f"{empty} role × wave blocks of {table.source} hold no answer and give no row")
    _check_columns(study, long, table)
    return long, _source_rows(table, pos), layout, notes


def _check_roles(
    study: Study,
    frame: pd.DataFrame,
    design: Design,
    instruments: Mapping[str | None, Instrument],
    table: Table,
    rows: np.ndarray,
) -> None:
    """Every row belongs to a role with an instrument (no silently dropped rows); declared values occur."""
    if None in instruments or design.role is None:
        return
    col = frame[design.role]
    missing = col.isna().to_numpy()
    if missing.any():
        first = int(np.flatnonzero(missing)[0])
        raise DataError(
            f"{table.source}, row {rows[first]}, column {design.role}: the role is blank "
            f"({int(missing.sum())} rows); filter them out with where or fill them in"
        )
    no_instrument = ~col.isin(list(instruments)).to_numpy()
    if no_instrument.any():
        first = int(np.flatnonzero(no_instrument)[0])
        others = sorted(set(col[no_instrument].tolist()))
        raise DataError(
            f"{table.source}, row {rows[first]}, column {design.role}: value {col.iloc[first]!r} has "
            f"no instrument ({int(no_instrument.sum())} rows; values without an instrument: "
            f"{', '.join(others[:10])}); give an instrument for it or filter with where"
        )
    if study.path is not None:
        for r in design.roles:
            if r.value in instruments and not (col == r.value).any():
                raise study.error(
                    f"value '{r.value}' does not occur in column '{design.role}' of {table.source}",
                    "roles",
                    r.key,
                    "value",
                )
        present = set(frame[design.wave].dropna()) if design.wave is not None and design.wave in frame else set()
        for i, w in enumerate(design.waves):
            if present and w not in present:
                raise study.error(f"wave '{w}' does not occur in {table.source}", "waves", "order", i)


# --------------------------------------------------------------------------- scoring


def score_data(
    data: StudyData,
    *,
    keep_items: bool = False,
    keep_counts: bool = False,
    invalid: str | None = None,
    min_answered: float | None = None,
) -> Any:
    """Score every row of ``data`` with its role's instrument (see :func:`wamkit.scoring.score`).

    Returns a :class:`wamkit.scoring.ScoreResult` whose ``scores`` frame has ``data.frame``'s
    rows in order: every non-item column unchanged, then one column per score id (the union
    over the instruments; NaN where a row's instrument has no such score). Invalid cells are
    reported with the source file's row and column (in a wide file, the wide column).
    """
    from wamkit.scoring import ScoreResult, resolve_columns, score
    from wamkit.scoring.core import summarise_scale

    policy = invalid or data.study.invalid or "error"
    if policy not in ("error", "missing"):
        raise UsageError(f"invalid must be 'error' or 'missing', not {policy!r}")
    min_ans = min_answered if min_answered is not None else data.study.min_answered
    frame = data.frame
    item_cols: set[str] = set()
    score_ids: list[str] = []
    parts: list[tuple[np.ndarray, pd.DataFrame]] = []
    problems: list[DataProblem] = []
    n_invalid = straight = 0
    used: dict[str, float] = {}
    for value, ins, rows, block in _score_blocks(data):
        cmap, template = role_columns(data.study, value)
        item_cols |= set(resolve_columns(ins, column_map=cmap, column_template=template).values())
        score_ids += [s for s in ins.score_ids if s not in score_ids]
        if rows.size == 0:
            continue
        sub = frame.iloc[rows].set_axis(data.rows[rows] - 1)
        res = score(
            sub,
            ins,
            source=data.source,
            column_map=cmap,
            column_template=template,
            min_answered=min_ans,
            invalid="missing",
            keep_items=keep_items,
            keep_counts=keep_counts,
            decimal_comma=data.tables[0].decimal_comma,
            answer_codes=bool(data.tables[0].meta.get("answer_codes", False)),
            locate=data.tables[0].locate,
        )
        problems += [_relocate(p, data, block) for p in res.problems]
        n_invalid += res.n_invalid
        straight += res.straightlined
        used.update(res.min_answered)
        parts.append((rows, res.scores.reset_index(drop=True)))
    if n_invalid and policy == "error":
        problems.sort(key=lambda p: (p.row or 0, str(p.column)))
        raise_problems(problems, f"{data.source}: invalid item values", total=n_invalid)
    combined = _combine(parts, len(frame), frame, item_cols, score_ids)
    subscale_ids = {s.id for ins in data.instruments.values() for s in ins.subscales}
    summary = tuple(
        summarise_scale(sid, "subscale" if sid in subscale_ids else "total", combined[sid].to_numpy(dtype=float))
        for sid in score_ids
    )
    mat = combined[score_ids].to_numpy(dtype=float)
    ins_list = list(data.instruments.items())
    return ScoreResult(
        scores=combined,
        instrument_id=",".join(f"{k}={v.id}" if k is not None else v.id for k, v in ins_list),
        instrument_version=",".join(v.version for _, v in ins_list),
        score_ids=tuple(score_ids),
        rows_read=len(frame),
        rows_scored=int((~np.isnan(mat)).any(axis=1).sum()),
        n_invalid=n_invalid,
        invalid_policy=policy,
        straightlined=straight,
        scales=summary,
        problems=tuple(problems),
        min_answered=used,
    )


def role_columns(study: Study, value: str | None) -> tuple[dict[str, str], str | None]:
    spec = next((r for r in study.design.roles if r.value == value), None)
    cmap = dict(study.column_map)
    cmap.update(spec.column_map if spec else {})
    return cmap, (spec.columns if spec and spec.columns else None) or study.columns


def _score_blocks(data: StudyData):
    """(role value, instrument, row positions, (role, wave) of a wide block or None) to score together."""
    d = data.design
    groups = (
        [(None, data.instruments[None], np.arange(len(data.frame)))]
        if None in data.instruments
        else [(v, ins, data.role_rows(v)) for v, ins in data.instruments.items()]
    )
    if data.wide is None or d.wave is None:
        for v, ins, rows in groups:
            yield v, ins, rows, None
        return
    waves = data.frame[d.wave].to_numpy(dtype=object)
    for v, ins, rows in groups:
        for w in pd.unique(waves[rows]):
            sel = rows[waves[rows] == w]
            yield v, ins, sel, (v, w)


def _relocate(p: DataProblem, data: StudyData, block: tuple[Any, Any] | None) -> DataProblem:
    """Name the wide file's column in a problem found in a long column."""
    if block is None or data.wide is None or p.column is None:
        return p
    return dataclasses.replace(p, column=data.wide.source_column(block[0], block[1], str(p.column)))


def _combine(
    parts: list[tuple[np.ndarray, pd.DataFrame]], n: int, frame: pd.DataFrame, item_cols: set[str], score_ids: list[str]
) -> pd.DataFrame:
    """Scores of all blocks back in the frame's row order; the union of their columns."""
    passthrough = [c for c in frame.columns if c not in item_cols]
    clash = [sid for sid in score_ids if sid in passthrough]
    if clash:
        raise UsageError(
            f"the data already have a column named '{clash[0]}', which is also a score id; rename that column"
        )
    out = {c: frame[c].reset_index(drop=True) for c in passthrough}
    extra: list[str] = []
    for _, part in parts:
        extra += [c for c in part.columns if c not in passthrough and c not in score_ids and c not in extra]
    for col in [*score_ids, *extra]:
        values = np.full(n, np.nan)
        for rows, part in parts:
            if col in part.columns:
                values[rows] = part[col].to_numpy(dtype=float)
        out[col] = pd.Series(values)
    return pd.DataFrame(out)


# --------------------------------------------------------------------------- outcomes


def read_outcomes(
    data: StudyData,
    path: str | None = None,
    *,
    on: Mapping[str, str] | None = None,
    sheet: str | None = None,
    header_row: int | None = None,
    input_format: str | None = None,
) -> tuple[pd.DataFrame, Table, dict[str, str]]:
    """Read the outcomes file (of the study, or ``path``), every column as text.

    Returns the frame with its key columns renamed to the data's names (``on``: data column
    -> outcomes column, names may differ), the table, and the ``on`` mapping used.
    """
    spec = data.study.outcomes
    if path is None:
        if spec is None:
            raise UsageError("give an outcomes file (outcomes=PATH, or outcomes: in the study file)")
        path = data.study.resolve(spec.file.path)
        sheet = sheet or spec.file.sheet
        header_row = header_row or spec.file.header_row
        input_format = input_format or spec.file.format
    keys = dict(on or (spec.on if spec is not None and spec.on else {}))
    if not keys:
        if data.design.dyad is None:
            raise UsageError("give the join key (on=..., or dyad=, or outcomes.on in the study file)")
        keys = {data.design.dyad: data.design.dyad}
    kwargs: dict[str, Any] = {"all_text": True, "sheet": sheet, "format": input_format}
    if header_row is not None:
        kwargs["header_row"] = header_row
    table = read_table(path, **kwargs)
    frame = table.frame
    for data_col, out_col in keys.items():
        if out_col not in frame.columns:
            cols = ", ".join(map(str, list(frame.columns)[:12]))
            msg = f"column '{out_col}' is not in {table.source} (columns: {cols})"
            if data.study.path is not None and spec is not None and spec.on:
                raise data.study.error(msg, "outcomes", "on", data_col)
            raise UsageError(f"on: {msg}")
    rename = {o: d for d, o in keys.items() if o != d}
    clash = [(o, d) for o, d in rename.items() if d in frame.columns]
    if clash:
        msg = (
            f"{table.source} has a column '{clash[0][1]}' besides '{clash[0][0]}', which is joined as "
            f"'{clash[0][1]}'; join on '{clash[0][1]}' or rename one of them"
        )
        if data.study.path is not None and spec is not None and spec.on:
            raise data.study.error(msg, "outcomes", "on")
        raise UsageError(f"on: {msg}")
    return frame.rename(columns=rename), table, keys


def join_check(data: StudyData, outcomes: pd.DataFrame, keys: Mapping[str, str]) -> int:
    """Number of data keys that find an outcomes row (0 -> a study error naming outcomes.on)."""
    cols = list(keys)
    left = pd.MultiIndex.from_frame(pd.DataFrame({c: text_values(data.frame[c]) for c in cols}))
    right = pd.MultiIndex.from_frame(pd.DataFrame({c: text_values(outcomes[c]) for c in cols}))
    return int(left.isin(right).sum())
