"""The one number formatter for everything wamkit shows people (terminal, Markdown, HTML, sheets).

Machine-readable outputs (CSV, JSON) never go through here: they keep full precision
(see :func:`wamkit.io.writers.round_trip`). Every function returns text and shows a
missing value (``None``, NaN, ``pd.NA``) as :data:`MISSING`.

Kinds used by tables (:class:`wamkit.render.document.Column`):

=========  ===================================================  ===============
kind       rule                                                 example
=========  ===================================================  ===============
``num``    fixed decimals (default 3); whole numbers as ints    ``0.812``, ``12``
``int``    whole number                                          ``400``
``r``      APA style: no leading zero, 2 decimals (r, beta)     ``-.14``
``p``      APA p value: 3 decimals, ``< .001``                  ``.012``
``pct``    percentage, 1 decimal                                ``12.5%``
``signed`` explicit sign, fixed decimals                        ``+0.40``
``fixed``  fixed decimals, whole numbers too (scores on a sheet)    ``4.00``
``text``   ``str(value)``                                       ``client``
=========  ===================================================  ===============
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

__all__ = [
    "MISSING",
    "KINDS",
    "as_float",
    "ci",
    "fixed",
    "fmt",
    "integer",
    "num",
    "p_value",
    "percent",
    "r_apa",
    "signed",
]

#: how a missing value is shown
MISSING = "–"


def as_float(x: Any) -> float | None:
    """``x`` as a finite-or-infinite float, or None when it is missing or not a number."""
    if x is None or isinstance(x, (str, bytes, bool)):
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _zero(text: str) -> str:
    """No negative zero (``-0.00`` -> ``0.00``)."""
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def num(x: Any, digits: int = 3) -> str:
    """Fixed decimals; whole numbers print as integers; very small values in scientific notation."""
    f = as_float(x)
    if f is None:
        return MISSING if not isinstance(x, str) else x
    if math.isinf(f):
        return "inf" if f > 0 else "-inf"
    if f.is_integer() and abs(f) < 1e15:
        return str(int(f))
    if f != 0 and abs(f) < 0.5 * 10**-digits:
        return f"{f:.2e}"
    return _zero(f"{f:.{digits}f}")


def integer(x: Any) -> str:
    f = as_float(x)
    if f is None:
        return MISSING if not isinstance(x, str) else x
    return str(int(round(f))) if math.isfinite(f) else num(f)


def r_apa(x: Any, digits: int = 2) -> str:
    """APA style for quantities bounded by 1 (r, standardised loadings): ``-.14``, ``1.00``."""
    f = as_float(x)
    if f is None:
        return MISSING
    s = _zero(f"{f:.{digits}f}")
    if s.startswith("0."):
        return s[1:]
    if s.startswith("-0."):
        return "-" + s[2:]
    return s


def p_value(p: Any) -> str:
    """APA p value: ``.012``, ``< .001``; 1 prints as ``1.000``."""
    f = as_float(p)
    if f is None:
        return MISSING
    if f < 0.001:
        return "< .001"
    return r_apa(f, 3)


def percent(x: Any, digits: int = 1) -> str:
    """A share (0–1) as a percentage."""
    f = as_float(x)
    if f is None:
        return MISSING
    return f"{_zero(f'{100 * f:.{digits}f}')}%"


def signed(x: Any, digits: int = 2) -> str:
    """Fixed decimals with an explicit sign: ``+0.40``, ``-1.25``, ``0.00``."""
    f = as_float(x)
    if f is None:
        return MISSING
    s = _zero(f"{f:.{digits}f}")
    return s if s.startswith("-") or float(s) == 0 else "+" + s


def fixed(x: Any, digits: int = 2) -> str:
    """Fixed decimals, whole numbers included: ``4.00``, ``3.75`` (scores shown side by side)."""
    f = as_float(x)
    if f is None:
        return MISSING
    return _zero(f"{f:.{digits}f}") if math.isfinite(f) else num(f)


def ci(low: Any, high: Any, digits: int = 2, kind: str = "num") -> str:
    """A confidence interval ``[a, b]`` in the given kind."""
    f = KINDS.get(kind, num)
    if as_float(low) is None and as_float(high) is None:
        return MISSING
    return f"[{f(low, digits)}, {f(high, digits)}]"


def _text(x: Any, digits: int = 0) -> str:
    if x is None:
        return MISSING
    if isinstance(x, float) and math.isnan(x):
        return MISSING
    if isinstance(x, (list, tuple)):
        return ", ".join(map(str, x))
    return str(x)


KINDS: dict[str, Callable[..., str]] = {
    "num": num,
    "int": lambda x, digits=0: integer(x),
    "r": r_apa,
    "p": lambda x, digits=3: p_value(x),
    "pct": percent,
    "signed": signed,
    "fixed": fixed,
    "text": _text,
}


def fmt(x: Any, kind: str = "num", digits: int | None = None) -> str:
    """Format ``x`` by kind (see the module table); ``digits`` overrides the kind's default."""
    f = KINDS[kind]
    return f(x) if digits is None else f(x, digits)
