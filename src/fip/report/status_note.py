"""Quarterly status note of one municipality (issue 7): levels, progression, trend, average star.

A short, self-contained HTML page in plain Danish (or English) for a job centre: how its
citizens scored in a calendar quarter beside all municipalities, how persons measured for
the second time in the quarter moved since their first measurement, the overall indices per
quarter for up to six quarters, and the municipality's average FIP star. Only aggregates are
shown; every figure resting on fewer than ``min_cell`` persons is suppressed (the value is
left out and the count replaced by "færre end 5" / "fewer than 5").

Rules
-----
* A measurement belongs to the quarter its ``measured_on`` date falls in.
* Levels: a person measured more than once in the quarter counts once, with the latest
  measurement (highest round) of the quarter.
* Progression: persons whose round 2 was measured in the quarter; change = round 2 − round 1.
* Trend: overall indices (family ``overall`` in ``configs/indices.yaml``; for an instrument
  those do not fit, the mean of each respondent's items) per quarter, latest measurement of
  each person per quarter, for the given quarter and up to five before it (not before the
  first quarter with data), beside all municipalities in each quarter (the figures of that
  quarter's levels table, protected by the same rules, so the trend adds no figure).
* Programme goals (:mod:`fip.report.goals`): share job-ready at the latest measurement in
  the quarter, and shares with employment, ordinary employment and education in the quarter
  from the register panel, beside all municipalities; their trend for the municipality. A
  share is suppressed also when the persons with, or without, the attribute number 1 to
  ``min_cell - 1`` (directly or by subtraction, by the rules below); its ``n`` is then shown
  (it rests on ``min_cell`` persons or more) and the share says why it is hidden.
* ``n`` is the number of persons with a value; a cell is suppressed when ``n < min_cell``
  (for the municipality and for all municipalities alike).
* Complementary suppression: an "all municipalities" figure is hidden too when subtraction
  would reveal a figure for 1 to ``min_cell - 1`` persons:

  - a reader knows its own municipality's persons, and notes travel, so for every
    municipality the persons outside it must count 0 or at least ``min_cell``;
  - the notes of all municipalities together show every municipality figure with at least
    ``min_cell`` persons, so the persons outside those (in municipalities whose own figure
    is suppressed, or without a municipality) must count 0 or at least ``min_cell``.

  Both rules look at all municipalities, so a figure for all municipalities is shown in
  every municipality's note of the quarter or in none.

  Notes of different quarters share no figure except through the trend, which shows the
  municipality's own figures and the all-municipalities figures of the quarters' notes.

Examples
--------
>>> from fip.simulate import simulate_cohort
>>> note = status_note(simulate_cohort(seed=0), "kommune_12", "2018Q2")
>>> note.html.startswith("<!DOCTYPE html>"), sorted(note.tables)
(True, ['goals', 'goals_trend', 'levels', 'progression', 'trend'])
"""

from __future__ import annotations

import html as _html
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fip._membership import isin
from fip._options import check_option
from fip.data import pair_forms
from fip.disclosure import DEFAULT, DisclosurePolicy, resolve_policy
from fip.indices import IndexDefinition, load_index_definitions, score_indices
from fip.instrument import Instrument
from fip.messages import languages, section
from fip.report import html as H
from fip.report.figures import AVERAGE_ID
from fip.report.line_chart import Line, line_chart_svg
from fip.report.goals import GOALS, quarter_goals
from fip.star_svg import star_svg

__all__ = ["NoteChoices", "StatusNote", "note_choices", "status_note"]

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_TREND_QUARTERS = 6



def _text(lang: str) -> Mapping[str, str]:
    """Texts of the note in ``lang`` (section ``status_note`` of configs/messages/<lang>.yaml)."""
    return section(lang, "status_note")


