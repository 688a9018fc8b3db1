"""Tests of fip.data.validate: every problem kind (exact file, row, column), load_dataset."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyreadstat
import pytest

from fip.data import dataset_from_frames, load_dataset, validate_dataset
from fip.errors import InvalidDataError, Problem
from fip.instrument import load_instrument

DATA = Path(__file__).parent / "data"
DANISH = DATA / "datasets" / "danish"
THREE = DATA / "instrument_three_raters.yaml"
TODAY = dt.date(2025, 1, 1)

FIP = load_instrument()
C_ITEMS = FIP.item_ids("citizen")
W_ITEMS = FIP.item_ids("caseworker")

PERSONS = [
    ["person_id", "municipality", "gender", "birth_year", "origin", "education", "work_experience", "arrival_date"],
    ["p1", "Aarhus", "female", "1980", "Syria", "primary", "yes", "2016-01-15"],
    ["p2", "Odense", "male", "1990", "Eritrea", "none", "no", "2016-05-01"],
]
FORMS = [
    ["person_id", "caseworker_id", "respondent", "answered_on", "language", *C_ITEMS, *W_ITEMS],
    ["p1", "k1", "citizen", "2017-01-10", "ar", *["4"] * 11, *[""] * 11],
    ["p1", "k1", "caseworker", "2017-01-12", "", *[""] * 11, *["5"] * 11],
    ["p2", "k2", "citizen", "2017-02-01", "ti", *["3"] * 11, *[""] * 11],
    ["p2", "k2", "caseworker", "2017-02-03", "", *[""] * 11, *["6"] * 11],
]
OUTCOMES = [
    ["person_id", "month", "employment_rate", "ordinary_employment", "education"],
    ["p1", "2017-02", "0.5", "1", "0"],
    ["p2", "2017-03", "0", "0", "1"],
]
BASE = {"persons": PERSONS, "forms": FORMS, "outcomes": OUTCOMES}


def _write(folder: Path, tables: dict[str, list[list[str]]], sep: str = ";") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        text = "\n".join(sep.join(r) for r in rows) + "\n"
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


def _tables(**changes) -> dict[str, list[list[str]]]:
    """Copy of BASE with cells changed: key 'forms' -> {(row, column): value}; row = spreadsheet row."""
    out = {name: [list(r) for r in rows] for name, rows in BASE.items()}
    for name, cells in changes.items():
        header = out[name][0]
        for (row, column), value in cells.items():
            out[name][row - 1][header.index(column)] = value
    return out


def test_base_dataset_is_clean(tmp_path):
    folder = _write(tmp_path / "d", BASE)
    assert validate_dataset(folder, today=TODAY) == []
    d = load_dataset(folder, today=TODAY)
    assert d.persons["gender"].tolist() == ["female", "male"]
    assert d.source == folder


# (table, {(row, column): value}, expected problem (file, row, column, value), fragment of "expected")
CELL_CASES = [
    ("persons", {(2, "gender"): "x"}, ("persons.csv", 2, "gender", "x"), "one of female, male"),
    ("persons", {(3, "birth_year"): "19x0"}, ("persons.csv", 3, "birth_year", "19x0"), "whole number from 1900 to 2025"),
    ("persons", {(3, "birth_year"): "1850"}, ("persons.csv", 3, "birth_year", "1850"), "whole number from 1900 to 2025"),
    ("persons", {(2, "arrival_date"): "31-02-2016"}, ("persons.csv", 2, "arrival_date", "31-02-2016"), "a date dd-mm-yyyy"),
    ("persons", {(2, "arrival_date"): "2025-01-02"}, ("persons.csv", 2, "arrival_date", "2025-01-02"), "not after today (2025-01-01)"),
    ("persons", {(3, "education"): "phd"}, ("persons.csv", 3, "education", "phd"), "one of primary, beyond_primary, none, unknown"),
    ("persons", {(3, "work_experience"): "maybe"}, ("persons.csv", 3, "work_experience", "maybe"), "one of yes, no, unknown"),
    ("persons", {(3, "municipality"): "  "}, ("persons.csv", 3, "municipality", ""), "must not be empty"),
    ("forms", {(2, "c03"): "8"}, ("forms.csv", 2, "c03", "8"), "whole number from 1 to 7"),
    ("forms", {(2, "c03"): "0"}, ("forms.csv", 2, "c03", "0"), "whole number from 1 to 7"),
    ("forms", {(2, "c03"): "4,5"}, ("forms.csv", 2, "c03", "4,5"), "whole number from 1 to 7"),
    ("forms", {(4, "c11"): "x"}, ("forms.csv", 4, "c11", "x"), "whole number from 1 to 7"),
    ("forms", {(3, "w02"): "-1"}, ("forms.csv", 3, "w02", "-1"), "whole number from 1 to 7"),
    ("forms", {(2, "respondent"): "boss"}, ("forms.csv", 2, "respondent", "boss"), "one of citizen, caseworker"),
    ("forms", {(2, "language"): "de"}, ("forms.csv", 2, "language", "de"), "one of da, ar, so, fa, ti, en"),
    ("forms", {(3, "c01"): "4"}, ("forms.csv", 3, "c01", "4"), "c01 is a citizen item; this is a caseworker form"),
    ("forms", {(4, "w11"): "2"}, ("forms.csv", 4, "w11", "2"), "w11 is a caseworker item; this is a citizen form"),
    ("forms", {(5, "answered_on"): "2017-13-01"}, ("forms.csv", 5, "answered_on", "2017-13-01"), "a date"),
    ("forms", {(5, "answered_on"): ""}, ("forms.csv", 5, "answered_on", ""), "must not be empty"),
    # implausible dates (issue 13.20): bounds from configs/schema.yaml, checks across columns and tables
    ("forms", {(3, "answered_on"): "1900-01-01"}, ("forms.csv", 3, "answered_on", "1900-01-01"), "a date from 2000-01-01 on"),
    ("forms", {(3, "answered_on"): "01-01-0001"}, ("forms.csv", 3, "answered_on", "01-01-0001"), "a date from 2000-01-01 on"),
    ("forms", {(3, "answered_on"): "2031-05-01"}, ("forms.csv", 3, "answered_on", "2031-05-01"), "not after today (2025-01-01)"),
    ("persons", {(3, "arrival_date"): "1850-06-01"}, ("persons.csv", 3, "arrival_date", "1850-06-01"), "a date from 1900-01-01 on"),
    ("persons", {(2, "birth_year"): "2030"}, ("persons.csv", 2, "birth_year", "2030"), "from 1900 to 2025 (not after this year)"),
    ("persons", {(2, "birth_year"): "2017"}, ("persons.csv", 2, "birth_year", "2017"),
     "a birth year not after the arrival date (2016-01-15)"),
    ("persons", {(2, "arrival_date"): "2017-06-01"}, ("persons.csv", 2, "arrival_date", "2017-06-01"),
     "an arrival date not after the person's first form (2017-01-10, forms.csv row 2)"),
    ("persons", {(3, "arrival_date"): "03-02-2017"}, ("persons.csv", 3, "arrival_date", "2017-02-03"),  # shown as parsed
     "an arrival date not after the person's first form (2017-02-01, forms.csv row 4)"),
    ("forms", {(4, "caseworker_id"): ""}, ("forms.csv", 4, "caseworker_id", ""), "must not be empty"),
    ("forms", {(3, "person_id"): "p9"}, ("forms.csv", 3, "person_id", None), "a person_id listed in persons.csv"),
    ("outcomes", {(2, "month"): "2017-13"}, ("outcomes.csv", 2, "month", "2017-13"), "a month yyyy-mm"),
    ("outcomes", {(2, "month"): "feb 2017"}, ("outcomes.csv", 2, "month", "feb 2017"), "a month yyyy-mm"),
    ("outcomes", {(3, "employment_rate"): "1,5"}, ("outcomes.csv", 3, "employment_rate", "1,5"), "a number from 0 to 1"),
    ("outcomes", {(3, "employment_rate"): "-0.1"}, ("outcomes.csv", 3, "employment_rate", "-0.1"), "a number from 0 to 1"),
    ("outcomes", {(3, "employment_rate"): "abc"}, ("outcomes.csv", 3, "employment_rate", "abc"), "a number from 0 to 1"),
    ("outcomes", {(2, "employment_rate"): ""}, ("outcomes.csv", 2, "employment_rate", ""), "must not be empty"),
    ("outcomes", {(2, "ordinary_employment"): "maybe"}, ("outcomes.csv", 2, "ordinary_employment", "maybe"), "ja/nej"),
    ("outcomes", {(3, "education"): "2"}, ("outcomes.csv", 3, "education", "2"), "ja/nej"),
    ("outcomes", {(3, "person_id"): "p7"}, ("outcomes.csv", 3, "person_id", None), "a person_id listed in persons.csv"),
    ("outcomes", {(3, "month"): "2017-02", (3, "person_id"): "p1"}, ("outcomes.csv", 3, None, "month=2017-02"),
     "one row per person_id, month (row 2 has the same)"),
]


@pytest.mark.parametrize("table, cells, where, fragment", CELL_CASES)
def test_each_problem_kind_is_reported_exactly_once_where_it_is(tmp_path, table, cells, where, fragment):
    folder = _write(tmp_path / "d", _tables(**{table: cells}))
    problems = validate_dataset(folder, today=TODAY)
    assert len(problems) == 1, [str(p) for p in problems]
    p = problems[0]
    assert (p.file, p.row, p.column, p.value) == where
    assert fragment in p.expected


def test_person_id_problems_cascade_to_the_rows_of_that_person(tmp_path):
    # person ids are never shown in problems (row and column say where), not even pseudonymous ones
    problems = validate_dataset(_write(tmp_path / "a", _tables(persons={(2, "person_id"): ""})), today=TODAY)
    assert [(p.file, p.row, p.column, p.value) for p in problems] == [
        ("persons.csv", 2, "person_id", None),
        ("forms.csv", 2, "person_id", None),
        ("forms.csv", 3, "person_id", None),
        ("outcomes.csv", 2, "person_id", None),
    ]
    assert "must not be empty" in problems[0].expected
    problems = validate_dataset(_write(tmp_path / "b", _tables(persons={(3, "person_id"): "p1"})), today=TODAY)
    assert [(p.file, p.row, p.column, p.value) for p in problems] == [
        ("persons.csv", 3, "person_id", None),
        ("forms.csv", 4, "person_id", None),
        ("forms.csv", 5, "person_id", None),
        ("outcomes.csv", 3, "person_id", None),
    ]
    assert problems[0].expected == "a person_id not used before in this file (row 2 has it)"


def test_duplicate_form_names_the_earlier_row(tmp_path):
    tables = _tables()
    tables["forms"].append(list(tables["forms"][3]))  # row 4 again as row 6, item values changed
    tables["forms"][-1][5] = "1"
    problems = validate_dataset(_write(tmp_path / "d", tables), today=TODAY)
    assert [(p.file, p.row, p.column) for p in problems] == [("forms.csv", 6, None)]
    assert problems[0].value == "respondent=citizen, answered_on=2017-02-01"  # the person id is not shown
    assert "row 4" in problems[0].expected


def test_duplicate_forms_compare_normalised_values(tmp_path):
    tables = _tables()
    dup = list(tables["forms"][1])
    dup[2], dup[3] = "Borger", "10.01.2017"  # the same form as row 2, spelled the Danish way
    tables["forms"].append(dup)
    problems = validate_dataset(_write(tmp_path / "d", tables), today=TODAY)
    assert [(p.row, "row 2" in p.expected) for p in problems] == [(6, True)]


def test_header_problems(tmp_path):
    tables = _tables()
    tables["persons"] = [[c for c in r] for r in tables["persons"]]
    k = tables["persons"][0].index("origin")
    for r in tables["persons"]:
        del r[k]
    tables["persons"][0].append("colour")
    for r in tables["persons"][1:]:
        r.append("blue")
    tables["forms"][0][tables["forms"][0].index("c05")] = "C05 "  # case and spaces do not matter
    tables["outcomes"][0][1] = "moth"
    problems = validate_dataset(_write(tmp_path / "d", tables), today=TODAY)
    got = [(p.file, p.row, p.column) for p in problems]
    assert got == [("persons.csv", None, "colour"), ("persons.csv", None, "origin"),
                   ("outcomes.csv", None, "moth"), ("outcomes.csv", None, "month")]
    assert "did you mean 'month'" in problems[2].expected
    assert "needs it" in problems[3].expected


def test_repeated_column(tmp_path):
    tables = _tables()
    for r in tables["outcomes"]:
        r.append(r[2])
    problems = validate_dataset(_write(tmp_path / "d", tables), today=TODAY)
    assert [(p.file, p.column) for p in problems] == [("outcomes.csv", "employment_rate")]
    assert "each column once" in problems[0].expected


def test_every_problem_is_listed_in_file_row_column_order(tmp_path):
    tables = _tables(
        persons={(2, "gender"): "x", (2, "birth_year"): "abc", (3, "arrival_date"): "2016-02-30"},
        forms={(2, "c01"): "9", (2, "c02"): "2,5", (3, "c01"): "3", (5, "respondent"): "", (4, "person_id"): "p5"},
        outcomes={(2, "employment_rate"): "2", (3, "month"): "x", (3, "education"): "kanske"},
    )
    problems = validate_dataset(_write(tmp_path / "d", tables), today=TODAY)
    assert [(p.file, p.row, p.column) for p in problems] == [
        ("persons.csv", 2, "gender"),
        ("persons.csv", 2, "birth_year"),
        ("persons.csv", 3, "arrival_date"),
        ("forms.csv", 2, "c01"),
        ("forms.csv", 2, "c02"),
        ("forms.csv", 3, "c01"),
        ("forms.csv", 4, "person_id"),
        ("forms.csv", 5, "respondent"),
        ("outcomes.csv", 2, "employment_rate"),
        ("outcomes.csv", 3, "month"),
        ("outcomes.csv", 3, "education"),
    ]
    with pytest.raises(InvalidDataError) as info:
        load_dataset(tmp_path / "d", today=TODAY)
    assert list(info.value.problems) == problems
    assert len(str(info.value).splitlines()) == len(problems)


def test_many_problems_are_not_capped(tmp_path):
    tables = _tables()
    tables["outcomes"] += [["p1", f"{1700 + k // 12}-{k % 12 + 1:02d}", "7", "1", "0"] for k in range(3000)]
    problems = validate_dataset(_write(tmp_path / "d", tables), today=TODAY)
    assert len(problems) == 3000
    assert {p.column for p in problems} == {"employment_rate"}
    assert [p.row for p in problems] == list(range(4, 3004))


def test_missing_duplicate_and_unreadable_table_files(tmp_path):
    folder = _write(tmp_path / "d", {"persons": PERSONS, "forms": FORMS})
    (folder / "forms.xlsx").write_bytes(b"not a workbook")
    problems = validate_dataset(folder, today=TODAY)
    assert [(p.file, p.row, p.column, p.value) for p in problems] == [
        ("forms.*", None, None, "forms.csv, forms.xlsx"),
        ("outcomes.*", None, None, None),
    ]
    (folder / "forms.csv").unlink()
    (folder / "outcomes.csv").write_text("", encoding="utf-8")
    problems = validate_dataset(folder, today=TODAY)
    assert [(p.file, p.expected.split(" (")[0]) for p in problems] == [
        ("forms.xlsx", "a readable Excel"),
        ("outcomes.csv", "a readable CSV file"),
    ]


def test_not_a_folder():
    problems = validate_dataset("/no/such/folder")
    assert len(problems) == 1 and "no such folder" in problems[0].expected


def test_cpr_numbers_are_masked_in_problems(tmp_path):
    tables = _tables(forms={(3, "person_id"): "010190-1234"})
    problems = validate_dataset(_write(tmp_path / "d", tables), today=TODAY)
    assert [(p.row, p.column, p.value) for p in problems] == [(3, "person_id", None)]
    assert "1234" not in str(problems[0])


def test_blank_rows_are_skipped_but_rows_keep_their_numbers(tmp_path):
    tables = _tables()
    tables["outcomes"].insert(2, [""] * 5)  # a blank spreadsheet row 3
    tables["outcomes"].append([""] * 5)
    tables["outcomes"][3][2] = "9"  # spreadsheet row 4 (p2)
    problems = validate_dataset(_write(tmp_path / "d", tables), today=TODAY)
    assert [(p.row, p.column) for p in problems] == [(4, "employment_rate")]


def test_today_parameter_decides_what_is_future(tmp_path):
    folder = _write(tmp_path / "d", BASE)
    assert validate_dataset(folder, today="2017-02-02") == [
        Problem("forms.csv", 5, "answered_on", "2017-02-03", "a date not after today (2017-02-02)")]


# --------------------------------------------------------------------------- Danish exports


def _danish_expected_persons() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_id": ["0101", "0102", "0103"],
            "municipality": ["København", "Århus", "Næstved"],
            "gender": ["female", "male", "female"],
            "birth_year": pd.array([1985, 1990, 1979], dtype="Int64"),
            "origin": ["Syrien", "Eritrea", "Iran"],
            "education": ["primary", "none", "unknown"],
            "work_experience": ["yes", "no", "unknown"],
            "arrival_date": pd.to_datetime(["2015-03-15", "2016-02-01", "2016-07-20"]).astype("datetime64[us]"),
        }
    ).astype({c: "str" for c in ["person_id", "municipality", "gender", "origin", "education", "work_experience"]})


def test_danish_excel_export_loads_normalised():
    d = load_dataset(DANISH, today=TODAY)
    pd.testing.assert_frame_equal(d.persons, _danish_expected_persons())
    assert d.forms["respondent"].tolist() == ["citizen", "caseworker", "citizen", "caseworker", "citizen", "caseworker", "caseworker"]
    assert d.forms["answered_on"].dt.strftime("%Y-%m-%d").tolist() == [
        "2017-01-05", "2017-01-20", "2017-06-10", "2017-06-28", "2017-01-31", "2017-02-01", "2017-03-15"]
    assert d.forms["language"].tolist()[:5] == ["ar", np.nan, "ar", np.nan, "da"]  # "Dansk" -> da
    assert d.forms["c01"].tolist()[:3] == [4, pd.NA, 5]
    assert d.forms["c11"].tolist()[2] is pd.NA
    assert str(d.forms["c01"].dtype) == "Int64"
    expected_outcomes = pd.DataFrame(
        {
            "person_id": pd.array(["0101", "0101", "0101", "0102", "0103"], dtype="str"),
            "month": pd.PeriodIndex(["2017-07", "2017-08", "2017-09", "2017-07", "2017-07"], freq="M"),
            "employment_rate": [0.25, 0.5, 1.0, 0.0, 0.125],
            "ordinary_employment": [True, True, True, False, False],
            "education": [False, False, False, True, False],
        }
    )
    pd.testing.assert_frame_equal(d.outcomes, expected_outcomes)


def test_utf8_bom_copy_loads_to_the_same_dataset(tmp_path):
    for name in ("persons", "forms", "outcomes"):
        text = (DANISH / f"{name}.csv").read_bytes().decode("cp1252")
        (tmp_path / f"{name}.csv").write_bytes(text.encode("utf-8-sig"))
    a, b = load_dataset(DANISH, today=TODAY), load_dataset(tmp_path, today=TODAY)
    for name in ("persons", "forms", "outcomes"):
        pd.testing.assert_frame_equal(a.table(name), b.table(name))


def test_xlsx_dataset_loads_to_the_same_dataset(tmp_path):
    ref = load_dataset(DANISH, today=TODAY)
    for name in ("persons", "forms", "outcomes"):
        frame = ref.table(name)
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            cells = []
            for v in row:
                if isinstance(v, pd.Timestamp):
                    cells.append(v.to_pydatetime())  # a date cell
                elif isinstance(v, pd.Period):
                    cells.append(str(v))
                elif v is pd.NA or (isinstance(v, float) and np.isnan(v)):
                    cells.append(None)
                elif isinstance(v, (bool, np.bool_)):
                    cells.append("ja" if v else "nej")
                elif isinstance(v, (np.integer,)):
                    cells.append(int(v))
                elif isinstance(v, np.floating):
                    cells.append(float(v))
                else:
                    cells.append(v)
            sheet.append(cells)
        sheet.append([None] * len(frame.columns))  # trailing blank row of the used range
        book.save(tmp_path / f"{name}.xlsx")
    got = load_dataset(tmp_path, today=TODAY)
    for name in ("persons", "forms", "outcomes"):
        pd.testing.assert_frame_equal(got.table(name), ref.table(name))


def _binary_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A table as Stata/SPSS hold it: months as text, flags as 0/1, nullable ints as float."""
    out = frame.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.PeriodDtype):
            out[c] = out[c].astype(str)
        elif out[c].dtype == bool:
            out[c] = out[c].astype("int8")
        elif str(out[c].dtype) == "Int64":
            out[c] = out[c].astype("float64")
        elif out[c].dtype == "str":
            out[c] = out[c].astype(object).where(out[c].notna(), "")
    return out


