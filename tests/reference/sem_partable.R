# Reference parameter tables for wamkit.stats.sem.partable (lavaan 0.6-14 lavaanify with cfa()/sem() defaults).
# Run from the repository root:  Rscript tests/reference/sem_partable.R
suppressPackageStartupMessages({ library(lavaan); library(jsonlite) })

cases <- list(
  list(name = "poldem_labels", meanstructure = FALSE, ngroups = 1L, std.lv = FALSE,
       model = "ind60 =~ x1 + x2 + x3
                dem60 =~ y1 + a*y2 + b*y3 + c*y4
                dem65 =~ y5 + a*y6 + b*y7 + c*y8
                dem60 ~ ind60
                dem65 ~ ind60 + dem60
                y1 ~~ y5
                y2 ~~ y4 + y6"),
  list(name = "multigroup_partial", meanstructure = TRUE, ngroups = 2L, std.lv = FALSE,
       group.equal = c("loadings", "intercepts"), group.partial = c("textual =~ x5", "x3 ~ 1"),
       model = "visual =~ x1 + c(a, b)*x2 + x3
                textual =~ x4 + x5 + x6
                x1 ~ c(0, NA)*1"),
  list(name = "stdlv_na", meanstructure = FALSE, ngroups = 1L, std.lv = TRUE,
       model = "f =~ NA*x1 + x2 + x3 + x4\n g =~ x5 + x6 + x7\n f ~~ 0.5*g"),
  list(name = "marker_na", meanstructure = FALSE, ngroups = 1L, std.lv = FALSE,
       model = "f =~ NA*x1 + 1*x2 + x3 + x4"),
  list(name = "fixed_x", meanstructure = TRUE, ngroups = 1L, std.lv = FALSE,
       model = "f =~ y1 + y2 + y3\n f ~ x1 + x2\n y1 ~ x1"),
  list(name = "user_eq", meanstructure = FALSE, ngroups = 1L, std.lv = FALSE,
       model = "f =~ x1 + a*x2 + b*x3 + x4\n a == b"),
  list(name = "flipped_cov", meanstructure = FALSE, ngroups = 1L, std.lv = FALSE,
       model = "f1 =~ x1 + x2 + x3\n f2 =~ x4 + x5 + x6 # comment\n f2 ~~ f1; x4 ~~ x1"),
  list(name = "three_groups_stdlv", meanstructure = TRUE, ngroups = 3L, std.lv = TRUE,
       group.equal = c("loadings", "intercepts", "residuals"),
       model = "f =~ x1 + x2 + x3\n g =~ x4 +\n x5 + x6"),
  list(name = "thresholds", meanstructure = FALSE, ngroups = 1L, std.lv = FALSE,
       model = "f =~ u1 + u2 + u3\n u1 | t1 + t2\n u2 | a*t1 + t2"),
  list(name = "single_indicator", meanstructure = FALSE, ngroups = 1L, std.lv = FALSE,
       model = "f =~ x1 + x2 + x3\n g =~ x4\n g ~ f")
)

out <- list(versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan"))), cases = list())
for (cs in cases) {
  ge <- if (is.null(cs$group.equal)) "" else cs$group.equal
  gp <- if (is.null(cs$group.partial)) "" else cs$group.partial
  pt <- lavaanify(cs$model, auto = TRUE, model.type = "sem", meanstructure = cs$meanstructure,
                  ngroups = cs$ngroups, std.lv = cs$std.lv, fixed.x = TRUE,
                  group.equal = ge, group.partial = gsub(" ", "", gp))
  rows <- pt[pt$op != "==", c("lhs", "op", "rhs", "user", "group", "free", "ustart", "exo", "label", "plabel")]
  cons <- pt[pt$op == "==", c("lhs", "rhs", "user")]
  out$cases[[cs$name]] <- list(model = cs$model, meanstructure = cs$meanstructure, ngroups = cs$ngroups,
                               std_lv = cs$std.lv, group_equal = as.list(if (is.null(cs$group.equal)) character(0) else cs$group.equal),
                               group_partial = as.list(if (is.null(cs$group.partial)) character(0) else cs$group.partial),
                               rows = rows, constraints = cons)
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           file.path("tests", "reference", "sem_partable.json"))
cat("wrote tests/reference/sem_partable.json\n")
