# Reference for fip.irt.lrdif (independent of fip's code): likelihood-ratio DIF with a two-group
# graded response model, written out by hand in base R (mirt, which has multipleGroup() and
# DIF(), is not installed: it is not a Debian package).
#
# Data: psych's bfi N1..N4 as shipped in examples/data/bfi, collapsed to three categories
# (1-2 -> 1, 3-4 -> 2, 5-6 -> 3) so that every group has few distinct response patterns; complete
# rows with gender; group = gender, reference group 1 (theta ~ N(0, 1)), focal group 2
# (theta ~ N(mu, sd^2), mu and log(sd) free).
# Model: P(X >= k | theta) = plogis(a * theta + d_k), k = 2, 3 (mirt's graded a1, d1 > d2).
# Marginal likelihood: for every distinct response pattern of each group the integral over
# theta is stats::integrate (adaptive Gauss-Kronrod on mu +- 12 sd, rel.tol 1e-10) -- fip uses a
# fixed 61-point grid with normal weights and its own optimisers; maximised by optim(BFGS).
# Models: "constrained" (all four items equal across groups) and, for each item, the model
# freeing that item's a, d1, d2 in the focal group (the other three anchored).
# LR chi2 = 2 (LL_free - LL_constrained), df = 3.
# Effect sizes of the freed item (focal minus reference), over the focal N(mu, sd^2) by integrate:
# sidn = E[ES_f(theta) - ES_r(theta)], uidn = E|ES_f - ES_r|, ES = expected score on 1..3;
# essd = sidn / pooled within-group SD of the observed (collapsed) item score.
# Run from the repository root: Rscript tests/reference/irt_lrdif/make_reference.R (about 8 minutes of CPU)
forms <- read.csv("examples/data/bfi/forms.csv")
persons <- read.csv("examples/data/bfi/persons.csv")
d <- merge(forms[, c("person_id", "N1", "N2", "N3", "N4")], persons[, c("person_id", "gender")], by = "person_id")
d <- d[complete.cases(d), ]
items <- c("N1", "N2", "N3", "N4")
y <- as.matrix(d[, items])
y <- ifelse(y <= 2, 1L, ifelse(y <= 4, 2L, 3L))
g <- ifelse(d$gender == 1, 1L, 2L)
write.csv(data.frame(y, group = g), "tests/reference/irt_lrdif/bfi_n3cat.csv", row.names = FALSE)
J <- ncol(y)
pats <- lapply(1:2, function(k) {
  yy <- y[g == k, , drop = FALSE]
  key <- apply(yy, 1, paste, collapse = "")
  p <- yy[!duplicated(key), , drop = FALSE]
  list(pat = p, cnt = as.numeric(table(key)[apply(p, 1, paste, collapse = "")]))
})
catprob <- function(t, a, d1, d2, x) {
  s1 <- plogis(a * t + d1); s2 <- plogis(a * t + d2)
  if (x == 1) 1 - s1 else if (x == 2) s1 - s2 else s2
}
# p: for each item (a, d1, d2) of the reference group, then (a, d1, d2) of the freed item in the
# focal group (if any), then mu, log sd
negll <- function(p, free) {
  base <- matrix(p[1:(3 * J)], nrow = 3)
  foc <- base
  o <- 3 * J
  if (free > 0) { foc[, free] <- p[(o + 1):(o + 3)]; o <- o + 3 }
  mu <- p[o + 1]; sd <- exp(p[o + 2])
  if (any(base[2, ] <= base[3, ]) || any(foc[2, ] <= foc[3, ])) return(1e10)
  ll <- 0
  for (k in 1:2) {
    par <- if (k == 1) base else foc
    m <- if (k == 1) 0 else mu; s <- if (k == 1) 1 else sd
    pt <- pats[[k]]
    for (r in seq_len(nrow(pt$pat))) {
      f <- function(t) {
        v <- dnorm(t, m, s)
        for (j in 1:J) v <- v * catprob(t, par[1, j], par[2, j], par[3, j], pt$pat[r, j])
        v
      }
      v <- tryCatch(integrate(f, m - 12 * s, m + 12 * s, rel.tol = 1e-10, subdivisions = 500L)$value,
                    error = function(e) NA)
      if (is.na(v) || v <= 0) return(1e10)
      ll <- ll + pt$cnt[r] * log(v)
    }
  }
  -ll
}
start <- c(as.vector(sapply(1:J, function(j) c(1, qlogis(mean(y[, j] >= 2)), qlogis(mean(y[, j] >= 3))))), 0, 0)
ctl <- list(reltol = 1e-14, maxit = 2000)
con <- optim(start, negll, free = 0, method = "BFGS", control = ctl)
cat("constrained", -con$value, con$convergence, "\n")
o <- 3 * J
rows <- list()
pars <- data.frame(model = "constrained", item = rep(items, each = 3), group = "all",
                   parameter = rep(c("a1", "d1", "d2"), J), estimate = con$par[1:o])
