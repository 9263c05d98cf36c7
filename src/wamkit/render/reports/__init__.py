"""Builders that turn each result into a :class:`~wamkit.render.document.Document`.

A result class names its builder in ``document_builder`` (``"module:function"``), so
analysis modules never import the rendering layer; this module imports the builder on
first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from wamkit.render.document import Document

__all__ = ["build_document"]


def build_document(result: Any) -> Document:
    """The document of ``result`` (its class names the builder)."""
    ref = getattr(type(result), "document_builder", "")
    if not ref:
        raise TypeError(f"{type(result).__name__} has no document builder")
    module, _, name = ref.partition(":")
    builder = getattr(importlib.import_module(module), name)
    doc = builder(result)
    if not isinstance(doc, Document):  # pragma: no cover - programming error
        raise TypeError(f"{ref} returned {type(doc).__name__}, not a Document")
    return doc
