# Reference values for fip.cfa.longitudinal: longitudinal measurement invariance round 1 -> round 2,
# lavaan 0.6 with hand-written labelled syntax, cross-checked against semTools measEq.syntax(longFacNames=).
# Data: fip_citizen_wide.csv (simulate_cohort(seed=0), persons measured in rounds 1 and 2, the 11
# citizen items; written by make_longitudinal_data.py). Run from the repository root:
#   Rscript tests/reference/cfa/make_reference_longitudinal.R
suppressPackageStartupMessages({library(lavaan); library(semTools)})
out <- "tests/reference/cfa"
d <- read.csv(file.path(out, "fip_citizen_wide.csv"))
# the citizen factor indices of configs/indices.yaml (family citizen_factors)
factors <- list(citizen_selfconf = c("c03", "c05", "c06", "c07", "c08", "c11"),
                citizen_danish = c("c09", "c10"),
                citizen_cooperation = c("c01", "c02", "c04"))
items <- unlist(factors, use.names = FALSE)
rn <- function(x, r) paste0(x, "_r", r)

# One single-group model, a factor per index per round, the same item's residuals correlated over
# rounds, factor covariances free (cfa() default), meanstructure. Labels impose the equalities:
#   metric: l_ITEM on the same item's loading in both rounds (marker loadings fixed at 1);
#   scalar: + i_ITEM on its intercepts, latent means of round 2 free (round 1 fixed at 0);
#   strict: + t_ITEM on its residual variances.
# `free` lists equalities left out (partial): "c02 ~1" etc.
longitudinal <- function(level, free = character(0)) {
  eqL <- level %in% c("metric", "scalar", "strict")
  eqI <- level %in% c("scalar", "strict")
  eqT <- level == "strict"
  lines <- c()
  for (r in 1:2) {
    for (f in names(factors)) {
      its <- factors[[f]]
      terms <- rn(its, r)
      for (k in seq_along(its)[-1]) {
        if (eqL && !(paste0(f, " =~ ", its[k]) %in% free)) terms[k] <- paste0("l_", its[k], "*", terms[k])
      }
      lines <- c(lines, paste0(rn(f, r), " =~ ", paste(terms, collapse = " + ")))
      lines <- c(lines, paste0(rn(f, r), if (eqI && r == 2) " ~ NA*1" else " ~ 0*1"))
    }
    for (i in items) {
      lab <- if (eqI && !(paste0(i, " ~1") %in% free)) paste0("i_", i, "*") else ""
      lines <- c(lines, paste0(rn(i, r), " ~ ", lab, "1"))
      lab <- if (eqT && !(paste0(i, " ~~ ", i) %in% free)) paste0("t_", i, "*") else ""
      lines <- c(lines, paste0(rn(i, r), " ~~ ", lab, rn(i, r)))
    }
  }
  for (i in items) lines <- c(lines, paste0(rn(i, 1), " ~~ ", rn(i, 2)))
  paste(lines, collapse = "\n")
}
fm <- c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper",
        "rmsea.pvalue", "srmr", "baseline.chisq", "baseline.df", "npar")
