"""The sections of the replication report, each a function of a :class:`~fip.study.Study`.

Every section (:data:`SECTIONS`) returns a frozen result: its tables (name -> DataFrame,
with the persons behind each in ``n`` where that is meaningful), its figures (name ->
:class:`Figure`, bytes and format), its HTML blocks and the warnings the analyses raised.
Sections share nothing but the Study, so one can be built, rendered and tested on its own;
:func:`fip.report.replicate` calls them in order, writes the files and renders the page.

Only aggregates leave this module. Every table and figure goes through the Study's
:class:`fip.disclosure.DisclosurePolicy` (``study.policy``): no figure resting on 1-4
persons is shown, nor one from which such a group follows by subtraction within the report
(item means beside progression, the funnel's forms = paired + excluded, the analysis
sample's steps, job-chance groups beside the whole sample).

Examples
--------
>>> from fip.simulate import simulate_cohort
>>> from fip.study import Study
>>> study = Study(simulate_cohort(300, seed=1))
>>> result = sample(study)
>>> sorted(result.tables)
['analysis_sample', 'sample_characteristics', 'sample_funnel']
>>> result.n["analysis_sample"] == len(study.analysis.table)
True
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import pandas as pd

from fip import __version__
from fip.describe import (check_statements, funnel_with_published, item_means, item_progression, plot_item_means,
                          protect_funnel, protect_item_tables, sample_characteristics, wide_table)
from fip.disclosure import DisclosurePolicy, Relation, hidden_cells
from fip.factors.study import StudyComparison
from fip.report import figures as figs
from fip.report import html
from fip.report._render import render_figure
from fip.report.summary import summary_table
from fip.report.words import ReportWords
from fip.study import Study
from fip.study_config import study_facts

if TYPE_CHECKING:  # sklearn loads only when the prediction section runs
    from fip.predict import ValidationReport
    from fip.report._render import PoolRenderer

__all__ = [
    "SECTIONS", "DescriptivesResult", "FactorSet", "FactorsResult", "Figure", "IndicesResult", "PredictionResult",
    "RegressionsResult", "SampleResult", "SectionResult", "SummaryResult", "about", "descriptives", "factors",
    "indices", "prediction", "regressions", "sample", "summary", "validity",
]

#: Sections of the report, in the order of the page (``about`` closes it).
SECTIONS: tuple[str, ...] = ("summary", "sample", "descriptives", "factors", "indices", "regressions",
                             "statements", "open_choices", "prediction", "validity", "about")


@dataclass(frozen=True)
class Figure:
    """A rendered figure as its file holds it: bytes and format (``"png"``); the page embeds an SVG."""

    data: bytes
    format: str = "png"


@dataclass(frozen=True, eq=False)
class SectionResult:
    """What one section of the report holds.

    Attributes
    ----------
    id, title : str
        Anchor and heading of the section on the page.
    blocks : tuple of str
        HTML blocks of the section body (made with :mod:`fip.report.html`).
    tables : mapping of str -> DataFrame
        Tables written as ``tables/<name>.csv``, in the order of the page.
    n : mapping of str -> int
        Persons behind a table, for the tables where one number says it.
    figures : mapping of str -> Figure
        Figures written as ``figures/<name>.<format>``.
    warnings : tuple of str
        ``"<section>: <Category>: <message>"`` for every distinct warning raised while the
        section was built.
    """

    id: str
    title: str
    blocks: tuple[str, ...] = ()
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    n: Mapping[str, int] = field(default_factory=dict)
    figures: Mapping[str, Figure] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def html(self) -> html.Section:
        """The section as a block of the page."""
        return html.section(self.id, self.title, self.blocks)


@dataclass(frozen=True, eq=False)
class SampleResult(SectionResult):
    """The sample section; ``funnel`` (suppressed), ``analysis_sample``, ``characteristics``."""

    funnel: pd.DataFrame | None = None
    analysis_sample: pd.DataFrame | None = None
    characteristics: pd.DataFrame | None = None


@dataclass(frozen=True, eq=False)
class DescriptivesResult(SectionResult):
    """Item means (``means``), their progression and the checked statements of the text."""

    means: pd.DataFrame | None = None
    progression: pd.DataFrame | None = None
    statements: pd.DataFrame | None = None


@dataclass(frozen=True, eq=False)
class FactorSet:
    """The factor analyses of one item set.

    Attributes
    ----------
    key, title : str
        Item set (``citizen``, ``caseworker``, ``both`` ...) and its heading.
    published : str or None
        The published table it is compared with (``"Table 4.7"``), if any.
    unrotated, varimax : StudyComparison
    scree, parallel : DataFrame
    """

    key: str
    title: str
    published: str | None
    unrotated: StudyComparison
    varimax: StudyComparison
    scree: pd.DataFrame
    parallel: pd.DataFrame


@dataclass(frozen=True, eq=False)
class FactorsResult(SectionResult):
    """Factor analyses per item set (``sets``, by key)."""

    sets: Mapping[str, FactorSet] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class IndicesResult(SectionResult):
    """Index means by round (suppressed) and reliability; None when no index fits."""

    means: pd.DataFrame | None = None
    reliability: pd.DataFrame | None = None


@dataclass(frozen=True, eq=False)
class RegressionsResult(SectionResult):
    """Tidy results per model family (``families``) and the fit comparison (``fit``, or None)."""

    families: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    fit: pd.DataFrame | None = None


@dataclass(frozen=True, eq=False)
class StatementsResult(SectionResult):
    """The text's statements beyond the item means, checked (``checks``)."""

    checks: pd.DataFrame | None = None


