"""Draft an instrument YAML from a data file (``wamkit instruments new``).

The draft takes from the data what the data can tell:

* the item columns (a glob pattern over the column names);
* the answer labels, when the answers are text (a Qualtrics export with choice texts):
  in the order of a known response scale (``Never`` ... ``Always``, ``Nooit`` ... ``Altijd``,
  ``Strongly disagree`` ... ``Strongly agree``, ...), else in alphabetical order with a ``TODO``
  asking to check the order; from an SPSS file, the item columns' value labels with their codes;
* the missing-value labels (``n/a``, ``n.v.t.``, ``weet niet``, ...) and SPSS missing codes;
* the item texts of a Qualtrics export's question-text row, as ``text:`` -- in the user's own
  file only: wamkit ships no item wording.

What the data cannot tell is a ``TODO`` placeholder: citation, licence, the reverse keys
(``reverse: TODO`` on every item) and the subscales. :func:`wamkit.instrument.load_instrument`
refuses a file that still holds a ``TODO`` (naming the file, line and key), so a draft cannot
be used or pass ``wamkit instruments check`` before a person has filled it in.
"""

from __future__ import annotations

import fnmatch
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from wamkit.errors import UsageError
from wamkit.io import NULL_TOKENS, read_table

__all__ = ["KNOWN_SCALES", "MISSING_LABELS", "draft_instrument"]

#: response scales whose label order is known (lowest value first)
KNOWN_SCALES: tuple[tuple[str, ...], ...] = (
    ("Never", "Rarely", "Sometimes", "Often", "Always"),
    ("Never", "Rarely", "Occasionally", "Sometimes", "Often", "Very often", "Always"),
    ("Nooit", "Zelden", "Soms", "Vaak", "Altijd"),
    ("Nooit", "Zelden", "Af en toe", "Soms", "Vaak", "Heel vaak", "Altijd"),
    ("Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"),
    ("Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"),
    ("Helemaal oneens", "Oneens", "Neutraal", "Eens", "Helemaal eens"),
    ("Helemaal mee oneens", "Mee oneens", "Neutraal", "Mee eens", "Helemaal mee eens"),
    ("Not at all", "A little", "Moderately", "Quite a bit", "Extremely"),
)
#: answer texts read as "no answer" (missing), not as a scale label
MISSING_LABELS = (
    "n/a",
    "na",
    "n.v.t.",
    "nvt",
    "not applicable",
    "niet van toepassing",
    "don't know",
    "do not know",
    "weet niet",
    "weet ik niet",
    "prefer not to say",
    "geen antwoord",
    "no answer",
)
_ANSWER_CODE = re.compile(r"^[Aa](\d+)$")


def _q(text: str) -> str:
    # a JSON string is a valid double-quoted YAML scalar: quotes, control characters and
    # words YAML would read as booleans/null (yes, on, null) stay text
    return json.dumps(text, ensure_ascii=False)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _ident(c: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_.-]", "_", c)
    return s if s[:1].isalpha() else f"item_{s}"


def _answers(frame, cols: list[str]) -> tuple[list[str], list[str], list[float], int]:
    """Distinct answer texts (first seen order), missing texts, numbers, and the largest answer code ``A<k>``."""
    texts: dict[str, str] = {}
    missing: dict[str, str] = {}
    numbers: set[float] = set()
    top_code = 0
    null = {t.casefold() for t in NULL_TOKENS}
    known_missing = {m.casefold() for m in MISSING_LABELS}
    for c in cols:
        for v in frame[c].dropna().unique().tolist():
            if isinstance(v, bool):
                continue
            if isinstance(v, (int, float)):
                if math.isfinite(float(v)):
                    numbers.add(float(v))
                continue
            t = str(v).strip()
            key = t.casefold()
            if key in null:
                continue
            m = _ANSWER_CODE.match(t)
            if m:
                top_code = max(top_code, int(m.group(1)))
                continue
            try:
                numbers.add(float(t.replace(",", ".")))
                continue
            except ValueError:
                pass
            if key in known_missing:
                missing.setdefault(key, t)
            else:
                texts.setdefault(key, t)
    return list(texts.values()), list(missing.values()), sorted(numbers), top_code


