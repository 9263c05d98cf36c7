# Reference values for wamkit.stats.apim (APIM for distinguishable dyads by GLS/REML).
#
# Run from the repository root:   Rscript tests/reference/apim.R
# Writes tests/reference/apim.json (read by tests/stats/test_apim.py).
#
# Data:
# * tests/data/acitelli_individual.csv -- Acitelli couples data (148 couples), a teaching
#   data set of Kenny, Kashy & Cook (2006), copied unchanged from the repository
#   RandiLGarcia/2day-dyad-workshop, file "Data/acitelli individual.csv" (commit
#   0348fdf0d701babc8540dde71a9b2674562eb047). gender 1 = husband, -1 = wife. The
#   repository's "Other Programs/R/APIM Output.txt" prints the same fit (actor husband
#   0.4243866 (0.0677157), actor wife 0.3777000, partner wife->husband 0.2616498,
#   partner husband->wife 0.3214782, rho 0.4751092); the test checks those too.
# * tests/data/apim_sim_long.csv -- simulated cross-lagged dyads (tests/data/make_dyadic_sim.py).
#
# Model (distinguishable, REML):
#   gls(y ~ 0 + role + role:actor + role:partner,
#       correlation = corCompSymm(form = ~ 1 | dyad), weights = varIdent(form = ~ 1 | role),
#       method = "REML", na.action = na.omit)
# Indistinguishable: gls(y ~ actor + partner, correlation = corCompSymm(form = ~ 1 | dyad)).
# Distinguishability test: both refitted with method = "ML", anova(indist, dist) (LR, 4 df).
# k = partner / actor per role with the delta method from vcov(fit).

suppressPackageStartupMessages({
  library(jsonlite)
  library(nlme)
})

out <- list()
out$meta <- list(
  r_version = R.version.string,
  nlme = as.character(packageVersion("nlme")),
  jsonlite = as.character(packageVersion("jsonlite")),
  generated = format(Sys.time(), tz = "UTC", usetz = TRUE)
)

# optim (BFGS) with a tight relative tolerance: gls's default nlminb stops ~1e-7 short of
# the optimum in rho (Acitelli: 0.4751092318 vs 0.4751093659, the latter with a higher
# restricted log-likelihood), which would make the reference less precise than the test
# tolerance (1e-6 relative).
ctrl <- glsControl(opt = "optim", tolerance = 1e-12, msTol = 1e-15, msMaxIter = 1000, maxIter = 1000)

est_t <- function(fit, term) {
  tt <- summary(fit)$tTable
  df <- fit$dims$N - fit$dims$p
  b <- tt[term, "Value"]; se <- tt[term, "Std.Error"]; q <- qt(0.975, df)
  list(estimate = b, se = se, ci_low = b - q * se, ci_high = b + q * se,
       statistic = tt[term, "t-value"], pvalue = tt[term, "p-value"], df = df)
}

k_ratio <- function(fit, a_term, p_term) {
  b <- coef(fit); V <- vcov(fit)
  a <- b[a_term]; p <- b[p_term]
  g <- setNames(rep(0, length(b)), names(b))
  g[a_term] <- -p / a^2; g[p_term] <- 1 / a
  k <- unname(p / a); se <- sqrt(as.numeric(t(g) %*% V %*% g)); q <- qnorm(0.975)
  list(estimate = k, se = se, ci_low = k - q * se, ci_high = k + q * se, statistic = k / se,
       pvalue = 2 * pnorm(-abs(k / se)))
}

