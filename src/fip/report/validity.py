"""One validation report for any instrument, in the order a validation is reported (COSMIN).

Sections (:data:`VALIDITY_SECTIONS`, each one function ``(study, options) -> SectionResult``):
structural validity (KMO, Bartlett, parallel analysis, eigenvalues and loadings on Pearson and on
polychoric correlations: :mod:`fip.factors`), item response theory (a graded response model per
index with SEs, test information and SE(θ), marginal reliability, likelihood-ratio DIF by the
``invariance_by`` columns: :mod:`fip.report.validity_irt`), internal consistency (alpha with its convention,
omega, item-rest correlations, reverse-key warnings: :mod:`fip.reliability`), cross-cultural
validity / measurement invariance (CFA of the index definitions; invariance by ``invariance_by`` columns) and
measurement error and agreement (:mod:`fip.agreement`, :mod:`fip.change`: only with parallel
citizen/caseworker items or two rounds; otherwise the section says why it is absent).

A later section plugs in as one more entry of :data:`BUILDERS`. Every table has its
n and method in its caption; figures resting on 1-4 persons are not shown (the Study's
:class:`~fip.disclosure.DisclosurePolicy`). No I/O: :meth:`ValidityReport.html` gives the page.

Examples
--------
>>> from fip.simulate import simulate_cohort
>>> from fip.study import Study
>>> report = validity_report(Study(simulate_cohort(200, seed=1)), ValidityOptions(n_iter=5))
>>> [s.id for s in report.sections]
['structural', 'irt', 'internal-consistency', 'invariance', 'measurement-error']
>>> int(report.tidy()["n"].min()) > 0
True
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import pandas as pd

from fip._options import check_option
from fip.report import html
from fip.report.sections import SectionResult, _Parts, _with_warnings
from fip.study import Study

__all__ = ["BUILDERS", "VALIDITY_SECTIONS", "ValidityOptions", "ValidityReport", "internal_consistency",
           "invariance", "item_response_theory", "measurement_error", "structural_validity", "validity_report"]

#: Sections of the report, in COSMIN's order.
VALIDITY_SECTIONS: tuple[str, ...] = ("structural", "irt", "internal_consistency", "invariance", "measurement_error")

@dataclass(frozen=True)
class ValidityOptions:
    """What the report analyses.

    Attributes
    ----------
    item_set : str, optional
        A respondent of the instrument or ``both`` (default: the Study's first item set).
    items : tuple of str, optional
        Only these items (in this order) for the structural analysis.
    nan_policy : {"listwise", "pairwise"}
        Missing answers in KMO, Bartlett, parallel analysis, the Pearson EFA and alpha.
    round : int
        Round analysed (measurement error compares round 1 with round 2).
    n_iter, seed : int
        Random data sets of the parallel analysis and their seed.
    n_factors : int, optional
        Factors extracted (default: those parallel analysis retains, at least 1).
    lang : str
        Language of the item labels (``en``, ``da``); headings and captions are English.
    invariance_by : tuple of str
        Person or form columns whose groups the measurement-invariance sequence compares.
    invariance_partial : bool
        Free constraints of a failing level where the score tests point (partial invariance).
    irt : bool
        Fit the graded response models and their DIF (the IRT section); False: the section says it
        was left out.
    """

    item_set: str | None = None
    items: tuple[str, ...] | None = None
    nan_policy: str = "listwise"
    round: int = 1
    n_iter: int = 100
    seed: int = 0
    n_factors: int | None = None
    lang: str = "en"
    invariance_by: tuple[str, ...] = ()
    invariance_partial: bool = True
    irt: bool = True

    def __post_init__(self) -> None:
        check_option("nan_policy", self.nan_policy, ("listwise", "pairwise"))
        check_option("lang", self.lang, ("en", "da"))


@dataclass(frozen=True, eq=False)
class ValidityReport:
    """The report: its title and sections (each with tables, their n and HTML blocks)."""

    title: str
    sections: tuple[SectionResult, ...]
    lang: str = "en"

    def tidy(self) -> pd.DataFrame:
        """One row per table: ``section``, ``table``, ``n`` (persons behind it; NA if none applies)."""
        rows = [{"section": s.id, "table": name, "n": s.n.get(name)} for s in self.sections for name in s.tables]
        return pd.DataFrame(rows, columns=["section", "table", "n"]).astype({"n": "Int64"})

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by name (the numbers before rounding)."""
        return {name: t for s in self.sections for name, t in s.tables.items()}

    def html(self) -> str:
        """The self-contained page (inline style sheet with print rules, no external files)."""
        notes = tuple(dict.fromkeys(n for s in self.sections for n in s.warnings))
        about = ""
        if notes:
            about = ('<section id="about">\n<h2>About this report</h2>\n'
                     + html.paragraph("Warnings raised while the analyses ran:")
                     + "".join(html.paragraph(n, note=True) for n in notes) + "</section>\n")
        # the prose and captions are English in this version (``lang`` picks the item labels)
        return html.page(self.title, [s.html() for s in self.sections], about=about, lang="en", navigation=True)


def _items(study: Study, options: ValidityOptions) -> tuple[str, list[str], pd.DataFrame]:
    item_set = options.item_set if options.item_set is not None else study.item_sets[0]
    pool = list(study.items_of(item_set))
    chosen = list(options.items) if options.items else pool
    unknown = [i for i in chosen if i not in study.instrument.item_ids()]
    if unknown:
        raise ValueError(f"items {', '.join(unknown)}: not items of instrument {study.instrument.id}")
    m = study.measurements
    data = m.loc[m["round"] == options.round, chosen].astype("float64")
    if not len(data):
        raise ValueError(f"round {options.round}: no measurements in round {options.round}")
    return item_set, chosen, data


def _small(study: Study, n: int) -> bool:
    return bool(study.policy.is_small(int(n)))


def _wide(loadings: pd.DataFrame, study: Study, lang: str) -> pd.DataFrame:
    wide = loadings.rename_axis("item").reset_index()
    wide.insert(1, "label", [study.instrument.label(i, lang) for i in wide["item"]])
    return wide


def structural_validity(study: Study, options: ValidityOptions = ValidityOptions()) -> SectionResult:
    """Structural validity: KMO, Bartlett, parallel analysis, EFA on Pearson and polychoric correlations.

    The extraction is Stata's principal factor (pf) with varimax rotation (unnormalised), on the
    Pearson matrix (``options.nan_policy``) and on the polychoric matrix (psych ``polychoric``,
    pairwise), with the number of factors parallel analysis retains (psych ``fa.parallel``, fa
    eigenvalues, mean of ``n_iter`` random normal data sets) unless ``options.n_factors`` is given.
    Continuous scales get no polychoric analysis (the section says so).
    """
    from fip.factors import bartlett_sphericity, factor_analysis, kmo, parallel_analysis
    from fip.factors._input import correlation_input
    from fip.validity import frame_correlation

    item_set, chosen, data = _items(study, options)
    parts = _Parts(study=study)
    blocks: list[str] = []
    title = "Structural validity"
    # one Pearson matrix for KMO, Bartlett, parallel analysis and the EFA (each would compute it
    # again from the answers); the Study's cached one when it is the same (round 1, listwise, item set)
    if (options.round == 1 and options.nan_policy == "listwise"
            and tuple(chosen) == tuple(study.items_of(item_set))):
        cached = study.correlation(item_set)
        matrix, n = cached.correlation, int(cached.n_obs)
    else:
        ci = correlation_input(data, nan_policy=options.nan_policy)
        matrix, n = ci.correlation, int(ci.n_obs)
    b = bartlett_sphericity(matrix, n_obs=n)
    if _small(study, n) or len(chosen) < 3:
        why = (f"it rests on fewer than {study.policy.threshold} persons" if _small(study, n)
               else "it needs at least 3 items")
        return SectionResult("structural", title, (html.paragraph(f"Not shown: {why}."),))
    how = f"{options.nan_policy}, n = {n}"
    blocks.append(html.paragraph(
        f"Exploratory factor analysis of {len(chosen)} items (item set: {item_set}), round {options.round}. "
        "Principal factor extraction (Stata factor, pf) with varimax rotation (unnormalised, Stata's default); "
        "factors are flipped so their loadings sum to 0 or more."))
    k = kmo(matrix)
    kmo_table = k.tidy().rename(columns={"kmo": "KMO"})  # per item, then the overall row
    parts.table("kmo", kmo_table, n=n)
    blocks.append(parts.show(kmo_table, f"Kaiser-Meyer-Olkin sampling adequacy per item and overall "
                                        f"(Stata estat kmo, psych KMO; {how})"))
    bart = pd.DataFrame({"statistic": ["chi-squared", "degrees of freedom", "p-value"],
                         "value": [float(b.chi2), float(b.df), float(b.p_value)]})
    parts.table("bartlett", bart, n=n)
    blocks.append(parts.show(bart, f"Bartlett's test of sphericity (psych cortest.bartlett; {how})", digits=4))
    pa = parallel_analysis(matrix, n_iter=options.n_iter, seed=options.seed, n_obs=n)
    n_factors = options.n_factors or max(1, int(pa.n_retained))
    parts.table("parallel", pa.table, n=int(pa.n_obs))
    blocks.append(parts.show(pa.table, f"Parallel analysis (SMC-reduced eigenvalues as Stata pf and psych fa.parallel with SMC = TRUE; mean of "
                                       f"{options.n_iter} random normal data sets, seed {options.seed}; "
                                       f"{options.nan_policy}, n = {pa.n_obs}): {pa.n_retained} factors retained"))
    pearson = factor_analysis(matrix, n_factors=n_factors, method="pf", rotation="varimax", n_obs=n)
    pn = int(pearson.n_obs)
    parts.table("pearson_variance", pearson.variance, n=pn)
    parts.table("pearson_loadings", pearson.loadings, n=pn)
    blocks.append(html.heading("On Pearson correlations"))
    blocks.append(parts.show(pearson.variance, f"Eigenvalues and explained variance, varimax, {n_factors} factors "
                                               f"(Stata factor, pf, on Pearson correlations; {options.nan_policy}, n = {pn})"))
    blocks.append(parts.show(_wide(pearson.loadings, study, options.lang),
                             f"Varimax loadings, {n_factors} factors (Stata factor, pf, on Pearson correlations; "
                             f"{options.nan_policy}, n = {pn})", scroll=len(chosen) > 20))
    blocks.append(html.heading("On polychoric correlations"))
    if study.instrument.scale.continuous:
        blocks.append(html.paragraph("Not computed: the items are on a continuous scale, and polychoric "
                                     "correlations are for ordinal items.", note=True))
    else:
        corr = frame_correlation(data, "polychoric", "pairwise", item_set=item_set, round_=options.round)
        cn = int(corr.n_obs)
        if _small(study, cn):
            blocks.append(html.paragraph(f"Not shown: a pair of items rests on fewer than "
                                         f"{study.policy.threshold} persons.", note=True))
        else:
            poly = factor_analysis(corr.matrix, n_factors=n_factors, method="pf", rotation="varimax", n_obs=cn)
            smooth = "; smoothed to be positive definite (psych cor.smooth)" if corr.smoothed else ""
            how_p = f"psych polychoric, pairwise, n = {cn} (smallest pair){smooth}"
            parts.table("polychoric_variance", poly.variance, n=cn)
            parts.table("polychoric_loadings", poly.loadings, n=cn)
            blocks.append(parts.show(poly.variance, f"Eigenvalues and explained variance, varimax, {n_factors} "
                                                    f"factors (Stata factor, pf, on polychoric correlations; {how_p})"))
            blocks.append(parts.show(_wide(poly.loadings, study, options.lang),
                                     f"Varimax loadings, {n_factors} factors (Stata factor, pf, on polychoric correlations; "
                                     f"{how_p})", scroll=len(chosen) > 20))
    return SectionResult("structural", title, tuple(blocks), **parts.done())


def internal_consistency(study: Study, options: ValidityOptions = ValidityOptions()) -> SectionResult:
    """Internal consistency of every index: alpha (with its convention), omega, item-rest correlations.

    Alpha: casewise (Stata ``alpha, asis casewise``) with ``nan_policy="listwise"``, psych's
    pairwise covariances with ``"pairwise"``; reverse keys (``reverse:`` of the definitions) are
    applied to alpha and omega; omega does not flip items by itself. Items that correlate
    negatively with the rest of their index are named (the warning of :mod:`fip.reliability`).
    """
    from fip.disclosure import protect
    from fip.errors import ReverseKeyWarning
    from fip.reliability import item_rest_statistics, protect_reliability, reliability_table

    title = "Internal consistency"
    defs = [d for d in study.definitions if len(d.items) >= 2]
    if not defs:
        return SectionResult("internal-consistency", title, (html.paragraph(
            "Absent: no index of two or more items is defined for this instrument (give index definitions)."),))
    m = study.measurements
    answers = m[m["round"] == options.round]
    parts = _Parts(study=study)
    convention = "casewise" if options.nan_policy == "listwise" else "psych"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ReverseKeyWarning)
        rel = reliability_table(answers, defs, nan_policy=options.nan_policy)
    negative = [str(w.message) for w in caught if issubclass(w.category, ReverseKeyWarning)]
    rel = protect_reliability(rel, study.policy)
    n = int(answers[[i for d in defs for i in d.items]].notna().all(axis=1).sum())
    parts.table("reliability", rel, n=int(rel["n_obs"].max()) if rel["n_obs"].notna().any() else n)
    convention_words = ("complete rows, Stata alpha, asis casewise" if convention == "casewise"
                        else "pairwise covariances, psych alpha")
    keyed = [f"{parts.words.word(d.id)}: {', '.join(d.reverse)}" for d in defs if d.reverse]
    blocks = [parts.show(rel.drop(columns=["heywood"]), f"Cronbach's alpha ({convention_words}; Feldt 95 % CI) and "
                         f"McDonald's omega total (one-factor minres, psych omega), round {options.round}; "
                         f"n per index in the n obs column, at most {rel['n_obs'].max()}")]
    blocks.append(html.paragraph(
        ("Reverse-keyed items (scored min + max - x before alpha and omega): " + "; ".join(keyed) + ". "
         if keyed else "No item is reverse-keyed in the index definitions. ")
        + "Omega does not flip items by itself."))
    for text in negative:
        blocks.append(html.paragraph("Reverse-key warning: " + text, note=True))
    frames = []
    for d in defs:
        if len(d.items) < 3:
            continue
        block = answers[list(d.items)]
        stats = item_rest_statistics(block, d.reverse, study.instrument.scale).reset_index()
        frames.append(stats.assign(index=d.id, reversed=stats["item"].isin(d.reverse),
                                   n=int(block.notna().all(axis=1).sum())))
    if frames:
        items = pd.concat(frames, ignore_index=True)[["index", "item", "item_rest_r", "alpha_if_deleted", "mean", "sd",
                                                      "reversed", "n"]]
        items = protect(items, study.policy, n="n", values=["item_rest_r", "alpha_if_deleted", "mean", "sd"])
        parts.table("item_rest", items, n=int(items["n"].max()) if items["n"].notna().any() else 0)
        blocks.append(parts.show(items, "Item-rest correlation and alpha if the item is deleted (Stata alpha, item; indices of 3 or "
                                        f"more items; reversed items scored min + max - x; complete rows of each index, n in the n column; round "
                                        f"{options.round})", scroll=len(items) > 25))
    return SectionResult("internal-consistency", title, tuple(blocks), **parts.done())


