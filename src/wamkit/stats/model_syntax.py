"""Parser for the measurement part of lavaan model syntax (``=~`` only).

Supported::

    # comment
    visual  =~ x1 + x2 + x3
    textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9

Statements are separated by newlines or ``;``; ``#`` starts a comment that runs to
the end of the line.  An item may load on several factors.  Anything else
(regressions ``~``, covariances ``~~``, intercepts ``~1``, labels/modifiers
``a*x1``, constraints ``==``) raises :class:`wamkit.errors.UsageError` with a
one-line message naming the offending statement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wamkit.errors import UsageError

__all__ = ["MeasurementModel", "parse_model"]

_NAME = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")
_OTHER_OPERATORS = ("~~", "~1", "==", "<=", ">=", ":=", "<~", "=", "~", "*", "|", "<", ">")


@dataclass(frozen=True)
class MeasurementModel:
    """A CFA measurement model: factors and the items that load on them.

    Attributes
    ----------
    factors : tuple of (str, tuple of str)
        ``(factor, items)`` pairs in the order they were written; the first item of
        each factor is its marker variable (loading fixed to 1 unless ``std_lv``).
    """

    factors: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def factor_names(self) -> tuple[str, ...]:
        return tuple(f for f, _ in self.factors)

    @property
    def items(self) -> tuple[str, ...]:
        """All observed items, in order of first appearance (lavaan's ``lavNames(fit, "ov")``)."""
        seen: dict[str, None] = {}
        for _, items in self.factors:
            for it in items:
                seen.setdefault(it, None)
        return tuple(seen)

    def items_of(self, factor: str) -> tuple[str, ...]:
        for f, items in self.factors:
            if f == factor:
                return items
        raise UsageError(f"unknown factor {factor!r}; the model has {', '.join(self.factor_names)}")

    def to_syntax(self) -> str:
        """Render back to lavaan syntax (one factor per line)."""
        return "\n".join(f"{f} =~ {' + '.join(items)}" for f, items in self.factors)

    def to_dict(self) -> dict:
        return {"factors": {f: list(items) for f, items in self.factors}}


def _strip_comment(line: str) -> str:
    pos = line.find("#")
    return line if pos < 0 else line[:pos]


def parse_model(text: str) -> MeasurementModel:
    """Parse lavaan ``=~`` syntax into a :class:`MeasurementModel`.

    Parameters
    ----------
    text : str
        Model syntax, e.g. ``"f1 =~ a + b + c; f2 =~ d + e"``.

    Returns
    -------
    MeasurementModel

    Raises
    ------
    UsageError
        For an empty model, an unknown operator, a malformed name, an empty or
        duplicated factor, an item repeated within one factor, or a factor used
        as an item (higher-order models are not supported).

    Notes
    -----
    Equivalent to the ``=~`` subset of ``lavaan::lavaanify(model)``.
    """
    if not isinstance(text, str):
        raise UsageError("model syntax must be a string")
    statements: list[str] = []
    for line in text.splitlines():
        for stmt in _strip_comment(line).split(";"):
            stmt = stmt.strip()
            if stmt:
                statements.append(stmt)
    if not statements:
        raise UsageError("model syntax is empty: write e.g. 'f1 =~ a + b + c'")

    factors: dict[str, tuple[str, ...]] = {}
    for stmt in statements:
        if "=~" not in stmt:
            op = next((o for o in _OTHER_OPERATORS if o in stmt), None)
            if op is None:
                names = [t.strip() for t in stmt.split("+")]
                if all(_NAME.match(t) for t in names):
                    raise UsageError(f"item(s) {stmt!r} on no factor: write 'factor =~ {' + '.join(names)}'")
                raise UsageError(f"cannot parse model statement {stmt!r}: expected 'factor =~ item + item ...'")
            raise UsageError(
                f"unsupported operator {op!r} in model statement {stmt!r}: "
                "only measurement statements 'factor =~ item + ...' are supported"
            )
        lhs, _, rhs = stmt.partition("=~")
        lhs = lhs.strip()
        if "=~" in rhs:
            raise UsageError(f"model statement {stmt!r} has more than one '=~'")
        for op in _OTHER_OPERATORS:
            if op in rhs or op in lhs:
                raise UsageError(
                    f"unsupported operator or modifier {op!r} in model statement {stmt!r}: "
                    "labels, fixed values and constraints are not supported"
                )
        if not lhs:
            raise UsageError(f"model statement {stmt!r} has no factor name before '=~'")
        if not _NAME.match(lhs):
            raise UsageError(f"invalid factor name {lhs!r} in model statement {stmt!r}")
        if lhs in factors:
            raise UsageError(f"factor {lhs!r} is defined twice; list all its items in one statement")
        terms = [t.strip() for t in rhs.split("+")]
        if all(t == "" for t in terms):
            raise UsageError(f"factor {lhs!r} has no items")
        if any(t == "" for t in terms):
            raise UsageError(f"empty item in model statement {stmt!r} (stray '+')")
        for t in terms:
            if not _NAME.match(t):
                raise UsageError(f"invalid item name {t!r} in model statement {stmt!r}")
        dup = sorted({t for t in terms if terms.count(t) > 1})
        if dup:
            raise UsageError(f"item {dup[0]!r} is listed twice for factor {lhs!r}")
        factors[lhs] = tuple(terms)

    model = MeasurementModel(factors=tuple(factors.items()))
    both = set(model.factor_names) & set(model.items)
    if both:
        raise UsageError(
            f"{sorted(both)[0]!r} is used both as a factor and as an item; higher-order factors are not supported"
        )
    return model


def as_model(model: MeasurementModel | str) -> MeasurementModel:
    """Accept a :class:`MeasurementModel` or syntax text."""
    if isinstance(model, MeasurementModel):
        return model
    if isinstance(model, str):
        return parse_model(model)
    raise UsageError(f"model must be lavaan syntax text or a MeasurementModel, not {type(model).__name__}")
