# Reference values for fip.cfa.ordinal (WLSMV on polychorics), made with lavaan 0.6.14.
# Run from the repository root:  Rscript tests/reference/cfa_wlsmv/make_reference_wlsmv.R
# lavaan call: cfa(model, data, ordered = TRUE, estimator = "WLSMV")  (one group, listwise,
# delta parameterisation, DWLS with W = diag(NACOV)^-1, robust.sem SEs, scaled.shifted test).
suppressPackageStartupMessages(library(lavaan))
out <- "tests/reference/cfa_wlsmv"
fm <- c("npar", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled",
        "chisq.scaling.factor", "baseline.chisq", "baseline.df", "baseline.chisq.scaled",
        "baseline.df.scaled", "cfi", "tli", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper",
        "rmsea.pvalue", "cfi.scaled", "tli.scaled", "rmsea.scaled", "rmsea.ci.lower.scaled",
        "rmsea.ci.upper.scaled", "rmsea.pvalue.scaled", "srmr", "ntotal")
save_fit <- function(fit, name, gamma = TRUE) {
  pe <- parameterEstimates(fit, standardized = TRUE, remove.nonfree = FALSE)
  write.csv(pe[, c("lhs", "op", "rhs", "est", "se", "std.all")],
            file.path(out, paste0(name, "_estimates.csv")), row.names = FALSE)
  ss <- standardizedSolution(fit, type = "std.all")
  write.csv(ss[, c("lhs", "op", "rhs", "est.std", "se")], file.path(out, paste0(name, "_std.csv")),
            row.names = FALSE)
  f <- fitMeasures(fit, fm)
  write.csv(data.frame(measure = names(f), value = as.numeric(f)),
            file.path(out, paste0(name, "_fit.csv")), row.names = FALSE)
  ss <- lavInspect(fit, "sampstat")
  th <- ss$th
  write.csv(data.frame(name = names(th), value = as.numeric(th)),
            file.path(out, paste0(name, "_thresholds.csv")), row.names = FALSE)
  r <- unclass(ss$cov)
  write.csv(data.frame(item = rownames(r), r, check.names = FALSE),
            file.path(out, paste0(name, "_polychoric.csv")), row.names = FALSE)
  if (gamma) {
    g <- lavInspect(fit, "gamma")
    write.csv(data.frame(stat = rownames(g), g, check.names = FALSE),
              file.path(out, paste0(name, "_gamma.csv")), row.names = FALSE)
  }
}
# 1. psych's bfi (examples/data/bfi), scored 1-6, listwise on the model's items
bfi <- read.csv("examples/data/bfi/forms.csv")
n_items <- paste0("N", 1:5)
d1 <- bfi[complete.cases(bfi[, n_items]), n_items]
fit <- cfa("neuro =~ N1 + N2 + N3 + N4 + N5", data = d1, ordered = TRUE, estimator = "WLSMV")
save_fit(fit, "bfi_n")
ac_items <- c(paste0("A", 1:5), paste0("C", 1:5))
d2 <- bfi[complete.cases(bfi[, ac_items]), ac_items]
model_ac <- "agree =~ A1 + A2 + A3 + A4 + A5\n consc =~ C1 + C2 + C3 + C4 + C5"
fit <- cfa(model_ac, data = d2, ordered = TRUE, estimator = "WLSMV")
save_fit(fit, "bfi_ac")
fit <- cfa(model_ac, data = d2, ordered = TRUE, estimator = "WLSMV", std.lv = TRUE)
save_fit(fit, "bfi_ac_stdlv", gamma = FALSE)
# 2. simulated ordinal data: two correlated factors, 4 items each, 4 categories (some items skewed), n = 600
set.seed(20261204)
n <- 600
phi <- matrix(c(1, .4, .4, 1), 2)
f <- matrix(rnorm(n * 2), n) %*% chol(phi)
lam <- c(.8, .7, .6, .5)
ystar <- cbind(f[, 1] %o% lam, f[, 2] %o% lam)
ystar <- ystar + matrix(rnorm(n * 8), n) %*% diag(sqrt(1 - c(lam, lam)^2))
ystar[, 1] <- ystar[, 1] + 0.3 * ystar[, 2] # a residual covariance of y1 and y2 is not modelled in sim_2f
cuts <- list(c(-1, 0, 1), c(-.5, .3, 1.2), c(-1.5, -.5, .5), c(0, .8, 1.6))
sim <- data.frame(lapply(1:8, function(j) findInterval(ystar[, j], cuts[[(j - 1) %% 4 + 1]]) + 1))
names(sim) <- paste0("y", 1:8)
write.csv(sim, file.path(out, "sim_data.csv"), row.names = FALSE)
model_sim <- "f1 =~ y1 + y2 + y3 + y4\n f2 =~ y5 + y6 + y7 + y8"
fit <- cfa(model_sim, data = sim, ordered = TRUE, estimator = "WLSMV")
save_fit(fit, "sim_2f")
fit <- cfa(paste(model_sim, "\n y1 ~~ y2"), data = sim, ordered = TRUE, estimator = "WLSMV")
save_fit(fit, "sim_2f_rescov", gamma = FALSE)
writeLines(paste("lavaan", packageVersion("lavaan"), "/", R.version.string), file.path(out, "VERSION.txt"))
# 3. edge cases: binary items (2 x 2 tables, lavaan's 0.5 correction for one empty cell), a 3-category
# item, sparse 5-category items with empty cells, n = 150, one factor of 6 items; and a just-identified
# one-factor model of 3 items (df = 0)
set.seed(7)
n <- 150
f <- rnorm(n)
lam <- c(.9, .85, .7, .7, .6, .6)
ystar <- f %o% lam + matrix(rnorm(n * 6), n) %*% diag(sqrt(1 - lam^2))
cuts <- list(1.4, 1.1, c(-.3, .9), c(-2, -1, 0, 2.2), c(-2.3, -.4, .6, 2), c(-1.8, -.8, .2, 2.4))
edge <- data.frame(lapply(1:6, function(j) findInterval(ystar[, j], cuts[[j]]) + 1))
names(edge) <- paste0("z", 1:6)
edge$z4[edge$z4 == 3] <- 4  # answer 3 never given: items keep only their observed values
edge$z2[edge$z1 == 2] <- 2  # an empty cell in the 2 x 2 table of z1 and z2
write.csv(edge, file.path(out, "edge_data.csv"), row.names = FALSE)
print(table(edge$z1, edge$z2))
fit <- cfa("f =~ z1 + z2 + z3 + z4 + z5 + z6", data = edge, ordered = TRUE, estimator = "WLSMV")
save_fit(fit, "edge_1f")
fit <- cfa("f =~ z3 + z4 + z5", data = edge, ordered = TRUE, estimator = "WLSMV")
save_fit(fit, "edge_3items", gamma = FALSE)
# 4. multi-group WLSMV on bfi N1-N5 by gender (persons.csv), listwise: configural, equal thresholds
# (lavaan then frees the scaling factors ~*~ and the factor mean in group 2), equal thresholds and loadings
persons <- read.csv("examples/data/bfi/persons.csv")
dg <- merge(bfi, persons, by = "person_id")
dg <- dg[order(dg$person_id), ]
dg <- dg[complete.cases(dg[, c(n_items, "gender")]), c(n_items, "gender")]
write.csv(dg, file.path(out, "bfi_n_gender_data.csv"), row.names = FALSE)
mg_levels <- list(configural = "none", thresholds = "thresholds", loadings = c("thresholds", "loadings"))
mg_fits <- list()
for (lv in names(mg_levels)) {
  fit <- cfa("neuro =~ N1 + N2 + N3 + N4 + N5", data = dg, ordered = TRUE, estimator = "WLSMV",
             group = "gender", group.equal = mg_levels[[lv]])
  mg_fits[[lv]] <- fit
  pe <- parameterEstimates(fit, standardized = TRUE, remove.nonfree = FALSE)
  write.csv(pe[, c("lhs", "op", "rhs", "group", "est", "se", "std.all")],
            file.path(out, paste0("bfi_n_gender_", lv, "_estimates.csv")), row.names = FALSE)
  f <- fitMeasures(fit, fm)
  write.csv(data.frame(measure = names(f), value = as.numeric(f)),
            file.path(out, paste0("bfi_n_gender_", lv, "_fit.csv")), row.names = FALSE)
}
lrt <- rbind(lavTestLRT(mg_fits$configural, mg_fits$thresholds)[2, ],
             lavTestLRT(mg_fits$thresholds, mg_fits$loadings)[2, ])
