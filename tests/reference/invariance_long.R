# Reference values for wamkit.stats.sem.invariance and score tests:
#   longitudinal (three-wave simulated set, two-wave wam_demo clients) and dyadic (client/professional)
#   invariance with semTools::measEq.syntax(..., longFacNames, long.equal, return.fit = TRUE) fitted by lavaan;
#   partial invariance: lavTestScore on failing steps and the release order (largest score test first,
#   until LRT p >= .05 against the last accepted level AND Chen (2007) cut-offs hold).
# Run from the repository root:  Rscript tests/reference/invariance_long.R
suppressPackageStartupMessages({ library(lavaan); library(semTools); library(jsonlite) })

here <- "tests"
fm_names <- c("npar", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df", "cfi", "tli", "logl",
              "unrestricted.logl", "aic", "bic", "bic2", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper",
              "rmsea.pvalue", "srmr", "srmr_bentler_nomean", "crmr", "rmr", "gfi", "ntotal")
fitm <- function(fit) { v <- fitMeasures(fit, fm_names); as.list(setNames(as.numeric(v), names(v))) }
lrt <- function(a, b) {
  t <- lavTestLRT(a, b)
  list(chisq_diff = t[["Chisq diff"]][2], df_diff = t[["Df diff"]][2], pvalue = t[["Pr(>Chisq)"]][2])
}
chen <- list(metric = c(-0.010, 0.015, 0.030), scalar = c(-0.010, 0.015, 0.010), strict = c(-0.010, 0.015, 0.010))
holds <- function(base, fit, level, alpha = 0.05) {
  t <- lavTestLRT(base, fit)
  fb <- fitMeasures(base, c("cfi", "rmsea", "srmr")); ff <- fitMeasures(fit, c("cfi", "rmsea", "srmr"))
  cut <- chen[[level]]
  t[["Pr(>Chisq)"]][2] >= alpha && (ff[1] - fb[1]) >= cut[1] && (ff[2] - fb[2]) <= cut[2] && (ff[3] - fb[3]) <= cut[3]
}
# univariate score tests keyed by the parameter-table row of the constraint's right-hand side
score_table <- function(fit) {
  s <- lavTestScore(fit)
  pt <- parTable(fit)
  rows <- match(s$uni$rhs, pt$plabel)
  refs <- match(s$uni$lhs, pt$plabel)
  list(total = list(X2 = s$test$X2, df = s$test$df, pvalue = s$test$p.value),
       uni = data.frame(lhs = pt$lhs[rows], op = pt$op[rows], rhs = pt$rhs[rows], group = pt$group[rows],
                        ref_lhs = pt$lhs[refs], ref_rhs = pt$rhs[refs], ref_group = pt$group[refs],
                        X2 = s$uni$X2, pvalue = s$uni$p.value, stringsAsFactors = FALSE))
}
out <- list(versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan")),
                            semTools = as.character(packageVersion("semTools"))))

long_levels <- list(configural = character(0), metric = "loadings", scalar = c("loadings", "intercepts"),
                    strict = c("loadings", "intercepts", "residuals"))
measeq <- function(config, data, facnames, level, ...) {
  measEq.syntax(configural.model = config, data = data, longFacNames = facnames,
                long.equal = long_levels[[level]], return.fit = TRUE, ...)
}
sequence_ref <- function(config, data, facnames, ...) {
  fits <- lapply(names(long_levels), function(lv) measeq(config, data, facnames, lv, ...))
  names(fits) <- names(long_levels)
  list(fits = lapply(fits, function(f) list(fit = fitm(f), iterations = lavInspect(f, "iterations"))),
       lrt = list(metric = lrt(fits$configural, fits$metric), scalar = lrt(fits$metric, fits$scalar),
                  strict = lrt(fits$scalar, fits$strict)),
       objects = fits)
}

