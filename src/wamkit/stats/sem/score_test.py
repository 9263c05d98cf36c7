"""Score (Lagrange multiplier) tests of equality constraints, as ``lavaan::lavTestScore``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from wamkit.errors import UsageError
from wamkit.results import StatResult, to_jsonable
from wamkit.stats.linalg import single_threaded_blas
from wamkit.stats.sem.estimate import SEMResult

__all__ = ["ScoreTestResult", "score_tests"]


@dataclass(frozen=True)
class ScoreTestResult(StatResult):
    """``lavTestScore(fit)``.

    Attributes
    ----------
    total : dict
        ``{"X2", "df", "pvalue"}``: all tested constraints released together (``$test``).
    uni : pandas.DataFrame
        One row per tested constraint (``$uni``): ``lhs, op, rhs`` as lavaan prints the
        constraint (``.p5. == .p41.`` or user labels), ``X2, df, pvalue`` (df = 1), and the
        parameter-table rows it ties: ``row_lhs``/``row_rhs`` (0-based), ``parameter``
        (lavaan notation of the tied element, e.g. ``"visual =~ x2"``), ``group_lhs``,
        ``group_rhs`` (1-based groups of the two sides), ``constraint`` (0-based index into
        ``partable.constraints``).
    """

    total: dict[str, float]
    uni: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        return {"total": to_jsonable(self.total), "uni": to_jsonable(self.uni)}

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """``uni`` (the univariate tests, main table) and ``summary`` (the total test)."""
        return {"uni": self.uni.copy(), "summary": pd.DataFrame([self.total])}


def score_tests(result: SEMResult, *, constraints: Sequence[int] | None = None) -> ScoreTestResult:
    """Univariate and total score tests of the model's equality constraints (``lavTestScore``).

    Parameters
    ----------
    result : SEMResult
        A converged fit with equality constraints (shared labels, ``group_equal``, ``==``).
    constraints : sequence of int, optional
        0-based indices into ``result.partable.constraints`` to test (lavaan's
        ``release``); default all.  The total test releases exactly these; each univariate
        test releases one constraint while all others hold.

    Returns
    -------
    ScoreTestResult

    Notes
    -----
    With ``s`` the per-observation score of the log-likelihood in the unconstrained
    parameterisation (every free parameter-table row its own parameter) at the constrained
    estimates, ``I`` the expected information per observation and ``R₁`` the Jacobian of the
    constraints that stay in force, the statistic is ``N sᵀ J s`` with ``J`` the upper-left
    block of ``[[I, R₁ᵀ], [R₁, 0]]⁻¹`` (Moore–Penrose when singular, as ``MASS::ginv``); when
    every constraint is released (the total test of all constraints) ``J = I⁺``, as lavaan.
    The inverse is formed once with all constraints in force and each release is a Schur
    downdate of it (falling back to the direct form when that block is ill-conditioned).
    Agrees with ``lavaan::lavTestScore(fit)`` (lavaan 0.6-14, ``information = "expected"``).
    """
    with single_threaded_blas():
        return _score_tests(result, constraints)


def _score_tests(result: SEMResult, constraints: Sequence[int] | None) -> ScoreTestResult:
    prob = result.problem
    if prob is None:
        raise UsageError("this result carries no model state")
    pt = result.partable
    nc = len(pt.constraints)
    if nc == 0:
        raise UsageError("the model has no equality constraints to test")
    if not result.converged:
        raise UsageError("score tests need a converged model")
    test_idx = list(range(nc)) if constraints is None else [int(c) for c in constraints]
    if any(c < 0 or c >= nc for c in test_idx) or not test_idx:
        raise UsageError(f"constraints must be indices 0..{nc - 1}")
    nx = prob.model.nx
    ev = prob.evaluate(result.theta, grad=True, info=True)
    assert ev.grad is not None and ev.info is not None
    score = -0.5 * ev.grad[:nx]
    info = 0.5 * (ev.info[:nx, :nx] + ev.info[:nx, :nx].T)
    R = np.zeros((nc, nx))
    for k, c in enumerate(pt.constraints):
        for x, coef in c.jacobian:
            R[k, x] += coef
    N = prob.N
    # W = Z⁻¹ for the bordered matrix with every constraint in force; releasing a set J of
    # constraints deletes their rows/columns, whose inverse is a Schur downdate of W.
    Z = np.zeros((nx + nc, nx + nc))
    Z[:nx, :nx] = info
    Z[nx:, :nx] = R
    Z[:nx, nx:] = R.T
    W: np.ndarray | None
    try:
        Winv = np.linalg.inv(Z)
        W = Winv if np.all(np.isfinite(Winv)) else None
    except np.linalg.LinAlgError:
        W = None
    base = float(score @ W[:nx, :nx] @ score) if W is not None else 0.0
    Ws = W[:, :nx] @ score if W is not None else None  # W[:, :nx] s

    def direct(keep: list[int]) -> float:
        if not keep:
            return float(N * score @ _ginv(info) @ score)
        m = len(keep)
        Zk = np.zeros((nx + m, nx + m))
        Zk[:nx, :nx] = info
        Zk[nx:, :nx] = R[keep]
        Zk[:nx, nx:] = R[keep].T
        sol = _ginv(Zk) @ np.concatenate([score, np.zeros(m)])
        return float(N * score @ sol[:nx])

    def stat(keep: list[int]) -> float:
        rel = [k for k in range(nc) if k not in set(keep)]
        if W is None or Ws is None or not rel:
            return direct(keep) if W is None or rel else float(N * base)
        J = nx + np.array(rel)
        WJJ = W[np.ix_(J, J)]
        cond = np.linalg.cond(WJJ)
        if not np.isfinite(cond) or cond > 1e10:
            return direct(keep)
        v = Ws[J]
        return float(N * (base - v @ np.linalg.solve(WJJ, v)))

    others = [k for k in range(nc) if k not in set(test_idx)]
    total_x2 = stat(others)
    total = {"X2": total_x2, "df": float(len(test_idx)), "pvalue": float(stats.chi2.sf(total_x2, len(test_idx)))}
    rows = []
    for k in test_idx:
        keep = [j for j in range(nc) if j != k]
        x2 = stat(keep)
        c = pt.constraints[k]
        rr = c.rhs_row if c.rhs_row >= 0 else c.lhs_row
        rows.append({
            "lhs": c.lhs, "op": "==", "rhs": c.rhs, "X2": x2, "df": 1, "pvalue": float(stats.chi2.sf(x2, 1)),
            "row_lhs": c.lhs_row, "row_rhs": c.rhs_row, "parameter": _formula(pt, rr),
            "group_lhs": int(pt.group[c.lhs_row]), "group_rhs": int(pt.group[rr]), "constraint": k,
        })  # fmt: skip
    return ScoreTestResult(total=total, uni=pd.DataFrame(rows))


def _formula(pt: Any, row: int) -> str:
    if pt.op[row] == "~1":
        return f"{pt.lhs[row]} ~1"
    return f"{pt.lhs[row]} {pt.op[row]} {pt.rhs[row]}"


def _ginv(A: np.ndarray) -> np.ndarray:
    """Moore–Penrose inverse with ``MASS::ginv``'s tolerance (singular values above √eps · the largest)."""
    return np.linalg.pinv(A, rcond=math.sqrt(np.finfo(float).eps))
