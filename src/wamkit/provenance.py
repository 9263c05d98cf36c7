"""Provenance records for machine-readable outputs."""

from __future__ import annotations

import platform
from datetime import UTC, datetime
from typing import Any


def provenance(
    *,
    command: str,
    instrument=None,
    tables=(),
    settings: dict | None = None,
    seed: int | None = None,
    extra_instruments=(),
    study=None,
) -> dict[str, Any]:
    """What produced an output: wamkit version, instrument id/version/hash, input hashes (with what the
    reader did: header row, export kind, rows dropped), the study file, settings, seed."""
    from wamkit import __version__

    def ins(i):
        return {"id": i.id, "version": i.version, "sha256": i.sha256, "path": i.path}

    out: dict[str, Any] = {
        "wamkit_version": __version__,
        "command": command,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "libraries": _library_versions(),
        "instrument": ins(instrument) if instrument is not None else None,
        "inputs": [
            {
                "file": t.source,
                "format": t.format,
                "sha256": t.sha256,
                **{k: v for k, v in t.meta.items() if k not in ("value_labels", "question_text")},
            }
            for t in tables
        ],
        "settings": settings or {},
        "seed": seed,
    }
    if extra_instruments:
        out["instruments"] = [ins(i) for i in extra_instruments]
    if study is not None and study.path is not None:
        from wamkit.io import sha256_file

        out["study"] = {"id": study.id, "file": study.name, "sha256": sha256_file(study.path)}
    return out


def data_provenance(
    command: str, data, settings: dict | None = None, seed: int | None = None, extra_tables=()
) -> dict[str, Any]:
    """Provenance of an output computed from :class:`~wamkit.design.read.StudyData`."""
    ins = list({i.id: i for i in data.instruments.values()}.values())
    return provenance(
        command=command,
        instrument=ins[0] if len(ins) == 1 else None,
        extra_instruments=ins if len(ins) > 1 else (),
        tables=[*data.tables, *extra_tables],
        settings={"design": data.design.to_dict(), "where": list(data.filters), **(settings or {})},
        seed=seed,
        study=data.study,
    )


def _library_versions() -> dict[str, str]:
    """Versions of the numeric libraries already imported by this run (none is imported here)."""
    import sys

    out = {}
    for name in ("numpy", "pandas", "scipy", "pyarrow"):
        mod = sys.modules.get(name)
        if mod is not None:
            out[name] = getattr(mod, "__version__", "")
    return out
