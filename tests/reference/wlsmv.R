# Reference values for wamkit.stats.wlsmv (oracle: lavaan::cfa(..., ordered=TRUE), estimator WLSMV,
# and semTools::compRelSEM for categorical omega).
# Run from the repository root:  Rscript tests/reference/wlsmv.R
# Writes tests/reference/wlsmv.json.
suppressPackageStartupMessages({library(lavaan); library(semTools); library(jsonlite)})

d <- read.csv("tests/data/bfi.csv")
d$A1 <- 7 - d$A1
d$C4 <- 7 - d$C4
d$C5 <- 7 - d$C5

fm_names <- c("npar", "fmin", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled",
              "chisq.scaling.factor", "baseline.chisq", "baseline.df", "baseline.pvalue",
              "baseline.chisq.scaled", "baseline.df.scaled", "baseline.pvalue.scaled",
              "baseline.chisq.scaling.factor", "cfi", "tli", "cfi.scaled", "tli.scaled",
              "cfi.robust", "tli.robust", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue",
              "rmsea.scaled", "rmsea.ci.lower.scaled", "rmsea.ci.upper.scaled", "rmsea.pvalue.scaled",
              "rmsea.robust", "rmsea.ci.lower.robust", "rmsea.ci.upper.robust", "rmsea.pvalue.robust",
              "srmr", "srmr_bentler", "crmr", "wrmr", "ntotal")

na2null <- function(x) { x <- as.list(x); lapply(x, function(v) if (is.na(v)) NULL else unname(v)) }

run <- function(model, vars, std.lv, data = d, keep.gamma = TRUE) {
  t0 <- proc.time()[["elapsed"]]
  fit <- cfa(model, data = data[, vars], ordered = TRUE, std.lv = std.lv)
  secs <- proc.time()[["elapsed"]] - t0
  fm <- fitMeasures(fit, fm_names)
  tst <- lavInspect(fit, "test")
  ss <- tst$scaled.shifted
  bfit <- lavaan:::lav_object_independence(fit)
  btst <- lavInspect(bfit, "test")$scaled.shifted
  pe <- parameterEstimates(fit, standardized = TRUE)
  lo <- pe[pe$op == "=~", ]
  th <- pe[pe$op == "|", ]
  fc <- pe[pe$op == "~~" & pe$lhs != pe$rhs & pe$lhs %in% lavNames(fit, "lv"), ]
  fv <- pe[pe$op == "~~" & pe$lhs == pe$rhs & pe$lhs %in% lavNames(fit, "lv"), ]
  rv <- pe[pe$op == "~~" & pe$lhs == pe$rhs & pe$lhs %in% lavNames(fit, "ov"), ]
  ss_ <- lavInspect(fit, "sampstat")
  imp <- lavInspect(fit, "implied")
  om <- compRelSEM(fit)
  catml <- lavaan:::lav_fit_catml_dwls(fit)
  list(
    model = model, items = vars, std_lv = std.lv, nobs = lavInspect(fit, "nobs"),
    seconds = secs,
    fit = na2null(fm),
    scaled_shifted = list(stat = ss$stat, df = ss$df, pvalue = ss$pvalue,
                          scaling_factor = ss$scaling.factor, shift = ss$shift.parameter,
                          trace_UGamma = ss$trace.UGamma, trace_UGamma2 = ss$trace.UGamma2),
    baseline_scaled_shifted = list(stat = btst$stat, df = btst$df, scaling_factor = btst$scaling.factor,
                                   shift = btst$shift.parameter),
    loadings = list(lhs = lo$lhs, rhs = lo$rhs, est = lo$est, se = lo$se, std_all = lo$std.all),
    thresholds = list(lhs = th$lhs, rhs = th$rhs, est = th$est, se = th$se),
    factor_cov = list(lhs = fc$lhs, rhs = fc$rhs, est = fc$est, se = fc$se, std_all = fc$std.all),
    factor_var = list(lhs = fv$lhs, est = fv$est, se = fv$se),
    residual_var = list(lhs = rv$lhs, est = rv$est),
    sample_cor = unname(unclass(ss_$cov)), sample_th = unname(as.numeric(ss_$th)),
    implied_cor = unname(unclass(imp$cov)),
    gamma = if (keep.gamma) unname(unclass(lavInspect(fit, "gamma"))) else NULL,
    catml = list(XX3 = catml$XX3, c_hat3 = catml$c.hat3, XX3_null = catml$XX3.null,
                 c_hat3_null = catml$c.hat3.null),
    omega = as.list(om)
  )
}

