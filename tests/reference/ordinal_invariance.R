# Reference values for wamkit.stats.ordinal_invariance / wamkit.stats.wlsmv_groups
# (oracle: semTools 0.5-6 measEq.syntax(..., ordered = TRUE, parameterization = "delta",
#  ID.cat = "Wu.Estabrook.2016", return.fit = TRUE) fitted by lavaan 0.6-14 with WLSMV;
#  lavTestLRT() (method "satorra.2000", scaled.shifted) and lavTestScore()).
# Run from the repository root:  Rscript tests/reference/ordinal_invariance.R
# Writes tests/reference/ordinal_invariance.json, tests/data/datcat.csv and tests/data/ordinal_waves.csv.
suppressPackageStartupMessages({library(lavaan); library(semTools); library(jsonlite)})

FM <- c("npar", "fmin", "chisq", "df", "pvalue", "chisq.scaled", "pvalue.scaled", "chisq.scaling.factor",
        "baseline.chisq", "baseline.df", "baseline.pvalue", "baseline.chisq.scaled", "baseline.pvalue.scaled",
        "baseline.chisq.scaling.factor", "cfi", "tli", "cfi.scaled", "tli.scaled", "cfi.robust", "tli.robust",
        "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue", "rmsea.scaled", "rmsea.ci.lower.scaled",
        "rmsea.ci.upper.scaled", "rmsea.pvalue.scaled", "rmsea.robust", "rmsea.ci.lower.robust",
        "rmsea.ci.upper.robust", "rmsea.pvalue.robust", "srmr", "ntotal")
LEVELS <- c("configural", "thresholds", "loadings", "intercepts")
EQUAL <- list(configural = "", thresholds = "thresholds", loadings = c("thresholds", "loadings"),
              intercepts = c("thresholds", "loadings", "intercepts"))

na2null <- function(x) { x <- as.list(x); lapply(x, function(v) if (is.na(v)) NULL else unname(v)) }

# ----------------------------------------------------------------------------- fitting one step
fit_step <- function(design, level, partial = character(0)) {
  part <- if (length(partial)) partial else ""
  args <- list(configural.model = design$model, data = design$data, ordered = TRUE, parameterization = "delta",
               ID.cat = "Wu.Estabrook.2016", return.fit = TRUE)
  if (!is.null(design$group)) {
    args$group <- design$group
    args$group.equal <- EQUAL[[level]]
    args$group.partial <- part
  } else {
    args$longFacNames <- design$longFacNames
    args$longIndNames <- design$longIndNames
    args$long.equal <- EQUAL[[level]]
    args$long.partial <- part
  }
  fit <- do.call(measEq.syntax, args)
  stopifnot(inherits(fit, "lavaan"))
  fit
}

describe <- function(fit) {
  ss <- lavInspect(fit, "test")$scaled.shifted
  bt <- lavInspect(lavaan:::lav_object_independence(fit), "test")$scaled.shifted
  pt <- parTable(fit)
  pt <- pt[pt$op != "==", ]
  list(
    npar = unname(fitMeasures(fit, "npar")), df = unname(fitMeasures(fit, "df")),
    n_eq = sum(parTable(fit)$op == "=="),
    converged = lavInspect(fit, "converged"), iterations = lavInspect(fit, "iterations"),
    fit = na2null(fitMeasures(fit, FM)),
    test = list(stat = ss$stat, df = ss$df, scaling_factor = ss$scaling.factor, shift = ss$shift.parameter,
                trace_UGamma = ss$trace.UGamma, trace_UGamma2 = ss$trace.UGamma2),
    baseline_test = list(stat = bt$stat, df = bt$df, scaling_factor = bt$scaling.factor,
                         shift = bt$shift.parameter),
    params = list(lhs = pt$lhs, op = pt$op, rhs = pt$rhs, group = pt$group, free = pt$free > 0,
                  label = pt$label, est = pt$est, se = pt$se)
  )
}

lrt <- function(m1, m0) {
  out <- lavTestLRT(m1, m0)
  list(chisq_diff = out[2, "Chisq diff"], df_diff = out[2, "Df diff"], pvalue = out[2, "Pr(>Chisq)"],
       scale_a = attr(out, "scale")[2], shift_b = attr(out, "shift")[2])
}

