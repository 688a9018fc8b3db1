"""The validity report's item response theory section: GRM per index, information, LR DIF by group.

One graded response model (:func:`fip.irt.fit_grm`, marginal ML, Bock–Aitkin EM) per index of
the measurement model (the index definitions narrowed to one index per item, as the CFA section
does; reverse keys applied), with the item parameters and their SEs, the test information and
SE(θ) on a θ grid with the empirical marginal reliability, and likelihood-ratio DIF
(:func:`fip.irt.lrdif.lr_dif`) by every ``--by`` column. Groups below the disclosure threshold
are named and left out of DIF; their sizes are withheld when the analysed n would reveal them.

Examples
--------
>>> from fip.simulate import simulate_cohort
>>> from fip.study import Study
>>> from fip.report.validity import ValidityOptions
>>> section = irt_section(Study(simulate_cohort(150, seed=1)), ValidityOptions(n_iter=5))
>>> section.id
'irt'
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from fip.report import html
from fip.report.sections import SectionResult, _Parts

__all__ = ["irt_section", "irt_models"]

TITLE = "Structural validity: item response theory"
GRM_WORDS = ("graded response model (Samejima, logistic; mirt's parameterisation a, d, and b = −d/a), marginal ML "
             "by Bock–Aitkin EM on a 61-point grid over [−6, 6], θ ~ N(0, 1); SEs from the observed information")
DIF_WORDS = ("likelihood-ratio DIF (IRTLRDIF; mirt DIF, scheme drop): multi-group GRM with the reference group "
             "N(0, 1) and the focal groups' mean and SD free; each item's slope and intercepts freed in turn with "
             "all other items as anchors (round 1); df = freed parameters; p Holm-adjusted over the index's items; "
             "SIDN and UIDN: signed and unsigned expected-score difference, focal minus reference, over the "
             "focal group's N(mean, SD²) (Meade 2010); ESSD = SIDN / pooled SD of the item")
THETA = np.arange(-3.0, 3.5, 1.0)


def irt_models(study, options) -> tuple[list[tuple[str, tuple[str, ...], tuple[str, ...]]], list[str]]:
    """``([(index id, items, reversed items)], notes)``: the indices modelled and why others are not (in words)."""
    from fip.report.words import ReportWords

    from fip.cfa.spec import one_index_per_item
    from fip.errors import FipError
    from fip.report.validity import _items

    item_set, chosen, _ = _items(study, options)
    defs = [d for d in study.definitions if set(d.items) & set(chosen)]
    try:
        narrowed = one_index_per_item(defs, item_set)
    except FipError as exc:
        return [], [f"no measurement model ({exc})"]
    models, notes = [], []
    for d in narrowed:
        items = tuple(i for i in d.items if i in chosen)
        if len(items) < 3:
            notes.append(f"{ReportWords.for_study(study).word(d.id)} has {len(items)} of the chosen items (a graded response model here needs 3 or more)")
            continue
        models.append((d.id, items, tuple(i for i in d.reverse if i in items)))
    return models, notes


def _wide_parameters(res, reverse: tuple[str, ...]) -> pd.DataFrame:
    t = res.tidy()
    rows = []
    for j, item in enumerate(res.items):
        block = t[t["item"] == item].set_index("parameter")
        row = {"item": item, "reversed": "yes" if item in reverse else "no",
               "a": block.loc["a1", "estimate"], "SE of a": block.loc["a1", "se"]}
        for k in range(1, len(res.categories[j])):
            row[f"b{k}"] = block.loc[f"b{k}", "estimate"]
            row[f"SE of b{k}"] = block.loc[f"b{k}", "se"]
        rows.append(row)
    return pd.DataFrame(rows)


def _dif_groups(study, frame: pd.DataFrame, column: str):
    """The grouping of ``frame``'s rows by ``column`` with small groups left out: (group, kept, left out words)."""
    from fip.cfa.invariance import with_group_column

    grouped = with_group_column(frame.reset_index(), study.dataset.persons, column, option="--by")
    group = pd.Series(grouped[column].to_numpy(), index=frame.index)
    counts = group.dropna().astype(str).value_counts()
    small = sorted(str(g) for g, c in counts.items() if study.policy.is_small(int(c)))
    kept = group.where(~group.astype(str).isin(small) & group.notna())
    return kept, small


