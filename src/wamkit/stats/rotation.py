"""Factor rotations as R's psych::fa applies them.

* ``varimax``: ``stats::varimax(L)`` (Kaiser-normalised, ``eps = 1e-5``), which is
  what ``psych::fa(rotate="varimax")`` calls.
* ``promax``: ``psych::kaiser(L, rotate="Promax")``: rows Kaiser-normalised, then
  ``psych::Promax`` (varimax, target ``x |x|^(m-1)`` with ``m = 4``, least squares
  fit, columns rescaled), then rows rescaled back.
* ``oblimin`` (``gam = 0``), ``quartimin``, ``geomin`` (``geominQ``, ``delta =
  0.01``): GPArotation's gradient projection algorithm for oblique rotation
  (``GPFoblq``: identity start, no normalisation, ``eps = 1e-5``, ``maxit = 1000``),
  ported line by line so that the iterations (and therefore the local optimum
  reached) are GPArotation's.
* ``varimax_gpa``/``quartimax``/``geominT``: GPArotation's orthogonal ``GPForth``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "RotationResult",
    "rotate",
    "varimax",
    "promax",
    "gpf_oblique",
    "gpf_orthogonal",
    "ROTATIONS",
    "ORTHOGONAL",
    "OBLIQUE",
]

Criterion = Callable[[np.ndarray], tuple[np.ndarray, float]]


@dataclass(frozen=True)
class RotationResult:
    """A rotated loading matrix.

    ``loadings`` are the rotated (pattern) loadings, ``phi`` the factor correlations
    (identity for orthogonal rotations), ``rotmat`` psych's ``rot.mat`` (unrotated @
    rotmat = rotated), ``converged``/``iterations`` describe the iterative algorithm.
    """

    loadings: np.ndarray
    phi: np.ndarray
    rotmat: np.ndarray
    orthogonal: bool
    converged: bool
    iterations: int
    criterion: float | None = None


# --------------------------------------------------------------------------- criteria
def vgq_oblimin(L: np.ndarray, gam: float = 0.0) -> tuple[np.ndarray, float]:
    """GPArotation ``vgQ.oblimin``: gradient and value of the oblimin criterion."""
    L2 = L * L
    X = L2.sum(axis=1, keepdims=True) - L2  # = L2 @ (1 - I)
    if gam != 0:
        p = L.shape[0]
        X = X - (gam / p) * X.sum(axis=0, keepdims=True)
    return L * X, float(np.sum(L2 * X) / 4.0)


def vgq_quartimin(L: np.ndarray) -> tuple[np.ndarray, float]:
    """GPArotation ``vgQ.quartimin`` (= oblimin with ``gam = 0``)."""
    return vgq_oblimin(L, 0.0)


def vgq_geomin(L: np.ndarray, delta: float = 0.01) -> tuple[np.ndarray, float]:
    """GPArotation ``vgQ.geomin``."""
    k = L.shape[1]
    L2 = L * L + delta
    pro = np.exp(np.log(L2).sum(axis=1) / k)
    return (2.0 / k) * (L / L2) * pro[:, None], float(pro.sum())


def vgq_quartimax(L: np.ndarray) -> tuple[np.ndarray, float]:
    """GPArotation ``vgQ.quartimax``."""
    return -(L**3), float(-np.sum(L**4) / 4.0)


# --------------------------------------------------------------------------- GPA
def gpf_oblique(
    A: np.ndarray,
    criterion: Criterion,
    *,
    T: np.ndarray | None = None,
    normalize: bool = False,
    eps: float = 1e-5,
    maxit: int = 1000,
) -> RotationResult:
    """Gradient projection oblique rotation, GPArotation ``GPFoblq`` (Bernaards & Jennrich 2005).

    ``L = A (T^-1)'``; the criterion ``f(L)`` is minimised over matrices ``T`` with
    unit-length columns; ``Phi = T'T``. Step halving line search as GPArotation.
    """
    A = np.asarray(A, dtype=float)
    k = A.shape[1]
    if k < 2:
        raise ValueError("rotation does not make sense for single factor models")
    W = None
    if normalize:
        W = np.sqrt((A * A).sum(axis=1))[:, None]
        A = A / W
    Tm = np.eye(k) if T is None else np.array(T, dtype=float)
    al = 1.0
    Ti = np.linalg.inv(Tm)
    L = A @ Ti.T
    Gq, f = criterion(L)
    G = -(L.T @ Gq @ Ti).T
    s = np.inf
    it = 0
    for it in range(maxit + 1):  # noqa: B007  (the count is read after the loop)
        Gp = G - Tm * np.sum(Tm * G, axis=0)[None, :]
        s = float(np.sqrt(np.sum(Gp * Gp)))
        if s < eps:
            break
        al = 2.0 * al
        for _ in range(11):
            X = Tm - al * Gp
            v = 1.0 / np.sqrt(np.sum(X * X, axis=0))
            Tt = X * v[None, :]
            Tti = np.linalg.inv(Tt)
            L = A @ Tti.T
            Gqt, ft = criterion(L)
            if f - ft > 0.5 * s * s * al:
                break
            al = al / 2.0
        Tm = Tt
        f = ft
        G = -(L.T @ Gqt @ Tti).T
    converged = s < eps
    if W is not None:
        L = L * W
    phi = Tm.T @ Tm
    rotmat = np.linalg.inv(Tm).T
    return RotationResult(
        loadings=L, phi=phi, rotmat=rotmat, orthogonal=False, converged=bool(converged), iterations=it, criterion=f
    )


def gpf_orthogonal(
    A: np.ndarray,
    criterion: Criterion,
    *,
    T: np.ndarray | None = None,
    normalize: bool = False,
    eps: float = 1e-5,
    maxit: int = 1000,
) -> RotationResult:
    """Gradient projection orthogonal rotation, GPArotation ``GPForth``: ``L = A T``, ``T'T = I``."""
    A = np.asarray(A, dtype=float)
    k = A.shape[1]
    if k < 2:
        raise ValueError("rotation does not make sense for single factor models")
    W = None
    if normalize:
        W = np.sqrt((A * A).sum(axis=1))[:, None]
        A = A / W
    Tm = np.eye(k) if T is None else np.array(T, dtype=float)
    al = 1.0
    L = A @ Tm
    Gq, f = criterion(L)
    G = A.T @ Gq
    s = np.inf
    it = 0
    for it in range(maxit + 1):  # noqa: B007  (the count is read after the loop)
        M = Tm.T @ G
        S = (M + M.T) / 2.0
        Gp = G - Tm @ S
        s = float(np.sqrt(np.sum(Gp * Gp)))
        if s < eps:
            break
        al = 2.0 * al
        for _ in range(11):
            X = Tm - al * Gp
            U, _d, Vt = np.linalg.svd(X)
            Tt = U @ Vt
            L = A @ Tt
            Gqt, ft = criterion(L)
            if ft < f - 0.5 * s * s * al:
                break
            al = al / 2.0
        Tm = Tt
        f = ft
        G = A.T @ Gqt
    converged = s < eps
    if W is not None:
        L = L * W
    return RotationResult(
        loadings=L, phi=np.eye(k), rotmat=Tm, orthogonal=True, converged=bool(converged), iterations=it, criterion=f
    )


