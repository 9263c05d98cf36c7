"""What ``validate`` computes (settings) and over which structure (factors, totals, scale ranges)."""

from __future__ import annotations

from dataclasses import dataclass

from wamkit.instrument import Instrument, Item, Subscale

__all__ = [
    "CHEN_CUTOFFS",
    "DEFAULT_SEED",
    "Structure",
    "ValidateSettings",
    "instrument_from_model",
    "structure_from_instrument",
]

#: the seed used when none is given, so that every run (CLI or library) is reproducible; recorded in the output
DEFAULT_SEED = 20261122

CHEN_CUTOFFS = "Chen (2007): metric dCFI >= -.010, dRMSEA <= .015, dSRMR <= .030; scalar/strict dSRMR <= .010"


@dataclass(frozen=True)
class ValidateSettings:
    """What to compute. ``skip`` may hold ``parallel``, ``efa``, ``cfa``, ``nesting`` to leave a part out.

    ``group``: independent groups for multi-group invariance; ``longitudinal``: invariance over the
    waves of the same clients; ``across="roles"``: invariance across client and professional within
    dyads; ``partial``: when a level fails, release equality constraints by score tests until it holds;
    ``ordinal``: WLSMV (thresholds, Wu & Estabrook 2016) instead of ML for the CFA and invariance.
    """

    n_factors: int | None = None
    extraction: str = "minres"
    rotation: str = "oblimin"
    ordinal: bool = False
    bootstrap: int = 0
    seed: int | None = None
    parallel_iter: int = 20
    missing: str = "listwise"
    group: str | None = None
    cluster: str | None = None
    levels: tuple[str, ...] = ("configural", "metric", "scalar", "strict")
    longitudinal: bool = False
    across: str | None = None
    partial: bool = False
    std_lv: bool = False
    top_mi: int = 5
    skip: frozenset = frozenset()

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["skip"] = sorted(self.skip)
        d["levels"] = list(self.levels)
        return d


@dataclass(frozen=True)
class Structure:
    """Factors (subscales) and extra reliability scales (totals) over item ids."""

    factors: dict[str, tuple[str, ...]]
    totals: dict[str, tuple[str, ...]]
    scales: dict[str, tuple[float | None, float | None]]
    source: str
    #: the CFA's lavaan syntax when a ``model`` was given (``~~``, ``~``, ``~1``, fixed values, labels ...)
    cfa_syntax: str | None = None

    @property
    def items(self) -> list[str]:
        out: list[str] = []
        for its in self.factors.values():
            out += [i for i in its if i not in out]
        return out

    def model_syntax(self) -> str:
        """lavaan syntax of the CFA: the model's, else one ``=~`` per factor with at least two items."""
        if self.cfa_syntax:
            return self.cfa_syntax
        return "; ".join(f"{f} =~ {' + '.join(its)}" for f, its in self.factors.items() if len(its) >= 2)


def structure_from_instrument(ins: Instrument) -> Structure:
    factors = {s.id: tuple(s.items) for s in ins.subscales}
    totals = {t.id: tuple(ins.total_items(t)) for t in ins.totals}
    scales: dict[str, tuple[float | None, float | None]] = {}
    for it in ins.items:
        sc = ins.item_scale(it)
        scales[it.id] = (sc.min, sc.max) if sc is not None else (None, None)
    return Structure(factors=factors, totals=totals, scales=scales, source="instrument")


def _measurement(model_text: str) -> tuple[dict[str, list[str]], list[str], list[str]]:
    """(factor -> indicators from ``=~``, observed variables, the statements as written) of lavaan syntax."""
    from wamkit.stats.sem.syntax import parse_syntax

    parsed = parse_syntax(model_text)
    factors: dict[str, list[str]] = {}
    for f in parsed.formulas:
        if f.op == "=~":
            factors.setdefault(f.lhs, []).append(f.rhs)
    statements = [s.split("#")[0].strip() for s in model_text.replace("\n", ";").split(";")]
    return factors, list(parsed.observed_names), [s for s in statements if s]


def instrument_from_model(model_text: str) -> Instrument:
    """A plain instrument for a ``model``: the observed variables as continuous, unreversed items."""
    factors, observed, _ = _measurement(model_text)
    items = tuple(Item(id=i, column=i) for i in observed)
    subs = tuple(Subscale(id=f, items=tuple(its), name=f) for f, its in factors.items())
    return Instrument(id="model", name="model", version="", items=items, subscales=subs, min_answered=1e-9)


def structure_with_model(structure: Structure, model_text: str | None, *, source: str) -> Structure:
    """The structure of an instrument (or model) with a ``model``'s statements: a factor's ``=~`` in the
    model replaces the instrument's, every other statement (residual covariances, regressions, fixed
    values, labels) is added to the CFA as written."""
    if not model_text:
        return structure
    factors, _, statements = _measurement(model_text)
    merged = dict(structure.factors)
    merged.update({f: tuple(its) for f, its in factors.items()})
    kept = [f"{f} =~ {' + '.join(its)}" for f, its in structure.factors.items() if f not in factors and len(its) >= 2]
    return Structure(
        factors=merged,
        totals=structure.totals if source == "instrument" else {},
        scales=structure.scales,
        source=source,
        cfa_syntax="; ".join([*kept, *statements]),
    )
