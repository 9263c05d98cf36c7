# Reference values for wamkit.stats.association and wamkit.stats.models.
#
# Run from the repository root:   Rscript tests/reference/outcomes.R
# Writes tests/reference/outcomes.json (read by tests/test_association.py and
# tests/test_models.py; R is never needed at test time).
#
# Deterministic cluster variable used for all cluster-robust fits (both here and
# in the Python tests): cluster = (row_index - 1) %% 37, row_index = 1-based row
# number in tests/data/rossi.csv (Python: np.arange(n) % 37).

suppressPackageStartupMessages({
  library(jsonlite)
  library(psych)
  library(survival)
  library(MASS)
  library(sandwich)
})

out <- list()
out$meta <- list(
  r_version = R.version.string,
  psych = as.character(packageVersion("psych")),
  survival = as.character(packageVersion("survival")),
  MASS = as.character(packageVersion("MASS")),
  sandwich = as.character(packageVersion("sandwich")),
  jsonlite = as.character(packageVersion("jsonlite")),
  generated = format(Sys.time(), tz = "UTC", usetz = TRUE)
)

bfi <- read.csv("tests/data/bfi.csv")
rossi <- read.csv("tests/data/rossi.csv")
rossi$cluster <- (seq_len(nrow(rossi)) - 1L) %% 37L

# ---------------------------------------------------------------- cor.test --
ct <- function(x, y, method, conf.level = 0.95) {
  ok <- complete.cases(x, y)
  res <- suppressWarnings(cor.test(x, y, method = method, conf.level = conf.level))
  o <- list(r = unname(res$estimate), p = res$p.value, n = sum(ok),
            statistic = unname(res$statistic))
  if (!is.null(res$conf.int)) {
    o$ci_low <- res$conf.int[1]
    o$ci_high <- res$conf.int[2]
  }
  o
}
pairs <- list(c("A1", "A2"), c("A2", "age"), c("C1", "E3"), c("N1", "O5"), c("O2", "education"))
cors <- list()
for (pr in pairs) {
  for (m in c("pearson", "spearman")) {
    key <- paste(pr[1], pr[2], m, sep = "_")
    o <- ct(bfi[[pr[1]]], bfi[[pr[2]]], m)
    o$x <- pr[1]; o$y <- pr[2]; o$method <- m
    cors[[key]] <- o
  }
}
# Pearson with a 90% CI
o <- ct(bfi$A1, bfi$A2, "pearson", conf.level = 0.90)
o$x <- "A1"; o$y <- "A2"; o$method <- "pearson"; o$ci_level <- 0.90
cors[["A1_A2_pearson_90"]] <- o
# Spearman on the first 40 complete rows (ties, n > 10: asymptotic t)
sub <- bfi[complete.cases(bfi[c("A3", "C2")]), ][1:40, ]
o <- ct(sub$A3, sub$C2, "spearman"); o$x <- "A3"; o$y <- "C2"; o$method <- "spearman"; o$rows <- "first40"
cors[["A3_C2_spearman_first40"]] <- o
out$cor_test <- cors

# Spearman without ties (R's AS 89 algorithm: exact n <= 9, Edgeworth n <= 1290)
sp <- list()
mk <- function(n, seed) { set.seed(seed); list(x = sample(n), y = sample(n)) }
small <- list(
  n5 = list(x = c(1, 2, 3, 4, 5), y = c(2, 1, 4, 3, 5)),
  n8 = list(x = c(3, 1, 4, 8, 5, 2, 6, 7), y = c(2, 5, 1, 8, 3, 4, 7, 6)),
  n9 = list(x = c(9, 2, 7, 4, 5, 6, 3, 8, 1), y = c(1, 3, 2, 6, 4, 5, 9, 7, 8)),
  n20 = list(x = 1:20, y = c(2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 20, 19, 18, 17, 16, 11, 12, 13, 14, 15)),
  n30neg = list(x = 1:30, y = c(30:21, 1:10, 11:20)),
  n1498 = list(x = 1:1498, y = ((1:1498) * 7) %% 1499)  # no ties, n > 1290: t approximation
)
for (k in names(small)) {
  x <- small[[k]]$x; y <- small[[k]]$y
  res <- cor.test(x, y, method = "spearman")
  sp[[k]] <- list(x = x, y = y, r = unname(res$estimate), p = res$p.value,
                  S = unname(res$statistic))
}
out$spearman_exact <- sp

