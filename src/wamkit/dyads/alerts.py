"""Alerts for an alliance monitor: rules declared in YAML, evaluated on scores.

The shipped defaults live in ``wamkit/dyads/alert_rules.yaml`` (read it for the format and
the meaning of each field). A user file in the same format overrides or extends them
(:func:`load_alert_rules`). :func:`evaluate_alerts` applies the rules to the long scores
(one row per dyad × rater × wave) and returns one row per alert.

Each rule kind is one entry of :data:`REGISTRY`: its fields, the direction of the scores it
looks at, and one small evaluator. Kinds use the scale's declared direction
(``higher_is_better`` in the instrument file):

=================  =====================================================================
kind               alerts when (``value`` / ``threshold``)
=================  =====================================================================
``below_cutoff``   a score where higher is better is below the cut-off (score / cut-off)
``above_cutoff``   a score where higher is worse (reactance, loss of energy) is above the
                   cut-off (score / cut-off)
``drop``           a score where higher is better fell by at least ``min_drop`` since the
                   previous wave of the same dyad and rater (the fall / ``min_drop``)
``rise``           a score where higher is worse rose by at least ``min_rise`` (the rise /
                   ``min_rise``)
``reliable_drop``  a reliable change for the worse (Jacobson–Truax, either direction; RCI /
                   ∓1.96)
``divergence``     client and professional of the same dyad and wave differ by more than
                   ``threshold`` (client − professional / threshold)
``missing_followup`` a dyad seen at an earlier wave has no row at a later wave present in the
                   data (NaN / NaN)
=================  =====================================================================

``subscale: "*"`` means every score of the kind's direction; naming a score of the other
direction is refused with a message naming the kind to use.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wamkit.dyads.change import CLASS_DETERIORATED, consecutive_rows, reliable_change
from wamkit.dyads.frames import (
    check_keys_present,
    duplicate_error,
    empty_frame,
    float_block,
    require_columns,
    row_numbers,
    wave_positions,
)
from wamkit.dyads.pairing import pair_dyads, pair_id
from wamkit.errors import UsageError
from wamkit.results import to_jsonable

__all__ = [
    "ALERT_COLUMNS",
    "DEFAULT_RULES_NAME",
    "KINDS",
    "REGISTRY",
    "AlertContext",
    "AlertKind",
    "AlertRule",
    "default_rules_text",
    "evaluate_alerts",
    "load_alert_rules",
]

DEFAULT_RULES_NAME = "alert_rules.yaml"
ALERT_COLUMNS = ["dyad", "wave", "rule", "kind", "subscale", "rater", "value", "threshold", "wave_from", "message"]
RATERS = ("client", "professional", "any")
_COMMON_FIELDS = {"name", "kind", "enabled", "description"}
_TOP_LEVEL = {"version", "rules", "replace_defaults"}
_SORT = ["_d", "_w", "_r", "_s"]


@dataclass(frozen=True)
class AlertRule:
    """One validated alert rule.

    Attributes
    ----------
    name, kind : str
    subscales : tuple of str
        Scores the rule looks at; ``("*",)`` = every score of the kind's direction; empty
        for ``missing_followup``.
    rater : str
        ``"client"``, ``"professional"`` or ``"any"`` (``"any"`` for ``divergence``).
    threshold : float or None
        Cut-off / minimum change / divergence threshold in score units, or a fraction of
        the scale range when ``relative`` is true; None for kinds without one.
    relative : bool
        ``threshold`` is a fraction of the scale range (``*_fraction`` fields).
    enabled : bool
    description : str
    source : str
        The file the rule (or its last override) came from.
    """

    name: str
    kind: str
    subscales: tuple[str, ...]
    rater: str
    threshold: float | None
    relative: bool
    enabled: bool
    description: str
    source: str

    def where(self) -> str:
        return f"{self.source}, rule {self.name!r}"

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable({k: getattr(self, k) for k in self.__dataclass_fields__})


# --------------------------------------------------------------------------- evaluation context


@dataclass
class AlertContext:
    """What the evaluators look at: the long scores as arrays, directions, ranges and (lazily) pairs and change.

    ``keys`` has ``dyad, rater`` (role: client / professional), ``wave``, ``row`` and ``_wpos``
    (position in ``wave_order``); ``values`` one column per score of ``subscales``.
    ``pairing`` and ``change`` are computed on first use unless given.
    """

    keys: pd.DataFrame
    values: np.ndarray
    subscales: list[str]
    hib: dict[str, bool]
    ranges: dict[str, tuple[float, float]]
    wave_order: list[Any]
    make_pairing: Callable[[], Any]
    make_change: Callable[[], Any] | None
    pair_members: dict[str, tuple[str, str]] = field(default_factory=dict)
    _cache: dict[str, Any] = field(default_factory=dict)

    @property
    def col(self) -> dict[str, int]:
        return {s: j for j, s in enumerate(self.subscales)}

    @property
    def dyad_code(self) -> np.ndarray:
        if "dyad_code" not in self._cache:
            self._cache["dyad_code"] = pd.factorize(self.keys["dyad"], sort=False)[0]
        return self._cache["dyad_code"]

    def consecutive(self) -> tuple[np.ndarray, np.ndarray]:
        if "consecutive" not in self._cache:
            rater_codes = pd.factorize(self.keys["rater"], sort=False)[0]
            self._cache["consecutive"] = consecutive_rows(self.dyad_code, rater_codes, self.keys["_wpos"].to_numpy())
        return self._cache["consecutive"]

    def pairing(self) -> Any:
        if "pairing" not in self._cache:
            self._cache["pairing"] = self.make_pairing()
        return self._cache["pairing"]

    def change(self) -> Any:
        if "change" not in self._cache:
            self._cache["change"] = self.make_change() if self.make_change is not None else None
        return self._cache["change"]

    def rater_mask(self, rule: AlertRule) -> np.ndarray:
        role = self.keys["rater"].to_numpy()
        return np.ones(len(role), dtype=bool) if rule.rater == "any" else role == rule.rater

    def amount(self, rule: AlertRule, score: str) -> float:
        """The rule's threshold in score units (a fraction of ``score``'s range when relative)."""
        assert rule.threshold is not None
        if not rule.relative:
            return rule.threshold
        lo, hi = self.ranges[score]
        return rule.threshold * (hi - lo)

    def frame(
        self,
        rule: AlertRule,
        rule_i: int,
        idx: np.ndarray,
        subscale: str | None,
        rater: Any,
        value: Any,
        threshold: Any,
        wave_from: Any,
    ) -> dict[str, Any]:
        """Alert columns (arrays or scalars) at the rows ``idx`` of ``keys``, with the sort keys ``_d, _w, _r, _s``."""
        return {
            "dyad": self.keys["dyad"].to_numpy()[idx],
            "wave": self.keys["wave"].to_numpy()[idx],
            "rule": rule.name,
            "kind": rule.kind,
            "subscale": subscale,
            "rater": rater,
            "value": np.asarray(value, dtype=float),
            "threshold": np.asarray(threshold, dtype=float),
            "wave_from": wave_from,
            "_d": self.dyad_code[idx],
            "_w": self.keys["_wpos"].to_numpy()[idx],
            "_r": rule_i,
            "_s": self.position(subscale),
            "_n": len(idx),
        }

    def lookup(self, dyads: np.ndarray, waves: np.ndarray, roles: np.ndarray | None = None) -> np.ndarray:
        """Row positions in ``keys`` of (dyad, wave[, rater]) combinations (the first such row)."""
        cols = ["dyad", "wave"] + (["rater"] if roles is not None else [])
        name = "index_" + "_".join(cols)
        if name not in self._cache:
            ref = self.keys[cols].drop_duplicates()
            self._cache[name] = (pd.MultiIndex.from_frame(ref), ref.index.to_numpy())
        index, pos = self._cache[name]
        probe = [dyads, waves] + ([roles] if roles is not None else [])
        return pos[index.get_indexer(pd.MultiIndex.from_arrays(probe))]

    def position(self, subscale: str | None) -> int:
        """Sort position of a score (scores first, then pairs of two different scores)."""
        if subscale is None:
            return -1
        if subscale in self.col:
            return self.col[subscale]
        pairs = list(self.pair_members)
        return len(self.subscales) + pairs.index(subscale) if subscale in pairs else len(self.subscales) + len(pairs)


# --------------------------------------------------------------------------- the kinds


def _cutoff(rule: AlertRule, rule_i: int, ctx: AlertContext, targets: list[str]) -> list[dict[str, Any]]:
    """below_cutoff / above_cutoff: a score on the bad side of the cut-off (strictly)."""
    low = rule.kind == "below_cutoff"
    out = []
    mask = ctx.rater_mask(rule)
    for s in targets:
        if rule.relative:
            lo, hi = ctx.ranges[s]
            cut = lo + ctx.amount(rule, s) if low else hi - ctx.amount(rule, s)
        else:
            assert rule.threshold is not None  # a kind with thresholds requires one on load (_threshold)
            cut = float(rule.threshold)
        x = ctx.values[:, ctx.col[s]]
        with np.errstate(invalid="ignore"):
            idx = np.flatnonzero(mask & ((x < cut) if low else (x > cut)))
        out.append(
            ctx.frame(rule, rule_i, idx, s, ctx.keys["rater"].to_numpy()[idx], x[idx], np.full(len(idx), cut), None)
        )
    return out


def _change(rule: AlertRule, rule_i: int, ctx: AlertContext, targets: list[str]) -> list[dict[str, Any]]:
    """drop / rise: a change for the worse of at least the threshold since the previous wave."""
    f_all, t_all = ctx.consecutive()
    sel = ctx.rater_mask(rule)[t_all]
    f_i, t_i = f_all[sel], t_all[sel]
    waves = ctx.keys["wave"].to_numpy()
    out = []
    for s in targets:
        amount = ctx.amount(rule, s)
        x1, x2 = ctx.values[f_i, ctx.col[s]], ctx.values[t_i, ctx.col[s]]
        worse = (x1 - x2) if rule.kind == "drop" else (x2 - x1)
        with np.errstate(invalid="ignore"):
            hit = worse >= amount
        out.append(
            ctx.frame(
                rule,
                rule_i,
                t_i[hit],
                s,
                ctx.keys["rater"].to_numpy()[t_i[hit]],
                worse[hit],
                np.full(int(hit.sum()), amount),
                waves[f_i[hit]],
            )
        )
    return out


def _reliable(rule: AlertRule, rule_i: int, ctx: AlertContext, targets: list[str]) -> list[dict[str, Any]]:
    """reliable_drop: a Jacobson–Truax reliable change for the worse."""
    res = ctx.change()
    if res is None:
        return []
    ch = res.changes
    hit = (ch["classification"] == CLASS_DETERIORATED).to_numpy() & ch["subscale"].isin(targets).to_numpy()
    if rule.rater != "any":
        hit &= (ch["rater"] == rule.rater).to_numpy()
    hits = ch[hit]
    out = []
    for s in dict.fromkeys(hits["subscale"]):
        h = hits[hits["subscale"] == s]
        idx = ctx.lookup(h["dyad"].to_numpy(), h["to"].to_numpy(), h["rater"].to_numpy())
        thr = np.where(h["higher_is_better"].to_numpy(dtype=bool), -1.0, 1.0) * res.criterion
        out.append(
            ctx.frame(rule, rule_i, idx, s, h["rater"].to_numpy(), h["rci"].to_numpy(), thr, h["from"].to_numpy())
        )
    return out


def _divergence(rule: AlertRule, rule_i: int, ctx: AlertContext, targets: list[str]) -> list[dict[str, Any]]:
    """divergence: client and professional of a dyad-wave differ by more than the threshold."""
    pr = ctx.pairing().pairs
    out = []
    for s in targets:
        amount = ctx.amount(rule, ctx.pair_members[s][0])
        with np.errstate(invalid="ignore"):
            hit = ((pr["subscale"] == s) & (pr["abs_difference"] > amount)).to_numpy()
        h = pr[hit]
        idx = ctx.lookup(h["dyad"].to_numpy(), h["wave"].to_numpy())
        out.append(ctx.frame(rule, rule_i, idx, s, None, h["difference"].to_numpy(), np.full(len(h), amount), None))
    return out


def _missing_followup(rule: AlertRule, rule_i: int, ctx: AlertContext, targets: list[str]) -> list[dict[str, Any]]:
    """missing_followup: no row (of the rule's rater) at a later wave present in the data."""
    keys, n_w = ctx.keys, len(ctx.wave_order)
    sel = ctx.rater_mask(rule)
    n_d = int(ctx.dyad_code.max() + 1) if len(ctx.dyad_code) else 0
    seen = np.zeros((n_d, n_w), dtype=bool)
    seen[ctx.dyad_code[sel], keys["_wpos"].to_numpy()[sel]] = True
    first = np.where(seen.any(axis=1), seen.argmax(axis=1), n_w)
    in_data = np.zeros(n_w, dtype=bool)
    in_data[keys["_wpos"].unique()] = True
    d_i, w_i = np.nonzero(~seen & in_data[None, :] & (np.arange(n_w)[None, :] > first[:, None]))
    if not len(d_i):
        return []
    order = np.asarray(ctx.wave_order, dtype=object)
    last = [order[np.flatnonzero(seen[d, :w]).max()] for d, w in zip(d_i, w_i, strict=True)]
    return [
        {
            "dyad": pd.unique(keys["dyad"])[d_i],
            "wave": order[w_i],
            "rule": rule.name,
            "kind": rule.kind,
            "subscale": None,
            "rater": None if rule.rater == "any" else rule.rater,
            "value": np.nan,
            "threshold": np.nan,
            "wave_from": np.asarray(last, dtype=object),
            "_d": d_i,
            "_w": w_i,
            "_r": rule_i,
            "_s": -1,
            "_n": len(d_i),
        }
    ]


Evaluator = Callable[[AlertRule, int, AlertContext, list[str]], list[dict[str, Any]]]


@dataclass(frozen=True)
class AlertKind:
    """One rule kind: its fields and evaluator.

    ``direction``: True = the kind looks at scores where higher is better, False = where
    higher is worse, None = any score; ``targets``: ``"scores"`` (score ids), ``"pairs"``
    (client–professional score pairs) or ``"none"``.
    """

    name: str
    evaluate: Evaluator
    thresholds: tuple[str, str] | None
    targets: str = "scores"
    direction: bool | None = None
    rater: bool = True
    needs_waves: bool = False
    positive: bool = False
    instead: str = ""


REGISTRY: dict[str, AlertKind] = {
    k.name: k
    for k in (
        AlertKind("below_cutoff", _cutoff, ("cutoff", "cutoff_fraction"), direction=True, instead="above_cutoff"),
        AlertKind("above_cutoff", _cutoff, ("cutoff", "cutoff_fraction"), direction=False, instead="below_cutoff"),
        AlertKind(
            "drop",
            _change,
            ("min_drop", "min_drop_fraction"),
            direction=True,
            needs_waves=True,
            positive=True,
            instead="rise",
        ),
        AlertKind(
            "rise",
            _change,
            ("min_rise", "min_rise_fraction"),
            direction=False,
            needs_waves=True,
            positive=True,
            instead="drop",
        ),
        AlertKind("reliable_drop", _reliable, None, needs_waves=True),
        AlertKind(
            "divergence", _divergence, ("threshold", "threshold_fraction"), targets="pairs", rater=False, positive=True
        ),
        AlertKind("missing_followup", _missing_followup, None, targets="none", needs_waves=True),
    )
}
KINDS = tuple(REGISTRY)


# --------------------------------------------------------------------------- loading


def default_rules_text() -> str:
    """The shipped ``alert_rules.yaml`` (for ``wamkit`` to print or copy)."""
    return resources.files("wamkit.dyads").joinpath(DEFAULT_RULES_NAME).read_text(encoding="utf-8")


def _read_yaml(text: str, source: str) -> dict[str, Any]:
    from wamkit.instrument.safe_yaml import parse_yaml

    doc, _ = parse_yaml(text, source, UsageError)
    doc = {} if doc is None else doc
    if not isinstance(doc, dict):
        raise UsageError(f"{source}: an alert rules file must be a mapping with a 'rules' list")
    unknown = sorted(set(map(str, doc)) - _TOP_LEVEL)
    if unknown:
        raise UsageError(
            f"{source}: unknown top-level field(s) {', '.join(unknown)} (allowed: {', '.join(sorted(_TOP_LEVEL))})"
        )
    if doc.get("version", 1) != 1:
        raise UsageError(f"{source}: unsupported rules version {doc['version']!r} (this wamkit reads version 1)")
    rules = doc.get("rules") or []
    if not isinstance(rules, list):
        raise UsageError(f"{source}: 'rules' must be a list of rules")
    names: set[str] = set()
    for i, rule in enumerate(rules, 1):
        if not isinstance(rule, dict):
            raise UsageError(f"{source}: rule #{i} must be a mapping of fields")
        name = rule.get("name")
        if not isinstance(name, str) or not name.strip():
            raise UsageError(f"{source}: rule #{i} needs a 'name' (a non-empty string)")
        if name in names:
            raise UsageError(f"{source}: rule {name!r} is defined twice")
        names.add(name)
    replace = doc.get("replace_defaults", False)
    if not isinstance(replace, bool):
        raise UsageError(f"{source}: 'replace_defaults' must be true or false")
    return {"rules": rules, "replace_defaults": replace}


def _subscales(raw: dict, kind: AlertKind, where: str) -> tuple[str, ...]:
    if kind.targets == "none":
        return ()
    sub = raw.get("subscale")
    if sub is None:
        raise UsageError(f"{where}: kind {kind.name} needs 'subscale' (a name, a list of names, or \"*\")")
    sub = [sub] if isinstance(sub, str) else sub
    if not isinstance(sub, list) or not sub or not all(isinstance(s, str) and s.strip() for s in sub):
        raise UsageError(f'{where}: subscale must be a name, a list of names, or "*"; got {raw["subscale"]!r}')
    if "*" in sub and len(sub) > 1:
        raise UsageError(f'{where}: subscale "*" (all) cannot be combined with names')
    return tuple(dict.fromkeys(sub))


def _threshold(raw: dict, kind: AlertKind, where: str) -> tuple[float | None, bool]:
    if kind.thresholds is None:
        return None, False
    absolute, fraction = kind.thresholds
    given = [k for k in kind.thresholds if k in raw]
    if len(given) != 1:
        raise UsageError(
            f"{where}: give exactly one of {absolute} (score units) or {fraction} "
            "(fraction of the scale range)" + ("; got both" if len(given) == 2 else "")
        )
    key = given[0]
    v = raw[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise UsageError(f"{where}: {key} must be a number; got {v!r}")
    threshold, relative = float(v), key == fraction
    if relative and not 0.0 <= threshold <= 1.0:
        raise UsageError(f"{where}: {key} must be between 0 and 1; got {threshold!r}")
    if kind.positive and not threshold > 0:
        raise UsageError(f"{where}: {key} must be positive; got {threshold!r}")
    return threshold, relative


def _validate(raw: dict[str, Any], source: str) -> AlertRule:
    name = raw["name"]
    where = f"{source}, rule {name!r}"
    kind_name = raw.get("kind")
    if not isinstance(kind_name, str) or kind_name not in REGISTRY:
        raise UsageError(f"{where}: kind must be one of {', '.join(KINDS)}; got {kind_name!r}")
    kind = REGISTRY[kind_name]
    allowed = set(_COMMON_FIELDS) | ({"subscale"} if kind.targets != "none" else set())
    allowed |= ({"rater"} if kind.rater else set()) | set(kind.thresholds or ())
    unknown = sorted(set(map(str, raw)) - allowed)
    if unknown:
        raise UsageError(
            f"{where}: unknown field(s) {', '.join(unknown)} for kind {kind_name} "
            f"(allowed: {', '.join(sorted(allowed))})"
        )
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise UsageError(f"{where}: enabled must be true or false; got {enabled!r}")
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise UsageError(f"{where}: description must be text")
    rater = raw.get("rater", "any")
    if rater not in RATERS:
        raise UsageError(f"{where}: rater must be one of {', '.join(RATERS)}; got {rater!r}")
    threshold, relative = _threshold(raw, kind, where)
    return AlertRule(
        name=name,
        kind=kind_name,
        subscales=_subscales(raw, kind, where),
        rater=rater,
        threshold=threshold,
        relative=relative,
        enabled=enabled,
        description=description,
        source=source,
    )


def _merge(default: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Override a default rule field by field (a new threshold replaces the old one)."""
    if "kind" in override and override["kind"] != default.get("kind"):
        return dict(override)
    merged = dict(default)
    kind = REGISTRY.get(default.get("kind", ""))
    fields = kind.thresholds if kind is not None and kind.thresholds else ()
    if any(k in override for k in fields):
        for k in fields:
            merged.pop(k, None)
    merged.update(override)
    return merged


def load_alert_rules(path: str | Path | None = None, *, include_defaults: bool = True) -> tuple[AlertRule, ...]:
    """Load alert rules: the shipped defaults, overridden and extended by a user file.

    Parameters
    ----------
    path : str or Path, optional
        A user rules file (YAML, safe loader; format as in the shipped ``alert_rules.yaml``).
        Rules with the name of a default override its fields; other rules are appended;
        ``replace_defaults: true`` drops the defaults.
    include_defaults : bool, default True
        Start from the shipped defaults.

    Returns
    -------
    tuple of AlertRule
        Defaults (as overridden), then the user file's new rules. Disabled rules are
        included (``enabled=False``); :func:`evaluate_alerts` skips them.

    Raises
    ------
    UsageError
        Unreadable file, invalid YAML, unknown kind or field, missing or conflicting
        threshold, bad rater, duplicate name: the message names the file and the rule.
    """
    entries: dict[str, tuple[dict[str, Any], str]] = {}
    if include_defaults:
        src = f"(default rules) {DEFAULT_RULES_NAME}"
        for raw in _read_yaml(default_rules_text(), src)["rules"]:
            entries[raw["name"]] = (raw, src)
    if path is not None:
        from wamkit.io import note_input

        p = Path(path)
        note_input(p)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot read alert rules file {str(p)!r}: {exc.strerror or exc}") from None
        user = _read_yaml(text, str(p))
        if user["replace_defaults"]:
            entries = {}
        for raw in user["rules"]:
            old = entries.get(raw["name"])
            entries[raw["name"]] = (_merge(old[0], raw) if old else dict(raw), str(p))
    return tuple(_validate(raw, src) for raw, src in entries.values())


# --------------------------------------------------------------------------- evaluation


def _ranges(scale_range: Any, subscales: Sequence[str]) -> dict[str, tuple[float, float]]:
    if scale_range is None:
        return {}
    items = (
        {s: scale_range[s] for s in subscales if s in scale_range}
        if isinstance(scale_range, Mapping)
        else dict.fromkeys(subscales, scale_range)
    )
    out = {}
    for s, rng in items.items():
        try:
            lo, hi = (float(v) for v in rng)
        except (TypeError, ValueError):
            raise UsageError(f"scale range of {s!r} must be a pair (min, max); got {rng!r}") from None
        if not lo < hi:
            raise UsageError(f"scale range of {s!r} must have min < max; got {rng!r}")
        out[s] = (lo, hi)
    return out


def _targets(rule: AlertRule, ctx: AlertContext) -> list[str]:
    """The scores (or score pairs) a rule looks at; refuses unknown names and the wrong direction."""
    kind = REGISTRY[rule.kind]
    if kind.targets == "none":
        return []
    if kind.targets == "pairs":
        every = list(ctx.pair_members)
        members = {m: p for p, pair in ctx.pair_members.items() for m in pair}
        chosen = (
            every
            if rule.subscales == ("*",)
            else [s if s in ctx.pair_members else members.get(s, s) for s in rule.subscales]
        )
        unknown = [s for s in chosen if s not in ctx.pair_members]
        if unknown:
            raise UsageError(
                f"{rule.where()}: subscale(s) {', '.join(unknown)} not among the client-professional "
                f"pairs ({', '.join(every) or 'none'})"
            )
        needs_range = [ctx.pair_members[s][0] for s in chosen]
    else:
        direction = kind.direction
        if rule.subscales == ("*",):
            chosen = [s for s in ctx.subscales if direction is None or ctx.hib[s] == direction]
        else:
            chosen = list(rule.subscales)
            unknown = [s for s in chosen if s not in ctx.hib]
            if unknown:
                raise UsageError(
                    f"{rule.where()}: subscale(s) {', '.join(unknown)} not among the subscales "
                    f"analysed ({', '.join(ctx.subscales) or 'none'})"
                )
            wrong = [s for s in chosen if direction is not None and ctx.hib[s] != direction]
            if wrong:
                what = "higher is worse (higher_is_better: false)" if direction else "higher is better"
                raise UsageError(
                    f"{rule.where()}: {', '.join(wrong)}: {what}, so kind {rule.kind} does not fit; "
                    f"use kind {kind.instead}"
                )
        needs_range = chosen
    if rule.relative:
        missing = [s for s in needs_range if s not in ctx.ranges]
        if missing:
            raise UsageError(
                f"{rule.where()}: a threshold as a fraction of the scale range needs the scale range "
                f"(min, max) of {', '.join(missing)}"
            )
    return chosen


def run_rules(ctx: AlertContext, rules: Sequence[AlertRule]) -> pd.DataFrame:
    """Evaluate enabled ``rules`` on a context; one row per alert (:data:`ALERT_COLUMNS`), sorted."""
    active = [r for r in rules if r.enabled]
    targets = {r.name: _targets(r, ctx) for r in active}  # every rule checked before any work
    parts: list[dict[str, Any]] = []
    for i, rule in enumerate(active):
        parts += [p for p in REGISTRY[rule.kind].evaluate(rule, i, ctx, targets[rule.name]) if p["_n"]]
    if not parts:
        return empty_frame(ALERT_COLUMNS, floats=("value", "threshold"))
    columns = {c: np.concatenate([_column(p[c], p["_n"], c) for p in parts]) for c in [*ALERT_COLUMNS[:-1], *_SORT]}
    order = np.lexsort(tuple(columns[c] for c in reversed(_SORT)))
    res = pd.DataFrame(
        {
            c: pd.Series(columns[c][order], dtype=float if c in ("value", "threshold") else object)
            for c in ALERT_COLUMNS[:-1]
        }
    )
    res["message"] = alert_messages(res)
    return res


def _column(value: Any, n: int, name: str) -> np.ndarray:
    """One alert column of a part as an array of length ``n`` (missing values as None / NaN)."""
    if name in ("value", "threshold"):
        return np.broadcast_to(np.asarray(value, dtype=float), (n,))
    if name.startswith("_"):
        return np.broadcast_to(np.asarray(value, dtype=np.int64), (n,))
    if value is None or isinstance(value, str):
        return np.full(n, value, dtype=object)
    arr = np.array(value, dtype=object)
    arr[pd.isna(arr)] = None
    return arr


def alert_messages(alerts: pd.DataFrame, lang: str = "en", names: Mapping[str, str] | None = None) -> list[str]:
    """One sentence per alert (the catalogue's texts; score names from ``names``, default their ids)."""
    from wamkit.render import format as nf
    from wamkit.render.i18n import alert_text, catalogue

    t = catalogue(lang)
    names = names or {}
    out = []
    for r in alerts.to_dict(orient="records"):
        value = float(r["value"])
        sub = r["subscale"]
        out.append(
            alert_text(
                t,
                str(r["kind"]),
                score=names.get(sub, sub) if sub is not None else "",
                role=t(f"role.{r['rater']}") if r["rater"] in ("client", "professional") else None,
                value=nf.num(value, 2),
                threshold=nf.num(r["threshold"], 2),
                amount=nf.num(abs(value), 2),
                wave=str(r["wave"]),
                wave_from=str(r["wave_from"]),
                client_higher=value > 0,
            )
        )
    return out


def evaluate_alerts(
    scores: pd.DataFrame,
    *,
    dyad: str,
    rater: str,
    wave: str,
    wave_order: Sequence[Any],
    subscales: Sequence[str],
    rules: Sequence[AlertRule] | None = None,
    scale_range: tuple[float, float] | Mapping[str, tuple[float, float]] | None = None,
    higher_is_better: Mapping[str, bool] | None = None,
    reliability: Mapping[str, Any] | None = None,
    baseline_sd: Mapping[str, Any] | None = None,
    client_value: Any = "client",
    professional_value: Any = "professional",
    pairs: Mapping[str, str] | None = None,
    pairing: Any = None,
    change: Any = None,
    rows: Sequence[int] | np.ndarray | None = None,
) -> pd.DataFrame:
    """Evaluate alert rules on long alliance scores (one row per dyad × rater × wave).

    Parameters
    ----------
    scores : pandas.DataFrame
        ``dyad``, ``rater``, ``wave`` columns (names given) and one float column per score
        (NaN = not scorable or not on that rater's form).
    wave_order : sequence
        All wave labels in time order (e.g. ``["T0", "T1", "T2"]``).
    subscales : sequence of str
        Score columns the rules may look at.
    rules : sequence of AlertRule, optional
        From :func:`load_alert_rules`; default: the shipped rules.
    scale_range : (min, max) or mapping score -> (min, max), optional
        Needed by rules whose thresholds are fractions of the scale range.
    higher_is_better : mapping score -> bool, optional
        Direction; scores not listed count as higher-is-better.
    reliability, baseline_sd : mapping, optional
        For ``reliable_drop`` (:func:`wamkit.dyads.change.reliable_change`; ``reliability`` is
        required when such a rule is enabled and ``change`` is not given).
    client_value, professional_value :
        Rater values of the two roles (rules and output use ``client`` / ``professional``).
    pairs : mapping client score -> professional score, optional
        Pairs compared by ``divergence`` rules (default: the same score on both forms).
    pairing, change : optional
        :class:`~wamkit.dyads.pairing.DyadPairing` and
        :class:`~wamkit.dyads.change.ReliableChangeResult` already computed on these rows.
    rows : sequence of int, optional
        1-based data row of each row of ``scores`` for messages.

    Returns
    -------
    pandas.DataFrame
        :data:`ALERT_COLUMNS`, sorted by dyad (order of appearance), wave, rule and score.
        ``wave_from`` is the earlier wave of change kinds (the last wave seen for
        ``missing_followup``). Empty when nothing alerts.

    Raises
    ------
    UsageError
        A rule names a score not analysed or of the wrong direction, or needs a scale range
        or reliabilities that were not given (the message names the file and rule).
    DataError
        Empty identifiers, unknown waves, duplicate dyad × rater × wave rows.
    """
    subscales = list(dict.fromkeys(subscales))
    wave_order = list(wave_order)
    require_columns(scores, [dyad, rater, wave, *subscales], "evaluate_alerts")
    if len(set(wave_order)) != len(wave_order) or not wave_order:
        raise UsageError(f"evaluate_alerts: wave_order must list distinct waves; got {wave_order!r}")
    rules = load_alert_rules() if rules is None else tuple(rules)
    needs = next((r for r in rules if r.enabled and r.kind == "reliable_drop"), None)
    if change is None and reliability is None and needs is not None:
        raise UsageError(f"{needs.where()}: reliable_drop needs subscale reliabilities; pass them or disable the rule")
    keys = _keys(scores, dyad, rater, wave, wave_order, row_numbers(scores, rows), (client_value, professional_value))
    hib = {s: bool((higher_is_better or {}).get(s, True)) for s in subscales}
    frame = keys[["dyad", "rater", "wave", "row"]].copy()
    frame[subscales] = float_block(scores, subscales)
    roles = (client_value, professional_value)
    ctx = AlertContext(
        keys=keys,
        values=frame[subscales].to_numpy(dtype=float),
        subscales=subscales,
        hib=hib,
        ranges=_ranges(scale_range, subscales),
        wave_order=wave_order,
        make_pairing=(lambda: pairing) if pairing is not None else (lambda: _pairing_of(frame, subscales, pairs)),
        make_change=(lambda: change)
        if change is not None
        else (lambda: _change_of(frame, subscales, wave_order, reliability, baseline_sd, hib, roles)),
        pair_members=_pair_members(subscales, pairs),
    )
    return run_rules(ctx, rules)


def _pairing_of(frame: pd.DataFrame, subscales: list[str], pairs: Mapping[str, str] | None) -> Any:
    """The client–professional pairing of the rows of the two roles (``frame`` has ``dyad, rater, wave, row``)."""
    both = frame["rater"].isin(["client", "professional"]).to_numpy()
    return pair_dyads(
        frame[both],
        dyad="dyad",
        rater="rater",
        wave="wave",
        subscales_client=subscales,
        subscales_professional=subscales,
        pairs=pairs,
        rows=frame["row"].to_numpy()[both],
    )


def _change_of(
    frame: pd.DataFrame,
    subscales: list[str],
    wave_order: list[Any],
    reliability: Mapping[str, Any] | None,
    baseline_sd: Mapping[str, Any] | None,
    hib: dict[str, bool],
    values: tuple[Any, Any],
) -> Any:
    """Reliable change of the scores with a reliability (None without any)."""
    rel = {s: _roles_keyed(v, values[0], values[1]) for s, v in (reliability or {}).items()}
    subs = [s for s in subscales if s in rel]
    if not subs:
        return None
    return reliable_change(
        frame,
        dyad="dyad",
        rater="rater",
        wave="wave",
        wave_order=wave_order,
        subscales=subs,
        reliability=rel,
        baseline_sd=baseline_sd,
        higher_is_better=hib,
        rows=frame["row"].to_numpy(),
    )


def _keys(
    scores: pd.DataFrame,
    dyad: str,
    rater: str,
    wave: str,
    wave_order: list[Any],
    nums: np.ndarray,
    values: tuple[Any, Any],
) -> pd.DataFrame:
    """``dyad, rater`` (role names), ``wave, row, _wpos`` of each row; refuses empty ids, unknown waves, duplicates."""
    check_keys_present(scores, nums, {"dyad": dyad, "rater": rater, "wave": wave})
    raw = scores[rater].to_numpy(dtype=object)
    role = np.where(raw == values[0], "client", np.where(raw == values[1], "professional", raw))
    keys = pd.DataFrame(
        {
            "dyad": scores[dyad].to_numpy(),
            "rater": role,
            "wave": scores[wave].to_numpy(),
            "row": nums,
            "_wpos": wave_positions(scores, wave, wave_order, nums),
        }
    )
    duplicate_error(keys, ["dyad", "rater", "wave"], {"dyad": "dyad", "rater": "rater", "wave": "wave"})
    return keys


def _roles_keyed(value: Any, client_value: Any, professional_value: Any) -> Any:
    """A per-rater reliability mapping keyed by role names (client / professional)."""
    if not isinstance(value, Mapping):
        return value
    names = {client_value: "client", professional_value: "professional"}
    return {names.get(k, k): v for k, v in value.items()}


def _pair_members(subscales: list[str], pairs: Mapping[str, str] | None) -> dict[str, tuple[str, str]]:
    which = [(s, s) for s in subscales] if pairs is None else list(pairs.items())
    return {pair_id(c, p): (c, p) for c, p in which}