# ---- 1. three waves, three factors, twelve items (tests/data/make_sim_longitudinal.py) -------------
sim <- read.csv(file.path(here, "data", "sim_longitudinal.csv"))
fac_items <- list(A = sprintf("y%02d", 1:4), B = sprintf("y%02d", 5:8), C = sprintf("y%02d", 9:12))
waves <- c("t1", "t2", "t3")
config_of <- function(fac_items, occ, sep = "_") {
  paste(unlist(lapply(names(fac_items), function(f) sapply(occ, function(t)
    paste0(f, ".", t, " =~ ", paste0(fac_items[[f]], sep, t, collapse = " + "))))), collapse = "\n")
}
facnames_of <- function(fac_items, occ) {
  setNames(lapply(names(fac_items), function(f) paste0(f, ".", occ)), names(fac_items))
}
sim_config <- config_of(fac_items, waves)
sim_fac <- facnames_of(fac_items, waves)
seq_sim <- sequence_ref(sim_config, sim, sim_fac)

# partial invariance on the simulated set: release by largest score test, editing the measEq syntax
relabel <- function(syntax, lhs, op, rhs) {
  lines <- strsplit(syntax, "\n")[[1]]
  if (op == "~1") {
    pat <- paste0("^", lhs, " ~ ")
  } else {
    pat <- paste0("^", lhs, " ", op, " ")
  }
  idx <- grep(pat, lines)
  idx <- idx[grepl(paste0("\\*", if (op == "~1") "1" else rhs, "( |$)"), lines[idx])]
  stopifnot(length(idx) == 1)
  lines[idx] <- sub("\\+ ([A-Za-z_.0-9]+)\\*", "+ \\1_released*", lines[idx])
  paste(lines, collapse = "\n")
}
class_op <- list(metric = "=~", scalar = "~1", strict = "~~")
partial_long <- function(config, data, facnames, ...) {
  released <- list()
  steps <- list()
  syn <- function(level) {
    s <- as.character(measEq.syntax(configural.model = config, data = data, longFacNames = facnames,
                                    long.equal = long_levels[[level]]))
    for (r in released) s <- relabel(s, r$lhs, r$op, r$rhs)
    s
  }
  fitlv <- function(level) lavaan(syn(level), data = data, ...)
  accepted <- fitlv("configural")
  for (lv in c("metric", "scalar", "strict")) {
    cur <- fitlv(lv)
    full <- cur
    rel_here <- list()
    first_scores <- NULL
    while (!holds(accepted, cur, lv)) {
      st <- score_table(cur)
      if (is.null(first_scores)) first_scores <- st
      u <- st$uni[st$uni$op == class_op[[lv]] & (lv != "strict" | st$uni$lhs == st$uni$rhs), ]
      best <- u[which.max(u$X2), ]
      rel <- list(level = lv, lhs = best$lhs, op = best$op, rhs = best$rhs, X2 = best$X2, pvalue = best$pvalue)
      rel_here[[length(rel_here) + 1]] <- rel
      released[[length(released) + 1]] <- rel
      cur <- fitlv(lv)
    }
    steps[[lv]] <- list(full = fitm(full), final = fitm(cur), released = rel_here, scores = first_scores,
                        lrt_vs_accepted = lrt(accepted, cur))
    accepted <- cur
  }
  steps
}
out$sim <- list(occasions = waves, structure = fac_items, config = sim_config,
                fits = seq_sim$fits, lrt = seq_sim$lrt,
                scalar_scores = score_table(seq_sim$objects$scalar),
                partial = partial_long(sim_config, sim, sim_fac))

# ---- 2. wam_demo clients, T0 and T1, wide by dyad ------------------------------------------------
wam <- read.csv(file.path("examples", "wam_demo.csv"), stringsAsFactors = FALSE, na.strings = c("", "NA"))
items <- sprintf("wam%02d", 1:19)
for (it in items) wam[[it]] <- suppressWarnings(as.numeric(wam[[it]]))  # 'n.v.t.' (not applicable) -> NA
for (it in c("wam13", "wam18")) wam[[it]] <- 6 - wam[[it]]  # reverse-keyed on the 1-5 scale
wam_fac <- list(trust = c("wam01", "wam05", "wam09", "wam13", "wam17"),
                goals = c("wam02", "wam06", "wam10", "wam14", "wam18"),
                bond = c("wam03", "wam07", "wam11", "wam15", "wam19"),
                fourth = c("wam04", "wam08", "wam12", "wam16"))
