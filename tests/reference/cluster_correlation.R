# Reference values for wamkit.stats.association.correlate_clustered (cluster-robust r).
#
# Run from the repository root:   Rscript tests/reference/cluster_correlation.R
# Writes tests/reference/cluster_correlation.json (read by tests/stats/test_cluster_correlation.py).
#
# se_method = "influence": lavaan sem("x ~~ y", cluster = "g", estimator = "MLR"),
#   standardizedSolution()'s se of the standardised covariance (lavaan's cluster-robust
#   sandwich, delta method); also the closed form by hand:
#   IF_i = zx_i zy_i - r (zx_i^2 + zy_i^2) / 2 (z by the ML SD), U_g = cluster sums,
#   se = sqrt(G/(G-1) sum U_g^2) / n.
# se_method = "regression": lm(scale(y) ~ scale(x)) with sandwich::vcovCL(fit, cluster = g)
#   (HC1 default) and lmtest::coeftest (t on n - 2 df).
# Both: CI tanh(atanh(r) -+ qnorm(.975) se / (1 - r^2)).
# Data: tests/data/rsa_sim.csv (client vs officer_rating, clusters = officer),
#       tests/data/rossi.csv (age vs prio, clusters (row - 1) %% 37).

suppressPackageStartupMessages({
  library(jsonlite)
  library(lavaan)
  library(sandwich)
  library(lmtest)
})

out <- list()
out$meta <- list(
  r_version = R.version.string,
  lavaan = as.character(packageVersion("lavaan")),
  sandwich = as.character(packageVersion("sandwich")),
  lmtest = as.character(packageVersion("lmtest")),
  jsonlite = as.character(packageVersion("jsonlite")),
  generated = format(Sys.time(), tz = "UTC", usetz = TRUE)
)

case <- function(x, y, g, method = "pearson") {
  ok <- complete.cases(x, y, g)
  x <- x[ok]; y <- y[ok]; g <- g[ok]
  if (method == "spearman") { x <- rank(x); y <- rank(y) }
  n <- length(x); G <- length(unique(g))
  r <- cor(x, y)
  q <- qnorm(0.975)
  # influence function, by hand
  zx <- (x - mean(x)) / sqrt(mean((x - mean(x))^2))
  zy <- (y - mean(y)) / sqrt(mean((y - mean(y))^2))
  IF <- zx * zy - r / 2 * (zx^2 + zy^2)
  U <- rowsum(IF, g)
  se_if <- sqrt(G / (G - 1) * sum(U^2)) / n
  sez <- se_if / (1 - r^2)
  zst <- atanh(r) / sez
  # lavaan
  d <- data.frame(x = x, y = y, g = g)
  fit <- sem("x ~~ y", data = d, cluster = "g", estimator = "MLR")
  ss <- standardizedSolution(fit)
  row <- ss[ss$op == "~~" & ss$lhs == "x" & ss$rhs == "y", ]
  # standardised regression + vcovCL
  m <- lm(scale(y) ~ scale(x))
  V <- vcovCL(m, cluster = g)
  ct <- coeftest(m, vcov. = V)
  se_reg <- ct[2, 2]
  sez_reg <- se_reg / (1 - r^2)
  list(method = method, n = n, n_clusters = G, r = r,
       influence = list(se = se_if, se_z = sez, ci_low = tanh(atanh(r) - q * sez),
                        ci_high = tanh(atanh(r) + q * sez), statistic = zst, p = 2 * pnorm(-abs(zst)),
                        lavaan_est = row$est.std, lavaan_se = row$se, lavaan_p = row$pvalue),
       regression = list(se = se_reg, slope = unname(coef(m)[2]), se_z = sez_reg,
                         ci_low = tanh(atanh(r) - q * sez_reg), ci_high = tanh(atanh(r) + q * sez_reg),
                         statistic = ct[2, 3], p = ct[2, 4], df = m$df.residual))
}

rsa <- read.csv("tests/data/rsa_sim.csv")
rossi <- read.csv("tests/data/rossi.csv")
rossi$cl <- (seq_len(nrow(rossi)) - 1L) %% 37L
out$rsa_pearson <- case(rsa$client, rsa$officer_rating, rsa$officer)
out$rsa_spearman <- case(rsa$client, rsa$officer_rating, rsa$officer, "spearman")
out$rossi_pearson <- case(rossi$age, rossi$prio, rossi$cl)
out$rsa_score6 <- case(rsa$client, rsa$score6, rsa$officer)

writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE),
           "tests/reference/cluster_correlation.json")
cat("wrote tests/reference/cluster_correlation.json\n")
