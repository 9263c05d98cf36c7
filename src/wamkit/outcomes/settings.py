"""What an outcomes analysis is asked to do: :class:`OutcomeSettings` and the outcome/event specs.

A settings object is small and frozen; everything the analysis derives from it together with
the data (outcome types, default predictors, splits) is built in :mod:`wamkit.outcomes.spec`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from wamkit.errors import UsageError

__all__ = [
    "ADJUST_METHODS",
    "OUTCOME_TYPES",
    "EventVar",
    "OutcomeSettings",
    "OutcomeVar",
    "parse_event",
    "parse_outcome",
]

#: outcome types a named outcome may declare (undeclared types are inferred from the values)
OUTCOME_TYPES = ("binary", "count", "continuous")
#: p-value adjustments (R ``p.adjust`` names in brackets): holm, fdr_bh (BH), bonferroni, none
ADJUST_METHODS = ("holm", "fdr_bh", "bonferroni", "none", "bh", "fdr")
SPLITS = ("rater", "role", "wave", "none")
CORRELATION_SE = ("influence", "regression")


@dataclass(frozen=True)
class OutcomeVar:
    """A named outcome: its column and type (``None``: inferred from the values)."""

    name: str
    type: str | None = None


@dataclass(frozen=True)
class EventVar:
    """A time-to-event outcome for Cox models.

    ``name`` labels it in the results; ``event`` is the 0/1 column (default: the name),
    ``time`` the follow-up column, ``origin_wave`` the wave at time 0 (default: the first wave)
    and ``unit`` the unit of ``time`` (days, weeks, months, years).
    """

    name: str
    time: str
    event: str = ""
    origin_wave: str | None = None
    unit: str = "days"

    @property
    def column(self) -> str:
        return self.event or self.name


def parse_outcome(spec: str | OutcomeVar) -> OutcomeVar:
    """``NAME`` or ``NAME:binary|count|continuous`` -> :class:`OutcomeVar`."""
    if isinstance(spec, OutcomeVar):
        return spec
    name, sep, kind = str(spec).partition(":")
    name, kind = name.strip(), kind.strip().lower()
    if not name:
        raise UsageError(f"outcome expects NAME or NAME:TYPE, got '{spec}'")
    if sep and kind not in OUTCOME_TYPES:
        raise UsageError(
            f"outcome {spec}: unknown type '{kind}' (use binary, count or continuous; "
            "for time to event use event=NAME:TIME_COLUMN)"
        )
    return OutcomeVar(name, kind or None)


def parse_event(spec: str | EventVar) -> EventVar:
    """``NAME:TIME_COLUMN[:ORIGIN_WAVE]`` -> :class:`EventVar` (the event column is NAME)."""
    if isinstance(spec, EventVar):
        return spec
    parts = [p.strip() for p in str(spec).split(":")]
    name = parts[0]
    if not name:
        raise UsageError(f"event expects NAME:TIME_COLUMN[:ORIGIN_WAVE], got '{spec}'")
    if len(parts) < 2 or not parts[1]:
        raise UsageError(
            f"event {name} has no time column: use event={name}:TIME_COLUMN (e.g. rearrest:days_to_rearrest)"
        )
    if len(parts) > 3 or (len(parts) == 3 and not parts[2]):
        raise UsageError(f"event expects NAME:TIME_COLUMN[:ORIGIN_WAVE], got '{spec}'")
    return EventVar(name=name, time=parts[1], event=name, origin_wave=parts[2] if len(parts) == 3 else None)


def _names(values: Any, what: str) -> tuple[str, ...]:
    vals = (values,) if isinstance(values, str) else tuple(values or ())
    seen: list[str] = []
    for v in vals:
        key = v.name if isinstance(v, (OutcomeVar, EventVar)) else str(v).partition(":")[0].strip()
        if key in seen:
            raise UsageError(f"{what} {key} is given twice")
        seen.append(key)
    return vals


@dataclass(frozen=True)
class OutcomeSettings:
    """Settings of :func:`wamkit.outcomes.analyse_outcomes` (all optional).

    Attributes
    ----------
    on : tuple of str
        Key column(s) joining data and outcomes (data names; :func:`wamkit.design.read.read_outcomes`
        renames the outcomes file's keys). Default: the study's ``outcomes.on``, else the dyad column.
    outcome : tuple
        Named outcomes, ``NAME`` or ``NAME:binary|count|continuous`` (or :class:`OutcomeVar`).
    event : tuple
        Time-to-event outcomes, ``NAME:TIME_COLUMN[:ORIGIN_WAVE]`` (or :class:`EventVar`).
        Given ``outcome`` or ``event`` replace the study's ``outcomes.variables``/``events``;
        without either and without a study block nothing is modelled (an error says so).
    predictors : tuple of str
        Predictor columns. Default: the instruments' subscales and totals (scored data), or every
        numeric column of a scores table not used otherwise.
    covariates : tuple of str
        Partialled out of correlations and added to every model. Default: the study's covariates.
    by : tuple of {"rater", "wave"} or None
        Splits. None (default): by rater and by wave whenever the design has those columns;
        ``("none",)`` pools every row. A split asked for without its column (``rater``, ``wave``, or the
        study's) uses a column named ``rater`` / ``wave``.
    rater, wave, officer : str, optional
        Design columns when the data are a plain table (a study's design gives them otherwise);
        ``officer`` makes standard errors cluster-robust (correlations and models).
    cluster_robust : bool
        Use the officer column for cluster-robust standard errors (default True); False treats the
        clients of one officer as independent (the settings say so).
    adjust : str
        p-value adjustment within each family (see :data:`wamkit.outcomes.adjust.FAMILY`).
    joint, interaction, discrepancy, per_sd, ci_level :
        One model with all predictors; ``"A:B"`` mean-centred product term; client - professional
        differences as predictors; coefficients per SD; interval level.
    correlation_se : {"influence", "regression"}
        Cluster-robust SE of r with ``officer``
        (:func:`wamkit.stats.association.correlate_clustered`).
    surface : bool or None
        Response surface analysis of client vs professional ratings (needs two raters); None: as the
        study's ``analyses.surface`` (default off).
    surface_center : float, optional
        Centre of both ratings for the surface (default: the instrument's scale midpoint).
    time_varying : bool or None
        Cox models with the predictor as a time-varying covariate over the waves (needs the
        waves' months); None: as the study's ``analyses.time_varying`` (default off).
    landmark : bool
        Cox models at waves after the event's origin start at that wave (landmark), when the
        waves' months are known (default True).
    wave_months : tuple of (wave, months), optional
        Months of each wave since the start (default: the study's ``waves.months``).
    outcomes_where : tuple of str
        Row filters on the outcomes table (``where`` syntax), applied before the join.
    """

    on: tuple[str, ...] = ()
    outcome: tuple[Any, ...] = ()
    event: tuple[Any, ...] = ()
    predictors: tuple[str, ...] = ()
    covariates: tuple[str, ...] | None = None
    by: tuple[str, ...] | None = None
    rater: str | None = None
    wave: str | None = None
    officer: str | None = None
    cluster_robust: bool = True
    adjust: str = "holm"
    joint: bool = False
    interaction: str | None = None
    discrepancy: bool = False
    per_sd: bool = False
    ci_level: float = 0.95
    correlation_se: str = "influence"
    surface: bool | None = None
    surface_center: float | None = None
    time_varying: bool | None = None
    landmark: bool = True
    wave_months: tuple[tuple[str, float], ...] | None = None
    outcomes_where: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("on", "predictors", "outcomes_where"):
            value = getattr(self, name)
            object.__setattr__(self, name, (value,) if isinstance(value, str) else tuple(value or ()))
        if self.covariates is not None:
            cov = self.covariates
            object.__setattr__(self, "covariates", tuple(dict.fromkeys((cov,) if isinstance(cov, str) else cov)))
        object.__setattr__(self, "outcome", _names(self.outcome, "outcome"))
        object.__setattr__(self, "event", _names(self.event, "event"))
        if self.by is not None:
            by = (self.by,) if isinstance(self.by, str) else tuple(self.by)
            object.__setattr__(self, "by", tuple(dict.fromkeys("rater" if b == "role" else b for b in by)))
        self.check()

    def check(self) -> None:
        """UsageError naming the parameter for a setting out of range."""
        if not 0 < self.ci_level < 1:
            raise UsageError(f"ci_level must be between 0 and 1, got {self.ci_level!r}")
        if str(self.adjust).lower() not in ADJUST_METHODS:
            raise UsageError(f"adjust must be holm, fdr_bh, bonferroni or none, not '{self.adjust}'")
        for b in self.by or ():
            if b not in SPLITS:
                raise UsageError(f"by must be 'rater' or 'wave' (or 'none'), not '{b}'")
        if self.correlation_se not in CORRELATION_SE:
            raise UsageError(f"correlation_se must be 'influence' or 'regression', not '{self.correlation_se}'")
        if self.interaction is not None:
            a, sep, b = str(self.interaction).partition(":")
            if not sep or not a.strip() or not b.strip() or a.strip() == b.strip():
                raise UsageError(f"interaction expects A:B with two different predictors, got '{self.interaction}'")

    @property
    def outcome_vars(self) -> tuple[OutcomeVar, ...]:
        return tuple(parse_outcome(o) for o in self.outcome)

    @property
    def event_vars(self) -> tuple[EventVar, ...]:
        return tuple(parse_event(e) for e in self.event)

    @property
    def interaction_terms(self) -> tuple[str, str] | None:
        if self.interaction is None:
            return None
        a, _, b = str(self.interaction).partition(":")
        return a.strip(), b.strip()

    def replace(self, **changes: Any) -> OutcomeSettings:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_kwargs(cls, settings: OutcomeSettings | None = None, **overrides: Any) -> OutcomeSettings:
        """``settings`` with ``overrides`` applied (unknown names are a UsageError naming them)."""
        base = settings or cls()
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(overrides) - names)
        if unknown:
            raise UsageError(f"unknown setting(s): {', '.join(unknown)} (settings: {', '.join(sorted(names))})")
        return dataclasses.replace(base, **overrides) if overrides else base


def month_map(pairs: Sequence[tuple[str, float]] | None) -> dict[str, float] | None:
    return None if pairs is None else {str(w): float(m) for w, m in pairs}
