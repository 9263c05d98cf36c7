"""Old option spellings that keep working for one release, with a note on stderr.

One name per concept across commands (``--officer`` for the nesting unit, ``--wave`` for the
wave column, ``--dyad`` for the dyad column, ``--pseudonymise COLUMN``); the names earlier
releases used are rewritten here before the options are parsed.
"""

from __future__ import annotations

import sys

__all__ = ["RENAMED", "UNTIL", "rewrite"]

UNTIL = "0.3"

#: old spelling -> (new spelling, commands where the old one was used)
RENAMED: dict[str, tuple[str, frozenset[str]]] = {
    "--cluster": ("--officer", frozenset({"validate", "outcomes"})),
    "--caseload": ("--officer", frozenset({"dyads", "report"})),
    "--wave-column": ("--wave", frozenset({"outcomes"})),
    "--dyad-column": ("--dyad", frozenset({"report"})),
}
#: commands where ``--pseudonymise`` used to be a flag (dyad and caseload ids)
PSEUDONYMISE_FLAG = frozenset({"dyads", "report"})
PSEUDONYMISE = ("--pseudonymise", "--pseudonymize")


def _command(argv: list[str]) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


def _report_dyad_ids(argv: list[str], warn) -> list[str]:
    """In ``report`` with the old ``--dyad-column``, ``--dyad ID`` picked a dyad: it is now ``--dyad-id ID``."""
    if _command(argv) != "report" or not any(a.partition("=")[0] == "--dyad-column" for a in argv):
        return argv
    out = [("--dyad-id" + a[len("--dyad") :]) if a.partition("=")[0] == "--dyad" else a for a in argv]
    if out != argv:
        warn(f"wamkit: note: report --dyad ID is now --dyad-id ID (the old form works until wamkit {UNTIL})")
    return out


def rewrite(argv: list[str], warn=None) -> list[str]:
    """``argv`` with deprecated spellings replaced; one note per replaced spelling."""
    warn = warn or (lambda text: sys.stderr.write(text + "\n"))
    command = _command(argv)
    if command is None:
        return argv
    argv = _report_dyad_ids(argv, warn)
    out: list[str] = []
    told: set[str] = set()
    for i, a in enumerate(argv):
        name, eq, value = a.partition("=")
        if name in RENAMED and command in RENAMED[name][1]:
            new = RENAMED[name][0]
            if name not in told:
                warn(f"wamkit: note: {name} is now {new} (the old name works until wamkit {UNTIL})")
                told.add(name)
            out.append(new + eq + value)
            continue
        if name in PSEUDONYMISE and not eq and command in PSEUDONYMISE_FLAG:
            nxt = argv[i + 1] if i + 1 < len(argv) else None
            if nxt is None or nxt.startswith("-"):
                if a not in told:
                    warn(
                        f"wamkit: note: {a} without a column is now --pseudonymise COLUMN; pseudonymising the "
                        f"dyad and officer columns (the old form works until wamkit {UNTIL})"
                    )
                    told.add(a)
                out.append("--pseudonymise-ids")
                continue
        out.append(a)
    return out