def irt_section(study, options) -> SectionResult:
    """The IRT section of :func:`fip.report.validity.validity_report` (see the module docstring)."""
    from fip.cfa.invariance import SIZES_WITHHELD
    from fip.errors import FipError
    from fip.irt import eap_scores, fit_grm, item_information
    from fip.irt.lrdif import lr_dif

    if not getattr(options, "irt", True):
        return SectionResult("irt", TITLE, (html.paragraph("Not computed: left out on request (fip validity --no-irt)."),))
    if study.instrument.scale.continuous:
        return SectionResult("irt", TITLE, (html.paragraph(
            "Item response theory does not apply: the items are on a continuous scale, and the graded response "
            "model is for ordered answer categories (the CFA in the invariance section models continuous items)."),))
    models, notes = irt_models(study, options)
    if not models:
        return SectionResult("irt", TITLE, (html.paragraph(
            "Not computed: " + ("; ".join(notes) if notes else "no index of 3 or more items") + "."),))
    m = study.measurements
    answers = m[m["round"] == options.round].set_index(m.loc[m["round"] == options.round, "person_id"].astype(str))
    scale = study.instrument.scale
    parts = _Parts(study=study)
    how = ("listwise: persons who answered every item of the index" if options.nan_policy == "listwise"
           else "pairwise: every observed answer, persons with at least one")
    blocks = [html.paragraph(f"One {GRM_WORDS} per index, round {options.round}; reverse-keyed items scored "
                             f"min + max − x first; missing answers {how}.")]
    for note in notes:
        blocks.append(html.paragraph(f"Not modelled: {note}.", note=True))
    fit_rows, info_rows, fits = [], {}, {}
    for model_id, items, reverse in models:
        frame = answers[list(items)].astype("float64")
        for item in reverse:
            frame[item] = scale.min + scale.max - frame[item]
        keep = frame.notna().all(axis=1) if options.nan_policy == "listwise" else frame.notna().any(axis=1)
        frame = frame.loc[keep]
        word = parts.words.word(model_id)
        if study.policy.is_small(len(frame)):
            blocks.append(html.paragraph(f"{word}: not shown (fewer than {study.policy.threshold} persons).", note=True))
            continue
        res = fit_grm(frame)
        if not res.converged:
            warnings.warn(f"the graded response model of {model_id} did not converge in {res.iterations} iterations",
                          stacklevel=2)
        fits[model_id] = (res, frame, reverse)
        eap = eap_scores(res, frame)
        info = item_information(res, THETA)
        fit_rows.append({"index": word, "items": len(items), "n": res.n_obs, "log-likelihood": res.loglik,
                         "AIC": res.aic, "BIC": res.bic, "marginal reliability": eap.reliability})
        info_rows[f"{word}: information"] = info["test"].to_numpy()
        info_rows[f"{word}: SE(θ)"] = 1 / np.sqrt(info["test"].to_numpy())
        params = _wide_parameters(res, reverse)
        name = f"irt_{model_id}_parameters"
        parts.table(name, params, n=res.n_obs)
        blocks.append(html.heading(word))
        blocks.append(parts.show(params, f"GRM item parameters of {word} with SEs ({len(items)} items; slope a and "
                                         f"thresholds b as mirt's traditional parameterisation; round {options.round}, "
                                         f"n = {res.n_obs})"))
    if fit_rows:
        fit = pd.DataFrame(fit_rows)
        n_all = int(fit["n"].max())
        parts.table("irt_fit", fit, n=n_all)
        blocks.append(html.heading("Fit, information and measurement error"))
        blocks.append(parts.show(fit, "GRM fit per index (mirt's logLik, AIC, BIC) and empirical marginal reliability "
                                      "var(EAP) / (var(EAP) + mean posterior variance) (as mirt's empirical reliability of EAP scores); "
                                      "n per index in the n column"))
        info = pd.DataFrame({"θ": THETA, **info_rows})
        parts.table("irt_information", info, n=n_all)
        blocks.append(parts.show(info, "Test information I(θ) and the standard error of measurement SE(θ) = 1/√I(θ) "
                                       f"of each index's GRM (mirt testinfo) on θ = −3..3; n per index in the fit "
                                       f"table, at most n = {n_all}", scroll=len(info_rows) > 8))
    if not options.invariance_by:
        blocks.append(html.paragraph("DIF is tested across the groups of a person or form column given with fip "
                                     "validity --by COLUMN; none was given here."))
    for column in options.invariance_by:
        cword = parts.words.word(column)
        for model_id, (res, frame, _) in fits.items():
            word = parts.words.word(model_id)
            try:
                group, small = _dif_groups(study, frame, column)
            except FipError as exc:
                blocks.append(html.paragraph(f"DIF by {cword}: not computed ({exc})."))
                break
            left = f"; left out (fewer than {study.policy.threshold} persons): {', '.join(small)}" if small else ""
            sizes = group.dropna().astype(str).value_counts().sort_index()
            if len(sizes) < 2:
                blocks.append(html.paragraph(f"DIF of {word} by {cword}: not computed (fewer than two groups of "
                                             f"{study.policy.threshold} or more persons{left})."))
                continue
            dif = lr_dif(frame, group, purify=True)
            n_used = int(sizes.sum())
            withheld = 0 < len(frame) - n_used < study.policy.threshold  # the left-out would follow by subtraction
            size_words = SIZES_WITHHELD if withheld else ", ".join(f"{g}: n = {c}" for g, c in sizes.items())
            table = dif.tidy()[["item", "chi2", "df", "p", "p_adjusted", "focal", "sidn", "uidn", "essd", "anchor", "note"]]
            table["anchor"] = table["anchor"].map({True: "yes", False: "no"})
            table = table.rename(columns={"chi2": "χ²", "p_adjusted": "p (Holm)", "focal": "focal group",
                                          "sidn": "SIDN", "uidn": "UIDN", "essd": "ESSD"})
            con = dif.baseline
            impact = ", ".join(f"{g}: mean {mu:.3f}, SD {sd:.3f}" for g, mu, sd in
                               zip(con.groups[1:], con.latent_mean[1:], con.latent_sd[1:]))
            name = f"irt_dif_{model_id}_{column}"
            parts.table(name, table, n=n_used)
            n_words = "" if withheld else f", n = {n_used}"
            anchors = (f"purified: round 2 tests every item with the items not flagged in round 1 as anchors "
                       f"({', '.join(dif.anchors)})" if dif.purified else
                       "no purification round (no item, or every item, flagged with all others as anchors)")
            blocks.append(parts.show(table, f"DIF of {word} by {cword} ({size_words}{left}; reference group "
                                            f"{con.groups[0]}; focal latent distribution given the anchors: "
                                            f"{impact}): {DIF_WORDS}; {anchors}; round {options.round}{n_words}"))
    return SectionResult("irt", TITLE, tuple(blocks), **parts.done())