def test_stata_dataset_loads_to_the_same_dataset(tmp_path):
    ref = load_dataset(DANISH, today=TODAY)
    for name in ("persons", "forms", "outcomes"):
        frame = _binary_frame(ref.table(name))
        dates = {c: "td" for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])}
        frame.to_stata(tmp_path / f"{name}.dta", write_index=False, convert_dates=dates)
    got = load_dataset(tmp_path, today=TODAY)
    for name in ("persons", "forms", "outcomes"):
        pd.testing.assert_frame_equal(got.table(name), ref.table(name))


def test_spss_dataset_with_value_labels_loads_to_the_same_dataset(tmp_path):
    ref = load_dataset(DANISH, today=TODAY)
    labels = {
        "persons": {"gender": {1.0: "Kvinde", 2.0: "Mand"}},
        "forms": {"respondent": {1.0: "Borger", 2.0: "Sagsbehandler"}, "c01": {1.0: "meget dårligt", 7.0: "meget godt"}},
        "outcomes": {"education": {0.0: "Nej", 1.0: "Ja"}},
    }
    coded = {"gender": {"female": 1.0, "male": 2.0}, "respondent": {"citizen": 1.0, "caseworker": 2.0}}
    for name in ("persons", "forms", "outcomes"):
        frame = _binary_frame(ref.table(name))
        for col, mapping in coded.items():
            if col in frame.columns:
                frame[col] = frame[col].map(mapping).astype(float)
        if "education" in frame.columns and name == "outcomes":
            frame["education"] = frame["education"].astype(float)
        pyreadstat.write_sav(frame, str(tmp_path / f"{name}.sav"), variable_value_labels=labels[name])
    got = load_dataset(tmp_path, today=TODAY)
    for name in ("persons", "forms", "outcomes"):
        pd.testing.assert_frame_equal(got.table(name), ref.table(name))  # items keep codes, not labels


