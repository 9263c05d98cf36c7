"""Instrument definitions: load, validate and describe questionnaire YAML files.

An instrument file declares items, the response scale, reverse keys, missing codes,
subscales, totals and worked examples (see ``docs/instruments.md``). Loading is
strict: a malformed file is refused with a message naming the file, the line and
the field, e.g. ``wai.yaml:14: subscale 'bond' lists unknown item 'wai13'``.

Safety: files are parsed with PyYAML's safe loader (no Python objects), anchors
and aliases are refused (no "billion laughs"), and files over 1 MiB are refused.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from wamkit.errors import InstrumentError

MAX_FILE_BYTES = 1 << 20
ENV_PATH = "WAMKIT_INSTRUMENTS"
DEFAULT_MIN_ANSWERED = 0.75


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Scale:
    """Declared response range. ``labels`` maps a code to its accepted label texts."""

    min: float
    max: float
    discrete: bool = True
    labels: dict[float, tuple[str, ...]] = field(default_factory=dict)

    def reverse(self, x):
        """Reverse-key ``x`` with the *declared* range: ``min + max - x``."""
        return self.min + self.max - x


@dataclass(frozen=True)
class Item:
    id: str
    column: str
    reverse: bool = False
    text: str | None = None
    label: str | None = None
    scale: Scale | None = None
    translations: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Subscale:
    id: str
    items: tuple[str, ...]
    name: str = ""
    method: str = "mean"
    min_answered: float | None = None
    higher_is_better: bool = True
    description: str = ""
    translations: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Total:
    id: str
    items: tuple[str, ...] | None = None
    subscales: tuple[str, ...] | None = None
    name: str = ""
    method: str = "mean"
    min_answered: float | None = None
    description: str = ""
    translations: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Example:
    responses: dict[str, Any]
    scores: dict[str, float | None]
    note: str = ""


@dataclass(frozen=True)
class Instrument:
    """A validated instrument definition.

    Build one with :func:`load_instrument`; the dataclass itself does not re-validate.
    """

    id: str
    name: str
    version: str
    items: tuple[Item, ...]
    subscales: tuple[Subscale, ...]
    totals: tuple[Total, ...] = ()
    scale: Scale | None = None
    missing_codes: tuple[float, ...] = ()
    missing_labels: tuple[str, ...] = ()
    min_answered: float = DEFAULT_MIN_ANSWERED
    description: str = ""
    citation: str = ""
    license: str = ""
    rater: str | None = None
    demonstration: bool = False
    extends: str | None = None
    examples: tuple[Example, ...] = ()
    path: str | None = None
    sha256: str = ""
    translations: dict[str, dict[str, str]] = field(default_factory=dict)

    # -- lookups -------------------------------------------------------------
    @property
    def item_ids(self) -> list[str]:
        return [it.id for it in self.items]

    @property
    def score_ids(self) -> list[str]:
        return [s.id for s in self.subscales] + [t.id for t in self.totals]

    def item(self, item_id: str) -> Item:
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(item_id)

    def subscale(self, subscale_id: str) -> Subscale:
        for s in self.subscales:
            if s.id == subscale_id:
                return s
        raise KeyError(subscale_id)

    def item_scale(self, item: Item) -> Scale | None:
        return item.scale or self.scale

    def subscale_min_answered(self, s: Subscale | Total) -> float:
        return s.min_answered if s.min_answered is not None else self.min_answered

    def total_items(self, total: Total) -> tuple[str, ...]:
        """Item ids behind a total (directly, or through its subscales)."""
        if total.items is not None:
            return total.items
        seen: list[str] = []
        for sid in total.subscales or ():
            for i in self.subscale(sid).items:
                if i not in seen:
                    seen.append(i)
        return tuple(seen)

    def to_dict(self) -> dict[str, Any]:
        def scale_dict(sc: Scale | None):
            if sc is None:
                return None
            return {
                "min": sc.min,
                "max": sc.max,
                "discrete": sc.discrete,
                "labels": {_num_key(k): list(v) for k, v in sc.labels.items()},
            }

        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "citation": self.citation,
            "license": self.license,
            "rater": self.rater,
            "demonstration": self.demonstration,
            "extends": self.extends,
            "scale": scale_dict(self.scale),
            "missing_codes": list(self.missing_codes),
            "missing_labels": list(self.missing_labels),
            "min_answered": self.min_answered,
            "items": [
                {
                    "id": i.id,
                    "column": i.column,
                    "reverse": i.reverse,
                    "label": i.label,
                    "text": i.text,
                    "scale": scale_dict(i.scale),
                    "translations": i.translations,
                }
                for i in self.items
            ],
            "subscales": [
                {
                    "id": s.id,
                    "name": s.name,
                    "items": list(s.items),
                    "method": s.method,
                    "min_answered": s.min_answered,
                    "higher_is_better": s.higher_is_better,
                    "description": s.description,
                    "translations": s.translations,
                }
                for s in self.subscales
            ],
            "totals": [
                {
                    "id": t.id,
                    "name": t.name,
                    "items": list(t.items) if t.items is not None else None,
                    "subscales": list(t.subscales) if t.subscales is not None else None,
                    "method": t.method,
                    "min_answered": t.min_answered,
                    "description": t.description,
                    "translations": t.translations,
                }
                for t in self.totals
            ],
            "translations": self.translations,
            "path": self.path,
            "sha256": self.sha256,
        }


def translated(element: Any, field_name: str, lang: str | None) -> str:
    """A display text of an instrument, subscale, total or item in ``lang``.

    ``translations[lang][field_name]`` when the instrument file gives it (e.g. the Dutch
    ``name`` of a subscale), else the element's own ``field_name`` (``name``, ``description``,
    ``label`` or ``text``; an empty string when that is missing).
    """
    texts = getattr(element, "translations", None) or {}
    if lang and lang in texts and texts[lang].get(field_name):
        return str(texts[lang][field_name])
    value = getattr(element, field_name, None)
    return "" if value is None else str(value)


def _num_key(k: float) -> str:
    return str(int(k)) if float(k).is_integer() else repr(k)


# --------------------------------------------------------------------------- YAML reading


@dataclass
class _Source:
    """One parsed YAML file with a map from data path to line number."""

    path: str
    data: dict
    lines: dict[tuple, int]
    raw: bytes

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    def line_of(self, path: tuple) -> int | None:
        p = tuple(path)
        while True:
            if p in self.lines:
                return self.lines[p]
            if not p:
                return None
            p = p[:-1]


def _read_yaml(path: str | os.PathLike) -> _Source:
    from wamkit.io import note_input

    path = str(path)
    name = os.path.basename(path)
    note_input(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InstrumentError(f"{path}: instrument file not found") from None
    except IsADirectoryError:
        raise InstrumentError(f"{path}: is a folder, not an instrument file") from None
    except OSError as e:
        raise InstrumentError(f"{path}: cannot read instrument file ({e.strerror})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise InstrumentError(f"{name}: instrument file is larger than 1 MiB; refusing to parse it")
    if b"\x00" in raw:
        raise InstrumentError(f"{name}: not a text file (contains NUL bytes)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InstrumentError(f"{name}: instrument files must be UTF-8 (bad byte at offset {e.start})") from None

    from wamkit.instrument.safe_yaml import parse_yaml

    data, lines = parse_yaml(text, name, InstrumentError)
    if not isinstance(data, dict):
        raise InstrumentError(f"{name}: an instrument file must be a YAML mapping (id: ..., items: ...)")
    return _Source(path=path, data=data, lines=lines, raw=raw)


# --------------------------------------------------------------------------- registry


def bundled_dir() -> Path:
    """Folder of the instruments shipped with wamkit (package data, or the repo in a dev checkout)."""
    pkg = resources.files("wamkit") / "instruments"
    try:
        if pkg.is_dir():
            return Path(str(pkg))
    except (FileNotFoundError, NotADirectoryError):  # pragma: no cover
        pass
    return Path(__file__).resolve().parents[3] / "instruments"


def search_dirs(extra: list[str | os.PathLike] | None = None) -> list[Path]:
    """Folders searched for instrument ids: ``extra``, then ``$WAMKIT_INSTRUMENTS``, then the bundled ones."""
    dirs = [Path(d) for d in (extra or [])]
    env = os.environ.get(ENV_PATH, "")
    dirs += [Path(d) for d in env.split(os.pathsep) if d.strip()]
    dirs.append(bundled_dir())
    return dirs


def _yaml_files(d: Path) -> list[Path]:
    if not d.is_dir():
        return []
    return sorted(p for p in d.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def find_instrument_file(instrument_id: str, extra_dirs: list | None = None) -> Path:
    """Path of the instrument file with ``id: instrument_id`` (file name ``<id>.yaml`` first)."""
    dirs = search_dirs(extra_dirs)
    for d in dirs:
        for suffix in (".yaml", ".yml"):
            cand = d / f"{instrument_id}{suffix}"
            if cand.is_file():
                return cand
    for d in dirs:
        for p in _yaml_files(d):
            try:
                if _read_yaml(p).data.get("id") == instrument_id:
                    return p
            except InstrumentError:
                continue
    known = sorted({e["id"] for e in list_instruments(extra_dirs) if e.get("id")})
    hint = f"; known ids: {', '.join(known)}" if known else ""
    raise InstrumentError(f"unknown instrument '{instrument_id}' (not a file, not a known id){hint}")


def list_instruments(extra_dirs: list | None = None) -> list[dict[str, Any]]:
    """Light listing of every instrument file in the search folders (first id wins)."""
    seen: set[Any] = set()
    out: list[dict[str, Any]] = []
    for d in search_dirs(extra_dirs):
        for p in _yaml_files(d):
            try:
                data = _read_yaml(p).data
            except InstrumentError as e:
                out.append({"id": None, "path": str(p), "error": e.message})
                continue
            iid = data.get("id")
            if iid in seen:
                continue
            seen.add(iid)
            out.append(
                {
                    "id": iid,
                    "name": data.get("name", ""),
                    "version": str(data.get("version", "")),
                    "rater": data.get("rater"),
                    "demonstration": bool(data.get("demonstration", False)),
                    "extends": data.get("extends"),
                    "path": str(p),
                    "bundled": d == bundled_dir(),
                }
            )
    return out


# --------------------------------------------------------------------------- loading


def load_instrument(ref: str | os.PathLike, *, extra_dirs: list | None = None) -> Instrument:
    """Load and validate an instrument by bundled/known id or by file path."""
    s = str(ref)
    looks_like_path = s.endswith((".yaml", ".yml")) or os.sep in s or "/" in s
    if looks_like_path or os.path.isfile(s):
        if not os.path.exists(s):
            raise InstrumentError(f"{s}: instrument file not found")
        path = Path(s)
    else:
        path = find_instrument_file(s, extra_dirs)
    return _load_path(path, extra_dirs=extra_dirs)


def _load_path(path: Path, *, extra_dirs: list | None) -> Instrument:
    chain = [_read_yaml(path)]
    seen_ids = [chain[0].data.get("id")]
    while "extends" in chain[-1].data:
        src = chain[-1]
        parent_id = src.data["extends"]
        if not isinstance(parent_id, str):
            raise InstrumentError(f"{src.name}:{src.line_of(('extends',))}: 'extends' must be an instrument id")
        if parent_id in seen_ids:
            cycle = " -> ".join([*map(str, seen_ids), parent_id])
            raise InstrumentError(f"{src.name}:{src.line_of(('extends',))}: circular 'extends' ({cycle})")
        dirs = [Path(src.path).parent, *(extra_dirs or [])]
        try:
            ppath = find_instrument_file(parent_id, dirs)
        except InstrumentError:
            raise InstrumentError(
                f"{src.name}:{src.line_of(('extends',))}: extends unknown instrument '{parent_id}'"
            ) from None
        chain.append(_read_yaml(ppath))
        seen_ids.append(parent_id)
        if len(chain) > 16:
            raise InstrumentError(f"{chain[0].name}: 'extends' chain longer than 16 files")
    data = chain[-1].data
    for src in reversed(chain[:-1]):
        data = _merge(data, src.data)
    sha = hashlib.sha256(b"".join(s.raw for s in chain)).hexdigest()
    return _build(data, chain, sha)


def _merge(parent: dict, child: dict) -> dict:
    """Apply a child instrument's overrides to its parent (see docs/instruments.md)."""
    merged = {k: v for k, v in parent.items() if k not in ("examples", "extends", "remove_items")}
    for key, value in child.items():
        if key in ("items", "subscales", "totals") and isinstance(value, list) and isinstance(merged.get(key), list):
            base = [dict(e) if isinstance(e, dict) else e for e in merged[key]]
            index = {e.get("id"): i for i, e in enumerate(base) if isinstance(e, dict)}
            for entry in value:
                if isinstance(entry, dict) and entry.get("id") in index:
                    base[index[entry["id"]]].update(entry)
                else:
                    base.append(entry)
            merged[key] = base
        elif key != "remove_items":
            merged[key] = value
    removed = child.get("remove_items") or []
    if removed and isinstance(removed, list):
        gone = set(removed)
        merged["items"] = [e for e in merged.get("items", []) if not (isinstance(e, dict) and e.get("id") in gone)]
        for key in ("subscales", "totals"):
            for e in merged.get(key, []) or []:
                if isinstance(e, dict) and isinstance(e.get("items"), list):
                    e["items"] = [i for i in e["items"] if i not in gone]
    return merged