@dataclass(frozen=True, eq=False)
class StatusNote:
    """Result of :func:`status_note`.

    Attributes
    ----------
    html : str
        The whole note as one self-contained HTML page (figures as base64 SVG).
    tables : dict of DataFrame
        ``levels`` and ``progression`` (one row per item and index: ``kind``, ``id``,
        ``label``, ``respondent`` (respondent ids joined by ``+``), ``municipality_mean``,
        ``municipality_n``, ``municipality_suppressed``,
        ``all_mean``, ``all_n``, ``all_suppressed``, ``all_complementary`` (hidden only to
        protect the other municipalities); in ``progression`` the means are mean changes),
        ``trend`` (``quarter``, ``index``, ``label``, ``mean``, ``n``, ``suppressed`` of the
        municipality, and ``all_mean``, ``all_n``, ``all_suppressed``, ``all_complementary``
        of all municipalities in that quarter, as in that quarter's ``levels``),
        ``goals`` (``id``, ``label`` and the mean/n columns of ``levels``; the means are
        shares; ``municipality_split``, ``all_split``: the share is hidden because the
        persons with or without the attribute are few, while its ``n`` is shown) and
        ``goals_trend`` (the municipality's columns of ``trend`` and ``split``).
        Suppressed cells hold NaN / NA.
    suppressed_cells : int
        Number of suppressed figures (a mean or share with its count) in all tables.
    """

    html: str
    tables: dict[str, pd.DataFrame]
    suppressed_cells: int


@dataclass(frozen=True)
class NoteChoices:
    """What a status note can be made for: the municipalities of the persons table and the
    calendar quarters with at least one measurement (any municipality), both sorted.

    Attributes
    ----------
    municipalities : tuple of str
    quarters : tuple of str
        Such as ``"2018Q2"``; a quarter between the first and the last without any
        measurement is left out.
    """

    municipalities: tuple[str, ...]
    quarters: tuple[str, ...]

    def covered(self) -> str:
        """The quarters in words, e.g. ``2017Q1-2019Q2 (10 quarters)``, for messages."""
        if not self.quarters:
            return "no quarter (the data hold no measurement)"
        span = self.quarters[0] if len(self.quarters) == 1 else f"{self.quarters[0]}-{self.quarters[-1]}"
        first, last = pd.Period(self.quarters[0], "Q"), pd.Period(self.quarters[-1], "Q")
        gaps = (last - first).n + 1 - len(self.quarters)
        return f"{span} ({len(self.quarters)} quarters{f', {gaps} without measurements' if gaps else ''})"


def _measurements(dataset):
    """The Dataset and its paired measurements (a Study lends its own)."""
    from fip.study import Study

    if isinstance(dataset, Study):
        return dataset.dataset, dataset.measurements
    return dataset, pair_forms(dataset).measurements


def _choices(dataset, measurements: pd.DataFrame) -> NoteChoices:
    municipalities = tuple(sorted(set(dataset.persons["municipality"].dropna().astype(str))))
    quarters = measurements["measured_on"].dropna().dt.to_period("Q").unique()
    return NoteChoices(municipalities, tuple(str(q) for q in sorted(quarters)))


def note_choices(dataset) -> NoteChoices:
    """The municipalities and quarters a status note can be made for.

    Parameters
    ----------
    dataset : Dataset or Study
        As for :func:`status_note`.

    Returns
    -------
    NoteChoices
        Municipalities (from the persons table) and quarters with measurements (from the
        paired forms: a measurement belongs to the quarter of its ``measured_on`` date).
        No counts: a list of names and quarters shows no figure about persons.

    Examples
    --------
    >>> from fip.simulate import simulate_cohort
    >>> choices = note_choices(simulate_cohort(40, seed=1))
    >>> choices.quarters[0] <= choices.quarters[-1], len(choices.municipalities) > 0
    (True, True)
    """
    dataset, m = _measurements(dataset)
    return _choices(dataset, m)


def _parse_quarter(quarter: str) -> pd.Period:
    match = _QUARTER.match(str(quarter)) if isinstance(quarter, str) else None
    if match is None:
        raise ValueError(f"quarter must look like '2019Q3' (year, 'Q', 1-4); got {quarter!r}")
    return pd.Period(f"{match.group(1)}Q{match.group(2)}", freq="Q")