save_fit <- function(fit, name) {
  pe <- parameterEstimates(fit, standardized = TRUE, remove.nonfree = FALSE)
  write.csv(pe[, c("lhs", "op", "rhs", "est", "se", "std.all")],
            file.path(out, paste0(name, "_estimates.csv")), row.names = FALSE)
  f <- fitMeasures(fit, fm)
  write.csv(data.frame(measure = names(f), value = as.numeric(f)),
            file.path(out, paste0(name, "_fit.csv")), row.names = FALSE)
}
levels <- c("configural", "metric", "scalar", "strict")
fits <- list()
for (lv in levels) {
  fits[[lv]] <- cfa(longitudinal(lv), data = d, likelihood = "normal", meanstructure = TRUE)
  stopifnot(lavInspect(fits[[lv]], "converged"))
  save_fit(fits[[lv]], paste0("fip_long_", lv))
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
write.csv(do.call(rbind, rows), file.path(out, "fip_long_invariance.csv"), row.names = FALSE)

# univariate score tests of the scalar model's equalities over time (loadings and intercepts),
# named by the parameter table's lhs/op/rhs of both sides of each constraint
st <- lavTestScore(fits[["scalar"]], univariate = TRUE)$uni
pt <- parTable(fits[["scalar"]])
side <- function(plabel) { k <- match(plabel, pt$plabel); paste(pt$lhs[k], pt$op[k], pt$rhs[k]) }
st$left <- side(st$lhs); st$right <- side(st$rhs)
write.csv(st[, c("left", "right", "X2", "df", "p.value")], file.path(out, "fip_long_scalar_score.csv"), row.names = FALSE)
# a partial scalar model: the intercept with the largest score test freed
top <- st[which.max(st$X2), ]
stopifnot(grepl("~1", top$left))
item <- sub("_r1 ~1 $", "", top$left)
fits[["partial"]] <- cfa(longitudinal("scalar", free = paste0(item, " ~1")), data = d, likelihood = "normal",
                         meanstructure = TRUE)
save_fit(fits[["partial"]], "fip_long_partial")
# partial strict, the scalar intercept kept free: the residual variance with the largest score test freed
strict1 <- cfa(longitudinal("strict", free = paste0(item, " ~1")), data = d, likelihood = "normal", meanstructure = TRUE)
st2 <- lavTestScore(strict1, univariate = TRUE)$uni
pt2 <- parTable(strict1)
side2 <- function(plabel) { k <- match(plabel, pt2$plabel); paste(pt2$lhs[k], pt2$op[k], pt2$rhs[k]) }
st2$left <- side2(st2$lhs)
resid <- st2[sapply(strsplit(st2$left, " "), function(x) x[2] == "~~" && x[1] == x[3]), ]
item2 <- sub("_r1$", "", strsplit(resid$left[which.max(resid$X2)], " ")[[1]][1])
free2 <- c(paste0(item, " ~1"), paste0(item2, " ~~ ", item2))
fits[["partial_strict"]] <- cfa(longitudinal("strict", free = free2), data = d, likelihood = "normal",
                                meanstructure = TRUE)
save_fit(fits[["partial_strict"]], "fip_long_partial_strict")
writeLines(free2, file.path(out, "fip_long_partial_freed.txt"))

# std.lv identification of the metric model: round-1 factor variances 1, round 2 free
syn <- gsub("(citizen_[a-z]+_r1) ~ 0\\*1", "\\1 ~ 0*1\n\\1 ~~ 1*\\1", longitudinal("metric"))
syn <- gsub("_r([12]) =~ ", "_r\\1 =~ NA*", syn)
# first indicators in round 2 carry labels too when std.lv: label every loading
for (f in names(factors)) {
  its <- factors[[f]]
  for (r in 1:2) syn <- sub(paste0(rn(f, r), " =~ NA\\*", rn(its[1], r)),
                            paste0(rn(f, r), " =~ NA*", rn(its[1], r), " + l_", its[1], "*", rn(its[1], r)), syn)
}
fits[["metric_stdlv"]] <- cfa(syn, data = d, likelihood = "normal", meanstructure = TRUE)
stopifnot(lavInspect(fits[["metric_stdlv"]], "converged"))
save_fit(fits[["metric_stdlv"]], "fip_long_metric_stdlv")

# cross-check: semTools measEq.syntax builds the same sequence (marker identification, lag-1
# residual covariances); chi-square and df must agree with the hand-written models
conf <- paste(unlist(lapply(1:2, function(r) sapply(names(factors), function(f)
  paste0(rn(f, r), " =~ ", paste(rn(factors[[f]], r), collapse = " + "))))), collapse = "\n")
lfn <- setNames(lapply(names(factors), function(f) rn(f, 1:2)), names(factors))
lin <- setNames(lapply(items, function(i) rn(i, 1:2)), items)
eqs <- list(configural = "", metric = "loadings", scalar = c("loadings", "intercepts"),
            strict = c("loadings", "intercepts", "residuals"))
check <- data.frame()
for (lv in levels) {
  me <- measEq.syntax(configural.model = conf, data = d, ID.fac = "auto.fix.first", longFacNames = lfn,
                      longIndNames = lin, long.equal = eqs[[lv]], auto = 1L, return.fit = TRUE,
                      likelihood = "normal", meanstructure = TRUE)
  a <- fitMeasures(me, c("chisq", "df")); b <- fitMeasures(fits[[lv]], c("chisq", "df"))
  check <- rbind(check, data.frame(level = lv, chisq_measEq = a[["chisq"]], df_measEq = a[["df"]],
                                   chisq_labels = b[["chisq"]], df_labels = b[["df"]]))
  stopifnot(abs(a[["chisq"]] - b[["chisq"]]) < 1e-6, a[["df"]] == b[["df"]])
}
write.csv(check, file.path(out, "fip_long_measeq_check.csv"), row.names = FALSE)
writeLines(c(paste("lavaan", packageVersion("lavaan")), paste("semTools", packageVersion("semTools"))),
           file.path(out, "VERSION_longitudinal.txt"))
