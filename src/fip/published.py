"""The study's published numbers (VIVE 2020, chapter 4) as tidy tables.

The facts live in ``configs/fip_published.yaml``, a transcription of the report; this module
only reshapes them so other modules can print "published" beside "ours".

Examples
--------
>>> from fip.published import published_item_means
>>> published_item_means().query("item == 'c05'")[["item", "gender", "round", "mean"]]
  item  gender  round  mean
0  c05    male      1   4.7
1  c05  female      1   3.4
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import pandas as pd

from fip._resources import config_path, parse_yaml, read_config

__all__ = [
    "load_published",
    "published_funnel",
    "published_item_means",
    "published_loadings",
    "published_sample",
    "published_statements",
    "ITEM_MEAN_KINDS",
    "published_unrotated",
    "SAMPLE_KEYS",
]

_GENDER = {"men": "male", "women": "female"}


@cache
def load_published() -> dict[str, Any]:
    """The whole reference file as a (cached, do not mutate) dictionary."""
    return parse_yaml(config_path("fip_published.yaml").read_text(encoding="utf-8"))


def published_item_means() -> pd.DataFrame:
    """Item means by gender that the report quotes in its text (round 1 only).

    Returns
    -------
    DataFrame
        Columns ``respondent``, ``item``, ``gender`` (female/male), ``round``, ``mean``.
        Only the values printed in the running text; the figures themselves are images.
    """
    quoted = load_published()["item_means"]["round1_quoted"]
    rows = []
    for respondent, items in quoted.items():
        for item, values in items.items():
            if not isinstance(values, dict):
                continue  # the "qualitative" note
            for who, gender in _GENDER.items():
                if values.get(who) is not None:
                    rows.append((respondent, item, gender, 1, float(values[who])))
    return pd.DataFrame(rows, columns=["respondent", "item", "gender", "round", "mean"])


def published_loadings(table: str) -> pd.DataFrame:
    """Rotated loadings of Tabel 4.7 (``"4.7"``, citizen) or 4.8 (``"4.8"``, caseworker).

    Returns
    -------
    DataFrame
        Items (rows, in the printed order) x factors (columns named by the factor keys of
        the reference file, in the order the report describes them).
    """
    keys = {"4.7": "table_4_7_citizen_rotated", "4.8": "table_4_8_caseworker_rotated"}
    if table not in keys:
        raise ValueError(f"table must be one of {sorted(keys)}; got {table!r}")
    entry = load_published()["factor_analysis"][keys[table]]
    factors = [f["key"] for f in entry["factors"]]
    frame = pd.DataFrame(
        {row["item"]: [row["loadings"][f] for f in factors] for row in entry["loadings"]},
        index=factors,
    ).T
    frame.index.name = "item"
    return frame


def published_unrotated(respondent: str) -> dict[str, float] | None:
    """What the report says of the unrotated solution of ``citizen`` or ``caseworker`` items.

    Returns
    -------
    dict or None
        ``first_eigenvalue_over`` (the report prints only "over 4" / "over 5") and
        ``first_proportion`` (the first factor's share of variance, e.g. 0.86); None when the
        report prints nothing (e.g. for all 22 items).
    """
    entry = load_published()["factor_analysis"]["unrotated"].get(respondent)
    if not entry or "first_factor_eigenvalue" not in entry:
        return None
    over = re.match(r"over (\d+(?:\.\d+)?)", str(entry["first_factor_eigenvalue"]))
    return {
        "first_eigenvalue_over": float(over.group(1)) if over else float("nan"),
        "first_proportion": float(entry["first_factor_variance_share"]),
    }


def published_funnel() -> pd.DataFrame:
    """Tabel 4.2: forms per round and respondent, and pairs within the same month.

    Returns
    -------
    DataFrame
        ``step`` (``forms`` or ``paired``), ``round``, ``respondent``, ``n``.
    """
    responses = load_published()["sample"]["responses"]
    rows = []
    for step, key in (("forms", "original"), ("paired", "both_within_same_month")):
        for rnd_key, counts in responses[key].items():
            if not rnd_key.startswith("round"):
                continue
            for respondent, n in counts.items():
                rows.append((step, int(rnd_key.removeprefix("round")), respondent, int(n)))
    return pd.DataFrame(rows, columns=["step", "round", "respondent", "n"])


#: Key columns of :func:`published_sample` (and of :func:`fip.describe.sample_characteristics`).
SAMPLE_KEYS: tuple[str, ...] = ("source", "characteristic", "round", "group", "statistic")

_GROUP = {"women": "women", "men": "men", "all": "all", "Kvinder": "women", "Mænd": "men", "Alle": "all"}


def _fact(value: Any) -> tuple[float, str]:
    """(number, printed text) of one transcribed value; text such as "one quarter" gives NaN."""
    if isinstance(value, bool) or value is None:
        return float("nan"), "" if value is None else str(value)
    if isinstance(value, (int, float)):
        return float(value), str(value)
    return float("nan"), str(value)


def published_sample() -> pd.DataFrame:
    """The study's description of its sample (section 4.3), as far as data can check it.

    Gender counts per round, mean age, shares from Syria and Eritrea, residence ground,
    brought work experience, brought schooling (Figur 4.5, text only), visitation category
    by round and gender (Tabel 4.4, with its person counts) and the days between the first
    and second measurement.

    Returns
    -------
    DataFrame
        Long format, one row per printed fact: ``source`` (``"Tabel 4.4"`` or ``"text"``,
        the running text around Figures 4.2-4.6), ``characteristic``, ``round`` (Int64: 1 or
        2 for facts per round, NA otherwise), ``group``
        (``women``/``men``/``all``), ``statistic`` (``n``, ``mean``, ``sd`` or ``percent``,
        the latter on a 0-100 scale), ``published`` (float; NaN when the report gives words
        only, e.g. "about two thirds" or "remainder") and ``printed`` (the text as transcribed
        in the reference file, with decimal points for the report's commas).
        Characteristics: ``persons``; ``age``; ``origin_syria``, ``origin_eritrea``;
        ``residence_refugee``, ``residence_family_reunified``, ``residence_unknown``;
        ``work_experience_yes``; ``education_any``, ``education_none``,
        ``education_unknown``; ``visitation_job_ready``, ``visitation_activity_ready``,
        ``visitation_known`` (Tabel 4.4 "I alt, personer": persons with a known
        category); ``days_between_rounds``.

    Notes
    -----
    Left out: Tabel 4.3 (years of brought education) needs a years-of-education variable
    the data layout does not have (``persons.education`` is a four-level category, see
    ``configs/schema.yaml``); likewise the years of work experience of Figur 4.7, the job
    search shares of Figur 4.8 (not in the data), the age range 18-65 and the "I alt" rows
    of Tabel 4.4 (always 100). Percent values are those printed (rounded as printed).

    Examples
    --------
    >>> s = published_sample()
    >>> s.query("characteristic == 'persons' and round == 2")[["group", "published"]]
       group  published
    2  women      266.0
    3    men      216.0
    """
    sample = load_published()["sample"]
    rows: list[tuple[str, str, Any, str, str, float, str]] = []

    def add(source: str, characteristic: str, rnd: Any, group: str, statistic: str, value: Any) -> None:
        number, printed = _fact(value)
        rows.append((source, characteristic, rnd, group, statistic, number, printed))

    for rnd in (1, 2):
        counts = sample["gender"][f"round{rnd}"]
        for who in ("women", "men"):
            add("text", "persons", rnd, who, "n", counts[who])
    age = sample["age"]
    for key, group in (("mean_women", "women"), ("mean_men", "men"), ("mean_all", "all")):
        add("text", "age", pd.NA, group, "mean", age[key])
    origin = sample["country_of_origin"]
    for country in ("syria", "eritrea"):
        add("text", f"origin_{country}", pd.NA, "all", "percent", origin[f"{country}_pct"])
    residence = sample["residence_ground"]
    for ground, stem in (("refugee", "refugees"), ("family_reunified", "family_reunified"),
                         ("unknown", "unknown")):
        for group in ("women", "men", "all"):
            entry = residence[group]
            # a number is keyed "<stem>_pct"; words ("about two thirds") are keyed "<stem>"
            value = entry[f"{stem}_pct"] if f"{stem}_pct" in entry else entry[stem]
            add("text", f"residence_{ground}", pd.NA, group, "percent", value)
    work = sample["work_experience"]["brought_work_experience_pct"]
    for group in ("women", "men"):
        add("text", "work_experience_yes", pd.NA, group, "percent", work[group])
    schooling = sample["brought_education"]
    for key, level in (("any_schooling_or_education_pct", "any"), ("no_schooling_pct", "none"),
                       ("unknown_pct", "unknown")):
        add("text", f"education_{level}", pd.NA, "all", "percent", schooling[key])
    table = sample["visitation_category"]
    groups = [_GROUP[c] for c in table["columns"]]
    for rnd in (1, 2):
        block = table[f"round{rnd}"]
        for label, characteristic, statistic in (("Jobparat", "visitation_job_ready", "percent"),
                                                 ("Aktivitetsparat", "visitation_activity_ready", "percent"),
                                                 ("I alt, personer", "visitation_known", "n")):
            for group, value in zip(groups, block[label]):
                add("Tabel 4.4", characteristic, rnd, group, statistic, value)
    days = sample["days_between_rounds"]
    for statistic in ("mean", "sd"):
        add("text", "days_between_rounds", pd.NA, "all", statistic, days[statistic])
    frame = pd.DataFrame(rows, columns=[*SAMPLE_KEYS, "published", "printed"])
    frame["round"] = frame["round"].astype("Int64")
    frame["published"] = frame["published"].astype("float64")
    return frame


#: Check kinds of ``configs/published_statements.yaml`` and the keys each needs.
STATEMENT_KINDS: dict[str, tuple[str, ...]] = {
    # about the item means (fip.describe.check_statements)
    "higher": ("respondent", "round", "group", "than"),
    "same": ("respondent", "round", "group", "than", "items"),
    "lowest": ("respondent", "round", "gender", "items"),
    "highest": ("respondent", "round", "gender", "items"),
    "positive_change": ("genders",),
    "most_progress": ("respondent", "gender", "items"),
    "largest_gap": ("respondent", "round", "group", "than", "items"),
    # about the sample, the outcomes, the factor solutions, agreement and the regressions
    # (fip.statements.check_text_statements)
    "share_higher": ("column", "value", "round", "group", "than"),
    "outcome_higher": ("measure", "higher", "than"),
    "loads_on_first_factor": ("item_set",),
    "agreement_order": ("rank", "pairs"),
    "significant": ("family", "regressors", "type", "outcomes", "controls", "expect"),
}

#: The kinds about item means, checked by :func:`fip.describe.check_statements`.
ITEM_MEAN_KINDS: tuple[str, ...] = ("higher", "same", "lowest", "highest", "positive_change", "most_progress",
                                    "largest_gap")


def published_statements(path: str | None = None) -> dict[str, Any]:
    """What the report says about the item means, as checks (``configs/published_statements.yaml``).

    Returns
    -------
    dict
        ``instrument`` (the instrument id the statements are about) and ``statements``: a
        list of ``{"id", "text", "check"}`` with ``check["kind"]`` one of
        :data:`STATEMENT_KINDS` and its keys (see the file's header);
        :func:`fip.describe.check_statements` evaluates them.

    Raises
    ------
    ConfigError
        Naming the file and the statement when a kind is unknown or a key is missing.

    Examples
    --------
    >>> [s["id"] for s in published_statements()["statements"]][:2]
    ['citizen_men_higher', 'citizen_lowest_men']
    """
    from fip.errors import ConfigError

    source = path or str(config_path("published_statements.yaml"))
    data = read_config(path, "published_statements.yaml", "statements file")
    if not isinstance(data, dict) or not isinstance(data.get("statements"), list) or "instrument" not in data:
        raise ConfigError(f"{source}: expected keys 'instrument' and 'statements' (a list)")
    for k, entry in enumerate(data["statements"]):
        where = f"statements[{k}]"
        if not isinstance(entry, dict) or not {"id", "text", "check"} <= set(entry):
            raise ConfigError(f"{source}: {where}: expected keys id, text and check")
        check = entry["check"]
        kind = check.get("kind") if isinstance(check, dict) else None
        if kind not in STATEMENT_KINDS:
            raise ConfigError(f"{source}: {where} ({entry['id']}): check kind must be one of "
                              f"{', '.join(STATEMENT_KINDS)}; got {kind!r}")
        missing = [key for key in STATEMENT_KINDS[kind] if key not in check]
        if missing:
            raise ConfigError(f"{source}: {where} ({entry['id']}): a {kind} check needs {', '.join(missing)}")
        if kind == "agreement_order" and check["rank"] not in ("highest", "lowest"):
            raise ConfigError(f"{source}: {where} ({entry['id']}): rank must be highest or lowest; got {check['rank']!r}")
        if kind == "significant" and check["expect"] not in ("positive", "negative", "none"):
            raise ConfigError(f"{source}: {where} ({entry['id']}): expect must be positive, negative or none; "
                              f"got {check['expect']!r}")
    return data
