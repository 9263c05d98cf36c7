"""Small dense linear-algebra helpers shared by the model engines.

OpenBLAS runs products multi-threaded above m·n·k ≈ 262 144 and LAPACK factorisations of
larger matrices in parallel; on a busy machine the thread start-up can stall a call for
milliseconds, which dominates the small matrices of factor models.  :func:`mm` and
:func:`chol` keep every call below those thresholds by blocking.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg as sla

__all__ = ["chol", "chol_inv", "chol_solve", "logdet", "mm", "spd_inv"]

MM_LIMIT = 200_000
_CHOL_BLOCK = 96


def mm(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``A @ B`` for 2-D arrays in blocks small enough for single-threaded BLAS."""
    m, k = A.shape
    n = B.shape[1]
    if m * k * n <= MM_LIMIT:
        return A @ B
    if m * n <= MM_LIMIT:
        kc = max(1, MM_LIMIT // (m * n))
        out = A[:, :kc] @ B[:kc]
        for s in range(kc, k, kc):
            out += A[:, s : s + kc] @ B[s : s + kc]
        return out
    rb = max(1, MM_LIMIT // (k * n))
    return np.vstack([mm(A[s : s + rb], B) for s in range(0, m, rb)])


def chol(A: np.ndarray) -> np.ndarray | None:
    """Lower Cholesky factor of a symmetric matrix, or ``None`` when it is not positive definite.

    LAPACK ``dpotrf`` on blocks of at most 96 rows (right-looking blocked algorithm with
    ``dtrtrs`` panels and :func:`mm` trailing updates).
    """
    n = A.shape[0]
    if n <= _CHOL_BLOCK:
        c, info = sla.lapack.dpotrf(A, lower=1, clean=1)
        return c if info == 0 else None
    W = np.array(A, dtype=float, copy=True)
    L = np.zeros_like(W)
    for k in range(0, n, _CHOL_BLOCK):
        e = min(k + _CHOL_BLOCK, n)
        c, info = sla.lapack.dpotrf(W[k:e, k:e], lower=1, clean=1)
        if info != 0:
            return None
        L[k:e, k:e] = c
        if e < n:
            rest = W[e:, k:e].T
            panel = np.empty_like(rest)
            for s in range(0, rest.shape[1], 16):
                panel[:, s : s + 16] = sla.lapack.dtrtrs(c, rest[:, s : s + 16], lower=1)[0]
            L21 = panel.T
            L[e:, k:e] = L21
            W[e:, e:] -= mm(L21, panel)
    return L


def chol_solve(c: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve ``A x = b`` given the lower Cholesky factor ``c`` of ``A``."""
    x, _ = sla.lapack.dpotrs(c, b, lower=1)
    return x


def chol_inv(c: np.ndarray) -> np.ndarray:
    """Symmetric inverse from a lower Cholesky factor: ``L⁻ᵀ L⁻¹`` (``dtrtri`` and :func:`mm`)."""
    Li, info = sla.lapack.dtrtri(c, lower=1)
    if info != 0:
        raise np.linalg.LinAlgError("singular Cholesky factor")
    inv = mm(Li.T, Li)
    return 0.5 * (inv + inv.T)


def spd_inv(A: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive-definite matrix (general inverse as a fallback)."""
    c = chol(A)
    return chol_inv(c) if c is not None else np.linalg.inv(A)


def logdet(A: np.ndarray) -> float:
    """log-determinant of a symmetric positive-definite matrix (``slogdet`` as a fallback)."""
    c = chol(A)
    if c is not None:
        return 2.0 * float(np.log(np.diag(c)).sum())
    return float(np.linalg.slogdet(A)[1])
