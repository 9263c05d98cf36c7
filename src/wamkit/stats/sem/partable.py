"""lavaan-style parameter tables (``lavaan::lavaanify`` with the ``cfa()``/``sem()`` defaults).

A :class:`ParTable` has one row per model element and group, in lavaan's order: the
user's elements first (as written), then the automatically added ones (residual
variances of the observed non-exogenous variables, latent variances, covariances of
exogenous latent variables, covariances of purely dependent variables, the exogenous
covariate block, intercepts), repeated per group.

Columns (lavaan names, ``.`` → ``_``):

* ``id`` (1-based), ``lhs``, ``op``, ``rhs``, ``user`` (1 written by the user, 0 added),
  ``block``/``group`` (1-based);
* ``free``: 0 for a fixed parameter, else the parameter's number among all free rows
  (lavaan's ``free`` with ``ceq.simple = FALSE``: parameters tied by a label or by
  ``group.equal`` keep their own numbers and are linked by equality constraints);
* ``par``: 0 for fixed, else the number of the distinct parameter after the equality
  constraints are imposed (what the optimiser estimates);
* ``ustart``: fixed value or user start value (NaN when none; exogenous covariate
  moments are NaN here and taken from the data at fit time);
* ``exo``: 1 for the fixed moments of exogenous observed covariates (``fixed.x = TRUE``);
* ``label`` (user label, or the reference ``plabel`` for parameters tied by equality),
  ``plabel`` (``.p<id>.``).

``constraints`` lists the equality constraints in lavaan's order (``lavTestScore``'s
rows): user ``==`` statements, then one per tied pair ``.p<ref>. == .p<other>.``.

Automatic rules (``cfa()``/``sem()``): ``auto.fix.first`` (first loading of each latent
variable fixed to 1) unless ``std_lv`` (latent (residual) variances fixed to 1),
``auto.fix.single``, ``auto.var``, ``auto.cov.lv.x``, ``auto.cov.y``, ``int.ov.free``,
``int.lv.free = FALSE``, ``fixed.x = TRUE``; with several groups, ``group.equal`` ties
group-1 parameters of a class across groups (except those in ``group.partial``), and
equal intercepts free the latent means of groups 2..G (equal loadings with ``std_lv``
free the latent variances of groups 2..G), as lavaan.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from wamkit.errors import UsageError
from wamkit.stats.sem.syntax import Modifier, ParsedModel, parse_syntax

__all__ = ["GROUP_EQUAL", "EqualityConstraint", "ParTable", "build_partable", "normalise_partial"]

#: lavaan ``group.equal`` classes understood here
GROUP_EQUAL = (
    "loadings",
    "intercepts",
    "means",
    "thresholds",
    "regressions",
    "residuals",
    "residual.covariances",
    "lv.variances",
    "lv.covariances",
)


@dataclass(frozen=True)
class EqualityConstraint:
    """An equality constraint ``lhs == rhs`` (lavaan's ``==`` rows; ``lhs``/``rhs`` as lavaan prints them).

    ``rows`` are the 0-based parameter-table rows of the two sides (``rhs_row`` is -1 for a
    constant); ``jacobian`` maps 0-based ``free`` indices to coefficients of
    ``lhs − rhs``; ``user`` is 1 for a ``==`` statement, 2 for a tie made by a shared label or
    ``group.equal``.
    """

    lhs: str
    rhs: str
    lhs_row: int
    rhs_row: int
    jacobian: tuple[tuple[int, float], ...]
    user: int


@dataclass(frozen=True)
class ParTable:
    """A parameter table (see the module docstring for the columns)."""

    lhs: tuple[str, ...]
    op: tuple[str, ...]
    rhs: tuple[str, ...]
    user: np.ndarray
    group: np.ndarray
    free: np.ndarray
    par: np.ndarray
    ustart: np.ndarray
    exo: np.ndarray
    label: tuple[str, ...]
    plabel: tuple[str, ...]
    lower: np.ndarray
    upper: np.ndarray
    constraints: tuple[EqualityConstraint, ...]
    ov_names: tuple[str, ...]
    lv_names: tuple[str, ...]
    ov_x: tuple[str, ...]
    ngroups: int
    meanstructure: bool
    std_lv: bool
    fixed_x: bool
    group_equal: tuple[str, ...] = ()
    group_partial: tuple[str, ...] = ()
    release: tuple[tuple[str, str, str, int], ...] = ()
    model: ParsedModel | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.lhs)

    @property
    def nx(self) -> int:
        """Number of free rows (lavaan ``nx.free``, before equality constraints)."""
        return int(self.free.max()) if len(self.free) else 0

    @property
    def npar(self) -> int:
        """Number of distinct free parameters (lavaan's ``npar`` in ``fitMeasures``)."""
        return int(self.par.max()) if len(self.par) else 0

    @property
    def ov_nox(self) -> tuple[str, ...]:
        return tuple(v for v in self.ov_names if v not in self.ov_x)

    def x_to_par(self) -> np.ndarray:
        """0-based reduced parameter index for every 0-based free index (length ``nx``)."""
        out = np.empty(self.nx, dtype=np.int64)
        mask = self.free > 0
        out[self.free[mask] - 1] = self.par[mask] - 1
        return out

    def rows(
        self, *, lhs: str | None = None, op: str | None = None, rhs: str | None = None, group: int | None = None
    ) -> np.ndarray:
        """0-based row numbers matching the given fields."""
        keep = np.ones(len(self), dtype=bool)
        if lhs is not None:
            keep &= np.array([v == lhs for v in self.lhs])
        if op is not None:
            keep &= np.array([v == op for v in self.op])
        if rhs is not None:
            keep &= np.array([v == rhs for v in self.rhs])
        if group is not None:
            keep &= self.group == group
        return np.nonzero(keep)[0]

    def to_frame(self) -> pd.DataFrame:
        """``lavaan::parTable()``-like frame: ``id, lhs, op, rhs, user, block, group, free, par, ustart, exo,
        label, plabel`` (constraint rows not included; see ``constraints``)."""
        n = len(self)
        return pd.DataFrame(
            {
                "id": np.arange(1, n + 1),
                "lhs": list(self.lhs),
                "op": list(self.op),
                "rhs": list(self.rhs),
                "user": self.user,
                "block": self.group,
                "group": self.group,
                "free": self.free,
                "par": self.par,
                "ustart": self.ustart,
                "exo": self.exo,
                "label": list(self.label),
                "plabel": list(self.plabel),
            }
        )

    def constraint_frame(self) -> pd.DataFrame:
        """Equality constraints as lavaan lists them: ``lhs, op, rhs, user``."""
        return pd.DataFrame(
            {
                "lhs": [c.lhs for c in self.constraints],
                "op": "==",
                "rhs": [c.rhs for c in self.constraints],
                "user": [c.user for c in self.constraints],
            }
        )

    def to_dict(self) -> dict[str, Any]:
        from wamkit.results import to_jsonable

        return {
            "parameters": to_jsonable(self.to_frame()),
            "constraints": to_jsonable(self.constraint_frame()),
            "ov_names": list(self.ov_names),
            "lv_names": list(self.lv_names),
            "ov_x": list(self.ov_x),
            "ngroups": self.ngroups,
            "meanstructure": self.meanstructure,
        }


# ---------------------------------------------------------------------------------------------
# variable classes (lav_partable_vnames)
# ---------------------------------------------------------------------------------------------
@dataclass
class _Names:
    lv: list[str]
    ov: list[str]
    ov_x: list[str]
    ov_nox: list[str]
    lv_x: list[str]
    lvov_y: list[str]
    ov_ind: list[str]
    ov_ord: list[str]


def _names(model: ParsedModel) -> _Names:
    fs = model.formulas
    lv = list(model.latent_names)
    ov = list(model.observed_names)
    v_ind = list(dict.fromkeys(f.rhs for f in fs if f.op == "=~"))
    ov_ind = [v for v in v_ind if v not in lv]
    eqs_y = list(dict.fromkeys(f.lhs for f in fs if f.op == "~"))
    eqs_x = list(dict.fromkeys(f.rhs for f in fs if f.op == "~"))
    ov_y_all = [v for v in eqs_y if v not in lv and v not in ov_ind]
    cand = [v for v in eqs_x if v not in lv and v not in ov_ind and v not in ov_y_all]
    # exogenous covariates given a variance/covariance/intercept by the user become random (lavaan warns)
    touched = set()
    for f in fs:
        if f.op in ("~1", "~~"):
            touched.add(f.lhs)
        if f.op == "~~":
            touched.add(f.rhs)
    ov_x = [v for v in cand if v not in touched]
    ov_nox = [v for v in ov if v not in ov_x]
    lv_x = [v for v in lv if v not in v_ind and v not in eqs_y]
    dep = [v for v in eqs_y if v not in v_ind and v not in eqs_x]
    lv_y = [v for v in lv if v in dep]
    ov_y = [v for v in ov if v in dep and v not in lv]
    ov_ord = [v for v in ov if any(f.op == "|" and f.lhs == v for f in fs)]
    return _Names(lv, ov, ov_x, ov_nox, lv_x, lv_y + ov_y, ov_ind, ov_ord)


def normalise_partial(spec: str) -> str:
    """lavaan ``group.partial`` entry without spaces: ``"visual =~ x2"`` → ``"visual=~x2"``, ``"x3 ~ 1"`` → ``"x3~1"``."""
    return re.sub(r"\s+", "", spec)


def _row_key(lhs: str, op: str, rhs: str) -> str:
    return f"{lhs}{op}{rhs}"


# ---------------------------------------------------------------------------------------------
# builder
# ---------------------------------------------------------------------------------------------
class _UF:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, a: int) -> int:
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def build_partable(
    model: str | ParsedModel,
    *,
    ngroups: int = 1,
    meanstructure: bool = False,
    std_lv: bool = False,
    auto_fix_first: bool | None = None,
    fixed_x: bool = True,
    orthogonal: bool = False,
    int_ov_free: bool = True,
    int_lv_free: bool = False,
    group_equal: Sequence[str] = (),
    group_partial: Sequence[str] = (),
    release: Sequence[tuple[str, str, str, int]] = (),
) -> ParTable:
    """Build the parameter table lavaan's ``cfa()``/``sem()`` would build.

    Parameters
    ----------
    model : str or ParsedModel
        lavaan syntax (see :func:`wamkit.stats.sem.syntax.parse_syntax`).
    ngroups : int
        Number of groups; ``c(...)`` modifiers must have this length (or 1).
    meanstructure : bool
        Add intercepts/means (forced on by any ``~1`` in the syntax).
    std_lv : bool
        Fix latent (residual) variances to 1 and free all loadings (lavaan ``std.lv``).
    auto_fix_first : bool, optional
        Fix the first loading of each latent variable to 1; default ``not std_lv``.
    fixed_x : bool
        Exogenous observed covariates' variances, covariances and means are fixed to their
        sample values (lavaan ``fixed.x = TRUE``, its default for ML).
    orthogonal : bool
        Latent covariances added automatically are fixed to 0.
    int_ov_free, int_lv_free : bool
        Observed intercepts free / latent means free (``cfa``/``sem``: True / False).
    group_equal : sequence of str
        lavaan ``group.equal`` classes (:data:`GROUP_EQUAL`).
    group_partial : sequence of str
        lavaan ``group.partial``: parameters exempt from ``group_equal``, e.g.
        ``"visual =~ x2"`` or ``"x3 ~ 1"``.
    release : sequence of (lhs, op, rhs, group)
        Rows (``op`` ``"~1"`` with ``rhs = ""``; ``group`` 1-based) taken out of the
        equality they would share through a label or ``group_equal`` (one
        ``lavTestScore`` constraint each; used by partial invariance).

    Returns
    -------
    ParTable
        Agrees row by row with ``lavaan::lavaanify(model, auto = TRUE, ...)`` for the
        supported syntax (lavaan 0.6-14).
    """
    pm = model if isinstance(model, ParsedModel) else parse_syntax(model)
    if not isinstance(ngroups, int) or ngroups < 1:
        raise UsageError("ngroups must be a positive integer")
    bad = [e for e in group_equal if e not in GROUP_EQUAL]
    if bad:
        raise UsageError(f"unknown group_equal class {bad[0]!r}; use any of {', '.join(GROUP_EQUAL)}")
    if auto_fix_first is None:
        auto_fix_first = not std_lv
    if any(f.op == "~1" for f in pm.formulas):
        meanstructure = True
    nm = _names(pm)
    lv_set = set(nm.lv)

    # ---- default elements (lav_partable_flat) ------------------------------------------------
    defaults: list[tuple[str, str, str]] = []
    defaults += [(v, "~~", v) for v in nm.ov_nox]
    defaults += [(v, "~~", v) for v in nm.lv]
    if len(nm.lv_x) > 1:
        defaults += [(a, "~~", b) for a, b in itertools.combinations(nm.lv_x, 2)]
    if len(nm.lvov_y) > 1:
        defaults += [(a, "~~", b) for a, b in itertools.combinations(nm.lvov_y, 2)]
    nx_ = len(nm.ov_x)
    for j in range(nx_):
        for i in range(j, nx_):
            defaults.append((nm.ov_x[j], "~~", nm.ov_x[i]))
    if meanstructure:
        defaults += [(v, "~1", "") for v in nm.ov] + [(v, "~1", "") for v in nm.lv]
    defaults += [(v, "~*~", v) for v in nm.ov_ord]  # scale factors of ordinal variables (delta parameterisation)

    user_rows: list[tuple[str, str, str]] = []
    user_mods: list[Modifier | None] = []
    for f in pm.formulas:
        user_rows.append((f.lhs, f.op, f.rhs))
        user_mods.append(f.modifier)
    user_set = set(user_rows)
    # a user '~~' written the other way round replaces the default (lavaan keeps the default orientation)
    flipped = {(b, "~~", a): (a, "~~", b) for (a, o, b) in user_rows if o == "~~" and a != b}
    kept_defaults = []
    for d in defaults:
        if d in user_set:
            continue
        if d in flipped:
            k = user_rows.index(flipped[d])
            user_rows[k] = d
            continue
        kept_defaults.append(d)
    base = user_rows + kept_defaults
    nb = len(base)
    b_lhs = [r[0] for r in base]
    b_op = [r[1] for r in base]
    b_rhs = [r[2] for r in base]
    b_user = np.array([1] * len(user_rows) + [0] * len(kept_defaults), dtype=np.int64)
    b_free = np.ones(nb, dtype=np.int64)
    b_ustart = np.full(nb, np.nan)
    b_exo = np.zeros(nb, dtype=np.int64)
    is_var = np.array([op_ == "~~" and lhs_ == rhs_ for lhs_, op_, rhs_ in base])
    lv_var = is_var & np.array([name in lv_set for name in b_lhs])
    if std_lv:
        b_ustart[lv_var] = 1.0
        b_free[lv_var] = 0
    if auto_fix_first:
        seen: set[str] = set()
        for k in range(nb):
            if b_op[k] == "=~" and b_lhs[k] not in seen:
                seen.add(b_lhs[k])
                b_ustart[k] = 1.0
                b_free[k] = 0
    # auto.fix.single: an indicator that is the only one of its latent (and of no other) has residual variance 0
    mm = [k for k in range(nb) if b_op[k] == "=~"]
    counts: dict[str, int] = {}
    for k in mm:
        counts[b_lhs[k]] = counts.get(b_lhs[k], 0) + 1
    rhs_counts: dict[str, int] = {}
    for k in mm:
        rhs_counts[b_rhs[k]] = rhs_counts.get(b_rhs[k], 0) + 1
    single = {b_rhs[k] for k in mm if counts[b_lhs[k]] == 1 and b_lhs[k] != b_rhs[k] and rhs_counts[b_rhs[k]] == 1}
    for k in range(nb):
        if is_var[k] and b_lhs[k] in single and b_user[k] == 0:
            b_ustart[k] = 0.0
            b_free[k] = 0
    if orthogonal:
        for k in range(nb):
            if (
                b_op[k] == "~~"
                and b_lhs[k] != b_rhs[k]
                and b_lhs[k] in lv_set
                and b_rhs[k] in lv_set
                and b_user[k] == 0
            ):
                b_ustart[k] = 0.0
                b_free[k] = 0
    if meanstructure:
        for k in range(nb):
            if b_op[k] == "~1" and b_user[k] == 0:
                is_lv = b_lhs[k] in lv_set
                if (is_lv and not int_lv_free) or (not is_lv and (not int_ov_free or b_lhs[k] in nm.ov_ord)):
                    b_ustart[k] = 0.0
                    b_free[k] = 0
    ov_x_set = set(nm.ov_x)
    if fixed_x and ov_x_set:
        for k in range(nb):
            if b_user[k] != 0:
                continue
            if (b_op[k] == "~~" and b_lhs[k] in ov_x_set and b_rhs[k] in ov_x_set) or (
                b_op[k] == "~1" and b_lhs[k] in ov_x_set
            ):
                b_ustart[k] = np.nan
                b_free[k] = 0
                b_exo[k] = 1
    if nm.ov_ord:
        for k in range(nb):
            if (is_var[k] or b_op[k] == "~*~") and b_lhs[k] in nm.ov_ord and b_user[k] == 0:
                b_ustart[k] = 1.0
                b_free[k] = 0

    # ---- replicate over groups ---------------------------------------------------------------
    G = ngroups
    lhs = b_lhs * G
    op = b_op * G
    rhs = b_rhs * G
    n = nb * G
    group = np.repeat(np.arange(1, G + 1), nb)
    user = np.tile(b_user, G)
    free = np.tile(b_free, G)
    ustart = np.tile(b_ustart, G)
    exo = np.tile(b_exo, G)
    label = [""] * n
    lower = np.full(n, -np.inf)
    upper = np.full(n, np.inf)
    geq = set(group_equal)
    for g in range(2, G + 1):
        for k in range(nb):
            r = (g - 1) * nb + k
            if user[r] != 0:
                continue
            if (
                meanstructure
                and op[r] == "~1"
                and lhs[r] in lv_set
                and not int_lv_free
                and ({"intercepts", "thresholds"} & geq)
                and "means" not in geq
            ):
                free[r] = 1
                ustart[r] = np.nan
            if (
                std_lv
                and "loadings" in geq
                and "lv.variances" not in geq
                and op[r] == "~~"
                and lhs[r] == rhs[r]
                and lhs[r] in lv_set
            ):
                free[r] = 1
                ustart[r] = np.nan

    # ---- modifiers ---------------------------------------------------------------------------
    for k, mod in enumerate(user_mods):
        if mod is None:
            continue
        rows = [k + g * nb for g in range(G)]
        where = f"{b_lhs[k]} {b_op[k]} {b_rhs[k]}".strip()

        def vec(v: tuple | None, name: str, where: str = where) -> tuple | None:
            if v is None:
                return None
            if len(v) == 1:
                return v * G
            if len(v) != G:
                raise UsageError(f"modifier {name} of {where!r} has {len(v)} values for {G} group(s)")
            return v

        fx = vec(mod.fixed, "c(...)")
        if fx is not None:
            for r, v in zip(rows, fx, strict=True):
                if v is None:
                    free[r] = 1
                    ustart[r] = np.nan
                else:
                    free[r] = 0
                    ustart[r] = float(v)
        st = vec(mod.start, "start()")
        if st is not None:
            for r, v in zip(rows, st, strict=True):
                ustart[r] = float(v)
        lb = vec(mod.label, "label")
        if lb is not None:
            for r, v in zip(rows, lb, strict=True):
                label[r] = str(v)
        lo = vec(mod.lower, "lower()")
        if lo is not None:
            for r, v in zip(rows, lo, strict=True):
                lower[r] = float(v)
        up = vec(mod.upper, "upper()")
        if up is not None:
            for r, v in zip(rows, up, strict=True):
                upper[r] = float(v)

    # ---- labels and equality constraints (lav_partable_labels, lavaanify) -----------------------
    LABEL = [_row_key(lhs[r], op[r], rhs[r]) + (f".g{group[r]}" if group[r] > 1 else "") for r in range(n)]
    partial = {normalise_partial(s) for s in group_partial}
    unknown_partial = [s for s in partial if s not in {_row_key(lhs[r], op[r], rhs[r]) for r in range(nb)}]
    if unknown_partial:
        raise UsageError(
            f"group_partial entry {unknown_partial[0]!r} is not a parameter of the model "
            "(write e.g. 'f =~ x2' or 'x3 ~ 1')"
        )
    if G > 1 and geq:
        nox = set(nm.ov_nox)
        for r in range(nb):  # group-1 rows
            o, l_, r_ = op[r], lhs[r], rhs[r]
            flag = (
                ("loadings" in geq and o == "=~")
                or ("intercepts" in geq and o == "~1" and l_ in nox)
                or ("thresholds" in geq and o == "|" and l_ in nm.ov_ord)
                or ("means" in geq and o == "~1" and l_ in lv_set)
                or ("regressions" in geq and o == "~")
                or ("residuals" in geq and o == "~~" and l_ in nox and l_ == r_)
                or ("residual.covariances" in geq and o == "~~" and l_ in nox and l_ != r_)
                or ("lv.variances" in geq and o == "~~" and l_ in lv_set and l_ == r_)
                or ("lv.covariances" in geq and o == "~~" and l_ in lv_set and l_ != r_)
            )
            if flag and _row_key(l_, o, r_) not in partial:
                for g in range(1, G):
                    LABEL[r + g * nb] = LABEL[r]
    for r in range(n):
        if label[r]:
            LABEL[r] = label[r]
    row_keys = {(lhs[r], op[r], rhs[r], int(group[r])): r for r in range(n)}
    for key in release:
        lk, ok, rk, gk = key
        r_rel = row_keys.get((lk, ok, rk, int(gk)))
        if r_rel is None:
            raise UsageError(f"release entry {key!r} is not a row of the parameter table")
        LABEL[r_rel] = f".released{r_rel + 1}."
        label[r_rel] = ""
    plabel = [f".p{r + 1}." for r in range(n)]

    constraints: list[EqualityConstraint] = []
    first_of: dict[str, int] = {}
    for r in range(n):
        first_of.setdefault(LABEL[r], r)
    uf = _UF(n)
    for r in range(n):
        uf.union(first_of[LABEL[r]], r)

    # user '==' constraints: label == label, or label == number
    fixed_by_user: dict[int, float] = {}
    user_cons: list[tuple[str, str, int, int, float | None]] = []
    for c in pm.constraints:
        if c.op != "==":
            raise UsageError(
                f"constraint '{c.lhs} {c.op} {c.rhs}' is not supported: only equality constraints "
                "between labels ('a == b') or of a label to a number ('a == 0.5')"
            )

        def row_of(tok: str) -> int | None:
            if tok in first_of and tok in label:
                return first_of[tok]
            m = re.fullmatch(r"\.p(\d+)\.", tok)
            if m and 1 <= int(m.group(1)) <= n:
                return int(m.group(1)) - 1
            return None

        a = row_of(c.lhs)
        if a is None:
            raise UsageError(f"constraint '{c.lhs} == {c.rhs}': {c.lhs!r} is not a parameter label of the model")
        b = row_of(c.rhs)
        if b is None:
            try:
                val = float(c.rhs)
            except ValueError:
                raise UsageError(
                    f"constraint '{c.lhs} == {c.rhs}': {c.rhs!r} is neither a label nor a number; "
                    "only simple equality constraints are supported"
                ) from None
            fixed_by_user[uf.find(a)] = val
            user_cons.append((c.lhs, c.rhs, a, -1, val))
        else:
            user_cons.append((c.lhs, c.rhs, a, b, None))
            uf.union(a, b)

    # groups of rows tied together
    members: dict[int, list[int]] = {}
    for r in range(n):
        members.setdefault(uf.find(r), []).append(r)
    for root, rows in members.items():
        if len(rows) < 2 and root not in fixed_by_user:
            continue
        fixed_rows = [r for r in rows if free[r] == 0]
        if root in fixed_by_user:
            for r in rows:
                free[r] = 0
                ustart[r] = fixed_by_user[root]
        elif fixed_rows:
            first_val = float(ustart[fixed_rows[0]])
            for r in rows:
                free[r] = 0
                ustart[r] = first_val
    # lavaan labels tied free rows by the reference plabel (when they have no user label)
    eq_labels = []
    seen_lab: set[str] = set()
    dup_seen: set[str] = set()
    for r in range(n):
        L = LABEL[r]
        if L in seen_lab and L not in dup_seen:
            eq_labels.append(L)
            dup_seen.add(L)
        seen_lab.add(L)
    label_out = list(label)
    free_idx = np.zeros(n, dtype=np.int64)
    fr = np.nonzero(free > 0)[0]
    free_idx[fr] = np.arange(1, len(fr) + 1)
    for c_lhs, c_rhs, a, b, _const in user_cons:
        jac: list[tuple[int, float]] = []
        if free[a] > 0:
            jac.append((int(free_idx[a]) - 1, 1.0))
        if b >= 0 and free[b] > 0:
            jac.append((int(free_idx[b]) - 1, -1.0))
        if jac:
            constraints.append(EqualityConstraint(c_lhs, c_rhs, a, b, tuple(jac), 1))
    for L in eq_labels:
        all_idx = [r for r in range(n) if LABEL[r] == L]
        ref = all_idx[0]
        if free[ref] == 0:
            continue
        for other in all_idx[1:]:
            jac2 = ((int(free_idx[ref]) - 1, 1.0), (int(free_idx[other]) - 1, -1.0))
            constraints.append(EqualityConstraint(plabel[ref], plabel[other], ref, other, jac2, 2))
        for r in all_idx:
            if not label_out[r]:
                label_out[r] = plabel[ref]

    # reduced parameter numbers
    par = np.zeros(n, dtype=np.int64)
    root_par: dict[int, int] = {}
    for fr_row in fr.tolist():
        root = uf.find(fr_row)
        if root not in root_par:
            root_par[root] = len(root_par) + 1
        par[fr_row] = root_par[root]

    return ParTable(
        lhs=tuple(lhs),
        op=tuple(op),
        rhs=tuple(rhs),
        user=user,
        group=group,
        free=free_idx,
        par=par,
        ustart=ustart,
        exo=exo,
        label=tuple(label_out),
        plabel=tuple(plabel),
        lower=lower,
        upper=upper,
        constraints=tuple(constraints),
        ov_names=tuple(nm.ov),
        lv_names=tuple(nm.lv),
        ov_x=tuple(nm.ov_x) if fixed_x else (),
        ngroups=G,
        meanstructure=meanstructure,
        std_lv=std_lv,
        fixed_x=fixed_x,
        group_equal=tuple(group_equal),
        group_partial=tuple(normalise_partial(s) for s in group_partial),
        release=tuple((str(a), str(b), str(c), int(d)) for a, b, c, d in release),
        model=pm,
    )
