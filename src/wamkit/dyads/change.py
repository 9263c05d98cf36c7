r"""Reliable change (Jacobson & Truax 1991) between consecutive waves, per dyad and rater.

For each dyad × rater, each wave present is compared with the previous wave present for
that dyad and rater (a dyad seen at T0 and T2 only is compared T0 → T2):

.. math::

    RCI = \frac{x_2 - x_1}{S_{diff}}, \qquad S_{diff} = \sqrt{2}\, SD_0 \sqrt{1 - r_{xx}}

with :math:`SD_0` the standard deviation (n − 1) of the score at the first wave of
``wave_order`` in the sample (or a given ``baseline_sd``, e.g. a norm group) and
:math:`r_{xx}` its reliability. A change is reliable when :math:`|RCI| > criterion`; it is
an improvement when it goes in the good direction (an increase, or a decrease for scores
with ``higher_is_better[s] = False`` such as reactance or loss of energy).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from wamkit.dyads.frames import (
    check_keys_present,
    duplicate_error,
    float_block,
    records,
    require_columns,
    row_numbers,
    wave_positions,
)
from wamkit.errors import UsageError
from wamkit.results import to_jsonable

__all__ = [
    "CHANGE_COLUMNS",
    "CLASS_DETERIORATED",
    "CLASS_IMPROVED",
    "CLASS_NOT_COMPUTABLE",
    "CLASS_NO_CHANGE",
    "RCI_CRITERION",
    "SDIFF_COLUMNS",
    "ReliableChangeResult",
    "consecutive_rows",
    "reliable_change",
]

#: two-sided 5% criterion of Jacobson & Truax (1991)
RCI_CRITERION = 1.96
CLASS_IMPROVED = "improved"
CLASS_NO_CHANGE = "no reliable change"
CLASS_DETERIORATED = "deteriorated"
CLASS_NOT_COMPUTABLE = "not computable"

CHANGE_COLUMNS = [
    "dyad",
    "rater",
    "subscale",
    "from",
    "to",
    "score_from",
    "score_to",
    "change",
    "s_diff",
    "rci",
    "higher_is_better",
    "classification",
]
SDIFF_COLUMNS = [
    "rater",
    "subscale",
    "n_baseline",
    "sd_baseline",
    "sd_source",
    "reliability",
    "s_diff",
    "reliable_change_raw",
]


@dataclass(frozen=True)
class ReliableChangeResult:
    """Jacobson–Truax reliable change between consecutive waves.

    Attributes
    ----------
    changes : pandas.DataFrame
        One row per dyad × rater × consecutive wave pair × score (:data:`CHANGE_COLUMNS`):
        ``from``, ``to`` (wave labels), ``score_from, score_to, change`` (to − from),
        ``s_diff``, ``rci`` (change / s_diff), ``higher_is_better`` and ``classification``
        (``"improved"``, ``"no reliable change"``, ``"deteriorated"``, or ``"not
        computable"`` when a score or ``s_diff`` is missing).
    s_diff : pandas.DataFrame
        One row per rater × score (:data:`SDIFF_COLUMNS`): ``n_baseline`` (non-missing
        first-wave scores), ``sd_baseline`` (SD0), ``sd_source`` (``"sample"`` or
        ``"given"``), ``reliability``, ``s_diff`` and ``reliable_change_raw`` (= criterion ·
        s_diff, the smallest change in score units that counts as reliable).
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
        return to_jsonable(
            {
                "changes": records(self.changes),
                "s_diff": records(self.s_diff),
                "criterion": self.criterion,
                "wave_order": list(self.wave_order),
                "warnings": self.warnings,
            }
        )


def _per_rater(value: Any, rater_value: Any, what: str, subscale: str) -> float | None:
    """A float, or a mapping rater -> float; None when the mapping lacks the rater."""
    if isinstance(value, Mapping):
        if rater_value not in value:
            return None
        value = value[rater_value]
    try:
        return float(value)
    except (TypeError, ValueError):
        raise UsageError(f"{what}[{subscale!r}] must be a number or a mapping rater -> number; got {value!r}") from None


def consecutive_rows(
    dyad_codes: np.ndarray, rater_codes: np.ndarray, wave_pos: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Row positions (earlier, later) of each consecutive wave pair of the same dyad and rater."""
    order = np.lexsort((wave_pos, rater_codes, dyad_codes))
    d, r = dyad_codes[order], rater_codes[order]
    same = np.zeros(len(order), dtype=bool)
    same[1:] = (d[1:] == d[:-1]) & (r[1:] == r[:-1])
    return order[np.flatnonzero(same) - 1], order[same]


def _baseline_sd(base: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Non-missing count and SD (n − 1; NaN below 2) of each column."""
    fin = np.isfinite(base)
    n = fin.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(fin, base, 0.0).sum(axis=0) / n
        sd = np.sqrt((np.where(fin, base - mean, 0.0) ** 2).sum(axis=0) / (n - 1))
    return n, np.where(n >= 2, sd, np.nan)


def _s_diff_one(
    s: str,
    rv: Any,
    n_base: int,
    sd_sample: float,
    reliability: Mapping[str, Any],
    baseline_sd: Mapping[str, Any] | None,
    first_wave: Any,
    criterion: float,
    notes: list[str],
) -> dict[str, Any]:
    """The S_diff record of one rater × score."""
    rel = _per_rater(reliability[s], rv, "reliability", s)
    if rel is None:
        raise UsageError(f"reliable_change: reliability[{s!r}] has no value for rater {rv!r}")
    if not 0.0 <= rel < 1.0:
        raise UsageError(f"reliable_change: reliability of {s!r} must be in [0, 1); got {rel!r}")
    given = _per_rater(baseline_sd[s], rv, "baseline_sd", s) if baseline_sd is not None and s in baseline_sd else None
    if given is not None:
        if not given > 0:
            raise UsageError(f"reliable_change: baseline_sd of {s!r} must be positive; got {given!r}")
        sd0, source = given, "given"
    else:
        sd0, source = sd_sample, "sample"
        if n_base < 2:
            notes.append(
                f"{s} ({rv}): fewer than 2 scores at baseline wave {first_wave!r}; SD0 and the RCI are not computable"
            )
        elif sd0 == 0.0:
            notes.append(f"{s} ({rv}): no variation at baseline wave {first_wave!r}; the RCI is not computable")
            sd0 = np.nan
    sd_ = float(np.sqrt(2.0) * sd0 * np.sqrt(1.0 - rel))
    return {
        "rater": rv,
        "subscale": s,
        "n_baseline": int(n_base),
        "sd_baseline": sd0,
        "sd_source": source,
        "reliability": rel,
        "s_diff": sd_,
        "reliable_change_raw": criterion * sd_,
    }


def _s_diff_table(
    values: np.ndarray,
    rater_codes: np.ndarray,
    rater_names: list[Any],
    is_base: np.ndarray,
    subscales: list[str],
    given: tuple[Mapping[str, Any], Mapping[str, Any] | None],
    first_wave: Any,
    criterion: float,
    notes: list[str],
) -> tuple[np.ndarray, np.ndarray, list[dict[str, Any]]]:
    """S_diff per rater × score (NaN where not computable), which scores are on each rater's form, the records."""
    sdiff = np.full((len(rater_names), len(subscales)), np.nan)
    on_form = np.zeros_like(sdiff, dtype=bool)
    records = []
    for i, rv in enumerate(rater_names):
        mine = rater_codes == i
        on_form[i] = np.isfinite(values[mine]).any(axis=0)
        n_base, sd_sample = _baseline_sd(values[mine & is_base])
        for j in np.flatnonzero(on_form[i]):
            rec = _s_diff_one(
                subscales[j], rv, n_base[j], float(sd_sample[j]), given[0], given[1], first_wave, criterion, notes
            )
            sdiff[i, j] = rec["s_diff"]
            records.append(rec)
    return sdiff, on_form, records


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
    rows: Sequence[int] | np.ndarray | None = None,
) -> ReliableChangeResult:
    """Reliable change index (Jacobson & Truax 1991) between consecutive waves (see the module docstring).

    Parameters
    ----------
    scores : pandas.DataFrame
        Long scores, one row per dyad × rater × wave.
    dyad, rater, wave : str
        Column names. Any rater values are allowed (each rater is analysed separately).
    wave_order : sequence
        All wave labels in time order, e.g. ``["T0", "T1", "T2"]``.
    subscales : sequence of str
        Score columns to analyse; a score with no value at all for a rater (not on that
        rater's form) is skipped for that rater.
    reliability : mapping subscale -> float, or subscale -> {rater value: float}
        Reliability :math:`r_{xx}` in [0, 1).
    baseline_sd : mapping, optional
        :math:`SD_0` per score (float or {rater value: float}); others use the sample's
        first-wave SD.
    higher_is_better : mapping subscale -> bool, optional
        Direction of each score; scores not listed count as higher-is-better.
    criterion : float, default 1.96
    rows : sequence of int, optional
        1-based data row of each row of ``scores`` for messages (default: index + 1).

    Returns
    -------
    ReliableChangeResult

    Raises
    ------
    UsageError
        A column or a score's reliability is missing, or a reliability is outside [0, 1).
    DataError
        An identifier is empty, a wave is not in ``wave_order``, or a dyad has more than
        one row for the same rater and wave (the message names the rows).
    """
    subscales = list(dict.fromkeys(subscales))
    wave_order = list(wave_order)
    require_columns(scores, [dyad, rater, wave, *subscales], "reliable_change")
    if len(set(wave_order)) != len(wave_order) or len(wave_order) < 2:
        raise UsageError(f"reliable_change: wave_order needs 2 or more distinct waves; got {wave_order!r}")
    if not criterion > 0:
        raise UsageError(f"reliable_change: criterion must be positive; got {criterion!r}")
    missing_rel = [s for s in subscales if s not in reliability]
    if missing_rel:
        raise UsageError("reliable_change: no reliability given for " + ", ".join(missing_rel))
    nums = row_numbers(scores, rows)
    check_keys_present(scores, nums, {"dyad": dyad, "rater": rater, "wave": wave})
    wpos = wave_positions(scores, wave, wave_order, nums)
    keys = pd.DataFrame(
        {
            "dyad": scores[dyad].to_numpy(),
            "rater": scores[rater].to_numpy(),
            "wave": scores[wave].to_numpy(),
            "row": nums,
        }
    )
    duplicate_error(keys, ["dyad", "rater", "wave"], {"dyad": "dyad", "rater": "rater", "wave": "wave"})
    values = float_block(scores, subscales)
    rater_codes, rater_names = pd.factorize(keys["rater"], sort=False)
    notes: list[str] = []
    sdiff, on_form, sd_records = _s_diff_table(
        values,
        rater_codes,
        list(rater_names),
        wpos == 0,
        subscales,
        (reliability, baseline_sd),
        wave_order[0],
        criterion,
        notes,
    )
    hib = np.array([bool((higher_is_better or {}).get(s, True)) for s in subscales])
    changes, n_pairs = _changes(keys, values, subscales, hib, rater_codes, wpos, sdiff, on_form, criterion)
    if n_pairs == 0:
        notes.append("no dyad has the same rater at two waves; no change computed")
    return ReliableChangeResult(
        changes=changes,
        s_diff=pd.DataFrame(sd_records, columns=SDIFF_COLUMNS),
        criterion=float(criterion),
        wave_order=tuple(wave_order),
        warnings=tuple(notes),
    )


def _changes(
    keys: pd.DataFrame,
    values: np.ndarray,
    subscales: list[str],
    hib: np.ndarray,
    rater_codes: np.ndarray,
    wpos: np.ndarray,
    sdiff: np.ndarray,
    on_form: np.ndarray,
    criterion: float,
) -> tuple[pd.DataFrame, int]:
    """The change rows of every consecutive wave pair (vectorised over rows and scores), and the pairs' count."""
    from_idx, to_idx = consecutive_rows(pd.factorize(keys["dyad"], sort=False)[0], rater_codes, wpos)
    x1, x2 = values[from_idx], values[to_idx]
    sd_rows = sdiff[rater_codes[to_idx]]
    change = x2 - x1
    with np.errstate(invalid="ignore", divide="ignore"):
        rci = change / sd_rows
    good = np.where(hib[None, :], rci, -rci)
    cls = np.select(
        [~np.isfinite(rci), good > criterion, good < -criterion],
        [CLASS_NOT_COMPUTABLE, CLASS_IMPROVED, CLASS_DETERIORATED],
        CLASS_NO_CHANGE,
    ).astype(object)
    r_i, s_j = np.nonzero(on_form[rater_codes[to_idx]])  # row-major: pair by pair, scores in order
    frame = pd.DataFrame(
        {
            "dyad": keys["dyad"].to_numpy()[to_idx][r_i],
            "rater": keys["rater"].to_numpy()[to_idx][r_i],
            "subscale": np.asarray(subscales, dtype=object)[s_j] if subscales else np.empty(0, dtype=object),
            "from": keys["wave"].to_numpy()[from_idx][r_i],
            "to": keys["wave"].to_numpy()[to_idx][r_i],
            "score_from": x1[r_i, s_j],
            "score_to": x2[r_i, s_j],
            "change": change[r_i, s_j],
            "s_diff": sd_rows[r_i, s_j],
            "rci": rci[r_i, s_j],
            "higher_is_better": hib[s_j],
            "classification": cls[r_i, s_j],
        },
        columns=CHANGE_COLUMNS,
    )
    return frame, len(to_idx)