# ----------------------------------------------------------------------------- score tests
# A candidate is one released restriction in measEq terms ("A1 | t2", "agree =~ A1", "A1 ~ 1"); its score
# statistic releases every lavaan constraint row of that restriction at once (lavTestScore(release = rows)).
item_key <- function(design, item) {
  if (!is.null(design$group)) return(item)
  for (k in names(design$longIndNames)) if (item %in% design$longIndNames[[k]]) return(k)
  NA_character_
}
fac_key <- function(design, fac) {
  if (!is.null(design$group)) return(fac)
  for (k in names(design$longFacNames)) if (fac %in% design$longFacNames[[k]]) return(k)
  NA_character_
}

# intercept fixings (nu = 0 where the level makes them equal) rewritten as free intercepts with "== 0"
# constraints, so that lavTestScore can release them; the fit is the same model.
fixings_fit <- function(fit, design) {
  pt <- parTable(fit)
  ords <- lavNames(fit, "ov.ord")
  if (!is.null(design$group)) {
    tgt <- which(pt$op == "~1" & pt$lhs %in% ords & pt$group > 1 & pt$free == 0)
  } else {
    firsts <- sapply(design$longIndNames, `[`, 1)
    tgt <- which(pt$op == "~1" & pt$lhs %in% ords & !(pt$lhs %in% firsts) & pt$free == 0)
  }
  pt$free[tgt] <- max(pt$free) + seq_along(tgt)
  pt$label[tgt] <- paste0("nufree.", pt$lhs[tgt], ".g", pt$group[tgt])
  pt$ustart[tgt] <- NA
  pt$est <- NULL; pt$se <- NULL; pt$start <- NULL
  add <- data.frame(id = max(pt$id) + seq_along(tgt), lhs = pt$label[tgt], op = "==", rhs = "0", user = 1L,
                    block = 0L, group = 0L, free = 0L, ustart = NA, exo = 0L, label = "", plabel = "")
  for (extra in setdiff(names(pt), names(add))) add[[extra]] <- if (is.numeric(pt[[extra]])) 0 else ""
  pt2 <- rbind(pt, add[, names(pt)])
  args <- list(model = pt2, data = design$data, ordered = TRUE, parameterization = "delta", estimator = "WLSMV")
  if (!is.null(design$group)) args$group <- design$group
  fit2 <- do.call(lavaan, args)
  stopifnot(abs(fitMeasures(fit2, "chisq") - fitMeasures(fit, "chisq")) < 1e-6 * (1 + fitMeasures(fit, "chisq")))
  fit2
}

candidates <- function(fit, design, level) {
  if (level == "intercepts") fit <- fixings_fit(fit, design)
  pt <- parTable(fit)
  eq <- which(pt$op == "==")
  row_of <- function(lab) which(pt$plabel == lab | (nchar(pt$label) > 0 & pt$label == lab & pt$op != "=="))[1]
  keys <- character(length(eq))
  for (k in seq_along(eq)) {
    a <- row_of(pt$lhs[eq[k]])
    if (level == "thresholds" && pt$op[a] == "|") {
      keys[k] <- paste0(item_key(design, pt$lhs[a]), " | ", pt$rhs[a])
    } else if (level == "loadings" && pt$op[a] == "=~") {
      keys[k] <- paste0(fac_key(design, pt$lhs[a]), " =~ ", item_key(design, pt$rhs[a]))
    } else if (level == "intercepts" && pt$op[a] == "~1") {
      keys[k] <- paste0(item_key(design, pt$lhs[a]), " ~ 1")
    } else keys[k] <- NA_character_
  }
  ukeys <- unique(keys[!is.na(keys)])
  X2 <- df <- numeric(length(ukeys))
  for (u in seq_along(ukeys)) {
    rows <- which(keys == ukeys[u])
    st <- lavTestScore(fit, release = rows, univariate = FALSE, warn = FALSE)$test
    X2[u] <- st$X2; df[u] <- st$df
  }
  list(key = ukeys, X2 = X2, df = df)
}

# ----------------------------------------------------------------------------- sequences
compare <- function(prev, cur, level, criterion) {
  l <- lrt(prev, cur)
  fp <- fitMeasures(prev, c("cfi.scaled", "rmsea.scaled", "srmr"))
  fc <- fitMeasures(cur, c("cfi.scaled", "rmsea.scaled", "srmr"))
  d <- fc - fp
  srmr_max <- if (level == "loadings") 0.030 else 0.010
  supported <- if (criterion == "lrt") l$pvalue >= 0.05 else
    (d[1] >= -0.010 && d[2] <= 0.015 && d[3] <= srmr_max)
  c(l, list(delta_cfi_scaled = unname(d[1]), delta_rmsea_scaled = unname(d[2]), delta_srmr = unname(d[3]),
            supported = unname(supported)))
}