# --------------------------------------------------------------------------- three raters


def _three_rater_tables() -> dict[str, list[list[str]]]:
    inst = load_instrument(THREE)
    b, p, s = inst.item_ids("citizen"), inst.item_ids("placement"), inst.item_ids("caseworker")
    forms = [
        ["person_id", "caseworker_id", "respondent", "answered_on", "language", *b, *p, *s],
        ["p1", "k1", "citizen", "2017-03-01", "ar", "1", "2", "3", "4", *[""] * 8],
        ["p1", "k1", "praktiksted", "2017-03-05", "", *[""] * 4, "5", "5", "5", "5", *[""] * 4],
        ["p1", "k1", "caseworker", "2017-03-09", "", *[""] * 8, "2", "2", "2", "2"],
    ]
    return {"persons": PERSONS[:2], "forms": forms, "outcomes": OUTCOMES[:2]}


def test_three_rater_instrument_validates_with_its_own_scale_and_respondents(tmp_path):
    inst = load_instrument(THREE)
    tables = _three_rater_tables()
    folder = _write(tmp_path / "ok", tables)
    assert validate_dataset(folder, inst, today=TODAY) == []
    d = load_dataset(folder, inst, today=TODAY)
    assert d.forms["respondent"].tolist() == ["citizen", "placement", "caseworker"]
    assert list(d.forms.columns[5:]) == list(inst.item_ids())

    tables["forms"][2][9] = "6"      # p1 = 6 is off the 1-5 scale
    tables["forms"][1][10] = "3"     # p2 on a citizen form
    tables["forms"][3][2] = "boss"   # not a respondent of this instrument
    folder = _write(tmp_path / "bad", tables)
    problems = validate_dataset(folder, inst, today=TODAY)
    assert [(p.row, p.column, p.value) for p in problems] == [
        (2, "p2", "3"), (3, "p1", "6"), (4, "respondent", "boss")]
    assert "from 1 to 5" in problems[1].expected
    assert "one of citizen, placement, caseworker" in problems[2].expected
    # the same forms are fine against the FIP instrument? no: its item columns differ
    assert any(p.column == "b1" for p in validate_dataset(folder, today=TODAY))