_FIT_HEADERS = {"chisq": "χ²", "df": "df", "pvalue": "p", "cfi": "CFI", "tli": "TLI", "rmsea": "RMSEA",
                "rmsea_ci_low": "RMSEA 90 % low", "rmsea_ci_high": "RMSEA 90 % high", "srmr": "SRMR", "n": "n"}
_STEP_HEADERS = {"level": "level", **{k: v for k, v in _FIT_HEADERS.items() if k in ("chisq", "df", "pvalue", "cfi",
                                                                                   "tli", "rmsea", "srmr")},
                 "delta_chisq": "Δχ²", "delta_df": "Δdf", "p_delta": "p of Δχ²", "delta_cfi": "ΔCFI",
                 "delta_rmsea": "ΔRMSEA", "holds": "holds", "freed": "constraints freed"}
_RULE_WORDS = "Cheung & Rensvold (2002): a level holds unless ΔCFI ≤ −0.010"


def invariance(study: Study, options: ValidityOptions = ValidityOptions()) -> SectionResult:
    """Confirmatory factor analysis of the index definitions and measurement invariance by ``options.invariance_by``.

    The CFA is :func:`fip.cfa.fit_cfa` (ML as lavaan ``cfa()``, marker variable, listwise) with
    one factor per index (overlapping definitions narrowed as :func:`fip.cfa.spec.one_index_per_item`);
    the invariance sequence configural → metric → scalar → strict is
    :func:`fip.cfa.invariance.measurement_invariance` with partial invariance by score tests and
    the Cheung & Rensvold rule. Groups below the disclosure threshold are left out and named.
    """
    from fip.cfa import fit_cfa, spec_from_definitions
    from fip.cfa.fit import fit_indices
    from fip.cfa.invariance import SIZES_WITHHELD, measurement_invariance, shown_group_sizes, with_group_column
    from fip.cfa.spec import one_index_per_item
    from fip.errors import FipError

    title = "Cross-cultural validity and measurement invariance"
    item_set, chosen, _ = _items(study, options)
    defs = [d for d in study.definitions if set(d.items) & set(chosen)]
    try:
        spec = spec_from_definitions(one_index_per_item(defs, item_set), items=chosen)
    except (FipError, ValueError) as exc:
        return SectionResult("invariance", title, (html.paragraph(f"Absent: no measurement model ({exc})."),))
    fewest = 3 if len(spec.factors) == 1 else 2
    if any(len(its) < fewest for _, its in spec.factors):
        return SectionResult("invariance", title, (html.paragraph(
            "Absent: a factor of the index definitions has too few items for a confirmatory model "
            "(one factor needs 3 items; each of several factors 2)."),))
    m = study.measurements
    frame = m[m["round"] == options.round]
    parts = _Parts(study=study)
    fitted = fit_cfa(spec, frame)
    if _small(study, fitted.n):
        return SectionResult("invariance", title, (html.paragraph("Not shown: fewer persons than the disclosure threshold."),))
    fi = fit_indices(fitted)
    fit = pd.DataFrame([{h: getattr(fi, k) for k, h in _FIT_HEADERS.items()}])
    parts.table("cfa_fit", fit, n=fitted.n)
    factors = "; ".join(f"{parts.words.word(f)}: {', '.join(its)}" for f, its in spec.factors)
    blocks = [html.paragraph(f"Measurement model: one factor per index ({factors})."),
              parts.show(fit, f"Confirmatory factor analysis: ML (normal likelihood, as lavaan cfa()), first loading 1, "
                              f"listwise, round {options.round}, n = {fitted.n}")]
    std = fitted.tidy()
    loadings = std[std["op"] == "=~"][["lhs", "rhs", "estimate", "se", "std_all"]].rename(
        columns={"lhs": "factor", "rhs": "item", "estimate": "loading", "se": "SE", "std_all": "standardised"})
    parts.table("cfa_loadings", loadings, n=fitted.n)
    blocks.append(parts.show(loadings, f"CFA loadings (lavaan cfa(): unstandardised with SE, and standardised std.all; "
                                       f"items as answered, reverse keys not applied), n = {fitted.n}"))
    if not options.invariance_by:
        blocks.append(html.paragraph("Measurement invariance is tested across the groups of a person or form column "
                                     "given with fip validity --by COLUMN (e.g. answer language, gender); none was "
                                     "given here."))
    need = max(len(spec.items) + 1, study.policy.threshold)
    for column in options.invariance_by:
        grouped = with_group_column(frame, study.dataset.persons, column, option="--by")
        try:
            res = measurement_invariance(spec, grouped, group=column, partial=options.invariance_partial,
                                         min_group_n=need)
        except FipError as exc:
            blocks.append(html.paragraph(f"Invariance by {parts.words.word(column)}: not computed ({exc})."))
            continue
        steps = res.tidy()
        steps["holds"] = steps["holds"].map({True: "yes", False: "no"})
        steps = steps.rename(columns=_STEP_HEADERS)
        first = res.levels[0][1]
        parts.table(f"invariance_{column}", steps, n=first.n)
        shown = shown_group_sizes(res, fitted.n, study.policy.threshold)
        sizes = SIZES_WITHHELD if shown is None else ", ".join(f"{g}: n = {n}" for g, n in shown)
        left = "; ".join(f"{g} left out ({why})" for g, why in res.excluded)
        blocks.append(parts.show(steps, f"Measurement invariance by {parts.words.word(column)} ({sizes}"
                                        f"{'; ' + left if left else ''}); ML multi-group CFA, round {options.round}"
                                        f"{'' if shown is None else f', n = {first.n}'}; rule: {_RULE_WORDS}"
                                        + ("; partial invariance: constraints freed one at a time by univariate "
                                           "score tests (lavaan lavTestScore)" if options.invariance_partial else
                                           "; no constraint freed (full invariance only)")))
    return SectionResult("invariance", title, tuple(blocks), **parts.done())


