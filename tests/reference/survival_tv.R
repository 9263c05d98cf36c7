# Reference values for landmark and time-varying (counting-process) Cox models:
# wamkit.stats.survival.landmark / counting_process and wamkit.stats.models.cox(start=...).
#
# Run from the repository root:   Rscript tests/reference/survival_tv.R
# Writes tests/reference/survival_tv.json and exports survival's `heart` data (Stanford
# heart transplant, counting-process form of jasa) to tests/data/heart.csv.
# Read by tests/stats/test_survival.py.
#
# * landmark: coxph(Surv(time - s, event) ~ ..., data = subset(d, time > s)), with the
#   dropped rows counted by reason (event / censored at or before s).
# * counting process: coxph(Surv(start, stop, event) ~ ..., ties = "efron"), robust SEs
#   with cluster = id / officer. The (start, stop] rows for the simulated alliance data
#   are built here with survival::tmerge (event(), tdc()), independently of wamkit:
#   options(na.rm = TRUE) (tmerge's default) ignores a missing wave value, so the
#   earlier value carries forward (= counting_process(carry_forward=True));
#   na.rm = FALSE splits at every wave and leaves the value missing (= carry_forward=False).

suppressPackageStartupMessages({
  library(jsonlite)
  library(survival)
})

out <- list()
out$meta <- list(
  r_version = R.version.string,
  survival = as.character(packageVersion("survival")),
  jsonlite = as.character(packageVersion("jsonlite")),
  generated = format(Sys.time(), tz = "UTC", usetz = TRUE)
)

tidy_cox <- function(fit) {
  s <- summary(fit)
  cf <- s$coefficients
  b <- coef(fit)
  robust <- "robust se" %in% colnames(cf)
  se <- if (robust) cf[, "robust se"] else cf[, "se(coef)"]
  list(term = names(b), coef = unname(b), se = unname(se), naive_se = unname(cf[, "se(coef)"]),
       z = unname(cf[, "z"]), p = unname(cf[, "Pr(>|z|)"]),
       ci_low = unname(s$conf.int[, "lower .95"]), ci_high = unname(s$conf.int[, "upper .95"]),
       vcov = unname(vcov(fit)), loglik = fit$loglik[2], loglik_null = fit$loglik[1],
       concordance = unname(fit$concordance["concordance"]), n = fit$n, events = fit$nevent)
}

# ------------------------------------------------------------ landmark --
rossi <- read.csv("tests/data/rossi.csv")
rossi$cl <- (seq_len(nrow(rossi)) - 1L) %% 37L
lm_counts <- function(time, event, s) {
  list(n_input = length(time), n_kept = sum(time > s), n_event_before = sum(time <= s & event == 1),
       n_censored_before = sum(time <= s & event == 0))
}
s <- 20
lr <- subset(rossi, week > s)
lr$week <- lr$week - s
out$landmark_rossi <- c(list(landmark_time = s), lm_counts(rossi$week, rossi$arrest, s),
  list(model = tidy_cox(coxph(Surv(week, arrest) ~ fin + age + prio, data = lr, ties = "efron")),
       cluster = tidy_cox(coxph(Surv(week, arrest) ~ fin + age + prio, data = lr, ties = "efron",
                                cluster = cl))))
# a landmark beyond every event time of some subjects at 52 weeks (all censored at 52): s = 52
out$landmark_rossi_end <- c(list(landmark_time = 52), lm_counts(rossi$week, rossi$arrest, 52))

tv <- read.csv("tests/data/tv_cox_sim.csv")
f <- 30.4375
s6 <- 6 * f
lt <- subset(tv, days > s6)
lt$days <- lt$days - s6
out$landmark_tv <- c(list(landmark_time = s6), lm_counts(tv$days, tv$rearrest, s6),
  list(model = tidy_cox(coxph(Surv(days, rearrest) ~ alliance_T6 + age, data = lt, ties = "efron")),
       cluster = tidy_cox(coxph(Surv(days, rearrest) ~ alliance_T6 + age, data = lt, ties = "efron",
                                cluster = officer))))

# ------------------------------------------------------ counting process --
data(heart, package = "survival")
write.csv(heart, "tests/data/heart.csv", row.names = FALSE)
hf <- coxph(Surv(start, stop, event) ~ age + year + surgery + transplant, data = heart, ties = "efron")
hc <- coxph(Surv(start, stop, event) ~ age + year + surgery + transplant, data = heart, ties = "efron",
            cluster = id)
hb <- coxph(Surv(start, stop, event) ~ age + year + surgery + transplant, data = heart, ties = "breslow")
out$heart <- list(formula = "Surv(start, stop, event) ~ age + year + surgery + transplant",
                  efron = tidy_cox(hf), cluster = tidy_cox(hc), breslow = tidy_cox(hb))

build <- function(na_rm) {
  base <- tv[, c("id", "officer", "age", "days", "rearrest")]
  cp <- tmerge(base[, c("id", "officer", "age")], base, id = id, tstop = days,
               rearrest = event(days, rearrest), options = list(na.rm = na_rm))
  cp <- tmerge(cp, tv, id = id, alliance = tdc(rep(0, nrow(tv)), alliance_T0),
               options = list(na.rm = na_rm))
  cp <- tmerge(cp, tv, id = id, alliance = tdc(rep(6 * f, nrow(tv)), alliance_T6),
               options = list(na.rm = na_rm))
  cp <- tmerge(cp, tv, id = id, alliance = tdc(rep(9 * f, nrow(tv)), alliance_T9),
               options = list(na.rm = na_rm))
  cp
}
cp_locf <- build(TRUE)
cp_split <- build(FALSE)
# rows a split at every wave gives (independent count): intervals k with wave time < days
wt <- c(0, 6, 9) * f
n_intervals <- sum(sapply(wt, function(w) sum(tv$days > w)))
tvm <- function(d, cluster = NULL) {
  if (is.null(cluster)) coxph(Surv(tstart, tstop, rearrest) ~ alliance + age, data = d, ties = "efron")
  else coxph(Surv(tstart, tstop, rearrest) ~ alliance + age, data = d, ties = "efron", cluster = d[[cluster]])
}
out$tv_sim <- list(
  time_per_month = f, wave_months = c(0, 6, 9), n_subjects = nrow(tv), n_intervals = n_intervals,
  n_rows_split = nrow(cp_split), n_rows_locf_tmerge = nrow(cp_locf),
  n_missing_split = sum(is.na(cp_split$alliance)),
  locf = tidy_cox(tvm(cp_locf)), locf_cluster_id = tidy_cox(tvm(cp_locf, "id")),
  locf_cluster_officer = tidy_cox(tvm(cp_locf, "officer")),
  no_carry = tidy_cox(tvm(cp_split)), no_carry_cluster_id = tidy_cox(tvm(cp_split, "id")),
  baseline_only = tidy_cox(coxph(Surv(days, rearrest) ~ alliance_T0 + age, data = tv, ties = "efron"))
)

writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE),
           "tests/reference/survival_tv.json")
cat("wrote tests/reference/survival_tv.json\n")
