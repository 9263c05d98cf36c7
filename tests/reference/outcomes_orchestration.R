# Reference values for wamkit.outcomes (the `wamkit outcomes` orchestration),
# end to end: join, splits, correlations + p.adjust families, partial r, models
# (glm binomial/poisson, MASS::glm.nb, lm, coxph Efron) with covariate and
# cluster-robust SEs, the mean-centred interaction, and the wave comparison.
#
# Run from the repository root:   Rscript tests/reference/outcomes_orchestration.R
# Writes tests/reference/outcomes_orchestration.json (read by tests/outcomes/test_outcomes.py).
#
# Data: tests/data/rossi.csv with a key id = "R001".."R432" (row order),
#   officer = (row - 1) %% 37 (cluster), rater = "p0"/"p1" from paro (the split).
# DATA   = id, officer, rater, wave = "T0", predictors age, wexp, mar
# OUTCOMES = id, arrest (binary; also the event with time week), prio (count),
#            week (continuous), fin (covariate)
# Wave data (for the wave comparison): long file, one row per id x wave with a
#   predictor `score` = age at T0 and prio at T1; outcome arrest.

suppressPackageStartupMessages({
  library(jsonlite)
  library(psych)
  library(survival)
  library(MASS)
  library(sandwich)
  library(lavaan)
})

rossi <- read.csv("tests/data/rossi.csv")
n <- nrow(rossi)
rossi$id <- sprintf("R%03d", seq_len(n))
rossi$officer <- (seq_len(n) - 1L) %% 37L
rossi$rater <- ifelse(rossi$paro == 1, "p1", "p0")

preds <- c("age", "wexp", "mar")
outs <- c("arrest", "prio", "week")
covs <- "fin"
raters <- c("p0", "p1")

cors <- list()
for (r in raters) {
  d <- rossi[rossi$rater == r, ]
  for (o in outs) for (p in preds) for (m in c("pearson", "spearman")) {
    ct <- suppressWarnings(cor.test(d[[p]], d[[o]], method = m))
    row <- list(rater = r, predictor = p, outcome = o, method = m,
                r = unname(ct$estimate), p = ct$p.value,
                n = sum(complete.cases(d[[p]], d[[o]])))
    if (!is.null(ct$conf.int)) { row$ci_low <- ct$conf.int[1]; row$ci_high <- ct$conf.int[2] }
    cors[[length(cors) + 1]] <- row
  }
}
for (m in c("pearson", "spearman")) {
  idx <- which(vapply(cors, function(x) x$method == m, logical(1)))
  ps <- vapply(cors[idx], function(x) x$p, numeric(1))
  for (meth in c("holm", "BH")) {
    adj <- p.adjust(ps, method = meth)
    for (k in seq_along(idx)) cors[[idx[k]]][[paste0("p_", meth)]] <- adj[k]
  }
}

partials <- list()
for (r in raters) {
  d <- rossi[rossi$rater == r, ]
  for (o in outs) for (p in preds) {
    dd <- d[complete.cases(d[, c(p, o, covs)]), c(p, o, covs)]
    prm <- partial.r(dd, c(p, o), covs)
    pr <- prm[1, 2]
    cp <- corr.p(unclass(prm)[1:2, 1:2], n = nrow(dd) - length(covs), adjust = "none")
    partials[[length(partials) + 1]] <- list(
      rater = r, predictor = p, outcome = o, r = pr, p = cp$p[2, 1],
      ci_low = cp$ci$lower[2], ci_high = cp$ci$upper[2], n = nrow(dd))
  }
}

tidy_glm <- function(fit, V, expo = TRUE, tdist = FALSE) {
  b <- coef(fit)
  se <- sqrt(diag(V))
  z <- b / se
  if (tdist) {
    df <- fit$df.residual
    p <- 2 * pt(-abs(z), df)
    q <- qt(0.975, df)
  } else {
    p <- 2 * pnorm(-abs(z))
    q <- qnorm(0.975)
  }
  tr <- if (expo) exp else identity
  list(term = names(b), coef = unname(b), se = unname(se), p = unname(p),
       estimate = unname(tr(b)), ci_low = unname(tr(b - q * se)), ci_high = unname(tr(b + q * se)),
       n = length(fit$residuals))
}

