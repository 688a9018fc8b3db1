"""Tests of fip.store: round trips, idempotent imports, corrections with history, locking,
schema migrations, exports (formula neutralisation).

Reference values come from fip.data.load_dataset of the imported folders (an independent
path from the files to the Dataset), hashlib for file hashes, and an SQL dump of the store
taken with duckdb directly (not through fip.store) for "nothing changed" checks.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from fip.data import Dataset, load_dataset, write_dataset
from fip.errors import FipError, InvalidDataError
from fip.instrument import load_instrument
from fip.simulate import simulate_cohort
from fip.store import (
    SCHEMA_VERSION,
    StoreBusyError,
    export_store,
    import_dataset,
    import_log,
    load_store,
    replaced_rows,
)
from fip.store.schema import MIGRATIONS, Migration, migrate

THREE = Path(__file__).parent / "data" / "instrument_three_raters.yaml"
TABLES = ("persons", "forms", "outcomes")


def dump(path: Path) -> str:
    """SHA-256 of every table of the store file, rows sorted (read with duckdb directly)."""
    if not path.exists():
        return "absent"
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = sorted(r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall())
        parts = []
        for name in names:
            rows = con.execute(f'SELECT * FROM "{name}"').fetchall()
            parts.append((name, sorted(repr(r) for r in rows)))
    finally:
        con.close()
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def assert_same(a: Dataset, b: Dataset) -> None:
    for t in TABLES:
        pd.testing.assert_frame_equal(a.table(t), b.table(t), check_exact=True)


def subset(ds: Dataset, persons: list[str]) -> Dataset:
    keep = lambda f: f[f["person_id"].isin(persons)].reset_index(drop=True)  # noqa: E731
    return Dataset(keep(ds.persons), keep(ds.forms), keep(ds.outcomes), ds.instrument)


@pytest.fixture(scope="module")
def cohort() -> Dataset:
    return simulate_cohort(120, seed=11)


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_load_store_equals_load_dataset(cohort, tmp_path, fmt):
    folder = write_dataset(cohort, tmp_path / "q1", format=fmt)
    report = import_dataset(folder, tmp_path / "s.duckdb", user="ana")
    assert report.import_id == 1
    assert [(t.table, t.inserted) for t in report.tables] == [(t, len(cohort.table(t))) for t in TABLES]
    assert_same(load_dataset(folder), load_store(tmp_path / "s.duckdb"))


def test_three_rater_instrument_round_trip(tmp_path):
    inst = load_instrument(THREE)
    ds = simulate_cohort(60, seed=2, instrument=inst)
    folder = write_dataset(ds, tmp_path / "q1")
    import_dataset(folder, tmp_path / "s.duckdb", instrument=inst)
    assert_same(load_dataset(folder, inst), load_store(tmp_path / "s.duckdb", inst))
    # the store records its instrument: reading it as the FIP instrument is refused
    with pytest.raises(FipError, match="instrument"):
        load_store(tmp_path / "s.duckdb")
    # and a FIP-instrument dataset cannot go into it; nothing is written
    before = dump(tmp_path / "s.duckdb")
    other = write_dataset(simulate_cohort(20, seed=3), tmp_path / "fip")
    with pytest.raises(FipError, match="instrument"):
        import_dataset(other, tmp_path / "s.duckdb")
    assert dump(tmp_path / "s.duckdb") == before


def test_optional_columns_absent_stay_absent(cohort, tmp_path):
    ds = Dataset(cohort.persons.drop(columns="residence_ground"), cohort.forms.drop(columns="visitation"),
                 cohort.outcomes, cohort.instrument)
    folder = write_dataset(ds, tmp_path / "q1")
    import_dataset(folder, tmp_path / "s.duckdb")
    loaded = load_store(tmp_path / "s.duckdb")
    assert "visitation" not in loaded.forms.columns and "residence_ground" not in loaded.persons.columns
    assert_same(load_dataset(folder), loaded)


def test_quarters_accumulate_in_arrival_order(cohort, tmp_path):
    ids = cohort.persons["person_id"].tolist()
    q1 = write_dataset(subset(cohort, ids[:70]), tmp_path / "q1")
    q2 = write_dataset(subset(cohort, ids[50:]), tmp_path / "q2")  # persons 50-69 in both
    store = tmp_path / "s.duckdb"
    import_dataset(q1, store)
    report = import_dataset(q2, store)
    persons = report.tables[0]
    assert (persons.inserted, persons.unchanged, persons.replaced) == (50, 20, 0)
    a, b = load_dataset(q1), load_dataset(q2)
    expected = {}
    for t in TABLES:
        new_b = b.table(t)[~b.table(t)["person_id"].isin(ids[50:70])]
        expected[t] = pd.concat([a.table(t), new_b], ignore_index=True)
    got = load_store(store)
    for t in TABLES:
        pd.testing.assert_frame_equal(got.table(t), expected[t], check_exact=True)


# --------------------------------------------------------------------------- idempotency, corrections


def test_importing_twice_changes_nothing(cohort, tmp_path):
    folder = write_dataset(cohort, tmp_path / "q1")
    store = tmp_path / "s.duckdb"
    import_dataset(folder, store)
    before = dump(store)
    again = import_dataset(folder, store)
    assert not again.changed and again.import_id is None
    assert [t.unchanged for t in again.tables] == [len(cohort.table(t)) for t in TABLES]
    assert dump(store) == before
    # the same data in another format is the same data
    assert not import_dataset(write_dataset(cohort, tmp_path / "pq", format="parquet"), store).changed
    assert dump(store) == before


def test_corrected_form_replaces_and_log_keeps_old_values(cohort, tmp_path):
    store = tmp_path / "s.duckdb"
    q1 = write_dataset(cohort, tmp_path / "q1")
    import_dataset(q1, store, user="first")
    forms = cohort.forms.copy()
    row = int(np.flatnonzero((forms["respondent"] == "citizen").to_numpy())[3])
    old = int(forms.loc[row, "c01"])
    new = 1 if old != 1 else 2
    forms.loc[row, "c01"] = new
    corrected = Dataset(cohort.persons, forms, cohort.outcomes, cohort.instrument)
    q2 = write_dataset(corrected, tmp_path / "q2")
    report = import_dataset(q2, store, user="second")

    f = report.tables[1]
    assert (f.inserted, f.replaced, f.unchanged) == (0, 1, len(forms) - 1)
    assert f.sha256 == hashlib.sha256((q2 / "forms.csv").read_bytes()).hexdigest()
    loaded = load_store(store)
    assert int(loaded.forms.loc[row, "c01"]) == new
    assert_same(load_dataset(q2), loaded)  # the corrected row keeps its place

    history = replaced_rows(store)
    assert len(history) == 1
    h = history.iloc[0]
    assert (h["import_id"], h["user_name"], h["file_name"], h["table_name"]) == (2, "second", "forms.csv", "forms")
    assert h["sha256"] == f.sha256 and h["previous_import_id"] == 1
    assert json.loads(h["old_values"])["c01"] == old and json.loads(h["new_values"])["c01"] == new
    key = json.loads(h["row_key"])
    assert key == {"person_id": forms.loc[row, "person_id"], "respondent": "citizen",
                   "answered_on": forms.loc[row, "answered_on"].strftime("%Y-%m-%d")}
    log = import_log(store)
    assert log["import_id"].tolist() == [1, 1, 1, 2, 2, 2]
    assert log["user_name"].tolist() == ["first"] * 3 + ["second"] * 3
    assert log.loc[log["import_id"] == 2, "replaced"].tolist() == [0, 1, 0]
    # importing the corrected file again: nothing changes
    before = dump(store)
    assert not import_dataset(q2, store).changed
    assert dump(store) == before


def test_invalid_dataset_writes_nothing(cohort, tmp_path):
    store = tmp_path / "s.duckdb"
    bad = write_dataset(cohort, tmp_path / "bad")
    text = (bad / "forms.csv").read_text(encoding="utf-8").split("\n")
    cells = text[1].split(",")
    cells[text[0].split(",").index("answered_on")] = "not a date"
    text[1] = ",".join(cells)
    (bad / "forms.csv").write_text("\n".join(text), encoding="utf-8")
    with pytest.raises(InvalidDataError) as err:
        import_dataset(bad, store)
    assert err.value.problems[0].file == "forms.csv" and err.value.problems[0].row == 2
    assert not store.exists()  # not even created
    import_dataset(write_dataset(cohort, tmp_path / "good"), store)
    before = dump(store)
    with pytest.raises(InvalidDataError):
        import_dataset(bad, store)
    assert dump(store) == before


# --------------------------------------------------------------------------- store files


def test_foreign_files_are_refused(cohort, tmp_path):
    folder = write_dataset(cohort, tmp_path / "q1")
    text = tmp_path / "notes.duckdb"
    text.write_text("not a database")
    with pytest.raises(FipError, match="not a readable fip store"):
        import_dataset(folder, text)
    assert text.read_text() == "not a database"
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE budget (x INTEGER)")
    con.close()
    before = dump(other)
    with pytest.raises(FipError, match="not a fip store"):
        import_dataset(folder, other)
    assert dump(other) == before
    with pytest.raises(FipError, match="no store"):
        load_store(tmp_path / "missing.duckdb")


def test_migrations_are_recorded_and_newer_stores_refused(cohort, tmp_path):
    store = tmp_path / "s.duckdb"
    import_dataset(write_dataset(cohort, tmp_path / "q1"), store)
    con = duckdb.connect(str(store))
    try:
        assert con.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
        extra = Migration(SCHEMA_VERSION + 1, "add a note column",
                          lambda c: c.execute("ALTER TABLE imports ADD COLUMN note VARCHAR"))
        assert migrate(con, "s", MIGRATIONS + (extra,)) == SCHEMA_VERSION + 1
        assert migrate(con, "s", MIGRATIONS + (extra,)) == SCHEMA_VERSION + 1  # applied once
        cols = [r[0] for r in con.execute("DESCRIBE imports").fetchall()]
        versions = [r[0] for r in con.execute("SELECT version FROM schema_version ORDER BY 1").fetchall()]
    finally:
        con.close()
    assert "note" in cols and versions == [SCHEMA_VERSION, SCHEMA_VERSION + 1]
    before = dump(store)
    with pytest.raises(FipError, match="newer fip"):
        load_store(store)
    with pytest.raises(FipError, match="newer fip"):
        import_dataset(write_dataset(simulate_cohort(10, seed=4), tmp_path / "q2"), store)
    assert dump(store) == before


def test_failing_migration_rolls_back(tmp_path):
    con = duckdb.connect(str(tmp_path / "m.duckdb"))

    def broken(c):
        c.execute("CREATE TABLE half_done (x INTEGER)")
        c.execute("SELECT * FROM no_such_table")

    try:
        with pytest.raises(duckdb.Error):
            migrate(con, "m", MIGRATIONS + (Migration(SCHEMA_VERSION + 1, "broken", broken),))
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    finally:
        con.close()
    assert tables == set()  # version 1 and the broken step were one transaction


# --------------------------------------------------------------------------- concurrency

_HOLD = textwrap.dedent("""
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
""")


def test_locked_store_fails_cleanly(cohort, tmp_path):
    store = tmp_path / "s.duckdb"
    folder = write_dataset(cohort, tmp_path / "q1")
    import_dataset(folder, store)
    before = dump(store)
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(store), "30"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        start = time.monotonic()
        with pytest.raises(StoreBusyError) as err:
            import_dataset(write_dataset(simulate_cohort(10, seed=8), tmp_path / "q2"), store, timeout=0.5)
        assert 0.5 <= time.monotonic() - start < 10
        assert f"process {holder.pid}" in str(err.value) and "in use" in str(err.value)
        assert err.value.pid == holder.pid
        with pytest.raises(StoreBusyError):
            load_store(store, timeout=0.2)
    finally:
        holder.kill()
        holder.wait()
    assert dump(store) == before


def test_import_waits_for_the_other_process(cohort, tmp_path):
    store = tmp_path / "s.duckdb"
    import_dataset(write_dataset(cohort, tmp_path / "q1"), store)
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(store), "1.0"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        report = import_dataset(write_dataset(simulate_cohort(10, seed=8), tmp_path / "q2"), store, timeout=60)
    finally:
        holder.wait()
    assert report.import_id == 2


_IMPORT = textwrap.dedent("""
    import sys
    from fip.store import import_dataset
    r = import_dataset(sys.argv[1], sys.argv[2], timeout=120)
    print(r.import_id)
