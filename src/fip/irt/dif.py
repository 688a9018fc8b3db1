"""Ordinal logistic-regression DIF (lordif style) by a person or form column.

For every item, three nested proportional-odds models of the item on a trait score θ and the
group: M1 ``θ``; M2 ``θ + group``; M3 ``θ + group + θ×group``. Likelihood-ratio χ²:
uniform DIF M1→M2 (df G−1), non-uniform M2→M3 (df G−1), total M1→M3 (df 2(G−1)); effect
sizes: McFadden pseudo-R² change (``R² = 1 − LL/LL0``, LL0 the thresholds-only model) and the
relative β change ``|β_θ(M1) − β_θ(M2)| / |β_θ(M1)|`` (lordif's "beta change"). p-values of
the total test are Holm-adjusted over the items.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from fip.irt.ordinal import fit_polr

__all__ = ["DIFResult", "PurifiedDIF", "ordinal_dif", "purified_dif"]


@dataclass(frozen=True)
class DIFResult:
    """Per-item ordinal logistic DIF tests; ``group_sizes`` counts persons per group."""

    table: pd.DataFrame
    group_sizes: pd.Series
    n_obs: int
    trait: str

    def tidy(self) -> pd.DataFrame:
        """``item, n, chi2_uniform, df_uniform, p_uniform, chi2_nonuniform, df_nonuniform, p_nonuniform,
        chi2_total, df_total, p_total, p_total_holm, r2_change_uniform, r2_change_nonuniform, r2_change_total,
        beta_change``."""
        return self.table.copy()


def _holm(p: np.ndarray) -> np.ndarray:
    order = np.argsort(p)
    m = p.size
    adj = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adj[i] = running
    return adj


def ordinal_dif(frame: pd.DataFrame, group: pd.Series, trait: pd.Series, *, trait_name: str = "EAP") -> DIFResult:
    """Ordinal logistic DIF of every column of ``frame`` by ``group``, conditioning on ``trait``.

    Rows with a missing item, group or trait are left out item by item.

    Examples
    --------
    >>> # ordinal_dif(items, persons["gender"], eap_scores(fit, items).tidy()["eap"]).tidy()
    """
    rows = []
    g_all = group.reindex(frame.index)
    t_all = trait.reindex(frame.index)
    levels = sorted(g_all.dropna().unique(), key=str)
    if len(levels) < 2:
        raise ValueError("DIF needs at least two groups")
    for item in frame.columns:
        ok = frame[item].notna() & g_all.notna() & t_all.notna()
        y = frame.loc[ok, item].to_numpy()
        th = t_all[ok].to_numpy(dtype=float)
        g = g_all[ok]
        dummies = pd.get_dummies(g.astype(str), dtype=float).reindex(columns=[str(v) for v in levels], fill_value=0.0)
        dummies = dummies.iloc[:, 1:]  # first level is the reference
        X1 = pd.DataFrame({"theta": th}, index=g.index)
        X2 = pd.concat([X1, dummies.add_prefix("group_")], axis=1)
        X3 = pd.concat([X2, dummies.mul(th, axis=0).add_prefix("theta_x_group_")], axis=1)
        m0 = fit_polr(y, X1.iloc[:, :0])
        m1, m2, m3 = fit_polr(y, X1), fit_polr(y, X2), fit_polr(y, X3)
        df = dummies.shape[1]

        def r2(m):
            return 1 - m.loglik / m0.loglik

        c12, c23, c13 = 2 * (m2.loglik - m1.loglik), 2 * (m3.loglik - m2.loglik), 2 * (m3.loglik - m1.loglik)
        b1 = m1.coef["theta"]
        rows.append({
            "item": item, "n": int(ok.sum()),
            "chi2_uniform": c12, "df_uniform": df, "p_uniform": stats.chi2.sf(c12, df),
            "chi2_nonuniform": c23, "df_nonuniform": df, "p_nonuniform": stats.chi2.sf(c23, df),
            "chi2_total": c13, "df_total": 2 * df, "p_total": stats.chi2.sf(c13, 2 * df),
            "r2_change_uniform": r2(m2) - r2(m1), "r2_change_nonuniform": r2(m3) - r2(m2),
            "r2_change_total": r2(m3) - r2(m1),
            "beta_change": abs(b1 - m2.coef["theta"]) / abs(b1),
        })
    table = pd.DataFrame(rows)
    table.insert(table.columns.get_loc("p_total") + 1, "p_total_holm", _holm(table["p_total"].to_numpy()))
    sizes = g_all[frame.notna().any(axis=1) & t_all.notna()].value_counts().sort_index()
    return DIFResult(table=table, group_sizes=sizes, n_obs=int(sizes.sum()), trait=trait_name)


@dataclass(frozen=True)
class PurifiedDIF:
    """Ordinal logistic DIF with an iteratively purified matching score.

    ``result`` is the last round's :class:`DIFResult`; ``flagged`` the items with DIF
    (``p_column`` < ``alpha``); ``anchors`` the items whose mean is the matching score;
    ``iterations`` the rounds until the flagged set repeated.
    """

    result: DIFResult
    flagged: tuple[str, ...]
    anchors: tuple[str, ...]
    iterations: int
    alpha: float
    p_column: str

    def tidy(self) -> pd.DataFrame:
        """The last round's table with ``dif`` (flagged) and ``anchor`` columns."""
        t = self.result.tidy()
        return t.assign(dif=t["item"].isin(self.flagged), anchor=t["item"].isin(self.anchors))


