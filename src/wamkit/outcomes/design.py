"""Step 3: the numbers to analyse -- numeric columns of the joined rows, the rater x wave splits,
client - professional discrepancies, the officer clusters and the interaction term.

:func:`build_matrix` turns the joined frame into :class:`AnalysisData` (one float array per column,
split labels, keys, cluster codes); :func:`splits` lists the rater x wave subsets every step
(correlations, models) runs on, and :func:`split_columns` gives one subset's arrays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from wamkit.design.read import number_values
from wamkit.design.study import Design
from wamkit.errors import DataError, UsageError
from wamkit.io.cells import text_values
from wamkit.outcomes.join import KEY, Joined
from wamkit.outcomes.spec import AnalysisSpec, bad_value

__all__ = ["AnalysisData", "Split", "build_matrix", "split_columns", "splits"]

CLUSTER = "\x00cluster"


@dataclass(frozen=True)
class Split:
    """One rater x wave subset: its labels (None: not split) and the row positions."""

    rater: str | None
    wave: str | None
    idx: np.ndarray

    @property
    def label(self) -> str:
        parts = [f"{k}={v}" for k, v in (("rater", self.rater), ("wave", self.wave)) if v is not None]
        return ", ".join(parts) if parts else "all rows"


@dataclass(frozen=True)
class AnalysisData:
    """Numeric columns of the joined rows (plus discrepancy pseudo-rater rows), keyed by column name.

    ``outcome[label]`` / ``time[label]`` name the column of each outcome / event time in ``num``;
    ``cluster`` holds officer codes (NaN: missing) and ``cluster_labels`` the officer values.
    """

    num: Mapping[str, np.ndarray]
    keys: np.ndarray
    rater: np.ndarray | None
    wave: np.ndarray | None
    cluster: np.ndarray | None
    predictors: tuple[str, ...]
    discrepancy: tuple[str, ...]
    discrepancy_label: str | None
    rater_order: tuple[str, ...]
    wave_order: tuple[str, ...]
    n_rows: int
    outcome: Mapping[str, str] = field(default_factory=dict)
    time: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def total_rows(self) -> int:
        return len(self.keys)


class _Numbers:
    """Numeric conversion of joined columns, naming the source file's row for a bad value."""

    def __init__(
        self,
        joined: Joined,
        data: pd.DataFrame,
        outcomes: pd.DataFrame,
        sources: tuple[str, str],
        rows: tuple[np.ndarray, np.ndarray],
        decimal_comma: tuple[bool, bool],
    ) -> None:
        self.joined, self.data, self.outcomes = joined, data, outcomes
        self.sources, self.rows, self.decimal_comma = sources, rows, decimal_comma
        self.num: dict[str, np.ndarray] = {}

    def __call__(self, c: str, role: str) -> np.ndarray:
        if c in self.num:
            return self.num[c]
        frame = self.joined.frame
        if c not in frame.columns:
            raise UsageError(f"{role} {c}: no such column in {self.sources[0]} or {self.sources[1]}")
        from_outcomes = c in self.joined.renamed.values() or c not in self.data.columns
        v = number_values(frame[c], self.decimal_comma[1 if from_outcomes else 0])
        if v is None:
            orig = c.removesuffix("_outcomes") if c in self.joined.renamed.values() else c
            src = self.outcomes if from_outcomes else self.data
            k = 1 if from_outcomes else 0
            raise bad_value(src[orig], self.rows[k], self.sources[k], orig, f"is not a number ({role} must be numeric)")
        self.num[c] = v.to_numpy(dtype=float)
        return self.num[c]


def _order(values: np.ndarray | None, first: Sequence[str], design: Design | None) -> tuple[str, ...]:
    if values is None:
        return ()
    present = [v for v in pd.unique(values) if isinstance(v, str)]
    if design is not None:
        return tuple(design.ordered_waves(present))
    return tuple([r for r in first if r in present] + sorted(v for v in present if v not in first))