def test_dataset_from_frames_checks_in_memory_tables():
    persons = pd.DataFrame(PERSONS[1:], columns=PERSONS[0])
    forms = pd.DataFrame(FORMS[1:], columns=FORMS[0])
    outcomes = pd.DataFrame(OUTCOMES[1:], columns=OUTCOMES[0])
    d = dataset_from_frames(persons, forms, outcomes, today=TODAY)
    assert d.outcomes["employment_rate"].tolist() == [0.5, 0.0]
    bad = outcomes.assign(employment_rate=["0.5", "1.5"])
    with pytest.raises(InvalidDataError) as info:
        dataset_from_frames(persons, forms, bad, today=TODAY)
    assert [(p.file, p.row, p.column) for p in info.value.problems] == [("outcomes", 3, "employment_rate")]


# --------------------------------------------------------------------------- issue 13 (reading)


def _xlsx_table(path: Path, rows: list[list], cover: list[list] | None = None) -> None:
    """One workbook: an optional cover sheet first, then the table's rows."""
    book = openpyxl.Workbook()
    first = book.active
    if cover is not None:
        for r in cover:
            first.append(r)
        first = book.create_sheet("Data")
    for r in rows:
        first.append(r)
    book.save(path)


@pytest.mark.parametrize("ext", ["csv", "xlsx"])
def test_nfc_and_nfd_spellings_are_one_municipality(tmp_path, ext):
    import unicodedata

    tables = _tables(persons={(2, "municipality"): unicodedata.normalize("NFD", "Århus"),
                              (3, "municipality"): "Århus"})
    folder = _write(tmp_path / "d", tables)
    if ext == "xlsx":
        _xlsx_table(folder / "persons.xlsx", tables["persons"])
        (folder / "persons.csv").unlink()
    d = load_dataset(folder, today=TODAY)
    assert d.persons["municipality"].tolist() == ["Århus", "Århus"]
    assert d.persons["municipality"].nunique() == 1


