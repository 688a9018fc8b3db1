"""``fip adequacy``: item-set diagnostics for any instrument.

Without ``fip replicate`` (which needs the FIP layout), this gives KMO, Bartlett's test and
parallel analysis of any item set from the command line (``fip correlation``, in
:mod:`fip.cli_validity`, gives its correlation matrix).
Every table says how many rows it rests on (``n``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import pandas as pd
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
    _item_selection,
    _nan_policy_opt,
    _policy,
    app,
    console,
    handles_errors,
    load_study,
)

FormatOpt = Annotated[str, typer.Option("--format", help="table, csv, json, md, html or latex.")]
OutOpt = Annotated[Optional[Path], typer.Option("--out", help="Write the table to this file.")]
RoundOpt = Annotated[int, typer.Option("--round", min=1, help="Round analysed (default 1).")]


def _item_frame(study, respondent: str | None, items: str | None, round_: int) -> tuple[list[str], pd.DataFrame]:
    chosen = _item_selection(study.instrument, respondent if respondent is not None else study.item_sets[0], items)
    m = study.measurements
    data = m.loc[m["round"] == round_, chosen].astype("float64")
    if not len(data):
        raise FipError(f"--round {round_}: no measurements in round {round_}")
    return chosen, data


@app.command()
@handles_errors
def adequacy(
    data: DataDir = None,
    respondent: RespondentOpt = None,
    items: ItemsOpt = None,
    nan_policy: Annotated[str, _nan_policy_opt("listwise", "Stata's factor")] = "listwise",
    round_: RoundOpt = 1,
    n_iter: Annotated[int, typer.Option("--n-iter", min=1, help="Random data sets of the parallel analysis.")] = 100,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the parallel analysis; same seed, same table.")] = 0,
    kind: Annotated[str, typer.Option("--kind", help="Parallel analysis on fa (reduced matrices) or pc eigenvalues.")] = "fa",
    communality: Annotated[str, typer.Option(
        "--communality", help="fa's diagonal: smc (Stata pf; psych fa.parallel SMC=TRUE) or minres "
        "(one-factor minres communalities: psych fa.parallel's default).")] = "smc",
    quantile: Annotated[Optional[float], typer.Option(
        "--quantile", min=0.0, max=1.0, help="Compare with this quantile of the random eigenvalues "
        "(0.95: psych's default) instead of their mean (Horn).")] = None,
    fmt: FormatOpt = "table",
    out: OutOpt = None,
    instrument: InstrumentOpt = None,
    store: StoreOpt = None,
    wait: WaitOpt = WAIT,
    min_cell: MinCellOpt = None,
    secure_machine: SecureOpt = False,
) -> None:
    """Sampling adequacy of an item set: KMO per item and overall, Bartlett's test, parallel analysis.

    One tidy table: ``statistic`` (kmo, bartlett_chi2, bartlett_df, bartlett_p,
    parallel_observed, parallel_random_mean, parallel_random_quantile with ``--quantile``,
    parallel_retained), ``item`` or ``factor``,
    ``value`` and ``n`` (rows used). KMO as Stata ``estat kmo`` and ``psych::KMO``; Bartlett as
    ``psych::cortest.bartlett``; parallel analysis as ``psych::fa.parallel`` (normal data,
    ``--seed``).
    """
    from fip._output import emit
    from fip.factors.diagnostics import bartlett_sphericity, kmo, parallel_analysis

    check_option("--format", fmt, FORMATS)
    check_option("--nan-policy", nan_policy, ("listwise", "pairwise"))
    check_option("--kind", kind, ("fa", "pc"))
    check_option("--communality", communality, ("smc", "minres"))
    if quantile is not None and not 0 < quantile < 1:
        raise FipError(f"--quantile must be between 0 and 1 (exclusive); got {quantile}")
    _check_outputs(("--out", out))
    policy = _policy(min_cell, secure_machine)
    study = load_study(data, instrument, store, policy=policy, wait=wait)
    chosen, frame = _item_frame(study, respondent, items, round_)
    k = kmo(frame, nan_policy=nan_policy)
    b = bartlett_sphericity(frame, nan_policy=nan_policy)
    pa = parallel_analysis(frame, n_iter=n_iter, seed=seed, kind=kind, nan_policy=nan_policy,
                           communality=communality, quantile=quantile)
    policy.require(b.n_obs, "the adequacy statistics")
    n = b.n_obs
    rows = [{"statistic": "kmo", "item": r.item, "factor": pd.NA, "value": r.kmo, "n": n} for r in k.tidy().itertuples()]
    rows += [{"statistic": f"bartlett_{s}", "item": pd.NA, "factor": pd.NA, "value": float(getattr(b, s)), "n": n}
             for s in ("chi2", "df", "p_value")]
    for r in pa.table.itertuples():
        rows.append({"statistic": "parallel_observed", "item": pd.NA, "factor": r.factor, "value": r.observed, "n": pa.n_obs})
        rows.append({"statistic": "parallel_random_mean", "item": pd.NA, "factor": r.factor, "value": r.random_mean,
                     "n": pa.n_obs})
        if quantile is not None:
            rows.append({"statistic": "parallel_random_quantile", "item": pd.NA, "factor": r.factor,
                         "value": r.random_quantile, "n": pa.n_obs})
    rows.append({"statistic": "parallel_retained", "item": pd.NA, "factor": pd.NA, "value": float(pa.n_retained), "n": pa.n_obs})
    table = pd.DataFrame(rows).astype({"factor": "Int64", "n": "int64"})
    title = (f"Adequacy of {len(chosen)} items, round {round_}, {nan_policy}, n = {n} "
             f"(parallel analysis: {kind}{', ' + communality + ' communalities' if kind == 'fa' else ''}, "
             f"{n_iter} random sets, seed {seed}, against the "
             f"{'mean' if quantile is None else f'{quantile:g} quantile'})")
    emit(table, fmt, out, console, title=title, notice=policy.statement)