run_case <- function(design, criterion = NULL, with_scores = TRUE) {
  t0 <- proc.time()[["elapsed"]]
  fits <- lapply(setNames(LEVELS, LEVELS), function(lv) fit_step(design, lv))
  secs <- proc.time()[["elapsed"]] - t0
  conf <- fits$configural
  samp <- lavInspect(conf, "sampstat")
  if (is.null(design$group)) samp <- list(samp)
  out <- list(
    nobs = unlist(lavInspect(conf, "nobs")),
    group_labels = if (is.null(design$group)) NULL else lavInspect(conf, "group.label"),
    seconds_four_fits = secs,
    sample = lapply(samp, function(s) list(th = unname(as.numeric(s$th)), cor = unname(unclass(s$cov)))),
    steps = lapply(fits, describe),
    lrt = lapply(setNames(LEVELS[-1], LEVELS[-1]), function(lv) lrt(fits[[match(lv, LEVELS) - 1]], fits[[lv]]))
  )
  if (with_scores) {
    out$scores <- lapply(setNames(LEVELS[-1], LEVELS[-1]), function(lv) candidates(fits[[lv]], design, lv))
  }
  if (!is.null(criterion)) out$partial <- partial_sequence(design, fits, criterion)
  out
}

# release-the-largest loop: at a level that is not supported, release the restriction with the largest score
# statistic, refit, compare again with the accepted previous model; releases carry over to later levels.
partial_sequence <- function(design, fits, criterion) {
  released <- character(0)
  prev <- fits$configural
  levels_out <- list()
  for (lv in LEVELS[-1]) {
    cur <- if (length(released)) fit_step(design, lv, released) else fits[[lv]]
    cmp <- compare(prev, cur, lv, criterion)
    first <- cmp
    iters <- list()
    while (!cmp$supported) {
      cand <- candidates(cur, design, lv)
      keep <- !(cand$key %in% released)
      if (!any(keep)) break
      best <- cand$key[keep][which.max(cand$X2[keep])]
      iters[[length(iters) + 1]] <- list(key = cand$key[keep], X2 = cand$X2[keep], released = best)
      released <- c(released, best)
      cur <- fit_step(design, lv, released)
      cmp <- compare(prev, cur, lv, criterion)
    }
    levels_out[[lv]] <- list(first = first, iterations = iters, final = cmp, released = released,
                             final_fit = describe(cur)[c("npar", "df", "fit")])
    prev <- cur
  }
  list(criterion = criterion, levels = levels_out)
}

# ----------------------------------------------------------------------------- data
bfi <- read.csv("tests/data/bfi.csv")
A <- paste0("A", 1:5); C <- paste0("C", 1:5)

bfi_g <- bfi; bfi_g$A1 <- 7 - bfi_g$A1
bfi_g <- bfi_g[complete.cases(bfi_g[, c(A, "gender")]), c(A, "gender")]
d_gender <- list(model = "agree =~ A1 + A2 + A3 + A4 + A5", data = bfi_g, group = "gender")

# binary items (Wu & Estabrook's rules differ with one threshold): A1..A5 (A1 reversed) dichotomised at >= 4
bfi_b <- bfi_g
for (v in A) bfi_b[[v]] <- as.integer(bfi_b[[v]] >= 4)
d_binary <- list(model = "agree =~ A1 + A2 + A3 + A4 + A5", data = bfi_b, group = "gender")

bfi_a <- bfi; bfi_a$C4 <- 7 - bfi_a$C4; bfi_a$C5 <- 7 - bfi_a$C5
bfi_a$age3 <- as.character(cut(bfi_a$age, c(0, 21, 30, 100), labels = c("upto21", "22to30", "over30")))
bfi_a <- bfi_a[complete.cases(bfi_a[, c(C, "age3")]), c(C, "age3")]
d_age3 <- list(model = "consc =~ C1 + C2 + C3 + C4 + C5", data = bfi_a, group = "age3")

data(datCat, package = "semTools")
dc <- data.frame(lapply(datCat[, paste0("u", 1:8)], function(x) as.integer(as.character(x))), g = as.character(datCat$g))
write.csv(dc, "tests/data/datcat.csv", row.names = FALSE)
d_datcat <- list(model = "FU1 =~ u1 + u2 + u3 + u4\nFU2 =~ u5 + u6 + u7 + u8", data = dc, group = "g")

