"""The study file: the design of an alliance study, declared once.

A study file (``study.yaml``, JSON Schema in ``design/schema/study.schema.json``,
documented in ``docs/study.md``) says where the data are, their layout (long or wide),
the roles (client, professional) with their instruments, the identifiers (dyad,
officer, person), the waves in time order with their months, and the outcomes file
with its join keys. Every command reads data through it (:func:`wamkit.design.read.read`),
so the design is asked once, not per command.

Without a study file, :func:`study_from_options` builds the same object from
command-line style settings, so both paths share one read path.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from wamkit.errors import UsageError, WamkitError

__all__ = [
    "ROLE_KEYS",
    "Design",
    "EventSpec",
    "FileSpec",
    "OutcomeSpec",
    "RoleSpec",
    "Study",
    "StudyError",
    "load_study",
    "study_from_options",
    "study_schema",
    "wave_sort_key",
]

#: the roles a study can declare, in report order
ROLE_KEYS = ("client", "professional")
TIME_UNITS_PER_DAY = {"days": 1.0, "weeks": 1 / 7, "months": 12 / 365.25, "years": 1 / 365.25}
#: days per month used to turn a wave's ``months`` into the outcome's time unit
DAYS_PER_MONTH = 365.25 / 12
MAX_STUDY_BYTES = 1 << 20


class StudyError(WamkitError):
    """A study file is unreadable, invalid, or does not fit its data."""


def wave_sort_key(label: Any) -> tuple:
    """Natural order of wave labels: ``T2`` before ``T10``, numbers numerically."""
    parts = re.split(r"(\d+(?:\.\d+)?)", str(label))
    return tuple((0, float(p)) if i % 2 else (1, p.lower()) for i, p in enumerate(parts) if p != "")


@dataclass(frozen=True)
class FileSpec:
    """Where a data file is and how to read it."""

    path: str
    sheet: str | None = None
    header_row: int | None = None
    format: str | None = None


@dataclass(frozen=True)
class RoleSpec:
    """One rater role: its value in the role column (long), its label in column names (wide), its instrument."""

    key: str
    value: str
    label: str
    instrument: str | None = None
    column_map: Mapping[str, str] = field(default_factory=dict)
    columns: str | None = None


@dataclass(frozen=True)
class EventSpec:
    """A time-to-event outcome: indicator and time columns, the wave at time 0, the time unit."""

    name: str
    time: str
    event: str
    origin_wave: str | None = None
    unit: str = "days"


@dataclass(frozen=True)
class OutcomeSpec:
    """The outcomes file and what to take from it."""

    file: FileSpec
    on: Mapping[str, str]
    variables: Mapping[str, str] = field(default_factory=dict)
    events: Mapping[str, EventSpec] = field(default_factory=dict)


@dataclass(frozen=True)
class Design:
    """Which columns carry the design, and the order of roles and waves (None: not known).

    ``role`` and ``wave`` name the columns of the *long* data (after a wide file is
    reshaped they exist too). ``person`` falls back to ``dyad`` (one client per dyad).
    """

    dyad: str | None = None
    officer: str | None = None
    person: str | None = None
    role: str | None = None
    roles: tuple[RoleSpec, ...] = ()
    wave: str | None = None
    waves: tuple[str, ...] = ()
    months: tuple[float, ...] | None = None
    covariates: tuple[str, ...] = ()
    pairs: Mapping[str, str] = field(default_factory=dict)

    @property
    def person_column(self) -> str | None:
        """The column that identifies a person (a client): ``person``, else ``dyad``."""
        return self.person or self.dyad

    def role_spec(self, key: str) -> RoleSpec | None:
        return next((r for r in self.roles if r.key == key), None)

    def role_value(self, key: str) -> str | None:
        spec = self.role_spec(key)
        return spec.value if spec else None

    def role_key(self, value: Any) -> str | None:
        return next((r.key for r in self.roles if r.value == value), None)

    def months_of(self, wave: str) -> float | None:
        if self.months is None or wave not in self.waves:
            return None
        return float(self.months[self.waves.index(wave)])

    def ordered_waves(self, present: Iterable[Any]) -> list[str]:
        """Wave labels present, in the declared order, then undeclared ones in natural order."""
        seen = [str(w) for w in dict.fromkeys(present) if w is not None and w == w]
        declared = [w for w in self.waves if w in seen]
        return declared + sorted((w for w in seen if w not in self.waves), key=wave_sort_key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dyad": self.dyad,
            "officer": self.officer,
            "person": self.person,
            "role": self.role,
            "roles": {r.key: {"value": r.value, "label": r.label, "instrument": r.instrument} for r in self.roles},
            "wave": self.wave,
            "waves": list(self.waves),
            "months": list(self.months) if self.months is not None else None,
            "covariates": list(self.covariates),
            "pairs": dict(self.pairs),
        }


@dataclass(frozen=True)
class Study:
    """A study: data source, layout, design and outcomes (see the module docstring)."""

    id: str
    data: FileSpec
    design: Design
    layout: str = "long"
    wide_pattern: str | None = None
    outcomes: OutcomeSpec | None = None
    where: tuple[str, ...] = ()
    invalid: str | None = None
    min_answered: float | None = None
    lang: str = "en"
    title: str | None = None
    #: analyses the study asks for by default: ``surface``, ``time_varying`` (outcomes), ``apim`` (dyads)
    analyses: frozenset[str] = frozenset()
    instrument: str | None = None
    column_map: Mapping[str, str] = field(default_factory=dict)
    columns: str | None = None
    path: str | None = None
    lines: Mapping[tuple, int] = field(default_factory=dict, repr=False, compare=False)

    @property
    def name(self) -> str:
        """The study file's name for messages (``<options>`` for a study built from options)."""
        return os.path.basename(self.path) if self.path else "<options>"

    def at(self, *key: str | int) -> str:
        """``study.yaml:LINE`` of a key (for messages), or the file name when unknown."""
        for n in range(len(key), 0, -1):
            line = self.lines.get(tuple(key[:n]))
            if line is not None:
                return f"{self.name}:{line}"
        return self.name

    def error(self, message: str, *key: str | int) -> StudyError:
        """A one-line study error naming file, line and key: ``study.yaml:7: ids.dyad: ...``."""
        dotted = ".".join(str(k) for k in key)
        return StudyError(f"{self.at(*key)}: {dotted + ': ' if dotted else ''}{message}")

    def resolve(self, path: str) -> str:
        """A path from the study file, relative to the study file's folder."""
        if self.path is None or os.path.isabs(path) or path == "-":
            return path
        return os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(self.path)), path))

    def instrument_ref(self, role: RoleSpec | None = None) -> str | None:
        """The role's instrument (else the study's default): an id as is, a path relative to the study file."""
        ref = role.instrument if role is not None and role.instrument else self.instrument
        if ref is None:
            return None
        if ref.endswith((".yaml", ".yml")) or "/" in ref or os.sep in ref:
            return self.resolve(ref)
        return ref

    def replace(self, **changes: Any) -> Study:
        return dataclasses.replace(self, **changes)

    def with_design(self, **changes: Any) -> Study:
        """A copy with some design columns replaced (keys whose value is None are kept)."""
        kept = {k: v for k, v in changes.items() if v is not None}
        return dataclasses.replace(self, design=dataclasses.replace(self.design, **kept)) if kept else self

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "study": self.id,
            "path": self.path,
            "layout": self.layout,
            "wide_pattern": self.wide_pattern,
            "data": dataclasses.asdict(self.data),
            "design": self.design.to_dict(),
            "where": list(self.where),
            "lang": self.lang,
            "analyses": sorted(self.analyses),
        }
        if self.outcomes is not None:
            o = self.outcomes
            out["outcomes"] = {
                "file": dataclasses.asdict(o.file),
                "on": dict(o.on),
                "variables": dict(o.variables),
                "events": {k: dataclasses.asdict(v) for k, v in o.events.items()},
            }
        return out


