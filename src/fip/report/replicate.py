"""`fip replicate`: the whole study (VIVE 2020, chapter 4) on one dataset, as files.

:func:`replicate` runs every analysis of the study on a dataset and writes, under
``out_dir``: ``report.html`` (one self-contained page, figures embedded), ``tables/*.csv``
(one per table, full precision) and ``figures/*.png``. Where the study printed numbers they
stand beside ours with the difference (ours minus published).

Only aggregates leave this module: no person or caseworker id, and every table and figure
goes through one :class:`fip.disclosure.DisclosurePolicy` (no figure resting on 1-4 persons
is shown or recoverable by subtraction within the report; see :func:`replicate`).

Examples
--------
>>> from fip.simulate import simulate_cohort
>>> result = replicate(simulate_cohort(seed=0), "out/replication")  # doctest: +SKIP
>>> result.report.name  # doctest: +SKIP
'report.html'
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fip import __version__
from fip._atomic import atomic_write_bytes, atomic_write_text
from fip._output import to_csv
from fip.data import Dataset, pair_forms
from fip.data.dataset import iso_date
from fip.describe import (check_statements, funnel_with_published, item_means, item_progression, plot_item_means,
                          protect_funnel, protect_item_tables, sample_characteristics, wide_table)
from fip.disclosure import DisclosurePolicy, Relation, hidden_cells
from fip.report import figures as figs
from fip.report import html
from fip.report.summary import summary_table

__all__ = ["STEPS", "ReplicationResult", "replicate"]

#: Steps reported to the ``progress`` callback, in order.
STEPS: tuple[str, ...] = ("sample", "descriptives", "factors", "indices", "regressions", "prediction", "report")

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ReplicationResult:
    """What :func:`replicate` wrote.

    Attributes
    ----------
    out_dir : Path
    report : Path
        ``out_dir / "report.html"``.
    tables : dict of str -> DataFrame
        Every table written, by name (the CSV file is ``tables/<name>.csv``).
    table_paths, figure_paths : dict of str -> Path
    timings : dict of str -> float
        Seconds per step of :data:`STEPS` (not written anywhere, so files stay reproducible).
    notes : tuple of str
        Warnings raised by the analyses (also listed in the report).
    """

    out_dir: Path
    report: Path
    tables: dict[str, pd.DataFrame]
    table_paths: dict[str, Path]
    figure_paths: dict[str, Path]
    timings: dict[str, float]
    notes: tuple[str, ...]


def _published_name(key: str) -> str:
    """``table_4_9`` -> ``Tabel 4.9``."""
    parts = key.removeprefix("table_").split("_")
    return "Tabel " + ".".join(parts)


def _protect_analysis_sample(funnel: pd.DataFrame, policy: DisclosurePolicy) -> pd.DataFrame:
    """The analysis sample's steps: each step's remaining persons = the next step's + its exclusions,
    so no exclusion of 1-4 persons may be shown or follow from two shown remainders."""
    counts = {"n": {}}
    relations = []
    for i, row in enumerate(funnel.itertuples()):
        counts["n"][("remaining", i)] = int(row.n_remaining)
        if i:
            counts["n"][("excluded", i)] = int(row.n_excluded)
            relations.append(Relation(("remaining", i - 1), (("remaining", i), ("excluded", i))))
    hidden = hidden_cells(counts, relations, policy)
    out = funnel.copy()
    for column, kind in (("n_excluded", "excluded"), ("n_remaining", "remaining")):
        out[column] = pd.array(out[column], dtype="Int64")
        out.loc[[(kind, i) in hidden for i in range(len(out))], column] = pd.NA
    return out


def _wide_loadings(tidy: pd.DataFrame, instrument) -> pd.DataFrame:
    """Items as rows; per factor our loading, the published one and the difference."""
    order = {item: k for k, item in enumerate(instrument.item_ids())}
    frames = []
    for factor, part in tidy.groupby("factor", sort=False):
        part = part.set_index("item")
        cols = {factor: part["loading"]}
        if "published" in part.columns and part["published"].notna().any():
            cols[f"{factor} published ({part['published_factor'].iloc[0]})"] = part["published"]
            cols[f"{factor} difference"] = part["difference"]
        frames.append(pd.DataFrame(cols))
    wide = pd.concat(frames, axis=1)
    wide = wide.loc[sorted(wide.index, key=lambda i: order.get(i, len(order)))]
    wide.insert(0, "label", [instrument.label(i, "en") for i in wide.index])
    return wide.rename_axis("item").reset_index()


def _regression_display(results: pd.DataFrame) -> pd.DataFrame:
    """Ours and published side by side, with the coefficient difference (report layer)."""
    def cell(coef, se, star):
        return [("" if pd.isna(c) else f"{c:.3f}{s if isinstance(s, str) else ''} ({e:.3f})")
                for c, e, s in zip(coef, se, star)]

    return pd.DataFrame({
        "model": results["model"].to_numpy(),
        "term": results["term"].to_numpy(),
        "outcome": results["outcome"].to_numpy(),
        "controls": results["controls"].map({True: "with", False: "without"}).to_numpy(),
        "ours": cell(results["coef"], results["se"], results["stars"]),
        "published": cell(results["published_coef"], results["published_se"], results["published_stars"]),
        "difference": (results["coef"] - results["published_coef"]).to_numpy(dtype="float64"),
        "n": results["n"].to_numpy(),
    })


def _term_labels(analysis, lang: str = "en") -> dict[str, str]:
    """Display names of regression terms: item or index label with (level)/(change)."""
    inst = analysis.instrument
    names = {i: inst.label(i, lang) for i in inst.item_ids()}
    names.update({d.id: d.label_in(lang) for d in analysis.definitions})
    return {f"{k}_{kind}": f"{v} ({kind})" for k, v in names.items() for kind in ("level", "change")}


def _instrument_table(instrument) -> pd.DataFrame:
    """One row per item: respondent, domain, wording in each label language, parallel items."""
    domains = {d.id: d.label.get("en", d.id) for d in instrument.domains}
    partner = {i: " ".join(x for x in g.items if x != i) + ("" if g.kind == "parallel" else f" ({g.kind})")
               for g in instrument.parallel for i in g.items}
    items = instrument.items
    table = pd.DataFrame({"item": [i.id for i in items], "respondent": [i.respondent for i in items],
                          "domain": [domains.get(i.domain, i.domain) for i in items]})
    for lang in instrument.label_languages:
        table[f"wording ({lang})"] = [i.text.get(lang, "") for i in items]
    table["parallel with"] = [partner.get(i.id, "") for i in items]
    return table


def _factor_sets(instrument) -> list[tuple[str, str, str | None]]:
    """(key, title, published table) of the item sets analysed."""
    sets: list[tuple[str, str, str | None]] = []
    fip_tables = {"citizen": "Tabel 4.7", "caseworker": "Tabel 4.8"}
    for r in instrument.measurement_respondents:
        if instrument.item_ids(r):
            label = next(x.label for x in instrument.respondents if x.id == r).get("en", r)
            sets.append((r, f"{label} items", fip_tables.get(r) if instrument.id == "fip" else None))
    sets.append(("both", f"All {len(instrument.item_ids())} items", None))
    return sets


def _factor_analyses(measurements: pd.DataFrame, instrument, key: str):
    """Unrotated and varimax :class:`~fip.factors.study.StudyComparison` of one item set."""
    from fip.factors import factor_analysis
    from fip.factors.study import StudyComparison, compare_with_study

    if key in ("citizen", "caseworker", "both"):
        return (compare_with_study(measurements, instrument, key, rotation=None),
                compare_with_study(measurements, instrument, key, rotation="varimax"))
    items = list(instrument.item_ids(key))
    data = measurements.loc[measurements["round"] == 1, items].astype("float64")
    out = []
    for rotation in (None, "varimax"):
        res = factor_analysis(data, method="pf", rotation=rotation)
        tidy = res.loadings.rename_axis("item").reset_index().melt(id_vars="item", var_name="factor",
                                                                    value_name="loading")
        out.append(StudyComparison(res, tidy, pd.DataFrame(columns=["factor", "published_factor", "sign", "congruence"]),
                                   pd.DataFrame(columns=["statement", "published", "ours"])))
    return tuple(out)


class _Run:
    """Collects tables, figures and HTML blocks while the steps run."""

    def __init__(self, out_dir: Path, policy: DisclosurePolicy, predict_C: float | str = "auto") -> None:
        self.out_dir = out_dir
        self.policy = policy
        self.predict_C = predict_C
        self.tables: dict[str, pd.DataFrame] = {}
        self.table_paths: dict[str, Path] = {}
        self.figure_paths: dict[str, Path] = {}
        self.figure_png: dict[str, bytes] = {}
        self.sections: list[html.Section] = []
        self.notes: list[str] = []

    def table(self, name: str, frame: pd.DataFrame) -> pd.DataFrame:
        self.tables[name] = frame
        path = self.out_dir / "tables" / f"{name}.csv"
        atomic_write_text(path, to_csv(frame))
        self.table_paths[name] = path
        return frame

    def figure(self, name: str, fig) -> bytes:
        """Write ``figures/<name>.png``; return the SVG that the page embeds."""
        rendered = figs.figure_bytes_in(fig, ("png", "svg"), dpi=figs.REPORT_DPI)
        path = self.out_dir / "figures" / f"{name}.png"
        atomic_write_bytes(path, rendered["png"])
        self.figure_paths[name] = path
        self.figure_png[name] = rendered["png"]
        return rendered["svg"]


def _sample(run: _Run, ds: Dataset, state: dict) -> None:
    from fip.regression import build_analysis_table

    inst = ds.instrument
    pairing = pair_forms(ds)
    published = published_characteristics = None
    if inst.id == "fip":
        from fip.published import published_funnel, published_sample

        published, published_characteristics = published_funnel(), published_sample()
    funnel = run.table("sample_funnel", protect_funnel(funnel_with_published(pairing.funnel, published), run.policy))
    until = state.get("until")
    model_ds = ds if until is None else ds.forms_between(last=until)
    model_pairing = pairing if until is None else pair_forms(model_ds)
    analysis = build_analysis_table(model_ds, model_pairing)
    sample = run.table("analysis_sample", _protect_analysis_sample(analysis.funnel, run.policy))
    state.update(pairing=pairing, analysis=analysis, model_dataset=model_ds, model_pairing=model_pairing)
    m = pairing.measurements
    n_persons = int(m["person_id"].nunique())
    n_caseworkers = int(m["caseworker_id"].nunique())
    characteristics = run.table("sample_characteristics", sample_characteristics(
        m, ds.persons, published=published_characteristics, policy=run.policy))
    shown = characteristics.drop(columns=["suppressed"])
    blocks = [
        html.paragraph(f"{n_persons} persons have at least one measurement (a citizen form and a caseworker "
                       f"form in the same calendar month), with {n_caseworkers} caseworkers; "
                       f"{len(analysis.table)} persons have rounds 1 and 2, complete controls and a complete "
                       "6-month outcome window (the regression and prediction sample"
                       + (f"; forms answered up to {until}" if until else "") + ")."),
        html.table(funnel, "Forms per round and respondent, same-month pairs and exclusions "
                           + ("(published: Tabel 4.2)" if published is not None else ""), digits=0),
        html.paragraph(f"Counts between 1 and {run.policy.threshold - 1} are not shown, nor counts from which they "
                       "would follow by subtraction (suppressed).", note=True),
        html.table(sample, "Analysis sample (persons)", digits=0),
        html.table(shown, "Sample characteristics" + (" beside those printed in the report (Tabel 4.4 and the text "
                                                      "describing the sample; percent on a 0-100 scale)"
                                                      if published_characteristics is not None else ""), digits=1),
        html.paragraph("Persons with a round-1 measurement unless a round is given; age = year of the round-1 "
                       "measurement minus birth year; visitation shares among measurements with a known category. "
                       "Tabel 4.3 (years of education) needs a variable the data layout does not have. Where the "
                       "report gives words rather than a number ('about two thirds') only the printed column "
                       "holds them.", note=True),
    ]
    run.sections.append(html.section("sample", "Sample and funnel", blocks))


def _descriptives(run: _Run, ds: Dataset, state: dict) -> None:
    inst = ds.instrument
    m = state["pairing"].measurements
    published = None
    if inst.id == "fip":
        from fip.published import published_item_means

        published = published_item_means()
    means, progression = protect_item_tables(run.policy, item_means(m, ds.persons, inst, policy=None),
                                             item_progression(m, ds.persons, inst, policy=None))
    if published is not None:
        pub = published[["item", "gender", "round", "mean"]].rename(columns={"mean": "published"})
        means = means.merge(pub, on=["item", "gender", "round"], how="left")
        means["difference"] = means["mean"] - means["published"]
    means = run.table("item_means", means)
    progression = run.table("item_progression", progression)
    wide = wide_table(means, inst, lang="en")
    for col in [c for c in wide.columns if c.startswith("published ")]:
        wide[col.replace("published ", "difference ")] = wide[col.removeprefix("published ")] - wide[col]
    fig_means = run.figure("item_means", plot_item_means(means, inst, lang="en"))
    fig_prog = run.figure("item_progression", figs.plot_progression(progression, inst, lang="en"))
    items = run.table("instrument", _instrument_table(inst))
    statements = run.table("item_mean_statements", check_statements(means, progression, inst))
    blocks = [
        html.table(items, f"The questionnaire: {inst.id} version {inst.version}, configs/instrument.yaml"
                   + (" (Tabel 4.1)" if inst.id == "fip" else ""), scroll=True),
        html.table(wide, "Item means by gender and round"
                   + (" (published: the round-1 means quoted in the report's text; its Figures 4.9-4.10 are images)"
                      if published is not None else ""), digits=2),
        html.figure(fig_means, "Item means by gender and round with 95 % confidence intervals"),
        *([html.table(statements, "What the report's text says about the item means (its Figures 4.9-4.12 are "
                                  "images; configs/published_statements.yaml), and whether it holds here")]
          if len(statements) else []),
        html.table(wide_table(progression, inst, lang="en"), "Mean change from round 1 to round 2 "
                   "(persons with both rounds)", digits=2),
        html.figure(fig_prog, "Mean change from round 1 to round 2 with 95 % confidence intervals"),
        html.paragraph(f"Cells with fewer than {run.policy.threshold} persons, and cells from which such a group "
                       "would follow by subtraction (women = all − men; round 2 − persons with both rounds), are "
                       "suppressed (empty). Full tables with n, sd, se "
                       "and confidence intervals: tables/item_means.csv and tables/item_progression.csv.", note=True),
    ]
    stars = figs.average_measurements(m, inst, min_cell=run.policy.threshold)
    if stars is not None:
        from fip.star import plot_star

        png = run.figure("star_average", plot_star(stars, inst, figs.AVERAGE_ID, lang="en",
                                                   title="FIP star of the average person, rounds 1 and 2"))
        blocks.append(html.figure(png, "FIP star of the average person: item means of all persons measured in "
                                       "each round (not one person)"))
    run.sections.append(html.section("descriptives", "Item means by gender and round", blocks))


#: Index family (configs/indices.yaml) built from each factor analysis of the study.
_FACTOR_FAMILY = {"citizen": "citizen_factors", "caseworker": "caseworker_factors", "both": "combined_factors"}


def _factors(run: _Run, ds: Dataset, state: dict, seed: int) -> None:
    from fip.factors import parallel_analysis, scree_data
    from fip.indices import compare_index_definitions, derive_index_definitions

    inst = ds.instrument
    m = state["pairing"].measurements
    r1 = m[m["round"] == 1]
    blocks = [html.paragraph("Principal-factor analyses (Stata `factor`, pf) of the round-1 measurements, unrotated "
                             "and with varimax rotation (unnormalised, Stata's default). Our factors are matched to "
                             "the published ones by Tucker's congruence; signs are aligned before the difference is "
                             "taken.")]
    scree_sets = {}
    for key, title, published in _factor_sets(inst):
        unrot, rot = _factor_analyses(m, inst, key)
        blocks.append(html.heading(title + (f" ({published})" if published else "")))
        var_u = run.table(f"factor_{key}_unrotated_variance", unrot.result.variance)
        if len(unrot.statements):
            st = run.table(f"factor_{key}_unrotated_statements", unrot.statements)
            blocks.append(html.table(st, "Unrotated solution: what the report states, and ours"))
        blocks.append(html.table(var_u, f"Unrotated solution (n = {unrot.result.n_obs}): eigenvalues and "
                                        "proportions of the reduced correlation matrix"))
        run.table(f"factor_{key}_varimax_variance", rot.result.variance)
        loadings = run.table(f"factor_{key}_varimax_loadings", rot.loadings)
        blocks.append(html.table(rot.result.variance, f"Varimax, {rot.result.n_factors} factors: rotated variance"))
        blocks.append(html.table(_wide_loadings(loadings, inst), f"Varimax loadings, {rot.result.n_factors} factors"
                                 + (f", beside {published}" if published else "")))
        png = run.figure(f"loadings_{key}", figs.plot_loadings_heatmap(
            rot.result.loadings, inst, published=rot.published_wide(),
            title=f"Varimax loadings, {title[0].lower() + title[1:]}"))
        blocks.append(html.figure(png, f"Varimax loadings, {rot.result.n_factors} factors"
                                       + (f", ours beside {published} (matched by congruence, signs aligned)"
                                          if published else "")
                                       + f"; bold: |loading| > {figs.LOADING_THRESHOLD}, frame: the item's largest"))
        if len(rot.congruence):
            cong = run.table(f"factor_{key}_varimax_congruence", rot.congruence)
            blocks.append(html.table(cong, f"Tucker congruence of our factors with {published}"))
        study_sets = [d for d in state["analysis"].definitions if d.family == _FACTOR_FAMILY.get(key)]
        if study_sets:
            derived = derive_index_definitions(rot.result.loadings, figs.LOADING_THRESHOLD)
            sets = run.table(f"factor_{key}_item_sets", compare_index_definitions(derived, study_sets))
            blocks.append(html.table(sets, "The study's factor indices (configs/indices.yaml, from the report's "
                                           "tables and text) beside the item sets our loadings give (each item to "
                                           f"its highest |loading| if above {figs.LOADING_THRESHOLD}, the study's "
                                           "rule)", digits=2))
        items = list(inst.item_ids() if key == "both" else inst.item_ids(key))
        data = r1[items].astype("float64")
        scree = run.table(f"factor_{key}_scree", scree_data(data))
        parallel = run.table(f"factor_{key}_parallel", parallel_analysis(data, n_iter=100, seed=seed).table)
        scree_sets[title] = (scree, parallel)
    png = run.figure("scree", figs.plot_scree(scree_sets))
    blocks.append(html.figure(png, "Scree plots with parallel-analysis thresholds (mean of 100 random data sets, "
                                   f"seed {seed})"))
    run.sections.append(html.section("factors", "Factor analyses", blocks))


def _indices(run: _Run, ds: Dataset, state: dict) -> None:
    from fip.disclosure import protect
    from fip.indices import index_means, score_indices
    from fip.reliability import reliability_table

    defs = state["analysis"].definitions
    if not defs:
        run.sections.append(html.section("indices", "Indices and reliability", [
            html.paragraph("No index definition fits this instrument; section skipped.")]))
        return
    m = state["pairing"].measurements
    table = pd.DataFrame({"index": [d.id for d in defs], "family": [d.family for d in defs],
                          "items": [" ".join(d.items) for d in defs],
                          "label": [d.label.get("en", d.label.get("da", "")) if d.label else "" for d in defs]})
    run.table("index_definitions", table)
    means = index_means(score_indices(m, defs), defs, policy=run.policy)
    run.table("index_means", means)
    rel = run.table("reliability", protect(reliability_table(m[m["round"] == 1], defs), run.policy, n="n_obs",
                                           values=["alpha", "ci_low", "ci_high", "omega", "mean_inter_item_r"]))
    blocks = [html.table(table, "Index definitions (configs/indices.yaml)"),
              html.table(means, "Index means by round", digits=2),
              html.table(rel, "Reliability of the indices, round 1: Cronbach's alpha (Feldt 95 % CI) and "
                              "McDonald's omega")]
    heywood = rel.loc[rel["heywood"].astype(bool), "index"].tolist()
    if heywood:
        blocks.append(html.paragraph(
            f"Omega of {', '.join(heywood)}: the one-factor model behind omega hit a Heywood case (an item's "
            "communality reached 1; with three items the model is just identified, so this happens whenever one "
            "item's implied loading exceeds 1). Omega then rests on that single item and overstates the index's "
            "reliability; read alpha for these indices. The warning is also listed under About.", note=True))
    run.sections.append(html.section("indices", "Indices and reliability", blocks))


def _regressions(run: _Run, ds: Dataset, state: dict) -> None:
    from fip.regression import FAMILIES, published_fit_statistics, run_family
    from fip.regression.tables import fit_comparison, publication_table

    analysis = state["analysis"]
    blocks = [html.paragraph(
        f"OLS with caseworker fixed effects (Stata areg), n = {len(analysis.table)} persons with rounds 1 and 2. "
        "Cells: coefficient, stars (+ p<0.10, * p<0.05, ** p<0.01, *** p<0.001), standard error in brackets; "
        "difference = our coefficient minus the published one. " + _period_text(state.get("until")))]
    everything = []
    labels = _term_labels(analysis)
    published_df = (published_fit_statistics()[["table", "outcome", "controls", "df_resid"]]
                    .rename(columns={"df_resid": "published_df_resid"}))
    for family in FAMILIES:
        res = run.table(f"regression_{family}", run_family(analysis, family))
        everything.append(res)
        blocks.append(html.heading(f"Family {family}"))
        if res.empty:
            blocks.append(html.paragraph("No models of this family for this instrument and its indices."))
            continue
        keys = [k for k in dict.fromkeys(res["table"]) if isinstance(k, str) and k]
        for key in keys:
            part = res[res["table"] == key]
            blocks.append(html.table(_regression_display(part), f"{_published_name(key)}: ours beside the "
                                                                 "published coefficients", scroll=True))
            png = run.figure(f"coefficients_{key}", figs.plot_coefficients(
                part.merge(published_df, on=["table", "outcome", "controls"], how="left"),
                title=f"{_published_name(key)}: ours beside the published coefficients", labels=labels))
            blocks.append(html.figure(png, f"{_published_name(key)}: coefficients with 95 % confidence intervals "
                                           "(t with the residual df; the published interval uses the printed df "
                                           "where the table prints one, else ours)"))
        rest = res[~res["table"].isin(keys)]
        if len(rest):
            blocks.append(html.table(publication_table(rest), f"{family}: models without a published table "
                                                              "(ours only)", scroll=True))
    fit = fit_comparison(pd.concat(everything, ignore_index=True))
    if len(fit):
        run.table("regression_fit", fit)
        blocks += [html.heading("Fit statistics"), html.table(fit, "N, R², adjusted R² and residual df beside "
                                                                  "those printed in Tables 4.5, 4.6, 4.12 and 4.13",
                                                        scroll=True),
                   html.paragraph("parameters = N − residual df: the coefficients plus one absorbed intercept per "
                                  "caseworker (areg's model size)." + _inconsistent_fit_note(fit), note=True)]
    run.sections.append(html.section("regressions", "Regressions", blocks))


def _inconsistent_fit_note(fit: pd.DataFrame) -> str:
    """Published columns whose adjusted R² does not follow from their R², N and df (1 − (1 − R²)(N − 1)/df)."""
    n, r2, adj, df = (fit[f"published_{k}"] for k in ("n", "r2", "adj_r2", "df_resid"))
    implied_adj = 1 - (1 - r2) * (n - 1) / df
    implied_r2 = 1 - (1 - adj) * df / (n - 1)
    odd = (implied_adj - adj).abs() > 0.0015  # beyond the printed three decimals
    return "".join(
        f" {_published_name(row.table)}, {row.outcome} {'with' if row.controls else 'without'} controls, prints "
        f"R² {row.published_r2:.3f} beside adjusted R² {row.published_adj_r2:.3f} with N {row.published_n} and "
        f"df {row.published_df_resid}, which cannot both hold (R² {row.published_r2:.3f} implies an adjusted R² "
        f"of {a:.3f}; {row.published_adj_r2:.3f} implies R² {b:.3f})."
        for row, a, b in zip(fit[odd].itertuples(), implied_adj[odd], implied_r2[odd]))


def _prediction(run: _Run, ds: Dataset, state: dict, seed: int) -> None:
    from fip.predict import plot_calibration, train

    blocks = [html.paragraph(
        "Job-chance model (any employment in the 6 months after round 2): L2-penalised logistic regression "
        + ("(penalty C chosen by nested cross-validation, lowest out-of-fold log loss), " if run.predict_C == "auto"
           else f"(C = {run.predict_C}), ")
        + f"cross-validated with folds of whole caseworkers (seed {seed}); the study's "
        "fixed-effects linear probability model and gradient boosting are validated the same way for comparison.")]
    curves = {}
    for kind in ("intake", "progression"):
        result = train(state["model_dataset"], kind, C=run.predict_C, seed=seed, created_at="replicate", policy=run.policy,
                       pairing=state["model_pairing"])
        v = result.validation
        metrics = run.table(f"prediction_{kind}_metrics", v.metrics.reset_index())
        rate = run.table(f"prediction_{kind}_rate_metrics", v.rate_metrics.reset_index())
        by_group = run.table(f"prediction_{kind}_by_group", v.by_group)
        calibration = run.table(f"prediction_{kind}_calibration", v.calibration)
        curves[kind] = calibration
        penalty = run.table(f"prediction_{kind}_penalty", v.penalty)
        chosen = penalty[penalty["chosen"] & penalty["search"].isin(["final", "fixed"])][["model", "C"]]
        blocks += [html.heading(f"Model {kind}" + (" (round 1 only)" if kind == "intake" else
                                                   " (round 1 and the change to round 2)")),
                   html.table(metrics, "Out-of-fold probability metrics"),
                   html.table(rate, "Out-of-fold metrics of the expected employment rate"),
                   html.table(by_group, "Logistic model within groups (cells under 5 persons suppressed)"),
                   html.table(chosen, "Penalty C of the final models", digits=4)]
    png = run.figure("calibration", plot_calibration(curves, title="Calibration, out of fold"))
    blocks.append(html.figure(png, "Calibration of the logistic models: observed share with a job by tenth of the "
                                   "predicted probability (95 % Wilson intervals)"))
    run.sections.append(html.section("prediction", "Job-chance validation", blocks))


def _period_text(until: str | None) -> str:
    """What the report says about the study's 2017-2018 restriction of its regressions."""
    if until:
        return (f"Only forms answered up to {until} enter the regressions and the job-chance validation (the study "
                "used measurements made in 2017-2018 for its regressions and all measurements, August 2017 to May "
                "2019, for the rest).")
    return ("The study used measurements made in 2017-2018 for its regressions (all measurements, August 2017 to "
            "May 2019, for the rest); here every measurement in the data is used throughout (fip replicate "
            "--until 2018-12-31 applies the study's restriction).")