pars <- rbind(pars, data.frame(model = "constrained", item = "latent", group = "2", parameter = c("mean", "sd"),
                               estimate = c(con$par[o + 1], exp(con$par[o + 2]))))
es <- function(t, a, d1, d2) 1 * catprob(t, a, d1, d2, 1) + 2 * catprob(t, a, d1, d2, 2) + 3 * catprob(t, a, d1, d2, 3)
for (j in 1:J) {
  st <- c(con$par[1:o], con$par[(3 * j - 2):(3 * j)], con$par[o + 1], con$par[o + 2])
  fr <- optim(st, negll, free = j, method = "BFGS", control = ctl)
  cat(items[j], -fr$value, fr$convergence, "\n")
  ar <- fr$par[3 * j - 2]; d1r <- fr$par[3 * j - 1]; d2r <- fr$par[3 * j]
  af <- fr$par[o + 1]; d1f <- fr$par[o + 2]; d2f <- fr$par[o + 3]
  mu <- fr$par[o + 4]; sd <- exp(fr$par[o + 5])
  sidn <- integrate(function(t) (es(t, af, d1f, d2f) - es(t, ar, d1r, d2r)) * dnorm(t, mu, sd), -Inf, Inf, rel.tol = 1e-10)$value
  uidn <- integrate(function(t) abs(es(t, af, d1f, d2f) - es(t, ar, d1r, d2r)) * dnorm(t, mu, sd), -Inf, Inf, rel.tol = 1e-10)$value
  x1 <- y[g == 1, j]; x2 <- y[g == 2, j]
  pooled <- sqrt(((length(x1) - 1) * var(x1) + (length(x2) - 1) * var(x2)) / (length(x1) + length(x2) - 2))
  chi2 <- 2 * (con$value - fr$value)
  rows[[j]] <- data.frame(item = items[j], loglik_constrained = -con$value, loglik_free = -fr$value, chi2 = chi2,
                          df = 3, p = pchisq(chi2, 3, lower.tail = FALSE), sidn = sidn, uidn = uidn,
                          essd = sidn / pooled, convergence = fr$convergence)
  pars <- rbind(pars, data.frame(model = paste0("free_", items[j]), item = items[j], group = c("1", "1", "1", "2", "2", "2"),
                                 parameter = rep(c("a1", "d1", "d2"), 2), estimate = c(ar, d1r, d2r, af, d1f, d2f)))
  pars <- rbind(pars, data.frame(model = paste0("free_", items[j]), item = "latent", group = "2",
                                 parameter = c("mean", "sd"), estimate = c(mu, sd)))
}
out <- do.call(rbind, rows)
print(out)
write.csv(out, "tests/reference/irt_lrdif/bfi_n3cat_lrdif_r.csv", row.names = FALSE)
write.csv(pars, "tests/reference/irt_lrdif/bfi_n3cat_params_r.csv", row.names = FALSE)
write.csv(data.frame(n = nrow(y), n_ref = sum(g == 1), n_focal = sum(g == 2), convergence = con$convergence),
          "tests/reference/irt_lrdif/bfi_n3cat_n_r.csv", row.names = FALSE)
