# Reference values for wamkit.stats.models.ols and wamkit.stats.surface (response surface analysis).
#
# Run from the repository root:   Rscript tests/reference/ols_surface.R
# Writes tests/reference/ols_surface.json (read by tests/stats/test_ols.py and
# tests/stats/test_surface.py; R is never needed at test time).
#
# Data: tests/data/rsa_sim.csv (made by tests/data/make_dyadic_sim.py, seeded) and
# tests/data/rossi.csv. Clusters: officer (rsa_sim), (row - 1) %% 37 (rossi).
#
# The surface parameters are computed here from the fitted coefficients and vcov()
# (or sandwich::vcovCL / coxph's robust variance) with the formulas of the RSA
# literature, independently of wamkit:
#   a1 = b1 + b2, a2 = b3 + b4 + b5, a3 = b1 - b2, a4 = b3 - b4 + b5, a5 = b3 - b5,
#   se = sqrt(c' V c); t on df.residual for lm (as lmtest::coeftest), z otherwise.
# Congruence test (full polynomial vs the squared-difference model, 4 constraints
# b1 = b2 = 0, b3 = b5, b4 = -2 b3):
#   lm: anova(lm(Z ~ D2), lm(Z ~ full)) F (= car::linearHypothesis(test = "F"));
#       clustered: car::linearHypothesis(fit, L, vcov. = vcovCL, test = "F");
#   glm / glm.nb / coxph unclustered: likelihood ratio 2 (logLik(full) - logLik(SQD));
#   clustered: car::linearHypothesis(fit, L, vcov. = robust V, test = "Chisq").
# Stationary point and principal axes: exact gradients by deriv(), delta method.

suppressPackageStartupMessages({
  library(jsonlite)
  library(sandwich)
  library(lmtest)
  library(car)
  library(MASS)
  library(survival)
})

out <- list()
out$meta <- list(
  r_version = R.version.string,
  sandwich = as.character(packageVersion("sandwich")),
  lmtest = as.character(packageVersion("lmtest")),
  car = as.character(packageVersion("car")),
  MASS = as.character(packageVersion("MASS")),
  survival = as.character(packageVersion("survival")),
  jsonlite = as.character(packageVersion("jsonlite")),
  generated = format(Sys.time(), tz = "UTC", usetz = TRUE)
)

rsa <- read.csv("tests/data/rsa_sim.csv")
rossi <- read.csv("tests/data/rossi.csv")
rossi$cl <- (seq_len(nrow(rossi)) - 1L) %% 37L

# ------------------------------------------------------------------ OLS --
tidy_lm <- function(fit, V = NULL) {
  if (is.null(V)) V <- vcov(fit)
  ct <- coeftest(fit, vcov. = V)
  ci <- coefci(fit, vcov. = V, level = 0.95)
  list(term = rownames(ct), coef = unname(ct[, 1]), se = unname(ct[, 2]), t = unname(ct[, 3]),
       p = unname(ct[, 4]), ci_low = unname(ci[, 1]), ci_high = unname(ci[, 2]),
       vcov = unname(V))
}
ols_case <- function(formula, data, cluster = NULL) {
  fit <- lm(formula, data = data)
  s <- summary(fit)
  o <- list(formula = deparse(formula), n = nobs(fit), df_resid = fit$df.residual,
            table = tidy_lm(fit), loglik = as.numeric(logLik(fit)), aic = AIC(fit),
            sigma = sigma(fit), r_squared = s$r.squared, adj_r_squared = s$adj.r.squared,
            deviance = deviance(fit))
  if (!is.null(cluster)) {
    Vcl <- vcovCL(fit, cluster = data[[cluster]])
    o$cluster <- tidy_lm(fit, Vcl)
    o$cluster_name <- cluster
  }
  o
}
out$ols <- list(
  rossi = ols_case(prio ~ age + fin + race, rossi, "cl"),
  rsa = ols_case(score6 ~ client + officer_rating + age, rsa, "officer")
)
# ci at 90% for one case
fit90 <- lm(prio ~ age + fin + race, data = rossi)
ci90 <- confint(fit90, level = 0.90)
out$ols$rossi$ci90 <- list(ci_low = unname(ci90[, 1]), ci_high = unname(ci90[, 2]))

