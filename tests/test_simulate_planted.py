"""The planted non-invariance simulator: determinism, the truth it plants, and the files it writes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fip.simulate.planted import PlantedDesign, PlantedEffect, expected_item_means, simulate_planted

EFFECTS = (PlantedEffect("i03", "answer_language", "ar", intercept_shift=0.6),
           PlantedEffect("i08", "gender", "2", loading_shift=-0.4))


def test_same_seed_same_data_other_seed_other_data():
    design = PlantedDesign(n_persons=300)
    a, b = simulate_planted(design, EFFECTS, seed=5), simulate_planted(design, EFFECTS, seed=5)
    pd.testing.assert_frame_equal(a.forms, b.forms)
    pd.testing.assert_frame_equal(a.persons, b.persons)
    assert not a.forms.equals(simulate_planted(design, EFFECTS, seed=6).forms)


def test_answers_on_the_scale_and_planted_items_named():
    cohort = simulate_planted(PlantedDesign(n_persons=500, scale_max=5), EFFECTS, seed=1)
    values = cohort.forms[list(cohort.design.items)].to_numpy()
    assert values.min() >= 1 and values.max() <= 5
    assert cohort.planted_items == ("i03", "i08")
    assert "i03" not in cohort.clean_items and len(cohort.clean_items) == 8


@pytest.mark.parametrize(("column", "level"), [("answer_language", "ar"), ("answer_language", "da"),
                                               ("gender", "2"), ("gender", "1")])
def test_simulated_means_match_the_closed_form(column, level):
    """Group item means of 40,000 draws within 4 standard errors of the normal-ogive closed form."""
    design = PlantedDesign(n_persons=40_000, impact={("answer_language", "ar"): -0.3})
    cohort = simulate_planted(design, EFFECTS, seed=11)
    group = cohort.forms[(cohort.persons[column] == level).to_numpy()]
    expected = expected_item_means(design, EFFECTS, column, level)
    items = list(design.items)
    se = group[items].std(ddof=1) / np.sqrt(len(group))
    z = (group[items].mean() - expected[items]) / se
    assert (z.abs() < 4).all(), z.round(2).to_dict()


def test_planted_intercept_shift_moves_only_its_item():
    """Closed form: the shift raises i03's mean for Arabic answers and leaves every clean item's
    group difference at the impact alone (zero here)."""
    design = PlantedDesign()
    ar = expected_item_means(design, EFFECTS[:1], "answer_language", "ar")
    da = expected_item_means(design, EFFECTS[:1], "answer_language", "da")
    diff = ar - da
    assert diff["i03"] > 0.3
    assert np.allclose(diff.drop("i03"), 0.0, atol=1e-12)


@pytest.mark.parametrize("bad", [
    dict(item="x99", column="gender", group="1", intercept_shift=1.0),
    dict(item="i01", column="age", group="1", intercept_shift=1.0),
    dict(item="i01", column="gender", group="3", intercept_shift=1.0),
])
def test_unknown_item_column_or_level_refused(bad):
    with pytest.raises(ValueError, match="planted effect"):
        simulate_planted(PlantedDesign(n_persons=10), [PlantedEffect(**bad)])


def test_an_effect_without_a_shift_is_refused():
    with pytest.raises(ValueError, match="intercept_shift or a loading_shift"):
        PlantedEffect("i01", "gender", "1")


def test_written_folder_loads_as_a_study(tmp_path):
    from fip.data.minimal import load_minimal_dataset
    from fip.indices import load_index_definitions
    from fip.instrument import load_instrument
    from fip.study import Study

    cohort = simulate_planted(PlantedDesign(n_persons=120), EFFECTS, seed=2)
    folder = cohort.write(tmp_path / "planted")
    instrument = load_instrument(folder / "instrument.yaml")
    study = Study(load_minimal_dataset(folder, instrument),
                  definitions=load_index_definitions(folder / "indices.yaml", instrument))
    assert len(study.dataset.forms) == 120
    assert [d.id for d in study.definitions] == ["F1", "F2"]
    assert set(study.dataset.persons["answer_language"]) == {"da", "ar"}


# ----------------------------------------------------------------------------- --plant and the command
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from fip.simulate.planted import parse_planted_effect  # noqa: E402

_name = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=8)
_shift = st.floats(min_value=-3, max_value=3, allow_nan=False).filter(lambda x: x != 0)


@given(item=_name, column=_name.filter(lambda c: c not in ("intercept", "loading")), level=_name,
       intercept=_shift, loading=st.one_of(st.none(), _shift))
def test_plant_spec_reads_back_what_was_written(item, column, level, intercept, loading):
    spec = f"{item},{column}={level},intercept={intercept!r}" + ("" if loading is None else f",loading={loading!r}")
    assert parse_planted_effect(spec) == PlantedEffect(item, column, level, intercept, loading or 0.0)


@pytest.mark.parametrize("spec", ["", "i01", "i01,gender=2", "i01,intercept=0.5", "i01,gender=2,intercept=x",
                                  "i01,gender=2,intercept=0", "i01,gender=2,lang=ar,intercept=1",
                                  "i01,gender=2,intercept=1,intercept=2", "i01,gender,intercept=1",
                                  "i01,gender=2,intercept=inf", "gender=2,i01,intercept=1"])
def test_bad_plant_specs_are_refused_naming_the_spec(spec):
    with pytest.raises(ValueError, match="--plant"):
        parse_planted_effect(spec)


def test_cli_writes_the_folder_and_refuses_a_foreign_one(tmp_path):
    from typer.testing import CliRunner

    from fip.cli import app

    runner = CliRunner()
    out = tmp_path / "planted"
    args = ["simulate-planted", str(out), "--plant", "i03,answer_language=ar,intercept=0.6", "--persons", "200",
            "--seed", "4"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "planted: i03 (answer_language=ar" in " ".join(res.output.split())
    first = (out / "forms.csv").read_bytes()
    assert runner.invoke(app, args).exit_code == 0  # its own earlier output may be replaced
    assert (out / "forms.csv").read_bytes() == first  # same seed, same bytes
    foreign = tmp_path / "home"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    res = runner.invoke(app, ["simulate-planted", str(foreign)])
    assert res.exit_code == 2 and "refusing to replace it" in res.output
    assert (foreign / "notes.txt").read_text() == "keep me"
    res = runner.invoke(app, ["simulate-planted", str(tmp_path / "x"), "--impact", "gender:1"])
    assert res.exit_code == 2 and "COLUMN=LEVEL:SHIFT" in res.output
