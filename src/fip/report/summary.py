"""The opening summary of the replication report: how close each kind of published number comes.

:func:`summary_table` reads the tables :func:`fip.report.replicate` wrote (by name) and
condenses every comparison with the published study into one row: the funnel counts, the
sample description, the quoted item means and the orderings the text states, the loadings
(Tucker congruence and the largest difference), the statements about the unrotated
solutions, the 404 regression coefficients and the printed R².

Examples
--------
>>> import pandas as pd
>>> funnel = pd.DataFrame({"n": [1150, 1145, 250], "published": [1150, 1146, None]})
>>> summary_table({"sample_funnel": funnel})[["what", "published", "value"]].to_dict("records")
[{'what': 'Tabel 4.2: forms and pairs', 'published': 2, 'value': 1}]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["summary_table"]


def summary_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per kind of published number: how many there are and how close ours come.

    Only tables the run wrote and that hold published numbers contribute; the rows are
    ``what``, ``published`` (how many numbers), ``measure`` and ``value``.
    """
    rows: list[tuple[str, int, str, float]] = []
    funnel = tables.get("sample_funnel")
    if funnel is not None and "published" in funnel.columns:
        both = funnel.dropna(subset=["published"])
        if len(both):
            rows.append(("Tabel 4.2: forms and pairs", len(both), "counts equal to the published",
                         int((both["n"].astype("float64") == both["published"].astype("float64")).sum())))
    sample = tables.get("sample_characteristics")
    if sample is not None and "published" in sample.columns:
        for statistic, characteristic, measure in (
                ("percent", None, "largest |difference|, percentage points"),
                ("mean", "age", "largest |difference| of a mean age, years")):
            part = sample[(sample["statistic"] == statistic) & sample["difference"].notna()]
            if characteristic is not None:
                part = part[part["characteristic"] == characteristic]
            if len(part):
                rows.append(("Sample description (Tabel 4.4 and text)", len(part), measure,
                             float(part["difference"].abs().max())))
    means = tables.get("item_means")
    if means is not None and "published" in means.columns:
        part = means.dropna(subset=["published", "difference"])
        if len(part):
            rows.append(("Item means quoted in the text", len(part), "largest |difference|",
                         float(part["difference"].abs().max())))
    said = tables.get("item_mean_statements")
    if said is not None and len(said):
        rows.append(("Item means: orderings stated in the text", len(said), "statements that hold for ours",
                     int(said["holds"].fillna(False).astype(bool).sum())))
    for key in ("citizen", "caseworker"):
        cong = tables.get(f"factor_{key}_varimax_congruence")
        loadings = tables.get(f"factor_{key}_varimax_loadings")
        if cong is None or not len(cong) or loadings is None or "published" not in loadings.columns:
            continue
        name = "Tabel 4.7" if key == "citizen" else "Tabel 4.8"
        part = loadings.dropna(subset=["published"])
        rows.append((f"{name}: varimax loadings", len(part), "lowest Tucker congruence of a factor",
                     float(cong["congruence"].min())))
        rows.append((f"{name}: varimax loadings", len(part), "largest |loading difference|",
                     float(part["difference"].abs().max())))
    statements = [t for k, t in tables.items() if k.endswith("_unrotated_statements") and len(t)]
    if statements:
        said = pd.concat(statements)
        rows.append(("Unrotated solutions: statements in the text", len(said), "statements that hold for ours",
                     int(said["holds"].astype(bool).sum())))
    regressions = [t for k, t in tables.items() if k.startswith("regression_") and "published_coef" in t.columns]
    if regressions:
        reg = pd.concat(regressions).dropna(subset=["published_coef", "published_se"])
        if len(reg):
            # two independent samples: the difference has variance se^2 + published se^2
            z = (reg["coef"] - reg["published_coef"]) / np.sqrt(reg["se"] ** 2 + reg["published_se"] ** 2)
            rows.append(("Tables 4.5, 4.6, 4.9-4.13: coefficients", len(reg),
                         "share not significantly different from the published (|z| < 1.96)",
                         float((z.abs() < 1.96).mean())))
            significant = reg[reg["published_stars"].isin(["*", "**", "***"])]
            if len(significant):
                rows.append(("Tables 4.5, 4.6, 4.9-4.13: coefficients", len(significant),
                             "published significant (p < 0.05): share with the same sign in ours",
                             float((np.sign(significant["coef"]) == np.sign(significant["published_coef"])).mean())))
    fit = tables.get("regression_fit")
    if fit is not None and len(fit):
        rows.append(("Tables 4.5, 4.6, 4.12, 4.13: R²", len(fit), "mean R² difference (ours minus published)",
                     float(fit["r2_difference"].mean())))
    return pd.DataFrame(rows, columns=["what", "published", "measure", "value"])
