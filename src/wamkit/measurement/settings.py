"""What ``validate`` computes (settings) and over which structure (factors, totals, scale ranges)."""

from __future__ import annotations

from dataclasses import dataclass

from wamkit.instrument import Instrument, Item, Subscale

__all__ = ["CHEN_CUTOFFS", "DEFAULT_SEED", "Structure", "ValidateSettings", "instrument_from_model",
           "structure_from_instrument"]

#: the seed used when none is given, so that every run (CLI or library) is reproducible; recorded in the output
DEFAULT_SEED = 20261122

CHEN_CUTOFFS = "Chen (2007): metric dCFI >= -.010, dRMSEA <= .015, dSRMR <= .030; scalar/strict dSRMR <= .010"


@dataclass(frozen=True)
class ValidateSettings:
    """What to compute. ``skip`` may hold ``parallel``, ``efa``, ``cfa`` to leave a part out."""

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

    @property
    def items(self) -> list[str]:
        out: list[str] = []
        for its in self.factors.values():
            out += [i for i in its if i not in out]
        return out

    def model_syntax(self) -> str:
        return "; ".join(f"{f} =~ {' + '.join(its)}" for f, its in self.factors.items() if len(its) >= 2)



def structure_from_instrument(ins: Instrument) -> Structure:
    factors = {s.id: tuple(s.items) for s in ins.subscales}
    totals = {t.id: tuple(ins.total_items(t)) for t in ins.totals}
    scales = {}
    for it in ins.items:
        sc = ins.item_scale(it)
        scales[it.id] = (sc.min, sc.max) if sc is not None else (None, None)
    return Structure(factors=factors, totals=totals, scales=scales, source="instrument")


def instrument_from_model(model_text: str) -> Instrument:
    """A plain instrument for a ``--model``: items continuous, not reversed, no declared range."""
    from wamkit.stats.model_syntax import parse_model

    model = parse_model(model_text)
    items = tuple(Item(id=i, column=i) for i in model.items)
    subs = tuple(Subscale(id=f, items=tuple(its), name=f) for f, its in model.factors)
    return Instrument(id="model", name="--model", version="", items=items, subscales=subs,
                      min_answered=1e-9)
