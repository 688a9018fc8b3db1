"""``fip correlation``, ``fip agreement``, ``fip factor --correlation/--scores``, ``fip star --mark-changes``."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fip.cli import app
from fip.data import load_dataset
from fip.polychoric import polychoric
from fip.study import Study

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("validity") / "data"
    assert invoke("simulate", "--persons", "300", "--seed", "4", "--out", out).exit_code == 0
    return out


@pytest.fixture(scope="module")
def study(data):
    return Study(load_dataset(data))


def test_correlation_csv_is_the_square_matrix(data, study, tmp_path):
    out = tmp_path / "poly.csv"
    res = invoke("correlation", data, "--method", "polychoric", "--respondent", "caseworker", "--format", "csv", "--out", out)
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out, index_col=0)
    items = list(study.items_of("caseworker"))
    assert list(table.columns) == items and list(table.index) == items
    m = study.measurements
    ref = polychoric(m[m["round"] == 1][items].astype("float64").dropna(how="all")).correlation
    np.testing.assert_allclose(table.to_numpy(), ref.to_numpy(), atol=1e-12)


def test_correlation_pearson_json(data, study):
    res = invoke("correlation", data, "--format", "json")
    assert res.exit_code == 0, res.output
    records = json.loads(res.output)
    frame = pd.DataFrame(records).set_index("item")
    np.testing.assert_allclose(frame.to_numpy(dtype=float), study.correlation("citizen").correlation.to_numpy(), atol=1e-12)


@pytest.mark.parametrize("args, message", [
    (["--method", "spearman"], "--method must be one of"),
    (["--respondent", "nobody"], "--respondent must be one of"),
    (["--round", "9"], "no measurements in round 9"),
])
def test_correlation_bad_options(data, args, message):
    res = invoke("correlation", data, *args)
    assert res.exit_code == 2 and message in res.output and "Traceback" not in res.output


def test_correlation_refused_on_few_persons(data):
    res = invoke("correlation", data, "--min-cell", "100000")
    assert res.exit_code == 2 and "not shown" in res.output


def test_agreement_tables(data, tmp_path):
    out = tmp_path / "agree.csv"
    res = invoke("agreement", data, "--format", "csv", "--out", out)
    assert res.exit_code == 0, res.output
    agree = pd.read_csv(out)
    change = pd.read_csv(tmp_path / "agree.change.csv")
    assert {"kappa_quadratic", "icc", "lower", "upper"} <= set(agree.columns)
    assert set(agree["round"]) == {1, 2} and (agree["icc_form"] == "ICC2").all()
    assert {"sem", "sdc95", "share_beyond"} <= set(change.columns)
    assert "person_id" not in agree.columns and "person_id" not in change.columns


def test_agreement_icc_form_checked(data):
    res = invoke("agreement", data, "--icc", "ICC4")
    assert res.exit_code == 2 and "--icc must be one of" in res.output


def test_factor_polychoric_and_scores(data, tmp_path, monkeypatch):
    monkeypatch.delenv("FIP_PSEUDONYM_KEY", raising=False)
    scores = tmp_path / "scores.csv"
    res = invoke("factor", data, "--correlation", "polychoric", "--method", "minres", "--rotation", "none",
                 "--n-factors", "3", "--scores", "regression", "--scores-out", scores)
    assert res.exit_code == 0, res.output
    assert "polychoric correlations" in res.output
    frame = pd.read_csv(scores)
    assert list(frame.columns) == ["person_id", "round", "Factor1", "Factor2", "Factor3"]
    assert stat.S_IMODE(os.stat(scores).st_mode) == 0o600
    assert (frame["round"] == 1).all()


def test_factor_scores_need_a_file(data):
    res = invoke("factor", data, "--scores", "bartlett")
    assert res.exit_code == 2 and "--scores and --scores-out go together" in res.output
    res = invoke("factor", data, "--scores", "anderson", "--scores-out", "x.csv")
    assert res.exit_code == 2 and "--scores must be one of" in res.output


def test_star_mark_changes(data, study, tmp_path, monkeypatch):
    from fip.change import smallest_detectable_change

    monkeypatch.delenv("FIP_PSEUDONYM_KEY", raising=False)
    sdc = smallest_detectable_change(study)
    m = study.measurements
    r1, r2 = (m[m["round"] == r].set_index("person_id") for r in (1, 2))
    # a person whose round 1 -> 2 change on some item exceeds its SDC95, and only on two rounds
    two = m.groupby("person_id")["round"].max().loc[lambda s: s == 2].index
    change = (r2.loc[two, list(sdc)].astype(float) - r1.loc[two, list(sdc)].astype(float)).abs()
    person = change.gt(pd.Series(sdc)).any(axis=1).loc[lambda s: s].index[0]
    marked, plain = tmp_path / "marked.html", tmp_path / "plain.html"
    assert invoke("star", data, "--person", person, "--mark-changes", "--out", marked).exit_code == 0
    assert invoke("star", data, "--person", person, "--out", plain).exit_code == 0
    assert ("▲" in marked.read_text() or "▼" in marked.read_text())
    assert marked.read_text() != plain.read_text()
