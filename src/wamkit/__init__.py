"""wamkit: psychometrics for working-alliance questionnaires, as a library and a command line.

The public API is exported lazily (PEP 562 ``__getattr__``): ``import wamkit`` imports no
numeric library, so ``wamkit --help`` stays fast; ``wamkit.alpha`` imports what it needs on
first use. See ``docs/api.md``::

    import wamkit
    data = wamkit.read(study="examples/study.yaml")
    print(wamkit.validate(data, role="client", where=...).summary())
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.2.0"

#: public name -> "module:attribute"
_EXPORTS: dict[str, str] = {
    # the study and its data
    "load_study": "wamkit.design.study:load_study",
    "load_instrument": "wamkit.instrument:load_instrument",
    "read": "wamkit.design.read:read",
    "check_study": "wamkit.design.check:check_study",
    "Study": "wamkit.design.study:Study",
    "StudyData": "wamkit.design.read:StudyData",
    # whole jobs (one per command)
    "score": "wamkit.api:score",
    "inspect": "wamkit.api:inspect",
    "validate": "wamkit.api:validate",
    "outcomes": "wamkit.outcomes:outcomes",  # the package is callable too (wamkit.packages)
    "dyads": "wamkit.dyads:dyads",
    "reflection_sheet": "wamkit.dyads:reflection_sheet",
    "shorten": "wamkit.shortform.crossval:shorten_data",
    # one function per statistic
    "alpha": "wamkit.api:alpha",
    "omega": "wamkit.api:omega",
    "kmo": "wamkit.api:kmo",
    "bartlett": "wamkit.api:bartlett",
    "parallel_analysis": "wamkit.api:parallel_analysis",
    "map_test": "wamkit.api:map_test",
    "fa": "wamkit.api:fa",
    "polychoric": "wamkit.api:polychoric",
    "cfa": "wamkit.api:cfa",
    "invariance": "wamkit.api:invariance",
    "icc": "wamkit.api:icc",
    "correlations": "wamkit.api:correlations",
    "partial_correlation": "wamkit.api:partial_correlation",
    "logistic": "wamkit.api:logistic",
    "poisson": "wamkit.api:poisson",
    "negative_binomial": "wamkit.api:negative_binomial",
    "cox": "wamkit.api:cox",
    # errors
    "WamkitError": "wamkit.errors:WamkitError",
    "DataError": "wamkit.errors:DataError",
    "UsageError": "wamkit.errors:UsageError",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module 'wamkit' has no attribute {name!r}")
    module, _, attr = target.partition(":")
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
