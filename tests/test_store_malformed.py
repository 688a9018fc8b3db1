"""The store against a plain-Python model: hypothesis-generated corrections, imported in turn.

The malformed-input corpus (every class of bad input refused, the store unchanged) is in
tests/test_malformed_corpus.py."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fip.data import Dataset, load_dataset, write_dataset
from fip.simulate import simulate_cohort
from fip.store import import_dataset, load_store

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
