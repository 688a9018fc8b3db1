"""What the study's text states beyond the item means, as checks that hold or fail on any data.

``configs/published_statements.yaml`` restates the text's claims as checks. Those about the
item means are evaluated by :func:`fip.describe.check_statements`; this module evaluates the
rest (:data:`TEXT_KINDS`): which gender is more often job-ready (Tabel 4.4), the monthly
outcome paths after round 2 (:mod:`fip.outcome_paths`), every item loading on the first
unrotated factor, where citizen and caseworker agree most and least
(:mod:`fip.agreement`), and which items and indices carry employment and education in the
regressions (p < 0.05, with the sign).

Examples
--------
>>> import pandas as pd
>>> loadings = pd.DataFrame({"F1": [0.6, 0.5], "F2": [0.1, -0.4]}, index=["c01", "c02"])
>>> s = {"instrument": "fip", "statements": [{"id": "x", "text": "All items load on factor 1.",
...      "check": {"kind": "loads_on_first_factor", "item_set": "citizen"}}]}
>>> check_text_statements(s, unrotated={"citizen": loadings})[["ours", "holds"]].values.tolist()
[['smallest |loading| on factor 1: 0.50 (c02)', True]]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["TEXT_KINDS", "check_text_statements", "visitation_shares"]

#: Check kinds evaluated here (the item-mean kinds are :data:`fip.published.ITEM_MEAN_KINDS`).
TEXT_KINDS: tuple[str, ...] = ("share_higher", "outcome_higher", "loads_on_first_factor", "agreement_order",
                               "significant")

_NOT_COMPUTED = ("not computed for these data", pd.NA)


def visitation_shares(measurements: pd.DataFrame, persons: pd.DataFrame, policy=None) -> pd.DataFrame:
    """Percent job-ready (``visitation == "job_ready"``) by round and gender, of the known.

    Returns
    -------
    DataFrame
        ``round``, ``gender`` (the persons' codes and ``all``), ``n`` (persons with a known
        visitation) and ``job_ready`` (percent); blanked where ``policy`` finds ``n`` small.

    Examples
    --------
    >>> m = pd.DataFrame({"person_id": list("abcdef"), "round": 1,
    ...                   "visitation": ["job_ready"] * 5 + ["activity_ready"]})
    >>> p = pd.DataFrame({"person_id": list("abcdef"), "gender": ["female"] * 3 + ["male"] * 3})
    >>> visitation_shares(m, p).set_index("gender")["job_ready"].round(1).to_dict()
    {'all': 83.3, 'female': 100.0, 'male': 66.7}
    """
    gender = persons.drop_duplicates("person_id").set_index("person_id")["gender"]
    m = measurements[measurements["visitation"].notna()]
    frame = pd.DataFrame({"round": m["round"].to_numpy(), "gender": gender.reindex(m["person_id"]).to_numpy(),
                          "job_ready": 100.0 * (m["visitation"] == "job_ready").to_numpy()})
    both = pd.concat([frame, frame.assign(gender="all")])
    out = both.groupby(["round", "gender"], sort=True)["job_ready"].agg(["size", "mean"]).reset_index()
    out = out.rename(columns={"size": "n", "mean": "job_ready"})
    if policy is not None:
        small = policy.is_small(out["n"])
        out.loc[small, "job_ready"] = np.nan
    return out


def _published(check: Mapping[str, Any]) -> str:
    values = check.get("published")
    return "" if not values else " (published " + " vs ".join(str(v) for v in values) + ")"


def _share_higher(check, visitation) -> tuple[str, object]:
    if visitation is None:
        return _NOT_COMPUTED
    shares = visitation.set_index(["round", "gender"])["job_ready"]
    a = shares.get((check["round"], check["group"]), np.nan)
    b = shares.get((check["round"], check["than"]), np.nan)
    if np.isnan(a) or np.isnan(b):
        return "suppressed or missing cells", pd.NA
    return f"{check['group']} {a:.1f} %, {check['than']} {b:.1f} %" + _published(check), bool(a > b)


def _outcome_higher(check, paths) -> tuple[str, object]:
    if paths is None:
        return _NOT_COMPUTED
    measure = check["measure"]
    sides = []
    for side in (check["higher"], check["than"]):
        part = paths[(paths["gender"] == side["gender"]) & (paths["month"] == side["month"])]
        sides.append(float(part[measure].iloc[0]) if len(part) == 1 else np.nan)
    a, b = sides
    if np.isnan(a) or np.isnan(b):
        return "suppressed or missing cells", pd.NA
    label = [f"{s['gender']} month {s['month']}" for s in (check["higher"], check["than"])]
    return f"{measure}: {label[0]} {a:.1f} %, {label[1]} {b:.1f} %" + _published(check), bool(a > b)


def _loads_on_first(check, unrotated) -> tuple[str, object]:
    loadings = None if unrotated is None else unrotated.get(check["item_set"])
    if loadings is None or loadings.empty:
        return _NOT_COMPUTED
    first = loadings.iloc[:, 0].abs()
    threshold = float(check.get("threshold", 0.3))
    return (f"smallest |loading| on factor 1: {first.min():.2f} ({first.idxmin()})",
            bool((first > threshold).all()))


def _agreement(check, agreement) -> tuple[str, object]:
    if agreement is None or agreement.empty:
        return _NOT_COMPUTED
    r = agreement.set_index(["citizen_item", "caseworker_item"])["r"].astype("float64")
    if r.isna().any():
        return "suppressed cells", pd.NA
    pairs = {tuple(p) for p in check["pairs"]}
    n = int(check.get("n", len(pairs)))
    ranked = r.sort_values(ascending=check["rank"] == "lowest").iloc[:n]
    text = f"{check['rank']} r: " + ", ".join(f"{a}/{b} {v:.2f}" for (a, b), v in ranked.items())
    return text, bool(set(ranked.index) <= pairs)


def _significant(check, regressions) -> tuple[str, object]:
    table = None if regressions is None else regressions.get(check["family"])
    if table is None or table.empty:
        return _NOT_COMPUTED
    controls = check["controls"] if isinstance(check["controls"], list) else [check["controls"]]
    part = table[table["regressor"].isin(check["regressors"]) & (table["type"] == check["type"])
                 & table["outcome"].isin(check["outcomes"]) & table["controls"].isin(controls)]
    expected = len(check["regressors"]) * len(check["outcomes"]) * len(controls)
    if len(part) != expected or part["p"].isna().any():
        return "not all of these coefficients were estimated", pd.NA
    significant = part["p"] < 0.05
    expect = check["expect"]
    if expect == "none":
        ok = ~significant
    else:
        ok = significant & (np.sign(part["coef"]) == (1 if expect == "positive" else -1))
    worst = part.loc[part["p"].idxmax() if expect != "none" else part["p"].idxmin()]
    return (f"{int(ok.sum())} of {len(part)} as stated; p {'largest' if expect != 'none' else 'smallest'} "
            f"{worst['p']:.3f} ({worst['regressor']}, {worst['outcome']}, "
            f"{'with' if worst['controls'] else 'without'} controls)"), bool(ok.all())


def check_text_statements(
    statements: Mapping[str, Any] | None = None,
    *,
    visitation: pd.DataFrame | None = None,
    paths: pd.DataFrame | None = None,
    unrotated: Mapping[str, pd.DataFrame] | None = None,
    agreement: pd.DataFrame | None = None,
    regressions: Mapping[str, pd.DataFrame] | None = None,
    instrument_id: str = "fip",
) -> pd.DataFrame:
    """Do the text's statements about the sample, outcomes, factors, agreement and regressions hold?

    Parameters
    ----------
    statements : mapping, optional
        :func:`fip.published.published_statements` (default); only :data:`TEXT_KINDS` are
        evaluated, and nothing when its ``instrument`` is not ``instrument_id``.
    visitation : DataFrame, optional
        :func:`visitation_shares`.
    paths : DataFrame, optional
        :func:`fip.outcome_paths.outcome_paths`.
    unrotated : mapping of str -> DataFrame, optional
        Item set -> unrotated loadings (items x factors, first column the first factor).
    agreement : DataFrame, optional
        :func:`fip.agreement.parallel_agreement`.
    regressions : mapping of str -> DataFrame, optional
        Family -> tidy results of :func:`fip.regression.run_family` (``regressor``,
        ``type``, ``outcome``, ``controls``, ``coef``, ``p``).
    instrument_id : str
        The instrument of the data.

    Returns
    -------
    DataFrame
        ``id``, ``statement``, ``source`` (where the text says it), ``ours`` and ``holds``
        (boolean; NA where an input is missing or suppressed).
    """
    if statements is None:
        from fip.published import published_statements

        statements = published_statements()
    columns = ["id", "statement", "source", "ours", "holds"]
    if statements.get("instrument") != instrument_id:
        return pd.DataFrame(columns=columns).astype({"holds": "boolean"})
    evaluate = {
        "share_higher": lambda c: _share_higher(c, visitation),
        "outcome_higher": lambda c: _outcome_higher(c, paths),
        "loads_on_first_factor": lambda c: _loads_on_first(c, unrotated),
        "agreement_order": lambda c: _agreement(c, agreement),
        "significant": lambda c: _significant(c, regressions),
    }
    rows = []
    for entry in statements["statements"]:
        kind = entry["check"]["kind"]
        if kind in evaluate:
            ours, holds = evaluate[kind](entry["check"])
            rows.append((entry["id"], entry["text"], entry.get("source", ""), ours, holds))
    table = pd.DataFrame(rows, columns=columns)
    table["holds"] = table["holds"].astype("boolean")
    return table

