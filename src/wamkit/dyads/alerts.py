"""Alerts for an alliance monitor: rules declared in YAML, evaluated on scores.

The shipped defaults live in ``wamkit/alert_rules.yaml`` (read it for the format and
the meaning of each field). A user file in the same format overrides or extends them
(:func:`load_alert_rules`). :func:`evaluate_alerts` applies the rules to the long
scores frame (one row per dyad × rater × wave) and returns one row per alert.

Rule kinds
----------
``below_cutoff``
    A subscale score on the bad side of a cut-off (below it; above it for subscales
    where higher is worse). ``value`` = the score, ``threshold`` = the cut-off.
``reliable_drop``
    A reliable change for the worse since the previous wave (Jacobson–Truax, see
    :func:`wamkit.dyads.reliable_change`). ``value`` = RCI, ``threshold`` = −1.96
    (+1.96 for higher-is-worse subscales).
``drop``
    A change for the worse of at least ``min_drop`` since the previous wave of the same
    dyad and rater. ``value`` = the size of the worsening (positive), ``threshold`` =
    ``min_drop``.
``divergence``
    Client and professional of the same dyad and wave differ by more than
    ``threshold``. ``value`` = client − professional, ``threshold`` = the threshold.
``missing_followup``
    A dyad seen at an earlier wave has no row at a later wave that is present in the
    data (for ``rater: client``/``professional``: no row of that rater). ``value`` and
    ``threshold`` are NaN.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wamkit.errors import UsageError
from wamkit.results import to_jsonable

__all__ = [
    "AlertRule",
    "ALERT_COLUMNS",
    "KINDS",
    "DEFAULT_RULES_NAME",
    "load_alert_rules",
    "default_rules_text",
    "evaluate_alerts",
]

DEFAULT_RULES_NAME = "alert_rules.yaml"
ALERT_COLUMNS = ["dyad", "wave", "rule", "kind", "subscale", "rater", "value", "threshold", "message"]
RATERS = ("client", "professional", "any")

#: kind -> (threshold field in score units, fraction-of-range field) or None
_THRESHOLD_FIELDS: dict[str, tuple[str, str] | None] = {
    "below_cutoff": ("cutoff", "cutoff_fraction"),
    "reliable_drop": None,
    "drop": ("min_drop", "min_drop_fraction"),
    "divergence": ("threshold", "threshold_fraction"),
    "missing_followup": None,
}
KINDS = tuple(_THRESHOLD_FIELDS)
_COMMON_FIELDS = {"name", "kind", "enabled", "description"}
_SUBSCALE_KINDS = {"below_cutoff", "reliable_drop", "drop", "divergence"}
_RATER_KINDS = {"below_cutoff", "reliable_drop", "drop", "missing_followup"}
_TOP_LEVEL = {"version", "rules", "replace_defaults"}


@dataclass(frozen=True)
class AlertRule:
    """One validated alert rule.

    Attributes
    ----------
    name, kind : str
    subscales : tuple of str
        Subscales the rule looks at; ``("*",)`` = every subscale analysed; empty for
        ``missing_followup``.
    rater : str
        ``"client"``, ``"professional"`` or ``"any"`` (``"any"`` for ``divergence``).
    threshold : float or None
        Cut-off / minimum drop / divergence threshold, in score units, or a fraction of
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


# --------------------------------------------------------------------------- loading


def default_rules_text() -> str:
    """The shipped ``alert_rules.yaml`` (for ``wamkit`` to print or copy)."""
    return resources.files("wamkit.dyads").joinpath(DEFAULT_RULES_NAME).read_text(encoding="utf-8")


