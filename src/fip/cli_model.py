"""``fip model-card``: the model card of a job-chance model file as a printable HTML page.

Registered on :data:`fip.cli.app` by one import at the end of ``fip/cli.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fip._options import check_option
from fip.cli import _check_outputs, app, console, handles_errors
from fip.errors import FipError, mask_personal

__all__ = ["model_card"]


@app.command("model-card")
@handles_errors
def model_card(
    model: Annotated[Path, typer.Argument(help="Model file from `fip train`.")],
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = Path("model_card.html"),
    lang: Annotated[str, typer.Option("--lang", help="en or da.")] = "en",
) -> None:
    """The model card (purpose, not a decision, the caseworker's judgement overrides it, data
    and period, features, metrics, fairness audit, limits) as one self-contained HTML page."""
    from fip._atomic import atomic_write_text
    from fip.messages import languages
    from fip.predict import load_model
    from fip.predict.modelcard import model_card_html

    check_option("--lang", lang, languages())
    _check_outputs(("--out", out))
    loaded = load_model(model)
    try:
        page = model_card_html(loaded, lang=lang)
    except ValueError as exc:  # no model card in the file
        raise FipError(f"{model.name}: {exc}") from None
    atomic_write_text(out, page)
    console.print(f"wrote {mask_personal(out)}", highlight=False)