# Point-biserial = Pearson with 0/1 y (rossi: arrest vs prio)
o <- ct(rossi$prio, rossi$arrest, "pearson"); o$x <- "prio"; o$y <- "arrest"
out$point_biserial <- o

# ---------------------------------------------------------------- p.adjust --
pv <- c(0.01, 0.04, 0.03, 0.005, 0.5, NA, 0.2, 0.0001, 0.049, 0.8, NA, 0.03)
padj <- list(p = pv)
for (m in c("holm", "BH", "bonferroni", "none")) padj[[m]] <- p.adjust(pv, m)
out$p_adjust <- padj

# ------------------------------------------------------------- partial.r --
partial_case <- function(x, y, z) {
  d <- bfi[, c(x, y, z)]
  d <- d[complete.cases(d), ]
  n <- nrow(d)
  k <- length(z)
  pr <- partial.r(d, c(x, y), z)
  r <- pr[1, 2]
  # p value pinned by psych::corr.p with n adjusted for the k partialled variables
  # (t = r sqrt(n - k - 2) / sqrt(1 - r^2) on n - 2 - k df, as ppcor::pcor.test)
  cp <- corr.p(pr, n = n - k, adjust = "none")
  p <- cp$p[1, 2]
  t <- r * sqrt(n - 2 - k) / sqrt(1 - r^2)
  list(x = x, y = y, covariates = z, r = r, p = p, n = n, df = n - 2 - k, t = t,
       p_by_hand = 2 * pt(-abs(t), n - 2 - k))
}
out$partial_r <- list(
  A1_A2_age_education = partial_case("A1", "A2", c("age", "education")),
  C1_C2_age = partial_case("C1", "C2", c("age")),
  N1_E3_A1_A2_O1 = partial_case("N1", "E3", c("A1", "A2", "O1"))
)

# ---------------------------------------------------------------- r.test --
rt3 <- function(n, r12, r13, r23) {
  res <- r.test(n = n, r12 = r12, r13 = r13, r23 = r23)
  list(n = n, r12 = r12, r13 = r13, r23 = r23, t = res$t, p = res$p)
}
rt4 <- function(n, r12, r34, r13, r14, r23, r24, pooled = TRUE) {
  res <- r.test(n = n, r12 = r12, r34 = r34, r23 = r23, r13 = r13, r14 = r14, r24 = r24,
                pooled = pooled)
  list(n = n, r12 = r12, r34 = r34, r13 = r13, r14 = r14, r23 = r23, r24 = r24,
       pooled = pooled, z = res$z, p = res$p)
}
out$r_test3 <- list(
  rt3(103, 0.4, 0.2, 0.5),
  rt3(50, -0.35, 0.10, 0.62),
  rt3(250, 0.30, 0.31, 0.8),
  rt3(30, 0.6, 0.1, -0.2)
)
# from data: outcome age with A1 vs A2 (listwise on the three columns)
dd <- bfi[complete.cases(bfi[c("age", "A1", "A2")]), c("age", "A1", "A2")]
rr <- cor(dd)
wt <- r.test(n = nrow(dd), r12 = rr["age", "A1"], r13 = rr["age", "A2"], r23 = rr["A1", "A2"])
out$r_test3_data <- list(outcome = "age", x_a = "A1", x_b = "A2", n = nrow(dd),
                         r12 = rr["age", "A1"], r13 = rr["age", "A2"], r23 = rr["A1", "A2"],
                         t = wt$t, p = wt$p)
out$r_test4 <- list(
  rt4(103, 0.4, 0.3, 0.2, 0.15, 0.5, 0.45),
  rt4(60, -0.2, 0.25, 0.3, 0.1, 0.55, 0.2),
  rt4(60, -0.2, 0.25, 0.3, 0.1, 0.55, 0.2, pooled = FALSE)
)

# ---------------------------------------------------------------- models --
tidy_glm <- function(fit, V = NULL) {
  s <- summary(fit)$coefficients
  b <- coef(fit)
  se <- if (is.null(V)) s[, 2] else sqrt(diag(V))
  z <- b / se
  list(term = names(b), coef = unname(b), se = unname(se), z = unname(z),
       p = unname(2 * pnorm(-abs(z))),
       ci_low = unname(exp(b - qnorm(0.975) * se)),
       ci_high = unname(exp(b + qnorm(0.975) * se)))
}

