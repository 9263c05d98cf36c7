"""Plain conversion of option values, without building a pydantic model per option.

typer (>= 0.29) converts every option value through a pydantic ``TypeAdapter`` that it builds
for each parameter on first use: about 0.2 s on every ``wamkit`` call (pydantic's import plus
27 adapters for ``score``), longer than the scoring of a small file. wamkit's options are only
``str``, ``int``, ``float``, ``bool`` and ``list[str]``, without ranges, choices or custom
parsers; for exactly those this module converts the value itself and hands everything else to
typer unchanged. It relies on typer's ``core.build_runtime_param`` hook and does nothing when a
typer version lacks it (options then convert through pydantic as before, correct but slower).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["install"]

_INSTALLED: list[bool] = []


def _plain(kind: type, value: Any) -> Any:
    if kind is str:
        return value if isinstance(value, str) else str(value)
    if kind is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "y", "on", "t"):
            return True
        if text in ("0", "false", "no", "n", "off", "f"):
            return False
        raise ValueError(f"{value!r} is not a valid boolean.")
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a valid {kind.__name__}.")
    try:
        return kind(value)
    except (TypeError, ValueError):
        name = "integer" if kind is int else "number"
        raise ValueError(f"{value!r} is not a valid {name}.") from None


def _simple_kind(descriptor: Any) -> tuple[type, bool] | None:
    """(element type, is a list) when typer's pydantic adapter would only convert the value."""
    info = descriptor.parameter_info
    if descriptor.file_annotation is not None or descriptor.is_choice:
        return None
    if any(getattr(info, a, None) is not None for a in ("min", "max", "click_type", "parser", "formats")):
        return None
    annotation = descriptor.annotation
    if annotation in (str, int, float, bool):
        return annotation, False
    if getattr(annotation, "__origin__", None) is list and getattr(annotation, "__args__", None) == (str,):
        return str, True
    return None


def install() -> None:
    """Route wamkit's plain options around typer's pydantic adapters (once per process)."""
    if _INSTALLED:
        return
    _INSTALLED.append(True)
    try:
        import typer.core as core
        from typer._click.exceptions import BadParameter
        from typer._coercion import RuntimeParam
    except ImportError:  # pragma: no cover - another typer layout: keep its own conversion
        return
    if not hasattr(core, "build_runtime_param"):  # pragma: no cover
        return
    typer_build = core.build_runtime_param

    @dataclass(frozen=True)
    class PlainRuntimeParam(RuntimeParam):
        kind: type = str
        many: bool = False

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            try:
                if self.many:
                    items = value if isinstance(value, (list, tuple)) else [value]
                    return [_plain(self.kind, v) for v in items]
                return _plain(self.kind, value)
            except ValueError as e:
                raise BadParameter(str(e), ctx=ctx, param=param) from None

    def build(descriptor: Any) -> Any:
        try:
            simple = _simple_kind(descriptor)
        except AttributeError:  # a typer whose descriptors look different: its own conversion
            simple = None
        if simple is None:
            return typer_build(descriptor)
        kind, many = simple
        return PlainRuntimeParam(
            parameter_info=descriptor.parameter_info, annotation=descriptor.annotation, kind=kind, many=many
        )

    core.build_runtime_param = build
