"""Polynomial regression with response surface analysis (RSA) for dyadic (dis)agreement.

For two ratings of one relationship (X = client, Y = professional), centred on a
common point ``c`` (the scale midpoint), the outcome is modelled by the full
second-order polynomial (Edwards 1994; Shanock et al. 2010)::

    Z = b0 + b1 X + b2 Y + b3 X^2 + b4 X Y + b5 Y^2  (+ covariates)

in an OLS, logistic, Poisson, negative binomial or Cox model (the surface is on
the link scale: log-odds, log-rate, log-hazard; the Cox model has no b0). The
surface is described by (Humberg, Nestler & Back 2019)::

    a1 = b1 + b2         slope along the line of congruence X = Y
    a2 = b3 + b4 + b5    curvature along X = Y
    a3 = b1 - b2         slope along the line of incongruence X = -Y
    a4 = b3 - b4 + b5    curvature along X = -Y
    a5 = b3 - b5         asymmetry of the curvature (rising ridge/trough)

each a linear combination ``c'b`` with ``se = sqrt(c' V c)`` from the model's
coefficient covariance V (cluster-robust, ``sandwich::vcovCL`` / ``coxph(cluster=)``,
when ``cluster`` is given); t on the residual df for OLS (``lm``; as
``lmtest::coeftest``), z for the GLMs and Cox.

The difference-score model implied by ``(X - Y)^2`` (RSA's ``"SQD"``) imposes
``b1 = 0, b2 = 0, b3 = b5, b4 = -2 b3``: **four** constraints (the full model has
five surface coefficients, the SQD model one). The congruence test compares the two:

* OLS: ``F = W/4`` on (4, n - k) df with W the Wald statistic of the four constraints;
  without clusters this is exactly ``anova(lm(Z ~ D2), lm(Z ~ full))`` with
  ``D2 = (X - Y)^2``; with clusters it uses the robust V
  (``lmtest::waldtest(restricted, full, vcov = vcovCL, test = "F")``).
* GLM / Cox without clusters: likelihood-ratio chi^2(4), ``2 (l_full - l_SQD)``
  (``anova(restricted, full, test = "Chisq")``; for the negative binomial both models
  estimate their own theta, as ``anova`` on two ``glm.nb`` fits); the LR test is
  preferred to Wald for non-linear models.
* GLM / Cox with clusters: Wald chi^2(4) with the robust V (no likelihood is valid for
  the clustered data; ``car::linearHypothesis(fit, L, vcov. = vcovCL(...))``).

Extras: the stationary point ``(X0, Y0)`` and the first and second principal axes
``Y = p10 + p11 X`` and ``Y = p20 + p21 X`` (Edwards 2002), with delta-method SEs
from the analytic gradient; they are undefined (NaN) when
``4 b3 b5 - b4^2 = 0`` and meaningless for near-planar surfaces. Humberg et al.'s
congruence conditions are ``p10 = 0, p11 = 1`` (the first principal axis is the line of
congruence), ``a3 = 0`` and ``a4 < 0`` (outcome highest at congruence) or ``a4 > 0``
(lowest at congruence, the expected sign for stagnation, drop-out or re-arrest).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special

from wamkit.errors import DataError, UsageError
from wamkit.results import StatResult, to_jsonable
from wamkit.stats import models as mdl
from wamkit.stats.columns import numeric_column
from wamkit.stats.inference import Estimate, WaldTest, combination, wald_test
from wamkit.stats.models import ModelResult

__all__ = [
    "MODELS",
    "SQD_CONSTRAINTS",
    "SURFACE_WEIGHTS",
    "SurfaceResult",
    "response_surface",
    "surface_grid",
]

MODELS = ("ols", "logistic", "poisson", "negative_binomial", "cox")

SURFACE_WEIGHTS = {
    # weights on (b1, b2, b3, b4, b5)
    "a1": (1, 1, 0, 0, 0),
    "a2": (0, 0, 1, 1, 1),
    "a3": (1, -1, 0, 0, 0),
    "a4": (0, 0, 1, -1, 1),
    "a5": (0, 0, 1, 0, -1),
}
"""Weights of the surface parameters on (b1, ..., b5)."""

SQD_CONSTRAINTS = np.array(
    [
        [1, 0, 0, 0, 0],  # b1 = 0
        [0, 1, 0, 0, 0],  # b2 = 0
        [0, 0, 1, 0, -1],  # b3 = b5
        [0, 0, 2, 1, 0],  # b4 = -2 b3
    ],
    dtype=float,
)
"""Rows of L (on b1..b5) of the squared-difference constraints ``L b = 0``."""

_TERM_SUFFIX = ("", "", "^2", "", "^2")


@dataclass(frozen=True)
class SurfaceResult(StatResult):
    """Result of :func:`response_surface`.

    Attributes
    ----------
    model : str
        One of :data:`MODELS`.
    outcome, x, y : str
        Column names (for Cox, ``outcome`` is the event column).
    time : str or None
        Cox: the time column.
    center : float
        The point X and Y were centred on.
    terms : tuple of str
        Model terms of b1..b5 (``x``, ``y``, ``x^2``, ``x:y``, ``y^2``) as in ``fit.table``.
    coefficients : dict
        ``b0`` (absent for Cox) .. ``b5`` -> :class:`~wamkit.stats.inference.Estimate`.
    surface : dict
        ``a1`` .. ``a5`` -> Estimate.
    congruence_test : WaldTest
        Full polynomial vs the squared-difference model (see module docstring).
    extras : dict
        ``X0``, ``Y0`` (stationary point, on the centred scale), ``p10``, ``p11``, ``p20``,
        ``p21`` (principal axes, centred scale) -> Estimate (delta method, same
        reference distribution as the surface parameters).
    stationary_point : tuple of float
        ``(X0 + center, Y0 + center)`` on the rating scale (NaN when undefined).
    covariates : tuple of str
    covariate_means : dict
        Mean of each covariate over the rows used (held there by :func:`surface_grid`).
    n : int
        Rows used.
    events : float
        Logistic: number of 1s; count models: sum of the counts; Cox: events; OLS: NaN.
    statistic : str
        ``"t"`` (OLS: t on ``df`` = residual df) or ``"z"``.
    df : float or None
        Residual df of the OLS fit; None otherwise.
    cov_type : str
        ``"model"`` or ``"cluster"``.
    n_clusters : int or None
    ci_level : float
    fit : ModelResult
        The full polynomial model.
    restricted : ModelResult or None
        The squared-difference model ``Z ~ (X - Y)^2 + covariates`` (fitted for the OLS
        and LR tests; None when the test is a Wald test on the full model).
    warnings : tuple of str
    """

    model: str
    outcome: str
    x: str
    y: str
    time: str | None
    center: float
    terms: tuple[str, ...]
    coefficients: dict
    surface: dict
    congruence_test: WaldTest
    extras: dict
    stationary_point: tuple[float, float]
    covariates: tuple[str, ...]
    covariate_means: dict
    n: int
    events: float
    statistic: str
    df: float | None
    cov_type: str
    n_clusters: int | None
    ci_level: float
    fit: ModelResult = field(repr=False)
    restricted: ModelResult | None = field(repr=False)
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {
            "model": self.model,
            "outcome": self.outcome,
            "x": self.x,
            "y": self.y,
            "time": self.time,
            "center": to_jsonable(self.center),
            "terms": list(self.terms),
            "coefficients": {k: v.to_dict() for k, v in self.coefficients.items()},
            "surface": {k: v.to_dict() for k, v in self.surface.items()},
            "congruence_test": self.congruence_test.to_dict(),
            "extras": {k: v.to_dict() for k, v in self.extras.items()},
            "stationary_point": to_jsonable(list(self.stationary_point)),
            "covariates": list(self.covariates),
            "covariate_means": to_jsonable(self.covariate_means),
            "n": self.n,
            "events": to_jsonable(self.events),
            "statistic": self.statistic,
            "df": to_jsonable(self.df),
            "cov_type": self.cov_type,
            "n_clusters": self.n_clusters,
            "ci_level": self.ci_level,
            "warnings": list(self.warnings),
            "model_table": to_jsonable(self.fit.table),
        }

    def to_frame(self, name: str | None = None) -> pd.DataFrame:
        """One row per parameter: columns ``group`` (coefficients / surface / extras),
        ``parameter`` (b0..b5, a1..a5, X0..p21), ``term`` (model term for b's), ``estimate``,
        ``se``, ``ci_low``, ``ci_high``, ``statistic``, ``pvalue``, ``df``."""
        if name is not None and name != "coefficients":
            return super().to_frame(name)
        rows = []
        terms = dict(zip(("b1", "b2", "b3", "b4", "b5"), self.terms, strict=False))
        for group, d in (("coefficients", self.coefficients), ("surface", self.surface), ("extras", self.extras)):
            for k, v in d.items():
                rows.append(
                    {
                        "group": group,
                        "parameter": k,
                        "term": "(Intercept)" if k == "b0" else terms.get(k, ""),
                        **v.row(),
                    }
                )
        return pd.DataFrame(rows)


def _extras(b: np.ndarray, V: np.ndarray, df: float | None, ci_level: float) -> dict[str, Estimate]:
    """Stationary point and principal axes (centred scale) with delta-method SEs.

    ``b = (b1..b5)``, ``V`` its covariance. Formulas (Edwards 2002):
    ``X0 = (b2 b4 - 2 b1 b5) / D``, ``Y0 = (b1 b4 - 2 b2 b3) / D`` with ``D = 4 b3 b5 - b4^2``;
    ``p11 = (b5 - b3 + sqrt((b3 - b5)^2 + b4^2)) / b4``, ``p10 = Y0 - p11 X0``;
    ``p21 = (b5 - b3 - sqrt((b3 - b5)^2 + b4^2)) / b4``, ``p20 = Y0 - p21 X0``.
    The gradients are taken analytically (by complex-step differentiation, exact to
    rounding).
    """

    def funcs(c: np.ndarray) -> np.ndarray:
        b1, b2, b3, b4, b5 = c
        D = 4 * b3 * b5 - b4 * b4
        X0 = (b2 * b4 - 2 * b1 * b5) / D
        Y0 = (b1 * b4 - 2 * b2 * b3) / D
        root = np.sqrt((b3 - b5) ** 2 + b4 * b4)
        p11 = (b5 - b3 + root) / b4
        p21 = (b5 - b3 - root) / b4
        return np.array([X0, Y0, Y0 - p11 * X0, p11, Y0 - p21 * X0, p21])

    names = ("X0", "Y0", "p10", "p11", "p20", "p21")
    out: dict[str, Estimate] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        val = funcs(b.astype(float))
        h = 1e-30
        jac = np.empty((6, 5))
        for j in range(5):
            bc = b.astype(complex)
            bc[j] += 1j * h
            jac[:, j] = funcs(bc).imag / h
    for i, nm in enumerate(names):
        if np.all(np.isfinite(jac[i])) and np.isfinite(val[i]):
            out[nm] = combination(b, V, jac[i], df=df, ci_level=ci_level, value=float(val[i]))
        else:
            out[nm] = Estimate(
                math.nan, math.nan, math.nan, math.nan, math.nan, math.nan, None if df is None else float(df)
            )
    return out


def _fit(
    model: str,
    frame: pd.DataFrame,
    outcome: str,
    preds: list[str],
    *,
    time: str | None,
    cluster: str | None,
    ci_level: float,
) -> ModelResult:
    if model == "cox":
        assert time is not None
        return mdl.cox(frame, time, outcome, preds, cluster=cluster, ci_level=ci_level)
    fn = {"ols": mdl.ols, "logistic": mdl.logistic, "poisson": mdl.poisson, "negative_binomial": mdl.negative_binomial}[
        model
    ]
    return fn(frame, outcome, preds, cluster=cluster, ci_level=ci_level)


def response_surface(
    data: pd.DataFrame,
    outcome: str,
    x: str,
    y: str,
    *,
    model: str = "ols",
    center: float,
    time: str | None = None,
    covariates: Sequence[str] = (),
    cluster: str | None = None,
    ci_level: float = 0.95,
) -> SurfaceResult:
    """Polynomial regression with response surface analysis (see the module docstring).

    Agrees with R: ``lm`` / ``glm(family = binomial | poisson)`` / ``MASS::glm.nb`` /
    ``survival::coxph`` on ``Z ~ X + Y + I(X^2) + I(X*Y) + I(Y^2) + covariates`` with X, Y
    centred on ``center``; a1..a5 as ``c'b`` with SE ``sqrt(c' V c)`` from ``vcov(fit)``
    (``sandwich::vcovCL(fit, cluster = ~g)`` / ``coxph(..., cluster = g)`` when clustered);
    congruence test as ``anova`` / ``lmtest::waldtest`` / ``car::linearHypothesis``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per dyad (or per dyad and wave).
    outcome : str
        Outcome column (Cox: the 0/1 event column).
    x, y : str
        The two ratings (e.g. client's and officer's alliance score).
    model : {"ols", "logistic", "poisson", "negative_binomial", "cox"}
    center : float
        Centring point for both ratings, given by the caller (usually the scale midpoint,
        3 on a 1-5 scale). Keyword-only and required: the surface parameters depend on it.
    time : str, optional
        Cox only: follow-up time column.
    covariates : sequence of str
        Additional linear terms.
    cluster : str, optional
        Cluster column (e.g. officer) for cluster-robust SEs and a Wald congruence test.
    ci_level : float

    Returns
    -------
    SurfaceResult

    Raises
    ------
    UsageError
        Unknown model, ``time`` missing for Cox or given otherwise, clashing columns.
    DataError
        From the model fit (too few rows, constant ratings, ...).
    """
    if model not in MODELS:
        raise UsageError(f"unknown model {model!r}; use one of {', '.join(MODELS)}")
    if model == "cox" and time is None:
        raise UsageError("model 'cox' needs time (the follow-up time column)")
    if model != "cox" and time is not None:
        raise UsageError(f"time is only used with model 'cox', not {model!r}")
    if not isinstance(data, pd.DataFrame):
        raise UsageError("data must be a pandas DataFrame")
    try:
        c0 = float(center)
    except (TypeError, ValueError):
        raise UsageError(f"center must be a number, got {center!r}") from None
    if not math.isfinite(c0):
        raise UsageError(f"center must be finite, got {center!r}")
    covs = [covariates] if isinstance(covariates, str) else list(covariates)
    if x == y:
        raise UsageError("x and y must be different columns")
    used = [outcome, x, y, *covs] + ([time] if time else []) + ([cluster] if cluster else [])
    missing = [c for c in dict.fromkeys(used) if c not in data.columns]
    if missing:
        raise UsageError(f"unknown column(s): {', '.join(map(str, missing))}")
    overlap = {outcome, x, y} & set(covs)
    if overlap or outcome in (x, y):
        raise UsageError("outcome, x, y and the covariates must be distinct columns")
    terms = (x, y, f"{x}^2", f"{x}:{y}", f"{y}^2")
    taken = set(data.columns) - {x, y}
    if any(t in taken for t in terms[2:]):
        raise UsageError(f"data already has a column named like a polynomial term ({', '.join(terms[2:])})")
    frame = pd.DataFrame(index=data.index)
    for c in dict.fromkeys([outcome, *covs] + ([time] if time else []) + ([cluster] if cluster else [])):
        frame[c] = data[c]
    xs = numeric_column(data[x], x) - c0
    ys = numeric_column(data[y], y) - c0
    frame[terms[0]] = xs
    frame[terms[1]] = ys
    frame[terms[2]] = xs * xs
    frame[terms[3]] = xs * ys
    frame[terms[4]] = ys * ys
    preds = [*terms, *covs]
    fit = _fit(model, frame, outcome, preds, time=time, cluster=cluster, ci_level=ci_level)
    tab = fit.table.set_index("term")
    coef = fit.coef
    V = fit.vcov
    pos = [fit.terms.index(t) for t in terms]
    df = fit.df_resid if model == "ols" else None
    warns = list(fit.warnings)
    if fit.separation:
        warns.append(
            "the polynomial model shows separation / monotone likelihood: surface parameters "
            "involving NaN coefficients are NaN"
        )
    coefficients: dict[str, Estimate] = {}
    if "(Intercept)" in tab.index:
        e = np.zeros(coef.size)
        e[fit.terms.index("(Intercept)")] = 1
        coefficients["b0"] = combination(coef, V, e, df=df, ci_level=ci_level)
    for i, j in enumerate(pos, start=1):
        e = np.zeros(coef.size)
        e[j] = 1
        coefficients[f"b{i}"] = combination(coef, V, e, df=df, ci_level=ci_level)
    surface: dict[str, Estimate] = {}
    for nm, wts in SURFACE_WEIGHTS.items():
        w = np.zeros(coef.size)
        w[pos] = wts
        surface[nm] = combination(coef, V, w, df=df, ci_level=ci_level)
    extras = _extras(coef[pos], V[np.ix_(pos, pos)], df, ci_level)
    x0, y0 = extras["X0"].estimate, extras["Y0"].estimate
    # congruence test: full polynomial vs the squared-difference model
    L = np.zeros((4, coef.size))
    L[:, pos] = SQD_CONSTRAINTS
    restricted = None
    if model == "ols":
        test = wald_test(coef, V, L, df=fit.df_resid)
    elif cluster is None:
        rframe = frame.drop(columns=list(terms))
        dname = f"({x}-{y})^2"
        rframe[dname] = (xs - ys) ** 2  # missing exactly where x or y is: same rows as the full fit
        try:
            restricted = _fit(model, rframe, outcome, [dname, *covs], time=time, cluster=None, ci_level=ci_level)
        except DataError as exc:
            warns.append(f"squared-difference model not fitted ({exc.message}); Wald test used instead")
        if restricted is not None and restricted.n == fit.n:
            lr = max(2 * (fit.loglik - restricted.loglik), 0.0)
            test = WaldTest(statistic=lr, df=4.0, pvalue=float(special.chdtrc(4, lr)), method="LR chi2")
        else:
            test = wald_test(coef, V, L)
    else:
        test = wald_test(coef, V, L)
    sp = (x0 + c0, y0 + c0) if math.isfinite(x0) and math.isfinite(y0) else (math.nan, math.nan)
    cov_means = {}
    if covs:
        ok = np.ones(len(frame), dtype=bool)
        for c in [outcome, *preds] + ([time] if time else []) + ([cluster] if cluster else []):
            ok &= frame[c].notna().to_numpy()
        cov_means = {c: float(numeric_column(frame.loc[ok, c], c).mean()) for c in covs}
    return SurfaceResult(
        model=model,
        outcome=outcome,
        x=x,
        y=y,
        time=time,
        center=c0,
        terms=terms,
        coefficients=coefficients,
        surface=surface,
        congruence_test=test,
        extras=extras,
        stationary_point=sp,
        covariates=tuple(covs),
        covariate_means=cov_means,
        n=fit.n,
        events=fit.events,
        statistic=fit.statistic,
        df=df,
        cov_type=fit.cov_type,
        n_clusters=fit.n_clusters,
        ci_level=fit.ci_level,
        fit=fit,
        restricted=restricted,
        warnings=tuple(warns),
    )


def surface_grid(
    result: SurfaceResult,
    x_values: Sequence[float] | None = None,
    y_values: Sequence[float] | None = None,
    *,
    scale: str = "link",
    n: int = 21,
    limits: tuple[float, float] | None = None,
) -> pd.DataFrame:
    """The fitted surface over an X x Y grid, for plotting.

    ``Z = b0 + b1 X + b2 Y + b3 X^2 + b4 XY + b5 Y^2 + sum_k g_k mean(cov_k)`` with X, Y
    centred on ``result.center`` and covariates held at their means. On
    ``scale="response"``: OLS unchanged, logistic ``1/(1 + exp(-Z))`` (probability),
    Poisson / negative binomial ``exp(Z)`` (expected count), Cox ``exp(Z)`` = hazard ratio
    relative to a dyad at the centre point with mean covariates (Cox has no intercept).

    Parameters
    ----------
    result : SurfaceResult
    x_values, y_values : sequence of float, optional
        Grid points on the rating scale. Default: ``n`` equally spaced points over
        ``limits``.
    scale : {"link", "response"}
    n : int
        Points per axis when values are not given.
    limits : (low, high), optional
        Default grid range: ``center -+ 2`` (1..5 for a 1-5 scale centred at 3).

    Returns
    -------
    pandas.DataFrame
        Columns ``x``, ``y`` (rating scale) and ``z``; ``len(x_values) * len(y_values)`` rows,
        x varying slowest.
    """
    if scale not in ("link", "response"):
        raise UsageError(f"unknown scale {scale!r}; use 'link' or 'response'")
    lo, hi = limits if limits is not None else (result.center - 2, result.center + 2)
    if (x_values is None or y_values is None) and not (isinstance(n, int) and n >= 2):
        raise UsageError(f"n must be an integer >= 2, got {n!r}")
    xv = np.linspace(lo, hi, n) if x_values is None else np.asarray(x_values, dtype=float)
    yv = np.linspace(lo, hi, n) if y_values is None else np.asarray(y_values, dtype=float)
    X, Y = np.meshgrid(xv - result.center, yv - result.center, indexing="ij")
    b = {k: v.estimate for k, v in result.coefficients.items()}
    z = b.get("b0", 0.0) + b["b1"] * X + b["b2"] * Y + b["b3"] * X * X + b["b4"] * X * Y + b["b5"] * Y * Y
    if result.covariates and result.model != "cox":  # Cox: relative to mean covariates already
        tab = result.fit.table.set_index("term")["coef"]
        z = z + sum(float(tab[c]) * m for c, m in result.covariate_means.items())
    if scale == "response":
        if result.model == "logistic":
            z = 1 / (1 + np.exp(-z))
        elif result.model != "ols":
            z = np.exp(z)
    return pd.DataFrame({"x": (X + result.center).ravel(), "y": (Y + result.center).ravel(), "z": z.ravel()})
