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

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["CONTROL_CODING", "month_ordinal", "study_controls"]

#: How the controls are coded: categories, reference levels, age cuts. Calendar-quarter
#: dummies are not here: the regressions add them (fip.regression), the job-chance models
#: leave them out on purpose (a new cohort lies in quarters the model has never seen).
CONTROL_CODING: dict[str, Any] = {
    "gender": {"column": "gender", "indicator": {"female": "female"}, "known": ["female", "male"]},
    "origin": {
        "column": "origin",
        "groups": {
            "syria": ["syria", "syrien", "syrian arab republic", "den syriske arabiske republik"],
            "eritrea": ["eritrea"],
        },
        "reference": "syria",
        "other": "other",
        "indicators": ["eritrea", "other"],
    },
    "age": {"column": "birth_year", "young_below": 30, "old_above": 40},
    "education": {"column": "education", "reference": "primary", "levels": ["beyond_primary", "none", "unknown"]},
    "work_experience": {"column": "work_experience", "reference": "yes", "levels": ["no", "unknown"]},
    "months_in_denmark": {"column": "arrival_date"},
}


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
