"""Cells as people read them: trimmed text of a column, and the 1-based data rows of a frame.

Shared by the row filters (``--where``), the study read path and the dyads tables, so that a
labelled SPSS code ``1.0`` reads as ``1`` and a blank cell is missing everywhere alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported by the functions (the CLI's start-up stays light)
    import numpy as np
    import pandas as pd

__all__ = ["row_numbers", "text_values"]


def text_values(col: pd.Series) -> pd.Series:
    """A column as trimmed text: whole numbers without ``.0`` (SPSS/Excel codes), blanks as NA."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
        a = col.astype("Float64")
        whole = (a.round() == a).fillna(False)
        s = a.astype("string").where(~whole, a.round().astype("Int64").astype("string"))
    else:
        s = col.astype("string")
    s = s.str.strip()
    return s.mask(s == "")


def row_numbers(index: pd.Index) -> np.ndarray:
    """1-based data rows of a frame's rows: ``index + 1`` for an integer index (frames read by
    :func:`wamkit.io.read_table` keep their file positions through filters), else position + 1."""
    import numpy as np
    import pandas as pd

    if pd.api.types.is_integer_dtype(index.dtype):
        return np.asarray(index, dtype=np.int64) + 1
    return np.arange(1, len(index) + 1, dtype=np.int64)