def _about(ds: Dataset, source: str, synthetic: bool, seed: int, notes: list[str], until: str | None,
           threshold: int) -> str:
    inst = ds.instrument
    lines = [
        f"Data: {source}; {len(ds.persons)} persons, {len(ds.forms)} forms. Instrument: {inst.id} "
        f"(version {inst.version}). fip version {__version__}. Seed: {seed}.",
        ("Everything in this report is computed from a synthetic cohort: persons, answers and register outcomes "
         "are simulated, calibrated to the published study (configs/calibration.yaml). Differences from the "
         "published numbers measure the simulator's calibration, not a replication of the study."
         if synthetic else
         "The published numbers beside ours come from the study's own (confidential) data; differences are "
         "expected where the samples differ."),
        "Published numbers: VIVE (2020), chapter 4, as transcribed in configs/fip_published.yaml.",
        _period_text(until),
        f"Only aggregates are shown: no person or caseworker ids; cells with fewer than {threshold} persons are "
        "suppressed, and so are figures from which such a group could be recovered by subtraction (fip.disclosure). "
        "The CSV files in tables/ hold the same numbers at full precision.",
    ]
    body = "".join(html.paragraph(line) for line in lines)
    if notes:
        body += html.heading("Warnings raised by the analyses") + "".join(html.paragraph(n, note=True) for n in notes)
    return f'<section id="about">\n<h2>About this report</h2>\n{body}</section>\n'


