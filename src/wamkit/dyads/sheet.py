"""The data of a one-page reflection sheet for one dyad (no HTML: :mod:`wamkit.render.sheet` draws it).

A sheet shows one *line* per score pair (client vs professional) and per score on one
form only: both views at each wave (the profile chart), the scores and differences at the
latest wave, the change since the wave before, the items where the two answered most
differently, the alerts, and what each score means.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from wamkit.errors import UsageError

__all__ = ["MAX_ITEMS", "SheetData", "SheetLine", "sheet_data", "sheet_filename", "sheets_data"]

#: items listed as "where your answers differ most"
MAX_ITEMS = 5
_RELIABLE = ("improved", "deteriorated")
_FRAMES = ("pairs", "scores", "change", "alerts", "items", "unpaired")


@dataclass(frozen=True)
class SheetLine:
    """One line of a sheet: a client score and the professional score it is compared with (either may be None)."""

    id: str
    client: str | None
    professional: str | None
    kind: str
    higher_is_better: bool


@dataclass(frozen=True)
class SheetData:
    """Everything one reflection sheet shows.

    Attributes
    ----------
    dyad : str
        The dyad id (a pseudonym when pseudonymised).
    waves : tuple of str
        The waves this dyad has a row at, in time order (empty without waves).
    latest, previous : str or None
        The latest wave with both views, and the wave its change is measured from.
    lines : tuple of SheetLine
    profile : dict
        ``(wave or None, role, line id) -> score`` for the profile chart.
    latest_rows : tuple of dict
        Per line at ``latest``: ``id, client, professional, difference, flag`` (flag as
        :data:`wamkit.dyads.analysis.FLAG_CLIENT_HIGHER` ..., None when not computable).
    change : tuple of dict
        Per line changed into ``latest``: ``id``, ``from``, and per role ``client`` /
        ``professional`` the change (None when not computed) and ``client_reliable`` /
        ``professional_reliable``.
    items : tuple of dict
        At most :data:`MAX_ITEMS` items answered most differently at ``latest``:
        ``item, subscale, client, professional, abs_difference``.
    alerts : tuple of dict
        The dyad's alerts, latest first (records of the alerts table).
    scores : dict
        Score id -> the score's description (``DyadAnalysis.subscales``).
    instruments, item_info, wave_labels : dict
        As in :class:`~wamkit.dyads.analysis.DyadAnalysis`.
    reliability : str
        How reliabilities were estimated (for the sheet's footnote).
    """

    dyad: str
    waves: tuple[str, ...]
    latest: str | None
    previous: str | None
    lines: tuple[SheetLine, ...]
    profile: dict[tuple[Any, str, str], float]
    latest_rows: tuple[dict[str, Any], ...]
    change: tuple[dict[str, Any], ...]
    items: tuple[dict[str, Any], ...]
    alerts: tuple[dict[str, Any], ...]
    scores: dict[str, dict[str, Any]]
    instruments: dict[str, dict[str, Any]]
    item_info: dict[str, dict[str, Any]] = field(default_factory=dict)
    wave_labels: dict[str, str] = field(default_factory=dict)
    reliability: str = ""

    @property
    def demonstration(self) -> bool:
        return any(v.get("demonstration") for v in self.instruments.values())

    @property
    def scale(self) -> tuple[float, float] | None:
        first = next(iter(self.scores.values()), None)
        return None if first is None or first["min"] is None else (first["min"], first["max"])


def sheet_filename(dyad: Any) -> str:
    """``reflection-sheet-<id>.html`` with characters outside ``[A-Za-z0-9._-]`` replaced by ``_``."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", str(dyad)).strip(".") or "dyad"
    return f"reflection-sheet-{safe[:100]}.html"


def _lines(analysis: Any) -> tuple[SheetLine, ...]:
    """Pairs and one-form scores, subscales before totals, in the analysis' score order."""
    by_client = {p.client: p for p in analysis.score_pairs}
    in_pair = {p.professional for p in analysis.score_pairs}
    out = []
    for s in analysis.subscales:
        sid = s["id"]
        if sid in by_client and "client" in s["forms"]:
            p = by_client[sid]
            out.append(SheetLine(p.id, p.client, p.professional, p.kind, p.higher_is_better))
        elif sid in in_pair and sid not in by_client:
            continue
        elif sid not in by_client and sid not in in_pair:
            client = sid if "client" in s["forms"] else None
            prof = sid if "professional" in s["forms"] and client is None else None
            out.append(SheetLine(sid, client, prof, s["kind"], s["higher_is_better"]))
    return tuple(out)


def _clean(v: Any) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    return v


def _split(analysis: Any, only: Iterable[Any] | None) -> dict[Any, dict[str, list[dict[str, Any]]]]:
    """The per-dyad tables of ``analysis`` as records grouped by dyad (once for all sheets)."""
    keep = set(only) if only is not None else None
    out: dict[Any, dict[str, list[dict[str, Any]]]] = {}
    for name in _FRAMES:
        df = getattr(analysis, name)
        if df is None or not len(df):
            continue
        if keep is not None:
            df = df[df["dyad"].isin(keep)]
        cols = list(df.columns)
        for values in zip(*(df[c].to_numpy(dtype=object) for c in cols), strict=True):
            rec = {c: _clean(v) for c, v in zip(cols, values, strict=True)}
            out.setdefault(rec["dyad"], {n: [] for n in _FRAMES})[name].append(rec)
    return out


