"""Dyads: pairing client and professional ratings, agreement, reliable change.

An alliance monitor is filled in by the client and the professional of each
supervision dyad at several waves. The scoring engine returns one row per
(dyad, rater, wave) with one float column per subscale (NaN = not scorable or not on
that rater's form). This module builds on that long frame:

* :func:`pair_dyads` puts the client and professional scores of the same dyad and
  wave side by side (subscales both forms share), and lists the rows without a
  partner;
* :func:`agreement` summarises client–professional agreement per subscale (ICC,
  Bland–Altman limits, reliability of the difference score) and per dyad-wave
  (profile correlation across subscales);
* :func:`reliable_change` computes the Jacobson & Truax (1991) reliable change index
  between consecutive waves per dyad and rater.

Output frames use the canonical column names ``dyad``, ``wave``, ``rater`` whatever
the input columns are called. Data row numbers in error messages are 1-based
(index label + 1 when the frame has an integer index, as after ``read_csv``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from wamkit.errors import MAX_LISTED_PROBLEMS, DataError, UsageError
from wamkit.results import to_jsonable

__all__ = [
    "DyadPairing",
    "AgreementResult",
    "ReliableChangeResult",
    "pair_dyads",
    "agreement",
    "difference_reliability",
    "reliable_change",
    "RCI_CRITERION",
    "CLASS_IMPROVED",
    "CLASS_NO_CHANGE",
    "CLASS_DETERIORATED",
    "CLASS_NOT_COMPUTABLE",
]

#: two-sided 5% criterion of Jacobson & Truax (1991)
RCI_CRITERION = 1.96
#: multiplier of the SD of differences for the Bland–Altman limits of agreement
LOA_Z = 1.96
CLASS_IMPROVED = "improved"
CLASS_NO_CHANGE = "no reliable change"
CLASS_DETERIORATED = "deteriorated"
CLASS_NOT_COMPUTABLE = "not computable"

PAIR_COLUMNS = ["dyad", "wave", "subscale", "client", "professional", "difference", "abs_difference"]
UNPAIRED_COLUMNS = ["dyad", "wave", "rater", "row"]


# --------------------------------------------------------------------------- helpers


def _row_numbers(frame: pd.DataFrame) -> np.ndarray:
    """1-based data row numbers: index + 1 for an integer index, else position + 1."""
    idx = frame.index
    if pd.api.types.is_integer_dtype(idx.dtype):
        return np.asarray(idx, dtype=np.int64) + 1
    return np.arange(1, len(frame) + 1, dtype=np.int64)


def _fmt_rows(rows: Sequence[int]) -> str:
    rows = list(rows)
    return ("row " if len(rows) == 1 else "rows ") + ", ".join(str(int(r)) for r in rows)


def _require_columns(scores: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    if not isinstance(scores, pd.DataFrame):
        raise UsageError(f"{what} needs a pandas DataFrame of scores; got {type(scores).__name__}")
    missing = [c for c in dict.fromkeys(columns) if c not in scores.columns]
    if missing:
        raise UsageError(f"{what}: column(s) not in the scores: {', '.join(map(str, missing))}")


def _float_block(scores: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """The score columns as one float matrix (rows x columns)."""
    if not columns:
        return np.empty((len(scores), 0))
    out = np.empty((len(scores), len(columns)))
    for j, c in enumerate(columns):
        try:
            out[:, j] = pd.to_numeric(scores[c], errors="raise").to_numpy(dtype=float, na_value=np.nan)
        except (ValueError, TypeError) as exc:
            raise DataError(f"subscale column {c!r} is not numeric: {exc}") from None
    return out


def _check_keys_present(scores: pd.DataFrame, rows: np.ndarray, columns: Mapping[str, str]) -> None:
    """Identifier columns must not be missing."""
    problems = []
    for label, col in columns.items():
        bad = scores[col].isna().to_numpy()
        if bad.any():
            problems.append(f"{label} column {col!r} is empty in {_fmt_rows(rows[bad][:MAX_LISTED_PROBLEMS])}"
                            + (" ..." if bad.sum() > MAX_LISTED_PROBLEMS else ""))
    if problems:
        raise DataError(problems[0], details=problems[1:])


def _duplicate_error(keys: pd.DataFrame, by: list[str], names: Mapping[str, str]) -> None:
    """Raise a DataError naming every duplicated key and its 1-based rows."""
    dup = keys.duplicated(by, keep=False)
    if not dup.any():
        return
    lines = []
    for key, grp in keys[dup].groupby(by, sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        where = ", ".join(f"{names[c]} {v}" for c, v in zip(by, key) if names.get(c))
        lines.append(f"{where}: {len(grp)} rows ({_fmt_rows(grp['row'])})")
    head = f"duplicate rows for {lines[0]}"
    if len(lines) > 1:
        head = f"{len(lines)} duplicated dyad keys; first: {lines[0]}"
    shown = lines[:MAX_LISTED_PROBLEMS]
    if len(lines) > len(shown):
        shown.append(f"... and {len(lines) - len(shown)} more")
    raise DataError(head, details=shown if len(lines) > 1 else [])


def _frame_dict(df: pd.DataFrame) -> list[dict[str, Any]]:
    return to_jsonable(df.to_dict(orient="records"))


# --------------------------------------------------------------------------- pairing


@dataclass(frozen=True)
class DyadPairing:
    """Client and professional scores of the same dyad and wave, side by side.

    Attributes
    ----------
    pairs : pandas.DataFrame
        One row per paired (dyad, wave) and shared subscale, columns ``dyad, wave,
        subscale, client, professional, difference`` (client − professional) and
        ``abs_difference``. Scores may be NaN (not scorable); the difference is then
        NaN too. ``wave`` is ``None`` when pairing without waves.
    unpaired : pandas.DataFrame
        Rows whose partner is missing: ``dyad, wave, rater`` (the rater present) and
        ``row`` (1-based data row).
    subscales : tuple of str
        Subscales on both forms (the ones paired), in client-form order.
    client_only, professional_only : tuple of str
        Subscales on one form only (not paired).
    n_pairs : int
        Number of paired (dyad, wave) combinations.
    warnings : tuple of str
    """

    pairs: pd.DataFrame
    unpaired: pd.DataFrame
    subscales: tuple[str, ...]
    client_only: tuple[str, ...]
    professional_only: tuple[str, ...]
    n_pairs: int
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable({
            "pairs": _frame_dict(self.pairs), "unpaired": _frame_dict(self.unpaired),
            "subscales": self.subscales, "client_only": self.client_only,
            "professional_only": self.professional_only, "n_pairs": self.n_pairs,
            "warnings": self.warnings,
        })


def pair_dyads(
    scores: pd.DataFrame,
    *,
    dyad: str,
    rater: str,
    wave: str | None,
    subscales_client: Sequence[str],
    subscales_professional: Sequence[str],
    client_value: Any = "client",
    professional_value: Any = "professional",
) -> DyadPairing:
    """Pair the client and professional rows of each dyad (and wave).

    Parameters
    ----------
    scores : pandas.DataFrame
        Long scores, one row per dyad × rater (× wave), e.g. the scoring engine's
        output. Its index is taken as 0-based data row numbers (RangeIndex after
        ``read_csv``); messages report them 1-based.
    dyad, rater : str
        Names of the dyad identifier and rater columns.
    wave : str or None
        Name of the wave column, or ``None`` for a single measurement occasion.
    subscales_client, subscales_professional : sequence of str
        Subscale columns of each form. Only subscales on both forms are paired
        (client-form order); the others are listed in ``client_only`` /
        ``professional_only``.
    client_value, professional_value : default ``"client"``, ``"professional"``
        The values of the rater column that mark the two roles.

    Returns
    -------
    DyadPairing

    Raises
    ------
    UsageError
        A named column is missing, or the forms share no subscale.
    DataError
        An identifier is empty, a rater value is neither role, a subscale column is
        not numeric, or a dyad (and wave) has more than one row for the same rater:
        the message names the dyad, wave, rater and the 1-based data rows.
    """
    sub_c = list(dict.fromkeys(subscales_client))
    sub_p = list(dict.fromkeys(subscales_professional))
    keys_cols = [dyad, rater] + ([wave] if wave is not None else [])
    _require_columns(scores, keys_cols + sub_c + sub_p, "pair_dyads")
    set_p = set(sub_p)
    shared = [s for s in sub_c if s in set_p]
    client_only = tuple(s for s in sub_c if s not in set_p)
    professional_only = tuple(s for s in sub_p if s not in set(sub_c))
    if not shared:
        raise UsageError("pair_dyads: the client and professional forms share no subscale "
                         f"(client: {', '.join(sub_c) or '-'}; professional: {', '.join(sub_p) or '-'})")

    rows = _row_numbers(scores)
    _check_keys_present(scores, rows, {"dyad": dyad, "rater": rater, **({"wave": wave} if wave else {})})
    role = scores[rater]
    is_c = (role == client_value).to_numpy()
    is_p = (role == professional_value).to_numpy()
    other = ~(is_c | is_p)
    if other.any():
        vals = pd.unique(role[other])[:5]
        raise DataError(
            f"rater column {rater!r} holds {other.sum()} value(s) that are neither "
            f"{client_value!r} nor {professional_value!r} (e.g. {', '.join(repr(v) for v in vals)}) "
            f"in {_fmt_rows(rows[other][:MAX_LISTED_PROBLEMS])}")

    keys = pd.DataFrame({
        "dyad": scores[dyad].to_numpy(),
        "wave": scores[wave].to_numpy() if wave is not None else np.full(len(scores), None, dtype=object),
        "rater": np.where(is_c, "client", "professional"),
        "row": rows,
    })
    _duplicate_error(keys, ["dyad", "wave", "rater"],
                     {"dyad": "dyad", "wave": "wave" if wave is not None else "", "rater": "rater"})

    values = _float_block(scores, shared)
    # wave None -> a constant merge key
    merge_wave = keys["wave"] if wave is not None else pd.Series(0, index=keys.index)
    base = pd.DataFrame({"dyad": keys["dyad"], "_w": merge_wave.to_numpy(), "_pos": np.arange(len(keys))})
    left = base[is_c]
    right = base[is_p]
    both = left.merge(right, on=["dyad", "_w"], how="outer", suffixes=("_c", "_p"), indicator=True, sort=False)

    paired = both[both["_merge"] == "both"]
    pc = paired["_pos_c"].to_numpy(dtype=np.int64)
    pp = paired["_pos_p"].to_numpy(dtype=np.int64)
    n_pairs = len(paired)
    n_sub = len(shared)
    client_vals = values[pc].ravel()
    prof_vals = values[pp].ravel()
    diff = client_vals - prof_vals
    pairs = pd.DataFrame({
        "dyad": np.repeat(keys["dyad"].to_numpy()[pc], n_sub),
        "wave": np.repeat(keys["wave"].to_numpy()[pc], n_sub),
        "subscale": np.tile(np.asarray(shared, dtype=object), n_pairs),
        "client": client_vals,
        "professional": prof_vals,
        "difference": diff,
        "abs_difference": np.abs(diff),
    }, columns=PAIR_COLUMNS)

    lonely = both[both["_merge"] != "both"]
    pos = np.where(lonely["_merge"] == "left_only", lonely["_pos_c"], lonely["_pos_p"]).astype(np.int64)
    unpaired = keys.iloc[pos][UNPAIRED_COLUMNS].sort_values("row", kind="stable").reset_index(drop=True)

    notes = []
    if len(unpaired):
        notes.append(f"{len(unpaired)} row(s) have no partner rating for the same dyad"
                     + (" and wave" if wave is not None else "") + " and are not paired")
    if client_only or professional_only:
        notes.append("subscales on one form only are not paired: "
                     + ", ".join([*client_only, *professional_only]))
    return DyadPairing(pairs=pairs, unpaired=unpaired, subscales=tuple(shared),
                       client_only=client_only, professional_only=professional_only,
                       n_pairs=int(n_pairs), warnings=tuple(notes))


# --------------------------------------------------------------------------- agreement


def difference_reliability(rel_x: Any, rel_y: Any, r_xy: Any) -> Any:
    r"""Classical reliability of a difference score :math:`X - Y`.

    .. math:: r_{DD} = \frac{\tfrac12 (r_{xx} + r_{yy}) - r_{xy}}{1 - r_{xy}}

    (Lord 1963; assumes equal variances of X and Y). Vectorised over numpy arrays;
    NaN when :math:`r_{xy} = 1`. Low or negative values mean the differences are
    mostly measurement error.
    """
    r = np.asarray(r_xy, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (0.5 * (np.asarray(rel_x, dtype=float) + np.asarray(rel_y, dtype=float)) - r) / (1.0 - r)
    out = np.where(r >= 1.0, np.nan, out)
    return out[()] if out.ndim == 0 else out


AGREEMENT_COLUMNS = [
    "subscale", "n_pairs", "mean_client", "mean_professional", "mean_difference", "sd_difference",
    "loa_low", "loa_high", "r", "icc_a1", "icc_a1_lower", "icc_a1_upper", "icc_c1", "icc_c1_lower",
    "icc_c1_upper", "reliability_client", "reliability_professional", "difference_reliability",
]
PROFILE_COLUMNS = ["dyad", "wave", "n_subscales", "profile_correlation"]


@dataclass(frozen=True)
class AgreementResult:
    """Client–professional agreement.

    Attributes
    ----------
    by_subscale : pandas.DataFrame
        One row per subscale with columns: ``subscale``; ``n_pairs`` (dyad-waves with
        both scores); ``mean_client``, ``mean_professional``; ``mean_difference`` and
        ``sd_difference`` (client − professional, SD with n − 1); ``loa_low`` /
        ``loa_high`` (Bland–Altman limits, mean ± 1.96·SD); ``r`` (Pearson
        client–professional); ``icc_a1`` / ``icc_c1`` with ``_lower`` / ``_upper``
        bounds (two-way absolute agreement / consistency, single rater, targets =
        dyad-waves; psych ICC2 / ICC3); ``reliability_client``,
        ``reliability_professional`` (as passed in) and ``difference_reliability``.
    profiles : pandas.DataFrame
        One row per paired dyad-wave: ``dyad, wave, n_subscales`` (subscales with both
        scores), ``profile_correlation`` (Pearson across those subscales; NaN with
        fewer than 3 subscales or a flat profile).
    alpha : float
        Error rate of the ICC bounds.
    warnings : tuple of str
    """

    by_subscale: pd.DataFrame
    profiles: pd.DataFrame
    alpha: float
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable({"by_subscale": _frame_dict(self.by_subscale),
                            "profiles": _frame_dict(self.profiles), "alpha": self.alpha,
                            "warnings": self.warnings})


def agreement(
    pairs: pd.DataFrame | DyadPairing,
    *,
    reliability: Mapping[str, tuple[float, float]] | None = None,
    alpha: float = 0.05,
) -> AgreementResult:
    r"""Agreement between client and professional scores, per subscale and per dyad-wave.

    Per subscale, on the dyad-waves where both scores exist:

    * ``icc_a1``, ``icc_c1``: :func:`wamkit.stats.icc.icc` on the (pairs × 2) matrix
      (= ``psych::ICC(cbind(client, professional), lmer=FALSE)`` rows ICC2, ICC3);
    * Bland–Altman: :math:`\bar d`, :math:`s_d` (n − 1) and limits
      :math:`\bar d \pm 1.96\, s_d` with :math:`d = client - professional`;
    * ``r``: Pearson correlation :math:`r_{xy}` (``cor(client, professional)``);
    * ``difference_reliability``: :func:`difference_reliability` from
      ``reliability[subscale] = (r_xx client, r_yy professional)`` and :math:`r_{xy}`
      (NaN when the subscale is not in ``reliability``).

    Per dyad-wave, ``profile_correlation`` is the Pearson correlation of the client
    and professional scores across the shared subscales (both scored); it needs at
    least 3 subscales and is NaN otherwise (noted in ``warnings``).

    Parameters
    ----------
    pairs : pandas.DataFrame or DyadPairing
        :attr:`DyadPairing.pairs` (columns ``dyad, wave, subscale, client,
        professional``) or the pairing itself.
    reliability : mapping subscale -> (rel_client, rel_professional), optional
        Reliabilities (e.g. alpha or omega) of each form's subscale.
    alpha : float, default 0.05
        Error rate of the ICC confidence bounds.

    Returns
    -------
    AgreementResult
    """
    from wamkit.stats.icc import icc as _icc

    if isinstance(pairs, DyadPairing):
        pairs = pairs.pairs
    _require_columns(pairs, ["dyad", "wave", "subscale", "client", "professional"], "agreement")
    reliability = dict(reliability or {})
    for s, rel in reliability.items():
        if isinstance(rel, (str, bytes)) or np.shape(rel) != (2,):
            raise UsageError(f"agreement: reliability[{s!r}] must be a pair (client, professional); got {rel!r}")

    notes: list[str] = []
    client_all = pairs["client"].to_numpy(dtype=float)
    prof_all = pairs["professional"].to_numpy(dtype=float)
    sub_codes, sub_names = pd.factorize(pairs["subscale"], sort=False)
    records = []
    for j, s in enumerate(sub_names):
        sel = sub_codes == j
        c, p = client_all[sel], prof_all[sel]
        ok = np.isfinite(c) & np.isfinite(p)
        c, p = c[ok], p[ok]
        n = int(ok.sum())
        d = c - p
        rec: dict[str, Any] = dict.fromkeys(AGREEMENT_COLUMNS, np.nan)
        rec.update(subscale=s, n_pairs=n)
        if n:
            rec.update(mean_client=c.mean(), mean_professional=p.mean(), mean_difference=d.mean())
        if n >= 2:
            sd = d.std(ddof=1)
            rec.update(sd_difference=sd, loa_low=d.mean() - LOA_Z * sd, loa_high=d.mean() + LOA_Z * sd)
            cc, pc = c - c.mean(), p - p.mean()
            den = np.sqrt(np.sum(cc**2) * np.sum(pc**2))
            rec["r"] = float(np.sum(cc * pc) / den) if den > 0 else np.nan
            try:
                res = _icc(np.column_stack([c, p]), alpha=alpha)
            except DataError as exc:
                notes.append(f"{s}: ICC not computed ({exc.message})")
            else:
                rec.update(icc_a1=res.icc_a1.icc, icc_a1_lower=res.icc_a1.lower, icc_a1_upper=res.icc_a1.upper,
                           icc_c1=res.icc_c1.icc, icc_c1_lower=res.icc_c1.lower, icc_c1_upper=res.icc_c1.upper)
        else:
            notes.append(f"{s}: fewer than 2 complete client-professional pairs; agreement not computed")
        if s in reliability:
            rc, rp = (float(v) for v in reliability[s])
            rec.update(reliability_client=rc, reliability_professional=rp,
                       difference_reliability=float(difference_reliability(rc, rp, rec["r"])))
        records.append(rec)
    by_subscale = pd.DataFrame(records, columns=AGREEMENT_COLUMNS)
    missing_rel = [s for s in sub_names if reliability and s not in reliability]
    if missing_rel:
        notes.append("no reliabilities given for " + ", ".join(map(str, missing_rel))
                     + "; difference_reliability is NaN there")

    profiles = _profile_correlations(pairs, sub_codes, len(sub_names), client_all, prof_all, notes)
    return AgreementResult(by_subscale=by_subscale, profiles=profiles, alpha=float(alpha), warnings=tuple(notes))


def wave_positions(scores: pd.DataFrame, *, dyad: str, rater: str, wave: str,
                   wave_order: Sequence[str]) -> tuple[np.ndarray, pd.Series]:
    """Data row numbers and each row's position in ``wave_order``; refuses unknown waves and missing keys."""
    rows = _row_numbers(scores)
    _check_keys_present(scores, rows, {"dyad": dyad, "rater": rater, "wave": wave})
    wpos = scores[wave].map({w: i for i, w in enumerate(wave_order)})
    unknown = wpos.isna().to_numpy()
    if unknown.any():
        vals = pd.unique(scores[wave][unknown])[:5]
        raise DataError(f"wave column {wave!r} holds value(s) not in wave_order {wave_order!r} "
                        f"(e.g. {', '.join(repr(v) for v in vals)}) in "
                        f"{_fmt_rows(rows[unknown][:MAX_LISTED_PROBLEMS])}")
    return rows, wpos


