"""Dyad analysis for ``wamkit dyads`` and the one-page reflection sheet of ``wamkit report``.

:func:`analyse_dyads` reads nothing itself: it takes the data frame (one row per
dyad × rater × wave with the item columns), scores it with the instruments, and
puts together what :mod:`wamkit.dyads` and :mod:`wamkit.dyads.alerts` compute:

* pairs of client and professional scores per dyad-wave and shared subscale (or
  total), with a flag when the two differ by more than the *reliable difference*;
* agreement per subscale (ICC(A,1), ICC(C,1), Bland–Altman limits, reliability of
  the difference score) and the profile correlation per dyad-wave;
* reliable change (Jacobson & Truax 1991) between consecutive waves per dyad and
  rater;
* alerts from the YAML rules;
* item-level client vs professional answers (for the sheet);
* optionally a caseload summary per officer or team with small-cell suppression.

Reliabilities: Cronbach's alpha (``psych::alpha(x)$total$raw_alpha``) of each
subscale's keyed items, per rater form, on the rows of the first wave (all rows
without waves). A total's reliability is the alpha of all the items behind it.

Reliable difference between the two raters of a dyad, per subscale:

.. math::

    RD = 1.96 \\sqrt{SEM_c^2 + SEM_p^2}, \\qquad SEM = SD_0 \\sqrt{1 - \\alpha}

with :math:`SD_0` the standard deviation (n − 1) of the rater's scores at the first
wave. A pair is flagged when ``|client − professional| > RD``.

Pseudonymisation (``pseudonym_key``) replaces the dyad (and caseload) identifiers
*before* any analysis, so no result, message, sheet or file name can hold an
original id. Only the id, rater, wave, caseload and item columns are used: other
columns (free text, names) never reach a result.

:func:`build_reflection_sheets` renders the sheets (self-contained HTML: inline
CSS, inline SVG, no scripts, no network references; printable on one A4 page).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from wamkit.errors import DataError, UsageError
from wamkit.results import to_jsonable

__all__ = [
    "DyadAnalysis",
    "ReflectionSheet",
    "ReflectionSheets",
    "analyse_dyads",
    "build_reflection_sheets",
    "render_sheet",
    "sheet_filename",
    "FLAG_CLIENT_HIGHER",
    "FLAG_PROFESSIONAL_HIGHER",
]

RD_Z = 1.96
FLAG_CLIENT_HIGHER = "client_higher"
FLAG_PROFESSIONAL_HIGHER = "professional_higher"
_SINGLE_WAVE = "(single wave)"
_WAVE_KINDS = {"drop", "reliable_drop", "missing_followup"}

PAIR_COLUMNS = ["dyad", "wave", "subscale", "client", "professional", "difference", "abs_difference",
                "reliable_difference", "flag"]
ITEM_COLUMNS = ["dyad", "wave", "item", "subscale", "client", "professional", "difference", "abs_difference"]
RELIABILITY_COLUMNS = ["rater", "subscale", "n_items", "n_obs", "alpha", "sd_baseline", "sem"]
CASELOAD_SCORE_COLUMNS = ["group", "wave", "rater", "subscale", "n_clients", "suppressed", "mean", "sd",
                          "p25", "median", "p75"]
CASELOAD_ALERT_COLUMNS = ["group", "wave", "n_clients", "suppressed", "n_clients_with_alerts", "n_alerts"]


def _records(df: pd.DataFrame | None) -> list[dict[str, Any]] | None:
    if df is None:
        return None
    return to_jsonable(df.to_dict(orient="records"))


@dataclass(frozen=True)
class DyadAnalysis:
    """Everything ``wamkit dyads`` reports, for one data set.

    Attributes
    ----------
    pairs : DataFrame
        ``dyad, wave, subscale, client, professional, difference`` (client −
        professional), ``abs_difference``, ``reliable_difference`` (RD, see the module
        docstring) and ``flag``: ``"client_higher"`` / ``"professional_higher"`` when
        ``|difference| > RD``, ``""`` otherwise, ``None`` when not computable.
    agreement : DataFrame
        One row per paired score (:data:`wamkit.dyads.AGREEMENT_COLUMNS`, plus
        ``reliable_difference``); ICCs as ``psych::ICC`` ICC2 (A,1) / ICC3 (C,1) with
        targets = dyad-waves.
    profiles : DataFrame
        ``dyad, wave, n_subscales, profile_correlation`` (Pearson across the shared
        subscales; totals are left out).
    unpaired : DataFrame
        ``dyad, wave, rater, row`` (1-based data row) of rows without a partner.
    change : DataFrame
        :data:`wamkit.dyads.CHANGE_COLUMNS` with ``rater`` as ``client`` /
        ``professional``; empty without waves.
    change_thresholds : DataFrame
        ``s_diff`` per rater × subscale (:class:`wamkit.dyads.ReliableChangeResult`).
    alerts : DataFrame
        :data:`wamkit.dyads.alerts.ALERT_COLUMNS`.
    reliability : DataFrame
        ``rater, subscale, n_items, n_obs, alpha, sd_baseline, sem`` at the first wave.
    scores : DataFrame
        The long scores: ``dyad, wave, rater`` (``client`` / ``professional``), ``row``
        (1-based data row) and one column per score (NaN = not scorable / not on the form).
    items : DataFrame
        Item-level answers as given (reverse keys undone) for the items both forms
        have in the same subscale with the same key: ``dyad, wave, item, subscale,
        client, professional, difference, abs_difference``. Used by the sheets; not
        part of :meth:`to_dict` (one row per dyad-wave and item).
    caseload_scores, caseload_alerts : DataFrame or None
        With ``caseload``: score distribution per group × wave × rater × score and
        alert counts per group × wave; figures are None where fewer than
        ``min_cell`` clients (``suppressed`` true).
    subscales : tuple of dict
        ``id, name, description, higher_is_better, kind`` (subscale/total),
        ``forms`` (roles whose form has it), ``min, max`` (scale range).
    shared : tuple of str
        Scores on both forms (paired).
    wave_order : tuple
        Wave labels in time order (empty without waves).
    instruments : dict
        Role -> instrument id, name, version, demonstration flag.
    settings : dict
    warnings : tuple of str
    """

    pairs: pd.DataFrame
    agreement: pd.DataFrame
    profiles: pd.DataFrame
    unpaired: pd.DataFrame
    change: pd.DataFrame
    change_thresholds: pd.DataFrame
    alerts: pd.DataFrame
    reliability: pd.DataFrame
    items: pd.DataFrame
    scores: pd.DataFrame
    caseload_scores: pd.DataFrame | None
    caseload_alerts: pd.DataFrame | None
    subscales: tuple[dict[str, Any], ...]
    shared: tuple[str, ...]
    wave_order: tuple
    instruments: dict[str, dict[str, Any]]
    item_info: dict[str, dict[str, Any]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def dyads(self) -> list:
        """Dyad ids (pseudonyms when pseudonymised) in order of appearance."""
        seen = list(self.pairs["dyad"]) + list(self.unpaired["dyad"])
        return list(dict.fromkeys(seen))

    def to_dict(self) -> dict[str, Any]:
        agreement = {str(r["subscale"]): {k: v for k, v in r.items() if k != "subscale"}
                     for r in _records(self.agreement)}
        caseload = None
        if self.caseload_scores is not None:
            caseload = {"column": self.settings.get("caseload"), "min_cell": self.settings.get("min_cell"),
                        "scores": _records(self.caseload_scores), "alerts": _records(self.caseload_alerts)}
        return to_jsonable({
            "pairs": _records(self.pairs),
            "agreement": agreement,
            "profiles": _records(self.profiles),
            "unpaired": _records(self.unpaired),
            "change": _records(self.change),
            "change_thresholds": _records(self.change_thresholds),
            "alerts": _records(self.alerts),
            "reliability": _records(self.reliability),
            "scores": _records(self.scores),
            "caseload": caseload,
            "subscales": list(self.subscales),
            "shared": list(self.shared),
            "wave_order": list(self.wave_order),
            "instruments": self.instruments,
            "settings": self.settings,
            "warnings": list(self.warnings),
        })


# --------------------------------------------------------------------------- analysis


def _strip_text(s: pd.Series) -> pd.Series:
    out = s.astype("string").str.strip()
    return out.astype(object).where(out.notna(), None)


def _scale_range(ins, ids) -> tuple[float, float] | None:
    sc = ins.scale
    if sc is None:
        for it in ins.items:
            if it.id in ids and it.scale is not None:
                sc = it.scale
                break
    return (float(sc.min), float(sc.max)) if sc is not None else None


def _score_items(ins, sid: str) -> tuple[str, ...]:
    for s in ins.subscales:
        if s.id == sid:
            return s.items
    for t in ins.totals:
        if t.id == sid:
            return ins.total_items(t)
    return ()


def analyse_dyads(
    frame: pd.DataFrame,
    *,
    instruments: Mapping[Any, Any],
    dyad: str,
    rater: str,
    wave: str | None = None,
    wave_order: Sequence[Any] | None = None,
    client_value: str = "client",
    professional_value: str = "professional",
    rules: Sequence[Any] | None = None,
    caseload: str | None = None,
    min_cell: int = 5,
    pseudonym_key: bytes | None = None,
    read_options: Any = None,
    source: str = "<data>",
    decimal_comma: bool = False,
) -> DyadAnalysis:
    """Pair, compare, follow up and flag the client and professional ratings of each dyad.

    Parameters
    ----------
    frame : DataFrame
        Raw data, one row per dyad × rater (× wave), with the instruments' item
        columns (text or numbers; labels and missing codes as in the instrument).
        Index = 0-based data rows (messages name 1-based rows). Not modified.
    instruments : mapping
        ``{None: Instrument}`` (one form for both raters) or ``{rater value:
        Instrument}`` with entries for ``client_value`` and ``professional_value``
        (as :func:`wamkit.scoring.multi.load_instrument_specs` returns).
    dyad, rater : str
        Dyad identifier and rater column names.
    wave : str, optional
        Wave column; without it there is one occasion (no change, no wave alerts).
    wave_order : sequence, optional
        Wave labels in time order (default: sorted labels present).
    client_value, professional_value : str
        Rater-column values of the two roles.
    rules : sequence of AlertRule, optional
        From :func:`wamkit.dyads.alerts.load_alert_rules` (default: the shipped rules).
    caseload : str, optional
        Column grouping dyads into caseloads (officer, team): adds the caseload summary.
    min_cell : int, default 5
        Smallest number of clients for which a caseload figure is shown.
    pseudonym_key : bytes, optional
        Replace dyad (``P-…``) and caseload (``G-…``) ids by keyed-hash pseudonyms
        (:mod:`wamkit.pseudonym`) before anything else.
    read_options : wamkit.scoring.multi.ReadOptions, optional
        Column mapping, invalid-value policy, ``min_answered``.
    source : str
        Name of the input in messages.
    decimal_comma : bool
        Item cells use a decimal comma.

    Returns
    -------
    DyadAnalysis

    Raises
    ------
    UsageError
        Missing columns, rater values without a role, ``min_cell`` < 1.
    DataError
        Unscorable items, empty ids, duplicate dyad × rater × wave rows (named).
    """
    from wamkit.dyads.alerts import load_alert_rules
    from wamkit.scoring.multi import ReadOptions, score_multi
    from wamkit.dyads.agreement import agreement as _agreement
    from wamkit.dyads.agreement import pair_dyads, reliable_change
    from wamkit.io import Table

    if not isinstance(frame, pd.DataFrame):
        raise UsageError(f"analyse_dyads needs a pandas DataFrame; got {type(frame).__name__}")
    opts = read_options if read_options is not None else ReadOptions()
    if int(min_cell) < 1:
        raise UsageError(f"--min-cell must be at least 1; got {min_cell}")
    if client_value == professional_value:
        raise UsageError("the client and professional rater values must differ")
    needed = [dyad, rater] + ([wave] if wave else []) + ([caseload] if caseload else [])
    missing = [c for c in dict.fromkeys(needed) if c not in frame.columns]
    if missing:
        raise UsageError(f"{source} has no column(s) {', '.join(map(repr, missing))} "
                         f"(columns: {', '.join(map(str, list(frame.columns)[:15]))})")
    keys = list(instruments)
    if keys == [None]:
        forms = {"client": instruments[None], "professional": instruments[None]}
    else:
        absent = [v for v in (client_value, professional_value) if v not in instruments]
        if absent:
            raise UsageError(f"-i gives instruments for rater value(s) {', '.join(map(str, keys))} but none for "
                             f"{', '.join(map(repr, absent))}; use -i VALUE=INSTRUMENT for both roles or "
                             "--client-value/--professional-value")
        forms = {"client": instruments[client_value], "professional": instruments[professional_value]}

    # ---- identifiers: trimmed text, pseudonymised first
    work = frame.copy()
    notes: list[str] = []
    work[rater] = _strip_text(work[rater])
    work[dyad] = _strip_text(work[dyad])
    if wave:
        work[wave] = _strip_text(work[wave])
    if caseload:
        work[caseload] = _strip_text(work[caseload])
    if pseudonym_key is not None:
        from wamkit.pseudonym import pseudonym_map

        work[dyad] = work[dyad].map(pseudonym_map(work[dyad], pseudonym_key, prefix="P-"))
        if caseload:
            work[caseload] = work[caseload].map(pseudonym_map(work[caseload], pseudonym_key, prefix="G-"))
        work[dyad] = work[dyad].astype(object).where(work[dyad].notna(), None)

    # ---- score (keyed items kept for reliabilities and item comparisons)
    table = Table(frame=work, source=source, path=None, format="csv", decimal_comma=decimal_comma)
    scored = score_multi(table, dict(instruments), rater if keys != [None] else None, opts,
                         keep_items=True, frame=work)
    sc = scored.scores

    sub_c = list(forms["client"].score_ids)
    sub_p = list(forms["professional"].score_ids)
    totals = {t.id for f in forms.values() for t in f.totals}
    # subscales (client form order, then the professional form's own), then totals
    everything = list(dict.fromkeys(sub_c + sub_p))
    analysed = [s for s in everything if s not in totals] + [s for s in everything if s in totals]
    shared = [s for s in analysed if s in set(sub_c) and s in set(sub_p)]

    info = []
    hib: dict[str, bool] = {}
    ranges: dict[str, tuple[float, float]] = {}
    for sid in analysed:
        roles = [r for r in ("client", "professional") if sid in forms[r].score_ids]
        ins = forms[roles[0]]
        obj = next((s for s in ins.subscales if s.id == sid), None) or next(t for t in ins.totals if t.id == sid)
        h = bool(getattr(obj, "higher_is_better", True))
        hib[sid] = h
        rng = _scale_range(ins, set(_score_items(ins, sid)))
        if rng is not None:
            ranges[sid] = rng
        info.append({"id": sid, "name": obj.name or sid, "description": obj.description or "",
                     "higher_is_better": h, "kind": "total" if sid in totals else "subscale",
                     "forms": roles, "min": rng[0] if rng else None, "max": rng[1] if rng else None})

    long = pd.DataFrame({"dyad": sc[dyad], "rater": sc[rater],
                         "wave": sc[wave] if wave else _SINGLE_WAVE}, index=sc.index)
    for sid in analysed:
        long[sid] = sc[sid].to_numpy(dtype=float)

    # wave order
    if wave:
        present = [w for w in pd.unique(long["wave"]) if w is not None]
        if wave_order:
            order = [str(w).strip() for w in wave_order]
            if len(set(order)) != len(order):
                raise UsageError(f"--wave-order lists a wave twice: {','.join(order)}")
            unknown = [w for w in present if w not in order]
            if unknown:
                raise DataError(f"{source}: wave column {wave!r} holds value(s) not in --wave-order "
                                f"{','.join(order)}: {', '.join(map(str, unknown[:5]))}")
        else:
            order = sorted(present, key=lambda w: [int(t) if t.isdigit() else t
                                                    for t in re.split(r"(\d+)", str(w))])
        order_used = order
    else:
        order_used = [_SINGLE_WAVE]

    # ---- pairing (validates ids, roles, duplicates)
    pairing = pair_dyads(long, dyad="dyad", rater="rater", wave="wave" if wave else None, subscales_client=sub_c,
                         subscales_professional=sub_p, client_value=client_value,
                         professional_value=professional_value)
    notes += [w for w in pairing.warnings if not w.startswith("subscales on one form only")]

    # ---- reliabilities at the first wave
    role = np.where(long["rater"].to_numpy() == client_value, "client", "professional")
    base = (long["wave"] == order_used[0]).to_numpy() if wave else np.ones(len(long), dtype=bool)
    rel_records, rel_map = _reliabilities(sc, long, role, base, forms, analysed, order_used[0] if wave else None,
                                          notes)
    reliability = pd.DataFrame(rel_records, columns=RELIABILITY_COLUMNS)

    # ---- agreement (subscales and totals separately: profiles across subscales only)
    pairs = pairing.pairs.copy()
    rel_pairs = {s: (rel_map[s]["client"], rel_map[s]["professional"]) for s in shared
                 if s in rel_map and "client" in rel_map[s] and "professional" in rel_map[s]}
    sub_shared = [s for s in shared if s not in totals]
    tot_shared = [s for s in shared if s in totals]
    parts, profiles = [], None
    for group in (sub_shared, tot_shared):
        if not group:
            continue
        res = _agreement(pairs[pairs["subscale"].isin(group)],
                         reliability={s: v for s, v in rel_pairs.items() if s in group})
        parts.append(res.by_subscale)
        if profiles is None:
            profiles = res.profiles
        notes += [w for w in res.warnings if not w.startswith("no reliabilities given")
                  and not ((w.startswith("profile correlation") or "profile(s) are flat" in w)
                           and group is not sub_shared)]
    agree = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if profiles is None:
        from wamkit.dyads.agreement import PROFILE_COLUMNS

        profiles = pd.DataFrame(columns=PROFILE_COLUMNS)

    # ---- reliable difference and flags
    sem = {(r["rater"], r["subscale"]): r["sem"] for r in rel_records}
    rd = {s: RD_Z * math.sqrt(sem.get(("client", s), np.nan) ** 2 + sem.get(("professional", s), np.nan) ** 2)
          for s in shared}
    agree["reliable_difference"] = agree["subscale"].map(rd).astype(float) if len(agree) else []
    pairs["reliable_difference"] = pairs["subscale"].map(rd).astype(float)
    d = pairs["difference"].to_numpy(dtype=float)
    rdv = pairs["reliable_difference"].to_numpy(dtype=float)
    ok = np.isfinite(d) & np.isfinite(rdv)
    with np.errstate(invalid="ignore"):
        flag = np.where(~ok, None, np.where(d > rdv, FLAG_CLIENT_HIGHER,
                                            np.where(-d > rdv, FLAG_PROFESSIONAL_HIGHER, "")))
    pairs["flag"] = flag.astype(object)
    pairs = pairs[PAIR_COLUMNS]
    if not wave:
        pairs["wave"] = None

    # ---- reliable change
    if wave and len(order_used) >= 2:
        rc_subs = [s for s in analysed if s in rel_map and all(r in rel_map[s] for r in
                                                               [x["forms"] for x in info if x["id"] == s][0])]
        skipped = [s for s in analysed if s not in rc_subs]
        if skipped:
            notes.append("reliable change not computed for " + ", ".join(skipped)
                         + " (no usable reliability at the first wave)")
        rel_arg = {s: {client_value if r == "client" else professional_value: v for r, v in rel_map[s].items()}
                   for s in rc_subs}
        rc = reliable_change(long, dyad="dyad", rater="rater", wave="wave", wave_order=order_used,
                             subscales=rc_subs, reliability=rel_arg, higher_is_better=hib)
        change = rc.changes.copy()
        change["rater"] = _roles(change["rater"], client_value, professional_value)
        thresholds = rc.s_diff.copy()
        thresholds["rater"] = _roles(thresholds["rater"], client_value, professional_value)
        notes += list(rc.warnings)
    else:
        from wamkit.dyads.agreement import CHANGE_COLUMNS, SDIFF_COLUMNS

        change, thresholds = pd.DataFrame(columns=CHANGE_COLUMNS), pd.DataFrame(columns=SDIFF_COLUMNS)
        rc_subs = []

    # ---- alerts
    all_rules = load_alert_rules() if rules is None else tuple(rules)
    alerts = _alerts(long, all_rules, wave=bool(wave), order=order_used, analysed=analysed, rc_subs=rc_subs,
                     ranges=ranges, hib=hib, rel_map=rel_map, client_value=client_value,
                     professional_value=professional_value, notes=notes)

    # ---- items both forms share (answers as given)
    items, item_info = _item_pairs(sc, long, role, pairing, forms)

    # ---- caseload
    cl_scores = cl_alerts = None
    if caseload:
        cl_scores, cl_alerts = _caseload(sc[caseload], long, role, alerts, analysed, int(min_cell), wave=bool(wave),
                                         order=order_used)

    scores_out = pd.DataFrame({"dyad": long["dyad"].to_numpy(),
                               "wave": long["wave"].to_numpy() if wave else None,
                               "rater": role, "row": np.asarray(long.index, dtype=np.int64) + 1})
    for sid in analysed:
        scores_out[sid] = long[sid].to_numpy(dtype=float)
    inst_info = {r: {"id": f.id, "name": f.name, "version": f.version, "demonstration": bool(f.demonstration)}
                 for r, f in forms.items()}
    settings = {"dyad": dyad, "rater": rater, "wave": wave, "wave_order": list(order_used) if wave else [],
                "client_value": client_value, "professional_value": professional_value,
                "caseload": caseload, "min_cell": int(min_cell), "pseudonymised": pseudonym_key is not None,
                "reliability": "Cronbach's alpha of each score's keyed items per rater form"
                               + (f" at the first wave ({order_used[0]})" if wave else "")
                               + " in this sample (psych::alpha raw_alpha)",
                "reliable_difference": "1.96 * sqrt(SEM_client^2 + SEM_professional^2), SEM = SD0 * sqrt(1 - alpha)",
                "rules": [r.name for r in all_rules if r.enabled]}
    return DyadAnalysis(
        pairs=pairs.reset_index(drop=True), agreement=agree, profiles=profiles if wave else profiles.assign(wave=None),
        unpaired=pairing.unpaired.assign(rater=_roles(pairing.unpaired["rater"], "client", "professional"),
                                         wave=pairing.unpaired["wave"] if wave else None),
        change=change, change_thresholds=thresholds, alerts=alerts, reliability=reliability, items=items, scores=scores_out,
        caseload_scores=cl_scores, caseload_alerts=cl_alerts, subscales=tuple(info), shared=tuple(shared),
        wave_order=tuple(order_used) if wave else (), instruments=inst_info, item_info=item_info,
        settings=settings, warnings=tuple(dict.fromkeys(notes)))


def _roles(values: pd.Series, client_value: Any, professional_value: Any) -> pd.Series:
    v = values.to_numpy(dtype=object)
    return pd.Series(np.where(v == client_value, "client", np.where(v == professional_value, "professional", v)),
                     index=values.index, dtype=object)


def _reliabilities(sc, long, role, base, forms, analysed, first_wave, notes):
    """Alpha per rater form and score at the first wave; SD0 and SEM."""
    from wamkit.stats.reliability import alpha as _alpha

    records = []
    rel_map: dict[str, dict[str, float]] = {}
    for r in ("client", "professional"):
        ins = forms[r]
        mine = (role == r) & base
        for sid in analysed:
            if sid not in ins.score_ids:
                continue
            items = [f"{i}_keyed" for i in _score_items(ins, sid)]
            X = sc.loc[mine, items].to_numpy(dtype=float)
            x = long.loc[mine, sid].to_numpy(dtype=float)
            x = x[np.isfinite(x)]
            sd0 = float(np.std(x, ddof=1)) if x.size >= 2 else np.nan
            a = np.nan
            where = f"{sid} ({r}" + (f", wave {first_wave})" if first_wave is not None else ")")
            if len(items) < 2:
                notes.append(f"{where}: a single item has no alpha; no reliability")
            elif X.shape[0] < 3:
                notes.append(f"{where}: fewer than 3 rows at the first wave; no reliability")
            else:
                try:
                    a = float(_alpha(X, items=list(_score_items(ins, sid))).raw_alpha)
                except (DataError, UsageError) as exc:
                    notes.append(f"{where}: alpha not computed ({exc.message})")
                    a = np.nan
            if np.isfinite(a) and not 0.0 <= a < 1.0:
                notes.append(f"{where}: alpha {a:.3f} is outside [0, 1); not used as a reliability")
                a_used = np.nan
            else:
                a_used = a
            sem = sd0 * math.sqrt(1.0 - a_used) if np.isfinite(a_used) else np.nan
            if np.isfinite(a_used):
                rel_map.setdefault(sid, {})[r] = a_used
            records.append({"rater": r, "subscale": sid, "n_items": len(items), "n_obs": int(X.shape[0]),
                            "alpha": a, "sd_baseline": sd0, "sem": sem})
    return records, rel_map


def _alerts(long, rules, *, wave, order, analysed, rc_subs, ranges, hib, rel_map, client_value,
            professional_value, notes):
    from wamkit.dyads.alerts import ALERT_COLUMNS, evaluate_alerts

    active = [r for r in rules if r.enabled]
    if not wave or len(order) < 2:
        dropped = [r.name for r in active if r.kind in _WAVE_KINDS]
        if dropped and not wave:
            notes.append("without --wave the rules " + ", ".join(dropped) + " do not apply")
        active = [r for r in active if r.kind not in _WAVE_KINDS]
    if not active:
        return pd.DataFrame({c: pd.Series(dtype=float if c in ("value", "threshold") else object)
                             for c in ALERT_COLUMNS})
    subs = analysed
    if any(r.kind == "reliable_drop" for r in active) and len(rc_subs) < len(analysed):
        notes.append("reliable-change alerts skip scores without a reliability estimate: "
                     + ", ".join(s for s in analysed if s not in rc_subs))
    rel_arg = {s: {client_value if r == "client" else professional_value: v for r, v in rel_map[s].items()}
               for s in subs if s in rel_map}
    out = evaluate_alerts(long, dyad="dyad", rater="rater", wave="wave", wave_order=order, subscales=subs,
                          rules=active, scale_range={s: ranges[s] for s in subs if s in ranges},
                          higher_is_better=hib, reliability=rel_arg, client_value=client_value,
                          professional_value=professional_value)
    if not wave:
        out["wave"] = None
    return out.reset_index(drop=True)


def _item_pairs(sc, long, role, pairing, forms):
    """Answers (reverse keys undone) of the items both forms share, per paired dyad-wave."""
    fc, fp = forms["client"], forms["professional"]
    p_ids = set(fp.item_ids)

    def home(ins, iid):
        return tuple(s.id for s in ins.subscales if iid in s.items)

    # an item is compared only when both forms have it in the same subscale(s) with the same key
    shared_items = [i for i in fc.item_ids if i in p_ids and home(fc, i) == home(fp, i)
                    and fc.item(i).reverse == fp.item(i).reverse]
    item_info = {}
    for iid in shared_items:
        it = fc.item(iid)
        subs = home(fc, iid)
        item_info[iid] = {"label": it.label or "", "text": it.text or "", "subscale": subs[0] if subs else None}
    if not shared_items or pairing.n_pairs == 0:
        return pd.DataFrame(columns=ITEM_COLUMNS), item_info

    def answers(ins, mask):
        cols = [f"{i}_keyed" for i in shared_items]
        X = np.array(sc.loc[mask, cols].to_numpy(dtype=float), copy=True)
        for j, iid in enumerate(shared_items):
            it = ins.item(iid)
            if it.reverse:
                s = ins.item_scale(it)
                X[:, j] = s.min + s.max - X[:, j]
        return pd.DataFrame(X, columns=shared_items).assign(dyad=long.loc[mask, "dyad"].to_numpy(),
                                                            wave=long.loc[mask, "wave"].to_numpy())

    a = answers(fc, role == "client")
    b = answers(fp, role == "professional")
    keys_df = pairing.pairs[["dyad", "wave"]].drop_duplicates()
    keys_df = keys_df.assign(wave=keys_df["wave"].where(keys_df["wave"].notna(), _SINGLE_WAVE))
    m = keys_df.merge(a, on=["dyad", "wave"], how="left").merge(b, on=["dyad", "wave"], how="left",
                                                                   suffixes=("_c", "_p"))
    n, k = len(m), len(shared_items)
    cv = m[[f"{i}_c" for i in shared_items]].to_numpy(dtype=float).ravel()
    pv = m[[f"{i}_p" for i in shared_items]].to_numpy(dtype=float).ravel()
    items = pd.DataFrame({
        "dyad": np.repeat(m["dyad"].to_numpy(), k), "wave": np.repeat(m["wave"].to_numpy(), k),
        "item": np.tile(np.asarray(shared_items, dtype=object), n),
        "subscale": np.tile(np.asarray([item_info[i]["subscale"] for i in shared_items], dtype=object), n),
        "client": cv, "professional": pv, "difference": cv - pv, "abs_difference": np.abs(cv - pv)},
        columns=ITEM_COLUMNS)
    items["wave"] = items["wave"].where(items["wave"] != _SINGLE_WAVE, None)
    return items, item_info


def _caseload(group_col, long, role, alerts, analysed, min_cell, *, wave, order):
    """Score distribution and alert counts per caseload group, suppressed below ``min_cell`` clients.

    A dyad has one row per rater and wave (duplicates are refused earlier), so the
    number of scores in a cell is its number of clients. Quantiles as R type 7.
    """
    base = pd.DataFrame({"group": group_col.to_numpy(dtype=object),
                         "wave": long["wave"].to_numpy() if wave else "", "rater": role,
                         "dyad": long["dyad"].to_numpy()}, index=long.index)
    keep = pd.notna(base["group"]).to_numpy()
    vals = long.loc[keep, analysed]
    melted = pd.concat([base[keep][["group", "wave", "rater"]], vals], axis=1).melt(
        id_vars=["group", "wave", "rater"], value_vars=analysed, var_name="subscale", value_name="x")
    melted = melted[np.isfinite(melted["x"].to_numpy(dtype=float))]
    grp = melted.groupby(["group", "wave", "rater", "subscale"], sort=False)["x"]
    stats = grp.agg(["count", "mean", "std"])
    # one aggregation per quantile: with no answered score at all, quantile([...]).unstack()
    # would have no 0.25/0.5/0.75 columns
    q = pd.DataFrame({qq: grp.quantile(qq) for qq in (0.25, 0.5, 0.75)}, index=stats.index)
    stats = stats.join(q).reset_index()
    order_s = {s: i for i, s in enumerate(analysed)}
    wpos = {w: i for i, w in enumerate(order)}
    first = {g: i for i, g in enumerate(pd.unique(base.loc[keep, "group"]))}  # groups in order of appearance
    stats = stats.assign(_s=stats["subscale"].map(order_s), _g=stats["group"].map(first),
                         _w=stats["wave"].map(wpos).fillna(0), _r=(stats["rater"] != "client").astype(int))
    stats = stats.sort_values(["_g", "_w", "_r", "_s"], kind="stable")
    n = stats["count"].to_numpy(dtype=np.int64)
    sup = n < min_cell
    scores = pd.DataFrame({
        "group": stats["group"].to_numpy(), "wave": stats["wave"].to_numpy() if wave else None,
        "rater": stats["rater"].to_numpy(), "subscale": stats["subscale"].to_numpy(),
        "n_clients": pd.array(np.where(sup, 0, n), dtype="Int64"), "suppressed": sup,
        "mean": stats["mean"].to_numpy(dtype=float), "sd": stats["std"].to_numpy(dtype=float),
        "p25": stats[0.25].to_numpy(dtype=float), "median": stats[0.5].to_numpy(dtype=float),
        "p75": stats[0.75].to_numpy(dtype=float)}, columns=CASELOAD_SCORE_COLUMNS)
    scores.loc[sup, "n_clients"] = pd.NA
    scores.loc[sup, ["mean", "sd", "p25", "median", "p75"]] = np.nan

    rated = base[keep][["group", "wave", "dyad"]]
    if len(alerts):
        a = alerts[["dyad", "wave"]].copy()
        if not wave:
            a["wave"] = ""
        # an alert counts in the group the dyad was last seen in (missing follow-ups have no row)
        gmap = rated[["dyad", "group"]].drop_duplicates("dyad", keep="last")
        a = a.merge(gmap, on="dyad", how="inner")
        cnt = a.groupby(["group", "wave"], sort=False).agg(n_alerts=("dyad", "size"), n_with=("dyad", "nunique"))
        members = pd.concat([rated, a[["group", "wave", "dyad"]]], ignore_index=True)
        per = members.groupby(["group", "wave"], sort=False)["dyad"].nunique().rename("n").reset_index()
        per = per.merge(cnt.reset_index(), on=["group", "wave"], how="left")
    else:
        per = rated.groupby(["group", "wave"], sort=False)["dyad"].nunique().rename("n").reset_index()
        per = per.assign(n_alerts=0, n_with=0)
    per = per.assign(_g=per["group"].map(first), _w=per["wave"].map(wpos).fillna(0)).sort_values(
        ["_g", "_w"], kind="stable")
    n = per["n"].to_numpy(dtype=np.int64)
    sup = n < min_cell

    def counts(x):
        arr = pd.array(np.nan_to_num(np.asarray(x, dtype=float)).astype(np.int64), dtype="Int64")
        arr[sup] = pd.NA
        return arr

    alerts_out = pd.DataFrame({
        "group": per["group"].to_numpy(), "wave": per["wave"].to_numpy() if wave else None,
        "n_clients": counts(n), "suppressed": sup, "n_clients_with_alerts": counts(per["n_with"]),
        "n_alerts": counts(per["n_alerts"])}, columns=CASELOAD_ALERT_COLUMNS)
    return scores.reset_index(drop=True), alerts_out


# --------------------------------------------------------------------------- reflection sheet


@dataclass(frozen=True)
class ReflectionSheet:
    """One dyad's sheet: ``dyad`` (pseudonym when pseudonymised), ``filename``, ``html``."""

    dyad: str
    filename: str
    html: str

    def to_dict(self) -> dict[str, Any]:
        import hashlib

        return {"dyad": self.dyad, "file": self.filename, "bytes": len(self.html.encode("utf-8")),
                "sha256": hashlib.sha256(self.html.encode("utf-8")).hexdigest()}


