"""``fip irt``: graded response model per index (marginal ML), information, EAP scores and DIF.

Registered on :data:`fip.cli.app` by one import at the end of ``fip/cli.py``.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated, Optional

import numpy as np
import pandas as pd
import typer

from fip._options import FORMATS, check_option
from fip.cli import (
    WAIT,
    DataDir,
    InstrumentOpt,
    ItemsOpt,
    MinCellOpt,
    RespondentOpt,
    SecureOpt,
    StoreOpt,
    WaitOpt,
    _check_outputs,
    _nan_policy_opt,
    _policy,
    app,
    console,
    handles_errors,
    load_study,
)
from fip.errors import FipError

__all__ = ["irt", "irt_models"]

METHOD = "GRM (logistic, Samejima), marginal ML: Bock–Aitkin EM, 61-point grid on [-6, 6], N(0,1); SEs: observed information"
#: What the two missing-answer policies mean for a marginal-likelihood fit (titles and help).
NAN_WORDS = {"pairwise": "pairwise: every observed answer (a person's unanswered items add nothing to the likelihood)",
             "listwise": "listwise: persons who answered every item of the model"}
LR_METHOD = ("likelihood-ratio DIF, multi-group GRM (reference group N(0,1), focal groups' mean and SD free), "
             "each item freed in turn with all other items as anchors (IRTLRDIF; mirt DIF scheme drop); "
             "df = freed parameters")


def irt_models(study, respondent: str | None, items: str | None, definitions: Path | None,
               round_: int) -> list[tuple[str, list[str], tuple[str, ...], pd.DataFrame]]:
    """The models to fit: ``(model id, items, reversed items, answers)``; one per index definition or the --items set.

    Reverse-keyed items of a definition are scored ``min + max - x`` first, so every slope is positive.
    """
    from fip.cli_anyinst import _item_frame

    if study.instrument.scale.continuous:
        raise FipError(f"instrument {study.instrument.id}: the items are on a continuous scale; the graded response "
                       "model needs ordered categories (use fip cfa for continuous items)")
    chosen, frame = _item_frame(study, respondent, items, round_)
    m = study.measurements
    ids = m.loc[m["round"] == round_, "person_id"].astype(str)
    frame = frame.set_axis(pd.Index(ids.to_numpy(), name="person_id"), axis=0)
    if definitions is None:
        return [("items", chosen, (), frame)]
    from fip.indices import load_index_definitions

    models = []
    lo, hi = frame.min().min(), frame.max().max()
    scale = getattr(study.instrument, "scale", None)
    if scale is not None and getattr(scale, "min", None) is not None:
        lo, hi = scale.min, scale.max
    for d in load_index_definitions(definitions, study.instrument):
        sub = frame[list(d.items)].copy()
        for item in d.reverse:
            sub[item] = lo + hi - sub[item]
        models.append((d.id, list(d.items), tuple(d.reverse), sub))
    return models


def _group_column(study, column: str, index: pd.Index, round_: int) -> pd.Series:
    m = study.measurements
    if column in m.columns:
        rows = m.loc[m["round"] == round_]
        return pd.Series(rows[column].to_numpy(), index=pd.Index(rows["person_id"].astype(str), name="person_id"))
    persons = study.dataset.persons
    if column in persons.columns:
        return pd.Series(persons[column].to_numpy(), index=pd.Index(persons["person_id"].astype(str), name="person_id"))
    raise FipError(f"--dif-by: no column {column!r} in the forms or persons table; "
                   f"expected one of {', '.join(c for c in persons.columns if c != 'person_id')}")


def _side(out: Path | None, tag: str) -> Path | None:
    return None if out is None else out.with_suffix(f".{tag}{out.suffix}")


@app.command()
@handles_errors
def irt(
    data: DataDir = None,
    respondent: RespondentOpt = None,
    items: ItemsOpt = None,
    definitions: Annotated[Optional[Path], typer.Option("--definitions", help="Index definitions YAML: one GRM per index (reverse keys applied).")] = None,
    dif_by: Annotated[Optional[str], typer.Option("--dif-by", help="Person or form column: DIF by its groups (--dif-method).")] = None,
    dif_method: Annotated[str, typer.Option("--dif-method", help="logistic (ordinal logistic regression on the EAP, lordif style) or lr (likelihood ratio, multi-group GRM, all other items as anchors).")] = "logistic",
    dif_purify: Annotated[bool, typer.Option("--dif-purify", help="lr: test every item again with the items not flagged in the first round as anchors (two-stage purification).")] = False,
    dif_adjust: Annotated[str, typer.Option("--dif-adjust", help="Multiple-testing adjustment of the lr p-values over each model's items: holm or bonferroni.")] = "holm",
    nan_policy: Annotated[str, _nan_policy_opt("pairwise", "marginal ML uses every observed answer; listwise keeps persons who answered every item of the model")] = "pairwise",
    scores_out: Annotated[Optional[Path], typer.Option("--scores-out", help="Write EAP scores with posterior SD per person (private, mode 0600).")] = None,
    information_out: Annotated[Optional[Path], typer.Option("--information-out", help="Write item and test information on θ = -4..4 (CSV).")] = None,
    round_: Annotated[int, typer.Option("--round", min=1, help="Round whose answers are modelled.")] = 1,
    fmt: Annotated[str, typer.Option("--format", help="table, csv, json, md, html or latex.")] = "table",
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the item parameters here; the fit goes to NAME.fit.EXT, DIF to NAME.dif.EXT.")] = None,
    instrument: InstrumentOpt = None,
    store: StoreOpt = None,
    wait: WaitOpt = WAIT,
    min_cell: MinCellOpt = None,
    secure_machine: SecureOpt = False,
) -> None:
    """Graded response model per index or item set: item parameters (mirt's a1, d and the traditional b) with
    SEs, log-likelihood, AIC, BIC, marginal reliability; EAP scores; DIF by a person or form column.

    Missing answers (``--nan-policy``): ``pairwise`` (default) uses every observed answer — marginal
    ML needs no complete rows; a person's unanswered items add nothing to the likelihood and
    persons with no answer in a model's items are left out; ``listwise`` keeps only persons who
    answered every item of the model. DIF (``--dif-by``): ``--dif-method logistic`` (ordinal
    logistic regression on the EAP, lordif style) or ``lr`` (likelihood ratio of a multi-group GRM,
    each item freed with all others as anchors; SIDN/UIDN/ESSD effect sizes). Every table says
    its n and method.
    """
    from fip._atomic import atomic_write_text
    from fip._output import emit, safe_csv
    from fip.irt import eap_scores, fit_grm, item_information
    from fip.irt.dif import ordinal_dif
    from fip.irt.lrdif import lr_dif

    check_option("--format", fmt, FORMATS)
    check_option("--dif-method", dif_method, ("logistic", "lr"))
    check_option("--dif-adjust", dif_adjust, ("holm", "bonferroni"))
    check_option("--nan-policy", nan_policy, ("listwise", "pairwise"))
    _check_outputs(("--out", out), ("--out", _side(out, "fit")), ("--out", _side(out, "dif")),
                   ("--scores-out", scores_out), ("--information-out", information_out))
    policy = _policy(min_cell, secure_machine)
    study = load_study(data, instrument, store, wait=wait, policy=policy)
    params, fits, difs, scores, infos = [], [], [], [], []
    used: dict[str, tuple[int, int]] = {}  # model -> (persons used, persons with any answer)
    impact: list[str] = []
    for model_id, model_items, reverse, frame in irt_models(study, respondent, items, definitions, round_):
        answered = frame.loc[frame.notna().all(axis=1) if nan_policy == "listwise" else frame.notna().any(axis=1)]
        used[model_id] = (len(answered), int(frame.notna().any(axis=1).sum()))
        policy.require(len(answered), f"the graded response model of {model_id}")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = fit_grm(answered)
        for w in caught:
            console.print(f"warning: {model_id}: {w.message}")
        if not res.converged:
            console.print(f"warning: {model_id}: the fit did not converge in {res.iterations} iterations")
        eap = eap_scores(res, answered)
        params.append(res.tidy().assign(model=model_id, n=res.n_obs,
                                        reversed=lambda t: t["item"].isin(reverse)))
        fits.append(res.fit_table().assign(model=model_id, reliability=eap.reliability, nan_policy=nan_policy))
        scores.append(eap.tidy().assign(model=model_id).reset_index())
        info = item_information(res, np.linspace(-4, 4, 81))
        infos.append(info.melt(id_vars="theta", var_name="item", value_name="information").assign(model=model_id))
        if dif_by is not None:
            group = _group_column(study, dif_by, answered.index, round_).reindex(answered.index)
            sizes = group.dropna().value_counts()
            for level, count in sizes.items():
                policy.require(int(count), f"DIF by {dif_by}: group {level!s}")
            if len(sizes) < 2:
                raise FipError(f"--dif-by {dif_by}: needs at least two groups among the {model_id} answers, found {len(sizes)}")
            groups = ", ".join(f"{k}: {v}" for k, v in sizes.sort_index().items())
            if dif_method == "logistic":
                dif = ordinal_dif(answered, group, eap.tidy()["eap"], trait_name="EAP")
                difs.append(dif.tidy().assign(model=model_id, groups=groups))
            else:
                lr = lr_dif(answered, group, adjust=dif_adjust, purify=dif_purify)
                c = lr.baseline
                if dif_purify:
                    impact.append(f"{model_id}: {'purified, anchors ' + ', '.join(lr.anchors) if lr.purified else 'no purification needed (no item flagged, or every item)'}")
                impact.append(f"{model_id}: " + ", ".join(f"{g} mean {m:.3f} SD {sd:.3f}" for g, m, sd in
                                                          zip(c.groups[1:], c.latent_mean[1:], c.latent_sd[1:]))
                              + f" (reference {c.groups[0]}; model with the anchors constrained)")
                difs.append(lr.tidy().assign(model=model_id, reference=c.groups[0], groups=groups))
    ptab = pd.concat(params, ignore_index=True)[["model", "item", "reversed", "parameter", "estimate", "se", "n"]]
    ftab = pd.concat(fits, ignore_index=True)
    ftab = ftab[["model", *[c for c in ftab.columns if c != "model"]]]
    n_txt = ", ".join(f"{r.model} n = {r.n_obs}" for r in ftab.itertuples())
    if nan_policy == "listwise":
        n_txt += "; " + NAN_WORDS["listwise"] + " (" + ", ".join(
            f"{k}: {u} of {a} who answered any" for k, (u, a) in used.items()) + ")"
    else:
        n_txt += "; " + NAN_WORDS["pairwise"]
    emit(ptab, fmt, out, console, notice=policy.statement,
         title=f"IRT item parameters, round {round_} ({n_txt}); {METHOD}; b = -d/a (delta-method SE)")
    emit(ftab, fmt, _side(out, "fit"), console, notice=policy.statement,
         title=f"IRT model fit ({n_txt}); reliability: empirical marginal, var(EAP)/(var(EAP)+mean(PSD²))")
    if difs:
        dtab = pd.concat(difs, ignore_index=True)
        dtab = dtab[["model", *[c for c in dtab.columns if c != "model"]]]
        if dif_method == "logistic":
            dtitle = (f"Ordinal logistic DIF by {dif_by} ({n_txt}): nested polr models on EAP θ, group, θ×group; "
                      "LR χ², McFadden R² change, β change; p_total Holm-adjusted over each model's items")
        else:
            dtitle = (f"Likelihood-ratio DIF by {dif_by} ({n_txt}): {LR_METHOD}; p_adjusted: {dif_adjust} over "
                      "each model's items; effect sizes of the focal group with the largest |sidn| (Meade 2010, "
                      "focal minus reference, over the focal N(mean, SD²)): sidn signed and uidn unsigned "
                      "expected-score difference, essd = sidn / pooled item SD; "
                      + ("two-stage purification (--dif-purify): items not flagged at p_adjusted < 0.05 in round 1 are "
                         "the anchors of round 2; " if dif_purify else "")
                      + "latent distribution of the focal groups: "
                      + "; ".join(impact))
        emit(dtab, fmt, _side(out, "dif"), console, notice=policy.statement, title=dtitle)
    if scores_out is not None:
        atomic_write_text(scores_out, safe_csv(pd.concat(scores, ignore_index=True)), private=True)  # per person
    if information_out is not None:
        atomic_write_text(information_out, safe_csv(pd.concat(infos, ignore_index=True)))
