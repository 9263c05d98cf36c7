"""The result of :func:`wamkit.shortform.shorten`: JSON, a tidy table and the short-form instrument file."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from wamkit.instrument import Instrument
from wamkit.results import Result, to_jsonable
from wamkit.shortform.writer import instrument_yaml, write_instrument_file

__all__ = ["ShortFormResult"]


@dataclass(frozen=True)
class ShortFormResult(Result):
    """A cross-validated short form.

    Attributes
    ----------
    instrument_id, instrument_version : the full instrument.
    subscales : ``{subscale id: dict}``, one entry per subscale: ``kept``, ``dropped``, ``n_items_full``,
        ``n_items_short``, ``reliability_full`` / ``reliability_short`` (omega total, mean over the held-out
        folds), ``alpha_full`` / ``alpha_short`` (standardised alpha), ``reliability_in_sample``,
        ``r_short_full`` (``estimate``, ``ci_low``, ``ci_high``, ``n``; pooled held-out rows),
        ``information`` (theta range, mean test information of the full and the short form there, where the
        short form informs least), ``search``, ``stability`` (share of folds that chose the final set), ``fit``
        (held-out CFA omega of the factor, full and short; standardised loadings of the short form), ``items``
        (per item: ``loading``, ``discrimination``, ``thresholds``, ``locations``, ``information``, ``kept``,
        ``selected_in_folds`` and with a criterion ``criterion_r``, ``baseline_kept``); with a criterion also
        ``validity`` (held-out r of the full, short and baseline scores with the criterion) and ``baseline``.
    settings : what was asked (items per scale or target reliability, folds, seed, information range,
        cut-offs, weights, criterion, data hash, ...).
    folds : one dict per fold: held-out rows, the items chosen on the training rows and the held-out statistics.
    fit : joint CFA fit of the full and the short form (``cross_validated``: mean over held-out folds;
        ``in_sample``: all rows, final selection).
    warnings : notes (non-convergence, subscales left whole, changed missing-data tolerance, ...).
    invariance : with data read by :func:`wamkit.read` (:func:`~wamkit.shortform.crossval.shorten_data`), the
        full and the short form's invariance ``waves`` (over the waves of the same persons) and ``roles``
        (across client and professional within dyads): each ``{"full", "short"}`` with ``highest_level``,
        ``verdict`` and one row per fitted ``steps`` (fit and changes), or None when the data cannot show it (a warning says why).
    irt : ``{subscale: IRTResult}`` of the final (all-rows) graded models, for information curves
        (not in ``to_dict``).
    """

    document_builder = "wamkit.render.reports.shortform:shortform_document"

    instrument_id: str
    instrument_version: str
    subscales: dict[str, dict[str, Any]]
    settings: dict[str, Any]
    folds: list[dict[str, Any]]
    fit: dict[str, Any]
    warnings: tuple[str, ...] = ()
    irt: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    invariance: dict[str, Any] | None = None

    @property
    def kept(self) -> dict[str, list[str]]:
        """Items kept per subscale (final selection on all rows)."""
        return {s: list(d["kept"]) for s, d in self.subscales.items()}

    @property
    def dropped(self) -> list[str]:
        """All dropped items, in subscale order."""
        return [i for d in self.subscales.values() for i in d["dropped"]]

    def to_dict(self) -> dict[str, Any]:
        """``{"shorten": {"instrument", "subscales", "settings", "folds", "fit", "invariance", "warnings"}}``."""
        return to_jsonable(
            {
                "shorten": {
                    "instrument": {"id": self.instrument_id, "version": self.instrument_version},
                    "subscales": self.subscales,
                    "settings": self.settings,
                    "folds": self.folds,
                    "fit": self.fit,
                    "invariance": self.invariance,
                    "warnings": list(self.warnings),
                }
            }
        )

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """Tidy tables.

        ``items`` (the main table; one row per subscale x item): ``subscale``, ``item``, ``kept`` (final
        selection), ``selected_in_folds`` (how many training folds chose it), ``loading`` (one-factor minres,
        Pearson), ``discrimination``, ``information`` (mean normal-ogive information over the subscale's theta
        range), ``threshold_1`` ... (psych difficulties), and with a criterion ``criterion_r`` and
        ``baseline_kept``.
        ``subscales``: ``subscale``, ``n_items_full``, ``n_items_short``, ``reliability_full``,
        ``reliability_short``, ``alpha_full``, ``alpha_short``, ``r_short_full``, ``r_ci_low``, ``r_ci_high``,
        ``information_full``, ``information_short``, ``stability``.
        ``folds``: ``fold``, ``n_train``, ``n_test``, ``subscale``, ``kept`` (comma-separated),
        ``reliability_full``, ``reliability_short``.
        """
        rows = []
        for s, d in self.subscales.items():
            for item, v in d["items"].items():
                row: dict[str, Any] = {
                    "subscale": s,
                    "item": item,
                    "kept": v["kept"],
                    "selected_in_folds": v["selected_in_folds"],
                    "loading": v["loading"],
                    "discrimination": v["discrimination"],
                    "information": v["information"],
                }
                for k, t in enumerate(v["thresholds"] or []):
                    row[f"threshold_{k + 1}"] = t
                if "criterion_r" in v:
                    row["criterion_r"] = v["criterion_r"]
                    row["baseline_kept"] = v["baseline_kept"]
                rows.append(row)
        subs = [
            {
                "subscale": s,
                "n_items_full": d["n_items_full"],
                "n_items_short": d["n_items_short"],
                "reliability_full": d["reliability_full"],
                "reliability_short": d["reliability_short"],
                "alpha_full": d["alpha_full"],
                "alpha_short": d["alpha_short"],
                "r_short_full": d["r_short_full"]["estimate"],
                "r_ci_low": d["r_short_full"]["ci_low"],
                "r_ci_high": d["r_short_full"]["ci_high"],
                "information_full": d["information"]["mean_full"],
                "information_short": d["information"]["mean_short"],
                "stability": d["stability"],
            }
            for s, d in self.subscales.items()
        ]
        folds = [
            {
                "fold": f["fold"],
                "n_train": f["n_train"],
                "n_test": f["n_test"],
                "subscale": s,
                "kept": ", ".join(kept),
                "reliability_full": f["reliability_full"][s],
                "reliability_short": f["reliability_short"][s],
            }
            for f in self.folds
            for s, kept in f["kept"].items()
        ]
        return {"items": pd.DataFrame(rows), "subscales": pd.DataFrame(subs), "folds": pd.DataFrame(folds)}

    def provenance(self) -> dict[str, Any]:
        """What the short form was selected from and how (goes into the instrument file)."""
        from wamkit import __version__

        st = self.settings
        return to_jsonable(
            {
                "tool": "wamkit shorten",
                "wamkit_version": __version__,
                "parent": {
                    "id": self.instrument_id,
                    "version": self.instrument_version,
                    "sha256": st.get("instrument_sha256"),
                },
                "data_sha256": st["data_sha256"],
                "n_rows": st["n_rows"],
                "seed": st["seed"],
                "folds": st["folds"],
                "criteria": {
                    k: st[k]
                    for k in (
                        "items_per_scale",
                        "target_reliability",
                        "information_range",
                        "cutoffs",
                        "weights",
                        "criterion",
                        "search",
                    )
                },
                "kept": self.kept,
                "cross_validated": {
                    s: {
                        "reliability_full": d["reliability_full"],
                        "reliability_short": d["reliability_short"],
                        "r_short_full": d["r_short_full"]["estimate"],
                    }
                    for s, d in self.subscales.items()
                },
            }
        )

    def information_svg(self, subscale: str, **kwargs: Any) -> str:
        """SVG of the item and test information curves of ``subscale`` (all-rows graded model; kept items solid,
        dropped dashed, the theta range of the selection shaded); see :func:`wamkit.render.svg_information.information_svg`.
        """
        from wamkit.errors import UsageError
        from wamkit.render.svg_information import information_svg

        if subscale not in self.subscales:
            raise UsageError(f"subscale: unknown subscale {subscale!r} (shortened: {', '.join(self.subscales)})")
        irt = self.irt.get(subscale)
        if irt is None:
            raise UsageError(f"subscale {subscale} has no graded model (items not ordinal)")
        info = self.subscales[subscale]["information"]
        kwargs.setdefault("title", f"{self.instrument_id}: {subscale}")
        return information_svg(
            irt, kept=self.subscales[subscale]["kept"], theta_range=tuple(info["theta_range"]), **kwargs
        )

    def to_instrument_yaml(
        self, instrument: Instrument, *, new_id: str | None = None, version: str | None = None, name: str | None = None
    ) -> str:
        """YAML of the short form: ``extends: <instrument>``, ``remove_items`` and the selection's provenance.

        Defaults: id ``<id>-short``, version ``<version>-short``.
        """
        from wamkit.errors import UsageError

        if instrument.id != self.instrument_id:
            raise UsageError(
                f"instrument: this short form was selected for '{self.instrument_id}', not '{instrument.id}'"
            )
        return instrument_yaml(
            instrument,
            self.kept,
            new_id=new_id or f"{instrument.id}-short",
            version=version or f"{instrument.version}-short",
            name=name,
            provenance=self.provenance(),
        )

    def write_instrument(
        self,
        path: str | os.PathLike,
        instrument: Instrument,
        *,
        force: bool = False,
        new_id: str | None = None,
        version: str | None = None,
        name: str | None = None,
    ) -> Instrument:
        """Write :meth:`to_instrument_yaml` to ``path`` (checked by loading it first); returns the instrument.

        Refuses to overwrite an existing file unless ``force``.
        """
        text = self.to_instrument_yaml(instrument, new_id=new_id, version=version, name=name)
        return write_instrument_file(path, text, force=force)
