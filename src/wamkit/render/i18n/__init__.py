"""Every user-visible string of the reflection sheet and the dyads report, one catalogue per language.

``en.yaml``, ``nl.yaml`` and ``fr.yaml`` in this folder hold the same keys (a test checks
keys and ``{placeholders}``). :func:`catalogue` loads one; calling it with a dotted key and
the values of its placeholders gives the text::

    t = catalogue("nl")
    t("sheet.title")                      # 'Onze werkalliantie: reflectieblad'
    t("role.client")                      # 'cliënt'

Numbers are formatted by :mod:`wamkit.render.format` before they are put into a text.
Names of scales and subscales do not come from here but from the instrument file's own
``translations`` (:func:`wamkit.instrument.model.translated`).
"""

from __future__ import annotations

import functools
import string
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from wamkit.errors import UsageError

__all__ = ["LANGS", "Catalogue", "alert_text", "catalogue", "placeholders"]

#: languages with a catalogue
LANGS = ("en", "nl", "fr")


@dataclass(frozen=True)
class Catalogue:
    """The texts of one language: dotted key -> text with ``{placeholders}``."""

    lang: str
    texts: Mapping[str, str]

    def __call__(self, key: str, **values: Any) -> str:
        return self.texts[key].format(**values) if values else self.texts[key]

    def has(self, key: str) -> bool:
        return key in self.texts

    @property
    def decimal(self) -> str:
        """This language's decimal mark (``,`` in nl and fr)."""
        return self.texts.get("number.decimal", ".")

    def number(self, text: str) -> str:
        """A number formatted by :mod:`wamkit.render.format` with this language's decimal mark (``2,80`` in nl)."""
        return text if self.decimal == "." else text.replace(".", self.decimal)

    def html(self, key: str, **markup: str) -> str:
        """The text HTML-escaped, with ``markup`` (already safe HTML, e.g. a ``<span>``) put into its placeholders."""
        import html

        return html.escape(self.texts[key], quote=False).format(**markup)


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in tree.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = str(v)
    return out


@functools.cache
def _load(lang: str) -> Catalogue:
    import yaml

    text = (resources.files("wamkit.render.i18n") / f"{lang}.yaml").read_text("utf-8")
    return Catalogue(lang=lang, texts=_flatten(yaml.safe_load(text)))


def catalogue(lang: str | None = None) -> Catalogue:
    """The catalogue of ``lang`` (``en``, ``nl`` or ``fr``; None -> ``en``)."""
    lang = (lang or "en").strip().lower()
    if lang not in LANGS:
        raise UsageError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    return _load(lang)


def placeholders(text: str) -> set[str]:
    """The ``{names}`` a text expects."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def alert_text(
    t: Catalogue,
    kind: str,
    *,
    score: str,
    role: str | None,
    value: str,
    threshold: str,
    amount: str,
    wave: str,
    wave_from: str,
    client_higher: bool,
) -> str:
    """The sentence describing one alert (numbers already formatted, names already translated)."""
    if kind == "divergence":
        key = "alert.divergence_client" if client_higher else "alert.divergence_professional"
    elif kind == "missing_followup":
        key = "alert.missing_followup_role" if role else "alert.missing_followup"
    else:
        key = f"alert.{kind}"
    return t(
        key,
        score=score,
        role=role or "",
        value=value,
        threshold=threshold,
        amount=amount,
        wave=wave,
        wave_from=wave_from,
    )
