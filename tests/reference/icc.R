# Reference values for wamkit.stats.icc and the agreement part of wamkit.dyads.
# Run from the repository root:  Rscript tests/reference/icc.R
# Writes tests/reference/icc.json (read by tests/test_icc.py and tests/test_dyads.py).
suppressPackageStartupMessages({
  library(psych)
  library(jsonlite)
})

icc_forms <- function(x, alpha = 0.05) {
  r <- psych::ICC(x, lmer = FALSE, alpha = alpha)$results
  out <- list()
  for (i in seq_len(nrow(r))) {
    out[[r$type[i]]] <- list(
      icc = r$ICC[i], f = r$F[i], df1 = r$df1[i], df2 = r$df2[i], p = r$p[i],
      lower = r[["lower bound"]][i], upper = r[["upper bound"]][i])
  }
  out
}

cases <- list()

# 1. Shrout & Fleiss (1979) 6 targets x 4 judges (peers.md section 9.3)
sf <- matrix(c(9, 2, 5, 8,
               6, 1, 3, 2,
               8, 4, 6, 8,
               7, 1, 2, 6,
               10, 5, 6, 9,
               6, 2, 4, 7), ncol = 4, byrow = TRUE)
cases$shrout_fleiss <- list(data = sf, alpha = 0.05, forms = icc_forms(sf))
# the same data with 90% bounds
cases$shrout_fleiss_alpha10 <- list(data = sf, alpha = 0.10, forms = icc_forms(sf, alpha = 0.10))

# 2. Larger generated case: 60 targets x 5 raters with target and rater effects
set.seed(20261122)
n <- 60; k <- 5
target <- rnorm(n, 0, 1.2)
rater <- c(-0.4, 0, 0.3, 0.6, -0.2)
big <- outer(target, rater, "+") + matrix(rnorm(n * k, 0, 0.9), n, k)
big <- round(3 + big, 6)
cases$generated_60x5 <- list(data = big, alpha = 0.05, forms = icc_forms(big))

# 3. Two raters (a dyad design: client vs professional), 40 dyad-waves on a 1-5 scale,
#    plus Bland-Altman quantities, Pearson r and the classical difference-score reliability.
set.seed(7)
m <- 40
true <- rnorm(m, 3.6, 0.6)
client <- round(pmin(5, pmax(1, true + 0.2 + rnorm(m, 0, 0.4))), 4)
professional <- round(pmin(5, pmax(1, true + rnorm(m, 0, 0.5))), 4)
two <- cbind(client, professional)
d <- client - professional
rxx <- 0.85; ryy <- 0.78
rxy <- cor(client, professional)
cases$two_raters <- list(
  data = unname(two), alpha = 0.05, forms = icc_forms(two),
  mean_difference = mean(d), sd_difference = sd(d),
  loa_low = mean(d) - 1.96 * sd(d), loa_high = mean(d) + 1.96 * sd(d),
  r = rxy, rel_client = rxx, rel_professional = ryy,
  difference_reliability = (0.5 * (rxx + ryy) - rxy) / (1 - rxy))

# 4. statsBy ICC1 / ICC2 on bfi A2, A3 grouped by education (peers.md section 9.2)
bfi <- read.csv("tests/data/bfi.csv")
sb <- psych::statsBy(bfi[c("A2", "A3", "education")], group = "education")
nvalid <- sapply(c("A2", "A3"), function(v) sum(!is.na(bfi[[v]]) & !is.na(bfi$education)))
statsby <- list()
for (v in c("A2", "A3")) {
  npr <- nvalid[[v]] / sb$nG[[v]]
  statsby[[v]] <- list(icc1 = unname(sb$ICC1[v]), icc2 = unname(sb$ICC2[v]),
                       f = unname(sb$F[v]), n_groups = unname(sb$nG[v]),
                       n_obs = nvalid[[v]], mean_group_size = npr,
                       design_effect = 1 + (npr - 1) * unname(sb$ICC1[v]))
}

out <- list(
  generated_by = "tests/reference/icc.R",
  r_version = R.version.string,
  psych_version = as.character(packageVersion("psych")),
  jsonlite_version = as.character(packageVersion("jsonlite")),
  cases = cases,
  statsby_bfi_education = statsby)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, matrix = "rowmajor"),
           "tests/reference/icc.json")
