"""Descriptive statistics: the sample (section 4.3) and item scores by gender and round.

Works on the paired measurements of :func:`fip.data.pair_forms` (one row per person and
round, all items side by side) and the persons table; any instrument.

Conventions
-----------
* Confidence intervals are t intervals, ``mean ± t(0.975, n-1) · sd/√n`` (sd with n-1), as
  Stata's ``ci means`` and R's ``t.test`` give them.
* Tables pass through a :class:`fip.disclosure.DisclosurePolicy` (``policy``; default the
  configured one, threshold 5): a figure resting on 1-4 persons is missing, so is its ``n``,
  and ``suppressed`` is True; so are figures that would let a reader recover such a group
  by subtraction (women = all - men). ``policy=None`` returns the raw statistics (for
  callers that protect several tables together, as :func:`fip.report.replicate` does).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from fip.controls import CONTROL_CODING
from fip.data.schema import schema_codes
from fip.disclosure import DEFAULT, DisclosurePolicy, Margin, Relation, TableSpec, protect_tables, resolve_policy
from fip.errors import InvalidDataError, Problem
from fip.instrument import Instrument
from fip.messages import languages, messages, section
from fip.published import ITEM_MEAN_KINDS, SAMPLE_KEYS
from fip.study_config import study_facts

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["check_statements", "funnel_with_published", "item_means", "item_progression", "plot_item_means",
           "protect_funnel", "protect_item_tables", "sample_characteristics", "wide_table"]



def _summarise(values: pd.core.groupby.SeriesGroupBy, confidence: float) -> pd.DataFrame:
    out = values.agg(n="count", mean="mean", sd="std")
    out["se"] = out["sd"] / np.sqrt(out["n"])
    dof = (out["n"] - 1).where(out["n"] > 1)
    t = stats.t.ppf(0.5 + confidence / 2, dof)
    out["ci_low"] = out["mean"] - t * out["se"]
    out["ci_high"] = out["mean"] + t * out["se"]
    return out


_MEAN_VALUES = ("mean", "sd", "se", "ci_low", "ci_high")
_CHANGE_VALUES = ("mean_first", "mean_second", "change", "sd", "se", "ci_low", "ci_high")


def _item_means_spec(table: pd.DataFrame) -> TableSpec:
    # ours minus published would give ours back: blanked with it
    values = _MEAN_VALUES + (("difference",) if "difference" in table.columns else ())
    return TableSpec(table, values, margins=(Margin("gender", "all", ("item", "round")),))


def _progression_spec(table: pd.DataFrame) -> TableSpec:
    return TableSpec(table, _CHANGE_VALUES, margins=(Margin("gender", "all", ("item",)),))


def protect_item_tables(
    policy: DisclosurePolicy,
    means: pd.DataFrame | None = None,
    progression: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """Apply ``policy`` to raw :func:`item_means` and :func:`item_progression` tables shown together.

    Within each table all persons = women + men (+ persons of other or unknown gender);
    across the two, the persons with an item in both rounds (a progression row) are among
    those with it in round 1 and in round 2 (the item-means rows of the same gender), so the
    persons in the one but not the other must not number 1-4 either.

    Returns
    -------
    (DataFrame or None, DataFrame or None)
        The protected tables (``None`` where not given).
    """
    specs = {}
    if means is not None:
        specs["means"] = _item_means_spec(means)
    if progression is not None:
        specs["progression"] = _progression_spec(progression)
    relations = []
    if means is not None and progression is not None:
        where = {(row.item, row.gender, row.round): label
                 for label, row in zip(means.index, means[["item", "gender", "round"]].itertuples())}
        for label, row in zip(progression.index, progression[["item", "gender"]].itertuples()):
            for rnd in (1, 2):
                outer = where.get((row.item, row.gender, rnd))
                if outer is not None:
                    relations.append(Relation(("means", outer), (("progression", label),)))
    out = protect_tables(specs, policy, relations)
    return out.get("means"), out.get("progression")


def _long_scores(measurements: pd.DataFrame, persons: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    items = [i for i in instrument.item_ids() if i in measurements.columns]
    if not items:
        raise ValueError("measurements hold none of the instrument's item columns")
    people = persons[["person_id", "gender"]] if "gender" in persons.columns else persons[["person_id"]].assign(gender=pd.NA)
    if not pd.api.types.is_string_dtype(people["gender"].dtype):  # any coding (1/2, ...): grouped as text
        people = people.assign(gender=people["gender"].map(lambda v: pd.NA if pd.isna(v) else str(v)).astype("str"))
    frame = measurements[["person_id", "round", *items]].merge(
        people, on="person_id", how="left", validate="many_to_one"
    )
    long = frame.melt(id_vars=["person_id", "round", "gender"], value_vars=items,
                      var_name="item", value_name="score")
    long["score"] = long["score"].astype("float64")
    return long.dropna(subset=["score"])


def _gender_order(values: pd.Series) -> list[str]:
    """The FIP codes (female, male), then any other codes in sorted order, then ``all``."""
    known = list(schema_codes("persons", "gender"))
    other = sorted({str(v) for v in values.dropna()} - {*known, "all"})
    return [*known, *other, "all"]


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
    policy: DisclosurePolicy | str | None = DEFAULT,
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
    policy : DisclosurePolicy, "default" or None
        Small-cell rule applied (primary and complementary: all = women + men); ``None``
        returns every statistic (raw; ``suppressed`` all False).
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
    table["gender"] = pd.Categorical(table["gender"], _gender_order(table["gender"]))
    table = _order(table, instrument, ["item", "gender", "round"])
    table["gender"] = table["gender"].astype(str)
    table["n"] = table["n"].astype("Int64")
    table["suppressed"] = False
    if published is not None:
        pub = published[["item", "gender", "round", "mean"]].rename(columns={"mean": "published"})
        table = table.merge(pub, on=["item", "gender", "round"], how="left")
        table["difference"] = table["mean"] - table["published"]
    policy = resolve_policy(policy)
    if policy is not None:
        table = protect_item_tables(policy, means=table)[0]
    return table


def item_progression(
    measurements: pd.DataFrame,
    persons: pd.DataFrame,
    instrument: Instrument,
    *,
    first: int = 1,
    second: int = 2,
    confidence: float = 0.95,
    policy: DisclosurePolicy | str | None = DEFAULT,
) -> pd.DataFrame:
    """Change of every item between two rounds for persons with both (Figures 4.11-4.12).

    Returns
    -------
    DataFrame
        One row per item x gender (and ``"all"``): ``respondent``, ``item``, ``gender``,
        ``n`` (persons with the item answered in both rounds), ``mean_first``,
        ``mean_second``, ``change`` (mean of second − first), ``sd``, ``se``, ``ci_low``,
        ``ci_high`` (t interval of the mean change, i.e. a paired t interval),
        ``suppressed`` (the small-cell rule of ``policy``, as in :func:`item_means`).

    Examples
    --------
    >>> import pandas as pd
    >>> from fip.instrument import load_instrument
    >>> m = pd.DataFrame({"person_id": list("aabb"), "round": [1, 2, 1, 2], "c01": [2, 4, 3, 4]})
    >>> p = pd.DataFrame({"person_id": ["a", "b"], "gender": ["male", "male"]})
    >>> item_progression(m, p, load_instrument(), policy=None)[["item", "gender", "n", "change"]]
      item gender  n  change
    0  c01   male  2     1.5
    1  c01    all  2     1.5
    """
    long = _long_scores(measurements, persons, instrument)
    wide = long[long["round"].isin([first, second])].pivot_table(
        index=["person_id", "item"], columns="round", values="score", aggfunc="first"
    )
    if first not in wide.columns or second not in wide.columns:
        raise ValueError(f"no person has item answers in both round {first} and round {second}")
    wide = wide.dropna(subset=[first, second]).reset_index()
    # gender joined afterwards: a person without one (or without a persons row) counts in "all"
    gender = long.drop_duplicates("person_id").set_index("person_id")["gender"]
    wide.insert(1, "gender", gender.reindex(wide["person_id"]).to_numpy())
    wide["change"] = wide[second] - wide[first]
    frames = []
    for gender_key, data in (("gender", wide), (None, wide.assign(gender="all"))):
        grouped = data.groupby(["item", "gender"])
        summary = _summarise(grouped["change"], confidence).rename(columns={"mean": "change"})
        summary["mean_first"] = grouped[first].mean()
        summary["mean_second"] = grouped[second].mean()
        frames.append(summary)
    table = pd.concat(frames).reset_index()
    table["gender"] = pd.Categorical(table["gender"], _gender_order(table["gender"]))
    table = _order(table, instrument, ["item", "gender"])
    table["gender"] = table["gender"].astype(str)
    columns = ["respondent", "item", "gender", "n", "mean_first", "mean_second", "change",
               "sd", "se", "ci_low", "ci_high"]
    table = table[columns].copy()
    table["n"] = table["n"].astype("Int64")
    table["suppressed"] = False
    policy = resolve_policy(policy)
    if policy is not None:
        table = protect_item_tables(policy, progression=table)[1]
    return table


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


def protect_funnel(funnel: pd.DataFrame, policy: DisclosurePolicy | str | None = DEFAULT) -> pd.DataFrame:
    """The small-cell rule applied to a funnel (:func:`funnel_with_published` output).

    Counts of 1-4 are hidden (``n`` and ``difference`` missing, ``suppressed`` True). A
    respondent's forms of all rounds add up to its paired forms plus its exclusions, so a
    reader holding the rounds' form counts must not recover 1-4 forms from either side; and
    ``persons`` of a round equals that round's paired count, so the two are hidden together.

    Examples
    --------
    >>> f = pd.DataFrame({"step": ["forms", "forms", "paired", "paired", "excluded"], "round": [1, 2, 1, 2, None],
    ...                   "respondent": "citizen", "reason": None, "n": [100, 12, 90, 9, 13]})
    >>> protect_funnel(f, DisclosurePolicy(5))["suppressed"].tolist()
    [False, False, False, False, False]
    >>> protect_funnel(f.assign(n=[100, 12, 97, 12, 3]), DisclosurePolicy(5))["suppressed"].tolist()
    [False, False, False, True, True]
    """
    policy = resolve_policy(policy)
    table = funnel.copy()
    if policy is None:
        return table.assign(suppressed=False)
    values = ["difference"] if "difference" in table.columns else []
    relations, known = [], {}
    for respondent, part in table.groupby("respondent", sort=False):
        forms = part[part["step"] == "forms"]
        rest = part[part["step"].isin(["paired", "excluded"])]
        total = ("all forms", respondent)
        known[total] = {"n": int(pd.to_numeric(forms["n"]).sum())}
        relations += [Relation(total, tuple(("funnel", label) for label in forms.index)),
                      Relation(total, tuple(("funnel", label) for label in rest.index))]
    out = protect_tables({"funnel": TableSpec(table, tuple(values))}, policy, relations, known)["funnel"]
    hidden_rounds = set(out.loc[(out["step"] == "paired") & out["suppressed"], "round"])
    same = (out["step"] == "persons") & out["round"].isin(hidden_rounds)
    out.loc[same, "n"] = pd.NA
    out.loc[same, "suppressed"] = True
    for column in values:
        out[column] = out[column].mask(out["suppressed"])
    return out


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
    gender_rank = {g: k for k, g in enumerate(_gender_order(table["gender"]))}
    wide = wide[sorted(wide.columns, key=lambda c: (gender_rank.get(c[0] if isinstance(c, tuple) else c, len(gender_rank)),
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


def _figure_text(lang: str) -> str:
    """``lang`` if it has a message catalogue, else English (figures fall back to English)."""
    return lang if lang in languages() else "en"


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
    from matplotlib.figure import Figure

    from fip._figures import stacked_item_panels

    respondents = list(respondents or instrument.respondent_ids)
    data = means[(means["gender"] != "all") & ~means["suppressed"]]
    if not len(data):  # no groups (no gender column): all persons
        data = means[~means["suppressed"]]
    combos = sorted(data[["gender", "round"]].drop_duplicates().itertuples(index=False, name=None))
    size = (7.5, 1.2 + 0.45 * max(len(instrument.item_ids(r)) for r in respondents) * len(respondents))
    fig = Figure(figsize=size)
    labels = [instrument.label(i, lang) for r in respondents for i in instrument.item_ids(r)]
    axes = fig.subplots(len(respondents), 1, squeeze=False, gridspec_kw=stacked_item_panels(size, labels,
                                                                                             len(respondents)))[:, 0]
    markers = {"female": "o", "male": "s"}
    colours = {1: "0.55", 2: "0.0"}
    words = _figure_text(lang)
    gender_label = section(words, "figures.gender")
    for ax, respondent in zip(axes, respondents):
        items = list(instrument.item_ids(respondent))
        ypos = {item: k for k, item in enumerate(items)}
        offsets = np.linspace(-0.3, 0.3, len(combos)) if len(combos) > 1 else np.zeros(1)
        for off, (gender, rnd) in zip(offsets, combos):
            part = data[(data["gender"] == gender) & (data["round"] == rnd) & data["item"].isin(items)]
            y = part["item"].map(ypos) + off
            ax.errorbar(part["mean"], y, xerr=[part["mean"] - part["ci_low"], part["ci_high"] - part["mean"]],
                        fmt=markers.get(gender, "^"), color=colours.get(rnd, "0.3"),
                        mfc="white" if rnd == 1 else colours.get(rnd, "0.3"), ms=5, capsize=2, lw=1,
                        label=f"{gender_label.get(gender, gender)}, {messages(words)['figures.round']} {rnd}")
        ax.set_yticks(range(len(items)), [instrument.label(i, lang) for i in items], fontsize=8)
        ax.invert_yaxis()
        ax.grid(axis="x", color="0.9")
        if instrument.scale.continuous:
            ax.set_xlabel(messages(words)["figures.mean_axis"] + ", 95 % CI", fontsize=8)
        else:
            ax.set_xlim(instrument.scale.min - 0.2, instrument.scale.max + 0.2)
            ax.set_xlabel(messages(words)["figures.mean_axis"] +
                          f" ({instrument.scale.min}-{instrument.scale.max}), 95 % CI", fontsize=8)
        resp_label = next(r.label for r in instrument.respondents if r.id == respondent)
        ax.set_title(resp_label.get(lang, respondent), fontsize=10, y=1.0)  # y given: not searched for
        ax.legend(fontsize=7, loc="lower right")
    return fig


#: Gender code -> group name of the published sample tables (configs/study.yaml).
_GROUPS: dict[str, str] = dict(study_facts().published_groups)
#: Visitation categories with a known value (the schema's codes other than ``unknown``).
_KNOWN_VISITATION: tuple[str, ...] = tuple(c for c in schema_codes("forms", "visitation") if c != "unknown")
#: Residence grounds of the schema (configs/schema.yaml), in schema order.
_RESIDENCE: tuple[str, ...] = schema_codes("persons", "residence_ground")
#: The named origin groups of the controls (configs/controls.yaml), e.g. syria, eritrea.
_ORIGINS: tuple[str, ...] = tuple(CONTROL_CODING["origin"]["groups"])


def _require(frame: pd.DataFrame, name: str, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidDataError([Problem(name, None, c, None, "this column") for c in missing])


def _cells(frame: pd.DataFrame, groups: Sequence[str], value: pd.Series, statistic: str) -> list[tuple]:
    """(group, statistic, ours, n, k) of ``value`` (aligned with ``frame``; NA = not counted;
    ``k`` = persons with the attribute of a percent, else -1)."""
    out = []
    for group in groups:
        sel = value if group == "all" else value[frame["group"] == group]
        sel = sel.dropna().astype("float64")
        n = len(sel)
        k = int(sel.sum()) if statistic == "percent" else -1
        if statistic == "n":
            ours = float(n)
        elif statistic == "percent":
            ours = 100.0 * sel.mean() if n else np.nan
        elif statistic == "mean":
            ours = sel.mean() if n else np.nan
        else:  # sd, with n - 1 as in Stata's summarize
            ours = sel.std(ddof=1) if n > 1 else np.nan
        out.append((group, statistic, ours, n, k))
    return out


#: Characteristics whose shares split one set of persons into categories (with ``other``
#: persons unshown): a reader may add the shown shares and subtract from 100 %.
_CATEGORIES: tuple[tuple[str, ...], ...] = (
    tuple(f"residence_{c}" for c in _RESIDENCE),
    tuple(f"education_{c}" for c in study_facts().education_groups),
    tuple(f"origin_{c}" for c in _ORIGINS),
    tuple(f"visitation_{c}" for c in _KNOWN_VISITATION))


def _protect_characteristics(table: pd.DataFrame, policy: DisclosurePolicy,
                             persons: dict[int, int]) -> pd.DataFrame:
    """Primary, share and complementary suppression of :func:`sample_characteristics` rows.

    Margins: all = women + men within each characteristic, round and statistic; the
    categories of one split (:data:`_CATEGORIES`) add up to the persons they describe; the
    persons of a round (``persons``, which a report states in its text) = women + men.
    """
    keys = table["round"].astype("string").fillna("")
    table = table.assign(_round=keys)
    percent = table["statistic"] == "percent"
    shares = table[percent]
    others = table[~percent]
    specs = {"percent": TableSpec(shares, ("ours",), k="k", margins=(Margin("group", "all", ("characteristic", "_round")),)),
             "other": TableSpec(others, ("ours",), margins=(Margin("group", "all", ("characteristic", "_round",
                                                                                   "statistic")),))}
    relations, known = [], {}
    for split in _CATEGORIES:
        part = shares[shares["characteristic"].isin(split)]
        for (rnd, group), cells in part.groupby(["_round", "group"], sort=False):
            total = ("persons behind", split[0], rnd, group)
            known[total] = {"n": int(cells["n"].max())}
            relations.append(Relation(total, tuple(("percent", label) for label in cells.index), "k", "n"))
    for rnd, total in persons.items():
        cells = others[(others["characteristic"] == "persons") & (others["round"] == rnd)]
        if len(cells):
            known[("persons", rnd)] = {"n": total}
            relations.append(Relation(("persons", rnd), tuple(("other", label) for label in cells.index)))
    out = protect_tables(specs, policy, relations, known)
    merged = pd.concat([out["percent"], out["other"]]).loc[table.index]
    return merged.drop(columns=["_round"])


def sample_characteristics(
    measurements: pd.DataFrame,
    persons: pd.DataFrame,
    *,
    published: pd.DataFrame | None = None,
    policy: DisclosurePolicy | str | None = DEFAULT,
) -> pd.DataFrame:
    """The sample description of the study (section 4.3, Tabel 4.4) computed from data.

    The same facts as :func:`fip.published.published_sample`, with the same keys. Unless
    said otherwise a fact describes the persons with a round-1 measurement (the study's
    1,007 pairs) and the groups are ``women``, ``men`` and ``all`` (persons of unknown
    gender count in ``all`` only).

    * ``persons`` (``n``, rounds 1 and 2): persons with a measurement in the round.
    * ``age`` (``mean``): age at the round-1 measurement, computed as the calendar year of
      that measurement minus ``birth_year`` (the data hold no birth date, so this is the
      age reached during that year: on average about half a year above the exact age).
      Persons without a birth year are left out.
    * ``origin_syria``, ``origin_eritrea`` (``percent``): among persons with a known
      origin (the report's Figur 4.3 rests on 500 + 491 of the 509 + 498 persons); the
      spellings of :data:`fip.controls.CONTROL_CODING` count ("Syria", "Syrien", ...).
    * ``residence_refugee``, ``residence_family_reunified``, ``residence_unknown``,
      ``work_experience_yes``, ``education_any`` (primary or beyond), ``education_none``,
      ``education_unknown`` (``percent``): among all persons, unknown or missing values
      included in the denominator (the report's figures rest on all 509 + 498 persons and
      show an "unknown" share).
    * ``visitation_job_ready``, ``visitation_activity_ready`` (``percent``, rounds 1 and
      2) and ``visitation_known`` (``n``): the caseworker's category at the measurement,
      among persons with a known category. The report's Tabel 4.4 counts 507 + 497 = 1,004
      persons in round 1 and 265 + 216 = 481 in round 2, 2 + 1 and 1 + 0 fewer than the
      pairs (509 + 498, 266 + 216): it left measurements with an unknown category out of
      the table, percentages included, and so does this function.
    * ``days_between_rounds`` (``mean``, ``sd`` with n - 1): days from the round-1 to the
      round-2 measurement (``days_since_previous`` of round 2), persons with both.

    Not computed: Tabel 4.3 (years of brought education; the layout has only the
    ``education`` category) and the other facts listed in
    :func:`fip.published.published_sample`'s notes. A characteristic whose column is
    missing from the input is left out (no ``gender`` column: only the ``all`` rows).

    Parameters
    ----------
    measurements : DataFrame
        ``pair_forms(...).measurements``: ``person_id`` and ``round`` (required),
        ``measured_on``, ``days_since_previous``, ``visitation`` (each optional).
    persons : DataFrame
        ``person_id`` (required), ``gender``, ``birth_year``, ``origin``,
        ``residence_ground``, ``work_experience``, ``education`` (each optional).
    published : DataFrame, optional
        Published facts with the key columns and ``published`` (and ``printed``), e.g.
        :func:`fip.published.published_sample`; ``None`` compares with nothing.
    policy : DisclosurePolicy, "default" or None
        Small-cell rule: a figure resting on 1-4 persons, a percent whose persons with or
        without the attribute number 1-4, and figures recoverable from the others (all =
        women + men; the categories of one split add up to 100 %) are hidden with their
        ``n``. ``None``: raw.

    Returns
    -------
    DataFrame
        ``source``, ``characteristic``, ``round`` (Int64), ``group``, ``statistic``,
        ``n`` (persons behind the figure: the denominator of a percent, the persons
        averaged for a mean, the count itself for ``n``), ``ours`` (float; percentages on a
        0-100 scale; NaN when suppressed), ``suppressed``, and with
        ``published``: ``published``, ``printed`` and ``difference`` (ours minus
        published; NaN where the report prints words, not a number).

    Raises
    ------
    InvalidDataError
        When ``person_id``/``round`` (measurements) or ``person_id`` (persons) is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame({"person_id": list("abcdefa"), "round": [1, 1, 1, 1, 1, 1, 2],
    ...                   "visitation": ["job_ready"] * 4 + ["activity_ready", "unknown", "job_ready"]})
    >>> p = pd.DataFrame({"person_id": list("abcdef"), "gender": ["female"] * 6})
    >>> t = sample_characteristics(m, p, policy=None)
    >>> t.query("round == 1 and group == 'women'")[["characteristic", "statistic", "n", "ours"]]
                   characteristic statistic  n  ours
    0                     persons         n  6   6.0
    4        visitation_job_ready   percent  5  80.0
    7   visitation_activity_ready   percent  5  20.0
    10           visitation_known         n  5   5.0
    """
    _require(measurements, "measurements", ["person_id", "round"])
    _require(persons, "persons", ["person_id"])
    attributes = [c for c in ("gender", "birth_year", "origin", "residence_ground", "work_experience",
                              "education") if c in persons.columns]
    people = persons[["person_id", *attributes]].drop_duplicates("person_id")
    frame = measurements.merge(people, on="person_id", how="left")
    has_gender = "gender" in frame.columns
    frame["group"] = frame["gender"].map(_GROUPS) if has_gender else pd.Series(pd.NA, index=frame.index,
                                                                                 dtype="object")
    gendered = ["women", "men"] if has_gender else []
    by_round = {r: frame[frame["round"] == r].drop_duplicates("person_id") for r in (1, 2)}
    base = by_round[1]
    rows: list[tuple] = []

    def add(source: str, characteristic: str, rnd: object, data: pd.DataFrame, groups: Sequence[str],
            value: pd.Series, statistic: str) -> None:
        for cell in _cells(data, groups, value, statistic):
            rows.append((source, characteristic, rnd, *cell))

    for rnd in (1, 2):
        data = by_round[rnd]
        add("text", "persons", rnd, data, gendered, pd.Series(1.0, index=data.index), "n")
    if "birth_year" in base.columns and "measured_on" in base.columns:
        age = (pd.to_datetime(base["measured_on"]).dt.year.astype("float64")
               - pd.to_numeric(base["birth_year"]).astype("float64"))
        add("text", "age", pd.NA, base, [*gendered, "all"], age, "mean")
    if "origin" in base.columns:
        origin = base["origin"].astype("string").str.strip().str.lower()
        known = origin.notna() & (origin != "")
        for country in _ORIGINS:
            names = CONTROL_CODING["origin"]["groups"][country]
            share = origin.isin(names).astype("float64").where(known)
            add("text", f"origin_{country}", pd.NA, base, ["all"], share, "percent")
    if "residence_ground" in base.columns:
        ground = base["residence_ground"].astype("string").fillna("unknown").replace("", "unknown")
        for level in _RESIDENCE:
            add("text", f"residence_{level}", pd.NA, base, [*gendered, "all"],
                (ground == level).astype("float64"), "percent")
    if "work_experience" in base.columns:
        work = base["work_experience"].astype("string")
        add("text", "work_experience_yes", pd.NA, base, gendered, (work == "yes").fillna(False).astype("float64"),
            "percent")
    if "education" in base.columns:
        education = base["education"].astype("string").fillna("unknown").replace("", "unknown")
        for level, codes in study_facts().education_groups.items():
            add("text", f"education_{level}", pd.NA, base, ["all"], education.isin(codes).astype("float64"),
                "percent")
    if "visitation" in frame.columns:
        for rnd in (1, 2):
            data = by_round[rnd]
            category = data["visitation"].astype("string")
            known = category.isin(_KNOWN_VISITATION).fillna(False)
            for level in _KNOWN_VISITATION:
                add("Tabel 4.4", f"visitation_{level}", rnd, data, [*gendered, "all"],
                    (category == level).astype("float64").where(known), "percent")
            add("Tabel 4.4", "visitation_known", rnd, data, [*gendered, "all"],
                pd.Series(1.0, index=data.index).where(known), "n")
    if "days_since_previous" in frame.columns:
        days = pd.to_numeric(by_round[2]["days_since_previous"]).astype("float64")
        for statistic in ("mean", "sd"):
            add("text", "days_between_rounds", pd.NA, by_round[2], ["all"], days, statistic)

    table = pd.DataFrame(rows, columns=[*SAMPLE_KEYS, "ours", "n", "k"])
    table["round"] = table["round"].astype("Int64")
    table["n"] = table["n"].astype("Int64")
    table["ours"] = table["ours"].astype("float64")
    table["suppressed"] = False
    policy = resolve_policy(policy)
    if policy is not None:
        table = _protect_characteristics(table, policy, {r: len(by_round[r]) for r in (1, 2)})
    table = table[[*SAMPLE_KEYS, "n", "ours", "suppressed"]]
    if published is not None:
        extra = [c for c in ("published", "printed") if c in published.columns]
        pub = published[[*SAMPLE_KEYS, *extra]].copy()
        pub["round"] = pub["round"].astype("Int64")
        table = table.merge(pub, on=list(SAMPLE_KEYS), how="left", validate="one_to_one")
        table["difference"] = table["ours"] - table["published"]
    return table


def _means_of(means: pd.DataFrame, gender: str, round_: int) -> pd.Series:
    """item -> mean of one gender and round (NaN where suppressed)."""
    part = means[(means["gender"] == gender) & (means["round"] == round_)]
    return part.set_index("item")["mean"].astype("float64")


def _check(check: dict, means: pd.DataFrame, progression: pd.DataFrame, instrument: Instrument,
           where: str) -> tuple[str, object]:
    """(what ours show, holds) of one statement; holds is NA when a needed cell is suppressed."""
    from fip.errors import ConfigError

    kind = check["kind"]
    pool = list(instrument.item_ids(check["respondent"])) if "respondent" in check else list(instrument.item_ids())
    named = list(check.get("items", [])) + list(check.get("except", []))
    unknown = [i for i in named if i not in pool]
    if unknown:
        raise ConfigError(f"{where}: items {unknown} are not items of the respondent in instrument {instrument.id!r}")
    if kind == "positive_change":
        part = progression[progression["gender"].isin(check["genders"]) & progression["item"].isin(pool)]
        change = part["change"].astype("float64")
        if change.isna().any() or part.empty:
            return "suppressed cells", pd.NA
        low = part.loc[change.idxmin()]
        share = float((change > 0).mean())
        return (f"{int((change > 0).sum())} of {len(change)} changes positive; smallest {low['change']:.2f} "
                f"({low['item']}, {low['gender']})"), bool(share >= float(check.get("min_share", 1)))
    if kind == "most_progress":
        part = progression[(progression["gender"] == check["gender"]) & progression["item"].isin(pool)]
        change = part.set_index("item")["change"].astype("float64")
        if change.isna().any() or change.empty:
            return "suppressed cells", pd.NA
        top = change.nlargest(len(check["items"]))
        return "most progress: " + ", ".join(f"{i} ({v:+.2f})" for i, v in top.items()), set(top.index) == set(check["items"])
    if kind == "largest_gap":
        gap = (_means_of(means, check["group"], check["round"]) - _means_of(means, check["than"], check["round"])).reindex(pool)
        if gap.isna().any():
            return "suppressed cells", pd.NA
        top = gap.nlargest(len(check["items"]))
        return "largest gaps: " + ", ".join(f"{i} ({v:.2f})" for i, v in top.items()), set(top.index) == set(check["items"])
    if kind in ("higher", "same"):
        items = list(check["items"]) if kind == "same" else [i for i in pool if i not in check.get("except", [])]
        a = _means_of(means, check["group"], check["round"]).reindex(items)
        b = _means_of(means, check["than"], check["round"]).reindex(items)
        diff = a - b
        if diff.isna().any():
            return "suppressed cells", pd.NA
        if kind == "same":
            return ("difference " + ", ".join(f"{d:.2f} ({i})" for i, d in diff.items()),
                    bool(all(f"{x:.1f}" == f"{y:.1f}" for x, y in zip(a, b))))
        return f"smallest difference {diff.min():.2f} ({diff.idxmin()})", bool((diff > 0).all())
    values = _means_of(means, check["gender"], check["round"]).reindex(pool)
    if values.isna().any():
        return "suppressed cells", pd.NA
    k = len(check["items"])
    ranked = values.nsmallest(k) if kind == "lowest" else values.nlargest(k)
    return f"{kind}: " + ", ".join(ranked.index), set(ranked.index) == set(check["items"])


def check_statements(
    means: pd.DataFrame,
    progression: pd.DataFrame,
    instrument: Instrument,
    statements: dict | None = None,
) -> pd.DataFrame:
    """Does what the report says about the item means hold for these data?

    The report's figures of item means (Figures 4.9-4.12) are images; its text states
    orderings (men above women, which items are lowest and highest, progression on all
    items). ``configs/published_statements.yaml`` restates them as checks; this function
    evaluates them on :func:`item_means` and :func:`item_progression` output.

    Parameters
    ----------
    means, progression : DataFrame
        Output of :func:`item_means` and :func:`item_progression`.
    instrument : Instrument
    statements : dict, optional
        :func:`fip.published.published_statements` (default); statements about another
        instrument than ``instrument`` are not checked (an empty table is returned).

    Returns
    -------
    DataFrame
        ``id``, ``statement`` (the report's claim), ``ours`` (what these data show) and
        ``holds`` (boolean; NA where a needed cell is suppressed).

    Raises
    ------
    ConfigError
        A statement names an item the instrument or respondent does not have.

    Examples
    --------
    >>> from fip.simulate import simulate_cohort
    >>> from fip.data import pair_forms
    >>> ds = simulate_cohort(seed=0)
    >>> m = pair_forms(ds).measurements
    >>> checks = check_statements(item_means(m, ds.persons, ds.instrument),
    ...                           item_progression(m, ds.persons, ds.instrument), ds.instrument)
    >>> checks.loc[checks["id"] == "citizen_highest", ["ours", "holds"]].values.tolist()
    [['highest: c04', True]]
    """
    if statements is None:
        from fip.published import published_statements

        statements = published_statements()
    columns = ["id", "statement", "ours", "holds"]
    if statements.get("instrument") != instrument.id:
        return pd.DataFrame(columns=columns)
    rows = []
    for k, entry in enumerate(statements["statements"]):
        if entry["check"]["kind"] not in ITEM_MEAN_KINDS:
            continue
        ours, holds = _check(entry["check"], means, progression, instrument,
                             f"published statements: statements[{k}] ({entry['id']})")
        rows.append((entry["id"], entry["text"], ours, holds))
    table = pd.DataFrame(rows, columns=columns)
    table["holds"] = table["holds"].astype("boolean")
    return table