def _profile_correlations(pairs, sub_codes, n_sub, client_all, prof_all, notes) -> pd.DataFrame:
    grp = pairs.groupby(["dyad", "wave"], sort=False, dropna=False).ngroup().to_numpy()
    n_grp = int(grp.max() + 1) if grp.size else 0
    c_mat = np.full((n_grp, n_sub), np.nan)
    p_mat = np.full((n_grp, n_sub), np.nan)
    c_mat[grp, sub_codes] = client_all
    p_mat[grp, sub_codes] = prof_all
    ok = np.isfinite(c_mat) & np.isfinite(p_mat)
    k = ok.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mc = np.where(ok, c_mat, 0.0).sum(axis=1) / k
        mp = np.where(ok, p_mat, 0.0).sum(axis=1) / k
        dc = np.where(ok, c_mat - mc[:, None], 0.0)
        dp = np.where(ok, p_mat - mp[:, None], 0.0)
        den = np.sqrt((dc**2).sum(axis=1) * (dp**2).sum(axis=1))
        r = (dc * dp).sum(axis=1) / den
    few = k < 3
    # flat = no variation across subscales; tested on the scores themselves (max == min),
    # not on den, which rounding after centring can leave at ~1e-16 (R's cor gives NA there)
    with np.errstate(invalid="ignore"):  # rows without scores give inf - inf = NaN; they are `few`
        c_span = (np.where(ok, c_mat, -np.inf).max(axis=1, initial=-np.inf)
                  - np.where(ok, c_mat, np.inf).min(axis=1, initial=np.inf))
        p_span = (np.where(ok, p_mat, -np.inf).max(axis=1, initial=-np.inf)
                  - np.where(ok, p_mat, np.inf).min(axis=1, initial=np.inf))
    flat = ~few & ((c_span == 0) | (p_span == 0) | ~(den > 0))
    r[few | flat] = np.nan
    if few.any():
        notes.append(f"profile correlation needs at least 3 shared subscales scored by both raters; "
                     f"{int(few.sum())} of {n_grp} dyad-wave(s) have fewer and get NaN")
    if flat.any():
        notes.append(f"{int(flat.sum())} dyad-wave profile(s) are flat (no variation across subscales); "
                     "their profile correlation is NaN")
    first = pd.DataFrame({"g": grp, "dyad": pairs["dyad"].to_numpy(), "wave": pairs["wave"].to_numpy()})
    first = first.drop_duplicates("g").sort_values("g")
    return pd.DataFrame({"dyad": first["dyad"].to_numpy(), "wave": first["wave"].to_numpy(),
                         "n_subscales": k.astype(np.int64), "profile_correlation": r},
                        columns=PROFILE_COLUMNS)


