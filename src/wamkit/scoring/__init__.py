"""Scoring: item responses to subscale and total scores (in memory or streamed), and data quality."""

from wamkit.scoring.core import (
    ItemMatrix,
    ScaleSummary,
    ScoreResult,
    check_examples,
    compute_scores,
    key_items,
    parse_items,
    resolve_columns,
    score,
)

__all__ = [
    "ItemMatrix",
    "ScaleSummary",
    "ScoreResult",
    "check_examples",
    "compute_scores",
    "key_items",
    "parse_items",
    "resolve_columns",
    "score",
]