def _respondent_words(study: Study, two: tuple[str, str]) -> tuple[str, str]:
    labels = {r.id: r.label.get("en", r.id) for r in study.instrument.respondents}
    return labels.get(two[0], two[0]), labels.get(two[1], two[1])


def measurement_error(study: Study, options: ValidityOptions = ValidityOptions()) -> SectionResult:
    """Measurement error and agreement: respondent vs respondent (FIP: citizen vs caseworker) on
    the parallel items, SEM and SDC95 of change round 1 → 2.

    Agreement needs parallel items of two respondents in the instrument; change needs persons
    measured in two rounds. Without them the section says which is missing.
    """
    from fip.agreement import ICC_FORMS, agreement_respondents, agreement_table
    from fip.change import change_table

    title = "Measurement error and agreement"
    parts = _Parts(study=study)
    blocks: list[str] = []
    rounds = set(study.measurements["round"].unique().tolist())
    two = agreement_respondents(study.instrument)
    if two is not None:
        a, b = _respondent_words(study, two)
        table = agreement_table(study, rounds=tuple(sorted(r for r in rounds if r in (1, 2))))
        parts.table("agreement", table, n=int(table["n"].max()) if table["n"].notna().any() else 0)
        blocks.append(parts.show(table.drop(columns=["icc_form"]),
                                 f"{a} vs {b.lower()} on the parallel items, by round ({a.lower()} minus {b.lower()}): "
                                 f"quadratic-weighted kappa, ICC2 ({ICC_FORMS['ICC2']}), Bland-Altman mean "
                                 "difference and 95 % limits of agreement; n per pair in the n column",
                                 scroll=True))
    else:
        blocks.append(html.paragraph(
            "Agreement is absent: the instrument has no parallel items answered by two respondents."))
    if {1, 2} <= rounds:
        change = change_table(study)
        parts.table("change", change, n=int(change["n"].max()) if change["n"].notna().any() else 0)
        blocks.append(parts.show(change, "Standard error of measurement and smallest detectable change "
                                         "(SDC95 = 1.96 x sqrt(2) x SEM; items: SMC, indices: alpha) and the share "
                                         "of persons whose change from round 1 to 2 exceeds it; n per row in the "
                                         "n column", scroll=True))
    else:
        blocks.append(html.paragraph(
            "Measurement error of change is absent: every person has one measurement (no second round)."))
    return SectionResult("measurement-error", title, tuple(blocks), **parts.done())