@dataclass(frozen=True, eq=False)
class PredictionResult(SectionResult):
    """Validation of the job-chance models per kind (``validations``), ``C`` as given."""

    validations: Mapping[str, ValidationReport] = field(default_factory=dict)
    C: float | str = "auto"


@dataclass(frozen=True, eq=False)
class SummaryResult(SectionResult):
    """The opening comparison with the published numbers (``table``)."""

    table: pd.DataFrame | None = None


class _Parts:
    """Collects a section's tables, their n and its figures while it is built.

    ``renderer``: None draws and renders each figure at once; a :class:`~fip.report._render.PoolRenderer`
    queues it (placeholder block, empty bytes until ``renderer.resolve``).
    """

    def __init__(self, renderer: PoolRenderer | None = None, study: Study | None = None) -> None:
        self.renderer = renderer
        self.words = ReportWords() if study is None else ReportWords.for_study(study)
        self.tables: dict[str, pd.DataFrame] = {}
        self.n: dict[str, int] = {}
        self.figures: dict[str, Figure] = {}

    def table(self, name: str, frame: pd.DataFrame, n: int | None = None) -> pd.DataFrame:
        self.tables[name] = frame
        if n is not None:
            self.n[name] = int(n)
        return frame

    def figure(self, name: str, caption: str, draw: Callable[..., object], *args, **kwargs) -> str:
        """The page's block of figure ``draw(*args, **kwargs)`` (SVG); keep ``figures/<name>.png`` for the files."""
        if self.renderer is not None:
            self.figures[name] = Figure(b"", "png")
            return self.renderer.submit(name, caption, draw, args, kwargs)
        png, svg = render_figure(draw, args, kwargs)
        self.figures[name] = Figure(png, "png")
        return html.figure(svg, caption)

    def show(self, frame: pd.DataFrame, caption: str, **options) -> str:
        """The page's block of table ``frame``: codes as words (:class:`~fip.report.words.ReportWords`)."""
        return html.table(frame, caption, words=self.words, **options)

    def done(self) -> dict[str, object]:
        return {"tables": dict(self.tables), "n": dict(self.n), "figures": dict(self.figures)}


def _count_or_decimals(values: pd.Series) -> list[str]:
    """A column mixing counts and shares as text: whole numbers without decimals, others with 3."""
    return ["" if pd.isna(v) else f"{v:.0f}" if float(v).is_integer() else f"{v:.3f}" for v in values]


def _with_warnings(name: str, build: Callable[[], SectionResult]) -> SectionResult:
    """Run ``build`` recording its warnings as notes of section ``name``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = build()
    notes = tuple(dict.fromkeys(f"{name}: {w.category.__name__}: {w.message}" for w in caught))
    return replace(result, warnings=notes) if notes else result


def _published_name(key: str) -> str:
    """``table_4_9`` -> ``Table 4.9``."""
    parts = key.removeprefix("table_").split("_")
    return "Table " + ".".join(parts)


def _protect_analysis_sample(funnel: pd.DataFrame, policy: DisclosurePolicy) -> pd.DataFrame:
    """The analysis sample's steps: each step's remaining persons = the next step's + its exclusions,
    so no exclusion of 1-4 persons may be shown or follow from two shown remainders."""
    counts: dict[str, dict] = {"n": {}}
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


def _factor_sets(study: Study) -> list[tuple[str, str, str | None]]:
    """(key, title, published table) of the item sets analysed."""
    inst = study.instrument
    fip_tables = {k: f"Table {t}" for k, t in study_facts().published_tables.items()}
    sets: list[tuple[str, str, str | None]] = []
    for key in study.item_sets:
        if key == "both":
            sets.append((key, f"All {len(inst.item_ids())} items", None))
            continue
        label = next(x.label for x in inst.respondents if x.id == key).get("en", key)
        sets.append((key, f"{label} items", fip_tables.get(key) if inst.id == "fip" else None))
    return sets


def _factor_analyses(study: Study, key: str) -> tuple[StudyComparison, StudyComparison]:
    """Unrotated and varimax :class:`~fip.factors.study.StudyComparison` of one item set,
    from the item set's correlation matrix as the Study computed it."""
    from fip.factors import factor_analysis
    from fip.factors.study import compare_with_study

    corr = study.correlation(key)
    if key in ("citizen", "caseworker", "both"):
        return tuple(compare_with_study(None, study.instrument, key, rotation=rotation,
                                        correlation=corr.correlation, n_obs=corr.n_obs)
                     for rotation in (None, "varimax"))
    out = []
    for rotation in (None, "varimax"):
        res = factor_analysis(corr.correlation, method="pf", rotation=rotation, n_obs=corr.n_obs)
        tidy = res.loadings.rename_axis("item").reset_index().melt(id_vars="item", var_name="factor",
                                                                    value_name="loading")
        out.append(StudyComparison(res, tidy, pd.DataFrame(columns=["factor", "published_factor", "sign", "congruence"]),
                                   pd.DataFrame(columns=["statement", "published", "ours"])))
    return tuple(out)