# ------------------------------------------------------------------ RSA --
center <- 3
rsa$X <- rsa$client - center
rsa$Y <- rsa$officer_rating - center
rsa$X2 <- rsa$X^2
rsa$XY <- rsa$X * rsa$Y
rsa$Y2 <- rsa$Y^2
rsa$D2 <- (rsa$X - rsa$Y)^2
poly <- c("X", "Y", "X2", "XY", "Y2")

W <- rbind(a1 = c(1, 1, 0, 0, 0), a2 = c(0, 0, 1, 1, 1), a3 = c(1, -1, 0, 0, 0),
           a4 = c(0, 0, 1, -1, 1), a5 = c(0, 0, 1, 0, -1))
L5 <- rbind(c(1, 0, 0, 0, 0), c(0, 1, 0, 0, 0), c(0, 0, 1, 0, -1), c(0, 0, 2, 1, 0))

est_list <- function(est, se, df) {
  q <- if (is.null(df)) qnorm(0.975) else qt(0.975, df)
  stat <- est / se
  p <- if (is.null(df)) 2 * pnorm(-abs(stat)) else 2 * pt(-abs(stat), df)
  list(estimate = est, se = se, ci_low = est - q * se, ci_high = est + q * se, statistic = stat, pvalue = p)
}

ex_exprs <- list(
  X0 = quote((b2 * b4 - 2 * b1 * b5) / (4 * b3 * b5 - b4^2)),
  Y0 = quote((b1 * b4 - 2 * b2 * b3) / (4 * b3 * b5 - b4^2)),
  p11 = quote((b5 - b3 + sqrt((b3 - b5)^2 + b4^2)) / b4),
  p21 = quote((b5 - b3 - sqrt((b3 - b5)^2 + b4^2)) / b4)
)
ex_exprs$p10 <- substitute(Y0 - p11 * X0, list(Y0 = ex_exprs$Y0, p11 = ex_exprs$p11, X0 = ex_exprs$X0))
ex_exprs$p20 <- substitute(Y0 - p21 * X0, list(Y0 = ex_exprs$Y0, p21 = ex_exprs$p21, X0 = ex_exprs$X0))

extras <- function(b, V, df) {
  env <- as.list(setNames(b, paste0("b", 1:5)))
  res <- list()
  for (nm in c("X0", "Y0", "p10", "p11", "p20", "p21")) {
    d <- deriv(as.expression(ex_exprs[[nm]]), paste0("b", 1:5))
    v <- eval(d, env)
    g <- as.vector(attr(v, "gradient"))
    res[[nm]] <- est_list(as.numeric(v), sqrt(as.numeric(t(g) %*% V %*% g)), df)
  }
  res
}

