# Reference values for fip.cfa.robust (MLR) and missing = "pairwise", made with lavaan 0.6 on
# examples/data/holzinger. Run from the repository root:
#   Rscript tests/reference/cfa/make_reference_mlr.R
suppressPackageStartupMessages(library(lavaan))
out <- "tests/reference/cfa"
forms <- read.csv("examples/data/holzinger/forms.csv")
persons <- read.csv("examples/data/holzinger/persons.csv")
d <- merge(forms, persons, by = "person_id")
d <- d[order(d$person_id), ]
model <- "visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9"
fm <- c("npar", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled", "chisq.scaling.factor",
        "baseline.chisq", "baseline.df", "baseline.chisq.scaled", "baseline.chisq.scaling.factor",
        "cfi", "tli", "cfi.scaled", "tli.scaled", "cfi.robust", "tli.robust",
        "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue",
        "rmsea.scaled", "rmsea.ci.lower.scaled", "rmsea.ci.upper.scaled", "rmsea.pvalue.scaled",
        "rmsea.robust", "rmsea.ci.lower.robust", "rmsea.ci.upper.robust", "rmsea.pvalue.robust", "srmr")
fm_ml <- c("npar", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df", "cfi", "tli", "rmsea",
           "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue", "srmr")
save_fit <- function(fit, name, measures = fm) {
  pe <- parameterEstimates(fit, standardized = TRUE, remove.nonfree = FALSE)
  keep <- intersect(c("lhs", "op", "rhs", "group", "est", "se", "std.all"), names(pe))
  write.csv(pe[, keep], file.path(out, paste0(name, "_estimates.csv")), row.names = FALSE)
  ss <- standardizedSolution(fit, type = "std.all", remove.eq = FALSE, remove.ineq = FALSE, remove.def = FALSE)
  keep <- intersect(c("lhs", "op", "rhs", "group", "est.std", "se"), names(ss))
  write.csv(ss[, keep], file.path(out, paste0(name, "_std.csv")), row.names = FALSE)
  f <- fitMeasures(fit, measures)
  write.csv(data.frame(measure = names(f), value = as.numeric(f)),
            file.path(out, paste0(name, "_fit.csv")), row.names = FALSE)
}
# --- MLR, single group (lavaan's MLR defaults: observed information, Huber-White SEs,
#     Yuan-Bentler (Mplus variant) scaled test)
fit1 <- cfa(model, data = d, estimator = "MLR")
o <- lavInspect(fit1, "options")
stopifnot(o$se == "robust.huber.white", o$test == "yuan.bentler.mplus", o$information[1] == "observed",
          o$observed.information[1] == "hessian", o$h1.information[1] == "structured")
save_fit(fit1, "hs_mlr")
fit1s <- cfa(model, data = d, estimator = "MLR", std.lv = TRUE)
save_fit(fit1s, "hs_mlr_stdlv")
fit1r <- cfa(paste(model, "\n x7 ~~ x8"), data = d, estimator = "MLR")
save_fit(fit1r, "hs_mlr_rescov")
# --- MLR, multi-group by school: invariance sequence with the Satorra-Bentler (2001) scaled difference
levels <- list(configural = c(), metric = c("loadings"), scalar = c("loadings", "intercepts"),
               strict = c("loadings", "intercepts", "residuals"))
