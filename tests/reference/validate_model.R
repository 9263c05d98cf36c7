# Reference for `wamkit validate -i wam-demo-client --model 'wam02 ~~ wam16'` on the demo clients at T0:
# the instrument's four factors (keyed items) plus the residual covariance the modification indices suggest.
# Run from the repository root: Rscript tests/reference/validate_model.R
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
wam <- read.csv("examples/wam_demo.csv", stringsAsFactors = FALSE, na.strings = c("", "NA"))
items <- sprintf("wam%02d", 1:19)
for (it in items) wam[[it]] <- suppressWarnings(as.numeric(wam[[it]]))   # 'n.v.t.' -> NA
for (it in items) wam[[it]][wam[[it]] %in% c(9, -9)] <- NA               # missing codes
for (it in c("wam13", "wam18")) wam[[it]] <- 6 - wam[[it]]               # reverse-keyed on 1-5
d <- wam[wam$rater == "client" & wam$wave == "T0", items]
model <- "trust =~ wam01 + wam05 + wam09 + wam13 + wam17
goals =~ wam02 + wam06 + wam10 + wam14 + wam18
bond =~ wam03 + wam07 + wam11 + wam15 + wam19
reactance =~ wam04 + wam08 + wam12 + wam16
wam02 ~~ wam16"
fit <- cfa(model, data = d)
pe <- parameterEstimates(fit, standardized = TRUE)
rc <- pe[pe$lhs == "wam02" & pe$op == "~~" & pe$rhs == "wam16", ]
out <- list(
  versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan"))),
  fit = as.list(fitMeasures(fit, c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "npar"))),
  iterations = lavInspect(fit, "iterations"),
  residual_covariance = list(est = rc$est, se = rc$se, z = rc$z, pvalue = rc$pvalue, std_all = rc$std.all))
write_json(out, "tests/reference/validate_model.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
