"""The study's published regression coefficients (Tables 4.5-4.13) as one tidy table.

Examples
--------
>>> from fip.regression.reference import published_coefficients
>>> pub = published_coefficients()
>>> row = pub.query("table == 'table_4_9' and regressor == 'index_citizen_all11' and type == 'level' "
...                 "and outcome == 'emp_rate' and not controls")
>>> float(row["coef"].iloc[0]), float(row["se"].iloc[0]), row["stars"].iloc[0]
(0.0678, 0.011, '***')
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from fip.published import load_published

__all__ = ["published_coefficients", "published_fit_statistics"]


@cache
def _coefficients() -> pd.DataFrame:
    rows = []
    for table, entry in load_published()["regressions"].items():
        default = entry.get("controls")
        for c in entry.get("coefficients", []):
            controls = c.get("controls", default)
            rows.append({
                "table": table, "regressor": c["regressor"], "type": c["type"],
                "outcome": c["outcome"], "controls": bool(controls) if isinstance(controls, bool) else None,
                "coef": float(c["coef"]), "se": float(c["se"]), "stars": c.get("stars") or "",
            })
    return pd.DataFrame(rows).astype({"table": "str", "regressor": "str", "type": "str", "outcome": "str",
                                      "stars": "str"})


def published_coefficients() -> pd.DataFrame:
    """Every published regression coefficient.

    Returns
    -------
    DataFrame
        ``table`` (e.g. ``table_4_9``), ``regressor`` (item id or index key of the reference
        file), ``type`` (``level``/``change``), ``outcome``, ``controls`` (bool), ``coef``,
        ``se``, ``stars``. A copy; the reference file's printing-error notes stay in the file.
    """
    return _coefficients().copy()


def published_fit_statistics() -> pd.DataFrame:
    """N, R², adjusted R² and residual df where printed (Tables 4.5, 4.6, 4.12, 4.13).

    Returns
    -------
    DataFrame
        ``table``, ``outcome``, ``controls``, ``n``, ``r2``, ``adj_r2``, ``df_resid``.
    """
    rows = []
    keys = {"N": "n", "R2": "r2", "Adjusted-R2": "adj_r2", "DF": "df_resid"}
    for table, entry in load_published()["regressions"].items():
        stats = entry.get("fit_statistics")
        if not stats:
            continue
        for col in entry["columns"]:
            row = {"table": table, "outcome": col["outcome"],
                   "controls": bool(col.get("controls", entry.get("controls")))}
            for key, name in keys.items():
                values = {v["column"]: v["value"] for v in stats[key]["by_column"]}
                row[name] = values[col["position"]]
            rows.append(row)
    return pd.DataFrame(rows)