# demonstration data: client items at T0 and T1, wide by dyad; raw responses (wam13, wam18 not reversed);
# answers outside 1..5 (n.v.t., 9) are missing; complete cases over the model's columns
demo <- read.csv("examples/wam_demo.csv", colClasses = "character")
wam <- sprintf("wam%02d", 1:19)
for (v in wam) { x <- suppressWarnings(as.numeric(demo[[v]])); x[!(x %in% 1:5)] <- NA; demo[[v]] <- x }
wide <- function(rows, by, levels, items) {
  parts <- lapply(levels, function(l) {
    p <- rows[rows[[by]] == l, c("dyad", items)]
    names(p)[-1] <- paste0(items, "_", l)
    p
  })
  Reduce(function(a, b) merge(a, b, by = "dyad"), parts)
}
trust <- c("wam01", "wam05", "wam09", "wam13", "wam17"); goals <- c("wam02", "wam06", "wam10", "wam14", "wam18")
w_t <- wide(demo[demo$rater == "client", ], "wave", c("T0", "T1"), c(trust, goals))
cols_t <- c(paste0(c(trust, goals), "_T0"), paste0(c(trust, goals), "_T1"))
w_t <- w_t[complete.cases(w_t[, cols_t]), cols_t]
lin_t <- setNames(lapply(c(trust, goals), function(i) paste0(i, c("_T0", "_T1"))), c(trust, goals))
d_demo <- list(model = paste0("trust_T0 =~ ", paste0(trust, "_T0", collapse = " + "), "\n",
                              "goals_T0 =~ ", paste0(goals, "_T0", collapse = " + "), "\n",
                              "trust_T1 =~ ", paste0(trust, "_T1", collapse = " + "), "\n",
                              "goals_T1 =~ ", paste0(goals, "_T1", collapse = " + ")),
               data = w_t, longFacNames = list(trust = c("trust_T0", "trust_T1"), goals = c("goals_T0", "goals_T1")),
               longIndNames = lin_t)

# dyadic: trust items of client and professional at T0, wide by dyad (occasions = roles)
w_d <- wide(demo[demo$wave == "T0", ], "rater", c("client", "professional"), trust)
cols_d <- c(paste0(trust, "_client"), paste0(trust, "_professional"))
w_d <- w_d[complete.cases(w_d[, cols_d]), cols_d]
d_dyad <- list(model = paste0("trust_client =~ ", paste0(trust, "_client", collapse = " + "), "\n",
                              "trust_professional =~ ", paste0(trust, "_professional", collapse = " + ")),
               data = w_d, longFacNames = list(trust = c("trust_client", "trust_professional")),
               longIndNames = setNames(lapply(trust, function(i) paste0(i, c("_client", "_professional"))), trust))

# simulated three waves: one factor, four items, four categories; latent AR(1) with rising means, correlated
# unique factors of the same item over waves; item y4's second threshold drifts up at wave 3
set.seed(20240611)
n <- 500
lam <- c(0.8, 0.7, 0.6, 0.75)
tau <- rbind(c(-1.0, 0.0, 1.0), c(-1.2, -0.2, 0.8), c(-0.8, 0.2, 1.2), c(-1.0, -0.1, 0.9))
eta <- matrix(0, n, 3)
eta[, 1] <- rnorm(n)
for (t in 2:3) eta[, t] <- 0.2 + 0.6 * eta[, t - 1] + rnorm(n, sd = sqrt(1 - 0.36))
sim <- data.frame(row.names = seq_len(n))
for (i in 1:4) {
  R <- matrix(0.3, 3, 3); diag(R) <- 1
  u <- matrix(rnorm(n * 3), n, 3) %*% chol(R)
  for (t in 1:3) {
    ystar <- lam[i] * eta[, t] + sqrt(1 - lam[i]^2) * u[, t]
    th <- tau[i, ]
    if (i == 4 && t == 3) th[2] <- th[2] + 0.5
    sim[[paste0("y", i, "_w", t)]] <- 1L + findInterval(ystar, th)
  }
}
write.csv(sim, "tests/data/ordinal_waves.csv", row.names = FALSE)
d_sim <- list(model = paste(sapply(1:3, function(t) paste0("f_w", t, " =~ ", paste0("y", 1:4, "_w", t, collapse = " + "))),
                            collapse = "\n"),
              data = sim, longFacNames = list(f = paste0("f_w", 1:3)),
              longIndNames = setNames(lapply(1:4, function(i) paste0("y", i, "_w", 1:3)), paste0("y", 1:4)))

