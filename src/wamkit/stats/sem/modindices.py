"""Modification indices (``lavaan::modindices``) for single-group complete-data ML fits."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from wamkit.errors import DataError, UsageError
from wamkit.stats.linalg import chol, chol_solve, single_threaded_blas
from wamkit.stats.sem.estimate import SEMResult
from wamkit.stats.sem.model import KIND_A, KIND_S

__all__ = ["modification_indices"]


def modification_indices(result: SEMResult, *, top: int | None = None, min_mi: float = 0.0) -> pd.DataFrame:
    """Score tests for fixed-to-zero loadings and (residual/latent) covariances.

    Candidates: every loading ``f =~ x`` of an observed, non-exogenous variable that is not
    free (absent, or fixed at 0), every residual covariance between two such variables that
    is not free, and every latent covariance that is not free.  With the expected
    information I (per observation) partitioned into the free parameters (2) and one
    candidate (1): ``V = I₁₁ − I₁₂ I₂₂⁻¹ I₂₁``, score ``s = −½ ∂F/∂θ₁``, ``mi = N s²/V``,
    ``epc = s/V``; ``sepc_all`` standardises the EPC as ``std.all`` with ``cov.std = TRUE``
    (loadings by latent SD / observed SD, covariances by the residual SDs).

    Returns
    -------
    pandas.DataFrame
        ``lhs, op, rhs, mi, epc, sepc_all`` sorted by decreasing ``mi`` (``modindices(fit,
        sort. = TRUE)``), limited to ``top`` rows and ``mi >= min_mi``.  Agrees with
        ``lavaan::modindices(fit)`` on these rows (lavaan lists further candidate classes,
        e.g. regressions, that are not computed here).
    """
    with single_threaded_blas():
        return _modification_indices(result, top, min_mi)


def _modification_indices(result: SEMResult, top: int | None, min_mi: float) -> pd.DataFrame:
    prob = result.problem
    if prob is None:
        raise UsageError("this result carries no model state")
    if prob.model.G != 1 or prob.stats.fiml:
        raise UsageError("modification indices are available for single-group complete-data fits only")
    mdl, pt = prob.model, result.partable
    pos = mdl.pos
    present = {}
    for r in range(len(pt)):
        k, i, j = int(mdl.row_kind[r]), int(mdl.row_i[r]), int(mdl.row_j[r])
        if k == KIND_S:
            i, j = min(i, j), max(i, j)
        present[(k, i, j)] = (pt.free[r] > 0) or (pt.ustart[r] != 0 and not np.isnan(pt.ustart[r])) or pt.exo[r]
    cand: list[tuple[str, str, str, int, int, int]] = []
    nox = [v for v in mdl.ov_names if v not in set(pt.ov_x)]
    for f in mdl.lv_names:
        for v in nox:
            key = (KIND_A, pos[v], pos[f])
            if not present.get(key, False):
                cand.append((f, "=~", v, KIND_A, pos[v], pos[f]))
    for a in range(len(nox)):
        for b in range(a + 1, len(nox)):
            i, j = sorted((pos[nox[a]], pos[nox[b]]))
            if not present.get((KIND_S, i, j), False):
                cand.append((nox[a], "~~", nox[b], KIND_S, pos[nox[a]], pos[nox[b]]))
    lvs = list(mdl.lv_names)
    for a in range(len(lvs)):
        for b in range(a + 1, len(lvs)):
            i, j = sorted((pos[lvs[a]], pos[lvs[b]]))
            if not present.get((KIND_S, i, j), False):
                cand.append((lvs[a], "~~", lvs[b], KIND_S, pos[lvs[a]], pos[lvs[b]]))
    cols = ["lhs", "op", "rhs", "mi", "epc", "sepc_all"]
    if not cand:
        return pd.DataFrame(columns=cols)
    kind = np.array([c[3] for c in cand], dtype=np.int64)
    ii = np.array([c[4] for c in cand], dtype=np.int64)
    jj = np.array([c[5] for c in cand], dtype=np.int64)
    ev = prob.evaluate(result.theta, grad=True, info=True, extra=[(kind, ii, jj)])
    assert ev.grad is not None and ev.info is not None and ev.implied is not None
    nx, K = mdl.nx, mdl.npar
    R = np.zeros((nx, K))
    R[np.arange(nx), mdl.x2par] = 1.0
    info = ev.info
    I22 = R.T @ info[:nx, :nx] @ R
    I12 = info[nx:, :nx] @ R
    I11 = np.diag(info[nx:, nx:])
    c = chol(I22)
    if c is None:
        raise DataError("could not compute modification indices: the information matrix is singular")
    V = I11 - np.einsum("ak,ka->a", I12, chol_solve(c, I12.T))
    s = -0.5 * ev.grad[nx:]
    V = np.where(V < np.finfo(float).eps ** (1 / 3), np.nan, V)
    mi = prob.N * s * s / V
    epc = s / V
    gm = ev.implied[0]
    sd = np.sqrt(np.abs(np.diag(gm.C)))
    rv = np.sqrt(np.abs(np.diag(gm.S)))
    sepc = np.empty(len(cand))
    for r, (_, op, _, _k, i, j) in enumerate(cand):
        if op == "=~":
            sepc[r] = epc[r] * sd[j] / sd[i]
        else:
            den = rv[i] * rv[j]
            sepc[r] = epc[r] / den if den > 0 else math.nan
    out = pd.DataFrame({"lhs": [x[0] for x in cand], "op": [x[1] for x in cand], "rhs": [x[2] for x in cand],
                        "mi": mi, "epc": epc, "sepc_all": sepc})  # fmt: skip
    if min_mi > 0:
        out = out[out["mi"].fillna(-np.inf) >= min_mi]
    out = out.sort_values("mi", ascending=False, kind="stable", na_position="last").reset_index(drop=True)
    return out.head(top) if top is not None else out