models <- list()
add_model <- function(r, model, outcome, focal, res) {
  res$rater <- r; res$model <- model; res$outcome <- outcome; res$predictor <- focal
  models[[length(models) + 1]] <<- res
}
for (r in raters) {
  d <- rossi[rossi$rater == r, ]
  for (p in preds) {
    f_arrest <- as.formula(paste("arrest ~", p, "+ fin"))
    lg <- glm(f_arrest, family = binomial, data = d)
    add_model(r, "logistic", "arrest", p, tidy_glm(lg, vcovCL(lg, cluster = ~officer)))
    f_prio <- as.formula(paste("prio ~", p, "+ fin"))
    po <- glm(f_prio, family = poisson, data = d)
    add_model(r, "poisson", "prio", p, tidy_glm(po, vcovCL(po, cluster = ~officer)))
    nb <- glm.nb(f_prio, data = d)
    add_model(r, "negative_binomial", "prio", p, tidy_glm(nb, vcovCL(nb, cluster = ~officer)))
    f_week <- as.formula(paste("week ~", p, "+ fin"))
    ls <- lm(f_week, data = d)
    add_model(r, "ols", "week", p, tidy_glm(ls, vcovCL(ls, cluster = ~officer), expo = FALSE, tdist = TRUE))
    cx <- coxph(as.formula(paste("Surv(week, arrest) ~", p, "+ fin + cluster(officer)")), data = d,
                ties = "efron")
    s <- summary(cx)
    add_model(r, "cox", "arrest", p, list(
      term = names(coef(cx)), coef = unname(coef(cx)), se = unname(s$coefficients[, "robust se"]),
      p = unname(s$coefficients[, "Pr(>|z|)"]), estimate = unname(exp(coef(cx))),
      ci_low = unname(s$conf.int[, "lower .95"]), ci_high = unname(s$conf.int[, "upper .95"]),
      n = cx$n, events = cx$nevent))
  }
  # interaction age:mar, mean-centred on the split's rows with both observed
  d$age_mar <- (d$age - mean(d$age)) * (d$mar - mean(d$mar))
  lg <- glm(arrest ~ age + mar + age_mar + fin, family = binomial, data = d)
  add_model(r, "logistic", "arrest", "age:mar", tidy_glm(lg, vcovCL(lg, cluster = ~officer)))
  ls <- lm(week ~ age + mar + age_mar + fin, data = d)
  add_model(r, "ols", "week", "age:mar", tidy_glm(ls, vcovCL(ls, cluster = ~officer), expo = FALSE, tdist = TRUE))
}

# model-based (no cluster) OLS, without covariates, on all rows
ls0 <- lm(week ~ age, data = rossi)
ols_plain <- tidy_glm(ls0, vcov(ls0), expo = FALSE, tdist = TRUE)

# wave comparison: score = age at T0, prio at T1; outcome arrest
rr <- cor(rossi[, c("arrest", "age", "prio")])
wt <- r.test(n = n, r12 = rr["arrest", "age"], r13 = rr["arrest", "prio"], r23 = rr["age", "prio"])
wave <- list(n = n, r_t0 = rr["arrest", "age"], r_t1 = rr["arrest", "prio"], r_waves = rr["age", "prio"],
             t = unname(wt$t), p = unname(wt$p))

# cluster-robust correlations (clients nested in officers), as wamkit with --officer:
# influence-function SE of r summed within officers, se = sqrt(G/(G-1) sum_g U_g^2) / n with
# IF_i = zx_i zy_i - r (zx_i^2 + zy_i^2) / 2 (z by the ML SD), which is lavaan
# sem("x ~~ y", cluster = "g", estimator = "MLR")'s standardised-covariance SE (recorded for Pearson);
# Fisher-z CI tanh(atanh(r) -+ q se / (1 - r^2)); z = atanh(r) (1 - r^2) / se; Spearman on ranks.
# p adjusted with Holm / BH within each method's family.
ccors <- list()
for (r in raters) {
  d <- rossi[rossi$rater == r, ]
  for (o in outs) for (p in preds) for (m in c("pearson", "spearman")) {
    ok <- complete.cases(d[[p]], d[[o]], d$officer)
    x <- d[[p]][ok]; y <- d[[o]][ok]; g <- d$officer[ok]
    if (m == "spearman") { x <- rank(x); y <- rank(y) }
    nn <- length(x); G <- length(unique(g)); rr <- cor(x, y)
    zx <- (x - mean(x)) / sqrt(mean((x - mean(x))^2))
    zy <- (y - mean(y)) / sqrt(mean((y - mean(y))^2))
    U <- rowsum(zx * zy - rr / 2 * (zx^2 + zy^2), g)
    se <- sqrt(G / (G - 1) * sum(U^2)) / nn
    sez <- se / (1 - rr^2)
    zst <- atanh(rr) / sez
    row <- list(rater = r, predictor = p, outcome = o, method = m, r = rr, se = se,
                ci_low = tanh(atanh(rr) - qnorm(0.975) * sez), ci_high = tanh(atanh(rr) + qnorm(0.975) * sez),
                z = zst, p = 2 * pnorm(-abs(zst)), n = nn, n_clusters = G)
    if (m == "pearson") {
      fit <- sem("x ~~ y", data = data.frame(x = x, y = y, g = g), cluster = "g", estimator = "MLR")
      ss <- standardizedSolution(fit)
      row$lavaan_se <- ss$se[ss$op == "~~" & ss$lhs == "x" & ss$rhs == "y"]
    }
    ccors[[length(ccors) + 1]] <- row
  }
}
for (m in c("pearson", "spearman")) {
  idx <- which(vapply(ccors, function(x) x$method == m, logical(1)))
  ps <- vapply(ccors[idx], function(x) x$p, numeric(1))
  for (meth in c("holm", "BH")) {
    adj <- p.adjust(ps, method = meth)
    for (k in seq_along(idx)) ccors[[idx[k]]][[paste0("p_", meth)]] <- adj[k]
  }
}

out <- list(
  meta = list(r_version = R.version.string,
              lavaan = as.character(packageVersion("lavaan")),
              psych = as.character(packageVersion("psych")),
              survival = as.character(packageVersion("survival")),
              MASS = as.character(packageVersion("MASS")),
              sandwich = as.character(packageVersion("sandwich")),
              jsonlite = as.character(packageVersion("jsonlite")),
              generated = format(Sys.time(), tz = "UTC", usetz = TRUE)),
  correlations = cors, correlations_cluster = ccors, partial_correlations = partials, models = models,
  ols_plain = ols_plain, wave_comparison = wave
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           "tests/reference/outcomes_orchestration.json")