def _definitions(instrument: Instrument, lang: str) -> tuple[list[IndexDefinition], list[IndexDefinition]]:
    """All study indices that fit the instrument, and the overall ones (synthesised if none fit)."""
    items = set(instrument.item_ids())
    defs = [d for d in load_index_definitions() if set(d.items) <= items]
    overall = [d for d in defs if d.family == "overall"]
    if not overall:
        overall = [IndexDefinition(id=f"{r.id}_overall", items=instrument.item_ids(r.id), family="overall",
                                   label={lang: f"{r.label.get(lang, r.id)} ({_text(lang)['overall']})"})
                   for r in instrument.respondents if instrument.item_ids(r.id)]
        defs = overall + defs
    return defs, overall


def _summary(frame: pd.DataFrame, columns: list[str], min_cell: int, prefix: str) -> pd.DataFrame:
    """Mean and person count per column; cells with ``n < min_cell`` suppressed."""
    n = frame[columns].notna().sum().astype("int64")
    mean = frame[columns].mean()
    hide = n < min_cell
    return pd.DataFrame({
        f"{prefix}_mean": mean.where(~hide).astype("float64"),
        f"{prefix}_n": pd.array(n.where(~hide), dtype="Int64"),
        f"{prefix}_suppressed": hide.astype(bool),
    }, index=columns)


def _side_by_side(mun: pd.DataFrame, every: pd.DataFrame, variables: list[str], min_cell: int) -> pd.DataFrame:
    """The municipality's and all municipalities' mean and n per variable, suppressed.

    Complementary suppression (see the module docstring): the "all" figure must not let a
    group of 1 .. min_cell-1 persons be recovered by subtraction, neither the persons outside
    any one municipality (a reader knows its own persons) nor the persons behind suppressed
    municipality figures (every municipality's note shows its own figure).
    """
    table = pd.concat([_summary(mun, variables, min_cell, "municipality"),
                       _summary(every, variables, min_cell, "all")], axis=1)
    total = every[variables].notna().sum()
    counts = every.groupby("municipality")[variables].count()
    outside = total - counts  # persons outside each municipality
    unpublished = total - counts.where(counts >= min_cell, 0).sum()
    protect = ((((outside > 0) & (outside < min_cell)).any() | ((unpublished > 0) & (unpublished < min_cell)))
               & ~table["all_suppressed"]).to_numpy()
    table.loc[protect, "all_mean"] = np.nan
    table.loc[protect, "all_n"] = pd.NA
    table.loc[protect, "all_suppressed"] = True
    table["all_complementary"] = protect
    return table


def _yes_no(frame: pd.DataFrame, shares: list[str]) -> pd.DataFrame:
    """For 0/1 columns: ``<v>__yes`` / ``<v>__no`` (1 where the value is 1 / 0, else NaN)."""
    out = frame[["municipality"]].copy()
    for v in shares:
        out[f"{v}__yes"] = frame[v].where(frame[v] == 1)
        out[f"{v}__no"] = (1 - frame[v]).where(frame[v] == 0)
    return out


def _split_is_small(values: pd.Series, min_cell: int) -> bool:
    """0/1 values: the persons with, or without, the attribute number 1 .. min_cell-1."""
    yes, no = int((values == 1).sum()), int((values == 0).sum())
    return 0 < yes < min_cell or 0 < no < min_cell


