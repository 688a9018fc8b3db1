"""fip.store.importer: delta imports (forms of persons already in the store without persons),
a full disk (tmpfs, or a file-size limit) and new stores built aside."""

from __future__ import annotations

import os
import resource
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from fip.data import Dataset, write_dataset
from fip.data.writers import _write_csv, table_to_arrow
from fip.data.schema import load_schema
from fip.errors import FipError, InvalidDataError
from fip.simulate import simulate_cohort
from fip.store import import_dataset, load_store
from test_store_kill import state

KEY = b"k" * 32


def _write_tables(folder: Path, dataset: Dataset, tables: tuple[str, ...]) -> Path:
    """Only ``tables`` of ``dataset`` as canonical CSV (a delta folder)."""
    schema = load_schema(dataset.instrument)
    folder.mkdir(parents=True)
    for t in tables:
        _write_csv(table_to_arrow(dataset.table(t), schema.table(t), "csv"), folder / f"{t}.csv")
    return folder


@pytest.fixture(scope="module")
def quarters(tmp_path_factory):
    """A cohort split at a date: the first quarter (all three tables, forms up to the cut),
    and the later forms and outcome months on their own."""
    tmp = tmp_path_factory.mktemp("delta")
    full = simulate_cohort(300, seed=8)
    cut = full.forms["answered_on"].quantile(0.6)
    early = full.forms["answered_on"] <= cut
    months = full.outcomes["month"].dt.to_timestamp() <= cut
    first = Dataset(full.persons, full.forms[early].reset_index(drop=True),
                    full.outcomes[months].reset_index(drop=True), full.instrument)
    later = Dataset(full.persons.iloc[:0], full.forms[~early].reset_index(drop=True),
                    full.outcomes[~months].reset_index(drop=True), full.instrument)
    q1 = write_dataset(first, tmp / "q1")
    base = tmp / "base.duckdb"
    import_dataset(q1, base, user="analyst")
    return {"full": full, "later": later, "base": base, "tmp": tmp}


