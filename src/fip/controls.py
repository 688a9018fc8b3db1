"""The study's background controls (VIVE 2020, section 4.2.2), coded once for every model.

Gender (male reference), origin group (Syria reference; Eritrea; other), age group at the
reference date (18-29, 30-40 reference, 41-65), education and work experience brought from
the home country, months in Denmark at the reference date. Used by the regressions
(:func:`fip.regression.build_analysis_table`, reference date = round 2) and the job-chance
models (:mod:`fip.predict`, whose model files carry the coding they were trained with).

Examples
--------
>>> import pandas as pd
>>> p = pd.DataFrame({"person_id": ["a"], "gender": ["female"], "origin": ["Eritrea"],
...     "birth_year": [1990], "education": ["none"], "work_experience": ["yes"],
...     "arrival_date": [pd.Timestamp("2016-03-10")]})
>>> row = study_controls(p, pd.Series([pd.Timestamp("2018-05-02")], index=["a"])).iloc[0]
>>> row[["female", "origin_eritrea", "age_18_29", "education_none", "months_in_denmark"]].tolist()
[1.0, 1.0, 1.0, 1.0, 26.0]
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fip._resources import config_path, read_config
from fip.errors import ConfigError

__all__ = ["CONTROL_CODING", "load_control_coding", "month_ordinal", "study_controls"]

_SECTIONS = ("gender", "origin", "age", "education", "work_experience", "months_in_denmark")


def _schema_codes(table: str, column: str) -> tuple[str, ...]:
    from fip.data.schema import schema_codes

    return schema_codes(table, column)


@cache
def _load(path: str | None) -> dict[str, Any]:
    p = Path(path) if path is not None else config_path("controls.yaml")
    raw = read_config(p, "controls.yaml", "control coding file")
    src = p.name

    def bad(key: str, expected: str) -> ConfigError:
        return ConfigError(f"{src}: {key}: {expected}")

    if not isinstance(raw, Mapping) or not isinstance(raw.get("controls"), Mapping):
        raise bad("controls", "expected a mapping 'controls' with the sections " + ", ".join(_SECTIONS))
    c = raw["controls"]
    for name in _SECTIONS:
        if not isinstance(c.get(name), Mapping):
            raise bad(f"controls.{name}", "missing (expected a mapping with at least 'column')")
        if not isinstance(c[name].get("column"), str) or not c[name]["column"]:
            raise bad(f"controls.{name}.column", f"expected the persons column to read; got {c[name].get('column')!r}")
    if unknown := sorted(set(c) - set(_SECTIONS)):
        raise bad(f"controls.{unknown[0]}", f"unknown section; expected one of {list(_SECTIONS)}")

    genders = _schema_codes("persons", "gender")
    g = c["gender"]
    indicator = g.get("indicator")
    if not isinstance(indicator, Mapping) or set(indicator) != {"female"} or indicator["female"] not in genders:
        raise bad("controls.gender.indicator", f"expected {{female: <code>}} with a gender code of schema.yaml "
                                               f"{list(genders)}; got {indicator!r}")
    out: dict[str, Any] = {"gender": {"column": g["column"], "indicator": {"female": str(indicator["female"])},
                                      "known": list(genders)}}

    o = c["origin"]
    groups = o.get("groups")
    if not isinstance(groups, Mapping) or not groups:
        raise bad("controls.origin.groups", "expected a mapping group -> list of spellings")
    for name, names in groups.items():
        if not isinstance(names, list) or not names or not all(isinstance(x, str) and x for x in names):
            raise bad(f"controls.origin.groups.{name}", f"expected a non-empty list of spellings (text); got {names!r}")
        if any(x != x.strip().lower() for x in names):
            raise bad(f"controls.origin.groups.{name}", f"spellings must be stripped and lower-case; got {names!r}")
    other = o.get("other")
    if not isinstance(other, str) or other in groups:
        raise bad("controls.origin.other", f"expected the name of the remaining group (not a named group); got {other!r}")
    if o.get("reference") not in groups:
        raise bad("controls.origin.reference", f"expected one of the groups {list(groups)}; got {o.get('reference')!r}")
    indicators = o.get("indicators")
    allowed = [k for k in groups if k != o["reference"]] + [other]
    if not isinstance(indicators, list) or not indicators or any(k not in allowed for k in indicators):
        raise bad("controls.origin.indicators", f"expected a list of groups from {allowed}; got {indicators!r}")
    out["origin"] = {"column": o["column"], "groups": {str(k): list(v) for k, v in groups.items()},
                     "reference": o["reference"], "other": other, "indicators": list(indicators)}

    a = c["age"]
    for key in ("young_below", "old_above"):
        if isinstance(a.get(key), bool) or not isinstance(a.get(key), int):
            raise bad(f"controls.age.{key}", f"expected a whole number of years; got {a.get(key)!r}")
    if a["young_below"] > a["old_above"]:
        raise bad("controls.age", f"young_below ({a['young_below']}) must not exceed old_above ({a['old_above']})")
    out["age"] = {"column": a["column"], "young_below": a["young_below"], "old_above": a["old_above"]}

    for key in ("education", "work_experience"):
        codes = _schema_codes("persons", key)
        ref = c[key].get("reference")
        if ref not in codes:
            raise bad(f"controls.{key}.reference", f"expected a code of schema.yaml {list(codes)}; got {ref!r}")
        out[key] = {"column": c[key]["column"], "reference": ref, "levels": [x for x in codes if x != ref]}
    out["months_in_denmark"] = {"column": c["months_in_denmark"]["column"]}
    return out


def load_control_coding(path: str | Path | None = None) -> dict[str, Any]:
    """The coding of the study's controls, from ``configs/controls.yaml`` (or ``path``).

    Codes are checked against ``configs/schema.yaml``; the non-reference levels of education
    and work experience, and the known gender codes, are taken from there.

    Parameters
    ----------
    path : str or Path, optional
        A file laid out like ``configs/controls.yaml``.

    Returns
    -------
    dict
        ``gender`` (``column``, ``indicator``, ``known``), ``origin`` (``column``,
        ``groups``, ``reference``, ``other``, ``indicators``), ``age`` (``column``,
        ``young_below``, ``old_above``), ``education`` and ``work_experience`` (``column``,
        ``reference``, ``levels``), ``months_in_denmark`` (``column``). A new copy on each
        call (the parsed file is cached).

    Raises
    ------
    ConfigError
        One line naming the file and the key that is wrong.

    Examples
    --------
    >>> load_control_coding()["education"]["levels"]
    ['beyond_primary', 'none', 'unknown']
    """
    return copy.deepcopy(_load(str(path) if path is not None else None))


#: How the controls are coded: categories, reference levels, age cuts
#: (:func:`load_control_coding` of ``configs/controls.yaml``).
CONTROL_CODING: dict[str, Any] = load_control_coding()


def month_ordinal(values: pd.Series) -> np.ndarray:
    """Months since 1970-01 of each date (the ordinal of ``period[M]``); NaN where missing."""
    d = pd.to_datetime(values)
    return ((d.dt.year - 1970) * 12 + d.dt.month - 1).to_numpy(dtype=np.float64, na_value=np.nan)


def study_controls(
    persons: pd.DataFrame, ref_on: pd.Series, coding: Mapping[str, Any] = CONTROL_CODING
) -> pd.DataFrame:
    """Controls at the reference dates ``ref_on`` (index person_id); NaN where unknown."""
    p = persons.drop_duplicates("person_id").set_index("person_id").reindex(ref_on.index)
    out = pd.DataFrame(index=ref_on.index)
    g = coding["gender"]
    gender = p[g["column"]].astype("string").str.strip().str.lower()
    out["female"] = (gender == g["indicator"]["female"]).astype("float64").where(gender.isin(g["known"]))
    o = coding["origin"]
    origin = p[o["column"]].astype("string").str.strip().str.lower()
    known = origin.notna() & (origin != "")
    named = {name for names in o["groups"].values() for name in names}
    for group in o["indicators"]:
        if group == o["other"]:
            flag = ~origin.isin(named)
        else:
            flag = origin.isin(o["groups"][group])
        out[f"origin_{group}"] = flag.astype("float64").where(known)
    a = coding["age"]
    age = pd.to_datetime(ref_on).dt.year.astype("float64") - pd.to_numeric(p[a["column"]]).astype("float64")
    out["age_18_29"] = (age < a["young_below"]).astype("float64").where(age.notna())
    out["age_41_65"] = (age > a["old_above"]).astype("float64").where(age.notna())
    for key in ("education", "work_experience"):
        spec = coding[key]
        values = p[spec["column"]].astype("string")
        ok = values.isin([spec["reference"], *spec["levels"]])
        for level in spec["levels"]:
            out[f"{key}_{level}"] = (values == level).astype("float64").where(ok)
    out["months_in_denmark"] = month_ordinal(ref_on) - month_ordinal(p[coding["months_in_denmark"]["column"]])
    return out