# --------------------------------------------------------------------------- loading


def study_schema() -> dict[str, Any]:
    """The JSON Schema study files are validated against."""
    text = (resources.files("wamkit.design") / "schema" / "study.schema.json").read_text("utf-8")
    return json.loads(text)


_VALIDATOR: Any = None


def _validator() -> Any:
    global _VALIDATOR
    if _VALIDATOR is None:
        import jsonschema

        _VALIDATOR = jsonschema.Draft202012Validator(study_schema())
    return _VALIDATOR


def _schema_errors(raw: Any, name: str, lines: Mapping[tuple, int]) -> None:
    errors = sorted(_validator().iter_errors(raw), key=lambda e: (len(e.absolute_path), list(map(str, e.path))))
    if not errors:
        return
    e = errors[0]
    path = tuple(e.absolute_path)
    line = None
    for n in range(len(path), -1, -1):
        line = lines.get(path[:n])
        if line is not None:
            break
    where = f"{name}:{line}" if line else name
    dotted = ".".join(map(str, path))
    msg = e.message
    if e.validator == "additionalProperties":
        msg = msg.replace("Additional properties are not allowed", "unknown key")
    elif e.validator == "required":
        msg = msg.replace("is a required property", "is required")
    elif e.validator == "anyOf" and dotted == "roles":
        msg = "declare at least one role: client or professional"
    details = [f"{len(errors) - 1} more problem(s) in {name}"] if len(errors) > 1 else None
    raise StudyError(f"{where}: {dotted + ': ' if dotted else ''}{msg}", details=details)


