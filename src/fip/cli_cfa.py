"""``fip cfa`` and ``fip invariance``: confirmatory factor analysis and measurement invariance (ML, as lavaan).

Registered on :data:`fip.cli.app` by one import at the end of ``fip/cli.py``.
"""

from __future__ import annotations

import json
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
    _item_selection,
    _policy,
    app,
    console,
    handles_errors,
    load_data,
)
from fip.errors import FipError

__all__ = ["cfa", "invariance"]

ModelOpt = Annotated[Optional[Path], typer.Option("--model", help="Model file in lavaan syntax (F =~ a + b + c; a ~~ b; # comments).")]
DefinitionsOpt = Annotated[Optional[Path], typer.Option("--definitions", help="Index definitions YAML: one factor per index (default: the instrument's indices).")]
StdLvOpt = Annotated[bool, typer.Option("--std-lv", help="Fix factor variances at 1 and free all loadings (lavaan std.lv=TRUE); default: first loading = 1.")]
EstimatorOpt = Annotated[str, typer.Option("--estimator", help="ml (normal likelihood, expected-information SEs, as lavaan cfa()) or mlr (lavaan estimator=\"MLR\": the same estimates, robust Huber-White SEs, Yuan-Bentler scaled chi2; for non-normal answers such as Likert items).")]
NanPolicyOpt = Annotated[str, typer.Option("--nan-policy", help="Missing answers: listwise (complete rows; lavaan's default), pairwise (lavaan missing=\"pairwise\": covariances from the persons answering both items) or fiml (lavaan missing=\"ml\": full-information ML over every answer given); pairwise and fiml with --estimator ml only.")]
NAN_POLICIES = ("listwise", "pairwise", "fiml")
ESTIMATORS = ("ml", "mlr")


def _spec_and_frame(data, instrument, store, wait, policy, model, definitions, respondent, items, round_):
    """The dataset, the model and the measurements of ``round_`` (``None``: every round)."""
    from fip.cfa import read_model, spec_from_definitions
    from fip.cfa.spec import one_index_per_item
    from fip.cli import _instrument_indices
    from fip.indices import load_index_definitions
    from fip.study import Study

    dataset = load_data(data, instrument, store, wait)
    chosen = _item_selection(dataset.instrument, respondent, items)
    if model is not None:
        spec = read_model(model)
        unknown = [i for i in spec.items if i not in dataset.instrument.item_ids(None)]
        if unknown:
            raise FipError(f"{model}: item(s) {', '.join(unknown)} are not items of instrument {dataset.instrument.id!r}")
        if chosen is not None:
            outside = [i for i in spec.items if i not in chosen]
            if outside:
                raise FipError(f"{model}: item(s) {', '.join(outside)} are outside --respondent/--items")
    else:
        if definitions is None and dataset.instrument.id != "fip":
            defs = _instrument_indices(dataset.instrument, None)
        else:
            defs = load_index_definitions(definitions, instrument=dataset.instrument)
        if chosen is not None:
            inside = tuple(d for d in defs if set(d.items) <= set(chosen))
            defs = inside or tuple(d for d in defs if set(d.items) & set(chosen))
        defs = one_index_per_item(defs, respondent)
        spec = spec_from_definitions(defs, items=chosen)
    small = [f for f, its in spec.factors if len(its) < 2]
    if small:
        raise FipError(f"factor(s) {', '.join(small)}: a factor needs at least 2 items (3 for a one-factor model)")
    study = Study(dataset, policy=policy)
    m = study.measurements
    if round_ is None:
        return dataset, spec, m.copy()
    frame = m.loc[m["round"] == round_].copy()
    if not len(frame):
        raise FipError(f"--round {round_}: no measurements in round {round_}")
    return dataset, spec, frame


def _title_method(std_lv: bool, estimator: str = "ml", nan_policy: str = "listwise") -> str:
    ident = "factor variances 1 (std.lv)" if std_lv else "first loading 1 (marker)"
    if estimator == "mlr":
        how = ("MLR (ML estimates, robust Huber-White SEs from the observed information, Yuan-Bentler scaled "
               "chi2 (Mplus variant) as lavaan estimator=\"MLR\"; fit indices scaled)")
    elif nan_policy == "fiml":
        how = "ML (normal likelihood, observed-information SEs, as lavaan cfa(missing=\"ml\"))"
    else:
        how = "ML (normal likelihood, expected-information SEs, as lavaan cfa())"
    missing = {"pairwise": "pairwise (covariances from the persons answering both items, as lavaan missing=\"pairwise\")",
               "fiml": "full information (every answer given; chi2 against the saturated model fitted by EM)"
               }.get(nan_policy, "listwise")
    return f"{how}, {ident}, {missing}"


