"""Parser for lavaan model syntax (``lavaan::lavParseModelString``).

Supported operators::

    f  =~ x1 + x2 + x3        # latent variable definition (loadings)
    y  ~  f + x               # regression (latent or observed, both sides)
    a  ~~ b                   # (residual) variance / covariance
    x1 ~  1                   # intercept (observed) or mean (latent)
    x1 |  t1 + t2             # thresholds (parsed for the ordinal engine; not estimated by ML)
    a  == b                   # equality constraint between labels (or label == number)

Modifiers pre-multiply a right-hand-side term: a number fixes the parameter
(``0.5*x2``, ``0*x1``), ``NA`` frees it (``NA*x1`` frees a marker loading), a name
labels it (``a*x1``; equal labels mean equal parameters), ``c(...)`` gives one value
per group (``c(a, b)*x1``, ``c(1, NA)*x1``), ``start(v)`` (or ``v?x``) sets a start
value, ``label("a")``/``equal("a")`` label explicitly, ``lower(v)``/``upper(v)``
record bounds.  Several modifiers may be chained (``NA*a*x1``) and the same term may
be repeated in one statement to combine modifiers (``NA*x1 + start(1)*x1``).  The
left-hand side of ``~`` and ``~~`` may list several variables (``y1 + y2 ~ x``).

Statements are separated by newlines or ``;``; ``#`` and ``!`` start comments; a line
without an operator continues the previous statement (so a long ``=~`` list may be
broken after or before a ``+``).  Errors are :class:`wamkit.errors.UsageError` naming
the statement.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import Any

from wamkit.errors import UsageError

__all__ = ["Constraint", "Formula", "Modifier", "ParsedModel", "parse_syntax"]

NAME_RE = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")
_NUMBER_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
# longest first: '=~' before '~', '~~' before '~', '==' before '=~' cannot clash
_OP_RE = re.compile(r"=~|<~|~\*~|~~|==|:=|<=|>=|~|\||<|>|%")
_BLOCK_RE = re.compile(r"^\s*[A-Za-z_.][A-Za-z0-9_.]*\s*:(?!=)")
_SUPPORTED = ("=~", "~", "~~", "~1", "|")


@dataclass(frozen=True)
class Modifier:
    """Modifiers of one model element; vectors hold one entry per group (length 1 = all groups).

    ``fixed`` entries are a number (fixed value) or ``None`` (``NA``: free); ``label``
    entries are a label or ``""`` (no label); ``start``/``lower``/``upper`` are numbers.
    """

    fixed: tuple[float | None, ...] | None = None
    start: tuple[float, ...] | None = None
    label: tuple[str, ...] | None = None
    lower: tuple[float, ...] | None = None
    upper: tuple[float, ...] | None = None

    def merge(self, other: Modifier, where: str) -> Modifier:
        out = self
        for name in ("fixed", "start", "label", "lower", "upper"):
            new = getattr(other, name)
            if new is None:
                continue
            old = getattr(out, name)
            if old is not None and old != new:
                raise UsageError(f"conflicting {name} modifiers for the same element in model statement {where!r}")
            out = replace(out, **{name: new})
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            k: list(v) for k in ("fixed", "start", "label", "lower", "upper") if (v := getattr(self, k)) is not None
        }


@dataclass(frozen=True)
class Formula:
    """One model element as written: ``lhs op rhs`` (``op`` one of ``=~ ~ ~~ ~1 |``; ``rhs`` is ``""`` for ``~1``)."""

    lhs: str
    op: str
    rhs: str
    modifier: Modifier | None = None
    statement: str = ""


@dataclass(frozen=True)
class Constraint:
    """A constraint statement: ``lhs op rhs`` with ``op`` one of ``== < > :=`` (rhs kept as text)."""

    lhs: str
    op: str
    rhs: str


@dataclass(frozen=True)
class ParsedModel:
    """The flat list of model elements (``lavParseModelString``'s FLAT) and the constraints.

    ``latent_names``: left-hand sides of ``=~`` in order; ``observed_names``: every other
    variable name, in lavaan's ``lavNames(fit, "ov")`` order (indicators, then dependent
    observed variables, then exogenous observed predictors, then variables that only
    appear in ``~~``/``~1``/``|``).
    """

    formulas: tuple[Formula, ...]
    constraints: tuple[Constraint, ...] = ()
    text: str = field(default="", repr=False)

    @property
    def latent_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.lhs for f in self.formulas if f.op == "=~"))

    @property
    def observed_names(self) -> tuple[str, ...]:
        lv = set(self.latent_names)
        ind = [f.rhs for f in self.formulas if f.op == "=~" and f.rhs not in lv]
        ov_ind = list(dict.fromkeys(ind))
        eqs_y = list(dict.fromkeys(f.lhs for f in self.formulas if f.op == "~"))
        eqs_x = list(dict.fromkeys(f.rhs for f in self.formulas if f.op == "~"))
        ov_y = [v for v in eqs_y if v not in lv and v not in ov_ind]
        ov_x = [v for v in eqs_x if v not in lv and v not in ov_ind and v not in ov_y]
        tmp = ov_ind + ov_y + ov_x
        extra: list[str] = []
        for f in self.formulas:
            if f.op == "~~":
                extra += [v for v in (f.lhs, f.rhs) if v not in lv]
            elif f.op in ("~1", "|") and f.lhs not in lv:
                extra.append(f.lhs)
        return tuple(tmp + [v for v in dict.fromkeys(extra) if v not in tmp])

    @property
    def has_thresholds(self) -> bool:
        return any(f.op == "|" for f in self.formulas)

    def to_dict(self) -> dict[str, Any]:
        return {
            "formulas": [
                {"lhs": f.lhs, "op": f.op, "rhs": f.rhs, **({"modifier": f.modifier.to_dict()} if f.modifier else {})}
                for f in self.formulas
            ],
            "constraints": [{"lhs": c.lhs, "op": c.op, "rhs": c.rhs} for c in self.constraints],
        }


# ---------------------------------------------------------------------------------------------
# lexical helpers
# ---------------------------------------------------------------------------------------------
def _strip_comment(line: str) -> str:
    # '#' and '!' start comments, except inside quotes (label("a#b") is unusual enough to ignore)
    cut = len(line)
    for ch in "#!":
        pos = line.find(ch)
        if 0 <= pos < cut:
            cut = pos
    return line[:cut]


def _split_top(text: str, sep: str) -> list[str]:
    """Split at ``sep`` outside parentheses and quotes; a '+' in a number exponent (1e+3) is kept."""
    out, depth, cur, quote = [], 0, [], ""
    for k, ch in enumerate(text):
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = ""
            continue
        if ch in "\"'":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == sep and depth == 0:
            if sep == "+" and k >= 2 and text[k - 1] in "eE" and text[k - 2].isdigit():
                cur.append(ch)
                continue
            out.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    out.append("".join(cur))
    return out


def _find_operator(stmt: str) -> tuple[int, str] | None:
    """Position and text of the statement's operator (the first outside parentheses/quotes)."""
    depth, quote = 0, ""
    k = 0
    while k < len(stmt):
        ch = stmt[k]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0:
            m = _OP_RE.match(stmt, k)
            if m:
                return k, m.group(0)
        k += 1
    return None