def _discrepancy(
    num: dict[str, np.ndarray],
    preds: Sequence[str],
    keys: np.ndarray,
    rater: np.ndarray,
    wave: np.ndarray | None,
    order: Sequence[str],
    rater_col: str,
) -> tuple[np.ndarray, list[str], str]:
    """Pseudo-rater rows ``A-B`` per key x wave with ``<p>_diff`` (A - B) and ``<p>_absdiff``; the rows
    carry the first rater's keys, wave, outcomes and covariates. Extends ``num`` in place."""
    if len(order) != 2:
        raise UsageError(
            f"discrepancy needs exactly two rater values in column '{rater_col}', "
            f"found {len(order)}: {', '.join(order[:10])}"
        )
    a_lab, b_lab = order
    n = len(keys)
    wv = wave if wave is not None else np.full(n, "", dtype=object)
    rowkey = pd.Series(keys, dtype=object) + "\x1f" + pd.Series(wv, dtype=object).fillna("")
    ia, ib = np.flatnonzero(rater == a_lab), np.flatnonzero(rater == b_lab)
    for lab, idx in ((a_lab, ia), (b_lab, ib)):
        dup = rowkey.iloc[idx]
        if dup.duplicated().any():
            k = dup[dup.duplicated()].iloc[0].replace("\x1f", " / ")
            raise DataError(
                f"discrepancy: several '{lab}' rows for key/wave {k.strip(' /')}; "
                "the data must hold one row per key, rater and wave"
            )
    pos_b = pd.Index(rowkey.iloc[ib].to_numpy()).get_indexer(rowkey.iloc[ia].to_numpy())
    shared = [p for p in preds if np.isfinite(num[p][ia]).any() and np.isfinite(num[p][ib]).any()]
    if not shared:
        raise DataError(f"discrepancy: no predictor has values for both '{a_lab}' and '{b_lab}'")
    for c in list(num):
        num[c] = np.concatenate([num[c], num[c][ia] if c not in preds else np.full(ia.size, np.nan)])
    extra: list[str] = []
    for p in shared:
        d = num[p][ia] - np.where(pos_b >= 0, num[p][ib[np.maximum(pos_b, 0)]], np.nan)
        for name, vals in ((f"{p}_diff", d), (f"{p}_absdiff", np.abs(d))):
            num[name] = np.concatenate([np.full(n, np.nan), vals])
            extra.append(name)
    return ia, extra, f"{a_lab}-{b_lab}"


def build_matrix(
    spec: AnalysisSpec,
    joined: Joined,
    data: pd.DataFrame,
    outcomes: pd.DataFrame,
    *,
    design: Design | None,
    rater_order: Sequence[str],
    sources: tuple[str, str],
    rows: tuple[np.ndarray, np.ndarray],
    decimal_comma: tuple[bool, bool],
) -> AnalysisData:
    """Numeric arrays of everything the analysis uses (see :class:`AnalysisData`)."""
    frame = joined.frame
    numeric = _Numbers(joined, data, outcomes, sources, rows, decimal_comma)
    outcome = {o: joined.column(spec.columns[o]) for o in spec.outcomes}
    time = {e: joined.column(ev.time) for e, ev in spec.events.items()}
    for c in outcome.values():
        numeric(c, "outcome")
    for c in time.values():
        numeric(c, "event time")
    for c in spec.covariates:
        numeric(c, "covariates")
    for p in spec.predictors:
        numeric(p, "predictors")
    for c in spec.settings.interaction_terms or ():
        if c not in frame.columns:
            raise UsageError(
                f"interaction {spec.settings.interaction}: no column '{c}' in {sources[0]} "
                f"(predictors: {', '.join(spec.predictors)})"
            )
        numeric(c, "interaction")
    num = numeric.num
    keys = frame[KEY].to_numpy(dtype=object)
    rater = text_values(frame[spec.rater]).to_numpy(dtype=object) if spec.rater in frame.columns else None
    wave = text_values(frame[spec.wave]).to_numpy(dtype=object) if spec.wave in frame.columns else None
    order_r = _order(rater, rater_order, None)
    order_w = _order(wave, (), design or Design())
    cl = frame[spec.officer].to_numpy(dtype=object) if spec.officer is not None else None
    n = len(frame)
    extra: list[str] = []
    disc = None
    if spec.settings.discrepancy:
        assert rater is not None and spec.rater is not None
        ia, extra, disc = _discrepancy(num, spec.predictors, keys, rater, wave, order_r, spec.rater)
        keys = np.concatenate([keys, keys[ia]])
        rater = np.concatenate([rater, np.full(ia.size, disc, dtype=object)])
        wave = np.concatenate([wave, wave[ia]]) if wave is not None else None
        cl = np.concatenate([cl, cl[ia]]) if cl is not None else None
        order_r = (*order_r, disc)
    codes = None
    if cl is not None:
        cluster_codes, _ = pd.factorize(text_values(pd.Series(cl, dtype=object).astype("string")))
        codes = np.where(cluster_codes < 0, np.nan, cluster_codes.astype(float))
    return AnalysisData(
        num=num,
        keys=keys,
        rater=rater,
        wave=wave,
        cluster=codes,
        predictors=(*spec.predictors, *extra),
        discrepancy=tuple(extra),
        discrepancy_label=disc,
        rater_order=order_r,
        wave_order=order_w,
        n_rows=n,
        outcome=outcome,
        time=time,
    )


