# Reference values for tests/test_factors*.py (fip.factors).
#
# Run from this directory:   Rscript make_reference.R
# Writes: items11.csv (simulated 11-item 1-7 data with missing values) and reference.json.
# R, psych and GPArotation versions are recorded in reference.json ("versions") and README.md.
#
# Every number in reference.json is computed here, in R, by psych / GPArotation / stats or
# by short base-R formulas written out below; nothing is copied from the Python code.

suppressPackageStartupMessages({
  library(psych)
  library(GPArotation)
  library(jsonlite)
})

TIGHT <- 1e-14  # stats::varimax relative criterion tolerance (default 1e-5)
# GPArotation stops on the norm of the projected gradient; 1e-8 converges in a few hundred
# iterations, smaller values never converge (numerical floor) and run to maxit.
# iterations, smaller values never converge (numerical floor) and run to maxit. gpa() tries
# 1e-8 and loosens by 10x until GPArotation reports convergence; the eps used is recorded.
gpa <- function(f, L, ...) {
  for (eps in c(1e-8, 1e-7, 1e-6)) {
    r <- suppressWarnings(f(L, eps = eps, maxit = 5000, ...))
    if (isTRUE(r$convergence)) { r$eps <- eps; return(r) }
  }
  stop("GPArotation did not converge")
}

# ---------------------------------------------------------------- data sets
# 1. Constructed: R = L L' + diag(psi) from known loadings (9 items, 3 factors).
L_true <- matrix(c(
  0.80, 0.10, 0.00,
  0.70, 0.00, 0.15,
  0.75, 0.20, 0.05,
  0.05, 0.70, 0.10,
  0.10, 0.65, 0.00,
  0.00, 0.80, 0.20,
  0.15, 0.00, 0.70,
  0.00, 0.10, 0.60,
  0.20, 0.05, 0.75), ncol = 3, byrow = TRUE)
psi_true <- 1 - rowSums(L_true^2)
R_con <- L_true %*% t(L_true) + diag(psi_true)
dimnames(R_con) <- list(sprintf("x%d", 1:9), sprintf("x%d", 1:9))

# 2. Harman (1976) eight physical measurements, 305 girls (datasets::Harman23.cor).
R_harman <- Harman23.cor$cov
n_harman <- Harman23.cor$n.obs

# 3. Realistic 11-item questionnaire: 3 correlated latent factors, answers cut into 1..7,
#    about 3 % missing answers; saved as CSV. Correlation: Pearson, listwise (complete.obs).
set.seed(20240611)
n <- 1000
Lam <- matrix(0, 11, 3)
Lam[1:4, 1] <- c(0.75, 0.70, 0.65, 0.60)
Lam[5:8, 2] <- c(0.80, 0.70, 0.55, 0.60)
Lam[9:11, 3] <- c(0.70, 0.75, 0.50)
Lam[4, 2] <- 0.30
Lam[8, 3] <- 0.25
Phi <- matrix(c(1, 0.4, 0.3, 0.4, 1, 0.35, 0.3, 0.35, 1), 3)
F <- matrix(rnorm(n * 3), n) %*% chol(Phi)
unique_sd <- sqrt(pmax(1 - rowSums((Lam %*% Phi) * Lam), 0.05))
latent <- F %*% t(Lam) + matrix(rnorm(n * 11), n) %*% diag(unique_sd)
cuts <- qnorm(c(0.05, 0.12, 0.25, 0.45, 0.70, 0.88))
items <- apply(latent, 2, function(z) findInterval(z, cuts) + 1L)
colnames(items) <- sprintf("q%02d", 1:11)
miss <- matrix(runif(n * 11) < 0.03, n)
items[miss] <- NA
write.csv(items, "items11.csv", row.names = FALSE, na = "")
items <- read.csv("items11.csv")
cc <- complete.cases(items)
R_items <- cor(items[cc, ])
n_items <- sum(cc)

# ---------------------------------------------------------------- helpers
smc_of <- function(R) 1 - 1 / diag(solve(R))

# Stata pf by hand: SMC on the diagonal, one eigen-decomposition.
pf_by_hand <- function(R, k) {
  Rr <- R
  diag(Rr) <- smc_of(R)
  e <- eigen(Rr, symmetric = TRUE)
  list(eigenvalues = e$values,
       loadings = e$vectors[, 1:k, drop = FALSE] %*% diag(sqrt(e$values[1:k]), k))
}