def _number(tok: str) -> float | None:
    tok = tok.strip()
    if _NUMBER_RE.match(tok):
        return float(tok)
    if tok in ("Inf", "+Inf", "-Inf"):
        return math.inf if not tok.startswith("-") else -math.inf
    return None


def _unquote(tok: str) -> str | None:
    tok = tok.strip()
    if len(tok) >= 2 and tok[0] == tok[-1] and tok[0] in "\"'":
        return tok[1:-1]
    return None


def _vector(inner: str, where: str) -> list[str]:
    parts = [p.strip() for p in _split_top(inner, ",")]
    if any(p == "" for p in parts):
        raise UsageError(f"empty entry in c(...) in model statement {where!r}")
    return parts


def _parse_modifier(tok: str, where: str) -> Modifier:
    tok = tok.strip()
    if not tok:
        raise UsageError(f"empty modifier (stray '*') in model statement {where!r}")
    m = re.fullmatch(r"(start|label|equal|lower|upper|c)\s*\((.*)\)", tok, flags=re.DOTALL)
    if m:
        fun, inner = m.group(1), m.group(2).strip()
        if fun in ("start", "lower", "upper"):
            inner_m = re.fullmatch(r"c\s*\((.*)\)", inner, flags=re.DOTALL)
            parts = _vector(inner_m.group(1), where) if inner_m else [inner]
            vals = [_number(p) for p in parts]
            if any(v is None for v in vals):
                raise UsageError(f"{fun}() needs numbers in model statement {where!r}")
            nums = tuple(float(v) for v in vals if v is not None)
            if fun == "start":
                return Modifier(start=nums)
            return Modifier(lower=nums) if fun == "lower" else Modifier(upper=nums)
        if fun in ("label", "equal"):
            inner_m = re.fullmatch(r"c\s*\((.*)\)", inner, flags=re.DOTALL)
            parts = _vector(inner_m.group(1), where) if inner_m else [inner]
            labels = []
            for p in parts:
                q = _unquote(p)
                if q is None or not NAME_RE.match(q):
                    raise UsageError(f'{fun}() needs quoted labels, e.g. {fun}("a"), in model statement {where!r}')
                labels.append(q)
            return Modifier(label=tuple(labels))
        # c(...): numbers / NA -> fixed values; names -> labels
        parts = _vector(inner, where)
        cvals = [_number(p) for p in parts]
        if all(n is not None or p == "NA" for n, p in zip(cvals, parts, strict=True)):
            return Modifier(fixed=tuple(None if p == "NA" else n for n, p in zip(cvals, parts, strict=True)))
        labels = []
        for p in parts:
            q = _unquote(p)
            lab = q if q is not None else p
            if lab == "NA":
                labels.append("")
            elif NAME_RE.match(lab) and _number(lab) is None:
                labels.append(lab)
            else:
                raise UsageError(f"c(...) mixes numbers and labels ({p!r}) in model statement {where!r}")
        return Modifier(label=tuple(labels))
    if tok == "NA":
        return Modifier(fixed=(None,))
    num = _number(tok)
    if num is not None:
        return Modifier(fixed=(num,))
    q = _unquote(tok)
    lab = q if q is not None else tok
    if NAME_RE.match(lab):
        return Modifier(label=(lab,))
    raise UsageError(f"cannot read modifier {tok!r} in model statement {where!r}")