def _profile(lines: Sequence[SheetLine], scores: list[dict[str, Any]]) -> dict[tuple[Any, str, str], float]:
    out = {}
    for r in scores:
        for line in lines:
            sid = line.client if r["rater"] == "client" else line.professional
            v = r.get(sid) if sid else None
            if v is not None and math.isfinite(v):
                out[(r["wave"], r["rater"], line.id)] = float(v)
    return out


def _change_rows(lines: Sequence[SheetLine], change: list[dict[str, Any]], latest: Any) -> tuple[dict[str, Any], ...]:
    rows = []
    into = [r for r in change if latest is not None and r["to"] == latest]
    for line in lines:
        rec: dict[str, Any] = {"id": line.id, "from": None}
        for role in ("client", "professional"):
            sid = getattr(line, role)
            hit = next((r for r in into if r["rater"] == role and r["subscale"] == sid), None) if sid else None
            rec[role] = hit["change"] if hit else None
            rec[f"{role}_reliable"] = bool(hit and hit["classification"] in _RELIABLE)
            rec["from"] = rec["from"] or (hit["from"] if hit else None)
        if rec["client"] is not None or rec["professional"] is not None:
            rows.append(rec)
    return tuple(rows)


def _build(analysis: Any, dyad: Any, recs: dict[str, list[dict[str, Any]]], lines: tuple[SheetLine, ...]) -> SheetData:
    order = list(analysis.wave_order)
    present = {r["wave"] for r in recs["scores"]}
    waves = tuple(w for w in order if w in present)
    paired = [w for w in order if w in {r["wave"] for r in recs["pairs"]}]
    latest = paired[-1] if paired else None
    at = (lambda r: r["wave"] == latest) if latest is not None else (lambda r: True)
    change = _change_rows(lines, recs["change"], latest)
    items = sorted(
        (r for r in recs["items"] if at(r) and r["abs_difference"] is not None and r["abs_difference"] > 0),
        key=lambda r: -r["abs_difference"],
    )[:MAX_ITEMS]
    return SheetData(
        dyad=str(dyad),
        waves=waves,
        latest=latest,
        previous=next((c["from"] for c in change if c["from"]), None),
        lines=lines,
        profile=_profile(lines, recs["scores"]),
        latest_rows=tuple(
            {k: r[k] for k in ("subscale", "client", "professional", "difference", "flag")}
            for r in recs["pairs"]
            if at(r)
        ),
        change=change,
        items=tuple(items),
        alerts=tuple(reversed(recs["alerts"])),
        scores={s["id"]: s for s in analysis.subscales},
        instruments=analysis.instruments,
        item_info=analysis.item_info,
        wave_labels=analysis.wave_labels,
        reliability=str(analysis.settings.get("reliability", "")),
    )


def _pick(analysis: Any, dyad_ids: Sequence[Any] | None, key: bytes | None) -> list[Any]:
    known = analysis.dyads
    if dyad_ids is None:
        return known
    chosen = []
    known_set = set(known)
    for raw in dyad_ids:
        cand = str(raw).strip()
        if key is not None and cand not in known_set:
            from wamkit.pseudonym import pseudonym

            cand = pseudonym(cand, key, prefix="P-")
        if cand not in known_set:
            shown = (
                ""
                if key is not None
                else (f" (dyads: {', '.join(map(str, known[:8]))}{' ...' if len(known) > 8 else ''})")
            )
            raise UsageError(
                f"dyad {'(given)' if key is not None else repr(str(raw).strip())} is not in the data{shown}"
            )
        chosen.append(cand)
    return list(dict.fromkeys(chosen))


def sheets_data(
    analysis: Any, dyad_ids: Sequence[Any] | None = None, *, key: bytes | None = None
) -> dict[str, SheetData]:
    """The sheet data of several dyads (default: every dyad, in order of appearance).

    ``dyad_ids`` are ids as in the data; with ``key`` (the analysis was pseudonymised) an
    original id is turned into its pseudonym, and a pseudonym is accepted too.

    Raises
    ------
    UsageError
        A dyad is not in the analysis (without a key the message lists some dyads; with
        one it does not echo the id).
    """
    chosen = _pick(analysis, dyad_ids, key)
    split = _split(analysis, None if dyad_ids is None else chosen)
    lines = _lines(analysis)
    empty: dict[str, list[dict[str, Any]]] = {n: [] for n in _FRAMES}
    return {str(d): _build(analysis, d, split.get(d, empty), lines) for d in chosen}


def sheet_data(analysis: Any, dyad: Any, *, key: bytes | None = None) -> SheetData:
    """The sheet data of one dyad (see :func:`sheets_data`)."""
    return next(iter(sheets_data(analysis, [dyad], key=key).values()))
