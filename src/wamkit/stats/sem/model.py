"""RAM representation of a parameter table and the derivatives of the implied moments.

All variables (observed first, in ``ov_names`` order, then latent) share one index
space of size q = p + m.  Per group

* ``A`` (q×q): directed paths, ``A[i, j]`` = effect of j on i (loadings ``f =~ x`` are
  ``A[x, f]``, regressions ``y ~ x`` are ``A[y, x]``);
* ``S`` (q×q, symmetric): (residual) variances and covariances (``~~``);
* ``M`` (q): intercepts and means (``~1``);

with ``B = (I − A)⁻¹``, the implied moments of all variables are ``C = B S Bᵀ`` and
``B M``; the observed ones are the first p rows: ``Σ = C[:p, :p]``, ``μ = (B M)[:p]``.
This reproduces lavaan's LISREL matrices for every model its syntax allows here.

Every first derivative of Σ is rank two, ``∂Σ/∂θ_k = u_k v_kᵀ + v_k u_kᵀ``
(``A[i, j]``: ``u = B[:p, i]``, ``v = C[:p, j]``; ``S[i, j]``: ``u = B[:p, i]``,
``v = B[:p, j]`` (halved on the diagonal)), and ``∂μ/∂A[i, j] = B[:p, i] (BM)[j]``,
``∂μ/∂M[i] = B[:p, i]``; the engine builds gradients, information matrices and
Hessians from these vectors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wamkit.errors import UsageError
from wamkit.stats.sem.partable import ParTable

__all__ = ["KIND_A", "KIND_M", "KIND_S", "GroupMatrices", "RamModel"]

KIND_A, KIND_S, KIND_M = 0, 1, 2


@dataclass
class GroupElements:
    """Free elements of one group: matrix kind, row, column, 0-based free (x) index, 0-based parameter index."""

    kind: np.ndarray
    i: np.ndarray
    j: np.ndarray
    x: np.ndarray
    par: np.ndarray
    row: np.ndarray  # parameter-table row


@dataclass
class GroupMatrices:
    A: np.ndarray
    S: np.ndarray
    M: np.ndarray
    B: np.ndarray
    C: np.ndarray  # implied covariance of all variables
    BM: np.ndarray  # implied means of all variables
    sigma: np.ndarray
    mu: np.ndarray


class RamModel:
    """A parameter table compiled to RAM matrices (see the module docstring)."""

    def __init__(self, pt: ParTable) -> None:
        bad = [k for k in range(len(pt)) if pt.op[k] in ("|", "~*~")]
        if bad:
            raise UsageError(
                f"thresholds ({pt.lhs[bad[0]]} {pt.op[bad[0]]} {pt.rhs[bad[0]]}) need the ordinal (WLSMV) engine; "
                "the ML engine fits continuous variables"
            )
        bounded = np.isfinite(pt.lower) | np.isfinite(pt.upper)
        if np.any(bounded & (pt.free > 0)):
            raise UsageError("parameter bounds (lower()/upper() modifiers) are not supported")
        self.pt = pt
        self.ov_names = pt.ov_names
        self.lv_names = pt.lv_names
        self.names = pt.ov_names + pt.lv_names
        self.p = len(pt.ov_names)
        self.m = len(pt.lv_names)
        self.q = self.p + self.m
        self.G = pt.ngroups
        self.meanstructure = pt.meanstructure
        self.npar = pt.npar
        self.nx = pt.nx
        self.x2par = pt.x_to_par()
        pos = {v: k for k, v in enumerate(self.names)}
        self.pos = pos
        self.A0 = np.zeros((self.G, self.q, self.q))
        self.S0 = np.zeros((self.G, self.q, self.q))
        self.M0 = np.zeros((self.G, self.q))
        self.exo_rows: list[int] = []
        self.row_kind = np.full(len(pt), -1, dtype=np.int64)
        self.row_i = np.zeros(len(pt), dtype=np.int64)
        self.row_j = np.zeros(len(pt), dtype=np.int64)
        elems: list[list[tuple[int, int, int, int, int, int]]] = [[] for _ in range(self.G)]
        for r in range(len(pt)):
            g = int(pt.group[r]) - 1
            lhs, op, rhs = pt.lhs[r], pt.op[r], pt.rhs[r]
            if op == "=~":
                kind, i, j = KIND_A, pos[rhs], pos[lhs]
            elif op == "~":
                kind, i, j = KIND_A, pos[lhs], pos[rhs]
            elif op == "~~":
                kind, i, j = KIND_S, pos[lhs], pos[rhs]
            elif op == "~1":
                kind, i, j = KIND_M, pos[lhs], 0
            else:  # pragma: no cover - the parser admits no other operator
                raise UsageError(f"operator {op!r} is not supported by the ML engine")
            self.row_kind[r], self.row_i[r], self.row_j[r] = kind, i, j
            if pt.free[r] > 0:
                elems[g].append((kind, i, j, int(pt.free[r]) - 1, int(pt.par[r]) - 1, r))
            elif pt.exo[r]:
                self.exo_rows.append(r)
            else:
                self._set(self.A0, self.S0, self.M0, g, kind, i, j, float(pt.ustart[r]))
        for g in range(self.G):
            if any(self.A0[g][np.diag_indices(self.q)]):
                raise UsageError("a variable cannot be regressed on itself")
        self.elements: list[GroupElements] = []
        for g in range(self.G):
            arr = np.array(elems[g], dtype=np.int64).reshape(-1, 6)
            self.elements.append(GroupElements(*(arr[:, c].copy() for c in range(6))))

    @staticmethod
    def _set(A: np.ndarray, S: np.ndarray, M: np.ndarray, g: int, kind: int, i: int, j: int, v: float) -> None:
        if kind == KIND_A:
            A[g, i, j] = v
        elif kind == KIND_S:
            S[g, i, j] = S[g, j, i] = v
        else:
            M[g, i] = v

    def set_exogenous(self, means: list[np.ndarray], covs: list[np.ndarray]) -> None:
        """Fix the exogenous covariates' moments to their sample values (``fixed.x = TRUE``)."""
        for r in self.exo_rows:
            g = int(self.pt.group[r]) - 1
            kind, i, j = int(self.row_kind[r]), int(self.row_i[r]), int(self.row_j[r])
            v = covs[g][i, j] if kind == KIND_S else means[g][i]
            self._set(self.A0, self.S0, self.M0, g, kind, i, j, float(v))

    def matrices(self, theta: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        el = self.elements[g]
        A, S, M = self.A0[g].copy(), self.S0[g].copy(), self.M0[g].copy()
        vals = theta[el.par]
        ka, ks, km = el.kind == KIND_A, el.kind == KIND_S, el.kind == KIND_M
        A[el.i[ka], el.j[ka]] = vals[ka]
        S[el.i[ks], el.j[ks]] = vals[ks]
        S[el.j[ks], el.i[ks]] = vals[ks]
        M[el.i[km]] = vals[km]
        return A, S, M

    def implied(self, theta: np.ndarray, g: int) -> GroupMatrices | None:
        """Implied moments of group g, or ``None`` when ``I − A`` is singular (non-recursive model gone wrong)."""
        A, S, M = self.matrices(theta, g)
        q, p = self.q, self.p
        if np.any(A):
            try:
                B = np.linalg.inv(np.eye(q) - A)
            except np.linalg.LinAlgError:
                return None
        else:
            B = np.eye(q)
        C = B @ S @ B.T
        C = 0.5 * (C + C.T)
        BM = B @ M
        return GroupMatrices(A, S, M, B, C, BM, C[:p, :p], BM[:p])

    def first_derivatives(self, gm: GroupMatrices, kind: np.ndarray, i: np.ndarray,
                          j: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
        """Rank-two vectors U, V (n, p) with ∂Σ = U_kV_kᵀ + V_kU_kᵀ and ∂μ (n, p) for elements (kind, i, j)."""
        p = self.p
        Bf = gm.B[:p]
        n = len(kind)
        U = np.zeros((n, p))
        V = np.zeros((n, p))
        dmu = np.zeros((n, p))
        ka, ks, km = kind == KIND_A, kind == KIND_S, kind == KIND_M
        U[ka] = Bf[:, i[ka]].T
        V[ka] = gm.C[:p, j[ka]].T
        U[ks] = Bf[:, i[ks]].T
        V[ks] = Bf[:, j[ks]].T * np.where(i[ks] == j[ks], 0.5, 1.0)[:, None]
        if self.meanstructure:
            dmu[ka] = Bf[:, i[ka]].T * gm.BM[j[ka]][:, None]
            dmu[km] = Bf[:, i[km]].T
        return U, V, dmu

    def second_term(self, gm: GroupMatrices, kind: np.ndarray, i: np.ndarray, j: np.ndarray, G: np.ndarray,
                    u: np.ndarray) -> np.ndarray:  # fmt: skip
        """Element matrix of ``tr(G ∂²Σ/∂θ_a∂θ_b) − 2 uᵀ ∂²μ/∂θ_a∂θ_b`` for fixed symmetric G (p×p) and u (p).

        With Gq = G embedded in q×q, H = Bᵀ Gq B, D = C Gq B, w = Bᵀ u (embedded):

        * A[i,j], A[k,l]: 2(B_jk D_li + C_jl H_ki + D_jk B_li) − 2(w_k B_li (BM)_j + w_i B_jk (BM)_l)
        * A[i,j], S[k,l]: 2(B_jk H_li + B_jl H_ki) (k ≠ l), 2 B_jk H_ki (k = l)
        * A[i,j], M[k]:   −2 w_i B_jk
        """
        q, p = self.q, self.p
        B, C, BM = gm.B, gm.C, gm.BM
        Gq = np.zeros((q, q))
        Gq[:p, :p] = G
        GB = Gq @ B
        H = B.T @ GB
        D = C @ GB
        n = len(kind)
        E = np.zeros((n, n))
        a = np.nonzero(kind == KIND_A)[0]
        if len(a) == 0:
            return E
        ia, ja = i[a], j[a]
        Eaa = _aa(B, C, D, H, ia, ja)
        if self.meanstructure:
            w = np.zeros(q)
            w[:p] = u
            Bw = B.T @ w
            Eaa -= 2.0 * (Bw[ia][None, :] * B[np.ix_(ja, ia)].T * BM[ja][:, None])
            Eaa -= 2.0 * (Bw[ia][:, None] * B[np.ix_(ja, ia)] * BM[ja][None, :])
        E[np.ix_(a, a)] = Eaa
        s = np.nonzero(kind == KIND_S)[0]
        if len(s):
            ks, ls = i[s], j[s]
            val = 2.0 * (B[np.ix_(ja, ks)] * H[np.ix_(ls, ia)].T + B[np.ix_(ja, ls)] * H[np.ix_(ks, ia)].T)
            val = np.where((ks == ls)[None, :], 2.0 * B[np.ix_(ja, ks)] * H[np.ix_(ks, ia)].T, val)
            E[np.ix_(a, s)] = val
            E[np.ix_(s, a)] = val.T
        mm_ = np.nonzero(kind == KIND_M)[0]
        if len(mm_) and self.meanstructure:
            w = np.zeros(q)
            w[:p] = u
            Bw = B.T @ w
            km = i[mm_]
            val = -2.0 * Bw[ia][:, None] * B[np.ix_(ja, km)]
            E[np.ix_(a, mm_)] = val
            E[np.ix_(mm_, a)] = val.T
        return E


def _aa(B: np.ndarray, C: np.ndarray, D: np.ndarray, H: np.ndarray, ia: np.ndarray, ja: np.ndarray) -> np.ndarray:
    """2(B_jk D_li + C_jl H_ki + D_jk B_li) for rows (i, j) and columns (k, l) drawn from the same element list."""
    # rows r = (i_r, j_r), columns c = (k_c = i_c, l_c = j_c)
    t1 = B[np.ix_(ja, ia)] * D[np.ix_(ja, ia)].T  # B[j_r, k_c] * D[l_c, i_r]
    t2 = C[np.ix_(ja, ja)] * H[np.ix_(ia, ia)].T  # C[j_r, l_c] * H[k_c, i_r]
    t3 = D[np.ix_(ja, ia)] * B[np.ix_(ja, ia)].T  # D[j_r, k_c] * B[l_c, i_r]
    return 2.0 * (t1 + t2 + t3)
