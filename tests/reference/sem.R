# Reference values for wamkit.stats.sem (fit_sem): lavaan 0.6-14 sem()/cfa(), ML, se = "standard".
# Run from the repository root:  Rscript tests/reference/sem.R
# Writes tests/reference/sem.json and tests/data/political_democracy.csv.  R is the oracle only.
suppressPackageStartupMessages({ library(lavaan); library(jsonlite) })

here <- "tests"
write.csv(PoliticalDemocracy, file.path(here, "data", "political_democracy.csv"), row.names = FALSE)
pd <- read.csv(file.path(here, "data", "political_democracy.csv"))
hs <- read.csv(file.path(here, "data", "hs1939.csv"), stringsAsFactors = FALSE)
bfi <- read.csv(file.path(here, "data", "bfi.csv"), stringsAsFactors = FALSE)

fm_names <- c("npar", "fmin", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df", "baseline.pvalue",
              "cfi", "tli", "nnfi", "rfi", "nfi", "pnfi", "ifi", "rni", "logl", "unrestricted.logl", "aic", "bic",
              "ntotal", "bic2", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue",
              "rmsea.notclose.pvalue", "rmr", "rmr_nomean", "srmr", "srmr_bentler", "srmr_bentler_nomean",
              "crmr", "crmr_nomean", "cn_05", "cn_01", "gfi", "agfi", "pgfi", "mfi", "ecvi")

record <- function(fit, extra = list()) {
  fm <- fitMeasures(fit, fm_names)
  pe <- parameterEstimates(fit, standardized = TRUE)
  pe <- pe[pe$op != "==", ]
  if (!"group" %in% names(pe)) pe$group <- 1L
  if (!"label" %in% names(pe)) pe$label <- ""
  keep <- c("lhs", "op", "rhs", "group", "label", "est", "se", "z", "pvalue", "ci.lower", "ci.upper",
            "std.lv", "std.all")
  c(list(fit = as.list(setNames(as.numeric(fm), names(fm))), params = pe[, keep],
         iterations = lavInspect(fit, "iterations"), converged = lavInspect(fit, "converged")), extra)
}

out <- list(versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan")),
                            jsonlite = as.character(packageVersion("jsonlite"))))

# ---- 1. PoliticalDemocracy, the lavaan tutorial model ------------------------------------------
pd_model <- "
  # measurement model
    ind60 =~ x1 + x2 + x3
    dem60 =~ y1 + y2 + y3 + y4
    dem65 =~ y5 + y6 + y7 + y8
  # regressions
    dem60 ~ ind60
    dem65 ~ ind60 + dem60
  # residual correlations
    y1 ~~ y5
    y2 ~~ y4 + y6
    y3 ~~ y7
    y4 ~~ y8
    y6 ~~ y8
"
fit_pd <- sem(pd_model, data = pd)
mi <- modindices(fit_pd, sort. = TRUE)
out$poldem <- c(list(model = pd_model), record(fit_pd),
                list(modindices = data.frame(lhs = mi$lhs, op = mi$op, rhs = mi$rhs, mi = mi$mi, epc = mi$epc,
                                             sepc_all = mi$sepc.all, stringsAsFactors = FALSE)))

# equality constraints through labels (the tutorial's "equal loadings over time" variant)
pd_labels <- "
    ind60 =~ x1 + x2 + x3
    dem60 =~ y1 + a*y2 + b*y3 + c*y4
    dem65 =~ y5 + a*y6 + b*y7 + c*y8
    dem60 ~ ind60
    dem65 ~ ind60 + dem60
    y1 ~~ y5
    y2 ~~ y4 + y6
    y3 ~~ y7
    y4 ~~ y8
    y6 ~~ y8
"
out$poldem_labels <- c(list(model = pd_labels), record(sem(pd_labels, data = pd)))

# NA* frees a marker, the latent variance fixed instead; plus an explicit == constraint and a fixed value
pd_na <- "
    ind60 =~ NA*x1 + x2 + x3
    ind60 ~~ 1*ind60
    dem60 =~ y1 + y2 + l3*y3 + y4
    dem65 =~ y5 + y6 + l7*y7 + 0.5*y8
    dem60 ~ ind60
    dem65 ~ ind60 + dem60
    y1 ~~ y5
    y2 ~~ y4 + y6
    l3 == l7
