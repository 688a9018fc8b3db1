"""Descriptive statistics of item scores: means by gender and round, and progression.

Works on the paired measurements of :func:`fip.data.pair_forms` (one row per person and
round, all items side by side) and the persons table; any instrument.

Conventions
-----------
* Confidence intervals are t intervals, ``mean ± t(0.975, n-1) · sd/√n`` (sd with n-1), as
  Stata's ``ci means`` and R's ``t.test`` give them.
* Cells describing fewer than ``min_cell`` persons (default 5) are suppressed: their
  statistics are missing and ``suppressed`` is True, as in the study's publications.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from fip.instrument import Instrument

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["funnel_with_published", "item_means", "item_progression", "plot_item_means", "wide_table", "MIN_CELL"]

#: Smallest number of persons behind a published cell (Statistics Denmark practice).
MIN_CELL = 5


def _summarise(values: pd.core.groupby.SeriesGroupBy, confidence: float) -> pd.DataFrame:
    out = values.agg(n="count", mean="mean", sd="std")
    out["se"] = out["sd"] / np.sqrt(out["n"])
    dof = (out["n"] - 1).where(out["n"] > 1)
    t = stats.t.ppf(0.5 + confidence / 2, dof)
    out["ci_low"] = out["mean"] - t * out["se"]
    out["ci_high"] = out["mean"] + t * out["se"]
    return out


def _suppress(table: pd.DataFrame, columns: Sequence[str], min_cell: int) -> pd.DataFrame:
    small = table["n"] < min_cell
    table.loc[small, list(columns)] = np.nan
    table["suppressed"] = small
    return table


def _long_scores(measurements: pd.DataFrame, persons: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    items = [i for i in instrument.item_ids() if i in measurements.columns]
    if not items:
        raise ValueError("measurements hold none of the instrument's item columns")
    frame = measurements[["person_id", "round", *items]].merge(
        persons[["person_id", "gender"]], on="person_id", how="left", validate="many_to_one"
    )
    long = frame.melt(id_vars=["person_id", "round", "gender"], value_vars=items,
                      var_name="item", value_name="score")
    long["score"] = long["score"].astype("float64")
    return long.dropna(subset=["score"])


def _order(table: pd.DataFrame, instrument: Instrument, keys: list[str]) -> pd.DataFrame:
    order = {item: k for k, item in enumerate(instrument.item_ids())}
    rof = instrument.respondent_of()
    table.insert(0, "respondent", table["item"].map(rof))
    return table.sort_values(keys, key=lambda s: s.map(order) if s.name == "item" else s,
                             kind="stable").reset_index(drop=True)


def item_means(
    measurements: pd.DataFrame,
    persons: pd.DataFrame,
    instrument: Instrument,
    *,
    rounds: Sequence[int] | None = (1, 2),
    confidence: float = 0.95,
    min_cell: int = MIN_CELL,
    published: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Mean of every item by gender and round (study Figures 4.9-4.12).

    Parameters
    ----------
    measurements : DataFrame
        ``pair_forms(...).measurements``: ``person_id``, ``round`` and item columns.
    persons : DataFrame
        ``person_id`` and ``gender``.
    instrument : Instrument
        Gives the items and their respondents.
    rounds : sequence of int or None
        Rounds to describe (default 1 and 2); ``None`` for all.
    confidence : float
        Level of the t confidence interval.
    min_cell : int
        Cells with fewer persons are suppressed.
    published : DataFrame, optional
        Published means (``item``, ``gender``, ``round``, ``mean``), e.g.
        :func:`fip.published.published_item_means`; added as ``published`` and ``difference``
        (ours minus published).

    Returns
    -------
    DataFrame
        One row per item x gender x round (genders, then all persons as ``"all"``):
        ``respondent``, ``item``, ``gender``, ``round``, ``n``, ``mean``, ``sd``, ``se``,
        ``ci_low``, ``ci_high``, ``suppressed`` (and ``published``, ``difference``).

    Examples
    --------
    >>> import pandas as pd
    >>> from fip.instrument import load_instrument
    >>> inst = load_instrument()
    >>> m = pd.DataFrame({"person_id": ["a", "b", "c", "d", "e"], "round": 1,
    ...                   "c01": [1, 2, 3, 4, 5]})
    >>> p = pd.DataFrame({"person_id": list("abcde"), "gender": "female"})
    >>> item_means(m, p, inst)[["item", "gender", "round", "n", "mean"]]
      item  gender  round  n  mean
    0  c01  female      1  5   3.0
    1  c01     all      1  5   3.0
    """
    long = _long_scores(measurements, persons, instrument)
    if rounds is not None:
        long = long[long["round"].isin(list(rounds))]
    by_gender = _summarise(long.groupby(["item", "gender", "round"])["score"], confidence)
    overall = _summarise(long.groupby(["item", "round"])["score"], confidence)
    overall = overall.assign(gender="all").set_index("gender", append=True)
    overall = overall.reorder_levels(["item", "gender", "round"])
    table = pd.concat([by_gender, overall]).reset_index()
    table["gender"] = pd.Categorical(table["gender"], ["female", "male", "all"])
    table = _order(table, instrument, ["item", "gender", "round"])
    table["gender"] = table["gender"].astype(str)
    table = _suppress(table, ["mean", "sd", "se", "ci_low", "ci_high"], min_cell)
    if published is not None:
        pub = published[["item", "gender", "round", "mean"]].rename(columns={"mean": "published"})
        table = table.merge(pub, on=["item", "gender", "round"], how="left")
        table["difference"] = table["mean"] - table["published"]
    return table