@pytest.mark.parametrize("table", ["persons", "forms"])
def test_header_only_table_is_an_error(tmp_path, table):
    tables = _tables()
    tables[table] = tables[table][:1]
    if table == "persons":
        tables["forms"], tables["outcomes"] = tables["forms"][:1], tables["outcomes"][:1]
    problems = validate_dataset(_write(tmp_path / "d", tables), today=TODAY)
    mine = [p for p in problems if p.file == f"{table}.csv"]
    assert [(p.row, p.column) for p in mine] == [(None, None)]
    assert "at least one data row below the header" in mine[0].expected


def test_header_only_outcomes_is_allowed(tmp_path):
    tables = _tables()
    tables["outcomes"] = tables["outcomes"][:1]
    assert validate_dataset(_write(tmp_path / "d", tables), today=TODAY) == []


def test_dash_placeholder_is_empty_in_text_and_code_columns(tmp_path):
    folder = _write(tmp_path / "d", _tables(persons={(2, "origin"): "-", (2, "education"): " - ",
                                                     (3, "work_experience"): "-"}))
    d = load_dataset(folder, today=TODAY)
    assert pd.isna(d.persons.loc[0, "origin"])
    assert d.persons["education"].tolist() == ["unknown", "none"]
    assert d.persons["work_experience"].tolist() == ["yes", "unknown"]
    problems = validate_dataset(_write(tmp_path / "e", _tables(persons={(3, "municipality"): "-"})), today=TODAY)
    assert [(p.file, p.row, p.column) for p in problems] == [("persons.csv", 3, "municipality")]
    assert "must not be empty" in problems[0].expected


