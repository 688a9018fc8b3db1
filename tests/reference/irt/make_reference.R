# Reference for fip.irt (independent of fip's code): with dichotomised items the GRM is the 2PL.
# psychotools::nplmodel(type = "2PL") was the planned reference, but it needs mirt, which is
# not installed (not a Debian package); ltm/TAM are absent too. So this script is its own
# implementation of the 2PL marginal likelihood in R: for each distinct response pattern the
# integral over theta ~ N(0, 1) is computed by stats::integrate (adaptive Gauss-Kronrod on
# (-Inf, Inf), rel.tol 1e-10), and the log-likelihood is maximised by optim(BFGS) with a
# numerical Hessian (optimHess) for the standard errors.  fip uses a fixed 61-point grid on
# [-6, 6] and EM: a different quadrature and a different optimiser.
# Data: psych's bfi N1..N5 as shipped in examples/data/bfi/forms.csv, dichotomised x >= 4 -> 1,
# complete rows only.  Parameterisation: P(y = 1 | theta) = plogis(a * theta + d) (mirt's a1, d).
# Run from the repository root: Rscript tests/reference/irt/make_reference.R
forms <- read.csv("examples/data/bfi/forms.csv")
x <- forms[, c("N1", "N2", "N3", "N4", "N5")]
x <- x[complete.cases(x), ]
y <- as.matrix((x >= 4) * 1L)
write.csv(data.frame(y), "tests/reference/irt/bfi_n_dich.csv", row.names = FALSE)
key <- apply(y, 1, paste, collapse = "")
pat <- y[!duplicated(key), , drop = FALSE]
cnt <- as.numeric(table(key)[apply(pat, 1, paste, collapse = "")])
J <- ncol(y)
negll <- function(p) {
  a <- p[1:J]; d <- p[(J + 1):(2 * J)]
  ll <- 0
  for (r in seq_len(nrow(pat))) {
    f <- function(t) {
      v <- dnorm(t)
      for (j in 1:J) {
        pr <- plogis(a[j] * t + d[j])
        v <- v * if (pat[r, j] == 1) pr else (1 - pr)
      }
      v
    }
    ll <- ll + cnt[r] * log(integrate(f, -Inf, Inf, rel.tol = 1e-10)$value)
  }
  -ll
}
start <- c(rep(1, J), qlogis(colMeans(y)))
fit <- optim(start, negll, method = "BFGS", control = list(reltol = 1e-14, maxit = 1000))
H <- optimHess(fit$par, negll)
se <- sqrt(diag(solve(H)))
out <- data.frame(item = colnames(y), a1 = fit$par[1:J], d1 = fit$par[(J + 1):(2 * J)],
                  a1_se = se[1:J], d1_se = se[(J + 1):(2 * J)])
print(out); print(fit$value); print(fit$convergence)
write.csv(out, "tests/reference/irt/bfi_n_2pl_r.csv", row.names = FALSE)
write.csv(data.frame(loglik = -fit$value, n = nrow(y)), "tests/reference/irt/bfi_n_2pl_r_loglik.csv",
          row.names = FALSE)