def _sample(study: Study) -> SampleResult:
    inst = study.instrument
    parts = _Parts(study=study)
    published = published_characteristics = None
    if inst.id == "fip":
        from fip.published import published_funnel, published_sample

        published, published_characteristics = published_funnel(), published_sample()
    policy = study.policy
    funnel = parts.table("sample_funnel", protect_funnel(funnel_with_published(study.funnel, published), policy))
    until = study.until
    analysis = study.analysis
    sample_table = parts.table("analysis_sample", _protect_analysis_sample(analysis.funnel, policy),
                               n=len(analysis.table))
    m = study.measurements
    n_persons = int(m["person_id"].nunique())
    n_caseworkers = int(m["caseworker_id"].nunique())
    characteristics = parts.table("sample_characteristics", sample_characteristics(
        m, study.dataset.persons, published=published_characteristics, policy=policy), n=n_persons)
    shown = characteristics.drop(columns=["suppressed"])
    blocks = (
        html.paragraph(f"{n_persons} persons have at least one measurement (a citizen form and a caseworker "
                       f"form in the same calendar month), with {n_caseworkers} caseworkers; "
                       f"{len(analysis.table)} persons have rounds 1 and 2, complete controls and a complete "
                       "6-month outcome window (the regression and prediction sample"
                       + (f"; forms answered up to {until}" if until else "") + ")."),
        parts.show(funnel, "Forms per round and respondent, same-month pairs and exclusions "
                           + ("(published: Table 4.2)" if published is not None else ""), digits=0),
        html.paragraph(f"Counts between 1 and {policy.threshold - 1} are not shown, nor counts from which they "
                       "would follow by subtraction (suppressed).", note=True),
        parts.show(sample_table, "Analysis sample (persons)", digits=0),
        parts.show(shown, "Sample characteristics" + (" beside those printed in the report (Table 4.4 and the text "
                                                      "describing the sample; percent on a 0-100 scale)"
                                                      if published_characteristics is not None else ""), digits=1),
        html.paragraph("Persons with a round-1 measurement unless a round is given; age = year of the round-1 "
                       "measurement minus birth year; visitation shares among measurements with a known category. "
                       "Table 4.3 (years of education) needs a variable the data layout does not have. Where the "
                       "report gives words rather than a number ('about two thirds') only the printed column "
                       "holds them.", note=True),
    )
    return SampleResult("sample", "Sample and funnel", blocks, **parts.done(), funnel=funnel,
                        analysis_sample=sample_table, characteristics=characteristics)


def _descriptives(study: Study, renderer: PoolRenderer | None) -> DescriptivesResult:
    inst = study.instrument
    persons = study.dataset.persons
    m = study.measurements
    parts = _Parts(renderer, study)
    published = None
    if inst.id == "fip":
        from fip.published import published_item_means

        published = published_item_means()
    n_round1 = int(m.loc[m["round"] == 1, "person_id"].nunique())
    n_both = len(set(m.loc[m["round"] == 1, "person_id"]) & set(m.loc[m["round"] == 2, "person_id"]))
    # the two tables are shown together: protected together (persons with both rounds within each round)
    means, progression = protect_item_tables(study.policy,
                                             item_means(m, persons, inst, policy=None, published=published),
                                             item_progression(m, persons, inst, policy=None))
    means = parts.table("item_means", means, n=n_round1)
    progression = parts.table("item_progression", progression, n=n_both)
    wide = wide_table(means, inst, lang="en")
    for col in [c for c in wide.columns if c.startswith("published ")]:
        wide[col.replace("published ", "difference ")] = wide[col.removeprefix("published ")] - wide[col]
    fig_means = parts.figure("item_means", "Item means by gender and round with 95 % confidence intervals",
                             plot_item_means, means, inst, lang="en")
    fig_prog = parts.figure("item_progression", "Mean change from round 1 to round 2 with 95 % confidence intervals",
                            figs.plot_progression, progression, inst, lang="en")
    items = parts.table("instrument", _instrument_table(inst))
    statements = parts.table("item_mean_statements", check_statements(means, progression, inst))
    blocks = [
        parts.show(items, f"The questionnaire: {inst.id} version {inst.version}, configs/instrument.yaml"
                   + (" (Table 4.1)" if inst.id == "fip" else ""), scroll=True),
        parts.show(wide, "Item means by gender and round"
                   + (" (published: the round-1 means quoted in the report's text; its Figures 4.9-4.10 are images)"
                      if published is not None else ""), digits=2),
        fig_means,
        *([parts.show(statements.drop(columns="id"), "What the report's text says about the item means (its Figures 4.9-4.12 are "
                                  "images; configs/published_statements.yaml), and whether it holds here")]
          if len(statements) else []),
        parts.show(wide_table(progression, inst, lang="en"), "Mean change from round 1 to round 2 "
                   "(persons with both rounds)", digits=2),
        fig_prog,
        html.paragraph(f"Cells with fewer than {study.policy.threshold} persons, and cells from which such a group "
                       "would follow by subtraction (women = all − men; round 2 − persons with both rounds), are "
                       "suppressed (empty). Full tables with n, sd, se "
                       "and confidence intervals: tables/item_means.csv and tables/item_progression.csv.", note=True),
    ]
    # small-cell rule of the average star: rounds with fewer persons than the threshold left out
    stars = figs.average_measurements(m, inst, min_cell=study.policy.threshold)
    if stars is not None:
        from fip.star import plot_star

        blocks.append(parts.figure("star_average", "FIP star of the average person: item means of all persons "
                                                   "measured in each round (not one person)",
                                   plot_star, stars, inst, figs.AVERAGE_ID, lang="en",
                                   title="FIP star of the average person, rounds 1 and 2"))
    return DescriptivesResult("descriptives", "Item means by gender and round", tuple(blocks), **parts.done(),
                              means=means, progression=progression, statements=statements)


