"""Actor-Partner Interdependence Model (APIM) for distinguishable dyads, by GLS/REML.

The data are in *pairwise* form: one row per person (client or professional)
with the dyad id, the role, the person's outcome, the person's own predictor
(``actor``) and the other member's predictor (``partner``). The model
(Kenny, Kashy & Cook 2006, ch. 7) is::

    y_ir = a0_r + a_r actor_ir + p_r partner_ir + e_ir,
    Var(e_i,r) = sigma_r^2,  Cor(e_i,client, e_i,professional) = rho

i.e. R ``nlme::gls(y ~ 0 + role + role:actor + role:partner,
correlation = corCompSymm(form = ~ 1 | dyad), weights = varIdent(form = ~ 1 | role),
method = "REML", na.action = na.omit)``. The within-dyad covariance is a 2 x 2
block per complete dyad; a dyad with one member left contributes one row with
its role's variance (as ``gls``).

Estimation: for given ``(rho, delta = sigma_2 / sigma_1)`` each dyad's block is
whitened with its Cholesky factor, beta is then ordinary least squares on the
whitened data and ``sigma_1^2`` has the closed form ``RSS / (N - p)`` (REML) or
``RSS / N`` (ML); the profiled log-likelihood in ``(atanh rho, log delta)`` is
maximised by Nelder-Mead and polished by Newton steps on a finite-difference
Hessian. Fixed-effect SEs are ``sigma^2 (X' Lambda^-1 X)^-1`` with t on ``N - p`` df
(``summary(gls)``'s t-table). ``loglik`` is nlme's (restricted) log-likelihood,
``aic``/``bic`` as ``AIC``/``BIC`` of the ``gls`` fit.

The k ratio (Kenny & Ledermann 2010) for role r is ``k_r = p_r / a_r`` (partner effect
on r over r's actor effect): ``k = 1`` is a couple pattern (only the dyad sum
matters), ``k = -1`` a contrast pattern (only the difference), ``k = 0`` actor only;
its SE is the delta method ``sqrt(g' V g)``, ``g = (-p/a^2, 1/a)`` on ``(a, p)``, with a
normal CI and z test.

Distinguishability (Kenny, Kashy & Cook 2006, sec. 7.2; Kenny's APIM_MM / dyadr):
the distinguishable model above against the indistinguishable one,
``gls(y ~ actor + partner, correlation = corCompSymm(form = ~ 1 | dyad))`` (one
intercept, one actor and one partner effect, one variance): 4 fewer parameters
(3 fixed effects, 1 variance). Both are fitted by ML and compared by the
likelihood ratio, ``anova(gls_ml_indist, gls_ml_dist)``: chi^2(4).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special

from wamkit.errors import DataError, UsageError
from wamkit.results import StatResult, to_jsonable
from wamkit.stats.columns import numeric_column
from wamkit.stats.inference import Estimate, WaldTest, combination

__all__ = [
    "APIMResult",
    "CrossLaggedAPIM",
    "GLSFit",
    "apim",
    "apim_cross_lagged",
    "gls_dyadic",
    "pairwise_lagged",
]

_LOG2PI = math.log(2 * math.pi)


# --------------------------------------------------------------------------- GLS engine
@dataclass(frozen=True)
class GLSFit:
    """A GLS fit with a 2 x 2 within-dyad residual covariance (see :func:`gls_dyadic`).

    Attributes
    ----------
    terms : tuple of str
        Column names of the design.
    beta : numpy.ndarray
        Fixed effects.
    vcov : numpy.ndarray
        Their covariance ``sigma^2 (X' Lambda^-1 X)^-1`` (R ``vcov(fit)``).
    sigma : tuple of float
        Residual SD of role 0 and role 1 (equal when ``equal_variances``).
    rho : float
        Residual correlation within dyads.
    loglik : float
        (Restricted) log-likelihood, as ``logLik(fit)``.
    method : str
        ``"REML"`` or ``"ML"``.
    n : int
        Rows used (N).
    df_resid : int
        ``N - p``: df of the t tests.
    n_params : int
        Parameters counted by ``AIC``: p + variance parameters.
    converged : bool
    """

    terms: tuple[str, ...]
    beta: np.ndarray = field(repr=False)
    vcov: np.ndarray = field(repr=False)
    sigma: tuple[float, float]
    rho: float
    loglik: float
    method: str
    n: int
    df_resid: int
    n_params: int
    converged: bool

    @property
    def aic(self) -> float:
        return -2 * self.loglik + 2 * self.n_params

    @property
    def bic(self) -> float:
        """As ``BIC(gls)``: log(N - p) for REML, log(N) for ML."""
        nobs = self.n - (len(self.terms) if self.method == "REML" else 0)
        return -2 * self.loglik + math.log(nobs) * self.n_params

    def estimate(self, term: str, *, ci_level: float = 0.95) -> Estimate:
        """One fixed effect with t on ``df_resid`` df (``summary(gls)$tTable``)."""
        c = np.zeros(len(self.terms))
        c[self.terms.index(term)] = 1
        return combination(self.beta, self.vcov, c, df=self.df_resid, ci_level=ci_level)

    def to_dict(self) -> dict:
        return {
            "terms": list(self.terms),
            "beta": to_jsonable(self.beta),
            "vcov": to_jsonable(self.vcov),
            "sigma": list(self.sigma),
            "rho": self.rho,
            "loglik": self.loglik,
            "aic": self.aic,
            "bic": self.bic,
            "method": self.method,
            "n": self.n,
            "df_resid": self.df_resid,
            "n_params": self.n_params,
            "converged": self.converged,
        }


class _Blocks:
    """Row bookkeeping: complete dyads (row of role 0, row of role 1) and single rows."""

    def __init__(self, dyad_codes: np.ndarray, role01: np.ndarray):
        n = dyad_codes.size
        key = dyad_codes * 2 + role01
        if np.unique(key).size != n:
            raise DataError("a dyad has two rows with the same role; the pairwise data need one row per dyad member")
        counts = np.bincount(dyad_codes)
        pair = counts[dyad_codes] == 2
        r0 = np.flatnonzero(pair & (role01 == 0))
        r1 = np.flatnonzero(pair & (role01 == 1))
        self.a = r0[np.argsort(dyad_codes[r0], kind="stable")]  # role-0 row of each complete dyad
        self.b = r1[np.argsort(dyad_codes[r1], kind="stable")]  # its role-1 row
        self.s0 = np.flatnonzero(~pair & (role01 == 0))
        self.s1 = np.flatnonzero(~pair & (role01 == 1))
        self.n = n
        self.n_dyads = int((counts > 0).sum())
        self.n_pairs = int(self.a.size)

    def whiten(self, M: np.ndarray, rho: float, delta: float) -> tuple[np.ndarray, float]:
        """``L^-1 M`` blockwise (rows in input order) and ``log|Lambda|``, Lambda with unit
        variance for role 0 and ``delta^2`` for role 1, correlation rho."""
        out = np.empty_like(M)
        s = delta * math.sqrt(1 - rho * rho)
        a, b = self.a, self.b
        out[a] = M[a]
        out[b] = (M[b] - rho * delta * M[a]) / s
        out[self.s0] = M[self.s0]
        out[self.s1] = M[self.s1] / delta
        logdet = 2 * self.n_pairs * math.log(s) + 2 * self.s1.size * math.log(delta)
        return out, logdet


class _Profile:
    """The profiled (restricted) log-likelihood in ``theta = (atanh rho, log delta)`` and its
    analytic gradient, from the blocks' cross-products (O(p^3) per evaluation).

    With M = [X y] and the per-dyad covariance ``Lambda`` (role 0 variance 1, role 1
    ``delta^2``, correlation rho), ``Q = M' Lambda^-1 M`` is a fixed combination of the
    cross-products ``A = M_a'M_a``, ``B = M_b'M_b``, ``C = M_a'M_b`` (pairs, role 0/1 rows)
    and ``S0``, ``S1`` (single rows)::

        Q = S0 + S1 / delta^2 + (A - rho (C + C') / delta + B / delta^2) / (1 - rho^2)

    ``RSS = v'Qv`` with ``v = (-beta, 1)``, so ``dRSS = v' dQ v`` (envelope theorem), and
    ``d log|X'Lambda^-1 X| = tr(Qxx^-1 dQxx)``. X is replaced by an orthonormal basis of its
    column space for conditioning (this shifts the REML criterion by a constant only).
    """

    def __init__(self, blocks: _Blocks, X: np.ndarray, y: np.ndarray, reml: bool, equal_var: bool):
        Xq = np.linalg.qr(X)[0]
        M = np.column_stack([Xq, y])
        a, b = blocks.a, blocks.b
        self.A = M[a].T @ M[a]
        self.B = M[b].T @ M[b]
        C = M[a].T @ M[b]
        self.CC = C + C.T
        self.S0 = M[blocks.s0].T @ M[blocks.s0]
        self.S1 = M[blocks.s1].T @ M[blocks.s1]
        self.p = X.shape[1]
        self.n = blocks.n
        self.n_pairs = blocks.n_pairs
        self.n_s1 = blocks.s1.size
        self.reml = reml
        self.equal_var = equal_var

    def __call__(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """``(-loglik + const, gradient)`` at theta."""
        rho = math.tanh(theta[0])
        delta = 1.0 if self.equal_var else math.exp(theta[1])
        u = 1 / (1 - rho * rho)
        di = 1 / delta
        core = self.A - rho * di * self.CC + di * di * self.B
        Q = self.S0 + di * di * self.S1 + u * core
        dQ_rho = -di * u * self.CC + 2 * rho * u * u * core
        dQ_delta = -2 * di**3 * self.S1 + u * (rho * di * di * self.CC - 2 * di**3 * self.B)
        p = self.p
        Qxx, qxy = Q[:p, :p], Q[:p, p]
        try:
            L = np.linalg.cholesky(Qxx)
        except np.linalg.LinAlgError:
            return math.inf, np.full(theta.size, np.nan)
        beta = np.linalg.solve(Qxx, qxy)
        rss = float(Q[p, p] - qxy @ beta)
        if not rss > 0:
            return math.inf, np.full(theta.size, np.nan)
        v = np.r_[-beta, 1.0]
        nn = self.n - p if self.reml else self.n
        logdet = self.n_pairs * (2 * math.log(delta) + math.log(1 - rho * rho)) + 2 * self.n_s1 * math.log(delta)
        f = 0.5 * (nn * math.log(rss) + logdet)
        d_rho = 0.5 * (nn * float(v @ dQ_rho @ v) / rss - self.n_pairs * 2 * rho * u)
        d_delta = 0.5 * (nn * float(v @ dQ_delta @ v) / rss + (2 * self.n_pairs + 2 * self.n_s1) * di)
        if self.reml:
            f += float(np.sum(np.log(np.diag(L))))
            Qi = np.linalg.inv(Qxx)
            d_rho += 0.5 * float(np.sum(Qi * dQ_rho[:p, :p]))
            d_delta += 0.5 * float(np.sum(Qi * dQ_delta[:p, :p]))
        g = [d_rho * (1 - rho * rho)]
        if not self.equal_var:
            g.append(d_delta * delta)
        return f, np.array(g)


def _loglik(theta: np.ndarray, blocks: _Blocks, Xy: np.ndarray, p: int, reml: bool, equal_var: bool):
    """nlme's (restricted) log-likelihood at theta, by whitening and QR (for reporting)."""
    rho = math.tanh(theta[0])
    delta = 1.0 if equal_var else math.exp(theta[1])
    W, logdet = blocks.whiten(Xy, rho, delta)
    X, y = W[:, :p], W[:, p]
    Q, R = np.linalg.qr(X)
    qty = Q.T @ y
    e = y - Q @ qty
    rss = float(e @ e)
    n = blocks.n
    nn = n - p if reml else n
    ll = -0.5 * (nn * (_LOG2PI + 1 + math.log(rss / nn)) + logdet)
    if reml:
        ll -= float(np.sum(np.log(np.abs(np.diag(R)))))
    return ll, (R, qty, rss, rho, delta)


def gls_dyadic(
    y: np.ndarray,
    X: np.ndarray,
    dyad: np.ndarray,
    role: np.ndarray,
    *,
    terms: Sequence[str],
    equal_variances: bool = False,
    method: str = "REML",
) -> GLSFit:
    """GLS with one residual correlation within dyads and role-specific variances.

    R: ``nlme::gls(y ~ 0 + X, correlation = corCompSymm(form = ~ 1 | dyad),
    weights = varIdent(form = ~ 1 | role), method = method)`` (without ``weights`` when
    ``equal_variances``).

    Parameters
    ----------
    y : array (N,)
    X : array (N, p)
        Full-rank design (include the intercept column(s) yourself).
    dyad : array (N,)
        Integer dyad codes.
    role : array (N,)
        0/1 role codes (at most one row per dyad and role).
    terms : sequence of str
        Names of the p columns.
    equal_variances : bool
        One residual variance for both roles.
    method : {"REML", "ML"}
    """
    if method not in ("REML", "ML"):
        raise UsageError(f"unknown method {method!r}; use 'REML' or 'ML'")
    n, p = X.shape
    if n <= p + 1:
        raise DataError(f"too few rows ({n}) for {p} fixed effects and the variance parameters")
    blocks = _Blocks(np.asarray(dyad), np.asarray(role))
    if blocks.n_pairs < 3:
        raise DataError(f"only {blocks.n_pairs} complete dyad(s): the residual correlation cannot be estimated")
    scale = np.sqrt((X * X).sum(axis=0))
    sv = np.linalg.svd(X / scale, compute_uv=False)
    if sv[-1] <= sv[0] * 1e-7:
        raise DataError("the fixed-effects design is singular (collinear predictors): " + ", ".join(terms))
    reml = method == "REML"
    Xy = np.column_stack([X, y])
    # start: OLS residuals' correlation within complete dyads and SD ratio
    beta0 = np.linalg.lstsq(X, y, rcond=None)[0]
    e = y - X @ beta0
    ea, eb = e[blocks.a], e[blocks.b]
    r0 = float(np.corrcoef(ea, eb)[0, 1]) if ea.std() > 0 and eb.std() > 0 else 0.0
    r0 = min(max(r0, -0.9), 0.9)
    role_arr = np.asarray(role)
    sd0, sd1 = e[role_arr == 0].std(), e[role_arr == 1].std()
    d0 = sd1 / sd0 if sd0 > 0 and sd1 > 0 else 1.0
    th0 = np.array([math.atanh(r0)] if equal_variances else [math.atanh(r0), math.log(d0)])

    prof = _Profile(blocks, X, y, reml, equal_variances)

    def fg(th: np.ndarray) -> tuple[float, np.ndarray]:
        if np.any(np.abs(th) > 20):
            return math.inf, np.full(th.size, np.nan)
        return prof(th)

    res = optimize.minimize(fg, th0, jac=True, method="BFGS", options={"gtol": 1e-9, "maxiter": 500})
    th = np.asarray(res.x, dtype=float)
    # Newton polish on the analytic gradient (Hessian by central differences of it)
    k = th.size
    h = 1e-6
    gnorm = math.inf
    for _ in range(8):
        f0, g0 = fg(th)
        if not np.all(np.isfinite(g0)):
            break
        gnorm = float(np.max(np.abs(g0)))
        if gnorm < 1e-11:
            break
        H = np.empty((k, k))
        for i in range(k):
            e_i = np.zeros(k)
            e_i[i] = h
            H[:, i] = (fg(th + e_i)[1] - fg(th - e_i)[1]) / (2 * h)
        H = (H + H.T) / 2
        if not np.all(np.isfinite(H)) or np.any(np.linalg.eigvalsh(H) <= 0):
            break
        step = np.linalg.solve(H, g0)
        if np.max(np.abs(step)) > 0.5:
            break
        f1, _ = fg(th - step)
        if not f1 <= f0 + 1e-10 * max(1.0, abs(f0)):
            break
        th = th - step
    gnorm = float(np.max(np.abs(fg(th)[1])))
    converged = bool(np.isfinite(gnorm) and gnorm < 1e-6)
    ll, parts = _loglik(th, blocks, Xy, p, reml, equal_variances)
    if parts is None:
        raise DataError("the GLS fit failed (zero residual sum of squares)")
    R, qty, rss, rho, delta = parts
    beta = np.linalg.solve(R, qty)
    sigma2 = rss / (n - p)  # nlme: sigma * sqrt((N - REML p)/(N - p)) for varBeta
    Rinv = np.linalg.solve(R, np.eye(p))
    V = sigma2 * (Rinv @ Rinv.T)
    s1 = math.sqrt(rss / (n - p if reml else n))
    if abs(rho) > 0.999:
        converged = False
    return GLSFit(
        terms=tuple(terms),
        beta=beta,
        vcov=V,
        sigma=(s1, s1 * delta),
        rho=rho,
        loglik=ll,
        method=method,
        n=n,
        df_resid=n - p,
        n_params=p + (1 if equal_variances else 2) + 1,
        converged=converged,
    )


# --------------------------------------------------------------------------- APIM
@dataclass(frozen=True)
class APIMResult(StatResult):
    """Result of :func:`apim`.

    Attributes
    ----------
    roles : tuple of str
        The two roles, in the order used (role 0, role 1).
    actor : dict
        Role -> :class:`~wamkit.stats.inference.Estimate` of the actor effect (t on ``df``).
    partner : dict
        Role r -> Estimate of the *other* member's predictor on r's outcome.
    intercept : dict
        Role -> Estimate of the role's intercept.
    k : dict
        Role -> Estimate of ``partner[r] / actor[r]`` (delta method, z).
    residual_correlation : float
        rho of the REML fit.
    residual_sd : dict
        Role -> residual SD.
    distinguishability_test : WaldTest
        LR chi^2(4) of the ML fits (``method = "LR chi2"``).
    indistinguishable : dict
        REML fit of the indistinguishable model: ``intercept``, ``actor``, ``partner``
        (Estimates) and ``residual_correlation``, ``residual_sd`` (floats).
    n_dyads : int
        Dyads with at least one row used.
    n_complete_dyads : int
        Dyads with both members' rows used.
    n_rows : int
        Rows (persons) used.
    n_by_role : dict
        Rows per role.
    df : int
        ``n_rows - 6``: df of the t tests.
    fit : GLSFit
        The distinguishable REML fit (terms ``{role}``, ``{role}:actor``, ``{role}:partner``).
    fit_indistinguishable : GLSFit
    ml_loglik : dict
        ``distinguishable`` / ``indistinguishable`` ML log-likelihoods used by the test.
    ci_level : float
    warnings : tuple of str
    """

    roles: tuple[str, str]
    actor: dict
    partner: dict
    intercept: dict
    k: dict
    residual_correlation: float
    residual_sd: dict
    distinguishability_test: WaldTest
    indistinguishable: dict
    n_dyads: int
    n_complete_dyads: int
    n_rows: int
    n_by_role: dict
    df: int
    fit: GLSFit = field(repr=False)
    fit_indistinguishable: GLSFit = field(repr=False)
    ml_loglik: dict = field(repr=False)
    ci_level: float = 0.95
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """JSON entry with keys ``actor_<r>``, ``partner_<other>_on_<r>``, ``k_<r>``,
        ``intercept_<r>``, ``residual_correlation``, ``residual_sd``,
        ``distinguishability_test``, ``indistinguishable``, ``n_dyads``, ... ."""
        r0, r1 = self.roles
        other = {r0: r1, r1: r0}
        out: dict = {"roles": list(self.roles)}
        for r in self.roles:
            out[f"actor_{r}"] = self.actor[r].to_dict()
        for r in self.roles:
            out[f"partner_{other[r]}_on_{r}"] = self.partner[r].to_dict()
        for r in self.roles:
            out[f"k_{r}"] = self.k[r].to_dict()
        for r in self.roles:
            out[f"intercept_{r}"] = self.intercept[r].to_dict()
        out["residual_correlation"] = to_jsonable(self.residual_correlation)
        out["residual_sd"] = to_jsonable(self.residual_sd)
        out["distinguishability_test"] = self.distinguishability_test.to_dict()
        out["indistinguishable"] = {
            k: (v.to_dict() if isinstance(v, Estimate) else to_jsonable(v)) for k, v in self.indistinguishable.items()
        }
        for k in ("n_dyads", "n_complete_dyads", "n_rows", "n_by_role", "df", "ci_level"):
            out[k] = to_jsonable(getattr(self, k))
        out["loglik"] = to_jsonable(self.fit.loglik)
        out["aic"] = to_jsonable(self.fit.aic)
        out["warnings"] = list(self.warnings)
        return out

    def to_frame(self, name: str | None = None) -> pd.DataFrame:
        """One row per effect: columns ``effect`` (actor / partner / k / intercept), ``role``
        (whose outcome), ``from_role`` (whose predictor), ``estimate``, ``se``, ``ci_low``,
        ``ci_high``, ``statistic``, ``pvalue``, ``df`` (NaN for the z-based k)."""
        if name is not None and name != "effects":
            return super().to_frame(name)
        r0, r1 = self.roles
        other = {r0: r1, r1: r0}
        rows = []
        for effect, d in (
            ("actor", self.actor),
            ("partner", self.partner),
            ("k", self.k),
            ("intercept", self.intercept),
        ):
            for r in self.roles:
                v = d[r]
                rows.append(
                    {
                        "effect": effect,
                        "role": r,
                        "from_role": other[r] if effect == "partner" else r,
                        **v.row(),
                    }
                )
        return pd.DataFrame(rows)


def _codes(values: pd.Series, name: str, roles: Sequence[str] | None) -> tuple[np.ndarray, tuple[str, str]]:
    txt = values.astype("string")
    present = list(dict.fromkeys(sorted(txt.dropna().unique())))
    if roles is None:
        if len(present) != 2:
            raise DataError(
                f"column {name!r} must hold exactly two roles, found {len(present)}: "
                + ", ".join(map(str, present[:5]))
            )
        order = (str(present[0]), str(present[1]))
    else:
        given = [str(r) for r in roles]
        if len(given) != 2 or given[0] == given[1]:
            raise UsageError(f"roles must name two different roles, got {list(roles)!r}")
        order = (given[0], given[1])
        extra = [r for r in present if r not in order]
        if extra:
            raise DataError(f"column {name!r} holds role(s) not in roles: {', '.join(map(str, extra[:5]))}")
    code = np.full(len(values), -1)
    code[(txt == order[0]).fillna(False).to_numpy(dtype=bool)] = 0
    code[(txt == order[1]).fillna(False).to_numpy(dtype=bool)] = 1
    return code, order


def apim(
    data: pd.DataFrame,
    outcome: str,
    actor: str,
    partner: str,
    *,
    dyad: str,
    role: str,
    roles: Sequence[str] | None = None,
    ci_level: float = 0.95,
) -> APIMResult:
    """APIM for distinguishable dyads by GLS (REML), with k ratios and the distinguishability test.

    Agrees with R ``nlme::gls(outcome ~ 0 + role + role:actor + role:partner,
    correlation = corCompSymm(form = ~ 1 | dyad), weights = varIdent(form = ~ 1 | role),
    method = "REML", na.action = na.omit)`` (``summary``: Value, Std.Error, t on N - 6 df;
    rho; ``sigma`` x varIdent ratios), the indistinguishable
    ``gls(outcome ~ actor + partner, correlation = corCompSymm(form = ~ 1 | dyad))`` and
    ``anova()`` of both refitted with ``method = "ML"``.

    Parameters
    ----------
    data : pandas.DataFrame
        Pairwise frame: one row per dyad member.
    outcome : str
        The member's outcome (e.g. the score at t + 1).
    actor : str
        The member's own predictor (e.g. own score at t).
    partner : str
        The other member's predictor (e.g. the partner's score at t).
    dyad : str
        Dyad id.
    role : str
        Role column with exactly two values (e.g. client / professional).
    roles : (str, str), optional
        Order of the roles (role 0 is the reference of the variance ratio). Default:
        sorted role labels.
    ci_level : float

    Returns
    -------
    APIMResult
        Rows with a missing outcome, actor or partner value are dropped (listwise,
        as ``na.omit``); a dyad left with one row contributes that row.
    """
    if not 0 < ci_level < 1:
        raise UsageError(f"ci_level must be between 0 and 1, got {ci_level!r}")
    if not isinstance(data, pd.DataFrame):
        raise UsageError("data must be a pandas DataFrame")
    cols = [outcome, actor, partner, dyad, role]
    missing = [c for c in dict.fromkeys(cols) if c not in data.columns]
    if missing:
        raise UsageError(f"unknown column(s): {', '.join(map(str, missing))}")
    if len(set(cols)) != len(cols):
        raise UsageError("outcome, actor, partner, dyad and role must be five different columns")
    yv = numeric_column(data[outcome], outcome)
    av = numeric_column(data[actor], actor)
    pv = numeric_column(data[partner], partner)
    rc, order = _codes(data[role], role, roles)
    dy = data[dyad]
    ok = np.isfinite(yv) & np.isfinite(av) & np.isfinite(pv) & (rc >= 0) & dy.notna().to_numpy()
    if int(ok.sum()) < 10:
        raise DataError(f"only {int(ok.sum())} complete rows: too few for the APIM")
    y, a, pp, r = yv[ok], av[ok], pv[ok], rc[ok]
    dcodes = pd.factorize(dy[ok].astype("string"))[0]
    r0, r1 = order
    for lab, code in ((r0, 0), (r1, 1)):
        if not np.any(r == code):
            raise DataError(f"no complete rows for role {lab!r}")
    i0 = (r == 0).astype(float)
    i1 = (r == 1).astype(float)
    X = np.column_stack([i0, i1, i0 * a, i1 * a, i0 * pp, i1 * pp])
    terms = (r0, r1, f"{r0}:actor", f"{r1}:actor", f"{r0}:partner", f"{r1}:partner")
    fit = gls_dyadic(y, X, dcodes, r, terms=terms, method="REML")
    Xi = np.column_stack([np.ones(y.size), a, pp])
    iterms = ("(Intercept)", "actor", "partner")
    fit_i = gls_dyadic(y, Xi, dcodes, r, terms=iterms, equal_variances=True, method="REML")
    ml_d = gls_dyadic(y, X, dcodes, r, terms=terms, method="ML")
    ml_i = gls_dyadic(y, Xi, dcodes, r, terms=iterms, equal_variances=True, method="ML")
    warns = []
    for f, lab in (
        (fit, "distinguishable REML"),
        (fit_i, "indistinguishable REML"),
        (ml_d, "distinguishable ML"),
        (ml_i, "indistinguishable ML"),
    ):
        if not f.converged:
            warns.append(
                f"{lab} fit: the variance parameters did not converge cleanly (residual correlation {f.rho:.4f})"
            )
    lr = max(2 * (ml_d.loglik - ml_i.loglik), 0.0)
    dfl = ml_d.n_params - ml_i.n_params
    test = WaldTest(statistic=lr, df=float(dfl), pvalue=float(special.chdtrc(dfl, lr)), method="LR chi2")
    est = {t: fit.estimate(t, ci_level=ci_level) for t in terms}
    actor_e = {r0: est[f"{r0}:actor"], r1: est[f"{r1}:actor"]}
    partner_e = {r0: est[f"{r0}:partner"], r1: est[f"{r1}:partner"]}
    kk = {}
    for lab in order:
        ia, ip = terms.index(f"{lab}:actor"), terms.index(f"{lab}:partner")
        av_, pv_ = fit.beta[ia], fit.beta[ip]
        g = np.zeros(len(terms))
        g[ia] = -pv_ / av_**2
        g[ip] = 1 / av_
        kk[lab] = combination(fit.beta, fit.vcov, g, ci_level=ci_level, value=pv_ / av_)
        if abs(actor_e[lab].statistic) < 2:
            warns.append(
                f"k for {lab}: the actor effect is small relative to its SE, so k = p/a is unstable "
                "and its delta-method interval unreliable"
            )
    blocks = _Blocks(dcodes, r)
    indist = {
        "intercept": fit_i.estimate("(Intercept)", ci_level=ci_level),
        "actor": fit_i.estimate("actor", ci_level=ci_level),
        "partner": fit_i.estimate("partner", ci_level=ci_level),
        "residual_correlation": fit_i.rho,
        "residual_sd": fit_i.sigma[0],
        "loglik": fit_i.loglik,
    }
    return APIMResult(
        roles=(r0, r1),
        actor=actor_e,
        partner=partner_e,
        intercept={r0: est[r0], r1: est[r1]},
        k=kk,
        residual_correlation=fit.rho,
        residual_sd={r0: fit.sigma[0], r1: fit.sigma[1]},
        distinguishability_test=test,
        indistinguishable=indist,
        n_dyads=blocks.n_dyads,
        n_complete_dyads=blocks.n_pairs,
        n_rows=int(y.size),
        n_by_role={r0: int((r == 0).sum()), r1: int((r == 1).sum())},
        df=fit.df_resid,
        fit=fit,
        fit_indistinguishable=fit_i,
        ml_loglik={"distinguishable": ml_d.loglik, "indistinguishable": ml_i.loglik},
        ci_level=float(ci_level),
        warnings=tuple(warns),
    )


# --------------------------------------------------------------------------- longitudinal
def pairwise_lagged(
    data: pd.DataFrame,
    *,
    dyad: str,
    role: str,
    wave: str,
    score: str,
    waves: Sequence[str] | None = None,
    roles: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Pairwise cross-lagged frame from a long frame (one row per dyad x role x wave).

    For every consecutive pair of waves ``(w_k, w_k+1)`` and every dyad member: outcome =
    own ``score`` at ``w_k+1``, actor = own score at ``w_k``, partner = the other member's
    score at ``w_k``. Feed each ``(wave_from, wave_to)`` slice to :func:`apim` for
    ``client(t+1) ~ client(t) + professional(t)`` and the mirror.

    Parameters
    ----------
    data : pandas.DataFrame
    dyad, role, wave, score : str
        Column names.
    waves : sequence, optional
        Wave order (labels compared as text). Default: sorted distinct labels.
    roles : (str, str), optional
        The two roles. Default: the sorted distinct labels (exactly two required).

    Returns
    -------
    pandas.DataFrame
        Columns ``dyad``, ``role``, ``wave_from``, ``wave_to``, ``outcome``, ``actor``,
        ``partner`` (NaN where a score is missing; :func:`apim` drops those rows). One row per
        dyad, role and wave pair.
    """
    if not isinstance(data, pd.DataFrame):
        raise UsageError("data must be a pandas DataFrame")
    cols = [dyad, role, wave, score]
    missing = [c for c in dict.fromkeys(cols) if c not in data.columns]
    if missing:
        raise UsageError(f"unknown column(s): {', '.join(map(str, missing))}")
    if len(set(cols)) != 4:
        raise UsageError("dyad, role, wave and score must be four different columns")
    rc, order = _codes(data[role], role, roles)
    w = data[wave].astype("string")
    present = sorted(w.dropna().unique())
    wl = [str(x) for x in waves] if waves is not None else [str(x) for x in present]
    if len(wl) < 2:
        raise DataError(f"column {wave!r} needs at least two waves, found {len(wl)}")
    if len(set(wl)) != len(wl):
        raise UsageError("waves must not repeat")
    s = numeric_column(data[score], score)
    frame = pd.DataFrame({"dyad": data[dyad].astype("string"), "role": rc, "wave": w, "score": s})
    frame = frame[(frame["role"] >= 0) & frame["dyad"].notna() & frame["wave"].isin(wl)]
    dup = frame.duplicated(["dyad", "role", "wave"])
    if dup.any():
        ex = frame.loc[dup].iloc[0]
        raise DataError(
            f"more than one row for dyad {ex['dyad']!r}, role {order[int(ex['role'])]!r}, wave {ex['wave']!r}"
        )
    wide = frame.pivot(index="dyad", columns=["role", "wave"], values="score")
    dyads = wide.index.to_numpy()
    out = []
    for k in range(len(wl) - 1):
        w0, w1 = wl[k], wl[k + 1]
        for rr in (0, 1):

            def col(rk: int, wk: str) -> np.ndarray:
                return wide[(rk, wk)].to_numpy(dtype=float) if (rk, wk) in wide.columns else np.full(len(dyads), np.nan)

            out.append(
                pd.DataFrame(
                    {
                        "dyad": dyads,
                        "role": order[rr],
                        "wave_from": w0,
                        "wave_to": w1,
                        "outcome": col(rr, w1),
                        "actor": col(rr, w0),
                        "partner": col(1 - rr, w0),
                    }
                )
            )
    res = pd.concat(out, ignore_index=True)
    return res.sort_values(
        ["wave_from", "dyad", "role"],
        kind="stable",
        key=lambda c: c.map({x: i for i, x in enumerate(wl)}) if c.name == "wave_from" else c,
    ).reset_index(drop=True)


@dataclass(frozen=True)
class CrossLaggedAPIM(StatResult):
    """One cross-lagged APIM: ``score`` at ``wave_to`` on both members' ``score`` at ``wave_from``.

    ``result`` is None (and ``problem`` says why) when the model could not be fitted.
    """

    score: str
    wave_from: str
    wave_to: str
    result: APIMResult | None
    problem: str | None = None

    def to_dict(self) -> dict:
        out: dict[str, object] = {"score": self.score, "wave_from": self.wave_from, "wave_to": self.wave_to}
        if self.result is not None:
            out.update(self.result.to_dict())
        else:
            out["problem"] = self.problem
        return out


def apim_cross_lagged(
    data: pd.DataFrame,
    *,
    dyad: str,
    role: str,
    wave: str,
    scores: Sequence[str],
    waves: Sequence[str] | None = None,
    roles: Sequence[str] | None = None,
    ci_level: float = 0.95,
) -> tuple[CrossLaggedAPIM, ...]:
    """Cross-lagged APIMs: one per score (subscale) x consecutive wave pair.

    Builds :func:`pairwise_lagged` for each score and fits :func:`apim` on each wave pair.
    Entries whose fit raises a DataError keep the message in ``problem``.
    """
    scores = [scores] if isinstance(scores, str) else list(scores)
    if not scores:
        raise UsageError("scores must name at least one score column")
    out = []
    for sc in scores:
        pw = pairwise_lagged(data, dyad=dyad, role=role, wave=wave, score=sc, waves=waves, roles=roles)
        for (w0, w1), part in pw.groupby(["wave_from", "wave_to"], sort=False):
            try:
                res = apim(
                    part, "outcome", "actor", "partner", dyad="dyad", role="role", roles=roles, ci_level=ci_level
                )
                out.append(CrossLaggedAPIM(score=sc, wave_from=str(w0), wave_to=str(w1), result=res))
            except DataError as exc:
                out.append(
                    CrossLaggedAPIM(score=sc, wave_from=str(w0), wave_to=str(w1), result=None, problem=exc.message)
                )
    return tuple(out)
