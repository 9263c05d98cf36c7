"""Keyed-hash pseudonymisation of identifiers (dyad, client, officer ids).

A pseudonym is ``PREFIX + the first LENGTH hex digits of HMAC-SHA256(key, id)``.
The same key always gives the same pseudonym (so sheets made on different days
match), and without the key the mapping cannot be recomputed or reversed by
hashing guessed ids (unlike a plain hash). The key comes from a file
(``--key-file``) or the environment variable ``WAMKIT_PSEUDONYM_KEY``; there is no
default key: pseudonymising without one is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from wamkit.errors import DataError, UsageError

__all__ = ["ENV_KEY", "MIN_KEY_BYTES", "load_key", "pseudonym", "pseudonym_map"]

#: environment variable holding the key (used when no key file is given)
ENV_KEY = "WAMKIT_PSEUDONYM_KEY"
#: shortest key accepted (bytes, after trimming surrounding white space)
MIN_KEY_BYTES = 16
#: hex digits kept from the HMAC (48 bits: collisions are checked, never silent)
DEFAULT_LENGTH = 12
MAX_KEY_FILE_BYTES = 1 << 16


def load_key(key_file: str | os.PathLike | None = None, *, environ: Mapping[str, str] | None = None) -> bytes:
    """Read the pseudonymisation key from ``key_file``, else from ``WAMKIT_PSEUDONYM_KEY``.

    Surrounding white space (a trailing newline) is removed. The key must be at least
    16 bytes long (e.g. ``openssl rand -hex 32 > key.txt``).

    Raises
    ------
    UsageError
        No key anywhere, an unreadable or too large file, or a key that is too short.
    """
    env = os.environ if environ is None else environ
    if key_file is not None:
        p = Path(key_file)
        try:
            if p.stat().st_size > MAX_KEY_FILE_BYTES:
                raise UsageError(
                    f"key file {str(p)!r} is larger than {MAX_KEY_FILE_BYTES} bytes; a key file holds one secret line"
                )
            key = p.read_bytes().strip()
        except OSError as exc:
            raise UsageError(f"cannot read key file {str(p)!r}: {exc.strerror or exc}") from None
        source = f"key file {str(p)!r}"
    else:
        raw = env.get(ENV_KEY)
        if raw is None or not raw.strip():
            raise UsageError(
                f"--pseudonymise needs a secret key: give --key-file FILE or set {ENV_KEY} "
                "(e.g. create one with: openssl rand -hex 32 > key.txt)"
            )
        key = raw.strip().encode("utf-8")
        source = f"environment variable {ENV_KEY}"
    if len(key) < MIN_KEY_BYTES:
        raise UsageError(
            f"the pseudonymisation key in {source} is too short ({len(key)} bytes; at least {MIN_KEY_BYTES} needed)"
        )
    return key


def pseudonym(value: object, key: bytes, *, prefix: str = "P-", length: int = DEFAULT_LENGTH) -> str:
    """The pseudonym of one identifier: ``prefix + hex(HMAC-SHA256(key, str(value)))[:length]``.

    The identifier is taken as text with surrounding white space removed (``" 007"``
    and ``"007"`` are the same id; ``"7"`` is a different one).
    """
    if not isinstance(key, (bytes, bytearray)) or len(key) < MIN_KEY_BYTES:
        raise UsageError(f"a pseudonymisation key of at least {MIN_KEY_BYTES} bytes is needed")
    if not 8 <= length <= 64:
        raise UsageError(f"pseudonym length must be between 8 and 64 hex digits; got {length}")
    text = str(value).strip()
    return prefix + hmac.new(bytes(key), text.encode("utf-8"), hashlib.sha256).hexdigest()[:length]


def pseudonym_map(
    values: Iterable[object], key: bytes, *, prefix: str = "P-", length: int = DEFAULT_LENGTH
) -> dict[object, str]:
    """Pseudonyms for the distinct ``values`` (missing values are left out).

    Raises
    ------
    DataError
        Two different identifiers would get the same pseudonym (astronomically
        unlikely; a longer ``length`` resolves it).
    """
    out: dict[object, str] = {}
    seen: dict[str, object] = {}
    for v in values:
        if v is None or (isinstance(v, float) and v != v) or v in out:
            continue
        try:
            if v != v:  # pandas NA and friends
                continue
        except (TypeError, ValueError):
            continue
        p = pseudonym(v, key, prefix=prefix, length=length)
        other = seen.get(p)
        if other is not None and str(other).strip() != str(v).strip():
            raise DataError(f"two identifiers get the same pseudonym {p}; use a longer pseudonym")
        seen[p] = v
        out[v] = p
    return out


def pseudonymise_columns(frame, columns: Iterable[str], key: bytes, *, source: str = "data"):
    """A copy of ``frame`` with each of ``columns`` replaced by keyed pseudonyms (blank cells stay blank)."""
    cols = list(columns)
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise UsageError(f"--pseudonymise {missing[0]}: {source} has no column '{missing[0]}'")
    out = frame.copy()
    for c in cols:
        mapping = pseudonym_map(frame[c].unique(), key)
        out[c] = frame[c].map(mapping).astype(object)
    return out
