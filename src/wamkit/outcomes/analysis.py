"""``wamkit outcomes``: alliance scores against outcomes (stagnation, drop-out, re-arrest).

This module orchestrates; it adds nothing numerically. Every statistic comes from
:mod:`wamkit.stats.association` (``cor.test``, ``p.adjust``, ``psych::partial.r``,
``psych::r.test``) and :mod:`wamkit.stats.models` (``glm``, ``MASS::glm.nb``,
``survival::coxph``), all pinned to R; the one model fitted here, ordinary least
squares for continuous outcomes, reproduces ``lm`` (and ``sandwich::vcovCL`` with
a cluster) and is pinned to R in ``tests/test_outcomes.py``.

Two public entry points:

* :func:`analyse_outcomes` -- DataFrames in (scores, outcomes), :class:`OutcomesResult` out.
* :func:`outcomes_from_files` -- the command's read path: read DATA (score it on the
  fly with ``-i``), read OUTCOMES, apply ``--where``, then :func:`analyse_outcomes`.

Join policy
-----------
Keys (``on``) are compared as trimmed text in both files. OUTCOMES must hold at
most one row per key (duplicates are an error naming them); DATA may hold
several (rater x wave rows). Rows on either side without a partner are counted and
reported (``join``) and a warning is recorded; no joined row at all is an error.
A non-key column present in both files is kept once (DATA's) when the two agree
on every joined row (compared as text); otherwise DATA's keeps the name and the
OUTCOMES version is added as ``<column>_outcomes``, and outcome/event/time names
refer to the OUTCOMES version.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from wamkit.errors import DataError, UsageError
from wamkit.results import to_jsonable

__all__ = ["OutcomesResult", "analyse_outcomes", "outcomes_from_files", "parse_outcome_specs",
           "parse_event_specs", "CORRELATION_COLUMNS", "PARTIAL_COLUMNS", "MODEL_COLUMNS",
           "WAVE_COLUMNS", "TIDY_COLUMNS"]

OUTCOME_TYPES = ("binary", "count", "continuous")
#: models fitted per outcome type
MODELS_FOR = {"binary": ("logistic",), "count": ("poisson", "negative_binomial"),
              "continuous": ("ols",), "event": ("cox",)}
ESTIMATE_NAME = {"logistic": "OR", "poisson": "RR", "negative_binomial": "RR", "cox": "HR", "ols": "b"}

CORRELATION_COLUMNS = ("predictor", "outcome", "rater", "wave", "method", "r", "ci_low", "ci_high", "p",
                       "p_adj", "n", "statistic", "p_method")
PARTIAL_COLUMNS = ("predictor", "outcome", "rater", "wave", "covariates", "r", "ci_low", "ci_high", "p",
                   "p_adj", "n", "df", "t")
MODEL_COLUMNS = ("outcome", "model", "term", "estimate", "ci_low", "ci_high", "p", "p_adj", "n", "events",
                 "rater", "wave", "predictor", "role", "coef", "se", "statistic", "covariates",
                 "cov_type", "n_clusters", "per_sd", "dispersion", "theta", "converged")
WAVE_COLUMNS = ("predictor", "outcome", "rater", "wave_a", "wave_b", "r_t0", "r_t1", "r_waves",
                "statistic", "df", "p", "p_adj", "n", "test")
TIDY_COLUMNS = ("section", "predictor", "outcome", "rater", "wave", "statistic", "model", "term",
                "estimate", "ci_low", "ci_high", "p", "p_adj", "n", "events")


# --------------------------------------------------------------------------- result
@dataclass(frozen=True)
class OutcomesResult:
    """Everything ``wamkit outcomes`` reports.

    Attributes
    ----------
    n : int
        Joined DATA rows analysed (after ``--where``; discrepancy rows not counted).
    n_keys : int
        Distinct keys among the joined rows.
    settings : dict
        The analysis settings (predictors, outcome types, splits, covariates, ...).
    join : dict
        Join report: rows joined / not joined in both directions, example keys,
        how shared columns were handled.
    correlations : pandas.DataFrame
        Columns :data:`CORRELATION_COLUMNS`; one row per predictor x outcome x
        rater x wave x method (``pearson``, ``spearman``). ``r``, ``ci_low``,
        ``ci_high``, ``p``, ``n``: :func:`wamkit.stats.association.correlate`
        (= ``cor.test``) on the split's pairwise-complete rows; ``p_adj``:
        :func:`~wamkit.stats.association.adjust_p` over all rows of the same method.
    partial_correlations : pandas.DataFrame
        Columns :data:`PARTIAL_COLUMNS` (empty without covariates):
        ``psych::partial.r`` with ``corr.p(r, n - k)`` p value and Fisher-z CI
        (``tanh(atanh r +- z / sqrt(n - k - 3))``).
    models : pandas.DataFrame
        Columns :data:`MODEL_COLUMNS`, one row per non-intercept term.
        ``estimate`` = OR (logistic), RR (Poisson / negative binomial), HR (Cox) or
        the raw coefficient b (OLS); ``predictor`` names the focal predictor of the
        model (``"joint"`` with ``joint=True``, ``"A:B"`` for the interaction
        model); ``role`` is ``predictor``, ``covariate`` or ``interaction``;
        ``p_adj`` adjusts the predictor and interaction terms within each model type.
    wave_comparisons : pandas.DataFrame
        Columns :data:`WAVE_COLUMNS`: Williams' t (``psych::r.test(n, r12, r13,
        r23)``) of r(outcome, x at wave_a) = r(outcome, x at wave_b) on the keys
        with both waves (listwise), ``r_t0``/``r_t1`` the two correlations on those
        keys and ``r_waves`` their correlation across waves.
    skipped : tuple of dict
        Predictor x split combinations without any value (e.g. reactance on the
        professional's rows), listed rather than dropped silently.
    warnings : tuple of str
        Human-readable problems (unjoined rows, constant predictors or outcomes,
        too few events, separation, non-convergence, overdispersion, ...).
    """

    n: int
    n_keys: int
    settings: dict
    join: dict
    correlations: pd.DataFrame
    partial_correlations: pd.DataFrame
    models: pd.DataFrame
    wave_comparisons: pd.DataFrame
    skipped: tuple = ()
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """JSON-safe dict with the stable keys ``n``, ``settings``, ``correlations``,
        ``partial_correlations``, ``models``, ``wave_comparisons`` (+ ``n_keys``,
        ``join``, ``skipped``, ``warnings``)."""
        return to_jsonable({
            "n": self.n, "n_keys": self.n_keys, "settings": self.settings, "join": self.join,
            "correlations": self.correlations, "partial_correlations": self.partial_correlations,
            "models": self.models, "wave_comparisons": self.wave_comparisons,
            "skipped": list(self.skipped), "warnings": list(self.warnings),
        })

    def tidy(self) -> pd.DataFrame:
        """One long table (columns :data:`TIDY_COLUMNS`): one row per predictor x
        outcome x rater x wave x statistic. ``section`` is ``correlation``,
        ``partial_correlation``, ``model`` or ``wave_comparison``; ``statistic`` is
        the correlation method, ``partial_r``, the estimate's name (OR, RR, HR, b) or
        ``williams_t`` (then ``estimate`` is t and ``wave`` reads ``T0-T1``)."""
        parts = []
        c = self.correlations
        if len(c):
            parts.append(pd.DataFrame({
                "section": "correlation", "predictor": c["predictor"], "outcome": c["outcome"],
                "rater": c["rater"], "wave": c["wave"], "statistic": c["method"], "model": None,
                "term": None, "estimate": c["r"], "ci_low": c["ci_low"], "ci_high": c["ci_high"],
                "p": c["p"], "p_adj": c["p_adj"], "n": c["n"], "events": np.nan}))
        c = self.partial_correlations
        if len(c):
            parts.append(pd.DataFrame({
                "section": "partial_correlation", "predictor": c["predictor"], "outcome": c["outcome"],
                "rater": c["rater"], "wave": c["wave"], "statistic": "partial_r",
                "model": None, "term": c["covariates"].map(lambda v: "|".join(v)),
                "estimate": c["r"], "ci_low": c["ci_low"], "ci_high": c["ci_high"], "p": c["p"],
                "p_adj": c["p_adj"], "n": c["n"], "events": np.nan}))
        c = self.models
        if len(c):
            parts.append(pd.DataFrame({
                "section": "model", "predictor": c["predictor"], "outcome": c["outcome"],
                "rater": c["rater"], "wave": c["wave"], "statistic": c["model"].map(ESTIMATE_NAME),
                "model": c["model"], "term": c["term"], "estimate": c["estimate"],
                "ci_low": c["ci_low"], "ci_high": c["ci_high"], "p": c["p"], "p_adj": c["p_adj"],
                "n": c["n"], "events": c["events"]}))
        c = self.wave_comparisons
        if len(c):
            parts.append(pd.DataFrame({
                "section": "wave_comparison", "predictor": c["predictor"], "outcome": c["outcome"],
                "rater": c["rater"], "wave": c["wave_a"] + "-" + c["wave_b"], "statistic": c["test"],
                "model": None, "term": None, "estimate": c["statistic"], "ci_low": np.nan,
                "ci_high": np.nan, "p": c["p"], "p_adj": c["p_adj"], "n": c["n"], "events": np.nan}))
        if not parts:
            return pd.DataFrame({k: [] for k in TIDY_COLUMNS})
        out = pd.concat(parts, ignore_index=True)
        return out.loc[:, list(TIDY_COLUMNS)]


# --------------------------------------------------------------------------- spec parsing
def parse_outcome_specs(specs: Sequence[str]) -> list[tuple[str, str | None]]:
    """``NAME`` or ``NAME:binary|count|continuous`` -> [(name, type or None)]."""
    out = []
    for s in specs or ():
        name, sep, kind = str(s).partition(":")
        name, kind = name.strip(), kind.strip().lower()
        if not name:
            raise UsageError(f"--outcome expects NAME or NAME:TYPE, got '{s}'")
        if sep and kind not in OUTCOME_TYPES:
            raise UsageError(f"--outcome {s}: unknown type '{kind}' (use binary, count or continuous; "
                             "for time to event use --event NAME:TIME_COLUMN)")
        if name in [o for o, _ in out]:
            raise UsageError(f"--outcome {name} is given twice")
        out.append((name, kind or None))
    return out


def parse_event_specs(specs: Sequence[str]) -> list[tuple[str, str]]:
    """``NAME:TIME_COLUMN`` -> [(event column, time column)]."""
    out = []
    for s in specs or ():
        name, sep, time = str(s).partition(":")
        name, time = name.strip(), time.strip()
        if not name:
            raise UsageError(f"--event expects NAME:TIME_COLUMN, got '{s}'")
        if not sep or not time:
            raise UsageError(f"--event {name} has no time column: use --event {name}:TIME_COLUMN "
                             "(e.g. --event rearrest:days_to_rearrest)")
        if name in [e for e, _ in out]:
            raise UsageError(f"--event {name} is given twice")
        out.append((name, time))
    return out


# --------------------------------------------------------------------------- text / numbers
def _text(col: pd.Series) -> pd.Series:
    """Column as trimmed text (numbers without a spurious '.0'); blanks -> NA."""
    if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
        a = col.astype("Float64")
        isint = (a.round() == a).fillna(False)
        s = a.astype("string")
        s = s.where(~isint, a.round().astype("Int64").astype("string"))
    else:
        s = col.astype("string")
    s = s.str.strip()
    return s.mask(s == "")


def _to_number(col: pd.Series, decimal_comma: bool = False) -> pd.Series | None:
    """Float version of a column when every non-blank cell is a number, else None."""
    if pd.api.types.is_bool_dtype(col.dtype):
        return col.astype("Float64").astype(float)
    if pd.api.types.is_numeric_dtype(col.dtype):
        return pd.Series(col.astype("Float64").to_numpy(dtype=float, na_value=np.nan), index=col.index)
    s = col.astype("string").str.strip()
    s = s.mask(s == "")
    if s.isna().all():
        return pd.Series(np.full(len(col), np.nan), index=col.index)
    if decimal_comma:
        s = s.str.replace(",", ".", regex=False)
    num = pd.to_numeric(s, errors="coerce")
    if bool((num.isna() & s.notna()).any()):
        return None
    return pd.Series(np.asarray(num, dtype=float), index=col.index)


def _first_bad(col: pd.Series, source: str, name: str, what: str, ok=None) -> DataError:
    """DataError naming the first row whose value is not a number (or fails ``ok``)."""
    s = col.astype("string").str.strip()
    s = s.mask(s == "")
    num = pd.to_numeric(s.str.replace(",", ".", regex=False), errors="coerce")
    if ok is None:
        bad = np.flatnonzero((num.isna() & s.notna()).to_numpy(dtype=bool, na_value=False))
    else:
        bad = np.flatnonzero(~np.asarray(ok, dtype=bool))
    i = int(bad[0]) if bad.size else 0
    raw = col.iloc[i]
    raw = raw.item() if hasattr(raw, "item") else raw
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    shown = repr(raw)
    if isinstance(raw, str):
        try:
            float(raw.strip().replace(",", "."))
            shown = raw.strip()            # a number written as text: show it as a number
        except ValueError:
            pass
    return DataError(f"{source}, row {_rowno(col.index, i)}, column {name}: value {shown} {what}"
                     + (f" ({bad.size} rows)" if bad.size > 1 else ""))


def _rowno(index: pd.Index, pos: int) -> int:
    """1-based data row in the file of position ``pos`` (frames filtered with --where keep
    their original integer index)."""
    label = index[pos]
    return int(label) + 1 if isinstance(label, (int, np.integer)) else pos + 1


def _ctx(rater, wave) -> str:
    parts = []
    if rater is not None:
        parts.append(f"rater={rater}")
    if wave is not None:
        parts.append(f"wave={wave}")
    return ", ".join(parts) if parts else "all rows"


# --------------------------------------------------------------------------- join
def _join(data: pd.DataFrame, outcomes: pd.DataFrame, on: list[str], data_source: str,
          outcomes_source: str, keep_outcome_cols: set[str]) -> tuple[pd.DataFrame, dict, list[str], dict]:
    for c in on:
        if c not in data.columns:
            raise UsageError(f"--on {c}: {data_source} has no column '{c}' "
                             f"(columns: {', '.join(map(str, data.columns[:15]))})")
        if c not in outcomes.columns:
            raise UsageError(f"--on {c}: {outcomes_source} has no column '{c}' "
                             f"(columns: {', '.join(map(str, outcomes.columns[:15]))})")

    def keystr(frame):
        cols = [_text(frame[c]) for c in on]
        k = cols[0]
        if len(cols) > 1:
            k = k.str.cat(cols[1:], sep=" / ")
        return k.reset_index(drop=True)

    dk = keystr(data)
    ok_ = keystr(outcomes)
    dup = ok_.duplicated(keep=False) & ok_.notna()
    if dup.any():
        keys = list(dict.fromkeys(ok_[dup].tolist()))
        rows = {k: [_rowno(outcomes.index, int(i)) for i in np.flatnonzero((ok_ == k).to_numpy(dtype=bool))]
                for k in keys[:5]}
        shown = "; ".join(f"'{k}' (rows {', '.join(map(str, r))})" for k, r in rows.items())
        raise DataError(f"{outcomes_source}: duplicate key(s) on {', '.join(on)}: {shown}"
                        + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")
                        + "; the outcomes file must hold one row per key")
    o_valid = ok_.notna().to_numpy()
    index = pd.Index(ok_[o_valid].to_numpy(dtype=object))
    pos_valid = np.flatnonzero(o_valid)
    dkv = dk.to_numpy(dtype=object)
    d_missing = dk.isna().to_numpy()
    hit = index.get_indexer(np.where(d_missing, "\x00<missing>", dkv))
    joined = hit >= 0
    n_joined = int(joined.sum())
    d_keys_unjoined = list(dict.fromkeys(dk[~joined & ~d_missing].tolist()))
    matched_keys = set(dk[joined].tolist())
    o_unjoined_mask = o_valid & ~ok_.isin(matched_keys).to_numpy()
    o_keys_unjoined = ok_[o_unjoined_mask].tolist()
    if n_joined == 0:
        raise DataError(
            f"no row of {data_source} matches a key of {outcomes_source} on {', '.join(on)} "
            f"({data_source} keys e.g. {', '.join(repr(k) for k in dk.dropna().unique()[:3])}; "
            f"{outcomes_source} keys e.g. {', '.join(repr(k) for k in ok_.dropna().unique()[:3])})")
    rows_d = np.flatnonzero(joined)
    rows_o = pos_valid[hit[joined]]
    left = data.iloc[rows_d].reset_index(drop=True)
    right = outcomes.iloc[rows_o].reset_index(drop=True)
    shared = {}
    rename = {}
    for c in outcomes.columns:
        if c in on:
            continue
        if c in left.columns:
            na, nb = _to_number(left[c]), _to_number(right[c])
            if na is not None and nb is not None:      # numbers: compare as numbers
                a, b = na.to_numpy(dtype=float), nb.to_numpy(dtype=float)
                same = bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))
            else:
                a, b = _text(left[c]), _text(right[c])
                same = bool(((a == b).fillna(False) | (a.isna() & b.isna())).all())
            if same:
                shared[c] = "identical in both files: kept once"
                if c in keep_outcome_cols:      # an outcome: use the outcomes file's parse
                    left[c] = right[c]
            else:
                new = f"{c}_outcomes"
                shared[c] = f"differs between the files: {data_source}'s kept as '{c}', {outcomes_source}'s as '{new}'"
                left[new] = right[c]
                rename[c] = new
        else:
            left[c] = right[c]
    warns = []
    n_dmiss = int(d_missing.sum())
    if len(dk) - n_joined:
        warns.append(f"{len(dk) - n_joined} of {len(dk)} rows of {data_source} have no match in "
                     f"{outcomes_source} and are left out"
                     + (f" ({n_dmiss} with a blank key)" if n_dmiss else "")
                     + (f"; keys e.g. {', '.join(map(repr, d_keys_unjoined[:5]))}" if d_keys_unjoined else ""))
    if o_keys_unjoined:
        warns.append(f"{len(o_keys_unjoined)} of {len(ok_)} rows of {outcomes_source} have no match in "
                     f"{data_source}; keys e.g. {', '.join(map(repr, o_keys_unjoined[:5]))}")
    if (~o_valid).any():
        warns.append(f"{int((~o_valid).sum())} rows of {outcomes_source} have a blank key and are left out")
    report = {
        "on": list(on),
        "data_rows": int(len(dk)), "data_rows_joined": n_joined, "data_rows_not_joined": int(len(dk) - n_joined),
        "data_rows_blank_key": n_dmiss,
        "data_keys_not_joined": d_keys_unjoined[:20],
        "outcome_rows": int(len(ok_)), "outcome_rows_joined": int(len(ok_) - len(o_keys_unjoined) - int((~o_valid).sum())),
        "outcome_rows_not_joined": int(len(o_keys_unjoined) + int((~o_valid).sum())),
        "outcome_rows_blank_key": int((~o_valid).sum()),
        "outcome_keys_not_joined": o_keys_unjoined[:20],
        "keys_joined": int(len(matched_keys)),
        "shared_columns": shared,
    }
    left["\x00key"] = dk[joined].to_numpy(dtype=object)
    left["\x00orow"] = rows_o
    return left, report, warns, rename


# --------------------------------------------------------------------------- OLS
def _ols(df: pd.DataFrame, outcome: str, predictors: Sequence[str], *, cluster: str | None,
         per_sd: bool, ci_level: float) -> dict:
    """Ordinary least squares as R ``lm(y ~ x)`` (``summary``: t on n - k df; ``confint``).

    With ``cluster``: ``sandwich::vcovCL(fit, cluster = ~g)`` with its ``lm``
    defaults (``type = "HC1"``, ``cadjust = TRUE``):
    ``V = G/(G-1) (n-1)/(n-k) (X'X)^-1 [sum_g s_g s_g'] (X'X)^-1``, ``s_g = sum x_i e_i``;
    t and p then use that V on n - k df (``lmtest::coeftest(fit, vcov = V)``).
    Returns a dict shaped like :class:`wamkit.stats.models.ModelResult`'s fields used here.
    """
    from scipy import special

    cols = [outcome, *predictors]
    arr = np.column_stack([df[c].to_numpy(dtype=float) for c in cols])
    ok = np.isfinite(arr).all(axis=1)
    if cluster is not None:
        g_raw = df[cluster].to_numpy()
        ok &= pd.notna(g_raw)
    y = arr[ok, 0]
    X = arr[ok, 1:]
    n, p = X.shape
    if n < p + 3:
        raise DataError(f"too few complete rows for {p} predictor(s): {n}")
    sd = X.std(axis=0, ddof=1)
    const = [c for c, s in zip(predictors, sd) if not s > 0]
    if const:
        raise DataError(f"predictor(s) constant over the {n} complete rows: {', '.join(const)}")
    if np.std(y) == 0:
        raise DataError(f"outcome {outcome!r} is constant over the {n} complete rows")
    if per_sd:
        X = (X - X.mean(axis=0)) / sd
    Xd = np.column_stack([np.ones(n), X])
    scale = np.sqrt((Xd * Xd).sum(axis=0))
    s = np.linalg.svd(Xd / scale, compute_uv=False)
    if s[-1] <= s[0] * 1e-7:
        raise DataError("predictors are collinear (design matrix is singular): " + ", ".join(predictors))
    B = np.linalg.inv(Xd.T @ Xd)
    beta = B @ (Xd.T @ y)
    e = y - Xd @ beta
    k = p + 1
    dfr = n - k
    V = B * float(e @ e) / dfr
    cov_type, G = "model", None
    warns = []
    if cluster is not None:
        codes, uniq = pd.factorize(g_raw[ok])
        G = len(uniq)
        if G < 2:
            raise DataError(f"cluster-robust standard errors need at least 2 clusters, got {G}")
        S = np.zeros((G, k))
        np.add.at(S, codes, Xd * e[:, None])
        V = G / (G - 1) * (n - 1) / (n - k) * B @ (S.T @ S) @ B
        cov_type = "cluster"
        if G < 30:
            warns.append(f"only {G} clusters: cluster-robust standard errors may be too small")
    se = np.sqrt(np.diag(V))
    t = beta / se
    q = special.stdtrit(dfr, (1 + ci_level) / 2)
    tab = pd.DataFrame({"term": ["(Intercept)", *predictors], "coef": beta, "se": se, "estimate": beta,
                        "ci_low": beta - q * se, "ci_high": beta + q * se, "z": t,
                        "p": 2 * special.stdtr(dfr, -np.abs(t)), "n": n, "events": np.nan})
    return {"table": tab, "n": n, "events": math.nan, "dispersion": math.nan, "theta": math.nan,
            "converged": True, "cov_type": cov_type, "n_clusters": G, "warnings": tuple(warns),
            "df_resid": dfr, "sigma": math.sqrt(float(e @ e) / dfr)}


# --------------------------------------------------------------------------- main
def analyse_outcomes(data: pd.DataFrame, outcomes: pd.DataFrame, *, on: Sequence[str],
                     predictors: Sequence[str] | None = None, outcome: Sequence[str] = (),
                     event: Sequence[str] = (), by: Sequence[str] = (), rater_column: str | None = None,
                     wave_column: str = "wave", covariates: Sequence[str] = (), cluster: str | None = None,
                     adjust: str = "holm", joint: bool = False, interaction: str | None = None,
                     discrepancy: bool = False, per_sd: bool = False, ci_level: float = 0.95,
                     rater_order: Sequence[str] | None = None, default_predictors: Sequence[str] | None = None,
                     totals: Sequence[str] = (),
                     exclude_outcomes: Sequence[str] = (), data_source: str = "data",
                     outcomes_source: str = "outcomes", decimal_comma: bool = False) -> OutcomesResult:
    """Relate alliance scores to outcomes: correlations, partial correlations, models, wave comparison.

    Parameters
    ----------
    data : pandas.DataFrame
        Scores (one row per key, or per key x rater x wave), e.g. ``wamkit score`` output.
    outcomes : pandas.DataFrame
        One row per key with the outcome columns (may be the same frame as ``data``).
    on : sequence of str
        Key column(s), compared as text.
    predictors : sequence of str, optional
        Predictor columns of ``data``. Default: every numeric ``data`` column that is
        not a key, split, cluster, covariate or outcome column and not only in ``outcomes``.
    outcome : sequence of str
        ``NAME`` or ``NAME:binary|count|continuous``. Undeclared types are inferred:
        only 0/1 -> binary, non-negative whole numbers -> count, else continuous.
        Default: every numeric ``outcomes`` column not used otherwise.
    event : sequence of str
        ``EVENT:TIME`` pairs for Cox models (event 0/1, time >= 0).
    by : sequence of {"rater", "wave"}
        Split every analysis by rater perspective and/or wave.
    rater_column : str, optional
        Column holding the rater (default ``"rater"``); needed for ``by=["rater"]``
        and ``discrepancy``.
    wave_column : str
        Column holding the wave (default ``"wave"``).
    covariates : sequence of str
        Numeric columns partialled out of the correlations and added to every model.
    cluster : str, optional
        Cluster column (e.g. officer) for cluster-robust model standard errors.
    adjust : {"holm", "fdr_bh", "bonferroni", "none"}
        p-value adjustment (R ``p.adjust``), applied per family: all Pearson
        correlations, all Spearman correlations, all partial correlations, the
        predictor terms of each model type, all wave comparisons.
    joint : bool
        One model with all predictors (default: one model per predictor). Without
        explicit ``predictors`` the totals (``totals``) are left out of the joint
        model (they are linear combinations of the subscales).
    interaction : str, optional
        ``"A:B"``: adds a model (or, with ``joint``, a term) with the product of the
        mean-centred A and B (centred on the rows where both are observed).
    discrepancy : bool
        Add ``<s>_diff`` (first minus second rater) and ``<s>_absdiff`` for every
        predictor both raters have, per key x wave, as a pseudo-rater ``A-B``.
    per_sd : bool
        z-score predictors (and covariates) in the models (coefficients per SD).
    ci_level : float
    rater_order : sequence of str, optional
        Order of the rater values (the first minus the second for discrepancies).
    default_predictors : sequence of str, optional
        The predictors when ``predictors`` is not given (e.g. the instruments' score
        ids); otherwise every numeric score column (see ``predictors``).
    totals : sequence of str
        Predictors that are totals (left out of the default joint model).
    exclude_outcomes : sequence of str
        Columns never used as default outcomes (e.g. item columns).
    data_source, outcomes_source : str
        File names for messages.

    Returns
    -------
    OutcomesResult
    """
    from wamkit.stats.association import adjust_p

    if not 0 < ci_level < 1:
        raise UsageError(f"ci_level must be between 0 and 1, got {ci_level!r}")
    adjust = str(adjust).lower()
    if adjust not in ("holm", "fdr_bh", "bonferroni", "none", "bh", "fdr"):
        raise UsageError(f"--adjust must be holm, fdr_bh, bonferroni or none, not '{adjust}'")
    on = [on] if isinstance(on, str) else list(on)
    if not on:
        raise UsageError("give the key column(s) to join on with --on")
    out_specs = parse_outcome_specs(outcome)
    ev_specs = parse_event_specs(event)
    by = list(dict.fromkeys(by or ()))
    for b in by:
        if b not in ("rater", "wave"):
            raise UsageError(f"--by must be 'rater' or 'wave', not '{b}'")
    rater_col = rater_column or "rater"
    covariates = list(dict.fromkeys(covariates or ()))
    warns: list[str] = []

    outcome_names = [o for o, _ in out_specs] + [e for e, _ in ev_specs] + [t for _, t in ev_specs]
    joined, join_report, jw, renamed = _join(data, outcomes, on, data_source, outcomes_source,
                                             set(outcome_names))
    warns += jw

    def oname(c):          # outcome/event/time columns refer to the OUTCOMES version
        return renamed.get(c, c)

    special = set(on) | {cluster, "\x00key", "\x00orow"} | set(covariates)
    if "rater" in by or discrepancy:
        special.add(rater_col)
    if "wave" in by or wave_column in joined.columns:
        special.add(wave_column)
    for col, what in [(rater_col, "--by rater" if "rater" in by else None),
                      (rater_col, "--discrepancy" if discrepancy else None),
                      (wave_column, "--by wave" if "wave" in by else None)]:
        if what and col not in joined.columns:
            raise UsageError(f"{what}: no column '{col}' in {data_source} (name it with "
                             f"{'--rater' if col == rater_col else '--wave-column'} COLUMN)")
    if cluster is not None and cluster not in joined.columns:
        raise UsageError(f"--cluster {cluster}: no such column in {data_source} or {outcomes_source}")

    # ---- numeric columns
    num: dict[str, np.ndarray] = {}

    def numeric(c: str, source: str, role: str) -> np.ndarray:
        if c in num:
            return num[c]
        if c not in joined.columns:
            raise UsageError(f"{role} {c}: no such column in {data_source} or {outcomes_source}")
        v = _to_number(joined[c], decimal_comma)
        if v is None:
            frame = outcomes if c in outcomes.columns and source == "outcomes" else data
            src = outcomes_source if frame is outcomes else data_source
            orig = c if c in frame.columns else c.removesuffix("_outcomes")
            raise _first_bad(frame[orig], src, orig, f"is not a number ({role} must be numeric)")
        num[c] = v.to_numpy(dtype=float)
        return num[c]

    # ---- outcomes: types and validation (on the whole OUTCOMES file, rows as in the file)
    if not out_specs and not ev_specs:
        used = special | set(predictors or ()) | set(exclude_outcomes)
        for c in outcomes.columns:
            if c in used or c in on or c in data.columns and c not in renamed:
                continue
            if _to_number(outcomes[c], decimal_comma) is not None and outcomes[c].notna().any():
                out_specs.append((c, None))
        if not out_specs:
            raise UsageError(f"no numeric outcome columns found in {outcomes_source}; name them with --outcome")
    types: dict[str, str] = {}
    for name, declared in out_specs:
        if name not in outcomes.columns:
            raise UsageError(f"--outcome {name}: {outcomes_source} has no column '{name}' "
                             f"(columns: {', '.join(map(str, outcomes.columns[:15]))})")
        v = _to_number(outcomes[name], decimal_comma)
        if v is None:
            raise _first_bad(outcomes[name], outcomes_source, name, "is not a number (outcomes must be numeric)")
        a = v.to_numpy(dtype=float)
        fin = np.isfinite(a)
        if not fin.any():
            raise DataError(f"{outcomes_source}, column {name}: the outcome has no values")
        is01 = np.isin(a, (0.0, 1.0)) | ~fin
        iscount = ((a >= 0) & (a == np.round(a))) | ~fin
        if declared == "binary" and not is01.all():
            raise _first_bad(outcomes[name], outcomes_source, name,
                             "is not 0 or 1 (declared binary)", ok=is01)
        if declared == "count" and not iscount.all():
            raise _first_bad(outcomes[name], outcomes_source, name,
                             "is not a non-negative whole number (declared count)", ok=iscount)
        types[name] = declared or ("binary" if is01.all() else "count" if iscount.all() else "continuous")
    for ev, tm in ev_specs:
        for c, role in ((ev, "--event"), (tm, "--event time")):
            if c not in outcomes.columns:
                raise UsageError(f"{role} {c}: {outcomes_source} has no column '{c}' "
                                 f"(columns: {', '.join(map(str, outcomes.columns[:15]))})")
        e = _to_number(outcomes[ev], decimal_comma)
        if e is None:
            raise _first_bad(outcomes[ev], outcomes_source, ev, "is not a number (events must be 0/1)")
        ea = e.to_numpy(dtype=float)
        ok01 = np.isin(ea, (0.0, 1.0)) | np.isnan(ea)
        if not ok01.all():
            raise _first_bad(outcomes[ev], outcomes_source, ev, "is not 0 or 1 (event indicator)", ok=ok01)
        t = _to_number(outcomes[tm], decimal_comma)
        if t is None:
            raise _first_bad(outcomes[tm], outcomes_source, tm, "is not a number (event times must be numeric)")
        ta = t.to_numpy(dtype=float)
        okt = ~(ta < 0)
        if not okt.all():
            raise _first_bad(outcomes[tm], outcomes_source, tm, "is negative (event times must be >= 0)", ok=okt)
        okt = ~(np.isnan(ta) & (ea == 1))
        if not okt.all():
            warns.append(f"{outcomes_source}, column {tm}: {int((~okt).sum())} events without a time "
                         "are left out of the Cox models")
        types.setdefault(ev, "binary")
    # outcome order: declared outcomes, then events
    outcome_list = list(dict.fromkeys([o for o, _ in out_specs] + [e for e, _ in ev_specs]))
    for o in outcome_list:
        numeric(oname(o), "outcomes", "outcome")
    for _, tm in ev_specs:
        numeric(oname(tm), "outcomes", "event time")
    for c in covariates:
        if c in outcome_list:
            raise UsageError(f"{c} is both an outcome and a covariate")
        numeric(c, "data" if c in data.columns else "outcomes", "--covariate")

    # ---- predictors
    chosen = predictors or default_predictors
    if chosen:
        preds = list(dict.fromkeys(chosen))
        for p in preds:
            if p not in joined.columns:
                raise UsageError(f"--predictor {p}: {data_source} has no column '{p}' "
                                 f"(columns: {', '.join(map(str, data.columns[:15]))})")
            if p in outcome_list or p in covariates:
                raise UsageError(f"{p} is both a predictor and an outcome or covariate")
    else:
        excluded = special | set(outcome_list) | {t for _, t in ev_specs} | set(exclude_outcomes)
        preds = [c for c in data.columns if c not in excluded and c not in renamed
                 and (c not in outcomes.columns or c in on) and c not in on
                 and _to_number(data[c], decimal_comma) is not None and data[c].notna().any()]
        if not preds:
            raise UsageError(f"no numeric predictor columns found in {data_source}; name them with --predictor")
    for p in preds:
        numeric(p, "data", "--predictor")
    n_rows = len(joined)

    # ---- split labels
    rater_vals = _text(joined[rater_col]).to_numpy(dtype=object) if rater_col in joined.columns else None
    wave_vals = _text(joined[wave_column]).to_numpy(dtype=object) if wave_column in joined.columns else None
    order_r: list = []
    if rater_vals is not None:
        present = [v for v in pd.unique(rater_vals) if isinstance(v, str)]
        order_r = [r for r in (rater_order or []) if r in present] + sorted(
            v for v in present if v not in (rater_order or []))
    order_w = sorted(v for v in pd.unique(wave_vals) if isinstance(v, str)) if wave_vals is not None else []

    # ---- discrepancy rows (pseudo-rater "A-B", per key x wave)
    keys = joined["\x00key"].to_numpy(dtype=object)
    extra_preds: list[str] = []
    if discrepancy:
        if len(order_r) != 2:
            raise UsageError(f"--discrepancy needs exactly two rater values in column '{rater_col}', "
                             f"found {len(order_r)}: {', '.join(order_r[:10])}")
        a_lab, b_lab = order_r
        wv = wave_vals if wave_vals is not None else np.full(n_rows, "", dtype=object)
        rowkey = pd.Series(keys, dtype=object) + "\x1f" + pd.Series(wv, dtype=object).fillna("")
        ia = np.flatnonzero(rater_vals == a_lab)
        ib = np.flatnonzero(rater_vals == b_lab)
        for lab, idx in ((a_lab, ia), (b_lab, ib)):
            d = rowkey.iloc[idx]
            if d.duplicated().any():
                k = d[d.duplicated()].iloc[0].replace("\x1f", " / ")
                raise DataError(f"--discrepancy: several '{lab}' rows for key/wave {k.strip(' /')}; "
                                "the data must hold one row per key, rater and wave")
        pos_b = pd.Index(rowkey.iloc[ib].to_numpy()).get_indexer(rowkey.iloc[ia].to_numpy())
        shared = []
        for p in preds:
            x = num[p]
            if np.isfinite(x[ia]).any() and np.isfinite(x[ib]).any():
                shared.append(p)
        if not shared:
            raise DataError(f"--discrepancy: no predictor has values for both '{a_lab}' and '{b_lab}'")
        disc_lab = f"{a_lab}-{b_lab}"
        m = ia.size
        # template rows: the first rater's rows (carry keys, wave, outcomes, covariates, cluster)
        for c in list(num):
            base = num[c][ia]
            num[c] = np.concatenate([num[c], base if c not in preds else np.full(m, np.nan)])
        for p in shared:
            xa = num[p][ia]
            xb = np.where(pos_b >= 0, num[p][ib[np.maximum(pos_b, 0)]], np.nan)
            d = xa - xb
            for name, vals in ((f"{p}_diff", d), (f"{p}_absdiff", np.abs(d))):
                num[name] = np.concatenate([np.full(n_rows, np.nan), vals])
                extra_preds.append(name)
        keys = np.concatenate([keys, keys[ia]])
        rater_vals = np.concatenate([rater_vals, np.full(m, disc_lab, dtype=object)])
        if wave_vals is not None:
            wave_vals = np.concatenate([wave_vals, wave_vals[ia]])
        cl_base = joined[cluster].to_numpy(dtype=object) if cluster is not None else None
        cluster_vals = np.concatenate([cl_base, cl_base[ia]]) if cluster is not None else None
        order_r = order_r + [disc_lab]
    else:
        cluster_vals = joined[cluster].to_numpy(dtype=object) if cluster is not None else None
    all_preds = preds + extra_preds
    total_rows = len(keys)
    cluster_codes = None
    if cluster is not None:
        cv = pd.Series(cluster_vals, dtype=object)
        codes, _ = pd.factorize(_text(cv.astype("string")))
        cluster_codes = np.where(codes < 0, np.nan, codes.astype(float))

    # ---- interaction
    inter = None
    if interaction:
        a, sep, b = str(interaction).partition(":")
        a, b = a.strip(), b.strip()
        if not sep or not a or not b or a == b:
            raise UsageError(f"--interaction expects A:B with two different predictors, got '{interaction}'")
        for c in (a, b):
            if c not in num and c not in joined.columns:
                raise UsageError(f"--interaction {interaction}: no column '{c}' in {data_source} "
                                 f"(predictors: {', '.join(all_preds)})")
            if c not in num:
                numeric(c, "data", "--interaction")
                if discrepancy:      # the pseudo-rater rows carry the first rater's values
                    num[c] = np.concatenate([num[c], num[c][ia]])
        inter = (a, b)

    # ---- splits
    rsplit = "rater" in by
    wsplit = "wave" in by
    groups: list[tuple[str | None, str | None, np.ndarray]] = []
    r_iter = order_r if rsplit else [None]
    w_iter = order_w if wsplit else [None]
    for r in r_iter:
        for w in w_iter:
            mask = np.ones(total_rows, dtype=bool)
            if r is not None:
                mask &= rater_vals == r
            if w is not None:
                mask &= wave_vals == w
            if mask.any():
                groups.append((r, w, np.flatnonzero(mask)))
    if rsplit and (pd.isna(rater_vals)).any():
        warns.append(f"{int(pd.isna(rater_vals).sum())} rows with a blank '{rater_col}' are left out of the rater split")
    if wsplit and (pd.isna(wave_vals)).any():
        warns.append(f"{int(pd.isna(wave_vals).sum())} rows with a blank '{wave_column}' are left out of the wave split")
    for r, w, idx in groups:      # several rows per key within a split = raters/waves pooled
        dup = pd.Series(keys[idx]).duplicated()
        if dup.any():
            n_dup = int(pd.Series(keys[idx])[dup].nunique())
            warns.append(f"[{_ctx(r, w)}] {n_dup} keys have several rows (e.g. {keys[idx][dup.to_numpy()][0]!r}), "
                         "so their outcome counts more than once; split with --by rater / --by wave")

    skipped: list[dict] = []
    inter_fitted = False
    corr_rows: list[dict] = []
    part_rows: list[dict] = []
    model_rows: list[dict] = []
    from wamkit.stats import association as assoc
    from wamkit.stats import models as mdl

    joint_preds_default = [p for p in all_preds if p not in set(totals)] if not predictors else list(all_preds)
    for r, w, idx in groups:
        ctx = _ctx(r, w)
        cols = {c: v[idx] for c, v in num.items()}
        avail = []
        for p in all_preds:
            x = cols.get(p)
            if x is None or not np.isfinite(x).any():
                structural = discrepancy and r is not None and ((r == disc_lab) != (p in extra_preds))
                if not structural:
                    skipped.append({"predictor": p, "rater": r, "wave": w, "reason": "no values in this split"})
                continue
            avail.append(p)
        if not avail:
            warns.append(f"{ctx}: no predictor has values; split skipped")
            continue
        # -- outcomes without variation in this split: one warning, skipped
        any_x = np.zeros(len(idx), dtype=bool)
        for p in avail:
            any_x |= np.isfinite(cols[p])
        live = []
        for o in outcome_list:
            yv = cols[oname(o)][any_x]
            yv = yv[np.isfinite(yv)]
            if yv.size and yv.min() == yv.max():
                warns.append(f"{o} is {_fmt_value(yv[0])} for all {yv.size} rows [{ctx}]: "
                             "no correlations or models for it here")
                skipped.append({"outcome": o, "rater": r, "wave": w, "reason": "outcome constant in this split"})
            elif yv.size < 3:
                warns.append(f"{o} has {yv.size} value(s) [{ctx}]: no correlations or models for it here")
                skipped.append({"outcome": o, "rater": r, "wave": w, "reason": "too few outcome values"})
            else:
                live.append(o)
        # -- correlations
        for o in live:
            y = cols[oname(o)]
            for p in avail:
                for method in ("pearson", "spearman"):
                    try:
                        res = assoc.correlate(cols[p], y, method=method, ci_level=ci_level)
                    except DataError as e:
                        if method == "pearson":
                            warns.append(f"correlation {p} with {o} [{ctx}] not computed: {e.message}")
                        continue
                    corr_rows.append({"predictor": p, "outcome": o, "rater": r, "wave": w, "method": method,
                                      "r": res.r, "ci_low": res.ci_low, "ci_high": res.ci_high, "p": res.p,
                                      "p_adj": np.nan, "n": res.n, "statistic": res.statistic,
                                      "p_method": res.p_method})
                if covariates:
                    cf = pd.DataFrame({"x": cols[p], "y": y, **{f"c{i}": cols[c] for i, c in enumerate(covariates)}})
                    try:
                        pr = assoc.partial_correlation(cf, "x", "y", [f"c{i}" for i in range(len(covariates))])
                    except DataError as e:
                        warns.append(f"partial correlation {p} with {o} [{ctx}] not computed: {e.message}")
                        continue
                    half = _z(ci_level) / math.sqrt(pr.df - 1) if pr.df > 1 else math.nan
                    zr = math.atanh(pr.r) if abs(pr.r) < 1 else math.copysign(math.inf, pr.r)
                    part_rows.append({"predictor": p, "outcome": o, "rater": r, "wave": w,
                                      "covariates": list(covariates), "r": pr.r,
                                      "ci_low": math.tanh(zr - half), "ci_high": math.tanh(zr + half),
                                      "p": pr.p, "p_adj": np.nan, "n": pr.n, "df": pr.df, "t": pr.t})
        # -- models
        inter_avail = [c for c in inter or () if c in avail or (c not in all_preds and np.isfinite(cols[c]).any())]
        inter_ok = inter is not None and len(inter_avail) == 2
        model_sets: list[tuple[str, list[str], list[str]]] = []   # (focal label, terms, roles)
        if joint:
            jp = [p for p in joint_preds_default if p in avail]
            if inter is not None and inter_ok:
                jp_i = jp + [c for c in inter if c not in jp]
                model_sets.append(("joint", jp_i + [":".join(inter)], ["predictor"] * len(jp_i) + ["interaction"]))
            elif jp:
                model_sets.append(("joint", jp, ["predictor"] * len(jp)))
        else:
            for p in avail:
                model_sets.append((p, [p], ["predictor"]))
            if inter is not None and inter_ok:
                model_sets.append((":".join(inter), [inter[0], inter[1], ":".join(inter)],
                                   ["predictor", "predictor", "interaction"]))
        if inter is not None and not inter_ok:
            skipped.append({"predictor": ":".join(inter), "rater": r, "wave": w,
                            "reason": f"{', '.join(c for c in inter if c not in inter_avail)} has no values in this split"})
        elif inter is not None:
            inter_fitted = True
        if inter is not None and inter_ok:
            a_, b_ = cols[inter[0]], cols[inter[1]]
            both = np.isfinite(a_) & np.isfinite(b_)
            cols[":".join(inter)] = (a_ - a_[both].mean()) * (b_ - b_[both].mean())
        if cluster_codes is not None:
            cols["\x00cluster"] = cluster_codes[idx]
        ycols = {o: cols[oname(o)] for o in outcome_list}
        for o in live:
            kinds = [types[o]] if o not in dict(ev_specs) or o in dict(out_specs) else []
            jobs = [(m, None) for k in kinds for m in MODELS_FOR[k]]
            if o in dict(ev_specs):
                jobs.append(("cox", oname(dict(ev_specs)[o])))
            for model, tcol in jobs:
                for focal, terms, roles in model_sets:
                    allterms = terms + [c for c in covariates if c not in terms]
                    yname = oname(o)
                    frame = {yname: ycols[o]}
                    for t in allterms:
                        frame[t] = cols[t]
                    if tcol is not None:
                        frame[tcol] = cols[tcol]
                    cl = None
                    if cluster_codes is not None:
                        cl = cluster if cluster not in frame else "\x00cluster"
                        frame[cl] = cols["\x00cluster"]
                    mf = pd.DataFrame(frame)
                    label = f"{model} {o} ~ {' + '.join(allterms)} [{ctx}]"
                    try:
                        if model == "logistic":
                            fit = mdl.logistic(mf, yname, allterms, cluster=cl, per_sd=per_sd, ci_level=ci_level)
                        elif model == "poisson":
                            fit = mdl.poisson(mf, yname, allterms, cluster=cl, per_sd=per_sd, ci_level=ci_level)
                        elif model == "negative_binomial":
                            fit = mdl.negative_binomial(mf, yname, allterms, cluster=cl, per_sd=per_sd,
                                                        ci_level=ci_level)
                        elif model == "cox":
                            fit = mdl.cox(mf, tcol, yname, allterms, cluster=cl, per_sd=per_sd,
                                          ci_level=ci_level)
                        else:
                            fit = _ols(mf, yname, allterms, cluster=cl, per_sd=per_sd, ci_level=ci_level)
                    except DataError as e:
                        warns.append(f"{label}: not fitted: {e.message}")
                        continue
                    info = fit if isinstance(fit, dict) else {
                        "table": fit.table, "n": fit.n, "events": fit.events, "dispersion": fit.dispersion,
                        "theta": fit.theta, "converged": fit.converged, "cov_type": fit.cov_type,
                        "n_clusters": fit.n_clusters, "warnings": fit.warnings}
                    for wmsg in info["warnings"]:
                        warns.append(f"{label}: {wmsg}")
                    k = len(allterms)
                    if model == "logistic":
                        minority = min(info["events"], info["n"] - info["events"])
                        if minority < 10 * k:
                            warns.append(f"{label}: only {int(minority)} cases in the smaller outcome group "
                                         f"for {k} term(s) (fewer than 10 per term)")
                    role_of = dict(zip(terms, roles))
                    tab = info["table"]
                    for row in tab.itertuples(index=False):
                        if row.term == "(Intercept)":
                            continue
                        model_rows.append({
                            "outcome": o, "model": model, "term": row.term, "estimate": row.estimate,
                            "ci_low": row.ci_low, "ci_high": row.ci_high, "p": row.p, "p_adj": np.nan,
                            "n": int(row.n), "events": row.events, "rater": r, "wave": w, "predictor": focal,
                            "role": role_of.get(row.term, "covariate"), "coef": row.coef, "se": row.se,
                            "statistic": row.z, "covariates": list(covariates), "cov_type": info["cov_type"],
                            "n_clusters": info["n_clusters"], "per_sd": bool(per_sd),
                            "dispersion": info["dispersion"], "theta": info["theta"],
                            "converged": bool(info["converged"])})

    if inter is not None and not inter_fitted:
        warns.append(f"interaction {':'.join(inter)}: no split has values on both; no interaction model")

    # ---- wave comparisons
    wave_rows: list[dict] = []
    if wsplit and len(order_w) >= 2:
        w0 = order_w[0]
        for r in r_iter:
            base = np.ones(total_rows, dtype=bool) if r is None else (rater_vals == r)
            ctx = _ctx(r, None)
            kw = pd.Series(keys, dtype=object)
            pos = {}
            dup_problem = False
            for w in order_w:
                sel = np.flatnonzero(base & (wave_vals == w))
                ks = kw.iloc[sel]
                if ks.duplicated().any():
                    warns.append(f"wave comparison [{ctx}]: several rows per key at wave {w} "
                                 f"(e.g. {ks[ks.duplicated()].iloc[0]!r}); split by rater (--by rater) to compare waves")
                    dup_problem = True
                    break
                pos[w] = pd.Series(sel, index=ks.to_numpy())
            if dup_problem:
                continue
            for w1 in order_w[1:]:
                common = pos[w0].index.intersection(pos[w1].index)
                if len(common) == 0:
                    warns.append(f"wave comparison {w0} vs {w1} [{ctx}]: no key has rows at both waves")
                    continue
                i0 = pos[w0].loc[common].to_numpy()
                i1 = pos[w1].loc[common].to_numpy()
                for o in outcome_list:
                    y = num[oname(o)][i0]
                    yf = y[np.isfinite(y)]
                    if yf.size and yf.min() == yf.max():
                        warns.append(f"wave comparison {w0} vs {w1} [{ctx}]: {o} is {_fmt_value(yf[0])} for all "
                                     f"keys with both waves; not compared")
                        continue
                    for p in all_preds:
                        if p not in num:
                            continue
                        x0, x1 = num[p][i0], num[p][i1]
                        if not (np.isfinite(x0).any() and np.isfinite(x1).any()):
                            continue
                        cf = pd.DataFrame({"y": y, "x0": x0, "x1": x1})
                        try:
                            t = assoc.compare_correlations_with_outcome(cf, "y", "x0", "x1")
                        except DataError as e:
                            warns.append(f"wave comparison {p} with {o}, {w0} vs {w1} [{ctx}] not computed: {e.message}")
                            continue
                        comp = cf.dropna()
                        rm = np.corrcoef(comp.to_numpy(dtype=float), rowvar=False)
                        wave_rows.append({"predictor": p, "outcome": o, "rater": r, "wave_a": w0, "wave_b": w1,
                                          "r_t0": rm[0, 1], "r_t1": rm[0, 2], "r_waves": rm[1, 2],
                                          "statistic": t.statistic, "df": t.df, "p": t.p, "p_adj": np.nan,
                                          "n": t.n, "test": t.test})
    elif wsplit and len(order_w) < 2:
        warns.append(f"--by wave: only {len(order_w)} wave value(s) in '{wave_column}'; no wave comparison")

    # ---- frames and family adjustment
    corr = pd.DataFrame(corr_rows, columns=list(CORRELATION_COLUMNS))
    for method in ("pearson", "spearman"):
        m = (corr["method"] == method).to_numpy()
        if m.any():
            corr.loc[m, "p_adj"] = adjust_p(corr.loc[m, "p"].to_numpy(dtype=float), method=adjust)
    part = pd.DataFrame(part_rows, columns=list(PARTIAL_COLUMNS))
    if len(part):
        part["p_adj"] = adjust_p(part["p"].to_numpy(dtype=float), method=adjust)
    models = pd.DataFrame(model_rows, columns=list(MODEL_COLUMNS))
    if len(models):
        for model in models["model"].unique():
            m = ((models["model"] == model) & (models["role"] != "covariate")).to_numpy()
            if m.any():
                models.loc[m, "p_adj"] = adjust_p(models.loc[m, "p"].to_numpy(dtype=float), method=adjust)
    waves = pd.DataFrame(wave_rows, columns=list(WAVE_COLUMNS))
    if len(waves):
        waves["p_adj"] = adjust_p(waves["p"].to_numpy(dtype=float), method=adjust)
    for f in (corr, part, models, waves):
        for c in ("rater", "wave"):
            if c in f.columns:
                f[c] = f[c].astype(object)

    settings = {
        "on": on, "predictors": all_preds, "outcomes": {o: types[o] for o in outcome_list},
        "events": {e: t for e, t in ev_specs}, "by": by, "rater_column": rater_col if (rsplit or discrepancy) else rater_column,
        "wave_column": wave_column if wsplit else None, "covariates": covariates, "cluster": cluster,
        "adjust": adjust, "adjust_families": "Pearson correlations; Spearman correlations; partial correlations; "
                                             "predictor and interaction terms per model type; wave comparisons",
        "joint": bool(joint), "joint_predictors": joint_preds_default if joint else None,
        "interaction": ":".join(inter) if inter else None,
        "interaction_centering": "product of A and B centred on the split's rows with both observed" if inter else None,
        "discrepancy": f"{order_r[0]} - {order_r[1]}" if discrepancy else None,
        "per_sd": bool(per_sd), "ci_level": float(ci_level),
        "rater_values": order_r if rsplit or discrepancy else None, "waves": order_w if wsplit else None,
        "models": {o: ([*MODELS_FOR[types[o]]] if o in dict(out_specs) or o not in dict(ev_specs) else [])
                   + (["cox"] if o in dict(ev_specs) else []) for o in outcome_list},
    }
    return OutcomesResult(n=int(n_rows), n_keys=int(pd.Series(keys[:n_rows]).nunique()), settings=settings,
                          join=join_report, correlations=corr, partial_correlations=part, models=models,
                          wave_comparisons=waves, skipped=tuple(skipped), warnings=tuple(warns))


def _fmt_value(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def _z(level: float) -> float:
    from scipy import special

    return float(special.ndtri((1 + level) / 2))


# --------------------------------------------------------------------------- files
def _numeric_frame(frame: pd.DataFrame, skip: set[str], decimal_comma: bool) -> pd.DataFrame:
    out = {}
    for c in frame.columns:
        col = frame[c]
        if c in skip:
            out[c] = col
            continue
        v = _to_number(col, decimal_comma)
        out[c] = col if v is None else v
    return pd.DataFrame(out)


def outcomes_from_files(data_path: str, outcomes_path: str, *, on: Sequence[str], instruments=None,
                        rater_column: str | None = None, read_options=None,
                        where: Sequence[tuple[str, str]] = (), **settings) -> tuple[OutcomesResult, list]:
    """Read DATA (scored on the fly when ``instruments`` is given) and OUTCOMES, apply
    ``where`` filters, and run :func:`analyse_outcomes`.

    ``instruments`` is the dict of :func:`wamkit.scoring.multi.load_instrument_specs`;
    ``where`` filters (``COLUMN=VALUE`` pairs from :func:`wamkit.scoring.multi.parse_where`)
    apply to DATA when it has the column, else to OUTCOMES. Returns the result and
    the tables read (for provenance).
    """
    from wamkit.scoring.multi import ReadOptions, read_multi_table, score_multi, where_mask
    from wamkit.io import read_table
    from wamkit.scoring.core import resolve_columns

    opts = read_options or ReadOptions()
    on = [on] if isinstance(on, str) else list(on)
    where = list(where or ())
    totals: list[str] = []
    item_cols: set[str] = set()
    rater_order = None
    default_predictors = None
    if instruments:
        table = read_multi_table(data_path, instruments, opts)
        frame = table.frame
        dw = [f for f in where if f[0] in frame.columns]
        if dw:
            frame = frame[where_mask(frame, dw, table.source)].reset_index(drop=True)
        scored = score_multi(table, instruments, rater_column, opts, frame=frame)
        data = scored.scores.reset_index(drop=True)
        for ins in instruments.values():
            totals += [t.id for t in ins.totals]
            item_cols |= set(resolve_columns(ins, column_map=opts.column_map,
                                             column_template=opts.column_template).values())
        default_predictors = list(scored.score_ids)
        rater_order = [k for k in instruments if k is not None] or None
    else:
        table = read_table(data_path, all_text=True, sheet=opts.sheet, format=opts.input_format)
        frame = table.frame
        dw = [f for f in where if f[0] in frame.columns]
        if dw:
            frame = frame[where_mask(frame, dw, table.source)].reset_index(drop=True)
        data = frame
    otable = read_table(outcomes_path, all_text=True, sheet=opts.sheet, format=opts.input_format)
    oframe = otable.frame
    ow = [f for f in where if f[0] not in data.columns and f[0] not in table.frame.columns]
    for col, val in ow:
        if col not in oframe.columns:
            raise UsageError(f"--where {col}={val}: neither {table.source} nor {otable.source} has a column '{col}'")
    if ow:      # keep the original index: messages name rows of the file
        oframe = oframe[where_mask(oframe, ow, otable.source)]
    keys = set(on) | {rater_column or "rater", settings.get("wave_column", "wave"), settings.get("cluster")}
    data = _numeric_frame(data, keys, table.decimal_comma)
    result = analyse_outcomes(data, oframe, on=on, rater_column=rater_column, rater_order=rater_order,
                              default_predictors=default_predictors,
                              totals=totals, exclude_outcomes=sorted(item_cols), data_source=table.source,
                              outcomes_source=otable.source, decimal_comma=otable.decimal_comma, **settings)
    return result, [table, otable]


# --------------------------------------------------------------------------- reporting
def _apa(x: float, digits: int = 2, lead: bool = False) -> str:
    """APA-style number: no leading zero for |x| < 1 when ``lead`` is False (r, p)."""
    if x is None or not np.isfinite(x):
        return "NA"
    s = f"{x:.{digits}f}"
    if float(s) == 0:
        s = f"{0:.{digits}f}"          # no "-0.00"
    if not lead:
        s = s.replace("0.", ".", 1) if s.startswith(("0.", "-0.")) else s
    return s


def _p_text(p: float) -> str:
    if p is None or not np.isfinite(p):
        return "p = NA"
    if p < 0.001:
        return "p < .001"
    return f"p = {_apa(p, 3)}"


def _who(rater, predictor, wave) -> str:
    s = f"{rater}-rated {predictor}" if rater is not None and "-" not in str(rater) else (
        f"{predictor} ({rater})" if rater is not None else predictor)
    return s + (f" at {wave}" if wave is not None else "")


def correlation_lines(result: OutcomesResult, method: str = "pearson") -> list[tuple[str, str]]:
    """Plain-language lines ``(outcome, text)`` such as
    ``client-rated trust at T0: r = -.14, 95% CI [-.22, -.06], p = .001, n = 557``."""
    out = []
    lvl = int(round(result.settings["ci_level"] * 100))
    for row in result.correlations.itertuples(index=False):
        if row.method != method:
            continue
        text = (f"{_who(row.rater, row.predictor, row.wave)}: r = {_apa(row.r)}, {lvl}% CI "
                f"[{_apa(row.ci_low)}, {_apa(row.ci_high)}], {_p_text(row.p)} "
                f"(adjusted {_p_text(row.p_adj)[2:]}), n = {row.n}")
        out.append((row.outcome, text))
    return out


def model_lines(result: OutcomesResult) -> list[tuple[str, str]]:
    """Plain-language lines for the focal model terms, with n and events."""
    out = []
    lvl = int(round(result.settings["ci_level"] * 100))
    for row in result.models.itertuples(index=False):
        if row.role == "covariate":
            continue
        name = ESTIMATE_NAME[row.model]
        ev = "" if not np.isfinite(row.events) or row.model == "ols" else (
            f", events = {int(row.events)}" if row.model in ("logistic", "cox") else f", total count = {int(row.events)}")
        text = (f"{_who(row.rater, row.term, row.wave)} ({row.model}"
                + (f", with {', '.join(row.covariates)}" if row.covariates else "")
                + (", joint model" if row.predictor == "joint" else
                   f", {row.predictor} model" if ":" in row.predictor else "")
                + f"): {name} = {_apa(row.estimate, 2, lead=True)}, {lvl}% CI [{_apa(row.ci_low, 2, lead=True)}, "
                f"{_apa(row.ci_high, 2, lead=True)}], {_p_text(row.p)}, n = {row.n}{ev}")
        out.append((row.outcome, text))
    return out


def render_report(result: OutcomesResult, fmt: str, *, title: str = "wamkit outcomes") -> str:
    """A self-contained Markdown or HTML report: join summary, settings, plain-language
    lines, forest plots of the model estimates (inline SVG), tables, warnings."""
    from wamkit.render import html as rh

    doc = rh.Report(title=title, fmt=fmt)
    j = result.join
    doc.paragraph(f"{j['data_rows_joined']} of {j['data_rows']} data rows joined to {j['outcome_rows_joined']} of "
                  f"{j['outcome_rows']} outcome rows on {', '.join(j['on'])} ({result.n_keys} keys). "
                  f"Outcomes: {', '.join(f'{k} ({v})' for k, v in result.settings['outcomes'].items())}."
                  + (f" Covariates: {', '.join(result.settings['covariates'])}." if result.settings['covariates'] else "")
                  + (f" Cluster-robust standard errors by {result.settings['cluster']}." if result.settings['cluster'] else "")
                  + f" p values adjusted with {result.settings['adjust']} within each family"
                  " (see settings.adjust_families).")
    if result.warnings:
        doc.heading("Warnings", 2)
        doc.bullets(list(result.warnings))
    doc.heading("Correlations (Pearson; point-biserial for binary outcomes)", 2)
    by_outcome: dict[str, list[str]] = {}
    for o, line in correlation_lines(result):
        by_outcome.setdefault(o, []).append(line)
    for o, lines in by_outcome.items():
        doc.heading(o, 3)
        doc.bullets(lines)
    if len(result.models):
        doc.heading("Models", 2)
        focal = result.models[result.models["role"] != "covariate"]
        for (o, model), sub in focal.groupby(["outcome", "model"], sort=False):
            name = ESTIMATE_NAME[model]
            doc.heading(f"{o}: {model} ({name})", 3)
            labels = [_who(r.rater, r.term, r.wave) + (" [joint model]" if r.predictor == "joint" else
                                                        f" [{r.predictor} model]" if ":" in r.predictor else "")
                      for r in sub.itertuples(index=False)]
            notes = [f"n = {r.n}" + (f", events = {int(r.events)}" if model in ("logistic", "cox") else "")
                     for r in sub.itertuples(index=False)]
            doc.forest(labels, sub["estimate"].to_numpy(float), sub["ci_low"].to_numpy(float),
                       sub["ci_high"].to_numpy(float), notes=notes, log=model != "ols",
                       null=0.0 if model == "ols" else 1.0, xlabel=name)
            doc.bullets([t for oo, t in model_lines(result) if oo == o and f"({model}" in t])
    if len(result.wave_comparisons):
        doc.heading("Wave comparison (Williams' t, psych::r.test)", 2)
        doc.paragraph("Same outcome, same predictor at two waves, on the keys with both waves; t > 0 means the "
                      "correlation at the first wave is larger (more positive) than at the second.")
        lines = []
        for r in result.wave_comparisons.itertuples(index=False):
            lines.append(f"{_who(r.rater, r.predictor, None)} with {r.outcome}: r({r.wave_a}) = {_apa(r.r_t0)}, "
                         f"r({r.wave_b}) = {_apa(r.r_t1)}, t({int(r.df)}) = {r.statistic:.2f}, {_p_text(r.p)}, n = {r.n}")
        doc.bullets(lines)
    doc.heading("All results", 2)
    tidy = result.tidy()
    doc.table(tidy)
    return doc.render()