def _read_yaml(text: str, source: str) -> dict[str, Any]:
    from wamkit.instrument.safe_yaml import parse_yaml

    doc, _ = parse_yaml(text, source, UsageError)
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise UsageError(f"{source}: an alert rules file must be a mapping with a 'rules' list")
    unknown = sorted(set(map(str, doc)) - _TOP_LEVEL)
    if unknown:
        raise UsageError(f"{source}: unknown top-level field(s) {', '.join(unknown)} "
                         f"(allowed: {', '.join(sorted(_TOP_LEVEL))})")
    if doc.get("version", 1) != 1:
        raise UsageError(f"{source}: unsupported rules version {doc['version']!r} (this wamkit reads version 1)")
    rules = doc.get("rules", [])
    if rules is None:
        rules = []
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


def _number(raw: dict, key: str, where: str) -> float:
    v = raw[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise UsageError(f"{where}: {key} must be a number; got {v!r}")
    return float(v)


def _validate(raw: dict[str, Any], source: str) -> AlertRule:
    name = raw["name"]
    where = f"{source}, rule {name!r}"
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in _THRESHOLD_FIELDS:
        raise UsageError(f"{where}: kind must be one of {', '.join(KINDS)}; got {kind!r}")
    tfields = _THRESHOLD_FIELDS[kind]
    allowed = set(_COMMON_FIELDS)
    if kind in _SUBSCALE_KINDS:
        allowed.add("subscale")
    if kind in _RATER_KINDS:
        allowed.add("rater")
    if tfields:
        allowed.update(tfields)
    unknown = sorted(set(map(str, raw)) - allowed)
    if unknown:
        raise UsageError(f"{where}: unknown field(s) {', '.join(unknown)} for kind {kind} "
                         f"(allowed: {', '.join(sorted(allowed))})")

    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise UsageError(f"{where}: enabled must be true or false; got {enabled!r}")
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise UsageError(f"{where}: description must be text")

    subscales: tuple[str, ...] = ()
    if kind in _SUBSCALE_KINDS:
        sub = raw.get("subscale")
        if sub is None:
            raise UsageError(f"{where}: kind {kind} needs 'subscale' (a name, a list of names, or \"*\")")
        if isinstance(sub, str):
            sub = [sub]
        if (not isinstance(sub, list) or not sub
                or not all(isinstance(s, str) and s.strip() for s in sub)):
            raise UsageError(f"{where}: subscale must be a name, a list of names, or \"*\"; got {raw['subscale']!r}")
        if "*" in sub and len(sub) > 1:
            raise UsageError(f"{where}: subscale \"*\" (all) cannot be combined with names")
        subscales = tuple(dict.fromkeys(sub))

    rater = raw.get("rater", "any")
    if rater not in RATERS:
        raise UsageError(f"{where}: rater must be one of {', '.join(RATERS)}; got {rater!r}")

    threshold: float | None = None
    relative = False
    if tfields:
        absolute, fraction = tfields
        given = [k for k in tfields if k in raw]
        if len(given) != 1:
            raise UsageError(f"{where}: give exactly one of {absolute} (score units) or {fraction} "
                             "(fraction of the scale range)" + ("; got both" if len(given) == 2 else ""))
        key = given[0]
        threshold = _number(raw, key, where)
        relative = key == fraction
        if relative and not 0.0 <= threshold <= 1.0:
            raise UsageError(f"{where}: {key} must be between 0 and 1; got {threshold!r}")
        if kind in ("drop", "divergence") and not threshold > 0:
            raise UsageError(f"{where}: {key} must be positive; got {threshold!r}")
    return AlertRule(name=name, kind=kind, subscales=subscales, rater=rater, threshold=threshold,
                     relative=relative, enabled=enabled, description=description, source=source)


def _merge(default: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Override a default rule field by field (a new threshold replaces the old one)."""
    if "kind" in override and override["kind"] != default.get("kind"):
        return dict(override)
    merged = dict(default)
    tfields = _THRESHOLD_FIELDS.get(default.get("kind"))
    if tfields and any(k in override for k in tfields):
        for k in tfields:
            merged.pop(k, None)
    merged.update(override)
    return merged


def load_alert_rules(path: str | Path | None = None, *, include_defaults: bool = True) -> tuple[AlertRule, ...]:
    """Load alert rules: the shipped defaults, overridden and extended by a user file.

    Parameters
    ----------
    path : str or Path, optional
        A user rules file (YAML, read with ``yaml.safe_load``; format as in the shipped
        ``alert_rules.yaml``). Rules with the name of a default override its fields;
        other rules are appended; ``replace_defaults: true`` drops the defaults.
    include_defaults : bool, default True
        Start from the shipped defaults.

    Returns
    -------
    tuple of AlertRule
        In order: defaults (as overridden), then the user file's new rules. Disabled
        rules are included (``enabled=False``); :func:`evaluate_alerts` skips them.

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
            if raw["name"] in entries:
                entries[raw["name"]] = (_merge(entries[raw["name"]][0], raw), str(p))
            else:
                entries[raw["name"]] = (dict(raw), str(p))
    return tuple(_validate(raw, src) for raw, src in entries.values())


# --------------------------------------------------------------------------- evaluation


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _ranges(scale_range: Any, subscales: Sequence[str]) -> dict[str, tuple[float, float]]:
    if scale_range is None:
        return {}
    if isinstance(scale_range, Mapping):
        items = {s: scale_range[s] for s in subscales if s in scale_range}
    else:
        items = {s: scale_range for s in subscales}
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
) -> pd.DataFrame:
    """Evaluate alert rules on long alliance scores.

    Parameters
    ----------
    scores : pandas.DataFrame
        One row per dyad × rater × wave with one float column per subscale (NaN = not
        scorable or not on that rater's form); index = 0-based data rows.
    dyad, rater, wave : str
        Column names.
    wave_order : sequence
        All wave labels in time order (e.g. ``["T0", "T1", "T2"]``).
    subscales : sequence of str
        Subscale columns the rules may look at (``subscale: "*"`` means all of these).
    rules : sequence of AlertRule, optional
        From :func:`load_alert_rules`; default: the shipped rules.
    scale_range : (min, max) or mapping subscale -> (min, max), optional
        Needed by rules whose thresholds are fractions of the scale range.
    higher_is_better : mapping subscale -> bool, optional
        Direction; subscales not listed count as higher-is-better.
    reliability, baseline_sd : mapping, optional
        Passed to :func:`wamkit.dyads.reliable_change` for ``reliable_drop`` rules
        (``reliability`` is required when such a rule is enabled).
    client_value, professional_value :
        Values of the rater column for the two roles (``rater`` in rules and in the
        output uses the role names ``client`` / ``professional``).

    Returns
    -------
    pandas.DataFrame
        Columns ``dyad, wave, rule, kind, subscale, rater, value, threshold, message``
        (see the module docstring for ``value``/``threshold`` per kind), sorted by
        dyad (order of appearance), wave (``wave_order``) and rule order. ``wave`` is
        the later wave for ``drop``/``reliable_drop``. Empty when nothing alerts.

    Raises
    ------
    UsageError
        A rule names a subscale not in ``subscales``, needs a scale range or
        reliabilities that were not given (the message names the file and rule).
    DataError
        Empty identifiers, unknown waves, duplicate dyad × rater × wave rows.
    """
    from wamkit.dyads.agreement import (
        CLASS_DETERIORATED,
        _duplicate_error,
        _float_block,
        _require_columns,
        pair_dyads,
        reliable_change,
        wave_positions,
    )

    subscales = list(dict.fromkeys(subscales))
    wave_order = list(wave_order)
    _require_columns(scores, [dyad, rater, wave, *subscales], "evaluate_alerts")
    if len(set(wave_order)) != len(wave_order) or not wave_order:
        raise UsageError(f"evaluate_alerts: wave_order must list distinct waves; got {wave_order!r}")
    rules = load_alert_rules() if rules is None else tuple(rules)
    active = [r for r in rules if r.enabled]
    hib = {s: bool((higher_is_better or {}).get(s, True)) for s in subscales}
    ranges = _ranges(scale_range, subscales)

    # resolve subscales and check what each rule needs, before any computation
    targets: dict[str, list[str]] = {}
    for rule in active:
        if rule.kind in _SUBSCALE_KINDS:
            subs = subscales if rule.subscales == ("*",) else list(rule.subscales)
            unknown = [s for s in subs if s not in hib]
            if unknown:
                raise UsageError(f"{rule.where()}: subscale(s) {', '.join(unknown)} not among the subscales "
                                 f"analysed ({', '.join(subscales) or 'none'})")
            targets[rule.name] = subs
            if rule.relative:
                missing = [s for s in subs if s not in ranges]
                if missing:
                    raise UsageError(f"{rule.where()}: a threshold as a fraction of the scale range needs the "
                                     f"scale range (min, max) of {', '.join(missing)}")
        if rule.kind == "reliable_drop" and reliability is None:
            raise UsageError(f"{rule.where()}: reliable_drop needs subscale reliabilities; pass them or "
                             "disable the rule (enabled: false)")

    rows, wpos = wave_positions(scores, dyad=dyad, rater=rater, wave=wave, wave_order=wave_order)
    raw_rater = scores[rater].to_numpy()
    role = np.where(raw_rater == client_value, "client",
                    np.where(raw_rater == professional_value, "professional", raw_rater.astype(object)))
    keys = pd.DataFrame({"dyad": scores[dyad].to_numpy(), "rater": role, "wave": scores[wave].to_numpy(),
                         "row": rows, "_wpos": wpos.to_numpy(dtype=np.int64)})
    _duplicate_error(keys, ["dyad", "rater", "wave"], {"dyad": "dyad", "rater": "rater", "wave": "wave"})
    values = _float_block(scores, subscales)
    col = {s: j for j, s in enumerate(subscales)}
    wave_arr = keys["wave"].to_numpy()
    dyad_arr = keys["dyad"].to_numpy()
    dyad_code = pd.factorize(keys["dyad"], sort=False)[0]

    def rater_mask(rule: AlertRule) -> np.ndarray:
        return np.ones(len(keys), dtype=bool) if rule.rater == "any" else (role == rule.rater)

    out: list[pd.DataFrame] = []

    def emit(rule_i, rule, idx, subscale, rater_vals, value, threshold, messages):
        if len(idx) == 0:
            return
        out.append(pd.DataFrame({
            "dyad": dyad_arr[idx],
            "wave": wave_arr[idx],
            "rule": rule.name, "kind": rule.kind, "subscale": subscale,
            "rater": rater_vals, "value": np.asarray(value, dtype=float),
            "threshold": np.asarray(threshold, dtype=float), "message": messages,
            "_d": dyad_code[idx], "_w": keys["_wpos"].to_numpy()[idx], "_r": rule_i,
            "_s": col.get(subscale, -1) if subscale is not None else -1,
        }))

    # consecutive waves per dyad x rater (shared by drop rules)
    order = np.lexsort((keys["_wpos"].to_numpy(), pd.factorize(keys["rater"], sort=False)[0], dyad_code))
    same = np.zeros(len(order), dtype=bool)
    d_sorted, r_sorted = dyad_code[order], keys["rater"].to_numpy()[order]
    same[1:] = (d_sorted[1:] == d_sorted[:-1]) & (r_sorted[1:] == r_sorted[:-1])
    to_idx = order[same]
    from_idx = order[np.flatnonzero(same) - 1]

    rc_cache: dict[tuple, Any] = {}
    pairing = None

    for rule_i, rule in enumerate(active):
        subs = targets.get(rule.name, [])
        mask = rater_mask(rule)
        if rule.kind == "below_cutoff":
            for s in subs:
                lo, hi = ranges.get(s, (np.nan, np.nan))
                good_up = hib[s]
                if rule.relative:
                    cut = lo + rule.threshold * (hi - lo) if good_up else hi - rule.threshold * (hi - lo)
                else:
                    cut = rule.threshold
                x = values[:, col[s]]
                with np.errstate(invalid="ignore"):
                    hit = mask & ((x < cut) if good_up else (x > cut))
                idx = np.flatnonzero(hit)
                word = "below" if good_up else "above"
                msgs = [f"{s} ({role[i]}) {_fmt(x[i])} is {word} the cut-off {_fmt(cut)}" for i in idx]
                emit(rule_i, rule, idx, s, role[idx], x[idx], np.full(len(idx), cut), msgs)

        elif rule.kind == "drop":
            sel = mask[to_idx]
            t_i, f_i = to_idx[sel], from_idx[sel]
            for s in subs:
                lo, hi = ranges.get(s, (np.nan, np.nan))
                amount = rule.threshold * (hi - lo) if rule.relative else rule.threshold
                x1, x2 = values[f_i, col[s]], values[t_i, col[s]]
                worse = (x1 - x2) if hib[s] else (x2 - x1)
                with np.errstate(invalid="ignore"):
                    hit = worse >= amount
                idx, fi, w = t_i[hit], f_i[hit], worse[hit]
                verb = "fell" if hib[s] else "rose"
                msgs = [f"{s} ({role[i]}) {verb} by {_fmt(d)} from {wave_arr[j]} to {wave_arr[i]} "
                        f"({_fmt(values[j, col[s]])} -> {_fmt(values[i, col[s]])}; alert at {_fmt(amount)})"
                        for i, j, d in zip(idx, fi, w)]
                emit(rule_i, rule, idx, s, role[idx], w, np.full(len(idx), amount), msgs)

        elif rule.kind == "divergence":
            if pairing is None:
                two_roles = (role == "client") | (role == "professional")
                pairing = pair_dyads(scores.loc[two_roles, [dyad, rater, wave, *subscales]], dyad=dyad, rater=rater, wave=wave,
                                     subscales_client=subscales, subscales_professional=subscales,
                                     client_value=client_value, professional_value=professional_value)
            pr = pairing.pairs
            for s in subs:
                lo, hi = ranges.get(s, (np.nan, np.nan))
                amount = rule.threshold * (hi - lo) if rule.relative else rule.threshold
                with np.errstate(invalid="ignore"):
                    hit = ((pr["subscale"] == s) & (pr["abs_difference"] > amount)).to_numpy()
                hits = pr[hit]
                if hits.empty:
                    continue
                kidx = _lookup(keys, hits["dyad"].to_numpy(), hits["wave"].to_numpy())
                msgs = [f"{s}: client {_fmt(c)} vs professional {_fmt(p)} differ by {_fmt(abs(c - p))} "
                        f"(alert above {_fmt(amount)})" for c, p in zip(hits["client"], hits["professional"])]
                emit(rule_i, rule, kidx, s, np.full(len(hits), None, dtype=object), hits["difference"],
                     np.full(len(hits), amount), msgs)

        elif rule.kind == "reliable_drop":
            if isinstance(reliability, dict):   # only scores with a reliability estimate can change reliably
                subs = [s for s in subs if s in reliability]
            if not subs:
                continue
            cache_key = tuple(subs)
            if cache_key not in rc_cache:
                rc_cache[cache_key] = reliable_change(
                    scores, dyad=dyad, rater=rater, wave=wave, wave_order=wave_order, subscales=subs,
                    reliability=reliability, baseline_sd=baseline_sd, higher_is_better=hib)
            ch = rc_cache[cache_key].changes
            ch_role = np.where(ch["rater"].to_numpy() == client_value, "client",
                               np.where(ch["rater"].to_numpy() == professional_value, "professional",
                                        ch["rater"].to_numpy().astype(object)))
            hit = (ch["classification"] == CLASS_DETERIORATED).to_numpy()
            if rule.rater != "any":
                hit = hit & (ch_role == rule.rater)
            hits = ch[hit]
            if hits.empty:
                continue
            kidx = _lookup(keys, hits["dyad"].to_numpy(), hits["to"].to_numpy(), ch_role[hit])
            thr = np.where(hits["higher_is_better"].to_numpy(dtype=bool), -1.0, 1.0) * rc_cache[cache_key].criterion
            msgs = [f"{s} ({r}) changed reliably for the worse from {a} to {b} "
                    f"({_fmt(x1)} -> {_fmt(x2)}, RCI {_fmt(v)})"
                    for s, r, a, b, x1, x2, v in zip(hits["subscale"], ch_role[hit], hits["from"], hits["to"],
                                                     hits["score_from"], hits["score_to"], hits["rci"])]
            for s in dict.fromkeys(hits["subscale"]):
                m = (hits["subscale"] == s).to_numpy()
                emit(rule_i, rule, kidx[m], s, ch_role[hit][m], hits["rci"].to_numpy()[m], thr[m],
                     [msg for msg, keep in zip(msgs, m) if keep])

        elif rule.kind == "missing_followup":
            sel = mask
            present_waves = sorted(set(keys["_wpos"]))
            n_d = int(dyad_code.max() + 1) if len(dyad_code) else 0
            seen = np.zeros((n_d, len(wave_order)), dtype=bool)
            seen[dyad_code[sel], keys["_wpos"].to_numpy()[sel]] = True
            has_any = seen.any(axis=1)
            first = np.where(has_any, seen.argmax(axis=1), len(wave_order))
            in_data = np.zeros(len(wave_order), dtype=bool)
            in_data[present_waves] = True
            w_idx = np.arange(len(wave_order))
            missing = ~seen & in_data[None, :] & (w_idx[None, :] > first[:, None])
            d_i, w_i = np.nonzero(missing)
            if len(d_i) == 0:
                continue
            dyad_labels = pd.unique(keys["dyad"])
            who = "" if rule.rater == "any" else f" from the {rule.rater}"
            last_seen = [wave_order[max(np.flatnonzero(seen[d, :w]))] for d, w in zip(d_i, w_i)]
            msgs = [f"dyad {dyad_labels[d]} has no row{who} at wave {wave_order[w]} (seen at {ls})"
                    for d, w, ls in zip(d_i, w_i, last_seen)]
            out.append(pd.DataFrame({
                "dyad": dyad_labels[d_i], "wave": np.asarray(wave_order, dtype=object)[w_i],
                "rule": rule.name, "kind": rule.kind, "subscale": None,
                "rater": None if rule.rater == "any" else rule.rater,
                "value": np.nan, "threshold": np.nan, "message": msgs,
                "_d": d_i, "_w": w_i, "_r": rule_i, "_s": -1,
            }))

    if not out:
        return pd.DataFrame({c: pd.Series(dtype=float if c in ("value", "threshold") else object)
                             for c in ALERT_COLUMNS})
    res = pd.concat(out, ignore_index=True)
    res = res.sort_values(["_d", "_w", "_r", "_s"], kind="stable").reset_index(drop=True)
    res["subscale"] = res["subscale"].astype(object).where(res["subscale"].notna(), None)
    res["rater"] = res["rater"].astype(object).where(res["rater"].notna(), None)
    return res[ALERT_COLUMNS]


def _lookup(keys: pd.DataFrame, dyads: np.ndarray, waves: np.ndarray, roles: np.ndarray | None = None) -> np.ndarray:
    """Row positions in ``keys`` of (dyad, wave[, rater]) combinations (first match)."""
    cols = ["dyad", "wave"] + (["rater"] if roles is not None else [])
    ref = keys[cols].assign(_pos=np.arange(len(keys))).drop_duplicates(cols)
    probe = pd.DataFrame({"dyad": dyads, "wave": waves, **({"rater": roles} if roles is not None else {})})
    merged = probe.merge(ref, on=cols, how="left", sort=False)
    return merged["_pos"].to_numpy(dtype=np.int64)