# --------------------------------------------------------------------------- varimax / promax
def varimax(L: np.ndarray, *, normalize: bool = True, eps: float = 1e-5) -> RotationResult:
    """Kaiser's varimax exactly as R ``stats::varimax(x, normalize=TRUE, eps=1e-5)``.

    Iterates ``B = X'(Z^3 - Z diag(1'Z^2)/p)``, ``T = UV'`` from the SVD of ``B``
    until the sum of singular values grows by less than a factor ``1 + eps``.
    """
    x = np.array(L, dtype=float)
    p, nc = x.shape
    if nc < 2:
        return RotationResult(
            loadings=x, phi=np.eye(nc), rotmat=np.eye(nc), orthogonal=True, converged=True, iterations=0
        )
    sc = None
    if normalize:
        sc = np.sqrt((x * x).sum(axis=1))
        x = x / sc[:, None]
    TT = np.eye(nc)
    d = 0.0
    converged = False
    it = 0
    for it in range(1, 1001):  # noqa: B007  (the count is read after the loop)
        z = x @ TT
        B = x.T @ (z**3 - z * ((z * z).sum(axis=0) / p)[None, :])
        u, sv, vt = np.linalg.svd(B)
        TT = u @ vt
        dpast = d
        d = float(sv.sum())
        if d < dpast * (1 + eps):
            converged = True
            break
    z = x @ TT
    if sc is not None:
        z = z * sc[:, None]
    return RotationResult(loadings=z, phi=np.eye(nc), rotmat=TT, orthogonal=True, converged=converged, iterations=it)


