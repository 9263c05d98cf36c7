# Reference values for wamkit.stats.cfa / wamkit.stats.invariance (lavaan 0.6-14, semTools 0.5-6).
# Run from the repository root:  Rscript tests/reference/cfa.R
# Writes tests/reference/cfa.json (full precision). R is the oracle only, never a runtime dependency.
suppressPackageStartupMessages({
  library(lavaan)
  library(semTools)
  library(jsonlite)
})

here <- "tests"
hs <- read.csv(file.path(here, "data", "hs1939.csv"), stringsAsFactors = FALSE)
bfi <- read.csv(file.path(here, "data", "bfi.csv"), stringsAsFactors = FALSE)

fm_names <- c("npar", "fmin", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df",
              "baseline.pvalue", "cfi", "tli", "nfi", "logl", "unrestricted.logl", "aic", "bic",
              "ntotal", "bic2", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue",
              "srmr", "srmr_bentler", "srmr_bentler_nomean", "gfi")

fitm <- function(fit) {
  v <- fitMeasures(fit, fm_names)
  as.list(setNames(as.numeric(v), names(v)))
}

partable <- function(fit) {
  pe <- parameterEstimates(fit, ci = FALSE)
  keep <- c("lhs", "op", "rhs", "est", "se", "z", "pvalue")
  if ("group" %in% names(pe)) keep <- c(keep, "group")
  pe <- pe[pe$op %in% c("=~", "~~", "~1", "|"), intersect(keep, names(pe))]
  ss_all <- standardizedSolution(fit, type = "std.all")
  ss_lv <- standardizedSolution(fit, type = "std.lv")
  key <- function(d) paste(d$lhs, d$op, d$rhs, if ("group" %in% names(d)) d$group else 1)
  pe$std_all <- ss_all$est.std[match(key(pe), key(ss_all))]
  pe$std_lv <- ss_lv$est.std[match(key(pe), key(ss_lv))]
  pe
}

mi_table <- function(fit) {
  mi <- modindices(fit, sort. = TRUE)
  data.frame(lhs = mi$lhs, op = mi$op, rhs = mi$rhs, mi = mi$mi, epc = mi$epc,
             sepc_all = mi$sepc.all, stringsAsFactors = FALSE)
}

out <- list()
out$versions <- list(
  R = R.version.string,
  lavaan = as.character(packageVersion("lavaan")),
  semTools = as.character(packageVersion("semTools")),
  jsonlite = as.character(packageVersion("jsonlite"))
)

# ---- 1. Holzinger-Swineford 3-factor model -------------------------------------------------
hs_model <- "visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9"
fit <- cfa(hs_model, data = hs)
out$hs <- list(
  model = hs_model,
  fit = fitm(fit),
  params = partable(fit),
  omega = as.list(compRelSEM(fit)),
  modindices = mi_table(fit),
  implied_cov = unname(fitted(fit)$cov),
  sample_cov = unname(lavInspect(fit, "sampstat")$cov)
)
fit_lv <- cfa(hs_model, data = hs, std.lv = TRUE)
out$hs_stdlv <- list(fit = fitm(fit_lv), params = partable(fit_lv))

# cross-loading model (x9 also on visual)
hs_cross <- "visual =~ x1 + x2 + x3 + x9\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9"
fit_c <- cfa(hs_cross, data = hs)
out$hs_cross <- list(model = hs_cross, fit = fitm(fit_c), params = partable(fit_c),
                     omega = as.list(compRelSEM(fit_c)))

# ---- 2. bfi agreeableness, one factor, A1 reversed, listwise, std.lv -------------------------
agree <- bfi[, c("A1", "A2", "A3", "A4", "A5")]
agree$A1 <- 7 - agree$A1
fit_a <- cfa("agree =~ A1 + A2 + A3 + A4 + A5", data = agree, std.lv = TRUE)
out$bfi_agree <- list(model = "agree =~ A1 + A2 + A3 + A4 + A5", fit = fitm(fit_a),
                      params = partable(fit_a), omega = as.list(compRelSEM(fit_a)),
                      modindices = mi_table(fit_a))