def _share_side_by_side(mun: pd.DataFrame, every: pd.DataFrame, shares: list[str], min_cell: int) -> pd.DataFrame:
    """:func:`_side_by_side` of 0/1 columns: a share is also hidden where the persons with (or
    without) the attribute, directly or by subtraction, would be 1 .. min_cell-1.

    Then only the share is hidden: its ``n`` (at least ``min_cell`` persons, and not
    recoverable as a small group) is kept and ``<prefix>_split`` is set."""
    table = _side_by_side(mun, every, shares, min_cell)
    parts = _side_by_side(_yes_no(mun, shares), _yes_no(every, shares),
                          [f"{v}__{k}" for v in shares for k in ("yes", "no")], min_cell)
    for prefix, frame in (("municipality", mun), ("all", every)):
        shown = ~table[f"{prefix}_suppressed"].to_numpy(dtype=bool)
        direct = np.array([_split_is_small(frame[v], min_cell) for v in shares], dtype=bool) & shown
        hidden = direct.copy()
        if prefix == "all":  # or recoverable by subtraction from the municipalities' notes
            by_others = np.array([bool(parts.loc[[f"{v}__yes", f"{v}__no"], "all_complementary"].any())
                                  for v in shares], dtype=bool) & shown & ~direct
            hidden |= by_others
            table["all_complementary"] = table["all_complementary"].to_numpy(dtype=bool) | by_others
        table.loc[hidden, f"{prefix}_mean"] = np.nan
        table.loc[hidden, f"{prefix}_suppressed"] = True
        table[f"{prefix}_split"] = hidden
    return table


def _own_trend(frames: dict, variables: list[str], labels: dict[str, str], min_cell: int, *,
               shares: bool = False) -> pd.DataFrame:
    """Mean and n of each variable per quarter (``frames``: quarter -> the municipality's rows)."""
    rows = []
    for q, part in frames.items():
        for v in variables:
            n = int(part[v].notna().sum())
            few = n < min_cell
            # 0/1 values: the persons with and without the attribute count too (then n is shown)
            split = shares and not few and _split_is_small(part[v], min_cell)
            hide = few or split
            rows.append({"quarter": str(q), "index": v, "label": labels[v],
                         "mean": np.nan if hide else float(part[v].mean()), "n": pd.NA if few else n,
                         "suppressed": hide, "split": split})
    trend = pd.DataFrame(rows, columns=["quarter", "index", "label", "mean", "n", "suppressed", "split"])
    trend["mean"] = trend["mean"].astype("float64")
    trend["n"] = pd.array(trend["n"], dtype="Int64")
    trend["suppressed"] = trend["suppressed"].astype(bool)
    trend["split"] = trend["split"].astype(bool)
    if not shares:
        trend = trend.drop(columns="split")
    return trend


def _latest(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["person_id", "round"]).drop_duplicates("person_id", keep="last")


def _display(table: pd.DataFrame, pairs: list[tuple[str, str, str]], text: Mapping[str, str],
             first: list[tuple[str, str]], min_cell: int, *, percent: bool = False) -> pd.DataFrame:
    """Text columns for the page: ``first`` as is, then per (prefix, mean header, n header).

    A suppressed count reads "fewer than k", or "hidden: fewer than k in the other
    municipalities" where ``<prefix>_complementary`` is set. Where ``<prefix>_split`` is set
    (a share hidden because the persons with or without the attribute are few) the count is
    shown and the share reads "hidden: fewer than k with or without" (or "... in the other
    municipalities" where ``<prefix>_complementary`` is set too).
    """
    out = pd.DataFrame({header: table[col].astype(str).to_numpy() for col, header in first})
    small, others = text["suppressed"].format(k=min_cell), text["suppressed_others"].format(k=min_cell)
    split_text = text["suppressed_split"].format(k=min_cell)
    split_others = text["suppressed_split_others"].format(k=min_cell)
    none = np.zeros(len(table), dtype=bool)
    for prefix, mean_header, n_header in pairs:
        hidden = table[f"{prefix}_suppressed"].to_numpy(dtype=bool)
        complementary = (table[f"{prefix}_complementary"].to_numpy(dtype=bool)
                         if f"{prefix}_complementary" in table.columns else none)
        split = table[f"{prefix}_split"].to_numpy(dtype=bool) if f"{prefix}_split" in table.columns else none
        means = table[f"{prefix}_mean"].to_numpy(dtype="float64", na_value=np.nan)
        counts = table[f"{prefix}_n"]
        out[mean_header] = [(split_others if c else split_text) if s else "" if h or np.isnan(v) else
                            (_percent(v, text) if percent else _number(v, text))
                            for h, c, s, v in zip(hidden, complementary, split, means)]
        out[n_header] = [str(int(n)) if s else (others if c else small) if h else str(int(n))
                         for h, c, s, n in zip(hidden, complementary, split, counts)]
    return out


