"""Tests of fip.data.pairing on hand-built cases (expected rounds and funnel derived by hand)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fip.data import Dataset, pair_forms
from fip.instrument import load_instrument

THREE = Path(__file__).parent / "data" / "instrument_three_raters.yaml"


def _dataset(inst, rows, visitation=False) -> Dataset:
    """rows: (person, respondent, date, score, caseworker_id[, visitation]); a form fills all
    items of its respondent with ``score``."""
    forms = pd.DataFrame(
        {
            "person_id": pd.array([r[0] for r in rows], dtype="str"),
            "caseworker_id": pd.array([r[4] for r in rows], dtype="str"),
            "respondent": pd.array([r[1] for r in rows], dtype="str"),
            "answered_on": pd.to_datetime([r[2] for r in rows]).astype("datetime64[us]"),
            "language": pd.array(["ar" if r[1] == "citizen" else None for r in rows], dtype="str"),
        }
    )
    if visitation:
        forms["visitation"] = pd.array([r[5] for r in rows], dtype="str")
    for item in inst.items:
        forms[item.id] = pd.array([r[3] if r[1] == item.respondent else None for r in rows], dtype="Int64")
    return Dataset(pd.DataFrame(), forms, pd.DataFrame(), inst)


FIP = load_instrument()
CASES = [
    # a: two rounds, January and June
    ("a", "citizen", "2017-01-05", 1, "k1"),
    ("a", "caseworker", "2017-01-20", 2, "k1"),
    ("a", "caseworker", "2017-06-28", 3, "k2"),
    ("a", "citizen", "2017-06-10", 4, "k1"),
    # b: adjacent months across a month boundary: no pair
    ("b", "citizen", "2017-01-31", 5, "k1"),
    ("b", "caseworker", "2017-02-01", 6, "k1"),
    # c: a caseworker form only
    ("c", "caseworker", "2017-03-15", 7, "k3"),
    # d: two citizen forms in February: the later one (20th) is kept
    ("d", "citizen", "2017-02-20", 2, "k1"),
    ("d", "citizen", "2017-02-03", 1, "k1"),
    ("d", "caseworker", "2017-02-10", 3, "k4"),
    # e: three rounds
    ("e", "citizen", "2017-01-02", 1, "k5"),
    ("e", "caseworker", "2017-01-31", 1, "k5"),
    ("e", "citizen", "2017-04-30", 2, "k5"),
    ("e", "caseworker", "2017-04-01", 2, "k5"),
    ("e", "caseworker", "2017-09-15", 3, "k5"),
    ("e", "citizen", "2017-09-15", 3, "k5"),
]


@pytest.fixture(scope="module")
def pairing():
    return pair_forms(_dataset(FIP, CASES))


def test_measurements_rounds_and_dates(pairing):
    m = pairing.measurements
    got = m[["person_id", "round", "month", "measured_on", "days_since_previous", "caseworker_id"]]
    expected = pd.DataFrame(
        {
            "person_id": ["a", "a", "d", "e", "e", "e"],
            "round": [1, 2, 1, 1, 2, 3],
            "month": pd.PeriodIndex(["2017-01", "2017-06", "2017-02", "2017-01", "2017-04", "2017-09"], freq="M"),
            # earliest form date of each measurement
            "measured_on": pd.to_datetime(["2017-01-05", "2017-06-10", "2017-02-10",
                                           "2017-01-02", "2017-04-01", "2017-09-15"]).astype("datetime64[us]"),
            # 2017-01-05 -> 2017-06-10 = 26 + 28 + 31 + 30 + 31 + 10 = 156 days;
            # 2017-01-02 -> 2017-04-01 = 29 + 28 + 31 + 1 = 89; 2017-04-01 -> 2017-09-15 = 29+31+30+31+31+15 = 167
            "days_since_previous": pd.array([None, 156, None, None, 89, 167], dtype="Int64"),
            "caseworker_id": ["k1", "k2", "k4", "k5", "k5", "k5"],
        }
    ).astype({"person_id": "str", "caseworker_id": "str"})
    pd.testing.assert_frame_equal(got, expected)
    assert m["round"].dtype == np.int64


def test_items_come_from_their_own_respondents_form(pairing):
    m = pairing.measurements.set_index(["person_id", "round"])
    # a round 2: citizen form scored 4 (June 10), caseworker form scored 3 (June 28)
    assert m.loc[("a", 2), "c01"] == 4 and m.loc[("a", 2), "w11"] == 3
    # d: the later citizen form (score 2), not the earlier one (score 1)
    assert m.loc[("d", 1), "c05"] == 2 and m.loc[("d", 1), "w05"] == 3
    assert m.loc[("d", 1), "answered_on_citizen"] == pd.Timestamp("2017-02-20")
    assert m.loc[("d", 1), "answered_on_caseworker"] == pd.Timestamp("2017-02-10")
    assert m.loc[("a", 1), "language_citizen"] == "ar" and pd.isna(m.loc[("a", 1), "language_caseworker"])
    cols = list(pairing.measurements.columns)
    assert cols[:10] == ["person_id", "round", "month", "measured_on", "days_since_previous", "caseworker_id",
                         "answered_on_citizen", "language_citizen", "answered_on_caseworker", "language_caseworker"]
    assert cols[10:] == list(FIP.item_ids())
    assert all(str(pairing.measurements[i].dtype) == "Int64" for i in FIP.item_ids())


def test_exclusions(pairing):
    ex = pairing.exclusions
    got = list(ex[["person_id", "respondent", "answered_on", "reason"]].astype({"answered_on": str}).itertuples(index=False, name=None))
    assert got == [
        ("b", "citizen", "2017-01-31", "no caseworker form in the same month"),
        ("b", "caseworker", "2017-02-01", "no citizen form in the same month"),
        ("c", "caseworker", "2017-03-15", "no citizen form in the same month"),
        ("d", "citizen", "2017-02-03", "a later citizen form for the person in the same month"),
    ]


def test_funnel_counts(pairing):
    f = pairing.funnel
    forms = f[f["step"] == "forms"].pivot(index="round", columns="respondent", values="n")
    # citizen forms by their order per person: a 2, b 1, d 2, e 3 -> 4, 3, 1
    # caseworker forms: a 2, b 1, c 1, d 1, e 3 -> 5, 2, 1
    assert forms.loc[:, "citizen"].tolist() == [4, 3, 1]
    assert forms.loc[:, "caseworker"].tolist() == [5, 2, 1]
    paired = f[f["step"] == "paired"].pivot(index="round", columns="respondent", values="n")
    assert paired["citizen"].tolist() == [3, 2, 1] and paired["caseworker"].tolist() == [3, 2, 1]
    persons = f[f["step"] == "persons"]
    assert persons["round"].tolist() == [1, 2, 3] and persons["n"].tolist() == [3, 2, 1]
    ex = f[f["step"] == "excluded"]
    assert sorted(zip(ex["respondent"], ex["reason"], ex["n"])) == [
        ("caseworker", "no citizen form in the same month", 2),
        ("citizen", "a later citizen form for the person in the same month", 1),
        ("citizen", "no caseworker form in the same month", 1),
    ]
    # every form is either in a measurement or excluded
    n_forms = f.loc[f["step"] == "forms", "n"].sum()
    assert n_forms == len(CASES) == 2 * len(pairing.measurements) + ex["n"].sum()
    assert list(f.columns) == ["step", "round", "respondent", "reason", "n"]


def test_result_does_not_depend_on_row_order(pairing):
    shuffled = [CASES[k] for k in np.random.default_rng(5).permutation(len(CASES))]
    other = pair_forms(_dataset(FIP, shuffled))
    pd.testing.assert_frame_equal(other.measurements, pairing.measurements)
    pd.testing.assert_frame_equal(other.exclusions, pairing.exclusions)
    pd.testing.assert_frame_equal(other.funnel, pairing.funnel)


def test_visitation_comes_from_the_caseworker_form():
    rows = [("a", "citizen", "2017-01-05", 1, "k1", None), ("a", "caseworker", "2017-01-06", 2, "k1", "job_ready")]
    m = pair_forms(_dataset(FIP, rows, visitation=True)).measurements
    assert m["visitation"].tolist() == ["job_ready"]
    assert list(m.columns).index("visitation") == 10


def test_no_measurements_at_all_keeps_columns_and_dtypes(pairing):
    p = pair_forms(_dataset(FIP, [("a", "citizen", "2017-01-05", 1, "k1")]))
    assert len(p.measurements) == 0
    pd.testing.assert_series_equal(p.measurements.dtypes, pairing.measurements.dtypes)
    assert p.funnel[p.funnel["step"] == "excluded"]["n"].tolist() == [1]
    none = pair_forms(_dataset(FIP, [("a", "citizen", "2017-01-05", 1, "k1")][:0]))
    assert len(none.measurements) == len(none.exclusions) == len(none.funnel) == 0
    pd.testing.assert_series_equal(none.funnel.dtypes, pairing.funnel.dtypes)


def test_three_raters_need_all_three_forms():
    inst = load_instrument(THREE)
    rows = [
        ("x", "citizen", "2017-03-01", 1, "k1"),
        ("x", "placement", "2017-03-10", 2, "site9"),
        ("x", "caseworker", "2017-03-31", 3, "k1"),
        ("y", "citizen", "2017-03-01", 4, "k2"),
        ("y", "caseworker", "2017-03-02", 5, "k2"),
        ("z", "citizen", "2017-03-01", 5, "k3"),
    ]
    p = pair_forms(_dataset(inst, rows))
    m = p.measurements
    assert m["person_id"].tolist() == ["x"]
    assert (m.loc[0, "b1"], m.loc[0, "p1"], m.loc[0, "s1"]) == (1, 2, 3)
    assert m.loc[0, "caseworker_id"] == "k1"  # from the caseworker form, not the placement's
    assert m.loc[0, "measured_on"] == pd.Timestamp("2017-03-01")
    assert [c for c in m.columns if c.startswith("answered_on_")] == [
        "answered_on_citizen", "answered_on_placement", "answered_on_caseworker"]
    ex = p.exclusions
    assert list(zip(ex["person_id"], ex["respondent"], ex["reason"])) == [
        ("y", "citizen", "no placement form in the same month"),
        ("y", "caseworker", "no placement form in the same month"),
        ("z", "citizen", "no placement or caseworker form in the same month"),
    ]
    paired = p.funnel[p.funnel["step"] == "paired"]
    assert paired["respondent"].tolist() == ["citizen", "placement", "caseworker"]
    assert paired["n"].tolist() == [1, 1, 1]


def test_random_pairing_invariants():
    """On random forms: each measurement has one form per respondent in its month, rounds run
    1..k by month, and kept + excluded forms add up (checked against a plain-Python pairing)."""
    rng = np.random.default_rng(11)
    rows = []
    for k in range(300):
        for _ in range(rng.integers(0, 6)):
            day = pd.Timestamp("2017-01-01") + pd.Timedelta(days=int(rng.integers(0, 365)))
            rows.append((f"p{k:03d}", str(rng.choice(["citizen", "caseworker"])), str(day.date()), int(rng.integers(1, 8)), "k"))
    p = pair_forms(_dataset(FIP, rows))
    # reference: dictionary-based pairing
    latest: dict[tuple[str, str, pd.Period], pd.Timestamp] = {}
    for person, resp, day, _, _ in rows:
        key = (person, resp, pd.Period(day, "M"))
        latest[key] = max(latest.get(key, pd.Timestamp(day)), pd.Timestamp(day))
    months = sorted({(pe, mo) for (pe, r, mo) in latest if (pe, "citizen", mo) in latest and (pe, "caseworker", mo) in latest})
    expected = [(pe, mo) for pe, mo in months]
    got = list(zip(p.measurements["person_id"], p.measurements["month"]))
    assert got == expected
    rounds = p.measurements.groupby("person_id")["round"].apply(list)
    assert all(r == list(range(1, len(r) + 1)) for r in rounds)
    assert len(p.exclusions) + 2 * len(p.measurements) == len(rows)
