"""Short forms: item information, cross-validated item selection and the short-form instrument file.

:func:`shorten` chooses items per subscale (reliability, information over the trait range that matters,
coverage of the full score, local fit, optionally validity), cross-validates the choice against the full form and
returns a :class:`ShortFormResult` that writes the short form as an instrument YAML (``extends`` + ``remove_items``).
:func:`best_scales` is the empirical baseline (``psych::bestScales``).
"""

from wamkit.shortform.baseline import BestScalesResult, best_scales
from wamkit.shortform.crossval import DEFAULT_SEED, data_sha256, shorten, shorten_data
from wamkit.shortform.result import ShortFormResult
from wamkit.shortform.selection import DEFAULT_WEIGHTS

__all__ = [
    "DEFAULT_SEED",
    "DEFAULT_WEIGHTS",
    "BestScalesResult",
    "ShortFormResult",
    "best_scales",
    "data_sha256",
    "shorten",
    "shorten_data",
]
