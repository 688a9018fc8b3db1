"""Tests of fip.data.writers: round trips, canonical bytes, atomic and safe replacement."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fip.data.writers as writers
from fip.data import Dataset, dataset_from_frames, load_dataset, write_dataset
from fip.errors import FipError
from fip.instrument import load_instrument

DATA = Path(__file__).parent / "data"
DANISH = DATA / "datasets" / "danish"
TODAY = dt.date(2025, 1, 1)


def _random_dataset(n: int = 60, seed: int = 3, instrument=None) -> Dataset:
    """A messy but valid dataset: missing items, awkward floats, text needing quotes."""
    inst = instrument or load_instrument()
    rng = np.random.default_rng(seed)
    ids = [f"{k:05d}" for k in range(n)]
    persons = pd.DataFrame(
        {
            "person_id": ids,
            "municipality": rng.choice(['Lyngby-Taarbæk, Kgs.', 'Ærø', 'say "hi"', "Aarhus"], n),
            "gender": rng.choice(["female", "male"], n),
            "birth_year": [str(y) if k % 7 else "" for k, y in enumerate(rng.integers(1950, 2000, n))],
            "origin": rng.choice(["Syrien", "Eritrea", ""], n),
            "education": rng.choice(["primary", "none", "unknown", "beyond_primary"], n),
            "work_experience": rng.choice(["yes", "no", "unknown"], n),
            "arrival_date": [str(dt.date(2014, 1, 1) + dt.timedelta(days=int(d))) for d in rng.integers(0, 900, n)],
            "residence_ground": rng.choice(["refugee", "family_reunified", "unknown"], n),
        }
    )
    rows = []
    for k, pid in enumerate(ids):
        for r in range(int(rng.integers(0, 3))):
            for resp in inst.measurement_respondents:
                day = dt.date(2017, 1, 1) + dt.timedelta(days=int(150 * r + rng.integers(0, 25)))
                cells = {"person_id": pid, "caseworker_id": f"k{k % 4}", "respondent": resp,
                         "answered_on": str(day), "language": "ar" if resp == inst.respondent_ids[0] else "",
                         "visitation": rng.choice(["job_ready", "activity_ready", "unknown"])}
                for item in inst.items:
                    ok = item.respondent == resp and rng.random() > 0.1
                    cells[item.id] = str(rng.integers(inst.scale.min, inst.scale.max + 1)) if ok else ""
                rows.append(cells)
    forms = pd.DataFrame(rows, columns=["person_id", "caseworker_id", "respondent", "answered_on", "language",
                                        "visitation", *inst.item_ids()])
    months = [(pid, f"2017-{m:02d}") for pid in ids for m in range(1, 13)]
    rates = rng.random(len(months))
    rates[::5] = 1 / 3
    rates[1::5] = 1e-7
    rates[2::5] = 0.0
    outcomes = pd.DataFrame(
        {
            "person_id": [p for p, _ in months],
            "month": [m for _, m in months],
            "employment_rate": [repr(float(v)) for v in rates],
            "ordinary_employment": rng.choice(["1", "0"], len(months)),
            "education": rng.choice(["ja", "nej"], len(months)),
        }
    )
    return dataset_from_frames(persons, forms, outcomes, inst, today=TODAY)


def _assert_same(a: Dataset, b: Dataset) -> None:
    for name in ("persons", "forms", "outcomes"):
        pd.testing.assert_frame_equal(a.table(name), b.table(name), check_exact=True)


def _bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("source", ["random", "danish", "three_raters"])
def test_round_trip_gives_an_equal_dataset(tmp_path, fmt, source):
    if source == "danish":
        ds = load_dataset(DANISH, today=TODAY)
    elif source == "three_raters":
        ds = _random_dataset(instrument=load_instrument(DATA / "instrument_three_raters.yaml"))
    else:
        ds = _random_dataset()
    out = write_dataset(ds, tmp_path / "out", format=fmt)
    assert out == tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [f"{t}.{fmt}" for t in ("forms", "outcomes", "persons")]
    back = load_dataset(out, ds.instrument, today=TODAY)
    _assert_same(back, ds)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_same_dataset_same_bytes(tmp_path, fmt):
    ds = _random_dataset()
    a = _bytes(write_dataset(ds, tmp_path / "a", format=fmt))
    b = _bytes(write_dataset(ds, tmp_path / "b", format=fmt))
    assert a == b
    # writing what was read back is a fixed point
    c = _bytes(write_dataset(load_dataset(tmp_path / "a", today=TODAY), tmp_path / "c", format=fmt))
    assert a == c


def test_canonical_csv_text(tmp_path):
    out = write_dataset(load_dataset(DANISH, today=TODAY), tmp_path / "out")
    outcomes = (out / "outcomes.csv").read_bytes()
    assert outcomes.decode("utf-8").splitlines()[:3] == [
        "person_id,month,employment_rate,ordinary_employment,education",
        "0101,2017-07,0.25,1,0",
        "0101,2017-08,0.5,1,0",
    ]
    assert b"\r" not in outcomes and not outcomes.startswith(b"\xef\xbb\xbf")
    persons = (out / "persons.csv").read_text(encoding="utf-8").splitlines()
    assert persons[1] == "0101,København,female,1985,Syrien,primary,yes,2015-03-15"
    forms = (out / "forms.csv").read_text(encoding="utf-8").splitlines()
    assert forms[2].startswith("0101,sb07,caseworker,2017-01-20,,,")  # missing values are empty


def test_text_needing_quotes_is_quoted(tmp_path):
    out = write_dataset(_random_dataset(), tmp_path / "out")
    text = (out / "persons.csv").read_text(encoding="utf-8")
    assert '"Lyngby-Taarbæk, Kgs."' in text and '"say ""hi"""' in text


