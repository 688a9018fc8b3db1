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
import yaml

from fip._resources import config_path

__all__ = [
    "load_published",
    "published_funnel",
    "published_item_means",
    "published_loadings",
    "published_unrotated",
]

_GENDER = {"men": "male", "women": "female"}


@cache
def load_published() -> dict[str, Any]:
    """The whole reference file as a (cached, do not mutate) dictionary."""
    return yaml.safe_load(config_path("fip_published.yaml").read_text(encoding="utf-8"))


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
