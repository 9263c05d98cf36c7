"""Provenance records for machine-readable outputs."""

from __future__ import annotations

import platform
from datetime import datetime, timezone
from typing import Any


def provenance(*, command: str, instrument=None, tables=(), settings: dict | None = None,
               seed: int | None = None, extra_instruments=()) -> dict[str, Any]:
    """What produced an output: wamkit version, instrument id/version/hash, input hashes, settings, seed."""
    from wamkit import __version__

    def ins(i):
        return {"id": i.id, "version": i.version, "sha256": i.sha256, "path": i.path}

    out: dict[str, Any] = {
        "wamkit_version": __version__,
        "command": command,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "libraries": _library_versions(),
        "instrument": ins(instrument) if instrument is not None else None,
        "inputs": [{"file": t.source, "format": t.format, "sha256": t.sha256,
                    **({"sheet": t.meta["sheet"]} if t.meta.get("sheet") else {})} for t in tables],
        "settings": settings or {},
        "seed": seed,
    }
    if extra_instruments:
        out["instruments"] = [ins(i) for i in extra_instruments]
    return out


def _library_versions() -> dict[str, str]:
    """Versions of the numeric libraries already imported by this run (none is imported here)."""
    import sys

    out = {}
    for name in ("numpy", "pandas", "scipy", "pyarrow"):
        mod = sys.modules.get(name)
        if mod is not None:
            out[name] = getattr(mod, "__version__", "")
    return out
