# Reference values for wamkit's scoring engine: psych::scoreItems on the bfi data.
# Run from the repository root:  Rscript tests/reference/scoring.R
# Writes tests/reference/scoring_bfi.csv (one row per bfi row: psych's scores and items answered per scale).
suppressPackageStartupMessages(library(psych))
bfi <- read.csv("tests/data/bfi.csv", check.names = FALSE)
items <- bfi[, c(paste0("A", 1:5), paste0("C", 1:5), paste0("E", 1:5), paste0("N", 1:5), paste0("O", 1:5))]
keys <- list(agree = c("-A1", "A2", "A3", "A4", "A5"),
             conscientious = c("C1", "C2", "C3", "-C4", "-C5"),
             extraversion = c("-E1", "-E2", "E3", "E4", "E5"),
             neuroticism = c("N1", "N2", "N3", "N4", "N5"),
             openness = c("O1", "-O2", "O3", "O4", "-O5"))
# impute = "none": each score is the mean of the answered items (no imputation);
# min/max given so reverse keying uses the declared 1-6 range (7 - x).
sc <- scoreItems(keys, items, impute = "none", min = 1, max = 6)
out <- data.frame(id = bfi$id, sc$scores, check.names = FALSE)
for (k in names(keys)) {
  cols <- sub("^-", "", keys[[k]])
  out[[paste0(k, "_n")]] <- rowSums(!is.na(items[, cols]))
}
write.csv(out, "tests/reference/scoring_bfi.csv", row.names = FALSE, na = "")
writeLines(sprintf("R %s, psych %s", getRversion(), packageVersion("psych")), "tests/reference/scoring_bfi.versions.txt")
