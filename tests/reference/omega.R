# Reference values for wamkit.stats.reliability.omega_hierarchical (oracle: R psych::omega).
# Run from the repository root:  Rscript tests/reference/omega.R
# Writes tests/reference/omega.json and exports tests/data/thurstone.csv (psych::Thurstone, n.obs = 213).
#
# psych::omega(m, nfactors, fm = "minres", rotate = "oblimin", option = "equal", flip = TRUE, poly = FALSE)
# = Schmid-Leiman transformation (psych::schmid) of the oblique solution: fa(R, k, rotate = "varimax"),
# GPArotation::oblimin of those loadings, a one-factor minres fa of the factor correlations (k > 2) or
# sqrt(|phi_12|) (k = 2, option = "equal"), then omega_h, omega.tot, omega.lim, ECV, alpha, G6.
suppressPackageStartupMessages({library(psych); library(GPArotation); library(jsonlite)})

d <- read.csv("tests/data/bfi.csv")
hs <- read.csv("tests/data/hs1939.csv")
write.csv(data.frame(item = rownames(Thurstone), Thurstone, check.names = FALSE),
          "tests/data/thurstone.csv", row.names = FALSE)

keys <- c("-A1", "A2", "A3", "A4", "A5", "C1", "C2", "C3", "-C4", "-C5", "-E1", "-E2", "E3", "E4", "E5",
          "N1", "N2", "N3", "N4", "N5", "O1", "-O2", "O3", "O4", "-O5")
# items are reverse-keyed before psych sees them (wamkit keys items itself): 7 - x on a 1..6 scale
keyed <- function(k) {
  items <- sub("-", "", k)
  x <- d[, items]
  for (kk in k[startsWith(k, "-")]) {
    it <- sub("-", "", kk); x[[it]] <- 7 - x[[it]]
  }
  x
}
num <- function(v) unname(as.numeric(v))
mat <- function(m) unname(lapply(seq_len(nrow(m)), function(i) as.numeric(m[i, ])))

run <- function(x, nfactors, ..., n.obs = NA) {
  om <- suppressWarnings(suppressMessages(omega(x, nfactors = nfactors, plot = FALSE, n.obs = n.obs, ...)))
  sl <- om$schmid$sl
  k <- nfactors
  list(
    items = colnames(if (is.matrix(x) || is.data.frame(x)) x else x$rho),
    nfactors = nfactors,
    omega_h = num(om$omega_h), omega_lim = num(om$omega.lim), omega_tot = num(om$omega.tot),
    alpha = num(om$alpha), G6 = num(om$G6), ECV = num(om$ECV),
    key = num(om$key),
    g = num(sl[, 1]), group = mat(sl[, 2:(k + 1), drop = FALSE]),
    h2 = num(sl[, "h2"]), u2 = num(sl[, "u2"]), p2 = num(sl[, "p2"]),
    oblique = mat(om$schmid$oblique), phi = if (k > 1) mat(om$schmid$phi) else NULL,
    gloading = num(om$schmid$gloading),
    omega_group = list(total = num(om$omega.group$total), general = num(om$omega.group$general),
                       group = num(om$omega.group$group))
  )
}

acn <- c("-A1", "A2", "A3", "A4", "A5", "C1", "C2", "C3", "-C4", "-C5", "N1", "N2", "N3", "N4", "N5")
an <- c("-A1", "A2", "A3", "A4", "A5", "N1", "N2", "N3", "N4", "N5")
hsx <- hs[, paste0("x", 1:9)]

cases <- list(
  bfi25_5 = list(data = "bfi", keys = keys, res = run(keyed(keys), 5),
                 call = "omega(x, nfactors = 5)  # x = 25 keyed bfi items (raw data, cor use='pairwise')"),
  bfi_acn_3 = list(data = "bfi", keys = acn, res = run(keyed(acn), 3),
                   call = "omega(x, nfactors = 3)  # A, C, N keyed"),
  bfi_acn_3_poly = list(data = "bfi", keys = acn, res = run(keyed(acn), 3, poly = TRUE),
                        call = "omega(x, nfactors = 3, poly = TRUE)"),
  bfi_acn_3_pa = list(data = "bfi", keys = acn, res = run(keyed(acn), 3, fm = "pa"),
                      call = "omega(x, nfactors = 3, fm = 'pa')"),
  bfi_an_2_equal = list(data = "bfi", keys = an, res = run(keyed(an), 2),
                        call = "omega(x, nfactors = 2)  # option = 'equal'; N loads negatively on g -> flipped"),
  bfi_an_2_noflip = list(data = "bfi", keys = an, res = run(keyed(an), 2, flip = FALSE),
                         call = "omega(x, nfactors = 2, flip = FALSE)"),
  bfi_an_2_first = list(data = "bfi", keys = an, res = run(keyed(an), 2, option = "first"),
                        call = "omega(x, nfactors = 2, option = 'first')"),
  bfi_an_2_second = list(data = "bfi", keys = an, res = run(keyed(an), 2, option = "second"),
                         call = "omega(x, nfactors = 2, option = 'second')"),
  thurstone_3 = list(data = "thurstone", res = run(Thurstone, 3, n.obs = 213),
                     call = "omega(Thurstone, nfactors = 3, n.obs = 213)"),
  hs_3 = list(data = "hs1939", res = run(hsx, 3), call = "omega(hs[, x1:x9], nfactors = 3)"),
  hs_3_promax = list(data = "hs1939", res = run(hsx, 3, rotate = "promax"),
                     call = "omega(hs[, x1:x9], nfactors = 3, rotate = 'promax')"),
  bfi_acn_3_geomin = list(data = "bfi", keys = acn, res = run(keyed(acn), 3, rotate = "geominQ"),
                          call = "omega(x, nfactors = 3, rotate = 'geominQ')")
)

out <- list(
  meta = list(
    R = R.version.string, psych = as.character(packageVersion("psych")),
    GPArotation = as.character(packageVersion("GPArotation")),
    jsonlite = as.character(packageVersion("jsonlite")),
    reverse = "bfi: 7 - x on reversed items (scale 1..6) before omega",
    note = "omega.group rows: g, F1*, ..., Fk*"
  ),
  cases = cases
)
write_json(out, "tests/reference/omega.json", digits = NA, auto_unbox = TRUE, null = "null", na = "null", pretty = FALSE)
cat("wrote tests/reference/omega.json\n")