widen <- function(d, by, keep) {
  parts <- lapply(keep, function(v) { x <- d[d[[by]] == v, c("dyad", items)]
                                      names(x)[-1] <- paste0(items, "_", v); x })
  Reduce(function(a, b) merge(a, b, by = "dyad", all = TRUE), parts)
}
cl <- wam[wam$rater == "client", ]
cl$key <- cl$wave
wide_t <- widen(cl, "wave", c("T0", "T1"))
t_config <- config_of(wam_fac, c("T0", "T1"))
t_fac <- facnames_of(wam_fac, c("T0", "T1"))
seq_w <- sequence_ref(t_config, wide_t, t_fac)
seq_wf <- sequence_ref(t_config, wide_t, t_fac, missing = "ml")
out$wam_waves <- list(occasions = c("T0", "T1"), structure = wam_fac, n_rows = nrow(wide_t),
                      listwise = list(fits = seq_w$fits, lrt = seq_w$lrt),
                      fiml = list(fits = seq_wf$fits, lrt = seq_wf$lrt))

# ---- 3. dyadic: client and professional at T0, wide by dyad -----------------------------------------
t0 <- wam[wam$wave == "T0", ]
wide_r <- widen(t0, "rater", c("client", "professional"))
r_config <- config_of(wam_fac, c("client", "professional"))
r_fac <- facnames_of(wam_fac, c("client", "professional"))
seq_r <- sequence_ref(r_config, wide_r, r_fac)
out$wam_roles <- list(roles = c("client", "professional"), structure = wam_fac, n_rows = nrow(wide_r),
                      fits = seq_r$fits, lrt = seq_r$lrt, scalar_scores = score_table(seq_r$objects$scalar))

# ---- 4. multi-group partial invariance: HolzingerSwineford1939 by school ----------------------------
hs <- read.csv(file.path(here, "data", "hs1939.csv"), stringsAsFactors = FALSE)
hs_model <- "visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9"
ge <- list(metric = "loadings", scalar = c("loadings", "intercepts"), strict = c("loadings", "intercepts", "residuals"))
accepted <- cfa(hs_model, hs, group = "school")
partial <- character(0)
hs_steps <- list()
for (lv in c("metric", "scalar", "strict")) {
  cur <- cfa(hs_model, hs, group = "school", group.equal = ge[[lv]], group.partial = partial)
  full <- cur
  rel_here <- list()
  first_scores <- score_table(cur)
  while (!holds(accepted, cur, lv)) {
    st <- score_table(cur)
    u <- st$uni[st$uni$op == class_op[[lv]] & (lv != "strict" | st$uni$lhs == st$uni$rhs), ]
    best <- u[which.max(u$X2), ]
    par <- if (best$op == "~1") paste0(best$lhs, "~1") else paste0(best$lhs, best$op, best$rhs)
    rel_here[[length(rel_here) + 1]] <- list(level = lv, lhs = best$lhs, op = best$op, rhs = best$rhs,
                                             group = best$group, X2 = best$X2, pvalue = best$pvalue)
    partial <- c(partial, par)
    cur <- cfa(hs_model, hs, group = "school", group.equal = ge[[lv]], group.partial = partial)
  }
  hs_steps[[lv]] <- list(full = fitm(full), final = fitm(cur), released = rel_here, scores = first_scores,
                         lrt_vs_accepted = lrt(accepted, cur))
  accepted <- cur
}
out$hs_partial <- list(model = hs_model, group = "school", steps = hs_steps)

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           file.path(here, "reference", "invariance_long.json"))
cat("wrote tests/reference/invariance_long.json\n")
