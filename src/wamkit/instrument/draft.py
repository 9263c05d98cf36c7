"""Draft an instrument YAML from a data file's header (``wamkit instruments new``)."""

from __future__ import annotations

import fnmatch
import re

from wamkit.errors import UsageError
from wamkit.io import read_table


def draft_instrument(path: str, *, instrument_id: str, pattern: str = "*", scale_min: float = 1,
                     scale_max: float = 5) -> str:
    """A YAML draft with every column matching ``pattern`` as an item, in one placeholder subscale."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", instrument_id):
        raise UsageError(f"--id '{instrument_id}' must use lowercase letters, digits and '-'")
    if scale_min >= scale_max:
        raise UsageError(f"--min ({scale_min:g}) must be below --max ({scale_max:g})")
    table = read_table(path, all_text=True)
    cols = [c for c in table.frame.columns if fnmatch.fnmatchcase(str(c), pattern)]
    if not cols:
        raise UsageError(f"no column of {table.source} matches --items '{pattern}'")

    import json

    def ident(c: str) -> str:
        s = re.sub(r"[^A-Za-z0-9_.-]", "_", c)
        return s if s[:1].isalpha() else f"item_{s}"

    def q(text: str) -> str:
        # a JSON string is a valid double-quoted YAML scalar: quotes, control characters and
        # words YAML would read as booleans/null (yes, on, null) stay text
        return json.dumps(text, ensure_ascii=False)

    ids: list[str] = []
    for c in cols:                     # 'Q1 a' and 'Q1_a' must not become the same item id
        base, k = ident(str(c)), 2
        iid = base
        while iid in ids:
            iid, k = f"{base}_{k}", k + 1
        ids.append(iid)

    lines = [
        f"# Draft written by `wamkit instruments new` from {table.source}.",
        "# Edit: name, citation, license, reverse keys, subscales; then run `wamkit instruments check` on it.",
        f"id: {instrument_id}",
        f"name: {instrument_id} (draft)",
        'version: "0.1"',
        "citation: TODO",
        "license: TODO",
        f"scale: {{min: {scale_min:g}, max: {scale_max:g}}}",
        "missing_codes: [-9]",
        "min_answered: 0.75",
        "items:",
    ]
    for c, iid in zip(cols, ids):
        col = "" if iid == c else f", column: {q(str(c))}"
        lines.append(f"  - {{id: {q(iid)}{col}, reverse: false}}")
    lines += ["subscales:", "  - id: todo", "    name: TODO - split the items into the real subscales",
              "    items: [" + ", ".join(q(i) for i in ids) + "]", ""]
    return "\n".join(lines)
