# Reference values for fip.factors.diagnostics.parallel_analysis (tests/test_factors_parallel.py).
# R 4.2.2, psych (Debian r-cran-psych). Run: Rscript make_reference.R  (from this folder)
# psych::fa.parallel on the correlation matrix of psych::bfi's 25 items, complete rows
# (examples/data/bfi, 2,436 rows), normal random data only (a matrix and n.obs: no resampling).
suppressMessages(library(psych))
suppressMessages(library(jsonlite))
d <- read.csv("../../../examples/data/bfi/forms.csv")[, -1]
d <- d[complete.cases(d), ]
r <- cor(d)
out <- list(n_obs = nrow(d), psych = as.character(packageVersion("psych")))
for (smc in c(TRUE, FALSE)) {
  for (quant in c(0.5, 0.95)) {
    set.seed(20261204)
    pa <- fa.parallel(r, n.obs = nrow(d), fa = "fa", fm = "minres", SMC = smc, n.iter = 500,
                      quant = quant, plot = FALSE)
    key <- paste0(if (smc) "smc" else "minres", "_q", quant)
    out[[key]] <- list(observed = pa$fa.values, random_mean = pa$fa.sim, nfact = pa$nfact)
  }
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "fa_parallel_bfi.json")