def _factors(study: Study, seed: int, renderer: PoolRenderer | None) -> FactorsResult:
    from fip.factors import parallel_analysis, scree_data
    from fip.indices import compare_index_definitions, derive_index_definitions

    inst = study.instrument
    parts = _Parts(renderer, study)
    blocks = [html.paragraph("Principal-factor analyses (Stata `factor`, pf) of the round-1 measurements, unrotated "
                             "and with varimax rotation (unnormalised, Stata's default). Our factors are matched to "
                             "the published ones by Tucker's congruence; signs are aligned before the difference is "
                             "taken.")]
    scree_sets = {}
    sets: dict[str, FactorSet] = {}
    for key, title, published in _factor_sets(study):
        corr = study.correlation(key)
        n = corr.n_obs
        unrot, rot = _factor_analyses(study, key)
        blocks.append(html.heading(title + (f" ({published})" if published else "")))
        var_u = parts.table(f"factor_{key}_unrotated_variance", unrot.result.variance, n=n)
        if len(unrot.statements):
            st = parts.table(f"factor_{key}_unrotated_statements", unrot.statements, n=n)
            blocks.append(parts.show(st, "Unrotated solution: what the report states, and ours"))
        blocks.append(parts.show(var_u, f"Unrotated solution (n = {unrot.result.n_obs}): eigenvalues and "
                                        "proportions of the reduced correlation matrix"))
        parts.table(f"factor_{key}_varimax_variance", rot.result.variance, n=n)
        loadings = parts.table(f"factor_{key}_varimax_loadings", rot.loadings, n=n)
        blocks.append(parts.show(rot.result.variance, f"Varimax, {rot.result.n_factors} factors: rotated variance"))
        blocks.append(parts.show(_wide_loadings(loadings, inst), f"Varimax loadings, {rot.result.n_factors} factors"
                                 + (f", beside {published}" if published else "")))
        blocks.append(parts.figure(
            f"loadings_{key}", f"Varimax loadings, {rot.result.n_factors} factors"
            + (f", ours beside {published} (matched by congruence, signs aligned)" if published else "")
            + f"; bold: |loading| > {figs.LOADING_THRESHOLD}, frame: the item's largest",
            figs.plot_loadings_heatmap, rot.result.loadings, inst, published=rot.published_wide(),
            title=f"Varimax loadings, {title[0].lower() + title[1:]}"))
        if len(rot.congruence):
            cong = parts.table(f"factor_{key}_varimax_congruence", rot.congruence, n=n)
            blocks.append(parts.show(cong, f"Tucker congruence of our factors with {published}"))
        study_sets = [d for d in study.definitions if d.family == study_facts().index_families.get(key)]
        if study_sets:
            derived = derive_index_definitions(rot.result.loadings, figs.LOADING_THRESHOLD)
            item_sets = parts.table(f"factor_{key}_item_sets", compare_index_definitions(derived, study_sets))
            blocks.append(parts.show(item_sets, "The study's factor indices (configs/indices.yaml, from the report's "
                                                "tables and text) beside the item sets our loadings give (each item "
                                                f"to its highest |loading| if above {figs.LOADING_THRESHOLD}, the "
                                                "study's rule)", digits=2))
        scree = parts.table(f"factor_{key}_scree", scree_data(corr.correlation, n_obs=n), n=n)
        parallel = parts.table(f"factor_{key}_parallel",
                               parallel_analysis(corr.correlation, n_obs=n, n_iter=100, seed=seed).table, n=n)
        scree_sets[title] = (scree, parallel)
        sets[key] = FactorSet(key, title, published, unrot, rot, scree, parallel)
    blocks.append(parts.figure("scree", "Scree plots with parallel-analysis thresholds (mean of 100 random data sets, "
                                   f"seed {seed})", figs.plot_scree, scree_sets))
    return FactorsResult("factors", "Factor analyses", tuple(blocks), **parts.done(), sets=sets)


def _indices(study: Study) -> IndicesResult:
    from fip.indices import index_means
    from fip.reliability import protect_reliability, reliability_table

    defs = study.definitions
    title = "Indices and reliability"
    if not defs:
        return IndicesResult("indices", title, (html.paragraph(
            "No index definition fits this instrument; section skipped."),))
    parts = _Parts(study=study)
    table = pd.DataFrame({"index": [d.id for d in defs], "family": [d.family for d in defs],
                          "items": [" ".join(d.items) for d in defs],
                          "label": [d.label.get("en", d.label.get("da", "")) if d.label else "" for d in defs]})
    parts.table("index_definitions", table)
    means = parts.table("index_means", index_means(study.index_scores, defs, policy=study.policy))
    round1 = study.round1
    known = {c.items: c.correlation for c in map(study.correlation, study.item_sets)}
    rel = parts.table("reliability", protect_reliability(reliability_table(round1, defs, correlations=known),
                                                         study.policy), n=len(round1))
    blocks = [parts.show(table, "Index definitions (configs/indices.yaml)"),
              parts.show(means, "Index means by round", digits=2),
              parts.show(rel, "Reliability of the indices, round 1: Cronbach's alpha (Feldt 95 % CI) and "
                              "McDonald's omega")]
    heywood = rel.loc[rel["heywood"].astype(bool), "index"].tolist()
    if heywood:
        blocks.append(html.paragraph(
            f"Omega of {', '.join(parts.words.word(h) for h in heywood)}: the one-factor model behind omega hit a Heywood case (an item's "
            "communality reached 1; with three items the model is just identified, so this happens whenever one "
            "item's implied loading exceeds 1). Omega then rests on that single item and overstates the index's "
            "reliability; read alpha for these indices. The warning is also listed under About.", note=True))
    return IndicesResult("indices", title, tuple(blocks), **parts.done(), means=means, reliability=rel)


