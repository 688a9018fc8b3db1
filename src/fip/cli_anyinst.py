"""``fip adequacy`` and ``fip correlation``: item-set diagnostics for any instrument.

Without ``fip replicate`` (which needs the FIP layout), these give KMO, Bartlett's test,
parallel analysis and the item correlation matrix of any item set from the command line.
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
    kind: Annotated[str, typer.Option("--kind", help="Parallel analysis on fa (SMC-reduced, psych fa.parallel) or pc eigenvalues.")] = "fa",
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
    parallel_observed, parallel_random_mean, parallel_retained), ``item`` or ``factor``,
    ``value`` and ``n`` (rows used). KMO as Stata ``estat kmo`` and ``psych::KMO``; Bartlett as
    ``psych::cortest.bartlett``; parallel analysis as ``psych::fa.parallel`` (normal data,
    ``--seed``).
    """
    from fip._output import emit
    from fip.factors.diagnostics import bartlett_sphericity, kmo, parallel_analysis

    check_option("--format", fmt, FORMATS)
    check_option("--nan-policy", nan_policy, ("listwise", "pairwise"))
    check_option("--kind", kind, ("fa", "pc"))
    _check_outputs(("--out", out))
    policy = _policy(min_cell, secure_machine)
    study = load_study(data, instrument, store, policy=policy, wait=wait)
    chosen, frame = _item_frame(study, respondent, items, round_)
    k = kmo(frame, nan_policy=nan_policy)
    b = bartlett_sphericity(frame, nan_policy=nan_policy)
    pa = parallel_analysis(frame, n_iter=n_iter, seed=seed, kind=kind, nan_policy=nan_policy)
    policy.require(b.n_obs, "the adequacy statistics")
    n = b.n_obs
    rows = [{"statistic": "kmo", "item": r.item, "factor": pd.NA, "value": r.kmo, "n": n} for r in k.tidy().itertuples()]
    rows += [{"statistic": f"bartlett_{s}", "item": pd.NA, "factor": pd.NA, "value": float(getattr(b, s)), "n": n}
             for s in ("chi2", "df", "p_value")]
    for r in pa.table.itertuples():
        rows.append({"statistic": "parallel_observed", "item": pd.NA, "factor": r.factor, "value": r.observed, "n": pa.n_obs})
        rows.append({"statistic": "parallel_random_mean", "item": pd.NA, "factor": r.factor, "value": r.random_mean,
                     "n": pa.n_obs})
    rows.append({"statistic": "parallel_retained", "item": pd.NA, "factor": pd.NA, "value": float(pa.n_retained), "n": pa.n_obs})
    table = pd.DataFrame(rows).astype({"factor": "Int64", "n": "int64"})
    title = (f"Adequacy of {len(chosen)} items, round {round_}, {nan_policy}, n = {n} "
             f"(parallel analysis: {kind}, {n_iter} random sets, seed {seed})")
    emit(table, fmt, out, console, title=title, notice=policy.statement)


@app.command()
@handles_errors
def correlation(
    data: DataDir = None,
    respondent: RespondentOpt = None,
    items: ItemsOpt = None,
    nan_policy: Annotated[str, _nan_policy_opt("listwise", "complete rows")] = "listwise",
    round_: RoundOpt = 1,
    fmt: FormatOpt = "table",
    out: OutOpt = None,
    instrument: InstrumentOpt = None,
    store: StoreOpt = None,
    wait: WaitOpt = WAIT,
    min_cell: MinCellOpt = None,
    secure_machine: SecureOpt = False,
) -> None:
    """Pearson correlation matrix of an item set (``table``/``md``: the matrix; ``csv``/``json``:
    one row per pair, ``item_a``, ``item_b``, ``r``, ``n``; pairwise: each pair's own n)."""
    from fip._output import emit

    check_option("--format", fmt, FORMATS)
    check_option("--nan-policy", nan_policy, ("listwise", "pairwise"))
    _check_outputs(("--out", out))
    policy = _policy(min_cell, secure_machine)
    study = load_study(data, instrument, store, policy=policy, wait=wait)
    chosen, frame = _item_frame(study, respondent, items, round_)
    if nan_policy == "listwise":
        frame = frame.dropna()
    corr = frame.corr(min_periods=1)
    answered = frame.notna().astype("int64")
    counts = answered.T @ answered
    smallest = int(counts.to_numpy().min()) if len(frame) else 0
    policy.require(smallest, "the correlation matrix")
    if fmt in ("csv", "json"):
        long = corr.rename_axis(index="item_a", columns="item_b").stack().rename("r").reset_index()
        long["n"] = [int(counts.loc[a, b]) for a, b in zip(long["item_a"], long["item_b"])]
        emit(long, fmt, out, console, notice=policy.statement)
        return
    title = f"Correlations of {len(chosen)} items, round {round_}, {nan_policy}, n = {smallest}" + \
            (" (smallest pair)" if nan_policy == "pairwise" else "")
    emit(corr.rename_axis("item").reset_index(), fmt, out, console, title=title, notice=policy.statement)
