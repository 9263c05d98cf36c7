"""The short-form instrument file: ``extends:`` the full instrument with ``remove_items`` and provenance.

The file is checked by loading it with :func:`wamkit.instrument.load_instrument` before it is put in place, so a
file that the scorer would refuse (e.g. a parent instrument that cannot be found from the output folder) is never
left behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from wamkit.errors import InstrumentError, UsageError
from wamkit.instrument import Instrument, load_instrument

__all__ = ["instrument_yaml", "write_instrument_file"]


class _NoAliasDumper(yaml.SafeDumper):
    """A safe dumper that never writes anchors/aliases (instrument files refuse them)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def instrument_yaml(
    parent: Instrument,
    kept: dict[str, list[str]],
    *,
    new_id: str,
    version: str,
    name: str | None = None,
    provenance: dict[str, Any] | None = None,
) -> str:
    """YAML text of a short form of ``parent`` that keeps ``kept[subscale]`` items of each shortened subscale.

    Items dropped from every subscale go to ``remove_items`` (so they also leave item-based totals).  When an
    item shared by several subscales is dropped from one only, that subscale's ``items`` list is given
    explicitly (``extends`` merges subscales by id).
    """
    kept_any = {i for its in kept.values() for i in its}
    in_sub = {s.id: list(s.items) for s in parent.subscales}
    dropped_from = {s: [i for i in in_sub[s] if i not in set(its)] for s, its in kept.items()}
    removable: list[str] = []
    for it in parent.item_ids:
        dropped_somewhere = any(it in d for d in dropped_from.values())
        kept_elsewhere = it in kept_any or any(it in in_sub[s.id] for s in parent.subscales if s.id not in kept)
        if dropped_somewhere and not kept_elsewhere:
            removable.append(it)
    gone = set(removable)
    overrides = []
    for s, its in kept.items():
        if [i for i in in_sub[s] if i not in gone] != list(its):
            overrides.append({"id": s, "items": list(its)})
    doc: dict[str, Any] = {
        "id": new_id,
        "extends": parent.id,
        "name": name or f"{parent.name} - short form",
        "version": version,
        "description": (
            f"Short form of {parent.id} {parent.version} selected by wamkit shorten "
            f"({sum(len(v) for v in kept.values())} items in the shortened subscales); "
            "see provenance for the data, seed and criteria."
        ),
        "remove_items": removable,
    }
    if overrides:
        doc["subscales"] = overrides
    if provenance is not None:
        doc["provenance"] = provenance
    header = (
        f"# Short form of '{parent.id}' written by wamkit shorten. Worked examples are not inherited:\n"
        f"# add two or three scored by hand before use (docs/instruments.md).\n"
    )
    return header + yaml.dump(doc, Dumper=_NoAliasDumper, sort_keys=False, allow_unicode=True, width=100)


def write_instrument_file(path: str | os.PathLike, text: str, *, force: bool = False) -> Instrument:
    """Write instrument YAML ``text`` to ``path`` after checking that it loads; returns the loaded instrument.

    Refuses to replace an existing file unless ``force``.  The text is written to a temporary file in the same
    folder (so that ``extends`` resolves as it will for the final file), loaded with
    :func:`wamkit.instrument.load_instrument`, then renamed into place.

    Raises
    ------
    UsageError
        The file exists (without ``force``), the folder does not exist, or the written instrument does not load
        (e.g. its parent cannot be found from that folder).
    """
    p = Path(path)
    if p.suffix not in (".yaml", ".yml"):
        raise UsageError(f"{p}: an instrument file name must end in .yaml or .yml")
    if p.exists() and not force:
        raise UsageError(f"{p}: file exists; refusing to overwrite it (use force=True)")
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"{p}: folder '{folder}' does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{p.stem[:60]}.", suffix=".part.yaml", dir=str(folder))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        try:
            load_instrument(tmp)
        except InstrumentError as e:  # it names the temporary file: say what it means
            raise UsageError(
                f"{p}: the short-form instrument does not load ({e}); the parent instrument must be "
                "bundled, in a folder of $WAMKIT_INSTRUMENTS, or in the same folder as the output"
            ) from e
        os.chmod(tmp, 0o644)
        os.replace(tmp, p)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return load_instrument(str(p))