def _regressions(study: Study, renderer: PoolRenderer | None) -> RegressionsResult:
    from fip.regression import FAMILIES, published_fit_statistics, run_family
    from fip.regression.tables import fit_comparison, publication_table

    analysis = study.analysis
    n = len(analysis.table)
    parts = _Parts(renderer, study)
    blocks = [html.paragraph(
        f"OLS with caseworker fixed effects (Stata areg), n = {n} persons with rounds 1 and 2. "
        "Cells: coefficient, stars (+ p<0.10, * p<0.05, ** p<0.01, *** p<0.001), standard error in brackets; "
        "difference = our coefficient minus the published one. " + _period_text(study.until))]
    families: dict[str, pd.DataFrame] = {}
    labels = _term_labels(analysis)
    published_df = (published_fit_statistics()[["table", "outcome", "controls", "df_resid"]]
                    .rename(columns={"df_resid": "published_df_resid"}))
    for family in FAMILIES:
        res = families[family] = parts.table(f"regression_{family}", run_family(analysis, family), n=n)
        blocks.append(html.heading(f"Models: {parts.words.word(family)}"))
        if res.empty:
            blocks.append(html.paragraph("No models of this family for this instrument and its indices."))
            continue
        keys = [k for k in dict.fromkeys(res["table"]) if isinstance(k, str) and k]
        for key in keys:
            part = res[res["table"] == key]
            blocks.append(parts.show(_regression_display(part), f"{_published_name(key)}: ours beside the "
                                                                 "published coefficients", scroll=True))
            blocks.append(parts.figure(
                f"coefficients_{key}", f"{_published_name(key)}: coefficients with 95 % confidence intervals "
                "(t with the residual df; the published interval uses the printed df where the table prints one, "
                "else ours)",
                figs.plot_coefficients, part.merge(published_df, on=["table", "outcome", "controls"], how="left"),
                title=f"{_published_name(key)}: ours beside the published coefficients", labels=labels))
        rest = res[~res["table"].isin(keys)]
        if len(rest):
            blocks.append(parts.show(publication_table(rest), f"{parts.words.word(family)}: models without a published table "
                                                              "(ours only)", scroll=True))
    fit = fit_comparison(pd.concat(families.values(), ignore_index=True))
    if len(fit):
        parts.table("regression_fit", fit, n=n)
        blocks += [html.heading("Fit statistics"), parts.show(fit, "N, R², adjusted R² and residual df beside "
                                                                  "those printed in Tables 4.5, 4.6, 4.12 and 4.13",
                                                        scroll=True),
                   html.paragraph("parameters = N − residual df: the coefficients plus one absorbed intercept per "
                                  "caseworker (areg's model size)." + _inconsistent_fit_note(fit, parts.words), note=True)]
    return RegressionsResult("regressions", "Regressions", tuple(blocks), **parts.done(), families=families,
                             fit=fit if len(fit) else None)


def _inconsistent_fit_note(fit: pd.DataFrame, words: ReportWords) -> str:
    """Published columns whose adjusted R² does not follow from their R², N and df (1 − (1 − R²)(N − 1)/df)."""
    n, r2, adj, df = (fit[f"published_{k}"] for k in ("n", "r2", "adj_r2", "df_resid"))
    implied_adj = 1 - (1 - r2) * (n - 1) / df
    implied_r2 = 1 - (1 - adj) * df / (n - 1)
    odd = (implied_adj - adj).abs() > 0.0015  # beyond the printed three decimals
    return "".join(
        f" {_published_name(row.table)}, {words.word(row.outcome)} {'with' if row.controls else 'without'} controls, prints "
        f"R² {row.published_r2:.3f} beside adjusted R² {row.published_adj_r2:.3f} with N {row.published_n} and "
        f"df {row.published_df_resid}, which cannot both hold (R² {row.published_r2:.3f} implies an adjusted R² "
        f"of {a:.3f}; {row.published_adj_r2:.3f} implies R² {b:.3f})."
        for row, a, b in zip(fit[odd].itertuples(), implied_adj[odd], implied_r2[odd]))


def _statements(study: Study, factors_result: FactorsResult | None,
                regressions_result: RegressionsResult | None) -> StatementsResult:
    from fip.agreement import parallel_agreement
    from fip.outcome_paths import outcome_paths
    from fip.statements import check_text_statements, visitation_shares

    parts = _Parts(study=study)
    paths = parts.table("outcome_paths", outcome_paths(study), n=len(study.analysis.table))
    agreement = parts.table("parallel_agreement", parallel_agreement(study),
                            n=int((study.measurements["round"] == 1).sum()))
    checks = parts.table("text_statements", check_text_statements(
        visitation=visitation_shares(study.measurements, study.dataset.persons, study.policy),
        paths=paths, agreement=agreement,
        unrotated=None if factors_result is None else {k: s.unrotated.result.loadings
                                                       for k, s in factors_result.sets.items()},
        regressions=None if regressions_result is None else dict(regressions_result.families),
        instrument_id=study.instrument.id))
    shown_paths = paths.drop(columns="suppressed")
    blocks = []
    if len(checks):
        blocks.append(parts.show(checks.drop(columns="id"), "What the text states about the sample, the outcomes after round 2, the "
                                         "factor solutions, agreement and the regressions "
                                         "(configs/published_statements.yaml), and whether it holds here"))
    blocks += [
        parts.show(shown_paths, "Employment and education month by month after round 2, percent, persons of the "
                                "regression sample (the study's Figures 4.13-4.15)", digits=1),
        parts.show(agreement, "Agreement of citizen and caseworker on the parallel items at round 1 "
                              "(Pearson r; differences citizen minus caseworker)", digits=2),
        html.paragraph("A regression statement holds when every coefficient it names has p < 0.05 with the "
                       "stated sign (or p ≥ 0.05 where the text finds no effect). Months or pairs resting on "
                       f"fewer than {study.policy.threshold} persons are blank.", note=True),
    ]
    return StatementsResult("statements", "What the text states, checked", tuple(blocks), **parts.done(),
                            checks=checks)


