# Reference values for fip.reliability (tests/test_reliability.py).
# Run: Rscript make_reference.R  (in this directory). Needs psych and jsonlite.
# Data: ../factors/items11.csv (simulated 11-item questionnaire, see ../factors/README.md).
suppressPackageStartupMessages({library(psych); library(jsonlite)})
x <- read.csv("../factors/items11.csv")
sets <- list(q1_q6 = paste0("q0", 1:6), q7_q11 = c("q07", "q08", "q09", "q10", "q11"), q1_q3 = c("q01", "q02", "q03"))
out <- list(versions = list(R = R.version.string, psych = as.character(packageVersion("psych"))), sets = list())
for (name in names(sets)) {
  d <- na.omit(x[, sets[[name]]])
  a <- psych::alpha(d, check.keys = FALSE, warnings = FALSE)
  # omega total from a one-factor minres model, psych's definition:
  # omega.tot = (sum(R) - sum(uniquenesses)) / sum(R), R the observed correlation matrix
  f <- psych::fa(cor(d), nfactors = 1, fm = "minres", rotate = "none")
  R <- cor(d)
  omega_psych <- (sum(R) - sum(f$uniquenesses)) / sum(R)
  om <- suppressWarnings(psych::omega(d, nfactors = 1, fm = "minres", plot = FALSE))
  out$sets[[name]] <- list(
    items = sets[[name]], n_obs = nrow(d),
    raw_alpha = a$total$raw_alpha,
    r_drop = unname(a$item.stats$r.drop),
    alpha_drop = unname(a$alpha.drop$raw_alpha),
    loadings_minres = unname(as.vector(f$loadings)),
    omega_total_formula = omega_psych,
    omega_total_psych = om$omega.tot
  )
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "reference.json")
