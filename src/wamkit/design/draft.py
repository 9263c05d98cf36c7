"""``wamkit study new``: draft a study file from a data file.

The draft guesses what a person would look for first — a column whose values are
client/professional (the role), one with wave labels (T0, T1, ... or 0/6/9), the dyad and
officer ids by name, a wide layout by column names such as ``client_T0_q01`` — and which
bundled or known instrument's items are in the file. What it cannot tell is written as
``TODO``, which ``wamkit study check`` refuses until a person fills it in.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

__all__ = ["draft_study", "guess_wide_pattern"]

ROLE_WORDS = {
    "client": ("client", "cliënt", "cl", "klant", "deelnemer", "participant", "patient", "youth"),
    "professional": (
        "professional",
        "prof",
        "officer",
        "po",
        "begeleider",
        "worker",
        "counsellor",
        "counselor",
        "therapist",
        "coach",
        "reclasseringswerker",
        "staff",
        "mentor",
    ),
}
ID_NAMES = {
    "dyad": (
        "dyad",
        "dyad_id",
        "pair",
        "case",
        "case_id",
        "casus",
        "dossier",
        "participant id",
        "participant_id",
        "client_id",
        "id",
    ),
    "officer": ("officer", "officer_id", "po", "worker", "begeleider", "caseworker", "counsellor", "therapist", "team"),
}
WAVE_NAMES = ("wave", "meting", "time", "occasion", "measurement", "tijdstip", "t")
WAVE_VALUE = re.compile(r"^(t|w|wave|meting|m)?\s*\d+$", re.IGNORECASE)


def _norm(s: Any) -> str:
    return str(s).strip().lower()


def _values(frame: pd.DataFrame, col: str, limit: int = 12) -> list[str]:
    return [str(v).strip() for v in frame[col].dropna().astype(str).unique()[:limit]]


def _role_column(frame: pd.DataFrame) -> tuple[str | None, dict[str, str]]:
    for col in frame.columns:
        vals = _values(frame, col)
        if not 2 <= len(vals) <= 4:
            continue
        found = {}
        for v in vals:
            for key, words in ROLE_WORDS.items():
                if _norm(v) in words and key not in found:
                    found[key] = v
        if len(found) == 2:
            return str(col), found
    return None, {}


def _wave_column(frame: pd.DataFrame, skip: set[str]) -> str | None:
    for col in frame.columns:
        if col in skip:
            continue
        vals = _values(frame, col)
        if _norm(col) in WAVE_NAMES and 1 <= len(vals) <= 10:
            return str(col)
    for col in frame.columns:
        vals = _values(frame, col)
        if col not in skip and 2 <= len(vals) <= 6 and all(WAVE_VALUE.match(v) for v in vals):
            return str(col)
    return None


def _id_column(columns: Sequence[str], kind: str, skip: set[str]) -> str | None:
    names = ID_NAMES[kind]
    for name in names:
        for col in columns:
            if col not in skip and _norm(col) == name:
                return str(col)
    return None


def guess_wide_pattern(columns: Sequence[str]) -> tuple[str, list[str], list[str]] | None:
    """``({role}_{wave}_{item}, role labels, wave labels)`` when column names look like a wide export."""
    for sep in ("_", ".", "-"):
        parts = [str(c).split(sep, 2) for c in columns]
        triples = [p for p in parts if len(p) == 3]
        if len(triples) < 4:
            continue
        roles = sorted({p[0] for p in triples})
        waves = sorted({p[1] for p in triples}, key=lambda w: (len(w), w))
        role_like = [r for r in roles if any(_norm(r) in words for words in ROLE_WORDS.values())]
        if role_like and all(WAVE_VALUE.match(w) for w in waves) and len(waves) <= 10:
            return f"{{role}}{sep}{{wave}}{sep}{{item}}", role_like, waves
    return None


def _instrument_for(items: set[str], role: str | None = None) -> str | None:
    from wamkit.instrument import list_instruments, load_instrument
    from wamkit.scoring import resolve_columns

    best: str | None = None
    best_n: float = 0.0
    for entry in list_instruments():
        if not entry.get("id"):
            continue
        try:
            cols = set(resolve_columns(load_instrument(entry["id"])).values())
        except Exception:
            continue
        score = len(cols) + (0.5 if role is not None and entry.get("rater") == role else 0)
        if cols and cols <= items and score > best_n:
            best, best_n = entry["id"], score
    return best


def draft_study(data_path: str, *, sheet: str | None = None, header_row: int | None = None) -> str:
    """A draft study file (YAML text) for ``data_path``; unknowns are ``TODO``."""
    from wamkit.io import read_table

    kwargs: dict[str, Any] = {"sheet": sheet, "all_text": True}
    if header_row is not None:
        kwargs["header_row"] = header_row
    table = read_table(data_path, **kwargs)
    frame = table.frame
    cols = [str(c) for c in frame.columns]
    wide = guess_wide_pattern(cols)
    lines = [
        f"# Draft study file for {table.source} written by `wamkit study new`. Check every line;",
        "# replace each TODO, then run `wamkit study check` on this file.",
        f"study: {os.path.splitext(table.source)[0]}",
        f"data: {{path: {os.path.basename(data_path)}"
        + (f", sheet: {sheet}" if sheet else "")
        + (f", header_row: {header_row}" if header_row else "")
        + "}",
    ]
    skip: set[str] = set()
    if wide:
        pattern, role_labels, waves = wide
        lines += ["layout: wide", f'wide_pattern: "{pattern}"', "roles:"]
        sep = pattern[len("{role}")]
        for label in role_labels:
            key = next(k for k, words in ROLE_WORDS.items() if _norm(label) in words)
            items = {c.split(sep, 2)[2] for c in cols if c.startswith(label + sep) and c.count(sep) >= 2}
            ins = _instrument_for(items, key) or "TODO  # instrument id or YAML path"
            lines.append(f"  {key}: {{value: {key}, label: {label}, instrument: {ins}}}")
        wave_block = f"waves: {{order: [{', '.join(waves)}], months: [TODO]}}"
    else:
        role_col, found = _role_column(frame)
        lines += ["layout: long", "roles:"]
        if role_col:
            skip.add(role_col)
            lines.append(f"  column: {role_col}")
            for key, value in found.items():
                ins = _instrument_for(set(cols), key) or "TODO  # instrument id or YAML path"
                lines.append(f"  {key}: {{value: {value}, instrument: {ins}}}")
        else:
            ins = _instrument_for(set(cols)) or "TODO  # instrument id or YAML path"
            lines.append(f"  client: {{instrument: {ins}}}  # TODO: add professional: and column: if both rate")
        wave_col = _wave_column(frame, skip)
        if wave_col:
            skip.add(wave_col)
            from wamkit.design.study import wave_sort_key

            order = sorted(_values(frame, wave_col), key=wave_sort_key)
            wave_block = f"waves: {{column: {wave_col}, order: [{', '.join(order)}], months: [TODO]}}"
        else:
            wave_block = "# waves: {column: TODO, order: [T0, T1], months: [0, 6]}"
    dyad = _id_column(cols, "dyad", skip)
    officer = _id_column(cols, "officer", skip | {dyad or ""})
    ids = ", ".join(f"{k}: {v}" for k, v in (("dyad", dyad), ("officer", officer)) if v)
    lines.append(f"ids: {{{ids}}}" if ids else "ids: {dyad: TODO}")
    lines.append(wave_block)
    lines += [
        "# outcomes:",
        "#   path: TODO.csv",
        "#   on: {dyad: dyad}",
        "#   variables: {stagnations: count, dropout: binary}",
        "#   events: {rearrest: {time: days_to_rearrest, origin_wave: T0}}",
    ]
    return "\n".join(lines) + "\n"