def _number(value: float, text: Mapping[str, str]) -> str:
    """Two decimals with the language's decimal mark (comma in Danish); minus sign for negatives."""
    shown = f"{value:.2f}".replace(".", text["decimal"])
    return "0" + text["decimal"] + "00" if shown.lstrip("-") == "0" + text["decimal"] + "00" else shown.replace("-", "−")


def _trend_svg(trend: pd.DataFrame, instrument: Instrument, text: Mapping[str, str], title: str) -> bytes | None:
    """Line chart of the shown trend means (suppressed quarters are gaps), each index beside its
    all-municipalities line (thinner, lighter, open markers); None if nothing is shown."""
    if trend["suppressed"].all():
        return None
    quarters = list(dict.fromkeys(trend["quarter"]))

    def shown(means: pd.Series) -> tuple[float, ...]:
        """The quarters' means to the two decimals the trend table shows (no more precision)."""
        return tuple(np.round(means.reindex(quarters).to_numpy(dtype="float64"), 2))

    lines = []
    for k, (_, part) in enumerate(trend.groupby("index", sort=False)):
        by_quarter = part.set_index("quarter")
        label = part["label"].iloc[0]
        lines.append(Line(label, shown(by_quarter["mean"]), k))
        if "all_mean" in part.columns:
            lines.append(Line(f"{label}, {text['all_municipalities']}", shown(by_quarter["all_mean"]), k, light=True))
    svg = line_chart_svg(quarters, lines, y_min=instrument.scale.min, y_max=instrument.scale.max,
                         y_label=text["mean"], title=title, number=lambda v: _number(v, text))
    return svg.encode()


def _percent(share: float, text: Mapping[str, str]) -> str:
    """A share as a percentage with one decimal and the language's decimal mark."""
    return f"{100 * share:.1f}".replace(".", text["decimal"]) + " %"


def _star_svg(group: pd.DataFrame, levels: pd.DataFrame, instrument: Instrument, min_cell: int, lang: str,
              title: str) -> bytes:
    """The average star of ``group`` (rounds 1 and 2 of the same persons), its means to the two
    decimals the tables show.

    An item is left out when fewer than ``min_cell`` persons answered it in the round, and on
    both rounds when the persons behind its round-2 mean and those behind the municipality's
    level of the item (``levels``: the latest measurement in the quarter) differ by 1 to
    ``min_cell - 1`` persons: the two means would give theirs by subtraction (and round 1 is
    round 2 minus the progression table's change).
    """
    items = list(instrument.item_ids())
    second = group[group["round"] == 2]
    near = {i for i in items
            if 0 < len(set(second.loc[second[i].notna(), "person_id"])
                       ^ set(levels.loc[levels[i].notna(), "person_id"])) < min_cell}
    rows = []
    for rnd in (1, 2):
        part = group[group["round"] == rnd]
        values = {i: (round(float(part[i].mean()), 2) if part[i].notna().sum() >= min_cell and i not in near
                      else np.nan) for i in items}
        rows.append({"person_id": AVERAGE_ID, "round": rnd, **values})
    return star_svg(pd.DataFrame(rows), instrument, AVERAGE_ID, rounds=(1, 2), lang=lang, title=title).encode()


