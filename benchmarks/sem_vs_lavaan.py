"""Time wamkit's SEM engine against lavaan on the same models in one run (FIML and listwise).

    .venv/bin/python benchmarks/sem_vs_lavaan.py [--repeats 3]

Workloads (each warmed up once, then timed ``repeats`` times; median wall time; iterations as
``lavInspect(fit, "iterations")`` and ``SEMResult.iterations``):

* ``bfi10-fiml``: two factors x five items of psych's bfi (2800 rows, item missingness), FIML;
* ``wam-t0``: the README example (wam_demo clients at T0, 4 factors, 19 items), listwise;
* ``wam-waves-fiml``: the wam_demo clients T0/T1 configural longitudinal model (38 columns,
  8 factors, lag covariances; attrition), FIML.

Both sides run with one BLAS thread (as the ``wamkit`` command does).  Needs ``Rscript`` with lavaan.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

B10 = "agree =~ A1 + A2 + A3 + A4 + A5\n consc =~ C1 + C2 + C3 + C4 + C5"
WAM = (
    "trust =~ wam01 + wam05 + wam09 + wam13 + wam17\ngoals =~ wam02 + wam06 + wam10 + wam14 + wam18\n"
    "bond =~ wam03 + wam07 + wam11 + wam15 + wam19\nreactance =~ wam04 + wam08 + wam12 + wam16"
)
ITEMS = [f"wam{i:02d}" for i in range(1, 20)]
FAC = {
    "trust": ["wam01", "wam05", "wam09", "wam13", "wam17"],
    "goals": ["wam02", "wam06", "wam10", "wam14", "wam18"],
    "bond": ["wam03", "wam07", "wam11", "wam15", "wam19"],
    "fourth": ["wam04", "wam08", "wam12", "wam16"],
}


def wam_frames() -> tuple[pd.DataFrame, pd.DataFrame, str]:
    from wamkit.stats.sem.invariance import longitudinal_syntax, widen

    wam = pd.read_csv(ROOT / "examples" / "wam_demo.csv", dtype=str)
    for c in ITEMS:
        wam[c] = pd.to_numeric(wam[c], errors="coerce")
    for c in ("wam13", "wam18"):
        wam[c] = 6 - wam[c]
    t0 = wam[(wam.rater == "client") & (wam.wave == "T0")][ITEMS]
    wide, cols = widen(wam[wam.rater == "client"], id="dyad", by="wave", items=ITEMS)
    return t0, wide, longitudinal_syntax(FAC, ["T0", "T1"], "configural", columns=cols)


R_SCRIPT = r"""
suppressPackageStartupMessages(library(lavaan))
args <- commandArgs(TRUE); rep <- as.integer(args[1]); dir <- args[2]
cases <- jsonlite::fromJSON(file.path(dir, "cases.json"))
out <- list()
for (nm in names(cases)) {
  cs <- cases[[nm]]
  d <- read.csv(file.path(dir, paste0(nm, ".csv")))
  f <- function() cfa(cs$model, data = d, missing = cs$missing)
  fit <- f()
  ts <- sapply(seq_len(rep), function(i) system.time(fit <- f())[["elapsed"]])
  out[[nm]] <- list(seconds = median(ts), iterations = lavInspect(fit, "iterations"),
                    chisq = fitMeasures(fit, "chisq")[[1]])
}
cat(jsonlite::toJSON(out, auto_unbox = TRUE, digits = NA))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from wamkit.stats.sem import fit_sem

    bfi = pd.read_csv(ROOT / "tests" / "data" / "bfi.csv")
    t0, wide, long_model = wam_frames()
    cases = {
        "bfi10-fiml": (bfi[[*[f"A{i}" for i in range(1, 6)], *[f"C{i}" for i in range(1, 6)]]], B10, "fiml"),
        "wam-t0": (t0, WAM, "listwise"),
        "wam-waves-fiml": (wide.drop(columns="dyad"), long_model, "fiml"),
    }
    rows = {}
    for name, (d, model, missing) in cases.items():
        fit_sem(d, model, missing=missing)
        ts = []
        for _ in range(a.repeats):
            t = time.perf_counter()
            res = fit_sem(d, model, missing=missing)
            ts.append(time.perf_counter() - t)
        rows[name] = {
            "wamkit_seconds": statistics.median(ts),
            "wamkit_iterations": res.iterations,
            "wamkit_chisq": res.fit.chisq,
            "converged": res.converged,
        }
    with tempfile.TemporaryDirectory() as tmp:
        meta = {}
        for name, (d, model, missing) in cases.items():
            d.to_csv(Path(tmp) / f"{name}.csv", index=False)
            meta[name] = {"model": model, "missing": "ml" if missing == "fiml" else "listwise"}
        (Path(tmp) / "cases.json").write_text(json.dumps(meta))
        (Path(tmp) / "bench.R").write_text(R_SCRIPT)
        r = subprocess.run(
            ["Rscript", str(Path(tmp) / "bench.R"), str(a.repeats), tmp],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
        )
        rres = json.loads(r.stdout)
    print(
        f"{'model':16} {'wamkit s':>9} {'lavaan s':>9} {'wamkit it':>9} {'lavaan it':>9} {'chisq wamkit':>14} "
        f"{'chisq lavaan':>14}"
    )
    for name, row in rows.items():
        rr = rres[name]
        print(
            f"{name:16} {row['wamkit_seconds']:9.3f} {rr['seconds']:9.3f} {row['wamkit_iterations']:9d} "
            f"{rr['iterations']:9d} {row['wamkit_chisq']:14.6f} {rr['chisq']:14.6f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
