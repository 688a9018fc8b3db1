"""``fip simulate-planted``: ordinal data with planted non-invariance (issue 14, item 8).

Registered on :data:`fip.cli.app` by one import at the end of ``fip/cli.py``. The data come from
:func:`fip.simulate.planted.simulate_planted` and are written in the smallest dataset layout,
so ``fip invariance``, ``fip irt``, ``fip factor`` and the rest read the folder directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from fip.cli import app, console, handles_errors

__all__ = ["simulate_planted_command"]


def _impact(specs: list[str]) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for spec in specs:
        target, colon, value = spec.rpartition(":")
        column, eq, level = target.partition("=")
        try:
            shift = float(value)
        except ValueError:
            shift = float("nan")
        if not colon or not eq or not column or not level or shift != shift:
            raise ValueError(f"--impact {spec!r}: expected COLUMN=LEVEL:SHIFT (e.g. answer_language=ar:-0.3)")
        out[(column, level)] = shift
    return out


@app.command("simulate-planted")
@handles_errors
def simulate_planted_command(
    out: Annotated[Path, typer.Argument(help="New folder for forms.csv, persons.csv, instrument.yaml, indices.yaml.")],
    plant: Annotated[Optional[list[str]], typer.Option("--plant", help="A non-invariant item, repeatable: ITEM,COLUMN=LEVEL,intercept=SHIFT[,loading=SHIFT] (latent SD units).")] = None,
    impact: Annotated[Optional[list[str]], typer.Option("--impact", help="A factor-mean difference (not DIF), repeatable: COLUMN=LEVEL:SHIFT.")] = None,
    persons: Annotated[int, typer.Option("--persons", min=10, help="Persons (one form each).")] = 1000,
    loading: Annotated[float, typer.Option("--loading", min=0.05, max=0.95, help="Standardised loading of every item.")] = 0.7,
    scale_max: Annotated[int, typer.Option("--scale-max", min=2, max=11, help="Answers 1..N.")] = 7,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; same seed, same bytes.")] = 0,
) -> None:
    """Write two factors of five ordinal items (i01-i10), persons with answer_language (da/ar) and
    gender (1/2), and the planted non-invariance, for checking invariance and DIF methods."""
    from fip.simulate.planted import PlantedDesign, parse_planted_effect, simulate_planted

    effects = [parse_planted_effect(spec) for spec in plant or ()]
    design = PlantedDesign(n_persons=persons, loading=loading, scale_max=scale_max, impact=_impact(impact or []))
    cohort = simulate_planted(design, effects, seed=seed)
    folder = cohort.write(out)
    planted = "; ".join(f"{e.item} ({e.column}={e.group}: intercept {e.intercept_shift:+g}, loading {e.loading_shift:+g})"
                        for e in cohort.effects) or "none"
    console.print(f"wrote {persons:,} persons with {len(design.items)} items to {folder}; planted: {planted}",
                  highlight=False)