Builder = Callable[[Study, ValidityOptions], SectionResult]

#: One function per section; CFA and IRT plug in here.
def item_response_theory(study: Study, options: ValidityOptions = ValidityOptions()) -> SectionResult:
    """Graded response model per index, test information and likelihood-ratio DIF by ``invariance_by``.

    See :mod:`fip.report.validity_irt`.
    """
    from fip.report.validity_irt import irt_section

    return irt_section(study, options)


BUILDERS: Mapping[str, Builder] = MappingProxyType({
    "structural": structural_validity,
    "irt": item_response_theory,
    "internal_consistency": internal_consistency,
    "invariance": invariance,
    "measurement_error": measurement_error,
})


def validity_report(study: Study, options: ValidityOptions = ValidityOptions(), *,
                    sections: tuple[str, ...] = VALIDITY_SECTIONS, title: str | None = None) -> ValidityReport:
    """The validation report of ``study``'s instrument (no I/O; see :meth:`ValidityReport.html`).

    Parameters
    ----------
    study : Study
    options : ValidityOptions
    sections : tuple of str
        Names in :data:`BUILDERS`, in the order of the page.
    title : str, optional
        Page title (default names the instrument).

    Returns
    -------
    ValidityReport
    """
    for s in sections:
        check_option("sections", s, tuple(BUILDERS))
    built = tuple(_with_warnings(s, lambda s=s: BUILDERS[s](study, options)) for s in sections)
    inst = study.instrument.id
    return ValidityReport(title or f"Validation of the {inst} instrument", built, options.lang)
