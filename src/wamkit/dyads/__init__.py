"""Client–professional dyads: pairing, agreement per wave, reliable change, alerts, caseloads, sheets' data.

``dyads(data)`` runs the whole analysis (:mod:`wamkit.dyads.analysis`);
``reflection_sheet(analysis, dyad, lang=...)`` gives a dyad's one-page sheet as HTML (drawn by
:mod:`wamkit.render.sheet`).
"""

from __future__ import annotations

from typing import Any

from wamkit.dyads.analysis import DyadAnalysis, dyads

__all__ = ["DyadAnalysis", "dyads", "reflection_sheet"]


def reflection_sheet(analysis: DyadAnalysis, dyad: Any, lang: str | None = None, *, key: bytes | None = None) -> str:
    """The one-page reflection sheet of ``dyad`` as HTML (see :func:`wamkit.render.sheet.reflection_sheet`)."""
    from wamkit.render.sheet import reflection_sheet as render

    return render(analysis, dyad, lang, key=key)


from wamkit.packages import make_callable  # noqa: E402 - after the function it forwards to

make_callable(__name__, dyads)  # wamkit.dyads(data) calls dyads(data) even after the package is imported
