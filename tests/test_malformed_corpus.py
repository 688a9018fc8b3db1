"""The malformed-input corpus: one class of bad input per case, each run through the CLI.

Every case must give exit code 2, one ``error:`` line per problem on stderr naming the file
(and the row and column where the problem has them), no traceback, no CPR number and no
person id, and leave the store and an existing output folder byte-for-byte as they were.

Cases come from two places: the committed folders in ``tests/data/malformed/`` (made by
``make_corpus.py`` there) and cases built here from a small simulated dataset (12 persons,
written once per module), each a copy with one defect. ``CASES`` lists them with the first
problem expected: (file, row, column) and words of its message. The row and column are
worked out from how the case is built, not copied from fip's output.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from fip.cli import app
from fip.data import write_dataset
from fip.simulate import simulate_cohort

COMMITTED = Path(__file__).parent / "data" / "malformed"
CPR = re.compile(r"(?<!\d)\d{6}[- ]?\d{4}(?!\d)")
PERSON_ID = re.compile(r"\bp\d{4}\b")  # the simulator's person ids (p0001, ...)
runner = CliRunner()


@dataclass(frozen=True)
class Case:
    """One class of bad input.

    build : edits a copy of the base dataset folder (None: a committed folder of that name)
    where : (file, row, column) of the first problem; row/column None where the problem is
        about a whole file or column
    words : text the first problem's line contains
    stage : "load" (every command refuses it) or "import" (the store's screen refuses it)
    """

    build: Callable[[Path], None] | None
    where: tuple[str, int | None, str | None]
    words: str
    stage: str = "load"


# --------------------------------------------------------------------------- editing helpers


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def _write_rows(path: Path, rows: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def _set(folder: Path, file: str, row: int, column: str, value: str) -> None:
    """Set one cell (row 2 = first data row) of a CSV table."""
    rows = _rows(folder / file)
    rows[row - 1][rows[0].index(column)] = value
    _write_rows(folder / file, rows)


def _get(folder: Path, file: str, row: int, column: str) -> str:
    rows = _rows(folder / file)
    return rows[row - 1][rows[0].index(column)]


def _edit_line(folder: Path, file: str, row: int, fn: Callable[[str], str]) -> None:
    lines = (folder / file).read_text(encoding="utf-8").split("\n")
    lines[row - 1] = fn(lines[row - 1])
    (folder / file).write_text("\n".join(lines), encoding="utf-8")


def _long(folder: Path, file: str, n: int) -> list[str]:
    """The table's lines repeated to ``n`` data rows (parsing fails before duplicates count)."""
    lines = (folder / file).read_text(encoding="utf-8").rstrip("\n").split("\n")
    body = lines[1:]
    return [lines[0]] + [body[k % len(body)] for k in range(n)]


def _first_form_row(folder: Path, person_row: int) -> int:
    """Spreadsheet row in forms.csv of the earliest form of the person in persons.csv ``person_row``."""
    pid = _get(folder, "persons.csv", person_row, "person_id")
    forms = _rows(folder / "forms.csv")
    k = forms[0].index("answered_on")
    mine = [(r[k], i + 1) for i, r in enumerate(forms) if i and r[0] == pid]
    return min(mine)[1]


def _to_xlsx(folder: Path, table: str, *, above: list[list] = (), cover: list[list] | None = None,
             formula: tuple[int, str, str] | None = None) -> None:
    """Replace ``table``.csv by a workbook of the same cells (rows ``above`` the header, a
    cover sheet first, one cell (row, column, formula) replaced by a formula)."""
    rows = _rows(folder / f"{table}.csv")
    book = openpyxl.Workbook()
    sheet = book.active
    if cover is not None:
        for r in cover:
            sheet.append(r)
        sheet = book.create_sheet("Data")
    for r in [*above, *rows]:
        sheet.append(r)
    if formula is not None:
        row, column, text = formula
        sheet.cell(row=row + len(above), column=rows[0].index(column) + 1, value=text)
    book.save(folder / f"{table}.xlsx")
    (folder / f"{table}.csv").unlink()


def _to_parquet(folder: Path, table: str, column: str, values: list, kind: pa.DataType) -> None:
    """Replace ``table``.csv by Parquet (text columns), ``column`` given ``values`` for its
    first rows (the rest null) as type ``kind``."""
    rows = _rows(folder / f"{table}.csv")
    header, body = rows[0], rows[1:]
    arrays = {}
    for k, name in enumerate(header):
        if name == column:
            arrays[name] = pa.array(values + [None] * (len(body) - len(values)), kind)
        else:
            arrays[name] = pa.array([r[k] for r in body], pa.string())
    pq.write_table(pa.table(arrays), folder / f"{table}.parquet")
    (folder / f"{table}.csv").unlink()


def _header_only(folder: Path, table: str) -> None:
    lines = (folder / f"{table}.csv").read_text(encoding="utf-8").split("\n")
    (folder / f"{table}.csv").write_text(lines[0] + "\n", encoding="utf-8")


def _with_bytes(folder: Path, file: str, fn: Callable[[bytes], bytes]) -> None:
    (folder / file).write_bytes(fn((folder / file).read_bytes()))


# --------------------------------------------------------------------------- cases built here


def _bad_byte_after_64k(folder: Path) -> None:
    lines = _long(folder, "persons.csv", 3000)
    lines[1] = lines[1].replace("kommune_01", "Århus")
    lines[2500] = lines[2500].replace("kommune_01", "kommune\xe6", 1)  # row 2501
    data = "\n".join(lines).encode("utf-8").replace("kommune\xe6".encode("utf-8"), b"kommune\xe6")
    assert data.index(b"kommune\xe6") > 1 << 16
    (folder / "persons.csv").write_bytes(data)


def _deep(kind: str) -> Callable[[Path], None]:
    def build(folder: Path) -> None:
        lines = _long(folder, "outcomes.csv", 50000)
        lines[44000] = {"extra": lines[44000] + ",1,2",
                        "missing": lines[44000].rsplit(",", 2)[0],
                        "quote": lines[44000].replace(",", ',"', 1)}[kind]
        (folder / "outcomes.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return build


def _arrival_after_forms(folder: Path) -> None:
    answered = _get(folder, "forms.csv", _first_form_row(folder, 2), "answered_on")
    year = int(answered[:4])
    _set(folder, "persons.csv", 2, "arrival_date", f"{year + 1}{answered[4:]}")


def _born_after_arrival(folder: Path) -> None:
    arrival = _get(folder, "persons.csv", 3, "arrival_date")
    _set(folder, "persons.csv", 3, "birth_year", str(int(arrival[:4]) + 1))


def _wrong_respondent_item(folder: Path) -> None:
    rows = _rows(folder / "forms.csv")
    k = next(i for i, r in enumerate(rows) if i and r[2] == "citizen")
    _set(folder, "forms.csv", k + 1, "w03", "4")


def _two_files(folder: Path) -> None:
    shutil.copy(folder / "persons.csv", folder / "persons_copy.csv")
    _to_xlsx(folder, "persons")
    shutil.move(folder / "persons_copy.csv", folder / "persons.csv")


def _duplicate_column(folder: Path) -> None:
    rows = _rows(folder / "persons.csv")
    _write_rows(folder / "persons.csv", [r + [r[rows[0].index("origin")]] for r in rows])


def _unnamed_column(folder: Path) -> None:
    rows = _rows(folder / "persons.csv")
    _write_rows(folder / "persons.csv", [rows[0] + [""]] + [r + ["x"] for r in rows[1:]])


def _drop_column(folder: Path) -> None:
    rows = _rows(folder / "persons.csv")
    k = rows[0].index("gender")
    _write_rows(folder / "persons.csv", [r[:k] + r[k + 1:] for r in rows])


def _duplicate_month(folder: Path) -> None:
    rows = _rows(folder / "outcomes.csv")
    _write_rows(folder / "outcomes.csv", rows[:3] + [list(rows[2])] + rows[3:])


def _pipe_separated(folder: Path) -> None:
    rows = _rows(folder / "persons.csv")
    (folder / "persons.csv").write_text("\n".join("|".join(r) for r in rows) + "\n", encoding="utf-8")


def _list_column(folder: Path) -> None:
    rows = _rows(folder / "persons.csv")
    arrays = {n: pa.array([r[k] for r in rows[1:]]) for k, n in enumerate(rows[0])}
    arrays["birth_year"] = pa.array([[1990]] * (len(rows) - 1), pa.list_(pa.int64()))
    pq.write_table(pa.table(arrays), folder / "persons.parquet")
    (folder / "persons.csv").unlink()


def _empty_first_sheet(folder: Path) -> None:
    openpyxl.Workbook().save(folder / "forms.xlsx")
    (folder / "forms.csv").unlink()


def _html_named_xlsx(folder: Path) -> None:
    (folder / "outcomes.xlsx").write_text("<html><table><tr><td>person_id</td></tr></table></html>")
    (folder / "outcomes.csv").unlink()


def _not_a_folder(folder: Path) -> None:
    shutil.rmtree(folder)
    folder.write_text("person_id\n")


NO_QUOTE = "stray quote"


CASES: dict[str, Case] = {
    # committed folders (tests/data/malformed/)
    "binary_junk_file": Case(None, ("outcomes.csv", None, None), "binary data, not text"),
    "binary_junk_in_cell": Case(None, ("persons.csv", None, "municipality"), "control characters", "import"),
    "cpr_ids_without_key": Case(None, ("persons.csv", None, "person_id"), "not CPR numbers", "import"),
    "cpr_in_free_text": Case(None, ("persons.csv", None, "origin"), "without CPR numbers", "import"),
    "duplicate_forms": Case(None, ("forms.csv", 3, None), "one row per person_id, respondent, answered_on (row 2"),
    "duplicate_person_ids": Case(None, ("persons.csv", 4, "person_id"), "not used before in this file (row 2"),
    "empty_file": Case(None, ("persons.csv", None, None), "the file is empty"),
    "formula_caseworker_plus": Case(None, ("forms.csv", 2, "caseworker_id"), "formula injection", "import"),
    "formula_hyperlink": Case(None, ("persons.csv", 2, "origin"), "formula injection", "import"),
    "formula_municipality": Case(None, ("persons.csv", 2, "municipality"), "formula injection", "import"),
    "formula_origin_at": Case(None, ("persons.csv", 2, "origin"), "formula injection", "import"),
    "future_date": Case(None, ("forms.csv", 2, "answered_on"), "a date not after today"),
    "huge_numbers": Case(None, ("persons.csv", 2, "birth_year"), "a whole number from 1900 to"),
    "huge_text": Case(None, ("persons.csv", None, "origin"), "at most 1000 characters", "import"),
    "missing_table": Case(None, ("outcomes.*", None, None), "one file outcomes.csv"),
    "mixed_date_formats": Case(None, ("persons.csv", 2, "arrival_date"), "a date dd-mm-yyyy"),
    "truncated_csv": Case(None, ("forms.csv", 23, "w07"), "28 fields as in the header row (got 23"),
    "truncated_parquet": Case(None, ("persons.parquet", None, None), "readable Parquet"),
    "truncated_xlsx": Case(None, ("outcomes.xlsx", None, None), "readable Excel"),
    "unbalanced_quote": Case(None, ("persons.csv", 2, "municipality"), NO_QUOTE),
    "undecodable_bytes": Case(None, ("persons.csv", 3, "municipality"), "UTF-8 text like the rest of the file"),
    "utf16_without_bom": Case(None, ("persons.csv", None, None), "UTF-16 text without a byte order mark"),
    "wrong_header": Case(None, ("forms.csv", None, "answer_date"), "did you mean 'answered_on'"),
    "zip_named_csv": Case(None, ("forms.csv", None, None), "a ZIP archive"),
    # structure
    "header_only_persons": Case(lambda d: _header_only(d, "persons"), ("persons.csv", None, None),
                                "at least one data row below the header"),
    "header_only_forms": Case(lambda d: _header_only(d, "forms"), ("forms.csv", None, None),
                              "at least one data row below the header"),
    "missing_column": Case(_drop_column, ("persons.csv", None, "gender"), "a column with this name"),
    "duplicate_column": Case(_duplicate_column, ("persons.csv", None, "origin"), "each column once (column 5"),
    "unnamed_column_with_data": Case(_unnamed_column, ("persons.csv", None, "<column 10>"), "a column name"),
    "two_files_for_one_table": Case(_two_files, ("persons.*", None, None), "exactly one file for the persons table"),
    "not_a_folder": Case(_not_a_folder, ("case", None, None), "a folder holding the tables"),
    "csv_title_row": Case(lambda d: _with_bytes(d, "persons.csv", lambda b: b"FIP borgere 2019\n" + b),
                          ("persons.csv", 1, None), "a title row above the header?"),
    "wrong_separator": Case(_pipe_separated, ("persons.csv", None, None), "the header row (person_id"),
    # CSV parsing and encodings (13.18, 13.19)
    "extra_field_deep": Case(_deep("extra"), ("outcomes.csv", 44001, None), "5 fields as in the header row (got 7"),
    "missing_field_deep": Case(_deep("missing"), ("outcomes.csv", 44001, "ordinary_employment"),
                               "5 fields as in the header row (got 3"),
    "stray_quote_deep": Case(_deep("quote"), ("outcomes.csv", 44001, "month"), NO_QUOTE),
    "extra_field": Case(lambda d: _edit_line(d, "persons.csv", 5, lambda s: s + ",x"), ("persons.csv", 5, None),
                        "9 fields as in the header row (got 10"),
    "bad_byte_after_64k": Case(_bad_byte_after_64k, ("persons.csv", 2501, "municipality"),
                               "byte 0xE6 at byte offset"),
    "bom_then_bad_byte": Case(lambda d: _with_bytes(d, "persons.csv", lambda b: b"\xef\xbb\xbf" + b.replace(
        b"Syria", b"Syri\xe6", 1)), ("persons.csv", 2, "origin"), "UTF-8 text like the rest of the file"),
    "undefined_cp1252_byte": Case(lambda d: _with_bytes(d, "forms.csv", lambda b: b.replace(b"cw001", b"cw\xf80", 1)
                                                        .replace(b"cw001", b"cw\x8d1", 1)),
                                  ("forms.csv", 3, "caseworker_id"), "cannot be decoded as UTF-8 nor as Windows-1252"),
    "control_chars_in_id": Case(lambda d: _set(d, "forms.csv", 3, "caseworker_id", "cw\x07001"),
                                ("forms.csv", None, "caseworker_id"), "control characters", "import"),
    # XLSX (13.16)
    "xlsx_formula_without_value": Case(lambda d: _to_xlsx(d, "persons", formula=(3, "birth_year", "=1900+80")),
                                       ("persons.xlsx", 3, "birth_year"), "not a formula without a saved result"),
    "xlsx_cover_sheet": Case(lambda d: _to_xlsx(d, "forms", cover=[["FIP udtræk"], ["Jobcenter"]]),
                             ("forms.xlsx", None, None), "row 1 of sheet 'Data': move that sheet first"),
    "xlsx_title_row": Case(lambda d: _to_xlsx(d, "persons", above=[["FIP: borgere, 2019"]]),
                           ("persons.xlsx", None, None), "it is in row 2: delete the rows above it"),
    "xlsx_empty_first_sheet": Case(_empty_first_sheet, ("forms.xlsx", None, None), "the first sheet is empty"),
    "html_named_xlsx": Case(_html_named_xlsx, ("outcomes.xlsx", None, None), "readable Excel"),
    # Parquet (13.21)
    "parquet_inf_score": Case(lambda d: _to_parquet(d, "forms", "c02", [float("inf")], pa.float64()),
                              ("forms.parquet", 2, "c02"), "got 'inf'"),
    "parquet_nan_rate": Case(lambda d: _to_parquet(d, "outcomes", "employment_rate", [0.5, float("nan")],
                                                   pa.float64()), ("outcomes.parquet", 3, "employment_rate"),
                             "got 'NaN'"),
    "parquet_list_column": Case(_list_column, ("persons.parquet", 2, "birth_year"), "got '[1990]'"),
    # implausible dates (13.20)
    "answered_before_2000": Case(lambda d: _set(d, "forms.csv", 4, "answered_on", "1900-01-01"),
                                 ("forms.csv", 4, "answered_on"), "a date from 2000-01-01 on"),
    "answered_year_one": Case(lambda d: _set(d, "forms.csv", 4, "answered_on", "0001-01-01"),
                              ("forms.csv", 4, "answered_on"), "a date from 2000-01-01 on"),
    "arrival_1850": Case(lambda d: _set(d, "persons.csv", 4, "arrival_date", "1850-05-01"),
                         ("persons.csv", 4, "arrival_date"), "a date from 1900-01-01 on"),
    "arrival_after_forms": Case(_arrival_after_forms, ("persons.csv", 2, "arrival_date"),
                                "an arrival date not after the person's first form"),
    "born_in_future": Case(lambda d: _set(d, "persons.csv", 3, "birth_year", "2999"),
                           ("persons.csv", 3, "birth_year"), "(not after this year)"),
    "born_after_arrival": Case(_born_after_arrival, ("persons.csv", 3, "birth_year"),
                               "a birth year not after the arrival date"),
    # cells
    "score_off_scale": Case(lambda d: _set(d, "forms.csv", 2, "c05", "8"), ("forms.csv", 2, "c05"),
                            "whole number from 1 to 7"),
    "score_decimal": Case(lambda d: _set(d, "forms.csv", 2, "c05", "4,5"), ("forms.csv", 2, "c05"),
                          "whole number from 1 to 7"),
    "item_of_other_respondent": Case(_wrong_respondent_item, ("forms.csv", 2, "w03"), "w03 is a caseworker item"),
    "unknown_gender": Case(lambda d: _set(d, "persons.csv", 6, "gender", "x"), ("persons.csv", 6, "gender"),
                           "one of female, male"),
    "unknown_language": Case(lambda d: _set(d, "forms.csv", 5, "language", "klingon"), ("forms.csv", 5, "language"),
                             "one of da, ar, so, fa, ti, en"),
    "unknown_respondent": Case(lambda d: _set(d, "forms.csv", 5, "respondent", "boss"),
                               ("forms.csv", 5, "respondent"), "one of citizen, caseworker"),
    "invalid_month": Case(lambda d: _set(d, "outcomes.csv", 7, "month", "2017-13"), ("outcomes.csv", 7, "month"),
                          "a month yyyy-mm"),
    "rate_above_one": Case(lambda d: _set(d, "outcomes.csv", 8, "employment_rate", "1,5"),
                           ("outcomes.csv", 8, "employment_rate"), "a number from 0 to 1"),
    "bool_invalid": Case(lambda d: _set(d, "outcomes.csv", 9, "education", "maybe"), ("outcomes.csv", 9, "education"),
                         "ja/nej"),
    "empty_required_cell": Case(lambda d: _set(d, "persons.csv", 7, "municipality", "  "),
                                ("persons.csv", 7, "municipality"), "must not be empty"),
    "placeholder_in_required_cell": Case(lambda d: _set(d, "persons.csv", 7, "municipality", "-"),
                                         ("persons.csv", 7, "municipality"), "must not be empty"),
    "unknown_person_in_forms": Case(lambda d: _set(d, "forms.csv", 6, "person_id", "p9999"),
                                    ("forms.csv", 6, "person_id"), "a person_id listed in persons.csv"),
    "unknown_person_in_outcomes": Case(lambda d: _set(d, "outcomes.csv", 10, "person_id", "p9999"),
                                       ("outcomes.csv", 10, "person_id"), "a person_id listed in persons.csv"),
    "duplicate_outcome_month": Case(_duplicate_month, ("outcomes.csv", 4, None), "one row per person_id, month"),
    "formula_in_origin_minus": Case(lambda d: _set(d, "persons.csv", 5, "origin", "-2+3"),
                                    ("persons.csv", 5, "origin"), "formula injection", "import"),
}
for _name in sorted(p.name for p in COMMITTED.iterdir() if p.is_dir()):
    assert _name in CASES and CASES[_name].build is None, f"committed case {_name} has no entry"


# --------------------------------------------------------------------------- running a case


def _tree_hash(path: Path) -> str:
    """sha256 over the names and bytes of every file under ``path`` (or of the file)."""
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for f in files:
        digest.update(str(f.relative_to(path.parent)).encode() + b"\0" + f.read_bytes() + b"\0")
    return digest.hexdigest()


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return write_dataset(simulate_cohort(12, seed=5), tmp_path_factory.mktemp("corpus") / "base", format="csv")


@pytest.fixture(scope="module")
def base_store(tmp_path_factory, base) -> Path:
    folder = tmp_path_factory.mktemp("store")
    result = runner.invoke(app, ["import", str(base), "--store", str(folder / "fip.duckdb")])
    assert result.exit_code == 0, result.output
    return folder


def _prefix(where: tuple[str, int | None, str | None]) -> str:
    file, row, column = where
    parts = [file] + ([f"row {row}"] if row is not None else []) + ([f"column {column!r}"] if column else [])
    return "error: " + ", ".join(parts) + ":"


def _check_refusal(result, case: Case, files: set[str]) -> None:
    assert result.exit_code == 2, result.output
    err = result.stderr
    assert "Traceback" not in err and "Traceback" not in result.stdout
    lines = err.splitlines()
    assert lines and all(line.startswith("error: ") for line in lines), err
    assert lines[0].startswith(_prefix(case.where)), (lines[0], _prefix(case.where))
    assert case.words in lines[0], lines[0]
    for line in lines:  # every problem names a file of the dataset
        assert any(f in line for f in files), line
    assert not CPR.search(err) and not PERSON_ID.search(err), err


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_input_is_refused_whole(name, base, base_store, tmp_path, monkeypatch):
    monkeypatch.delenv("FIP_PSEUDONYM_KEY", raising=False)
    case = CASES[name]
    folder = tmp_path / "case"
    if case.build is None:
        shutil.copytree(COMMITTED / name, folder)
    else:
        shutil.copytree(base, folder)
        case.build(folder)
    files = {"persons.", "forms.", "outcomes.", "case"}

    store = tmp_path / "store"
    shutil.copytree(base_store, store)
    before = _tree_hash(store)
    result = runner.invoke(app, ["import", str(folder), "--store", str(store / "fip.duckdb")])
    _check_refusal(result, case, files)
    assert _tree_hash(store) == before

    if case.stage == "load":  # every command reading the folder refuses it, writing nothing
        out = tmp_path / "out"
        out.mkdir()
        (out / "report.html").write_text("an earlier run", encoding="utf-8")
        before = _tree_hash(out)
        result = runner.invoke(app, ["replicate", str(folder), "--out", str(out)])
        _check_refusal(result, case, files)
        assert _tree_hash(out) == before


def test_the_corpus_has_at_least_60_classes():
    assert len(CASES) >= 60
    assert len({(c.where, c.words) for c in CASES.values()}) >= 55  # distinct, not one case repeated


def test_dash_placeholder_in_origin_is_imported_as_missing(base, tmp_path):
    """Issue 13.21: a lone '-' in a text column is 'not stated', not a formula."""
    from fip.store import load_store

    folder = tmp_path / "case"
    shutil.copytree(base, folder)
    _set(folder, "persons.csv", 2, "origin", "-")
    result = runner.invoke(app, ["import", str(folder), "--store", str(tmp_path / "fip.duckdb")])
    assert result.exit_code == 0, result.output
    persons = load_store(tmp_path / "fip.duckdb").persons
    pid = _get(folder, "persons.csv", 2, "person_id")
    assert persons.loc[persons["person_id"] == pid, "origin"].isna().all()