def _order_labels(labels: list[str]) -> tuple[list[str], bool]:
    """Labels in scale order: a known scale's (all of its labels), else alphabetical (order unknown)."""
    found = {t.casefold() for t in labels}
    for scale in KNOWN_SCALES:
        if found <= {s.casefold() for s in scale}:
            spelled = {t.casefold(): t for t in labels}
            return [spelled.get(s.casefold(), s) for s in scale], True
    return sorted(labels, key=str.casefold), False


def draft_instrument(
    path: str,
    *,
    instrument_id: str,
    pattern: str = "*",
    scale_min: float = 1,
    scale_max: float = 5,
    sheet: str | int | None = None,
    header_row: int | None = None,
    format: str | None = None,
) -> str:
    """A YAML draft of an instrument for the columns of ``path`` matching ``pattern``.

    Parameters
    ----------
    path
        The data file (any format :func:`wamkit.io.read_table` reads; Qualtrics and LimeSurvey
        exports are recognised).
    instrument_id
        Id of the new instrument (lowercase letters, digits, ``-``).
    pattern
        Glob pattern selecting the item columns (``"WAM_*"``).
    scale_min, scale_max
        Response range when the answers are numbers. Text answers give the range themselves
        (1 .. number of labels, or the SPSS value labels' codes).
    sheet, header_row, format
        As in :func:`wamkit.io.read_table`.

    Returns
    -------
    str
        The YAML text. It holds ``TODO`` placeholders (citation, licence, reverse keys,
        subscales, and the label order when it is not a known scale) that must be replaced
        before the file can be loaded.
    """
    _check_draft_args(instrument_id, scale_min, scale_max)
    table, cols = _read_item_columns(path, pattern, sheet=sheet, header_row=header_row, format=format)
    ids = _item_ids(cols)
    scale = _draft_scale(table, cols, float(scale_min), float(scale_max))
    return _draft_yaml(instrument_id, table, cols, ids, scale)


@dataclass
class _ScaleDraft:
    """What the data tell of the response scale, and the notes saying where it came from."""

    lo: float
    hi: float
    labels: dict[float, str] = field(default_factory=dict)
    missing_codes: list[float] = field(default_factory=lambda: [-9.0])
    missing_texts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    todo_description: str | None = None