"
out$poldem_na <- c(list(model = pd_na), record(sem(pd_na, data = pd)))
out$poldem_stdlv <- c(list(model = pd_model), record(sem(pd_model, data = pd, std.lv = TRUE)))

# ---- 2. observed covariates (fixed.x = TRUE) ----------------------------------------------------
hs_x <- "
    visual =~ x1 + x2 + x3
    textual =~ x4 + x5 + x6
    visual ~ ageyr + sex
    textual ~ ageyr
    x6 ~ sex
"
out$hs_fixedx <- c(list(model = hs_x), record(sem(hs_x, data = hs)))
hs_mis <- hs
n <- nrow(hs_mis)
hs_mis$x1[seq(7, n, by = 7)] <- NA
hs_mis$x5[seq(11, n, by = 11)] <- NA
hs_mis$x9[seq(13, n, by = 13)] <- NA
hs_mis$ageyr[seq(50, n, by = 50)] <- NA
fit_xf <- suppressWarnings(sem(hs_x, data = hs_mis, missing = "ml"))
out$hs_fixedx_fiml <- c(list(model = hs_x, holes = list(x1 = 7L, x5 = 11L, x9 = 13L, ageyr = 50L)),
                        record(fit_xf))

# ---- 3. FIML structural model (PoliticalDemocracy with deterministic holes) ------------------------
pd_mis <- pd
pd_mis$y1[seq(5, 75, by = 5)] <- NA
pd_mis$y6[seq(3, 75, by = 7)] <- NA
pd_mis$x2[seq(4, 75, by = 9)] <- NA
out$poldem_fiml <- c(list(model = pd_model, holes = list(y1 = c(5L, 5L), y6 = c(3L, 7L), x2 = c(4L, 9L))),
                     record(sem(pd_model, data = pd_mis, missing = "ml")))

# ---- 4. multiple groups with group-specific modifiers and group.partial ----------------------------
hs_mg <- "
    visual =~ x1 + x2 + x3
    textual =~ x4 + c(l5, l5)*x5 + x6
    speed =~ x7 + x8 + c(0.9, NA)*x9
    x1 ~ c(i1, i1)*1
"
out$hs_multigroup <- c(list(model = hs_mg, group = "school", group_equal = list("loadings", "intercepts"),
                            group_partial = list("visual =~ x2", "x3 ~ 1")),
                       record(cfa(hs_mg, data = hs, group = "school", group.equal = c("loadings", "intercepts"),
                                  group.partial = c("visual=~x2", "x3~1"))))

# ---- 5. ten-item FIML model on bfi (timing and iterations) --------------------------------------
b10 <- bfi[, c(paste0("A", 1:5), paste0("C", 1:5))]
b10 <- b10[rowSums(!is.na(b10)) > 0, ]
b10_model <- "agree =~ A1 + A2 + A3 + A4 + A5\n consc =~ C1 + C2 + C3 + C4 + C5"
t_fiml <- system.time(fit_b10 <- cfa(b10_model, data = bfi, missing = "ml"))[["elapsed"]]
out$bfi10_fiml <- c(list(model = b10_model), record(fit_b10, list(lavaan_seconds = t_fiml)))

# ---- 6. the README example: wam_demo clients at T0, four factors, listwise ------------------------
wam <- read.csv(file.path("examples", "wam_demo.csv"), stringsAsFactors = FALSE, na.strings = c("", "NA"))
witems <- sprintf("wam%02d", 1:19)
for (it in witems) wam[[it]] <- suppressWarnings(as.numeric(wam[[it]]))  # 'n.v.t.' -> NA
for (it in c("wam13", "wam18")) wam[[it]] <- 6 - wam[[it]]
w0 <- wam[wam$rater == "client" & wam$wave == "T0", witems]
wam_model <- paste("trust =~ wam01 + wam05 + wam09 + wam13 + wam17",
                   "goals =~ wam02 + wam06 + wam10 + wam14 + wam18",
                   "bond =~ wam03 + wam07 + wam11 + wam15 + wam19",
                   "reactance =~ wam04 + wam08 + wam12 + wam16", sep = "\n")
out$wam_demo_t0 <- c(list(model = wam_model), record(cfa(wam_model, data = w0)))

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           file.path(here, "reference", "sem.json"))
cat("wrote tests/reference/sem.json\n")
