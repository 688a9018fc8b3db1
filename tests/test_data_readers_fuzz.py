"""Fuzzing the readers (hypothesis): any bytes in a dataset file give a valid dataset or an
InvalidDataError listing one-line problems that name a file of the dataset, never another
exception; and through the CLI, exit code 2 without a traceback.

Inputs: random bytes, random edits of a valid CSV or Parquet file (flipped, inserted and
deleted bytes, repeated and cut lines), workbooks of random cells (text, numbers, NaN and
infinity, dates, booleans, formulas) and Parquet tables of random column types.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import os
import tempfile
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from fip.cli import app
from fip.data import Dataset, load_dataset, write_dataset
from fip.errors import InvalidDataError
from fip.simulate import simulate_cohort

TABLES = ("persons", "forms", "outcomes")
#: Examples per test; FIP_FUZZ_EXAMPLES=500 for a longer hunt (CI keeps the suite fast).
EXAMPLES = int(os.environ.get("FIP_FUZZ_EXAMPLES", "20"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@functools.cache
def _valid(fmt: str) -> dict[str, bytes]:
    """The files of a small valid dataset in ``fmt`` (csv or parquet), by file name."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_dataset(simulate_cohort(10, seed=1), Path(tmp) / "d", format=fmt)
        return {p.name: p.read_bytes() for p in folder.iterdir()}


def _check(files: dict[str, bytes]) -> None:
    """Load a folder of ``files``: a Dataset, or an InvalidDataError of one-line problems."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "d"
        folder.mkdir()
        for name, data in files.items():
            (folder / name).write_bytes(data)
        try:
            dataset = load_dataset(folder, today="2030-01-01")
        except InvalidDataError as exc:
            assert exc.problems
            names = set(files) | {f"{t}.*" for t in TABLES}
            for problem in exc.problems:
                line = str(problem)
                assert line and "\n" not in line and "Traceback" not in line
                assert problem.file in names, line
        else:
            assert isinstance(dataset, Dataset)
            assert len(dataset.persons) >= 1 and len(dataset.forms) >= 1


def _edit(data: bytes, edits: list[tuple[str, int, int]]) -> bytes:
    out = bytearray(data)
    for kind, at, byte in edits:
        k = at % (len(out) + 1)
        if kind == "flip" and k < len(out):
            out[k] = byte
        elif kind == "insert":
            out[k:k] = bytes([byte])
        elif kind == "delete":
            del out[k:k + 1 + byte % 8]
        elif kind == "cut":
            del out[k:]
        elif kind == "repeat_line":
            start = out.rfind(b"\n", 0, k) + 1
            end = out.find(b"\n", k)
            end = len(out) if end < 0 else end + 1
            out[end:end] = out[start:end]
    return bytes(out)


edits = st.lists(st.tuples(st.sampled_from(["flip", "insert", "delete", "cut", "repeat_line"]),
                           st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=6)
special = st.sampled_from([b'"', b";", b",", b"\r", b"\n", b"\x00", b"\xe6", b"\xc3", b"\xef\xbb\xbf", b"=", b"-"])


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@FUZZ
@given(table=st.sampled_from(TABLES), changes=edits)
def test_edited_file_loads_or_is_refused(fmt, table, changes):
    files = dict(_valid(fmt))
    files[f"{table}.{fmt}"] = _edit(files[f"{table}.{fmt}"], changes)
    _check(files)


@FUZZ
@given(table=st.sampled_from(TABLES), at=st.integers(0, 10**6), pieces=st.lists(special, min_size=1, max_size=4))
def test_csv_with_quotes_separators_and_odd_bytes_spliced_in(table, at, pieces):
    files = dict(_valid("csv"))
    data = files[f"{table}.csv"]
    k = at % (len(data) + 1)
    files[f"{table}.csv"] = data[:k] + b"".join(pieces) + data[k:]
    _check(files)


@FUZZ
@given(table=st.sampled_from(TABLES), ext=st.sampled_from([".csv", ".parquet", ".xlsx"]),
       data=st.binary(max_size=600))
def test_random_bytes_in_a_table_file(table, ext, data):
    files = {k: v for k, v in _valid("csv").items() if not k.startswith(table)}
    files[f"{table}{ext}"] = data
    _check(files)


cells = st.one_of(
    st.none(), st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12), st.integers(-10**12, 10**12), st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    st.sampled_from(["=1+1", "=A1", "-", "K", "kvinde", "2017-03-01", "31-02-2017", "1,5", "p0001"]),
)


def _xlsx_bytes(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    for r in rows:
        book.active.append([c if not (isinstance(c, float) and not math.isfinite(c)) else str(c) for c in r])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.xlsx"
        book.save(path)
        return path.read_bytes()


@FUZZ
@given(header=st.lists(st.sampled_from(["person_id", "municipality", "gender", "birth_year", "origin", "education",
                                         "work_experience", "arrival_date", "x", "", "Person_ID "]),
                       min_size=1, max_size=9),
       body=st.lists(st.lists(cells, max_size=10), max_size=6))
def test_workbook_of_random_cells_loads_or_is_refused(header, body):
    files = {k: v for k, v in _valid("csv").items() if not k.startswith("persons")}
    files["persons.xlsx"] = _xlsx_bytes([header, *body])
    _check(files)


arrow_columns = st.sampled_from([
    pa.array(["p0001", None, "Århus"]),
    pa.array([1.5, float("nan"), float("inf")]),
    pa.array([1, None, 7], pa.int64()),
    pa.array([True, False, None]),
    pa.array([[1], [], None], pa.list_(pa.int64())),
    pa.array([b"\x00\xff", b"", None], pa.binary()),
    pa.array([dt.date(2017, 1, 1), None, dt.date(1850, 1, 1)], pa.date32()),
    pa.array([dt.datetime(2017, 1, 1, 12), None, dt.datetime(2999, 1, 1)], pa.timestamp("us", tz="UTC")),
    pa.array([{"a": 1}, None, {"a": 2}], pa.struct([("a", pa.int64())])),
    pa.array(["x", "y", "x"]).dictionary_encode(),
])


@FUZZ
@given(names=st.lists(st.sampled_from(["person_id", "caseworker_id", "respondent", "answered_on", "language",
                                        "c01", "w01", "junk"]), min_size=1, max_size=6, unique=True),
       columns=st.lists(arrow_columns, min_size=6, max_size=6))
def test_parquet_of_random_column_types_loads_or_is_refused(names, columns):
    files = {k: v for k, v in _valid("csv").items() if not k.startswith("forms")}
    table = pa.table({n: c for n, c in zip(names, columns)})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    files["forms.parquet"] = sink.getvalue().to_pybytes()
    _check(files)


@pytest.mark.parametrize("data", [b"\xff\xfe\x00", b'"' * 50, b"person_id\n" + b"\x00" * 100,
                                  b"person_id;municipality\n1;\xe6\n" + b"x" * 70000 + b"\xc3"])
def test_cli_refuses_with_exit_2_and_no_traceback(tmp_path, data):
    folder = tmp_path / "d"
    folder.mkdir()
    for name, content in _valid("csv").items():
        (folder / name).write_bytes(content)
    (folder / "persons.csv").write_bytes(data)
    result = CliRunner().invoke(app, ["validate", str(folder)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.stderr and "persons.csv" in result.stderr
    assert all(line.startswith(("error: ", str(folder))) for line in result.stderr.splitlines())
