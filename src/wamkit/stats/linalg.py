"""Small dense linear-algebra helpers shared by the model engines.

OpenBLAS runs products multi-threaded above m·n·k ≈ 262 144 and LAPACK factorisations of
larger matrices in parallel; on a busy machine the thread start-up can stall a call for
milliseconds, which dominates the small matrices of factor models.  :func:`mm` and
:func:`chol` keep every call below those thresholds by blocking.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from scipy import linalg as sla

__all__ = [
    "chol",
    "chol_inv",
    "chol_solve",
    "cor_smooth",
    "logdet",
    "mm",
    "psych_pinv",
    "single_threaded_blas",
    "spd_inv",
]

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


# ---------------------------------------------------------------------------------------------
# BLAS threading
# ---------------------------------------------------------------------------------------------
_BLAS_LOCK = threading.RLock()
_BLAS_LIBS: list[tuple[ctypes.CDLL, str, str]] | None = None


def _openblas_libs() -> list[tuple[ctypes.CDLL, str, str]]:
    """OpenBLAS copies loaded in this process (numpy's and scipy's) with their get/set thread functions."""
    global _BLAS_LIBS
    if _BLAS_LIBS is not None:
        return _BLAS_LIBS
    found: list[tuple[ctypes.CDLL, str, str]] = []
    try:
        with open(f"/proc/{os.getpid()}/maps") as fh:
            paths = sorted({ln.split()[-1] for ln in fh if "openblas" in ln.lower() and ln.split()[-1].startswith("/")})
    except OSError:
        paths = []
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for suffix in ("", "64_"):
            for prefix in ("openblas", "scipy_openblas"):
                get, set_ = f"{prefix}_get_num_threads{suffix}", f"{prefix}_set_num_threads{suffix}"
                if hasattr(lib, get) and hasattr(lib, set_):
                    found.append((lib, get, set_))
                    break
            else:
                continue
            break
    _BLAS_LIBS = found
    return found


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run the block with OpenBLAS limited to one thread, restoring the previous setting afterwards.

    The model engines work on many small matrices; OpenBLAS's threaded kernels (used from
    about 100×100) gain nothing there and stall for tens of milliseconds per call when the
    machine is busy.  Like ``threadpoolctl``, this sets the thread count of the OpenBLAS
    libraries loaded by numpy and scipy (found through ``/proc/<pid>/maps``; a no-op where
    that is unavailable).  The setting is process-wide while the block runs.
    """
    with _BLAS_LOCK:
        libs = _openblas_libs()
        old = []
        for lib, get, set_ in libs:
            try:
                old.append(int(getattr(lib, get)()))
                getattr(lib, set_)(1)
            except (OSError, ValueError, ctypes.ArgumentError):  # pragma: no cover - unexpected library build
                old.append(-1)
        try:
            yield
        finally:
            for (lib, _, set_), n in zip(libs, old, strict=True):
                if n > 0:
                    getattr(lib, set_)(n)


def psych_pinv(X: np.ndarray) -> np.ndarray:
    """psych ``Pinv``: Moore-Penrose inverse dropping singular values below ``sqrt(eps) * d_max``."""
    return np.linalg.pinv(X, rcond=np.sqrt(np.finfo(float).eps))


def cor_smooth(R: np.ndarray, eig_tol: float = 1e-12) -> tuple[np.ndarray, bool]:
    """psych ``cor.smooth``: when an eigenvalue is below machine epsilon, raise those below
    ``eig_tol`` to ``100 * eig_tol``, rescale them to sum to p and return ``cov2cor`` of the result
    (with ``True``); otherwise ``R`` unchanged (with ``False``)."""
    vals, vecs = np.linalg.eigh(R)
    if vals.min() >= np.finfo(float).eps:
        return R, False
    p = R.shape[0]
    vals = np.where(vals < eig_tol, 100.0 * eig_tol, vals)
    vals = vals * p / vals.sum()
    S = (vecs * vals) @ vecs.T
    d = np.sqrt(np.diag(S))
    S = S / np.outer(d, d)
    np.fill_diagonal(S, 1.0)
    return S, True
