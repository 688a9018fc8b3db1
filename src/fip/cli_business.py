"""``fip business-case``: what a job is worth to the municipality (KL's Futura model).

Registered on :data:`fip.cli.app` by one import at the end of ``fip/cli.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from fip._options import check_option
from fip.cli import MinCellOpt, SecureOpt, _check_outputs, _policy, app, console, handles_errors
from fip.errors import mask_personal

__all__ = ["business_case"]


@app.command("business-case")
@handles_errors
def business_case(
    file: Annotated[Path, typer.Argument(help="Efforts per citizen (YAML: hourly_rate, citizens) or a cohort CSV "
                                              "(id, probability, interval_low, interval_high, expenses, income[, refunds]).")],
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
    out: Annotated[Optional[Path], typer.Option("--out", help="Write to this file instead of the terminal.")] = None,
    rules: Annotated[Optional[Path], typer.Option("--rules", help="Rates and refund rules by year (default: configs/business_case.yaml).")] = None,
    min_cell: MinCellOpt = None,
    secure_machine: SecureOpt = False,
) -> None:
    """The municipal business case: each citizen's account (expenses, income, gain) from a
    YAML file of efforts, or the expected account of a cohort with job chances from a CSV."""
    from fip._atomic import atomic_write_text
    from fip._output import _VISIBLE, emit, safe_csv
    from fip.business_case import cohort_account, format_account, load_rules, read_accounts, read_cohort

    check_option("--format", fmt, ("table", "json", "csv"))
    suffix = file.suffix.lower()
    check_option("FILE suffix", suffix, (".yaml", ".yml", ".csv"))
    _check_outputs(("--out", out))
    if suffix == ".csv":  # a cohort: an aggregate, through the disclosure policy
        policy = _policy(min_cell, secure_machine)
        acc = cohort_account(read_cohort(file), policy)
        if fmt == "json":
            text = json.dumps(({"notice": policy.statement} if policy.statement else {}) | acc.record(), indent=1) + "\n"
            if out is None:
                console.print(text, end="", markup=False, highlight=False)
            else:
                atomic_write_text(out, text)
                console.print(f"wrote {mask_personal(out)}", highlight=False)
            return
        frame = acc.tidy()
        if fmt == "table":  # kroner with thousands separators; jobs with one decimal
            def shown(figure, v):
                if v is None:
                    return ""
                return f"{v:,.1f}" if figure == "expected_jobs" else (f"{v:,}" if figure == "persons" else f"{v:,} kr.")

            frame = frame.assign(**{c: [shown(f, v) for f, v in zip(frame["figure"], frame[c])]
                                    for c in ("estimate", "low", "high")})
        emit(frame, fmt, out, console, title=f"Expected business case of {acc.n:,} persons", notice=policy.statement)
        if out is not None:
            console.print(f"wrote {mask_personal(out)}", highlight=False)
        return
    accounts = read_accounts(file, load_rules(rules) if rules is not None else None)
    if fmt == "json":
        text = json.dumps([a.record() for a in accounts], ensure_ascii=False, indent=1) + "\n"
    elif fmt == "csv":
        import pandas as pd

        text = safe_csv(pd.concat([a.tidy() for a in accounts], ignore_index=True))
    else:
        text = "\n\n".join(format_account(a) for a in accounts).translate(_VISIBLE) + "\n"
    if out is None:
        console.print(text, end="", markup=False, highlight=False, soft_wrap=True)
    else:
        atomic_write_text(out, text, private=True)  # accounts are per person
        console.print(f"wrote {len(accounts):,} accounts to {mask_personal(out)}", highlight=False)
