"""Multi-group and structured ordinal CFA by WLSMV, matching lavaan 0.6-14.

The engine behind ordinal measurement invariance: lavaan's
``cfa(model, data, ordered = TRUE, group = g, estimator = "WLSMV", parameterization = "delta")`` with
any pattern of fixed, free and equal (same-label) parameters, as ``semTools::measEq.syntax`` writes them.

Model (delta parameterisation), per group ``g`` (lavaan's LISREL matrices)::

    S0 = Lambda Psi Lambda' + Theta_off         (Theta_off: residual covariances between items)
    Sigma* = D (S0 + diag(1/delta^2 - diag(Lambda Psi Lambda'))) D,   D = diag(delta)   -> diag(Sigma*) = 1
    rho_ij = delta_i delta_j S0_ij,   tau*_ik = delta_i (tau_ik - nu_i - (Lambda alpha)_i)

``s_g = (sample thresholds, polychoric correlations)`` comes from stage 1 per group
(:func:`wamkit.stats.wlsmv.ordinal_stage1`); ``W_g = diag(Gamma_g)^-1``.

* **Estimates** minimise ``sum_g (n_g - 1) (s_g - sigma_g)' W_g (s_g - sigma_g)`` (lavaan
  ``lav_model_objective``: ``fx = sum_g n_g/N * 0.5 (n_g - 1)/n_g F_g``; ``chisq = 2 N fx``) over the
  free parameters; parameters sharing a label are one parameter (lavaan's equality constraints,
  handled as a reparameterisation ``theta_full = K x``).
* **Information** ``E = sum_g f_g Delta_g' W_g Delta_g`` with ``f_g = n_g / N``; robust SEs
  ``E^-1 (sum_g f_g Delta_g' W_g Gamma_g W_g Delta_g) E^-1 / (N - G)`` (``lav_model_nvcov_robust_sem``,
  ``lav_model_vcov``).
* **Scaled-shifted test** (``lav_test_satorra_bentler_trace_ABA``): ``V = bdiag(f_g W_g)``,
  ``Gamma = bdiag(Gamma_g / f_g)``, ``U = V - V Delta E^-1 Delta' V``; ``a = sqrt(df / tr((U Gamma)^2))``,
  ``shift = df - a tr(U Gamma)``.  Baseline: thresholds free, correlations 0 in every group.
* **Fit indices** as ``fitMeasures()``: RMSEA with ``N - G`` and multiplied by ``sqrt(G)``; SRMR the
  ``n_g/N``-weighted ``srmr_bentler_nomean``; robust CFI/TLI/RMSEA by ``lav_fit_catml_dwls`` (the
  catML discrepancy of the polychoric matrices at the DWLS estimates).  lavaan 0.6-14 builds the catML
  model by deleting thresholds and intercepts but keeps equality constraints that refer to them, which
  fails: its robust indices are NA whenever a threshold or intercept is constrained equal to another
  one, and so are ours (with a note in ``warnings``).
* **Difference test** :func:`wlsmv_lrt` = ``lavTestLRT(m1, m0)``'s default for WLSMV fits,
  ``lav_test_diff_Satorra2000(..., A.method = "delta", scaled.shifted = TRUE)``.
* **Score tests** :func:`wlsmv_score_test` = ``lavTestScore(fit, release = ...)`` (lavaan falls back to the
  "ordinary" score test for WLSMV: ``N g' Z^+ g`` with the DWLS gradient ``g`` and expected information).

Public API: :class:`OrdinalParam`, :class:`OrdinalModel`, :class:`OrdinalData`,
:func:`prepare_ordinal_data`, :func:`fit_wlsmv_model`, :class:`WLSMVModelFit`, :func:`wlsmv_lrt`,
:class:`WLSMVDifference`, :class:`Restriction`, :func:`model_restrictions`, :func:`wlsmv_score_test`,
:func:`wlsmv_score_tests`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import linalg, stats

from wamkit.errors import DataError, UsageError
from wamkit.results import StatResult, to_jsonable
from wamkit.stats.wlsmv import (
    OrdinalStage1,
    WLSMVFit,
    lavaan_cfi,
    lavaan_rmsea,
    lavaan_rmsea_ci,
    lavaan_rmsea_pvalue,
    lavaan_tli,
    ordinal_stage1,
    scaled_shifted_test,
)

__all__ = [
    "OrdinalData",
    "OrdinalModel",
    "OrdinalParam",
    "Restriction",
    "WLSMVDifference",
    "WLSMVModelFit",
    "fit_wlsmv_model",
    "model_restrictions",
    "prepare_ordinal_data",
    "wlsmv_lrt",
    "wlsmv_score_test",
    "wlsmv_score_tests",
]

_OPS = ("=~", "~~", "|", "~1", "~*~")
_MAX_ITER = 1000
_SQRT_EPS = math.sqrt(np.finfo(float).eps)


# ----------------------------------------------------------------------------- model description
@dataclass(frozen=True)
class OrdinalParam:
    """One row of a parameter table (lavaan ``parTable`` conventions).

    ``op``: ``"=~"`` loading (``lhs`` factor, ``rhs`` item); ``"~~"`` factor (co)variance or residual
    covariance of two different items; ``"|"`` threshold (``lhs`` item, ``rhs`` ``"t1"``, ``"t2"``...);
    ``"~1"`` intercept of an item or mean of a factor (``rhs`` empty); ``"~*~"`` scaling factor
    (delta) of an item (``lhs == rhs``).  ``group`` is 0-based.  ``free`` parameters with the same
    non-empty ``label`` are one parameter (lavaan's equality constraint); ``value`` is the value of a
    fixed parameter.
    """

    group: int
    op: str
    lhs: str
    rhs: str
    free: bool
    value: float = 0.0
    label: str = ""


@dataclass(frozen=True)
class OrdinalModel:
    """A multi-group ordinal CFA: items (in data order), factors and the full parameter table.

    Parameters missing from ``params`` are fixed at lavaan's defaults for the delta
    parameterisation: loadings, factor and residual covariances, intercepts and latent means 0,
    factor variances and scaling factors 1.  Every threshold must be listed.
    """

    items: tuple[str, ...]
    factors: tuple[tuple[str, tuple[str, ...]], ...]
    n_groups: int
    params: tuple[OrdinalParam, ...]

    @property
    def factor_names(self) -> tuple[str, ...]:
        return tuple(f for f, _ in self.factors)


@dataclass(frozen=True)
class OrdinalData:
    """Stage-1 statistics of every group (thresholds, polychoric correlations, ``NACOV``).

    ``items`` are the analysed columns; ``group_labels`` the groups in order of first appearance
    (lavaan ``group.label``); ``n_obs`` the complete rows per group (listwise deletion over ``items``);
    ``categories[g][i]`` the observed category values of item ``i`` in group ``g``.
    """

    items: tuple[str, ...]
    group_labels: tuple[str, ...]
    n_obs: tuple[int, ...]
    n_dropped: int
    categories: tuple[tuple[tuple[float, ...], ...], ...]
    stage1: tuple[OrdinalStage1, ...] = field(repr=False)
    warnings: tuple[str, ...] = ()

    @property
    def n_thresholds(self) -> tuple[int, ...]:
        return tuple(len(c) - 1 for c in self.categories[0])

    @property
    def n_total(self) -> int:
        return int(sum(self.n_obs))


def prepare_ordinal_data(
    data: pd.DataFrame, items: Sequence[str], group: str | None = None, *, same_categories: str = "groups"
) -> OrdinalData:
    """Stage 1 of WLSMV for every group of ``data`` (listwise deletion over ``items`` within groups).

    Parameters
    ----------
    data : DataFrame with the items (integer category codes; NaN = missing) and the grouping column.
    items : the ordinal indicators, in the order used by the model.
    group : grouping column (``None``: one group).  Rows with a missing group are dropped; groups are
        ordered by first appearance, as lavaan's ``group.label``.
    same_categories : ``"groups"`` requires every item to have the same observed categories in every
        group (threshold invariance compares threshold ``k`` across groups); ``"none"`` skips the check.
    """
    from wamkit.stats.correlation import as_float_matrix

    if not isinstance(data, pd.DataFrame):
        raise UsageError("data must be a pandas DataFrame")
    items = [str(i) for i in items]
    if len(set(items)) != len(items):
        raise UsageError("items lists a column twice")
    missing = [i for i in items if i not in data.columns]
    if missing:
        raise UsageError(f"unknown item(s): {', '.join(missing)}")
    if same_categories not in ("groups", "none"):
        raise UsageError(f"same_categories must be 'groups' or 'none', not {same_categories!r}")
    if group is not None:
        if group not in data.columns:
            raise UsageError(f"group column {group!r} is not in the data")
        if group in items:
            raise UsageError(f"group column {group!r} is also an item")
        gcol = data[group]
        keep = gcol.notna().to_numpy()
        gv = np.array([_group_label(v) for v in gcol[keep]], dtype=object)
        labels = list(dict.fromkeys(gv))
        frame = data.loc[keep]
        if len(labels) < 2:
            raise UsageError(f"group column {group!r} has {len(labels)} group(s); need at least 2")
    else:
        labels = ["1"]
        frame = data
        gv = np.full(len(data), "1", dtype=object)
    arr = as_float_matrix(frame, items)[0]
    obs = arr[~np.isnan(arr)]
    if np.isinf(obs).any():
        raise DataError("item data contain infinite values")
    if obs.size and not np.all(obs == np.round(obs)):
        raise DataError("ordinal items need integer category codes")
    complete = ~np.isnan(arr).any(axis=1)
    blocks = [arr[(gv == lab) & complete] for lab in labels]
    for lab, block in zip(labels, blocks, strict=True):
        if block.shape[0] < 10:
            raise DataError(f"too few complete rows in group {lab!r}: {block.shape[0]}")
    if same_categories == "groups" and len(labels) > 1:
        for j, it in enumerate(items):
            ref = tuple(float(v) for v in np.unique(blocks[0][:, j]))
            for g in range(1, len(labels)):
                cg = tuple(float(v) for v in np.unique(blocks[g][:, j]))
                if cg != ref:
                    raise DataError(
                        f"item {it!r} has categories {_fmt_cats(cg)} in group {labels[g]!r} but "
                        f"{_fmt_cats(ref)} in group {labels[0]!r}; thresholds cannot be compared across groups "
                        "(collapse the sparse categories)"
                    )
    stage, cats, nobs = [], [], []
    for block in blocks:
        st, c = ordinal_stage1(block, items)
        stage.append(st)
        cats.append(tuple(c))
        nobs.append(int(block.shape[0]))
    warns = []
    bad = sum(st.n_bad_cells for st in stage)
    if bad:
        warns.append(
            f"{bad} observed cell(s) of the bivariate tables have (near) zero model probability; "
            "their scores were dropped from the weight matrix (as lavaan does)"
        )
    n_dropped = int(arr.shape[0] - complete.sum()) + int(len(data) - len(frame))
    return OrdinalData(
        items=tuple(items),
        group_labels=tuple(labels),
        n_obs=tuple(nobs),
        n_dropped=n_dropped,
        categories=tuple(cats),
        stage1=tuple(stage),
        warnings=tuple(warns),
    )


def _group_label(v: Any) -> str:
    """A group value as text; integral floats without ``.0`` (a column with missing values is float)."""
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v)


def _fmt_cats(c: tuple[float, ...]) -> str:
    return "{" + ", ".join(f"{v:g}" for v in c) + "}"


# ----------------------------------------------------------------------------- compiled model
@dataclass
class _GroupIdx:
    lam_i: np.ndarray  # (p, q) full index or -1
    lam_v: np.ndarray
    psi_i: np.ndarray  # (q, q) symmetric
    psi_v: np.ndarray
    tho_i: np.ndarray  # (p, p) symmetric, off-diagonal only
    tho_v: np.ndarray
    nu_i: np.ndarray
    nu_v: np.ndarray
    al_i: np.ndarray
    al_v: np.ndarray
    de_i: np.ndarray
    de_v: np.ndarray
    tau_i: np.ndarray  # (T,)
    tau_v: np.ndarray
    # entries per kind: arrays of (full index, positions)
    e_lam: np.ndarray  # (E, 3): full, item, factor
    e_psi: np.ndarray  # (E, 3): full, f, h (f >= h)
    e_tho: np.ndarray  # (E, 2): full, pair index
    e_nu: np.ndarray  # (E, 2): full, item
    e_al: np.ndarray  # (E, 2): full, factor
    e_de: np.ndarray  # (E, 2): full, item
    e_tau: np.ndarray  # (E, 2): full, threshold position


@dataclass
class _Compiled:
    n_full: int
    n_red: int
    red_of_full: np.ndarray  # (n_full,)
    full_param: np.ndarray  # (n_full,) index into model.params
    kind_of_full: list[str]
    groups: list[_GroupIdx]
    eq_pairs: list[tuple[int, int]]  # full-index pairs constrained equal (lavaan "==" rows)

    K: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (n_full, n_red) 0/1

    def __post_init__(self) -> None:
        self.K = np.zeros((self.n_full, self.n_red))
        self.K[np.arange(self.n_full), self.red_of_full] = 1.0


def _kind(p: OrdinalParam, items: dict[str, int], facs: dict[str, int]) -> str:
    if p.op == "=~":
        if p.lhs not in facs or p.rhs not in items:
            raise UsageError(f"loading {p.lhs} =~ {p.rhs}: unknown factor or item")
        return "lam"
    if p.op == "~~":
        if p.lhs in facs and p.rhs in facs:
            return "psi"
        if p.lhs in items and p.rhs in items:
            if p.lhs == p.rhs:
                raise UsageError(
                    f"{p.lhs} ~~ {p.lhs}: residual variances are not parameters in the delta parameterisation"
                )
            return "tho"
        raise UsageError(f"covariance {p.lhs} ~~ {p.rhs}: unknown or mixed factor/item")
    if p.op == "|":
        if p.lhs not in items:
            raise UsageError(f"threshold {p.lhs} | {p.rhs}: unknown item")
        return "tau"
    if p.op == "~1":
        if p.lhs in items:
            return "nu"
        if p.lhs in facs:
            return "al"
        raise UsageError(f"intercept {p.lhs} ~ 1: unknown item or factor")
    if p.op == "~*~":
        if p.lhs not in items or p.lhs != p.rhs:
            raise UsageError(f"scaling factor {p.lhs} ~*~ {p.rhs}: must name one item twice")
        return "de"
    raise UsageError(f"unknown operator {p.op!r}; use one of {', '.join(_OPS)}")


def _compile(model: OrdinalModel, nth: Sequence[int]) -> _Compiled:
    items = {it: i for i, it in enumerate(model.items)}
    facs = {f: k for k, f in enumerate(model.factor_names)}
    p, q, G = len(items), len(facs), model.n_groups
    T = int(sum(nth))
    th_start = np.concatenate([[0], np.cumsum(nth)]).astype(int)
    iu, ju = np.triu_indices(p, 1)
    pair = np.full((p, p), -1, dtype=int)
    pair[iu, ju] = np.arange(iu.size)
    pair[ju, iu] = np.arange(iu.size)

    def blank() -> _GroupIdx:
        return _GroupIdx(
            lam_i=np.full((p, q), -1),
            lam_v=np.zeros((p, q)),
            psi_i=np.full((q, q), -1),
            psi_v=np.eye(q),
            tho_i=np.full((p, p), -1),
            tho_v=np.zeros((p, p)),
            nu_i=np.full(p, -1),
            nu_v=np.zeros(p),
            al_i=np.full(q, -1),
            al_v=np.zeros(q),
            de_i=np.full(p, -1),
            de_v=np.ones(p),
            tau_i=np.full(T, -1),
            tau_v=np.full(T, np.nan),
            e_lam=np.zeros((0, 3), int),
            e_psi=np.zeros((0, 3), int),
            e_tho=np.zeros((0, 2), int),
            e_nu=np.zeros((0, 2), int),
            e_al=np.zeros((0, 2), int),
            e_de=np.zeros((0, 2), int),
            e_tau=np.zeros((0, 2), int),
        )

    groups = [blank() for _ in range(G)]
    seen: set[tuple[int, str, int, int]] = set()
    entries: dict[str, list[list[list[int]]]] = {
        k: [[] for _ in range(G)] for k in ("lam", "psi", "tho", "nu", "al", "de", "tau")
    }
    full_param: list[int] = []
    kinds: list[str] = []
    red_of_full: list[int] = []
    label_red: dict[str, int] = {}
    label_first: dict[str, int] = {}
    label_fixed: set[str] = set()
    eq_pairs: list[tuple[int, int]] = []
    n_red = 0
    for k, prm in enumerate(model.params):
        if not 0 <= prm.group < G:
            raise UsageError(f"parameter {prm.lhs} {prm.op} {prm.rhs}: group {prm.group} out of range")
        kind = _kind(prm, items, facs)
        gi = groups[prm.group]
        if kind == "lam":
            a, b = items[prm.rhs], facs[prm.lhs]
        elif kind == "psi":
            a, b = sorted((facs[prm.lhs], facs[prm.rhs]), reverse=True)
        elif kind == "tho":
            a, b = sorted((items[prm.lhs], items[prm.rhs]), reverse=True)
        elif kind == "tau":
            i = items[prm.lhs]
            try:
                t = int(prm.rhs.lstrip("t")) - 1
            except ValueError:
                raise UsageError(f"threshold {prm.lhs} | {prm.rhs}: name thresholds t1, t2, ...") from None
            if not 0 <= t < nth[i]:
                raise UsageError(f"threshold {prm.lhs} | {prm.rhs}: item {prm.lhs} has {nth[i]} threshold(s)")
            a, b = int(th_start[i] + t), 0
        elif kind in ("nu", "de"):
            a, b = items[prm.lhs], 0
        else:
            a, b = facs[prm.lhs], 0
        key = (prm.group, kind, a, b)
        if key in seen:
            raise UsageError(f"parameter {prm.lhs} {prm.op} {prm.rhs} listed twice in group {prm.group}")
        seen.add(key)
        if prm.free:
            f = len(full_param)
            full_param.append(k)
            kinds.append(kind)
            if prm.label:
                if prm.label in label_fixed:
                    raise UsageError(f"label {prm.label!r} is shared by a fixed and a free parameter")
                if prm.label in label_red:
                    red_of_full.append(label_red[prm.label])
                    eq_pairs.append((label_first[prm.label], f))
                else:
                    label_red[prm.label] = n_red
                    label_first[prm.label] = f
                    red_of_full.append(n_red)
                    n_red += 1
            else:
                red_of_full.append(n_red)
                n_red += 1
            idx, val = f, np.nan
        else:
            if prm.label:
                if prm.label in label_red:
                    raise UsageError(f"label {prm.label!r} is shared by a fixed and a free parameter")
                label_fixed.add(prm.label)
            idx, val = -1, float(prm.value)
        if kind == "lam":
            gi.lam_i[a, b], gi.lam_v[a, b] = idx, (0.0 if idx >= 0 else val)
        elif kind == "psi":
            gi.psi_i[a, b] = gi.psi_i[b, a] = idx
            gi.psi_v[a, b] = gi.psi_v[b, a] = 0.0 if idx >= 0 else val
        elif kind == "tho":
            gi.tho_i[a, b] = gi.tho_i[b, a] = idx
            gi.tho_v[a, b] = gi.tho_v[b, a] = 0.0 if idx >= 0 else val
        elif kind == "tau":
            gi.tau_i[a], gi.tau_v[a] = idx, (0.0 if idx >= 0 else val)
        else:
            arr_i, arr_v = {"nu": (gi.nu_i, gi.nu_v), "al": (gi.al_i, gi.al_v), "de": (gi.de_i, gi.de_v)}[kind]
            arr_i[a], arr_v[a] = idx, (0.0 if idx >= 0 else val)
        if idx >= 0:
            if kind in ("lam", "psi"):
                entries[kind][prm.group].append([idx, a, b])
            elif kind == "tho":
                entries[kind][prm.group].append([idx, int(pair[a, b])])
            else:
                entries[kind][prm.group].append([idx, a])
    for g, gi in enumerate(groups):
        miss = np.flatnonzero((gi.tau_i < 0) & np.isnan(gi.tau_v))
        if miss.size:
            t = int(miss[0])
            i = int(np.searchsorted(th_start, t, side="right") - 1)
            raise UsageError(f"threshold {model.items[i]} | t{t - th_start[i] + 1} missing in group {g}")
        gi.e_lam = np.array(entries["lam"][g], dtype=int).reshape(-1, 3)
        gi.e_psi = np.array(entries["psi"][g], dtype=int).reshape(-1, 3)
        for kind in ("tho", "nu", "al", "de", "tau"):
            setattr(gi, f"e_{kind}", np.array(entries[kind][g], dtype=int).reshape(-1, 2))
    return _Compiled(
        n_full=len(full_param),
        n_red=n_red,
        red_of_full=np.array(red_of_full, dtype=int),
        full_param=np.array(full_param, dtype=int),
        kind_of_full=kinds,
        groups=groups,
        eq_pairs=eq_pairs,
    )


# ----------------------------------------------------------------------------- implied moments
@dataclass
class _Mats:
    L: np.ndarray
    Psi: np.ndarray
    Tho: np.ndarray
    nu: np.ndarray
    al: np.ndarray
    de: np.ndarray
    tau: np.ndarray


def _mats(gi: _GroupIdx, theta: np.ndarray) -> _Mats:
    def fill(i: np.ndarray, v: np.ndarray) -> np.ndarray:
        return np.where(i >= 0, theta[np.maximum(i, 0)], v)

    return _Mats(
        L=fill(gi.lam_i, gi.lam_v),
        Psi=fill(gi.psi_i, gi.psi_v),
        Tho=fill(gi.tho_i, gi.tho_v),
        nu=fill(gi.nu_i, gi.nu_v),
        al=fill(gi.al_i, gi.al_v),
        de=fill(gi.de_i, gi.de_v),
        tau=fill(gi.tau_i, gi.tau_v),
    )


@dataclass
class _Geom:
    """Per-group constants: pair indices and the item of each threshold."""

    iu: np.ndarray
    ju: np.ndarray
    ti: np.ndarray  # (T,) item of each threshold
    T: int
    P: int


def _geom(nth: Sequence[int]) -> _Geom:
    p = len(nth)
    iu, ju = np.triu_indices(p, 1)
    ti = np.repeat(np.arange(p), nth)
    return _Geom(iu=iu, ju=ju, ti=ti, T=int(sum(nth)), P=int(iu.size))


def _implied(m: _Mats, geo: _Geom) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sigma = (tau*, rho), S0, implied correlation matrix)."""
    LP = m.L @ m.Psi
    S0 = LP @ m.L.T + m.Tho
    iu, ju, ti = geo.iu, geo.ju, geo.ti
    rho = m.de[iu] * m.de[ju] * S0[iu, ju]
    mu = m.nu + m.L @ m.al
    th = m.de[ti] * (m.tau - mu[ti])
    C = np.outer(m.de, m.de) * S0
    np.fill_diagonal(C, 1.0)
    return np.concatenate([th, rho]), S0, C


def _jacobian(gi: _GroupIdx, m: _Mats, geo: _Geom, S0: np.ndarray, n_full: int) -> np.ndarray:
    """d sigma_g / d theta_full (rows: thresholds then correlation pairs)."""
    T, P = geo.T, geo.P
    iu, ju, ti = geo.iu, geo.ju, geo.ti
    J = np.zeros((T + P, n_full))
    Dp = m.de[iu] * m.de[ju]
    LP = m.L @ m.Psi
    if gi.e_lam.size:
        f_, a, fac = gi.e_lam[:, 0], gi.e_lam[:, 1], gi.e_lam[:, 2]
        col = Dp[:, None] * (
            (iu[:, None] == a[None, :]) * LP[ju[:, None], fac[None, :]]
            + (ju[:, None] == a[None, :]) * LP[iu[:, None], fac[None, :]]
        )
        J[T:, f_] += col
        J[:T, f_] -= (ti[:, None] == a[None, :]) * m.de[ti][:, None] * m.al[fac][None, :]
    if gi.e_psi.size:
        f_, a, b = gi.e_psi[:, 0], gi.e_psi[:, 1], gi.e_psi[:, 2]
        A = m.L[iu[:, None], a[None, :]] * m.L[ju[:, None], b[None, :]]
        B = m.L[iu[:, None], b[None, :]] * m.L[ju[:, None], a[None, :]]
        J[T:, f_] += Dp[:, None] * (A + np.where((a != b)[None, :], B, 0.0))
    if gi.e_tho.size:
        f_, pr = gi.e_tho[:, 0], gi.e_tho[:, 1]
        J[T + pr, f_] += Dp[pr]
    if gi.e_nu.size:
        f_, a = gi.e_nu[:, 0], gi.e_nu[:, 1]
        J[:T, f_] -= (ti[:, None] == a[None, :]) * m.de[ti][:, None]
    if gi.e_al.size:
        f_, fac = gi.e_al[:, 0], gi.e_al[:, 1]
        J[:T, f_] -= m.de[ti][:, None] * m.L[ti[:, None], fac[None, :]]
    if gi.e_de.size:
        f_, a = gi.e_de[:, 0], gi.e_de[:, 1]
        s0 = S0[iu, ju]
        J[T:, f_] += (iu[:, None] == a[None, :]) * (m.de[ju] * s0)[:, None] + (ju[:, None] == a[None, :]) * (
            m.de[iu] * s0
        )[:, None]
        mu = m.nu + m.L @ m.al
        J[:T, f_] += (ti[:, None] == a[None, :]) * (m.tau - mu[ti])[:, None]
    if gi.e_tau.size:
        f_, k = gi.e_tau[:, 0], gi.e_tau[:, 1]
        J[k, f_] += m.de[ti[k]]
    return J


# ----------------------------------------------------------------------------- results
@dataclass(frozen=True)
class WLSMVModelFit(StatResult):
    """A fitted multi-group ordinal CFA (lavaan ``cfa(..., ordered = TRUE, group = ...)``, WLSMV, delta).

    Attributes
    ----------
    model, data : the :class:`OrdinalModel` and the :class:`OrdinalData` it was fitted to.
    estimates : (n,) the distinct free parameters (one per label).
    fit : :class:`wamkit.stats.wlsmv.WLSMVFit` (``fitMeasures()`` names with ``.`` -> ``_``; multi-group
        RMSEA, robust indices NaN where lavaan 0.6-14 reports NA).
    converged, iterations, warnings : optimiser status and notes.
    """

    model: OrdinalModel = field(repr=False)
    data: OrdinalData = field(repr=False)
    estimates: np.ndarray = field(repr=False)
    estimates_se: np.ndarray = field(repr=False)
    fit: WLSMVFit
    converged: bool
    iterations: int
    warnings: tuple[str, ...] = ()
    # internals for difference and score tests
    _comp: Any = field(default=None, repr=False, compare=False)
    _delta: tuple[np.ndarray, ...] = field(default=(), repr=False, compare=False)  # reduced Jacobians
    _info: Any = field(default=None, repr=False, compare=False)  # E (reduced)

    @property
    def npar(self) -> int:
        return int(self.estimates.size)

    def parameters(self) -> pd.DataFrame:
        """Tidy parameter table like ``lavaan::parTable(fit)``.

        Columns ``group`` (0-based), ``group_label``, ``lhs``, ``op``, ``rhs``, ``label``, ``free``,
        ``est``, ``se`` (NaN for fixed and derived rows).  Rows: every parameter of the model, then the
        derived residual variances of the items (``item ~~ item``, ``1/delta^2 - diag(Lambda Psi Lambda')``,
        not free, as lavaan lists them).
        """
        comp: _Compiled = self._comp
        theta = self.estimates[comp.red_of_full]
        se_full = self.estimates_se[comp.red_of_full]
        est_of_param = {int(k): (float(theta[f]), float(se_full[f])) for f, k in enumerate(comp.full_param)}
        rows = []
        for k, prm in enumerate(self.model.params):
            est, se = est_of_param.get(k, (prm.value, float("nan")))
            rows.append(
                (prm.group, self.data.group_labels[prm.group], prm.lhs, prm.op, prm.rhs, prm.label, prm.free, est, se)
            )
        for g, gi in enumerate(comp.groups):
            m = _mats(gi, theta)
            rv = 1.0 / m.de**2 - np.einsum("if,fh,ih->i", m.L, m.Psi, m.L)
            for i, it in enumerate(self.model.items):
                rows.append((g, self.data.group_labels[g], it, "~~", it, "", False, float(rv[i]), float("nan")))
        return pd.DataFrame(rows, columns=["group", "group_label", "lhs", "op", "rhs", "label", "free", "est", "se"])

    def implied(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per group: model-implied (thresholds, correlation matrix) (``lavInspect(fit, "implied")``)."""
        comp: _Compiled = self._comp
        theta = self.estimates[comp.red_of_full]
        geo = _geom(self.data.n_thresholds)
        out = []
        for gi in comp.groups:
            sig, _, C = _implied(_mats(gi, theta), geo)
            out.append((sig[: geo.T], C))
        return out

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """``parameters`` (the main table, :meth:`parameters`) and ``summary`` (one row: ``npar``, the fit
        measures, ``converged``, ``iterations``)."""
        summary = {**self.fit.to_dict(), "converged": self.converged, "iterations": self.iterations}
        return {"parameters": self.parameters(), "summary": pd.DataFrame([summary])}

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(
            {
                "groups": list(self.data.group_labels),
                "n_obs": list(self.data.n_obs),
                "npar": self.npar,
                "fit": self.fit,
                "parameters": self.parameters(),
                "converged": self.converged,
                "iterations": self.iterations,
                "warnings": list(self.warnings),
            }
        )


# ----------------------------------------------------------------------------- estimation
def _stat_vectors(data: OrdinalData) -> tuple[list[np.ndarray], list[np.ndarray]]:
    s, w = [], []
    for st in data.stage1:
        th = np.concatenate(st.th_list) if st.th_list else np.zeros(0)
        s.append(np.concatenate([th, st.R[st.iu, st.ju]]))
        d = np.diag(st.gamma)
        if not np.all(np.isfinite(d)) or np.any(d <= 0):
            raise DataError("the asymptotic covariance matrix of the sample statistics is not usable")
        w.append(1.0 / d)
    return s, w


def _start(model: OrdinalModel, data: OrdinalData, comp: _Compiled) -> np.ndarray:
    """Start values per free entry (averaged over entries sharing a label)."""
    items = {it: i for i, it in enumerate(model.items)}
    theta0 = np.zeros(comp.n_full)
    for gi, st in zip(comp.groups, data.stage1, strict=True):
        R = st.R
        lam0 = np.zeros((len(items), len(model.factors)))
        for f, (_, its) in enumerate(model.factors):
            idx = [items[i] for i in its]
            if len(idx) >= 2:
                vals, vecs = np.linalg.eigh(R[np.ix_(idx, idx)])
                v = vecs[:, -1] * math.sqrt(max(vals[-1] - (1 - vals[-1]) / max(len(idx) - 1, 1), 0.2))
                v = v if v.sum() >= 0 else -v
                v = np.clip(v, -0.95, 0.95)
            else:
                v = np.array([0.7])
            lam0[idx, f] = v
        # a factor with a fixed non-zero loading (marker) is on that item's scale
        scale = np.ones(len(model.factors))
        for f in range(len(model.factors)):
            fixed = np.flatnonzero((gi.lam_i[:, f] < 0) & (gi.lam_v[:, f] != 0))
            if fixed.size and lam0[fixed[0], f] != 0:
                scale[f] = lam0[fixed[0], f] / gi.lam_v[fixed[0], f]
        th_sample = np.concatenate(st.th_list)
        for f_, a, b in gi.e_lam:
            theta0[f_] = lam0[a, b] / scale[b]
        for f_, a, b in gi.e_psi:
            if a == b:
                theta0[f_] = scale[a] ** 2
            else:
                ia = [items[i] for i in model.factors[a][1]]
                ib = [items[i] for i in model.factors[b][1]]
                r = float(np.mean(R[np.ix_(ia, ib)]))
                den = float(np.mean(np.abs(lam0[ia, a])) * np.mean(np.abs(lam0[ib, b])))
                theta0[f_] = float(np.clip(r / den if den > 0 else 0.0, -0.9, 0.9)) * scale[a] * scale[b]
        for f_, _ in gi.e_de:
            theta0[f_] = 1.0
        for f_, k in gi.e_tau:
            theta0[f_] = th_sample[k]
    # average entries sharing one parameter
    x0 = np.bincount(comp.red_of_full, weights=theta0, minlength=comp.n_red)
    cnt = np.bincount(comp.red_of_full, minlength=comp.n_red)
    return x0 / np.maximum(cnt, 1)


def _evaluate(comp: _Compiled, geo: _Geom, x: np.ndarray, with_jac: bool = True):
    theta = x[comp.red_of_full]
    sig, J, S0s, Cs = [], [], [], []
    for gi in comp.groups:
        m = _mats(gi, theta)
        s, S0, C = _implied(m, geo)
        sig.append(s)
        S0s.append(S0)
        Cs.append(C)
        if with_jac:
            J.append(_jacobian(gi, m, geo, S0, comp.n_full))
    return sig, J, Cs


def _reduce(J: np.ndarray, comp: _Compiled) -> np.ndarray:
    """Columns of entries sharing a parameter summed: J_full K."""
    return J @ comp.K


def _lm(comp: _Compiled, geo: _Geom, s: list[np.ndarray], sw: list[np.ndarray], x0: np.ndarray):
    """Levenberg-Marquardt on sum_g (n_g - 1) sum w (s - sigma)^2; returns x, F, iterations, converged."""
    x = x0.copy()

    def resid_jac(xx: np.ndarray, jac: bool = True):
        sig, J, _ = _evaluate(comp, geo, xx, jac)
        r = np.concatenate([swg * (sg - sgm) for swg, sg, sgm in zip(sw, s, sig, strict=True)])
        if not jac:
            return r, None
        Jr = np.vstack([swg[:, None] * _reduce(Jg, comp) for swg, Jg in zip(sw, J, strict=True)])
        return r, Jr

    r, Jr = resid_jac(x)
    F = float(r @ r)
    mu = 1e-3
    converged = False
    it = 0
    while it < _MAX_ITER:
        it += 1
        H = Jr.T @ Jr
        g = Jr.T @ r
        if not np.all(np.isfinite(H)):
            break
        scale = max(1.0, F)
        if np.max(np.abs(g)) < 1e-12 * scale:
            converged = True
            break
        dH = np.diag(H).copy()
        dH[dH <= 0] = 1e-12
        accepted = False
        small = False
        for _ in range(40):
            try:  # numpy's solve: no LinAlgWarning on the (legitimately) ill-conditioned early steps
                step = np.linalg.solve(H + mu * np.diag(dH), g)
            except np.linalg.LinAlgError:
                mu *= 10.0
                continue
            xn = x + step
            rn, _ = resid_jac(xn, jac=False)
            Fn = float(rn @ rn)
            if np.isfinite(Fn) and Fn <= F:
                accepted = True
                small = np.max(np.abs(step)) < 1e-11 * (1.0 + np.max(np.abs(x)))
                tiny_gain = (F - Fn) <= 1e-15 * scale
                x, F = xn, Fn
                r, Jr = resid_jac(x)
                mu = max(mu / 10.0, 1e-12)
                break
            mu *= 10.0
        if not accepted:
            converged = np.max(np.abs(g)) < 1e-7 * scale
            break
        if small or (tiny_gain and np.max(np.abs(Jr.T @ r)) < 1e-8 * scale):
            converged = True
            break
    return x, F, it, converged


def _flip_signs(model: OrdinalModel, comp: _Compiled, x: np.ndarray) -> np.ndarray:
    """Make the loadings of each factor sum to a positive number (the sign of a factor with a fixed
    variance is not identified).

    A unit is (group, factor); units whose loadings, means or covariances share a parameter must be
    flipped together.  Each connected set of units is flipped when its loadings sum to a negative
    number and no fixed non-zero loading pins its sign; a flip that would give one parameter two
    signs is not made.
    """
    q = len(model.factors)
    G = len(comp.groups)
    parent = list(range(G * q))

    def find(u: int) -> int:
        while parent[u] != u:
            parent[u] = parent[parent[u]]
            u = parent[u]
        return u

    owner: dict[int, list[int]] = {}
    for g, gi in enumerate(comp.groups):
        for f_, _, b in gi.e_lam:
            owner.setdefault(int(comp.red_of_full[f_]), []).append(g * q + int(b))
        for f_, b in gi.e_al:
            owner.setdefault(int(comp.red_of_full[f_]), []).append(g * q + int(b))
    for units in owner.values():
        for u in units[1:]:
            parent[find(u)] = find(units[0])
    theta = x[comp.red_of_full]
    total = np.zeros(G * q)
    pinned = np.zeros(G * q, dtype=bool)
    for g, gi in enumerate(comp.groups):
        total[g * q : (g + 1) * q] = _mats(gi, theta).L.sum(axis=0)
        pinned[g * q : (g + 1) * q] = np.any((gi.lam_i < 0) & (gi.lam_v != 0), axis=0)
    roots = np.array([find(u) for u in range(G * q)])
    unit_sign = np.ones(G * q)
    for r in np.unique(roots):
        members = roots == r
        if total[members].sum() < 0 and not pinned[members].any():
            unit_sign[members] = -1.0
    if np.all(unit_sign > 0):
        return x
    sign = np.ones(comp.n_full)
    for g, gi in enumerate(comp.groups):
        for f_, _, b in gi.e_lam:
            sign[f_] = unit_sign[g * q + b]
        for f_, b in gi.e_al:
            sign[f_] = unit_sign[g * q + b]
        for f_, a, b in gi.e_psi:
            sign[f_] = unit_sign[g * q + a] * unit_sign[g * q + b]
    xs = x.copy()
    for r in range(comp.n_red):
        sg = sign[comp.red_of_full == r]
        if not np.all(sg == sg[0]):
            return x
        xs[r] = x[r] * sg[0]
    return xs


def fit_wlsmv_model(data: OrdinalData, model: OrdinalModel, *, start: np.ndarray | None = None) -> WLSMVModelFit:
    """Fit a multi-group ordinal CFA by WLSMV (delta parameterisation).

    Matches ``lavaan::cfa(<the model as syntax>, data, ordered = TRUE, group = <group>,
    estimator = "WLSMV", parameterization = "delta")`` (lavaan 0.6-14): estimates, robust SEs,
    ``fitMeasures()``.  See the module docstring for the formulas.

    Parameters
    ----------
    data : :func:`prepare_ordinal_data` output; its items must be ``model.items`` in the same order.
    model : :class:`OrdinalModel` with ``n_groups`` equal to the number of groups in ``data``.
    start : optional start values for the distinct free parameters.

    Raises
    ------
    UsageError
        Malformed parameter table, items that do not match the data.
    DataError
        A singular information matrix (the model is not identified), unusable weights.
    """
    if tuple(model.items) != tuple(data.items):
        raise UsageError("the model's items must be the data's items in the same order")
    if model.n_groups != len(data.group_labels):
        raise UsageError(f"the model has {model.n_groups} group(s), the data {len(data.group_labels)}")
    nth = data.n_thresholds
    comp = _compile(model, nth)
    geo = _geom(nth)
    G = model.n_groups
    s, w = _stat_vectors(data)
    n = np.array(data.n_obs, dtype=float)
    N = float(n.sum())
    fg = n / N
    sw = [np.sqrt((ng - 1.0) * wg) for ng, wg in zip(n, w, strict=True)]
    warn: list[str] = list(data.warnings)
    x0 = _start(model, data, comp) if start is None else np.asarray(start, dtype=float)
    if x0.shape != (comp.n_red,):
        raise UsageError(f"start must have {comp.n_red} values")
    x, _, iters, converged = _lm(comp, geo, s, sw, x0)
    if not converged:
        warn.append(f"the DWLS optimiser did not converge in {iters} iterations")
    x = _flip_signs(model, comp, x)
    sig, Jfull, Cs = _evaluate(comp, geo, x)
    Delta = [_reduce(J, comp) for J in Jfull]
    chisq = float(sum((ng - 1.0) * np.sum(wg * (sg - sgm) ** 2) for ng, wg, sg, sgm in zip(n, w, s, sig, strict=True)))
    ndat = G * (geo.T + geo.P)
    df = ndat - comp.n_red
    if df < 0:
        raise UsageError(
            f"the model is not identified: {comp.n_red} free parameters for {ndat} sample statistics (df = {df})"
        )
    E = sum(f * (D.T * wg) @ D for f, D, wg in zip(fg, Delta, w, strict=True))
    E = 0.5 * (E + E.T)
    ev = np.linalg.eigvalsh(E)
    if not np.all(np.isfinite(ev)) or ev.min() <= 1e-10 * max(ev.max(), 1e-300):
        raise DataError("the information matrix is singular: the model is not identified")
    Einv = np.linalg.inv(E)
    gammas = [st.gamma for st in data.stage1]
    B = sum(f * (D.T * wg) @ Gm @ (D * wg[:, None]) for f, D, wg, Gm in zip(fg, Delta, w, gammas, strict=True))
    V = Einv @ B @ Einv / (N - G)
    se = np.sqrt(np.clip(np.diag(V), 0.0, None))

    # scaled-shifted test (lav_test_satorra_bentler_trace_ABA)
    v_all = np.concatenate([f * wg for f, wg in zip(fg, w, strict=True)])
    G_all = linalg.block_diag(*[Gm / f for Gm, f in zip(gammas, fg, strict=True)])
    D_all = np.vstack(Delta)
    VD = D_all * v_all[:, None]
    U = np.diag(v_all) - VD @ Einv @ VD.T
    UG = U @ G_all
    trUG = float(np.trace(UG))
    trUG2 = float(np.sum(UG * UG.T))
    chisq_scaled, scaling, shift = scaled_shifted_test(chisq, df, trUG, trUG2)
    pval = float(stats.chi2.sf(chisq, df)) if df > 0 else float("nan")
    pval_scaled = float(stats.chi2.sf(chisq_scaled, df)) if df > 0 else float("nan")

    # baseline: thresholds free, correlations 0 in every group
    T = geo.T
    bl_chisq = float(sum((ng - 1.0) * np.sum(wg[T:] * sg[T:] ** 2) for ng, wg, sg in zip(n, w, s, strict=True)))
    bl_df = G * geo.P
    bl_tr = bl_tr2 = 0.0
    for wg, Gm in zip(w, gammas, strict=True):
        UGb = wg[T:, None] * Gm[T:, T:]
        bl_tr += float(np.trace(UGb))
        bl_tr2 += float(np.sum(UGb * UGb.T))
    bl_scaled, bl_scaling, bl_shift = scaled_shifted_test(bl_chisq, bl_df, bl_tr, bl_tr2)
    bl_p = float(stats.chi2.sf(bl_chisq, bl_df)) if bl_df > 0 else float("nan")
    bl_p_scaled = float(stats.chi2.sf(bl_scaled, bl_df)) if bl_df > 0 else float("nan")

    # robust (catML) indices, lav_fit_catml_dwls
    XX3 = c3 = XX3n = c3n = float("nan")
    df3: float = float("nan")
    constrained_mean = [
        comp.kind_of_full[a] in ("tau", "nu") or comp.kind_of_full[b] in ("tau", "nu") for a, b in comp.eq_pairs
    ]
    pd_ok = all(np.linalg.eigvalsh(st.R).min() >= _SQRT_EPS for st in data.stage1)
    if any(constrained_mean):
        warn.append(
            "robust CFI/TLI/RMSEA are not available: lavaan 0.6-14 cannot build its catML model when "
            "thresholds or intercepts are constrained equal (it reports NA)"
        )
    elif not pd_ok:
        warn.append("a polychoric correlation matrix is not positive definite: robust CFI/TLI/RMSEA are NA")
    else:
        struct = {comp.red_of_full[f] for f in range(comp.n_full) if comp.kind_of_full[f] not in ("tau", "nu")}
        df3 = float(bl_df - len(struct))
        try:
            XX3, XX3n = 0.0, 0.0
            Vblocks = []
            iu, ju = geo.iu, geo.ju
            for ng, st, C in zip(n, data.stage1, Cs, strict=True):
                Si = np.linalg.inv(C)
                _, ld_imp = np.linalg.slogdet(C)
                _, ld_s = np.linalg.slogdet(st.R)
                XX3 += ng * (ld_imp - ld_s + float(np.sum(st.R * Si)) - len(data.items))
                XX3n += -ng * ld_s
                Vblocks.append(Si[iu][:, iu] * Si[ju][:, ju] + Si[iu][:, ju] * Si[ju][:, iu])
            Vr = linalg.block_diag(*[f * Vb for f, Vb in zip(fg, Vblocks, strict=True)])
            wr = np.concatenate([f * wg[T:] for f, wg in zip(fg, w, strict=True)])
            Gr = linalg.block_diag(*[Gm[T:, T:] / f for Gm, f in zip(gammas, fg, strict=True)])
            Dr = np.vstack([D[T:] for D in Delta])
            WiU = np.eye(Dr.shape[0]) - Dr @ Einv @ (Dr.T * wr)
            ks = float(np.trace(WiU.T @ Vr @ WiU @ Gr))
            with np.errstate(divide="ignore", invalid="ignore"):
                c3 = float(np.float64(ks) / df3)
            c3n = float(np.trace(Gr)) / bl_df
        except np.linalg.LinAlgError:
            XX3 = c3 = XX3n = c3n = float("nan")
            warn.append("a model-implied correlation matrix is singular: robust CFI/TLI/RMSEA are NA")

    # SRMR (n_g/N-weighted srmr_bentler_nomean)
    p = len(data.items)
    srmr = 0.0
    for f, st, C in zip(fg, data.stage1, Cs, strict=True):
        resid = st.R - C
        srmr += f * math.sqrt(float(np.sum(resid[np.triu_indices(p)] ** 2)) / (p * (p + 1) / 2))

    n_fit = N - G
    ci_u = lavaan_rmsea_ci(chisq, df, n_fit, G=G)
    ci_s = lavaan_rmsea_ci(chisq_scaled, df, n_fit, G=G)
    with np.errstate(divide="ignore", invalid="ignore"):
        XX3s = float(np.float64(XX3) / c3)
    ci_r = lavaan_rmsea_ci(XX3s, df3, n_fit, c=c3, G=G)
    fitm = WLSMVFit(
        npar=int(comp.n_red),
        fmin=chisq / (2.0 * N),
        ntotal=int(N),
        chisq=chisq,
        df=int(df),
        pvalue=pval,
        chisq_scaled=chisq_scaled,
        pvalue_scaled=pval_scaled,
        scaling_factor=scaling,
        shift=shift,
        trace_ugamma=trUG,
        trace_ugamma2=trUG2,
        baseline_chisq=bl_chisq,
        baseline_df=int(bl_df),
        baseline_pvalue=bl_p,
        baseline_chisq_scaled=bl_scaled,
        baseline_pvalue_scaled=bl_p_scaled,
        baseline_scaling_factor=bl_scaling,
        baseline_shift=bl_shift,
        cfi=lavaan_cfi(chisq, df, bl_chisq, bl_df),
        tli=lavaan_tli(chisq, df, bl_chisq, bl_df),
        cfi_scaled=lavaan_cfi(chisq_scaled, df, bl_scaled, bl_df),
        tli_scaled=lavaan_tli(chisq_scaled, df, bl_scaled, bl_df),
        cfi_robust=lavaan_cfi(XX3, df, XX3n, bl_df, c3, c3n),
        tli_robust=lavaan_tli(XX3, df, XX3n, bl_df, c3, c3n),
        rmsea=lavaan_rmsea(chisq, df, n_fit, G=G),
        rmsea_ci_lower=ci_u[0],
        rmsea_ci_upper=ci_u[1],
        rmsea_pvalue=lavaan_rmsea_pvalue(chisq, df, n_fit, G=G),
        rmsea_scaled=lavaan_rmsea(chisq_scaled, df, n_fit, G=G),
        rmsea_ci_lower_scaled=ci_s[0],
        rmsea_ci_upper_scaled=ci_s[1],
        rmsea_pvalue_scaled=lavaan_rmsea_pvalue(chisq_scaled, df, n_fit, G=G),
        rmsea_robust=lavaan_rmsea(XX3, df3, n_fit, c3, G=G),
        rmsea_ci_lower_robust=ci_r[0],
        rmsea_ci_upper_robust=ci_r[1],
        rmsea_pvalue_robust=lavaan_rmsea_pvalue(XX3s, df3, n_fit, c3, G=G),
        srmr=srmr,
        catml_chisq=float(XX3),
        catml_scaling=float(c3),
        catml_baseline_chisq=float(XX3n),
        catml_baseline_scaling=float(c3n),
    )
    theta = x[comp.red_of_full]
    for g, gi in enumerate(comp.groups):
        m = _mats(gi, theta)
        rv = 1.0 / m.de**2 - np.einsum("if,fh,ih->i", m.L, m.Psi, m.L)
        if np.any(rv < 0):
            bad = [data.items[i] for i in np.flatnonzero(rv < 0)]
            warn.append(
                f"negative residual variance (Heywood case) in group {data.group_labels[g]!r}: {', '.join(bad)}"
            )
    return WLSMVModelFit(
        model=model,
        data=data,
        estimates=x,
        estimates_se=se,
        fit=fitm,
        converged=bool(converged),
        iterations=int(iters),
        warnings=tuple(warn),
        _comp=comp,
        _delta=tuple(Delta),
        _info=E,
    )


# ----------------------------------------------------------------------------- difference test
@dataclass(frozen=True)
class WLSMVDifference(StatResult):
    """``lavTestLRT(m1, m0)`` for WLSMV fits: the Satorra (2000) scaled-and-shifted difference test.

    ``chisq_diff = (T0 - T1) a + b`` on ``df_diff = df0 - df1`` degrees of freedom, ``a = sqrt(m /
    tr((U Gamma)^2))``, ``b = m - a tr(U Gamma)`` (lavaan's ``attr(, "scale")`` and ``attr(, "shift")``);
    ``chisq_diff_standard = T0 - T1`` is the difference of the standard statistics.
    """

    chisq_diff: float
    df_diff: int
    pvalue: float
    scale_a: float
    shift_b: float
    chisq_diff_standard: float
    trace_ugamma: float
    trace_ugamma2: float

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable({k: getattr(self, k) for k in self.__dataclass_fields__})


def _ginv_sym(A: np.ndarray, tol: float = _SQRT_EPS) -> np.ndarray:
    """MASS::ginv of a symmetric matrix: its singular values are the absolute eigenvalues, so the
    pseudo-inverse drops eigenvalues with ``|lambda| <= tol * max |lambda|``."""
    if A.size == 0:
        return A.copy()
    lam, V = np.linalg.eigh(0.5 * (A + A.T))
    keep = np.abs(lam) > tol * np.abs(lam).max()
    return (V[:, keep] / lam[keep]) @ V[:, keep].T


def wlsmv_lrt(m1: WLSMVModelFit, m0: WLSMVModelFit) -> WLSMVDifference:
    """Scaled-shifted difference test of nested WLSMV fits (``lavaan::lavTestLRT(m1, m0)``).

    ``m1`` is the less restricted model, ``m0`` the more restricted one (as ``lavTestLRT``, the two
    are ordered by their degrees of freedom, so the argument order does not matter); both must be
    fitted to the same :class:`OrdinalData`.  With equal degrees of freedom lavaan reports the plain
    difference with ``df = 0`` and no p-value (NaN).  Matches lavaan 0.6-14 ``lav_test_diff_Satorra2000(m1, m0, H1 = TRUE,
    A.method = "delta", scaled.shifted = TRUE)``: ``A`` is the orthogonal complement of
    ``ginv(Delta1) Delta0`` (both Jacobians at their own estimates), ``P = E1`` and ``Gamma``, ``W``
    those of ``m1``.
    """
    if m1.data is not m0.data:
        raise UsageError("the two models must be fitted to the same data (OrdinalData object)")
    if m0.fit.df < m1.fit.df:  # lavTestLRT orders the models by their degrees of freedom
        m1, m0 = m0, m1
    T1, r1 = m1.fit.chisq, m1.fit.df
    T0, r0 = m0.fit.chisq, m0.fit.df
    m = r0 - r1
    if m == 0:  # lavaan: the plain difference, no scaling, p-value NA ("same degrees of freedom")
        nan = float("nan")
        return WLSMVDifference(
            chisq_diff=float(T0 - T1),
            df_diff=0,
            pvalue=nan,
            scale_a=nan,
            shift_b=nan,
            chisq_diff_standard=float(T0 - T1),
            trace_ugamma=nan,
            trace_ugamma2=nan,
        )
    data = m1.data
    n = np.array(data.n_obs, dtype=float)
    fg = n / n.sum()
    _, w = _stat_vectors(data)
    gammas = [st.gamma for st in data.stage1]
    D1 = np.vstack(m1._delta)
    D0 = np.vstack(m0._delta)
    # ginv(D1) D0: D1 has full column rank (E1 = sum f_g D1_g' W_g D1_g is nonsingular), so the
    # pseudo-inverse is the least-squares solution, computed by QR
    Q1, R1 = np.linalg.qr(D1)
    H = linalg.solve_triangular(R1, Q1.T @ D0)
    # orthogonal complement of the column space of H (lav_matrix_orthogonal_complement: QR, R's tol 1e-7)
    Q, Rq = np.linalg.qr(H, mode="complete")
    dR = np.abs(np.diag(Rq)) if Rq.size else np.zeros(0)
    rank = int(np.sum(dR > 1e-7 * (dR.max() if dR.size else 0.0)))
    A = Q[:, rank:].T
    Pinv = np.linalg.inv(m1._info)
    APA = A @ Pinv @ A.T
    empty = (np.abs(APA.sum(axis=0)) < _SQRT_EPS) & (np.abs(APA.sum(axis=1)) < _SQRT_EPS)
    if empty.any():
        A = A[~empty]
    PAAPAAP = Pinv @ A.T @ _ginv_sym(A @ Pinv @ A.T) @ A @ Pinv
    tr1 = 0.0
    for f, D, wg, Gm in zip(fg, m1._delta, w, gammas, strict=True):
        M = D @ PAAPAAP @ D.T
        tr1 += f * float(np.sum((wg[:, None] * Gm * wg[None, :]) * M.T))
    v_all = np.concatenate(w)
    G_all = linalg.block_diag(*[f * Gm for f, Gm in zip(fg, gammas, strict=True)])
    VD = D1 * v_all[:, None]
    UG = VD @ PAAPAAP @ VD.T @ G_all
    tr2 = float(np.sum(UG * UG.T))
    a = math.sqrt(m / tr2)
    b = m - a * tr1
    stat = (T0 - T1) * a + b
    return WLSMVDifference(
        chisq_diff=float(stat),
        df_diff=int(m),
        pvalue=float(stats.chi2.sf(stat, m)),
        scale_a=a,
        shift_b=b,
        chisq_diff_standard=float(T0 - T1),
        trace_ugamma=tr1,
        trace_ugamma2=tr2,
    )


# ----------------------------------------------------------------------------- score tests
@dataclass(frozen=True)
class Restriction:
    """A restriction of a fitted model that a score test can release.

    ``kind == "equal"``: the free parameters ``params[0]`` and ``params[1]`` (indices into
    ``model.params``) share a label (one lavaan ``==`` row).  ``kind == "fixed"``: the fixed parameter
    ``params[0]`` is held at its value (lavaan: a free parameter with an ``== value`` constraint).
    """

    kind: str
    params: tuple[int, ...]


def model_restrictions(fit: WLSMVModelFit) -> tuple[Restriction, ...]:
    """The equality restrictions of a fit, one per lavaan ``==`` row (first entry of a label vs the others)."""
    comp: _Compiled = fit._comp
    return tuple(Restriction("equal", (int(comp.full_param[a]), int(comp.full_param[b]))) for a, b in comp.eq_pairs)


def wlsmv_score_test(fit: WLSMVModelFit, release: Sequence[Restriction]) -> tuple[float, int, float]:
    """Score test of releasing ``release`` together (``lavTestScore(fit, release = rows)$test``).

    Equality restrictions must be among :func:`model_restrictions`; ``"fixed"`` restrictions name fixed
    parameters to be freed (the fit is treated as the same model with those parameters free and
    constrained to their values).  lavaan 0.6-14 uses the ordinary score test for WLSMV:
    ``N g' Z^+ g`` with the DWLS gradient ``g = -sum_g (n_g - 1)/N J_g' W_g (s_g - sigma_g)``, the
    expected information ``I = sum_g n_g/N J_g' W_g J_g`` and ``Z`` the information bordered by the
    Jacobian of the restrictions kept; the top-left block of ``Z^-1`` is ``K1 (K1' I K1)^-1 K1'`` with
    ``K1`` a basis of the parameters the kept restrictions allow, evaluated here by a Schur complement.
    Returns ``(X2, df, p)``.
    """
    return wlsmv_score_tests(fit, [release])[0]


def wlsmv_score_tests(fit: WLSMVModelFit, releases: Sequence[Sequence[Restriction]]) -> list[tuple[float, int, float]]:
    """:func:`wlsmv_score_test` for several release sets, sharing the gradient and information."""
    model = fit.model
    comp: _Compiled = fit._comp
    eq_known = set(model_restrictions(fit))
    for release in releases:
        if not release:
            raise UsageError("release is empty")
        for r in release:
            if r.kind not in ("equal", "fixed"):
                raise UsageError(f"unknown restriction kind {r.kind!r}")
            if r.kind == "fixed" and model.params[r.params[0]].free:
                raise UsageError(f"parameter {r.params[0]} is free, not fixed")
            if r.kind == "equal" and r not in eq_known:
                raise UsageError(f"{r} is not an equality restriction of the model")
    freed = sorted({r.params[0] for rel in releases for r in rel if r.kind == "fixed"})
    theta = fit.estimates[comp.red_of_full]
    if freed:
        params = list(model.params)
        for k in freed:
            params[k] = replace(params[k], free=True, label="")
        ext = _compile(replace(model, params=tuple(params)), fit.data.n_thresholds)
        value_of_param = {int(k): float(theta[f]) for f, k in enumerate(comp.full_param)}
        theta_ext = np.array([value_of_param.get(int(k), model.params[int(k)].value) for k in ext.full_param])
    else:
        ext, theta_ext = comp, theta
    full_of_param = {int(k): f for f, k in enumerate(ext.full_param)}
    # K: the fitted model's parameters in the extended space (freed entries stay at their values)
    K = np.zeros((ext.n_full, comp.n_red))
    for f, k in enumerate(comp.full_param):
        K[full_of_param[int(k)], comp.red_of_full[f]] = 1.0
    geo = _geom(fit.data.n_thresholds)
    s, w = _stat_vectors(fit.data)
    n = np.array(fit.data.n_obs, dtype=float)
    N = float(n.sum())
    score = np.zeros(ext.n_full)
    info = np.zeros((ext.n_full, ext.n_full))
    for gi, sg, wg, ng in zip(ext.groups, s, w, n, strict=True):
        m = _mats(gi, theta_ext)
        sig, S0, _ = _implied(m, geo)
        J = _jacobian(gi, m, geo, S0, ext.n_full)
        score -= (ng - 1.0) / N * (J.T @ (wg * (sg - sig)))
        info += ng / N * (J.T * wg) @ J
    IK = info @ K
    M = K.T @ IK
    Minv = _ginv_sym(M)
    u = K.T @ score
    Mu = Minv @ u
    base = float(u @ Mu)
    out = []
    for release in releases:
        # releasing "a == b" lets entry b move on its own; freeing a fixed parameter lets its entry move
        cols = sorted(
            {full_of_param[r.params[1]] if r.kind == "equal" else full_of_param[r.params[0]] for r in release}
        )
        B = IK[cols].T  # K' I E
        Cm = info[np.ix_(cols, cols)]  # E' I E
        S = Cm - B.T @ Minv @ B
        t = score[cols] - B.T @ Mu
        stat = float(N * (base + t @ _ginv_sym(S) @ t))
        df = len(release)
        out.append((stat, df, float(stats.chi2.sf(stat, df))))
    return out
