# Reference values for tests/test_polychoric.py and tests/test_agreement_stats.py
# (fip.polychoric, fip.factors.scores, fip.agreement).
#
# Run from this directory:   Rscript make_reference.R
# Reads ../factors/items11.csv (11 items 1..7 with missing values, made by
# ../factors/make_reference.R) and items22.csv (22 items 1..7, 3 % missing, made by
# benchmarks/bench_polychoric.py make_items(1000, 22), seed 1); writes raters.csv (two raters 1..7, simulated here) and
# reference.json. Every number in reference.json is computed here by psych / base R.

suppressPackageStartupMessages({
  library(psych)
  library(jsonlite)
})

x <- read.csv("../factors/items11.csv")
out <- list(versions = list(R = R.version.string, psych = as.character(packageVersion("psych")),
                            jsonlite = as.character(packageVersion("jsonlite"))))
mat <- function(m) unname(as.matrix(unclass(m)))

# ------------------------------------------------------------------ polychoric
# 1. psych defaults: global = TRUE, correct = 0.5 (unused with global thresholds), smooth = TRUE
p <- polychoric(x)
out$poly_items <- colnames(x)
out$poly_rho <- mat(p$rho)
out$poly_tau <- mat(p$tau)

# 2. the same likelihood solved tightly: psych's own objective polyF and thresholds, optimize tol 1e-12
tight <- diag(ncol(x))
xs <- as.matrix(x)
for (i in 2:ncol(x)) for (j in 1:(i - 1)) {
  ok <- !is.na(xs[, i]) & !is.na(xs[, j])
  tab <- table(factor(xs[ok, i], levels = 1:7), factor(xs[ok, j], levels = 1:7))
  tab <- unclass(tab) / sum(tab)
  o <- optimize(psych:::polyF, interval = c(-1, 1), rc = p$tau[i, ], cc = p$tau[j, ], tab = tab, tol = 1e-12)
  tight[i, j] <- tight[j, i] <- o$minimum
}
out$poly_rho_tight <- tight

# 3. items not sharing the highest category (q11: 7 recoded to 6) -> psych sets global = FALSE,
#    thresholds per pair, empty cells set to 0.5 / n
x6 <- x[, 1:5]
x6$q05[x6$q05 == 7] <- 6
p6 <- suppressWarnings(polychoric(x6))
out$poly6_rho <- mat(p6$rho)

# 3b. 22 items x 1000 persons (items22.csv, written by benchmarks/bench_polychoric.py make_items, seed 1)
x22 <- read.csv("items22.csv")
out$poly22_rho <- mat(polychoric(x22)$rho)

# 4. cor.smooth of a fixed non-positive-definite matrix
bad <- matrix(c(1, .9, -.9, .9, 1, .9, -.9, .9, 1), 3)
out$smooth_input <- bad
out$smooth_output <- mat(suppressWarnings(cor.smooth(bad)))

# 5. polyserial: x = mean of q01..q05 (complete rows), y = q06..q08
cc <- x[complete.cases(x), ]
total <- rowMeans(cc[, 1:5])
out$polyserial <- as.numeric(polyserial(total, cc[, 6:8]))

# ------------------------------------------------------------------ fa on polychorics
for (fm in c("pa", "minres", "ml")) {
  f <- fa(p$rho, nfactors = 3, fm = fm, rotate = "none", n.obs = nrow(x))
  out[[paste0("fa_poly_", fm)]] <- mat(f$loadings)
}
f <- fa(p$rho, nfactors = 3, fm = "pa", rotate = "none", max.iter = 1e5, min.err = 1e-13)
out$fa_poly_pa_converged <- mat(f$loadings)
f <- fa(x, nfactors = 3, fm = "minres", rotate = "none", cor = "poly")
out$fa_cor_poly_minres <- mat(f$loadings)

# ------------------------------------------------------------------ factor scores (Pearson, complete rows)
r <- cor(cc)
f <- fa(r, nfactors = 3, fm = "pa", rotate = "none", max.iter = 1)  # Stata pf
L <- mat(f$loadings)
out$scores_loadings <- L
out$scores_n <- nrow(cc)
out$scores_regression <- mat(factor.scores(cc, L, method = "Thurstone")$scores)
out$scores_bartlett <- mat(factor.scores(cc, L, method = "Bartlett")$scores)

# ------------------------------------------------------------------ agreement: two raters 1..7
set.seed(20261203)
n <- 300
z <- rnorm(n)
cut7 <- function(v) as.integer(cut(v, c(-Inf, -1.5, -0.8, -0.25, 0.25, 0.8, 1.5, Inf)))
a <- cut7(z + rnorm(n, 0, 0.6))
b <- cut7(0.2 + z + rnorm(n, 0, 0.6))
write.csv(data.frame(citizen = a, caseworker = b), "raters.csv", row.names = FALSE)
k <- cohen.kappa(cbind(a, b))  # weights: quadratic (psych default)
out$kappa_unweighted <- k$kappa
out$kappa_quadratic <- k$weighted.kappa
ic <- ICC(cbind(a, b), lmer = FALSE)
out$icc_types <- as.character(ic$results$type)
out$icc <- ic$results$ICC
out$icc_lower <- ic$results$`lower bound`
out$icc_upper <- ic$results$`upper bound`

writeLines(toJSON(out, digits = I(17), auto_unbox = TRUE, pretty = TRUE), "reference.json")
