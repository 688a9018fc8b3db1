# Reference values for fip.cfa, made with lavaan 0.6 on examples/data/holzinger.
# Run from the repository root:  Rscript tests/reference/cfa/make_reference.R
suppressPackageStartupMessages(library(lavaan))
out <- "tests/reference/cfa"
forms <- read.csv("examples/data/holzinger/forms.csv")
persons <- read.csv("examples/data/holzinger/persons.csv")
d <- merge(forms, persons, by = "person_id")
d <- d[order(d$person_id), ]
model <- "visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9"
fm <- c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper",
        "rmsea.pvalue", "srmr", "baseline.chisq", "baseline.df", "npar")
save_fit <- function(fit, name) {
  pe <- parameterEstimates(fit, standardized = TRUE, remove.nonfree = FALSE)
  keep <- intersect(c("lhs", "op", "rhs", "group", "est", "se", "std.all"), names(pe))
  write.csv(pe[, keep], file.path(out, paste0(name, "_estimates.csv")), row.names = FALSE)
  ss <- standardizedSolution(fit, type = "std.all", remove.eq = FALSE, remove.ineq = FALSE, remove.def = FALSE)
  keep <- intersect(c("lhs", "op", "rhs", "group", "est.std", "se"), names(ss))
  write.csv(ss[, keep], file.path(out, paste0(name, "_std.csv")), row.names = FALSE)
  f <- fitMeasures(fit, fm)
  write.csv(data.frame(measure = names(f), value = as.numeric(f)),
            file.path(out, paste0(name, "_fit.csv")), row.names = FALSE)
}
# single group, marker variable (lavaan default) and std.lv
fit1 <- cfa(model, data = d, likelihood = "normal")
save_fit(fit1, "hs_marker")
fit2 <- cfa(model, data = d, likelihood = "normal", std.lv = TRUE)
save_fit(fit2, "hs_stdlv")
mi <- modindices(fit1, sort. = FALSE)
write.csv(mi[, c("lhs", "op", "rhs", "mi", "epc", "sepc.all")], file.path(out, "hs_marker_mi.csv"), row.names = FALSE)
# model with a residual covariance
fit3 <- cfa(paste(model, "\n x7 ~~ x8"), data = d, likelihood = "normal")
save_fit(fit3, "hs_rescov")
# multi-group by school: invariance sequence
levels <- list(configural = c(), metric = c("loadings"), scalar = c("loadings", "intercepts"),
               strict = c("loadings", "intercepts", "residuals"))
fits <- list()
for (lv in names(levels)) {
  eq <- levels[[lv]]
  if (length(eq) == 0) fits[[lv]] <- cfa(model, data = d, group = "school", likelihood = "normal")
  else fits[[lv]] <- cfa(model, data = d, group = "school", likelihood = "normal", group.equal = eq)
  save_fit(fits[[lv]], paste0("hs_school_", lv))
}
rows <- list()
for (i in seq_along(fits)) {
  f <- fitMeasures(fits[[i]], c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr"))
  r <- data.frame(level = names(fits)[i], t(setNames(as.numeric(f), names(f))))
  if (i > 1) {
    lrt <- lavTestLRT(fits[[i - 1]], fits[[i]])
    r$delta_chisq <- lrt[2, "Chisq diff"]; r$delta_df <- lrt[2, "Df diff"]; r$p_delta <- lrt[2, "Pr(>Chisq)"]
    g <- fitMeasures(fits[[i - 1]], c("cfi", "rmsea"))
    r$delta_cfi <- f["cfi"] - g["cfi"]; r$delta_rmsea <- f["rmsea"] - g["rmsea"]
  } else { r$delta_chisq <- NA; r$delta_df <- NA; r$p_delta <- NA; r$delta_cfi <- NA; r$delta_rmsea <- NA }
  rows[[i]] <- r
}
write.csv(do.call(rbind, rows), file.path(out, "hs_school_invariance.csv"), row.names = FALSE)
# univariate score tests on the scalar model's intercept equalities
st <- lavTestScore(fits[["scalar"]], univariate = TRUE)
uni <- st$uni
pt <- parTable(fits[["scalar"]])
write.csv(uni, file.path(out, "hs_school_scalar_score.csv"), row.names = FALSE)
write.csv(pt[, c("lhs", "op", "rhs", "group", "plabel", "label", "free")], file.path(out, "hs_school_scalar_partable.csv"), row.names = FALSE)
writeLines(paste("lavaan", as.character(packageVersion("lavaan"))), file.path(out, "VERSION.txt"))
# partial scalar invariance freeing the intercepts of x3 and x7 (lavaan tutorial)
fitp <- cfa(model, data = d, group = "school", likelihood = "normal", group.equal = c("loadings", "intercepts"),
            group.partial = c("x3 ~ 1", "x7 ~ 1"))
save_fit(fitp, "hs_school_partial")
# std.lv multi-group metric model (frees factor variances in group 2)
fitsm <- cfa(model, data = d, group = "school", likelihood = "normal", group.equal = "loadings", std.lv = TRUE)
save_fit(fitsm, "hs_school_metric_stdlv")
