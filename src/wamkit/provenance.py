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
    private: bool = False,
) -> dict[str, Any]:
    """What produced an output: wamkit version, instrument id/version/hash, input hashes (with what the
    reader did: header row, export kind, rows dropped), the study file, settings, seed.

    ``private`` (a pseudonymised output): the input files are named ``input 1``, ``input 2``, ... with
    their hashes, so a file named after a person does not carry the name into the output."""
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
                "file": f"input {k}" if private else t.source,
                "format": t.format,
                "sha256": t.sha256,
                **{k: v for k, v in t.meta.items() if k not in ("value_labels", "question_text")},
            }
            for k, t in enumerate(tables, start=1)
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
    command: str, data, settings: dict | None = None, seed: int | None = None, extra_tables=(), private: bool = False
) -> dict[str, Any]:
    """Provenance of an output computed from :class:`~wamkit.design.read.StudyData` (``private``: see
    :func:`provenance`)."""
    ins = list({i.id: i for i in data.instruments.values()}.values())
    return provenance(
        command=command,
        instrument=ins[0] if len(ins) == 1 else None,
        extra_instruments=ins if len(ins) > 1 else (),
        tables=[*data.tables, *extra_tables],
        settings={"design": data.design.to_dict(), "where": list(data.filters), **(settings or {})},
        seed=seed,
        study=data.study,
        private=private,
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