def _open_choices(study: Study, factors_result: FactorsResult | None) -> SectionResult:
    from fip.open_choices import open_choices

    if study.instrument.id != "fip":
        return SectionResult("open_choices", "What the text leaves open, and how much it matters", (html.paragraph(
            f"The open choices concern the study of the FIP questionnaire; not measured for {study.instrument.id}.",
            note=True),))
    parts = _Parts(study=study)
    varimax = None if factors_result is None else {k: s.varimax.result for k, s in factors_result.sets.items()}
    table = parts.table("open_choices", open_choices(study, varimax=varimax).tidy())
    shown = table.assign(value=_count_or_decimals(table["value"]))
    blocks = (
        parts.show(shown, "What the text leaves open: what fip does, the alternative, and how much it changes "
                          "on these data"),
        html.paragraph("Coefficient changes are in standard errors of fip's estimate (the overall-index models, "
                       "Table 4.9). Counts under " f"{study.policy.threshold} persons are blank.", note=True),
    )
    return SectionResult("open_choices", "What the text leaves open, and how much it matters", blocks,
                         **parts.done())


def _prediction(study: Study, seed: int, C: float | str, renderer: PoolRenderer | None) -> PredictionResult:
    from fip.predict import plot_calibration, train
    from fip.predict.temporal import DEFAULT_SPLIT

    parts = _Parts(renderer, study)
    blocks = [html.paragraph(
        "Job-chance models (any employment in the 6 months after round 1 for the intake model, after round 2 "
        "for the progression model): L2-penalised logistic regression "
        + ("(penalty C chosen by nested cross-validation, lowest out-of-fold log loss), " if C == "auto"
           else f"(C = {C}), ")
        + f"cross-validated with folds of whole caseworkers (seed {seed}); the study's "
        "fixed-effects linear probability model and gradient boosting are validated the same way for comparison.")]
    curves = {}
    validations = {}
    for kind in ("intake", "progression"):
        result = train(study, kind, C=C, seed=seed, created_at="replicate", out_of_time=DEFAULT_SPLIT)
        v = validations[kind] = result.validation
        n = result.n_persons
        metrics = parts.table(f"prediction_{kind}_metrics", v.metrics.reset_index(), n=n)
        rate = parts.table(f"prediction_{kind}_rate_metrics", v.rate_metrics.reset_index(), n=n)
        by_group = parts.table(f"prediction_{kind}_by_group", v.by_group)
        calibration = parts.table(f"prediction_{kind}_calibration", v.calibration, n=n)
        curves[kind] = calibration
        penalty = parts.table(f"prediction_{kind}_penalty", v.penalty)
        audit = parts.table(f"prediction_{kind}_fairness", v.fairness.tidy())
        chosen = penalty[penalty["chosen"] & penalty["search"].isin(["final", "fixed"])][["model", "C"]]
        oot_blocks = []
        if (oot := v.out_of_time) is not None:
            frame = oot.metrics.reset_index().assign(split=oot.split, n_train=oot.n_train,
                                                     train_period=" to ".join(oot.train_period),
                                                     test_period=" to ".join(oot.test_period))
            oot_blocks.append(parts.show(parts.table(f"prediction_{kind}_out_of_time", frame, n=oot.n_test),
                                         f"Out of time: fitted on the earliest {DEFAULT_SPLIT:.0%} of the persons "
                                         f"(reference date before {oot.split}), tested on the later ones"))
        if (judged := v.assessment) is not None:   # only when the caseworker forms carry an assessment
            oot_blocks += [
                parts.show(parts.table(f"prediction_{kind}_assessment_confusion", judged.confusion, n=judged.n),
                           "Model band (out of fold) beside the caseworker's own assessment "
                           "(cells under 5 persons suppressed, directly or by subtraction)"),
                parts.show(parts.table(f"prediction_{kind}_assessment_agreement", judged.agreement, n=judged.n),
                           "Agreement of model and caseworker (quadratic-weighted kappa)"),
                parts.show(parts.table(f"prediction_{kind}_assessment_accuracy", judged.accuracy, n=judged.n),
                           "Who was closer to what happened: AUC, and Brier of the levels mapped to the model's "
                           "band means")]
        blocks += [html.heading(f"Model {kind}" + (" (round 1 only)" if kind == "intake" else
                                                   " (round 1 and the change to round 2)")),
                   parts.show(metrics, "Out-of-fold probability metrics"),
                   parts.show(rate, "Out-of-fold metrics of the expected employment rate"),
                   *oot_blocks,
                   parts.show(by_group, "Logistic model within groups (cells under 5 persons suppressed)"),
                   parts.show(chosen, "Penalty C of the final models", digits=4),
                   parts.show(v.fairness.summary(),
                              f"Fairness audit ({len(audit)} figures in tables/prediction_{kind}_fairness.csv): "
                              "out-of-fold AUC, calibration-in-the-large and slope, and at the high-band cut "
                              f"(p >= {v.fairness.cuts[1]:g}; a flag reads 'predicted to get a job') FPR, FNR and "
                              f"PPV, with {round(100 * v.fairness.level)} % percentile intervals from "
                              f"{v.fairness.n_boot} bootstrap replicates of whole caseworkers; empty cells rest on "
                              f"fewer than {study.policy.threshold} persons with or without a job, directly or by subtraction")]
    blocks.append(parts.figure("calibration", "Calibration of the logistic models: observed share with a job by "
                                              "tenth of the predicted probability (95 % Wilson intervals)",
                               plot_calibration, curves, title="Calibration, out of fold"))
    return PredictionResult("prediction", "Job-chance validation", tuple(blocks), **parts.done(),
                            validations=validations, C=C)