A <- c("A1", "A2", "A3", "A4", "A5")
C <- c("C1", "C2", "C3", "C4", "C5")
m1 <- "agree =~ A1 + A2 + A3 + A4 + A5"
m2 <- "agree =~ A1 + A2 + A3 + A4 + A5\nconsc =~ C1 + C2 + C3 + C4 + C5"

# unequal numbers of categories: A1 collapsed to 1..4, A2 to 3..6
dc <- d
dc$A1 <- pmin(dc$A1, 4)
dc$A2 <- pmax(dc$A2, 3)
# binary items: A1..A5 dichotomised at >= 4
db <- d
for (v in A) db[[v]] <- as.integer(db[[v]] >= 4)
m3 <- "agree =~ A1 + A2 + A3 + A4 + A5 + C1\nconsc =~ C1 + C2 + C3 + C4 + C5"
# all 25 items, five factors (standard keys: -A1 -C4 -C5 -E1 -E2 -O2 -O5); gamma not stored (425 x 425)
d5 <- d
for (v in c("E1", "E2", "O2", "O5")) d5[[v]] <- 7 - d5[[v]]
items25 <- c(A, C, paste0("E", 1:5), paste0("N", 1:5), paste0("O", 1:5))
m5 <- paste("agree =~ A1 + A2 + A3 + A4 + A5", "consc =~ C1 + C2 + C3 + C4 + C5",
            "extra =~ E1 + E2 + E3 + E4 + E5", "neuro =~ N1 + N2 + N3 + N4 + N5",
            "open =~ O1 + O2 + O3 + O4 + O5", sep = "\n")

out <- list(
  meta = list(
    R = R.version.string, lavaan = as.character(packageVersion("lavaan")),
    semTools = as.character(packageVersion("semTools")), jsonlite = as.character(packageVersion("jsonlite")),
    data = "tests/data/bfi.csv; A1, C4, C5 reversed as 7 - x",
    calls = list(
      fit = "lavaan::cfa(model, data = d[, items], ordered = TRUE, std.lv = S)  (WLSMV, delta, listwise)",
      fit_measures = "lavaan::fitMeasures(fit, ...)",
      tests = "lavInspect(fit, 'test')$scaled.shifted; baseline: lavInspect(lav_object_independence(fit), 'test')",
      estimates = "parameterEstimates(fit, standardized = TRUE)",
      gamma = "lavInspect(fit, 'gamma')  (NACOV, order: thresholds then lower-triangle correlations by column); null where it repeats another case's data",
      omega = "semTools::compRelSEM(fit)  (ord.scale = TRUE: Green & Yang 2009 categorical omega)",
      catml = "lavaan:::lav_fit_catml_dwls(fit)  (inputs of cfi.robust / tli.robust / rmsea.robust)",
      collapsed = "agreeableness with A1 <- pmin(A1, 4) and A2 <- pmax(A2, 3): unequal numbers of categories",
      binary = "agreeableness with every item dichotomised as as.integer(x >= 4)",
      cross_loading = "two factors with C1 also loading on agree (marker parameterisation)",
      just_identified = "agree =~ A2 + A3 + A4 (df = 0: lavaan reports the standard test, scaling NA)",
      big_five = "25 items, 5 correlated factors, std.lv = TRUE; E1, E2, O2, O5 also reversed; gamma omitted"
    )
  ),
  agree = run(m1, A, TRUE),
  agree_marker = run(m1, A, FALSE, keep.gamma = FALSE),
  two_factor = run(m2, c(A, C), TRUE),
  two_factor_marker = run(m2, c(A, C), FALSE, keep.gamma = FALSE),
  collapsed = run(m1, A, TRUE, data = dc),
  binary = run(m1, A, TRUE, data = db),
  cross_loading = run(m3, c(A, C), FALSE, keep.gamma = FALSE),
  just_identified = run("agree =~ A2 + A3 + A4", c("A2", "A3", "A4"), TRUE),
  big_five = run(m5, items25, TRUE, data = d5, keep.gamma = FALSE)
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, null = "null"), "tests/reference/wlsmv.json")