# logistic
lg <- glm(arrest ~ fin + age + prio, family = binomial, data = rossi)
Vcl <- vcovCL(lg, cluster = ~cluster)
# by hand: HC0 sandwich (default type for glm objects) times G/(G-1)
X <- model.matrix(lg); ef <- estfun(lg); G <- length(unique(rossi$cluster))
B <- summary(lg)$cov.unscaled
M <- crossprod(rowsum(ef, rossi$cluster))
Vhand <- G / (G - 1) * B %*% M %*% B
out$logistic <- list(
  formula = "arrest ~ fin + age + prio", n = nrow(rossi), events = sum(rossi$arrest),
  table = tidy_glm(lg), loglik = as.numeric(logLik(lg)), aic = AIC(lg),
  deviance = deviance(lg), iter = lg$iter,
  cluster = tidy_glm(lg, Vcl), cluster_vcov = unname(Vcl),
  cluster_by_hand_maxabsdiff = max(abs(Vcl - Vhand)),
  per_sd = tidy_glm(glm(arrest ~ fin + age + prio, family = binomial,
                        data = transform(rossi, fin = as.numeric(scale(fin)),
                                         age = as.numeric(scale(age)),
                                         prio = as.numeric(scale(prio)))))
)

# poisson
po <- glm(prio ~ age + fin + race, family = poisson, data = rossi)
pearson_chisq <- sum(residuals(po, type = "pearson")^2)
out$poisson <- list(
  formula = "prio ~ age + fin + race", n = nrow(rossi),
  table = tidy_glm(po), loglik = as.numeric(logLik(po)), aic = AIC(po),
  deviance = deviance(po), pearson_chisq = pearson_chisq, df_resid = po$df.residual,
  dispersion = pearson_chisq / po$df.residual,
  cluster = tidy_glm(po, vcovCL(po, cluster = ~cluster))
)

# negative binomial
nb <- glm.nb(prio ~ age + fin + race, data = rossi)
out$negbin <- list(
  formula = "prio ~ age + fin + race", n = nrow(rossi),
  table = tidy_glm(nb), loglik = as.numeric(logLik(nb)), aic = AIC(nb),
  theta = nb$theta, theta_se = nb$SE.theta, twologlik = nb$twologlik,
  pearson_chisq = sum(residuals(nb, type = "pearson")^2), df_resid = nb$df.residual
)

out$negbin$cluster <- tidy_glm(nb, vcovCL(nb, cluster = ~cluster))

# logistic with missing values (listwise, na.omit): bfi female ~ A1 + A2 + age
bfi$female <- as.integer(bfi$gender == 2)
lgb <- glm(female ~ A1 + A2 + age, family = binomial, data = bfi)
out$logistic_bfi <- list(formula = "female ~ A1 + A2 + age", n = nobs(lgb),
                         events = sum(lgb$y), table = tidy_glm(lgb),
                         loglik = as.numeric(logLik(lgb)), aic = AIC(lgb))

# Cox, Efron ties
tidy_cox <- function(fit) {
  s <- summary(fit)
  cf <- s$coefficients
  b <- coef(fit)
  robust <- "robust se" %in% colnames(cf)
  se <- if (robust) cf[, "robust se"] else cf[, "se(coef)"]
  list(term = names(b), coef = unname(b), se = unname(se),
       naive_se = unname(cf[, "se(coef)"]),
       z = unname(cf[, "z"]), p = unname(cf[, "Pr(>|z|)"]),
       ci_low = unname(s$conf.int[, "lower .95"]),
       ci_high = unname(s$conf.int[, "upper .95"]),
       loglik = fit$loglik[2], loglik_null = fit$loglik[1],
       concordance = unname(fit$concordance["concordance"]),
       n = fit$n, events = fit$nevent)
}
cx <- coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio,
            data = rossi, ties = "efron")
cxc <- coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio + cluster(cluster),
             data = rossi, ties = "efron")
cxs <- coxph(Surv(week, arrest) ~ fin + age + prio, data = rossi, ties = "efron")
cxb <- coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio,
             data = rossi, ties = "breslow")
out$cox <- list(
  formula = "Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio",
  efron = tidy_cox(cx), efron_cluster = tidy_cox(cxc), efron_small = tidy_cox(cxs),
  efron_small_per_sd = tidy_cox(coxph(Surv(week, arrest) ~ fin + age + prio, ties = "efron",
                                      data = transform(rossi, fin = as.numeric(scale(fin)),
                                                       age = as.numeric(scale(age)),
                                                       prio = as.numeric(scale(prio))))),
  breslow = tidy_cox(cxb)
)

dir.create("tests/reference", showWarnings = FALSE)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE),
           "tests/reference/outcomes.json")
cat("wrote tests/reference/outcomes.json\n")
