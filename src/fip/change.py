"""Smallest detectable change of items and indices, and how many persons' changes exceed it.

``SEM = sd · √(1 − reliability)`` (standard error of measurement, in scale points) and
``SDC95 = 1.96 · √2 · SEM`` (the smallest change between two measurements that exceeds
measurement error with 95 % confidence; de Vet et al. 2006). ``sd`` is the round-1 standard
deviation across persons.

Which reliability
-----------------
* **Index**: Cronbach's alpha of its items at round 1 (internal consistency;
  :func:`fip.reliability.cronbach_alpha`). A test–retest ICC between rounds 1 and 2 is not
  used: between the rounds citizens do change (that is what is measured), so round-to-round
  disagreement is not error.
* **Single item**: alpha does not exist and the citizen-vs-caseworker ICC is not a
  reliability either (two different judges with their own view; their systematic
  difference is what :mod:`fip.agreement` reports). fip uses the item's squared multiple
  correlation with the other items of the same form at round 1 (SMC, :func:`fip.factors.smc`).
  The SMC is a lower bound of the item's communality and so of its reliability (Guttman
  1945): the SEM is, if anything, too large and the SDC conservative. A change marked as
  exceeding it is not measurement noise.

Examples
--------
>>> from fip.simulate import simulate_cohort
>>> from fip.study import Study
>>> sdc = smallest_detectable_change(Study(simulate_cohort(seed=0)))
>>> 1 < sdc["c09"] < 6
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fip._options import check_option

if TYPE_CHECKING:
    from fip.study import Study

__all__ = ["Z95", "change_table", "smallest_detectable_change"]

Z95 = 1.959963984540054  # standard normal 97.5 % point


def _rows(study: Study, rounds: tuple[int, int]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    m = study.measurements
    first, second = (m[m["round"] == r].set_index(m[m["round"] == r]["person_id"].astype("str")) for r in rounds)
    s = study.index_scores
    ifirst, isecond = (s[s["round"] == r].set_index(s[s["round"] == r]["person_id"].astype("str")) for r in rounds)
    return first, second, ifirst, isecond


def change_table(study: Study, rounds: tuple[int, int] = (1, 2)) -> pd.DataFrame:
    """SEM, SDC95 and the share of persons whose change exceeds SDC95, per item and index.

    Parameters
    ----------
    study : Study
        Measurements and index scores of the study.
    rounds : (int, int)
        The two rounds compared (round ``rounds[0]`` gives sd and reliability).

    Returns
    -------
    DataFrame
        One row per item, then per index: ``kind`` (``item``/``index``), ``id``, ``n``
        (persons in the first round), ``sd``, ``reliability``, ``reliability_kind`` (``smc``
        or ``alpha``), ``sem``, ``sdc95``, ``n_change`` (persons with both rounds),
        ``share_beyond`` (|change| > SDC95), ``share_better``, ``share_worse``. Figures resting
        on 1-4 persons (the Study's policy) are blank; so is a share whose count of persons is
        1-4, or from which such a count follows (beyond = better + worse, n − beyond).
    """
    from fip.factors import smc
    from fip.reliability import cronbach_alpha

    if len(rounds) != 2 or rounds[0] == rounds[1]:
        raise ValueError(f"rounds must be two different rounds; got {rounds!r}")
    first, second, ifirst, isecond = _rows(study, rounds)
    rows = []
    for item_set in (s for s in study.item_sets if s != "both"):      # each respondent's form
        items = study.items_of(item_set)
        answers = first[list(items)].astype("float64")
        complete = answers.dropna()
        r = complete.corr().to_numpy() if len(complete) > len(items) else None
        smcs = dict(zip(items, smc(r))) if r is not None and np.isfinite(r).all() else {}
        for item in items:
            rel = float(smcs.get(item, np.nan))
            rows.append(_row("item", item, answers[item], second[item].astype("float64") if item in second else None,
                             rel, "smc"))
    for d in study.definitions:
        if d.id not in ifirst.columns:
            continue
        if len(d.items) >= 2:
            rel, kind = cronbach_alpha(first[list(d.items)].astype("float64")).alpha, "alpha"
        else:
            rel, kind = next((row["reliability"] for row in rows if row["id"] == d.items[0]), np.nan), "smc"
        rows.append(_row("index", d.id, ifirst[d.id].astype("float64"), isecond[d.id].astype("float64"), float(rel), kind))
    table = pd.DataFrame(rows)
    small_n = np.asarray(study.policy.is_small(table["n"].to_numpy()), dtype=bool)
    small_c = np.asarray(study.policy.is_small(table["n_change"].to_numpy()), dtype=bool)
    table.loc[small_n, ["sd", "reliability", "sem", "sdc95"]] = np.nan
    shares = ["share_beyond", "share_better", "share_worse"]
    table.loc[small_n | small_c, shares] = np.nan
    # the shares reveal counts of persons: a count of 1-4 shows no share, nor does a share from
    # which it can be derived (beyond = better + worse; not beyond = n_change − beyond)
    counts = {c: (table[c] * table["n_change"]).round().fillna(0).to_numpy(dtype="int64") for c in shares}
    is_small = lambda n: np.asarray(study.policy.is_small(n), dtype=bool)  # noqa: E731
    hide_all = is_small(counts["share_beyond"]) | is_small(table["n_change"].to_numpy(dtype="int64") - counts["share_beyond"])
    hide_better, hide_worse = is_small(counts["share_better"]), is_small(counts["share_worse"])
    hide_all |= hide_better ^ hide_worse  # one hidden, the other and beyond shown: derivable
    table.loc[hide_all | hide_better, "share_better"] = np.nan
    table.loc[hide_all | hide_worse, "share_worse"] = np.nan
    table.loc[hide_all, "share_beyond"] = np.nan
    table["n"] = table["n"].astype("Int64").mask(small_n)
    table["n_change"] = table["n_change"].astype("Int64").mask(small_c)
    return table


def _row(kind: str, id_: str, first: pd.Series, second: pd.Series | None, reliability: float, rel_kind: str) -> dict:
    x = first.dropna()
    sd = float(x.std(ddof=1)) if len(x) > 1 else np.nan
    sem = sd * np.sqrt(1 - reliability) if np.isfinite(reliability) and reliability <= 1 else np.nan
    sdc = Z95 * np.sqrt(2) * sem
    change = (second.reindex(first.index) - first).dropna() if second is not None else pd.Series(dtype="float64")
    change = change[~change.index.duplicated()]
    n_change = len(change)
    share = lambda mask: float(mask.mean()) if n_change and np.isfinite(sdc) else np.nan  # noqa: E731
    return {"kind": kind, "id": id_, "n": len(x), "sd": sd, "reliability": reliability,
            "reliability_kind": rel_kind, "sem": sem, "sdc95": sdc, "n_change": n_change,
            "share_beyond": share(change.abs() > sdc), "share_better": share(change > sdc),
            "share_worse": share(change < -sdc)}


def smallest_detectable_change(study: Study, rounds: tuple[int, int] = (1, 2), kind: str = "item") -> dict[str, float]:
    """SDC95 in scale points of every item (or index) with one: ``{id: points}``.

    The form :func:`fip.star.plot_star` and :func:`fip.star.card_html` take as
    ``smallest_change``. Items whose SDC rests on 1-4 persons are left out.

    Examples
    --------
    >>> from fip.simulate import simulate_cohort
    >>> from fip.study import Study
    >>> sorted(smallest_detectable_change(Study(simulate_cohort(seed=0))))[:2]
    ['c01', 'c02']
    """
    check_option("kind", kind, ("item", "index"))
    table = change_table(study, rounds)
    table = table[(table["kind"] == kind) & table["sdc95"].notna()]
    return {str(i): float(v) for i, v in zip(table["id"], table["sdc95"])}