def purified_dif(frame: pd.DataFrame, group: pd.Series, *, alpha: float = 0.05, p_column: str = "p_total",
                 max_iter: int | None = None) -> PurifiedDIF:
    """Ordinal logistic DIF (Zumbo 1999) matched on the mean of anchor items, purified one item at a time.

    Round 1 matches on the mean of all answered items. While an anchor item is flagged
    (``p_column`` < ``alpha``), the anchor with the largest statistic leaves the anchors and the
    tests are repeated matched on the mean of the remaining anchors (a sequential purification:
    one item at a time, because one strongly biased item in a short scale makes every item look
    biased in round 1). The items flagged in the last round, anchors or not, have DIF.
    ``p_column``: ``p_total`` (uniform and non-uniform, 2 df per contrast), ``p_uniform``,
    ``p_nonuniform`` or ``p_total_holm``.

    Examples
    --------
    >>> from fip.simulate.planted import PlantedDesign, PlantedEffect, simulate_planted
    >>> c = simulate_planted(PlantedDesign(n_persons=800), [PlantedEffect("i03", "answer_language", "ar", 0.8)], seed=0)
    >>> purified_dif(c.forms[["i01", "i02", "i03", "i04", "i05"]], c.persons["answer_language"]).flagged
    ('i03',)
    """
    statistic = {"p_total": "chi2_total", "p_uniform": "chi2_uniform", "p_nonuniform": "chi2_nonuniform",
                 "p_total_holm": "chi2_total"}
    if p_column not in statistic:
        raise ValueError(f"p_column: {', '.join(statistic)}, got {p_column!r}")
    items = list(frame.columns)
    anchors = list(items)
    limit = len(items) - 1 if max_iter is None else max_iter
    iteration = 0
    while True:
        iteration += 1
        result = ordinal_dif(frame, group, frame[anchors].mean(axis=1, skipna=True), trait_name="anchor mean")
        table = result.tidy().set_index("item")
        biased = table.loc[anchors][table.loc[anchors, p_column] < alpha]
        if biased.empty or len(anchors) <= 1 or iteration > limit:
            break
        anchors.remove(str(biased[statistic[p_column]].idxmax()))
    flagged = tuple(i for i in items if table.loc[i, p_column] < alpha)
    return PurifiedDIF(result, flagged, tuple(anchors), iteration, alpha, p_column)