surface_case <- function(model, outcome, covs = character(0), cluster = NULL, time = NULL) {
  rhs <- paste(c(poly, covs), collapse = " + ")
  rhs_r <- paste(c("D2", covs), collapse = " + ")
  cc <- if (model == "cox") paste0("Surv(", time, ", ", outcome, ")") else outcome
  f_full <- as.formula(paste(cc, "~", rhs))
  f_restr <- as.formula(paste(cc, "~", rhs_r))
  # the same complete rows for both models
  used <- c(outcome, "client", "officer_rating", covs, time, cluster)
  d <- rsa[complete.cases(rsa[, used]), ]
  fit <- switch(model,
    ols = lm(f_full, data = d),
    logistic = glm(f_full, family = binomial, data = d),
    poisson = glm(f_full, family = poisson, data = d),
    negative_binomial = glm.nb(f_full, data = d),
    cox = if (is.null(cluster)) coxph(f_full, data = d, ties = "efron")
          else coxph(f_full, data = d, ties = "efron", cluster = d[[cluster]])
  )
  V <- if (is.null(cluster)) vcov(fit) else if (model == "cox") vcov(fit)
       else vcovCL(fit, cluster = d[[cluster]])
  b <- coef(fit)
  df <- if (model == "ols") fit$df.residual else NULL
  pos <- match(poly, names(b))
  coefs <- list()
  if ("(Intercept)" %in% names(b)) coefs$b0 <- est_list(unname(b["(Intercept)"]), sqrt(V[1, 1]), df)
  for (i in 1:5) coefs[[paste0("b", i)]] <- est_list(unname(b[pos[i]]), sqrt(V[pos[i], pos[i]]), df)
  surf <- list()
  for (nm in rownames(W)) {
    cvec <- rep(0, length(b)); cvec[pos] <- W[nm, ]
    surf[[nm]] <- est_list(sum(cvec * b), sqrt(as.numeric(t(cvec) %*% V %*% cvec)), df)
  }
  L <- matrix(0, 4, length(b)); L[, pos] <- L5
  if (model == "ols") {
    lh <- linearHypothesis(fit, L, rhs = rep(0, 4), vcov. = V, test = "F")
    test <- list(statistic = lh$F[2], df = 4, df_denominator = lh$Res.Df[2], pvalue = lh$`Pr(>F)`[2],
                 method = "F")
    if (is.null(cluster)) {
      av <- anova(lm(f_restr, data = d), fit)
      test$anova_F <- av$F[2]
      test$anova_p <- av$`Pr(>F)`[2]
    }
  } else if (is.null(cluster)) {
    restr <- switch(model,
      logistic = glm(f_restr, family = binomial, data = d),
      poisson = glm(f_restr, family = poisson, data = d),
      negative_binomial = glm.nb(f_restr, data = d),
      cox = coxph(f_restr, data = d, ties = "efron"))
    lr <- 2 * (as.numeric(logLik(fit)) - as.numeric(logLik(restr)))
    test <- list(statistic = lr, df = 4, pvalue = pchisq(lr, 4, lower.tail = FALSE), method = "LR chi2",
                 loglik_restricted = as.numeric(logLik(restr)))
    if (model != "negative_binomial") {
      av <- anova(restr, fit, test = "Chisq")
      test$anova_stat <- if (model == "cox") av$Chisq[2] else av$Deviance[2]
    } else {
      av <- anova(restr, fit)
      test$anova_stat <- av$`LR stat.`[2]
    }
  } else {
    lh <- linearHypothesis(fit, L, rhs = rep(0, 4), vcov. = V, test = "Chisq")
    test <- list(statistic = lh$Chisq[2], df = 4, pvalue = lh$`Pr(>Chisq)`[2], method = "Wald chi2")
  }
  o <- list(model = model, outcome = outcome, covariates = covs, cluster = cluster, time = time,
            center = center, n = if (model == "cox") fit$n else nobs(fit),
            terms = names(b), coef = unname(b), vcov = unname(V),
            coefficients = coefs, surface = surf, congruence_test = test,
            extras = extras(unname(b[pos]), V[pos, pos], df),
            loglik = as.numeric(logLik(fit)))
  if (model == "cox") o$events <- fit$nevent
  # grid predictions (covariates at their mean over the rows used)
  if (model %in% c("logistic", "negative_binomial", "ols", "poisson")) {
    gx <- c(1.5, 3, 4.5); gy <- c(2, 3.5, 5)
    nd <- expand.grid(client = gx, officer_rating = gy)
    nd <- nd[order(nd$client, nd$officer_rating), ]
    nd$X <- nd$client - center; nd$Y <- nd$officer_rating - center
    nd$X2 <- nd$X^2; nd$XY <- nd$X * nd$Y; nd$Y2 <- nd$Y^2
    for (cv in covs) nd[[cv]] <- mean(d[[cv]])
    if (model == "ols") {
      pr <- unname(predict(fit, newdata = nd))
      o$grid <- list(x = nd$client, y = nd$officer_rating, link = pr, response = pr)
    } else {
      o$grid <- list(x = nd$client, y = nd$officer_rating,
                     link = unname(predict(fit, newdata = nd, type = "link")),
                     response = unname(predict(fit, newdata = nd, type = "response")))
    }
  }
  o
}

out$surface <- list(
  ols = surface_case("ols", "score6"),
  ols_cluster = surface_case("ols", "score6", "age", cluster = "officer"),
  logistic = surface_case("logistic", "dropout", "age"),
  logistic_cluster = surface_case("logistic", "dropout", cluster = "officer"),
  poisson = surface_case("poisson", "stagnations"),
  poisson_cluster = surface_case("poisson", "stagnations", "age", cluster = "officer"),
  negative_binomial = surface_case("negative_binomial", "stagnations", "age"),
  negative_binomial_cluster = surface_case("negative_binomial", "stagnations", cluster = "officer"),
  cox = surface_case("cox", "rearrest", "age", time = "days"),
  cox_cluster = surface_case("cox", "rearrest", cluster = "officer", time = "days")
)

writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE),
           "tests/reference/ols_surface.json")
cat("wrote tests/reference/ols_surface.json\n")