def _parse_term(term: str, where: str) -> tuple[str, Modifier | None]:
    """``mod*mod*var`` (or ``start?var``) -> (var, merged modifier)."""
    term = term.strip()
    if not term:
        raise UsageError(f"empty term (stray '+') in model statement {where!r}")
    pieces = _split_top(term, "*")
    var = pieces[-1].strip()
    mods = [p for p in pieces[:-1]]
    if "?" in var:  # lavaan: 0.5?x1 sets a start value
        sv, _, var = var.rpartition("?")
        val = _number(sv)
        if val is None:
            raise UsageError(f"start value {sv!r} before '?' is not a number in model statement {where!r}")
        mods.append(f"start({val!r})")
        var = var.strip()
    mod: Modifier | None = None
    for tok in mods:
        new = _parse_modifier(tok, where)
        mod = new if mod is None else mod.merge(new, where)
    return var, mod


def _check_name(name: str, where: str, what: str = "variable") -> None:
    if not NAME_RE.match(name):
        if ":" in name:
            raise UsageError(f"interaction terms ({name!r}) are not supported, in model statement {where!r}")
        raise UsageError(f"invalid {what} name {name!r} in model statement {where!r}")


# ---------------------------------------------------------------------------------------------
# statements
# ---------------------------------------------------------------------------------------------
def _statements(text: str) -> list[str]:
    out: list[str] = []
    for line in text.splitlines():
        for stmt in _strip_comment(line).split(";"):
            stmt = stmt.strip()
            if not stmt:
                continue
            if _find_operator(stmt) is None and out:
                out[-1] = out[-1] + " " + stmt  # continuation of a broken formula
            elif out and out[-1].rstrip().endswith(("+", "*")):
                out[-1] = out[-1] + " " + stmt
            else:
                out.append(stmt)
    return out