def item_progression(
    measurements: pd.DataFrame,
    persons: pd.DataFrame,
    instrument: Instrument,
    *,
    first: int = 1,
    second: int = 2,
    confidence: float = 0.95,
    min_cell: int = MIN_CELL,
) -> pd.DataFrame:
    """Change of every item between two rounds for persons with both (Figures 4.11-4.12).

    Returns
    -------
    DataFrame
        One row per item x gender (and ``"all"``): ``respondent``, ``item``, ``gender``,
        ``n`` (persons with the item answered in both rounds), ``mean_first``,
        ``mean_second``, ``change`` (mean of second − first), ``sd``, ``se``, ``ci_low``,
        ``ci_high`` (t interval of the mean change, i.e. a paired t interval),
        ``suppressed``.

    Examples
    --------
    >>> import pandas as pd
    >>> from fip.instrument import load_instrument
    >>> m = pd.DataFrame({"person_id": list("aabb"), "round": [1, 2, 1, 2], "c01": [2, 4, 3, 4]})
    >>> p = pd.DataFrame({"person_id": ["a", "b"], "gender": ["male", "male"]})
    >>> item_progression(m, p, load_instrument(), min_cell=1)[["item", "gender", "n", "change"]]
      item gender  n  change
    0  c01   male  2     1.5
    1  c01    all  2     1.5
    """
    long = _long_scores(measurements, persons, instrument)
    wide = long[long["round"].isin([first, second])].pivot_table(
        index=["person_id", "gender", "item"], columns="round", values="score", aggfunc="first"
    )
    if first not in wide.columns or second not in wide.columns:
        raise ValueError(f"no person has item answers in both round {first} and round {second}")
    wide = wide.dropna(subset=[first, second]).reset_index()
    wide["change"] = wide[second] - wide[first]
    frames = []
    for gender_key, data in (("gender", wide), (None, wide.assign(gender="all"))):
        grouped = data.groupby(["item", "gender"])
        summary = _summarise(grouped["change"], confidence).rename(columns={"mean": "change"})
        summary["mean_first"] = grouped[first].mean()
        summary["mean_second"] = grouped[second].mean()
        frames.append(summary)
    table = pd.concat(frames).reset_index()
    table["gender"] = pd.Categorical(table["gender"], ["female", "male", "all"])
    table = _order(table, instrument, ["item", "gender"])
    table["gender"] = table["gender"].astype(str)
    columns = ["respondent", "item", "gender", "n", "mean_first", "mean_second", "change",
               "sd", "se", "ci_low", "ci_high"]
    return _suppress(table[columns].copy(),
                     ["mean_first", "mean_second", "change", "sd", "se", "ci_low", "ci_high"],
                     min_cell)


def funnel_with_published(funnel: pd.DataFrame, published: pd.DataFrame | None = None) -> pd.DataFrame:
    """The pairing funnel (``pair_forms(...).funnel``) with the published counts beside it.

    Parameters
    ----------
    funnel : DataFrame
        ``step``, ``round``, ``respondent``, ``reason``, ``n``.
    published : DataFrame, optional
        ``step``, ``round``, ``respondent``, ``n`` (e.g. :func:`fip.published.published_funnel`).

    Returns
    -------
    DataFrame
        The funnel with ``published`` and ``difference`` (ours minus published) when given.
    """
    table = funnel.copy()
    if published is not None:
        pub = published.rename(columns={"n": "published"})
        table = table.merge(pub, on=["step", "round", "respondent"], how="left")
        table["published"] = table["published"].astype("Int64")
        table["difference"] = table["n"].astype("Int64") - table["published"]
    return table


