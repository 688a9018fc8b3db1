"""Malformed inputs (tests/data/malformed/, made by make_corpus.py there): every case gets a
clear error naming the file, and the store is byte-for-byte the same dump before and after.
Also: hypothesis-generated corrections against a plain-Python model of the store."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fip.data import Dataset, load_dataset, write_dataset
from fip.errors import FipError, InvalidDataError
from fip.simulate import simulate_cohort
from fip.store import import_dataset, load_store

CORPUS = Path(__file__).parent / "data" / "malformed"
CPR = re.compile(r"(?<!\d)\d{6}-?\d{4}(?!\d)")

#: case -> (file named in the first problem, words the message must contain)
EXPECTED = {
    "binary_junk_file": ("outcomes.csv", "readable CSV"),
    "binary_junk_in_cell": ("persons.csv", "control characters"),
    "cpr_ids_without_key": ("persons.csv", "not CPR numbers"),
    "cpr_in_free_text": ("persons.csv", "without CPR numbers"),
    "duplicate_forms": ("forms.csv", "one row per person_id, respondent, answered_on"),
    "duplicate_person_ids": ("persons.csv", "not used before"),
    "empty_file": ("persons.csv", "empty"),
    "formula_caseworker_plus": ("forms.csv", "formula injection"),
    "formula_hyperlink": ("persons.csv", "formula injection"),
    "formula_municipality": ("persons.csv", "formula injection"),
    "formula_origin_at": ("persons.csv", "formula injection"),
    "future_date": ("forms.csv", "not after today"),
    "huge_numbers": ("persons.csv", "whole number from 1900 to 2100"),
    "huge_text": ("persons.csv", "at most 1000 characters"),
    "missing_table": ("outcomes.*", "one file outcomes.csv"),
    "mixed_date_formats": ("persons.csv", "a date dd-mm-yyyy"),
    "truncated_csv": ("forms.csv", "readable CSV"),
    "truncated_parquet": ("persons.parquet", "readable Parquet"),
    "truncated_xlsx": ("outcomes.xlsx", "readable Excel"),
    "unbalanced_quote": ("persons.csv", "readable CSV"),
    "undecodable_bytes": ("persons.csv", "readable CSV"),
    "utf16_without_bom": ("persons.csv", "readable CSV"),
    "wrong_header": ("forms.csv", "did you mean 'answered_on'"),
    "zip_named_csv": ("forms.csv", "readable CSV"),
}
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())


def dump(path: Path) -> str:
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = sorted(r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall())
        parts = [(n, sorted(repr(r) for r in con.execute(f'SELECT * FROM "{n}"').fetchall())) for n in names]
    finally:
        con.close()
    return hashlib.sha256(repr(parts).encode()).hexdigest()


@pytest.fixture(scope="module")
def base_store(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("base")
    store = tmp / "s.duckdb"
    import_dataset(write_dataset(simulate_cohort(30, seed=9), tmp / "q0"), store)
    return store


def test_corpus_is_complete():
    assert CASES == sorted(EXPECTED)


@pytest.mark.parametrize("case", CASES)
def test_malformed_input_is_refused_and_store_unchanged(case, base_store, tmp_path, monkeypatch):
    monkeypatch.delenv("FIP_PSEUDONYM_KEY", raising=False)
    store = tmp_path / "s.duckdb"
    shutil.copy(base_store, store)
    before = dump(store)
    with pytest.raises(FipError) as err:
        import_dataset(CORPUS / case, store, today="2025-01-01")
    file, words = EXPECTED[case]
    message = str(err.value)
    assert isinstance(err.value, InvalidDataError)
    assert err.value.problems[0].file == file
    assert words in message
    assert not CPR.search(message)
    assert dump(store) == before


# --------------------------------------------------------------------------- model-based


@pytest.fixture(scope="module")
def small() -> Dataset:
    return simulate_cohort(15, seed=21)


edits = st.lists(
    st.tuples(st.integers(0, 10**6), st.sampled_from(["score", "rate", "municipality", "drop"])),
    min_size=0, max_size=4,
)


@pytest.mark.slow
@given(batches=st.lists(edits, min_size=1, max_size=3))
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_store_matches_last_write_wins_model(small, tmp_path_factory, batches):
    """Import a sequence of edited versions of a cohort; the store must equal a dict model where
    each key's latest version wins and rows keep the place they first arrived in."""
    tmp = tmp_path_factory.mktemp("model")
    store = tmp / "s.duckdb"
    model: dict[str, dict[tuple, dict]] = {t: {} for t in ("persons", "forms", "outcomes")}
    keys = {"persons": ["person_id"], "forms": ["person_id", "respondent", "answered_on"],
            "outcomes": ["person_id", "month"]}
    items = list(small.instrument.item_ids())
    for b, batch in enumerate(batches):
        persons, forms, outcomes = small.persons.copy(), small.forms.copy(), small.outcomes.copy()
        drop_persons = set()
        for pick, kind in batch:
            if kind == "score":
                r = pick % len(forms)
                filled = [c for c in items if pd.notna(forms.loc[r, c])]
                c = filled[pick % len(filled)]
                forms.loc[r, c] = 1 + (int(forms.loc[r, c]) % 7)
            elif kind == "rate":
                r = pick % len(outcomes)
                outcomes.loc[r, "employment_rate"] = round((pick % 1000) / 1000, 3)
            elif kind == "municipality":
                persons.loc[pick % len(persons), "municipality"] = f"kommune_{pick % 5}"
            else:
                drop_persons.add(persons.loc[pick % len(persons), "person_id"])
        keep = lambda f: f[~f["person_id"].isin(drop_persons)].reset_index(drop=True)  # noqa: E731
        version = Dataset(keep(persons), keep(forms), keep(outcomes), small.instrument)
        folder = write_dataset(version, tmp / f"q{b}")
        import_dataset(folder, store)
        loaded = load_dataset(folder)  # the model sees what the loader makes of the file
        for t in model:
            frame = loaded.table(t)
            for rec in frame.to_dict("records"):
                model[t][tuple(rec[k] for k in keys[t])] = rec  # dict keeps first insertion order
    got = load_store(store)
    for t in model:
        expected = pd.DataFrame(list(model[t].values()))
        frame = got.table(t)
        assert len(frame) == len(expected)
        for col in frame.columns:
            a = frame[col].astype(object).where(frame[col].notna(), None).tolist()
            b = expected[col].astype(object).where(expected[col].notna(), None).tolist()
            assert a == b, (t, col)