def parse_syntax(text: str) -> ParsedModel:
    """Parse lavaan model syntax into model elements and constraints.

    Parameters
    ----------
    text : str
        lavaan model syntax.

    Returns
    -------
    ParsedModel
        One :class:`Formula` per element (``y1 + y2 ~ x`` gives two), in the order
        written, with duplicated elements merged; ``constraints`` holds ``==``, ``<``,
        ``>`` and ``:=`` statements.

    Raises
    ------
    UsageError
        Empty model, unknown or unsupported operator (``<~`` composites, ``%``, block
        ``group:``/``level:`` labels, interactions), malformed names or modifiers, a
        duplicated element written in two statements (as lavaan), ``~1`` with a
        non-``1`` right-hand side, thresholds not named ``t1, t2, ...``.

    Notes
    -----
    Agrees with ``lavaan::lavParseModelString`` (lavaan 0.6-14) on the supported subset.
    """
    if not isinstance(text, str):
        raise UsageError("model syntax must be a string")
    stmts = _statements(text)
    if not stmts:
        raise UsageError("model syntax is empty: write e.g. 'f1 =~ a + b + c'")
    formulas: dict[tuple[str, str, str], Formula] = {}
    origin: dict[tuple[str, str, str], int] = {}
    constraints: list[Constraint] = []
    for k, stmt in enumerate(stmts):
        if _BLOCK_RE.match(stmt):
            raise UsageError(
                f"block labels such as 'group: 1' are not supported ({stmt!r}); "
                "use group-specific modifiers c(...) instead"
            )
        found = _find_operator(stmt)
        if found is None:
            names = [t.strip() for t in stmt.split("+")]
            if all(NAME_RE.match(t) for t in names):
                raise UsageError(f"variable(s) {stmt!r} without an operator: write e.g. 'f =~ {' + '.join(names)}'")
            raise UsageError(f"cannot parse model statement {stmt!r}: no operator (=~, ~, ~~, ~ 1, |, ==)")
        pos, op = found
        lhs_text, rhs_text = stmt[:pos].strip(), stmt[pos + len(op) :].strip()
        if op in ("<~", "%", "~*~"):
            raise UsageError(f"unsupported operator {op!r} in model statement {stmt!r}")
        if op in ("==", "<", ">", ":=", "<=", ">="):
            if not lhs_text or not rhs_text:
                raise UsageError(f"incomplete constraint {stmt!r}")
            constraints.append(
                Constraint(lhs_text.replace(" ", ""), {"<=": "<", ">=": ">"}.get(op, op), rhs_text.replace(" ", ""))
            )
            continue
        if not lhs_text:
            raise UsageError(f"model statement {stmt!r} has nothing before {op!r}")
        if not rhs_text:
            raise UsageError(f"model statement {stmt!r} has nothing after {op!r}")
        if _find_operator(rhs_text) is not None:
            raise UsageError(f"model statement {stmt!r} has more than one operator")
        lhs_names = [t.strip() for t in _split_top(lhs_text, "+")]
        for nm in lhs_names:
            if "*" in nm:
                raise UsageError(f"modifiers belong on the right-hand side, in model statement {stmt!r}")
            _check_name(nm, stmt)
        if op in ("=~", "|") and len(lhs_names) > 1:
            raise UsageError(f"{op!r} takes a single name on the left, in model statement {stmt!r}")
        terms = [_parse_term(t, stmt) for t in _split_top(rhs_text, "+")]
        for lhs in lhs_names:
            for var, mod in terms:
                rop, rvar = op, var
                if op == "~" and var == "1":
                    rop, rvar = "~1", ""
                elif op == "~~" and var == "1":
                    raise UsageError(f"'~~ 1' is not valid; write '{lhs} ~ 1' for an intercept ({stmt!r})")
                elif _number(var) is not None:
                    raise UsageError(f"a number ({var}) needs a variable after '*', in model statement {stmt!r}")
                else:
                    _check_name(var, stmt)
                if op == "|" and not re.fullmatch(r"t[1-9][0-9]*", var):
                    raise UsageError(f"thresholds are named t1, t2, ..., not {var!r}, in model statement {stmt!r}")
                if op == "=~" and var == lhs:
                    raise UsageError(f"{lhs!r} cannot load on itself, in model statement {stmt!r}")
                key = (lhs, rop, rvar)
                if key in formulas:
                    if origin[key] != k:
                        raise UsageError(
                            f"duplicate model element {lhs} {rop} {rvar}".rstrip() + f" in model statement {stmt!r}"
                        )
                    old = formulas[key]
                    merged = (
                        old.modifier
                        if mod is None
                        else (mod if old.modifier is None else old.modifier.merge(mod, stmt))
                    )
                    formulas[key] = replace(old, modifier=merged)
                else:
                    formulas[key] = Formula(lhs, rop, rvar, mod, stmt)
                    origin[key] = k
    if not formulas:
        raise UsageError("model syntax has constraints but no model elements")
    model = ParsedModel(tuple(formulas.values()), tuple(constraints), text)
    # covariances in the order of the variables (lav_partable_covariance_reorder): latent, then observed
    order = {v: k for k, v in enumerate(model.latent_names + model.observed_names)}
    flist = [
        replace(f, lhs=f.rhs, rhs=f.lhs) if f.op == "~~" and f.lhs != f.rhs and order[f.lhs] > order[f.rhs] else f
        for f in model.formulas
    ]
    model = ParsedModel(tuple(flist), tuple(constraints), text)
    lv = set(model.latent_names)
    for f in model.formulas:
        if f.op == "|" and f.lhs in lv:
            raise UsageError(f"thresholds need an observed variable, not the latent {f.lhs!r}")
    return model