""")


def test_two_processes_importing_at_once(cohort, tmp_path):
    ids = cohort.persons["person_id"].tolist()
    q1 = write_dataset(subset(cohort, ids[:60]), tmp_path / "q1")
    q2 = write_dataset(subset(cohort, ids[60:]), tmp_path / "q2")
    store = tmp_path / "s.duckdb"
    procs = [subprocess.Popen([sys.executable, "-c", _IMPORT, str(q), str(store)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for q in (q1, q2)]
    outs = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-2000:] for o in outs]
    assert sorted(int(o[0]) for o in outs) == [1, 2]
    got = load_store(store)
    for t in TABLES:
        a = got.table(t).sort_values(list(got.table(t).columns[:4])).reset_index(drop=True)
        b = load_dataset(q1).table(t), load_dataset(q2).table(t)
        b = pd.concat(b, ignore_index=True).sort_values(list(a.columns[:4])).reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b, check_exact=True)


# --------------------------------------------------------------------------- export


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx", "dta", "sav"])
def test_export_round_trips(cohort, tmp_path, fmt):
    store = tmp_path / "s.duckdb"
    import_dataset(write_dataset(cohort, tmp_path / "q1"), store)
    out = export_store(store, tmp_path / "out", fmt)
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.{fmt}" for t in TABLES)
    if fmt != "xlsx":
        assert_same(load_store(store), load_dataset(out))
        return
    # openpyxl writes floats with 16 significant digits (Excel shows 15): rates may move by
    # one unit in the 16th digit; everything else is exact
    a, b = load_store(store), load_dataset(out)
    for t in TABLES:
        pd.testing.assert_frame_equal(a.table(t), b.table(t), check_exact=t != "outcomes", rtol=1e-15, atol=0)
    pd.testing.assert_frame_equal(a.outcomes.drop(columns="employment_rate"),
                                  b.outcomes.drop(columns="employment_rate"), check_exact=True)


INJECTIONS = ["=cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "\tleading tab"]


def _poison(store: Path) -> list[str]:
    """Write formula-like text into a store directly (as an older tool might have)."""
    con = duckdb.connect(str(store))
    try:
        ids = [r[0] for r in con.execute("SELECT person_id FROM persons ORDER BY _row LIMIT 5").fetchall()]
        for pid, value in zip(ids, INJECTIONS):
            con.execute("UPDATE persons SET municipality = ? WHERE person_id = ?", [value, pid])
        con.execute("UPDATE forms SET caseworker_id = '=HYPERLINK(\"http://x.example\")' WHERE _row = 0")
    finally:
        con.close()
    return ids


def test_csv_export_neutralises_formulas(cohort, tmp_path):
    store = tmp_path / "s.duckdb"
    import_dataset(write_dataset(cohort, tmp_path / "q1"), store)
    _poison(store)
    out = export_store(store, tmp_path / "out", "csv")
    for t in TABLES:
        with (out / f"{t}.csv").open(encoding="utf-8", newline="") as handle:
            cells = [c for row in csv.reader(handle) for c in row]
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    # one-way: fip.data reads the apostrophe back as part of the value
    back = load_dataset(out)
    assert back.persons["municipality"].iloc[:5].tolist() == ["'" + v for v in INJECTIONS]
    # parquet and neutralise=False keep the stored values
    raw = load_dataset(export_store(store, tmp_path / "pq", "parquet"))
    assert raw.persons["municipality"].iloc[:4].tolist() == INJECTIONS[:4]
    plain = load_dataset(export_store(store, tmp_path / "plain", "csv", neutralise=False))
    assert plain.forms["caseworker_id"].iloc[0] == '=HYPERLINK("http://x.example")'


def test_xlsx_export_has_no_formulas(cohort, tmp_path):
    import openpyxl

    store = tmp_path / "s.duckdb"
    import_dataset(write_dataset(cohort, tmp_path / "q1"), store)
    _poison(store)
    out = export_store(store, tmp_path / "out", "xlsx")
    for t in TABLES:
        book = openpyxl.load_workbook(out / f"{t}.xlsx")
        cells = [c for row in book.worksheets[0].iter_rows() for c in row]
        assert not [c for c in cells if c.data_type == "f"]
        assert not [c for c in cells if isinstance(c.value, str) and c.value[:1] in "=+-@\t\r"]
    assert load_dataset(out).persons["municipality"].iloc[0] == "'" + INJECTIONS[0]
    # exporting again as CSV replaces the Excel export whole: no .xlsx file stays behind
    export_store(store, out, "csv")
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.csv" for t in TABLES)


def test_export_refuses_bad_format(cohort, tmp_path):
    store = tmp_path / "s.duckdb"
    import_dataset(write_dataset(cohort, tmp_path / "q1"), store)
    with pytest.raises(ValueError, match="format"):
        export_store(store, tmp_path / "x", "json")


def test_report_lines_name_files_and_counts(cohort, tmp_path):
    report = import_dataset(write_dataset(cohort, tmp_path / "q1"), tmp_path / "s.duckdb", user="ana",
                            today=dt.date(2030, 1, 1))
    text = "\n".join(report.lines())
    assert "import 1" in text and "by ana" in text
    assert f"forms.csv: {len(cohort.forms):,} rows: {len(cohort.forms):,} new" in text


def test_row_order_survives_scrambled_storage(cohort, tmp_path):
    """load_store orders by (first import, file row) even if the storage order is lost."""
    store = tmp_path / "s.duckdb"
    folder = write_dataset(cohort, tmp_path / "q1")
    import_dataset(folder, store)
    con = duckdb.connect(str(store))
    try:
        con.execute("SELECT setseed(0.5)").fetchall()
        for t in TABLES:
            con.execute(f"CREATE TEMP TABLE shuffled AS SELECT * FROM {t} ORDER BY random()")
            con.execute(f"DELETE FROM {t}")
            con.execute(f"INSERT INTO {t} SELECT * FROM shuffled")
            con.execute("DROP TABLE shuffled")
        first_rows = [r[0] for r in con.execute("SELECT _row FROM forms LIMIT 5").fetchall()]
    finally:
        con.close()
    assert first_rows != [0, 1, 2, 3, 4]  # the storage order really is scrambled
    assert_same(load_dataset(folder), load_store(store))


def test_store_in_missing_folder_is_refused(cohort, tmp_path):
    folder = write_dataset(cohort, tmp_path / "q1")
    with pytest.raises(FipError, match="does not exist"):
        import_dataset(folder, tmp_path / "no" / "such" / "s.duckdb")
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_keeps_a_blank_visitation_blank(cohort, tmp_path, fmt):
    """simulate -> files -> import -> export -> read gives the simulated dataset back: a citizen
    form's blank visitation stays blank (it was read as ``unknown``), ``uoplyst`` is unknown."""
    store = tmp_path / "s.duckdb"
    import_dataset(write_dataset(cohort, tmp_path / "q1", format=fmt), store)
    out = export_store(store, tmp_path / "out", fmt)
    back = load_dataset(out)
    assert_same(back, cohort)
    citizen = cohort.forms["respondent"] == "citizen"
    assert cohort.forms.loc[citizen, "visitation"].isna().all() and back.forms.loc[citizen, "visitation"].isna().all()
    if fmt == "csv":
        lines = (out / "forms.csv").read_text(encoding="utf-8").splitlines()
        column = lines[0].split(",").index("visitation")
        shown = {line.split(",")[column] for line in lines[1:]}
        assert "" in shown and shown <= {"", "job_ready", "activity_ready", "unknown"}
    danish = tmp_path / "danish"
    write_dataset(cohort, danish)
    forms = pd.read_csv(danish / "forms.csv", dtype=str, keep_default_na=False)
    forms.loc[0, "visitation"] = "Uoplyst"
    forms.to_csv(danish / "forms.csv", index=False)
    assert load_dataset(danish).forms.loc[0, "visitation"] == "unknown"