apim_fit <- function(pw, roles) {
  pw$role <- factor(pw$role, levels = roles)
  pw <- pw[complete.cases(pw[, c("y", "actor", "partner", "dyad", "role")]), ]
  dist <- gls(y ~ 0 + role + role:actor + role:partner,
              correlation = corCompSymm(form = ~ 1 | dyad), weights = varIdent(form = ~ 1 | role),
              data = pw, method = "REML", control = ctrl)
  indist <- gls(y ~ actor + partner, correlation = corCompSymm(form = ~ 1 | dyad),
                data = pw, method = "REML", control = ctrl)
  dist_ml <- update(dist, method = "ML")
  indist_ml <- update(indist, method = "ML")
  av <- anova(indist_ml, dist_ml)
  r0 <- roles[1]; r1 <- roles[2]
  tn <- function(r, what) paste0("role", r, ":", what)
  ratios <- coef(dist$modelStruct$varStruct, unconstrained = FALSE, allCoef = TRUE)
  o <- list(roles = roles, n_rows = dist$dims$N, df = dist$dims$N - dist$dims$p,
            n_dyads = length(unique(pw$dyad)),
            n_complete_dyads = sum(table(pw$dyad) == 2),
            terms = names(coef(dist)), coef = unname(coef(dist)), vcov = unname(vcov(dist)),
            intercept = setNames(list(est_t(dist, paste0("role", r0)), est_t(dist, paste0("role", r1))),
                                 c(r0, r1)),
            actor = setNames(list(est_t(dist, tn(r0, "actor")), est_t(dist, tn(r1, "actor"))), c(r0, r1)),
            partner = setNames(list(est_t(dist, tn(r0, "partner")), est_t(dist, tn(r1, "partner"))),
                               c(r0, r1)),
            k = setNames(list(k_ratio(dist, tn(r0, "actor"), tn(r0, "partner")),
                              k_ratio(dist, tn(r1, "actor"), tn(r1, "partner"))), c(r0, r1)),
            residual_correlation = unname(coef(dist$modelStruct$corStruct, unconstrained = FALSE)),
            residual_sd = setNames(as.list(unname(dist$sigma * ratios[c(r0, r1)])), c(r0, r1)),
            loglik = as.numeric(logLik(dist)), aic = AIC(dist), bic = BIC(dist),
            indistinguishable = list(
              intercept = est_t(indist, "(Intercept)"), actor = est_t(indist, "actor"),
              partner = est_t(indist, "partner"),
              residual_correlation = unname(coef(indist$modelStruct$corStruct, unconstrained = FALSE)),
              residual_sd = indist$sigma, loglik = as.numeric(logLik(indist))),
            ml_loglik = list(distinguishable = as.numeric(logLik(dist_ml)),
                             indistinguishable = as.numeric(logLik(indist_ml))),
            distinguishability_test = list(statistic = av$L.Ratio[2], df = av$df[2] - av$df[1],
                                           pvalue = av$`p-value`[2]))
  o
}

# ------------------------------------------------------------ Acitelli --
ac <- read.csv("tests/data/acitelli_individual.csv")
ac$role <- ifelse(ac$gender == 1, "husband", "wife")
partner <- data.frame(cuplid = ac$cuplid, gender = -ac$gender, partner = ac$other_pos)
ac <- merge(ac, partner, by = c("cuplid", "gender"))
pw <- data.frame(dyad = ac$cuplid, role = ac$role, y = ac$satisfaction, actor = ac$other_pos,
                 partner = ac$partner)
out$acitelli <- apim_fit(pw, c("husband", "wife"))

# incomplete dyads: drop the wife's row of the first 20 couples and the husband's of the next 10
ids <- sort(unique(pw$dyad))
inc <- pw[!((pw$dyad %in% ids[1:20] & pw$role == "wife") | (pw$dyad %in% ids[21:30] & pw$role == "husband")), ]
out$acitelli_incomplete <- apim_fit(inc, c("husband", "wife"))
out$acitelli_incomplete$dropped <- list(wife_rows_of_first = 20, husband_rows_of_next = 10)

# ------------------------------------------------- simulated cross-lagged --
long <- read.csv("tests/data/apim_sim_long.csv")
waves <- c("T0", "T6", "T9")
roles <- c("client", "professional")
lagged <- list()
for (score in c("bond", "task")) {
  for (k in 1:2) {
    w0 <- waves[k]; w1 <- waves[k + 1]
    dyads <- sort(unique(long$dyad))
    get <- function(role, wave) {
      s <- long[long$role == role & long$wave == wave, c("dyad", score)]
      s[[score]][match(dyads, s$dyad)]
    }
    pw <- rbind(
      data.frame(dyad = dyads, role = "client", y = get("client", w1), actor = get("client", w0),
                 partner = get("professional", w0)),
      data.frame(dyad = dyads, role = "professional", y = get("professional", w1),
                 actor = get("professional", w0), partner = get("client", w0)))
    key <- paste(score, w0, w1, sep = "_")
    o <- apim_fit(pw, roles)
    o$score <- score; o$wave_from <- w0; o$wave_to <- w1
    o$pairwise_rows <- nrow(pw)
    lagged[[key]] <- o
  }
}
out$lagged <- lagged

writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE),
           "tests/reference/apim.json")
cat("wrote tests/reference/apim.json\n")