# ---- 3. FIML: HS with deterministic holes ------------------------------------------------
# 1-based rows: x1 missing in every 7th row, x5 missing in every 11th row, x9 in every 13th
hs_mis <- hs
n <- nrow(hs_mis)
hs_mis$x1[seq(7, n, by = 7)] <- NA
hs_mis$x5[seq(11, n, by = 11)] <- NA
hs_mis$x9[seq(13, n, by = 13)] <- NA
fit_f <- cfa(hs_model, data = hs_mis, missing = "ml")
fm_f <- fitMeasures(fit_f, c("npar", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df",
                            "cfi", "tli", "logl", "unrestricted.logl", "aic", "bic", "bic2",
                            "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue", "srmr"))
out$hs_fiml <- list(
  holes = list(x1 = 7L, x5 = 11L, x9 = 13L),
  information = lavInspect(fit_f, "options")$information,
  fit = as.list(setNames(as.numeric(fm_f), names(fm_f))),
  params = partable(fit_f),
  omega = as.list(compRelSEM(fit_f)),
  h1_mean = unname(as.numeric(lavInspect(fit_f, "sampstat")$mean)),
  h1_cov = unname(lavInspect(fit_f, "sampstat")$cov)
)

# ---- 4. measurement invariance by school -------------------------------------------------
inv <- list()
fits <- list(
  configural = cfa(hs_model, data = hs, group = "school"),
  metric = cfa(hs_model, data = hs, group = "school", group.equal = "loadings"),
  scalar = cfa(hs_model, data = hs, group = "school", group.equal = c("loadings", "intercepts")),
  strict = cfa(hs_model, data = hs, group = "school",
               group.equal = c("loadings", "intercepts", "residuals"))
)
for (nm in names(fits)) {
  inv[[nm]] <- list(fit = fitm(fits[[nm]]), params = partable(fits[[nm]]))
}
lrt <- function(a, b) {
  t <- lavTestLRT(fits[[a]], fits[[b]])
  list(base = a, model = b, chisq_diff = t[["Chisq diff"]][2], df_diff = t[["Df diff"]][2],
       pvalue = t[["Pr(>Chisq)"]][2])
}
out$invariance <- list(
  model = hs_model, group = "school",
  group_labels = lavInspect(fits$configural, "group.label"),
  fits = inv,
  lrt = list(lrt("configural", "metric"), lrt("metric", "scalar"), lrt("scalar", "strict"))
)

# metric model with std.lv = TRUE (factor variances fixed to 1 in group 1 only) and a
# multi-group FIML metric model on the data with holes
fit_mlv <- cfa(hs_model, data = hs, group = "school", group.equal = "loadings", std.lv = TRUE)
fit_mfiml <- cfa(hs_model, data = hs_mis, group = "school", group.equal = "loadings", missing = "ml")
out$invariance_extra <- list(
  metric_stdlv = list(fit = fitm(fit_mlv), params = partable(fit_mlv)),
  metric_fiml = list(fit = as.list(setNames(as.numeric(fitMeasures(fit_mfiml, names(fm_f))), names(fm_f))),
                     params = partable(fit_mfiml))
)

# ---- 5. invariance sequence on a larger model (bfi, 3 factors x 5 items, by gender) -------
b3 <- bfi[, c(paste0("A", 1:5), paste0("C", 1:5), paste0("N", 1:5), "gender")]
b3 <- b3[complete.cases(b3), ]
b3_model <- "agree =~ A2 + A1 + A3 + A4 + A5\n consc =~ C1 + C2 + C3 + C4 + C5\n neuro =~ N1 + N2 + N3 + N4 + N5"
f3 <- list(
  configural = cfa(b3_model, data = b3, group = "gender"),
  metric = cfa(b3_model, data = b3, group = "gender", group.equal = "loadings"),
  scalar = cfa(b3_model, data = b3, group = "gender", group.equal = c("loadings", "intercepts"))
)
out$bfi_inv <- list(
  model = b3_model, group = "gender",
  group_labels = lavInspect(f3$configural, "group.label"),
  fits = lapply(f3, function(f) list(fit = fitm(f))),
  lrt = list(
    { t <- lavTestLRT(f3$configural, f3$metric); list(chisq_diff = t[["Chisq diff"]][2], df_diff = t[["Df diff"]][2], pvalue = t[["Pr(>Chisq)"]][2]) },
    { t <- lavTestLRT(f3$metric, f3$scalar); list(chisq_diff = t[["Chisq diff"]][2], df_diff = t[["Df diff"]][2], pvalue = t[["Pr(>Chisq)"]][2]) }
  )
)

# (the ordinal WLSMV references live in tests/reference/wlsmv.R)

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           file.path(here, "reference", "cfa.json"))
cat("wrote tests/reference/cfa.json\n")