fits <- list()
for (lv in names(levels)) {
  eq <- levels[[lv]]
  if (length(eq) == 0) fits[[lv]] <- cfa(model, data = d, group = "school", estimator = "MLR")
  else fits[[lv]] <- cfa(model, data = d, group = "school", estimator = "MLR", group.equal = eq)
  save_fit(fits[[lv]], paste0("hs_mlr_school_", lv))
}
rows <- list()
for (i in seq_along(fits)) {
  f <- fitMeasures(fits[[i]], c("chisq", "df", "chisq.scaled", "pvalue.scaled", "chisq.scaling.factor",
                                "cfi.scaled", "tli.scaled", "rmsea.scaled", "cfi.robust", "rmsea.robust", "srmr"))
  r <- data.frame(level = names(fits)[i], t(setNames(as.numeric(f), names(f))))
  if (i > 1) {
    lrt <- lavTestLRT(fits[[i - 1]], fits[[i]])  # default method for MLR
    lrt2 <- lavTestLRT(fits[[i - 1]], fits[[i]], method = "satorra.bentler.2001")
    stopifnot(isTRUE(all.equal(lrt[2, "Chisq diff"], lrt2[2, "Chisq diff"])))
    r$delta_chisq <- lrt[2, "Chisq diff"]; r$delta_df <- lrt[2, "Df diff"]; r$p_delta <- lrt[2, "Pr(>Chisq)"]
    g <- fitMeasures(fits[[i - 1]], c("cfi.scaled", "rmsea.scaled"))
    r$delta_cfi <- f["cfi.scaled"] - g["cfi.scaled"]; r$delta_rmsea <- f["rmsea.scaled"] - g["rmsea.scaled"]
  } else { r$delta_chisq <- NA; r$delta_df <- NA; r$p_delta <- NA; r$delta_cfi <- NA; r$delta_rmsea <- NA }
  rows[[i]] <- r
}
write.csv(do.call(rbind, rows), file.path(out, "hs_mlr_school_invariance.csv"), row.names = FALSE)
# --- missing = "pairwise" with ML: holes by a rule tests/test_cfa_robust.py repeats
#     (item x_j of person i missing when (i + 2 j) %% 13 == 0; person 5 has no answers at all)
dm <- d
for (j in 1:9) dm[(dm$person_id + 2 * j) %% 13 == 0, paste0("x", j)] <- NA
dm[dm$person_id == 5, paste0("x", 1:9)] <- NA
fitp <- cfa(model, data = dm, missing = "pairwise")
stopifnot(lavInspect(fitp, "nobs") == 300)  # the empty row is not counted
save_fit(fitp, "hs_pairwise", fm_ml)
fitpg <- cfa(model, data = dm, group = "school", missing = "pairwise", group.equal = c("loadings", "intercepts"))
save_fit(fitpg, "hs_pairwise_school_scalar", fm_ml)
write.csv(data.frame(group = c("all", lavInspect(fitpg, "group.label")),
                     n = c(lavInspect(fitp, "nobs"), lavInspect(fitpg, "nobs"))),
          file.path(out, "hs_pairwise_nobs.csv"), row.names = FALSE)
# lavaan 0.6.14 has no robust statistics from pairwise covariances: MLR + pairwise fails
bad <- try(cfa(model, data = dm, estimator = "MLR", missing = "pairwise"), silent = TRUE)
writeLines(c(paste("lavaan", as.character(packageVersion("lavaan"))),
             paste("MLR + missing=pairwise:", if (inherits(bad, "try-error")) trimws(as.character(bad)) else "ran")),
           file.path(out, "VERSION_mlr.txt"))
# --- missing = "ml" (full-information ML) on the same holes: observed-information SEs, meanstructure
fm_fiml <- c(fm_ml, "logl", "unrestricted.logl")
fitf <- cfa(model, data = dm, missing = "ml")
of <- lavInspect(fitf, "options")
stopifnot(of$information[1] == "observed", of$observed.information[1] == "hessian", of$meanstructure)
save_fit(fitf, "hs_fiml", fm_fiml)
fitfs <- list()
for (lv in c("configural", "metric", "scalar")) {
  eq <- levels[[lv]]
  if (length(eq) == 0) fitfs[[lv]] <- cfa(model, data = dm, group = "school", missing = "ml")
  else fitfs[[lv]] <- cfa(model, data = dm, group = "school", missing = "ml", group.equal = eq)
  save_fit(fitfs[[lv]], paste0("hs_fiml_school_", lv), fm_fiml)
}
lrt <- lavTestLRT(fitfs[["configural"]], fitfs[["metric"]], fitfs[["scalar"]])
write.csv(data.frame(level = c("configural", "metric", "scalar"), chisq = lrt[, "Chisq"],
                     delta_chisq = lrt[, "Chisq diff"], delta_df = lrt[, "Df diff"], p_delta = lrt[, "Pr(>Chisq)"]),
          file.path(out, "hs_fiml_school_lrt.csv"), row.names = FALSE)
