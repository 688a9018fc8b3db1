"""``fip correlation`` and ``fip agreement``: item correlations, citizen–caseworker agreement and change.

Registered on :data:`fip.cli.app` by one import at the end of ``fip/cli.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from fip._options import FORMATS, check_option
from fip.cli import (
    WAIT,
    DataDir,
    FipError,
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
    err_console,
    handles_errors,
    load_study,
)

__all__ = ["agreement", "check_factor_options", "correlation", "polychoric_comparison", "write_factor_scores"]


def check_factor_options(correlation: str, score_method: str | None, scores_out: Path | None) -> None:
    """``fip factor``: check ``--correlation``, ``--scores`` and ``--scores-out`` (ValueError naming the option)."""
    from fip.factors import SCORE_METHODS
    from fip.validity import CORRELATION_METHODS

    check_option("--correlation", correlation, CORRELATION_METHODS)
    if score_method is not None:
        check_option("--scores", score_method, SCORE_METHODS)
    if (score_method is None) != (scores_out is None):
        raise ValueError("--scores and --scores-out go together")


def polychoric_comparison(study, respondent: str, round_: int, options: dict):
    """``fip factor --correlation polychoric``: the study comparison on the polychoric matrix."""
    from fip.factors.study import compare_with_study
    from fip.validity import item_correlation

    corr = item_correlation(study, respondent, "polychoric", round_)
    return compare_with_study(None, study.instrument, respondent, correlation=corr.matrix, n_obs=corr.n_obs,
                              round_=round_, **options)


def write_factor_scores(study, result, respondent: str, round_: int, score_method: str | None,
                        scores_out: Path | None) -> None:
    """``fip factor --scores M --scores-out F``: person-level factor scores, atomically, file mode 0600."""
    if score_method is None or scores_out is None:
        return
    from fip._atomic import atomic_write_text
    from fip._output import safe_csv
    from fip.validity import person_factor_scores

    scores = person_factor_scores(study, result, respondent, round_, score_method)
    atomic_write_text(scores_out, safe_csv(scores), private=True)  # per person


@app.command()
@handles_errors
def correlation(
    data: DataDir = None,
    method: Annotated[str, typer.Option("--method", help="pearson (Stata's correlate) or polychoric (psych polychoric).")] = "pearson",
    respondent: RespondentOpt = None,
    items: ItemsOpt = None,
    nan_policy: Annotated[Optional[str], _nan_policy_opt("listwise for pearson, pairwise for polychoric", "psych's polychoric is pairwise")] = None,
    round_: Annotated[int, typer.Option("--round", min=1, help="Round whose answers are correlated.")] = 1,
    fmt: Annotated[str, typer.Option("--format", help="table, csv, json, md, html or latex.")] = "table",
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the matrix to this file.")] = None,
    instrument: InstrumentOpt = None,
    store: StoreOpt = None,
    wait: WaitOpt = WAIT,
    min_cell: MinCellOpt = None,
    secure_machine: SecureOpt = False,
) -> None:
    """The item correlation matrix of any instrument (``csv``: the square matrix, item ids as header and first column).

    The title says the n: the complete rows (listwise) or the fewest persons behind a pair
    (pairwise, and polychoric).
    """
    from fip._output import emit
    from fip.cli_anyinst import _item_frame
    from fip.validity import CORRELATION_METHODS, frame_correlation

    check_option("--format", fmt, FORMATS)
    check_option("--method", method, CORRELATION_METHODS)
    nan_policy = nan_policy or ("listwise" if method == "pearson" else "pairwise")
    check_option("--nan-policy", nan_policy, ("listwise", "pairwise"))
    _check_outputs(("--out", out))
    policy = _policy(min_cell, secure_machine)
    study = load_study(data, instrument, store, wait=wait, policy=policy)
    item_set = respondent if respondent is not None else study.item_sets[0]
    chosen, frame = _item_frame(study, respondent, items, round_)
    corr = frame_correlation(frame, method, nan_policy, item_set=item_set, round_=round_)
    policy.require(corr.n_obs, f"the {method} correlations of the {item_set} items")
    note = ", smoothed (not positive definite)" if corr.smoothed else ""
    smallest = " (smallest pair)" if nan_policy == "pairwise" else ""
    emit(corr.tidy(), fmt, out, console, notice=policy.statement,
         title=f"{method.capitalize()} correlations of {len(chosen)} {'' if respondent is None else respondent + ' '}items, "
               f"round {round_}, {nan_policy}, "
               f"n = {corr.n_obs}{smallest}{note}")


@app.command()
@handles_errors
def agreement(
    data: DataDir = None,
    what: Annotated[str, typer.Option("--what", help="agreement (citizen vs caseworker), change (SEM, SDC95) or both.")] = "both",
    icc_form: Annotated[str, typer.Option("--icc", help="ICC form shown: ICC1, ICC2 (absolute agreement, default), ICC3, ICC1k, ICC2k, ICC3k.")] = "ICC2",
    fmt: Annotated[str, typer.Option("--format", help="table, csv, json, md, html or latex.")] = "table",
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the table to this file (with --what both, the change table goes to NAME.change.EXT).")] = None,
    instrument: InstrumentOpt = None,
    store: StoreOpt = None,
    wait: WaitOpt = WAIT,
    min_cell: MinCellOpt = None,
    secure_machine: SecureOpt = False,
) -> None:
    """Respondent vs respondent on the parallel items by round (FIP: citizen vs caseworker;
    quadratic-weighted kappa, ICC, Bland–Altman limits of agreement), and the smallest
    detectable change (SDC95) of every item and index with the share of persons whose round
    1 → 2 change exceeds it. Each part says when the data cannot give it (no parallel items of
    two respondents; one measurement per person); with ``--what both`` the other part still runs."""
    from fip._output import emit
    from fip.agreement import ICC_FORMS, agreement_respondents, agreement_table
    from fip.change import change_table

    check_option("--format", fmt, FORMATS)
    check_option("--what", what, ("agreement", "change", "both"))
    check_option("--icc", icc_form, tuple(ICC_FORMS))
    change_out = out.with_suffix(".change" + out.suffix) if (out is not None and what == "both") else out
    _check_outputs(("--out", out), ("--out", change_out))
    policy = _policy(min_cell, secure_machine)
    study = load_study(data, instrument, store, wait=wait, policy=policy)
    two = agreement_respondents(study.instrument)
    rounds = set(study.measurements["round"].unique().tolist())
    wanted = {"agreement": what in ("agreement", "both"), "change": what in ("change", "both")}
    missing = {"agreement": None if two is not None else
               f"instrument {study.instrument.id}: agreement needs parallel items (parallel_items in the instrument "
               "file) answered by two respondents; this instrument has none",
               "change": None if {1, 2} <= rounds else
               "the change part needs two rounds (forms with answered_on dates); every person has one measurement"}
    runnable = [k for k in wanted if wanted[k] and missing[k] is None]
    if not runnable:
        raise FipError("; ".join(missing[k] for k in wanted if wanted[k]))
    for k in wanted:
        if wanted[k] and missing[k] is not None:
            err_console.print(f"note: {missing[k]}")
    if "agreement" in runnable:
        labels = {r.id: r.label.get("en", r.id) for r in study.instrument.respondents}
        a, b = (labels.get(x, x) for x in two)
        emit(agreement_table(study, icc_form=icc_form), fmt, out, console, notice=policy.statement,
             title=f"{a} vs {b.lower()} ({a.lower()} minus {b.lower()}; {icc_form}: {ICC_FORMS[icc_form]})")
    if "change" in runnable:
        emit(change_table(study), fmt, change_out, console, notice=policy.statement,
             title="Smallest detectable change (SDC95 = 1.96·√2·SEM; items: SMC, indices: alpha) and changes round 1 → 2 beyond it")