# MINRES (= ULS) with tight optimiser control; psych::fa(fm = "minres") cannot pass `control`
# to optim (psych 2.2.9 sets control <- NULL), so its own answer is only good to ~1e-5.
# Objective: half the sum of squares of the non-retained eigenvalues of R - diag(psi)
# (Joreskog 1977); gradient = diag(L L' + diag(psi) - R) as psych's FAgr.minres.
minres_tight <- function(R, k) {
  p <- nrow(R)
  fn <- function(psi) {
    e <- eigen(R - diag(psi), symmetric = TRUE, only.values = TRUE)$values
    0.5 * sum(e[-(1:k)]^2)
  }
  gr <- function(psi) {
    e <- eigen(R - diag(psi), symmetric = TRUE)
    Lk <- e$vectors[, 1:k, drop = FALSE] %*% diag(sqrt(pmax(e$values[1:k], 0)), k)
    diag(Lk %*% t(Lk) + diag(psi) - R)
  }
  start <- 1 - smc_of(R)
  opt <- optim(start, fn, gr, method = "L-BFGS-B", lower = 0.005, upper = 1,
               control = list(factr = 1, pgtol = 0, maxit = 100000, parscale = rep(0.01, p)))
  psi <- opt$par
  e <- eigen(R - diag(psi), symmetric = TRUE)
  list(psi = psi,
       loadings = e$vectors[, 1:k, drop = FALSE] %*% diag(sqrt(pmax(e$values[1:k], 0)), k),
       convergence = opt$convergence, message = opt$message)
}

# Promax with Stata's default "Kaiser off": the body of stats::promax with the varimax
# step unnormalised.
promax_unnormalised <- function(x, m = 3) {
  xx <- varimax(x, normalize = FALSE, eps = TIGHT)
  x <- xx$loadings
  Q <- x * abs(x)^(m - 1)
  U <- lm.fit(x, Q)$coefficients
  d <- diag(solve(t(U) %*% U))
  U <- U %*% diag(sqrt(d))
  z <- x %*% U
  U <- xx$rotmat %*% U
  list(loadings = unclass(z), rotmat = U, phi = solve(t(U) %*% U))
}

promax_stats <- function(x, m = 3) {
  # stats::promax with its internal Kaiser-normalised varimax; eps tightened by copying the body
  xx <- varimax(x, normalize = TRUE, eps = TIGHT)
  x <- xx$loadings
  Q <- x * abs(x)^(m - 1)
  U <- lm.fit(x, Q)$coefficients
  d <- diag(solve(t(U) %*% U))
  U <- U %*% diag(sqrt(d))
  z <- x %*% U
  U <- xx$rotmat %*% U
  list(loadings = unclass(z), rotmat = U, phi = solve(t(U) %*% U))
}

um <- function(x) unname(unclass(as.matrix(x)))

