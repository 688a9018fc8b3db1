"""Figures of the validation report: the calibration curve.

Examples
--------
>>> import pandas as pd
>>> bins = pd.DataFrame({"mean_predicted": [0.1, 0.5], "observed": [0.12, 0.48],
...                      "ci_low": [0.08, 0.4], "ci_high": [0.16, 0.56]})
>>> fig = plot_calibration(bins)
>>> fig.axes[0].get_xlabel()
'Predicted probability'
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from matplotlib.figure import Figure

__all__ = ["plot_calibration"]

_STYLES = (("-", "o"), ("--", "s"), (":", "^"), ("-.", "D"))


def plot_calibration(
    calibration: pd.DataFrame | Mapping[str, pd.DataFrame], *, title: str | None = None
) -> Figure:
    """Calibration curve: observed share with a job against the mean predicted probability.

    Parameters
    ----------
    calibration : DataFrame or mapping name -> DataFrame
        :attr:`ValidationReport.calibration` (columns ``mean_predicted``, ``observed``,
        ``ci_low``, ``ci_high``), or several of them by name (e.g. intake and
        progression). Suppressed bins (NaN) are left out.
    title : str, optional

    Returns
    -------
    matplotlib Figure
        Made without pyplot; render it with :func:`fip.report.figures.figure_bytes`.
        The diagonal is perfect calibration; bars are 95 % Wilson intervals. Each curve has
        its own line style and marker, so the figure reads in grey print.
    """
    curves = {"model": calibration} if isinstance(calibration, pd.DataFrame) else dict(calibration)
    fig = Figure(figsize=(5, 5), dpi=100)
    ax = fig.subplots()
    top = 0.0
    for k, (name, frame) in enumerate(curves.items()):
        f = frame.dropna(subset=["observed"])
        ls, marker = _STYLES[k % len(_STYLES)]
        ax.errorbar(f["mean_predicted"], f["observed"],
                    yerr=[f["observed"] - f["ci_low"], f["ci_high"] - f["observed"]],
                    linestyle=ls, marker=marker, color=str(0.15 + 0.25 * (k % 3)), capsize=2,
                    label=name, markerfacecolor="white" if k % 2 else None)
        top = max(top, float(f["ci_high"].max()), float(f["mean_predicted"].max()))
    top = min(1.0, top * 1.08 + 0.02)
    ax.plot([0, top], [0, top], color="0.6", linewidth=1, linestyle=(0, (1, 2)), label="perfect calibration")
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel("Predicted probability")
    ax.set_ylabel("Observed share with a job")
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(loc="upper left", frameon=False)
    ax.set_aspect("equal")
    fig.tight_layout()
    return fig
