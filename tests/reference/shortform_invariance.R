# Reference values for wamkit.shortform.invariance: invariance of the short form of wam-demo-client
# over the waves (clients T0/T1, wide by dyad) and across the roles (client/professional at T0), fitted
# with semTools::measEq.syntax(..., longFacNames, long.equal, return.fit = TRUE) and lavaan (ML, listwise),
# as tests/reference/invariance_long.R does for the full form. The item sets are those
# `wamkit.shorten(read(study = "examples/study.yaml"), role = "client", items_per_scale = 3, folds = 2)`
# keeps (the test checks that it still keeps them).
# Run from the repository root:  Rscript tests/reference/shortform_invariance.R
suppressPackageStartupMessages({ library(lavaan); library(semTools); library(jsonlite) })

fm_names <- c("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "ntotal")
fitm <- function(fit) { v <- fitMeasures(fit, fm_names); as.list(setNames(as.numeric(v), names(v))) }
lrt <- function(a, b) {
  t <- lavTestLRT(a, b)
  list(chisq_diff = t[["Chisq diff"]][2], df_diff = t[["Df diff"]][2], pvalue = t[["Pr(>Chisq)"]][2])
}
long_levels <- list(configural = character(0), metric = "loadings", scalar = c("loadings", "intercepts"),
                    strict = c("loadings", "intercepts", "residuals"))
config_of <- function(fac_items, occ) {
  paste(unlist(lapply(names(fac_items), function(f) sapply(occ, function(t)
    paste0(f, ".", t, " =~ ", paste0(fac_items[[f]], "_", t, collapse = " + "))))), collapse = "\n")
}
facnames_of <- function(fac_items, occ) setNames(lapply(names(fac_items), function(f) paste0(f, ".", occ)), names(fac_items))
sequence_ref <- function(fac_items, data, occ) {
  fits <- lapply(names(long_levels), function(lv)
    measEq.syntax(configural.model = config_of(fac_items, occ), data = data, longFacNames = facnames_of(fac_items, occ),
                  long.equal = long_levels[[lv]], return.fit = TRUE))
  names(fits) <- names(long_levels)
  list(fits = lapply(fits, fitm),
       lrt = list(metric = lrt(fits$configural, fits$metric), scalar = lrt(fits$metric, fits$scalar),
                  strict = lrt(fits$scalar, fits$strict)))
}

wam <- read.csv(file.path("examples", "wam_demo.csv"), stringsAsFactors = FALSE, na.strings = c("", "NA"))
items <- sprintf("wam%02d", 1:19)
for (it in items) wam[[it]] <- suppressWarnings(as.numeric(wam[[it]]))  # 'n.v.t.' (not applicable) -> NA
for (it in c("wam13", "wam18")) wam[[it]] <- 6 - wam[[it]]  # reverse-keyed on the 1-5 scale
short <- list(trust = c("wam01", "wam05", "wam09"), goals = c("wam02", "wam06", "wam10"),
              bond = c("wam03", "wam07", "wam11"), reactance = c("wam04", "wam08", "wam12"))
widen <- function(d, by, keep) {
  parts <- lapply(keep, function(v) { x <- d[d[[by]] == v, c("dyad", items)]
                                      names(x)[-1] <- paste0(items, "_", v); x })
  Reduce(function(a, b) merge(a, b, by = "dyad", all = TRUE), parts)
}
out <- list(versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan")),
                            semTools = as.character(packageVersion("semTools"))),
            kept = short)
wide_t <- widen(wam[wam$rater == "client", ], "wave", c("T0", "T1"))
out$waves <- sequence_ref(short, wide_t, c("T0", "T1"))
wide_r <- widen(wam[wam$wave == "T0", ], "rater", c("client", "professional"))
out$roles <- sequence_ref(short, wide_r, c("client", "professional"))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path("tests", "reference", "shortform_invariance.json"))
