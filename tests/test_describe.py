"""Tests of fip.describe against independent computations (statsmodels DescrStatsW)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.weightstats import DescrStatsW

from fip.describe import item_means, item_progression, plot_item_means, wide_table
from fip.instrument import load_instrument
from fip.published import published_item_means

DATA = Path(__file__).parent / "data"


def _random_measurements(inst, n_persons: int, seed: int, missing: float = 0.1):
    rng = np.random.default_rng(seed)
    ids = [f"p{k:04d}" for k in range(n_persons)]
    rounds = rng.integers(1, 3, n_persons)  # 1 or 2 rounds each
    rows = [(pid, r) for pid, n in zip(ids, rounds) for r in range(1, n + 1)]
    m = pd.DataFrame(rows, columns=["person_id", "round"])
    for item in inst.item_ids():
        values = rng.integers(inst.scale.min, inst.scale.max + 1, len(m)).astype(float)
        values[rng.random(len(m)) < missing] = np.nan
        m[item] = pd.array(values, dtype="Int64")
    persons = pd.DataFrame({"person_id": ids, "gender": rng.choice(["female", "male"], n_persons)})
    return m, persons


@pytest.mark.parametrize("instrument_file", [None, DATA / "instrument_three_raters.yaml"])
def test_item_means_match_statsmodels_t_intervals(instrument_file):
    inst = load_instrument(instrument_file)
    m, persons = _random_measurements(inst, 300, seed=3)
    table = item_means(m, persons, inst)
    assert set(table["item"]) == set(inst.item_ids())
    merged = m.merge(persons, on="person_id")
    for row in table.sample(15, random_state=1).itertuples():
        sel = merged if row.gender == "all" else merged[merged["gender"] == row.gender]
        x = sel.loc[sel["round"] == row.round, row.item].dropna().to_numpy(float)
        ref = DescrStatsW(x)
        lo, hi = ref.tconfint_mean(alpha=0.05)
        assert row.n == len(x)
        np.testing.assert_allclose([row.mean, row.sd, row.ci_low, row.ci_high],
                                   [ref.mean, ref.std * np.sqrt(len(x) / (len(x) - 1)), lo, hi], rtol=1e-12)
        assert row.respondent == inst.item(row.item).respondent


def test_progression_is_a_paired_t_interval():
    inst = load_instrument()
    m, persons = _random_measurements(inst, 400, seed=5)
    table = item_progression(m, persons, inst)
    wide = m.pivot(index="person_id", columns="round", values="c05").dropna().astype(float)
    wide = wide.join(persons.set_index("person_id"))
    for gender in ("female", "male", "all"):
        sel = wide if gender == "all" else wide[wide["gender"] == gender]
        diff = (sel[2] - sel[1]).to_numpy()
        ref = DescrStatsW(diff)
        row = table[(table["item"] == "c05") & (table["gender"] == gender)].iloc[0]
        assert row["n"] == len(diff)
        np.testing.assert_allclose(row[["change", "ci_low", "ci_high", "mean_first", "mean_second"]].astype(float),
                                   [diff.mean(), *ref.tconfint_mean(), sel[1].mean(), sel[2].mean()], rtol=1e-12)


def test_small_cells_are_suppressed():
    inst = load_instrument()
    m, persons = _random_measurements(inst, 40, seed=7, missing=0.0)
    persons.loc[persons.index[:4], "gender"] = "female"
    persons.loc[persons.index[4:], "gender"] = "male"
    table = item_means(m[m["round"] == 1], persons, inst)
    women = table[table["gender"] == "female"]
    n_women = int(m[(m["round"] == 1) & m["person_id"].isin(persons["person_id"][:4])].shape[0])
    assert n_women < 5
    assert women["suppressed"].all() and women["mean"].isna().all() and women["ci_low"].isna().all()
    assert not table[table["gender"] == "male"]["suppressed"].any()
    assert (women["n"] == n_women).all()  # the count itself is shown, the statistics are not


def test_published_means_sit_beside_ours():
    inst = load_instrument()
    m, persons = _random_measurements(inst, 200, seed=11)
    table = item_means(m, persons, inst, published=published_item_means())
    row = table[(table["item"] == "c05") & (table["gender"] == "male") & (table["round"] == 1)].iloc[0]
    assert row["published"] == 4.7
    assert row["difference"] == pytest.approx(row["mean"] - 4.7)
    assert table.loc[table["item"] == "c01", "published"].isna().all()
    wide = wide_table(table, inst, lang="en")
    assert list(wide["item"]) == list(inst.item_ids())
    assert "published male r1" in wide.columns and wide.loc[wide["item"] == "c05", "label"].item().startswith("Belief")


def test_figure_draws_one_panel_per_respondent():
    inst = load_instrument(DATA / "instrument_three_raters.yaml")
    m, persons = _random_measurements(inst, 100, seed=2)
    fig = plot_item_means(item_means(m, persons, inst), inst, lang="en")
    assert len(fig.axes) == 3
    assert [ax.get_title() for ax in fig.axes] == ["Citizen", "Placement site", "Caseworker"]
    assert fig.axes[0].get_xlim() == (0.8, 5.2)


def test_funnel_with_published_counts():
    from fip.describe import funnel_with_published
    from fip.published import published_funnel

    funnel = pd.DataFrame({"step": ["forms", "paired", "excluded"], "round": [1, 2, pd.NA],
                           "respondent": ["citizen", "caseworker", "citizen"],
                           "reason": [None, None, "no caseworker form in the same month"], "n": [1100, 482, 7]})
    table = funnel_with_published(funnel, published_funnel())
    assert table["published"].tolist()[:2] == [1150, 482] and table["published"].isna().tolist()[2]
    assert table["difference"].tolist()[:2] == [-50, 0]