def splits(spec: AnalysisSpec, ad: AnalysisData) -> tuple[list[Split], list[str]]:
    """The rater x wave subsets (in rater and wave order) and warnings about blank labels and
    keys with several rows in one subset (their outcome then counts more than once)."""
    warns: list[str] = []
    r_iter: Sequence[str | None] = ad.rater_order if spec.split_rater else [None]
    w_iter: Sequence[str | None] = ad.wave_order if spec.split_wave else [None]
    out: list[Split] = []
    for r in r_iter:
        for w in w_iter:
            mask = np.ones(ad.total_rows, dtype=bool)
            if r is not None and ad.rater is not None:
                mask &= ad.rater == r
            if w is not None and ad.wave is not None:
                mask &= ad.wave == w
            if mask.any():
                out.append(Split(r, w, np.flatnonzero(mask)))
    for on, vals, col in ((spec.split_rater, ad.rater, spec.rater), (spec.split_wave, ad.wave, spec.wave)):
        if on and vals is not None and pd.isna(vals).any():
            warns.append(f"{int(pd.isna(vals).sum())} rows with a blank '{col}' are left out of the split")
    for s in out:
        k = pd.Series(ad.keys[s.idx])
        dup = k.duplicated()
        if dup.any():
            warns.append(
                f"[{s.label}] {int(k[dup].nunique())} keys have several rows (e.g. {k[dup].iloc[0]!r}), "
                "so their outcome counts more than once; split by rater and wave"
            )
    return out, warns


def split_columns(ad: AnalysisData, split: Split) -> dict[str, np.ndarray]:
    """The arrays of one split (cluster codes under :data:`CLUSTER`)."""
    cols = {c: v[split.idx] for c, v in ad.num.items()}
    if ad.cluster is not None:
        cols[CLUSTER] = ad.cluster[split.idx]
    return cols


def _value(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def split_predictors(ad: AnalysisData, split: Split, cols: Mapping[str, np.ndarray], skipped: list[dict]) -> list[str]:
    """Predictors with a value in the split; the others are listed in ``skipped`` (except the
    structural gaps: raw predictors on discrepancy rows and discrepancies on rater rows)."""
    avail = []
    for p in ad.predictors:
        x = cols.get(p)
        if x is None or not np.isfinite(x).any():
            structural = (
                ad.discrepancy_label is not None
                and split.rater is not None
                and ((split.rater == ad.discrepancy_label) != (p in ad.discrepancy))
            )
            if not structural:
                skipped.append(
                    {"predictor": p, "rater": split.rater, "wave": split.wave, "reason": "no values in this split"}
                )
            continue
        avail.append(p)
    return avail


def split_outcomes(
    spec: AnalysisSpec,
    ad: AnalysisData,
    split: Split,
    cols: Mapping[str, np.ndarray],
    avail: Sequence[str],
    skipped: list[dict],
    warns: list[str],
) -> list[str]:
    """Outcomes that vary among the split's rows with a predictor value (others: a warning, skipped)."""
    any_x = np.zeros(len(split.idx), dtype=bool)
    for p in avail:
        any_x |= np.isfinite(cols[p])
    live = []
    for o in spec.outcomes:
        yv = cols[ad.outcome[o]][any_x]
        yv = yv[np.isfinite(yv)]
        if yv.size and yv.min() == yv.max():
            warns.append(
                f"{o} is {_value(yv[0])} for all {yv.size} rows [{split.label}]: no correlations or models for it here"
            )
            skipped.append(
                {"outcome": o, "rater": split.rater, "wave": split.wave, "reason": "outcome constant in this split"}
            )
        elif yv.size < 3:
            warns.append(f"{o} has {yv.size} value(s) [{split.label}]: no correlations or models for it here")
            skipped.append({"outcome": o, "rater": split.rater, "wave": split.wave, "reason": "too few outcome values"})
        else:
            live.append(o)
    return live
