# Reference values for reverse keys and alpha conventions (tests/test_anyinst.py).
# Run: Rscript make_reference.R  (in this directory). Needs psych and jsonlite.
# Data: ../../../examples/data/bfi/forms.csv (psych::bfi exported by examples/data/export.R).
# Keys: psych's bfi.keys (A1, C4, C5, E1, E2, O2, O5 reversed).
suppressPackageStartupMessages({library(psych); library(jsonlite)})
x <- read.csv("../../../examples/data/bfi/forms.csv")
scales <- list(
  agreeableness = list(items = paste0("A", 1:5), reverse = "A1"),
  conscientiousness = list(items = paste0("C", 1:5), reverse = c("C4", "C5")),
  extraversion = list(items = paste0("E", 1:5), reverse = c("E1", "E2")),
  neuroticism = list(items = paste0("N", 1:5), reverse = character(0)),
  openness = list(items = paste0("O", 1:5), reverse = c("O2", "O5")))
out <- list(versions = list(R = R.version.string, psych = as.character(packageVersion("psych"))), scales = list())
for (name in names(scales)) {
  s <- scales[[name]]
  d <- x[, s$items]
  keys <- ifelse(s$items %in% s$reverse, -1, 1)
  # psych's default: pairwise covariances (use = "pairwise"), keys as given
  a_pair <- psych::alpha(d, keys = s$reverse, check.keys = FALSE, warnings = FALSE)
  # listwise (= Stata alpha, reverse(...) asis casewise)
  dc <- na.omit(d)
  a_list <- psych::alpha(dc, keys = s$reverse, check.keys = FALSE, warnings = FALSE)
  # unkeyed, listwise: what fip gave before reverse keys (= Stata alpha, asis casewise)
  a_raw <- psych::alpha(dc, check.keys = FALSE, warnings = FALSE)
  # keyed data for omega: psych::reverse.code(keys, items, mini = 1, maxi = 6)
  kd <- as.data.frame(psych::reverse.code(keys, dc, mini = rep(1, 5), maxi = rep(6, 5)))
  om_keyed <- suppressWarnings(psych::omega(kd, nfactors = 1, fm = "minres", flip = FALSE, plot = FALSE))
  om_flip <- suppressWarnings(psych::omega(dc, nfactors = 1, fm = "minres", flip = TRUE, plot = FALSE))
  # index score: mean of the keyed items, psych::scoreItems(impute = "none"), complete rows
  sc <- psych::scoreItems(keys, dc, min = 1, max = 6, impute = "none", totals = FALSE)
  out$scales[[name]] <- list(
    items = s$items, reverse = s$reverse,
    n_pairwise = nrow(d), n_listwise = nrow(dc),
    raw_alpha_pairwise = a_pair$total$raw_alpha,
    std_alpha_pairwise = a_pair$total$std.alpha,
    raw_alpha_listwise = a_list$total$raw_alpha,
    std_alpha_listwise = a_list$total$std.alpha,
    raw_alpha_unkeyed_listwise = a_raw$total$raw_alpha,
    r_drop_listwise = unname(a_list$item.stats$r.drop),
    omega_total_keyed = om_keyed$omega.tot,
    omega_total_psych_flip = om_flip$omega.tot,
    mean_score_listwise = mean(sc$scores[, 1])
  )
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "reference.json")

# Adequacy and correlations (fip adequacy, fip correlation) -> adequacy.json
items <- names(x)[-1]
dc <- na.omit(x[, items])
k <- psych::KMO(cor(dc))
b <- psych::cortest.bartlett(cor(dc), n = nrow(dc))
hs <- read.csv("../../../examples/data/holzinger/forms.csv")
pw <- cor(x[, c("A1", "A2")], use = "pairwise.complete.obs")
adequacy <- list(
  versions = out$versions,
  bfi = list(n_listwise = nrow(dc), kmo_overall = k$MSA, kmo_items = as.list(k$MSAi),
             bartlett_chi2 = unname(b$chisq), bartlett_df = unname(b$df),
             r_A1_A2_pairwise = pw[1, 2], n_A1_A2_pairwise = sum(complete.cases(x[, c("A1", "A2")]))),
  holzinger = list(n = nrow(hs), r = unname(cor(hs[, c("x1", "x2", "x3")]))))
writeLines(toJSON(adequacy, digits = NA, auto_unbox = TRUE, pretty = TRUE), "adequacy.json")

# Stata's plain `alpha` (ado version 4.8.9), re-implemented here from its documented method
# (Stata is not available): means of the pairwise covariances and of the variances, each
# weighted by its number of observations (pairs answered together; answers of the item),
# alpha = k cbar / (vbar + (k - 1) cbar), negative -> missing. Signs: reverse() as given,
# else items whose first unrotated principal-factor loading (SMC communalities, complete
# rows; the factor oriented so its loadings sum >= 0) is negative -> stata.json
stata_alpha <- function(d) {
  d <- d[rowSums(!is.na(d)) > 0, , drop = FALSE]
  k <- ncol(d); vs <- 0; vw <- 0; cs <- 0; cw <- 0
  for (i in 1:k) {
    xi <- d[!is.na(d[, i]), i]
    vs <- vs + length(xi) * var(xi); vw <- vw + length(xi)
    if (i > 1) for (j in 1:(i - 1)) {
      ok <- !is.na(d[, i]) & !is.na(d[, j])
      cs <- cs + sum(ok) * cov(d[ok, i], d[ok, j]); cw <- cw + sum(ok)
    }
  }
  cbar <- cs / cw; vbar <- vs / vw
  a <- k * cbar / (vbar + (k - 1) * cbar)
  list(alpha = if (a < 0) NA else a, n = nrow(d))
}
stata_signs <- function(d) {
  R <- cor(na.omit(d))
  Rr <- R; diag(Rr) <- 1 - 1 / diag(solve(R))
  e <- eigen(Rr, symmetric = TRUE)
  l1 <- e$vectors[, 1] * sqrt(e$values[1])
  if (sum(l1) < 0) l1 <- -l1
  names(d)[l1 < 0]
}
flip <- function(d, rev) { for (v in rev) d[[v]] <- -d[[v]]; d }
stata <- list(versions = out$versions, scales = list())
for (name in names(scales)) {
  s <- scales[[name]]
  d <- x[, s$items]
  auto <- stata_signs(d)
  stata$scales[[name]] <- list(
    auto_reversed = auto,
    alpha_auto = stata_alpha(flip(d, auto))$alpha,
    alpha_keys = stata_alpha(flip(d, s$reverse))$alpha,
    alpha_asis = stata_alpha(d)$alpha,
    n = stata_alpha(d)$n)
}
writeLines(toJSON(stata, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"), "stata.json")

# fip factor --correlation polychoric on another instrument (psych fa(cor = "poly")) -> poly_fa.json
# Unrotated minres on psych's smoothed polychoric matrix (global thresholds, pairwise).
pf <- psych::fa(x[, items], nfactors = 5, fm = "minres", rotate = "none", cor = "poly")
poly_fa <- list(versions = out$versions, items = items,
                loadings = unname(unclass(pf$loadings)), uniqueness = unname(pf$uniquenesses))
writeLines(toJSON(poly_fa, digits = NA, auto_unbox = TRUE, pretty = TRUE), "poly_fa.json")