def _check_estimator(estimator: str, nan_policy: str) -> None:
    check_option("--estimator", estimator, ESTIMATORS)
    check_option("--nan-policy", nan_policy, NAN_POLICIES)
    if estimator == "mlr" and nan_policy == "pairwise":
        raise FipError("--estimator mlr with --nan-policy pairwise: robust (sandwich) statistics need complete "
                       "answers per person, and lavaan refuses the combination too; use --nan-policy listwise "
                       "or --estimator ml")
    if estimator == "mlr" and nan_policy == "fiml":
        raise FipError("--estimator mlr with --nan-policy fiml: robust statistics with full-information ML are "
                       "not built; use --estimator ml, or --nan-policy listwise")


def _rows_used(res) -> str:
    """How many persons the fit used, and, pairwise, the fewest behind one covariance."""
    if res.missing == "pairwise":
        return f"n = {res.n} persons with an answer (fewest answering a pair of items: {res.n_pairs_min})"
    if res.missing == "fiml":
        return f"n = {res.n} persons with an answer ({sum(res.robust.n_patterns)} answer patterns)"
    return f"n = {res.n}"


@app.command()
@handles_errors
def cfa(
    data: DataDir = None,
    model: ModelOpt = None,
    definitions: DefinitionsOpt = None,
    respondent: RespondentOpt = None,
    items: ItemsOpt = None,
    estimator: EstimatorOpt = "ml",
    nan_policy: NanPolicyOpt = "listwise",
    std_lv: StdLvOpt = False,
    modindices: Annotated[int, typer.Option("--modindices", min=0, help="Show the N largest modification indices (lavaan modindices()).")] = 0,
    round_: Annotated[int, typer.Option("--round", min=1, help="Round whose answers are analysed.")] = 1,
    fmt: Annotated[str, typer.Option("--format", help="table, csv, json, md, html or latex.")] = "table",
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the output to this file.")] = None,
    instrument: InstrumentOpt = None,
    store: StoreOpt = None,
    wait: WaitOpt = WAIT,
    min_cell: MinCellOpt = None,
    secure_machine: SecureOpt = False,
) -> None:
    """Confirmatory factor analysis: loadings (unstandardised and std.all, with SEs), variances,
    fit (χ², df, p, CFI, TLI, RMSEA with 90 % CI, SRMR) and modification indices.

    The model is ``--model`` (lavaan syntax) or one factor per index of ``--definitions``.
    ``--format json`` prints ``{"fit": {...}, "loadings": [{factor, item, estimate, se, std}], ...}``;
    the other formats print the parameter table (and with ``--modindices N`` the N largest MIs).
    """
    from fip._atomic import atomic_write_text
    from fip._output import emit
    from fip.cfa import fit_cfa
    from fip.cfa.fit import fit_indices
    from fip.cfa.modindices import modification_indices

    check_option("--format", fmt, FORMATS)
    _check_estimator(estimator, nan_policy)
    if modindices and nan_policy == "fiml":
        raise FipError("--modindices with --nan-policy fiml: modification indices with full-information ML are "
                       "not built; use --nan-policy listwise or pairwise")
    _check_outputs(("--out", out))
    policy = _policy(min_cell, secure_machine)
    _, spec, frame = _spec_and_frame(data, instrument, store, wait, policy, model, definitions, respondent, items, round_)
    res = fit_cfa(spec, frame, std_lv=std_lv, estimator=estimator, missing=nan_policy)
    policy.require(res.n, "the confirmatory factor analysis")
    if nan_policy == "pairwise":
        policy.require(res.n_pairs_min, "a pairwise covariance of the confirmatory factor analysis")
    fi = fit_indices(res)
    params = res.tidy().drop(columns=["group"])
    method = _title_method(std_lv, estimator, nan_policy)
    mi = modification_indices(res).tidy().drop(columns=["group"]) if modindices else None
    if mi is not None:
        mi = mi.sort_values("mi", ascending=False).head(modindices).reset_index(drop=True)
    if fmt == "json":
        load = params[params["op"] == "=~"]
        obj = {
            "method": method, "estimator": estimator, "nan_policy": nan_policy, "n": res.n,
            "n_dropped": res.n_dropped, "converged": res.converged,
            "fit": {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in fi.as_dict().items()},
            "loadings": [
                {"factor": r.lhs, "item": r.rhs, "estimate": r.estimate, "se": None if np.isnan(r.se) else r.se,
                 "std": r.std_all}
                for r in load.itertuples()
            ],
            "parameters": json.loads(params.to_json(orient="records")),
        }
        if nan_policy == "pairwise":
            obj["n_pairs_min"] = res.n_pairs_min
        if mi is not None:
            obj["modindices"] = json.loads(mi.to_json(orient="records"))
        if policy.statement:
            obj["notice"] = policy.statement
        text = json.dumps(obj, indent=2, allow_nan=False, default=float) + "\n"
        if out is None:
            typer.echo(text, nl=False)
        else:
            atomic_write_text(out, text)
        return
    fit_line = (f"chi2({fi.df}) = {fi.chisq:.3f}, p = {fi.pvalue:.4g}, CFI = {fi.cfi:.3f}, TLI = {fi.tli:.3f}, "
                f"RMSEA = {fi.rmsea:.3f} [{fi.rmsea_ci_low:.3f}, {fi.rmsea_ci_high:.3f}], SRMR = {fi.srmr:.3f}")
    if estimator == "mlr":
        fit_line = (f"scaled {fit_line}; scaling factor {fi.scaling_factor:.4f}; robust CFI = {fi.cfi_robust:.3f}, "
                    f"TLI = {fi.tli_robust:.3f}, RMSEA = {fi.rmsea_robust:.3f} [{fi.rmsea_ci_low_robust:.3f}, "
                    f"{fi.rmsea_ci_high_robust:.3f}]; unscaled chi2 = {fi.chisq_naive:.3f}")
    conv = "" if res.converged else " (NOT CONVERGED)"
    emit(params, fmt, out, console, notice=policy.statement,
         title=f"CFA of {len(spec.items)} items on {len(spec.factors)} factors, {method}, round {round_}, "
               f"{_rows_used(res)}{conv}; {fit_line}")
    if mi is not None:
        mi_out = None if out is None else out.with_suffix(".modindices" + out.suffix)
        emit(mi, fmt, mi_out, console, title=f"The {len(mi)} largest modification indices (lavaan modindices, "
                                             f"normal-theory), {_rows_used(res)}")


