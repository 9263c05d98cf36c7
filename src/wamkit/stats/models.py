"""Regression models for ``wamkit outcomes`` (R-exact): logistic, Poisson,
negative binomial and Cox proportional hazards.

All four functions take a DataFrame, the outcome column(s) and predictor
columns, drop rows with a missing value on any used column (listwise, as R's
default ``na.action = na.omit``), fit by Newton-Raphson / IRLS in vectorised
numpy and return a :class:`ModelResult` whose ``table`` is a tidy DataFrame
with one row per term:

========== =================================================================
column     meaning
========== =================================================================
term       ``"(Intercept)"`` (GLMs only) or the predictor's column name
coef       estimate on the link scale (log-odds, log-rate, log-hazard)
se         standard error (model-based, or cluster-robust when ``cluster``)
estimate   ``exp(coef)``: odds ratio, rate ratio or hazard ratio
ci_low     lower Wald limit of ``estimate``: ``exp(coef - z_(1+level)/2 se)``
ci_high    upper Wald limit of ``estimate``
z          ``coef / se``
p          two-sided normal p value of ``z``
n          observations used
events     outcome events (logistic: number of 1s; Cox: number of events;
           count models: sum of the counts)
========== =================================================================

The GLMs reproduce R's ``glm.fit`` iteration by iteration (``glm.control()``
defaults epsilon = 1e-8, maxit = 25; the covariance uses the working weights of
the last iteration as ``summary.glm`` does) and ``MASS::glm.nb``'s alternation,
so they agree with R to ~1e-13 rather than only to R's convergence tolerance.
The Cox model is solved to a tighter tolerance than ``coxph`` (agreement ~1e-8).

R equivalents (pinned by ``tests/test_models.py`` against
``tests/reference/outcomes.json``):

* :func:`logistic` -- ``glm(y ~ x, family = binomial)``; with ``cluster``:
  ``sandwich::vcovCL(fit, cluster = ~g)`` (its defaults for a ``glm`` object:
  ``type = "HC0"``, ``cadjust = TRUE``, i.e. ``G/(G-1) B M B`` with
  ``B = (X'WX)^-1`` and ``M = sum_g s_g s_g'``, ``s_g`` the summed score
  contributions ``x_i (y_i - mu_i)`` of cluster g; no ``(n-1)/(n-k)`` factor).
* :func:`poisson` -- ``glm(y ~ x, family = poisson)`` (+ the same ``vcovCL``).
* :func:`negative_binomial` -- ``MASS::glm.nb(y ~ x)`` (theta by maximum
  likelihood; coefficient SEs at the final theta as ``summary.negbin``).
* :func:`cox` -- ``survival::coxph(Surv(time, event) ~ x, ties = "efron")``;
  with ``cluster``: ``coxph(... + cluster(g))``'s ``robust se``
  (``V = D'D`` with D the dfbeta residuals summed within clusters, no
  small-sample factor).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special

from wamkit.errors import DataError, UsageError
from wamkit.results import StatResult, to_jsonable
from wamkit.stats.columns import numeric_column
from wamkit.stats.inference import Estimate, combination

__all__ = [
    "TABLE_COLUMNS",
    "ModelResult",
    "cox",
    "linear_combination",
    "logistic",
    "negative_binomial",
    "ols",
    "poisson",
]

TABLE_COLUMNS = ("term", "coef", "se", "estimate", "ci_low", "ci_high", "z", "p", "n", "events")
_EPS = np.finfo(float).eps
_THETA_EPS = _EPS**0.25  # MASS::theta.ml's default eps = .Machine$double.eps^0.25


# --------------------------------------------------------------------------- result
@dataclass(frozen=True)
class ModelResult(StatResult):
    """A fitted outcome model.

    Attributes
    ----------
    model : str
        ``"logistic"``, ``"poisson"``, ``"negative_binomial"`` or ``"cox"``.
    table : pandas.DataFrame
        Tidy coefficient table, columns :data:`TABLE_COLUMNS` (see module docstring).
    n : int
        Observations used (after listwise deletion).
    events : float
        Number of 1s (logistic), events (Cox) or sum of counts (count models).
    loglik : float
        Log-likelihood (Cox: log partial likelihood) at the estimate
        (R ``logLik(fit)`` / ``fit$loglik[2]``).
    aic : float
        ``-2 loglik + 2 k`` with k the number of estimated parameters (NB: + theta),
        as R ``AIC(fit)`` (Cox: ``extractAIC``-style ``-2 loglik + 2 p``).
    df_resid : int
        Residual degrees of freedom (n - parameters; GLMs), NaN for Cox.
    deviance : float
        Residual deviance (GLMs), NaN for Cox.
    dispersion : float
        Pearson chi^2 / df_resid (Poisson: the overdispersion statistic; NB: the
        same on NB variance). NaN for logistic and Cox.
    theta : float
        Negative binomial size parameter theta (``glm.nb``'s ``$theta``), else NaN.
    theta_se : float
        ``glm.nb``'s ``$SE.theta``, else NaN.
    loglik_null : float
        Cox: log partial likelihood at beta = 0 (``fit$loglik[1]``); NaN otherwise.
    concordance : float
        Cox: Harrell's C of the linear predictor (``fit$concordance["concordance"]``);
        NaN otherwise.
    converged : bool
        Whether the iterations met the convergence criterion.
    iterations : int
        Newton / IRLS iterations (NB: total over the alternations).
    cov_type : str
        ``"model"`` or ``"cluster"``.
    n_clusters : int or None
        Number of clusters when ``cluster`` was given.
    per_sd : bool
        Whether predictors were z-scored (sample SD, n - 1) before fitting.
    ci_level : float
        Level of the Wald intervals.
    separation : bool
        Logistic: perfect or quasi-complete separation was detected. Cox: monotone
        likelihood (a coefficient diverging). The affected terms are NaN in ``table``.
    vcov : numpy.ndarray
        Covariance matrix of ``coef`` in table order (robust if ``cluster``); use it
        (or :func:`linear_combination`) to test linear combinations of coefficients.
    warnings : tuple of str
        Human-readable problems (non-convergence, separation, ...).
    statistic : str
        What the table's ``z`` column holds: ``"z"`` (normal reference; GLMs, Cox) or
        ``"t"`` (OLS: t on ``df_resid`` degrees of freedom).
    sigma : float
        OLS: residual standard error ``sqrt(RSS / df_resid)`` (R ``sigma(fit)``); else NaN.
    r_squared, adj_r_squared : float
        OLS: ``summary(fit)$r.squared`` / ``$adj.r.squared``; else NaN.
    start : str or None
        Cox: the entry-time column of counting-process ``(start, stop]`` data, else None.
    """

    model: str
    table: pd.DataFrame
    n: int
    events: float
    loglik: float
    aic: float
    df_resid: float
    deviance: float
    dispersion: float
    theta: float
    theta_se: float
    loglik_null: float
    concordance: float
    converged: bool
    iterations: int
    cov_type: str
    n_clusters: int | None
    per_sd: bool
    ci_level: float
    separation: bool
    vcov: np.ndarray = field(repr=False)
    warnings: tuple[str, ...] = ()
    statistic: str = "z"
    sigma: float = math.nan
    r_squared: float = math.nan
    adj_r_squared: float = math.nan
    start: str | None = None

    @property
    def terms(self) -> tuple[str, ...]:
        """Term names in table (and ``vcov``) order."""
        return tuple(self.table["term"])

    @property
    def coef(self) -> np.ndarray:
        """Coefficients on the link scale, table order."""
        return self.table["coef"].to_numpy(dtype=float)

    def to_dict(self) -> dict:
        out = {}
        for name in (
            "model",
            "n",
            "events",
            "loglik",
            "aic",
            "df_resid",
            "deviance",
            "dispersion",
            "theta",
            "theta_se",
            "loglik_null",
            "concordance",
            "converged",
            "iterations",
            "cov_type",
            "n_clusters",
            "per_sd",
            "ci_level",
            "separation",
            "statistic",
            "sigma",
            "r_squared",
            "adj_r_squared",
            "start",
        ):
            out[name] = to_jsonable(getattr(self, name))
        out["table"] = to_jsonable(self.table)
        out["vcov"] = to_jsonable(self.vcov)
        out["warnings"] = list(self.warnings)
        return out


# --------------------------------------------------------------------------- data prep
@dataclass(frozen=True)
class _Design:
    X: np.ndarray  # n x p (predictors only, no intercept)
    ys: tuple  # outcome column(s)
    names: tuple[str, ...]
    cluster: np.ndarray | None  # integer codes 0..G-1
    n_clusters: int | None


def _prepare(
    df: pd.DataFrame, outcomes: Sequence[str], predictors: Sequence[str], cluster: str | None, per_sd: bool
) -> _Design:
    if not isinstance(df, pd.DataFrame):
        raise UsageError("data must be a pandas DataFrame")
    preds = [predictors] if isinstance(predictors, str) else list(predictors)
    if not preds:
        raise UsageError("at least one predictor is needed")
    if len(set(preds)) != len(preds):
        raise UsageError("predictors must be distinct")
    used = [*outcomes, *preds] + ([cluster] if cluster is not None else [])
    missing = [c for c in dict.fromkeys(used) if c not in df.columns]
    if missing:
        raise UsageError(f"unknown column(s): {', '.join(map(str, missing))}")
    for o in outcomes:
        if o in preds:
            raise UsageError(f"column {o!r} is both outcome and predictor")
    cols = {c: numeric_column(df[c], c) for c in dict.fromkeys([*outcomes, *preds])}
    ok = np.ones(len(df), dtype=bool)
    for c, a in cols.items():
        if np.isinf(a).any():
            raise DataError(f"column {c!r} holds infinite values")
        ok &= ~np.isnan(a)
    if cluster is not None:
        cl_raw = df[cluster]
        ok &= cl_raw.notna().to_numpy()
    n = int(ok.sum())
    p = len(preds)
    if n < p + 2:
        raise DataError(f"too few complete rows for {p} predictor(s): {n}")
    X = np.column_stack([cols[c][ok] for c in preds])
    ys = tuple(cols[o][ok] for o in outcomes)
    sd = X.std(axis=0, ddof=1)
    const = [c for c, s in zip(preds, sd, strict=False) if not s > 0]
    if const:
        raise DataError(f"predictor(s) constant over the {n} complete rows: {', '.join(const)}")
    if per_sd:
        X = (X - X.mean(axis=0)) / sd
    codes = None
    g = None
    if cluster is not None:
        cl_ok = cl_raw.to_numpy()[ok]
        try:
            uniq, codes = np.unique(cl_ok, return_inverse=True)
        except TypeError:  # mixed types: fall back to pandas
            codes, uniq = pd.factorize(cl_ok, sort=False)
        codes = np.asarray(codes).reshape(-1)
        g = len(uniq)
        if g < 2:
            raise DataError(f"cluster-robust standard errors need at least 2 clusters, got {g}")
    return _Design(X=X, ys=ys, names=tuple(map(str, preds)), cluster=codes, n_clusters=g)


def _check_rank(Xd: np.ndarray, names: Sequence[str]) -> None:
    """DataError when the (column-scaled) design is numerically rank deficient
    (smallest/largest singular value < 1e-7, the spirit of R's QR tolerance; R
    would drop an aliased column and report NA)."""
    scale = np.sqrt((Xd * Xd).sum(axis=0))
    s = np.linalg.svd(Xd / scale, compute_uv=False)
    if s[-1] <= s[0] * 1e-7:
        raise DataError("predictors are collinear (design matrix is singular): " + ", ".join(names))


def _table(names, coef, V, *, n, events, ci_level) -> pd.DataFrame:
    se = np.sqrt(np.diag(V))
    k = len(names)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        z = coef / se
        q = special.ndtri((1 + ci_level) / 2)
        cols = {
            "term": list(names),
            "coef": coef,
            "se": se,
            "estimate": np.exp(coef),
            "ci_low": np.exp(coef - q * se),
            "ci_high": np.exp(coef + q * se),
            "z": z,
            "p": 2 * special.ndtr(-np.abs(z)),
            "n": np.full(k, int(n), dtype=np.int64),
            "events": np.full(k, float(events)),
        }
    return pd.DataFrame(cols)


def _cluster_meat(scores: np.ndarray, codes: np.ndarray, g: int) -> np.ndarray:
    summed = np.zeros((g, scores.shape[1]))
    np.add.at(summed, codes, scores)
    return summed.T @ summed


def _check_level(ci_level: float) -> None:
    if not 0 < ci_level < 1:
        raise UsageError(f"ci_level must be between 0 and 1, got {ci_level!r}")


# --------------------------------------------------------------------------- GLM core
_GLM_EPSILON = 1e-8  # glm.control()$epsilon
_GLM_MAXIT = 25  # glm.control()$maxit


def _family_parts(eta, mu, family, theta):
    """mu.eta and variance of the GLM family (R ``binomial()``, ``poisson()``,
    ``MASS::negative.binomial(theta)``)."""
    if family == "binomial":
        # logit mu.eta with R's thresholds (family.c: THRESH = 30)
        ex = np.exp(np.clip(eta, -30.0, 30.0))
        mu_eta = np.where(np.abs(eta) > 30, _EPS, ex / (1 + ex) ** 2)
        var = mu * (1 - mu)
    else:
        mu_eta = np.maximum(np.exp(np.minimum(eta, 700.0)), _EPS)
        var = mu if family == "poisson" else mu + mu * mu / theta
    return mu_eta, var


def _irls(
    Xd, y, family: str, theta: float = math.inf, eta0=None, *, epsilon: float = _GLM_EPSILON, maxit: int = _GLM_MAXIT
):
    """IRLS exactly as R's ``glm.fit``.

    Starting values ``mustart`` of the family (binomial: (y + 1/2)/2, Poisson:
    y + 0.1) unless ``eta0`` (R ``etastart``) is given; convergence when
    ``|dev - dev_old| / (|dev| + 0.1) < epsilon``; step halving only for a
    non-finite deviance. The returned ``XtWX`` holds the working weights of the
    last iteration (evaluated at the previous iterate), which is what
    ``summary.glm``'s ``cov.unscaled`` uses.
    Returns beta, mu, eta, XtWX, deviance, iterations, converged, w (those
    working weights, used by ``sandwich::estfun.glm``).
    """
    if eta0 is None:
        mu = (y + 0.5) / 2.0 if family == "binomial" else y + 0.1
        eta = np.log(mu / (1 - mu)) if family == "binomial" else np.log(mu)
    else:
        eta = eta0
    mu = _linkinv(eta, family)
    dev_old = _deviance(y, mu, family, theta)
    converged = False
    beta_old = None
    beta = None
    XtWX = None
    it = 0
    for it in range(1, maxit + 1):  # noqa: B007  (the count is read after the loop)
        mu_eta, var = _family_parts(eta, mu, family, theta)
        z = eta + (y - mu) / mu_eta
        w = mu_eta**2 / var
        Xw = Xd * w[:, None]
        XtWX = Xd.T @ Xw
        try:
            beta = np.linalg.solve(XtWX, Xw.T @ z)
        except np.linalg.LinAlgError:
            raise DataError("model matrix is singular at the current estimates") from None
        eta = Xd @ beta
        mu = _linkinv(eta, family)
        dev = _deviance(y, mu, family, theta)
        k = 0
        while not np.isfinite(dev) and beta_old is not None and k < 30:
            beta = (beta + beta_old) / 2
            eta = Xd @ beta
            mu = _linkinv(eta, family)
            dev = _deviance(y, mu, family, theta)
            k += 1
        if abs(dev - dev_old) / (abs(dev) + 0.1) < epsilon:
            converged = True
            break
        dev_old = dev
        beta_old = beta
    return beta, mu, eta, XtWX, dev, it, converged, w


def _linkinv(eta, family):
    if family == "binomial":
        # R's logit linkinv (family.c): exp(eta) clamped to [eps, 1/eps] for |eta| > 30
        ex = np.where(eta < -30, _EPS, np.where(eta > 30, 1 / _EPS, np.exp(np.clip(eta, -30, 30))))
        return ex / (1 + ex)
    return np.maximum(np.exp(np.minimum(eta, 700.0)), _EPS)


def _deviance(y, mu, family, theta=math.inf):
    if family == "binomial":
        return float(-2 * np.sum(y * np.log(mu) + (1 - y) * np.log1p(-mu)))
    with np.errstate(divide="ignore", invalid="ignore"):
        ylog = np.where(y > 0, y * np.log(y / mu), 0.0)
    if family == "poisson":
        return float(2 * np.sum(ylog - (y - mu)))
    return float(2 * np.sum(ylog - (y + theta) * np.log((y + theta) / (mu + theta))))


def _loglik(y, mu, family, theta=math.inf):
    if family == "binomial":
        return float(np.sum(y * np.log(mu) + (1 - y) * np.log1p(-mu)))
    if family == "poisson":
        return float(np.sum(special.xlogy(y, mu) - mu - special.gammaln(y + 1)))
    return float(
        np.sum(
            special.gammaln(theta + y)
            - special.gammaln(theta)
            - special.gammaln(y + 1)
            + theta * np.log(theta)
            + special.xlogy(y, mu)
            - (theta + y) * np.log(theta + mu)
        )
    )


def _glm_scores(Xd, y, mu, eta, w_work, family, theta=math.inf):
    """Per-observation score contributions as ``sandwich::estfun.glm``:
    working residual ``(y - mu)/mu.eta`` (final fit) times the working weight of
    the last IRLS iteration, times x. At convergence this is ``x (y - mu)``
    (canonical links) or ``x (y - mu)/(1 + mu/theta)`` (negative binomial)."""
    mu_eta, _ = _family_parts(eta, mu, family, theta)
    return Xd * ((y - mu) / mu_eta * w_work)[:, None]


def _separation_direction(Xd: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    """Konis (2007) linear program: a direction b != 0 with s_i x_i'b >= 0 for all i.

    Returns the (column-scaled) direction if separation (complete or quasi-complete)
    exists, else None. ``s_i = 2 y_i - 1``.
    """
    from scipy import optimize  # only needed when a fit looks separated

    scale = np.abs(Xd).max(axis=0)
    scale[scale == 0] = 1
    A = (2 * y - 1)[:, None] * (Xd / scale)
    res = optimize.linprog(
        -A.sum(axis=0), A_ub=-A, b_ub=np.zeros(len(y)), bounds=[(-1, 1)] * Xd.shape[1], method="highs"
    )
    if res.status != 0 or -res.fun <= 1e-6:
        return None
    return res.x


def _fit_glm(df, outcome, predictors, family, *, cluster, per_sd, ci_level) -> ModelResult:
    _check_level(ci_level)
    d = _prepare(df, [outcome], predictors, cluster, per_sd)
    y = d.ys[0]
    n = y.size
    if family == "binomial":
        if not np.all((y == 0) | (y == 1)):
            raise DataError(f"outcome {outcome!r} must be coded 0/1 for a logistic model")
        if y.min() == y.max():
            raise DataError(f"outcome {outcome!r} has only one value ({int(y[0])}) in the complete rows")
    else:
        if np.any(y < 0) or np.any(y != np.round(y)):
            raise DataError(f"outcome {outcome!r} must hold non-negative whole counts")
        if y.max() == 0:
            raise DataError(f"outcome {outcome!r} is zero for all complete rows")
    Xd = np.column_stack([np.ones(n), d.X])
    names = ("(Intercept)", *d.names)
    _check_rank(Xd, names)
    warns: list[str] = []
    theta = math.nan
    theta_se = math.nan
    model = {"binomial": "logistic", "poisson": "poisson", "negbin": "negative_binomial"}[family]
    fit_theta = math.inf
    if family == "negbin":
        (beta, mu, eta, XtWX, dev, w_work, ll, iters, conv, theta, theta_se, fit_theta, w2) = _fit_negbin(Xd, y)
        warns.extend(w2)
    else:
        beta, mu, eta, XtWX, dev, iters, conv, w_work = _irls(Xd, y, family)
        ll = _loglik(y, mu, family)
    if not conv:
        warns.append(f"{model} model did not converge in {iters} iterations")
    try:
        V = np.linalg.inv(XtWX)
    except np.linalg.LinAlgError:
        raise DataError("information matrix is singular; the model cannot be estimated") from None
    separation = False
    if family == "binomial":
        if not conv or np.max(np.abs(eta)) > 10:
            direction = _separation_direction(Xd, y)
            if direction is not None:
                separation = True
                involved = np.abs(direction) > 1e-6
                bad = [nm for nm, b in zip(names, involved, strict=False) if b]
                warns.append(
                    "perfect or quasi-complete separation: the maximum-likelihood estimate "
                    "does not exist for "
                    + ", ".join(bad)
                    + " (reported as NaN); consider fewer predictors or a penalised model"
                )
        tiny = 10 * _EPS
        if (np.any(mu <= tiny) or np.any(mu >= 1 - tiny)) and not separation:
            warns.append("fitted probabilities numerically 0 or 1 occurred")
    cov_type = "model"
    if d.cluster is not None:
        scores = _glm_scores(Xd, y, mu, eta, w_work, family, fit_theta)
        g = d.n_clusters
        assert g is not None
        M = _cluster_meat(scores, d.cluster, g)
        V = g / (g - 1) * V @ M @ V
        cov_type = "cluster"
        if g < 30:
            warns.append(f"only {g} clusters: cluster-robust standard errors may be too small")
    events = float(y.sum())
    tab = _table(names, beta, V, n=n, events=events, ci_level=ci_level)
    if separation:
        cols = ["coef", "se", "estimate", "ci_low", "ci_high", "z", "p"]
        tab.loc[involved, cols] = np.nan
    k = Xd.shape[1]
    df_resid = n - k
    npar = k + (1 if family == "negbin" else 0)
    if family == "binomial":
        dispersion = math.nan
    else:
        var = mu if family == "poisson" else mu + mu * mu / theta
        dispersion = float(np.sum((y - mu) ** 2 / var) / df_resid) if df_resid > 0 else math.nan
        if family == "poisson" and dispersion > 1.5:
            warns.append(f"overdispersion: Pearson chi2/df = {dispersion:.2f}; consider the negative binomial model")
    return ModelResult(
        model=model,
        table=tab,
        n=int(n),
        events=events,
        loglik=ll,
        aic=-2 * ll + 2 * npar,
        df_resid=float(df_resid),
        deviance=float(dev),
        dispersion=dispersion,
        theta=float(theta),
        theta_se=float(theta_se),
        loglik_null=math.nan,
        concordance=math.nan,
        converged=bool(conv),
        iterations=int(iters),
        cov_type=cov_type,
        n_clusters=d.n_clusters,
        per_sd=bool(per_sd),
        ci_level=float(ci_level),
        separation=separation,
        vcov=V,
        warnings=tuple(warns),
    )


# --------------------------------------------------------------------------- negbin
def _theta_score_info(theta, y, mu):
    # digamma/trigamma only at the distinct counts (few), mapped back: same numbers, much faster
    u, inv = np.unique(y, return_inverse=True)
    tp = theta + y
    tm = theta + mu
    dg = special.digamma(theta + u)[inv]
    tg = special.polygamma(1, theta + u)[inv]
    score = np.sum(dg - special.digamma(theta) + np.log(theta) + 1 - np.log(tm) - tp / tm)
    info = np.sum(-tg + special.polygamma(1, theta) - 1 / theta + 2 / tm - tp / tm**2)
    return float(score), float(info)


def _theta_ml(y, mu, *, limit=_GLM_MAXIT, eps=_THETA_EPS):
    """``MASS::theta.ml(y, mu, limit = 25)`` step for step.

    Newton on the score of theta from ``t0 = n / sum((y/mu - 1)^2)`` while
    ``|delta| > eps``; SE = ``sqrt(1 / info)`` with the information of the last
    Newton step (evaluated before its update, as R). Returns theta, se, problem.
    """
    n = y.size
    t0 = n / np.sum((y / mu - 1) ** 2)
    it = 0
    delta = 1.0
    info = math.nan
    while True:
        it += 1
        if not (it < limit and abs(delta) > eps):
            break
        t0 = abs(t0)
        sc, info = _theta_score_info(t0, y, mu)
        delta = sc / info
        t0 = t0 + delta
        if not np.isfinite(t0):
            break
    problem = None
    if not np.isfinite(t0) or t0 < 0:
        problem = "theta estimate is not finite or was truncated at zero"
        t0 = max(t0, 0.0) if np.isfinite(t0) else math.inf
    elif it == limit:
        problem = "theta iteration limit reached"
    se = math.sqrt(1 / info) if info > 0 else math.nan
    return float(t0), se, problem


def _fit_negbin(Xd, y, *, maxit=_GLM_MAXIT, epsilon=_GLM_EPSILON):
    """``MASS::glm.nb`` step for step: a Poisson start, then alternate a
    ``glm.fit`` at fixed theta with ``theta.ml`` until
    ``|L0 - L|/d1 + |dtheta|/d2 <= epsilon`` (d1 = sqrt(2 max(1, df_resid)), d2 = 1).
    As in R, theta.ml uses the fitted means of the previous alternation, the
    coefficients come from the last fit (at the previous theta) and the log
    likelihood pairs the final theta with the final fitted means."""
    warns = []
    beta, mu, eta, XtWX, dev, iters, conv, w = _irls(Xd, y, "poisson")
    theta, theta_se, problem = _theta_ml(y, mu)
    n, k = Xd.shape
    d1 = math.sqrt(2 * max(1, n - k))
    d2 = 1.0
    dl = 1.0
    lm = _loglik(y, mu, "negbin", theta)
    lm0 = lm + 2 * d1
    alt = 0
    fit_theta = theta
    while True:
        alt += 1
        if not (alt <= maxit and (abs(lm0 - lm) / d1 + abs(dl) / d2) > epsilon):
            break
        fit_theta = theta
        beta, mu_new, eta, XtWX, dev, it, conv, w = _irls(Xd, y, "negbin", theta, eta0=np.log(mu))
        iters += it
        t_old = theta
        theta, theta_se, problem = _theta_ml(y, mu)
        if not np.isfinite(theta) or theta <= 0:
            break
        mu = mu_new
        dl = t_old - theta
        lm0 = lm
        lm = _loglik(y, mu, "negbin", theta)
    converged = bool(conv) and alt <= maxit
    if alt > maxit:
        warns.append("negative binomial: alternation limit reached")
    if problem:
        warns.append(f"negative binomial: {problem}")
    if np.isfinite(theta) and theta > 1e4:
        warns.append(
            f"theta estimate is very large ({theta:.3g}): no evidence of overdispersion; the Poisson model is adequate"
        )
    return beta, mu, eta, XtWX, dev, w, lm, iters, converged, theta, theta_se, fit_theta, warns


# --------------------------------------------------------------------------- public GLMs
def logistic(
    df: pd.DataFrame,
    outcome: str,
    predictors: Sequence[str],
    *,
    cluster: str | None = None,
    per_sd: bool = False,
    ci_level: float = 0.95,
) -> ModelResult:
    """Logistic regression, as R ``glm(outcome ~ predictors, family = binomial)``.

    Maximum likelihood by IRLS: ``beta <- (X'WX)^-1 X'W z`` with
    ``W = diag(mu (1 - mu))``, ``z = eta + (y - mu)/W``; model-based covariance
    ``(X'WX)^-1``. Matches ``coef(summary(fit))`` (Estimate, Std. Error, z, p),
    ``logLik(fit)``, ``AIC(fit)``, ``deviance(fit)``.

    Parameters
    ----------
    df : pandas.DataFrame
    outcome : str
        0/1 column (e.g. drop-out).
    predictors : sequence of str
        Numeric columns (0/1 or bool for binary predictors).
    cluster : str, optional
        Column identifying clusters (e.g. officer). Then
        ``V = G/(G-1) (X'WX)^-1 [sum_g s_g s_g'] (X'WX)^-1`` with
        ``s_g = sum_{i in g} x_i (y_i - mu_i)``, which equals
        ``sandwich::vcovCL(fit, cluster = ~officer)`` with its ``glm`` defaults
        (``type = "HC0"``, ``cadjust = TRUE``).
    per_sd : bool
        z-score every predictor (sample SD, n - 1, on the complete rows) first,
        so that coef/OR are per SD.
    ci_level : float
        Level of the Wald CIs.

    Returns
    -------
    ModelResult
        ``separation`` is True (and the affected terms' columns are NaN, with a
        warning) when the data are perfectly or quasi-completely separated, which is
        checked with Konis' linear program whenever the fit shows diverging
        linear predictors or fails to converge.
    """
    return _fit_glm(df, outcome, predictors, "binomial", cluster=cluster, per_sd=per_sd, ci_level=ci_level)


def poisson(
    df: pd.DataFrame,
    outcome: str,
    predictors: Sequence[str],
    *,
    cluster: str | None = None,
    per_sd: bool = False,
    ci_level: float = 0.95,
) -> ModelResult:
    """Poisson regression, as R ``glm(outcome ~ predictors, family = poisson)``.

    IRLS with ``W = diag(mu)``; ``estimate`` is the rate ratio. ``dispersion`` is
    the overdispersion statistic ``sum((y - mu)^2 / mu) / (n - k)`` (Pearson
    chi^2 over residual df; R: ``sum(residuals(fit, "pearson")^2) / fit$df.residual``),
    with a warning when it exceeds 1.5. ``cluster`` as in :func:`logistic`
    (scores ``x_i (y_i - mu_i)``; = ``sandwich::vcovCL``).
    """
    return _fit_glm(df, outcome, predictors, "poisson", cluster=cluster, per_sd=per_sd, ci_level=ci_level)


def negative_binomial(
    df: pd.DataFrame,
    outcome: str,
    predictors: Sequence[str],
    *,
    cluster: str | None = None,
    per_sd: bool = False,
    ci_level: float = 0.95,
) -> ModelResult:
    """Negative binomial (NB2) regression, as R ``MASS::glm.nb(outcome ~ predictors)``.

    ``Var(y) = mu + mu^2 / theta``, log link. Like ``glm.nb``, alternates IRLS
    for beta at fixed theta with Newton steps for theta's ML equation
    (``MASS::theta.ml``) until both are stable (tighter than R's 1e-8). The
    coefficient covariance is ``(X'WX)^-1`` with ``W = mu / (1 + mu/theta)`` at the
    final theta (as ``summary(fit)``); ``theta_se`` is ``fit$SE.theta``
    (observed information of theta); ``loglik`` = ``logLik(fit)``; ``aic`` counts
    theta as a parameter (``AIC(fit)``). ``cluster``: scores
    ``x_i (y_i - mu_i) / (1 + mu_i/theta)`` (``sandwich::estfun``), same formula
    as :func:`logistic`.
    """
    return _fit_glm(df, outcome, predictors, "negbin", cluster=cluster, per_sd=per_sd, ci_level=ci_level)


# --------------------------------------------------------------------------- OLS
def ols(
    df: pd.DataFrame,
    outcome: str,
    predictors: Sequence[str],
    *,
    cluster: str | None = None,
    per_sd: bool = False,
    ci_level: float = 0.95,
) -> ModelResult:
    """Ordinary least squares, as R ``lm(outcome ~ predictors)`` with ``summary`` and ``confint``.

    ``b = (X'X)^-1 X'y``; model-based covariance ``s^2 (X'X)^-1`` with
    ``s^2 = RSS / (n - k)``; t statistics (in the table's ``z`` column, see
    ``statistic == "t"``), p values and CIs on ``n - k`` df
    (``coef(summary(fit))``, ``confint(fit)``). ``estimate`` equals ``coef`` (identity link)
    and ``ci_low``/``ci_high`` are limits of ``coef``.

    With ``cluster``: ``sandwich::vcovCL(fit, cluster = ~g)`` with its ``lm`` defaults
    (``type = "HC1"``, ``cadjust = TRUE``)::

        V = G/(G-1) (n-1)/(n-k) (X'X)^-1 [sum_g s_g s_g'] (X'X)^-1,   s_g = sum_{i in g} x_i e_i

    and t, p, CI use that V on ``n - k`` df (``lmtest::coeftest(fit, vcov = V)``,
    ``lmtest::coefci``).

    Other fields: ``loglik`` = ``logLik(fit)``, ``aic`` = ``AIC(fit)`` (k + 1 parameters,
    sigma counted), ``deviance`` = RSS, ``sigma`` = ``sigma(fit)``, ``r_squared`` /
    ``adj_r_squared`` as ``summary(fit)``; ``events``, ``dispersion`` and ``theta`` are NaN
    (so the result drops into ``outcomes`` where the GLMs' are used).

    Parameters
    ----------
    df : pandas.DataFrame
    outcome : str
        Continuous outcome column.
    predictors : sequence of str
    cluster : str, optional
        Cluster column (e.g. officer) for cluster-robust SEs.
    per_sd : bool
        z-score predictors (sample SD, n - 1, complete rows) first.
    ci_level : float

    Raises
    ------
    DataError
        Fewer than k + 2 complete rows, constant outcome or predictor, collinear design,
        fewer than 2 clusters.
    """
    _check_level(ci_level)
    d = _prepare(df, [outcome], predictors, cluster, per_sd)
    y = d.ys[0]
    n, p = d.X.shape
    if n < p + 3:
        raise DataError(f"too few complete rows for {p} predictor(s): {n}")
    if np.ptp(y) == 0:
        raise DataError(f"outcome {outcome!r} is constant over the {n} complete rows")
    Xd = np.column_stack([np.ones(n), d.X])
    names = ("(Intercept)", *d.names)
    _check_rank(Xd, names)
    k = p + 1
    # least squares through QR (as lm.fit), covariance from R^-1
    Q, R = np.linalg.qr(Xd)
    beta = np.linalg.solve(R, Q.T @ y)
    e = y - Xd @ beta
    rss = float(e @ e)
    dfr = n - k
    Rinv = np.linalg.solve(R, np.eye(k))
    B = Rinv @ Rinv.T  # (X'X)^-1
    V = B * rss / dfr
    cov_type = "model"
    warns: list[str] = []
    if d.cluster is not None:
        g = d.n_clusters
        assert g is not None
        M = _cluster_meat(Xd * e[:, None], d.cluster, g)
        V = g / (g - 1) * (n - 1) / (n - k) * B @ M @ B
        cov_type = "cluster"
        if g < 30:
            warns.append(f"only {g} clusters: cluster-robust standard errors may be too small")
    se = np.sqrt(np.diag(V))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = beta / se
    q = special.stdtrit(dfr, (1 + ci_level) / 2)
    tab = pd.DataFrame(
        {
            "term": list(names),
            "coef": beta,
            "se": se,
            "estimate": beta,
            "ci_low": beta - q * se,
            "ci_high": beta + q * se,
            "z": t,
            "p": 2 * special.stdtr(dfr, -np.abs(t)),
            "n": np.full(k, n, dtype=np.int64),
            "events": np.full(k, np.nan),
        }
    )
    tss = float(((y - y.mean()) ** 2).sum())
    r2 = 1 - rss / tss
    ll = 0.5 * (-n * (math.log(2 * math.pi) + 1 - math.log(n) + math.log(rss)))
    return ModelResult(
        model="ols",
        table=tab,
        n=int(n),
        events=math.nan,
        loglik=ll,
        aic=-2 * ll + 2 * (k + 1),
        df_resid=float(dfr),
        deviance=rss,
        dispersion=math.nan,
        theta=math.nan,
        theta_se=math.nan,
        loglik_null=math.nan,
        concordance=math.nan,
        converged=True,
        iterations=1,
        cov_type=cov_type,
        n_clusters=d.n_clusters,
        per_sd=bool(per_sd),
        ci_level=float(ci_level),
        separation=False,
        vcov=V,
        warnings=tuple(warns),
        statistic="t",
        sigma=math.sqrt(rss / dfr),
        r_squared=r2,
        adj_r_squared=1 - (1 - r2) * (n - 1) / dfr,
    )


def linear_combination(
    result: ModelResult, weights: Mapping[str, float] | Sequence[float], *, ci_level: float | None = None
) -> Estimate:
    """Estimate, SE, CI and p of a linear combination ``sum_j c_j b_j`` of a model's coefficients.

    ``se = sqrt(c' V c)`` with the result's ``vcov`` (cluster-robust when the model was
    clustered); t on ``df_resid`` for OLS, z otherwise (as the model's own table).
    R: ``sqrt(t(c) %*% vcov(fit) %*% c)`` (or ``sandwich::vcovCL``).

    Parameters
    ----------
    result : ModelResult
    weights : mapping term -> weight, or a sequence with one weight per term (table order)
    ci_level : float, optional
        Default: the model's ``ci_level``.
    """
    terms = result.terms
    if isinstance(weights, Mapping):
        unknown = [t for t in weights if t not in terms]
        if unknown:
            raise UsageError(
                f"weights name unknown term(s): {', '.join(map(str, unknown))}; terms are {', '.join(terms)}"
            )
        c = np.array([float(weights.get(t, 0.0)) for t in terms])
    else:
        c = np.asarray(weights, dtype=float)
        if c.shape != (len(terms),):
            raise UsageError(f"weights must have {len(terms)} entries (one per term), got {c.size}")
    df = result.df_resid if result.statistic == "t" else None
    return combination(result.coef, result.vcov, c, df=df, ci_level=result.ci_level if ci_level is None else ci_level)


# --------------------------------------------------------------------------- Cox
class _CoxData:
    """Risk-set bookkeeping for the Efron partial likelihood (independent of beta).

    Works on the grid of distinct event times ``tau_1 < ... < tau_G``. Row i is at
    risk at ``tau_j`` when ``start_i < tau_j <= stop_i`` (``start = -inf`` for
    right-censored data), i.e. for the event groups ``lo_i <= j < hi_i``. Risk-set
    sums are differences of reverse cumulative sums over rows sorted by ``hi`` and
    by ``lo`` (for right-censored data the second is empty, so the sums are plain
    reverse cumulative sums).
    """

    def __init__(
        self, stop: np.ndarray, event: np.ndarray, X: np.ndarray, ties: str = "efron", start: np.ndarray | None = None
    ):
        self.X = X
        e = event.astype(bool)
        ev = np.flatnonzero(e)
        tau, g_ev = np.unique(stop[ev], return_inverse=True)
        o = np.argsort(g_ev, kind="stable")
        self.ev_idx = ev[o]  # event rows grouped by event time (ascending)
        g = g_ev[o]
        G = tau.size
        self.G = G
        self.row_group = g
        self.d = np.bincount(g, minlength=G).astype(float)
        starts = np.r_[0, np.cumsum(self.d)[:-1]].astype(int)
        self.group_starts = starts
        self.row_c = (np.arange(ev.size) - starts[g]) / self.d[g] if ties == "efron" else np.zeros(ev.size)
        self.hi = np.searchsorted(tau, stop, side="right")  # groups with tau <= stop
        self.lo = (
            np.zeros(stop.size, dtype=np.intp) if start is None else np.searchsorted(tau, start, side="right")
        )  # groups with tau <= start
        # rows sorted by hi (lo) descending; index of the last row with hi > j (lo > j)
        self._ord_hi = np.argsort(-self.hi, kind="stable")
        self._has_entry = start is not None and bool(np.any(self.lo > 0))
        if self._has_entry:
            self._ord_lo = np.argsort(-self.lo, kind="stable")
            self._cnt_lo = stop.size - np.searchsorted(np.sort(self.lo), np.arange(G), side="right")
        self._cnt_hi = stop.size - np.searchsorted(np.sort(self.hi), np.arange(G), side="right")
        self.own_group = np.full(stop.size, -1)
        self.own_group[self.ev_idx] = g

    def _risk_sum(self, a: np.ndarray) -> np.ndarray:
        """``S[j] = sum_i a_i [lo_i <= j < hi_i]`` for every event group j."""
        zero = np.zeros((1,) + a.shape[1:])
        cs = np.concatenate([zero, np.cumsum(a[self._ord_hi], axis=0)])
        S = cs[self._cnt_hi]
        if self._has_entry:
            cl = np.concatenate([zero, np.cumsum(a[self._ord_lo], axis=0)])
            S = S - cl[self._cnt_lo]
        return S

    def evaluate(self, beta: np.ndarray, second: bool = True):
        X = self.X
        eta = X @ beta
        w = np.exp(eta)
        S0 = self._risk_sum(w)
        S1 = self._risk_sum(w[:, None] * X)
        ev = self.ev_idx
        we = w[ev]
        Xe = X[ev]
        A0 = np.add.reduceat(we, self.group_starts)
        A1 = np.add.reduceat(we[:, None] * Xe, self.group_starts, axis=0)
        g = self.row_group
        c = self.row_c
        den = S0[g] - c * A0[g]
        num1 = S1[g] - c[:, None] * A1[g]
        xbar = num1 / den[:, None]
        ll = float(eta[ev].sum() - np.log(den).sum())
        grad = Xe.sum(axis=0) - xbar.sum(axis=0)
        if not second:
            return ll, grad, None, (w, den, xbar)
        XX = X[:, :, None] * X[:, None, :]
        S2 = self._risk_sum(w[:, None, None] * XX)
        A2 = np.add.reduceat(we[:, None, None] * XX[ev], self.group_starts, axis=0)
        num2 = S2[g] - c[:, None, None] * A2[g]
        info = (num2 / den[:, None, None]).sum(axis=0) - xbar.T @ xbar
        return ll, grad, info, (w, den, xbar)

    def score_residuals(self, beta: np.ndarray) -> np.ndarray:
        """Efron score residuals per row (R ``residuals(fit, "score")``), input row order.

        ``U_i = delta_i (x_i - mean_l xbar_jl) - sum_{j at risk} sum_l f_ijl w_i (x_i - xbar_jl) / den_jl``
        with ``f = 1 - l/d_j`` for the rows dying at ``tau_j`` and 1 otherwise.
        """
        _, _, _, (w, den, xbar) = self.evaluate(beta, second=False)
        X = self.X
        G = self.G
        p = X.shape[1]
        g = self.row_group
        c = self.row_c
        inv = 1 / den
        h = np.bincount(g, weights=inv, minlength=G)
        hx = np.zeros((G, p))
        np.add.at(hx, g, xbar * inv[:, None])
        h2 = np.bincount(g, weights=c * inv, minlength=G)
        hx2 = np.zeros((G, p))
        np.add.at(hx2, g, xbar * (c * inv)[:, None])
        mx = np.zeros((G, p))
        np.add.at(mx, g, xbar)
        mx /= self.d[:, None]
        Ch = np.r_[0.0, np.cumsum(h)]  # Ch[k] = sum_{j < k} h_j
        CHX = np.vstack([np.zeros((1, p)), np.cumsum(hx, axis=0)])
        hi, lo = self.hi, self.lo
        U = -w[:, None] * (X * (Ch[hi] - Ch[lo])[:, None] - (CHX[hi] - CHX[lo]))
        own = self.own_group
        isev = own >= 0
        go = own[isev]
        U[isev] += w[isev, None] * (X[isev] * h2[go][:, None] - hx2[go])
        U[isev] += X[isev] - mx[go]
        return U


def _concordance(time: np.ndarray, event: np.ndarray, lp: np.ndarray, start: np.ndarray | None = None) -> float:
    """Harrell's C as ``survival::concordance`` reports it for a ``coxph`` fit.

    A pair (i, j) is comparable when i has an event and j is at risk just after
    it: ``t_j > t_i`` (or ``t_j == t_i`` and j censored) and, for counting-process
    data, ``start_j < t_i``; it is concordant when ``lp_i > lp_j``, tied when equal.
    ``C = (concordant + tied / 2) / (concordant + discordant + tied)``. Pairs of
    events at the same time are not comparable.

    O(n log n)-ish: rows are visited from the latest time backwards while the
    linear predictors of those at risk are kept in a sorted list (rows leave it
    once the time passes their ``start``), so each event's comparisons are two
    binary searches.
    """
    import bisect

    order = np.lexsort((event, -time))  # latest time first; at equal times censored first
    t_sorted, e_sorted, lp_sorted = time[order], event[order], lp[order].tolist()
    if start is not None:
        by_start = np.argsort(-start, kind="stable")  # rows leave the risk set as time passes their start
        st_sorted = start[by_start]
        lp_by_start = lp[by_start].tolist()
        n_start = len(lp_by_start)
    at_risk: list[float] = []
    conc = disc = tied = 0
    n = len(lp_sorted)
    i = 0
    k_start = 0
    while i < n:
        j = i
        while j < n and t_sorted[j] == t_sorted[i]:
            j += 1
        t_now = t_sorted[i]
        if start is not None:
            while k_start < n_start and st_sorted[k_start] >= t_now:
                # inserted earlier (its stop > start >= t_now); not at risk from here on
                del at_risk[bisect.bisect_left(at_risk, lp_by_start[k_start])]
                k_start += 1
        group = range(i, j)
        for k in group:  # censored at this time: comparable to its events
            if e_sorted[k] != 1:
                bisect.insort(at_risk, lp_sorted[k])
        m = len(at_risk)
        for k in group:
            if e_sorted[k] == 1:
                lo = bisect.bisect_left(at_risk, lp_sorted[k])
                hi = bisect.bisect_right(at_risk, lp_sorted[k])
                conc += lo
                tied += hi - lo
                disc += m - hi
        for k in group:  # events enter the risk set for earlier times
            if e_sorted[k] == 1:
                bisect.insort(at_risk, lp_sorted[k])
        i = j
    total = conc + disc + tied
    return (conc + tied / 2) / total if total else math.nan


def cox(
    df: pd.DataFrame,
    time: str,
    event: str,
    predictors: Sequence[str],
    *,
    start: str | None = None,
    cluster: str | None = None,
    per_sd: bool = False,
    ci_level: float = 0.95,
    ties: str = "efron",
    tol: float = 1e-12,
    max_iter: int = 50,
) -> ModelResult:
    """Cox proportional-hazards model with Efron ties, as R
    ``survival::coxph(Surv(time, event) ~ predictors, ties = "efron")``, or for
    counting-process data ``coxph(Surv(start, time, event) ~ predictors)``.

    Newton-Raphson (with step halving) on the Efron log partial likelihood, for
    event times t_j with d_j tied events D_j and risk set R_j, ``w_i = exp(x_i'b)``::

        l(b) = sum_j [ sum_{i in D_j} x_i'b
                       - sum_{l=0}^{d_j-1} log( sum_{R_j} w_i - (l/d_j) sum_{D_j} w_i ) ]

    The risk set R_j holds the rows with ``time >= t_j`` and, with ``start``,
    ``start < t_j`` (the ``(start, stop]`` intervals of time-varying covariates:
    several rows per subject, the covariate constant within each).

    Model-based covariance is the inverse information. With ``cluster``, the
    robust covariance is ``D'D`` where D sums the dfbeta residuals (Efron score
    residuals times the inverse information) within clusters, which is
    ``coxph(..., cluster = id)``'s ``robust se`` (z, p and CI then use it, as
    ``summary.coxph``); for counting-process data cluster by the subject id (or by
    officer) so that a subject's rows are summed. ``estimate`` is the hazard ratio;
    ``loglik`` and ``loglik_null`` are ``fit$loglik[2]`` and ``fit$loglik[1]``;
    ``aic`` is ``-2 loglik + 2 p`` (``AIC(fit)``); ``concordance`` is Harrell's C
    (``fit$concordance["concordance"]``). ``n`` counts rows (``fit$n``).

    Parameters
    ----------
    df : pandas.DataFrame
    time : str
        Follow-up time (> 0), or with ``start`` the interval end (stop).
    event : str
        1 = event (e.g. re-arrest), 0 = censored (with ``start``: at the interval end).
    predictors : sequence of str
    start : str, optional
        Interval start for counting-process data; ``start < time`` on every row.
    cluster : str, optional
        Cluster column (e.g. subject id or officer) for robust SEs.
    per_sd : bool
        z-score predictors first (sample SD, n - 1, over the rows used).
    ci_level : float
    ties : {"efron", "breslow"}
        Tie handling; ``"breslow"`` drops the ``(l/d_j)`` term (= ``coxph(ties="breslow")``).
    tol, max_iter :
        Convergence: relative change of the log partial likelihood below ``tol``.
    """
    _check_level(ci_level)
    if ties not in ("efron", "breslow"):
        raise UsageError(f"unknown ties method {ties!r}; use 'efron' or 'breslow'")
    if start is not None and start in (time, event):
        raise UsageError("start must be a column other than time and event")
    outs = [time, event] if start is None else [start, time, event]
    d = _prepare(df, outs, predictors, cluster, per_sd)
    t0 = None
    if start is None:
        t, e = d.ys
        if np.any(t < 0):
            raise DataError(f"survival time {time!r} must be non-negative")
    else:
        t0, t, e = d.ys
        bad = int(np.sum(t0 >= t))
        if bad:
            raise DataError(f"{bad} row(s) have start {start!r} >= stop {time!r}; each interval needs start < stop")
    if not np.all((e == 0) | (e == 1)):
        raise DataError(f"event column {event!r} must be coded 0/1")
    n_events = int(e.sum())
    if n_events == 0:
        raise DataError(f"no events in {event!r} among the {t.size} complete rows")
    X = d.X - d.X.mean(axis=0)  # centring as coxph (does not change b)
    _check_rank(X, d.names)
    cd = _CoxData(t, e, X, ties, start=t0)
    p = X.shape[1]
    beta = np.zeros(p)
    ll, grad, info, _ = cd.evaluate(beta)
    ll0 = ll
    converged = False
    warns: list[str] = []
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007  (the count is read after the loop)
        try:
            step = np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            raise DataError("Cox information matrix is singular") from None
        new = beta + step
        ll_new, g_new, i_new, _ = cd.evaluate(new)
        halvings = 0
        while (not np.isfinite(ll_new) or ll_new < ll - 1e-10 * abs(ll)) and halvings < 30:
            new = (new + beta) / 2
            ll_new, g_new, i_new, _ = cd.evaluate(new)
            halvings += 1
        done = abs(ll_new - ll) <= tol * abs(ll_new)
        beta, ll, grad, info = new, ll_new, g_new, i_new
        if done:
            converged = True
            break
    if not converged:
        warns.append(f"Cox model did not converge in {max_iter} iterations")
    # monotone likelihood (the Cox analogue of separation): a coefficient running off
    # to infinity; more than 10 on the per-SD scale means HR > e^10 per SD.
    involved = np.abs(beta * X.std(axis=0, ddof=1)) > 10
    separation = bool(involved.any())
    if separation:
        bad_terms = [nm for nm, b in zip(d.names, involved, strict=False) if b]
        warns.append(
            "monotone likelihood: the estimate diverges for "
            + ", ".join(bad_terms)
            + " (events occur only on one side of it; reported as NaN)"
        )
    try:
        V = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        raise DataError("Cox information matrix is singular") from None
    cov_type = "model"
    if d.cluster is not None:
        G = d.n_clusters
        assert G is not None
        U = cd.score_residuals(beta)
        dfb = U @ V
        D = np.zeros((G, p))
        np.add.at(D, d.cluster, dfb)
        V = D.T @ D
        cov_type = "cluster"
        if G < 30:
            warns.append(f"only {G} clusters: robust standard errors may be too small")
    if n_events < 10 * p:
        warns.append(f"only {n_events} events for {p} predictor(s) (fewer than 10 per predictor)")
    tab = _table(d.names, beta, V, n=t.size, events=n_events, ci_level=ci_level)
    if separation:
        tab.loc[involved, ["coef", "se", "estimate", "ci_low", "ci_high", "z", "p"]] = np.nan
    return ModelResult(
        model="cox",
        table=tab,
        n=int(t.size),
        events=float(n_events),
        loglik=ll,
        aic=-2 * ll + 2 * p,
        df_resid=math.nan,
        deviance=math.nan,
        dispersion=math.nan,
        theta=math.nan,
        theta_se=math.nan,
        loglik_null=ll0,
        concordance=_concordance(t, e, d.X @ beta, t0),
        converged=converged,
        iterations=int(it),
        cov_type=cov_type,
        n_clusters=d.n_clusters,
        per_sd=bool(per_sd),
        ci_level=float(ci_level),
        separation=separation,
        vcov=V,
        warnings=tuple(warns),
        start=start,
    )
