"""Instrument definitions: the YAML model, the bundled registry, drafting."""

from wamkit.instrument.model import (
    Example,
    Instrument,
    Item,
    Scale,
    Subscale,
    Total,
    bundled_dir,
    find_instrument_file,
    instrument_schema,
    list_instruments,
    load_instrument,
    search_dirs,
)

__all__ = [
    "Example",
    "Instrument",
    "Item",
    "Scale",
    "Subscale",
    "Total",
    "bundled_dir",
    "find_instrument_file",
    "instrument_schema",
    "list_instruments",
    "load_instrument",
    "search_dirs",
]