def test_refuses_a_non_empty_folder_that_is_not_a_dataset(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "thesis.docx").write_text("precious")
    with pytest.raises(FipError, match="not a FIP dataset"):
        write_dataset(load_dataset(DANISH, today=TODAY), folder)
    assert sorted(p.name for p in folder.iterdir()) == ["thesis.docx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]  # no temporary left behind
    (tmp_path / "file").write_text("x")
    with pytest.raises(FipError, match="not a folder"):
        write_dataset(load_dataset(DANISH, today=TODAY), tmp_path / "file")


def test_replaces_a_dataset_and_keeps_other_files(tmp_path):
    folder = write_dataset(load_dataset(DANISH, today=TODAY), tmp_path / "d", format="csv")
    (folder / "README.txt").write_text("notes")
    ds = _random_dataset()
    write_dataset(ds, folder, format="parquet")  # csv files must go, or each table has two files
    assert sorted(p.name for p in folder.iterdir()) == ["README.txt", "forms.parquet", "outcomes.parquet", "persons.parquet"]
    _assert_same(load_dataset(folder, today=TODAY), ds)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]
    empty = tmp_path / "empty"
    empty.mkdir()
    write_dataset(ds, empty)
    assert len(list(empty.iterdir())) == 3


def test_a_failure_leaves_the_old_dataset_untouched(tmp_path, monkeypatch):
    folder = write_dataset(load_dataset(DANISH, today=TODAY), tmp_path / "d")
    before = _bytes(folder)
    calls = []

    def failing(table, path):
        calls.append(path.name)
        if len(calls) == 2:
            raise OSError("disk full")
        path.write_bytes(b"partial")

    monkeypatch.setattr(writers, "_write_csv", failing)
    with pytest.raises(OSError, match="disk full"):
        write_dataset(_random_dataset(), folder)
    assert _bytes(folder) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]
    calls.clear()
    with pytest.raises(OSError):
        write_dataset(_random_dataset(), tmp_path / "new")
    assert not (tmp_path / "new").exists()


def test_bad_format_and_unknown_columns(tmp_path):
    ds = load_dataset(DANISH, today=TODAY)
    with pytest.raises(ValueError, match="format must be one of 'csv', 'parquet'; got 'xlsx'"):
        write_dataset(ds, tmp_path / "x", format="xlsx")
    extra = Dataset(ds.persons.assign(latent=1.0), ds.forms, ds.outcomes, ds.instrument)
    with pytest.raises(FipError, match="latent"):
        write_dataset(extra, tmp_path / "y")
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_writer_accepts_other_dtypes_of_the_same_values(tmp_path):
    """A simulator may hand over object strings, other datetime units and numpy ints."""
    ds = load_dataset(DANISH, today=TODAY)
    loose = Dataset(
        ds.persons.astype({"person_id": object, "birth_year": "float64"}).assign(
            arrival_date=ds.persons["arrival_date"].astype("datetime64[ns]")),
        ds.forms.assign(answered_on=ds.forms["answered_on"].astype("datetime64[s]")),
        ds.outcomes.assign(ordinary_employment=ds.outcomes["ordinary_employment"].astype("int8")),
        ds.instrument,
    )
    a = _bytes(write_dataset(ds, tmp_path / "a"))
    b = _bytes(write_dataset(loose, tmp_path / "b"))
    assert a == b