def _promax_psych(x: np.ndarray, m: float = 4.0) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """psych ``Promax(x, m)``: returns (loadings, rotmat, Phi, varimax_converged)."""
    vm = varimax(x)
    xv = vm.loadings
    Q = xv * np.abs(xv) ** (m - 1)
    U, *_ = np.linalg.lstsq(xv, Q, rcond=None)
    UtU = U.T @ U
    try:
        d = np.diag(np.linalg.inv(UtU))
    except np.linalg.LinAlgError:
        w, V = np.linalg.eigh(UtU)
        w = np.where(w < np.finfo(float).eps, 100 * np.finfo(float).eps, w)
        UU = (V * w) @ V.T
        np.fill_diagonal(UU, 1.0)
        d = np.diag(np.linalg.inv(UU))
    U = U * np.sqrt(d)[None, :]
    z = xv @ U
    U = vm.rotmat @ U
    ui = np.linalg.inv(U)
    phi = ui @ ui.T
    return z, U, phi, vm.converged


def promax(L: np.ndarray, *, m: float = 4.0) -> RotationResult:
    """Promax as ``psych::fa(rotate="promax")``: ``psych::kaiser(L, rotate="Promax", m=4)``.

    Rows are divided by ``sqrt(h2)``, rotated by ``psych::Promax`` (varimax, then the
    least-squares fit to the target ``x|x|^(m-1)`` with columns rescaled so that
    ``Phi`` has a unit diagonal) and multiplied back by ``sqrt(h2)``.
    """
    L = np.asarray(L, dtype=float)
    k = L.shape[1]
    if k < 2:
        return RotationResult(
            loadings=L.copy(), phi=np.eye(k), rotmat=np.eye(k), orthogonal=False, converged=True, iterations=0
        )
    h = np.sqrt((L * L).sum(axis=1))
    z, U, phi, conv = _promax_psych(L / h[:, None], m)
    return RotationResult(loadings=z * h[:, None], phi=phi, rotmat=U, orthogonal=False, converged=conv, iterations=0)


#: rotation names accepted by :func:`rotate` (psych spelling in brackets where different)
ORTHOGONAL = ("none", "varimax", "quartimax", "geominT")
OBLIQUE = ("oblimin", "quartimin", "geomin", "geominQ", "promax", "Promax")
ROTATIONS = ORTHOGONAL + OBLIQUE


def rotate(
    L: np.ndarray, method: str, *, gamma: float = 0.0, delta: float = 0.01, eps: float = 1e-5, maxit: int = 1000
) -> RotationResult:
    """Rotate a loading matrix as ``psych::fa`` does for ``rotate=method``.

    ``"geomin"`` is psych's ``"geominQ"`` (oblique); ``"geominT"`` is the orthogonal
    variant. ``"promax"`` is psych's ``fa(rotate="promax")`` (Kaiser-normalised),
    ``"Promax"`` psych's ``Promax()`` applied to the loadings as they are. ``"none"`` returns the input. ``gamma`` is oblimin's ``gam`` and
    ``delta`` geomin's ``delta`` (GPArotation defaults 0 and 0.01).
    """
    L = np.asarray(L, dtype=float)
    k = L.shape[1]
    if method == "none" or k < 2:
        return RotationResult(
            loadings=L.copy(), phi=np.eye(k), rotmat=np.eye(k), orthogonal=True, converged=True, iterations=0
        )
    if method == "varimax":
        return varimax(L)
    if method == "promax":
        return promax(L)
    if method == "Promax":  # psych::Promax without Kaiser normalisation
        z, U, phi, conv = _promax_psych(L)
        return RotationResult(loadings=z, phi=phi, rotmat=U, orthogonal=False, converged=conv, iterations=0)
    if method == "oblimin":
        return gpf_oblique(L, lambda X: vgq_oblimin(X, gamma), eps=eps, maxit=maxit)
    if method == "quartimin":
        return gpf_oblique(L, vgq_quartimin, eps=eps, maxit=maxit)
    if method in ("geomin", "geominQ"):
        return gpf_oblique(L, lambda X: vgq_geomin(X, delta), eps=eps, maxit=maxit)
    if method == "geominT":
        return gpf_orthogonal(L, lambda X: vgq_geomin(X, delta), eps=eps, maxit=maxit)
    if method == "quartimax":
        return gpf_orthogonal(L, vgq_quartimax, eps=eps, maxit=maxit)
    raise ValueError(f"unknown rotation {method!r}; choose one of {', '.join(ROTATIONS)}")
