"""Arrow columns as numpy arrays, without pandas.

pyarrow's ``to_numpy`` imports pandas on its first call (about half a second); the streaming
scorer reads, scores and writes Arrow tables and never needs pandas, so it views Arrow buffers
through these instead. Every function accepts an Array or a ChunkedArray.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["arrow_array", "numpy_bools", "numpy_floats", "numpy_ints"]


def arrow_array(x: np.ndarray, type: Any = None) -> Any:
    """A pyarrow array viewing a 1-d numeric numpy array; NaN in a float array becomes null (as
    ``pa.array(x, from_pandas=True)``, whose type checks would import pandas)."""
    import pyarrow as pa

    x = np.ascontiguousarray(x)
    arrow_type = type if type is not None else pa.from_numpy_dtype(x.dtype)
    if x.dtype != arrow_type.to_pandas_dtype():
        x = x.astype(arrow_type.to_pandas_dtype())
    validity = None
    if x.dtype.kind == "f":
        valid = ~np.isnan(x)
        if not valid.all():
            validity = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(arrow_type, len(x), [validity, pa.py_buffer(x)])


def _single(col: Any) -> Any:
    import pyarrow as pa

    if isinstance(col, pa.ChunkedArray):
        if col.num_chunks == 1:
            return col.chunk(0)
        return col.combine_chunks() if col.num_chunks else pa.array([], type=col.type)
    return col


def numpy_floats(col: Any) -> np.ndarray:
    """A float64 copy of a numeric column, NaN where the column is null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = _single(col)
    if not pa.types.is_float64(arr.type):
        arr = pc.cast(arr, pa.float64())
    n = len(arr)
    if n == 0:
        return np.zeros(0)
    data = np.frombuffer(arr.buffers()[1], dtype=np.float64, count=n + arr.offset)[arr.offset :]
    out = np.array(data, dtype=np.float64)
    if arr.null_count:
        out[~numpy_bools(arr.is_valid())] = np.nan
    return out


def numpy_ints(col: Any, *, null: int = -1) -> np.ndarray:
    """An int64 copy of an integer column (e.g. dictionary indices), ``null`` where the column is null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = _single(col)
    if not pa.types.is_int64(arr.type):
        arr = pc.cast(arr, pa.int64())
    n = len(arr)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    data = np.frombuffer(arr.buffers()[1], dtype=np.int64, count=n + arr.offset)[arr.offset :]
    out = np.array(data, dtype=np.int64)
    if arr.null_count:
        out[~numpy_bools(arr.is_valid())] = null
    return out


def numpy_bools(col: Any) -> np.ndarray:
    """A boolean numpy array of a boolean column (null counts as False)."""
    import pyarrow.compute as pc

    arr = _single(col)
    n = len(arr)
    if n == 0:
        return np.zeros(0, dtype=bool)
    if arr.null_count:
        arr = pc.fill_null(arr, False)
    bits = np.frombuffer(arr.buffers()[1], dtype=np.uint8)
    return np.unpackbits(bits, bitorder="little", count=arr.offset + n)[arr.offset :].astype(bool)