@pytest.mark.parametrize("layout, where", [
    ("cover", "it is in row 1 of sheet 'Data': move that sheet first"),
    ("title", "it is in row 3: delete the rows above it"),
    ("cover+title", "it is in row 2 of sheet 'Data': move that sheet first and delete the rows above"),
    ("nowhere", "row 1 names none of the persons columns"),
])
def test_misplaced_xlsx_header_gives_one_hint(tmp_path, layout, where):
    folder = _write(tmp_path / "d", BASE)
    (folder / "persons.csv").unlink()
    rows = [list(r) for r in PERSONS]
    if layout == "cover":
        _xlsx_table(folder / "persons.xlsx", rows, cover=[["FIP udtræk"], ["Jobcenter Aarhus"]])
    elif layout == "title":
        _xlsx_table(folder / "persons.xlsx", [["FIP: borgere"], [None], *rows])
    elif layout == "cover+title":
        _xlsx_table(folder / "persons.xlsx", [["Borgere"], *rows], cover=[["Forside"]])
    else:
        _xlsx_table(folder / "persons.xlsx", [["a", "b"], ["1", "2"]])
    problems = validate_dataset(folder, today=TODAY)
    persons = [p for p in problems if p.file == "persons.xlsx"]
    assert len(persons) == 1, [str(p) for p in persons]
    assert "the header row (person_id, municipality" in persons[0].expected
    assert "as row 1 of the first sheet" in persons[0].expected and where in persons[0].expected


