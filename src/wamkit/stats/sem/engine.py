"""Maximum-likelihood estimation for :class:`~wamkit.stats.sem.model.RamModel` (complete data and FIML).

Objective (lavaan's ``fx`` times two, so ``chisq = N · F``)::

    F(θ) = 2 (logL_h1 − logL(θ)) / N
         = Σ_g Σ_k (n_gk/N) [log|Σ_k| + tr(S_k Σ_k⁻¹) + d_kᵀ Σ_k⁻¹ d_k] + const

summed over groups g and missing-data patterns k (one pattern per group for complete
data), with Σ_k, d_k = ȳ_k − μ_k the observed parts.  Per pattern, with P_k the padded
inverse, T_k = S_k + d_k d_kᵀ, u_k = P_k d_k, G_k = P_k − P_k T_k P_k:

* gradient ``∂F/∂θ_a = Σ_k w_k [tr(G_k Σ_a) − 2 μ_aᵀ u_k]`` — linear in G_k and u_k, so
  it needs only their weighted sums (FIML costs one batched inverse per pattern);
* expected (Fisher) information per observation
  ``I_ab = Σ_k w_k [½ tr(P_k Σ_a P_k Σ_b) + μ_aᵀ P_k μ_b]``;
* Hessian ``∂²F/∂θ_a∂θ_b = Σ_k w_k [tr(G_k Σ_ab) − 2 μ_abᵀ u_k − tr(P_k Σ_b P_k Σ_a)
  + tr(P_k Σ_a P_k Σ_b P_k T_k) + tr(P_k Σ_b P_k Σ_a P_k T_k) + 2 (μ_aᵀ P_k Σ_b u_k + μ_bᵀ P_k Σ_a u_k)
  + 2 μ_aᵀ P_k μ_b]``.

Because every ``Σ_a = u_a v_aᵀ + v_a u_aᵀ`` the traces reduce to products of the bilinear
forms ``UPUᵀ``, ``VPVᵀ``, ``UPVᵀ`` (and the same with ``P T P``).

Optimisation: Fisher scoring from the starting values, Newton steps with the exact
Hessian once the quadratic model is close (positive-definite Hessian), Armijo
backtracking that accepts only a strict decrease (a step that changes nothing is never
accepted).  Convergence as nlminb/PORT judges it in lavaan (``rel.tol = 1e-10``,
``x.tol = 1.5e-8``): the decrease predicted by the local quadratic model is at most
``rel_tol · |F|`` (relative function convergence), or a full step changes the
parameters by at most ``x_tol`` relative to their size (X-convergence), or F is zero to
rounding (absolute function convergence); then, as lavaan's ``check.gradient``, every
gradient element of lavaan's objective F/2 must be below ``optim.dx.tol = 1e-3``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from wamkit.stats.linalg import chol, chol_inv, chol_solve, mm
from wamkit.stats.sem.model import KIND_A, KIND_M, KIND_S, GroupMatrices, RamModel
from wamkit.stats.sem.samplestats import LOG2PI, SampleStats, padded_inverse

__all__ = ["Evaluation", "OptimResult", "Problem", "optimise", "start_values"]

REL_TOL = 1e-10
X_TOL = 1.5e-8
ABS_TOL = 2.0 * 10 * np.finfo(float).eps  # lavaan abs.tol = 10·eps on F/2
DX_TOL = 1e-3  # lavaan optim.dx.tol, on F/2
MAX_ITER = 500


@dataclass
class Evaluation:
    F: float
    grad: np.ndarray | None = None  # x-space (free rows) gradient of F
    info: np.ndarray | None = None  # x-space expected information per observation
    hess: np.ndarray | None = None  # x-space Hessian of F
    implied: list[GroupMatrices] | None = None


@dataclass
class OptimResult:
    theta: np.ndarray
    F: float
    converged: bool
    iterations: int
    message: str


class Problem:
    """A compiled model together with its sample statistics."""

    def __init__(self, model: RamModel, stats: SampleStats) -> None:
        self.model = model
        self.stats = stats
        N = float(stats.ntotal)
        self.N = N
        self.w = [g.nk / N for g in stats.groups]
        const = 0.0
        for g, w in zip(stats.groups, self.w, strict=True):
            const += float(np.sum(w * g.obs.sum(axis=1))) * LOG2PI + 2.0 * g.logl_h1 / N
        self.const = const
        self.x2par = model.x2par

    # -------------------------------------------------------------------------------------------
    def evaluate(self, theta: np.ndarray, *, grad: bool = False, info: bool = False, hess: bool = False,
                 extra: list[tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None) -> Evaluation:  # fmt: skip
        """F and (optionally) its x-space gradient, expected information and Hessian.

        ``extra`` = per group (kind, i, j) arrays of additional (fixed) elements whose
        gradient and information rows/columns are appended after the free ones, group by
        group (modification indices); they are not used for the Hessian.
        """
        mdl = self.model
        nx = mdl.nx
        offsets = [nx]
        for ex in extra or []:
            offsets.append(offsets[-1] + len(ex[0]))
        ntot = offsets[-1]
        g_x = np.zeros(ntot) if grad else None
        i_x = np.zeros((ntot, ntot)) if info else None
        h_x = np.zeros((nx, nx)) if hess else None
        F = self.const
        implied = []
        for g, gs in enumerate(self.stats.groups):
            gm = mdl.implied(theta, g)
            if gm is None:
                return Evaluation(np.inf)
            implied.append(gm)
            res = padded_inverse(gm.sigma, gs.obs)
            if res is None:
                return Evaluation(np.inf)
            P, logdet = res
            w = self.w[g]
            if mdl.meanstructure:
                d = (gs.ybar - gm.mu[None]) * gs.obs
            else:
                d = np.zeros_like(gs.ybar)
            Pd = np.einsum("kij,kj->ki", P, d)
            quad = np.einsum("kij,kji->k", P, gs.S) + np.einsum("ki,ki->k", d, Pd)
            F += float(np.sum(w * (logdet + quad)))
            if not (grad or info or hess):
                continue
            el = mdl.elements[g]
            kind, ii, jj, xx = el.kind, el.i, el.j, el.x
            if extra is not None:
                kind = np.concatenate([kind, extra[g][0]])
                ii = np.concatenate([ii, extra[g][1]])
                jj = np.concatenate([jj, extra[g][2]])
                xx = np.concatenate([xx, np.arange(offsets[g], offsets[g + 1])])
            U, V, dmu = mdl.first_derivatives(gm, kind, ii, jj)
            PS = P @ gs.S
            M2 = PS @ P + np.einsum("ki,kj->kij", Pd, Pd)  # P T P
            Gsum = np.einsum("k,kij->ij", w, P - M2)
            usum = w @ Pd
            if grad and g_x is not None:
                ge = 2.0 * np.einsum("ap,ap->a", mm(U, Gsum), V)
                if mdl.meanstructure:
                    ge -= 2.0 * (dmu @ usum)
                np.add.at(g_x, xx, ge)
            if info and i_x is not None:
                ie = self._pattern_sum(gm, kind, ii, jj, P, w, None, None, hessian=False)
                np.add.at(i_x, (xx[:, None], xx[None, :]), ie)
            if hess and h_x is not None:
                he = self._pattern_sum(gm, el.kind, el.i, el.j, P, w, M2, Pd, hessian=True)
                he += mdl.second_term(gm, el.kind, el.i, el.j, Gsum, usum)
                he = 0.5 * (he + he.T)
                np.add.at(h_x, (el.x[:, None], el.x[None, :]), he)
        return Evaluation(F, g_x, i_x, h_x, implied)

    def _pattern_sum(self, gm: GroupMatrices, kind: np.ndarray, ii: np.ndarray, jj: np.ndarray, P: np.ndarray,
                     w: np.ndarray, M2: np.ndarray | None, Pd: np.ndarray | None, *,
                     hessian: bool) -> np.ndarray:  # fmt: skip
        """Σ_k w_k of the expected-information (``hessian=False``) or the pattern part of the Hessian.

        Index form of the bilinear forms: every U row is a column of ``B_f = B[:p]``, every V
        row a (scaled) column of ``W = [C[:p] | B_f]`` and every ∂μ row a scaled column of
        ``B_f``, so ``U P Uᵀ = (B_fᵀ P B_f)[i, i]`` etc.; per pattern only q×q, q×2q and
        2q×2q products are formed, batched over patterns, then gathered for the elements.
        """
        p, q = self.model.p, self.model.q
        means = self.model.meanstructure
        Bf = gm.B[:p]
        W = np.hstack([gm.C[:p], Bf])
        ne = len(kind)
        ci = np.nonzero(kind != KIND_M)[0]
        iU = ii[ci]
        jV = np.where(kind[ci] == KIND_A, jj[ci], q + jj[ci])
        vs = np.where((kind[ci] == KIND_S) & (ii[ci] == jj[ci]), 0.5, 1.0)
        mi = np.nonzero(kind != KIND_S)[0] if means else np.zeros(0, dtype=np.int64)
        iM = ii[mi]
        ms = np.where(kind[mi] == KIND_A, gm.BM[jj[mi]], 1.0)
        vv = np.outer(vs, vs)
        msms = np.outer(ms, ms)
        nc, nm = len(ci), len(mi)
        cc = np.zeros((nc, nc))
        mq = np.zeros((nm, nc))
        mmat = np.zeros((nm, nm))

        def forms(M: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            MB = M @ Bf  # batched over patterns: (K, p, q)
            MW = M @ W
            return Bf.T @ MB, Bf.T @ MW, W.T @ MW

        QBB1, QBW1, QWW1 = forms(P)
        if hessian:
            assert M2 is not None and Pd is not None
            QBB2, QBW2, QWW2 = forms(M2)
            uB = Pd @ Bf
            uW = Pd @ W
        # per pattern on small, cache-resident element matrices
        for k in range(P.shape[0]):
            wk = float(w[k])
            UU1 = QBB1[k].take(iU, 0).take(iU, 1)
            VV1 = QWW1[k].take(jV, 0).take(jV, 1)
            VV1 *= vv
            UV1 = QBW1[k].take(iU, 0).take(jV, 1)
            UV1 *= vs
            UV1t = UV1.T
            if not hessian:
                t = UU1 * VV1
                t += UV1 * UV1t
                t *= wk
                cc += t
                if nm:
                    mmat += wk * QBB1[k].take(iM, 0).take(iM, 1)
                continue
            UU2 = QBB2[k].take(iU, 0).take(iU, 1)
            VV2 = QWW2[k].take(jV, 0).take(jV, 1)
            VV2 *= vv
            UV2 = QBW2[k].take(iU, 0).take(jV, 1)
            UV2 *= vs
            M3 = UV1t * UV2
            M3 += VV1 * UU2
            M3 += UU1 * VV2
            M3 += UV1 * UV2.T
            t = UU1 * VV1
            t += UV1 * UV1t
            t *= -2.0
            t += M3
            t += M3.T
            t *= wk
            cc += t
            if nm:
                su = uB[k].take(iU)
                sv = uW[k].take(jV) * vs
                MPU = QBB1[k].take(iM, 0).take(iU, 1)
                MPU *= sv[None, :]
                MPV = QBW1[k].take(iM, 0).take(jV, 1)
                MPV *= (vs * su)[None, :]
                MPU += MPV
                MPU *= wk
                mq += MPU
                mmat += (2.0 * wk) * QBB1[k].take(iM, 0).take(iM, 1)
        if nm:
            mq *= ms[:, None]
            mmat *= msms
        out = np.zeros((ne, ne))
        out[np.ix_(ci, ci)] += cc
        if nm:
            out[np.ix_(mi, mi)] += mmat
            if hessian:
                out[np.ix_(mi, ci)] += 2.0 * mq
                out[np.ix_(ci, mi)] += 2.0 * mq.T
        return out

    # -------------------------------------------------------------------------------------------
    def objective(self, theta: np.ndarray) -> float:
        return self.evaluate(theta).F

    def reduce_vec(self, v: np.ndarray) -> np.ndarray:
        return np.bincount(self.x2par, weights=v[: self.model.nx], minlength=self.model.npar)

    def reduce_mat(self, M: np.ndarray) -> np.ndarray:
        """Rᵀ M R for the 0/1 map R from free rows to distinct parameters (sums over tied rows)."""
        nx, k = self.model.nx, self.model.npar
        M = M[:nx, :nx]
        if k == nx and np.array_equal(self.x2par, np.arange(nx)):
            return M.copy()
        rows = np.zeros((k, nx))
        np.add.at(rows, self.x2par, M)
        out = np.zeros((k, k))
        np.add.at(out.T, self.x2par, rows.T)
        return out

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        ev = self.evaluate(theta, grad=True)
        assert ev.grad is not None
        return self.reduce_vec(ev.grad)


# ---------------------------------------------------------------------------------------------
# starting values
# ---------------------------------------------------------------------------------------------
def start_values(prob: Problem) -> np.ndarray:
    """Starting values: per-factor first principal axis for loadings and latent variances,
    residual variances from the item variances, zero regressions and covariances, sample
    means for intercepts; user ``start()`` values win; tied parameters are averaged."""
    mdl, pt = prob.model, prob.model.pt
    p = mdl.p
    theta = np.zeros(mdl.npar)
    count = np.zeros(mdl.npar)
    ov_pos = {v: k for k, v in enumerate(mdl.ov_names)}
    lv_list = list(mdl.lv_names)
    for g, gs in enumerate(prob.stats.groups):
        S = gs.cov
        ybar = gs.mean
        grp_arr = np.nonzero(pt.group == g + 1)[0]
        grp_rows: list[int] = grp_arr.tolist()
        load_rows = [r for r in grp_rows if pt.op[r] == "=~"]
        lam_val: dict[int, float] = {}
        lv_var: dict[str, float] = {}
        nload = np.zeros(p)
        common = np.zeros(p)
        for f in lv_list:
            rows_f = [r for r in load_rows if pt.lhs[r] == f]
            ov_rows = [r for r in rows_f if pt.rhs[r] in ov_pos]
            for r in rows_f:
                if pt.rhs[r] not in ov_pos:
                    lam_val[r] = 1.0 if pt.free[r] > 0 else float(pt.ustart[r])
            if not ov_rows:
                lv_var[f] = 0.05
                continue
            idx = [ov_pos[pt.rhs[r]] for r in ov_rows]
            sd = np.sqrt(np.diag(S)[idx])
            if len(idx) == 1:
                lstd = np.array([0.7])
            else:
                R = S[np.ix_(idx, idx)] / np.outer(sd, sd)
                ev, vec = np.linalg.eigh(R)
                vmax = vec[:, -1] * (1.0 if vec[0, -1] >= 0 else -1.0)
                lstd = np.clip(vmax * math.sqrt(max(float(ev[-1]), 1e-3)) * 0.9, -0.95, 0.95)
                lstd = np.where(np.abs(lstd) < 0.05, 0.05, lstd)
            lraw = lstd * sd
            # scale: the first loading with a fixed non-zero value, else the latent variance fixed at its value
            fixed_k = next((k for k, r in enumerate(ov_rows) if pt.free[r] == 0 and pt.ustart[r] != 0), None)
            var_row = next((r for r in grp_rows if pt.op[r] == "~~" and pt.lhs[r] == f and pt.rhs[r] == f), None)
            if fixed_k is not None:
                c = float(pt.ustart[ov_rows[fixed_k]])
                scale = float(lraw[fixed_k]) / c
            elif var_row is not None and pt.free[var_row] == 0 and pt.ustart[var_row] > 0:
                scale = math.sqrt(float(pt.ustart[var_row]))
            else:
                scale = float(lraw[0])
            phi = scale**2
            lv_var[f] = phi
            for k, r in enumerate(ov_rows):
                lam = lraw[k] / scale if pt.free[r] > 0 else float(pt.ustart[r])
                lam_val[r] = lam
                i = ov_pos[pt.rhs[r]]
                nload[i] += 1
                common[i] += lam * lam * phi
        th = np.diag(S) - common
        th = np.where(nload > 1, 0.5 * np.diag(S), np.maximum(th, 0.1 * np.diag(S)))
        th = np.where(nload == 0, 0.5 * np.diag(S), th)
        vals = np.zeros(len(pt))
        for r in grp_rows:
            if pt.free[r] == 0:
                continue
            op, lhs, rhs = pt.op[r], pt.lhs[r], pt.rhs[r]
            val: float
            if op == "=~":
                val = lam_val.get(r, 1.0)
            elif op == "~~" and lhs == rhs:
                val = float(th[ov_pos[lhs]]) if lhs in ov_pos else lv_var.get(lhs, 0.05)
            elif op == "~1":
                val = float(ybar[ov_pos[lhs]]) if lhs in ov_pos else 0.0
            else:
                val = 0.0
            if not np.isnan(pt.ustart[r]):
                val = float(pt.ustart[r])
            vals[r] = val
        free_rows = grp_arr[pt.free[grp_arr] > 0]
        np.add.at(theta, pt.par[free_rows] - 1, vals[free_rows])
        np.add.at(count, pt.par[free_rows] - 1, 1.0)
    theta = theta / np.maximum(count, 1.0)
    if not np.isfinite(prob.objective(theta)):
        # inflate (residual) variances until the implied matrices are positive definite
        var_par = np.unique([pt.par[r] - 1 for r in range(len(pt)) if pt.free[r] > 0 and pt.op[r] == "~~"
                             and pt.lhs[r] == pt.rhs[r]])  # fmt: skip
        for _ in range(20):
            theta[var_par] = np.abs(theta[var_par]) * 1.5 + 0.1
            if np.isfinite(prob.objective(theta)):
                break
    return theta


# ---------------------------------------------------------------------------------------------
# optimiser
# ---------------------------------------------------------------------------------------------
def _solve(H: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, bool]:
    """−H⁻¹g with a Cholesky factor; (step, positive definite)."""
    c = chol(H)
    if c is not None:
        return -chol_solve(c, g), True
    # singular/indefinite: regularise (Levenberg–Marquardt style)
    d = np.abs(np.diag(H))
    lam = 1e-8 * max(float(d.max()) if d.size else 1.0, 1e-12)
    for _ in range(30):
        c = chol(H + lam * np.diag(np.maximum(d, 1e-12)))
        if c is not None:
            return -chol_solve(c, g), False
        lam *= 10.0
    return -g, False


def optimise(prob: Problem, theta0: np.ndarray, *, max_iter: int = MAX_ITER, rel_tol: float = REL_TOL,
             x_tol: float = X_TOL) -> OptimResult:  # fmt: skip
    """Minimise F by Fisher scoring then Newton (see the module docstring)."""
    theta = theta0.astype(float).copy()
    F = prob.objective(theta)
    if not np.isfinite(F):
        return OptimResult(theta, F, False, 0, "the starting values give a non-positive-definite implied matrix")
    if theta.size == 0:
        return OptimResult(theta, F, True, 0, "no free parameters")
    newton = False
    message = ""
    converged = False
    it = 0
    while it < max_iter:
        it += 1
        if newton:
            ev = prob.evaluate(theta, grad=True, hess=True)
            assert ev.grad is not None and ev.hess is not None
            g = prob.reduce_vec(ev.grad)
            H = prob.reduce_mat(ev.hess)
            step, pd = _solve(H, g)
            if not pd:
                newton = False
        if not newton:
            ev = prob.evaluate(theta, grad=True, info=True)
            assert ev.grad is not None and ev.info is not None
            g = prob.reduce_vec(ev.grad)
            H = 2.0 * prob.reduce_mat(ev.info)
            step, _ = _solve(H, g)
        slope = float(g @ step)
        if slope >= 0:
            step, slope = -g, -float(g @ g)
        pred = -slope - 0.5 * float(step @ H @ step)
        if F <= ABS_TOL:
            converged, message = True, "absolute function convergence"
            it -= 1
            break
        if 0 <= pred <= rel_tol * abs(F) and (newton or pred <= 0.1 * rel_tol * abs(F)):
            converged, message = True, "relative function convergence"
            it -= 1
            break
        t = 1.0
        accepted = False
        scale = np.maximum(np.abs(theta), 1.0)
        while t >= 1e-10:
            cand = theta + t * step
            if np.all(np.abs(cand - theta) <= 4.0 * np.finfo(float).eps * scale):
                break  # the step no longer changes the parameters: never accept it
            Fc = prob.objective(cand)
            if np.isfinite(Fc) and Fc < F and Fc <= F + 1e-4 * t * slope:
                accepted = True
                break
            t *= 0.5
        if not accepted:
            if newton or pred <= math.sqrt(rel_tol) * max(abs(F), 1e-12):
                converged = pred <= math.sqrt(rel_tol) * max(abs(F), 1e-12)
                message = ("relative function convergence (no further decrease possible)" if converged
                           else "the line search could not decrease the objective")  # fmt: skip
                it -= 1
                break
            newton = True  # Fisher direction failed: try the exact Hessian
            continue
        dx = cand - theta
        rel_step = float(np.max(np.abs(dx)) / max(float(np.max(np.abs(theta) + np.abs(cand))), 1e-300))
        theta, F = cand, Fc
        if t == 1.0 and rel_step <= x_tol:
            converged, message = True, "X-convergence"
            break
        if not newton and t == 1.0 and pred <= 1e-3 * max(abs(F), 1e-3):
            newton = True
    else:
        message = f"no convergence in {max_iter} iterations"
    if converged:
        gfin = prob.gradient(theta)
        if np.any(np.abs(0.5 * gfin) > DX_TOL):
            converged = False
            message = "the optimizer claimed convergence but not all elements of the gradient are (near) zero"
    return OptimResult(theta, F, converged, it, message)


def inverse_information(prob: Problem, theta: np.ndarray, *, observed: bool) -> tuple[np.ndarray, str | None]:
    """Covariance matrix of the estimates, ``(N · I)⁻¹`` with I the expected (or observed, ½ ∂²F) information."""
    k = prob.model.npar
    if k == 0:
        return np.zeros((0, 0)), None
    if observed:
        ev = prob.evaluate(theta, hess=True)
        assert ev.hess is not None
        info = 0.5 * prob.reduce_mat(ev.hess)
    else:
        ev = prob.evaluate(theta, info=True)
        assert ev.info is not None
        info = prob.reduce_mat(ev.info)
    info = 0.5 * (info + info.T) * prob.N
    # rank check on the scale-free (correlation) form: a (near) singular information matrix
    # means the model is not identified and no standard errors exist (lavaan warns and gives NA)
    d = np.sqrt(np.abs(np.diag(info)))
    d = np.where(d > 0, d, 1.0)
    eig = np.linalg.eigvalsh(info / np.outer(d, d))
    if not np.all(np.isfinite(eig)) or eig[0] < 1e-10 * max(float(eig[-1]), 1e-300):
        return np.full((k, k), np.nan), ("the information matrix is singular: standard errors are unavailable "
                                         "(the model may not be identified)")  # fmt: skip
    c = chol(info)
    if c is not None:
        return chol_inv(c), None
    try:
        V = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return np.full((k, k), np.nan), ("the information matrix could not be inverted: standard errors are "
                                         "unavailable (the model may not be identified)")  # fmt: skip
    if np.any(np.diag(V) < 0):
        return V, "the information matrix is not positive definite: some standard errors are unavailable"
    return V, None