# --------------------------------------------------------------------------- reliable change

CHANGE_COLUMNS = ["dyad", "rater", "subscale", "from", "to", "score_from", "score_to", "change",
                  "s_diff", "rci", "higher_is_better", "classification"]
SDIFF_COLUMNS = ["rater", "subscale", "n_baseline", "sd_baseline", "sd_source", "reliability", "s_diff",
                 "reliable_change_raw"]


@dataclass(frozen=True)
class ReliableChangeResult:
    """Jacobson–Truax reliable change between consecutive waves.

    Attributes
    ----------
    changes : pandas.DataFrame
        One row per dyad × rater × consecutive wave pair × subscale, columns
        ``dyad, rater, subscale, from, to`` (wave labels), ``score_from, score_to,
        change`` (to − from), ``s_diff``, ``rci`` (change / s_diff),
        ``higher_is_better`` and ``classification`` (``"improved"``, ``"no reliable
        change"``, ``"deteriorated"``, or ``"not computable"`` when a score or
        ``s_diff`` is missing).
    s_diff : pandas.DataFrame
        One row per rater × subscale: ``n_baseline`` (non-missing first-wave
        scores), ``sd_baseline`` (SD0), ``sd_source`` (``"sample"`` or ``"given"``),
        ``reliability``, ``s_diff`` and ``reliable_change_raw`` (= criterion · s_diff,
        the smallest change in score units that counts as reliable).
    criterion : float
        |RCI| must exceed this (1.96 = two-sided 5%).
    wave_order : tuple
    warnings : tuple of str
    """

    changes: pd.DataFrame
    s_diff: pd.DataFrame
    criterion: float
    wave_order: tuple
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable({"changes": _frame_dict(self.changes), "s_diff": _frame_dict(self.s_diff),
                            "criterion": self.criterion, "wave_order": list(self.wave_order),
                            "warnings": self.warnings})


