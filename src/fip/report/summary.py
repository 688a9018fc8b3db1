"""The opening summary of the replication report: how close each kind of published number comes.

:func:`summary_table` takes the comparison tables of the report's sections (the typed fields
of :mod:`fip.report.sections` results; :func:`fip.report.sections.summary` passes them) and
condenses every comparison with the published study into one row: the funnel counts, the
sample description, the persons of the regression sample (435 published), the quoted item
means and the orderings the text states, the loadings (Tucker congruence and the largest
difference), the statements about the unrotated solutions, the 404 regression coefficients,
the printed N and R².

Examples
--------
>>> import pandas as pd
>>> funnel = pd.DataFrame({"n": [1150, 1145, 250], "published": [1150, 1146, None]})
>>> summary_table(funnel=funnel)[["what", "published", "value"]].to_dict("records")
[{'what': 'Table 4.2: forms and pairs', 'published': 2, 'value': 1}]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["summary_table"]


def summary_table(
    *,
    funnel: pd.DataFrame | None = None,
    characteristics: pd.DataFrame | None = None,
    analysis_sample: pd.DataFrame | None = None,
    item_means: pd.DataFrame | None = None,
    item_mean_statements: pd.DataFrame | None = None,
    varimax: Mapping[str, tuple[pd.DataFrame, pd.DataFrame]] | None = None,
    unrotated_statements: Sequence[pd.DataFrame] = (),
    regressions: Sequence[pd.DataFrame] = (),
    fit: pd.DataFrame | None = None,
    text_statements: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per kind of published number: how many there are and how close ours come.

    Parameters
    ----------
    funnel : DataFrame, optional
        The pairing funnel with ``n`` and ``published`` (Table 4.2).
    characteristics : DataFrame, optional
        Sample characteristics with ``statistic``, ``characteristic``, ``difference``.
    analysis_sample : DataFrame, optional
        The regression sample's funnel (``n_remaining``; its last row is the sample),
        compared with the study's 435 persons (``sample.responses.regression_sample_persons``).
    item_means, item_mean_statements : DataFrame, optional
        Item means with ``published``/``difference``; the text's statements with ``holds``.
    varimax : mapping of str -> (loadings, congruence), optional
        Per item set, the tidy varimax loadings (``published``, ``difference``) and the
        congruence per factor; only ``citizen`` (Table 4.7) and ``caseworker`` (4.8) count.
    unrotated_statements : sequence of DataFrame
        The report's statements about the unrotated solutions, with ``holds``.
    regressions : sequence of DataFrame
        Tidy regression results with ``coef``, ``se``, ``published_coef``, ``published_se``,
        ``published_stars``.
    fit : DataFrame, optional
        Fit comparison with ``r2_difference`` and ``n_difference``.
    text_statements : DataFrame, optional
        The text's other statements (:func:`fip.statements.check_text_statements`, ``holds``).

    Returns
    -------
    DataFrame
        ``what``, ``published`` (how many numbers), ``measure`` and ``value``; only inputs
        that hold published numbers contribute.
    """
    rows: list[tuple[str, int, str, float]] = []
    varimax = {} if varimax is None else varimax
    if funnel is not None and "published" in funnel.columns:
        both = funnel.dropna(subset=["published"])
        if len(both):
            rows.append(("Table 4.2: forms and pairs", len(both), "counts equal to the published",
                         int((both["n"].astype("float64") == both["published"].astype("float64")).sum())))
    sample = characteristics
    if sample is not None and "published" in sample.columns:
        for statistic, characteristic, measure in (
                ("percent", None, "largest |difference|, percentage points"),
                ("mean", "age", "largest |difference| of a mean age, years")):
            part = sample[(sample["statistic"] == statistic) & sample["difference"].notna()]
            if characteristic is not None:
                part = part[part["characteristic"] == characteristic]
            if len(part):
                rows.append(("Sample description (Table 4.4 and text)", len(part), measure,
                             float(part["difference"].abs().max())))
    if analysis_sample is not None and len(analysis_sample) and pd.notna(analysis_sample["n_remaining"].iloc[-1]):
        from fip.published import load_published

        published = load_published()["sample"]["responses"]["regression_sample_persons"]
        rows.append(("Regression sample (persons with rounds 1 and 2)", 1, "persons, ours minus published",
                     float(analysis_sample["n_remaining"].iloc[-1]) - float(published)))
    means = item_means
    if means is not None and "published" in means.columns:
        part = means.dropna(subset=["published", "difference"])
        if len(part):
            rows.append(("Item means quoted in the text", len(part), "largest |difference|",
                         float(part["difference"].abs().max())))
    said = item_mean_statements
    if said is not None and len(said):
        rows.append(("Item means: orderings stated in the text", len(said), "statements that hold for ours",
                     int(said["holds"].fillna(False).astype(bool).sum())))
    for key in ("citizen", "caseworker"):
        loadings, cong = varimax.get(key, (None, None))
        if cong is None or not len(cong) or loadings is None or "published" not in loadings.columns:
            continue
        name = "Table 4.7" if key == "citizen" else "Table 4.8"
        part = loadings.dropna(subset=["published"])
        rows.append((f"{name}: varimax loadings", len(part), "lowest Tucker congruence of a factor",
                     float(cong["congruence"].min())))
        rows.append((f"{name}: varimax loadings", len(part), "largest |loading difference|",
                     float(part["difference"].abs().max())))
    statements = [t for t in unrotated_statements if t is not None and len(t)]
    if statements:
        said = pd.concat(statements)
        rows.append(("Unrotated solutions: statements in the text", len(said), "statements that hold for ours",
                     int(said["holds"].astype(bool).sum())))
    if text_statements is not None and len(text_statements):
        rows.append(("Sample, outcomes, factors, agreement, regressions: statements in the text",
                     len(text_statements), "statements that hold for ours",
                     int(text_statements["holds"].fillna(False).astype(bool).sum())))
    regressions = [t for t in regressions if "published_coef" in t.columns]
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
    if fit is not None and "n_difference" in fit.columns and fit["n_difference"].notna().any():
        diff = fit["n_difference"].dropna().astype("float64")
        rows.append(("Tables 4.5, 4.6, 4.12, 4.13: N", len(diff),
                     "N, ours minus published (largest in absolute value)", float(diff[diff.abs().idxmax()])))
    if fit is not None and len(fit):
        rows.append(("Tables 4.5, 4.6, 4.12, 4.13: R²", len(fit), "mean R² difference (ours minus published)",
                     float(fit["r2_difference"].mean())))
    return pd.DataFrame(rows, columns=["what", "published", "measure", "value"])