def wide_table(table: pd.DataFrame, instrument: Instrument, *, lang: str = "da") -> pd.DataFrame:
    """One row per item for reading: means (or changes) in columns by gender and round.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`item_means` (columns ``mean by gender, round``, plus the published
        means where given) or of :func:`item_progression` (columns ``change by gender``).
    """
    value = "change" if "change" in table.columns else "mean"
    keys = ["gender"] if value == "change" else ["gender", "round"]
    wide = table.pivot_table(index="item", columns=keys, values=value, aggfunc="first", dropna=False)
    gender_rank = {"female": 0, "male": 1, "all": 2}
    wide = wide[sorted(wide.columns, key=lambda c: (gender_rank.get(c[0] if isinstance(c, tuple) else c, 3),
                                                    c[1:] if isinstance(c, tuple) else ()))]
    wide.columns = [" ".join(["change" if value == "change" else "", *[
        (f"r{part}" if isinstance(part, (int, np.integer)) else str(part)) for part in (col if isinstance(col, tuple) else (col,))
    ]]).strip() for col in wide.columns]
    if "published" in table.columns:
        pub = table.dropna(subset=["published"]).pivot_table(
            index="item", columns=["gender", "round"], values="published", aggfunc="first")
        pub.columns = [f"published {g} r{r}" for g, r in pub.columns]
        wide = wide.join(pub)
    order = [i for i in instrument.item_ids() if i in wide.index]
    wide = wide.loc[order]
    wide.insert(0, "label", [instrument.label(i, lang) for i in order])
    return wide.reset_index()


def plot_item_means(
    means: pd.DataFrame,
    instrument: Instrument,
    *,
    lang: str = "da",
    respondents: Sequence[str] | None = None,
) -> Figure:
    """Points with confidence intervals by gender and round, one panel per respondent.

    Parameters
    ----------
    means : DataFrame
        Output of :func:`item_means`.
    instrument : Instrument
        For the item labels (short wording in ``lang``) and scale limits.
    lang : str
        Label language (``"da"`` or ``"en"`` for FIP).

    Returns
    -------
    matplotlib.figure.Figure
        Markers differ by gender and round so the figure reads in grey print.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    respondents = list(respondents or instrument.respondent_ids)
    data = means[(means["gender"] != "all") & ~means["suppressed"]]
    combos = sorted(data[["gender", "round"]].drop_duplicates().itertuples(index=False, name=None))
    fig = Figure(figsize=(7.5, 1.2 + 0.45 * max(len(instrument.item_ids(r)) for r in respondents) * len(respondents)))
    axes = fig.subplots(len(respondents), 1, squeeze=False)[:, 0]
    markers = {"female": "o", "male": "s"}
    colours = {1: "0.55", 2: "0.0"}
    gender_label = {"da": {"female": "Kvinder", "male": "Mænd"}, "en": {"female": "Women", "male": "Men"}}
    round_label = {"da": "runde", "en": "round"}
    for ax, respondent in zip(axes, respondents):
        items = list(instrument.item_ids(respondent))
        ypos = {item: k for k, item in enumerate(items)}
        offsets = np.linspace(-0.3, 0.3, max(len(combos), 1))
        for off, (gender, rnd) in zip(offsets, combos):
            part = data[(data["gender"] == gender) & (data["round"] == rnd) & data["item"].isin(items)]
            y = part["item"].map(ypos) + off
            ax.errorbar(part["mean"], y, xerr=[part["mean"] - part["ci_low"], part["ci_high"] - part["mean"]],
                        fmt=markers.get(gender, "^"), color=colours.get(rnd, "0.3"),
                        mfc="white" if rnd == 1 else colours.get(rnd, "0.3"), ms=5, capsize=2, lw=1,
                        label=f"{gender_label.get(lang, gender_label['en']).get(gender, gender)}, "
                              f"{round_label.get(lang, 'round')} {rnd}")
        ax.set_yticks(range(len(items)), [instrument.label(i, lang) for i in items], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(instrument.scale.min - 0.2, instrument.scale.max + 0.2)
        ax.grid(axis="x", color="0.9")
        ax.set_xlabel({"da": "Gennemsnit", "en": "Mean"}.get(lang, "Mean") +
                      f" ({instrument.scale.min}-{instrument.scale.max}), 95 % CI", fontsize=8)
        resp_label = next(r.label for r in instrument.respondents if r.id == respondent)
        ax.set_title(resp_label.get(lang, respondent), fontsize=10)
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig
