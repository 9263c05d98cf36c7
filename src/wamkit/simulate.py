"""Seeded generator of realistic demonstration data (``wamkit simulate``).

The data follow a known structure, so later commands have something true to find:

* Each dyad (client + professional, nested in officers) has four latent alliance
  factors per rater and wave: trust, goals/restriction, bond and a negative factor
  (reactance for the client, loss of energy for the professional), correlated
  within a rater (positive factors r = .45-.60, the negative factor r = -.30).
  The professional's factors correlate .40 with the client's; officers add a
  random effect (ICC about .10). Wave T1 (6 months) = .6 x T0 + new variation.
* Items follow the ``wam-demo-*`` key: loading .65-.80 on their factor, cut into
  five ordered categories with thresholds that give the negatively skewed answers
  typical of alliance ratings; items 13 and 18 are reverse-worded.
* Outcomes per client: stagnations (Poisson; fewer with client trust, more with
  goals x reactance and with client-professional divergence, T1 stronger than T0),
  drop-out (logistic; clients who drop out have no T1 forms), re-arrest within
  730 days (exponential hazard; more with the professional's loss of energy and
  with risk), plus risk score and age.
* About 2% of item cells are missing (some as the label "n.v.t."), and 3% of
  dyads lack the professional's form at T0, so pairing has unpaired rows to report.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

FACTORS = ("trust", "goals", "bond", "negative")
ITEMS_BY_FACTOR = {
    "trust": [1, 5, 9, 13, 17],
    "goals": [2, 6, 10, 14, 18],
    "bond": [3, 7, 11, 15, 19],
    "negative": [4, 8, 12, 16],
}
REVERSED = {13, 18}
THRESHOLDS = np.array([-2.1, -1.3, -0.35, 0.75])


@dataclass(frozen=True)
class DemoData:
    items: pd.DataFrame  # long: dyad, officer, rater, wave, wam01..wam19
    outcomes: pd.DataFrame  # one row per dyad (client)
    latent: pd.DataFrame  # the true factor values (for checking recovery)
    seed: int


def _factor_cov() -> np.ndarray:
    r = np.array(
        [[1.0, 0.60, 0.55, -0.30], [0.60, 1.0, 0.45, -0.30], [0.55, 0.45, 1.0, -0.30], [-0.30, -0.30, -0.30, 1.0]]
    )
    return r


def simulate_demo(*, n_dyads: int = 400, n_officers: int = 40, seed: int = 2026) -> DemoData:
    """Simulate ``n_dyads`` supervision dyads at waves T0 and T1 (see module docstring)."""
    if n_dyads < 10 or n_officers < 1 or n_officers > n_dyads:
        from wamkit.errors import UsageError

        raise UsageError("simulate needs at least 10 dyads and between 1 and n_dyads officers")
    rng = np.random.default_rng(seed)
    officer = rng.integers(0, n_officers, size=n_dyads)
    L = np.linalg.cholesky(_factor_cov())
    officer_effect = rng.normal(0, np.sqrt(0.10), size=(n_officers, 4))

    def draw(n):
        return rng.standard_normal((n, 4)) @ L.T

    client_t0 = draw(n_dyads)
    prof_t0 = 0.40 * client_t0 + np.sqrt(1 - 0.16) * draw(n_dyads) + officer_effect[officer]
    client_t1 = 0.60 * client_t0 + 0.80 * draw(n_dyads)
    prof_t1 = 0.60 * prof_t0 + 0.80 * draw(n_dyads)

    risk = np.clip(rng.normal(0, 1, n_dyads), -2.5, 2.5)
    age = np.clip(np.round(rng.normal(33, 10, n_dyads)), 18, 75).astype(int)
    tr0, go0, re0 = client_t0[:, 0], client_t0[:, 1], client_t0[:, 3]
    tr1, go1, re1 = client_t1[:, 0], client_t1[:, 1], client_t1[:, 3]
    div0 = np.abs(client_t0[:, :3] - prof_t0[:, :3]).mean(axis=1)
    # drop-out (by month 6) decided from T0 alliance
    p_drop = 1 / (1 + np.exp(-(-1.6 - 0.35 * tr0 + 0.30 * re0 + 0.30 * div0 + 0.25 * risk)))
    dropout = rng.random(n_dyads) < p_drop
    # stagnations over the supervision: T1 carries more information than T0
    lin = (
        0.2
        - 0.15 * tr0
        - 0.30 * np.where(dropout, tr0, tr1)
        + 0.15 * go0 * re0
        + 0.20 * np.where(dropout, go0 * re0, go1 * re1)
        + 0.20 * div0
        + 0.25 * risk
    )
    stagnations = rng.poisson(np.exp(lin))
    # re-arrest within 730 days; professional's loss of energy matters most
    loe = np.where(dropout, prof_t0[:, 3], prof_t1[:, 3])
    hazard = (1 / 1500) * np.exp(-0.30 * np.where(dropout, tr0, tr1) + 0.35 * loe + 0.45 * risk + 0.4 * dropout)
    t_event = rng.exponential(1 / hazard)
    rearrest = (t_event <= 730).astype(int)
    days = np.where(rearrest == 1, np.ceil(t_event), 730).astype(int)

    rows = []
    latent_rows = []
    dyad_ids = [f"D{i + 1:04d}" for i in range(n_dyads)]
    officer_ids = [f"PO{o + 1:03d}" for o in officer]
    missing_prof_t0 = rng.random(n_dyads) < 0.03
    for wave, c_f, p_f in (("T0", client_t0, prof_t0), ("T1", client_t1, prof_t1)):
        for rater, f in (("client", c_f), ("professional", p_f)):
            keep = np.ones(n_dyads, dtype=bool)
            if wave == "T1":
                keep &= ~dropout
            if wave == "T0" and rater == "professional":
                keep &= ~missing_prof_t0
            resp = _items_from_factors(f, rng)
            for i in np.flatnonzero(keep):
                rows.append((dyad_ids[i], officer_ids[i], rater, wave, *resp[i]))
                latent_rows.append((dyad_ids[i], rater, wave, *f[i]))
    item_cols = [f"wam{j:02d}" for j in range(1, 20)]
    items = pd.DataFrame(rows, columns=["dyad", "officer", "rater", "wave", *item_cols])
    items = items.sort_values(["dyad", "wave", "rater"], kind="stable").reset_index(drop=True)
    # item nonresponse: 2% blank, a few as the label text "n.v.t."
    values = np.array(items[item_cols].to_numpy(dtype=object), copy=True)
    miss = rng.random(values.shape) < 0.02
    label = miss & (rng.random(values.shape) < 0.15)
    values[miss] = ""
    values[label] = "n.v.t."
    items[item_cols] = pd.DataFrame(values, columns=item_cols)
    latent = pd.DataFrame(latent_rows, columns=["dyad", "rater", "wave", *FACTORS])
    outcomes = pd.DataFrame(
        {
            "dyad": dyad_ids,
            "officer": officer_ids,
            "age": age,
            "risk_score": np.round(risk, 2),
            "stagnations": stagnations,
            "dropout": dropout.astype(int),
            "rearrest": rearrest,
            "days_to_rearrest": days,
        }
    )
    return DemoData(items=items, outcomes=outcomes, latent=latent, seed=seed)


def _items_from_factors(f: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = f.shape[0]
    out = np.empty((n, 19), dtype=np.int64)
    for k, name in enumerate(FACTORS):
        for pos, item in enumerate(ITEMS_BY_FACTOR[name]):
            lam = 0.80 - 0.04 * pos
            ystar = lam * f[:, k] + np.sqrt(1 - lam**2) * rng.standard_normal(n)
            if name == "negative":
                cat = 1 + np.searchsorted(-THRESHOLDS[::-1], ystar)  # positively skewed: most answer low
            else:
                cat = 1 + np.searchsorted(THRESHOLDS, ystar)
            if item in REVERSED:
                cat = 6 - cat
            out[:, item - 1] = cat
    return out
