# Reference for fip.irt.ordinal / fip.irt.dif: nested proportional-odds models with MASS::polr.
# Data: bfi N1..N5 and gender (examples/data/bfi), complete rows; trait = sum score N1+..+N5
# (a trait both sides compute identically). For each item: M1 item ~ s; M2 ~ s + g; M3 ~ s * g,
# g = gender == 2 (0/1). polr's model: logit P(Y <= k) = zeta_k - x'beta.
# Run from the repository root: Rscript tests/reference/irt/make_polr_reference.R
library(MASS)
forms <- read.csv("examples/data/bfi/forms.csv")
persons <- read.csv("examples/data/bfi/persons.csv")
d <- merge(forms[, c("person_id", "N1", "N2", "N3", "N4", "N5")], persons[, c("person_id", "gender")])
d <- d[complete.cases(d), ]
d$s <- d$N1 + d$N2 + d$N3 + d$N4 + d$N5
d$g <- as.numeric(d$gender == 2)
rows <- list()
for (it in c("N1", "N2", "N3", "N4", "N5")) {
  y <- factor(d[[it]], ordered = TRUE)
  m0 <- polr(y ~ 1, data = d, method = "logistic")
  m1 <- polr(y ~ s, data = d, method = "logistic", control = list(reltol = 1e-14))
  m2 <- polr(y ~ s + g, data = d, method = "logistic", control = list(reltol = 1e-14))
  m3 <- polr(y ~ s + g + s:g, data = d, method = "logistic", control = list(reltol = 1e-14))
  rows[[it]] <- data.frame(item = it, n = nrow(d),
    ll0 = as.numeric(logLik(m0)), ll1 = as.numeric(logLik(m1)), ll2 = as.numeric(logLik(m2)),
    ll3 = as.numeric(logLik(m3)), b_s_m1 = coef(m1)[["s"]], b_s_m2 = coef(m2)[["s"]],
    b_g_m2 = coef(m2)[["g"]], b_sg_m3 = coef(m3)[["s:g"]])
}
out <- do.call(rbind, rows)
print(out)
write.csv(out, "tests/reference/irt/bfi_n_polr_gender.csv", row.names = FALSE)