out <- list(
  meta = list(
    R = R.version.string, lavaan = as.character(packageVersion("lavaan")),
    semTools = as.character(packageVersion("semTools")), jsonlite = as.character(packageVersion("jsonlite")),
    calls = list(
      step = paste("semTools::measEq.syntax(model, data, ordered = TRUE, parameterization = 'delta',",
                   "ID.cat = 'Wu.Estabrook.2016', group = g, group.equal = E, group.partial = P, return.fit = TRUE)",
                   "or, longitudinal/dyadic, longFacNames = F, longIndNames = I, long.equal = E, long.partial = P;",
                   "ID.fac is measEq's default 'std.lv'; E: configural '', thresholds 'thresholds',",
                   "loadings c('thresholds','loadings'), intercepts c('thresholds','loadings','intercepts')"),
      fit = "fitMeasures(fit); lavInspect(fit, 'test')$scaled.shifted; baseline: lav_object_independence(fit)",
      params = "parTable(fit) without '==' rows (est, se)",
      lrt = "lavTestLRT(previous, this) (method 'satorra.2000', scaled.shifted; attr 'scale' = a, 'shift' = b)",
      scores = paste("per released restriction (measEq group.partial / long.partial syntax):",
                     "lavTestScore(fit, release = its constraint rows)$test; intercepts: the fit rewritten with",
                     "free intercepts and '== 0' constraints (same model), then lavTestScore"),
      partial = paste("release-the-largest loop: at a level not supported, release the candidate with the",
                      "largest score X2 (measEq partial syntax), refit, compare with the accepted previous",
                      "model; releases carry over; criterion 'lrt': satorra.2000 p >= .05; 'chen': scaled",
                      "dCFI >= -.010, scaled dRMSEA <= .015, dSRMR <= .030 (loadings) / .010")
    ),
    data = list(
      bfi_gender = "tests/data/bfi.csv; A1 reversed as 7 - A1; complete cases over A1..A5 and gender",
      bfi_gender_binary = "as bfi_gender, every item dichotomised as as.integer(x >= 4)",
      bfi_age3 = paste("tests/data/bfi.csv; C4, C5 reversed; age cut at (0,21], (21,30], (30,100] labelled",
                       "upto21, 22to30, over30; complete cases"),
      datcat = "semTools::datCat exported to tests/data/datcat.csv (u1..u8 integer, g character)",
      demo_long = paste("examples/wam_demo.csv client rows, trust and goals items at T0 and T1 wide by dyad",
                        "(column item_T0 / item_T1), answers outside 1..5 missing, complete cases; raw responses"),
      demo_dyad = "examples/wam_demo.csv T0 rows, trust items of client and professional wide by dyad",
      sim3 = "tests/data/ordinal_waves.csv, simulated by this script (set.seed(20240611))"
    )
  ),
  multigroup = list(
    bfi_gender = c(list(items = A, factors = list(agree = A), group = "gender"),
                   run_case(d_gender, criterion = "lrt")),
    bfi_gender_binary = c(list(items = A, factors = list(agree = A), group = "gender"),
                          run_case(d_binary)),
    bfi_age3 = c(list(items = C, factors = list(consc = C), group = "age3"), run_case(d_age3)),
    datcat = c(list(items = paste0("u", 1:8), factors = list(FU1 = paste0("u", 1:4), FU2 = paste0("u", 5:8)),
                    group = "g"), run_case(d_datcat))
  ),
  longitudinal = list(
    demo_long = c(list(factors = list(trust = trust, goals = goals), occasions = c("T0", "T1"),
                       column = "{item}_{occasion}"), run_case(d_demo)),
    demo_dyad = c(list(factors = list(trust = trust), occasions = c("client", "professional"),
                       column = "{item}_{occasion}"), run_case(d_dyad)),
    sim3 = c(list(factors = list(f = paste0("y", 1:4)), occasions = c("w1", "w2", "w3"),
                  column = "{item}_{occasion}"), run_case(d_sim, criterion = "lrt"))
  )
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, null = "null"),
           "tests/reference/ordinal_invariance.json")
