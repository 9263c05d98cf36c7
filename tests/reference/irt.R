# Reference values for wamkit.stats.irt (oracle: R psych::irt.fa and its information plot) and for the
# psych::bestScales baseline of wamkit.shortform.
# Run from the repository root:  Rscript tests/reference/irt.R
# Writes tests/reference/irt.json and exports tests/data/spi_trust_anxiety.csv (psychTools::spi, 4000 rows:
# the SPI-135 Trust and Anxiety items, an ordinal 1..6 set not used elsewhere).
#
# psych::irt.fa(x) = polychoric(x) (tetrachoric for 2 categories), fa(rho, nfactors, fm = "minres",
# rotate = "oblimin"), discrimination = lambda / sqrt(1 - lambda^2), difficulty = tau / sqrt(1 - lambda^2)
# per factor.  Its plot (psych:::plot.poly, type = "IIC"/"test") returns the item information at
# theta = -3..3 ($sumInfo), the area under each item's information curve on seq(-3, 3, 0.1) ($AUC) and the
# theta of maximal information ($max.info); psych computes the information of each category boundary as a
# logistic curve without the 1.702 scaling: sum_k a^2 P_k (1 - P_k), P_k = 1/(1 + exp(a (d_k - theta))).
#
# "grm_info" is the Fisher information of the normal-ogive graded response model with psych's parameters,
# written out here with pnorm/dnorm (no package): P*_k = pnorm(a theta - d_k),
# I(theta) = sum_c (dP_c/dtheta)^2 / P_c over the categories c, P_c = P*_c - P*_{c+1}.
suppressPackageStartupMessages({library(psych); library(psychTools); library(jsonlite)})

d <- read.csv("tests/data/bfi.csv")
spi_items <- c(spi.keys$Trust, spi.keys$Anxiety)
spi_raw <- spi[, sub("-", "", spi_items)]
write.csv(spi_raw, "tests/data/spi_trust_anxiety.csv", row.names = FALSE)

keyed <- function(x, keys, max_plus_min) {
  for (k in keys[startsWith(keys, "-")]) {
    it <- sub("-", "", k); x[[it]] <- max_plus_min - x[[it]]
  }
  colnames(x) <- sub("-", "", keys)
  x
}
num <- function(v) unname(as.numeric(v))
mat <- function(m) unname(lapply(seq_len(nrow(m)), function(i) as.numeric(m[i, ])))

grm_info <- function(a, dif, theta) {
  # a: item discrimination, dif: thresholds (psych difficulty), one item
  sapply(theta, function(t) {
    ps <- c(1, pnorm(a * t - dif), 0)
    dp <- c(0, a * dnorm(a * t - dif), 0)
    pc <- ps[-length(ps)] - ps[-1]
    dpc <- dp[-length(dp)] - dp[-1]
    sum(ifelse(pc > 0, dpc^2 / pc, 0))
  })
}

run <- function(x, nfactors = 1) {
  res <- suppressWarnings(suppressMessages(irt.fa(x, nfactors = nfactors, plot = FALSE)))
  pdf(NULL)
  iic <- plot(res, type = "IIC")
  tst <- plot(res, type = "test")
  dev.off()
  theta <- seq(-3, 3, 0.5)
  disc <- res$irt$discrimination
  out <- list(
    items = colnames(x), n_obs = res$n.obs, nfactors = nfactors,
    rho = mat(res$rho), tau = mat(res$tau),
    loadings = mat(unclass(res$fa$loadings)),
    discrimination = mat(disc),
    difficulty = lapply(res$irt$difficulty, mat),
    sum_info = lapply(iic$sumInfo, mat),     # per factor: items x theta (-3..3)
    auc = mat(iic$AUC), max_info = mat(iic$max.info),
    test_sum_info = lapply(tst$sumInfo, mat),
    grm_theta = theta,
    grm_info = lapply(seq_len(nfactors), function(f)
      mat(t(sapply(seq_len(nrow(disc)), function(i) grm_info(disc[i, f], res$irt$difficulty[[f]][i, ], theta)))))
  )
  out
}

a_keys <- c("-A1", "A2", "A3", "A4", "A5")
n_keys <- c("N1", "N2", "N3", "N4", "N5")
o_keys <- c("O1", "-O2", "O3", "O4", "-O5")
an_keys <- c(a_keys, n_keys)
cases <- list(
  bfi_A = list(data = "bfi", keys = a_keys, res = run(keyed(d[, sub("-", "", a_keys)], a_keys, 7))),
  bfi_N = list(data = "bfi", keys = n_keys, res = run(keyed(d[, n_keys], n_keys, 7))),
  bfi_O = list(data = "bfi", keys = o_keys, res = run(keyed(d[, sub("-", "", o_keys)], o_keys, 7))),
  bfi_AN_2 = list(data = "bfi", keys = an_keys, res = run(keyed(d[, sub("-", "", an_keys)], an_keys, 7), 2)),
  spi_trust = list(data = "spi", keys = spi.keys$Trust,
                   res = run(keyed(spi_raw[, sub("-", "", spi.keys$Trust)], spi.keys$Trust, 7))),
  spi_anxiety = list(data = "spi", keys = spi.keys$Anxiety,
                     res = run(keyed(spi_raw[, sub("-", "", spi.keys$Anxiety)], spi.keys$Anxiety, 7)))
)

# ---------------------------------------------------------------- psych::bestScales (n.iter = 1: no resampling)
best <- list()
items25 <- colnames(d)[2:26]
for (crit in c("age", "gender")) {
  for (n_item in c(5, 10)) {
    x <- d[, c(items25, crit)]
    b <- suppressWarnings(suppressMessages(bestScales(x, criteria = crit, n.item = n_item)))
    r_all <- cor(x[, items25], x[, crit], use = "pairwise")
    key <- b$key[, 1]
    best[[paste0(crit, "_", n_item)]] <- list(
      criterion = crit, n_item = n_item, cut = num(b$cut),
      item_r = num(r_all), items = items25,
      selected = names(key)[key != 0], signs = num(key[key != 0]),
      validity = num(b$r)
    )
  }
}

out <- list(
  meta = list(
    R = R.version.string, psych = as.character(packageVersion("psych")),
    psychTools = as.character(packageVersion("psychTools")),
    GPArotation = as.character(packageVersion("GPArotation")),
    jsonlite = as.character(packageVersion("jsonlite")),
    calls = list(
      irt = "irt.fa(x, nfactors, plot = FALSE); plot(res, type = 'IIC') and plot(res, type = 'test') on pdf(NULL)",
      best = "bestScales(bfi[, c(25 items, crit)], criteria = crit, n.item = n_item)  # n.iter = 1, cut = .1",
      keyed = "reversed items: 7 - x (scales 1..6)"
    )
  ),
  irt = cases,
  best_scales = best
)
write_json(out, "tests/reference/irt.json", digits = NA, auto_unbox = TRUE, null = "null", na = "null",
           pretty = FALSE)
cat("wrote tests/reference/irt.json\n")
