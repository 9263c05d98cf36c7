"""Structural equation models for continuous data (lavaan-compatible), invariance testing.

Public API: :func:`parse_syntax`, :func:`build_partable` (parser and parameter table).
"""

from wamkit.stats.sem.partable import EqualityConstraint, ParTable, build_partable
from wamkit.stats.sem.syntax import ParsedModel, parse_syntax

__all__ = ["EqualityConstraint", "ParTable", "ParsedModel", "build_partable", "parse_syntax"]