def _period_text(until: str | None) -> str:
    """What the report says about the study's 2017-2018 restriction of its regressions."""
    if until:
        return (f"Only forms answered up to {until} enter the regressions and the job-chance validation (the study "
                "used measurements made in 2017-2018 for its regressions and all measurements, August 2017 to May "
                "2019, for the rest).")
    return ("The study used measurements made in 2017-2018 for its regressions (all measurements, August 2017 to "
            "May 2019, for the rest); here every measurement in the data is used throughout (fip replicate "
            "--until 2018-12-31 applies the study's restriction).")


def sample(study: Study) -> SampleResult:
    """The sample section: pairing funnel beside Table 4.2, analysis sample, sample characteristics.

    Examples
    --------
    See the module docstring.
    """
    return _with_warnings("sample", lambda: _sample(study))


def descriptives(study: Study, *, renderer: PoolRenderer | None = None) -> DescriptivesResult:
    """The questionnaire, item means by gender and round, progression, the text's statements, average star.

    Parameters
    ----------
    study : Study
    renderer : PoolRenderer, optional
        Internal to :func:`fip.report.replicate`: queue the figures on its workers (the result
        then holds placeholders until ``renderer.resolve(result)``). Default: drawn here, the
        result complete.

    Examples
    --------
    >>> from fip.simulate import simulate_cohort
    >>> d = descriptives(Study(simulate_cohort(300, seed=1)))
    >>> list(d.tables)[:2], d.figures["item_means"].format
    (['item_means', 'item_progression'], 'png')
    """
    return _with_warnings("descriptives", lambda: _descriptives(study, renderer))


def factors(study: Study, *, seed: int = 0, renderer: PoolRenderer | None = None) -> FactorsResult:
    """Principal-factor analyses of every item set, unrotated and varimax, beside Tables 4.7/4.8;
    scree and parallel analysis (``seed``).

    Parameters
    ----------
    study : Study
    seed : int
        Seed of parallel analysis.
    renderer : PoolRenderer, optional
        Internal to :func:`fip.report.replicate`: queue the figures on its workers (the result
        then holds placeholders until ``renderer.resolve(result)``). Default: drawn here, the
        result complete.

    Examples
    --------
    >>> from fip.simulate import simulate_cohort
    >>> f = factors(Study(simulate_cohort(300, seed=1)))
    >>> list(f.sets), f.sets["citizen"].varimax.result.n_factors
    (['citizen', 'caseworker', 'both'], 3)
    """
    return _with_warnings("factors", lambda: _factors(study, seed, renderer))


def indices(study: Study) -> IndicesResult:
    """Index definitions, index means by round and reliability (alpha, omega; Heywood cases flagged).

    Examples
    --------
    >>> from fip.simulate import simulate_cohort
    >>> sorted(indices(Study(simulate_cohort(300, seed=1))).tables)
    ['index_definitions', 'index_means', 'reliability']
    """
    return _with_warnings("indices", lambda: _indices(study))


def regressions(study: Study, *, renderer: PoolRenderer | None = None) -> RegressionsResult:
    """Every regression family (areg with caseworker fixed effects) beside the published tables.

    Parameters
    ----------
    study : Study
    renderer : PoolRenderer, optional
        Internal to :func:`fip.report.replicate`: queue the figures on its workers (the result
        then holds placeholders until ``renderer.resolve(result)``). Default: drawn here, the
        result complete.

    Examples
    --------
    >>> from fip.simulate import simulate_cohort
    >>> r = regressions(Study(simulate_cohort(300, seed=1)))  # doctest: +SKIP
    >>> list(r.families)[0]  # doctest: +SKIP
    'items_alone'
    """
    return _with_warnings("regressions", lambda: _regressions(study, renderer))


def statements(study: Study, factors_result: FactorsResult | None = None,
               regressions_result: RegressionsResult | None = None) -> StatementsResult:
    """The text's statements beyond the item means, checked; outcome paths after round 2 and agreement.

    The statements about the factor solutions and the regressions need the results of
    :func:`factors` and :func:`regressions` (without them they are "not computed").

    Examples
    --------
    >>> from fip.simulate import simulate_cohort
    >>> s = statements(Study(simulate_cohort(300, seed=1)))
    >>> sorted(s.tables)
    ['outcome_paths', 'parallel_agreement', 'text_statements']
    """
    return _with_warnings("statements", lambda: _statements(study, factors_result, regressions_result))


def open_choices(study: Study, factors_result: FactorsResult | None = None) -> SectionResult:
    """The choices the text leaves open (:func:`fip.open_choices.open_choices`) as a section.

    Examples
    --------
    >>> from fip.simulate import simulate_cohort
    >>> list(open_choices(Study(simulate_cohort(300, seed=1))).tables)
    ['open_choices']
    """
    return _with_warnings("open_choices", lambda: _open_choices(study, factors_result))


def prediction(study: Study, *, seed: int = 0, C: float | str = "auto",
               renderer: PoolRenderer | None = None) -> PredictionResult:
    """Job-chance validation of the intake and progression models (:func:`fip.predict.train`, penalty ``C``).

    Parameters
    ----------
    study : Study
    renderer : PoolRenderer, optional
        Internal to :func:`fip.report.replicate`: queue the figures on its workers (the result
        then holds placeholders until ``renderer.resolve(result)``). Default: drawn here, the
        result complete.

    Examples
    --------
    >>> from fip.simulate import simulate_cohort
    >>> p = prediction(Study(simulate_cohort(300, seed=1)), C=1.0)  # doctest: +SKIP
    >>> sorted(p.validations)  # doctest: +SKIP
    ['intake', 'progression']
    """
    return _with_warnings("prediction", lambda: _prediction(study, seed, C, renderer))


