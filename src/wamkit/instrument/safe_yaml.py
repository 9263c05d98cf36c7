"""Strict, safe YAML parsing for every YAML file wamkit reads (instruments, alert rules).

* PyYAML's safe loader: tags that construct Python objects are refused;
* anchors and aliases are refused before anything is expanded (no "billion laughs");
* a key given twice in one mapping is refused (PyYAML would silently keep the last);
* errors name the file and line: ``name:LINE: message``;
* booleans are YAML 1.2's ``true``/``false`` only, so keys and values such as ``on``, ``off``,
  ``yes``, ``no`` stay text (a study file's ``outcomes: {on: ...}`` must not become ``True``).

Returns the data and a map from data path (tuple of keys/indices) to line number.
"""

from __future__ import annotations

from typing import Any

_LOADER: Any = None


def _loader_class() -> Any:
    """PyYAML's safe loader (libyaml's C parser when PyYAML has it) with YAML 1.2 booleans."""
    global _LOADER
    if _LOADER is not None:
        return _LOADER
    import re

    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc,valid-type]  # base is PyYAML's C or Python safe loader
        pass

    Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )
    _LOADER = Loader
    return Loader


def parse_yaml(text: str, name: str, error_cls: type[Exception]) -> tuple[Any, dict[tuple, int]]:
    import yaml

    def at(mark) -> str:
        return f"{name}:{mark.line + 1}" if mark is not None else name

    try:
        for event in yaml.parse(text, Loader=_loader_class()):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise error_cls(f"{at(event.start_mark)}: YAML anchors and aliases are not allowed")
        loader = _loader_class()(text)
        try:
            node = loader.get_single_node()
            lines: dict[tuple, int] = {}
            if node is not None:
                _walk(node, (), lines, name, error_cls)
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.constructor.ConstructorError as e:
        mark = e.problem_mark or e.context_mark
        raise error_cls(f"{at(mark)}: YAML tag not allowed ({e.problem}); only plain data is accepted") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        text_lines = text.splitlines()
        where = text_lines[mark.line] if mark is not None and mark.line < len(text_lines) else ""
        indent = where[: len(where) - len(where.lstrip(" \t"))]
        if "\\t" in problem or "\t" in problem or "\t" in indent:
            problem = "tab character used for indentation (use spaces)"
        raise error_cls(f"{at(mark)}: YAML syntax error: {problem}") from None
    return data, lines


def _walk(node, path: tuple, out: dict, name: str, error_cls) -> None:
    import yaml

    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for k, v in node.value:
            line = k.start_mark.line + 1
            if not isinstance(k, yaml.ScalarNode):
                raise error_cls(f"{name}:{line}: mapping keys must be plain text, not a list or mapping")
            key = k.value
            if key in seen:
                raise error_cls(
                    f"{name}:{line}: key '{key}' is given twice in this mapping (first on line {seen[key]})"
                )
            seen[key] = line
            out[path + (key,)] = line
            _walk(v, path + (key,), out, name, error_cls)
            out[path + (key,)] = line
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            _walk(v, path + (i,), out, name, error_cls)
