"""``fip validity``: one self-contained HTML validation report for any instrument.

Registered on :data:`fip.cli.app` by one import at the end of ``fip/cli.py``; the report itself
is :func:`fip.report.validity.validity_report`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from fip.cli import (
    WAIT,
    DataDir,
    FipError,
    InstrumentOpt,
    ItemsOpt,
    MinCellOpt,
    MinShareOpt,
    RespondentOpt,
    SecureOpt,
    StoreOpt,
    WaitOpt,
    _check_outputs,
    _instrument_indices,
    _item_selection,
    _nan_policy_opt,
    _policy,
    app,
    console,
    handles_errors,
    load_data,
)

__all__ = ["validity"]


@app.command()
@handles_errors
def validity(
    out: Annotated[Path, typer.Option("--out", help="The HTML report to write (one self-contained file).")],
    data: DataDir = None,
    definitions: Annotated[Optional[Path], typer.Option("--definitions", help="Index definitions YAML (default: the study's indices for FIP; one index per domain otherwise).")] = None,
    respondent: RespondentOpt = None,
    items: ItemsOpt = None,
    nan_policy: Annotated[str, _nan_policy_opt("listwise", "Stata's factor and alpha, asis casewise")] = "listwise",
    round_: Annotated[int, typer.Option("--round", min=1, help="Round analysed (default 1).")] = 1,
    n_iter: Annotated[int, typer.Option("--n-iter", min=1, help="Random data sets of the parallel analysis.")] = 100,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the parallel analysis; same seed, same report.")] = 0,
    n_factors: Annotated[Optional[int], typer.Option("--factors", min=1, help="Factors extracted (default: parallel analysis).")] = None,
    lang: Annotated[str, typer.Option("--lang", help="Language of the item labels: en or da (headings and captions are English).")] = "en",
    by: Annotated[Optional[list[str]], typer.Option("--by", help="Test measurement invariance and IRT DIF across the groups of this person or form column (repeatable), e.g. gender.")] = None,
    no_irt: Annotated[bool, typer.Option("--no-irt", help="Leave out the item response theory section (graded response models and their DIF).")] = False,
    instrument: InstrumentOpt = None,
    store: StoreOpt = None,
    min_share_answered: MinShareOpt = None,
    wait: WaitOpt = WAIT,
    min_cell: MinCellOpt = None,
    secure_machine: SecureOpt = False,
) -> None:
    """A validation report (structural validity with item response theory, internal consistency,
    measurement invariance, measurement error and agreement) of any instrument, as one HTML file with its n and method in
    every table's caption."""
    from fip._atomic import atomic_write_text
    from fip._options import check_option
    from fip.indices import load_index_definitions
    from fip.report.validity import ValidityOptions, validity_report
    from fip.study import Study

    check_option("--nan-policy", nan_policy, ("listwise", "pairwise"))
    check_option("--lang", lang, ("en", "da"))
    _check_outputs(("--out", out))
    policy = _policy(min_cell, secure_machine)
    dataset = load_data(data, instrument, store, wait)
    if definitions is None and dataset.instrument.id != "fip":
        defs = _instrument_indices(dataset.instrument, min_share_answered)
    else:
        defs = load_index_definitions(definitions, instrument=dataset.instrument, min_share_answered=min_share_answered)
    study = Study(dataset, definitions=defs, policy=policy)
    chosen = _item_selection(study.instrument, respondent if respondent is not None else study.item_sets[0], items)
    if respondent is not None and respondent not in study.item_sets:
        raise FipError(f"--respondent {respondent}: expected one of {', '.join(study.item_sets)}")
    options = ValidityOptions(item_set=respondent, items=tuple(chosen) if chosen else None, nan_policy=nan_policy,
                              round=round_, n_iter=n_iter, seed=seed, n_factors=n_factors, lang=lang,
                              invariance_by=tuple(by or ()), irt=not no_irt)
    report = validity_report(study, options)
    atomic_write_text(out, report.html())
    if policy.statement:
        console.print(policy.statement, markup=False, highlight=False)
    console.print(f"Wrote {out} ({len(report.tidy())} tables, {len(report.sections)} sections)",
                  markup=False, highlight=False)