@dataclass(frozen=True)
class ReflectionSheets:
    """Sheets for one or all dyads, with the analysis they come from."""

    sheets: tuple[ReflectionSheet, ...]
    analysis: DyadAnalysis
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable({"sheets": [s.to_dict() for s in self.sheets], "settings": self.analysis.settings,
                            "warnings": list(self.warnings)})


def sheet_filename(dyad: Any) -> str:
    """``reflection-sheet-<id>.html`` with characters outside ``[A-Za-z0-9._-]`` replaced by ``_``."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", str(dyad)).strip(".") or "dyad"
    return f"reflection-sheet-{safe[:100]}.html"


def build_reflection_sheets(
    frame: pd.DataFrame,
    *,
    dyad_ids: Sequence[Any] | None = None,
    **analysis_options: Any,
) -> ReflectionSheets:
    """Analyse the whole sample (:func:`analyse_dyads`) and render reflection sheets.

    Parameters
    ----------
    frame : DataFrame
        As for :func:`analyse_dyads` (the whole sample: SDs, reliabilities and the
        reliable difference come from it).
    dyad_ids : sequence, optional
        Dyads to render (original ids; with ``pseudonym_key`` the pseudonym is
        accepted too). Default: every dyad, in order of appearance.
    **analysis_options
        Keyword arguments of :func:`analyse_dyads` (``instruments``, ``dyad``,
        ``rater``, ``wave``, ``pseudonym_key``, ...).

    Returns
    -------
    ReflectionSheets

    Raises
    ------
    UsageError
        A requested dyad is not in the data.
    """
    analysis = analyse_dyads(frame, **analysis_options)
    known = analysis.dyads
    key = analysis_options.get("pseudonym_key")
    if dyad_ids is None:
        chosen = known
    else:
        chosen = []
        for raw in dyad_ids:
            text = str(raw).strip()
            cand = text
            if key is not None and text not in known:
                from wamkit.pseudonym import pseudonym

                cand = pseudonym(text, key, prefix="P-")
            if cand not in known:
                shown = "" if key is not None else f" (dyads: {', '.join(map(str, known[:8]))}{' ...' if len(known) > 8 else ''})"
                raise UsageError(f"dyad {'(given)' if key is not None else repr(text)} is not in the data{shown}")
            chosen.append(cand)
    names: dict[str, int] = {}
    sheets = []
    chosen = list(dict.fromkeys(chosen))
    split = _split_by_dyad(analysis, only=None if dyad_ids is None else chosen)
    for d in chosen:
        fn = sheet_filename(d)
        if fn in names:
            names[fn] += 1
            fn = fn[:-5] + f"-{names[fn]}.html"
        else:
            names[fn] = 1
        sheets.append(ReflectionSheet(dyad=str(d), filename=fn, html=_render(analysis, d, split.get(d, _DyadData()))))
    return ReflectionSheets(sheets=tuple(sheets), analysis=analysis, warnings=analysis.warnings)


# --------------------------------------------------------------------------- HTML rendering

_CLIENT_COLOR = "#1f5f8b"
#: alerts listed on a sheet (latest first); more would not fit on one A4 page
_MAX_ALERTS = 5
_PROF_COLOR = "#c8691c"

_CSS = """
@page { size: A4; margin: 9mm 11mm; }
* { box-sizing: border-box; }
html { font-family: "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif; font-size: 9.4pt;
       color: #1b1b1b; background: #fff; }
body { margin: 0 auto; padding: 8mm 9mm; max-width: 210mm; line-height: 1.32; }
h1 { font-size: 15pt; margin: 0 0 1mm; font-weight: 700; }
h2 { font-size: 10.5pt; margin: 3.2mm 0 1.2mm; padding-bottom: 0.6mm; border-bottom: 1px solid #bbb; }
p { margin: 0 0 1.5mm; }
.meta { color: #444; font-size: 8.6pt; margin-bottom: 1.5mm; }
.intro { font-size: 9pt; }
.cols { display: flex; gap: 6mm; align-items: flex-start; }
.cols > div { flex: 1 1 0; min-width: 0; }
table { border-collapse: collapse; width: 100%; font-size: 8.6pt; }
th, td { padding: 0.7mm 1.4mm; text-align: left; border-bottom: 1px solid #e2e2e2; vertical-align: top; }
th { font-weight: 600; border-bottom: 1px solid #999; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.client { color: %(client)s; font-weight: 600; }
.professional { color: %(prof)s; font-weight: 600; }
.mark { color: #6a3d9a; font-size: 8pt; margin-left: 1mm; }
.tag { display: inline-block; font-size: 7.6pt; border: 1px solid #888; border-radius: 2mm; padding: 0 1.2mm;
       margin-left: 1mm; color: #333; white-space: nowrap; }
ul.alerts { margin: 0; padding-left: 4.5mm; font-size: 8.6pt; }
ul.alerts li { margin-bottom: 0.6mm; }
dl.factors { margin: 0; display: grid; grid-template-columns: 32mm 1fr; column-gap: 3mm; row-gap: 0.8mm;
             font-size: 8.6pt; }
dl.factors dt { font-weight: 600; }
dl.factors dd { margin: 0; }
.note { font-size: 7.6pt; color: #555; margin-top: 2.5mm; border-top: 1px solid #ccc; padding-top: 1.2mm; }
svg { display: block; max-width: 100%%; height: auto; }
.chart { margin: 1mm 0 0; }
.talk { font-size: 8.6pt; }
@media print {
  html { font-size: 8.6pt; }
  h2 { margin-top: 2.6mm; }
  body { padding: 0; max-width: none; }
  h2 { break-after: avoid; }
  table, dl, svg, ul { break-inside: avoid; }
  .client, .professional, .tag, .mark { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
""".replace("%(client)s", _CLIENT_COLOR).replace("%(prof)s", _PROF_COLOR).replace("%%", "%")


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _num(x: Any, digits: int = 2) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "–"
    if not math.isfinite(v):
        return "–"
    return f"{v:.{digits}f}"


def _signed(x: Any, digits: int = 2) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "–"
    if not math.isfinite(v):
        return "–"
    return ("+" if v > 0 else ("±" if v == 0 else "−")) + f"{abs(v):.{digits}f}"


def _wave_key(w: Any) -> Any:
    return _SINGLE_WAVE if w is None or (isinstance(w, float) and w != w) else w


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and x != x) or x is pd.NA


@dataclass
class _DyadData:
    """One dyad's rows of the analysis as plain records (fast to render)."""

    pairs: list = field(default_factory=list)
    scores: list = field(default_factory=list)
    change: list = field(default_factory=list)
    alerts: list = field(default_factory=list)
    items: list = field(default_factory=list)
    unpaired: list = field(default_factory=list)


_FRAMES = ("pairs", "scores", "change", "alerts", "items", "unpaired")


def _split_by_dyad(analysis: DyadAnalysis, only: Sequence[Any] | None = None) -> dict[Any, _DyadData]:
    """Group every per-dyad frame of ``analysis`` by dyad, once."""
    out: dict[Any, _DyadData] = {}
    keep = set(only) if only is not None else None
    for name in _FRAMES:
        df = getattr(analysis, name)
        if df is None or not len(df):
            continue
        if keep is not None:
            df = df[df["dyad"].isin(keep)]
        cols = list(df.columns)
        arrays = [df[c].to_numpy(dtype=object) for c in cols]
        for values in zip(*arrays):
            rec = {c: (None if _missing(v) else v) for c, v in zip(cols, values)}
            d = rec["dyad"]
            if d not in out:
                out[d] = _DyadData()
            getattr(out[d], name).append(rec)
    return out


def _profile_svg(analysis: DyadAnalysis, data: _DyadData) -> str:
    """Horizontal bars per score: client and professional, one panel per wave."""
    subs = list(analysis.subscales)
    waves = list(analysis.wave_order) or [_SINGLE_WAVE]
    vals: dict[tuple, float] = {}
    for r in data.scores:
        for s in subs:
            v = r.get(s["id"])
            if v is not None:
                vals[(_wave_key(r["wave"]), r["rater"], s["id"])] = float(v)
    present = [w for w in waves if any(k[0] == w for k in vals)] or waves[:1]
    label_w, gap, row_h, top, bar_h = 150, 18, 25, 32, 9
    width = 720
    panel_w = (width - label_w - gap * (len(present) - 1)) / len(present)
    height = top + row_h * len(subs) + 26
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
           f'height="{height}" role="img" aria-label="Profile chart: client and professional scores per '
           f'subscale and wave" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif" font-size="11">']
    out.append('<title>Client and professional scores per subscale at each wave</title>')
    out.append(f'<rect x="0" y="4" width="12" height="10" fill="{_CLIENT_COLOR}"/>'
               f'<text x="17" y="13">client</text>'
               f'<rect x="70" y="4" width="12" height="10" fill="{_PROF_COLOR}"/>'
               f'<text x="87" y="13">professional</text>')
    for k, sinfo in enumerate(subs):
        y = top + k * row_h
        name = sinfo["name"]
        if len(name) > 22 and " (" in name:
            name = name.split(" (")[0]
        if len(name) > 24:
            name = name[:23] + "…"
        weight = ' font-weight="700"' if sinfo["kind"] == "total" else ""
        out.append(f'<text x="0" y="{y + row_h / 2 + 1:.1f}"{weight}>{_e(name)}</text>')
        if not sinfo["higher_is_better"]:
            out.append(f'<text x="0" y="{y + row_h / 2 + 12:.1f}" font-size="9" fill="#555">(lower is better)</text>')
    for j, w in enumerate(present):
        x0 = label_w + j * (panel_w + gap)
        out.append(f'<text x="{x0 + panel_w / 2:.1f}" y="{top - 8}" text-anchor="middle" font-weight="700">'
                   f'{_e("wave " + str(w)) if w != _SINGLE_WAVE else "scores"}</text>')
        for k, sinfo in enumerate(subs):
            lo = sinfo["min"] if sinfo["min"] is not None else 0.0
            hi = sinfo["max"] if sinfo["max"] is not None else 1.0
            y = top + k * row_h
            if k % 2 == 0:
                out.append(f'<rect x="{x0:.1f}" y="{y}" width="{panel_w:.1f}" height="{row_h}" fill="#f4f4f4"/>')
            for i, role in enumerate(("client", "professional")):
                v = vals.get((w, role, sinfo["id"]))
                yy = y + 4 + i * (bar_h + 2)
                if v is None or not math.isfinite(v):
                    if role in sinfo["forms"]:
                        out.append(f'<text x="{x0 + 3:.1f}" y="{yy + bar_h - 1}" font-size="9" fill="#777">'
                                   'no score</text>')
                    continue
                frac = (v - lo) / (hi - lo) if hi > lo else 0.0
                bw = max(1.5, (panel_w - 30) * min(max(frac, 0.0), 1.0))
                color = _CLIENT_COLOR if role == "client" else _PROF_COLOR
                out.append(f'<rect x="{x0:.1f}" y="{yy}" width="{bw:.1f}" height="{bar_h}" fill="{color}">'
                           f'<title>{_e(role)}: {_num(v)}</title></rect>')
                out.append(f'<text x="{x0 + bw + 3:.1f}" y="{yy + bar_h - 1}" font-size="9.5">{_num(v, 1)}</text>')
        ya = top + row_h * len(subs)
        lo = subs[0]["min"] if subs and subs[0]["min"] is not None else 0.0
        hi = subs[0]["max"] if subs and subs[0]["max"] is not None else 1.0
        out.append(f'<line x1="{x0:.1f}" y1="{ya}" x2="{x0 + panel_w - 30:.1f}" y2="{ya}" stroke="#888"/>')
        ticks = np.arange(math.ceil(lo), math.floor(hi) + 1) if hi - lo <= 10 else np.linspace(lo, hi, 5)
        for t in ticks:
            xt = x0 + (panel_w - 30) * (t - lo) / (hi - lo)
            out.append(f'<line x1="{xt:.1f}" y1="{ya}" x2="{xt:.1f}" y2="{ya + 4}" stroke="#888"/>'
                       f'<text x="{xt:.1f}" y="{ya + 15}" text-anchor="middle" font-size="9" fill="#444">'
                       f'{_num(t, 0)}</text>')
    out.append("</svg>")
    return "".join(out)


def render_sheet(analysis: DyadAnalysis, dyad: Any) -> str:
    """The one-page reflection sheet of ``dyad`` as a self-contained HTML document.

    Contents: a profile chart of both views per score and wave (inline SVG), the
    scores at the latest wave with their difference and change since the previous
    wave, the items where the two views differ most, the alerts, and a short
    description of each factor (from the instrument's ``description`` fields).
    No scripts, no external resources; ``@page`` A4.
    """
    data = _split_by_dyad(analysis, only=[dyad]).get(dyad)
    if data is None:
        raise UsageError("the dyad is not in the analysis")
    return _render(analysis, dyad, data)


def _render(analysis: DyadAnalysis, dyad: Any, data: _DyadData) -> str:
    from wamkit import __version__

    subs = {s["id"]: s for s in analysis.subscales}
    waves = list(analysis.wave_order)
    pair_waves = {r["wave"] for r in data.pairs}
    seen_waves = [w for w in waves if w in pair_waves]
    latest = seen_waves[-1] if seen_waves else None
    all_waves = [w for w in waves if w in pair_waves or w in {r["wave"] for r in data.unpaired}]
    inst = analysis.instruments
    inst_names = ("instrument " + inst["client"]["id"] if inst["client"]["id"] == inst["professional"]["id"]
                  else f'instruments {inst["client"]["id"]} (client) / {inst["professional"]["id"]} (professional)')
    demo = any(v["demonstration"] for v in inst.values())
    title_id = _e(dyad)
    at_latest = (lambda r: r["wave"] == latest) if latest is not None else (lambda r: True)

    h: list[str] = []
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
             f"<title>Reflection sheet – dyad {title_id}</title><style>{_CSS}</style></head><body>")
    h.append("<h1>Our working alliance: reflection sheet</h1>")
    h.append(f'<p class="meta">Dyad <b id="dyad-id">{title_id}</b>'
             + (f" · waves {_e(', '.join(map(str, all_waves)))}" if all_waves else "")
             + f" · {_e(inst_names)}</p>")
    h.append('<p class="intro">This sheet puts the <span class="client">client\'s</span> and the '
             '<span class="professional">professional\'s</span> answers side by side. Differences are not '
             'right or wrong: each person sees the work from their own position. They are a starting point '
             'for talking about what goes well and what could help.</p>')

    h.append("<h2>Both views per subscale</h2>")
    h.append(f'<div class="chart">{_profile_svg(analysis, data)}</div>')

    # scores at the latest wave, and change since the wave before
    head_wave = f" (wave {_e(latest)})" if latest is not None else ""
    h.append('<div class="cols"><div>')
    h.append(f"<h2>Scores and differences{head_wave}</h2>")
    h.append('<table><thead><tr><th>Subscale</th><th class="num client">Client</th>'
             '<th class="num professional">Professional</th><th class="num">Difference</th></tr></thead><tbody>')
    for r in data.pairs:
        if not at_latest(r):
            continue
        tag = ""
        if r["flag"] == FLAG_CLIENT_HIGHER:
            tag = '<span class="mark" title="the client sees this more positively, beyond measurement error">◆</span>'
        elif r["flag"] == FLAG_PROFESSIONAL_HIGHER:
            tag = ('<span class="mark" title="the professional sees this more positively, beyond measurement '
                   'error">◆</span>')
        h.append(f"<tr><td>{_e(subs[r['subscale']]['name'])}</td><td class=\"num\">{_num(r['client'])}</td>"
                 f"<td class=\"num\">{_num(r['professional'])}</td>"
                 f"<td class=\"num\">{_signed(r['difference'])}{tag}</td></tr>")
    for sid, sinfo in subs.items():
        if sid in analysis.shared or len(sinfo["forms"]) != 1:
            continue
        role = sinfo["forms"][0]
        v = [r[sid] for r in data.scores if r["rater"] == role and at_latest(r)]
        if not v:
            continue
        c = _num(v[0]) if role == "client" else ""
        p_ = _num(v[0]) if role == "professional" else ""
        h.append(f"<tr><td>{_e(sinfo['name'])}</td><td class=\"num\">{c}</td><td class=\"num\">{p_}"
                 f"</td><td class=\"num\">({_e(role)} form)</td></tr>")
    h.append("</tbody></table>")
    h.append('<p class="talk">Difference = client − professional. <span class="mark">◆</span> a difference '
             'larger than measurement error alone would explain.</p>')
    h.append("</div><div>")
    cl = [r for r in data.change if latest is not None and r["to"] == latest]
    prev_txt = f" ({_e(cl[0]['from'])} → {_e(latest)})" if cl else ""
    h.append(f"<h2>Change since the last wave{prev_txt}</h2>")
    if cl:
        h.append('<table><thead><tr><th>Subscale</th><th class="num client">Client</th>'
                 '<th class="num professional">Professional</th></tr></thead><tbody>')
        for sid in dict.fromkeys(r["subscale"] for r in cl):
            cells = []
            for role in ("client", "professional"):
                row = [r for r in cl if r["subscale"] == sid and r["rater"] == role]
                if not row:
                    cells.append('<td class="num"></td>')
                    continue
                mark = ('<span class="mark" title="reliable change">◆</span>'
                        if row[0]["classification"] in ("improved", "deteriorated") else "")
                cells.append(f'<td class="num">{_signed(row[0]["change"])}{mark}</td>')
            h.append(f"<tr><td>{_e(subs[sid]['name'])}</td>{''.join(cells)}</tr>")
        h.append("</tbody></table>")
        h.append('<p class="talk">Change in score points; <span class="mark">◆</span> a reliable change '
                 '(larger than measurement error). Where lower is better, a negative number is a move in the '
                 'good direction.</p>')
    else:
        h.append('<p class="talk">No earlier wave to compare with.</p>')
    h.append("</div></div>")

    # items that differ most, and alerts
    h.append('<div class="cols"><div>')
    its = [r for r in data.items if at_latest(r) and r["abs_difference"] is not None
           and math.isfinite(r["abs_difference"]) and r["abs_difference"] > 0]
    its = sorted(its, key=lambda r: -r["abs_difference"])[:5]  # stable: item order among ties
    h.append(f"<h2>Where your answers differ most{head_wave}</h2>")
    if its:
        h.append('<table><thead><tr><th>Item</th><th>Part of</th><th class="num client">Client</th>'
                 '<th class="num professional">Professional</th></tr></thead><tbody>')
        for r in its:
            inf = analysis.item_info.get(r["item"], {})
            label = inf.get("text") or inf.get("label") or ""
            name = f"{r['item']}" + (f": {label}" if label else "")
            part = subs[r["subscale"]]["name"] if r["subscale"] in subs else ""
            h.append(f"<tr><td>{_e(name)}</td><td>{_e(part)}</td><td class=\"num\">{_num(r['client'], 0)}</td>"
                     f"<td class=\"num\">{_num(r['professional'], 0)}</td></tr>")
        h.append("</tbody></table>")
        h.append('<p class="talk">Answers as given on the response scale.</p>')
    else:
        h.append('<p class="talk">No item answered differently by both of you at this wave.</p>')
    h.append("</div><div>")
    h.append("<h2>Points to talk about</h2>")
    if data.alerts:
        h.append('<ul class="alerts">')
        latest_first = data.alerts[::-1]
        for r in latest_first[:_MAX_ALERTS]:
            wtxt = f"{r['wave']}: " if r["wave"] is not None and waves else ""
            h.append(f"<li>{_e(wtxt)}{_e(r['message'])}</li>")
        if len(latest_first) > _MAX_ALERTS:
            h.append(f"<li>… and {len(latest_first) - _MAX_ALERTS} more (see the alert list of wamkit dyads)</li>")
        h.append("</ul>")
    else:
        h.append('<p class="talk">None of the alert rules applies to this dyad.</p>')
    h.append("</div></div>")

    h.append("<h2>What the subscales mean</h2><dl class=\"factors\">")
    for s in analysis.subscales:
        desc = s["description"] or ("The mean of the subscales above." if s["kind"] == "total" else "")
        h.append(f"<dt>{_e(s['name'])}</dt><dd>{_e(desc)}</dd>")
    h.append("</dl>")
    first = next(iter(subs.values()), None)
    scale_txt = (f" on a {_num(first['min'], 0)}–{_num(first['max'], 0)} scale"
                 if first is not None and first["min"] is not None else "")
    h.append('<p class="note">Scores are means of the items of each subscale' + scale_txt
             + ". A difference or change is marked when it is larger than measurement error "
             "(1.96 standard errors; Jacobson &amp; Truax reliable change); reliability: "
             + _e(analysis.settings.get("reliability", "")) + "."
             + (" <b>Demonstration instrument</b>: not a published scoring key." if demo else "")
             + f" Made with wamkit {_e(__version__)}.</p>")
    h.append("</body></html>\n")
    return "".join(h)