write.csv(data.frame(level = c("thresholds", "loadings"), lrt, check.names = FALSE),
          file.path(out, "bfi_n_gender_lrt.csv"), row.names = FALSE)
# 5. multi-group WLSMV on simulated data: 3 groups (order of first appearance: da, ar, so), two correlated
# factors of 4 items with 4 categories; in group "so" item y3's thresholds are shifted (planted non-invariance)
set.seed(11)
sizes <- c(da = 400, ar = 300, so = 500)
parts <- list()
for (g in names(sizes)) {
  n <- sizes[[g]]
  phi <- matrix(c(1, .3, .3, 1), 2)
  f <- matrix(rnorm(n * 2), n) %*% chol(phi)
  lam <- c(.8, .7, .6, .6)
  ystar <- cbind(f[, 1] %o% lam, f[, 2] %o% lam) + matrix(rnorm(n * 8), n) %*% diag(sqrt(1 - c(lam, lam)^2))
  cuts <- rep(list(c(-1, 0, 1)), 8)
  if (g == "so") cuts[[3]] <- c(-.4, .6, 1.6)
  y <- data.frame(lapply(1:8, function(j) findInterval(ystar[, j], cuts[[j]]) + 1))
  names(y) <- paste0("y", 1:8)
  y$lang <- g
  parts[[g]] <- y
}
mg <- do.call(rbind, parts)
mg <- mg[sample(nrow(mg)), ]
write.csv(mg, file.path(out, "sim_groups_data.csv"), row.names = FALSE)
mg_fits <- list()
for (lv in names(mg_levels)) {
  fit <- cfa(model_sim, data = mg, ordered = TRUE, estimator = "WLSMV", group = "lang",
             group.equal = mg_levels[[lv]])
  mg_fits[[lv]] <- fit
  pe <- parameterEstimates(fit, standardized = TRUE, remove.nonfree = FALSE)
  pe$group_label <- lavInspect(fit, "group.label")[pe$group]
  write.csv(pe[, c("lhs", "op", "rhs", "group", "group_label", "est", "se", "std.all")],
            file.path(out, paste0("sim_groups_", lv, "_estimates.csv")), row.names = FALSE)
  f <- fitMeasures(fit, fm)
  write.csv(data.frame(measure = names(f), value = as.numeric(f)),
            file.path(out, paste0("sim_groups_", lv, "_fit.csv")), row.names = FALSE)
}
lrt <- rbind(lavTestLRT(mg_fits$configural, mg_fits$thresholds)[2, ],
             lavTestLRT(mg_fits$thresholds, mg_fits$loadings)[2, ])
