"""Step 2: join the scores to the outcomes on the key column(s), reporting both directions.

Keys (``on``; :func:`wamkit.design.read.read_outcomes` has already renamed differently named keys
of the outcomes file to the data's names) are compared as trimmed text. The outcomes table holds
at most one row per key (duplicates are an error naming their rows); the data may hold several
(rater x wave rows). Rows on either side without a partner are counted and reported (``join``)
with a warning; no joined row at all is an error. A non-key column present in both tables is kept
once (the data's) when the two agree on every joined row; otherwise the data's keeps the name and
the outcomes version is added as ``<column>_outcomes``, and outcome/event/time names refer to the
outcomes version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from wamkit.design.read import number_values
from wamkit.errors import DataError, UsageError
from wamkit.io.cells import text_values

__all__ = ["Joined", "join"]

KEY = "\x00key"


@dataclass(frozen=True)
class Joined:
    """The joined rows (one per joined data row; the key as text in column :data:`KEY`), the join
    report, warnings and the renamed outcome columns."""

    frame: pd.DataFrame
    report: dict
    warnings: tuple[str, ...]
    renamed: dict[str, str] = field(default_factory=dict)

    def column(self, name: str) -> str:
        """The joined column holding an outcome-file column (``<name>_outcomes`` when the files differ)."""
        return self.renamed.get(name, name)


def _keys(frame: pd.DataFrame, on: Sequence[str]) -> pd.Series:
    cols = [text_values(frame[c]) for c in on]
    k = cols[0]
    if len(cols) > 1:
        k = k.str.cat(pd.concat(cols[1:], axis=1), sep=" / ")
    return k.reset_index(drop=True)


def _check_on(
    data: pd.DataFrame, outcomes: pd.DataFrame, on: Sequence[str], data_source: str, outcomes_source: str
) -> None:
    for c in on:
        for frame, source in ((data, data_source), (outcomes, outcomes_source)):
            if c not in frame.columns:
                raise UsageError(
                    f"on {c}: {source} has no column '{c}' (columns: {', '.join(map(str, frame.columns[:15]))})"
                )


def _duplicates(keys: pd.Series, rows: np.ndarray, on: Sequence[str], source: str) -> None:
    dup = keys.duplicated(keep=False) & keys.notna()
    if not dup.any():
        return
    found = list(dict.fromkeys(keys[dup].tolist()))
    shown = "; ".join(
        f"'{k}' (rows {', '.join(str(r) for r in rows[(keys == k).to_numpy(dtype=bool)])})" for k in found[:5]
    )
    raise DataError(
        f"{source}: duplicate key(s) on {', '.join(on)}: {shown}"
        + (f" and {len(found) - 5} more" if len(found) > 5 else "")
        + "; the outcomes file must hold one row per key"
    )


def _same(a: pd.Series, b: pd.Series) -> bool:
    na, nb = number_values(a), number_values(b)
    if na is not None and nb is not None:  # numbers: compare as numbers
        x, y = na.to_numpy(dtype=float), nb.to_numpy(dtype=float)
        return bool(np.all((x == y) | (np.isnan(x) & np.isnan(y))))
    ta, tb = text_values(a), text_values(b)
    return bool(((ta == tb).fillna(False) | (ta.isna() & tb.isna())).all())


def _merge_columns(
    left: pd.DataFrame,
    right: pd.DataFrame,
    on: Sequence[str],
    keep_outcome: set[str],
    data_source: str,
    outcomes_source: str,
) -> tuple[dict[str, str], dict[str, str]]:
    shared: dict[str, str] = {}
    rename: dict[str, str] = {}
    for c in right.columns:
        if c in on:
            continue
        if c not in left.columns:
            left[c] = right[c]
        elif _same(left[c], right[c]):
            shared[c] = "identical in both files: kept once"
            if c in keep_outcome:  # an outcome: use the outcomes file's values
                left[c] = right[c]
        else:
            new = f"{c}_outcomes"
            shared[c] = f"differs between the files: {data_source}'s kept as '{c}', {outcomes_source}'s as '{new}'"
            left[new] = right[c]
            rename[c] = new
    return shared, rename


def _warnings(
    n_data: int,
    n_joined: int,
    n_blank: int,
    d_unjoined: list,
    o_rows: int,
    o_unjoined: list,
    o_blank: int,
    data_source: str,
    outcomes_source: str,
) -> list[str]:
    warns = []
    if n_data - n_joined:
        warns.append(
            f"{n_data - n_joined} of {n_data} rows of {data_source} have no match in "
            f"{outcomes_source} and are left out"
            + (f" ({n_blank} with a blank key)" if n_blank else "")
            + (f"; keys e.g. {', '.join(map(repr, d_unjoined[:5]))}" if d_unjoined else "")
        )
    if o_unjoined:
        warns.append(
            f"{len(o_unjoined)} of {o_rows} rows of {outcomes_source} have no match in "
            f"{data_source}; keys e.g. {', '.join(map(repr, o_unjoined[:5]))}"
        )
    if o_blank:
        warns.append(f"{o_blank} rows of {outcomes_source} have a blank key and are left out")
    return warns


def join(
    data: pd.DataFrame,
    outcomes: pd.DataFrame,
    on: Sequence[str],
    *,
    outcome_rows: np.ndarray,
    data_source: str = "data",
    outcomes_source: str = "outcomes",
    keep_outcome: Sequence[str] | set[str] = (),
) -> Joined:
    """Join ``data`` to ``outcomes`` on ``on`` (see the module docstring).

    ``outcome_rows`` are the 1-based file rows of the outcomes frame (for messages);
    ``keep_outcome`` names the outcome columns taken from the outcomes table when a column of the
    same name in the data agrees with it.
    """
    _check_on(data, outcomes, on, data_source, outcomes_source)
    dk, ok_ = _keys(data, on), _keys(outcomes, on)
    _duplicates(ok_, outcome_rows, on, outcomes_source)
    o_valid = ok_.notna().to_numpy()
    index = pd.Index(ok_[o_valid].to_numpy(dtype=object))
    d_missing = dk.isna().to_numpy()
    hit = index.get_indexer(np.where(d_missing, "\x00<missing>", dk.to_numpy(dtype=object)))
    joined = hit >= 0
    n_joined = int(joined.sum())
    if n_joined == 0:
        raise DataError(
            f"no row of {data_source} matches a key of {outcomes_source} on {', '.join(on)} "
            f"({data_source} keys e.g. {', '.join(repr(k) for k in dk.dropna().unique()[:3])}; "
            f"{outcomes_source} keys e.g. {', '.join(repr(k) for k in ok_.dropna().unique()[:3])})"
        )
    d_unjoined = list(dict.fromkeys(dk[~joined & ~d_missing].tolist()))
    matched = set(dk[joined].tolist())
    o_unjoined = ok_[o_valid & ~ok_.isin(matched).to_numpy()].tolist()
    left = data.iloc[np.flatnonzero(joined)].reset_index(drop=True)
    right = outcomes.iloc[np.flatnonzero(o_valid)[hit[joined]]].reset_index(drop=True)
    shared, rename = _merge_columns(left, right, on, set(keep_outcome), data_source, outcomes_source)
    o_blank = int((~o_valid).sum())
    warns = _warnings(
        len(dk), n_joined, int(d_missing.sum()), d_unjoined, len(ok_), o_unjoined, o_blank, data_source, outcomes_source
    )
    report = {
        "on": list(on),
        "data_rows": len(dk),
        "data_rows_joined": n_joined,
        "data_rows_not_joined": int(len(dk) - n_joined),
        "data_rows_blank_key": int(d_missing.sum()),
        "data_keys_not_joined": d_unjoined[:20],
        "outcome_rows": len(ok_),
        "outcome_rows_joined": int(len(ok_) - len(o_unjoined) - o_blank),
        "outcome_rows_not_joined": int(len(o_unjoined) + o_blank),
        "outcome_rows_blank_key": o_blank,
        "outcome_keys_not_joined": o_unjoined[:20],
        "keys_joined": len(matched),
        "shared_columns": shared,
    }
    left[KEY] = dk[joined].to_numpy(dtype=object)
    return Joined(frame=left, report=report, warnings=tuple(warns), renamed=rename)
