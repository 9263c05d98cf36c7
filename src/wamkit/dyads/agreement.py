r"""Client–professional agreement per score and wave, and profile similarity per dyad-wave.

Each wave is analysed on its own: the dyads of one wave are independent of each other,
but the same dyad at two waves is not, so pooling dyad-waves (as if 700 dyad-waves were
700 dyads) would overstate the information. :func:`agreement` gives one row per score ×
wave:

* ``icc_a1``, ``icc_c1``: :func:`wamkit.stats.icc.icc` on the (dyads × 2) matrix
  (= ``psych::ICC(cbind(client, professional), lmer = FALSE)`` rows ICC2 and ICC3);
* Bland–Altman: :math:`\bar d`, :math:`s_d` (n − 1) and the limits
  :math:`\bar d \pm 1.96\, s_d` with :math:`d = client - professional`;
* ``r``: Pearson :math:`r_{xy}` (``cor(client, professional)``);
* ``difference_reliability``: :func:`difference_reliability` from that wave's
  reliabilities of the two forms and :math:`r_{xy}`.

Per dyad-wave, the profile correlation is the Pearson correlation of the client's and the
professional's scores across the paired subscales (:func:`profile_correlations`);
:func:`profile_summary` gives its mean and median per wave.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from wamkit.dyads.frames import records, require_columns
from wamkit.errors import DataError, UsageError
from wamkit.results import to_jsonable

__all__ = [
    "AGREEMENT_COLUMNS",
    "LOA_Z",
    "PROFILE_COLUMNS",
    "PROFILE_SUMMARY_COLUMNS",
    "AgreementResult",
    "agreement",
    "difference_reliability",
    "profile_correlations",
    "profile_summary",
]

#: multiplier of the SD of differences for the Bland–Altman limits of agreement
LOA_Z = 1.96

AGREEMENT_COLUMNS = [
    "subscale",
    "wave",
    "n_pairs",
    "mean_client",
    "mean_professional",
    "mean_difference",
    "sd_difference",
    "loa_low",
    "loa_high",
    "r",
    "icc_a1",
    "icc_a1_lower",
    "icc_a1_upper",
    "icc_c1",
    "icc_c1_lower",
    "icc_c1_upper",
    "reliability_client",
    "reliability_professional",
    "difference_reliability",
]
PROFILE_COLUMNS = ["dyad", "wave", "n_subscales", "profile_correlation"]
PROFILE_SUMMARY_COLUMNS = ["wave", "n_dyads", "n", "mean", "median"]


def difference_reliability(rel_x: Any, rel_y: Any, r_xy: Any) -> Any:
    r"""Classical reliability of a difference score :math:`X - Y`.

    .. math:: r_{DD} = \frac{\tfrac12 (r_{xx} + r_{yy}) - r_{xy}}{1 - r_{xy}}

    (Lord 1963; assumes equal variances of X and Y). Vectorised over numpy arrays;
    NaN when :math:`r_{xy} = 1`. Low or negative values mean the differences are
    mostly measurement error.
    """
    r = np.asarray(r_xy, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (0.5 * (np.asarray(rel_x, dtype=float) + np.asarray(rel_y, dtype=float)) - r) / (1.0 - r)
    out = np.where(r >= 1.0, np.nan, out)
    return out[()] if out.ndim == 0 else out


@dataclass(frozen=True)
class AgreementResult:
    """Client–professional agreement.

    Attributes
    ----------
    by_subscale : pandas.DataFrame
        One row per score × wave (:data:`AGREEMENT_COLUMNS`): ``subscale``, ``wave``;
        ``n_pairs`` (dyads with both scores at that wave); ``mean_client``,
        ``mean_professional``; ``mean_difference`` and ``sd_difference`` (client −
        professional, SD with n − 1); ``loa_low`` / ``loa_high`` (Bland–Altman limits,
        mean ± 1.96·SD); ``r`` (Pearson); ``icc_a1`` / ``icc_c1`` with ``_lower`` /
        ``_upper`` bounds (two-way absolute agreement / consistency, single rater, targets
        = dyads; psych ICC2 / ICC3); ``reliability_client``, ``reliability_professional``
        (as passed in) and ``difference_reliability``.
    profiles : pandas.DataFrame
        One row per paired dyad-wave (:data:`PROFILE_COLUMNS`).
    profile_summary : pandas.DataFrame
        Per wave (:data:`PROFILE_SUMMARY_COLUMNS`): paired dyads, profile correlations
        computed, their mean and median.
    alpha : float
        Error rate of the ICC bounds.
    warnings : tuple of str
    """

    by_subscale: pd.DataFrame
    profiles: pd.DataFrame
    profile_summary: pd.DataFrame
    alpha: float
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(
            {
                "by_subscale": records(self.by_subscale),
                "profiles": records(self.profiles),
                "profile_summary": records(self.profile_summary),
                "alpha": self.alpha,
                "warnings": self.warnings,
            }
        )


def _wave_text(w: Any) -> str:
    return "" if w is None else f" (wave {w})"


def _cell(c: np.ndarray, p: np.ndarray, alpha: float, where: str, notes: list[str]) -> dict[str, Any]:
    """Agreement statistics of one score at one wave (complete pairs only)."""
    from wamkit.stats.icc import icc

    ok = np.isfinite(c) & np.isfinite(p)
    c, p = c[ok], p[ok]
    n = int(ok.sum())
    d = c - p
    rec: dict[str, Any] = {"n_pairs": n}
    if n:
        rec.update(mean_client=c.mean(), mean_professional=p.mean(), mean_difference=d.mean())
    if n < 2:
        notes.append(f"{where}: fewer than 2 complete client-professional pairs; agreement not computed")
        return rec
    sd = d.std(ddof=1)
    rec.update(sd_difference=sd, loa_low=d.mean() - LOA_Z * sd, loa_high=d.mean() + LOA_Z * sd)
    cc, pc = c - c.mean(), p - p.mean()
    den = np.sqrt(np.sum(cc**2) * np.sum(pc**2))
    rec["r"] = float(np.sum(cc * pc) / den) if den > 0 else np.nan
    try:
        res = icc(np.column_stack([c, p]), alpha=alpha)
    except DataError as exc:
        notes.append(f"{where}: ICC not computed ({exc.message})")
    else:
        rec.update(
            icc_a1=res.icc_a1.icc,
            icc_a1_lower=res.icc_a1.lower,
            icc_a1_upper=res.icc_a1.upper,
            icc_c1=res.icc_c1.icc,
            icc_c1_lower=res.icc_c1.lower,
            icc_c1_upper=res.icc_c1.upper,
        )
    return rec


def _reliability_of(reliability: Mapping[Any, Any], s: Any, w: Any) -> tuple[float, float] | None:
    rel = reliability.get((s, w), reliability.get(s))
    if rel is None:
        return None
    if isinstance(rel, (str, bytes)) or np.shape(rel) != (2,):
        raise UsageError(f"agreement: reliability[{s!r}] must be a pair (client, professional); got {rel!r}")
    rc, rp = (float(v) for v in rel)
    return rc, rp


def agreement(
    pairs: Any,
    *,
    reliability: Mapping[Any, tuple[float, float]] | None = None,
    alpha: float = 0.05,
    wave_order: Sequence[Any] | None = None,
    profile_subscales: Sequence[str] | None = None,
) -> AgreementResult:
    """Agreement between client and professional scores, per score × wave and per dyad-wave.

    Parameters
    ----------
    pairs : pandas.DataFrame or DyadPairing
        :attr:`DyadPairing.pairs` (columns ``dyad, wave, subscale, client, professional``)
        or the pairing itself. ``wave`` may be all ``None`` (one occasion).
    reliability : mapping, optional
        ``(rel_client, rel_professional)`` per score, or per ``(score, wave)`` (e.g. the
        forms' alpha at each wave); a ``(score, wave)`` key wins over a score key.
    alpha : float, default 0.05
        Error rate of the ICC confidence bounds.
    wave_order : sequence, optional
        Order of the waves in the output (default: order of appearance).
    profile_subscales : sequence of str, optional
        The scores the profile correlation runs across (default: every score in ``pairs``;
        leave totals out).

    Returns
    -------
    AgreementResult
    """
    if hasattr(pairs, "pairs") and not isinstance(pairs, pd.DataFrame):
        pairs = pairs.pairs
    require_columns(pairs, ["dyad", "wave", "subscale", "client", "professional"], "agreement")
    reliability = dict(reliability or {})
    notes: list[str] = []
    subs = list(pd.unique(pairs["subscale"]))
    waves = list(wave_order) if wave_order is not None else list(pd.unique(pairs["wave"]))
    client_all = pairs["client"].to_numpy(dtype=float)
    prof_all = pairs["professional"].to_numpy(dtype=float)
    sub_arr = pairs["subscale"].to_numpy(dtype=object)
    wave_arr = pairs["wave"].to_numpy(dtype=object)
    out = []
    missing_rel = []
    for s in subs:
        for w in waves:
            sel = (sub_arr == s) & ((wave_arr == w) if w is not None else pd.isna(pairs["wave"]).to_numpy())
            if not sel.any():
                continue
            rec: dict[str, Any] = dict.fromkeys(AGREEMENT_COLUMNS, np.nan)
            rec.update(subscale=s, wave=w, **_cell(client_all[sel], prof_all[sel], alpha, f"{s}{_wave_text(w)}", notes))
            rel = _reliability_of(reliability, s, w)
            if rel is None:
                missing_rel.append(f"{s}{_wave_text(w)}")
            else:
                rec.update(
                    reliability_client=rel[0],
                    reliability_professional=rel[1],
                    difference_reliability=float(difference_reliability(rel[0], rel[1], rec["r"])),
                )
            out.append(rec)
    if reliability and missing_rel:
        notes.append("no reliabilities given for " + ", ".join(missing_rel) + "; difference_reliability is NaN there")
    keep = pairs if profile_subscales is None else pairs[pairs["subscale"].isin(list(profile_subscales))]
    profiles = profile_correlations(keep, notes)
    return AgreementResult(
        by_subscale=pd.DataFrame(out, columns=AGREEMENT_COLUMNS),
        profiles=profiles,
        profile_summary=profile_summary(profiles, waves),
        alpha=float(alpha),
        warnings=tuple(notes),
    )


def profile_correlations(pairs: pd.DataFrame, notes: list[str] | None = None) -> pd.DataFrame:
    """Pearson correlation of the client and professional scores across subscales, per dyad-wave.

    Needs at least 3 subscales with both scores and variation on both sides; NaN otherwise
    (counted in ``notes``). Columns :data:`PROFILE_COLUMNS`.
    """
    notes = notes if notes is not None else []
    sub_codes, sub_names = pd.factorize(pairs["subscale"], sort=False)
    grp = pairs.groupby(["dyad", "wave"], sort=False, dropna=False).ngroup().to_numpy()
    n_grp = int(grp.max() + 1) if grp.size else 0
    c_mat = np.full((n_grp, len(sub_names)), np.nan)
    p_mat = np.full((n_grp, len(sub_names)), np.nan)
    c_mat[grp, sub_codes] = pairs["client"].to_numpy(dtype=float)
    p_mat[grp, sub_codes] = pairs["professional"].to_numpy(dtype=float)
    ok = np.isfinite(c_mat) & np.isfinite(p_mat)
    k = ok.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        dc = np.where(ok, c_mat - (np.where(ok, c_mat, 0.0).sum(axis=1) / k)[:, None], 0.0)
        dp = np.where(ok, p_mat - (np.where(ok, p_mat, 0.0).sum(axis=1) / k)[:, None], 0.0)
        den = np.sqrt((dc**2).sum(axis=1) * (dp**2).sum(axis=1))
        r = (dc * dp).sum(axis=1) / den
    few = k < 3
    # flat = no variation across subscales, tested on the scores (max == min), not on den, which
    # rounding after centring can leave at ~1e-16 (R's cor gives NA there)
    with np.errstate(invalid="ignore"):
        span_c = np.where(ok, c_mat, -np.inf).max(axis=1, initial=-np.inf) - np.where(ok, c_mat, np.inf).min(
            axis=1, initial=np.inf
        )
        span_p = np.where(ok, p_mat, -np.inf).max(axis=1, initial=-np.inf) - np.where(ok, p_mat, np.inf).min(
            axis=1, initial=np.inf
        )
    flat = ~few & ((span_c == 0) | (span_p == 0) | ~(den > 0))
    r[few | flat] = np.nan
    if few.any():
        notes.append(
            f"profile correlation needs at least 3 shared subscales scored by both raters; "
            f"{int(few.sum())} of {n_grp} dyad-wave(s) have fewer and get NaN"
        )
    if flat.any():
        notes.append(
            f"{int(flat.sum())} dyad-wave profile(s) are flat (no variation across subscales); "
            "their profile correlation is NaN"
        )
    first = pd.DataFrame({"g": grp, "dyad": pairs["dyad"].to_numpy(), "wave": pairs["wave"].to_numpy()})
    first = first.drop_duplicates("g").sort_values("g")
    return pd.DataFrame(
        {
            "dyad": first["dyad"].to_numpy(),
            "wave": first["wave"].to_numpy(),
            "n_subscales": k.astype(np.int64),
            "profile_correlation": r,
        },
        columns=PROFILE_COLUMNS,
    )


def profile_summary(profiles: pd.DataFrame, wave_order: Sequence[Any] | None = None) -> pd.DataFrame:
    """Per wave: paired dyads (``n_dyads``), profile correlations computed (``n``), their mean and median."""
    waves = list(wave_order) if wave_order is not None else list(pd.unique(profiles["wave"]))
    rows = []
    wave_arr = profiles["wave"].to_numpy(dtype=object)
    r_all = profiles["profile_correlation"].to_numpy(dtype=float)
    for w in waves:
        sel = (wave_arr == w) if w is not None else pd.isna(profiles["wave"]).to_numpy()
        if not sel.any():
            continue
        r = r_all[sel][np.isfinite(r_all[sel])]
        rows.append(
            {
                "wave": w,
                "n_dyads": int(sel.sum()),
                "n": int(r.size),
                "mean": float(r.mean()) if r.size else np.nan,
                "median": float(np.median(r)) if r.size else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=PROFILE_SUMMARY_COLUMNS)
