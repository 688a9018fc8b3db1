"""Stata and SPSS files of a dataset: read by the formats' own readers (pandas.read_stata,
pyreadstat) with the dataset's values, missing answers missing, item labels; read back by
fip.data.load_dataset equal to the canonical CSV round trip; private and atomic."""

from __future__ import annotations

import stat

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from fip.data import load_dataset, write_dataset
from fip.data.stats_writers import write_stats_dataset
from fip.simulate import simulate_cohort


@pytest.fixture(scope="module")
def cohort():
    ds = simulate_cohort(60, seed=5)
    forms = ds.forms.copy()
    forms.loc[3, "c02"] = pd.NA            # a missing answer
    from dataclasses import replace

    return replace(ds, forms=forms)


def read(path, fmt):
    return pd.read_stata(path, convert_dates=True) if fmt == "dta" else pyreadstat.read_sav(str(path))[0]


@pytest.mark.parametrize("fmt", ["dta", "sav"])
def test_own_readers_see_the_values(cohort, tmp_path, fmt):
    out = write_stats_dataset(cohort, tmp_path / "d", fmt)
    forms = read(out / f"forms.{fmt}", fmt)
    assert len(forms) == len(cohort.forms)
    np.testing.assert_array_equal(forms["c01"].to_numpy(dtype=float),
                                  cohort.forms["c01"].to_numpy(dtype=float, na_value=np.nan))
    assert np.isnan(forms.loc[3, "c02"])
    assert forms["person_id"].tolist() == cohort.forms["person_id"].tolist()
    persons = read(out / f"persons.{fmt}", fmt)
    first = pd.Timestamp(persons["arrival_date"].iloc[0])
    assert first.date() == cohort.persons["arrival_date"].iloc[0].date()
    outcomes = read(out / f"outcomes.{fmt}", fmt)
    assert outcomes["month"].iloc[0] == str(cohort.outcomes["month"].iloc[0])
    np.testing.assert_array_equal(outcomes["employment_rate"], cohort.outcomes["employment_rate"])
    assert set(outcomes["education"]) <= {0.0, 1.0}
    for t in ("persons", "forms", "outcomes"):
        assert stat.S_IMODE((out / f"{t}.{fmt}").stat().st_mode) == 0o600


def test_item_labels(cohort, tmp_path):
    out = write_stats_dataset(cohort, tmp_path / "d", "sav")
    _, meta = pyreadstat.read_sav(str(out / "forms.sav"), metadataonly=True)
    label = meta.column_names_to_labels["c01"]
    assert label and label == cohort.instrument.item("c01").text["en"][:80]
    out = write_stats_dataset(cohort, tmp_path / "e", "dta")
    with pd.io.stata.StataReader(out / "forms.dta") as reader:
        assert reader.variable_labels()["c01"] == label


@pytest.mark.parametrize("fmt", ["dta", "sav"])
def test_fip_reads_back_what_the_csv_round_trip_gives(cohort, tmp_path, fmt):
    want = load_dataset(write_dataset(cohort, tmp_path / "csv"))
    got = load_dataset(write_stats_dataset(cohort, tmp_path / "d", fmt))
    for t in ("persons", "forms", "outcomes"):
        pd.testing.assert_frame_equal(want.table(t), got.table(t), obj=f"{fmt} {t}")


def test_refuses_a_folder_that_is_not_a_dataset(cohort, tmp_path):
    from fip.errors import FipError

    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "x.txt").write_text("keep me")
    with pytest.raises(FipError):
        write_stats_dataset(cohort, tmp_path / "notes", "dta")
    assert (tmp_path / "notes" / "x.txt").read_text() == "keep me"
    with pytest.raises(ValueError, match="format"):
        write_stats_dataset(cohort, tmp_path / "x", "xpt")
