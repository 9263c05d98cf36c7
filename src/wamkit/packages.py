"""Packages that are also the function of the same name.

``wamkit.outcomes`` and ``wamkit.dyads`` are packages *and* the public API functions
``wamkit.outcomes(data)`` / ``wamkit.dyads(data)``. Once a submodule is imported, Python sets
the package as the attribute of :mod:`wamkit`, so the package itself must be callable:
:func:`make_callable` gives it a ``__call__`` that forwards to the function.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

__all__ = ["make_callable"]


def make_callable(module_name: str, function: Callable[..., Any]) -> None:
    """Make the module ``module_name`` callable as ``function`` (keeping every module attribute)."""

    class CallablePackage(ModuleType):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            return function(*args, **kwargs)

    CallablePackage.__call__.__doc__ = function.__doc__
    sys.modules[module_name].__class__ = CallablePackage
