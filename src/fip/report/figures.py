"""Figures of the replication report that the analysis modules do not draw themselves.

Every function returns a matplotlib Figure (Agg backend, no pyplot state kept);
:func:`png_bytes` renders one to PNG bytes without a timestamp or software tag, so the same
numbers give the same bytes.

Examples
--------
>>> import pandas as pd
>>> scree = pd.DataFrame({"factor": [1, 2, 3], "eigenvalue": [2.5, 0.3, 0.2],
...                       "reduced_eigenvalue": [2.0, 0.1, -0.1]})
>>> png_bytes(plot_scree({"citizen": (scree, None)}))[:4]
b'\\x89PNG'
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from fip.instrument import Instrument  # noqa: E402

__all__ = ["average_measurements", "plot_progression", "plot_scree", "png_bytes"]

#: Pseudo person id of the aggregated ("average citizen") star.
AVERAGE_ID = "average"


def png_bytes(fig: Figure, dpi: int = 110) -> bytes:
    """PNG of ``fig`` (no metadata, deterministic); the figure is closed afterwards."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    try:
        import matplotlib.pyplot as plt

        plt.close(fig)
    except Exception:  # pragma: no cover - figures made without pyplot
        pass
    return buffer.getvalue()


def plot_progression(progression: pd.DataFrame, instrument: Instrument, *, lang: str = "da") -> Figure:
    """Mean change (round 2 − round 1) of every item with its 95 % interval, by gender.

    Parameters
    ----------
    progression : DataFrame
        Output of :func:`fip.describe.item_progression` (suppressed rows are left out).
    instrument : Instrument
        Item labels and respondents (one panel per respondent).

    Returns
    -------
    matplotlib Figure
    """
    respondents = [r for r in instrument.respondent_ids if instrument.item_ids(r)]
    data = progression[~progression["suppressed"].astype(bool)]
    genders = [g for g in ("female", "male", "all") if g in set(data["gender"])]
    height = 1.2 + 0.42 * sum(len(instrument.item_ids(r)) for r in respondents)
    fig = Figure(figsize=(7.5, height))
    axes = fig.subplots(len(respondents), 1, squeeze=False)[:, 0]
    markers = {"female": "o", "male": "s", "all": "D"}
    shades = {"female": "0.55", "male": "0.25", "all": "0.0"}
    names = {"da": {"female": "Kvinder", "male": "Mænd", "all": "Alle"},
             "en": {"female": "Women", "male": "Men", "all": "All"}}.get(lang, {})
    for ax, respondent in zip(axes, respondents):
        items = list(instrument.item_ids(respondent))
        ypos = {item: k for k, item in enumerate(items)}
        for off, gender in zip(np.linspace(-0.25, 0.25, max(len(genders), 1)), genders):
            part = data[(data["gender"] == gender) & data["item"].isin(items)]
            ax.errorbar(part["change"], part["item"].map(ypos) + off,
                        xerr=[part["change"] - part["ci_low"], part["ci_high"] - part["change"]],
                        fmt=markers[gender], color=shades[gender], ms=4.5, capsize=2, lw=1,
                        mfc="white" if gender == "female" else shades[gender],
                        label=names.get(gender, gender))
        ax.axvline(0, color="0.6", lw=0.8)
        ax.set_yticks(range(len(items)), [instrument.label(i, lang) for i in items], fontsize=8)
        ax.invert_yaxis()
        ax.grid(axis="x", color="0.9")
        resp_label = next(r.label for r in instrument.respondents if r.id == respondent)
        ax.set_title(resp_label.get(lang, respondent), fontsize=10)
        ax.set_xlabel({"da": "Ændring, runde 1 til 2 (95 % CI)"}.get(lang, "Change, round 1 to 2 (95 % CI)"),
                      fontsize=8)
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def plot_scree(sets: Mapping[str, tuple[pd.DataFrame, pd.DataFrame | None]]) -> Figure:
    """Scree plot per item set: reduced-matrix eigenvalues, with parallel-analysis thresholds.

    Parameters
    ----------
    sets : mapping name -> (scree, parallel)
        ``scree`` from :func:`fip.factors.scree_data` (``factor``, ``reduced_eigenvalue``),
        ``parallel`` the ``table`` of :func:`fip.factors.parallel_analysis` (``factor``,
        ``threshold``) or None.

    Returns
    -------
    matplotlib Figure
        One panel per set; the dotted line is the random-data threshold.
    """
    fig = Figure(figsize=(3.2 * len(sets), 3.2))
    axes = fig.subplots(1, len(sets), squeeze=False)[0]
    for ax, (name, (scree, parallel)) in zip(axes, sets.items()):
        ax.plot(scree["factor"], scree["reduced_eigenvalue"], "o-", color="0.1", ms=4, label="observed")
        if parallel is not None:
            ax.plot(parallel["factor"], parallel["threshold"], ":", color="0.45", label="parallel analysis")
        ax.axhline(0, color="0.75", lw=0.8)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("Factor", fontsize=8)
        ax.set_ylabel("Eigenvalue (reduced correlation matrix)", fontsize=8)
        ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    return fig


def average_measurements(
    measurements: pd.DataFrame, instrument: Instrument, rounds: Sequence[int] = (1, 2), *, min_cell: int = 5
) -> pd.DataFrame | None:
    """Item means per round as one pseudo person (``person_id`` = ``"average"``).

    The result can be drawn with :func:`fip.star.plot_star` (``person_id="average"``): an
    "average citizen" star. Rounds with fewer than ``min_cell`` measurements are left out;
    None when no round is left.
    """
    items = [i for i in instrument.item_ids() if i in measurements.columns]
    part = measurements[measurements["round"].isin(list(rounds))]
    counts = part.groupby("round").size()
    keep = [int(r) for r in rounds if counts.get(r, 0) >= min_cell]
    if not keep:
        return None
    means = part[part["round"].isin(keep)].groupby("round")[items].agg(lambda s: s.astype("float64").mean())
    means = means.reset_index()
    means.insert(0, "person_id", AVERAGE_ID)
    return means
