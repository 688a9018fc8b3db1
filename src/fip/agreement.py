"""How far the caseworker agrees with the citizen, item by item (the parallel items).

The instrument lists items asked of both respondents (``parallel_items`` of
``configs/instrument.yaml``: c01/w01 cooperation, c09/w08 speaking Danish, ...). For each such
pair this module gives, over the persons with both answers in one round, the Pearson
correlation of the two answers and the mean and mean absolute difference (citizen minus
caseworker). The study's text says citizen and caseworker agree most on Danish and least on
confidence and cooperation; :mod:`fip.statements` checks that ordering with the correlation.

Examples
--------
>>> from fip.simulate import simulate_cohort
>>> from fip.study import Study
>>> table = parallel_agreement(Study(simulate_cohort(seed=0)))
>>> table[["citizen_item", "caseworker_item"]].iloc[0].tolist(), bool(table["r"].between(-1, 1).all())
(['c01', 'w01'], True)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from fip.study import Study

__all__ = ["parallel_agreement"]


def parallel_agreement(study: Study, round_: int = 1, kinds: tuple[str, ...] = ("parallel",)) -> pd.DataFrame:
    """Agreement of citizen and caseworker on each parallel pair of items in one round.

    Parameters
    ----------
    study : Study
        Its :attr:`~fip.study.Study.measurements` (one row per person and round, both forms).
    round_ : int
        The round (the study's factor analyses and this text use round 1).
    kinds : tuple of str
        Kinds of parallel groups to use (``parallel``; ``loose`` pairs are related questions,
        not the same one).

    Returns
    -------
    DataFrame
        One row per pair: ``citizen_item``, ``caseworker_item``, ``domain`` (the citizen
        item's), ``n`` (persons with both answers), ``r`` (Pearson), ``mean_difference`` and
        ``mean_abs_difference`` (citizen minus caseworker). Pairs resting on 1-4 persons
        (the Study's policy) are blanked.
    """
    inst = study.instrument
    m = study.measurements
    m = m[m["round"] == round_]
    respondent = {item.id: item.respondent for item in inst.items}
    domain = {item.id: item.domain for item in inst.items}
    rows = []
    for group in inst.parallel:
        if group.kind not in kinds:
            continue
        by = {respondent[i]: i for i in group.items}
        if not {"citizen", "caseworker"} <= set(by):
            continue
        a = m[by["citizen"]].astype("float64").to_numpy(na_value=np.nan)
        b = m[by["caseworker"]].astype("float64").to_numpy(na_value=np.nan)
        both = ~(np.isnan(a) | np.isnan(b))
        a, b = a[both], b[both]
        n = int(both.sum())
        r = float(np.corrcoef(a, b)[0, 1]) if n > 2 and a.std() > 0 and b.std() > 0 else np.nan
        rows.append({"citizen_item": by["citizen"], "caseworker_item": by["caseworker"],
                     "domain": domain[by["citizen"]], "n": n, "r": r,
                     "mean_difference": float(np.mean(a - b)) if n else np.nan,
                     "mean_abs_difference": float(np.mean(np.abs(a - b))) if n else np.nan})
    table = pd.DataFrame(rows, columns=["citizen_item", "caseworker_item", "domain", "n", "r",
                                        "mean_difference", "mean_abs_difference"])
    table["n"] = table["n"].astype("Int64")
    small = study.policy.is_small(table["n"].astype("int64")) if len(table) else pd.Series(dtype=bool)
    table.loc[small.to_numpy(), ["r", "mean_difference", "mean_abs_difference"]] = np.nan
    table["n"] = table["n"].mask(small.to_numpy())
    return table
