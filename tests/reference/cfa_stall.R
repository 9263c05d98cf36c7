# Reference for the CFA convergence regression test (tests/stats/test_cfa_stall.py): lavaan on a data set where
# wamkit's optimiser used to stop only after 1000 iterations (its gradient's rounding floor, ~1e-9, lies above
# the 1e-10 tolerance).  tests/data/cfa_stall.csv: 212 rows of simulated WAM-demo client answers (keyed), the
# training rows of fold 5 in wamkit shorten's cross-validation of simulate_demo(n_dyads = 400, seed = 1).
# Run from the repository root:  Rscript tests/reference/cfa_stall.R
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
d <- read.csv("tests/data/cfa_stall.csv")
m <- "trust =~ wam01 + wam05 + wam09 + wam13 + wam17; goals =~ wam02 + wam06 + wam10 + wam14 + wam18
      bond =~ wam03 + wam07 + wam11 + wam15 + wam19; reactance =~ wam04 + wam08 + wam12 + wam16"
f <- cfa(m, d)
pe <- parameterEstimates(f)
out <- list(
  meta = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan")),
              call = "cfa(model, data)  # ML, listwise"),
  model = gsub("\n +", "; ", m),
  converged = lavInspect(f, "converged"),
  fit = as.list(fitMeasures(f, c("chisq", "df", "cfi", "tli", "rmsea", "srmr"))),
  est = pe$est, lhs = pe$lhs, op = pe$op, rhs = pe$rhs
)
write_json(out, "tests/reference/cfa_stall.json", digits = NA, auto_unbox = TRUE, pretty = FALSE)
cat("wrote tests/reference/cfa_stall.json\n")