def status_note(dataset, municipality: str, quarter: str, *, lang: str = "da",
                policy: DisclosurePolicy | None = None) -> StatusNote:
    """The quarterly status note of one municipality.

    Parameters
    ----------
    dataset : Dataset or Study
        Persons (``municipality``) and forms; a :class:`fip.study.Study` lends its paired
        measurements (and its disclosure policy, unless ``policy`` is given), a Dataset is
        paired with :func:`fip.data.pair_forms`.
    municipality : str
        A value of ``dataset.persons["municipality"]``.
    quarter : str
        Calendar quarter such as ``"2019Q1"``; measurements whose ``measured_on`` falls in it.
    lang : {"da", "en"}
        Language of the note (item labels from the instrument).
    policy : DisclosurePolicy, optional
        The small-cell rule (default: the configured one, threshold 5): figures resting on
        fewer persons than its threshold are suppressed, directly or by subtraction. A
        lowered threshold (secure machine) is stated at the top of the note.

    Returns
    -------
    StatusNote

    Raises
    ------
    ValueError
        Unknown municipality (a few known ones are listed), malformed quarter, a quarter
        without any measurement (the message names the quarters the data cover; see
        :func:`note_choices`) or unknown ``lang``.

    Examples
    --------
    >>> from fip.simulate import simulate_cohort
    >>> note = status_note(simulate_cohort(seed=0), "kommune_12", "2018Q2", lang="en")
    >>> "Levels in the quarter" in note.html
    True
    """
    from fip.study import Study

    study = dataset if isinstance(dataset, Study) else None
    if study is not None:
        dataset = study.dataset
        policy = study.policy if policy is None else policy
    instrument = dataset.instrument
    check_option("lang", lang, [x for x in instrument.label_languages if x in languages()])
    policy = resolve_policy(DEFAULT if policy is None else policy)
    min_cell = policy.threshold
    period = _parse_quarter(quarter)
    known = sorted(set(dataset.persons["municipality"].dropna().astype(str)))
    if not isinstance(municipality, str) or municipality not in known:
        shown = ", ".join(repr(k) for k in known[:8]) + (", ..." if len(known) > 8 else "")
        raise ValueError(f"unknown municipality {municipality!r}; expected one of the {len(known)} "
                         f"municipalities in the data, e.g. {shown}")
    text = _text(lang)
    defs, overall = _definitions(instrument, lang)
    items = list(instrument.item_ids())
    variables = items + [d.id for d in defs]
    labels = {**{i: instrument.label(i, lang) for i in items},
              **{d.id: d.label_in(lang) for d in defs}}
    owner = instrument.respondent_of()
    members = {**{i: (i,) for i in items}, **{d.id: d.items for d in defs}}
    respondents = {v: "+".join(dict.fromkeys(owner[i] for i in members[v])) for v in variables}
    resp_label = {r.id: r.label.get(lang, r.id) for r in instrument.respondents}

    m = study.measurements if study is not None else pair_forms(dataset).measurements
    choices = _choices(dataset, m)
    if str(period) not in choices.quarters:
        raise ValueError(f"no measurements in {period}: a status note needs data in its quarter; the data "
                         f"cover {choices.covered()} (fip status-note --list shows them)")
    scores = score_indices(m, defs, keys=("person_id", "round")) if defs else m[["person_id", "round"]].copy()
    frame = m[["person_id", "round"]].copy()
    for i in items:
        frame[i] = m[i].astype("float64")
    for d in defs:
        frame[d.id] = scores[d.id].to_numpy()
    frame["quarter"] = m["measured_on"].dt.to_period("Q")
    place = dataset.persons.drop_duplicates("person_id").set_index("person_id")["municipality"].astype(str)
    frame["municipality"] = frame["person_id"].map(place)
    in_q = frame["quarter"] == period
    mine = frame["municipality"] == municipality

    def side_by_side(mun: pd.DataFrame, every: pd.DataFrame) -> pd.DataFrame:
        table = _side_by_side(mun, every, variables, min_cell)
        table.insert(0, "respondent", [respondents[v] for v in variables])
        table.insert(0, "label", [labels[v] for v in variables])
        table.insert(0, "id", variables)
        table.insert(0, "kind", ["item" if v in items else "index" for v in variables])
        return table.reset_index(drop=True)

    # (1) levels
    levels = side_by_side(_latest(frame[in_q & mine]), _latest(frame[in_q]))

    # (2) progression: persons with round 2 in the quarter
    second = frame[in_q & (frame["round"] == 2)]
    first = frame[(frame["round"] == 1).to_numpy(dtype=bool) & isin(frame["person_id"], second["person_id"])]
    change = (second.set_index("person_id")[variables]
              - first.set_index("person_id")[variables].reindex(second["person_id"]))
    change["municipality"] = second.set_index("person_id")["municipality"]
    progression = side_by_side(change[change["municipality"] == municipality], change)

    # (3) trend of the overall indices
    have = frame.loc[mine, "quarter"].dropna()
    start = max(period - (_TREND_QUARTERS - 1), have.min()) if len(have) else period
    start = min(start, period)
    quarters = pd.period_range(start, period, freq="Q")
    overall_ids = [d.id for d in overall]
    trend = _own_trend({q: _latest(frame[mine & (frame["quarter"] == q)]) for q in quarters},
                       overall_ids, labels, min_cell)
    # beside it all municipalities, quarter by quarter: the figures of that quarter's levels
    # table (the same rule, so a trend shows nothing the quarters' notes do not)
    every = pd.concat([_side_by_side(_latest(frame[mine & (frame["quarter"] == q)]),
                                     _latest(frame[frame["quarter"] == q]), overall_ids, min_cell)
                       .filter(like="all_") for q in quarters], ignore_index=True)
    trend = pd.concat([trend, every.reset_index(drop=True)], axis=1)

    # (4) programme goals: the quarter beside all municipalities, and the municipality's trend
    goal_ids = list(GOALS)
    goal_labels = {g: GOALS[g][lang] for g in goal_ids}
    by_quarter = {q: quarter_goals(dataset, q, measurements=m) for q in quarters}
    now = by_quarter[period]
    goals = _share_side_by_side(now[now["municipality"] == municipality], now, goal_ids, min_cell)
    goals.insert(0, "label", [goal_labels[g] for g in goal_ids])
    goals.insert(0, "id", goal_ids)
    goals = goals.reset_index(drop=True)
    goals_trend = _own_trend({q: g[g["municipality"] == municipality] for q, g in by_quarter.items()},
                             goal_ids, goal_labels, min_cell, shares=True)

    suppressed = int(sum(t[c].sum() for t in (levels, progression, goals)
                         for c in ("municipality_suppressed", "all_suppressed"))
                     + trend["suppressed"].sum() + goals_trend["suppressed"].sum())

    # the page
    fmt = {"m": municipality, "q": str(period), "k": min_cell, "lo": instrument.scale.min, "hi": instrument.scale.max}
    head = [("label", text["what"]), ("respondent", text["by"]), ("kind", text["kind"])]

    def shown_kind(t: pd.DataFrame) -> pd.DataFrame:
        return t.assign(kind=t["kind"].map({"item": text["item"], "index": text["index"]}),
                        respondent=[" + ".join(resp_label[r] for r in v.split("+")) for v in t["respondent"]])
    levels_html = _display(shown_kind(levels), [
        ("municipality", text["mun_mean"].format(**fmt), text["mun_n"].format(**fmt)),
        ("all", text["all_mean"], text["all_n"])], text, head, min_cell)
    progression_html = _display(shown_kind(progression), [
        ("municipality", text["mun_change"].format(**fmt), text["mun_n"].format(**fmt)),
        ("all", text["all_change"], text["all_n"])], text, head, min_cell)

    def trend_wide(t: pd.DataFrame, names: dict[str, str], what: str, percent: bool = False) -> pd.DataFrame:
        wide = pd.DataFrame({text["quarter"]: list(dict.fromkeys(t["quarter"]))})
        for v in dict.fromkeys(t["index"]):
            part = t[t["index"] == v].reset_index(drop=True)
            pairs = [("t", f"{names[v]}: {what}", f"{names[v]}: {text['n']}")]
            shown = _display(part.rename(columns={"mean": "t_mean", "n": "t_n", "suppressed": "t_suppressed",
                                                  "split": "t_split"}),
                             pairs, text, [], min_cell, percent=percent)
            wide = pd.concat([wide, shown], axis=1)
        return wide

    # the trend: one row per quarter and index, the municipality beside all municipalities
    wide = _display(trend.rename(columns={"mean": "municipality_mean", "n": "municipality_n",
                                          "suppressed": "municipality_suppressed"}),
                    [("municipality", text["mun_mean"].format(**fmt), text["mun_n"].format(**fmt)),
                     ("all", text["all_mean"], text["all_n"])], text,
                    [("quarter", text["quarter"]), ("label", text["what"])], min_cell)
    goals_html = _display(goals, [("municipality", text["mun_share"].format(**fmt), text["mun_n"].format(**fmt)),
                                  ("all", text["all_share"], text["all_n"])], text, [("label", text["goal"])],
                          min_cell, percent=True)
    goals_wide = trend_wide(goals_trend, goal_labels, text["share"], percent=True)

    def numbers(shown: pd.DataFrame, *leading: str) -> list[str]:
        """The columns of figures (all but the leading text columns): right-aligned."""
        return [c for c in shown.columns if c not in leading]

    text_columns = [header for _, header in head]
    sections = [
        H.section("intro", text["intro_title"], [H.paragraph(text["intro"].format(**fmt))]),
        H.section("levels", text["levels"], [H.paragraph(text["levels_about"].format(**fmt)),
                                            H.table(levels_html, text["levels"],
                                                    right=numbers(levels_html, *text_columns))]),
        H.section("progression", text["progression"], [
            H.paragraph(text["progression_about"].format(**fmt)),
            H.table(progression_html, text["progression"], right=numbers(progression_html, *text_columns))]),
        H.section("trend", text["trend"], [H.paragraph(text["trend_about"].format(**fmt)),
                                          H.table(wide, text["trend"], right=numbers(wide, text["quarter"], text["what"]))]),
    ]
    trend_figure = _trend_svg(trend, instrument, text, f"{text['trend']} – {municipality}")
    if trend_figure is not None:
        sections[-1] = H.section("trend", text["trend"], [
            H.paragraph(text["trend_about"].format(**fmt)),
            H.table(wide, text["trend"], right=numbers(wide, text["quarter"], text["what"])),
            H.figure(trend_figure, text["trend_figure"].format(k=min_cell))])
    group_ids = second.loc[second["municipality"] == municipality, "person_id"]
    if len(group_ids) >= min_cell:
        group = frame[isin(frame["person_id"], group_ids) & frame["round"].isin([1, 2]).to_numpy(dtype=bool)]
        star_figure = _star_svg(group, _latest(frame[in_q & mine]), instrument, min_cell, lang,
                                f"{text['star']} – {municipality}, {period}")
        star_blocks = [H.figure(star_figure, text["star_about"].format(n=len(group_ids), **fmt))]
    else:
        star_blocks = [H.paragraph(text["star_none"].format(**fmt), note=True)]
    sections.append(H.section("star", text["star"], star_blocks))
    sections.append(H.section("goals", text["goals"], [
        H.paragraph(text["goals_about"].format(**fmt)),
        H.table(goals_html, text["goals"], right=numbers(goals_html, text["goal"])),
        H.table(goals_wide, text["goals_trend"].format(**fmt), right=numbers(goals_wide, text["quarter"]))]))
    about = H.paragraph(text["privacy"].format(s=suppressed, k=min_cell), note=True)
    if policy.statement:
        sections.insert(0, H.section("secure-machine", policy.statement, [H.paragraph(policy.statement)]))
    page = H.page(text["title"].format(**fmt), sections, lang=lang).replace("</body>", about + "</body>", 1)
    return StatusNote(html=page, tables={"levels": levels, "progression": progression, "trend": trend,
                                         "goals": goals, "goals_trend": goals_trend},
                      suppressed_cells=suppressed)