reference_for <- function(R, n_obs, k) {
  out <- list(items = colnames(R), n_obs = n_obs, n_factors = k, correlation = unname(R))
  out$smc <- unname(smc_of(R))
  pf <- pf_by_hand(R, k)
  out$pf_reduced_eigenvalues <- pf$eigenvalues
  out$unreduced_eigenvalues <- eigen(R, symmetric = TRUE, only.values = TRUE)$values
  # psych pa stopped after one step is Stata's pf: loadings from the SMC-reduced matrix.
  fa_pf <- suppressWarnings(fa(R, nfactors = k, n.obs = n_obs, fm = "pa", max.iter = 1,
                               rotate = "none", SMC = TRUE, warnings = FALSE))
  out$pf_loadings_psych <- um(fa_pf$loadings)
  out$pf_loadings_hand <- pf$loadings
  # Iterated principal axis to convergence == Stata ipf.
  fa_ipf <- fa(R, nfactors = k, n.obs = n_obs, fm = "pa", max.iter = 100000,
               min.err = 1e-13, rotate = "none", warnings = FALSE)
  out$ipf_loadings <- um(fa_ipf$loadings)
  out$ipf_communality <- unname(fa_ipf$communality)
  # MINRES: psych default tolerances, and tight own optim (see minres_tight).
  fa_mr <- fa(R, nfactors = k, n.obs = n_obs, fm = "minres", rotate = "none", warnings = FALSE)
  out$minres_loadings_psych <- um(fa_mr$loadings)
  mr <- minres_tight(R, k)
  out$minres_loadings_tight <- mr$loadings
  out$minres_uniqueness_tight <- mr$psi
  # ML: stats::factanal with tight optimiser control, and psych::fa(fm = "ml") at defaults.
  # factr = 100 (relative tolerance ~2e-14 on the objective); factr = 1 or 10 stops with an
  # abnormal line-search termination, which factanal treats as failure.
  fan <- factanal(covmat = R, factors = k, n.obs = n_obs, rotation = "none",
                  control = list(opt = list(factr = 100, maxit = 100000)))
  out$ml_loadings_factanal <- um(fan$loadings)
  out$ml_uniqueness_factanal <- unname(fan$uniquenesses)
  out$ml_statistic_factanal <- unname(fan$STATISTIC)
  out$ml_dof_factanal <- unname(fan$dof)
  fa_ml <- fa(R, nfactors = k, n.obs = n_obs, fm = "ml", rotate = "none", warnings = FALSE)
  out$ml_loadings_psych <- um(fa_ml$loadings)
  # Principal-component factors (Stata factor, pcf) == psych::principal, unrotated.
  pc <- principal(R, nfactors = k, rotate = "none", n.obs = n_obs)
  out$pcf_loadings <- um(pc$loadings)
  # Rotations of the pf loadings (the hand computation, exact input).
  L <- pf$loadings
  out$rot_input <- L
  vu <- gpa(GPArotation::Varimax, L, normalize = FALSE)
  out$varimax_gpa <- list(loadings = um(vu$loadings), rotmat = vu$Th, eps = vu$eps)
  vs <- varimax(L, normalize = FALSE, eps = TIGHT)
  out$varimax_stats_unnormalised <- list(loadings = um(vs$loadings), rotmat = vs$rotmat)
  vk <- varimax(L, normalize = TRUE, eps = TIGHT)
  out$varimax_kaiser_stats <- list(loadings = um(vk$loadings), rotmat = vk$rotmat)
  vkg <- gpa(GPArotation::Varimax, L, normalize = TRUE)
  out$varimax_kaiser_gpa <- list(loadings = um(vkg$loadings), eps = vkg$eps)
  pu <- promax_unnormalised(L, 3)
  out$promax_unnormalised_m3 <- list(loadings = pu$loadings, rotmat = pu$rotmat, phi = pu$phi)
  pu4 <- promax_unnormalised(L, 4)
  out$promax_unnormalised_m4 <- list(loadings = pu4$loadings, phi = pu4$phi)
  ps <- promax_stats(L, 3)
  out$promax_stats_m3 <- list(loadings = ps$loadings, rotmat = ps$rotmat, phi = ps$phi)
  ps_default <- stats::promax(L, m = 3)  # default eps = 1e-5, for the record
  out$promax_stats_m3_default_eps <- list(loadings = um(ps_default$loadings))
  ob <- gpa(GPArotation::oblimin, L, gam = 0, normalize = FALSE)
  out$oblimin_gpa <- list(loadings = um(ob$loadings), phi = um(ob$Phi), Th = ob$Th, eps = ob$eps)
  # Diagnostics.
  km <- KMO(R)
  out$kmo <- list(overall = km$MSA, per_item = unname(km$MSAi))
  bt <- cortest.bartlett(R, n = n_obs)
  out$bartlett <- list(chi2 = bt$chisq, df = bt$df, p = bt$p.value)
  out
}

ref <- list(
  versions = list(R = R.version.string,
                  psych = as.character(packageVersion("psych")),
                  GPArotation = as.character(packageVersion("GPArotation")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  constructed = c(reference_for(R_con, 500, 3),
                  list(true_loadings = L_true, true_uniqueness = psi_true)),
  harman23 = reference_for(R_harman, n_harman, 2),
  items11 = c(reference_for(R_items, n_items, 3), list(n_rows_csv = n))
)
# Tucker congruence between the constructed true loadings and the items11 varimax solution is
# meaningless; instead: psych::factor.congruence of two fixed matrices.
A <- matrix(c(0.8, 0.7, 0.1, 0.0, 0.2, 0.1, 0.0, 0.6, 0.7, 0.8, -0.1, 0.3), ncol = 2)
B <- matrix(c(-0.1, 0.1, 0.7, 0.6, 0.9, 0.1, 0.75, 0.65, 0.0, 0.2, 0.1, 0.0), ncol = 2)
ref$congruence <- list(a = A, b = B, phi = unname(factor.congruence(A, B, digits = 16)))

writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, pretty = TRUE, matrix = "rowmajor"),
           "reference.json")
cat("wrote reference.json and items11.csv\n")