def load_study(path: str | os.PathLike) -> Study:
    """Read and validate a study file (YAML); paths inside are relative to it.

    Raises :class:`StudyError` naming the file, line and key of the first problem.
    Checks against the data (columns, role and wave values, joins) happen when the
    data are read (:func:`wamkit.design.read.read`) and in :func:`wamkit.design.check.check_study`.
    """
    from wamkit.instrument.safe_yaml import parse_yaml
    from wamkit.io import note_input

    p = Path(path)
    name = p.name
    if not p.is_file():
        raise StudyError(f"{path}: study file not found" if not p.exists() else f"{path}: is not a file")
    raw_bytes = p.read_bytes()
    if len(raw_bytes) > MAX_STUDY_BYTES:
        raise StudyError(f"{name}: a study file must be smaller than {MAX_STUDY_BYTES >> 20} MiB")
    try:
        text = raw_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise StudyError(f"{name}: not UTF-8 text (byte {e.start})") from None
    note_input(p)
    raw, lines = parse_yaml(text, name, StudyError)
    if not isinstance(raw, dict):
        raise StudyError(f"{name}: a study file is a YAML mapping (study:, data:, roles:, ...)")
    _schema_errors(raw, name, lines)
    return _build(raw, str(p), lines)


def _text(v: Any) -> str:
    """A YAML scalar as the text wamkit compares with data values (``6`` and ``6.0`` -> ``6``)."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _build(raw: dict[str, Any], path: str | None, lines: Mapping[tuple, int]) -> Study:
    proto = Study(id=str(raw["study"]), data=FileSpec(path=""), design=Design(), path=path, lines=lines)
    layout = raw.get("layout", "long")
    data = _file_spec(raw["data"])
    roles_raw = raw["roles"]
    roles = tuple(_role(k, roles_raw[k]) for k in ROLE_KEYS if k in roles_raw)
    if len({r.value for r in roles}) < len(roles):
        raise proto.error("the roles must have different values", "roles")
    role_column = roles_raw.get("column")
    if layout == "long" and len(roles) > 1 and not role_column:
        raise proto.error("two roles in long data need 'column' (the column holding each row's role)", "roles")
    if layout == "wide":
        if not raw.get("wide_pattern"):
            raise proto.error("layout: wide needs wide_pattern, e.g. '{role}_{wave}_{item}'", "layout")
        if len({r.label for r in roles}) < len(roles):
            raise proto.error("the roles must have different labels in a wide file", "roles")
    pattern = raw.get("wide_pattern")
    if pattern is not None:
        _check_pattern(proto, pattern, layout, "waves" in raw, len(roles))
    ids = raw.get("ids", {})
    waves_raw = raw.get("waves")
    waves: tuple[str, ...] = ()
    months = None
    wave_column = None
    if waves_raw is not None:
        waves = tuple(_text(w) for w in waves_raw["order"])
        if len(set(waves)) < len(waves):
            raise proto.error("a wave label is listed twice", "waves", "order")
        if "months" in waves_raw:
            months = tuple(float(m) for m in waves_raw["months"])
            if len(months) != len(waves):
                raise proto.error(f"has {len(months)} values for {len(waves)} waves", "waves", "months")
            if any(b < a for a, b in zip(months, months[1:], strict=False)):
                raise proto.error("must not decrease (waves are in time order)", "waves", "months")
        wave_column = waves_raw.get("column")
        if layout == "long" and wave_column is None and len(waves) > 1:
            raise proto.error("several waves in long data need 'column' (the column holding each row's wave)", "waves")
    if layout == "wide":
        role_column = role_column or "rater"
        wave_column = wave_column or ("wave" if waves else None)
    design = Design(
        dyad=ids.get("dyad"),
        officer=ids.get("officer"),
        person=ids.get("person"),
        role=role_column,
        roles=roles,
        wave=wave_column,
        waves=waves,
        months=months,
        covariates=tuple(raw.get("covariates", ())),
        pairs=dict(raw.get("pairs", {})),
    )
    outcomes = _outcomes(proto, raw["outcomes"], waves) if "outcomes" in raw else None
    scoring = raw.get("scoring", {})
    return Study(
        id=str(raw["study"]),
        data=data,
        design=design,
        layout=layout,
        wide_pattern=pattern,
        outcomes=outcomes,
        where=tuple(raw.get("where", ())),
        invalid=scoring.get("invalid"),
        min_answered=scoring.get("min_answered"),
        lang=raw.get("lang", "en"),
        title=raw.get("title"),
        analyses=frozenset(k for k, on in raw.get("analyses", {}).items() if on),
        path=path,
        lines=lines,
    )


def _file_spec(raw: Mapping[str, Any]) -> FileSpec:
    sheet = raw.get("sheet")
    return FileSpec(
        path=str(raw["path"]),
        sheet=None if sheet is None else str(sheet),
        header_row=raw.get("header_row"),
        format=raw.get("format"),
    )


def _role(key: str, raw: Mapping[str, Any]) -> RoleSpec:
    value = _text(raw.get("value", key))
    return RoleSpec(
        key=key,
        value=value,
        label=str(raw.get("label", value)),
        instrument=raw.get("instrument"),
        column_map=dict(raw.get("map", {})),
        columns=raw.get("columns"),
    )


def _check_pattern(proto: Study, pattern: str, layout: str, has_waves: bool, n_roles: int) -> None:
    fields = re.findall(r"\{(\w*)\}", pattern)
    unknown = [f for f in fields if f not in ("role", "wave", "item")]
    if unknown:
        raise proto.error(f"unknown field {{{unknown[0]}}} (use {{role}}, {{wave}} and {{item}})", "wide_pattern")
    if fields.count("item") != 1:
        raise proto.error("must contain {item} once", "wide_pattern")
    if has_waves and "wave" not in fields:
        raise proto.error("must contain {wave} when the study has waves", "wide_pattern")
    if n_roles > 1 and "role" not in fields:
        raise proto.error("must contain {role} when the study has two roles", "wide_pattern")
    if layout != "wide":
        raise proto.error("is only used with layout: wide", "wide_pattern")


def _outcomes(proto: Study, raw: Mapping[str, Any], waves: tuple[str, ...]) -> OutcomeSpec:
    events = {}
    for name, ev in raw.get("events", {}).items():
        origin = _text(ev["origin_wave"]) if "origin_wave" in ev else None
        if origin is not None and origin not in waves:
            raise proto.error(
                f"wave '{origin}' is not in waves.order ({', '.join(waves) or 'no waves declared'})",
                "outcomes",
                "events",
                name,
                "origin_wave",
            )
        events[name] = EventSpec(
            name=name, time=ev["time"], event=ev.get("event", name), origin_wave=origin, unit=ev.get("unit", "days")
        )
    both = set(raw.get("variables", {})) & set(events)
    if both:
        raise proto.error(f"'{sorted(both)[0]}' is both a variable and an event", "outcomes", "events")
    return OutcomeSpec(
        file=_file_spec(raw), on=dict(raw.get("on", {})), variables=dict(raw.get("variables", {})), events=events
    )


# --------------------------------------------------------------------------- from options


def study_from_options(
    data: str | None,
    *,
    instruments: Mapping[str | None, str] | None = None,
    rater: str | None = None,
    dyad: str | None = None,
    officer: str | None = None,
    person: str | None = None,
    wave: str | None = None,
    wave_order: Sequence[str] | None = None,
    client_value: str = "client",
    professional_value: str = "professional",
    sheet: str | None = None,
    header_row: int | None = None,
    input_format: str | None = None,
    column_map: Mapping[str, str] | None = None,
    columns: str | None = None,
    covariates: Sequence[str] = (),
) -> Study:
    """A study built from command-line style settings (no study file).

    ``instruments`` maps a value of the ``rater`` column to an instrument (``{None: ref}``
    for one instrument for every row). Rater values equal to ``client_value`` /
    ``professional_value`` become those roles; other values keep their own name as role.
    """
    if data is None:
        raise UsageError("give the data file (or a study file with study=...)")
    instruments = dict(instruments or {})
    roles: list[RoleSpec] = [
        RoleSpec(key=_role_key(value, client_value, professional_value), value=value, label=value, instrument=ref)
        for value, ref in instruments.items()
        if value is not None
    ]
    if rater is not None and not roles:
        for key, value in (("client", client_value), ("professional", professional_value)):
            if value not in {r.value for r in roles} and key not in {r.key for r in roles}:
                roles.append(RoleSpec(key=key, value=value, label=value))
    design = Design(
        dyad=dyad,
        officer=officer,
        person=person,
        role=rater,
        roles=tuple(roles),
        wave=wave,
        waves=tuple(wave_order or ()),
        covariates=tuple(covariates),
    )
    return Study(
        id=os.path.splitext(os.path.basename(data))[0] if data != "-" else "stdin",
        data=FileSpec(path=data, sheet=sheet, header_row=header_row, format=input_format),
        design=design,
        instrument=instruments.get(None),
        column_map=dict(column_map or {}),
        columns=columns,
    )


def _role_key(value: str, client_value: str, professional_value: str) -> str:
    if value == client_value:
        return "client"
    if value == professional_value:
        return "professional"
    return value
