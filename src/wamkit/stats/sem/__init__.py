"""Structural equation models for continuous data, matching lavaan 0.6-14 (ML, listwise or FIML).

Public API
----------
* :func:`parse_syntax`, :func:`build_partable` — lavaan model syntax and parameter tables;
* :func:`fit_sem` → :class:`SEMResult` — ``lavaan::sem()``/``cfa()`` by maximum likelihood;
* :func:`modification_indices` — ``lavaan::modindices`` (single group, complete data);
* :func:`score_tests` → :class:`ScoreTestResult` — ``lavaan::lavTestScore``;
* :func:`longitudinal_invariance`, :func:`role_invariance`, :func:`widen` — invariance over
  occasions and dyad roles (``semTools::measEq.syntax``), with partial invariance.

Multi-group CFA invariance lives in :mod:`wamkit.stats.invariance` (same machinery).
"""

from wamkit.stats.sem.estimate import PARAMETER_COLUMNS, SEMResult, fit_sem
from wamkit.stats.sem.fit import FitMeasures
from wamkit.stats.sem.invariance import (
    CHEN_2007,
    CRITERIA,
    LEVELS,
    InvarianceResult,
    InvarianceStep,
    ReleasedConstraint,
    longitudinal_invariance,
    longitudinal_syntax,
    role_invariance,
    widen,
)
from wamkit.stats.sem.modindices import modification_indices
from wamkit.stats.sem.partable import EqualityConstraint, ParTable, build_partable
from wamkit.stats.sem.score_test import ScoreTestResult, score_tests
from wamkit.stats.sem.syntax import ParsedModel, parse_syntax

__all__ = [
    "CHEN_2007",
    "CRITERIA",
    "LEVELS",
    "PARAMETER_COLUMNS",
    "EqualityConstraint",
    "FitMeasures",
    "InvarianceResult",
    "InvarianceStep",
    "ParTable",
    "ParsedModel",
    "ReleasedConstraint",
    "SEMResult",
    "ScoreTestResult",
    "build_partable",
    "fit_sem",
    "longitudinal_invariance",
    "longitudinal_syntax",
    "modification_indices",
    "parse_syntax",
    "role_invariance",
    "score_tests",
    "widen",
]
