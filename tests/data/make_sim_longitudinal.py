"""Seeded generator of tests/data/sim_longitudinal.csv: three waves, three factors, twelve items.

Run from the repository root:  python tests/data/make_sim_longitudinal.py

One row per person (N = 500), columns ``y01_t1 .. y12_t3``.  Factor A loads on y01-y04,
B on y05-y08, C on y09-y12.  Latent variables: within-wave factor correlations .40,
the same factor .60 one wave apart and .45 two waves apart, other cross-wave pairs .25;
latent means rise by .20 per wave, variances 1.0, 1.2, 1.3.  Unique factors of the same
item correlate .25 across waves.  Built-in non-invariance: the intercept of y03 is .50
higher at wave 3, and the loading of y07 drops from .85 to .45 at wave 2, so metric and
scalar invariance fail for one parameter each (partial invariance finds them).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20240611
N = 500
WAVES = 3
FACTORS = 3
ITEMS_PER = 4


def make() -> pd.DataFrame:
    rng = np.random.default_rng(SEED)
    nlv = FACTORS * WAVES
    R = np.empty((nlv, nlv))
    for a in range(nlv):
        fa, wa = a % FACTORS, a // FACTORS
        for b in range(nlv):
            fb, wb = b % FACTORS, b // FACTORS
            if a == b:
                R[a, b] = 1.0
            elif wa == wb:
                R[a, b] = 0.40
            elif fa == fb:
                R[a, b] = 0.60 if abs(wa - wb) == 1 else 0.45
            else:
                R[a, b] = 0.25
    sd = np.sqrt(np.repeat([1.0, 1.2, 1.3], FACTORS))
    Phi = R * np.outer(sd, sd)
    means = np.repeat([0.0, 0.2, 0.4], FACTORS)
    eta = rng.multivariate_normal(means, Phi, size=N)
    p = FACTORS * ITEMS_PER
    lam = np.array([0.80, 0.70, 0.75, 0.65, 0.70, 0.80, 0.85, 0.60, 0.75, 0.70, 0.80, 0.65])
    nu = np.array([3.0, 3.2, 2.8, 3.1, 2.9, 3.3, 3.0, 2.7, 3.2, 3.0, 2.9, 3.1])
    theta = np.array([0.40, 0.45, 0.35, 0.50, 0.45, 0.40, 0.35, 0.50, 0.40, 0.45, 0.40, 0.50])
    # unique factors: same item correlated .25 across waves
    U = np.empty((N, p, WAVES))
    C = np.full((WAVES, WAVES), 0.25) + 0.75 * np.eye(WAVES)
    for i in range(p):
        U[:, i, :] = rng.multivariate_normal(np.zeros(WAVES), C * theta[i], size=N)
    cols = {}
    for w in range(WAVES):
        lam_w = lam.copy()
        nu_w = nu.copy()
        if w == 1:
            lam_w[6] = 0.45  # y07 loading at wave 2
        if w == 2:
            nu_w[2] += 0.50  # y03 intercept at wave 3
        for i in range(p):
            f = i // ITEMS_PER
            y = nu_w[i] + lam_w[i] * eta[:, w * FACTORS + f] + U[:, i, w]
            cols[f"y{i + 1:02d}_t{w + 1}"] = np.round(y, 6)
    return pd.DataFrame(cols)


if __name__ == "__main__":
    out = Path(__file__).with_name("sim_longitudinal.csv")
    make().to_csv(out, index=False)
    print(f"wrote {out}")
