# Reference values for wamkit.stats.{correlation,efa,rotation,nfactors}.
# Run from the repository root:  Rscript tests/reference/efa.R
# Writes tests/reference/efa.json (R is the oracle only; tests never call R).
suppressPackageStartupMessages({
  library(psych)
  library(GPArotation)
  library(jsonlite)
})

bfi_all <- read.csv("tests/data/bfi.csv", check.names = FALSE)
items <- c(paste0("A", 1:5), paste0("C", 1:5), paste0("E", 1:5),
           paste0("N", 1:5), paste0("O", 1:5))
bfi <- bfi_all[, items]
hs_all <- read.csv("tests/data/hs1939.csv", check.names = FALSE)
hs <- hs_all[, paste0("x", 1:9)]

num_or_null <- function(x) if (is.null(x)) NULL else unname(x)

fa_out <- function(f) {
  L <- unclass(f$loadings)
  list(
    loadings = unname(L),
    factor_names = colnames(L),
    communality = unname(f$communality),      # h2 = diag(L L')
    communalities = unname(f$communalities),  # 1 - optim par (or PA comm sum)
    uniquenesses = unname(f$uniquenesses),
    Phi = if (is.null(f$Phi)) NULL else unname(f$Phi),
    Structure = unname(unclass(f$Structure)),
    Vaccounted = unname(f$Vaccounted),
    Vaccounted_rows = rownames(f$Vaccounted),
    e_values = unname(f$e.values),
    values = unname(f$values),
    objective = f$objective,
    STATISTIC = f$STATISTIC,
    dof = f$dof,
    PVAL = f$PVAL,
    RMSEA = unname(f$RMSEA),
    TLI = f$TLI,
    BIC = f$BIC,
    SABIC = f$SABIC,
    rms = f$rms,
    crms = f$crms,
    fit = f$fit,
    fit_off = f$fit.off,
    chi = f$chi,
    EPVAL = f$EPVAL,
    EBIC = f$EBIC,
    nh = f$nh,
    null_model = f$null.model,
    null_dof = f$null.dof,
    null_chisq = f$null.chisq,
    complexity = unname(f$complexity),
    R2 = unname(f$R2),
    residual = unname(f$residual)
  )
}

# ---- correlations --------------------------------------------------------
R_pw <- cor(bfi, use = "pairwise")
np_obs <- pairwiseCount(bfi)
R_lw <- cor(bfi, use = "complete.obs")
n_lw <- sum(complete.cases(bfi))
R_hs <- cor(hs)

# ---- KMO / Bartlett ------------------------------------------------------
k <- KMO(R_pw)
b <- cortest.bartlett(R_pw, n = 2800)
k_hs <- KMO(R_hs)
b_hs <- cortest.bartlett(R_hs, n = nrow(hs))

# ---- fa ------------------------------------------------------------------
fits <- list(
  # raw data call: psych finds pairwise R itself and uses np.obs for the
  # empirical statistics (chi, rms, crms, EBIC)
  minres_oblimin_raw = fa(bfi, 5),
  # correlation-matrix call (np.obs NULL)
  minres_oblimin = fa(R_pw, 5, n.obs = 2800),
  minres_quartimin = fa(R_pw, 5, n.obs = 2800, rotate = "quartimin"),
  minres_geomin = fa(R_pw, 5, n.obs = 2800, rotate = "geominQ"),
  minres_varimax = fa(R_pw, 5, n.obs = 2800, rotate = "varimax"),
  minres_none = fa(R_pw, 5, n.obs = 2800, rotate = "none"),
  minres_1 = fa(R_pw, 1, n.obs = 2800),
  ml_varimax = fa(R_pw, 5, n.obs = 2800, fm = "ml", rotate = "varimax"),
  ml_oblimin = fa(R_pw, 5, n.obs = 2800, fm = "ml", rotate = "oblimin"),
  pa_promax = fa(R_pw, 5, n.obs = 2800, fm = "pa", rotate = "promax"),
  pa_oblimin = fa(R_pw, 5, n.obs = 2800, fm = "pa", rotate = "oblimin"),
  minres_quartimax = fa(R_pw, 5, n.obs = 2800, rotate = "quartimax"),
  minres_geominT = fa(R_pw, 5, n.obs = 2800, rotate = "geominT"),
  minres_Promax = fa(R_pw, 5, n.obs = 2800, rotate = "Promax"),
  pa_1 = fa(R_pw, 1, n.obs = 2800, fm = "pa"),
  ml_1 = fa(R_pw, 1, n.obs = 2800, fm = "ml"),
  ml_3_promax = fa(R_pw, 3, n.obs = 2800, fm = "ml", rotate = "promax"),
  hs_minres_oblimin = fa(R_hs, 3, n.obs = nrow(hs)),
  hs_ml_promax = fa(R_hs, 3, n.obs = nrow(hs), fm = "ml", rotate = "promax"),
  hs_pa_varimax = fa(R_hs, 3, n.obs = nrow(hs), fm = "pa", rotate = "varimax")
)
fa_json <- lapply(fits, fa_out)