def test_parquet_infinity_and_nan_are_reported_with_their_value(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = _write(tmp_path / "d", BASE)
    (folder / "forms.csv").unlink()
    cols = {name: [r[k] for r in FORMS[1:]] for k, name in enumerate(FORMS[0])}
    arrays = {n: pa.array([float(v) if v else None for v in vs]) if n in C_ITEMS + W_ITEMS else pa.array(vs)
              for n, vs in cols.items()}
    arrays["c02"] = pa.array([float("inf"), None, float("nan"), None])
    pq.write_table(pa.table(arrays), folder / "forms.parquet")
    problems = validate_dataset(folder, today=TODAY)
    assert [(p.file, p.row, p.column, p.value) for p in problems] == [
        ("forms.parquet", 2, "c02", "inf"), ("forms.parquet", 4, "c02", "NaN")]


def test_schema_date_bounds_are_checked_when_the_schema_loads(tmp_path):
    from fip._resources import config_path
    from fip.data.schema import load_schema
    from fip.errors import ConfigError

    text = config_path("schema.yaml").read_text(encoding="utf-8")
    for old, new, words in [
        ("min: 2000-01-01", "min: soon", "min must be a date"),
        ("min: 1900, max: this_year", "min: 1900, max: next_year", "max must be a number"),
        ("min: 1900, max", "min: 2200, max", None),
        ("    min_rows: 1", "    min_rows: -1", "min_rows"),
        ('placeholders: ["-"]', 'placeholders: [""]', "placeholders"),
    ]:
        path = tmp_path / "schema.yaml"
        assert text.count(old) >= 1
        path.write_text(text.replace(old, new), encoding="utf-8")
        if words is None:  # a min above "this year" is legal in the file; no birth year then passes
            assert load_schema(path=path).table("persons").column("birth_year").min == 2200
            continue
        with pytest.raises(ConfigError) as err:
            load_schema(path=path)
        assert words in str(err.value) and "schema.yaml" in str(err.value)
