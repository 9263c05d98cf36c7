# Reference values for wamkit.stats.polychoric (oracles: psych::polychoric, lavaan::lavCor).
# Run from the repository root:  Rscript tests/reference/polychoric.R
# Writes tests/reference/polychoric.json.
suppressPackageStartupMessages({library(psych); library(lavaan); library(jsonlite)})

d <- read.csv("tests/data/bfi.csv")
items <- colnames(d)[2:26]
A <- d[, c("A1", "A2", "A3", "A4", "A5")]
all25 <- d[, items]
# unequal numbers of categories -> psych switches to global=FALSE (pairwise thresholds, correction .5)
ng <- d[1:200, c("A1", "A2", "A3", "A4", "A5")]
ng$A1 <- pmin(ng$A1, 5)

tm <- function(expr) { t0 <- proc.time()[["elapsed"]]; v <- expr; list(v = v, s = proc.time()[["elapsed"]] - t0) }
pp <- function(x) {
  r <- tm(suppressWarnings(polychoric(x)))
  list(rho = unname(r$v$rho), tau = unname(r$v$tau), n_obs = r$v$n.obs, seconds = r$s)
}
lv <- function(x, missing) {
  r <- tm(lavCor(x, ordered = names(x), missing = missing, output = "fit"))
  fit <- r$v
  th <- lavInspect(fit, "sampstat")$th
  list(rho = unname(unclass(lavInspect(fit, "sampstat")$cov)), th = unname(as.numeric(th)),
       nobs = lavInspect(fit, "nobs"), seconds = r$s)
}

# the exact optimum of psych's likelihood (psych's optimize() stops at tol = eps^.25)
exact <- function(x) {
  p <- suppressWarnings(polychoric(x, smooth = FALSE))
  tau <- t(p$tau); xm <- as.matrix(x); k <- ncol(xm); R <- diag(k)
  for (i in 2:k) for (j in 1:(i - 1)) {
    tab <- psych:::tableFast(xm[, i], xm[, j], 1, 6, 1, 6); tab <- tab / sum(tab)
    R[i, j] <- R[j, i] <- optimize(psych:::polyF, interval = c(-1, 1), rc = tau[, i], cc = tau[, j],
                                   tab, tol = 1e-12)$minimum
  }
  R
}

Ak <- A; Ak$A1 <- 7 - Ak$A1
out <- list(
  meta = list(
    R = R.version.string, psych = as.character(packageVersion("psych")),
    lavaan = as.character(packageVersion("lavaan")), mnormt = as.character(packageVersion("mnormt")),
    jsonlite = as.character(packageVersion("jsonlite")), data = "tests/data/bfi.csv",
    calls = list(
      psych = "psych::polychoric(x)  (global=TRUE, smooth=TRUE, correct=.5)",
      psych_exact = "psych::polychoric likelihood optimised with optimize(tol=1e-12) instead of eps^.25",
      lavaan = "lavaan::lavCor(x, ordered=names(x), missing=M, output='fit'); lavInspect(fit,'sampstat')",
      nonglobal = "bfi[1:200, A1..A5] with A1 <- pmin(A1, 5): psych::polychoric(x) switches to global=FALSE",
      smooth = "psych::cor.smooth(M)",
      ordinal_alpha = "psych::alpha(psych::polychoric(A with A1 -> 7 - A1)$rho)$total$raw_alpha"
    )
  ),
  items25 = items,
  agree = pp(A),
  agree_exact = unname(exact(A)),
  all25 = pp(all25),
  nonglobal = pp(ng),
  agree_lavaan_listwise = lv(A, "listwise"),
  agree_lavaan_pairwise = lv(A, "pairwise"),
  smooth = list(input = matrix(c(1, .9, -.9, .9, 1, .9, -.9, .9, 1), 3),
                output = unname(suppressWarnings(cor.smooth(matrix(c(1, .9, -.9, .9, 1, .9, -.9, .9, 1), 3))))),
  ordinal_alpha_agree = unname(suppressWarnings(alpha(polychoric(Ak)$rho))$total$raw_alpha)
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "tests/reference/polychoric.json")
