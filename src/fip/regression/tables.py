"""Publication-style layout of model-family results: one row per term, one column per model.

Examples
--------
>>> import pandas as pd
>>> from fip.regression.tables import publication_table
>>> tidy = pd.DataFrame({"model": ["m", "m"], "outcome": ["emp_rate", "emp_dummy"],
...     "controls": [False, False], "term": ["x_level", "x_level"], "coef": [0.0678, 0.157],
...     "se": [0.011, 0.021], "stars": ["***", "***"]})
>>> publication_table(tidy).to_dict("records")
[{'term': 'x_level', 'emp_rate': '0.068*** (0.011)', 'emp_dummy': '0.157*** (0.021)'}]
"""

from __future__ import annotations

import pandas as pd

__all__ = ["comparison_table", "fit_comparison", "publication_table"]


def _cells(coef: pd.Series, se: pd.Series, star: pd.Series, digits: int) -> pd.Series:
    return (coef.map(lambda v: f"{v:.{digits}f}") + star.fillna("") + " ("
            + se.map(lambda v: f"{v:.{digits}f}") + ")").where(coef.notna(), "")


def comparison_table(results: pd.DataFrame, *, digits: int = 3) -> pd.DataFrame:
    """Ours beside the published cell, one row per model, term and outcome.

    Returns
    -------
    DataFrame
        ``model``, ``term``, ``outcome``, then per setting of ``controls`` present
        (``without``/``with`` controls) a column of our cells ``coef stars (se)`` and one of
        the published cells.

    Examples
    --------
    >>> import pandas as pd
    >>> tidy = pd.DataFrame({"model": "m", "outcome": "emp_rate", "controls": [False, True],
    ...     "term": "x_level", "coef": [0.07, 0.05], "se": [0.01, 0.012], "stars": ["***", "***"],
    ...     "published_coef": [0.0678, 0.0501], "published_se": [0.011, 0.012],
    ...     "published_stars": ["***", "***"]})
    >>> comparison_table(tidy).iloc[0].tolist()
    ['m', 'x_level', 'emp_rate', '0.070*** (0.010)', '0.068*** (0.011)', '0.050*** (0.012)', '0.050*** (0.012)']
    """
    frame = results[["model", "term", "outcome", "controls"]].copy()
    frame["ours"] = _cells(results["coef"], results["se"], results["stars"], digits)
    frame["published"] = _cells(results["published_coef"], results["published_se"],
                                results["published_stars"], digits)
    keys = ["model", "term", "outcome"]
    out = frame[keys].drop_duplicates().reset_index(drop=True)
    for controls in sorted(frame["controls"].unique()):
        name = "with controls" if controls else "without controls"
        part = frame[frame["controls"] == controls].rename(
            columns={"ours": name, "published": f"{name}, published"}).drop(columns="controls")
        out = out.merge(part, on=keys, how="left")
    return out.fillna("")


def publication_table(results: pd.DataFrame, *, digits: int = 3, published: bool = False) -> pd.DataFrame:
    """Cells ``coef stars (se)``, terms as rows, outcome (and controls) as columns.

    Parameters
    ----------
    results : DataFrame
        Rows of :func:`fip.regression.run_family` (``outcome``, ``controls``, ``term``,
        ``coef``, ``se``, ``stars``); filter it to one model or family first.
    digits : int
        Decimals of coefficients and standard errors (rounding happens only here).
    published : bool
        Use ``published_coef``, ``published_se``, ``published_stars`` instead of ours.

    Returns
    -------
    DataFrame
        ``term`` then one text column per outcome, named ``<outcome>`` or, when the rows
        have both settings of ``controls``, ``<outcome>/without`` and ``<outcome>/with``;
        terms and outcomes keep their first-seen order; empty cells where a term is absent.
    """
    prefix = "published_" if published else ""
    coef, se, star = (results[f"{prefix}{c}"] for c in ("coef", "se", "stars"))
    cell = _cells(coef, se, star, digits)
    both = results["controls"].nunique() > 1
    column = results["outcome"] + (results["controls"].map({True: "/with", False: "/without"}) if both else "")
    frame = pd.DataFrame({"term": results["term"], "column": column, "cell": cell})
    wide = frame.pivot_table(index="term", columns="column", values="cell", aggfunc="first", sort=False)
    wide = wide.reindex(index=list(dict.fromkeys(frame["term"])), columns=list(dict.fromkeys(frame["column"])))
    wide.columns.name = None
    return wide.fillna("").reset_index()


_FIT = ("n", "r2", "adj_r2", "df_resid")


def fit_comparison(results: pd.DataFrame, published: pd.DataFrame | None = None) -> pd.DataFrame:
    """Our N, R², adjusted R² and residual df beside the published ones, one row per model.

    Parameters
    ----------
    results : DataFrame
        Tidy rows of :func:`fip.regression.run_family` (``table``, ``model``, ``outcome``,
        ``controls``, ``n``, ``r2``, ``adj_r2``, ``df_resid``, ...).
    published : DataFrame, optional
        :func:`fip.regression.published_fit_statistics` (default); the study printed fit
        statistics only for Tables 4.5, 4.6, 4.12 and 4.13.

    Returns
    -------
    DataFrame
        ``table``, ``model``, ``outcome``, ``controls``, then for each of ``n``, ``r2``,
        ``adj_r2``, ``df_resid`` ours, ``published_<stat>`` and ``<stat>_difference`` (ours
        minus published); and ``parameters`` / ``published_parameters`` = n − df_resid, the
        number of coefficients plus absorbed caseworkers (areg's model size). Only models of
        a published table with printed fit statistics appear.

    Examples
    --------
    >>> import pandas as pd
    >>> ours = pd.DataFrame({"table": "table_4_5", "model": "citizen", "outcome": "emp_rate",
    ...     "controls": True, "n": [480, 480], "r2": 0.40, "adj_r2": 0.2, "df_resid": 350})
    >>> fit_comparison(ours)[["n", "published_n", "parameters", "published_parameters"]].to_dict("records")
    [{'n': 480, 'published_n': 427, 'parameters': 130, 'published_parameters': 115}]
    """
    if published is None:
        from fip.regression.reference import published_fit_statistics

        published = published_fit_statistics()
    keys = ["table", "outcome", "controls"]
    models = results.loc[results["table"].isin(set(published["table"])), ["model", *keys, *_FIT]]
    models = models.drop_duplicates(["model", *keys])
    pub = published[[*keys, *_FIT]].rename(columns={s: f"published_{s}" for s in _FIT})
    out = models.merge(pub, on=keys, how="inner", validate="many_to_one")
    for stat in _FIT:
        out[f"{stat}_difference"] = out[stat] - out[f"published_{stat}"]
    out["parameters"] = out["n"] - out["df_resid"]
    out["published_parameters"] = out["published_n"] - out["published_df_resid"]
    columns = ["table", "model", "outcome", "controls"]
    columns += [c for stat in _FIT for c in (stat, f"published_{stat}", f"{stat}_difference")]
    return out[columns + ["parameters", "published_parameters"]].reset_index(drop=True)
