"""fip.data.form_row.check_form_row gives the problems dataset_from_frames gives for the
same one-form table (a second implementation of the same rules, compared on seeded random
rows of valid and invalid cells)."""

from __future__ import annotations

import datetime as dt
import random

import pandas as pd
import pytest

from fip.data import dataset_from_frames
from fip.data.form_row import check_form_row
from fip.errors import InvalidDataError
from fip.instrument import load_instrument

INST = load_instrument()
TODAY = dt.date(2026, 6, 30)
PERSON = {"person_id": "p1", "municipality": "m", "gender": "female", "birth_year": "1980", "origin": "Syrien",
          "education": "primary", "work_experience": "no", "arrival_date": "2015-03-01"}
COLUMNS = ["person_id", "caseworker_id", "respondent", "answered_on", "language", "visitation",
           "caseworker_assessment", "assessment_reason", *INST.item_ids()]
CELLS = {
    "person_id": ["p1", "", None, "p1"],
    "caseworker_id": ["k1", "", None, " k2 "],
    "respondent": ["citizen", "caseworker", "Borger", "sagsbehandler", "", "nobody", "-"],
    "answered_on": ["2017-01-10", "10-01-2017", "3.2.2018", "1999-12-31", "2026-07-01", "2026-06-30",
                    "30-02-2017", "yesterday", "", "2015-02-28", dt.date(2016, 5, 1)],
    "language": ["da", "ar", "Arabisk", "", "xx", "-", None],
    "visitation": ["job_ready", "jobparat", "", "maybe", None],
    "caseworker_assessment": ["", None, "low", "high", "very"],
    "assessment_reason": ["", "because", None],
}
SCORES = ["", None, "1", "7", "4", 4, 7, "0", "8", "3,0", "4.5", "x", 2.0, "-1"]


def random_row(rng: random.Random) -> dict:
    """Each cell valid (the first choice) with probability 0.9, else any choice."""
    def pick(values):
        return values[0] if rng.random() < 0.9 else rng.choice(values)

    row = {c: pick(v) for c, v in CELLS.items()}
    row["respondent"] = own = rng.choice(["citizen", "caseworker"]) if rng.random() < 0.9 else row["respondent"]
    for it in INST.item_ids():
        mine = INST.item(it).respondent == own
        row[it] = rng.choice(SCORES[2:7]) if mine and rng.random() < 0.95 else (
            rng.choice(SCORES) if (mine or rng.random() < 0.03) else None)
    return row


def library_problems(row: dict) -> list:
    persons = pd.DataFrame([PERSON])
    forms = pd.DataFrame([[row.get(c) for c in COLUMNS]], columns=COLUMNS, dtype=object)
    outcomes = pd.DataFrame(columns=["person_id", "month", "employment_rate", "ordinary_employment", "education"])
    try:
        dataset_from_frames(persons, forms, outcomes, INST, today=TODAY)
    except InvalidDataError as exc:
        return list(exc.problems)
    return []


def test_valid_form_has_no_problems():
    row = {"person_id": "p1", "caseworker_id": "k1", "respondent": "citizen", "answered_on": dt.date(2017, 1, 10),
           "language": "da", **{i: 4 for i in INST.item_ids("citizen")}}
    assert check_form_row(row, INST, arrival_date=dt.date(2015, 3, 1), today=TODAY) == []
    assert library_problems(row) == []


@pytest.mark.parametrize("seed", range(3))
def test_same_problems_as_the_dataset_validator(seed):
    rng = random.Random(seed)
    n_bad = 0
    for _ in range(20):
        row = random_row(rng)
        want = library_problems(row)
        got = check_form_row(row, INST, arrival_date=dt.date(2015, 3, 1), today=TODAY)
        assert got == want, row
        n_bad += bool(want)
    assert 0 < n_bad < 20      # both valid and invalid rows were compared


def test_arrival_after_the_form_is_the_persons_problem():
    row = {"person_id": "p1", "caseworker_id": "k1", "respondent": "citizen", "answered_on": "2015-02-28",
           "language": "da", **{i: 4 for i in INST.item_ids("citizen")}}
    got = check_form_row(row, INST, arrival_date=dt.date(2015, 3, 1), today=TODAY)
    assert [(p.file, p.column) for p in got] == [("persons", "arrival_date")]
    assert got == library_problems(row)
    assert "p1" not in repr(check_form_row({**row, "person_id": "p1", "c01": "9"}, INST, today=TODAY))
