"""The result protocol every wamkit result follows, and JSON-safe conversion.

Every analysis returns a frozen dataclass that also derives from :class:`Result`:

* ``to_dict()`` -- plain JSON-safe data; exactly what the CLI writes with ``--format json``;
* ``to_frames()`` / ``to_frame(name)`` -- tidy pandas DataFrames (one per table, documented
  on each result class; ``to_frame()`` without a name is the main table);
* ``summary()`` -- the text a terminal user sees (also ``str(result)``);
* ``_repr_html_()`` -- the HTML tables a Jupyter notebook shows.

Rendering is not done here: ``summary`` and ``_repr_html_`` ask the one rendering layer
(:mod:`wamkit.render`) for the result's document, so analysis modules never format numbers.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from wamkit.render.document import Document

__all__ = ["Result", "StatResult", "to_jsonable"]


class Result:
    """Base of every result object (see the module docstring for the protocol)."""

    #: ``"module:function"`` that builds this result's :class:`~wamkit.render.document.Document`
    document_builder: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - every result defines it
        raise NotImplementedError

    def to_frames(self) -> dict[str, pd.DataFrame]:  # pragma: no cover - every result defines it
        raise NotImplementedError

    def to_frame(self, name: str | None = None) -> pd.DataFrame:
        """One tidy table: ``name`` picks one of :meth:`to_frames` (default: the first, the main one)."""
        frames = self.to_frames()
        if name is None:
            return next(iter(frames.values()))
        if name not in frames:
            from wamkit.errors import UsageError

            raise UsageError(f"name must be one of {', '.join(frames)}, not {name!r}")
        return frames[name]

    def document(self) -> Document:
        """The report of this result as a renderer-neutral document."""
        from wamkit.render.reports import build_document

        return build_document(self)

    def summary(self, width: int | None = None) -> str:
        """The text a terminal user sees (tables as text; ``width`` default unlimited)."""
        from wamkit.render.text import render_text

        return render_text(self.document(), width=width)

    def _repr_html_(self) -> str:
        from wamkit.render.html import render_html

        return render_html(self.document(), standalone=False)

    def __str__(self) -> str:
        return self.summary()


def _is_records(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def _is_table_of_dicts(v: Any) -> bool:
    return isinstance(v, dict) and bool(v) and all(isinstance(x, dict) for x in v.values())


class StatResult(Result):
    """A statistic's result: frames and document derived from ``to_dict()``.

    ``to_frames()`` gives ``summary`` (one row of the scalar fields) and one frame per
    field that holds records (a list of dicts) or named rows (a dict of dicts, the name in
    a ``name`` column); classes with matrices (loadings, ...) add their own frames.
    """

    document_builder: ClassVar[str] = "wamkit.render.reports.stats:stat_document"

    def to_frames(self) -> dict[str, pd.DataFrame]:
        import pandas as pd

        d = self.to_dict()
        scalars = {k: v for k, v in d.items() if v is None or isinstance(v, (bool, int, float, str))}
        frames: dict[str, pd.DataFrame] = {"summary": pd.DataFrame([scalars])}
        for k, v in d.items():
            if _is_records(v):
                frames[k] = pd.DataFrame(v)
            elif _is_table_of_dicts(v):
                frames[k] = pd.DataFrame([{"name": name, **row} for name, row in v.items()])
        frames.update(self.extra_frames())
        return frames

    def extra_frames(self) -> dict[str, pd.DataFrame]:
        """Frames a class adds (matrices with row/column names); none by default."""
        return {}


def to_jsonable(obj: Any) -> Any:
    """Convert results (dataclasses, numpy, pandas) into plain JSON-safe Python.

    NaN and infinities become ``None`` so that the JSON is standard. Floats are rounded to 15
    significant digits (the precision a double guarantees), so JSON shows ``3.8``, not the binary
    noise ``3.8000000000000003``; ``to_dict()`` and the CLI's JSON hold the same numbers.
    """
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return obj
    if isinstance(obj, float):
        return float(f"{obj:.15g}") if math.isfinite(obj) else None
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        if hasattr(obj, "to_dict"):
            return to_jsonable(obj.to_dict())
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    mod = type(obj).__module__
    if mod.startswith("numpy"):
        import numpy as np

        if isinstance(obj, np.ndarray):
            return to_jsonable(obj.tolist())
        if isinstance(obj, np.bool_):
            return bool(obj)
        if isinstance(obj, np.integer):
            return int(obj)
        if isinstance(obj, np.floating):
            return to_jsonable(float(obj))
    if mod.startswith("pandas"):
        import pandas as pd

        if isinstance(obj, pd.DataFrame):
            return to_jsonable(obj.to_dict(orient="records"))
        if isinstance(obj, pd.Series):
            return to_jsonable(obj.to_dict())
        if obj is pd.NA or obj is pd.NaT:
            return None
    if hasattr(obj, "item"):
        try:
            return to_jsonable(obj.item())
        except Exception:  # pragma: no cover - defensive
            pass
    return str(obj)