def _sorted(frame: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    return frame.sort_values(key).reset_index(drop=True)


def test_delta_import_of_forms_and_outcomes_without_persons(quarters, tmp_path):
    store = tmp_path / "s.duckdb"
    shutil.copy(quarters["base"], store)
    delta = _write_tables(tmp_path / "q2", quarters["later"], ("forms", "outcomes"))
    report = import_dataset(delta, store, user="analyst")
    assert [t.table for t in report.tables] == ["forms", "outcomes"]
    assert report.tables[0].inserted == len(quarters["later"].forms) > 0
    whole = tmp_path / "whole.duckdb"  # the same cohort imported in one go
    import_dataset(write_dataset(quarters["full"], tmp_path / "all"), whole)
    got, full = load_store(store), load_store(whole)
    pd.testing.assert_frame_equal(got.persons, full.persons)
    for t, key in (("forms", ["person_id", "respondent", "answered_on"]), ("outcomes", ["person_id", "month"])):
        pd.testing.assert_frame_equal(_sorted(got.table(t), key), _sorted(full.table(t), key))
    assert import_dataset(delta, store).changed is False  # idempotent, as every import


def test_delta_form_of_an_unknown_person_names_file_row_column(quarters, tmp_path):
    store = tmp_path / "s.duckdb"
    shutil.copy(quarters["base"], store)
    before = state(store)
    later = quarters["later"]
    forms = later.forms.copy()
    forms.loc[3, "person_id"] = "nobody"
    delta = _write_tables(tmp_path / "q2", Dataset(later.persons, forms, later.outcomes, later.instrument),
                          ("forms", "outcomes"))
    with pytest.raises(InvalidDataError) as err:
        import_dataset(delta, store)
    lines = [str(p) for p in err.value.problems]
    assert lines == [f"forms.csv, row 5, column 'person_id': expected a person_id already in the "
                     f"store {store}"]
    assert state(store) == before
    # with a persons file listing only new persons, old and new persons both count
    new_person = quarters["full"].persons.iloc[[0]].assign(person_id="nobody")
    with_new = _write_tables(tmp_path / "q3", Dataset(new_person, forms, later.outcomes, later.instrument),
                             ("persons", "forms", "outcomes"))
    report = import_dataset(with_new, store)
    assert report.tables[0].inserted == 1 and len(load_store(store).persons) == len(quarters["full"].persons) + 1
    forms.loc[4, "person_id"] = "stranger"
    stranger = _write_tables(tmp_path / "q4", Dataset(new_person, forms, later.outcomes, later.instrument),
                             ("persons", "forms", "outcomes"))
    with pytest.raises(InvalidDataError, match=r"forms.csv, row 6, column 'person_id': expected a "
                                               r"person_id listed in persons.csv or already in the store"):
        import_dataset(stranger, store)


def test_a_new_store_needs_every_table(quarters, tmp_path):
    delta = _write_tables(tmp_path / "q2", quarters["later"], ("forms", "outcomes"))
    with pytest.raises(InvalidDataError, match="persons"):
        import_dataset(delta, tmp_path / "new.duckdb")
    assert list(tmp_path.iterdir()) == [tmp_path / "q2"]


def _cpr_cohort() -> Dataset:
    ds = simulate_cohort(60, seed=9)
    ids = {p: f"{(k % 28) + 1:02d}0190-{1000 + k:04d}" for k, p in enumerate(ds.persons["person_id"])}
    swap = lambda f: f.assign(person_id=f["person_id"].map(ids).astype(f["person_id"].dtype))  # noqa: E731
    return Dataset(swap(ds.persons), swap(ds.forms), swap(ds.outcomes), ds.instrument)


def test_delta_with_cpr_ids_is_pseudonymised_like_the_store(tmp_path):
    ds = _cpr_cohort()
    cut = ds.forms["answered_on"].quantile(0.6)
    early = ds.forms["answered_on"] <= cut
    store = tmp_path / "s.duckdb"
    import_dataset(write_dataset(Dataset(ds.persons, ds.forms[early].reset_index(drop=True), ds.outcomes,
                                         ds.instrument), tmp_path / "q1"), store, key=KEY)
    later = Dataset(ds.persons.iloc[:0], ds.forms[~early].reset_index(drop=True), ds.outcomes.iloc[:0], ds.instrument)
    delta = _write_tables(tmp_path / "q2", later, ("forms", "outcomes"))
    before = state(store)
    with pytest.raises(InvalidDataError, match="forms.csv, column 'person_id'.*CPR-like ids"):
        os.environ.pop("FIP_PSEUDONYM_KEY", None)
        import_dataset(delta, store)  # no key: the ids are neither matched nor stored raw
    assert state(store) == before
    report = import_dataset(delta, store, key=KEY)
    assert report.tables[0].inserted == len(later.forms) > 0
    stored = load_store(store)
    assert not stored.forms["person_id"].str.contains(r"\d{6}-?\d{4}").any()
    assert set(stored.forms["person_id"]) == set(stored.persons["person_id"])


# --------------------------------------------------------------------------- full disk


def _import_limited(folder: Path, store: Path, limit: int) -> subprocess.CompletedProcess:
    """``fip import`` in a process whose files may not grow past ``limit`` bytes (RLIMIT_FSIZE:
    writes beyond it fail with EFBIG, as on a full disk)."""
    def cap():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run([sys.executable, "-m", "fip.cli", "import", str(folder), "--store", str(store)],
                          preexec_fn=cap, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    return write_dataset(simulate_cohort(3000, seed=5), tmp_path_factory.mktemp("big") / "big")


def _clean_failure(result: subprocess.CompletedProcess, outcome: str) -> None:
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert "no space left on the disk" in lines[0] and outcome in lines[0], lines[0]


def test_file_size_limit_during_import_leaves_the_store_and_no_new_file(quarters, big, tmp_path):
    store = tmp_path / "s.duckdb"
    shutil.copy(quarters["base"], store)
    before = state(store)
    _clean_failure(_import_limited(big, store, 256 * 1024), "the store is unchanged")
    assert state(store) == before
    _clean_failure(_import_limited(big, tmp_path / "new.duckdb", 256 * 1024), "no store was created")
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".wal")) == ["s.duckdb"]


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MB tmpfs (root only; skipped where mounting is not allowed)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_full_disk_during_import(quarters, big, small_disk, tmp_path):
    store = small_disk / "s.duckdb"
    shutil.copy(quarters["base"], store)
    before = state(store)
    run = lambda target: subprocess.run([sys.executable, "-m", "fip.cli", "import", str(big), "--store", str(target)],  # noqa: E731
                                        capture_output=True, text=True, timeout=300)
    _clean_failure(run(store), "the store is unchanged")
    assert state(store) == before
    _clean_failure(run(small_disk / "new.duckdb"), "no store was created")
    assert sorted(p.name for p in small_disk.iterdir() if not p.name.endswith(".wal")) == ["s.duckdb"]
    store.unlink()  # room again: a new store is made whole, where the failed one left nothing in the way
    report = import_dataset(write_dataset(simulate_cohort(40, seed=2), tmp_path / "q"), small_disk / "new.duckdb")
    assert report.tables[0].inserted == 40


def test_new_store_is_private_and_appears_whole(quarters, tmp_path):
    store = tmp_path / "s.duckdb"
    shutil.copy(quarters["base"], tmp_path / "copy.duckdb")
    folder = write_dataset(simulate_cohort(40, seed=2), tmp_path / "q")
    import_dataset(folder, store)
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.duckdb", "q", "s.duckdb"]
    with pytest.raises(FipError, match="does not exist"):
        import_dataset(folder, tmp_path / "no" / "s.duckdb")