_SCHEMA = None


def _schema_validator():
    global _SCHEMA
    if _SCHEMA is None:
        import jsonschema

        schema = json.loads(
            (resources.files("wamkit.instrument") / "schema" / "instrument.schema.json").read_text("utf-8")
        )
        _SCHEMA = jsonschema.Draft202012Validator(schema)
    return _SCHEMA


def instrument_schema() -> dict:
    """The JSON Schema instrument files are validated against."""
    return json.loads((resources.files("wamkit.instrument") / "schema" / "instrument.schema.json").read_text("utf-8"))


def _jsonify_keys(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonify_keys(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_jsonify_keys(v) for v in obj]
    return obj


_PLACEHOLDER = re.compile(r"^\s*TODO(?![A-Za-z0-9])")


def draft_placeholders(data: Any, path: tuple = ()) -> list[tuple[tuple, str]]:
    """``(key path, value)`` of every text value of an instrument file that is a ``TODO`` placeholder
    (``TODO`` alone or followed by punctuation, as ``wamkit instruments new`` writes them)."""
    out: list[tuple[tuple, str]] = []
    if isinstance(data, str):
        if _PLACEHOLDER.match(data):
            out.append((path, data))
    elif isinstance(data, dict):
        for k, v in data.items():
            out += draft_placeholders(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += draft_placeholders(v, path + (i,))
    return out


def _refuse_placeholders(head: _Source) -> None:
    found = draft_placeholders(head.data)
    if not found:
        return
    msgs = []
    for path, value in found:
        shown = value if len(value) <= 40 else value[:37] + "..."
        msgs.append(
            f"{head.name}:{head.line_of(path)}: {_path_text(path)} still holds the draft placeholder "
            f"{shown!r}; replace it"
        )
    more = f" ({len(found)} placeholders left; a draft is used only when none is)" if len(found) > 1 else ""
    raise InstrumentError(
        msgs[0] + more,
        details=msgs[1:MAX_LISTED_PLACEHOLDERS]
        + ([f"... and {len(found) - MAX_LISTED_PLACEHOLDERS} more"] if len(found) > MAX_LISTED_PLACEHOLDERS else []),
    )


MAX_LISTED_PLACEHOLDERS = 20


def _build(data: dict, chain: list[_Source], sha: str) -> Instrument:
    """The instrument of the merged ``data`` of ``chain``; refused with every problem, each named by file and line."""
    head = chain[0]
    _refuse_placeholders(head)
    where = _locator(chain)
    _check_schema(data, where)

    problems: list[str] = []

    def bad(path: tuple, msg: str) -> None:
        problems.append(f"{where(path)}: {msg}")

    scale = _scale(data.get("scale"), ("scale",), bad)
    items, seen_items = _build_items(data["items"], scale, bad)
    subscales, score_ids = _build_subscales(data["subscales"], items, seen_items, bad)
    totals = _build_totals(data.get("totals") or [], seen_items, {s.id for s in subscales}, score_ids, bad)
    examples = _build_examples(data.get("examples") or [], seen_items, score_ids, bad)
    missing_codes = _missing_codes(data, scale, items, bad)
    if problems:
        raise InstrumentError(problems[0], details=problems[1:] if len(problems) > 1 else None)

    return Instrument(
        id=data["id"],
        name=data["name"],
        version=str(data["version"]),
        items=tuple(items),
        subscales=tuple(subscales),
        totals=tuple(totals),
        scale=scale,
        missing_codes=missing_codes,
        missing_labels=tuple(str(x) for x in data.get("missing_labels") or []),
        min_answered=float(data.get("min_answered", DEFAULT_MIN_ANSWERED)),
        description=data.get("description", ""),
        citation=data.get("citation", ""),
        license=data.get("license", ""),
        rater=data.get("rater"),
        demonstration=bool(data.get("demonstration", False)),
        extends=chain[0].data.get("extends"),
        examples=tuple(examples),
        path=str(head.path),
        sha256=sha,
        translations=_translations(data),
    )


def _locator(chain: list[_Source]) -> Callable[[tuple], str]:
    """A function giving ``file:line`` of a key path: in the first file of ``chain`` that holds it, else the head."""
    head = chain[0]

    def where(path: tuple) -> str:
        for src in chain:
            line = src.line_of(path) if _path_exists(src.data, path) else None
            if line is not None:
                return f"{src.name}:{line}"
        line = head.line_of(path)
        return f"{head.name}:{line}" if line else head.name

    return where


def _check_schema(data: dict, where: Callable[[tuple], str]) -> None:
    """Refuse ``data`` when it breaks the JSON schema, every violation located with ``where``."""
    errors = []
    validator = _schema_validator()
    for err in sorted(validator.iter_errors(_jsonify_keys(data)), key=lambda e: list(map(str, e.absolute_path))):
        path = tuple(err.absolute_path)
        field_name = f"{_path_text(path)}: " if path else ""
        errors.append(f"{where(path)}: {field_name}{_schema_message(err)}")
    if errors:
        raise InstrumentError(errors[0], details=errors[1:] if len(errors) > 1 else None)


def _build_items(raws: list, scale: Scale | None, bad) -> tuple[list[Item], dict[str, int]]:
    """The items, and the position of each item id, reporting duplicate ids and columns to ``bad``."""
    items: list[Item] = []
    seen_items: dict[str, int] = {}
    seen_cols: dict[str, str] = {}
    for i, raw in enumerate(raws):
        iid = raw["id"]
        if iid in seen_items:
            bad(("items", i, "id"), f"duplicate item id '{iid}'")
            continue
        seen_items[iid] = i
        col = raw.get("column") or iid
        if col in seen_cols:
            bad(("items", i, "column"), f"items '{seen_cols[col]}' and '{iid}' read the same column '{col}'")
        seen_cols[col] = iid
        iscale = _scale(raw.get("scale"), ("items", i, "scale"), bad) if raw.get("scale") else None
        reverse = bool(raw.get("reverse", False))
        if reverse and iscale is None and scale is None:
            bad(
                ("items", i, "reverse"),
                f"item '{iid}' is reversed but no response range is declared (scale: {{min, max}})",
            )
        items.append(
            Item(
                id=iid,
                column=col,
                reverse=reverse,
                text=raw.get("text"),
                label=raw.get("label"),
                scale=iscale,
                translations=_translations(raw),
            )
        )
    return items, seen_items


def _build_subscales(
    raws: list, items: list[Item], seen_items: dict[str, int], bad
) -> tuple[list[Subscale], dict[str, str]]:
    """The subscales and the score ids so far, reporting unknown, repeated and unassigned items to ``bad``."""
    subscales: list[Subscale] = []
    score_ids: dict[str, str] = {}
    in_subscale: set[str] = set()
    for j, raw in enumerate(raws):
        sid = raw["id"]
        if sid in score_ids:
            bad(("subscales", j, "id"), f"duplicate score id '{sid}'")
        if sid in seen_items:
            bad(("subscales", j, "id"), f"subscale id '{sid}' is also an item id")
        score_ids[sid] = "subscale"
        members = raw["items"]
        for k, it in enumerate(members):
            if it not in seen_items:
                bad(("subscales", j, "items", k), f"subscale '{sid}' lists unknown item '{it}'")
            elif members.index(it) != k:
                bad(("subscales", j, "items", k), f"subscale '{sid}' lists item '{it}' twice")
        in_subscale.update(members)
        subscales.append(
            Subscale(
                id=sid,
                items=tuple(members),
                name=raw.get("name", sid),
                method=raw.get("method", "mean"),
                min_answered=raw.get("min_answered"),
                higher_is_better=raw.get("higher_is_better", True),
                description=raw.get("description", ""),
                translations=_translations(raw),
            )
        )
    for it in items:
        if it.id not in in_subscale:
            bad(("items", seen_items[it.id]), f"item '{it.id}' is in no subscale")
    return subscales, score_ids


def _build_totals(
    raws: list, seen_items: dict[str, int], sub_ids: set[str], score_ids: dict[str, str], bad
) -> list[Total]:
    """The totals (added to ``score_ids``), reporting duplicate ids and unknown items or subscales to ``bad``."""
    totals: list[Total] = []
    for j, raw in enumerate(raws):
        tid = raw["id"]
        if tid in score_ids or tid in seen_items:
            bad(("totals", j, "id"), f"duplicate score id '{tid}'")
        score_ids[tid] = "total"
        for k, it in enumerate(raw.get("items") or []):
            if it not in seen_items:
                bad(("totals", j, "items", k), f"total '{tid}' lists unknown item '{it}'")
        for k, s in enumerate(raw.get("subscales") or []):
            if s not in sub_ids:
                bad(("totals", j, "subscales", k), f"total '{tid}' lists unknown subscale '{s}'")
        totals.append(
            Total(
                id=tid,
                items=tuple(raw["items"]) if "items" in raw else None,
                subscales=tuple(raw["subscales"]) if "subscales" in raw else None,
                name=raw.get("name", tid),
                method=raw.get("method", "mean"),
                min_answered=raw.get("min_answered"),
                description=raw.get("description", ""),
                translations=_translations(raw),
            )
        )
    return totals


def _build_examples(raws: list, seen_items: dict[str, int], score_ids: dict[str, str], bad) -> list[Example]:
    """The worked examples, reporting responses for unknown items and unknown expected scores to ``bad``."""
    examples = []
    for j, raw in enumerate(raws):
        for k in raw["responses"]:
            if k not in seen_items:
                bad(("examples", j, "responses", k), f"example {j + 1} gives a response for unknown item '{k}'")
        for k in raw["scores"]:
            if k not in score_ids:
                bad(("examples", j, "scores", k), f"example {j + 1} expects unknown score '{k}'")
        examples.append(Example(responses=dict(raw["responses"]), scores=dict(raw["scores"]), note=raw.get("note", "")))
    return examples


def _missing_codes(data: dict, scale: Scale | None, items: list[Item], bad) -> tuple[float, ...]:
    """The declared missing codes, reporting to ``bad`` a code inside a response range."""
    missing_codes = tuple(float(c) for c in data.get("missing_codes") or [])
    for k, c in enumerate(missing_codes):
        for sc in [scale, *[it.scale for it in items]]:
            if sc is not None and sc.min <= c <= sc.max:
                bad(
                    ("missing_codes", k),
                    f"missing code {_num_key(c)} lies inside the response range {_num_key(sc.min)}-{_num_key(sc.max)}",
                )
                break
    return missing_codes


def _translations(raw: dict) -> dict[str, dict[str, str]]:
    """``translations`` of one element: language -> field -> text (validated by the schema)."""
    return {
        str(lang): {str(k): str(v) for k, v in texts.items()} for lang, texts in (raw.get("translations") or {}).items()
    }


def _scale(raw: dict | None, path: tuple, bad) -> Scale | None:
    if raw is None:
        return None
    lo, hi = float(raw["min"]), float(raw["max"])
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo >= hi:
        bad(path, f"scale min ({raw['min']}) must be below max ({raw['max']})")
    labels: dict[float, tuple[str, ...]] = {}
    for k, v in (raw.get("labels") or {}).items():
        try:
            code = float(k)
        except (TypeError, ValueError):
            bad(path + ("labels", k), f"label key {k!r} is not a number")
            continue
        if not lo <= code <= hi:
            bad(path + ("labels", k), f"label code {k} lies outside the range {raw['min']}-{raw['max']}")
        labels[code] = (v,) if isinstance(v, str) else tuple(v)
    seen: dict[str, float] = {}
    for code, texts in labels.items():
        for t in texts:
            key = t.strip().casefold()
            if key in seen and seen[key] != code:
                bad(path + ("labels",), f"label '{t}' is used for two codes")
            seen[key] = code
    return Scale(min=lo, max=hi, discrete=bool(raw.get("discrete", True)), labels=labels)


def _path_exists(data, path: tuple) -> bool:
    cur = data
    for p in path:
        try:
            cur = cur[p]
        except (KeyError, IndexError, TypeError):
            return False
    return True


def _path_text(path: tuple) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _schema_message(err) -> str:
    if err.validator == "additionalProperties":
        return err.message.replace("Additional properties are not allowed", "unknown field(s)")
    if err.validator == "required":
        return err.message.replace("is a required property", "is required")
    if err.validator == "pattern":
        return f"{err.instance!r} is not a valid identifier (pattern {err.validator_value})"
    if err.validator == "oneOf" and isinstance(err.instance, dict) and {"items", "subscales"} <= set(err.instance):
        return "give either 'items' or 'subscales', not both"
    if err.validator == "oneOf" and isinstance(err.instance, dict):
        return "needs 'items' or 'subscales'"
    return err.message