def _check_draft_args(instrument_id: str, scale_min: float, scale_max: float) -> None:
    """Refuse an instrument id that is not lowercase letters, digits and ``-``, or an empty range."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", instrument_id):
        raise UsageError(f"instrument_id '{instrument_id}': must use lowercase letters, digits and '-'")
    if scale_min >= scale_max:
        raise UsageError(f"scale_min '{scale_min:g}': must be below scale_max ({scale_max:g})")


def _read_item_columns(
    path: str, pattern: str, *, sheet: str | int | None, header_row: int | None, format: str | None
) -> tuple[Any, list[str]]:
    """The table read from ``path`` and its columns matching ``pattern`` (refused when none does)."""
    kwargs: dict[str, Any] = {"sheet": sheet, "format": format}
    if header_row is not None:
        kwargs["header_row"] = header_row
    probe = read_table(path, all_text=True, **kwargs)
    cols = [str(c) for c in probe.frame.columns if fnmatch.fnmatchcase(str(c), pattern)]
    if not cols:
        raise UsageError(f"pattern '{pattern}': no column of {probe.source} matches")
    table = probe if probe.format != "sav" else read_table(path, infer_columns=cols, **kwargs)
    return table, cols


def _item_ids(cols: list[str]) -> list[str]:
    """One distinct item id per column ('Q1 a' and 'Q1_a' must not become the same item id)."""
    ids: list[str] = []
    for c in cols:
        base, k = _ident(c), 2
        iid = base
        while iid in ids:
            iid, k = f"{base}_{k}", k + 1
        ids.append(iid)
    return ids


def _draft_scale(table, cols: list[str], lo: float, hi: float) -> _ScaleDraft:
    """The range, labels and missing codes/labels the answers in ``cols`` tell (else ``lo``-``hi``)."""
    texts, missing_texts, numbers, top_code = _answers(table.frame, cols)
    draft = _ScaleDraft(lo=lo, hi=hi, missing_texts=missing_texts)
    value_labels = table.meta.get("value_labels", {}) if table.format == "sav" else {}
    sav_labels = {float(code): text for c in cols for code, text in (value_labels.get(c) or {}).items()}
    if sav_labels:
        user_missing = _user_missing_codes(table, cols)
        scale_codes = sorted(code for code in sav_labels if code not in user_missing)
        draft.lo, draft.hi = scale_codes[0], scale_codes[-1]
        draft.labels = {code: sav_labels[code] for code in scale_codes}
        draft.missing_codes = sorted(set(draft.missing_codes) | set(user_missing))
        draft.missing_texts += [sav_labels[code] for code in user_missing if code in sav_labels]
        draft.notes.append("labels: the SPSS value labels of the item columns")
    elif texts:
        ordered, known = _order_labels(texts)
        draft.lo, draft.hi = 1.0, float(len(ordered))
        draft.labels = {float(i): t for i, t in enumerate(ordered, start=1)}
        if known:
            draft.notes.append("labels: the answers in the data, in the order of a known response scale")
        else:
            draft.notes.append("labels: the answers in the data, in ALPHABETICAL order: put them in scale order")
            draft.todo_description = (
                "TODO: put the labels under scale.labels in scale order (lowest first); they were "
                "drafted alphabetically from the answers in the data"
            )
    elif top_code:
        draft.lo, draft.hi = 1.0, float(top_code)
        draft.notes.append(f"range: LimeSurvey answer codes A1..A{top_code} (read as the 1st..{top_code}th value)")
    elif numbers:
        outside = [x for x in numbers if not lo <= x <= hi and x not in draft.missing_codes]
        if outside:
            draft.notes.append(
                f"the data hold numbers outside {_num(lo)}-{_num(hi)}: {', '.join(map(_num, outside[:6]))} "
                "(missing codes? another range?)"
            )
    return draft


def _draft_yaml(instrument_id: str, table, cols: list[str], ids: list[str], scale: _ScaleDraft) -> str:
    """The YAML text of the draft, with a ``TODO`` for everything the data cannot tell."""
    question = table.meta.get("question_text", {})
    lo, hi = scale.lo, scale.hi
    lines = [
        f"# Draft written by `wamkit instruments new` from {table.source}.",
        "# Replace every TODO (wamkit refuses this file while one is left): citation, license, the",
        "# reverse keys (true/false) and the subscales; check name and labels; then run",
        "# `wamkit instruments check` on it.",
        *(f"# {n}" for n in scale.notes),
        f"id: {instrument_id}",
        f"name: {_q(instrument_id + ' (draft)')}",
        'version: "0.1"',
    ]
    if scale.todo_description:
        lines.append(f"description: {_q(scale.todo_description)}")
    lines += [
        "citation: TODO",
        "license: TODO",
        "scale:",
        f"  min: {_num(lo)}",
        f"  max: {_num(hi)}",
    ]
    if scale.labels:
        lines.append("  labels:")
        lines += [f"    {_num(code)}: [{_q(text)}]" for code, text in scale.labels.items()]
    lines.append(f"missing_codes: [{', '.join(_num(c) for c in scale.missing_codes if not lo <= c <= hi)}]")
    if scale.missing_texts:
        lines.append(f"missing_labels: [{', '.join(_q(t) for t in dict.fromkeys(scale.missing_texts))}]")
    lines += ["min_answered: 0.75", "items:"]
    for c, iid in zip(cols, ids, strict=True):
        col = "" if iid == c else f", column: {_q(c)}"
        text = question.get(c)
        txt = f", text: {_q(text)}" if text else ""
        lines.append(f"  - {{id: {_q(iid)}{col}{txt}, reverse: TODO}}")
    lines += [
        "subscales:",
        "  - id: todo",
        "    name: TODO - split the items into the real subscales",
        "    items: [" + ", ".join(_q(i) for i in ids) + "]",
        "",
    ]
    return "\n".join(lines)


def _user_missing_codes(table, columns: list[str]) -> list[float]:
    """SPSS user-missing codes (single values) declared on any of ``columns``."""
    import pyreadstat

    if table.path is None:  # pragma: no cover
        return []
    _, meta = pyreadstat.read_sav(table.path, metadataonly=True, user_missing=True)
    out = set()
    for c in columns:
        for r in (meta.missing_ranges or {}).get(c, []):
            if not isinstance(r, dict):
                continue
            lo, hi = r.get("lo"), r.get("hi")
            if isinstance(lo, (int, float)) and lo == hi:
                out.add(float(lo))
    return sorted(out)