@app.command()
@handles_errors
def invariance(
    data: DataDir = None,
    by: Annotated[str, typer.Option("--by", help="Group by this person or form column (e.g. gender, answer language).")] = "",
    over: Annotated[str, typer.Option("--over", help="rounds: longitudinal invariance of the same persons from round 1 to round 2 (instead of --by).")] = "",
    model: ModelOpt = None,
    definitions: DefinitionsOpt = None,
    respondent: RespondentOpt = None,
    items: ItemsOpt = None,
    partial: Annotated[bool, typer.Option("--partial", help="Free equality constraints where the univariate score tests point, one at a time, when a level fails.")] = False,
    rule: Annotated[str, typer.Option("--rule", help="cheung_rensvold (ΔCFI ≤ −0.010 fails; default), chen (ΔCFI ≤ −0.010 and ΔRMSEA ≥ 0.015) or chisq (Δχ² p < .05).")] = "cheung_rensvold",
    std_lv: StdLvOpt = False,
    estimator: EstimatorOpt = "ml",
    nan_policy: NanPolicyOpt = "listwise",
    round_: Annotated[int, typer.Option("--round", min=1, help="Round whose answers are analysed.")] = 1,
    fmt: Annotated[str, typer.Option("--format", help="table, csv, json, md, html or latex.")] = "table",
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the table to this file.")] = None,
    instrument: InstrumentOpt = None,
    store: StoreOpt = None,
    wait: WaitOpt = WAIT,
    min_cell: MinCellOpt = None,
    secure_machine: SecureOpt = False,
) -> None:
    """Measurement invariance across the groups of ``--by``, or over time with ``--over rounds``:
    configural → metric → scalar → strict.

    One row per level: ``level, chisq, df, pvalue, cfi, tli, rmsea, srmr, delta_chisq, delta_df,
    p_delta, delta_cfi, delta_rmsea, holds, freed`` (Δ against the previous level; Δχ² as
    lavaan's lavTestLRT; with ``--estimator mlr`` the scaled statistics and the Satorra-Bentler 2001
    scaled difference, lavTestLRT's default for MLR). Groups smaller than the disclosure threshold (or than the number of
    items + 1) are left out and named in the title.

    ``--over rounds``: the persons measured in rounds 1 and 2, one model with a factor per index
    per round and the same item's residuals correlated over rounds; the levels make loadings,
    intercepts (round-2 latent means then free) and residual variances equal over time.
    """
    from fip._output import emit
    from fip.cfa.invariance import (RULE_WORDS, RULES, SIZES_WITHHELD, measurement_invariance,
                                    shown_group_sizes, with_group_column)

    check_option("--format", fmt, FORMATS)
    check_option("--rule", rule, RULES)
    _check_estimator(estimator, nan_policy)
    if partial and nan_policy == "fiml":
        raise FipError("--partial with --nan-policy fiml: the score tests with full-information ML are not built; "
                       "use --nan-policy listwise or pairwise")
    if over:
        check_option("--over", over, ("rounds",))
        if by:
            raise FipError("give --by COLUMN (groups) or --over rounds (round 1 → round 2), not both")
        if round_ != 1:
            raise FipError("--round: not used with --over rounds, which compares round 1 with round 2")
        if estimator != "ml" or nan_policy != "listwise":
            raise FipError("--over rounds is fitted by ML on complete answers: --estimator mlr and "
                           "--nan-policy pairwise/fiml are not built for it")
        from fip.cli_longitudinal import longitudinal_invariance_command

        return longitudinal_invariance_command(data, model, definitions, respondent, items, partial, rule, std_lv,
                                               fmt, out, instrument, store, wait, min_cell, secure_machine)
    if not by:
        raise FipError("--by: expected the name of a person or form column to group by (or --over rounds)")
    _check_outputs(("--out", out))
    policy = _policy(min_cell, secure_machine)
    dataset, spec, frame = _spec_and_frame(data, instrument, store, wait, policy, model, definitions, respondent,
                                           items, round_)
    frame = with_group_column(frame, dataset.persons, by, option="--by")
    need = max(len(spec.items) + 1, policy.threshold)
    res = measurement_invariance(spec, frame, group=by, rule=rule, partial=partial, min_group_n=need, std_lv=std_lv,
                                 estimator=estimator, missing=nan_policy)
    groups = res.levels[0][1]
    answered = frame[list(spec.items)].notna()
    total = int((answered.all(axis=1) if nan_policy == "listwise" else answered.any(axis=1)).sum())
    shown = shown_group_sizes(res, total, policy.threshold)
    if nan_policy == "pairwise":
        policy.require(groups.n_pairs_min, "a pairwise covariance of the invariance analysis")
    sizes = SIZES_WITHHELD if shown is None else ", ".join(f"{g} n = {n}" for g, n in shown)
    left = "; ".join(f"{g} left out ({why})" for g, why in res.excluded)
    partial_text = "; partial: constraints freed by univariate score tests (see 'freed')" if partial else ""
    if estimator == "mlr":
        mlr_text = ("; chi2, CFI, TLI, RMSEA scaled (Yuan-Bentler), delta chi2 the Satorra-Bentler 2001 scaled "
                    "difference, delta CFI and RMSEA of the scaled indices")
        if partial:
            partial_text = "; partial: constraints freed by univariate (normal-theory) score tests (see 'freed')"
    else:
        mlr_text = ""
    emit(res.tidy(), fmt, out, console, notice=policy.statement,
         title=f"Measurement invariance by {by} ({len(groups.groups)} groups: {sizes}{'; ' + left if left else ''}), "
               f"{_title_method(std_lv, estimator, nan_policy)}, round {round_}"
               f"{'' if shown is None else ', ' + _rows_used(groups)}; "
               f"rule: {RULE_WORDS[rule]}{mlr_text}{partial_text}")
