"""Column access shared by the model modules."""

from __future__ import annotations

import numpy as np
import pandas as pd

from wamkit.errors import DataError

__all__ = ["numeric_column"]


def numeric_column(col: pd.Series, name: str) -> np.ndarray:
    """A numeric (or boolean) column as a float array with NaN for missing values.

    Raises
    ------
    DataError
        The column is not numeric (its message names the column).
    """
    dt = col.dtype
    if isinstance(dt, np.dtype) and dt.kind in "fiub":
        return col.to_numpy(dtype=float)  # fast path: plain numpy column
    if str(dt) == "boolean" or pd.api.types.is_numeric_dtype(dt):
        return col.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    raise DataError(f"column {name!r} must be numeric (got {dt}); recode it first")
