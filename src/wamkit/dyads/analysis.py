r"""The dyad analysis of ``wamkit dyads``: pairing, agreement per wave, change, alerts, caseloads, APIM.

:func:`dyads` reads nothing itself: it takes :class:`~wamkit.design.read.StudyData` (and,
optionally, its :class:`~wamkit.scoring.ScoreResult` from
:func:`wamkit.design.read.score_data` with ``keep_items=True``) and runs one step per
function:

1. pseudonymise identifier columns (:mod:`wamkit.dyads.privacy`), before anything else;
2. the design: dyad, role, wave and officer columns, the two forms, the score pairs
   (:func:`wamkit.dyads.pairing.resolve_pairs`);
3. the long scores: one row per dyad × rater × wave;
4. pairing of the client and professional rows (:func:`wamkit.dyads.pairing.pair_dyads`);
5. reliabilities: Cronbach's alpha (``psych::alpha(x)$total$raw_alpha``) of each score's
   keyed items per rater form and wave, with the SD and SEM of the score at that wave;
6. agreement per score pair × wave (:func:`wamkit.dyads.agreement.agreement`) and the
   reliable difference per pair and wave:

   .. math:: RD = 1.96 \sqrt{SEM_c^2 + SEM_p^2}, \qquad SEM = SD \sqrt{1 - \alpha}

   (that wave's SD and alpha of each form); a pair is flagged when ``|client − professional| > RD``;
7. reliable change between consecutive waves with the first wave's alpha and SD
   (:func:`wamkit.dyads.change.reliable_change`);
8. alerts (:mod:`wamkit.dyads.alerts`);
9. item answers of both forms (for the reflection sheet);
10. caseload summaries per officer with small-cell suppression (:mod:`wamkit.dyads.caseload`);
11. optionally the cross-lagged APIM per score pair and consecutive wave pair
    (:func:`wamkit.stats.apim.apim_cross_lagged`).

Only the id, role, wave, officer and item columns are used: other columns (free text,
names) never reach a result.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from wamkit.dyads.agreement import AgreementResult, agreement
from wamkit.dyads.alerts import ALERT_COLUMNS, REGISTRY, AlertRule, evaluate_alerts, load_alert_rules
from wamkit.dyads.caseload import caseload_alerts, caseload_scores
from wamkit.dyads.change import CHANGE_COLUMNS, SDIFF_COLUMNS, ReliableChangeResult, reliable_change
from wamkit.dyads.frames import empty_frame, records
from wamkit.dyads.pairing import DyadPairing, ScorePair, pair_dyads, resolve_pairs
from wamkit.dyads.privacy import pseudonymise_data
from wamkit.errors import DataError, UsageError
from wamkit.results import Result, to_jsonable

__all__ = [
    "FLAG_CLIENT_HIGHER",
    "FLAG_PROFESSIONAL_HIGHER",
    "ITEM_COLUMNS",
    "PAIR_COLUMNS",
    "RELIABILITY_COLUMNS",
    "DyadAnalysis",
    "dyads",
]

RD_Z = 1.96
FLAG_CLIENT_HIGHER = "client_higher"
FLAG_PROFESSIONAL_HIGHER = "professional_higher"
ROLES = ("client", "professional")

PAIR_COLUMNS = [
    "dyad",
    "wave",
    "subscale",
    "client",
    "professional",
    "difference",
    "abs_difference",
    "reliable_difference",
    "flag",
]
ITEM_COLUMNS = ["dyad", "wave", "item", "subscale", "client", "professional", "difference", "abs_difference"]
RELIABILITY_COLUMNS = ["rater", "subscale", "wave", "n_items", "n_obs", "alpha", "sd", "sem"]
RELIABILITY_TEXT = (
    "Cronbach's alpha of each score's keyed items per rater form and wave in this sample "
    "(psych::alpha raw_alpha); reliable change uses the first wave's"
)


@dataclass(frozen=True)
class DyadAnalysis(Result):
    """Everything ``wamkit dyads`` reports, for one data set.

    Attributes (tables: see :meth:`to_frames`)
    ----------
    pairs, agreement, profiles, profile_summary, unpaired, change, change_thresholds, alerts,
    reliability, items, scores : pandas.DataFrame
    caseload_scores, caseload_alerts : pandas.DataFrame or None
        Only with an officer column.
    apim : tuple of CrossLaggedAPIM or None
        One per score pair × consecutive wave pair (:func:`wamkit.stats.apim.apim_cross_lagged`);
        None when not asked for.
    subscales : tuple of dict
        Every score analysed: ``id, name, description, names, descriptions`` (per language,
        from the instrument file's ``translations``), ``higher_is_better``, ``kind``
        (subscale / total), ``forms`` (roles whose form has it), ``min, max`` (scale range).
    score_pairs : tuple of ScorePair
        Which client score is compared with which professional score.
    wave_order : tuple of str
        Waves in time order (empty without a wave column).
    wave_labels : dict
        Wave -> label to show (SPSS value labels of the wave column), when the data have them.
    instruments : dict
        Role -> instrument ``id, name, names, version, demonstration``.
    item_info : dict
        Item id -> ``label, text, labels, texts`` (per language) and ``subscale``.
    settings : dict
        The design columns, ``wave_order``, ``min_cell``, ``pseudonymised`` columns, the
        (pseudonymised) ``where`` filters, ``pairs``, ``rules``, ``lang``, descriptions of
        ``reliability`` and ``reliable_difference``.
    notes : tuple of str
        What reading the data noted (rows removed by filters, ...), pseudonymised.
    warnings : tuple of str
    """

    pairs: pd.DataFrame
    agreement: pd.DataFrame
    profiles: pd.DataFrame
    profile_summary: pd.DataFrame
    unpaired: pd.DataFrame
    change: pd.DataFrame
    change_thresholds: pd.DataFrame
    alerts: pd.DataFrame
    reliability: pd.DataFrame
    items: pd.DataFrame
    scores: pd.DataFrame
    caseload_scores: pd.DataFrame | None
    caseload_alerts: pd.DataFrame | None
    apim: tuple[Any, ...] | None
    subscales: tuple[dict[str, Any], ...]
    score_pairs: tuple[ScorePair, ...]
    wave_order: tuple[str, ...]
    instruments: dict[str, dict[str, Any]]
    wave_labels: dict[str, str] = field(default_factory=dict)
    item_info: dict[str, dict[str, Any]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    document_builder = "wamkit.render.reports.dyads:dyads_document"

    @property
    def dyads(self) -> list[Any]:
        """Dyad ids (pseudonyms when pseudonymised) in order of appearance."""
        return list(dict.fromkeys([*self.scores["dyad"], *self.unpaired["dyad"]]))

    @property
    def shared(self) -> tuple[str, ...]:
        """The score pair ids (``subscale`` in pairs and agreement)."""
        return tuple(p.id for p in self.score_pairs)

    def change_counts(self) -> pd.DataFrame:
        """Reliable-change classifications counted per score × rater × wave pair (``from, to``)."""
        from wamkit.dyads.change import CLASS_DETERIORATED, CLASS_IMPROVED, CLASS_NO_CHANGE, CLASS_NOT_COMPUTABLE

        classes = [CLASS_IMPROVED, CLASS_NO_CHANGE, CLASS_DETERIORATED, CLASS_NOT_COMPUTABLE]
        cols = ["subscale", "rater", "from", "to", *classes]
        if self.change.empty:
            return pd.DataFrame(columns=cols)
        tab = pd.crosstab(
            [self.change["subscale"], self.change["rater"], self.change["from"], self.change["to"]],
            self.change["classification"],
        )
        tab = tab.reindex(columns=classes, fill_value=0).reset_index()
        first = self.change.drop_duplicates(["subscale", "rater", "from", "to"])[["subscale", "rater", "from", "to"]]
        return first.merge(tab, on=["subscale", "rater", "from", "to"], how="left")[cols].reset_index(drop=True)

    def alert_counts(self) -> pd.DataFrame:
        """Alerts per rule × wave (``rule, kind, wave, n_alerts, n_dyads``), rules in the order they were given."""
        cols = ["rule", "kind", "wave", "n_alerts", "n_dyads"]
        if self.alerts.empty:
            return pd.DataFrame(columns=cols)
        a = self.alerts.assign(wave=self.alerts["wave"].fillna(""))
        out = a.groupby(["rule", "kind", "wave"], sort=False).agg(
            n_alerts=("dyad", "size"), n_dyads=("dyad", "nunique")
        )
        out = out.reset_index()
        rules = {r: i for i, r in enumerate(self.settings.get("rules", []))}
        waves = {w: i for i, w in enumerate(self.wave_order)}
        out = out.assign(_r=out["rule"].map(rules), _w=out["wave"].map(waves)).sort_values(["_r", "_w"], kind="stable")
        return out.assign(wave=out["wave"].replace("", None))[cols].reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        """The CLI's JSON without ``provenance``: one list of records per table (see :meth:`to_frames`)."""
        caseload = None
        if self.caseload_scores is not None:
            caseload = {
                "column": self.settings.get("officer"),
                "min_cell": self.settings.get("min_cell"),
                "scores": records(self.caseload_scores),
                "alerts": records(self.caseload_alerts),
            }
        return to_jsonable(
            {
                "pairs": records(self.pairs),
                "agreement": records(self.agreement),
                "profiles": records(self.profiles),
                "profile_summary": records(self.profile_summary),
                "unpaired": records(self.unpaired),
                "change": records(self.change),
                "change_thresholds": records(self.change_thresholds),
                "alerts": records(self.alerts),
                "reliability": records(self.reliability),
                "scores": records(self.scores),
                "caseload": caseload,
                "apim": None if self.apim is None else [a.to_dict() for a in self.apim],
                "subscales": list(self.subscales),
                "shared": list(self.shared),
                "score_pairs": [p.to_dict() for p in self.score_pairs],
                "wave_order": list(self.wave_order),
                "wave_labels": self.wave_labels,
                "instruments": self.instruments,
                "settings": self.settings,
                "notes": list(self.notes),
                "warnings": list(self.warnings),
            }
        )

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """The tables, tidy (one row per ...):

        * ``pairs``: dyad × wave × score pair: ``client, professional, difference`` (client −
          professional), ``abs_difference``, ``reliable_difference`` (RD) and ``flag``
          (``client_higher`` / ``professional_higher`` beyond RD, ``""`` within, None when
          not computable);
        * ``agreement``: score pair × wave (:data:`wamkit.dyads.agreement.AGREEMENT_COLUMNS`
          plus ``reliable_difference``);
        * ``profiles``: dyad × wave profile correlation; ``profile_summary``: per wave;
        * ``unpaired``: rows without a partner (``dyad, wave, rater, row``);
        * ``change``: dyad × rater × consecutive wave pair × score (reliable change);
          ``change_thresholds``: S_diff per rater × score;
        * ``alerts``: :data:`wamkit.dyads.alerts.ALERT_COLUMNS`;
        * ``reliability``: rater × score × wave (:data:`RELIABILITY_COLUMNS`);
        * ``scores``: ``dyad, wave, rater, row`` and one column per score;
        * ``items``: dyad-wave × item answered on both forms (answers as given);
        * ``caseload``, ``caseload_alerts`` (with an officer column); ``apim`` (when asked:
          one row per effect, with ``subscale, wave_from, wave_to``).
        """
        out = {
            "pairs": self.pairs,
            "agreement": self.agreement,
            "profiles": self.profiles,
            "profile_summary": self.profile_summary,
            "unpaired": self.unpaired,
            "change": self.change,
            "change_thresholds": self.change_thresholds,
            "alerts": self.alerts,
            "reliability": self.reliability,
            "scores": self.scores,
            "items": self.items,
        }
        if self.caseload_scores is not None and self.caseload_alerts is not None:
            out["caseload"] = self.caseload_scores
            out["caseload_alerts"] = self.caseload_alerts
        if self.apim is not None:
            out["apim"] = apim_frame(self.apim)
        return out


def apim_frame(entries: Sequence[Any]) -> pd.DataFrame:
    """The APIM effects of every entry as one tidy frame (``subscale, wave_from, wave_to`` + the effect columns)."""
    parts = [
        e.result.to_frame().assign(subscale=e.score, wave_from=e.wave_from, wave_to=e.wave_to)
        for e in entries
        if e.result is not None
    ]
    if not parts:
        return pd.DataFrame(columns=["subscale", "wave_from", "wave_to", "effect", "role", "from_role", "estimate"])
    frame = pd.concat(parts, ignore_index=True)
    return frame[
        [
            "subscale",
            "wave_from",
            "wave_to",
            *[c for c in frame.columns if c not in ("subscale", "wave_from", "wave_to")],
        ]
    ]


# --------------------------------------------------------------------------- 2. design


@dataclass(frozen=True)
class _Design:
    """The columns and roles of the analysis."""

    dyad: str
    role: str
    wave: str | None
    officer: str | None
    roles: dict[str, str]  # role value in the data -> client / professional
    values: dict[str, str]  # client / professional -> role value


def _design(data: Any, officer: str | None) -> _Design:
    d = data.design
    if d.dyad is None:
        raise UsageError("dyads need the dyad column: dyad=COLUMN (ids.dyad in the study file)")
    if d.role is None:
        raise UsageError(
            "dyads need the role column telling client from professional rows: rater=COLUMN "
            "(roles.column in the study file)"
        )
    officer = officer if officer is not None else d.officer
    if officer is not None and officer not in data.frame.columns:
        raise UsageError(f"officer: {data.source} has no column '{officer}'")
    values = {k: d.role_value(k) for k in ROLES}
    absent = [k for k, v in values.items() if v is None]
    if absent:
        raise UsageError(
            f"dyads need a client and a professional role; no {' or '.join(absent)} role declared "
            f"(roles: {', '.join(r.key for r in d.roles) or 'none'})"
        )
    return _Design(
        dyad=d.dyad,
        role=d.role,
        wave=d.wave,
        officer=officer,
        roles={v: k for k, v in values.items() if v is not None},
        values={k: v for k, v in values.items() if v is not None},
    )


def _forms(data: Any, design: _Design) -> dict[str, Any]:
    if None in data.instruments:
        return dict.fromkeys(ROLES, data.instruments[None])
    return {k: data.instrument_for(design.values[k]) for k in ROLES}


def _score_info(forms: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every score of the two forms: subscales (client form order, then the professional's own), then totals."""
    out: dict[str, dict[str, Any]] = {}
    for kind in ("subscale", "total"):
        for role in ROLES:
            ins = forms[role]
            for obj in ins.subscales if kind == "subscale" else ins.totals:
                if obj.id in out:
                    out[obj.id]["forms"].append(role)
                    continue
                items = obj.items if kind == "subscale" else ins.total_items(obj)
                scale = ins.scale or next((ins.item(i).scale for i in items if ins.item(i).scale), None)
                langs = sorted(obj.translations)
                out[obj.id] = {
                    "id": obj.id,
                    "name": obj.name or obj.id,
                    "description": obj.description or "",
                    "names": {lg: obj.translations[lg].get("name", "") for lg in langs},
                    "descriptions": {lg: obj.translations[lg].get("description", "") for lg in langs},
                    "higher_is_better": bool(getattr(obj, "higher_is_better", True)),
                    "kind": kind,
                    "forms": [role],
                    "min": float(scale.min) if scale else None,
                    "max": float(scale.max) if scale else None,
                }
    return list(out.values())


def _wave_labels(data: Any, waves: Sequence[str]) -> dict[str, str]:
    """Value labels of the wave column (an SPSS export) for the waves present, keyed by the wave's text."""
    from wamkit.io.cells import text_values

    col = data.design.wave
    labels = (data.tables[0].meta.get("value_labels") or {}).get(col) if col and data.tables else None
    if not labels:
        return {}
    codes = text_values(pd.Series(list(labels), dtype=float)).tolist()
    by_code = dict(zip(codes, labels.values(), strict=True))
    return {w: str(by_code[w]) for w in waves if w in by_code}


# --------------------------------------------------------------------------- 3. long scores


def _long(data: Any, scored: Any, design: _Design, scores: Sequence[str]) -> pd.DataFrame:
    """One row per data row: ``dyad, wave, rater`` (client / professional), ``group`` and the scores."""
    from wamkit.io.cells import text_values

    frame = data.frame
    role = frame[design.role].map(design.roles)
    role = role.where(role.notna(), frame[design.role]).astype(object)
    long = pd.DataFrame(
        {
            "dyad": text_values(frame[design.dyad]).astype(object).to_numpy(),
            "wave": frame[design.wave].astype(object).to_numpy() if design.wave else None,
            "rater": role.to_numpy(),
            "group": frame[design.officer].astype(object).to_numpy() if design.officer else None,
        }
    )
    for c in ("dyad", "wave", "group"):
        long[c] = long[c].where(long[c].notna(), None)
    sc = scored.scores
    for s in scores:
        long[s] = sc[s].to_numpy(dtype=float)
    return long


# --------------------------------------------------------------------------- 5. reliabilities


def _reliabilities(
    scored: Any,
    long: pd.DataFrame,
    forms: Mapping[str, Any],
    info: Sequence[Mapping[str, Any]],
    waves: Sequence[Any],
    notes: list[str],
) -> pd.DataFrame:
    """Alpha, SD and SEM per rater form × score × wave (:data:`RELIABILITY_COLUMNS`)."""
    sc = scored.scores
    out = []
    for role in ROLES:
        ins = forms[role]
        for s in (x for x in info if role in x["forms"]):
            items = _items_of(ins, s["id"])
            for w in waves:
                mine = ((long["rater"] == role) & ((long["wave"] == w) if w is not None else True)).to_numpy()
                X = sc.loc[mine, [f"{i}_keyed" for i in items]].to_numpy(dtype=float)
                x = long.loc[mine, s["id"]].to_numpy(dtype=float)
                x = x[np.isfinite(x)]
                sd = float(np.std(x, ddof=1)) if x.size >= 2 else np.nan
                alpha = _alpha(X, items, f"{s['id']} ({role}" + (f", wave {w})" if w is not None else ")"), notes)
                sem = sd * math.sqrt(1.0 - alpha) if np.isfinite(alpha) and 0 <= alpha < 1 else np.nan
                out.append(
                    {
                        "rater": role,
                        "subscale": s["id"],
                        "wave": w,
                        "n_items": len(items),
                        "n_obs": int(X.shape[0]),
                        "alpha": alpha,
                        "sd": sd,
                        "sem": sem,
                    }
                )
    return pd.DataFrame(out, columns=RELIABILITY_COLUMNS)


def _items_of(ins: Any, sid: str) -> tuple[str, ...]:
    for s in ins.subscales:
        if s.id == sid:
            return tuple(s.items)
    return tuple(ins.total_items(next(t for t in ins.totals if t.id == sid)))


def _alpha(X: np.ndarray, items: Sequence[str], where: str, notes: list[str]) -> float:
    from wamkit.stats.reliability import alpha

    if len(items) < 2:
        notes.append(f"{where}: a single item has no alpha; no reliability")
        return np.nan
    if X.shape[0] < 3:
        notes.append(f"{where}: fewer than 3 rows; no reliability")
        return np.nan
    try:
        a = float(alpha(X, items=list(items)).raw_alpha)
    except (DataError, UsageError) as exc:
        notes.append(f"{where}: alpha not computed ({exc.message})")
        return np.nan
    if np.isfinite(a) and not 0.0 <= a < 1.0:
        notes.append(f"{where}: alpha {a:.3f} is outside [0, 1); not used as a reliability")
    return a


def _usable(rel: pd.DataFrame) -> dict[tuple[str, str, Any], tuple[float, float]]:
    """(rater, score, wave) -> (alpha, SEM) where alpha is in [0, 1)."""
    ok = rel[(rel["alpha"] >= 0) & (rel["alpha"] < 1)]
    keys = zip(ok["rater"].tolist(), ok["subscale"].tolist(), ok["wave"].tolist(), strict=True)
    return dict(zip(keys, zip(ok["alpha"].tolist(), ok["sem"].tolist(), strict=True), strict=True))


# --------------------------------------------------------------------------- 6. agreement


def _agreement(
    pairing: DyadPairing, rel: pd.DataFrame, score_pairs: Sequence[ScorePair], waves: Sequence[Any], notes: list[str]
) -> tuple[pd.DataFrame, AgreementResult]:
    """Agreement per pair × wave, with the reliable difference; the pairs with their flags."""
    use = _usable(rel)
    pairs = pairing.pairs
    reliability, rd = {}, {}
    for p in score_pairs:
        for w in waves:
            c, q = use.get(("client", p.client, w)), use.get(("professional", p.professional, w))
            if c is not None and q is not None:
                reliability[(p.id, w)] = (c[0], q[0])
                rd[(p.id, w)] = RD_Z * math.hypot(c[1], q[1])
    res = agreement(
        pairs,
        reliability=reliability,
        wave_order=waves,
        profile_subscales=[p.id for p in score_pairs if p.kind == "subscale"],
    )
    notes += [w for w in res.warnings if not w.startswith("no reliabilities given")]
    keys = list(zip(res.by_subscale["subscale"], res.by_subscale["wave"], strict=True))
    by = res.by_subscale.assign(reliable_difference=[rd.get(k, np.nan) for k in keys])
    rdv = np.array([rd.get(k, np.nan) for k in zip(pairs["subscale"], pairs["wave"], strict=True)], dtype=float)
    d = pairs["difference"].to_numpy(dtype=float)
    ok = np.isfinite(d) & np.isfinite(rdv)
    with np.errstate(invalid="ignore"):
        flag = np.where(d > rdv, FLAG_CLIENT_HIGHER, np.where(-d > rdv, FLAG_PROFESSIONAL_HIGHER, "")).astype(object)
    flag[~ok] = None
    out = pairs.assign(reliable_difference=rdv, flag=flag.astype(object))[PAIR_COLUMNS].reset_index(drop=True)
    counts = (
        out.assign(_c=out["flag"] == FLAG_CLIENT_HIGHER, _p=out["flag"] == FLAG_PROFESSIONAL_HIGHER)
        .groupby(["subscale", "wave"], sort=False, dropna=False)[["_c", "_p"]]
        .sum()
    )
    keyed = pd.MultiIndex.from_arrays([by["subscale"], by["wave"]])
    by = by.assign(
        n_client_higher=counts["_c"].reindex(keyed).fillna(0).to_numpy(dtype=np.int64),
        n_professional_higher=counts["_p"].reindex(keyed).fillna(0).to_numpy(dtype=np.int64),
    )
    return out, dataclasses.replace(res, by_subscale=by)


# --------------------------------------------------------------------------- 7. change


def _change(
    long: pd.DataFrame,
    rows: np.ndarray,
    rel: pd.DataFrame,
    info: Sequence[Mapping[str, Any]],
    waves: Sequence[Any],
    notes: list[str],
) -> ReliableChangeResult | None:
    """Reliable change with the first wave's alpha (None without two waves)."""
    if len(waves) < 2 or waves[0] is None:
        return None
    use = _usable(rel)
    subs, reliability = [], {}
    for s in info:
        vals = {r: use[(r, s["id"], waves[0])][0] for r in s["forms"] if (r, s["id"], waves[0]) in use}
        if len(vals) == len(s["forms"]):
            subs.append(s["id"])
            reliability[s["id"]] = vals
    skipped = [s["id"] for s in info if s["id"] not in subs]
    if skipped:
        notes.append(
            "reliable change not computed for " + ", ".join(skipped) + " (no usable reliability at the first wave)"
        )
    if not subs:
        return ReliableChangeResult(
            changes=empty_frame(CHANGE_COLUMNS),
            s_diff=empty_frame(SDIFF_COLUMNS),
            criterion=1.96,
            wave_order=tuple(waves),
        )
    res = reliable_change(
        long,
        dyad="dyad",
        rater="rater",
        wave="wave",
        wave_order=waves,
        subscales=subs,
        reliability=reliability,
        higher_is_better={s["id"]: s["higher_is_better"] for s in info},
        rows=rows,
    )
    notes += list(res.warnings)
    return res


# --------------------------------------------------------------------------- 8. alerts


def _alerts(
    long: pd.DataFrame,
    rows: np.ndarray,
    pairing: DyadPairing,
    change: ReliableChangeResult | None,
    rules: Sequence[AlertRule],
    info: Sequence[Mapping[str, Any]],
    score_pairs: Sequence[ScorePair],
    waves: Sequence[Any],
    notes: list[str],
) -> pd.DataFrame:
    active = [r for r in rules if r.enabled]
    if len(waves) < 2:
        dropped = [r.name for r in active if REGISTRY[r.kind].needs_waves]
        if dropped:
            notes.append("with fewer than two waves the rules " + ", ".join(dropped) + " do not apply")
        active = [r for r in active if not REGISTRY[r.kind].needs_waves]
    if not active:
        return empty_frame(ALERT_COLUMNS, floats=("value", "threshold"))
    if change is not None and any(r.kind == "reliable_drop" for r in active):
        missing = [s["id"] for s in info if s["id"] not in set(change.s_diff["subscale"])]
        if missing:
            notes.append("reliable-change alerts skip scores without a reliability estimate: " + ", ".join(missing))
    single = waves[0] is None
    frame = long.assign(wave="") if single else long
    out = evaluate_alerts(
        frame,
        dyad="dyad",
        rater="rater",
        wave="wave",
        wave_order=[""] if single else waves,
        subscales=[s["id"] for s in info],
        rules=active,
        scale_range={s["id"]: (s["min"], s["max"]) for s in info if s["min"] is not None},
        higher_is_better={s["id"]: s["higher_is_better"] for s in info},
        pairs={p.client: p.professional for p in score_pairs},
        pairing=pairing,
        change=change if change is not None else _no_change(waves),
        rows=rows,
    )
    return out.assign(wave=None) if single else out


def _no_change(waves: Sequence[Any]) -> ReliableChangeResult:
    return ReliableChangeResult(
        changes=empty_frame(CHANGE_COLUMNS), s_diff=empty_frame(SDIFF_COLUMNS), criterion=1.96, wave_order=tuple(waves)
    )


# --------------------------------------------------------------------------- 9. items


def _item_pairs(
    scored: Any, long: pd.DataFrame, pairing: DyadPairing, forms: Mapping[str, Any], score_pairs: Sequence[ScorePair]
) -> tuple[pd.DataFrame, dict[str, dict[str, Any]]]:
    """Answers as given (reverse keys undone) of the items both forms have, in paired scores, with the same key."""
    fc, fp = forms["client"], forms["professional"]
    to_pair = {p.client: p.id for p in score_pairs if p.kind == "subscale"}
    from_prof = {p.professional: p.id for p in score_pairs if p.kind == "subscale"}

    def home(ins: Any, iid: str, ids: Mapping[str, str]) -> tuple[str, ...]:
        return tuple(ids.get(s.id, "?" + s.id) for s in ins.subscales if iid in s.items)

    shared = [
        i
        for i in fc.item_ids
        if i in set(fp.item_ids)
        and home(fc, i, to_pair) == home(fp, i, from_prof)
        and all(h in to_pair.values() for h in home(fc, i, to_pair))
        and fc.item(i).reverse == fp.item(i).reverse
    ]
    info = {}
    for iid in shared:
        it, h = fc.item(iid), home(fc, iid, to_pair)
        info[iid] = {
            "label": it.label or "",
            "text": it.text or "",
            "subscale": h[0] if h else None,
            "labels": {lg: v.get("label", "") for lg, v in it.translations.items()},
            "texts": {lg: v.get("text", "") for lg, v in it.translations.items()},
        }
    if not shared or pairing.n_pairs == 0:
        return empty_frame(ITEM_COLUMNS), info
    sc = scored.scores

    def answers(ins: Any, role: str) -> pd.DataFrame:
        mask = (long["rater"] == role).to_numpy()
        X = sc.loc[mask, [f"{i}_keyed" for i in shared]].to_numpy(dtype=float, copy=True)
        for j, iid in enumerate(shared):
            if ins.item(iid).reverse:
                X[:, j] = ins.item_scale(ins.item(iid)).reverse(X[:, j])
        return pd.DataFrame(X, columns=shared).assign(
            dyad=long.loc[mask, "dyad"].to_numpy(), wave=long.loc[mask, "wave"].fillna("").to_numpy()
        )

    keys = pairing.pairs[["dyad", "wave"]].drop_duplicates().assign(wave=lambda f: f["wave"].fillna(""))
    m = keys.merge(answers(fc, "client"), on=["dyad", "wave"], how="left").merge(
        answers(fp, "professional"), on=["dyad", "wave"], how="left", suffixes=("_c", "_p")
    )
    n, k = len(m), len(shared)
    cv = m[[f"{i}_c" for i in shared]].to_numpy(dtype=float).ravel()
    pv = m[[f"{i}_p" for i in shared]].to_numpy(dtype=float).ravel()
    items = pd.DataFrame(
        {
            "dyad": np.repeat(m["dyad"].to_numpy(), k),
            "wave": np.repeat(m["wave"].to_numpy(), k),
            "item": np.tile(np.asarray(shared, dtype=object), n),
            "subscale": np.tile(np.asarray([info[i]["subscale"] for i in shared], dtype=object), n),
            "client": cv,
            "professional": pv,
            "difference": cv - pv,
            "abs_difference": np.abs(cv - pv),
        },
        columns=ITEM_COLUMNS,
    )
    items["wave"] = items["wave"].where(items["wave"] != "", None)
    return items, info


# --------------------------------------------------------------------------- 10./11. caseload, APIM


def _caseload(
    long: pd.DataFrame, alerts: pd.DataFrame, scores: Sequence[str], min_cell: int, waves: Sequence[Any]
) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    single = waves[0] is None
    frame = long.assign(wave="") if single else long
    al = alerts.assign(wave="") if single else alerts
    order = [""] if single else list(waves)
    cs, ca = caseload_scores(frame, scores, min_cell, order), caseload_alerts(frame, al, min_cell, order)
    if single:
        cs, ca = cs.assign(wave=None), ca.assign(wave=None)
    return cs, ca


def _apim(
    long: pd.DataFrame, score_pairs: Sequence[ScorePair], waves: Sequence[Any], notes: list[str]
) -> tuple[Any, ...]:
    """Cross-lagged APIM per score pair × consecutive wave pair (client's and professional's own scores)."""
    from wamkit.stats.apim import apim_cross_lagged

    if len(waves) < 2 or waves[0] is None:
        notes.append("the APIM needs two or more waves; not computed")
        return ()
    frame = long[["dyad", "rater", "wave"]].copy()
    is_client = (long["rater"] == "client").to_numpy()
    for p in score_pairs:
        frame[p.id] = np.where(
            is_client, long[p.client].to_numpy(dtype=float), long[p.professional].to_numpy(dtype=float)
        )
    frame = frame[long["rater"].isin(ROLES).to_numpy()]
    out = apim_cross_lagged(
        frame,
        dyad="dyad",
        role="rater",
        wave="wave",
        scores=[p.id for p in score_pairs],
        waves=list(waves),
        roles=ROLES,
    )
    notes += [f"APIM {e.score} {e.wave_from}->{e.wave_to}: {e.problem}" for e in out if e.result is None]
    return out


# --------------------------------------------------------------------------- the analysis


def _scores_frame(long: pd.DataFrame, rows: np.ndarray, scores: Sequence[str]) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "dyad": long["dyad"].to_numpy(),
            "wave": long["wave"].to_numpy(),
            "rater": long["rater"].to_numpy(),
            "row": rows,
        }
    )
    for s in scores:
        out[s] = long[s].to_numpy(dtype=float)
    return out


def _instruments(forms: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        r: {
            "id": f.id,
            "name": f.name,
            "names": {lg: v.get("name", "") for lg, v in f.translations.items()},
            "version": f.version,
            "demonstration": bool(f.demonstration),
        }
        for r, f in forms.items()
    }


def _settings(
    data: Any,
    design: _Design,
    waves: Sequence[Any],
    min_cell: int,
    pseudonymised: Sequence[str],
    rules: Sequence[AlertRule],
    score_pairs: Sequence[ScorePair],
    lang: str,
    apim: bool,
) -> dict[str, Any]:
    return {
        "dyad": design.dyad,
        "rater": design.role,
        "wave": design.wave,
        "wave_order": [w for w in waves if w is not None],
        "officer": design.officer,
        "client_value": design.values["client"],
        "professional_value": design.values["professional"],
        "min_cell": int(min_cell),
        "pseudonymised": list(pseudonymised),
        "where": list(data.filters),
        "pairs": {p.client: p.professional for p in score_pairs if p.declared},
        "lang": lang,
        "apim": apim,
        "reliability": RELIABILITY_TEXT,
        "reliable_difference": "1.96 * sqrt(SEM_client^2 + SEM_professional^2) at each wave, SEM = SD * sqrt(1 - alpha)",
        "rules": [r.name for r in rules if r.enabled],
    }


def _rules(alerts: Any) -> tuple[AlertRule, ...]:
    if alerts is None or isinstance(alerts, (str, bytes)) or hasattr(alerts, "__fspath__"):
        return load_alert_rules(alerts)
    return tuple(alerts)


def _scored(data: Any, scores: Any, invalid: str | None, min_answered: float | None) -> Any:
    from wamkit.design.read import score_data

    if scores is None:
        return score_data(data, keep_items=True, invalid=invalid, min_answered=min_answered)
    if len(scores.scores) != len(data.frame):
        raise UsageError("scores: the ScoreResult has a different number of rows than the data")
    keyed = [f"{i}_keyed" for ins in data.instruments.values() for i in ins.item_ids]
    if any(c not in scores.scores.columns for c in keyed):
        raise UsageError("scores: score the data with keep_items=True (the reliabilities need the keyed items)")
    return scores


def dyads(
    data: Any,
    *,
    scores: Any = None,
    alerts: Any = None,
    officer: str | None = None,
    min_cell: int = 5,
    pairs: Mapping[str, str] | None = None,
    pseudonymise: Sequence[str] = (),
    key: bytes | None = None,
    apim: bool | None = None,
    lang: str | None = None,
    invalid: str | None = None,
    min_answered: float | None = None,
) -> DyadAnalysis:
    """Pair, compare per wave, follow up and flag the client and professional ratings of each dyad.

    Parameters
    ----------
    data : StudyData
        From :func:`wamkit.design.read.read` (the dyad, role and optionally wave and officer
        columns declared, by a study file or settings).
    scores : ScoreResult, optional
        ``score_data(data, keep_items=True)``; scored here when not given.
    alerts : path or sequence of AlertRule, optional
        A rules file overriding/extending the shipped defaults, or loaded rules.
    officer : str, optional
        Column grouping dyads into caseloads (default: the study's officer column).
    min_cell : int, default 5
        Smallest number of clients a caseload figure is shown for.
    pairs : mapping client score -> professional score, optional
        Score pairs (default: the study's ``pairs``; see :func:`wamkit.dyads.pairing.resolve_pairs`).
    pseudonymise : sequence of str
        Identifier columns replaced by keyed pseudonyms before anything else (needs ``key``).
    key : bytes, optional
        The pseudonymisation key (:func:`wamkit.pseudonym.load_key`).
    apim : bool, optional
        Also fit the cross-lagged APIM per score pair and consecutive wave pair (default: the
        study's ``analyses.apim``, else off).
    lang : str, optional
        Language of the result's report (``en``, ``nl``, ``fr``; default: the study's).
    invalid, min_answered : optional
        Scoring settings when ``scores`` is not given.

    Returns
    -------
    DyadAnalysis

    Raises
    ------
    UsageError
        Missing design columns or roles, a bad score pair, ``min_cell`` < 1, bad rules.
    DataError
        Unscorable items, empty ids, duplicate dyad × rater × wave rows (named).
    """
    from wamkit.render.i18n import catalogue

    if int(min_cell) < 1:
        raise UsageError(f"min_cell must be at least 1; got {min_cell}")
    lang = catalogue(lang or data.study.lang).lang
    apim = "apim" in data.study.analyses if apim is None else apim
    rules = _rules(alerts)
    data = pseudonymise_data(data, pseudonymise, key)
    design = _design(data, officer)
    forms = _forms(data, design)
    score_pairs = resolve_pairs(
        forms["client"],
        forms["professional"],
        data.design.pairs if pairs is None else pairs,
        study=data.study if pairs is None else None,
    )
    info = _score_info(forms)
    ids = [s["id"] for s in info]
    scored = _scored(data, scores, invalid, min_answered)
    long = _long(data, scored, design, ids)
    waves: list[Any] = data.design.ordered_waves(long["wave"].dropna()) if design.wave else [None]
    return _assemble(
        data,
        design,
        forms,
        score_pairs,
        info,
        scored,
        long,
        waves,
        rules,
        int(min_cell),
        apim,
        lang,
        list(pseudonymise),
    )


def _assemble(
    data: Any,
    design: _Design,
    forms: Mapping[str, Any],
    score_pairs: tuple[ScorePair, ...],
    info: list[dict[str, Any]],
    scored: Any,
    long: pd.DataFrame,
    waves: list[Any],
    rules: Sequence[AlertRule],
    min_cell: int,
    apim: bool,
    lang: str,
    pseudonymised: list[str],
) -> DyadAnalysis:
    """Steps 4-11 on the long scores, and the result."""
    notes: list[str] = []
    ids = [s["id"] for s in info]
    rows = np.asarray(data.rows, dtype=np.int64)
    pairing = pair_dyads(
        long,
        dyad="dyad",
        rater="rater",
        wave="wave" if design.wave else None,
        subscales_client=forms["client"].score_ids,
        subscales_professional=forms["professional"].score_ids,
        pairs={p.client: p.professional for p in score_pairs},
        rows=rows,
    )
    notes += [w for w in pairing.warnings if not w.startswith("scores on one form only")]
    rel = _reliabilities(scored, long, forms, info, waves, notes)
    pairs, agree = _agreement(pairing, rel, score_pairs, waves, notes)
    change = _change(long, rows, rel, info, waves, notes)
    alerts = _alerts(long, rows, pairing, change, rules, info, score_pairs, waves, notes)
    items, item_info = _item_pairs(scored, long, pairing, forms, score_pairs)
    cs = ca = None
    if design.officer:
        cs, ca = _caseload(long, alerts, ids, min_cell, waves)
    return DyadAnalysis(
        pairs=pairs,
        agreement=agree.by_subscale,
        profiles=agree.profiles,
        profile_summary=agree.profile_summary,
        unpaired=pairing.unpaired,
        change=change.changes if change is not None else empty_frame(CHANGE_COLUMNS),
        change_thresholds=change.s_diff if change is not None else empty_frame(SDIFF_COLUMNS),
        alerts=alerts,
        reliability=rel,
        items=items,
        scores=_scores_frame(long, rows, ids),
        caseload_scores=cs,
        caseload_alerts=ca,
        apim=_apim(long, score_pairs, waves, notes) if apim else None,
        subscales=tuple(info),
        score_pairs=score_pairs,
        wave_order=tuple(w for w in waves if w is not None),
        wave_labels=_wave_labels(data, [w for w in waves if w is not None]),
        instruments=_instruments(forms),
        item_info=item_info,
        settings=_settings(data, design, waves, min_cell, pseudonymised, rules, score_pairs, lang, apim),
        notes=tuple(data.notes),
        warnings=tuple(dict.fromkeys(notes)),
    )
