"""Data preparation for landmark and time-varying Cox models.

Both helpers return a new DataFrame for :func:`wamkit.stats.models.cox` plus an
account of what was dropped or filled in, so that the caller can report it.

* :func:`landmark` -- a landmark analysis (van Houwelingen 2007): keep the
  subjects still under observation at the landmark time and restart the clock
  there, so that a predictor measured at the landmark (the alliance at 6
  months) predicts the time from the landmark onwards without immortal-time
  bias. Then ``cox(result.data, time, event, predictors)`` is
  ``coxph(Surv(time - s, event) ~ ..., data = subset(d, time > s))``.
* :func:`counting_process` -- one row per subject (outcome time, event and the
  predictor measured at several waves) to counting-process ``(start, stop]``
  rows, one per wave interval, for ``cox(..., start="start")`` =
  ``coxph(Surv(start, stop, event) ~ ..., cluster = id)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from wamkit.errors import DataError, UsageError
from wamkit.results import to_jsonable

__all__ = ["DAYS_PER_MONTH", "CountingProcessData", "LandmarkData", "counting_process", "landmark"]

DAYS_PER_MONTH = 30.4375
"""Mean Gregorian month in days (365.25 / 12): the default months -> days factor."""


@dataclass(frozen=True)
class LandmarkData:
    """Result of :func:`landmark`.

    Attributes
    ----------
    data : pandas.DataFrame
        The subjects at risk just after the landmark (``time > landmark_time``) with
        ``time`` replaced by ``time - landmark_time`` (all other columns unchanged,
        original index kept).
    landmark_time : float
        The landmark, in the unit of ``time``.
    time, event : str
        Column names.
    n_input : int
        Rows given.
    n_kept : int
        Rows in ``data``.
    n_event_before : int
        Rows dropped because the event happened at or before the landmark.
    n_censored_before : int
        Rows dropped because follow-up ended (censoring) at or before the landmark.
    n_missing : int
        Rows dropped because ``time`` or ``event`` is missing.
    """

    data: pd.DataFrame = field(repr=False)
    landmark_time: float
    time: str
    event: str
    n_input: int
    n_kept: int
    n_event_before: int
    n_censored_before: int
    n_missing: int

    @property
    def dropped(self) -> dict[str, int]:
        """Dropped rows by reason."""
        return {
            "event_at_or_before_landmark": self.n_event_before,
            "censored_at_or_before_landmark": self.n_censored_before,
            "missing_time_or_event": self.n_missing,
        }

    def to_dict(self) -> dict:
        """Counts only (not the data)."""
        return {
            "landmark_time": to_jsonable(self.landmark_time),
            "time": self.time,
            "event": self.event,
            "n_input": self.n_input,
            "n_kept": self.n_kept,
            "dropped": self.dropped,
        }

    def to_frame(self) -> pd.DataFrame:
        """The landmark data set (same as ``data``)."""
        return self.data


@dataclass(frozen=True)
class CountingProcessData:
    """Result of :func:`counting_process`.

    Attributes
    ----------
    data : pandas.DataFrame
        One row per subject and wave interval with columns ``id``, ``start``,
        ``stop``, ``event`` (named as given), ``wave`` (index of the wave whose
        measurement holds in the interval), the time-varying predictors (named by
        the keys of ``predictors``) and the ``keep`` columns.
    n_subjects : int
        Subjects with at least one interval.
    n_intervals : int
        Rows of ``data``.
    n_dropped_missing : int
        Subjects dropped for a missing or negative outcome time or a missing event.
    n_dropped_before_first_wave : int
        Subjects whose follow-up ended at or before the first wave.
    n_carried_forward : dict
        Per predictor: intervals whose value was carried forward from an earlier wave.
    n_missing_value : dict
        Per predictor: intervals left with a missing value (no earlier measurement;
        ``cox`` drops these rows).
    wave_times : tuple of float
        Wave times in the outcome's time unit (``months x time_per_month``).
    time_per_month : float
        The conversion factor used.
    """

    data: pd.DataFrame = field(repr=False)
    n_subjects: int
    n_intervals: int
    n_dropped_missing: int
    n_dropped_before_first_wave: int
    n_carried_forward: dict
    n_missing_value: dict
    wave_times: tuple[float, ...]
    time_per_month: float

    def to_dict(self) -> dict:
        """Counts only (not the data)."""
        return {
            k: to_jsonable(getattr(self, k))
            for k in (
                "n_subjects",
                "n_intervals",
                "n_dropped_missing",
                "n_dropped_before_first_wave",
                "n_carried_forward",
                "n_missing_value",
                "wave_times",
                "time_per_month",
            )
        }

    def to_frame(self) -> pd.DataFrame:
        """The ``(start, stop]`` data set (same as ``data``)."""
        return self.data


def _num(df: pd.DataFrame, col: str) -> np.ndarray:
    s = df[col]
    if not (pd.api.types.is_numeric_dtype(s.dtype) or str(s.dtype) == "boolean"):
        raise DataError(f"column {col!r} must be numeric (got {s.dtype})")
    return s.astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def _need(df: pd.DataFrame, cols: Sequence[str]) -> None:
    if not isinstance(df, pd.DataFrame):
        raise UsageError("data must be a pandas DataFrame")
    missing = [c for c in dict.fromkeys(cols) if c not in df.columns]
    if missing:
        raise UsageError(f"unknown column(s): {', '.join(map(str, missing))}")


def landmark(data: pd.DataFrame, time: str, event: str, landmark_time: float) -> LandmarkData:
    """Landmark data set: subjects at risk after ``landmark_time``, clock restarted there.

    Keeps the rows with ``time > landmark_time`` (still under observation and event-free
    just after the landmark) and sets ``time <- time - landmark_time``. Rows with the event
    at or before the landmark, censored at or before it, or with ``time``/``event``
    missing are dropped and counted by reason. Then fit
    ``cox(result.data, time, event, predictors)``, which equals R
    ``coxph(Surv(time - s, event) ~ predictors, data = subset(d, time > s))``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject.
    time : str
        Follow-up time (same unit as ``landmark_time``).
    event : str
        1 = event, 0 = censored.
    landmark_time : float
        The landmark (e.g. 6 months = 182.625 days), >= 0.

    Returns
    -------
    LandmarkData
    """
    _need(data, [time, event])
    try:
        s = float(landmark_time)
    except (TypeError, ValueError):
        raise UsageError(f"landmark_time must be a number, got {landmark_time!r}") from None
    if not math.isfinite(s) or s < 0:
        raise UsageError(f"landmark_time must be a finite number >= 0, got {landmark_time!r}")
    t = _num(data, time)
    e = _num(data, event)
    miss = np.isnan(t) | np.isnan(e)
    ok_e = e[~miss]
    if not np.all((ok_e == 0) | (ok_e == 1)):
        raise DataError(f"event column {event!r} must be coded 0/1")
    before = ~miss & (t <= s)
    keep = ~miss & (t > s)
    out = data.loc[keep].copy()
    out[time] = t[keep] - s
    return LandmarkData(
        data=out,
        landmark_time=s,
        time=time,
        event=event,
        n_input=len(data),
        n_kept=int(keep.sum()),
        n_event_before=int((before & (e == 1)).sum()),
        n_censored_before=int((before & (e == 0)).sum()),
        n_missing=int(miss.sum()),
    )


def counting_process(
    data: pd.DataFrame,
    *,
    id: str,
    time: str,
    event: str,
    predictors: Mapping[str, Sequence[str]],
    wave_months: Sequence[float],
    time_per_month: float = DAYS_PER_MONTH,
    carry_forward: bool = True,
    keep: Sequence[str] = (),
    start_name: str = "start",
    stop_name: str = "stop",
    wave_name: str = "wave",
) -> CountingProcessData:
    """Counting-process ``(start, stop]`` rows for a Cox model with time-varying predictors.

    From one row per subject with the outcome ``time``/``event`` and a predictor measured
    at K waves (months ``wave_months``), build one row per wave interval::

        (w_k, min(w_{k+1}, time)]   for every k with w_k < time   (w_K = infinity)

    with ``w_k = wave_months[k] * time_per_month`` in the outcome's time unit, the
    predictor value measured at wave k, and ``event`` = the subject's event in the
    interval that ends at ``time`` (0 in the others). A measurement is assumed to hold
    from its wave until the next one (the value known at the time, no look-ahead).
    ``cox(result.data, "stop", event, [...], start="start", cluster=id)`` then equals R
    ``coxph(Surv(start, stop, event) ~ ..., cluster = id)``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject.
    id : str
        Subject identifier (kept in the output, for ``cluster``).
    time : str
        Follow-up time in the outcome's unit (e.g. days).
    event : str
        1 = event at ``time``, 0 = censored.
    predictors : mapping name -> sequence of K column names
        Time-varying predictors, e.g. ``{"bond": ["bond_T0", "bond_T1", "bond_T2"]}``;
        the output column is the key.
    wave_months : sequence of K increasing numbers
        When each wave was measured, in months since the start of follow-up
        (e.g. ``(0, 6, 9)``).
    time_per_month : float
        Outcome time units per month: 30.4375 (days, the default: 365.25 / 12),
        4.348214 (weeks: 30.4375 / 7), 1 (months), 1/12 (years).
    carry_forward : bool
        Fill a missing wave value with the last earlier measurement (counted in
        ``n_carried_forward``); otherwise the interval keeps NaN (and ``cox`` drops it).
    keep : sequence of str
        Time-constant columns copied to every row (covariates, cluster).
    start_name, stop_name, wave_name : str
        Names of the new columns.

    Returns
    -------
    CountingProcessData
    """
    preds = dict(predictors)
    if not preds:
        raise UsageError("predictors must name at least one time-varying predictor")
    months = np.asarray(list(wave_months), dtype=float)
    K = months.size
    if K < 1 or not np.all(np.isfinite(months)):
        raise UsageError("wave_months must be finite numbers")
    if np.any(np.diff(months) <= 0):
        raise UsageError(f"wave_months must increase strictly, got {list(wave_months)}")
    try:
        f = float(time_per_month)
    except (TypeError, ValueError):
        raise UsageError(f"time_per_month must be a number, got {time_per_month!r}") from None
    if not (math.isfinite(f) and f > 0):
        raise UsageError(f"time_per_month must be a positive number, got {time_per_month!r}")
    for name, cols in preds.items():
        if isinstance(cols, str) or len(cols) != K:
            raise UsageError(f"predictors[{name!r}] must list {K} columns, one per entry of wave_months")
    new_names = [start_name, stop_name, wave_name, *preds]
    if len(set(new_names)) != len(new_names):
        raise UsageError("start_name, stop_name, wave_name and the predictor names must be distinct")
    keep = [keep] if isinstance(keep, str) else list(keep)
    clash = [c for c in [id, event, *keep] if c in new_names]
    if clash:
        raise UsageError(f"output column name(s) used twice: {', '.join(clash)}")
    _need(data, [id, time, event, *keep, *(c for cols in preds.values() for c in cols)])
    t = _num(data, time)
    e = _num(data, event)
    ok = np.isfinite(t) & np.isfinite(e) & (t >= 0) & data[id].notna().to_numpy()
    if not np.all((e[ok] == 0) | (e[ok] == 1)):
        raise DataError(f"event column {event!r} must be coded 0/1")
    if data[id][ok].duplicated().any():
        raise DataError(f"column {id!r} must identify one row per subject (duplicates found)")
    w = months * f
    n_missing = int((~ok).sum())
    early = ok & (t <= w[0])
    ok &= ~early
    rows = np.flatnonzero(ok)
    tt, ee = t[rows], e[rows]
    # interval k of subject i exists when w_k < t_i
    live = w[None, :] < tt[:, None]  # (m, K)
    nxt = np.r_[w[1:], np.inf]
    stop = np.minimum(nxt[None, :], tt[:, None])
    last = live & (stop == tt[:, None])  # the interval ending at the subject's time
    ii, kk = np.nonzero(live)  # row-major: subject, then wave
    out: dict[str, object] = {id: data[id].to_numpy()[rows][ii]}
    out[start_name] = w[kk]
    out[stop_name] = stop[ii, kk]
    out[event] = np.where(last[ii, kk], ee[ii], 0.0)
    out[wave_name] = kk
    carried: dict[str, int] = {}
    still: dict[str, int] = {}
    for name, cols in preds.items():
        vals = np.column_stack([_num(data, c)[rows] for c in cols])  # (m, K)
        filled = vals
        if carry_forward:
            filled = pd.DataFrame(vals).ffill(axis=1).to_numpy(dtype=float)
        v = filled[ii, kk]
        carried[name] = int((np.isnan(vals[ii, kk]) & ~np.isnan(v)).sum())
        still[name] = int(np.isnan(v).sum())
        out[name] = v
    for c in keep:
        out[c] = data[c].to_numpy()[rows][ii]
    frame = pd.DataFrame(out)
    return CountingProcessData(
        data=frame,
        n_subjects=int(np.unique(ii).size),
        n_intervals=len(frame),
        n_dropped_missing=n_missing,
        n_dropped_before_first_wave=int(early.sum()),
        n_carried_forward=carried,
        n_missing_value=still,
        wave_times=tuple(float(x) for x in w),
        time_per_month=f,
    )