def _per_rater(value: Any, rater_value: Any, what: str, subscale: str) -> float | None:
    """A float, or a mapping rater -> float; None when the mapping lacks the rater."""
    if isinstance(value, Mapping):
        if rater_value not in value:
            return None
        value = value[rater_value]
    try:
        return float(value)
    except (TypeError, ValueError):
        raise UsageError(f"{what}[{subscale!r}] must be a number or a mapping rater -> number; "
                         f"got {value!r}") from None


def reliable_change(
    scores: pd.DataFrame,
    *,
    dyad: str,
    rater: str,
    wave: str,
    wave_order: Sequence[Any],
    subscales: Sequence[str],
    reliability: Mapping[str, float | Mapping[Any, float]],
    baseline_sd: Mapping[str, float | Mapping[Any, float]] | None = None,
    higher_is_better: Mapping[str, bool] | None = None,
    criterion: float = RCI_CRITERION,
) -> ReliableChangeResult:
    r"""Reliable change index (Jacobson & Truax 1991) between consecutive waves.

    For each dyad × rater, each wave present is compared with the previous wave
    present for that dyad and rater (in ``wave_order``; a dyad seen at T0 and T2
    only is compared T0 → T2):

    .. math::

        RCI = \frac{x_2 - x_1}{S_{diff}}, \qquad
        S_{diff} = \sqrt{2}\, SD_0 \sqrt{1 - r_{xx}}

    with :math:`SD_0` the standard deviation (n − 1) of the subscale at the first wave
    of ``wave_order`` in this sample, per subscale and rater (or ``baseline_sd`` when
    given, e.g. a norm group) and :math:`r_{xx}` its reliability. A change is reliable
    when :math:`|RCI| > criterion`; it is an improvement when it goes in the good
    direction (an increase, or a decrease for subscales with
    ``higher_is_better[s] = False`` such as reactance or loss of energy) and a
    deterioration otherwise.

    Parameters
    ----------
    scores : pandas.DataFrame
        Long scores, one row per dyad × rater × wave. Index = 0-based data rows.
    dyad, rater, wave : str
        Column names. Any rater values are allowed (each rater is analysed
        separately).
    wave_order : sequence
        All wave labels in time order, e.g. ``["T0", "T1", "T2"]``.
    subscales : sequence of str
        Subscale columns to analyse. A subscale with no score at all for a rater
        (not on that rater's form) is skipped for that rater.
    reliability : mapping subscale -> float, or subscale -> {rater value: float}
        Reliability :math:`r_{xx}` in [0, 1), per subscale (or per subscale and
        rater, for forms that differ).
    baseline_sd : mapping, optional
        :math:`SD_0` per subscale (float or {rater value: float}); subscales not in it
        use the sample's first-wave SD.
    higher_is_better : mapping subscale -> bool, optional
        Direction of each subscale; subscales not listed count as higher-is-better.
    criterion : float, default 1.96

    Returns
    -------
    ReliableChangeResult

    Raises
    ------
    UsageError
        A column or a subscale's reliability is missing, or a reliability is outside
        [0, 1).
    DataError
        An identifier is empty, a wave is not in ``wave_order``, or a dyad has more
        than one row for the same rater and wave (the message names the rows).
    """
    subscales = list(dict.fromkeys(subscales))
    wave_order = list(wave_order)
    _require_columns(scores, [dyad, rater, wave, *subscales], "reliable_change")
    if len(set(wave_order)) != len(wave_order) or len(wave_order) < 2:
        raise UsageError(f"reliable_change: wave_order needs 2 or more distinct waves; got {wave_order!r}")
    if not criterion > 0:
        raise UsageError(f"reliable_change: criterion must be positive; got {criterion!r}")
    higher_is_better = dict(higher_is_better or {})
    missing_rel = [s for s in subscales if s not in reliability]
    if missing_rel:
        raise UsageError("reliable_change: no reliability given for " + ", ".join(missing_rel))

    rows, wpos = wave_positions(scores, dyad=dyad, rater=rater, wave=wave, wave_order=wave_order)
    keys = pd.DataFrame({"dyad": scores[dyad].to_numpy(), "rater": scores[rater].to_numpy(),
                         "wave": scores[wave].to_numpy(), "row": rows,
                         "_wpos": wpos.to_numpy(dtype=np.int64)})
    _duplicate_error(keys, ["dyad", "rater", "wave"], {"dyad": "dyad", "rater": "rater", "wave": "wave"})
    values = _float_block(scores, subscales)

    # ---- S_diff per rater x subscale (vectorised over subscales)
    rater_codes, rater_names = pd.factorize(keys["rater"], sort=False)
    n_r, n_s = len(rater_names), len(subscales)
    notes: list[str] = []
    sdiff = np.full((n_r, n_s), np.nan)
    on_form = np.zeros((n_r, n_s), dtype=bool)
    sdiff_records = []
    is_base = keys["_wpos"].to_numpy() == 0
    for i, rv in enumerate(rater_names):
        mine = rater_codes == i
        on_form[i] = np.isfinite(values[mine]).any(axis=0)
        base = values[mine & is_base]
        n_base = np.isfinite(base).sum(axis=0)
        fin = np.isfinite(base)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean0 = np.where(fin, base, 0.0).sum(axis=0) / n_base
            ss0 = np.where(fin, base - mean0, 0.0) ** 2
            sd_sample = np.sqrt(ss0.sum(axis=0) / (n_base - 1))
        sd_sample = np.where(n_base >= 2, sd_sample, np.nan)
        for j, s in enumerate(subscales):
            if not on_form[i, j]:
                continue
            rel = _per_rater(reliability[s], rv, "reliability", s)
            if rel is None:
                raise UsageError(f"reliable_change: reliability[{s!r}] has no value for rater {rv!r}")
            if not 0.0 <= rel < 1.0:
                raise UsageError(f"reliable_change: reliability of {s!r} must be in [0, 1); got {rel!r}")
            given = None
            if baseline_sd is not None and s in baseline_sd:
                given = _per_rater(baseline_sd[s], rv, "baseline_sd", s)
            if given is not None:
                sd0, source = given, "given"
                if not sd0 > 0:
                    raise UsageError(f"reliable_change: baseline_sd of {s!r} must be positive; got {sd0!r}")
            else:
                sd0, source = float(sd_sample[j]), "sample"
                if n_base[j] < 2:
                    notes.append(f"{s} ({rv}): fewer than 2 scores at baseline wave {wave_order[0]!r}; "
                                 "SD0 and the RCI are not computable")
                elif sd0 == 0.0:
                    notes.append(f"{s} ({rv}): no variation at baseline wave {wave_order[0]!r}; "
                                 "the RCI is not computable")
                    sd0 = np.nan
            sd_ = np.sqrt(2.0) * sd0 * np.sqrt(1.0 - rel)
            sdiff[i, j] = sd_
            sdiff_records.append({"rater": rv, "subscale": s, "n_baseline": int(n_base[j]),
                                  "sd_baseline": sd0, "sd_source": source, "reliability": rel,
                                  "s_diff": sd_, "reliable_change_raw": criterion * sd_})
    s_diff_frame = pd.DataFrame(sdiff_records, columns=SDIFF_COLUMNS)

    # ---- consecutive waves per dyad x rater (vectorised over rows and subscales)
    order = np.lexsort((keys["_wpos"].to_numpy(),
                        rater_codes,
                        pd.factorize(keys["dyad"], sort=False)[0]))
    k_sorted = keys.iloc[order]
    dy = k_sorted["dyad"].to_numpy()
    rc = rater_codes[order]
    same = np.zeros(len(order), dtype=bool)
    same[1:] = (dy[1:] == dy[:-1]) & (rc[1:] == rc[:-1])
    to_idx = order[same]
    from_idx = order[np.flatnonzero(same) - 1]

    hib = np.array([bool(higher_is_better.get(s, True)) for s in subscales])
    x1 = values[from_idx]
    x2 = values[to_idx]
    sd_rows = sdiff[rater_codes[to_idx]]
    keep = on_form[rater_codes[to_idx]]
    change = x2 - x1
    with np.errstate(invalid="ignore", divide="ignore"):
        rci = change / sd_rows
    good = np.where(hib[None, :], rci, -rci)
    cls = np.select([~np.isfinite(rci), good > criterion, good < -criterion],
                    [CLASS_NOT_COMPUTABLE, CLASS_IMPROVED, CLASS_DETERIORATED], CLASS_NO_CHANGE).astype(object)
    n_pairs = len(to_idx)
    r_i, s_j = np.nonzero(keep)  # row-major: pair by pair, subscales in order
    changes = pd.DataFrame({
        "dyad": keys["dyad"].to_numpy()[to_idx][r_i],
        "rater": keys["rater"].to_numpy()[to_idx][r_i],
        "subscale": np.asarray(subscales, dtype=object)[s_j] if n_s else np.empty(0, dtype=object),
        "from": keys["wave"].to_numpy()[from_idx][r_i],
        "to": keys["wave"].to_numpy()[to_idx][r_i],
        "score_from": x1[r_i, s_j],
        "score_to": x2[r_i, s_j],
        "change": change[r_i, s_j],
        "s_diff": sd_rows[r_i, s_j],
        "rci": rci[r_i, s_j],
        "higher_is_better": hib[s_j],
        "classification": cls[r_i, s_j],
    }, columns=CHANGE_COLUMNS)
    if n_pairs == 0:
        notes.append("no dyad has the same rater at two waves; no change computed")
    return ReliableChangeResult(changes=changes, s_diff=s_diff_frame, criterion=float(criterion),
                                wave_order=tuple(wave_order), warnings=tuple(notes))