def summary(
    sample_result: SampleResult | None = None,
    descriptives_result: DescriptivesResult | None = None,
    factors_result: FactorsResult | None = None,
    regressions_result: RegressionsResult | None = None,
    statements_result: StatementsResult | None = None,
    *,
    synthetic: bool = False,
) -> SummaryResult:
    """The opening summary: how close each kind of published number comes, read from the sections' results.

    Examples
    --------
    >>> summary().table.empty
    True
    """
    sets = factors_result.sets if factors_result is not None else {}
    table = summary_table(
        funnel=None if sample_result is None else sample_result.funnel,
        characteristics=None if sample_result is None else sample_result.characteristics,
        analysis_sample=None if sample_result is None else sample_result.analysis_sample,
        item_means=None if descriptives_result is None else descriptives_result.means,
        item_mean_statements=None if descriptives_result is None else descriptives_result.statements,
        varimax={k: (s.varimax.loadings, s.varimax.congruence) for k, s in sets.items()},
        unrotated_statements=[s.unrotated.statements for s in sets.values()],
        regressions=() if regressions_result is None else tuple(regressions_result.families.values()),
        fit=None if regressions_result is None else regressions_result.fit,
        text_statements=None if statements_result is None else statements_result.checks,
    )
    parts = _Parts()
    parts.table("summary", table)
    blocks: tuple[str, ...] = ()
    if len(table):
        shown = table.assign(value=_count_or_decimals(table["value"]))
        blocks = (
            parts.show(shown, "How close the numbers of this report come to the published ones "
                              "(details in the sections below)"),
            html.paragraph("A coefficient counts as not significantly different when |ours − published| "
                           "< 1.96 √(se² + published se²), the two samples taken as independent."
                           + (" With a synthetic cohort this measures the simulator's calibration."
                              if synthetic else ""), note=True))
    return SummaryResult("summary", "Summary: ours beside the published numbers", blocks, **parts.done(),
                         table=table)


def _validity(study: Study, seed: int) -> SectionResult:
    from fip.report.validity import ValidityOptions, invariance, measurement_error, structural_validity

    blocks = [html.paragraph(
        "This section goes beyond the study: VIVE (2020) reported neither sampling adequacy, parallel analysis, "
        "factor analyses on polychoric correlations, measurement invariance nor the agreement of citizen and "
        "caseworker and the smallest detectable change. The same analyses as fip validity (any instrument); "
        "Cronbach's alpha and omega are under Indices and reliability.", note=True)]
    tables: dict[str, pd.DataFrame] = {}
    n: dict[str, int] = {}
    figures: dict[str, Figure] = {}

    def take(prefix: str, result: SectionResult) -> None:
        tables.update({f"validity_{prefix}{k}": v for k, v in result.tables.items()})
        n.update({f"validity_{prefix}{k}": v for k, v in result.n.items()})

    for key in (k for k in ("citizen", "caseworker") if k in study.item_sets):
        part = structural_validity(study, ValidityOptions(item_set=key, seed=seed))
        blocks.append(html.heading(f"Structural validity: the {key} items"))
        blocks.extend(part.blocks)
        take(f"{key}_", part)
    for key in (k for k in ("citizen", "caseworker") if k in study.item_sets):
        part = invariance(study, ValidityOptions(item_set=key))  # CFA; invariance (slower): fip validity --by gender
        blocks.append(html.heading(f"{part.title}: the {key} items"))
        blocks.extend(part.blocks)
        take(f"{key}_", part)
    part = measurement_error(study)
    blocks.append(html.heading(part.title))
    blocks.extend(part.blocks)
    take("", part)
    return SectionResult("validity", "Beyond the study: validation of the instrument", tuple(blocks),
                         tables=tables, n=n, figures=figures)


def validity(study: Study, *, seed: int = 0) -> SectionResult:
    """Beyond the study: structural validity per item set (KMO, Bartlett, parallel analysis, EFA on
    Pearson and polychoric correlations), CFA per item set, and measurement error and
    agreement (:mod:`fip.report.validity`); tables named ``validity_*``.

    Examples
    --------
    >>> from fip.simulate import simulate_cohort
    >>> v = validity(Study(simulate_cohort(300, seed=1)))
    >>> v.id, "validity_citizen_kmo" in v.tables, "validity_agreement" in v.tables
    ('validity', True, True)
    """
    return _with_warnings("validity", lambda: _validity(study, seed))


def about(study: Study, *, source: str, synthetic: bool, seed: int, notes: tuple[str, ...] = ()) -> SectionResult:
    """The closing section: data, versions, seed, the period rule, the small-cell rule and the warnings.

    Examples
    --------
    >>> from fip.simulate import simulate_cohort
    >>> a = about(Study(simulate_cohort(300, seed=1)), source="x", synthetic=True, seed=0)
    >>> a.id, "fip version" in a.blocks[0]
    ('about', True)
    """
    ds = study.dataset
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
        _period_text(study.until),
        f"Only aggregates are shown: no person or caseworker ids; cells with fewer than {study.policy.threshold} "
        "persons are suppressed, and so are figures from which such a group could be recovered by subtraction "
        "(fip.disclosure). The CSV files in tables/ hold the same numbers at full precision.",
    ]
    blocks = [html.paragraph(line) for line in lines]
    if notes:
        blocks += [html.heading("Warnings raised by the analyses"), *(html.paragraph(n, note=True) for n in notes)]
    return SectionResult("about", "About this report", tuple(blocks))
