"""Figures of the replication report that the analysis modules do not draw themselves.

Every function returns a :class:`matplotlib.figure.Figure` made without pyplot (no backend
is chosen and no global state kept); :func:`figure_bytes` renders one to PNG or SVG bytes
without a timestamp or version tag, so the same numbers give the same bytes.

Examples
--------
>>> import pandas as pd
>>> scree = pd.DataFrame({"factor": [1, 2, 3], "eigenvalue": [2.5, 0.3, 0.2],
...                       "reduced_eigenvalue": [2.0, 0.1, -0.1]})
>>> figure_bytes(plot_scree({"citizen": (scree, None)}), "png", dpi=REPORT_DPI)[:4]
b'\\x89PNG'
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from fip._figures import (FORMATS, LABEL_PAD, TICK_PAD, TICK_SPACE, TITLE_PAD, FigureFormat, figure_bytes,
                          figure_bytes_in, grid_margins, stacked_item_panels, text_inches)
from fip.errors import InvalidDataError, Problem
from fip.instrument import Instrument
from fip.messages import languages, messages, section
from fip.study_config import study_facts

if TYPE_CHECKING:
    from matplotlib.figure import Figure
# matplotlib is imported by the drawing functions: `fip replicate` draws its figures in worker
# processes, and its main process need not load matplotlib (0.3 s)

__all__ = [
    "FORMATS",
    "LOADING_THRESHOLD",
    "REPORT_DPI",
    "FigureFormat",
    "average_measurements",
    "coefficient_intervals",
    "figure_bytes",
    "figure_bytes_in",
    "plot_coefficients",
    "plot_loadings_heatmap",
    "plot_progression",
    "plot_scree",
]

#: Pseudo person id of the aggregated ("average citizen") star.
AVERAGE_ID = "average"


#: Resolution of the PNG files of the replication report and of the status note.
REPORT_DPI = 110


def png_bytes(fig: Figure, dpi: float = REPORT_DPI) -> bytes:
    """PNG of ``fig`` at the report's resolution: ``figure_bytes(fig, "png", dpi=dpi)``.

    Kept for existing callers; new code calls :func:`figure_bytes`.
    """
    return figure_bytes(fig, "png", dpi=dpi)


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
    from matplotlib.figure import Figure

    respondents = [r for r in instrument.respondent_ids if instrument.item_ids(r)]
    data = progression[~progression["suppressed"].astype(bool)]
    genders = [g for g in ("female", "male", "all") if g in set(data["gender"])]
    height = 1.2 + 0.42 * sum(len(instrument.item_ids(r)) for r in respondents)
    fig = Figure(figsize=(7.5, height))
    labels = [instrument.label(i, lang) for r in respondents for i in instrument.item_ids(r)]
    axes = fig.subplots(len(respondents), 1, squeeze=False,
                        gridspec_kw=stacked_item_panels((7.5, height), labels, len(respondents)))[:, 0]
    markers = {"female": "o", "male": "s", "all": "D"}
    shades = {"female": "0.55", "male": "0.25", "all": "0.0"}
    names = section(lang, "figures.gender") if lang in languages() else {}
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
        ax.set_title(resp_label.get(lang, respondent), fontsize=10, y=1.0)  # y given: not searched for
        ax.set_xlabel(messages(lang if lang in languages() else "en")["figures.change_axis"],
                      fontsize=8)
        ax.legend(fontsize=7, loc="lower right")
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
    from matplotlib.figure import Figure

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


# --------------------------------------------------------------------------- loadings heatmap

#: A loading counts as "on" a factor when its absolute value is above this (the study's rule,
#: VIVE 2020 section 4.6: "kun indikatorer i en faktor, hvis de har en loading over 0,3";
#: ``factor_analysis.loading_threshold`` of ``configs/study.yaml``).
LOADING_THRESHOLD: float = study_facts().loading_threshold

_LOADINGS_CMAP = "RdBu_r"


def _loadings_frame(frame: object, name: str, instrument: Instrument) -> pd.DataFrame:
    """``frame`` as float items x factors, rows in instrument order; raise on bad input."""
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        raise InvalidDataError([Problem(name, None, None, None, "a non-empty DataFrame, items as rows, factors "
                                                                 "as columns")])
    known = set(instrument.item_ids())
    unknown = [str(i) for i in frame.index if i not in known]
    if unknown:
        raise InvalidDataError([Problem(name, None, "item", ", ".join(unknown[:5]),
                                        f"item ids of instrument {instrument.id!r}")])
    if frame.index.has_duplicates:
        raise InvalidDataError([Problem(name, None, "item", None, "each item once")])
    try:
        values = frame.astype("float64")
    except (TypeError, ValueError):
        raise InvalidDataError([Problem(name, None, None, None, "numeric loadings")]) from None
    order = [i for i in instrument.item_ids() if i in frame.index]
    return values.loc[order]


#: White text on cells darker than this relative luminance, black above: at 0.179 the two
#: WCAG contrast ratios are equal (about 4.6), so every cell gets at least that contrast.
_WHITE_TEXT_BELOW = 0.179


def _luminance(rgba: Sequence[float]) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""
    c = np.asarray(rgba[:3], dtype="float64")
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(linear @ np.array([0.2126, 0.7152, 0.0722]))


def _wrap(name: object, width: int = 14) -> str:
    return textwrap.fill(str(name).replace("_", " "), width, break_long_words=False)


def plot_loadings_heatmap(
    loadings: pd.DataFrame,
    instrument: Instrument,
    *,
    published: pd.DataFrame | None = None,
    title: str | None = None,
    lang: str = "en",
    threshold: float = LOADING_THRESHOLD,
) -> Figure:
    """Heatmap of factor loadings, items as rows, each cell annotated; beside the published ones.

    Parameters
    ----------
    loadings : DataFrame
        Wide form: items as rows (index = item ids of ``instrument``), factors as columns, as
        ``fip.factors.factor_analysis(...).loadings`` or ``compare_with_study(...).result.loadings``.
        The tidy frame of :class:`fip.factors.study.StudyComparison` (``item``, ``factor``,
        ``loading``, ``published``) becomes this form with
        ``tidy.pivot(index="item", columns="factor", values="loading")``.
    instrument : Instrument
        Row order (the instrument's item order) and item labels.
    published : DataFrame, optional
        Published loadings, same items and the same number of columns, column ``k`` being
        the published factor matched to our column ``k`` (sign aligned); its column names
        label the right-hand panel. From the tidy comparison:
        ``tidy.pivot(index="item", columns="factor", values="published")`` and the columns
        renamed to ``published_factor``. NaN cells are drawn grey and left blank.
    title : str, optional
        Figure title.
    lang : str
        Language of the item labels (:meth:`Instrument.label`).
    threshold : float
        Loadings with an absolute value above it are printed in bold. Default
        :data:`LOADING_THRESHOLD` = 0.3, the study's rule for counting an item on a factor.

    Returns
    -------
    matplotlib Figure
        One panel ("ours"), or two side by side ("ours", "published") sharing the rows, and
        a colour bar. Colours: diverging, centred at 0, fixed range [-1, 1] so that figures
        are comparable (loadings beyond are drawn at the end colour, their text is exact).
        Every cell shows its loading to 2 decimals; a frame marks each item's largest
        absolute loading (the factor the study would assign the item to).

    Raises
    ------
    InvalidDataError
        Empty or non-numeric loadings, items not in the instrument, or ``published`` not of
        the same shape.

    Examples
    --------
    >>> from fip.instrument import load_instrument
    >>> inst = load_instrument()
    >>> items = list(inst.item_ids("citizen"))[:4]
    >>> L = pd.DataFrame({"Factor1": [0.8, 0.7, 0.1, 0.2], "Factor2": [0.1, 0.2, 0.9, -0.6]}, index=items)
    >>> fig = plot_loadings_heatmap(L, inst)
    >>> [t.get_text() for t in fig.axes[0].texts][:3]
    ['0.80', '0.10', '0.70']
    """
    import matplotlib
    from matplotlib import collections as mcollections
    from matplotlib import colors as mcolors
    from matplotlib import patches as mpatches
    from matplotlib.figure import Figure

    ours = _loadings_frame(loadings, "loadings", instrument)
    panels = [("Ours", ours)]
    if published is not None:
        pub = _loadings_frame(published, "published", instrument)
        if set(pub.index) != set(ours.index) or pub.shape[1] != ours.shape[1]:
            raise InvalidDataError([Problem("published", None, None, f"{pub.shape[0]} items x {pub.shape[1]} factors",
                                            f"the items of loadings and {ours.shape[1]} factors")])
        panels.append(("Published", pub.loc[ours.index]))
    items = list(ours.index)
    n_items, n_factors = ours.shape
    ylabels = [f"{instrument.label(i, lang)} ({i})" for i in items]
    col_names = [[_wrap(c, 11) for c in frame.columns] for _, frame in panels]
    label_lines = max(n.count("\n") + 1 for names in col_names for n in names)
    widest = max(len(line) for names in col_names for n in names for line in n.split("\n"))
    panel_w = max(max(0.62, 0.058 * widest + 0.08) * n_factors, 1.6)
    height = 0.9 + (0.5 if title else 0) + 0.17 * label_lines + 0.3 * n_items
    # margins (inches) from the labels' sizes instead of a layout engine (see plot_coefficients)
    col_h = text_inches([n for names in col_names for n in names], 7.5)[1]
    panel_title_h = text_inches(["Published"], 10)[1] + TITLE_PAD if len(panels) > 1 else 0.0
    left = 0.08 + text_inches(ylabels, 8)[0] + TICK_PAD
    top = 0.08 + (text_inches([title], 11)[1] + 0.08 if title else 0.0) + panel_title_h + col_h + TICK_PAD
    bottom = 0.12 + text_inches(["Bold"], 7)[1]
    gap = 0.25
    cbar_w = min(1.0, 3.5 / max(height - 1.0, 1.0)) * (height - top - bottom) / 25
    right = 0.15 + cbar_w + TICK_SPACE + text_inches(["\N{MINUS SIGN}1.00"], 7)[0] + LABEL_PAD \
        + text_inches(["Loading"], 8)[1] + 0.08
    # the panels take the width left over by the labels, at least panel_w each
    width = max(1.9 + 0.062 * max(len(t) for t in ylabels) + len(panels) * (panel_w + 0.25),
                left + len(panels) * panel_w + (len(panels) - 1) * gap + right)
    fig = Figure(figsize=(width, height))
    # the panels share the rows without sharing the y axis, so only the first has y ticks
    axes = fig.subplots(1, len(panels), squeeze=False,
                        gridspec_kw={"left": left / width, "right": (width - right) / width,
                                     "bottom": bottom / height, "top": 1 - top / height, "wspace": gap / panel_w})[0]
    cmap = matplotlib.colormaps[_LOADINGS_CMAP].with_extremes(bad="0.85")
    norm = mcolors.Normalize(vmin=-1.0, vmax=1.0)
    image = None
    font = 8 if n_factors <= 4 else 7
    # white lines between the cells (one collection; a grid of minor ticks costs a tick object per line)
    cell_lines = ([[(c, -0.5), (c, n_items - 0.5)] for c in np.arange(-0.5, n_factors)]
                  + [[(-0.5, r), (n_factors - 0.5, r)] for r in np.arange(-0.5, n_items)])
    axes_h = height - top - bottom
    for ax, (name, frame), names in zip(axes, panels, col_names):
        values = frame.to_numpy(dtype="float64")
        image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, norm=norm, aspect="auto",
                          interpolation="nearest")
        ax.add_collection(mcollections.LineCollection(cell_lines, colors="white", linewidths=1.2, zorder=1.5),
                          autolim=False)
        for r in range(n_items):
            row = values[r]
            best = int(np.nanargmax(np.abs(row))) if np.isfinite(row).any() else None
            for c in range(n_factors):
                v = row[c]
                if not np.isfinite(v):
                    continue
                dark = _luminance(cmap(norm(v))) < _WHITE_TEXT_BELOW
                ax.text(c, r, f"{v:.2f}".replace("-0.00", "0.00"), ha="center", va="center", fontsize=font,
                        color="white" if dark else "black",
                        fontweight="bold" if abs(v) > threshold else "normal")
            if best is not None:
                on_dark = _luminance(cmap(norm(row[best]))) < _WHITE_TEXT_BELOW
                ax.add_patch(mpatches.Rectangle((best - 0.47, r - 0.45), 0.94, 0.9, fill=False,
                                                edgecolor="white" if on_dark else "0.1", lw=1.2))
        ax.set_xticks(range(n_factors), names, fontsize=7.5)
        ax.tick_params(axis="x", length=0, labeltop=True, labelbottom=False)
        ax.tick_params(axis="y", length=0)
        if ax is not axes[0]:
            ax.set_yticks([])
        if len(panels) > 1:  # above the factor names on top (placed here, not searched for at each draw)
            ax.set_title(name, fontsize=10, y=1 + (col_h + TICK_PAD) / axes_h)
    axes[0].set_yticks(range(n_items), ylabels, fontsize=8)
    cbar_h = min(1.0, 3.5 / max(height - 1.0, 1.0)) * axes_h
    cax = fig.add_axes(((width - right + 0.15) / width, (bottom + (axes_h - cbar_h) / 2) / height,
                        cbar_w / width, cbar_h / height))
    cbar = fig.colorbar(image, cax=cax)
    cbar.set_label("Loading", fontsize=8)
    cbar.ax.tick_params(labelsize=7)
    fig.supxlabel(f"Bold: |loading| > {threshold:g}. Frame: the item's largest |loading|.", fontsize=7, color="0.3",
                  x=(left + (width - left - right) / 2) / width, y=0.06 / height, va="bottom")
    if title:
        fig.suptitle(title, fontsize=11, y=1 - 0.08 / height, va="top")
    return fig


# --------------------------------------------------------------------------- coefficient plot

_KEY_COLUMNS = ("family", "table", "model", "outcome", "controls", "term")


def coefficient_intervals(results: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Confidence intervals of our and the published coefficients (t distribution, as areg).

    Parameters
    ----------
    results : DataFrame
        Rows of :func:`fip.regression.run_family` / :func:`fip.regression.fit_models`:
        needs ``term``, ``outcome``, ``coef``, ``se`` and ``df_resid``; ``published_coef``
        and ``published_se`` are used where present.
    level : float
        Confidence level, strictly between 0 and 1.

    Returns
    -------
    DataFrame
        One row per input row, in input order: the key columns present among ``family``,
        ``table``, ``model``, ``outcome``, ``controls``, ``term``; then ``coef``, ``se``,
        ``df``, ``ci_low``, ``ci_high``, ``published_coef``, ``published_se``, ``published_df``,
        ``published_ci_low``, ``published_ci_high`` (NaN where nothing is published).

    Notes
    -----
    Our interval is ``coef ± t(df; (1 + level)/2) · se`` with ``df`` = ``df_inference`` when
    the frame has that column (clustered errors: clusters - 1), else ``df_resid``
    (N - k - (G - 1), Stata ``areg``); this equals ``FixedEffectsResult.conf_int``.

    The study prints residual df only for Tables 4.5, 4.6, 4.12 and 4.13
    (:func:`fip.regression.published_fit_statistics`), so the published interval uses the
    column ``published_df_resid`` where the frame has it (merge those statistics in to use
    them) and otherwise **our** ``df``. With df in the hundreds the choice moves an interval
    bound by under 0.5 % of the standard error.

    Examples
    --------
    >>> r = pd.DataFrame({"term": ["x"], "outcome": ["y"], "coef": [0.5], "se": [0.1], "df_resid": [30],
    ...                   "published_coef": [0.4], "published_se": [0.2]})
    >>> ci = coefficient_intervals(r)
    >>> round(float(ci["ci_low"].iloc[0]), 4), round(float(ci["published_ci_high"].iloc[0]), 4)
    (0.2958, 0.8085)
    """
    if not isinstance(level, (int, float)) or not 0.0 < float(level) < 1.0:
        raise ValueError(f"level must be a number strictly between 0 and 1; got {level!r}")
    if not isinstance(results, pd.DataFrame):
        raise InvalidDataError([Problem("results", None, None, type(results).__name__, "a DataFrame")])
    missing = [c for c in ("term", "outcome", "coef", "se", "df_resid") if c not in results.columns]
    if missing:
        raise InvalidDataError([Problem("results", None, c, None, "a column of run_family output")
                                for c in missing])
    df_col = "df_inference" if "df_inference" in results.columns else "df_resid"

    def num(column: str, default: pd.Series | float = np.nan) -> np.ndarray:
        if column not in results.columns:
            return np.broadcast_to(np.asarray(default, dtype="float64"), (len(results),)).copy()
        try:
            return pd.to_numeric(results[column], errors="raise").to_numpy(dtype="float64", na_value=np.nan)
        except (TypeError, ValueError):
            raise InvalidDataError([Problem("results", None, column, None, "numbers")]) from None

    coef, se, df = num("coef"), num("se"), num(df_col)
    if np.any(df[np.isfinite(df)] <= 0):
        raise InvalidDataError([Problem("results", None, df_col, None, "positive degrees of freedom")])
    pub_coef, pub_se = num("published_coef"), num("published_se")
    pub_df = num("published_df_resid")
    pub_df = np.where(np.isfinite(pub_df), pub_df, df)
    q = (1.0 + float(level)) / 2.0
    with np.errstate(invalid="ignore"):
        crit = stats.t.ppf(q, df)
        pub_crit = stats.t.ppf(q, pub_df)
    out = results[[c for c in _KEY_COLUMNS if c in results.columns]].reset_index(drop=True).copy()
    out["coef"], out["se"], out["df"] = coef, se, df
    out["ci_low"], out["ci_high"] = coef - crit * se, coef + crit * se
    out["published_coef"], out["published_se"], out["published_df"] = pub_coef, pub_se, pub_df
    out["published_ci_low"], out["published_ci_high"] = pub_coef - pub_crit * pub_se, pub_coef + pub_crit * pub_se
    return out


def _row_keys(ci: pd.DataFrame) -> list[tuple[str, str, bool | None]]:
    """(model, term, controls) of every row; "" / None where the column is absent."""
    n = len(ci)
    model = ci["model"].astype(str).tolist() if "model" in ci.columns else [""] * n
    controls = ([None if pd.isna(c) else bool(c) for c in ci["controls"]] if "controls" in ci.columns
                else [None] * n)
    return list(zip(model, ci["term"].astype(str).tolist(), controls))


def _row_labels(keys: list[tuple[str, str, bool | None]], labels: Mapping[str, str]) -> tuple[list[tuple], list[str]]:
    """Rows of the coefficient plot (distinct keys, ordered) and their labels."""
    pairs = list(dict.fromkeys((m, t) for m, t, _ in keys))
    terms_models: dict[str, set[str]] = {}
    for m, t in pairs:
        terms_models.setdefault(t, set()).add(m)
    both_controls = len({c for _, _, c in keys if c is not None}) > 1
    rows: list[tuple] = []
    texts: list[str] = []
    for m, t in pairs:
        for c in sorted({c for mm, tt, c in keys if (mm, tt) == (m, t)}, key=lambda v: (v is None, bool(v))):
            rows.append((m, t, c))
            text = labels.get(t, t)
            if len(terms_models[t]) > 1:
                text += f" [{labels.get(m, m)}]"
            if both_controls and c is not None:
                text += ", controls" if bool(c) else ", no controls"
            texts.append(text)
    return rows, texts


def plot_coefficients(
    results: pd.DataFrame,
    *,
    level: float = 0.95,
    by: str = "outcome",
    title: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> Figure:
    """Dot-and-whisker plot of our coefficients beside the published ones, one panel per outcome.

    Parameters
    ----------
    results : DataFrame
        Rows of :func:`fip.regression.run_family` (see :func:`coefficient_intervals` for the
        columns used); typically one published table, e.g. ``res[res["table"] == "table_4_9"]``.
    level : float
        Confidence level of the whiskers (t distribution with the model's residual df, as
        Stata ``areg``; the published whiskers as in :func:`coefficient_intervals`).
    by : str
        Column with one panel per value (default ``outcome``), in order of appearance.
    title : str, optional
        Figure title.
    labels : mapping, optional
        Display text for terms, models and panel values (e.g. ``{"c05_level": "Belief in a
        job, level"}``); unmapped ones are shown as they are.

    Returns
    -------
    matplotlib Figure
        One axes per value of ``by``, sharing the rows (terms, top to bottom in order of
        appearance; with and without controls on adjacent rows when both occur; the model in
        brackets when a term occurs in several models). Ours: filled black dots; published:
        open grey squares just below; a vertical line at zero. The error bar containers are
        labelled ``"ours"`` and ``"published"``.

    Examples
    --------
    >>> r = pd.DataFrame({"term": ["a", "b", "a", "b"], "outcome": ["y1", "y1", "y2", "y2"],
    ...                   "coef": [0.1, -0.2, 0.3, 0.0], "se": [0.05, 0.1, 0.1, 0.02], "df_resid": 40,
    ...                   "published_coef": [0.12, -0.1, 0.25, 0.01], "published_se": [0.05, 0.1, 0.1, 0.02]})
    >>> [ax.get_title() for ax in plot_coefficients(r).axes]
    ['y1', 'y2']
    """
    from matplotlib import collections as mcollections
    from matplotlib import lines as mlines
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    labels = dict(labels or {})
    ci = coefficient_intervals(results, level)
    if by not in results.columns:
        raise InvalidDataError([Problem("results", None, by, None, "the column to split panels by")])
    if ci.empty:
        raise InvalidDataError([Problem("results", None, None, None, "at least one coefficient")])
    ci[by] = results[by].to_numpy()
    keys = _row_keys(ci)
    rows, texts = _row_labels(keys, labels)
    ypos = {key: k for k, key in enumerate(rows)}
    pair_index = {pair: k for k, pair in enumerate(dict.fromkeys((m, t) for m, t, _ in rows))}
    groups = [pair_index[(m, t)] for m, t, _ in rows]
    ci["_y"] = [ypos[key] for key in keys]
    any_published = bool(np.isfinite(ci["published_coef"]).any())
    panels = list(dict.fromkeys(ci[by]))
    # margins set from the labels' sizes (inches), not by a layout engine: constrained layout
    # measured every tick and label once more per render, about half of the figure's time
    label_w = text_inches(texts, 7.5)[0] + TICK_SPACE
    tick_w, tick_h = text_inches(["\N{MINUS SIGN}0.0000"], 7)
    title_h = text_inches([labels.get(str(p), str(p)) for p in panels], 9)[1]
    left = 0.08 + label_w
    gap = tick_w + 0.1                  # x tick labels may reach half their width past a panel's edge
    right = 0.5 * tick_w + 0.08
    top = 0.08 + (text_inches([title], 11)[1] + 0.08 if title else 0.0) + title_h + TITLE_PAD
    legend_h = text_inches(["Ours"], 8)[1] + 0.16
    bottom = 0.06 + legend_h + TICK_SPACE + tick_h + LABEL_PAD + text_inches(["Coefficient"], 8)[1]
    panel_w = 2.3
    width = left + len(panels) * panel_w + (len(panels) - 1) * gap + right
    height = max(1.3 + (0.35 if title else 0) + (0.34 if any_published else 0.24) * len(rows), top + bottom + 0.5)
    fig = Figure(figsize=(width, height))
    # the panels share the rows without sharing the y axis: only the first has y ticks (an
    # inner panel's ticks would be unlabelled marks, and ticks are most of a render's time)
    axes = fig.subplots(1, len(panels), squeeze=False,
                        gridspec_kw={"left": left / width, "right": 1 - right / width, "bottom": bottom / height,
                                     "top": 1 - top / height, "wspace": gap / panel_w})[0]
    # shaded rows of every other term: one collection, x in axes and y in data coordinates
    bands = [[(0, y - 0.5), (1, y - 0.5), (1, y + 0.5), (0, y + 0.5)] for y, group in enumerate(groups) if group % 2]
    off = 0.18 if any_published else 0.0
    pct = f"{100 * level:g} %"
    for ax, panel in zip(axes, panels):
        part = ci[ci[by] == panel]
        ax.errorbar(part["coef"], part["_y"] - off, xerr=[part["coef"] - part["ci_low"], part["ci_high"] - part["coef"]],
                    fmt="o", color="0.0", ms=4, capsize=2, lw=1)
        ax.containers[-1].set_label("ours")
        pub = part[np.isfinite(part["published_coef"])]
        if len(pub):
            pub_lo = (pub["published_coef"] - pub["published_ci_low"]).fillna(0.0)
            pub_hi = (pub["published_ci_high"] - pub["published_coef"]).fillna(0.0)
            ax.errorbar(pub["published_coef"], pub["_y"] + off, xerr=[pub_lo, pub_hi], fmt="s", color="0.5",
                        mfc="white", ms=4, capsize=2, lw=1)
            ax.containers[-1].set_label("published")
        ax.axvline(0.0, color="0.6", lw=0.8, zorder=0)
        ax.grid(axis="x", color="0.9")
        if bands:
            ax.add_collection(mcollections.PolyCollection(bands, facecolors="0.96", edgecolors="none", linewidths=0,
                                                          zorder=-1, transform=ax.get_yaxis_transform()),
                              autolim=False)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
        ax.set_title(labels.get(str(panel), str(panel)), fontsize=9, y=1.0)  # y given: no search for top ticks
        ax.tick_params(axis="x", labelsize=7)
        ax.set_xlabel("Coefficient", fontsize=8)
        ax.set_ylim(len(rows) - 0.5, -0.5)
        if ax is not axes[0]:
            ax.set_yticks([])
    axes[0].set_yticks(range(len(rows)), texts, fontsize=7.5)
    handles = [mlines.Line2D([], [], marker="o", color="0.0", ms=4, lw=1)]
    names = [f"Ours ({pct} CI)"]
    if any_published:
        handles.append(mlines.Line2D([], [], marker="s", color="0.5", mfc="white", ms=4, lw=1))
        names.append(f"Published ({pct} CI)")
    fig.legend(handles, names, loc="lower center", bbox_to_anchor=(0.5, 0.06 / height), borderaxespad=0,
               ncols=len(names), fontsize=8, frameon=False)
    if title:
        fig.suptitle(title, fontsize=11, y=1 - 0.08 / height, va="top")
    return fig
