"""``fip recalibrate``: update a job-chance model's intercept and slope on newer data.

Registered on :data:`fip.cli.app` by one import at the end of ``fip/cli.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from fip.cli import (
    WAIT,
    InstrumentOpt,
    MinCellOpt,
    SecureOpt,
    StoreOpt,
    WaitOpt,
    _check_outputs,
    _policy,
    app,
    console,
    handles_errors,
    load_study,
)
from fip.errors import mask_personal

__all__ = ["recalibrate"]


@app.command("recalibrate")
@handles_errors
def recalibrate(
    model: Annotated[Path, typer.Argument(help="Model file from `fip train`.")],
    data: Annotated[Optional[Path], typer.Argument(help="Newer FIP dataset with outcomes (default: the synthetic cohort).")] = None,
    out: Annotated[Path, typer.Option("--out", help="Recalibrated model file to write (JSON).")] = Path("model_recalibrated.json"),
    date: Annotated[Optional[str], typer.Option("--date", help="Date recorded for the recalibration (ISO; default today).")] = None,
    instrument: InstrumentOpt = None,
    store: StoreOpt = None,
    wait: WaitOpt = WAIT,
    min_cell: MinCellOpt = None,
    secure_machine: SecureOpt = False,
) -> None:
    """Logistic recalibration: fit logit P = a + b * eta on newer persons (the model's window)
    and write a model file that applies it, with the recalibration recorded."""
    from fip._output import emit
    from fip.data.dataset import iso_date
    from fip.predict import load_model, save_model
    from fip.predict.recalibrate import recalibrate as recalibrate_model

    if date is not None:
        date = iso_date(date, "--date")
    _check_outputs(("--out", out))
    old = load_model(model)
    policy = _policy(min_cell, secure_machine)
    result = recalibrate_model(old, load_study(data, instrument, store, policy=policy, wait=wait), date=date,
                               policy=policy)
    save_model(result.model, out)
    table = result.tidy().pivot(index="metric", columns="when", values="value")[["before", "after"]]
    emit(table.reset_index(), "table", None, console,
         title=f"Recalibration on {result.n:,} persons: a = {result.a:.3f}, b = {result.b:.3f}", notice=policy.statement)
    console.print(f"wrote {mask_personal(out)} (sha256 {result.model.sha256[:12]})", highlight=False)