# ---- MAP -----------------------------------------------------------------
v <- VSS(R_pw, n = 8, n.obs = 2800, plot = FALSE)
v_hs <- VSS(R_hs, n = 8, n.obs = nrow(hs), plot = FALSE)

# ---- parallel analysis ---------------------------------------------------
# fa.parallel draws inside parallel::mclapply; with one core it uses the main
# RNG stream, so set.seed() makes the reference reproducible
options(mc.cores = 1)
set.seed(123)
pa <- fa.parallel(bfi, n.iter = 20, plot = FALSE)
set.seed(123)
pa_hs <- fa.parallel(hs, n.iter = 20, plot = FALSE)
# a longer run for comparing the simulated means (less Monte Carlo noise)
set.seed(2024)
pa_long <- fa.parallel(bfi, n.iter = 200, plot = FALSE)
pa_out <- function(p) list(nfact = p$nfact, ncomp = p$ncomp,
                           fa_values = unname(p$fa.values),
                           pc_values = unname(p$pc.values),
                           pc_sim = unname(p$pc.sim), pc_simr = unname(p$pc.simr),
                           fa_sim = unname(p$fa.sim), fa_simr = unname(p$fa.simr))

out <- list(
  meta = list(
    R = R.version.string,
    psych = as.character(packageVersion("psych")),
    GPArotation = as.character(packageVersion("GPArotation")),
    jsonlite = as.character(packageVersion("jsonlite")),
    generated = format(Sys.time(), "%Y-%m-%dT%H:%M:%SZ", tz = "UTC"),
    script = "tests/reference/efa.R"
  ),
  items = items,
  cor = list(pairwise = unname(R_pw), np_obs = unname(np_obs),
             listwise = unname(R_lw), n_listwise = n_lw,
             hs = unname(R_hs), hs_n = nrow(hs)),
  kmo = list(MSA = k$MSA, MSAi = unname(k$MSAi)),
  bartlett = list(chisq = b$chisq, df = b$df, p_value = b$p.value),
  kmo_hs = list(MSA = k_hs$MSA, MSAi = unname(k_hs$MSAi)),
  bartlett_hs = list(chisq = b_hs$chisq, df = b_hs$df, p_value = b_hs$p.value),
  fa = fa_json,
  map = unname(v$map),
  map_hs = unname(v_hs$map),
  parallel = pa_out(pa),
  parallel_hs = pa_out(pa_hs),
  parallel_200 = c(pa_out(pa_long),
                   # draws whose 1-factor fit of the simulated/resampled data has a
                   # first reduced eigenvalue > 0.5 (a Heywood case)
                   list(n_heywood_sim = sum(pa_long$values[, 75 + 1] > 0.5),
                        n_heywood_resampled = sum(pa_long$values[, 25 + 1] > 0.5),
                        # mean first factor eigenvalue over the other draws
                        fa_sim1_regular = mean(pa_long$values[pa_long$values[, 76] <= 0.5, 76]),
                        fa_simr1_regular = mean(pa_long$values[pa_long$values[, 26] <= 0.5, 26])))
)

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null",
                  null = "null", matrix = "rowmajor", pretty = FALSE),
           "tests/reference/efa.json")
cat("wrote tests/reference/efa.json\n")
