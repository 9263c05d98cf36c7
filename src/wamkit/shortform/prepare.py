"""Item data of :func:`wamkit.shortform.shorten`: the numeric item matrix, the subscales' items and the criterion."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wamkit.errors import DataError
from wamkit.instrument import Instrument

__all__ = ["ItemData", "data_sha256", "prepare_items"]


@dataclass(frozen=True)
class ItemData:
    """What the selection works on.

    Attributes
    ----------
    data : float item matrix, the instrument's items that are in the data, in instrument order (NaN = missing).
    sub_items : ``{subscale: its items}`` for the subscales being shortened.
    cfa_factors : ``{subscale: its items}`` for every subscale whose items are all in the data (shortened or not):
        the factors of the joint CFA.
    criterion : the criterion as floats (one per row), or None.
    criterion_name : its name (the Series name, else ``"criterion"``), or None.
    """

    data: pd.DataFrame
    sub_items: dict[str, list[str]]
    cfa_factors: dict[str, list[str]]
    criterion: np.ndarray | None = None
    criterion_name: str | None = None

    @property
    def n(self) -> int:
        """Number of rows."""
        return len(self.data)


def data_sha256(items: pd.DataFrame) -> str:
    """SHA-256 of the analysed item matrix: column names, then the float64 values row by row (NaN canonical)."""
    h = hashlib.sha256()
    h.update("\x1f".join(map(str, items.columns)).encode("utf-8"))
    v = np.ascontiguousarray(items.to_numpy(dtype=float))
    v = np.where(np.isnan(v), np.nan, v)
    h.update(v.tobytes())
    return h.hexdigest()


def prepare_items(
    items: pd.DataFrame, instrument: Instrument, subscales: list[str], criterion: pd.Series | None
) -> ItemData:
    """The instrument's item columns of ``items`` as floats (non-numeric columns read as numbers, unreadable
    values NaN), the items of ``subscales`` and of the CFA, and ``criterion`` as numbers (:class:`ItemData`).

    Raises :class:`~wamkit.errors.DataError` when the criterion does not have one value per row or no numbers.
    """
    all_items = [i for i in instrument.item_ids if i in items.columns]
    data = (
        items[all_items].apply(pd.to_numeric, errors="coerce")
        if not all(pd.api.types.is_numeric_dtype(items[c]) for c in all_items)
        else items[all_items]
    )
    data = data.astype(float)
    y, name = _criterion_values(criterion, len(data))
    return ItemData(
        data=data,
        sub_items={s: list(instrument.subscale(s).items) for s in subscales},
        cfa_factors={s.id: list(s.items) for s in instrument.subscales if all(i in data.columns for i in s.items)},
        criterion=y,
        criterion_name=name,
    )


def _criterion_values(criterion: pd.Series | None, n: int) -> tuple[np.ndarray | None, str | None]:
    """The criterion as floats and its name; (None, None) without one."""
    if criterion is None:
        return None, None
    y = pd.to_numeric(pd.Series(criterion), errors="coerce").to_numpy(dtype=float)
    if y.size != n:
        raise DataError(f"criterion has {y.size} values for {n} rows of items")
    if np.isnan(y).all():
        raise DataError("criterion has no numeric values")
    return y, str(getattr(criterion, "name", None) or "criterion")