write.csv(data.frame(level = c("thresholds", "loadings"), lrt, check.names = FALSE),
          file.path(out, "sim_groups_lrt.csv"), row.names = FALSE)
# 6. multi-group WLSMV with negative loadings: bfi A1-A5 + C1-C5 by gender, listwise
dac <- merge(bfi, persons, by = "person_id")
dac <- dac[order(dac$person_id), ]
dac <- dac[complete.cases(dac[, c(ac_items, "gender")]), c(ac_items, "gender")]
write.csv(dac, file.path(out, "bfi_ac_gender_data.csv"), row.names = FALSE)
mg_fits <- list()
for (lv in names(mg_levels)) {
  fit <- cfa(model_ac, data = dac, ordered = TRUE, estimator = "WLSMV", group = "gender",
             group.equal = mg_levels[[lv]])
  mg_fits[[lv]] <- fit
  pe <- parameterEstimates(fit, standardized = TRUE, remove.nonfree = FALSE)
  write.csv(pe[, c("lhs", "op", "rhs", "group", "est", "se", "std.all")],
            file.path(out, paste0("bfi_ac_gender_", lv, "_estimates.csv")), row.names = FALSE)
  f <- fitMeasures(fit, fm)
  write.csv(data.frame(measure = names(f), value = as.numeric(f)),
            file.path(out, paste0("bfi_ac_gender_", lv, "_fit.csv")), row.names = FALSE)
}
lrt <- rbind(lavTestLRT(mg_fits$configural, mg_fits$thresholds)[2, ],
             lavTestLRT(mg_fits$thresholds, mg_fits$loadings)[2, ])
write.csv(data.frame(level = c("thresholds", "loadings"), lrt, check.names = FALSE),
          file.path(out, "bfi_ac_gender_lrt.csv"), row.names = FALSE)
