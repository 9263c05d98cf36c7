# Reference values for wamkit.stats.reliability (oracle: R psych).
# Run from the repository root:  Rscript tests/reference/reliability.R
# Writes tests/reference/reliability.json.
suppressPackageStartupMessages({library(psych); library(jsonlite)})

d <- read.csv("tests/data/bfi.csv")
scales <- list(
  agree = c("-A1", "A2", "A3", "A4", "A5"),
  conscientious = c("C1", "C2", "C3", "-C4", "-C5"),
  extraversion = c("-E1", "-E2", "E3", "E4", "E5"),
  neuroticism = c("N1", "N2", "N3", "N4", "N5"),
  openness = c("O1", "-O2", "O3", "O4", "-O5")
)
# items are reverse-keyed BEFORE calling psych (wamkit's alpha() takes keyed items): 7 - x on a 1..6 scale
keyed <- function(keys) {
  items <- sub("-", "", keys)
  x <- d[, items]
  for (k in keys[startsWith(keys, "-")]) {
    it <- sub("-", "", k); x[[it]] <- 7 - x[[it]]
  }
  x
}
num <- function(v) unname(as.numeric(v))

out <- list(
  meta = list(
    R = R.version.string, psych = as.character(packageVersion("psych")),
    GPArotation = as.character(packageVersion("GPArotation")),
    jsonlite = as.character(packageVersion("jsonlite")),
    data = "tests/data/bfi.csv", reverse = "7 - x on reversed items (scale 1..6)",
    calls = list(
      alpha = "psych::alpha(x)  (use='pairwise', items already keyed)",
      feldt = "psych::alpha(x)$feldt  (= psych::alpha.ci(raw_alpha, n.obs=nrow(x), n.var=ncol(x)))",
      omega = "psych::omega(x, nfactors=1, fm='minres', plot=FALSE)  (x raw keyed data -> cor(x, use='pairwise'))",
      boot = "set.seed(1); psych::alpha(x, n.iter=1000)$boot.ci",
      item_shares = "colMeans(is.na(x)); colMeans(x == 1, na.rm=TRUE); colMeans(x == 6, na.rm=TRUE)",
      ordinal_alpha = "R <- psych::polychoric(x)$rho; psych::alpha(R)"
    )
  ),
  scales = list()
)

for (nm in names(scales)) {
  x <- keyed(scales[[nm]])
  a <- suppressWarnings(alpha(x))
  tot <- a$total
  dr <- a$alpha.drop
  st <- a$item.stats
  om <- suppressWarnings(suppressMessages(omega(x, nfactors = 1, fm = "minres", plot = FALSE)))
  Rp <- cor(x, use = "pairwise")
  f1 <- suppressWarnings(suppressMessages(fa(Rp, 1, fm = "minres", n.obs = nrow(x))))
  out$scales[[nm]] <- list(
    keys = scales[[nm]], items = colnames(x), n_obs = nrow(x),
    total = list(
      raw_alpha = num(tot$raw_alpha), std_alpha = num(tot$std.alpha), g6 = num(tot[["G6(smc)"]]),
      average_r = num(tot$average_r), signal_noise = num(tot[["S/N"]]), ase = num(tot$ase),
      mean = num(tot$mean), sd = num(tot$sd), median_r = num(tot$median_r),
      var_r = num(a$var.r), unidim = num(a$Unidim), fit_off = num(a$Fit)
    ),
    feldt = list(lower = num(a$feldt$lower.ci), alpha = num(a$feldt$alpha), upper = num(a$feldt$upper.ci)),
    alpha_drop = list(
      raw_alpha = num(dr$raw_alpha), std_alpha = num(dr$std.alpha), g6 = num(dr[["G6(smc)"]]),
      average_r = num(dr$average_r), signal_noise = num(dr[["S/N"]]), alpha_se = num(dr[["alpha se"]]),
      var_r = num(dr$var.r), median_r = num(dr$med.r)
    ),
    item_stats = list(
      n = num(st$n), raw_r = num(st$raw.r), std_r = num(st$std.r), r_cor = num(st$r.cor),
      r_drop = num(st$r.drop), mean = num(st$mean), sd = num(st$sd),
      missing_share = num(colMeans(is.na(x))),
      floor_share = num(colMeans(x == 1, na.rm = TRUE)),
      ceiling_share = num(colMeans(x == 6, na.rm = TRUE))
    ),
    omega = list(omega_tot = num(om$omega.tot), omega_h = num(om$omega_h), alpha = num(om$alpha),
                 g_loadings = num(om$schmid$sl[, 1]), u2 = num(om$schmid$sl[, "u2"]),
                 fa1_loadings = num(f1$loadings[, 1]))
  )
}

# bootstrap percentiles (RNG-dependent; wamkit is only compared loosely)
for (nm in c("agree", "neuroticism")) {
  x <- keyed(scales[[nm]])
  set.seed(1)
  t0 <- proc.time()[["elapsed"]]
  b <- suppressWarnings(alpha(x, n.iter = 1000))
  out$scales[[nm]]$boot <- list(n_iter = 1000, seed = 1, ci = num(b$boot.ci),
                                 seconds = proc.time()[["elapsed"]] - t0)
}

# ordinal alpha: alpha on the psych polychoric matrix of the keyed agreeableness items
x <- keyed(scales$agree)
pc <- polychoric(x)
ao <- suppressWarnings(alpha(pc$rho))
out$ordinal_agree <- list(
  rho = unname(pc$rho),
  raw_alpha = num(ao$total$raw_alpha), std_alpha = num(ao$total$std.alpha), g6 = num(ao$total[["G6(smc)"]]),
  average_r = num(ao$total$average_r), signal_noise = num(ao$total[["S/N"]]), median_r = num(ao$total$median_r),
  drop_raw_alpha = num(ao$alpha.drop$raw_alpha), drop_g6 = num(ao$alpha.drop[["G6(smc)"]]),
  std_r = num(ao$item.stats$r), r_cor = num(ao$item.stats$r.cor), r_drop = num(ao$item.stats$r.drop)
)

# ordinal omega (psych polychoric inside omega)
oo <- suppressWarnings(suppressMessages(omega(x, nfactors = 1, poly = TRUE, plot = FALSE)))
out$ordinal_agree$omega_tot <- num(oo$omega.tot)
out$ordinal_agree$omega_h <- num(oo$omega_h)
out$meta$calls$ordinal_omega <- "psych::omega(x, nfactors=1, poly=TRUE, plot=FALSE)  (x = keyed agreeableness items)"

# two items: psych's special case for alpha.drop
x2 <- d[, c("A2", "A3")]
a2 <- suppressWarnings(alpha(x2))
out$two_items <- list(
  items = c("A2", "A3"),
  raw_alpha = num(a2$total$raw_alpha), std_alpha = num(a2$total$std.alpha), g6 = num(a2$total[["G6(smc)"]]),
  ase = num(a2$total$ase), drop_raw_alpha = num(a2$alpha.drop$raw_alpha), drop_g6 = num(a2$alpha.drop[["G6(smc)"]]),
  r_drop = num(a2$item.stats$r.drop), raw_r = num(a2$item.stats$raw.r)
)

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "tests/reference/reliability.json")