def replicate(
    dataset: Dataset,
    out_dir: str | Path,
    *,
    progress: Progress | None = None,
    seed: int = 0,
    source: str = "a FIP dataset",
    synthetic: bool = False,
    until: str | None = None,
    policy: DisclosurePolicy | None = None,
    predict_C: float | str = "auto",
) -> ReplicationResult:
    """Run the whole study on ``dataset``; write the report, the tables and the figures.

    Parameters
    ----------
    dataset : Dataset
        Persons, forms and outcomes (e.g. :func:`fip.simulate.simulate_cohort` or
        :func:`fip.data.load_dataset`).
    out_dir : str or Path
        Created if needed; ``report.html``, ``tables/`` and ``figures/`` are (over)written
        atomically file by file.
    progress : callable, optional
        ``progress(step, i, n)`` is called before step ``i`` (0-based) of the ``n`` in
        :data:`STEPS`, and once more with ``("done", n, n)`` at the end. Library code never
        prints; the CLI draws a progress bar with it.
    seed : int
        Seed of parallel analysis and of the prediction's cross-validation folds.
    source : str
        How the report describes the data (e.g. ``"synthetic cohort (seed 0)"``).
    synthetic : bool
        Say in the report that the data are simulated.
    until : str, optional
        ISO date: only forms answered up to it enter the regressions and the job-chance
        validation, as in the study (``"2018-12-31"``); descriptives and factor analyses use
        every form, as the study did. Default: every form throughout.
    policy : DisclosurePolicy, optional
        The small-cell rule of every table and figure (default: the configured one,
        threshold 5). A lowered threshold (secure machine) is stated at the top of the report.
    predict_C : "auto" or float
        Inverse L2 penalty of the job-chance models (:func:`fip.predict.train`); ``"auto"``
        chooses it by nested cross-validation grouped by caseworker (the choices are in
        ``prediction_<kind>_penalty``).

    Returns
    -------
    ReplicationResult

    Notes
    -----
    * Sections: summary (:func:`fip.report.summary.summary_table`); sample and funnel
      (Tabel 4.2, sample characteristics beside Tabel 4.4 and the text); the questionnaire
      (Tabel 4.1), item means and progression; factor analyses of the citizen, caseworker and
      all items (unrotated variance and the report's statements, varimax loadings beside
      Tables 4.7/4.8 with congruence and heatmaps, the study's item sets beside ours, scree
      and parallel analysis); indices and reliability (Heywood cases behind omega flagged);
      all regression families (Tables 4.5, 4.6, 4.9-4.13 beside ours, coefficient plots, fit
      statistics); job-chance validation (intake and progression, ``C`` = ``predict_C``);
      about.
    * The study's 2017-2018 restriction of the regressions applies with ``until="2018-12-31"``.
    * Same dataset and seed give the same bytes (no timestamps in any file).
    """
    if until is not None:
        until = iso_date(until, "until")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    run = _Run(out, DisclosurePolicy.default() if policy is None else policy, predict_C)
    state: dict = {"until": until}
    steps: dict[str, Callable[[], None]] = {
        "sample": lambda: _sample(run, dataset, state),
        "descriptives": lambda: _descriptives(run, dataset, state),
        "factors": lambda: _factors(run, dataset, state, seed),
        "indices": lambda: _indices(run, dataset, state),
        "regressions": lambda: _regressions(run, dataset, state),
        "prediction": lambda: _prediction(run, dataset, state, seed),
        "report": lambda: None,
    }
    timings: dict[str, float] = {}
    report = out / "report.html"
    for i, name in enumerate(STEPS):
        if progress is not None:
            progress(name, i, len(STEPS))
        start = time.perf_counter()
        if name == "report":
            summary = run.table("summary", summary_table(run.tables))
            if len(summary):
                shown = summary.assign(value=[f"{v:.0f}" if float(v).is_integer() else f"{v:.3f}"
                                              for v in summary["value"]])
                run.sections.insert(0, html.section("summary", "Summary: ours beside the published numbers", [
                    html.table(shown, "How close the numbers of this report come to the published ones "
                                        "(details in the sections below)"),
                    html.paragraph("A coefficient counts as not significantly different when |ours − published| "
                                   "< 1.96 √(se² + published se²), the two samples taken as independent."
                                   + (" With a synthetic cohort this measures the simulator's calibration."
                                      if synthetic else ""), note=True)]))
            about = _about(dataset, source, synthetic, seed, run.notes, until, run.policy.threshold)
            if run.policy.statement:
                run.sections.insert(0, html.section("secure-machine", "Secure machine only",
                                                    [html.paragraph(run.policy.statement)]))
            text = html.page(f"FIP: the VIVE (2020) study replicated on {source}", run.sections, about=about)
            atomic_write_text(report, text)
        else:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                steps[name]()
            for w in caught:
                note = f"{name}: {w.category.__name__}: {w.message}"
                if note not in run.notes:
                    run.notes.append(note)
        timings[name] = time.perf_counter() - start
    if progress is not None:
        progress("done", len(STEPS), len(STEPS))
    return ReplicationResult(out_dir=out, report=report, tables=dict(run.tables), table_paths=dict(run.table_paths),
                             figure_paths=dict(run.figure_paths), timings=timings, notes=tuple(run.notes))
