"""Seeded generator of the simulated dyad data used by the dyadic/longitudinal tests.

Run from the repository root:  python tests/data/make_dyadic_sim.py
Writes (deterministic; numpy default_rng seeds below):

* ``tests/data/rsa_sim.csv`` -- 420 client-officer dyads (70 officers), one row per dyad:
  ``client`` and ``officer_rating`` (mean of 6 items on 1-5), ``age``, outcomes
  ``stagnations`` (negative binomial count), ``dropout`` (0/1), ``score6`` (continuous),
  ``days``/``rearrest`` (time to re-arrest, censored at 730 days). Every outcome worsens
  with the *discrepancy* (client - officer)^2 beyond the level effect, so the response
  surface has a4 > 0 (a4 < 0 for score6) and a congruence effect.
* ``tests/data/apim_sim_long.csv`` -- 300 dyads x 2 roles (client, professional) x 3
  waves (T0, T6, T9), scores ``bond`` and ``task``: cross-lagged actor and partner
  effects that differ by role, role-specific residual variances, correlated residuals,
  and missing rows (whole persons at a wave and single scores), so some dyads are
  incomplete.
* ``tests/data/tv_cox_sim.csv`` -- 500 subjects (60 officers): ``alliance_T0``,
  ``alliance_T6``, ``alliance_T9`` measured at months 0, 6, 9 (some missing), ``age`` and
  ``days``/``rearrest`` generated from a piecewise-exponential hazard that depends on the
  *current* alliance (time-varying effect) and an officer frailty; censored at 730 days.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
DAYS_PER_MONTH = 30.4375


def _scale_mean(latent: np.ndarray, rng: np.random.Generator, items: int = 6) -> np.ndarray:
    """Mean of `items` 1-5 Likert items driven by a latent value on the 1-5 scale."""
    raw = latent[:, None] + rng.normal(0, 0.7, (latent.size, items))
    return np.clip(np.rint(raw), 1, 5).mean(axis=1)


def rsa(seed: int = 20240611) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n, n_off = 420, 70
    officer = rng.integers(0, n_off, n)
    off_eff = rng.normal(0, 0.35, n_off)
    common = rng.normal(0, 0.55, n)
    client = _scale_mean(3.5 + common + rng.normal(0, 0.45, n), rng)
    offr = _scale_mean(3.4 + 0.8 * common + off_eff[officer] + rng.normal(0, 0.45, n), rng)
    age = np.rint(rng.uniform(18, 60, n))
    X, Y = client - 3, offr - 3
    disc = (X - Y) ** 2
    u_off = rng.normal(0, 0.25, n_off)[officer]
    lp_count = 0.2 - 0.25 * X - 0.10 * Y + 0.55 * disc + 0.005 * (age - 35) + u_off
    mu = np.exp(lp_count)
    theta = 2.5
    stagn = rng.poisson(rng.gamma(theta, mu / theta))
    lp_drop = -1.3 - 0.45 * X - 0.15 * Y + 0.8 * disc + u_off
    dropout = (rng.random(n) < 1 / (1 + np.exp(-lp_drop))).astype(int)
    score6 = np.round(3.2 + 0.5 * X + 0.2 * Y - 0.35 * disc + 0.15 * X * X + rng.normal(0, 0.6, n) + u_off, 3)
    lp_t = -0.35 * X - 0.1 * Y + 0.5 * disc + 0.01 * (age - 35) + u_off
    t = rng.exponential(900 / np.exp(lp_t))
    days = np.minimum(np.ceil(t), 730)
    rearrest = (t <= 730).astype(int)
    d = pd.DataFrame(
        {
            "dyad": [f"D{i:04d}" for i in range(1, n + 1)],
            "officer": [f"PO{o:03d}" for o in officer],
            "client": np.round(client, 4),
            "officer_rating": np.round(offr, 4),
            "age": age.astype(int),
            "stagnations": stagn,
            "dropout": dropout,
            "score6": score6,
            "days": days.astype(int),
            "rearrest": rearrest,
        }
    )
    # a few missing values (listwise deletion must be the same in R and here)
    d.loc[rng.choice(n, 6, replace=False), "officer_rating"] = np.nan
    d.loc[rng.choice(n, 4, replace=False), "age"] = np.nan
    d["age"] = d["age"].astype("Int64")
    return d


def apim_long(seed: int = 20240612) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 300
    officer = rng.integers(0, 45, n)
    rows = []
    for score, shift in (("bond", 0.0), ("task", -0.2)):
        c = 3.6 + shift + rng.normal(0, 0.6, n)
        p = 3.4 + shift + 0.35 * (c - 3.6) + rng.normal(0, 0.45, n)
        vals = {("client", "T0"): c, ("professional", "T0"): p}
        for w0, w1 in (("T0", "T6"), ("T6", "T9")):
            c0, p0 = vals[("client", w0)], vals[("professional", w0)]
            # role-specific residual SDs (client 0.55, professional 0.35), correlation 0.4
            e = rng.multivariate_normal([0, 0], [[0.55**2, 0.4 * 0.55 * 0.35], [0.4 * 0.55 * 0.35, 0.35**2]], n)
            vals[("client", w1)] = 1.0 + 0.55 * c0 + 0.25 * p0 + e[:, 0]
            vals[("professional", w1)] = 1.4 + 0.60 * p0 + 0.08 * c0 + e[:, 1]
        for (role, w), v in vals.items():
            rows.append(
                pd.DataFrame(
                    {
                        "dyad": np.arange(1, n + 1),
                        "officer": officer,
                        "role": role,
                        "wave": w,
                        "score": score,
                        "value": np.round(v, 4),
                    }
                )
            )
    long = pd.concat(rows, ignore_index=True)
    wide = long.pivot_table(index=["dyad", "officer", "role", "wave"], columns="score", values="value").reset_index()
    wide.columns.name = None
    # missingness: whole person-waves (more often the client at later waves) and single scores
    drop_p = np.where(wide["wave"] == "T0", 0.03, 0.12) * np.where(wide["role"] == "client", 1.5, 0.7)
    wide = wide[rng.random(len(wide)) >= drop_p].copy()
    wide.loc[rng.random(len(wide)) < 0.03, "task"] = np.nan
    wide["dyad"] = [f"D{i:04d}" for i in wide["dyad"]]
    wide["officer"] = [f"PO{o:03d}" for o in wide["officer"]]
    return wide.sort_values(["dyad", "wave", "role"]).reset_index(drop=True)[
        ["dyad", "officer", "role", "wave", "bond", "task"]
    ]


def tv_cox(seed: int = 20240613) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n, n_off = 500, 60
    officer = rng.integers(0, n_off, n)
    frail = rng.normal(0, 0.3, n_off)[officer]
    a0 = np.clip(3.4 + rng.normal(0, 0.6, n), 1, 5)
    a6 = np.clip(a0 + rng.normal(-0.1, 0.45, n), 1, 5)
    a9 = np.clip(a6 + rng.normal(0.0, 0.35, n), 1, 5)
    age = np.rint(rng.uniform(18, 60, n))
    cuts = np.array([0, 6, 9]) * DAYS_PER_MONTH
    base = 1 / 800
    # piecewise-exponential: hazard in [cut_k, cut_k+1) uses the alliance measured at wave k
    lin = np.column_stack([a0, a6, a9]) - 3.4
    haz = base * np.exp(-0.6 * lin + 0.015 * (age[:, None] - 35) + frail[:, None])
    t = np.full(n, np.inf)
    alive = np.ones(n, dtype=bool)
    ends = np.r_[cuts[1:], np.inf]
    for k in range(3):
        draw = cuts[k] + rng.exponential(1 / haz[:, k])
        hit = alive & (draw < ends[k])
        t[hit] = draw[hit]
        alive &= ~hit
    days = np.minimum(np.ceil(t), 730)
    rearrest = (t <= 730).astype(int)
    d = pd.DataFrame(
        {
            "id": [f"S{i:04d}" for i in range(1, n + 1)],
            "officer": [f"PO{o:03d}" for o in officer],
            "age": age.astype(int),
            "alliance_T0": np.round(a0, 3),
            "alliance_T6": np.round(a6, 3),
            "alliance_T9": np.round(a9, 3),
            "days": days.astype(int),
            "rearrest": rearrest,
        }
    )
    d.loc[rng.random(n) < 0.08, "alliance_T6"] = np.nan
    d.loc[rng.random(n) < 0.10, "alliance_T9"] = np.nan
    return d


def main() -> None:
    rsa().to_csv(HERE / "rsa_sim.csv", index=False)
    apim_long().to_csv(HERE / "apim_sim_long.csv", index=False)
    tv_cox().to_csv(HERE / "tv_cox_sim.csv", index=False)


if __name__ == "__main__":
    main()
