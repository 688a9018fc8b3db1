# Export two public datasets in fip's smallest layout (forms.csv: person_id + items;
# persons.csv: the background columns as they are). Run from the repository root:
#   Rscript examples/data/export.R
# psych::bfi (psych 2.2.9, GPL >= 2; data: International Personality Item Pool, public domain)
# lavaan::HolzingerSwineford1939 (lavaan 0.6.14, GPL >= 2; data published 1939)
suppressPackageStartupMessages({library(psych); library(lavaan)})
w <- function(x, f) write.csv(x, f, row.names = FALSE, na = "", quote = FALSE)

data(bfi, package = "psych")
items <- c(paste0("A", 1:5), paste0("C", 1:5), paste0("E", 1:5), paste0("N", 1:5), paste0("O", 1:5))
person_id <- rownames(bfi)
w(data.frame(person_id = person_id, bfi[, items]), "examples/data/bfi/forms.csv")
w(data.frame(person_id = person_id, bfi[, c("gender", "education", "age")]), "examples/data/bfi/persons.csv")

data(HolzingerSwineford1939, package = "lavaan")
hs <- HolzingerSwineford1939
w(data.frame(person_id = hs$id, hs[, paste0("x", 1:9)]), "examples/data/holzinger/forms.csv")
w(data.frame(person_id = hs$id, hs[, c("sex", "ageyr", "agemo", "school", "grade")]),
  "examples/data/holzinger/persons.csv")
